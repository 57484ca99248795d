/*
 * posix_usage: the storage_usage slot (issue 13): stored objects and bytes
 * per storage class for /metrics and the console's dashboard.
 *
 * One GROUP BY over the objects table in a read snapshot. Noncurrent
 * versions keep their objects rows under the internal bucket
 * POSIX_VER_BUCKET (posix_versions.c, V2), so they are the rows of that
 * bucket and are reported apart: a versioned bucket's old versions hold
 * real bytes on a tier but are not what its listing shows. Delete markers
 * have no objects row and no bytes, so they count nowhere. Parts of
 * unfinished multipart uploads are not objects and are not counted.
 *
 * The statement is prepared per call rather than kept in the connection's
 * statement table: it runs once a minute at most (the dashboard's sampler),
 * and a full scan of the index dwarfs the prepare.
 */
#include "posix_internal.h"

#include <string.h>

static const char usage_sql[] =
    "SELECT bucket = '" POSIX_VER_BUCKET "', storage_class, count(*), sum(size)"
    " FROM objects GROUP BY 1, 2 ORDER BY 1, 2";

s3err_t posix_storage_usage(struct backend *be, usage_visit_fn visit, void *ctx)
{
	struct posix_be *pb = (struct posix_be *)be;
	sqlite3_stmt *st = NULL;
	struct conn *c;
	s3err_t err;
	int rc;

	c = posix_pool_get(pb);
	err = posix_tx_begin_read(c); /* one snapshot: the groups add up */
	if (err != S3E_OK)
		goto out;
	rc = sqlite3_prepare_v2(c->db, usage_sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		err = posix_db_err(c, rc, "storage usage");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cls = (const char *)sqlite3_column_text(st, 1);
		sqlite3_int64 bytes = sqlite3_column_int64(st, 3); /* sizes are >= 0 (CHECK) */

		if (!visit(ctx, cls && cls[0] ? cls : "STANDARD", sqlite3_column_int(st, 0) != 0,
			   (uint64_t)sqlite3_column_int64(st, 2), (uint64_t)bytes))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = posix_db_err(c, rc, "storage usage");
out:
	sqlite3_finalize(st);
	posix_tx_rollback(c); /* ends the read snapshot */
	posix_pool_put(pb, c);
	return err;
}
