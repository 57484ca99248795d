/*
 * test_replrules: ReplicationConfiguration bodies, valid and hostile, and
 * the matching truth table.
 *
 * Every valid body is parsed, written back with rr_to_xml (compared with the
 * exact canonical text, so botocore's member order is pinned) and parsed
 * again into an equal configuration. Invalid bodies are a table of the S3
 * error and message a client sees. Plus: site resolution (named, unnamed
 * with one site or several), NotImplemented elements, DOCTYPE and entity
 * attacks, the rule and destination limits, and rr_match.
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
#include "../../common/replrules.h"
#include "../../common/s3err.h"

#define NS "http://s3.amazonaws.com/doc/2006-03-01/"
#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define RC_OPEN "<ReplicationConfiguration xmlns=\"" NS "\">"
#define RC_CLOSE "</ReplicationConfiguration>"
#define ROLE "<Role>arn:aws:iam::123456789012:role/r</Role>"
#define RC(rules) RC_OPEN ROLE rules RC_CLOSE
#define CANON(rules) DECL RC(rules)

#define ST "<Status>Enabled</Status>"
#define DMR_OFF "<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>"
#define DMR_ON "<DeleteMarkerReplication><Status>Enabled</Status></DeleteMarkerReplication>"
#define DEST(arn) "<Destination><Bucket>" arn "</Bucket></Destination>"
#define DR "arn:aws:s3:dr::backup"
#define V2(id, prio, filter, tail)                                                                 \
	"<Rule><ID>" id "</ID><Priority>" prio "</Priority>" filter ST DEST(DR) tail "</Rule>"

#define MALFORMED                                                                                  \
	"The XML you provided was not well-formed or did not validate against our published "      \
	"schema"

/* Sites the tests' configuration has: "dr" and "west", or only "dr" when one_site. */
static bool one_site;

static bool fake_site(void *ctx, const char *site, char out[RR_SITE_MAX + 1])
{
	(void)ctx;
	if (!site[0]) {
		if (!one_site)
			return false;
		strcpy(out, "dr");
		return true;
	}
	if (strcmp(site, "dr") != 0 && (one_site || strcmp(site, "west") != 0))
		return false;
	strcpy(out, site);
	return true;
}

static s3err_t parse(const char *body, struct rr_config *c, const char **msg)
{
	*msg = NULL;
	return rr_parse(body, strlen(body), fake_site, NULL, c, msg);
}

static int setup(void **state)
{
	one_site = false;
	return xml_fixture_setup(state);
}

static void assert_rule_equal(const struct rr_rule *a, const struct rr_rule *b)
{
	size_t i;

	assert_string_equal(a->id, b->id);
	assert_int_equal(a->has_priority, b->has_priority);
	assert_int_equal(a->priority, b->priority);
	assert_int_equal(a->enabled, b->enabled);
	assert_int_equal(a->form, b->form);
	assert_string_equal(a->prefix, b->prefix);
	assert_int_equal(a->ntags, b->ntags);
	for (i = 0; i < a->ntags; i++) {
		assert_string_equal(a->tags[i].key, b->tags[i].key);
		assert_string_equal(a->tags[i].value, b->tags[i].value);
	}
	assert_int_equal(a->has_delete_marker, b->has_delete_marker);
	assert_int_equal(a->deletes, b->deletes);
	assert_int_equal(a->has_existing, b->has_existing);
	assert_string_equal(a->arn, b->arn);
	assert_string_equal(a->site, b->site);
	assert_string_equal(a->bucket, b->bucket);
	assert_string_equal(a->storage_class, b->storage_class);
}

/* Parses body, checks its canonical text, parses that again into an equal configuration. */
static void round_trip(const char *body, const char *canonical, struct rr_config *out)
{
	struct rr_config again;
	const char *msg;
	struct buf b;
	size_t i;

	assert_int_equal(parse(body, out, &msg), S3E_OK);
	buf_init(&b, RR_MAX_XML, S3E_MaxMessageLengthExceeded);
	assert_int_equal(rr_to_xml(out, &b), S3E_OK);
	assert_string_equal(buf_str(&b), canonical);
	assert_int_equal(parse(buf_str(&b), &again, &msg), S3E_OK);
	assert_string_equal(again.role, out->role);
	assert_int_equal(again.nrules, out->nrules);
	for (i = 0; i < out->nrules; i++)
		assert_rule_equal(&out->rules[i], &again.rules[i]);
	rr_config_free(&again);
	buf_free(&b);
}

