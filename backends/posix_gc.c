/*
 * posix_gc: the gc queue of data files no row names any more: what a
 * transaction that replaces or deletes a row queues (posix_gc_add,
 * posix_obj_retire), and how the files go after its commit
 * (posix_gc_finish, posix_retired_finish, posix_gc_drain; at open too).
 *
 * Invariants (numbered at the top of posix.c and of the files named): P2,
 * a file is unlinked only after the transaction that queued it committed;
 * T4 (posix_tiers.c), a file that a row names again stays, only its gc row
 * goes (gc_release); W2, under load a release is left to the next writer's
 * commit (gc_later_push, posix_gc_later_release); X5 (posix_remote.c), a
 * remote file is deleted after the transaction, never under the index
 * lock (gc_remote_finish); P7, R1 and R6 (posix_restore.c), a retired row
 * takes its files and its restored copy with it (posix_obj_retire).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* openat family, pread and flock under -std=c11 */
#endif
#include "posix_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../common/log.h"

#define GC_BATCH 256u /* gc rows unlinked per batch by posix_gc_drain */

/* --- gc (invariants P2, T4) --- */

s3err_t posix_file_named(struct conn *c, const char *tier, const char *id, bool *named)
{
	return posix_row_exists(c, ST_FILE_NAMED, tier, id, "file reference lookup", named);
}

s3err_t posix_gc_pending(struct conn *c, const char *tier, const char *id, bool *pending)
{
	return posix_row_exists(c, ST_GC_PENDING, tier, id, "gc lookup", pending);
}

s3err_t posix_gc_add(struct conn *c, const char *tier, const char *id)
{
	const char *const a[2] = {tier, id};
	int rc = posix_run_texts(c->st[ST_GC_ADD], a, 2);

	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "gc insert");
}

/* Unlinks loc's objects/xx/ID; true when it is gone (already or now). */
static bool gc_unlink(const struct posix_loc *loc, const char *id)
{
	char rel[POSIX_REL_LEN + 1];
	int e;

	posix_id_relpath(id, rel);
	if (unlinkat(loc->objfd, rel, 0) == 0 || errno == ENOENT)
		return true;
	/* The gc row stays; the next drain or posix_open retries. */
	e = errno;
	log_warn(POSIX_LOG_MOD, "unlink %s/objects/%s: %s", loc->dir, rel, strerror(e));
	return false;
}

/*
 * Within the caller's write transaction (T4): releases the gc row (tier,
 * id). Its file is unlinked unless a row names (tier, id) again (a
 * transition brought the object back: the file is live and stays); then
 * the gc row goes. A file that cannot be unlinked keeps its row for the
 * next drain; so does a row this backend cannot act on (logged). A remote
 * file is not deleted here (no network under the index lock): *deferred
 * tells the caller to run gc_remote_finish after the commit (X5).
 */
static s3err_t gc_release(struct posix_be *pb, struct conn *c, const char *tier, const char *id,
			  bool *deferred)
{
	const char *const a[2] = {tier, id};
	const struct posix_loc *loc = posix_loc_find(pb, tier);
	bool named = false;
	s3err_t err;
	int rc;

	*deferred = false;
	if (!loc || !posix_id_valid(id)) {
		log_warn(POSIX_LOG_MOD,
			 "index gc table holds a malformed row (tier \"%.32s\"); kept", tier);
		return S3E_OK;
	}
	err = posix_file_named(c, tier, id, &named);
	if (err != S3E_OK)
		return err;
	if (!named && loc->remote) {
		*deferred = true; /* X5: deleted after this transaction, then the row goes */
		return S3E_OK;
	}
	if (!named && !gc_unlink(loc, id))
		return S3E_OK;
	rc = posix_run_texts(c->st[ST_GC_DEL], a, 2);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "gc delete");
}

/*
 * X5: deletes the remote file of a gc row whose release was deferred, then
 * (only if the remote confirmed) forgets the row in its own transaction.
 * A remote that is down keeps the row for the next drain.
 */
static void gc_remote_finish(struct posix_be *pb, struct conn *c, const char *tier, const char *id)
{
	const struct posix_loc *loc = posix_loc_find(pb, tier);
	const char *const a[2] = {tier, id};
	s3err_t err;
	int rc;

	if (!loc || posix_remote_delete(loc, id) != S3E_OK) {
		log_warn(POSIX_LOG_MOD, "gc of %s object %s deferred: the remote did not confirm",
			 loc ? loc->dir : tier, id);
		return;
	}
	err = posix_tx_begin(c);
	if (err == S3E_OK) {
		rc = posix_run_texts(c->st[ST_GC_DEL], a, 2);
		err = rc == SQLITE_OK ? posix_tx_commit(c) : posix_db_err(c, rc, "gc delete");
	}
	/* The remote file is gone; a row left behind is retried (and found gone) next drain. */
	if (err != S3E_OK)
		log_warn(POSIX_LOG_MOD, "gc of %s object %s: the row stays until the next drain",
			 tier, id);
	posix_tx_rollback(c);
}

