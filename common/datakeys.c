/* datakeys: a cache of unwrapped data keys (see datakeys.h, D1..D4). */
#include "datakeys.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct entry {
	bool used;
	char key_id[KEYRING_ID_MAX]; /* zero-padded: compared whole */
	uint8_t wrapped[KEYRING_WRAPPED_SIZE];
	uint8_t data_key[KEYRING_KEY_SIZE];
};

struct datakeys {
	const struct keyring *keys; /* D1 */
	pthread_mutex_t mu;
	struct entry e[DATAKEYS_SLOTS];
};

_Static_assert((DATAKEYS_SLOTS & (DATAKEYS_SLOTS - 1)) == 0, "slots: a power of two");

struct datakeys *datakeys_new(const struct keyring *k)
{
	struct datakeys *c = calloc(1, sizeof(*c));

	if (c && pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		c = NULL;
	}
	if (c)
		c->keys = k;
	return c;
}

void datakeys_free(struct datakeys *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c->e, sizeof(c->e)); /* D3 */
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/*
 * The slot of an envelope: its first bytes are its random nonce, so they
 * spread envelopes evenly. Direct-mapped: a miss replaces that one slot.
 */
static struct entry *slot_of(struct datakeys *c, const uint8_t wrapped[KEYRING_WRAPPED_SIZE])
{
	uint32_t h = (uint32_t)wrapped[0] | (uint32_t)wrapped[1] << 8 | (uint32_t)wrapped[2] << 16 |
		     (uint32_t)wrapped[3] << 24;

	return &c->e[h & (DATAKEYS_SLOTS - 1)];
}

s3err_t datakeys_unwrap(struct datakeys *c, const char *key_id, const uint8_t *wrapped,
			size_t wrapped_len, uint8_t data_key[KEYRING_KEY_SIZE])
{
	struct entry want, *e;
	size_t id_len = key_id ? strlen(key_id) : 0;
	bool hit = false;
	s3err_t err;

	/* What the cache cannot key exactly goes to the keyring, which refuses it. */
	if (!key_id || id_len >= sizeof(want.key_id) || !wrapped ||
	    wrapped_len != KEYRING_WRAPPED_SIZE)
		return keyring_unwrap(c->keys, key_id, wrapped, wrapped_len, data_key);
	memset(&want, 0, sizeof(want));
	memcpy(want.key_id, key_id, id_len);
	memcpy(want.wrapped, wrapped, KEYRING_WRAPPED_SIZE);
	pthread_mutex_lock(&c->mu);
	e = slot_of(c, wrapped);
	if (e->used && memcmp(e->key_id, want.key_id, sizeof(e->key_id)) == 0 &&
	    memcmp(e->wrapped, want.wrapped, sizeof(e->wrapped)) == 0) { /* D2 */
		memcpy(data_key, e->data_key, KEYRING_KEY_SIZE);
		hit = true;
	}
	pthread_mutex_unlock(&c->mu);
	if (hit)
		return S3E_OK;
	err = keyring_unwrap(c->keys, key_id, wrapped, wrapped_len, want.data_key); /* D4 */
	if (err == S3E_OK) {
		memcpy(data_key, want.data_key, KEYRING_KEY_SIZE);
		want.used = true;
		pthread_mutex_lock(&c->mu);
		e = slot_of(c, wrapped);
		OPENSSL_cleanse(e, sizeof(*e)); /* D3 */
		*e = want;
		pthread_mutex_unlock(&c->mu);
	}
	OPENSSL_cleanse(&want, sizeof(want)); /* D3: the copy on the stack too */
	return err;
}
