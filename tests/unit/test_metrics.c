/*
 * Unit tests for common/metrics.c: counters and labelled cells add up, bad
 * ids and cells change nothing, gauges go down as well as up, the request
 * histogram is cumulative and ends at the count, and the exposition is valid
 * Prometheus text (each family's HELP/TYPE once, before its samples, and
 * every sample line "name{labels} value").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/metrics.h"

static const char *const ops[] = {"GetObject", "PutObject", "GetObject", "ListBuckets"};

static int setup(void **state)
{
	(void)state;
	metrics_register_operations(ops, 4);
	metrics_reset();
	return 0;
}

static char *render(void)
{
	struct buf b;

	buf_init(&b, METRICS_MAX_BODY, S3E_InternalError);
	assert_int_equal(metrics_render(&b), S3E_OK);
	return buf_take(&b);
}

/* The value of the sample line that starts with `series` followed by a space, or -1. */
static long long sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

static void test_counters_and_cells(void **state)
{
	(void)state;
	metrics_add(METRIC_LC_EXPIRATIONS, 0, 3);
	metrics_add(METRIC_LC_EXPIRATIONS, 0, 2);
	metrics_add(METRIC_LC_TRANSITIONS, metrics_class_cell("GLACIER"), 1);
	metrics_add(METRIC_LC_BYTES_MOVED, metrics_class_cell("GLACIER"), 4096);
	assert_int_equal(metrics_get(METRIC_LC_EXPIRATIONS, 0), 5);
	assert_int_equal(metrics_get(METRIC_LC_TRANSITIONS, metrics_class_cell("GLACIER")), 1);
	assert_int_equal(metrics_get(METRIC_LC_TRANSITIONS, metrics_class_cell("DEEP_ARCHIVE")), 0);
	/* An unknown class is counted as STANDARD, never a new series. */
	assert_int_equal(metrics_class_cell("BOGUS"), metrics_class_cell(""));
	assert_int_equal(metrics_class_cell(NULL), metrics_class_cell("STANDARD"));
}

static void test_out_of_range_ignored(void **state)
{
	(void)state;
	metrics_add(METRIC_LC_EXPIRATIONS, 1, 7); /* LABELS_NONE has one cell */
	metrics_add(METRIC_COUNT, 0, 7);
	metrics_add(METRIC_SCRUB_PROBLEMS, 4, 7); /* four problems: 0..3 */
	assert_int_equal(metrics_get(METRIC_LC_EXPIRATIONS, 0), 0);
	assert_int_equal(metrics_get(METRIC_LC_EXPIRATIONS, 1), 0);
	assert_int_equal(metrics_get(METRIC_SCRUB_PROBLEMS, 3), 0);
}

static void test_gauge_up_and_down(void **state)
{
	(void)state;
	metrics_gauge_add(METRIC_CONNECTIONS_OPEN, 0, 1);
	metrics_gauge_add(METRIC_CONNECTIONS_OPEN, 0, 1);
	metrics_gauge_add(METRIC_CONNECTIONS_OPEN, 0, -1);
	assert_int_equal(metrics_get(METRIC_CONNECTIONS_OPEN, 0), 1);
	metrics_set(METRIC_SCRUB_LAST_PASS, 0, 1700000000);
	assert_int_equal(metrics_get(METRIC_SCRUB_LAST_PASS, 0), 1700000000);
}

static void test_operations_frozen_and_deduplicated(void **state)
{
	static const char *const late[] = {"DeleteObject"};

	(void)state;
	assert_int_equal(metrics_operation_index("GetObject"), 0);
	assert_int_equal(metrics_operation_index("PutObject"), 1);
	assert_int_equal(metrics_operation_index("ListBuckets"), 2);
	/* Registered once: later calls cannot grow the label set. */
	assert_int_equal(metrics_register_operations(late, 1), 3);
	assert_int_equal(metrics_operation_index("DeleteObject"), -1);
	assert_int_equal(metrics_operation_index(NULL), -1);
}

