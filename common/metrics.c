/* metrics: lock-free counters and their Prometheus exposition (see metrics.h). */
#include "metrics.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

enum metric_type { COUNTER, GAUGE, SETGAUGE };

struct row {
	const char *name;
	enum metric_type type;
	enum metric_labels labels;
	const char *help;
};

static const struct row rows[METRIC_COUNT] = {
#define METRIC(id, type, name, labels, help) {name, type, labels, help},
#include "metrics.def"
#undef METRIC
};

/* Label name and values per enum metric_labels; a row has one cell per value. */
static const struct {
	const char *name;
	const char *values[METRICS_MAX_CELLS];
	unsigned n;
} label_sets[] = {
    [LABELS_NONE] = {NULL, {NULL}, 1},
    [LABELS_CLASS] = {"storage_class",
		      {"STANDARD_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE", "STANDARD"},
		      METRICS_CLASS_COUNT},
    [LABELS_LC_ACTION] = {"action",
			  {"expire", "transition", "abort_upload", "restore", "restore_expiry"},
			  5},
    [LABELS_SCRUB_PROBLEM] = {"problem",
			      {"corrupt", "truncated", "missing_data", "orphan_data"},
			      4},
    [LABELS_REPL_OP] = {"op", {"put", "delete"}, 2},
    [LABELS_REPL_FAILURE] = {"kind", {"unreachable", "refused", "verify"}, 3},
    [LABELS_LOG] = {"log", {"access", "audit"}, 2},
};

static _Atomic uint64_t cells[METRIC_COUNT][METRICS_MAX_CELLS];
static atomic_bool was_set[METRIC_COUNT]; /* SETGAUGE rows: exported once set */

/* Requests: the status codes S3 answers get their own series; the rest are "other". */
static const unsigned statuses[] = {200, 204, 206, 304, 307, 400, 403, 404,
				    405, 409, 411, 412, 416, 500, 501, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1) /* + other */

/* Latency histogram bounds in microseconds (Prometheus `le` in seconds). */
static const uint64_t bounds_us[] = {1000,   2500,   5000,    10000,   25000,	50000,	 100000,
				     250000, 500000, 1000000, 2500000, 5000000, 10000000};
#define NBOUNDS (sizeof(bounds_us) / sizeof(bounds_us[0]))

#define OP_SLOTS (METRICS_MAX_OPERATIONS + 1) /* the last one is "unknown" */

static const char *op_names[METRICS_MAX_OPERATIONS];
static size_t nops;
static atomic_bool ops_frozen;

static _Atomic uint64_t req_count[OP_SLOTS][NSTATUS];
static _Atomic uint64_t req_hist[OP_SLOTS][NBOUNDS]; /* non-cumulative; summed on render */
static _Atomic uint64_t req_sum_us[OP_SLOTS];

static bool cell_ok(enum metric_id id, unsigned cell)
{
	return (unsigned)id < METRIC_COUNT && cell < label_sets[rows[id].labels].n;
}

void metrics_add(enum metric_id id, unsigned cell, uint64_t n)
{
	if (cell_ok(id, cell))
		atomic_fetch_add_explicit(&cells[id][cell], n, memory_order_relaxed);
}

void metrics_set(enum metric_id id, unsigned cell, uint64_t value)
{
	if (cell_ok(id, cell)) {
		atomic_store_explicit(&cells[id][cell], value, memory_order_relaxed);
		atomic_store_explicit(&was_set[id], true, memory_order_relaxed);
	}
}

void metrics_gauge_add(enum metric_id id, unsigned cell, int64_t delta)
{
	/* Two's complement: adding the unsigned image of a negative delta subtracts. */
	if (cell_ok(id, cell))
		atomic_fetch_add_explicit(&cells[id][cell], (uint64_t)delta, memory_order_relaxed);
}

