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
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../../common/checksum.h"
#include "../../common/limits.h"

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

/* ---- combining CRCs ---- */

/* xorshift64: deterministic data and split points, so a failure reproduces. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct crcs {
	uint32_t c32, c32c;
	uint64_t c64;
};

static void crcs_of(const uint8_t *p, size_t n, struct crcs *c)
{
	c->c32 = crc32_update(0, p, n);
	c->c32c = crc32c_update(0, p, n);
	c->c64 = crc64nvme_update(0, p, n);
}

/* combine(crc(A), crc(B), len(B)) == crc(A || B) for every split tried. */
static void check_split(const uint8_t *buf, size_t n, size_t i, const struct crcs *whole)
{
	struct crcs a, b;

	crcs_of(buf, i, &a);
	crcs_of(buf + i, n - i, &b);
	if (crc32_combine(a.c32, b.c32, n - i) != whole->c32 ||
	    crc32c_combine(a.c32c, b.c32c, n - i) != whole->c32c ||
	    crc64nvme_combine(a.c64, b.c64, n - i) != whole->c64)
		fail_msg("combine wrong for a split of %zu bytes at %zu", n, i);
}

static void test_combine_splits(void **state)
{
	size_t n = (4u << 20) + 13, i, k, off, len;
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	uint8_t *buf = malloc(n);
	struct crcs whole, small, acc, part;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(rnd(&seed) >> 56);
	crcs_of(buf, n, &whole);
	/* Empty A, empty B, one byte either side, and random splits up to 4 MiB. */
	check_split(buf, n, 0, &whole);
	check_split(buf, n, n, &whole);
	check_split(buf, n, 1, &whole);
	check_split(buf, n, n - 1, &whole);
	for (k = 0; k < 12; k++)
		check_split(buf, n, (size_t)(rnd(&seed) % (n + 1)), &whole);
	/* Every split of a short prefix (lengths below one slicing step and above). */
	for (len = 0; len <= 40; len++) {
		crcs_of(buf, len, &small);
		for (i = 0; i <= len; i++)
			check_split(buf, len, i, &small);
	}
	/* Many parts of random sizes (some empty) folded left, as a multipart upload does. */
	memset(&acc, 0, sizeof(acc)); /* the CRC of nothing */
	for (off = 0; off < n; off += len) {
		len = (size_t)(rnd(&seed) % (300u * 1024));
		if (len > n - off)
			len = n - off;
		crcs_of(buf + off, len, &part);
		acc.c32 = crc32_combine(acc.c32, part.c32, len);
		acc.c32c = crc32c_combine(acc.c32c, part.c32c, len);
		acc.c64 = crc64nvme_combine(acc.c64, part.c64, len);
	}
	assert_int_equal(acc.c32, whole.c32);
	assert_int_equal(acc.c32c, whole.c32c);
	assert_true(acc.c64 == whole.c64);
	free(buf);
}

/*
 * len_b of 5 GiB (the largest part) and beyond: the expected values come
 * from polynomial arithmetic in Python (see the generator above
 * test_mpck_values), and the cost must not grow with len_b.
 */
