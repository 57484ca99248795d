/*
 * posix_multipart: multipart uploads on the local-disk backend, and the
 * objects they complete into (layout 1).
 *
 * A part is an ordinary data file (tmp/ID -> objects/xx/ID with the fsync
 * discipline of posix.h) named by a parts row. Completing an upload copies
 * no data: one index transaction moves the listed parts' object ids from
 * `parts` to `object_parts` under the object's bucket/key, and the object
 * reads as the concatenation of those files. Memory stays flat whatever
 * the size of the parts; a reader holds 24 bytes per part (at most 10,000).
 *
 * Invariants (P1..P7 are at the top of posix.c):
 *  M1. An upload is active (uploads row, completed = 0), completed (row
 *      with completed = 1, no parts rows) or gone (no row). The only moves
 *      are active -> completed, active -> gone, completed -> gone.
 *  M2. parts rows exist only for active uploads, at most one per number,
 *      and each names a placed data file (P1). Replacing a part queues the
 *      old file in gc in the transaction that installs the new one.
 *  M3. Every committed reference to a data file is exactly one of: a parts
 *      row, an object_parts row, a layout-0 objects row, or a gc row.
 *      Every transaction below moves ids between these sets atomically, so
 *      kill -9 at any point leaves each file either still referenced by its
 *      old row, or by its new one, or queued in gc (unlinked by the next
 *      open); never referenced twice, never unlinked while referenced.
 *  M4. object_parts rows of bucket/key exist exactly while its objects row
 *      has layout 1; their idx runs 1..parts_count and their sizes add up to
 *      objects.size. idx is the position in the Complete list, which is
 *      also the partNumber of GetObject/HeadObject ?partNumber=.
 *  M5. upload_complete is ONE write transaction: check the upload is
 *      active, the bucket exists and every listed part holds the listed
 *      ETag; retire the key's previous object (P7); move the listed parts
 *      into object_parts; queue the unlisted parts in gc; insert the objects
 *      row; mark the upload completed. So after a crash the upload is either
 *      still active with all its parts (and completable), or completed with
 *      the object fully visible. Files are unlinked only after the commit.
 *  M6. A reader loads the objects row and its part table in one read
 *      snapshot, then opens the first MP_FD_CACHE part files before
 *      returning. An object of at most MP_FD_CACHE parts is thus pinned
 *      like a layout-0 object: an overwrite or delete meanwhile changes
 *      nothing for it (unlinked files stay readable through open fds).
 *  M7. Larger objects open further parts lazily into a cache of
 *      MP_FD_CACHE fds (least recently used is closed), so a GET never holds
 *      more fds than that. If the object was overwritten or deleted since
 *      the reader opened, a part file not yet open is gone: reader_read
 *      then fails with S3E_InternalError (logged) and the gateway cuts the
 *      response short. It never returns wrong bytes: ids are never reused
 *      (P2), part files never change once placed, and each open checks the
 *      file's size against the part table. A part a transition moved
 *      meanwhile (T5 in posix_tiers.c) is looked for under its id in the other
 *      locations: a copy keeps its id, and a framed file is proven by its
 *      frames (bound to that id) as it is read, so the read goes on. The
 *      same holds for a reader of a done restore (R4 in posix_restore.c), which
 *      reads the restored copies at home: a copy released meanwhile is
 *      found as the archived file it was made from, under the same id.
 *  M8. A completed upload is kept for STRATA_COMPLETED_UPLOAD_KEEP_MS so a
 *      repeated Complete can be answered from upload_get (completed, final
 *      ETag), then forgotten by posix_mp_prune (at open and on each
 *      upload_create); upload_get ignores one past its keep time even
 *      before the prune.
 *  M9. DeleteBucket does not count in-progress uploads: as on AWS general
 *      purpose buckets, the bucket is deleted and its uploads aborted in
 *      the same transaction (their parts go to gc), so no part is orphaned
 *      and a bucket re-created under the same name starts with no uploads.
 *  M11. Parts are data files like any other (F1..F3 in posix.c): framed
 *      since v3 with their own object id as file id, parts.frames says so,
 *      and Complete copies it into object_parts.frames. A multipart reader
 *      reads each part through posix_dfile_read with the reader's one frame
 *      cache, so a corrupt frame fails only the ranges that touch it.
 *  M12. An encrypted upload (uploads.sse_mode != 0) has sealed parts
 *      only, each under its own file key derived from the upload's data key
 *      (F5): part_commit refuses a part whose writer was not sealed, or was
 *      sealed for a plain upload. Complete makes an object of the same
 *      sse_mode and takes the sse_key_id and envelope from the uploads row
 *      in its transaction (F8), so object_parts files are sealed exactly
 *      when the objects row says so. A multipart reader keeps one cipher
 *      per cached part fd (F7), made on that part's first read.
 *  M10. Upload ids are 32 lowercase hex digits from RAND_bytes. An id a
 *      client sends that has another shape is NoSuchUpload without an index
 *      lookup; upload ids are only ever bound parameters, never paths.
 *  M13. Parts live where their upload's class does (T3 in posix_tiers.c): part
 *      writers place themselves from uploads.storage_class at
 *      part_writer_open, parts.tier records the location each part's file
 *      went to, and Complete copies it into object_parts.tier. Every part
 *      file is found at its own (tier, id), so one object's parts may sit
 *      in different locations (a tier configured between two UploadParts,
 *      or a transition, T5, which moves them all).
 *  M14. A Complete with a repl_request (upload_complete_repl) queues its
 *      replication events and sets objects.repl_status inside complete_tx,
 *      the same transaction that publishes the object (Q1, Q2 in
 *      posix_repl.c): a Complete that was acknowledged has its events.
 *
 * State transition                                  -> function
 *   (none)         -> active                        posix_upload_create
 *   active         -> active + tmp/ID (its class's location, M13)
 *                                                   posix_part_writer_open
 *   tmp/ID         -> objects/xx/ID                 posix_data_place (posix_part_commit,
 *                                                   before the index)
 *   part n (old)   -> part n (new) + gc old         part_publish (one transaction)
 *   tmp/ID         -> (none)                        posix_writer_abort, tmp_sweep (open)
 *   active         -> completed + object (layout 1) complete_tx (one transaction):
 *                     listed parts -> object_parts, unlisted parts -> gc,
 *                     previous object's data -> gc, replication events (M14)
 *   active         -> gone + parts -> gc            posix_upload_abort, posix_mp_bucket_purge
 *   completed      -> gone                          posix_mp_prune (open, upload_create)
 *   layout 1 row   -> (none) + object_parts -> gc   posix_obj_retire (overwrite, delete)
 *                     (+ their restored copies ("", id) when its restore is done, R6)
 *   gc ID          -> file unlinked                 posix_gc_finish, posix_gc_drain
 *                                                   (after commit; at open)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* openat family and pread under -std=c11 */
#endif
#include "posix_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/sse.h"

#define MP_FD_CACHE 16u	   /* part fds a multipart reader keeps open (M6, M7) */
#define MP_MAP_INITIAL 16u /* part table entries allocated first, doubling up to 10,000 */
#define PART_CHUNK 128u	   /* parts copied out per query by part_list */
#define UPLOAD_CHUNK 64u   /* uploads copied out per query by upload_list */

/* Columns 0..5 of an upload listing row, read by upload_chunk. */
#define UPL_LIST_SELECT                                                                            \
	"SELECT key, upload_id, initiated_ms, storage_class, checksum_algo, checksum_type "        \
	"FROM uploads WHERE bucket = ?1 AND completed = 0 "
#define UPL_LIST_ORDER "ORDER BY key, upload_id LIMIT ?5"

/*
 * The multipart statements (?N always bound, never spliced). An upload
 * listing walks one range of uploads_by_key: its lower bound is either
 * "key > ?2" or the row value "(key, upload_id) > (?2, ?3)", its optional
 * upper bound "key < ?4" (the prefix's successor); unused slots below ?5
 * are bound anyway, which SQLite allows.
 */