uint64_t metrics_get(enum metric_id id, unsigned cell)
{
	return cell_ok(id, cell) ? atomic_load_explicit(&cells[id][cell], memory_order_relaxed) : 0;
}

const char *metrics_class_name(unsigned cell)
{
	return cell < METRICS_CLASS_COUNT ? label_sets[LABELS_CLASS].values[cell] : NULL;
}

unsigned metrics_class_cell(const char *storage_class)
{
	unsigned i;

	for (i = 0; i + 1 < label_sets[LABELS_CLASS].n; i++)
		if (storage_class && strcmp(storage_class, label_sets[LABELS_CLASS].values[i]) == 0)
			return i;
	return label_sets[LABELS_CLASS].n - 1; /* STANDARD */
}

size_t metrics_register_operations(const char *const *names, size_t n)
{
	size_t i, j;

	if (atomic_load(&ops_frozen))
		return nops;
	for (i = 0; i < n && nops < METRICS_MAX_OPERATIONS; i++) {
		for (j = 0; j < nops && strcmp(op_names[j], names[i]) != 0; j++)
			;
		if (j == nops)
			op_names[nops++] = names[i];
	}
	atomic_store(&ops_frozen, true);
	return nops;
}

int metrics_operation_index(const char *name)
{
	size_t i;

	for (i = 0; name && i < nops; i++)
		if (strcmp(op_names[i], name) == 0)
			return (int)i;
	return -1;
}

void metrics_request(int op, unsigned status, uint64_t duration_us)
{
	size_t slot = (op >= 0 && (size_t)op < nops) ? (size_t)op : METRICS_MAX_OPERATIONS;
	size_t s, b;

	for (s = 0; s < NSTATUS - 1 && statuses[s] != status; s++)
		;
	for (b = 0; b < NBOUNDS && duration_us > bounds_us[b]; b++)
		;
	atomic_fetch_add_explicit(&req_count[slot][s], 1, memory_order_relaxed);
	if (b < NBOUNDS) /* slower than the last bound: only +Inf, which is the count */
		atomic_fetch_add_explicit(&req_hist[slot][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&req_sum_us[slot], duration_us, memory_order_relaxed);
}

void metrics_request_totals(uint64_t *all, uint64_t *client_errors, uint64_t *server_errors)
{
	size_t slot, s;

	*all = *client_errors = *server_errors = 0;
	for (slot = 0; slot < OP_SLOTS; slot++)
		for (s = 0; s < NSTATUS; s++) {
			uint64_t v =
			    atomic_load_explicit(&req_count[slot][s], memory_order_relaxed);

			*all += v;
			if (s < NSTATUS - 1 && statuses[s] >= 500)
				*server_errors += v;
			else if (s < NSTATUS - 1 && statuses[s] >= 400)
				*client_errors += v;
		}
}

static const char *type_name(enum metric_type t)
{
	return t == COUNTER ? "counter" : "gauge"; /* a SETGAUGE is a gauge */
}

static s3err_t render_rows(struct buf *out)
{
	s3err_t err = S3E_OK;
	unsigned id, c;

	for (id = 0; id < METRIC_COUNT && !err; id++) {
		const struct row *r = &rows[id];
		unsigned ls = r->labels;

		if (r->type == SETGAUGE &&
		    !atomic_load_explicit(&was_set[id], memory_order_relaxed))
			continue;
		err = buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", r->name, r->help, r->name,
			       type_name(r->type));
		for (c = 0; c < label_sets[ls].n && !err; c++) {
			uint64_t v = atomic_load_explicit(&cells[id][c], memory_order_relaxed);

			if (ls == LABELS_NONE)
				err = buf_addf(out, "%s %llu\n", r->name, (unsigned long long)v);
			else
				err = buf_addf(out, "%s{%s=\"%s\"} %llu\n", r->name,
					       label_sets[ls].name, label_sets[ls].values[c],
					       (unsigned long long)v);
		}
	}
	return err;
}

