/*
 * posix_versions: object versioning in the posix backend (issue 12).
 *
 * The objects table stays the table of CURRENT data-bearing versions, so
 * listings, tiers, restores, replication, lifecycle and the scrub keep
 * working on it unchanged; what versioning adds is kept beside it.
 *
 * Invariants:
 *  V1. objects.version_id is the id of the row's version: '' is the "null"
 *      version (every row written before schema v9, or while the bucket's
 *      versioning was off or suspended), anything else an id from
 *      versions_id_new. A never-versioned bucket has only ''.
 *  V2. A noncurrent data-bearing version keeps its objects row (and a
 *      multipart one its object_parts rows), moved by one UPDATE to bucket
 *      POSIX_VER_BUCKET under a fresh key vkey (32 hex, posix_id_new) that
 *      its object_versions row names. So readers, the scrub (verification
 *      and orphan pass), gc's "is this file named" check (T4), SSE rotation
 *      and the open-time tier check see it as any row, and its data files
 *      are never released while the version exists. A move retires nothing.
 *  V3. The versioning state is the bucket's configuration document
 *      "versioning" ("Enabled" or "Suspended"; none: never versioned), read
 *      inside the write transaction of the commit or delete that acts on
 *      it: a concurrent PutBucketVersioning cannot split one decision.
 *  V4. object_versions has one row per noncurrent version and per delete
 *      marker: (bucket, key, seq, version_id, is_marker, mtime_ms, vkey;
 *      vkey '' for a marker). seq grows per key: a newer version has a
 *      larger seq. The current row ranks above every seq.
 *  V5. A key's latest version is its objects row when it has one;
 *      otherwise its object_versions row with the largest seq, which is
 *      then a delete marker: whenever the latest data version goes away by
 *      id and no marker is newer, promote() moves the newest noncurrent data
 *      version back into (bucket, key) in the same transaction.
 *  V6. A key has at most one null version (version_id ''), current or not:
 *      a write or delete in a Suspended bucket removes the old one first.
 *  V7. Removing a version for good (DELETE with versionId, a Suspended
 *      write replacing the null version) retires its data through
 *      posix_obj_retire in the same transaction, like an overwrite (P2).
 *  V8. A bucket with object_versions rows is not empty (bucket_delete).
 *  V9. Moving a row to noncurrent ends its restore (a done restore's
 *      copies go to gc, R6) and keeps its tier. Restores act on current
 *      rows only (replication names versions: Q9 in posix_repl.c);
 *      lifecycle's expiration of a current version deletes through
 *      object_delete_if, which in an Enabled
 *      bucket makes a delete marker (object_delete_once calls
 *      posix_ver_delete).
 * V10. Lifecycle acts on other versions by id (version_expire,
 *      version_transition), each re-checking in its own atomic step what
 *      the engine's scan saw: version_expire removes a version only while
 *      it still has the mtime the scan saw (a "null" id may name a newer
 *      version since, V6) and is not the latest (or, for an expired object
 *      delete marker, is the latest, a marker, and the key's only
 *      version), through posix_ver_delete with the lock check (L3, never
 *      bypassed); version_transition moves the version's objects row
 *      wherever V2 put it, by the tier machinery's own (mtime, etag)
 *      checks. A noncurrent version's NoncurrentDays count from its
 *      successor's mtime: no row records when a version became noncurrent.
 *
 * State transition                         -> function
 *   current row -> noncurrent (moved, V2)     stash (posix_ver_make_room,
 *                                             posix_ver_delete)
 *   (none) -> delete marker                   insert_version (posix_ver_delete)
 *   noncurrent -> (none) + gc its data        drop_version (V7)
 *   newest noncurrent data -> current         promote (V5)
 *   noncurrent / lone marker -> (none)        posix_version_expire (V10)
 *   noncurrent -> noncurrent in a tier        posix_version_transition (V10)
 *
 * Schema v9: objects gains version_id (default ''); object_versions(bucket
 * -> buckets, key, seq, version_id, is_marker 0|1, mtime_ms, vkey;
 * PK(bucket, key, seq)) WITHOUT ROWID with INDEX object_versions_by_id
 * (bucket, key, version_id); the buckets row POSIX_VER_BUCKET (the
 * foreign key of objects needs it; bucket_list skips it).
 */
#include "posix_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/strutil.h"

/* The rank of the current row in a scan (V4): above every seq; START ranks above it. */
#define CUR_SEQ 4611686018427387904LL
#define START_SEQ (CUR_SEQ + 1)
#define SCAN_CHUNK 256u /* versions copied out per query by posix_version_scan */

