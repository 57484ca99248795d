/*
 * listing: S3 listing semantics (prefix, delimiter, marker, max-keys) over a
 * backend's seek primitive.
 *
 * Rules, with prefix P, delimiter D, marker M and max-keys N:
 *  1. Only keys that start with P and are > M (byte order) are visited.
 *  2. Without D every visited key is an entry. With D, a key K whose rest
 *     after P contains D at offset i folds into the CommonPrefix
 *     CP = K[0 : len(P) + i + len(D)]; each CP is one entry, however many
 *     keys it covers.
 *  3. The marker rule for CommonPrefixes: CP is an entry only if CP > M.
 *     Since every key folded into CP starts with CP and is > M, the one CP
 *     this removes is the CP that M itself lies inside (M starts with CP,
 *     M == CP included): e.g. keys a/b a/c b, D "/", M "a/b" list only "b",
 *     and M "a/" (a NextMarker that was a CommonPrefix) does not list "a/"
 *     again. Such a marker comes from an earlier page, which already returned
 *     that CP (or, when M came from a listing without D, the keys it covers
 *     up to M), so repeating it would show clients a duplicate directory.
 *     This is what Ceph RGW does (list_objects_ordered: "if marker points at
 *     a common prefix, fast forward it into its upper bound"), as do Scality
 *     Arsenal (the Delimiter algorithm cuts the marker to its CommonPrefix
 *     and skips that prefix) and versitygw (backend/walk.go, PR #806: aws-cli
 *     listed a CommonPrefix twice across pages); the ceph s3-tests case
 *     test_bucket_list_delimiter_prefix, which also runs against AWS, expects
 *     marker "boo/" to be followed by "cquux/", not by "boo/" again.
 *  4. Keys and CommonPrefixes count alike toward N and come out in byte
 *     order (a CP sorts before every key it covers, and no other key falls
 *     between them). If one more entry exists after N, the result is
 *     truncated and next_marker is the last entry returned (key or CP), so
 *     following next_marker lists everything exactly once (rule 3).
 *  5. N = 0 returns nothing and is not truncated; N above
 *     STRATA_MAX_LIST_KEYS is cut to it, as AWS does.
 *
 * Cost: scans fetch N + 1 + SEEK_AFTER keys at a time. Keys under a CP
 * already returned are skipped; after SEEK_AFTER of them in a row the engine
 * stops that scan and starts a new one at the CP's successor (the smallest
 * string above every string that starts with CP), so a prefix holding a
 * million keys costs one seek, not a million visits. Memory: N entries.
 */
#include "listing.h"

#include <stdlib.h>
#include <string.h>

#define SEEK_AFTER 8u /* keys passed over inside one CommonPrefix before seeking past it */
#define KEYBUF (STRATA_MAX_KEY_LEN + 1u)

struct lister {
	const char *prefix, *delim, *marker;
	size_t plen, dlen, max;

	struct listing_entry *e; /* the page: n of cap used, cap <= max */
	size_t n, cap;
	bool truncated;

	char cp[KEYBUF]; /* the CommonPrefix being passed over ... */
	size_t cplen;	 /* ... 0 when none */
	size_t run;	 /* keys passed over in a row inside cp */

	size_t visited;	   /* visits during the current scan */
	bool seek;	   /* the visitor stopped the scan to jump past cp */
	bool done;	   /* the page is full and another entry exists */
	char last[KEYBUF]; /* the last key visited */
	char from[KEYBUF]; /* where the next scan starts */
	s3err_t err;
};

/* Byte-order comparison of a[0..alen) with the string b. */
static int cmp_len(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/*
 * Writes into out the smallest string greater than every string starting
 * with s[0..len): trailing 0xff bytes dropped, the last byte plus one.
 * Returns false when there is none (s is empty or all 0xff).
 */
static bool successor(const char *s, size_t len, char out[KEYBUF])
{
	while (len > 0 && (unsigned char)s[len - 1] == 0xff)
		len--;
	if (len == 0)
		return false;
	memmove(out, s, len);
	out[len - 1] = (char)((unsigned char)out[len - 1] + 1);
	out[len] = '\0';
	return true;
}

/* Appends an entry (a copy of s[0..len)); false (l->err set) when out of memory. */
static bool emit(struct lister *l, const char *s, size_t len, bool is_prefix,
		 const struct obj_meta *meta)
{
	struct listing_entry *e;
	char *key;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;

		if (cap > l->max)
			cap = l->max;
		e = realloc(l->e, cap * sizeof(*e));
		if (!e)
			goto nomem;
		l->e = e;
		l->cap = cap;
	}
	key = malloc(len + 1);
	if (!key)
		goto nomem;
	memcpy(key, s, len);
	key[len] = '\0';
	e = &l->e[l->n++];
	e->key = key;
	e->is_prefix = is_prefix;
	obj_meta_init(&e->meta);
	if (meta) {
		e->meta = *meta;
		e->meta.headers = NULL; /* listings carry no headers (listing.h) */
		e->meta.headers_len = 0;
	}
	return true;
nomem:
	l->err = S3E_InternalError;
	return false;
}

