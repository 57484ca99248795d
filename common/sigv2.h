/*
 * sigv2: AWS Signature Version 2 for S3 (HMAC-SHA1), in the Authorization
 * header ("AWS AKID:signature") and in the query string (AWSAccessKeyId,
 * Expires, Signature). boto3's and aws-cli v1's default presigned URLs use it.
 */
#ifndef STRATA_SIGV2_H
#define STRATA_SIGV2_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "limits.h"
#include "s3err.h"
#include "sigv4.h" /* struct sigv4_kv */

struct sigv2_request {
	const char *method;
	const struct sigv4_kv *headers; /* every request header, names in any case */
	size_t nheaders;
	/*
	 * The date line: the Date header for header auth (or "" when an
	 * x-amz-date header is present, which then signs among the x-amz-*
	 * headers), the Expires value for query auth.
	 */
	const char *date;
	/*
	 * The resource as the client addressed it: "/bucket/key" with the key
	 * exactly as it appeared (still URL-encoded) on the request line; for
	 * virtual-host style the gateway prefixes "/bucket".
	 */
	const char *resource;
	const struct sigv4_kv *query; /* decoded parameters; sub-resources are picked from them */
	size_t nquery;
};

/*
 * Appends the string to sign: Method\nContent-MD5\nContent-Type\nDate\n
 * CanonicalizedAmzHeaders CanonicalizedResource (sub-resources sorted, with
 * their decoded values: acl, delete, lifecycle, location, logging,
 * notification, partNumber, policy, requestPayment, restore, tagging,
 * torrent, uploadId, uploads, versionId, versioning, versions, website,
 * response-content-type, response-content-language, response-expires,
 * response-cache-control, response-content-disposition,
 * response-content-encoding, and the others botocore signs).
 */
s3err_t sigv2_string_to_sign(const struct sigv2_request *r, struct buf *out);

/* base64(HMAC-SHA1(secret, sts)) into out[29]. */
void sigv2_sign(const char *secret, const char *sts, size_t len, char out[29]);

/*
 * Parses "AWS AKID:signature". Error: S3E_AuthorizationHeaderMalformed
 * (the gateway maps it to AccessDenied/InvalidArgument as AWS does).
 */
s3err_t sigv2_parse_header(const char *authorization,
			   char access_key[STRATA_MAX_ACCESS_KEY_LEN + 1], char signature[64]);

#endif
