/* dashboard: the sampler and history behind the console's dashboard (see dashboard.h). */
#include "dashboard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../common/httptime.h"
#include "../common/jsonw.h"
#include "../common/log.h"
#include "../lifecycle/ticker.h"

/* ---- the ring ---- */

int dash_ring_init(struct dash_ring *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	if (cap == 0 || !(r->s = calloc(cap, sizeof(*r->s))))
		return -1;
	r->cap = cap;
	return 0;
}

void dash_ring_free(struct dash_ring *r)
{
	free(r->s);
	memset(r, 0, sizeof(*r));
}

void dash_ring_push(struct dash_ring *r, const struct dash_sample *s)
{
	r->s[r->head] = *s;
	r->head = (r->head + 1) % r->cap;
	if (r->n < r->cap)
		r->n++;
}

size_t dash_ring_count(const struct dash_ring *r)
{
	return r->n;
}

const struct dash_sample *dash_ring_at(const struct dash_ring *r, size_t i)
{
	/* The oldest is at head when full, at 0 otherwise. */
	return &r->s[(r->head + r->cap - r->n + i) % r->cap];
}

static s3err_t u64_array(struct buf *b, const char *name, const uint64_t *v, size_t n)
{
	s3err_t err = buf_addf(b, ",\"%s\":[", name);
	size_t i;

	for (i = 0; i < n && !err; i++)
		err = buf_addf(b, i ? ",%llu" : "%llu", (unsigned long long)v[i]);
	return err ? err : buf_adds(b, "]");
}

s3err_t dash_sample_json(struct buf *b, const struct dash_sample *s)
{
	s3err_t err = buf_addf(b, "{\"t\":%lld", (long long)s->t);

	if (!err)
		err = jsonw_kv_bool(b, "usage", s->usage);
	if (!err)
		err = u64_array(b, "objects", s->objects, DASH_CLASSES);
	if (!err)
		err = u64_array(b, "bytes", s->bytes, DASH_CLASSES);
	if (!err)
		err = jsonw_kv_u64(b, "noncurrent_bytes", s->noncurrent_bytes);
	if (!err)
		err = jsonw_kv_u64(b, "repl_depth", s->repl_depth);
	if (!err)
		err = jsonw_kv_u64(b, "repl_lag_seconds", s->repl_lag_seconds);
	if (!err)
		err = jsonw_kv_u64(b, "repl_pending_bytes", s->repl_pending_bytes);
	if (!err)
		err = jsonw_kv_u64(b, "requests", s->requests);
	if (!err)
		err = jsonw_kv_u64(b, "client_errors", s->client_errors);
	if (!err)
		err = jsonw_kv_u64(b, "server_errors", s->server_errors);
	if (!err)
		err = jsonw_kv_u64(b, "scrub_passes", s->scrub_passes);
	if (!err)
		err = jsonw_kv_u64(b, "scrub_objects", s->scrub_objects);
	if (!err)
		err = jsonw_kv_u64(b, "scrub_problems", s->scrub_problems);
	if (!err)
		err = jsonw_kv_u64(b, "scrub_last_pass", s->scrub_last_pass);
	return err ? err : buf_adds(b, "}");
}

/* ---- the sampler ---- */

struct dashboard {
	struct backend *be;
	struct ticker tick;
	pthread_t thread;
	atomic_bool want_usage; /* dashboard_poke */
	bool has_usage;		/* the backend answered storage_usage once (thread only) */
	bool no_usage;		/* ...or said it has none: never asked again */
	int64_t last_usage;	/* Unix seconds of the last pass (thread only) */
	int64_t next_sample;
	pthread_mutex_t lock; /* guards the rings: the thread pushes, requests read */
	struct dash_ring fine, coarse;
};

struct usage_sum {
	uint64_t objects[DASH_CLASSES], bytes[DASH_CLASSES];
	uint64_t nc_objects[DASH_CLASSES], nc_bytes[DASH_CLASSES];
};

static bool add_usage(void *ctx, const char *storage_class, bool noncurrent, uint64_t objects,
		      uint64_t bytes)
{
	struct usage_sum *u = ctx;
	unsigned cell = metrics_class_cell(storage_class); /* unknown classes count as STANDARD */

	if (cell >= DASH_CLASSES)
		return true;
	if (noncurrent) {
		u->nc_objects[cell] += objects;
		u->nc_bytes[cell] += bytes;
	} else {
		u->objects[cell] += objects;
		u->bytes[cell] += bytes;
	}
	return true;
}

/* One storage usage pass into the strata_stored_* gauges. */
static void refresh_usage(struct dashboard *d, int64_t now)
{
	struct usage_sum u;
	s3err_t err;
	unsigned i;

	memset(&u, 0, sizeof(u));
	d->last_usage = now;
	err = backend_storage_usage(d->be, add_usage, &u);
	if (err == S3E_NotImplemented) {
		d->no_usage = true; /* the gauges stay unexported */
		return;
	}
	if (err != S3E_OK) {
		log_warn("dashboard", "storage usage pass failed: %s (kept the last numbers)",
			 s3err_code(err));
		return;
	}
	for (i = 0; i < DASH_CLASSES; i++) {
		metrics_set(METRIC_STORED_OBJECTS, i, u.objects[i]);
		metrics_set(METRIC_STORED_BYTES, i, u.bytes[i]);
		metrics_set(METRIC_STORED_NONCURRENT_OBJECTS, i, u.nc_objects[i]);
		metrics_set(METRIC_STORED_NONCURRENT_BYTES, i, u.nc_bytes[i]);
	}
	metrics_set(METRIC_STORED_REFRESHED, 0, (uint64_t)now);
	d->has_usage = true;
}

