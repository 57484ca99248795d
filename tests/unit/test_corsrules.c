/*
 * test_corsrules: CORSConfiguration bodies, valid and hostile, the matching
 * truth table and the response headers.
 *
 * Every valid body is parsed, written back with cors_to_xml (compared with
 * the exact canonical text, so botocore's member order is pinned) and
 * parsed again into an equal configuration. Invalid bodies are a table of
 * the S3 error and message a client sees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xml_fixture.h"
#include "../../common/buf.h"
#include "../../common/corsrules.h"
#include "../../common/s3err.h"

#define NS "http://s3.amazonaws.com/doc/2006-03-01/"
#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define CC(rules) "<CORSConfiguration xmlns=\"" NS "\">" rules "</CORSConfiguration>"
#define CANON(rules) DECL CC(rules)
#define RULE(x) "<CORSRule>" x "</CORSRule>"
#define M(x) "<AllowedMethod>" x "</AllowedMethod>"
#define O(x) "<AllowedOrigin>" x "</AllowedOrigin>"
#define H(x) "<AllowedHeader>" x "</AllowedHeader>"
#define E(x) "<ExposeHeader>" x "</ExposeHeader>"

static s3err_t parse(const char *body, struct cors_config *c, const char **msg)
{
	static char msgbuf[CORS_MESSAGE_MAX];

	*msg = NULL;
	return cors_parse(body, strlen(body), c, msg, msgbuf);
}

static void assert_list_equal(const struct cors_list *a, const struct cors_list *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++)
		assert_string_equal(a->v[i], b->v[i]);
}

/* Parses body, checks its canonical text, parses that again into an equal configuration. */
static void round_trip(const char *body, const char *canonical, struct cors_config *out)
{
	struct cors_config again;
	const char *msg;
	struct buf b;
	size_t i;

	assert_int_equal(parse(body, out, &msg), S3E_OK);
	buf_init(&b, CORS_MAX_XML, S3E_MaxMessageLengthExceeded);
	assert_int_equal(cors_to_xml(out, &b), S3E_OK);
	assert_string_equal(buf_str(&b), canonical);
	assert_int_equal(parse(buf_str(&b), &again, &msg), S3E_OK);
	assert_int_equal(again.nrules, out->nrules);
	for (i = 0; i < out->nrules; i++) {
		const struct cors_rule *x = &out->rules[i], *y = &again.rules[i];

		assert_string_equal(x->id, y->id);
		assert_list_equal(&x->headers, &y->headers);
		assert_list_equal(&x->methods, &y->methods);
		assert_list_equal(&x->origins, &y->origins);
		assert_list_equal(&x->expose, &y->expose);
		assert_int_equal(x->method_mask, y->method_mask);
		assert_int_equal(x->any_origin, y->any_origin);
		assert_int_equal(x->has_max_age, y->has_max_age);
		assert_int_equal(x->max_age, y->max_age);
	}
	cors_config_free(&again);
	buf_free(&b);
}

static void test_round_trip(void **state)
{
	/* Members in any order come back in botocore's; white space and no namespace are fine. */
	static const char body[] = "<CORSConfiguration>\n <CORSRule>\n  " M("GET")
	    O("https://a.example") "<ID>r1</ID>"
				   "<MaxAgeSeconds> 3000 </MaxAgeSeconds>" E("ETag") H("x-amz-*")
				       M("HEAD") H("Range") "\n </CORSRule>\n " RULE(
					   O("*") M("PUT")) "</CORSConfiguration>";
	static const char canon[] = CANON(
	    RULE("<ID>r1</ID>" H("x-amz-*") H("Range") M("GET") M("HEAD") O("https://a.example")
		     E("ETag") "<MaxAgeSeconds>3000</MaxAgeSeconds>") RULE(M("PUT") O("*")));
	struct cors_config c;

	(void)state;
	round_trip(body, canon, &c);
	assert_int_equal(c.nrules, 2);
	assert_int_equal(c.rules[0].method_mask, CORS_GET | CORS_HEAD);
	assert_false(c.rules[0].any_origin);
	assert_true(c.rules[1].any_origin);
	assert_false(c.rules[1].has_max_age);
	cors_config_free(&c);
	/* Values keep every byte, escaped on the way out. */
	round_trip(CC(RULE(M("GET") O("https://a&amp;b.example") H(" Spaced "))),
		   CANON(RULE(H(" Spaced ") M("GET") O("https://a&amp;b.example"))), &c);
	assert_string_equal(c.rules[0].origins.v[0], "https://a&b.example");
	cors_config_free(&c);
	cors_config_free(NULL);
}