static void test_combine_large_len(void **state)
{
	const uint64_t five_gib = 5ull << 30, l1 = 3ull << 40, l2 = five_gib + 7;
	uint32_t a32 = crc32_update(0, check_input, 9), a32c = crc32c_update(0, check_input, 9);
	uint64_t a64 = crc64nvme_update(0, check_input, 9), x = 0;
	struct timespec t0, t1;
	double secs;
	unsigned i;

	(void)state;
	assert_int_equal(crc32_combine(a32, 0x193838C3u, five_gib), 0x2D89A4B2u);
	assert_int_equal(crc32c_combine(a32c, 0x2CC5F6D6u, five_gib), 0x46C8166Cu);
	assert_true(crc64nvme_combine(a64, 0xCE36FE0285569D20ull, five_gib) ==
		    0x74698F03689B9A52ull);
	/* A empty: crc(B) unchanged; B empty: crc(A) unchanged. */
	assert_int_equal(crc32_combine(0, 0x193838C3u, five_gib), 0x193838C3u);
	assert_int_equal(crc32c_combine(a32c, 0, 0), a32c);
	assert_true(crc64nvme_combine(a64, 0, 0) == a64);
	/* combine is associative, at lengths no buffer could hold. */
	assert_int_equal(crc32_combine(crc32_combine(a32, 0x12345678u, l1), 0x9abcdef0u, l2),
			 crc32_combine(a32, crc32_combine(0x12345678u, 0x9abcdef0u, l2), l1 + l2));
	assert_true(
	    crc64nvme_combine(crc64nvme_combine(a64, 0x1122334455667788ull, l1),
			      0x99aabbccddeeff00ull, l2) ==
	    crc64nvme_combine(
		a64, crc64nvme_combine(0x1122334455667788ull, 0x99aabbccddeeff00ull, l2), l1 + l2));
	/* O(log n): 3000 combines at the largest lengths take well under 2 s. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 1000; i++) {
		x ^= crc32_combine((uint32_t)x, i, UINT64_MAX - i);
		x ^= crc32c_combine((uint32_t)x, i, five_gib + i);
		x ^= crc64nvme_combine(x, i, UINT64_MAX - i);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (secs > 2.0)
		fail_msg("3000 combines took %.2f s (x=%llx)", secs, (unsigned long long)x);
}

/* ---- multipart object checksums ---- */

static void test_cksum_types(void **state)
{
	static const struct {
		enum cksum_algo algo;
		bool composite, full_object;
		enum cksum_type dflt;
	} rows[] = {
	    {CKSUM_CRC32, true, true, CKSUM_TYPE_COMPOSITE},
	    {CKSUM_CRC32C, true, true, CKSUM_TYPE_COMPOSITE},
	    {CKSUM_CRC64NVME, false, true, CKSUM_TYPE_FULL_OBJECT},
	    {CKSUM_SHA1, true, false, CKSUM_TYPE_COMPOSITE},
	    {CKSUM_SHA256, true, false, CKSUM_TYPE_COMPOSITE},
	    {CKSUM_NONE, false, false, CKSUM_TYPE_NONE},
	    {(enum cksum_algo)42, false, false, CKSUM_TYPE_NONE},
	};
	static const char *const bad[] = {
	    "", "composite", "Composite", "FULL-OBJECT", "FULL_OBJECT ", "FULLOBJECT", "NONE"};
	struct mp_checksum m;
	size_t i;

	(void)state;
	assert_int_equal(cksum_type_from_name("COMPOSITE"), CKSUM_TYPE_COMPOSITE);
	assert_int_equal(cksum_type_from_name("FULL_OBJECT"), CKSUM_TYPE_FULL_OBJECT);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cksum_type_from_name(bad[i]), CKSUM_TYPE_NONE);
	assert_int_equal(cksum_type_from_name(NULL), CKSUM_TYPE_NONE);
	assert_string_equal(cksum_type_name(CKSUM_TYPE_COMPOSITE), "COMPOSITE");
	assert_string_equal(cksum_type_name(CKSUM_TYPE_FULL_OBJECT), "FULL_OBJECT");
	assert_string_equal(cksum_type_name(CKSUM_TYPE_NONE), "");
	assert_string_equal(cksum_type_name((enum cksum_type)9), "");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(cksum_default_type(rows[i].algo), rows[i].dflt);
		assert_int_equal(cksum_type_allowed(rows[i].algo, CKSUM_TYPE_COMPOSITE),
				 rows[i].composite);
		assert_int_equal(cksum_type_allowed(rows[i].algo, CKSUM_TYPE_FULL_OBJECT),
				 rows[i].full_object);
		assert_false(cksum_type_allowed(rows[i].algo, CKSUM_TYPE_NONE));
		/* The default is always allowed. */
		if (rows[i].dflt != CKSUM_TYPE_NONE)
			assert_true(cksum_type_allowed(rows[i].algo, rows[i].dflt));
		assert_int_equal(mpck_init(&m, rows[i].algo, CKSUM_TYPE_COMPOSITE),
				 rows[i].composite ? S3E_OK : S3E_InvalidRequest);
		mpck_free(&m);
		assert_int_equal(mpck_init(&m, rows[i].algo, CKSUM_TYPE_FULL_OBJECT),
				 rows[i].full_object ? S3E_OK : S3E_InvalidRequest);
		mpck_free(&m);
		mpck_free(&m); /* twice is harmless */
	}
	mpck_free(NULL);
}