const char *const posix_mp_stmt_sql[ST_RP_FIRST - ST_MP_FIRST] = {
    [ST_UPL_INSERT - ST_MP_FIRST] =
	"INSERT INTO uploads(upload_id, bucket, key, initiated_ms, headers, storage_class, "
	"checksum_algo, checksum_type, sse_mode, sse_key_id, sse_envelope, lock_mode, "
	"lock_until_ms, legal_hold) "
	"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [ST_UPL_GET - ST_MP_FIRST] =
	"SELECT bucket, key, initiated_ms, storage_class, checksum_algo, checksum_type, "
	"completed, final_etag, completed_ms, headers, sse_mode, sse_key_id, sse_envelope, "
	"lock_mode, lock_until_ms, legal_hold FROM uploads WHERE upload_id = ?1",
    [ST_UPL_STATE - ST_MP_FIRST] = "SELECT bucket, key, completed, sse_mode, sse_key_id, "
				   "sse_envelope, storage_class FROM uploads WHERE upload_id = ?1",
    [ST_UPL_COMPLETE - ST_MP_FIRST] =
	"UPDATE uploads SET completed = 1, final_etag = ?2, completed_ms = ?3 "
	"WHERE upload_id = ?1",
    [ST_UPL_DELETE - ST_MP_FIRST] = "DELETE FROM uploads WHERE upload_id = ?1",
    [ST_UPL_PRUNE - ST_MP_FIRST] = "DELETE FROM uploads WHERE completed = 1 AND completed_ms < ?1",
    [ST_UPL_LIST_GT_KEY - ST_MP_FIRST] = UPL_LIST_SELECT "AND key > ?2 " UPL_LIST_ORDER,
    [ST_UPL_LIST_GT_KEY_LT - ST_MP_FIRST] =
	UPL_LIST_SELECT "AND key > ?2 AND key < ?4 " UPL_LIST_ORDER,
    [ST_UPL_LIST_GT_PAIR - ST_MP_FIRST] =
	UPL_LIST_SELECT "AND (key, upload_id) > (?2, ?3) " UPL_LIST_ORDER,
    [ST_UPL_LIST_GT_PAIR_LT - ST_MP_FIRST] =
	UPL_LIST_SELECT "AND (key, upload_id) > (?2, ?3) AND key < ?4 " UPL_LIST_ORDER,
    [ST_UPL_BUCKET_PARTS_GC - ST_MP_FIRST] =
	"INSERT OR IGNORE INTO gc(tier, object_id) SELECT p.tier, p.object_id FROM parts p "
	"JOIN uploads u ON p.upload_id = u.upload_id WHERE u.bucket = ?1",
    [ST_UPL_BUCKET_PARTS_DELETE - ST_MP_FIRST] =
	"DELETE FROM parts WHERE upload_id IN (SELECT upload_id FROM uploads WHERE bucket = ?1)",
    [ST_UPL_BUCKET_DELETE - ST_MP_FIRST] = "DELETE FROM uploads WHERE bucket = ?1",
    [ST_PART_GET - ST_MP_FIRST] = "SELECT object_id, size, etag, frames, tier FROM parts "
				  "WHERE upload_id = ?1 AND number = ?2",
    [ST_PART_UPSERT - ST_MP_FIRST] =
	"INSERT INTO parts(upload_id, number, object_id, size, etag, checksum_b64, sha256, "
	"mtime_ms, frames, tier) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9) "
	"ON CONFLICT(upload_id, number) DO UPDATE SET object_id = excluded.object_id, "
	"size = excluded.size, etag = excluded.etag, checksum_b64 = excluded.checksum_b64, "
	"sha256 = excluded.sha256, mtime_ms = excluded.mtime_ms, frames = 1, "
	"tier = excluded.tier",
    [ST_PART_LIST - ST_MP_FIRST] =
	"SELECT number, size, mtime_ms, etag, checksum_b64, sha256 FROM parts "
	"WHERE upload_id = ?1 AND number > ?2 ORDER BY number LIMIT ?3",
    [ST_PART_DELETE_ONE - ST_MP_FIRST] = "DELETE FROM parts WHERE upload_id = ?1 AND number = ?2",
    [ST_PARTS_GC - ST_MP_FIRST] = "INSERT OR IGNORE INTO gc(tier, object_id) SELECT tier, "
				  "object_id FROM parts WHERE upload_id = ?1",
    [ST_PARTS_DELETE - ST_MP_FIRST] = "DELETE FROM parts WHERE upload_id = ?1",
    [ST_OPART_INSERT - ST_MP_FIRST] =
	"INSERT INTO object_parts(bucket, key, idx, object_id, size, frames, tier) "
	"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_OPART_LOAD - ST_MP_FIRST] =
	"SELECT object_id, size, frames, tier FROM object_parts WHERE bucket = ?1 AND key = ?2 "
	"ORDER BY idx",
    [ST_OPART_RANGE - ST_MP_FIRST] =
	"SELECT p.size, (SELECT coalesce(sum(q.size), 0) FROM object_parts q "
	"WHERE q.bucket = ?1 AND q.key = ?2 AND q.idx < ?3) FROM object_parts p "
	"WHERE p.bucket = ?1 AND p.key = ?2 AND p.idx = ?3",
    [ST_OPART_OBJ - ST_MP_FIRST] =
	"SELECT layout, size, parts_count FROM objects WHERE bucket = ?1 AND key = ?2",
};

/* --- uploads: lookup and state --- */

/* What the write paths need to know about an upload. */
struct upl_state {
	char key[STRATA_MAX_KEY_LEN + 1];
	bool completed;
	struct obj_meta sse; /* only its sse_* fields: whether parts are sealed (M12) */
	char storage_class[STRATA_STORAGE_CLASS_MAX]; /* where its parts go (M13) */
};

/* A missing upload: S3E_NoSuchBucket when its bucket is missing too (checked first on AWS). */
static s3err_t upload_missing(struct conn *c, const char *bucket)
{
	s3err_t err = posix_bucket_exists(c, bucket);

	return err == S3E_OK ? S3E_NoSuchUpload : err;
}

/*
 * Looks up upload_id of bucket. An upload of another bucket, or (with
 * active_only) a completed one, is S3E_NoSuchUpload as if unknown.
 * Errors: S3E_NoSuchUpload, S3E_NoSuchBucket, S3E_InternalError.
 */
static s3err_t upload_state(struct conn *c, const char *bucket, const char *upload_id,
			    bool active_only, struct upl_state *out)
{
	sqlite3_stmt *st = c->st[ST_UPL_STATE];
	char row_bucket[STRATA_BUCKET_NAME_MAX + 1];
	struct upl_state *us = NULL;
	bool found = false;
	s3err_t err = S3E_OK;
	int rc;

	if (!posix_id_valid(upload_id)) /* M10 */
		return upload_missing(c, bucket);
	us = malloc(sizeof(*us));
	if (!us)
		return S3E_InternalError;
	rc = posix_bind_text(st, 1, upload_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		obj_meta_init(&us->sse);
		if (!posix_col_text(st, 0, row_bucket, sizeof(row_bucket)) ||
		    !posix_col_text(st, 1, us->key, sizeof(us->key)) ||
		    !posix_col_sse(st, 3, &us->sse) ||
		    !posix_col_text(st, 6, us->storage_class, sizeof(us->storage_class))) {
			log_error(POSIX_LOG_MOD, "index holds a malformed upload row");
			err = S3E_InternalError;
			goto out;
		}
		us->completed = sqlite3_column_int(st, 2) != 0;
		found = strcmp(row_bucket, bucket) == 0 && !(active_only && us->completed);
	} else if (rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "upload lookup");
		goto out;
	}
	posix_stmt_done(st);
	if (!found) {
		err = upload_missing(c, bucket);
		goto out;
	}
	*out = *us;
out:
	posix_stmt_done(st);
	free(us);
	if (!found && err == S3E_OK) /* cannot be: every path that misses *out set err */
		err = S3E_InternalError;
	return err;
}

s3err_t posix_mp_prune(struct conn *c, int64_t now_ms)
{
	sqlite3_stmt *st = c->st[ST_UPL_PRUNE];
	int rc;

	rc = sqlite3_bind_int64(st, 1, now_ms - STRATA_COMPLETED_UPLOAD_KEEP_MS);
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "upload prune");
}

