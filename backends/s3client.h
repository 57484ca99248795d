/*
 * s3client: a libcurl client of a remote S3 store (Ceph RGW, MinIO, AWS),
 * the transport under the `s3` backend (issue 7). It knows S3 requests,
 * SigV4 and the remote's XML; it knows nothing of Strata's own metadata.
 *
 * Contract shared by every operation:
 *  - Every request is signed with SigV4 in the Authorization header. The
 *    payload is sent as UNSIGNED-PAYLOAD with a Content-MD5 the remote
 *    verifies (cheap transit check), or with its real SHA-256 when
 *    s3c_config.sign_payload asks; bodyless requests sign the empty hash.
 *  - Keys are arbitrary bytes (1..1024): every byte but A-Z a-z 0-9 - _ . ~
 *    is percent-encoded, '/' is kept, and nothing is normalized ("..",
 *    "//" and "./" reach the remote as they are).
 *  - Idempotent requests (GET, HEAD, DELETE, PUT of a buffer, copies,
 *    UploadPart, Complete) are retried on connection errors, timeouts, 5xx,
 *    SlowDown and RequestTimeout, with exponential backoff and full jitter,
 *    at most 1 + max_retries attempts. CreateMultipartUpload is retried
 *    only when the connection was never made (nothing reached the remote).
 *  - The result: `struct s3c_result` is filled on success AND on failure
 *    (it is the caller's window on what the remote said). The return value
 *    is the s3err_t the gateway should answer with: the remote's own code
 *    where it means the same to Strata's client (NoSuchKey, NoSuchBucket,
 *    NoSuchUpload, InvalidPart, PreconditionFailed, InvalidRange,
 *    AccessDenied, BucketAlreadyExists, BucketNotEmpty, EntityTooSmall...),
 *    S3E_ServiceUnavailable when the remote could not be reached or kept
 *    failing (refused, timeouts, 5xx after the retries), S3E_InternalError
 *    for anything else (bad remote credentials, a malformed or oversized
 *    answer). Every failure is logged (module "s3client") with the
 *    operation, bucket, key, status, code, message and request id; never
 *    with the secret, a signature or the Authorization header.
 *  - Everything a remote sends is bounded by the S3C_MAX_* caps below; a
 *    remote that passes one gets S3E_InternalError, never a bigger buffer.
 *  - Thread safety: one `struct s3c` serves any number of threads at once.
 *    Its configuration is immutable; a mutex guards only the pool of idle
 *    connections (a CURL easy handle + the multi handle that keeps its
 *    connections alive), never held across I/O; DNS and TLS sessions are
 *    shared through a CURLSH. A stream belongs to one thread at a time.
 */
#ifndef STRATA_S3CLIENT_H
#define STRATA_S3CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../common/buf.h"
#include "../common/limits.h"
#include "../common/s3err.h"

/* ---- caps (common/limits.h style; owned here until limits.h adopts them) ---- */

#define S3C_MAX_ENDPOINT 256u		/* "https://host:port" */
#define S3C_MAX_URL 32768u		/* encoded URL: 3 x key + 3 x token + query */
#define S3C_MAX_REQ_HEADERS 64u		/* caller-given headers of one request */
#define S3C_MAX_ERROR_BODY (64u * 1024) /* an <Error> body, or any unexpected body */
#define S3C_MAX_SMALL_BODY (64u * 1024) /* Initiate/Complete/Copy results, CreateBucket */
#define S3C_MAX_LIST_BODY STRATA_MAX_LIST_RESPONSE /* ListObjectsV2 & co. (8 MiB) */
#define S3C_MAX_HEADER_VALUE                                                                       \
	(16u * 1024) /* one value: Strata's own x-amz-meta-strata (common/objwire.h) */
#define S3C_MAX_RESP_HEADERS (32u * 1024) /* kept response headers, "name\0value\0" */
#define S3C_MAX_ERROR_CODE 64u		  /* remote's <Code> (longer is cut) */
#define S3C_MAX_ERROR_MESSAGE 512u	  /* remote's <Message> (longer is cut) */
#define S3C_MAX_REQUEST_ID 128u		  /* x-amz-request-id / <RequestId> (cut) */
#define S3C_MAX_ETAG 128u		  /* unquoted ETag incl. NUL */
#define S3C_MAX_UPLOAD_ID 1024u		  /* remote upload id incl. NUL */
#define S3C_MAX_VERSION_ID                                                                         \
	1024u		    /* remote version id incl. NUL (its form is the caller's to check) */