static uint64_t cells_sum(enum metric_id id, unsigned n)
{
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		sum += metrics_get(id, i);
	return sum;
}

static void take_sample(struct dashboard *d, int64_t now)
{
	struct dash_sample s;
	size_t nc;
	unsigned i;

	memset(&s, 0, sizeof(s));
	s.t = now;
	s.usage = d->has_usage;
	for (i = 0; i < DASH_CLASSES; i++) {
		s.objects[i] = metrics_get(METRIC_STORED_OBJECTS, i);
		s.bytes[i] = metrics_get(METRIC_STORED_BYTES, i);
		s.noncurrent_bytes += metrics_get(METRIC_STORED_NONCURRENT_BYTES, i);
	}
	s.repl_depth = metrics_get(METRIC_REPL_QUEUE_DEPTH, 0);
	s.repl_lag_seconds = metrics_get(METRIC_REPL_OLDEST_PENDING, 0);
	s.repl_pending_bytes = metrics_get(METRIC_REPL_PENDING_BYTES, 0);
	metrics_request_totals(&s.requests, &s.client_errors, &s.server_errors);
	s.scrub_passes = metrics_get(METRIC_SCRUB_PASSES, 0);
	s.scrub_objects = metrics_get(METRIC_SCRUB_OBJECTS, 0);
	s.scrub_problems = cells_sum(METRIC_SCRUB_PROBLEMS, METRICS_MAX_CELLS);
	s.scrub_last_pass = metrics_get(METRIC_SCRUB_LAST_PASS, 0);

	pthread_mutex_lock(&d->lock);
	dash_ring_push(&d->fine, &s);
	nc = dash_ring_count(&d->coarse);
	if (nc == 0 || now - dash_ring_at(&d->coarse, nc - 1)->t >= (int64_t)DASH_COARSE_STEP)
		dash_ring_push(&d->coarse, &s);
	pthread_mutex_unlock(&d->lock);
}

static void *run(void *arg)
{
	struct dashboard *d = arg;

	do {
		int64_t now = httptime_now_ms() / 1000;
		bool asked = atomic_exchange(&d->want_usage, false);

		if (!d->no_usage &&
		    (d->last_usage == 0 || now - d->last_usage >= (int64_t)DASH_USAGE_INTERVAL ||
		     (asked && now - d->last_usage >= (int64_t)DASH_USAGE_MIN_GAP)))
			refresh_usage(d, now);
		else if (asked && !d->no_usage)
			atomic_store(&d->want_usage, true); /* too soon: keep the request */
		if (now >= d->next_sample) {
			take_sample(d, now);
			d->next_sample = now + DASH_FINE_STEP;
		}
	} while (ticker_wait(&d->tick));
	return NULL;
}

int dashboard_start(struct backend *be, struct dashboard **out)
{
	struct dashboard *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d)
		return -1;
	d->be = be;
	if (dash_ring_init(&d->fine, DASH_FINE_SAMPLES) != 0 ||
	    dash_ring_init(&d->coarse, DASH_COARSE_SAMPLES) != 0) {
		dash_ring_free(&d->fine);
		free(d);
		return -1;
	}
	pthread_mutex_init(&d->lock, NULL);
	ticker_init(&d->tick, 1); /* wakes each second to look at the clock and pokes */
	if (pthread_create(&d->thread, NULL, run, d) != 0) {
		log_error("dashboard", "cannot start the sampler thread");
		ticker_destroy(&d->tick);
		pthread_mutex_destroy(&d->lock);
		dash_ring_free(&d->fine);
		dash_ring_free(&d->coarse);
		free(d);
		return -1;
	}
	*out = d;
	return 0;
}

void dashboard_stop(struct dashboard *d)
{
	if (!d)
		return;
	ticker_stop(&d->tick);
	pthread_join(d->thread, NULL);
	ticker_destroy(&d->tick);
	pthread_mutex_destroy(&d->lock);
	dash_ring_free(&d->fine);
	dash_ring_free(&d->coarse);
	free(d);
}

void dashboard_poke(struct dashboard *d)
{
	if (d)
		atomic_store(&d->want_usage, true);
}

static s3err_t ring_json(struct buf *out, const char *name, const struct dash_ring *r)
{
	s3err_t err = buf_addf(out, ",\"%s\":[", name);
	size_t i;

	for (i = 0; i < dash_ring_count(r) && !err; i++) {
		if (i)
			err = buf_adds(out, ",");
		if (!err)
			err = dash_sample_json(out, dash_ring_at(r, i));
	}
	return err ? err : buf_adds(out, "]");
}

s3err_t dashboard_history_json(struct dashboard *d, struct buf *out)
{
	s3err_t err;
	unsigned i;

	err = buf_addf(out, "{\"step\":%u,\"coarse_step\":%u,\"classes\":[", DASH_FINE_STEP,
		       DASH_COARSE_STEP);
	for (i = 0; i < DASH_CLASSES && !err; i++)
		err = buf_addf(out, i ? ",\"%s\"" : "\"%s\"", metrics_class_name(i));
	if (!err)
		err = buf_adds(out, "]");
	pthread_mutex_lock(&d->lock);
	if (!err)
		err = ring_json(out, "fine", &d->fine);
	if (!err)
		err = ring_json(out, "coarse", &d->coarse);
	pthread_mutex_unlock(&d->lock);
	return err ? err : buf_adds(out, "}");
}
