/*
 * test_xmlin: DeleteObjects, CreateBucketConfiguration and
 * CompleteMultipartUpload bodies, valid and hostile, plus a round trip
 * through xmlw (what the gateway writes in responses must parse back to the
 * same key).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "xml_fixture.h"
#include "../../common/buf.h"
#include "../../common/xmlin.h"
#include "../../common/xmlw.h"

#define NS "http://s3.amazonaws.com/doc/2006-03-01/"

static s3err_t parse_delete(const char *body, struct delete_request *r)
{
	return xmlin_parse_delete(body, strlen(body), r);
}

/* ---- DeleteObjects: valid bodies ---- */

static void test_delete_with_namespace(void **state)
{
	struct delete_request r;
	const char *body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<Delete xmlns=\"" NS "\">\n"
			   "  <Object><Key>a.txt</Key></Object>\n"
			   "  <Object>\n    <Key>dir/b</Key>\n    <VersionId>v1</VersionId>\n"
			   "  </Object>\n"
			   "</Delete>\n";

	(void)state;
	assert_int_equal(parse_delete(body, &r), S3E_OK);
	assert_false(r.quiet);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.objects[0].key, "a.txt");
	assert_int_equal(r.objects[0].key_len, 5);
	assert_null(r.objects[0].version_id);
	assert_string_equal(r.objects[1].key, "dir/b");
	assert_string_equal(r.objects[1].version_id, "v1");
	xmlin_delete_free(&r);
	assert_int_equal(r.n, 0);
	assert_null(r.objects);
	xmlin_delete_free(&r); /* twice is harmless */
	xmlin_delete_free(NULL);
}

static void test_delete_without_namespace_quiet(void **state)
{
	struct delete_request r;

	(void)state;
	assert_int_equal(parse_delete("<Delete><Quiet>true</Quiet><Object><Key>k</Key></Object>"
				      "</Delete>",
				      &r),
			 S3E_OK);
	assert_true(r.quiet);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.objects[0].key, "k");
	xmlin_delete_free(&r);

	/* Quiet after the objects, prefixed S3 namespace. */
	assert_int_equal(parse_delete("<s3:Delete xmlns:s3=\"" NS "\"><s3:Object><s3:Key>k</s3:Key>"
				      "</s3:Object><s3:Quiet>false</s3:Quiet></s3:Delete>",
				      &r),
			 S3E_OK);
	assert_false(r.quiet);
	assert_int_equal(r.n, 1);
	xmlin_delete_free(&r);
}

static void test_delete_quiet_values(void **state)
{
	static const struct {
		const char *text;
		s3err_t err;
		bool quiet;
	} cases[] = {
	    {"true", S3E_OK, true},
	    {"false", S3E_OK, false},
	    {"1", S3E_OK, true},
	    {"0", S3E_OK, false},
	    {" true\n", S3E_OK, true},
	    {"True", S3E_MalformedXML, false},
	    {"yes", S3E_MalformedXML, false},
	    {"", S3E_MalformedXML, false},
	    {"<x/>", S3E_MalformedXML, false},
	};
	char body[256];
	struct delete_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
			 "<Delete><Quiet>%s</Quiet><Object><Key>k</Key></Object></Delete>",
			 cases[i].text);
		assert_int_equal(parse_delete(body, &r), cases[i].err);
		if (cases[i].err == S3E_OK) {
			assert_int_equal(r.quiet, cases[i].quiet);
			xmlin_delete_free(&r);
		}
	}
}

/* Keys come back byte for byte: S3 allows any UTF-8, white space included. */
static void test_delete_exact_keys(void **state)
{
	static const struct {
		const char *xml; /* content of <Key> */
		const char *key; /* expected bytes */
	} cases[] = {
	    {"caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80",
	     "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80"},
	    {" leading", " leading"},
	    {"trailing  ", "trailing  "},
	    {" ", " "},
	    {"\n", "\n"},
	    {"\n\t \n", "\n\t \n"},
	    {"a\nb", "a\nb"},
	    {"a&#xD;&#xA;b", "a\r\nb"},
	    {"&#13;", "\r"},
	    {"&amp;&lt;&gt;&quot;&apos;", "&<>\"'"},
	    /* libxml2's NOBLANKS heuristic would drop these blanks. */
	    {"\n<![CDATA[x]]>", "\nx"},
	    {"  <!-- c -->a", "  a"},
	    {" <![CDATA[<not a tag>]]> ", " <not a tag> "},
	    {"\xc2\x85\xe2\x80\xa8", "\xc2\x85\xe2\x80\xa8"},
	};
	char body[512];
	struct delete_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
			 "<Delete xmlns=\"" NS
			 "\">\n <Object>\n  <Key>%s</Key>\n </Object>\n</Delete>",
			 cases[i].xml);
		assert_int_equal(parse_delete(body, &r), S3E_OK);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.objects[0].key_len, strlen(cases[i].key));
		assert_memory_equal(r.objects[0].key, cases[i].key, strlen(cases[i].key) + 1);
		xmlin_delete_free(&r);
	}
}

/* Builds a Delete body with n objects; caller frees. */
static char *body_with_objects(size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b, STRATA_MAX_XML_BODY, S3E_MaxMessageLengthExceeded);
	assert_int_equal(buf_adds(&b, "<Delete xmlns=\"" NS "\">"), S3E_OK);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_addf(&b, "<Object><Key>key-%zu</Key></Object>", i), S3E_OK);
	assert_int_equal(buf_adds(&b, "</Delete>"), S3E_OK);
	return buf_take(&b);
}

static void test_delete_count_limit(void **state)
{
	struct delete_request r;
	char *body;

	(void)state;
	body = body_with_objects(1000);
	assert_int_equal(parse_delete(body, &r), S3E_OK);
	assert_int_equal(r.n, 1000);
	assert_string_equal(r.objects[0].key, "key-0");
	assert_string_equal(r.objects[999].key, "key-999");
	xmlin_delete_free(&r);
	free(body);

	body = body_with_objects(1001);
	assert_int_equal(parse_delete(body, &r), S3E_MalformedXML);
	free(body);
}

/* ---- DeleteObjects: invalid bodies ---- */

