/*
 * sse: data keys, per-file keys and SSE-C header checks (see sse.h).
 *
 * Both HMACs put a fixed label and a NUL before their variable part, so a
 * file key can never equal an SSE-C check value of the same key bytes
 * (domain separation), and each label's message has one fixed length.
 */
#include "sse.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "checksum.h"
#include "strutil.h"

#define FILE_KEY_LABEL "strata-file-key-v1" /* followed by its NUL, then the file id */
#define SSEC_LABEL "strata-ssec-v1"	    /* followed by its NUL, then the salt */
#define SSEC_SALT_SIZE 16u
#define HMAC_SIZE 32u
#define MD5_SIZE 16u

/* The exact messages AWS answers with for each bad SSE-C header. */
static const char msg_no_algorithm[] = "Requests specifying Server Side Encryption with Customer "
				       "provided keys must provide a valid encryption algorithm.";
static const char msg_bad_algorithm[] =
    "The encryption request you specified is not valid. Supported value: AES256.";
static const char msg_no_key[] = "Requests specifying Server Side Encryption with Customer "
				 "provided keys must provide an appropriate secret key.";
static const char msg_bad_key[] = "The secret key was invalid for the specified algorithm.";
static const char msg_no_md5[] = "Requests specifying Server Side Encryption with Customer "
				 "provided keys must provide the client calculated MD5 of the "
				 "secret key.";
static const char msg_bad_md5[] =
    "The calculated MD5 hash of the key did not match the hash that was provided.";

const char *sse_mode_name(enum sse_mode m)
{
	switch (m) {
	case SSE_S3:
		return "AES256";
	case SSE_C:
		return "SSE-C";
	case SSE_NONE:
	default:
		return "";
	}
}

s3err_t sse_new_data_key(uint8_t key[SSE_KEY_SIZE])
{
	uint8_t k[SSE_KEY_SIZE];
	s3err_t err = S3E_InternalError;

	if (RAND_bytes(k, sizeof(k)) != 1)
		goto out;
	memcpy(key, k, sizeof(k));
	err = S3E_OK;
out:
	OPENSSL_cleanse(k, sizeof(k));
	return err;
}

/*
 * HMAC-SHA256(key, label || NUL || data[0..len)) into out[HMAC_SIZE].
 * label with its NUL and data go in one message buffer (at most 64 bytes).
 */
static s3err_t labelled_hmac(const uint8_t key[SSE_KEY_SIZE], const char *label,
			     const uint8_t *data, size_t len, uint8_t out[HMAC_SIZE])
{
	uint8_t msg[64], mac[HMAC_SIZE];
	size_t label_len = strlen(label) + 1;
	s3err_t err = S3E_InternalError;

	if (label_len + len > sizeof(msg))
		goto out;
	memcpy(msg, label, label_len);
	memcpy(msg + label_len, data, len);
	if (!cksum_hmac_sha256(key, SSE_KEY_SIZE, msg, label_len + len, mac))
		goto out;
	memcpy(out, mac, HMAC_SIZE);
	err = S3E_OK;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	return err;
}

void sse_file_key(const uint8_t data_key[SSE_KEY_SIZE], const uint8_t file_id[SSE_FILE_ID_SIZE],
		  uint8_t out[SSE_KEY_SIZE])
{
	/*
	 * Only an allocation failure inside OpenSSL gets here. There is no
	 * safe key to return instead, and sealing under a wrong key would
	 * lose the object, so stop.
	 */
	if (labelled_hmac(data_key, FILE_KEY_LABEL, file_id, SSE_FILE_ID_SIZE, out) != S3E_OK)
		abort();
}

s3err_t sse_file_encoder(const uint8_t data_key[SSE_KEY_SIZE],
			 const uint8_t file_id[SSE_FILE_ID_SIZE], frames_emit_fn emit, void *ctx,
			 struct frames_encoder **out)
{
	uint8_t fkey[SSE_KEY_SIZE];
	s3err_t err;

