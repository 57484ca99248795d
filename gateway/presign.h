/*
 * presign: SigV4 presigned URLs (query authentication), as `strata presign`
 * prints them and as aws-cli v2 / boto3 with s3v4 build them.
 */
#ifndef STRATA_PRESIGN_H
#define STRATA_PRESIGN_H

#include <stdint.h>
#include <time.h>

#include "../common/buf.h"
#include "../common/s3err.h"
#include "users.h"

struct presign_request {
	const char *endpoint; /* "http://127.0.0.1:9000" (scheme and authority; no path) */
	const char *region;
	const char *method; /* GET, PUT, HEAD, DELETE */
	const char *bucket;
	const char *key;  /* decoded */
	uint64_t expires; /* 1..604800 seconds */
	time_t now;
};

/*
 * Appends the presigned URL to out. Errors: S3E_InvalidArgument (endpoint
 * without http:// or https://, expiry out of range), out->too_big.
 */
s3err_t presign_url(const struct presign_request *p, const struct user *u, struct buf *out);

#endif