static void test_delete_malformed(void **state)
{
	static const char *const bodies[] = {
	    "",
	    "   ",
	    "not xml",
	    "<Delete></Delete>",					    /* no Object */
	    "<Delete><Quiet>true</Quiet></Delete>",			    /* no Object */
	    "<DeleteObjects><Object><Key>k</Key></Object></DeleteObjects>", /* wrong root */
	    "<Object><Key>k</Key></Object>",				    /* wrong root */
	    "<Delete xmlns=\"urn:other\"><Object><Key>k</Key></Object></Delete>",
	    "<Delete><Object><Key xmlns=\"urn:other\">k</Key></Object></Delete>",
	    "<Delete><Object><Key></Key></Object></Delete>", /* empty Key */
	    "<Delete><Object><Key/></Object></Delete>",
	    "<Delete><Object></Object></Delete>", /* no Key */
	    "<Delete><Object><VersionId>v</VersionId></Object></Delete>",
	    "<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>",
	    "<Delete><Object><Key>a</Key><VersionId>1</VersionId><VersionId>2</VersionId>"
	    "</Object></Delete>",
	    "<Delete><Object><Key>a<b/></Key></Object></Delete>", /* element in Key */
	    "<Delete><Object><Key>a</Key><Color>red</Color></Object></Delete>",
	    "<Delete><Object><Key>a</Key></Object><Extra/></Delete>",
	    "<Delete>text<Object><Key>a</Key></Object></Delete>",
	    "<Delete><Object>text<Key>a</Key></Object></Delete>",
	    "<Delete><Quiet>true</Quiet><Quiet>true</Quiet><Object><Key>a</Key></Object></Delete>",
	    "<Delete><Object><Key>a</Key></Object></Delete><Delete/>", /* two roots */
	    "<Delete><Object><Key>a&foo;</Key></Object></Delete>",     /* undeclared entity */
	    "<Delete><Object><Key>a&#0;</Key></Object></Delete>",      /* NUL is not XML */
	    "<Delete><Object><Key>a\x01</Key></Object></Delete>",      /* control char */
	    "<Delete><Object><Key>\xff\xfe</Key></Object></Delete>",   /* not UTF-8 */
	    "<Delete><Object><Key>a</Key></Object></delete>",	       /* case matters */
	    /* Conditions with a malformed shape are MalformedXML before NotImplemented. */
	    "<Delete><Object><Key>a</Key><ETag><x/></ETag></Object></Delete>",
	    "<Delete><Object><ETag>e</ETag></Object></Delete>",
	};
	struct delete_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		memset(&r, 0xa5, sizeof(r));
		if (parse_delete(bodies[i], &r) != S3E_MalformedXML)
			fail_msg("body %zu accepted or wrong error: %s", i, bodies[i]);
		/* Outputs are written only on success. */
		assert_int_equal(r.n, (size_t)0xa5a5a5a5a5a5a5a5ull);
	}
}

/* Every strict prefix of a valid body is rejected (truncated uploads). */
static void test_delete_truncated(void **state)
{
	const char *body = "<?xml version=\"1.0\"?><Delete xmlns=\"" NS "\"><Quiet>true</Quiet>"
			   "<Object><Key> k </Key><VersionId>v</VersionId></Object></Delete>";
	size_t len = strlen(body), i;
	struct delete_request r;
	char *copy;

	(void)state;
	for (i = 0; i < len; i++) {
		/* A right-sized heap copy, so ASan catches any read past len. */
		copy = malloc(i ? i : 1);
		assert_non_null(copy);
		memcpy(copy, body, i);
		if (xmlin_parse_delete(copy, i, &r) != S3E_MalformedXML)
			fail_msg("prefix of %zu bytes not rejected", i);
		free(copy);
	}
	copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, body, len);
	assert_int_equal(xmlin_parse_delete(copy, len, &r), S3E_OK);
	assert_string_equal(r.objects[0].key, " k ");
	xmlin_delete_free(&r);
	free(copy);
}

/* DOCTYPE in any form is refused, and nothing external is ever opened. */
static void test_delete_doctype_attacks(void **state)
{
	static const char *const bodies[] = {
	    /* billion laughs */
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	    "]>\n<Delete><Object><Key>&lol9;</Key></Object></Delete>",
	    /* external entity (XXE) */
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE Delete [\n"
	    " <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n"
	    "<Delete><Object><Key>&xxe;</Key></Object></Delete>",
	    /* external parameter entity */
	    "<!DOCTYPE Delete [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
	    "<Delete><Object><Key>k</Key></Object></Delete>",
	    /* external DTD over the network */
	    "<!DOCTYPE Delete SYSTEM \"http://127.0.0.1:1/evil.dtd\">"
	    "<Delete><Object><Key>k</Key></Object></Delete>",
	    /* a harmless-looking DOCTYPE is refused too */
	    "<!DOCTYPE Delete><Delete><Object><Key>k</Key></Object></Delete>",
	    "<!DOCTYPE Delete []><Delete><Object><Key>k</Key></Object></Delete>",
	};
	struct delete_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		if (parse_delete(bodies[i], &r) != S3E_MalformedXML)
			fail_msg("DOCTYPE body %zu not rejected", i);
	}
	assert_int_equal(xml_fixture_external_loads(), 0);
}

static void test_delete_oversize(void **state)
{
	size_t cap = STRATA_MAX_XML_BODY;
	const char *head = "<Delete><Object><Key>k</Key></Object>";
	const char *tail = "</Delete>";
	struct delete_request r;
	char *body;

	(void)state;
	/* Exactly at the cap (padded with white space) is accepted... */
	body = malloc(cap + 1);
	assert_non_null(body);
	memset(body, ' ', cap + 1);
	memcpy(body, head, strlen(head));
	memcpy(body + cap - strlen(tail), tail, strlen(tail));
	assert_int_equal(xmlin_parse_delete(body, cap, &r), S3E_OK);
	assert_int_equal(r.n, 1);
	xmlin_delete_free(&r);
	/* ...one byte more is refused before parsing. */
	memcpy(body + cap + 1 - strlen(tail), tail, strlen(tail));
	assert_int_equal(xmlin_parse_delete(body, cap + 1, &r), S3E_MaxMessageLengthExceeded);
	free(body);
}

/* Conditional deletes (botocore ObjectIdentifier ETag/LastModifiedTime/Size) are not ignored. */
static void test_delete_conditions_not_implemented(void **state)
{
	static const char *const bodies[] = {
	    "<Delete><Object><Key>k</Key><ETag>\"abc\"</ETag></Object></Delete>",
	    "<Delete><Object><Key>k</Key><Size>12</Size></Object></Delete>",
	    "<Delete><Object><Key>k</Key>"
	    "<LastModifiedTime>Wed, 21 Oct 2015 07:28:00 GMT</LastModifiedTime></Object>"
	    "<Object><Key>j</Key></Object></Delete>",
	};
	struct delete_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		assert_int_equal(parse_delete(bodies[i], &r), S3E_NotImplemented);
}

