/* tls: the HTTPS listener's credentials and their reload (invariants in tls.h). */
#include "tls.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <openssl/crypto.h>

#include "../common/limits.h"
#include "../common/log.h"
#include "../common/strutil.h"

/* One certificate chain and its key, as GnuTLS hands them to a handshake. */
struct creds {
	gnutls_pcert_st certs[TLS_MAX_CHAIN];
	unsigned ncerts;
	gnutls_privkey_t key;
	unsigned refs;	    /* T1: 1 while current + 1 per session that chose it; under lock */
	struct creds *next; /* in tls.retired */
};

/* Which set a live session was handed (T1); one per handshake, freed at close. */
struct lease {
	const void *session; /* the gnutls_session_t, compared only */
	struct creds *creds;
	struct lease *next;
};

/* Buckets of the lease table: open TLS connections spread over them by address. */
#define LEASE_BUCKETS 256u

struct tls {
	pthread_mutex_t lock;
	struct creds *current;		     /* what the next handshake gets */
	struct creds *retired;		     /* replaced, still used by open sessions */
	struct lease *leases[LEASE_BUCKETS]; /* under lock */
	bool callback;			     /* MHD_OPTION_HTTPS_CERT_CALLBACK is in use */
	char cert_path[STRATA_MAX_PATH];
	char key_path[STRATA_MAX_PATH];
	char *cert_pem, *key_pem; /* without the callback: handed to libmicrohttpd */
};

/*
 * The open tls, for the GnuTLS callback, whose type carries no context
 * pointer. Set once before the daemon starts, cleared after it stopped.
 */
static struct tls *active;

