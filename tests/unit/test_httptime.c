/*
 * Unit tests for common/httptime.c. Valid forms come from RFC 9110 5.6.7
 * and the AWS SigV4 examples; calendar arithmetic is cross-checked against
 * the C library's gmtime_r/timegm over a wide sweep of instants.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* timegm, gmtime_r: the reference implementation */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../common/httptime.h"

#define T_RFC 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define SENTINEL ((time_t)-123456)

enum parser { P_HTTP, P_AMZ, P_ISO };

struct good_case {
	enum parser p;
	const char *s;
	int64_t want;
};

/* clang-format off */
static const struct good_case good[] = {
	/* RFC 9110's example in each of the three forms */
	{P_HTTP, "Sun, 06 Nov 1994 08:49:37 GMT", T_RFC},
	{P_HTTP, "Sunday, 06-Nov-94 08:49:37 GMT", T_RFC},
	{P_HTTP, "Sun Nov  6 08:49:37 1994", T_RFC},
	{P_HTTP, "Sun Nov 06 08:49:37 1994", T_RFC}, /* asctime date3 as 2DIGIT */
	{P_HTTP, "Thu, 01 Jan 1970 00:00:00 GMT", 0},
	{P_HTTP, "Wed, 31 Dec 1969 23:59:59 GMT", -1},
	{P_HTTP, "Tue, 19 Jan 2038 03:14:08 GMT", 2147483648LL},
	{P_HTTP, "Fri, 31 Dec 9999 23:59:59 GMT", 253402300799LL},
	{P_HTTP, "Tue, 29 Feb 2000 12:00:00 GMT", 951825600},
	{P_HTTP, "Thu, 29 Feb 2024 00:00:00 GMT", 1709164800},
	{P_HTTP, "Wed, 12 Oct 2009 17:50:30 GMT", 1255369830},
	/* the weekday is not cross-checked against the date (see httptime.c) */
	{P_HTTP, "Mon, 06 Nov 1994 08:49:37 GMT", T_RFC},
	/* RFC 850 two-digit years pivot at 70 */
	{P_HTTP, "Thursday, 01-Jan-70 00:00:00 GMT", 0},
	{P_HTTP, "Saturday, 01-Jan-00 00:00:00 GMT", 946684800},
	{P_HTTP, "Friday, 31-Dec-99 23:59:59 GMT", 946684799},
	{P_HTTP, "Saturday, 31-Dec-69 23:59:59 GMT", 3155759999LL},
	{P_HTTP, "Wednesday, 24-May-13 00:00:00 GMT", 1369353600},
	{P_HTTP, "Thu Jan  1 00:00:00 1970", 0},
	{P_HTTP, "Fri May 24 00:00:00 2013", 1369353600},

	{P_AMZ, "20130524T000000Z", 1369353600},
	{P_AMZ, "19700101T000000Z", 0},
	{P_AMZ, "20150830T123600Z", 1440938160},
	{P_AMZ, "20000229T235959Z", 951868799},
	{P_AMZ, "99991231T235959Z", 253402300799LL},

	{P_ISO, "2013-05-24T00:00:00Z", 1369353600},
	{P_ISO, "2013-05-24T00:00:00.000Z", 1369353600},
	{P_ISO, "2009-10-12T17:50:30.999Z", 1255369830}, /* fraction dropped */
	{P_ISO, "2009-10-12T17:50:30.5Z", 1255369830},
	{P_ISO, "2009-10-12T17:50:30.123456Z", 1255369830}, /* botocore's form */
	{P_ISO, "2009-10-12T17:50:30.123456789Z", 1255369830},
	{P_ISO, "1970-01-01T00:00:00Z", 0},
	{P_ISO, "1969-12-31T23:59:59.000Z", -1},
	{P_ISO, "2100-03-01T00:00:00Z", 4107542400LL},
};
/* clang-format on */

struct bad_case {
	enum parser p;
	const char *s;
};

