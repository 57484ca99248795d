/*
 * Unit tests for the posix scrubber (backends/posix_scrub.c): a real
 * backend in a fresh temporary directory per test, objects written through
 * the backend_* wrappers, then data files damaged on disk the way bitrot,
 * a bad disk or an operator would, and backend_scrub must name exactly the
 * damaged objects with the right problem.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* mkdtemp, nftw, utimes */
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "../../backends/posix.h"
#include "posix_fixture.h"
#include "../../common/keyring.h"
#include "../../common/log.h"
#include "../../common/sse.h"

#define BKT "bkt"
#define MAXF 16 /* findings a test collects */
#define KIB 1024u

struct fx {
	char dir[64];
	struct backend *be;
	struct keyring *keys;	    /* posix_opts.keys of be, or NULL; freed after be */
	struct fixture_tiers tiers; /* set by open_tiers */
};

struct found {
	struct scrub_finding f[MAXF];
	size_t n;
	volatile bool stop;
	bool stop_after_first; /* sets stop from the callback */
};

static uint8_t *pattern_buf(size_t len, unsigned seed)
{
	uint8_t *b = malloc(len ? len : 1);
	size_t i;

	assert_non_null(b);
	for (i = 0; i < len; i++)
		b[i] = (uint8_t)((i * 31u + seed * 7u + (i >> 9)) & 0xff);
	return b;
}

/* PUTs size pattern bytes at key. */
static void put_object(struct backend *be, const char *key, size_t size, unsigned seed)
{
	uint8_t *data = pattern_buf(size, seed);
	struct be_writer *w = NULL;
	struct obj_meta m;

	assert_int_equal(backend_writer_open(be, BKT, key, size, &w), S3E_OK);
	assert_int_equal(backend_writer_write(be, w, data, size), S3E_OK);
	fixture_meta_for(&m, data, size);
	assert_int_equal(backend_writer_commit(be, w, &m), S3E_OK);
	free(data);
}

static void put_part(struct backend *be, const char *upload, unsigned number, const uint8_t *data,
		     size_t len, struct complete_part *cp)
{
	struct be_writer *w = NULL;
	struct part_info p;

	assert_int_equal(backend_part_writer_open(be, BKT, upload, number, len, &w), S3E_OK);
	assert_int_equal(backend_writer_write(be, w, data, len), S3E_OK);
	memset(&p, 0, sizeof(p));
	p.number = number;
	p.size = len;
	p.mtime_ms = 1700000000000;
	snprintf(p.etag, sizeof(p.etag), "%032x", number);
	fixture_sha256(data, len, p.sha256_hex);
	assert_int_equal(backend_part_commit(be, w, &p), S3E_OK);
	if (cp) {
		cp->number = number;
		memcpy(cp->etag, p.etag, sizeof(cp->etag));
	}
}

/* Starts an upload of key and commits nparts parts of part_size bytes (seeded by number). */
static void upload_parts(struct backend *be, const char *key, unsigned nparts, size_t part_size,
			 char upload[STRATA_UPLOAD_ID_MAX], struct complete_part *cps,
			 uint8_t **whole)
{
	uint8_t *all = malloc(nparts * part_size);
	struct obj_meta m;
	unsigned i;

	assert_non_null(all);
	obj_meta_init(&m);
	assert_int_equal(backend_upload_create(be, BKT, key, &m, upload), S3E_OK);
	for (i = 0; i < nparts; i++) {
		uint8_t *d = pattern_buf(part_size, 100 + i);

		memcpy(all + i * part_size, d, part_size);
		put_part(be, upload, i + 1, d, part_size, &cps[i]);
		free(d);
	}
	*whole = all;
}

/* A multipart object of nparts parts of part_size bytes. */
static void put_multipart(struct backend *be, const char *key, unsigned nparts, size_t part_size)
{
	char upload[STRATA_UPLOAD_ID_MAX];
	struct complete_part cps[8];
	struct obj_meta m;
	uint8_t *all;

	assert_true(nparts <= 8);
	upload_parts(be, key, nparts, part_size, upload, cps, &all);
	fixture_meta_for(&m, all, nparts * part_size);
	snprintf(m.etag, sizeof(m.etag), "0123456789abcdef0123456789abcdef-%u", nparts);
	m.parts_count = nparts;
	assert_int_equal(backend_upload_complete(be, BKT, upload, cps, nparts, &m), S3E_OK);
	free(all);
}

/* Runs sql on the index with text parameters p1, p2 (NULL: unbound); first column of the first row.
 */
