/*
 * sigkeys: a small cache of SigV4 signing keys (issue 11).
 *
 * kSigning depends only on the user's secret, the request's date, region
 * and service, so a client signs hundreds of requests a day under the same
 * one; deriving it is four HMACs, about 2 us, some 5% of a small GET's
 * CPU. The cache holds the last SIGKEYS_SLOTS keys derived.
 *
 * Invariants:
 *  K1. An entry is found only by the same access key, date, region and
 *      service AND the same secret (compared in constant time): a secret
 *      changed in the users file (it is re-read while serving) derives a
 *      new key, never uses the old one, and replaces it: one entry at most
 *      per names.
 *  K2. Secrets and keys in the cache are wiped (OPENSSL_cleanse) when an
 *      entry is replaced and when the cache is freed.
 *  K3. Inputs longer than an entry holds are derived every time, never
 *      cached under a truncated name.
 *  K4. The mutex is held only to copy an entry in or out, never while
 *      deriving.
 */
#ifndef STRATA_SIGKEYS_H
#define STRATA_SIGKEYS_H

#include <stdint.h>

#define SIGKEYS_SLOTS 32u

struct sigkeys;

/* A new, empty cache; NULL when out of memory. */
struct sigkeys *sigkeys_new(void);
/* Wipes and frees it (K2); NULL does nothing. */
void sigkeys_free(struct sigkeys *c);

/*
 * kSigning for (secret, date8, region, service) into out, as
 * sigv4_signing_key computes it: from the cache when an entry matches (K1),
 * else derived and remembered. c may be NULL (derived every time).
 */
void sigkeys_get(struct sigkeys *c, const char *access_key, const char *secret, const char *date8,
		 const char *region, const char *service, uint8_t out[32]);

#endif
