/*
 * posix: the local-disk backend (layout and commit order in posix.h).
 *
 * This file holds buckets, single-PUT objects (their commit, head, readers,
 * deletes and scans), key rotation, bucket configuration documents and the
 * backend's table of slots. The rest of the backend is split by purpose:
 * the index's statements, schema and migrations in posix_schema.c, its
 * transactions and connection pool in posix_tx.c, the gc queue in
 * posix_gc.c, data-file I/O (ids, writers' bytes, frames, readers' files)
 * in posix_data.c, opening and closing (with the locations of storage
 * tiers) in posix_open.c; placement and
 * transitions between tiers live in posix_tiers.c, archive restores in
 * posix_restore.c, multipart uploads and the objects they complete into in
 * posix_multipart.c, the scrubber in posix_scrub.c, the replication queue
 * in posix_repl.c, and what they share is declared in posix_internal.h.
 *
 * Invariants:
 *  P1. A committed index row names a data file objects/xx/ID that was
 *      fsync'ed, renamed into place and whose directory was fsync'ed before
 *      the row's transaction began. A row never points at a partial file.
 *      This holds for objects rows (layout 0), parts rows and object_parts
 *      rows alike: a part file is an ordinary data file.
 *  P2. A data file is unlinked only after the transaction that stopped
 *      referencing it has committed, and that same transaction queued its id
 *      in the gc table. A crash before the commit leaves the old rows and
 *      files; a crash after it leaves gc rows that the next posix_open
 *      finishes. Ids are never reused for other data, so a gc'd id names
 *      no live data, except the same bytes a transition brought back to
 *      that location: T4 says how gc tells.
 *  P3. tmp/ holds only files of live writers of this process: posix_open
 *      empties it, and an exclusive flock on dir/LOCK keeps a second process
 *      from opening (and sweeping) the same directory.
 *  P4. No pthread mutex is held across file or index I/O, but one: the pool
 *      mutex only guards the free list of connections; write_mu (W1, at
 *      posix_tx_begin) is SQLite's own write lock made a queue, held exactly
 *      while a write transaction is open. A scan copies a chunk of rows out
 *      and returns its connection before calling the visitor, so a visitor
 *      may call back into the backend.
 *  P5. Paths are built only from object ids that pass posix_id_valid() (32
 *      lowercase hex digits from RAND_bytes), never from keys, bucket names
 *      or upload ids.
 *  P6. Keys are TEXT with BINARY collation: SQLite compares them with memcmp,
 *      which is the byte order of UTF-8 that S3 listings use.
 *  P7. An objects row has layout 0 (its data is the file named by object_id)
 *      or layout 1 (a multipart object: its data is the object_parts rows of
 *      the same bucket/key, idx 1..parts_count, and object_id is a version id
 *      that names no file). Whoever replaces or deletes a row retires its
 *      data through posix_obj_retire in the same transaction.
 *  P8. A full disk refuses writes with S3E_XMinioStorageFull, never a
 *      partial one, and deletes still commit: index.reserve holds room for
 *      their transactions (posix_reserve_fill, object_delete).
 *
 * Speed without weaker promises (issue 11; docs/PERFORMANCE.md): W1 write
 * transactions queue on a mutex (posix_tx_begin), W2 a file replaced under
 * load is released in the next writer's commit (gc_later_push), W3 a large
 * file's writeback starts while it is written (start_writeback), W4 object
 * commits and deletes that queue share one transaction and one fsync
 * (posix_batch.c); bucket rows are cached exactly (posix_bcache.h, B1
 * and B2).
 *
 * Integrity (DESIGN.md, "Integrity"; the format is common/frames.h):
 *  F1. Every data file written since schema v3 (objects and parts) is
 *      framed: the writer feeds a frames_encoder whose output goes to
 *      tmp/ID, commit finishes the encoder before the fsync, and the file
 *      holds frames_stored_size(size) bytes. The file id bound into the
 *      tags is the 16 raw bytes of the data file's object id, so a frame
 *      copied from another file, moved, dropped or appended fails.
 *  F2. The `frames` column of the row naming a file says how to read it:
 *      1 framed, 0 a plain legacy file written before v3 (read as is, its
 *      size still checked). objects.frames describes a layout-0 file; a
 *      layout-1 row names no file, so its frames is 0 and each part's
 *      object_parts.frames (copied from parts.frames) says.
 *  F3. A reader never returns a byte of a frame that has not passed
 *      frames_verify in this reader: it preads the whole stored frame,
 *      verifies it, caches it (one frame per reader), then copies. A frame
 *      that fails, or a file of the wrong size, is logged with bucket, key,
 *      file id and frame index, counted (posix_integrity_failures) and
 *      answered S3E_InternalError.
 *  F4. objects.verified_ms is the last time a scrub found the object's
 *      bytes intact (0: never); replacing the row resets it to 0.
 *
 * Encryption (DESIGN.md, "Encryption"; sealed frames in common/frames.h):
 *  F5. A data file is sealed (AES-256-GCM frames) iff the row that owns it
 *      says sse_mode != SSE_NONE: objects.sse_mode for a layout-0 file and
 *      for the object_parts files of a layout-1 object, uploads.sse_mode
 *      for the files of the upload's parts. A sealed file is always framed
 *      (frames = 1; posix_opts.plain_writes never applies to it) under
 *      sse_file_key(data key, raw file id), so no two files share a key
 *      (frame nonces restart in every file). Commits refuse a writer whose
 *      sealing disagrees with the row they publish: writer_commit checks
 *      meta->sse_mode, part_commit and upload_complete the upload's.
 *  F6. A sealed frame is read only through frames_open (GCM-verified, then
 *      decrypted in place), a plain frame only through frames_verify; a
 *      frame failing either is handled alike (F3: logged, counted,
 *      S3E_InternalError). So the reader's frame cache only ever holds
 *      verified plaintext.
 *  F7. A reader holds the data key reader_unseal gave it (cleansed on
 *      close) and derives each sealed file's key and cipher on that file's
 *      first read: one per open file (the layout-0 file, or each cached
 *      part fd of a multipart object). Reading a sealed file without a key
 *      is S3E_InternalError, logged but not an integrity failure.
 *  F8. Envelopes and master key ids are metadata only: rotation
 *      (posix_sse_rewrap) rewrites them in batches, one transaction each,
 *      every UPDATE matching the old envelope, and never touches data
 *      files. An uploads row's sse fields are the truth for the object its
 *      Complete makes: complete_tx copies them in the same transaction, so
 *      a rewrap between the gateway's upload_get and the Complete is kept.
 *
 * Storage tiers (DESIGN.md, "Tiers and lifecycle"; issue 6): T1..T7 are
 * at the top of posix_tiers.c, which also holds writer placement and
 * transitions.
 *
 * Remote tiers (a tier in a bucket of a remote S3 store; issue 7): X1..X7
 * are at the top of posix_remote.c.
 *
 * Archive restores (DESIGN.md, "Tiers and lifecycle"; issue 6): R1..R7 are
 * at the top of posix_restore.c, which holds the restore slots.
 *
 * Replication (DESIGN.md, "Replication"; issue 8): Q1..Q8 are at the top of
 * posix_repl.c, which holds the queue's slots. The commits of this file
 * (index_publish, object_delete) insert a change's events in their own
 * transaction (Q1); every objects upsert sets repl_status (Q2).
 *
 * Versioning (issue 12): V1..V9 are at the top of posix_versions.c. The
 * commits of this file and of posix_multipart.c let posix_ver_make_room
 * decide, in their own transaction, whether the replaced row is retired or
 * kept as a noncurrent version; object_delete_once deletes through
 * posix_ver_delete (a delete marker in a versioned bucket).
 *
 * State transition                          -> function
 *   (none)           -> tmp/ID              posix_writer_open
 *   tmp/ID           -> objects/xx/ID       posix_data_place (before the index)
 *   row old          -> row new + gc old    index_publish (one transaction; with a
 *                                           writer_replicate request also its
 *                                           replication events, Q1)
 *   row              -> (none) + gc old     object_delete (one transaction; with a
 *                                           repl_request also its delete events, Q1)
 *   gc (T, ID)       -> file unlinked       posix_gc_finish, posix_gc_drain (after
 *                                           commit; at open)
 *   tmp/ID           -> (none)              posix_writer_abort, tmp_sweep (open)
 *   bucket           -> (none) + its uploads' parts in gc + its configs dropped
 *                                           posix_bucket_delete (one transaction;
 *                                           its replication events stay, Q6)
 *   writer plain     -> writer sealed       posix_writer_seal (before any write, F5)
 *   writer in home   -> writer in a tier    posix_writer_place (before any write, T3)
 *   row in tier A    -> + copies in tier B  posix_tr_stage (copy, verify, place; T5)
 *   copies in tier B -> (none)              posix_tr_discard (a failed transition)
 *   row in tier A    -> row in tier B + gc (A, files)
 *                                           tr_switch (one transaction, T5)
 *   gc (T, ID) named again -> gc row dropped, file kept
 *                                           gc_release (T4)
 *   restore NONE     -> ONGOING (until)     posix_restore_request (one transaction, R7)
 *   restore DONE     -> DONE (new until)    posix_restore_request (one transaction, R7)
 *   row ONGOING in T -> + copies ("", ID)   posix_tr_stage (copy, verify, place; R5)
 *   copies ("", ID)  -> (none)              posix_tr_discard (a failed restore run)
 *   restore ONGOING  -> DONE                rs_switch (one transaction, R5)
 *   restore DONE     -> NONE + gc ("", copies)
 *                                           posix_restore_release (one transaction, R6)
 *   restore ONGOING  -> NONE                posix_restore_release (nothing to queue)
 *   home tmp/ID      -> remote object       remote_publish (a writer of a remote tier,
 *                                           before the index; X2), tr_upload (X4)
 *   gc (remote T, ID) -> object deleted -> gc row dropped
 *                                           gc_remote_finish (after the release's
 *                                           transaction; X5)
 *   row with a restore -> replaced/deleted + gc (its files and ("", copies))
 *                                           posix_obj_retire (R1, R6)
 *   envelope under k -> under target        posix_sse_rewrap (one transaction per batch, F8)
 *   config           -> config'             posix_bucket_config_put / _delete
 *   (multipart transitions: the table at the top of posix_multipart.c;
 *    replication: the table at the top of posix_repl.c)
 *
 * Schema: at the top of posix_schema.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* openat family, pread and flock under -std=c11 */