const char *const posix_vr_stmt_sql[ST_LK_FIRST - ST_VR_FIRST] = {
    [ST_VR_STATE - ST_VR_FIRST] = "SELECT value FROM bucket_configs WHERE bucket = ?1 AND "
				  "name = 'versioning'",
    [ST_VR_CUR - ST_VR_FIRST] = "SELECT version_id, mtime_ms FROM objects WHERE bucket = ?1 AND "
				"key = ?2",
    [ST_VR_NEXT_SEQ - ST_VR_FIRST] = "SELECT coalesce(max(seq), 0) + 1 FROM object_versions "
				     "WHERE bucket = ?1 AND key = ?2",
    /* V2, V9: the row moves whole; its restore ends (the caller queued a done one's copies). */
    [ST_VR_STASH_OBJ - ST_VR_FIRST] = "UPDATE objects SET bucket = '" POSIX_VER_BUCKET
				      "', key = ?3, restore_state = 0, restore_until_ms = 0 "
				      "WHERE bucket = ?1 AND key = ?2",
    [ST_VR_STASH_PARTS - ST_VR_FIRST] = "UPDATE object_parts SET bucket = '" POSIX_VER_BUCKET
					"', key = ?3 WHERE bucket = ?1 AND key = ?2",
    [ST_VR_INSERT - ST_VR_FIRST] = "INSERT INTO object_versions(bucket, key, seq, version_id, "
				   "is_marker, mtime_ms, vkey) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_VR_FIND - ST_VR_FIRST] =
	"SELECT seq, is_marker, vkey, version_id, mtime_ms FROM "
	"object_versions WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
    [ST_VR_DELETE_ROW - ST_VR_FIRST] = "DELETE FROM object_versions WHERE bucket = ?1 AND "
				       "key = ?2 AND seq = ?3",
    [ST_VR_NEWEST - ST_VR_FIRST] = "SELECT seq, is_marker, vkey, version_id, mtime_ms FROM "
				   "object_versions WHERE bucket = ?1 AND key = ?2 "
				   "ORDER BY seq DESC LIMIT 1",
    [ST_VR_PROMOTE_OBJ - ST_VR_FIRST] = "UPDATE objects SET bucket = ?1, key = ?2 WHERE "
					"bucket = '" POSIX_VER_BUCKET "' AND key = ?3",
    [ST_VR_PROMOTE_PARTS - ST_VR_FIRST] = "UPDATE object_parts SET bucket = ?1, key = ?2 WHERE "
					  "bucket = '" POSIX_VER_BUCKET "' AND key = ?3",
    [ST_VR_SET_ID - ST_VR_FIRST] = "UPDATE objects SET version_id = ?3 WHERE bucket = ?1 AND "
				   "key = ?2",
    [ST_VR_ANY - ST_VR_FIRST] = "SELECT 1 FROM object_versions WHERE bucket = ?1 LIMIT 1",
    /*
     * ListObjectVersions (V4, V5): the current rows and the noncurrent ones
     * (with their data rows' etag, size and class) of keys in [?4, ?5)
     * (the prefix's range; ?5 NULL: no upper bound), after the position
     * (?2, ?3): versions of key ?2 ranked below ?3, then keys > ?2.
     */
    [ST_VR_SCAN - ST_VR_FIRST] =
	"SELECT key, seq, version_id, is_marker, mtime_ms, etag, size, storage_class, latest "
	"FROM (SELECT key, 4611686018427387904 AS seq, version_id, 0 AS is_marker, mtime_ms, "
	"etag, size, storage_class, 1 AS latest FROM objects WHERE bucket = ?1 AND key >= ?2 "
	"AND key >= ?4 AND (?5 IS NULL OR key < ?5) "
	"UNION ALL SELECT v.key, v.seq, v.version_id, v.is_marker, v.mtime_ms, "
	"coalesce(o.etag, ''), coalesce(o.size, 0), coalesce(o.storage_class, ''), "
	"(v.is_marker = 1 AND NOT EXISTS (SELECT 1 FROM objects c WHERE c.bucket = ?1 AND "
	"c.key = v.key) AND v.seq = (SELECT max(m.seq) FROM object_versions m WHERE "
	"m.bucket = ?1 AND m.key = v.key)) "
	"FROM object_versions v LEFT JOIN objects o ON o.bucket = '" POSIX_VER_BUCKET
	"' AND o.key = v.vkey WHERE v.bucket = ?1 AND v.key >= ?2 AND v.key >= ?4 AND "
	"(?5 IS NULL OR v.key < ?5)) "
	"WHERE key > ?2 OR seq < ?3 ORDER BY key, seq DESC LIMIT ?6",
    /* Q9: a replica's delete marker takes its source's id. */
    [ST_VR_RENAME - ST_VR_FIRST] = "UPDATE object_versions SET version_id = ?4 WHERE "
				   "bucket = ?1 AND key = ?2 AND version_id = ?3",
};

