/*
 * Unit tests for common/listing.c over an in-memory sorted key array.
 *
 * Hand-written tables pin the S3 rules (folding, the marker rule, max-keys);
 * an independent model (filter, fold, deduplicate, sort: no seeking) is then
 * compared with the engine over every prefix x delimiter x marker x max-keys
 * combination, and pagination by next_marker is checked to list everything
 * exactly once for max-keys 1..7.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* strdup, strndup */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/listing.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* --- the in-memory seek primitive --- */

struct mem {
	const char *const *keys; /* sorted by strcmp (byte order) */
	size_t n;
	size_t calls;  /* scans started */
	size_t visits; /* keys handed to the visitor */
	s3err_t fail;  /* returned by every scan when not S3E_OK */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static s3err_t mem_scan(void *sctx, const char *start, bool inclusive, const char *prefix,
			size_t limit, listing_visit_fn visit, void *vctx)
{
	struct mem *m = sctx;
	size_t i, plen = strlen(prefix);

	m->calls++;
	if (m->fail != S3E_OK)
		return m->fail;
	for (i = 0; i < m->n && limit > 0; i++) {
		const char *k = m->keys[i];
		struct obj_meta meta;
		int c = strcmp(k, start);

		if (strncmp(k, prefix, plen) != 0 || c < 0 || (c == 0 && !inclusive))
			continue;
		obj_meta_init(&meta);
		meta.size = i; /* lets tests check that metadata travels with the key */
		limit--;
		m->visits++;
		if (!visit(vctx, k, &meta))
			break;
	}
	return S3E_OK;
}

/* --- the reference model --- */

struct ent {
	char *s;
	bool is_prefix;
};

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->s, ((const struct ent *)b)->s);
}

/* Every entry of the listing without max-keys, sorted; returns the count. */
static size_t model(const char *const *keys, size_t n, const char *prefix, const char *delim,
		    const char *marker, struct ent *out)
{
	size_t i, j, cnt = 0, plen = strlen(prefix), dlen = strlen(delim);

	for (i = 0; i < n; i++) {
		const char *k = keys[i], *d;
		char *s;
		bool dup = false;

		if (strncmp(k, prefix, plen) != 0 || strcmp(k, marker) <= 0)
			continue;
		d = dlen ? strstr(k + plen, delim) : NULL;
		if (!d) {
			out[cnt].s = strdup(k);
			out[cnt++].is_prefix = false;
			continue;
		}
		s = strndup(k, (size_t)(d - k) + dlen);
		for (j = 0; j < cnt; j++)
			dup = dup || (out[j].is_prefix && strcmp(out[j].s, s) == 0);
		if (dup || strcmp(s, marker) <= 0) {
			free(s);
			continue;
		}
		out[cnt].s = s;
		out[cnt++].is_prefix = true;
	}
	qsort(out, cnt, sizeof(*out), cmp_ent);
	return cnt;
}

static void model_free(struct ent *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(e[i].s);
}

static void run(struct mem *m, const char *prefix, const char *delim, const char *marker,
		size_t max, struct listing_result *r)
{
	struct listing_query q = {prefix, delim, marker, max};

	memset(r, 0, sizeof(*r));
	assert_int_equal(listing_run(&q, mem_scan, m, r), S3E_OK);
}

/* --- hand-written cases --- */

static const char *const keys1[] = {
    "a",
    "a/",
    "a//b",
    "a/b",
    "a/b/c",
    "a/c",
    "b",
    "b/x",
    "c",
    "\xc3\xa9",				     /* é */
    "\xc3\xa9/1",			     /* é/1 */
    "\xe6\x97\xa5\xe6\x9c\xac/\xe8\xaa\x9e", /* 日本/語 */
    "\xf0\x9f\x98\x80",			     /* 😀 */
};

struct case1 {
	const char *prefix, *delim, *marker;
	size_t max;
	const char *want; /* entries joined by ' ', a CommonPrefix ends in '*' */
	bool truncated;
	const char *next;
};

