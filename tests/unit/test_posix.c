/*
 * Unit tests for backends/posix.c: a real backend in a fresh temporary
 * directory per test, driven only through the backend_* wrappers, with the
 * files on disk inspected to prove what a user (or an operator) would see.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* mkdtemp, nftw, fork */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../backends/posix.h"
#include "../../backends/posix_internal.h" /* posix_ocache_moved */
#include "posix_fixture.h"
#include "../../common/frames.h"
#include "../../common/keyring.h"
#include "../../common/listing.h"
#include "../../common/objlock.h"
#include "../../common/sse.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BKT "bkt"
#define F ((uint64_t)FRAME_DATA_SIZE)
#define STRIDE ((uint64_t)FRAME_DATA_SIZE + FRAME_TAG_SIZE) /* a stored frame and its tag */

struct fx {
	char dir[64];
	struct backend *be;
	struct fixture_tiers tiers; /* set by open_tiers */
	struct keyring *keys;	    /* posix_opts.keys of be, or NULL; freed after be */
};

static void meta_for(struct obj_meta *m, size_t size, const char *etag)
{
	obj_meta_init(m);
	m->size = size;
	m->mtime_ms = 1700000000123;
	snprintf(m->etag, sizeof(m->etag), "%s", etag);
	memset(m->sha256_hex, 'a', 64);
	m->sha256_hex[64] = '\0';
}

/* PUTs data at bucket/key in pieces of `piece` bytes. */
static s3err_t put_pieces(struct backend *be, const char *bucket, const char *key, const void *data,
			  size_t len, size_t piece)
{
	struct be_writer *w = NULL;
	struct obj_meta m;
	size_t off;
	s3err_t err;

	err = backend_writer_open(be, bucket, key, len, &w);
	if (err != S3E_OK)
		return err;
	for (off = 0; off < len; off += piece) {
		size_t n = len - off < piece ? len - off : piece;

		err = backend_writer_write(be, w, (const char *)data + off, n);
		if (err != S3E_OK) {
			backend_writer_abort(be, w);
			return err;
		}
	}
	meta_for(&m, len, "0123456789abcdef0123456789abcdef");
	return backend_writer_commit(be, w, &m);
}

static s3err_t put(struct backend *be, const char *bucket, const char *key, const char *text)
{
	return put_pieces(be, bucket, key, text, strlen(text), 4096);
}

/* Reads all of bucket/key into a NUL-terminated malloc'd buffer. */
static s3err_t get(struct backend *be, const char *bucket, const char *key, char **out)
{
	struct be_reader *r = NULL;
	struct obj_meta m;
	size_t got, off = 0;
	char *buf;
	s3err_t err;

	err = backend_reader_open(be, bucket, key, &m, &r);
	if (err != S3E_OK)
		return err;
	buf = malloc(m.size + 1);
	assert_non_null(buf);
	do {
		err = backend_reader_read(be, r, off, buf + off, 1000, &got);
		assert_int_equal(err, S3E_OK);
		off += got;
	} while (got == 1000);
	assert_int_equal(off, m.size);
	buf[off] = '\0';
	backend_reader_close(be, r);
	obj_meta_free(&m);
	*out = buf;
	return S3E_OK;
}

static void assert_content(struct backend *be, const char *bucket, const char *key,
			   const char *want)
{
	char *got = NULL;

	assert_int_equal(get(be, bucket, key, &got), S3E_OK);
	assert_string_equal(got, want);
	free(got);
}

static void reopen(struct fx *f)
{
	backend_close(f->be);
	f->be = NULL;
	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct bucket_info b = {BKT, "AKIDEXAMPLE", "", 1};

	if (!f)
		return -1;
	*state = f;
	snprintf(f->dir, sizeof(f->dir), "/tmp/strata-posix-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* a missing level below the temporary directory exercises mkdir -p */
	strncat(f->dir, "/data/x", sizeof(f->dir) - strlen(f->dir) - 1);
	if (posix_open_files(f->dir, &f->be) != S3E_OK)
		return -1;
	if (backend_bucket_create(f->be, &b) != S3E_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char *slash;

	backend_close(f->be);
	keyring_free(f->keys);
	slash = strstr(f->dir, "/data/x");
	if (slash)
		*slash = '\0';
	fixture_remove_dir(f->dir);
	free(f);
	return 0;
}

/* --- buckets --- */

struct names {
	char v[100][STRATA_BUCKET_NAME_MAX + 1];
	size_t n, stop_after;
};

static bool collect_bucket(void *ctx, const struct bucket_info *b)
{
	struct names *ns = ctx;

	assert_true(ns->n < ARRAY_LEN(ns->v));
	memcpy(ns->v[ns->n++], b->name, sizeof(b->name));
	return ns->stop_after == 0 || ns->n < ns->stop_after;
}

static void test_buckets(void **state)
{
	struct fx *f = *state;
	struct bucket_info a = {"alpha", "AKIDOWNER", "eu-west-1", 1700000000000};
	struct bucket_info b = {"beta", "AKIDOWNER", "", 2};
	struct bucket_info c = {"aaa", "OTHER", "", 3};
	struct bucket_info got;
	struct names ns = {0};
	uint64_t n = 99;

	assert_int_equal(backend_bucket_create(f->be, &a), S3E_OK);
	assert_int_equal(backend_bucket_create(f->be, &a), S3E_BucketAlreadyExists);
	assert_int_equal(backend_bucket_create(f->be, &b), S3E_OK);
	assert_int_equal(backend_bucket_create(f->be, &c), S3E_OK);

	assert_int_equal(backend_bucket_get(f->be, "alpha", &got), S3E_OK);
	assert_string_equal(got.name, "alpha");
	assert_string_equal(got.owner, "AKIDOWNER");
	assert_string_equal(got.region, "eu-west-1");
	assert_true(got.created_ms == 1700000000000);
	assert_int_equal(backend_bucket_get(f->be, "nope", &got), S3E_NoSuchBucket);

	assert_int_equal(backend_bucket_list(f->be, collect_bucket, &ns), S3E_OK);
	assert_int_equal(ns.n, 4);
	assert_string_equal(ns.v[0], "aaa");
	assert_string_equal(ns.v[1], "alpha");
	assert_string_equal(ns.v[2], "beta");
	assert_string_equal(ns.v[3], BKT);
	memset(&ns, 0, sizeof(ns));
	ns.stop_after = 2;
	assert_int_equal(backend_bucket_list(f->be, collect_bucket, &ns), S3E_OK);
	assert_int_equal(ns.n, 2);

	assert_int_equal(backend_bucket_delete(f->be, "nope"), S3E_NoSuchBucket);
	assert_int_equal(put(f->be, "alpha", "k", "v"), S3E_OK);
	assert_int_equal(backend_bucket_delete(f->be, "alpha"), S3E_BucketNotEmpty);
	assert_int_equal(backend_bucket_count(f->be, "alpha", 10, &n), S3E_OK);
	assert_int_equal(n, 1);
	assert_int_equal(backend_object_delete(f->be, "alpha", "k"), S3E_OK);
	assert_int_equal(backend_bucket_delete(f->be, "alpha"), S3E_OK);
	assert_int_equal(backend_bucket_get(f->be, "alpha", &got), S3E_NoSuchBucket);
	assert_int_equal(backend_bucket_count(f->be, "alpha", 10, &n), S3E_NoSuchBucket);
	assert_int_equal(backend_bucket_delete(f->be, "alpha"), S3E_NoSuchBucket);
	/* the name is free again */
	assert_int_equal(backend_bucket_create(f->be, &a), S3E_OK);
}

static void test_bucket_list_many(void **state)
{
	struct fx *f = *state;
	struct names ns = {0};
	size_t i;

	for (i = 0; i < 90; i++) {
		struct bucket_info b = {"", "o", "", 0};

		snprintf(b.name, sizeof(b.name), "b%03zu", i);
		assert_int_equal(backend_bucket_create(f->be, &b), S3E_OK);
	}
	assert_int_equal(backend_bucket_list(f->be, collect_bucket, &ns), S3E_OK);
	assert_int_equal(ns.n, 91); /* and BKT, which sorts last */
	for (i = 0; i < 90; i++) {
		char want[8];

		snprintf(want, sizeof(want), "b%03zu", i);
		assert_string_equal(ns.v[i], want);
	}
	assert_string_equal(ns.v[90], BKT);
}

static void test_bucket_count_cap(void **state)
{
	struct fx *f = *state;
	uint64_t n = 0;
	char key[16];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(put(f->be, BKT, key, "x"), S3E_OK);
	}
	assert_int_equal(backend_bucket_count(f->be, BKT, 3, &n), S3E_OK);
	assert_int_equal(n, 3);
	assert_int_equal(backend_bucket_count(f->be, BKT, UINT64_MAX, &n), S3E_OK);
	assert_int_equal(n, 5);
}

/* --- writing and reading --- */

static void test_write_read(void **state)
{
	struct fx *f = *state;
	const size_t len = 100000;
	char *data = malloc(len), *buf = malloc(len);
	struct be_writer *w = NULL;
	struct be_reader *r = NULL;
	struct obj_meta m, h;
	const char *name, *value;
	size_t i, got, pos = 0;

	assert_non_null(data);
	assert_non_null(buf);
	for (i = 0; i < len; i++)
		data[i] = (char)(i * 7 + i / 251);

	assert_int_equal(backend_writer_open(f->be, BKT, "dir/file.bin", len, &w), S3E_OK);
	for (i = 0; i < len; i += 7777)
		assert_int_equal(
		    backend_writer_write(f->be, w, data + i, len - i < 7777 ? len - i : 7777),
		    S3E_OK);
	meta_for(&m, len, "d41d8cd98f00b204e9800998ecf8427e-2");
	snprintf(m.checksum_algo, sizeof(m.checksum_algo), "CRC32C");
	snprintf(m.checksum_b64, sizeof(m.checksum_b64), "AAAAAA==");
	snprintf(m.storage_class, sizeof(m.storage_class), "STANDARD_IA");
	assert_int_equal(obj_meta_add_header(&m, "content-type", "application/dicom"), S3E_OK);
	assert_int_equal(obj_meta_add_header(&m, "x-amz-meta-sha", "abc"), S3E_OK);
	assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_OK);

	assert_int_equal(backend_object_head(f->be, BKT, "dir/file.bin", &h), S3E_OK);
	assert_true(h.size == len);
	assert_true(h.mtime_ms == m.mtime_ms);
	assert_string_equal(h.etag, m.etag);
	assert_string_equal(h.sha256_hex, m.sha256_hex);
	assert_string_equal(h.checksum_algo, "CRC32C");
	assert_string_equal(h.checksum_b64, "AAAAAA==");
	assert_string_equal(h.storage_class, "STANDARD_IA");
	assert_int_equal(h.headers_len, m.headers_len);
	assert_true(obj_meta_next_header(&h, &pos, &name, &value));
	assert_string_equal(name, "content-type");
	assert_string_equal(value, "application/dicom");
	assert_true(obj_meta_next_header(&h, &pos, &name, &value));
	assert_string_equal(name, "x-amz-meta-sha");
	assert_false(obj_meta_next_header(&h, &pos, &name, &value));
	obj_meta_free(&h);

	assert_int_equal(backend_reader_open(f->be, BKT, "dir/file.bin", &h, &r), S3E_OK);
	assert_true(h.size == len);
	assert_int_equal(h.headers_len, m.headers_len);
	assert_int_equal(backend_reader_read(f->be, r, 0, buf, len, &got), S3E_OK);
	assert_int_equal(got, len);
	assert_memory_equal(buf, data, len);
	assert_int_equal(backend_reader_read(f->be, r, 12345, buf, 100, &got), S3E_OK);
	assert_int_equal(got, 100);
	assert_memory_equal(buf, data + 12345, 100);
	assert_int_equal(backend_reader_read(f->be, r, len - 10, buf, 100, &got), S3E_OK);
	assert_int_equal(got, 10); /* short only at the end */
	assert_int_equal(backend_reader_read(f->be, r, len, buf, 100, &got), S3E_OK);
	assert_int_equal(got, 0);
	assert_int_equal(backend_reader_read(f->be, r, UINT64_MAX, buf, 100, &got), S3E_OK);
	assert_int_equal(got, 0);
	backend_reader_close(f->be, r);
	obj_meta_free(&h);
	obj_meta_free(&m);

	assert_int_equal(count_files(f->dir, "objects"), 1);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	free(data);
	free(buf);
}

static void test_missing(void **state)
{
	struct fx *f = *state;
	struct be_writer *w = NULL;
	struct be_reader *r = NULL;
	struct obj_meta m;

	assert_int_equal(backend_object_head(f->be, BKT, "nope", &m), S3E_NoSuchKey);
	assert_int_equal(backend_object_head(f->be, "nobucket", "k", &m), S3E_NoSuchBucket);
	assert_int_equal(backend_reader_open(f->be, BKT, "nope", &m, &r), S3E_NoSuchKey);
	assert_int_equal(backend_reader_open(f->be, "nobucket", "k", &m, &r), S3E_NoSuchBucket);
	assert_int_equal(backend_writer_open(f->be, "nobucket", "k", 0, &w), S3E_NoSuchBucket);
	assert_int_equal(backend_object_delete(f->be, BKT, "nope"), S3E_NoSuchKey);
	assert_int_equal(backend_object_delete(f->be, "nobucket", "k"), S3E_NoSuchBucket);
	assert_null(w);
	assert_null(r);
}

static void test_empty_object(void **state)
{
	struct fx *f = *state;
	char *got = NULL;

	assert_int_equal(put(f->be, BKT, "empty", ""), S3E_OK);
	assert_int_equal(get(f->be, BKT, "empty", &got), S3E_OK);
	assert_string_equal(got, "");
	free(got);
}

static void test_overwrite(void **state)
{
	struct fx *f = *state;
	struct be_reader *r1 = NULL, *r2 = NULL;
	struct obj_meta m;
	char buf[64];
	size_t got;

	assert_int_equal(put(f->be, BKT, "k", "old bytes"), S3E_OK);
	assert_int_equal(backend_reader_open(f->be, BKT, "k", &m, &r1), S3E_OK);
	obj_meta_free(&m);

	assert_int_equal(put(f->be, BKT, "k", "the new bytes"), S3E_OK);
	/* the replaced data file is gone from disk, only the new one remains */
	assert_int_equal(count_files(f->dir, "objects"), 1);
	assert_content(f->be, BKT, "k", "the new bytes");

	/* a reader opened before the overwrite still reads the old version */
	assert_int_equal(backend_reader_read(f->be, r1, 0, buf, sizeof(buf), &got), S3E_OK);
	assert_int_equal(got, 9);
	assert_memory_equal(buf, "old bytes", 9);
	backend_reader_close(f->be, r1);

	/* ... and one opened before a delete too */
	assert_int_equal(backend_reader_open(f->be, BKT, "k", &m, &r2), S3E_OK);
	obj_meta_free(&m);
	assert_int_equal(backend_object_delete(f->be, BKT, "k"), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	assert_int_equal(backend_reader_read(f->be, r2, 4, buf, sizeof(buf), &got), S3E_OK);
	assert_int_equal(got, 9);
	assert_memory_equal(buf, "new bytes", 9);
	backend_reader_close(f->be, r2);

	assert_int_equal(backend_object_head(f->be, BKT, "k", &m), S3E_NoSuchKey);
	assert_int_equal(backend_object_delete(f->be, BKT, "k"), S3E_NoSuchKey);
}

/*
 * object_delete_if deletes only the version the caller saw: the lifecycle
 * engine decides from a scan and must not delete an object written since.
 */
static void test_delete_if_unchanged(void **state)
{
	struct fx *f = *state;
	struct obj_meta seen, now;

	assert_int_equal(put(f->be, BKT, "k", "first"), S3E_OK);
	assert_int_equal(backend_object_head(f->be, BKT, "k", &seen), S3E_OK);
	/* A different mtime or ETag is another version: refused, nothing deleted. */
	assert_int_equal(backend_object_delete_if(f->be, BKT, "k", seen.mtime_ms + 1, seen.etag),
			 S3E_PreconditionFailed);
	assert_int_equal(backend_object_delete_if(f->be, BKT, "k", seen.mtime_ms,
						  "ffffffffffffffffffffffffffffffff"),
			 S3E_PreconditionFailed);
	assert_content(f->be, BKT, "k", "first");
	/* Rewritten after the scan (another ETag, as new bytes have): the newer object stays. */
	{
		struct be_writer *w = NULL;

		assert_int_equal(backend_writer_open(f->be, BKT, "k", 6, &w), S3E_OK);
		assert_int_equal(backend_writer_write(f->be, w, "second", 6), S3E_OK);
		meta_for(&now, 6, "00000000000000000000000000000002");
		assert_int_equal(backend_writer_commit(f->be, w, &now), S3E_OK);
	}
	assert_int_equal(backend_object_delete_if(f->be, BKT, "k", seen.mtime_ms, seen.etag),
			 S3E_PreconditionFailed);
	assert_content(f->be, BKT, "k", "second");
	obj_meta_free(&seen);
	/* The version seen is deleted, and its data reclaimed. */
	assert_int_equal(backend_object_head(f->be, BKT, "k", &seen), S3E_OK);
	assert_int_equal(backend_object_delete_if(f->be, BKT, "k", seen.mtime_ms, seen.etag),
			 S3E_OK);
	assert_int_equal(backend_object_head(f->be, BKT, "k", &now), S3E_NoSuchKey);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	assert_int_equal(backend_object_delete_if(f->be, BKT, "k", seen.mtime_ms, seen.etag),
			 S3E_PreconditionFailed);
	obj_meta_free(&seen);
}

static void test_abort(void **state)
{
	struct fx *f = *state;
	struct be_writer *w = NULL;
	struct obj_meta m;

	assert_int_equal(put(f->be, BKT, "keep", "kept"), S3E_OK);
	assert_int_equal(backend_writer_open(f->be, BKT, "gone", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "partial", 7), S3E_OK);
	assert_int_equal(count_files(f->dir, "tmp"), 1);
	backend_writer_abort(f->be, w);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(count_files(f->dir, "objects"), 1);
	assert_int_equal(backend_object_head(f->be, BKT, "gone", &m), S3E_NoSuchKey);

	/* metadata that disagrees with the bytes written: refused, nothing kept */
	assert_int_equal(backend_writer_open(f->be, BKT, "keep", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "abc", 3), S3E_OK);
	meta_for(&m, 4, "x");
	assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_InternalError);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(count_files(f->dir, "objects"), 1);
	assert_content(f->be, BKT, "keep", "kept");
}

static void test_commit_after_bucket_deleted(void **state)
{
	struct fx *f = *state;
	struct bucket_info b = {"short-lived", "o", "", 0};
	struct be_writer *w = NULL;
	struct obj_meta m;

	assert_int_equal(backend_bucket_create(f->be, &b), S3E_OK);
	assert_int_equal(backend_writer_open(f->be, "short-lived", "k", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "abc", 3), S3E_OK);
	assert_int_equal(backend_bucket_delete(f->be, "short-lived"), S3E_OK);
	meta_for(&m, 3, "x");
	assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_NoSuchBucket);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	assert_int_equal(backend_bucket_get(f->be, "short-lived", &b), S3E_NoSuchBucket);
}

