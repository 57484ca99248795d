/*
 * routes: the S3 operation table. A route is a row: method, what the URL
 * names (service, bucket or object), the sub-resource query parameter that
 * selects it, and the operation. A new S3 operation is one row here and one
 * function in an op_*.c file.
 */
#ifndef STRATA_ROUTES_H
#define STRATA_ROUTES_H

#include <stddef.h>

#include "../common/s3err.h"

struct request;

enum target { TARGET_SERVICE, TARGET_BUCKET, TARGET_OBJECT };

/* What an operation does with the request body. */
enum body_kind {
	BODY_NONE,   /* ignored if sent (GET, HEAD, DELETE) */
	BODY_XML,    /* buffered up to route->body_cap, verified, then handed to run */
	BODY_STREAM, /* streamed through the body pipeline into op->begin's sink */
};

struct route {
	const char *method; /* "GET", "PUT", ... */
	enum target target;
	const char *subresource; /* query parameter that selects it; NULL: none */
	const char *header;	 /* a header that selects it (x-amz-copy-source); NULL: none */
	const char *name;	 /* the S3 operation name, for logs and metrics */
	enum body_kind body;
	size_t body_cap; /* BODY_XML: the most bytes accepted */
	/*
	 * BODY_STREAM only: called after authentication, before any body byte;
	 * validates headers and sets up the pipeline (r->body).
	 */
	s3err_t (*begin)(struct request *r);
	/* Called once the whole body has arrived and checked out; builds r->resp. */
	s3err_t (*run)(struct request *r);
	/* ROUTE_* flags. */
	unsigned flags;
};

/* The bucket must exist and belong to the caller before begin/run. */
#define ROUTE_OWNED 1u
/*
 * x-amz-checksum-* describes the object being assembled, not the request
 * body (CompleteMultipartUpload): the body pipeline leaves it to the operation.
 */
#define ROUTE_OBJECT_CHECKSUM 2u
/*
 * Answered without authentication (the CORS preflight: browsers never sign
 * an OPTIONS). Such a route must read no body and reach storage at most
 * through one bucket-configuration lookup: anyone can send it.
 */
#define ROUTE_ANONYMOUS 4u

/*
 * Picks the route for r (method, target, sub-resource). Errors:
 * S3E_NotImplemented for a known sub-resource or feature Strata does not
 * serve, S3E_MethodNotAllowed for a method S3 does not have on the target.
 */
s3err_t routes_match(struct request *r, const struct route **out);

/*
 * Writes the operation names of the table (static strings, possibly repeated)
 * into names[max]; returns how many (for metrics_register_operations).
 */
size_t routes_operation_names(const char **names, size_t max);

#endif
