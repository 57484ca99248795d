/* op_replication: Put/Get/DeleteBucketReplication (the rules: common/replrules.h). */
#include <string.h>

#include "../common/replrules.h"
#include "ops.h"
#include "replication.h"
#include "request.h"
#include "response.h"
#include "server.h"

/*
 * Stored as the canonical XML of rr_to_xml, which the write path parses
 * again (gateway/replication.c): what GET returns is exactly what writes
 * apply. Versioning is not required (replrules.h, deviations).
 */
s3err_t op_put_bucket_replication(struct request *r)
{
	struct rr_config c;
	const char *msg = NULL;
	struct buf doc;
	s3err_t err;

	memset(&c, 0, sizeof(c));
	/* A backend that cannot queue events durably cannot honour rules: refuse, never ignore. */
	if (!backend_can_replicate(r->srv->be))
		return req_fail(r, S3E_NotImplemented,
				"Bucket replication is not implemented on this server's backend "
				"(s3) yet.");
	/* Without a site no destination can be named: replication is off here. */
	if (r->srv->cfg->nsites == 0)
		return req_fail(r, S3E_NotImplemented,
				"Bucket replication needs a destination site, and this server "
				"configures none: add a [site NAME] section to its configuration "
				"file.");
	if (r->xml.len == 0)
		return req_fail(r, S3E_MissingRequestBodyError, NULL);
	if (req_header(r, "x-amz-bucket-object-lock-token"))
		return req_fail(r, S3E_NotImplemented,
				"Object lock is not implemented by Strata: "
				"x-amz-bucket-object-lock-token cannot apply.");
	err = rr_parse(buf_str(&r->xml), r->xml.len, rr_site_from_config, (void *)r->srv->cfg, &c,
		       &msg);
	if (err)
		return req_fail(r, err, msg);
	buf_init(&doc, STRATA_MAX_BUCKET_CONFIG, S3E_MaxMessageLengthExceeded);
	err = rr_to_xml(&c, &doc);
	if (!err)
		err = backend_bucket_config_put(r->srv->be, r->bucket, RR_BUCKET_CONFIG,
						buf_str(&doc), doc.len);
	/* Also on failure: the stored document may or may not have changed. */
	repl_cache_invalidate(r->srv->repl_cache, r->bucket);
	buf_free(&doc);
	rr_config_free(&c);
	if (err)
		return req_fail(r, err, NULL);
	return resp_ok_empty(r);
}

s3err_t op_get_bucket_replication(struct request *r)
{
	return op_get_stored_document(r, RR_BUCKET_CONFIG,
				      S3E_ReplicationConfigurationNotFoundError);
}

/* Deleting an absent configuration succeeds, as on AWS. */
s3err_t op_delete_bucket_replication(struct request *r)
{
	s3err_t err = backend_bucket_config_delete(r->srv->be, r->bucket, RR_BUCKET_CONFIG);

	repl_cache_invalidate(r->srv->repl_cache, r->bucket);
	if (err)
		return req_fail(r, err, NULL);
	return resp_no_content(r);
}
