/* Unit tests for common/strutil.c: each parser against accepted and rejected inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/strutil.h"

struct u64_case {
	const char *in;
	uint64_t min, max;
	bool ok;
	uint64_t want;
};

static void test_parse_u64(void **state)
{
	static const struct u64_case cases[] = {
	    {"0", 0, UINT64_MAX, true, 0},
	    {"42", 0, UINT64_MAX, true, 42},
	    {"007", 0, UINT64_MAX, true, 7},
	    {"18446744073709551615", 0, UINT64_MAX, true, UINT64_MAX},
	    {"18446744073709551616", 0, UINT64_MAX, false, 0},
	    {"99999999999999999999", 0, UINT64_MAX, false, 0},
	    {"", 0, UINT64_MAX, false, 0},
	    {"-1", 0, UINT64_MAX, false, 0},
	    {"+1", 0, UINT64_MAX, false, 0},
	    {" 1", 0, UINT64_MAX, false, 0},
	    {"1 ", 0, UINT64_MAX, false, 0},
	    {"1a", 0, UINT64_MAX, false, 0},
	    {"0x10", 0, UINT64_MAX, false, 0},
	    {"0", 1, 604800, false, 0},
	    {"1", 1, 604800, true, 1},
	    {"604800", 1, 604800, true, 604800},
	    {"604801", 1, 604800, false, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		bool ok = parse_u64_str(cases[i].in, cases[i].min, cases[i].max, &v);

		assert_int_equal(ok, cases[i].ok);
		if (ok)
			assert_true(v == cases[i].want);
		else
			assert_true(v == 12345); /* output untouched on failure */
	}
	{
		uint64_t v = 0;

		/* Only the given length is read: "12" of "123". */
		assert_true(parse_u64("123", 2, 0, 100, &v));
		assert_true(v == 12);
		assert_false(parse_u64(NULL, 0, 0, 1, &v));
	}
}

static void test_parse_hex(void **state)
{
	uint64_t v = 99;

	(void)state;
	assert_true(parse_hex_u64("10000", 5, UINT64_MAX, &v));
	assert_true(v == 0x10000);
	assert_true(parse_hex_u64("aBcD", 4, UINT64_MAX, &v));
	assert_true(v == 0xabcd);
	assert_true(parse_hex_u64("0000000000000000000000400", 25, 0x400, &v));
	assert_true(v == 0x400);
	assert_true(parse_hex_u64("ffffffffffffffff", 16, UINT64_MAX, &v));
	assert_true(v == UINT64_MAX);
	v = 99;
	assert_false(parse_hex_u64("10000000000000000", 17, UINT64_MAX, &v));
	assert_false(parse_hex_u64("401", 3, 0x400, &v));
	assert_false(parse_hex_u64("", 0, UINT64_MAX, &v));
	assert_false(parse_hex_u64("g", 1, UINT64_MAX, &v));
	assert_false(parse_hex_u64("-1", 2, UINT64_MAX, &v));
	assert_false(parse_hex_u64("0x1", 3, UINT64_MAX, &v));
	assert_true(v == 99);
}

static void test_hex(void **state)
{
	static const uint8_t bytes[] = {0x00, 0x01, 0xab, 0xff, 0x7e};
	uint8_t back[5];
	char hex[11];

	(void)state;
	hex_encode(bytes, sizeof(bytes), hex);
	assert_string_equal(hex, "0001abff7e");
	assert_true(hex_decode(hex, 10, back, 5));
	assert_memory_equal(back, bytes, 5);
	assert_true(hex_decode("0001ABFF7E", 10, back, 5));
	assert_memory_equal(back, bytes, 5);
	assert_false(hex_decode("0001abff7", 9, back, 5));
	assert_false(hex_decode("0001abff7e00", 12, back, 5));
	assert_false(hex_decode("0001abff7g", 10, back, 5));
	hex_encode(bytes, 0, hex);
	assert_string_equal(hex, "");
}

struct b64_case {
	const char *raw;
	const char *enc;
};

