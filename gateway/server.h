/*
 * server: the libmicrohttpd glue. Owns the daemon, the configuration, the
 * credentials store and the home backend, and turns libmicrohttpd's
 * callbacks into the request lifecycle:
 *
 *   URI seen      -> request created (uri_log)
 *   headers done  -> parse, route, authenticate, authorize, op begin
 *   body pieces   -> body pipeline (or bounded XML buffer)
 *   body done     -> op run, response queued
 *   completed     -> op state released (an uncommitted writer is aborted)
 */
#ifndef STRATA_SERVER_H
#define STRATA_SERVER_H

#include <stdatomic.h>
#include <sys/socket.h>

#include "../backends/backend.h"
#include "../common/config.h"
#include "reqlog.h"
#include "users.h"

struct keyring;
struct server;
struct tls;
struct lc_engine;
struct replicator;
struct repl_cache;
struct conntrack;

/*
 * One libmicrohttpd daemon and what its requests inherit: whether they came
 * over TLS (request.tls, which lets SSE-C through).
 */
struct server_listener {
	struct server *srv;
	struct MHD_Daemon *daemon; /* NULL when not started */
	bool tls;
};

struct server {
	const struct config *cfg;
	struct backend *be;
	struct users *users;
	struct tls *tls;		     /* gateway/tls.h; NULL without tls_cert */
	struct server_listener listeners[2]; /* listen, then http_listen (if set) */
	struct keyring *keys;	       /* the master keys (sse_keys.h); immutable while serving */
	struct lc_engine *lifecycle;   /* the lifecycle engine (poked by RestoreObject) */
	struct replicator *replicator; /* lifecycle/replicator.h; NULL when no site is configured */
	struct repl_cache *repl_cache; /* gateway/replication.h: parsed rules of recent buckets */
	struct conntrack *conns;       /* gateway/conntrack.h: head deadlines, requests in flight */
	struct sigkeys *sigkeys;       /* common/sigkeys.h: recent SigV4 signing keys */
	struct datakeys *datakeys;     /* common/datakeys.h: recent unwrapped data keys of keys */
	atomic_bool stopping;	       /* SIGTERM: no new connections; responses close theirs */
	struct reqlog logs;	       /* access and audit logs (reqlog.h); reopened on SIGHUP */
};

/*
 * Resolves a listen address (host "" = every interface) into *ss / *len.
 * Returns -1 (logged, naming `what`: "listen", "admin_listen") when it cannot.
 */
int server_resolve(const char *what, const char *host, uint16_t port, struct sockaddr_storage *ss,
		   socklen_t *len);

struct posix_opts;

/*
 * The posix backend's options from the configuration (tiers, integrity
 * switch) and the master keys (may be NULL). Borrows from cfg and keys.
 */
void server_posix_opts(const struct config *cfg, const struct keyring *keys,
		       struct posix_opts *out);

/*
 * Opens the home backend the configuration names (`backend`): posix over
 * cfg->data_dir with its tiers and the master keys (may be NULL; borrowed),
 * or s3 on the remote (s3_* keys). Logs why not and returns non-OK: a
 * missing s3_* setting, tiers with backend = s3 (not supported yet), an
 * unusable data directory or remote.
 */
s3err_t server_open_home(const struct config *cfg, const struct keyring *keys,
			 struct backend **out);

/*
 * Serves until SIGINT/SIGTERM: opens the backend and users under
 * cfg->data_dir, starts the daemons (listen: HTTPS with tls_cert/tls_key,
 * else HTTP; http_listen: HTTP beside HTTPS), waits for a signal, then
 * stops. SIGHUP reloads the TLS certificate and key, reopens the access and
 * audit logs (logrotate), and keeps serving.
 * Returns a process exit code.
 */
int server_run(const struct config *cfg);

#endif
