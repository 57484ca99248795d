/*
 * ops: the S3 operations, one function each, grouped by file:
 *   op_service.c      ListBuckets
 *   op_bucket.c       CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
 *                     GetBucketVersioning, Get/PutBucketAcl
 *   op_object.c       PutObject, GetObject, HeadObject, DeleteObject, Get/PutObjectAcl
 *   op_attributes.c   GetObjectAttributes
 *   op_copy.c         CopyObject
 *   op_encryption.c   Put/Get/DeleteBucketEncryption
 *   op_lifecycle.c    Put/Get/DeleteBucketLifecycleConfiguration
 *   op_replication.c  Put/Get/DeleteBucketReplication
 *   op_cors.c         Put/Get/DeleteBucketCors, the OPTIONS preflight, CORS response headers
 *   op_restore.c      RestoreObject (and the archive read check)
 *   op_list.c         ListObjects, ListObjectsV2, ListObjectVersions
 *   op_delete_multi.c DeleteObjects
 *   op_multipart.c    CreateMultipartUpload, UploadPart, UploadPartCopy,
 *                     CompleteMultipartUpload, AbortMultipartUpload, ListParts,
 *                     ListMultipartUploads
 * Each returns S3E_OK after building r->resp, or an error the server answers.
 */
#ifndef STRATA_OPS_H
#define STRATA_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/limits.h"
#include "../common/objmeta.h"
#include "../common/s3err.h"

struct request;

s3err_t op_list_buckets(struct request *r);

s3err_t op_create_bucket(struct request *r);
s3err_t op_head_bucket(struct request *r);
s3err_t op_delete_bucket(struct request *r);
s3err_t op_get_bucket_location(struct request *r);
s3err_t op_get_bucket_versioning(struct request *r);
/*
 * PutBucketVersioning (issue 12). The state is the bucket configuration
 * document VERSIONING_BUCKET_CONFIG, "Enabled" or "Suspended" (none: never
 * versioned), which the backend reads in each commit (backend.h).
 */
#define VERSIONING_BUCKET_CONFIG "versioning"
s3err_t op_put_bucket_versioning(struct request *r);
/*
 * The versionId query parameter of an object request: *out NULL when absent,
 * else a well-formed id or "null". Error: S3E_InvalidArgument ("Invalid
 * version id specified", as AWS), recorded on r.
 */
s3err_t op_version_id(struct request *r, const char **out);
/* Adds x-amz-version-id (when id is not "") and x-amz-delete-marker: true (when marker). */
void op_version_headers(struct request *r, const char *id, bool marker);
/*
 * The x-amz-version-id of a write (PutObject, CopyObject, Complete): the id
 * the commit made; none for the "null" version of a Suspended bucket, as AWS
 * (and Ceph's s3-tests) answer.
 */
void op_written_version(struct request *r, const char *id);
/*
 * Object Lock (op_lock.c, issue 12). op_lock_headers reads a write's
 * x-amz-object-lock-* headers into m's lock fields (none: cleared), checks
 * them as AWS does (both mode and date or neither, a future date, ON/OFF;
 * with need_integrity a Content-MD5 or checksum header) and that the
 * bucket has lock enabled (else InvalidRequest); errors are recorded on r.
 */
struct objlock_cfg;
s3err_t op_lock_headers(struct request *r, bool need_integrity, struct obj_meta *m);
/* The bucket's lock configuration; *found false without one. */
s3err_t op_lock_config_get(struct request *r, struct objlock_cfg *cfg, bool *found);
/* A commit's error, with AWS's message when the bucket lost its lock meanwhile. */
s3err_t op_lock_commit_error(struct request *r, s3err_t err);
/* x-amz-object-lock-mode / -retain-until-date / -legal-hold of a HEAD or GET. */
void op_lock_response_headers(struct request *r, const struct obj_meta *m);
/* Whether the request may bypass GOVERNANCE retention (header sent, by the bucket's owner). */
bool op_lock_bypass(struct request *r);
s3err_t op_put_bucket_object_lock(struct request *r);
s3err_t op_get_bucket_object_lock(struct request *r);
s3err_t op_put_object_retention(struct request *r);
s3err_t op_get_object_retention(struct request *r);
s3err_t op_put_object_legal_hold(struct request *r);
s3err_t op_get_object_legal_hold(struct request *r);
s3err_t op_get_acl(struct request *r);
s3err_t op_put_acl(struct request *r);

s3err_t op_put_object_begin(struct request *r);
s3err_t op_put_object(struct request *r);
s3err_t op_get_object(struct request *r);
s3err_t op_head_object(struct request *r);
s3err_t op_delete_object(struct request *r);
s3err_t op_get_object_attributes(struct request *r);

s3err_t op_put_bucket_encryption(struct request *r);
s3err_t op_get_bucket_encryption(struct request *r);
s3err_t op_delete_bucket_encryption(struct request *r);

