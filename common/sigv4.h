/*
 * sigv4: AWS Signature Version 4 as S3 uses it (no path normalization, the
 * path encoded once), for the Authorization header and presigned URLs.
 * Pure functions: the gateway supplies the request pieces and the secret.
 */
#ifndef STRATA_SIGV4_H
#define STRATA_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "limits.h"
#include "s3err.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_STREAMING_PAYLOAD "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
#define SIGV4_STREAMING_PAYLOAD_TRAILER "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
#define SIGV4_STREAMING_UNSIGNED_TRAILER "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A name/value pair (a header or a decoded query parameter). */
struct sigv4_kv {
	const char *name;
	const char *value; /* "" for a query parameter without '=' */
};

/* What a client's signature claims, from the header or the query string. */
struct sigv4_auth {
	char access_key[STRATA_MAX_ACCESS_KEY_LEN + 1];
	char date[9]; /* YYYYMMDD of the scope */
	char region[STRATA_MAX_REGION_LEN + 1];
	char service[16];				    /* "s3" */
	char signed_headers[STRATA_MAX_SIGNED_HEADERS_LEN]; /* "host;x-amz-date", as sent */
	char signature[65];				    /* hex as sent (uppercase: no match) */
	char amz_date[17]; /* presigned: X-Amz-Date "20130524T000000Z"; header: "" */
	uint64_t expires;  /* presigned: X-Amz-Expires seconds; header: 0 */
};

/*
 * Parses "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=<64 hex>" (spaces after commas
 * optional, any order of the three). Error: S3E_AuthorizationHeaderMalformed.
 */
s3err_t sigv4_parse_header(const char *authorization, struct sigv4_auth *out);

/*
 * Parses presigned query parameters (decoded values): X-Amz-Algorithm,
 * X-Amz-Credential, X-Amz-Date, X-Amz-Expires (1..604800), X-Amz-SignedHeaders,
 * X-Amz-Signature. Error: S3E_AuthorizationQueryParametersError.
 */
s3err_t sigv4_parse_query(const struct sigv4_kv *params, size_t n, struct sigv4_auth *out);

/* The request as the canonical request sees it. */
struct sigv4_request {
	const char *method;
	const char *path; /* decoded absolute path, e.g. "/bucket/my key" */
	const struct sigv4_kv
	    *query; /* decoded parameters; the caller leaves out X-Amz-Signature */
	size_t nquery;
	const struct sigv4_kv *headers; /* every request header, names in any case */
	size_t nheaders;
	const char *signed_headers; /* "host;x-amz-date" (lowercase, ';'-separated) */
	const char *payload_hash;   /* hex, UNSIGNED-PAYLOAD or a STREAMING-* literal */
};

/*
 * Appends the canonical request to out: method, URI-encoded path (slashes
 * kept), sorted encoded query, the signed headers (lowercased names, values
 * trimmed with inner runs of spaces collapsed, repeated headers joined with
 * ','), the signed header list and the payload hash.
 * Errors: S3E_SignatureDoesNotMatch when a signed header is absent from the
 * request, S3E_AuthorizationHeaderMalformed for a bad signed-header list,
 * out->too_big past its cap.
 */
s3err_t sigv4_canonical_request(const struct sigv4_request *r, struct buf *out);

/* Appends "YYYYMMDD/region/service/aws4_request" to out. */
s3err_t sigv4_scope(const char *date8, const char *region, const char *service, struct buf *out);

/* Appends "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical)>" to out. */
s3err_t sigv4_string_to_sign(const char *amz_date, const char *scope, const char *canonical,
			     size_t canonical_len, struct buf *out);

/* kSigning = HMAC chain over "AWS4"+secret, date8, region, service, "aws4_request". */
void sigv4_signing_key(const char *secret, const char *date8, const char *region,
		       const char *service, uint8_t out[32]);

/* Lowercase hex HMAC-SHA256(key, msg) into out[65]. */
void sigv4_hmac_hex(const uint8_t key[32], const char *msg, size_t len, char out[65]);

/* Constant-time equality of two signatures of equal expected length (CRYPTO_memcmp). */
bool sigv4_sig_equal(const char *a, const char *b);

/* Lowercase hex SHA-256 of data into out[65]. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

#endif