static void index_text(const char *dir, const char *sql, const char *p1, const char *p2, char *out,
		       size_t cap)
{
	char path[256];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	snprintf(path, sizeof(path), "%s/index.db", dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (p1)
		sqlite3_bind_text(st, 1, p1, -1, SQLITE_TRANSIENT);
	if (p2)
		sqlite3_bind_text(st, 2, p2, -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The id of key's data file (layout 0), or of its part idx (layout 1, idx >= 1). */
static void file_of(struct fx *f, const char *key, int idx, char id[40])
{
	char sidx[16];

	if (idx == 0) {
		index_text(f->dir, "SELECT object_id FROM objects WHERE bucket = ?1 AND key = ?2",
			   BKT, key, id, 40);
		return;
	}
	snprintf(sidx, sizeof(sidx), "%d", idx);
	index_text(
	    f->dir,
	    "SELECT object_id FROM object_parts WHERE key = ?1 AND idx = CAST(?2 AS INTEGER)", key,
	    sidx, id, 40);
}

static void path_of(const struct fx *f, const char *id, char *out, size_t cap)
{
	snprintf(out, cap, "%s/objects/%.2s/%s", f->dir, id, id);
}

static long long verified_ms(struct fx *f, const char *key)
{
	char v[32];

	index_text(f->dir, "SELECT verified_ms FROM objects WHERE bucket = ?1 AND key = ?2", BKT,
		   key, v, sizeof(v));
	return strtoll(v, NULL, 10);
}

static void flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, off), 1);
	c ^= 0x01;
	assert_int_equal(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

static void on_finding(void *ctx, const struct scrub_finding *fi)
{
	struct found *fd = ctx;

	if (fd->n < MAXF)
		fd->f[fd->n] = *fi;
	fd->n++;
	if (fd->stop_after_first)
		fd->stop = true;
}

static void scrub(struct fx *f, uint64_t bps, struct found *out, struct scrub_stats *st)
{
	assert_int_equal(backend_scrub(f->be, bps, &out->stop, on_finding, out, st), S3E_OK);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/strata-scrub-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	{
		struct bucket_info b;

		memset(&b, 0, sizeof(b));
		snprintf(b.name, sizeof(b.name), BKT);
		snprintf(b.owner, sizeof(b.owner), "root");
		assert_int_equal(backend_bucket_create(f->be, &b), S3E_OK);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	backend_close(f->be);
	keyring_free(f->keys);
	fixture_remove_dir(f->dir);
	free(f);
	return 0;
}

/* The standard population: three single-PUT objects and one multipart object. */
static void populate(struct fx *f)
{
	put_object(f->be, "a-small", 1000, 1);
	put_object(f->be, "b-three-frames", 200 * KIB, 2);
	put_object(f->be, "c-empty", 0, 3);
	put_multipart(f->be, "d-multi", 3, 70 * KIB);
}

/* --- tests --- */

static void test_clean_store(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	struct scrub_stats st = {0};

	populate(f);
	assert_int_equal(verified_ms(f, "a-small"), 0);
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 0);
	assert_int_equal(st.objects, 4);
	assert_int_equal(st.bytes, 1000 + 200 * KIB + 3 * 70 * KIB);
	assert_int_equal(st.problems, 0);
	assert_true(verified_ms(f, "a-small") > 1700000000000LL);
	assert_true(verified_ms(f, "b-three-frames") > 1700000000000LL);
	assert_true(verified_ms(f, "c-empty") > 1700000000000LL);
	assert_true(verified_ms(f, "d-multi") > 1700000000000LL);
}

static void test_flipped_byte(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	struct scrub_stats st = {0};
	char id[40], path[256];

	populate(f);
	file_of(f, "b-three-frames", 0, id);
	path_of(f, id, path, sizeof(path));
	/* A byte in the middle of frame 1 (frames are 64 KiB + a 32-byte tag). */
	flip_byte(path, 65536 + 32 + 1000);
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.f[0].problem, SCRUB_CORRUPT);
	assert_string_equal(fd.f[0].bucket, BKT);
	assert_string_equal(fd.f[0].key, "b-three-frames");
	assert_string_equal(fd.f[0].file_id, id);
	assert_non_null(strstr(fd.f[0].detail, "frame 1 of 4"));
	assert_int_equal(st.problems, 1);
	assert_int_equal(verified_ms(f, "b-three-frames"), 0);
	assert_true(verified_ms(f, "a-small") > 0);
}

static void test_flipped_tag_byte(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	char id[40], path[256];

	populate(f);
	file_of(f, "a-small", 0, id);
	path_of(f, id, path, sizeof(path));
	flip_byte(path, 1000 + 5); /* inside the tag of the only frame */
	scrub(f, 0, &fd, NULL);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.f[0].problem, SCRUB_CORRUPT);
	assert_string_equal(fd.f[0].key, "a-small");
}

static void test_truncated(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	char id[40], path[256];

	populate(f);
	file_of(f, "b-three-frames", 0, id);
	path_of(f, id, path, sizeof(path));
	assert_int_equal(truncate(path, 100 * KIB), 0);
	scrub(f, 0, &fd, NULL);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.f[0].problem, SCRUB_TRUNCATED);
	assert_string_equal(fd.f[0].key, "b-three-frames");
	assert_string_equal(fd.f[0].file_id, id);
}

static void test_missing(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	char id[40], path[256];

	populate(f);
	file_of(f, "c-empty", 0, id);
	path_of(f, id, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	scrub(f, 0, &fd, NULL);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.f[0].problem, SCRUB_MISSING_DATA);
	assert_string_equal(fd.f[0].key, "c-empty");
	assert_string_equal(fd.f[0].file_id, id);
}

