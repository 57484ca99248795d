/*
 * Unit tests for common/checksum.c.
 *
 * Expected values: the catalogued check values for "123456789" (CRC RevEng
 * catalogue: CRC-32/ISO-HDLC, CRC-32/ISCSI, CRC-64/NVME), the RFC 3720
 * appendix B.4 CRC32C vectors, FIPS 180 / RFC 1321 digests, and base64
 * header values generated with Python's zlib/hashlib plus a bit-at-a-time
 * CRC written straight from the polynomial definitions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "../../common/checksum.h"

static const char check_input[] = "123456789";

/* Bit-at-a-time reference CRCs, independent of the table code under test. */
static uint64_t ref_crc(const uint8_t *p, size_t len, uint64_t poly, unsigned width)
{
	uint64_t mask = width == 64 ? ~0ull : (1ull << width) - 1;
	uint64_t c = mask;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
	}
	return c ^ mask;
}

static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + 3 + seed * 131 + (i >> 8) * 13);
}

/* base64 of the digest as S3 sends it in x-amz-checksum-*. */
static void b64(const uint8_t *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static void test_check_values(void **state)
{
	(void)state;
	assert_int_equal(crc32_update(0, check_input, 9), 0xCBF43926u);
	assert_int_equal(crc32c_update(0, check_input, 9), 0xE3069283u);
	assert_true(crc64nvme_update(0, check_input, 9) == 0xAE8B14860A799888ull);
	/* Empty input leaves the value unchanged (0 to start, 0 out). */
	assert_int_equal(crc32_update(0, "", 0), 0);
	assert_int_equal(crc32c_update(0x12345678u, NULL, 0), 0x12345678u);
	assert_true(crc64nvme_update(0, NULL, 0) == 0);
}

/* RFC 3720 (iSCSI) appendix B.4 CRC32C examples. */
static void test_crc32c_rfc3720(void **state)
{
	uint8_t buf[32];
	unsigned i;

	(void)state;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(crc32c_update(0, buf, 32), 0x8A9136AAu);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(crc32c_update(0, buf, 32), 0x62A8AB43u);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(crc32c_update(0, buf, 32), 0x46DD794Eu);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	assert_int_equal(crc32c_update(0, buf, 32), 0x113FDB5Cu);
}

struct b64_case {
	const char *input;
	enum cksum_algo algo;
	const char *b64;
};

/* clang-format off */
static const struct b64_case b64_cases[] = {
	{"123456789", CKSUM_CRC32, "y/Q5Jg=="},
	{"123456789", CKSUM_CRC32C, "4waSgw=="},
	{"123456789", CKSUM_CRC64NVME, "rosUhgp5mIg="},
	{"123456789", CKSUM_SHA1, "98O8HYCOBHMq32eZZczDTKeuNEE="},
	{"123456789", CKSUM_SHA256, "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="},
	{"Hello world", CKSUM_CRC32, "i9aeUg=="},
	{"Hello world", CKSUM_CRC32C, "crUfeA=="},
	{"Hello world", CKSUM_CRC64NVME, "OOJZ0D8xKts="},
	{"Hello world", CKSUM_SHA1, "e1AsOh9IyGCa4hLN+2Od7jlnP14="},
	{"Hello world", CKSUM_SHA256, "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw="},
	{"", CKSUM_CRC32, "AAAAAA=="},
	{"", CKSUM_CRC32C, "AAAAAA=="},
	{"", CKSUM_CRC64NVME, "AAAAAAAAAAA="},
	{"", CKSUM_SHA1, "2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
	{"", CKSUM_SHA256, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
	{"a", CKSUM_CRC32, "6Le+Qw=="},
	{"a", CKSUM_CRC32C, "wdBDMA=="},
	{"a", CKSUM_CRC64NVME, "jC+ERbTL/Dw="},
	{"The quick brown fox jumps over the lazy dog", CKSUM_CRC32, "QU+jOQ=="},
	{"The quick brown fox jumps over the lazy dog", CKSUM_CRC32C, "ImIEBA=="},
	{"The quick brown fox jumps over the lazy dog", CKSUM_CRC64NVME, "12xUBUlUwUM="},
};
/* clang-format on */

/* cksum_compute and a hashset both yield the header value S3 clients send. */
static void test_b64_values(void **state)
{
	uint8_t d[CKSUM_MAX_LEN];
	char enc[64];
	struct hashset *h;
	struct digests dg;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(b64_cases) / sizeof(b64_cases[0]); i++) {
		const struct b64_case *c = &b64_cases[i];

		len = strlen(c->input);
		memset(d, 0xAA, sizeof(d));
		cksum_compute(c->algo, c->input, len, d);
		b64(d, cksum_digest_len(c->algo), enc);
		assert_string_equal(enc, c->b64);

		assert_int_equal(hashset_new(c->algo, &h), S3E_OK);
		hashset_update(h, c->input, len);
		hashset_final(h, &dg);
		hashset_free(h);
		assert_int_equal(dg.algo, c->algo);
		assert_int_equal(dg.extra_len, cksum_digest_len(c->algo));
		b64(dg.extra, dg.extra_len, enc);
		assert_string_equal(enc, c->b64);
	}
}

static void test_hashset_md5_sha256(void **state)
{
	static const uint8_t md5_check[16] = {0x25, 0xf9, 0xe7, 0x94, 0x32, 0x3b, 0x45, 0x38,
					      0x85, 0xf5, 0x18, 0x1f, 0x1b, 0x62, 0x4d, 0x0b};
	static const uint8_t md5_empty[16] = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
					      0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e};
	uint8_t sha[32];
	struct hashset *h;
	struct digests d;

	(void)state;
	assert_int_equal(hashset_new(CKSUM_NONE, &h), S3E_OK);
	hashset_update(h, check_input, 9);
	hashset_final(h, &d);
	hashset_free(h);
	assert_memory_equal(d.md5, md5_check, 16);
	cksum_compute(CKSUM_SHA256, check_input, 9, sha);
	assert_memory_equal(d.sha256, sha, 32);
	assert_int_equal(d.algo, CKSUM_NONE);
	assert_int_equal(d.extra_len, 0);

	/* No update at all: digests of the empty body (a 0-byte PUT). */
	assert_int_equal(hashset_new(CKSUM_NONE, &h), S3E_OK);
	hashset_final(h, &d);
	hashset_free(h);
	assert_memory_equal(d.md5, md5_empty, 16);
}

/* Splitting the input at every offset (and in three) never changes a CRC. */
static void test_crc_split_every_offset(void **state)
{
	uint8_t buf[1000];
	uint32_t w32, w32c, a, b;
	uint64_t w64, c64;
	size_t i, j;

	(void)state;
	fill_pattern(buf, sizeof(buf), 1);
	w32 = crc32_update(0, buf, sizeof(buf));
	w32c = crc32c_update(0, buf, sizeof(buf));
	w64 = crc64nvme_update(0, buf, sizeof(buf));
	assert_int_equal(w32, 0xEECDCFFAu);
	assert_int_equal(w32c, 0x8E4D4204u);
	assert_true(w64 == 0x02E0BD060D2D82F8ull);
	for (i = 0; i <= sizeof(buf); i++) {
		a = crc32_update(crc32_update(0, buf, i), buf + i, sizeof(buf) - i);
		assert_int_equal(a, w32);
		b = crc32c_update(crc32c_update(0, buf, i), buf + i, sizeof(buf) - i);
		assert_int_equal(b, w32c);
		c64 = crc64nvme_update(crc64nvme_update(0, buf, i), buf + i, sizeof(buf) - i);
		assert_true(c64 == w64);
	}
	for (i = 0; i <= 40; i++) {
		for (j = i; j <= 40; j++) {
			a = crc32c_update(0, buf, i);
			a = crc32c_update(a, buf + i, j - i);
			a = crc32c_update(a, buf + j, 40 - j);
			assert_int_equal(a, crc32c_update(0, buf, 40));
			c64 = crc64nvme_update(0, buf, i);
			c64 = crc64nvme_update(c64, buf + i, j - i);
			c64 = crc64nvme_update(c64, buf + j, 40 - j);
			assert_true(c64 == crc64nvme_update(0, buf, 40));
		}
	}
}

/* Every length and alignment 0..63 matches the bit-at-a-time definition. */
static void test_crc_vs_reference(void **state)
{
	uint8_t buf[256];
	size_t off, len;

	(void)state;
	fill_pattern(buf, sizeof(buf), 7);
	for (off = 0; off < 8; off++) {
		for (len = 0; len < 64; len++) {
			const uint8_t *p = buf + off;

			assert_int_equal(crc32_update(0, p, len),
					 (uint32_t)ref_crc(p, len, 0xEDB88320u, 32));
			assert_int_equal(crc32c_update(0, p, len),
					 (uint32_t)ref_crc(p, len, 0x82F63B78u, 32));
			assert_true(crc64nvme_update(0, p, len) ==
				    ref_crc(p, len, 0x9A6C9329AC4BC9B5ull, 64));
		}
	}
}

/* A hashset fed in two pieces equals the one-shot digests, for every algorithm. */
static void test_hashset_split(void **state)
{
	static const enum cksum_algo algos[] = {CKSUM_NONE,	 CKSUM_CRC32, CKSUM_CRC32C,
						CKSUM_CRC64NVME, CKSUM_SHA1,  CKSUM_SHA256};
	uint8_t buf[300];
	struct hashset *h;
	struct digests whole, part;
	uint8_t one[CKSUM_MAX_LEN];
	size_t a, i;

	(void)state;
	fill_pattern(buf, sizeof(buf), 3);
	for (a = 0; a < sizeof(algos) / sizeof(algos[0]); a++) {
		assert_int_equal(hashset_new(algos[a], &h), S3E_OK);
		hashset_update(h, buf, sizeof(buf));
		hashset_final(h, &whole);
		hashset_free(h);
		if (algos[a] != CKSUM_NONE) {
			cksum_compute(algos[a], buf, sizeof(buf), one);
			assert_memory_equal(whole.extra, one, cksum_digest_len(algos[a]));
		}
		cksum_compute(CKSUM_SHA256, buf, sizeof(buf), one);
		assert_memory_equal(whole.sha256, one, 32);
		for (i = 0; i <= sizeof(buf); i++) {
			assert_int_equal(hashset_new(algos[a], &h), S3E_OK);
			hashset_update(h, buf, i);
			hashset_update(h, buf + i, sizeof(buf) - i);
			hashset_final(h, &part);
			hashset_free(h);
			assert_memory_equal(part.md5, whole.md5, 16);
			assert_memory_equal(part.sha256, whole.sha256, 32);
			assert_int_equal(part.extra_len, whole.extra_len);
			assert_memory_equal(part.extra, whole.extra, whole.extra_len);
		}
	}
}

/* After final, updates are ignored and final repeats the same digests. */
static void test_hashset_final_twice(void **state)
{
	struct hashset *h;
	struct digests d1, d2;

	(void)state;
	assert_int_equal(hashset_new(CKSUM_CRC32, &h), S3E_OK);
	hashset_update(h, check_input, 9);
	hashset_final(h, &d1);
	hashset_update(h, "more", 4);
	hashset_final(h, &d2);
	hashset_free(h);
	assert_memory_equal(&d1.md5, &d2.md5, 16);
	assert_memory_equal(&d1.sha256, &d2.sha256, 32);
	assert_memory_equal(d1.extra, d2.extra, 4);
	assert_memory_equal(d1.extra, "\xcb\xf4\x39\x26", 4);
}

static void test_hashset_bad_algo(void **state)
{
	struct hashset *h = (struct hashset *)(uintptr_t)0x1;

	(void)state;
	assert_int_equal(hashset_new((enum cksum_algo)99, &h), S3E_InternalError);
	assert_true(h == (struct hashset *)(uintptr_t)0x1); /* untouched on error */
	hashset_free(NULL);
}

struct name_case {
	enum cksum_algo algo;
	const char *name;
	const char *header;
	size_t len;
};

/* clang-format off */
static const struct name_case name_cases[] = {
	{CKSUM_CRC32, "CRC32", "x-amz-checksum-crc32", 4},
	{CKSUM_CRC32C, "CRC32C", "x-amz-checksum-crc32c", 4},
	{CKSUM_CRC64NVME, "CRC64NVME", "x-amz-checksum-crc64nvme", 8},
	{CKSUM_SHA1, "SHA1", "x-amz-checksum-sha1", 20},
	{CKSUM_SHA256, "SHA256", "x-amz-checksum-sha256", 32},
};
/* clang-format on */

static void upcase(char *dst, const char *src, size_t cap, int mode)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < cap; i++) {
		char c = src[i];

		if (mode == 1 && c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (mode == 2 && c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (mode == 3 && (i % 2) && c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		dst[i] = c;
	}
	dst[i] = '\0';
}

static void test_names(void **state)
{
	char tmp[64];
	size_t i;
	int mode;

	(void)state;
	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		const struct name_case *c = &name_cases[i];

		assert_string_equal(cksum_algo_name(c->algo), c->name);
		assert_string_equal(cksum_header_name(c->algo), c->header);
		assert_int_equal(cksum_digest_len(c->algo), c->len);
		assert_true(c->len <= CKSUM_MAX_LEN);
		for (mode = 0; mode < 4; mode++) {
			upcase(tmp, c->name, sizeof(tmp), mode);
			assert_int_equal(cksum_algo_from_name(tmp), c->algo);
			upcase(tmp, c->header, sizeof(tmp), mode);
			assert_int_equal(cksum_algo_from_header(tmp), c->algo);
		}
		/* A name is not a header and vice versa. */
		assert_int_equal(cksum_algo_from_header(c->name), CKSUM_NONE);
		assert_int_equal(cksum_algo_from_name(c->header), CKSUM_NONE);
	}
	assert_string_equal(cksum_algo_name(CKSUM_NONE), "");
	assert_null(cksum_header_name(CKSUM_NONE));
	assert_int_equal(cksum_digest_len(CKSUM_NONE), 0);
	assert_string_equal(cksum_algo_name((enum cksum_algo)42), "");
	assert_null(cksum_header_name((enum cksum_algo)42));
}

static void test_names_unknown(void **state)
{
	/* clang-format off */
	static const char *const bad_names[] = {
		"", "CRC", "CRC33", "CRC32 ", " CRC32", "CRC32CC", "CRC64", "SHA-256",
		"SHA-1", "MD5", "NONE", "crc32\x01", "\xc3\x89" "CRC32",
	};
	static const char *const bad_headers[] = {
		"", "x-amz-checksum-", "x-amz-checksum-algorithm", "x-amz-checksum-type",
		"x-amz-checksum-mode", "x-amz-checksum-md5", "x-amz-checksum-crc32 ",
		"x-amz-checksum-crc3", "x-amz-checksum-sha256x", "content-md5",
		"x-amz-sdk-checksum-algorithm",
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		assert_int_equal(cksum_algo_from_name(bad_names[i]), CKSUM_NONE);
	for (i = 0; i < sizeof(bad_headers) / sizeof(bad_headers[0]); i++)
		assert_int_equal(cksum_algo_from_header(bad_headers[i]), CKSUM_NONE);
	assert_int_equal(cksum_algo_from_name(NULL), CKSUM_NONE);
	assert_int_equal(cksum_algo_from_header(NULL), CKSUM_NONE);
}

/* A large buffer (slicing loop dominates) agrees with the bitwise reference. */
static void test_crc_large(void **state)
{
	size_t n = 1u << 20;
	uint8_t *buf = malloc(n);

	(void)state;
	assert_non_null(buf);
	fill_pattern(buf, n, 11);
	assert_int_equal(crc32_update(0, buf, n), (uint32_t)ref_crc(buf, n, 0xEDB88320u, 32));
	assert_int_equal(crc32c_update(0, buf, n), (uint32_t)ref_crc(buf, n, 0x82F63B78u, 32));
	assert_true(crc64nvme_update(0, buf, n) == ref_crc(buf, n, 0x9A6C9329AC4BC9B5ull, 64));
	free(buf);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_values),
		cmocka_unit_test(test_crc32c_rfc3720),
		cmocka_unit_test(test_b64_values),
		cmocka_unit_test(test_hashset_md5_sha256),
		cmocka_unit_test(test_crc_split_every_offset),
		cmocka_unit_test(test_crc_vs_reference),
		cmocka_unit_test(test_hashset_split),
		cmocka_unit_test(test_hashset_final_twice),
		cmocka_unit_test(test_hashset_bad_algo),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_names_unknown),
		cmocka_unit_test(test_crc_large),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
