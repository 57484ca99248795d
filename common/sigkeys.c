/* sigkeys: a small cache of SigV4 signing keys (see sigkeys.h, K1..K4). */
#include "sigkeys.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "limits.h"
#include "sigv4.h"

#define DATE8_MAX 8u
#define SERVICE_MAX 16u

struct entry {
	bool used;
	char access_key[STRATA_MAX_ACCESS_KEY_LEN + 1];
	char secret[STRATA_MAX_SECRET_KEY_LEN + 1]; /* zero-padded: compared whole (K1) */
	char date8[DATE8_MAX + 1];
	char region[STRATA_MAX_REGION_LEN + 1];
	char service[SERVICE_MAX + 1];
	uint8_t key[32];
};

struct sigkeys {
	pthread_mutex_t mu;
	unsigned next; /* the slot the next miss replaces (round robin) */
	struct entry e[SIGKEYS_SLOTS];
};

struct sigkeys *sigkeys_new(void)
{
	struct sigkeys *c = calloc(1, sizeof(*c));

	if (c && pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		c = NULL;
	}
	return c;
}

void sigkeys_free(struct sigkeys *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c->e, sizeof(c->e)); /* K2 */
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Copies s into dst[cap] zero-padded; false when it does not fit (K3). */
static bool fits(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap)
		return false;
	memset(dst, 0, cap);
	memcpy(dst, s, n);
	return true;
}

/*
 * The entry of want's names (at most one has them), or NULL; *same says
 * whether its secret is want's too (K1: compared in constant time).
 */
static struct entry *find(struct sigkeys *c, const struct entry *want, bool *same)
{
	unsigned i;

	for (i = 0; i < SIGKEYS_SLOTS; i++) {
		struct entry *e = &c->e[i];

		if (e->used && strcmp(e->access_key, want->access_key) == 0 &&
		    strcmp(e->date8, want->date8) == 0 && strcmp(e->region, want->region) == 0 &&
		    strcmp(e->service, want->service) == 0) {
			*same = CRYPTO_memcmp(e->secret, want->secret, sizeof(e->secret)) == 0;
			return e;
		}
	}
	*same = false;
	return NULL;
}

void sigkeys_get(struct sigkeys *c, const char *access_key, const char *secret, const char *date8,
		 const char *region, const char *service, uint8_t out[32])
{
	struct entry want, *e;
	bool hit = false, same = false;

	if (!c || !fits(want.access_key, sizeof(want.access_key), access_key) ||
	    !fits(want.secret, sizeof(want.secret), secret) ||
	    !fits(want.date8, sizeof(want.date8), date8) ||
	    !fits(want.region, sizeof(want.region), region) ||
	    !fits(want.service, sizeof(want.service), service)) {
		sigv4_signing_key(secret, date8, region, service, out); /* K3 */
		goto out;
	}
	pthread_mutex_lock(&c->mu);
	e = find(c, &want, &same);
	if (e && same) {
		memcpy(out, e->key, 32);
		hit = true;
	}
	pthread_mutex_unlock(&c->mu);
	if (hit)
		goto out;
	sigv4_signing_key(secret, date8, region, service, out); /* K4: outside the lock */
	memcpy(want.key, out, 32);
	want.used = true;
	pthread_mutex_lock(&c->mu);
	/* The names' entry (its secret changed, or another thread just made it), else the next. */
	e = find(c, &want, &same);
	if (!e) {
		e = &c->e[c->next];
		c->next = (c->next + 1) % SIGKEYS_SLOTS;
	}
	OPENSSL_cleanse(e, sizeof(*e)); /* K2 */
	*e = want;
	pthread_mutex_unlock(&c->mu);
out:
	OPENSSL_cleanse(&want, sizeof(want)); /* K2: the copy on the stack too */
}