/* Keys the gateway writes with xmlw parse back to the same bytes. */
static void test_xmlw_roundtrip(void **state)
{
	static const char *const keys[] = {
	    "plain",	 "a&b<c>d\"e'f",
	    "tab\there", "cr\rlf\ncrlf\r\n",
	    " spaced ",	 "\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8\x7f\xc2\x85",
	    "]]>",	 "&amp;",
	};
	struct delete_request r;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 65536, S3E_InternalError);
	assert_int_equal(xmlw_begin(&b, "Delete"), S3E_OK);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		assert_int_equal(xmlw_open(&b, "Object"), S3E_OK);
		assert_int_equal(xmlw_elem(&b, "Key", keys[i]), S3E_OK);
		assert_int_equal(xmlw_close(&b, "Object"), S3E_OK);
	}
	assert_int_equal(xmlw_close(&b, "Delete"), S3E_OK);
	assert_int_equal(xmlin_parse_delete(b.data, b.len, &r), S3E_OK);
	assert_int_equal(r.n, sizeof(keys) / sizeof(keys[0]));
	for (i = 0; i < r.n; i++) {
		assert_int_equal(r.objects[i].key_len, strlen(keys[i]));
		assert_string_equal(r.objects[i].key, keys[i]);
	}
	xmlin_delete_free(&r);
	buf_free(&b);
}

/* Bytes XML cannot carry become U+FFFD and the document stays well-formed. */
static void test_xmlw_replaces_unrepresentable(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *key;
	} cases[] = {
	    {"a\x01z", 3, "a\xef\xbf\xbdz"},
	    {"a\0z", 3, "a\xef\xbf\xbdz"},
	    {"\x1b[31m", 5, "\xef\xbf\xbd[31m"},
	    {"\xff", 1, "\xef\xbf\xbd"},
	    {"\xc3", 1, "\xef\xbf\xbd"},				 /* truncated sequence */
	    {"\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd"},		 /* overlong '/' */
	    {"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
	    {"\xef\xbf\xbe", 3, "\xef\xbf\xbd"},			 /* U+FFFE */
	    {"\xf4\x90\x80\x80", 4,
	     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* > U+10FFFF */
	};
	struct delete_request r;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b, 4096, S3E_InternalError);
		assert_int_equal(xmlw_begin(&b, "Delete"), S3E_OK);
		assert_int_equal(xmlw_open(&b, "Object"), S3E_OK);
		assert_int_equal(xmlw_elemn(&b, "Key", cases[i].in, cases[i].len), S3E_OK);
		assert_int_equal(xmlw_close(&b, "Object"), S3E_OK);
		assert_int_equal(xmlw_close(&b, "Delete"), S3E_OK);
		if (xmlin_parse_delete(b.data, b.len, &r) != S3E_OK)
			fail_msg("case %zu: ill-formed document: %s", i, b.data);
		assert_string_equal(r.objects[0].key, cases[i].key);
		xmlin_delete_free(&r);
		buf_free(&b);
	}
}

/* xmlw leaves the buffer unchanged when an element does not fit. */
static void test_xmlw_rollback_and_format(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 44, S3E_MaxMessageLengthExceeded);
	assert_int_equal(xmlw_elem_u64(&b, "Size", 18446744073709551615ull), S3E_OK);
	assert_string_equal(b.data, "<Size>18446744073709551615</Size>");
	assert_int_equal(xmlw_elem(&b, "K", "&&&&&"), S3E_MaxMessageLengthExceeded);
	assert_string_equal(b.data, "<Size>18446744073709551615</Size>");
	assert_int_equal(xmlw_text(&b, "<>", 2), S3E_OK);
	assert_string_equal(b.data, "<Size>18446744073709551615</Size>&lt;&gt;");
	buf_free(&b);

	buf_init(&b, 4096, S3E_InternalError);
	assert_int_equal(xmlw_begin(&b, "ListAllMyBucketsResult"), S3E_OK);
	assert_string_equal(b.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				    "<ListAllMyBucketsResult xmlns=\"" NS "\">");
	buf_reset(&b);
	assert_int_equal(xmlw_elem(&b, "E", "\t\n\r'\""), S3E_OK);
	assert_string_equal(b.data, "<E>&#x9;&#xA;&#xD;&apos;&quot;</E>");
	buf_free(&b);
}

/* ---- CreateBucketConfiguration ---- */

static void test_create_bucket_valid(void **state)
{
	static const struct {
		const char *body;
		const char *region;
	} cases[] = {
	    {"", ""},
	    {"\r\n  \n", ""},
	    {"<CreateBucketConfiguration xmlns=\"" NS "\"><LocationConstraint>eu-west-1"
	     "</LocationConstraint></CreateBucketConfiguration>",
	     "eu-west-1"},
	    {"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateBucketConfiguration>\n"
	     "  <LocationConstraint>us-west-2</LocationConstraint>\n"
	     "</CreateBucketConfiguration>\n",
	     "us-west-2"},
	    {"<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>", ""},
	    {"<CreateBucketConfiguration xmlns=\"" NS "\"/>", ""},
	};
	char region[STRATA_MAX_REGION_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(region, 'x', sizeof(region));
		assert_int_equal(xmlin_parse_create_bucket(cases[i].body, strlen(cases[i].body),
							   region, sizeof(region)),
				 S3E_OK);
		assert_string_equal(region, cases[i].region);
	}
	/* NULL with length 0 is an empty body. */
	assert_int_equal(xmlin_parse_create_bucket(NULL, 0, region, sizeof(region)), S3E_OK);
	assert_string_equal(region, "");
}

static void test_create_bucket_errors(void **state)
{
	static const struct {
		const char *body;
		size_t cap;
		s3err_t err;
	} cases[] = {
	    {"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
	     "</CreateBucketConfiguration>",
	     9, S3E_InvalidLocationConstraint},
	    {"<CreateBucketConfiguration><Location><Type>AvailabilityZone</Type>"
	     "<Name>usw2-az1</Name></Location></CreateBucketConfiguration>",
	     33, S3E_NotImplemented},
	    {"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
	     "<Bucket><Type>Directory</Type></Bucket></CreateBucketConfiguration>",
	     33, S3E_NotImplemented},
	    {"<CreateBucketConfiguration><Tags><Tag><Key>a</Key><Value>b</Value></Tag></Tags>"
	     "</CreateBucketConfiguration>",
	     33, S3E_NotImplemented},
	    {"<CreateBucketConfiguration><Color>red</Color></CreateBucketConfiguration>", 33,
	     S3E_MalformedXML},
	    {"<BucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
	     "</BucketConfiguration>",
	     33, S3E_MalformedXML},
	    {"<CreateBucketConfiguration><LocationConstraint>a</LocationConstraint>"
	     "<LocationConstraint>b</LocationConstraint></CreateBucketConfiguration>",
	     33, S3E_MalformedXML},
	    {"<CreateBucketConfiguration><LocationConstraint>eu</LocationConstraint>", 33,
	     S3E_MalformedXML},
	    {"<CreateBucketConfiguration><LocationConstraint><x/></LocationConstraint>"
	     "</CreateBucketConfiguration>",
	     33, S3E_MalformedXML},
	    {"<!DOCTYPE c [<!ENTITY r SYSTEM \"file:///etc/hostname\">]>"
	     "<CreateBucketConfiguration><LocationConstraint>&r;</LocationConstraint>"
	     "</CreateBucketConfiguration>",
	     33, S3E_MalformedXML},
	    {"garbage", 33, S3E_MalformedXML},
	};
	char region[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(region, "untouched", 10);
		if (xmlin_parse_create_bucket(cases[i].body, strlen(cases[i].body), region,
					      cases[i].cap) != cases[i].err)
			fail_msg("case %zu: wrong result", i);
		assert_string_equal(region, "untouched");
	}
	assert_int_equal(xml_fixture_external_loads(), 0);
	/* The constraint fits exactly with its NUL. */
	assert_int_equal(
	    xmlin_parse_create_bucket(cases[0].body, strlen(cases[0].body), region, 10), S3E_OK);
	assert_string_equal(region, "eu-west-1");
}

