/*
 * posix_schema: the index's SQL and what builds it: the statements of
 * posix.c (the other files' tables are declared in posix_internal.h), the
 * migrations that bring index.db to SCHEMA_VERSION, and the opening,
 * preparing and migrating of connections to it.
 *
 * Invariants kept here: values are always bound (?N), never spliced into a
 * statement's text (STYLE 6); a released migration row is never edited, a
 * change is a new row; index.db is created 0600 before SQLite would create
 * it 0644 (posix_index_precreate); keys compare with BINARY collation (P6 in
 * posix.c); every connection runs synchronous = FULL and foreign keys on.
 *
 * Schema (PRAGMA user_version = SCHEMA_VERSION; `migrations` upgrades older
 * files one version at a time, inside a transaction each):
 *   buckets(name PK, owner, region, created_ms)
 *   objects(bucket -> buckets, key, object_id, size, mtime_ms, etag, sha256,
 *           checksum_algo, checksum_b64, storage_class, headers BLOB,
 *           layout 0 = plain file | 1 = multipart, checksum_type,
 *           parts_count; PK(bucket, key)) WITHOUT ROWID
 *   gc(object_id PK): data files to unlink once their transaction committed.
 *   v2 (multipart; posix_multipart.c says how they are used):
 *   uploads(upload_id PK, bucket -> buckets, key, initiated_ms, headers BLOB,
 *           storage_class, checksum_algo, checksum_type, completed 0|1,
 *           final_etag, completed_ms) WITHOUT ROWID,
 *           INDEX uploads_by_key(bucket, key, upload_id),
 *           INDEX uploads_done(completed_ms) WHERE completed = 1
 *   parts(upload_id -> uploads, number 1..10000, object_id, size, etag,
 *         checksum_b64, sha256, mtime_ms; PK(upload_id, number)) WITHOUT ROWID
 *   object_parts(bucket, key, idx 1..n, object_id, size;
 *                PK(bucket, key, idx)) WITHOUT ROWID
 *   v3 (integrity, F1..F4): objects, parts and object_parts gain frames 0|1
 *   (default 0: files written before v3 are plain); objects gains
 *   verified_ms (default 0: never verified).
 *   v4: indexes on object_id of objects, parts and object_parts (the scrub's
 *   orphan pass looks files up by id).
 *   v5 (encryption, F5..F8): objects and uploads gain sse_mode 0|1|2
 *   (enum sse_mode; default 0: rows written before v5 are unencrypted),
 *   sse_key_id (the SSE-S3 master key id, '' otherwise) and sse_envelope
 *   BLOB (SSE-S3: the wrapped data key; SSE-C: the customer key's salted
 *   hash; NULL for none), with partial indexes objects_by_sse_key and
 *   uploads_by_sse_key on sse_key_id WHERE sse_mode = 1 (rotation, key
 *   usage); bucket_configs(bucket -> buckets, name, value BLOB;
 *   PK(bucket, name)) WITHOUT ROWID holds per-bucket configuration
 *   documents ("encryption", ...), dropped with their bucket.
 *   v6 (storage tiers, T1..T6): objects, parts and object_parts gain tier
 *   (default '': rows written before v6 have their files in the data
 *   directory), with partial indexes *_by_tier ON (tier) WHERE tier <> ''
 *   (the open-time check of T2 finds the tiers in use by a few index
 *   seeks); gc becomes gc(tier, object_id; PK(tier, object_id)) WITHOUT
 *   ROWID, its old rows with tier '': one id may be queued in two
 *   locations (T4).
 *   v7 (archive restores, R1..R7): objects gains restore_state 0|1|2
 *   (enum obj_restore_state; default 0: rows written before v7 have no
 *   restore) and restore_until_ms (default 0), with the partial index
 *   objects_restoring ON (bucket, key) WHERE restore_state <> 0, which
 *   restore_due walks (only rows with a restore are in it).
 *   v8 (replication, Q1..Q8 in posix_repl.c): objects gains repl_status
 *   0..4 (enum obj_repl_status; default 0: rows written before v8 were
 *   never replicated); repl_events(seq INTEGER PRIMARY KEY AUTOINCREMENT,
 *   bucket, key, is_delete 0|1, mtime_ms, etag, site, dest_bucket,
 *   storage_class, deletes 0|1, rule_id, created_ms, attempts, next_ms,
 *   failed 0|1, last_error) with INDEX repl_events_due(next_ms, seq)
 *   (repl_due's walk), INDEX repl_events_key(bucket, key, site,
 *   dest_bucket) (the oldest event per key and target; "any event left for
 *   this bucket/key") and the partial INDEX repl_events_failed(bucket)
 *   WHERE failed = 1. No foreign key to buckets (Q6).
 *   v9 (versioning, V1..V9 in posix_versions.c): objects gains version_id
 *   (default '': every older row is the null version); object_versions(
 *   bucket -> buckets, key, seq, version_id, is_marker 0|1, mtime_ms, vkey;
 *   PK(bucket, key, seq)) WITHOUT ROWID with INDEX object_versions_by_id;
 *   the buckets row POSIX_VER_BUCKET, whose objects rows are the data of
 *   noncurrent versions (V2).
 *   v10 (object lock, L1..L4 in posix_lock.c): objects gains lock_mode
 *   (0 none, 1 GOVERNANCE, 2 COMPLIANCE), lock_until_ms and legal_hold 0|1
 *   (defaults 0: nothing locked); uploads gains the same three (the lock its
 *   CreateMultipartUpload asked for).
 *   v11 (replication of versions, Q9 in posix_repl.c): repl_events gains
 *   version_id (default '': the key as it is when the event runs).
 *   v12 (small objects inline, I1..I5 in posix_inline.c): inline_data(
 *   object_id UNIQUE, data BLOB): the stored bytes of a home data file kept
 *   in the index instead of objects/xx/ID. A rowid table, so that its
 *   blobs stay out of the b-tree's interior pages.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* openat family, pread and flock under -std=c11 */
