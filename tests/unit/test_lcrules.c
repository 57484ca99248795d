/*
 * test_lcrules: LifecycleConfiguration bodies, valid and hostile.
 *
 * Every valid body is parsed, written back with lc_to_xml (compared with the
 * exact canonical text, so the element order of AWS's
 * GetBucketLifecycleConfiguration is pinned) and parsed again into an equal
 * configuration. Invalid bodies are a table of the S3 error and message a
 * client sees. Plus: the versioning actions' fields, the size cap, DOCTYPE and entity
 * attacks, the rule count limit, the exact body boto3 sends, class ranks.
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
#include "../../common/lcrules.h"
#include "../../common/s3err.h"

#define NS "http://s3.amazonaws.com/doc/2006-03-01/"
#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define LC_OPEN "<LifecycleConfiguration xmlns=\"" NS "\">"
#define LC_CLOSE "</LifecycleConfiguration>"
/* A body around rules, and the canonical document around canonical rules. */
#define LC(rules) LC_OPEN rules LC_CLOSE
#define CANON(rules) DECL LC_OPEN rules LC_CLOSE

#define ST "<Status>Enabled</Status>"
#define EMPTY_F "<Filter></Filter>"
#define EXP1 "<Expiration><Days>1</Days></Expiration>"
#define TR(days, cls)                                                                              \
	"<Transition><Days>" days "</Days><StorageClass>" cls "</StorageClass></Transition>"
#define TRD(date, cls)                                                                             \
	"<Transition><Date>" date "</Date><StorageClass>" cls "</StorageClass></Transition>"

#define MALFORMED                                                                                  \
	"The XML you provided was not well-formed or did not validate against our published "      \
	"schema"

static s3err_t parse(const char *body, struct lc_config *c, const char **msg)
{
	*msg = NULL;
	return lc_parse(body, strlen(body), c, msg);
}

/* ---- equality, field by field (padding bytes are never compared) ---- */

static void assert_when_equal(const struct lc_when *a, const struct lc_when *b)
{
	assert_int_equal(a->has_days, b->has_days);
	assert_int_equal(a->has_date, b->has_date);
	if (a->has_days)
		assert_int_equal(a->days, b->days);
	if (a->has_date)
		assert_int_equal(a->date_ms, b->date_ms);
}

static void assert_nc_equal(const struct lc_noncurrent *a, const struct lc_noncurrent *b)
{
	assert_int_equal(a->days, b->days);
	assert_int_equal(a->has_newer, b->has_newer);
	if (a->has_newer)
		assert_int_equal(a->newer, b->newer);
	assert_string_equal(a->storage_class, b->storage_class);
}

static void assert_rule_equal(const struct lc_rule *a, const struct lc_rule *b)
{
	size_t i;

	assert_string_equal(a->id, b->id);
	assert_int_equal(a->enabled, b->enabled);
	assert_int_equal(a->form, b->form);
	assert_string_equal(a->filter.prefix, b->filter.prefix);
	assert_int_equal(a->filter.ntags, b->filter.ntags);
	for (i = 0; i < a->filter.ntags; i++) {
		assert_string_equal(a->filter.tags[i].key, b->filter.tags[i].key);
		assert_string_equal(a->filter.tags[i].value, b->filter.tags[i].value);
	}
	assert_int_equal(a->filter.has_size_gt, b->filter.has_size_gt);
	assert_int_equal(a->filter.size_gt, b->filter.size_gt);
	assert_int_equal(a->filter.has_size_lt, b->filter.has_size_lt);
	assert_int_equal(a->filter.size_lt, b->filter.size_lt);
	assert_int_equal(a->ntransitions, b->ntransitions);
	for (i = 0; i < a->ntransitions; i++) {
		assert_when_equal(&a->transitions[i].when, &b->transitions[i].when);
		assert_string_equal(a->transitions[i].storage_class,
				    b->transitions[i].storage_class);
	}
	assert_int_equal(a->has_expiration, b->has_expiration);
	if (a->has_expiration)
		assert_when_equal(&a->expiration, &b->expiration);
	assert_int_equal(a->has_abort_mpu, b->has_abort_mpu);
	assert_int_equal(a->abort_mpu_days, b->abort_mpu_days);
	assert_int_equal(a->nnc_transitions, b->nnc_transitions);
	for (i = 0; i < a->nnc_transitions; i++)
		assert_nc_equal(&a->nc_transitions[i], &b->nc_transitions[i]);
	assert_int_equal(a->has_nc_expiration, b->has_nc_expiration);
	if (a->has_nc_expiration)
		assert_nc_equal(&a->nc_expiration, &b->nc_expiration);
	assert_int_equal(a->has_marker_flag, b->has_marker_flag);
	assert_int_equal(a->expired_marker, b->expired_marker);
}

static void assert_config_equal(const struct lc_config *a, const struct lc_config *b)
{
	size_t i;

	assert_int_equal(a->nrules, b->nrules);
	for (i = 0; i < a->nrules; i++)
		assert_rule_equal(&a->rules[i], &b->rules[i]);
}

/*
 * lc_to_xml(c) equals canonical (unless NULL) and parses back to c: the
 * round trip GET -> engine relies on.
 */
static void assert_round_trip(const struct lc_config *c, const char *canonical)
{
	struct lc_config again = {0, NULL};
	const char *msg = NULL;
	struct buf b;

	buf_init(&b, 4u * LC_MAX_XML, S3E_MaxMessageLengthExceeded);
	assert_int_equal(lc_to_xml(c, &b), S3E_OK);
	if (canonical)
		assert_string_equal(buf_str(&b), canonical);
	assert_int_equal(lc_parse(buf_str(&b), b.len, &again, &msg), S3E_OK);
	assert_config_equal(c, &again);
	lc_config_free(&again);
	buf_free(&b);
}

/* ---- valid bodies: every form, each round-tripping ---- */

