/* versions: version ids and the ListObjectVersions engine (rules in versions.h). */
#include "versions.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* 64 characters, so that each carries 6 random bits; none needs escaping in XML or URLs. */
static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";

_Static_assert(sizeof(alphabet) == 65, "six bits per character");
_Static_assert(VERSIONS_ID_LEN < STRATA_VERSION_ID_MAX, "an id fits its buffer");

s3err_t versions_id_new(char out[STRATA_VERSION_ID_MAX])
{
	unsigned char raw[VERSIONS_ID_LEN * 6 / 8];
	size_t i, bit = 0;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return S3E_InternalError;
	for (i = 0; i < VERSIONS_ID_LEN; i++, bit += 6) {
		unsigned v = (unsigned)raw[bit / 8] << 8;

		if (bit / 8 + 1 < sizeof(raw))
			v |= raw[bit / 8 + 1];
		out[i] = alphabet[(v >> (10 - bit % 8)) & 63u];
	}
	out[VERSIONS_ID_LEN] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return S3E_OK;
}

bool versions_id_valid(const char *s)
{
	size_t i;

	for (i = 0; i < STRATA_VERSION_ID_MAX - 1 && s[i]; i++)
		if (!memchr(alphabet, s[i], sizeof(alphabet) - 1) && s[i] != '-')
			return false;
	return i > 0 && !s[i];
}

/* --- the listing engine --- */

struct run {
	const struct versions_query *q;
	struct versions_result *res;
	size_t visits;
	bool stop;	/* the page is full (truncated) */
	char *seek;	/* set: continue at keys >= seek (a CommonPrefix was folded), owned */
	bool seek_end;	/* a CommonPrefix with no successor: nothing after it */
	char *last_key; /* the last version visited (position of the next chunk), owned */
	char last_vid[STRATA_VERSION_ID_MAX];
	s3err_t err;
};

/* Whether some string is above every string starting with p[0..len): p is not all 0xff. */
static bool has_upper(const char *p, size_t len)
{
	while (len > 0 && (unsigned char)p[len - 1] == 0xff)
		len--;
	return len > 0;
}

/* The smallest string above every string starting with p[0..len) (has_upper), or NULL. */
static char *upper_of(const char *p, size_t len)
{
	char *u;

	while (len > 0 && (unsigned char)p[len - 1] == 0xff)
		len--;
	if (len == 0)
		return NULL;
	u = malloc(len + 1);
	if (!u)
		return NULL;
	memcpy(u, p, len);
	u[len - 1] = (char)((unsigned char)u[len - 1] + 1);
	u[len] = '\0';
	return u;
}

static bool add_entry(struct run *st, const char *key, size_t len, bool is_prefix,
		      const struct obj_meta *m, bool latest)
{
	struct versions_entry *e = &st->res->entries[st->res->n];

	e->key = malloc(len + 1);
	if (!e->key) {
		st->err = S3E_InternalError;
		return false;
	}
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	e->is_prefix = is_prefix;
	e->is_latest = latest;
	if (m) {
		e->meta = *m;
		e->meta.headers = NULL;
		e->meta.headers_len = 0;
	}
	st->res->n++;
	return true;
}

