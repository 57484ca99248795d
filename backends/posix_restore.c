/*
 * posix_restore: archive restores of the posix backend: the restore_request,
 * restore_due, restore_run and restore_release slots. A run copies files
 * with the transition machinery of posix_tiers.c (posix_tr_*), the home as
 * its target; the restore's state lives in the objects row (posix.c), and
 * posix_obj_retire ends a restore with its version.
 *
 * Archive restores (DESIGN.md, "Tiers and lifecycle"; issue 6). The gateway
 * decides which classes are archives and refuses their reads unless a
 * restore is done; this backend keeps the restore and its copy:
 *  R1. objects.restore_state is 0 (NONE), 1 (ONGOING: asked for, no copy
 *      committed) or 2 (DONE: a verified readable copy exists, until
 *      restore_until_ms); restore_until_ms is 0 with NONE. The restore
 *      belongs to the version of the row: every new write of the key
 *      (writer_commit, upload_complete) starts with 0/0 (the upsert resets
 *      them) and retires the old version's restore with its data (R6), as
 *      a delete does.
 *  R2. The restored copy of a data file (T, id) with T <> "" is the file
 *      ("", id): its stored bytes copied unchanged into the home location
 *      (frames are bound to the id; a sealed file stays sealed under the key
 *      derived from that id). A file whose row says tier "" already is at
 *      home: it is the object itself and gets no copy. While the row says
 *      DONE, it NAMES ("", id) of each of its files whose tier is not "":
 *      objects.object_id for layout 0, each object_parts row for layout 1.
 *      posix_file_named (so gc_release and the discard of a failed copy)
 *      and the scrub's orphan pass count these names like any other.
 *  R3. Why one id in two locations is safe (T4): the archived file is
 *      (T, id), its copy ("", id); gc rows, named checks and unlinks all take
 *      the pair, so releasing the copy never touches the archive file, nor
 *      an overwrite the wrong one. The home name ("", id) has one owner at a
 *      time: a transition, which could make ("", id) the object's own file,
 *      is refused while restore_state <> 0 (T7), and a restore copies only
 *      files whose tier is not "". A copy a racing transition or restore
 *      placed over the other's is the same verified bytes, and whichever
 *      switch finds its inode replaced fails (T4) and discards only what no
 *      row names.
 *  R4. Readers of a DONE row open every file in the home location (the
 *      copy, or the file itself when it lives there), readers of any other
 *      row at its tier (T2). A reader keeps the fds it opened; a part it
 *      opens later whose copy was released meanwhile is found as the
 *      archived file under the same id (M7 in posix_multipart.c), proven
 *      by its frames.
 *  R5. restore_run follows T5 with the home as the target: (1) one read
 *      snapshot: the row is the version asked for and ONGOING, and its
 *      files; (2)-(4) the files not at home are copied into home tmp/ID,
 *      the whole object is read back at home and verified (posix_verify_
 *      files), the copies are touched and renamed into objects/xx/ID;
 *      (5) one write transaction: the copies are still the inodes placed
 *      (T4); ONGOING -> DONE only on the row with the same version, object
 *      id and tier, and each copied part still where step 1 saw it (one
 *      row each, or PreconditionFailed); stale gc rows of the copies'
 *      names dropped. A failure before (5) commits removes the copies
 *      (placed ones only where no row names them) and leaves the row
 *      ONGOING for a retry (S3E_InternalError, logged). A crash leaves
 *      copies in tmp/ (swept at open) or in objects/ (orphans the scrub
 *      reports; never read, since only DONE rows name them); the retried
 *      run renames its own verified copy over such a leftover, and its
 *      switch makes that name live.
 *  R6. The copies go in the transaction that ends the restore: restore_
 *      release (DONE -> NONE), or posix_obj_retire (the row is replaced or
 *      deleted). It queues in gc ("", id) of every file of the row whose
 *      tier is not "" (exactly its copies, R2), never a file at home (that
 *      is the object), and gc releases them after the commit (P2). An
 *      ONGOING restore has no committed copy: ending it queues nothing,
 *      and a run still staging fails its switch and discards.
 *  R7. restore_request is one durable write transaction: ONGOING stays as
 *      it is, DONE gets the new expiry (as AWS moves it), NONE becomes
 *      ONGOING. restore_due walks the partial index objects_restoring
 *      (restore_state <> 0) in (bucket, key) order across all buckets,
 *      RESTORE_BATCH rows per query, copied out before the visitor runs
 *      (P4), so a visitor may run or release the restore it is shown.
 *
 * The other invariants (P*, F*, the state-transition table) are at the
 * top of posix.c, the tier ones (T*) at the top of posix_tiers.c.
 */
