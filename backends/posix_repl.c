/*
 * posix_repl: the replication queue of the local-disk backend (issue 8;
 * DESIGN.md, "Replication"; the slots' contracts are in backend.h).
 *
 * A change that matched replication rules (the gateway says which targets
 * in a repl_request) leaves one row per target in repl_events, written in
 * the transaction that makes the change visible. The replicator
 * (lifecycle/replicator.c) takes due events with repl_due, makes the
 * target's copy of the key match the source as it is when it runs, and
 * ends each event with repl_done or repl_retry. objects.repl_status is what
 * HEAD, GET and listings show as x-amz-replication-status.
 *
 * Invariants (P1..P7 are at the top of posix.c, the schema at the top of
 * posix_schema.c):
 *  Q1. Atomic with the change: the events of a write, a Complete or a
 *      delete are inserted in the very write transaction that publishes or
 *      removes the objects row (index_publish, complete_tx, object_delete),
 *      so once that COMMIT returned (WAL, synchronous = FULL) they are as
 *      durable as the object, and a crash before it leaves neither. kill -9
 *      after the 200 cannot lose them. A delete of an absent key still
 *      commits its delete events (the target may hold the key); a request
 *      that asks nothing adds no statement to the commit (the status is a
 *      bound parameter of the upsert the commit runs anyway).
 *  Q2. objects.repl_status is set by every upsert of a row, from the
 *      commit's request: PENDING with targets, REPLICA for a replica, NONE
 *      otherwise; the caller's obj_meta.repl_status is never stored. After
 *      that only two moves exist: PENDING or FAILED -> COMPLETED by
 *      repl_done, when no event of that bucket/key (and version, Q9)
 *      remains (for any target), and PENDING -> FAILED by repl_retry with
 *      failed, both on the row of the event's version. Transitions and
 *      restores update other columns and keep it. A newer version of the
 *      key gets its own status with its own events; in a never-versioned
 *      bucket (events without a version) a done event of an older version
 *      leaves the row PENDING while the newer one's are queued.
 *  Q3. An event leaves the queue only through repl_done of its own seq.
 *      repl_retry counts the attempt, keeps the error (cut to
 *      REPL_ERROR_MAX bytes at a UTF-8 boundary) and moves next_ms; failed
 *      is sticky until the event is done. Nothing else deletes events.
 *  Q4. Order per key and target: of the events of one (bucket, key, site,
 *      dest_bucket), repl_due shows only the one with the lowest seq, and
 *      only once its next_ms is due; seqs are assigned under the index's
 *      write lock, so in commit order. The target thus sees a key's changes
 *      one at a time, in the order they were acknowledged (and each event
 *      replays the source as it is now, so a later one never undoes an
 *      earlier one's newer data).
 *  Q5. seq is AUTOINCREMENT: never reused, even after the newest event was
 *      done, so a late repl_done or repl_retry only ever names its own
 *      event (an absent seq is a no-op).
 *  Q6. DeleteBucket keeps its events (no foreign key ties them to
 *      buckets). A bucket can only be deleted when empty, so its last
 *      changes were deletes, already acknowledged to clients: dropping
 *      their events would leave the target holding keys the client
 *      deleted, breaking the promise of Q1. Kept, they block nothing: they
 *      name no data file (gc and M3 never look at them), no bucket or key
 *      lock waits on them, and the replicator reads the source through the
 *      reader slots, where the bucket's absence answers NoSuchBucket, which
 *      it treats as "the key is absent" (delete at the target when the
 *      target replicates deletes, else nothing to do). A bucket created
 *      again under the same name is served right as well: an event only
 *      says "make the target match the source now", and repl_done moves
 *      only a PENDING or FAILED status, which a row written without
 *      replication never has.
 *  Q7. Replicas never queue: a commit whose request is a replica stores
 *      REPLICA and no events (two sites replicating to each other do not
 *      loop), and repl_enqueue (resync) queues nothing for a row whose
 *      status is REPLICA.
 *  Q8. repl_due copies a chunk of rows out and returns its connection
 *      before it calls the visitor (P4), so a visitor may call repl_done
 *      or repl_retry. It leases nothing: an event stays visible to every
 *      repl_due until it is done or retried into the future, so the caller
 *      keeps track of the events it has in flight.
 *  Q9. Versions (schema v11): an event names the version its change made
 *      (repl_events.version_id, as shown: a new id, "null", or '' in a
 *      never-versioned bucket). The replicator ships that version (a
 *      version removed for good meanwhile ships nothing), or for a delete
 *      with an id, makes a delete marker there; '' keeps the meaning of Q4
 *      (the key as it is now). Q2's status moves per version: the row that
 *      holds it, current or noncurrent (V2), once no event of that
 *      bucket/key/version_id remains. A delete by version id queues
 *      nothing: removing a version for good is not replicated (AWS). A
 *      replica's commit or delete keeps the id its source gave it
 *      (posix_ver_keep_id, in the same transaction), so a Strata target
 *      lists the source's versions under the source's ids.
 *
 * State transition                           -> function
 *   (none)        -> events + PENDING/REPLICA/NONE row
 *                                              index_publish (writer_commit with
 *                                              writer_replicate's request), complete_tx
 *                                              (upload_complete_repl); one transaction
 *   row           -> (none) + delete events     object_delete (object_delete_repl; one
 *                                              transaction, absent rows too)
 *   (none)        -> events                     posix_repl_enqueue (resync; row untouched)
 *   event         -> event (attempts + 1, next_ms, error[, failed])
 *                                              posix_repl_retry
 *   PENDING       -> FAILED                     posix_repl_retry (failed = true)
 *   event         -> (none)                     posix_repl_done
 *   PENDING/FAILED -> COMPLETED                 posix_repl_done (no event of the version
 *                                              left)
 */