#endif
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../common/log.h"

#define SCHEMA_VERSION 12

/*
 * Columns 1..10 of a scan row are the fixed metadata that meta_from_row
 * reads, 11..12 the restore (restore_from_row), 13 the replication status
 * (repl_from_row).
 */
#define SCAN_SELECT                                                                                \
	"SELECT key, size, mtime_ms, etag, sha256, checksum_algo, checksum_b64, storage_class, "   \
	"checksum_type, parts_count, verified_ms, restore_state, restore_until_ms, repl_status "   \
	"FROM objects WHERE bucket = ?1 "

/*
 * The statements of this file (the multipart ones are in posix_multipart.c).
 * Values are always bound (?N), never spliced into the text. A scan has one
 * lower bound (> or >=) and an optional upper bound (?3) so that SQLite
 * walks exactly one range of the primary key; ?3 is bound (NULL) even where
 * the text does not use it, which SQLite allows since ?4 makes four slots.
 */
static const char *const stmt_sql[ST_MP_FIRST] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT member",
    [ST_RELEASE] = "RELEASE member",
    [ST_ROLLBACK_TO] = "ROLLBACK TO member",
    [ST_BUCKET_INSERT] = "INSERT INTO buckets(name, owner, region, created_ms) "
			 "VALUES(?1, ?2, ?3, ?4)",
    [ST_BUCKET_GET] = "SELECT name, owner, region, created_ms FROM buckets WHERE name = ?1",
    [ST_BUCKET_EXISTS] = "SELECT 1 FROM buckets WHERE name = ?1",
    [ST_BUCKET_DELETE] = "DELETE FROM buckets WHERE name = ?1",
    /* V2: the bucket of noncurrent versions is no S3 bucket. */
    [ST_BUCKET_LIST] = "SELECT name, owner, region, created_ms FROM buckets "
		       "WHERE name > ?1 AND name <> '" POSIX_VER_BUCKET "' ORDER BY name LIMIT ?2",
    [ST_BUCKET_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM objects WHERE bucket = ?1 "
			"LIMIT ?2)",
    [ST_OBJ_ID] = "SELECT object_id, layout, tier, restore_state FROM objects "
		  "WHERE bucket = ?1 AND key = ?2",
    [ST_OBJ_UPSERT] =
	"INSERT INTO objects(bucket, key, object_id, size, mtime_ms, etag, sha256, "
	"checksum_algo, checksum_b64, storage_class, headers, checksum_type, parts_count, "
	"layout, frames, sse_mode, sse_key_id, sse_envelope, tier, repl_status) "
	"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
	"?19, ?20) "
	"ON CONFLICT(bucket, key) DO UPDATE SET object_id = excluded.object_id, "
	"size = excluded.size, mtime_ms = excluded.mtime_ms, etag = excluded.etag, "
	"sha256 = excluded.sha256, checksum_algo = excluded.checksum_algo, "
	"checksum_b64 = excluded.checksum_b64, storage_class = excluded.storage_class, "
	"headers = excluded.headers, checksum_type = excluded.checksum_type, "
	"parts_count = excluded.parts_count, layout = excluded.layout, "
	"frames = excluded.frames, verified_ms = 0, sse_mode = excluded.sse_mode, "
	"sse_key_id = excluded.sse_key_id, sse_envelope = excluded.sse_envelope, "
	"tier = excluded.tier, restore_state = 0, restore_until_ms = 0, "
	"repl_status = excluded.repl_status, lock_mode = 0, lock_until_ms = 0, legal_hold = 0",
    [ST_OBJ_HEAD] = "SELECT object_id, layout, size, mtime_ms, etag, sha256, checksum_algo, "
		    "checksum_b64, storage_class, checksum_type, parts_count, verified_ms, "
		    "headers, frames, sse_mode, sse_key_id, sse_envelope, tier, restore_state, "
		    "restore_until_ms, repl_status, version_id, EXISTS (SELECT 1 FROM "
		    "bucket_configs WHERE bucket = ?1 AND name = 'versioning'), lock_mode, "
		    "lock_until_ms, legal_hold FROM objects WHERE bucket = ?1 AND key = ?2",
    [ST_OBJ_DELETE] = "DELETE FROM objects WHERE bucket = ?1 AND key = ?2",
    [ST_OBJ_SAME] = "SELECT 1 FROM objects WHERE bucket = ?1 AND key = ?2 AND mtime_ms = ?3 "
		    "AND etag = ?4",
    [ST_OBJ_PARTS_GC] = "INSERT OR IGNORE INTO gc(tier, object_id) SELECT tier, object_id "
			"FROM object_parts WHERE bucket = ?1 AND key = ?2",
    [ST_OBJ_PARTS_DELETE] = "DELETE FROM object_parts WHERE bucket = ?1 AND key = ?2",
    [ST_SCAN_GT] = SCAN_SELECT "AND key > ?2 ORDER BY key LIMIT ?4",
    [ST_SCAN_GE] = SCAN_SELECT "AND key >= ?2 ORDER BY key LIMIT ?4",
    [ST_SCAN_GT_LT] = SCAN_SELECT "AND key > ?2 AND key < ?3 ORDER BY key LIMIT ?4",
    [ST_SCAN_GE_LT] = SCAN_SELECT "AND key >= ?2 AND key < ?3 ORDER BY key LIMIT ?4",
    [ST_GC_ADD] = "INSERT OR IGNORE INTO gc(tier, object_id) VALUES(?1, ?2)",
    [ST_GC_DEL] = "DELETE FROM gc WHERE tier = ?1 AND object_id = ?2",
    [ST_GC_PENDING] = "SELECT 1 FROM gc WHERE tier = ?1 AND object_id = ?2",
    [ST_GC_BATCH] = "SELECT tier, object_id FROM gc WHERE (tier, object_id) > (?1, ?2) "
		    "ORDER BY tier, object_id LIMIT ?3",
    /*
     * T4: does a committed row name the file (tier ?1, id ?2)? Each arm is
     * an index seek by id. The last two: in the home, a done restore names
     * the copies of its files (R2).
     */
    [ST_FILE_NAMED] =
	"SELECT 1 FROM objects WHERE object_id = ?2 AND tier = ?1 AND layout = 0 "
	"UNION ALL SELECT 1 FROM parts WHERE object_id = ?2 AND tier = ?1 "
	"UNION ALL SELECT 1 FROM object_parts WHERE object_id = ?2 AND tier = ?1 "
	"UNION ALL SELECT 1 FROM objects WHERE ?1 = '' AND object_id = ?2 AND layout = 0 "
	"AND restore_state = 2 "
	"UNION ALL SELECT 1 FROM object_parts p JOIN objects o ON o.bucket = p.bucket AND "
	"o.key = p.key WHERE ?1 = '' AND p.object_id = ?2 AND o.restore_state = 2 "
	"LIMIT 1",
    /*
     * T5 step 5: the switch lands only on the version the transition loaded,
     * with its data where it was (?7 its object id, ?8 its tier), and never
     * on an object with a restore (T7).
     */
    [ST_TR_OBJ] = "UPDATE objects SET storage_class = ?5, tier = ?6 WHERE bucket = ?1 AND "
		  "key = ?2 AND mtime_ms = ?3 AND etag = ?4 AND object_id = ?7 AND tier = ?8 "
		  "AND restore_state = 0",
    [ST_TR_OPART] = "UPDATE object_parts SET tier = ?5 WHERE bucket = ?1 AND key = ?2 AND "
		    "object_id = ?3 AND tier = ?4",
    [ST_BCFG_GET] = "SELECT value FROM bucket_configs WHERE bucket = ?1 AND name = ?2",
    [ST_BCFG_PUT] = "INSERT INTO bucket_configs(bucket, name, value) VALUES(?1, ?2, ?3) "
		    "ON CONFLICT(bucket, name) DO UPDATE SET value = excluded.value",
    [ST_BCFG_DELETE] = "DELETE FROM bucket_configs WHERE bucket = ?1 AND name = ?2",
    [ST_BCFG_PURGE] = "DELETE FROM bucket_configs WHERE bucket = ?1",
    /*
     * Rotation (F8): SSE-S3 rows not yet under the target key, as two range
     * searches of the partial index around it (a plain "<> ?1" would scan
     * past every row already rewrapped, in every batch); an UPDATE only
     * lands on the row it was computed from.
     */
    [ST_SSE_OBJ_BATCH] = "SELECT * FROM (SELECT bucket, key, sse_key_id, sse_envelope FROM "
			 "objects WHERE sse_mode = 1 AND sse_key_id < ?1 LIMIT ?2) UNION ALL "
			 "SELECT * FROM (SELECT bucket, key, sse_key_id, sse_envelope FROM "
			 "objects WHERE sse_mode = 1 AND sse_key_id > ?1 LIMIT ?2) LIMIT ?2",
    [ST_SSE_OBJ_UPDATE] = "UPDATE objects SET sse_key_id = ?5, sse_envelope = ?6 "
			  "WHERE bucket = ?1 AND key = ?2 AND sse_mode = 1 AND sse_key_id = ?3 "
			  "AND sse_envelope = ?4",
    [ST_SSE_UPL_BATCH] = "SELECT * FROM (SELECT upload_id, '', sse_key_id, sse_envelope FROM "
			 "uploads WHERE sse_mode = 1 AND sse_key_id < ?1 LIMIT ?2) UNION ALL "
			 "SELECT * FROM (SELECT upload_id, '', sse_key_id, sse_envelope FROM "
			 "uploads WHERE sse_mode = 1 AND sse_key_id > ?1 LIMIT ?2) LIMIT ?2",
    [ST_SSE_UPL_UPDATE] = "UPDATE uploads SET sse_key_id = ?5, sse_envelope = ?6 "
			  "WHERE upload_id = ?1 AND ?2 = '' AND sse_mode = 1 AND sse_key_id = ?3 "
			  "AND sse_envelope = ?4",
    /*
     * Key usage: counts come from the partial indexes alone; the sample
     * envelope is one row's, looked up per key id.
     */
    [ST_SSE_USAGE] =
	"SELECT k, sum(n), coalesce("
	"(SELECT sse_envelope FROM objects WHERE sse_mode = 1 AND sse_key_id = k LIMIT 1), "
	"(SELECT sse_envelope FROM uploads WHERE sse_mode = 1 AND sse_key_id = k LIMIT 1)) "
	"FROM (SELECT sse_key_id AS k, count(*) AS n FROM objects "
	"WHERE sse_mode = 1 AND sse_key_id > ?1 GROUP BY sse_key_id UNION ALL "
	"SELECT sse_key_id, count(*) FROM uploads WHERE sse_mode = 1 AND sse_key_id > ?1 "
	"GROUP BY sse_key_id) GROUP BY k ORDER BY k LIMIT ?2",
    /* Archive restores (R1..R7). */
    [ST_RS_SET] = "UPDATE objects SET restore_state = ?3, restore_until_ms = ?4 "
		  "WHERE bucket = ?1 AND key = ?2",
    /* R5 step 5: ONGOING -> DONE only on the version and files step 1 loaded. */
    [ST_RS_DONE] = "UPDATE objects SET restore_state = 2 WHERE bucket = ?1 AND key = ?2 AND "
		   "mtime_ms = ?3 AND etag = ?4 AND object_id = ?5 AND tier = ?6 AND "
		   "restore_state = 1",
    /* R6: the copies of a layout-1 object's parts: every part not at home. */
    [ST_RS_OPART_GC] = "INSERT OR IGNORE INTO gc(tier, object_id) SELECT '', object_id "
		       "FROM object_parts WHERE bucket = ?1 AND key = ?2 AND tier <> ''",
    /*
     * R7: restores to act on after (?1, ?2), by objects_restoring (its
     * WHERE term is repeated so the planner can use it).
     */
    [ST_RS_DUE] = "SELECT bucket, key, mtime_ms, etag, restore_state FROM objects "
		  "WHERE restore_state <> 0 AND (restore_state = 1 OR restore_until_ms <= ?3) "
		  "AND (bucket, key) > (?1, ?2) ORDER BY bucket, key LIMIT ?4",
    /* Small objects inline (I1..I5 in posix_inline.c). */
    [ST_INLINE_PUT] = "INSERT INTO inline_data(object_id, data) VALUES(?1, ?2)",
    [ST_INLINE_GET] = "SELECT data FROM inline_data WHERE object_id = ?1",
    [ST_INLINE_DROP] = "DELETE FROM inline_data WHERE object_id = ?1",
};