static void test_orphan(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	const char *old_id = "ab0123456789abcdef0123456789abcd";
	const char *young_id = "ab11111111111111111111111111111f";
	struct timeval tv[2];
	char path[256];
	FILE *fp;

	populate(f);
	path_of(f, old_id, path, sizeof(path));
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("stray", fp);
	fclose(fp);
	tv[0].tv_sec = tv[1].tv_sec = time(NULL) - 3600;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	assert_int_equal(utimes(path, tv), 0);
	/* A young file may be a writer between rename and index commit: not reported. */
	path_of(f, young_id, path, sizeof(path));
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	scrub(f, 0, &fd, NULL);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.f[0].problem, SCRUB_ORPHAN_DATA);
	assert_string_equal(fd.f[0].file_id, old_id);
	assert_string_equal(fd.f[0].key, "");
}

static void test_multipart_corrupt_part(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	char id[40], path[256];

	populate(f);
	file_of(f, "d-multi", 2, id);
	path_of(f, id, path, sizeof(path));
	flip_byte(path, 10);
	scrub(f, 0, &fd, NULL);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.f[0].problem, SCRUB_CORRUPT);
	assert_string_equal(fd.f[0].key, "d-multi");
	assert_string_equal(fd.f[0].file_id, id);
	assert_int_equal(verified_ms(f, "d-multi"), 0);
}

static void test_multipart_missing_part(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	char id[40], path[256];

	populate(f);
	file_of(f, "d-multi", 3, id);
	path_of(f, id, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	scrub(f, 0, &fd, NULL);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.f[0].problem, SCRUB_MISSING_DATA);
	assert_string_equal(fd.f[0].key, "d-multi");
	assert_string_equal(fd.f[0].file_id, id);
}

static void test_active_upload_part(void **state)
{
	struct fx *f = *state;
	char upload[STRATA_UPLOAD_ID_MAX], id[40], path[256];
	struct complete_part cps[2];
	struct found fd = {0};
	uint8_t *all;

	populate(f);
	upload_parts(f->be, "e-pending", 2, 5000, upload, cps, &all);
	free(all);
	scrub(f, 0, &fd, NULL);
	assert_int_equal(fd.n, 0);
	index_text(f->dir, "SELECT object_id FROM parts WHERE upload_id = ?1 AND number = 2",
		   upload, NULL, id, sizeof(id));
	path_of(f, id, path, sizeof(path));
	flip_byte(path, 4999);
	scrub(f, 0, &fd, NULL);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.f[0].problem, SCRUB_CORRUPT);
	assert_string_equal(fd.f[0].key, "e-pending");
	assert_string_equal(fd.f[0].file_id, id);
}

/* Every kind of damage at once: each found once, and nothing else. */
static void test_all_found(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	struct scrub_stats st = {0};
	char id[4][40], path[256];
	bool seen[4] = {false, false, false, false};
	size_t i;

	populate(f);
	put_object(f->be, "z-fine", 3000, 9);
	file_of(f, "a-small", 0, id[0]);
	file_of(f, "b-three-frames", 0, id[1]);
	file_of(f, "c-empty", 0, id[2]);
	file_of(f, "d-multi", 1, id[3]);
	path_of(f, id[0], path, sizeof(path));
	flip_byte(path, 0);
	path_of(f, id[1], path, sizeof(path));
	assert_int_equal(truncate(path, 200 * KIB), 0);
	path_of(f, id[2], path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	path_of(f, id[3], path, sizeof(path));
	flip_byte(path, 65536 + 32 + 3);
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 4);
	assert_int_equal(st.problems, 4);
	for (i = 0; i < fd.n; i++) {
		if (strcmp(fd.f[i].key, "a-small") == 0 && fd.f[i].problem == SCRUB_CORRUPT)
			seen[0] = true;
		if (strcmp(fd.f[i].key, "b-three-frames") == 0 &&
		    fd.f[i].problem == SCRUB_TRUNCATED)
			seen[1] = true;
		if (strcmp(fd.f[i].key, "c-empty") == 0 && fd.f[i].problem == SCRUB_MISSING_DATA)
			seen[2] = true;
		if (strcmp(fd.f[i].key, "d-multi") == 0 && fd.f[i].problem == SCRUB_CORRUPT)
			seen[3] = true;
	}
	assert_true(seen[0] && seen[1] && seen[2] && seen[3]);
	assert_true(verified_ms(f, "z-fine") > 0);
}

