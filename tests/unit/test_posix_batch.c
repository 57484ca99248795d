/*
 * Unit tests of the posix backend's group commit (W4, backends/posix_batch.c):
 * writers that queue while another holds the write lock share one COMMIT,
 * each is answered with its own result, a member that fails takes nothing
 * of the others with it, and everything acknowledged is there after a
 * reopen. The write lock is held by the test itself so that the grouping
 * does not depend on timing: the writers are released only once all of
 * them wait for it.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../backends/posix_internal.h"
#include "posix_fixture.h"

#define BKT "batch"
#define WRITERS 6

static struct posix_be *pb_of(struct fixture_backend *f)
{
	return (struct posix_be *)f->be; /* base is the first member */
}

static int setup(void **state)
{
	struct fixture_backend *f = calloc(1, sizeof(*f));

	*state = f;
	return f && fixture_backend_open(f, "batch", NULL, BKT) ? 0 : -1;
}

/* An opened writer that holds text, ready for its commit. */
static struct be_writer *writer_with(struct backend *be, const char *bucket, const char *key,
				     const char *text)
{
	struct be_writer *w = NULL;

	assert_int_equal(backend_writer_open(be, bucket, key, strlen(text), &w), S3E_OK);
	assert_int_equal(backend_writer_write(be, w, text, strlen(text)), S3E_OK);
	return w;
}

struct member {
	struct backend *be;
	struct be_writer *w;
	size_t size;
	s3err_t err;
	pthread_t th;
};

static void *commit_main(void *arg)
{
	struct member *m = arg;
	struct obj_meta meta;

	obj_meta_init(&meta);
	meta.size = m->size;
	meta.mtime_ms = 1700000000123;
	snprintf(meta.etag, sizeof(meta.etag), "0123456789abcdef0123456789abcdef");
	memset(meta.sha256_hex, 'a', 64);
	meta.sha256_hex[64] = '\0';
	m->err = backend_writer_commit(m->be, m->w, &meta);
	return NULL;
}

/* Starts the commits of ms[0..n) while the test holds the write lock; returns once all wait. */
static void start_queued(struct fixture_backend *f, struct member *ms, size_t n)
{
	struct posix_be *pb = pb_of(f);
	int tries;
	size_t i;

	assert_true(posix_write_lock(pb, true));
	for (i = 0; i < n; i++)
		assert_int_equal(pthread_create(&ms[i].th, NULL, commit_main, &ms[i]), 0);
	/* Each writer fsyncs its file first, then queues for write_mu (W1). */
	for (tries = 0; atomic_load(&pb->batch.wanted) < n && tries < 20000; tries++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	assert_int_equal(atomic_load(&pb->batch.wanted), n);
	assert_false(posix_write_unlock(pb));
	for (i = 0; i < n; i++)
		assert_int_equal(pthread_join(ms[i].th, NULL), 0);
}

/* W4b, W4c: writers queued behind one lock share one COMMIT; all of it survives a reopen. */
static void test_queued_writers_share_one_commit(void **state)
{
	struct fixture_backend *f = *state;
	struct member ms[WRITERS];
	char key[32], text[64];
	uint64_t commits;
	size_t i;

	for (i = 0; i < WRITERS; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		snprintf(text, sizeof(text), "the bytes of writer %zu", i);
		ms[i] = (struct member){f->be, writer_with(f->be, BKT, key, text), strlen(text),
					S3E_InternalError, 0};
	}
	commits = pb_of(f)->batch.commits;
	start_queued(f, ms, WRITERS);
	for (i = 0; i < WRITERS; i++)
		assert_int_equal(ms[i].err, S3E_OK);
	assert_int_equal(pb_of(f)->batch.commits - commits, 1);
	assert_false(pb_of(f)->batch.open);

	backend_close(f->be);
	assert_int_equal(posix_open(f->dir, &f->be), S3E_OK);
	for (i = 0; i < WRITERS; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		snprintf(text, sizeof(text), "the bytes of writer %zu", i);
		fixture_assert_holds(f->be, BKT, key, text);
	}
	assert_int_equal(count_data(f->dir), WRITERS);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
}

/* W4a: a member whose rows cannot go in fails alone; the others' rows and files stay. */
static void test_failing_member_fails_alone(void **state)
{
	struct fixture_backend *f = *state;
	struct bucket_info gone = {"gone", "AKIDEXAMPLE", "", 1};
	struct member ms[WRITERS];
	char key[32];
	size_t i, ok = 0;

	assert_int_equal(backend_bucket_create(f->be, &gone), S3E_OK);
	for (i = 0; i < WRITERS; i++) {
		bool doomed = i == WRITERS / 2;

		snprintf(key, sizeof(key), "k%zu", i);
		ms[i] = (struct member){f->be, writer_with(f->be, doomed ? "gone" : BKT, key, key),
					strlen(key), S3E_InternalError, 0};
	}
	/* The bucket goes after its writer opened: the member learns it in the batch. */
	assert_int_equal(backend_bucket_delete(f->be, "gone"), S3E_OK);
	start_queued(f, ms, WRITERS);
	for (i = 0; i < WRITERS; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		if (i == WRITERS / 2) {
			assert_int_equal(ms[i].err, S3E_NoSuchBucket);
			continue;
		}
		assert_int_equal(ms[i].err, S3E_OK);
		fixture_assert_holds(f->be, BKT, key, key);
		ok++;
	}
	assert_int_equal(ok, WRITERS - 1);
	assert_false(pb_of(f)->batch.open);
	assert_int_equal(count_data(f->dir), WRITERS - 1);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM objects"), WRITERS - 1);
}

/*
 * W4c: a batch left open for a waiter that never joins it (it gave up, or
 * wants a transaction of its own) is committed by the next write
 * transaction or by its member's own wait, whichever comes first; the
 * member is answered either way and the other write goes through.
 */
static void test_lingering_batch_commits(void **state)
{
	struct fixture_backend *f = *state;
	struct posix_be *pb = pb_of(f);
	struct member m = {f->be, NULL, 5, S3E_InternalError, 0};
	struct bucket_info other = {"other", "AKIDEXAMPLE", "", 1};
	bool open = false;
	int tries;

	m.w = writer_with(f->be, BKT, "lone", "alone");
	/* A waiter on write_mu that never comes makes the member leave its batch open... */
	atomic_fetch_add(&pb->batch.wanted, 1);
	assert_int_equal(pthread_create(&m.th, NULL, commit_main, &m), 0);
	for (tries = 0; !open && tries < 20000; tries++) {
		nanosleep(&(struct timespec){0, 1000000}, NULL);
		if (posix_write_lock(pb, false)) { /* batch.open is read under write_mu */
			open = pb->batch.open;
			if (posix_write_unlock(pb))
				posix_gc_later_settle_any(pb);
		}
	}
	assert_true(open);
	atomic_fetch_sub(&pb->batch.wanted, 1);
	/* ...and a bucket creation (its own transaction) or the member's wait commits it. */
	assert_int_equal(backend_bucket_create(f->be, &other), S3E_OK);
	assert_int_equal(pthread_join(m.th, NULL), 0);
	assert_int_equal(m.err, S3E_OK);
	assert_false(pb->batch.open);
	fixture_assert_holds(f->be, BKT, "lone", "alone");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_queued_writers_share_one_commit, setup,
					    fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_failing_member_fails_alone, setup,
					    fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_lingering_batch_commits, setup,
					    fixture_backend_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