struct bad_case {
	const char *body;
	s3err_t err;
	const char *msg; /* NULL: the error's default message */
};

static void test_errors(void **state)
{
	static const struct bad_case cases[] = {
	    {"", S3E_MalformedXML, NULL},
	    {"<CORSConfiguration>", S3E_MalformedXML, NULL},
	    {"<Other/>", S3E_MalformedXML, NULL},
	    {CC(""), S3E_MalformedXML, NULL},
	    {CC("<Rule/>"), S3E_MalformedXML, NULL},
	    {CC(RULE(M("GET"))), S3E_MalformedXML, NULL},
	    {CC(RULE(O("*"))), S3E_MalformedXML, NULL},
	    {CC(RULE(M("GET") O("*") "<Colour>red</Colour>")), S3E_MalformedXML, NULL},
	    {CC(RULE(M("GET") O("*") "<ID>a</ID><ID>b</ID>")), S3E_MalformedXML, NULL},
	    {CC(RULE(M("GET") O("*") "<MaxAgeSeconds>1</MaxAgeSeconds>"
				     "<MaxAgeSeconds>2</MaxAgeSeconds>")),
	     S3E_MalformedXML, NULL},
	    {CC(RULE(M("GET") O("*") "<MaxAgeSeconds>soon</MaxAgeSeconds>")), S3E_MalformedXML,
	     NULL},
	    {CC(RULE(M("GET") O("*") "<MaxAgeSeconds>2147483648</MaxAgeSeconds>")),
	     S3E_MalformedXML, NULL},
	    {CC(RULE(M("GET") O("<b>x</b>"))), S3E_MalformedXML, NULL},
	    {CC(RULE(M("PATCH") O("*"))), S3E_InvalidRequest,
	     "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"},
	    {CC(RULE(M("get") O("*"))), S3E_InvalidRequest,
	     "Found unsupported HTTP method in CORS config. Unsupported method is get"},
	    {CC(RULE(M("GET") O("https://*.*.example"))), S3E_InvalidRequest,
	     "AllowedOrigin \"https://*.*.example\" can not have more than one wildcard."},
	    {CC(RULE(M("GET") O("*") H("**"))), S3E_InvalidRequest,
	     "AllowedHeader \"**\" can not have more than one wildcard."},
	    {CC(RULE(M("GET") O("*") E("x-*"))), S3E_InvalidRequest,
	     "ExposeHeader \"x-*\" contains wildcard. We currently do not support wildcard for "
	     "ExposeHeader."},
	    {CC(RULE(M("GET") O("*") "<MaxAgeSeconds>-1</MaxAgeSeconds>")), S3E_InvalidArgument,
	     "MaxAgeSeconds must be a non-negative integer"},
	    {"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" CC(RULE(M("GET") O("&e;"))),
	     S3E_MalformedXML, NULL},
	};
	struct cors_config c = {0, NULL};
	const char *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s3err_t err = parse(cases[i].body, &c, &msg);

		if (err != cases[i].err)
			fail_msg("case %zu: got %s, expected %s", i, s3err_code(err),
				 s3err_code(cases[i].err));
		assert_non_null(msg);
		assert_string_equal(msg, cases[i].msg ? cases[i].msg : s3err_message(err));
		assert_null(c.rules); /* untouched on error */
	}
	assert_int_equal(xml_fixture_external_loads(), 0);
}

/* A rule ID of 255 bytes is taken, 256 is InvalidArgument (AWS's message). */
static void test_id_length(void **state)
{
	char id[CORS_ID_MAX + 2], body[1024];
	struct cors_config c;
	const char *msg;

	(void)state;
	memset(id, 'x', sizeof(id) - 1);
	id[CORS_ID_MAX] = '\0';
	snprintf(body, sizeof(body), CC(RULE("<ID>%s</ID>" M("GET") O("*"))), id);
	assert_int_equal(parse(body, &c, &msg), S3E_OK);
	assert_string_equal(c.rules[0].id, id);
	cors_config_free(&c);
	id[CORS_ID_MAX] = 'x';
	id[CORS_ID_MAX + 1] = '\0';
	snprintf(body, sizeof(body), CC(RULE("<ID>%s</ID>" M("GET") O("*"))), id);
	assert_int_equal(parse(body, &c, &msg), S3E_InvalidArgument);
	assert_string_equal(msg, "ID length should not exceed allowed limit of 255");
}