/*
 * migrations[v] upgrades a version-v index to v+1 and sets user_version.
 * Later issues append rows (versions, tiers, replication queues); a row is
 * never edited once released.
 */
static const char *const migrations[SCHEMA_VERSION] = {
    /* 0 -> 1: buckets, objects, gc */
    "CREATE TABLE buckets("
    " name TEXT NOT NULL COLLATE BINARY PRIMARY KEY,"
    " owner TEXT NOT NULL,"
    " region TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE objects("
    " bucket TEXT NOT NULL COLLATE BINARY REFERENCES buckets(name),"
    " key TEXT NOT NULL COLLATE BINARY CHECK (key <> ''),"
    " object_id TEXT NOT NULL,"
    " size INTEGER NOT NULL CHECK (size >= 0),"
    " mtime_ms INTEGER NOT NULL,"
    " etag TEXT NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " checksum_algo TEXT NOT NULL,"
    " checksum_b64 TEXT NOT NULL,"
    " storage_class TEXT NOT NULL,"
    " headers BLOB,"
    " layout INTEGER NOT NULL DEFAULT 0," /* 0 = plain file; framed/encrypted later */
    " PRIMARY KEY (bucket, key)"
    ") WITHOUT ROWID;"
    "CREATE TABLE gc(object_id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID;"
    "PRAGMA user_version = 1;",
    /*
     * 1 -> 2: multipart uploads. Existing objects keep layout 0 and get
     * checksum_type '' and parts_count 0 (a single PUT).
     */
    "ALTER TABLE objects ADD COLUMN checksum_type TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE objects ADD COLUMN parts_count INTEGER NOT NULL DEFAULT 0"
    " CHECK (parts_count >= 0);"
    "CREATE TABLE uploads("
    " upload_id TEXT NOT NULL PRIMARY KEY,"
    " bucket TEXT NOT NULL COLLATE BINARY REFERENCES buckets(name),"
    " key TEXT NOT NULL COLLATE BINARY CHECK (key <> ''),"
    " initiated_ms INTEGER NOT NULL,"
    " headers BLOB,"
    " storage_class TEXT NOT NULL,"
    " checksum_algo TEXT NOT NULL,"
    " checksum_type TEXT NOT NULL,"
    " completed INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),"
    " final_etag TEXT NOT NULL DEFAULT '',"
    " completed_ms INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID;"
    "CREATE INDEX uploads_by_key ON uploads(bucket, key, upload_id);"
    "CREATE INDEX uploads_done ON uploads(completed_ms) WHERE completed = 1;"
    "CREATE TABLE parts("
    " upload_id TEXT NOT NULL REFERENCES uploads(upload_id),"
    " number INTEGER NOT NULL CHECK (number BETWEEN 1 AND 10000),"
    " object_id TEXT NOT NULL,"
    " size INTEGER NOT NULL CHECK (size >= 0),"
    " etag TEXT NOT NULL,"
    " checksum_b64 TEXT NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " mtime_ms INTEGER NOT NULL,"
    " PRIMARY KEY (upload_id, number)"
    ") WITHOUT ROWID;"
    "CREATE TABLE object_parts("
    " bucket TEXT NOT NULL COLLATE BINARY,"
    " key TEXT NOT NULL COLLATE BINARY,"
    " idx INTEGER NOT NULL CHECK (idx >= 1),"
    " object_id TEXT NOT NULL,"
    " size INTEGER NOT NULL CHECK (size >= 0),"
    " PRIMARY KEY (bucket, key, idx)"
    ") WITHOUT ROWID;"
    "PRAGMA user_version = 2;",
    /*
     * 2 -> 3: integrity frames (F1..F4). Every existing data file is plain
     * (frames 0) and was never scrubbed (verified_ms 0); new ones are framed.
     */
    "ALTER TABLE objects ADD COLUMN frames INTEGER NOT NULL DEFAULT 0 CHECK (frames IN (0, 1));"
    "ALTER TABLE objects ADD COLUMN verified_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE parts ADD COLUMN frames INTEGER NOT NULL DEFAULT 0 CHECK (frames IN (0, 1));"
    "ALTER TABLE object_parts ADD COLUMN frames INTEGER NOT NULL DEFAULT 0"
    " CHECK (frames IN (0, 1));"
    "PRAGMA user_version = 3;",
    /*
     * 3 -> 4: the scrubber's orphan pass asks, per range of ids, which data
     * files rows name; without these indexes each range scanned every table.
     */
    "CREATE INDEX objects_by_id ON objects(object_id);"
    "CREATE INDEX parts_by_id ON parts(object_id);"
    "CREATE INDEX object_parts_by_id ON object_parts(object_id);"
    "PRAGMA user_version = 4;",
    /*
     * 4 -> 5: server-side encryption (F5..F8). Every existing row is
     * unencrypted (sse_mode 0), which is what its files are.
     */
    "ALTER TABLE objects ADD COLUMN sse_mode INTEGER NOT NULL DEFAULT 0"
    " CHECK (sse_mode IN (0, 1, 2));"
    "ALTER TABLE objects ADD COLUMN sse_key_id TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE objects ADD COLUMN sse_envelope BLOB;"
    "ALTER TABLE uploads ADD COLUMN sse_mode INTEGER NOT NULL DEFAULT 0"
    " CHECK (sse_mode IN (0, 1, 2));"
    "ALTER TABLE uploads ADD COLUMN sse_key_id TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE uploads ADD COLUMN sse_envelope BLOB;"
    "CREATE INDEX objects_by_sse_key ON objects(sse_key_id) WHERE sse_mode = 1;"
    "CREATE INDEX uploads_by_sse_key ON uploads(sse_key_id) WHERE sse_mode = 1;"
    "CREATE TABLE bucket_configs("
    " bucket TEXT NOT NULL COLLATE BINARY REFERENCES buckets(name),"
    " name TEXT NOT NULL,"
    " value BLOB NOT NULL,"
    " PRIMARY KEY (bucket, name)"
    ") WITHOUT ROWID;"
    "PRAGMA user_version = 5;",
    /*
     * 5 -> 6: storage tiers (T1..T6). Every existing file is in the data
     * directory (tier ''). gc is rebuilt: its key becomes (tier, object_id).
     */
    "ALTER TABLE objects ADD COLUMN tier TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE parts ADD COLUMN tier TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE object_parts ADD COLUMN tier TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE gc_v6("
    " tier TEXT NOT NULL DEFAULT '',"
    " object_id TEXT NOT NULL,"
    " PRIMARY KEY (tier, object_id)"
    ") WITHOUT ROWID;"
    "INSERT INTO gc_v6(tier, object_id) SELECT '', object_id FROM gc;"
    "DROP TABLE gc;"
    "ALTER TABLE gc_v6 RENAME TO gc;"
    "CREATE INDEX objects_by_tier ON objects(tier) WHERE tier <> '';"
    "CREATE INDEX parts_by_tier ON parts(tier) WHERE tier <> '';"
    "CREATE INDEX object_parts_by_tier ON object_parts(tier) WHERE tier <> '';"
    "PRAGMA user_version = 6;",
    /*
     * 6 -> 7: archive restores (R1..R7). No existing object has a restore
     * (restore_state 0), so objects_restoring starts empty.
     */
    "ALTER TABLE objects ADD COLUMN restore_state INTEGER NOT NULL DEFAULT 0"
    " CHECK (restore_state IN (0, 1, 2));"
    "ALTER TABLE objects ADD COLUMN restore_until_ms INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX objects_restoring ON objects(bucket, key) WHERE restore_state <> 0;"
    "PRAGMA user_version = 7;",
    /*
     * 7 -> 8: replication (Q1..Q8 in posix_repl.c). No existing object was
     * ever queued (repl_status 0: no header) and the queue starts empty.
     * seq is AUTOINCREMENT so that a seq is never reused, even after the
     * newest event was done: a late repl_done or repl_retry of a replicator
     * can only ever name its own event (Q5).
     */
    "ALTER TABLE objects ADD COLUMN repl_status INTEGER NOT NULL DEFAULT 0"
    " CHECK (repl_status BETWEEN 0 AND 4);"
    "CREATE TABLE repl_events("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " bucket TEXT NOT NULL COLLATE BINARY,"
    " key TEXT NOT NULL COLLATE BINARY CHECK (key <> ''),"
    " is_delete INTEGER NOT NULL CHECK (is_delete IN (0, 1)),"
    " mtime_ms INTEGER NOT NULL,"
    " etag TEXT NOT NULL,"
    " site TEXT NOT NULL CHECK (site <> ''),"
    " dest_bucket TEXT NOT NULL CHECK (dest_bucket <> ''),"
    " storage_class TEXT NOT NULL,"
    " deletes INTEGER NOT NULL CHECK (deletes IN (0, 1)),"
    " rule_id TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
    " next_ms INTEGER NOT NULL,"
    " failed INTEGER NOT NULL DEFAULT 0 CHECK (failed IN (0, 1)),"
    " last_error TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX repl_events_due ON repl_events(next_ms, seq);"
    "CREATE INDEX repl_events_key ON repl_events(bucket, key, site, dest_bucket);"
    "CREATE INDEX repl_events_failed ON repl_events(bucket) WHERE failed = 1;"
    "PRAGMA user_version = 8;",
    /*
     * 8 -> 9: versioning (V1..V9 in posix_versions.c). Every existing row is
     * the null version (version_id ''); no noncurrent version exists yet.
     * The buckets row POSIX_VER_BUCKET holds noncurrent versions' data rows
     * (V2; the foreign key of objects needs it).
     */
    "ALTER TABLE objects ADD COLUMN version_id TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE object_versions("
    " bucket TEXT NOT NULL COLLATE BINARY REFERENCES buckets(name),"
    " key TEXT NOT NULL COLLATE BINARY CHECK (key <> ''),"
    " seq INTEGER NOT NULL CHECK (seq >= 1),"
    " version_id TEXT NOT NULL,"
    " is_marker INTEGER NOT NULL CHECK (is_marker IN (0, 1)),"
    " mtime_ms INTEGER NOT NULL,"
    " vkey TEXT NOT NULL,"
    " PRIMARY KEY (bucket, key, seq)"
    ") WITHOUT ROWID;"
    "CREATE INDEX object_versions_by_id ON object_versions(bucket, key, version_id);"
    "INSERT INTO buckets(name, owner, region, created_ms) VALUES('" POSIX_VER_BUCKET
    "', '', '', 0);"
    "PRAGMA user_version = 9;",
    /*
     * 9 -> 10: object lock (L1..L4 in posix_lock.c); no row is locked yet.
     * An upload keeps the lock its CreateMultipartUpload asked for.
     */
    "ALTER TABLE objects ADD COLUMN lock_mode INTEGER NOT NULL DEFAULT 0 "
    "CHECK (lock_mode IN (0, 1, 2));"
    "ALTER TABLE objects ADD COLUMN lock_until_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE objects ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0 "
    "CHECK (legal_hold IN (0, 1));"
    "ALTER TABLE uploads ADD COLUMN lock_mode INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE uploads ADD COLUMN lock_until_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE uploads ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;"
    "PRAGMA user_version = 10;",
    /*
     * 10 -> 11: replication of versions (posix_repl.c, Q9). An event queued
     * before names no version: '' ships the key as it is when it runs, as
     * before.
     */
    "ALTER TABLE repl_events ADD COLUMN version_id TEXT NOT NULL DEFAULT '';"
    "PRAGMA user_version = 11;",
    /*
     * 11 -> 12: small objects inline (posix_inline.c, I1..I5). Every
     * existing object has its file: the table starts empty.
     */
    "CREATE TABLE inline_data("
    " object_id TEXT NOT NULL UNIQUE,"
    " data BLOB NOT NULL"
    ");"
    "PRAGMA user_version = 12;",
};

