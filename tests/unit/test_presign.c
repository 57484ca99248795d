/*
 * Unit tests for gateway/presign.c.
 *
 * Every generated URL is checked the way a server would check it, without
 * trusting how presign built it: the URL is split by hand, its path and
 * query are percent-decoded (uri_decode), the parameters go through
 * sigv4_parse_query, the canonical request is rebuilt from the decoded pieces
 * (host = the endpoint's authority, UNSIGNED-PAYLOAD, every parameter but
 * X-Amz-Signature) and the signature recomputed. Negative controls (another
 * method, another secret, a tampered parameter) show the check can fail.
 *
 * Two URLs are also compared byte for byte with what botocore (boto3, aws-cli)
 * produces for the same request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/sigv4.h"
#include "../../common/strutil.h"
#include "../../gateway/presign.h"

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define NOW 1369353600 /* 2013-05-24T00:00:00Z */
#define MAX_PARAMS 12

static const struct user alice = {"alice", AK, SECRET};

/* ---- an independent verifier ---- */

struct parsed {
	struct buf path;	      /* decoded */
	struct buf names[MAX_PARAMS]; /* decoded */
	struct buf values[MAX_PARAMS];
	struct sigv4_kv kv[MAX_PARAMS];
	size_t n;
};

static void parsed_init(struct parsed *p)
{
	size_t i;

	buf_init(&p->path, 16384, S3E_InvalidURI);
	for (i = 0; i < MAX_PARAMS; i++) {
		buf_init(&p->names[i], 256, S3E_InvalidURI);
		buf_init(&p->values[i], 4096, S3E_InvalidURI);
	}
	p->n = 0;
}

static void parsed_free(struct parsed *p)
{
	size_t i;

	buf_free(&p->path);
	for (i = 0; i < MAX_PARAMS; i++) {
		buf_free(&p->names[i]);
		buf_free(&p->values[i]);
	}
}

static bool is_unreserved(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static bool is_upper_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* true if s[0..len) is only unreserved characters, %XX with uppercase hex, and '/' when allowed. */
static bool aws_encoded(const char *s, size_t len, bool slash_ok, const char **why)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (is_unreserved(s[i]) || (slash_ok && s[i] == '/'))
			continue;
		if (s[i] == '%' && i + 2 < len && is_upper_hex(s[i + 1]) &&
		    is_upper_hex(s[i + 2])) {
			i += 2;
			continue;
		}
		*why = "a character is not AWS-URI-encoded";
		return false;
	}
	return true;
}

/*
 * Splits url (which must start with endpoint) into a decoded path and
 * decoded query parameters. Returns NULL or why it is malformed.
 */
static const char *parse_url(const char *url, const char *endpoint, struct parsed *p)
{
	const char *rest, *q, *why = NULL;
	size_t plen;

	if (!str_starts(url, endpoint))
		return "URL does not start with the endpoint";
	rest = url + strlen(endpoint);
	if (rest[0] != '/')
		return "no path after the endpoint";
	if (strchr(rest, '#'))
		return "URL has a fragment";
	q = strchr(rest, '?');
	if (!q)
		return "no query";
	plen = (size_t)(q - rest);
	if (!aws_encoded(rest, plen, true, &why))
		return why;
	if (uri_decode(&p->path, rest, plen, false) != S3E_OK)
		return "path does not decode";
	q++;
	while (*q) {
		const char *amp = strchr(q, '&'), *eq;
		size_t len = amp ? (size_t)(amp - q) : strlen(q);

		if (p->n == MAX_PARAMS)
			return "too many parameters";
		eq = memchr(q, '=', len);
		if (!eq)
			return "parameter without '='";
		if (!aws_encoded(q, (size_t)(eq - q), false, &why) ||
		    !aws_encoded(eq + 1, len - (size_t)(eq - q) - 1, false, &why))
			return why;
		if (uri_decode(&p->names[p->n], q, (size_t)(eq - q), false) != S3E_OK ||
		    uri_decode(&p->values[p->n], eq + 1, len - (size_t)(eq - q) - 1, false) !=
			S3E_OK)
			return "parameter does not decode";
		p->kv[p->n].name = buf_str(&p->names[p->n]);
		p->kv[p->n].value = buf_str(&p->values[p->n]);
		p->n++;
		q += len;
		if (*q == '&' && !*++q)
			return "trailing '&'";
	}
	return NULL;
}