enum ver_state { VER_OFF, VER_ENABLED, VER_SUSPENDED };

/* The current row's version (V1), if there is a row. */
struct cur {
	bool found;
	char vid[STRATA_VERSION_ID_MAX];
	int64_t mtime_ms;
};

/* An object_versions row. */
struct vrow {
	int64_t seq;
	bool marker;
	char vkey[POSIX_ID_HEX + 1]; /* "" for a marker */
	char vid[STRATA_VERSION_ID_MAX];
	int64_t mtime_ms; /* the version's own (a marker's: when it was made) */
};

/* The id as stored (V1): "null" is ''. */
static const char *stored_id(const char *vid)
{
	return strcmp(vid, "null") == 0 ? "" : vid;
}

/* The id as shown: '' is "null". */
static void shown_id(const char *stored, char out[STRATA_VERSION_ID_MAX])
{
	str_copy(out, STRATA_VERSION_ID_MAX, stored[0] ? stored : "null");
}

/* V3: the bucket's versioning state. */
static s3err_t ver_state(struct conn *c, const char *bucket, enum ver_state *out)
{
	sqlite3_stmt *st = c->st[ST_VR_STATE];
	s3err_t err = S3E_OK;
	const void *v;
	int rc, n;

	*out = VER_OFF;
	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_blob(st, 0);
		n = sqlite3_column_bytes(st, 0);
		if (v && n == 7 && memcmp(v, "Enabled", 7) == 0)
			*out = VER_ENABLED;
		else if (v && n == 9 && memcmp(v, "Suspended", 9) == 0)
			*out = VER_SUSPENDED;
	} else if (rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "versioning state");
	}
	posix_stmt_done(st);
	return err;
}

static s3err_t cur_get(struct conn *c, const char *bucket, const char *key, struct cur *out)
{
	sqlite3_stmt *st = c->st[ST_VR_CUR];
	s3err_t err = S3E_OK;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = posix_step_texts2(st, bucket, key);
	if (rc == SQLITE_ROW) {
		out->found = true;
		out->mtime_ms = sqlite3_column_int64(st, 1);
		if (!posix_col_text(st, 0, out->vid, sizeof(out->vid))) {
			log_error(POSIX_LOG_MOD, "version id of an object in %s is malformed",
				  bucket);
			err = S3E_InternalError;
		}
	} else if (rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "current version lookup");
	}
	posix_stmt_done(st);
	return err;
}

/*
 * Decodes seq, is_marker, vkey, mtime_ms (and version_id when asked) of
 * ST_VR_FIND / ST_VR_NEWEST.
 */
static bool vrow_from(sqlite3_stmt *st, bool with_id, struct vrow *v)
{
	memset(v, 0, sizeof(*v));
	v->seq = sqlite3_column_int64(st, 0);
	v->marker = sqlite3_column_int(st, 1) == 1;
	v->mtime_ms = sqlite3_column_int64(st, 4);
	if (!posix_col_text(st, 2, v->vkey, sizeof(v->vkey)))
		return false;
	if (!v->marker && !posix_id_valid(v->vkey))
		return false; /* P5: it names an objects row, never a path, but stay strict */
	return !with_id || posix_col_text(st, 3, v->vid, sizeof(v->vid));
}

/* Runs ST_VR_FIND (with_id false) or ST_VR_NEWEST; *found when a row came back. */
static s3err_t vrow_get(struct conn *c, enum stmt which, const char *bucket, const char *key,
			const char *vid, struct vrow *out, bool *found)
{
	sqlite3_stmt *st = c->st[which];
	s3err_t err = S3E_OK;
	int rc;

	*found = false;
	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK && vid)
		rc = posix_bind_text(st, 3, vid);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = true;
		if (!vrow_from(st, which == ST_VR_NEWEST, out)) {
			log_error(POSIX_LOG_MOD, "version row of an object in %s is malformed",
				  bucket);
			err = S3E_InternalError;
		} else if (which == ST_VR_FIND) {
			str_copy(out->vid, sizeof(out->vid), vid);
		}
	} else if (rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "version lookup");
	}
	posix_stmt_done(st);
	return err;
}

/* V4: inserts an object_versions row with the key's next seq. */
static s3err_t insert_version(struct conn *c, const char *bucket, const char *key, const char *vid,
			      bool marker, int64_t mtime_ms, const char *vkey)
{
	sqlite3_stmt *st = c->st[ST_VR_NEXT_SEQ];
	sqlite3_int64 seq = 0;
	int rc;

	rc = posix_step_texts2(st, bucket, key);
	if (rc == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	posix_stmt_done(st);
	if (rc != SQLITE_OK)
		return posix_db_err(c, rc, "version seq");
	st = c->st[ST_VR_INSERT];
	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, seq);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 4, vid);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 5, marker ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, mtime_ms);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 7, vkey);
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "version insert");
}