#define S3C_MAX_RETRIES 10u /* ceiling of s3c_config.max_retries */
#define S3C_MAX_IDLE 64u    /* ceiling of pooled idle connections */
#define S3C_STREAM_BUFFER STRATA_IO_BLOCK /* bytes a GET stream holds (256 KiB) */

/* Defaults for zero fields of struct s3c_config. */
#define S3C_DEFAULT_REGION "us-east-1"
#define S3C_DEFAULT_CONNECT_TIMEOUT_MS 10000u
#define S3C_DEFAULT_IO_TIMEOUT_MS 30000u
#define S3C_DEFAULT_RETRY_BASE_MS 100u
#define S3C_DEFAULT_RETRY_MAX_MS 5000u
#define S3C_DEFAULT_IDLE 16u

/* A range length meaning "to the end of the object". */
#define S3C_RANGE_ALL UINT64_MAX

/* ---- types ---- */

/* How to reach the remote. Strings are copied by s3c_new. */
struct s3c_config {
	const char *endpoint;	     /* "http://host:port" or "https://host[:port]" (no path) */
	const char *region;	     /* SigV4 region; NULL or "" = "us-east-1" */
	const char *access_key;	     /* 1..STRATA_MAX_ACCESS_KEY_LEN */
	const char *secret_key;	     /* 1..STRATA_MAX_SECRET_KEY_LEN; wiped on s3c_free */
	const char *ca_file;	     /* PEM bundle; NULL or "" = the system's */
	bool path_style;	     /* true: host/bucket/key; false: bucket.host/key */
	bool sign_payload;	     /* true: x-amz-content-sha256 is the body's SHA-256 */
	unsigned connect_timeout_ms; /* 0 = default */
	unsigned io_timeout_ms;	     /* a transfer moving no byte this long fails
					(1 s granularity, rounded up); 0 = default */
	unsigned max_retries;	     /* retries after the first attempt, <= S3C_MAX_RETRIES */
	unsigned retry_base_ms;	     /* first backoff ceiling; 0 = default */
	unsigned retry_max_ms;	     /* largest backoff ceiling; 0 = default */
	unsigned max_idle;	     /* pooled idle connections, <= S3C_MAX_IDLE; 0 = default */
	bool quiet;		     /* failed requests logged at debug only: the caller reports
					them itself (rate-limited, say, while a site is down) */
};

/* A request header or query parameter given by the caller. */
struct s3c_header {
	const char *name;
	const char *value;
};

/*
 * What the remote answered (the last attempt). Strings are NUL-terminated
 * and "" when absent; numbers 0 when absent.
 */
struct s3c_result {
	long status;	   /* HTTP status; 0 when no response arrived */
	unsigned attempts; /* requests sent (1 + retries) */
	int curl_code;	   /* CURLcode of the last attempt (0 = CURLE_OK) */
	char code[S3C_MAX_ERROR_CODE];
	char message[S3C_MAX_ERROR_MESSAGE];
	char request_id[S3C_MAX_REQUEST_ID];
	char etag[S3C_MAX_ETAG]; /* without quotes: header ETag, or the result document's */
	bool has_length;
	uint64_t content_length; /* Content-Length of the response */
	uint64_t object_size;	 /* GET/HEAD: the whole object (Content-Range total, or length) */
	int64_t last_modified_ms;
	/* Kept response headers (x-amz-*, content-*, cache-control, expires), lowercase
	 * names: read them with s3c_result_header / s3c_result_header_next. */
	size_t nheaders;
	size_t headers_len;
	char headers[S3C_MAX_RESP_HEADERS];
};

struct s3c;	   /* a client (opaque) */
struct s3c_stream; /* an open GET (opaque) */

/* ---- client ---- */

/*
 * Validates cfg and makes a client: parses the endpoint, copies the
 * strings, prepares the connection pool and the shared DNS/TLS cache. No
 * connection is opened yet. Initializes libcurl once per process (safe from
 * any thread). *out is set only on success; the caller frees it with
 * s3c_free. Errors: S3E_InvalidArgument (bad endpoint, missing or too long
 * keys, virtual-host style with an IP address, out-of-range numbers),
 * S3E_InternalError (out of memory, libcurl failed).
 */
s3err_t s3c_new(const struct s3c_config *cfg, struct s3c **out);

/*
 * Closes every pooled connection and frees the client, wiping the secret.
 * No operation or stream may still be running. s3c_free(NULL) does nothing.
 */