/*
 * Expected values for the 3-part upload below, generated offline with
 * Python's zlib/hashlib and a bit-at-a-time CRC written from the polynomial
 * definitions (python3 gen.py, where gen.py is):
 *
 *   import base64, hashlib, zlib
 *   def crc(data, poly, w):  # reflected, init = xorout = all ones
 *       m = (1 << w) - 1; c = m
 *       for b in data:
 *           c ^= b
 *           for _ in range(8):
 *               c = (c >> 1) ^ poly if c & 1 else c >> 1
 *       return c ^ m
 *   C32, C32C, C64 = (0xEDB88320, 32), (0x82F63B78, 32), (0x9A6C9329AC4BC9B5, 64)
 *   assert crc(b"123456789", *C32) == zlib.crc32(b"123456789")
 *   assert crc(b"123456789", *C32C) == 0xE3069283
 *   assert crc(b"123456789", *C64) == 0xAE8B14860A799888
 *   be = lambda v, w: v.to_bytes(w // 8, "big")
 *   b64 = lambda b: base64.b64encode(b).decode()
 *   parts = [b"The quick brown fox ", b"jumps over ", b"the lazy dog"]
 *   for name, (poly, w) in (("CRC32", C32), ("CRC32C", C32C)):
 *       cat = b"".join(be(crc(p, poly, w), w) for p in parts)
 *       print(name, "COMPOSITE", b64(be(crc(cat, poly, w), w)) + "-3")
 *   for name, h in (("SHA1", hashlib.sha1), ("SHA256", hashlib.sha256)):
 *       cat = b"".join(h(p).digest() for p in parts)
 *       print(name, "COMPOSITE", b64(h(cat).digest()) + "-3")
 *   for name, (poly, w) in (("CRC32", C32), ("CRC32C", C32C), ("CRC64NVME", C64)):
 *       print(name, "FULL_OBJECT", b64(be(crc(b"".join(parts), poly, w), w)))
 *   # crc(A || n zero bytes) from crc(A): zero bytes multiply the raw register
 *   # by x^(8n) mod P; done here in the non-reflected form, by square-and-multiply.
 *   def rev(v, w): return int(format(v, "0%db" % w)[::-1], 2)
 *   def mulmod(a, b, p, w):
 *       r = 0
 *       while b:
 *           if b & 1: r ^= a
 *           b >>= 1; a <<= 1
 *           if a >> w & 1: a ^= p
 *       return r
 *   def zeros_after(c, n, poly, w):
 *       m = (1 << w) - 1; p = (1 << w) | rev(poly, w); r = rev(c ^ m, w); e = 8 * n; x = 2
 *       while e:
 *           if e & 1: r = mulmod(r, x, p, w)
 *           x = mulmod(x, x, p, w); e >>= 1
 *       return rev(r, w) ^ m
 *   for n in (0, 1, 1000, 4096, 1 << 26):
 *       assert zeros_after(crc(b"12", *C32), n, *C32) == zlib.crc32(b"12" + bytes(n))
 *   for name, (poly, w) in (("CRC32", C32), ("CRC32C", C32C), ("CRC64NVME", C64)):
 *       print(name, "0x%X" % zeros_after(0, 5 << 30, poly, w),
 *             "0x%X" % zeros_after(crc(b"123456789", poly, w), 5 << 30, poly, w))
 *
 * The FULL_OBJECT values equal the one-shot values of the whole sentence in
 * b64_cases, as they must.
 */
struct mp_case {
	enum cksum_algo algo;
	enum cksum_type type;
	const char *want;
};

