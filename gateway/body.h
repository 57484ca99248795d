/*
 * body: the streaming pipeline a request body flows through
 * (DESIGN.md, "The write path streams"):
 *
 *   bytes from libmicrohttpd
 *     -> aws-chunked decoder (verifying chunk and trailer signatures), if used
 *     -> hashset: MD5 (ETag), SHA-256 (integrity, x-amz-content-sha256),
 *        and the client's x-amz-checksum-* algorithm, if any
 *     -> the sink (a backend writer, or a bounded memory buffer for XML)
 *
 * body_finish checks every promise the client made (sizes, Content-MD5,
 * x-amz-content-sha256, x-amz-checksum-* in a header or trailer) and only
 * then reports success; the caller publishes nothing before that.
 * Backpressure: each body_feed call runs the whole chain synchronously on the
 * connection's thread, so libmicrohttpd reads no more until the sink has the bytes.
 */
#ifndef STRATA_BODY_H
#define STRATA_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "../common/checksum.h"
#include "../common/s3err.h"

struct request;
struct body;

/* Receives verified-so-far payload bytes. */
typedef s3err_t (*body_sink_fn)(void *ctx, const uint8_t *data, size_t len);

/*
 * Validates the body-related headers of r (Content-Length, Content-MD5,
 * x-amz-checksum-*, x-amz-sdk-checksum-algorithm, x-amz-trailer,
 * x-amz-decoded-content-length) against the auth payload mode, and builds the
 * pipeline. max_size caps the decoded payload (EntityTooLarge past it).
 * Errors: S3E_InvalidDigest, S3E_InvalidRequest, S3E_InvalidArgument,
 * S3E_EntityTooLarge, S3E_MissingContentLength, S3E_InternalError.
 */
s3err_t body_new(struct request *r, uint64_t max_size, body_sink_fn sink, void *sink_ctx,
		 struct body **out);

/* Pushes len raw body bytes through the chain. */
s3err_t body_feed(struct body *b, const uint8_t *data, size_t len);

/*
 * Ends the body and verifies everything. Fills *out with the digests of the
 * payload and *size with its length. Errors: S3E_IncompleteBody,
 * S3E_BadDigest, S3E_XAmzContentSHA256Mismatch, S3E_SignatureDoesNotMatch, ...
 */
s3err_t body_finish(struct body *b, struct digests *out, uint64_t *size);

/*
 * Makes the pipeline compute algorithm a (an upload part must carry its
 * upload's checksum). Call before the first body_feed. Errors:
 * S3E_InvalidRequest when the client chose a different algorithm.
 */
s3err_t body_expect_algo(struct body *b, enum cksum_algo a);

/* The checksum algorithm the client asked for (header, trailer or SDK hint). */
/*
 * For the integrity-off benchmark (config `integrity = off`) only: stops
 * computing SHA-256 unless the signature itself promised one. Call before
 * the first byte. Errors: S3E_InternalError.
 */
s3err_t body_without_sha256(struct body *b);
enum cksum_algo body_checksum_algo(const struct body *b);

void body_free(struct body *b);

#endif