void s3c_free(struct s3c *c);

/* ---- result ---- */

/* The first kept response header called name (any case), or NULL. */
const char *s3c_result_header(const struct s3c_result *r, const char *name);

/*
 * Walks the kept response headers: start with *cursor = 0; each call sets
 * *name (lowercase) and *value and returns true, false after the last.
 */
bool s3c_result_header_next(const struct s3c_result *r, size_t *cursor, const char **name,
			    const char **value);

/* ---- buckets ---- */

/*
 * CreateBucket; location ("" or NULL: none) goes in a
 * CreateBucketConfiguration body. Not retried past a sent request
 * (a retry would answer BucketAlreadyOwnedByYou). Errors: see above.
 */
s3err_t s3c_bucket_create(struct s3c *c, const char *bucket, const char *location,
			  struct s3c_result *res);

/* HeadBucket. A 404 is S3E_NoSuchBucket. */
s3err_t s3c_bucket_head(struct s3c *c, const char *bucket, struct s3c_result *res);

/* DeleteBucket. Errors include S3E_NoSuchBucket, S3E_BucketNotEmpty. */
s3err_t s3c_bucket_delete(struct s3c *c, const char *bucket, struct s3c_result *res);

/*
 * Visitor of a listed bucket; name is valid during the call. A return other
 * than S3E_OK stops the listing and is returned by it.
 */
typedef s3err_t (*s3c_bucket_fn)(void *arg, const char *name, int64_t created_ms);

/*
 * ListBuckets: calls fn for each bucket, in the remote's order, only after
 * the whole answer parsed (a malformed answer visits nothing).
 */
s3err_t s3c_bucket_list(struct s3c *c, s3c_bucket_fn fn, void *arg, struct s3c_result *res);

/*
 * PutBucketVersioning: Status Enabled (enabled) or Suspended. A remote
 * without versioning answers NotImplemented (or an error mapped as above).
 */
s3err_t s3c_bucket_versioning_put(struct s3c *c, const char *bucket, bool enabled,
				  struct s3c_result *res);

/*
 * GetBucketVersioning: status[16] gets "Enabled", "Suspended" or "" (never
 * versioned). Another Status is S3E_InternalError.
 */
s3err_t s3c_bucket_versioning_get(struct s3c *c, const char *bucket, char status[16],
				  struct s3c_result *res);

/* ---- objects ---- */

/*
 * PutObject of data[0..len) with the caller's extra headers (x-amz-meta-*,
 * Content-Type, x-amz-storage-class...; Host, Authorization, Content-Length,
 * Content-MD5, Range, Expect, x-amz-date, x-amz-content-sha256 and
 * x-amz-copy-source* are the client's own and refused). data may be NULL
 * when len is 0. The object's ETag is in res->etag. Errors: above, and
 * S3E_InvalidArgument for a bad header name or value (CR, LF, NUL...).
 */
s3err_t s3c_object_put(struct s3c *c, const char *bucket, const char *key, const void *data,
		       size_t len, const struct s3c_header *hdrs, size_t nhdrs,
		       struct s3c_result *res);

/*
 * HeadObject: res gets the size (content_length, object_size), ETag,
 * Last-Modified and the kept headers (x-amz-meta-* etc.). A 404 is
 * S3E_NoSuchKey (a HEAD has no body to tell a missing bucket apart).
 */
s3err_t s3c_object_head(struct s3c *c, const char *bucket, const char *key, struct s3c_result *res);

/*
 * s3c_object_head of version version_id (NULL or "": the latest), sent as
 * the versionId query parameter (percent-encoded like any parameter). The
 * version and a delete marker show in res's x-amz-version-id and
 * x-amz-delete-marker headers, also on the 404 of a latest delete marker; a
 * marker asked for by id is S3E_MethodNotAllowed (405).
 */
s3err_t s3c_object_head_v(struct s3c *c, const char *bucket, const char *key,
			  const char *version_id, struct s3c_result *res);

/* DeleteObject (a missing key is success, as on S3). */
s3err_t s3c_object_delete(struct s3c *c, const char *bucket, const char *key,
			  struct s3c_result *res);
/* DeleteObject with the caller's extra headers (checked as s3c_object_put's). */
s3err_t s3c_object_delete_hdrs(struct s3c *c, const char *bucket, const char *key,
			       const struct s3c_header *hdrs, size_t nhdrs, struct s3c_result *res);

/*
 * DeleteObject of version version_id (NULL or "": the key, which makes a
 * delete marker in a versioned bucket). res's x-amz-version-id and
 * x-amz-delete-marker headers say what was removed or made.
 */