static bool visit(void *vctx, const char *key, const struct obj_meta *m, bool latest)
{
	struct run *st = vctx;
	const struct versions_query *q = st->q;
	size_t plen = strlen(q->prefix);
	const char *d = q->delimiter[0] ? strstr(key + plen, q->delimiter) : NULL;

	st->visits++;
	if (d) {
		size_t cplen = (size_t)(d - key) + strlen(q->delimiter);

		/* Folded, then skipped: seek past every key that shares it. */
		st->seek_end = !has_upper(key, cplen);
		if (!st->seek_end && !(st->seek = upper_of(key, cplen))) {
			st->err = S3E_InternalError;
			return false;
		}
		if (strncmp(q->key_marker, key, cplen) == 0 && strlen(q->key_marker) >= cplen)
			return false; /* listed by an earlier page */
		if (st->res->n == q->max_keys) {
			st->stop = true;
			return false;
		}
		add_entry(st, key, cplen, true, NULL, false);
		return false;
	}
	if (st->res->n == q->max_keys) {
		st->stop = true;
		return false;
	}
	if (!m) { /* a scan hands every version its metadata; only prefixes go without */
		st->err = S3E_InternalError;
		return false;
	}
	if (!add_entry(st, key, strlen(key), false, m, latest))
		return false;
	free(st->last_key);
	st->last_key = strdup(key);
	if (!st->last_key) {
		st->err = S3E_InternalError;
		return false;
	}
	memcpy(st->last_vid, m->version_id, sizeof(st->last_vid));
	st->last_vid[sizeof(st->last_vid) - 1] = '\0';
	return true;
}

/* Sets the next markers from the last entry of a truncated page. */
static s3err_t set_next(struct versions_result *res)
{
	const struct versions_entry *e = &res->entries[res->n - 1];

	res->next_key_marker = strdup(e->key);
	if (!res->next_key_marker)
		return S3E_InternalError;
	if (!e->is_prefix)
		memcpy(res->next_vid_marker, e->meta.version_id, sizeof(res->next_vid_marker));
	return S3E_OK;
}

s3err_t versions_list_run(const struct versions_query *q, versions_scan_fn scan, void *sctx,
			  struct versions_result *out)
{
	struct versions_result res = {0};
	struct run st = {0};
	char *pos_key = NULL, pos_vid_buf[STRATA_VERSION_ID_MAX];
	const char *pos_vid;
	s3err_t err = S3E_OK;
	size_t chunk;

	st.q = q;
	st.res = &res;
	if (q->max_keys == 0)
		goto done;
	res.entries = calloc(q->max_keys, sizeof(*res.entries));
	if (!res.entries) {
		err = S3E_InternalError;
		goto out;
	}
	/* The first position: after the markers, or the first key with the prefix. */
	if (q->key_marker[0] && strcmp(q->key_marker, q->prefix) >= 0) {
		pos_key = strdup(q->key_marker);
		pos_vid = q->vid_marker;
	} else {
		pos_key = strdup(q->prefix);
		pos_vid = NULL;
	}
	if (!pos_key) {
		err = S3E_InternalError;
		goto out;
	}
	for (;;) {
		chunk = q->max_keys - res.n + 1;
		st.visits = 0;
		err = scan(sctx, pos_key, pos_vid, q->prefix, chunk, visit, &st);
		if (err == S3E_OK)
			err = st.err;
		if (err != S3E_OK || st.stop)
			break;
		free(pos_key);
		pos_key = NULL;
		if (st.seek || st.seek_end) {
			if (st.seek_end)
				break;
			pos_key = st.seek; /* keys >= the CommonPrefix's successor */
			st.seek = NULL;
			pos_vid = NULL;
			continue;
		}
		if (st.visits < chunk)
			break; /* the scan ran out */
		pos_key = strdup(st.last_key);
		/* A copy: the next scan's visits overwrite st.last_vid while it runs. */
		memcpy(pos_vid_buf, st.last_vid, sizeof(pos_vid_buf));
		pos_vid = pos_vid_buf;
		if (!pos_key) {
			err = S3E_InternalError;
			break;
		}
	}
	if (err != S3E_OK)
		goto out;
	res.truncated = st.stop;
	if (res.truncated && res.n > 0 && (err = set_next(&res)))
		goto out;
done:
	*out = res;
	res = (struct versions_result){0};
out:
	free(pos_key);
	free(st.seek);
	free(st.last_key);
	versions_result_free(&res);
	return err;
}

void versions_result_free(struct versions_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		free(r->entries[i].key);
	free(r->entries);
	free(r->next_key_marker);
	memset(r, 0, sizeof(*r));
}
