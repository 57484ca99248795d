/*
 * Unit tests of the posix backend's object-row cache (backends/posix_ocache.c):
 * the cache alone (hits are deep copies, inline bytes too; O2: a put from a read older than a
 * commit is dropped, any commit empties it, keys are exact), then through
 * the backend: a HEAD or GET after an overwrite, a delete or a commit on an
 * unrelated path never answers from a row the index no longer holds (O1),
 * and the WAL hook that moves the generation still checkpoints the WAL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../../backends/posix_internal.h"
#include "posix_fixture.h"

#define BKT "rows"

static struct posix_orow orow(uint64_t size, const char *header_value)
{
	struct posix_orow r;

	memset(&r, 0, sizeof(r));
	obj_meta_init(&r.meta);
	r.meta.size = size;
	snprintf(r.meta.etag, sizeof(r.meta.etag), "%032llx", (unsigned long long)size);
	snprintf(r.id, sizeof(r.id), "00112233445566778899aabbccddeeff");
	if (header_value)
		assert_int_equal(obj_meta_add_header(&r.meta, "x-amz-meta-a", header_value),
				 S3E_OK);
	return r;
}

static void test_put_then_hit_is_a_deep_copy(void **state)
{
	struct posix_ocache *c = posix_ocache_new();
	struct posix_orow r = orow(5, "one"), got;
	const char *name, *value;
	size_t pos = 0;
	uint64_t gen;
	(void)state;

	assert_non_null(c);
	r.data = (uint8_t *)strdup("inline");
	r.data_len = 6;
	assert_false(posix_ocache_get(c, "b", "k", &got, &gen));
	posix_ocache_put(c, "b", "k", &r, gen);
	posix_orow_free(&r); /* the cache holds its own blob and inline bytes */
	assert_true(posix_ocache_get(c, "b", "k", &got, &gen));
	assert_int_equal(got.meta.size, 5);
	assert_string_equal(got.id, "00112233445566778899aabbccddeeff");
	assert_true(obj_meta_next_header(&got.meta, &pos, &name, &value));
	assert_string_equal(value, "one");
	assert_int_equal(got.data_len, 6);
	assert_memory_equal(got.data, "inline", 6);
	posix_orow_free(&got); /* and each hit its own */
	assert_true(posix_ocache_get(c, "b", "k", &got, &gen));
	assert_memory_equal(got.data, "inline", 6);
	posix_orow_free(&got);
	posix_ocache_free(c);
}

/* O2: a commit between the read's start and its put: the row read may be older. */
static void test_put_older_than_a_commit_is_dropped(void **state)
{
	struct posix_ocache *c = posix_ocache_new();
	struct posix_orow r = orow(5, NULL), got;
	uint64_t gen, unused;
	(void)state;

	assert_false(posix_ocache_get(c, "b", "k", &got, &gen));
	posix_ocache_moved(c);
	posix_ocache_put(c, "b", "k", &r, gen);
	assert_false(posix_ocache_get(c, "b", "k", &got, &unused));
	obj_meta_free(&r.meta);
	posix_ocache_free(c);
}

/* O1, O2: any commit empties the cache; a row read after it is kept again. */
static void test_commit_empties_the_cache(void **state)
{
	struct posix_ocache *c = posix_ocache_new();
	struct posix_orow r = orow(5, "x"), got;
	uint64_t gen;
	(void)state;

	assert_false(posix_ocache_get(c, "b", "k", &got, &gen));
	posix_ocache_put(c, "b", "k", &r, gen);
	posix_ocache_moved(c);
	assert_false(posix_ocache_get(c, "b", "k", &got, &gen));
	posix_ocache_put(c, "b", "k", &r, gen);
	assert_true(posix_ocache_get(c, "b", "k", &got, &gen));
	posix_orow_free(&got);
	obj_meta_free(&r.meta);
	posix_ocache_free(c);
}

/* Bucket and key are matched exactly, never as one joined string; long keys too. */
static void test_keys_are_exact(void **state)
{
	struct posix_ocache *c = posix_ocache_new();
	struct posix_orow r = orow(7, NULL), got;
	char long_key[STRATA_MAX_KEY_LEN + 1];
	uint64_t gen;
	(void)state;

	assert_false(posix_ocache_get(c, "ab", "c", &got, &gen));
	posix_ocache_put(c, "ab", "c", &r, gen);
	assert_false(posix_ocache_get(c, "a", "bc", &got, &gen));
	assert_false(posix_ocache_get(c, "ab", "c/", &got, &gen));
	assert_false(posix_ocache_get(c, "ac", "c", &got, &gen));
	memset(long_key, 'k', STRATA_MAX_KEY_LEN);
	long_key[STRATA_MAX_KEY_LEN] = '\0';
	posix_ocache_put(c, "ab", long_key, &r, gen);
	assert_true(posix_ocache_get(c, "ab", long_key, &got, &gen));
	assert_int_equal(got.meta.size, 7);
	posix_orow_free(&got);
	obj_meta_free(&r.meta);
	posix_ocache_free(c);
}

/* --- through the backend --- */

