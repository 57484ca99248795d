/* op_delete_multi: DeleteObjects (up to 1000 keys in one XML request). */
#include <string.h>

#include "../common/names.h"
#include "../common/versions.h"
#include "../common/xmlin.h"
#include "../common/xmlw.h"
#include "../lifecycle/replicator.h"
#include "ops.h"
#include "replication.h"
#include "reqlog.h"
#include "request.h"
#include "response.h"
#include "server.h"

/*
 * As AWS: a delete by id names the version (and DeleteMarker when it was
 * one); a delete that made a marker names the marker as DeleteMarkerVersionId.
 */
static s3err_t deleted_xml(struct buf *xml, const struct delete_object_item *o,
			   const struct delete_result *res)
{
	s3err_t err;

	if ((err = xmlw_open(xml, "Deleted")) || (err = xmlw_elemn(xml, "Key", o->key, o->key_len)))
		return err;
	if (o->version_id && (err = xmlw_elem(xml, "VersionId", o->version_id)))
		return err;
	if (res->delete_marker && (err = xmlw_elem(xml, "DeleteMarker", "true")))
		return err;
	if (!o->version_id && res->delete_marker && res->version_id[0] &&
	    (err = xmlw_elem(xml, "DeleteMarkerVersionId", res->version_id)))
		return err;
	return xmlw_close(xml, "Deleted");
}

static s3err_t error_xml(struct buf *xml, const struct delete_object_item *o, s3err_t e,
			 const char *message)
{
	s3err_t err;

	if ((err = xmlw_open(xml, "Error")) || (err = xmlw_elemn(xml, "Key", o->key, o->key_len)))
		return err;
	if (o->version_id && (err = xmlw_elem(xml, "VersionId", o->version_id)))
		return err;
	if ((err = xmlw_elem(xml, "Code", s3err_code(e))) ||
	    (err = xmlw_elem(xml, "Message", message ? message : s3err_message(e))))
		return err;
	return xmlw_close(xml, "Error");
}

/*
 * Each key is deleted on its own: a failure is reported for that key and the
 * others still go (as S3 does). A missing key counts as deleted.
 */
s3err_t op_delete_objects(struct request *r)
{
	struct delete_request dr = {0};
	struct repl_request rq;
	/* Object Lock: each key's delete is refused by the backend (AccessDenied) on its own. */
	unsigned flags = op_lock_bypass(r) ? BACKEND_DELETE_BYPASS_GOVERNANCE : 0;
	bool queued = false;
	struct buf xml;
	size_t i;
	s3err_t err;

	if (r->xml.len == 0)
		return req_fail(r, S3E_MissingRequestBodyError, NULL);
	/* One id cannot name many keys' markers: refused, never ignored (replication.h). */
	if (req_header(r, REPL_KEEP_VERSION_HEADER))
		return req_fail(r, S3E_InvalidRequest, "A replica version id names one object.");
	err = xmlin_parse_delete(buf_str(&r->xml), r->xml.len, &dr);
	if (err)
		return req_fail(r, err, NULL);
	buf_init(&xml, STRATA_MAX_LIST_RESPONSE, S3E_InternalError);
	if ((err = xmlw_begin(&xml, "DeleteResult")))
		goto out;
	for (i = 0; i < dr.n && !err; i++) {
		const struct delete_object_item *o = &dr.objects[i];
		s3err_t e = names_key_check(o->key, o->key_len);
		struct delete_result res = {"", false};
		const char *msg = NULL;

		if (!e && o->version_id && !versions_id_valid(o->version_id)) {
			e = S3E_InvalidArgument;
			msg = "Invalid version id specified";
		}
		if (!e)
			e = repl_request_compute(r->srv->repl_cache, r->srv->be, r->srv->cfg,
						 r->bucket, o->key, true, r->auth.user.name, &rq,
						 &msg);
		if (!e) {
			e = backend_object_delete_v(r->srv->be, r->bucket, o->key, o->version_id,
						    &rq, flags, &res);
			if (e == S3E_NoSuchKey)
				e = S3E_OK;
			queued |= !e && rq.n;
			if (!e) /* as DeleteObject: a delete of an absent key is audited too */
				reqlog_audit_deleted(r, o->key, o->key_len);
		}
		if (e)
			err = error_xml(&xml, o, e, msg);
		else if (!dr.quiet)
			err = deleted_xml(&xml, o, &res);
	}
	if (queued)
		replicator_wake(r->srv->replicator);
	if (err || (err = xmlw_close(&xml, "DeleteResult")))
		goto out;
	err = resp_xml(r, &xml);
out:
	buf_free(&xml);
	xmlin_delete_free(&dr);
	return err;
}
