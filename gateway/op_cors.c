/*
 * op_cors: Put/Get/DeleteBucketCors, the unauthenticated OPTIONS preflight,
 * and the CORS headers of every other response to a request with an Origin
 * (the rules: common/corsrules.h).
 *
 * CORS is not authorization: it only tells a browser which cross-origin
 * answers its page may read. A preflight is answered by the bucket's rules
 * whoever asks (browsers never sign one), and the actual request is still
 * authenticated and checked as any other.
 *
 * Besides the bucket's rules, the server allows the web console's origins
 * (console_cors_allowed, config console_origin) on presigned requests: the
 * console's page, served by the admin listener on another port, drives the
 * S3 listener with URLs the admin listener signed (gateway/console.h). It is
 * server-level because the console must work on a bucket without CORS rules
 * (and create buckets); limited to presigned URLs because that is all the
 * page ever sends, and it never allows credentials (cookies) nor '*'.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/corsrules.h"
#include "../common/names.h"
#include "console.h"
#include "ops.h"
#include "request.h"
#include "response.h"
#include "server.h"

/* AWS's messages for preflights it cannot evaluate. */
static const char M_NO_ORIGIN[] = "Insufficient information. Origin request header needed.";
static const char M_NOT_ENABLED[] = "CORSResponse: CORS is not enabled for this bucket.";

/*
 * Stored as the canonical XML of cors_to_xml, which every request with an
 * Origin parses again: what GET returns is exactly what is enforced.
 * Content-MD5 is checked when sent (body.c), as for the other
 * configurations, but not required: boto3 sends a flexible checksum instead.
 */
s3err_t op_put_bucket_cors(struct request *r)
{
	char msgbuf[CORS_MESSAGE_MAX];
	struct cors_config c = {0, NULL};
	const char *msg = NULL;
	struct buf doc;
	s3err_t err;

	if (r->xml.len == 0)
		return req_fail(r, S3E_MissingRequestBodyError, NULL);
	err = cors_parse(buf_str(&r->xml), r->xml.len, &c, &msg, msgbuf);
	if (err)
		return req_failf(r, err, "%s", msg); /* msgbuf is on this stack: copy it */
	buf_init(&doc, CORS_MAX_XML, S3E_MaxMessageLengthExceeded);
	err = cors_to_xml(&c, &doc);
	if (!err)
		err = backend_bucket_config_put(r->srv->be, r->bucket, CORS_BUCKET_CONFIG,
						buf_str(&doc), doc.len);
	buf_free(&doc);
	cors_config_free(&c);
	if (err)
		return req_fail(r, err, NULL);
	return resp_ok_empty(r);
}

s3err_t op_get_bucket_cors(struct request *r)
{
	return op_get_stored_document(r, CORS_BUCKET_CONFIG, S3E_NoSuchCORSConfiguration);
}

s3err_t op_delete_bucket_cors(struct request *r)
{
	s3err_t err = backend_bucket_config_delete(r->srv->be, r->bucket, CORS_BUCKET_CONFIG);

	if (err)
		return req_fail(r, err, NULL);
	return resp_no_content(r);
}

/*
 * The bucket's rules: one configuration lookup and a parse of at most
 * CORS_MAX_XML bytes (the stored form always fits: corsrules.c invariant
 * 4). *found false: the bucket has none. Errors: the backend's
 * (NoSuchBucket...), InternalError.
 */
static s3err_t load_rules(struct request *r, struct cors_config *c, bool *found)
{
	char *doc = malloc(CORS_MAX_XML), msgbuf[CORS_MESSAGE_MAX];
	const char *msg = NULL;
	size_t len = 0;
	s3err_t err;

	*found = false;
	if (!doc)
		return S3E_InternalError;
	err = backend_bucket_config_get(r->srv->be, r->bucket, CORS_BUCKET_CONFIG, doc,
					CORS_MAX_XML, &len, found);
	if (!err && *found && cors_parse(doc, len, c, &msg, msgbuf) != S3E_OK)
		err = S3E_InternalError; /* a stored document Strata wrote itself */
	free(doc);
	return err;
}