s3err_t s3c_object_delete_v(struct s3c *c, const char *bucket, const char *key,
			    const char *version_id, struct s3c_result *res);

enum s3c_directive {
	S3C_META_COPY = 0, /* the copy keeps the source's metadata; hdrs must be empty */
	S3C_META_REPLACE,  /* the copy gets hdrs instead */
};

/*
 * CopyObject src_bucket/src_key -> bucket/key on the remote. The copy's
 * ETag is in res->etag. A 200 whose body is an <Error> is an error (and
 * retried when the code is a transient one), as AWS documents.
 */
s3err_t s3c_object_copy(struct s3c *c, const char *bucket, const char *key, const char *src_bucket,
			const char *src_key, enum s3c_directive dir, const struct s3c_header *hdrs,
			size_t nhdrs, struct s3c_result *res);

/* One listed object; strings valid during the visitor call. */
struct s3c_object {
	const char *key; /* decoded (the client asks for encoding-type=url) */
	size_t key_len;
	uint64_t size;
	const char *etag; /* unquoted */
	int64_t last_modified_ms;
	const char *storage_class; /* "" when absent */
};

typedef s3err_t (*s3c_object_fn)(void *arg, const struct s3c_object *o);
typedef s3err_t (*s3c_prefix_fn)(void *arg, const char *prefix, size_t len);

/* ListObjectsV2 request; NULL or "" strings are left out. */
struct s3c_list_params {
	const char *prefix;
	const char *delimiter;
	const char *start_after;
	const char *continuation_token;
	unsigned max_keys;	 /* 0 = the remote's default (1000) */
	s3c_object_fn on_object; /* may be NULL */
	s3c_prefix_fn on_prefix; /* may be NULL */
	void *arg;
};

/* One page of a listing. */
struct s3c_list_page {
	bool truncated;
	char next_token[STRATA_MAX_CONTINUATION_TOKEN + 1]; /* "" unless truncated */
	unsigned objects;				    /* entries on this page */
	unsigned prefixes;
};

/*
 * ListObjectsV2, one page: visits the objects then the common prefixes of
 * the page, in document order, after the whole answer (capped at
 * S3C_MAX_LIST_BODY) parsed and validated. *page is set only on success.
 * A truncated page without a NextContinuationToken is S3E_InternalError.
 */
s3err_t s3c_list_objects_v2(struct s3c *c, const char *bucket, const struct s3c_list_params *p,
			    struct s3c_list_page *page, struct s3c_result *res);

/* One listed version or delete marker; strings valid during the visitor call. */
struct s3c_version {
	struct s3c_object o;	/* a marker: size 0, etag and storage_class "" */
	const char *version_id; /* as the remote sent it (unchecked form) */
	bool is_latest;
	bool delete_marker;
};

typedef s3err_t (*s3c_version_fn)(void *arg, const struct s3c_version *v);

/* ListObjectVersions request; NULL or "" strings are left out. */
struct s3c_versions_params {
	const char *prefix;
	const char *key_marker;
	const char *version_id_marker;
	unsigned max_keys; /* 0 = the remote's default (1000) */
	s3c_version_fn on_version;
	void *arg;
};

struct s3c_versions_page {
	bool truncated;
	char next_key_marker[STRATA_MAX_KEY_LEN + 1];
	char next_version_id_marker[S3C_MAX_VERSION_ID];
	unsigned entries;
};

/*
 * ListObjectVersions, one page: visits the Version and DeleteMarker entries
 * in document order (keys ascending, each key's versions newest first)
 * after the whole answer (capped at S3C_MAX_LIST_BODY) parsed and
 * validated. *page is set only on success.
 */
s3err_t s3c_list_versions(struct s3c *c, const char *bucket, const struct s3c_versions_params *p,
			  struct s3c_versions_page *page, struct s3c_result *res);

/* ---- GET, streaming ---- */

/*
 * GetObject of range_len bytes from range_start (S3C_RANGE_ALL: to the end;
 * 0, S3C_RANGE_ALL: the whole object without a Range header). Returns once
 * the response head arrived: status, errors and headers are known (res;
 * object_size is the whole object's size, content_length this response's).
 * The body is then pulled with s3c_stream_read; the stream holds at most
 * S3C_STREAM_BUFFER bytes (the transfer pauses while the caller does not
 * read), so any object size streams in bounded memory. Opening is retried
 * like any idempotent request; a stream already partly delivered is not.
 * A remote that ignores the Range (200) or answers another one is
 * S3E_InternalError. *out is set only on success; close it with
 * s3c_stream_close. Errors: S3E_InvalidArgument (range_len 0, overflow),
 * S3E_InvalidRange, S3E_NoSuchKey..., see above.
 */