#define POSIX_WAL_CHECKPOINT_PAGES 1000 /* SQLite's own default */

/*
 * SQLite's WAL hook, called on the connection that committed once the commit
 * is done, before the COMMIT (or autocommit statement) returns: O1 of the row
 * cache, whatever the write path. A hook replaces SQLite's own, which
 * checkpoints the WAL once it holds POSIX_WAL_CHECKPOINT_PAGES pages; this
 * one does the same (passive: it never waits for readers).
 */
static int wal_committed(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct posix_be *pb = arg;

	posix_ocache_moved(pb->ocache);
	if (pages >= POSIX_WAL_CHECKPOINT_PAGES)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* Per-connection settings; WAL itself is a property of the file (set once). */
s3err_t posix_conn_open(struct posix_be *pb, const char *path, struct conn *c)
{
	int rc;

	rc = sqlite3_open_v2(
	    path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_error(POSIX_LOG_MOD, "open %s: %s", path,
			  c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		return S3E_InternalError;
	}
	c->pb = pb;
	sqlite3_wal_hook(c->db, wal_committed, pb); /* O1 */
	sqlite3_busy_timeout(c->db, POSIX_BUSY_TIMEOUT_MS);
	sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	rc = sqlite3_exec(c->db,
			  "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
			  "PRAGMA trusted_schema = OFF;",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		log_error(POSIX_LOG_MOD, "configure %s/index.db: %s", pb->dir,
			  sqlite3_errmsg(c->db));
		return S3E_InternalError;
	}
	return S3E_OK;
}

s3err_t posix_conn_prepare(struct posix_be *pb, struct conn *c)
{
	int i, rc;

	for (i = 0; i < ST__COUNT; i++) {
		const char *sql = i < ST_MP_FIRST   ? stmt_sql[i]
				  : i < ST_RP_FIRST ? posix_mp_stmt_sql[i - ST_MP_FIRST]
				  : i < ST_VR_FIRST ? posix_rp_stmt_sql[i - ST_RP_FIRST]
				  : i < ST_LK_FIRST ? posix_vr_stmt_sql[i - ST_VR_FIRST]
						    : posix_lk_stmt_sql[i - ST_LK_FIRST];

		rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL);
		if (rc != SQLITE_OK) {
			log_error(POSIX_LOG_MOD, "prepare statement %d on %s/index.db: %s", i,
				  pb->dir, sqlite3_errmsg(c->db));
			return S3E_InternalError;
		}
	}
	return S3E_OK;
}

/* Reads one integer-valued PRAGMA (constant text). */
static bool pragma_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	bool ok = false;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		ok = true;
	}
	sqlite3_finalize(st);
	return ok;
}