static void emit_header(void *ctx, const char *name, const char *value)
{
	resp_header(ctx, name, value);
}

/* The console's page reads these (console/app.js); the CORS-safelisted ones need no mention. */
static const char CONSOLE_EXPOSE[] =
    "ETag, Content-Length, x-amz-version-id, x-amz-storage-class, "
    "x-amz-server-side-encryption, x-amz-replication-status, x-amz-restore, "
    "x-amz-checksum-sha256, x-strata-sha256, x-strata-last-verified, x-amz-request-id";

/* A request of the console: from one of its origins, with a presigned URL. */
static bool console_origin_request(const struct request *r, const char *origin)
{
	return req_query(r, "X-Amz-Signature") && console_cors_allowed(r->srv->cfg, origin);
}

/*
 * OPTIONS on a bucket or object, unauthenticated (ROUTE_ANONYMOUS). AWS's
 * order: no Origin, then a missing or unknown Access-Control-Request-Method
 * is BadRequest; a bucket without rules, or no rule allowing the request,
 * is AccessForbidden.
 */
s3err_t op_preflight(struct request *r)
{
	const char *origin = req_header(r, "Origin");
	const char *method = req_header(r, "Access-Control-Request-Method");
	const char *headers = req_header(r, "Access-Control-Request-Headers");
	struct cors_config c = {0, NULL};
	const struct cors_rule *rule;
	bool found;
	s3err_t err;

	if (!origin)
		return req_fail(r, S3E_BadRequest, M_NO_ORIGIN);
	if (!cors_method_bit(method))
		return req_failf(r, S3E_BadRequest, "Invalid Access-Control-Request-Method: %s",
				 method ? method : "null");
	if (console_origin_request(r, origin)) {
		/* The page sends Content-Type on uploads and restores, nothing else. */
		if ((err = resp_ok_empty(r)))
			return err;
		resp_header(r, "Access-Control-Allow-Origin", origin);
		resp_header(r, "Access-Control-Allow-Methods", "GET, PUT, HEAD, DELETE, POST");
		resp_header(r, "Access-Control-Allow-Headers", "content-type");
		resp_header(r, "Access-Control-Max-Age", "600");
		resp_header(r, "Vary", "Origin");
		return S3E_OK;
	}
	if ((err = load_rules(r, &c, &found)))
		return req_fail(r, err, NULL);
	if (!found)
		return req_fail(r, S3E_AccessForbidden, M_NOT_ENABLED);
	rule = cors_match(&c, origin, method, headers);
	if (!rule)
		err = req_fail(r, S3E_AccessForbidden, NULL);
	else if (!(err = resp_ok_empty(r)))
		err = cors_headers(rule, origin, headers, true, emit_header, r);
	cors_config_free(&c);
	return err;
}

void op_cors_response_headers(struct request *r)
{
	const char *origin = req_header(r, "Origin");
	struct cors_config c = {0, NULL};
	const struct cors_rule *rule;
	bool found;

	/* A preflight sets its own; no Origin: not a browser's cross-origin request. */
	if (!origin || !r->resp || !r->method || strcmp(r->method, "OPTIONS") == 0 ||
	    !r->bucket[0] || !names_bucket_valid(r->bucket))
		return;
	if (console_origin_request(r, origin)) {
		resp_header(r, "Access-Control-Allow-Origin", origin);
		resp_header(r, "Access-Control-Expose-Headers", CONSOLE_EXPOSE);
		resp_header(r, "Vary", "Origin");
		return;
	}
	if (load_rules(r, &c, &found) != S3E_OK || !found)
		return;
	rule = cors_match(&c, origin, r->method, NULL);
	if (rule)
		cors_headers(rule, origin, NULL, false, emit_header, r);
	cors_config_free(&c);
}
