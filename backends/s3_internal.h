/*
 * s3_internal: what the files of the remote-S3 backend share (s3.c: buckets,
 * configurations, keys, heads, listing, open; s3_io.c: writers and readers;
 * s3_multipart.c: multipart uploads and parts; s3_complete.c: Complete and
 * multipart objects; s3_versions.c: versioning passed through to the remote). Not for anything
 * outside backends/s3*.c. The layout and invariants are in s3.h (S1..S5) and s3_multipart.c
 * (U1..U10).
 */
#ifndef STRATA_S3_INTERNAL_H
#define STRATA_S3_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/frames.h"
#include "../common/objwire.h"
#include "../common/sse.h"
#include "s3.h"
#include "s3client.h"

#define S3_LOG_MOD "s3"

/* Headers of remote objects (user metadata, so every S3 store keeps them). */
#define S3_META_HEADER "x-amz-meta-strata" /* objwire of the object, part or upload */
#define S3_COMPLETED_HEADER "x-amz-meta-strata-completed" /* done/ records: the final ETag */
#define S3_BUCKET_HEADER "x-amz-meta-strata-bucket"	  /* finals/ records: the remote bucket */

/* Key prefixes in the system bucket (s3.h, "Layout"). */
#define S3_STAGING_PREFIX "staging/"
#define S3_REGISTRY_PREFIX "buckets/"
#define S3_CONFIG_PREFIX "configs/"
#define S3_KEYS_PREFIX "keys/"
#define S3_UPLOADS_PREFIX "uploads/"
#define S3_DONE_PREFIX "done/"
#define S3_PARTS_PREFIX "parts/"
#define S3_FINALS_PREFIX "finals/"

/* The configuration document that is the remote bucket's own versioning (backend.h, ABI 8). */
#define S3_VERSIONING_CONFIG "versioning"
#define S3_VERSIONING_MAX 16u /* "Enabled", "Suspended" or "" and the NUL */

#define S3_FRAME_STRIDE ((uint64_t)FRAME_DATA_SIZE + FRAME_TAG_SIZE)
#define S3_REMOTE_KEY_MAX (STRATA_MAX_KEY_LEN + 1)
#define S3_ID_HEX (2 * FRAME_FILE_ID_SIZE) /* a file or upload id in hex */
/* "staging/<32 hex>", "finals/<32 hex>" */
#define S3_SYSTEM_ID_KEY_MAX (sizeof(S3_STAGING_PREFIX) + S3_ID_HEX)

/* One cached listing answer: the metadata of (bucket, key) while its remote ETag and time hold. */
struct s3_cache_slot {
	uint64_t hash; /* of bucket NUL key; 0 = empty */
	char remote_etag[S3C_MAX_ETAG];
	int64_t remote_mtime_ms;
	struct obj_meta meta; /* headers NULL */
};

/*
 * One data file inside a remote object, as a reader maps it: the whole body
 * of a single-PUT object or a part, or one part of a multipart object.
 */
struct s3_span {
	uint64_t start;	 /* plaintext offset in the object */
	uint64_t sstart; /* offset of its first frame in the remote object */
	uint64_t size;	 /* plaintext bytes */
	uint8_t file_id[FRAME_FILE_ID_SIZE];
};

/* A verified manifest, cached by the multipart object's file id (which it is bound to). */
struct s3_manifest_slot {
	uint8_t file_id[FRAME_FILE_ID_SIZE];
	struct s3_span *spans; /* NULL = empty slot */
	size_t n;
};

struct s3be {
	struct backend base;
	struct s3c *c;
	char prefix[S3_MAX_BUCKET_PREFIX + 1];
	char system[STRATA_BUCKET_NAME_MAX + 1];
	pthread_mutex_t cache_lock;    /* guards cache; never held across a request */
	struct s3_cache_slot *cache;   /* S3_META_CACHE_SLOTS */
	pthread_mutex_t registry_lock; /* guards registry and vstate; never held across a request */
	struct s3_registry_slot {
		struct bucket_info bi; /* bi.name[0] == 0: empty */
		int64_t until_ms;      /* monotonic clock */
	} registry[S3_REGISTRY_CACHE_SLOTS];
	/* The remote buckets' versioning, as GetBucketVersioning said (s3_versioning_state). */
	struct s3_vstate_slot {
		char name[STRATA_BUCKET_NAME_MAX + 1]; /* "" = empty */
		char status[S3_VERSIONING_MAX];
		int64_t until_ms; /* monotonic clock */
	} vstate[S3_REGISTRY_CACHE_SLOTS];
	pthread_mutex_t keys_lock;     /* guards recorded; never held across a request */
	pthread_mutex_t manifest_lock; /* guards manifests; never held across a request */
	struct s3_manifest_slot manifests[S3_MANIFEST_CACHE_SLOTS];
	char recorded[S3_MAX_KEY_IDS][STRATA_SSE_KEY_ID_MAX]; /* keys/<id> written by us */
	size_t nrecorded;
};