struct expect {
	const char *endpoint;
	const char *region;
	const char *method;
	const char *secret;
	const char *path; /* "/bucket/key", decoded */
	uint64_t expires;
	size_t nextra; /* parameters besides the six of authentication */
};

/* Verifies url as a server would; returns NULL when it holds, else the reason. */
static const char *verify_url(const char *url, const struct expect *e)
{
	struct buf canon, scope, sts;
	struct sigv4_kv signed_params[MAX_PARAMS], host;
	struct sigv4_request cr = {0};
	struct sigv4_auth auth;
	struct parsed p;
	char cred[256], sig[65];
	const char *why;
	uint8_t key[32];
	size_t i, ns = 0;

	parsed_init(&p);
	buf_init(&canon, STRATA_MAX_CANONICAL_REQUEST, S3E_InternalError);
	buf_init(&scope, 256, S3E_InternalError);
	buf_init(&sts, STRATA_MAX_CANONICAL_REQUEST, S3E_InternalError);
	if ((why = parse_url(url, e->endpoint, &p)))
		goto out;
	why = "decoded path differs";
	if (strcmp(buf_str(&p.path), e->path) != 0)
		goto out;
	why = "sigv4_parse_query refused the parameters";
	if (sigv4_parse_query(p.kv, p.n, &auth) != S3E_OK)
		goto out;
	why = "parsed parameters differ";
	snprintf(cred, sizeof(cred), "%s/20130524/%s/s3/aws4_request", AK, e->region);
	for (i = 0; i < p.n; i++)
		if (strcmp(p.kv[i].name, "X-Amz-Credential") == 0 && strcmp(p.kv[i].value, cred))
			goto out;
	if (strcmp(auth.access_key, AK) || strcmp(auth.date, "20130524") ||
	    strcmp(auth.region, e->region) || strcmp(auth.service, "s3") ||
	    strcmp(auth.signed_headers, "host") || strcmp(auth.amz_date, "20130524T000000Z") ||
	    auth.expires != e->expires || p.n != 6 + e->nextra)
		goto out;
	for (i = 0; i < p.n; i++)
		if (strcmp(p.kv[i].name, "X-Amz-Signature") != 0)
			signed_params[ns++] = p.kv[i];
	host.name = "Host";
	host.value = strstr(e->endpoint, "://") + 3;
	cr.method = e->method;
	cr.path = buf_str(&p.path);
	cr.query = signed_params;
	cr.nquery = ns;
	cr.headers = &host;
	cr.nheaders = 1;
	cr.signed_headers = auth.signed_headers;
	cr.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
	why = "cannot rebuild the string to sign";
	if (sigv4_canonical_request(&cr, &canon) != S3E_OK ||
	    sigv4_scope(auth.date, auth.region, auth.service, &scope) != S3E_OK ||
	    sigv4_string_to_sign(auth.amz_date, buf_str(&scope), buf_str(&canon), canon.len,
				 &sts) != S3E_OK)
		goto out;
	sigv4_signing_key(e->secret, auth.date, auth.region, auth.service, key);
	sigv4_hmac_hex(key, buf_str(&sts), sts.len, sig);
	why = "signature does not match";
	if (!sigv4_sig_equal(sig, auth.signature))
		goto out;
	why = NULL;
out:
	buf_free(&canon);
	buf_free(&scope);
	buf_free(&sts);
	parsed_free(&p);
	return why;
}

/* ---- round trips ---- */

