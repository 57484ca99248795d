/*
 * keyring: the SSE-S3 master key file and data-key wrapping (format in keyring.h).
 *
 * Key bytes live in one calloc'ed struct keyring and in short-lived stack
 * buffers; every buffer that held key bytes or their base64 (lines read,
 * the stdio buffer, the file text written) is cleansed before it is freed
 * or goes out of scope.
 */
#include "keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ciphers.h"
#include "limits.h"
#include "strutil.h"

#define DK_AAD_PREFIX "strata-dk-v1" /* followed by its NUL, then the key id */
#define GCM_NONCE_SIZE 12u
#define GCM_TAG_SIZE 16u
#define KEY_B64_LEN 44u /* base64 of 32 bytes, with its one '=' */
#define ID_TRIES 16	/* random suffixes tried before giving up on a unique id */
#define FILE_HEADER                                                                                \
	"# Strata SSE-S3 master keys, one '<id> <base64 of 32 bytes>' per line; the last key "     \
	"wraps new data keys.\n# Keep this file mode 0600 and back it up: objects encrypted "      \
	"under a lost key cannot be read.\n"

struct key_entry {
	char id[KEYRING_ID_MAX];
	uint8_t key[KEYRING_KEY_SIZE];
};

struct keyring {
	size_t n; /* 1..KEYRING_MAX_KEYS once loaded; keys[n - 1] is current */
	struct key_entry keys[KEYRING_MAX_KEYS];
};

