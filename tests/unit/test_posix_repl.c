/*
 * Unit tests for backends/posix_repl.c: the posix backend's replication
 * queue (Q1..Q8) driven through the backend_* wrappers as the gateway and
 * the replicator use them, with the index inspected where a user would
 * notice (statuses on HEAD/GET/listings, events surviving a crash).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* mkdtemp, fork */
#endif
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../backends/posix.h"
#include "posix_fixture.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BKT "bkt"
#define FAR 4000000000000LL /* a now past every event's next try */

static int setup(void **state)
{
	struct fixture_backend *f = calloc(1, sizeof(*f));

	*state = f;
	return f && fixture_backend_open(f, "repl", NULL, BKT) ? 0 : -1;
}

static void reopen(struct fixture_backend *f)
{
	backend_close(f->be);
	f->be = NULL;
	assert_int_equal(posix_open(f->dir, &f->be), S3E_OK);
}

/* --- requests --- */

/* A target at site/bucket; deletes says whether deletes follow. */
static struct repl_target target(const char *site, const char *bucket, bool deletes)
{
	struct repl_target t;

	memset(&t, 0, sizeof(t));
	snprintf(t.site, sizeof(t.site), "%s", site);
	snprintf(t.bucket, sizeof(t.bucket), "%s", bucket);
	snprintf(t.rule_id, sizeof(t.rule_id), "rule-%s", site);
	t.deletes = deletes;
	return t;
}

/* Two targets: "east" (deletes follow) and "west" (class GLACIER, deletes do not). */
static struct repl_request two_targets(void)
{
	struct repl_request r;

	memset(&r, 0, sizeof(r));
	r.t[0] = target("east", "dst-east", true);
	r.t[1] = target("west", "dst-west", false);
	snprintf(r.t[1].storage_class, sizeof(r.t[1].storage_class), "GLACIER");
	r.n = 2;
	return r;
}

static struct repl_request one_target(void)
{
	struct repl_request r;

	memset(&r, 0, sizeof(r));
	r.t[0] = target("east", "dst-east", true);
	r.n = 1;
	return r;
}

static struct repl_request replica(void)
{
	struct repl_request r;

	memset(&r, 0, sizeof(r));
	r.replica = true;
	return r;
}

/* --- writing --- */

/* PUTs text at key with mtime and an ETag derived from it; req NULL asks nothing. */
static s3err_t put_repl(struct backend *be, const char *key, const char *text, int64_t mtime,
			const struct repl_request *req)
{
	struct be_writer *w = NULL;
	struct obj_meta m;
	s3err_t err;

	err = backend_writer_open(be, BKT, key, strlen(text), &w);
	if (err != S3E_OK)
		return err;
	err = backend_writer_write(be, w, text, strlen(text));
	if (err == S3E_OK)
		err = backend_writer_replicate(be, w, req);
	if (err != S3E_OK) {
		backend_writer_abort(be, w);
		return err;
	}
	obj_meta_init(&m);
	m.size = strlen(text);
	m.mtime_ms = mtime;
	snprintf(m.etag, sizeof(m.etag), "etag-%lld", (long long)mtime);
	memset(m.sha256_hex, 'a', 64);
	m.repl_status = REPL_COMPLETED; /* ignored on input: the backend decides */
	return backend_writer_commit(be, w, &m);
}

/* A multipart upload of key in two parts, completed with req (NULL: upload_complete). */
static s3err_t put_multipart(struct backend *be, const char *key, int64_t mtime,
			     const struct repl_request *req)
{
	char id[STRATA_UPLOAD_ID_MAX];
	struct complete_part cp[2];
	struct be_writer *w = NULL;
	struct part_info p;
	struct obj_meta m;
	unsigned i;
	s3err_t err;

	obj_meta_init(&m);
	err = backend_upload_create(be, BKT, key, &m, id);
	for (i = 0; err == S3E_OK && i < 2; i++) {
		err = backend_part_writer_open(be, BKT, id, i + 1, 5, &w);
		if (err != S3E_OK)
			break;
		err = backend_writer_write(be, w, "parts", 5);
		if (err != S3E_OK) {
			backend_writer_abort(be, w);
			break;
		}
		memset(&p, 0, sizeof(p));
		p.number = i + 1;
		p.size = 5;
		p.mtime_ms = mtime;
		snprintf(p.etag, sizeof(p.etag), "part%u", i + 1);
		memset(p.sha256_hex, 'b', 64);
		err = backend_part_commit(be, w, &p);
		cp[i].number = i + 1;
		snprintf(cp[i].etag, sizeof(cp[i].etag), "part%u", i + 1);
	}
	if (err != S3E_OK)
		return err;
	m.size = 10;
	m.mtime_ms = mtime;
	snprintf(m.etag, sizeof(m.etag), "mp-%lld-2", (long long)mtime);
	memset(m.sha256_hex, 'c', 64);
	if (req)
		return backend_upload_complete_repl(be, BKT, id, cp, 2, &m, req);
	return backend_upload_complete(be, BKT, id, cp, 2, &m);
}

/* --- reading the queue --- */

struct seen {
	struct repl_event ev[64];
	size_t n, stop_after;
};