/* clang-format off */
static const struct mp_case mp_cases[] = {
	{CKSUM_CRC32, CKSUM_TYPE_COMPOSITE, "xU/lUQ==-3"},
	{CKSUM_CRC32C, CKSUM_TYPE_COMPOSITE, "jbcjnA==-3"},
	{CKSUM_SHA1, CKSUM_TYPE_COMPOSITE, "35CNe/xk6dFHFPTTHUlYdG67E18=-3"},
	{CKSUM_SHA256, CKSUM_TYPE_COMPOSITE, "zaqbqwxblBztGfNY1qTEjrTPj3X1KS6Vofi9Umh9oHU=-3"},
	{CKSUM_CRC32, CKSUM_TYPE_FULL_OBJECT, "QU+jOQ=="},
	{CKSUM_CRC32C, CKSUM_TYPE_FULL_OBJECT, "ImIEBA=="},
	{CKSUM_CRC64NVME, CKSUM_TYPE_FULL_OBJECT, "12xUBUlUwUM="},
};
/* clang-format on */

static const char *const mp_parts[] = {"The quick brown fox ", "jumps over ", "the lazy dog"};

static void test_mpck_values(void **state)
{
	const char *whole = "The quick brown fox jumps over the lazy dog";
	uint8_t d[CKSUM_MAX_LEN];
	char out[STRATA_CHECKSUM_B64_MAX], one[64];
	struct mp_checksum m;
	size_t i, p;

	(void)state;
	for (i = 0; i < sizeof(mp_cases) / sizeof(mp_cases[0]); i++) {
		const struct mp_case *c = &mp_cases[i];

		assert_int_equal(mpck_init(&m, c->algo, c->type), S3E_OK);
		for (p = 0; p < 3; p++) {
			cksum_compute(c->algo, mp_parts[p], strlen(mp_parts[p]), d);
			mpck_add_part(&m, d, strlen(mp_parts[p]));
		}
		memset(out, 'x', sizeof(out));
		mpck_final(&m, out, sizeof(out));
		assert_string_equal(out, c->want);
		/* FULL_OBJECT over the parts is the one-shot CRC of the whole object. */
		if (c->type == CKSUM_TYPE_FULL_OBJECT) {
			cksum_compute(c->algo, whole, strlen(whole), d);
			b64(d, cksum_digest_len(c->algo), one);
			assert_string_equal(out, one);
		}
		/* mpck_final freed m: another final or free is harmless and writes "". */
		mpck_final(&m, out, sizeof(out));
		assert_string_equal(out, "");
		mpck_free(&m);
	}
}

/* FULL_OBJECT over many parts of a large object, empty parts included. */
static void test_mpck_full_object_many_parts(void **state)
{
	static const enum cksum_algo algos[] = {CKSUM_CRC32, CKSUM_CRC32C, CKSUM_CRC64NVME};
	size_t n = 3u << 20, off, len, a;
	uint64_t seed = 12345;
	uint8_t *buf = malloc(n), d[CKSUM_MAX_LEN];
	char out[STRATA_CHECKSUM_B64_MAX], one[64];
	struct mp_checksum m;
	unsigned parts;

	(void)state;
	assert_non_null(buf);
	fill_pattern(buf, n, 5);
	for (a = 0; a < sizeof(algos) / sizeof(algos[0]); a++) {
		assert_int_equal(mpck_init(&m, algos[a], CKSUM_TYPE_FULL_OBJECT), S3E_OK);
		parts = 0;
		for (off = 0; off < n || parts < 3; off += len, parts++) {
			len = parts == 1 ? 0 : (size_t)(rnd(&seed) % (n / 4));
			if (len > n - off)
				len = n - off;
			cksum_compute(algos[a], buf + off, len, d);
			mpck_add_part(&m, d, len);
		}
		assert_int_equal(m.parts, parts);
		mpck_final(&m, out, sizeof(out));
		cksum_compute(algos[a], buf, n, d);
		b64(d, cksum_digest_len(algos[a]), one);
		assert_string_equal(out, one); /* no "-N" on a full-object checksum */
	}
	free(buf);
}

