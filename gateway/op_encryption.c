/* op_encryption: PutBucketEncryption, GetBucketEncryption, DeleteBucketEncryption. */
#include <string.h>

#include "../common/xmlin.h"
#include "../common/xmlw.h"
#include "ops.h"
#include "request.h"
#include "response.h"
#include "server.h"
#include "sse_req.h"

/*
 * The stored document (backend bucket configuration SSE_BUCKET_CONFIG) is
 * "AES256 0" or "AES256 1": the algorithm and BucketKeyEnabled. Its presence
 * is what sse_req_write applies to objects written without SSE headers.
 */
#define DOC_LEN 8

s3err_t op_put_bucket_encryption(struct request *r)
{
	struct encryption_config cfg;
	char doc[DOC_LEN + 1];
	s3err_t err;

	if (r->xml.len == 0)
		return req_fail(r, S3E_MissingRequestBodyError, NULL);
	err = xmlin_parse_encryption(buf_str(&r->xml), r->xml.len, &cfg);
	if (err == S3E_InvalidArgument)
		return req_fail(r, err,
				"a KMSMasterKeyID is not applicable if the default sse algorithm "
				"is not aws:kms or aws:kms:dsse");
	if (err == S3E_NotImplemented)
		return req_fail(r, err,
				"Strata's default encryption is AES256 (SSE-S3); SSE-KMS and "
				"blocking encryption types are not implemented.");
	if (err)
		return req_fail(r, err, NULL);
	memcpy(doc, cfg.bucket_key ? "AES256 1" : "AES256 0", DOC_LEN + 1);
	err = backend_bucket_config_put(r->srv->be, r->bucket, SSE_BUCKET_CONFIG, doc, DOC_LEN);
	if (err)
		return req_fail(r, err, NULL);
	return resp_ok_empty(r);
}

/*
 * A bucket without its own configuration reports the server's default, as
 * AWS reports SSE-S3 for every bucket since 2023; with default_encryption =
 * none it has none: ServerSideEncryptionConfigurationNotFoundError.
 */
s3err_t op_get_bucket_encryption(struct request *r)
{
	char doc[DOC_LEN + 1];
	bool found = false, bucket_key = false;
	size_t len = 0;
	struct buf xml;
	s3err_t err;

	err = backend_bucket_config_get(r->srv->be, r->bucket, SSE_BUCKET_CONFIG, doc, DOC_LEN,
					&len, &found);
	if (err)
		return req_fail(r, err, NULL);
	if (found)
		bucket_key = len == DOC_LEN && doc[DOC_LEN - 1] == '1';
	else if (!r->srv->cfg->default_sse)
		return req_fail(r, S3E_ServerSideEncryptionConfigurationNotFoundError, NULL);
	buf_init(&xml, 4096, S3E_InternalError);
	if ((err = xmlw_begin(&xml, "ServerSideEncryptionConfiguration")) ||
	    (err = xmlw_open(&xml, "Rule")) ||
	    (err = xmlw_open(&xml, "ApplyServerSideEncryptionByDefault")) ||
	    (err = xmlw_elem(&xml, "SSEAlgorithm", "AES256")) ||
	    (err = xmlw_close(&xml, "ApplyServerSideEncryptionByDefault")) ||
	    (err = xmlw_elem(&xml, "BucketKeyEnabled", bucket_key ? "true" : "false")) ||
	    (err = xmlw_close(&xml, "Rule")) ||
	    (err = xmlw_close(&xml, "ServerSideEncryptionConfiguration")))
		goto out;
	err = resp_xml(r, &xml);
out:
	buf_free(&xml);
	return err;
}

/* Back to the server's default (AWS: back to SSE-S3). */
s3err_t op_delete_bucket_encryption(struct request *r)
{
	s3err_t err = backend_bucket_config_delete(r->srv->be, r->bucket, SSE_BUCKET_CONFIG);

	if (err)
		return req_fail(r, err, NULL);
	return resp_no_content(r);
}
