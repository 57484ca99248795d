/* response: success and error replies, and the headers every reply carries. */
#include "response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/xmlw.h"
#include "ops.h"
#include "request.h"
#include "server.h"

/* Hands the buffer's bytes to libmicrohttpd, which frees them with free(). */
static struct MHD_Response *response_from_buf(struct buf *b)
{
	size_t len = b->len;
	char *data = buf_take(b);
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer_with_free_callback(len, data ? data : (char *)"",
								  data ? free : NULL);
	if (!resp)
		free(data);
	return resp;
}

static s3err_t set_response(struct request *r, struct MHD_Response *resp, unsigned status)
{
	if (!resp)
		return S3E_InternalError;
	if (r->resp)
		MHD_destroy_response(r->resp);
	r->resp = resp;
	r->status = status;
	return S3E_OK;
}

s3err_t resp_xml(struct request *r, struct buf *xml)
{
	uint64_t len = xml->len;
	s3err_t err = set_response(r, response_from_buf(xml), MHD_HTTP_OK);

	if (!err) {
		r->bytes_out = len;
		resp_header(r, "Content-Type", "application/xml");
	}
	return err;
}

static struct MHD_Response *empty_response(void)
{
	return MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
}

s3err_t resp_ok_empty(struct request *r)
{
	return set_response(r, empty_response(), MHD_HTTP_OK);
}

s3err_t resp_no_content(struct request *r)
{
	return set_response(r, empty_response(), MHD_HTTP_NO_CONTENT);
}

s3err_t resp_not_modified(struct request *r, const struct obj_meta *m)
{
	char etag[STRATA_ETAG_MAX + 2], date[30];
	s3err_t err = set_response(r, empty_response(), MHD_HTTP_NOT_MODIFIED);

	if (err)
		return err;
	snprintf(etag, sizeof(etag), "\"%s\"", m->etag);
	resp_header(r, "ETag", etag);
	httptime_format_http((time_t)(m->mtime_ms / 1000), date);
	resp_header(r, "Last-Modified", date);
	return S3E_OK;
}

void resp_header(struct request *r, const char *name, const char *value)
{
	/* Stored metadata came from clients: never let it split the response head. */
	if (!r->resp || strpbrk(value, "\r\n"))
		return;
	/*
	 * libmicrohttpd refuses empty values, but S3 returns headers such as an
	 * empty x-amz-meta-*; a lone space reads back as "" in every HTTP client.
	 */
	if (!value[0])
		value = " ";
	if (MHD_add_response_header(r->resp, name, value) != MHD_YES)
		log_warn("response", "could not add header %s", name);
}

/* GetObject's response-* query parameters and the headers they replace. */
static const char *const overrides[][2] = {
    {"response-content-type", "content-type"},
    {"response-content-language", "content-language"},
    {"response-expires", "expires"},
    {"response-cache-control", "cache-control"},
    {"response-content-disposition", "content-disposition"},
    {"response-content-encoding", "content-encoding"},
};

static const char *override_for(const struct request *r, const char *header)
{
	size_t i;

	for (i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++)
		if (strcmp(overrides[i][1], header) == 0)
			return req_query(r, overrides[i][0]);
	return NULL;
}