/* clang-format off */
static const char *const keys[] = {
	"photo.jpg",
	"my file.txt",
	"dir/sub dir/file name.txt",
	"a+b+c.txt",
	"C++ & C#/notes?.md",
	"~user/tilde~file~",
	"unicode/\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xc3\xbc.txt",
	"emoji-\xf0\x9f\x98\x80.bin",
	"special !$'()*,;:@[]=%20%.txt",
	"trailing/",
	"a//b/../c/./d",
	"X-Amz-Signature=1&X-Amz-Expires=9",
};

static const char *const methods[] = {"GET", "PUT", "HEAD", "DELETE"};

static const struct {
	const char *endpoint, *region, *bucket;
	uint64_t expires;
} targets[] = {
	{"http://127.0.0.1:9000", "us-east-1", "examplebucket", 3600},
	{"https://s3.example.com", "eu-west-3", "my-bucket.with.dots", 604800},
	{"http://localhost:8080", "us-east-1", "b1", 1},
	{"http://[::1]:9000", "ap-southeast-2", "v6bucket", 86400},
};
/* clang-format on */

static s3err_t make_url(const struct presign_request *req, const struct user *u, struct buf *out)
{
	buf_init(out, 16384, S3E_InternalError);
	return presign_url(req, u, out);
}

static void test_round_trip(void **state)
{
	size_t t, m, k, failures = 0, checked = 0;

	(void)state;
	for (t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
		for (m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
			for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
				struct presign_request req = {targets[t].endpoint,
							      targets[t].region,
							      methods[m],
							      targets[t].bucket,
							      keys[k],
							      targets[t].expires,
							      NOW};
				struct expect e = {targets[t].endpoint,
						   targets[t].region,
						   methods[m],
						   SECRET,
						   NULL,
						   targets[t].expires};
				char path[2048];
				const char *why;
				struct buf url;

				snprintf(path, sizeof(path), "/%s/%s", targets[t].bucket, keys[k]);
				e.path = path;
				assert_int_equal(make_url(&req, &alice, &url), S3E_OK);
				why = verify_url(buf_str(&url), &e);
				if (why) {
					print_error("%s %s: %s\n  %s\n", methods[m], path, why,
						    buf_str(&url));
					failures++;
				}
				checked++;
				buf_free(&url);
			}
		}
	}
	assert_int_equal(checked, 4 * 4 * 12);
	assert_int_equal(failures, 0);
}

/* The verifier rejects a URL used with another method, another secret, or tampered with. */
static void test_verifier_can_fail(void **state)
{
	struct presign_request req = {"http://127.0.0.1:9000", "us-east-1", "GET", "bkt",
				      "my file+1.txt",	       3600,	    NOW};
	struct expect e = {"http://127.0.0.1:9000", "us-east-1", "GET", SECRET,
			   "/bkt/my file+1.txt",    3600};
	struct buf url;
	char tampered[4096];
	char *p;

	(void)state;
	assert_int_equal(make_url(&req, &alice, &url), S3E_OK);
	assert_null(verify_url(buf_str(&url), &e));

	e.method = "PUT";
	assert_non_null(verify_url(buf_str(&url), &e));
	e.method = "GET";
	e.secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEz";
	assert_non_null(verify_url(buf_str(&url), &e));
	e.secret = SECRET;
	e.path = "/bkt/my file 1.txt"; /* '+' taken for a space */
	assert_non_null(verify_url(buf_str(&url), &e));
	e.path = "/bkt/my file+1.txt";

	/* X-Amz-Expires=3600 -> 3601, expecting 3601: parses, but the signature breaks */
	snprintf(tampered, sizeof(tampered), "%s", buf_str(&url));
	p = strstr(tampered, "X-Amz-Expires=3600");
	assert_non_null(p);
	p[strlen("X-Amz-Expires=360")] = '1';
	e.expires = 3601;
	assert_string_equal(verify_url(tampered, &e), "signature does not match");
	buf_free(&url);
}

/* ---- botocore ---- */