static void test_odd_keys(void **state)
{
	struct fx *f = *state;
	char longkey[STRATA_MAX_KEY_LEN + 2];
	const char *keys[] = {"a",
			      "a/b",
			      "a/",
			      "..",
			      "//",
			      ".",
			      "../../etc/passwd",
			      "a b+c%20",
			      "\xc3\xa9t\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac",
			      longkey};
	struct be_writer *w = NULL;
	char want[64];
	size_t i;

	memset(longkey, 'x', STRATA_MAX_KEY_LEN);
	longkey[STRATA_MAX_KEY_LEN] = '\0';
	for (i = 0; i < ARRAY_LEN(keys); i++) {
		snprintf(want, sizeof(want), "content %zu", i);
		assert_int_equal(put(f->be, BKT, keys[i], want), S3E_OK);
	}
	for (i = 0; i < ARRAY_LEN(keys); i++) {
		snprintf(want, sizeof(want), "content %zu", i);
		assert_content(f->be, BKT, keys[i], want);
	}
	assert_int_equal(count_files(f->dir, "objects"), ARRAY_LEN(keys));

	longkey[STRATA_MAX_KEY_LEN] = 'x';
	longkey[STRATA_MAX_KEY_LEN + 1] = '\0';
	assert_int_equal(backend_writer_open(f->be, BKT, longkey, 0, &w), S3E_KeyTooLongError);
	assert_int_equal(backend_writer_open(f->be, BKT, "", 0, &w), S3E_InvalidArgument);
	assert_null(w);
}

/* --- scanning --- */

struct seen {
	char keys[700][32];
	uint64_t sizes[700];
	size_t n, stop_after;
};

static bool collect_key(void *ctx, const char *key, const struct obj_meta *meta)
{
	struct seen *s = ctx;

	assert_true(s->n < ARRAY_LEN(s->keys));
	assert_true(strlen(key) < sizeof(s->keys[0]));
	assert_null(meta->headers);
	memcpy(s->keys[s->n], key, strlen(key) + 1);
	s->sizes[s->n++] = meta->size;
	return s->stop_after == 0 || s->n < s->stop_after;
}

static char *joined(const struct seen *s, char *out, size_t cap)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < s->n; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", s->keys[i]);
	return out;
}

struct scan_case {
	const char *start;
	bool inclusive;
	const char *prefix;
	size_t limit;
	const char *want;
};

static void test_scan(void **state)
{
	static const char *const keys[] = {
	    "z",     "a/b",	   "\xe6\x97\xa5\xe6\x9c\xac", "ab", "a", "\xc3\xa9", "a/c", "b",
	    "a/b/c", "a/\xc3\xa9",
	};
	static const struct scan_case cases[] = {
	    /* byte order of UTF-8: ASCII < é (c3 a9) < 日 (e6 97 a5) */
	    {"", false, "", SIZE_MAX,
	     "a a/b a/b/c a/c a/\xc3\xa9 ab b z \xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"},
	    {"", false, "a/", SIZE_MAX, "a/b a/b/c a/c a/\xc3\xa9"},
	    {"", false, "a", SIZE_MAX, "a a/b a/b/c a/c a/\xc3\xa9 ab"},
	    {"a/b", false, "a/", SIZE_MAX, "a/b/c a/c a/\xc3\xa9"},
	    {"a/b", true, "a/", SIZE_MAX, "a/b a/b/c a/c a/\xc3\xa9"},
	    {"a", false, "", 3, "a/b a/b/c a/c"},
	    {"a", true, "", 1, "a"},
	    {"", false, "", 0, ""},
	    {"0", false, "b", SIZE_MAX, "b"},
	    {"zz", false, "b", SIZE_MAX, ""},
	    {"a/c", true, "a/", 2, "a/c a/\xc3\xa9"},
	    {"a0", true, "", 2, "ab b"},	       /* the successor of "a/" as a listing seek */
	    {"", false, "\xc3", SIZE_MAX, "\xc3\xa9"}, /* a prefix may end mid-character */
	    {"", false, "\xe6\x97\xa5", SIZE_MAX, "\xe6\x97\xa5\xe6\x9c\xac"},
	    {"", false, "a/\xc3\xa9", SIZE_MAX, "a/\xc3\xa9"},
	    {"", false, "zz", SIZE_MAX, ""},
	    {"\xf0", false, "", SIZE_MAX, ""},
	};
	struct fx *f = *state;
	struct seen *s = calloc(1, sizeof(*s));
	char got[512];
	size_t i;

	assert_non_null(s);
	for (i = 0; i < ARRAY_LEN(keys); i++)
		assert_int_equal(put(f->be, BKT, keys[i], keys[i]), S3E_OK);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		const struct scan_case *c = &cases[i];

		memset(s, 0, sizeof(*s));
		assert_int_equal(backend_object_scan(f->be, BKT, c->start, c->inclusive, c->prefix,
						     c->limit, collect_key, s),
				 S3E_OK);
		if (strcmp(joined(s, got, sizeof(got)), c->want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, c->want);
	}
	/* metadata comes along (size = strlen of the key, as written above) */
	memset(s, 0, sizeof(*s));
	assert_int_equal(backend_object_scan(f->be, BKT, "", false, "", SIZE_MAX, collect_key, s),
			 S3E_OK);
	for (i = 0; i < s->n; i++)
		assert_int_equal(s->sizes[i], strlen(s->keys[i]));
	/* the visitor can stop the scan */
	memset(s, 0, sizeof(*s));
	s->stop_after = 2;
	assert_int_equal(backend_object_scan(f->be, BKT, "", false, "", SIZE_MAX, collect_key, s),
			 S3E_OK);
	assert_int_equal(s->n, 2);
	assert_int_equal(backend_object_scan(f->be, "nobucket", "", false, "", 10, collect_key, s),
			 S3E_NoSuchBucket);
	free(s);
}

/* A scan longer than one query's chunk continues where the last chunk ended. */
static void test_scan_chunks(void **state)
{
	struct fx *f = *state;
	struct seen *s = calloc(1, sizeof(*s));
	char key[32];
	size_t i;

	assert_non_null(s);
	for (i = 0; i < 600; i++) {
		snprintf(key, sizeof(key), "k%04zu", 599 - i);
		assert_int_equal(put(f->be, BKT, key, "x"), S3E_OK);
	}
	assert_int_equal(backend_object_scan(f->be, BKT, "", false, "k", SIZE_MAX, collect_key, s),
			 S3E_OK);
	assert_int_equal(s->n, 600);
	for (i = 0; i < 600; i++) {
		snprintf(key, sizeof(key), "k%04zu", i);
		assert_string_equal(s->keys[i], key);
	}
	memset(s, 0, sizeof(*s));
	assert_int_equal(backend_object_scan(f->be, BKT, "k0100", true, "", 300, collect_key, s),
			 S3E_OK);
	assert_int_equal(s->n, 300);
	assert_string_equal(s->keys[0], "k0100");
	assert_string_equal(s->keys[299], "k0399");
	free(s);
}

/* The listing engine over the posix seek primitive. */
struct scan_adapter {
	struct backend *be;
	const char *bucket;
};

static s3err_t adapter_scan(void *sctx, const char *start, bool inclusive, const char *prefix,
			    size_t limit, listing_visit_fn visit, void *vctx)
{
	struct scan_adapter *a = sctx;

	return backend_object_scan(a->be, a->bucket, start, inclusive, prefix, limit, visit, vctx);
}

static void test_listing_over_posix(void **state)
{
	static const char *const keys[] = {
	    "dicom/p1/s1/a.dcm",
	    "dicom/p1/s1/b.dcm",
	    "dicom/p1/s2/a.dcm",
	    "dicom/p2/s1/a.dcm",
	    "dicom/readme",
	    "temp/x",
	    "top",
	};
	struct fx *f = *state;
	struct scan_adapter a = {f->be, BKT};
	struct listing_query q = {"dicom/", "/", "", 2};
	struct listing_result r;
	size_t i;

	for (i = 0; i < ARRAY_LEN(keys); i++)
		assert_int_equal(put(f->be, BKT, keys[i], "x"), S3E_OK);
	assert_int_equal(listing_run(&q, adapter_scan, &a, &r), S3E_OK);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.entries[0].key, "dicom/p1/");
	assert_true(r.entries[0].is_prefix);
	assert_string_equal(r.entries[1].key, "dicom/p2/");
	assert_true(r.truncated);
	assert_string_equal(r.next_marker, "dicom/p2/");
	q.marker = "dicom/p2/";
	listing_result_free(&r);
	assert_int_equal(listing_run(&q, adapter_scan, &a, &r), S3E_OK);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.entries[0].key, "dicom/readme");
	assert_false(r.entries[0].is_prefix);
	assert_int_equal(r.entries[0].meta.size, 1);
	assert_false(r.truncated);
	listing_result_free(&r);
}

/* --- restarts and crashes --- */

static void test_reopen(void **state)
{
	struct fx *f = *state;
	struct bucket_info b;
	struct obj_meta m;

	assert_int_equal(put(f->be, BKT, "a/b", "persisted"), S3E_OK);
	assert_int_equal(put(f->be, BKT, "a", "also"), S3E_OK);
	reopen(f);
	assert_int_equal(backend_bucket_get(f->be, BKT, &b), S3E_OK);
	assert_string_equal(b.owner, "AKIDEXAMPLE");
	assert_content(f->be, BKT, "a/b", "persisted");
	assert_content(f->be, BKT, "a", "also");
	assert_int_equal(backend_object_head(f->be, BKT, "a/b", &m), S3E_OK);
	assert_string_equal(m.etag, "0123456789abcdef0123456789abcdef");
	obj_meta_free(&m);
}

/* P8: open sets 4 MiB aside in index.reserve (so deletes commit on a full disk), and
 * puts it back after it was given up. */
static void test_index_reserve(void **state)
{
	struct fx *f = *state;
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/index.reserve", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 4 * 1024 * 1024);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(put(f->be, BKT, "k", "v"), S3E_OK);
	reopen(f);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 4 * 1024 * 1024);
	assert_content(f->be, BKT, "k", "v");
}

static void test_second_open_refused(void **state)
{
	struct fx *f = *state;
	struct backend *other = NULL;

	assert_int_equal(posix_open_files(f->dir, &other), S3E_InternalError);
	assert_null(other);
}

static void test_leftovers_swept(void **state)
{
	static const char id[] = "0123456789abcdef0123456789abcdef";
	struct fx *f = *state;
	char path[256];
	sqlite3 *db;
	int fd, count = -1;
	sqlite3_stmt *st;

	backend_close(f->be);
	f->be = NULL;
	/* a temporary of a writer that died */
	snprintf(path, sizeof(path), "%s/tmp/deadbeef", f->dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "junk", 4), 4);
	close(fd);
	/* a deletion that committed but crashed before its unlink */
	snprintf(path, sizeof(path), "%s/objects/01/%s", f->dir, id);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/index.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO gc(object_id) "
				      "VALUES('0123456789abcdef0123456789abcdef')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM gc", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	count = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 12); /* schema v12 */
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(count, 0);
}

/* The path of the data file the index names for BKT/key (layout 0). */
static void data_path(const struct fx *f, const char *key, char *path, size_t cap)
{
	char dbpath[256], id[33];
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;

	snprintf(dbpath, sizeof(dbpath), "%s/index.db", f->dir);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT object_id FROM objects WHERE bucket = ?1 "
					    "AND key = ?2 AND layout = 0",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, BKT, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(st, 0), 32);
	memcpy(id, sqlite3_column_text(st, 0), 33);
	sqlite3_finalize(st);
	sqlite3_close(db);
	snprintf(path, cap, "%s/objects/%.2s/%s", f->dir, id, id);
}

static long long frames_of(const struct fx *f, const char *key)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT frames FROM objects WHERE bucket = '%s' AND key = '%s'",
		 BKT, key);
	return index_int(f->dir, sql);
}

static uint64_t file_size(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return (uint64_t)sb.st_size;
}

static void flip_byte(const char *path, uint64_t off)
{
	unsigned char b = 0;
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0x04;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

static uint8_t *bin_data(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7u + seed + (i >> 9));
	return p;
}

/* Reads [off, off + len) through r: S3E_OK only with exactly the expected bytes. */
static s3err_t read_range(struct backend *be, struct be_reader *r, const uint8_t *want,
			  uint64_t size, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);
	size_t got = 12345, expect = off >= size ? 0 : (size - off < len ? size - off : len);
	s3err_t err;

	assert_non_null(buf);
	memset(buf, 0xee, len);
	err = backend_reader_read(be, r, off, buf, len, &got);
	if (err == S3E_OK) {
		assert_int_equal(got, expect);
		if (expect)
			assert_memory_equal(buf, want + off, expect);
	} else {
		assert_int_equal(got, 12345); /* outputs untouched on failure */
	}
	free(buf);
	return err;
}

static void test_framed_storage(void **state)
{
	static const uint64_t sizes[] = {0, 1, F - 1, F, F + 1, 3 * F + 100};
	struct fx *f = *state;
	char key[32], path[512];
	struct be_reader *r = NULL;
	struct obj_meta m;
	size_t k;
	uint64_t off;

	for (k = 0; k < ARRAY_LEN(sizes); k++) {
		uint8_t *data = bin_data(sizes[k], (unsigned)k);

		snprintf(key, sizeof(key), "framed/%zu", k);
		assert_int_equal(put_pieces(f->be, BKT, key, data, sizes[k], 4093), S3E_OK);
		assert_int_equal(frames_of(f, key), 1);
		data_path(f, key, path, sizeof(path));
		assert_int_equal(file_size(path), frames_stored_size(sizes[k]));
		assert_int_equal(backend_reader_open(f->be, BKT, key, &m, &r), S3E_OK);
		assert_int_equal(m.size, sizes[k]);
		assert_int_equal(m.verified_ms, 0);
		/* sequential reads of odd sizes, then ranges across frame boundaries */
		for (off = 0; off < sizes[k]; off += 1000)
			assert_int_equal(read_range(f->be, r, data, sizes[k], off, 1000), S3E_OK);
		if (sizes[k] > F) {
			assert_int_equal(read_range(f->be, r, data, sizes[k], F - 5, 10), S3E_OK);
			assert_int_equal(read_range(f->be, r, data, sizes[k], 0, sizes[k]), S3E_OK);
			assert_int_equal(read_range(f->be, r, data, sizes[k], 2, 2 * F), S3E_OK);
		}
		assert_int_equal(read_range(f->be, r, data, sizes[k], sizes[k], 10), S3E_OK);
		backend_reader_close(f->be, r);
		obj_meta_free(&m);
		free(data);
	}
}

static bool verified_seen(void *ctx, const char *key, const struct obj_meta *meta)
{
	int64_t *v = ctx;

	(void)key;
	*v = meta->verified_ms;
	return false;
}

static void test_verified_ms(void **state)
{
	struct fx *f = *state;
	struct obj_meta m;
	int64_t seen = -1;

	assert_int_equal(put(f->be, BKT, "v", "one"), S3E_OK);
	assert_int_equal(backend_object_head(f->be, BKT, "v", &m), S3E_OK);
	assert_int_equal(m.verified_ms, 0);
	obj_meta_free(&m);
	/* what a scrub records shows in head and scans ... */
	index_exec(f->dir, "UPDATE objects SET verified_ms = 1700000000999 WHERE key = 'v'");
	/* Written behind the backend (LOCK forbids it in use): tell its row cache (O1). */
	posix_ocache_moved(((struct posix_be *)f->be)->ocache);
	assert_int_equal(backend_object_head(f->be, BKT, "v", &m), S3E_OK);
	assert_int_equal(m.verified_ms, 1700000000999);
	obj_meta_free(&m);
	assert_int_equal(backend_object_scan(f->be, BKT, "", true, "", 10, verified_seen, &seen),
			 S3E_OK);
	assert_int_equal(seen, 1700000000999);
	/* ... until new bytes replace the verified ones */
	assert_int_equal(put(f->be, BKT, "v", "two"), S3E_OK);
	assert_int_equal(backend_object_head(f->be, BKT, "v", &m), S3E_OK);
	assert_int_equal(m.verified_ms, 0);
	obj_meta_free(&m);
}

static void test_corrupt_frame(void **state)
{
	const uint64_t size = 3 * F + 100;
	struct fx *f = *state;
	uint8_t *data = bin_data(size, 5);
	struct be_reader *r = NULL;
	struct obj_meta m;
	char path[512];
	uint64_t before;

	assert_int_equal(put_pieces(f->be, BKT, "rot", data, size, 65521), S3E_OK);
	data_path(f, "rot", path, sizeof(path));
	flip_byte(path, STRIDE + 10); /* a data byte of frame 1 */
	before = posix_integrity_failures();

	/* The size is right, so the object opens; frame 1 never reads. */
	assert_int_equal(backend_reader_open(f->be, BKT, "rot", &m, &r), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, 0, 100), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, F + 5, 10), S3E_InternalError);
	assert_int_equal(posix_integrity_failures(), before + 1);
	/* a range that starts in a good frame fails as a whole: no partial bytes */
	assert_int_equal(read_range(f->be, r, data, size, F - 10, 20), S3E_InternalError);
	assert_int_equal(posix_integrity_failures(), before + 2);
	/* untouched frames on either side still read */
	assert_int_equal(read_range(f->be, r, data, size, 2 * F, 100), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, 0, F), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, 3 * F, 100), S3E_OK);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);

	/* A flipped bit in the last frame's tag. */
	flip_byte(path, 3 * STRIDE + 100 + 7);
	assert_int_equal(backend_reader_open(f->be, BKT, "rot", &m, &r), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, 2 * F, F + 100), S3E_InternalError);
	assert_int_equal(read_range(f->be, r, data, size, 2 * F, F), S3E_OK);
	assert_int_equal(posix_integrity_failures(), before + 3);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	free(data);
}

static void test_truncated_file(void **state)
{
	const uint64_t size = 2 * F + 10;
	struct fx *f = *state;
	uint8_t *data = bin_data(size, 6);
	struct be_reader *r = NULL;
	struct obj_meta m;
	char path[512];
	uint64_t before;

	assert_int_equal(put_pieces(f->be, BKT, "cut", data, size, 100000), S3E_OK);
	assert_int_equal(put_pieces(f->be, BKT, "cut-later", data, size, 100000), S3E_OK);
	before = posix_integrity_failures();

	/* cut before open: the stored size gives it away */
	data_path(f, "cut", path, sizeof(path));
	assert_int_equal(truncate(path, (off_t)(frames_stored_size(size) - 1)), 0);
	assert_int_equal(backend_reader_open(f->be, BKT, "cut", &m, &r), S3E_InternalError);
	assert_int_equal(posix_integrity_failures(), before + 1);
	/* appended garbage too */
	assert_int_equal(truncate(path, (off_t)(frames_stored_size(size) + 1)), 0);
	assert_int_equal(backend_reader_open(f->be, BKT, "cut", &m, &r), S3E_InternalError);

	/* cut while a reader has it open: the frames before the cut still read */
	assert_int_equal(backend_reader_open(f->be, BKT, "cut-later", &m, &r), S3E_OK);
	data_path(f, "cut-later", path, sizeof(path));
	assert_int_equal(truncate(path, (off_t)(STRIDE + 5)), 0);
	assert_int_equal(read_range(f->be, r, data, size, 0, 10), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, F + 1, 2), S3E_InternalError);
	assert_int_equal(read_range(f->be, r, data, size, 2 * F, 10), S3E_InternalError);
	assert_true(posix_integrity_failures() >= before + 4);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	free(data);
}