void resp_object_headers(struct request *r, const struct obj_meta *m)
{
	char etag[STRATA_ETAG_MAX + 2], date[30];
	const char *name, *value;
	bool has_type = false;
	size_t pos = 0, i;

	snprintf(etag, sizeof(etag), "\"%s\"", m->etag);
	resp_header(r, "ETag", etag);
	httptime_format_http((time_t)(m->mtime_ms / 1000), date);
	resp_header(r, "Last-Modified", date);
	resp_header(r, "Accept-Ranges", "bytes");
	while (obj_meta_next_header(m, &pos, &name, &value)) {
		if (override_for(r, name))
			continue;
		if (strcmp(name, "content-type") == 0)
			has_type = true;
		resp_header(r, name, value);
	}
	for (i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
		const char *v = req_query(r, overrides[i][0]);

		if (v) {
			resp_header(r, overrides[i][1], v);
			if (i == 0)
				has_type = true;
		}
	}
	if (!has_type)
		resp_header(r, "Content-Type", "binary/octet-stream");
	if (m->storage_class[0] && strcmp(m->storage_class, "STANDARD") != 0)
		resp_header(r, "x-amz-storage-class", m->storage_class);
	/* Replication (issue 8): PENDING, COMPLETED, FAILED on a source; REPLICA on a copy. */
	if (obj_repl_status_name(m->repl_status))
		resp_header(r, "x-amz-replication-status", obj_repl_status_name(m->repl_status));
	/* Strata's own integrity digest, always shown (docs: README "Integrity"). */
	if (m->sha256_hex[0])
		resp_header(r, "x-strata-sha256", m->sha256_hex);
	/* Archive objects: the state of their restored copy, as AWS spells it. */
	if (m->restore_state == RESTORE_ONGOING) {
		resp_header(r, "x-amz-restore", "ongoing-request=\"true\"");
	} else if (m->restore_state == RESTORE_DONE && m->restore_until_ms > httptime_now_ms()) {
		/* (an expired copy the engine has yet to release is already gone for clients) */
		char when[30], v[80];

		httptime_format_http((time_t)(m->restore_until_ms / 1000), when);
		snprintf(v, sizeof(v), "ongoing-request=\"false\", expiry-date=\"%s\"", when);
		resp_header(r, "x-amz-restore", v);
	}
	/* When a scrub last found the stored bytes intact (absent: not yet verified). */
	if (m->verified_ms > 0) {
		char when[25];

		httptime_format_iso_ms(m->verified_ms, when);
		resp_header(r, "x-strata-last-verified", when);
	}
}

/* The Resource element: the path the client addressed. */
static void error_xml(struct request *r, struct buf *b)
{
	const char *msg = r->err_message ? r->err_message : s3err_message(r->err);

	buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	xmlw_open(b, "Error");
	xmlw_elem(b, "Code", s3err_code(r->err));
	xmlw_elem(b, "Message", msg);
	if (r->bucket[0])
		xmlw_elem(b, "BucketName", r->bucket);
	if (r->key)
		xmlw_elemn(b, "Key", r->key, r->key_len);
	xmlw_elem(b, "Resource", r->path ? r->path : "/");
	xmlw_elem(b, "RequestId", r->id);
	xmlw_elem(b, "HostId", r->id);
	xmlw_close(b, "Error");
}

static struct MHD_Response *error_response(struct request *r)
{
	struct MHD_Response *resp;
	struct buf b;

	if (strcmp(r->method ? r->method : "", "HEAD") == 0)
		return empty_response();
	buf_init(&b, 16384, S3E_InternalError);
	error_xml(r, &b);
	r->bytes_out = b.len;
	resp = response_from_buf(&b);
	buf_free(&b);
	if (resp)
		MHD_add_response_header(resp, "Content-Type", "application/xml");
	return resp;
}

enum MHD_Result resp_queue(struct request *r)
{
	struct MHD_Response *resp;
	unsigned status;
	enum MHD_Result ret;

	if (r->queued)
		return MHD_YES;
	if (r->err == S3E_OK && !r->resp)
		r->err = S3E_InternalError;
	if (r->err != S3E_OK) {
		if (r->resp) /* a half-built success response loses to the error */
			MHD_destroy_response(r->resp);
		r->resp = error_response(r);
		status = s3err_status(r->err);
		if (!r->resp)
			return MHD_NO;
		if (r->err_content_range[0])
			MHD_add_response_header(r->resp, "Content-Range", r->err_content_range);
		if (r->err_version_id[0])
			MHD_add_response_header(r->resp, "x-amz-version-id", r->err_version_id);
		if (r->err_delete_marker)
			MHD_add_response_header(r->resp, "x-amz-delete-marker", "true");
		if (r->err == S3E_InternalError)
			log_error("gateway", "%s %s -> InternalError (request %s)", r->method,
				  r->path ? r->path : "?", r->id);
	} else {
		status = r->status;
	}
	/* A browser's cross-origin request reads even an error only with these (AWS sends them). */
	op_cors_response_headers(r);
	resp = r->resp;
	MHD_add_response_header(resp, "x-amz-request-id", r->id);
	MHD_add_response_header(resp, "x-amz-id-2", r->id);
	MHD_add_response_header(resp, "Server", "Strata");
	/* Shutting down: the client must open its next request elsewhere, not here. */
	if (atomic_load(&r->srv->stopping))
		MHD_add_response_header(resp, "Connection", "close");
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	r->resp = NULL;
	r->status = status;
	r->queued = true;
	return ret;
}