s3err_t posix_mp_bucket_purge(struct conn *c, const char *bucket, bool *queued)
{
	int rc;

	rc = posix_run_texts(c->st[ST_UPL_BUCKET_PARTS_GC], &bucket, 1);
	if (rc == SQLITE_OK) {
		*queued = sqlite3_changes(c->db) > 0;
		rc = posix_run_texts(c->st[ST_UPL_BUCKET_PARTS_DELETE], &bucket, 1);
	}
	if (rc == SQLITE_OK)
		rc = posix_run_texts(c->st[ST_UPL_BUCKET_DELETE], &bucket, 1);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "bucket uploads purge");
}

/* --- CreateMultipartUpload, GetUpload, AbortMultipartUpload --- */

static s3err_t upload_insert(struct conn *c, const char *id, const char *bucket, const char *key,
			     const struct obj_meta *m)
{
	sqlite3_stmt *st = c->st[ST_UPL_INSERT];
	int rc;

	rc = posix_bind_text(st, 1, id);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 3, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, posix_now_ms());
	if (rc == SQLITE_OK && m->headers && m->headers_len > 0)
		rc = sqlite3_bind_blob(st, 5, m->headers, (int)m->headers_len, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 6, m->storage_class);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 7, m->checksum_algo);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 8, m->checksum_type);
	if (rc == SQLITE_OK)
		rc = posix_bind_sse(st, 9, m); /* M12: the upload's parts will be sealed */
	/* L4: the lock CreateMultipartUpload asked for; the complete's commit applies it. */
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 12, m->lock_mode);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 13, m->lock_until_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 14, m->legal_hold ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "upload insert");
}

s3err_t posix_upload_create(struct backend *be, const char *bucket, const char *key,
			    const struct obj_meta *meta, char upload_id[STRATA_UPLOAD_ID_MAX])
{
	struct posix_be *pb = (struct posix_be *)be;
	char id[POSIX_ID_HEX + 1];
	size_t klen = strlen(key);
	struct conn *c = NULL;
	s3err_t err;

	if (klen == 0) {
		err = S3E_InvalidArgument;
		goto out;
	}
	if (klen > STRATA_MAX_KEY_LEN) {
		err = S3E_KeyTooLongError;
		goto out;
	}
	if (meta->headers_len > STRATA_MAX_STORED_HEADERS) {
		err = S3E_MetadataTooLarge;
		goto out;
	}
	if (!posix_sse_valid(meta)) {
		err = S3E_InternalError;
		goto out;
	}
	err = posix_id_new(id);
	if (err != S3E_OK)
		goto out;
	c = posix_pool_get(pb);
	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = posix_mp_prune(c, posix_now_ms()); /* M8 */
	if (err == S3E_OK)
		err = posix_bucket_exists(c, bucket);
	if (err == S3E_OK)
		err = upload_insert(c, id, bucket, key, meta);
	if (err == S3E_OK)
		err = posix_tx_commit(c);
	if (err != S3E_OK)
		goto out;
	memcpy(upload_id, id, sizeof(id));
out:
	if (c) {
		posix_tx_rollback(c);
		posix_pool_put(pb, c);
	}
	return err;
}

/* Fills u from an ST_UPL_GET row (whose bucket the caller checked). */
static s3err_t upload_from_get_row(sqlite3_stmt *st, const char *upload_id, struct upload_info *u)
{
	memset(u, 0, sizeof(*u));
	obj_meta_init(&u->meta);
	memcpy(u->upload_id, upload_id, POSIX_ID_HEX + 1);
	u->initiated_ms = sqlite3_column_int64(st, 2);
	u->completed = sqlite3_column_int(st, 6) != 0;
	if (!posix_col_text(st, 1, u->key, sizeof(u->key)) ||
	    !posix_col_text(st, 3, u->meta.storage_class, sizeof(u->meta.storage_class)) ||
	    !posix_col_text(st, 4, u->meta.checksum_algo, sizeof(u->meta.checksum_algo)) ||
	    !posix_col_text(st, 5, u->meta.checksum_type, sizeof(u->meta.checksum_type)) ||
	    !posix_col_text(st, 7, u->final_etag, sizeof(u->final_etag)) ||
	    !posix_col_sse(st, 10, &u->meta)) {
		log_error(POSIX_LOG_MOD, "index holds a malformed upload row");
		return S3E_InternalError;
	}
	u->meta.lock_mode = sqlite3_column_int(st, 13);
	u->meta.lock_until_ms = sqlite3_column_int64(st, 14);
	u->meta.legal_hold = sqlite3_column_int(st, 15) == 1;
	return posix_col_headers(st, 9, &u->meta);
}

/* True when an ST_UPL_GET row belongs to bucket and is not past its keep time (M8). */
static bool upload_row_visible(sqlite3_stmt *st, const char *bucket)
{
	char row_bucket[STRATA_BUCKET_NAME_MAX + 1];

	if (!posix_col_text(st, 0, row_bucket, sizeof(row_bucket)) ||
	    strcmp(row_bucket, bucket) != 0)
		return false;
	return sqlite3_column_int(st, 6) == 0 ||
	       sqlite3_column_int64(st, 8) >= posix_now_ms() - STRATA_COMPLETED_UPLOAD_KEEP_MS;
}

s3err_t posix_upload_get(struct backend *be, const char *bucket, const char *upload_id,
			 struct upload_info *out)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c = posix_pool_get(pb);
	sqlite3_stmt *st = c->st[ST_UPL_GET];
	struct upload_info *u = NULL;
	bool found = false;
	s3err_t err = S3E_OK;
	int rc;

	if (!posix_id_valid(upload_id)) { /* M10 */
		err = upload_missing(c, bucket);
		goto out;
	}
	u = malloc(sizeof(*u));
	if (!u) {
		err = S3E_InternalError;
		goto out;
	}
	obj_meta_init(&u->meta);
	rc = posix_bind_text(st, 1, upload_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && upload_row_visible(st, bucket)) {
		err = upload_from_get_row(st, upload_id, u);
		if (err != S3E_OK)
			goto out;
		found = true;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "upload get");
		goto out;
	}
	posix_stmt_done(st);
	if (!found) {
		err = upload_missing(c, bucket);
		goto out;
	}
	*out = *u;
	obj_meta_init(&u->meta); /* the headers now belong to *out */
out:
	posix_stmt_done(st);
	posix_pool_put(pb, c);
	if (u)
		obj_meta_free(&u->meta);
	free(u);
	return err;
}

s3err_t posix_upload_abort(struct backend *be, const char *bucket, const char *upload_id)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c = posix_pool_get(pb);
	struct upl_state us;
	bool queued = false;
	s3err_t err;
	int rc;

	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = upload_state(c, bucket, upload_id, true, &us);
	if (err != S3E_OK)
		goto out;
	rc = posix_run_texts(c->st[ST_PARTS_GC], &upload_id, 1);
	if (rc == SQLITE_OK) {
		queued = sqlite3_changes(c->db) > 0;
		rc = posix_run_texts(c->st[ST_PARTS_DELETE], &upload_id, 1);
	}
	if (rc == SQLITE_OK)
		rc = posix_run_texts(c->st[ST_UPL_DELETE], &upload_id, 1);
	if (rc != SQLITE_OK) {
		err = posix_db_err(c, rc, "upload abort");
		goto out;
	}
	err = posix_tx_commit(c);
	if (err == S3E_OK && queued)
		posix_gc_drain(pb, c); /* failures leave gc rows for the next open */
out:
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
	return err;
}

/* --- UploadPart --- */

s3err_t posix_part_writer_open(struct backend *be, const char *bucket, const char *upload_id,
			       unsigned number, uint64_t size_hint, struct be_writer **out)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct be_writer *w = NULL;
	struct upl_state us;
	struct conn *c;
	s3err_t err;

	(void)size_hint; /* no preallocation, as for objects */
	if (number < 1 || number > STRATA_MAX_PARTS) {
		err = S3E_InvalidArgument;
		goto out;
	}
	if (strlen(bucket) > STRATA_BUCKET_NAME_MAX) {
		err = S3E_NoSuchBucket;
		goto out;
	}
	c = posix_pool_get(pb);
	err = upload_state(c, bucket, upload_id, true, &us);
	posix_pool_put(pb, c);
	if (err != S3E_OK)
		goto out;
	/* M13: the part goes where its upload's class lives. */
	err =
	    posix_writer_new(pb, posix_loc_for_class(pb, us.storage_class), bucket, "", W_PART, &w);
	if (err != S3E_OK)
		goto out;
	w->part_number = number;
	memcpy(w->upload_id, upload_id, POSIX_ID_HEX + 1);
	*out = w;
