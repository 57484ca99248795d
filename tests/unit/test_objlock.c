/*
 * Unit tests for common/objlock.c: ObjectLockConfiguration, Retention and
 * LegalHold bodies parsed into what AWS accepts and refused with the error
 * AWS answers (a table), rendered back and parsed again, the stored compact
 * form round-tripped, and the default retention's date.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/buf.h"
#include "../../common/objlock.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""
#define RULE(inner) "<Rule><DefaultRetention>" inner "</DefaultRetention></Rule>"
#define CFG(inner) "<ObjectLockConfiguration " NS ">" inner "</ObjectLockConfiguration>"
#define ENABLED "<ObjectLockEnabled>Enabled</ObjectLockEnabled>"

struct cfg_case {
	const char *xml;
	s3err_t err;
	int mode;
	uint32_t days, years;
};

static const struct cfg_case cfg_cases[] = {
    {CFG(ENABLED), S3E_OK, OBJLOCK_NONE, 0, 0},
    {CFG(ENABLED RULE("<Mode>GOVERNANCE</Mode><Days>30</Days>")), S3E_OK, OBJLOCK_GOVERNANCE, 30,
     0},
    {CFG(ENABLED RULE("<Mode>COMPLIANCE</Mode><Years>2</Years>")), S3E_OK, OBJLOCK_COMPLIANCE, 0,
     2},
    {CFG(RULE("<Years>1</Years><Mode>COMPLIANCE</Mode>") ENABLED), S3E_OK, OBJLOCK_COMPLIANCE, 0,
     1},
    /* AWS's answers (and Ceph's s3-tests'): */
    {CFG(ENABLED RULE("<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>")), S3E_MalformedXML,
     0, 0, 0},
    {CFG(ENABLED RULE("<Mode>GOVERNANCE</Mode>")), S3E_MalformedXML, 0, 0, 0},
    {CFG(ENABLED RULE("<Mode>abc</Mode><Days>1</Days>")), S3E_MalformedXML, 0, 0, 0},
    {CFG(ENABLED RULE("<Mode>governance</Mode><Days>1</Days>")), S3E_MalformedXML, 0, 0, 0},
    {CFG(ENABLED RULE("<Mode>GOVERNANCE</Mode><Days>0</Days>")), S3E_InvalidRetentionPeriod, 0, 0,
     0},
    {CFG(ENABLED RULE("<Mode>GOVERNANCE</Mode><Days>-1</Days>")), S3E_InvalidRetentionPeriod, 0, 0,
     0},
    {CFG(ENABLED RULE("<Mode>COMPLIANCE</Mode><Years>-1</Years>")), S3E_InvalidRetentionPeriod, 0,
     0, 0},
    {CFG(ENABLED RULE("<Mode>COMPLIANCE</Mode><Years>101</Years>")), S3E_InvalidRetentionPeriod, 0,
     0, 0},
    {CFG(ENABLED RULE("<Mode>COMPLIANCE</Mode><Days>x</Days>")), S3E_MalformedXML, 0, 0, 0},
    {CFG("<ObjectLockEnabled>Disabled</ObjectLockEnabled>"), S3E_MalformedXML, 0, 0, 0},
    {CFG(""), S3E_MalformedXML, 0, 0, 0},
    {CFG(ENABLED "<Rule></Rule>"), S3E_MalformedXML, 0, 0, 0},
    {CFG(ENABLED ENABLED), S3E_MalformedXML, 0, 0, 0},
    {CFG(ENABLED "<Other/>"), S3E_MalformedXML, 0, 0, 0},
    {"<Retention/>", S3E_MalformedXML, 0, 0, 0},
    {"not xml", S3E_MalformedXML, 0, 0, 0},
};

static void test_config_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cfg_cases); i++) {
		const struct cfg_case *c = &cfg_cases[i];
		struct objlock_cfg cfg = {9, 9, 9};
		s3err_t err = objlock_parse_config(c->xml, strlen(c->xml), &cfg);

		if (err != c->err)
			fail_msg("case %zu (%s): %d, want %d", i, c->xml, err, c->err);
		if (err)
			continue;
		assert_int_equal(cfg.mode, c->mode);
		assert_int_equal(cfg.days, c->days);
		assert_int_equal(cfg.years, c->years);
	}
}