static void test_request_histogram(void **state)
{
	char *text;

	(void)state;
	metrics_request(0, 200, 500);	   /* 0.5 ms */
	metrics_request(0, 200, 3000);	   /* 3 ms */
	metrics_request(0, 404, 20000);	   /* 20 ms */
	metrics_request(0, 200, 60000000); /* 60 s: only +Inf */
	metrics_request(1, 599, 100);	   /* an odd status: "other" */
	metrics_request(-1, 400, 100);	   /* no route */
	metrics_request(77, 403, 100);	   /* not registered: "unknown" too */
	text = render();
	assert_int_equal(
	    sample(text, "strata_requests_total{operation=\"GetObject\",status=\"200\"}"), 3);
	assert_int_equal(
	    sample(text, "strata_requests_total{operation=\"GetObject\",status=\"404\"}"), 1);
	assert_int_equal(
	    sample(text, "strata_requests_total{operation=\"PutObject\",status=\"other\"}"), 1);
	assert_int_equal(
	    sample(text, "strata_requests_total{operation=\"unknown\",status=\"400\"}"), 1);
	assert_int_equal(
	    sample(text, "strata_requests_total{operation=\"unknown\",status=\"403\"}"), 1);
	assert_int_equal(
	    sample(text,
		   "strata_request_duration_seconds_bucket{operation=\"GetObject\",le=\"0.001\"}"),
	    1);
	assert_int_equal(
	    sample(text,
		   "strata_request_duration_seconds_bucket{operation=\"GetObject\",le=\"0.005\"}"),
	    2);
	assert_int_equal(
	    sample(text,
		   "strata_request_duration_seconds_bucket{operation=\"GetObject\",le=\"0.025\"}"),
	    3);
	assert_int_equal(
	    sample(text,
		   "strata_request_duration_seconds_bucket{operation=\"GetObject\",le=\"10\"}"),
	    3);
	assert_int_equal(
	    sample(text,
		   "strata_request_duration_seconds_bucket{operation=\"GetObject\",le=\"+Inf\"}"),
	    4);
	assert_int_equal(
	    sample(text, "strata_request_duration_seconds_count{operation=\"GetObject\"}"), 4);
	/* An operation without requests has no series at all. */
	assert_null(strstr(text, "operation=\"ListBuckets\""));
	free(text);
}

/* Every line is a comment or "name[{...}] value"; each family's HELP/TYPE appears once. */
static void test_exposition_well_formed(void **state)
{
	char *text, *line, *save = NULL;
	char seen_types[64][96];
	size_t ntypes = 0, i;

	(void)state;
	metrics_add(METRIC_SCRUB_PROBLEMS, 0, 1);
	metrics_request(1, 200, 100);
	text = render();
	assert_non_null(strstr(text, "# TYPE strata_lifecycle_transitions_total counter\n"));
	assert_non_null(
	    strstr(text, "strata_lifecycle_transitions_total{storage_class=\"GLACIER\"} 0\n"));
	assert_non_null(strstr(text, "strata_scrub_problems_total{problem=\"corrupt\"} 1\n"));
	assert_non_null(strstr(text, "# TYPE strata_request_duration_seconds histogram\n"));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp;

		if (strncmp(line, "# TYPE ", 7) == 0) {
			for (i = 0; i < ntypes; i++)
				assert_string_not_equal(seen_types[i], line + 7);
			assert_true(ntypes < 64);
			snprintf(seen_types[ntypes++], sizeof(seen_types[0]), "%s", line + 7);
			continue;
		}
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		assert_true(strncmp(line, "strata_", 7) == 0);
		sp = strrchr(line, ' ');
		assert_non_null(sp);
		assert_true(sp[1] >= '0' && sp[1] <= '9');
	}
	free(text);
}

