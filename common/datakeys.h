/*
 * datakeys: a cache of unwrapped SSE-S3 data keys (issue 11).
 *
 * Every GET of an SSE-S3 object unwraps its data key: an AES-256-GCM
 * decryption under the master key, with its key schedule, 3.4% of a small
 * GET's CPU. The result depends only on the master key id, the wrapped
 * bytes (whose 12-byte nonce is random, so no two objects share them) and
 * the master key's bytes, which a loaded keyring never changes. So a cache
 * bound to one keyring returns exactly what keyring_unwrap would.
 *
 * Invariants:
 *  D1. A cache serves one keyring, given at datakeys_new, for its whole
 *      life: a server that loaded other keys would need a new cache.
 *  D2. An entry is found only by the same key id AND the same wrapped
 *      bytes, all KEYRING_WRAPPED_SIZE of them; only unwraps that
 *      succeeded are remembered, so a damaged envelope fails every time.
 *  D3. Data keys are wiped (OPENSSL_cleanse) when an entry is replaced and
 *      when the cache is freed. The cache holds no more than the process
 *      could derive anyway from the master keys it holds.
 *  D4. The mutex is held only to copy an entry in or out, never while
 *      unwrapping.
 */
#ifndef STRATA_DATAKEYS_H
#define STRATA_DATAKEYS_H

#include <stddef.h>
#include <stdint.h>

#include "keyring.h"
#include "s3err.h"

#define DATAKEYS_SLOTS 512u /* objects whose keys are kept: 64 KiB of entries */

struct datakeys;

/* A new, empty cache for keys k (D1; borrowed, must outlive it); NULL when out of memory. */
struct datakeys *datakeys_new(const struct keyring *k);
/* Wipes and frees it (D3); NULL does nothing. */
void datakeys_free(struct datakeys *c);

/*
 * keyring_unwrap of c's keyring (c is not NULL), from the cache when an
 * entry matches (D2): same arguments, same results, same errors.
 */
s3err_t datakeys_unwrap(struct datakeys *c, const char *key_id, const uint8_t *wrapped,
			size_t wrapped_len, uint8_t data_key[KEYRING_KEY_SIZE]);

#endif