out:
	return err;
}

/* Binds and runs ST_PART_UPSERT for w's part with p's metadata. */
static s3err_t part_upsert(struct conn *c, const struct be_writer *w, const struct part_info *p)
{
	sqlite3_stmt *st = c->st[ST_PART_UPSERT];
	int rc;

	rc = posix_bind_text(st, 1, w->upload_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, (int)w->part_number);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 3, w->id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, (sqlite3_int64)p->size);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 5, p->etag);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 6, p->checksum_b64);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 7, p->sha256_hex);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 8, p->mtime_ms);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 9, w->loc->tier); /* M13 */
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "part upsert");
}

/*
 * Looks up part `number` of upload_id: its object id, size, whether its
 * file is framed (M11) and where it is (M13), and (when etag is not NULL)
 * copies its ETag. *found is false when there is none.
 */
static s3err_t part_get(struct conn *c, const char *upload_id, unsigned number,
			char id[POSIX_ID_HEX + 1], uint64_t *size, bool *framed,
			char tier[POSIX_TIER_MAX], char *etag, size_t etag_cap, bool *found)
{
	sqlite3_stmt *st = c->st[ST_PART_GET];
	s3err_t err = S3E_OK;
	sqlite3_int64 sz;
	int rc;

	*found = false;
	rc = posix_bind_text(st, 1, upload_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, (int)number);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		goto out;
	if (rc != SQLITE_ROW) {
		err = posix_db_err(c, rc, "part lookup");
		goto out;
	}
	sz = sqlite3_column_int64(st, 1);
	if (!posix_col_id(st, 0, id) || sz < 0 || !posix_col_text(st, 4, tier, POSIX_TIER_MAX) ||
	    (etag && !posix_col_text(st, 2, etag, etag_cap))) {
		log_error(POSIX_LOG_MOD, "index holds a malformed part row");
		err = S3E_InternalError;
		goto out;
	}
	*size = (uint64_t)sz;
	*framed = sqlite3_column_int(st, 3) == 1;
	*found = true;
out:
	posix_stmt_done(st);
	return err;
}

/*
 * The part commit transaction: the upload must still be active; the row of
 * the part number is inserted or replaced and the replaced file queued in
 * gc (old_id in old_tier, "" when none, for posix_gc_finish after commit).
 * *unsure as in index_publish (posix.c).
 */
static s3err_t part_publish(struct conn *c, const struct be_writer *w, const struct part_info *p,
			    char old_id[POSIX_ID_HEX + 1], char old_tier[POSIX_TIER_MAX],
			    bool *unsure)
{
	struct upl_state us;
	uint64_t old_size = 0;
	bool found = false, old_framed = false;
	s3err_t err;

	old_id[0] = '\0';
	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = upload_state(c, w->bucket, w->upload_id, true, &us);
	if (err == S3E_OK && (us.sse.sse_mode != SSE_NONE) != w->sealed) {
		/* M12, F5: a part is sealed exactly when its upload is encrypted. */
		log_error(POSIX_LOG_MOD,
			  "part %u of an upload in %s: upload sse_mode %d, writer %s",
			  w->part_number, w->bucket, us.sse.sse_mode,
			  w->sealed ? "sealed" : "not sealed");
		err = S3E_InternalError;
	}
	if (err == S3E_OK)
		err = part_get(c, w->upload_id, w->part_number, old_id, &old_size, &old_framed,
			       old_tier, NULL, 0, &found);
	if (err != S3E_OK)
		goto out;
	if (!found)
		old_id[0] = '\0';
	err = part_upsert(c, w, p);
	if (err == S3E_OK && old_id[0])
		err = posix_gc_add(c, old_tier, old_id);
	if (err != S3E_OK)
		goto out;
	err = posix_tx_commit(c);
	*unsure = posix_commit_unsure(err);
out:
	if (err != S3E_OK) {
		posix_tx_rollback(c);
		old_id[0] = '\0';
	}
	return err;
}

s3err_t posix_part_commit(struct be_writer *w, const struct part_info *p)
{
	enum data_where where = IN_TMP;
	struct posix_be *pb = w->pb;
	char old_id[POSIX_ID_HEX + 1] = "", old_tier[POSIX_TIER_MAX] = "";
	struct conn *c = NULL;
	bool unsure = false;
	int xxfd = -1;
	s3err_t err;

	if (w->kind != W_PART || p->number != w->part_number || p->size != w->written) {
		log_error(POSIX_LOG_MOD,
			  "part commit of %s/tmp/%s: part %u of %llu bytes written, "
			  "metadata says part %u of %llu",
			  w->loc->dir, w->id, w->part_number, (unsigned long long)w->written,
			  p->number, (unsigned long long)p->size);
		err = S3E_InternalError;
		goto out;
	}
	err = posix_data_place(w, &xxfd, &where);
	if (err != S3E_OK)
		goto out;
	c = posix_pool_get(pb);
	err = part_publish(c, w, p, old_id, old_tier, &unsure);
	if (unsure) {
		log_error(POSIX_LOG_MOD, "kept %s/objects/%.2s/%s after a failed index commit",
			  w->loc->dir, w->id, w->id);
		where = PUBLISHED;
	}
	if (err != S3E_OK)
		goto out;
	where = PUBLISHED;
	if (old_id[0])
		posix_gc_finish(pb, c, old_tier, old_id);
out:
	if (c)
		posix_pool_put(pb, c);
	posix_data_cleanup(w, xxfd, where);
	return err;
}

/* --- reading a part, ListParts --- */

/*
 * One attempt of part_reader_open: fills f (its fd open; sealed when the
 * upload is encrypted, M12) and key (the upload's key, for messages).
 * S3E_NoSuchKey: the part was replaced meanwhile.
 */
static s3err_t part_open_try(struct posix_be *pb, const char *bucket, const char *upload_id,
			     unsigned number, struct posix_dfile *f, char *key, size_t key_cap)
{
	char id[POSIX_ID_HEX + 1], tier[POSIX_TIER_MAX];
	const struct posix_loc *loc;
	struct upl_state *us;
	bool found = false;
	struct conn *c;
	s3err_t err;

	us = malloc(sizeof(*us));
	if (!us)
		return S3E_InternalError;
	c = posix_pool_get(pb);
	err = posix_tx_begin_read(c);
	if (err == S3E_OK)
		err = upload_state(c, bucket, upload_id, true, us);
	if (err == S3E_OK)
		err =
		    part_get(c, upload_id, number, id, &f->size, &f->framed, tier, NULL, 0, &found);
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
	if (err != S3E_OK)
		goto out;
	if (!found) {
		err = S3E_InvalidPart;
		goto out;
	}
	snprintf(key, key_cap, "%s", us->key);
	posix_id_raw(id, f->id);
	f->sealed = us->sse.sse_mode != SSE_NONE;
	if (f->sealed && !f->framed) {
		log_error(POSIX_LOG_MOD, "part %u of an encrypted upload in %s is unframed", number,
			  bucket);
		err = S3E_InternalError;
		goto out;
	}
	loc = posix_loc_find(pb, tier);
	if (!loc) {
		log_error(POSIX_LOG_MOD, "part %u of an upload in %s is in tier %s, not configured",
			  number, bucket, tier);
		err = S3E_InternalError;
		goto out;
	}
	err = posix_data_open(loc, id, posix_stored_size(f->framed, f->size), &f->fh);
out:
	free(us);
	return err;
}