static inline struct s3be *s3be_of(struct backend *be)
{
	return (struct s3be *)be;
}

/* What a part writer publishes to (s3_multipart.c); the upload's fields its parts repeat. */
struct s3_part_target {
	char upload_id[STRATA_UPLOAD_ID_MAX];
	unsigned number;
	int sse_mode;
	char sse_key_id[STRATA_SSE_KEY_ID_MAX];
	uint8_t sse_envelope[STRATA_SSE_ENVELOPE_MAX];
	size_t sse_envelope_len;
	char checksum_algo[16];
};

/*
 * A hidden object being written (S1, S3, S5): framed bytes gather in buf and
 * go out as one PUT at publish, or as parts of a staging upload once they
 * outgrow it.
 */
struct be_writer {
	struct s3be *b;
	char rbucket[STRATA_BUCKET_NAME_MAX + 1]; /* where it is published */
	char bucket[STRATA_BUCKET_NAME_MAX + 1];  /* the Strata bucket (for logs and parts) */
	char *key;				  /* the remote key it is published at */
	uint8_t file_id[FRAME_FILE_ID_SIZE];
	struct frames_encoder *enc; /* made by writer_seal or the first write */
	bool sealed;		    /* writer_seal was called */
	s3err_t failed;		    /* sticky: a part upload failed */
	uint8_t *buf;		    /* framed bytes not yet sent: < S3_PART_BUFFER + a frame */
	size_t len, cap;	    /* bytes in buf, and its size (grown as needed) */
	uint64_t stored;	    /* framed bytes emitted in all */
	/* Staging (S1), once the data outgrows one buffer. */
	char staging_key[S3_SYSTEM_ID_KEY_MAX];
	char upload_id[S3C_MAX_UPLOAD_ID];
	char (*etags)[S3C_MAX_ETAG];
	size_t nparts, cap_parts;
	struct s3_part_target *part; /* part writers only (owned) */
	char *vid_out;		     /* writer_version: where publish writes the new version's id */
};

/* ---- s3.c: names and metadata ---- */

/* The remote bucket of Strata bucket name. Errors: S3E_InvalidBucketName (too long). */
s3err_t s3_remote_bucket(const struct s3be *b, const char *name,
			 char out[STRATA_BUCKET_NAME_MAX + 1]);
/* "<prefix><a><b>" into out[cap] (b may be NULL); false when it does not fit. */
bool s3_join_key(char *out, size_t cap, const char *prefix, const char *a, const char *b);
/* Lowercase hex of the string s into out[cap]. Errors: S3E_InternalError (too long). */
s3err_t s3_hex_header(char *out, size_t cap, const char *s);
/* Decodes the hex header `name` of res into the string out[cap]; false if absent or malformed. */
bool s3_unhex_header(const struct s3c_result *res, const char *name, char *out, size_t cap);
/*
 * Decodes the x-amz-meta-strata header of res into *m (obj_meta_init'ed) and
 * *x. Absent: S3E_NoSuchKey (not Strata's; logged); malformed: S3E_InternalError.
 */
s3err_t s3_meta_from_result(const struct s3c_result *res, const char *bucket, const char *key,
			    struct obj_meta *m, struct objwire_extra *x);
/* HEAD of Strata bucket/key: its metadata (headers included) and extra. Errors: as the HEAD. */
s3err_t s3_head_meta(struct s3be *b, const char *bucket, const char *key, struct obj_meta *m,
		     struct objwire_extra *x, struct s3c_result *res);
/*
 * The registry entry of bucket name, from a cache of S3_REGISTRY_TTL_MS (every
 * request needs it at least once; only entries that exist are cached).
 * Errors: S3E_NoSuchBucket, the remote's.
 */
s3err_t s3_registry_get(struct s3be *b, const char *name, struct bucket_info *out);
/* Records m's SSE-S3 master key in keys/ once per process (best effort, logged). */
void s3_record_key(struct s3be *b, const struct obj_meta *m);
/*
 * GETs <system>/key, whose body is a string of at most cap - 1 bytes, into
 * out (NUL-terminated, *len bytes), and its headers into res. A body that
 * is longer or holds a NUL is malformed: S3E_InternalError (logged).
 * Errors: S3E_NoSuchKey, the remote's.
 */