/*
 * A data directory of schema v2 (made by dropping the v3 columns and
 * rewriting an object's file as plain bytes, which is what v2 wrote): the
 * old object still reads after the migration, and new writes are framed.
 */
static void test_legacy_v2_plain(void **state)
{
	const uint64_t size = 2 * F + 7;
	struct fx *f = *state;
	uint8_t *data = bin_data(size, 8);
	struct be_reader *r = NULL;
	struct obj_meta m;
	char path[512];
	int fd;

	assert_int_equal(put_pieces(f->be, BKT, "legacy", data, size, 9999), S3E_OK);
	data_path(f, "legacy", path, sizeof(path));
	backend_close(f->be);
	f->be = NULL;
	index_exec(f->dir, DOWNGRADE_TO_V4 "DROP INDEX objects_by_id; DROP INDEX parts_by_id;"
					   "DROP INDEX object_parts_by_id;"
					   "ALTER TABLE objects DROP COLUMN frames;"
					   "ALTER TABLE objects DROP COLUMN verified_ms;"
					   "ALTER TABLE parts DROP COLUMN frames;"
					   "ALTER TABLE object_parts DROP COLUMN frames;"
					   "PRAGMA user_version = 2;");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	close(fd);

	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 12);
	assert_int_equal(frames_of(f, "legacy"), 0);
	assert_int_equal(backend_reader_open(f->be, BKT, "legacy", &m, &r), S3E_OK);
	assert_int_equal(m.verified_ms, 0);
	assert_int_equal(read_range(f->be, r, data, size, 0, size), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, F - 3, 6), S3E_OK);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	/* a legacy file of the wrong size is still refused */
	assert_int_equal(truncate(path, (off_t)(size - 1)), 0);
	assert_int_equal(backend_reader_open(f->be, BKT, "legacy", &m, &r), S3E_InternalError);

	/* new writes are framed, overwrites of the legacy key too */
	assert_int_equal(put_pieces(f->be, BKT, "fresh", data, size, 4096), S3E_OK);
	assert_int_equal(put_pieces(f->be, BKT, "legacy", data, size, 4096), S3E_OK);
	assert_int_equal(frames_of(f, "fresh"), 1);
	assert_int_equal(frames_of(f, "legacy"), 1);
	data_path(f, "fresh", path, sizeof(path));
	assert_int_equal(file_size(path), frames_stored_size(size));
	assert_int_equal(backend_reader_open(f->be, BKT, "legacy", &m, &r), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, 0, size), S3E_OK);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	reopen(f);
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 12);
	free(data);
}

/* kill -9 after one commit and during a second upload: the first survives, the second leaves
 * nothing. */
static void test_kill_during_upload(void **state)
{
	struct fx *f = *state;
	struct obj_meta m;
	pid_t pid;
	int status = 0;

	backend_close(f->be);
	f->be = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct backend *be = NULL;
		struct be_writer *w = NULL;

		if (posix_open_files(f->dir, &be) != S3E_OK ||
		    put(be, BKT, "durable", "yes") != S3E_OK ||
		    put(be, BKT, "durable", "yes, v2") != S3E_OK ||
		    backend_writer_open(be, BKT, "partial", 0, &w) != S3E_OK ||
		    backend_writer_write(be, w, "half", 4) != S3E_OK)
			_exit(3);
		raise(SIGKILL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	assert_content(f->be, BKT, "durable", "yes, v2");
	assert_int_equal(backend_object_head(f->be, BKT, "partial", &m), S3E_NoSuchKey);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(count_files(f->dir, "objects"), 1);
}

/* --- concurrency --- */

#define THREADS 4
#define PER_THREAD 40

struct worker {
	struct backend *be;
	int id;
	int failures;
};

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	char key[64], val[64], *got;
	int i, round;

	for (round = 0; round < 2; round++)
		for (i = 0; i < PER_THREAD; i++) {
			snprintf(key, sizeof(key), "t%d/k%03d", wk->id, i);
			snprintf(val, sizeof(val), "thread %d key %d round %d", wk->id, i, round);
			if (put(wk->be, BKT, key, val) != S3E_OK) {
				wk->failures++;
				continue;
			}
			got = NULL;
			if (get(wk->be, BKT, key, &got) != S3E_OK || strcmp(got, val) != 0)
				wk->failures++;
			free(got);
		}
	return NULL;
}

static void test_concurrency(void **state)
{
	struct fx *f = *state;
	struct worker wk[THREADS];
	pthread_t th[THREADS];
	struct seen *s = calloc(1, sizeof(*s));
	uint64_t n = 0;
	int i;

	assert_non_null(s);
	for (i = 0; i < THREADS; i++) {
		wk[i] = (struct worker){f->be, i, 0};
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &wk[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(wk[i].failures, 0);
	}
	assert_int_equal(backend_bucket_count(f->be, BKT, UINT64_MAX, &n), S3E_OK);
	assert_int_equal(n, THREADS * PER_THREAD);
	assert_int_equal(
	    backend_object_scan(f->be, BKT, "", false, "t2/", SIZE_MAX, collect_key, s), S3E_OK);
	assert_int_equal(s->n, PER_THREAD);
	assert_int_equal(count_files(f->dir, "objects"), THREADS * PER_THREAD);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	free(s);
}

/*
 * W1 and W2 under load: threads overwrite the same few keys at once, so that
 * replaced files are left to whichever writer is in. When all have
 * returned, no file of a replaced version is left, no gc row either, and
 * each key holds one of its writers' values.
 */
#define STORM_THREADS 8
#define STORM_KEYS 3
#define STORM_ROUNDS 30

static void *storm_main(void *arg)
{
	struct worker *wk = arg;
	char key[32], val[64];
	int i;

	for (i = 0; i < STORM_ROUNDS; i++) {
		snprintf(key, sizeof(key), "storm-%d", i % STORM_KEYS);
		snprintf(val, sizeof(val), "thread %d round %d", wk->id, i);
		if (put(wk->be, BKT, key, val) != S3E_OK)
			wk->failures++;
	}
	return NULL;
}

static void test_overwrite_storm(void **state)
{
	struct fx *f = *state;
	struct worker wk[STORM_THREADS];
	pthread_t th[STORM_THREADS];
	char key[32], *got;
	int i;

	for (i = 0; i < STORM_THREADS; i++) {
		wk[i] = (struct worker){f->be, i, 0};
		assert_int_equal(pthread_create(&th[i], NULL, storm_main, &wk[i]), 0);
	}
	for (i = 0; i < STORM_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(wk[i].failures, 0);
	}
	for (i = 0; i < STORM_KEYS; i++) {
		snprintf(key, sizeof(key), "storm-%d", i);
		got = NULL;
		assert_int_equal(get(f->be, BKT, key, &got), S3E_OK);
		assert_non_null(strstr(got, "thread "));
		free(got);
	}
	assert_int_equal(count_files(f->dir, "objects"), STORM_KEYS);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
}

/* --- server-side encryption: sealed objects (F5..F7) --- */

/* 32 bytes that occur in the test data: must never be found in a sealed file. */
static const char marker[] = "STRATA-PLAINTEXT-MARKER-32-BYTES";
static const uint8_t key_a[SSE_KEY_SIZE] = "0123456789abcdef0123456789ABCDEF";
static const uint8_t key_b[SSE_KEY_SIZE] = "0123456789abcdef0123456789ABCDEf";

/* Fills m's sse fields: mode, key id ("" for SSE-C), an envelope made of `seed`. */
static void sse_meta(struct obj_meta *m, int mode, const char *key_id, uint8_t seed)
{
	size_t i;

	m->sse_mode = mode;
	snprintf(m->sse_key_id, sizeof(m->sse_key_id), "%s", key_id);
	m->sse_envelope_len = mode == SSE_C ? 48 : 60;
	for (i = 0; i < m->sse_envelope_len; i++)
		m->sse_envelope[i] = (uint8_t)(seed + 3 * i);
}

/* PUTs data sealed under dkey with the given sse fields. */
static s3err_t put_sealed(struct backend *be, const char *key, const void *data, size_t len,
			  const uint8_t *dkey, int mode, const char *key_id, uint8_t seed)
{
	struct be_writer *w = NULL;
	struct obj_meta m;
	size_t off;
	s3err_t err;

	err = backend_writer_open(be, BKT, key, len, &w);
	if (err != S3E_OK)
		return err;
	err = backend_writer_seal(be, w, dkey);
	for (off = 0; err == S3E_OK && off < len; off += 5000)
		err = backend_writer_write(be, w, (const char *)data + off,
					   len - off < 5000 ? len - off : 5000);
	if (err != S3E_OK) {
		backend_writer_abort(be, w);
		return err;
	}
	meta_for(&m, len, "0123456789abcdef0123456789abcdef");
	sse_meta(&m, mode, key_id, seed);
	return backend_writer_commit(be, w, &m);
}

/* Test data of size bytes with the marker at each of offs. */
static uint8_t *marked_data(size_t size, const uint64_t *offs, size_t n)
{
	uint8_t *d = bin_data(size, 11);
	size_t i;

	for (i = 0; i < n; i++)
		memcpy(d + offs[i], marker, 32);
	return d;
}

/* true when the file at path contains the 32-byte marker. */
static bool file_has_marker(const char *path)
{
	uint64_t size = file_size(path);
	uint8_t *buf = malloc(size ? size : 1);
	bool found;
	int fd = open(path, O_RDONLY);

	assert_non_null(buf);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, size, 0), (ssize_t)size);
	close(fd);
	found = memmem(buf, size, marker, 32) != NULL;
	free(buf);
	return found;
}

static void test_sealed_object(void **state)
{
	const uint64_t size = 3 * F + 100, offs[] = {10, F - 16, 2 * F + 3};
	struct fx *f = *state;
	uint8_t *data = marked_data(size, offs, ARRAY_LEN(offs));
	struct be_reader *r = NULL;
	struct obj_meta m, want;
	uint64_t before;
	char path[512];

	/* The same bytes unsealed: the marker is plainly on disk, so the check below can fail. */
	assert_int_equal(put_pieces(f->be, BKT, "plain", data, size, 7000), S3E_OK);
	data_path(f, "plain", path, sizeof(path));
	assert_true(file_has_marker(path));

	assert_int_equal(put_sealed(f->be, "sealed", data, size, key_a, SSE_S3, "k1", 7), S3E_OK);
	data_path(f, "sealed", path, sizeof(path));
	assert_false(file_has_marker(path));
	assert_int_equal(file_size(path), frames_stored_size(size));
	assert_int_equal(frames_of(f, "sealed"), 1);

	/* head returns the sse fields as committed */
	obj_meta_init(&want);
	sse_meta(&want, SSE_S3, "k1", 7);
	assert_int_equal(backend_object_head(f->be, BKT, "sealed", &m), S3E_OK);
	assert_int_equal(m.sse_mode, SSE_S3);
	assert_string_equal(m.sse_key_id, "k1");
	assert_int_equal(m.sse_envelope_len, 60);
	assert_memory_equal(m.sse_envelope, want.sse_envelope, 60);
	obj_meta_free(&m);

	/* without the key nothing reads, and that is no integrity failure */
	before = posix_integrity_failures();
	assert_int_equal(backend_reader_open(f->be, BKT, "sealed", &m, &r), S3E_OK);
	assert_int_equal(m.sse_mode, SSE_S3);
	assert_int_equal(read_range(f->be, r, data, size, 0, 10), S3E_InternalError);
	assert_int_equal(posix_integrity_failures(), before);
	/* with it: whole, sequential and across frame boundaries */
	assert_int_equal(backend_reader_unseal(f->be, r, key_a), S3E_OK);
	assert_int_equal(backend_reader_unseal(f->be, r, key_a), S3E_InternalError); /* once */
	assert_int_equal(read_range(f->be, r, data, size, 0, size), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, F - 20, 40), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, 2, 2 * F + 50), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, 3 * F - 1, 200), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, size, 10), S3E_OK);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);

	/* a wrong key reads as corruption */
	assert_int_equal(backend_reader_open(f->be, BKT, "sealed", &m, &r), S3E_OK);
	assert_int_equal(backend_reader_unseal(f->be, r, key_b), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, F + 1, 10), S3E_InternalError);
	assert_int_equal(posix_integrity_failures(), before + 1);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);

	/* one flipped ciphertext byte in frame 1: frame 1 fails, frame 0 and 2 still read */
	flip_byte(path, STRIDE + 77);
	assert_int_equal(backend_reader_open(f->be, BKT, "sealed", &m, &r), S3E_OK);
	assert_int_equal(backend_reader_unseal(f->be, r, key_a), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, 0, F), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, F + 500, 1), S3E_InternalError);
	assert_int_equal(posix_integrity_failures(), before + 2);
	assert_int_equal(read_range(f->be, r, data, size, F - 1, 2), S3E_InternalError);
	assert_int_equal(posix_integrity_failures(), before + 3);
	assert_int_equal(read_range(f->be, r, data, size, 2 * F, F + 100), S3E_OK);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	free(data);
}

/* Sizes at the frame edges, SSE-C, and an empty sealed object. */
static void test_sealed_sizes(void **state)
{
	static const uint64_t sizes[] = {0, 1, F - 1, F, F + 1};
	struct fx *f = *state;
	struct be_reader *r = NULL;
	char key[32], path[512];
	struct obj_meta m;
	size_t k;

	for (k = 0; k < ARRAY_LEN(sizes); k++) {
		uint8_t *data = bin_data(sizes[k], (unsigned)k);

		snprintf(key, sizeof(key), "ssec/%zu", k);
		assert_int_equal(put_sealed(f->be, key, data, sizes[k], key_b, SSE_C, "", 1),
				 S3E_OK);
		data_path(f, key, path, sizeof(path));
		assert_int_equal(file_size(path), frames_stored_size(sizes[k]));
		assert_int_equal(backend_reader_open(f->be, BKT, key, &m, &r), S3E_OK);
		assert_int_equal(m.sse_mode, SSE_C);
		assert_string_equal(m.sse_key_id, "");
		assert_int_equal(m.sse_envelope_len, 48);
		assert_int_equal(backend_reader_unseal(f->be, r, key_b), S3E_OK);
		assert_int_equal(read_range(f->be, r, data, sizes[k], 0, sizes[k] + 1), S3E_OK);
		backend_reader_close(f->be, r);
		obj_meta_free(&m);
		free(data);
	}
}

/* Sealing and committing must agree (F5); misuse is refused, nothing left behind. */
static void test_seal_misuse(void **state)
{
	struct fx *f = *state;
	struct be_writer *w = NULL;
	struct obj_meta m;

	/* seal after a write */
	assert_int_equal(backend_writer_open(f->be, BKT, "k", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "abc", 3), S3E_OK);
	assert_int_equal(backend_writer_seal(f->be, w, key_a), S3E_InternalError);
	backend_writer_abort(f->be, w);
	/* sealed twice */
	assert_int_equal(backend_writer_open(f->be, BKT, "k", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_seal(f->be, w, key_a), S3E_OK);
	assert_int_equal(backend_writer_seal(f->be, w, key_a), S3E_InternalError);
	backend_writer_abort(f->be, w);
	/* a sealed writer committed as unencrypted */
	assert_int_equal(backend_writer_open(f->be, BKT, "k", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_seal(f->be, w, key_a), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "abc", 3), S3E_OK);
	meta_for(&m, 3, "e");
	assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_InternalError);
	/* a plain writer committed as encrypted */
	assert_int_equal(backend_writer_open(f->be, BKT, "k", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "abc", 3), S3E_OK);
	sse_meta(&m, SSE_S3, "k1", 1);
	assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_InternalError);
	/* SSE-S3 without a master key id; an unknown mode */
	assert_int_equal(backend_writer_open(f->be, BKT, "k", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_seal(f->be, w, key_a), S3E_OK);
	sse_meta(&m, SSE_S3, "", 1);
	m.size = 0;
	assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_InternalError);
	assert_int_equal(backend_writer_open(f->be, BKT, "k", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_seal(f->be, w, key_a), S3E_OK);
	sse_meta(&m, 3, "k1", 1);
	assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_InternalError);

	assert_int_equal(backend_object_head(f->be, BKT, "k", &m), S3E_NoSuchKey);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
}

/* posix_opts.plain_writes never applies to sealed data (F5). */
static void test_sealed_ignores_plain_writes(void **state)
{
	const uint64_t size = 2 * F + 9, offs[] = {100};
	struct fx *f = *state;
	uint8_t *data = marked_data(size, offs, 1);
	struct be_reader *r = NULL;
	struct obj_meta m;
	char path[512];

	backend_close(f->be);
	f->be = NULL;
	assert_int_equal(
	    posix_open_opts(f->dir, &(struct posix_opts){.plain_writes = true}, &f->be), S3E_OK);
	assert_int_equal(put_pieces(f->be, BKT, "plain", data, size, 4096), S3E_OK);
	data_path(f, "plain", path, sizeof(path));
	assert_int_equal(file_size(path), size); /* plain_writes took effect */
	assert_int_equal(frames_of(f, "plain"), 0);

	assert_int_equal(put_sealed(f->be, "sealed", data, size, key_a, SSE_S3, "k1", 2), S3E_OK);
	data_path(f, "sealed", path, sizeof(path));
	assert_int_equal(file_size(path), frames_stored_size(size));
	assert_int_equal(frames_of(f, "sealed"), 1);
	assert_false(file_has_marker(path));
	assert_int_equal(backend_reader_open(f->be, BKT, "sealed", &m, &r), S3E_OK);
	assert_int_equal(backend_reader_unseal(f->be, r, key_a), S3E_OK);
	assert_int_equal(read_range(f->be, r, data, size, 0, size), S3E_OK);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	free(data);
}

/* --- key rotation (F8) --- */

#define ROT_OLD 600
#define ROT_NEW 2

struct rot {
	unsigned calls, fail_after; /* fail_after 0: never */
};

/* A stand-in for keyring rewrapping: the envelope with byte 0 flipped, filed under "new". */
static s3err_t rot_fn(void *ctx, const char *key_id, const uint8_t *env, size_t len,
		      char new_id[STRATA_SSE_KEY_ID_MAX], uint8_t new_env[STRATA_SSE_ENVELOPE_MAX],
		      size_t *new_len)
{
	struct rot *rt = ctx;

	assert_string_equal(key_id, "old");
	assert_int_equal(len, 60);
	if (rt->fail_after && rt->calls >= rt->fail_after)
		return S3E_InternalError;
	rt->calls++;
	memcpy(new_env, env, len);
	new_env[0] ^= 0x5a;
	*new_len = len;
	snprintf(new_id, STRATA_SSE_KEY_ID_MAX, "new");
	return S3E_OK;
}