s3err_t posix_part_reader_open(struct backend *be, const char *bucket, const char *upload_id,
			       unsigned number, struct be_reader **out)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct posix_dfile f = {.fh = POSIX_FH_NONE};
	struct be_reader *r = NULL;
	char *key = NULL;
	int attempt;
	s3err_t err;

	key = calloc(1, STRATA_MAX_KEY_LEN + 1);
	if (!key) {
		err = S3E_InternalError;
		goto out;
	}
	for (attempt = 1;; attempt++) {
		err = part_open_try(pb, bucket, upload_id, number, &f, key, STRATA_MAX_KEY_LEN + 1);
		if (err != S3E_NoSuchKey)
			break;
		if (attempt >= POSIX_OPEN_RETRIES) {
			log_error(POSIX_LOG_MOD, "part %u kept vanishing while being opened",
				  number);
			err = S3E_InternalError;
			break;
		}
	}
	if (err != S3E_OK)
		goto out;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->bucket = strdup(bucket))) {
		free(r);
		err = S3E_InternalError;
		goto out;
	}
	r->file = f;
	r->size = f.size;
	r->key = key;
	r->fc.bucket = r->bucket;
	r->fc.key = r->key;
	key = NULL;
	f.fh = POSIX_FH_NONE;
	*out = r;
out:
	posix_fh_close(&f.fh);
	free(key);
	return err;
}

/* Decodes one row of the part list below. */
static bool part_row(sqlite3_stmt *st, size_t n, void *rows)
{
	struct part_info *p = &((struct part_info *)rows)[n];
	sqlite3_int64 num = sqlite3_column_int64(st, 0), sz = sqlite3_column_int64(st, 1);

	memset(p, 0, sizeof(*p));
	if (num < 1 || num > STRATA_MAX_PARTS || sz < 0 ||
	    !posix_col_text(st, 3, p->etag, sizeof(p->etag)) ||
	    !posix_col_text(st, 4, p->checksum_b64, sizeof(p->checksum_b64)) ||
	    !posix_col_text(st, 5, p->sha256_hex, sizeof(p->sha256_hex)))
		return false;
	p->number = (unsigned)num;
	p->size = (uint64_t)sz;
	p->mtime_ms = sqlite3_column_int64(st, 2);
	return true;
}

/* Copies up to cap parts numbered above `after` into rows; *got is how many. */
static s3err_t part_chunk(struct conn *c, const char *upload_id, unsigned after,
			  struct part_info *rows, size_t cap, size_t *got)
{
	sqlite3_stmt *st = c->st[ST_PART_LIST];
	s3err_t err;
	int rc;

	rc = posix_bind_text(st, 1, upload_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, after);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)cap);
	err = posix_fetch_rows(c, st, rc, cap, "part list", part_row, rows, got);
	posix_stmt_done(st);
	return err;
}

s3err_t posix_part_list(struct backend *be, const char *bucket, const char *upload_id,
			unsigned after, size_t limit, part_visit_fn visit, void *ctx)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct part_info *rows = NULL;
	size_t want, got = 0, i;
	struct upl_state us;
	struct conn *c;
	s3err_t err;

	rows = calloc(PART_CHUNK, sizeof(*rows));
	if (!rows) {
		err = S3E_InternalError;
		goto out;
	}
	c = posix_pool_get(pb);
	err = upload_state(c, bucket, upload_id, true, &us);
	posix_pool_put(pb, c);
	if (err != S3E_OK)
		goto out;
	while (limit > 0) {
		want = limit < PART_CHUNK ? limit : PART_CHUNK;
		c = posix_pool_get(pb);
		err = part_chunk(c, upload_id, after, rows, want, &got);
		posix_pool_put(pb, c);
		if (err != S3E_OK)
			goto out;
		/* The connection is back in the pool: visitors may use the backend (P4). */
		for (i = 0; i < got; i++) {
			limit--;
			if (!visit(ctx, &rows[i]))
				goto out;
		}
		if (got < want)
			break;
		after = rows[got - 1].number;
	}
out:
	free(rows);
	return err;
}

/* --- ListMultipartUploads --- */

/* Where an upload listing chunk starts: after (key, id), or after key alone when id is NULL. */
struct upl_from {
	const char *key;
	const char *id;
};

/* Decodes one row of the upload listing below (no headers: listings do not show them). */
static bool upload_row(sqlite3_stmt *st, size_t n, void *rows)
{
	struct upload_info *u = &((struct upload_info *)rows)[n];

	memset(u, 0, sizeof(*u));
	u->initiated_ms = sqlite3_column_int64(st, 2);
	return posix_col_text(st, 0, u->key, sizeof(u->key)) &&
	       posix_col_text(st, 1, u->upload_id, sizeof(u->upload_id)) &&
	       posix_col_text(st, 3, u->meta.storage_class, sizeof(u->meta.storage_class)) &&
	       posix_col_text(st, 4, u->meta.checksum_algo, sizeof(u->meta.checksum_algo)) &&
	       posix_col_text(st, 5, u->meta.checksum_type, sizeof(u->meta.checksum_type));
}

/* Copies up to cap active uploads of bucket after `from` below `upper` into rows. */
static s3err_t upload_chunk(struct conn *c, const char *bucket, const struct upl_from *from,
			    const char *upper, struct upload_info *rows, size_t cap, size_t *got)
{
	enum stmt sid = from->id ? (upper ? ST_UPL_LIST_GT_PAIR_LT : ST_UPL_LIST_GT_PAIR)
				 : (upper ? ST_UPL_LIST_GT_KEY_LT : ST_UPL_LIST_GT_KEY);
	sqlite3_stmt *st = c->st[sid];
	s3err_t err;
	int rc;

	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, from->key);
	if (rc == SQLITE_OK)
		rc = from->id ? posix_bind_text(st, 3, from->id) : sqlite3_bind_null(st, 3);
	if (rc == SQLITE_OK)
		rc = upper ? posix_bind_text(st, 4, upper) : sqlite3_bind_null(st, 4);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, (sqlite3_int64)cap);
	err = posix_fetch_rows(c, st, rc, cap, "upload list", upload_row, rows, got);
	posix_stmt_done(st);
	return err;
}

s3err_t posix_upload_list(struct backend *be, const char *bucket, const char *prefix,
			  const char *key_marker, const char *upload_id_marker, size_t limit,
			  upload_visit_fn visit, void *ctx)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct upload_info *rows = NULL;
	char *upper = NULL, *last_key = NULL;
	char last_id[STRATA_UPLOAD_ID_MAX];
	struct upl_from from;
	size_t want, got = 0, i;
	struct conn *c;
	s3err_t err;

	c = posix_pool_get(pb);
	err = posix_bucket_exists(c, bucket);
	posix_pool_put(pb, c);
	if (err != S3E_OK || limit == 0)
		goto out;
	err = posix_prefix_upper(prefix, &upper);
	if (err != S3E_OK)
		goto out;
	/*
	 * One lower bound, whichever is tighter: every key >= prefix (all of
	 * its upload ids are > ""), or the markers (an empty upload-id-marker
	 * means keys strictly after key-marker, as on AWS).
	 */
	if (strcmp(prefix, key_marker) > 0)
		from = (struct upl_from){prefix, ""};
	else
		from = (struct upl_from){key_marker, upload_id_marker[0] ? upload_id_marker : NULL};
	rows = calloc(UPLOAD_CHUNK, sizeof(*rows));
	last_key = malloc(STRATA_MAX_KEY_LEN + 1);
	if (!rows || !last_key) {
		err = S3E_InternalError;
		goto out;
	}
	while (limit > 0) {
		want = limit < UPLOAD_CHUNK ? limit : UPLOAD_CHUNK;
		c = posix_pool_get(pb);
		err = upload_chunk(c, bucket, &from, upper, rows, want, &got);
		posix_pool_put(pb, c);
		if (err != S3E_OK)
			goto out;
		/* The connection is back in the pool: visitors may use the backend (P4). */
		for (i = 0; i < got; i++) {
			limit--;
			if (!visit(ctx, &rows[i]))
				goto out;
		}
		if (got < want)
			break;
		memcpy(last_key, rows[got - 1].key, strlen(rows[got - 1].key) + 1);
		memcpy(last_id, rows[got - 1].upload_id, sizeof(last_id));
		from = (struct upl_from){last_key, last_id};
	}
out:
	free(last_key);
	free(rows);
	free(upper);
	return err;
}

/* --- CompleteMultipartUpload --- */

/* What complete_tx leaves for after its commit. */
struct complete_out {
	struct retired old; /* the replaced object's data */
	bool queued;	    /* unlisted parts went to gc */
};

