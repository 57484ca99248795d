/* op_lifecycle: Put/Get/DeleteBucketLifecycleConfiguration (the rules: common/lcrules.h). */
#include <string.h>

#include "../common/lcrules.h"
#include "../lifecycle/engine.h"
#include "ops.h"
#include "request.h"
#include "response.h"
#include "server.h"

/* The classes a transition may target: those PutObject serves too (op_storage_class). */
static bool transition_served(const char *storage_class)
{
	return strcmp(storage_class, "STANDARD_IA") == 0 ||
	       strcmp(storage_class, "GLACIER_IR") == 0 || op_is_archive_class(storage_class);
}

/*
 * Stored as the canonical XML of lc_to_xml, which the engine parses again:
 * what GET returns is exactly what the engine applies.
 */
s3err_t op_put_bucket_lifecycle(struct request *r)
{
	struct lc_config c = {0, NULL};
	const char *msg = NULL;
	struct buf doc;
	size_t i, j;
	s3err_t err;

	if (r->xml.len == 0)
		return req_fail(r, S3E_MissingRequestBodyError, NULL);
	if (req_header(r, "x-amz-transition-default-minimum-object-size"))
		return req_fail(r, S3E_NotImplemented,
				"x-amz-transition-default-minimum-object-size is not implemented: "
				"Strata transitions objects of every size.");
	err = lc_parse(buf_str(&r->xml), r->xml.len, &c, &msg);
	if (err)
		return req_fail(r, err, msg);
	/* Accepting a transition the engine cannot carry out would be a silent lie. */
	for (i = 0; i < c.nrules; i++)
		for (j = 0; j < c.rules[i].ntransitions; j++)
			if (!backend_can_transition(r->srv->be)) {
				lc_config_free(&c);
				return req_fail(r, S3E_NotImplemented,
						"Transitions are not implemented on this server's "
						"backend (s3) yet.");
			} else if (!transition_served(c.rules[i].transitions[j].storage_class)) {
				err = req_failf(r, S3E_NotImplemented,
						"Transitions to %s are not implemented.",
						c.rules[i].transitions[j].storage_class);
				lc_config_free(&c);
				return err;
			}
	/*
	 * A backend that keeps versions but cannot expire them would leave
	 * NoncurrentVersionExpiration and ExpiredObjectDeleteMarker unapplied;
	 * one without versions has nothing for them to act on (AWS accepts them
	 * in any bucket).
	 */
	for (i = 0; i < c.nrules; i++)
		if ((c.rules[i].has_nc_expiration || c.rules[i].has_marker_flag) &&
		    backend_can_version(r->srv->be) && !backend_can_expire_version(r->srv->be)) {
			lc_config_free(&c);
			return req_fail(
			    r, S3E_NotImplemented,
			    "NoncurrentVersionExpiration and ExpiredObjectDeleteMarker are "
			    "not implemented on this server's backend yet.");
		}
	for (i = 0; i < c.nrules; i++)
		for (j = 0; j < c.rules[i].nnc_transitions; j++)
			if (!backend_can_transition_version(r->srv->be)) {
				lc_config_free(&c);
				return req_fail(r, S3E_NotImplemented,
						"NoncurrentVersionTransition is not implemented on "
						"this server's backend (s3) yet.");
			} else if (!transition_served(c.rules[i].nc_transitions[j].storage_class)) {
				err = req_failf(r, S3E_NotImplemented,
						"Transitions to %s are not implemented.",
						c.rules[i].nc_transitions[j].storage_class);
				lc_config_free(&c);
				return err;
			}
	buf_init(&doc, STRATA_MAX_BUCKET_CONFIG, S3E_MaxMessageLengthExceeded);
	err = lc_to_xml(&c, &doc);
	if (!err)
		err = backend_bucket_config_put(r->srv->be, r->bucket, LC_BUCKET_CONFIG,
						buf_str(&doc), doc.len);
	buf_free(&doc);
	lc_config_free(&c);
	if (err)
		return req_fail(r, err, NULL);
	return resp_ok_empty(r);
}

s3err_t op_get_bucket_lifecycle(struct request *r)
{
	return op_get_stored_document(r, LC_BUCKET_CONFIG, S3E_NoSuchLifecycleConfiguration);
}

s3err_t op_delete_bucket_lifecycle(struct request *r)
{
	s3err_t err = backend_bucket_config_delete(r->srv->be, r->bucket, LC_BUCKET_CONFIG);

	if (err)
		return req_fail(r, err, NULL);
	return resp_no_content(r);
}
