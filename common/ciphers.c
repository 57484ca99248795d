/* ciphers: algorithms fetched once (see ciphers.h). */
#include "ciphers.h"

#include <pthread.h>

static EVP_CIPHER *aes_256_gcm;
static pthread_once_t aes_256_gcm_once = PTHREAD_ONCE_INIT;

static void fetch_aes_256_gcm(void)
{
	aes_256_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

const EVP_CIPHER *ciphers_aes_256_gcm(void)
{
	pthread_once(&aes_256_gcm_once, fetch_aes_256_gcm);
	return aes_256_gcm;
}
