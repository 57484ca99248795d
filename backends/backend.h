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
#include "../common/versions.h"

#define BACKEND_ABI_VERSION 10

struct backend;	  /* an open backend instance (opaque, per implementation) */
struct be_writer; /* a hidden temporary object being written */
struct be_reader; /* an open, consistent view of one committed object */

struct bucket_info {
	char name[STRATA_BUCKET_NAME_MAX + 1];
	char owner[STRATA_MAX_ACCESS_KEY_LEN +
		   1]; /* name of the creating user (stable across key changes) */
	char region[STRATA_MAX_REGION_LEN + 1]; /* LocationConstraint, "" = us-east-1 */
	int64_t created_ms;
	/*
	 * bucket_create's input only (ABI 9, issue 12): the bucket starts with
	 * versioning Enabled and object lock enabled, in the same atomic step.
	 */
	bool object_lock;
};

/* A multipart upload (state in the backend until completed or aborted). */
struct upload_info {
	char upload_id[STRATA_UPLOAD_ID_MAX];
	char key[STRATA_MAX_KEY_LEN + 1];
	int64_t initiated_ms;
	/*
	 * What CreateMultipartUpload asked for, kept for the final object:
	 * headers blob (content-* and x-amz-meta-*), storage_class,
	 * checksum_algo and checksum_type. Size/etag/digests are unused.
	 */
	struct obj_meta meta;
	bool completed;			  /* Complete succeeded (kept for repeated Completes) */
	char final_etag[STRATA_ETAG_MAX]; /* when completed: the object's ETag */
};

/* One uploaded part. */
struct part_info {
	unsigned number; /* 1..10000 */
	uint64_t size;
	int64_t mtime_ms;
	char etag[STRATA_ETAG_MAX];		    /* unquoted hex MD5 of the part */
	char checksum_b64[STRATA_CHECKSUM_B64_MAX]; /* the upload's algorithm, "" if none */
	char sha256_hex[65];			    /* SHA-256 of the part's bytes */
};

/* A part named by CompleteMultipartUpload, with the ETag the gateway validated. */
struct complete_part {
	unsigned number;
	char etag[STRATA_ETAG_MAX]; /* unquoted */
};

/* What a scrub can find wrong (DESIGN.md, "Integrity"). */
enum scrub_problem {
	SCRUB_CORRUPT,	    /* a frame failed verification, or the SHA-256 of the bytes differs */
	SCRUB_TRUNCATED,    /* a data file is shorter or longer than its index row says */
	SCRUB_MISSING_DATA, /* an index row names a data file that does not exist */
	SCRUB_ORPHAN_DATA,  /* a data file no index row (nor the gc queue) names */
};

struct scrub_finding {
	enum scrub_problem problem;
	char bucket[STRATA_BUCKET_NAME_MAX + 1]; /* "" for orphans */
	char key[STRATA_MAX_KEY_LEN + 1]; /* "" for orphans; the key, or upload key of a part */
	char file_id[40];		  /* the data file's id */
	char detail[160];		  /* e.g. "frame 3 of 5 failed verification" */
};

struct scrub_stats {
	uint64_t objects;     /* objects verified (single and multipart) */
	uint64_t bytes;	      /* plaintext bytes read */
	uint64_t problems;    /* findings reported */
	uint64_t frames_only; /* encrypted objects whose key the server lacks (SSE-C, or no
				 keyring): frames checked without keys, SHA-256 not */
};

/*
 * Key rotation: given one SSE-S3 envelope (master key id, wrapped data key),
 * writes the same data key wrapped under another master key into new_id /
 * new_env (*new_len bytes). Errors stop the rewrap.
 */
typedef s3err_t (*sse_rewrap_fn)(void *ctx, const char *key_id, const uint8_t *env, size_t len,
				 char new_id[STRATA_SSE_KEY_ID_MAX],
				 uint8_t new_env[STRATA_SSE_ENVELOPE_MAX], size_t *new_len);

/*
 * Key usage: called once per master key id that SSE-S3 envelopes (objects
 * and multipart uploads) use, with how many, and one of its envelopes (to
 * prove at start-up that the key file holds the right key). A backend that
 * cannot count cheaply (s3) reports count 1, meaning "at least one".
 */
typedef bool (*sse_usage_fn)(void *ctx, const char *key_id, uint64_t count, const uint8_t *env,
			     size_t len);

/* A restore the backend has to act on (restore_due). */
struct restore_item {
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
	char key[STRATA_MAX_KEY_LEN + 1];
	int64_t mtime_ms; /* the version, for restore_run / restore_release */
	char etag[STRATA_ETAG_MAX];
	int state; /* RESTORE_ONGOING: make the copy; RESTORE_DONE: its time is up */
};

/* --- replication (ABI 7; issue 8, DESIGN.md "Replication") --- */