/*
 * W2. While another write transaction is open, a file whose row went in a
 * commit just made is left to that writer: posix_tx_commit releases the
 * waiting files (gc_release, T4 and all) inside its own transaction, so an
 * overwrite under load costs one commit's fsync, not two. The writer that
 * ends with files still waiting and no writer after it releases them in a
 * transaction of its own (write_end, posix_gc_later_settle), so none lingers; a
 * crash loses nothing either: the gc rows stay for the next posix_open
 * (P2). Remote files (X5) and a full list go the direct way. True when
 * (tier, id) was left so.
 */
static bool gc_later_push(struct posix_be *pb, const char *tier, const char *id)
{
	const struct posix_loc *loc = posix_loc_find(pb, tier);
	size_t tlen = strlen(tier), ilen = strlen(id);
	bool pushed = false;

	if (!loc || loc->remote || tlen >= POSIX_TIER_MAX || ilen > POSIX_ID_HEX)
		return false;
	pthread_mutex_lock(&pb->later_mu);
	/* writer_in and n_later change under later_mu: the writer in sees the file (W2). */
	if (pb->writer_in && pb->n_later < POSIX_GC_LATER) {
		memcpy(pb->gc_later[pb->n_later].tier, tier, tlen + 1);
		memcpy(pb->gc_later[pb->n_later].id, id, ilen + 1);
		pb->n_later++;
		pushed = true;
	}
	pthread_mutex_unlock(&pb->later_mu);
	return pushed;
}

/*
 * W2, in a write transaction about to commit: releases the files others
 * left. A failure stops here; the rows not released stay in gc (P2).
 */
void posix_gc_later_release(struct conn *c)
{
	struct posix_be *pb = c->pb;
	char tier[POSIX_TIER_MAX], id[POSIX_ID_HEX + 1];
	bool deferred;

	pthread_mutex_lock(&pb->later_mu);
	while (pb->n_later > 0) {
		pb->n_later--;
		memcpy(tier, pb->gc_later[pb->n_later].tier, sizeof(tier));
		memcpy(id, pb->gc_later[pb->n_later].id, sizeof(id));
		pthread_mutex_unlock(&pb->later_mu); /* gc_release unlinks: no mutex across it */
		if (gc_release(pb, c, tier, id, &deferred) != S3E_OK) {
			log_warn(POSIX_LOG_MOD, "a gc release is left for the next open");
			return;
		}
		pthread_mutex_lock(&pb->later_mu);
	}
	pthread_mutex_unlock(&pb->later_mu);
}

void posix_gc_finish(struct posix_be *pb, struct conn *c, const char *tier, const char *id)
{
	bool deferred = false;
	s3err_t err;

	if (gc_later_push(pb, tier, id))
		return;

	/* Failures leave the gc row for the next drain or posix_open (P2). */
	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = gc_release(pb, c, tier, id, &deferred);
	if (err == S3E_OK)
		err = posix_tx_commit(c);
	posix_tx_rollback(c);
	if (err == S3E_OK && deferred)
		gc_remote_finish(pb, c, tier, id);
}

/* One gc row, copied out. */
struct gc_row {
	char tier[POSIX_TIER_MAX];
	char id[POSIX_ID_HEX + 1];
	bool deferred; /* a remote file to delete after the batch's transaction (X5) */
};

/* Decodes one row of the query below. */
static bool gc_row_decode(sqlite3_stmt *st, size_t n, void *rows)
{
	struct gc_row *g = &((struct gc_row *)rows)[n];

	return posix_col_text(st, 0, g->tier, sizeof(g->tier)) &&
	       posix_col_text(st, 1, g->id, sizeof(g->id));
}

/* Copies up to GC_BATCH queued rows above `after` into rows; *got is how many. */
static s3err_t gc_batch(struct conn *c, const struct gc_row *after, struct gc_row *rows,
			size_t *got)
{
	sqlite3_stmt *st = c->st[ST_GC_BATCH];
	s3err_t err;
	int rc;

	rc = posix_bind_text(st, 1, after->tier);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, after->id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, GC_BATCH);
	err = posix_fetch_rows(c, st, rc, GC_BATCH, "gc scan", gc_row_decode, rows, got);
	posix_stmt_done(st);
	return err;
}