#include "posix_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../common/log.h"

#define REPL_DUE_CHUNK 32u /* events copied out per query by repl_due */

/* The replication statements (?N always bound, never spliced). */
const char *const posix_rp_stmt_sql[ST_VR_FIRST - ST_RP_FIRST] = {
    /* Q1: a new event is due at once (next_ms = created_ms). */
    [ST_RP_INSERT - ST_RP_FIRST] =
	"INSERT INTO repl_events(bucket, key, is_delete, mtime_ms, etag, site, dest_bucket, "
	"storage_class, deletes, rule_id, created_ms, next_ms, version_id) "
	"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)",
    [ST_RP_GET - ST_RP_FIRST] = "SELECT bucket, key, version_id FROM repl_events WHERE seq = ?1",
    [ST_RP_DELETE - ST_RP_FIRST] = "DELETE FROM repl_events WHERE seq = ?1",
    /* "Any event left for this version": one seek of repl_events_key. */
    [ST_RP_LEFT - ST_RP_FIRST] = "SELECT 1 FROM repl_events WHERE bucket = ?1 AND key = ?2 "
				 "AND version_id = ?3 LIMIT 1",
    /*
     * Q9: the row of version ?3 (stored form) of bucket/key, current or
     * noncurrent (V2); ?4 = 1: an event without a version, the current row.
     */
    [ST_RP_COMPLETED - ST_RP_FIRST] =
	"UPDATE objects SET repl_status = 2 WHERE repl_status IN (1, 3) AND "
	"((bucket = ?1 AND key = ?2 AND (?4 = 1 OR version_id = ?3)) OR (bucket = "
	"'" POSIX_VER_BUCKET
	"' AND key = (SELECT vkey FROM object_versions WHERE bucket = ?1 AND key = ?2 AND "
	"version_id = ?3 AND is_marker = 0 AND ?4 = 0)))",
    /* Q3: failed is sticky; max() keeps a 1. */
    [ST_RP_RETRY - ST_RP_FIRST] = "UPDATE repl_events SET attempts = attempts + 1, next_ms = ?2, "
				  "failed = max(failed, ?3), last_error = ?4 WHERE seq = ?1",
    [ST_RP_FAILED - ST_RP_FIRST] =
	"UPDATE objects SET repl_status = 3 WHERE repl_status = 1 AND "
	"((bucket = ?1 AND key = ?2 AND (?4 = 1 OR version_id = ?3)) OR (bucket = "
	"'" POSIX_VER_BUCKET
	"' AND key = (SELECT vkey FROM object_versions WHERE bucket = ?1 AND key = ?2 AND "
	"version_id = ?3 AND is_marker = 0 AND ?4 = 0)))",
    /*
     * Q4: due events after the cursor (?2, ?3) in (next_ms, seq) order,
     * walking repl_events_due; each is shown only if no older event of its
     * (bucket, key, site, dest_bucket) exists (one seek of repl_events_key,
     * whose rows end in seq).
     */
    [ST_RP_DUE - ST_RP_FIRST] =
	"SELECT e.seq, e.bucket, e.key, e.is_delete, e.mtime_ms, e.etag, e.site, e.dest_bucket, "
	"e.storage_class, e.deletes, e.rule_id, e.created_ms, e.attempts, e.failed, e.next_ms, "
	"e.version_id "
	"FROM repl_events e WHERE e.next_ms <= ?1 AND (e.next_ms, e.seq) > (?2, ?3) "
	"AND NOT EXISTS (SELECT 1 FROM repl_events o WHERE o.bucket = e.bucket AND "
	"o.key = e.key AND o.site = e.site AND o.dest_bucket = e.dest_bucket AND o.seq < e.seq) "
	"ORDER BY e.next_ms, e.seq LIMIT ?4",
    /* Bytes: the current size of each written key (a delete event sends none). */
    [ST_RP_STATS_ALL - ST_RP_FIRST] =
	"SELECT count(*), coalesce(sum(e.failed), 0), coalesce(min(e.created_ms), 0), "
	"coalesce(sum(o.size), 0) FROM repl_events e LEFT JOIN objects o "
	"ON e.is_delete = 0 AND o.bucket = e.bucket AND o.key = e.key",
    [ST_RP_STATS_BUCKET - ST_RP_FIRST] =
	"SELECT count(*), coalesce(sum(e.failed), 0), coalesce(min(e.created_ms), 0), "
	"coalesce(sum(o.size), 0) FROM repl_events e LEFT JOIN objects o "
	"ON e.is_delete = 0 AND o.bucket = e.bucket AND o.key = e.key WHERE e.bucket = ?1",
    [ST_RP_OBJ - ST_RP_FIRST] = "SELECT mtime_ms, etag, repl_status, version_id FROM objects WHERE "
				"bucket = ?1 AND key = ?2",
};