#define REPL_MAX_TARGETS 8u    /* destinations one write or delete can have (one per rule) */
#define REPL_SITE_NAME_MAX 32u /* bytes of a site's name (config [site NAME]) */
#define REPL_ERROR_MAX 256u    /* bytes of an event's last error kept for status */

/*
 * The request header by which one Strata's replicator asks another to keep
 * the source's version id for the version or delete marker its PUT,
 * CompleteMultipartUpload or DELETE makes (repl_request.version_id).
 * Honoured only from a replication_users user; anyone else is refused
 * (AccessDenied). Any other store ignores it and makes its own ids.
 */
#define REPL_KEEP_VERSION_HEADER "x-strata-replica-version-id"

/* One destination a change must reach, from the bucket's rules (gateway/replication.h). */
struct repl_target {
	char site[REPL_SITE_NAME_MAX + 1];	      /* a configured site */
	char bucket[STRATA_BUCKET_NAME_MAX + 1];      /* the bucket at that site */
	char storage_class[STRATA_STORAGE_CLASS_MAX]; /* "" = the source object's class */
	bool deletes;	   /* DeleteMarkerReplication Enabled: deletes of the key follow */
	char rule_id[256]; /* the rule that chose it (status and logs) */
};

/*
 * What a commit or delete asks of replication: the targets its key matched
 * (n may be 0), or that the change IS a replica written by another site's
 * replicator (then n is 0: a replica is never replicated further, which
 * keeps two sites that replicate to each other out of a loop).
 */
struct repl_request {
	bool replica;
	size_t n;
	struct repl_target t[REPL_MAX_TARGETS];
	/*
	 * A replica only (issue 12): the version id the source gave it, which
	 * the version (or delete marker) it makes keeps when this bucket's
	 * versioning is Enabled; "" lets the backend make one. An id the key
	 * already has is refused (S3E_InvalidArgument), except by a delete,
	 * which then makes nothing and answers the marker (a replayed event).
	 */
	char version_id[STRATA_VERSION_ID_MAX];
};

/*
 * One queued change for one target. In a never-versioned bucket a change
 * is "make the target's copy of bucket/key match the source as it is NOW"
 * (the replicator reads the current version when it runs), so events are
 * idempotent and a later event of a key supersedes nothing: replaying one
 * is always safe. In a versioned bucket it names its version (below).
 */
struct repl_event {
	uint64_t seq; /* queue order, unique */
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
	char key[STRATA_MAX_KEY_LEN + 1];
	bool is_delete;	  /* the key was deleted (shipped only when target.deletes) */
	int64_t mtime_ms; /* writes: the version that was committed; 0 for deletes */
	/*
	 * The version the change made (issue 12): a write ships that version
	 * (gone by then: removed for good, nothing to ship), a delete with one
	 * is a delete marker to make at the target; "" (a never-versioned
	 * bucket) ships the key as it is now, as described above.
	 */
	char version_id[STRATA_VERSION_ID_MAX];
	char etag[STRATA_ETAG_MAX];
	struct repl_target target;
	int64_t created_ms; /* when the change was acknowledged */
	uint32_t attempts;  /* failed tries so far */
	bool failed;	    /* the target refused it (see repl_retry); still retried */
};

/* Called per due event; return false to stop. */
typedef bool (*repl_visit_fn)(void *ctx, const struct repl_event *ev);

/* The queue's state (strata replicate status, metrics). */
struct repl_stats {
	uint64_t pending;	   /* events queued (failed ones included) */
	uint64_t failed;	   /* events whose target refused them (repl_retry failed = true) */
	int64_t oldest_created_ms; /* of the oldest queued event; 0 when none */
	uint64_t bytes; /* current sizes of the objects queued writes would send (an upper
			   bound: a key with several events counts once per event) */
};

/*
 * A change to one version's lock (object_lock_set, ABI 9): its retention
 * (set_retention: to mode/until_ms; OBJLOCK_NONE removes it) and/or its
 * legal hold (set_hold: to legal_hold). bypass_governance: the caller sent
 * x-amz-bypass-governance-retention and may use it.
 */
struct lock_change {
	bool set_retention;
	int mode;
	int64_t until_ms;
	bool set_hold;
	bool legal_hold;
	bool bypass_governance;
};

/* object_delete_v's flags (ABI 9). */
#define BACKEND_DELETE_BYPASS_GOVERNANCE 1u /* the caller may bypass GOVERNANCE retention */

/* What a delete did (versioning, ABI 8). */
struct delete_result {
	char
	    version_id[STRATA_VERSION_ID_MAX]; /* the version removed or the marker made; "" none */
	bool delete_marker; /* that version is a delete marker (made now, or removed by id) */
};

/* Called per restore due; return false to stop. */
typedef bool (*restore_visit_fn)(void *ctx, const struct restore_item *it);

/* Receives each finding as the scrub goes. */
typedef void (*scrub_report_fn)(void *ctx, const struct scrub_finding *f);