static void test_create_bucket_oversize(void **state)
{
	size_t n = STRATA_MAX_SMALL_XML_BODY + 1;
	char region[16] = "untouched";
	char *body;

	(void)state;
	body = malloc(n);
	assert_non_null(body);
	memset(body, ' ', n); /* would be an "empty" body if it were parsed */
	assert_int_equal(xmlin_parse_create_bucket(body, n, region, sizeof(region)),
			 S3E_MaxMessageLengthExceeded);
	assert_string_equal(region, "untouched");
	assert_int_equal(xmlin_parse_create_bucket(body, n - 1, region, sizeof(region)), S3E_OK);
	free(body);
}

/* ---- CompleteMultipartUpload ---- */

/*
 * Exactly what botocore 1.43.11 sends, generated offline with its own
 * serializer (ETags are the parts' MD5s, checksums their CRC32s):
 *   import base64, hashlib, zlib, botocore.session
 *   from botocore import serialize
 *   op = botocore.session.get_session().get_service_model("s3") \
 *       .operation_model("CompleteMultipartUpload")
 *   data = [b"The quick brown fox ", b"jumps over ", b"the lazy dog"]
 *   parts = [{"ETag": '"%s"' % hashlib.md5(d).hexdigest(), "PartNumber": i + 1,
 *             "ChecksumCRC32": base64.b64encode(zlib.crc32(d).to_bytes(4, "big")).decode()}
 *            for i, d in enumerate(data)]
 *   print(serialize.create_serializer("rest-xml").serialize_to_request(
 *       {"Bucket": "b", "Key": "k", "UploadId": "u",
 *        "MultipartUpload": {"Parts": parts}}, op)["body"].decode())
 */
static const char botocore_complete[] =
    "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><ETag>"
    "\"c4314972a672ded8759cafdca9af3238\"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>"
    "iLB14g==</ChecksumCRC32></Part><Part><ETag>\"85fc5c8ff9e2ceb5f9c21af48c50797f\"</ETag>"
    "<PartNumber>2</PartNumber><ChecksumCRC32>L4EkxA==</ChecksumCRC32></Part><Part><ETag>"
    "\"512d2a9f91ebcdc39cc34428532abe24\"</ETag><PartNumber>3</PartNumber><ChecksumCRC32>"
    "KRBX4w==</ChecksumCRC32></Part></CompleteMultipartUpload>";

static s3err_t parse_complete(const char *body, struct complete_request *r)
{
	return xmlin_parse_complete(body, strlen(body), r);
}

/* Parses "<CompleteMultipartUpload><Part>%s</Part></CompleteMultipartUpload>". */
static s3err_t parse_one_part(const char *inner, struct complete_request *r)
{
	char body[1024];
	int n;

	n = snprintf(body, sizeof(body),
		     "<CompleteMultipartUpload xmlns=\"" NS "\"><Part>%s</Part>"
		     "</CompleteMultipartUpload>",
		     inner);
	assert_true(n > 0 && (size_t)n < sizeof(body));
	return parse_complete(body, r);
}

static void test_complete_botocore(void **state)
{
	static const char *const etags[] = {"c4314972a672ded8759cafdca9af3238",
					    "85fc5c8ff9e2ceb5f9c21af48c50797f",
					    "512d2a9f91ebcdc39cc34428532abe24"};
	static const char *const crcs[] = {"iLB14g==", "L4EkxA==", "KRBX4w=="};
	struct complete_request r;
	size_t i;

	(void)state;
	assert_int_equal(parse_complete(botocore_complete, &r), S3E_OK);
	assert_int_equal(r.n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(r.parts[i].number, i + 1);
		assert_string_equal(r.parts[i].etag, etags[i]);
		assert_string_equal(r.parts[i].checksum_algo, "CRC32");
		assert_string_equal(r.parts[i].checksum_b64, crcs[i]);
	}
	xmlin_complete_free(&r);
	assert_int_equal(r.n, 0);
	assert_null(r.parts);
	xmlin_complete_free(&r); /* twice is harmless */
	xmlin_complete_free(NULL);
}

/* Namespace optional or prefixed; white space, comments and PIs between elements. */
static void test_complete_layouts(void **state)
{
	static const char *const bodies[] = {
	    "<CompleteMultipartUpload><Part><PartNumber>4</PartNumber><ETag>e</ETag></Part>"
	    "</CompleteMultipartUpload>",
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload xmlns=\"" NS
	    "\">\n  <!-- c -->\n  <Part>\n    <ETag>\"e\"</ETag>\n    <?pi x?>\n"
	    "    <PartNumber>4</PartNumber>\n  </Part>\n</CompleteMultipartUpload>\n",
	    "<s3:CompleteMultipartUpload xmlns:s3=\"" NS "\"><s3:Part><s3:PartNumber>4"
	    "</s3:PartNumber><s3:ETag>e</s3:ETag></s3:Part></s3:CompleteMultipartUpload>",
	};
	struct complete_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		if (parse_complete(bodies[i], &r) != S3E_OK)
			fail_msg("body %zu rejected: %s", i, bodies[i]);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.parts[0].number, 4);
		assert_string_equal(r.parts[0].etag, "e");
		assert_string_equal(r.parts[0].checksum_algo, "");
		assert_string_equal(r.parts[0].checksum_b64, "");
		xmlin_complete_free(&r);
	}
}