static bool collect(void *ctx, const struct repl_event *ev)
{
	struct seen *s = ctx;

	assert_true(s->n < ARRAY_LEN(s->ev));
	s->ev[s->n++] = *ev;
	return s->stop_after == 0 || s->n < s->stop_after;
}

/* The due events at now (at most limit). */
static void due(struct fixture_backend *f, int64_t now, size_t limit, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(backend_repl_due(f->be, now, limit, collect, s), S3E_OK);
}

static int status_of(struct fixture_backend *f, const char *key)
{
	struct obj_meta m;
	int st;

	assert_int_equal(backend_object_head(f->be, BKT, key, &m), S3E_OK);
	st = m.repl_status;
	obj_meta_free(&m);
	return st;
}

static long long events(struct fixture_backend *f)
{
	return index_int(f->dir, "SELECT count(*) FROM repl_events");
}

static struct repl_stats stats(struct fixture_backend *f, const char *bucket)
{
	struct repl_stats s;

	memset(&s, 0xff, sizeof(s));
	assert_int_equal(backend_repl_stats(f->be, bucket, &s), S3E_OK);
	return s;
}

/* Marks every event due at FAR done. */
static void drain(struct fixture_backend *f)
{
	struct seen s;
	size_t i;

	do {
		due(f, FAR, 64, &s);
		for (i = 0; i < s.n; i++)
			assert_int_equal(backend_repl_done(f->be, s.ev[i].seq), S3E_OK);
	} while (s.n > 0);
	assert_int_equal(events(f), 0);
}

/* --- tests --- */

/* A commit with targets queues one event per target with the row; without, nothing. */
static void test_commit_queues(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request r = two_targets();
	struct seen s;

	assert_true(backend_can_replicate(f->be));
	assert_int_equal(put_repl(f->be, "plain", "no rules", 1000, NULL), S3E_OK);
	assert_int_equal(status_of(f, "plain"), REPL_NONE);
	assert_int_equal(events(f), 0);

	assert_int_equal(put_repl(f->be, "dicom/1.dcm", "study", 2000, &r), S3E_OK);
	assert_int_equal(status_of(f, "dicom/1.dcm"), REPL_PENDING);
	due(f, FAR, 10, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ev[0].bucket, BKT);
	assert_string_equal(s.ev[0].key, "dicom/1.dcm");
	assert_false(s.ev[0].is_delete);
	assert_int_equal(s.ev[0].mtime_ms, 2000);
	assert_string_equal(s.ev[0].etag, "etag-2000");
	assert_string_equal(s.ev[0].target.site, "east");
	assert_string_equal(s.ev[0].target.bucket, "dst-east");
	assert_string_equal(s.ev[0].target.rule_id, "rule-east");
	assert_true(s.ev[0].target.deletes);
	assert_string_equal(s.ev[0].target.storage_class, "");
	assert_string_equal(s.ev[1].target.site, "west");
	assert_string_equal(s.ev[1].target.storage_class, "GLACIER");
	assert_false(s.ev[1].target.deletes);
	assert_true(s.ev[0].seq < s.ev[1].seq);
	assert_int_equal(s.ev[0].attempts, 0);
	assert_false(s.ev[0].failed);
	assert_true(s.ev[0].created_ms > 1600000000000LL);

	/* an overwrite that matches no rule: status NONE, nothing more queued */
	assert_int_equal(put_repl(f->be, "dicom/1.dcm", "study v2", 3000, NULL), S3E_OK);
	assert_int_equal(status_of(f, "dicom/1.dcm"), REPL_NONE);
	assert_int_equal(events(f), 2);

	/* an aborted writer with a request queues nothing */
	{
		struct be_writer *w = NULL;

		assert_int_equal(backend_writer_open(f->be, BKT, "aborted", 1, &w), S3E_OK);
		assert_int_equal(backend_writer_replicate(f->be, w, &r), S3E_OK);
		backend_writer_abort(f->be, w);
	}
	assert_int_equal(events(f), 2);
	/* a request asking nothing, given explicitly, is a plain commit */
	{
		struct repl_request none;

		memset(&none, 0, sizeof(none));
		assert_int_equal(put_repl(f->be, "none", "x", 4000, &none), S3E_OK);
		assert_int_equal(status_of(f, "none"), REPL_NONE);
	}
	assert_int_equal(events(f), 2);
}

/* A replica is stored REPLICA and queues nothing (Q7). */
static void test_replica(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request r = replica();

	assert_int_equal(put_repl(f->be, "from-east", "replicated", 1000, &r), S3E_OK);
	assert_int_equal(status_of(f, "from-east"), REPL_REPLICA);
	assert_int_equal(events(f), 0);
	/* resync never sends a replica on */
	r = two_targets();
	assert_int_equal(backend_repl_enqueue(f->be, BKT, "from-east", &r), S3E_OK);
	assert_int_equal(events(f), 0);
	/* a delete of a replica by the other site's replicator queues nothing either */
	r = replica();
	assert_int_equal(backend_object_delete_repl(f->be, BKT, "from-east", &r), S3E_OK);
	assert_int_equal(events(f), 0);
	assert_int_equal(backend_object_head(f->be, BKT, "from-east", &(struct obj_meta){0}),
			 S3E_NoSuchKey);
}