/* Writes a printf-style message into why[why_len] (cut if too long). NULL or 0 is fine. */
static void __attribute__((format(printf, 3, 4)))
set_why(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (!why || why_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

/* --- loading --- */

static bool id_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= KEYRING_ID_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static const struct key_entry *find_key(const struct keyring *k, const char *id)
{
	size_t i;

	if (!id)
		return NULL;
	for (i = 0; i < k->n; i++)
		if (strcmp(k->keys[i].id, id) == 0)
			return &k->keys[i];
	return NULL;
}

enum line_result { LINE_OK, LINE_EOF, LINE_TOO_LONG, LINE_NUL, LINE_IO };

/*
 * Reads one line without its newline into buf[cap] (NUL-terminated). A
 * last line without a newline counts. A NUL byte is refused: it would cut
 * the line short without anyone seeing it in an editor.
 */
static enum line_result read_line(FILE *f, char *buf, size_t cap)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (c == '\0')
			return LINE_NUL;
		if (n + 1 >= cap)
			return LINE_TOO_LONG;
		buf[n++] = (char)c;
	}
	if (c == EOF && ferror(f))
		return LINE_IO;
	if (c == EOF && n == 0)
		return LINE_EOF;
	buf[n] = '\0';
	return LINE_OK;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Parses one line of the key file into k (comments and blank lines add
 * nothing). The why texts name the rule, never the key text.
 */
static s3err_t parse_line(struct keyring *k, char *line, unsigned lineno, char *why, size_t why_len)
{
	const char *id, *key;
	size_t id_len, key_len, got = 0;
	struct key_entry *e;
	char *p = line;
	s3err_t err = S3E_InternalError;

	while (is_blank(*p))
		p++;
	if (*p == '\0' || *p == '#') {
		err = S3E_OK; /* blank or comment: no key */
		goto out;
	}
	id = p;
	while (*p && !is_blank(*p))
		p++;
	id_len = (size_t)(p - id);
	while (is_blank(*p))
		p++;
	key = p;
	while (*p && !is_blank(*p))
		p++;
	key_len = (size_t)(p - key);
	while (is_blank(*p))
		p++;
	if (key_len == 0 || *p != '\0') {
		set_why(why, why_len, "keys: line %u: expected '<id> <base64 of 32 bytes>'",
			lineno);
		goto out;
	}
	if (!id_valid(id, id_len)) {
		set_why(why, why_len,
			"keys: line %u: a key id is 1..%u characters of A-Z a-z 0-9 . _ -", lineno,
			KEYRING_ID_MAX - 1);
		goto out;
	}
	if (k->n == KEYRING_MAX_KEYS) {
		set_why(why, why_len, "keys: line %u: more than %u keys", lineno, KEYRING_MAX_KEYS);
		goto out;
	}
	e = &k->keys[k->n];
	memcpy(e->id, id, id_len);
	e->id[id_len] = '\0';
	if (find_key(k, e->id)) {
		set_why(why, why_len, "keys: line %u: duplicate key id '%s'", lineno, e->id);
		goto out;
	}
	/* Strict base64 with a cap of 32: anything longer fails before decoding. */
	if (!base64_decode(key, key_len, e->key, KEYRING_KEY_SIZE, &got) ||
	    got != KEYRING_KEY_SIZE) {
		set_why(why, why_len, "keys: line %u: key is not %u bytes of base64", lineno,
			KEYRING_KEY_SIZE);
		goto out;
	}
	k->n++;
	err = S3E_OK;
out:
	if (err != S3E_OK && k->n < KEYRING_MAX_KEYS)
		OPENSSL_cleanse(&k->keys[k->n], sizeof(k->keys[k->n]));
	return err;
}

/* Reads every line of f into k; why says which line broke which rule. */
static s3err_t parse_file(FILE *f, struct keyring *k, char *why, size_t why_len)
{
	char line[KEYRING_LINE_MAX + 1];
	unsigned lineno = 0;
	enum line_result r;
	s3err_t err = S3E_InternalError;

	for (;;) {
		r = read_line(f, line, sizeof(line));
		if (r == LINE_EOF)
			break;
		lineno++;
		if (r == LINE_TOO_LONG) {
			set_why(why, why_len, "keys: line %u: longer than %u bytes", lineno,
				KEYRING_LINE_MAX);
			goto out;
		}
		if (r == LINE_NUL) {
			set_why(why, why_len, "keys: line %u: NUL byte", lineno);
			goto out;
		}
		if (r == LINE_IO) {
			set_why(why, why_len, "keys: line %u: read error: %s", lineno,
				strerror(errno));
			goto out;
		}
		if (parse_line(k, line, lineno, why, why_len) != S3E_OK)
			goto out;
	}
	if (k->n == 0) {
		set_why(why, why_len,
			"keys: no key in %u lines (expected '<id> <base64 of 32 bytes>' lines)",
			lineno);
		goto out;
	}
	err = S3E_OK;
out:
	OPENSSL_cleanse(line, sizeof(line));
	return err;
}

s3err_t keyring_load(const char *path, struct keyring **out, char *why, size_t why_len)
{
	char iobuf[BUFSIZ]; /* stdio's buffer, ours so that it can be cleansed */
	struct keyring *k = NULL;
	FILE *f = NULL;
	struct stat st;
	s3err_t err = S3E_InternalError;
	int fd;

	/* O_NONBLOCK: a FIFO planted at path must not hang the server before S_ISREG refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		set_why(why, why_len, "keys: cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	/* fstat the opened file, not the path: no swap between check and read. */
	if (fstat(fd, &st) != 0) {
		set_why(why, why_len, "keys: cannot stat %s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		set_why(why, why_len, "keys: %s is not a regular file", path);
		close(fd);
		goto out;
	}
	if (st.st_mode & 077) {
		set_why(why, why_len,
			"keys: mode %04o: the key file must not be readable or writable by group "
			"or others (chmod 600 %s)",
			(unsigned)(st.st_mode & 07777), path);
		close(fd);
		goto out;
	}
	f = fdopen(fd, "r");
	if (!f) {
		set_why(why, why_len, "keys: %s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	k = calloc(1, sizeof(*k));
	if (!k) {
		set_why(why, why_len, "keys: out of memory");
		goto out;
	}
	if (parse_file(f, k, why, why_len) != S3E_OK)
		goto out;
	*out = k;
	k = NULL;
	err = S3E_OK;
out:
	keyring_free(k);
	if (f)
		fclose(f);
	OPENSSL_cleanse(iobuf, sizeof(iobuf));
	return err;
}

/* --- the loaded keyring --- */

const char *keyring_current_id(const struct keyring *k)
{
	return k->keys[k->n - 1].id;
}

bool keyring_has(const struct keyring *k, const char *id)
{
	return find_key(k, id) != NULL;
}

size_t keyring_count(const struct keyring *k)
{
	return k->n;
}

const char *keyring_id_at(const struct keyring *k, size_t i)
{
	return i < k->n ? k->keys[i].id : NULL;
}

void keyring_free(struct keyring *k)
{
	if (!k)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/* --- editing the file --- */

/*
 * A new id, "k" + UTC YYYYMMDDTHHMMSS + "-" + 8 random hex, not yet in k.
 * Eight digits, not four: a key file lost and recreated within the second
 * its key was made (a test does that) must not get the old key's id, or
 * the start-up check would take it for a wrong key instead of a missing one.
 */
static s3err_t new_id(const struct keyring *k, char id[KEYRING_ID_MAX])
{
	char stamp[32], hex[9], cand[KEYRING_ID_MAX];
	uint8_t r[4];
	time_t now = time(NULL);
	struct tm tm;
	int i, n;

	if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm) == 0)
		return S3E_InternalError;
	for (i = 0; i < ID_TRIES; i++) {
		if (RAND_bytes(r, sizeof(r)) != 1)
			return S3E_InternalError;
		hex_encode(r, sizeof(r), hex);
		n = snprintf(cand, sizeof(cand), "k%s-%s", stamp, hex);
		if (n < 0 || (size_t)n >= sizeof(cand))
			return S3E_InternalError;
		if (!keyring_has(k, cand)) {
			memcpy(id, cand, sizeof(cand));
			return S3E_OK;
		}
	}
	return S3E_InternalError;
}

/* Appends a freshly generated key (it becomes current) and names it in id_out. */
static s3err_t append_new_key(struct keyring *k, char id_out[KEYRING_ID_MAX], char *why,
			      size_t why_len)
{
	struct key_entry *e;

	if (k->n == KEYRING_MAX_KEYS) {
		set_why(why, why_len, "keys: the file already holds %u keys: remove an old one",
			KEYRING_MAX_KEYS);
		return S3E_InternalError;
	}
	e = &k->keys[k->n];
	if (new_id(k, e->id) != S3E_OK || RAND_bytes(e->key, KEYRING_KEY_SIZE) != 1) {
		OPENSSL_cleanse(e, sizeof(*e));
		set_why(why, why_len, "keys: cannot generate a key (random generator failed)");
		return S3E_InternalError;
	}
	k->n++;
	memcpy(id_out, e->id, KEYRING_ID_MAX);
	return S3E_OK;
}

/* Appends s[0..len) to buf[cap] at *off; false if it does not fit. */
static bool put(char *buf, size_t cap, size_t *off, const char *s, size_t len)
{
	if (len > cap - *off)
		return false;
	memcpy(buf + *off, s, len);
	*off += len;
	return true;
}

/* Writes all of buf[0..len) to fd, across short writes and EINTR. */
static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Writes the header and every key of k to fd (the temporary file). */
static s3err_t write_keys(int fd, const struct keyring *k)
{
	char text[sizeof(FILE_HEADER) + KEYRING_MAX_KEYS * (KEYRING_ID_MAX + KEY_B64_LEN + 2)];
	char b64[KEY_B64_LEN + 1];
	size_t off = 0, i, n;
	bool ok;
	s3err_t err = S3E_InternalError;

	ok = put(text, sizeof(text), &off, FILE_HEADER, sizeof(FILE_HEADER) - 1);
	for (i = 0; ok && i < k->n; i++) {
		n = base64_encode(k->keys[i].key, KEYRING_KEY_SIZE, b64);
		ok = put(text, sizeof(text), &off, k->keys[i].id, strlen(k->keys[i].id)) &&
		     put(text, sizeof(text), &off, " ", 1) &&
		     put(text, sizeof(text), &off, b64, n) &&
		     put(text, sizeof(text), &off, "\n", 1);
	}
	if (!ok || write_all(fd, text, off) != 0)
		goto out;
	err = S3E_OK;
out:
	OPENSSL_cleanse(b64, sizeof(b64));
	OPENSSL_cleanse(text, sizeof(text));
	return err;
}

/* fsyncs the directory holding path, so that a rename or link into it is durable. */
static int fsync_dir(const char *path)
{
	char dir[STRATA_MAX_PATH];
	char *slash;
	int fd, rc;

	if (!str_copy(dir, sizeof(dir), path))
		return -1;
	slash = strrchr(dir, '/');
	if (!slash)
		str_copy(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * Starts an edit: creates path.tmp (O_EXCL, 0600) into *fd and its name
 * into tmp. The O_EXCL create is also the editors' lock, so callers load
 * the file only after it succeeded: two editors cannot both read the old
 * keys and the second rename drop the first's new key.
 */
static s3err_t edit_begin(const char *path, char tmp[STRATA_MAX_PATH], int *fd, char *why,
			  size_t why_len)
{
	int n = snprintf(tmp, STRATA_MAX_PATH, "%s.tmp", path);

	if (n < 0 || (size_t)n >= STRATA_MAX_PATH) {
		set_why(why, why_len, "keys: path too long");
		return S3E_InternalError;
	}
	*fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0) {
		if (errno == EEXIST)
			set_why(why, why_len,
				"keys: %s exists: another key edit is running, or one crashed "
				"(then remove it)",
				tmp);
		else
			set_why(why, why_len, "keys: cannot create %s: %s", tmp, strerror(errno));
		return S3E_InternalError;
	}
	return S3E_OK;
}

/*
 * Finishes an edit: writes k into the temporary (fd, closed here), fsyncs
 * it and publishes it at path: rename over the old file, or link when
 * no_replace (keyring_create: link fails if path appeared meanwhile, where
 * rename would silently destroy someone's keys). Then fsyncs the
 * directory. The temporary is removed on every path.
 */
static s3err_t edit_commit(const char *path, const char *tmp, int fd, const struct keyring *k,
			   bool no_replace, char *why, size_t why_len)
{
	s3err_t err = S3E_InternalError;
	int rc;

	if (write_keys(fd, k) != S3E_OK || fsync(fd) != 0) {
		set_why(why, why_len, "keys: cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) != 0) {
		set_why(why, why_len, "keys: cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = no_replace ? link(tmp, path) : rename(tmp, path);
	if (rc != 0) {
		if (no_replace && errno == EEXIST)
			set_why(why, why_len, "keys: %s already exists", path);
		else
			set_why(why, why_len, "keys: cannot replace %s: %s", path, strerror(errno));
		goto out;
	}
	if (fsync_dir(path) != 0) {
		set_why(why, why_len,
			"keys: %s was written but fsync of its directory failed: %s (run the "
			"command again to be sure)",
			path, strerror(errno));
		goto out;
	}
	err = S3E_OK;
out:
	unlink(tmp); /* after a rename there is nothing left to remove */
	return err;
}

/*
 * Gives the temporary the owner of the file it replaces. An edit run as
 * root (sudo) would otherwise leave a root-owned 0600 file the server's
 * user cannot read at its next start.
 */
static s3err_t keep_owner(const char *path, int fd, char *why, size_t why_len)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		set_why(why, why_len, "keys: cannot stat %s: %s", path, strerror(errno));
		return S3E_InternalError;
	}
	if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(fd, st.st_uid, st.st_gid) != 0) {
		set_why(why, why_len, "keys: cannot give the new %s its owner: %s", path,
			strerror(errno));
		return S3E_InternalError;
	}
	return S3E_OK;
}

/* Drops an edit that failed before edit_commit. */
static void edit_abort(const char *tmp, int fd)
{
	close(fd);
	unlink(tmp);
}

s3err_t keyring_create(const char *path, char *why, size_t why_len)
{
	char tmp[STRATA_MAX_PATH], id[KEYRING_ID_MAX];
	struct keyring *k = NULL;
	struct stat st;
	s3err_t err = S3E_InternalError;
	int fd = -1;

	if (lstat(path, &st) == 0) {
		set_why(why, why_len, "keys: %s already exists", path);
		goto out;
	}
	if (edit_begin(path, tmp, &fd, why, why_len) != S3E_OK)
		goto out;
	k = calloc(1, sizeof(*k));
	if (!k) {
		set_why(why, why_len, "keys: out of memory");
		edit_abort(tmp, fd);
		goto out;
	}
	if (append_new_key(k, id, why, why_len) != S3E_OK) {
		edit_abort(tmp, fd);
		goto out;
	}
	err = edit_commit(path, tmp, fd, k, true, why, why_len);
out:
	keyring_free(k);
	return err;
}

s3err_t keyring_add_key(const char *path, char id_out[KEYRING_ID_MAX], char *why, size_t why_len)
{
	char tmp[STRATA_MAX_PATH], id[KEYRING_ID_MAX];
	struct keyring *k = NULL;
	s3err_t err = S3E_InternalError;
	int fd = -1;

	if (edit_begin(path, tmp, &fd, why, why_len) != S3E_OK)
		goto out;
	if (keyring_load(path, &k, why, why_len) != S3E_OK ||
	    keep_owner(path, fd, why, why_len) != S3E_OK ||
	    append_new_key(k, id, why, why_len) != S3E_OK) {
		edit_abort(tmp, fd);
		goto out;
	}
	err = edit_commit(path, tmp, fd, k, false, why, why_len);
	if (err == S3E_OK)
		memcpy(id_out, id, KEYRING_ID_MAX);
out:
	keyring_free(k);
	return err;
}

s3err_t keyring_remove_key(const char *path, const char *id, char *why, size_t why_len)
{
	char tmp[STRATA_MAX_PATH];
	struct keyring *k = NULL;
	size_t i;
	s3err_t err = S3E_InternalError;
	int fd = -1;

	if (edit_begin(path, tmp, &fd, why, why_len) != S3E_OK)
		goto out;
	if (keyring_load(path, &k, why, why_len) != S3E_OK ||
	    keep_owner(path, fd, why, why_len) != S3E_OK) {
		edit_abort(tmp, fd);
		goto out;
	}
	for (i = 0; i < k->n; i++)
		if (strcmp(k->keys[i].id, id) == 0)
			break;
	if (i == k->n) {
		/* Ids are checked before being echoed: the argument may be anything. */
		if (id_valid(id, strlen(id)))
			set_why(why, why_len, "keys: no key '%s' in %s", id, path);
		else
			set_why(why, why_len, "keys: no such key in %s", path);
		edit_abort(tmp, fd);
		goto out;
	}
	if (i == k->n - 1) {
		set_why(why, why_len,
			"keys: '%s' is the current key: add a new key before removing it", id);
		edit_abort(tmp, fd);
		goto out;
	}
	memmove(&k->keys[i], &k->keys[i + 1], (k->n - i - 1) * sizeof(k->keys[0]));
	k->n--;
	OPENSSL_cleanse(&k->keys[k->n], sizeof(k->keys[0]));
	err = edit_commit(path, tmp, fd, k, false, why, why_len);
out:
	keyring_free(k);
	return err;
}

/* --- wrapping --- */

/* AAD = "strata-dk-v1" || NUL || id into aad; returns its length. */
static size_t make_aad(const char *id, uint8_t aad[sizeof(DK_AAD_PREFIX) + KEYRING_ID_MAX])
{
	size_t n = strlen(id);

	memcpy(aad, DK_AAD_PREFIX, sizeof(DK_AAD_PREFIX)); /* with its NUL */
	memcpy(aad + sizeof(DK_AAD_PREFIX), id, n);
	return sizeof(DK_AAD_PREFIX) + n;
}

/* Seals data_key under e into out = nonce || ct || tag. One EVP context per call. */
static s3err_t seal(const struct key_entry *e, const uint8_t data_key[KEYRING_KEY_SIZE],
		    uint8_t out[KEYRING_WRAPPED_SIZE])
{
	uint8_t aad[sizeof(DK_AAD_PREFIX) + KEYRING_ID_MAX];
	uint8_t *nonce = out, *ct = out + GCM_NONCE_SIZE, *tag = ct + KEYRING_KEY_SIZE;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t aad_len = make_aad(e->id, aad);
	s3err_t err = S3E_InternalError;
	int len, fin;

	if (RAND_bytes(nonce, GCM_NONCE_SIZE) != 1)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_EncryptInit_ex(ctx, ciphers_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_NONCE_SIZE, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, e->key, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1 ||
	    EVP_EncryptUpdate(ctx, ct, &len, data_key, KEYRING_KEY_SIZE) != 1 ||
	    len != KEYRING_KEY_SIZE || EVP_EncryptFinal_ex(ctx, ct + len, &fin) != 1 || fin != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_SIZE, tag) != 1)
		goto out;
	err = S3E_OK;
out:
	EVP_CIPHER_CTX_free(ctx); /* cleanses its key schedule */
	return err;
}

s3err_t keyring_wrap_with(const struct keyring *k, const char *key_id,
			  const uint8_t data_key[KEYRING_KEY_SIZE],
			  uint8_t wrapped[KEYRING_WRAPPED_SIZE])
{
	uint8_t out[KEYRING_WRAPPED_SIZE];
	const struct key_entry *e = find_key(k, key_id);
	s3err_t err = S3E_InternalError;

	if (!e || seal(e, data_key, out) != S3E_OK)
		goto out;
	memcpy(wrapped, out, sizeof(out));
	err = S3E_OK;
out:
	return err;
}

s3err_t keyring_wrap(const struct keyring *k, const uint8_t data_key[KEYRING_KEY_SIZE],
		     char key_id_out[KEYRING_ID_MAX], uint8_t wrapped[KEYRING_WRAPPED_SIZE])
{
	const struct key_entry *e = &k->keys[k->n - 1];
	s3err_t err;

	err = keyring_wrap_with(k, e->id, data_key, wrapped);
	if (err == S3E_OK)
		memcpy(key_id_out, e->id, KEYRING_ID_MAX);
	return err;
}

s3err_t keyring_unwrap(const struct keyring *k, const char *key_id, const uint8_t *wrapped,
		       size_t wrapped_len, uint8_t data_key[KEYRING_KEY_SIZE])
{
	uint8_t aad[sizeof(DK_AAD_PREFIX) + KEYRING_ID_MAX];
	uint8_t plain[KEYRING_KEY_SIZE], tag[GCM_TAG_SIZE];
	const struct key_entry *e = find_key(k, key_id);
	EVP_CIPHER_CTX *ctx = NULL;
	const uint8_t *ct;
	size_t aad_len;
	s3err_t err = S3E_InternalError;
	int len, fin;

	if (!e || !wrapped || wrapped_len != KEYRING_WRAPPED_SIZE)
		goto out;
	ct = wrapped + GCM_NONCE_SIZE;
	aad_len = make_aad(e->id, aad);
	memcpy(tag, ct + KEYRING_KEY_SIZE, GCM_TAG_SIZE); /* SET_TAG takes a non-const pointer */
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_DecryptInit_ex(ctx, ciphers_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_NONCE_SIZE, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, e->key, wrapped) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1 ||
	    EVP_DecryptUpdate(ctx, plain, &len, ct, KEYRING_KEY_SIZE) != 1 ||
	    len != KEYRING_KEY_SIZE ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_SIZE, tag) != 1)
		goto out;
	/* The tag check: plain is released only if it passes. */
	if (EVP_DecryptFinal_ex(ctx, plain + len, &fin) != 1 || fin != 0)
		goto out;
	memcpy(data_key, plain, KEYRING_KEY_SIZE);
	err = S3E_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(plain, sizeof(plain));
	return err;
}