static int setup(void **state)
{
	struct fixture_backend *f = calloc(1, sizeof(*f));

	*state = f;
	return f && fixture_backend_open(f, "ocache", NULL, BKT) ? 0 : -1;
}

static void put(struct backend *be, const char *key, const char *text)
{
	struct be_writer *w = NULL;
	struct obj_meta meta;

	assert_int_equal(backend_writer_open(be, BKT, key, strlen(text), &w), S3E_OK);
	assert_int_equal(backend_writer_write(be, w, text, strlen(text)), S3E_OK);
	obj_meta_init(&meta);
	meta.size = strlen(text);
	meta.mtime_ms = 1700000000123;
	snprintf(meta.etag, sizeof(meta.etag), "0123456789abcdef0123456789abcdef");
	memset(meta.sha256_hex, 'a', 64);
	meta.sha256_hex[64] = '\0';
	assert_int_equal(backend_writer_commit(be, w, &meta), S3E_OK);
}

static uint64_t head_size(struct backend *be, const char *key)
{
	struct obj_meta m;
	uint64_t size;

	assert_int_equal(backend_object_head(be, BKT, key, &m), S3E_OK);
	size = m.size;
	obj_meta_free(&m);
	return size;
}

/* Whether the backend's row cache holds bucket BKT's key now. */
static bool cached(struct fixture_backend *f, const char *key)
{
	struct posix_orow row;
	uint64_t gen;
	bool hit;

	hit = posix_ocache_get(((struct posix_be *)f->be)->ocache, BKT, key, &row, &gen);
	if (hit)
		posix_orow_free(&row);
	return hit;
}

/* The cache's generation now (a probe of a key never stored). */
static uint64_t generation(struct fixture_backend *f)
{
	struct posix_orow unused;
	uint64_t gen;

	assert_false(posix_ocache_get(((struct posix_be *)f->be)->ocache, "-", "-", &unused, &gen));
	return gen;
}

/* O1: reads after an overwrite and after a delete see them, cached or not. */
static void test_reads_follow_overwrite_and_delete(void **state)
{
	struct fixture_backend *f = *state;
	struct obj_meta m;

	put(f->be, "k", "first");
	assert_false(cached(f, "k"));
	fixture_assert_holds(f->be, BKT, "k", "first");
	assert_true(cached(f, "k"));
	fixture_assert_holds(f->be, BKT, "k", "first"); /* from the cache */
	assert_int_equal(head_size(f->be, "k"), 5);
	put(f->be, "k", "second!");
	assert_false(cached(f, "k")); /* O1 */
	assert_int_equal(head_size(f->be, "k"), 7);
	fixture_assert_holds(f->be, BKT, "k", "second!");
	assert_int_equal(backend_object_delete(f->be, BKT, "k"), S3E_OK);
	assert_int_equal(backend_object_head(f->be, BKT, "k", &m), S3E_NoSuchKey);
	assert_int_equal(backend_reader_open(f->be, BKT, "k", &m, &(struct be_reader *){NULL}),
			 S3E_NoSuchKey);
}

/* O1: a commit on a path that never names an object still empties the cache. */
static void test_any_commit_moves_the_generation(void **state)
{
	struct fixture_backend *f = *state;
	const char *doc = "<Tagging><TagSet/></Tagging>";
	uint64_t before;

	put(f->be, "k", "kept");
	assert_int_equal(head_size(f->be, "k"), 4); /* cached */
	before = generation(f);
	assert_int_equal(backend_bucket_config_put(f->be, BKT, "tagging", doc, strlen(doc)),
			 S3E_OK);
	assert_true(generation(f) > before);
}

/*
 * The WAL hook replaces SQLite's own, which checkpoints the WAL at 1,000
 * pages (POSIX_WAL_CHECKPOINT_PAGES): without one, these 1,500 commits
 * leave 1,547 pages in index.db-wal.
 */
static void test_wal_still_checkpointed(void **state)
{
	struct fixture_backend *f = *state;
	char path[160], name[32];
	struct stat sb;
	int i;

	for (i = 0; i < 750; i++) {
		struct bucket_info b = {"", "AKIDEXAMPLE", "", 1};

		snprintf(name, sizeof(name), "wal-%d", i);
		snprintf(b.name, sizeof(b.name), "%s", name);
		assert_int_equal(backend_bucket_create(f->be, &b), S3E_OK);
		assert_int_equal(backend_bucket_delete(f->be, name), S3E_OK);
	}
	snprintf(path, sizeof(path), "%s/index.db-wal", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	/* 1,000 pages of 4 KiB and a 24-byte frame header each, and a margin (1,547 unchecked). */
	assert_true(sb.st_size < (off_t)1200 * (4096 + 24));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_then_hit_is_a_deep_copy),
	    cmocka_unit_test(test_put_older_than_a_commit_is_dropped),
	    cmocka_unit_test(test_commit_empties_the_cache),
	    cmocka_unit_test(test_keys_are_exact),
	    cmocka_unit_test_setup_teardown(test_reads_follow_overwrite_and_delete, setup,
					    fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_any_commit_moves_the_generation, setup,
					    fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_wal_still_checkpointed, setup,
					    fixture_backend_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
