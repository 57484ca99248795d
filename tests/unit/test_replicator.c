/*
 * test_replicator: the pure parts of lifecycle/replicator.c: the retry
 * schedule (exponential from 1 s, full jitter, capped), how a remote's
 * answer is classified (retry quietly, or mark the event failed), and the
 * headers a replica is written with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/objlock.h"
#include "../../common/sse.h"
#include "../../lifecycle/replicator_internal.h"

/* The ceiling is 1 s * 2^attempts up to retry_max; the jitter spans [0, ceiling]. */
static void test_backoff(void **state)
{
	static const struct {
		uint32_t attempts;
		unsigned max_s;
		uint64_t ceiling_ms;
	} rows[] = {
	    {0, 300, 1000},    {1, 300, 2000},	  {2, 300, 4000},
	    {8, 300, 256000},  {9, 300, 300000},  {20, 300, 300000},
	    {39, 300, 300000}, {40, 300, 300000}, {1000, 300, 300000},
	    {0, 1, 1000},      {5, 1, 1000},	  {UINT32_MAX, 86400, 86400000},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t c = rows[i].ceiling_ms;

		/* The largest draw reaches the ceiling, never more; zero is possible. */
		assert_int_equal(
		    replicator_backoff_ms(rows[i].attempts, rows[i].max_s, (uint32_t)c), c);
		assert_int_equal(
		    replicator_backoff_ms(rows[i].attempts, rows[i].max_s, (uint32_t)(c + 1)), 0);
		assert_true(replicator_backoff_ms(rows[i].attempts, rows[i].max_s, UINT32_MAX) <=
			    c);
		assert_int_equal(replicator_backoff_ms(rows[i].attempts, rows[i].max_s, 7), 7);
	}
}

static enum repl_outcome classify(long status, const char *code)
{
	struct s3c_result r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	snprintf(r.code, sizeof(r.code), "%s", code);
	return replicator_classify(status ? S3E_InternalError : S3E_ServiceUnavailable, &r);
}

/* Down or overloaded: wait and retry. Refused: the event shows FAILED (and is retried). */
static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(classify(0, ""), REPL_OUT_UNREACHABLE);
	assert_int_equal(classify(500, "InternalError"), REPL_OUT_UNREACHABLE);
	assert_int_equal(classify(502, ""), REPL_OUT_UNREACHABLE);
	assert_int_equal(classify(503, "SlowDown"), REPL_OUT_UNREACHABLE);
	assert_int_equal(classify(429, ""), REPL_OUT_UNREACHABLE);
	assert_int_equal(classify(400, "RequestTimeout"), REPL_OUT_UNREACHABLE);
	assert_int_equal(classify(400, "Throttling"), REPL_OUT_UNREACHABLE);
	assert_int_equal(classify(200, ""), REPL_OUT_UNREACHABLE);
	assert_int_equal(classify(404, "NoSuchBucket"), REPL_OUT_REFUSED);
	assert_int_equal(classify(403, "AccessDenied"), REPL_OUT_REFUSED);
	assert_int_equal(classify(403, "InvalidAccessKeyId"), REPL_OUT_REFUSED);
	assert_int_equal(classify(403, "SignatureDoesNotMatch"), REPL_OUT_REFUSED);
	assert_int_equal(classify(400, "InvalidArgument"), REPL_OUT_REFUSED);
	assert_int_equal(classify(413, ""), REPL_OUT_REFUSED);
	assert_int_equal(replicator_classify(S3E_ServiceUnavailable, NULL), REPL_OUT_UNREACHABLE);
}

