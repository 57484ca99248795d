/*
 * Unit tests for common/range.c: a truth table of Range headers against
 * object sizes, with the status a client would see (200 whole, 206 part,
 * 416 InvalidRange).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "../../common/range.h"

#define BIG UINT64_MAX

struct range_case {
	const char *hdr;
	uint64_t size;
	enum range_result want;
	uint64_t first, last; /* checked only for RANGE_OK */
};

/* clang-format off */
static const struct range_case cases[] = {
	/* absent */
	{NULL, 5, RANGE_NONE, 0, 0},
	{NULL, 0, RANGE_NONE, 0, 0},

	/* int-range a-b */
	{"bytes=0-9", 5, RANGE_OK, 0, 4},       /* last clamped to size-1 */
	{"bytes=0-4", 5, RANGE_OK, 0, 4},
	{"bytes=0-0", 5, RANGE_OK, 0, 0},       /* one byte */
	{"bytes=1-3", 5, RANGE_OK, 1, 3},
	{"bytes=4-4", 5, RANGE_OK, 4, 4},       /* last byte */
	{"bytes=4-100", 5, RANGE_OK, 4, 4},
	{"bytes=5-9", 5, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=6-9", 5, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=0-0", 1, RANGE_OK, 0, 0},
	{"bytes=00-007", 10, RANGE_OK, 0, 7},   /* leading zeros are 1*DIGIT */
	{"bytes=100-199", 1000, RANGE_OK, 100, 199},

	/* int-range a- */
	{"bytes=0-", 5, RANGE_OK, 0, 4},
	{"bytes=3-", 5, RANGE_OK, 3, 4},
	{"bytes=4-", 5, RANGE_OK, 4, 4},
	{"bytes=5-", 5, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=1000-", 5, RANGE_UNSATISFIABLE, 0, 0},

	/* suffix-range -n */
	{"bytes=-3", 5, RANGE_OK, 2, 4},
	{"bytes=-1", 5, RANGE_OK, 4, 4},
	{"bytes=-5", 5, RANGE_OK, 0, 4},
	{"bytes=-10", 5, RANGE_OK, 0, 4},       /* longer than the object: whole */
	{"bytes=-0", 5, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=-000", 5, RANGE_UNSATISFIABLE, 0, 0},

	/* empty object: every valid range is 416, as AWS */
	{"bytes=0-", 0, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=0-0", 0, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=0-9", 0, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=-5", 0, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=-0", 0, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=abc", 0, RANGE_NONE, 0, 0},     /* garbage still ignored */

	/* first > last: an invalid range-spec, ignored (200) */
	{"bytes=3-1", 5, RANGE_NONE, 0, 0},
	{"bytes=9-1", 5, RANGE_NONE, 0, 0},
	{"bytes=1-0", 0, RANGE_NONE, 0, 0},

	/* several ranges: served whole */
	{"bytes=0-1,3-4", 5, RANGE_NONE, 0, 0},
	{"bytes=0-1, 3-4", 5, RANGE_NONE, 0, 0},
	{"bytes=-1,0-0", 5, RANGE_NONE, 0, 0},
	{"bytes=0-1,", 5, RANGE_NONE, 0, 0},
	{"bytes=,0-1", 5, RANGE_NONE, 0, 0},

	/* unit spelling */
	{"Bytes=0-1", 5, RANGE_OK, 0, 1},
	{"BYTES=1-", 5, RANGE_OK, 1, 4},
	{"items=0-1", 5, RANGE_NONE, 0, 0},
	{"bytes 0-1", 5, RANGE_NONE, 0, 0},
	{"bytes:0-1", 5, RANGE_NONE, 0, 0},
	{"byte=0-1", 5, RANGE_NONE, 0, 0},
	{"bytess=0-1", 5, RANGE_NONE, 0, 0},
	{"bytes =0-1", 5, RANGE_NONE, 0, 0},
	{" bytes=0-1", 5, RANGE_NONE, 0, 0},
	{"bytes", 5, RANGE_NONE, 0, 0},
	{"byt", 5, RANGE_NONE, 0, 0},

	/* garbage */
	{"", 5, RANGE_NONE, 0, 0},
	{"bytes=", 5, RANGE_NONE, 0, 0},
	{"bytes=-", 5, RANGE_NONE, 0, 0},
	{"bytes=--1", 5, RANGE_NONE, 0, 0},
	{"bytes=1--2", 5, RANGE_NONE, 0, 0},
	{"bytes=1-2-3", 5, RANGE_NONE, 0, 0},
	{"bytes=1", 5, RANGE_NONE, 0, 0},
	{"bytes=a-b", 5, RANGE_NONE, 0, 0},
	{"bytes=0x1-2", 5, RANGE_NONE, 0, 0},
	{"bytes=+1-2", 5, RANGE_NONE, 0, 0},
	{"bytes=1-+2", 5, RANGE_NONE, 0, 0},
	{"bytes=-+2", 5, RANGE_NONE, 0, 0},
	{"bytes= 0-1", 5, RANGE_NONE, 0, 0},
	{"bytes=0 -1", 5, RANGE_NONE, 0, 0},
	{"bytes=0- 1", 5, RANGE_NONE, 0, 0},
	{"bytes=0-1 ", 5, RANGE_NONE, 0, 0},
	{"bytes=0-1;", 5, RANGE_NONE, 0, 0},
	{"bytes=1.5-2", 5, RANGE_NONE, 0, 0},
	{"bytes=\xff-1", 5, RANGE_NONE, 0, 0},

	/* numbers past uint64: saturate, never wrap */
	{"bytes=0-99999999999999999999999", 5, RANGE_OK, 0, 4},
	{"bytes=0-18446744073709551615", 5, RANGE_OK, 0, 4},
	{"bytes=0-18446744073709551616", 5, RANGE_OK, 0, 4},
	{"bytes=18446744073709551616-", 5, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=18446744073709551615-18446744073709551615", 5, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=99999999999999999999999-5", 5, RANGE_NONE, 0, 0},
	{"bytes=-99999999999999999999999", 5, RANGE_OK, 0, 4},
	/* 18446744073709551626 would wrap to 10 with unchecked arithmetic */
	{"bytes=18446744073709551626-", 100, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=-18446744073709551626", 100, RANGE_OK, 0, 99},

	/* large objects */
	{"bytes=5368709119-", 5368709120ull, RANGE_OK, 5368709119ull, 5368709119ull},
	{"bytes=-1", BIG, RANGE_OK, BIG - 1, BIG - 1},
	{"bytes=0-", BIG, RANGE_OK, 0, BIG - 1},
	{"bytes=18446744073709551614-", BIG, RANGE_OK, BIG - 1, BIG - 1},
	{"bytes=18446744073709551615-", BIG, RANGE_UNSATISFIABLE, 0, 0},
};
/* clang-format on */

static const char *result_name(enum range_result r)
{
	switch (r) {
	case RANGE_NONE:
		return "NONE";
	case RANGE_OK:
		return "OK";
	case RANGE_UNSATISFIABLE:
		return "UNSATISFIABLE";
	}
	return "?";
}

static void test_table(void **state)
{
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct range_case *c = &cases[i];
		struct byte_range r = {0xDEAD, 0xBEEF};
		enum range_result got = range_parse(c->hdr, c->size, &r);

		if (got != c->want) {
			print_error("\"%s\" size %llu: got %s, want %s\n",
				    c->hdr ? c->hdr : "(null)", (unsigned long long)c->size,
				    result_name(got), result_name(c->want));
			failed++;
			continue;
		}
		if (got == RANGE_OK && (r.first != c->first || r.last != c->last)) {
			print_error("\"%s\" size %llu: got [%llu, %llu], want [%llu, %llu]\n",
				    c->hdr, (unsigned long long)c->size,
				    (unsigned long long)r.first, (unsigned long long)r.last,
				    (unsigned long long)c->first, (unsigned long long)c->last);
			failed++;
		}
		/* Output untouched unless OK. */
		if (got != RANGE_OK && (r.first != 0xDEAD || r.last != 0xBEEF)) {
			print_error("\"%s\": output written on %s\n", c->hdr ? c->hdr : "(null)",
				    result_name(got));
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* Every OK result lies inside the object: first <= last < size. */
static void test_bounds_exhaustive(void **state)
{
	char hdr[64];
	uint64_t size, a, b;
	struct byte_range r;
	enum range_result got;

	(void)state;
	for (size = 0; size < 12; size++) {
		for (a = 0; a < 14; a++) {
			for (b = 0; b < 14; b++) {
				snprintf(hdr, sizeof(hdr), "bytes=%llu-%llu", (unsigned long long)a,
					 (unsigned long long)b);
				got = range_parse(hdr, size, &r);
				if (a > b) {
					assert_int_equal(got, RANGE_NONE);
				} else if (a >= size) {
					assert_int_equal(got, RANGE_UNSATISFIABLE);
				} else {
					assert_int_equal(got, RANGE_OK);
					assert_true(r.first == a);
					assert_true(r.last == (b < size ? b : size - 1));
				}
			}
			snprintf(hdr, sizeof(hdr), "bytes=-%llu", (unsigned long long)a);
			got = range_parse(hdr, size, &r);
			if (a == 0 || size == 0) {
				assert_int_equal(got, RANGE_UNSATISFIABLE);
			} else {
				assert_int_equal(got, RANGE_OK);
				assert_true(r.last == size - 1);
				assert_true(r.last - r.first + 1 == (a < size ? a : size));
			}
		}
	}
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_bounds_exhaustive),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