/*
 * V2, V9: moves the current row cur of bucket/key (and its parts) to
 * noncurrent. A done restore's copies go to gc (old->parts asks the caller
 * to drain gc after its commit).
 */
static s3err_t stash(struct conn *c, const char *bucket, const char *key, const struct cur *cur,
		     struct retired *old)
{
	const char *a[3] = {bucket, key, NULL};
	char vkey[POSIX_ID_HEX + 1];
	struct obj_files o;
	bool found = false, copy = false, parts = false;
	s3err_t err;
	int rc;

	err = posix_obj_files_get(c, bucket, key, &o, &found);
	if (err == S3E_OK && found && o.restore_state == RESTORE_DONE) {
		err = posix_rs_queue_copies(c, bucket, key, &o, &copy, &parts);
		if (copy || parts)
			old->parts = true; /* posix_retired_finish drains gc */
	}
	if (err == S3E_OK)
		err = posix_id_new(vkey);
	if (err != S3E_OK)
		return err;
	a[2] = vkey;
	rc = posix_run_texts(c->st[ST_VR_STASH_OBJ], a, 3);
	if (rc == SQLITE_OK)
		rc = posix_run_texts(c->st[ST_VR_STASH_PARTS], a, 3);
	if (rc != SQLITE_OK)
		return posix_db_err(c, rc, "version stash");
	return insert_version(c, bucket, key, cur->vid, false, cur->mtime_ms, vkey);
}

/* Retires the objects row (bucket, key) and its data (V7); *found whether there was one. */
static s3err_t remove_row(struct conn *c, const char *bucket, const char *key, struct retired *old,
			  bool *found)
{
	const char *bk[2] = {bucket, key};
	s3err_t err;
	int rc;

	err = posix_obj_retire(c, bucket, key, old, found);
	if (err != S3E_OK || !*found)
		return err;
	rc = posix_run_texts(c->st[ST_OBJ_DELETE], bk, 2);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "object delete");
}

/* V7: removes the noncurrent version v of bucket/key for good. */
static s3err_t drop_version(struct conn *c, const char *bucket, const char *key,
			    const struct vrow *v, struct retired *old)
{
	sqlite3_stmt *st = c->st[ST_VR_DELETE_ROW];
	bool found = false;
	s3err_t err = S3E_OK;
	int rc;

	if (!v->marker)
		err = remove_row(c, POSIX_VER_BUCKET, v->vkey, old, &found);
	if (err != S3E_OK)
		return err;
	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, v->seq);
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "version delete");
}

/* V5: with no current row, the newest noncurrent version, if it holds data, becomes current. */
static s3err_t promote(struct conn *c, const char *bucket, const char *key)
{
	const char *a[3] = {bucket, key, NULL};
	struct vrow v;
	struct cur cur;
	bool found = false;
	s3err_t err;
	int rc;

	err = cur_get(c, bucket, key, &cur);
	if (err != S3E_OK || cur.found)
		return err;
	err = vrow_get(c, ST_VR_NEWEST, bucket, key, NULL, &v, &found);
	if (err != S3E_OK || !found || v.marker)
		return err;
	a[2] = v.vkey;
	rc = posix_run_texts(c->st[ST_VR_PROMOTE_OBJ], a, 3);
	if (rc == SQLITE_OK)
		rc = posix_run_texts(c->st[ST_VR_PROMOTE_PARTS], a, 3);
	if (rc != SQLITE_OK)
		return posix_db_err(c, rc, "version promote");
	v.marker = true; /* its data row is current again: only the version row goes */
	return drop_version(c, bucket, key, &v, NULL);
}

/* V6: removes the noncurrent null version of bucket/key, if any. */
static s3err_t drop_null(struct conn *c, const char *bucket, const char *key, struct retired *old)
{
	struct vrow v;
	bool found = false;
	s3err_t err;

	err = vrow_get(c, ST_VR_FIND, bucket, key, "", &v, &found);
	if (err == S3E_OK && found && !v.marker)
		err = posix_lock_check(c, POSIX_VER_BUCKET, v.vkey, false); /* L3 */
	if (err == S3E_OK && found)
		err = drop_version(c, bucket, key, &v, old);
	return err;
}

s3err_t posix_ver_make_room(struct conn *c, const char *bucket, const char *key,
			    struct retired *old, bool *found, char report[STRATA_VERSION_ID_MAX])
{
	enum ver_state state;
	struct cur cur;
	s3err_t err;

