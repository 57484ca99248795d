/* routes: the operation table and the matcher. */
#include "routes.h"

#include <string.h>

#include "../common/corsrules.h"
#include "../common/lcrules.h"
#include "../common/limits.h"
#include "../common/replrules.h"
#include "ops.h"
#include "request.h"

#define OWNED ROUTE_OWNED
#define ANON ROUTE_ANONYMOUS

/*
 * Order matters only among rows with the same method and target: a row with
 * a sub-resource or selecting header is tried before the plain row.
 */
/* clang-format off */
static const struct route routes[] = {
	/* method  target          sub-resource  header               operation               body        cap                            begin                 run                         flags */
	{"GET",    TARGET_SERVICE, NULL,         NULL,                "ListBuckets",          BODY_NONE,   0,                            NULL,                 op_list_buckets,            0},

	{"PUT",    TARGET_BUCKET,  "acl",        NULL,                "PutBucketAcl",         BODY_XML,    STRATA_MAX_SMALL_XML_BODY,    NULL,                 op_put_acl,                 OWNED},
	{"PUT",    TARGET_BUCKET,  NULL,         NULL,                "CreateBucket",         BODY_XML,    STRATA_MAX_SMALL_XML_BODY,    NULL,                 op_create_bucket,           0},
	{"HEAD",   TARGET_BUCKET,  NULL,         NULL,                "HeadBucket",           BODY_NONE,   0,                            NULL,                 op_head_bucket,             OWNED},
	{"DELETE", TARGET_BUCKET,  NULL,         NULL,                "DeleteBucket",         BODY_NONE,   0,                            NULL,                 op_delete_bucket,           OWNED},
	{"PUT",    TARGET_BUCKET,  "encryption", NULL,                "PutBucketEncryption",  BODY_XML,    STRATA_MAX_SMALL_XML_BODY,    NULL,                 op_put_bucket_encryption,   OWNED},
	{"GET",    TARGET_BUCKET,  "encryption", NULL,                "GetBucketEncryption",  BODY_NONE,   0,                            NULL,                 op_get_bucket_encryption,   OWNED},
	{"DELETE", TARGET_BUCKET,  "encryption", NULL,                "DeleteBucketEncryption", BODY_NONE, 0,                            NULL,                 op_delete_bucket_encryption, OWNED},
	{"PUT",    TARGET_BUCKET,  "lifecycle",  NULL,                "PutBucketLifecycleConfiguration", BODY_XML, LC_MAX_XML,        NULL,                 op_put_bucket_lifecycle,    OWNED},
	{"GET",    TARGET_BUCKET,  "lifecycle",  NULL,                "GetBucketLifecycleConfiguration", BODY_NONE, 0,                 NULL,                 op_get_bucket_lifecycle,    OWNED},
	{"DELETE", TARGET_BUCKET,  "lifecycle",  NULL,                "DeleteBucketLifecycle", BODY_NONE,  0,                            NULL,                 op_delete_bucket_lifecycle, OWNED},
	{"PUT",    TARGET_BUCKET,  "replication", NULL,               "PutBucketReplication", BODY_XML,    RR_MAX_XML,                   NULL,                 op_put_bucket_replication,  OWNED},
	{"GET",    TARGET_BUCKET,  "replication", NULL,               "GetBucketReplication", BODY_NONE,   0,                            NULL,                 op_get_bucket_replication,  OWNED},
	{"DELETE", TARGET_BUCKET,  "replication", NULL,               "DeleteBucketReplication", BODY_NONE, 0,                           NULL,                 op_delete_bucket_replication, OWNED},
	{"PUT",    TARGET_BUCKET,  "cors",       NULL,                "PutBucketCors",        BODY_XML,    CORS_MAX_XML,                 NULL,                 op_put_bucket_cors,         OWNED},
	{"GET",    TARGET_BUCKET,  "cors",       NULL,                "GetBucketCors",        BODY_NONE,   0,                            NULL,                 op_get_bucket_cors,         OWNED},
	{"DELETE", TARGET_BUCKET,  "cors",       NULL,                "DeleteBucketCors",     BODY_NONE,   0,                            NULL,                 op_delete_bucket_cors,      OWNED},
	{"OPTIONS", TARGET_BUCKET, NULL,         NULL,                "PreflightRequest",     BODY_NONE,   0,                            NULL,                 op_preflight,               ANON},
	{"GET",    TARGET_BUCKET,  "location",   NULL,                "GetBucketLocation",    BODY_NONE,   0,                            NULL,                 op_get_bucket_location,     OWNED},
	{"PUT",    TARGET_BUCKET,  "versioning", NULL,                "PutBucketVersioning",  BODY_XML,    STRATA_MAX_SMALL_XML_BODY,    NULL,                 op_put_bucket_versioning,   OWNED},
	{"GET",    TARGET_BUCKET,  "versioning", NULL,                "GetBucketVersioning",  BODY_NONE,   0,                            NULL,                 op_get_bucket_versioning,   OWNED},
	{"PUT",    TARGET_BUCKET,  "object-lock", NULL,               "PutObjectLockConfiguration", BODY_XML, STRATA_MAX_SMALL_XML_BODY, NULL,              op_put_bucket_object_lock,  OWNED},
	{"GET",    TARGET_BUCKET,  "object-lock", NULL,               "GetObjectLockConfiguration", BODY_NONE, 0,                        NULL,                 op_get_bucket_object_lock,  OWNED},
	{"GET",    TARGET_BUCKET,  "versions",   NULL,                "ListObjectVersions",   BODY_NONE,   0,                            NULL,                 op_list_object_versions,    OWNED},
	{"GET",    TARGET_BUCKET,  "acl",        NULL,                "GetBucketAcl",         BODY_NONE,   0,                            NULL,                 op_get_acl,                 OWNED},
	{"GET",    TARGET_BUCKET,  "uploads",    NULL,                "ListMultipartUploads", BODY_NONE,   0,                            NULL,                 op_list_multipart_uploads,  OWNED},
	{"GET",    TARGET_BUCKET,  NULL,         NULL,                "ListObjects",          BODY_NONE,   0,                            NULL,                 op_list_objects,            OWNED},
	{"POST",   TARGET_BUCKET,  "delete",     NULL,                "DeleteObjects",        BODY_XML,    STRATA_MAX_XML_BODY,          NULL,                 op_delete_objects,          OWNED},

	{"PUT",    TARGET_OBJECT,  "acl",        NULL,                "PutObjectAcl",         BODY_XML,    STRATA_MAX_SMALL_XML_BODY,    NULL,                 op_put_acl,                 OWNED},
	{"PUT",    TARGET_OBJECT,  "uploadId",   "x-amz-copy-source", "UploadPartCopy",       BODY_NONE,   0,                            NULL,                 op_upload_part_copy,        OWNED},
	{"PUT",    TARGET_OBJECT,  "uploadId",   NULL,                "UploadPart",           BODY_STREAM, 0,                            op_upload_part_begin, op_upload_part,             OWNED},
	{"PUT",    TARGET_OBJECT,  NULL,         "x-amz-copy-source", "CopyObject",           BODY_NONE,   0,                            NULL,                 op_copy_object,             OWNED},
	{"PUT",    TARGET_OBJECT,  NULL,         NULL,                "PutObject",            BODY_STREAM, 0,                            op_put_object_begin,  op_put_object,              OWNED},
	{"PUT",    TARGET_OBJECT,  "retention",  NULL,                "PutObjectRetention",   BODY_XML,    STRATA_MAX_SMALL_XML_BODY,    NULL,                 op_put_object_retention,    OWNED},
	{"GET",    TARGET_OBJECT,  "retention",  NULL,                "GetObjectRetention",   BODY_NONE,   0,                            NULL,                 op_get_object_retention,    OWNED},
	{"PUT",    TARGET_OBJECT,  "legal-hold", NULL,                "PutObjectLegalHold",   BODY_XML,    STRATA_MAX_SMALL_XML_BODY,    NULL,                 op_put_object_legal_hold,   OWNED},
	{"GET",    TARGET_OBJECT,  "legal-hold", NULL,                "GetObjectLegalHold",   BODY_NONE,   0,                            NULL,                 op_get_object_legal_hold,   OWNED},
	{"POST",   TARGET_OBJECT,  "restore",    NULL,                "RestoreObject",        BODY_XML,    STRATA_MAX_SMALL_XML_BODY,    NULL,                 op_restore_object,          OWNED},
	{"POST",   TARGET_OBJECT,  "uploads",    NULL,                "CreateMultipartUpload", BODY_NONE,  0,                            NULL,                 op_create_multipart,        OWNED},
	{"POST",   TARGET_OBJECT,  "uploadId",   NULL,                "CompleteMultipartUpload", BODY_XML, STRATA_MAX_COMPLETE_XML_BODY, NULL,                 op_complete_multipart,      OWNED | ROUTE_OBJECT_CHECKSUM},
	{"DELETE", TARGET_OBJECT,  "uploadId",   NULL,                "AbortMultipartUpload", BODY_NONE,   0,                            NULL,                 op_abort_multipart,         OWNED},
	{"GET",    TARGET_OBJECT,  "uploadId",   NULL,                "ListParts",            BODY_NONE,   0,                            NULL,                 op_list_parts,              OWNED},
	{"GET",    TARGET_OBJECT,  "attributes", NULL,                "GetObjectAttributes",  BODY_NONE,   0,                            NULL,                 op_get_object_attributes,   OWNED},
	{"GET",    TARGET_OBJECT,  "acl",        NULL,                "GetObjectAcl",         BODY_NONE,   0,                            NULL,                 op_get_acl,                 OWNED},
	{"GET",    TARGET_OBJECT,  "partNumber", NULL,                "GetObject",            BODY_NONE,   0,                            NULL,                 op_get_object,              OWNED},
	{"GET",    TARGET_OBJECT,  NULL,         NULL,                "GetObject",            BODY_NONE,   0,                            NULL,                 op_get_object,              OWNED},
	{"HEAD",   TARGET_OBJECT,  "partNumber", NULL,                "HeadObject",           BODY_NONE,   0,                            NULL,                 op_head_object,             OWNED},
	{"HEAD",   TARGET_OBJECT,  NULL,         NULL,                "HeadObject",           BODY_NONE,   0,                            NULL,                 op_head_object,             OWNED},
	{"DELETE", TARGET_OBJECT,  NULL,         NULL,                "DeleteObject",         BODY_NONE,   0,                            NULL,                 op_delete_object,           OWNED},
	{"OPTIONS", TARGET_OBJECT, NULL,         NULL,                "PreflightRequest",     BODY_NONE,   0,                            NULL,                 op_preflight,               ANON},
};