s3err_t op_restore_object(struct request *r);
/* True for GLACIER and DEEP_ARCHIVE: read only through a restored copy. */
bool op_is_archive_class(const char *storage_class);
/* S3E_OK unless m is archived without a readable restored copy (then InvalidObjectState). */
s3err_t op_archive_readable(struct request *r, const struct obj_meta *m);

s3err_t op_put_bucket_lifecycle(struct request *r);
/* GET of a bucket document stored as the XML it answers with (op_documents.c). */
s3err_t op_get_stored_document(struct request *r, const char *name, s3err_t not_found);
s3err_t op_get_bucket_lifecycle(struct request *r);
s3err_t op_delete_bucket_lifecycle(struct request *r);

s3err_t op_put_bucket_replication(struct request *r);
s3err_t op_get_bucket_replication(struct request *r);
s3err_t op_delete_bucket_replication(struct request *r);

s3err_t op_put_bucket_cors(struct request *r);
s3err_t op_get_bucket_cors(struct request *r);
s3err_t op_delete_bucket_cors(struct request *r);
/* OPTIONS on a bucket or object: answered by the bucket's CORS rules, unauthenticated. */
s3err_t op_preflight(struct request *r);
/*
 * Adds the CORS headers of the bucket's first rule allowing r's Origin and
 * method to r->resp (success or error), as AWS does for a browser's actual
 * request; nothing without an Origin, rules or a matching rule. One
 * configuration lookup. Called once per request, by resp_queue.
 */
void op_cors_response_headers(struct request *r);

s3err_t op_copy_object(struct request *r);

s3err_t op_list_objects(struct request *r);
s3err_t op_list_object_versions(struct request *r);

s3err_t op_delete_objects(struct request *r);

s3err_t op_create_multipart(struct request *r);
s3err_t op_upload_part_begin(struct request *r);
s3err_t op_upload_part(struct request *r);
s3err_t op_upload_part_copy(struct request *r);
s3err_t op_complete_multipart(struct request *r);
s3err_t op_abort_multipart(struct request *r);
s3err_t op_list_parts(struct request *r);
s3err_t op_list_multipart_uploads(struct request *r);

/* --- shared by the object writers (PutObject, CopyObject) --- */

struct obj_meta;

/*
 * Refuses headers that ask for features Strata does not implement yet
 * (encryption, tagging, object lock, non-STANDARD storage classes, grants,
 * conditional writes): NotImplemented, never silently ignored.
 */
s3err_t op_refuse_unsupported_write(struct request *r);
/*
 * The storage class a write asks for (x-amz-storage-class) into out: "" for
 * none or STANDARD; STANDARD_IA, GLACIER_IR, GLACIER and DEEP_ARCHIVE as
 * given. Other AWS classes answer NotImplemented, anything else
 * InvalidStorageClass (via req_fail).
 */
s3err_t op_storage_class(struct request *r, char out[STRATA_STORAGE_CLASS_MAX]);

/*
 * Copies Content-Type/-Encoding/-Disposition/-Language, Cache-Control,
 * Expires and x-amz-meta-* from the request into m's header blob (names
 * lowercased; aws-chunked removed from Content-Encoding).
 * Errors: S3E_MetadataTooLarge past 2 KiB of user metadata.
 */
s3err_t op_collect_metadata(struct request *r, struct obj_meta *m);

struct copy_source {
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
	char *key;				/* arena */
	char version_id[STRATA_VERSION_ID_MAX]; /* ?versionId=, "" for the latest */
};

/*
 * Parses x-amz-copy-source: "[/]bucket/key[?versionId=ID]", URL-encoded.
 * Errors: S3E_InvalidArgument (also a malformed version id),
 * S3E_InvalidBucketName, S3E_KeyTooLongError.
 */
s3err_t op_parse_copy_source(struct request *r, struct copy_source *src);

struct sse_key;
struct be_reader;

/*
 * Opens a parsed copy source for r (CopyObject, UploadPartCopy): its bucket
 * must belong to the requester, its SSE-C key (x-amz-copy-source-…) match,
 * an archived source be restored, and the x-amz-copy-source-if-* conditions
 * hold. Fills *meta, *key and *out as it goes, also when it fails later:
 * the caller releases them (obj_meta_free, sse_key_clear,
 * backend_reader_close) either way. Errors as req_fail'ed.
 */
s3err_t op_open_copy_source(struct request *r, const struct copy_source *src, struct obj_meta *meta,
			    struct sse_key *key, struct be_reader **out);

struct be_reader;
struct be_writer;
struct hashset;

/*
 * Streams len bytes of rd from offset first into w, hashing every byte
 * into hs, with one bounded block of memory (CopyObject, UploadPartCopy).
 */
s3err_t op_copy_range(struct request *r, struct be_reader *rd, uint64_t first, uint64_t len,
		      struct be_writer *w, struct hashset *hs);

/* Parses a ?partNumber= value: 1..10000, else S3E_InvalidArgument (recorded on r). */
s3err_t op_part_number(struct request *r, const char *value, unsigned *out);

/* Adds the checksum response headers (x-amz-checksum-*, type) for m. */
void op_checksum_headers(struct request *r, const struct obj_meta *m);

#endif
