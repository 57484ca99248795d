/*
 * posix_lock: Object Lock in the posix backend (issue 12, on top of
 * posix_versions.c's V1..V9).
 *
 * Invariants:
 *  L1. A version's lock lives on its objects row (schema v10: lock_mode
 *      0 none | 1 GOVERNANCE | 2 COMPLIANCE, lock_until_ms, legal_hold
 *      0|1), so it moves with the row when the version becomes noncurrent
 *      (V2) or current again (V5). A delete marker has no lock.
 *  L2. The bucket's lock configuration is its configuration document
 *      OBJLOCK_BUCKET_CONFIG (the compact form of common/objlock.h). It is
 *      written only while the bucket's versioning is Enabled (bucket_lock_put
 *      checks both in one transaction; a locked bucket is created with both
 *      at once), and the transaction that would change its versioning
 *      afterwards refuses (posix_lock_config_guard): a lock-enabled bucket
 *      is Enabled, so its writes never replace a row in
 *      place (V3) and a locked row leaves only by a delete by id.
 *  L3. Every removal of a version for good (posix_ver_delete by id, a
 *      Suspended write or delete replacing the null version) asks
 *      posix_lock_check inside its own write transaction first: a row under
 *      legal hold, or whose retention has not passed, stays (AccessDenied),
 *      GOVERNANCE excepted for a caller with the bypass. Lifecycle, scrub
 *      and gc remove no row but through these (the scrub's orphan pass only
 *      unlinks files no row names), so none of them can skip it.
 *  L4. A commit's lock is decided in its transaction (posix_lock_commit):
 *      the request's, else the bucket's default retention counted from the
 *      commit's mtime; asking any without the document is InvalidRequest.
 *      The upsert of an overwrite in place resets the lock columns (posix.c
 *      ST_OBJ_UPSERT), so a lock never outlives its version.
 */
#include "posix_internal.h"

#include <string.h>

#include "../common/log.h"
#include "../common/objlock.h"
#include "../common/strutil.h"

const char *const posix_lk_stmt_sql[ST__COUNT - ST_LK_FIRST] = {
    [ST_LK_CFG - ST_LK_FIRST] =
	"SELECT value FROM bucket_configs WHERE bucket = ?1 AND name = '" OBJLOCK_BUCKET_CONFIG "'",
    [ST_LK_GET - ST_LK_FIRST] = "SELECT lock_mode, lock_until_ms, legal_hold FROM objects "
				"WHERE bucket = ?1 AND key = ?2",
    [ST_LK_SET - ST_LK_FIRST] = "UPDATE objects SET lock_mode = ?3, lock_until_ms = ?4, "
				"legal_hold = ?5 WHERE bucket = ?1 AND key = ?2",
    [ST_LK_CFG_PUT - ST_LK_FIRST] = "INSERT INTO bucket_configs(bucket, name, value) "
				    "VALUES(?1, ?2, ?3) ON CONFLICT(bucket, name) DO UPDATE "
				    "SET value = excluded.value",
};

/* A row's lock (L1). */
struct row_lock {
	int mode;
	int64_t until_ms;
	bool hold;
};

/* L2: the bucket's lock configuration; *found false when it has none. */
static s3err_t cfg_get(struct conn *c, const char *bucket, struct objlock_cfg *out, bool *found)
{
	sqlite3_stmt *st = c->st[ST_LK_CFG];
	s3err_t err = S3E_OK;
	int rc;

	*found = false;
	memset(out, 0, sizeof(*out));
	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *v = sqlite3_column_blob(st, 0);
		int n = sqlite3_column_bytes(st, 0);

		*found = true;
		err = n >= 0 && v ? objlock_cfg_decode(v, (size_t)n, out) : S3E_InternalError;
		if (err != S3E_OK)
			log_error(POSIX_LOG_MOD, "object lock configuration of %s is malformed",
				  bucket);
	} else if (rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "object lock configuration");
	}
	posix_stmt_done(st);
	return err;
}

