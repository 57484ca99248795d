/*
 * request: one S3 request as the gateway sees it, from the request line to
 * the response. Created when libmicrohttpd reports the URI, freed when the
 * connection reports the request complete. Everything decoded lives in the
 * request's arena.
 */
#ifndef STRATA_REQUEST_H
#define STRATA_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "../backends/backend.h"
#include "../common/buf.h"
#include "../common/chunked.h"
#include "../common/limits.h"
#include "../common/s3err.h"
#include "../common/sigv4.h"
#include "arena.h"
#include "users.h"

struct server;
struct route;
struct body;
struct conntrack_conn;

/* How the request body must be checked, as the signature method dictates. */
enum payload_mode {
	PAYLOAD_UNCHECKED, /* SigV2, presigned, UNSIGNED-PAYLOAD: no body digest promised */
	PAYLOAD_SHA256,	   /* x-amz-content-sha256 is a hex digest to verify */
	PAYLOAD_CHUNKED,   /* aws-chunked; see auth.chunked */
};

struct auth_result {
	struct user user; /* the authenticated user (secret included) */
	enum payload_mode payload;
	char payload_sha256[65];       /* PAYLOAD_SHA256: expected lowercase hex */
	struct chunked_params chunked; /* PAYLOAD_CHUNKED */
};

struct request {
	struct server *srv;
	struct MHD_Connection *conn;
	struct arena arena;
	bool tls;			   /* came over the TLS listener (server_listener.tls) */
	struct conntrack_conn *conn_track; /* its connection in srv->conns; may be NULL */
	bool in_flight; /* counted in srv->conns' requests in flight (from its head on) */
	char id[17];	/* x-amz-request-id */
	int64_t start_ms;

	/* request line */
	const char *method; /* owned by libmicrohttpd for the request's life */
	char *raw_uri;	    /* as received, arena */
	char *raw_path;	    /* still percent-encoded, arena */
	char *path;	    /* decoded, arena */
	struct sigv4_kv query[STRATA_MAX_QUERY_PARAMS]; /* decoded, arena */
	size_t nquery;
	struct sigv4_kv headers[STRATA_MAX_HEADERS]; /* pointers into libmicrohttpd */
	size_t nheaders;

	/* addressing */
	bool virtual_host;			 /* bucket came from the Host header */
	char bucket[STRATA_BUCKET_NAME_MAX + 1]; /* "" for the service */
	char *key;				 /* NULL for service/bucket requests, arena */
	size_t key_len;

	/* dispatch */
	const struct route *route;
	struct bucket_info bucket_info; /* filled when the route needs an owned bucket */
	struct auth_result auth;
	bool authenticated;

	/* body */
	uint64_t content_length; /* UINT64_MAX when absent */
	struct body *body;	 /* the body pipeline, when the operation takes one */
	struct buf xml;		 /* buffered body for XML operations */
	void *op_state;		 /* per-operation state (writer...) */
	void (*op_state_free)(struct request *r);

	/* outcome */
	bool started;		    /* head processed */
	bool queued;		    /* a response was queued */
	s3err_t err;		    /* first error, answered at the end of the body */
	const char *err_message;    /* overrides the table's message (static or arena) */
	char err_content_range[48]; /* 416 InvalidRange: "bytes * /size" (without the space) */
	/* an error about a version (a delete marker's 404/405): x-amz-version-id when not "" */
	char err_version_id[STRATA_VERSION_ID_MAX];
	bool err_delete_marker;	   /* ... and x-amz-delete-marker: true */
	struct MHD_Response *resp; /* the success response an operation built */
	unsigned status;
	uint64_t start_mono_us; /* monotonic clock at the request line, for the latency metric */
	uint64_t bytes_in;	/* request body bytes received (the access log) */
	uint64_t bytes_out;	/* response body bytes produced: XML, errors, GET streaming */
};

/* --- lookups (header names case-insensitive, query names exact) --- */

/* The first value of header name, or NULL. */
const char *req_header(const struct request *r, const char *name);
/* The value of query parameter name ("" for a bare "?name"), or NULL. */
const char *req_query(const struct request *r, const char *name);
/* true if query parameter name is present. */
bool req_has_query(const struct request *r, const char *name);

/*
 * Records err as the request's outcome (the first one wins); message may be
 * NULL. Returns err. Inline so that the static analyzer sees that
 * `return req_fail(r, S3E_..., ...)` returns an error: a caller's "nothing
 * was filled" path is then never taken for a success.
 */
static inline s3err_t req_fail(struct request *r, s3err_t err, const char *message)
{
	if (r->err == S3E_OK && err != S3E_OK) {
		r->err = err;
		r->err_message = message;
	}
	return err;
}

/* A message formatted into the request's arena (NULL when out of room), for req_failf. */
char *req_msgf(struct request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * req_fail with a formatted message kept in the arena. Returns err. A macro
 * over req_fail so that the analyzer sees that too (it does not follow
 * variadic calls); err is evaluated once.
 */
#define req_failf(r, err, ...) req_fail((r), (err), req_msgf((r), __VA_ARGS__))

/*
 * Parses raw_uri into raw_path, path, query; fills headers from the
 * connection; resolves bucket and key (path style, or virtual-host style
 * when the Host header ends in one of the configured domains).
 * Errors: S3E_InvalidURI, S3E_InvalidBucketName, S3E_KeyTooLongError,
 * S3E_InvalidArgument, S3E_RequestHeaderSectionTooLarge.
 */
s3err_t req_parse(struct request *r);

#endif
