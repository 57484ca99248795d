/* audit: the hash-chained audit log and its verification (see audit.h). */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "httptime.h"
#include "limits.h"
#include "log.h"
#include "logfile.h"
#include "strutil.h"

#define SEQ_PREFIX "{\"seq\":"
#define PREV_OPEN ",\"prev\":\""
#define HASH_OPEN "\",\"hash\":\""
#define LINE_CLOSE "\"}"

static const char genesis[AUDIT_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct audit {
	pthread_mutex_t lock; /* guards the chain state; held across the line's write */
	struct logfile *file;
	uint64_t seq;	 /* of the last line written (0: none yet) */
	char prev[65];	 /* its hash (genesis before the first) */
	uint64_t lost;	 /* lines lost since the last one written */
	struct buf line; /* the line being built (under lock) */
};

/* hex SHA-256 of prev (64 ASCII hex) followed by body[0..len). */
static int chain_hash(const char *prev, const char *body, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(ctx, prev, AUDIT_HASH_HEX) == 1 &&
		 EVP_DigestUpdate(ctx, body, len) == 1 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;

	EVP_MD_CTX_free(ctx);
	if (!ok || mdlen != 32)
		return -1;
	hex_encode(md, 32, out);
	return 0;
}

static bool is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < AUDIT_HASH_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* --- checking --- */

void audit_chain_init(struct audit_chain *c)
{
	memset(c, 0, sizeof(*c));
}

/*
 * Splits a line into its hashed body, prev and hash, and reads its seq.
 * Returns a reason when the shape is wrong, NULL when it is right.
 */
static const char *parse_line(const char *line, size_t len, size_t *body_len, const char **prev,
			      const char **hash, uint64_t *seq)
{
	const char *tail, *digits;
	size_t ndigits = 0;

	if (len < sizeof(SEQ_PREFIX) - 1 + 3 + AUDIT_SUFFIX_LEN)
		return "malformed line: too short for an audit line";
	if (memchr(line, '\0', len))
		return "malformed line: it contains a NUL byte";
	tail = line + len - AUDIT_SUFFIX_LEN;
	*prev = tail + sizeof(PREV_OPEN) - 1;
	*hash = *prev + AUDIT_HASH_HEX + sizeof(HASH_OPEN) - 1;
	if (memcmp(tail, PREV_OPEN, sizeof(PREV_OPEN) - 1) != 0 || !is_hex64(*prev) ||
	    memcmp(*prev + AUDIT_HASH_HEX, HASH_OPEN, sizeof(HASH_OPEN) - 1) != 0 ||
	    !is_hex64(*hash) || memcmp(*hash + AUDIT_HASH_HEX, LINE_CLOSE, 2) != 0)
		return "malformed line: it does not end in ,\"prev\":\"<64 hex>\","
		       "\"hash\":\"<64 hex>\"}";
	*body_len = len - AUDIT_SUFFIX_LEN;
	if (memcmp(line, SEQ_PREFIX, sizeof(SEQ_PREFIX) - 1) != 0)
		return "malformed line: it does not start with {\"seq\":";
	digits = line + sizeof(SEQ_PREFIX) - 1;
	while (ndigits < 20 && digits + ndigits < tail && digits[ndigits] >= '0' &&
	       digits[ndigits] <= '9')
		ndigits++;
	if (digits + ndigits >= tail || digits[ndigits] != ',' ||
	    !parse_u64(digits, ndigits, 1, UINT64_MAX - 1, seq))
		return "malformed line: seq is not a number followed by more members";
	return NULL;
}

enum audit_verdict audit_check_line(struct audit_chain *c, const char *line, size_t len, char *why,
				    size_t whylen)
{
	const char *prev, *hash, *bad;
	char want[65];
	size_t body_len;
	uint64_t seq;

	if ((bad = parse_line(line, len, &body_len, &prev, &hash, &seq))) {
		snprintf(why, whylen, "%s", bad);
		return AUDIT_BAD;
	}
	if (chain_hash(prev, line, body_len, want) != 0) {
		snprintf(why, whylen, "cannot compute SHA-256");
		return AUDIT_IO;
	}
	/* Not a secret, but compared like one all the same (STYLE item 7). */
	if (CRYPTO_memcmp(want, hash, AUDIT_HASH_HEX) != 0) {
		snprintf(why, whylen, "hash mismatch: the line was changed after it was written");
		return AUDIT_BAD;
	}
	if (c->hash[0] && (memcmp(prev, c->hash, AUDIT_HASH_HEX) != 0 || seq != c->seq + 1)) {
		snprintf(why, whylen,
			 "broken link: seq %llu after seq %llu%s: a line before it was removed, "
			 "or lines were inserted or reordered",
			 (unsigned long long)seq, (unsigned long long)c->seq,
			 memcmp(prev, c->hash, AUDIT_HASH_HEX) != 0
			     ? ", and its prev is not the hash of the line before"
			     : "");
		return AUDIT_BAD;
	}
	if (!c->hash[0]) {
		c->first_seq = seq;
		memcpy(c->first_prev, prev, AUDIT_HASH_HEX);
		c->first_prev[AUDIT_HASH_HEX] = '\0';
	}
	c->seq = seq;
	memcpy(c->hash, hash, AUDIT_HASH_HEX);
	c->hash[AUDIT_HASH_HEX] = '\0';
	c->lines++;
	return AUDIT_OK;
}

/*
 * Reads the next line of f into line[cap] without its '\n'. Returns 1 for a
 * line, 0 at the end, -1 for a read error; *cut is set for a last line
 * without '\n' and *too_long for a line of cap bytes or more.
 */
static int next_line(FILE *f, char *line, size_t cap, size_t *len, bool *cut, bool *too_long)
{
	int ch;

	*len = 0;
	*cut = *too_long = false;
	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (*len + 1 >= cap) {
			*too_long = true;
			continue; /* skip to the end of the line */
		}
		line[(*len)++] = (char)ch;
	}
	if (ferror(f))
		return -1;
	if (ch == EOF) {
		if (*len == 0 && !*too_long)
			return 0;
		*cut = true;
	}
	return 1;
}