/* The lock of objects row (bucket, key); *found false when there is no such row. */
static s3err_t row_lock_get(struct conn *c, const char *bucket, const char *key,
			    struct row_lock *out, bool *found)
{
	sqlite3_stmt *st = c->st[ST_LK_GET];
	s3err_t err = S3E_OK;
	int rc;

	*found = false;
	memset(out, 0, sizeof(*out));
	rc = posix_step_texts2(st, bucket, key);
	if (rc == SQLITE_ROW) {
		*found = true;
		out->mode = sqlite3_column_int(st, 0);
		out->until_ms = sqlite3_column_int64(st, 1);
		out->hold = sqlite3_column_int(st, 2) == 1;
	} else if (rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "object lock lookup");
	}
	posix_stmt_done(st);
	return err;
}

static s3err_t row_lock_set(struct conn *c, const char *bucket, const char *key,
			    const struct row_lock *l)
{
	sqlite3_stmt *st = c->st[ST_LK_SET];
	int rc;

	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, l->mode);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, l->mode == OBJLOCK_NONE ? 0 : l->until_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 5, l->hold ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "object lock set");
}

/* Whether retention l is still in force at now_ms. */
static bool retained(const struct row_lock *l, int64_t now_ms)
{
	return l->mode != OBJLOCK_NONE && l->until_ms > now_ms;
}

s3err_t posix_lock_check(struct conn *c, const char *bucket, const char *key, bool bypass)
{
	struct row_lock l;
	bool found = false;
	s3err_t err;

	err = row_lock_get(c, bucket, key, &l, &found);
	if (err != S3E_OK || !found)
		return err;
	if (l.hold)
		return S3E_AccessDenied;
	if (retained(&l, posix_now_ms()) && (l.mode == OBJLOCK_COMPLIANCE || !bypass))
		return S3E_AccessDenied;
	return S3E_OK;
}

s3err_t posix_lock_commit(struct conn *c, const char *bucket, const char *key, bool versioned,
			  const struct obj_meta *m)
{
	struct objlock_cfg cfg;
	struct row_lock l = {m->lock_mode, m->lock_until_ms, m->legal_hold};
	bool asked = m->lock_mode != OBJLOCK_NONE || m->legal_hold, found = false;
	s3err_t err;

	/* L2: only an Enabled bucket can have the document; the others need no query. */
	if (!versioned)
		return asked ? S3E_InvalidRequest : S3E_OK;
	err = cfg_get(c, bucket, &cfg, &found);
	if (err != S3E_OK)
		return err;
	if (!found)
		return asked ? S3E_InvalidRequest : S3E_OK;
	if (l.mode == OBJLOCK_NONE && cfg.mode != OBJLOCK_NONE) {
		l.mode = cfg.mode;
		l.until_ms = objlock_default_until(&cfg, m->mtime_ms);
	}
	if (l.mode == OBJLOCK_NONE && !l.hold)
		return S3E_OK;
	return row_lock_set(c, bucket, key, &l);
}

/*
 * Whether change ch may be made to lock cur (AWS's rules; the caller's
 * permission to bypass is in ch). Only an active retention constrains.
 */
static bool change_allowed(const struct row_lock *cur, const struct lock_change *ch, int64_t now)
{
	if (!ch->set_retention || !retained(cur, now))
		return true;
	if (cur->mode == OBJLOCK_COMPLIANCE)
		return ch->mode == OBJLOCK_COMPLIANCE && ch->until_ms >= cur->until_ms;
	/*
	 * GOVERNANCE: extending it is anyone's; shortening, removing it or
	 * changing its mode (even to COMPLIANCE, as AWS rules) needs the bypass.
	 */
	if (ch->mode == OBJLOCK_GOVERNANCE && ch->until_ms >= cur->until_ms)
		return true;
	return ch->bypass_governance;
}

/* Within a transaction: where the version's row is (V1, V5). */
static s3err_t locate(struct conn *c, const char *bucket, const char *key, const char *version_id,
		      char lb[STRATA_BUCKET_NAME_MAX + 1], char lk[STRATA_MAX_KEY_LEN + 1])
{
	char found_id[STRATA_VERSION_ID_MAX];
	bool marker = false;
	s3err_t err;

	if (!version_id) {
		str_copy(lb, STRATA_BUCKET_NAME_MAX + 1, bucket);
		str_copy(lk, STRATA_MAX_KEY_LEN + 1, key);
		return S3E_OK;
	}
	err = posix_ver_locate(c, bucket, key, version_id, lb, lk, &marker, found_id);
	if (err == S3E_OK && marker)
		err = S3E_MethodNotAllowed;
	return err;
}

