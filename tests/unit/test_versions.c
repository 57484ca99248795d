/*
 * Unit tests for common/versions.c: the version id format, and the
 * ListObjectVersions engine over an in-memory table of versions (keys in
 * byte order, each key's versions newest first). Paging by the next markers
 * must list every version exactly once, in order, for every max-keys; a
 * delimiter folds keys into CommonPrefixes that a key-marker inside them
 * skips; a scan error comes back unchanged.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* strdup */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/versions.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* --- version ids --- */

static void test_id_new_format(void **state)
{
	static char seen[256][STRATA_VERSION_ID_MAX];
	size_t i, j, k;

	(void)state;
	for (i = 0; i < ARRAY_LEN(seen); i++) {
		assert_int_equal(versions_id_new(seen[i]), S3E_OK);
		assert_int_equal(strlen(seen[i]), VERSIONS_ID_LEN);
		for (k = 0; k < VERSIONS_ID_LEN; k++) {
			char c = seen[i][k];

			assert_true((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				    (c >= '0' && c <= '9') || c == '.' || c == '_');
		}
		assert_true(versions_id_valid(seen[i]));
		assert_string_not_equal(seen[i], "null");
		for (j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
}

static void test_id_valid(void **state)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
	    {"null", true},
	    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef", true},
	    {"0123456789._0123456789._01234567", true},
	    {"", false},
	    {"NULL", true}, /* well-formed; no version has it */
	    /* the s3 home's remote ids: Ceph RGW's are 31 characters of [A-Za-z0-9.-] */
	    {"iwAflfTjWYMB8IrjNeGVCIOrAOKeuZ-", true},
	    {".3tUuLrmBmlgLP6lwzbqwIYnhM61LQx", true},
	    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg", true},	 /* 33 */
	    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm", true},	 /* 39: the most */
	    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn", false}, /* 40 */
	    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcde/", false},
	    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcde+", false},
	    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcde=", false},
	    {"ABCDEFGHIJKLMNOPQRSTUVWXYZab%2F", false},
	    {"ABCDEFGHIJKLMNOPQRSTUVWXYZab<&>", false},
	    {"ABCDEFGHIJKLMNOPQRST VWXYZabcdef", false},
	    {"3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(versions_id_valid(cases[i].s), cases[i].ok);
}

/* --- the in-memory seek primitive --- */

struct ver {
	const char *key;
	const char *vid;
	bool marker;
};

/* Keys in byte order, each key's versions newest first (the listing order). */
static const struct ver table[] = {
    {"a", "a3", false},	    {"a", "a2", true},	   {"a", "a1", false},	   {"b/x", "bx1", false},
    {"b/y", "by2", false},  {"b/y", "by1", false}, {"b/z/q", "bz1", true}, {"c", "null", false},
    {"d\xff", "d1", false}, {"e", "e2", true},	   {"e", "e1", false},
};

struct mem {
	size_t calls;
	s3err_t fail;
};

static bool is_latest(size_t i)
{
	return i == 0 || strcmp(table[i - 1].key, table[i].key) != 0;
}

/* The index where position (key, vid) continues (versions_scan_fn's contract). */
static size_t start_index(const char *key, const char *vid)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(table); i++) {
		int c = strcmp(table[i].key, key);

		if (c > 0 || (c == 0 && !vid))
			return i;
		if (c == 0 && vid && vid[0] && strcmp(table[i].vid, vid) == 0)
			return i + 1;
	}
	return i;
}

static s3err_t mem_scan(void *sctx, const char *key, const char *vid, const char *prefix,
			size_t limit, versions_visit_fn visit, void *vctx)
{
	struct mem *m = sctx;
	size_t i;

	m->calls++;
	if (m->fail != S3E_OK)
		return m->fail;
	for (i = start_index(key, vid); i < ARRAY_LEN(table) && limit > 0; i++) {
		struct obj_meta meta;

		if (strcmp(table[i].key, key) == 0 && vid && vid[0] == '\0')
			continue; /* "": keys > key only */
		if (strncmp(table[i].key, prefix, strlen(prefix)) != 0)
			continue;
		obj_meta_init(&meta);
		snprintf(meta.version_id, sizeof(meta.version_id), "%s", table[i].vid);
		meta.delete_marker = table[i].marker;
		meta.size = i;
		limit--;
		if (!visit(vctx, table[i].key, &meta, is_latest(i)))
			break;
	}
	return S3E_OK;
}

static s3err_t run(const char *prefix, const char *delim, const char *km, const char *vm,
		   size_t max, struct versions_result *out)
{
	struct versions_query q = {prefix, delim, km, vm, max};
	struct mem m = {0, S3E_OK};

	return versions_list_run(&q, mem_scan, &m, out);
}

static void test_everything(void **state)
{
	struct versions_result r;
	size_t i;

	(void)state;
	assert_int_equal(run("", "", "", "", 1000, &r), S3E_OK);
	assert_int_equal(r.n, ARRAY_LEN(table));
	assert_false(r.truncated);
	for (i = 0; i < r.n; i++) {
		assert_string_equal(r.entries[i].key, table[i].key);
		assert_string_equal(r.entries[i].meta.version_id, table[i].vid);
		assert_int_equal(r.entries[i].meta.delete_marker, table[i].marker);
		assert_int_equal(r.entries[i].is_latest, is_latest(i));
		assert_false(r.entries[i].is_prefix);
	}
	versions_result_free(&r);
	assert_int_equal(run("", "", "", "", 0, &r), S3E_OK);
	assert_int_equal(r.n, 0);
	assert_false(r.truncated);
	versions_result_free(&r);
}

/* Following the next markers lists every version once, in order, for every page size. */
static void test_paging(void **state)
{
	struct versions_result r;
	char km[64], vm[STRATA_VERSION_ID_MAX];
	size_t max, got, pages;

	(void)state;
	for (max = 1; max <= ARRAY_LEN(table) + 1; max++) {
		km[0] = vm[0] = '\0';
		got = pages = 0;
		for (;;) {
			size_t i;

			assert_int_equal(run("", "", km, vm, max, &r), S3E_OK);
			pages++;
			for (i = 0; i < r.n; i++, got++) {
				assert_string_equal(r.entries[i].key, table[got].key);
				assert_string_equal(r.entries[i].meta.version_id, table[got].vid);
			}
			if (!r.truncated) {
				versions_result_free(&r);
				break;
			}
			assert_int_equal(r.n, max);
			snprintf(km, sizeof(km), "%s", r.next_key_marker);
			snprintf(vm, sizeof(vm), "%s", r.next_vid_marker);
			versions_result_free(&r);
			assert_true(pages < 100);
		}
		assert_int_equal(got, ARRAY_LEN(table));
	}
}

static void test_key_marker_alone(void **state)
{
	struct versions_result r;

	(void)state;
	assert_int_equal(run("", "", "b/y", "", 1000, &r), S3E_OK);
	assert_int_equal(r.n, 5); /* b/z/q, c, d\xff, e, e */
	assert_string_equal(r.entries[0].key, "b/z/q");
	versions_result_free(&r);
	/* With a version id marker: the older versions of that key first. */
	assert_int_equal(run("", "", "a", "a3", 2, &r), S3E_OK);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.entries[0].meta.version_id, "a2");
	assert_string_equal(r.entries[1].meta.version_id, "a1");
	assert_true(r.truncated);
	assert_string_equal(r.next_key_marker, "a");
	assert_string_equal(r.next_vid_marker, "a1");
	versions_result_free(&r);
}