/* A string that ends within its array (cap bytes); empty allowed when may_be_empty. */
static bool field_ok(const char *s, size_t cap, bool may_be_empty)
{
	size_t n = strnlen(s, cap);

	return n < cap && (may_be_empty || n > 0);
}

bool posix_repl_valid(const struct repl_request *req)
{
	const char *why = NULL;
	size_t i;

	if (req->n > REPL_MAX_TARGETS)
		why = "too many targets";
	else if (req->replica && req->n > 0)
		why = "targets on a replica";
	for (i = 0; !why && i < req->n; i++) {
		const struct repl_target *t = &req->t[i];

		if (!field_ok(t->site, sizeof(t->site), false) ||
		    !field_ok(t->bucket, sizeof(t->bucket), false) ||
		    !field_ok(t->storage_class, sizeof(t->storage_class), true) ||
		    !field_ok(t->rule_id, sizeof(t->rule_id), true))
			why = "a target without a site or bucket, or with an unterminated field";
	}
	if (!why)
		return true;
	log_error(POSIX_LOG_MOD, "refused a replication request with %s (%zu targets)", why,
		  req->n);
	return false;
}

int posix_repl_status_of(const struct repl_request *req)
{
	if (!req)
		return REPL_NONE;
	if (req->replica)
		return REPL_REPLICA;
	return req->n > 0 ? REPL_PENDING : REPL_NONE;
}