/* clang-format off */
static const struct bad_case bad[] = {
	{P_HTTP, ""},
	{P_HTTP, "Sun, 06 Nov 1994 08:49:37 GMT "},  /* trailing space */
	{P_HTTP, " Sun, 06 Nov 1994 08:49:37 GMT"},  /* leading space */
	{P_HTTP, "Sun, 06 Nov 1994 08:49:37 GMTx"},
	{P_HTTP, "Sun, 06 Nov 1994 08:49:37 GMT\r\n"},
	{P_HTTP, "Sun, 06 Nov 1994 08:49:37"},
	{P_HTTP, "Sun, 06 Nov 1994 08:49:37 UTC"},
	{P_HTTP, "Sun, 06 Nov 1994 08:49:37 gmt"},
	{P_HTTP, "Sun, 06 Nov 1994 08:49:37 +0000"},
	{P_HTTP, "sun, 06 Nov 1994 08:49:37 GMT"},   /* case-sensitive names */
	{P_HTTP, "SUN, 06 Nov 1994 08:49:37 GMT"},
	{P_HTTP, "Sux, 06 Nov 1994 08:49:37 GMT"},   /* no such day */
	{P_HTTP, "Sunday, 06 Nov 1994 08:49:37 GMT"},/* long name in IMF */
	{P_HTTP, "Sun, 06-Nov-94 08:49:37 GMT"},     /* short name in RFC 850 */
	{P_HTTP, "Sundae, 06-Nov-94 08:49:37 GMT"},
	{P_HTTP, "Sun, 06 nov 1994 08:49:37 GMT"},
	{P_HTTP, "Sun, 06 Novem 1994 08:49:37 GMT"},
	{P_HTTP, "Sun, 06 Foo 1994 08:49:37 GMT"},
	{P_HTTP, "Sun, 6 Nov 1994 08:49:37 GMT"},    /* day not 2DIGIT */
	{P_HTTP, "Sun,  6 Nov 1994 08:49:37 GMT"},
	{P_HTTP, "Sun, 06 Nov 94 08:49:37 GMT"},     /* 2-digit year in IMF */
	{P_HTTP, "Sun, 06 Nov 19944 08:49:37 GMT"},
	{P_HTTP, "Sun, 06 Nov 1994 8:49:37 GMT"},
	{P_HTTP, "Sun, 06 Nov 1994 08:49 GMT"},
	{P_HTTP, "Sun, 06 Nov 1994 08-49-37 GMT"},
	{P_HTTP, "Sun,06 Nov 1994 08:49:37 GMT"},
	{P_HTTP, "Sun, 06  Nov 1994 08:49:37 GMT"},
	{P_HTTP, "Sun, 00 Nov 1994 08:49:37 GMT"},   /* out-of-range fields */
	{P_HTTP, "Sun, 31 Nov 1994 08:49:37 GMT"},
	{P_HTTP, "Sun, 32 Dec 1994 08:49:37 GMT"},
	{P_HTTP, "Sun, 06 Nov 1994 24:00:00 GMT"},
	{P_HTTP, "Sun, 06 Nov 1994 08:60:37 GMT"},
	{P_HTTP, "Sun, 06 Nov 1994 08:49:60 GMT"},
	{P_HTTP, "Sun, 06 Nov 1994 08:49:99 GMT"},
	{P_HTTP, "Sun, 06 Nov 0000 08:49:37 GMT"},
	{P_HTTP, "Sun, 29 Feb 1900 00:00:00 GMT"},   /* not leap years */
	{P_HTTP, "Sun, 29 Feb 2023 00:00:00 GMT"},
	{P_HTTP, "Sun, 29 Feb 2100 00:00:00 GMT"},
	{P_HTTP, "Sun, 30 Feb 2000 00:00:00 GMT"},
	{P_HTTP, "Sun, 0x Nov 1994 08:49:37 GMT"},
	{P_HTTP, "Sun, -6 Nov 1994 08:49:37 GMT"},
	{P_HTTP, "Sun, 06 Nov +994 08:49:37 GMT"},
	{P_HTTP, "Sunday, 06-Nov-1994 08:49:37 GMT"},
	{P_HTTP, "Sunday, 06-Nov-94 08:49:37"},
	{P_HTTP, "Sunday, 06-Nov-94 08:49:37 GMT "},
	{P_HTTP, "Sunday, 31-Apr-94 08:49:37 GMT"},
	{P_HTTP, "Sun Nov  6 08:49:37 1994 "},
	{P_HTTP, "Sun Nov 6 08:49:37 1994"},
	{P_HTTP, "Sun Nov   6 08:49:37 1994"},
	{P_HTTP, "Sun Nov  6 08:49:37 94"},
	{P_HTTP, "Sun Nov  6 08:49:37 1994 GMT"},
	{P_HTTP, "Sun Nov  0 08:49:37 1994"},
	{P_HTTP, "Sunday Nov  6 08:49:37 1994"},
	{P_HTTP, "Sun Nov  6 25:49:37 1994"},
	{P_HTTP, "1994-11-06T08:49:37Z"},
	{P_HTTP, "784111777"},

	{P_AMZ, ""},
	{P_AMZ, "20130524T000000"},
	{P_AMZ, "20130524T000000ZZ"},
	{P_AMZ, "20130524T000000z"},
	{P_AMZ, "20130524t000000Z"},
	{P_AMZ, "20130524 000000Z"},
	{P_AMZ, "2013052T000000Z"},
	{P_AMZ, "20130524T00000Z"},
	{P_AMZ, "20131324T000000Z"},
	{P_AMZ, "20130024T000000Z"},
	{P_AMZ, "20130500T000000Z"},
	{P_AMZ, "20130532T000000Z"},
	{P_AMZ, "20130229T000000Z"},
	{P_AMZ, "20130524T240000Z"},
	{P_AMZ, "20130524T006000Z"},
	{P_AMZ, "20130524T000060Z"},
	{P_AMZ, "2013-05-24T00:00:00Z"},
	{P_AMZ, "2013O524T000000Z"},
	{P_AMZ, " 20130524T000000Z"},
	{P_AMZ, "+0130524T000000Z"},
	{P_AMZ, "Fri, 24 May 2013 00:00:00 GMT"},

	{P_ISO, ""},
	{P_ISO, "2013-05-24"},
	{P_ISO, "2013-05-24T00:00:00"},
	{P_ISO, "2013-05-24T00:00:00z"},
	{P_ISO, "2013-05-24t00:00:00Z"},
	{P_ISO, "2013-05-24 00:00:00Z"},
	{P_ISO, "2013-05-24T00:00:00.Z"},
	{P_ISO, "2013-05-24T00:00:00.1234567890Z"},
	{P_ISO, "2013-05-24T00:00:00.000"},
	{P_ISO, "2013-05-24T00:00:00.000Z "},
	{P_ISO, "2013-05-24T00:00:00ZZ"},
	{P_ISO, "2013-05-24T00:00:00+00:00"},
	{P_ISO, "2013-05-24T00:00:00.000+00:00"},
	{P_ISO, "2013-05-24T00:00Z"},
	{P_ISO, "2013-5-24T00:00:00Z"},
	{P_ISO, "13-05-24T00:00:00Z"},
	{P_ISO, "2013/05/24T00:00:00Z"},
	{P_ISO, "2013-13-01T00:00:00Z"},
	{P_ISO, "2013-00-01T00:00:00Z"},
	{P_ISO, "2013-04-31T00:00:00Z"},
	{P_ISO, "2013-02-29T00:00:00Z"},
	{P_ISO, "2013-05-24T24:00:00Z"},
	{P_ISO, "2013-05-24T23:60:00Z"},
	{P_ISO, "2013-05-24T23:59:60Z"},
	{P_ISO, "0000-01-01T00:00:00Z"},
	{P_ISO, "2013-05-24T00:00:00.0a0Z"},
	{P_ISO, "20130524T000000Z"},
};
/* clang-format on */

