/*
 * keyring: the master keys of server-side encryption (SSE-S3).
 *
 * Every encrypted object has its own random 32-byte data key. The data key
 * is stored wrapped (AES-256-GCM) under one master key of the key file and
 * the object records that key's id. Several master keys coexist so they can
 * be rotated: the LAST key of the file is the current one and wraps every
 * new data key; the older ones still unwrap what they wrapped until they are
 * removed (which makes the objects still wrapped under them unreadable).
 *
 * Key file (text, mode 0600, group and others get no access at all):
 *
 *   # comment lines and blank lines are ignored
 *   <id> <base64 of exactly 32 bytes>
 *
 * An id is 1..32 characters of [A-Za-z0-9._-], unique in the file. A file
 * holds 1..KEYRING_MAX_KEYS keys and lines of at most KEYRING_LINE_MAX bytes
 * (newline excluded). Generated ids read "k" + UTC "YYYYMMDDTHHMMSS" + "-" +
 * 8 random hex digits (k20261121T101500-3fa2c07e), so file order is age order.
 *
 * Wrapped data key (KEYRING_WRAPPED_SIZE bytes):
 *
 *   nonce (12, random) || AES-256-GCM(master key, data key) (32) || GCM tag (16)
 *   AAD = "strata-dk-v1" || NUL || key id
 *
 * Binding the id into the AAD means a wrapped key filed under another id
 * fails its tag instead of unwrapping to garbage.
 *
 * Editing (create, add, remove) rewrites the file atomically: path.tmp is
 * created with O_EXCL (it doubles as the editors' lock: a second editor
 * fails until the first is done; one left by a crash must be removed by
 * hand), written, given the owner of the file it replaces (so an edit run
 * with sudo leaves a file the server's user can still read), fsync'ed,
 * moved over path and the directory fsync'ed. A running server keeps the
 * keys it loaded; it sees an edit only when it loads the file again.
 *
 * A loaded keyring is immutable: any number of threads may wrap and unwrap
 * with it at once. Its key bytes are cleansed when it is freed (they are
 * not mlock'ed: swap must be encrypted or off on a server holding keys).
 * Error texts (`why`) name the file, the line and the rule broken, never
 * key material.
 */
#ifndef STRATA_KEYRING_H
#define STRATA_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "s3err.h"

#define KEYRING_KEY_SIZE 32u	 /* AES-256 master and data keys */
#define KEYRING_ID_MAX 33u	 /* id text with NUL */
#define KEYRING_MAX_KEYS 64u	 /* keys in one file */
#define KEYRING_LINE_MAX 4096u	 /* bytes of one line of the file, newline excluded */
#define KEYRING_WRAPPED_SIZE 60u /* nonce 12 || ciphertext 32 || GCM tag 16 */

struct keyring; /* opaque; immutable once loaded */

/* --- the key file --- */

/*
 * Reads and validates the key file at path into a new keyring (*out, free
 * with keyring_free). Refuses a file that is missing or unreadable, not a
 * regular file, has any group/other permission bit (a readable master key
 * is every object's key), has a malformed line, a duplicate id, too many
 * keys, or no key. Errors: S3E_InternalError with the reason in why
 * ("keys: line 3: key is not 32 bytes of base64"); *out untouched.
 */
s3err_t keyring_load(const char *path, struct keyring **out, char *why, size_t why_len);

/*
 * Creates a new key file at path holding one freshly generated key, mode
 * 0600, atomically. Refuses when path (or path.tmp) already exists, so an
 * existing key file is never overwritten. Errors: S3E_InternalError + why.
 */
s3err_t keyring_create(const char *path, char *why, size_t why_len);

/*
 * Appends a newly generated key to the key file at path, which makes it
 * the current key, and rewrites the file atomically (comments other than
 * the format header are not kept). Fills id_out with the new id on
 * success. Errors: S3E_InternalError + why (the file is then unchanged
 * unless why says only the final directory fsync failed).
 */
s3err_t keyring_add_key(const char *path, char id_out[KEYRING_ID_MAX], char *why, size_t why_len);

/*
 * Removes key `id` from the key file at path and rewrites it atomically.
 * Refuses an unknown id and the current (last) key. Objects whose data keys
 * were wrapped under the removed key can no longer be read: re-wrap them
 * first. Errors: S3E_InternalError + why.
 */
s3err_t keyring_remove_key(const char *path, const char *id, char *why, size_t why_len);

/* --- a loaded keyring --- */

/* Id of the current key (the last of the file). Owned by k. */
const char *keyring_current_id(const struct keyring *k);
/* true if k holds a key named id. */
bool keyring_has(const struct keyring *k, const char *id);
/* Number of keys (1..KEYRING_MAX_KEYS). */
size_t keyring_count(const struct keyring *k);
/* Id of the i-th key in file order (oldest first); NULL when i >= count. Owned by k. */
const char *keyring_id_at(const struct keyring *k, size_t i);
/* Cleanses the key bytes and frees k. NULL does nothing. */
void keyring_free(struct keyring *k);

/* --- wrapping data keys --- */

/*
 * Wraps data_key under the current key with a fresh random nonce: fills
 * wrapped and key_id_out (the id to store beside it) on success. Errors:
 * S3E_InternalError (OpenSSL or randomness failure).
 */
s3err_t keyring_wrap(const struct keyring *k, const uint8_t data_key[KEYRING_KEY_SIZE],
		     char key_id_out[KEYRING_ID_MAX], uint8_t wrapped[KEYRING_WRAPPED_SIZE]);

/* Same as keyring_wrap under the named key. Errors: S3E_InternalError (unknown id too). */
s3err_t keyring_wrap_with(const struct keyring *k, const char *key_id,
			  const uint8_t data_key[KEYRING_KEY_SIZE],
			  uint8_t wrapped[KEYRING_WRAPPED_SIZE]);

/*
 * Unwraps wrapped[0..wrapped_len) stored under key_id into data_key.
 * Errors: S3E_InternalError when the id is unknown, the length is not
 * KEYRING_WRAPPED_SIZE, or the GCM tag fails (wrong key, wrong id, damaged
 * bytes); data_key is then left untouched.
 */
s3err_t keyring_unwrap(const struct keyring *k, const char *key_id, const uint8_t *wrapped,
		       size_t wrapped_len, uint8_t data_key[KEYRING_KEY_SIZE]);

#endif
