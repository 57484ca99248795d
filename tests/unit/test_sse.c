/*
 * Unit tests for common/sse.c: the per-file key pinned against an
 * independent HMAC, the SSE-C check value (right key, wrong key, damaged
 * bytes, salting) and every answer of the SSE-C header validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../../common/sse.h"
#include "../../common/strutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The known customer key 0x00..0x1f, its base64 and base64(MD5(key)) (pinned with Python). */
#define KEY_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_MD5_B64 "tP/LI3N87DFaSk0aoqYgzg=="
/* base64 of 31 and of 33 zero bytes: right alphabet, wrong length. */
#define KEY31_B64 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
#define KEY33_B64 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

/*
 * HMAC-SHA256(key = 0x00..0x1f, "strata-file-key-v1" || NUL || 0xa0..0xaf),
 * computed with Python's hmac module.
 */
static const char file_key_pinned[] =
    "2249a4d3da20fc7a7013ad21341d6a65d3ad59443cc4f1689cae120cf7e3b908";

static void known_key(uint8_t key[SSE_KEY_SIZE])
{
	size_t i;

	for (i = 0; i < SSE_KEY_SIZE; i++)
		key[i] = (uint8_t)i;
}

static void known_file_id(uint8_t id[SSE_FILE_ID_SIZE])
{
	size_t i;

	for (i = 0; i < SSE_FILE_ID_SIZE; i++)
		id[i] = (uint8_t)(0xa0 + i);
}

/* --- names and data keys --- */

static void test_mode_names(void **state)
{
	(void)state;
	assert_string_equal(sse_mode_name(SSE_NONE), "");
	assert_string_equal(sse_mode_name(SSE_S3), "AES256");
	assert_string_equal(sse_mode_name(SSE_C), "SSE-C");
}

static void test_new_data_key(void **state)
{
	static const uint8_t zero[SSE_KEY_SIZE];
	uint8_t a[SSE_KEY_SIZE], b[SSE_KEY_SIZE];

	(void)state;
	assert_int_equal(sse_new_data_key(a), S3E_OK);
	assert_int_equal(sse_new_data_key(b), S3E_OK);
	assert_memory_not_equal(a, b, SSE_KEY_SIZE);
	assert_memory_not_equal(a, zero, SSE_KEY_SIZE);
}

/* --- per-file keys --- */

static void test_file_key_pinned(void **state)
{
	uint8_t dk[SSE_KEY_SIZE], id[SSE_FILE_ID_SIZE], out[SSE_KEY_SIZE], again[SSE_KEY_SIZE];
	uint8_t msg[sizeof("strata-file-key-v1") + SSE_FILE_ID_SIZE], ref[EVP_MAX_MD_SIZE];
	unsigned int ref_len = 0;
	char hex[2 * SSE_KEY_SIZE + 1];

	(void)state;
	known_key(dk);
	known_file_id(id);
	sse_file_key(dk, id, out);
	hex_encode(out, sizeof(out), hex);
	assert_string_equal(hex, file_key_pinned);

	/* The same value from OpenSSL's one-shot HMAC, built here from the documented formula. */
	memcpy(msg, "strata-file-key-v1", sizeof("strata-file-key-v1")); /* with its NUL */
	memcpy(msg + sizeof("strata-file-key-v1"), id, SSE_FILE_ID_SIZE);
	assert_non_null(HMAC(EVP_sha256(), dk, (int)sizeof(dk), msg, sizeof(msg), ref, &ref_len));
	assert_int_equal(ref_len, SSE_KEY_SIZE);
	assert_memory_equal(out, ref, SSE_KEY_SIZE);

	sse_file_key(dk, id, again);
	assert_memory_equal(out, again, SSE_KEY_SIZE);
}

/* Changing any one byte of the file id, or of the data key, gives another key. */
static void test_file_key_separation(void **state)
{
	uint8_t dk[SSE_KEY_SIZE], id[SSE_FILE_ID_SIZE], base[SSE_KEY_SIZE], out[SSE_KEY_SIZE];
	size_t i;

	(void)state;
	known_key(dk);
	known_file_id(id);
	sse_file_key(dk, id, base);
	for (i = 0; i < SSE_FILE_ID_SIZE; i++) {
		id[i] ^= 0x01;
		sse_file_key(dk, id, out);
		assert_memory_not_equal(out, base, SSE_KEY_SIZE);
		id[i] ^= 0x01;
	}
	for (i = 0; i < SSE_KEY_SIZE; i++) {
		dk[i] ^= 0x80;
		sse_file_key(dk, id, out);
		assert_memory_not_equal(out, base, SSE_KEY_SIZE);
		dk[i] ^= 0x80;
	}
	/* The file key is not the data key itself. */
	assert_memory_not_equal(base, dk, SSE_KEY_SIZE);
}

