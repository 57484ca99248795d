/*
 * ops: the S3 operations, one function each, grouped by file:
 *   op_service.c      ListBuckets
 *   op_bucket.c       CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
 *                     GetBucketVersioning, Get/PutBucketAcl
 *   op_object.c       PutObject, GetObject, HeadObject, DeleteObject, Get/PutObjectAcl
 *   op_copy.c         CopyObject
 *   op_list.c         ListObjects, ListObjectsV2, ListObjectVersions
 *   op_delete_multi.c DeleteObjects
 * Each returns S3E_OK after building r->resp, or an error the server answers.
 */
#ifndef STRATA_OPS_H
#define STRATA_OPS_H

#include "../common/s3err.h"

struct request;

s3err_t op_list_buckets(struct request *r);

s3err_t op_create_bucket(struct request *r);
s3err_t op_head_bucket(struct request *r);
s3err_t op_delete_bucket(struct request *r);
s3err_t op_get_bucket_location(struct request *r);
s3err_t op_get_bucket_versioning(struct request *r);
s3err_t op_get_acl(struct request *r);
s3err_t op_put_acl(struct request *r);

s3err_t op_put_object_begin(struct request *r);
s3err_t op_put_object(struct request *r);
s3err_t op_get_object(struct request *r);
s3err_t op_head_object(struct request *r);
s3err_t op_delete_object(struct request *r);

s3err_t op_copy_object(struct request *r);

s3err_t op_list_objects(struct request *r);
s3err_t op_list_object_versions(struct request *r);

s3err_t op_delete_objects(struct request *r);

/* --- shared by the object writers (PutObject, CopyObject) --- */

struct obj_meta;

/*
 * Refuses headers that ask for features Strata does not implement yet
 * (encryption, tagging, object lock, non-STANDARD storage classes, grants,
 * conditional writes): NotImplemented, never silently ignored.
 */
s3err_t op_refuse_unsupported_write(struct request *r);

/*
 * Copies Content-Type/-Encoding/-Disposition/-Language, Cache-Control,
 * Expires and x-amz-meta-* from the request into m's header blob (names
 * lowercased; aws-chunked removed from Content-Encoding).
 * Errors: S3E_MetadataTooLarge past 2 KiB of user metadata.
 */
s3err_t op_collect_metadata(struct request *r, struct obj_meta *m);

/* Adds the checksum response headers (x-amz-checksum-*, type) for m. */
void op_checksum_headers(struct request *r, const struct obj_meta *m);

#endif