struct usage {
	char id[4][STRATA_SSE_KEY_ID_MAX];
	uint64_t count[4];
	size_t env_len[4];
	size_t n, stop_after;
};

static bool usage_visit(void *ctx, const char *key_id, uint64_t count, const uint8_t *env,
			size_t len)
{
	struct usage *u = ctx;

	(void)env;
	assert_true(u->n < 4);
	snprintf(u->id[u->n], sizeof(u->id[0]), "%s", key_id);
	u->count[u->n] = count;
	u->env_len[u->n] = len;
	u->n++;
	return u->stop_after == 0 || u->n < u->stop_after;
}

/*
 * 600 SSE-S3 rows under "old" (two written through the backend, the rest
 * cloned in the index: rotation never reads data) and 2 under "new", plus
 * an SSE-C and a plain object that rotation must leave alone. The original
 * envelopes are kept in a side table `orig` of the index.
 */
static void rot_populate(struct fx *f)
{
	char sql[1024];

	assert_int_equal(put_sealed(f->be, "o/000", "x", 1, key_a, SSE_S3, "old", 1), S3E_OK);
	assert_int_equal(put_sealed(f->be, "o/001", "y", 1, key_a, SSE_S3, "old", 2), S3E_OK);
	assert_int_equal(put_sealed(f->be, "n/0", "z", 1, key_a, SSE_S3, "new", 3), S3E_OK);
	assert_int_equal(put_sealed(f->be, "n/1", "z", 1, key_a, SSE_S3, "new", 4), S3E_OK);
	assert_int_equal(put_sealed(f->be, "c/0", "z", 1, key_a, SSE_C, "", 5), S3E_OK);
	assert_int_equal(put(f->be, BKT, "p/0", "plain"), S3E_OK);
	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
		 "INSERT INTO objects(bucket, key, object_id, size, mtime_ms, etag, sha256, "
		 "checksum_algo, checksum_b64, storage_class, headers, layout, checksum_type, "
		 "parts_count, frames, verified_ms, sse_mode, sse_key_id, sse_envelope) "
		 "SELECT bucket, printf('o/%%03d', i), lower(hex(randomblob(16))), size, mtime_ms, "
		 "etag, sha256, checksum_algo, checksum_b64, storage_class, headers, layout, "
		 "checksum_type, parts_count, frames, verified_ms, sse_mode, sse_key_id, "
		 "randomblob(60) FROM objects, n WHERE key = 'o/000';"
		 "CREATE TABLE orig AS SELECT key, sse_envelope AS env FROM objects;",
		 ROT_OLD - 1);
	index_exec(f->dir, sql);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM objects WHERE sse_key_id = 'old'"),
			 ROT_OLD);
}

/* Every SSE-S3 row is under "new", and each one was rotated exactly once (byte 0 flipped once). */
static void rot_check(struct fx *f)
{
	struct usage u = {0};
	char path[256];
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int rows = 0;

	snprintf(path, sizeof(path), "%s/index.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT o.sse_key_id, o.sse_envelope, orig.env FROM "
					    "objects o JOIN orig USING (key) WHERE key LIKE 'o/%'",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const uint8_t *now = sqlite3_column_blob(st, 1), *was = sqlite3_column_blob(st, 2);

		assert_string_equal((const char *)sqlite3_column_text(st, 0), "new");
		assert_int_equal(sqlite3_column_bytes(st, 1), 60);
		assert_int_equal(sqlite3_column_bytes(st, 2), 60);
		assert_int_equal(now[0], was[0] ^ 0x5a); /* twice would have restored it */
		assert_memory_equal(now + 1, was + 1, 59);
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(rows, ROT_OLD);
	/* the others are untouched */
	assert_int_equal(index_int(f->dir,
				   "SELECT count(*) FROM objects o JOIN orig USING (key) "
				   "WHERE key NOT LIKE 'o/%' AND o.sse_envelope IS orig.env"),
			 4);
	assert_int_equal(backend_sse_key_usage(f->be, usage_visit, &u), S3E_OK);
	assert_int_equal(u.n, 1);
	assert_string_equal(u.id[0], "new");
	assert_int_equal(u.count[0], ROT_OLD + ROT_NEW);
	assert_int_equal(u.env_len[0], 60);
}

static void test_sse_rewrap(void **state)
{
	struct fx *f = *state;
	struct rot rt = {0, 0};
	struct usage u = {0};
	uint64_t count = 0;

	rot_populate(f);
	assert_int_equal(backend_sse_key_usage(f->be, usage_visit, &u), S3E_OK);
	assert_int_equal(u.n, 2); /* in id order; SSE-C and plain rows name no master key */
	assert_string_equal(u.id[0], "new");
	assert_int_equal(u.count[0], ROT_NEW);
	assert_string_equal(u.id[1], "old");
	assert_int_equal(u.count[1], ROT_OLD);
	memset(&u, 0, sizeof(u));
	u.stop_after = 1;
	assert_int_equal(backend_sse_key_usage(f->be, usage_visit, &u), S3E_OK);
	assert_int_equal(u.n, 1);

	assert_int_equal(backend_sse_rewrap(f->be, "new", rot_fn, &rt, &count), S3E_OK);
	assert_int_equal(count, ROT_OLD);
	assert_int_equal(rt.calls, ROT_OLD);
	rot_check(f);
	/* nothing left: a second run does nothing */
	count = 0;
	assert_int_equal(backend_sse_rewrap(f->be, "new", rot_fn, &rt, &count), S3E_OK);
	assert_int_equal(count, 0);
	/* data files were not touched: a rotated object still reads with its data key */
	{
		struct be_reader *r = NULL;
		struct obj_meta m;
		size_t n = 0;
		char c = 0;

		assert_int_equal(backend_reader_open(f->be, BKT, "o/001", &m, &r), S3E_OK);
		assert_string_equal(m.sse_key_id, "new");
		assert_int_equal(backend_reader_unseal(f->be, r, key_a), S3E_OK);
		assert_int_equal(backend_reader_read(f->be, r, 0, &c, 1, &n), S3E_OK);
		assert_int_equal(n, 1);
		assert_int_equal(c, 'y');
		backend_reader_close(f->be, r);
		obj_meta_free(&m);
	}
	assert_content(f->be, BKT, "p/0", "plain");
}

/* An interrupted rotation resumes: the total is right and no envelope is rewrapped twice. */
static void test_sse_rewrap_resumes(void **state)
{
	struct fx *f = *state;
	struct rot rt = {0, 300};
	uint64_t count = 0, total = 0;

	rot_populate(f);
	assert_int_equal(backend_sse_rewrap(f->be, "new", rot_fn, &rt, &count), S3E_InternalError);
	/* what succeeded before the failure is kept (one batch and part of the next) */
	assert_int_equal(count, 300);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM objects WHERE sse_key_id = 'old'"),
			 ROT_OLD - 300);
	total += count;
	count = 0;
	rt.fail_after = 0;
	reopen(f); /* as after a restart */
	assert_int_equal(backend_sse_rewrap(f->be, "new", rot_fn, &rt, &count), S3E_OK);
	total += count;
	assert_int_equal(total, ROT_OLD);
	assert_int_equal(rt.calls, ROT_OLD);
	rot_check(f);
}

/* A rewrap that would file an envelope under another id than the target is refused. */
static s3err_t rot_wrong_id(void *ctx, const char *key_id, const uint8_t *env, size_t len,
			    char new_id[STRATA_SSE_KEY_ID_MAX],
			    uint8_t new_env[STRATA_SSE_ENVELOPE_MAX], size_t *new_len)
{
	(void)ctx;
	(void)key_id;
	memcpy(new_env, env, len);
	*new_len = len;
	snprintf(new_id, STRATA_SSE_KEY_ID_MAX, "other");
	return S3E_OK;
}

/* Files every envelope under the id ctx names, unchanged. */
static s3err_t rot_to(void *ctx, const char *key_id, const uint8_t *env, size_t len,
		      char new_id[STRATA_SSE_KEY_ID_MAX], uint8_t new_env[STRATA_SSE_ENVELOPE_MAX],
		      size_t *new_len)
{
	(void)key_id;
	memcpy(new_env, env, len);
	*new_len = len;
	snprintf(new_id, STRATA_SSE_KEY_ID_MAX, "%s", (const char *)ctx);
	return S3E_OK;
}

/* Targets that sort below, between and above the ids in use; a fn that misfiles is refused. */
static void test_sse_rewrap_targets(void **state)
{
	static const char *const targets[] = {"a", "m", "z"};
	struct fx *f = *state;
	uint64_t count = 0;
	size_t i;

	assert_int_equal(put_sealed(f->be, "o1", "x", 1, key_a, SSE_S3, "c", 1), S3E_OK);
	assert_int_equal(put_sealed(f->be, "o2", "x", 1, key_a, SSE_S3, "p", 2), S3E_OK);
	assert_int_equal(put_sealed(f->be, "o3", "x", 1, key_a, SSE_S3, "m", 3), S3E_OK);
	for (i = 0; i < ARRAY_LEN(targets); i++) {
		char sql[128];

		count = 0;
		assert_int_equal(
		    backend_sse_rewrap(f->be, targets[i], rot_to, (void *)targets[i], &count),
		    S3E_OK);
		assert_int_equal(count, i == 1 ? 2 : 3); /* "m" already holds o3 */
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM objects WHERE sse_key_id = '%s'",
			 targets[i]);
		assert_int_equal(index_int(f->dir, sql), 3);
		/* back to mixed ids for the next target */
		index_exec(f->dir, "UPDATE objects SET sse_key_id = 'c' WHERE key = 'o1';"
				   "UPDATE objects SET sse_key_id = 'p' WHERE key = 'o2';"
				   "UPDATE objects SET sse_key_id = 'm' WHERE key = 'o3';");
	}
	count = 0;
	assert_int_equal(backend_sse_rewrap(f->be, "new", rot_wrong_id, NULL, &count),
			 S3E_InternalError);
	assert_int_equal(count, 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM objects WHERE sse_key_id = 'c'"),
			 1);
}

/* --- schema v4 -> v5 --- */

static void test_migrate_v4(void **state)
{
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX];
	struct upload_info u;
	struct obj_meta m;
	bool found = true;
	char buf[16];
	size_t len = 99;

	assert_int_equal(put(f->be, BKT, "old", "from v4"), S3E_OK);
	obj_meta_init(&m);
	assert_int_equal(backend_upload_create(f->be, BKT, "up", &m, upload), S3E_OK);
	backend_close(f->be);
	f->be = NULL;
	index_exec(f->dir, DOWNGRADE_TO_V4);
	assert_int_equal(
	    index_int(f->dir, "SELECT count(*) FROM pragma_table_info('objects') WHERE name LIKE "
			      "'sse%'"),
	    0);

	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 12);
	assert_int_equal(
	    index_int(f->dir, "SELECT count(*) FROM sqlite_schema WHERE name IN ('bucket_configs', "
			      "'objects_by_sse_key', 'uploads_by_sse_key')"),
	    3);
	/* old rows read as unencrypted */
	assert_int_equal(backend_object_head(f->be, BKT, "old", &m), S3E_OK);
	assert_int_equal(m.sse_mode, SSE_NONE);
	assert_string_equal(m.sse_key_id, "");
	assert_int_equal(m.sse_envelope_len, 0);
	obj_meta_free(&m);
	assert_content(f->be, BKT, "old", "from v4");
	assert_int_equal(backend_upload_get(f->be, BKT, upload, &u), S3E_OK);
	assert_int_equal(u.meta.sse_mode, SSE_NONE);
	obj_meta_free(&u.meta);
	/* and the new features work on the migrated index */
	assert_int_equal(
	    backend_bucket_config_get(f->be, BKT, "encryption", buf, sizeof(buf), &len, &found),
	    S3E_OK);
	assert_false(found);
	assert_int_equal(put_sealed(f->be, "new", "abc", 3, key_a, SSE_S3, "k1", 1), S3E_OK);
	reopen(f);
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 12);
}

/* --- bucket configuration documents --- */

static void test_bucket_configs(void **state)
{
	static const char doc1[] = "<ServerSideEncryptionConfiguration>AES256</...>";
	static const char doc2[] = "<x/>";
	struct fx *f = *state;
	struct bucket_info b = {"other", "AKIDEXAMPLE", "", 1};
	char buf[128];
	size_t len = 0;
	bool found = true;
	char *big;

	/* absent */
	assert_int_equal(
	    backend_bucket_config_get(f->be, BKT, "encryption", buf, sizeof(buf), &len, &found),
	    S3E_OK);
	assert_false(found);
	assert_int_equal(backend_bucket_config_delete(f->be, BKT, "encryption"), S3E_OK);
	/* round trip, replace */
	assert_int_equal(
	    backend_bucket_config_put(f->be, BKT, "encryption", doc1, sizeof(doc1) - 1), S3E_OK);
	assert_int_equal(
	    backend_bucket_config_get(f->be, BKT, "encryption", buf, sizeof(buf), &len, &found),
	    S3E_OK);
	assert_true(found);
	assert_int_equal(len, sizeof(doc1) - 1);
	assert_memory_equal(buf, doc1, len);
	assert_int_equal(
	    backend_bucket_config_put(f->be, BKT, "encryption", doc2, sizeof(doc2) - 1), S3E_OK);
	assert_int_equal(backend_bucket_config_put(f->be, BKT, "lifecycle", doc1, 5), S3E_OK);
	assert_int_equal(
	    backend_bucket_config_get(f->be, BKT, "encryption", buf, sizeof(buf), &len, &found),
	    S3E_OK);
	assert_int_equal(len, sizeof(doc2) - 1);
	assert_memory_equal(buf, doc2, len);
	/* an empty document is a document */
	assert_int_equal(backend_bucket_config_put(f->be, BKT, "empty", "", 0), S3E_OK);
	found = false;
	len = 99;
	assert_int_equal(
	    backend_bucket_config_get(f->be, BKT, "empty", buf, sizeof(buf), &len, &found), S3E_OK);
	assert_true(found);
	assert_int_equal(len, 0);
	/* too small a buffer: an error, outputs untouched */
	len = 77;
	found = false;
	assert_int_equal(backend_bucket_config_get(f->be, BKT, "lifecycle", buf, 4, &len, &found),
			 S3E_InternalError);
	assert_int_equal(len, 77);
	assert_false(found);
	assert_int_equal(backend_bucket_config_get(f->be, BKT, "lifecycle", buf, 5, &len, &found),
			 S3E_OK);
	assert_int_equal(len, 5);
	/* oversized documents are refused */
	big = calloc(1, STRATA_MAX_BUCKET_CONFIG + 1);
	assert_non_null(big);
	assert_int_equal(
	    backend_bucket_config_put(f->be, BKT, "big", big, STRATA_MAX_BUCKET_CONFIG + 1),
	    S3E_InternalError);
	assert_int_equal(
	    backend_bucket_config_put(f->be, BKT, "big", big, STRATA_MAX_BUCKET_CONFIG), S3E_OK);
	free(big);
	/* delete one: the others stay */
	assert_int_equal(backend_bucket_config_delete(f->be, BKT, "encryption"), S3E_OK);
	assert_int_equal(
	    backend_bucket_config_get(f->be, BKT, "encryption", buf, sizeof(buf), &len, &found),
	    S3E_OK);
	assert_false(found);
	assert_int_equal(
	    backend_bucket_config_get(f->be, BKT, "lifecycle", buf, sizeof(buf), &len, &found),
	    S3E_OK);
	assert_true(found);
	/* documents are per bucket */
	assert_int_equal(backend_bucket_create(f->be, &b), S3E_OK);
	assert_int_equal(
	    backend_bucket_config_get(f->be, "other", "lifecycle", buf, sizeof(buf), &len, &found),
	    S3E_OK);
	assert_false(found);
	/* no bucket */
	assert_int_equal(
	    backend_bucket_config_get(f->be, "nope", "lifecycle", buf, sizeof(buf), &len, &found),
	    S3E_NoSuchBucket);
	assert_int_equal(backend_bucket_config_put(f->be, "nope", "lifecycle", "x", 1),
			 S3E_NoSuchBucket);
	assert_int_equal(backend_bucket_config_delete(f->be, "nope", "lifecycle"),
			 S3E_NoSuchBucket);
	/* deleting the bucket drops its documents: a re-created bucket starts bare */
	assert_int_equal(backend_bucket_delete(f->be, BKT), S3E_OK);
	assert_int_equal(
	    backend_bucket_config_get(f->be, BKT, "lifecycle", buf, sizeof(buf), &len, &found),
	    S3E_NoSuchBucket);
	b = (struct bucket_info){BKT, "AKIDEXAMPLE", "", 2};
	assert_int_equal(backend_bucket_create(f->be, &b), S3E_OK);
	assert_int_equal(
	    backend_bucket_config_get(f->be, BKT, "lifecycle", buf, sizeof(buf), &len, &found),
	    S3E_OK);
	assert_false(found);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM bucket_configs"), 0);
	/* a document survives a restart */
	assert_int_equal(backend_bucket_config_put(f->be, BKT, "encryption", doc1, 3), S3E_OK);
	reopen(f);
	assert_int_equal(
	    backend_bucket_config_get(f->be, BKT, "encryption", buf, sizeof(buf), &len, &found),
	    S3E_OK);
	assert_true(found);
	assert_int_equal(len, 3);
}

/* --- storage tiers (T1..T6) --- */

#define TIER_DKEY "tier test data key, 32 bytes.!!"

/* The temporary root of f: its data directory and the tier directories are below it. */
static void root_of(const struct fx *f, char *out, size_t cap)
{
	char *slash;

	snprintf(out, cap, "%s", f->dir);
	slash = strstr(out, "/data/x");
	assert_non_null(slash);
	*slash = '\0';
}

/* Reopens f's backend with the first n test tiers (fixture_tiers_init) and f->keys. */
static void open_tiers(struct fx *f, size_t n)
{
	char root[64];

	backend_close(f->be);
	f->be = NULL;
	root_of(f, root, sizeof(root));
	fixture_tiers_init(&f->tiers, root, n, f->keys);
	assert_int_equal(posix_open_opts(f->dir, &f->tiers.opts, &f->be), S3E_OK);
}

/* Creates a keyring in the root of f (f->keys) for open_tiers to hand to the backend. */
static void make_keys(struct fx *f)
{
	char root[64], path[128], why[256];

	root_of(f, root, sizeof(root));
	snprintf(path, sizeof(path), "%s/keys", root);
	assert_int_equal(keyring_create(path, why, sizeof(why)), S3E_OK);
	assert_int_equal(keyring_load(path, &f->keys, why, sizeof(why)), S3E_OK);
}

/*
 * PUTs data at key with its true SHA-256, placed in class cls (NULL: not
 * placed) and, with dkey, sealed (before or after placing) with sse's
 * fields. The error of the first step that fails.
 */