/* Inserts one event row; SQLITE_OK or the error. */
static int event_insert(sqlite3_stmt *st, const char *bucket, const char *key,
			const struct repl_target *t, bool is_delete, int64_t mtime_ms,
			const char *etag, const char *version_id, int64_t now_ms)
{
	int rc = posix_bind_text(st, 1, bucket);

	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, is_delete ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, is_delete ? 0 : mtime_ms);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 5, is_delete ? "" : etag);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 6, t->site);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 7, t->bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 8, t->storage_class);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 9, t->deletes ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 10, t->rule_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 11, now_ms);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 12, version_id ? version_id : "");
	if (rc == SQLITE_OK)
		return posix_run(st);
	posix_stmt_done(st);
	return rc;
}

s3err_t posix_repl_queue(struct conn *c, const char *bucket, const char *key,
			 const struct repl_request *req, bool is_delete, int64_t mtime_ms,
			 const char *etag, const char *version_id, size_t *queued)
{
	int64_t now = posix_now_ms();
	size_t i, n = 0;
	int rc;

	if (queued)
		*queued = 0;
	if (!req || req->replica)
		return S3E_OK; /* Q7 */
	for (i = 0; i < req->n; i++) {
		if (is_delete && !req->t[i].deletes)
			continue; /* DeleteMarkerReplication Disabled for this target */
		rc = event_insert(c->st[ST_RP_INSERT], bucket, key, &req->t[i], is_delete, mtime_ms,
				  etag, version_id, now);
		if (rc != SQLITE_OK)
			return posix_db_err(c, rc, "replication event insert");
		n++;
	}
	if (queued)
		*queued = n;
	return S3E_OK;
}

/* --- the writer's request (Q1) --- */

s3err_t posix_writer_replicate(struct be_writer *w, const struct repl_request *req)
{
	struct repl_request *copy = NULL;

	if (w->kind != W_OBJECT) {
		log_error(POSIX_LOG_MOD, "writer_replicate called on a part writer");
		return S3E_InternalError;
	}
	if (req && !posix_repl_valid(req))
		return S3E_InternalError;
	/* A request that asks nothing is no request: the commit stays a plain one. */
	if (req && (req->replica || req->n > 0)) {
		copy = malloc(sizeof(*copy));
		if (!copy)
			return S3E_InternalError;
		*copy = *req;
	}
	free(w->repl);
	w->repl = copy;
	return S3E_OK;
}

/* --- resync --- */

/* What ST_RP_OBJ found of bucket/key. */
struct obj_version {
	bool found;
	int64_t mtime_ms;
	char etag[STRATA_ETAG_MAX];
	int repl_status;
	char version_id[STRATA_VERSION_ID_MAX]; /* as stored ('' the null version) */
};

/* Within the caller's transaction: the current version of bucket/key, if any. */
static s3err_t version_get(struct conn *c, const char *bucket, const char *key,
			   struct obj_version *v)
{
	sqlite3_stmt *st = c->st[ST_RP_OBJ];
	s3err_t err = S3E_OK;
	int rc;

	memset(v, 0, sizeof(*v));
	rc = posix_step_texts2(st, bucket, key);
	if (rc == SQLITE_ROW) {
		v->found = true;
		v->mtime_ms = sqlite3_column_int64(st, 0);
		v->repl_status = sqlite3_column_int(st, 2);
		if (!posix_col_text(st, 1, v->etag, sizeof(v->etag)) ||
		    !posix_col_text(st, 3, v->version_id, sizeof(v->version_id))) {
			log_error(POSIX_LOG_MOD, "index holds an oversized ETag in %s", bucket);
			err = S3E_InternalError;
		}
	} else if (rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "object version lookup");
	}
	posix_stmt_done(st);
	return err;
}

s3err_t posix_repl_enqueue(struct backend *be, const char *bucket, const char *key,
			   const struct repl_request *req)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct obj_version v;
	struct conn *c = NULL;
	size_t queued = 0;
	s3err_t err;

	if (strlen(bucket) > STRATA_BUCKET_NAME_MAX)
		return S3E_NoSuchBucket;
	if (!key[0] || strlen(key) > STRATA_MAX_KEY_LEN)
		return S3E_InvalidArgument; /* no such key can exist: a caller's bug */
	if (req && !posix_repl_valid(req))
		return S3E_InternalError;
	c = posix_pool_get(pb);
	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = posix_bucket_exists(c, bucket);
	if (err == S3E_OK)
		err = version_get(c, bucket, key, &v);
	if (err != S3E_OK)
		goto out;
	/* Q7: a replica is another site's object: never sent on, not even by a resync. */
	if (v.found && v.repl_status == REPL_REPLICA)
		goto out;
	/* Q9: the current version by its id (a real one only: '' ships the key as it is). */
	err = posix_repl_queue(c, bucket, key, req, !v.found, v.mtime_ms, v.etag,
			       v.found ? v.version_id : "", &queued);
	if (err == S3E_OK && queued > 0)
		err = posix_tx_commit(c);