#endif
#include "posix.h"
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "../common/log.h"
#include "../common/strutil.h"
#include "../common/sse.h"

#define SCAN_CHUNK_MIN 16u	   /* rows copied out by a scan's first query */
#define SCAN_CHUNK_MAX 256u	   /* ... doubling up to this many per query */
#define BUCKET_CHUNK 64u	   /* buckets copied out per query by bucket_list */
#define REWRAP_BATCH 256u	   /* envelopes rewrapped per transaction by posix_sse_rewrap */
#define USAGE_CHUNK 64u		   /* key ids copied out per query by posix_sse_key_usage */
#define BUCKET_CONFIG_NAME_MAX 64u /* "encryption", "lifecycle"...: names are ours, not users' */

/* --- rows of objects --- */

/*
 * Reads the fixed metadata from columns c0..c0+9 (size, mtime_ms, etag,
 * sha256, checksum_algo, checksum_b64, storage_class, checksum_type,
 * parts_count, verified_ms); headers stay NULL.
 */
static bool meta_from_row(sqlite3_stmt *st, int c0, struct obj_meta *m)
{
	sqlite3_int64 size = sqlite3_column_int64(st, c0);
	sqlite3_int64 parts = sqlite3_column_int64(st, c0 + 8);

	obj_meta_init(m);
	if (size < 0 || parts < 0 || parts > STRATA_MAX_PARTS)
		return false;
	m->size = (uint64_t)size;
	m->mtime_ms = sqlite3_column_int64(st, c0 + 1);
	m->parts_count = (unsigned)parts;
	m->verified_ms = sqlite3_column_int64(st, c0 + 9);
	return posix_col_text(st, c0 + 2, m->etag, sizeof(m->etag)) &&
	       posix_col_text(st, c0 + 3, m->sha256_hex, sizeof(m->sha256_hex)) &&
	       posix_col_text(st, c0 + 4, m->checksum_algo, sizeof(m->checksum_algo)) &&
	       posix_col_text(st, c0 + 5, m->checksum_b64, sizeof(m->checksum_b64)) &&
	       posix_col_text(st, c0 + 6, m->storage_class, sizeof(m->storage_class)) &&
	       posix_col_text(st, c0 + 7, m->checksum_type, sizeof(m->checksum_type));
}

/* Reads restore_state (0..2) and restore_until_ms from columns c0, c0 + 1 into m (R1). */
static bool restore_from_row(sqlite3_stmt *st, int c0, struct obj_meta *m)
{
	sqlite3_int64 state = sqlite3_column_int64(st, c0);

	if (state < RESTORE_NONE || state > RESTORE_DONE)
		return false;
	m->restore_state = (int)state;
	m->restore_until_ms = sqlite3_column_int64(st, c0 + 1);
	return true;
}

/* Reads repl_status (enum obj_repl_status) from column c into m (Q2). */
static bool repl_from_row(sqlite3_stmt *st, int c, struct obj_meta *m)
{
	sqlite3_int64 status = sqlite3_column_int64(st, c);

	if (status < REPL_NONE || status > REPL_REPLICA)
		return false;
	m->repl_status = (int)status;
	return true;
}

s3err_t posix_bucket_exists(struct conn *c, const char *bucket)
{
	sqlite3_stmt *st = c->st[ST_BUCKET_EXISTS];
	s3err_t err;
	int rc;

	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = S3E_OK;
	else if (rc == SQLITE_DONE)
		err = S3E_NoSuchBucket;
	else
		err = posix_db_err(c, rc, "bucket lookup");
	posix_stmt_done(st);
	return err;
}

/* Counts the bucket's objects, stopping at cap. */
static s3err_t count_objects(struct conn *c, const char *bucket, uint64_t cap, uint64_t *out)
{
	sqlite3_stmt *st = c->st[ST_BUCKET_COUNT];
	s3err_t err = S3E_OK;
	int rc;

	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, cap > INT64_MAX ? INT64_MAX : (sqlite3_int64)cap);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		err = posix_db_err(c, rc, "object count");
		goto out;
	}
	*out = (uint64_t)sqlite3_column_int64(st, 0);
out:
	posix_stmt_done(st);
	return err;
}

int64_t posix_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Inserts or replaces the objects row of bucket/key (the caller's write
 * transaction has retired the old one's data first, P7; the caller checked
 * m with posix_sse_valid).
 */
s3err_t posix_obj_upsert(struct conn *c, const char *bucket, const char *key, const char *id,
			 const struct obj_meta *m, int layout, bool framed, const char *tier,
			 int repl_status)
{
	sqlite3_stmt *st = c->st[ST_OBJ_UPSERT];
	int rc;

	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 3, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, (sqlite3_int64)m->size);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, m->mtime_ms);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 6, m->etag);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 7, m->sha256_hex);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 8, m->checksum_algo);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 9, m->checksum_b64);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 10, m->storage_class);
	if (rc == SQLITE_OK && m->headers && m->headers_len > 0)
		rc = sqlite3_bind_blob(st, 11, m->headers, (int)m->headers_len, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 12, m->checksum_type);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 13, (sqlite3_int64)m->parts_count);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 14, layout);
	/* F1, F2: a layout-0 row names a file framed unless plain_writes; layout 1 names none. */
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 15, layout == 0 && framed ? 1 : 0);
	/* F5: sse_mode says whether the file(s) the row owns are sealed. */
	if (rc == SQLITE_OK)
		rc = posix_bind_sse(st, 16, m);
	/* T2: the location whose directory holds the file. */
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 19, tier);
	/* Q2: bound on every commit, so a PUT that asks nothing runs no extra statement. */
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 20, repl_status);
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "object upsert");
}

/* --- buckets --- */

static s3err_t posix_bucket_create(struct backend *be, const struct bucket_info *b)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c = posix_pool_get(pb);
	sqlite3_stmt *st = c->st[ST_BUCKET_INSERT];
	s3err_t err = S3E_OK;
	int rc;

	/* L2: a locked bucket's versioning and lock documents come with it, atomically. */
	if (b->object_lock && (err = posix_tx_begin(c)) != S3E_OK)
		goto out;
	rc = posix_bind_text(st, 1, b->name);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, b->owner);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 3, b->region);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, b->created_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT)
		err = S3E_BucketAlreadyExists;
	else if (rc != SQLITE_DONE)
		err = posix_db_err(c, rc, "bucket insert");
	posix_stmt_done(st);
	if (b->object_lock) {
		if (err == S3E_OK)
			err = posix_lock_bucket_init(c, b->name);
		if (err == S3E_OK)
			err = posix_tx_commit(c);
		posix_tx_rollback(c);
	}
out:
	posix_pool_put(pb, c);
	posix_bcache_drop(&pb->bcache, b->name); /* B2 */
	return err;
}

/* Fills b from a row (name, owner, region, created_ms). */
static bool bucket_from_row(sqlite3_stmt *st, struct bucket_info *b)
{
	memset(b, 0, sizeof(*b));
	b->created_ms = sqlite3_column_int64(st, 3);
	return posix_col_text(st, 0, b->name, sizeof(b->name)) &&
	       posix_col_text(st, 1, b->owner, sizeof(b->owner)) &&
	       posix_col_text(st, 2, b->region, sizeof(b->region));
}

