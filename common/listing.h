/*
 * listing: the S3 listing semantics (prefix, delimiter, markers, max-keys),
 * computed over any backend's object_scan seek primitive.
 *
 * One engine serves ListObjects v1, ListObjectsV2 and ListObjectVersions so
 * that all three agree. Rules (as AWS):
 *  - keys are visited in byte order, only those starting with prefix;
 *  - a key is listed only if it is > the marker (v1 marker, v2 start-after
 *    or continuation token); a common prefix is listed only if it is > the
 *    marker too and not a prefix of... (see listing.c for the exact rule);
 *  - with a delimiter, a key whose remainder after the prefix contains the
 *    delimiter is folded into one CommonPrefix = prefix + remainder up to and
 *    including the first delimiter; each CommonPrefix counts once toward
 *    max-keys, and is followed by a seek past every key that shares it;
 *  - max-keys 0 returns nothing and IsTruncated=false;
 *  - when truncated, next_marker is the last key or CommonPrefix returned.
 */
#ifndef STRATA_LISTING_H
#define STRATA_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "objmeta.h"
#include "s3err.h"

/*
 * The seek primitive (same contract as backend_ops.object_scan, with the
 * backend and bucket bound into ctx): visit keys > start (>= when
 * inclusive) that start with prefix, in order, at most limit of them.
 */
typedef bool (*listing_visit_fn)(void *vctx, const char *key, const struct obj_meta *meta);
typedef s3err_t (*listing_scan_fn)(void *sctx, const char *start, bool inclusive,
				   const char *prefix, size_t limit, listing_visit_fn visit,
				   void *vctx);

struct listing_query {
	const char *prefix;    /* "" for none */
	const char *delimiter; /* "" for none */
	const char *marker;    /* "" for none: list keys strictly after it */
	size_t max_keys;       /* 0..STRATA_MAX_LIST_KEYS */
};

struct listing_entry {
	char *key;	      /* owned; the key, or the CommonPrefix text */
	bool is_prefix;	      /* true for a CommonPrefix (meta unused) */
	struct obj_meta meta; /* headers is NULL */
};

struct listing_result {
	struct listing_entry *entries; /* keys and common prefixes, in byte order */
	size_t n;
	bool truncated;
	char *next_marker; /* owned; set when truncated: last entry's key/prefix */
};

/* Runs the query. On success the caller frees *out with listing_result_free. */
s3err_t listing_run(const struct listing_query *q, listing_scan_fn scan, void *sctx,
		    struct listing_result *out);

void listing_result_free(struct listing_result *r);

#endif