static void test_base64(void **state)
{
	/* RFC 4648 section 10 test vectors. */
	static const struct b64_case cases[] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg=="},
	    {"fooba", "Zm9vYmE="},
	    {"foobar", "Zm9vYmFy"},
	};
	static const char *const bad[] = {
	    "Zg=",	/* not a multiple of 4 */
	    "Zg",	/* padding missing */
	    "Z===",	/* too much padding */
	    "Zh==",	/* non-zero unused bits */
	    "Zm9=",	/* non-zero unused bits */
	    "Zg==Zg==", /* padding in the middle */
	    "Zm 9v",	/* whitespace */
	    "Zm9v\n",	/* newline */
	    "Zm-v",	/* URL alphabet */
	    "====",
	};
	uint8_t out[16];
	char enc[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t rl = strlen(cases[i].raw);

		n = base64_encode((const uint8_t *)cases[i].raw, rl, enc);
		assert_int_equal(n, strlen(cases[i].enc));
		assert_string_equal(enc, cases[i].enc);
		n = 999;
		assert_true(
		    base64_decode(cases[i].enc, strlen(cases[i].enc), out, sizeof(out), &n));
		assert_int_equal(n, rl);
		assert_memory_equal(out, cases[i].raw, rl);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 999;
		assert_false(base64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n));
		assert_int_equal(n, 999);
	}
	/* Capacity is enforced: 6 bytes do not fit in 5. */
	assert_false(base64_decode("Zm9vYmFy", 8, out, 5, &n));
	assert_true(base64_decode("Zm9vYmFy", 8, out, 6, &n));
}

struct enc_case {
	const char *in;
	bool keep_slash;
	const char *want;
};

