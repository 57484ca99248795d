/*
 * Unit tests for common/keyring.c: the key file's life (create, rotate,
 * remove) on a real temporary directory, the wrapped-key format checked
 * against plain OpenSSL, every tampering the GCM tag must catch, and the
 * files a server must refuse to start with (each with a line number and
 * without echoing key material).
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../../common/keyring.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Master keys for hand-written files: base64 of 0x40..0x5f and of 0x80..0x9f. */
#define KA "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="
#define KB "gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp8="
#define K31 "ERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLw==" /* 31 bytes */
#define K33 "ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BB" /* 33 bytes */
#define KBAD "QEFCQ0RFRkdISUpLTE1OT1BRUlNUV*ZXWFlaW1xdXl8="
#define KNOPAD "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8"
#define BOM "\xef\xbb\xbf" /* UTF-8 byte order mark, as some editors write */

/* Every key text used above: none may appear in an error message, even in part. */
static const char *const secrets[] = {KA, KB, K31, K33, KBAD};

struct fixture {
	char dir[64];
	char path[128]; /* dir/keys */
	char tmp[136];	/* dir/keys.tmp */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/strata-keyring-test-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/keys", fx->dir);
	snprintf(fx->tmp, sizeof(fx->tmp), "%s/keys.tmp", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char p[512];
	struct dirent *de;
	DIR *d = opendir(fx->dir);

	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", fx->dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Writes data[0..len) to path with exactly `mode` (whatever the umask). */
static void write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* Reads path into buf[cap] (NUL-terminated); returns its length. */
static size_t read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, cap - 1, f);
	assert_true(n < cap - 1);
	buf[n] = '\0';
	fclose(f);
	return n;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* "k" + YYYYMMDD + "T" + HHMMSS + "-" + 4 lowercase hex digits. */
static bool id_generated(const char *id)
{
	static const char shape[] = "kddddddddTdddddd-xxxxxxxx";
	size_t i;

	if (strlen(id) != sizeof(shape) - 1)
		return false;
	for (i = 0; shape[i]; i++) {
		char c = id[i];

		if (shape[i] == 'd' && !(c >= '0' && c <= '9'))
			return false;
		if (shape[i] == 'x' && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		if (shape[i] != 'd' && shape[i] != 'x' && c != shape[i])
			return false;
	}
	return true;
}

static struct keyring *load_ok(const char *path)
{
	struct keyring *k = NULL;
	char why[512] = "";

	if (keyring_load(path, &k, why, sizeof(why)) != S3E_OK)
		fail_msg("load %s: %s", path, why);
	assert_non_null(k);
	return k;
}

static void random_key(uint8_t key[KEYRING_KEY_SIZE])
{
	assert_int_equal(RAND_bytes(key, KEYRING_KEY_SIZE), 1);
}

/* --- the file's life --- */

static void test_create_and_load(void **state)
{
	struct fixture *fx = *state;
	char why[512], before[8192], after[8192];
	struct keyring *k;
	struct stat st;

	assert_int_equal(keyring_create(fx->path, why, sizeof(why)), S3E_OK);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_false(exists(fx->tmp));
	read_file(fx->path, before, sizeof(before));
	assert_int_equal(before[0], '#'); /* the header explaining the format */

	k = load_ok(fx->path);
	assert_int_equal(keyring_count(k), 1);
	assert_true(id_generated(keyring_current_id(k)));
	assert_string_equal(keyring_id_at(k, 0), keyring_current_id(k));
	assert_null(keyring_id_at(k, 1));
	assert_true(keyring_has(k, keyring_current_id(k)));
	assert_false(keyring_has(k, "k20000101T000000-0000"));
	keyring_free(k);

	/* Never over an existing file: the keys in it would be lost. */
	assert_int_equal(keyring_create(fx->path, why, sizeof(why)), S3E_InternalError);
	assert_non_null(strstr(why, "already exists"));
	read_file(fx->path, after, sizeof(after));
	assert_string_equal(before, after);
	assert_false(exists(fx->tmp));
	keyring_free(NULL);
}

static void test_add_key_rotates(void **state)
{
	struct fixture *fx = *state;
	uint8_t dk1[KEYRING_KEY_SIZE], dk2[KEYRING_KEY_SIZE], out[KEYRING_KEY_SIZE];
	uint8_t w1[KEYRING_WRAPPED_SIZE], w2[KEYRING_WRAPPED_SIZE];
	char why[512], id1[KEYRING_ID_MAX], id2[KEYRING_ID_MAX], id3[KEYRING_ID_MAX];
	char used[KEYRING_ID_MAX], text[8192];
	struct keyring *k1, *k3;
	struct stat st;

	assert_int_equal(keyring_create(fx->path, why, sizeof(why)), S3E_OK);
	k1 = load_ok(fx->path);
	random_key(dk1);
	assert_int_equal(keyring_wrap(k1, dk1, id1, w1), S3E_OK);
	assert_string_equal(id1, keyring_current_id(k1));

	assert_int_equal(keyring_add_key(fx->path, id2, why, sizeof(why)), S3E_OK);
	assert_int_equal(keyring_add_key(fx->path, id3, why, sizeof(why)), S3E_OK);
	assert_true(id_generated(id2));
	assert_true(id_generated(id3));
	assert_string_not_equal(id1, id2);
	assert_string_not_equal(id2, id3);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_false(exists(fx->tmp));
	read_file(fx->path, text, sizeof(text));
	assert_int_equal(text[0], '#');

	k3 = load_ok(fx->path);
	assert_int_equal(keyring_count(k3), 3);
	assert_string_equal(keyring_id_at(k3, 0), id1);
	assert_string_equal(keyring_id_at(k3, 1), id2);
	assert_string_equal(keyring_id_at(k3, 2), id3);
	assert_string_equal(keyring_current_id(k3), id3);

	/* The old key still unwraps what it wrapped before the rotation. */
	assert_int_equal(keyring_unwrap(k3, id1, w1, sizeof(w1), out), S3E_OK);
	assert_memory_equal(out, dk1, KEYRING_KEY_SIZE);
	/* New data keys go under the newest key. */
	random_key(dk2);
	assert_int_equal(keyring_wrap(k3, dk2, used, w2), S3E_OK);
	assert_string_equal(used, id3);
	assert_int_equal(keyring_unwrap(k3, id3, w2, sizeof(w2), out), S3E_OK);
	assert_memory_equal(out, dk2, KEYRING_KEY_SIZE);
	/* A keyring loaded before the rotation does not know the new key. */
	assert_int_equal(keyring_unwrap(k1, id3, w2, sizeof(w2), out), S3E_InternalError);
	keyring_free(k1);
	keyring_free(k3);
}

static void test_remove_key(void **state)
{
	struct fixture *fx = *state;
	uint8_t dk[KEYRING_KEY_SIZE], out[KEYRING_KEY_SIZE], w[KEYRING_WRAPPED_SIZE];
	char why[512], id1[KEYRING_ID_MAX], id2[KEYRING_ID_MAX], id3[KEYRING_ID_MAX];
	char before[8192], after[8192];
	struct keyring *k;

	assert_int_equal(keyring_create(fx->path, why, sizeof(why)), S3E_OK);
	k = load_ok(fx->path);
	random_key(dk);
	assert_int_equal(keyring_wrap(k, dk, id1, w), S3E_OK);
	keyring_free(k);
	assert_int_equal(keyring_add_key(fx->path, id2, why, sizeof(why)), S3E_OK);
	assert_int_equal(keyring_add_key(fx->path, id3, why, sizeof(why)), S3E_OK);
	read_file(fx->path, before, sizeof(before));

	/* Refused: the current key, an unknown id, a string that is not an id. */
	assert_int_equal(keyring_remove_key(fx->path, id3, why, sizeof(why)), S3E_InternalError);
	assert_non_null(strstr(why, "current"));
	assert_int_equal(keyring_remove_key(fx->path, "k20000101T000000-0000", why, sizeof(why)),
			 S3E_InternalError);
	assert_non_null(strstr(why, "no key"));
	assert_int_equal(keyring_remove_key(fx->path, "../../x\nforged", why, sizeof(why)),
			 S3E_InternalError);
	assert_null(strchr(why, '\n'));
	read_file(fx->path, after, sizeof(after));
	assert_string_equal(before, after);
	assert_false(exists(fx->tmp));

	assert_int_equal(keyring_remove_key(fx->path, id1, why, sizeof(why)), S3E_OK);
	assert_false(exists(fx->tmp));
	k = load_ok(fx->path);
	assert_int_equal(keyring_count(k), 2);
	assert_false(keyring_has(k, id1));
	assert_string_equal(keyring_id_at(k, 0), id2);
	assert_string_equal(keyring_current_id(k), id3);
	/* What only the removed key wrapped is gone for good. */
	assert_int_equal(keyring_unwrap(k, id1, w, sizeof(w), out), S3E_InternalError);
	keyring_free(k);

	/* Once it is the only one left, the current key stays. */
	assert_int_equal(keyring_remove_key(fx->path, id2, why, sizeof(why)), S3E_OK);
	assert_int_equal(keyring_remove_key(fx->path, id3, why, sizeof(why)), S3E_InternalError);
}

/* An edit run as root keeps the file readable by the server's user. */
static void test_edit_keeps_owner(void **state)
{
	struct fixture *fx = *state;
	char why[512], id[KEYRING_ID_MAX];
	struct stat st;

	if (geteuid() != 0)
		skip();
	assert_int_equal(keyring_create(fx->path, why, sizeof(why)), S3E_OK);
	assert_int_equal(chown(fx->path, 4242, 4343), 0);
	assert_int_equal(keyring_add_key(fx->path, id, why, sizeof(why)), S3E_OK);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_uid, 4242);
	assert_int_equal(st.st_gid, 4343);
	assert_int_equal(st.st_mode & 07777, 0600);
}

/* A crashed or concurrent edit leaves keys.tmp: later edits refuse instead of racing it. */
static void test_tmp_is_the_lock(void **state)
{
	struct fixture *fx = *state;
	char why[512], id[KEYRING_ID_MAX], before[8192], after[8192];

	assert_int_equal(keyring_create(fx->path, why, sizeof(why)), S3E_OK);
	read_file(fx->path, before, sizeof(before));
	write_file(fx->tmp, "x", 1, 0600);
	assert_int_equal(keyring_add_key(fx->path, id, why, sizeof(why)), S3E_InternalError);
	assert_non_null(strstr(why, "keys.tmp"));
	assert_int_equal(keyring_remove_key(fx->path, "a", why, sizeof(why)), S3E_InternalError);
	assert_non_null(strstr(why, "keys.tmp"));
	read_file(fx->path, after, sizeof(after));
	assert_string_equal(before, after);
	assert_true(exists(fx->tmp)); /* someone else's: not ours to delete */
	unlink(fx->tmp);
	assert_int_equal(keyring_add_key(fx->path, id, why, sizeof(why)), S3E_OK);
}

/* 64 keys load; a 65th is refused on add and on load. */
static void test_key_limit(void **state)
{
	struct fixture *fx = *state;
	char why[512], id[KEYRING_ID_MAX], text[8192];
	struct keyring *k;
	size_t off = 0, i;

	for (i = 0; i < KEYRING_MAX_KEYS; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "id%zu %s\n", i, KA);
	write_file(fx->path, text, off, 0600);
	k = load_ok(fx->path);
	assert_int_equal(keyring_count(k), KEYRING_MAX_KEYS);
	assert_string_equal(keyring_current_id(k), "id63");
	keyring_free(k);
	assert_int_equal(keyring_add_key(fx->path, id, why, sizeof(why)), S3E_InternalError);
	assert_false(exists(fx->tmp));

	off += (size_t)snprintf(text + off, sizeof(text) - off, "id64 %s\n", KA);
	write_file(fx->path, text, off, 0600);
	k = (struct keyring *)&why; /* sentinel: must stay as it is */
	assert_int_equal(keyring_load(fx->path, &k, why, sizeof(why)), S3E_InternalError);
	assert_ptr_equal(k, (struct keyring *)&why);
	assert_non_null(strstr(why, "line 65:"));
}

/* --- wrapping --- */

/* AES-256-GCM decryption done here with plain EVP, as documented in keyring.h. */
static bool gcm_open(const uint8_t master[32], const char *id, const uint8_t w[60], uint8_t out[32])
{
	uint8_t aad[64], tag[16];
	size_t aad_len = sizeof("strata-dk-v1") + strlen(id);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len, ok;

	memcpy(aad, "strata-dk-v1", sizeof("strata-dk-v1")); /* with its NUL */
	memcpy(aad + sizeof("strata-dk-v1"), id, strlen(id));
	memcpy(tag, w + 44, 16);
	ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, master, w) == 1 &&
	     EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aad_len) == 1 &&
	     EVP_DecryptUpdate(ctx, out, &len, w + 12, 32) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1 &&
	     EVP_DecryptFinal_ex(ctx, out + 32, &len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* The wrapped format is exactly nonce || ct || tag with the documented AAD. */
static void test_wrap_format(void **state)
{
	struct fixture *fx = *state;
	static const char file[] = "# hand-written\n"
				   "  alpha\t" KA "  \r\n"
				   "\n"
				   "   # indented comment\n"
				   "beta " KB; /* no final newline */
	uint8_t master_b[32], dk[32], out[32], w[KEYRING_WRAPPED_SIZE];
	char id[KEYRING_ID_MAX];
	struct keyring *k;
	size_t i;

	for (i = 0; i < 32; i++)
		master_b[i] = (uint8_t)(0x80 + i);
	write_file(fx->path, file, sizeof(file) - 1, 0600);
	k = load_ok(fx->path);
	assert_int_equal(keyring_count(k), 2);
	assert_string_equal(keyring_id_at(k, 0), "alpha");
	assert_string_equal(keyring_current_id(k), "beta");

	random_key(dk);
	assert_int_equal(keyring_wrap(k, dk, id, w), S3E_OK);
	assert_string_equal(id, "beta");
	assert_true(gcm_open(master_b, "beta", w, out));
	assert_memory_equal(out, dk, 32);
	/* The id is bound: the same bytes do not open as another id's. */
	assert_false(gcm_open(master_b, "alpha", w, out));
	keyring_free(k);
}

static void test_wrap_tampering(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t sentinel[KEYRING_KEY_SIZE] = {0xee, 0xee, 0xee, 0xee};
	uint8_t dk[KEYRING_KEY_SIZE], out[KEYRING_KEY_SIZE];
	uint8_t w[KEYRING_WRAPPED_SIZE + 1], w2[KEYRING_WRAPPED_SIZE], untouched[60];
	char why[512], id1[KEYRING_ID_MAX], id2[KEYRING_ID_MAX];
	struct keyring *k;
	size_t i;

	assert_int_equal(keyring_create(fx->path, why, sizeof(why)), S3E_OK);
	assert_int_equal(keyring_add_key(fx->path, id2, why, sizeof(why)), S3E_OK);
	k = load_ok(fx->path);
	memcpy(id1, keyring_id_at(k, 0), KEYRING_ID_MAX);
	random_key(dk);
	assert_int_equal(keyring_wrap_with(k, id1, dk, w), S3E_OK);
	w[KEYRING_WRAPPED_SIZE] = 0;
	assert_int_equal(keyring_unwrap(k, id1, w, KEYRING_WRAPPED_SIZE, out), S3E_OK);
	assert_memory_equal(out, dk, KEYRING_KEY_SIZE);

	/* A fresh nonce every time: the same key wraps to different bytes. */
	assert_int_equal(keyring_wrap_with(k, id1, dk, w2), S3E_OK);
	assert_memory_not_equal(w, w2, 12);
	assert_memory_not_equal(w + 12, w2 + 12, KEYRING_WRAPPED_SIZE - 12);

	/* Any flipped bit in nonce, ciphertext or tag fails, and out stays as it was. */
	for (i = 0; i < KEYRING_WRAPPED_SIZE; i++) {
		w[i] ^= 0x10;
		memcpy(out, sentinel, sizeof(out));
		if (keyring_unwrap(k, id1, w, KEYRING_WRAPPED_SIZE, out) != S3E_InternalError)
			fail_msg("byte %zu flipped and still unwrapped", i);
		assert_memory_equal(out, sentinel, sizeof(out));
		w[i] ^= 0x10;
	}

	memcpy(out, sentinel, sizeof(out));
	assert_int_equal(keyring_unwrap(k, id2, w, KEYRING_WRAPPED_SIZE, out), S3E_InternalError);
	assert_int_equal(keyring_unwrap(k, "nope", w, KEYRING_WRAPPED_SIZE, out),
			 S3E_InternalError);
	assert_int_equal(keyring_unwrap(k, NULL, w, KEYRING_WRAPPED_SIZE, out), S3E_InternalError);
	assert_int_equal(keyring_unwrap(k, id1, w, 0, out), S3E_InternalError);
	assert_int_equal(keyring_unwrap(k, id1, w, KEYRING_WRAPPED_SIZE - 1, out),
			 S3E_InternalError);
	assert_int_equal(keyring_unwrap(k, id1, w, KEYRING_WRAPPED_SIZE + 1, out),
			 S3E_InternalError);
	assert_int_equal(keyring_unwrap(k, id1, NULL, KEYRING_WRAPPED_SIZE, out),
			 S3E_InternalError);
	assert_memory_equal(out, sentinel, sizeof(out));
	assert_int_equal(keyring_unwrap(k, id1, w, KEYRING_WRAPPED_SIZE, out), S3E_OK);

	memset(untouched, 0xab, sizeof(untouched));
	memcpy(w2, untouched, sizeof(w2));
	assert_int_equal(keyring_wrap_with(k, "nope", dk, w2), S3E_InternalError);
	assert_memory_equal(w2, untouched, sizeof(w2));
	keyring_free(k);
}

struct worker {
	const struct keyring *k;
	const char *id;
	const uint8_t *dk, *wrapped;
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *wk = arg;
	uint8_t out[KEYRING_KEY_SIZE], w[KEYRING_WRAPPED_SIZE];
	char id[KEYRING_ID_MAX];
	int i;

	for (i = 0; i < 300; i++) {
		if (keyring_unwrap(wk->k, wk->id, wk->wrapped, KEYRING_WRAPPED_SIZE, out) !=
			S3E_OK ||
		    memcmp(out, wk->dk, KEYRING_KEY_SIZE) != 0)
			wk->failures++;
		if (keyring_wrap(wk->k, wk->dk, id, w) != S3E_OK ||
		    keyring_unwrap(wk->k, id, w, sizeof(w), out) != S3E_OK ||
		    memcmp(out, wk->dk, KEYRING_KEY_SIZE) != 0)
			wk->failures++;
	}
	return NULL;
}

/* One loaded keyring serves many threads at once. */
static void test_threads(void **state)
{
	struct fixture *fx = *state;
	uint8_t dk[KEYRING_KEY_SIZE], w[KEYRING_WRAPPED_SIZE];
	char why[512], id[KEYRING_ID_MAX];
	struct worker wk[4];
	pthread_t th[4];
	struct keyring *k;
	size_t i;

	assert_int_equal(keyring_create(fx->path, why, sizeof(why)), S3E_OK);
	k = load_ok(fx->path);
	random_key(dk);
	assert_int_equal(keyring_wrap(k, dk, id, w), S3E_OK);
	for (i = 0; i < ARRAY_LEN(th); i++) {
		wk[i] = (struct worker){k, id, dk, w, 0};
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &wk[i]), 0);
	}
	for (i = 0; i < ARRAY_LEN(th); i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(wk[i].failures, 0);
	}
	keyring_free(k);
}