static s3err_t posix_bucket_get(struct backend *be, const char *name, struct bucket_info *out)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c;
	sqlite3_stmt *st;
	struct bucket_info b;
	s3err_t err = S3E_OK;
	uint64_t gen;
	int rc;

	if (posix_bcache_get(&pb->bcache, name, out, &gen))
		return S3E_OK;
	c = posix_pool_get(pb);
	st = c->st[ST_BUCKET_GET];
	rc = posix_bind_text(st, 1, name);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		err = S3E_NoSuchBucket;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		err = posix_db_err(c, rc, "bucket get");
		goto out;
	}
	if (!bucket_from_row(st, &b)) {
		log_error(POSIX_LOG_MOD, "index holds an oversized bucket field");
		err = S3E_InternalError;
		goto out;
	}
	posix_bcache_put(&pb->bcache, &b, gen); /* B1 */
	*out = b;
out:
	posix_stmt_done(st);
	posix_pool_put(pb, c);
	return err;
}

/*
 * Deletes an empty bucket. In-progress multipart uploads do not make it
 * "not empty": as on AWS general purpose buckets, DeleteBucket succeeds and
 * the uploads go with it, aborted in the same transaction so that no part
 * file is orphaned (M9 in posix_multipart.c). Its configuration documents
 * are dropped in that transaction too.
 */
static s3err_t posix_bucket_delete(struct backend *be, const char *name)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c = posix_pool_get(pb);
	bool queued = false, versions = false;
	uint64_t n = 0;
	s3err_t err;
	int rc;

	err = posix_tx_begin(c);
	if (err != S3E_OK)
		goto out;
	err = posix_bucket_exists(c, name);
	if (err != S3E_OK)
		goto out;
	err = count_objects(c, name, 1, &n);
	if (err == S3E_OK && n == 0)
		err = posix_ver_any(c, name, &versions); /* V8 */
	if (err != S3E_OK)
		goto out;
	if (n > 0 || versions) {
		err = S3E_BucketNotEmpty;
		goto out;
	}
	err = posix_mp_bucket_purge(c, name, &queued);
	if (err != S3E_OK)
		goto out;
	/* Its configuration documents go with it: a re-created bucket starts bare. */
	rc = posix_run_texts(c->st[ST_BCFG_PURGE], &name, 1);
	if (rc == SQLITE_OK)
		rc = posix_run_texts(c->st[ST_BUCKET_DELETE], &name, 1);
	if (rc != SQLITE_OK) {
		err = posix_db_err(c, rc, "bucket delete");
		goto out;
	}
	err = posix_tx_commit(c);
	if (err == S3E_OK && queued)
		posix_gc_drain(pb, c);
out:
	if (err != S3E_OK)
		posix_tx_rollback(c);
	posix_pool_put(pb, c);
	posix_bcache_drop(&pb->bcache, name); /* B2 */
	return err;
}

/* Decodes one row of the query below. */
static bool bucket_row(sqlite3_stmt *st, size_t n, void *rows)
{
	return bucket_from_row(st, &((struct bucket_info *)rows)[n]);
}

/* Copies up to cap buckets named after `after` into rows; *got is how many. */
static s3err_t bucket_chunk(struct conn *c, const char *after, struct bucket_info *rows, size_t cap,
			    size_t *got)
{
	sqlite3_stmt *st = c->st[ST_BUCKET_LIST];
	s3err_t err;
	int rc;

	rc = posix_bind_text(st, 1, after);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)cap);
	err = posix_fetch_rows(c, st, rc, cap, "bucket list", bucket_row, rows, got);
	posix_stmt_done(st);
	return err;
}

static s3err_t posix_bucket_list(struct backend *be, bucket_visit_fn visit, void *ctx)
{
	struct posix_be *pb = (struct posix_be *)be;
	char after[STRATA_BUCKET_NAME_MAX + 1] = "";
	struct bucket_info *rows;
	size_t got = 0, i;
	struct conn *c;
	s3err_t err = S3E_OK;

	rows = calloc(BUCKET_CHUNK, sizeof(*rows));
	if (!rows) {
		err = S3E_InternalError;
		goto out;
	}
	do {
		c = posix_pool_get(pb);
		err = bucket_chunk(c, after, rows, BUCKET_CHUNK, &got);
		posix_pool_put(pb, c);
		if (err != S3E_OK)
			goto out;
		for (i = 0; i < got; i++)
			if (!visit(ctx, &rows[i]))
				goto out;
		if (got > 0)
			memcpy(after, rows[got - 1].name, sizeof(after));
	} while (got == BUCKET_CHUNK);
out:
	free(rows);
	return err;
}

static s3err_t posix_bucket_count(struct backend *be, const char *bucket, uint64_t cap,
				  uint64_t *out)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c = posix_pool_get(pb);
	uint64_t n = 0;
	s3err_t err;

	err = posix_bucket_exists(c, bucket);
	if (err == S3E_OK)
		err = count_objects(c, bucket, cap, &n);
	posix_pool_put(pb, c);
	if (err == S3E_OK)
		*out = n;
	return err;
}

/* --- writing --- */

static s3err_t posix_writer_open(struct backend *be, const char *bucket, const char *key,
				 uint64_t size_hint, struct be_writer **out)
{
	struct posix_be *pb = (struct posix_be *)be;
	size_t klen = strlen(key);
	struct conn *c;
	s3err_t err;

	(void)size_hint; /* no preallocation: commit would have to trim a wrong hint */
	if (klen == 0) {
		err = S3E_InvalidArgument;
		goto out;
	}
	if (klen > STRATA_MAX_KEY_LEN) {
		err = S3E_KeyTooLongError;
		goto out;
	}
	if (strlen(bucket) > STRATA_BUCKET_NAME_MAX) {
		err = S3E_NoSuchBucket;
		goto out;
	}
	c = posix_pool_get(pb);
	err = posix_bucket_exists(c, bucket);
	posix_pool_put(pb, c);
	if (err != S3E_OK)
		goto out;
	/* T3: every object writer starts in the home; writer_place may move it. */
	err = posix_writer_new(pb, &pb->loc[0], bucket, key, W_OBJECT, out);
out:
	return err;
}

/*
 * The commit, as one member of a group commit (W4): the bucket must still
 * exist; the old row's data is retired to gc (*old says what, for
 * posix_retired_finish after commit) and the row for the key inserted or
 * replaced. *unsure is set when COMMIT itself failed: SQLite may still
 * replay the transaction from the WAL after a crash, so the new file must
 * stay.
 */
static s3err_t index_publish(struct posix_be *pb, const struct be_writer *w,
			     const struct obj_meta *m, struct retired *old, bool *unsure,
			     char report[STRATA_VERSION_ID_MAX])
{
	bool found = false;
	struct conn *c;
	s3err_t err;

	*old = (struct retired){"", "", false, false};
	err = posix_batch_join(pb, &c);
	if (err != S3E_OK)
		return err;
	err = posix_bucket_exists(c, w->bucket);
	if (err != S3E_OK)
		goto out;
	/* V3: the versioning state decides, in this transaction, what the old row becomes. */
	err = posix_ver_make_room(c, w->bucket, w->key, old, &found, report);
	if (err == S3E_OK && w->repl && w->repl->replica) /* a replica keeps its source's id */
		err = posix_ver_keep_id(c, w->bucket, w->key, w->repl->version_id, report, NULL);
	if (err != S3E_OK)
		goto out;
	err = posix_obj_upsert(c, w->bucket, w->key, w->id, m, 0, !w->plain, w->loc->tier,
			       posix_repl_status_of(w->repl));
	if (err == S3E_OK && w->inl) /* I1: the bytes go in with their row */
		err = posix_inline_put(c, w->id, w->mem, w->mem_len);
	if (err == S3E_OK)
		err = posix_ver_set(c, w->bucket, w->key, report, m);
	/* Q1: the events go in with the row, or neither does. */
	if (err == S3E_OK && w->repl)
		err = posix_repl_queue(c, w->bucket, w->key, w->repl, false, m->mtime_ms, m->etag,
				       report, NULL);
out:
	if (err != S3E_OK) {
		posix_batch_leave(pb, c, err);
	} else {
		err = posix_batch_leave(pb, c, S3E_OK);
		*unsure = posix_commit_unsure(err);
	}
	if (err != S3E_OK)
		*old = (struct retired){"", "", false, false};
	return err;
}