/*
 * Expected URLs produced offline with botocore 1.43.11 (what boto3 and
 * aws-cli v2 use), pinning the clock that S3SigV4QueryAuth.add_auth reads
 * through botocore.auth.get_current_datetime():
 *
 *   import datetime; from unittest import mock
 *   import botocore.session; from botocore.config import Config
 *   with mock.patch("botocore.auth.get_current_datetime",
 *                   return_value=datetime.datetime(2013, 5, 24, 0, 0, 0)):
 *       c = botocore.session.get_session().create_client("s3",
 *           endpoint_url="http://127.0.0.1:9000", region_name="us-east-1",
 *           aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
 *           aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
 *           config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
 *       print(c.generate_presigned_url("get_object",    # and "put_object"
 *           Params={"Bucket": "examplebucket", "Key": "photos/my file+1~\u00fc.jpg"},
 *           ExpiresIn=86400))
 *
 * Calling botocore.auth.S3SigV4QueryAuth(...).add_auth() directly on an
 * AWSRequest for the same URL gives the same GET URL.
 */
#define BOTO_PREFIX                                                                                \
	"http://127.0.0.1:9000/examplebucket/photos/my%20file%2B1~%C3%BC.jpg"                      \
	"?X-Amz-Algorithm=AWS4-HMAC-SHA256"                                                        \
	"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"        \
	"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"

static const struct {
	const char *method;
	const char *url;
} boto[] = {
    {"GET", BOTO_PREFIX
     "&X-Amz-Signature=41d1eb626ca0d14f7f94b9541fa42d07a8cbb2c840792c8fc02c2b4c2b8b9615"},
    {"PUT", BOTO_PREFIX
     "&X-Amz-Signature=e0760b2287b5df43f78e29ebb45af4a9b893bbf0c7e36e3942f1b3a14174418d"},
};

static void test_botocore(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(boto) / sizeof(boto[0]); i++) {
		struct presign_request req = {"http://127.0.0.1:9000",
					      "us-east-1",
					      boto[i].method,
					      "examplebucket",
					      "photos/my file+1~\xc3\xbc.jpg",
					      86400,
					      NOW};
		struct expect e = {"http://127.0.0.1:9000",
				   "us-east-1",
				   boto[i].method,
				   SECRET,
				   "/examplebucket/photos/my file+1~\xc3\xbc.jpg",
				   86400};
		struct buf url;

		assert_int_equal(make_url(&req, &alice, &url), S3E_OK);
		assert_string_equal(buf_str(&url), boto[i].url);
		assert_null(verify_url(boto[i].url, &e));
		buf_free(&url);
	}
}

/* ---- errors ---- */

struct err_case {
	const char *endpoint;
	uint64_t expires;
	s3err_t want;
};

/* clang-format off */
static const struct err_case err_cases[] = {
	{"http://127.0.0.1:9000", 0, S3E_InvalidArgument},
	{"http://127.0.0.1:9000", 604801, S3E_InvalidArgument},
	{"http://127.0.0.1:9000", UINT64_MAX, S3E_InvalidArgument},
	{"http://127.0.0.1:9000", 1, S3E_OK},
	{"http://127.0.0.1:9000", 604800, S3E_OK},
	{"127.0.0.1:9000", 3600, S3E_InvalidArgument},              /* no scheme */
	{"s3.example.com", 3600, S3E_InvalidArgument},
	{"ftp://s3.example.com", 3600, S3E_InvalidArgument},
	{"//s3.example.com", 3600, S3E_InvalidArgument},
	{"http://", 3600, S3E_InvalidArgument},                     /* no authority */
	{"https://", 3600, S3E_InvalidArgument},
	{"http://127.0.0.1:9000/prefix", 3600, S3E_InvalidArgument}, /* a path */
	{"https://s3.example.com/a/b", 3600, S3E_InvalidArgument},
	{"", 3600, S3E_InvalidArgument},
	{"https://s3.example.com", 3600, S3E_OK},
};
/* clang-format on */