/* --- files refused --- */

static void assert_no_secret(const char *why)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(secrets); i++) {
		char head[11];

		memcpy(head, secrets[i], 10);
		head[10] = '\0';
		if (strstr(why, head))
			fail_msg("key material in the message: %s", why);
	}
}

static void test_mode_refused(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		mode_t mode;
		const char *want; /* NULL: accepted */
	} rows[] = {
	    {0644, "mode 0644"}, {0640, "mode 0640"}, {0604, "mode 0604"}, {0660, "mode 0660"},
	    {0620, "mode 0620"}, {0602, "mode 0602"}, {0610, "mode 0610"}, {0601, "mode 0601"},
	    {0600, NULL},	 {0400, NULL},
	};
	static const char file[] = "a " KA "\n";
	struct keyring *k;
	char why[512];
	size_t i;

	for (i = 0; i < ARRAY_LEN(rows); i++) {
		write_file(fx->path, file, sizeof(file) - 1, rows[i].mode);
		k = NULL;
		why[0] = '\0';
		if (!rows[i].want) {
			k = load_ok(fx->path);
			keyring_free(k);
			continue;
		}
		if (keyring_load(fx->path, &k, why, sizeof(why)) != S3E_InternalError)
			fail_msg("mode %04o accepted", (unsigned)rows[i].mode);
		assert_null(k);
		if (!strstr(why, rows[i].want))
			fail_msg("mode %04o: '%s'", (unsigned)rows[i].mode, why);
		assert_no_secret(why);
	}
}

