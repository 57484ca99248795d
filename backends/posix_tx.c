/*
 * posix_tx: access to the index: errors mapped, statements bound, stepped
 * and run, rows fetched and columns read, the connection pool, and the
 * transactions (write transactions queue on the backend's write_mu).
 *
 * Invariants (numbered at the top of posix.c): W1, a write transaction
 * holds write_mu from BEGIN IMMEDIATE until it has ended (posix_tx_begin,
 * write_end), and a wait as long as SQLite's busy timeout is SlowDown; W2,
 * the files others left to the writer in are released in its commit, and
 * the last writer releases what is still waiting in transactions of its
 * own (posix_gc_later_settle); P4, the pool mutex guards the free list
 * only, never I/O.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* openat family, pread and flock under -std=c11 */
#endif
#include "posix_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "../common/log.h"
#include "../common/sse.h"

/* --- errors, statements, transactions and the pool --- */

s3err_t posix_db_err(struct conn *c, int rc, const char *what)
{
	log_error(POSIX_LOG_MOD, "index %s failed: %s (%s)", what, sqlite3_errstr(rc),
		  sqlite3_errmsg(c->db));
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return S3E_SlowDown;
	/* The index's disk is full: SQLite rolled the statement back, reads go on. */
	if ((rc & 0xff) == SQLITE_FULL)
		return S3E_XMinioStorageFull;
	return S3E_InternalError;
}

/*
 * Whether a COMMIT that failed with err may still take effect: after a failed
 * write or fsync of the WAL, a restart can replay a commit frame that did
 * reach the file, so the data file it names must stay. SQLITE_FULL alone is
 * certain: the frames could not be written, a torn last (commit) frame fails
 * its checksum at recovery, and the file can go (on a full disk, kept files
 * would hold the space for good).
 */
bool posix_commit_unsure(s3err_t err)
{
	return err != S3E_OK && err != S3E_XMinioStorageFull;
}

s3err_t posix_fetch_rows(struct conn *c, sqlite3_stmt *st, int bind_rc, size_t cap,
			 const char *what, posix_row_fn decode, void *rows, size_t *got)
{
	int rc = bind_rc;
	size_t n = 0;

	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n >= cap || !decode(st, n, rows)) {
			log_error(POSIX_LOG_MOD, "index %s returned a malformed row", what);
			return S3E_InternalError;
		}
		n++;
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE)
		return posix_db_err(c, rc, what);
	*got = n;
	return S3E_OK;
}

void posix_stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int posix_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

int posix_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	posix_stmt_done(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int posix_step_texts2(sqlite3_stmt *st, const char *a, const char *b)
{
	int rc = posix_bind_text(st, 1, a);

	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, b);
	return rc == SQLITE_OK ? sqlite3_step(st) : rc;
}

int posix_run_texts(sqlite3_stmt *st, const char *const *a, int n)
{
	int i, rc = SQLITE_OK;

	for (i = 0; i < n && rc == SQLITE_OK; i++)
		rc = posix_bind_text(st, i + 1, a[i]);
	if (rc != SQLITE_OK) {
		posix_stmt_done(st);
		return rc;
	}
	return posix_run(st);
}

/*
 * Leaves the writer queue once c's write transaction has ended (W1). True
 * when files left for a writer to release (W2) are waiting and no writer is
 * left to do it: then the caller releases them itself (posix_gc_later_settle).
 */
static bool write_end(struct conn *c)
{
	if (!c->writing || !sqlite3_get_autocommit(c->db))
		return false;
	c->writing = false;
	return posix_write_unlock(c->pb);
}

bool posix_write_unlock(struct posix_be *pb)
{
	bool stranded;

	pthread_mutex_lock(&pb->later_mu);
	pb->writer_in = false;
	stranded = pb->n_later > 0;
	pthread_mutex_unlock(&pb->later_mu);
	pthread_mutex_unlock(&pb->write_mu);
	return stranded;
}

