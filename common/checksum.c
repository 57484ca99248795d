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
 * MD5, SHA-1 and SHA-256 come from OpenSSL; the EVP_MD objects are fetched
 * once at the same time (explicit fetching avoids a provider lookup per
 * upload) and live for the whole process.
 */
#include "checksum.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define POLY_CRC32 0xEDB88320u
#define POLY_CRC32C 0x82F63B78u
#define POLY_CRC64NVME 0x9A6C9329AC4BC9B5ull

static uint32_t crc32_tab[8][256];
static uint32_t crc32c_tab[8][256];
static uint64_t crc64_tab[8][256];

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

static void init_all(void)
{
	make_tab32(crc32_tab, POLY_CRC32);
	make_tab32(crc32c_tab, POLY_CRC32C);
	make_tab64(crc64_tab, POLY_CRC64NVME);
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
	h->sha256 = start_md(md_sha256);
	if (!h->md5 || !h->sha256)
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
	EVP_DigestFinal_ex(h->sha256, d->sha256, &n);
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
