/*
 * Unit tests of small objects kept in the index (backends/posix_inline.c,
 * I1..I5): a small PUT writes no file and survives a reopen and a crash;
 * the size limit and the spill into a file; overwrites and deletes in every
 * direction leave neither files nor rows behind (I3); sealed bytes are
 * never plaintext in the index; a damaged or truncated inline blob is
 * refused by readers and named by the scrubber, and so is inline data no
 * object names (S9); versions keep their bytes;
 * files_only writes files (I5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../backends/posix_internal.h"
#include "../../common/sse.h"
#include "posix_fixture.h"

#define BKT "inl"

static int setup(void **state)
{
	struct fixture_backend *f = calloc(1, sizeof(*f));

	*state = f;
	return f && fixture_backend_open(f, "inline", NULL, BKT) ? 0 : -1;
}

/* len bytes of a pattern that starts at seed. */
static uint8_t *pattern(size_t len, unsigned seed)
{
	uint8_t *d = malloc(len ? len : 1);
	size_t i;

	assert_non_null(d);
	for (i = 0; i < len; i++)
		d[i] = (uint8_t)(seed + i * 7 + (i >> 8));
	return d;
}

/* PUTs data[0..len) at key in writes of `step` bytes; dkey: sealed under it (SSE-S3). */
static s3err_t put_steps(struct backend *be, const char *key, const uint8_t *data, size_t len,
			 size_t step, const uint8_t *dkey)
{
	struct be_writer *w = NULL;
	struct obj_meta m;
	size_t off;
	s3err_t err;

	err = backend_writer_open(be, BKT, key, len, &w);
	if (err == S3E_OK && dkey)
		err = backend_writer_seal(be, w, dkey);
	for (off = 0; err == S3E_OK && off < len; off += step)
		err = backend_writer_write(be, w, data + off, len - off < step ? len - off : step);
	if (err != S3E_OK) {
		backend_writer_abort(be, w);
		return err;
	}
	fixture_meta_for(&m, data, len);
	if (dkey) {
		m.sse_mode = SSE_S3;
		snprintf(m.sse_key_id, sizeof(m.sse_key_id), "k1");
		m.sse_envelope_len = 60;
		memset(m.sse_envelope, 0x5a, m.sse_envelope_len);
	}
	return backend_writer_commit(be, w, &m);
}

static s3err_t put(struct backend *be, const char *key, const uint8_t *data, size_t len)
{
	return put_steps(be, key, data, len, 1000, NULL);
}

/* Reads key whole (unsealed with dkey when given); S3E_OK only if it is data[0..len). */
static s3err_t read_back(struct backend *be, const char *key, const uint8_t *data, size_t len,
			 const uint8_t *dkey)
{
	struct be_reader *r = NULL;
	uint8_t *buf = malloc(len + 1);
	struct obj_meta m;
	size_t got = 0, n = 0;
	s3err_t err;

	assert_non_null(buf);
	err = backend_reader_open(be, BKT, key, &m, &r);
	if (err != S3E_OK) {
		free(buf);
		return err;
	}
	if (dkey)
		err = backend_reader_unseal(be, r, dkey);
	while (err == S3E_OK && got < len) {
		err = backend_reader_read(be, r, got, buf + got, len - got, &n);
		if (err == S3E_OK && n == 0)
			break;
		got += n;
	}
	if (err == S3E_OK && (m.size != len || got != len || memcmp(buf, data, len) != 0))
		err = S3E_BadDigest;
	backend_reader_close(be, r);
	obj_meta_free(&m);
	free(buf);
	return err;
}

static long long inline_rows(const struct fixture_backend *f)
{
	return index_int(f->dir, "SELECT count(*) FROM inline_data");
}