static void test_uri_encode(void **state)
{
	static const struct enc_case cases[] = {
	    {"", false, ""},
	    {"AZaz09-_.~", false, "AZaz09-_.~"},
	    {"a b", false, "a%20b"},
	    {"a+b", false, "a%2Bb"},
	    {"a/b", false, "a%2Fb"},
	    {"a/b", true, "a/b"},
	    {"/my key/x=y&z", true, "/my%20key/x%3Dy%26z"},
	    {"*'()!", false, "%2A%27%28%29%21"},
	    {"\xe1\x88\xb4", false, "%E1%88%B4"},
	    {"%", false, "%25"},
	    {"\x7f\x01", false, "%7F%01"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;

		buf_init(&b, 1024, S3E_InvalidURI);
		assert_int_equal(
		    uri_encode(&b, cases[i].in, strlen(cases[i].in), cases[i].keep_slash), S3E_OK);
		assert_string_equal(buf_str(&b), cases[i].want);
		buf_free(&b);
	}
	{
		struct buf b;

		/* The cap holds: "%20" does not fit in 2 bytes. */
		buf_init(&b, 2, S3E_KeyTooLongError);
		assert_int_equal(uri_encode(&b, " ", 1, false), S3E_KeyTooLongError);
		buf_free(&b);
	}
}

struct dec_case {
	const char *in;
	bool plus_is_space;
	s3err_t err;
	const char *want;
};

static void test_uri_decode(void **state)
{
	static const struct dec_case cases[] = {
	    {"abc", false, S3E_OK, "abc"},
	    {"a%20b", false, S3E_OK, "a b"},
	    {"a%2fb%2F", false, S3E_OK, "a/b/"},
	    {"a+b", false, S3E_OK, "a+b"},
	    {"a+b", true, S3E_OK, "a b"},
	    {"%2B", true, S3E_OK, "+"},
	    {"%E1%88%B4", false, S3E_OK, "\xe1\x88\xb4"},
	    {"%", false, S3E_InvalidURI, NULL},
	    {"%2", false, S3E_InvalidURI, NULL},
	    {"a%g0", false, S3E_InvalidURI, NULL},
	    {"a%0g", false, S3E_InvalidURI, NULL},
	    {"a%00b", false, S3E_InvalidURI, NULL},
	    {"", false, S3E_OK, ""},
	    {"ab%20cd+ef%2Bgh", true, S3E_OK, "ab cd ef+gh"}, /* runs between escapes */
	    {"++", true, S3E_OK, "  "},
	    {"X-Amz-Date=20130524T000000Z&x", false, S3E_OK, "X-Amz-Date=20130524T000000Z&x"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;

		buf_init(&b, 1024, S3E_KeyTooLongError);
		assert_int_equal(
		    uri_decode(&b, cases[i].in, strlen(cases[i].in), cases[i].plus_is_space),
		    cases[i].err);
		if (cases[i].want)
			assert_string_equal(buf_str(&b), cases[i].want);
		buf_free(&b);
	}
	{
		struct buf b;

		/* A raw NUL inside the given length is refused too. */
		buf_init(&b, 1024, S3E_KeyTooLongError);
		assert_int_equal(uri_decode(&b, "a\0b", 3, false), S3E_InvalidURI);
		buf_free(&b);
		/* A run past the buffer's cap fails with its error, whole or not at all. */
		buf_init(&b, 4, S3E_KeyTooLongError);
		assert_int_equal(uri_decode(&b, "abcdefgh", 8, false), S3E_KeyTooLongError);
		buf_free(&b);
	}
}

static void test_strings(void **state)
{
	char dst[4] = "xyz";

	(void)state;
	assert_true(str_ieq("Content-Type", "content-type"));
	assert_true(str_ieq("", ""));
	assert_false(str_ieq("content-type", "content-typ"));
	assert_false(str_ieq("a", "b"));
	assert_true(str_istarts("X-Amz-Meta-Foo", "x-amz-meta-"));
	assert_false(str_istarts("X-Amz", "x-amz-meta-"));
	assert_true(str_starts("abc", "ab"));
	assert_true(str_starts("abc", ""));
	assert_false(str_starts("abc", "Ab"));
	assert_false(str_starts("a", "ab"));
	assert_true(str_copy(dst, sizeof(dst), "abc"));
	assert_string_equal(dst, "abc");
	assert_false(str_copy(dst, sizeof(dst), "abcd"));
	assert_string_equal(dst, "abc");
	assert_true(str_copy(dst, sizeof(dst), ""));
	assert_string_equal(dst, "");
}

struct utf8_case {
	const char *s;
	size_t len;
	bool ok;
};

static void test_utf8(void **state)
{
	static const struct utf8_case cases[] = {
	    {"plain ascii", 11, true},
	    {"\xc3\xa9", 2, true},	    /* U+00E9 */
	    {"\xe1\x88\xb4", 3, true},	    /* U+1234 */
	    {"\xf0\x9f\x98\x80", 4, true},  /* U+1F600 */
	    {"\xf4\x8f\xbf\xbf", 4, true},  /* U+10FFFF */
	    {"\xed\x9f\xbf", 3, true},	    /* U+D7FF */
	    {"\xee\x80\x80", 3, true},	    /* U+E000 */
	    {"\xc0\xaf", 2, false},	    /* overlong '/' */
	    {"\xc1\xbf", 2, false},	    /* overlong */
	    {"\xe0\x80\xaf", 3, false},	    /* overlong */
	    {"\xf0\x80\x80\xaf", 4, false}, /* overlong */
	    {"\xed\xa0\x80", 3, false},	    /* U+D800 surrogate */
	    {"\xed\xbf\xbf", 3, false},	    /* U+DFFF surrogate */
	    {"\xf4\x90\x80\x80", 4, false}, /* above U+10FFFF */
	    {"\xf5\x80\x80\x80", 4, false},
	    {"\xff", 1, false},
	    {"\x80", 1, false},	    /* lone continuation */
	    {"\xc3", 1, false},	    /* truncated */
	    {"\xe1\x88", 2, false}, /* truncated */
	    {"\xc3\x28", 2, false}, /* bad continuation */
	    {"\xe1\x88\xb4\xc3", 4, false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(utf8_valid(cases[i].s, cases[i].len), cases[i].ok);
}

/* Comma-separated header lists: items trimmed, empty items kept, the end reported. */
static void test_next_item(void **state)
{
	static const struct {
		const char *in;
		const char *items; /* the items joined with '|' */
	} cases[] = {
	    {"", ""},
	    {"a", "a"},
	    {"a,b", "a|b"},
	    {" ETag , Checksum ,ObjectSize", "ETag|Checksum|ObjectSize"},
	    {"aws-chunked,gzip", "aws-chunked|gzip"},
	    {"a,,b", "a||b"},
	    {"a,", "a"},
	    {",a", "|a"},
	    {"   ", ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p = cases[i].in, *item;
		char joined[128] = "";
		size_t len, n = 0, count = 0;

		while (str_next_item(&p, &item, &len)) {
			if (count++)
				joined[n++] = '|';
			memcpy(joined + n, item, len);
			n += len;
			joined[n] = '\0';
			assert_true(n < sizeof(joined));
		}
		assert_string_equal(joined, cases[i].items);
		assert_int_equal(*p, '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_u64),  cmocka_unit_test(test_parse_hex),
	    cmocka_unit_test(test_hex),	       cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_uri_encode), cmocka_unit_test(test_uri_decode),
	    cmocka_unit_test(test_strings),    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_next_item),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