/* 100 rules are AWS's limit; 101 are InvalidRequest; the body cap comes first. */
static void test_limits(void **state)
{
	static const char rule[] = RULE(M("GET") O("*"));
	struct cors_config c;
	const char *msg;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 2 * CORS_MAX_XML, S3E_MaxMessageLengthExceeded);
	assert_int_equal(buf_adds(&b, "<CORSConfiguration>"), S3E_OK);
	for (i = 0; i < CORS_MAX_RULES; i++)
		assert_int_equal(buf_adds(&b, rule), S3E_OK);
	assert_int_equal(buf_adds(&b, "</CORSConfiguration>"), S3E_OK);
	assert_int_equal(parse(buf_str(&b), &c, &msg), S3E_OK);
	assert_int_equal(c.nrules, CORS_MAX_RULES);
	cors_config_free(&c);
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "<CORSConfiguration>"), S3E_OK);
	for (i = 0; i <= CORS_MAX_RULES; i++)
		assert_int_equal(buf_adds(&b, rule), S3E_OK);
	assert_int_equal(buf_adds(&b, "</CORSConfiguration>"), S3E_OK);
	assert_int_equal(parse(buf_str(&b), &c, &msg), S3E_InvalidRequest);
	assert_string_equal(
	    msg, "The number of CORS rules should not exceed allowed limit of 100 rules.");
	/* A body over the cap, and a small one whose canonical form would not fit. */
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "<CORSConfiguration><CORSRule>" M("GET")), S3E_OK);
	while (b.len <= CORS_MAX_XML)
		assert_int_equal(buf_adds(&b, O("https://a.example")), S3E_OK);
	assert_int_equal(buf_adds(&b, "</CORSRule></CORSConfiguration>"), S3E_OK);
	assert_int_equal(parse(buf_str(&b), &c, &msg), S3E_MaxMessageLengthExceeded);
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "<CORSConfiguration><CORSRule>" M("GET")), S3E_OK);
	while (b.len < CORS_MAX_XML - 200)
		assert_int_equal(buf_adds(&b, O("&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;")), S3E_OK);
	assert_int_equal(buf_adds(&b, "</CORSRule></CORSConfiguration>"), S3E_OK);
	assert_int_equal(parse(buf_str(&b), &c, &msg), S3E_OK); /* "&lt;" stays "&lt;" */
	cors_config_free(&c);
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "<CORSConfiguration><CORSRule>" M("GET")), S3E_OK);
	while (b.len < CORS_MAX_XML - 200)
		assert_int_equal(buf_adds(&b, O("<![CDATA[<<<<<<<<<<<<<<<<]]>")), S3E_OK);
	assert_int_equal(buf_adds(&b, "</CORSRule></CORSConfiguration>"), S3E_OK);
	assert_int_equal(parse(buf_str(&b), &c, &msg), S3E_MaxMessageLengthExceeded);
	buf_free(&b);
}

/* The configuration of the matching table. */
static const char MATCH_RULES[] =
    CC(RULE("<ID>viewer</ID>" M("GET") M("HEAD") O("https://viewer.example")
		O("https://*.pacs.example") H("Range") H("x-amz-*"))
	   RULE("<ID>upload</ID>" M("PUT") M("POST") O("https://viewer.example") H("*"))
	       RULE("<ID>public</ID>" M("GET") O("*"))
		   RULE("<ID>unreachable</ID>" M("GET") O("https://viewer.example")));

struct match_case {
	const char *origin, *method, *headers;
	const char *rule; /* the ID of the rule that wins, NULL: none */
};