typedef bool (*upload_visit_fn)(void *ctx, const struct upload_info *u); /* meta.headers NULL */
typedef bool (*part_visit_fn)(void *ctx, const struct part_info *p);

/*
 * Called once per group of stored objects (storage_usage): the objects of
 * one storage class ("STANDARD" for ""), current or noncurrent versions.
 * Return false to stop.
 */
typedef bool (*usage_visit_fn)(void *ctx, const char *storage_class, bool noncurrent,
			       uint64_t objects, uint64_t bytes);

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

	/*
	 * Deletes the object. Errors: S3E_NoSuchBucket, S3E_NoSuchKey (absent;
	 * a backend whose store cannot tell, like s3, answers S3E_OK).
	 */
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

	/* --- multipart uploads (ABI 2) --- */

	/*
	 * Starts an upload of bucket/key remembering meta (see upload_info),
	 * durably; writes a new random upload id (hex) into upload_id.
	 * Errors: S3E_NoSuchBucket.
	 */
	s3err_t (*upload_create)(struct backend *be, const char *bucket, const char *key,
				 const struct obj_meta *meta, char upload_id[STRATA_UPLOAD_ID_MAX]);
	/*
	 * Fills *out (meta.headers included; free with obj_meta_free). A
	 * completed upload is still found (completed = true) for
	 * STRATA_COMPLETED_UPLOAD_KEEP_MS after its Complete.
	 * Errors: S3E_NoSuchBucket, S3E_NoSuchUpload (unknown or aborted).
	 */
	s3err_t (*upload_get)(struct backend *be, const char *bucket, const char *upload_id,
			      struct upload_info *out);
	/*
	 * Opens a writer for part `number` of an active upload; write with
	 * writer_write, finish with part_commit or writer_abort.
	 * Errors: S3E_NoSuchUpload (unknown, aborted or completed).
	 */
	s3err_t (*part_writer_open)(struct backend *be, const char *bucket, const char *upload_id,
				    unsigned number, uint64_t size_hint, struct be_writer **out);
	/*
	 * Publishes the part durably, replacing an earlier part of that number
	 * (whose data is reclaimed). Frees w whatever the result.
	 * Errors: S3E_NoSuchUpload (aborted or completed meanwhile).
	 */
	s3err_t (*part_commit)(struct be_writer *w, const struct part_info *p);
	/* Opens part `number` of an active upload for reading (reader_read/reader_close). */
	s3err_t (*part_reader_open)(struct backend *be, const char *bucket, const char *upload_id,
				    unsigned number, struct be_reader **out);
	/*
	 * Visits the parts of an active upload with number > after, ascending,
	 * at most limit. Errors: S3E_NoSuchUpload.
	 */
	s3err_t (*part_list)(struct backend *be, const char *bucket, const char *upload_id,
			     unsigned after, size_t limit, part_visit_fn visit, void *ctx);
	/*
	 * Visits active uploads of bucket whose key starts with prefix, ordered
	 * by (key, upload_id), after (key_marker, upload_id_marker): keys >
	 * key_marker, or == key_marker with upload_id > upload_id_marker
	 * (upload_id_marker "" means only keys > key_marker). At most limit.
	 */
	s3err_t (*upload_list)(struct backend *be, const char *bucket, const char *prefix,
			       const char *key_marker, const char *upload_id_marker, size_t limit,
			       upload_visit_fn visit, void *ctx);
	/* Deletes an active upload and reclaims its parts. Errors: S3E_NoSuchUpload. */
	s3err_t (*upload_abort)(struct backend *be, const char *bucket, const char *upload_id);
	/*
	 * Atomically and durably publishes bucket/key as the concatenation of
	 * the listed parts (ascending numbers, each still holding the given
	 * ETag), with meta (size = sum of the parts, parts_count = n, the
	 * digests the gateway computed). The object reads as one byte range
	 * across its parts (by reference: no data is copied). Unlisted parts
	 * and the replaced object are reclaimed; the upload becomes completed
	 * with final_etag = meta->etag.
	 * Errors: S3E_NoSuchUpload, S3E_InvalidPart (missing or different
	 * ETag), S3E_NoSuchBucket.
	 */
	s3err_t (*upload_complete)(struct backend *be, const char *bucket, const char *upload_id,
				   const struct complete_part *parts, size_t n,
				   const struct obj_meta *meta);
	/*
	 * For GetObject/HeadObject ?partNumber=: the byte range of part `number`
	 * (1-based) of the object's current version. A single-PUT object has
	 * one part, the whole object. Errors: S3E_NoSuchKey,
	 * S3E_InvalidPartNumber (number > parts).
	 */
	s3err_t (*object_part_range)(struct backend *be, const char *bucket, const char *key,
				     unsigned number, uint64_t *offset, uint64_t *size);

	/* --- integrity (ABI 3) --- */

	/*
	 * Re-verifies every object against its frames and its SHA-256, and the
	 * parts of active uploads against their frames and SHA-256; reports
	 * data files that are missing, of the wrong size, or named by nothing.
	 * Records the time each object was last verified (objects.verified_ms)
	 * when it checks out. Reads at most bytes_per_second (0 = unlimited).
	 * Stops early, returning S3E_OK, when *stop becomes true (may be NULL).
	 * Fills *stats. Safe while the server serves.
	 */
	s3err_t (*scrub)(struct backend *be, uint64_t bytes_per_second, const volatile bool *stop,
			 scrub_report_fn report, void *ctx, struct scrub_stats *stats);

	/* --- encryption (ABI 4; DESIGN.md "Encryption") --- */

	/*
	 * Makes w (an object or part writer, before its first write) seal its
	 * data in AES-256-GCM frames under a key derived from data_key and the
	 * data file's id (sse_file_key). data_key is copied. The caller commits
	 * meta with the matching sse_mode and envelope (for parts: the upload's).
	 * Errors: S3E_InternalError (called after a write).
	 */
	s3err_t (*writer_seal)(struct be_writer *w, const uint8_t *data_key);
	/*
	 * Gives r the data key of the sealed object (or part) it reads; needed
	 * before the first read when its meta.sse_mode is not SSE_NONE (reading
	 * without it is S3E_InternalError). A wrong key reads as corruption
	 * (S3E_InternalError): callers check SSE-C keys against the envelope first.
	 */
	s3err_t (*reader_unseal)(struct be_reader *r, const uint8_t *data_key);
	/*
	 * Rewraps every SSE-S3 envelope (objects and uploads) whose key id is not
	 * target_id through fn, in batches of one transaction each, so an
	 * interrupted rotation resumes where it stopped. Data files are never
	 * touched. Adds the number rewrapped to *count. Safe while serving.
	 */
	s3err_t (*sse_rewrap)(struct backend *be, const char *target_id, sse_rewrap_fn fn,
			      void *ctx, uint64_t *count);
	/* Visits the master key ids in use (see sse_usage_fn), in id order. */
	s3err_t (*sse_key_usage)(struct backend *be, sse_usage_fn visit, void *ctx);

	/*
	 * Deletes bucket/key only while it is still the version a caller saw
	 * (its mtime_ms and etag), atomically: the lifecycle engine decides from
	 * a scan and must not delete an object written since.
	 * Errors: S3E_PreconditionFailed (another version, or gone), S3E_NoSuchBucket.
	 */
	s3err_t (*object_delete_if)(struct backend *be, const char *bucket, const char *key,
				    int64_t mtime_ms, const char *etag);

	/* --- storage tiers (ABI 5; issue 6) --- */

	/*
	 * Places w's data (an object writer, before its first write) in the
	 * tier that holds storage_class ("" or "STANDARD": the home location).
	 * The caller commits meta with the same storage_class. Part writers
	 * follow their upload's class by themselves.
	 * Errors: S3E_InternalError (after a write; the tier cannot be written).
	 */
	s3err_t (*writer_place)(struct be_writer *w, const char *storage_class);
	/*
	 * Moves bucket/key to the tier of storage_class, only while it is the
	 * version (mtime_ms, etag) the caller saw: copies its data files there,
	 * verifies the copies (frames, and the SHA-256 wherever the backend can
	 * read the plaintext), switches the index (storage_class and location)
	 * in one transaction that re-checks the version, then releases the old
	 * copy. A crash at any point leaves the object whole in one tier; a tier
	 * that fails leaves it untouched where it was.
	 * Errors: S3E_PreconditionFailed (another version, or gone),
	 * S3E_NoSuchBucket, S3E_InternalError (logged: target unusable, copy
	 * failed verification).
	 */
	s3err_t (*object_transition)(struct backend *be, const char *bucket, const char *key,
				     int64_t mtime_ms, const char *etag, const char *storage_class);

	/* --- archive restores (ABI 6; issue 6) --- */

	/*
	 * RestoreObject: asks for a readable copy of bucket/key until until_ms.
	 * A done restore only gets its expiry moved (*state_out RESTORE_DONE);
	 * an ongoing one is left as it is (*state_out RESTORE_ONGOING: the
	 * caller answers RestoreAlreadyInProgress); otherwise the object becomes
	 * RESTORE_ONGOING (*state_out RESTORE_NONE: a new restore). Durable.
	 * Errors: S3E_NoSuchKey, S3E_NoSuchBucket.
	 */
	s3err_t (*restore_request)(struct backend *be, const char *bucket, const char *key,
				   int64_t until_ms, int *state_out);
	/*
	 * Visits restores due at now_ms: RESTORE_ONGOING ones (to make), and
	 * RESTORE_DONE ones whose restore_until_ms has passed (to release).
	 */
	s3err_t (*restore_due)(struct backend *be, int64_t now_ms, restore_visit_fn visit,
			       void *ctx);
	/*
	 * Makes the readable copy of an ONGOING restore of version (mtime_ms,
	 * etag) in the home location, verified like a transition's, then marks it
	 * RESTORE_DONE; reads of the object then use the copy. Where the object's
	 * files already are in the home location no copy is needed.
	 * Errors: S3E_PreconditionFailed (another version, or not ongoing),
	 * S3E_InternalError (logged; stays ONGOING for a retry).
	 */
	s3err_t (*restore_run)(struct backend *be, const char *bucket, const char *key,
			       int64_t mtime_ms, const char *etag);
	/*
	 * Ends a restore of version (mtime_ms, etag): releases the copy (if any)
	 * and sets RESTORE_NONE. Errors: S3E_PreconditionFailed.
	 */
	s3err_t (*restore_release)(struct backend *be, const char *bucket, const char *key,
				   int64_t mtime_ms, const char *etag);

	/* --- bucket configuration documents (ABI 4) --- */

	/*
	 * Reads bucket's configuration document `name` ("encryption"; later
	 * "lifecycle", "replication"...) into out[cap]: *len bytes, *found
	 * false when the bucket has none. Errors: S3E_NoSuchBucket,
	 * S3E_InternalError (larger than cap).
	 */
	s3err_t (*bucket_config_get)(struct backend *be, const char *bucket, const char *name,
				     char *out, size_t cap, size_t *len, bool *found);
	/*
	 * Stores (replaces) the document durably. Errors: S3E_NoSuchBucket,
	 * S3E_InvalidBucketState ("versioning" other than "Enabled" on a bucket
	 * with Object Lock: checked in the same atomic step as the write).
	 */
	s3err_t (*bucket_config_put)(struct backend *be, const char *bucket, const char *name,
				     const char *value, size_t len);
	/* Removes it (absent is fine). Errors: S3E_NoSuchBucket. Deleting a bucket drops its
	 * documents. */
	s3err_t (*bucket_config_delete)(struct backend *be, const char *bucket, const char *name);

	/* --- replication (ABI 7; issue 8). A backend without it leaves every slot NULL. --- */

	/*
	 * Gives w (an object writer, before commit) what its commit asks of
	 * replication (copied). writer_commit then, in the SAME atomic, durable
	 * step that publishes the object: queues one event per target (a write
	 * of the committed version) and stores the object's replication status:
	 * REPL_PENDING when there are targets, REPL_REPLICA for a replica,
	 * REPL_NONE otherwise (also when this was never called).
	 * Errors: S3E_InternalError (more than REPL_MAX_TARGETS).
	 */
	s3err_t (*writer_replicate)(struct be_writer *w, const struct repl_request *req);
	/*
	 * upload_complete with replication: as upload_complete, and in the same
	 * atomic step what writer_commit does with a repl_request (req may be
	 * NULL: as upload_complete).
	 */
	s3err_t (*upload_complete_repl)(struct backend *be, const char *bucket,
					const char *upload_id, const struct complete_part *parts,
					size_t n, const struct obj_meta *meta,
					const struct repl_request *req);
	/*
	 * object_delete with replication: deletes the object and, in the same
	 * atomic step, queues a delete event for every target whose `deletes`
	 * is set (req may be NULL). A key that is already absent still queues
	 * them (the target may hold it). Errors: as object_delete. (With
	 * object_delete_v, a delete by version id queues nothing: as on AWS,
	 * removing a version for good is never replicated.)
	 */
	s3err_t (*object_delete_repl)(struct backend *be, const char *bucket, const char *key,
				      const struct repl_request *req);
	/*
	 * Queues events for bucket/key as a change to it would (resync: the
	 * write of its current version, or a delete when it is absent and a
	 * target's `deletes` is set), without touching the object. Durable.
	 * Errors: S3E_NoSuchBucket.
	 */
	s3err_t (*repl_enqueue)(struct backend *be, const char *bucket, const char *key,
				const struct repl_request *req);
	/*
	 * Visits events due at now_ms (next try <= now_ms), oldest first, at most
	 * limit, and of each (bucket, key, target site, target bucket) only the
	 * oldest event: a key's events run one at a time, in order.
	 */
	s3err_t (*repl_due)(struct backend *be, int64_t now_ms, size_t limit, repl_visit_fn visit,
			    void *ctx);
	/*
	 * Event seq reached its target: removes it, and, when no other event of
	 * that bucket/key and version id remains (any target), sets that
	 * version's status to REPL_COMPLETED if it still exists with status
	 * PENDING or FAILED. Durable. Absent seq is fine (S3E_OK).
	 */
	s3err_t (*repl_done)(struct backend *be, uint64_t seq);
	/*
	 * Event seq failed: attempts + 1, next try at next_ms, error kept (cut to
	 * REPL_ERROR_MAX). failed = true says the target refused it (not merely
	 * unreachable): the event is marked failed and its version's status, if
	 * PENDING, becomes REPL_FAILED. Events are never dropped. Durable.
	 */
	s3err_t (*repl_retry)(struct backend *be, uint64_t seq, int64_t next_ms, bool failed,
			      const char *error);
	/* The queue's counts for one bucket, or all (bucket NULL). */
	s3err_t (*repl_stats)(struct backend *be, const char *bucket, struct repl_stats *out);

	/*
	 * --- versioning (ABI 8; issue 12). A backend without it leaves every slot
	 * NULL; the wrappers then serve the "null" version only. ---
	 *
	 * The bucket's state is its configuration document "versioning"
	 * ("Enabled" or "Suspended"; none: never versioned), which a commit or
	 * delete reads inside its own atomic step, so a concurrent
	 * PutBucketVersioning cannot split one write's decision. Writes in an
	 * Enabled bucket make a new version and keep the one they replace as
	 * noncurrent; in a Suspended bucket they replace the "null" version
	 * (wherever it is among the key's versions); in a never-versioned one
	 * they replace the object, as before. Version ids: common/versions.h.
	 */

	/*
	 * Asks w's commit (an object writer, before writer_commit) to write the
	 * id of the version it creates into out (STRATA_VERSION_ID_MAX bytes,
	 * kept by the caller until the commit returns): the new id, "null" in a
	 * Suspended bucket, "" in a never-versioned one.
	 */
	s3err_t (*writer_version)(struct be_writer *w, char *out);
	/* upload_complete_repl that writes the id of the version it creates (as writer_version). */
	s3err_t (*upload_complete_v)(struct backend *be, const char *bucket, const char *upload_id,
				     const struct complete_part *parts, size_t n,
				     const struct obj_meta *meta, const struct repl_request *req,
				     char version_id[STRATA_VERSION_ID_MAX]);
	/*
	 * object_head / reader_open of version version_id ("null" included;
	 * NULL: the latest). out->version_id says which. A delete marker is
	 * answered S3E_NoSuchKey when it is the latest, S3E_MethodNotAllowed
	 * when asked for by id, and then (alone among errors) fills
	 * out->version_id and out->delete_marker. Errors: as object_head,
	 * S3E_NoSuchVersion (no such version of the key).
	 */
	s3err_t (*object_head_v)(struct backend *be, const char *bucket, const char *key,
				 const char *version_id, struct obj_meta *out);
	s3err_t (*reader_open_v)(struct backend *be, const char *bucket, const char *key,
				 const char *version_id, struct obj_meta *meta,
				 struct be_reader **out);
	/*
	 * object_delete_repl with versioning: version_id NULL deletes the key
	 * (Enabled: a new delete marker; Suspended: a "null" marker replacing
	 * the null version; never versioned: the object); otherwise removes that
	 * version for good (its data reclaimed), and when it was the latest the
	 * next newest becomes current. *out says what (version_id must not point
	 * into it: it is cleared first). Removing a version under retention or
	 * legal hold (Object Lock, ABI 9) is refused inside the same atomic step,
	 * so no caller can skip the check: S3E_AccessDenied until its date,
	 * except GOVERNANCE retention with BACKEND_DELETE_BYPASS_GOVERNANCE in
	 * flags. Errors: as object_delete (S3E_NoSuchKey: nothing to delete,
	 * including an unknown version), S3E_AccessDenied.
	 */
	s3err_t (*object_delete_v)(struct backend *be, const char *bucket, const char *key,
				   const char *version_id, const struct repl_request *req,
				   unsigned flags, struct delete_result *out);
	/*
	 * The seek primitive of ListObjectVersions (versions_scan_fn in
	 * common/versions.h, with be and bucket). Errors: S3E_NoSuchBucket.
	 */
	s3err_t (*version_scan)(struct backend *be, const char *bucket, const char *key,
				const char *vid, const char *prefix, size_t limit,
				versions_visit_fn visit, void *ctx);

	/*
	 * --- storage usage (issue 13: the dashboard's bytes per tier). A backend
	 * that cannot count cheaply (s3) leaves it NULL. ---
	 *
	 * Visits the stored objects and bytes per storage class, current and
	 * noncurrent versions apart, from one read snapshot. One pass over the
	 * index (no data file is touched): callers rate-limit it.
	 */
	s3err_t (*storage_usage)(struct backend *be, usage_visit_fn visit, void *ctx);

	/*
	 * --- object lock (ABI 9; issue 12). A backend without it leaves these
	 * NULL; callers then never set bucket_info.object_lock. ---
	 *
	 * The bucket's lock configuration is its configuration document
	 * OBJLOCK_BUCKET_CONFIG (common/objlock.h, the compact form). A version's
	 * lock lives with the version (obj_meta.lock_*): a commit stores what its
	 * meta asks, or the bucket's default retention when it asks none (read in
	 * the commit's own atomic step); asking any in a bucket without lock is
	 * S3E_InvalidRequest.
	 */

	/*
	 * Stores the bucket's lock configuration doc (the compact form) if the
	 * bucket's versioning is Enabled, in one atomic step. Errors:
	 * S3E_InvalidBucketState (not Enabled), S3E_NoSuchBucket.
	 */
	s3err_t (*bucket_lock_put)(struct backend *be, const char *bucket, const char *doc,
				   size_t len);
	/*
	 * Changes the lock of version version_id (NULL: the latest) of bucket/key
	 * as AWS allows, in one atomic step: active COMPLIANCE retention can only
	 * be kept or extended; active GOVERNANCE retention can be extended, and
	 * shortened, removed or turned to COMPLIANCE only with
	 * ch->bypass_governance. Errors: S3E_AccessDenied (refused),
	 * S3E_InvalidRequest (the bucket has no lock configuration),
	 * S3E_NoSuchKey, S3E_NoSuchVersion, S3E_MethodNotAllowed (a delete
	 * marker), S3E_NoSuchBucket.
	 */
	s3err_t (*object_lock_set)(struct backend *be, const char *bucket, const char *key,
				   const char *version_id, const struct lock_change *ch);

	/*
	 * --- lifecycle of versions (ABI 10; issue 12). A backend without them
	 * leaves them NULL; the lifecycle engine then skips its versioning
	 * actions. Both act on a version the engine saw in a version_scan and
	 * re-check, in the same atomic step as the change, that it still is. ---
	 */

	/*
	 * Removes version version_id of bucket/key for good, as object_delete_v
	 * with that id does (the next newest becomes current if needed, the
	 * data is reclaimed), with the lock check never bypassed, and only
	 * while the version still has mtime_ms and: lone_marker false, it is
	 * not the key's latest version (a noncurrent version); lone_marker
	 * true, it is a delete marker and the key's only version. Errors:
	 * S3E_PreconditionFailed (it changed, or is gone), S3E_AccessDenied
	 * (retention or legal hold: it stays), S3E_NoSuchBucket.
	 */
	s3err_t (*version_expire)(struct backend *be, const char *bucket, const char *key,
				  const char *version_id, int64_t mtime_ms, bool lone_marker);
	/*
	 * object_transition for version version_id of bucket/key (current or
	 * not; a delete marker is S3E_PreconditionFailed), only while it is
	 * (mtime_ms, etag). Errors: as object_transition.
	 */
	s3err_t (*version_transition)(struct backend *be, const char *bucket, const char *key,
				      const char *version_id, int64_t mtime_ms, const char *etag,
				      const char *storage_class);
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
s3err_t backend_upload_create(struct backend *be, const char *bucket, const char *key,
			      const struct obj_meta *meta, char upload_id[STRATA_UPLOAD_ID_MAX]);