static const char *op_name(size_t slot)
{
	return slot == METRICS_MAX_OPERATIONS ? "unknown" : op_names[slot];
}

static uint64_t op_total(size_t slot)
{
	uint64_t total = 0;
	size_t s;

	for (s = 0; s < NSTATUS; s++)
		total += atomic_load_explicit(&req_count[slot][s], memory_order_relaxed);
	return total;
}

static s3err_t render_counts(struct buf *out, size_t slot)
{
	s3err_t err = S3E_OK;
	size_t s;

	for (s = 0; s < NSTATUS && !err; s++) {
		uint64_t v = atomic_load_explicit(&req_count[slot][s], memory_order_relaxed);

		if (!v)
			continue;
		if (s < NSTATUS - 1)
			err = buf_addf(
			    out, "strata_requests_total{operation=\"%s\",status=\"%u\"} %llu\n",
			    op_name(slot), statuses[s], (unsigned long long)v);
		else
			err = buf_addf(
			    out, "strata_requests_total{operation=\"%s\",status=\"other\"} %llu\n",
			    op_name(slot), (unsigned long long)v);
	}
	return err;
}

static s3err_t render_histogram(struct buf *out, size_t slot)
{
	uint64_t total = op_total(slot), cum = 0;
	s3err_t err = S3E_OK;
	size_t b;

	for (b = 0; b < NBOUNDS && !err; b++) {
		cum += atomic_load_explicit(&req_hist[slot][b], memory_order_relaxed);
		/* A request counted between the loads must not make a bucket exceed +Inf. */
		err = buf_addf(out,
			       "strata_request_duration_seconds_bucket{operation=\"%s\",le=\"%g\"} "
			       "%llu\n",
			       op_name(slot), (double)bounds_us[b] / 1e6,
			       (unsigned long long)(cum < total ? cum : total));
	}
	if (!err)
		err = buf_addf(
		    out,
		    "strata_request_duration_seconds_bucket{operation=\"%s\",le=\"+Inf\"} "
		    "%llu\n"
		    "strata_request_duration_seconds_sum{operation=\"%s\"} %.6f\n"
		    "strata_request_duration_seconds_count{operation=\"%s\"} %llu\n",
		    op_name(slot), (unsigned long long)total, op_name(slot),
		    (double)atomic_load_explicit(&req_sum_us[slot], memory_order_relaxed) / 1e6,
		    op_name(slot), (unsigned long long)total);
	return err;
}

/* The slots to show: registered operations, then "unknown", each only once it saw a request. */
static bool slot_shown(size_t slot)
{
	return (slot < nops || slot == METRICS_MAX_OPERATIONS) && op_total(slot) > 0;
}

/* Each family's samples stay together, as the text format requires. */
s3err_t metrics_render(struct buf *out)
{
	s3err_t err;
	size_t slot;

	err = render_rows(out);
	if (!err)
		err = buf_adds(out,
			       "# HELP strata_requests_total S3 requests answered, by "
			       "operation and HTTP status\n# TYPE strata_requests_total counter\n");
	for (slot = 0; slot < OP_SLOTS && !err; slot++)
		if (slot_shown(slot))
			err = render_counts(out, slot);
	if (!err)
		err = buf_adds(out, "# HELP strata_request_duration_seconds Time from the request "
				    "line to the end of the response, by operation\n"
				    "# TYPE strata_request_duration_seconds histogram\n");
	for (slot = 0; slot < OP_SLOTS && !err; slot++)
		if (slot_shown(slot))
			err = render_histogram(out, slot);
	return err ? S3E_InternalError : S3E_OK;
}

void metrics_reset(void)
{
	memset(cells, 0, sizeof(cells));
	memset(was_set, 0, sizeof(was_set));
	memset(req_count, 0, sizeof(req_count));
	memset(req_hist, 0, sizeof(req_hist));
	memset(req_sum_us, 0, sizeof(req_sum_us));
}
