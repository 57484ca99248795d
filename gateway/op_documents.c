/*
 * op_documents: the GET of a bucket configuration that is stored as the
 * canonical XML its GET answers with (lifecycle, replication), so that the
 * operations answer it the same way.
 */
#include <stdlib.h>

#include "../common/buf.h"
#include "ops.h"
#include "request.h"
#include "response.h"
#include "server.h"

s3err_t op_get_stored_document(struct request *r, const char *name, s3err_t not_found)
{
	char *doc = malloc(STRATA_MAX_BUCKET_CONFIG);
	bool found = false;
	struct buf xml;
	size_t len = 0;
	s3err_t err;

	buf_init(&xml, STRATA_MAX_BUCKET_CONFIG, S3E_InternalError);
	err = doc ? backend_bucket_config_get(r->srv->be, r->bucket, name, doc,
					      STRATA_MAX_BUCKET_CONFIG, &len, &found)
		  : S3E_InternalError;
	if (!err && !found)
		err = not_found;
	if (!err)
		err = buf_add(&xml, doc, len);
	free(doc);
	if (err) {
		buf_free(&xml);
		return req_fail(r, err, NULL);
	}
	err = resp_xml(r, &xml);
	buf_free(&xml);
	return err;
}
