/*
 * backend: the storage interface every backend implements.
 *
 * The gateway and the lifecycle workers touch storage only through this
 * table of function pointers. A backend that lacks an operation leaves the
 * slot NULL; the backend_* wrappers below answer S3E_NotImplemented for it
 * in one place, so callers never test slots themselves.
 *
 * Invariants every implementation keeps:
 *  1. An object becomes visible only in writer_commit, atomically: readers
 *     see the old object or the new one, never a mix or a partial file.
 *  2. writer_commit returns S3E_OK only once data and index are durable
 *     (fsync'ed); a crash at any point before that leaves the old object.
 *  3. A writer that is aborted, or whose process dies, leaves nothing
 *     visible; leftovers of dead writers are reclaimed on the next open.
 *  4. Keys are opaque byte strings (already validated by the gateway):
 *     "a" and "a/b" coexist; "..", "//" and trailing "/" are just bytes.
 *  5. Listings are in byte order of the UTF-8 keys, as on AWS.
 *  6. Every function is safe to call from several threads at once.
 */
#ifndef STRATA_BACKEND_H
#define STRATA_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/limits.h"
#include "../common/objmeta.h"
#include "../common/s3err.h"

#define BACKEND_ABI_VERSION 1

struct backend;	  /* an open backend instance (opaque, per implementation) */
struct be_writer; /* a hidden temporary object being written */
struct be_reader; /* an open, consistent view of one committed object */

struct bucket_info {
	char name[STRATA_BUCKET_NAME_MAX + 1];
	char owner[STRATA_MAX_ACCESS_KEY_LEN +
		   1]; /* name of the creating user (stable across key changes) */
	char region[STRATA_MAX_REGION_LEN + 1]; /* LocationConstraint, "" = us-east-1 */
	int64_t created_ms;
};

/* Called once per bucket; return false to stop early. */
typedef bool (*bucket_visit_fn)(void *ctx, const struct bucket_info *b);

/*
 * Called once per object during a scan, in key order. meta->headers is NULL
 * (scans do not load headers). Return false to stop the scan.
 */
typedef bool (*object_visit_fn)(void *ctx, const char *key, const struct obj_meta *meta);

struct backend_ops {
	unsigned abi_version; /* BACKEND_ABI_VERSION */
	const char *name;     /* "posix", "s3" */

	/* Closes the instance, waiting for nothing: callers stop first. */
	void (*close)(struct backend *be);

	/* --- buckets --- */

	/* Creates b. Errors: S3E_BucketAlreadyExists (whoever owns it). */
	s3err_t (*bucket_create)(struct backend *be, const struct bucket_info *b);
	/* Fills *out. Errors: S3E_NoSuchBucket. */
	s3err_t (*bucket_get)(struct backend *be, const char *name, struct bucket_info *out);
	/* Deletes an empty bucket. Errors: S3E_NoSuchBucket, S3E_BucketNotEmpty. */
	s3err_t (*bucket_delete)(struct backend *be, const char *name);
	/* Visits every bucket in name order. */
	s3err_t (*bucket_list)(struct backend *be, bucket_visit_fn visit, void *ctx);

	/* --- writing an object: open, write*, then commit or abort --- */

	/*
	 * Starts a hidden temporary object for bucket/key. Nothing is visible
	 * until commit. size_hint is the expected size (0 when unknown), for
	 * preallocation only. Errors: S3E_NoSuchBucket, S3E_InternalError.
	 */
	s3err_t (*writer_open)(struct backend *be, const char *bucket, const char *key,
			       uint64_t size_hint, struct be_writer **out);
	/* Appends bytes. Errors: S3E_InternalError (disk full, I/O). */
	s3err_t (*writer_write)(struct be_writer *w, const void *data, size_t len);
	/*
	 * Publishes the object with meta (copied; the caller keeps meta),
	 * replacing any previous object at that key, durably (invariants 1, 2).
	 * Frees w whatever the result; on error nothing changed.
	 * Errors: S3E_NoSuchBucket (deleted meanwhile), S3E_InternalError.
	 */
	s3err_t (*writer_commit)(struct be_writer *w, const struct obj_meta *meta);
	/* Discards the temporary and frees w. */
	void (*writer_abort)(struct be_writer *w);