/* Document order is kept, unsorted and with duplicates: ordering is the gateway's check. */
static void test_complete_document_order(void **state)
{
	struct complete_request r;

	(void)state;
	assert_int_equal(parse_complete("<CompleteMultipartUpload>"
					"<Part><PartNumber>3</PartNumber><ETag>c</ETag></Part>"
					"<Part><PartNumber>1</PartNumber><ETag>a</ETag></Part>"
					"<Part><PartNumber>1</PartNumber><ETag>b</ETag></Part>"
					"</CompleteMultipartUpload>",
					&r),
			 S3E_OK);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.parts[0].number, 3);
	assert_int_equal(r.parts[1].number, 1);
	assert_int_equal(r.parts[2].number, 1);
	assert_string_equal(r.parts[2].etag, "b");
	xmlin_complete_free(&r);
}

static void test_complete_etags(void **state)
{
	char long_ok[STRATA_ETAG_MAX + 8], too_long[STRATA_ETAG_MAX + 8];
	char xml[STRATA_ETAG_MAX + 64];
	static const struct {
		const char *xml;
		const char *etag; /* NULL: S3E_MalformedXML */
	} cases[] = {
	    {"\"abc\"", "abc"},
	    {"abc", "abc"},
	    {"&quot;abc&quot;", "abc"},
	    {"&#34;abc&#34;", "abc"},
	    {"<![CDATA[\"abc\"]]>", "abc"},
	    {"\"<!-- c -->abc\"", "abc"},
	    {"\"3858f62230ac3c915f300c664312c11f-9\"", "3858f62230ac3c915f300c664312c11f-9"},
	    /* Only a matched pair is removed; the rest cannot match a part later. */
	    {"\"abc", "\"abc"},
	    {"abc\"", "abc\""},
	    {"\"\"abc\"\"", "\"abc\""},
	    {" \"abc\" ", " \"abc\" "},
	    {"\"", "\""},
	    {"", NULL},
	    {"\"\"", NULL},
	    {"&quot;&quot;", NULL},
	    {"<x/>", NULL},
	    {"a<x/>b", NULL},
	};
	struct complete_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(xml, sizeof(xml), "<PartNumber>1</PartNumber><ETag>%s</ETag>",
			 cases[i].xml);
		memset(&r, 0xa5, sizeof(r));
		if (!cases[i].etag) {
			if (parse_one_part(xml, &r) != S3E_MalformedXML)
				fail_msg("ETag case %zu accepted: %s", i, cases[i].xml);
			assert_int_equal(r.n, (size_t)0xa5a5a5a5a5a5a5a5ull);
			continue;
		}
		if (parse_one_part(xml, &r) != S3E_OK)
			fail_msg("ETag case %zu rejected: %s", i, cases[i].xml);
		assert_string_equal(r.parts[0].etag, cases[i].etag);
		xmlin_complete_free(&r);
	}
	/* The longest ETag that fits, quoted; one byte more is refused, never truncated. */
	memset(long_ok, 'f', STRATA_ETAG_MAX - 1);
	long_ok[STRATA_ETAG_MAX - 1] = '\0';
	snprintf(xml, sizeof(xml), "<PartNumber>1</PartNumber><ETag>\"%s\"</ETag>", long_ok);
	assert_int_equal(parse_one_part(xml, &r), S3E_OK);
	assert_string_equal(r.parts[0].etag, long_ok);
	xmlin_complete_free(&r);
	memset(too_long, 'f', STRATA_ETAG_MAX);
	too_long[STRATA_ETAG_MAX] = '\0';
	snprintf(xml, sizeof(xml), "<PartNumber>1</PartNumber><ETag>\"%s\"</ETag>", too_long);
	assert_int_equal(parse_one_part(xml, &r), S3E_MalformedXML);
}

static void test_complete_part_numbers(void **state)
{
	static const struct {
		const char *text;
		unsigned number; /* 0: S3E_MalformedXML */
	} cases[] = {
	    {"1", 1},
	    {"10000", 10000},
	    {"9999", 9999},
	    {"0042", 42},
	    {" 7\n", 7},
	    {"<!-- c -->8", 8},
	    {"<![CDATA[9]]>", 9},
	    {"0", 0},
	    {"00000", 0},
	    {"10001", 0},
	    {"-1", 0},
	    {"+1", 0},
	    {"1x", 0},
	    {"x1", 0},
	    {"1.0", 0},
	    {"1e3", 0},
	    {"0x10", 0},
	    {"1 2", 0},
	    {"", 0},
	    {" ", 0},
	    {"4294967297", 0},		 /* 2^32 + 1: would wrap to 1 in 32 bits */
	    {"18446744073709551617", 0}, /* 2^64 + 1: would wrap to 1 in 64 bits */
	    {"99999999999999999999999999999999999999", 0},
	    {"\xef\xbc\x91", 0}, /* U+FF11 FULLWIDTH DIGIT ONE */
	    {"&#49;", 1},	 /* a character reference is just "1" */
	    {"<x/>", 0},
	};
	char xml[256];
	struct complete_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(xml, sizeof(xml), "<ETag>e</ETag><PartNumber>%s</PartNumber>",
			 cases[i].text);
		if (!cases[i].number) {
			if (parse_one_part(xml, &r) != S3E_MalformedXML)
				fail_msg("PartNumber case %zu accepted: %s", i, cases[i].text);
			continue;
		}
		if (parse_one_part(xml, &r) != S3E_OK)
			fail_msg("PartNumber case %zu rejected: %s", i, cases[i].text);
		assert_int_equal(r.parts[0].number, cases[i].number);
		xmlin_complete_free(&r);
	}
}