/* Requests the backend refuses, before anything is written. */
static void test_bad_requests(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request r = two_targets();
	char id[STRATA_UPLOAD_ID_MAX];
	struct be_writer *w = NULL;
	struct obj_meta m;

	r.n = REPL_MAX_TARGETS + 1;
	assert_int_equal(put_repl(f->be, "k", "x", 1, &r), S3E_InternalError);
	r = two_targets();
	r.replica = true;
	assert_int_equal(put_repl(f->be, "k", "x", 1, &r), S3E_InternalError);
	r = two_targets();
	r.t[1].site[0] = '\0';
	assert_int_equal(put_repl(f->be, "k", "x", 1, &r), S3E_InternalError);
	assert_int_equal(backend_object_delete_repl(f->be, BKT, "k", &r), S3E_InternalError);
	r = two_targets();
	memset(r.t[0].rule_id, 'x', sizeof(r.t[0].rule_id)); /* unterminated */
	assert_int_equal(put_repl(f->be, "k", "x", 1, &r), S3E_InternalError);
	assert_int_equal(backend_object_head(f->be, BKT, "k", &m), S3E_NoSuchKey);
	/* a part writer has no replication of its own: Complete does it */
	r = two_targets();
	obj_meta_init(&m);
	assert_int_equal(backend_upload_create(f->be, BKT, "mp", &m, id), S3E_OK);
	assert_int_equal(backend_part_writer_open(f->be, BKT, id, 1, 1, &w), S3E_OK);
	assert_int_equal(backend_writer_replicate(f->be, w, &r), S3E_InternalError);
	backend_writer_abort(f->be, w);
	assert_int_equal(events(f), 0);
	assert_int_equal(count_files(f->dir, "tmp"), 0);
}

/* Complete queues its events in its own transaction; a plain Complete stores NONE. */
static void test_complete_queues(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request r = two_targets();
	struct seen s;

	assert_int_equal(put_multipart(f->be, "mp", 5000, &r), S3E_OK);
	assert_int_equal(status_of(f, "mp"), REPL_PENDING);
	due(f, FAR, 10, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ev[0].key, "mp");
	assert_string_equal(s.ev[0].etag, "mp-5000-2");
	assert_int_equal(s.ev[0].mtime_ms, 5000);

	assert_int_equal(put_multipart(f->be, "mp-plain", 6000, NULL), S3E_OK);
	assert_int_equal(status_of(f, "mp-plain"), REPL_NONE);
	r = replica();
	assert_int_equal(put_multipart(f->be, "mp-replica", 7000, &r), S3E_OK);
	assert_int_equal(status_of(f, "mp-replica"), REPL_REPLICA);
	assert_int_equal(events(f), 2);
	/* a Complete that fails (unknown upload) queues nothing */
	{
		struct complete_part cp = {1, "part1"};
		struct obj_meta m;

		obj_meta_init(&m);
		r = two_targets();
		assert_int_equal(backend_upload_complete_repl(f->be, BKT,
							      "00000000000000000000000000000000",
							      &cp, 1, &m, &r),
				 S3E_NoSuchUpload);
	}
	assert_int_equal(events(f), 2);
}

/* Deletes queue delete events for the targets that replicate deletes, present or not. */
static void test_delete_queues(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request r = two_targets();
	struct obj_meta m;
	struct seen s;

	assert_int_equal(put_repl(f->be, "gone", "bytes", 1000, NULL), S3E_OK);
	assert_int_equal(backend_object_delete_repl(f->be, BKT, "gone", &r), S3E_OK);
	assert_int_equal(backend_object_head(f->be, BKT, "gone", &m), S3E_NoSuchKey);
	due(f, FAR, 10, &s);
	assert_int_equal(s.n, 1); /* west does not replicate deletes */
	assert_true(s.ev[0].is_delete);
	assert_string_equal(s.ev[0].target.site, "east");
	assert_string_equal(s.ev[0].etag, "");
	assert_int_equal(s.ev[0].mtime_ms, 0);

	/* an absent key: answered as object_delete answers it, the event queued all the same */
	assert_int_equal(backend_object_delete_repl(f->be, BKT, "never-here", &r), S3E_NoSuchKey);
	assert_int_equal(events(f), 2);
	reopen(f); /* durable */
	assert_int_equal(events(f), 2);
	/* no target replicates deletes: nothing changes, nothing is committed */
	r = two_targets();
	r.t[0].deletes = false;
	assert_int_equal(backend_object_delete_repl(f->be, BKT, "never-here", &r), S3E_NoSuchKey);
	assert_int_equal(events(f), 2);
	/* no bucket: nothing queued */
	r = two_targets();
	assert_int_equal(backend_object_delete_repl(f->be, "nobucket", "k", &r), S3E_NoSuchBucket);
	assert_int_equal(events(f), 2);
	/* no request at all: object_delete */
	assert_int_equal(backend_object_delete_repl(f->be, BKT, "never-here", NULL), S3E_NoSuchKey);
	assert_int_equal(events(f), 2);
}