/*
 * Moves the listed parts of upload_id into object_parts of bucket/key at
 * idx 1..n (M4, M5): each must exist with the listed ETag. *total is the
 * sum of their sizes. Errors: S3E_InvalidPart, S3E_InternalError.
 */
static s3err_t parts_move(struct conn *c, const char *upload_id, const char *bucket,
			  const char *key, const struct complete_part *parts, size_t n,
			  uint64_t *total)
{
	char id[POSIX_ID_HEX + 1], etag[STRATA_ETAG_MAX], tier[POSIX_TIER_MAX];
	sqlite3_stmt *st;
	uint64_t size = 0, sum = 0;
	bool found = false, framed = false;
	s3err_t err = S3E_OK;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		err = part_get(c, upload_id, parts[i].number, id, &size, &framed, tier, etag,
			       sizeof(etag), &found);
		if (err != S3E_OK)
			goto out;
		if (!found || strcmp(etag, parts[i].etag) != 0) {
			err = S3E_InvalidPart;
			goto out;
		}
		sum += size;
		st = c->st[ST_OPART_INSERT];
		rc = posix_bind_text(st, 1, bucket);
		if (rc == SQLITE_OK)
			rc = posix_bind_text(st, 2, key);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)(i + 1));
		if (rc == SQLITE_OK)
			rc = posix_bind_text(st, 4, id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 5, (sqlite3_int64)size);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int(st, 6, framed ? 1 : 0); /* M11 */
		if (rc == SQLITE_OK)
			rc = posix_bind_text(st, 7, tier); /* M13 */
		if (rc == SQLITE_OK)
			rc = posix_run(st);
		else
			posix_stmt_done(st);
		/* The row is consumed: what is left in `parts` afterwards is unlisted. */
		st = c->st[ST_PART_DELETE_ONE];
		if (rc == SQLITE_OK)
			rc = posix_bind_text(st, 1, upload_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int(st, 2, (int)parts[i].number);
		if (rc == SQLITE_OK)
			rc = posix_run(st);
		else
			posix_stmt_done(st);
		if (rc != SQLITE_OK) {
			err = posix_db_err(c, rc, "part move");
			goto out;
		}
	}
	*total = sum;
out:
	return err;
}

/* Marks upload_id completed with the object's ETag (M1, M8). */
static s3err_t upload_mark_completed(struct conn *c, const char *upload_id, const char *etag)
{
	sqlite3_stmt *st = c->st[ST_UPL_COMPLETE];
	int rc;

	rc = posix_bind_text(st, 1, upload_id);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, etag);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, posix_now_ms());
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "upload complete");
}

/* The completion transaction (M5); on error nothing changed. */
static s3err_t complete_tx(struct posix_be *pb, struct conn *c, const char *bucket,
			   const char *upload_id, const struct complete_part *parts, size_t n,
			   const struct obj_meta *meta, const char *version_id,
			   const struct repl_request *req, struct upl_state *us,
			   struct complete_out *co, char report[STRATA_VERSION_ID_MAX])
{
	struct obj_meta m;
	uint64_t total = 0;
	bool found = false;
	s3err_t err;
	int rc;

	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = upload_state(c, bucket, upload_id, true, us);
	if (err == S3E_OK)
		err = posix_bucket_exists(c, bucket);
	if (err == S3E_OK)
		err = posix_ver_make_room(c, bucket, us->key, &co->old, &found, report); /* V3 */
	if (err == S3E_OK && req && req->replica) /* a replica keeps its source's id (Q9) */
		err = posix_ver_keep_id(c, bucket, us->key, req->version_id, report, NULL);
	if (err == S3E_OK)
		err = parts_move(c, upload_id, bucket, us->key, parts, n, &total);
	if (err != S3E_OK)
		goto out;
	if (total != meta->size) {
		log_error(POSIX_LOG_MOD,
			  "complete of an upload in %s: parts hold %llu bytes, "
			  "metadata says %llu",
			  bucket, (unsigned long long)total, (unsigned long long)meta->size);
		err = S3E_InternalError;
		goto out;
	}
	if (meta->sse_mode != us->sse.sse_mode) {
		/* M12: the object's row must say how its (the upload's) part files are sealed. */
		log_error(POSIX_LOG_MOD,
			  "complete of an upload in %s: metadata sse_mode %d, the upload's %d",
			  bucket, meta->sse_mode, us->sse.sse_mode);
		err = S3E_InternalError;
		goto out;
	}
	rc = posix_run_texts(c->st[ST_PARTS_GC], &upload_id, 1);
	if (rc == SQLITE_OK) {
		co->queued = sqlite3_changes(c->db) > 0;
		rc = posix_run_texts(c->st[ST_PARTS_DELETE], &upload_id, 1);
	}
	if (rc != SQLITE_OK) {
		err = posix_db_err(c, rc, "unlisted parts retire");
		goto out;
	}
	m = *meta; /* shallow: the headers stay the caller's */
	m.parts_count = (unsigned)n;
	/* F8: the envelope as the uploads row holds it now (a rotation may have rewrapped it). */
	memcpy(m.sse_key_id, us->sse.sse_key_id, sizeof(m.sse_key_id));
	memcpy(m.sse_envelope, us->sse.sse_envelope, sizeof(m.sse_envelope));
	m.sse_envelope_len = us->sse.sse_envelope_len;
	/* T2: a layout-1 row's tier says where its class put the parts. */
	err = posix_obj_upsert(c, bucket, us->key, version_id, &m, 1, false,
			       posix_loc_for_class(pb, us->storage_class)->tier,
			       posix_repl_status_of(req));
	if (err == S3E_OK)
		err = posix_ver_set(c, bucket, us->key, report, &m);
	/* M14 (Q1): the replication events go in with the object row, or neither does. */
	if (err == S3E_OK && req)
		err = posix_repl_queue(c, bucket, us->key, req, false, meta->mtime_ms, meta->etag,
				       report, NULL);
	if (err == S3E_OK)
		err = upload_mark_completed(c, upload_id, meta->etag);
	if (err == S3E_OK)
		err = posix_tx_commit(c);
	/*
	 * A failed COMMIT needs no file kept or removed here: every file is
	 * named by the old rows or the new ones either way (M3).
	 */
out:
	if (err != S3E_OK) {
		posix_tx_rollback(c);
		*co = (struct complete_out){{"", "", false, false}, false};
	}
	return err;
}

/* upload_complete with what its commit asks of replication (req NULL: nothing; M14). */
static s3err_t upload_complete(struct backend *be, const char *bucket, const char *upload_id,
			       const struct complete_part *parts, size_t n,
			       const struct obj_meta *meta, const struct repl_request *req,
			       char report[STRATA_VERSION_ID_MAX])
{
	struct posix_be *pb = (struct posix_be *)be;
	struct complete_out co = {{"", "", false, false}, false};
	char version_id[POSIX_ID_HEX + 1];
	struct conn *c = NULL;
	struct upl_state us;
	s3err_t err;
	size_t i;

	if (n == 0 || n > STRATA_MAX_PARTS) {
		err = S3E_InvalidRequest;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (parts[i].number < 1 || parts[i].number > STRATA_MAX_PARTS) {
			err = S3E_InvalidPart;
			goto out;
		}
		if (i > 0 && parts[i].number <= parts[i - 1].number) {
			err = S3E_InvalidPartOrder;
			goto out;
		}
	}
	if (meta->headers_len > STRATA_MAX_STORED_HEADERS) {
		err = S3E_MetadataTooLarge;
		goto out;
	}
	if (req && !posix_repl_valid(req)) {
		err = S3E_InternalError;
		goto out;
	}
	/* Layout 1: object_id is a version id naming no file (P7). */
	err = posix_id_new(version_id);
	if (err != S3E_OK)
		goto out;
	c = posix_pool_get(pb);
	err = complete_tx(pb, c, bucket, upload_id, parts, n, meta, version_id, req, &us, &co,
			  report);
	if (err != S3E_OK)
		goto out;
	posix_retired_finish(pb, c, &co.old); /* its file(s) and restored copies (R6) */
	if (co.queued && !co.old.parts)
		posix_gc_drain(pb, c); /* failures leave gc rows for the next open */
out:
	if (c)
		posix_pool_put(pb, c);
	return err;
}

