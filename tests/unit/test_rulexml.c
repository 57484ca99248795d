/*
 * test_rulexml: the pieces lifecycle and replication configurations share,
 * on their own: the Filter grammar with and without object sizes (a table
 * of bodies -> error, message, form), xs:int leaves, repeated IDs, and the
 * form a Filter is written in. The documents' own truth tables stay in
 * test_lcrules and test_replrules.
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
#include "../../common/rulexml.h"
#include "../../common/s3err.h"

#define TAG(k, v) "<Tag><Key>" k "</Key><Value>" v "</Value></Tag>"
#define TAGS5(d) TAG(d "0", "") TAG(d "1", "") TAG(d "2", "") TAG(d "3", "") TAG(d "4", "")
#define TAGS10 TAGS5("a") TAGS5("b")

static const struct rulexml_filter_spec sized = {
    .object_sizes = true,
    .tags_many = "many",
    .size_neg = "neg",
    .size_lt0 = "lt0",
    .size_range = "range",
};
static const struct rulexml_filter_spec plain = {.object_sizes = false, .tags_many = "many"};

/* Parses xml and runs f on its root element. */
static s3err_t with_root(const char *xml, s3err_t (*f)(const xmlNode *e, void *ctx), void *ctx)
{
	xmlDocPtr doc = NULL;
	s3err_t err = xmldoc_parse(xml, strlen(xml), 1 << 16, &doc);

	assert_int_equal(err, S3E_OK);
	err = f(xmlDocGetRootElement(doc), ctx);
	xmlFreeDoc(doc);
	return err;
}

struct filter_case {
	const char *xml;
	const struct rulexml_filter_spec *spec;
	s3err_t err;
	const char *msg; /* NULL: none recorded */
	enum rulexml_form form;
	size_t ntags;
};

struct filter_run {
	const struct filter_case *c;
	struct rulexml_filter f;
	const char *msg;
};

static s3err_t run_filter(const xmlNode *e, void *ctx)
{
	struct filter_run *r = ctx;

	return rulexml_parse_filter(e, r->c->spec, &r->f, &r->msg);
}

