/*
 * versions: object versioning's pure parts (issue 12): version ids and the
 * ListObjectVersions engine, over any backend's version_scan seek
 * primitive (backend.h), so that they can be tested without a backend.
 *
 * Version ids are opaque to clients. Strata makes them 32 characters of
 * [A-Za-z0-9._] from RAND_bytes (192 bits): URL- and XML-safe, so they need
 * no escaping anywhere, and never equal to "null", the id of the version
 * written while versioning was off or suspended. The s3 home shows its
 * remote's ids instead, when they keep to the same safe form (below).
 *
 * Listing rules (as AWS): keys in byte order, the versions of one key
 * newest first; only keys starting with prefix; after the position
 * (key-marker, version-id-marker): with a version-id-marker, the versions
 * of key-marker older than it, then keys > key-marker; without one, keys >
 * key-marker. With a delimiter, a key whose remainder after the prefix
 * holds it is folded into one CommonPrefix (counted once toward max-keys,
 * then skipped by a seek past every key sharing it); a CommonPrefix that
 * key-marker starts with was listed by an earlier page and is skipped.
 * When truncated, the next markers are the last entry's key (or
 * CommonPrefix) and version id (none after a CommonPrefix).
 */
#ifndef STRATA_VERSIONS_H
#define STRATA_VERSIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "limits.h"
#include "objmeta.h"
#include "s3err.h"

#define VERSIONS_ID_LEN 32u /* characters of an id Strata makes */

/* --- version ids --- */

/* Writes a new random version id into out. Error: S3E_InternalError (no randomness). */
s3err_t versions_id_new(char out[STRATA_VERSION_ID_MAX]);
/*
 * true when s could name a version: "null", an id Strata made, or a remote
 * store's id the s3 home passes on (Ceph RGW's are 31 characters of
 * [A-Za-z0-9.-]): 1..STRATA_VERSION_ID_MAX - 1 characters of [A-Za-z0-9._-],
 * all URL- and XML-safe. Anything else never reaches a backend, a URL or XML.
 */
bool versions_id_valid(const char *s);

/* --- ListObjectVersions --- */

/*
 * A version the scan visits: meta has version_id ("null" for the null
 * version), delete_marker, mtime_ms and, unless a marker, etag, size and
 * storage_class (headers NULL). is_latest: the key's current version (or
 * its latest delete marker). Return false to stop the scan.
 */
typedef bool (*versions_visit_fn)(void *vctx, const char *key, const struct obj_meta *meta,
				  bool is_latest);
/*
 * The seek primitive (backend_ops.version_scan with the backend and bucket
 * bound into sctx): from position (key, vid): vid NULL: keys >= key; vid
 * "": keys > key; else the versions of key older than version vid, then
 * keys > key (an unknown vid: keys > key). Only keys starting with prefix,
 * in listing order, at most limit visits.
 */
typedef s3err_t (*versions_scan_fn)(void *sctx, const char *key, const char *vid,
				    const char *prefix, size_t limit, versions_visit_fn visit,
				    void *vctx);

struct versions_query {
	const char *prefix;	/* "" for none */
	const char *delimiter;	/* "" for none */
	const char *key_marker; /* "" for none */
	const char *vid_marker; /* "" for none; the caller checked it comes with key_marker */
	size_t max_keys;	/* 0..STRATA_MAX_LIST_KEYS */
};

struct versions_entry {
	char *key;	/* owned: the key, or the CommonPrefix text */
	bool is_prefix; /* a CommonPrefix (the rest unused) */
	bool is_latest;
	struct obj_meta meta; /* headers NULL */
};

struct versions_result {
	struct versions_entry *entries; /* in listing order */
	size_t n;
	bool truncated;
	char *next_key_marker;			     /* owned; set when truncated */
	char next_vid_marker[STRATA_VERSION_ID_MAX]; /* when truncated after a version */
};

/* Runs the query. On success the caller frees *out with versions_result_free. */
s3err_t versions_list_run(const struct versions_query *q, versions_scan_fn scan, void *sctx,
			  struct versions_result *out);
void versions_result_free(struct versions_result *r);

#endif