static const struct {
	const char *name;
	const char *body;
	const char *canonical; /* exact lc_to_xml output */
} valid_cases[] = {
    {"legacy prefix",
     LC("<Rule><ID>a</ID><Prefix>logs/</Prefix>" ST "<Expiration><Days>30</Days></Expiration>"
	"</Rule>"),
     CANON("<Rule><ID>a</ID><Prefix>logs/</Prefix>" ST
	   "<Expiration><Days>30</Days></Expiration></Rule>")},
    {"legacy empty prefix", LC("<Rule><Prefix></Prefix>" ST EXP1 "</Rule>"),
     CANON("<Rule><Prefix></Prefix>" ST EXP1 "</Rule>")},
    {"legacy self-closed prefix", LC("<Rule><Prefix/>" ST EXP1 "</Rule>"),
     CANON("<Rule><Prefix></Prefix>" ST EXP1 "</Rule>")},
    {"empty filter, self-closed", LC("<Rule><Filter/>" ST EXP1 "</Rule>"),
     CANON("<Rule>" EMPTY_F ST EXP1 "</Rule>")},
    {"empty filter with blanks and a comment",
     LC("<Rule><Filter>\n  <!-- all -->\n</Filter>" ST EXP1 "</Rule>"),
     CANON("<Rule>" EMPTY_F ST EXP1 "</Rule>")},
    {"filter prefix, elements in client order",
     LC("<Rule>" EXP1 ST "<Filter><Prefix>p/</Prefix></Filter><ID>x</ID></Rule>"),
     CANON("<Rule><ID>x</ID><Filter><Prefix>p/</Prefix></Filter>" ST EXP1 "</Rule>")},
    {"filter with an empty prefix (terraform)",
     LC("<Rule><Filter><Prefix></Prefix></Filter>" ST EXP1 "</Rule>"),
     CANON("<Rule><Filter><Prefix></Prefix></Filter>" ST EXP1 "</Rule>")},
    {"filter tag",
     LC("<Rule><Filter><Tag><Value>v</Value><Key>k</Key></Tag></Filter>" ST EXP1 "</Rule>"),
     CANON("<Rule><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>" ST EXP1 "</Rule>")},
    {"filter tag with an empty value",
     LC("<Rule><Filter><Tag><Key>k</Key><Value/></Tag></Filter>" ST EXP1 "</Rule>"),
     CANON("<Rule><Filter><Tag><Key>k</Key><Value></Value></Tag></Filter>" ST EXP1 "</Rule>")},
    {"filter size greater than 0",
     LC("<Rule><Filter><ObjectSizeGreaterThan>0</ObjectSizeGreaterThan></Filter>" ST EXP1
	"</Rule>"),
     CANON("<Rule><Filter><ObjectSizeGreaterThan>0</ObjectSizeGreaterThan></Filter>" ST EXP1
	   "</Rule>")},
    {"filter size less than, largest long",
     LC("<Rule><Filter><ObjectSizeLessThan>9223372036854775807</ObjectSizeLessThan></Filter>" ST
	    EXP1 "</Rule>"),
     CANON("<Rule><Filter><ObjectSizeLessThan>9223372036854775807</ObjectSizeLessThan></Filter>" ST
	       EXP1 "</Rule>")},
    {"and with everything, shuffled",
     LC("<Rule><Filter><And><ObjectSizeLessThan>500</ObjectSizeLessThan>"
	"<Tag><Key>a</Key><Value>1</Value></Tag><Prefix>dicom/</Prefix>"
	"<Tag><Key>b</Key><Value>2</Value></Tag>"
	"<ObjectSizeGreaterThan>100</ObjectSizeGreaterThan></And></Filter>" ST EXP1 "</Rule>"),
     CANON("<Rule><Filter><And><Prefix>dicom/</Prefix><Tag><Key>a</Key><Value>1</Value></Tag>"
	   "<Tag><Key>b</Key><Value>2</Value></Tag>"
	   "<ObjectSizeGreaterThan>100</ObjectSizeGreaterThan>"
	   "<ObjectSizeLessThan>500</ObjectSizeLessThan></And></Filter>" ST EXP1 "</Rule>")},
    {"and with two tags",
     LC("<Rule><Filter><And><Tag><Key>a</Key><Value>1</Value></Tag>"
	"<Tag><Key>b</Key><Value>2</Value></Tag></And></Filter>" ST EXP1 "</Rule>"),
     CANON("<Rule><Filter><And><Tag><Key>a</Key><Value>1</Value></Tag>"
	   "<Tag><Key>b</Key><Value>2</Value></Tag></And></Filter>" ST EXP1 "</Rule>")},
    {"and with a prefix and a size",
     LC("<Rule><Filter><And><Prefix>a</Prefix><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan>"
	"</And></Filter>" ST EXP1 "</Rule>"),
     CANON("<Rule><Filter><And><Prefix>a</Prefix><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan>"
	   "</And></Filter>" ST EXP1 "</Rule>")},
    {"and with an empty prefix only",
     LC("<Rule><Filter><And><Prefix></Prefix></And></Filter>" ST EXP1 "</Rule>"),
     CANON("<Rule><Filter><And><Prefix></Prefix></And></Filter>" ST EXP1 "</Rule>")},
    {"and with ten tags",
     LC("<Rule><Filter><And><Tag><Key>0</Key><Value/></Tag><Tag><Key>1</Key><Value/></Tag>"
	"<Tag><Key>2</Key><Value/></Tag><Tag><Key>3</Key><Value/></Tag>"
	"<Tag><Key>4</Key><Value/></Tag><Tag><Key>5</Key><Value/></Tag>"
	"<Tag><Key>6</Key><Value/></Tag><Tag><Key>7</Key><Value/></Tag>"
	"<Tag><Key>8</Key><Value/></Tag><Tag><Key>9</Key><Value/></Tag></And></Filter>" ST EXP1
	"</Rule>"),
     CANON("<Rule><Filter><And><Tag><Key>0</Key><Value></Value></Tag>"
	   "<Tag><Key>1</Key><Value></Value></Tag><Tag><Key>2</Key><Value></Value></Tag>"
	   "<Tag><Key>3</Key><Value></Value></Tag><Tag><Key>4</Key><Value></Value></Tag>"
	   "<Tag><Key>5</Key><Value></Value></Tag><Tag><Key>6</Key><Value></Value></Tag>"
	   "<Tag><Key>7</Key><Value></Value></Tag><Tag><Key>8</Key><Value></Value></Tag>"
	   "<Tag><Key>9</Key><Value></Value></Tag></And></Filter>" ST EXP1 "</Rule>")},
    {"six transitions by days, expiration after",
     LC("<Rule>" EMPTY_F ST TR("30", "STANDARD_IA") TR("60", "INTELLIGENT_TIERING")
	    TR("61", "ONEZONE_IA") TR("90", "GLACIER_IR") TR("180", "GLACIER")
		TR("365", "DEEP_ARCHIVE") "<Expiration><Days>3650</Days></Expiration></Rule>"),
     CANON("<Rule>" EMPTY_F ST TR("30", "STANDARD_IA") TR("60", "INTELLIGENT_TIERING")
	       TR("61", "ONEZONE_IA") TR("90", "GLACIER_IR") TR("180", "GLACIER")
		   TR("365", "DEEP_ARCHIVE") "<Expiration><Days>3650</Days></Expiration></Rule>")},
    {"transitions in any document order, day 0, short days (no 30-day minimum)",
     LC("<Rule>" EMPTY_F ST TR("2", "DEEP_ARCHIVE") TR("0", "STANDARD_IA")
	    TR("1", "GLACIER") "</Rule>"),
     CANON("<Rule>" EMPTY_F ST TR("2", "DEEP_ARCHIVE") TR("0", "STANDARD_IA")
	       TR("1", "GLACIER") "</Rule>")},
    {"transitions and expiration by date",
     LC("<Rule>" EMPTY_F ST TRD("2030-01-01T00:00:00Z", "GLACIER") TRD(
	 "2031-01-01T00:00:00.000Z", "DEEP_ARCHIVE") "<Expiration><Date>2032-02-29T00:00:00."
						     "000000000Z</Date></Expiration></Rule>"),
     CANON("<Rule>" EMPTY_F ST TRD("2030-01-01T00:00:00.000Z", "GLACIER") TRD(
	 "2031-01-01T00:00:00.000Z",
	 "DEEP_ARCHIVE") "<Expiration><Date>2032-02-29T00:00:00.000Z</Date></Expiration></Rule>")},
    {"expiration date before 1970",
     LC("<Rule>" EMPTY_F ST "<Expiration><Date>1969-12-31T00:00:00Z</Date></Expiration></Rule>"),
     CANON("<Rule>" EMPTY_F ST
	   "<Expiration><Date>1969-12-31T00:00:00.000Z</Date></Expiration></Rule>")},
    {"abort multipart uploads only",
     LC("<Rule>" EMPTY_F ST "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7"
	"</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"),
     CANON("<Rule>" EMPTY_F ST "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7"
	   "</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>")},
    {"abort with a size filter",
     LC("<Rule><Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></Filter>" ST
	"<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
	"</AbortIncompleteMultipartUpload></Rule>"),
     CANON("<Rule><Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></Filter>" ST
	   "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
	   "</AbortIncompleteMultipartUpload></Rule>")},
    {"every action in one rule",
     LC("<Rule><ID>all</ID><Filter><Prefix>x</Prefix></Filter>" ST TR(
	 "10", "GLACIER") "<Expiration><Days>20</Days></Expiration><AbortIncompleteMultipartUpload>"
			  "<DaysAfterInitiation>3</DaysAfterInitiation></"
			  "AbortIncompleteMultipartUpload></Rule>"),
     CANON("<Rule><ID>all</ID><Filter><Prefix>x</Prefix></Filter>" ST TR(
	 "10",
	 "GLACIER") "<Expiration><Days>20</Days></Expiration><AbortIncompleteMultipartUpload>"
		    "<DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
		    "</Rule>")},
    {"disabled", LC("<Rule><Filter/><Status>Disabled</Status>" EXP1 "</Rule>"),
     CANON("<Rule>" EMPTY_F "<Status>Disabled</Status>" EXP1 "</Rule>")},
    {"rules without ID, and an empty ID",
     LC("<Rule><Filter/>" ST EXP1 "</Rule><Rule><ID></ID><Filter/>" ST EXP1 "</Rule>"),
     CANON("<Rule>" EMPTY_F ST EXP1 "</Rule><Rule>" EMPTY_F ST EXP1 "</Rule>")},
    {"no namespace",
     "<LifecycleConfiguration><Rule><Filter/>" ST EXP1 "</Rule></LifecycleConfiguration>",
     CANON("<Rule>" EMPTY_F ST EXP1 "</Rule>")},
    {"prefixed S3 namespace",
     "<s3:LifecycleConfiguration xmlns:s3=\"" NS "\"><s3:Rule><s3:Filter/><s3:Status>Enabled"
     "</s3:Status><s3:Expiration><s3:Days>1</s3:Days></s3:Expiration></s3:Rule>"
     "</s3:LifecycleConfiguration>",
     CANON("<Rule>" EMPTY_F ST EXP1 "</Rule>")},
    {"pretty-printed, blanks around words and numbers",
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
     "<LifecycleConfiguration xmlns=\"" NS "\">\n"
     "  <Rule>\n    <ID>r</ID>\n    <Filter>\n      <Prefix>a/</Prefix>\n    </Filter>\n"
     "    <Status> Enabled\n</Status>\n    <Transition>\n      <Days> 007 </Days>\n"
     "      <StorageClass>\tGLACIER </StorageClass>\n    </Transition>\n"
     "    <Expiration><Days>\n400\n</Days></Expiration>\n"
     "  </Rule>\n</LifecycleConfiguration>\n",
     CANON("<Rule><ID>r</ID><Filter><Prefix>a/</Prefix></Filter>" ST TR(
	 "7", "GLACIER") "<Expiration><Days>400</Days></Expiration></Rule>")},
    {"prefix, tag and ID kept byte for byte",
     LC("<Rule><ID> a&amp;b </ID><Filter><And><Prefix> x\"'&lt;&gt;&#13;\n\t</Prefix>"
	"<Tag><Key>caf\xc3\xa9</Key><Value><![CDATA[<v>]]></Value></Tag></And></Filter>" ST EXP1
	"</Rule>"),
     CANON(
	 "<Rule><ID> a&amp;b </ID><Filter><And><Prefix> x&quot;&apos;&lt;&gt;&#xD;&#xA;&#x9;"
	 "</Prefix><Tag><Key>caf\xc3\xa9</Key><Value>&lt;v&gt;</Value></Tag></And></Filter>" ST EXP1
	 "</Rule>")},
    {"largest days",
     LC("<Rule>" EMPTY_F ST "<Expiration><Days>2147483647</Days></Expiration></Rule>"),
     CANON("<Rule>" EMPTY_F ST "<Expiration><Days>2147483647</Days></Expiration></Rule>")},
    /* Versioning actions (issue 12), in botocore's member order once written. */
    {"noncurrent expiration with newer versions",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionExpiration><NewerNoncurrentVersions>1"
	"</NewerNoncurrentVersions><NoncurrentDays>1</NoncurrentDays>"
	"</NoncurrentVersionExpiration></Rule>"),
     CANON("<Rule>" EMPTY_F ST "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
	   "<NewerNoncurrentVersions>1</NewerNoncurrentVersions>"
	   "</NoncurrentVersionExpiration></Rule>")},
    {"noncurrent transitions then expiration",
     LC("<Rule><ID>r</ID><Prefix>test1/</Prefix>" ST "<NoncurrentVersionExpiration>"
	"<NoncurrentDays>9</NoncurrentDays></NoncurrentVersionExpiration>"
	"<NoncurrentVersionTransition><StorageClass>GLACIER</StorageClass><NoncurrentDays>5"
	"</NoncurrentDays><NewerNoncurrentVersions>100</NewerNoncurrentVersions>"
	"</NoncurrentVersionTransition><NoncurrentVersionTransition><NoncurrentDays>0"
	"</NoncurrentDays><StorageClass>STANDARD_IA</StorageClass>"
	"</NoncurrentVersionTransition></Rule>"),
     CANON("<Rule><ID>r</ID><Prefix>test1/</Prefix>" ST
	   "<NoncurrentVersionTransition><NoncurrentDays>5</NoncurrentDays><StorageClass>GLACIER"
	   "</StorageClass><NewerNoncurrentVersions>100</NewerNoncurrentVersions>"
	   "</NoncurrentVersionTransition><NoncurrentVersionTransition><NoncurrentDays>0"
	   "</NoncurrentDays><StorageClass>STANDARD_IA</StorageClass>"
	   "</NoncurrentVersionTransition><NoncurrentVersionExpiration><NoncurrentDays>9"
	   "</NoncurrentDays></NoncurrentVersionExpiration></Rule>")},
    /* s3tests test_lifecycle_set_empty_filter */
    {"expired object delete marker",
     LC("<Rule><ID>rule1</ID><Expiration><ExpiredObjectDeleteMarker>true"
	"</ExpiredObjectDeleteMarker></Expiration><Filter />" ST "</Rule>"),
     CANON("<Rule><ID>rule1</ID>" EMPTY_F ST "<Expiration><ExpiredObjectDeleteMarker>true"
	   "</ExpiredObjectDeleteMarker></Expiration></Rule>")},
    {"delete marker false beside noncurrent expiration and transitions",
     LC("<Rule><Filter><Prefix>foo</Prefix></Filter>" ST TR(
	 "30", "GLACIER") "<Expiration><ExpiredObjectDeleteMarker>false</"
			  "ExpiredObjectDeleteMarker></Expiration>"
			  "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
			  "</NoncurrentVersionExpiration></Rule>"),
     CANON("<Rule><Filter><Prefix>foo</Prefix></Filter>" ST TR(
	 "30",
	 "GLACIER") "<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker>"
		    "</Expiration><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
		    "</NoncurrentVersionExpiration></Rule>")},
};

