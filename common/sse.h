/*
 * sse: the server-side encryption crypto that is not the key file (no HTTP).
 *
 * Two modes encrypt an object at rest. SSE-S3 ("AES256"): a random data
 * key per object, stored wrapped under the keyring's current master key
 * (keyring.h). SSE-C: the client sends its own 32-byte key with every
 * request; the server keeps only a salted HMAC of it (sse_customer_hash)
 * to answer a wrong key with an error instead of garbage, never the key.
 *
 * In both modes the data files are sealed frame by frame (frames.h) under a
 * per-file key derived from the object's key and the file's id, because one
 * object key seals several files (multipart parts) and frame nonces restart
 * at 0 in every file: distinct file keys keep every (key, nonce) pair unique.
 *
 * Every function here cleanses its temporaries; callers cleanse the keys
 * they hold once done with them.
 */
#ifndef STRATA_SSE_H
#define STRATA_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frames.h"
#include "s3err.h"

#define SSE_KEY_SIZE 32u	   /* AES-256 */
#define SSE_FILE_ID_SIZE 16u	   /* as FRAME_FILE_ID_SIZE */
#define SSE_CUSTOMER_HASH_SIZE 48u /* salt 16 || HMAC-SHA256 32 */

enum sse_mode { SSE_NONE = 0, SSE_S3 = 1, SSE_C = 2 };

/* "" for SSE_NONE, "AES256" (the x-amz-server-side-encryption value) for SSE_S3, "SSE-C". */
const char *sse_mode_name(enum sse_mode m);

/* --- keys --- */

/* Fills key with a fresh random data key. Errors: S3E_InternalError (RAND_bytes failed). */
s3err_t sse_new_data_key(uint8_t key[SSE_KEY_SIZE]);

/*
 * The key that seals the data file file_id of an object whose key is
 * data_key: HMAC-SHA256(key = data_key, "strata-file-key-v1" || NUL ||
 * file_id). Deterministic, so a reader derives it again from the stored
 * file id. Cannot fail short of OpenSSL failing to allocate; it then aborts
 * rather than hand back a key that is not the derived one.
 */
void sse_file_key(const uint8_t data_key[SSE_KEY_SIZE], const uint8_t file_id[SSE_FILE_ID_SIZE],
		  uint8_t out[SSE_KEY_SIZE]);

/*
 * The frame encoder (or cipher) of data file file_id sealed under data_key:
 * sse_file_key then frames_encoder_new (frames_cipher_new), the derived key
 * wiped before returning. Errors: as frames_encoder_new / frames_cipher_new.
 */
s3err_t sse_file_encoder(const uint8_t data_key[SSE_KEY_SIZE],
			 const uint8_t file_id[SSE_FILE_ID_SIZE], frames_emit_fn emit, void *ctx,
			 struct frames_encoder **out);
s3err_t sse_file_cipher(const uint8_t data_key[SSE_KEY_SIZE],
			const uint8_t file_id[SSE_FILE_ID_SIZE], struct frames_cipher **out);

/* --- SSE-C --- */

/*
 * What the server stores to recognise an SSE-C key: out = salt (16 random
 * bytes) || HMAC-SHA256(key = customer key, "strata-ssec-v1" || NUL ||
 * salt). The salt makes equal keys on two objects store different values.
 * Errors: S3E_InternalError.
 */
s3err_t sse_customer_hash(const uint8_t key[SSE_KEY_SIZE], uint8_t out[SSE_CUSTOMER_HASH_SIZE]);

/*
 * true if stored[0..len) is a sse_customer_hash of key. Constant-time in
 * the key; false when len is not SSE_CUSTOMER_HASH_SIZE.
 */
bool sse_customer_matches(const uint8_t key[SSE_KEY_SIZE], const uint8_t *stored, size_t len);

/*
 * Validates the three SSE-C request headers (each NULL when absent; call
 * only when at least one is present):
 *   x-amz-server-side-encryption-customer-algorithm  must be "AES256",
 *   x-amz-server-side-encryption-customer-key        base64 of 32 bytes,
 *   x-amz-server-side-encryption-customer-key-MD5    base64 of MD5(key).
 * Fills key_out only on success. On error returns S3E_InvalidArgument or
 * S3E_InvalidEncryptionAlgorithmError (S3E_InternalError if OpenSSL fails)
 * and points *message (if message is not NULL) at the exact AWS message,
 * a static string.
 */
s3err_t sse_parse_customer(const char *algorithm, const char *key_b64, const char *key_md5_b64,
			   uint8_t key_out[SSE_KEY_SIZE], const char **message);

#endif
