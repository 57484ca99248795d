/*
 * posix_inline: small objects' bytes kept in the index (DESIGN.md: "small
 * objects may live inline in the index").
 *
 * A small PUT that writes a data file pays for its file more than for its
 * row: create, fsync, rename, the fsync of objects/xx/, and the unlink of
 * the file it replaces (about 45% of the server's time per 4 KiB PUT,
 * docs/PERFORMANCE.md). Kept in inline_data (schema v12), the same bytes
 * ride in the group commit's one WAL fsync.
 *
 * Invariants:
 *  I1. A single PUT's writer (W_OBJECT) at home keeps its stored bytes in
 *      memory while they fit POSIX_INLINE_STORED_MAX and never creates
 *      tmp/ID (posix_data.c, tmp_emit). Its commit inserts inline_data(id,
 *      bytes) in the transaction that inserts its row: both or neither.
 *      The bytes are exactly what its file would hold (frames F1, sealed
 *      under the file's key F5): inline changes where bytes are, never what
 *      they are, so readers and the scrubber verify them as a file's.
 *  I2. A home id's bytes are in inline_data or in objects/xx/ID, never in
 *      both; rows do not say which, so whoever opens a home file asks
 *      inline_data first (posix_inline_open), in its row's read snapshot
 *      where it has one.
 *  I3. Whatever retires a data file (overwrite, delete, a transition's
 *      release) calls posix_data_retire in its own write transaction: an
 *      inline id's row goes there and then, nothing goes to gc.
 *  I4. Only the home holds inline data: a writer placed in a tier creates
 *      its tmp/ID there (posix_writer_place), and a transition copies the
 *      bytes out to a file in the tier (tr_copy), releasing them by I3.
 *  I5. posix_opts.files_only turns I1 off (tests that count or corrupt data
 *      files); rows written inline before stay readable.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "posix_internal.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../common/log.h"

s3err_t posix_inline_put(struct conn *c, const char *id, const uint8_t *data, size_t len)
{
	sqlite3_stmt *st = c->st[ST_INLINE_PUT];
	int rc;

	rc = posix_bind_text(st, 1, id);
	/* An empty object's plain bytes are none: a zero-length blob, never NULL. */
	if (rc == SQLITE_OK)
		rc = len > 0 ? sqlite3_bind_blob(st, 2, data, (int)len, SQLITE_STATIC)
			     : sqlite3_bind_zeroblob(st, 2, 0);
	if (rc != SQLITE_OK) {
		posix_stmt_done(st);
		return posix_db_err(c, rc, "inline data insert");
	}
	rc = posix_run(st);
	return rc == SQLITE_OK ? S3E_OK : posix_db_err(c, rc, "inline data insert");
}

s3err_t posix_inline_open(struct conn *c, const char *id, struct posix_fh *fh)
{
	sqlite3_stmt *st = c->st[ST_INLINE_GET];
	s3err_t err = S3E_OK;
	const void *blob;
	int rc, len;

	*fh = POSIX_FH_NONE;
	rc = posix_bind_text(st, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		goto out; /* a file (I2) */
	if (rc != SQLITE_ROW) {
		err = posix_db_err(c, rc, "inline data lookup");
		goto out;
	}
	blob = sqlite3_column_blob(st, 0);
	len = sqlite3_column_bytes(st, 0);
	if (len < 0 || (size_t)len > POSIX_INLINE_STORED_MAX) {
		log_error(POSIX_LOG_MOD, "inline data of %s holds %d bytes", id, len);
		err = S3E_InternalError;
		goto out;
	}
	/* One byte at least, so that an open handle is never NULL (posix_fh_is_open). */
	fh->mem = malloc(len > 0 ? (size_t)len : 1);
	if (!fh->mem) {
		err = S3E_InternalError;
		goto out;
	}
	if (len > 0)
		memcpy(fh->mem, blob, (size_t)len);
	fh->mem_len = (size_t)len;
out:
	posix_stmt_done(st);
	return err;
}

s3err_t posix_data_retire(struct conn *c, const char *tier, const char *id, bool *queued)
{
	const char *const a[1] = {id};
	int rc;

	*queued = false;
	if (!tier[0]) { /* I4: only the home holds inline data */
		rc = posix_run_texts(c->st[ST_INLINE_DROP], a, 1);
		if (rc != SQLITE_OK)
			return posix_db_err(c, rc, "inline data delete");
		if (sqlite3_changes(c->db) > 0)
			return S3E_OK; /* I3 */
	}
	*queued = true;
	return posix_gc_add(c, tier, id);
}

/* I2, I4: a home id's inline bytes into *out, else *out stays closed. */
static s3err_t inline_lookup(struct posix_be *pb, const struct posix_loc *loc, const char *id,
			     struct posix_fh *out)
{
	struct conn *c;
	s3err_t err;

	*out = POSIX_FH_NONE;
	if (loc != &pb->loc[0])
		return S3E_OK;
	c = posix_pool_get(pb);
	err = posix_inline_open(c, id, out);
	posix_pool_put(pb, c);
	return err;
}

s3err_t posix_fh_open_any(struct posix_be *pb, const struct posix_loc *loc, const char *id,
			  bool in_tmp, struct posix_fh *out, uint64_t *stored)
{
	s3err_t err = in_tmp ? S3E_OK : inline_lookup(pb, loc, id, out);

	if (err != S3E_OK)
		return err;
	if (!in_tmp && out->mem) {
		*stored = out->mem_len;
		return S3E_OK;
	}
	return posix_fh_open(loc, id, in_tmp, out, stored);
}

s3err_t posix_data_open_any(struct posix_be *pb, const struct posix_loc *loc, const char *id,
			    uint64_t stored, struct posix_fh *out)
{
	s3err_t err = inline_lookup(pb, loc, id, out);

	if (err != S3E_OK)
		return err;
	if (out->mem)
		return posix_data_adopt(out, loc, id, stored);
	return posix_data_open(loc, id, stored, out);
}