static void test_complete_checksums(void **state)
{
	static const struct {
		const char *elem;
		const char *algo;
	} ok[] = {
	    {"ChecksumCRC32", "CRC32"},		{"ChecksumCRC32C", "CRC32C"},
	    {"ChecksumCRC64NVME", "CRC64NVME"}, {"ChecksumSHA1", "SHA1"},
	    {"ChecksumSHA256", "SHA256"},
	};
	static const char *const bad[] = {
	    /* two checksums in one part, the same algorithm or not */
	    "<ChecksumCRC32>AAAAAA==</ChecksumCRC32><ChecksumCRC32>AAAAAA==</ChecksumCRC32>",
	    "<ChecksumCRC32>AAAAAA==</ChecksumCRC32><ChecksumSHA1>x</ChecksumSHA1>",
	    "<ChecksumSHA256>x</ChecksumSHA256><ChecksumCRC64NVME>y</ChecksumCRC64NVME>",
	    /* CompletedPart members of algorithms Strata does not offer */
	    "<ChecksumSHA512>x</ChecksumSHA512>",
	    "<ChecksumMD5>x</ChecksumMD5>",
	    "<ChecksumXXHASH64>x</ChecksumXXHASH64>",
	    "<ChecksumXXHASH3>x</ChecksumXXHASH3>",
	    "<ChecksumXXHASH128>x</ChecksumXXHASH128>",
	    /* not in the model at all, wrong case, element content */
	    "<Checksum>x</Checksum>",
	    "<ChecksumCrc32>AAAAAA==</ChecksumCrc32>",
	    "<ChecksumType>FULL_OBJECT</ChecksumType>",
	    "<ChecksumCRC32><b>x</b></ChecksumCRC32>",
	};
	char xml[512], val[STRATA_CHECKSUM_B64_MAX + 1];
	struct complete_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(
		    xml, sizeof(xml),
		    "<PartNumber>2</PartNumber><%s>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
		    "</%s><ETag>\"e\"</ETag>",
		    ok[i].elem, ok[i].elem);
		assert_int_equal(parse_one_part(xml, &r), S3E_OK);
		assert_string_equal(r.parts[0].checksum_algo, ok[i].algo);
		assert_string_equal(r.parts[0].checksum_b64,
				    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
		xmlin_complete_free(&r);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(xml, sizeof(xml), "<PartNumber>2</PartNumber><ETag>e</ETag>%s", bad[i]);
		if (parse_one_part(xml, &r) != S3E_MalformedXML)
			fail_msg("checksum case %zu accepted: %s", i, bad[i]);
	}
	/* The value is kept byte for byte (the gateway decodes it), up to the field size. */
	assert_int_equal(parse_one_part("<PartNumber>1</PartNumber><ETag>e</ETag>"
					"<ChecksumCRC32> AAAAAA==\n</ChecksumCRC32>",
					&r),
			 S3E_OK);
	assert_string_equal(r.parts[0].checksum_b64, " AAAAAA==\n");
	xmlin_complete_free(&r);
	assert_int_equal(parse_one_part("<PartNumber>1</PartNumber><ETag>e</ETag>"
					"<ChecksumCRC32C/>",
					&r),
			 S3E_OK);
	assert_string_equal(r.parts[0].checksum_algo, "CRC32C");
	assert_string_equal(r.parts[0].checksum_b64, "");
	xmlin_complete_free(&r);
	memset(val, 'A', STRATA_CHECKSUM_B64_MAX - 1);
	val[STRATA_CHECKSUM_B64_MAX - 1] = '\0';
	snprintf(xml, sizeof(xml),
		 "<PartNumber>1</PartNumber><ETag>e</ETag><ChecksumSHA1>%s"
		 "</ChecksumSHA1>",
		 val);
	assert_int_equal(parse_one_part(xml, &r), S3E_OK);
	assert_string_equal(r.parts[0].checksum_b64, val);
	xmlin_complete_free(&r);
	memset(val, 'A', STRATA_CHECKSUM_B64_MAX);
	val[STRATA_CHECKSUM_B64_MAX] = '\0';
	snprintf(xml, sizeof(xml),
		 "<PartNumber>1</PartNumber><ETag>e</ETag><ChecksumSHA1>%s"
		 "</ChecksumSHA1>",
		 val);
	assert_int_equal(parse_one_part(xml, &r), S3E_MalformedXML);
}

/* Builds a botocore-shaped body with n SHA-256-checksummed parts; caller frees. */
static char *body_with_parts(size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b, 2 * STRATA_MAX_COMPLETE_XML_BODY, S3E_MaxMessageLengthExceeded);
	assert_int_equal(buf_adds(&b, "<CompleteMultipartUpload xmlns=\"" NS "\">"), S3E_OK);
	for (i = 0; i < n; i++)
		assert_int_equal(
		    buf_addf(&b,
			     "<Part><ETag>\"%032zx\"</ETag><PartNumber>%zu</PartNumber>"
			     "<ChecksumSHA256>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
			     "</ChecksumSHA256></Part>",
			     i, i % STRATA_MAX_PARTS + 1),
		    S3E_OK);
	assert_int_equal(buf_adds(&b, "</CompleteMultipartUpload>"), S3E_OK);
	return buf_take(&b);
}

static void test_complete_count_limit(void **state)
{
	struct complete_request r;
	char *body;

	(void)state;
	body = body_with_parts(STRATA_MAX_PARTS);
	/* The most a client needs fits under the cap with room to spare. */
	assert_true(strlen(body) < STRATA_MAX_COMPLETE_XML_BODY / 2);
	assert_int_equal(parse_complete(body, &r), S3E_OK);
	assert_int_equal(r.n, 10000);
	assert_int_equal(r.parts[0].number, 1);
	assert_int_equal(r.parts[9999].number, 10000);
	assert_string_equal(r.parts[9999].etag, "0000000000000000000000000000270f");
	assert_string_equal(r.parts[9999].checksum_algo, "SHA256");
	xmlin_complete_free(&r);
	free(body);

	body = body_with_parts(STRATA_MAX_PARTS + 1);
	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(parse_complete(body, &r), S3E_MalformedXML);
	assert_int_equal(r.n, (size_t)0xa5a5a5a5a5a5a5a5ull);
	free(body);
}

static void test_complete_malformed(void **state)
{
	static const char *const bodies[] = {
	    "",
	    "   ",
	    "not xml",
	    "<CompleteMultipartUpload/>", /* no Part */
	    "<CompleteMultipartUpload></CompleteMultipartUpload>",
	    "<CompleteMultipartUpload>\n</CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><Part/></CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><Part></Part></CompleteMultipartUpload>",
	    /* missing PartNumber or ETag */
	    "<CompleteMultipartUpload><Part><ETag>e</ETag></Part></CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>"
	    "</CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>"
	    "<Part><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag>"
	    "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><ChecksumCRC32>AAAAAA=="
	    "</ChecksumCRC32><ETag>e</ETag></Part></CompleteMultipartUpload>",
	    /* repeated members */
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><PartNumber>1"
	    "</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag>"
	    "<ETag>e</ETag></Part></CompleteMultipartUpload>",
	    /* unknown elements, stray text, wrong names and namespaces */
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag>"
	    "<Size>5</Size></Part></CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>"
	    "<Extra/></CompleteMultipartUpload>",
	    "<CompleteMultipartUpload>x<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>"
	    "</CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><Part>x<PartNumber>1</PartNumber><ETag>e</ETag></Part>"
	    "</CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><Parts><Part><PartNumber>1</PartNumber><ETag>e</ETag>"
	    "</Part></Parts></CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><part><PartNumber>1</PartNumber><ETag>e</ETag></part>"
	    "</CompleteMultipartUpload>",
	    "<CompletedMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>"
	    "</CompletedMultipartUpload>",
	    "<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>",
	    "<CompleteMultipartUpload xmlns=\"urn:other\"><Part><PartNumber>1</PartNumber>"
	    "<ETag>e</ETag></Part></CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><Part><PartNumber xmlns=\"urn:other\">1</PartNumber>"
	    "<ETag>e</ETag></Part></CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>"
	    "</CompleteMultipartUpload><CompleteMultipartUpload/>",
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&e;</ETag></Part>"
	    "</CompleteMultipartUpload>",
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\xff</ETag></Part>"
	    "</CompleteMultipartUpload>",
	};
	struct complete_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		memset(&r, 0xa5, sizeof(r));
		if (parse_complete(bodies[i], &r) != S3E_MalformedXML)
			fail_msg("body %zu accepted or wrong error: %s", i, bodies[i]);
		/* Outputs are written only on success. */
		assert_int_equal(r.n, (size_t)0xa5a5a5a5a5a5a5a5ull);
	}
	assert_int_equal(xmlin_parse_complete(NULL, 0, &r), S3E_MalformedXML);
}

