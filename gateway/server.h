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

#include "../backends/backend.h"
#include "../common/config.h"
#include "users.h"

struct keyring;
struct lc_engine;

struct server {
	const struct config *cfg;
	struct backend *be;
	struct users *users;
	struct MHD_Daemon *daemon;
	struct keyring *keys;	     /* the master keys (sse_keys.h); immutable while serving */
	struct lc_engine *lifecycle; /* the lifecycle engine (poked by RestoreObject) */
};

struct posix_opts;

/*
 * The posix backend's options from the configuration (tiers, integrity
 * switch) and the master keys (may be NULL). Borrows from cfg and keys.
 */
void server_posix_opts(const struct config *cfg, const struct keyring *keys,
		       struct posix_opts *out);

/*
 * Serves until SIGINT/SIGTERM: opens the backend and users under
 * cfg->data_dir, starts the daemon, waits for a signal, then stops.
 * Returns a process exit code.
 */
int server_run(const struct config *cfg);

#endif
