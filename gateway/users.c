/* users: the credentials file, its atomic rewrites and live reloads. */
#include "users.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../common/strutil.h"

#define CREDENTIALS_FILE "credentials"

struct user_table {
	struct user *items;
	size_t n;
};

struct users {
	char path[STRATA_MAX_PATH];
	pthread_rwlock_t lock; /* guards table and the file identity below */
	struct user_table table;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	atomic_llong next_check; /* seconds: when to stat the file again */
};

bool users_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > USER_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Access keys and secrets: printable, no spaces (the file is space-separated). */
static bool key_valid(const char *s, size_t min, size_t max)
{
	size_t i, n = strlen(s);

	if (n < min || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

static void table_free(struct user_table *t)
{
	if (t->items)
		OPENSSL_cleanse(t->items, t->n * sizeof(*t->items));
	free(t->items);
	t->items = NULL;
	t->n = 0;
}

static int path_join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Parses "name access secret" lines; a malformed line is an error naming its number. */
static int table_load(const char *path, struct user_table *t, char *err, size_t errlen)
{
	char line[USER_NAME_MAX + STRATA_MAX_ACCESS_KEY_LEN + STRATA_MAX_SECRET_KEY_LEN + 8];
	struct user_table nt = {NULL, 0};
	unsigned lineno = 0;
	FILE *f = fopen(path, "re");
	int rc = -1;

	if (!f) {
		if (errno == ENOENT) {
			*t = nt;
			return 0;
		}
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	nt.items = calloc(STRATA_MAX_USERS, sizeof(*nt.items));
	if (!nt.items) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		char *name, *ak, *sk, *save = NULL;
		struct user *u;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			goto out;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		name = strtok_r(line, " ", &save);
		ak = strtok_r(NULL, " ", &save);
		sk = strtok_r(NULL, " ", &save);
		if (!name || !ak || !sk || strtok_r(NULL, " ", &save) || !users_name_valid(name) ||
		    !key_valid(ak, 3, STRATA_MAX_ACCESS_KEY_LEN) ||
		    !key_valid(sk, STRATA_MIN_SECRET_KEY_LEN, STRATA_MAX_SECRET_KEY_LEN)) {
			snprintf(err, errlen, "%s:%u: expected 'name access_key secret_key'", path,
				 lineno);
			goto out;
		}
		if (nt.n == STRATA_MAX_USERS) {
			snprintf(err, errlen, "%s: more than %u users", path, STRATA_MAX_USERS);
			goto out;
		}
		u = &nt.items[nt.n++];
		str_copy(u->name, sizeof(u->name), name);
		str_copy(u->access_key, sizeof(u->access_key), ak);
		str_copy(u->secret, sizeof(u->secret), sk);
	}
	*t = nt;
	nt.items = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(line, sizeof(line));
	table_free(&nt);
	fclose(f);
	return rc;
}

int users_open(const char *data_dir, struct users **out)
{
	struct users *u = calloc(1, sizeof(*u));
	char err[512];
	struct stat st;

	if (!u)
		return -1;
	if (path_join(u->path, sizeof(u->path), data_dir, CREDENTIALS_FILE) != 0 ||
	    table_load(u->path, &u->table, err, sizeof(err)) != 0) {
		fprintf(stderr, "strata: %s\n", err);
		free(u);
		return -1;
	}
	if (stat(u->path, &st) == 0) {
		u->dev = st.st_dev;
		u->ino = st.st_ino;
		u->size = st.st_size;
		u->mtime = st.st_mtim;
	}
	pthread_rwlock_init(&u->lock, NULL);
	*out = u;
	return 0;
}

void users_close(struct users *u)
{
	if (!u)
		return;
	table_free(&u->table);
	pthread_rwlock_destroy(&u->lock);
	free(u);
}

/* Reloads the file if it was replaced since the last look (at most once a second). */
static void maybe_reload(struct users *u)
{
	long long now = (long long)time(NULL);
	struct user_table nt;
	char err[512];
	struct stat st;
	bool same;

	if (now < atomic_load(&u->next_check))
		return;
	atomic_store(&u->next_check, now + 1);
	if (stat(u->path, &st) != 0)
		return;
	pthread_rwlock_rdlock(&u->lock);
	same = st.st_dev == u->dev && st.st_ino == u->ino && st.st_size == u->size &&
	       st.st_mtim.tv_sec == u->mtime.tv_sec && st.st_mtim.tv_nsec == u->mtime.tv_nsec;
	pthread_rwlock_unlock(&u->lock);
	if (same)
		return;
	if (table_load(u->path, &nt, err, sizeof(err)) != 0) {
		fprintf(stderr, "strata: keeping the previous users: %s\n", err);
		return;
	}
	pthread_rwlock_wrlock(&u->lock);
	table_free(&u->table);
	u->table = nt;
	u->dev = st.st_dev;
	u->ino = st.st_ino;
	u->size = st.st_size;
	u->mtime = st.st_mtim;
	pthread_rwlock_unlock(&u->lock);
}

bool users_lookup(struct users *u, const char *access_key, struct user *out)
{
	bool found = false;
	size_t i;

	maybe_reload(u);
	pthread_rwlock_rdlock(&u->lock);
	for (i = 0; i < u->table.n; i++) {
		if (strcmp(u->table.items[i].access_key, access_key) == 0) {
			*out = u->table.items[i];
			found = true;
			break;
		}
	}
	pthread_rwlock_unlock(&u->lock);
	return found;
}

size_t users_count(struct users *u)
{
	size_t n;

	maybe_reload(u);
	pthread_rwlock_rdlock(&u->lock);
	n = u->table.n;
	pthread_rwlock_unlock(&u->lock);
	return n;
}

/* Uniform random characters from alphabet (rejection sampling: no modulo bias). */
static int random_chars(char *out, size_t n, const char *alphabet)
{
	size_t alen = strlen(alphabet), limit = 256 - 256 % alen, i = 0;
	unsigned char b[64];

	while (i < n) {
		size_t j;

		if (RAND_bytes(b, sizeof(b)) != 1)
			return -1;
		for (j = 0; j < sizeof(b) && i < n; j++)
			if (b[j] < limit)
				out[i++] = alphabet[b[j] % alen];
	}
	out[n] = '\0';
	OPENSSL_cleanse(b, sizeof(b));
	return 0;
}

/* Writes the table to a temporary, fsyncs it, renames it over the file, fsyncs the dir. */
static int table_store(const char *data_dir, const char *path, const struct user_table *t,
		       char *err, size_t errlen)
{
	char tmp[STRATA_MAX_PATH];
	FILE *f = NULL;
	int fd = -1, dfd, rc = -1;
	size_t i;

	if (path_join(tmp, sizeof(tmp), data_dir, CREDENTIALS_FILE ".tmp") != 0)
		goto fail;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		goto fail;
	fd = -1;
	fprintf(f, "# Strata users: name access_key secret_key. Edit with 'strata user'.\n");
	for (i = 0; i < t->n; i++)
		fprintf(f, "%s %s %s\n", t->items[i].name, t->items[i].access_key,
			t->items[i].secret);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		goto fail;
	if (fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	if (rename(tmp, path) != 0)
		goto fail;
	dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
fail:
	if (rc != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Serializes editors (CLI and server start) with an exclusive lock file. */
static int lock_store(const char *data_dir, char *err, size_t errlen)
{
	char path[STRATA_MAX_PATH];
	int fd;

	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", data_dir, strerror(errno));
		return -1;
	}
	if (path_join(path, sizeof(path), data_dir, CREDENTIALS_FILE ".lock") != 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		snprintf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int users_add(const char *data_dir, const char *name, const char *access_key, const char *secret,
	      bool replace, struct user *out, char *err, size_t errlen)
{
	struct user_table t = {NULL, 0};
	char path[STRATA_MAX_PATH];
	struct user nu = {0};
	size_t i, slot;
	int lock, rc = -1;

	if (!users_name_valid(name)) {
		snprintf(err, errlen, "invalid user name '%s' (1-64 of A-Z a-z 0-9 . _ -)", name);
		return -1;
	}
	if ((access_key && !key_valid(access_key, 3, STRATA_MAX_ACCESS_KEY_LEN)) ||
	    (secret && !key_valid(secret, STRATA_MIN_SECRET_KEY_LEN, STRATA_MAX_SECRET_KEY_LEN))) {
		snprintf(err, errlen,
			 "access keys need 3-128 and secret keys 8-128 printable characters "
			 "without spaces");
		return -1;
	}
	str_copy(nu.name, sizeof(nu.name), name);
	if (access_key)
		str_copy(nu.access_key, sizeof(nu.access_key), access_key);
	else if (random_chars(nu.access_key, 20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != 0)
		return -1;
	if (secret)
		str_copy(nu.secret, sizeof(nu.secret), secret);
	else if (random_chars(nu.secret, 40,
			      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
		 0)
		return -1;

	lock = lock_store(data_dir, err, errlen);
	if (lock < 0)
		return -1;
	if (path_join(path, sizeof(path), data_dir, CREDENTIALS_FILE) != 0 ||
	    table_load(path, &t, err, errlen) != 0)
		goto out;
	if (!t.items && !(t.items = calloc(STRATA_MAX_USERS, sizeof(*t.items))))
		goto out;
	slot = t.n;
	for (i = 0; i < t.n; i++) {
		if (strcmp(t.items[i].name, name) == 0) {
			if (!replace) {
				snprintf(err, errlen, "user '%s' already exists", name);
				goto out;
			}
			slot = i;
		} else if (strcmp(t.items[i].access_key, nu.access_key) == 0) {
			snprintf(err, errlen, "access key already belongs to user '%s'",
				 t.items[i].name);
			goto out;
		}
	}
	if (slot == STRATA_MAX_USERS) {
		snprintf(err, errlen, "too many users (%u)", STRATA_MAX_USERS);
		goto out;
	}
	t.items[slot] = nu;
	if (slot == t.n)
		t.n++;
	if (table_store(data_dir, path, &t, err, errlen) != 0)
		goto out;
	if (out)
		*out = nu;
	rc = 0;
out:
	OPENSSL_cleanse(&nu, sizeof(nu));
	table_free(&t);
	close(lock);
	return rc;
}

int users_remove(const char *data_dir, const char *name, char *err, size_t errlen)
{
	struct user_table t = {NULL, 0};
	char path[STRATA_MAX_PATH];
	size_t i;
	int lock, rc = -1;

	lock = lock_store(data_dir, err, errlen);
	if (lock < 0)
		return -1;
	if (path_join(path, sizeof(path), data_dir, CREDENTIALS_FILE) != 0 ||
	    table_load(path, &t, err, errlen) != 0)
		goto out;
	for (i = 0; i < t.n; i++)
		if (strcmp(t.items[i].name, name) == 0)
			break;
	if (i == t.n) {
		snprintf(err, errlen, "no user '%s'", name);
		goto out;
	}
	memmove(&t.items[i], &t.items[i + 1], (t.n - i - 1) * sizeof(*t.items));
	t.n--;
	rc = table_store(data_dir, path, &t, err, errlen);
out:
	table_free(&t);
	close(lock);
	return rc;
}

int users_each(const char *data_dir, void (*fn)(void *ctx, const struct user *u), void *ctx,
	       char *err, size_t errlen)
{
	struct user_table t = {NULL, 0};
	char path[STRATA_MAX_PATH];
	size_t i;

	if (path_join(path, sizeof(path), data_dir, CREDENTIALS_FILE) != 0 ||
	    table_load(path, &t, err, errlen) != 0)
		return -1;
	for (i = 0; i < t.n; i++)
		fn(ctx, &t.items[i]);
	table_free(&t);
	return 0;
}

void users_owner_id(const char *name, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(name, strlen(name), md, &len, EVP_sha256(), NULL);
	hex_encode(md, sizeof(md), out);
}