/* Events survive close and reopen, and a kill -9 right after the commit returned (Q1). */
static void test_durable(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request r = two_targets();
	struct seen s;
	pid_t pid;
	int status = 0;

	assert_int_equal(put_repl(f->be, "a", "one", 1000, &r), S3E_OK);
	reopen(f);
	assert_int_equal(status_of(f, "a"), REPL_PENDING);
	due(f, FAR, 10, &s);
	assert_int_equal(s.n, 2);

	backend_close(f->be);
	f->be = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct backend *be = NULL;

		/* each call returning is the 200; then the process dies without closing */
		if (posix_open(f->dir, &be) != S3E_OK ||
		    put_repl(be, "b", "two", 2000, &r) != S3E_OK ||
		    put_multipart(be, "c", 3000, &r) != S3E_OK ||
		    backend_object_delete_repl(be, BKT, "a", &r) != S3E_OK)
			_exit(3);
		raise(SIGKILL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(posix_open(f->dir, &f->be), S3E_OK);
	assert_int_equal(status_of(f, "b"), REPL_PENDING);
	assert_int_equal(status_of(f, "c"), REPL_PENDING);
	assert_int_equal(events(f), 2 + 2 + 2 + 1);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM repl_events WHERE key = 'a' AND "
					   "is_delete = 1 AND site = 'east'"),
			 1);
}

/* repl_due: one event per key and target, oldest first, due ones only, at most limit (Q4). */
static void test_due_order(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request r = two_targets();
	struct repl_request e = one_target();
	struct seen s;
	uint64_t a1_east, a1_west;

	assert_int_equal(put_repl(f->be, "a", "v1", 1000, &r), S3E_OK); /* seq 1 east, 2 west */
	assert_int_equal(put_repl(f->be, "b", "v1", 1000, &e), S3E_OK); /* 3 east */
	assert_int_equal(put_repl(f->be, "a", "v2", 2000, &r), S3E_OK); /* 4 east, 5 west */
	assert_int_equal(backend_object_delete_repl(f->be, BKT, "b", &e), S3E_OK); /* 6 east */
	assert_int_equal(events(f), 6);

	/* of each (key, site, bucket) only the oldest */
	due(f, FAR, 100, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.ev[0].key, "a");
	assert_string_equal(s.ev[0].target.site, "east");
	assert_int_equal(s.ev[0].mtime_ms, 1000);
	assert_string_equal(s.ev[1].key, "a");
	assert_string_equal(s.ev[1].target.site, "west");
	assert_string_equal(s.ev[2].key, "b");
	assert_false(s.ev[2].is_delete);
	a1_east = s.ev[0].seq;
	a1_west = s.ev[1].seq;
	assert_true(s.ev[0].seq < s.ev[1].seq && s.ev[1].seq < s.ev[2].seq);

	/* limit, and a visitor that stops */
	due(f, FAR, 2, &s);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	assert_int_equal(backend_repl_due(f->be, FAR, 100, collect, &s), S3E_OK);
	assert_int_equal(s.n, 1);
	due(f, FAR, 0, &s);
	assert_int_equal(s.n, 0);

	/* nothing is due before it was created */
	due(f, 1, 100, &s);
	assert_int_equal(s.n, 0);

	/* a retried event waits for its next try, and holds back the newer one of its group */
	assert_int_equal(backend_repl_retry(f->be, a1_east, FAR + 10, false, "site down"), S3E_OK);
	due(f, FAR, 100, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ev[0].seq, a1_west);
	assert_string_equal(s.ev[1].key, "b");
	/* at its next try it comes back, after those due earlier (next_ms order) */
	due(f, FAR + 10, 100, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ev[2].seq, a1_east);
	assert_int_equal(s.ev[2].attempts, 1);

	/* done: the next event of the group shows, in order */
	assert_int_equal(backend_repl_done(f->be, a1_west), S3E_OK);
	due(f, FAR, 100, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ev[0].key, "b");
	assert_string_equal(s.ev[1].key, "a");
	assert_string_equal(s.ev[1].target.site, "west");
	assert_int_equal(s.ev[1].mtime_ms, 2000);
}

struct ender {
	struct backend *be;
	size_t n;
};

/* Visitor that marks every event it sees done, from inside repl_due. */
static bool end_each(void *ctx, const struct repl_event *ev)
{
	struct ender *e = ctx;

	assert_int_equal(backend_repl_done(e->be, ev->seq), S3E_OK);
	e->n++;
	return true;
}

/* A visitor that calls back into the backend, across several chunks. */
static void test_due_visitor_ends(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request e = one_target();
	struct ender en = {f->be, 0};
	char key[32];
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "many/%03d", i);
		assert_int_equal(put_repl(f->be, key, "x", 5000 + i, &e), S3E_OK);
	}
	assert_int_equal(backend_repl_due(f->be, FAR, 1000, end_each, &en), S3E_OK);
	assert_int_equal(en.n, 100);
	assert_int_equal(events(f), 0);
	assert_int_equal(status_of(f, "many/042"), REPL_COMPLETED);
}

