/*
 * checksum: streaming digests for uploads.
 *
 * The three CRCs use slicing-by-8: eight 256-entry tables let the loop fold
 * eight input bytes per step instead of one, which is what keeps a CRC on a
 * multi-gigabyte PUT from costing more than the disk write. The tables are
 * computed once (pthread_once) and never written again, so they are shared
 * by every thread without locks. Input words are assembled byte by byte, so
 * the code is correct on any endianness.
 *
 * crc(A || B) is computed from crc(A), crc(B) and len(B) alone by
 * multiplying crc(A) by x^(8 * len(B)) modulo the CRC polynomial (zlib's
 * crc32_combine method): that is how a multipart upload's FULL_OBJECT
 * checksum is built from its parts' CRCs without reading the parts again.
 *
 * MD5, SHA-1 and SHA-256 come from OpenSSL; the EVP_MD objects are fetched
 * once at the same time (explicit fetching avoids a provider lookup per
 * upload) and live for the whole process.
 */
#include "checksum.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "limits.h"
#include "strutil.h"

#define POLY_CRC32 0xEDB88320u
#define POLY_CRC32C 0x82F63B78u
#define POLY_CRC64NVME 0x9A6C9329AC4BC9B5ull

static uint32_t crc32_tab[8][256];
static uint32_t crc32c_tab[8][256];
static uint64_t crc64_tab[8][256];

/*
 * x2n_k[i] = x^(2^i) mod P for the CRC k (reflected, see multmodp). A 64-bit
 * len_b is 8 * len_b bits, i.e. bits 3..66 of the exponent: 67 entries make
 * every shift a table lookup, with no assumption about the period of x^(2^i).
 */
#define X2N_ENTRIES 67
static uint64_t x2n_crc32[X2N_ENTRIES];
static uint64_t x2n_crc32c[X2N_ENTRIES];
static uint64_t x2n_crc64[X2N_ENTRIES];

static EVP_MD *md_md5;
static EVP_MD *md_sha1;
static EVP_MD *md_sha256;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/*
 * Table k maps a byte b to the CRC contribution of b followed by k zero
 * bytes; the slicing loop XORs eight such lookups to advance eight bytes.
 */