enum audit_verdict audit_verify_file(struct audit_chain *c, const char *path, uint64_t *line_no,
				     char *why, size_t whylen)
{
	enum audit_verdict v = AUDIT_OK;
	char *line = malloc(STRATA_MAX_LOG_LINE + 1);
	FILE *f = fopen(path, "rbe");
	bool cut, too_long;
	uint64_t n = 0;
	size_t len;
	int rc;

	*line_no = 0;
	if (!f || !line) {
		snprintf(why, whylen, "cannot read: %s", f ? "out of memory" : strerror(errno));
		v = AUDIT_IO;
		goto out;
	}
	while ((rc = next_line(f, line, STRATA_MAX_LOG_LINE + 1, &len, &cut, &too_long)) > 0) {
		n++;
		if (too_long) {
			snprintf(why, whylen, "line longer than %u bytes", STRATA_MAX_LOG_LINE);
			v = AUDIT_BAD;
		} else if (cut) {
			snprintf(why, whylen,
				 "the last line is cut off (no newline): the file was "
				 "truncated, or a write did not finish");
			v = AUDIT_BAD;
		} else {
			v = audit_check_line(c, line, len, why, whylen);
		}
		if (v != AUDIT_OK) {
			*line_no = n;
			goto out;
		}
	}
	if (rc < 0) {
		snprintf(why, whylen, "read error after line %llu", (unsigned long long)n);
		v = AUDIT_IO;
	}
out:
	if (f)
		fclose(f);
	free(line);
	return v;
}

/* --- writing --- */

/*
 * The last line of an existing log, checked on its own (its prev is taken as
 * given): where the chain goes on. An empty or absent file leaves c empty.
 * Returns -1 with why when the file cannot be continued.
 */