static void test_stop(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	struct scrub_stats st = {0};
	char id[40], path[256];
	const char *keys[3] = {"k1", "k2", "k3"};
	size_t i;

	for (i = 0; i < 3; i++) {
		put_object(f->be, keys[i], 500, (unsigned)i);
		file_of(f, keys[i], 0, id);
		path_of(f, id, path, sizeof(path));
		flip_byte(path, 7);
	}
	/* Stopped from the first finding: the other two objects are never read. */
	fd.stop_after_first = true;
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 1);
	assert_string_equal(fd.f[0].key, "k1");
	assert_int_equal(st.objects, 1);
	/* Stopped before it starts: nothing at all. */
	memset(&fd, 0, sizeof(fd));
	fd.stop = true;
	memset(&st, 0xff, sizeof(st));
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 0);
	assert_int_equal(st.objects, 0);
	assert_int_equal(st.bytes, 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_rate_limit(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	struct scrub_stats st = {0};
	double t0, dt;

	put_object(f->be, "big", 1024 * KIB, 5);
	t0 = now_s();
	scrub(f, 0, &fd, &st);
	dt = now_s() - t0;
	assert_true(dt < 0.2); /* unlimited: well under the limited time below */
	t0 = now_s();
	scrub(f, 4 * 1024 * KIB, &fd, &st);
	dt = now_s() - t0;
	assert_int_equal(fd.n, 0);
	assert_int_equal(st.bytes, 1024 * KIB);
	/* 1 MiB (plus tags) at 4 MiB/s: at least a quarter second, minus scheduling slack. */
	assert_true(dt >= 0.2);
	assert_true(dt < 2.0);
}

/* --- encrypted objects (S6) --- */

static const uint8_t dk1[SSE_KEY_SIZE] = "data key one, thirty-two bytes!!";
static const uint8_t dk2[SSE_KEY_SIZE] = "data key two, thirty-two bytes!!";

/* How an encrypted test object is stored. */
struct enc {
	int mode;
	const uint8_t *dkey;		      /* seals the data */
	char key_id[STRATA_SSE_KEY_ID_MAX];   /* SSE-S3 */
	uint8_t env[STRATA_SSE_ENVELOPE_MAX]; /* SSE-S3: wrapped data key; SSE-C: any 48 bytes */
	size_t env_len;
	bool bad_sha; /* record the SHA-256 of other bytes */
};

static void enc_meta(struct obj_meta *m, const struct enc *e)
{
	m->sse_mode = e->mode;
	memcpy(m->sse_key_id, e->key_id, sizeof(m->sse_key_id));
	memcpy(m->sse_envelope, e->env, sizeof(m->sse_envelope));
	m->sse_envelope_len = e->env_len;
}

/* PUTs size sealed pattern bytes at key. */
static void put_sealed(struct backend *be, const char *key, size_t size, unsigned seed,
		       const struct enc *e)
{
	uint8_t *data = pattern_buf(size, seed);
	struct be_writer *w = NULL;
	struct obj_meta m;

	assert_int_equal(backend_writer_open(be, BKT, key, size, &w), S3E_OK);
	assert_int_equal(backend_writer_seal(be, w, e->dkey), S3E_OK);
	assert_int_equal(backend_writer_write(be, w, data, size), S3E_OK);
	fixture_meta_for(&m, data, size);
	if (e->bad_sha)
		fixture_sha256("other", 5, m.sha256_hex);
	enc_meta(&m, e);
	assert_int_equal(backend_writer_commit(be, w, &m), S3E_OK);
	free(data);
}

/* An encrypted multipart object of nparts parts (or, complete false, an active upload). */
static void put_sealed_multipart(struct backend *be, const char *key, unsigned nparts,
				 size_t part_size, const struct enc *e, bool complete,
				 char upload[STRATA_UPLOAD_ID_MAX])
{
	uint8_t *all = malloc(nparts * part_size);
	struct complete_part cps[8];
	struct obj_meta m;
	unsigned i;

	assert_non_null(all);
	assert_true(nparts <= 8);
	obj_meta_init(&m);
	enc_meta(&m, e);
	assert_int_equal(backend_upload_create(be, BKT, key, &m, upload), S3E_OK);
	for (i = 0; i < nparts; i++) {
		uint8_t *d = pattern_buf(part_size, 200 + i);
		struct be_writer *w = NULL;
		struct part_info p;

		memcpy(all + i * part_size, d, part_size);
		assert_int_equal(backend_part_writer_open(be, BKT, upload, i + 1, part_size, &w),
				 S3E_OK);
		assert_int_equal(backend_writer_seal(be, w, e->dkey), S3E_OK);
		assert_int_equal(backend_writer_write(be, w, d, part_size), S3E_OK);
		memset(&p, 0, sizeof(p));
		p.number = i + 1;
		p.size = part_size;
		snprintf(p.etag, sizeof(p.etag), "%032x", i + 1);
		fixture_sha256(d, part_size, p.sha256_hex);
		assert_int_equal(backend_part_commit(be, w, &p), S3E_OK);
		cps[i].number = i + 1;
		memcpy(cps[i].etag, p.etag, sizeof(cps[i].etag));
		free(d);
	}
	if (complete) {
		fixture_meta_for(&m, all, nparts * part_size);
		enc_meta(&m, e);
		m.parts_count = nparts;
		assert_int_equal(backend_upload_complete(be, BKT, upload, cps, nparts, &m), S3E_OK);
	}
	free(all);
}

/* SSE-S3 with an envelope no keyring could open (the scrub without keys never tries). */
static struct enc fake_s3(void)
{
	struct enc e = {SSE_S3, dk1, "k-absent", {0}, 60, false};

	memset(e.env, 0x42, 60);
	return e;
}

static struct enc fake_ssec(void)
{
	struct enc e = {SSE_C, dk2, "", {0}, 48, false};

	memset(e.env, 0x24, 48);
	return e;
}

/* Without keys: sealed frames are checked, the SHA-256 is not (frames_only). */
static void test_sealed_without_keys(void **state)
{
	struct fx *f = *state;
	struct enc s3 = fake_s3(), ssec = fake_ssec();
	struct found fd = {0};
	struct scrub_stats st = {0};
	char upload[STRATA_UPLOAD_ID_MAX], id[40], path[256];

	populate(f);
	s3.bad_sha = true; /* unseen without the key */
	put_sealed(f->be, "s-s3", 200 * KIB, 4, &s3);
	put_sealed(f->be, "s-ssec", 1000, 5, &ssec);
	put_sealed(f->be, "s-empty", 0, 6, &ssec);
	put_sealed_multipart(f->be, "s-multi", 2, 70 * KIB, &s3, true, upload);
	put_sealed_multipart(f->be, "s-pending", 1, 5000, &ssec, false, upload);
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 0);
	assert_int_equal(st.objects, 8);
	assert_int_equal(st.frames_only, 4);
	assert_true(verified_ms(f, "s-s3") > 1700000000000LL);
	assert_true(verified_ms(f, "s-ssec") > 1700000000000LL);
	assert_true(verified_ms(f, "s-empty") > 1700000000000LL);
	assert_true(verified_ms(f, "s-multi") > 1700000000000LL);

	/* bitrot in a sealed frame is found without any key */
	index_exec(f->dir, "UPDATE objects SET verified_ms = 0");
	file_of(f, "s-s3", 0, id);
	path_of(f, id, path, sizeof(path));
	flip_byte(path, 65536 + 32 + 1000);
	file_of(f, "s-multi", 2, id);
	path_of(f, id, path, sizeof(path));
	flip_byte(path, 65536 + 32 + 5); /* part 2's tag */
	index_text(f->dir, "SELECT object_id FROM parts WHERE upload_id = ?1 AND number = 1",
		   upload, NULL, id, sizeof(id));
	path_of(f, id, path, sizeof(path));
	flip_byte(path, 17);
	memset(&fd, 0, sizeof(fd));
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 3);
	assert_int_equal(st.problems, 3);
	assert_int_equal(st.frames_only, 2); /* the two intact encrypted objects */
	assert_int_equal(fd.f[0].problem, SCRUB_CORRUPT);
	assert_string_equal(fd.f[0].key, "s-multi");
	assert_non_null(strstr(fd.f[0].detail, "frame 1 of 2"));
	assert_int_equal(fd.f[1].problem, SCRUB_CORRUPT);
	assert_string_equal(fd.f[1].key, "s-s3");
	assert_non_null(strstr(fd.f[1].detail, "frame 1 of 4"));
	assert_int_equal(fd.f[2].problem, SCRUB_CORRUPT);
	assert_string_equal(fd.f[2].key, "s-pending");
	assert_string_equal(fd.f[2].file_id, id);
	assert_int_equal(verified_ms(f, "s-s3"), 0);
	assert_int_equal(verified_ms(f, "s-multi"), 0);
	assert_true(verified_ms(f, "s-ssec") > 0);
}

