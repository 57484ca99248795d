/*
 * dashboard: the numbers behind the console's dashboard (issue 13), kept
 * over time by the server so that a chart survives a page reload.
 *
 * A sampler thread (started with the admin listener) wakes every second and
 *   - refreshes the strata_stored_* gauges of /metrics from the backend's
 *     storage_usage slot (one pass over the index): every
 *     DASH_USAGE_INTERVAL seconds, or sooner when asked (dashboard_poke:
 *     a /metrics scrape or the history API), but never twice within
 *     DASH_USAGE_MIN_GAP seconds. A backend without the slot (s3) is asked
 *     once; its gauges are then never exported.
 *   - every DASH_FINE_STEP seconds reads the same numbers /metrics shows
 *     (metrics_get, metrics_request_totals) into a sample, kept in two
 *     bounded rings: the last DASH_FINE_SAMPLES samples (30 min at 10 s),
 *     and one sample per DASH_COARSE_STEP seconds for DASH_COARSE_SAMPLES
 *     (24 h at 1 min). That is about 200 KB, allocated once at start.
 *
 * The history is in memory only: a restart loses it (the page then charts
 * from the restart on; counters restart from 0 too, and the page computes
 * rates only between samples of one run, never across a drop).
 */
#ifndef STRATA_DASHBOARD_H
#define STRATA_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../backends/backend.h"
#include "../common/buf.h"
#include "../common/metrics.h"
#include "../common/s3err.h"

#define DASH_CLASSES METRICS_CLASS_COUNT /* metrics' LABELS_CLASS, in its order */
#define DASH_FINE_STEP 10u		 /* seconds between samples */
#define DASH_FINE_SAMPLES 180u		 /* 30 minutes of them */
#define DASH_COARSE_STEP 60u		 /* seconds between samples of the long ring */
#define DASH_COARSE_SAMPLES 1440u	 /* 24 hours of them */
#define DASH_USAGE_INTERVAL 60u		 /* seconds between storage usage passes */
#define DASH_USAGE_MIN_GAP 5u		 /* ...and at least this many, however often poked */

/* One sample: what /metrics said at time t. */
struct dash_sample {
	int64_t t;			/* Unix seconds */
	bool usage;			/* the stored_* numbers are known (false on the s3 home) */
	uint64_t objects[DASH_CLASSES]; /* current versions per class */
	uint64_t bytes[DASH_CLASSES];
	uint64_t noncurrent_bytes; /* all classes */
	uint64_t repl_depth, repl_lag_seconds, repl_pending_bytes;
	uint64_t requests, client_errors, server_errors; /* counters since start */
	uint64_t scrub_passes, scrub_objects, scrub_problems, scrub_last_pass;
};

/* ---- a bounded ring of samples (pure; unit-tested) ---- */

struct dash_ring {
	struct dash_sample *s;
	size_t cap, head, n; /* head: where the next push goes */
};

/* Allocates cap slots. -1 when out of memory (or cap 0). */
int dash_ring_init(struct dash_ring *r, size_t cap);
void dash_ring_free(struct dash_ring *r);
/* Adds s, dropping the oldest sample when full. */
void dash_ring_push(struct dash_ring *r, const struct dash_sample *s);
size_t dash_ring_count(const struct dash_ring *r);
/* The i-th sample, oldest first (i < count). */
const struct dash_sample *dash_ring_at(const struct dash_ring *r, size_t i);

/* Appends s as a JSON object (the history API's element; README "Web console"). */
s3err_t dash_sample_json(struct buf *b, const struct dash_sample *s);

/* ---- the sampler ---- */

struct dashboard;

/* Starts the sampler over be (borrowed until dashboard_stop). -1 (logged) on failure. */
int dashboard_start(struct backend *be, struct dashboard **out);
/* Stops and joins the thread, frees d. NULL is fine. */
void dashboard_stop(struct dashboard *d);
/* Asks for a storage usage pass soon (rate-limited, see above). NULL is fine. */
void dashboard_poke(struct dashboard *d);
/*
 * Appends the history as JSON: {"step":10,"coarse_step":60,"classes":[...],
 * "fine":[sample...],"coarse":[sample...]}, oldest first.
 * Errors: out's (the whole history fits in DASH_HISTORY_MAX_JSON).
 */
s3err_t dashboard_history_json(struct dashboard *d, struct buf *out);

#define DASH_HISTORY_MAX_JSON (2u * 1024 * 1024)

#endif