/* Status transitions: PENDING -> COMPLETED only when the key's last event is done (Q2). */
static void test_done_status(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request r = two_targets();
	struct seen s;

	assert_int_equal(put_repl(f->be, "k", "v1", 1000, &r), S3E_OK);
	due(f, FAR, 10, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(backend_repl_done(f->be, s.ev[0].seq), S3E_OK);
	assert_int_equal(status_of(f, "k"), REPL_PENDING);		 /* west still queued */
	assert_int_equal(backend_repl_done(f->be, s.ev[0].seq), S3E_OK); /* absent: fine */
	assert_int_equal(backend_repl_done(f->be, 999999), S3E_OK);
	assert_int_equal(backend_repl_done(f->be, s.ev[1].seq), S3E_OK);
	assert_int_equal(status_of(f, "k"), REPL_COMPLETED);

	/* a newer version's events keep it PENDING while an older one's finish */
	assert_int_equal(put_repl(f->be, "k", "v2", 2000, &r), S3E_OK);
	due(f, FAR, 10, &s);
	assert_int_equal(put_repl(f->be, "k", "v3", 3000, &r), S3E_OK);
	assert_int_equal(backend_repl_done(f->be, s.ev[0].seq), S3E_OK);
	assert_int_equal(backend_repl_done(f->be, s.ev[1].seq), S3E_OK);
	assert_int_equal(status_of(f, "k"), REPL_PENDING);
	drain(f);
	assert_int_equal(status_of(f, "k"), REPL_COMPLETED);

	/* listings and GET show it too */
	{
		struct be_reader *rd = NULL;
		struct obj_meta m;

		assert_int_equal(backend_reader_open(f->be, BKT, "k", &m, &rd), S3E_OK);
		assert_int_equal(m.repl_status, REPL_COMPLETED);
		assert_string_equal(obj_repl_status_name(m.repl_status), "COMPLETED");
		backend_reader_close(f->be, rd);
		obj_meta_free(&m);
	}

	/* done never touches a row written without replication, or a replica */
	assert_int_equal(put_repl(f->be, "n", "v1", 1000, &r), S3E_OK);
	assert_int_equal(put_repl(f->be, "n", "v2", 2000, NULL), S3E_OK);
	assert_int_equal(put_repl(f->be, "k", "v4", 4000, &r), S3E_OK);
	r = replica(); /* overwritten by another site's replicator while v4's events wait */
	assert_int_equal(put_repl(f->be, "k", "replica", 5000, &r), S3E_OK);
	r = two_targets();
	assert_int_equal(backend_repl_enqueue(f->be, BKT, "n", &r), S3E_OK);
	drain(f);
	assert_int_equal(status_of(f, "n"), REPL_NONE);
	assert_int_equal(status_of(f, "k"), REPL_REPLICA);
	/* the delete of a key: its events finish with no row to mark */
	assert_int_equal(backend_object_delete_repl(f->be, BKT, "n", &r), S3E_OK);
	drain(f);
}

struct status_row {
	char key[16];
	int status;
};

struct listing {
	struct status_row rows[8];
	size_t n;
};

static bool list_visit(void *ctx, const char *key, const struct obj_meta *m)
{
	struct listing *l = ctx;

	assert_true(l->n < ARRAY_LEN(l->rows));
	snprintf(l->rows[l->n].key, sizeof(l->rows[l->n].key), "%s", key);
	l->rows[l->n++].status = m->repl_status;
	return true;
}

/* Retries: FAILED only from PENDING; failed sticks to the event until it is done (Q2, Q3). */
static void test_retry_status(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request r = two_targets();
	uint64_t east, west;
	struct repl_stats st;
	struct listing l;
	struct seen s;
	char err[600];

	assert_int_equal(put_repl(f->be, "k", "v1", 1000, &r), S3E_OK);
	due(f, FAR, 10, &s);
	east = s.ev[0].seq;
	west = s.ev[1].seq;
	/* unreachable: stays PENDING, the error is kept */
	assert_int_equal(backend_repl_retry(f->be, east, 10, false, "connect refused"), S3E_OK);
	assert_int_equal(status_of(f, "k"), REPL_PENDING);
	index_str(f->dir, "SELECT last_error FROM repl_events ORDER BY seq LIMIT 1", err,
		  sizeof(err));
	assert_string_equal(err, "connect refused");
	st = stats(f, NULL);
	assert_int_equal(st.pending, 2);
	assert_int_equal(st.failed, 0);
	/* refused: FAILED, and the event still queued and retried */
	assert_int_equal(backend_repl_retry(f->be, east, 20, true, "AccessDenied"), S3E_OK);
	assert_int_equal(status_of(f, "k"), REPL_FAILED);
	memset(&l, 0, sizeof(l));
	assert_int_equal(backend_object_scan(f->be, BKT, "", false, "", 10, list_visit, &l),
			 S3E_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.rows[0].status, REPL_FAILED);
	due(f, FAR, 10, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ev[0].seq, east); /* next_ms 20: due long before the other */
	assert_true(s.ev[0].failed);
	assert_int_equal(s.ev[0].attempts, 2);
	assert_false(s.ev[1].failed);
	/* a later "unreachable" keeps the mark */
	assert_int_equal(backend_repl_retry(f->be, east, 30, false, NULL), S3E_OK);
	st = stats(f, BKT);
	assert_int_equal(st.pending, 2);
	assert_int_equal(st.failed, 1);
	due(f, FAR, 10, &s);
	assert_true(s.ev[0].failed);
	assert_int_equal(s.ev[0].attempts, 3);
	/* done at last: COMPLETED from FAILED once the other target is done as well */
	assert_int_equal(backend_repl_done(f->be, east), S3E_OK);
	assert_int_equal(status_of(f, "k"), REPL_FAILED);
	assert_int_equal(backend_repl_done(f->be, west), S3E_OK);
	assert_int_equal(status_of(f, "k"), REPL_COMPLETED);
	/* FAILED only from PENDING: a refused resync of a COMPLETED object leaves it */
	assert_int_equal(backend_repl_enqueue(f->be, BKT, "k", &r), S3E_OK);
	assert_int_equal(status_of(f, "k"), REPL_COMPLETED); /* resync does not touch the row */
	due(f, FAR, 10, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(backend_repl_retry(f->be, s.ev[0].seq, 30, true, "denied"), S3E_OK);
	assert_int_equal(status_of(f, "k"), REPL_COMPLETED);
	/* an absent seq is a no-op */
	assert_int_equal(backend_repl_retry(f->be, 999999, 30, true, "x"), S3E_OK);

	/* a long error is cut to REPL_ERROR_MAX bytes, never inside a UTF-8 character */
	{
		char big[REPL_ERROR_MAX + 50];
		size_t i;

		big[0] = 'x'; /* odd offset: byte REPL_ERROR_MAX is a continuation byte */
		for (i = 1; i + 2 < sizeof(big); i += 2) {
			big[i] = (char)0xc3; /* "é" */
			big[i + 1] = (char)0xa9;
		}
		big[i] = '\0';
		assert_int_equal(backend_repl_retry(f->be, s.ev[1].seq, 30, false, big), S3E_OK);
		index_str(f->dir,
			  "SELECT length(CAST(last_error AS BLOB)) || ' ' || "
			  "hex(substr(CAST(last_error AS BLOB), -1)) FROM repl_events "
			  "WHERE length(CAST(last_error AS BLOB)) > 100",
			  err, sizeof(err));
		/* 'x' + 127 whole characters: 255 bytes, ending with a continuation byte */
		assert_string_equal(err, "255 A9");
	}
}

/* repl_stats: counts per bucket and in all, the oldest event's age, unknown buckets. */
static void test_stats(void **state)
{
	struct fixture_backend *f = *state;
	struct bucket_info b2 = {"other", "AKIDEXAMPLE", "", 1};
	struct repl_request r = two_targets();
	struct repl_stats st;
	struct bucket_info b;
	struct seen s;

	st = stats(f, NULL);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.oldest_created_ms, 0);
	st = stats(f, BKT);
	assert_int_equal(st.pending, 0);
	assert_int_equal(backend_repl_stats(f->be, "nobucket", &st), S3E_NoSuchBucket);

	assert_int_equal(backend_bucket_create(f->be, &b2), S3E_OK);
	assert_int_equal(put_repl(f->be, "k", "v1", 1000, &r), S3E_OK);
	index_exec(f->dir, "UPDATE repl_events SET created_ms = 1234");
	{
		struct be_writer *w = NULL;
		struct obj_meta m;

		assert_int_equal(backend_writer_open(f->be, "other", "x", 1, &w), S3E_OK);
		assert_int_equal(backend_writer_write(f->be, w, "x", 1), S3E_OK);
		assert_int_equal(backend_writer_replicate(f->be, w, &r), S3E_OK);
		obj_meta_init(&m);
		m.size = 1;
		m.mtime_ms = 5;
		assert_int_equal(backend_writer_commit(f->be, w, &m), S3E_OK);
	}
	due(f, FAR, 10, &s);
	assert_int_equal(backend_repl_retry(f->be, s.ev[2].seq, 0, true, "no"), S3E_OK);
	st = stats(f, NULL);
	assert_int_equal(st.pending, 4);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.oldest_created_ms, 1234);
	st = stats(f, "other");
	assert_int_equal(st.pending, 2);
	assert_int_equal(st.failed, 1);
	assert_true(st.oldest_created_ms > 1234);
	/* a deleted bucket's events are kept and counted (Q6) */
	assert_int_equal(backend_object_delete_repl(f->be, "other", "x", &r), S3E_OK);
	assert_int_equal(backend_bucket_delete(f->be, "other"), S3E_OK);
	assert_int_equal(backend_bucket_get(f->be, "other", &b), S3E_NoSuchBucket);
	st = stats(f, "other");
	assert_int_equal(st.pending, 3);
	due(f, FAR, 10, &s);
	assert_int_equal(s.n, 4); /* k: east, west; other/x: east (delete waits), west */
	drain(f);
	assert_int_equal(backend_repl_stats(f->be, "other", &st), S3E_NoSuchBucket);
}

