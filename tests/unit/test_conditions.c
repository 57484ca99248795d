/*
 * Unit tests for gateway/conditions.c: a truth table of precondition headers
 * against one object, evaluated in RFC 9110 section 13.2.2 order, with the
 * answer a client would see for GET/HEAD (200, 304, 412) and for a
 * CopyObject source (x-amz-copy-source-if-*: 304 becomes 412).
 *
 * The dates are written out by hand (not produced by httptime) so the table
 * also pins down which HTTP-date forms are accepted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../gateway/conditions.h"

#define ETAG "9b2cf535f27731c974343645a3985328"
#define QETAG "\"" ETAG "\""

/* 1700000000 = Tue, 14 Nov 2023 22:13:20 GMT in the three HTTP-date forms. */
#define T0 "Tue, 14 Nov 2023 22:13:20 GMT"
#define T0_RFC850 "Tuesday, 14-Nov-23 22:13:20 GMT"
#define T0_ASCTIME "Tue Nov 14 22:13:20 2023"
#define T0_MINUS1 "Tue, 14 Nov 2023 22:13:19 GMT"
#define T0_PLUS1 "Tue, 14 Nov 2023 22:13:21 GMT"
#define T0_S 1700000000LL

/* The object's Last-Modified is T0 plus half a second unless a case says otherwise. */
#define MTIME_DEFAULT (T0_S * 1000 + 500)

#define OK S3E_OK
#define NM S3E_NotModified
#define PF S3E_PreconditionFailed

struct cond_case {
	const char *if_match, *if_none_match, *if_modified_since, *if_unmodified_since;
	int64_t mtime_ms;  /* 0: MTIME_DEFAULT */
	s3err_t want_get;  /* GET/HEAD */
	s3err_t want_copy; /* CopyObject source */
	const char *why;
};

