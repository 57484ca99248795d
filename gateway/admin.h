/*
 * admin: the admin listener (config admin_listen), separate from the S3
 * listener so that no S3 bucket name ("metrics", "health") can shadow it:
 *
 *   GET /metrics        Prometheus text format 0.0.4 (common/metrics.h)
 *   GET /health/live    200 while the process serves
 *   GET /health/ready   200 when the data directory is writable and the home
 *                       backend answers; 503 with the reason otherwise (also
 *                       while the server shuts down)
 *   GET /replication/status[?bucket=B]   the replication queue, as
 *                       `strata replicate status` prints it (404: no bucket B)
 *   POST /replication/resync?bucket=B   starts `strata replicate resync` of B
 *                       in the server: 202 (its result is logged), 409 while
 *                       another runs, 404 no bucket B
 *   /console/...        the web console (console.h; config console), and /
 *                       redirecting to it
 *
 * It has no authentication (but the console's login): it is meant for
 * loopback or a management network. Besides the documents it can only start a resync, which
 * re-queues a bucket's objects for their sites and changes no object.
 */
#ifndef STRATA_ADMIN_H
#define STRATA_ADMIN_H

#include "../backends/backend.h"
#include "../common/config.h"

struct admin;

/*
 * Starts the listener on cfg->admin_host:admin_port (a no-op returning 0 with
 * *out = NULL when admin_port is 0). Borrows cfg and be until admin_stop.
 * Returns -1 (logged) when it cannot listen.
 */
int admin_start(const struct config *cfg, struct backend *be, struct admin **out);

/*
 * The CLI's client of a running server's admin listener (cfg->admin_host:
 * admin_port; an any-address listener is reached on loopback): sends method
 * path (path and query) with no body and copies the answer's body into
 * out[cap] (cut to fit) and its status into *status. Returns -1 with the
 * reason in out when no answer came.
 */
int admin_call(const struct config *cfg, const char *method, const char *path, char *out,
	       size_t cap, long *status);

/* From now on /health/ready answers 503 "shutting down" (a graceful stop). NULL is fine. */
void admin_set_stopping(struct admin *a);

/* Stops the listener (waiting for a resync it runs to stop) and frees it. NULL is fine. */
void admin_stop(struct admin *a);

/*
 * Readiness (exposed for tests): 0 when ready; otherwise -1 with the reason in
 * why[whylen].
 */
int admin_ready(const struct config *cfg, struct backend *be, char *why, size_t whylen);

#endif
