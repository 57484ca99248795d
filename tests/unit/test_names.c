/*
 * Unit tests for common/names.c: bucket names against the AWS general
 * purpose naming rules, object keys against the 1024-byte UTF-8 rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/limits.h"
#include "../../common/names.h"

/* clang-format off */
static const char *const good_buckets[] = {
	"abc",
	"my-bucket",
	"my.bucket",
	"my.bucket.example.com",
	"a1b",
	"123",
	"1-2",
	"1.2",
	"0.0.0",               /* three groups: not an IPv4 address */
	"1.2.3.4.5",           /* five groups */
	"1.2.3.a",
	"a.1.2.3",
	"192.168.5.4x",
	"docexamplebucket1",
	"log-delivery-march-2020",
	"my-hosted-content",
	"a--b",                /* double hyphen inside is fine */
	"xn-a",                /* only "xn--" is reserved */
	"axn--b",
	"sthree",              /* prefix needs the dash */
	"asthree-x",           /* ... and must be a prefix */
	"amzn-s3-demo",
	"bucket-s3alias-x",
	"foo-ol-s3",           /* single dash: not the reserved suffix */
	"foo.mrapx",
	"foo-x-s3",
	"mrap.foo",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 63 */
	"0123456789abcdefghijklmnopqrstuvwxyz",
	"z.y-x",
};
/* clang-format on */

/* clang-format off */
static const char *const bad_buckets[] = {
	"",
	"a",
	"ab",                  /* too short */
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 64 */
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"MyBucket",            /* uppercase */
	"myBucket",
	"BUCKET",
	"my_bucket",           /* underscore */
	"my bucket",
	"my/bucket",
	"my\\bucket",
	"my:bucket",
	"my%bucket",
	"my+bucket",
	"my~bucket",
	"my*bucket",
	"my\tbucket",
	"my\nbucket",
	"-bucket",             /* must start and end with a letter or digit */
	"bucket-",
	".bucket",
	"bucket.",
	"-ab",
	"ab.",
	"...",
	"---",
	"my..bucket",          /* adjacent dots */
	"my.-bucket",          /* legacy DNS rules */
	"my-.bucket",
	"a.-b",
	"a-.b",
	"..abc",
	"192.168.5.4",         /* IPv4 address */
	"10.0.0.1",
	"0.0.0.0",
	"255.255.255.255",
	"999.999.999.999",
	"1.2.3.4",
	"0001.2.3.4",
	"xn--bucket",          /* reserved prefixes */
	"xn--abc",
	"sthree-bucket",
	"sthree-configurator",
	"sthree-configurator-x",
	"amzn-s3-demo-bucket",
	"bucket-s3alias",      /* reserved suffixes */
	"my-bucket--ol-s3",
	"bucket.mrap",
	"bucket--x-s3",
	"my-bucket--use1-az4--x-s3",
	"bück",                /* non-ASCII */
	"b\xc3\xbc" "ck",
	"buck\xff",
	"..",
	".",
};
/* clang-format on */