static void test_valid_bodies_round_trip(void **state)
{
	struct lc_config c;
	const char *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		print_message("valid: %s\n", valid_cases[i].name);
		assert_int_equal(parse(valid_cases[i].body, &c, &msg), S3E_OK);
		assert_null(msg);
		assert_round_trip(&c, valid_cases[i].canonical);
		lc_config_free(&c);
	}
}

static const char *valid_body(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		if (strcmp(valid_cases[i].name, name) == 0)
			return valid_cases[i].body;
	}
	fail_msg("no valid case %s", name);
	return NULL;
}

/* What the parser read, for the forms the canonical text alone does not show. */
static void test_valid_fields(void **state)
{
	struct lc_config c;
	const char *msg;

	(void)state;
	assert_int_equal(parse(valid_body("legacy prefix"), &c, &msg), S3E_OK);
	assert_int_equal(c.nrules, 1);
	assert_int_equal(c.rules[0].form, LC_FORM_LEGACY_PREFIX);
	assert_string_equal(c.rules[0].filter.prefix, "logs/");
	assert_true(c.rules[0].enabled);
	assert_true(c.rules[0].has_expiration);
	assert_true(c.rules[0].expiration.has_days);
	assert_false(c.rules[0].expiration.has_date);
	assert_int_equal(c.rules[0].expiration.days, 30);
	lc_config_free(&c);

	assert_int_equal(
	    parse(LC("<Rule><Filter><Prefix></Prefix></Filter>" ST EXP1 "</Rule>"), &c, &msg),
	    S3E_OK);
	assert_int_equal(c.rules[0].form, LC_FORM_SINGLE);
	assert_string_equal(c.rules[0].filter.prefix, "");
	lc_config_free(&c);

	assert_int_equal(parse(LC("<Rule><Filter/><Status>Disabled</Status>" TRD(
				   "2030-01-01T00:00:00Z", "GLACIER") "</Rule>"),
			       &c, &msg),
			 S3E_OK);
	assert_int_equal(c.rules[0].form, LC_FORM_EMPTY);
	assert_false(c.rules[0].enabled);
	assert_int_equal(c.rules[0].ntransitions, 1);
	assert_true(c.rules[0].transitions[0].when.has_date);
	assert_false(c.rules[0].transitions[0].when.has_days);
	assert_int_equal(c.rules[0].transitions[0].when.date_ms, 1893456000000LL);
	assert_false(c.rules[0].has_expiration);
	lc_config_free(&c);

	assert_int_equal(parse(valid_body("and with everything, shuffled"), &c, &msg), S3E_OK);
	assert_int_equal(c.rules[0].form, LC_FORM_AND);
	assert_string_equal(c.rules[0].filter.prefix, "dicom/");
	assert_int_equal(c.rules[0].filter.ntags, 2);
	assert_string_equal(c.rules[0].filter.tags[1].key, "b");
	assert_string_equal(c.rules[0].filter.tags[1].value, "2");
	assert_true(c.rules[0].filter.has_size_gt);
	assert_int_equal(c.rules[0].filter.size_gt, 100);
	assert_true(c.rules[0].filter.has_size_lt);
	assert_int_equal(c.rules[0].filter.size_lt, 500);
	lc_config_free(&c);
}

/* ---- the exact body boto3 sends ---- */

/*
 * boto3 1.x put_bucket_lifecycle_configuration(Bucket=..., LifecycleConfiguration={"Rules": [
 *   {"ID": "dicom-archive", "Filter": {"Prefix": "dicom/"}, "Status": "Enabled",
 *    "Transitions": [{"Days": 90, "StorageClass": "GLACIER"},
 *                    {"Days": 365, "StorageClass": "DEEP_ARCHIVE"}]},
 *   {"ID": "temp-expire", "Filter": {"Prefix": "temp/"}, "Status": "Enabled",
 *    "Expiration": {"Days": 7}},
 *   {"ID": "abort-mpu", "Filter": {}, "Status": "Enabled",
 *    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}]})
 * as botocore's rest-xml serializer writes it (note "<Filter />").
 */
