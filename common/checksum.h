/*
 * checksum: the digests a PUT computes as its bytes stream by.
 *
 * A hashset always computes MD5 (for the ETag) and SHA-256 (Strata's own
 * integrity digest), plus at most one client-chosen S3 checksum algorithm.
 * CRC32 (ISO-HDLC, as zlib), CRC32C (Castagnoli) and CRC64NVME are
 * table-driven here; MD5/SHA-1/SHA-256 use OpenSSL EVP. S3 transmits a
 * checksum as base64 of its big-endian bytes (4 for CRC32/CRC32C, 8 for
 * CRC64NVME, 20 for SHA-1, 32 for SHA-256).
 */
#ifndef STRATA_CHECKSUM_H
#define STRATA_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "s3err.h"

enum cksum_algo {
	CKSUM_NONE = 0,
	CKSUM_CRC32,
	CKSUM_CRC32C,
	CKSUM_CRC64NVME,
	CKSUM_SHA1,
	CKSUM_SHA256,
};

#define CKSUM_MAX_LEN 32 /* bytes of the largest digest */

/* "CRC32" (case-insensitive) -> CKSUM_CRC32; CKSUM_NONE when unknown. */
enum cksum_algo cksum_algo_from_name(const char *name);
/* CKSUM_CRC32 -> "CRC32" (the x-amz-checksum-algorithm spelling); "" for NONE. */
const char *cksum_algo_name(enum cksum_algo a);
/* CKSUM_CRC32 -> "x-amz-checksum-crc32"; NULL for NONE. */
const char *cksum_header_name(enum cksum_algo a);
/* "x-amz-checksum-crc32" (any case) -> CKSUM_CRC32; CKSUM_NONE otherwise. */
enum cksum_algo cksum_algo_from_header(const char *header);
/* Digest length in bytes; 0 for NONE. */
size_t cksum_digest_len(enum cksum_algo a);

/* One-shot CRCs, and their incremental forms (pass the previous value, 0 to start). */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);
uint32_t crc32c_update(uint32_t crc, const void *data, size_t len);
uint64_t crc64nvme_update(uint64_t crc, const void *data, size_t len);

/*
 * crc(A || B) from crc(A), crc(B) and the length of B, without the bytes
 * (GF(2) matrix method, as zlib's crc32_combine). Multipart FULL_OBJECT
 * checksums are built from the parts' CRCs this way.
 */
uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
uint64_t crc64nvme_combine(uint64_t crc_a, uint64_t crc_b, uint64_t len_b);

/*
 * Multipart object checksums as S3 defines them:
 *  COMPOSITE   base64(ALGO(digest(part 1) || ... || digest(part N))) + "-N",
 *              for CRC32, CRC32C, SHA1, SHA256;
 *  FULL_OBJECT base64 of the CRC of the whole object, combined from the
 *              parts' CRCs, for CRC32, CRC32C, CRC64NVME.
 */
enum cksum_type { CKSUM_TYPE_NONE = 0, CKSUM_TYPE_COMPOSITE, CKSUM_TYPE_FULL_OBJECT };

/* "COMPOSITE"/"FULL_OBJECT" (exact) -> type; CKSUM_TYPE_NONE otherwise. */
enum cksum_type cksum_type_from_name(const char *name);
const char *cksum_type_name(enum cksum_type t); /* "" for NONE */
/* The type S3 picks when CreateMultipartUpload names an algorithm but no type. */
enum cksum_type cksum_default_type(enum cksum_algo a);
/* true if S3 allows that algorithm with that type. */
bool cksum_type_allowed(enum cksum_algo a, enum cksum_type t);

struct mp_checksum {
	enum cksum_algo algo;
	enum cksum_type type;
	unsigned parts;
	uint64_t crc;	    /* FULL_OBJECT: running combined CRC; COMPOSITE CRCs: running CRC */
	struct hashset *hs; /* COMPOSITE: hash over the concatenated part digests */
};

/* Starts a multipart checksum. Errors: S3E_InvalidRequest (type not allowed), S3E_InternalError. */
s3err_t mpck_init(struct mp_checksum *m, enum cksum_algo algo, enum cksum_type type);
/* Adds the next part: its raw digest (cksum_digest_len bytes) and its size. */
void mpck_add_part(struct mp_checksum *m, const uint8_t *digest, uint64_t part_size);
/* Writes the object's checksum text ("...-N" for COMPOSITE) into out (cap bytes) and frees m. */
void mpck_final(struct mp_checksum *m, char *out, size_t cap);
/* Frees m without a result (error paths). */
void mpck_free(struct mp_checksum *m);

struct digests {
	uint8_t md5[16];
	uint8_t sha256[32];
	bool have_sha256;	      /* false only from a set made without SHA-256 */
	enum cksum_algo algo;	      /* the extra algorithm, or CKSUM_NONE */
	uint8_t extra[CKSUM_MAX_LEN]; /* its digest, big-endian */
	size_t extra_len;
};

struct hashset; /* opaque */

/* Starts MD5 + SHA-256 (+ extra unless CKSUM_NONE). Errors: S3E_InternalError. */
s3err_t hashset_new(enum cksum_algo extra, struct hashset **out);
/* As hashset_new, skipping SHA-256 when !sha256 (and extra is not SHA256): benchmarks only. */
s3err_t hashset_new_opts(enum cksum_algo extra, bool sha256, struct hashset **out);
void hashset_update(struct hashset *h, const void *data, size_t len);
/* Finishes all digests into *out. The hashset cannot be updated afterwards. */
void hashset_final(struct hashset *h, struct digests *out);
void hashset_free(struct hashset *h);

/* One-shot helper: digest of algo over data into out (cksum_digest_len bytes). */
void cksum_compute(enum cksum_algo algo, const void *data, size_t len, uint8_t *out);

/*
 * SHA-256 as OpenSSL fetched it once, for EVP_DigestInit_ex; NULL when the
 * provider lacks it. OpenSSL 3 fetches an algorithm on every call given
 * EVP_sha256(), HMAC() or EVP_Q_mac: a fifth of a small GET's CPU.
 */
const EVP_MD *cksum_md_sha256(void);

/*
 * HMAC-SHA256 (RFC 2104) of msg[len] under key[keylen] into out, with the
 * digest fetched once. False only when SHA-256 is unavailable; out is then
 * zeroed, which matches no signature.
 */
bool cksum_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
		       uint8_t out[32]);

#endif
