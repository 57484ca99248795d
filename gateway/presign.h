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
#include "../common/sigv4.h"
#include "users.h"

#define PRESIGN_MAX_EXTRA 6 /* sub-resource and listing parameters of one URL, at most */

struct presign_request {
	const char *endpoint; /* "http://127.0.0.1:9000" (scheme and authority; no path) */
	const char *region;
	const char *method; /* GET, PUT, HEAD, DELETE */
	const char *bucket;
	const char *key;  /* decoded; "" names the bucket itself ("/bucket") */
	uint64_t expires; /* 1..604800 seconds */
	time_t now;
	/*
	 * Further query parameters signed into the URL (decoded; a value may be
	 * "" as in "?restore"), e.g. list-type=2 or response-content-disposition.
	 * None of them may be an X-Amz-* authentication parameter.
	 */
	const struct sigv4_kv *extra;
	size_t nextra; /* 0..PRESIGN_MAX_EXTRA */
};

/*
 * Appends the presigned URL to out. Errors: S3E_InvalidArgument (endpoint
 * without http:// or https://, expiry out of range, too many or X-Amz-*
 * extra parameters), out->too_big.
 */
s3err_t presign_url(const struct presign_request *p, const struct user *u, struct buf *out);

#endif