/* Reopens f's backend with a fresh keyring in f->dir/keys. */
static void open_with_keys(struct fx *f)
{
	char path[128], why[256];

	snprintf(path, sizeof(path), "%s/keys", f->dir);
	assert_int_equal(keyring_create(path, why, sizeof(why)), S3E_OK);
	assert_int_equal(keyring_load(path, &f->keys, why, sizeof(why)), S3E_OK);
	backend_close(f->be);
	f->be = NULL;
	assert_int_equal(posix_open_opts(f->dir,
					 &(struct posix_opts){.keys = f->keys, .files_only = true},
					 &f->be),
			 S3E_OK);
}

/* SSE-S3 whose envelope the keyring opens to dkey. */
static struct enc real_s3(const struct fx *f, const uint8_t *dkey, bool bad_sha)
{
	struct enc e = {SSE_S3, dkey, "", {0}, KEYRING_WRAPPED_SIZE, bad_sha};

	assert_int_equal(keyring_wrap(f->keys, dkey, e.key_id, e.env), S3E_OK);
	return e;
}

/* With the keyring: SSE-S3 objects are decrypted and their SHA-256 checked. */
static void test_sealed_with_keyring(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	struct scrub_stats st = {0};
	struct enc good, bad, lost, swapped, ssec = fake_ssec();
	char upload[STRATA_UPLOAD_ID_MAX];
	size_t i;

	open_with_keys(f);
	good = real_s3(f, dk1, false);
	bad = real_s3(f, dk1, true);
	lost = real_s3(f, dk1, false);
	snprintf(lost.key_id, sizeof(lost.key_id), "k-removed");
	swapped = real_s3(f, dk2, false); /* the envelope opens to dk2; the data is under dk1 */
	swapped.dkey = dk1;
	put_sealed(f->be, "a-good", 200 * KIB, 1, &good);
	put_sealed(f->be, "b-bad-sha", 1000, 2, &bad);
	put_sealed(f->be, "c-lost-key", 1000, 3, &lost);
	put_sealed(f->be, "d-swapped", 1000, 4, &swapped);
	put_sealed(f->be, "e-ssec", 1000, 5, &ssec);
	put_sealed_multipart(f->be, "f-multi", 3, 70 * KIB, &good, true, upload);
	put_sealed_multipart(f->be, "g-pending", 2, 5000, &good, false, upload);
	put_object(f->be, "h-plain", 3000, 6);
	scrub(f, 0, &fd, &st);

	assert_int_equal(st.objects, 7);
	assert_int_equal(st.frames_only, 1); /* SSE-C: the server never holds that key */
	assert_int_equal(fd.n, 3);
	for (i = 0; i < fd.n; i++)
		assert_int_equal(fd.f[i].problem, SCRUB_CORRUPT);
	assert_string_equal(fd.f[0].key, "b-bad-sha");
	assert_non_null(strstr(fd.f[0].detail, "SHA-256"));
	assert_string_equal(fd.f[1].key, "c-lost-key");
	assert_string_equal(fd.f[1].detail, "cannot unwrap data key under key id k-removed");
	assert_string_equal(fd.f[2].key, "d-swapped");
	assert_non_null(strstr(fd.f[2].detail, "GCM"));
	assert_true(verified_ms(f, "a-good") > 1700000000000LL);
	assert_true(verified_ms(f, "e-ssec") > 1700000000000LL);
	assert_true(verified_ms(f, "f-multi") > 1700000000000LL);
	assert_true(verified_ms(f, "h-plain") > 1700000000000LL);
	assert_int_equal(verified_ms(f, "b-bad-sha"), 0);
	assert_int_equal(verified_ms(f, "c-lost-key"), 0);
	assert_int_equal(verified_ms(f, "d-swapped"), 0);
	/* the same store without the keyring: only the frames, so nothing to report */
	backend_close(f->be);
	f->be = NULL;
	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	memset(&fd, 0, sizeof(fd));
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 0);
	assert_int_equal(st.frames_only, 6);
}

