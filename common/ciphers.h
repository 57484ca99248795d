/*
 * ciphers: OpenSSL cipher algorithms fetched once for the whole process.
 *
 * OpenSSL 3 looks an algorithm up in its provider store (under a lock) on
 * every EVP_*Init call that is given EVP_aes_256_gcm(); a GET of a small
 * encrypted object makes two such calls (the data key's unwrap and the
 * file's cipher), so the lookup showed in its profile. An explicitly fetched
 * EVP_CIPHER is immutable and may be used by any number of threads at once.
 */
#ifndef STRATA_CIPHERS_H
#define STRATA_CIPHERS_H

#include <openssl/evp.h>

/* AES-256-GCM from the default provider, or NULL if it cannot be fetched (never freed). */
const EVP_CIPHER *ciphers_aes_256_gcm(void);

#endif