s3err_t s3c_get_open(struct s3c *c, const char *bucket, const char *key, uint64_t range_start,
		     uint64_t range_len, struct s3c_stream **out, struct s3c_result *res);

/*
 * s3c_get_open, only while the object's ETag is if_match (unquoted; NULL or
 * "": any): another version answers S3E_PreconditionFailed. Readers use it
 * to reopen a stream on the version they started with.
 */
s3err_t s3c_get_open_if(struct s3c *c, const char *bucket, const char *key, uint64_t range_start,
			uint64_t range_len, const char *if_match, struct s3c_stream **out,
			struct s3c_result *res);

/*
 * s3c_get_open_if of version version_id (NULL or "": the latest), sent as
 * the versionId query parameter.
 */
s3err_t s3c_get_open_v(struct s3c *c, const char *bucket, const char *key, const char *version_id,
		       uint64_t range_start, uint64_t range_len, const char *if_match,
		       struct s3c_stream **out, struct s3c_result *res);

/*
 * Copies the next body bytes into buf[0..len), waiting for them: *got <
 * len only at the end of the body (then 0 on every later call). Errors
 * (the connection broke or stalled: S3E_ServiceUnavailable; the body was
 * shorter or longer than announced: S3E_ServiceUnavailable; anything else:
 * S3E_InternalError) are logged and sticky; *got is then 0 and buf's
 * content undefined.
 */
s3err_t s3c_stream_read(struct s3c_stream *s, void *buf, size_t len, size_t *got);

/*
 * Ends the GET and frees the stream. Closing before the end drops the
 * connection (its remaining body is not drained). NULL does nothing.
 */
void s3c_stream_close(struct s3c_stream *s);

/* ---- multipart uploads ---- */

/*
 * CreateMultipartUpload with the caller's headers (as s3c_object_put). The
 * remote's upload id goes to upload_id[S3C_MAX_UPLOAD_ID], set only on
 * success. Retried only when no request reached the remote.
 */
s3err_t s3c_mpu_create(struct s3c *c, const char *bucket, const char *key,
		       const struct s3c_header *hdrs, size_t nhdrs,
		       char upload_id[S3C_MAX_UPLOAD_ID], struct s3c_result *res);

/* UploadPart number part (1..10000) from data[0..len); the part's ETag is in res->etag. */
s3err_t s3c_mpu_upload_part(struct s3c *c, const char *bucket, const char *key,
			    const char *upload_id, unsigned part, const void *data, size_t len,
			    struct s3c_result *res);

/*
 * UploadPartCopy: part `part` is src_len bytes of src_bucket/src_key from
 * src_start (S3C_RANGE_ALL with start 0: the whole source, no range header).
 * The part's ETag is in res->etag (from the CopyPartResult; a 200 <Error>
 * is an error).
 */
s3err_t s3c_mpu_upload_part_copy(struct s3c *c, const char *bucket, const char *key,
				 const char *upload_id, unsigned part, const char *src_bucket,
				 const char *src_key, uint64_t src_start, uint64_t src_len,
				 struct s3c_result *res);

/* A part of CompleteMultipartUpload. */
struct s3c_part {
	unsigned number;  /* 1..10000, strictly ascending in the list */
	const char *etag; /* quoted or not */
};

/*
 * CompleteMultipartUpload with parts[0..n) (1..STRATA_MAX_PARTS, ascending:
 * else S3E_InvalidPartOrder / S3E_InvalidArgument before any request). The
 * object's ETag is in res->etag. A 200 whose body is an <Error> is an error.
 */
s3err_t s3c_mpu_complete(struct s3c *c, const char *bucket, const char *key, const char *upload_id,
			 const struct s3c_part *parts, size_t n, struct s3c_result *res);
/* s3c_mpu_complete with the caller's extra headers (checked as s3c_object_put's). */
s3err_t s3c_mpu_complete_hdrs(struct s3c *c, const char *bucket, const char *key,
			      const char *upload_id, const struct s3c_part *parts, size_t n,
			      const struct s3c_header *hdrs, size_t nhdrs, struct s3c_result *res);

