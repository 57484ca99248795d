/*
 * copysrc: the x-amz-copy-source header of CopyObject and UploadPartCopy,
 * "[/]bucket/key[?versionId=ID]" with bucket and key URL-encoded, parsed
 * apart from the request (op_parse_copy_source runs it, and so do the unit
 * tests and the fuzz driver tests/fuzz/fuzz_copysrc.c).
 */
#ifndef STRATA_COPYSRC_H
#define STRATA_COPYSRC_H

#include <stddef.h>

#include "limits.h"
#include "s3err.h"

struct copysrc {
	char bucket[STRATA_BUCKET_NAME_MAX + 1]; /* a valid name (names.c) */
	char key[STRATA_MAX_KEY_LEN + 1];	 /* decoded, names_key_check'ed, NUL-terminated */
	size_t key_len;
	/*
	 * NULL when absent; else the raw text after the first "?versionId=" (to
	 * the end of v, not decoded, maybe empty): its meaning is the caller's.
	 */
	const char *version_id;
};

/*
 * Parses the copy source v (a C string) into out. version_id is found
 * first and set also when the rest fails; bucket and key are what precedes
 * it, percent-decoded ('+' stays '+'), one leading '/' skipped, split at the
 * first '/'. On error *msg is the message for the client, or NULL for the
 * error's own.
 * Errors: S3E_InvalidArgument (a bad escape or encoded NUL, no bucket or no
 * key, a bucket longer than a name can be; also an invalid key),
 * S3E_InvalidBucketName, S3E_KeyTooLongError.
 */
s3err_t copysrc_parse(const char *v, struct copysrc *out, const char **msg);

#endif