out:
	posix_tx_rollback(c); /* nothing queued, or an error; after a COMMIT a no-op */
	posix_pool_put(pb, c);
	return err;
}

/* --- the replicator's side --- */

/* One due event and its next_ms (the cursor of repl_due). */
struct due_row {
	struct repl_event ev;
	int64_t next_ms;
};

/* Decodes one row of ST_RP_DUE. */
static bool due_row_decode(sqlite3_stmt *st, size_t n, void *rows)
{
	struct due_row *r = &((struct due_row *)rows)[n];
	struct repl_event *ev = &r->ev;
	sqlite3_int64 seq = sqlite3_column_int64(st, 0);
	sqlite3_int64 attempts = sqlite3_column_int64(st, 12);

	memset(r, 0, sizeof(*r));
	if (seq <= 0 || attempts < 0)
		return false;
	ev->seq = (uint64_t)seq;
	ev->is_delete = sqlite3_column_int(st, 3) != 0;
	ev->mtime_ms = sqlite3_column_int64(st, 4);
	ev->target.deletes = sqlite3_column_int(st, 9) != 0;
	ev->created_ms = sqlite3_column_int64(st, 11);
	ev->attempts = attempts > UINT32_MAX ? UINT32_MAX : (uint32_t)attempts;
	ev->failed = sqlite3_column_int(st, 13) != 0;
	r->next_ms = sqlite3_column_int64(st, 14);
	return posix_col_text(st, 1, ev->bucket, sizeof(ev->bucket)) &&
	       posix_col_text(st, 2, ev->key, sizeof(ev->key)) &&
	       posix_col_text(st, 5, ev->etag, sizeof(ev->etag)) &&
	       posix_col_text(st, 6, ev->target.site, sizeof(ev->target.site)) &&
	       posix_col_text(st, 7, ev->target.bucket, sizeof(ev->target.bucket)) &&
	       posix_col_text(st, 8, ev->target.storage_class, sizeof(ev->target.storage_class)) &&
	       posix_col_text(st, 10, ev->target.rule_id, sizeof(ev->target.rule_id)) &&
	       posix_col_text(st, 15, ev->version_id, sizeof(ev->version_id));
}

/* Copies up to cap due events after the cursor (next_ms, seq) into rows. */
static s3err_t due_chunk(struct conn *c, int64_t now_ms, int64_t after_next, int64_t after_seq,
			 struct due_row *rows, size_t cap, size_t *got)
{
	sqlite3_stmt *st = c->st[ST_RP_DUE];
	s3err_t err;
	int rc;

	rc = sqlite3_bind_int64(st, 1, now_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, after_next);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, after_seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, (sqlite3_int64)cap);
	err = posix_fetch_rows(c, st, rc, cap, "replication queue scan", due_row_decode, rows, got);
	posix_stmt_done(st);
	return err;
}

s3err_t posix_repl_due(struct backend *be, int64_t now_ms, size_t limit, repl_visit_fn visit,
		       void *ctx)
{
	struct posix_be *pb = (struct posix_be *)be;
	int64_t after_next = INT64_MIN, after_seq = 0; /* seqs start at 1 */
	struct due_row *rows;
	size_t got = 0, want, i;
	struct conn *c;
	s3err_t err = S3E_OK;

	rows = calloc(REPL_DUE_CHUNK, sizeof(*rows));
	if (!rows)
		return S3E_InternalError;
	while (limit > 0) {
		want = limit < REPL_DUE_CHUNK ? limit : REPL_DUE_CHUNK;
		c = posix_pool_get(pb);
		err = due_chunk(c, now_ms, after_next, after_seq, rows, want, &got);
		posix_pool_put(pb, c);
		if (err != S3E_OK)
			goto out;
		/* Q8: the connection is back in the pool: visitors may call repl_done. */
		for (i = 0; i < got; i++) {
			limit--;
			if (!visit(ctx, &rows[i].ev))
				goto out;
		}
		if (got < want)
			break;
		after_next = rows[got - 1].next_ms;
		after_seq = (int64_t)rows[got - 1].ev.seq;
	}
out:
	free(rows);
	return err;
}

