/*
 * Unit tests for common/buf.c: the cap is enforced exactly, a refused append
 * leaves the buffer as it was, the content is always NUL-terminated, and the
 * allocation never grows past max + 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/buf.h"

static void test_init_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100, S3E_EntityTooLarge);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 100);
	assert_int_equal(b.too_big, S3E_EntityTooLarge);
	assert_string_equal(buf_str(&b), "");
	assert_null(buf_take(&b));
	buf_free(&b);
	buf_free(NULL);
}

static void test_add_and_terminate(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024, S3E_InternalError);
	assert_int_equal(buf_add(&b, "abc", 3), S3E_OK);
	assert_int_equal(b.len, 3);
	assert_string_equal(buf_str(&b), "abc");
	assert_int_equal(buf_adds(&b, "def"), S3E_OK);
	assert_int_equal(buf_addf(&b, "-%d-%s-%02x", 42, "x", 0xab), S3E_OK);
	assert_string_equal(buf_str(&b), "abcdef-42-x-ab");
	assert_int_equal(b.len, strlen("abcdef-42-x-ab"));
	assert_int_equal(b.data[b.len], '\0');
	/* an empty append succeeds and changes nothing, even with a NULL pointer */
	assert_int_equal(buf_add(&b, NULL, 0), S3E_OK);
	assert_int_equal(buf_adds(&b, ""), S3E_OK);
	assert_int_equal(buf_addf(&b, "%s", ""), S3E_OK);
	assert_string_equal(buf_str(&b), "abcdef-42-x-ab");
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

/* Binary content: embedded NULs count in len and survive. */
static void test_binary(void **state)
{
	static const char bin[] = {'a', '\0', 'b', '\0', '\xff'};
	struct buf b;

	(void)state;
	buf_init(&b, 64, S3E_InternalError);
	assert_int_equal(buf_add(&b, bin, sizeof(bin)), S3E_OK);
	assert_int_equal(b.len, sizeof(bin));
	assert_memory_equal(b.data, bin, sizeof(bin));
	assert_int_equal(b.data[b.len], '\0');
	buf_free(&b);
}

/* Exactly max bytes fit; one more is refused with the chosen error, buffer unchanged. */
static void test_cap_exact(void **state)
{
	struct buf b;
	char big[200];

	(void)state;
	memset(big, 'x', sizeof(big));
	buf_init(&b, 10, S3E_MetadataTooLarge);
	assert_int_equal(buf_add(&b, big, 10), S3E_OK);
	assert_int_equal(b.len, 10);
	assert_true(b.alloc <= 11);
	assert_int_equal(buf_add(&b, "y", 1), S3E_MetadataTooLarge);
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.data, "xxxxxxxxxx", 11); /* includes the NUL */
	assert_int_equal(buf_add(&b, NULL, 0), S3E_OK);
	buf_free(&b);

	/* refused in one go, not partially copied */
	buf_init(&b, 10, S3E_MetadataTooLarge);
	assert_int_equal(buf_adds(&b, "12345"), S3E_OK);
	assert_int_equal(buf_add(&b, big, 6), S3E_MetadataTooLarge);
	assert_string_equal(buf_str(&b), "12345");
	assert_int_equal(buf_add(&b, big, 5), S3E_OK);
	assert_string_equal(buf_str(&b), "12345xxxxx");
	/* a huge length must not wrap the arithmetic */
	assert_int_equal(buf_add(&b, big, SIZE_MAX), S3E_MetadataTooLarge);
	assert_int_equal(buf_add(&b, big, SIZE_MAX - 5), S3E_MetadataTooLarge);
	assert_string_equal(buf_str(&b), "12345xxxxx");
	buf_free(&b);

	/* a single oversized first append */
	buf_init(&b, 10, S3E_EntityTooLarge);
	assert_int_equal(buf_add(&b, big, sizeof(big)), S3E_EntityTooLarge);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

static void test_cap_zero(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0, S3E_EntityTooLarge);
	assert_int_equal(buf_add(&b, "", 0), S3E_OK);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_adds(&b, "a"), S3E_EntityTooLarge);
	assert_int_equal(buf_addf(&b, "%d", 1), S3E_EntityTooLarge);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* Formatted appends are capped on their full length, and leave nothing behind when refused. */
static void test_addf_cap(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8, S3E_MetadataTooLarge);
	assert_int_equal(buf_addf(&b, "%s", "abcd"), S3E_OK);
	assert_int_equal(buf_addf(&b, "%d", 12345), S3E_MetadataTooLarge);
	assert_string_equal(buf_str(&b), "abcd");
	assert_int_equal(b.len, 4);
	assert_int_equal(buf_addf(&b, "%04d", 7), S3E_OK);
	assert_string_equal(buf_str(&b), "abcd0007");
	assert_int_equal(buf_addf(&b, "%s", "z"), S3E_MetadataTooLarge);
	assert_string_equal(buf_str(&b), "abcd0007");
	buf_free(&b);
}