s3err_t backend_upload_get(struct backend *be, const char *bucket, const char *upload_id,
			   struct upload_info *out);
s3err_t backend_part_writer_open(struct backend *be, const char *bucket, const char *upload_id,
				 unsigned number, uint64_t size_hint, struct be_writer **out);
s3err_t backend_part_commit(struct backend *be, struct be_writer *w, const struct part_info *p);
s3err_t backend_part_reader_open(struct backend *be, const char *bucket, const char *upload_id,
				 unsigned number, struct be_reader **out);
s3err_t backend_part_list(struct backend *be, const char *bucket, const char *upload_id,
			  unsigned after, size_t limit, part_visit_fn visit, void *ctx);
s3err_t backend_upload_list(struct backend *be, const char *bucket, const char *prefix,
			    const char *key_marker, const char *upload_id_marker, size_t limit,
			    upload_visit_fn visit, void *ctx);
s3err_t backend_upload_abort(struct backend *be, const char *bucket, const char *upload_id);
s3err_t backend_upload_complete(struct backend *be, const char *bucket, const char *upload_id,
				const struct complete_part *parts, size_t n,
				const struct obj_meta *meta);
s3err_t backend_object_part_range(struct backend *be, const char *bucket, const char *key,
				  unsigned number, uint64_t *offset, uint64_t *size);
