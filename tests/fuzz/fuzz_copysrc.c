/*
 * fuzz_copysrc: the x-amz-copy-source header of CopyObject and
 * UploadPartCopy (common/copysrc.c). Input: the header value (a NUL ends
 * it, as libmicrohttpd's C string would).
 * Invariants: the raw versionId is whatever follows the first
 * "?versionId=", found also when the rest fails; only documented errors,
 * a message only for InvalidArgument; on success a valid bucket name and a
 * valid key of at most 1024 bytes; bucket and key percent-encoded again
 * (with '/' kept, and with every '/' escaped) parse to the same bucket, key
 * and versionId.
 */
#include "fuzz.h"

#include <stdbool.h>

#include "../../common/buf.h"
#include "../../common/copysrc.h"
#include "../../common/names.h"
#include "../../common/strutil.h"

#define MARK "?versionId="

/* [/]bucket/encode(key)[?versionId=raw], then parsed: the same pieces. */
static void round_trip(const struct copysrc *cs, bool lead_slash, bool keep_slash)
{
	struct copysrc again;
	const char *msg = "unset";
	struct buf b;

	buf_init(&b, 4 * STRATA_MAX_KEY_LEN + 128 + (cs->version_id ? strlen(cs->version_id) : 0),
		 S3E_InternalError);
	FUZZ_CHECK(buf_addf(&b, "%s%s/", lead_slash ? "/" : "", cs->bucket) == S3E_OK);
	FUZZ_CHECK(uri_encode(&b, cs->key, cs->key_len, keep_slash) == S3E_OK);
	if (cs->version_id)
		FUZZ_CHECK(buf_addf(&b, MARK "%s", cs->version_id) == S3E_OK);
	FUZZ_CHECK(copysrc_parse(buf_str(&b), &again, &msg) == S3E_OK);
	FUZZ_CHECK(msg == NULL);
	FUZZ_CHECK(strcmp(again.bucket, cs->bucket) == 0);
	FUZZ_CHECK(again.key_len == cs->key_len && memcmp(again.key, cs->key, cs->key_len) == 0);
	FUZZ_CHECK((!again.version_id) == (!cs->version_id));
	FUZZ_CHECK(!cs->version_id || strcmp(again.version_id, cs->version_id) == 0);
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = fuzz_cstr(data, size);
	const char *mark = strstr(v, MARK), *msg = "unset";
	struct copysrc cs;
	s3err_t err;

	err = copysrc_parse(v, &cs, &msg);
	FUZZ_CHECK(cs.version_id == (mark ? mark + strlen(MARK) : NULL));
	if (err) {
		FUZZ_CHECK(err == S3E_InvalidArgument || err == S3E_InvalidBucketName ||
			   err == S3E_KeyTooLongError);
		FUZZ_CHECK(!msg || err == S3E_InvalidArgument);
		FUZZ_CHECK(cs.key_len == 0);
		goto out;
	}
	FUZZ_CHECK(msg == NULL);
	FUZZ_CHECK(names_bucket_valid(cs.bucket));
	FUZZ_CHECK(cs.key_len >= 1 && cs.key_len <= STRATA_MAX_KEY_LEN);
	FUZZ_CHECK(strlen(cs.key) == cs.key_len);
	FUZZ_CHECK(names_key_check(cs.key, cs.key_len) == S3E_OK);
	round_trip(&cs, false, true);
	round_trip(&cs, true, false);
out:
	free(v);
	return 0;
}
