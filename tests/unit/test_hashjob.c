/*
 * Unit tests for common/hashjob.c: digests made on the job's thread equal
 * those made in line, however the bytes are cut into pieces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/checksum.h"
#include "../../common/hashjob.h"

#define DATA_LEN (3u * 1024 * 1024 + 17)

static uint8_t *make_data(void)
{
	uint8_t *p = malloc(DATA_LEN);
	uint32_t x = 2463534242u;
	size_t i;

	assert_non_null(p);
	for (i = 0; i < DATA_LEN; i++) { /* xorshift: any bytes will do, the same every run */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	return p;
}

static void digests_in_line(const uint8_t *p, size_t len, enum cksum_algo a, struct digests *d)
{
	struct hashset *hs;

	assert_int_equal(hashset_new(a, &hs), S3E_OK);
	hashset_update(hs, p, len);
	hashset_final(hs, d);
	hashset_free(hs);
}

/* Pieces of several sizes, an empty one among them, with CRC32C as the client's checksum. */
static void test_same_digests(void **state)
{
	static const size_t cuts[] = {1, 0, 4095, 65536, 262144, 1000003};
	uint8_t *p = make_data();
	struct digests want, got;
	struct hashset *hs;
	struct hashjob *j;
	size_t off = 0, i = 0, n;
	(void)state;

	digests_in_line(p, DATA_LEN, CKSUM_CRC32C, &want);
	assert_int_equal(hashset_new(CKSUM_CRC32C, &hs), S3E_OK);
	assert_int_equal(hashjob_new(hs, &j), S3E_OK);
	while (off < DATA_LEN) {
		n = cuts[i++ % (sizeof(cuts) / sizeof(cuts[0]))];
		n = n < DATA_LEN - off ? n : DATA_LEN - off;
		hashjob_feed(j, p + off, n);
		hashjob_wait(j);
		off += n;
	}
	hashjob_free(j);
	hashset_final(hs, &got);
	hashset_free(hs);
	assert_memory_equal(got.md5, want.md5, sizeof(want.md5));
	assert_memory_equal(got.sha256, want.sha256, sizeof(want.sha256));
	assert_int_equal(got.extra_len, want.extra_len);
	assert_memory_equal(got.extra, want.extra, want.extra_len);
	free(p);
}

/* hashjob_free waits for a piece still pending; freeing an idle job or NULL is fine. */
static void test_free_pending_and_idle(void **state)
{
	uint8_t *p = make_data();
	struct digests want, got;
	struct hashset *hs;
	struct hashjob *j;
	(void)state;

	digests_in_line(p, DATA_LEN, CKSUM_NONE, &want);
	assert_int_equal(hashset_new(CKSUM_NONE, &hs), S3E_OK);
	assert_int_equal(hashjob_new(hs, &j), S3E_OK);
	hashjob_feed(j, p, DATA_LEN);
	hashjob_free(j); /* no wait first: free must not lose the piece */
	hashset_final(hs, &got);
	assert_memory_equal(got.sha256, want.sha256, sizeof(want.sha256));
	hashset_free(hs);

	assert_int_equal(hashset_new(CKSUM_NONE, &hs), S3E_OK);
	assert_int_equal(hashjob_new(hs, &j), S3E_OK);
	hashjob_wait(j); /* nothing pending */
	hashjob_free(j);
	hashjob_free(NULL);
	hashset_free(hs);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_digests),
	    cmocka_unit_test(test_free_pending_and_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
