/*
 * Unit tests for gateway/reqtarget.c, the part of req_parse that turns the
 * request target and the Host header into path, query, bucket and key:
 * path and virtual-host style, percent-decoding ('+' kept, encoded NUL and
 * bad escapes refused), the query split (bare names, empty segments, '=' in
 * a value, the parameter cap), bucket and key rules, what stays filled on an
 * error, and a full arena.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/limits.h"
#include "../../gateway/reqtarget.h"

#define ARENA_CAP (4u * STRATA_MAX_URI_LEN + 65536u) /* as server.c's REQUEST_ARENA_CAP */

static const char *const domains[] = {"s3.example.com", "localhost"};

static struct arena arena;
static struct req_target t;

static int setup(void **state)
{
	(void)state;
	arena_init(&arena, ARENA_CAP);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	arena_free(&arena);
	return 0;
}

static s3err_t parse(const char *uri, const char *host)
{
	return reqtarget_parse(&arena, uri, host, domains, 2, &t);
}

static s3err_t parse_path(const char *uri)
{
	return parse(uri, NULL);
}

static void test_service_and_bucket(void **state)
{
	(void)state;
	assert_int_equal(parse_path("/"), S3E_OK);
	assert_string_equal(t.raw_path, "/");
	assert_string_equal(t.path, "/");
	assert_string_equal(t.bucket, "");
	assert_null(t.key);
	assert_int_equal(t.key_len, 0);
	assert_int_equal(t.nquery, 0);
	assert_false(t.virtual_host);

	assert_int_equal(parse_path("/bkt"), S3E_OK);
	assert_string_equal(t.bucket, "bkt");
	assert_null(t.key);

	/* "/bucket/" is the bucket */
	assert_int_equal(parse_path("/bkt/"), S3E_OK);
	assert_string_equal(t.bucket, "bkt");
	assert_null(t.key);
}

static void test_key_decoding(void **state)
{
	(void)state;
	assert_int_equal(parse_path("/bkt/a%20b/c%2Fd"), S3E_OK);
	assert_string_equal(t.raw_path, "/bkt/a%20b/c%2Fd");
	assert_string_equal(t.path, "/bkt/a b/c/d");
	assert_string_equal(t.bucket, "bkt");
	assert_string_equal(t.key, "a b/c/d");
	assert_int_equal(t.key_len, 7);

	/* '+' is a plus in a path, never a space */
	assert_int_equal(parse_path("/bkt/a+b"), S3E_OK);
	assert_string_equal(t.key, "a+b");

	/* anything but NUL is a key byte: "//", "..", a trailing '/' */
	assert_int_equal(parse_path("/bkt//../x/"), S3E_OK);
	assert_string_equal(t.key, "/../x/");
	assert_int_equal(t.key_len, 6);

	/* UTF-8 */
	assert_int_equal(parse_path("/bkt/%C3%A9t%C3%A9"), S3E_OK);
	assert_string_equal(t.key, "\xc3\xa9t\xc3\xa9");
}

static void test_bad_path(void **state)
{
	(void)state;
	assert_int_equal(reqtarget_parse(&arena, NULL, NULL, domains, 2, &t), S3E_InvalidURI);
	assert_int_equal(parse_path(""), S3E_InvalidURI);
	assert_int_equal(parse_path("bkt/key"), S3E_InvalidURI);
	assert_int_equal(parse_path("*"), S3E_InvalidURI);
	assert_int_equal(parse_path("/bkt/a%00b"), S3E_InvalidURI); /* an encoded NUL */
	assert_int_equal(parse_path("/bkt/a%zz"), S3E_InvalidURI);
	assert_int_equal(parse_path("/bkt/a%4"), S3E_InvalidURI);
	assert_int_equal(parse_path("/bkt/a%"), S3E_InvalidURI);
	assert_null(t.path);
	assert_string_equal(t.raw_path, "/bkt/a%"); /* kept: the error names it */
}