s3err_t s3_system_get(struct s3be *b, const char *key, char *out, size_t cap, size_t *len,
		      struct s3c_result *res);
/* A fresh random file (or upload) id. Errors: S3E_InternalError (RAND_bytes). */
s3err_t s3_random_id(uint8_t id[FRAME_FILE_ID_SIZE]);
/*
 * The versioning of bucket's remote bucket into status[S3_VERSIONING_MAX]
 * ("Enabled", "Suspended", "": never), from a cache of S3_REGISTRY_TTL_MS
 * unless fresh. Errors: S3E_NoSuchBucket, the remote's.
 */
s3err_t s3_versioning_state(struct s3be *b, const char *bucket, bool fresh,
			    char status[S3_VERSIONING_MAX]);
/*
 * The metadata of listed remote object o of bucket (version vid, NULL: the
 * latest) into *m (headers NULL): from the listing cache while o's remote
 * ETag and time match, else by HEAD. Errors: S3E_NoSuchKey (gone, or not
 * Strata's: skip it), the remote's.
 */
s3err_t s3_listed_meta(struct s3be *b, const char *bucket, const char *rbucket,
		       const struct s3c_object *o, const char *vid, struct obj_meta *m);

/* ---- s3_io.c: writers, readers, journaled remote uploads ---- */

/*
 * A writer that will publish at rbucket/<key set by the caller> (w->key is
 * NULL until then), with a fresh file id. Errors: S3E_InternalError.
 */
s3err_t s3_writer_new(struct s3be *b, const char *rbucket, const char *bucket,
		      struct be_writer **out);
/*
 * Finishes the frames and publishes w at w->rbucket/w->key with meta and
 * extra {w->file_id, framed size} in x-amz-meta-strata (S1, S2), then drops
 * the staging upload. Does not free w. Errors: the remote's, S3E_MetadataTooLarge.
 */
s3err_t s3_writer_publish(struct be_writer *w, const struct obj_meta *meta);
/* Frees w (after s3_writer_publish, which already dropped its staging). */
void s3_writer_free(struct be_writer *w);
/* The writer_* and reader_* slots. */
s3err_t s3_writer_open(struct backend *be, const char *bucket, const char *key, uint64_t size_hint,
		       struct be_writer **out);
s3err_t s3_writer_write(struct be_writer *w, const void *data, size_t len);
s3err_t s3_writer_commit(struct be_writer *w, const struct obj_meta *meta);
void s3_writer_abort(struct be_writer *w);
s3err_t s3_writer_seal(struct be_writer *w, const uint8_t *data_key);
s3err_t s3_writer_place(struct be_writer *w, const char *storage_class);

/*
 * A reader of the remote object rbucket/key whose plaintext (size bytes) is
 * spans[0..n) (takes ownership of spans, also on failure); sealed: every
 * span is sealed under a key derived from the data key reader_unseal gives.
 * Errors: S3E_InternalError.
 */
s3err_t s3_reader_make(struct s3be *b, const char *rbucket, const char *key, uint64_t size,
		       bool sealed, struct s3_span *spans, size_t n, struct be_reader **out);
s3err_t s3_reader_open(struct backend *be, const char *bucket, const char *key,
		       struct obj_meta *meta, struct be_reader **out);
/* reader_open of version vid (NULL: the latest); a read of it stays on it (S4, V3). */
s3err_t s3_reader_open_v(struct backend *be, const char *bucket, const char *key, const char *vid,
			 struct obj_meta *meta, struct be_reader **out);
s3err_t s3_reader_read(struct be_reader *r, uint64_t off, void *buf, size_t len, size_t *got);
s3err_t s3_reader_unseal(struct be_reader *r, const uint8_t *data_key);
void s3_reader_close(struct be_reader *r);

/*
 * A remote multipart upload into a user bucket (a commit above 5 GiB, a
 * Complete) is journaled: s3_final_begin writes finals/<id> naming rbucket
 * (in its metadata) and key (its body) before the upload is created, s3_final_end removes it after
 * it completed or was aborted, and the sweep aborts the uploads of records a dead process left
 * (s3_sweep_finals). Errors: the remote's.
 */
s3err_t s3_final_begin(struct s3be *b, const char *rbucket, const char *key,
		       char id[S3_ID_HEX + 1]);