/* The replication families: labelled by op and failure kind, gauges settable. */
static void test_replication_families(void **state)
{
	char *text;

	(void)state;
	metrics_add(METRIC_REPL_SHIPPED, 0, 3);
	metrics_add(METRIC_REPL_SHIPPED, 1, 1);
	metrics_add(METRIC_REPL_SHIPPED, 2, 9); /* no third op: ignored */
	metrics_add(METRIC_REPL_FAILURES, 2, 2);
	metrics_add(METRIC_REPL_FAILURES, 3, 9); /* no fourth kind: ignored */
	metrics_add(METRIC_REPL_BYTES, 0, 4096);
	metrics_set(METRIC_REPL_QUEUE_DEPTH, 0, 500);
	metrics_set(METRIC_REPL_QUEUE_DEPTH, 0, 42);
	metrics_set(METRIC_REPL_OLDEST_PENDING, 0, 17);
	text = render();
	assert_int_equal(sample(text, "strata_replication_shipped_total{op=\"put\"}"), 3);
	assert_int_equal(sample(text, "strata_replication_shipped_total{op=\"delete\"}"), 1);
	assert_int_equal(sample(text, "strata_replication_failures_total{kind=\"unreachable\"}"),
			 0);
	assert_int_equal(sample(text, "strata_replication_failures_total{kind=\"refused\"}"), 0);
	assert_int_equal(sample(text, "strata_replication_failures_total{kind=\"verify\"}"), 2);
	assert_int_equal(sample(text, "strata_replication_bytes_total"), 4096);
	assert_int_equal(sample(text, "strata_replication_queue_depth"), 42);
	assert_int_equal(sample(text, "strata_replication_oldest_pending_seconds"), 17);
	assert_non_null(strstr(text, "# TYPE strata_replication_queue_depth gauge\n"));
	assert_non_null(strstr(text, "# TYPE strata_replication_shipped_total counter\n"));
	free(text);
}

/* A SETGAUGE row is left out until its first set, then shows every cell. */
static void test_set_gauges_appear_once_set(void **state)
{
	char *text;

	(void)state;
	text = render();
	assert_null(strstr(text, "strata_stored_bytes"));
	free(text);
	metrics_set(METRIC_STORED_BYTES, metrics_class_cell("STANDARD_IA"), 7);
	text = render();
	assert_non_null(strstr(text, "# TYPE strata_stored_bytes gauge\n"));
	assert_int_equal(sample(text, "strata_stored_bytes{storage_class=\"STANDARD_IA\"}"), 7);
	assert_int_equal(sample(text, "strata_stored_bytes{storage_class=\"STANDARD\"}"), 0);
	assert_null(strstr(text, "strata_stored_objects")); /* its own row is still unset */
	free(text);
	metrics_reset();
	text = render();
	assert_null(strstr(text, "strata_stored_bytes"));
	free(text);
	assert_string_equal(metrics_class_name(metrics_class_cell("GLACIER")), "GLACIER");
	assert_null(metrics_class_name(METRICS_CLASS_COUNT));
}

/* The dashboard's request and error totals sum every operation's statuses. */
static void test_request_totals(void **state)
{
	uint64_t all, c4, c5;

	(void)state;
	metrics_request(0, 200, 10);
	metrics_request(1, 404, 10);
	metrics_request(1, 403, 10);
	metrics_request(-1, 400, 10);
	metrics_request(2, 503, 10);
	metrics_request(2, 500, 10);
	metrics_request(2, 599, 10); /* "other": counted in all only */
	metrics_request_totals(&all, &c4, &c5);
	assert_int_equal(all, 7);
	assert_int_equal(c4, 3);
	assert_int_equal(c5, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_counters_and_cells, setup),
	    cmocka_unit_test_setup(test_out_of_range_ignored, setup),
	    cmocka_unit_test_setup(test_gauge_up_and_down, setup),
	    cmocka_unit_test_setup(test_operations_frozen_and_deduplicated, setup),
	    cmocka_unit_test_setup(test_request_histogram, setup),
	    cmocka_unit_test_setup(test_exposition_well_formed, setup),
	    cmocka_unit_test_setup(test_replication_families, setup),
	    cmocka_unit_test_setup(test_set_gauges_appear_once_set, setup),
	    cmocka_unit_test_setup(test_request_totals, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