/* ---- valid bodies ---- */

static void test_valid_shapes(void **state)
{
	static const struct {
		const char *body, *canonical;
	} cases[] = {
	    /* V2, empty filter, every element in botocore's member order */
	    {RC(V2("a", "1", "<Filter/>", DMR_OFF)),
	     CANON(V2("a", "1", "<Filter></Filter>", DMR_OFF))},
	    /* V2 elements in another order (botocore writes the caller's order) */
	    {RC("<Rule>" DMR_ON "<Destination><StorageClass>STANDARD_IA</StorageClass><Bucket>" DR
		"</Bucket></Destination>" ST "<Filter><Prefix>x/</Prefix></Filter><Priority>7"
		"</Priority></Rule>"),
	     CANON("<Rule><Priority>7</Priority><Filter><Prefix>x/</Prefix></Filter>" ST
		   "<Destination><Bucket>" DR "</Bucket><StorageClass>STANDARD_IA</StorageClass>"
		   "</Destination>" DMR_ON "</Rule>")},
	    /* one Tag, an And of prefix and tags, an And of tags only */
	    {RC(V2("t", "1", "<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>", DMR_OFF)),
	     CANON(V2("t", "1", "<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>",
		      DMR_OFF))},
	    {RC(V2("and", "2",
		   "<Filter><And><Prefix>p</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag>"
		   "<Key>b</Key><Value></Value></Tag></And></Filter>",
		   DMR_OFF)),
	     CANON(V2("and", "2",
		      "<Filter><And><Prefix>p</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag>"
		      "<Key>b</Key><Value></Value></Tag></And></Filter>",
		      DMR_OFF))},
	    {RC(V2("and", "0", "<Filter><And><Prefix>only</Prefix></And></Filter>", DMR_ON)),
	     CANON(V2("and", "0", "<Filter><And><Prefix>only</Prefix></And></Filter>", DMR_ON))},
	    /* V1: legacy Prefix, and a rule with neither Prefix nor Filter */
	    {RC("<Rule><ID>v1</ID><Prefix>logs/</Prefix>" ST DEST(DR) "</Rule>"),
	     CANON("<Rule><ID>v1</ID><Prefix>logs/</Prefix>" ST DEST(DR) "</Rule>")},
	    {RC("<Rule>" ST DEST(DR) "</Rule>"), CANON("<Rule>" ST DEST(DR) "</Rule>")},
	    /* ExistingObjectReplication Disabled is kept; white space and comments ignored */
	    {RC_OPEN " <!-- c -->\n" ROLE "\n<Rule><Status>Disabled</Status>"
		     "<ExistingObjectReplication><Status>Disabled</Status>"
		     "</ExistingObjectReplication>\n<Filter></Filter><Priority>3</Priority>"
		     "<Destination><Bucket>arn:aws:s3:west::bkt2</Bucket></Destination>" DMR_OFF
		     "</Rule>" RC_CLOSE,
	     CANON("<Rule><Priority>3</Priority><Filter></Filter><Status>Disabled</Status>"
		   "<ExistingObjectReplication><Status>Disabled</Status>"
		   "</ExistingObjectReplication><Destination><Bucket>arn:aws:s3:west::bkt2</Bucket>"
		   "</Destination>" DMR_OFF "</Rule>")},
	    /* no namespace; escaped text */
	    {"<ReplicationConfiguration><Role>a&amp;b</Role>" V2("&lt;x&gt;", "1",
								 "<Filter><Prefix>a&amp;b"
								 "</Prefix></Filter>",
								 DMR_OFF) RC_CLOSE,
	     DECL RC_OPEN "<Role>a&amp;b</Role>" V2(
		 "&lt;x&gt;", "1", "<Filter><Prefix>a&amp;b</Prefix></Filter>", DMR_OFF) RC_CLOSE},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rr_config c;

		round_trip(cases[i].body, cases[i].canonical, &c);
		rr_config_free(&c);
	}
}

