/*
 * Unit tests for common/sigv4.c.
 *
 * Vector files live under $STRATA_TEST_VECTORS/sigv4/ (see the README files
 * there). Each case is NAME.req (the request as sent), NAME.creq (canonical
 * request), NAME.sts (string to sign) and NAME.authz (Authorization header).
 * For every case the test parses the request the way the gateway will,
 * rebuilds the canonical request and string to sign with sigv4_*, and checks
 * both texts and the final signature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/sigv4.h"
#include "../../common/strutil.h"

#define MAX_FIELDS 32
#define MAX_FILE (1024 * 1024)

/* A request read from a .req file; every string is owned by the pool. */
struct parsed_req {
	char *method;
	char *path; /* decoded */
	struct sigv4_kv query[MAX_FIELDS];
	size_t nquery;
	struct sigv4_kv headers[MAX_FIELDS];
	size_t nheaders;
	const char *body;
	size_t body_len;
	char *pool[4 * MAX_FIELDS + 4];
	size_t npool;
	char *text;
};

/* Reads dir/name.ext into a NUL-terminated heap buffer, or returns NULL if absent. */
static char *read_vector(const char *dir, const char *name, const char *ext, size_t *len)
{
	const char *root = getenv("STRATA_TEST_VECTORS");
	char path[1024];
	FILE *f;
	char *data;
	size_t n;

	if (!root)
		root = "tests/vectors";
	snprintf(path, sizeof(path), "%s/sigv4/%s/%s.%s", root, dir, name, ext);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	data = malloc(MAX_FILE + 1);
	assert_non_null(data);
	n = fread(data, 1, MAX_FILE, f);
	fclose(f);
	data[n] = '\0';
	if (len)
		*len = n;
	return data;
}

static char *pool_dup(struct parsed_req *r, const char *s, size_t len)
{
	char *p = malloc(len + 1);

	assert_non_null(p);
	assert_true(r->npool < sizeof(r->pool) / sizeof(r->pool[0]));
	memcpy(p, s, len);
	p[len] = '\0';
	r->pool[r->npool++] = p;
	return p;
}

static char *pool_decode(struct parsed_req *r, const char *s, size_t len)
{
	struct buf b;
	char *p;

	buf_init(&b, 65536, S3E_InvalidURI);
	assert_int_equal(uri_decode(&b, s, len, false), S3E_OK);
	p = pool_dup(r, buf_str(&b), b.len);
	buf_free(&b);
	return p;
}

/* Splits the raw query into decoded name/value pairs, as the gateway's router will. */
static void parse_query(struct parsed_req *r, const char *q, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *item = q + i;
		const char *amp = memchr(item, '&', len - i);
		size_t ilen = amp ? (size_t)(amp - item) : len - i;
		const char *eq = memchr(item, '=', ilen);

		if (ilen > 0) {
			size_t nlen = eq ? (size_t)(eq - item) : ilen;

			assert_true(r->nquery < MAX_FIELDS);
			r->query[r->nquery].name = pool_decode(r, item, nlen);
			r->query[r->nquery].value =
			    eq ? pool_decode(r, eq + 1, ilen - nlen - 1) : pool_dup(r, "", 0);
			r->nquery++;
		}
		i += ilen + 1;
	}
}

/*
 * Parses "METHOD TARGET HTTP/1.1\nName:value\n...\n\nbody". The target
 * ends at the last space, since get-space has a raw space in its path.
 */
static void parse_req(struct parsed_req *r, char *text)
{
	char *line_end, *sp, *proto, *target, *qm, *p;

	memset(r, 0, sizeof(*r));
	r->text = text;
	line_end = strchr(text, '\n');
	assert_non_null(line_end);
	*line_end = '\0';
	sp = strchr(text, ' ');
	proto = strrchr(text, ' ');
	assert_true(sp && proto && proto > sp);
	r->method = pool_dup(r, text, (size_t)(sp - text));
	target = sp + 1;
	*proto = '\0';
	qm = strchr(target, '?');
	if (qm) {
		r->path = pool_decode(r, target, (size_t)(qm - target));
		parse_query(r, qm + 1, strlen(qm + 1));
	} else {
		r->path = pool_decode(r, target, strlen(target));
	}
	p = line_end + 1;
	r->body = "";
	while (*p) {
		char *nl = strchr(p, '\n');
		char *colon;

		if (*p == '\n') {
			r->body = p + 1;
			break;
		}
		if (nl)
			*nl = '\0';
		colon = strchr(p, ':');
		assert_non_null(colon);
		assert_true(*p != ' ' && *p != '\t'); /* no obs-fold in the cases used */
		assert_true(r->nheaders < MAX_FIELDS);
		r->headers[r->nheaders].name = pool_dup(r, p, (size_t)(colon - p));
		r->headers[r->nheaders].value = pool_dup(r, colon + 1, strlen(colon + 1));
		r->nheaders++;
		if (!nl)
			break;
		p = nl + 1;
	}
	r->body_len = strlen(r->body);
}

