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

#include <stddef.h>
#include <stdint.h>

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

struct digests {
	uint8_t md5[16];
	uint8_t sha256[32];
	enum cksum_algo algo;	      /* the extra algorithm, or CKSUM_NONE */
	uint8_t extra[CKSUM_MAX_LEN]; /* its digest, big-endian */
	size_t extra_len;
};

struct hashset; /* opaque */

/* Starts MD5 + SHA-256 (+ extra unless CKSUM_NONE). Errors: S3E_InternalError. */
s3err_t hashset_new(enum cksum_algo extra, struct hashset **out);
void hashset_update(struct hashset *h, const void *data, size_t len);
/* Finishes all digests into *out. The hashset cannot be updated afterwards. */
void hashset_final(struct hashset *h, struct digests *out);
void hashset_free(struct hashset *h);

/* One-shot helper: digest of algo over data into out (cksum_digest_len bytes). */
void cksum_compute(enum cksum_algo algo, const void *data, size_t len, uint8_t *out);

#endif