/* AbortMultipartUpload. S3E_NoSuchUpload when the remote no longer has it. */
s3err_t s3c_mpu_abort(struct s3c *c, const char *bucket, const char *key, const char *upload_id,
		      struct s3c_result *res);

/* One listed upload; strings valid during the call. */
struct s3c_upload {
	const char *key; /* decoded */
	size_t key_len;
	const char *upload_id;
	int64_t initiated_ms;
};

typedef s3err_t (*s3c_upload_fn)(void *arg, const struct s3c_upload *u);

/* ListMultipartUploads request; NULL or "" strings are left out. */
struct s3c_mpu_list_params {
	const char *prefix;
	const char *key_marker;
	const char *upload_id_marker;
	unsigned max_uploads; /* 0 = the remote's default (1000) */
	s3c_upload_fn on_upload;
	void *arg;
};

struct s3c_mpu_list_page {
	bool truncated;
	char next_key_marker[STRATA_MAX_KEY_LEN + 1];
	char next_upload_id_marker[S3C_MAX_UPLOAD_ID];
	unsigned uploads;
};

/*
 * ListMultipartUploads, one page (for collecting stale uploads): visits
 * each upload after the whole answer parsed. *page is set only on success.
 */
s3err_t s3c_mpu_list(struct s3c *c, const char *bucket, const struct s3c_mpu_list_params *p,
		     struct s3c_mpu_list_page *page, struct s3c_result *res);

/* ---- exported for tests (tests/unit/test_s3client.c); not for product code ---- */

/*
 * Builds what an attempt would send, without sending: the URL and the
 * request header block ("Name: value\n" per line, Authorization last),
 * signed for time `now` with payload_hash. hdrs are the request's headers
 * besides Host, x-amz-date and x-amz-content-sha256 (which this adds);
 * query holds decoded parameters. Errors: S3E_InvalidArgument (bad bucket,
 * key, header), S3E_InternalError (a cap).
 */
s3err_t s3c_test_prepare(const struct s3c *c, const char *method, const char *bucket,
			 const char *key, const struct s3c_header *query, size_t nquery,
			 const struct s3c_header *hdrs, size_t nhdrs, const char *payload_hash,
			 time_t now, struct buf *url, struct buf *head);

/* The s3err_t a remote answer maps to (code "" when the body had none). */
s3err_t s3c_map_error(long status, const char *code, bool object_op);

/* true if an attempt that ended this way should be retried (curl_code: a CURLcode). */
bool s3c_retryable(int curl_code, long status, const char *code, bool idempotent);

/*
 * The backoff before retry number `retry` (0 = the first): full jitter,
 * rnd % (min(cap_ms, base_ms * 2^retry) + 1) milliseconds.
 */
unsigned s3c_backoff_ms(unsigned retry, unsigned base_ms, unsigned cap_ms, uint32_t rnd);

/*
 * Parsers of the remote's documents (len capped as by the operations),
 * calling the visitors only once the whole document validated. Malformed
 * or over-cap XML is S3E_InternalError (the remote's fault, not the
 * client's). s3c_parse_error fills res->code/message/request_id and
 * returns S3E_OK only for an <Error> document.
 */
s3err_t s3c_parse_list_v2(const char *xml, size_t len, const struct s3c_list_params *p,
			  struct s3c_list_page *page);
s3err_t s3c_parse_mpu_list(const char *xml, size_t len, const struct s3c_mpu_list_params *p,
			   struct s3c_mpu_list_page *page);
s3err_t s3c_parse_bucket_list(const char *xml, size_t len, s3c_bucket_fn fn, void *arg);
s3err_t s3c_parse_list_versions(const char *xml, size_t len, const struct s3c_versions_params *p,
				struct s3c_versions_page *page);
/* VersioningConfiguration -> status[16]: "Enabled", "Suspended" or "" (no Status). */
s3err_t s3c_parse_versioning(const char *xml, size_t len, char status[16]);
s3err_t s3c_parse_initiate(const char *xml, size_t len, char upload_id[S3C_MAX_UPLOAD_ID]);
/*
 * CompleteMultipartUploadResult, CopyObjectResult or CopyPartResult (root) ->
 * etag. An empty ETag is accepted only in a CompleteMultipartUploadResult
 * (etag ""), as Ceph RGW 16 sends one.
 */
s3err_t s3c_parse_etag_result(const char *xml, size_t len, const char *root,
			      char etag[S3C_MAX_ETAG]);
s3err_t s3c_parse_error(const char *xml, size_t len, struct s3c_result *res);

#endif