static void free_req(struct parsed_req *r)
{
	size_t i;

	for (i = 0; i < r->npool; i++)
		free(r->pool[i]);
	free(r->text);
}

static const char *header_value(const struct parsed_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (str_ieq(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

/* Returns a pointer to the value with leading spaces skipped (the .req files write "Name: value").
 */
static const char *skip_spaces(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

enum {
	PRESIGNED = 1, /* query-string auth; the payload is UNSIGNED-PAYLOAD */
	CREQ_ONLY = 2, /* the published .sts/.authz do not belong to the .creq */
};

struct vector_case {
	const char *dir;
	const char *name;
	const char *access_key;
	const char *secret;
	unsigned flags;
};

#define SUITE_AK "AKIDEXAMPLE"
#define SUITE_SK "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define S3_AK "AKIAIOSFODNN7EXAMPLE"
#define S3_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

/*
 * (a) The AWS SigV4 test suite (service "service", us-east-1,
 * 20150830T123600Z), the cases that hold for S3. Left out on purpose:
 *   - get-relative, get-relative-relative, get-slash, get-slash-dot-slash,
 *     get-slash-pointless-dot, get-slashes: their expected canonical URI is
 *     the normalized path; S3 signs the path as sent ("//" and ".." are
 *     part of a key), see test_no_path_normalization below.
 *   - get-header-value-multiline: obs-fold continuation lines; the HTTP
 *     layer (libmicrohttpd) rejects or unfolds them before SigV4 sees a
 *     header, so no request reaches sigv4 in that shape.
 * get-space is kept: encoding a space needs no normalization.
 *
 * (b) The S3 API Reference examples (s3, us-east-1, 20130524T000000Z).
 */
static const struct vector_case cases[] = {
    {"aws-suite", "get-header-key-duplicate", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-header-value-order", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-header-value-trim", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-space", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-unreserved", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-utf8", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-vanilla", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-vanilla-empty-query-key", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-vanilla-query", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-vanilla-query-order-key", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-vanilla-query-order-key-case", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-vanilla-query-order-value", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-vanilla-query-unreserved", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "get-vanilla-utf8-query", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "post-header-key-case", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "post-header-key-sort", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "post-header-value-case", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "post-sts-header-after", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "post-sts-header-before", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "post-vanilla", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "post-vanilla-empty-query-value", SUITE_AK, SUITE_SK, 0},
    {"aws-suite", "post-vanilla-query", SUITE_AK, SUITE_SK, 0},
    /*
     * Upstream inconsistency: in these two cases the .creq signs
     * content-length (and matches the .req), but the published .sts and
     * .authz were computed from an older canonical request without it
     * (sha256 of the .creq is not the hash in the .sts). Only the
     * canonical request can be checked.
     */
    {"aws-suite", "post-x-www-form-urlencoded", SUITE_AK, SUITE_SK, CREQ_ONLY},
    {"aws-suite", "post-x-www-form-urlencoded-parameters", SUITE_AK, SUITE_SK, CREQ_ONLY},
    {"s3-docs", "get-object-range", S3_AK, S3_SK, 0},
    {"s3-docs", "put-object", S3_AK, S3_SK, 0},
    {"s3-docs", "get-bucket-lifecycle", S3_AK, S3_SK, 0},
    {"s3-docs", "get-bucket-list", S3_AK, S3_SK, 0},
    {"s3-docs", "presigned-get-object", S3_AK, S3_SK, PRESIGNED},
};

/* The signed-header list on the second-to-last line of a canonical request. */
static void creq_signed_headers(const char *creq, char *out, size_t cap)
{
	const char *last = strrchr(creq, '\n');
	const char *prev = last;

	assert_non_null(last);
	while (prev > creq && prev[-1] != '\n')
		prev--;
	assert_true((size_t)(last - prev) < cap);
	memcpy(out, prev, (size_t)(last - prev));
	out[last - prev] = '\0';
}

/* Runs one vector case end to end. */
static void run_case(const struct vector_case *c)
{
	struct parsed_req r;
	struct sigv4_auth auth;
	struct sigv4_request sr;
	struct sigv4_kv query[MAX_FIELDS];
	struct buf creq, scope, sts;
	char *text, *want_creq, *want_sts, *authz = NULL;
	char payload[65], sig[65], signed_headers[256];
	const char *payload_hash, *amz_date;
	uint8_t key[32];
	size_t i, nq = 0, len;

	print_message("vector %s/%s\n", c->dir, c->name);
	text = read_vector(c->dir, c->name, "req", &len);
	assert_non_null(text);
	want_creq = read_vector(c->dir, c->name, "creq", NULL);
	assert_non_null(want_creq);
	want_sts = read_vector(c->dir, c->name, "sts", NULL);
	assert_non_null(want_sts);
	parse_req(&r, text);

	memset(&auth, 0, sizeof(auth));
	if (c->flags & PRESIGNED) {
		assert_int_equal(sigv4_parse_query(r.query, r.nquery, &auth), S3E_OK);
		for (i = 0; i < r.nquery; i++)
			if (strcmp(r.query[i].name, "X-Amz-Signature") != 0)
				query[nq++] = r.query[i];
		payload_hash = SIGV4_UNSIGNED_PAYLOAD;
		amz_date = auth.amz_date;
	} else {
		authz = read_vector(c->dir, c->name, "authz", NULL);
		assert_non_null(authz);
		assert_int_equal(sigv4_parse_header(authz, &auth), S3E_OK);
		for (i = 0; i < r.nquery; i++)
			query[nq++] = r.query[i];
		payload_hash = header_value(&r, "x-amz-content-sha256");
		if (payload_hash) {
			payload_hash = skip_spaces(payload_hash);
		} else {
			sigv4_sha256_hex(r.body, r.body_len, payload);
			payload_hash = payload;
		}
		amz_date = header_value(&r, "x-amz-date");
		assert_non_null(amz_date);
		amz_date = skip_spaces(amz_date);
		assert_int_equal(auth.expires, 0);
		assert_string_equal(auth.amz_date, "");
	}
	assert_string_equal(auth.access_key, c->access_key);
	if (c->flags & CREQ_ONLY)
		creq_signed_headers(want_creq, signed_headers, sizeof(signed_headers));
	else
		assert_true(str_copy(signed_headers, sizeof(signed_headers), auth.signed_headers));

	sr.method = r.method;
	sr.path = r.path;
	sr.query = query;
	sr.nquery = nq;
	sr.headers = r.headers;
	sr.nheaders = r.nheaders;
	sr.signed_headers = signed_headers;
	sr.payload_hash = payload_hash;
	buf_init(&creq, STRATA_MAX_CANONICAL_REQUEST, S3E_MaxMessageLengthExceeded);
	assert_int_equal(sigv4_canonical_request(&sr, &creq), S3E_OK);
	assert_string_equal(buf_str(&creq), want_creq);

	if (!(c->flags & CREQ_ONLY)) {
		buf_init(&scope, 256, S3E_InternalError);
		buf_init(&sts, 1024, S3E_InternalError);
		assert_int_equal(sigv4_scope(auth.date, auth.region, auth.service, &scope), S3E_OK);
		assert_int_equal(
		    sigv4_string_to_sign(amz_date, buf_str(&scope), creq.data, creq.len, &sts),
		    S3E_OK);
		assert_string_equal(buf_str(&sts), want_sts);
		sigv4_signing_key(c->secret, auth.date, auth.region, auth.service, key);
		sigv4_hmac_hex(key, sts.data, sts.len, sig);
		assert_string_equal(sig, auth.signature);
		assert_true(sigv4_sig_equal(sig, auth.signature));
		/* A wrong secret must not verify. */
		sigv4_signing_key("not-the-secret", auth.date, auth.region, auth.service, key);
		sigv4_hmac_hex(key, sts.data, sts.len, sig);
		assert_false(sigv4_sig_equal(sig, auth.signature));
		buf_free(&sts);
		buf_free(&scope);
	}
	buf_free(&creq);
	free(authz);
	free(want_sts);
	free(want_creq);
	free_req(&r);
}

static void test_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* Builds the canonical request for a small request and returns it (caller frees). */
static s3err_t canon(const char *method, const char *path, const struct sigv4_kv *q, size_t nq,
		     const struct sigv4_kv *h, size_t nh, const char *signed_headers,
		     struct buf *out)
{
	struct sigv4_request r = {
	    .method = method,
	    .path = path,
	    .query = q,
	    .nquery = nq,
	    .headers = h,
	    .nheaders = nh,
	    .signed_headers = signed_headers,
	    .payload_hash = SIGV4_EMPTY_SHA256,
	};

	buf_init(out, STRATA_MAX_CANONICAL_REQUEST, S3E_MaxMessageLengthExceeded);
	return sigv4_canonical_request(&r, out);
}

static const struct sigv4_kv host_only[] = {{"Host", "b.example"}};

struct path_case {
	const char *path;
	const char *want; /* the canonical URI line */
};

/* S3 signs the path as sent: no "//" folding, no "." or ".." removal, encoded once. */
static void test_no_path_normalization(void **state)
{
	static const struct path_case paths[] = {
	    {"", "/"},
	    {"/", "/"},
	    {"//", "//"},
	    {"/bucket//key//", "/bucket//key//"},
	    {"/bucket/./key", "/bucket/./key"},
	    {"/bucket/a/../b", "/bucket/a/../b"},
	    {"/bucket/my key+1%", "/bucket/my%20key%2B1%25"},
	    {"/bucket/a=b&c", "/bucket/a%3Db%26c"},
	    {"/bucket/\xc3\xa9", "/bucket/%C3%A9"},
	    {"/bucket/~-_.", "/bucket/~-_."},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct buf b;
		char want[256];

		snprintf(want, sizeof(want), "GET\n%s\n\nhost:b.example\n\nhost\n%s", paths[i].want,
			 SIGV4_EMPTY_SHA256);
		assert_int_equal(canon("GET", paths[i].path, NULL, 0, host_only, 1, "host", &b),
				 S3E_OK);
		assert_string_equal(buf_str(&b), want);
		buf_free(&b);
	}
}

static void test_canonical_query(void **state)
{
	/* Sorted by encoded name, then encoded value; '/' and '+' and ' ' escaped. */
	static const struct sigv4_kv q[] = {
	    {"prefix", "a/b c"}, {"uploads", ""},    {"a b", "1"}, {"a+b", "2"},
	    {"list-type", "2"},	 {"delimiter", "/"}, {"a", "z"},   {"a", "+"},
	};
	struct buf b;

	(void)state;
	assert_int_equal(
	    canon("GET", "/bkt", q, sizeof(q) / sizeof(q[0]), host_only, 1, "host", &b), S3E_OK);
	assert_string_equal(buf_str(&b), "GET\n/bkt\n"
					 "a=%2B&a=z&a%20b=1&a%2Bb=2&delimiter=%2F&list-type=2&"
					 "prefix=a%2Fb%20c&uploads=\n"
					 "host:b.example\n\nhost\n" SIGV4_EMPTY_SHA256);
	buf_free(&b);
}

static void test_canonical_headers(void **state)
{
	static const struct sigv4_kv h[] = {
	    {"HOST", "b.example"},     {"X-Amz-Meta-A", "\t  one \t two  "},
	    {"x-amz-meta-a", "three"}, {"X-Amz-Date", "20130524T000000Z"},
	    {"X-Unsigned", "ignored"}, {"X-Empty", ""},
	};
	struct buf b;

	(void)state;
	assert_int_equal(
	    canon("PUT", "/k", NULL, 0, h, 6, "host;x-amz-date;x-amz-meta-a;x-empty", &b), S3E_OK);
	assert_string_equal(buf_str(&b),
			    "PUT\n/k\n\nhost:b.example\nx-amz-date:20130524T000000Z\n"
			    "x-amz-meta-a:one two,three\nx-empty:\n\n"
			    "host;x-amz-date;x-amz-meta-a;x-empty\n" SIGV4_EMPTY_SHA256);
	buf_free(&b);
}

struct canon_err_case {
	const char *signed_headers;
	s3err_t err;
};

static void test_canonical_errors(void **state)
{
	static const struct canon_err_case errs[] = {
	    {"host;x-amz-date", S3E_SignatureDoesNotMatch}, /* signed but not sent */
	    {"host;content-md5", S3E_SignatureDoesNotMatch},
	    {"", S3E_AuthorizationHeaderMalformed},
	    {"Host", S3E_AuthorizationHeaderMalformed},
	    {"host;", S3E_AuthorizationHeaderMalformed},
	    {";host", S3E_AuthorizationHeaderMalformed},
	    {"host;;x", S3E_AuthorizationHeaderMalformed},
	    {"ho st", S3E_AuthorizationHeaderMalformed},
	    {"host:x", S3E_AuthorizationHeaderMalformed},
	};
	struct sigv4_request r = {
	    .method = "GET",
	    .path = "/",
	    .headers = host_only,
	    .nheaders = 1,
	    .payload_hash = SIGV4_EMPTY_SHA256,
	};
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		assert_int_equal(
		    canon("GET", "/", NULL, 0, host_only, 1, errs[i].signed_headers, &b),
		    errs[i].err);
		buf_free(&b);
	}
	/* The cap on the output buffer holds, with the caller's error. */
	r.signed_headers = "host";
	buf_init(&b, 16, S3E_MaxMessageLengthExceeded);
	assert_int_equal(sigv4_canonical_request(&r, &b), S3E_MaxMessageLengthExceeded);
	buf_free(&b);
}

/* Changing any signed part of the request changes the signature. */
static void test_signature_binds_request(void **state)
{
	static const struct sigv4_kv q1[] = {{"versionId", "1"}};
	static const struct sigv4_kv q2[] = {{"versionId", "2"}};
	static const struct sigv4_kv h2[] = {{"Host", "c.example"}};
	struct buf a, b;
	uint8_t key[32];
	char sa[65], sb[65];

	(void)state;
	sigv4_signing_key(S3_SK, "20130524", "us-east-1", "s3", key);
	assert_int_equal(canon("GET", "/b/k", q1, 1, host_only, 1, "host", &a), S3E_OK);
	sigv4_hmac_hex(key, a.data, a.len, sa);

	assert_int_equal(canon("GET", "/b/k", q2, 1, host_only, 1, "host", &b), S3E_OK);
	sigv4_hmac_hex(key, b.data, b.len, sb);
	assert_false(sigv4_sig_equal(sa, sb));
	buf_free(&b);
	assert_int_equal(canon("GET", "/b/k2", q1, 1, host_only, 1, "host", &b), S3E_OK);
	sigv4_hmac_hex(key, b.data, b.len, sb);
	assert_false(sigv4_sig_equal(sa, sb));
	buf_free(&b);
	assert_int_equal(canon("GET", "/b/k", q1, 1, h2, 1, "host", &b), S3E_OK);
	sigv4_hmac_hex(key, b.data, b.len, sb);
	assert_false(sigv4_sig_equal(sa, sb));
	buf_free(&b);
	assert_int_equal(canon("HEAD", "/b/k", q1, 1, host_only, 1, "host", &b), S3E_OK);
	sigv4_hmac_hex(key, b.data, b.len, sb);
	assert_false(sigv4_sig_equal(sa, sb));
	buf_free(&b);
	buf_free(&a);
}

struct header_case {
	const char *authz;
	s3err_t err;
};

#define CRED "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"
#define SH "SignedHeaders=host;range;x-amz-date"
#define SIG "Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"

static void test_parse_header(void **state)
{
	static const struct header_case hs[] = {
	    {"AWS4-HMAC-SHA256 " CRED ", " SH ", " SIG, S3E_OK},
	    {"AWS4-HMAC-SHA256 " CRED "," SH "," SIG, S3E_OK},
	    {"AWS4-HMAC-SHA256   " CRED " ,  " SH " , " SIG "  ", S3E_OK},
	    {"AWS4-HMAC-SHA256 " SIG ", " CRED ", " SH, S3E_OK},
	    {"AWS4-HMAC-SHA256 " SH "," SIG "," CRED, S3E_OK},
	    {"AWS4-HMAC-SHA256 " CRED ", " SH, S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 " CRED ", " SIG, S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 " SH ", " SIG, S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 " CRED ", " SH ", " SIG ",", S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 " CRED ", " CRED ", " SH ", " SIG, S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 " CRED ", " SH ", " SIG ", Foo=bar",
	     S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA1 " CRED ", " SH ", " SIG, S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256" CRED ", " SH ", " SIG, S3E_AuthorizationHeaderMalformed},
	    {"AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
	     S3E_AuthorizationHeaderMalformed},
	    {"", S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 ", S3E_AuthorizationHeaderMalformed},
	    /* credential shape */
	    {"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3, " SH ", " SIG,
	     S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request/x, " SH ", " SIG,
	     S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws5_request, " SH ", " SIG,
	     S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 Credential=AK/2013052/us-east-1/s3/aws4_request, " SH ", " SIG,
	     S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 Credential=AK/2013052x/us-east-1/s3/aws4_request, " SH ", " SIG,
	     S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request, " SH ", " SIG,
	     S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 Credential=AK/20130524//s3/aws4_request, " SH ", " SIG,
	     S3E_AuthorizationHeaderMalformed},
	    /* signature shape */
	    {"AWS4-HMAC-SHA256 " CRED ", " SH ", Signature=abc", S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 " CRED ", " SH ", " SIG "0", S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 " CRED ", " SH
	     ", Signature=ge5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
	     S3E_AuthorizationHeaderMalformed},
	    /* signed-header list shape */
	    {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=, " SIG, S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=Host;range, " SIG,
	     S3E_AuthorizationHeaderMalformed},
	    {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;;range, " SIG,
	     S3E_AuthorizationHeaderMalformed},
	};
	struct sigv4_auth a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		memset(&a, 0x5a, sizeof(a));
		print_message("header %zu\n", i);
		assert_int_equal(sigv4_parse_header(hs[i].authz, &a), hs[i].err);
		if (hs[i].err) {
			assert_int_equal((unsigned char)a.access_key[0], 0x5a); /* untouched */
			continue;
		}
		assert_string_equal(a.access_key, "AKIAIOSFODNN7EXAMPLE");
		assert_string_equal(a.date, "20130524");
		assert_string_equal(a.region, "us-east-1");
		assert_string_equal(a.service, "s3");
		assert_string_equal(a.signed_headers, "host;range;x-amz-date");
		assert_string_equal(
		    a.signature,
		    "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024");
		assert_string_equal(a.amz_date, "");
		assert_true(a.expires == 0);
	}
}

struct query_case {
	const char *alg, *cred, *date, *expires, *sh, *sig;
	s3err_t err;
};

#define Q_CRED "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"
#define Q_SIG "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
#define QERR S3E_AuthorizationQueryParametersError

static void test_parse_query(void **state)
{
	static const struct query_case qs[] = {
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "86400", "host", Q_SIG, S3E_OK},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "1", "host", Q_SIG, S3E_OK},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "604800", "host", Q_SIG, S3E_OK},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "0", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "604801", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "-1", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "1e3", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "99999999999999999999999", "host", Q_SIG,
	     QERR},
	    {"AWS4-HMAC-SHA1", Q_CRED, "20130524T000000Z", "86400", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000", "86400", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524 000000Z", "86400", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "2013-05-24T00:00:00Z", "86400", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130525T000000Z", "86400", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, "AK/20130524/us-east-1/s3", "20130524T000000Z", "86400", "host",
	     Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "86400", "", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "86400", "host", "abc", QERR},
	    {NULL, Q_CRED, "20130524T000000Z", "86400", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, NULL, "20130524T000000Z", "86400", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, NULL, "86400", "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", NULL, "host", Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "86400", NULL, Q_SIG, QERR},
	    {SIGV4_ALGORITHM, Q_CRED, "20130524T000000Z", "86400", "host", NULL, QERR},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		struct sigv4_kv p[8];
		struct sigv4_auth a;
		size_t n = 0;

		p[n++] = (struct sigv4_kv){"prefix", "x"};
		if (qs[i].alg)
			p[n++] = (struct sigv4_kv){"X-Amz-Algorithm", qs[i].alg};
		if (qs[i].cred)
			p[n++] = (struct sigv4_kv){"X-Amz-Credential", qs[i].cred};
		if (qs[i].date)
			p[n++] = (struct sigv4_kv){"X-Amz-Date", qs[i].date};
		if (qs[i].expires)
			p[n++] = (struct sigv4_kv){"X-Amz-Expires", qs[i].expires};
		if (qs[i].sh)
			p[n++] = (struct sigv4_kv){"X-Amz-SignedHeaders", qs[i].sh};
		if (qs[i].sig)
			p[n++] = (struct sigv4_kv){"X-Amz-Signature", qs[i].sig};
		print_message("query %zu\n", i);
		memset(&a, 0, sizeof(a));
		assert_int_equal(sigv4_parse_query(p, n, &a), qs[i].err);
		if (qs[i].err)
			continue;
		assert_string_equal(a.access_key, "AKIAIOSFODNN7EXAMPLE");
		assert_string_equal(a.date, "20130524");
		assert_string_equal(a.amz_date, "20130524T000000Z");
		assert_string_equal(a.signed_headers, "host");
		assert_string_equal(a.signature, Q_SIG);
		{
			uint64_t want = 0;

			assert_true(parse_u64_str(qs[i].expires, 0, UINT64_MAX, &want));
			assert_true(a.expires == want);
		}
		/* A repeated parameter is refused: two readers could pick different ones. */
		p[n++] = (struct sigv4_kv){"X-Amz-Expires", "1"};
		assert_int_equal(sigv4_parse_query(p, n, &a), QERR);
	}
}