static const struct case1 cases1[] = {
    /* folding at the first delimiter after the prefix; "a/" is a key and a CP */
    {"", "/", "", 1000,
     "a a/* b b/* c \xc3\xa9 \xc3\xa9/* \xe6\x97\xa5\xe6\x9c\xac/* "
     "\xf0\x9f\x98\x80",
     false, NULL},
    /* rest after the prefix: "" (key a/), "/b" (CP a//), "b", "b/c" (CP a/b/), "c" */
    {"a/", "/", "", 1000, "a/ a//* a/b a/b/* a/c", false, NULL},
    /* prefix equal to a key: the key itself is listed */
    {"a/b", "/", "", 1000, "a/b a/b/*", false, NULL},
    {"a", "", "", 1000, "a a/ a//b a/b a/b/c a/c", false, NULL},
    /* marker inside a common prefix: that prefix is not repeated */
    {"", "/", "a/b", 1000,
     "b b/* c \xc3\xa9 \xc3\xa9/* \xe6\x97\xa5\xe6\x9c\xac/* "
     "\xf0\x9f\x98\x80",
     false, NULL},
    {"", "/", "a/", 1000,
     "b b/* c \xc3\xa9 \xc3\xa9/* \xe6\x97\xa5\xe6\x9c\xac/* "
     "\xf0\x9f\x98\x80",
     false, NULL},
    {"", "/", "a//b", 3, "b b/* c", true, "c"},
    /* marker before the common prefix: it is listed */
    {"", "/", "a", 2, "a/* b", true, "b"},
    {"a/", "/", "a/b/c", 1000, "a/c", false, NULL},
    {"a/", "/", "a/a", 1000, "a/b a/b/* a/c", false, NULL},
    /* marker before / after the prefix range */
    {"b", "", "a", 1000, "b b/x", false, NULL},
    {"b", "", "zzz", 1000, "", false, NULL},
    {"zz", "/", "", 1000, "", false, NULL},
    /* delimiter not present: every key is listed */
    {"", "|", "", 4, "a a/ a//b a/b", true, "a/b"},
    /* multi-byte delimiter: a CP may equal a whole key */
    {"", "/b", "", 1000,
     "a a/ a//b* a/b* a/c b b/x c \xc3\xa9 \xc3\xa9/1 "
     "\xe6\x97\xa5\xe6\x9c\xac/\xe8\xaa\x9e \xf0\x9f\x98\x80",
     false, NULL},
    {"a", "//", "", 1000, "a a/ a//* a/b a/b/c a/c", false, NULL},
    /* unicode delimiter and prefix */
    {"", "\xe6\x9c\xac", "c", 1000,
     "\xc3\xa9 \xc3\xa9/1 \xe6\x97\xa5\xe6\x9c\xac* "
     "\xf0\x9f\x98\x80",
     false, NULL},
    {"\xc3\xa9", "/", "", 1000, "\xc3\xa9 \xc3\xa9/*", false, NULL},
    /* max-keys: keys and prefixes count alike; next marker is the last entry */
    {"a/", "/", "", 2, "a/ a//*", true, "a//"},
    {"a/", "/", "a//", 2, "a/b a/b/*", true, "a/b/"},
    {"a/", "/", "a/b/", 2, "a/c", false, NULL},
    {"a/", "/", "", 5, "a/ a//* a/b a/b/* a/c", false, NULL},
    {"", "/", "", 0, "", false, NULL},
    {"", "", "", 0, "", false, NULL},
};

/* Formats r like case1.want. */
static void render(const struct listing_result *r, char *out, size_t cap)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < r->n; i++) {
		int n = snprintf(out + len, cap - len, "%s%s%s", i ? " " : "", r->entries[i].key,
				 r->entries[i].is_prefix ? "*" : "");

		assert_true(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
}

static void test_cases(void **state)
{
	struct mem m = {keys1, ARRAY_LEN(keys1), 0, 0, S3E_OK};
	struct listing_result r;
	char got[1024];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases1); i++) {
		const struct case1 *c = &cases1[i];

		run(&m, c->prefix, c->delim, c->marker, c->max, &r);
		render(&r, got, sizeof(got));
		if (strcmp(got, c->want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, c->want);
		assert_int_equal(r.truncated, c->truncated);
		if (c->next)
			assert_string_equal(r.next_marker, c->next);
		else
			assert_null(r.next_marker);
		listing_result_free(&r);
	}
}

/* The README example of the brief: marker a/b, delimiter /, keys a/b a/c b. */
static void test_marker_inside_prefix(void **state)
{
	static const char *const keys[] = {"a/b", "a/c", "b"};
	struct mem m = {keys, ARRAY_LEN(keys), 0, 0, S3E_OK};
	struct listing_result r;

	(void)state;
	run(&m, "", "/", "a/b", 1000, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.entries[0].key, "b");
	assert_false(r.entries[0].is_prefix);
	assert_false(r.truncated);
	listing_result_free(&r);

	/* Without a delimiter the marker is just a key position. */
	run(&m, "", "", "a/b", 1000, &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.entries[0].key, "a/c");
	listing_result_free(&r);
}

