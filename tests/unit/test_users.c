/*
 * Unit tests for gateway/users.c, each in its own mkdtemp data directory:
 * adding users (generated and given keys), refusals (name taken, access key
 * taken, bad values), replacing keys, removing, file order, the 0600 file
 * mode, malformed credentials files (refused with file and line), and a
 * running store that picks up `strata user add/remove` made by another
 * process (the reload is rate-limited to once a second, so those steps sleep
 * just over a second).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../gateway/users.h"

#define ERRLEN 512

/* ---- fixture: a fresh data directory per test ---- */

static int setup_dir(void **state)
{
	char *dir = strdup("/tmp/strata-test-users-XXXXXX");

	if (!dir || !mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int teardown_dir(void **state)
{
	char *dir = *state, path[4096];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
	return 0;
}

static void cred_path(const char *dir, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/credentials", dir);

	assert_true(n > 0 && (size_t)n < cap);
}

/* Replaces DATA/credentials with text (temp + rename, like the module, so the inode changes). */
static void write_credentials(const char *dir, const char *text)
{
	char path[4096], tmp[4096];
	FILE *f;

	cred_path(dir, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s/handmade.tmp", dir);
	f = fopen(tmp, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(tmp, 0600), 0);
	assert_int_equal(rename(tmp, path), 0);
}

/* Reads DATA/credentials into buf; returns false when absent. */
static bool read_credentials(const char *dir, char *buf, size_t cap)
{
	char path[4096];
	size_t n;
	FILE *f;

	cred_path(dir, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return true;
}

/* ---- users_each into an array ---- */

struct listing {
	struct user u[16];
	size_t n;
};

static void collect(void *ctx, const struct user *u)
{
	struct listing *l = ctx;

	assert_true(l->n < 16);
	l->u[l->n++] = *u;
}

static struct listing list_users(const char *dir)
{
	struct listing l = {.n = 0};
	char err[ERRLEN] = "";

	if (users_each(dir, collect, &l, err, sizeof(err)) != 0)
		fail_msg("users_each: %s", err);
	return l;
}

static void assert_names(const char *dir, const char *const *names, size_t n)
{
	struct listing l = list_users(dir);
	size_t i;

	assert_int_equal(l.n, n);
	for (i = 0; i < n; i++)
		assert_string_equal(l.u[i].name, names[i]);
}

static void add_ok(const char *dir, const char *name, const char *ak, const char *sk, bool replace,
		   struct user *out)
{
	char err[ERRLEN] = "";
	struct user tmp;

	if (users_add(dir, name, ak, sk, replace, out ? out : &tmp, err, sizeof(err)) != 0)
		fail_msg("users_add(%s): %s", name, err);
}

static void add_refused(const char *dir, const char *name, const char *ak, const char *sk,
			bool replace)
{
	char err[ERRLEN] = "";
	struct user out;

	if (users_add(dir, name, ak, sk, replace, &out, err, sizeof(err)) != -1)
		fail_msg("users_add(%s, %s, %s) was accepted", name, ak ? ak : "(gen)",
			 sk ? "(given)" : "(gen)");
	assert_true(err[0] != '\0');
}

/* true if text has line as a whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = strstr(text, line); p; p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static bool all_in(const char *s, const char *alphabet)
{
	return s[strspn(s, alphabet)] == '\0';
}

#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGITS "0123456789"

/* ---- tests ---- */

struct name_case {
	const char *name;
	bool valid;
};

/* clang-format off */
static const struct name_case names[] = {
	{"a", true},
	{"alice", true},
	{"Alice.Smith_2-x", true},
	{"0", true},
	{"...", true},
	{"-", true},
	{"1234567890123456789012345678901234567890123456789012345678901234", true}, /* 64 */
	{"12345678901234567890123456789012345678901234567890123456789012345", false}, /* 65 */
	{"", false},
	{"a b", false},
	{" alice", false},
	{"alice ", false},
	{"a/b", false},
	{"a\\b", false},
	{"a:b", false},
	{"a@b", false},
	{"a\tb", false},
	{"a\nb", false},
	{"caf\xc3\xa9", false},                   /* UTF-8 letters are not [A-Za-z] */
	{"a+b", false},
	{"a#b", false},
};
/* clang-format on */

static void test_name_valid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (users_name_valid(names[i].name) != names[i].valid)
			fail_msg("users_name_valid('%s') != %d", names[i].name, names[i].valid);
}

struct owner_case {
	const char *name;
	const char *sha256;
};

/* Expected values from `printf %s NAME | sha256sum` (python3 hashlib agrees). */
/* clang-format off */
static const struct owner_case owners[] = {
	{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"alice", "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90"},
	{"strata-admin", "fcf7383307db8ff21cbad40fc36b7d4c897cb826a32678f3ca0efca9a540f3fb"},
	{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
};
/* clang-format on */

static void test_owner_id(void **state)
{
	char out[65];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		memset(out, 'X', sizeof(out));
		users_owner_id(owners[i].name, out);
		assert_string_equal(out, owners[i].sha256);
	}
}

/* Generated keys: 20 of [A-Z0-9] and 40 of [A-Za-z0-9], random, and what users_each reads back. */
static void test_add_generated(void **state)
{
	enum { N = 12 };
	const char *dir = *state;
	bool ak_digit = false, ak_upper = false, sk_digit = false, sk_upper = false,
	     sk_lower = false;
	struct user got[N];
	struct listing l;
	char name[16];
	size_t i, j;

	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "user%zu", i);
		memset(&got[i], 0, sizeof(got[i]));
		add_ok(dir, name, NULL, NULL, false, &got[i]);
		assert_string_equal(got[i].name, name);
		assert_int_equal(strlen(got[i].access_key), 20);
		assert_int_equal(strlen(got[i].secret), 40);
		assert_true(all_in(got[i].access_key, UPPER DIGITS));
		assert_true(all_in(got[i].secret, UPPER LOWER DIGITS));
		ak_digit |= strpbrk(got[i].access_key, DIGITS) != NULL;
		ak_upper |= strpbrk(got[i].access_key, UPPER) != NULL;
		sk_digit |= strpbrk(got[i].secret, DIGITS) != NULL;
		sk_upper |= strpbrk(got[i].secret, UPPER) != NULL;
		sk_lower |= strpbrk(got[i].secret, LOWER) != NULL;
		for (j = 0; j < i; j++) {
			assert_string_not_equal(got[i].access_key, got[j].access_key);
			assert_string_not_equal(got[i].secret, got[j].secret);
		}
	}
	/* 240 and 480 uniform characters: every class shows up (failure odds < 1e-30) */
	assert_true(ak_digit && ak_upper && sk_digit && sk_upper && sk_lower);

	l = list_users(dir);
	assert_int_equal(l.n, N);
	for (i = 0; i < N; i++) {
		assert_string_equal(l.u[i].name, got[i].name);
		assert_string_equal(l.u[i].access_key, got[i].access_key);
		assert_string_equal(l.u[i].secret, got[i].secret);
	}
}

/* Given keys are stored as given, one "name access_key secret" line per user. */
static void test_add_given(void **state)
{
	const char *dir = *state;
	char text[4096];
	struct user u;
	struct listing l;

	memset(&u, 0, sizeof(u));
	add_ok(dir, "alice", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	       false, &u);
	assert_string_equal(u.name, "alice");
	assert_string_equal(u.access_key, "AKIAIOSFODNN7EXAMPLE");
	assert_string_equal(u.secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	add_ok(dir, "bob", "bob-key", "p+a/s=s~w!o\"r#d", false, NULL); /* printable, no space */
	add_ok(dir, "carol", NULL, "carol-secret", false, &u); /* only the access key generated */
	assert_int_equal(strlen(u.access_key), 20);
	assert_string_equal(u.secret, "carol-secret");

	assert_true(read_credentials(dir, text, sizeof(text)));
	assert_true(has_line(text, "alice AKIAIOSFODNN7EXAMPLE "
				   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
	assert_true(has_line(text, "bob bob-key p+a/s=s~w!o\"r#d"));

	l = list_users(dir);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.u[1].access_key, "bob-key");
	assert_string_equal(l.u[1].secret, "p+a/s=s~w!o\"r#d");
}

static void test_add_refused(void **state)
{
	static const char *const only_alice[] = {"alice"};
	char k128[129], k129[130], err[ERRLEN] = "";
	const char *dir = *state;
	char before[4096], after[4096];

	/* bad values are refused before the file is even created */
	add_refused(dir, "", "AKID", "secret123", false);
	add_refused(dir, "a b", "AKID", "secret123", false);
	add_refused(dir, "a/b", NULL, NULL, false);
	add_refused(dir, "alice", "AK", "secret123", false);	 /* access key < 3 */
	add_refused(dir, "alice", "AK ID", "secret123", false);	 /* space */
	add_refused(dir, "alice", "AK\tID", "secret123", false); /* control */
	add_refused(dir, "alice", "AKID", "secret1", false);	 /* secret < 8 */
	add_refused(dir, "alice", "AKID", "secret 123", false);	 /* space */
	add_refused(dir, "alice", "AKID", "secret123\n", false); /* newline */
	add_refused(dir, "alice", "AKID",
		    "s\xc3\xa9"
		    "cret123",
		    false); /* non-ASCII */
	memset(k129, 'k', 129);
	k129[129] = '\0';
	add_refused(dir, "alice", k129, "secret123", false);
	add_refused(dir, "alice", "AKID", k129, false);
	assert_false(read_credentials(dir, before, sizeof(before)));

	/* the limits themselves are fine */
	memset(k128, 'k', 128);
	k128[128] = '\0';
	add_ok(dir, "alice", k128, k128, false, NULL);
	add_ok(dir, "bob", "AKB", "12345678", false, NULL);
	assert_int_equal(users_remove(dir, "bob", err, sizeof(err)), 0);

	/* name taken, access key taken (also when replacing another user's keys) */
	assert_true(read_credentials(dir, before, sizeof(before)));
	add_refused(dir, "alice", "AKID2", "secret456", false);
	add_refused(dir, "alice", NULL, NULL, false);
	add_refused(dir, "bob", k128, "secret456", false);
	add_refused(dir, "bob", k128, "secret456", true);
	assert_true(read_credentials(dir, after, sizeof(after)));
	assert_string_equal(before, after);
	assert_names(dir, only_alice, 1);
}

/* replace=true gives an existing user new keys in place; the old access key stops working. */
static void test_replace(void **state)
{
	static const char *const order[] = {"alice", "bob", "carol"};
	static const char *const order4[] = {"alice", "bob", "carol", "dave"};
	const char *dir = *state;
	struct user u, found;
	struct users *store;
	struct listing l;

	add_ok(dir, "alice", "AK-ALICE", "secret-alice", false, NULL);
	add_ok(dir, "bob", "AK-BOB-1", "secret-bob-1", false, NULL);
	add_ok(dir, "carol", "AK-CAROL", "secret-carol", false, NULL);
	add_ok(dir, "bob", "AK-BOB-2", "secret-bob-2", true, &u);
	assert_string_equal(u.access_key, "AK-BOB-2");
	assert_names(dir, order, 3);
	l = list_users(dir);
	assert_string_equal(l.u[1].access_key, "AK-BOB-2");
	assert_string_equal(l.u[1].secret, "secret-bob-2");

	/* same access key as before: allowed for the user itself */
	add_ok(dir, "bob", "AK-BOB-2", "secret-bob-3", true, NULL);
	/* generated keys on replace */
	add_ok(dir, "carol", NULL, NULL, true, &u);
	assert_string_not_equal(u.access_key, "AK-CAROL");
	assert_int_equal(strlen(u.access_key), 20);
	/* replace of a new name adds it at the end */
	add_ok(dir, "dave", "AK-DAVE", "secret-dave", true, NULL);
	assert_names(dir, order4, 4);

	assert_int_equal(users_open(dir, &store), 0);
	assert_false(users_lookup(store, "AK-BOB-1", &found));
	assert_false(users_lookup(store, "AK-CAROL", &found));
	assert_true(users_lookup(store, "AK-BOB-2", &found));
	assert_string_equal(found.name, "bob");
	assert_string_equal(found.secret, "secret-bob-3");
	assert_true(users_lookup(store, u.access_key, &found));
	assert_string_equal(found.name, "carol");
	assert_string_equal(found.secret, u.secret);
	users_close(store);
}

static void test_remove(void **state)
{
	static const char *const abcd[] = {"a", "b", "c", "d"};
	static const char *const acd[] = {"a", "c", "d"};
	static const char *const cd[] = {"c", "d"};
	static const char *const c[] = {"c"};
	const char *dir = *state;
	char err[ERRLEN] = "";

	/* nothing to remove in an empty store */
	assert_int_equal(users_remove(dir, "a", err, sizeof(err)), -1);
	assert_true(err[0] != '\0');

	add_ok(dir, "a", "AK-A", "secret-a", false, NULL);
	add_ok(dir, "b", "AK-B", "secret-b", false, NULL);
	add_ok(dir, "c", "AK-C", "secret-c", false, NULL);
	add_ok(dir, "d", "AK-D", "secret-d", false, NULL);
	assert_names(dir, abcd, 4);

	assert_int_equal(users_remove(dir, "b", err, sizeof(err)), 0);
	assert_names(dir, acd, 3);
	err[0] = '\0';
	assert_int_equal(users_remove(dir, "b", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "b"));
	err[0] = '\0';
	assert_int_equal(users_remove(dir, "nobody", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nobody"));
	assert_int_equal(users_remove(dir, "A", err, sizeof(err)),
			 -1); /* names are case-sensitive */
	assert_names(dir, acd, 3);

	assert_int_equal(users_remove(dir, "a", err, sizeof(err)), 0); /* first */
	assert_names(dir, cd, 2);
	assert_int_equal(users_remove(dir, "d", err, sizeof(err)), 0); /* last */
	assert_names(dir, c, 1);
	/* the removed user's access key is free again */
	add_ok(dir, "e", "AK-A", "secret-e", false, NULL);
}

/* File order is insertion order, not sorted. */
static void test_each_order(void **state)
{
	static const char *const order[] = {"zed", "alpha", "Mike", "bravo"};
	const char *dir = *state;
	struct listing l;

	l = list_users(dir); /* absent file: no users, no error */
	assert_int_equal(l.n, 0);
	add_ok(dir, "zed", NULL, NULL, false, NULL);
	add_ok(dir, "alpha", NULL, NULL, false, NULL);
	add_ok(dir, "Mike", NULL, NULL, false, NULL);
	add_ok(dir, "bravo", NULL, NULL, false, NULL);
	assert_names(dir, order, 4);
}

/* The file holds secrets: mode 0600 whatever the umask, also when it was looser before. */
static void test_file_mode(void **state)
{
	const char *dir = *state;
	char path[4096], tmp[4096];
	mode_t old = umask(022);
	struct stat st;

	cred_path(dir, path, sizeof(path));
	add_ok(dir, "alice", NULL, NULL, false, NULL);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	assert_int_equal(chmod(path, 0644), 0);
	add_ok(dir, "bob", NULL, NULL, false, NULL);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(list_users(dir).n, 2);

	/* no temporary left behind */
	snprintf(tmp, sizeof(tmp), "%s/credentials.tmp", dir);
	assert_int_equal(access(tmp, F_OK), -1);
	umask(old);
}

struct bad_file {
	const char *text;
	unsigned line; /* the line the message must name */
};

#define LONG_FIELD                                                                                 \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xx"                                                                                       \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xx"

/* clang-format off */
static const struct bad_file bad_files[] = {
	{"alice AKID\n", 1},                                         /* two fields */
	{"alice\n", 1},
	{"# users\nalice AKID secret123 extra\n", 2},                /* four fields */
	{"# users\n\nok AKOK secret-ok\nbad/name AKID secret123\n", 4},
	{"ok AKOK secret-ok\nalice AK secret123\n", 2},              /* access key < 3 */
	{"ok AKOK secret-ok\nalice AKID short\n", 2},                /* secret < 8 */
	{"alice\tAKID\tsecret123\n", 1},                             /* tabs are not separators */
	{"ok AKOK secret-ok\n\n\n\nalice AKID secr\x01t123\n", 5},   /* control char */
	{"ok AKOK secret-ok\nalice AKID " LONG_FIELD "\n", 2},          /* secret > 128 */
	{"ok AKOK secret-ok\nalice AKID " LONG_FIELD LONG_FIELD LONG_FIELD "\n", 2}, /* line too long */
	{"ok AKOK secret-ok\n12345678901234567890123456789012345678901234567890123456789012345 "
	 "AKID secret123\n", 2},                                     /* name of 65 */
};
/* clang-format on */

/* A malformed credentials file is refused, naming the file and the line. */
static void test_malformed(void **state)
{
	const char *dir = *state;
	char path[4096], want[4200], err[ERRLEN], before[8192], after[8192];
	struct users *store;
	size_t i;

	cred_path(dir, path, sizeof(path));
	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		struct listing l = {.n = 0};

		write_credentials(dir, bad_files[i].text);
		snprintf(want, sizeof(want), "%s:%u:", path, bad_files[i].line);

		err[0] = '\0';
		assert_int_equal(users_each(dir, collect, &l, err, sizeof(err)), -1);
		if (!strstr(err, want))
			fail_msg("case %zu: users_each error '%s' does not name '%s'", i, err,
				 want);

		/* editing refuses too, and leaves the file as it was */
		assert_true(read_credentials(dir, before, sizeof(before)));
		err[0] = '\0';
		assert_int_equal(
		    users_add(dir, "newuser", NULL, NULL, false, NULL, err, sizeof(err)), -1);
		if (!strstr(err, want))
			fail_msg("case %zu: users_add error '%s' does not name '%s'", i, err, want);
		err[0] = '\0';
		assert_int_equal(users_remove(dir, "ok", err, sizeof(err)), -1);
		assert_non_null(strstr(err, want));
		assert_true(read_credentials(dir, after, sizeof(after)));
		assert_string_equal(before, after);

		/* the server does not start on it */
		store = NULL;
		assert_int_equal(users_open(dir, &store), -1);
		assert_null(store);
	}
}

/* Comments, blank lines and CRLF endings are fine. */
static void test_wellformed_variants(void **state)
{
	static const char *const order[] = {"alice", "bob"};
	const char *dir = *state;
	struct users *store;
	struct user u;

	write_credentials(dir, "# a comment\n\nalice AKALICE secret-alice\r\n#bob x y\n"
			       "bob AKBOB secret-bob"); /* no final newline */
	assert_names(dir, order, 2);
	assert_int_equal(users_open(dir, &store), 0);
	assert_int_equal(users_count(store), 2);
	assert_true(users_lookup(store, "AKALICE", &u));
	assert_string_equal(u.secret, "secret-alice");
	assert_true(users_lookup(store, "AKBOB", &u));
	assert_string_equal(u.secret, "secret-bob");
	users_close(store);
}

static void test_open_lookup(void **state)
{
	const char *dir = *state;
	char missing[4200];
	struct users *store;
	struct user u;

	/* a data directory that does not exist yet: an empty store */
	snprintf(missing, sizeof(missing), "%s/not-yet", dir);
	assert_int_equal(users_open(missing, &store), 0);
	assert_int_equal(users_count(store), 0);
	assert_false(users_lookup(store, "AKID", &u));
	users_close(store);
	users_close(NULL);

	add_ok(dir, "alice", "AKALICE", "secret-alice", false, NULL);
	add_ok(dir, "bob", "AKBOB", "secret-bob", false, NULL);
	assert_int_equal(users_open(dir, &store), 0);
	assert_int_equal(users_count(store), 2);
	memset(&u, 0, sizeof(u));
	assert_true(users_lookup(store, "AKBOB", &u));
	assert_string_equal(u.name, "bob");
	assert_string_equal(u.access_key, "AKBOB");
	assert_string_equal(u.secret, "secret-bob");
	assert_true(users_lookup(store, "AKALICE", &u));
	assert_string_equal(u.name, "alice");
	assert_false(users_lookup(store, "AKALIC", &u)); /* prefix */
	assert_false(users_lookup(store, "AKALICEX", &u));
	assert_false(users_lookup(store, "akalice", &u)); /* case-sensitive */
	assert_false(users_lookup(store, "", &u));
	assert_false(users_lookup(store, "secret-bob", &u));
	users_close(store);
}

/* Just over the one-second reload rate limit. */
static void wait_reload(void)
{
	struct timespec ts = {1, 50 * 1000 * 1000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * A running store sees users added and removed by another process (the CLI)
 * within a second, and keeps its users when the file turns out malformed.
 */
static void test_live_reload(void **state)
{
	const char *dir = *state;
	char err[ERRLEN] = "";
	struct users *store;
	struct user added, u;

	assert_int_equal(users_open(dir, &store), 0);
	assert_false(users_lookup(store, "AKALICE", &u));

	add_ok(dir, "alice", "AKALICE", "secret-alice", false, &added);
	wait_reload();
	memset(&u, 0, sizeof(u));
	assert_true(users_lookup(store, "AKALICE", &u));
	assert_string_equal(u.name, "alice");
	assert_string_equal(u.secret, "secret-alice");
	assert_int_equal(users_count(store), 1);

	/* a hand edit gone wrong: the server keeps what it had */
	write_credentials(dir, "alice AKALICE secret-alice\nbroken line\n");
	wait_reload();
	assert_true(users_lookup(store, "AKALICE", &u));

	/* fixed again, then removed with the CLI */
	write_credentials(dir, "alice AKALICE secret-alice\nbob AKBOB secret-bob\n");
	assert_int_equal(users_remove(dir, "alice", err, sizeof(err)), 0);
	wait_reload();
	assert_false(users_lookup(store, "AKALICE", &u));
	assert_true(users_lookup(store, "AKBOB", &u));
	assert_int_equal(users_count(store), 1);
	users_close(store);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_owner_id),
		cmocka_unit_test_setup_teardown(test_add_generated, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_add_given, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_add_refused, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_replace, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_remove, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_each_order, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_mode, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_malformed, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_wellformed_variants, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_open_lookup, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_live_reload, setup_dir, teardown_dir),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