static void test_parsed_fields(void **state)
{
	struct rr_config c;
	const char *msg;

	(void)state;
	assert_int_equal(parse(RC(V2("a", "5",
				     "<Filter><And><Prefix>p/</Prefix><Tag><Key>k</Key><Value>v"
				     "</Value></Tag></And></Filter>",
				     DMR_OFF) V2("b", "6", "<Filter/>", DMR_ON)),
			       &c, &msg),
			 S3E_OK);
	assert_string_equal(c.role, "arn:aws:iam::123456789012:role/r");
	assert_int_equal(c.nrules, 2);
	assert_int_equal(c.rules[0].priority, 5);
	assert_int_equal(c.rules[0].form, RR_FORM_AND);
	assert_string_equal(c.rules[0].prefix, "p/");
	assert_int_equal(c.rules[0].ntags, 1);
	assert_false(c.rules[0].deletes);
	assert_true(c.rules[1].deletes);
	assert_string_equal(c.rules[1].site, "dr");
	assert_string_equal(c.rules[1].bucket, "backup");
	rr_config_free(&c);

	/* V1 replicates deletes unless told otherwise (AWS's V1 replicates delete markers). */
	assert_int_equal(parse(RC("<Rule><Prefix>a</Prefix>" ST DEST(DR) "</Rule>"), &c, &msg),
			 S3E_OK);
	assert_true(c.rules[0].deletes);
	rr_config_free(&c);
	assert_int_equal(
	    parse(RC("<Rule><Prefix>a</Prefix>" ST DEST(DR) DMR_OFF "</Rule>"), &c, &msg), S3E_OK);
	assert_false(c.rules[0].deletes);
	rr_config_free(&c);
	rr_config_free(NULL);
}

/* ---- sites ---- */

static void test_sites(void **state)
{
	struct rr_config c;
	const char *msg;

	(void)state;
	/* arn:aws:s3:::B means the one site, and only when there is exactly one. */
	one_site = true;
	assert_int_equal(parse(RC(V2("a", "1", "<Filter/>", DMR_OFF)), &c, &msg), S3E_OK);
	rr_config_free(&c);
	assert_int_equal(parse(RC("<Rule>" ST DEST("arn:aws:s3:::bkt") "</Rule>"), &c, &msg),
			 S3E_OK);
	assert_string_equal(c.rules[0].site, "dr");
	assert_string_equal(c.rules[0].bucket, "bkt");
	assert_string_equal(c.rules[0].arn, "arn:aws:s3:::bkt");
	rr_config_free(&c);
	assert_int_equal(parse(RC("<Rule>" ST DEST("arn:aws:s3:west::bkt") "</Rule>"), &c, &msg),
			 S3E_InvalidArgument);
	assert_non_null(strstr(msg, "arn:aws:s3:SITE::BUCKET"));
	assert_non_null(strstr(msg, "not configured"));

	one_site = false;
	assert_int_equal(parse(RC("<Rule>" ST DEST("arn:aws:s3:::bkt") "</Rule>"), &c, &msg),
			 S3E_InvalidArgument);
	assert_non_null(strstr(msg, "exactly one site"));
	/* No callback: no site is known. */
	assert_int_equal(rr_parse(RC(V2("a", "1", "<Filter/>", DMR_OFF)),
				  strlen(RC(V2("a", "1", "<Filter/>", DMR_OFF))), NULL, NULL, &c,
				  &msg),
			 S3E_InvalidArgument);
}

static void test_site_from_config(void **state)
{
	struct config cfg;
	char out[RR_SITE_MAX + 1];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_false(rr_site_from_config(&cfg, "", out));
	assert_false(rr_site_from_config(&cfg, "dr", out));
	assert_false(rr_site_from_config(NULL, "dr", out));
	strcpy(cfg.sites[0].name, "dr");
	cfg.nsites = 1;
	assert_true(rr_site_from_config(&cfg, "", out));
	assert_string_equal(out, "dr");
	assert_true(rr_site_from_config(&cfg, "dr", out));
	assert_false(rr_site_from_config(&cfg, "d", out));
	strcpy(cfg.sites[1].name, "west");
	cfg.nsites = 2;
	assert_false(rr_site_from_config(&cfg, "", out));
	assert_true(rr_site_from_config(&cfg, "west", out));
	assert_string_equal(out, "west");
}

/* ---- invalid bodies ---- */

