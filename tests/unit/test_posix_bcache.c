/*
 * Unit tests for backends/posix_bcache.c: hits after a put, and the two
 * rules that keep the cache exact (B1: a put from a read older than a create
 * or delete is dropped; B2: a drop forgets the name).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../backends/posix_bcache.h"

static struct bucket_info bucket(const char *name, const char *owner)
{
	struct bucket_info b;

	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), "%s", name);
	snprintf(b.owner, sizeof(b.owner), "%s", owner);
	b.created_ms = 42;
	return b;
}

static void test_put_then_hit(void **state)
{
	struct posix_bcache c;
	struct bucket_info b = bucket("photos", "alice"), got;
	uint64_t gen;
	(void)state;

	assert_true(posix_bcache_init(&c));
	assert_false(posix_bcache_get(&c, "photos", &got, &gen));
	posix_bcache_put(&c, &b, gen);
	assert_true(posix_bcache_get(&c, "photos", &got, &gen));
	assert_string_equal(got.owner, "alice");
	assert_int_equal(got.created_ms, 42);
	assert_false(posix_bcache_get(&c, "photo", &got, &gen)); /* exact names only */
	posix_bcache_destroy(&c);
}

static void test_stale_put_dropped(void **state)
{
	struct posix_bcache c;
	struct bucket_info b = bucket("photos", "alice"), got;
	uint64_t gen, unused;
	(void)state;

	assert_true(posix_bcache_init(&c));
	assert_false(posix_bcache_get(&c, "photos", &got, &gen));
	posix_bcache_drop(&c, "photos"); /* a delete ended while the read ran (B1) */
	posix_bcache_put(&c, &b, gen);
	assert_false(posix_bcache_get(&c, "photos", &got, &unused));
	posix_bcache_destroy(&c);
}

static void test_drop_forgets(void **state)
{
	struct posix_bcache c;
	struct bucket_info a = bucket("alpha", "alice"), got;
	char name[16];
	uint64_t gen;
	unsigned i;
	(void)state;

	assert_true(posix_bcache_init(&c));
	/* More names than slots: every hit must still be the name asked for. */
	for (i = 0; i < 3 * POSIX_BCACHE_SLOTS; i++) {
		snprintf(name, sizeof(name), "b-%u", i);
		struct bucket_info b = bucket(name, "bob");
		posix_bcache_get(&c, name, &got, &gen);
		posix_bcache_put(&c, &b, gen);
	}
	for (i = 0; i < 3 * POSIX_BCACHE_SLOTS; i++) {
		snprintf(name, sizeof(name), "b-%u", i);
		if (posix_bcache_get(&c, name, &got, &gen))
			assert_string_equal(got.name, name);
	}
	posix_bcache_get(&c, "alpha", &got, &gen);
	posix_bcache_put(&c, &a, gen);
	posix_bcache_drop(&c, "alpha"); /* B2 */
	assert_false(posix_bcache_get(&c, "alpha", &got, &gen));
	posix_bcache_destroy(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_then_hit),
	    cmocka_unit_test(test_stale_put_dropped),
	    cmocka_unit_test(test_drop_forgets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