/* Resync: the current version, or deletes for an absent key; the row is untouched. */
static void test_enqueue(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request r = two_targets();
	struct seen s;

	assert_int_equal(put_repl(f->be, "old", "written before the rule", 1000, NULL), S3E_OK);
	assert_int_equal(backend_repl_enqueue(f->be, BKT, "old", &r), S3E_OK);
	assert_int_equal(status_of(f, "old"), REPL_NONE);
	due(f, FAR, 10, &s);
	assert_int_equal(s.n, 2);
	assert_false(s.ev[0].is_delete);
	assert_int_equal(s.ev[0].mtime_ms, 1000);
	assert_string_equal(s.ev[0].etag, "etag-1000");
	drain(f);

	assert_int_equal(backend_repl_enqueue(f->be, BKT, "absent", &r), S3E_OK);
	due(f, FAR, 10, &s);
	assert_int_equal(s.n, 1);
	assert_true(s.ev[0].is_delete);
	assert_string_equal(s.ev[0].target.site, "east");
	reopen(f);
	assert_int_equal(events(f), 1);
	drain(f);

	assert_int_equal(backend_repl_enqueue(f->be, "nobucket", "k", &r), S3E_NoSuchBucket);
	assert_int_equal(backend_repl_enqueue(f->be, BKT, "old", NULL), S3E_OK);
	assert_int_equal(events(f), 0);
}