/* --- storage tiers (S7) --- */

/* Reopens f's backend with the first n tiers under f->dir (fixture_tiers_init) and f->keys. */
static void open_tiers(struct fx *f, size_t n)
{
	backend_close(f->be);
	f->be = NULL;
	fixture_tiers_init(&f->tiers, f->dir, n, f->keys);
	f->tiers.opts.files_only = true; /* these tests damage and copy data files */
	assert_int_equal(posix_open_opts(f->dir, &f->tiers.opts, &f->be), S3E_OK);
}

/* PUTs size pattern bytes at key, placed in storage class cls. */
static void put_object_in(struct backend *be, const char *key, size_t size, unsigned seed,
			  const char *cls)
{
	uint8_t *data = pattern_buf(size, seed);
	struct be_writer *w = NULL;
	struct obj_meta m;

	assert_int_equal(backend_writer_open(be, BKT, key, size, &w), S3E_OK);
	assert_int_equal(backend_writer_place(be, w, cls), S3E_OK);
	assert_int_equal(backend_writer_write(be, w, data, size), S3E_OK);
	fixture_meta_for(&m, data, size);
	snprintf(m.storage_class, sizeof(m.storage_class), "%s", cls);
	assert_int_equal(backend_writer_commit(be, w, &m), S3E_OK);
	free(data);
}

/* Copies the file at from to to with byte `flip` changed (-1: none), and makes it an hour old. */
static void copy_damaged(const char *from, const char *to, off_t flip)
{
	uint8_t buf[4096];
	struct timeval tv[2];
	ssize_t n;
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	if (flip >= 0)
		flip_byte(to, flip);
	tv[0].tv_sec = tv[1].tv_sec = time(NULL) - 3600;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	assert_int_equal(utimes(to, tv), 0);
}

/*
 * Files in tiers are verified where they are, findings about them name
 * their tier, and a copy a transition left in its target before the index
 * switch (a crash) is an orphan of that tier that no read ever touches.
 */