static void test_meta_travels(void **state)
{
	struct mem m = {keys1, ARRAY_LEN(keys1), 0, 0, S3E_OK};
	struct listing_result r;
	size_t i;

	(void)state;
	run(&m, "", "/", "", 1000, &r);
	for (i = 0; i < r.n; i++) {
		assert_null(r.entries[i].meta.headers);
		if (!r.entries[i].is_prefix) {
			/* mem_scan sets size to the key's index in keys1 */
			assert_string_equal(keys1[r.entries[i].meta.size], r.entries[i].key);
		}
	}
	listing_result_free(&r);
}

/* --- the engine against the model --- */

static const char *const prefixes[] = {
    "", "a", "a/", "a/b", "a//", "b", "\xc3\xa9", "zz", "\xe6\x97\xa5",
};
static const char *const delims[] = {"", "/", "//", "/b", "b", "\xe6\x9c\xac", "|"};
static const char *const markers[] = {
    "", "0", "a", "a/", "a/a", "a/b", "a//b", "a/b/", "a/b/c", "b", "b/", "\xc3\xa9", "zzz",
};
static const size_t maxes[] = {0, 1, 2, 3, 5, 7, 1000};

static void check_page(const struct listing_result *r, const struct ent *all, size_t total,
		       size_t max, const char *what)
{
	size_t want = total < max ? total : max, i;

	if (r->n != want)
		fail_msg("%s: %zu entries, want %zu", what, r->n, want);
	for (i = 0; i < want; i++) {
		if (strcmp(r->entries[i].key, all[i].s) != 0 ||
		    r->entries[i].is_prefix != all[i].is_prefix)
			fail_msg("%s: entry %zu is \"%s\", want \"%s\"", what, i, r->entries[i].key,
				 all[i].s);
	}
	assert_int_equal(r->truncated, total > max && max > 0);
	if (r->truncated)
		assert_string_equal(r->next_marker, all[want - 1].s);
	else
		assert_null(r->next_marker);
}

static void test_against_model(void **state)
{
	struct mem m = {keys1, ARRAY_LEN(keys1), 0, 0, S3E_OK};
	struct ent all[ARRAY_LEN(keys1)];
	struct listing_result r;
	size_t p, d, k, x, total;
	char what[256];

	(void)state;
	for (p = 0; p < ARRAY_LEN(prefixes); p++)
		for (d = 0; d < ARRAY_LEN(delims); d++)
			for (k = 0; k < ARRAY_LEN(markers); k++) {
				total = model(keys1, ARRAY_LEN(keys1), prefixes[p], delims[d],
					      markers[k], all);
				for (x = 0; x < ARRAY_LEN(maxes); x++) {
					snprintf(what, sizeof(what), "p=%s d=%s m=%s max=%zu",
						 prefixes[p], delims[d], markers[k], maxes[x]);
					run(&m, prefixes[p], delims[d], markers[k], maxes[x], &r);
					check_page(&r, all, total, maxes[x], what);
					listing_result_free(&r);
				}
				model_free(all, total);
			}
}

/* Following next_marker yields the whole listing, no duplicates or gaps. */
static void test_pagination(void **state)
{
	struct mem m = {keys1, ARRAY_LEN(keys1), 0, 0, S3E_OK};
	struct ent all[ARRAY_LEN(keys1)];
	struct listing_result r;
	size_t p, d, max, total, seen, pages;
	char marker[256];

	(void)state;
	for (p = 0; p < ARRAY_LEN(prefixes); p++)
		for (d = 0; d < ARRAY_LEN(delims); d++) {
			total = model(keys1, ARRAY_LEN(keys1), prefixes[p], delims[d], "", all);
			for (max = 1; max <= 7; max++) {
				seen = 0;
				pages = 0;
				marker[0] = '\0';
				for (;;) {
					size_t i;

					run(&m, prefixes[p], delims[d], marker, max, &r);
					pages++;
					assert_true(pages <= total + 1);
					for (i = 0; i < r.n; i++, seen++) {
						assert_true(seen < total);
						assert_string_equal(r.entries[i].key, all[seen].s);
						assert_int_equal(r.entries[i].is_prefix,
								 all[seen].is_prefix);
					}
					if (!r.truncated) {
						listing_result_free(&r);
						break;
					}
					assert_int_equal(r.n, max);
					assert_true(strlen(r.next_marker) < sizeof(marker));
					memcpy(marker, r.next_marker, strlen(r.next_marker) + 1);
					listing_result_free(&r);
				}
				assert_int_equal(seen, total);
			}
			model_free(all, total);
		}
}

/* --- cost: batches, and seeking past a crowded common prefix --- */

