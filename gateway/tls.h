/*
 * tls: the certificate and key of the HTTPS listener, checked at start-up
 * and reloaded on SIGHUP.
 *
 * libmicrohttpd does TLS with GnuTLS. Where it offers
 * MHD_OPTION_HTTPS_CERT_CALLBACK, GnuTLS asks this module for the
 * credentials at every handshake, so a reload swaps them under a lock and
 * the next handshake gets the new certificate while open connections keep
 * the session they have. Without the callback the PEM text is handed to
 * libmicrohttpd once (MHD_OPTION_HTTPS_MEM_CERT/KEY) and a SIGHUP only says
 * that a restart is needed.
 *
 * Invariants:
 *   T1 A credential set is never freed while a session may use it: it holds
 *      one reference while it is current and one per handshake that chose
 *      it (a lease, keyed by the GnuTLS session), dropped when that
 *      connection closes (tls_connection_closed).
 *   T2 A reload that fails (unreadable file, key not matching the
 *      certificate) changes nothing: the old set stays current.
 *   T3 The lock is never held across file I/O or parsing.
 */
#ifndef STRATA_TLS_H
#define STRATA_TLS_H

#include <stdbool.h>

#include <microhttpd.h>

/* Largest PEM file read (a certificate chain, or a key). */
#define TLS_MAX_PEM (256u * 1024u)
/* Certificates in a chain, leaf included, at most. */
#define TLS_MAX_CHAIN 16u

struct tls;

/*
 * Loads cert_path (PEM chain, leaf first) and key_path (unencrypted PEM
 * key), after checking that libmicrohttpd has TLS and that the key belongs
 * to the leaf certificate. Logs why not and returns -1 (nothing allocated).
 * Only one tls may be open at a time (GnuTLS's callback carries no context).
 */
int tls_open(const char *cert_path, const char *key_path, struct tls **out);

/* Frees every credential set; call after the daemon stopped. NULL is fine. */
void tls_free(struct tls *t);

/*
 * The libmicrohttpd options of the HTTPS daemon, MHD_OPTION_END-terminated,
 * into opts[4]: MHD_OPTION_HTTPS_CERT_CALLBACK when available, else the
 * PEM text (borrowed from t: keep t until the daemon stopped).
 */
void tls_mhd_options(struct tls *t, struct MHD_OptionItem opts[4]);

/*
 * Re-reads both files (SIGHUP). Returns 0 when new handshakes get them, -1
 * when they were refused (logged; the old ones stay, T2) or when this
 * libmicrohttpd cannot switch certificates while running (logged).
 */
int tls_reload(struct tls *t);

/* Drops the reference the connection's handshake took (T1). NULL t is fine. */
void tls_connection_closed(struct tls *t, struct MHD_Connection *conn);

#endif