s3err_t backend_scrub(struct backend *be, uint64_t bytes_per_second, const volatile bool *stop,
		      scrub_report_fn report, void *ctx, struct scrub_stats *stats);
s3err_t backend_writer_seal(struct backend *be, struct be_writer *w, const uint8_t *data_key);
s3err_t backend_reader_unseal(struct backend *be, struct be_reader *r, const uint8_t *data_key);
s3err_t backend_sse_rewrap(struct backend *be, const char *target_id, sse_rewrap_fn fn, void *ctx,
			   uint64_t *count);
s3err_t backend_sse_key_usage(struct backend *be, sse_usage_fn visit, void *ctx);
s3err_t backend_object_delete_if(struct backend *be, const char *bucket, const char *key,
				 int64_t mtime_ms, const char *etag);
s3err_t backend_writer_place(struct backend *be, struct be_writer *w, const char *storage_class);
/* Whether object_transition is implemented (PutBucketLifecycleConfiguration refuses transitions
 * a backend could never carry out). */
bool backend_can_transition(struct backend *be);
s3err_t backend_object_transition(struct backend *be, const char *bucket, const char *key,
				  int64_t mtime_ms, const char *etag, const char *storage_class);
s3err_t backend_restore_request(struct backend *be, const char *bucket, const char *key,
				int64_t until_ms, int *state_out);