static s3err_t posix_writer_commit(struct be_writer *w, const struct obj_meta *meta)
{
	enum data_where where = IN_TMP;
	struct posix_be *pb = w->pb;
	struct retired old = {"", "", false, false};
	char report[STRATA_VERSION_ID_MAX] = "";
	struct conn *c = NULL;
	bool unsure = false;
	int xxfd = -1;
	s3err_t err;

	if (w->kind != W_OBJECT) {
		log_error(POSIX_LOG_MOD, "writer_commit called on a part writer");
		err = S3E_InternalError;
		goto out;
	}
	if (meta->size != w->written) {
		/* The row's size is the plaintext the encoder took: the sizes must agree. */
		log_error(POSIX_LOG_MOD,
			  "commit of %s/tmp/%s: %llu bytes written, metadata says %llu",
			  w->loc->dir, w->id, (unsigned long long)w->written,
			  (unsigned long long)meta->size);
		err = S3E_InternalError;
		goto out;
	}
	if (meta->headers_len > STRATA_MAX_STORED_HEADERS) {
		err = S3E_MetadataTooLarge;
		goto out;
	}
	if (!posix_sse_valid(meta) || (meta->sse_mode != SSE_NONE) != w->sealed) {
		/* F5: a row must say sealed exactly when its file is. */
		log_error(POSIX_LOG_MOD, "commit of %s/tmp/%s: metadata sse_mode %d, writer %s",
			  w->loc->dir, w->id, meta->sse_mode, w->sealed ? "sealed" : "not sealed");
		err = S3E_InternalError;
		goto out;
	}
	err = posix_data_place(w, &xxfd, &where);
	if (err != S3E_OK)
		goto out;
	/* No pool connection while in the group commit: readers must not wait on it. */
	err = index_publish(pb, w, meta, &old, &unsure, report);
	if (unsure) {
		/* A row may name the file after recovery: an orphan is the lesser harm. */
		log_error(POSIX_LOG_MOD, "kept %s/objects/%.2s/%s after a failed index commit",
			  w->loc->dir, w->id, w->id);
		where = PUBLISHED;
	}
	if (err != S3E_OK)
		goto out;
	where = PUBLISHED;
	c = posix_pool_get(pb);
	posix_retired_finish(pb, c, &old);
	if (w->version_out)
		str_copy(w->version_out, STRATA_VERSION_ID_MAX, report);
out:
	if (c)
		posix_pool_put(pb, c);
	posix_data_cleanup(w, xxfd, where);
	return err;
}

static void posix_writer_abort(struct be_writer *w)
{
	if (!w)
		return;
	frames_encoder_free(w->enc);
	if (w->fd >= 0)
		close(w->fd);
	if (!w->inl && unlinkat(w->loc->tmpfd, w->id, 0) != 0 && errno != ENOENT)
		log_warn(POSIX_LOG_MOD, "unlink %s/tmp/%s: %s", w->loc->dir, w->id,
			 strerror(errno));
	free(w->mem);
	free(w->repl);
	free(w);
}

/* --- reading --- */

s3err_t posix_row_load(struct conn *c, const char *bucket, const char *key, struct obj_meta *out,
		       char id[POSIX_ID_HEX + 1], int *layout, bool *framed,
		       char tier[POSIX_TIER_MAX])
{
	sqlite3_stmt *st = c->st[ST_OBJ_HEAD];
	struct obj_meta m;
	s3err_t err = S3E_OK;
	int rc;

	obj_meta_init(&m);
	rc = posix_step_texts2(st, bucket, key);
	if (rc == SQLITE_DONE) {
		posix_stmt_done(st);
		err = posix_bucket_exists(c, bucket);
		if (err == S3E_OK)
			err = S3E_NoSuchKey;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		err = posix_db_err(c, rc, "object lookup");
		goto out;
	}
	if (!posix_col_id(st, 0, id) || !meta_from_row(st, 2, &m) || !posix_col_sse(st, 14, &m) ||
	    !posix_col_text(st, 17, tier, POSIX_TIER_MAX) || !restore_from_row(st, 18, &m) ||
	    !repl_from_row(st, 20, &m)) {
		log_error(POSIX_LOG_MOD, "index row of an object in %s is malformed", bucket);
		err = S3E_InternalError;
		goto out;
	}
	/* V1: '' is the null version, shown as "null" once the bucket was ever versioned. */
	if (!posix_col_text(st, 21, m.version_id, sizeof(m.version_id))) {
		log_error(POSIX_LOG_MOD, "version id of an object in %s is malformed", bucket);
		err = S3E_InternalError;
		goto out;
	}
	if (!m.version_id[0] && sqlite3_column_int(st, 22) == 1)
		str_copy(m.version_id, sizeof(m.version_id), "null");
	m.lock_mode = sqlite3_column_int(st, 23); /* L1 */
	m.lock_until_ms = sqlite3_column_int64(st, 24);
	m.legal_hold = sqlite3_column_int(st, 25) == 1;
	*layout = sqlite3_column_int(st, 1);
	*framed = sqlite3_column_int(st, 13) == 1;
	err = posix_col_headers(st, 12, &m);
	if (err != S3E_OK)
		goto out;
	*out = m;
	obj_meta_init(&m);
out:
	posix_stmt_done(st);
	obj_meta_free(&m);
	return err;
}

/*
 * The current row of bucket/key: from the row cache when it holds it (O2 in
 * posix_ocache.h), else from the index in one read snapshot, with its
 * inline bytes when it has them (I2) and (when map is not NULL and the
 * object is in parts) the part table of that snapshot.
 * A row in parts whose map is wanted is always read from the index, since
 * the cache keeps no part tables. cache_ok false: the index only.
 */
static s3err_t row_get(struct posix_be *pb, const char *bucket, const char *key, bool cache_ok,
		       struct posix_orow *row, struct mp_map **map)
{
	uint64_t gen = 0;
	struct conn *c;
	s3err_t err;

	if (cache_ok && posix_ocache_get(pb->ocache, bucket, key, row, &gen)) {
		if (row->layout == 0 || !map)
			return S3E_OK;
		posix_orow_free(row);
	}
	obj_meta_init(&row->meta);
	row->data = NULL;
	row->data_len = 0;
	c = posix_pool_get(pb);
	err = posix_tx_begin_read(c);
	if (err == S3E_OK)
		err = posix_row_load(c, bucket, key, &row->meta, row->id, &row->layout,
				     &row->framed, row->tier);
	/* I2, I4: only data at home may be inline (a done restore reads its copy there, R4). */
	if (err == S3E_OK && row->layout == 0 &&
	    (!row->tier[0] || row->meta.restore_state == RESTORE_DONE)) {
		struct posix_fh fh;

		err = posix_inline_open(c, row->id, &fh);
		row->data = fh.mem;
		row->data_len = fh.mem_len;
	}
	if (err == S3E_OK && row->layout == 1 && map)
		err = posix_mp_map_load(pb, c, bucket, key, row->meta.size,
					row->meta.sse_mode != SSE_NONE,
					row->meta.restore_state == RESTORE_DONE, map);
	posix_tx_rollback(c); /* ends the read snapshot */
	posix_pool_put(pb, c);
	if (err == S3E_OK && cache_ok)
		posix_ocache_put(pb->ocache, bucket, key, row, gen);
	if (err != S3E_OK)
		posix_orow_free(row);
	return err;
}

static s3err_t posix_object_head(struct backend *be, const char *bucket, const char *key,
				 struct obj_meta *out)
{
	struct posix_orow row;
	s3err_t err;

	err = row_get((struct posix_be *)be, bucket, key, true, &row, NULL);
	if (err == S3E_OK) {
		*out = row.meta;
		free(row.data);
	}
	return err;
}

/*
 * One attempt of reader_open: the row (row_get: cached, or with its part
 * table in one read snapshot); then, outside the index, the data file(s): at
 * home for a done restore (R4), else where the row says (T2). S3E_NoSuchKey
 * with *raced set means a file vanished under us: the key was overwritten,
 * deleted or its restore released meanwhile, so the caller reads the row
 * again, from the index (cache_ok false).
 */
static s3err_t reader_try(struct posix_be *pb, const char *bucket, const char *key, bool cache_ok,
			  struct obj_meta *m, struct be_reader *r, bool *raced)
{
	const struct posix_loc *loc = NULL;
	struct posix_orow row;
	const char *id = row.id, *tier = row.tier;
	bool framed;
	int layout;
	s3err_t err;

	*raced = false;
	err = row_get(pb, bucket, key, cache_ok, &row, &r->map);
	if (err != S3E_OK)
		goto out;
	*m = row.meta;
	layout = row.layout;
	framed = row.framed;
	r->size = m->size;
	if (layout == 0) {
		r->file.framed = framed;
		r->file.sealed = m->sse_mode != SSE_NONE; /* F5 */
		r->file.size = m->size;
		posix_id_raw(id, r->file.id);
		/* R4: a done restore reads its copy, which keeps the id, at home. */
		loc = m->restore_state == RESTORE_DONE ? &pb->loc[0] : posix_loc_find(pb, tier);
		if (r->file.sealed && !framed) {
			log_error(POSIX_LOG_MOD, "index row of %s/%s says sealed but unframed",
				  bucket, key);
			err = S3E_InternalError;
		} else if (!loc) {
			/* T2: posix_open checked every tier in use; a caller's bug if here. */
			log_error(POSIX_LOG_MOD,
				  "object %s/%s is in tier %s, which is not configured", bucket,
				  key, tier);
			err = S3E_InternalError;
		} else if (row.data) { /* I2: the bytes came with the row */
			r->file.fh = (struct posix_fh){-1, NULL, row.data, row.data_len};
			row.data = NULL;
			err = posix_data_adopt(&r->file.fh, loc, id,
					       posix_stored_size(framed, m->size));
		} else {
			err = posix_data_open(loc, id, posix_stored_size(framed, m->size),
					      &r->file.fh);
		}
	} else if (layout == 1) {
		err = posix_mp_map_open(pb, r->map);
	} else {
		log_error(POSIX_LOG_MOD, "object in %s has layout %d, unknown here", bucket,
			  layout);
		err = S3E_NotImplemented;
	}
	*raced = err == S3E_NoSuchKey;
	if (err == S3E_InternalError)
		log_error(POSIX_LOG_MOD, "object %s/%s (data %s) cannot be read", bucket, key,
			  layout == 0 ? id : "in parts");
out:
	free(row.data); /* an error before it was adopted */
	return err;
}

