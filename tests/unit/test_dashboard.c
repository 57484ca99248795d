/*
 * Unit tests for gateway/dashboard.c and the posix storage_usage slot: the
 * sample ring keeps the newest cap samples oldest first, a sample's JSON
 * carries every number, the posix backend counts objects and bytes per
 * storage class with noncurrent versions apart, and the sampler publishes
 * them as the strata_stored_* gauges and in its history.
 */
#define _GNU_SOURCE 1 /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../backends/posix.h"
#include "../../common/metrics.h"
#include "../../gateway/dashboard.h"
#include "posix_fixture.h"

#define BKT "dash"

static struct dash_sample at(int64_t t)
{
	struct dash_sample s;

	memset(&s, 0, sizeof(s));
	s.t = t;
	s.requests = (uint64_t)t * 10;
	return s;
}

static void test_ring_order_and_wrap(void **state)
{
	struct dash_ring r;
	struct dash_sample s;
	int64_t t;

	(void)state;
	assert_int_equal(dash_ring_init(&r, 0), -1);
	assert_int_equal(dash_ring_init(&r, 4), 0);
	assert_int_equal(dash_ring_count(&r), 0);
	for (t = 1; t <= 3; t++) {
		s = at(t);
		dash_ring_push(&r, &s);
	}
	assert_int_equal(dash_ring_count(&r), 3);
	assert_int_equal(dash_ring_at(&r, 0)->t, 1);
	assert_int_equal(dash_ring_at(&r, 2)->t, 3);
	for (t = 4; t <= 11; t++) { /* wraps twice */
		s = at(t);
		dash_ring_push(&r, &s);
	}
	assert_int_equal(dash_ring_count(&r), 4); /* bounded: the newest four */
	for (t = 0; t < 4; t++) {
		assert_int_equal(dash_ring_at(&r, (size_t)t)->t, 8 + t);
		assert_int_equal(dash_ring_at(&r, (size_t)t)->requests, (8 + t) * 10);
	}
	dash_ring_free(&r);
	assert_null(r.s);
}

static void test_ring_of_one(void **state)
{
	struct dash_ring r;
	struct dash_sample s;

	(void)state;
	assert_int_equal(dash_ring_init(&r, 1), 0);
	s = at(5);
	dash_ring_push(&r, &s);
	s = at(6);
	dash_ring_push(&r, &s);
	assert_int_equal(dash_ring_count(&r), 1);
	assert_int_equal(dash_ring_at(&r, 0)->t, 6);
	dash_ring_free(&r);
}

static void test_sample_json(void **state)
{
	struct dash_sample s = at(1700000000);
	struct buf b;

	(void)state;
	s.usage = true;
	s.bytes[1] = 7;
	s.bytes[4] = 19;
	s.objects[4] = 3;
	s.noncurrent_bytes = 3;
	s.repl_depth = 2;
	s.repl_lag_seconds = 42;
	s.server_errors = 1;
	s.scrub_problems = 5;
	buf_init(&b, 4096, S3E_InternalError);
	assert_int_equal(dash_sample_json(&b, &s), S3E_OK);
	assert_string_equal(
	    b.data,
	    "{\"t\":1700000000,\"usage\":true,\"objects\":[0,0,0,0,3],\"bytes\":[0,7,0,0,19],"
	    "\"noncurrent_bytes\":3,\"repl_depth\":2,\"repl_lag_seconds\":42,"
	    "\"repl_pending_bytes\":0,\"requests\":17000000000,\"client_errors\":0,"
	    "\"server_errors\":1,\"scrub_passes\":0,\"scrub_objects\":0,\"scrub_problems\":5,"
	    "\"scrub_last_pass\":0}");
	buf_free(&b);
	/* A buffer too small fails instead of cutting the JSON. */
	buf_init(&b, 32, S3E_InternalError);
	assert_int_not_equal(dash_sample_json(&b, &s), S3E_OK);
	buf_free(&b);
}

/* ---- with a posix backend ---- */

struct fx {
	char root[64];
	char dir[96];
	struct fixture_tiers tiers;
	struct backend *be;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct bucket_info b = {BKT, "AKIDEXAMPLE", "", 1};

	if (!f)
		return -1;
	*state = f;
	snprintf(f->root, sizeof(f->root), "/tmp/strata-dash-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/data", f->root);
	fixture_tiers_init(&f->tiers, f->root, 1, NULL); /* STANDARD_IA */
	if (posix_open_opts(f->dir, &f->tiers.opts, &f->be) != S3E_OK)
		return -1;
	metrics_reset();
	return backend_bucket_create(f->be, &b) == S3E_OK ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	backend_close(f->be);
	fixture_remove_dir(f->root);
	free(f);
	return 0;
}

