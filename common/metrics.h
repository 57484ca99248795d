/*
 * metrics: Strata's counters, gauges and request histograms, and their
 * Prometheus text exposition (served at GET /metrics on the admin listener).
 *
 * Everything is a fixed array of atomics, laid out at compile time (the rows
 * of metrics.def) or frozen at start-up (the operation names): updating a
 * metric is one relaxed atomic add, from any thread, with no lock and no
 * allocation, so the hot path of a request pays almost nothing.
 *
 * Label sets are small closed lists (storage classes, lifecycle actions,
 * scrub problems), so a label value never comes from a client and the
 * number of series is bounded.
 */
#ifndef STRATA_METRICS_H
#define STRATA_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "s3err.h"

/* The label sets a metrics.def row may use; each names its values in metrics.c. */
enum metric_labels {
	LABELS_NONE,  /* one series, no label */
	LABELS_CLASS, /* storage_class: STANDARD_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE, STANDARD */
	LABELS_LC_ACTION, /* action: expire, transition, abort_upload, restore, restore_expiry */
	LABELS_SCRUB_PROBLEM, /* problem: corrupt, truncated, missing_data, orphan_data
				 (enum scrub_problem order) */
	LABELS_REPL_OP,	      /* op: put, delete */
	LABELS_REPL_FAILURE,  /* kind: unreachable, refused, verify (enum repl_outcome order) */
	LABELS_LOG,	      /* log: access, audit (enum logfile_kind order) */
};

enum metric_id {
#define METRIC(id, type, name, labels, help) METRIC_##id,
#include "metrics.def"
#undef METRIC
	METRIC_COUNT
};

/* Values of LABELS_LC_ACTION, in order. */
enum metric_lc_action {
	METRIC_LC_EXPIRE,
	METRIC_LC_TRANSITION,
	METRIC_LC_ABORT_UPLOAD,
	METRIC_LC_RESTORE,
	METRIC_LC_RESTORE_EXPIRY,
};

#define METRICS_MAX_CELLS 8u		/* label values per row, at most */
#define METRICS_MAX_OPERATIONS 128	/* request families: operations registered at start-up */
#define METRICS_MAX_BODY (1024u * 1024) /* the whole exposition, a hard cap */

/* --- updating (any thread, lock-free) --- */

/* Adds n to row id, label value `cell` (0 for LABELS_NONE). Out-of-range ids or cells are ignored.
 */
void metrics_add(enum metric_id id, unsigned cell, uint64_t n);
/*
 * Sets a GAUGE row (or adds a signed delta with metrics_gauge_add). A SETGAUGE
 * row is exported from its first metrics_set on.
 */
void metrics_set(enum metric_id id, unsigned cell, uint64_t value);
void metrics_gauge_add(enum metric_id id, unsigned cell, int64_t delta);
/* The current value (tests, health checks). */
uint64_t metrics_get(enum metric_id id, unsigned cell);

#define METRICS_CLASS_COUNT 5u /* values of LABELS_CLASS */
/* The name of LABELS_CLASS cell (NULL when out of range). */
const char *metrics_class_name(unsigned cell);
/* The LABELS_CLASS cell of a storage class name ("" = STANDARD); unknown names map to STANDARD. */
unsigned metrics_class_cell(const char *storage_class);

/* --- requests, per operation --- */

/*
 * Freezes the operation names (static strings, e.g. the route table's names)
 * that metrics_request's `op` indexes. Call once at start-up, before any
 * request; later calls are ignored. Returns how many were registered (at most
 * METRICS_MAX_OPERATIONS; duplicates are kept once, in first-seen order).
 */
size_t metrics_register_operations(const char *const *names, size_t n);
/* The index of operation name, or -1 if it was not registered. */
int metrics_operation_index(const char *name);

/*
 * Counts one finished request of operation op (-1: none matched, reported as
 * operation="unknown") with its HTTP status and duration, into
 * strata_requests_total{operation,status} and the latency histogram
 * strata_request_duration_seconds{operation}.
 */
void metrics_request(int op, unsigned status, uint64_t duration_us);

/*
 * Sums of strata_requests_total over every operation: all requests, those
 * answered 4xx and those answered 5xx (the dashboard's request and error
 * rates; "other" statuses count in all only).
 */
void metrics_request_totals(uint64_t *all, uint64_t *client_errors, uint64_t *server_errors);

/* --- exposition --- */

/*
 * Appends the Prometheus text format (version 0.0.4) of every metric to out:
 * # HELP / # TYPE lines, then one sample per series; requests only for
 * operations that have seen a request. Errors: S3E_InternalError when out
 * would pass METRICS_MAX_BODY or cannot grow.
 */
s3err_t metrics_render(struct buf *out);

/* Zeroes everything but the registered operation names (tests). */
void metrics_reset(void);

#endif