#include "posix_internal.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../common/log.h"

#define RESTORE_BATCH 64u /* restores copied out per query by posix_restore_due */

/* --- archive restores (R1..R7) --- */

/* Runs ST_RS_SET: bucket/key's restore becomes (state, until_ms). */
static s3err_t rs_set(struct conn *c, const char *bucket, const char *key, int state,
		      int64_t until_ms)
{
	sqlite3_stmt *st = c->st[ST_RS_SET];
	int rc;

	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, state);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, until_ms);
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "restore update");
}

/* The restore_request slot (R7). */
s3err_t posix_restore_request(struct backend *be, const char *bucket, const char *key,
			      int64_t until_ms, int *state_out)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c = posix_pool_get(pb);
	struct obj_files o;
	bool found = false;
	s3err_t err;

	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = posix_obj_files_get(c, bucket, key, &o, &found);
	if (err == S3E_OK && !found) {
		err = posix_bucket_exists(c, bucket);
		if (err == S3E_OK)
			err = S3E_NoSuchKey;
	}
	if (err != S3E_OK)
		goto out;
	switch (o.restore_state) {
	case RESTORE_ONGOING: /* left as it is: the caller answers RestoreAlreadyInProgress */
		break;
	case RESTORE_DONE: /* AWS moves the expiry to the one asked for last */
		err = rs_set(c, bucket, key, RESTORE_DONE, until_ms);
		break;
	default: /* a new restore: restore_due hands it to a worker */
		err = rs_set(c, bucket, key, RESTORE_ONGOING, until_ms);
		break;
	}
	if (err == S3E_OK && o.restore_state != RESTORE_ONGOING)
		err = posix_tx_commit(c);
	if (err == S3E_OK)
		*state_out = o.restore_state;
out:
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
	return err;
}

/* Decodes one row of ST_RS_DUE. */
static bool due_row_decode(sqlite3_stmt *st, size_t n, void *rows)
{
	struct restore_item *it = &((struct restore_item *)rows)[n];
	int state = sqlite3_column_int(st, 4);

	memset(it, 0, sizeof(*it));
	it->mtime_ms = sqlite3_column_int64(st, 2);
	it->state = state;
	return (state == RESTORE_ONGOING || state == RESTORE_DONE) &&
	       posix_col_text(st, 0, it->bucket, sizeof(it->bucket)) &&
	       posix_col_text(st, 1, it->key, sizeof(it->key)) &&
	       posix_col_text(st, 3, it->etag, sizeof(it->etag));
}

/* Copies up to RESTORE_BATCH restores due at now_ms after `after` into rows. */
static s3err_t due_batch(struct conn *c, const struct restore_item *after, int64_t now_ms,
			 struct restore_item *rows, size_t *got)
{
	sqlite3_stmt *st = c->st[ST_RS_DUE];
	s3err_t err;
	int rc;

	rc = posix_bind_text(st, 1, after->bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, after->key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, now_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, RESTORE_BATCH);
	err = posix_fetch_rows(c, st, rc, RESTORE_BATCH, "restores due", due_row_decode, rows, got);
	posix_stmt_done(st);
	return err;
}

/*
 * The restore_due slot (R7): batches in (bucket, key) order; the
 * connection is back in the pool before the visitor runs (P4), so it may
 * run or release the restore it is shown.
 */
s3err_t posix_restore_due(struct backend *be, int64_t now_ms, restore_visit_fn visit, void *ctx)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct restore_item *rows, *after;
	size_t got = 0, i;
	struct conn *c;
	s3err_t err = S3E_OK;

	rows = calloc(RESTORE_BATCH, sizeof(*rows));
	after = calloc(1, sizeof(*after)); /* ("", ""): before every row */
	if (!rows || !after) {
		err = S3E_InternalError;
		goto out;
	}
	do {
		c = posix_pool_get(pb);
		err = due_batch(c, after, now_ms, rows, &got);
		posix_pool_put(pb, c);
		if (err != S3E_OK)
			goto out;
		for (i = 0; i < got; i++)
			if (!visit(ctx, &rows[i]))
				goto out;
		if (got > 0)
			*after = rows[got - 1];
	} while (got == RESTORE_BATCH);
out:
	free(after);
	free(rows);
	return err;
}

/*
 * R5 step 5, one write transaction: the copies are still the inodes placed
 * (T4); ONGOING -> DONE only on the version step 1 loaded with its data
 * where step 1 saw it: the objects row (object id and tier) and each
 * copied part (its object_parts row still names the file where it was:
 * ST_TR_OPART setting the tier it has, so the row count is the check).
 * Stale gc rows of the copies' names go (T4). *unsure as in index_publish.
 */
