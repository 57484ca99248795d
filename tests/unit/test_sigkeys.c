/* Unit tests of common/sigkeys.c: the cache gives exactly sigv4_signing_key's keys (K1..K3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/sigkeys.h"
#include "../../common/sigv4.h"

static void expect_key(struct sigkeys *c, const char *ak, const char *secret, const char *date8,
		       const char *region, const char *service)
{
	uint8_t got[32], want[32];

	sigkeys_get(c, ak, secret, date8, region, service, got);
	sigv4_signing_key(secret, date8, region, service, want);
	assert_memory_equal(got, want, 32);
}

/* The AWS documentation's example key, from the cache on the first and the second call. */
static void test_matches_derivation(void **state)
{
	static const uint8_t aws[32] = {0xc4, 0xaf, 0xb1, 0xcc, 0x57, 0x71, 0xd8, 0x71,
					0x76, 0x3a, 0x39, 0x3e, 0x44, 0xb7, 0x03, 0x57,
					0x1b, 0x55, 0xcc, 0x28, 0x42, 0x4d, 0x1a, 0x5e,
					0x86, 0xda, 0x6e, 0xd3, 0xc1, 0x54, 0xa4, 0xb9};
	struct sigkeys *c = sigkeys_new();
	uint8_t got[32];
	int i;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < 2; i++) {
		sigkeys_get(c, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
			    "20150830", "us-east-1", "iam", got);
		assert_memory_equal(got, aws, 32);
	}
	sigkeys_free(c);
	sigkeys_free(NULL);
}

/* K1: another secret, date, region or service never gets a cached key of other names. */
static void test_each_name_counts(void **state)
{
	struct sigkeys *c = sigkeys_new();

	(void)state;
	assert_non_null(c);
	expect_key(c, "AK", "secret-1", "20261122", "us-east-1", "s3");
	expect_key(c, "AK", "secret-2", "20261122", "us-east-1", "s3"); /* rotated secret */
	expect_key(c, "AK", "secret-1", "20261122", "us-east-1", "s3"); /* and back */
	expect_key(c, "AK", "secret-1", "20261123", "us-east-1", "s3");
	expect_key(c, "AK", "secret-1", "20261122", "eu-west-1", "s3");
	expect_key(c, "AK", "secret-1", "20261122", "us-east-1", "iam");
	expect_key(c, "AK2", "secret-1", "20261122", "us-east-1", "s3");
	/* A secret that differs only in its last byte. */
	expect_key(c, "AK", "secret-1x", "20261122", "us-east-1", "s3");
	expect_key(c, "AK", "secret-1y", "20261122", "us-east-1", "s3");
	sigkeys_free(c);
}

/* More users than slots, then each again: every key still right (eviction). */
static void test_more_users_than_slots(void **state)
{
	struct sigkeys *c = sigkeys_new();
	char ak[32], secret[32];
	int round, i;

	(void)state;
	assert_non_null(c);
	for (round = 0; round < 2; round++)
		for (i = 0; i < (int)SIGKEYS_SLOTS * 2 + 3; i++) {
			snprintf(ak, sizeof(ak), "AK%d", i);
			snprintf(secret, sizeof(secret), "secret of %d", i);
			expect_key(c, ak, secret, "20261122", "us-east-1", "s3");
		}
	sigkeys_free(c);
}

/* K3: names longer than an entry holds are derived, never cached truncated. */
static void test_long_inputs(void **state)
{
	struct sigkeys *c = sigkeys_new();
	char region[80];

	(void)state;
	assert_non_null(c);
	memset(region, 'r', sizeof(region) - 1);
	region[sizeof(region) - 1] = '\0';
	expect_key(c, "AK", "s", "20261122", region, "s3");
	region[40] = '\0'; /* a prefix of the long one: a different key */
	expect_key(c, "AK", "s", "20261122", region, "s3");
	expect_key(c, "AK", "s", "202611220", "us-east-1", "s3");
	expect_key(NULL, "AK", "s", "20261122", "us-east-1", "s3");
	sigkeys_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matches_derivation),
	    cmocka_unit_test(test_each_name_counts),
	    cmocka_unit_test(test_more_users_than_slots),
	    cmocka_unit_test(test_long_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
