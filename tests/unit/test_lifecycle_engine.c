/*
 * Unit tests for the lifecycle engine (lifecycle/engine.c) over a real posix
 * backend with tiers, on a simulated clock: the DICOM rules ("dicom/
 * -> GLACIER after 90 days, -> DEEP_ARCHIVE after 365, temp/ expires after
 * 7") must move and expire exactly the right objects on exactly the right
 * day, keep every byte, and do nothing twice. And in a versioned bucket,
 * noncurrent versions and lone delete markers across the scan's batches.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* mkdtemp */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../backends/posix.h"
#include "../../common/httptime.h"
#include "../../common/lcrules.h"
#include "../../common/log.h"
#include "../../common/metrics.h"
#include "../../lifecycle/engine.h"
#include "posix_fixture.h"

#define BKT "archive"
#define DAY 86400000ll
#define T0 1767225600000ll /* 2026-01-01T00:00:00Z: every object is created then */

#define RULES                                                                                      \
	"<LifecycleConfiguration><Rule><ID>dicom</ID><Filter><Prefix>dicom/</Prefix></Filter>"     \
	"<Status>Enabled</Status><Transition><Days>90</Days><StorageClass>GLACIER</StorageClass>"  \
	"</Transition><Transition><Days>365</Days><StorageClass>DEEP_ARCHIVE</StorageClass>"       \
	"</Transition></Rule><Rule><ID>temp</ID><Filter><Prefix>temp/</Prefix></Filter>"           \
	"<Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule>"                   \
	"</LifecycleConfiguration>"

static const char *const keys[] = {"dicom/p1/s1/1.dcm", "dicom/p2/s9/7.dcm", "temp/upload-1",
				   "temp/upload-2",	"reports/2026.pdf",  "dicomish"};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct fx {
	char root[64], dir[96];
	struct fixture_tiers tiers;
	struct backend *be;
};

/* Object i's bytes: distinct per key, several frames for some. */
static size_t body_of(size_t i, char *buf, size_t cap)
{
	size_t n = (i % 2) ? 150000 : 1000 + i, k;

	assert_true(n <= cap);
	for (k = 0; k < n; k++)
		buf[k] = (char)((k * 13 + i * 101) & 0xff);
	return n;
}

static void put_at(struct backend *be, const char *key, const char *data, size_t len)
{
	struct be_writer *w = NULL;
	struct obj_meta m;

	assert_int_equal(backend_writer_open(be, BKT, key, len, &w), S3E_OK);
	assert_int_equal(backend_writer_write(be, w, data, len), S3E_OK);
	obj_meta_init(&m);
	m.size = len;
	m.mtime_ms = T0;
	snprintf(m.etag, sizeof(m.etag), "%032zx", len);
	fixture_sha256(data, len, m.sha256_hex);
	assert_int_equal(backend_writer_commit(be, w, &m), S3E_OK);
}

static int setup(void **state)
{
	static char buf[200000];
	struct fx *f = calloc(1, sizeof(*f));
	struct bucket_info b;
	size_t i;

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "/tmp/strata-lce-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof(f->dir), "%s/data", f->root);
	/* STANDARD_IA, GLACIER_IR and GLACIER have tiers; DEEP_ARCHIVE lives at home. */
	fixture_tiers_init(&f->tiers, f->root, 3, NULL);
	assert_int_equal(posix_open_opts(f->dir, &f->tiers.opts, &f->be), S3E_OK);
	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), BKT);
	snprintf(b.owner, sizeof(b.owner), "root");
	assert_int_equal(backend_bucket_create(f->be, &b), S3E_OK);
	for (i = 0; i < NKEYS; i++)
		put_at(f->be, keys[i], buf, body_of(i, buf, sizeof(buf)));
	assert_int_equal(
	    backend_bucket_config_put(f->be, BKT, LC_BUCKET_CONFIG, RULES, strlen(RULES)), S3E_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	backend_close(f->be);
	fixture_remove_dir(f->root);
	free(f);
	return 0;
}

static struct lc_pass_stats pass_on(struct fx *f, const char *bucket, int64_t now_ms)
{
	struct lc_pass_opts o = {DAY, now_ms, bucket, 0, NULL};
	struct lc_pass_stats st;

	assert_int_equal(lc_pass(f->be, &o, &st), S3E_OK);
	assert_int_equal(st.failures, 0);
	return st;
}

static struct lc_pass_stats pass_at(struct fx *f, int64_t now_ms)
{
	return pass_on(f, NULL, now_ms);
}

/* "" when the key is gone, else its storage class ("STANDARD" for ""). */
static const char *class_of(struct fx *f, const char *key, char out[STRATA_STORAGE_CLASS_MAX])
{
	struct obj_meta m;
	s3err_t err = backend_object_head(f->be, BKT, key, &m);

	if (err == S3E_NoSuchKey)
		return "";
	assert_int_equal(err, S3E_OK);
	snprintf(out, STRATA_STORAGE_CLASS_MAX, "%s",
		 m.storage_class[0] ? m.storage_class : "STANDARD");
	obj_meta_free(&m);
	return out;
}