/*
 * Query parameters that select an S3 operation (a "sub-resource"). A request
 * carrying one that no route above serves is answered NotImplemented rather
 * than being mistaken for the plain operation (a PUT ?lifecycle must never
 * overwrite an object named by the bucket's key).
 */
/* clang-format off */
static const char *const subresources[] = {
	/* First: an UploadPart carries both uploadId and partNumber. */
	"uploadId", "uploads", "accelerate", "acl", "analytics", "attributes", "cors", "delete",
	"encryption", "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location",
	"logging", "metadataTable", "metrics", "notification", "object-lock", "ownershipControls",
	"partNumber", "policy", "policyStatus", "publicAccessBlock", "renameObject", "replication",
	"requestPayment", "restore", "retention", "select", "session", "tagging", "torrent",
	"versioning", "versions", "website",
};
/* clang-format on */

/*
 * The request's sub-resource: of the names above it carries, the first in
 * their order. One pass over its parameters: every name above starts with a
 * lowercase letter, so a presigned URL's X-Amz-* parameters cost one
 * comparison each (36 names times 6 of them were 1.3% of a small GET).
 */
static const char *find_subresource(const struct request *r)
{
	size_t n = sizeof(subresources) / sizeof(subresources[0]), best = n, i, q;

	for (q = 0; q < r->nquery; q++) {
		const char *name = r->query[q].name;

		if (name[0] < 'a' || name[0] > 'z')
			continue;
		for (i = 0; i < best; i++) {
			if (strcmp(name, subresources[i]) == 0) {
				best = i;
				break;
			}
		}
	}
	return best < n ? subresources[best] : NULL;
}