/* Many appends through several reallocations keep every byte; alloc stays within max + 1. */
static void test_growth(void **state)
{
	struct buf b;
	size_t i, max = 100000;

	(void)state;
	buf_init(&b, max, S3E_InternalError);
	for (i = 0; i < 10000; i++) {
		assert_int_equal(buf_addf(&b, "%05zu,", i), S3E_OK);
		assert_true(b.alloc <= max + 1);
		assert_true(b.alloc > b.len);
	}
	assert_int_equal(b.len, 60000);
	for (i = 0; i < 10000; i++) {
		char want[8];

		snprintf(want, sizeof(want), "%05zu,", i);
		assert_memory_equal(b.data + i * 6, want, 6);
	}
	/* filling right up to the cap, then one byte too many */
	for (i = b.len; i < max; i++)
		assert_int_equal(buf_add(&b, "q", 1), S3E_OK);
	assert_int_equal(b.len, max);
	assert_int_equal(b.alloc, max + 1);
	assert_int_equal(buf_add(&b, "q", 1), S3E_InternalError);
	assert_int_equal(b.len, max);
	assert_int_equal(b.data[max], '\0');
	buf_free(&b);
}

/* Reset empties but keeps the memory; the buffer is then reused. */
static void test_reset(void **state)
{
	struct buf b;
	char *mem;
	size_t alloc;

	(void)state;
	buf_init(&b, 1000, S3E_InternalError);
	buf_reset(&b); /* before any allocation */
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_adds(&b, "hello world"), S3E_OK);
	mem = b.data;
	alloc = b.alloc;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_ptr_equal(b.data, mem);
	assert_int_equal(b.alloc, alloc);
	assert_int_equal(buf_adds(&b, "hi"), S3E_OK);
	assert_string_equal(buf_str(&b), "hi");
	buf_free(&b);
}

/* Take hands over the allocation; the buffer is empty and still usable with its cap. */
static void test_take(void **state)
{
	struct buf b;
	char *p;

	(void)state;
	buf_init(&b, 5, S3E_EntityTooLarge);
	assert_int_equal(buf_adds(&b, "abc"), S3E_OK);
	p = buf_take(&b);
	assert_non_null(p);
	assert_string_equal(p, "abc");
	free(p);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_string_equal(buf_str(&b), "");
	assert_null(buf_take(&b));
	/* the cap survives take and free */
	assert_int_equal(buf_adds(&b, "123456"), S3E_EntityTooLarge);
	assert_int_equal(buf_adds(&b, "12345"), S3E_OK);
	buf_free(&b);
	assert_int_equal(buf_adds(&b, "123456"), S3E_EntityTooLarge);
	assert_int_equal(buf_adds(&b, "xy"), S3E_OK);
	assert_string_equal(buf_str(&b), "xy");
	buf_free(&b);
}

static s3err_t vwrap(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static s3err_t vwrap(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	s3err_t err;

	va_start(ap, fmt);
	err = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return err;
}

static void test_vaddf(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 300, S3E_InternalError);
	assert_int_equal(vwrap(&b, "%s=%u;", "a", 1u), S3E_OK);
	/* long output forces the va_list to be used twice (measure, then write) */
	assert_int_equal(vwrap(&b, "%200s|%s", "pad", "end"), S3E_OK);
	assert_int_equal(b.len, 4 + 204);
	assert_memory_equal(b.data, "a=1;", 4);
	assert_string_equal(b.data + b.len - 7, "pad|end");
	buf_free(&b);
}

/* buf_reserve allocates once for what follows, and respects the cap like an append. */
static void test_reserve(void **state)
{
	struct buf b;
	const char *before;
	int i;

	(void)state;
	buf_init(&b, 1000, S3E_EntityTooLarge);
	assert_int_equal(buf_reserve(&b, 1001), S3E_EntityTooLarge);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_reserve(&b, 600), S3E_OK);
	assert_true(b.alloc >= 601);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	before = b.data;
	for (i = 0; i < 60; i++)
		assert_int_equal(buf_add(&b, "0123456789", 10), S3E_OK);
	assert_ptr_equal(b.data, before); /* no reallocation on the way */
	assert_int_equal(buf_reserve(&b, 401), S3E_EntityTooLarge);
	assert_int_equal(buf_reserve(&b, 400), S3E_OK);
	buf_free(&b);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_add_and_terminate),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_cap_exact),
		cmocka_unit_test(test_cap_zero),
		cmocka_unit_test(test_addf_cap),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_vaddf),
		cmocka_unit_test(test_reserve),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