static s3err_t put_in(struct backend *be, const char *key, const void *data, size_t len,
		      const char *cls, const struct obj_meta *sse, const uint8_t *dkey,
		      bool seal_first)
{
	struct be_writer *w = NULL;
	struct obj_meta m;
	s3err_t err = S3E_OK;
	size_t off;

	assert_int_equal(backend_writer_open(be, BKT, key, len, &w), S3E_OK);
	if (dkey && seal_first)
		err = backend_writer_seal(be, w, dkey);
	if (err == S3E_OK && cls)
		err = backend_writer_place(be, w, cls);
	if (err == S3E_OK && dkey && !seal_first)
		err = backend_writer_seal(be, w, dkey);
	for (off = 0; err == S3E_OK && off < len; off += 7000)
		err = backend_writer_write(be, w, (const char *)data + off,
					   len - off < 7000 ? len - off : 7000);
	if (err != S3E_OK) {
		backend_writer_abort(be, w);
		return err;
	}
	meta_for(&m, len, "0123456789abcdef0123456789abcdef");
	fixture_sha256(data, len, m.sha256_hex);
	snprintf(m.storage_class, sizeof(m.storage_class), "%s", cls ? cls : "");
	if (sse) {
		m.sse_mode = sse->sse_mode;
		memcpy(m.sse_key_id, sse->sse_key_id, sizeof(m.sse_key_id));
		memcpy(m.sse_envelope, sse->sse_envelope, sizeof(m.sse_envelope));
		m.sse_envelope_len = sse->sse_envelope_len;
	}
	return backend_writer_commit(be, w, &m);
}

/* key reads back as exactly data[0..len) (with dkey for a sealed object). */
static void assert_bytes(struct backend *be, const char *key, const uint8_t *data, size_t len,
			 const uint8_t *dkey)
{
	struct be_reader *r = NULL;
	struct obj_meta m;

	assert_int_equal(backend_reader_open(be, BKT, key, &m, &r), S3E_OK);
	assert_true(m.size == len);
	if (dkey)
		assert_int_equal(backend_reader_unseal(be, r, dkey), S3E_OK);
	assert_int_equal(read_range(be, r, data, len, 0, len), S3E_OK);
	assert_int_equal(read_range(be, r, data, len, len / 3, len / 2 + 1), S3E_OK);
	backend_reader_close(be, r);
	obj_meta_free(&m);
}

/* Data (files or inline, I4) in the data directory, files in tiers a and b; no temporary. */
static void assert_where(const struct fx *f, size_t home, size_t a, size_t b)
{
	assert_int_equal(count_data(f->dir), home);
	assert_int_equal(count_files(f->tiers.a, "objects"), a);
	assert_int_equal(count_files(f->tiers.b, "objects"), b);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(count_files(f->tiers.a, "tmp"), 0);
	assert_int_equal(count_files(f->tiers.b, "tmp"), 0);
}

/* The objects row of key says storage class cls and tier. */
static void assert_class(const struct fx *f, const char *key, const char *cls, const char *tier)
{
	char sql[256], got[64];
	struct obj_meta m;

	assert_int_equal(backend_object_head(f->be, BKT, key, &m), S3E_OK);
	assert_string_equal(m.storage_class, cls);
	obj_meta_free(&m);
	snprintf(sql, sizeof(sql), "SELECT tier FROM objects WHERE key = '%s'", key);
	index_str(f->dir, sql, got, sizeof(got));
	assert_string_equal(got, tier);
}

/* The object id of key's row. */
static void id_of(const struct fx *f, const char *key, char id[40])
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT object_id FROM objects WHERE key = '%s'", key);
	index_str(f->dir, sql, id, 40);
}

static s3err_t move_to(struct fx *f, const char *key, const char *cls)
{
	return backend_object_transition(f->be, BKT, key, 1700000000123,
					 "0123456789abcdef0123456789abcdef", cls);
}

/* Writers land where writer_place puts them (T3), and read back from there. */
static void test_tier_placement(void **state)
{
	const size_t size = 3 * F + 5;
	struct fx *f = *state;
	uint8_t *d = bin_data(size, 21);
	char upload[STRATA_UPLOAD_ID_MAX];
	struct be_writer *w = NULL;
	struct obj_meta sse;

	open_tiers(f, 2);
	/* placed in STANDARD_IA: its file is in tier a, nowhere else */
	assert_int_equal(put_in(f->be, "ia", d, size, "STANDARD_IA", NULL, NULL, false), S3E_OK);
	assert_where(f, 0, 1, 0);
	assert_bytes(f->be, "ia", d, size, NULL);
	assert_class(f, "ia", "STANDARD_IA", "STANDARD_IA");
	/* not placed: the data directory */
	assert_int_equal(put_in(f->be, "home", d, size, NULL, NULL, NULL, false), S3E_OK);
	assert_where(f, 1, 1, 0);
	assert_class(f, "home", "", "");
	/* a class without a tier, STANDARD and "": the data directory */
	assert_int_equal(put_in(f->be, "glacier", d, 10, "GLACIER", NULL, NULL, false), S3E_OK);
	assert_int_equal(put_in(f->be, "std", d, 10, "STANDARD", NULL, NULL, false), S3E_OK);
	assert_int_equal(put_in(f->be, "empty", d, 10, "", NULL, NULL, false), S3E_OK);
	assert_where(f, 4, 1, 0);
	assert_class(f, "glacier", "GLACIER", "");
	/* GLACIER_IR: tier b */
	assert_int_equal(put_in(f->be, "gir", d, size, "GLACIER_IR", NULL, NULL, false), S3E_OK);
	assert_where(f, 4, 1, 1);
	assert_bytes(f->be, "gir", d, size, NULL);

	/* placing again before any data moves the empty temporary along */
	assert_int_equal(backend_writer_open(f->be, BKT, "moved", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_place(f->be, w, "STANDARD_IA"), S3E_OK);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(count_files(f->tiers.a, "tmp"), 1);
	assert_int_equal(backend_writer_place(f->be, w, "GLACIER_IR"), S3E_OK);
	assert_int_equal(count_files(f->tiers.a, "tmp"), 0);
	assert_int_equal(count_files(f->tiers.b, "tmp"), 1);
	assert_int_equal(backend_writer_place(f->be, w, "STANDARD"), S3E_OK);
	assert_int_equal(count_files(f->tiers.b, "tmp"), 0);
	assert_int_equal(count_files(f->dir, "tmp"), 1);
	backend_writer_abort(f->be, w);
	assert_where(f, 4, 1, 1);

	/* placing after a write fails and changes nothing */
	assert_int_equal(backend_writer_open(f->be, BKT, "late", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "x", 1), S3E_OK);
	assert_int_equal(backend_writer_place(f->be, w, "STANDARD_IA"), S3E_InternalError);
	assert_int_equal(count_files(f->tiers.a, "tmp"), 0); /* still at home, in memory (I1) */
	backend_writer_abort(f->be, w);
	/* part writers follow their upload instead */
	obj_meta_init(&sse);
	assert_int_equal(backend_upload_create(f->be, BKT, "mp", &sse, upload), S3E_OK);
	assert_int_equal(backend_part_writer_open(f->be, BKT, upload, 1, 0, &w), S3E_OK);
	assert_int_equal(backend_writer_place(f->be, w, "STANDARD_IA"), S3E_InternalError);
	backend_writer_abort(f->be, w);
	assert_int_equal(backend_upload_abort(f->be, BKT, upload), S3E_OK);
	assert_where(f, 4, 1, 1);

	/* sealing and placing in either order */
	sse_meta(&sse, SSE_C, "", 9);
	assert_int_equal(put_in(f->be, "s1", d, size, "GLACIER_IR", &sse, key_a, true), S3E_OK);
	assert_int_equal(put_in(f->be, "s2", d, size, "STANDARD_IA", &sse, key_a, false), S3E_OK);
	assert_where(f, 4, 2, 2);
	assert_bytes(f->be, "s1", d, size, key_a);
	assert_bytes(f->be, "s2", d, size, key_a);

	/* replacing or deleting an object in a tier reclaims its file there (T2) */
	assert_int_equal(put_in(f->be, "ia", d, 10, NULL, NULL, NULL, false), S3E_OK);
	assert_int_equal(backend_object_delete(f->be, BKT, "gir"), S3E_OK);
	assert_where(f, 5, 1, 1);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	/* and everything reads the same after a reopen */
	open_tiers(f, 2);
	assert_bytes(f->be, "s1", d, size, key_a);
	assert_bytes(f->be, "ia", d, 10, NULL);
	assert_where(f, 5, 1, 1);
	free(d);
}

/* One object moved data dir -> tier a -> tier b -> home, byte-identical at each step (T5). */
static void test_tier_transitions(void **state)
{
	const size_t size = 2 * F + 333;
	struct fx *f = *state;
	uint8_t *d = bin_data(size, 5);
	char id[40], id2[40], path[256];
	struct obj_meta sse;

	make_keys(f);
	open_tiers(f, 2);
	assert_int_equal(put_in(f->be, "obj", d, size, NULL, NULL, NULL, false), S3E_OK);
	id_of(f, "obj", id);
	assert_int_equal(move_to(f, "obj", "STANDARD_IA"), S3E_OK);
	assert_where(f, 0, 1, 0);
	assert_class(f, "obj", "STANDARD_IA", "STANDARD_IA");
	assert_bytes(f->be, "obj", d, size, NULL);
	assert_int_equal(move_to(f, "obj", "GLACIER_IR"), S3E_OK);
	assert_where(f, 0, 0, 1);
	assert_class(f, "obj", "GLACIER_IR", "GLACIER_IR");
	assert_bytes(f->be, "obj", d, size, NULL);
	assert_int_equal(move_to(f, "obj", "STANDARD"), S3E_OK);
	assert_where(f, 1, 0, 0);
	assert_class(f, "obj", "STANDARD", "");
	assert_bytes(f->be, "obj", d, size, NULL);
	/* the file keeps its id (its frames are bound to it); the old copies are gone */
	id_of(f, "obj", id2);
	assert_string_equal(id, id2);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);

	/* a class without a tier lives at home: only the class changes */
	assert_int_equal(move_to(f, "obj", "GLACIER"), S3E_OK);
	assert_class(f, "obj", "GLACIER", "");
	assert_where(f, 1, 0, 0);
	assert_int_equal(move_to(f, "obj", "GLACIER"), S3E_OK); /* nothing to do */
	assert_class(f, "obj", "GLACIER", "");

	/* another version, or none: PreconditionFailed, nothing moved */
	assert_int_equal(backend_object_transition(f->be, BKT, "obj", 1700000000124,
						   "0123456789abcdef0123456789abcdef",
						   "STANDARD_IA"),
			 S3E_PreconditionFailed);
	assert_int_equal(
	    backend_object_transition(f->be, BKT, "obj", 1700000000123, "ffff", "STANDARD_IA"),
	    S3E_PreconditionFailed);
	assert_int_equal(move_to(f, "absent", "STANDARD_IA"), S3E_PreconditionFailed);
	assert_int_equal(backend_object_transition(f->be, "nobucket", "obj", 1700000000123,
						   "0123456789abcdef0123456789abcdef",
						   "STANDARD_IA"),
			 S3E_NoSuchBucket);
	assert_where(f, 1, 0, 0);
	assert_class(f, "obj", "GLACIER", "");

	/* sealed SSE-S3 under the keyring (SHA-256 checked at each step) and SSE-C (frames) */
	obj_meta_init(&sse);
	sse.sse_mode = SSE_S3;
	sse.sse_envelope_len = KEYRING_WRAPPED_SIZE;
	assert_int_equal(
	    keyring_wrap(f->keys, (const uint8_t *)TIER_DKEY, sse.sse_key_id, sse.sse_envelope),
	    S3E_OK);
	assert_int_equal(put_in(f->be, "s3", d, size, NULL, &sse, (const uint8_t *)TIER_DKEY, true),
			 S3E_OK);
	sse_meta(&sse, SSE_C, "", 3);
	assert_int_equal(put_in(f->be, "ssec", d, F, "GLACIER_IR", &sse, key_b, false), S3E_OK);
	assert_int_equal(move_to(f, "s3", "STANDARD_IA"), S3E_OK);
	assert_int_equal(move_to(f, "ssec", "STANDARD_IA"), S3E_OK);
	assert_where(f, 1, 2, 0);
	assert_bytes(f->be, "s3", d, size, (const uint8_t *)TIER_DKEY);
	assert_bytes(f->be, "ssec", d, F, key_b);
	assert_int_equal(move_to(f, "s3", "GLACIER_IR"), S3E_OK);
	assert_int_equal(move_to(f, "ssec", ""), S3E_OK);
	assert_where(f, 2, 0, 1);
	assert_bytes(f->be, "s3", d, size, (const uint8_t *)TIER_DKEY);
	assert_bytes(f->be, "ssec", d, F, key_b);
	assert_int_equal(move_to(f, "s3", "STANDARD"), S3E_OK);
	assert_where(f, 3, 0, 0);
	assert_bytes(f->be, "s3", d, size, (const uint8_t *)TIER_DKEY);

	/* a copy that fails verification is never published: a corrupt source frame... */
	id_of(f, "obj", id);
	snprintf(path, sizeof(path), "%s/objects/%.2s/%s", f->dir, id, id);
	flip_byte(path, STRIDE + 10);
	assert_int_equal(move_to(f, "obj", "STANDARD_IA"), S3E_InternalError);
	assert_where(f, 3, 0, 0);
	assert_class(f, "obj", "GLACIER", "");
	flip_byte(path, STRIDE + 10);
	/* ...or bytes whose SHA-256 is not the one the index records */
	assert_int_equal(put(f->be, BKT, "badsha", "the index says its SHA-256 is aaaa..."),
			 S3E_OK);
	assert_int_equal(move_to(f, "badsha", "GLACIER_IR"), S3E_InternalError);
	assert_where(f, 4, 0, 0);
	assert_class(f, "badsha", "", "");
	assert_content(f->be, BKT, "badsha", "the index says its SHA-256 is aaaa...");
	/* the restored object still moves */
	assert_int_equal(move_to(f, "obj", "STANDARD_IA"), S3E_OK);
	assert_bytes(f->be, "obj", d, size, NULL);
	assert_where(f, 3, 1, 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	free(d);
}

/* A tier that cannot be written holds nothing and changes nothing (T6). */
static void test_tier_unwritable(void **state)
{
	struct fx *f = *state;
	uint8_t *d = bin_data(F + 9, 2);
	struct be_writer *w = NULL;
	char id[40], path[256];
	struct obj_meta m;
	int fd;

	open_tiers(f, 2);
	assert_int_equal(put_in(f->be, "obj", d, F + 9, NULL, NULL, NULL, false), S3E_OK);
	id_of(f, "obj", id);
	/*
	 * Tier a's objects/xx for this id becomes a regular file, so no copy can
	 * be placed there (permissions would not stop root).
	 */
	snprintf(path, sizeof(path), "%s/objects/%.2s", f->tiers.a, id);
	assert_int_equal(rmdir(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(move_to(f, "obj", "STANDARD_IA"), S3E_InternalError);
	assert_bytes(f->be, "obj", d, F + 9, NULL);
	assert_class(f, "obj", "", "");
	assert_where(f, 1, 1, 0); /* the one file in tier a is the blocker itself */
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	/* once the tier is repaired the same move works */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(move_to(f, "obj", "STANDARD_IA"), S3E_OK);
	assert_where(f, 0, 1, 0);
	assert_bytes(f->be, "obj", d, F + 9, NULL);

	/* tier b loses its tmp/: placing a writer there and moving there both fail */
	snprintf(path, sizeof(path), "%s/tmp", f->tiers.b);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(backend_writer_open(f->be, BKT, "new", 0, &w), S3E_OK);
	assert_int_equal(backend_writer_place(f->be, w, "GLACIER_IR"), S3E_InternalError);
	/* the writer is where it was and still commits there */
	assert_int_equal(backend_writer_write(f->be, w, "abc", 3), S3E_OK);
	meta_for(&m, 3, "0123456789abcdef0123456789abcdef");
	assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_OK);
	assert_content(f->be, BKT, "new", "abc");
	assert_int_equal(move_to(f, "obj", "GLACIER_IR"), S3E_InternalError);
	assert_bytes(f->be, "obj", d, F + 9, NULL);
	assert_class(f, "obj", "STANDARD_IA", "STANDARD_IA");
	assert_int_equal(count_files(f->tiers.a, "objects"), 1);
	assert_int_equal(count_files(f->tiers.b, "objects"), 0);
	/* reopening recreates tmp/ */
	open_tiers(f, 2);
	assert_int_equal(move_to(f, "obj", "GLACIER_IR"), S3E_OK);
	assert_where(f, 1, 0, 1);
	free(d);
}

struct open_try {
	const char *dir;
	const struct posix_opts *opts;
	s3err_t err;
};

static void open_try_run(void *ctx)
{
	struct open_try *t = ctx;
	struct backend *be = NULL;

	t->err = posix_open_opts(t->dir, t->opts, &be);
	if (t->err == S3E_OK)
		backend_close(be);
	else
		assert_null(be);
}

/* posix_open_opts(dir, opts) fails; returns what it logged (malloc'd). */
static char *open_refused(const char *dir, const struct posix_opts *opts)
{
	struct open_try t = {dir, opts, S3E_OK};
	char *log = fixture_stderr_of(open_try_run, &t);

	assert_int_equal(t.err, S3E_InternalError);
	return log;
}

/* Rows naming a tier that is not configured refuse the open, saying what to configure (T2). */
static void test_tier_open_checks(void **state)
{
	struct fx *f = *state;
	struct fixture_tiers t;
	char root[64], *log;

	open_tiers(f, 2);
	assert_int_equal(put_in(f->be, "ia", "x", 1, "STANDARD_IA", NULL, NULL, false), S3E_OK);
	assert_int_equal(put_in(f->be, "gir", "y", 1, "GLACIER_IR", NULL, NULL, false), S3E_OK);
	backend_close(f->be);
	f->be = NULL;
	root_of(f, root, sizeof(root));
	fixture_tiers_init(&t, root, 1, NULL); /* STANDARD_IA only */
	log = open_refused(f->dir, &t.opts);
	assert_non_null(strstr(log, "storage tier GLACIER_IR"));
	assert_non_null(strstr(log, "tier_GLACIER_IR"));
	free(log);
	log = open_refused(f->dir, &(struct posix_opts){0});
	assert_non_null(strstr(log, "not configured"));
	free(log);
	/* nothing was left half-open: with both tiers it opens and reads */
	open_tiers(f, 2);
	assert_content(f->be, BKT, "gir", "y");
	/* a pending release in a tier counts as well */
	assert_int_equal(backend_object_delete(f->be, BKT, "gir"), S3E_OK);
	assert_int_equal(backend_object_delete(f->be, BKT, "ia"), S3E_OK);
	backend_close(f->be);
	f->be = NULL;
	index_exec(f->dir, "INSERT INTO gc(tier, object_id) "
			   "VALUES('DEEP_ARCHIVE', '00112233445566778899aabbccddeeff')");
	log = open_refused(f->dir, &f->tiers.opts);
	assert_non_null(strstr(log, "tier_DEEP_ARCHIVE"));
	free(log);
	index_exec(f->dir, "DELETE FROM gc");

	/* configurations that cannot work are refused */
	fixture_tiers_init(&t, root, 2, NULL);
	t.opts.tiers[1].storage_class = "STANDARD_IA"; /* twice */
	free(open_refused(f->dir, &t.opts));
	t.opts.tiers[1].storage_class = "STANDARD"; /* the home's */
	free(open_refused(f->dir, &t.opts));
	t.opts.tiers[1].storage_class = "glacier"; /* not a class name */
	free(open_refused(f->dir, &t.opts));
	t.opts.tiers[1].storage_class = "GLACIER";
	t.opts.tiers[1].dir = t.a; /* one directory for two tiers */
	log = open_refused(f->dir, &t.opts);
	assert_non_null(strstr(log, "is the directory of STANDARD_IA already"));
	free(log);
	t.opts.tiers[1].dir = f->dir; /* the data directory itself */
	log = open_refused(f->dir, &t.opts);
	assert_non_null(strstr(log, "is the directory of the data directory already"));
	free(log);
	t.opts.ntiers = POSIX_MAX_TIERS + 1;
	free(open_refused(f->dir, &t.opts));
	open_tiers(f, 2);
}

/*
 * Remote tiers (X1, X7 in posix_remote.c): an s3:// tier needs the remote
 * settings; one whose remote cannot be reached opens degraded, and writes
 * to its class or transitions into it fail cleanly, leaving every object
 * where it was and no temporary behind (T6).
 */
static void test_remote_tier_unreachable(void **state)
{
	struct fx *f = *state;
	struct fixture_tiers t;
	struct be_reader *r = NULL;
	struct obj_meta m;
	char root[64], *log;

	backend_close(f->be);
	f->be = NULL;
	root_of(f, root, sizeof(root));
	fixture_tiers_init(&t, root, 2, NULL);
	t.opts.tiers[1].dir = "s3://remote-tier/cold/";
	log = open_refused(f->dir, &t.opts); /* no s3_endpoint, no keys */
	assert_non_null(strstr(log, "s3_endpoint"));
	free(log);
	t.opts.remote.endpoint = "http://127.0.0.1:1"; /* nothing listens there */
	t.opts.remote.access_key = "AKIDEXAMPLE";
	t.opts.remote.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	t.opts.remote.path_style = true;
	t.opts.tiers[1].dir = "s3://Not_A_Bucket";
	log = open_refused(f->dir, &t.opts);
	assert_non_null(strstr(log, "is not s3://BUCKET"));
	free(log);
	t.opts.tiers[1].dir = "s3://remote-tier/cold/";
	t.opts.tiers[0].dir = "s3://remote-tier/cold/"; /* two tiers, one location */
	free(open_refused(f->dir, &t.opts));
	t.opts.tiers[0].dir = t.a;
	f->tiers = t;
	assert_int_equal(posix_open_opts(f->dir, &f->tiers.opts, &f->be), S3E_OK);
	/* a write into the unreachable tier fails and leaves nothing */
	obj_meta_init(&m);
	assert_int_equal(put_in(f->be, "far", "data", 4, "GLACIER_IR", NULL, NULL, false),
			 S3E_ServiceUnavailable);
	assert_int_equal(backend_object_head(f->be, BKT, "far", &m), S3E_NoSuchKey);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	/* a transition into it fails; the object stays where it was, readable */
	assert_int_equal(put_in(f->be, "near", "hello", 5, NULL, NULL, NULL, false), S3E_OK);
	assert_int_not_equal(move_to(f, "near", "GLACIER_IR"), S3E_OK);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	obj_meta_init(&m);
	assert_int_equal(backend_reader_open(f->be, BKT, "near", &m, &r), S3E_OK);
	assert_string_equal(m.storage_class, "");
	obj_meta_free(&m);
	backend_reader_close(f->be, r);
	/* the local tier still works beside it */
	assert_int_equal(put_in(f->be, "ia", "x", 1, "STANDARD_IA", NULL, NULL, false), S3E_OK);
}

/* gc rows with a tier finish at the next open; one naming a live file drops only the row (T4). */
static void test_tier_gc_reopen(void **state)
{
	static const char dead[] = "00112233445566778899aabbccddeeff";
	struct fx *f = *state;
	char id[40], path[256], sql[256];
	int fd;

	open_tiers(f, 2);
	assert_int_equal(put_in(f->be, "live", "alive", 5, "STANDARD_IA", NULL, NULL, false),
			 S3E_OK);
	id_of(f, "live", id);
	backend_close(f->be);
	f->be = NULL;
	/* a release in tier b that committed but crashed before its unlink */
	snprintf(path, sizeof(path), "%s/objects/00/%s", f->tiers.b, dead);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	/* and a stale release of the file "live" has in tier a again */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO gc(tier, object_id) VALUES('GLACIER_IR', '%s'), "
		 "('STANDARD_IA', '%s')",
		 dead, id);
	index_exec(f->dir, sql);
	open_tiers(f, 2);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	assert_where(f, 0, 1, 0);
	assert_content(f->be, BKT, "live", "alive");
}

/* A v5 index: rows keep reading (tier ''), gc keeps its queue, and tiers work afterwards. */
static void test_migrate_v5(void **state)
{
	static const char dead[] = "00112233445566778899aabbccddeeff";
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX], path[256];
	uint8_t *d = bin_data(F + 1, 3);
	struct be_writer *w = NULL;
	struct part_info p;
	struct obj_meta m;
	int fd;

	assert_int_equal(put_in(f->be, "old", d, F + 1, NULL, NULL, NULL, false), S3E_OK);
	obj_meta_init(&m);
	snprintf(m.storage_class, sizeof(m.storage_class), "STANDARD_IA");
	assert_int_equal(backend_upload_create(f->be, BKT, "up", &m, upload), S3E_OK);
	assert_int_equal(backend_part_writer_open(f->be, BKT, upload, 1, 0, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, "part", 4), S3E_OK);
	memset(&p, 0, sizeof(p));
	p.number = 1;
	p.size = 4;
	assert_int_equal(backend_part_commit(f->be, w, &p), S3E_OK);
	backend_close(f->be);
	f->be = NULL;
	index_exec(f->dir, DOWNGRADE_TO_V5);
	snprintf(path, sizeof(path), "%s/objects/00/%s", f->dir, dead);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	index_exec(f->dir, "INSERT INTO gc VALUES('00112233445566778899aabbccddeeff')");
	assert_int_equal(
	    index_int(f->dir,
		      "SELECT count(*) FROM pragma_table_info('objects') WHERE name = 'tier'"),
	    0);

	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 12);
	assert_int_equal(
	    index_int(f->dir,
		      "SELECT count(*) FROM sqlite_schema WHERE name IN ('objects_by_tier', "
		      "'parts_by_tier', 'object_parts_by_tier')"),
	    3);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM objects WHERE tier <> ''"), 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM parts WHERE tier = ''"), 1);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0); /* released at open */
	assert_int_equal(count_files(f->dir, "objects"), 2);		   /* old and the part */
	assert_bytes(f->be, "old", d, F + 1, NULL);
	/* with tiers configured the old rows stay where they are, and move on request */
	open_tiers(f, 2);
	assert_bytes(f->be, "old", d, F + 1, NULL);
	assert_int_equal(move_to(f, "old", "GLACIER_IR"), S3E_OK);
	assert_where(f, 1, 0, 1);
	assert_bytes(f->be, "old", d, F + 1, NULL);
	free(d);
}