void s3_final_end(struct s3be *b, const char id[S3_ID_HEX + 1]);
/*
 * Copies system object src (size bytes, above CopyObject's 5 GiB) to
 * rbucket/key with hdrs: a journaled multipart copy in S3_COPY_PART_SIZE
 * steps, the metadata given at create, aborted on failure (S1).
 * Errors: the remote's.
 */
s3err_t s3_copy_large(struct s3be *b, const char *rbucket, const char *key, const char *src,
		      uint64_t size, const struct s3c_header *hdrs, size_t nhdrs,
		      struct s3c_result *res);
/* One page of finals/ records older than S3_STAGING_MAX_AGE_MS: their uploads aborted. */
void s3_sweep_finals(struct s3be *b);

/* ---- s3_multipart.c: upload records and parts (U1..U4, U8, U9) ---- */

#define S3_NUMBER_DIGITS 5u
#define S3_PART_SUFFIX_LEN (S3_NUMBER_DIGITS + 1 + S3_ID_HEX) /* "NNNNN-<file id>" */
/* "uploads/<bucket>/<id>" (done/ is shorter) and "parts/<bucket>/<id>/NNNNN-<file id>" */
#define S3_MARKER_KEY_MAX (sizeof(S3_UPLOADS_PREFIX) + STRATA_BUCKET_NAME_MAX + 1 + S3_ID_HEX)
#define S3_PART_KEY_MAX                                                                            \
	(sizeof(S3_PARTS_PREFIX) + STRATA_BUCKET_NAME_MAX + 1 + S3_ID_HEX + 1 + S3_PART_SUFFIX_LEN)

/* A part object as HEAD showed it. */
struct s3_part_rec {
	struct part_info info;
	uint8_t file_id[FRAME_FILE_ID_SIZE];
	uint64_t stored; /* its framed bytes: the part object's length */
	int sse_mode;
	char key[S3_PART_KEY_MAX];
};

/* Called per part, ascending; false stops the walk. */
typedef bool (*s3_part_rec_fn)(void *ctx, const struct s3_part_rec *p);

/* "<prefix><bucket>/<id>" (prefix uploads/ or done/); false if it does not fit. */
bool s3_mp_marker_key(char out[S3_MARKER_KEY_MAX], const char *prefix, const char *bucket,
		      const char *id);
/* "parts/<bucket>/<id>/": every part object of the upload. */
bool s3_mp_parts_prefix(char out[S3_PART_KEY_MAX], const char *bucket, const char *id);
/* Deletes every object of the system bucket under prefix, a page at a time. */
s3err_t s3_mp_delete_prefix(struct s3be *b, const char *prefix);
/*
 * The marker of active upload id of bucket into *u (meta with its headers:
 * the caller frees them once this returned S3E_OK); res keeps the HEAD's
 * answer. Errors: S3E_NoSuchUpload, S3E_NoSuchBucket, S3E_InternalError, the remote's.
 */
s3err_t s3_mp_active(struct s3be *b, const char *bucket, const char *id, struct upload_info *u,
		     struct s3c_result *res);
/*
 * Visits the parts of upload id (U3: per number, the greatest of its
 * objects) with number > after, ascending; only part `only` unless it is 0.
 * Errors: the remote's, S3E_InternalError (a malformed part object).
 */
s3err_t s3_mp_walk(struct s3be *b, const char *bucket, const char *id, unsigned after,
		   unsigned only, s3_part_rec_fn fn, void *ctx);
/* Removes every upload, completed-upload record and part of bucket (DeleteBucket, U8). */
s3err_t s3_mp_bucket_purge(struct s3be *b, const char *bucket);
/* One bounded pass over parts/ and done/ leftovers (U9), at open. */
void s3_mp_sweep(struct s3be *b);

/* The upload_* and part_* slots. */
s3err_t s3_upload_create(struct backend *be, const char *bucket, const char *key,
			 const struct obj_meta *meta, char upload_id[STRATA_UPLOAD_ID_MAX]);
s3err_t s3_upload_get(struct backend *be, const char *bucket, const char *upload_id,
		      struct upload_info *out);
s3err_t s3_part_writer_open(struct backend *be, const char *bucket, const char *upload_id,
			    unsigned number, uint64_t size_hint, struct be_writer **out);
s3err_t s3_part_commit(struct be_writer *w, const struct part_info *p);
s3err_t s3_part_reader_open(struct backend *be, const char *bucket, const char *upload_id,
			    unsigned number, struct be_reader **out);
s3err_t s3_part_list(struct backend *be, const char *bucket, const char *upload_id, unsigned after,
		     size_t limit, part_visit_fn visit, void *ctx);