s3err_t posix_gc_drain(struct posix_be *pb, struct conn *c)
{
	struct gc_row after = {"", "", false}, *rows;
	size_t got = 0, i;
	s3err_t err = S3E_OK;

	rows = calloc(GC_BATCH, sizeof(*rows));
	if (!rows)
		return S3E_InternalError;
	do {
		err = gc_batch(c, &after, rows, &got);
		if (err != S3E_OK || got == 0)
			goto out;
		after = rows[got - 1];
		/*
		 * One write transaction per batch: one fsync, not one per file, and
		 * the T4 check and the unlink under the same lock as a transition's
		 * switch. Rows kept (an unlink failed) are passed over by `after`.
		 */
		err = posix_tx_begin(c);
		for (i = 0; err == S3E_OK && i < got; i++)
			err = gc_release(pb, c, rows[i].tier, rows[i].id, &rows[i].deferred);
		if (err == S3E_OK)
			err = posix_tx_commit(c);
		if (err != S3E_OK)
			goto out; /* the rows stay: unlinking again is harmless (ENOENT) */
		for (i = 0; i < got; i++)
			if (rows[i].deferred)
				gc_remote_finish(pb, c, rows[i].tier, rows[i].id);
	} while (got == GC_BATCH);
out:
	posix_tx_rollback(c);
	free(rows);
	return err;
}

s3err_t posix_obj_files_get(struct conn *c, const char *bucket, const char *key,
			    struct obj_files *o, bool *found)
{
	sqlite3_stmt *st = c->st[ST_OBJ_ID];
	s3err_t err = S3E_OK;
	int rc;

	memset(o, 0, sizeof(*o));
	*found = false;
	rc = posix_step_texts2(st, bucket, key);
	if (rc == SQLITE_ROW) {
		*found = true;
		o->layout = sqlite3_column_int(st, 1);
		o->restore_state = sqlite3_column_int(st, 3);
		if (o->layout != 1 && (!posix_col_id(st, 0, o->id) ||
				       !posix_col_text(st, 2, o->tier, sizeof(o->tier))))
			o->id[0] = '\0';
	} else if (rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "object lookup");
	}
	posix_stmt_done(st);
	return err;
}

s3err_t posix_rs_queue_copies(struct conn *c, const char *bucket, const char *key,
			      const struct obj_files *o, bool *copy, bool *parts)
{
	const char *bk[2] = {bucket, key};
	s3err_t err;
	int rc;

	*copy = false;
	*parts = false;
	if (o->layout == 1) {
		rc = posix_run_texts(c->st[ST_RS_OPART_GC], bk, 2);
		if (rc != SQLITE_OK)
			return posix_db_err(c, rc, "restored copies retire");
		*parts = sqlite3_changes(c->db) > 0;
		return S3E_OK;
	}
	/* A file at home is the object itself, never a copy (R2). */
	if (!o->id[0] || !o->tier[0])
		return S3E_OK;
	err = posix_gc_add(c, "", o->id);
	*copy = err == S3E_OK;
	return err;
}

s3err_t posix_obj_retire(struct conn *c, const char *bucket, const char *key, struct retired *out,
			 bool *found)
{
	const char *bk[2] = {bucket, key};
	struct retired r = {"", "", false, false};
	struct obj_files o;
	bool parts_copied = false;
	s3err_t err;
	int rc;

	err = posix_obj_files_get(c, bucket, key, &o, found);
	if (err != S3E_OK)
		goto out;
	r.parts = *found && o.layout == 1;
	/* R1, R6: a done restore goes with its version (before object_parts is deleted). */
	if (*found && o.restore_state == RESTORE_DONE) {
		err = posix_rs_queue_copies(c, bucket, key, &o, &r.copy, &parts_copied);
		if (err != S3E_OK)
			goto out;
	}
	if (r.parts) {
		rc = posix_run_texts(c->st[ST_OBJ_PARTS_GC], bk, 2);
		if (rc == SQLITE_OK)
			rc = posix_run_texts(c->st[ST_OBJ_PARTS_DELETE], bk, 2);
		if (rc != SQLITE_OK) {
			err = posix_db_err(c, rc, "object parts retire");
			goto out;
		}
	} else if (*found && o.id[0]) {
		bool queued = false;

		err = posix_data_retire(c, o.tier, o.id, &queued); /* I3 */
		if (err != S3E_OK)
			goto out;
		if (queued) {
			memcpy(r.id, o.id, sizeof(r.id));
			memcpy(r.tier, o.tier, sizeof(r.tier));
		}
	}
	*out = r;
out:
	return err;
}

void posix_retired_finish(struct posix_be *pb, struct conn *c, const struct retired *r)
{
	if (r->id[0])
		posix_gc_finish(pb, c, r->tier, r->id);
	if (r->copy)
		posix_gc_finish(pb, c, "", r->id); /* its restored copy (R6) */
	if (r->parts)
		posix_gc_drain(pb, c); /* failures leave gc rows for the next open */
}