/* Every surviving object reads back its exact bytes (archived ones through the backend). */
static void assert_bytes_kept(struct fx *f)
{
	static char want[200000], got[200000];
	struct be_reader *r;
	struct obj_meta m;
	size_t i, n, g;

	for (i = 0; i < NKEYS; i++) {
		if (backend_reader_open(f->be, BKT, keys[i], &m, &r) == S3E_NoSuchKey)
			continue;
		n = body_of(i, want, sizeof(want));
		assert_int_equal(m.size, n);
		assert_int_equal(backend_reader_read(f->be, r, 0, got, sizeof(got), &g), S3E_OK);
		assert_int_equal(g, n);
		assert_memory_equal(got, want, n);
		backend_reader_close(f->be, r);
		obj_meta_free(&m);
	}
}

struct day_row {
	int64_t day;		    /* days after creation the pass runs */
	const char *classes[NKEYS]; /* per key: class after the pass, "" gone */
	uint64_t expired, moved;    /* what that pass did */
};

static void test_dicom_rules_day_by_day(void **state)
{
	/* clang-format off */
	static const struct day_row rows[] = {
		/* day  1.dcm            7.dcm            temp-1  temp-2 report      dicomish */
		{0,   {"STANDARD",     "STANDARD",     "STANDARD", "STANDARD", "STANDARD", "STANDARD"}, 0, 0},
		{6,   {"STANDARD",     "STANDARD",     "STANDARD", "STANDARD", "STANDARD", "STANDARD"}, 0, 0},
		/* temp/ expires on day 7 (created at midnight: no rounding up) */
		{7,   {"STANDARD",     "STANDARD",     "",         "",         "STANDARD", "STANDARD"}, 2, 0},
		{89,  {"STANDARD",     "STANDARD",     "",         "",         "STANDARD", "STANDARD"}, 0, 0},
		/* dicom/ (not "dicomish") goes to GLACIER on day 90 */
		{90,  {"GLACIER",      "GLACIER",      "",         "",         "STANDARD", "STANDARD"}, 0, 2},
		{200, {"GLACIER",      "GLACIER",      "",         "",         "STANDARD", "STANDARD"}, 0, 0},
		{364, {"GLACIER",      "GLACIER",      "",         "",         "STANDARD", "STANDARD"}, 0, 0},
		/* and to DEEP_ARCHIVE on day 365 */
		{365, {"DEEP_ARCHIVE", "DEEP_ARCHIVE", "",         "",         "STANDARD", "STANDARD"}, 0, 2},
		{2000, {"DEEP_ARCHIVE", "DEEP_ARCHIVE", "",        "",         "STANDARD", "STANDARD"}, 0, 0},
	};
	/* clang-format on */
	struct fx *f = *state;
	char cls[STRATA_STORAGE_CLASS_MAX];
	size_t i, k;

	metrics_reset();
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct lc_pass_stats st = pass_at(f, T0 + rows[i].day * DAY);

		for (k = 0; k < NKEYS; k++)
			if (strcmp(class_of(f, keys[k], cls), rows[i].classes[k]) != 0)
				fail_msg("day %lld: %s is '%s', expected '%s'",
					 (long long)rows[i].day, keys[k], cls, rows[i].classes[k]);
		if (st.expired != rows[i].expired || st.transitioned != rows[i].moved)
			fail_msg("day %lld: expired %llu moved %llu", (long long)rows[i].day,
				 (unsigned long long)st.expired,
				 (unsigned long long)st.transitioned);
		assert_int_equal(st.objects, NKEYS - (rows[i].day >= 7 ? 2 : 0) + st.expired);
		assert_bytes_kept(f);
	}
	/* The metrics saw every action, by target class (issue 6: metrics of the engine). */
	assert_int_equal(metrics_get(METRIC_LC_EXPIRATIONS, 0), 2);
	assert_int_equal(metrics_get(METRIC_LC_TRANSITIONS, metrics_class_cell("GLACIER")), 2);
	assert_int_equal(metrics_get(METRIC_LC_TRANSITIONS, metrics_class_cell("DEEP_ARCHIVE")), 2);
	assert_true(metrics_get(METRIC_LC_BYTES_MOVED, metrics_class_cell("GLACIER")) > 0);
	assert_int_equal(metrics_get(METRIC_LC_FAILURES, METRIC_LC_TRANSITION), 0);
	/* GLACIER's files left its tier for the home location of DEEP_ARCHIVE. */
	assert_int_equal(count_files(f->tiers.c, "objects"), 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
}

/* An object rewritten after its creation starts its days again: no early move. */
static void test_rewrite_restarts_the_clock(void **state)
{
	struct fx *f = *state;
	char cls[STRATA_STORAGE_CLASS_MAX];
	struct be_writer *w = NULL;
	struct obj_meta m;

	assert_int_equal(backend_writer_open(f->be, BKT, "dicom/new", 3, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "new", 3), S3E_OK);
	obj_meta_init(&m);
	m.size = 3;
	m.mtime_ms = T0 + 60 * DAY;
	snprintf(m.etag, sizeof(m.etag), "%032x", 3);
	fixture_sha256("new", 3, m.sha256_hex);
	assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_OK);
	pass_at(f, T0 + 120 * DAY);
	assert_string_equal(class_of(f, "dicom/p1/s1/1.dcm", cls), "GLACIER");
	assert_string_equal(class_of(f, "dicom/new", cls), "STANDARD");
	pass_at(f, T0 + 150 * DAY);
	assert_string_equal(class_of(f, "dicom/new", cls), "GLACIER");
}