/* Within the caller's transaction: the bucket/key/version of event seq; *found false when gone. */
static s3err_t event_key(struct conn *c, uint64_t seq, char *bucket, char *key,
			 char vid[STRATA_VERSION_ID_MAX], bool *found)
{
	sqlite3_stmt *st = c->st[ST_RP_GET];
	s3err_t err = S3E_OK;
	int rc;

	*found = false;
	rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = true;
		if (!posix_col_text(st, 0, bucket, STRATA_BUCKET_NAME_MAX + 1) ||
		    !posix_col_text(st, 1, key, STRATA_MAX_KEY_LEN + 1) ||
		    !posix_col_text(st, 2, vid, STRATA_VERSION_ID_MAX)) {
			log_error(POSIX_LOG_MOD, "index holds a malformed replication event");
			err = S3E_InternalError;
		}
	} else if (rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "replication event lookup");
	}
	posix_stmt_done(st);
	return err;
}

/* Runs a statement whose parameter 1 is seq. */
static int run_seq(sqlite3_stmt *st, uint64_t seq)
{
	int rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);

	if (rc == SQLITE_OK)
		return posix_run(st);
	posix_stmt_done(st);
	return rc;
}

/* Within the caller's transaction: *left when an event of the version remains (any target). */
static s3err_t events_left(struct conn *c, const char *bucket, const char *key, const char *vid,
			   bool *left)
{
	sqlite3_stmt *st = c->st[ST_RP_LEFT];
	s3err_t err = S3E_OK;
	int rc;

	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 3, vid);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		*left = rc == SQLITE_ROW;
	else
		err = posix_db_err(c, rc, "replication events lookup");
	posix_stmt_done(st);
	return err;
}

/* Q2, Q9: runs ST_RP_COMPLETED or ST_RP_FAILED on the row of the event's version vid. */
static int status_move(struct conn *c, enum stmt which, const char *bucket, const char *key,
		       const char *vid)
{
	sqlite3_stmt *st = c->st[which];
	int rc;

	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK) /* the id as stored (V1): "null" is '' */
		rc = posix_bind_text(st, 3, strcmp(vid, "null") == 0 ? "" : vid);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 4, vid[0] ? 0 : 1);
	if (rc == SQLITE_OK)
		return posix_run(st);
	posix_stmt_done(st);
	return rc;
}

s3err_t posix_repl_done(struct backend *be, uint64_t seq)
{
	struct posix_be *pb = (struct posix_be *)be;
	char bucket[STRATA_BUCKET_NAME_MAX + 1], vid[STRATA_VERSION_ID_MAX], *key;
	struct conn *c = NULL;
	bool found = false, left = true;
	s3err_t err;
	int rc;

	key = malloc(STRATA_MAX_KEY_LEN + 1);
	if (!key)
		return S3E_InternalError;
	c = posix_pool_get(pb);
	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = event_key(c, seq, bucket, key, vid, &found);
	if (err != S3E_OK || !found)
		goto out; /* Q5: an absent seq was done already */
	rc = run_seq(c->st[ST_RP_DELETE], seq);
	if (rc != SQLITE_OK) {
		err = posix_db_err(c, rc, "replication event delete");
		goto out;
	}
	err = events_left(c, bucket, key, vid, &left);
	if (err == S3E_OK && !left) {
		/* Q2, Q9: the version's last event: it reached every target. */
		rc = status_move(c, ST_RP_COMPLETED, bucket, key, vid);
		if (rc != SQLITE_OK)
			err = posix_db_err(c, rc, "replication status update");
	}
	if (err == S3E_OK)
		err = posix_tx_commit(c);
out:
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
	free(key);
	return err;
}