/* Every strict prefix of botocore's body is rejected (a truncated upload). */
static void test_complete_truncated(void **state)
{
	size_t len = strlen(botocore_complete), i;
	struct complete_request r;
	char *copy;

	(void)state;
	for (i = 0; i < len; i++) {
		/* A right-sized heap copy, so ASan catches any read past len. */
		copy = malloc(i ? i : 1);
		assert_non_null(copy);
		memcpy(copy, botocore_complete, i);
		if (xmlin_parse_complete(copy, i, &r) != S3E_MalformedXML)
			fail_msg("prefix of %zu bytes not rejected", i);
		free(copy);
	}
	copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, botocore_complete, len);
	assert_int_equal(xmlin_parse_complete(copy, len, &r), S3E_OK);
	assert_int_equal(r.n, 3);
	xmlin_complete_free(&r);
	free(copy);
}

/* DOCTYPE in any form is refused, and nothing external is ever opened. */
static void test_complete_doctype_attacks(void **state)
{
	static const char *const bodies[] = {
	    /* billion laughs, expanded into an ETag */
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	    "]>\n<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&lol9;</ETag>"
	    "</Part></CompleteMultipartUpload>",
	    /* external entity (XXE) in the ETag, and in a checksum */
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE CompleteMultipartUpload [\n"
	    " <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n"
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&xxe;</ETag>"
	    "</Part></CompleteMultipartUpload>",
	    "<!DOCTYPE c [<!ENTITY x SYSTEM \"http://127.0.0.1:1/x\">]>"
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag>"
	    "<ChecksumCRC32>&x;</ChecksumCRC32></Part></CompleteMultipartUpload>",
	    /* an internal entity for the part number */
	    "<!DOCTYPE c [<!ENTITY n \"1\">]><CompleteMultipartUpload><Part>"
	    "<PartNumber>&n;</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>",
	    /* external parameter entity */
	    "<!DOCTYPE c [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>"
	    "</CompleteMultipartUpload>",
	    /* external DTD over the network */
	    "<!DOCTYPE CompleteMultipartUpload SYSTEM \"http://127.0.0.1:1/evil.dtd\">"
	    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>"
	    "</CompleteMultipartUpload>",
	    /* a harmless-looking DOCTYPE is refused too */
	    "<!DOCTYPE CompleteMultipartUpload><CompleteMultipartUpload><Part>"
	    "<PartNumber>1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>",
	};
	struct complete_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		if (parse_complete(bodies[i], &r) != S3E_MalformedXML)
			fail_msg("DOCTYPE body %zu not rejected", i);
	}
	assert_int_equal(xml_fixture_external_loads(), 0);
}

static void test_complete_oversize(void **state)
{
	size_t cap = STRATA_MAX_COMPLETE_XML_BODY;
	const char *head = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag>"
			   "</Part>";
	const char *tail = "</CompleteMultipartUpload>";
	struct complete_request r;
	char *body;

	(void)state;
	/* Exactly at the cap (padded with white space) is accepted... */
	body = malloc(cap + 1);
	assert_non_null(body);
	memset(body, ' ', cap + 1);
	memcpy(body, head, strlen(head));
	memcpy(body + cap - strlen(tail), tail, strlen(tail));
	assert_int_equal(xmlin_parse_complete(body, cap, &r), S3E_OK);
	assert_int_equal(r.n, 1);
	xmlin_complete_free(&r);
	/* ...one byte more is refused before parsing. */
	memcpy(body + cap + 1 - strlen(tail), tail, strlen(tail));
	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(xmlin_parse_complete(body, cap + 1, &r), S3E_MaxMessageLengthExceeded);
	assert_int_equal(r.n, (size_t)0xa5a5a5a5a5a5a5a5ull);
	free(body);
}

/* --- ServerSideEncryptionConfiguration --- */

#define SSE_NS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""
#define SSE_DOC(rule)                                                                              \
	"<ServerSideEncryptionConfiguration " SSE_NS ">" rule "</"                                 \
	"ServerSideEncryptionConfiguration>"
#define SSE_RULE(inner) "<Rule>" inner "</Rule>"
#define SSE_DEFAULT(inner)                                                                         \
	"<ApplyServerSideEncryptionByDefault>" inner "</ApplyServerSideEncryptionByDefault>"