/* Rendered, parsed again and stored compact: the same configuration each way. */
static void test_config_round_trip(void **state)
{
	static const struct objlock_cfg cfgs[] = {
	    {OBJLOCK_NONE, 0, 0},
	    {OBJLOCK_GOVERNANCE, 1, 0},
	    {OBJLOCK_COMPLIANCE, 0, 100},
	    {OBJLOCK_GOVERNANCE, 36500, 0},
	};
	char doc[OBJLOCK_DOC_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cfgs); i++) {
		struct objlock_cfg back;
		struct buf b;

		buf_init(&b, 4096, S3E_InternalError);
		assert_int_equal(objlock_render_config(&b, &cfgs[i]), S3E_OK);
		assert_int_equal(objlock_parse_config(buf_str(&b), b.len, &back), S3E_OK);
		assert_memory_equal(&back, &cfgs[i], sizeof(back));
		buf_free(&b);
		assert_int_equal(objlock_cfg_encode(&cfgs[i], doc), S3E_OK);
		memset(&back, 0x55, sizeof(back));
		assert_int_equal(objlock_cfg_decode(doc, strlen(doc), &back), S3E_OK);
		assert_memory_equal(&back, &cfgs[i], sizeof(back));
	}
	assert_string_equal((objlock_cfg_encode(&cfgs[1], doc), doc), "Enabled GOVERNANCE D 1");
}

static void test_config_decode_refuses(void **state)
{
	static const char *const bad[] = {
	    "",
	    "Disabled",
	    "Enabled ",
	    "Enabled GOVERNANCE",
	    "Enabled GOVERNANCE D",
	    "Enabled GOVERNANCE D 0",
	    "Enabled ABC D 1",
	    "Enabled COMPLIANCE Y 101",
	    "Enabled COMPLIANCE X 1",
	    "Enabled COMPLIANCE D 1x",
	};
	struct objlock_cfg cfg;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++)
		if (objlock_cfg_decode(bad[i], strlen(bad[i]), &cfg) != S3E_InternalError)
			fail_msg("decoded %s", bad[i]);
}

static void test_default_until(void **state)
{
	struct objlock_cfg days = {OBJLOCK_GOVERNANCE, 2, 0}, years = {OBJLOCK_COMPLIANCE, 0, 1},
			   none = {OBJLOCK_NONE, 0, 0};

	(void)state;
	assert_int_equal(objlock_default_until(&days, 1000), 1000 + 2 * 86400000LL);
	assert_int_equal(objlock_default_until(&years, 0), 365 * 86400000LL);
	assert_int_equal(objlock_default_until(&none, 1000), 0);
}

struct ret_case {
	const char *xml;
	s3err_t err;
	int mode;
	int64_t until_ms;
};

#define RET(inner) "<Retention " NS ">" inner "</Retention>"

static const struct ret_case ret_cases[] = {
    {RET("<Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-02T03:04:05Z</RetainUntilDate>"), S3E_OK,
     OBJLOCK_GOVERNANCE, 1893553445000LL},
    {RET("<Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-02T03:04:05.123Z</RetainUntilDate>"),
     S3E_OK, OBJLOCK_COMPLIANCE, 1893553445000LL},
    {RET(""), S3E_OK, OBJLOCK_NONE, 0},
    {RET("<Mode>GOVERNANCE</Mode>"), S3E_MalformedXML, 0, 0},
    {RET("<RetainUntilDate>2030-01-02T03:04:05Z</RetainUntilDate>"), S3E_MalformedXML, 0, 0},
    {RET("<Mode>abc</Mode><RetainUntilDate>2030-01-02T03:04:05Z</RetainUntilDate>"),
     S3E_MalformedXML, 0, 0},
    {RET("<Mode>GOVERNANCE</Mode><RetainUntilDate>tomorrow</RetainUntilDate>"), S3E_MalformedXML, 0,
     0},
    {RET("<Mode>GOVERNANCE</Mode><Mode>GOVERNANCE</Mode>"), S3E_MalformedXML, 0, 0},
    {"<LegalHold><Status>ON</Status></LegalHold>", S3E_MalformedXML, 0, 0},
};

