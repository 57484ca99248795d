/*
 * Unit tests for common/sigv2.c.
 *
 * Vectors: $STRATA_TEST_VECTORS/sigv2/aws-docs.txt (the S3 documentation
 * examples) and botocore.txt (generated with botocore's HmacV1Auth and
 * HmacV1QueryAuth by gen_botocore.py). Each block gives the request as the
 * gateway sees it and the expected string to sign and signature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/sigv2.h"
#include "../../common/strutil.h"

#define MAX_FIELDS 32
#define MAX_FILE (1024 * 1024)

/* One vector block; strings point into the file text. */
struct v2_case {
	const char *name, *secret, *method, *resource, *date, *sig;
	char sts[2048];
	struct sigv4_kv headers[MAX_FIELDS];
	size_t nheaders;
	struct sigv4_kv query[MAX_FIELDS];
	size_t nquery;
};

static char *read_vectors(const char *file)
{
	const char *root = getenv("STRATA_TEST_VECTORS");
	char path[1024];
	FILE *f;
	char *data;
	size_t n;

	if (!root)
		root = "tests/vectors";
	snprintf(path, sizeof(path), "%s/sigv2/%s", root, file);
	f = fopen(path, "rb");
	assert_non_null(f);
	data = malloc(MAX_FILE + 1);
	assert_non_null(data);
	n = fread(data, 1, MAX_FILE, f);
	fclose(f);
	data[n] = '\0';
	return data;
}

/* "name<TAB>value" into kv. */
static void split_tab(char *s, struct sigv4_kv *kv)
{
	char *tab = strchr(s, '\t');

	assert_non_null(tab);
	*tab = '\0';
	kv->name = s;
	kv->value = tab + 1;
}