static void test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		struct presign_request req = {
		    err_cases[i].endpoint, "us-east-1", "GET", "bkt", "key",
		    err_cases[i].expires,  NOW};
		struct buf url;
		s3err_t got = make_url(&req, &alice, &url);

		if (got != err_cases[i].want)
			fail_msg("endpoint '%s' expires %llu: got %s, want %s",
				 err_cases[i].endpoint, (unsigned long long)err_cases[i].expires,
				 s3err_code(got), s3err_code(err_cases[i].want));
		if (got != S3E_OK)
			assert_int_equal(url.len, 0); /* nothing appended */
		else
			assert_true(str_starts(buf_str(&url), err_cases[i].endpoint));
		buf_free(&url);
	}
}

/*
 * Extra parameters (the console's sub-resources and listing options) are
 * signed: the URL verifies with them, and fails when one is changed; a
 * bucket's own URL ("" key) has the path "/bucket"; X-Amz-* extras and too
 * many are refused.
 */
static void test_extra_params(void **state)
{
	const struct sigv4_kv list[] = {
	    {"list-type", "2"}, {"delimiter", "/"}, {"prefix", "scans/2024 jan/"}};
	const struct sigv4_kv restore[] = {{"restore", ""}};
	const struct sigv4_kv bad[] = {{"x-amz-date", "20130524T000000Z"}};
	struct presign_request req = {
	    "http://127.0.0.1:9000", "us-east-1", "GET", "bkt", "", 300, NOW, list, 3};
	struct expect e = {"http://127.0.0.1:9000", "us-east-1", "GET", SECRET, "/bkt", 300, 3};
	const char *why;
	struct buf url;
	char *p;

	(void)state;
	assert_int_equal(make_url(&req, &alice, &url), S3E_OK);
	assert_true(str_starts(buf_str(&url), "http://127.0.0.1:9000/bkt?"));
	assert_non_null(strstr(buf_str(&url), "&prefix=scans%2F2024%20jan%2F"));
	why = verify_url(buf_str(&url), &e);
	if (why)
		fail_msg("list URL: %s: %s", why, buf_str(&url));
	p = strstr(url.data, "list-type=2");
	p[10] = '1'; /* list-type=1: another request */
	assert_non_null(verify_url(buf_str(&url), &e));
	buf_free(&url);

	req.method = e.method = "POST";
	req.key = "dir/obj";
	e.path = "/bkt/dir/obj";
	req.extra = restore;
	req.nextra = e.nextra = 1;
	assert_int_equal(make_url(&req, &alice, &url), S3E_OK);
	assert_non_null(strstr(buf_str(&url), "restore="));
	why = verify_url(buf_str(&url), &e);
	if (why)
		fail_msg("restore URL: %s: %s", why, buf_str(&url));
	buf_free(&url);

	req.extra = bad;
	assert_int_equal(make_url(&req, &alice, &url), S3E_InvalidArgument);
	assert_int_equal(url.len, 0);
	buf_free(&url);
	req.extra = list;
	req.nextra = PRESIGN_MAX_EXTRA + 1;
	assert_int_equal(make_url(&req, &alice, &url), S3E_InvalidArgument);
	buf_free(&url);
}

/* A URL that does not fit the caller's buffer fails with the buffer's own error. */
static void test_out_too_big(void **state)
{
	struct presign_request req = {
	    "http://127.0.0.1:9000", "us-east-1", "GET", "bkt", "key", 3600, NOW};
	struct buf out;

	(void)state;
	buf_init(&out, 100, S3E_KeyTooLongError);
	assert_int_equal(presign_url(&req, &alice, &out), S3E_KeyTooLongError);
	buf_free(&out);
	buf_init(&out, 1000, S3E_KeyTooLongError);
	assert_int_equal(presign_url(&req, &alice, &out), S3E_OK);
	buf_free(&out);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_verifier_can_fail),
		cmocka_unit_test(test_botocore),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_extra_params),
		cmocka_unit_test(test_out_too_big),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