static void test_filter_table(void **state)
{
	static const struct filter_case cases[] = {
	    {"<Filter/>", &plain, S3E_OK, NULL, RULEXML_FORM_EMPTY, 0},
	    {"<Filter><Prefix></Prefix></Filter>", &plain, S3E_OK, NULL, RULEXML_FORM_SINGLE, 0},
	    {"<Filter>" TAG("k", "v") "</Filter>", &plain, S3E_OK, NULL, RULEXML_FORM_SINGLE, 1},
	    {"<Filter><And><Prefix>a</Prefix>" TAG("k", "v") TAG("j", "") "</And></Filter>", &plain,
	     S3E_OK, NULL, RULEXML_FORM_AND, 2},
	    {"<Filter><And>" TAGS10 "</And></Filter>", &plain, S3E_OK, NULL, RULEXML_FORM_AND, 10},
	    /* Grammar: MalformedXML. */
	    {"<Filter><Prefix>a</Prefix>" TAG("k", "v") "</Filter>", &plain, S3E_MalformedXML, NULL,
	     0, 0},
	    {"<Filter><And></And></Filter>", &plain, S3E_MalformedXML, NULL, 0, 0},
	    {"<Filter><And><And/></And></Filter>", &plain, S3E_MalformedXML, NULL, 0, 0},
	    {"<Filter><And><Prefix/><Prefix/></And></Filter>", &plain, S3E_MalformedXML, NULL, 0,
	     0},
	    {"<Filter>" TAG("k", "v") TAG("j", "v") "</Filter>", &plain, S3E_MalformedXML, NULL, 0,
	     0},
	    {"<Filter><Tag><Key>k</Key></Tag></Filter>", &plain, S3E_MalformedXML, NULL, 0, 0},
	    {"<Filter><ObjectSizeLessThan>5</ObjectSizeLessThan></Filter>", &plain,
	     S3E_MalformedXML, NULL, 0, 0},
	    /* A Tag after an And with tags is a second choice before its key is looked at. */
	    {"<Filter><And><Prefix/>" TAG("k", "") "</And>" TAG("k", "") "</Filter>", &plain,
	     S3E_MalformedXML, NULL, 0, 0},
	    /* Values: the shared texts, or the spec's. */
	    {"<Filter><And>" TAGS10 TAG("x", "") "</And></Filter>", &plain, S3E_InvalidArgument,
	     "many", 0, 0},
	    {"<Filter><And>" TAG("k", "") TAG("k", "") "</And></Filter>", &plain,
	     S3E_InvalidRequest, "Duplicate Tag Keys are not allowed.", 0, 0},
	    {"<Filter>" TAG("", "v") "</Filter>", &plain, S3E_InvalidArgument,
	     "The TagKey you have provided is invalid", 0, 0},
	    /* Object sizes (lifecycle only). */
	    {"<Filter><ObjectSizeLessThan>5</ObjectSizeLessThan></Filter>", &sized, S3E_OK, NULL,
	     RULEXML_FORM_SINGLE, 0},
	    {"<Filter><ObjectSizeLessThan>-1</ObjectSizeLessThan></Filter>", &sized,
	     S3E_InvalidArgument, "neg", 0, 0},
	    {"<Filter><ObjectSizeLessThan>0</ObjectSizeLessThan></Filter>", &sized,
	     S3E_InvalidArgument, "lt0", 0, 0},
	    {"<Filter><And><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan>"
	     "<ObjectSizeLessThan>5</ObjectSizeLessThan></And></Filter>",
	     &sized, S3E_InvalidArgument, "range", 0, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct filter_run r = {&cases[i], {0}, NULL};
		s3err_t err = with_root(cases[i].xml, run_filter, &r);

		if (err != cases[i].err)
			fail_msg("case %zu: %s: got %d", i, cases[i].xml, (int)err);
		if (cases[i].msg)
			assert_string_equal(r.msg, cases[i].msg);
		else
			assert_null(r.msg);
		if (err)
			continue;
		assert_int_equal(r.f.form, cases[i].form);
		assert_int_equal(r.f.ntags, cases[i].ntags);
	}
}

struct int_case {
	const char *xml;
	uint32_t min;
	s3err_t err;
	uint32_t v;
};

static s3err_t run_int(const xmlNode *e, void *ctx)
{
	const struct int_case *c = ctx;
	const char *msg = NULL;
	uint32_t v = 7;
	s3err_t err = rulexml_leaf_int32(e, c->min, "low", &v, &msg);

	if (err == S3E_InvalidArgument)
		assert_string_equal(msg, "low");
	else
		assert_null(msg);
	assert_int_equal(v, err ? 7 : c->v); /* written only on success */
	return err;
}

static void test_leaf_int32(void **state)
{
	static const struct int_case cases[] = {
	    {"<D> 5 </D>", 1, S3E_OK, 5},
	    {"<D>-0</D>", 0, S3E_OK, 0},
	    {"<D>2147483647</D>", 0, S3E_OK, 2147483647u},
	    {"<D>0</D>", 1, S3E_InvalidArgument, 0},
	    {"<D>-1</D>", 0, S3E_InvalidArgument, 0},
	    {"<D>-2147483648</D>", 0, S3E_InvalidArgument, 0},
	    {"<D>-2147483649</D>", 0, S3E_MalformedXML, 0},
	    {"<D>2147483648</D>", 0, S3E_MalformedXML, 0},
	    {"<D>1.5</D>", 0, S3E_MalformedXML, 0},
	    {"<D></D>", 0, S3E_MalformedXML, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (with_root(cases[i].xml, run_int, (void *)&cases[i]) != cases[i].err)
			fail_msg("case %zu: %s", i, cases[i].xml);
	}
}

static void test_has_repeat(void **state)
{
	const char *none[] = {"b", "a", "ab"};
	const char *two[] = {"x", "a", "b", "a"};

	(void)state;
	assert_false(rulexml_has_repeat(none, 3));
	assert_true(rulexml_has_repeat(two, 4));
	assert_false(rulexml_has_repeat(two, 0));
}

/* The conditions callback: one Tag stands for however many the case counts. */
static s3err_t write_conds(struct buf *b, const void *ctx)
{
	(void)ctx;
	return rulexml_write_tag(b, "k", "a<b");
}

/* A form too narrow for its conditions is raised, never written as a broader filter. */
static void test_write_filter_forms(void **state)
{
	static const char *const want[] = {
	    "<Filter></Filter>",
	    "<Filter><Tag><Key>k</Key><Value>a&lt;b</Value></Tag></Filter>",
	    "<Filter><And><Tag><Key>k</Key><Value>a&lt;b</Value></Tag></And></Filter>",
	};
	struct {
		enum rulexml_form form;
		size_t n;
		int want;
	} cases[] = {
	    {RULEXML_FORM_EMPTY, 0, 0},	 {RULEXML_FORM_EMPTY, 1, 1}, {RULEXML_FORM_SINGLE, 1, 1},
	    {RULEXML_FORM_SINGLE, 2, 2}, {RULEXML_FORM_EMPTY, 2, 2}, {RULEXML_FORM_AND, 1, 2},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;

		buf_init(&b, 4096, S3E_MaxMessageLengthExceeded);
		assert_int_equal(
		    rulexml_write_filter(&b, cases[i].form, cases[i].n, write_conds, NULL), S3E_OK);
		assert_string_equal(b.data, want[cases[i].want]);
		buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_filter_table, xml_fixture_setup),
	    cmocka_unit_test_setup(test_leaf_int32, xml_fixture_setup),
	    cmocka_unit_test(test_has_repeat),
	    cmocka_unit_test(test_write_filter_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
