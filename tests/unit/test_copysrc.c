/*
 * Unit tests for common/copysrc.c, the x-amz-copy-source header: bucket and
 * key split and decoded, the raw versionId (absent, "null", anything, also
 * when the rest fails), the messages of InvalidArgument, the bucket and key
 * rules and the key length cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/copysrc.h"
#include "../../common/limits.h"

#define MSG_SPLIT "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"
#define MSG_ENCODING "Invalid copy source encoding"

static struct copysrc cs;
static const char *msg;

static void test_split(void **state)
{
	(void)state;
	assert_int_equal(copysrc_parse("bkt/key", &cs, &msg), S3E_OK);
	assert_string_equal(cs.bucket, "bkt");
	assert_string_equal(cs.key, "key");
	assert_int_equal(cs.key_len, 3);
	assert_null(cs.version_id);
	assert_null(msg);

	/* one leading '/', the key split at the first '/' only, decoded, '+' kept */
	assert_int_equal(copysrc_parse("/bkt/a%2Fb%20c/d+e", &cs, &msg), S3E_OK);
	assert_string_equal(cs.bucket, "bkt");
	assert_string_equal(cs.key, "a/b c/d+e");
	assert_int_equal(cs.key_len, 9);

	/* the bucket may be encoded too */
	assert_int_equal(copysrc_parse("b%6Bt%2Fk", &cs, &msg), S3E_OK);
	assert_string_equal(cs.bucket, "bkt");
	assert_string_equal(cs.key, "k");

	/* a key of '/' bytes */
	assert_int_equal(copysrc_parse("bkt//", &cs, &msg), S3E_OK);
	assert_string_equal(cs.key, "/");

	/* UTF-8 */
	assert_int_equal(copysrc_parse("bkt/%C3%A9", &cs, &msg), S3E_OK);
	assert_string_equal(cs.key, "\xc3\xa9");
}

static void test_version_id(void **state)
{
	(void)state;
	assert_int_equal(copysrc_parse("bkt/key?versionId=null", &cs, &msg), S3E_OK);
	assert_string_equal(cs.key, "key");
	assert_string_equal(cs.version_id, "null");

	/* raw: not decoded, not checked */
	assert_int_equal(copysrc_parse("bkt/key?versionId=a%20b?c", &cs, &msg), S3E_OK);
	assert_string_equal(cs.key, "key");
	assert_string_equal(cs.version_id, "a%20b?c");
	assert_int_equal(copysrc_parse("bkt/key?versionId=", &cs, &msg), S3E_OK);
	assert_string_equal(cs.version_id, "");

	/* the first mark wins */
	assert_int_equal(copysrc_parse("bkt/k?versionId=1?versionId=2", &cs, &msg), S3E_OK);
	assert_string_equal(cs.version_id, "1?versionId=2");

	/* an encoded mark is part of the key; another '?' is too */
	assert_int_equal(copysrc_parse("bkt/a%3FversionId%3Dx", &cs, &msg), S3E_OK);
	assert_string_equal(cs.key, "a?versionId=x");
	assert_null(cs.version_id);
	assert_int_equal(copysrc_parse("bkt/a?b=c", &cs, &msg), S3E_OK);
	assert_string_equal(cs.key, "a?b=c");
	assert_null(cs.version_id);

	/* the mark is case-sensitive */
	assert_int_equal(copysrc_parse("bkt/k?versionid=1", &cs, &msg), S3E_OK);
	assert_string_equal(cs.key, "k?versionid=1");
	assert_null(cs.version_id);

	/* found also when the rest fails */
	assert_int_equal(copysrc_parse("bkt?versionId=3", &cs, &msg), S3E_InvalidArgument);
	assert_string_equal(cs.version_id, "3");
	assert_int_equal(copysrc_parse("%zz?versionId=null", &cs, &msg), S3E_InvalidArgument);
	assert_string_equal(cs.version_id, "null");
}

static void test_no_bucket_or_key(void **state)
{
	static const char *const bad[] = {
	    "", "/", "bkt", "/bkt", "bkt/", "/bkt/", "/bkt/?versionId=null", "/key", "//bkt/key",
	    "?versionId=null",
	    /* 64 bytes: longer than any bucket name */
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/k"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg = NULL;
		assert_int_equal(copysrc_parse(bad[i], &cs, &msg), S3E_InvalidArgument);
		assert_non_null(msg);
		assert_string_equal(msg, MSG_SPLIT);
	}
}

static void test_bad_encoding(void **state)
{
	static const char *const bad[] = {"bkt/a%zz", "bkt/a%4", "bkt/a%", "bkt/a%00b", "%00/k"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg = NULL;
		assert_int_equal(copysrc_parse(bad[i], &cs, &msg), S3E_InvalidArgument);
		assert_non_null(msg);
		assert_string_equal(msg, MSG_ENCODING);
	}
}

static void test_bucket_and_key_rules(void **state)
{
	char v[2 * STRATA_MAX_KEY_LEN];

	(void)state;
	assert_int_equal(copysrc_parse("Bkt/k", &cs, &msg), S3E_InvalidBucketName);
	assert_null(msg);
	assert_int_equal(copysrc_parse("ab/k", &cs, &msg), S3E_InvalidBucketName);
	assert_int_equal(copysrc_parse("b_t/k", &cs, &msg), S3E_InvalidBucketName);
	assert_int_equal(copysrc_parse("bkt/%FF", &cs, &msg), S3E_InvalidArgument);
	assert_null(msg); /* names_key_check's own message */

	memcpy(v, "bkt/", 4);
	memset(v + 4, 'k', STRATA_MAX_KEY_LEN);
	v[4 + STRATA_MAX_KEY_LEN] = '\0';
	assert_int_equal(copysrc_parse(v, &cs, &msg), S3E_OK);
	assert_int_equal(cs.key_len, STRATA_MAX_KEY_LEN);
	assert_int_equal(strlen(cs.key), STRATA_MAX_KEY_LEN);
	memcpy(v + 4 + STRATA_MAX_KEY_LEN, "k", 2);
	assert_int_equal(copysrc_parse(v, &cs, &msg), S3E_KeyTooLongError);
	assert_int_equal(cs.key_len, 0);
}

/* Decoded, the value is capped like a request target (STRATA_MAX_URI_LEN). */
static void test_cap(void **state)
{
	char *v = malloc(STRATA_MAX_URI_LEN + 16);

	(void)state;
	assert_non_null(v);
	memcpy(v, "bkt/", 4);
	memset(v + 4, 'k', STRATA_MAX_URI_LEN);
	v[4 + STRATA_MAX_URI_LEN] = '\0';
	assert_int_equal(copysrc_parse(v, &cs, &msg), S3E_InvalidArgument);
	assert_string_equal(msg, MSG_ENCODING);
	free(v);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_version_id),
		cmocka_unit_test(test_no_bucket_or_key),
		cmocka_unit_test(test_bad_encoding),
		cmocka_unit_test(test_bucket_and_key_rules),
		cmocka_unit_test(test_cap),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