/* --- versions (Q9) --- */

/* PUTs text at key with req; vid gets the id of the version made. */
static s3err_t put_v(struct backend *be, const char *key, const char *text, int64_t mtime,
		     const struct repl_request *req, char vid[STRATA_VERSION_ID_MAX])
{
	struct be_writer *w = NULL;
	struct obj_meta m;
	s3err_t err;

	err = backend_writer_open(be, BKT, key, strlen(text), &w);
	if (err == S3E_OK)
		err = backend_writer_write(be, w, text, strlen(text));
	if (err == S3E_OK)
		err = backend_writer_replicate(be, w, req);
	if (err == S3E_OK)
		err = backend_writer_version(be, w, vid);
	if (err != S3E_OK) {
		backend_writer_abort(be, w);
		return err;
	}
	obj_meta_init(&m);
	m.size = strlen(text);
	m.mtime_ms = mtime;
	snprintf(m.etag, sizeof(m.etag), "etag-%lld", (long long)mtime);
	memset(m.sha256_hex, 'a', 64);
	return backend_writer_commit(be, w, &m);
}

static int status_v(struct fixture_backend *f, const char *key, const char *vid)
{
	struct obj_meta m;
	int st;

	assert_int_equal(backend_object_head_v(f->be, BKT, key, vid, &m), S3E_OK);
	assert_string_equal(m.version_id, vid);
	st = m.repl_status;
	obj_meta_free(&m);
	return st;
}

/* Each write's event names its version; status moves per version; a marker is a delete. */
static void test_versions_queue(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request r = one_target();
	char v[3][STRATA_VERSION_ID_MAX], vx[STRATA_VERSION_ID_MAX];
	struct delete_result res;
	struct seen s;
	int i;

	assert_int_equal(backend_bucket_config_put(f->be, BKT, "versioning", "Enabled", 7), S3E_OK);
	for (i = 0; i < 3; i++)
		assert_int_equal(put_v(f->be, "k", i == 1 ? "two" : "one", 100 + i, &r, v[i]),
				 S3E_OK);
	assert_int_equal(events(f), 3);
	/* Q4: one at a time, the oldest version first. */
	due(f, FAR, 64, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ev[0].version_id, v[0]);
	assert_false(s.ev[0].is_delete);
	assert_int_equal(backend_repl_done(f->be, s.ev[0].seq), S3E_OK);
	/* Q9: the first version is COMPLETED (noncurrent), the newer ones still PENDING. */
	assert_int_equal(status_v(f, "k", v[0]), REPL_COMPLETED);
	assert_int_equal(status_v(f, "k", v[1]), REPL_PENDING);
	assert_int_equal(status_v(f, "k", v[2]), REPL_PENDING);
	due(f, FAR, 64, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ev[0].version_id, v[1]);
	assert_int_equal(backend_repl_retry(f->be, s.ev[0].seq, 0, true, "refused"), S3E_OK);
	assert_int_equal(status_v(f, "k", v[1]), REPL_FAILED);
	assert_int_equal(status_v(f, "k", v[2]), REPL_PENDING);
	assert_int_equal(backend_repl_done(f->be, s.ev[0].seq), S3E_OK);
	assert_int_equal(status_v(f, "k", v[1]), REPL_COMPLETED);

	/* A delete of the key: a marker, queued under its id. */
	assert_int_equal(backend_object_delete_v(f->be, BKT, "k", NULL, &r, 0, &res), S3E_OK);
	assert_true(res.delete_marker);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM repl_events WHERE is_delete = 1 "
					   "AND version_id <> ''"),
			 1);
	/* A delete by id removes a version for good and queues nothing (AWS). */
	assert_int_equal(backend_object_delete_v(f->be, BKT, "k", v[0], &r, 0, &res), S3E_OK);
	assert_int_equal(events(f), 2);
	/* An event whose version went for good stays an event (the replicator finds it gone). */
	due(f, FAR, 64, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ev[0].version_id, v[2]);
	drain(f);
	assert_int_equal(status_v(f, "k", v[2]), REPL_COMPLETED);

	/* A replica keeps the id its source gave it; an id the key has is refused. */
	{
		struct repl_request rr = replica();

		memset(rr.version_id, 'K', VERSIONS_ID_LEN);
		assert_int_equal(put_v(f->be, "rep", "x", 200, &rr, vx), S3E_OK);
		assert_string_equal(vx, rr.version_id);
		assert_int_equal(status_v(f, "rep", rr.version_id), REPL_REPLICA);
		assert_int_equal(put_v(f->be, "rep", "y", 201, &rr, vx), S3E_InvalidArgument);
		/* A replica marker too; a replay of it makes no second one. */
		memset(rr.version_id, 'M', VERSIONS_ID_LEN);
		for (i = 0; i < 2; i++) {
			assert_int_equal(
			    backend_object_delete_v(f->be, BKT, "rep", NULL, &rr, 0, &res), S3E_OK);
			assert_true(res.delete_marker);
			assert_string_equal(res.version_id, rr.version_id);
		}
		assert_int_equal(index_int(f->dir, "SELECT count(*) FROM object_versions WHERE "
						   "key = 'rep' AND is_marker = 1"),
				 1);
		assert_int_equal(events(f), 0); /* Q7 */
	}
}