	/* --- reading --- */

	/* Fills *out (headers included; caller frees with obj_meta_free). Errors: S3E_NoSuchBucket,
	 * S3E_NoSuchKey. */
	s3err_t (*object_head)(struct backend *be, const char *bucket, const char *key,
			       struct obj_meta *out);
	/*
	 * Opens the object's current version for reading and fills *meta with
	 * its metadata; the reader keeps reading that version even if the key
	 * is overwritten or deleted meanwhile. Errors: as object_head.
	 */
	s3err_t (*reader_open)(struct backend *be, const char *bucket, const char *key,
			       struct obj_meta *meta, struct be_reader **out);
	/* Reads up to len bytes at off; *got < len only at the end of the object. */
	s3err_t (*reader_read)(struct be_reader *r, uint64_t off, void *buf, size_t len,
			       size_t *got);
	void (*reader_close)(struct be_reader *r);

	/* Deletes the object. Errors: S3E_NoSuchBucket, S3E_NoSuchKey (absent). */
	s3err_t (*object_delete)(struct backend *be, const char *bucket, const char *key);

	/*
	 * Visits objects of bucket in key order whose key starts with prefix
	 * ("" = all) and is > start (or >= start when inclusive), stopping
	 * after `limit` visits or when visit returns false. This is the seek
	 * primitive the listing engine (common/listing.h) builds on: skipping a
	 * common prefix is a new scan from its successor.
	 * Errors: S3E_NoSuchBucket.
	 */
	s3err_t (*object_scan)(struct backend *be, const char *bucket, const char *start,
			       bool inclusive, const char *prefix, size_t limit,
			       object_visit_fn visit, void *ctx);

	/* Counts objects in the bucket (stops counting at `cap`), for DeleteBucket and stats. */
	s3err_t (*bucket_count)(struct backend *be, const char *bucket, uint64_t cap,
				uint64_t *out);
};

/* Every backend instance starts with this header, so the wrappers find their ops. */
struct backend {
	const struct backend_ops *ops;
};

/* --- wrappers: the only way callers reach a backend; a NULL slot answers NotImplemented --- */
s3err_t backend_bucket_create(struct backend *be, const struct bucket_info *b);
s3err_t backend_bucket_get(struct backend *be, const char *name, struct bucket_info *out);
s3err_t backend_bucket_delete(struct backend *be, const char *name);
s3err_t backend_bucket_list(struct backend *be, bucket_visit_fn visit, void *ctx);
s3err_t backend_writer_open(struct backend *be, const char *bucket, const char *key,
			    uint64_t size_hint, struct be_writer **out);
s3err_t backend_writer_write(struct backend *be, struct be_writer *w, const void *data, size_t len);
s3err_t backend_writer_commit(struct backend *be, struct be_writer *w, const struct obj_meta *meta);
void backend_writer_abort(struct backend *be, struct be_writer *w);
s3err_t backend_object_head(struct backend *be, const char *bucket, const char *key,
			    struct obj_meta *out);
s3err_t backend_reader_open(struct backend *be, const char *bucket, const char *key,
			    struct obj_meta *meta, struct be_reader **out);
s3err_t backend_reader_read(struct backend *be, struct be_reader *r, uint64_t off, void *buf,
			    size_t len, size_t *got);
void backend_reader_close(struct backend *be, struct be_reader *r);
s3err_t backend_object_delete(struct backend *be, const char *bucket, const char *key);
s3err_t backend_object_scan(struct backend *be, const char *bucket, const char *start,
			    bool inclusive, const char *prefix, size_t limit, object_visit_fn visit,
			    void *ctx);
s3err_t backend_bucket_count(struct backend *be, const char *bucket, uint64_t cap, uint64_t *out);
void backend_close(struct backend *be);

#endif