static void test_tiers(void **state)
{
	struct fx *f = *state;
	struct found fd = {0};
	struct scrub_stats st = {0};
	char upload[STRATA_UPLOAD_ID_MAX], id[40], from[256], to[256];
	struct complete_part cps[2];
	uint8_t *want = pattern_buf(1000, 2), got[1000];
	struct be_reader *r = NULL;
	struct obj_meta m;
	size_t n = 0;

	open_tiers(f, 2);
	put_object_in(f->be, "ia", 200 * KIB, 1, "STANDARD_IA");
	put_object(f->be, "home", 1000, 2);
	/* a multipart object in GLACIER_IR, and an active upload's part in STANDARD_IA */
	{
		uint8_t *p1 = pattern_buf(70 * KIB, 3), *p2 = pattern_buf(10, 4);
		uint8_t *all = malloc(70 * KIB + 10);

		assert_non_null(all);
		memcpy(all, p1, 70 * KIB);
		memcpy(all + 70 * KIB, p2, 10);
		obj_meta_init(&m);
		snprintf(m.storage_class, sizeof(m.storage_class), "GLACIER_IR");
		assert_int_equal(backend_upload_create(f->be, BKT, "mp", &m, upload), S3E_OK);
		put_part(f->be, upload, 1, p1, 70 * KIB, &cps[0]);
		put_part(f->be, upload, 2, p2, 10, &cps[1]);
		fixture_meta_for(&m, all, 70 * KIB + 10);
		m.parts_count = 2;
		assert_int_equal(backend_upload_complete(f->be, BKT, upload, cps, 2, &m), S3E_OK);
		free(all);
		free(p2);
		snprintf(m.storage_class, sizeof(m.storage_class), "STANDARD_IA");
		assert_int_equal(backend_upload_create(f->be, BKT, "pending", &m, upload), S3E_OK);
		put_part(f->be, upload, 1, p1, 5000, NULL);
		free(p1);
	}
	assert_int_equal(count_files(f->tiers.a, "objects"), 2);
	assert_int_equal(count_files(f->tiers.b, "objects"), 2);
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 0);
	assert_int_equal(st.objects, 3);
	assert_int_equal(st.bytes, 200 * KIB + 1000 + 70 * KIB + 10 + 5000);
	assert_true(verified_ms(f, "ia") > 1700000000000LL);
	assert_true(verified_ms(f, "mp") > 1700000000000LL);

	/* "home"'s copy in tier b, damaged, as a transition killed before its switch leaves it */
	file_of(f, "home", 0, id);
	path_of(f, id, from, sizeof(from));
	snprintf(to, sizeof(to), "%s/objects/%.2s/%s", f->tiers.b, id, id);
	copy_damaged(from, to, 100);
	memset(&fd, 0, sizeof(fd));
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.f[0].problem, SCRUB_ORPHAN_DATA);
	assert_string_equal(fd.f[0].file_id, id);
	assert_non_null(strstr(fd.f[0].detail, "tier GLACIER_IR"));
	/* the object reads from where its row says, never from the orphan */
	assert_int_equal(backend_reader_open(f->be, BKT, "home", &m, &r), S3E_OK);
	assert_int_equal(backend_reader_read(f->be, r, 0, got, sizeof(got), &n), S3E_OK);
	assert_int_equal(n, 1000);
	assert_memory_equal(got, want, 1000);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	/* a transition later makes the name its own, and the store is clean again */
	assert_int_equal(backend_object_transition(f->be, BKT, "home", 1700000000000,
						   "0123456789abcdef0123456789abcdef",
						   "GLACIER_IR"),
			 S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	memset(&fd, 0, sizeof(fd));
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 0);

	/* damage in a tier: the finding names the tier */
	file_of(f, "ia", 0, id);
	snprintf(to, sizeof(to), "%s/objects/%.2s/%s", f->tiers.a, id, id);
	flip_byte(to, 65536 + 32 + 7);
	index_text(f->dir, "SELECT object_id FROM parts WHERE upload_id = ?1", upload, NULL, id,
		   sizeof(id));
	snprintf(to, sizeof(to), "%s/objects/%.2s/%s", f->tiers.a, id, id);
	assert_int_equal(unlink(to), 0);
	memset(&fd, 0, sizeof(fd));
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 2);
	assert_int_equal(fd.f[0].problem, SCRUB_CORRUPT);
	assert_string_equal(fd.f[0].key, "ia");
	assert_non_null(strstr(fd.f[0].detail, "tier STANDARD_IA: frame 1 of 4"));
	assert_int_equal(fd.f[1].problem, SCRUB_MISSING_DATA);
	assert_string_equal(fd.f[1].key, "pending");
	assert_string_equal(fd.f[1].file_id, id);
	assert_non_null(strstr(fd.f[1].detail, "tier STANDARD_IA"));
	free(want);
}

/* --- restored copies (S8) --- */

/* Makes the file at path an hour old, so the orphan pass looks at it (S4). */
static void age(const char *path)
{
	struct timeval tv[2];

	tv[0].tv_sec = tv[1].tv_sec = time(NULL) - 3600;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	assert_int_equal(utimes(path, tv), 0);
}

/* Ages the home copies of key's data file (idx 0) or of parts 1..nparts. */
static void age_copies(struct fx *f, const char *key, int nparts)
{
	char id[40], path[256];
	int i;

	for (i = nparts ? 1 : 0; i <= nparts; i++) {
		file_of(f, key, i, id);
		path_of(f, id, path, sizeof(path));
		age(path);
	}
}

/*
 * A done restore's home copies are named (no orphans, even when old),
 * verified as readers see them (a damaged or missing copy is a finding
 * that says so); a copy a crashed run placed before its switch is an
 * orphan until a run makes it live.
 */