static int read_tail(const char *path, struct audit_chain *c, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n, start;
	struct stat st;
	char *tail = NULL;
	ssize_t got;
	int rc = -1;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "cannot read it: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, whylen, "cannot stat it: %s", strerror(errno));
		goto out;
	}
	if (st.st_size == 0) {
		rc = 0;
		goto out;
	}
	n = (uint64_t)st.st_size < STRATA_MAX_LOG_LINE + 1 ? (size_t)st.st_size
							   : STRATA_MAX_LOG_LINE + 1;
	if (!(tail = malloc(n))) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	got = pread(fd, tail, n, st.st_size - (off_t)n);
	if (got != (ssize_t)n) {
		snprintf(why, whylen, "cannot read its end: %s",
			 got < 0 ? strerror(errno) : "short");
		goto out;
	}
	if (tail[n - 1] != '\n') {
		snprintf(why, whylen, "its last line is cut off (no newline)");
		goto out;
	}
	for (start = n - 1; start > 0 && tail[start - 1] != '\n'; start--)
		;
	if (start == 0 && n < (uint64_t)st.st_size) {
		snprintf(why, whylen, "its last line is longer than %u bytes", STRATA_MAX_LOG_LINE);
		goto out;
	}
	if (audit_check_line(c, tail + start, n - 1 - start, why, whylen) != AUDIT_OK)
		goto out;
	rc = 0;
out:
	free(tail);
	close(fd);
	return rc;
}

int audit_open(const char *path, struct audit **out)
{
	struct audit_chain c;
	struct audit *a;
	char why[256];

	audit_chain_init(&c);
	if (read_tail(path, &c, why, sizeof(why)) != 0) {
		log_error("audit",
			  "cannot continue the audit log %s: %s. Check it with `strata audit "
			  "verify %s`, move it aside, and start again",
			  path, why, path);
		return -1;
	}
	if (!(a = calloc(1, sizeof(*a)))) {
		log_error("audit", "out of memory");
		return -1;
	}
	if (logfile_open(path, LOGFILE_AUDIT, &a->file) != 0) {
		free(a);
		return -1;
	}
	pthread_mutex_init(&a->lock, NULL);
	buf_init(&a->line, STRATA_MAX_LOG_LINE, S3E_InternalError);
	a->seq = c.seq;
	memcpy(a->prev, c.hash[0] ? c.hash : genesis, sizeof(a->prev));
	if (c.hash[0])
		log_info("audit", "audit log %s: continuing the chain after seq %llu", path,
			 (unsigned long long)c.seq);
	*out = a;
	return 0;
}

/* Builds and writes one chained line; called with the lock held. */
static int write_chained(struct audit *a, const char *members, size_t len)
{
	char hash[65];

	buf_reset(&a->line);
	if (len == 0 || buf_addf(&a->line, SEQ_PREFIX "%llu,", (unsigned long long)a->seq + 1) ||
	    buf_add(&a->line, members, len) ||
	    chain_hash(a->prev, a->line.data, a->line.len, hash) != 0 ||
	    buf_addf(&a->line, PREV_OPEN "%s" HASH_OPEN "%s" LINE_CLOSE "\n", a->prev, hash)) {
		log_error("audit", "an audit line could not be built (%zu bytes of members)", len);
		return -1;
	}
	if (logfile_write_line(a->file, a->line.data, a->line.len) != 0)
		return -1;
	a->seq++;
	memcpy(a->prev, hash, sizeof(a->prev));
	return 0;
}

/* The record of lines lost to write errors, chained like any line. */
static int write_gap(struct audit *a)
{
	char now[25], members[128];
	int n;

	httptime_format_iso_ms(httptime_now_ms(), now);
	n = snprintf(members, sizeof(members),
		     "\"time\":\"%s\",\"event\":\"audit_lines_lost\",\"lost\":%llu", now,
		     (unsigned long long)a->lost);
	return write_chained(a, members, (size_t)n);
}

int audit_append(struct audit *a, const char *members, size_t len)
{
	int rc = -1;

	pthread_mutex_lock(&a->lock);
	if (a->lost && write_gap(a) != 0)
		goto out;
	a->lost = 0;
	rc = write_chained(a, members, len);
out:
	if (rc != 0)
		a->lost++;
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int audit_reopen(struct audit *a)
{
	return logfile_reopen(a->file);
}

void audit_free(struct audit *a)
{
	if (!a)
		return;
	logfile_free(a->file);
	buf_free(&a->line);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