/*
 * kill -9 at random points of transitions back and forth: the object always
 * reads whole from the location its row names, the next open leaves no
 * temporary and no pending gc, and at most one orphan copy remains (T5).
 */
static void test_tier_kill_during_transition(void **state)
{
	static const char *const classes[] = {"STANDARD_IA", "GLACIER_IR", "STANDARD"};
	const size_t size = 5 * F + 77;
	struct fx *f = *state;
	uint8_t *d = bin_data(size, 17);
	char tier[40];
	size_t total;
	int round, status;
	pid_t pid;

	open_tiers(f, 2);
	assert_int_equal(put_in(f->be, "obj", d, size, NULL, NULL, NULL, false), S3E_OK);
	for (round = 0; round < 6; round++) {
		backend_close(f->be);
		f->be = NULL;
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct backend *be = NULL;
			unsigned i;

			if (posix_open_opts(f->dir, &f->tiers.opts, &be) != S3E_OK)
				_exit(3);
			for (i = 0;; i++)
				if (backend_object_transition(be, BKT, "obj", 1700000000123,
							      "0123456789abcdef0123456789abcdef",
							      classes[i % 3]) != S3E_OK)
					_exit(4);
		}
		usleep(2000 + 7000 * (useconds_t)round);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		assert_int_equal(posix_open_opts(f->dir, &f->tiers.opts, &f->be), S3E_OK);
		assert_bytes(f->be, "obj", d, size, NULL);
		assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
		assert_int_equal(count_files(f->dir, "tmp") + count_files(f->tiers.a, "tmp") +
				     count_files(f->tiers.b, "tmp"),
				 0);
		index_str(f->dir, "SELECT tier FROM objects WHERE key = 'obj'", tier, sizeof(tier));
		assert_int_equal(count_files(strcmp(tier, "STANDARD_IA") == 0  ? f->tiers.a
					     : strcmp(tier, "GLACIER_IR") == 0 ? f->tiers.b
									       : f->dir,
					     "objects"),
				 1);
		total = count_files(f->dir, "objects") + count_files(f->tiers.a, "objects") +
			count_files(f->tiers.b, "objects");
		assert_true(total == 1 || total == 2);
	}
	free(d);
}

/* Readers while the object moves between locations: every read is whole and exact (T4). */
struct tier_reader {
	struct backend *be;
	const uint8_t *want;
	size_t size;
	atomic_bool *done; /* a plain volatile flag is a data race (ThreadSanitizer) */
	int reads, failures;
};

static void *tier_reader_main(void *arg)
{
	struct tier_reader *tr = arg;
	uint8_t *buf = malloc(tr->size);
	struct be_reader *r = NULL;
	struct obj_meta m;
	size_t got, off;

	assert_non_null(buf);
	while (!atomic_load(tr->done)) {
		tr->reads++;
		if (backend_reader_open(tr->be, BKT, "obj", &m, &r) != S3E_OK) {
			tr->failures++;
			continue;
		}
		for (off = 0; off < tr->size; off += got)
			if (backend_reader_read(tr->be, r, off, buf + off, 40000, &got) != S3E_OK ||
			    got == 0)
				break;
		if (off != tr->size || memcmp(buf, tr->want, tr->size) != 0)
			tr->failures++;
		backend_reader_close(tr->be, r);
		obj_meta_free(&m);
	}
	free(buf);
	return NULL;
}

static void test_tier_concurrent_reads(void **state)
{
	static const char *const classes[] = {"STANDARD_IA", "GLACIER_IR", ""};
	const size_t size = 3 * F + 1;
	struct fx *f = *state;
	uint8_t *d = bin_data(size, 31);
	atomic_bool done = false;
	struct tier_reader tr[3];
	pthread_t th[3];
	int i;

	open_tiers(f, 2);
	assert_int_equal(put_in(f->be, "obj", d, size, NULL, NULL, NULL, false), S3E_OK);
	for (i = 0; i < 3; i++) {
		tr[i] = (struct tier_reader){f->be, d, size, &done, 0, 0};
		assert_int_equal(pthread_create(&th[i], NULL, tier_reader_main, &tr[i]), 0);
	}
	for (i = 0; i < 60; i++)
		assert_int_equal(move_to(f, "obj", classes[i % 3]), S3E_OK);
	atomic_store(&done, true);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(tr[i].failures, 0);
		assert_true(tr[i].reads > 0);
	}
	assert_where(f, 1, 0, 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	free(d);
}

/* --- archive restores (R1..R7) --- */

#define RS_MTIME 1700000000123LL
#define RS_ETAG "0123456789abcdef0123456789abcdef"

/* Data (files or inline) in the data directory, files in tier c (GLACIER); no temporary. */
static void assert_home_glacier(const struct fx *f, size_t home, size_t c)
{
	assert_int_equal(count_data(f->dir), home);
	assert_int_equal(count_files(f->tiers.c, "objects"), c);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(count_files(f->tiers.c, "tmp"), 0);
}

/* key's restore as object_head reports it. */
static void assert_restore(struct fx *f, const char *key, int state, int64_t until_ms)
{
	struct obj_meta m;

	assert_int_equal(backend_object_head(f->be, BKT, key, &m), S3E_OK);
	assert_int_equal(m.restore_state, state);
	assert_true(m.restore_until_ms == until_ms);
	obj_meta_free(&m);
}

/* restore_request on key; returns the state it reported (-1 when it failed: err). */
static int rs_request(struct fx *f, const char *key, int64_t until_ms, s3err_t *err)
{
	int state = -1;

	*err = backend_restore_request(f->be, BKT, key, until_ms, &state);
	return *err == S3E_OK ? state : -1;
}

static s3err_t rs_run(struct fx *f, const char *key)
{
	return backend_restore_run(f->be, BKT, key, RS_MTIME, RS_ETAG);
}

static s3err_t rs_release(struct fx *f, const char *key)
{
	return backend_restore_release(f->be, BKT, key, RS_MTIME, RS_ETAG);
}

/* What restore_due showed, in order; with run set, the visitor runs each ongoing one. */
struct due_list {
	struct fx *f;
	char keys[80][16];
	int states[80];
	size_t n, stop_after, in_bkt2;
	bool run;
};

static bool collect_due(void *ctx, const struct restore_item *it)
{
	struct due_list *d = ctx;

	assert_true(d->n < ARRAY_LEN(d->keys));
	assert_true(strcmp(it->bucket, BKT) == 0 || strcmp(it->bucket, "bkt2") == 0);
	d->in_bkt2 += strcmp(it->bucket, "bkt2") == 0;
	assert_true(it->mtime_ms == RS_MTIME);
	assert_string_equal(it->etag, RS_ETAG);
	assert_true(strlen(it->key) < sizeof(d->keys[d->n])); /* the test's keys are short */
	memcpy(d->keys[d->n], it->key, strlen(it->key) + 1);
	d->states[d->n++] = it->state;
	/* P4: the visitor may call back into the backend (as the restore worker does) */
	if (d->run && it->state == RESTORE_ONGOING)
		assert_int_equal(
		    backend_restore_run(d->f->be, it->bucket, it->key, it->mtime_ms, it->etag),
		    S3E_OK);
	return d->stop_after == 0 || d->n < d->stop_after;
}

static void due(struct fx *f, int64_t now_ms, struct due_list *d)
{
	d->f = f;
	d->n = 0;
	d->in_bkt2 = 0;
	assert_int_equal(backend_restore_due(f->be, now_ms, collect_due, d), S3E_OK);
}

/* The path of key's data file (id of its row) in location root. */
static void file_in(const struct fx *f, const char *root, const char *key, char *path, size_t cap)
{
	char id[40];

	id_of(f, key, id);
	snprintf(path, cap, "%s/objects/%.2s/%s", root, id, id);
}

/*
 * A GLACIER object in its tier: request -> due -> run -> a verified copy at
 * home under the same id, which reads serve (R2, R4); the expiry moves;
 * release removes the copy only; a failed run leaves nothing behind.
 */
static void test_restore_single(void **state)
{
	const size_t size = 2 * F + 100;
	struct fx *f = *state;
	uint8_t *d = bin_data(size, 41);
	char archived[256], copy[256];
	struct due_list dl = {0};
	struct be_reader *r = NULL;
	struct obj_meta m;
	s3err_t err;

	open_tiers(f, 3);
	assert_int_equal(put_in(f->be, "arch", d, size, "GLACIER", NULL, NULL, false), S3E_OK);
	assert_home_glacier(f, 0, 1);
	assert_restore(f, "arch", RESTORE_NONE, 0);
	due(f, INT64_MAX, &dl);
	assert_int_equal(dl.n, 0);
	/* what is not there cannot be restored */
	assert_int_equal(rs_request(f, "absent", 5, &err), -1);
	assert_int_equal(err, S3E_NoSuchKey);
	assert_int_equal(backend_restore_request(f->be, "nobucket", "arch", 5, &(int){0}),
			 S3E_NoSuchBucket);
	/* nothing to run before a request */
	assert_int_equal(rs_run(f, "arch"), S3E_PreconditionFailed);

	/* a new restore: ONGOING until the worker makes the copy */
	assert_int_equal(rs_request(f, "arch", 1800000000000LL, &err), RESTORE_NONE);
	assert_restore(f, "arch", RESTORE_ONGOING, 1800000000000LL);
	/* asking again while it runs changes nothing */
	assert_int_equal(rs_request(f, "arch", 1900000000000LL, &err), RESTORE_ONGOING);
	assert_restore(f, "arch", RESTORE_ONGOING, 1800000000000LL);
	due(f, 0, &dl);
	assert_int_equal(dl.n, 1);
	assert_string_equal(dl.keys[0], "arch");
	assert_int_equal(dl.states[0], RESTORE_ONGOING);
	/* another version cannot be run */
	assert_int_equal(backend_restore_run(f->be, BKT, "arch", RS_MTIME, "ffff"),
			 S3E_PreconditionFailed);
	assert_int_equal(backend_restore_run(f->be, BKT, "arch", RS_MTIME + 1, RS_ETAG),
			 S3E_PreconditionFailed);
	assert_home_glacier(f, 0, 1);

	/* the run: a copy at home under the same id, the archived file stays */
	assert_int_equal(rs_run(f, "arch"), S3E_OK);
	assert_restore(f, "arch", RESTORE_DONE, 1800000000000LL);
	assert_home_glacier(f, 1, 1);
	file_in(f, f->tiers.c, "arch", archived, sizeof(archived));
	file_in(f, f->dir, "arch", copy, sizeof(copy));
	assert_true(file_size(archived) == file_size(copy));
	assert_class(f, "arch", "GLACIER", "GLACIER"); /* the row still names the archive */
	assert_bytes(f->be, "arch", d, size, NULL);
	/* a done restore is due only once its time is up, then as DONE */
	due(f, 1800000000000LL - 1, &dl);
	assert_int_equal(dl.n, 0);
	due(f, 1800000000000LL, &dl);
	assert_int_equal(dl.n, 1);
	assert_int_equal(dl.states[0], RESTORE_DONE);
	assert_int_equal(rs_run(f, "arch"), S3E_PreconditionFailed); /* not ongoing */

	/* reads come from the copy: a damaged archive file does not matter... */
	flip_byte(archived, STRIDE + 10);
	assert_bytes(f->be, "arch", d, size, NULL);
	/* ...a damaged copy does */
	flip_byte(copy, STRIDE + 10);
	assert_int_equal(backend_reader_open(f->be, BKT, "arch", &m, &r), S3E_OK);
	assert_int_equal(m.restore_state, RESTORE_DONE);
	assert_int_equal(read_range(f->be, r, d, size, F, 10), S3E_InternalError);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	flip_byte(copy, STRIDE + 10);

	/* asking again when done moves the expiry (as AWS does), earlier or later */
	assert_int_equal(rs_request(f, "arch", 1700000009999LL, &err), RESTORE_DONE);
	assert_restore(f, "arch", RESTORE_DONE, 1700000009999LL);
	assert_home_glacier(f, 1, 1);
	/* the state survives a reopen */
	open_tiers(f, 3);
	assert_restore(f, "arch", RESTORE_DONE, 1700000009999LL);
	assert_bytes(f->be, "arch", d, size, NULL);
	/*
	 * A stale release of the copy's name (an earlier restore's, crashed
	 * before its unlink): the done restore names ("", id), so gc drops only
	 * the row (R2, T4); the archived file's own name is not touched either.
	 */
	{
		char id[40], sql[256];

		backend_close(f->be);
		f->be = NULL;
		id_of(f, "arch", id);
		snprintf(sql, sizeof(sql), "INSERT INTO gc(tier, object_id) VALUES('', '%s')", id);
		index_exec(f->dir, sql);
		open_tiers(f, 3);
		assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
		assert_home_glacier(f, 1, 1);
		assert_bytes(f->be, "arch", d, size, NULL);
	}

	/* release: only the version asked about, then only the copy goes */
	assert_int_equal(backend_restore_release(f->be, BKT, "arch", RS_MTIME, "ffff"),
			 S3E_PreconditionFailed);
	assert_restore(f, "arch", RESTORE_DONE, 1700000009999LL);
	assert_int_equal(rs_release(f, "arch"), S3E_OK);
	assert_restore(f, "arch", RESTORE_NONE, 0);
	assert_home_glacier(f, 0, 1);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	assert_int_equal(rs_release(f, "arch"), S3E_OK); /* nothing to end: fine */
	due(f, INT64_MAX, &dl);
	assert_int_equal(dl.n, 0);
	/* now reads come from the damaged archive file again */
	assert_int_equal(backend_reader_open(f->be, BKT, "arch", &m, &r), S3E_OK);
	assert_int_equal(m.restore_state, RESTORE_NONE);
	assert_int_equal(read_range(f->be, r, d, size, 0, 100), S3E_OK);
	assert_int_equal(read_range(f->be, r, d, size, F, 10), S3E_InternalError);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);

	/* a run whose copy fails verification places nothing and stays ONGOING */
	assert_int_equal(rs_request(f, "arch", 1800000000000LL, &err), RESTORE_NONE);
	assert_int_equal(rs_run(f, "arch"), S3E_InternalError);
	assert_restore(f, "arch", RESTORE_ONGOING, 1800000000000LL);
	assert_home_glacier(f, 0, 1);
	/* once the archive is repaired, the retry works */
	flip_byte(archived, STRIDE + 10);
	assert_int_equal(rs_run(f, "arch"), S3E_OK);
	assert_home_glacier(f, 1, 1);
	assert_bytes(f->be, "arch", d, size, NULL);
	/* an ongoing restore can be ended too (nothing was copied yet to queue) */
	assert_int_equal(rs_release(f, "arch"), S3E_OK);
	assert_int_equal(rs_request(f, "arch", 5, &err), RESTORE_NONE);
	assert_int_equal(rs_release(f, "arch"), S3E_OK);
	assert_restore(f, "arch", RESTORE_NONE, 0);
	assert_home_glacier(f, 0, 1);
	free(d);
}