static void test_errors(void **state)
{
	static const struct {
		const char *body;
		s3err_t err;
		const char *msg; /* a part of the message */
	} cases[] = {
	    {"", S3E_MalformedXML, MALFORMED},
	    {"<ReplicationConfiguration>", S3E_MalformedXML, MALFORMED},
	    {"<LifecycleConfiguration/>", S3E_MalformedXML, MALFORMED},
	    {RC(""), S3E_MalformedXML, MALFORMED},
	    {RC_OPEN V2("a", "1", "<Filter/>", DMR_OFF) RC_CLOSE, S3E_MalformedXML, MALFORMED},
	    {RC_OPEN ROLE ROLE V2("a", "1", "<Filter/>", DMR_OFF) RC_CLOSE, S3E_MalformedXML,
	     MALFORMED},
	    {RC_OPEN "<Role></Role>" V2("a", "1", "<Filter/>", DMR_OFF) RC_CLOSE,
	     S3E_InvalidArgument, "Role"},
	    {RC("<Other/>" V2("a", "1", "<Filter/>", DMR_OFF)), S3E_MalformedXML, MALFORMED},
	    /* rule shape */
	    {RC("<Rule>" DEST(DR) "</Rule>"), S3E_MalformedXML, MALFORMED},
	    {RC("<Rule>" ST "</Rule>"), S3E_MalformedXML, MALFORMED},
	    {RC("<Rule><Status>enabled</Status>" DEST(DR) "</Rule>"), S3E_MalformedXML, MALFORMED},
	    {RC("<Rule>" ST ST DEST(DR) "</Rule>"), S3E_MalformedXML, MALFORMED},
	    {RC("<Rule>" ST "<Prefix/><Filter/>" DEST(DR) "</Rule>"), S3E_MalformedXML, MALFORMED},
	    {RC("<Rule>" ST "<Destination/></Rule>"), S3E_MalformedXML, MALFORMED},
	    {RC("<Rule>" ST "<Destination><Bucket>" DR "</Bucket><Bucket>" DR
		"</Bucket></Destination></Rule>"),
	     S3E_MalformedXML, MALFORMED},
	    {RC(V2("a", "x", "<Filter/>", DMR_OFF)), S3E_MalformedXML, MALFORMED},
	    {RC(V2("a", "2147483648", "<Filter/>", DMR_OFF)), S3E_MalformedXML, MALFORMED},
	    {RC(V2("a", "-1", "<Filter/>", DMR_OFF)), S3E_InvalidArgument, "non-negative"},
	    {RC(V2("a", "1", "<Filter/>",
		   "<DeleteMarkerReplication><Status>On</Status></DeleteMarkerReplication>")),
	     S3E_MalformedXML, MALFORMED},
	    {RC(V2("a", "1", "<Filter/>", "<Bogus/>" DMR_OFF)), S3E_MalformedXML, MALFORMED},
	    /* filters */
	    {RC(V2("a", "1", "<Filter><Prefix/><Tag><Key>k</Key><Value>v</Value></Tag></Filter>",
		   DMR_OFF)),
	     S3E_MalformedXML, MALFORMED},
	    {RC(V2("a", "1", "<Filter><And></And></Filter>", DMR_OFF)), S3E_MalformedXML,
	     MALFORMED},
	    {RC(V2("a", "1", "<Filter><And><And/></And></Filter>", DMR_OFF)), S3E_MalformedXML,
	     MALFORMED},
	    {RC(V2("a", "1", "<Filter><Tag><Key>k</Key></Tag></Filter>", DMR_OFF)),
	     S3E_MalformedXML, MALFORMED},
	    {RC(V2("a", "1", "<Filter><Tag><Key></Key><Value>v</Value></Tag></Filter>", DMR_OFF)),
	     S3E_InvalidArgument, "TagKey"},
	    {RC(V2("a", "1",
		   "<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2"
		   "</Value></Tag></And></Filter>",
		   DMR_OFF)),
	     S3E_InvalidRequest, "Duplicate Tag Keys"},
	    /* V2 requirements */
	    {RC("<Rule><ID>a</ID><Filter/>" ST DEST(DR) DMR_OFF "</Rule>"), S3E_InvalidRequest,
	     "Priority must be specified"},
	    {RC(V2("a", "1", "<Filter/>", "")), S3E_InvalidRequest,
	     "DeleteMarkerReplication must be specified"},
	    {RC(V2("a", "1", "<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>", DMR_ON)),
	     S3E_InvalidRequest, "Tag filter"},
	    /* whole configuration */
	    {RC(V2("a", "1", "<Filter/>",
		   DMR_OFF) "<Rule><Prefix>p</Prefix>" ST DEST(DR) "</Rule>"),
	     S3E_InvalidRequest, "cannot be mixed"},
	    {RC(V2("a", "1", "<Filter/>", DMR_OFF) V2("a", "2", "<Filter/>", DMR_OFF)),
	     S3E_InvalidArgument, "ID"},
	    {RC(V2("a", "1", "<Filter/>", DMR_OFF) V2("b", "1", "<Filter/>", DMR_OFF)),
	     S3E_InvalidArgument, "priority"},
	    {RC("<Rule><Prefix>a</Prefix>" ST DEST(DR) "</Rule><Rule><Prefix>ab</Prefix>" ST DEST(
		 DR) "</Rule>"),
	     S3E_InvalidArgument, "overlapping"},
	    {RC("<Rule><Prefix>a</Prefix>" ST DEST(DR) "</Rule><Rule><Prefix>b</Prefix>" ST DEST(
		 "arn:aws:s3:west::bkt") "</Rule>"),
	     S3E_InvalidRequest, "cannot exceed 1"},
	    /* destinations */
	    {RC(V2("a", "1", "<Filter/>", DMR_OFF) "<Rule><Priority>2</Priority><Filter/>" ST DEST(
		 "backup") DMR_OFF "</Rule>"),
	     S3E_InvalidArgument, "arn:aws:s3:SITE::BUCKET"},
	    {RC("<Rule>" ST DEST("arn:aws:s3:dr:123:backup") "</Rule>"), S3E_InvalidArgument,
	     "arn:aws:s3:SITE::BUCKET"},
	    {RC("<Rule>" ST DEST("arn:aws:s3:dr::Bad_Bucket") "</Rule>"), S3E_InvalidArgument,
	     "arn:aws:s3:SITE::BUCKET"},
	    {RC("<Rule>" ST DEST("arn:aws:s3:nowhere::bkt") "</Rule>"), S3E_InvalidArgument,
	     "not configured"},
	    {RC("<Rule>" ST DEST("arn:aws:s3:a-site-name-far-longer-than-32-bytes::bkt") "</Rule>"),
	     S3E_InvalidArgument, "not configured"},
	    {RC("<Rule>" ST "<Destination><Bucket>" DR "</Bucket><StorageClass>COLD</StorageClass>"
		"</Destination></Rule>"),
	     S3E_MalformedXML, MALFORMED},
	    {RC("<Rule>" ST "<Destination><Bucket>" DR "</Bucket><StorageClass>SNOW</StorageClass>"
		"</Destination></Rule>"),
	     S3E_InvalidStorageClass, "storage class"},
	    /* NotImplemented only once the rest is valid */
	    {RC(V2("a", "1", "<Filter/>",
		   DMR_OFF "<SourceSelectionCriteria><SseKmsEncryptedObjects><Status>Enabled"
			   "</Status></SseKmsEncryptedObjects></SourceSelectionCriteria>")),
	     S3E_NotImplemented, "SourceSelectionCriteria"},
	    {RC(V2("a", "1", "<Filter/>",
		   DMR_OFF "<ExistingObjectReplication><Status>Enabled</Status>"
			   "</ExistingObjectReplication>")),
	     S3E_NotImplemented, "resync"},
	    {RC("<Rule>" ST "<Destination><Bucket>" DR "</Bucket><Account>1</Account>"
		"</Destination></Rule>"),
	     S3E_NotImplemented, "Account"},
	    {RC("<Rule>" ST "<Destination><Bucket>" DR "</Bucket><EncryptionConfiguration>"
		"<ReplicaKmsKeyID>k</ReplicaKmsKeyID></EncryptionConfiguration></Destination>"
		"</Rule>"),
	     S3E_NotImplemented, "EncryptionConfiguration"},
	    {RC("<Rule>" ST "<Destination><Bucket>" DR "</Bucket><ReplicationTime><Status>Enabled"
		"</Status><Time><Minutes>15</Minutes></Time></ReplicationTime></Destination>"
		"</Rule>"),
	     S3E_NotImplemented, "ReplicationTime"},
	    {RC("<Rule>" ST "<Destination><Bucket>" DR "</Bucket><Metrics><Status>Enabled</Status>"
		"</Metrics></Destination></Rule>"),
	     S3E_NotImplemented, "Metrics"},
	    /* ... but a body invalid elsewhere reports that first */
	    {RC("<Rule>" ST "<Destination><Bucket>" DR "</Bucket><Metrics/></Destination></Rule>"
		"<Rule>" ST "<Bogus/>" DEST(DR) "</Rule>"),
	     S3E_MalformedXML, MALFORMED},
	    {RC(V2("a", "1", "<Filter/>", DMR_OFF "<SourceSelectionCriteria/>")
		    V2("a", "2", "<Filter/>", DMR_OFF)),
	     S3E_InvalidArgument, "ID"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rr_config c = {"", 0, NULL};
		const char *msg = NULL;
		s3err_t err = parse(cases[i].body, &c, &msg);

		if (err != cases[i].err || !msg || !strstr(msg, cases[i].msg))
			fail_msg("case %zu: got %s (%s), want %s (%s)", i, s3err_code(err),
				 msg ? msg : "(null)", s3err_code(cases[i].err), cases[i].msg);
		assert_null(c.rules); /* outputs untouched on error */
	}
}

/* n V2 rules over 8 destinations of site dr, priorities 0..n-1, into b (reset first). */
static void many_rules(struct buf *b, size_t n)
{
	size_t i;

	buf_reset(b);
	assert_int_equal(buf_adds(b, RC_OPEN ROLE), S3E_OK);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_addf(b,
					  "<Rule><Priority>%zu</Priority><Filter/>" ST
					  "<Destination><Bucket>arn:aws:s3:dr::bkt%zu</Bucket>"
					  "</Destination>" DMR_OFF "</Rule>",
					  i, i % 8),
				 S3E_OK);
	assert_int_equal(buf_adds(b, RC_CLOSE), S3E_OK);
}