static char **make_keys(size_t n, const char *fmt_prefix, const char *extra)
{
	char **k = calloc(n + 1, sizeof(*k));
	size_t i;

	assert_non_null(k);
	for (i = 0; i < n; i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%s%04zu", fmt_prefix, i);
		k[i] = strdup(buf);
	}
	k[n] = strdup(extra);
	qsort(k, n + 1, sizeof(*k), cmp_str);
	return k;
}

static void free_keys(char **k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(k[i]);
	free(k);
}

static void test_batches(void **state)
{
	char **k = make_keys(300, "k", "z");
	struct mem m = {(const char *const *)k, 301, 0, 0, S3E_OK};
	struct listing_result r;

	(void)state;
	run(&m, "", "/", "", 100, &r);
	assert_int_equal(r.n, 100);
	assert_true(r.truncated);
	assert_string_equal(r.next_marker, "k0099");
	assert_int_equal(m.calls, 1); /* one scan for the whole page */
	listing_result_free(&r);
	free_keys(k, 301);
}

static void test_seek_past_prefix(void **state)
{
	char **k = make_keys(2000, "d/", "e");
	struct mem m = {(const char *const *)k, 2001, 0, 0, S3E_OK};
	struct listing_result r;

	(void)state;
	run(&m, "", "/", "", 1000, &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.entries[0].key, "d/");
	assert_true(r.entries[0].is_prefix);
	assert_string_equal(r.entries[1].key, "e");
	assert_false(r.truncated);
	assert_true(m.visits < 20); /* not 2000: the engine seeks past d/ */
	assert_true(m.calls <= 3);
	listing_result_free(&r);

	/* The page is full at d/; finding that "e" follows still costs one seek. */
	m.calls = m.visits = 0;
	run(&m, "", "/", "", 1, &r);
	assert_int_equal(r.n, 1);
	assert_true(r.truncated);
	assert_string_equal(r.next_marker, "d/");
	assert_true(m.visits < 20);
	listing_result_free(&r);

	/* A marker deep inside d/ starts past it at once. */
	m.calls = m.visits = 0;
	run(&m, "", "/", "d/0500", 10, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.entries[0].key, "e");
	assert_true(m.visits < 20);
	listing_result_free(&r);
	free_keys(k, 2001);
}

/* A common prefix ending in 0xff bytes: its successor drops them. */
static void test_successor_ff(void **state)
{
	static const char *const keys[] = {
	    "a\xff"
	    "00",
	    "a\xff"
	    "01",
	    "a\xff"
	    "02",
	    "a\xff"
	    "03",
	    "a\xff"
	    "04",
	    "a\xff"
	    "05",
	    "a\xff"
	    "06",
	    "a\xff"
	    "07",
	    "a\xff"
	    "08",
	    "a\xff"
	    "09",
	    "a\xff"
	    "10",
	    "a\xff"
	    "11",
	    "a\xff\xff",
	    "b",
	};
	struct mem m = {keys, ARRAY_LEN(keys), 0, 0, S3E_OK};
	struct listing_result r;

	(void)state;
	run(&m, "", "\xff", "", 1000, &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.entries[0].key, "a\xff");
	assert_true(r.entries[0].is_prefix);
	assert_string_equal(r.entries[1].key, "b");
	listing_result_free(&r);

	/* Prefix "a\xff": twelve keys, then "a\xff\xff" folds into CP "a\xff\xff". */
	run(&m, "a\xff", "\xff", "", 1000, &r);
	assert_int_equal(r.n, 13);
	assert_string_equal(r.entries[12].key, "a\xff\xff");
	assert_true(r.entries[12].is_prefix);
	listing_result_free(&r);
}

static void test_scan_error(void **state)
{
	struct mem m = {keys1, ARRAY_LEN(keys1), 0, 0, S3E_NoSuchBucket};
	struct listing_query q = {"", "/", "", 10};
	struct listing_result r = {(struct listing_entry *)&m, 77, true, NULL};

	(void)state;
	assert_int_equal(listing_run(&q, mem_scan, &m, &r), S3E_NoSuchBucket);
	/* outputs are written only on success */
	assert_ptr_equal(r.entries, (struct listing_entry *)&m);
	assert_int_equal(r.n, 77);
	listing_result_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_marker_inside_prefix),
	    cmocka_unit_test(test_meta_travels),
	    cmocka_unit_test(test_against_model),
	    cmocka_unit_test(test_pagination),
	    cmocka_unit_test(test_batches),
	    cmocka_unit_test(test_seek_past_prefix),
	    cmocka_unit_test(test_successor_ff),
	    cmocka_unit_test(test_scan_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