s3err_t backend_restore_due(struct backend *be, int64_t now_ms, restore_visit_fn visit, void *ctx);
s3err_t backend_restore_run(struct backend *be, const char *bucket, const char *key,
			    int64_t mtime_ms, const char *etag);
s3err_t backend_restore_release(struct backend *be, const char *bucket, const char *key,
				int64_t mtime_ms, const char *etag);
s3err_t backend_bucket_config_get(struct backend *be, const char *bucket, const char *name,
				  char *out, size_t cap, size_t *len, bool *found);
s3err_t backend_bucket_config_put(struct backend *be, const char *bucket, const char *name,
				  const char *value, size_t len);
s3err_t backend_bucket_config_delete(struct backend *be, const char *bucket, const char *name);
/* Whether the replication slots are implemented (PutBucketReplication refuses otherwise). */
bool backend_can_replicate(struct backend *be);
/*
 * With req NULL or asking nothing (no targets, not a replica), these do
 * what writer_commit / upload_complete / object_delete do, on any backend;
 * otherwise they need the replication slots (S3E_NotImplemented without).
 */
s3err_t backend_writer_replicate(struct backend *be, struct be_writer *w,
				 const struct repl_request *req);
s3err_t backend_upload_complete_repl(struct backend *be, const char *bucket, const char *upload_id,
				     const struct complete_part *parts, size_t n,
				     const struct obj_meta *meta, const struct repl_request *req);