/* A sealed object is copied as it is stored: the copy reads with the same key (R2). */
static void test_restore_sealed(void **state)
{
	const size_t size = F + 7;
	struct fx *f = *state;
	uint8_t *d = bin_data(size, 43);
	struct obj_meta sse;
	s3err_t err;

	open_tiers(f, 3);
	obj_meta_init(&sse);
	sse_meta(&sse, SSE_C, "", 5);
	assert_int_equal(put_in(f->be, "s", d, size, "GLACIER", &sse, key_a, false), S3E_OK);
	assert_int_equal(rs_request(f, "s", 1800000000000LL, &err), RESTORE_NONE);
	assert_int_equal(rs_run(f, "s"), S3E_OK);
	assert_home_glacier(f, 1, 1);
	assert_bytes(f->be, "s", d, size, key_a);
	assert_int_equal(rs_release(f, "s"), S3E_OK);
	assert_home_glacier(f, 0, 1);
	assert_bytes(f->be, "s", d, size, key_a);
	free(d);
}

/*
 * GLACIER without a tier directory: the object's file is at home already.
 * Restore and release never copy it, nor delete it (R2, R6).
 */
static void test_restore_at_home(void **state)
{
	struct fx *f = *state;
	s3err_t err;

	open_tiers(f, 2); /* no GLACIER tier */
	assert_int_equal(put_in(f->be, "g", "frozen bytes", 12, "GLACIER", NULL, NULL, false),
			 S3E_OK);
	assert_class(f, "g", "GLACIER", "");
	assert_int_equal(count_data(f->dir), 1);
	assert_int_equal(rs_request(f, "g", 1800000000000LL, &err), RESTORE_NONE);
	assert_int_equal(rs_run(f, "g"), S3E_OK);
	assert_restore(f, "g", RESTORE_DONE, 1800000000000LL);
	assert_int_equal(count_data(f->dir), 1);
	assert_content(f->be, BKT, "g", "frozen bytes");
	assert_int_equal(rs_release(f, "g"), S3E_OK);
	assert_int_equal(count_data(f->dir), 1);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	/* I2: its stored bytes are inline at home, and the restore read them there */
	assert_true(index_int(f->dir, "SELECT length(data) FROM inline_data") > 12);
	assert_content(f->be, BKT, "g", "frozen bytes");
	/* and a done restore of it overwritten: only the object's own file goes */
	assert_int_equal(rs_request(f, "g", 1800000000000LL, &err), RESTORE_NONE);
	assert_int_equal(rs_run(f, "g"), S3E_OK);
	assert_int_equal(put_in(f->be, "g", "thawed", 6, "GLACIER", NULL, NULL, false), S3E_OK);
	assert_int_equal(count_data(f->dir), 1);
	assert_restore(f, "g", RESTORE_NONE, 0);
	assert_content(f->be, BKT, "g", "thawed");
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
}

/*
 * A restore belongs to its version (R1): an overwrite while ONGOING fails
 * the run; an overwrite or delete of a DONE one releases its copy with the
 * old file, leaving nothing behind.
 */
static void test_restore_overwrite(void **state)
{
	struct fx *f = *state;
	uint8_t *d = bin_data(F + 3, 45);
	s3err_t err;

	open_tiers(f, 3);
	assert_int_equal(put_in(f->be, "k", d, F + 3, "GLACIER", NULL, NULL, false), S3E_OK);
	assert_int_equal(rs_request(f, "k", 1800000000000LL, &err), RESTORE_NONE);
	/* overwritten while ongoing (same mtime and ETag: only the data differs) */
	assert_int_equal(put_in(f->be, "k", d, 100, "GLACIER", NULL, NULL, false), S3E_OK);
	assert_restore(f, "k", RESTORE_NONE, 0);
	assert_int_equal(rs_run(f, "k"), S3E_PreconditionFailed);
	assert_home_glacier(f, 0, 1);

	/* a done restore, overwritten: the copy goes with the archived file */
	assert_int_equal(rs_request(f, "k", 1800000000000LL, &err), RESTORE_NONE);
	assert_int_equal(rs_run(f, "k"), S3E_OK);
	assert_home_glacier(f, 1, 1);
	assert_int_equal(put_in(f->be, "k", d, F + 3, "GLACIER", NULL, NULL, false), S3E_OK);
	assert_restore(f, "k", RESTORE_NONE, 0);
	assert_home_glacier(f, 0, 1);
	assert_bytes(f->be, "k", d, F + 3, NULL);
	/* ...or written to the home */
	assert_int_equal(rs_request(f, "k", 1800000000000LL, &err), RESTORE_NONE);
	assert_int_equal(rs_run(f, "k"), S3E_OK);
	assert_int_equal(put_in(f->be, "k", d, 50, NULL, NULL, NULL, false), S3E_OK);
	assert_home_glacier(f, 1, 0);
	assert_bytes(f->be, "k", d, 50, NULL);
	/* a done restore, deleted: nothing is left anywhere */
	assert_int_equal(put_in(f->be, "k", d, F + 3, "GLACIER", NULL, NULL, false), S3E_OK);
	assert_int_equal(rs_request(f, "k", 1800000000000LL, &err), RESTORE_NONE);
	assert_int_equal(rs_run(f, "k"), S3E_OK);
	assert_home_glacier(f, 1, 1);
	assert_int_equal(backend_object_delete(f->be, BKT, "k"), S3E_OK);
	assert_home_glacier(f, 0, 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	free(d);
}

/* No transition while an object has a restore (T7); afterwards it moves as before. */
static void test_restore_blocks_transition(void **state)
{
	struct fx *f = *state;
	uint8_t *d = bin_data(F + 1, 47);
	s3err_t err;

	open_tiers(f, 3);
	assert_int_equal(put_in(f->be, "t", d, F + 1, "GLACIER", NULL, NULL, false), S3E_OK);
	assert_int_equal(rs_request(f, "t", 1800000000000LL, &err), RESTORE_NONE);
	assert_int_equal(move_to(f, "t", "STANDARD_IA"), S3E_PreconditionFailed);
	assert_int_equal(move_to(f, "t", "STANDARD"), S3E_PreconditionFailed);
	assert_int_equal(rs_run(f, "t"), S3E_OK);
	assert_int_equal(move_to(f, "t", "STANDARD"), S3E_PreconditionFailed);
	assert_int_equal(move_to(f, "t", "GLACIER"), S3E_PreconditionFailed);
	assert_class(f, "t", "GLACIER", "GLACIER");
	assert_home_glacier(f, 1, 1);
	assert_int_equal(count_files(f->tiers.a, "objects"), 0);
	assert_bytes(f->be, "t", d, F + 1, NULL);
	/* once released, the object moves home under the same id the copy had */
	assert_int_equal(rs_release(f, "t"), S3E_OK);
	assert_int_equal(move_to(f, "t", "STANDARD"), S3E_OK);
	assert_class(f, "t", "STANDARD", "");
	assert_home_glacier(f, 1, 0);
	assert_bytes(f->be, "t", d, F + 1, NULL);
	/* a restore of an object at home copies nothing, and its release keeps the file */
	assert_int_equal(rs_request(f, "t", 1800000000000LL, &err), RESTORE_NONE);
	assert_int_equal(rs_run(f, "t"), S3E_OK);
	assert_int_equal(rs_release(f, "t"), S3E_OK);
	assert_home_glacier(f, 1, 0);
	assert_bytes(f->be, "t", d, F + 1, NULL);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	free(d);
}

/*
 * restore_due across buckets and batches, in (bucket, key) order: ongoing
 * restores, and done ones only when due; a visitor may stop the walk or run
 * the restores it is shown (P4).
 */
static void test_restore_due(void **state)
{
	struct bucket_info b2 = {"bkt2", "AKIDEXAMPLE", "", 1};
	struct fx *f = *state;
	struct due_list *dl = calloc(1, sizeof(*dl));
	char key[16];
	s3err_t err;
	int i;

	assert_non_null(dl);
	open_tiers(f, 3);
	assert_int_equal(backend_bucket_create(f->be, &b2), S3E_OK);
	for (i = 0; i < 75; i++) {
		snprintf(key, sizeof(key), "k%03d", i);
		assert_int_equal(put_in(f->be, key, "cold", 4, "GLACIER", NULL, NULL, false),
				 S3E_OK);
		if (i % 5 != 4) /* every fifth has no restore */
			assert_int_equal(rs_request(f, key, 1800000000000LL + i, &err),
					 RESTORE_NONE);
	}
	/* and one in another bucket (at home): (bucket, key) order puts it last */
	{
		struct be_writer *w = NULL;
		struct obj_meta m;

		assert_int_equal(backend_writer_open(f->be, "bkt2", "zz", 1, &w), S3E_OK);
		assert_int_equal(backend_writer_write(f->be, w, "z", 1), S3E_OK);
		meta_for(&m, 1, RS_ETAG);
		assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_OK);
		assert_int_equal(
		    backend_restore_request(f->be, "bkt2", "zz", 1900000000000LL, &(int){0}),
		    S3E_OK);
	}
	dl->stop_after = 3;
	due(f, 0, dl);
	assert_int_equal(dl->n, 3);
	dl->stop_after = 0;
	/* the worker's pass: every ongoing one (60 of BKT, past one batch) is run from the visitor
	 */
	dl->run = true;
	due(f, 0, dl);
	assert_int_equal(dl->n, 61);
	assert_string_equal(dl->keys[0], "k000");
	assert_string_equal(dl->keys[1], "k001");
	assert_string_equal(dl->keys[4], "k005");
	assert_string_equal(dl->keys[59], "k073");
	assert_string_equal(dl->keys[60], "zz");
	assert_int_equal(dl->in_bkt2, 1);
	for (i = 0; i < 61; i++)
		assert_int_equal(dl->states[i], RESTORE_ONGOING);
	assert_restore(f, "k073", RESTORE_DONE, 1800000000000LL + 73);
	assert_int_equal(count_data(f->dir), 61); /* "zz" is at home (inline): no copy */
	/* now none is ongoing; done ones are due as their times come */
	dl->run = false;
	due(f, 1800000000000LL - 1, dl);
	assert_int_equal(dl->n, 0);
	due(f, 1800000000000LL + 10, dl);
	assert_int_equal(dl->n, 9); /* k000..k010 but k004 and k009 */
	assert_int_equal(dl->states[0], RESTORE_DONE);
	assert_string_equal(dl->keys[8], "k010");
	due(f, INT64_MAX, dl);
	assert_int_equal(dl->n, 61);
	free(dl);
}

/*
 * kill -9 at random points of restore cycles (request, run, release): the
 * object always reads whole, no temporary or gc row survives the next open,
 * a DONE restore has its copy, and whatever copy a killed run left at home
 * is absorbed by the next run, so that a final release leaves none (R5).
 */
static void test_restore_kill_during_run(void **state)
{
	const size_t size = 5 * F + 77;
	struct fx *f = *state;
	uint8_t *d = bin_data(size, 19);
	struct obj_meta m;
	size_t home;
	int round, status;
	s3err_t err;
	pid_t pid;

	open_tiers(f, 3);
	assert_int_equal(put_in(f->be, "obj", d, size, "GLACIER", NULL, NULL, false), S3E_OK);
	for (round = 0; round < 6; round++) {
		backend_close(f->be);
		f->be = NULL;
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct backend *be = NULL;
			int st = 0;

			if (posix_open_opts(f->dir, &f->tiers.opts, &be) != S3E_OK)
				_exit(3);
			for (;;)
				if (backend_restore_request(be, BKT, "obj", 1800000000000LL, &st) !=
					S3E_OK ||
				    backend_restore_run(be, BKT, "obj", RS_MTIME, RS_ETAG) !=
					S3E_OK ||
				    backend_restore_release(be, BKT, "obj", RS_MTIME, RS_ETAG) !=
					S3E_OK)
					_exit(4);
		}
		usleep(2000 + 7000 * (useconds_t)round);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		assert_int_equal(posix_open_opts(f->dir, &f->tiers.opts, &f->be), S3E_OK);
		assert_bytes(f->be, "obj", d, size, NULL);
		assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
		assert_int_equal(count_files(f->dir, "tmp") + count_files(f->tiers.c, "tmp"), 0);
		assert_int_equal(count_files(f->tiers.c, "objects"), 1);
		home = count_files(f->dir, "objects");
		assert_int_equal(backend_object_head(f->be, BKT, "obj", &m), S3E_OK);
		if (m.restore_state == RESTORE_DONE)
			assert_int_equal(home, 1);
		else
			assert_true(home <= 1); /* at most a killed run's copy, named by nothing */
		/* finish the cycle: a run absorbs any leftover, the release removes it */
		if (m.restore_state == RESTORE_NONE)
			assert_int_equal(rs_request(f, "obj", 1800000000000LL, &err), RESTORE_NONE);
		if (m.restore_state != RESTORE_DONE)
			assert_int_equal(rs_run(f, "obj"), S3E_OK);
		obj_meta_free(&m);
		assert_int_equal(count_files(f->dir, "objects"), 1);
		assert_bytes(f->be, "obj", d, size, NULL);
		assert_int_equal(rs_release(f, "obj"), S3E_OK);
		assert_home_glacier(f, 0, 1);
	}
	free(d);
}

/* A v6 index gains the restore columns: old rows have none, and restores work. */
static void test_migrate_v6(void **state)
{
	struct fx *f = *state;
	s3err_t err;

	open_tiers(f, 3);
	assert_int_equal(put_in(f->be, "old", "v6 bytes", 8, "GLACIER", NULL, NULL, false), S3E_OK);
	backend_close(f->be);
	f->be = NULL;
	index_exec(f->dir, DOWNGRADE_TO_V6);
	assert_int_equal(
	    index_int(f->dir, "SELECT count(*) FROM pragma_table_info('objects') WHERE name LIKE "
			      "'restore%'"),
	    0);
	assert_int_equal(posix_open_opts(f->dir, &f->tiers.opts, &f->be), S3E_OK);
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 12);
	assert_int_equal(
	    index_int(f->dir,
		      "SELECT count(*) FROM sqlite_schema WHERE name = 'objects_restoring'"),
	    1);
	assert_restore(f, "old", RESTORE_NONE, 0);
	assert_content(f->be, BKT, "old", "v6 bytes");
	assert_int_equal(rs_request(f, "old", 1800000000000LL, &err), RESTORE_NONE);
	assert_int_equal(rs_run(f, "old"), S3E_OK);
	assert_home_glacier(f, 1, 1);
	open_tiers(f, 3);
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 12);
	assert_restore(f, "old", RESTORE_DONE, 1800000000000LL);
	assert_content(f->be, BKT, "old", "v6 bytes");
}

/* --- versioning (V1..V9 in posix_versions.c) --- */

/* PUTs text at BKT/key and returns the version id the commit reports. */
static void put_version(struct backend *be, const char *key, const char *text,
			char vid[STRATA_VERSION_ID_MAX])
{
	struct be_writer *w = NULL;
	struct obj_meta m;

	assert_int_equal(backend_writer_open(be, BKT, key, strlen(text), &w), S3E_OK);
	assert_int_equal(backend_writer_write(be, w, text, strlen(text)), S3E_OK);
	assert_int_equal(backend_writer_version(be, w, vid), S3E_OK);
	meta_for(&m, strlen(text), "0123456789abcdef0123456789abcdef");
	assert_int_equal(backend_writer_commit(be, w, &m), S3E_OK);
}

struct vlist {
	size_t n;
	char vid[8][STRATA_VERSION_ID_MAX];
	bool marker[8], latest[8];
};

static bool collect_version(void *ctx, const char *key, const struct obj_meta *m, bool latest)
{
	struct vlist *l = ctx;

	(void)key;
	if (l->n == 8)
		return false;
	snprintf(l->vid[l->n], sizeof(l->vid[0]), "%s", m->version_id);
	l->marker[l->n] = m->delete_marker;
	l->latest[l->n] = latest;
	l->n++;
	return true;
}