static void test_retention_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(ret_cases); i++) {
		const struct ret_case *c = &ret_cases[i];
		int mode = 9;
		int64_t until = 9;
		s3err_t err = objlock_parse_retention(c->xml, strlen(c->xml), &mode, &until);

		if (err != c->err)
			fail_msg("case %zu (%s): %d, want %d", i, c->xml, err, c->err);
		if (err) {
			assert_int_equal(mode, 9); /* outputs only on success */
			continue;
		}
		assert_int_equal(mode, c->mode);
		assert_int_equal(until, c->until_ms);
	}
}

static void test_retention_render(void **state)
{
	struct buf b;
	int mode = 0;
	int64_t until = 0;

	(void)state;
	buf_init(&b, 4096, S3E_InternalError);
	assert_int_equal(objlock_render_retention(&b, OBJLOCK_COMPLIANCE, 1893553445000LL), S3E_OK);
	assert_non_null(strstr(buf_str(&b), "<Mode>COMPLIANCE</Mode>"));
	assert_non_null(strstr(buf_str(&b), "<RetainUntilDate>2030-01-02T03:04:05.000Z<"));
	assert_int_equal(objlock_parse_retention(buf_str(&b), b.len, &mode, &until), S3E_OK);
	assert_int_equal(mode, OBJLOCK_COMPLIANCE);
	assert_int_equal(until, 1893553445000LL);
	buf_free(&b);
}

static void test_legal_hold(void **state)
{
	static const struct {
		const char *xml;
		s3err_t err;
		bool on;
	} cases[] = {
	    {"<LegalHold " NS "><Status>ON</Status></LegalHold>", S3E_OK, true},
	    {"<LegalHold><Status>OFF</Status></LegalHold>", S3E_OK, false},
	    {"<LegalHold><Status>on</Status></LegalHold>", S3E_MalformedXML, false},
	    {"<LegalHold><Status>abc</Status></LegalHold>", S3E_MalformedXML, false},
	    {"<LegalHold></LegalHold>", S3E_MalformedXML, false},
	    {"<LegalHold><Status>ON</Status><Status>ON</Status></LegalHold>", S3E_MalformedXML,
	     false},
	};
	struct buf b;
	size_t i;
	bool on;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		on = !cases[i].on;
		assert_int_equal(objlock_parse_legal_hold(cases[i].xml, strlen(cases[i].xml), &on),
				 cases[i].err);
		if (!cases[i].err)
			assert_int_equal(on, cases[i].on);
	}
	buf_init(&b, 4096, S3E_InternalError);
	assert_int_equal(objlock_render_legal_hold(&b, true), S3E_OK);
	on = false;
	assert_int_equal(objlock_parse_legal_hold(buf_str(&b), b.len, &on), S3E_OK);
	assert_true(on);
	buf_free(&b);
}

static void test_modes_and_dates(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(objlock_mode_parse("GOVERNANCE"), OBJLOCK_GOVERNANCE);
	assert_int_equal(objlock_mode_parse("COMPLIANCE"), OBJLOCK_COMPLIANCE);
	assert_int_equal(objlock_mode_parse("compliance"), OBJLOCK_NONE);
	assert_int_equal(objlock_mode_parse(NULL), OBJLOCK_NONE);
	assert_string_equal(objlock_mode_name(OBJLOCK_COMPLIANCE), "COMPLIANCE");
	assert_string_equal(objlock_mode_name(OBJLOCK_NONE), "");
	assert_true(objlock_parse_date("2030-01-02T03:04:05Z", &ms));
	assert_int_equal(ms, 1893553445000LL);
	assert_false(objlock_parse_date("2030-01-02", &ms));
	assert_false(objlock_parse_date("1970-01-01T00:00:00Z", &ms));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_table),
	    cmocka_unit_test(test_config_round_trip),
	    cmocka_unit_test(test_config_decode_refuses),
	    cmocka_unit_test(test_default_until),
	    cmocka_unit_test(test_retention_table),
	    cmocka_unit_test(test_retention_render),
	    cmocka_unit_test(test_legal_hold),
	    cmocka_unit_test(test_modes_and_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