s3err_t backend_object_delete_repl(struct backend *be, const char *bucket, const char *key,
				   const struct repl_request *req);
s3err_t backend_repl_enqueue(struct backend *be, const char *bucket, const char *key,
			     const struct repl_request *req);
s3err_t backend_repl_due(struct backend *be, int64_t now_ms, size_t limit, repl_visit_fn visit,
			 void *ctx);
s3err_t backend_repl_done(struct backend *be, uint64_t seq);
s3err_t backend_repl_retry(struct backend *be, uint64_t seq, int64_t next_ms, bool failed,
			   const char *error);
s3err_t backend_repl_stats(struct backend *be, const char *bucket, struct repl_stats *out);
/* Whether the versioning slots are implemented (PutBucketVersioning refuses otherwise). */
bool backend_can_version(struct backend *be);
/*
 * Without the versioning slots: writer_version and upload_complete_v leave
 * the id "" (no header), head/open/delete serve the "null" version (NULL or
 * "null"; another id is S3E_NoSuchVersion, or nothing to delete).
 */
s3err_t backend_writer_version(struct backend *be, struct be_writer *w, char *out);
s3err_t backend_upload_complete_v(struct backend *be, const char *bucket, const char *upload_id,
				  const struct complete_part *parts, size_t n,
				  const struct obj_meta *meta, const struct repl_request *req,
				  char version_id[STRATA_VERSION_ID_MAX]);