static void versions_of(struct backend *be, const char *key, struct vlist *l)
{
	memset(l, 0, sizeof(*l));
	assert_int_equal(backend_version_scan(be, BKT, key, NULL, key, 100, collect_version, l),
			 S3E_OK);
}

static void enable_versioning(struct backend *be, const char *state)
{
	assert_int_equal(backend_bucket_config_put(be, BKT, "versioning", state, strlen(state)),
			 S3E_OK);
}

/* Overwrites keep versions (their files too); markers hide the key; deletes by id promote. */
static void test_versions_flow(void **state)
{
	struct fx *f = *state;
	char v1[STRATA_VERSION_ID_MAX], v2[STRATA_VERSION_ID_MAX], nv[STRATA_VERSION_ID_MAX];
	struct delete_result res;
	struct obj_meta m;
	struct vlist l;

	assert_true(backend_can_version(f->be));
	put_version(f->be, "k", "before", nv);
	assert_string_equal(nv, ""); /* never versioned: no id */
	enable_versioning(f->be, "Enabled");
	put_version(f->be, "k", "one", v1);
	put_version(f->be, "k", "two", v2);
	assert_int_equal(strlen(v1), VERSIONS_ID_LEN);
	assert_string_not_equal(v1, v2);
	assert_int_equal(count_files(f->dir, "objects"), 3);
	versions_of(f->be, "k", &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.vid[0], v2);
	assert_string_equal(l.vid[1], v1);
	assert_string_equal(l.vid[2], "null");
	assert_true(l.latest[0] && !l.latest[1] && !l.latest[2]);
	assert_content(f->be, BKT, "k", "two");
	obj_meta_init(&m);
	assert_int_equal(backend_object_head_v(f->be, BKT, "k", "null", &m), S3E_OK);
	assert_int_equal(m.size, 6);
	assert_string_equal(m.version_id, "null");
	obj_meta_free(&m);
	assert_int_equal(
	    backend_object_head_v(f->be, BKT, "k", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &m),
	    S3E_NoSuchVersion);

	/* A delete makes a marker: the key reads as absent, the marker by id as 405. */
	assert_int_equal(backend_object_delete_v(f->be, BKT, "k", NULL, NULL, 0, &res), S3E_OK);
	assert_true(res.delete_marker);
	obj_meta_init(&m);
	assert_int_equal(backend_object_head_v(f->be, BKT, "k", NULL, &m), S3E_NoSuchKey);
	assert_true(m.delete_marker);
	assert_string_equal(m.version_id, res.version_id);
	assert_int_equal(backend_object_head_v(f->be, BKT, "k", res.version_id, &m),
			 S3E_MethodNotAllowed);
	assert_int_equal(backend_bucket_delete(f->be, BKT), S3E_BucketNotEmpty); /* V8 */

	/* Deleting the marker undeletes v2; deleting v2 makes v1 current; its file goes. */
	snprintf(nv, sizeof(nv), "%s", res.version_id);
	assert_int_equal(backend_object_delete_v(f->be, BKT, "k", nv, NULL, 0, &res), S3E_OK);
	assert_true(res.delete_marker);
	assert_content(f->be, BKT, "k", "two");
	assert_int_equal(backend_object_delete_v(f->be, BKT, "k", v2, NULL, 0, &res), S3E_OK);
	assert_content(f->be, BKT, "k", "one");
	assert_int_equal(count_files(f->dir, "objects"), 2);
	versions_of(f->be, "k", &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.vid[0], v1);
	assert_true(l.latest[0]);

	/* Suspended: a write replaces the null version, wherever it is (V6). */
	enable_versioning(f->be, "Suspended");
	put_version(f->be, "k", "n2", nv);
	assert_string_equal(nv, "null");
	versions_of(f->be, "k", &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.vid[0], "null");
	assert_string_equal(l.vid[1], v1);
	assert_int_equal(count_files(f->dir, "objects"), 2);
	assert_content(f->be, BKT, "k", "n2");
}

/* --- object lock (L1..L4 in posix_lock.c) --- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* PUTs text at bucket/key asking for a lock; returns the commit's answer and version id. */
static s3err_t put_locked(struct backend *be, const char *bucket, const char *key, const char *text,
			  int mode, int64_t until_ms, bool hold, char vid[STRATA_VERSION_ID_MAX])
{
	struct be_writer *w = NULL;
	struct obj_meta m;

	assert_int_equal(backend_writer_open(be, bucket, key, strlen(text), &w), S3E_OK);
	assert_int_equal(backend_writer_write(be, w, text, strlen(text)), S3E_OK);
	assert_int_equal(backend_writer_version(be, w, vid), S3E_OK);
	meta_for(&m, strlen(text), "0123456789abcdef0123456789abcdef");
	m.lock_mode = mode;
	m.lock_until_ms = until_ms;
	m.legal_hold = hold;
	return backend_writer_commit(be, w, &m);
}

static void lock_of(struct backend *be, const char *key, const char *vid, int *mode, int64_t *until,
		    bool *hold)
{
	struct obj_meta m;

	obj_meta_init(&m);
	assert_int_equal(backend_object_head_v(be, BKT, key, vid, &m), S3E_OK);
	*mode = m.lock_mode;
	*until = m.lock_until_ms;
	*hold = m.legal_hold;
	obj_meta_free(&m);
}

static s3err_t del_v(struct backend *be, const char *key, const char *vid, bool bypass)
{
	struct delete_result res;

	return backend_object_delete_v(be, BKT, key, vid, NULL,
				       bypass ? BACKEND_DELETE_BYPASS_GOVERNANCE : 0, &res);
}

/* L2: lock needs Enabled versioning; a locked bucket is created with both at once. */
static void test_lock_bucket_config(void **state)
{
	struct fx *f = *state;
	struct bucket_info b = {"locked", "AKIDEXAMPLE", "", 2, true};
	char doc[OBJLOCK_DOC_MAX], vid[STRATA_VERSION_ID_MAX];
	size_t len = 0;
	bool found = false;

	assert_true(backend_can_lock(f->be));
	assert_int_equal(backend_bucket_lock_put(f->be, BKT, "Enabled", 7), S3E_InvalidBucketState);
	enable_versioning(f->be, "Suspended");
	assert_int_equal(backend_bucket_lock_put(f->be, BKT, "Enabled", 7), S3E_InvalidBucketState);
	/* Asking a lock in a bucket without lock: InvalidRequest, nothing written. */
	assert_int_equal(
	    put_locked(f->be, BKT, "k", "x", OBJLOCK_GOVERNANCE, now_ms() + 60000, false, vid),
	    S3E_InvalidRequest);
	assert_int_equal(backend_object_head_v(f->be, BKT, "k", NULL, &(struct obj_meta){0}),
			 S3E_NoSuchKey);
	enable_versioning(f->be, "Enabled");
	assert_int_equal(backend_bucket_lock_put(f->be, BKT, "Enabled", 7), S3E_OK);
	assert_int_equal(backend_bucket_lock_put(f->be, "nope", "Enabled", 7), S3E_NoSuchBucket);

	assert_int_equal(backend_bucket_create(f->be, &b), S3E_OK);
	assert_int_equal(backend_bucket_config_get(f->be, "locked", "versioning", doc, sizeof(doc),
						   &len, &found),
			 S3E_OK);
	assert_true(found);
	assert_memory_equal(doc, "Enabled", 7);
	assert_int_equal(backend_bucket_config_get(f->be, "locked", OBJLOCK_BUCKET_CONFIG, doc,
						   sizeof(doc), &len, &found),
			 S3E_OK);
	assert_true(found && len == 7);
	assert_int_equal(
	    put_locked(f->be, "locked", "k", "x", OBJLOCK_COMPLIANCE, now_ms() + 60000, false, vid),
	    S3E_OK);
	assert_int_equal(strlen(vid), VERSIONS_ID_LEN);
	/* L2: the write of a lock-enabled bucket's versioning refuses all but Enabled. */
	assert_int_equal(backend_bucket_config_put(f->be, "locked", "versioning", "Suspended", 9),
			 S3E_InvalidBucketState);
	assert_int_equal(backend_bucket_config_delete(f->be, "locked", "versioning"),
			 S3E_InvalidBucketState);
	assert_int_equal(backend_bucket_config_put(f->be, "locked", "versioning", "Enabled", 7),
			 S3E_OK);
	assert_int_equal(backend_bucket_config_get(f->be, "locked", "versioning", doc, sizeof(doc),
						   &len, &found),
			 S3E_OK);
	assert_true(found && len == 7 && memcmp(doc, "Enabled", 7) == 0);
	/* A failed create of a locked bucket leaves no documents behind. */
	assert_int_equal(backend_bucket_create(f->be, &b), S3E_BucketAlreadyExists);
}

/* L3: a version under retention or legal hold is not deleted by id, current or not. */
static void test_lock_enforced(void **state)
{
	struct fx *f = *state;
	char vc[STRATA_VERSION_ID_MAX], vg[STRATA_VERSION_ID_MAX], vh[STRATA_VERSION_ID_MAX];
	char vs[STRATA_VERSION_ID_MAX], top[STRATA_VERSION_ID_MAX];
	struct delete_result res;
	int64_t hour = now_ms() + 3600000, until;
	int mode;
	bool hold;

	enable_versioning(f->be, "Enabled");
	assert_int_equal(backend_bucket_lock_put(f->be, BKT, "Enabled", 7), S3E_OK);
	assert_int_equal(put_locked(f->be, BKT, "c", "comp", OBJLOCK_COMPLIANCE, hour, false, vc),
			 S3E_OK);
	assert_int_equal(put_locked(f->be, BKT, "g", "gov", OBJLOCK_GOVERNANCE, hour, false, vg),
			 S3E_OK);
	assert_int_equal(put_locked(f->be, BKT, "h", "held", OBJLOCK_NONE, 0, true, vh), S3E_OK);
	assert_int_equal(
	    put_locked(f->be, BKT, "s", "short", OBJLOCK_COMPLIANCE, now_ms() + 1200, false, vs),
	    S3E_OK);
	lock_of(f->be, "c", vc, &mode, &until, &hold);
	assert_int_equal(mode, OBJLOCK_COMPLIANCE);
	assert_int_equal(until, hour);
	assert_false(hold);

	/* COMPLIANCE: nobody, bypass or not. */
	assert_int_equal(del_v(f->be, "c", vc, false), S3E_AccessDenied);
	assert_int_equal(del_v(f->be, "c", vc, true), S3E_AccessDenied);
	/* A delete without id only adds a marker; the version (now noncurrent, L1) stays locked. */
	assert_int_equal(backend_object_delete_v(f->be, BKT, "c", NULL, NULL, 0, &res), S3E_OK);
	assert_true(res.delete_marker);
	assert_int_equal(del_v(f->be, "c", vc, true), S3E_AccessDenied);
	lock_of(f->be, "c", vc, &mode, &until, &hold);
	assert_int_equal(mode, OBJLOCK_COMPLIANCE);
	/* An overwrite keeps it too: the old row moves whole. */
	assert_int_equal(put_locked(f->be, BKT, "g", "gov2", OBJLOCK_NONE, 0, false, top), S3E_OK);
	assert_int_equal(del_v(f->be, "g", vg, false), S3E_AccessDenied);
	assert_int_equal(del_v(f->be, "g", top, false), S3E_OK); /* unlocked: goes */
	/* GOVERNANCE yields to the bypass. */
	assert_int_equal(del_v(f->be, "g", vg, true), S3E_OK);
	assert_int_equal(backend_object_head_v(f->be, BKT, "g", vg, &(struct obj_meta){0}),
			 S3E_NoSuchVersion);
	/* Legal hold: nobody, until it is released. */
	assert_int_equal(del_v(f->be, "h", vh, true), S3E_AccessDenied);
	assert_int_equal(
	    backend_object_lock_set(f->be, BKT, "h", vh, &(struct lock_change){.set_hold = true}),
	    S3E_OK);
	lock_of(f->be, "h", vh, &mode, &until, &hold);
	assert_false(hold);
	assert_int_equal(del_v(f->be, "h", vh, false), S3E_OK);
	/* A short retention passes: refused now, deleted a moment after its date. */
	assert_int_equal(del_v(f->be, "s", vs, true), S3E_AccessDenied);
	usleep(1500 * 1000);
	assert_int_equal(del_v(f->be, "s", vs, false), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 1); /* only c's locked version is left */
}

/* object_lock_set: COMPLIANCE only extends; GOVERNANCE shortens with the bypass. */
static void test_lock_change_rules(void **state)
{
	struct fx *f = *state;
	char vc[STRATA_VERSION_ID_MAX], vg[STRATA_VERSION_ID_MAX];
	int64_t hour = now_ms() + 3600000, until;
	struct lock_change ch = {.set_retention = true};
	int mode;
	bool hold;

	enable_versioning(f->be, "Enabled");
	assert_int_equal(backend_bucket_lock_put(f->be, BKT, "Enabled", 7), S3E_OK);
	assert_int_equal(put_locked(f->be, BKT, "c", "comp", OBJLOCK_COMPLIANCE, hour, false, vc),
			 S3E_OK);
	assert_int_equal(put_locked(f->be, BKT, "g", "gov", OBJLOCK_GOVERNANCE, hour, false, vg),
			 S3E_OK);
	/* COMPLIANCE */
	ch.mode = OBJLOCK_COMPLIANCE;
	ch.until_ms = hour - 1000;
	ch.bypass_governance = true;
	assert_int_equal(backend_object_lock_set(f->be, BKT, "c", vc, &ch), S3E_AccessDenied);
	ch.mode = OBJLOCK_GOVERNANCE;
	ch.until_ms = hour + 1000;
	assert_int_equal(backend_object_lock_set(f->be, BKT, "c", vc, &ch), S3E_AccessDenied);
	ch.mode = OBJLOCK_NONE;
	ch.until_ms = 0;
	assert_int_equal(backend_object_lock_set(f->be, BKT, "c", NULL, &ch), S3E_AccessDenied);
	ch.mode = OBJLOCK_COMPLIANCE;
	ch.until_ms = hour + 1000;
	ch.bypass_governance = false;
	assert_int_equal(backend_object_lock_set(f->be, BKT, "c", vc, &ch), S3E_OK);
	lock_of(f->be, "c", NULL, &mode, &until, &hold);
	assert_int_equal(until, hour + 1000);
	/* GOVERNANCE: even hardening it to COMPLIANCE needs the bypass (AWS). */
	ch.mode = OBJLOCK_COMPLIANCE;
	ch.until_ms = hour + 1000;
	assert_int_equal(backend_object_lock_set(f->be, BKT, "g", vg, &ch), S3E_AccessDenied);
	ch.mode = OBJLOCK_GOVERNANCE;
	ch.until_ms = hour - 1000;
	assert_int_equal(backend_object_lock_set(f->be, BKT, "g", vg, &ch), S3E_AccessDenied);
	ch.until_ms = hour + 1000;
	assert_int_equal(backend_object_lock_set(f->be, BKT, "g", vg, &ch), S3E_OK);
	ch.mode = OBJLOCK_NONE;
	ch.until_ms = 0;
	assert_int_equal(backend_object_lock_set(f->be, BKT, "g", vg, &ch), S3E_AccessDenied);
	ch.bypass_governance = true;
	assert_int_equal(backend_object_lock_set(f->be, BKT, "g", vg, &ch), S3E_OK);
	lock_of(f->be, "g", vg, &mode, &until, &hold);
	assert_int_equal(mode, OBJLOCK_NONE);
	assert_int_equal(until, 0);
	assert_int_equal(del_v(f->be, "g", vg, false), S3E_OK);
	/* Unknown versions and keys. */
	assert_int_equal(backend_object_lock_set(f->be, BKT, "g", vg, &ch), S3E_NoSuchVersion);
	assert_int_equal(backend_object_lock_set(f->be, BKT, "none", NULL, &ch), S3E_NoSuchKey);
}

/* L4: the bucket's default retention applies when a write asks none; it survives a reopen. */
static void test_lock_default_retention(void **state)
{
	struct fx *f = *state;
	static const char doc[] = "Enabled GOVERNANCE D 1";
	char v1[STRATA_VERSION_ID_MAX], v2[STRATA_VERSION_ID_MAX];
	int64_t until, later = now_ms() + 7 * 86400000LL;
	int mode;
	bool hold;

	enable_versioning(f->be, "Enabled");
	assert_int_equal(backend_bucket_lock_put(f->be, BKT, doc, sizeof(doc) - 1), S3E_OK);
	put_version(f->be, "d", "dflt", v1);
	lock_of(f->be, "d", v1, &mode, &until, &hold);
	assert_int_equal(mode, OBJLOCK_GOVERNANCE);
	assert_int_equal(until, 1700000000123 + 86400000LL); /* from the version's mtime */
	assert_int_equal(put_locked(f->be, BKT, "d", "own", OBJLOCK_COMPLIANCE, later, true, v2),
			 S3E_OK);
	reopen(f);
	lock_of(f->be, "d", v2, &mode, &until, &hold);
	assert_int_equal(mode, OBJLOCK_COMPLIANCE);
	assert_int_equal(until, later);
	assert_true(hold);
	lock_of(f->be, "d", v1, &mode, &until, &hold);
	assert_int_equal(mode, OBJLOCK_GOVERNANCE);
}

/* A v8 index gains versioning: old rows are null versions, and versioning works. */
static void test_migrate_v8(void **state)
{
	struct fx *f = *state;
	char vid[STRATA_VERSION_ID_MAX];
	struct obj_meta m;
	struct vlist l;

	assert_int_equal(put(f->be, BKT, "old", "v8 bytes"), S3E_OK);
	backend_close(f->be);
	f->be = NULL;
	index_exec(f->dir, DOWNGRADE_TO_V8);
	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 12);
	obj_meta_init(&m);
	assert_int_equal(backend_object_head_v(f->be, BKT, "old", NULL, &m), S3E_OK);
	assert_string_equal(m.version_id, "");
	obj_meta_free(&m);
	enable_versioning(f->be, "Enabled");
	put_version(f->be, "old", "new", vid);
	versions_of(f->be, "old", &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.vid[0], vid);
	assert_string_equal(l.vid[1], "null");
	assert_content(f->be, BKT, "old", "new");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_buckets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bucket_list_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bucket_count_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_object, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_if_unchanged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overwrite, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_after_bucket_deleted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_odd_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan_chunks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listing_over_posix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_index_reserve, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_open_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leftovers_swept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kill_during_upload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrency, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overwrite_storm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_framed_storage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verified_ms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_frame, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_legacy_v2_plain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_object, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_sizes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seal_misuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_ignores_plain_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sse_rewrap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sse_rewrap_resumes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sse_rewrap_targets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v4, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bucket_configs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tier_placement, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tier_transitions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tier_unwritable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tier_open_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tier_gc_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v5, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tier_kill_during_transition, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tier_concurrent_reads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_single, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_sealed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_at_home, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_overwrite, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_blocks_transition, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_due, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_kill_during_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v6, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_versions_flow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_bucket_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_enforced, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_change_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_default_retention, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v8, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote_tier_unreachable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