/* I1: a small PUT writes one inline row and no file, and is read back after a reopen. */
static void test_small_put_writes_no_file(void **state)
{
	struct fixture_backend *f = *state;
	uint8_t *d = pattern(4096, 1);
	struct obj_meta m;

	assert_int_equal(put(f->be, "small", d, 4096), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(inline_rows(f), 1);
	assert_int_equal(index_int(f->dir, "SELECT length(data) FROM inline_data"),
			 4096 + FRAME_TAG_SIZE); /* framed, as its file would be (F1) */
	assert_int_equal(read_back(f->be, "small", d, 4096, NULL), S3E_OK);
	assert_int_equal(backend_object_head(f->be, BKT, "small", &m), S3E_OK);
	assert_int_equal(m.size, 4096);
	obj_meta_free(&m);
	backend_close(f->be);
	assert_int_equal(posix_open(f->dir, &f->be), S3E_OK);
	assert_int_equal(read_back(f->be, "small", d, 4096, NULL), S3E_OK);
	/* an empty object too */
	assert_int_equal(put(f->be, "empty", d, 0), S3E_OK);
	assert_int_equal(read_back(f->be, "empty", d, 0, NULL), S3E_OK);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	free(d);
}

/* I1: POSIX_INLINE_MAX bytes stay inline; one more, in any write pattern, makes a file. */
static void test_limit_and_spill(void **state)
{
	struct fixture_backend *f = *state;
	uint8_t *d = pattern(3 * POSIX_INLINE_MAX, 2);

	assert_int_equal(put(f->be, "at-limit", d, POSIX_INLINE_MAX), S3E_OK);
	assert_int_equal(put_steps(f->be, "one-more", d, POSIX_INLINE_MAX + 1, 1, NULL), S3E_OK);
	assert_int_equal(put_steps(f->be, "big", d, 3 * POSIX_INLINE_MAX, 4096, NULL), S3E_OK);
	assert_int_equal(inline_rows(f), 1);
	assert_int_equal(count_files(f->dir, "objects"), 2);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(read_back(f->be, "at-limit", d, POSIX_INLINE_MAX, NULL), S3E_OK);
	assert_int_equal(read_back(f->be, "one-more", d, POSIX_INLINE_MAX + 1, NULL), S3E_OK);
	assert_int_equal(read_back(f->be, "big", d, 3 * POSIX_INLINE_MAX, NULL), S3E_OK);
	free(d);
}

/* I3: overwrites inline -> inline -> file -> inline, then a delete: nothing is left over. */
static void test_overwrites_and_delete_leave_nothing(void **state)
{
	struct fixture_backend *f = *state;
	uint8_t *d = pattern(2 * POSIX_INLINE_MAX, 3);
	struct delete_result res;

	assert_int_equal(put(f->be, "k", d, 100), S3E_OK);
	assert_int_equal(put(f->be, "k", d + 1, 200), S3E_OK);
	assert_int_equal(inline_rows(f), 1);
	assert_int_equal(read_back(f->be, "k", d + 1, 200, NULL), S3E_OK);
	assert_int_equal(put(f->be, "k", d, 2 * POSIX_INLINE_MAX), S3E_OK);
	assert_int_equal(inline_rows(f), 0);
	assert_int_equal(count_files(f->dir, "objects"), 1);
	assert_int_equal(put(f->be, "k", d + 2, 300), S3E_OK);
	assert_int_equal(inline_rows(f), 1);
	assert_int_equal(count_files(f->dir, "objects"), 0);
	assert_int_equal(read_back(f->be, "k", d + 2, 300, NULL), S3E_OK);
	assert_int_equal(backend_object_delete_v(f->be, BKT, "k", NULL, NULL, 0, &res), S3E_OK);
	assert_int_equal(inline_rows(f), 0);
	assert_int_equal(count_data(f->dir), 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM gc"), 0);
	free(d);
}

/* An aborted inline writer leaves nothing; a committed one beside it is whole. */
static void test_abort_leaves_nothing(void **state)
{
	struct fixture_backend *f = *state;
	struct be_writer *w = NULL;
	uint8_t *d = pattern(500, 4);

	assert_int_equal(backend_writer_open(f->be, BKT, "gone", 500, &w), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, d, 500), S3E_OK);
	backend_writer_abort(f->be, w);
	assert_int_equal(put(f->be, "kept", d, 500), S3E_OK);
	assert_int_equal(inline_rows(f), 1);
	assert_int_equal(count_files(f->dir, "tmp") + count_files(f->dir, "objects"), 0);
	assert_int_equal(read_back(f->be, "gone", d, 500, NULL), S3E_NoSuchKey);
	free(d);
}

/* A child that commits inline PUTs and dies without closing anything. */
static void crash_after_puts(const char *dir, const uint8_t *d)
{
	struct backend *be = NULL;
	char key[16];
	int i;

	if (posix_open(dir, &be) != S3E_OK)
		_exit(2);
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "c%02d", i);
		if (put(be, key, d + i, 1000) != S3E_OK)
			_exit(3);
	}
	_exit(0);
}