static void test_missing_and_not_regular(void **state)
{
	struct fixture *fx = *state;
	struct keyring *k = NULL;
	char why[512];

	assert_int_equal(keyring_load(fx->path, &k, why, sizeof(why)), S3E_InternalError);
	assert_null(k);
	assert_non_null(strstr(why, fx->path));
	assert_int_equal(keyring_load(fx->dir, &k, why, sizeof(why)), S3E_InternalError);
	assert_null(k);
	assert_non_null(strstr(why, "not a regular file"));
}

static void test_malformed(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *text;
		size_t len; /* 0: strlen(text) */
		const char *want;
	} rows[] = {
	    {"bad/id " KA "\n", 0, "line 1: a key id"},
	    {"# comment\n\nk!x " KA "\n", 0, "line 3: a key id"},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa " KA "\n", 0, "line 1: a key id"}, /* 33 chars */
	    {BOM "a " KA "\n", 0, "line 1: a key id"},
	    {"a " K31 "\n", 0, "line 1: key is not 32 bytes of base64"},
	    {"a " KA "\nb " K33 "\n", 0, "line 2: key is not 32 bytes of base64"},
	    {"a " KBAD "\n", 0, "line 1: key is not 32 bytes of base64"},
	    {"a " KNOPAD "\n", 0, "line 1: key is not 32 bytes of base64"},
	    {"a " KA "\nb " KB "\na " KB "\n", 0, "line 3: duplicate key id 'a'"},
	    {"", 0, "no key in 0 lines"},
	    {"# only\n\n  # comments\n", 0, "no key in 3 lines"},
	    {"a\n", 0, "line 1: expected"},
	    {"a " KA " extra\n", 0, "line 1: expected"},
	    {"a " KA " " KB "\n", 0, "line 1: expected"},
	    {"a " KA "\nb " KB "\0\n", sizeof("a " KA "\nb " KB "\0\n") - 1, "line 2: NUL byte"},
	};
	struct keyring *k;
	char why[512];
	size_t i;

	for (i = 0; i < ARRAY_LEN(rows); i++) {
		size_t len = rows[i].len ? rows[i].len : strlen(rows[i].text);

		write_file(fx->path, rows[i].text, len, 0600);
		k = NULL;
		why[0] = '\0';
		if (keyring_load(fx->path, &k, why, sizeof(why)) != S3E_InternalError)
			fail_msg("row %zu accepted", i);
		assert_null(k);
		if (!strstr(why, rows[i].want))
			fail_msg("row %zu: '%s', want '%s'", i, why, rows[i].want);
		assert_no_secret(why);
	}
}