s3err_t s3_upload_list(struct backend *be, const char *bucket, const char *prefix,
		       const char *key_marker, const char *upload_id_marker, size_t limit,
		       upload_visit_fn visit, void *ctx);
s3err_t s3_upload_abort(struct backend *be, const char *bucket, const char *upload_id);

/* ---- s3_complete.c: multipart objects (U5..U7) ---- */

/*
 * The spans of multipart object rbucket/key (m->parts_count > 0, x its
 * extra): its manifest read from the remote (or the cache) and verified.
 * *spans is the caller's to free. vid: the remote version id of the object
 * (NULL: the latest); if_match: the remote ETag of the version m describes
 * (NULL: any). Errors: S3E_InternalError (logged: a manifest
 * that fails verification or does not add up), S3E_NoSuchKey (gone
 * meanwhile), S3E_PreconditionFailed (another version meanwhile), the
 * remote's.
 */
s3err_t s3_manifest_spans(struct s3be *b, const char *rbucket, const char *key, const char *vid,
			  const char *if_match, const struct obj_meta *m,
			  const struct objwire_extra *x, struct s3_span **spans, size_t *n);
/* Frees the manifest cache (close). */
void s3_mp_close(struct s3be *b);
/* The upload_complete and object_part_range slots. */
s3err_t s3_upload_complete(struct backend *be, const char *bucket, const char *upload_id,
			   const struct complete_part *parts, size_t n,
			   const struct obj_meta *meta);
/* s3_upload_complete that writes the remote's id of the version it made (s3_vid_of). */
s3err_t s3_upload_complete_vid(struct s3be *b, const char *bucket, const char *upload_id,
			       const struct complete_part *parts, size_t n,
			       const struct obj_meta *meta, char vid[STRATA_VERSION_ID_MAX]);
s3err_t s3_object_part_range(struct backend *be, const char *bucket, const char *key,
			     unsigned number, uint64_t *offset, uint64_t *size);

/* ---- s3_versions.c: versioning (V1..V5 there) ---- */

/*
 * The version a write or read of bucket met, from res's x-amz-version-id,
 * into vid: the remote's id when it keeps to versions_id_valid's form; "null"
 * when the remote named none but the bucket is versioned or suspended (RGW
 * names no null version); "" in a never-versioned bucket. asked: the id the
 * request named (NULL: none). Errors: S3E_NotImplemented (an id Strata cannot
 * pass on safely: logged), the remote's (the bucket's state).
 */
s3err_t s3_vid_of(struct s3be *b, const char *bucket, const struct s3c_result *res,
		  const char *asked, char vid[STRATA_VERSION_ID_MAX]);
/*
 * s3_vid_of for the answer res of a write (PUT, copy, Complete) that
 * published rbucket/key: when the remote names no version in an Enabled
 * bucket (RGW's CopyObject), the key's version with res->etag is the one.
 */
s3err_t s3_vid_written(struct s3be *b, const char *bucket, const char *rbucket, const char *key,
		       const struct s3c_result *res, char vid[STRATA_VERSION_ID_MAX]);
/*
 * After a HEAD or GET of bucket/key (version vid, NULL: the latest) found
 * nothing: whether a delete marker is what it found, from the remote's
 * version listing (RGW's 404 does not say). Returns S3E_NoSuchKey (the
 * latest is a marker: m->delete_marker and m->version_id set, or there is
 * nothing), S3E_MethodNotAllowed (vid is a marker: m set), S3E_NoSuchVersion
 * (no version vid), or the listing's error.
 */
s3err_t s3_marker_probe(struct s3be *b, const char *bucket, const char *rbucket, const char *key,
			const char *vid, struct obj_meta *m);
/* The versioning slots (backend.h, ABI 8). */
s3err_t s3_writer_version(struct be_writer *w, char *out);
s3err_t s3_upload_complete_v(struct backend *be, const char *bucket, const char *upload_id,
			     const struct complete_part *parts, size_t n,
			     const struct obj_meta *meta, const struct repl_request *req,
			     char version_id[STRATA_VERSION_ID_MAX]);
s3err_t s3_object_head_v(struct backend *be, const char *bucket, const char *key,
			 const char *version_id, struct obj_meta *out);
s3err_t s3_object_delete_v(struct backend *be, const char *bucket, const char *key,
			   const char *version_id, const struct repl_request *req, unsigned flags,
			   struct delete_result *out);
s3err_t s3_version_scan(struct backend *be, const char *bucket, const char *key, const char *vid,
			const char *prefix, size_t limit, versions_visit_fn visit, void *ctx);

#endif