/* An index of schema v7 gains the queue: old rows have no status, replication works. */
static void test_migrate_v7(void **state)
{
	struct fixture_backend *f = *state;
	struct repl_request r = two_targets();
	struct listing l;

	backend_close(f->be); /* a v7 index names files only */
	assert_int_equal(posix_open_files(f->dir, &f->be), S3E_OK);
	assert_int_equal(put_repl(f->be, "old", "v7 bytes", 1000, NULL), S3E_OK);
	assert_int_equal(put_multipart(f->be, "old-mp", 1000, NULL), S3E_OK);
	backend_close(f->be);
	f->be = NULL;
	index_exec(f->dir, DOWNGRADE_TO_V7);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM sqlite_schema WHERE name LIKE "
					   "'repl%'"),
			 0);
	assert_int_equal(posix_open(f->dir, &f->be), S3E_OK);
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 12);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM sqlite_schema WHERE name IN "
					   "('repl_events', 'repl_events_due', 'repl_events_key', "
					   "'repl_events_failed')"),
			 4);
	assert_int_equal(status_of(f, "old"), REPL_NONE);
	assert_int_equal(status_of(f, "old-mp"), REPL_NONE);
	memset(&l, 0, sizeof(l));
	assert_int_equal(backend_object_scan(f->be, BKT, "", false, "", 10, list_visit, &l),
			 S3E_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.rows[0].status, REPL_NONE);
	/* the new features work on the migrated index, and survive a reopen */
	assert_int_equal(put_repl(f->be, "old", "v8 bytes", 2000, &r), S3E_OK);
	reopen(f);
	assert_int_equal(index_int(f->dir, "PRAGMA user_version"), 12);
	assert_int_equal(status_of(f, "old"), REPL_PENDING);
	drain(f);
	assert_int_equal(status_of(f, "old"), REPL_COMPLETED);
}

#define THREADS 6
#define PER_THREAD 25

struct worker {
	struct backend *be;
	int id;
	int failures;
};

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct repl_request r = two_targets();
	char key[64];
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		snprintf(key, sizeof(key), "t%d/k%03d", wk->id, i);
		if (put_repl(wk->be, key, "data", 1000 + i, &r) != S3E_OK)
			wk->failures++;
		/* every third key is overwritten, every fifth deleted, concurrently */
		if (i % 3 == 0 && put_repl(wk->be, key, "data v2", 2000 + i, &r) != S3E_OK)
			wk->failures++;
		if (i % 5 == 0 && backend_object_delete_repl(wk->be, BKT, key, &r) != S3E_OK)
			wk->failures++;
	}
	return NULL;
}

/* Many committers at once: every acknowledged change has its events, each seq unique. */
static void test_concurrent_committers(void **state)
{
	struct fixture_backend *f = *state;
	struct worker wk[THREADS];
	pthread_t th[THREADS];
	long long writes = 0, deletes = 0;
	int i;

	for (i = 0; i < THREADS; i++) {
		wk[i] = (struct worker){f->be, i, 0};
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &wk[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(wk[i].failures, 0);
	}
	for (i = 0; i < PER_THREAD; i++) {
		writes += 1 + (i % 3 == 0);
		deletes += i % 5 == 0;
	}
	assert_int_equal(events(f), THREADS * (writes * 2 + deletes));
	assert_int_equal(index_int(f->dir, "SELECT count(DISTINCT seq) FROM repl_events"),
			 events(f));
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM objects WHERE repl_status <> 1"),
			 0);
	/* per key, the queue holds the changes in the order each thread made them */
	assert_int_equal(index_int(f->dir,
				   "SELECT count(*) FROM repl_events a JOIN repl_events b ON "
				   "a.key = b.key AND a.site = b.site AND a.seq < b.seq WHERE "
				   "a.mtime_ms > b.mtime_ms AND b.is_delete = 0"),
			 0);
	drain(f);
	assert_int_equal(index_int(f->dir, "SELECT count(*) FROM objects WHERE repl_status <> 2"),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_commit_queues, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_replica, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_complete_queues, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_delete_queues, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_durable, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_due_order, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_due_visitor_ends, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_done_status, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_retry_status, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_stats, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_enqueue, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v7, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_versions_queue, setup, fixture_backend_teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_committers, setup,
					    fixture_backend_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