static const char boto3_dicom[] =
    "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Rule><ID>dicom-archive</ID><Filter><Prefix>dicom/</Prefix></Filter>"
    "<Status>Enabled</Status><Transition><Days>90</Days><StorageClass>GLACIER</StorageClass>"
    "</Transition><Transition><Days>365</Days><StorageClass>DEEP_ARCHIVE</StorageClass>"
    "</Transition></Rule>"
    "<Rule><ID>temp-expire</ID><Filter><Prefix>temp/</Prefix></Filter>"
    "<Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule>"
    "<Rule><ID>abort-mpu</ID><Filter /><Status>Enabled</Status>"
    "<AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation>"
    "</AbortIncompleteMultipartUpload></Rule>"
    "</LifecycleConfiguration>";

static const char boto3_dicom_canonical[] = CANON(
    "<Rule><ID>dicom-archive</ID><Filter><Prefix>dicom/</Prefix></Filter>" ST TR("90", "GLACIER")
	TR("365",
	   "DEEP_ARCHIVE") "</Rule>"
			   "<Rule><ID>temp-expire</ID><Filter><Prefix>temp/</Prefix></Filter>" ST
			   "<Expiration><Days>7</Days></Expiration></Rule>"
			   "<Rule><ID>abort-mpu</ID>" EMPTY_F ST "<AbortIncompleteMultipartUpload>"
			   "<DaysAfterInitiation>2</DaysAfterInitiation></"
			   "AbortIncompleteMultipartUpload></Rule>");

static void test_boto3_dicom_config(void **state)
{
	struct lc_config c;
	const struct lc_rule *r;
	const char *msg;

	(void)state;
	assert_int_equal(parse(boto3_dicom, &c, &msg), S3E_OK);
	assert_int_equal(c.nrules, 3);

	r = &c.rules[0];
	assert_string_equal(r->id, "dicom-archive");
	assert_true(r->enabled);
	assert_int_equal(r->form, LC_FORM_SINGLE);
	assert_string_equal(r->filter.prefix, "dicom/");
	assert_int_equal(r->filter.ntags, 0);
	assert_false(r->filter.has_size_gt || r->filter.has_size_lt);
	assert_int_equal(r->ntransitions, 2);
	assert_true(r->transitions[0].when.has_days);
	assert_int_equal(r->transitions[0].when.days, 90);
	assert_string_equal(r->transitions[0].storage_class, "GLACIER");
	assert_true(r->transitions[1].when.has_days);
	assert_int_equal(r->transitions[1].when.days, 365);
	assert_string_equal(r->transitions[1].storage_class, "DEEP_ARCHIVE");
	assert_false(r->has_expiration);
	assert_false(r->has_abort_mpu);

	r = &c.rules[1];
	assert_string_equal(r->id, "temp-expire");
	assert_int_equal(r->form, LC_FORM_SINGLE);
	assert_string_equal(r->filter.prefix, "temp/");
	assert_int_equal(r->ntransitions, 0);
	assert_true(r->has_expiration);
	assert_true(r->expiration.has_days);
	assert_int_equal(r->expiration.days, 7);
	assert_false(r->has_abort_mpu);

	r = &c.rules[2];
	assert_string_equal(r->id, "abort-mpu");
	assert_int_equal(r->form, LC_FORM_EMPTY);
	assert_string_equal(r->filter.prefix, "");
	assert_int_equal(r->ntransitions, 0);
	assert_false(r->has_expiration);
	assert_true(r->has_abort_mpu);
	assert_int_equal(r->abort_mpu_days, 2);

	/* What GetBucketLifecycleConfiguration then returns. */
	assert_round_trip(&c, boto3_dicom_canonical);
	lc_config_free(&c);
}

/* ---- invalid bodies: the error and message a client sees ---- */