s3err_t posix_upload_complete(struct backend *be, const char *bucket, const char *upload_id,
			      const struct complete_part *parts, size_t n,
			      const struct obj_meta *meta)
{
	char report[STRATA_VERSION_ID_MAX];

	return upload_complete(be, bucket, upload_id, parts, n, meta, NULL, report);
}

s3err_t posix_upload_complete_repl(struct backend *be, const char *bucket, const char *upload_id,
				   const struct complete_part *parts, size_t n,
				   const struct obj_meta *meta, const struct repl_request *req)
{
	char report[STRATA_VERSION_ID_MAX];

	return upload_complete(be, bucket, upload_id, parts, n, meta, req, report);
}

s3err_t posix_upload_complete_v(struct backend *be, const char *bucket, const char *upload_id,
				const struct complete_part *parts, size_t n,
				const struct obj_meta *meta, const struct repl_request *req,
				char version_id[STRATA_VERSION_ID_MAX])
{
	char report[STRATA_VERSION_ID_MAX] = "";
	s3err_t err = upload_complete(be, bucket, upload_id, parts, n, meta, req, report);

	if (err == S3E_OK)
		memcpy(version_id, report, STRATA_VERSION_ID_MAX);
	return err;
}

/* --- partNumber= on GetObject/HeadObject --- */

/* Within a read snapshot: the range of part `number` of bucket/key. */
static s3err_t part_range_tx(struct conn *c, const char *bucket, const char *key, unsigned number,
			     uint64_t *offset, uint64_t *size)
{
	sqlite3_stmt *st = c->st[ST_OPART_OBJ];
	sqlite3_int64 osize = 0, before = 0, psize = 0, count = 0;
	int rc, layout = 0;
	s3err_t err = S3E_OK;

	rc = posix_step_texts2(st, bucket, key);
	if (rc == SQLITE_ROW) {
		layout = sqlite3_column_int(st, 0);
		osize = sqlite3_column_int64(st, 1);
		count = sqlite3_column_int64(st, 2);
	}
	posix_stmt_done(st);
	if (rc == SQLITE_DONE) {
		err = posix_bucket_exists(c, bucket);
		if (err == S3E_OK)
			err = S3E_NoSuchKey;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		err = posix_db_err(c, rc, "object lookup");
		goto out;
	}
	if (layout != 1) {
		/* One part, the whole object, whatever parts_count the row carries. */
		if (number != 1) {
			err = S3E_InvalidPartNumber;
			goto out;
		}
		psize = osize;
		goto found;
	}
	if (number > count) {
		err = S3E_InvalidPartNumber;
		goto out;
	}
	st = c->st[ST_OPART_RANGE];
	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, (int)number);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		psize = sqlite3_column_int64(st, 0);
		before = sqlite3_column_int64(st, 1);
	}
	posix_stmt_done(st);
	if (rc != SQLITE_ROW || psize < 0 || before < 0 || before + psize > osize) {
		log_error(POSIX_LOG_MOD, "object parts of a key in %s are inconsistent", bucket);
		err = rc == SQLITE_ROW || rc == SQLITE_DONE ? S3E_InternalError
							    : posix_db_err(c, rc, "part range");
		goto out;
	}
found:
	*offset = (uint64_t)before;
	*size = (uint64_t)psize;
out:
	return err;
}

s3err_t posix_object_part_range(struct backend *be, const char *bucket, const char *key,
				unsigned number, uint64_t *offset, uint64_t *size)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c;
	s3err_t err;

	if (number < 1 || number > STRATA_MAX_PARTS)
		return S3E_InvalidArgument; /* AWS: "Part number must be ... 1 and 10000" */
	c = posix_pool_get(pb);
	err = posix_tx_begin_read(c);
	if (err == S3E_OK)
		err = part_range_tx(c, bucket, key, number, offset, size);
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
	return err;
}

/* --- reading a multipart object (M6, M7) --- */

struct mp_part {
	uint64_t off;	      /* where the part starts in the object */
	unsigned char id[16]; /* its data file's object id, raw (also its frames' file id) */
	bool framed;	      /* object_parts.frames (M11) */
	uint8_t loc;	      /* its location: an index into pb->loc (M13) */
};

struct mp_slot {
	struct posix_fh fh;	      /* closed when empty */
	size_t part;		      /* index into parts */
	uint64_t used;		      /* tick of the last use, for LRU */
	struct frames_cipher *cipher; /* sealed: the part's cipher once read (F7), else NULL */
};

struct mp_map {
	struct posix_be *pb;
	bool sealed;   /* the objects row's sse_mode is not SSE_NONE: every part is (F5) */
	uint64_t size; /* the object's bytes: the end of the last part */
	size_t n;
	struct mp_part *parts;
	uint64_t tick;
	struct mp_slot slot[MP_FD_CACHE];
};

static int hex_val(char ch)
{
	return ch <= '9' ? ch - '0' : ch - 'a' + 10; /* only for posix_id_valid ids */
}

static void id_to_raw(const char *hex, unsigned char raw[16])
{
	size_t i;

	for (i = 0; i < 16; i++)
		raw[i] = (unsigned char)(hex_val(hex[2 * i]) << 4 | hex_val(hex[2 * i + 1]));
}

static void id_to_hex(const unsigned char raw[16], char hex[POSIX_ID_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 16; i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 15];
	}
	hex[POSIX_ID_HEX] = '\0';
}

static uint64_t part_end(const struct mp_map *map, size_t i)
{
	return i + 1 < map->n ? map->parts[i + 1].off : map->size;
}

void posix_mp_map_free(struct mp_map *map)
{
	size_t i;

	if (!map)
		return;
	for (i = 0; i < MP_FD_CACHE; i++) {
		posix_fh_close(&map->slot[i].fh);
		frames_cipher_free(map->slot[i].cipher);
	}
	free(map->parts);
	free(map);
}

/* Appends one part to map (growing the table by doubling, at most STRATA_MAX_PARTS). */
static s3err_t map_append(struct mp_map *map, size_t *cap, const struct posix_file *f, uint64_t off)
{
	struct mp_part *p;
	size_t ncap;

	if (map->n >= STRATA_MAX_PARTS)
		return S3E_InternalError;
	if (map->n == *cap) {
		ncap = *cap ? *cap * 2 : MP_MAP_INITIAL;
		if (ncap > STRATA_MAX_PARTS)
			ncap = STRATA_MAX_PARTS;
		p = realloc(map->parts, ncap * sizeof(*p));
		if (!p)
			return S3E_InternalError;
		map->parts = p;
		*cap = ncap;
	}
	map->parts[map->n].off = off;
	map->parts[map->n].framed = f->framed;
	map->parts[map->n].loc = (uint8_t)(f->loc - map->pb->loc);
	id_to_raw(f->id, map->parts[map->n].id);
	map->n++;
	return S3E_OK;
}

/*
 * Steps ST_OPART_LOAD (bound by the caller) and hands each part file, at
 * its location, to add(ctx, file, offset). Checks what both loaders need:
 * sizes that add up to `size`, a sealed part framed (F5), a known tier.
 */
static s3err_t oparts_walk(struct posix_be *pb, struct conn *c, const char *bucket, uint64_t size,
			   bool sealed, s3err_t (*add)(void *, const struct posix_file *, uint64_t),
			   void *ctx)
{
	sqlite3_stmt *st = c->st[ST_OPART_LOAD];
	char tier[POSIX_TIER_MAX];
	struct posix_file f;
	uint64_t sum = 0;
	size_t n = 0;
	s3err_t err = S3E_OK;
	int rc = SQLITE_OK;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 sz = sqlite3_column_int64(st, 1);

		memset(&f, 0, sizeof(f));
		/* A sealed part is framed by construction (F5): anything else is a bad row. */
		if (sz < 0 || (uint64_t)sz > size - sum || !posix_col_id(st, 0, f.id) ||
		    (sealed && sqlite3_column_int(st, 2) != 1) ||
		    !posix_col_text(st, 3, tier, sizeof(tier)) ||
		    !(f.loc = posix_loc_find(pb, tier)) || n >= STRATA_MAX_PARTS) {
			err = S3E_InternalError;
			goto out;
		}
		f.size = (uint64_t)sz;
		f.framed = sqlite3_column_int(st, 2) == 1;
		f.sealed = sealed;
		err = add(ctx, &f, sum);
		if (err != S3E_OK)
			goto out;
		sum += (uint64_t)sz;
		n++;
	}
	if (rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "object parts load");
		goto out;
	}
	if (n == 0 || sum != size)
		err = S3E_InternalError;