	*old = (struct retired){"", "", false, false};
	*found = false;
	report[0] = '\0';
	err = ver_state(c, bucket, &state);
	if (err != S3E_OK)
		return err;
	if (state == VER_OFF)
		return posix_obj_retire(c, bucket, key, old, found);
	err = cur_get(c, bucket, key, &cur);
	if (err != S3E_OK)
		return err;
	if (state == VER_ENABLED) {
		err = versions_id_new(report);
		if (err == S3E_OK && cur.found)
			err = stash(c, bucket, key, &cur, old);
		return err;
	}
	/* Suspended: the new null version replaces the old one (V6), wherever it is. */
	str_copy(report, STRATA_VERSION_ID_MAX, "null");
	if (cur.found && !cur.vid[0]) {
		err = posix_lock_check(c, bucket, key, false); /* L3 */
		return err == S3E_OK ? posix_obj_retire(c, bucket, key, old, found) : err;
	}
	err = drop_null(c, bucket, key, old);
	if (err == S3E_OK && cur.found)
		err = stash(c, bucket, key, &cur, old);
	return err;
}

s3err_t posix_ver_set(struct conn *c, const char *bucket, const char *key, const char *report,
		      const struct obj_meta *m)
{
	const char *a[3] = {bucket, key, report};
	int rc;

	/* An upsert leaves version_id as it was, and the rows it replaces are null ones. */
	if (!report[0] || strcmp(report, "null") == 0)
		return posix_lock_commit(c, bucket, key, false, m); /* L2: never locked */
	rc = posix_run_texts(c->st[ST_VR_SET_ID], a, 3);
	if (rc != SQLITE_OK)
		return posix_db_err(c, rc, "version id set");
	return posix_lock_commit(c, bucket, key, true, m);
}

s3err_t posix_ver_keep_id(struct conn *c, const char *bucket, const char *key, const char *want,
			  char id[STRATA_VERSION_ID_MAX], bool *again)
{
	const char *a[4] = {bucket, key, id, want};
	struct vrow v;
	bool found = false;
	s3err_t err;
	int rc;

	if (again)
		*again = false;
	/* Only a new id yields: "" and "null" are the bucket's state speaking (V1, V6). */
	if (!want || !want[0] || !id[0] || strcmp(id, "null") == 0)
		return S3E_OK;
	if (!versions_id_valid(want) || strcmp(want, "null") == 0)
		return S3E_InvalidArgument;
	/* The key's other versions are all in object_versions by now (stash). */
	err = vrow_get(c, ST_VR_FIND, bucket, key, want, &v, &found);
	if (err != S3E_OK)
		return err;
	if (found) {
		if (!again || !v.marker)
			return S3E_InvalidArgument; /* two versions of a key never share an id */
		*again = true;
		str_copy(id, STRATA_VERSION_ID_MAX, want);
		return S3E_OK;
	}
	if (again) {
		rc = posix_run_texts(c->st[ST_VR_RENAME], a, 4);
		if (rc != SQLITE_OK)
			return posix_db_err(c, rc, "version rename");
	}
	str_copy(id, STRATA_VERSION_ID_MAX, want);
	return S3E_OK;
}

s3err_t posix_ver_enabled(struct conn *c, const char *bucket, bool *enabled)
{
	enum ver_state state = VER_OFF;
	s3err_t err = ver_state(c, bucket, &state);

	*enabled = err == S3E_OK && state == VER_ENABLED;
	return err;
}

/* Deletes the key (no version id) in a versioned bucket: a new delete marker on top. */
static s3err_t delete_latest(struct conn *c, const char *bucket, const char *key,
			     enum ver_state state, struct retired *old, struct delete_result *out)
{
	char vid[STRATA_VERSION_ID_MAX] = "";
	struct cur cur;
	bool found = false;
	s3err_t err;

	err = cur_get(c, bucket, key, &cur);
	if (err != S3E_OK)
		return err;
	if (state == VER_ENABLED) {
		err = versions_id_new(vid);
		if (err == S3E_OK && cur.found)
			err = stash(c, bucket, key, &cur, old);
	} else if (cur.found && !cur.vid[0]) {
		err = posix_lock_check(c, bucket, key, false); /* L3 */
		if (err == S3E_OK)
			err = remove_row(c, bucket, key, old,
					 &found); /* V6: the marker replaces it */
	} else {
		err = drop_null(c, bucket, key, old);
		if (err == S3E_OK && cur.found)
			err = stash(c, bucket, key, &cur, old);
	}
	if (err == S3E_OK)
		err = posix_bucket_exists(c, bucket); /* the marker's foreign key, as an S3 error */
	if (err == S3E_OK)
		err = insert_version(c, bucket, key, vid, true, posix_now_ms(), "");
	if (err == S3E_OK) {
		shown_id(vid, out->version_id);
		out->delete_marker = true;
	}
	return err;
}

s3err_t posix_ver_delete(struct conn *c, const char *bucket, const char *key,
			 const char *version_id, bool bypass, struct retired *old, bool *found,
			 struct delete_result *out)
{
	enum ver_state state = VER_OFF;
	struct vrow v;
	struct cur cur;
	bool vfound = false;
	s3err_t err;