static const struct {
	const char *name;
	const char *body;
	s3err_t err;
	const char *msg; /* exact *message */
} invalid_cases[] = {
    /* Document shape. */
    {"empty body", "", S3E_MalformedXML, MALFORMED},
    {"not XML", "lifecycle", S3E_MalformedXML, MALFORMED},
    {"truncated", LC_OPEN "<Rule>", S3E_MalformedXML, MALFORMED},
    {"wrong root", "<Lifecycle><Rule/></Lifecycle>", S3E_MalformedXML, MALFORMED},
    {"foreign namespace",
     "<LifecycleConfiguration xmlns=\"urn:x\"><Rule><Filter/>" ST EXP1
     "</Rule></LifecycleConfiguration>",
     S3E_MalformedXML, MALFORMED},
    {"no rule", LC(""), S3E_MalformedXML, MALFORMED},
    {"unknown element beside rules", LC("<Rule><Filter/>" ST EXP1 "</Rule><Rules/>"),
     S3E_MalformedXML, MALFORMED},
    {"text beside rules", LC("x<Rule><Filter/>" ST EXP1 "</Rule>"), S3E_MalformedXML, MALFORMED},
    {"unknown element in a rule", LC("<Rule><Filter/>" ST EXP1 "<Foo/></Rule>"), S3E_MalformedXML,
     MALFORMED},
    {"ExpiredObjectDeleteMarker directly in a rule",
     LC("<Rule><Filter/>" ST EXP1 "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"
	"</Rule>"),
     S3E_MalformedXML, MALFORMED},
    /* Status (s3tests test_lifecycle_invalid_status). */
    {"no status", LC("<Rule><Filter/>" EXP1 "</Rule>"), S3E_MalformedXML, MALFORMED},
    {"status enabled", LC("<Rule><Filter/><Status>enabled</Status>" EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"status disabled", LC("<Rule><Filter/><Status>disabled</Status>" EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"status invalid", LC("<Rule><Filter/><Status>invalid</Status>" EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"status empty", LC("<Rule><Filter/><Status/>" EXP1 "</Rule>"), S3E_MalformedXML, MALFORMED},
    {"two statuses", LC("<Rule><Filter/>" ST ST EXP1 "</Rule>"), S3E_MalformedXML, MALFORMED},
    /* Filter / Prefix. */
    {"neither filter nor prefix", LC("<Rule>" ST EXP1 "</Rule>"), S3E_MalformedXML, MALFORMED},
    {"filter and prefix", LC("<Rule><Filter/><Prefix>a</Prefix>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"prefix and filter", LC("<Rule><Prefix>a</Prefix><Filter/>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"two filters", LC("<Rule><Filter/><Filter/>" ST EXP1 "</Rule>"), S3E_MalformedXML, MALFORMED},
    {"two legacy prefixes", LC("<Rule><Prefix>a</Prefix><Prefix>b</Prefix>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"prefix and tag without and",
     LC("<Rule><Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter>" ST EXP1
	"</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"both sizes without and",
     LC("<Rule><Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan><ObjectSizeLessThan>9"
	"</ObjectSizeLessThan></Filter>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"two tags without and",
     LC("<Rule><Filter><Tag><Key>a</Key><Value/></Tag><Tag><Key>b</Key><Value/></Tag></Filter>" ST
	    EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"two prefixes in a filter",
     LC("<Rule><Filter><Prefix>a</Prefix><Prefix>b</Prefix></Filter>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"and beside a prefix",
     LC("<Rule><Filter><Prefix>a</Prefix><And><Prefix>b</Prefix></And></Filter>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"two ands",
     LC("<Rule><Filter><And><Prefix>a</Prefix></And><And><Prefix>b</Prefix></And></Filter>" ST EXP1
	"</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"empty and", LC("<Rule><Filter><And/></Filter>" ST EXP1 "</Rule>"), S3E_MalformedXML,
     MALFORMED},
    {"and in and",
     LC("<Rule><Filter><And><And><Prefix>a</Prefix></And></And></Filter>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"two prefixes in and",
     LC("<Rule><Filter><And><Prefix>a</Prefix><Prefix>b</Prefix></And></Filter>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"unknown element in a filter",
     LC("<Rule><Filter><Suffix>a</Suffix></Filter>" ST EXP1 "</Rule>"), S3E_MalformedXML,
     MALFORMED},
    {"text in a filter", LC("<Rule><Filter>logs/</Filter>" ST EXP1 "</Rule>"), S3E_MalformedXML,
     MALFORMED},
    {"element in a prefix", LC("<Rule><Filter><Prefix><b/></Prefix></Filter>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    /* Tags. */
    {"tag without value", LC("<Rule><Filter><Tag><Key>k</Key></Tag></Filter>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"tag without key", LC("<Rule><Filter><Tag><Value>v</Value></Tag></Filter>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"tag with two keys",
     LC("<Rule><Filter><Tag><Key>k</Key><Key>l</Key><Value/></Tag></Filter>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"tag with an empty key",
     LC("<Rule><Filter><Tag><Key/><Value>v</Value></Tag></Filter>" ST EXP1 "</Rule>"),
     S3E_InvalidArgument, "The TagKey you have provided is invalid"},
    {"repeated tag key",
     LC("<Rule><Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2"
	"</Value></Tag></And></Filter>" ST EXP1 "</Rule>"),
     S3E_InvalidRequest, "Duplicate Tag Keys are not allowed."},
    {"eleven tags",
     LC("<Rule><Filter><And><Tag><Key>0</Key><Value/></Tag><Tag><Key>1</Key><Value/></Tag>"
	"<Tag><Key>2</Key><Value/></Tag><Tag><Key>3</Key><Value/></Tag>"
	"<Tag><Key>4</Key><Value/></Tag><Tag><Key>5</Key><Value/></Tag>"
	"<Tag><Key>6</Key><Value/></Tag><Tag><Key>7</Key><Value/></Tag>"
	"<Tag><Key>8</Key><Value/></Tag><Tag><Key>9</Key><Value/></Tag>"
	"<Tag><Key>10</Key><Value/></Tag></And></Filter>" ST EXP1 "</Rule>"),
     S3E_InvalidArgument, "A lifecycle rule filter can have at most 10 tags"},
    /* Sizes. */
    {"greater equals less",
     LC("<Rule><Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan>"
	"<ObjectSizeLessThan>10</ObjectSizeLessThan></And></Filter>" ST EXP1 "</Rule>"),
     S3E_InvalidArgument, "ObjectSizeGreaterThan must be less than ObjectSizeLessThan"},
    {"greater above less",
     LC("<Rule><Filter><And><ObjectSizeLessThan>10</ObjectSizeLessThan>"
	"<ObjectSizeGreaterThan>11</ObjectSizeGreaterThan></And></Filter>" ST EXP1 "</Rule>"),
     S3E_InvalidArgument, "ObjectSizeGreaterThan must be less than ObjectSizeLessThan"},
    {"less than zero bytes",
     LC("<Rule><Filter><ObjectSizeLessThan>0</ObjectSizeLessThan></Filter>" ST EXP1 "</Rule>"),
     S3E_InvalidArgument, "'ObjectSizeLessThan' must be a positive integer"},
    {"negative size",
     LC("<Rule><Filter><ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan></Filter>" ST EXP1
	"</Rule>"),
     S3E_InvalidArgument, "Object size filters must be non-negative integers"},
    {"size not a number",
     LC("<Rule><Filter><ObjectSizeGreaterThan>1k</ObjectSizeGreaterThan></Filter>" ST EXP1
	"</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"size beyond a long",
     LC("<Rule><Filter><ObjectSizeLessThan>9223372036854775808</ObjectSizeLessThan></Filter>" ST
	    EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    /* IDs. */
    {"same ID (s3tests test_lifecycle_same_id)",
     LC("<Rule><ID>rule1</ID><Prefix>test1/</Prefix>" ST EXP1 "</Rule>"
	"<Rule><ID>rule1</ID><Prefix>test2/</Prefix>" ST EXP1 "</Rule>"),
     S3E_InvalidArgument, "Rule ID must be unique. Found same ID for more than one rule"},
    {"two IDs in a rule", LC("<Rule><ID>a</ID><ID>b</ID><Filter/>" ST EXP1 "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    /* Actions. */
    {"no action", LC("<Rule><Filter/>" ST "</Rule>"), S3E_InvalidRequest,
     "At least one action needs to be specified in a rule"},
    {"expiration days 0 (s3tests test_lifecycle_expiration_days0)",
     LC("<Rule><Prefix>days0/</Prefix>" ST "<Expiration><Days>0</Days></Expiration></Rule>"),
     S3E_InvalidArgument, "'Days' for Expiration action must be a positive integer"},
    {"expiration days -1",
     LC("<Rule><Filter/>" ST "<Expiration><Days>-1</Days></Expiration></Rule>"),
     S3E_InvalidArgument, "'Days' for Expiration action must be a positive integer"},
    {"expiration days beyond an int",
     LC("<Rule><Filter/>" ST "<Expiration><Days>2147483648</Days></Expiration></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"expiration days 1.5",
     LC("<Rule><Filter/>" ST "<Expiration><Days>1.5</Days></Expiration></Rule>"), S3E_MalformedXML,
     MALFORMED},
    {"expiration days +1",
     LC("<Rule><Filter/>" ST "<Expiration><Days>+1</Days></Expiration></Rule>"), S3E_MalformedXML,
     MALFORMED},
    {"expiration days empty", LC("<Rule><Filter/>" ST "<Expiration><Days/></Expiration></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"expiration days and date",
     LC("<Rule><Filter/>" ST "<Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date>"
	"</Expiration></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"empty expiration", LC("<Rule><Filter/>" ST "<Expiration/></Rule>"), S3E_MalformedXML,
     MALFORMED},
    {"two expirations", LC("<Rule><Filter/>" ST EXP1 EXP1 "</Rule>"), S3E_MalformedXML, MALFORMED},
    /* Versioning actions (issue 12). */
    {"noncurrent expiration days 0",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays>"
	"</NoncurrentVersionExpiration></Rule>"),
     S3E_InvalidArgument,
     "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"},
    {"noncurrent transition days negative",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionTransition><NoncurrentDays>-1</NoncurrentDays>"
	"<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition></Rule>"),
     S3E_InvalidArgument,
     "'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative"},
    {"noncurrent expiration without days",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionExpiration><NewerNoncurrentVersions>2"
	"</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"noncurrent transition without class",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays>"
	"</NoncurrentVersionTransition></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"noncurrent expiration with a class",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
	"<StorageClass>GLACIER</StorageClass></NoncurrentVersionExpiration></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"noncurrent transition to STANDARD",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays>"
	"<StorageClass>STANDARD</StorageClass></NoncurrentVersionTransition></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"two noncurrent expirations",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
	"</NoncurrentVersionExpiration><NoncurrentVersionExpiration><NoncurrentDays>2"
	"</NoncurrentDays></NoncurrentVersionExpiration></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"newer noncurrent versions 0",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
	"<NewerNoncurrentVersions>0</NewerNoncurrentVersions></NoncurrentVersionExpiration>"
	"</Rule>"),
     S3E_InvalidArgument,
     "'NewerNoncurrentVersions' must be a positive integer no greater than 100"},
    {"newer noncurrent versions 101",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays>"
	"<StorageClass>GLACIER</StorageClass><NewerNoncurrentVersions>101"
	"</NewerNoncurrentVersions></NoncurrentVersionTransition></Rule>"),
     S3E_InvalidArgument,
     "'NewerNoncurrentVersions' must be a positive integer no greater than 100"},
    {"noncurrent transitions to one class",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays>"
	"<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>"
	"<NoncurrentVersionTransition><NoncurrentDays>2</NoncurrentDays>"
	"<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition></Rule>"),
     S3E_InvalidRequest,
     "'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same 'Rule'"},
    {"colder noncurrent transition earlier",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionTransition><NoncurrentDays>5</NoncurrentDays>"
	"<StorageClass>STANDARD_IA</StorageClass></NoncurrentVersionTransition>"
	"<NoncurrentVersionTransition><NoncurrentDays>5</NoncurrentDays>"
	"<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition></Rule>"),
     S3E_InvalidArgument,
     "'NoncurrentDays' in the NoncurrentVersionTransition action for a colder StorageClass "
     "must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action for a "
     "warmer StorageClass"},
    {"noncurrent expiration not after its transitions",
     LC("<Rule><Filter/>" ST "<NoncurrentVersionTransition><NoncurrentDays>5</NoncurrentDays>"
	"<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>"
	"<NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays>"
	"</NoncurrentVersionExpiration></Rule>"),
     S3E_InvalidArgument,
     "'NoncurrentDays' in the NoncurrentVersionExpiration action must be greater than "
     "'NoncurrentDays' in the NoncurrentVersionTransition action"},
    {"delete marker not a boolean",
     LC("<Rule><Filter/>" ST "<Expiration><ExpiredObjectDeleteMarker>maybe"
	"</ExpiredObjectDeleteMarker></Expiration></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"delete marker with date",
     LC("<Rule><Filter/>" ST "<Expiration><ExpiredObjectDeleteMarker>true"
	"</ExpiredObjectDeleteMarker><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"delete marker with days",
     LC("<Rule><Filter/>" ST "<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true"
	"</ExpiredObjectDeleteMarker></Expiration></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"date at noon",
     LC("<Rule><Filter/>" ST "<Expiration><Date>2030-01-01T12:00:00Z</Date></Expiration></Rule>"),
     S3E_InvalidArgument, "'Date' must be at midnight GMT"},
    {"date half a second past midnight",
     LC("<Rule><Filter/>" ST "<Expiration><Date>2030-01-01T00:00:00.5Z</Date></Expiration>"
	"</Rule>"),
     S3E_InvalidArgument, "'Date' must be at midnight GMT"},
    {"date of s3tests test_lifecycle_set_invalid_date, as botocore sends it",
     LC("<Rule><ID>rule1</ID><Expiration><Date>1970-08-22T19:08:21Z</Date></Expiration>"
	"<Prefix>test1/</Prefix>" ST "</Rule>"),
     S3E_InvalidArgument, "'Date' must be at midnight GMT"},
    {"date not ISO 8601",
     LC("<Rule><Filter/>" ST "<Expiration><Date>20200101</Date></Expiration></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"date without time",
     LC("<Rule><Filter/>" ST "<Expiration><Date>2030-01-01</Date></Expiration></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"date February 30th",
     LC("<Rule><Filter/>" ST "<Expiration><Date>2030-02-30T00:00:00Z</Date></Expiration></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"transition without class",
     LC("<Rule><Filter/>" ST "<Transition><Days>1</Days></Transition></Rule>"), S3E_MalformedXML,
     MALFORMED},
    {"transition to STANDARD", LC("<Rule><Filter/>" ST TR("1", "STANDARD") "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"transition to a lowercase class", LC("<Rule><Filter/>" ST TR("1", "glacier") "</Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"transition to REDUCED_REDUNDANCY",
     LC("<Rule><Filter/>" ST TR("1", "REDUCED_REDUNDANCY") "</Rule>"), S3E_MalformedXML, MALFORMED},
    {"transition with days and date",
     LC("<Rule><Filter/>" ST "<Transition><Days>1</Days><Date>2030-01-01T00:00:00Z</Date>"
	"<StorageClass>GLACIER</StorageClass></Transition></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"transition with neither days nor date",
     LC("<Rule><Filter/>" ST "<Transition><StorageClass>GLACIER</StorageClass></Transition>"
	"</Rule>"),
     S3E_InvalidArgument, "'Transition' action must specify either 'Days' or 'Date'"},
    {"transition days -1", LC("<Rule><Filter/>" ST TR("-1", "GLACIER") "</Rule>"),
     S3E_InvalidArgument, "'Days' in Transition action must be nonnegative"},
    {"transitions by days and by date",
     LC("<Rule><Filter/>" ST TR("30", "GLACIER")
	    TRD("2030-01-01T00:00:00Z", "DEEP_ARCHIVE") "</Rule>"),
     S3E_InvalidRequest,
     "Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule"},
    {"two transitions to one class",
     LC("<Rule><Filter/>" ST TR("30", "GLACIER") TR("60", "GLACIER") "</Rule>"), S3E_InvalidRequest,
     "'StorageClass' must be different for 'Transition' actions in same 'Rule'"},
    {"colder class earlier",
     LC("<Rule><Filter/>" ST TR("90", "GLACIER") TR("120", "STANDARD_IA") "</Rule>"),
     S3E_InvalidArgument,
     "'Days' in the Transition action for a colder StorageClass must be greater than 'Days' in "
     "the Transition action for a warmer StorageClass"},
    {"colder class on the same day",
     LC("<Rule><Filter/>" ST TR("30", "GLACIER_IR") TR("30", "GLACIER") "</Rule>"),
     S3E_InvalidArgument,
     "'Days' in the Transition action for a colder StorageClass must be greater than 'Days' in "
     "the Transition action for a warmer StorageClass"},
    {"colder class on an earlier date",
     LC("<Rule><Filter/>" ST TRD("2031-01-01T00:00:00Z", "GLACIER")
	    TRD("2030-01-01T00:00:00Z", "DEEP_ARCHIVE") "</Rule>"),
     S3E_InvalidArgument,
     "'Date' in the Transition action for a colder StorageClass must be greater than 'Date' in "
     "the Transition action for a warmer StorageClass"},
    {"nine transitions",
     LC("<Rule><Filter/>" ST TR("1", "STANDARD_IA") TR("2", "INTELLIGENT_TIERING")
	    TR("3", "ONEZONE_IA") TR("4", "GLACIER_IR") TR("5", "GLACIER") TR("6", "DEEP_ARCHIVE")
		TR("7", "GLACIER") TR("8", "GLACIER") TR("9", "GLACIER") "</Rule>"),
     S3E_InvalidRequest,
     "'StorageClass' must be different for 'Transition' actions in same 'Rule'"},
    {"expiration on the day of a transition",
     LC("<Rule><Filter/>" ST TR("30", "GLACIER") "<Expiration><Days>30</Days></Expiration>"
						 "</Rule>"),
     S3E_InvalidArgument,
     "'Days' in the Expiration action must be greater than 'Days' in the Transition action"},
    {"expiration before the last transition",
     LC("<Rule><Filter/>" ST TR("30", "GLACIER")
	    TR("365", "DEEP_ARCHIVE") "<Expiration><Days>100</Days></Expiration></Rule>"),
     S3E_InvalidArgument,
     "'Days' in the Expiration action must be greater than 'Days' in the Transition action"},
    {"expiration date on a transition date",
     LC("<Rule><Filter/>" ST TRD(
	 "2030-01-01T00:00:00Z",
	 "GLACIER") "<Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>"),
     S3E_InvalidArgument,
     "'Date' in the Expiration action must be greater than 'Date' in the Transition action"},
    {"expiration by days, transition by date",
     LC("<Rule><Filter/>" ST TRD("2030-01-01T00:00:00Z",
				 "GLACIER") "<Expiration><Days>3650</Days></Expiration></Rule>"),
     S3E_InvalidRequest,
     "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule"},
    {"expiration by date, transition by days",
     LC("<Rule><Filter/>" ST TR(
	 "30", "GLACIER") "<Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>"),
     S3E_InvalidRequest,
     "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule"},
    {"abort after 0 days",
     LC("<Rule><Filter/>" ST "<AbortIncompleteMultipartUpload><DaysAfterInitiation>0"
	"</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"),
     S3E_InvalidArgument,
     "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive "
     "integer"},
    {"empty abort", LC("<Rule><Filter/>" ST "<AbortIncompleteMultipartUpload/></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"abort with two days",
     LC("<Rule><Filter/>" ST "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1"
	"</DaysAfterInitiation><DaysAfterInitiation>2</DaysAfterInitiation>"
	"</AbortIncompleteMultipartUpload></Rule>"),
     S3E_MalformedXML, MALFORMED},
    {"abort with a tag filter",
     LC("<Rule><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>" ST
	"<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
	"</AbortIncompleteMultipartUpload></Rule>"),
     S3E_InvalidRequest,
     "Tag-based filter cannot be used with AbortIncompleteMultipartUpload action"},
    {"abort with tags in and",
     LC("<Rule><Filter><And><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And>"
	"</Filter>" ST EXP1 "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1"
	"</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"),
     S3E_InvalidRequest,
     "Tag-based filter cannot be used with AbortIncompleteMultipartUpload action"},
    /* The first error wins, in document order; a later valid rule does not hide it. */
    {"error in the second rule",
     LC("<Rule><Filter/>" ST EXP1 "</Rule><Rule><Filter/>" ST
	"<Expiration><Days>0</Days></Expiration></Rule>"),
     S3E_InvalidArgument, "'Days' for Expiration action must be a positive integer"},
};

static void test_invalid_bodies(void **state)
{
	struct lc_config c = {42, NULL};
	const char *body, *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
		body = invalid_cases[i].body;
		print_message("invalid: %s\n", invalid_cases[i].name);
		assert_int_equal(parse(body, &c, &msg), invalid_cases[i].err);
		assert_non_null(msg);
		assert_string_equal(msg, invalid_cases[i].msg);
		/* *out is written only on success. */
		assert_int_equal(c.nrules, 42);
		assert_null(c.rules);
	}
}

/* ---- length limits, at the limit and one past ---- */

static char *repeat(const char *unit, size_t n)
{
	size_t len = strlen(unit);
	char *s = malloc(len * n + 1);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

/* Parses fmt with s in place of its "%s" and expects err and msg; OK results round-trip. */
static void check_with(const char *fmt, const char *s, s3err_t err, const char *want_msg)
{
	const char *hole = strstr(fmt, "%s");
	size_t head, len;
	char *body;
	struct lc_config c;
	const char *msg;

	assert_non_null(hole);
	head = (size_t)(hole - fmt);
	len = strlen(s);
	body = malloc(strlen(fmt) - 2 + len + 1);
	assert_non_null(body);
	memcpy(body, fmt, head);
	memcpy(body + head, s, len);
	strcpy(body + head + len, hole + 2);
	assert_int_equal(parse(body, &c, &msg), err);
	if (err == S3E_OK) {
		assert_round_trip(&c, NULL);
		lc_config_free(&c);
	} else {
		assert_string_equal(msg, want_msg);
	}
	free(body);
}

static void test_length_limits(void **state)
{
	static const char id_fmt[] = LC("<Rule><ID>%s</ID><Filter/>" ST EXP1 "</Rule>");
	static const char prefix_fmt[] =
	    LC("<Rule><Filter><Prefix>%s</Prefix></Filter>" ST EXP1 "</Rule>");
	static const char legacy_fmt[] = LC("<Rule><Prefix>%s</Prefix>" ST EXP1 "</Rule>");
	static const char and_fmt[] = LC("<Rule><Filter><And><Prefix>%s</Prefix><Tag><Key>k</Key>"
					 "<Value/></Tag></And></Filter>" ST EXP1 "</Rule>");
	static const char key_fmt[] =
	    LC("<Rule><Filter><Tag><Key>%s</Key><Value/></Tag></Filter>" ST EXP1 "</Rule>");
	static const char value_fmt[] = LC("<Rule><Filter><Tag><Key>k</Key><Value>%s</Value></Tag>"
					   "</Filter>" ST EXP1 "</Rule>");
	static const char id_long[] = "ID length should not exceed allowed limit of 255";
	static const char prefix_long[] = "The maximum size of a prefix is 1024";
	char *s;

	(void)state;
	/* s3tests test_lifecycle_id_too_long: 256 x 'a'. */
	s = repeat("a", 255);
	check_with(id_fmt, s, S3E_OK, NULL);
	free(s);
	s = repeat("a", 256);
	check_with(id_fmt, s, S3E_InvalidArgument, id_long);
	free(s);
	/* Lengths are bytes: 128 two-byte characters are 256 bytes. */
	s = repeat("\xc3\xa9", 128);
	check_with(id_fmt, s, S3E_InvalidArgument, id_long);
	free(s);

	s = repeat("p", 1024);
	check_with(prefix_fmt, s, S3E_OK, NULL);
	check_with(legacy_fmt, s, S3E_OK, NULL);
	check_with(and_fmt, s, S3E_OK, NULL);
	free(s);
	s = repeat("p", 1025);
	check_with(prefix_fmt, s, S3E_InvalidArgument, prefix_long);
	check_with(legacy_fmt, s, S3E_InvalidArgument, prefix_long);
	check_with(and_fmt, s, S3E_InvalidArgument, prefix_long);
	free(s);

	s = repeat("k", 128);
	check_with(key_fmt, s, S3E_OK, NULL);
	free(s);
	s = repeat("k", 129);
	check_with(key_fmt, s, S3E_InvalidArgument, "The TagKey you have provided is invalid");
	free(s);
	s = repeat("v", 256);
	check_with(value_fmt, s, S3E_OK, NULL);
	free(s);
	s = repeat("v", 257);
	check_with(value_fmt, s, S3E_InvalidArgument, "The TagValue you have provided is invalid");
	free(s);
}

/* ---- versioning actions ---- */

/* What the parser read from the versioning actions (the canonical text is in valid_cases). */
static void test_versioning_fields(void **state)
{
	const struct lc_rule *r;
	struct lc_config c;
	const char *msg;

	(void)state;
	assert_int_equal(parse(valid_body("noncurrent transitions then expiration"), &c, &msg),
			 S3E_OK);
	r = &c.rules[0];
	assert_int_equal(r->nnc_transitions, 2);
	assert_int_equal(r->nc_transitions[0].days, 5);
	assert_string_equal(r->nc_transitions[0].storage_class, "GLACIER");
	assert_true(r->nc_transitions[0].has_newer);
	assert_int_equal(r->nc_transitions[0].newer, 100);
	assert_int_equal(r->nc_transitions[1].days, 0);
	assert_false(r->nc_transitions[1].has_newer);
	assert_true(r->has_nc_expiration);
	assert_int_equal(r->nc_expiration.days, 9);
	assert_string_equal(r->nc_expiration.storage_class, "");
	assert_false(r->has_expiration);
	assert_false(r->has_marker_flag);
	lc_config_free(&c);

	assert_int_equal(parse(valid_body("expired object delete marker"), &c, &msg), S3E_OK);
	assert_true(c.rules[0].has_marker_flag);
	assert_true(c.rules[0].expired_marker);
	assert_false(c.rules[0].has_expiration); /* the flag is not an expiration of objects */
	lc_config_free(&c);

	assert_int_equal(parse(valid_body("delete marker false beside noncurrent expiration and "
					  "transitions"),
			       &c, &msg),
			 S3E_OK);
	assert_true(c.rules[0].has_marker_flag);
	assert_false(c.rules[0].expired_marker);
	assert_true(c.rules[0].has_nc_expiration);
	assert_false(c.rules[0].nc_expiration.has_newer);
	lc_config_free(&c);

	/* A body with another error gets that error (no Status). */
	assert_int_equal(parse(LC("<Rule><Filter/><NoncurrentVersionExpiration><NoncurrentDays>1"
				  "</NoncurrentDays></NoncurrentVersionExpiration></Rule>"),
			       &c, &msg),
			 S3E_MalformedXML);
}

/* ---- size cap ---- */

/* A valid body of exactly len bytes (a comment pads it). */
static char *padded_body(size_t len)
{
	static const char head[] = LC_OPEN "<Rule><Filter/>" ST EXP1 "</Rule><!--";
	static const char tail[] = "-->" LC_CLOSE;
	char *s = malloc(len + 1);

	assert_non_null(s);
	assert_true(len > sizeof(head) + sizeof(tail));
	memcpy(s, head, sizeof(head) - 1);
	memset(s + sizeof(head) - 1, 'x', len - (sizeof(head) - 1) - (sizeof(tail) - 1));
	memcpy(s + len - (sizeof(tail) - 1), tail, sizeof(tail));
	assert_int_equal(strlen(s), len);
	return s;
}

static void test_size_cap(void **state)
{
	struct lc_config c = {42, NULL};
	const char *msg = NULL;
	char *body;

	(void)state;
	body = padded_body(LC_MAX_XML);
	assert_int_equal(lc_parse(body, LC_MAX_XML, &c, &msg), S3E_OK);
	assert_int_equal(c.nrules, 1);
	lc_config_free(&c);
	free(body);

	c.nrules = 42;
	body = padded_body(LC_MAX_XML + 1);
	assert_int_equal(lc_parse(body, LC_MAX_XML + 1, &c, &msg), S3E_MaxMessageLengthExceeded);
	assert_string_equal(msg, s3err_message(S3E_MaxMessageLengthExceeded));
	assert_int_equal(c.nrules, 42);
	free(body);
}

/*
 * A body under the cap whose canonical form is over it ("'" is written as
 * "&apos;") is refused: otherwise the engine could not parse back what the
 * gateway stored.
 */
static void test_canonical_form_fits(void **state)
{
	struct buf body;
	struct lc_config c = {42, NULL};
	const char *msg = NULL;
	char *quotes = repeat("'", 1000);
	unsigned i;

	(void)state;
	buf_init(&body, LC_MAX_XML, S3E_MaxMessageLengthExceeded);
	assert_int_equal(buf_adds(&body, LC_OPEN), S3E_OK);
	for (i = 0; i < 100; i++)
		assert_int_equal(buf_addf(&body,
					  "<Rule><ID>%u</ID><Prefix>%s</Prefix>" ST EXP1 "</Rule>",
					  i, quotes),
				 S3E_OK);
	assert_int_equal(buf_adds(&body, LC_CLOSE), S3E_OK);
	assert_true(body.len < LC_MAX_XML);
	assert_int_equal(lc_parse(buf_str(&body), body.len, &c, &msg),
			 S3E_MaxMessageLengthExceeded);
	assert_string_equal(msg, "The lifecycle configuration exceeds 524288 bytes as "
				 "GetBucketLifecycleConfiguration returns it");
	assert_int_equal(c.nrules, 42);
	buf_free(&body);
	free(quotes);
}

/* ---- hostile XML ---- */

static void test_doctype_and_entities(void **state)
{
	static const char *const bodies[] = {
	    /* billion laughs */
	    "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
	    "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
	    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
	    "<LifecycleConfiguration><Rule><Filter><Prefix>&lol3;</Prefix></Filter>" ST EXP1
	    "</Rule></LifecycleConfiguration>",
	    /* XXE: a file's bytes as the prefix */
	    "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
	    "<LifecycleConfiguration><Rule><Filter><Prefix>&xxe;</Prefix></Filter>" ST EXP1
	    "</Rule></LifecycleConfiguration>",
	    /* XXE over the network, parameter entity */
	    "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY % p SYSTEM \"http://127.0.0.1:9/x\"> "
	    "%p;]>"
	    "<LifecycleConfiguration><Rule><Filter/>" ST EXP1 "</Rule></LifecycleConfiguration>",
	    /* external DTD */
	    "<?xml version=\"1.0\"?><!DOCTYPE LifecycleConfiguration SYSTEM "
	    "\"http://127.0.0.1:9/d\">"
	    "<LifecycleConfiguration><Rule><Filter/>" ST EXP1 "</Rule></LifecycleConfiguration>",
	    /* empty internal subset: any DOCTYPE is refused */
	    "<!DOCTYPE LifecycleConfiguration []>"
	    "<LifecycleConfiguration><Rule><Filter/>" ST EXP1 "</Rule></LifecycleConfiguration>",
	    /* undeclared entity */
	    LC("<Rule><Filter><Prefix>&foo;</Prefix></Filter>" ST EXP1 "</Rule>"),
	};
	struct lc_config c;
	const char *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		assert_int_equal(parse(bodies[i], &c, &msg), S3E_MalformedXML);
		assert_string_equal(msg, MALFORMED);
	}
	assert_int_equal(xml_fixture_external_loads(), 0);
}

/* ---- rule count ---- */

/* n rules with IDs r0..r(n-1); rule `dup` (if < n) takes rule 0's ID. */
static void build_rules(struct buf *b, unsigned n, unsigned dup)
{
	unsigned i;

	buf_init(b, LC_MAX_XML, S3E_MaxMessageLengthExceeded);
	assert_int_equal(buf_adds(b, LC_OPEN), S3E_OK);
	for (i = 0; i < n; i++)
		assert_int_equal(
		    buf_addf(b,
			     "<Rule><ID>r%u</ID><Filter><Prefix>p%u/</Prefix></Filter>" ST
			     "<Expiration><Days>%u</Days></Expiration></Rule>",
			     i == dup ? 0 : i, i, i + 1),
		    S3E_OK);
	assert_int_equal(buf_adds(b, LC_CLOSE), S3E_OK);
}

static void test_rule_count(void **state)
{
	struct lc_config c = {42, NULL};
	const char *msg = NULL;
	struct buf b;

	(void)state;
	build_rules(&b, 1000, ~0u);
	assert_int_equal(lc_parse(buf_str(&b), b.len, &c, &msg), S3E_OK);
	assert_int_equal(c.nrules, 1000);
	assert_string_equal(c.rules[999].id, "r999");
	assert_string_equal(c.rules[999].filter.prefix, "p999/");
	assert_int_equal(c.rules[999].expiration.days, 1000);
	assert_round_trip(&c, NULL);
	lc_config_free(&c);
	buf_free(&b);

	c.nrules = 42;
	build_rules(&b, 1001, ~0u);
	assert_int_equal(lc_parse(buf_str(&b), b.len, &c, &msg), S3E_MalformedXML);
	assert_string_equal(msg, MALFORMED);
	assert_int_equal(c.nrules, 42);
	buf_free(&b);

	/* The last of 1000 rules repeats the first one's ID. */
	build_rules(&b, 1000, 999);
	assert_int_equal(lc_parse(buf_str(&b), b.len, &c, &msg), S3E_InvalidArgument);
	assert_string_equal(msg, "Rule ID must be unique. Found same ID for more than one rule");
	buf_free(&b);
}

/* ---- lc_to_xml on its own ---- */

/* A hand-built struct whose form does not match its conditions never loses a condition. */
static void test_to_xml_keeps_every_condition(void **state)
{
	static const struct {
		enum lc_filter_form form;
		const char *prefix;
		bool tag;
		const char *filter_xml;
		enum lc_filter_form parsed;
	} cases[] = {
	    {LC_FORM_EMPTY, "x", false, "<Filter><Prefix>x</Prefix></Filter>", LC_FORM_SINGLE},
	    {LC_FORM_SINGLE, "x", true,
	     "<Filter><And><Prefix>x</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></"
	     "Filter>",
	     LC_FORM_AND},
	    {LC_FORM_LEGACY_PREFIX, "x", true,
	     "<Filter><And><Prefix>x</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></"
	     "Filter>",
	     LC_FORM_AND},
	    {LC_FORM_AND, "", false, "<Filter><And><Prefix></Prefix></And></Filter>", LC_FORM_AND},
	};
	struct lc_rule *rule;
	struct lc_config c, back;
	const char *msg;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rule = calloc(1, sizeof(*rule));
		assert_non_null(rule);
		rule->enabled = true;
		rule->form = cases[i].form;
		strcpy(rule->filter.prefix, cases[i].prefix);
		if (cases[i].tag) {
			rule->filter.ntags = 1;
			strcpy(rule->filter.tags[0].key, "k");
			strcpy(rule->filter.tags[0].value, "v");
		}
		rule->has_expiration = true;
		rule->expiration.has_days = true;
		rule->expiration.days = 1;
		c.nrules = 1;
		c.rules = rule;
		buf_init(&b, LC_MAX_XML, S3E_MaxMessageLengthExceeded);
		assert_int_equal(lc_to_xml(&c, &b), S3E_OK);
		assert_non_null(strstr(buf_str(&b), cases[i].filter_xml));
		assert_int_equal(lc_parse(buf_str(&b), b.len, &back, &msg), S3E_OK);
		assert_int_equal(back.rules[0].form, cases[i].parsed);
		assert_string_equal(back.rules[0].filter.prefix, cases[i].prefix);
		assert_int_equal(back.rules[0].filter.ntags, cases[i].tag ? 1 : 0);
		lc_config_free(&back);
		buf_free(&b);
		free(rule);
	}
}

/* Over the buffer's cap: its error, and the buffer exactly as it was. */
static void test_to_xml_cap(void **state)
{
	struct lc_config c;
	const char *msg;
	struct buf b;

	(void)state;
	assert_int_equal(parse(boto3_dicom, &c, &msg), S3E_OK);
	buf_init(&b, 200, S3E_MaxMessageLengthExceeded);
	assert_int_equal(buf_adds(&b, "kept"), S3E_OK);
	assert_int_equal(lc_to_xml(&c, &b), S3E_MaxMessageLengthExceeded);
	assert_int_equal(b.len, 4);
	assert_string_equal(buf_str(&b), "kept");
	buf_free(&b);
	lc_config_free(&c);
}

static void test_config_free(void **state)
{
	struct lc_config c;
	const char *msg;

	(void)state;
	lc_config_free(NULL);
	assert_int_equal(parse(boto3_dicom, &c, &msg), S3E_OK);
	lc_config_free(&c);
	assert_int_equal(c.nrules, 0);
	assert_null(c.rules);
	lc_config_free(&c); /* twice is harmless */
}

/* ---- storage classes ---- */

static void test_class_rank(void **state)
{
	static const struct {
		const char *cls;
		int rank;
	} cases[] = {
	    {"", 0},
	    {"STANDARD", 0},
	    {"STANDARD_IA", 1},
	    {"INTELLIGENT_TIERING", 2},
	    {"ONEZONE_IA", 3},
	    {"GLACIER_IR", 4},
	    {"GLACIER", 5},
	    {"DEEP_ARCHIVE", 6},
	    {"REDUCED_REDUNDANCY", -1},
	    {"EXPRESS_ONEZONE", -1},
	    {"OUTPOSTS", -1},
	    {"glacier", -1},
	    {"GLACIER ", -1},
	    {"STANDARD_IA\n", -1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(lc_class_rank(cases[i].cls), cases[i].rank);
	assert_int_equal(lc_class_rank(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_valid_bodies_round_trip, xml_fixture_setup),
	    cmocka_unit_test_setup(test_valid_fields, xml_fixture_setup),
	    cmocka_unit_test_setup(test_boto3_dicom_config, xml_fixture_setup),
	    cmocka_unit_test_setup(test_invalid_bodies, xml_fixture_setup),
	    cmocka_unit_test_setup(test_length_limits, xml_fixture_setup),
	    cmocka_unit_test_setup(test_versioning_fields, xml_fixture_setup),
	    cmocka_unit_test_setup(test_size_cap, xml_fixture_setup),
	    cmocka_unit_test_setup(test_canonical_form_fits, xml_fixture_setup),
	    cmocka_unit_test_setup(test_doctype_and_entities, xml_fixture_setup),
	    cmocka_unit_test_setup(test_rule_count, xml_fixture_setup),
	    cmocka_unit_test_setup(test_to_xml_keeps_every_condition, xml_fixture_setup),
	    cmocka_unit_test_setup(test_to_xml_cap, xml_fixture_setup),
	    cmocka_unit_test_setup(test_config_free, xml_fixture_setup),
	    cmocka_unit_test_setup(test_class_rank, xml_fixture_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