/* Expands the two-character "\n" escapes of an sts line. */
static void unescape_sts(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in; in++) {
		assert_true(o + 1 < cap);
		if (in[0] == '\\' && in[1] == 'n') {
			out[o++] = '\n';
			in++;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

static void check_case(const struct v2_case *c)
{
	struct sigv2_request r = {
	    .method = c->method,
	    .headers = c->headers,
	    .nheaders = c->nheaders,
	    .date = c->date,
	    .resource = c->resource,
	    .query = c->query,
	    .nquery = c->nquery,
	};
	struct buf sts;
	char sig[29];

	print_message("sigv2 case %s\n", c->name);
	buf_init(&sts, 8192, S3E_InternalError);
	assert_int_equal(sigv2_string_to_sign(&r, &sts), S3E_OK);
	assert_string_equal(buf_str(&sts), c->sts);
	sigv2_sign(c->secret, sts.data, sts.len, sig);
	assert_string_equal(sig, c->sig);
	assert_true(sigv4_sig_equal(sig, c->sig));
	sigv2_sign("wrong-secret", sts.data, sts.len, sig);
	assert_false(sigv4_sig_equal(sig, c->sig));
	buf_free(&sts);
}

/* Runs every block of a vector file; returns how many ran. */
static size_t run_file(const char *file)
{
	char *text = read_vectors(file);
	char *line = text;
	struct v2_case *c = calloc(1, sizeof(*c));
	size_t ran = 0;

	assert_non_null(c);
	while (line && *line) {
		char *nl = strchr(line, '\n');
		char *sp;

		if (nl)
			*nl = '\0';
		sp = strchr(line, ' ');
		if (line[0] == '#' || line[0] == '\0') {
			/* comment or separator */
		} else if (strcmp(line, "end") == 0) {
			check_case(c);
			memset(c, 0, sizeof(*c));
			ran++;
		} else {
			assert_non_null(sp);
			*sp = '\0';
			if (strcmp(line, "case") == 0)
				c->name = sp + 1;
			else if (strcmp(line, "secret") == 0)
				c->secret = sp + 1;
			else if (strcmp(line, "method") == 0)
				c->method = sp + 1;
			else if (strcmp(line, "resource") == 0)
				c->resource = sp + 1;
			else if (strcmp(line, "date") == 0)
				c->date = sp + 1;
			else if (strcmp(line, "sig") == 0)
				c->sig = sp + 1;
			else if (strcmp(line, "sts") == 0)
				unescape_sts(sp + 1, c->sts, sizeof(c->sts));
			else if (strcmp(line, "header") == 0 && c->nheaders < MAX_FIELDS)
				split_tab(sp + 1, &c->headers[c->nheaders++]);
			else if (strcmp(line, "query") == 0 && c->nquery < MAX_FIELDS)
				split_tab(sp + 1, &c->query[c->nquery++]);
			else
				fail_msg("bad vector line keyword %s", line);
		}
		line = nl ? nl + 1 : NULL;
	}
	free(c);
	free(text);
	return ran;
}

static void test_aws_docs(void **state)
{
	(void)state;
	assert_int_equal(run_file("aws-docs.txt"), 8);
}

static void test_botocore(void **state)
{
	(void)state;
	assert_int_equal(run_file("botocore.txt"), 12);
}

/* Builds the string to sign for a small request. */
static void sts_of(const char *method, const struct sigv4_kv *h, size_t nh,
		   const struct sigv4_kv *q, size_t nq, const char *want)
{
	struct sigv2_request r = {
	    .method = method,
	    .headers = h,
	    .nheaders = nh,
	    .date = "D",
	    .resource = "/b/k",
	    .query = q,
	    .nquery = nq,
	};
	struct buf b;

	buf_init(&b, 4096, S3E_InternalError);
	assert_int_equal(sigv2_string_to_sign(&r, &b), S3E_OK);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void test_canonicalization(void **state)
{
	/* Only sub-resources sign; stable order for repeats; empty value has no '='. */
	static const struct sigv4_kv q1[] = {
	    {"prefix", "x"}, {"uploads", ""},	 {"acl", ""},	     {"max-keys", "2"},
	    {"tagging", ""}, {"versionId", "b"}, {"versionId", "a"}, {"Acl", "1"},
	    {"x-id", "Get"}, {"list-type", "2"},
	};
	/* x-amz-* query parameters do not sign under header auth... */
	static const struct sigv4_kv q2[] = {{"x-amz-acl", "public-read"}};
	/* ...but they do in a presigned request. */
	static const struct sigv4_kv q3[] = {
	    {"AWSAccessKeyId", "AK"}, {"Expires", "1"},	       {"Signature", "s"},
	    {"X-Amz-Meta-B", "2"},    {"x-amz-meta-a", " 1 "},
	};
	static const struct sigv4_kv h[] = {
	    {"X-AMZ-Meta-Z", "\t z \t"}, {"content-type", " a/b "}, {"Content-Type", "c/d"},
	    {"x-amz-meta-a", "1"},	 {"X-Amz-Meta-A", "2"},	    {"x-amzfoo", "no"},
	    {"X-Amz-Meta-Empty", ""},
	};

	(void)state;
	sts_of("GET", NULL, 0, q1, sizeof(q1) / sizeof(q1[0]),
	       "GET\n\n\nD\n/b/k?acl&tagging&uploads&versionId=b&versionId=a");
	sts_of("GET", NULL, 0, q2, 1, "GET\n\n\nD\n/b/k");
	sts_of("GET", NULL, 0, q3, 5, "GET\n\n\nD\nx-amz-meta-a:1\nx-amz-meta-b:2\n/b/k");
	sts_of("PUT", h, sizeof(h) / sizeof(h[0]), NULL, 0,
	       "PUT\n\na/b\nD\nx-amz-meta-a:1,2\nx-amz-meta-empty:\nx-amz-meta-z:z\n/b/k");
}

static void test_cap(void **state)
{
	struct sigv2_request r = {.method = "GET", .date = "D", .resource = "/b/k"};
	struct buf b;

	(void)state;
	buf_init(&b, 8, S3E_MaxMessageLengthExceeded);
	assert_int_equal(sigv2_string_to_sign(&r, &b), S3E_MaxMessageLengthExceeded);
	buf_free(&b);
}

struct hdr_case {
	const char *in;
	s3err_t err;
	const char *ak, *sig;
};

static void test_parse_header(void **state)
{
	static const struct hdr_case hs[] = {
	    {"AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=", S3E_OK,
	     "AKIAIOSFODNN7EXAMPLE", "bWq2s1WEIj+Ydj0vQ697zp+IXMU="},
	    {"AWS a:b", S3E_OK, "a", "b"},
	    {"AWS AKIAIOSFODNN7EXAMPLE:", S3E_AuthorizationHeaderMalformed, NULL, NULL},
	    {"AWS :bWq2s1WEIj+Ydj0vQ697zp+IXMU=", S3E_AuthorizationHeaderMalformed, NULL, NULL},
	    {"AWS AKIAIOSFODNN7EXAMPLE", S3E_AuthorizationHeaderMalformed, NULL, NULL},
	    {"AWS  AK:sig", S3E_AuthorizationHeaderMalformed, NULL, NULL},
	    {"AWS AK:si g", S3E_AuthorizationHeaderMalformed, NULL, NULL},
	    {"AWS AK:sig:x", S3E_AuthorizationHeaderMalformed, NULL, NULL},
	    {"aws AK:sig", S3E_AuthorizationHeaderMalformed, NULL, NULL},
	    {"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request",
	     S3E_AuthorizationHeaderMalformed, NULL, NULL},
	    {"", S3E_AuthorizationHeaderMalformed, NULL, NULL},
	    {"AWS AK:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	     S3E_AuthorizationHeaderMalformed, NULL, NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		char ak[STRATA_MAX_ACCESS_KEY_LEN + 1] = "untouched";
		char sig[64] = "untouched";

		assert_int_equal(sigv2_parse_header(hs[i].in, ak, sig), hs[i].err);
		if (hs[i].err) {
			assert_string_equal(ak, "untouched");
			assert_string_equal(sig, "untouched");
		} else {
			assert_string_equal(ak, hs[i].ak);
			assert_string_equal(sig, hs[i].sig);
		}
	}
	{
		/* An access key longer than the cap is refused, not truncated. */
		char big[STRATA_MAX_ACCESS_KEY_LEN + 16];
		char ak[STRATA_MAX_ACCESS_KEY_LEN + 1];
		char sig[64];

		memset(big, 'A', sizeof(big));
		memcpy(big, "AWS ", 4);
		memcpy(big + sizeof(big) - 5, ":sig", 5);
		assert_int_equal(sigv2_parse_header(big, ak, sig),
				 S3E_AuthorizationHeaderMalformed);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_aws_docs),	     cmocka_unit_test(test_botocore),
	    cmocka_unit_test(test_canonicalization), cmocka_unit_test(test_cap),
	    cmocka_unit_test(test_parse_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