	*old = (struct retired){"", "", false, false};
	*found = false;
	memset(out, 0, sizeof(*out));
	if (!version_id) {
		err = ver_state(c, bucket, &state);
		if (err != S3E_OK)
			return err;
		if (state == VER_OFF)
			return remove_row(c, bucket, key, old, found);
		*found = true;
		return delete_latest(c, bucket, key, state, old, out);
	}
	err = cur_get(c, bucket, key, &cur);
	if (err != S3E_OK)
		return err;
	if (cur.found && strcmp(cur.vid, stored_id(version_id)) == 0) {
		err = posix_lock_check(c, bucket, key, bypass); /* L3 */
		if (err == S3E_OK)
			err = remove_row(c, bucket, key, old, found);
	} else {
		err = vrow_get(c, ST_VR_FIND, bucket, key, stored_id(version_id), &v, &vfound);
		if (err != S3E_OK || !vfound)
			return err;
		*found = true;
		out->delete_marker = v.marker;
		if (!v.marker)
			err = posix_lock_check(c, POSIX_VER_BUCKET, v.vkey, bypass); /* L3 */
		if (err == S3E_OK)
			err = drop_version(c, bucket, key, &v, old);
	}
	if (err == S3E_OK)
		err = promote(c, bucket, key);
	if (err == S3E_OK)
		str_copy(out->version_id, sizeof(out->version_id), version_id);
	return err;
}

s3err_t posix_ver_locate(struct conn *c, const char *bucket, const char *key,
			 const char *version_id, char lbucket[STRATA_BUCKET_NAME_MAX + 1],
			 char lkey[STRATA_MAX_KEY_LEN + 1], bool *marker,
			 char found_id[STRATA_VERSION_ID_MAX])
{
	struct vrow v;
	struct cur cur;
	bool found = false;
	s3err_t err;

	*marker = false;
	err = cur_get(c, bucket, key, &cur);
	if (err != S3E_OK)
		return err;
	if (cur.found && strcmp(cur.vid, stored_id(version_id)) == 0) {
		str_copy(lbucket, STRATA_BUCKET_NAME_MAX + 1, bucket);
		str_copy(lkey, STRATA_MAX_KEY_LEN + 1, key);
	} else {
		err = vrow_get(c, ST_VR_FIND, bucket, key, stored_id(version_id), &v, &found);
		if (err != S3E_OK)
			return err;
		if (!found) {
			err = posix_bucket_exists(c, bucket);
			return err == S3E_OK ? S3E_NoSuchVersion : err;
		}
		*marker = v.marker;
		str_copy(lbucket, STRATA_BUCKET_NAME_MAX + 1, POSIX_VER_BUCKET);
		str_copy(lkey, STRATA_MAX_KEY_LEN + 1, v.vkey);
	}
	str_copy(found_id, STRATA_VERSION_ID_MAX, version_id);
	return S3E_OK;
}

s3err_t posix_ver_latest_marker(struct conn *c, const char *bucket, const char *key, bool *marker,
				char version_id[STRATA_VERSION_ID_MAX])
{
	struct vrow v;
	bool found = false;
	s3err_t err;

	*marker = false;
	err = vrow_get(c, ST_VR_NEWEST, bucket, key, NULL, &v, &found);
	if (err == S3E_OK && found && v.marker) {
		*marker = true;
		shown_id(v.vid, version_id);
	}
	return err;
}

s3err_t posix_ver_any(struct conn *c, const char *bucket, bool *any)
{
	sqlite3_stmt *st = c->st[ST_VR_ANY];
	s3err_t err = S3E_OK;
	int rc;

	*any = false;
	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*any = true;
	else if (rc != SQLITE_DONE)
		err = posix_db_err(c, rc, "version count");
	posix_stmt_done(st);
	return err;
}

/* --- ListObjectVersions --- */

struct scan_vrow {
	char key[STRATA_MAX_KEY_LEN + 1];
	int64_t seq;
	bool latest;
	struct obj_meta meta;
};

static bool scan_vrow_decode(sqlite3_stmt *st, size_t n, void *rows)
{
	struct scan_vrow *r = &((struct scan_vrow *)rows)[n];
	char vid[STRATA_VERSION_ID_MAX];

	obj_meta_init(&r->meta);
	if (!posix_col_text(st, 0, r->key, sizeof(r->key)) ||
	    !posix_col_text(st, 2, vid, sizeof(vid)) ||
	    !posix_col_text(st, 5, r->meta.etag, sizeof(r->meta.etag)) ||
	    !posix_col_text(st, 7, r->meta.storage_class, sizeof(r->meta.storage_class)))
		return false;
	r->seq = sqlite3_column_int64(st, 1);
	shown_id(vid, r->meta.version_id);
	r->meta.delete_marker = sqlite3_column_int(st, 3) == 1;
	r->meta.mtime_ms = sqlite3_column_int64(st, 4);
	r->meta.size = (uint64_t)sqlite3_column_int64(st, 6);
	r->latest = sqlite3_column_int(st, 8) == 1;
	return true;
}