static void posix_reader_close(struct be_reader *r);

static s3err_t posix_reader_open(struct backend *be, const char *bucket, const char *key,
				 struct obj_meta *meta, struct be_reader **out)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct be_reader *r = NULL;
	struct obj_meta m;
	bool raced = false;
	int attempt;
	s3err_t err;

	obj_meta_init(&m);
	r = calloc(1, sizeof(*r));
	if (!r) {
		err = S3E_InternalError;
		goto out;
	}
	r->file.fh = POSIX_FH_NONE;
	r->bucket = strdup(bucket);
	r->key = strdup(key);
	if (!r->bucket || !r->key) {
		err = S3E_InternalError;
		goto out;
	}
	r->fc.bucket = r->bucket;
	r->fc.key = r->key;
	for (attempt = 1;; attempt++) {
		err = reader_try(pb, bucket, key, attempt == 1, &m, r, &raced);
		if (!raced || attempt >= POSIX_OPEN_RETRIES)
			break;
		obj_meta_free(&m);
		posix_mp_map_free(r->map);
		r->map = NULL;
	}
	if (raced) {
		log_error(POSIX_LOG_MOD, "object in %s kept vanishing while being opened", bucket);
		err = S3E_InternalError;
	}
	if (err != S3E_OK)
		goto out;
	*meta = m;
	obj_meta_init(&m);
	*out = r;
	r = NULL;
out:
	posix_reader_close(r);
	obj_meta_free(&m);
	return err;
}

/* --- reading a version (V2..V5 in posix_versions.c) --- */

/*
 * After the current row of bucket/key was not found: when the key's latest
 * version is a delete marker, says so in out (backend.h, object_head_v).
 */
static s3err_t latest_marker(struct posix_be *pb, const char *bucket, const char *key,
			     struct obj_meta *out)
{
	char vid[STRATA_VERSION_ID_MAX];
	struct conn *c = posix_pool_get(pb);
	bool marker = false;
	s3err_t err;

	err = posix_tx_begin_read(c);
	if (err == S3E_OK)
		err = posix_ver_latest_marker(c, bucket, key, &marker, vid);
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
	if (err != S3E_OK)
		return err;
	if (marker) {
		obj_meta_init(out);
		str_copy(out->version_id, sizeof(out->version_id), vid);
		out->delete_marker = true;
	}
	return S3E_NoSuchKey;
}

/* Whether meta (as posix_row_load filled it) is version version_id (V1: "" and "null" alike). */
static bool is_version(const struct obj_meta *meta, const char *version_id)
{
	const char *have = meta->version_id[0] ? meta->version_id : "null";

	return strcmp(have, version_id) == 0;
}

static s3err_t posix_object_head_v(struct backend *be, const char *bucket, const char *key,
				   const char *version_id, struct obj_meta *out)
{
	struct posix_be *pb = (struct posix_be *)be;
	char lb[STRATA_BUCKET_NAME_MAX + 1], lk[STRATA_MAX_KEY_LEN + 1];
	char id[POSIX_ID_HEX + 1], tier[POSIX_TIER_MAX], found_id[STRATA_VERSION_ID_MAX];
	bool framed = false, marker = false;
	struct conn *c;
	int layout = 0;
	s3err_t err;

	if (!version_id) {
		err = posix_object_head(be, bucket, key, out);
		return err == S3E_NoSuchKey ? latest_marker(pb, bucket, key, out) : err;
	}
	c = posix_pool_get(pb);
	/* One snapshot: the version found is the row loaded. */
	err = posix_tx_begin_read(c);
	if (err == S3E_OK)
		err = posix_ver_locate(c, bucket, key, version_id, lb, lk, &marker, found_id);
	if (err == S3E_OK && !marker)
		err = posix_row_load(c, lb, lk, out, id, &layout, &framed, tier);
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
	if (err == S3E_NoSuchKey)
		err = S3E_NoSuchVersion;
	if (err == S3E_OK && marker) {
		obj_meta_init(out);
		out->delete_marker = true;
		err = S3E_MethodNotAllowed;
	}
	if (err == S3E_OK || err == S3E_MethodNotAllowed)
		str_copy(out->version_id, sizeof(out->version_id), found_id);
	return err;
}

static s3err_t posix_reader_open_v(struct backend *be, const char *bucket, const char *key,
				   const char *version_id, struct obj_meta *meta,
				   struct be_reader **out)
{
	struct posix_be *pb = (struct posix_be *)be;
	char lb[STRATA_BUCKET_NAME_MAX + 1], lk[STRATA_MAX_KEY_LEN + 1];
	char found_id[STRATA_VERSION_ID_MAX];
	struct be_reader *r = NULL;
	struct obj_meta m;
	bool marker = false;
	struct conn *c;
	int attempt;
	s3err_t err;

	if (!version_id) {
		err = posix_reader_open(be, bucket, key, meta, out);
		return err == S3E_NoSuchKey ? latest_marker(pb, bucket, key, meta) : err;
	}
	obj_meta_init(&m);
	/* The version may move (V2, V5) between the lookup and the open: look again. */
	for (attempt = 1; attempt <= POSIX_OPEN_RETRIES; attempt++) {
		c = posix_pool_get(pb);
		err = posix_tx_begin_read(c);
		if (err == S3E_OK)
			err =
			    posix_ver_locate(c, bucket, key, version_id, lb, lk, &marker, found_id);
		posix_tx_rollback(c);
		posix_pool_put(pb, c);
		if (err != S3E_OK)
			return err;
		if (marker) {
			obj_meta_init(meta);
			meta->delete_marker = true;
			str_copy(meta->version_id, sizeof(meta->version_id), found_id);
			return S3E_MethodNotAllowed;
		}
		err = posix_reader_open(be, lb, lk, &m, &r);
		if (err == S3E_OK && is_version(&m, found_id))
			break;
		if (err == S3E_OK) {
			posix_reader_close(r);
			r = NULL;
			obj_meta_free(&m);
		} else if (err != S3E_NoSuchKey) {
			return err;
		}
		err = S3E_NoSuchVersion;
	}
	if (err != S3E_OK)
		return err;
	str_copy(m.version_id, sizeof(m.version_id), found_id);
	*meta = m;
	*out = r;
	return S3E_OK;
}

static s3err_t posix_writer_version(struct be_writer *w, char *out)
{
	out[0] = '\0';
	w->version_out = out;
	return S3E_OK;
}

static s3err_t posix_reader_read(struct be_reader *r, uint64_t off, void *buf, size_t len,
				 size_t *got)
{
	size_t want = len;
	s3err_t err = S3E_OK;

	if (r->map)
		return posix_mp_read(r->map, &r->fc, off, buf, len, got);
	if (off >= r->size) {
		*got = 0;
		goto out;
	}
	if (r->size - off < want)
		want = (size_t)(r->size - off);
	err = posix_dfile_read(&r->fc, &r->file, off, buf, want);
	if (err == S3E_OK)
		*got = want;
out:
	return err;
}

/* F7: the key every sealed file of r derives its own from; given once. */
static s3err_t posix_reader_unseal(struct be_reader *r, const uint8_t *data_key)
{
	if (r->fc.keyed) {
		log_error(POSIX_LOG_MOD, "reader_unseal called twice on %s/%s",
			  r->bucket ? r->bucket : "?", r->key ? r->key : "?");
		return S3E_InternalError;
	}
	memcpy(r->fc.data_key, data_key, sizeof(r->fc.data_key));
	r->fc.keyed = true;
	return S3E_OK;
}

static void posix_reader_close(struct be_reader *r)
{
	if (!r)
		return;
	posix_dfile_release(&r->file);
	posix_fh_close(&r->file.fh);
	posix_mp_map_free(r->map);
	posix_frame_cache_free(&r->fc);
	free(r->bucket);
	free(r->key);
	free(r);
}

/* --- deleting --- */

s3err_t posix_row_is(struct conn *c, const char *bucket, const char *key, int64_t mtime_ms,
		     const char *etag)
{
	sqlite3_stmt *st = c->st[ST_OBJ_SAME];
	s3err_t err;
	int rc;

	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, mtime_ms);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 4, etag);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = S3E_OK;
	else if (rc == SQLITE_DONE)
		err = S3E_PreconditionFailed;
	else
		err = posix_db_err(c, rc, "object version check");
	posix_stmt_done(st);
	return err;
}