/* --- SSE-C check value --- */

static void test_customer_hash(void **state)
{
	uint8_t key[SSE_KEY_SIZE], other[SSE_KEY_SIZE];
	uint8_t h1[SSE_CUSTOMER_HASH_SIZE], h2[SSE_CUSTOMER_HASH_SIZE];
	size_t i;

	(void)state;
	known_key(key);
	memcpy(other, key, sizeof(key));
	other[31] ^= 0x01;
	assert_int_equal(sse_customer_hash(key, h1), S3E_OK);
	assert_int_equal(sse_customer_hash(key, h2), S3E_OK);

	assert_true(sse_customer_matches(key, h1, sizeof(h1)));
	assert_true(sse_customer_matches(key, h2, sizeof(h2)));
	/* Salted: the same key stores two different values (salt and HMAC both differ). */
	assert_memory_not_equal(h1, h2, 16);
	assert_memory_not_equal(h1 + 16, h2 + 16, 32);
	assert_false(sse_customer_matches(other, h1, sizeof(h1)));

	for (i = 0; i < sizeof(h1); i++) {
		h1[i] ^= 0x04;
		assert_false(sse_customer_matches(key, h1, sizeof(h1)));
		h1[i] ^= 0x04;
	}
	assert_true(sse_customer_matches(key, h1, sizeof(h1)));
	assert_false(sse_customer_matches(key, h1, sizeof(h1) - 1));
	assert_false(sse_customer_matches(key, h1, 0));
	assert_false(sse_customer_matches(key, NULL, sizeof(h1)));
}

/* --- SSE-C headers --- */

#define M_NO_ALGO                                                                                  \
	"Requests specifying Server Side Encryption with Customer provided keys must provide a "   \
	"valid encryption algorithm."
#define M_BAD_ALGO "The encryption request you specified is not valid. Supported value: AES256."
#define M_NO_KEY                                                                                   \
	"Requests specifying Server Side Encryption with Customer provided keys must provide an "  \
	"appropriate secret key."
#define M_BAD_KEY "The secret key was invalid for the specified algorithm."
#define M_NO_MD5                                                                                   \
	"Requests specifying Server Side Encryption with Customer provided keys must provide the " \
	"client calculated MD5 of the secret key."
#define M_BAD_MD5 "The calculated MD5 hash of the key did not match the hash that was provided."

/* The pins above are what OpenSSL computes for the known key. */
static void test_known_key_pins(void **state)
{
	uint8_t key[SSE_KEY_SIZE], md5[EVP_MAX_MD_SIZE];
	unsigned int md5_len = 0;
	char b64[64];

	(void)state;
	known_key(key);
	assert_int_equal(EVP_EncodeBlock((unsigned char *)b64, key, SSE_KEY_SIZE), 44);
	assert_string_equal(b64, KEY_B64);
	assert_int_equal(EVP_Digest(key, sizeof(key), md5, &md5_len, EVP_md5(), NULL), 1);
	assert_int_equal(EVP_EncodeBlock((unsigned char *)b64, md5, (int)md5_len), 24);
	assert_string_equal(b64, KEY_MD5_B64);
}