static bool method_known(const char *m)
{
	static const char *const known[] = {"GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(m, known[i]) == 0)
			return true;
	return false;
}

size_t routes_operation_names(const char **names, size_t max)
{
	size_t i, n = sizeof(routes) / sizeof(routes[0]);

	for (i = 0; i < n && i < max; i++)
		names[i] = routes[i].name;
	return i;
}

s3err_t routes_match(struct request *r, const struct route **out)
{
	enum target t = r->key ? TARGET_OBJECT : r->bucket[0] ? TARGET_BUCKET : TARGET_SERVICE;
	/*
	 * A preflight names the URL of the request to come, sub-resources
	 * included (?uploadId=... of a browser's UploadPart): OPTIONS ignores them.
	 */
	const char *sub = strcmp(r->method, "OPTIONS") == 0 ? NULL : find_subresource(r);
	size_t i;

	if (!method_known(r->method))
		return req_fail(r, S3E_MethodNotAllowed, NULL);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *rt = &routes[i];

		if (rt->target != t || strcmp(rt->method, r->method) != 0)
			continue;
		if ((rt->subresource == NULL) != (sub == NULL))
			continue;
		if (sub && strcmp(rt->subresource, sub) != 0)
			continue;
		if (rt->header && !req_header(r, rt->header))
			continue;
		*out = rt;
		return S3E_OK;
	}
	if (sub)
		return req_failf(r, S3E_NotImplemented,
				 "The '%s' sub-resource is not implemented by Strata.", sub);
	if (t == TARGET_SERVICE)
		return req_fail(r, S3E_MethodNotAllowed, NULL);
	return req_failf(r, S3E_NotImplemented, "%s on this resource is not implemented by Strata.",
			 r->method);
}