/*
 * Deletes bucket/key in one transaction; with etag non-NULL only while the
 * row is still the version (mtime_ms, etag): the lifecycle engine decides
 * from a scan and must never delete an object written since. With req
 * (checked by posix_repl_valid) the same transaction queues its delete
 * events (Q1), even for a key that is absent: the target may still hold
 * it. The answer for an absent key stays S3E_NoSuchKey (the events are
 * committed all the same; the gateway answers 204 either way).
 */
static s3err_t object_delete_once(struct posix_be *pb, const char *bucket, const char *key,
				  int64_t mtime_ms, const char *etag,
				  const struct repl_request *req, const char *version_id,
				  bool bypass, struct delete_result *res)
{
	struct retired old = {"", "", false, false};
	struct conn *c = NULL;
	bool found = false, again = false;
	size_t queued = 0;
	s3err_t err;

	/* A member of the group commit (W4), as an object commit is. */
	err = posix_batch_join(pb, &c);
	if (err != S3E_OK)
		return err;
	if (etag)
		err = posix_row_is(c, bucket, key, mtime_ms, etag);
	if (err != S3E_OK)
		goto out;
	/* V3: in a versioned bucket a delete makes a marker, or removes one version. */
	err = posix_ver_delete(c, bucket, key, version_id, bypass, &old, &found, res);
	if (err == S3E_OK && !found)
		err = posix_bucket_exists(c, bucket);
	/* Q9: a replayed replica marker makes nothing (its rows are undone below). */
	if (err == S3E_OK && req && req->replica && res->delete_marker && !version_id) {
		err = posix_ver_keep_id(c, bucket, key, req->version_id, res->version_id, &again);
		if (err == S3E_OK && again) {
			posix_batch_leave(pb, c, S3E_PreconditionFailed); /* W4a: undone */
			return S3E_OK; /* res names the marker already there */
		}
	}
	if (err != S3E_OK)
		goto out;
	/* Q9: removing a version for good (by id) is never replicated, as on AWS. */
	if (req && !version_id) {
		err = posix_repl_queue(c, bucket, key, req, true, 0, "", res->version_id, &queued);
		if (err != S3E_OK)
			goto out;
	}
	if (!found && queued == 0)
		err = S3E_NoSuchKey; /* nothing changed: nothing to commit */
out:
	err = posix_batch_leave(pb, c, err);
	if (err == S3E_OK && found) {
		c = posix_pool_get(pb);
		posix_retired_finish(pb, c, &old);
		posix_pool_put(pb, c);
	}
	if (err == S3E_OK && !found)
		err = S3E_NoSuchKey; /* as object_delete answers it; the events are durable */
	return err;
}

/*
 * P8, the index reserve: DATA/index.reserve holds POSIX_INDEX_RESERVE bytes
 * of disk. On a full disk every write is refused (507), but a delete, the
 * very thing that frees space, needs some too: its transaction appends to
 * the WAL. So a delete refused for want of space gives the reserve up and
 * tries once more, and a later delete that commits takes it back once there
 * is room again (the data files it released are gone by then). A write never
 * gets the reserve while it is held.
 */
#define POSIX_INDEX_RESERVE (4u * 1024u * 1024u)

void posix_reserve_fill(struct posix_be *pb)
{
	int fd = openat(pb->loc[0].rootfd, "index.reserve", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0) {
		log_warn(POSIX_LOG_MOD, "create %s/index.reserve: %s", pb->dir, strerror(errno));
		atomic_store(&pb->reserve_out, true);
		return;
	}
	rc = posix_fallocate(fd, 0, POSIX_INDEX_RESERVE);
	if (rc == 0) {
		atomic_store(&pb->reserve_out, false);
	} else {
		/* Still too full: give a partial allocation back, try at the next delete. */
		if (ftruncate(fd, 0) != 0)
			log_warn(POSIX_LOG_MOD, "truncate %s/index.reserve: %s", pb->dir,
				 strerror(errno));
		atomic_store(&pb->reserve_out, true);
	}
	close(fd);
}

/* Gives the reserve up; false when there was none to give. */
static bool reserve_release(struct posix_be *pb)
{
	int fd = openat(pb->loc[0].rootfd, "index.reserve", O_WRONLY | O_CLOEXEC);
	struct stat sb;
	bool had;

	if (fd < 0)
		return false;
	had = fstat(fd, &sb) == 0 && sb.st_size > 0 && ftruncate(fd, 0) == 0;
	close(fd);
	if (had) {
		atomic_store(&pb->reserve_out, true);
		log_warn(POSIX_LOG_MOD, "%s is full: gave up index.reserve so deletes can commit",
			 pb->dir);
	}
	return had;
}

static s3err_t object_delete(struct posix_be *pb, const char *bucket, const char *key,
			     int64_t mtime_ms, const char *etag, const struct repl_request *req,
			     const char *version_id, bool bypass, struct delete_result *res)
{
	struct delete_result none;
	s3err_t err;

	if (!res)
		res = &none;
	err = object_delete_once(pb, bucket, key, mtime_ms, etag, req, version_id, bypass, res);
	if (err == S3E_XMinioStorageFull && reserve_release(pb))
		err = object_delete_once(pb, bucket, key, mtime_ms, etag, req, version_id, bypass,
					 res);
	if (err == S3E_OK && atomic_load(&pb->reserve_out))
		posix_reserve_fill(pb);
	return err;
}

static s3err_t posix_object_delete(struct backend *be, const char *bucket, const char *key)
{
	return object_delete((struct posix_be *)be, bucket, key, 0, NULL, NULL, NULL, false, NULL);
}

static s3err_t posix_object_delete_if(struct backend *be, const char *bucket, const char *key,
				      int64_t mtime_ms, const char *etag)
{
	return object_delete((struct posix_be *)be, bucket, key, mtime_ms, etag, NULL, NULL, false,
			     NULL);
}

/* The object_delete_repl slot: object_delete and its delete events in one transaction (Q1). */
static s3err_t posix_object_delete_repl(struct backend *be, const char *bucket, const char *key,
					const struct repl_request *req)
{
	if (req && !posix_repl_valid(req))
		return S3E_InternalError;
	return object_delete((struct posix_be *)be, bucket, key, 0, NULL, req, NULL, false, NULL);
}

/* The object_delete_v slot: object_delete_repl with a version (V3, V7). */
static s3err_t posix_object_delete_v(struct backend *be, const char *bucket, const char *key,
				     const char *version_id, const struct repl_request *req,
				     unsigned flags, struct delete_result *out)
{
	if (req && !posix_repl_valid(req))
		return S3E_InternalError;
	return object_delete((struct posix_be *)be, bucket, key, 0, NULL, req, version_id,
			     (flags & BACKEND_DELETE_BYPASS_GOVERNANCE) != 0, out);
}

/* --- scanning --- */

struct scan_row {
	char key[STRATA_MAX_KEY_LEN + 1];
	struct obj_meta meta;
};

/*
 * The smallest string greater than every string that starts with prefix:
 * drop trailing 0xff bytes, then add one to the last byte. *out is NULL
 * when there is none (prefix empty or all 0xff): no upper bound applies.
 */
s3err_t posix_prefix_upper(const char *prefix, char **out)
{
	size_t n = strlen(prefix);
	char *u;

	*out = NULL;
	while (n > 0 && (unsigned char)prefix[n - 1] == 0xff)
		n--;
	if (n == 0)
		return S3E_OK;
	u = malloc(n + 1);
	if (!u)
		return S3E_InternalError;
	memcpy(u, prefix, n);
	u[n - 1] = (char)((unsigned char)u[n - 1] + 1);
	u[n] = '\0';
	*out = u;
	return S3E_OK;
}

/* Decodes one row of the query below. */
static bool scan_row(sqlite3_stmt *st, size_t n, void *rows)
{
	struct scan_row *r = &((struct scan_row *)rows)[n];

	return posix_col_text(st, 0, r->key, sizeof(r->key)) && meta_from_row(st, 1, &r->meta) &&
	       restore_from_row(st, 11, &r->meta) && repl_from_row(st, 13, &r->meta);
}

/* One query of a scan: up to cap rows from `from` (inclusive or not) below `upper`. */
static s3err_t scan_chunk(struct conn *c, const char *bucket, const char *from, bool inclusive,
			  const char *upper, struct scan_row *rows, size_t cap, size_t *got)
{
	enum stmt id =
	    inclusive ? (upper ? ST_SCAN_GE_LT : ST_SCAN_GE) : (upper ? ST_SCAN_GT_LT : ST_SCAN_GT);
	sqlite3_stmt *st = c->st[id];
	s3err_t err;
	int rc;

	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, from);
	if (rc == SQLITE_OK)
		rc = upper ? posix_bind_text(st, 3, upper) : sqlite3_bind_null(st, 3);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, (sqlite3_int64)cap);
	err = posix_fetch_rows(c, st, rc, cap, "object scan", scan_row, rows, got);
	posix_stmt_done(st);
	return err;
}