/* --- a versioned bucket --- */

#define VBKT "vers"
#define NVER 300 /* more than the engine's scan batch: a key's versions span batches */
#define VRULES                                                                                     \
	"<LifecycleConfiguration><Rule><ID>nc</ID><Filter/><Status>Enabled</Status>"               \
	"<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"     \
	"<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"                          \
	"<NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>"       \
	"</Rule></LifecycleConfiguration>"

static void put_version(struct backend *be, const char *key, int64_t mtime_ms)
{
	struct be_writer *w = NULL;
	struct obj_meta m;
	char data[32];
	int len = snprintf(data, sizeof(data), "%s@%lld", key, (long long)mtime_ms);

	assert_int_equal(backend_writer_open(be, VBKT, key, (uint64_t)len, &w), S3E_OK);
	assert_int_equal(backend_writer_write(be, w, data, (size_t)len), S3E_OK);
	obj_meta_init(&m);
	m.size = (uint64_t)len;
	m.mtime_ms = mtime_ms;
	snprintf(m.etag, sizeof(m.etag), "%032llx", (long long)mtime_ms);
	fixture_sha256(data, (size_t)len, m.sha256_hex);
	assert_int_equal(backend_writer_commit(be, w, &m), S3E_OK);
}

struct vcount {
	const char *key;
	size_t versions, markers;
	int64_t oldest_ms; /* of the key's data versions */
};

static bool count_version(void *ctx, const char *key, const struct obj_meta *m, bool latest)
{
	struct vcount *c = ctx;

	(void)latest;
	if (strcmp(key, c->key) != 0)
		return true;
	if (m->delete_marker) {
		c->markers++;
	} else {
		c->versions++;
		c->oldest_ms = m->mtime_ms;
	}
	return true;
}

static struct vcount versions_of(struct fx *f, const char *key)
{
	struct vcount c = {key, 0, 0, 0};

	assert_int_equal(backend_version_scan(f->be, VBKT, "", NULL, "", 100000, count_version, &c),
			 S3E_OK);
	return c;
}

static void test_versions_across_batches(void **state)
{
	struct fx *f = *state;
	struct delete_result dr;
	struct bucket_info b;
	struct lc_pass_stats st;
	int64_t now = httptime_now_ms(), t;
	struct vcount c;
	int i;

	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), VBKT);
	snprintf(b.owner, sizeof(b.owner), "root");
	assert_int_equal(backend_bucket_create(f->be, &b), S3E_OK);
	assert_int_equal(backend_bucket_config_put(f->be, VBKT, "versioning", "Enabled", 7),
			 S3E_OK);
	/* "a": NVER versions, an hour apart, the newest an hour ago. */
	for (i = 0; i < NVER; i++)
		put_version(f->be, "a", now - (NVER - i) * 3600000ll);
	/* "b": one version under a marker; "c": a marker alone; "d": one version. */
	put_version(f->be, "b", now - DAY);
	assert_int_equal(backend_object_delete_v(f->be, VBKT, "b", NULL, NULL, 0, &dr), S3E_OK);
	assert_int_equal(backend_object_delete_v(f->be, VBKT, "c", NULL, NULL, 0, &dr), S3E_OK);
	put_version(f->be, "d", now - DAY);
	assert_int_equal(
	    backend_bucket_config_put(f->be, VBKT, LC_BUCKET_CONFIG, VRULES, strlen(VRULES)),
	    S3E_OK);

	/* Five days on every noncurrent version is due: NewerNoncurrentVersions keeps two. */
	t = now + 5 * DAY;
	st = pass_on(f, VBKT, t);
	c = versions_of(f, "a");
	assert_int_equal(c.versions, 3); /* current + NewerNoncurrentVersions 2 */
	assert_int_equal(c.markers, 0);
	assert_int_equal(c.oldest_ms, now - 3 * 3600000ll); /* the newest ones are kept */
	c = versions_of(f, "b");
	assert_int_equal(c.versions + c.markers, 2); /* its version is the newest noncurrent */
	c = versions_of(f, "c");
	assert_int_equal(c.versions + c.markers, 0);
	c = versions_of(f, "d");
	assert_int_equal(c.versions, 1);
	assert_int_equal(st.expired, NVER - 3 + 1); /* and "c"'s lone marker */
	/* Nothing twice. */
	st = pass_on(f, VBKT, t);
	assert_int_equal(st.expired, 0);
	assert_int_equal(versions_of(f, "a").versions, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_dicom_rules_day_by_day, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rewrite_restarts_the_clock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_versions_across_batches, setup, teardown),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