/* Durable when answered: inline PUTs a process committed before it died are all there. */
static void test_crash_keeps_committed(void **state)
{
	struct fixture_backend *f = *state;
	uint8_t *d = pattern(1100, 5);
	char key[16];
	pid_t pid;
	int st, i;

	backend_close(f->be);
	f->be = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_after_puts(f->dir, d);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(posix_open(f->dir, &f->be), S3E_OK);
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "c%02d", i);
		assert_int_equal(read_back(f->be, key, d + i, 1000, NULL), S3E_OK);
	}
	assert_int_equal(inline_rows(f), 20);
	free(d);
}

/* F5 holds inline: the index never holds a sealed object's plaintext; the key reads it. */
static void test_sealed_never_plaintext(void **state)
{
	struct fixture_backend *f = *state;
	uint8_t dkey[SSE_KEY_SIZE];
	uint8_t *d = pattern(3000, 6);

	memset(dkey, 0x42, sizeof(dkey));
	memcpy(d + 1000, "PLAINTEXT-MARKER-0123456789", 27);
	assert_int_equal(put_steps(f->be, "sealed", d, 3000, 700, dkey), S3E_OK);
	assert_int_equal(inline_rows(f), 1);
	assert_int_equal(index_int(f->dir, "SELECT instr(data, CAST('PLAINTEXT-MARKER' AS BLOB)) "
					   "FROM inline_data"),
			 0);
	assert_int_equal(read_back(f->be, "sealed", d, 3000, dkey), S3E_OK);
	free(d);
}

/*
 * Damages key's inline bytes behind the backend, as a bad disk under the
 * index would: byte flip_at flipped (-1: none), then cut to keep bytes (0:
 * not cut). The row cache must hear of it (O1), as after a commit.
 */