out:
	if (err == S3E_InternalError)
		log_error(POSIX_LOG_MOD, "the parts of a multipart object in %s do not add up",
			  bucket);
	return err;
}

/* Binds bucket/key to ST_OPART_LOAD and walks it (oparts_walk). */
static s3err_t oparts_load(struct posix_be *pb, struct conn *c, const char *bucket, const char *key,
			   uint64_t size, bool sealed,
			   s3err_t (*add)(void *, const struct posix_file *, uint64_t), void *ctx)
{
	sqlite3_stmt *st = c->st[ST_OPART_LOAD];
	s3err_t err;
	int rc;

	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	err = rc == SQLITE_OK ? oparts_walk(pb, c, bucket, size, sealed, add, ctx)
			      : posix_db_err(c, rc, "object parts load");
	posix_stmt_done(st);
	return err;
}

struct map_ctx {
	struct mp_map *map;
	size_t cap;
	bool home; /* a done restore: every part is read at home (R4 in posix_restore.c) */
};

static s3err_t map_add(void *ctx, const struct posix_file *f, uint64_t off)
{
	struct map_ctx *m = ctx;
	struct posix_file at = *f;

	/* Its restored copy keeps its id: only the location differs (R2). */
	if (m->home)
		at.loc = &m->map->pb->loc[0];
	return map_append(m->map, &m->cap, &at, off);
}

s3err_t posix_mp_map_load(struct posix_be *pb, struct conn *c, const char *bucket, const char *key,
			  uint64_t size, bool sealed, bool restored, struct mp_map **out)
{
	struct map_ctx mc = {NULL, 0, restored};
	struct mp_map *map;
	s3err_t err;
	size_t i;

	map = calloc(1, sizeof(*map));
	if (!map)
		return S3E_InternalError;
	for (i = 0; i < MP_FD_CACHE; i++)
		map->slot[i].fh = POSIX_FH_NONE;
	map->pb = pb;
	map->size = size;
	map->sealed = sealed;
	mc.map = map;
	err = oparts_load(pb, c, bucket, key, size, sealed, map_add, &mc);
	if (err != S3E_OK) {
		posix_mp_map_free(map);
		return err;
	}
	*out = map;
	return S3E_OK;
}

struct files_ctx {
	struct posix_file *files;
	size_t n, cap;
};

static s3err_t files_add(void *ctx, const struct posix_file *f, uint64_t off)
{
	struct files_ctx *fc = ctx;
	struct posix_file *grown;

	(void)off;
	if (fc->n == fc->cap) {
		fc->cap = fc->cap ? fc->cap * 2 : MP_MAP_INITIAL;
		grown = realloc(fc->files, fc->cap * sizeof(*grown));
		if (!grown)
			return S3E_InternalError;
		fc->files = grown;
	}
	fc->files[fc->n++] = *f;
	return S3E_OK;
}

s3err_t posix_mp_files_load(struct posix_be *pb, struct conn *c, const char *bucket,
			    const char *key, uint64_t size, bool sealed, struct posix_file **out,
			    size_t *n)
{
	struct files_ctx fc = {NULL, 0, 0};
	s3err_t err;

	err = oparts_load(pb, c, bucket, key, size, sealed, files_add, &fc);
	if (err != S3E_OK) {
		free(fc.files);
		return err;
	}
	*out = fc.files;
	*n = fc.n;
	return S3E_OK;
}

/* Opens part i's file into slot s. S3E_NoSuchKey: the file is gone (M7). */
static s3err_t slot_fill(struct mp_map *map, struct mp_slot *s, size_t i)
{
	struct mp_part *p = &map->parts[i];
	uint64_t stored = posix_stored_size(p->framed, part_end(map, i) - p->off);
	char hex[POSIX_ID_HEX + 1];
	s3err_t err;
	struct posix_fh fh = POSIX_FH_NONE;
	size_t k;

	id_to_hex(p->id, hex);
	err = posix_data_open(&map->pb->loc[p->loc], hex, stored, &fh);
	/* M7: moved by a transition? Only a framed file proves itself as it is read. */
	for (k = 0; err == S3E_NoSuchKey && p->framed && k < map->pb->nloc; k++) {
		if (k == p->loc)
			continue;
		err = posix_data_open(&map->pb->loc[k], hex, stored, &fh);
		if (err == S3E_OK)
			p->loc = (uint8_t)k;
	}
	if (err != S3E_OK)
		return err;
	posix_fh_close(&s->fh);
	frames_cipher_free(s->cipher); /* it was the previous part's */
	s->cipher = NULL;
	s->fh = fh;
	s->part = i;
	s->used = ++map->tick;
	return S3E_OK;
}

s3err_t posix_mp_map_open(struct posix_be *pb, struct mp_map *map)
{
	size_t i;
	s3err_t err = S3E_OK;

	map->pb = pb;
	for (i = 0; i < map->n && i < MP_FD_CACHE && err == S3E_OK; i++)
		err = slot_fill(map, &map->slot[i], i);
	return err;
}

/* The slot of part i: from the cache, or opened into an empty or the least recently used one. */
static s3err_t part_slot(struct mp_map *map, size_t i, struct mp_slot **out)
{
	struct mp_slot *victim = &map->slot[0];
	size_t k;
	s3err_t err;

	for (k = 0; k < MP_FD_CACHE; k++) {
		if (posix_fh_is_open(&map->slot[k].fh) && map->slot[k].part == i) {
			map->slot[k].used = ++map->tick;
			*out = &map->slot[k];
			return S3E_OK;
		}
	}
	for (k = 0; k < MP_FD_CACHE; k++) {
		if (!posix_fh_is_open(&map->slot[k].fh)) {
			victim = &map->slot[k];
			break;
		}
		if (map->slot[k].used < victim->used)
			victim = &map->slot[k];
	}
	err = slot_fill(map, victim, i);
	if (err == S3E_NoSuchKey) {
		log_error(POSIX_LOG_MOD,
			  "a part file of a multipart object in %s was reclaimed during a read: "
			  "the object was overwritten or deleted",
			  map->pb->dir);
		err = S3E_InternalError;
	}
	if (err == S3E_OK)
		*out = victim;
	return err;
}

/* The part holding byte x (x < map->size): the last part starting at or before x. */
static size_t part_find(const struct mp_map *map, uint64_t x)
{
	size_t lo = 0, hi = map->n; /* parts[lo].off <= x < parts[hi].off (hi = n: the end) */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (map->parts[mid].off <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

s3err_t posix_mp_read(struct mp_map *map, struct posix_frame_cache *fc, uint64_t off, void *buf,
		      size_t len, size_t *got)
{
	size_t want = len, done = 0, chunk, i;
	struct mp_slot *slot = NULL;
	struct posix_dfile f;
	s3err_t err = S3E_OK;
	uint64_t x, end;

	if (off >= map->size) {
		*got = 0;
		goto out;
	}
	if (map->size - off < want)
		want = (size_t)(map->size - off);
	/* A read may span several parts; empty parts are never found (part_find). */
	while (done < want) {
		x = off + done;
		i = part_find(map, x);
		end = part_end(map, i);
		chunk = end - x < want - done ? (size_t)(end - x) : want - done;
		err = part_slot(map, i, &slot);
		if (err != S3E_OK)
			goto out;
		f.fh = slot->fh;
		f.framed = map->parts[i].framed;
		f.sealed = map->sealed;
		f.size = end - map->parts[i].off;
		memcpy(f.id, map->parts[i].id, sizeof(f.id));
		/* F7: the part's cipher lives with its fd, made on its first read. */
		f.cipher = slot->cipher;
		err = posix_dfile_read(fc, &f, x - map->parts[i].off, (char *)buf + done, chunk);
		slot->cipher = f.cipher;
		if (err != S3E_OK)
			goto out;
		done += chunk;
	}
	*got = done;
out:
	return err;
}