static void test_match(void **state)
{
	static const struct match_case cases[] = {
	    {"https://viewer.example", "GET", NULL, "viewer"},
	    {"https://viewer.example", "HEAD", "range", "viewer"},
	    {"https://viewer.example", "GET", "Range, X-Amz-Date,x-amz-content-sha256", "viewer"},
	    {"https://viewer.example", "GET", " , Range ,", "viewer"}, /* empty items skipped */
	    {"https://viewer.example", "GET", "", "viewer"},
	    /* a header the first rule lacks: the next rule that allows GET from anywhere */
	    {"https://viewer.example", "GET", "Authorization", NULL},
	    {"https://viewer.example", "PUT", "Authorization, Content-Type", "upload"},
	    {"https://viewer.example", "DELETE", NULL, NULL},
	    {"https://viewer.example", "OPTIONS", NULL, NULL},
	    {"https://viewer.example", "get", NULL, NULL}, /* methods are exact */
	    {"https://ct.pacs.example", "GET", NULL, "viewer"},
	    {"https://a.b.pacs.example", "HEAD", NULL, "viewer"},
	    {"https://pacs.example", "HEAD", NULL, NULL},	  /* the dot is in the pattern */
	    {"https://VIEWER.example", "HEAD", NULL, NULL},	  /* origins are exact */
	    {"https://viewer.example.evil", "HEAD", NULL, NULL},  /* no prefix match */
	    {"https://ct.pacs.example:8443", "HEAD", NULL, NULL}, /* a port is part of it */
	    {"https://evil.example", "GET", NULL, "public"},	  /* any origin, GET only */
	    {"https://evil.example", "GET", "Range", NULL},	  /* but no headers */
	    {"https://evil.example", "PUT", NULL, NULL},
	    {"null", "GET", NULL, "public"},
	    {"", "GET", NULL, "public"},
	};
	struct cors_config c;
	const char *msg;
	size_t i;

	(void)state;
	assert_int_equal(parse(MATCH_RULES, &c, &msg), S3E_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cors_rule *r =
		    cors_match(&c, cases[i].origin, cases[i].method, cases[i].headers);

		if ((r == NULL) != (cases[i].rule == NULL) ||
		    (r && strcmp(r->id, cases[i].rule) != 0))
			fail_msg("case %zu (%s %s [%s]): got %s, expected %s", i, cases[i].origin,
				 cases[i].method, cases[i].headers ? cases[i].headers : "-",
				 r ? r->id : "none", cases[i].rule ? cases[i].rule : "none");
	}
	assert_null(cors_match(NULL, "https://viewer.example", "GET", NULL));
	{
		/* The upload rule allows every header, but not more than a request can carry. */
		char names[4 * (STRATA_MAX_HEADERS + 1) + 1];
		size_t n;

		for (n = 0; n < STRATA_MAX_HEADERS; n++)
			memcpy(names + 4 * n, "a-b,", 4);
		names[4 * n] = '\0';
		assert_non_null(cors_match(&c, "https://viewer.example", "PUT", names));
		memcpy(names + 4 * n, "a-b,", 4);
		names[4 * n + 4] = '\0';
		assert_null(cors_match(&c, "https://viewer.example", "PUT", names));
	}
	assert_null(cors_match(&c, NULL, "GET", NULL));
	assert_null(cors_match(&c, "https://viewer.example", NULL, NULL));
	cors_config_free(&c);
}

/* Wildcard placement: leading, trailing, middle, alone; header names ignore case. */
static void test_wildcards(void **state)
{
	static const struct {
		const char *pattern, *value;
		bool header, match;
	} cases[] = {
	    {"*", "anything", false, true},
	    {"*", "", false, true},
	    {"https://*", "https://x", false, true},
	    {"https://*", "http://x", false, false},
	    {"*.example", "a.example", false, true},
	    {"*.example", "example", false, false},
	    {"a*a", "a", false, false}, /* prefix and suffix must not overlap */
	    {"a*a", "aa", false, true},
	    {"x-amz-*", "X-AMZ-META-FOO", true, true},
	    {"X-Amz-*", "x-amz-date", true, true},
	    {"x-amz-*", "x-am", true, false},
	    {"content-type", "Content-Type", true, true},
	    {"*-type", "content-type", true, true},
	    {"range", "ranges", true, false},
	};
	char body[512];
	struct cors_config c;
	const char *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cors_rule *r;

		if (cases[i].header)
			snprintf(body, sizeof(body), CC(RULE(M("GET") O("o") H("%s"))),
				 cases[i].pattern);
		else
			snprintf(body, sizeof(body), CC(RULE(M("GET") O("%s"))), cases[i].pattern);
		assert_int_equal(parse(body, &c, &msg), S3E_OK);
		r = cases[i].header ? cors_match(&c, "o", "GET", cases[i].value)
				    : cors_match(&c, cases[i].value, "GET", NULL);
		if ((r != NULL) != cases[i].match)
			fail_msg("case %zu: %s vs %s", i, cases[i].pattern, cases[i].value);
		cors_config_free(&c);
	}
}

struct collected {
	size_t n;
	char names[8][64];
	char values[8][256];
};