static void test_restores(void **state)
{
	static const char etag[] = "0123456789abcdef0123456789abcdef";
	struct fx *f = *state;
	struct found fd = {0};
	struct scrub_stats st = {0};
	char upload[STRATA_UPLOAD_ID_MAX], id[40], from[256], to[256];
	struct complete_part cps[2];
	struct obj_meta m;
	uint8_t *all = NULL;
	int state_out = -1;

	open_tiers(f, 3);
	put_object_in(f->be, "arch", 200 * KIB, 1, "GLACIER");
	/* a multipart GLACIER object: both parts in tier c */
	obj_meta_init(&m);
	snprintf(m.storage_class, sizeof(m.storage_class), "GLACIER");
	assert_int_equal(backend_upload_create(f->be, BKT, "mp", &m, upload), S3E_OK);
	all = malloc(2 * 70 * KIB);
	assert_non_null(all);
	for (int i = 0; i < 2; i++) {
		uint8_t *p = pattern_buf(70 * KIB, 20 + (unsigned)i);

		memcpy(all + (size_t)i * 70 * KIB, p, 70 * KIB);
		put_part(f->be, upload, (unsigned)i + 1, p, 70 * KIB, &cps[i]);
		free(p);
	}
	fixture_meta_for(&m, all, 2 * 70 * KIB);
	snprintf(m.etag, sizeof(m.etag), "%s-2", etag);
	m.parts_count = 2;
	assert_int_equal(backend_upload_complete(f->be, BKT, upload, cps, 2, &m), S3E_OK);
	free(all);
	assert_int_equal(count_files(f->tiers.c, "objects"), 3);

	assert_int_equal(backend_restore_request(f->be, BKT, "arch", 1800000000000LL, &state_out),
			 S3E_OK);
	assert_int_equal(backend_restore_request(f->be, BKT, "mp", 1800000000000LL, &state_out),
			 S3E_OK);
	assert_int_equal(backend_restore_run(f->be, BKT, "arch", 1700000000000, etag), S3E_OK);
	assert_int_equal(backend_restore_run(f->be, BKT, "mp", 1700000000000, m.etag), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 3);
	age_copies(f, "arch", 0);
	age_copies(f, "mp", 2);
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 0);
	assert_int_equal(st.objects, 2);
	/* each object read twice: its archived files, then its copies */
	assert_int_equal(st.bytes, 2 * (200 * KIB + 140 * KIB));

	/* a damaged copy: the archive is fine, what readers get is not */
	file_of(f, "arch", 0, id);
	path_of(f, id, to, sizeof(to));
	flip_byte(to, 100);
	memset(&fd, 0, sizeof(fd));
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.f[0].problem, SCRUB_CORRUPT);
	assert_string_equal(fd.f[0].key, "arch");
	assert_string_equal(fd.f[0].file_id, id);
	assert_non_null(strstr(fd.f[0].detail, "restored copy: frame 0 of 4"));
	flip_byte(to, 100);
	/* a copy of a part that is gone */
	file_of(f, "mp", 2, id);
	path_of(f, id, to, sizeof(to));
	assert_int_equal(unlink(to), 0);
	memset(&fd, 0, sizeof(fd));
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.f[0].problem, SCRUB_MISSING_DATA);
	assert_string_equal(fd.f[0].key, "mp");
	assert_string_equal(fd.f[0].file_id, id);
	assert_non_null(strstr(fd.f[0].detail, "restored copy"));
	/* released: the rest of its copies go, and nothing is missing any more */
	assert_int_equal(backend_restore_release(f->be, BKT, "mp", 1700000000000, m.etag), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 1);
	memset(&fd, 0, sizeof(fd));
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 0);

	/* a run killed after placing its copy, before its switch: an orphan at home */
	assert_int_equal(backend_restore_release(f->be, BKT, "arch", 1700000000000, etag), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	assert_int_equal(backend_restore_request(f->be, BKT, "arch", 1800000000000LL, &state_out),
			 S3E_OK);
	file_of(f, "arch", 0, id);
	snprintf(from, sizeof(from), "%s/objects/%.2s/%s", f->tiers.c, id, id);
	path_of(f, id, to, sizeof(to));
	copy_damaged(from, to, -1);
	memset(&fd, 0, sizeof(fd));
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.f[0].problem, SCRUB_ORPHAN_DATA);
	assert_string_equal(fd.f[0].file_id, id);
	assert_null(strstr(fd.f[0].detail, "tier")); /* in the data directory */
	/* the retried run puts its own verified copy there, and the name is live */
	assert_int_equal(backend_restore_run(f->be, BKT, "arch", 1700000000000, etag), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 1);
	age_copies(f, "arch", 0);
	memset(&fd, 0, sizeof(fd));
	scrub(f, 0, &fd, &st);
	assert_int_equal(fd.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_clean_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flipped_byte, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flipped_tag_byte, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_orphan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multipart_corrupt_part, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multipart_missing_part, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_active_upload_part, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_all_found, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_without_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_with_keyring, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tiers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restores, setup, teardown),
	};

	log_set_level(LOG_ERROR); /* findings are logged as warnings: keep the output short */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