/* Called for each key the scan visits, in order; false stops the scan. */
static bool visit(void *vctx, const char *key, const struct obj_meta *meta)
{
	struct lister *l = vctx;
	size_t klen = strlen(key), cplen;
	const char *d;

	l->visited++;
	if (klen >= KEYBUF) {
		l->err = S3E_InternalError; /* backends store at most STRATA_MAX_KEY_LEN */
		return false;
	}
	memcpy(l->last, key, klen + 1);

	if (l->cplen > 0 && klen >= l->cplen && memcmp(key, l->cp, l->cplen) == 0) {
		if (++l->run < SEEK_AFTER)
			return true;
		l->seek = true;
		return false;
	}
	l->cplen = 0;
	if (klen < l->plen || memcmp(key, l->prefix, l->plen) != 0)
		return true; /* outside the prefix: the scan contract excludes it */

	d = l->dlen > 0 ? strstr(key + l->plen, l->delim) : NULL;
	if (d) {
		cplen = (size_t)(d - key) + l->dlen;
		if (cmp_len(key, cplen, l->marker) > 0) { /* rule 3 */
			if (l->n == l->max) {
				l->truncated = l->done = true;
				return false;
			}
			if (!emit(l, key, cplen, true, NULL))
				return false;
		}
		memcpy(l->cp, key, cplen);
		l->cp[cplen] = '\0';
		l->cplen = cplen;
		l->run = 0;
		return true;
	}
	if (l->n == l->max) {
		l->truncated = l->done = true;
		return false;
	}
	return emit(l, key, klen, false, meta);
}

static void entries_free(struct listing_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(e[i].key);
	free(e);
}

s3err_t listing_run(const struct listing_query *q, listing_scan_fn scan, void *sctx,
		    struct listing_result *out)
{
	const char *start;
	bool inclusive = false;
	struct lister *l;
	char *next = NULL;
	size_t limit;
	s3err_t err = S3E_OK;

	l = calloc(1, sizeof(*l));
	if (!l)
		return S3E_InternalError;
	l->prefix = q->prefix ? q->prefix : "";
	l->delim = q->delimiter ? q->delimiter : "";
	l->marker = q->marker ? q->marker : "";
	l->plen = strlen(l->prefix);
	l->dlen = strlen(l->delim);
	l->max = q->max_keys < STRATA_MAX_LIST_KEYS ? q->max_keys : STRATA_MAX_LIST_KEYS;
	start = l->marker;

	while (l->max > 0) {
		l->visited = 0;
		l->seek = false;
		limit = l->max - l->n + 1 + SEEK_AFTER;
		err = scan(sctx, start, inclusive, l->prefix, limit, visit, l);
		if (err == S3E_OK)
			err = l->err;
		if (err != S3E_OK)
			goto out;
		if (l->done || (!l->seek && l->visited < limit))
			break; /* page full, or the scan ran out of keys */
		if (l->cplen > 0) {
			/* Every further key under cp folds into it: jump past them all. */
			if (!successor(l->cp, l->cplen, l->from))
				break;
			inclusive = true;
			l->cplen = 0;
		} else {
			memcpy(l->from, l->last, strlen(l->last) + 1);
			inclusive = false;
		}
		start = l->from;
	}

	if (l->truncated) {
		size_t len = strlen(l->e[l->n - 1].key);

		next = malloc(len + 1);
		if (!next) {
			err = S3E_InternalError;
			goto out;
		}
		memcpy(next, l->e[l->n - 1].key, len + 1);
	}
	out->entries = l->e;
	out->n = l->n;
	out->truncated = l->truncated;
	out->next_marker = next;
	l->e = NULL;
	l->n = 0;
out:
	entries_free(l->e, l->n);
	free(l);
	return err;
}

void listing_result_free(struct listing_result *r)
{
	if (!r)
		return;
	entries_free(r->entries, r->n);
	free(r->next_marker);
	r->entries = NULL;
	r->n = 0;
	r->truncated = false;
	r->next_marker = NULL;
}