static void make_tab32(uint32_t tab[8][256], uint32_t poly)
{
	uint32_t c;
	unsigned i, j, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
		tab[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			tab[k][i] = (tab[k - 1][i] >> 8) ^ tab[0][tab[k - 1][i] & 0xff];
}

static void make_tab64(uint64_t tab[8][256], uint64_t poly)
{
	uint64_t c;
	unsigned i, j, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
		tab[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			tab[k][i] = (tab[k - 1][i] >> 8) ^ tab[0][tab[k - 1][i] & 0xff];
}

/*
 * a * b mod P over GF(2), for a reflected CRC of `width` bits: bit width-1
 * holds the coefficient of x^0 and bit 0 that of x^(width-1), as in the
 * CRC register itself. Walks a from x^0 upwards, adding b * x^i when a has
 * x^i, and steps b to b * x (a shift right, reduced by poly) in between.
 */
static uint64_t multmodp(uint64_t a, uint64_t b, uint64_t poly, unsigned width)
{
	uint64_t m, p = 0;

	for (m = 1ull << (width - 1); m; m >>= 1) {
		if (a & m) {
			p ^= b;
			if ((a & (m - 1)) == 0)
				break;
		}
		b = (b & 1) ? (b >> 1) ^ poly : b >> 1;
	}
	return p;
}

/* Fills tab[i] = x^(2^i) mod P by repeated squaring from x^1. */
static void make_x2n(uint64_t *tab, uint64_t poly, unsigned width)
{
	uint64_t p = 1ull << (width - 2); /* x^1 */
	unsigned i;

	tab[0] = p;
	for (i = 1; i < X2N_ENTRIES; i++)
		tab[i] = p = multmodp(p, p, poly, width);
}

static void init_all(void)
{
	make_tab32(crc32_tab, POLY_CRC32);
	make_tab32(crc32c_tab, POLY_CRC32C);
	make_tab64(crc64_tab, POLY_CRC64NVME);
	make_x2n(x2n_crc32, POLY_CRC32, 32);
	make_x2n(x2n_crc32c, POLY_CRC32C, 32);
	make_x2n(x2n_crc64, POLY_CRC64NVME, 64);
	/* A NULL here (e.g. MD5 refused by a FIPS-only provider) fails hashset_new. */
	md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void ensure_init(void)
{
	pthread_once(&init_once, init_all);
}

/* ---- names ---- */

struct algo_row {
	enum cksum_algo algo;
	const char *name;   /* x-amz-checksum-algorithm spelling */
	const char *header; /* lowercase header name */
	size_t len;	    /* digest bytes */
};

/* clang-format off */
static const struct algo_row algo_rows[] = {
	{CKSUM_CRC32, "CRC32", "x-amz-checksum-crc32", 4},
	{CKSUM_CRC32C, "CRC32C", "x-amz-checksum-crc32c", 4},
	{CKSUM_CRC64NVME, "CRC64NVME", "x-amz-checksum-crc64nvme", 8},
	{CKSUM_SHA1, "SHA1", "x-amz-checksum-sha1", 20},
	{CKSUM_SHA256, "SHA256", "x-amz-checksum-sha256", 32},
};
/* clang-format on */

#define N_ALGOS (sizeof(algo_rows) / sizeof(algo_rows[0]))

/* ASCII-only case folding: the locale must not change how a header matches. */
static bool ascii_ieq(const char *a, const char *b)
{
	unsigned char ca, cb;

	for (;; a++, b++) {
		ca = (unsigned char)*a;
		cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca + 32);
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb + 32);
		if (ca != cb)
			return false;
		if (!ca)
			return true;
	}
}

static const struct algo_row *row_of(enum cksum_algo a)
{
	size_t i;

	for (i = 0; i < N_ALGOS; i++)
		if (algo_rows[i].algo == a)
			return &algo_rows[i];
	return NULL;
}

/* Maps an x-amz-checksum-algorithm value to its enum; NONE for NULL or unknown names. */
enum cksum_algo cksum_algo_from_name(const char *name)
{
	size_t i;

	if (!name)
		return CKSUM_NONE;
	for (i = 0; i < N_ALGOS; i++)
		if (ascii_ieq(name, algo_rows[i].name))
			return algo_rows[i].algo;
	return CKSUM_NONE;
}

/* The canonical upper-case name; "" for NONE or an out-of-range value. */
const char *cksum_algo_name(enum cksum_algo a)
{
	const struct algo_row *r = row_of(a);

	return r ? r->name : "";
}

/* The lowercase x-amz-checksum-* header; NULL for NONE. */
const char *cksum_header_name(enum cksum_algo a)
{
	const struct algo_row *r = row_of(a);

	return r ? r->header : NULL;
}

/* Maps a header name (any case) to its algorithm; NONE for NULL or other headers. */
enum cksum_algo cksum_algo_from_header(const char *header)
{
	size_t i;

	if (!header)
		return CKSUM_NONE;
	for (i = 0; i < N_ALGOS; i++)
		if (ascii_ieq(header, algo_rows[i].header))
			return algo_rows[i].algo;
	return CKSUM_NONE;
}

/* Digest length in bytes; 0 for NONE. */
size_t cksum_digest_len(enum cksum_algo a)
{
	const struct algo_row *r = row_of(a);

	return r ? r->len : 0;
}

/* ---- CRCs ---- */

static uint32_t crc32_slice8(const uint32_t tab[8][256], uint32_t crc, const uint8_t *p, size_t len)
{
	uint32_t lo, hi;

	crc = ~crc;
	while (len >= 8) {
		lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			    (uint32_t)p[3] << 24);
		hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
		     (uint32_t)p[7] << 24;
		crc = tab[7][lo & 0xff] ^ tab[6][(lo >> 8) & 0xff] ^ tab[5][(lo >> 16) & 0xff] ^
		      tab[4][lo >> 24] ^ tab[3][hi & 0xff] ^ tab[2][(hi >> 8) & 0xff] ^
		      tab[1][(hi >> 16) & 0xff] ^ tab[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ tab[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

/*
 * CRC32 (ISO-HDLC, zlib's crc32()). crc is the finished value of the data so
 * far (0 to start); returns the finished value including data[0..len).
 */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
	ensure_init();
	return crc32_slice8(crc32_tab, crc, data, len);
}

/* CRC32C (Castagnoli); chains like crc32_update. */
uint32_t crc32c_update(uint32_t crc, const void *data, size_t len)
{
	ensure_init();
	return crc32_slice8(crc32c_tab, crc, data, len);
}

/* CRC-64/NVME (init and xorout all ones, reflected); chains like crc32_update. */
uint64_t crc64nvme_update(uint64_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v;
	unsigned i;

	ensure_init();
	crc = ~crc;
	while (len >= 8) {
		v = 0;
		for (i = 0; i < 8; i++)
			v |= (uint64_t)p[i] << (8 * i);
		crc ^= v;
		crc = crc64_tab[7][crc & 0xff] ^ crc64_tab[6][(crc >> 8) & 0xff] ^
		      crc64_tab[5][(crc >> 16) & 0xff] ^ crc64_tab[4][(crc >> 24) & 0xff] ^
		      crc64_tab[3][(crc >> 32) & 0xff] ^ crc64_tab[2][(crc >> 40) & 0xff] ^
		      crc64_tab[1][(crc >> 48) & 0xff] ^ crc64_tab[0][crc >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc64_tab[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

/*
 * crc(A || B) for a CRC whose init and xorout are the same value X (all ones
 * for the three here). Feeding n bytes B to a register holding s leaves
 * s * x^(8n) + L(B) mod P, with L linear in the data; so
 *   crc(B)      = X * x^(8n) + L(B) + X
 *   crc(A || B) = (crc(A) + X) * x^(8n) + L(B) + X
 * and their sum is crc(A) * x^(8n): the conditioning cancels. x^(8n) is
 * assembled from the squares table, one product per set bit of n: at most
 * 64 products of `width` steps each, whatever len_b is.
 */
static uint64_t combine(const uint64_t *x2n, uint64_t poly, unsigned width, uint64_t crc_a,
			uint64_t crc_b, uint64_t len_b)
{
	uint64_t op = 1ull << (width - 1); /* x^0 */
	unsigned k = 3;			   /* 8 * len_b: start at x^(2^3) */

	for (; len_b; len_b >>= 1, k++) {
		if (len_b & 1)
			op = multmodp(x2n[k], op, poly, width);
	}
	return multmodp(op, crc_a, poly, width) ^ crc_b;
}

/* CRC32 of A || B from crc32(A), crc32(B) and len(B); O(log len_b). */
uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
	ensure_init();
	return (uint32_t)combine(x2n_crc32, POLY_CRC32, 32, crc_a, crc_b, len_b);
}

/* CRC32C of A || B; see crc32_combine. */
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
	ensure_init();
	return (uint32_t)combine(x2n_crc32c, POLY_CRC32C, 32, crc_a, crc_b, len_b);
}

/* CRC-64/NVME of A || B; see crc32_combine. */
uint64_t crc64nvme_combine(uint64_t crc_a, uint64_t crc_b, uint64_t len_b)
{
	ensure_init();
	return combine(x2n_crc64, POLY_CRC64NVME, 64, crc_a, crc_b, len_b);
}

static void put_be32(uint8_t *out, uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

static void put_be64(uint8_t *out, uint64_t v)
{
	put_be32(out, (uint32_t)(v >> 32));
	put_be32(out + 4, (uint32_t)v);
}

static uint64_t get_be(const uint8_t *in, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | in[i];
	return v;
}

/* ---- hashset ---- */

struct hashset {
	EVP_MD_CTX *md5;
	EVP_MD_CTX *sha256;
	EVP_MD_CTX *extra_md; /* SHA-1 only: SHA-256 as the extra reuses ->sha256 */
	enum cksum_algo algo;
	uint32_t crc32; /* CRC32 or CRC32C running value */
	uint64_t crc64;
	bool finished;
	struct digests result; /* valid once finished */
};

static EVP_MD_CTX *start_md(const EVP_MD *md)
{
	EVP_MD_CTX *ctx;

	if (!md)
		return NULL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return NULL;
	if (!EVP_DigestInit_ex2(ctx, md, NULL)) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * Starts MD5 + SHA-256, plus `extra` unless CKSUM_NONE. *out is set only on
 * success and is released with hashset_free.
 * Errors: S3E_InternalError (no memory, digest unavailable, unknown algo).
 */
s3err_t hashset_new(enum cksum_algo extra, struct hashset **out)
{
	return hashset_new_opts(extra, true, out);
}

/*
 * As hashset_new; without_sha256 only for the integrity-off benchmark
 * build of a request (config `integrity = off`), where nothing asked for
 * SHA-256: the set then skips it unless extra is SHA256.
 */
s3err_t hashset_new_opts(enum cksum_algo extra, bool sha256, struct hashset **out)
{
	struct hashset *h = NULL;
	s3err_t err = S3E_InternalError;

	ensure_init();
	if (extra != CKSUM_NONE && !row_of(extra))
		goto out;
	h = calloc(1, sizeof(*h));
	if (!h)
		goto out;
	h->algo = extra;
	h->md5 = start_md(md_md5);
	if (sha256 || extra == CKSUM_SHA256) {
		h->sha256 = start_md(md_sha256);
		if (!h->sha256)
			goto out;
	}
	if (!h->md5)
		goto out;
	if (extra == CKSUM_SHA1) {
		h->extra_md = start_md(md_sha1);
		if (!h->extra_md)
			goto out;
	}
	*out = h;
	h = NULL;
	err = S3E_OK;
out:
	hashset_free(h);
	return err;
}

/*
 * Feeds data to every digest of the set. Ignored after hashset_final. The
 * OpenSSL updates of these in-memory digests cannot fail in practice; were
 * one to, the final digest would be wrong and the upload's integrity check
 * would reject it, which is the safe direction.
 */
void hashset_update(struct hashset *h, const void *data, size_t len)
{
	if (h->finished || len == 0)
		return;
	EVP_DigestUpdate(h->md5, data, len);
	if (h->sha256)
		EVP_DigestUpdate(h->sha256, data, len);
	switch (h->algo) {
	case CKSUM_CRC32:
		h->crc32 = crc32_update(h->crc32, data, len);
		break;
	case CKSUM_CRC32C:
		h->crc32 = crc32c_update(h->crc32, data, len);
		break;
	case CKSUM_CRC64NVME:
		h->crc64 = crc64nvme_update(h->crc64, data, len);
		break;
	case CKSUM_SHA1:
		EVP_DigestUpdate(h->extra_md, data, len);
		break;
	case CKSUM_SHA256: /* shares h->sha256 */
	case CKSUM_NONE:
		break;
	}
}

/*
 * Finishes every digest into *out. Further updates are ignored; a second
 * call returns the same digests again.
 */
void hashset_final(struct hashset *h, struct digests *out)
{
	struct digests *d = &h->result;
	unsigned int n;

	if (h->finished)
		goto out;
	memset(d, 0, sizeof(*d));
	EVP_DigestFinal_ex(h->md5, d->md5, &n);
	if (h->sha256) {
		EVP_DigestFinal_ex(h->sha256, d->sha256, &n);
		d->have_sha256 = true;
	}
	d->algo = h->algo;
	d->extra_len = cksum_digest_len(h->algo);
	switch (h->algo) {
	case CKSUM_CRC32:
	case CKSUM_CRC32C:
		put_be32(d->extra, h->crc32);
		break;
	case CKSUM_CRC64NVME:
		put_be64(d->extra, h->crc64);
		break;
	case CKSUM_SHA1:
		EVP_DigestFinal_ex(h->extra_md, d->extra, &n);
		break;
	case CKSUM_SHA256:
		memcpy(d->extra, d->sha256, sizeof(d->sha256));
		break;
	case CKSUM_NONE:
		break;
	}
	h->finished = true;
out:
	*out = *d;
}

/* Releases the set; hashset_free(NULL) does nothing. */
void hashset_free(struct hashset *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->extra_md);
	EVP_MD_CTX_free(h->sha256);
	EVP_MD_CTX_free(h->md5);
	free(h);
}

/*
 * One-shot digest of data with algo into out (cksum_digest_len(algo) bytes,
 * big-endian). Writes nothing for CKSUM_NONE. An OpenSSL failure (which
 * cannot happen for these digests short of memory exhaustion) leaves out
 * zeroed, which no real digest check will accept.
 */
void cksum_compute(enum cksum_algo algo, const void *data, size_t len, uint8_t *out)
{
	const EVP_MD *md = NULL;
	size_t dlen = cksum_digest_len(algo);

	ensure_init();
	switch (algo) {
	case CKSUM_CRC32:
		put_be32(out, crc32_update(0, data, len));
		return;
	case CKSUM_CRC32C:
		put_be32(out, crc32c_update(0, data, len));
		return;
	case CKSUM_CRC64NVME:
		put_be64(out, crc64nvme_update(0, data, len));
		return;
	case CKSUM_SHA1:
		md = md_sha1;
		break;
	case CKSUM_SHA256:
		md = md_sha256;
		break;
	case CKSUM_NONE:
		return;
	}
	if (!md || !EVP_Digest(data, len, out, NULL, md, NULL))
		memset(out, 0, dlen);
}

const EVP_MD *cksum_md_sha256(void)
{
	ensure_init();
	return md_sha256;
}

/* SHA-256 of a then b, with an EVP_MD_CTX the caller owns. */
static bool sha256_two(EVP_MD_CTX *ctx, const void *a, size_t alen, const void *b, size_t blen,
		       uint8_t out[32])
{
	return EVP_DigestInit_ex(ctx, md_sha256, NULL) == 1 &&
	       EVP_DigestUpdate(ctx, a, alen) == 1 && EVP_DigestUpdate(ctx, b, blen) == 1 &&
	       EVP_DigestFinal_ex(ctx, out, NULL) == 1;
}

bool cksum_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len, uint8_t out[32])
{
	enum { BLOCK = 64 }; /* SHA-256's block size */
	uint8_t pad[BLOCK], inner[32];
	EVP_MD_CTX *ctx = NULL;
	bool ok = false;
	size_t i;

	ensure_init();
	memset(pad, 0, sizeof(pad));
	if (!md_sha256 || !(ctx = EVP_MD_CTX_new()))
		goto out;
	if (keylen > BLOCK) { /* RFC 2104: a long key is hashed first */
		if (EVP_Digest(key, keylen, pad, NULL, md_sha256, NULL) != 1)
			goto out;
	} else if (keylen > 0) {
		memcpy(pad, key, keylen);
	}
	for (i = 0; i < BLOCK; i++)
		pad[i] ^= 0x36;
	if (!sha256_two(ctx, pad, BLOCK, msg, len, inner))
		goto out;
	for (i = 0; i < BLOCK; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ok = sha256_two(ctx, pad, BLOCK, inner, sizeof(inner), out);
out:
	if (!ok)
		memset(out, 0, 32);
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	return ok;
}

/* ---- multipart object checksums ---- */

/*
 * Which checksum type S3 allows with which algorithm in a multipart upload
 * (S3 User Guide, "Checking object integrity for data uploads", table
 * "Multipart uploads"): the SHAs cannot be linearized, so they have only the
 * checksum-of-checksums form; CRC64NVME has only the full-object form.
 * When CreateMultipartUpload names an algorithm without x-amz-checksum-type,
 * CRC64NVME is FULL_OBJECT and every other algorithm COMPOSITE.
 */
struct type_row {
	enum cksum_algo algo;
	bool composite;
	bool full_object;
	enum cksum_type dflt;
};

/* clang-format off */
static const struct type_row type_rows[] = {
	{CKSUM_CRC32, true, true, CKSUM_TYPE_COMPOSITE},
	{CKSUM_CRC32C, true, true, CKSUM_TYPE_COMPOSITE},
	{CKSUM_CRC64NVME, false, true, CKSUM_TYPE_FULL_OBJECT},
	{CKSUM_SHA1, true, false, CKSUM_TYPE_COMPOSITE},
	{CKSUM_SHA256, true, false, CKSUM_TYPE_COMPOSITE},
};
/* clang-format on */

static const struct type_row *type_row_of(enum cksum_algo a)
{
	size_t i;

	for (i = 0; i < sizeof(type_rows) / sizeof(type_rows[0]); i++)
		if (type_rows[i].algo == a)
			return &type_rows[i];
	return NULL;
}

/*
 * Maps an x-amz-checksum-type value to its enum. The match is exact, as the
 * header's enum is spelled in the S3 model; NONE for NULL or anything else.
 */
enum cksum_type cksum_type_from_name(const char *name)
{
	if (!name)
		return CKSUM_TYPE_NONE;
	if (strcmp(name, "COMPOSITE") == 0)
		return CKSUM_TYPE_COMPOSITE;
	if (strcmp(name, "FULL_OBJECT") == 0)
		return CKSUM_TYPE_FULL_OBJECT;
	return CKSUM_TYPE_NONE;
}

/* The x-amz-checksum-type spelling; "" for NONE or an out-of-range value. */
const char *cksum_type_name(enum cksum_type t)
{
	switch (t) {
	case CKSUM_TYPE_COMPOSITE:
		return "COMPOSITE";
	case CKSUM_TYPE_FULL_OBJECT:
		return "FULL_OBJECT";
	case CKSUM_TYPE_NONE:
		break;
	}
	return "";
}

/* The type S3 gives an upload created with algorithm a and no type; NONE for NONE. */
enum cksum_type cksum_default_type(enum cksum_algo a)
{
	const struct type_row *r = type_row_of(a);

	return r ? r->dflt : CKSUM_TYPE_NONE;
}

/* true if a multipart upload may use algorithm a with type t (false for either NONE). */
bool cksum_type_allowed(enum cksum_algo a, enum cksum_type t)
{
	const struct type_row *r = type_row_of(a);

	if (!r)
		return false;
	if (t == CKSUM_TYPE_COMPOSITE)
		return r->composite;
	if (t == CKSUM_TYPE_FULL_OBJECT)
		return r->full_object;
	return false;
}

/*
 * Starts the object checksum of a multipart upload. *m is always written
 * (zeroed on error, so mpck_free on it is harmless). COMPOSITE keeps a
 * running CRC over the part digests (CRC32/CRC32C) or a hashset over them
 * (SHA1/SHA256); FULL_OBJECT keeps the combined CRC of the parts so far,
 * starting from the CRC of nothing (0).
 * Errors: S3E_InvalidRequest (pair not allowed, including either NONE),
 * S3E_InternalError (no memory or digest unavailable).
 */
s3err_t mpck_init(struct mp_checksum *m, enum cksum_algo algo, enum cksum_type type)
{
	s3err_t err = S3E_InvalidRequest;

	memset(m, 0, sizeof(*m));
	if (!cksum_type_allowed(algo, type))
		goto out;
	if (type == CKSUM_TYPE_COMPOSITE && (algo == CKSUM_SHA1 || algo == CKSUM_SHA256)) {
		err = hashset_new(algo, &m->hs);
		if (err)
			goto out;
	}
	m->algo = algo;
	m->type = type;
	err = S3E_OK;
out:
	return err;
}

/*
 * Adds the next part, in part-number order: digest is the part's raw
 * big-endian checksum (cksum_digest_len(m->algo) bytes), part_size its
 * length in bytes (used by FULL_OBJECT only). Does nothing on a freed or
 * failed m.
 */
void mpck_add_part(struct mp_checksum *m, const uint8_t *digest, uint64_t part_size)
{
	size_t dlen = cksum_digest_len(m->algo);
	uint64_t part_crc;

	if (m->type == CKSUM_TYPE_NONE || dlen == 0)
		return;
	m->parts++;
	if (m->type == CKSUM_TYPE_FULL_OBJECT) {
		part_crc = get_be(digest, dlen);
		if (m->algo == CKSUM_CRC32)
			m->crc = crc32_combine((uint32_t)m->crc, (uint32_t)part_crc, part_size);
		else if (m->algo == CKSUM_CRC32C)
			m->crc = crc32c_combine((uint32_t)m->crc, (uint32_t)part_crc, part_size);
		else
			m->crc = crc64nvme_combine(m->crc, part_crc, part_size);
		return;
	}
	/* COMPOSITE: the algorithm over the concatenation of the part digests. */
	if (m->algo == CKSUM_CRC32)
		m->crc = crc32_update((uint32_t)m->crc, digest, dlen);
	else if (m->algo == CKSUM_CRC32C)
		m->crc = crc32c_update((uint32_t)m->crc, digest, dlen);
	else
		hashset_update(m->hs, digest, dlen);
}

/*
 * Writes the object's checksum as S3 shows it into out[cap]: base64 of the
 * big-endian digest, followed by "-N" (N = parts added) for COMPOSITE. Writes
 * "" when m holds no checksum or the text does not fit in cap (a cap of
 * STRATA_CHECKSUM_B64_MAX always fits). Frees m in every case.
 */
void mpck_final(struct mp_checksum *m, char *out, size_t cap)
{
	uint8_t raw[CKSUM_MAX_LEN];
	char text[STRATA_CHECKSUM_B64_MAX]; /* base64 of 32 bytes is 44 + NUL */
	size_t dlen = cksum_digest_len(m->algo);
	struct digests d;
	int w;

	if (cap == 0)
		goto out;
	out[0] = '\0';
	if (m->type == CKSUM_TYPE_NONE || dlen == 0)
		goto out;
	switch (m->algo) {
	case CKSUM_CRC32:
	case CKSUM_CRC32C:
		put_be32(raw, (uint32_t)m->crc);
		break;
	case CKSUM_CRC64NVME:
		put_be64(raw, m->crc);
		break;
	case CKSUM_SHA1:
	case CKSUM_SHA256:
		hashset_final(m->hs, &d);
		memcpy(raw, d.extra, dlen);
		break;
	case CKSUM_NONE:
		goto out;
	}
	base64_encode(raw, dlen, text);
	if (m->type == CKSUM_TYPE_COMPOSITE)
		w = snprintf(out, cap, "%s-%u", text, m->parts);
	else
		w = snprintf(out, cap, "%s", text);
	if (w < 0 || (size_t)w >= cap)
		out[0] = '\0';
out:
	mpck_free(m);
}

/* Releases m's resources and zeroes it; safe to call twice or after mpck_final. */
void mpck_free(struct mp_checksum *m)
{
	if (!m)
		return;
	hashset_free(m->hs);
	memset(m, 0, sizeof(*m));
}
