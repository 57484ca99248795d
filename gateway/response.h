/*
 * response: building libmicrohttpd responses the S3 way. The only place
 * that turns an s3err_t into an HTTP status and an XML error document.
 */
#ifndef STRATA_RESPONSE_H
#define STRATA_RESPONSE_H

#include <stdint.h>

#include <microhttpd.h>

#include "../common/buf.h"
#include "../common/objmeta.h"
#include "../common/s3err.h"

struct request;

/* Sets r->resp to an XML document taken from xml (the buf is emptied). status 200. */
s3err_t resp_xml(struct request *r, struct buf *xml);
/* Sets r->resp to an empty 200 / 204 response. */
s3err_t resp_ok_empty(struct request *r);
s3err_t resp_no_content(struct request *r);
/* 304 Not Modified for a conditional GET/HEAD (no body; ETag and Last-Modified kept). */
s3err_t resp_not_modified(struct request *r, const struct obj_meta *m);

/* Adds a header to r->resp (which must exist). Values with CR/LF are refused. */
void resp_header(struct request *r, const char *name, const char *value);

/*
 * Adds ETag, Last-Modified, stored content headers (or GetObject's response-*
 * overrides of them), x-amz-meta-*, storage class and x-strata-sha256.
 */
void resp_object_headers(struct request *r, const struct obj_meta *m);

/*
 * Queues the outcome of r on its connection: r->resp with r->status when
 * r->err is S3E_OK, otherwise the S3 XML error for r->err (no body on HEAD).
 * Adds x-amz-request-id, x-amz-id-2, Server and Date to every reply.
 */
enum MHD_Result resp_queue(struct request *r);

#endif