static void test_primitives(void **state)
{
	/* The AWS general reference's signing-key derivation example. */
	static const char want_key[] =
	    "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9";
	uint8_t key[32];
	char hex[65];

	(void)state;
	sigv4_signing_key(SUITE_SK, "20150830", "us-east-1", "iam", key);
	hex_encode(key, 32, hex);
	assert_string_equal(hex, want_key);

	sigv4_sha256_hex("", 0, hex);
	assert_string_equal(hex, SIGV4_EMPTY_SHA256);
	sigv4_sha256_hex("Welcome to Amazon S3.", 21, hex);
	assert_string_equal(hex,
			    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");

	assert_true(sigv4_sig_equal(want_key, want_key));
	assert_false(sigv4_sig_equal(
	    want_key, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b8"));
	assert_false(sigv4_sig_equal(want_key, "c4afb1cc"));
	assert_false(sigv4_sig_equal("", ""));
	{
		struct buf b;

		buf_init(&b, 64, S3E_InternalError);
		assert_int_equal(sigv4_scope("20130524", "us-east-1", "s3", &b), S3E_OK);
		assert_string_equal(buf_str(&b), "20130524/us-east-1/s3/aws4_request");
		buf_free(&b);
	}
}

/* An uppercase spelling of a valid signature is a different signature, not the same one. */
static void test_signature_case_not_folded(void **state)
{
	static const char lower[] =
	    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
	static const char upper[] =
	    "F0E8BDB87C964420E857BD35B5D6ED310BD44F0170ABA48DD91039C6036BDB41";
	struct sigv4_auth a;

	(void)state;
	assert_int_equal(sigv4_parse_header("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/"
					    "s3/aws4_request, SignedHeaders=host, Signature=F0E8"
					    "BDB87C964420E857BD35B5D6ED310BD44F0170ABA48DD91039C6"
					    "036BDB41",
					    &a),
			 S3E_OK);
	assert_string_equal(a.signature, upper);
	assert_false(sigv4_sig_equal(lower, a.signature));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_no_path_normalization),
	    cmocka_unit_test(test_canonical_query),
	    cmocka_unit_test(test_canonical_headers),
	    cmocka_unit_test(test_canonical_errors),
	    cmocka_unit_test(test_signature_binds_request),
	    cmocka_unit_test(test_parse_header),
	    cmocka_unit_test(test_parse_query),
	    cmocka_unit_test(test_primitives),
	    cmocka_unit_test(test_signature_case_not_folded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