/* Table of bodies and what each must give (botocore's shape and AWS's errors). */
static void test_encryption_table(void **state)
{
	static const struct {
		const char *body;
		s3err_t want;
		bool bucket_key;
	} cases[] = {
	    {SSE_DOC(SSE_RULE(SSE_DEFAULT("<SSEAlgorithm>AES256</SSEAlgorithm>"))), S3E_OK, false},
	    {SSE_DOC(SSE_RULE(
		 SSE_DEFAULT("<SSEAlgorithm> AES256 </SSEAlgorithm>") "<BucketKeyEnabled>true</"
								      "BucketKeyEnabled>")),
	     S3E_OK, true},
	    {SSE_DOC(SSE_RULE(SSE_DEFAULT(
		 "<SSEAlgorithm>AES256</SSEAlgorithm>") "<BlockedEncryptionTypes><EncryptionType>"
							"NONE</EncryptionType>"
							"</BlockedEncryptionTypes>")),
	     S3E_OK, false},
	    {SSE_DOC(SSE_RULE(SSE_DEFAULT("<SSEAlgorithm>aws:kms</SSEAlgorithm>"))),
	     S3E_NotImplemented, false},
	    {SSE_DOC(SSE_RULE(SSE_DEFAULT("<SSEAlgorithm>aws:kms:dsse</SSEAlgorithm>"))),
	     S3E_NotImplemented, false},
	    {SSE_DOC(SSE_RULE(SSE_DEFAULT(
		 "<SSEAlgorithm>AES256</SSEAlgorithm>") "<BlockedEncryptionTypes><EncryptionType>"
							"SSE-C</EncryptionType>"
							"</BlockedEncryptionTypes>")),
	     S3E_NotImplemented, false},
	    {SSE_DOC(SSE_RULE(SSE_DEFAULT("<SSEAlgorithm>AES256</SSEAlgorithm>"
					  "<KMSMasterKeyID>k</KMSMasterKeyID>"))),
	     S3E_InvalidArgument, false},
	    {SSE_DOC(SSE_RULE(SSE_DEFAULT("<SSEAlgorithm>DES</SSEAlgorithm>"))), S3E_MalformedXML,
	     false},
	    {SSE_DOC(SSE_RULE(SSE_DEFAULT(""))), S3E_MalformedXML, false},
	    {SSE_DOC(SSE_RULE("")), S3E_MalformedXML, false},
	    {SSE_DOC(""), S3E_MalformedXML, false},
	    {SSE_DOC(SSE_RULE(SSE_DEFAULT("<SSEAlgorithm>AES256</SSEAlgorithm>"))
			 SSE_RULE(SSE_DEFAULT("<SSEAlgorithm>AES256</SSEAlgorithm>"))),
	     S3E_MalformedXML, false},
	    {SSE_DOC(SSE_RULE(SSE_DEFAULT("<SSEAlgorithm>AES256</SSEAlgorithm>") "<Extra/>")),
	     S3E_MalformedXML, false},
	    {"<Other/>", S3E_MalformedXML, false},
	    {"<!DOCTYPE x [<!ENTITY a \"b\">]>" SSE_DOC(
		 SSE_RULE(SSE_DEFAULT("<SSEAlgorithm>AES256</SSEAlgorithm>"))),
	     S3E_MalformedXML, false},
	    {"not xml", S3E_MalformedXML, false},
	};
	struct encryption_config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&cfg, 0x55, sizeof(cfg));
		if (xmlin_parse_encryption(cases[i].body, strlen(cases[i].body), &cfg) !=
		    cases[i].want)
			fail_msg("case %zu: expected %s", i, s3err_code(cases[i].want));
		if (cases[i].want == S3E_OK) {
			assert_string_equal(cfg.algorithm, "AES256");
			assert_int_equal(cfg.bucket_key, cases[i].bucket_key);
		}
	}
	assert_int_equal(xmlin_parse_encryption("", 0, &cfg), S3E_MalformedXML);
}

static void test_encryption_oversize(void **state)
{
	size_t n = STRATA_MAX_SMALL_XML_BODY + 1;
	char *body = malloc(n);
	struct encryption_config cfg;

	(void)state;
	assert_non_null(body);
	memset(body, ' ', n);
	assert_int_equal(xmlin_parse_encryption(body, n, &cfg), S3E_MaxMessageLengthExceeded);
	free(body);
}

/* RestoreRequest: Days required, Tier one of AWS's three, query restores refused. */
static void test_restore_table(void **state)
{
	static const struct {
		const char *body;
		s3err_t want;
		uint32_t days;
		const char *tier;
	} cases[] = {
	    {"<RestoreRequest><Days>2</Days></RestoreRequest>", S3E_OK, 2, ""},
	    {"<RestoreRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Days>7</Days>"
	     "<GlacierJobParameters><Tier>Bulk</Tier></GlacierJobParameters></RestoreRequest>",
	     S3E_OK, 7, "Bulk"},
	    {"<RestoreRequest><Days> 1 </Days><Tier>Expedited</Tier></RestoreRequest>", S3E_OK, 1,
	     "Expedited"},
	    {"<RestoreRequest><Days>0</Days></RestoreRequest>", S3E_MalformedXML, 0, ""},
	    {"<RestoreRequest><Days>-1</Days></RestoreRequest>", S3E_MalformedXML, 0, ""},
	    {"<RestoreRequest></RestoreRequest>", S3E_MalformedXML, 0, ""},
	    {"<RestoreRequest><Days>2</Days><Days>3</Days></RestoreRequest>", S3E_MalformedXML, 0,
	     ""},
	    {"<RestoreRequest><Days>2</Days><GlacierJobParameters><Tier>Fast</Tier>"
	     "</GlacierJobParameters></RestoreRequest>",
	     S3E_MalformedXML, 0, ""},
	    {"<RestoreRequest><Days>2</Days><Type>SELECT</Type></RestoreRequest>",
	     S3E_NotImplemented, 0, ""},
	    {"<RestoreRequest><Days>2</Days><OutputLocation/></RestoreRequest>", S3E_NotImplemented,
	     0, ""},
	    {"<RestoreRequest><Days>2</Days><Bogus/></RestoreRequest>", S3E_MalformedXML, 0, ""},
	    {"<Other><Days>2</Days></Other>", S3E_MalformedXML, 0, ""},
	    {"", S3E_MalformedXML, 0, ""},
	};
	struct restore_request rr;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&rr, 0, sizeof(rr));
		if (xmlin_parse_restore(cases[i].body, strlen(cases[i].body), &rr) != cases[i].want)
			fail_msg("case %zu: expected %s", i, s3err_code(cases[i].want));
		if (cases[i].want == S3E_OK) {
			assert_int_equal(rr.days, cases[i].days);
			assert_string_equal(rr.tier, cases[i].tier);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_delete_with_namespace),
	    cmocka_unit_test(test_delete_without_namespace_quiet),
	    cmocka_unit_test(test_delete_quiet_values),
	    cmocka_unit_test(test_delete_exact_keys),
	    cmocka_unit_test(test_delete_count_limit),
	    cmocka_unit_test(test_delete_malformed),
	    cmocka_unit_test(test_delete_truncated),
	    cmocka_unit_test(test_delete_doctype_attacks),
	    cmocka_unit_test(test_delete_oversize),
	    cmocka_unit_test(test_delete_conditions_not_implemented),
	    cmocka_unit_test(test_xmlw_roundtrip),
	    cmocka_unit_test(test_xmlw_replaces_unrepresentable),
	    cmocka_unit_test(test_xmlw_rollback_and_format),
	    cmocka_unit_test(test_create_bucket_valid),
	    cmocka_unit_test(test_create_bucket_errors),
	    cmocka_unit_test(test_create_bucket_oversize),
	    cmocka_unit_test(test_complete_botocore),
	    cmocka_unit_test(test_complete_layouts),
	    cmocka_unit_test(test_complete_document_order),
	    cmocka_unit_test(test_complete_etags),
	    cmocka_unit_test(test_complete_part_numbers),
	    cmocka_unit_test(test_complete_checksums),
	    cmocka_unit_test(test_complete_count_limit),
	    cmocka_unit_test(test_complete_malformed),
	    cmocka_unit_test(test_complete_truncated),
	    cmocka_unit_test(test_complete_doctype_attacks),
	    cmocka_unit_test(test_complete_oversize),
	    cmocka_unit_test(test_encryption_table),
	    cmocka_unit_test(test_encryption_oversize),
	    cmocka_unit_test(test_restore_table),
	};

	return cmocka_run_group_tests(tests, xml_fixture_setup, NULL);
}