s3err_t backend_object_head_v(struct backend *be, const char *bucket, const char *key,
			      const char *version_id, struct obj_meta *out);
s3err_t backend_reader_open_v(struct backend *be, const char *bucket, const char *key,
			      const char *version_id, struct obj_meta *meta,
			      struct be_reader **out);
s3err_t backend_object_delete_v(struct backend *be, const char *bucket, const char *key,
				const char *version_id, const struct repl_request *req,
				unsigned flags, struct delete_result *out);
/* Whether the object lock slots are implemented (with versioning). */
bool backend_can_lock(struct backend *be);
s3err_t backend_bucket_lock_put(struct backend *be, const char *bucket, const char *doc,
				size_t len);
s3err_t backend_object_lock_set(struct backend *be, const char *bucket, const char *key,
				const char *version_id, const struct lock_change *ch);
s3err_t backend_version_scan(struct backend *be, const char *bucket, const char *key,
			     const char *vid, const char *prefix, size_t limit,
			     versions_visit_fn visit, void *ctx);
/*
 * Whether version_expire / version_transition are implemented
 * (PutBucketLifecycleConfiguration refuses versioning actions a versioned
 * backend could never carry out).
 */
bool backend_can_expire_version(struct backend *be);
bool backend_can_transition_version(struct backend *be);
s3err_t backend_version_expire(struct backend *be, const char *bucket, const char *key,
			       const char *version_id, int64_t mtime_ms, bool lone_marker);
s3err_t backend_version_transition(struct backend *be, const char *bucket, const char *key,
				   const char *version_id, int64_t mtime_ms, const char *etag,
				   const char *storage_class);
/* S3E_NotImplemented when the backend has no storage_usage slot. */
s3err_t backend_storage_usage(struct backend *be, usage_visit_fn visit, void *ctx);
void backend_close(struct backend *be);

#endif