/* Lines of 4096 bytes are fine; 4097 is refused with its line number. */
static void test_line_limit(void **state)
{
	struct fixture *fx = *state;
	char text[2 * KEYRING_LINE_MAX], why[512];
	struct keyring *k = NULL;
	size_t off;

	text[0] = '#';
	memset(text + 1, 'x', KEYRING_LINE_MAX - 1);
	off = KEYRING_LINE_MAX;
	off += (size_t)snprintf(text + off, sizeof(text) - off, "\na %s\n", KA);
	write_file(fx->path, text, off, 0600);
	k = load_ok(fx->path);
	keyring_free(k);

	off = (size_t)snprintf(text, sizeof(text), "a %s\n#", KA);
	memset(text + off, 'x', KEYRING_LINE_MAX);
	off += KEYRING_LINE_MAX;
	text[off++] = '\n';
	write_file(fx->path, text, off, 0600);
	k = NULL;
	assert_int_equal(keyring_load(fx->path, &k, why, sizeof(why)), S3E_InternalError);
	assert_null(k);
	assert_non_null(strstr(why, "line 2: longer than 4096 bytes"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_and_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_key_rotates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edit_keeps_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tmp_is_the_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrap_format, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrap_tampering, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mode_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_and_not_regular, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_line_limit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