static void damage(struct fixture_backend *f, const char *key, long flip_at, size_t keep)
{
	char path[160];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t buf[POSIX_INLINE_STORED_MAX];
	size_t len;

	snprintf(path, sizeof(path), "%s/index.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT data FROM inline_data WHERE object_id = "
					    "(SELECT object_id FROM objects WHERE key = ?1)",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	len = (size_t)sqlite3_column_bytes(st, 0);
	assert_true(len <= sizeof(buf));
	memcpy(buf, sqlite3_column_blob(st, 0), len);
	sqlite3_finalize(st);
	if (flip_at >= 0)
		buf[flip_at] ^= 0x01;
	if (keep > 0)
		len = keep;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "UPDATE inline_data SET data = ?2 WHERE object_id = "
					    "(SELECT object_id FROM objects WHERE key = ?1)",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, buf, (int)len, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	posix_ocache_moved(((struct posix_be *)f->be)->ocache);
}

static void on_finding(void *ctx, const struct scrub_finding *fi)
{
	struct scrub_finding *last = ctx;

	*last = *fi;
}

/* F3 holds inline: a flipped byte or a short blob is never served, and the scrub names it. */
static void test_damage_refused_and_scrubbed(void **state)
{
	struct fixture_backend *f = *state;
	uint8_t *d = pattern(2000, 7);
	struct scrub_finding last;
	struct scrub_stats st = {0};
	uint64_t before = posix_integrity_failures();
	bool stop = false;

	assert_int_equal(put(f->be, "flip", d, 2000), S3E_OK);
	assert_int_equal(put(f->be, "short", d, 2000), S3E_OK);
	assert_int_equal(put(f->be, "whole", d, 2000), S3E_OK);
	assert_int_equal(backend_scrub(f->be, 0, &stop, on_finding, &last, &st), S3E_OK);
	assert_int_equal(st.objects, 3);
	assert_int_equal(st.problems, 0);

	damage(f, "flip", 99, 0);
	assert_int_equal(read_back(f->be, "flip", d, 2000, NULL), S3E_InternalError);
	assert_true(posix_integrity_failures() > before);
	before = posix_integrity_failures();
	damage(f, "short", -1, 1000);
	assert_int_equal(read_back(f->be, "short", d, 2000, NULL), S3E_InternalError);
	assert_int_equal(posix_integrity_failures(), before + 1);
	assert_int_equal(read_back(f->be, "whole", d, 2000, NULL), S3E_OK);

	memset(&st, 0, sizeof(st));
	assert_int_equal(backend_scrub(f->be, 0, &stop, on_finding, &last, &st), S3E_OK);
	assert_int_equal(st.problems, 2);
	assert_string_equal(last.key, "short"); /* (bucket, key) order: flip, then short */
	assert_int_equal(last.problem, SCRUB_TRUNCATED);
	free(d);
}

/* S9: inline data that no object names is an orphan at once; named data is not. */
static void test_orphan_inline_found(void **state)
{
	struct fixture_backend *f = *state;
	uint8_t *d = pattern(300, 10);
	struct scrub_finding last;
	struct scrub_stats st = {0};
	bool stop = false;

	assert_int_equal(put(f->be, "named", d, 300), S3E_OK);
	index_exec(f->dir, "INSERT INTO inline_data(object_id, data) "
			   "VALUES('00112233445566778899aabbccddeeff', x'00')");
	memset(&last, 0, sizeof(last));
	assert_int_equal(backend_scrub(f->be, 0, &stop, on_finding, &last, &st), S3E_OK);
	assert_int_equal(st.problems, 1);
	assert_int_equal(last.problem, SCRUB_ORPHAN_DATA);
	assert_string_equal(last.file_id, "00112233445566778899aabbccddeeff");
	free(d);
}

/* Versions keep their inline bytes; deleting one version drops exactly its row (I3). */
static void test_versions_keep_bytes(void **state)
{
	struct fixture_backend *f = *state;
	uint8_t *d = pattern(600, 8);
	char v1[STRATA_VERSION_ID_MAX] = "";
	struct delete_result res;
	struct be_writer *w = NULL;
	struct be_reader *r = NULL;
	struct obj_meta m;
	uint8_t buf[600];
	size_t n = 0;

	assert_int_equal(backend_bucket_config_put(f->be, BKT, "versioning", "Enabled", 7), S3E_OK);
	assert_int_equal(backend_writer_open(f->be, BKT, "v", 300, &w), S3E_OK);
	assert_int_equal(backend_writer_version(f->be, w, v1), S3E_OK);
	assert_int_equal(backend_writer_write(f->be, w, d, 300), S3E_OK);
	fixture_meta_for(&m, d, 300);
	assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_OK);
	assert_true(v1[0] != '\0');
	assert_int_equal(put(f->be, "v", d + 1, 400), S3E_OK);
	assert_int_equal(inline_rows(f), 2);
	assert_int_equal(read_back(f->be, "v", d + 1, 400, NULL), S3E_OK);
	assert_int_equal(backend_reader_open_v(f->be, BKT, "v", v1, &m, &r), S3E_OK);
	assert_int_equal(backend_reader_read(f->be, r, 0, buf, sizeof(buf), &n), S3E_OK);
	assert_int_equal(n, 300);
	assert_memory_equal(buf, d, 300);
	backend_reader_close(f->be, r);
	obj_meta_free(&m);
	assert_int_equal(backend_object_delete_v(f->be, BKT, "v", v1, NULL, 0, &res), S3E_OK);
	assert_int_equal(inline_rows(f), 1);
	assert_int_equal(read_back(f->be, "v", d + 1, 400, NULL), S3E_OK);
	free(d);
}

/* I5: files_only writes files; what was inline stays readable. */
static void test_files_only(void **state)
{
	struct fixture_backend *f = *state;
	uint8_t *d = pattern(100, 9);

	assert_int_equal(put(f->be, "before", d, 100), S3E_OK);
	backend_close(f->be);
	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	assert_int_equal(put(f->be, "after", d, 100), S3E_OK);
	assert_int_equal(inline_rows(f), 1);
	assert_int_equal(count_files(f->dir, "objects"), 1);
	assert_int_equal(read_back(f->be, "before", d, 100, NULL), S3E_OK);
	assert_int_equal(read_back(f->be, "after", d, 100, NULL), S3E_OK);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_small_put_writes_no_file, setup,
					    fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_limit_and_spill, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_overwrites_and_delete_leave_nothing, setup,
					    fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup,
					    fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_crash_keeps_committed, setup,
					    fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_never_plaintext, setup,
					    fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_damage_refused_and_scrubbed, setup,
					    fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_orphan_inline_found, setup,
					    fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_versions_keep_bytes, setup,
					    fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_files_only, setup, fixture_backend_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