static s3err_t posix_object_scan(struct backend *be, const char *bucket, const char *start,
				 bool inclusive, const char *prefix, size_t limit,
				 object_visit_fn visit, void *ctx)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct scan_row *rows = NULL;
	char *upper = NULL, *last = NULL;
	size_t chunk = SCAN_CHUNK_MIN, want, got = 0, i;
	const char *from;
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
	/* One lower bound: key > start (>=) and key >= prefix, whichever is tighter. */
	if (strcmp(prefix, start) > 0) {
		from = prefix;
		inclusive = true;
	} else {
		from = start;
	}
	rows = calloc(SCAN_CHUNK_MAX, sizeof(*rows));
	last = malloc(STRATA_MAX_KEY_LEN + 1);
	if (!rows || !last) {
		err = S3E_InternalError;
		goto out;
	}
	while (limit > 0) {
		want = limit < chunk ? limit : chunk;
		c = posix_pool_get(pb);
		err = scan_chunk(c, bucket, from, inclusive, upper, rows, want, &got);
		posix_pool_put(pb, c);
		if (err != S3E_OK)
			goto out;
		/* The connection is back in the pool: visitors may use the backend. */
		for (i = 0; i < got; i++) {
			limit--;
			if (!visit(ctx, rows[i].key, &rows[i].meta))
				goto out;
		}
		if (got < want)
			break;
		memcpy(last, rows[got - 1].key, strlen(rows[got - 1].key) + 1);
		from = last;
		inclusive = false;
		if (chunk < SCAN_CHUNK_MAX)
			chunk *= 2;
	}
out:
	free(last);
	free(rows);
	free(upper);
	return err;
}

/* --- key rotation and key usage (F8) --- */

_Static_assert(POSIX_ID_HEX <= STRATA_BUCKET_NAME_MAX, "an upload id fits where a bucket does");

/* One SSE-S3 row a rewrap batch copied out: objects (bucket, key) or uploads (upload_id, ""). */
struct wrap_row {
	char a[STRATA_BUCKET_NAME_MAX + 1];
	char b[STRATA_MAX_KEY_LEN + 1];
	char key_id[STRATA_SSE_KEY_ID_MAX];
	uint8_t env[STRATA_SSE_ENVELOPE_MAX];
	size_t env_len;
};

/* Decodes one row of ST_SSE_OBJ_BATCH / ST_SSE_UPL_BATCH. */
static bool wrap_row_decode(sqlite3_stmt *st, size_t n, void *rows)
{
	struct wrap_row *w = &((struct wrap_row *)rows)[n];
	const void *env = sqlite3_column_blob(st, 3);
	int elen = sqlite3_column_bytes(st, 3);

	if (!env || elen <= 0 || (size_t)elen > sizeof(w->env) ||
	    !posix_col_text(st, 0, w->a, sizeof(w->a)) ||
	    !posix_col_text(st, 1, w->b, sizeof(w->b)) ||
	    !posix_col_text(st, 2, w->key_id, sizeof(w->key_id)))
		return false;
	memcpy(w->env, env, (size_t)elen);
	w->env_len = (size_t)elen;
	return true;
}

/*
 * Within the caller's write transaction: rewraps rows[0..n) through fn and
 * stores each new envelope where the old one still is. *done counts the
 * rows updated (also when fn fails part-way: those updates are good).
 */
static s3err_t rewrap_rows(struct conn *c, enum stmt upd, const struct wrap_row *rows, size_t n,
			   const char *target_id, sse_rewrap_fn fn, void *ctx, uint64_t *done)
{
	char new_id[STRATA_SSE_KEY_ID_MAX];
	uint8_t new_env[STRATA_SSE_ENVELOPE_MAX];
	sqlite3_stmt *st = c->st[upd];
	s3err_t err = S3E_OK;
	size_t i, new_len;
	int rc;

	for (i = 0; i < n; i++) {
		const struct wrap_row *w = &rows[i];

		new_len = 0;
		memset(new_id, 0, sizeof(new_id));
		err = fn(ctx, w->key_id, w->env, w->env_len, new_id, new_env, &new_len);
		if (err != S3E_OK)
			break;
		/* Anything but the target would be selected again: the loop could not end. */
		if (new_len == 0 || new_len > sizeof(new_env) ||
		    !memchr(new_id, '\0', sizeof(new_id)) || strcmp(new_id, target_id) != 0) {
			log_error(POSIX_LOG_MOD, "key rotation to %s got an envelope under %.32s",
				  target_id, memchr(new_id, '\0', sizeof(new_id)) ? new_id : "?");
			err = S3E_InternalError;
			break;
		}
		rc = posix_bind_text(st, 1, w->a);
		if (rc == SQLITE_OK)
			rc = posix_bind_text(st, 2, w->b);
		if (rc == SQLITE_OK)
			rc = posix_bind_text(st, 3, w->key_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_blob(st, 4, w->env, (int)w->env_len, SQLITE_TRANSIENT);
		if (rc == SQLITE_OK)
			rc = posix_bind_text(st, 5, new_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_blob(st, 6, new_env, (int)new_len, SQLITE_TRANSIENT);
		if (rc == SQLITE_OK)
			rc = posix_run(st);
		else
			posix_stmt_done(st);
		if (rc != SQLITE_OK) {
			err = posix_db_err(c, rc, "envelope update");
			break;
		}
		*done += (uint64_t)sqlite3_changes(c->db);
	}
	OPENSSL_cleanse(new_env, sizeof(new_env));
	return err;
}

/*
 * One batch in one write transaction: up to REWRAP_BATCH rows of the table
 * (sel/upd) not under target_id, rewrapped and committed. *got is how many
 * rows were selected (0: the table is done), *done how many were updated
 * and committed. When fn fails part-way, what it did is committed and its
 * error returned, so a rerun continues with the rest.
 */
static s3err_t rewrap_batch(struct conn *c, enum stmt sel, enum stmt upd, struct wrap_row *rows,
			    const char *target_id, sse_rewrap_fn fn, void *ctx, size_t *got,
			    uint64_t *done)
{
	sqlite3_stmt *st = c->st[sel];
	s3err_t err, ferr;
	int rc;

	*got = 0;
	*done = 0;
	err = posix_tx_begin(c);
	if (err != S3E_OK)
		goto out;
	rc = posix_bind_text(st, 1, target_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, REWRAP_BATCH);
	err = posix_fetch_rows(c, st, rc, REWRAP_BATCH, "rewrap batch", wrap_row_decode, rows, got);
	posix_stmt_done(st);
	if (err != S3E_OK || *got == 0)
		goto out;
	ferr = rewrap_rows(c, upd, rows, *got, target_id, fn, ctx, done);
	err = posix_tx_commit(c);
	if (err == S3E_OK)
		err = ferr;
	else
		*done = 0;
out:
	posix_tx_rollback(c);
	return err;
}

/*
 * The sse_rewrap slot (F8). Batches of REWRAP_BATCH rows, one write
 * transaction each, objects first, then uploads, until no SSE-S3 row is
 * left under another id than target_id; fn runs inside the transaction
 * (it is pure CPU). fn must file every envelope under target_id (anything
 * else is refused: such a row would be selected forever). *count grows by
 * every committed rewrap, also when an error stops the run part-way, so a
 * caller can say how far it got; a rerun continues from there.
 */
static s3err_t posix_sse_rewrap(struct backend *be, const char *target_id, sse_rewrap_fn fn,
				void *ctx, uint64_t *count)
{
	static const enum stmt tables[2][2] = {{ST_SSE_OBJ_BATCH, ST_SSE_OBJ_UPDATE},
					       {ST_SSE_UPL_BATCH, ST_SSE_UPL_UPDATE}};
	struct posix_be *pb = (struct posix_be *)be;
	struct wrap_row *rows = NULL;
	uint64_t done = 0;
	size_t got = 0, t;
	struct conn *c;
	s3err_t err = S3E_OK;

	if (strlen(target_id) == 0 || strlen(target_id) >= STRATA_SSE_KEY_ID_MAX)
		return S3E_InternalError;
	rows = calloc(REWRAP_BATCH, sizeof(*rows));
	if (!rows)
		return S3E_InternalError;
	/*
	 * Objects, then uploads; each table until a batch finds nothing left.
	 * A rewrapped row no longer matches the batch query, so every batch
	 * makes progress; a row replaced meanwhile under an old key is simply
	 * found again by the next one.
	 */
	for (t = 0; t < 2 && err == S3E_OK; t++) {
		do {
			c = posix_pool_get(pb);
			err = rewrap_batch(c, tables[t][0], tables[t][1], rows, target_id, fn, ctx,
					   &got, &done);
			posix_pool_put(pb, c);
			*count += done;
			if (err == S3E_OK && got > 0 && done == 0) {
				/* Cannot happen under BEGIN IMMEDIATE; never spin on it. */
				log_error(POSIX_LOG_MOD, "key rotation made no progress");
				err = S3E_InternalError;
			}
		} while (err == S3E_OK && got > 0);
	}
	OPENSSL_cleanse(rows, REWRAP_BATCH * sizeof(*rows));
	free(rows);
	return err;
}

/* One master key id in use, copied out of ST_SSE_USAGE. */
struct usage_row {
	char key_id[STRATA_SSE_KEY_ID_MAX];
	uint64_t count;
	uint8_t env[STRATA_SSE_ENVELOPE_MAX];
	size_t env_len;
};

static bool usage_row_decode(sqlite3_stmt *st, size_t n, void *rows)
{
	struct usage_row *u = &((struct usage_row *)rows)[n];
	sqlite3_int64 count = sqlite3_column_int64(st, 1);
	const void *env = sqlite3_column_blob(st, 2);
	int elen = sqlite3_column_bytes(st, 2);

	if (count <= 0 || elen < 0 || (size_t)elen > sizeof(u->env) ||
	    !posix_col_text(st, 0, u->key_id, sizeof(u->key_id)))
		return false;
	u->count = (uint64_t)count;
	u->env_len = env ? (size_t)elen : 0;
	if (u->env_len > 0)
		memcpy(u->env, env, u->env_len);
	return true;
}

static s3err_t posix_sse_key_usage(struct backend *be, sse_usage_fn visit, void *ctx)
{
	struct posix_be *pb = (struct posix_be *)be;
	char after[STRATA_SSE_KEY_ID_MAX] = "";
	struct usage_row *rows;
	size_t got = 0, i;
	struct conn *c;
	sqlite3_stmt *st;
	s3err_t err = S3E_OK;
	int rc;

	rows = calloc(USAGE_CHUNK, sizeof(*rows));
	if (!rows)
		return S3E_InternalError;
	do {
		c = posix_pool_get(pb);
		st = c->st[ST_SSE_USAGE];
		rc = posix_bind_text(st, 1, after);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 2, USAGE_CHUNK);
		err = posix_fetch_rows(c, st, rc, USAGE_CHUNK, "key usage", usage_row_decode, rows,
				       &got);
		posix_stmt_done(st);
		posix_pool_put(pb, c);
		if (err != S3E_OK)
			goto out;
		/* The connection is back in the pool: visitors may use the backend (P4). */
		for (i = 0; i < got; i++)
			if (!visit(ctx, rows[i].key_id, rows[i].count, rows[i].env,
				   rows[i].env_len))
				goto out;
		if (got > 0)
			memcpy(after, rows[got - 1].key_id, sizeof(after));
	} while (got == USAGE_CHUNK);
out:
	free(rows);
	return err;
}

/* --- bucket configuration documents --- */

/* Names are the backend's callers' constants; a bad one is a bug, not a request error. */
static bool config_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n > 0 && n <= BUCKET_CONFIG_NAME_MAX)
		return true;
	log_error(POSIX_LOG_MOD, "bucket configuration name of %zu bytes refused", n);
	return false;
}

