/*
 * Unit tests for common/datakeys.c: a cached unwrap returns exactly what
 * keyring_unwrap returns (first and repeated calls, more envelopes than
 * slots, two master keys), and never serves an entry for other bytes: an
 * envelope that shares a slot and its nonce but differs later, another key
 * id, a bad length or a damaged tag fail as keyring_unwrap fails, every time
 * (D2). Run under ASan/LSan to also catch overruns and leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/datakeys.h"
#include "../../common/keyring.h"

struct fixture {
	char dir[64];
	char path[128];
	struct keyring *keys;
	char old_id[KEYRING_ID_MAX]; /* the first key; the second is current */
	struct datakeys *cache;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char why[256], id[KEYRING_ID_MAX];

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/strata-datakeys-test-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/keys", fx->dir);
	if (keyring_create(fx->path, why, sizeof(why)) != S3E_OK ||
	    keyring_load(fx->path, &fx->keys, why, sizeof(why)) != S3E_OK)
		return -1;
	snprintf(fx->old_id, sizeof(fx->old_id), "%s", keyring_current_id(fx->keys));
	keyring_free(fx->keys);
	if (keyring_add_key(fx->path, id, why, sizeof(why)) != S3E_OK ||
	    keyring_load(fx->path, &fx->keys, why, sizeof(why)) != S3E_OK)
		return -1;
	fx->cache = datakeys_new(fx->keys);
	*state = fx;
	return fx->cache ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	datakeys_free(fx->cache);
	keyring_free(fx->keys);
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* A fresh random data key, wrapped under id (the current key when id is NULL). */
static void make_envelope(const struct fixture *fx, const char *id, uint8_t dk[KEYRING_KEY_SIZE],
			  char id_out[KEYRING_ID_MAX], uint8_t env[KEYRING_WRAPPED_SIZE])
{
	size_t i;

	for (i = 0; i < KEYRING_KEY_SIZE; i++)
		dk[i] = (uint8_t)rand();
	if (id) {
		snprintf(id_out, KEYRING_ID_MAX, "%s", id);
		assert_int_equal(keyring_wrap_with(fx->keys, id, dk, env), S3E_OK);
	} else {
		assert_int_equal(keyring_wrap(fx->keys, dk, id_out, env), S3E_OK);
	}
}

static void test_same_as_keyring(void **state)
{
	struct fixture *fx = *state;
	enum { N = 3 * DATAKEYS_SLOTS };
	static uint8_t dks[N][KEYRING_KEY_SIZE], envs[N][KEYRING_WRAPPED_SIZE];
	static char ids[N][KEYRING_ID_MAX];
	uint8_t got[KEYRING_KEY_SIZE];
	int i, pass;

	for (i = 0; i < N; i++)
		make_envelope(fx, i % 2 ? fx->old_id : NULL, dks[i], ids[i], envs[i]);
	/* Twice over more envelopes than slots: misses, hits and replacements. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < N; i++) {
			memset(got, 0, sizeof(got));
			assert_int_equal(
			    datakeys_unwrap(fx->cache, ids[i], envs[i], KEYRING_WRAPPED_SIZE, got),
			    S3E_OK);
			assert_memory_equal(got, dks[i], KEYRING_KEY_SIZE);
			/* at once again: now from the cache */
			memset(got, 0, sizeof(got));
			assert_int_equal(
			    datakeys_unwrap(fx->cache, ids[i], envs[i], KEYRING_WRAPPED_SIZE, got),
			    S3E_OK);
			assert_memory_equal(got, dks[i], KEYRING_KEY_SIZE);
		}
}

static void expect_refused(struct fixture *fx, const char *id, const uint8_t *env, size_t len)
{
	uint8_t got[KEYRING_KEY_SIZE], want[KEYRING_KEY_SIZE];
	int i;

	memset(got, 0x5A, sizeof(got));
	memcpy(want, got, sizeof(want));
	for (i = 0; i < 2; i++) { /* a failure is not remembered either */
		assert_int_equal(datakeys_unwrap(fx->cache, id, env, len, got), S3E_InternalError);
		assert_memory_equal(got, want, sizeof(got)); /* left untouched */
	}
}

static void test_other_bytes_never_hit(void **state)
{
	struct fixture *fx = *state;
	uint8_t dk[KEYRING_KEY_SIZE], env[KEYRING_WRAPPED_SIZE], bad[KEYRING_WRAPPED_SIZE];
	uint8_t got[KEYRING_KEY_SIZE];
	char id[KEYRING_ID_MAX], long_id[KEYRING_ID_MAX + 8];
	size_t at;

	make_envelope(fx, NULL, dk, id, env);
	assert_int_equal(datakeys_unwrap(fx->cache, id, env, sizeof(env), got), S3E_OK);
	assert_memory_equal(got, dk, sizeof(dk));
	/* Same slot, same nonce, one byte different anywhere after it: the tag fails. */
	for (at = 4; at < KEYRING_WRAPPED_SIZE; at++) {
		memcpy(bad, env, sizeof(bad));
		bad[at] ^= 0x01;
		expect_refused(fx, id, bad, sizeof(bad));
	}
	/* The same bytes under the other key's id, an unknown id, a too long one. */
	expect_refused(fx, fx->old_id, env, sizeof(env));
	expect_refused(fx, "no-such-key", env, sizeof(env));
	memset(long_id, 'k', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	expect_refused(fx, long_id, env, sizeof(env));
	expect_refused(fx, NULL, env, sizeof(env));
	/* Lengths other than an envelope's, even with the cached bytes in front. */
	expect_refused(fx, id, env, sizeof(env) - 1);
	expect_refused(fx, id, NULL, sizeof(env));
	/* The real envelope still unwraps, from the cache. */
	assert_int_equal(datakeys_unwrap(fx->cache, id, env, sizeof(env), got), S3E_OK);
	assert_memory_equal(got, dk, sizeof(dk));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_same_as_keyring, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_bytes_never_hit, setup, teardown),
	};

	srand(11);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
