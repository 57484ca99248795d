/*
 * admin: the admin listener (config admin_listen), separate from the S3
 * listener so that no S3 bucket name ("metrics", "health") can shadow it:
 *
 *   GET /metrics        Prometheus text format 0.0.4 (common/metrics.h)
 *   GET /health/live    200 while the process serves
 *   GET /health/ready   200 when the data directory is writable and the home
 *                       backend answers; 503 with the reason otherwise
 *
 * It has no authentication and serves only these read-only documents; it is
 * meant for loopback or a management network.
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

/* Stops the listener and frees it. admin_stop(NULL) does nothing. */
void admin_stop(struct admin *a);

/*
 * Readiness (exposed for tests): 0 when ready; otherwise -1 with the reason in
 * why[whylen].
 */
int admin_ready(const struct config *cfg, struct backend *be, char *why, size_t whylen);

#endif