static void put(struct backend *be, const char *key, size_t size, const char *cls, int64_t mtime)
{
	struct be_writer *w = NULL;
	struct obj_meta m;
	char *data = calloc(1, size + 1);

	assert_non_null(data);
	assert_int_equal(backend_writer_open(be, BKT, key, size, &w), S3E_OK);
	if (cls[0])
		assert_int_equal(backend_writer_place(be, w, cls), S3E_OK);
	assert_int_equal(backend_writer_write(be, w, data, size), S3E_OK);
	obj_meta_init(&m);
	m.size = size;
	m.mtime_ms = mtime;
	snprintf(m.etag, sizeof(m.etag), "etag-%lld", (long long)mtime);
	memset(m.sha256_hex, 'a', 64);
	snprintf(m.storage_class, sizeof(m.storage_class), "%s", cls);
	assert_int_equal(backend_writer_commit(be, w, &m), S3E_OK);
	free(data);
}

struct seen {
	uint64_t objects[2][DASH_CLASSES], bytes[2][DASH_CLASSES];
	unsigned groups;
};

static bool visit(void *ctx, const char *cls, bool noncurrent, uint64_t objects, uint64_t bytes)
{
	struct seen *s = ctx;
	unsigned cell = metrics_class_cell(cls);

	s->objects[noncurrent][cell] += objects;
	s->bytes[noncurrent][cell] += bytes;
	s->groups++;
	return true;
}

static void test_posix_storage_usage(void **state)
{
	struct fx *f = *state;
	struct seen s;
	unsigned std = metrics_class_cell("STANDARD"), ia = metrics_class_cell("STANDARD_IA");

	memset(&s, 0, sizeof(s));
	assert_int_equal(backend_storage_usage(f->be, visit, &s), S3E_OK);
	assert_int_equal(s.groups, 0); /* nothing stored */

	put(f->be, "a", 100, "", 1000);
	put(f->be, "b", 50, "", 1001);
	put(f->be, "c", 70, "STANDARD_IA", 1002);
	put(f->be, "a", 30, "", 1003); /* replaces a (never versioned: gone for good) */
	assert_int_equal(
	    backend_bucket_config_put(f->be, BKT, "versioning", "Enabled", strlen("Enabled")),
	    S3E_OK);
	put(f->be, "b", 20, "", 1004); /* the 50-byte b becomes noncurrent */

	memset(&s, 0, sizeof(s));
	assert_int_equal(backend_storage_usage(f->be, visit, &s), S3E_OK);
	assert_int_equal(s.objects[0][std], 2);
	assert_int_equal(s.bytes[0][std], 50);
	assert_int_equal(s.objects[0][ia], 1);
	assert_int_equal(s.bytes[0][ia], 70);
	assert_int_equal(s.objects[1][std], 1);
	assert_int_equal(s.bytes[1][std], 50);
	assert_int_equal(s.groups, 3);
}

static void test_sampler_publishes(void **state)
{
	struct fx *f = *state;
	struct dashboard *d = NULL;
	unsigned ia = metrics_class_cell("STANDARD_IA");
	struct buf b;
	int i;

	put(f->be, "x", 123, "STANDARD_IA", 1000);
	assert_int_equal(dashboard_start(f->be, &d), 0);
	/* The first pass and sample come at once; allow a loaded machine 10 s. */
	for (i = 0; i < 100 && metrics_get(METRIC_STORED_REFRESHED, 0) == 0; i++)
		usleep(100 * 1000);
	assert_int_equal(metrics_get(METRIC_STORED_BYTES, ia), 123);
	assert_int_equal(metrics_get(METRIC_STORED_OBJECTS, ia), 1);
	buf_init(&b, DASH_HISTORY_MAX_JSON, S3E_InternalError);
	for (i = 0; i < 100; i++) {
		buf_reset(&b);
		assert_int_equal(dashboard_history_json(d, &b), S3E_OK);
		if (strstr(b.data, "\"bytes\":[123,0,0,0,0]"))
			break;
		usleep(100 * 1000);
	}
	assert_non_null(strstr(b.data, "\"bytes\":[123,0,0,0,0]"));
	assert_non_null(strstr(b.data, "\"classes\":[\"STANDARD_IA\",\"GLACIER_IR\",\"GLACIER\","
				       "\"DEEP_ARCHIVE\",\"STANDARD\"]"));
	assert_non_null(strstr(b.data, "\"coarse\":[{"));
	buf_free(&b);
	dashboard_poke(d);
	dashboard_stop(d);
	dashboard_poke(NULL);
	dashboard_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ring_order_and_wrap),
	    cmocka_unit_test(test_ring_of_one),
	    cmocka_unit_test(test_sample_json),
	    cmocka_unit_test_setup_teardown(test_posix_storage_usage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sampler_publishes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