/* clang-format off */
static const struct cond_case cases[] = {
	{NULL, NULL, NULL, NULL, 0, OK, OK, "no conditions"},

	/* If-Match (step 1): false -> 412 */
	{QETAG, NULL, NULL, NULL, 0, OK, OK, "If-Match quoted, equal"},
	{ETAG, NULL, NULL, NULL, 0, OK, OK, "If-Match unquoted, equal"},
	{"*", NULL, NULL, NULL, 0, OK, OK, "If-Match *"},
	{"\"0000\"", NULL, NULL, NULL, 0, PF, PF, "If-Match other tag"},
	{"\"0000\", " QETAG, NULL, NULL, NULL, 0, OK, OK, "If-Match list, second"},
	{"\"0000\" ,\t " QETAG "  ", NULL, NULL, NULL, 0, OK, OK, "If-Match list with spaces/tabs"},
	{"\"0000\",\"1111\"", NULL, NULL, NULL, 0, PF, PF, "If-Match list, none equal"},
	{"\"0000\", *", NULL, NULL, NULL, 0, OK, OK, "If-Match list with *"},
	{"W/" QETAG, NULL, NULL, NULL, 0, OK, OK, "If-Match weak tag (compared like strong)"},
	{"\"9b2cf535\"", NULL, NULL, NULL, 0, PF, PF, "If-Match prefix of the ETag"},
	{"\"" ETAG "0\"", NULL, NULL, NULL, 0, PF, PF, "If-Match ETag plus a char"},
	{"\"" ETAG "-1\"", NULL, NULL, NULL, 0, PF, PF, "If-Match multipart-looking tag"},
	{"", NULL, NULL, NULL, 0, PF, PF, "If-Match empty list"},

	/* If-Unmodified-Since (step 2, only without If-Match): modified after -> 412 */
	{NULL, NULL, NULL, T0, 0, OK, OK, "IUS same second (ms ignored)"},
	{NULL, NULL, NULL, T0_PLUS1, 0, OK, OK, "IUS later"},
	{NULL, NULL, NULL, T0_MINUS1, 0, PF, PF, "IUS earlier"},
	{NULL, NULL, NULL, T0, T0_S * 1000 + 999, OK, OK, "IUS last ms of the second"},
	{NULL, NULL, NULL, T0, T0_S * 1000 + 1000, PF, PF, "IUS next second"},
	{NULL, NULL, NULL, T0_RFC850, T0_S * 1000 + 1000, PF, PF, "IUS RFC 850 form"},
	{NULL, NULL, NULL, T0_ASCTIME, T0_S * 1000 + 1000, PF, PF, "IUS asctime form"},
	{NULL, NULL, NULL, "yesterday", 0, OK, OK, "IUS unparseable: ignored"},
	{NULL, NULL, NULL, "Tue, 14 Nov 2023 22:13:19", 0, OK, OK, "IUS earlier but no GMT: ignored"},
	{NULL, NULL, NULL, "Tue, 14 Nov 2023 22:13:19 UTC", 0, OK, OK, "IUS earlier but UTC: ignored"},
	{NULL, NULL, NULL, "", 0, OK, OK, "IUS empty: ignored"},

	/* If-None-Match (step 3): listed -> 304 (GET) / 412 (copy) */
	{NULL, QETAG, NULL, NULL, 0, NM, PF, "INM quoted, equal"},
	{NULL, ETAG, NULL, NULL, 0, NM, PF, "INM unquoted, equal"},
	{NULL, "*", NULL, NULL, 0, NM, PF, "INM *"},
	{NULL, "\"0000\"", NULL, NULL, 0, OK, OK, "INM other tag"},
	{NULL, "\"0000\", W/" QETAG, NULL, NULL, 0, NM, PF, "INM list, weak second"},
	{NULL, "  \"0000\"  ,  " QETAG, NULL, NULL, 0, NM, PF, "INM list with spaces"},
	{NULL, "\"0000\", \"1111\"", NULL, NULL, 0, OK, OK, "INM list, none equal"},

	/* If-Modified-Since (step 4, only without If-None-Match): not modified -> 304 / 412 */
	{NULL, NULL, T0, NULL, 0, NM, PF, "IMS same second (ms ignored)"},
	{NULL, NULL, T0_PLUS1, NULL, 0, NM, PF, "IMS later"},
	{NULL, NULL, T0_MINUS1, NULL, 0, OK, OK, "IMS earlier: modified"},
	{NULL, NULL, T0, NULL, T0_S * 1000 + 999, NM, PF, "IMS last ms of the second"},
	{NULL, NULL, T0, NULL, T0_S * 1000 + 1000, OK, OK, "IMS next second: modified"},
	{NULL, NULL, T0_RFC850, NULL, 0, NM, PF, "IMS RFC 850 form"},
	{NULL, NULL, T0_ASCTIME, NULL, 0, NM, PF, "IMS asctime form"},
	{NULL, NULL, "not a date", NULL, 0, OK, OK, "IMS unparseable: ignored"},
	{NULL, NULL, "Tue, 31 Nov 2023 22:13:20 GMT", NULL, 0, OK, OK, "IMS later but Nov 31: ignored"},
	{NULL, NULL, "Tue, 14 Nov 2023 22:13:21", NULL, 0, OK, OK, "IMS later but no GMT: ignored"},
	{NULL, NULL, "", NULL, 0, OK, OK, "IMS empty: ignored"},

	/* Combinations: the RFC order decides */
	{QETAG, NULL, NULL, T0_MINUS1, 0, OK, OK, "If-Match true wins over IUS false"},
	{"\"0000\"", NULL, NULL, T0_PLUS1, 0, PF, PF, "If-Match false, IUS true"},
	{"\"0000\"", QETAG, NULL, NULL, 0, PF, PF, "If-Match false before INM (412, not 304)"},
	{QETAG, QETAG, NULL, NULL, 0, NM, PF, "If-Match true, INM listed"},
	{QETAG, "\"0000\"", NULL, NULL, 0, OK, OK, "If-Match true, INM not listed"},
	{QETAG, NULL, T0_PLUS1, NULL, 0, NM, PF, "If-Match true, IMS not modified"},
	{NULL, "\"0000\"", T0_PLUS1, NULL, 0, OK, OK, "INM not listed wins over IMS"},
	{NULL, QETAG, T0_MINUS1, NULL, 0, NM, PF, "INM listed wins over IMS modified"},
	{NULL, QETAG, NULL, T0_MINUS1, 0, PF, PF, "IUS false before INM (412)"},
	{NULL, NULL, T0_PLUS1, T0_MINUS1, 0, PF, PF, "IUS false before IMS (412)"},
	{NULL, NULL, T0_PLUS1, T0_PLUS1, 0, NM, PF, "IUS true, IMS not modified"},
	{NULL, NULL, T0_MINUS1, T0_PLUS1, 0, OK, OK, "IUS true, IMS modified"},
	{NULL, NULL, "junk", "junk", 0, OK, OK, "both dates unparseable"},
	{QETAG, "\"0000\"", T0_PLUS1, T0_MINUS1, 0, OK, OK, "all four: tags decide"},
	{"*", "*", NULL, NULL, 0, NM, PF, "If-Match * and INM *"},
};
/* clang-format on */