/* Reads a whole PEM file of at most TLS_MAX_PEM bytes, NUL-terminated. */
static int read_pem(const char *path, const char *what, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n;

	if (!f) {
		log_error("tls", "cannot read the TLS %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	data = malloc(TLS_MAX_PEM + 1);
	if (!data) {
		log_error("tls", "out of memory");
		fclose(f);
		return -1;
	}
	n = fread(data, 1, TLS_MAX_PEM + 1, f);
	if (ferror(f) || n == 0 || n > TLS_MAX_PEM) {
		log_error("tls", "cannot read the TLS %s %s: %s", what, path,
			  ferror(f) ? strerror(errno)
			  : n	    ? "larger than 256 KiB"
				    : "empty file");
		OPENSSL_cleanse(data, TLS_MAX_PEM + 1);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	data[n] = '\0';
	*out = data;
	*len = n;
	return 0;
}

static void free_pem(char *pem)
{
	if (pem) {
		OPENSSL_cleanse(pem, strlen(pem));
		free(pem);
	}
}

static void creds_free(struct creds *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < c->ncerts; i++)
		gnutls_pcert_deinit(&c->certs[i]);
	if (c->key)
		gnutls_privkey_deinit(c->key);
	free(c);
}

/* true when key's public half is the leaf certificate's public key. */
static bool key_matches(gnutls_privkey_t key, gnutls_pubkey_t cert_pub)
{
	gnutls_datum_t a = {NULL, 0}, b = {NULL, 0};
	gnutls_pubkey_t pub = NULL;
	bool same = false;

	if (gnutls_pubkey_init(&pub) == 0 && gnutls_pubkey_import_privkey(pub, key, 0, 0) == 0 &&
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &a) == 0 &&
	    gnutls_pubkey_export2(cert_pub, GNUTLS_X509_FMT_DER, &b) == 0)
		same = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	if (pub)
		gnutls_pubkey_deinit(pub);
	return same;
}

/* Parses both PEM texts into a credential set with one reference, or logs why not. */
static int creds_parse(const struct tls *t, char *cert_pem, size_t cert_len, char *key_pem,
		       size_t key_len, struct creds **out)
{
	gnutls_datum_t cd = {(unsigned char *)cert_pem, (unsigned)cert_len};
	gnutls_datum_t kd = {(unsigned char *)key_pem, (unsigned)key_len};
	struct creds *c = calloc(1, sizeof(*c));
	unsigned n = TLS_MAX_CHAIN;
	int rc;

	if (!c) {
		log_error("tls", "out of memory");
		return -1;
	}
	rc = gnutls_pcert_list_import_x509_raw(c->certs, &n, &cd, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0 || n == 0) {
		log_error("tls", "%s: not a PEM certificate chain of at most %u certificates (%s)",
			  t->cert_path, TLS_MAX_CHAIN, rc < 0 ? gnutls_strerror(rc) : "none found");
		goto fail;
	}
	c->ncerts = n;
	if ((rc = gnutls_privkey_init(&c->key)) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(c->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		log_error("tls", "%s: not an unencrypted PEM private key (%s)", t->key_path,
			  gnutls_strerror(rc));
		goto fail;
	}
	if (!key_matches(c->key, c->certs[0].pubkey)) {
		log_error("tls", "the key %s does not match the certificate %s", t->key_path,
			  t->cert_path);
		goto fail;
	}
	c->refs = 1;
	*out = c;
	return 0;
fail:
	creds_free(c);
	return -1;
}

/* Reads and checks both files. Keeps the PEM texts (for libmicrohttpd) when cert_pem is not NULL.
 */
static int creds_load(const struct tls *t, struct creds **out, char **cert_pem, char **key_pem)
{
	char *cp = NULL, *kp = NULL;
	size_t cl, kl;
	int rc = -1;

	if (read_pem(t->cert_path, "certificate", &cp, &cl) != 0 ||
	    read_pem(t->key_path, "key", &kp, &kl) != 0)
		goto out;
	if (creds_parse(t, cp, cl, kp, kl, out) != 0)
		goto out;
	rc = 0;
	if (cert_pem) {
		*cert_pem = cp;
		*key_pem = kp;
		cp = kp = NULL;
	}
out:
	free_pem(kp);
	free_pem(cp);
	return rc;
}

static unsigned lease_bucket(const void *session)
{
	uintptr_t v = (uintptr_t)session;

	return (unsigned)((v >> 4) ^ (v >> 12)) % LEASE_BUCKETS;
}

/* The lease of session, with the link that points to it (for unlinking). */
static struct lease **lease_find(struct tls *t, const void *session)
{
	struct lease **pp = &t->leases[lease_bucket(session)];

	while (*pp && (*pp)->session != session)
		pp = &(*pp)->next;
	return pp;
}

/*
 * GnuTLS asks for the server's credentials at each full handshake: it gets
 * the current set, which this session now holds a reference to (T1). The
 * session is remembered, since neither GnuTLS nor libmicrohttpd says at
 * close which certificate a connection was handed. A session asking twice
 * gets the set it was handed first.
 */
static int retrieve_creds(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
			  const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
			  gnutls_pcert_st **pcert, unsigned int *pcert_length,
			  gnutls_privkey_t *privkey)
{
	struct lease *fresh = malloc(sizeof(*fresh)), **pp;
	struct tls *t = active;
	struct creds *c;

	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (!t || !fresh) {
		free(fresh);
		return -1; /* the handshake fails; the connection closes */
	}
	pthread_mutex_lock(&t->lock);
	pp = lease_find(t, session);
	if (*pp) {
		c = (*pp)->creds;
	} else {
		c = t->current;
		c->refs++;
		fresh->session = session;
		fresh->creds = c;
		fresh->next = NULL;
		*pp = fresh;
		fresh = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	free(fresh);
	*pcert = c->certs;
	*pcert_length = c->ncerts;
	*privkey = c->key;
	return 0;
}

int tls_open(const char *cert_path, const char *key_path, struct tls **out)
{
	struct tls *t;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		log_error("tls", "tls_cert/tls_key are set but this libmicrohttpd was built "
				 "without TLS support");
		return -1;
	}
	if (active) {
		log_error("tls", "a TLS listener is already open");
		return -1;
	}
	if (!(t = calloc(1, sizeof(*t)))) {
		log_error("tls", "out of memory");
		return -1;
	}
	pthread_mutex_init(&t->lock, NULL);
	str_copy(t->cert_path, sizeof(t->cert_path), cert_path);
	str_copy(t->key_path, sizeof(t->key_path), key_path);
	t->callback = MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) == MHD_YES;
	if (creds_load(t, &t->current, t->callback ? NULL : &t->cert_pem,
		       t->callback ? NULL : &t->key_pem) != 0) {
		tls_free(t);
		return -1;
	}
	if (t->callback)
		active = t;
	else
		log_warn("tls", "this libmicrohttpd has no certificate callback: SIGHUP cannot "
				"reload the certificate (restart to use a new one)");
	log_info("tls", "certificate %s (%u in chain) and key %s loaded", cert_path,
		 t->current->ncerts, key_path);
	*out = t;
	return 0;
}

void tls_free(struct tls *t)
{
	struct creds *c, *next;
	struct lease *l, *lnext;
	unsigned i;

	if (!t)
		return;
	if (active == t)
		active = NULL;
	for (i = 0; i < LEASE_BUCKETS; i++)
		for (l = t->leases[i]; l; l = lnext) {
			lnext = l->next;
			free(l);
		}
	creds_free(t->current);
	for (c = t->retired; c; c = next) {
		next = c->next;
		creds_free(c);
	}
	free_pem(t->cert_pem);
	free_pem(t->key_pem);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void tls_mhd_options(struct tls *t, struct MHD_OptionItem opts[4])
{
	memset(opts, 0, 4 * sizeof(opts[0]));
	if (t->callback) {
		opts[0].option = MHD_OPTION_HTTPS_CERT_CALLBACK;
		opts[0].ptr_value = (void *)retrieve_creds;
		opts[1].option = MHD_OPTION_END;
		return;
	}
	opts[0].option = MHD_OPTION_HTTPS_MEM_CERT;
	opts[0].ptr_value = t->cert_pem;
	opts[1].option = MHD_OPTION_HTTPS_MEM_KEY;
	opts[1].ptr_value = t->key_pem;
	opts[2].option = MHD_OPTION_END;
}

int tls_reload(struct tls *t)
{
	struct creds *fresh = NULL, *old;

	if (!t->callback) {
		log_warn("tls", "SIGHUP: certificate reload is not supported by this "
				"libmicrohttpd (no certificate callback); still serving the "
				"certificate loaded at start");
		return -1;
	}
	/* T3: read and check the files before taking the lock. */
	if (creds_load(t, &fresh, NULL, NULL) != 0) {
		log_error("tls", "SIGHUP: keeping the current certificate (T2)");
		return -1;
	}
	pthread_mutex_lock(&t->lock);
	old = t->current;
	t->current = fresh;
	if (--old->refs > 0) {
		old->next = t->retired;
		t->retired = old;
		old = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	creds_free(old);
	log_info("tls", "SIGHUP: reloaded %s and %s; new connections get them", t->cert_path,
		 t->key_path);
	return 0;
}

void tls_connection_closed(struct tls *t, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	struct creds **cp, *gone = NULL;
	struct lease **pp, *l = NULL;

	if (!t || !t->callback)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return;
	pthread_mutex_lock(&t->lock);
	pp = lease_find(t, ci->tls_session);
	if ((l = *pp)) {
		*pp = l->next;
		/* The current set never reaches 0 here: being current holds a reference. */
		if (--l->creds->refs == 0) {
			for (cp = &t->retired; *cp && *cp != l->creds; cp = &(*cp)->next)
				;
			if (*cp) {
				*cp = l->creds->next;
				gone = l->creds;
			}
		}
	}
	pthread_mutex_unlock(&t->lock);
	free(l);
	if (gone) {
		creds_free(gone);
		log_debug("tls", "the last connection using a replaced certificate closed; "
				 "freed it");
	}
}