/* A composite checksum names its part count; a short buffer gets "" and m is still freed. */
static void test_mpck_composite_count_and_cap(void **state)
{
	uint8_t d[CKSUM_MAX_LEN];
	char out[STRATA_CHECKSUM_B64_MAX];
	struct mp_checksum m;
	unsigned i;

	(void)state;
	assert_int_equal(mpck_init(&m, CKSUM_SHA256, CKSUM_TYPE_COMPOSITE), S3E_OK);
	for (i = 0; i < STRATA_MAX_PARTS; i++) {
		cksum_compute(CKSUM_SHA256, &i, sizeof(i), d);
		mpck_add_part(&m, d, sizeof(i));
	}
	mpck_final(&m, out, sizeof(out));
	assert_int_equal(strlen(out), 44 + 6);
	assert_string_equal(out + 44, "-10000");

	/* One part: "-1"; the text needs 44 + 2 + NUL bytes. */
	cksum_compute(CKSUM_SHA256, "x", 1, d);
	assert_int_equal(mpck_init(&m, CKSUM_SHA256, CKSUM_TYPE_COMPOSITE), S3E_OK);
	mpck_add_part(&m, d, 1);
	memset(out, 'x', sizeof(out));
	mpck_final(&m, out, 46); /* one byte short: nothing, not a truncated value */
	assert_string_equal(out, "");
	assert_null(m.hs);
	assert_int_equal(mpck_init(&m, CKSUM_SHA256, CKSUM_TYPE_COMPOSITE), S3E_OK);
	mpck_add_part(&m, d, 1);
	mpck_final(&m, out, 47);
	assert_int_equal(strlen(out), 46);
	assert_string_equal(out + 44, "-1");

	/* A refused init leaves nothing to add to or finish. */
	assert_int_equal(mpck_init(&m, CKSUM_SHA1, CKSUM_TYPE_FULL_OBJECT), S3E_InvalidRequest);
	mpck_add_part(&m, d, 1);
	memset(out, 'x', sizeof(out));
	mpck_final(&m, out, sizeof(out));
	assert_string_equal(out, "");
}

/*
 * HMAC-SHA256: RFC 4231 test cases 1, 2, 4, 6 and 7 (6 and 7 have a 131-byte
 * key, which RFC 2104 hashes first), checked against OpenSSL's own HMAC too.
 */
static void test_hmac_sha256_rfc4231(void **state)
{
	static const struct {
		const char *key_hex, *msg, *mac_hex;
	} cases[] = {
	    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
	     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	    {"4a656665", "what do ya want for nothing?",
	     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	    {"0102030405060708090a0b0c0d0e0f10111213141516171819", NULL,
	     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
	    {NULL, "Test Using Larger Than Block-Size Key - Hash Key First",
	     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	    {NULL,
	     "This is a test using a larger than block-size key and a larger than block-size "
	     "data. The key needs to be hashed before being used by the HMAC algorithm.",
	     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	};
	uint8_t key[131], msg[200], mac[32], ref[EVP_MAX_MD_SIZE];
	char hex[65];
	size_t i, k, klen, mlen;
	unsigned int rlen;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].key_hex) {
			klen = strlen(cases[i].key_hex) / 2;
			for (k = 0; k < klen; k++) {
				char b[3] = {cases[i].key_hex[2 * k], cases[i].key_hex[2 * k + 1],
					     0};
				key[k] = (uint8_t)strtoul(b, NULL, 16);
			}
		} else {
			klen = sizeof(key);
			memset(key, 0xaa, klen);
		}
		if (cases[i].msg) {
			mlen = strlen(cases[i].msg);
			memcpy(msg, cases[i].msg, mlen);
		} else {
			mlen = 50;
			memset(msg, 0xcd, mlen);
		}
		assert_true(cksum_hmac_sha256(key, klen, msg, mlen, mac));
		for (k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", mac[k]);
		assert_string_equal(hex, cases[i].mac_hex);
		assert_non_null(HMAC(EVP_sha256(), key, (int)klen, msg, mlen, ref, &rlen));
		assert_memory_equal(mac, ref, 32);
	}
	assert_non_null(cksum_md_sha256());
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
		cmocka_unit_test(test_combine_splits),
		cmocka_unit_test(test_combine_large_len),
		cmocka_unit_test(test_cksum_types),
		cmocka_unit_test(test_mpck_values),
		cmocka_unit_test(test_mpck_full_object_many_parts),
		cmocka_unit_test(test_mpck_composite_count_and_cap),
		cmocka_unit_test(test_hmac_sha256_rfc4231),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
