/* op_restore: RestoreObject, and what "archived" means for reads (DESIGN.md "Tiers and lifecycle").
 */
#include <string.h>

#include "../common/httptime.h"
#include "../common/xmlin.h"
#include "../lifecycle/engine.h"
#include "../lifecycle/rules.h"
#include "ops.h"
#include "request.h"
#include "response.h"
#include "server.h"

bool op_is_archive_class(const char *storage_class)
{
	return strcmp(storage_class, "GLACIER") == 0 || strcmp(storage_class, "DEEP_ARCHIVE") == 0;
}

s3err_t op_archive_readable(struct request *r, const struct obj_meta *m)
{
	if (!op_is_archive_class(m->storage_class))
		return S3E_OK;
	if (m->restore_state == RESTORE_DONE && m->restore_until_ms > httptime_now_ms())
		return S3E_OK;
	return req_fail(r, S3E_InvalidObjectState,
			"The operation is not valid for the object's storage class");
}

/*
 * AWS: 202 when a restore starts, 200 when a restored copy exists (its
 * expiry moves to Days from now), 409 RestoreAlreadyInProgress while one runs.
 * The copy is made by the lifecycle engine, poked at once; the expiry is
 * rounded up to a day boundary as AWS does (lifecycle_day_seconds).
 */
s3err_t op_restore_object(struct request *r)
{
	int64_t day_ms = (int64_t)r->srv->cfg->lifecycle_day_seconds * 1000;
	struct restore_request rr;
	struct obj_meta m;
	int state = RESTORE_NONE;
	s3err_t err;

	if (req_query(r, "versionId") && strcmp(req_query(r, "versionId"), "null") != 0)
		return req_fail(r, S3E_InvalidArgument, "Invalid version id specified");
	if (r->xml.len == 0)
		return req_fail(r, S3E_MissingRequestBodyError, NULL);
	err = xmlin_parse_restore(buf_str(&r->xml), r->xml.len, &rr);
	if (err == S3E_NotImplemented)
		return req_fail(r, err, "Only archive restores (Days, Tier) are implemented.");
	if (err)
		return req_fail(r, err, NULL);
	obj_meta_init(&m);
	err = backend_object_head(r->srv->be, r->bucket, r->key, &m);
	if (!err && !op_is_archive_class(m.storage_class))
		err = req_fail(r, S3E_InvalidObjectState,
			       "Restore is not allowed for the object's current storage class");
	obj_meta_free(&m);
	if (err)
		return req_fail(r, err, NULL);
	/* Every Tier is served alike: as fast as the copy can be made. */
	err = backend_restore_request(r->srv->be, r->bucket, r->key,
				      lc_due_ms(httptime_now_ms(), rr.days, day_ms), &state);
	if (err)
		return req_fail(r, err, NULL);
	if (state == RESTORE_ONGOING)
		return req_fail(r, S3E_RestoreAlreadyInProgress, NULL);
	lc_engine_poke(r->srv->lifecycle);
	if (state == RESTORE_DONE)
		return resp_ok_empty(r);
	err = resp_ok_empty(r);
	if (!err)
		r->status = 202;
	return err;
}