/* Within a read snapshot: the rank (V4) where position (key, vid) continues. */
static s3err_t start_seq(struct conn *c, const char *bucket, const char *key, const char *vid,
			 int64_t *out)
{
	struct vrow v;
	struct cur cur;
	bool found = false;
	s3err_t err;

	*out = 0; /* "" or an unknown id: keys > key */
	if (!vid) {
		*out = START_SEQ;
		return S3E_OK;
	}
	if (!vid[0])
		return S3E_OK;
	err = cur_get(c, bucket, key, &cur);
	if (err != S3E_OK)
		return err;
	if (cur.found && strcmp(cur.vid, stored_id(vid)) == 0) {
		*out = CUR_SEQ;
		return S3E_OK;
	}
	err = vrow_get(c, ST_VR_FIND, bucket, key, stored_id(vid), &v, &found);
	if (err == S3E_OK && found)
		*out = v.seq;
	return err;
}

/* One chunk of the scan from (key, *seq), in one read snapshot. */
static s3err_t scan_chunk(struct conn *c, const char *bucket, const char *key, const char *vid,
			  int64_t *seq, bool first, const char *prefix, const char *upper,
			  struct scan_vrow *rows, size_t cap, size_t *got)
{
	sqlite3_stmt *st = c->st[ST_VR_SCAN];
	s3err_t err;
	int rc;

	err = posix_tx_begin_read(c);
	if (err == S3E_OK)
		err = posix_bucket_exists(c, bucket);
	if (err == S3E_OK && first)
		err = start_seq(c, bucket, key, vid, seq);
	if (err != S3E_OK)
		goto out;
	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, *seq);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 4, prefix);
	if (rc == SQLITE_OK)
		rc = upper ? posix_bind_text(st, 5, upper) : sqlite3_bind_null(st, 5);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, (sqlite3_int64)cap);
	err = posix_fetch_rows(c, st, rc, cap, "version scan", scan_vrow_decode, rows, got);
	posix_stmt_done(st);
out:
	posix_tx_rollback(c);
	return err;
}

s3err_t posix_version_scan(struct backend *be, const char *bucket, const char *key, const char *vid,
			   const char *prefix, size_t limit, versions_visit_fn visit, void *ctx)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct scan_vrow *rows = NULL;
	char *upper = NULL, *pos = NULL;
	size_t cap = limit < SCAN_CHUNK ? limit : SCAN_CHUNK, got = 0, i, seen = 0;
	int64_t seq = 0;
	bool first = true;
	struct conn *c;
	s3err_t err;

	if (limit == 0)
		return S3E_OK;
	err = posix_prefix_upper(prefix, &upper);
	if (err != S3E_OK)
		return err;
	rows = calloc(cap, sizeof(*rows));
	pos = strdup(key);
	if (!rows || !pos) {
		err = S3E_InternalError;
		goto out;
	}
	for (;;) {
		c = posix_pool_get(pb);
		err = scan_chunk(c, bucket, pos, vid, &seq, first, prefix, upper, rows, cap, &got);
		posix_pool_put(pb, c); /* P4: visitors may call back into the backend */
		first = false;
		if (err != S3E_OK)
			goto out;
		for (i = 0; i < got; i++, seen++)
			if (seen == limit ||
			    !visit(ctx, rows[i].key, &rows[i].meta, rows[i].latest))
				goto out;
		if (got < cap || seen == limit)
			goto out;
		free(pos);
		pos = strdup(rows[got - 1].key);
		if (!pos) {
			err = S3E_InternalError;
			goto out;
		}
		seq = rows[got - 1].seq;
	}
out:
	free(pos);
	free(rows);
	free(upper);
	return err;
}

/* --- lifecycle of versions (V10) --- */

/*
 * V10, in the write transaction: version vid of bucket/key is still the one
 * the lifecycle engine saw (mtime_ms), not the key's latest (lone_marker
 * false), or its latest version and a delete marker (lone_marker true; that
 * nothing older is left is checked once it is gone, see still_empty).
 */