	sse_file_key(data_key, file_id, fkey);
	err = frames_encoder_new(file_id, fkey, emit, ctx, out);
	OPENSSL_cleanse(fkey, sizeof(fkey));
	return err;
}

s3err_t sse_file_cipher(const uint8_t data_key[SSE_KEY_SIZE],
			const uint8_t file_id[SSE_FILE_ID_SIZE], struct frames_cipher **out)
{
	uint8_t fkey[SSE_KEY_SIZE];
	s3err_t err;

	sse_file_key(data_key, file_id, fkey);
	err = frames_cipher_new(fkey, out);
	OPENSSL_cleanse(fkey, sizeof(fkey));
	return err;
}

s3err_t sse_customer_hash(const uint8_t key[SSE_KEY_SIZE], uint8_t out[SSE_CUSTOMER_HASH_SIZE])
{
	uint8_t h[SSE_CUSTOMER_HASH_SIZE];
	s3err_t err = S3E_InternalError;

	if (RAND_bytes(h, SSEC_SALT_SIZE) != 1 ||
	    labelled_hmac(key, SSEC_LABEL, h, SSEC_SALT_SIZE, h + SSEC_SALT_SIZE) != S3E_OK)
		goto out;
	memcpy(out, h, sizeof(h));
	err = S3E_OK;
out:
	OPENSSL_cleanse(h, sizeof(h));
	return err;
}

bool sse_customer_matches(const uint8_t key[SSE_KEY_SIZE], const uint8_t *stored, size_t len)
{
	uint8_t mac[HMAC_SIZE];
	bool ok = false;

	if (!stored || len != SSE_CUSTOMER_HASH_SIZE)
		goto out;
	if (labelled_hmac(key, SSEC_LABEL, stored, SSEC_SALT_SIZE, mac) != S3E_OK)
		goto out;
	ok = CRYPTO_memcmp(mac, stored + SSEC_SALT_SIZE, HMAC_SIZE) == 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}

/*
 * Checks in the order AWS reports them: algorithm, key, then MD5. The MD5
 * only catches a key damaged in transit (anyone can compute it); telling a
 * wrong key from the right one is sse_customer_matches' job.
 */
s3err_t sse_parse_customer(const char *algorithm, const char *key_b64, const char *key_md5_b64,
			   uint8_t key_out[SSE_KEY_SIZE], const char **message)
{
	uint8_t key[SSE_KEY_SIZE], md5[MD5_SIZE], want[EVP_MAX_MD_SIZE];
	unsigned int want_len = 0;
	size_t n = 0;
	const char *msg = NULL;
	s3err_t err = S3E_InvalidArgument;

	if (!algorithm) {
		msg = msg_no_algorithm;
		goto out;
	}
	if (strcmp(algorithm, "AES256") != 0) {
		err = S3E_InvalidEncryptionAlgorithmError;
		msg = msg_bad_algorithm;
		goto out;
	}
	if (!key_b64) {
		msg = msg_no_key;
		goto out;
	}
	if (!base64_decode(key_b64, strlen(key_b64), key, sizeof(key), &n) || n != sizeof(key)) {
		msg = msg_bad_key;
		goto out;
	}
	if (!key_md5_b64) {
		msg = msg_no_md5;
		goto out;
	}
	if (EVP_Digest(key, sizeof(key), want, &want_len, EVP_md5(), NULL) != 1 ||
	    want_len != MD5_SIZE) {
		err = S3E_InternalError;
		msg = s3err_message(S3E_InternalError);
		goto out;
	}
	if (!base64_decode(key_md5_b64, strlen(key_md5_b64), md5, sizeof(md5), &n) ||
	    n != sizeof(md5) || CRYPTO_memcmp(md5, want, MD5_SIZE) != 0) {
		msg = msg_bad_md5;
		goto out;
	}
	memcpy(key_out, key, sizeof(key));
	err = S3E_OK;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(md5, sizeof(md5));
	OPENSSL_cleanse(want, sizeof(want));
	if (err != S3E_OK && message)
		*message = msg;
	return err;
}