bool posix_write_lock(struct posix_be *pb, bool wait)
{
	struct timespec until;
	int rc;

	if (wait) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += POSIX_BUSY_TIMEOUT_MS / 1000;
		/* W4: a member leaves its group commit open only while someone waits here. */
		atomic_fetch_add(&pb->batch.wanted, 1);
		rc = pthread_mutex_timedlock(&pb->write_mu, &until);
		atomic_fetch_sub(&pb->batch.wanted, 1);
	} else {
		rc = pthread_mutex_trylock(&pb->write_mu);
	}
	if (rc != 0)
		return false;
	pthread_mutex_lock(&pb->later_mu);
	pb->writer_in = true;
	pthread_mutex_unlock(&pb->later_mu);
	return true;
}

/*
 * W1. Write transactions queue on the backend's write_mu, held from BEGIN
 * IMMEDIATE until the transaction has ended. SQLite lets one writer in at a
 * time anyway, but its busy handler makes the others poll with sleeps of
 * 1, 2, 5 ... 100 ms: under 64 concurrent PUTs the lock sat free while
 * writers slept, and p99 reached half a second. The mutex is that same
 * lock, held across the same commit fsync, handed over at once and in turn.
 * Only this process writes the index (LOCK), so nothing else contends; a
 * wait as long as SQLite's busy timeout still ends in SlowDown.
 */
s3err_t posix_tx_begin(struct conn *c)
{
	int rc;

	if (!posix_write_lock(c->pb, true))
		return posix_db_err(c, SQLITE_BUSY, "begin (writer queue)");
	c->writing = true;
	/* W4: an open group commit holds SQLite's write lock: it commits first. */
	posix_batch_close(c->pb);
	rc = posix_run(c->st[ST_BEGIN]);
	if (rc != SQLITE_OK) {
		write_end(c); /* a file left meanwhile waits for the next writer (W2) */
		return posix_db_err(c, rc, "begin");
	}
	return S3E_OK;
}

s3err_t posix_tx_begin_read(struct conn *c)
{
	int rc = posix_run(c->st[ST_BEGIN_READ]);

	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "begin");
}

/* W2: releases the files no writer was left to release, in transactions of c's own. */
void posix_gc_later_settle(struct conn *c)
{
	int round;

	/* Each round may find files a writer left while it ran; a few rounds end it. */
	for (round = 0; round < 4; round++) {
		if (posix_tx_begin(c) != S3E_OK)
			return; /* the rows stay in gc (P2) */
		posix_gc_later_release(c);
		if (posix_run(c->st[ST_COMMIT]) != SQLITE_OK && !sqlite3_get_autocommit(c->db))
			posix_run(c->st[ST_ROLLBACK]);
		if (!write_end(c))
			return;
	}
}

void posix_gc_later_settle_any(struct posix_be *pb)
{
	struct conn *c = posix_pool_get(pb);

	posix_gc_later_settle(c);
	posix_pool_put(pb, c);
}

s3err_t posix_tx_commit(struct conn *c)
{
	s3err_t err = S3E_OK;
	int rc;

	if (c->writing)
		posix_gc_later_release(c); /* W2 */
	rc = posix_run(c->st[ST_COMMIT]);
	if (rc != SQLITE_OK)
		err = posix_db_err(c, rc, "commit");
	/* A failed COMMIT may leave the transaction open: then rollback ends it. */
	if (write_end(c))
		posix_gc_later_settle(c);
	return err;
}

void posix_tx_rollback(struct conn *c)
{
	int rc;

	/* SQLite may already have rolled back after an error. */
	if (!sqlite3_get_autocommit(c->db)) {
		rc = posix_run(c->st[ST_ROLLBACK]);
		if (rc != SQLITE_OK)
			log_error(POSIX_LOG_MOD, "index rollback failed: %s", sqlite3_errstr(rc));
	}
	if (write_end(c))
		posix_gc_later_settle(c);
}

struct conn *posix_pool_get(struct posix_be *pb)
{
	struct conn *c;

	pthread_mutex_lock(&pb->mu);
	while (!pb->free)
		pthread_cond_wait(&pb->cv, &pb->mu);
	c = pb->free;
	pb->free = c->next;
	pthread_mutex_unlock(&pb->mu);
	return c;
}