static bool run(enum parser p, const char *s, time_t *t)
{
	switch (p) {
	case P_HTTP:
		return httptime_parse_http(s, t);
	case P_AMZ:
		return httptime_parse_amz(s, t);
	case P_ISO:
		return httptime_parse_iso(s, t);
	}
	return false;
}

static void test_parse_good(void **state)
{
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		time_t t = SENTINEL;

		if (!run(good[i].p, good[i].s, &t) || (int64_t)t != good[i].want) {
			print_error("rejected or wrong: \"%s\" -> %lld, want %lld\n", good[i].s,
				    (long long)t, (long long)good[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_parse_bad(void **state)
{
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		time_t t = SENTINEL;

		if (run(bad[i].p, bad[i].s, &t) || t != SENTINEL) {
			print_error("accepted or wrote output: \"%s\" (parser %d)\n", bad[i].s,
				    (int)bad[i].p);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_parse_null(void **state)
{
	time_t t = SENTINEL;

	(void)state;
	assert_false(httptime_parse_http(NULL, &t));
	assert_false(httptime_parse_amz(NULL, &t));
	assert_false(httptime_parse_iso(NULL, &t));
	assert_true(t == SENTINEL);
}

/* An embedded NUL ends the string: the prefix must then fail on its own. */
static void test_parse_embedded_nul(void **state)
{
	static const char s[] = "Sun, 06 Nov 1994 08:49:37 GMT\0junk";
	time_t t;

	(void)state;
	assert_true(httptime_parse_http(s, &t));
	assert_int_equal((int64_t)t, T_RFC);
	assert_false(httptime_parse_http("Sun, 06 Nov 1994\0 08:49:37 GMT", &t));
}

static void test_format_known(void **state)
{
	char h[30], a[17], iso[25];

	(void)state;
	httptime_format_http(T_RFC, h);
	assert_string_equal(h, "Sun, 06 Nov 1994 08:49:37 GMT");
	httptime_format_http(0, h);
	assert_string_equal(h, "Thu, 01 Jan 1970 00:00:00 GMT");
	httptime_format_http(-1, h);
	assert_string_equal(h, "Wed, 31 Dec 1969 23:59:59 GMT");
	httptime_format_http(951825600, h);
	assert_string_equal(h, "Tue, 29 Feb 2000 12:00:00 GMT");

	httptime_format_amz(1369353600, a);
	assert_string_equal(a, "20130524T000000Z");
	httptime_format_amz(1440938160, a);
	assert_string_equal(a, "20150830T123600Z");

	httptime_format_iso_ms(1255369830000LL, iso);
	assert_string_equal(iso, "2009-10-12T17:50:30.000Z");
	httptime_format_iso_ms(1255369830123LL, iso);
	assert_string_equal(iso, "2009-10-12T17:50:30.123Z");
	httptime_format_iso_ms(-1, iso);
	assert_string_equal(iso, "1969-12-31T23:59:59.999Z");
	httptime_format_iso_ms(-1000, iso);
	assert_string_equal(iso, "1969-12-31T23:59:59.000Z");
	httptime_format_iso_ms(0, iso);
	assert_string_equal(iso, "1970-01-01T00:00:00.000Z");
}

/* Out-of-range instants clamp to years 0001/9999 and keep the fixed width. */
static void test_format_clamp(void **state)
{
	char h[30], a[17], iso[25];

	(void)state;
	httptime_format_http((time_t)INT64_MAX, h);
	assert_string_equal(h, "Fri, 31 Dec 9999 23:59:59 GMT");
	httptime_format_http((time_t)INT64_MIN, h);
	assert_string_equal(h, "Mon, 01 Jan 0001 00:00:00 GMT");
	httptime_format_amz((time_t)INT64_MAX, a);
	assert_string_equal(a, "99991231T235959Z");
	httptime_format_iso_ms(INT64_MAX, iso);
	assert_string_equal(iso, "9999-12-31T23:59:59.999Z");
	httptime_format_iso_ms(INT64_MIN, iso);
	assert_string_equal(iso, "0001-01-01T00:00:00.000Z");
}

/*
 * Format -> parse gives back the instant, and the formatted text equals what
 * strftime(gmtime_r()) says, over instants from 1601 to 9999.
 */
static void test_roundtrip_sweep(void **state)
{
	const int64_t lo = -11644473600LL; /* 1601-01-01 */
	const int64_t hi = 253402300799LL; /* 9999-12-31T23:59:59 */
	const int64_t step = 7777777;	   /* ~90 days and an odd number of seconds */
	char h[30], a[17], iso[25], ref[64];
	struct tm tm;
	time_t t, back;
	int64_t s;

	(void)state;
	for (s = lo; s <= hi; s += step) {
		t = (time_t)s;
		assert_non_null(gmtime_r(&t, &tm));

		httptime_format_http(t, h);
		assert_int_equal(strlen(h), 29);
		strftime(ref, sizeof(ref), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		assert_string_equal(h, ref);
		assert_true(httptime_parse_http(h, &back));
		assert_true(back == t);

		httptime_format_amz(t, a);
		assert_int_equal(strlen(a), 16);
		strftime(ref, sizeof(ref), "%Y%m%dT%H%M%SZ", &tm);
		assert_string_equal(a, ref);
		assert_true(httptime_parse_amz(a, &back));
		assert_true(back == t);

		httptime_format_iso_ms(s * 1000 + (s & 0x3ff) % 1000, iso);
		assert_int_equal(strlen(iso), 24);
		assert_true(httptime_parse_iso(iso, &back));
		assert_true(back == t);

		/* parse agrees with timegm */
		assert_true(timegm(&tm) == back);
	}
}

/* Every day of a 400-year cycle (all leap rules) parses to timegm's answer. */
static void test_every_day(void **state)
{
	char iso[32];
	struct tm tm;
	time_t t, back;
	int64_t d;

	(void)state;
	for (d = -146097; d < 146097; d += 1) {
		t = (time_t)(d * 86400 + 45296); /* 12:34:56 */
		assert_non_null(gmtime_r(&t, &tm));
		strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_true(httptime_parse_iso(iso, &back));
		assert_true(back == t);
	}
}

static void test_now(void **state)
{
	int64_t a, b;
	time_t wall;

	(void)state;
	a = httptime_now_ms();
	wall = time(NULL);
	b = httptime_now_ms();
	assert_true(a > 1577836800000LL); /* after 2020-01-01 */
	assert_true(b >= a);
	assert_true(a / 1000 <= (int64_t)wall + 1 && (int64_t)wall <= b / 1000 + 1);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_null),
		cmocka_unit_test(test_parse_embedded_nul),
		cmocka_unit_test(test_format_known),
		cmocka_unit_test(test_format_clamp),
		cmocka_unit_test(test_roundtrip_sweep),
		cmocka_unit_test(test_every_day),
		cmocka_unit_test(test_now),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