/* The length of error cut to at most REPL_ERROR_MAX bytes, never inside a UTF-8 sequence. */
static size_t error_len(const char *error)
{
	size_t n = strnlen(error, REPL_ERROR_MAX + 1);

	if (n <= REPL_ERROR_MAX)
		return n;
	n = REPL_ERROR_MAX;
	while (n > 0 && ((unsigned char)error[n] & 0xC0) == 0x80)
		n--; /* error[n] continues a sequence: cut before its lead byte */
	return n;
}

s3err_t posix_repl_retry(struct backend *be, uint64_t seq, int64_t next_ms, bool failed,
			 const char *error)
{
	struct posix_be *pb = (struct posix_be *)be;
	char bucket[STRATA_BUCKET_NAME_MAX + 1], vid[STRATA_VERSION_ID_MAX], *key;
	const char *msg = error ? error : "";
	struct conn *c = NULL;
	sqlite3_stmt *st;
	bool found = false;
	s3err_t err;
	int rc;

	key = malloc(STRATA_MAX_KEY_LEN + 1);
	if (!key)
		return S3E_InternalError;
	c = posix_pool_get(pb);
	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = event_key(c, seq, bucket, key, vid, &found);
	if (err != S3E_OK || !found)
		goto out; /* Q5: done meanwhile; nothing to retry */
	st = c->st[ST_RP_RETRY];
	rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, next_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, failed ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, msg, (int)error_len(msg), SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	if (rc == SQLITE_OK && failed)
		rc = status_move(c, ST_RP_FAILED, bucket, key, vid); /* Q2: PENDING -> FAILED */
	if (rc != SQLITE_OK) {
		err = posix_db_err(c, rc, "replication event retry");
		goto out;
	}
	err = posix_tx_commit(c);
out:
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
	free(key);
	return err;
}

/* Runs a stats statement (parameters bound by the caller) into out. */
static s3err_t stats_read(struct conn *c, sqlite3_stmt *st, int bind_rc, struct repl_stats *out)
{
	s3err_t err = S3E_OK;
	int rc = bind_rc;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sqlite3_int64 pending = sqlite3_column_int64(st, 0);
		sqlite3_int64 failed = sqlite3_column_int64(st, 1);

		out->pending = pending > 0 ? (uint64_t)pending : 0;
		out->failed = failed > 0 ? (uint64_t)failed : 0;
		out->oldest_created_ms = sqlite3_column_int64(st, 2);
		out->bytes =
		    (uint64_t)(sqlite3_column_int64(st, 3) > 0 ? sqlite3_column_int64(st, 3) : 0);
	} else {
		err = posix_db_err(c, rc, "replication queue count");
	}
	posix_stmt_done(st);
	return err;
}

/*
 * With a bucket: a bucket that does not exist and has no events left is
 * NoSuchBucket; one that was deleted with events still queued (Q6) answers
 * their counts.
 */
s3err_t posix_repl_stats(struct backend *be, const char *bucket, struct repl_stats *out)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct repl_stats s = {0, 0, 0, 0};
	struct conn *c;
	sqlite3_stmt *st;
	s3err_t err;

	if (bucket && strlen(bucket) > STRATA_BUCKET_NAME_MAX)
		return S3E_NoSuchBucket;
	c = posix_pool_get(pb);
	err = posix_tx_begin_read(c); /* one snapshot: counts and bucket agree */
	if (err != S3E_OK)
		goto out;
	st = c->st[bucket ? ST_RP_STATS_BUCKET : ST_RP_STATS_ALL];
	err = stats_read(c, st, bucket ? posix_bind_text(st, 1, bucket) : SQLITE_OK, &s);
	if (err == S3E_OK && bucket && s.pending == 0)
		err = posix_bucket_exists(c, bucket);
	if (err == S3E_OK)
		*out = s;
out:
	posix_tx_rollback(c); /* ends the read snapshot */
	posix_pool_put(pb, c);
	return err;
}