static void test_query(void **state)
{
	(void)state;
	assert_int_equal(parse_path("/bkt?list-type=2&prefix=a%2Fb&&delimiter=&acl&x=a=b&"),
			 S3E_OK);
	assert_string_equal(t.raw_path, "/bkt");
	assert_string_equal(t.bucket, "bkt");
	assert_int_equal(t.nquery, 5);
	assert_string_equal(t.query[0].name, "list-type");
	assert_string_equal(t.query[0].value, "2");
	assert_string_equal(t.query[1].name, "prefix");
	assert_string_equal(t.query[1].value, "a/b");
	assert_string_equal(t.query[2].name, "delimiter");
	assert_string_equal(t.query[2].value, "");
	assert_string_equal(t.query[3].name, "acl");
	assert_string_equal(t.query[3].value, ""); /* a bare name */
	assert_string_equal(t.query[4].name, "x");
	assert_string_equal(t.query[4].value, "a=b"); /* split at the first '=' */

	/* a '?' in the query is just a byte; '+' stays '+' */
	assert_int_equal(parse_path("/?a?b=c+d"), S3E_OK);
	assert_int_equal(t.nquery, 1);
	assert_string_equal(t.query[0].name, "a?b");
	assert_string_equal(t.query[0].value, "c+d");

	/* an empty query string */
	assert_int_equal(parse_path("/bkt/k?"), S3E_OK);
	assert_int_equal(t.nquery, 0);
	assert_string_equal(t.key, "k");

	assert_int_equal(parse_path("/bkt?a=%zz"), S3E_InvalidURI);
	assert_int_equal(parse_path("/bkt?a%00=1"), S3E_InvalidURI);
}

static void test_query_cap(void **state)
{
	char uri[1024];
	size_t n = 0;
	unsigned i;

	(void)state;
	n += (size_t)snprintf(uri + n, sizeof(uri) - n, "/bkt?");
	for (i = 0; i < STRATA_MAX_QUERY_PARAMS; i++)
		n += (size_t)snprintf(uri + n, sizeof(uri) - n, "p%u=%u&", i, i);
	assert_true(n < sizeof(uri) - 8);
	assert_int_equal(parse_path(uri), S3E_OK);
	assert_int_equal(t.nquery, STRATA_MAX_QUERY_PARAMS);
	assert_string_equal(t.query[STRATA_MAX_QUERY_PARAMS - 1].name, "p63");

	/* empty segments do not count */
	snprintf(uri + n, sizeof(uri) - n, "&&");
	assert_int_equal(parse_path(uri), S3E_OK);

	snprintf(uri + n, sizeof(uri) - n, "one=more");
	assert_int_equal(parse_path(uri), S3E_InvalidURI);
	assert_int_equal(t.nquery, STRATA_MAX_QUERY_PARAMS); /* filled as far as it got */
}

static void test_virtual_host(void **state)
{
	(void)state;
	assert_int_equal(parse("/a/b", "bkt.s3.example.com"), S3E_OK);
	assert_true(t.virtual_host);
	assert_string_equal(t.bucket, "bkt");
	assert_string_equal(t.key, "a/b");
	assert_string_equal(t.path, "/a/b");

	/* a port, the second domain, a bucket with dots, the domain's case */
	assert_int_equal(parse("/k", "my.bkt.localhost:8443"), S3E_OK);
	assert_true(t.virtual_host);
	assert_string_equal(t.bucket, "my.bkt");
	assert_string_equal(t.key, "k");
	assert_int_equal(parse("/k", "bkt.S3.Example.COM"), S3E_OK);
	assert_string_equal(t.bucket, "bkt");

	/* the bucket itself */
	assert_int_equal(parse("/", "bkt.localhost"), S3E_OK);
	assert_true(t.virtual_host);
	assert_string_equal(t.bucket, "bkt");
	assert_null(t.key);
	assert_int_equal(parse("/?uploads", "bkt.localhost"), S3E_OK);
	assert_int_equal(t.nquery, 1);

	/* not a bucket host: path style */
	assert_int_equal(parse("/bk2/k", "s3.example.com"), S3E_OK);
	assert_false(t.virtual_host);
	assert_string_equal(t.bucket, "bk2");
	assert_string_equal(t.key, "k");
	assert_int_equal(parse("/bk2/k", ".s3.example.com"), S3E_OK);
	assert_false(t.virtual_host);
	assert_int_equal(parse("/bk2/k", "bkt.xs3.example.com"), S3E_OK);
	assert_false(t.virtual_host);
	assert_int_equal(parse("/bk2/k", "bkt.other.org"), S3E_OK);
	assert_false(t.virtual_host);
	assert_int_equal(parse("/bk2/k", "[::1]:9000"), S3E_OK);
	assert_false(t.virtual_host);
	assert_int_equal(parse("/bk2/k", ""), S3E_OK);
	assert_false(t.virtual_host);

	/* the bucket a host names must be valid: uppercase is not */
	assert_int_equal(parse("/k", "BKT.localhost"), S3E_InvalidBucketName);
	assert_true(t.virtual_host);
	assert_string_equal(t.bucket, "");
	assert_int_equal(parse("/k", "a_b.localhost"), S3E_InvalidBucketName);
}