static void test_buckets_good(void **state)
{
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(good_buckets) / sizeof(good_buckets[0]); i++) {
		if (!names_bucket_valid(good_buckets[i])) {
			print_error("rejected valid bucket \"%s\"\n", good_buckets[i]);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_buckets_bad(void **state)
{
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(bad_buckets) / sizeof(bad_buckets[0]); i++) {
		if (names_bucket_valid(bad_buckets[i])) {
			print_error("accepted invalid bucket \"%s\"\n", bad_buckets[i]);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
	assert_false(names_bucket_valid(NULL));
}

/* Every byte value in the middle of a name: only a-z 0-9 . - pass. */
static void test_bucket_every_byte(void **state)
{
	char name[4] = "a?b";
	int c;

	(void)state;
	for (c = 1; c < 256; c++) {
		bool want =
		    (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';

		name[1] = (char)c;
		assert_int_equal(names_bucket_valid(name), want);
	}
}

/* 3..63 bytes pass; a longer name is rejected after reading at most 64 bytes. */
static void test_bucket_lengths(void **state)
{
	char name[128];
	char *heap;
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(name) - 1; n++) {
		memset(name, 'a', n);
		name[n] = '\0';
		assert_int_equal(names_bucket_valid(name), n >= 3 && n <= 63);
	}
	/* No NUL within 64 bytes: ASan reports any read past them. */
	heap = malloc(64);
	assert_non_null(heap);
	memset(heap, 'a', 64);
	assert_false(names_bucket_valid(heap));
	free(heap);
}

struct key_case {
	const char *key;
	size_t len; /* 0: use strlen */
	s3err_t want;
};

/* clang-format off */
static const struct key_case keys[] = {
	{"a", 0, S3E_OK},
	{"photos/2006/February/sample.jpg", 0, S3E_OK},
	{"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.dcm", 0, S3E_OK},
	{"ключ/日本語.dcm", 0, S3E_OK},
	{"emoji-\xf0\x9f\x98\x80", 0, S3E_OK},            /* U+1F600 */
	{"\xf4\x8f\xbf\xbf", 0, S3E_OK},                   /* U+10FFFF, the last code point */
	{"\xef\xbf\xbf", 0, S3E_OK},                       /* U+FFFF (noncharacter, still UTF-8) */
	{"\xc2\x80", 0, S3E_OK},                           /* U+0080, smallest 2-byte */
	{"\xe0\xa0\x80", 0, S3E_OK},                       /* U+0800, smallest 3-byte */
	{"\xf0\x90\x80\x80", 0, S3E_OK},                   /* U+10000, smallest 4-byte */
	{"\xed\x9f\xbf", 0, S3E_OK},                       /* U+D7FF, just below surrogates */
	{"\xee\x80\x80", 0, S3E_OK},                       /* U+E000, just above */
	/* S3 keys are bytes: none of these is special */
	{"..", 0, S3E_OK},
	{"../../etc/passwd", 0, S3E_OK},
	{"//", 0, S3E_OK},
	{"dir/", 0, S3E_OK},
	{"/leading", 0, S3E_OK},
	{".", 0, S3E_OK},
	{" ", 0, S3E_OK},
	{"a b+c%20d?e#f&g=h", 0, S3E_OK},
	{"tab\tnewline\ncr\r", 0, S3E_OK},
	{"\x01\x7f", 0, S3E_OK},
	{"back\\slash", 0, S3E_OK},
	{"'; DROP TABLE objects; --", 0, S3E_OK},

	{"", 0, S3E_InvalidArgument},
	{"\xff", 0, S3E_InvalidArgument},
	{"\xfe", 0, S3E_InvalidArgument},
	{"abc\x80", 0, S3E_InvalidArgument},               /* lone continuation */
	{"\xc0\xaf", 0, S3E_InvalidArgument},              /* overlong "/" */
	{"\xc1\xbf", 0, S3E_InvalidArgument},
	{"\xe0\x80\xaf", 0, S3E_InvalidArgument},          /* overlong 3-byte */
	{"\xe0\x9f\xbf", 0, S3E_InvalidArgument},
	{"\xf0\x80\x80\xaf", 0, S3E_InvalidArgument},      /* overlong 4-byte */
	{"\xf0\x8f\xbf\xbf", 0, S3E_InvalidArgument},
	{"\xed\xa0\x80", 0, S3E_InvalidArgument},          /* U+D800 surrogate */
	{"\xed\xbf\xbf", 0, S3E_InvalidArgument},          /* U+DFFF */
	{"\xf4\x90\x80\x80", 0, S3E_InvalidArgument},      /* U+110000 */
	{"\xf5\x80\x80\x80", 0, S3E_InvalidArgument},
	{"\xf8\x88\x80\x80\x80", 0, S3E_InvalidArgument},  /* 5-byte form */
	{"\xc3", 0, S3E_InvalidArgument},                  /* truncated */
	{"\xe6\x97", 0, S3E_InvalidArgument},
	{"\xf0\x9f\x98", 0, S3E_InvalidArgument},
	{"a\xc3(b", 0, S3E_InvalidArgument},               /* bad continuation */
	{"\xe6\x97(", 0, S3E_InvalidArgument},
	{"ok\0hidden", 9, S3E_InvalidArgument},            /* NUL inside */
	{"\0", 1, S3E_InvalidArgument},
	{"end\0", 4, S3E_InvalidArgument},
};
/* clang-format on */

static void test_keys_table(void **state)
{
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t len = keys[i].len ? keys[i].len : strlen(keys[i].key);
		s3err_t got = names_key_check(keys[i].key, len);

		if (got != keys[i].want) {
			print_error("key #%zu (%zu bytes): got %d, want %d\n", i, len, (int)got,
				    (int)keys[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
	assert_int_equal(names_key_check(NULL, 0), S3E_InvalidArgument);
	assert_int_equal(names_key_check(NULL, 5), S3E_InvalidArgument);
}

/* The length check counts bytes, not characters, and is checked before content. */
static void test_key_lengths(void **state)
{
	char key[2100];
	size_t i;

	(void)state;
	memset(key, 'k', sizeof(key));
	assert_int_equal(names_key_check(key, 1), S3E_OK);
	assert_int_equal(names_key_check(key, STRATA_MAX_KEY_LEN), S3E_OK);
	assert_int_equal(names_key_check(key, STRATA_MAX_KEY_LEN + 1), S3E_KeyTooLongError);
	assert_int_equal(names_key_check(key, sizeof(key)), S3E_KeyTooLongError);
	assert_int_equal(names_key_check(key, SIZE_MAX), S3E_KeyTooLongError);

	/* 341 three-byte characters = 1023 bytes; one more is 1026 bytes. */
	for (i = 0; i + 3 <= sizeof(key); i += 3)
		memcpy(key + i, "\xe6\x97\xa5", 3);
	assert_int_equal(names_key_check(key, 1023), S3E_OK);
	assert_int_equal(names_key_check(key, 1026), S3E_KeyTooLongError);
	/* 1024 bytes ending mid-character: right length, bad UTF-8 */
	assert_int_equal(names_key_check(key, 1024), S3E_InvalidArgument);

	/* Too long and invalid: the length is reported. */
	memset(key, 0xff, sizeof(key));
	assert_int_equal(names_key_check(key, 1025), S3E_KeyTooLongError);
	assert_int_equal(names_key_check(key, 1024), S3E_InvalidArgument);
}

/* Only the given bytes are read: an unterminated key buffer is fine. */
static void test_key_not_terminated(void **state)
{
	char key[3] = {'a', 'b', 'c'};

	(void)state;
	assert_int_equal(names_key_check(key, sizeof(key)), S3E_OK);
	assert_int_equal(names_key_check(key, 2), S3E_OK);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_good),
		cmocka_unit_test(test_buckets_bad),
		cmocka_unit_test(test_bucket_every_byte),
		cmocka_unit_test(test_bucket_lengths),
		cmocka_unit_test(test_keys_table),
		cmocka_unit_test(test_key_lengths),
		cmocka_unit_test(test_key_not_terminated),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