static void test_limits(void **state)
{
	struct rr_config c;
	const char *msg;
	struct buf b;
	char id[300];
	size_t i;

	(void)state;
	/* ID of 255 bytes is fine, 256 is not. */
	memset(id, 'i', 256);
	id[256] = '\0';
	buf_init(&b, 1 << 20, S3E_InternalError);
	assert_int_equal(
	    buf_addf(&b, RC_OPEN ROLE "<Rule><ID>%s</ID>" ST DEST(DR) "</Rule>" RC_CLOSE, id + 1),
	    S3E_OK);
	assert_int_equal(parse(buf_str(&b), &c, &msg), S3E_OK);
	rr_config_free(&c);
	buf_reset(&b);
	assert_int_equal(
	    buf_addf(&b, RC_OPEN ROLE "<Rule><ID>%s</ID>" ST DEST(DR) "</Rule>" RC_CLOSE, id),
	    S3E_OK);
	assert_int_equal(parse(buf_str(&b), &c, &msg), S3E_InvalidArgument);
	assert_string_equal(msg, "ID length should not exceed allowed limit of 255");

	/* 1000 rules parse, 1001 do not; 9 destinations are too many, 8 are fine. */
	many_rules(&b, RR_MAX_RULES);
	assert_int_equal(parse(buf_str(&b), &c, &msg), S3E_OK);
	assert_int_equal(c.nrules, RR_MAX_RULES);
	rr_config_free(&c);
	many_rules(&b, RR_MAX_RULES + 1);
	assert_int_equal(parse(buf_str(&b), &c, &msg), S3E_MalformedXML);
	buf_reset(&b);
	assert_int_equal(buf_addf(&b, "%s", RC_OPEN ROLE), S3E_OK);
	for (i = 0; i < 9; i++)
		assert_int_equal(buf_addf(&b,
					  "<Rule><Priority>%zu</Priority><Filter/>" ST
					  "<Destination><Bucket>arn:aws:s3:%s::bkt%zu</Bucket>"
					  "</Destination>" DMR_OFF "</Rule>",
					  i, i % 2 ? "dr" : "west", i),
				 S3E_OK);
	assert_int_equal(buf_addf(&b, "%s", RC_CLOSE), S3E_OK);
	assert_int_equal(parse(buf_str(&b), &c, &msg), S3E_InvalidRequest);
	assert_non_null(strstr(msg, "at most 8"));
	buf_free(&b);
}