void posix_pool_put(struct posix_be *pb, struct conn *c)
{
	pthread_mutex_lock(&pb->mu);
	c->next = pb->free;
	pb->free = c;
	pthread_cond_signal(&pb->cv);
	pthread_mutex_unlock(&pb->mu);
}

bool posix_col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);

	if (!t) {
		dst[0] = '\0';
		return true;
	}
	if (n < 0 || (size_t)n >= cap)
		return false;
	memcpy(dst, t, (size_t)n);
	dst[n] = '\0';
	return true;
}

s3err_t posix_col_headers(sqlite3_stmt *st, int i, struct obj_meta *m)
{
	const void *blob = sqlite3_column_blob(st, i);
	int blen = sqlite3_column_bytes(st, i);

	if (!blob || blen <= 0)
		return S3E_OK;
	if ((size_t)blen > STRATA_MAX_STORED_HEADERS) {
		log_error(POSIX_LOG_MOD, "index holds a %d-byte headers blob", blen);
		return S3E_InternalError;
	}
	m->headers = malloc((size_t)blen);
	if (!m->headers)
		return S3E_InternalError;
	memcpy(m->headers, blob, (size_t)blen);
	m->headers_len = (size_t)blen;
	return S3E_OK;
}

bool posix_col_sse(sqlite3_stmt *st, int c0, struct obj_meta *m)
{
	sqlite3_int64 mode = sqlite3_column_int64(st, c0);
	const void *env = sqlite3_column_blob(st, c0 + 2);
	int elen = sqlite3_column_bytes(st, c0 + 2);

	if (mode < SSE_NONE || mode > SSE_C || elen < 0 || (size_t)elen > sizeof(m->sse_envelope) ||
	    !posix_col_text(st, c0 + 1, m->sse_key_id, sizeof(m->sse_key_id)))
		return false;
	m->sse_mode = (int)mode;
	m->sse_envelope_len = env ? (size_t)elen : 0;
	if (m->sse_envelope_len > 0)
		memcpy(m->sse_envelope, env, m->sse_envelope_len);
	return true;
}

int posix_bind_sse(sqlite3_stmt *st, int i0, const struct obj_meta *m)
{
	int rc = sqlite3_bind_int(st, i0, m->sse_mode);

	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, i0 + 1, m->sse_key_id);
	/* No envelope is NULL, not an empty blob: the column says "none" alike for all modes. */
	if (rc == SQLITE_OK && m->sse_envelope_len > 0)
		rc = sqlite3_bind_blob(st, i0 + 2, m->sse_envelope, (int)m->sse_envelope_len,
				       SQLITE_TRANSIENT);
	return rc;
}

bool posix_sse_valid(const struct obj_meta *m)
{
	size_t idlen = strnlen(m->sse_key_id, sizeof(m->sse_key_id));
	const char *why = NULL;

	if (m->sse_mode != SSE_NONE && m->sse_mode != SSE_S3 && m->sse_mode != SSE_C)
		why = "an unknown sse_mode";
	else if (idlen == sizeof(m->sse_key_id))
		why = "an unterminated master key id";
	else if (m->sse_envelope_len > sizeof(m->sse_envelope))
		why = "an oversized envelope";
	else if (m->sse_mode == SSE_NONE && (idlen > 0 || m->sse_envelope_len > 0))
		why = "a key id or envelope without encryption";
	else if (m->sse_mode == SSE_S3 && (idlen == 0 || m->sse_envelope_len == 0))
		why = "SSE-S3 without a master key id and envelope";
	else if (m->sse_mode == SSE_C && (idlen > 0 || m->sse_envelope_len == 0))
		why = "SSE-C without its key hash, or with a master key id";
	if (!why)
		return true;
	log_error(POSIX_LOG_MOD, "refused metadata with %s (sse_mode %d)", why, m->sse_mode);
	return false;
}

s3err_t posix_row_exists(struct conn *c, enum stmt which, const char *a, const char *b,
			 const char *what, bool *found)
{
	sqlite3_stmt *st = c->st[which];
	s3err_t err = S3E_OK;
	int rc;

	rc = posix_step_texts2(st, a, b);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		*found = rc == SQLITE_ROW;
	else
		err = posix_db_err(c, rc, what);
	posix_stmt_done(st);
	return err;
}
