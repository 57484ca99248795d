/*
 * posix_batch: the group commit of object commits (W4; issue 11).
 *
 * Every PUT ends in an index transaction whose COMMIT waits for an fsync
 * of the WAL, and W1 lets one write transaction in at a time: under 64
 * concurrent small PUTs the fsyncs ran one after another and bounded the
 * rate. A group commit lets the PUTs that queue meanwhile share one
 * transaction and one fsync, without weakening what an answer means:
 *
 *  W4a. Members run one after another on the batch connection
 *       (conns[POSIX_POOL_SIZE]), each holding write_mu (W1) while its
 *       statements run, each inside its own SAVEPOINT. A member whose
 *       statements fail rolls back to its savepoint: its rows are gone,
 *       the others' stay, and it answers its error at once.
 *  W4b. A member that succeeded is answered only after the COMMIT of the
 *       transaction holding its rows, with that COMMIT's result: an OK
 *       means its rows are on disk, an error that they are not (or, for
 *       posix_commit_unsure errors, may be replayed: its file stays), as
 *       for a transaction of its own. SQLite rolling the whole
 *       transaction back after an I/O error fails every member in it.
 *  W4c. The transaction commits when its last member finds no thread
 *       waiting for write_mu (batch.wanted == 0), or holds
 *       POSIX_BATCH_MAX members, or has none left (a member failed and
 *       was the only one), or before any other write transaction
 *       begins (posix_tx_begin calls posix_batch_close: SQLite's write
 *       lock is the batch's while it is open). A member that waits longer
 *       than POSIX_BATCH_WAIT_MS takes write_mu itself, if free, and
 *       commits: a waiter on write_mu that times out cannot strand it.
 *  W4d. A waiting member holds no pool connection and no mutex but
 *       batch.mu inside pthread_cond_timedwait, so readers never wait
 *       for a group commit.
 *
 * Members: the commit of a single-PUT object (index_publish) and the
 * delete of an object or version (object_delete_once) in posix.c, the two
 * writes a busy server repeats most.
 *
 * The transitions: join (posix_batch_join: BEGIN IMMEDIATE if no batch is
 * open, SAVEPOINT), leave (posix_batch_leave: RELEASE or ROLLBACK TO, then
 * either close or wait), close (posix_batch_close: W2's releases, COMMIT,
 * every member told).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "../common/log.h"
#include "../common/metrics.h"
#include "posix_internal.h"

/*
 * W4c: a member's wait before it tries to commit itself. Only a waiter on
 * write_mu that timed out leaves a batch with nobody to end it, so this
 * is a safety net, long enough never to cut a batch that others still
 * fill (POSIX_BATCH_MAX members take a few ms).
 */
#define POSIX_BATCH_WAIT_MS 50

bool posix_batch_init(struct posix_batch *b)
{
	*b = (struct posix_batch){0};
	atomic_init(&b->wanted, 0);
	if (pthread_mutex_init(&b->mu, NULL) != 0)
		return false;
	if (pthread_cond_init(&b->cv, NULL) != 0) {
		pthread_mutex_destroy(&b->mu);
		return false;
	}
	return true;
}

void posix_batch_destroy(struct posix_batch *b)
{
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
}

static struct conn *batch_conn(struct posix_be *pb)
{
	return &pb->conns[POSIX_POOL_SIZE];
}