static s3err_t rs_switch(struct conn *c, const char *bucket, const char *key,
			 const struct tr_plan *p, bool *unsure)
{
	const char *obj[6] = {bucket, key, NULL, p->m.etag, p->id, p->tier};
	bool one = false;
	s3err_t err;

	err = posix_tx_begin(c);
	if (err == S3E_OK && !posix_tr_all_placed(p))
		err = S3E_InternalError;
	if (err == S3E_OK)
		err = posix_tr_update(c, ST_RS_DONE, obj, 6, 3, p->m.mtime_ms, &one);
	if (err == S3E_OK && !one)
		err = S3E_PreconditionFailed;
	return posix_switch_files(c, bucket, key, p, false, err, unsure);
}

/*
 * The restore_run slot (R5): the copies of the files not at home, made and
 * verified as a transition's (T5 steps 2-4, to the home), then the switch
 * to DONE. A failure removes the copies and leaves the restore ONGOING.
 */
s3err_t posix_restore_run(struct backend *be, const char *bucket, const char *key, int64_t mtime_ms,
			  const char *etag)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c = NULL;
	bool unsure = false;
	struct tr_plan p;
	s3err_t err;
	size_t i;

	memset(&p, 0, sizeof(p));
	obj_meta_init(&p.m);
	if (strlen(bucket) > STRATA_BUCKET_NAME_MAX || strlen(key) > STRATA_MAX_KEY_LEN ||
	    strlen(etag) >= STRATA_ETAG_MAX) {
		log_error(POSIX_LOG_MOD, "restore_run called with an oversized argument");
		return S3E_InternalError;
	}
	p.to = &pb->loc[0]; /* R2: copies live at home */
	err = posix_tr_load(pb, bucket, key, mtime_ms, etag, RESTORE_ONGOING, &p);
	if (err == S3E_OK && p.moves > 0)
		err = posix_tr_stage(pb, bucket, key, &p);
	if (err != S3E_OK)
		goto out;
	c = posix_pool_get(pb);
	err = rs_switch(c, bucket, key, &p, &unsure);
	if (unsure) {
		/* The switch may still be replayed from the WAL: keep the copies. */
		log_error(POSIX_LOG_MOD,
			  "kept the restored copies of %s/%s in %s after a failed index commit",
			  bucket, key, p.to->dir);
		for (i = 0; i < p.n; i++)
			p.files[i].placed = false;
	}
	if (err != S3E_OK)
		goto out;
	log_info(POSIX_LOG_MOD, "restored %s/%s (%zu data file(s) copied to %s)", bucket, key,
		 p.moves, p.to->dir);
out:
	if (c)
		posix_pool_put(pb, c);
	if (err != S3E_OK && p.files) {
		posix_tr_discard(pb, &p);
		if (err == S3E_InternalError)
			log_error(POSIX_LOG_MOD,
				  "restore of %s/%s failed; it stays ongoing for a retry", bucket,
				  key);
	}
	posix_tr_plan_free(&p);
	return err;
}

/*
 * The restore_release slot (R6): in one write transaction, only on the
 * version (mtime_ms, etag), the restore ends and its copies (a done one's)
 * are queued in gc; they are unlinked after the commit. Ending an object
 * without a restore changes nothing.
 */
s3err_t posix_restore_release(struct backend *be, const char *bucket, const char *key,
			      int64_t mtime_ms, const char *etag)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c = posix_pool_get(pb);
	bool found = false, copy = false, parts = false;
	struct obj_files o;
	s3err_t err;

	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = posix_row_is(c, bucket, key, mtime_ms, etag);
	if (err == S3E_OK)
		err = posix_obj_files_get(c, bucket, key, &o, &found);
	if (err == S3E_OK && !found)
		err = S3E_PreconditionFailed; /* cannot happen after posix_row_is in one transaction
					       */
	if (err != S3E_OK || o.restore_state == RESTORE_NONE)
		goto out;
	if (o.restore_state == RESTORE_DONE)
		err = posix_rs_queue_copies(c, bucket, key, &o, &copy, &parts);
	if (err == S3E_OK)
		err = rs_set(c, bucket, key, RESTORE_NONE, 0);
	if (err == S3E_OK)
		err = posix_tx_commit(c);
	if (err != S3E_OK)
		goto out;
	/* P2: after the commit; failures leave gc rows for the next drain or open. */
	if (copy)
		posix_gc_finish(pb, c, "", o.id);
	if (parts)
		posix_gc_drain(pb, c);
out:
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
	return err;
}