static s3err_t posix_bucket_config_get(struct backend *be, const char *bucket, const char *name,
				       char *out, size_t cap, size_t *len, bool *found)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	const void *v;
	s3err_t err;
	int rc, n;

	if (!config_name_ok(name))
		return S3E_InternalError;
	c = posix_pool_get(pb);
	/* One snapshot: the bucket and its document as of one moment. */
	err = posix_tx_begin_read(c);
	if (err == S3E_OK)
		err = posix_bucket_exists(c, bucket);
	if (err != S3E_OK)
		goto out;
	st = c->st[ST_BCFG_GET];
	rc = posix_step_texts2(st, bucket, name);
	if (rc == SQLITE_DONE) {
		*found = false;
		*len = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		err = posix_db_err(c, rc, "bucket configuration get");
		goto out;
	}
	v = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	if (n < 0 || (size_t)n > STRATA_MAX_BUCKET_CONFIG || (size_t)n > cap) {
		log_error(POSIX_LOG_MOD,
			  "bucket %s: configuration %s holds %d bytes, the caller has room for %zu",
			  bucket, name, n, cap);
		err = S3E_InternalError;
		goto out;
	}
	if (n > 0)
		memcpy(out, v, (size_t)n);
	*len = (size_t)n;
	*found = true;
out:
	if (st)
		posix_stmt_done(st);
	posix_tx_rollback(c); /* ends the read snapshot */
	posix_pool_put(pb, c);
	return err;
}

/* Runs ST_BCFG_PUT (value non-NULL) or ST_BCFG_DELETE in one write transaction. */
static s3err_t config_write(struct posix_be *pb, const char *bucket, const char *name,
			    const char *value, size_t len)
{
	struct conn *c = posix_pool_get(pb);
	sqlite3_stmt *st = c->st[value ? ST_BCFG_PUT : ST_BCFG_DELETE];
	s3err_t err;
	int rc;

	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = posix_bucket_exists(c, bucket);
	if (err == S3E_OK)
		err = posix_lock_config_guard(c, bucket, name, value, len); /* L2 */
	if (err != S3E_OK)
		goto out;
	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, name);
	/* An empty document is an empty blob, never NULL (the column is NOT NULL). */
	if (rc == SQLITE_OK && value)
		rc = len > 0 ? sqlite3_bind_blob(st, 3, value, (int)len, SQLITE_TRANSIENT)
			     : sqlite3_bind_zeroblob(st, 3, 0);
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	if (rc != SQLITE_OK) {
		err = posix_db_err(c, rc, "bucket configuration write");
		goto out;
	}
	err = posix_tx_commit(c);
out:
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
	return err;
}

static s3err_t posix_bucket_config_put(struct backend *be, const char *bucket, const char *name,
				       const char *value, size_t len)
{
	if (!config_name_ok(name))
		return S3E_InternalError;
	if (len > STRATA_MAX_BUCKET_CONFIG) {
		/* The gateway caps request bodies far below this: a caller's bug. */
		log_error(POSIX_LOG_MOD, "bucket %s: a %zu-byte configuration %s refused", bucket,
			  len, name);
		return S3E_InternalError;
	}
	return config_write((struct posix_be *)be, bucket, name, value ? value : "", len);
}

static s3err_t posix_bucket_config_delete(struct backend *be, const char *bucket, const char *name)
{
	if (!config_name_ok(name))
		return S3E_InternalError;
	return config_write((struct posix_be *)be, bucket, name, NULL, 0);
}

const struct backend_ops posix_ops = {
    .abi_version = BACKEND_ABI_VERSION,
    .name = "posix",
    .close = posix_close,
    .bucket_create = posix_bucket_create,
    .bucket_get = posix_bucket_get,
    .bucket_delete = posix_bucket_delete,
    .bucket_list = posix_bucket_list,
    .writer_open = posix_writer_open,
    .writer_write = posix_writer_write,
    .writer_commit = posix_writer_commit,
    .writer_abort = posix_writer_abort,
    .object_head = posix_object_head,
    .reader_open = posix_reader_open,
    .reader_read = posix_reader_read,
    .reader_close = posix_reader_close,
    .object_delete = posix_object_delete,
    .object_delete_if = posix_object_delete_if,
    .object_scan = posix_object_scan,
    .bucket_count = posix_bucket_count,
    .upload_create = posix_upload_create,
    .upload_get = posix_upload_get,
    .part_writer_open = posix_part_writer_open,
    .part_commit = posix_part_commit,
    .part_reader_open = posix_part_reader_open,
    .part_list = posix_part_list,
    .upload_list = posix_upload_list,
    .upload_abort = posix_upload_abort,
    .upload_complete = posix_upload_complete,
    .object_part_range = posix_object_part_range,
    .scrub = posix_scrub,
    .writer_seal = posix_writer_seal,
    .writer_place = posix_writer_place,
    .object_transition = posix_object_transition,
    .restore_request = posix_restore_request,
    .restore_due = posix_restore_due,
    .restore_run = posix_restore_run,
    .restore_release = posix_restore_release,
    .reader_unseal = posix_reader_unseal,
    .sse_rewrap = posix_sse_rewrap,
    .sse_key_usage = posix_sse_key_usage,
    .bucket_config_get = posix_bucket_config_get,
    .bucket_config_put = posix_bucket_config_put,
    .bucket_config_delete = posix_bucket_config_delete,
    .writer_replicate = posix_writer_replicate,
    .upload_complete_repl = posix_upload_complete_repl,
    .object_delete_repl = posix_object_delete_repl,
    .repl_enqueue = posix_repl_enqueue,
    .repl_due = posix_repl_due,
    .repl_done = posix_repl_done,
    .repl_retry = posix_repl_retry,
    .repl_stats = posix_repl_stats,
    .writer_version = posix_writer_version,
    .upload_complete_v = posix_upload_complete_v,
    .object_head_v = posix_object_head_v,
    .reader_open_v = posix_reader_open_v,
    .object_delete_v = posix_object_delete_v,
    .bucket_lock_put = posix_bucket_lock_put,
    .object_lock_set = posix_object_lock_set,
    .version_scan = posix_version_scan,
    .storage_usage = posix_storage_usage,
    .version_expire = posix_version_expire,
    .version_transition = posix_version_transition,
};
