/*
 * Unit tests of gateway/routes.c's routes_match: the operation a request's
 * method, target and sub-resource select. A sub-resource is the first of the
 * known names the request carries (an UploadPart carries uploadId and
 * partNumber); presigned X-Amz-* parameters select nothing; a sub-resource
 * no route serves is NotImplemented, never the plain operation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../gateway/request.h"
#include "../../gateway/routes.h"

/* A request for method on bucket/key (key NULL: the bucket) with the query names given. */
static void request_of(struct request *r, const char *method, const char *key,
		       const char *const *names, size_t n)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	arena_init(&r->arena, 4096);
	r->method = method;
	snprintf(r->bucket, sizeof(r->bucket), "bkt");
	r->key = (char *)key;
	for (i = 0; i < n; i++) {
		r->query[i].name = names[i];
		r->query[i].value = "";
	}
	r->nquery = n;
}

/* The operation name routes_match picks, or NULL on an error (then *err says which). */
static const char *op_of(const char *method, const char *key, const char *const *names, size_t n,
			 s3err_t *err)
{
	struct request r;
	const struct route *rt = NULL;
	const char *name;

	request_of(&r, method, key, names, n);
	*err = routes_match(&r, &rt);
	name = *err == S3E_OK ? rt->name : NULL;
	arena_free(&r.arena);
	return name;
}

static void test_presigned_parameters_select_nothing(void **state)
{
	const char *const q[] = {"X-Amz-Algorithm", "X-Amz-Credential",	   "X-Amz-Date",
				 "X-Amz-Expires",   "X-Amz-SignedHeaders", "X-Amz-Signature"};
	s3err_t err;
	(void)state;

	assert_string_equal(op_of("GET", "k", q, 6, &err), "GetObject");
	assert_string_equal(op_of("PUT", "k", q, 6, &err), "PutObject");
	assert_string_equal(op_of("GET", NULL, q, 6, &err), "ListObjects");
}

static void test_first_subresource_in_list_order_wins(void **state)
{
	const char *const part[] = {"partNumber", "X-Amz-Date", "uploadId"};
	const char *const retention[] = {"X-Amz-Date", "retention", "X-Amz-Signature"};
	s3err_t err;
	(void)state;

	assert_string_equal(op_of("PUT", "k", part, 3, &err), "UploadPart");
	assert_string_equal(op_of("PUT", "k", part + 2, 1, &err), "UploadPart");
	assert_string_equal(op_of("GET", "k", retention, 3, &err), "GetObjectRetention");
}

static void test_unknown_subresource_is_not_the_plain_operation(void **state)
{
	const char *const tagging[] = {"X-Amz-Date", "tagging"};
	const char *const unknown[] = {"frobnicate",
				       "Tagging"}; /* not sub-resources: names are exact */
	s3err_t err;
	(void)state;

	assert_null(op_of("GET", "k", tagging, 2, &err));
	assert_int_equal(err, S3E_NotImplemented);
	assert_string_equal(op_of("GET", "k", unknown, 2, &err), "GetObject");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_presigned_parameters_select_nothing),
	    cmocka_unit_test(test_first_subresource_in_list_order_wins),
	    cmocka_unit_test(test_unknown_subresource_is_not_the_plain_operation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