static void test_vhost_len(void **state)
{
	(void)state;
	assert_int_equal(reqtarget_vhost_len("bkt.localhost", domains, 2), 3);
	assert_int_equal(reqtarget_vhost_len("bkt.localhost:80", domains, 2), 3);
	assert_int_equal(reqtarget_vhost_len("a.b.s3.example.com", domains, 2), 3);
	assert_int_equal(reqtarget_vhost_len("localhost", domains, 2), 0);
	assert_int_equal(reqtarget_vhost_len("localhost:80", domains, 2), 0);
	assert_int_equal(reqtarget_vhost_len(".localhost", domains, 2), 0);
	assert_int_equal(reqtarget_vhost_len("bktlocalhost", domains, 2), 0);
	assert_int_equal(reqtarget_vhost_len("[bkt.localhost]", domains, 2), 0);
	assert_int_equal(reqtarget_vhost_len("bkt.localhost", domains, 0), 0);
	assert_int_equal(reqtarget_vhost_len("", domains, 2), 0);
}

static void test_bucket_and_key_rules(void **state)
{
	char uri[2 * STRATA_MAX_KEY_LEN];

	(void)state;
	assert_int_equal(parse_path("/ab/k"), S3E_InvalidBucketName);
	assert_int_equal(parse_path("/Bkt/k"), S3E_InvalidBucketName);
	assert_int_equal(parse_path("/b_t"), S3E_InvalidBucketName);
	assert_int_equal(parse_path("/192.168.1.1/k"), S3E_InvalidBucketName);
	assert_int_equal(
	    parse_path("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/k"),
	    S3E_InvalidBucketName); /* 64 */
	assert_string_equal(t.bucket, "");

	/* 1024 bytes of key, then 1025 */
	memcpy(uri, "/bkt/", 5);
	memset(uri + 5, 'k', STRATA_MAX_KEY_LEN);
	uri[5 + STRATA_MAX_KEY_LEN] = '\0';
	assert_int_equal(parse_path(uri), S3E_OK);
	assert_int_equal(t.key_len, STRATA_MAX_KEY_LEN);
	memcpy(uri + 5 + STRATA_MAX_KEY_LEN, "k", 2);
	assert_int_equal(parse_path(uri), S3E_KeyTooLongError);
	assert_null(t.key);
	assert_string_equal(t.bucket, "bkt"); /* filled as far as it got */

	/* not UTF-8; the query before it stays parsed */
	assert_int_equal(parse_path("/bkt/%FF?x=1"), S3E_InvalidArgument);
	assert_string_equal(t.bucket, "bkt");
	assert_int_equal(t.nquery, 1);
	assert_string_equal(t.query[0].value, "1");
}

/* The decoded path is capped at STRATA_MAX_URI_LEN, and the arena bounds the rest. */
static void test_caps(void **state)
{
	char *uri = malloc(STRATA_MAX_URI_LEN + 16);
	struct arena small;

	(void)state;
	assert_non_null(uri);
	uri[0] = '/';
	memset(uri + 1, 'a', STRATA_MAX_URI_LEN);
	uri[STRATA_MAX_URI_LEN + 1] = '\0';
	assert_int_equal(parse_path(uri), S3E_InvalidURI);
	free(uri);

	arena_init(&small, 16);
	assert_int_equal(
	    reqtarget_parse(&small, "/bkt/a-longer-key-than-that", NULL, domains, 2, &t),
	    S3E_InternalError);
	arena_free(&small);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_service_and_bucket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_decoding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_virtual_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhost_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bucket_and_key_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