/* Tells every member the transaction's end (W4b) and starts the next batch. */
static void batch_tell(struct posix_batch *b, s3err_t err)
{
	struct posix_batch_member *m, *next;

	pthread_mutex_lock(&b->mu);
	for (m = b->members; m; m = next) {
		next = m->next; /* m may return (and its frame go) once done is set */
		m->err = err;
		m->done = true;
	}
	b->members = NULL;
	b->n = 0;
	b->open = false;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

void posix_batch_close(struct posix_be *pb)
{
	struct conn *c = batch_conn(pb);
	s3err_t err = S3E_OK;
	int rc;

	if (!pb->batch.open)
		return;
	if (sqlite3_get_autocommit(c->db)) {
		/* SQLite ended it after an I/O error: none of its rows was written. */
		log_error(POSIX_LOG_MOD, "a group commit of %u was rolled back by the index",
			  pb->batch.n);
		err = S3E_InternalError;
	} else {
		posix_gc_later_release(c); /* W2, as posix_tx_commit does */
		rc = posix_run(c->st[ST_COMMIT]);
		if (rc != SQLITE_OK) {
			err = posix_db_err(c, rc, "commit (group)");
			if (!sqlite3_get_autocommit(c->db) &&
			    posix_run(c->st[ST_ROLLBACK]) != SQLITE_OK)
				log_error(POSIX_LOG_MOD, "group commit rollback failed");
		} else if (pb->batch.n > 0) {
			pb->batch.commits++;
			pb->batch.committed += pb->batch.n;
			metrics_add(METRIC_INDEX_GROUP_COMMITS, 0, 1);
			metrics_add(METRIC_INDEX_GROUP_WRITES, 0, pb->batch.n);
		}
	}
	batch_tell(&pb->batch, err);
}

s3err_t posix_batch_join(struct posix_be *pb, struct conn **out)
{
	struct conn *c = batch_conn(pb);
	s3err_t err = S3E_OK;
	int rc;

	if (!posix_write_lock(pb, true))
		return posix_db_err(c, SQLITE_BUSY, "begin (writer queue)");
	if (!pb->batch.open) {
		rc = posix_run(c->st[ST_BEGIN]);
		if (rc != SQLITE_OK) {
			err = posix_db_err(c, rc, "begin (group)");
			goto out;
		}
		pb->batch.open = true;
	}
	rc = posix_run(c->st[ST_SAVEPOINT]);
	if (rc != SQLITE_OK) {
		err = posix_db_err(c, rc, "savepoint");
		posix_batch_close(pb); /* the members before stay whole */
	}
out:
	if (err != S3E_OK) {
		if (posix_write_unlock(pb))
			posix_gc_later_settle_any(pb);
		return err;
	}
	*out = c;
	return S3E_OK;
}

/* W4a: undoes this member's rows only; when even that fails the batch ends. */
static void member_undo(struct posix_be *pb, struct conn *c)
{
	if (sqlite3_get_autocommit(c->db) || posix_run(c->st[ST_ROLLBACK_TO]) != SQLITE_OK ||
	    posix_run(c->st[ST_RELEASE]) != SQLITE_OK) {
		if (!sqlite3_get_autocommit(c->db) && posix_run(c->st[ST_ROLLBACK]) != SQLITE_OK)
			log_error(POSIX_LOG_MOD, "group commit rollback failed");
		batch_tell(&pb->batch, S3E_InternalError); /* W4b: nothing of it was written */
	}
}

/* W4c: waits for the transaction holding m's rows to end, committing it if it lingers. */
static void member_wait(struct posix_be *pb, struct posix_batch_member *m)
{
	struct posix_batch *b = &pb->batch;
	struct timespec until;

	pthread_mutex_lock(&b->mu);
	while (!m->done) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += POSIX_BATCH_WAIT_MS * 1000000L; /* < 1 s: one carry at most */
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&b->cv, &b->mu, &until) != ETIMEDOUT || m->done)
			continue;
		pthread_mutex_unlock(&b->mu);
		if (posix_write_lock(pb, false)) {
			/*
			 * m is in the open batch unless it was ended since the wait
			 * timed out; then this commits a newer batch early, which
			 * tells its own members as any close does.
			 */
			posix_batch_close(pb);
			if (posix_write_unlock(pb))
				posix_gc_later_settle_any(pb);
		}
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
}

s3err_t posix_batch_leave(struct posix_be *pb, struct conn *c, s3err_t err)
{
	struct posix_batch_member me = {NULL, false, S3E_OK};
	bool now;
	int rc;

	if (err == S3E_OK) {
		rc = posix_run(c->st[ST_RELEASE]);
		if (rc != SQLITE_OK)
			err = posix_db_err(c, rc, "release");
	}
	if (err != S3E_OK) {
		member_undo(pb, c);
	} else {
		me.next = pb->batch.members;
		pb->batch.members = &me;
		pb->batch.n++;
	}
	/* W4c; a batch left without members ends too (its COMMIT writes nothing). */
	now = pb->batch.n == 0 || pb->batch.n >= POSIX_BATCH_MAX ||
	      atomic_load(&pb->batch.wanted) == 0;
	if (now)
		posix_batch_close(pb);
	/* Files pushed for W2 while the batch stays open are its close's to release. */
	if (posix_write_unlock(pb) && now)
		posix_gc_later_settle_any(pb);
	if (err != S3E_OK)
		return err;
	member_wait(pb, &me);
	return me.err;
}