static s3err_t expire_check(struct conn *c, const char *bucket, const char *key, const char *vid,
			    int64_t mtime_ms, bool lone_marker)
{
	struct vrow v, newest;
	struct cur cur;
	bool found = false, latest;
	s3err_t err;

	err = cur_get(c, bucket, key, &cur);
	if (err != S3E_OK)
		return err;
	if (cur.found && strcmp(cur.vid, stored_id(vid)) == 0)
		return S3E_PreconditionFailed; /* current again (V5), or a new null version (V6) */
	err = vrow_get(c, ST_VR_FIND, bucket, key, stored_id(vid), &v, &found);
	if (err != S3E_OK)
		return err;
	if (!found || v.mtime_ms != mtime_ms)
		return S3E_PreconditionFailed; /* gone, or another null version since */
	err = vrow_get(c, ST_VR_NEWEST, bucket, key, NULL, &newest, &found);
	if (err != S3E_OK)
		return err;
	latest = !cur.found && found && newest.seq == v.seq;
	if (lone_marker)
		return v.marker && latest ? S3E_OK : S3E_PreconditionFailed;
	return latest ? S3E_PreconditionFailed : S3E_OK;
}

/* V10: after removing a lone marker nothing of the key may be left (else it was not alone). */
static s3err_t still_empty(struct conn *c, const char *bucket, const char *key)
{
	struct vrow v;
	struct cur cur;
	bool found = false;
	s3err_t err;

	err = cur_get(c, bucket, key, &cur);
	if (err == S3E_OK)
		err = vrow_get(c, ST_VR_NEWEST, bucket, key, NULL, &v, &found);
	if (err == S3E_OK && (cur.found || found))
		err = S3E_PreconditionFailed;
	return err;
}

/*
 * The version_expire slot (contract in backend.h): the check and
 * posix_ver_delete (its lock check L3 without bypass, V5, V7) in one write
 * transaction. The data files go after the commit (posix_retired_finish).
 */
s3err_t posix_version_expire(struct backend *be, const char *bucket, const char *key,
			     const char *version_id, int64_t mtime_ms, bool lone_marker)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct retired old = {"", "", false, false};
	struct delete_result res;
	bool found = false;
	struct conn *c;
	s3err_t err;

	if (strlen(bucket) > STRATA_BUCKET_NAME_MAX || strlen(key) > STRATA_MAX_KEY_LEN ||
	    !versions_id_valid(version_id)) {
		log_error(POSIX_LOG_MOD, "version_expire called with an invalid argument");
		return S3E_InternalError;
	}
	c = posix_pool_get(pb);
	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = posix_bucket_exists(c, bucket);
	if (err == S3E_OK)
		err = expire_check(c, bucket, key, version_id, mtime_ms, lone_marker);
	if (err == S3E_OK)
		err = posix_ver_delete(c, bucket, key, version_id, false, &old, &found, &res);
	if (err == S3E_OK && !found)
		err = S3E_PreconditionFailed;
	if (err == S3E_OK && lone_marker)
		err = still_empty(c, bucket, key);
	if (err == S3E_OK) {
		err = posix_tx_commit(c);
		if (err == S3E_OK)
			posix_retired_finish(pb, c, &old);
	}
	posix_tx_rollback(c); /* after the COMMIT a no-op */
	posix_pool_put(pb, c);
	return err;
}

/*
 * The version_transition slot (contract in backend.h): where the version's
 * objects row is (V2: a noncurrent one under POSIX_VER_BUCKET), then the
 * transition of that row (T5 in posix_tiers.c), whose load and switch
 * re-check it by (mtime_ms, etag): a row moved since (V2, V5) is
 * S3E_PreconditionFailed there.
 */
s3err_t posix_version_transition(struct backend *be, const char *bucket, const char *key,
				 const char *version_id, int64_t mtime_ms, const char *etag,
				 const char *storage_class)
{
	struct posix_be *pb = (struct posix_be *)be;
	char lbucket[STRATA_BUCKET_NAME_MAX + 1], lkey[STRATA_MAX_KEY_LEN + 1];
	char found_id[STRATA_VERSION_ID_MAX];
	bool marker = false;
	struct conn *c;
	s3err_t err;

	if (strlen(bucket) > STRATA_BUCKET_NAME_MAX || strlen(key) > STRATA_MAX_KEY_LEN ||
	    !versions_id_valid(version_id)) {
		log_error(POSIX_LOG_MOD, "version_transition called with an invalid argument");
		return S3E_InternalError;
	}
	c = posix_pool_get(pb);
	err = posix_tx_begin_read(c);
	if (err == S3E_OK)
		err =
		    posix_ver_locate(c, bucket, key, version_id, lbucket, lkey, &marker, found_id);
	posix_tx_rollback(c); /* ends the read snapshot */
	posix_pool_put(pb, c);
	if (err == S3E_NoSuchVersion || (err == S3E_OK && marker))
		return S3E_PreconditionFailed;
	if (err != S3E_OK)
		return err;
	return posix_object_transition(be, lbucket, lkey, mtime_ms, etag, storage_class);
}