s3err_t posix_object_lock_set(struct backend *be, const char *bucket, const char *key,
			      const char *version_id, const struct lock_change *ch)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c = posix_pool_get(pb);
	char lb[STRATA_BUCKET_NAME_MAX + 1], lk[STRATA_MAX_KEY_LEN + 1];
	struct objlock_cfg cfg;
	struct row_lock l;
	bool found = false;
	s3err_t err;

	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = posix_bucket_exists(c, bucket);
	if (err == S3E_OK)
		err = cfg_get(c, bucket, &cfg, &found);
	if (err == S3E_OK && !found)
		err = S3E_InvalidRequest;
	if (err == S3E_OK)
		err = locate(c, bucket, key, version_id, lb, lk);
	if (err == S3E_OK)
		err = row_lock_get(c, lb, lk, &l, &found);
	if (err == S3E_OK && !found)
		err = S3E_NoSuchKey; /* no current row: absent, or a delete marker on top */
	if (err != S3E_OK)
		goto out;
	if (!change_allowed(&l, ch, posix_now_ms())) {
		err = S3E_AccessDenied;
		goto out;
	}
	if (ch->set_retention) {
		l.mode = ch->mode;
		l.until_ms = ch->until_ms;
	}
	if (ch->set_hold)
		l.hold = ch->legal_hold;
	err = row_lock_set(c, lb, lk, &l);
	if (err == S3E_OK)
		err = posix_tx_commit(c);
out:
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
	return err;
}

s3err_t posix_bucket_lock_put(struct backend *be, const char *bucket, const char *doc, size_t len)
{
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c = posix_pool_get(pb);
	bool enabled = false;
	s3err_t err;

	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = posix_bucket_exists(c, bucket);
	if (err == S3E_OK)
		err = posix_ver_enabled(c, bucket, &enabled);
	if (err == S3E_OK && !enabled)
		err = S3E_InvalidBucketState; /* L2 */
	if (err == S3E_OK)
		err = posix_lock_config_write(c, bucket, doc, len);
	if (err == S3E_OK)
		err = posix_tx_commit(c);
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
	return err;
}

s3err_t posix_lock_config_guard(struct conn *c, const char *bucket, const char *name,
				const char *value, size_t len)
{
	static const char enabled[] = "Enabled";
	struct objlock_cfg cfg;
	bool found = false;
	s3err_t err;

	if (strcmp(name, "versioning") != 0 ||
	    (value && len == sizeof(enabled) - 1 && memcmp(value, enabled, len) == 0))
		return S3E_OK;
	err = cfg_get(c, bucket, &cfg, &found);
	if (err == S3E_OK && found)
		err = S3E_InvalidBucketState;
	return err;
}

/* Within a transaction: stores configuration document name = value (L2). */
static s3err_t doc_put(struct conn *c, const char *bucket, const char *name, const char *value,
		       size_t len)
{
	sqlite3_stmt *st = c->st[ST_LK_CFG_PUT];
	int rc;

	rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, name);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 3, value, (int)len, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "bucket configuration write");
}

s3err_t posix_lock_config_write(struct conn *c, const char *bucket, const char *doc, size_t len)
{
	return doc_put(c, bucket, OBJLOCK_BUCKET_CONFIG, doc, len);
}

s3err_t posix_lock_bucket_init(struct conn *c, const char *bucket)
{
	static const char enabled[] = "Enabled";
	s3err_t err;

	/* L2: versioning and lock together, in the creating transaction. */
	err = doc_put(c, bucket, "versioning", enabled, sizeof(enabled) - 1);
	if (err == S3E_OK)
		err = posix_lock_config_write(c, bucket, enabled, sizeof(enabled) - 1);
	return err;
}
