/* copysrc: x-amz-copy-source into bucket, key and the raw versionId. */
#include "copysrc.h"

#include <string.h>

#include "buf.h"
#include "names.h"
#include "strutil.h"

#define VERSION_MARK "?versionId="

s3err_t copysrc_parse(const char *v, struct copysrc *out, const char **msg)
{
	const char *q = strstr(v, VERSION_MARK);
	size_t rawlen = q ? (size_t)(q - v) : strlen(v), blen, klen;
	const char *p, *slash;
	struct buf dec;
	s3err_t err;

	out->bucket[0] = '\0';
	out->key[0] = '\0';
	out->key_len = 0;
	out->version_id = q ? q + strlen(VERSION_MARK) : NULL;
	*msg = NULL;
	buf_init(&dec, STRATA_MAX_URI_LEN, S3E_InvalidArgument);
	err = uri_decode(&dec, v, rawlen, false);
	if (err) {
		err = S3E_InvalidArgument;
		*msg = "Invalid copy source encoding";
		goto out;
	}
	p = buf_str(&dec);
	if (*p == '/')
		p++;
	slash = strchr(p, '/');
	blen = slash ? (size_t)(slash - p) : 0;
	klen = slash ? strlen(slash + 1) : 0;
	if (!slash || blen == 0 || blen > STRATA_BUCKET_NAME_MAX || klen == 0 ||
	    strlen(buf_str(&dec)) != dec.len) {
		err = S3E_InvalidArgument;
		*msg = "Copy Source must mention the source bucket and key: sourcebucket/sourcekey";
		goto out;
	}
	memcpy(out->bucket, p, blen);
	out->bucket[blen] = '\0';
	if (!names_bucket_valid(out->bucket)) {
		err = S3E_InvalidBucketName;
		goto out;
	}
	if ((err = names_key_check(slash + 1, klen)))
		goto out;
	memcpy(out->key, slash + 1, klen); /* names_key_check: klen <= STRATA_MAX_KEY_LEN */
	out->key[klen] = '\0';
	out->key_len = klen;
out:
	buf_free(&dec);
	return err;
}