/* Switches the file to WAL and brings its schema to SCHEMA_VERSION. */
s3err_t posix_schema_migrate(struct posix_be *pb, struct conn *c)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	int version = 0, from = -1;
	s3err_t err = S3E_InternalError;

	if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || !(mode = sqlite3_column_text(st, 0)) ||
	    strcmp((const char *)mode, "wal") != 0) {
		log_error(POSIX_LOG_MOD, "%s/index.db: cannot enable WAL mode: %s", pb->dir,
			  sqlite3_errmsg(c->db));
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (;;) {
		if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    !pragma_int(c->db, "PRAGMA user_version", &version)) {
			log_error(POSIX_LOG_MOD, "%s/index.db: %s", pb->dir, sqlite3_errmsg(c->db));
			goto out;
		}
		if (version < 0 || version > SCHEMA_VERSION) {
			log_error(POSIX_LOG_MOD,
				  "%s/index.db has schema version %d; this strata knows %d",
				  pb->dir, version, SCHEMA_VERSION);
			goto out;
		}
		if (from < 0)
			from = version;
		if (version == SCHEMA_VERSION)
			break;
		if (sqlite3_exec(c->db, migrations[version], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			log_error(POSIX_LOG_MOD, "%s/index.db: migration %d -> %d failed: %s",
				  pb->dir, version, version + 1, sqlite3_errmsg(c->db));
			goto out;
		}
	}
	if (from > 0 && from < SCHEMA_VERSION)
		log_info(POSIX_LOG_MOD, "%s/index.db migrated from schema %d to %d", pb->dir, from,
			 SCHEMA_VERSION);
	err = S3E_OK;
out:
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(st);
	return err;
}

/*
 * Creates index.db 0600 if it is missing, before SQLite does (0644): the
 * -wal and -shm files copy its mode, so the metadata stays private.
 */
s3err_t posix_index_precreate(struct posix_be *pb)
{
	int fd = openat(pb->loc[0].rootfd, "index.db", O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		int e = errno;

		log_error(POSIX_LOG_MOD, "create %s/index.db: %s", pb->dir, strerror(e));
		return S3E_InternalError;
	}
	close(fd);
	return S3E_OK;
}