static void test_parse_customer(void **state)
{
	static const struct {
		const char *algo, *key, *md5;
		s3err_t err;
		const char *msg;
	} rows[] = {
	    {NULL, KEY_B64, KEY_MD5_B64, S3E_InvalidArgument, M_NO_ALGO},
	    {NULL, NULL, KEY_MD5_B64, S3E_InvalidArgument, M_NO_ALGO},
	    {NULL, KEY_B64, NULL, S3E_InvalidArgument, M_NO_ALGO},
	    {"aes256", KEY_B64, KEY_MD5_B64, S3E_InvalidEncryptionAlgorithmError, M_BAD_ALGO},
	    {"AES128", KEY_B64, KEY_MD5_B64, S3E_InvalidEncryptionAlgorithmError, M_BAD_ALGO},
	    {"", KEY_B64, KEY_MD5_B64, S3E_InvalidEncryptionAlgorithmError, M_BAD_ALGO},
	    {"AES256 ", KEY_B64, KEY_MD5_B64, S3E_InvalidEncryptionAlgorithmError, M_BAD_ALGO},
	    {"aws:kms", NULL, NULL, S3E_InvalidEncryptionAlgorithmError, M_BAD_ALGO},
	    {"AES256", NULL, KEY_MD5_B64, S3E_InvalidArgument, M_NO_KEY},
	    {"AES256", NULL, NULL, S3E_InvalidArgument, M_NO_KEY},
	    {"AES256", "", KEY_MD5_B64, S3E_InvalidArgument, M_BAD_KEY},
	    {"AES256", KEY31_B64, KEY_MD5_B64, S3E_InvalidArgument, M_BAD_KEY},
	    {"AES256", KEY33_B64, KEY_MD5_B64, S3E_InvalidArgument, M_BAD_KEY},
	    {"AES256", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", KEY_MD5_B64,
	     S3E_InvalidArgument, M_BAD_KEY}, /* padding left off */
	    {"AES256", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh*=", KEY_MD5_B64,
	     S3E_InvalidArgument, M_BAD_KEY},
	    {"AES256", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	     KEY_MD5_B64, S3E_InvalidArgument, M_BAD_KEY}, /* hex, not base64 */
	    {"AES256", KEY_B64, NULL, S3E_InvalidArgument, M_NO_MD5},
	    {"AES256", KEY_B64, "", S3E_InvalidArgument, M_BAD_MD5},
	    {"AES256", KEY_B64, "tP/LI3N87DFaSk0aoqYgzA==", S3E_InvalidArgument, M_BAD_MD5},
	    {"AES256", KEY_B64, "tP/LI3N87DFaSk0aoqYgzg", S3E_InvalidArgument, M_BAD_MD5},
	    {"AES256", KEY_B64, "b4ffcb23737cec315a4a4d1aa2a620ce", S3E_InvalidArgument,
	     M_BAD_MD5}, /* the right MD5, in hex */
	    {"AES256", KEY31_B64, NULL, S3E_InvalidArgument, M_BAD_KEY},
	    {"AES256", KEY_B64, KEY_MD5_B64, S3E_OK, NULL},
	};
	uint8_t want[SSE_KEY_SIZE], key[SSE_KEY_SIZE], untouched[SSE_KEY_SIZE];
	const char *msg;
	size_t i;

	(void)state;
	known_key(want);
	memset(untouched, 0xee, sizeof(untouched));
	for (i = 0; i < ARRAY_LEN(rows); i++) {
		s3err_t err;

		memset(key, 0xee, sizeof(key));
		msg = "unset";
		err = sse_parse_customer(rows[i].algo, rows[i].key, rows[i].md5, key, &msg);
		if (err != rows[i].err)
			fail_msg("row %zu: %s, want %s", i, s3err_code(err),
				 s3err_code(rows[i].err));
		if (rows[i].err == S3E_OK) {
			assert_memory_equal(key, want, SSE_KEY_SIZE);
			continue;
		}
		if (strcmp(msg, rows[i].msg) != 0)
			fail_msg("row %zu: message '%s'", i, msg);
		if (memcmp(key, untouched, SSE_KEY_SIZE) != 0)
			fail_msg("row %zu: key_out written on error", i);
		/* message may be NULL: the error alone is enough for some callers. */
		assert_int_equal(
		    sse_parse_customer(rows[i].algo, rows[i].key, rows[i].md5, key, NULL),
		    rows[i].err);
	}
}

/* The error row this module needs exists with the status and code AWS uses. */
static void test_algorithm_error_row(void **state)
{
	(void)state;
	assert_string_equal(s3err_code(S3E_InvalidEncryptionAlgorithmError),
			    "InvalidEncryptionAlgorithmError");
	assert_int_equal(s3err_status(S3E_InvalidEncryptionAlgorithmError), 400);
	assert_string_equal(s3err_message(S3E_InvalidEncryptionAlgorithmError), M_BAD_ALGO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mode_names),	    cmocka_unit_test(test_new_data_key),
	    cmocka_unit_test(test_file_key_pinned), cmocka_unit_test(test_file_key_separation),
	    cmocka_unit_test(test_customer_hash),   cmocka_unit_test(test_known_key_pins),
	    cmocka_unit_test(test_parse_customer),  cmocka_unit_test(test_algorithm_error_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