static void test_table(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cond_case *tc = &cases[i];
		struct conditions c = {tc->if_match, tc->if_none_match, tc->if_modified_since,
				       tc->if_unmodified_since};
		struct obj_meta m;
		s3err_t got_get, got_copy;

		obj_meta_init(&m);
		snprintf(m.etag, sizeof(m.etag), "%s", ETAG);
		m.mtime_ms = tc->mtime_ms ? tc->mtime_ms : MTIME_DEFAULT;
		got_get = cond_check(&c, &m, false);
		got_copy = cond_check(&c, &m, true);
		if (got_get != tc->want_get || got_copy != tc->want_copy) {
			print_error("case %zu (%s): GET got %s want %s; copy got %s want %s\n", i,
				    tc->why, s3err_code(got_get), s3err_code(tc->want_get),
				    s3err_code(got_copy), s3err_code(tc->want_copy));
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

struct listed_case {
	const char *list;
	const char *etag;
	bool want;
};

/* clang-format off */
static const struct listed_case listed[] = {
	{"\"abc\"", "abc", true},
	{"abc", "abc", true},
	{"W/\"abc\"", "abc", true},
	{"W/abc", "abc", true},
	{"*", "abc", true},
	{"  *  ", "abc", true},
	{"\"x\",\"abc\"", "abc", true},
	{"\"x\" , \"abc\" ", "abc", true},
	{"\t\"x\",\t\"abc\"\t", "abc", true},
	{",,\"abc\",,", "abc", true},
	{"\"x\", W/\"abc\", \"y\"", "abc", true},
	{"\"abc-3\"", "abc-3", true},             /* multipart ETag */
	{"\"abc\"", "abc-3", false},
	{"\"abc-3\"", "abc", false},
	{"\"ab\"", "abc", false},
	{"\"abcd\"", "abc", false},
	{"\"ABC\"", "abc", false},                /* ETags are case-sensitive */
	{"\"x\", \"y\"", "abc", false},
	{"", "abc", false},
	{"  ,  ", "abc", false},
	{"\"\"", "abc", false},
	{"\"abc", "abc", false},                  /* unbalanced quote is not the tag */
	{"\"a bc\"", "abc", false},
};
/* clang-format on */

static void test_etag_listed(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
		bool got = cond_etag_listed(listed[i].list, listed[i].etag);

		if (got != listed[i].want) {
			print_error("case %zu: cond_etag_listed('%s', '%s') = %d, want %d\n", i,
				    listed[i].list, listed[i].etag, got, listed[i].want);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/*
 * Sweeps Last-Modified across three seconds in 250 ms steps against one date:
 * If-Modified-Since answers 304 exactly when the object's second is <= the
 * date's, and If-Unmodified-Since answers 412 exactly when it is later.
 */
static void test_second_precision_sweep(void **state)
{
	int64_t ms;

	(void)state;
	for (ms = (T0_S - 1) * 1000; ms < (T0_S + 2) * 1000; ms += 250) {
		struct conditions ims = {NULL, NULL, T0, NULL};
		struct conditions ius = {NULL, NULL, NULL, T0};
		struct obj_meta m;
		bool later = ms / 1000 > T0_S;

		obj_meta_init(&m);
		snprintf(m.etag, sizeof(m.etag), "%s", ETAG);
		m.mtime_ms = ms;
		assert_int_equal(cond_check(&ims, &m, false), later ? S3E_OK : S3E_NotModified);
		assert_int_equal(cond_check(&ims, &m, true),
				 later ? S3E_OK : S3E_PreconditionFailed);
		assert_int_equal(cond_check(&ius, &m, false),
				 later ? S3E_PreconditionFailed : S3E_OK);
		assert_int_equal(cond_check(&ius, &m, true),
				 later ? S3E_PreconditionFailed : S3E_OK);
	}
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_etag_listed),
		cmocka_unit_test(test_second_precision_sweep),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