static const char *find(const struct s3c_header *h, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

/* Content headers and user metadata travel; Strata's own and transport headers do not. */
static void test_headers(void **state)
{
	struct s3c_header h[16];
	struct obj_meta m;
	int n;

	(void)state;
	obj_meta_init(&m);
	assert_int_equal(obj_meta_add_header(&m, "content-type", "application/dicom"), S3E_OK);
	assert_int_equal(obj_meta_add_header(&m, "content-encoding", "gzip"), S3E_OK);
	assert_int_equal(obj_meta_add_header(&m, "content-disposition", "inline"), S3E_OK);
	assert_int_equal(obj_meta_add_header(&m, "content-language", "fr"), S3E_OK);
	assert_int_equal(obj_meta_add_header(&m, "cache-control", "no-cache"), S3E_OK);
	assert_int_equal(obj_meta_add_header(&m, "expires", "Thu, 01 Jan 2037 00:00:00 GMT"),
			 S3E_OK);
	assert_int_equal(obj_meta_add_header(&m, "x-amz-meta-sha256", "abc"), S3E_OK);
	assert_int_equal(obj_meta_add_header(&m, "x-amz-website-redirect-location", "/x"), S3E_OK);
	assert_int_equal(obj_meta_add_header(&m, "x-amz-meta-", "empty name"), S3E_OK);

	/* Plain STANDARD object: no class, no encryption header. */
	n = replicator_headers(&m, "", true, h, 16);
	assert_int_equal(n, 7);
	assert_string_equal(find(h, n, "content-type"), "application/dicom");
	assert_string_equal(find(h, n, "content-encoding"), "gzip");
	assert_string_equal(find(h, n, "content-disposition"), "inline");
	assert_string_equal(find(h, n, "content-language"), "fr");
	assert_string_equal(find(h, n, "cache-control"), "no-cache");
	assert_string_equal(find(h, n, "expires"), "Thu, 01 Jan 2037 00:00:00 GMT");
	assert_string_equal(find(h, n, "x-amz-meta-sha256"), "abc");
	assert_null(find(h, n, "x-amz-storage-class"));
	assert_null(find(h, n, "x-amz-server-side-encryption"));

	/* The source's class when the rule names none; the rule's otherwise; SSE-S3 re-encrypted.
	 */
	snprintf(m.storage_class, sizeof(m.storage_class), "STANDARD_IA");
	m.sse_mode = SSE_S3;
	n = replicator_headers(&m, NULL, true, h, 16);
	assert_int_equal(n, 9);
	assert_string_equal(find(h, n, "x-amz-storage-class"), "STANDARD_IA");
	assert_string_equal(find(h, n, "x-amz-server-side-encryption"), "AES256");
	n = replicator_headers(&m, "GLACIER", true, h, 16);
	assert_string_equal(find(h, n, "x-amz-storage-class"), "GLACIER");
	snprintf(m.storage_class, sizeof(m.storage_class), "STANDARD");
	n = replicator_headers(&m, "", true, h, 16);
	assert_null(find(h, n, "x-amz-storage-class"));

	/* A site with encryption = none is not asked to encrypt. */
	m.sse_mode = SSE_S3;
	n = replicator_headers(&m, "", false, h, 16);
	assert_null(find(h, n, "x-amz-server-side-encryption"));
	n = replicator_headers(&m, "", true, h, 16);
	assert_string_equal(find(h, n, "x-amz-server-side-encryption"), "AES256");

	/* Too many to carry: refused rather than cut. */
	assert_int_equal(replicator_headers(&m, "GLACIER", true, h, 8), -1);
	assert_int_equal(replicator_headers(&m, "", true, h, 7), -1);
	obj_meta_free(&m);

	/* No headers at all. */
	obj_meta_init(&m);
	assert_int_equal(replicator_headers(&m, "", true, h, 0), 0);
	obj_meta_free(&m);
}

/* The version's own headers (Q9): its id when Strata made it, its lock while it holds. */
static void test_version_headers(void **state)
{
	struct s3c_header h[4];
	struct obj_meta m;
	char date[25];
	bool keep = true;
	int n;

	(void)state;
	obj_meta_init(&m);
	/* Never versioned, or the null version: the destination gives the id. */
	assert_int_equal(replicator_version_headers(&m, 1000, date, h, 4, &keep), 0);
	assert_false(keep);
	snprintf(m.version_id, sizeof(m.version_id), "null");
	assert_int_equal(replicator_version_headers(&m, 1000, date, h, 4, &keep), 0);
	snprintf(m.version_id, sizeof(m.version_id), "not/an/id");
	assert_int_equal(replicator_version_headers(&m, 1000, date, h, 4, &keep), 0);

	memset(m.version_id, 0, sizeof(m.version_id));
	memset(m.version_id, 'V', 32);
	n = replicator_version_headers(&m, 1000, date, h, 4, &keep);
	assert_int_equal(n, 1);
	assert_true(keep);
	assert_string_equal(h[0].name, "x-strata-replica-version-id");
	assert_string_equal(h[0].value, m.version_id);

	/* Retention while it runs (a past date is refused by S3, and protects nothing). */
	m.lock_mode = OBJLOCK_COMPLIANCE;
	m.lock_until_ms = 2000000000000LL; /* 2033-05-18T03:33:20.000Z */
	m.legal_hold = true;
	n = replicator_version_headers(&m, 1000, date, h, 4, &keep);
	assert_int_equal(n, 4);
	assert_string_equal(find(h, n, "x-amz-object-lock-mode"), "COMPLIANCE");
	assert_string_equal(find(h, n, "x-amz-object-lock-retain-until-date"),
			    "2033-05-18T03:33:20.000Z");
	assert_string_equal(find(h, n, "x-amz-object-lock-legal-hold"), "ON");
	n = replicator_version_headers(&m, 2000000000000LL, date, h, 4, &keep);
	assert_int_equal(n, 2); /* expired: the id and the hold */
	assert_null(find(h, n, "x-amz-object-lock-mode"));
	/* Too many to carry: refused rather than cut. */
	assert_int_equal(replicator_version_headers(&m, 1000, date, h, 3, &keep), -1);
	obj_meta_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_version_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
