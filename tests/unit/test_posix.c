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
#include "posix_fixture.h"
#include "../../common/frames.h"
#include "../../common/listing.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BKT "bkt"
#define F ((uint64_t)FRAME_DATA_SIZE)
#define STRIDE ((uint64_t)FRAME_DATA_SIZE + FRAME_TAG_SIZE) /* a stored frame and its tag */

struct fx {
	char dir[64];
	struct backend *be;
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
	assert_int_equal(posix_open(f->dir, &f->be), S3E_OK);
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
	if (posix_open(f->dir, &f->be) != S3E_OK)
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

static void test_second_open_refused(void **state)
{
	struct fx *f = *state;
	struct backend *other = NULL;

	assert_int_equal(posix_open(f->dir, &other), S3E_InternalError);
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
				      "INSERT INTO gc VALUES('0123456789abcdef0123456789abcdef')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(posix_open(f->dir, &f->be), S3E_OK);
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
	assert_int_equal(sqlite3_column_int(st, 0), 3); /* schema v3 */
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
	index_exec(f->dir, "ALTER TABLE objects DROP COLUMN frames;"
			   "ALTER TABLE objects DROP COLUMN verified_ms;"
			   "ALTER TABLE parts DROP COLUMN frames;"
			   "ALTER TABLE object_parts DROP COLUMN frames;"
			   "PRAGMA user_version = 2;");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	close(fd);

	assert_int_equal(posix_open(f->dir, &f->be), S3E_OK);
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 3);
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
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 3);
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

		if (posix_open(f->dir, &be) != S3E_OK || put(be, BKT, "durable", "yes") != S3E_OK ||
		    put(be, BKT, "durable", "yes, v2") != S3E_OK ||
		    backend_writer_open(be, BKT, "partial", 0, &w) != S3E_OK ||
		    backend_writer_write(be, w, "half", 4) != S3E_OK)
			_exit(3);
		raise(SIGKILL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	assert_int_equal(posix_open(f->dir, &f->be), S3E_OK);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_buckets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bucket_list_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bucket_count_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_object, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overwrite, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_after_bucket_deleted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_odd_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan_chunks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listing_over_posix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_open_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leftovers_swept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kill_during_upload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrency, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_framed_storage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verified_ms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_frame, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_legacy_v2_plain, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