static void collect(void *ctx, const char *name, const char *value)
{
	struct collected *h = ctx;

	assert_true(h->n < 8);
	snprintf(h->names[h->n], sizeof(h->names[0]), "%s", name);
	snprintf(h->values[h->n], sizeof(h->values[0]), "%s", value);
	h->n++;
}

static const char *got(const struct collected *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->names[i], name) == 0)
			return h->values[i];
	return NULL;
}

#define VARY "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

static void test_headers(void **state)
{
	struct collected h;
	struct cors_config c;
	const char *msg;

	(void)state;
	assert_int_equal(
	    parse(CC(RULE(M("GET") M("HEAD") O("https://*.pacs.example") H("*") E("ETag")
			      E("x-amz-request-id") "<MaxAgeSeconds>600</MaxAgeSeconds>")
			 RULE(M("PUT") O("https://a.example") O("*"))),
		  &c, &msg),
	    S3E_OK);
	/* A preflight: the requested names come back lowercased, in order. */
	memset(&h, 0, sizeof(h));
	assert_int_equal(cors_headers(&c.rules[0], "https://ct.pacs.example",
				      "Range, X-Amz-Date,,Content-Type", true, collect, &h),
			 S3E_OK);
	assert_int_equal(h.n, 7);
	assert_string_equal(got(&h, "Access-Control-Allow-Origin"), "https://ct.pacs.example");
	assert_string_equal(got(&h, "Access-Control-Allow-Credentials"), "true");
	assert_string_equal(got(&h, "Access-Control-Allow-Methods"), "GET, HEAD");
	assert_string_equal(got(&h, "Access-Control-Allow-Headers"),
			    "range, x-amz-date, content-type");
	assert_string_equal(got(&h, "Access-Control-Expose-Headers"), "ETag, x-amz-request-id");
	assert_string_equal(got(&h, "Access-Control-Max-Age"), "600");
	assert_string_equal(got(&h, "Vary"), VARY);
	/* The actual request: no Allow-Headers even when asked. */
	memset(&h, 0, sizeof(h));
	assert_int_equal(
	    cors_headers(&c.rules[0], "https://ct.pacs.example", "Range", false, collect, &h),
	    S3E_OK);
	assert_int_equal(h.n, 6);
	assert_null(got(&h, "Access-Control-Allow-Headers"));
	/* A rule allowing every origin answers "*" (even for a named one) and no credentials. */
	memset(&h, 0, sizeof(h));
	assert_int_equal(cors_headers(&c.rules[1], "https://a.example", NULL, true, collect, &h),
			 S3E_OK);
	assert_int_equal(h.n, 3);
	assert_string_equal(got(&h, "Access-Control-Allow-Origin"), "*");
	assert_null(got(&h, "Access-Control-Allow-Credentials"));
	assert_string_equal(got(&h, "Access-Control-Allow-Methods"), "PUT");
	assert_null(got(&h, "Access-Control-Max-Age"));
	assert_null(got(&h, "Access-Control-Expose-Headers"));
	assert_string_equal(got(&h, "Vary"), VARY);
	cors_config_free(&c);
}

static void test_method_bits(void **state)
{
	(void)state;
	assert_int_equal(cors_method_bit("GET"), CORS_GET);
	assert_int_equal(cors_method_bit("PUT"), CORS_PUT);
	assert_int_equal(cors_method_bit("POST"), CORS_POST);
	assert_int_equal(cors_method_bit("DELETE"), CORS_DELETE);
	assert_int_equal(cors_method_bit("HEAD"), CORS_HEAD);
	assert_int_equal(cors_method_bit("OPTIONS"), 0);
	assert_int_equal(cors_method_bit("Get"), 0);
	assert_int_equal(cors_method_bit(""), 0);
	assert_int_equal(cors_method_bit(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_round_trip, xml_fixture_setup),
	    cmocka_unit_test_setup(test_errors, xml_fixture_setup),
	    cmocka_unit_test_setup(test_id_length, xml_fixture_setup),
	    cmocka_unit_test_setup(test_limits, xml_fixture_setup),
	    cmocka_unit_test_setup(test_match, xml_fixture_setup),
	    cmocka_unit_test_setup(test_wildcards, xml_fixture_setup),
	    cmocka_unit_test_setup(test_headers, xml_fixture_setup),
	    cmocka_unit_test_setup(test_method_bits, xml_fixture_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
