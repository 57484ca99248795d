/*
 * auth: who sent this request, and is it really them.
 *
 * Accepts AWS SigV4 (Authorization header, presigned query), the aws-chunked
 * streaming variants (whose per-chunk checks body.c runs), and SigV2 (header
 * and query), for boto3's and aws-cli v1's default presigned links. Anonymous
 * requests are refused (Strata has no public buckets). Signatures are
 * compared in constant time; secrets and signatures are never logged.
 */
#ifndef STRATA_AUTH_H
#define STRATA_AUTH_H

#include "../common/s3err.h"

struct request;

/*
 * Authenticates r, filling r->auth. Errors: S3E_AccessDenied (anonymous,
 * expired: "Request has expired"), S3E_InvalidAccessKeyId,
 * S3E_SignatureDoesNotMatch, S3E_RequestTimeTooSkewed,
 * S3E_AuthorizationHeaderMalformed, S3E_AuthorizationQueryParametersError,
 * S3E_InvalidRequest (missing x-amz-content-sha256), S3E_InvalidArgument.
 */
s3err_t auth_check(struct request *r);

#endif