static void test_hostile(void **state)
{
	static const char *const bodies[] = {
	    "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	    "<ReplicationConfiguration><Role>&x;</Role></ReplicationConfiguration>",
	    "<?xml version=\"1.0\"?><!DOCTYPE r SYSTEM \"http://127.0.0.1:1/x.dtd\">"
	    "<ReplicationConfiguration/>",
	    RC("<Rule>" ST "<Destination><Bucket>&undefined;</Bucket></Destination></Rule>"),
	};
	struct rr_config c;
	const char *msg;
	size_t i;
	char *big;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		assert_int_equal(parse(bodies[i], &c, &msg), S3E_MalformedXML);
	assert_int_equal(xml_fixture_external_loads(), 0);
	big = calloc(1, RR_MAX_XML + 2);
	assert_non_null(big);
	memset(big, ' ', RR_MAX_XML + 1);
	assert_int_equal(rr_parse(big, RR_MAX_XML + 1, fake_site, NULL, &c, &msg),
			 S3E_MaxMessageLengthExceeded);
	free(big);
}

/* ---- matching ---- */

static void test_match(void **state)
{
	/* Two destinations; on dr, rules of priorities 1 (all, deletes), 5 (logs/, no deletes),
	 * a tag rule of priority 9 (matches nothing) and a disabled rule of priority 8. */
	static const char body[] =
	    RC(V2("all", "1", "<Filter/>", DMR_ON) V2(
		"logs", "5", "<Filter><Prefix>logs/</Prefix></Filter>",
		DMR_OFF) "<Rule><ID>tag</ID><Priority>9</Priority><Filter><Tag><Key>k</Key><Value>v"
			 "</Value></Tag></Filter>" ST DEST(DR) DMR_OFF
	       "</Rule>"
	       "<Rule><ID>off</ID><Priority>8</Priority><Filter/><Status>Disabled</Status>" DEST(DR)
		   DMR_ON
	       "</Rule>"
	       "<Rule><ID>w</ID><Priority>2</Priority><Filter><Prefix>logs/x</Prefix></Filter>" ST
	       "<Destination><Bucket>arn:aws:s3:west::bkt</Bucket><StorageClass>GLACIER"
	       "</StorageClass></Destination>" DMR_ON "</Rule>");
	static const struct {
		const char *key;
		bool is_delete;
		const char *want; /* winning rule IDs, comma-joined */
	} cases[] = {
	    {"a", false, "all"},   {"a", true, "all"},		 {"logs/1", false, "logs"},
	    {"logs/1", true, ""},  {"logs/x1", false, "logs,w"}, {"logs/x1", true, "w"},
	    {"log", false, "all"}, {"", false, "all"},
	};
	const struct rr_rule *out[RR_MAX_DESTINATIONS];
	struct rr_config c;
	const char *msg;
	size_t i, j, n;

	(void)state;
	assert_int_equal(parse(body, &c, &msg), S3E_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[64] = "";

		n = rr_match(&c, cases[i].key, cases[i].is_delete, out, RR_MAX_DESTINATIONS);
		for (j = 0; j < n; j++) {
			if (j)
				strcat(got, ",");
			strcat(got, out[j]->id);
		}
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("key %s delete %d: got %s, want %s", cases[i].key,
				 cases[i].is_delete, got, cases[i].want);
	}
	n = rr_match(&c, "logs/x1", false, out, RR_MAX_DESTINATIONS);
	assert_int_equal(n, 2);
	assert_string_equal(out[1]->site, "west");
	assert_string_equal(out[1]->storage_class, "GLACIER");
	assert_int_equal(rr_match(&c, "logs/x1", false, out, 1), 1); /* max respected */
	assert_int_equal(rr_match(NULL, "a", false, out, RR_MAX_DESTINATIONS), 0);
	rr_config_free(&c);

	/* V1: every delete follows; a tag-less rule matches by prefix only. */
	assert_int_equal(parse(RC("<Rule><Prefix>p</Prefix>" ST DEST(DR) "</Rule>"), &c, &msg),
			 S3E_OK);
	assert_int_equal(rr_match(&c, "p1", true, out, RR_MAX_DESTINATIONS), 1);
	assert_int_equal(rr_match(&c, "q", false, out, RR_MAX_DESTINATIONS), 0);
	rr_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_valid_shapes, setup),
	    cmocka_unit_test_setup(test_parsed_fields, setup),
	    cmocka_unit_test_setup(test_sites, setup),
	    cmocka_unit_test_setup(test_site_from_config, setup),
	    cmocka_unit_test_setup(test_errors, setup),
	    cmocka_unit_test_setup(test_limits, setup),
	    cmocka_unit_test_setup(test_hostile, setup),
	    cmocka_unit_test_setup(test_match, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