static void test_delimiter(void **state)
{
	struct versions_result r;
	struct mem m = {0, S3E_OK};
	struct versions_query q = {"", "/", "", "", 1000};

	(void)state;
	assert_int_equal(versions_list_run(&q, mem_scan, &m, &r), S3E_OK);
	/* a a a, CommonPrefix b/, c, d\xff, e e */
	assert_int_equal(r.n, 8);
	assert_true(r.entries[3].is_prefix);
	assert_string_equal(r.entries[3].key, "b/");
	assert_string_equal(r.entries[4].key, "c");
	versions_result_free(&r);
	/* Inside the prefix, the next level folds. */
	assert_int_equal(run("b/", "/", "", "", 1000, &r), S3E_OK);
	assert_int_equal(r.n, 4); /* b/x, b/y b/y, CommonPrefix b/z/ */
	assert_true(r.entries[3].is_prefix);
	assert_string_equal(r.entries[3].key, "b/z/");
	versions_result_free(&r);
	/* A CommonPrefix ending a page is the next key marker; the next page skips it. */
	assert_int_equal(run("", "/", "", "", 4, &r), S3E_OK);
	assert_true(r.truncated);
	assert_string_equal(r.next_key_marker, "b/");
	assert_string_equal(r.next_vid_marker, "");
	versions_result_free(&r);
	assert_int_equal(run("", "/", "b/", "", 1000, &r), S3E_OK);
	assert_string_equal(r.entries[0].key, "c");
	versions_result_free(&r);
	/* A key marker inside a CommonPrefix skips that prefix too. */
	assert_int_equal(run("", "/", "b/x", "", 1000, &r), S3E_OK);
	assert_string_equal(r.entries[0].key, "c");
	versions_result_free(&r);
}

static void test_prefix_and_ff(void **state)
{
	struct versions_result r;

	(void)state;
	assert_int_equal(run("d", "\xff", "", "", 1000, &r), S3E_OK);
	assert_int_equal(r.n, 1);
	assert_true(r.entries[0].is_prefix); /* "d\xff": no successor, the listing ends */
	versions_result_free(&r);
	assert_int_equal(run("e", "", "", "", 1000, &r), S3E_OK);
	assert_int_equal(r.n, 2);
	assert_true(r.entries[0].meta.delete_marker);
	assert_true(r.entries[0].is_latest);
	versions_result_free(&r);
}

static void test_scan_error(void **state)
{
	struct versions_query q = {"", "", "", "", 10};
	struct mem m = {0, S3E_NoSuchBucket};
	struct versions_result r;

	(void)state;
	assert_int_equal(versions_list_run(&q, mem_scan, &m, &r), S3E_NoSuchBucket);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_id_new_format),    cmocka_unit_test(test_id_valid),
	    cmocka_unit_test(test_everything),	     cmocka_unit_test(test_paging),
	    cmocka_unit_test(test_key_marker_alone), cmocka_unit_test(test_delimiter),
	    cmocka_unit_test(test_prefix_and_ff),    cmocka_unit_test(test_scan_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
