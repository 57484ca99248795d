/*
 * replicator: ships queued replication events to their sites (DESIGN.md,
 * "Replication"; issue 8).
 *
 * The gateway decides at commit which targets a change goes to and the
 * backend queues one durable event per target in the same atomic step
 * (backends/backend.h, "replication"). This module drains that queue:
 * `workers` threads take due events (backend_repl_due: one per key and
 * target at a time, oldest first), make the target's copy of the key match
 * the source as it is now (stream the current version there, or delete it
 * there; in a versioned bucket, the event's own version or delete marker,
 * under the source's id at another Strata), verify the SHA-256 at the
 * destination, and mark the event done;
 * a failure is retried with exponential backoff and jitter, capped at
 * replication_retry_max, and never dropped. Sites come from the
 * configuration ([site NAME] sections), one S3 client each.
 */
#ifndef STRATA_REPLICATOR_H
#define STRATA_REPLICATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "../backends/backend.h"
#include "../common/config.h"

struct keyring;
struct replicator;

struct replicator_opts {
	struct backend *be;	  /* the home backend (borrowed) */
	const struct config *cfg; /* sites and replication_* settings (borrowed) */
	const struct keyring
	    *keys; /* unwraps SSE-S3 data keys to read sealed objects; may be NULL */
};

/*
 * Starts the workers. When no site is configured or the backend cannot
 * replicate, starts nothing and sets *out to NULL (returns 0). Returns -1
 * (logged) if a site's client or a thread cannot be made.
 */
int replicator_start(const struct replicator_opts *o, struct replicator **out);

/* A commit queued events: look at the queue now rather than at the next interval. NULL is fine. */
void replicator_wake(struct replicator *rp);

/* Stops taking events, lets the ones in flight finish or fail, joins, frees. NULL is fine. */
void replicator_stop(struct replicator *rp);

#endif
