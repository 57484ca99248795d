/*
 * chunked: a streaming decoder for the aws-chunked body encodings.
 *
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD          hex-size;chunk-signature=SIG\r\n data \r\n ...
 * 0;chunk-signature=SIG\r\n\r\n STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  same, then trailer
 * lines and x-amz-trailer-signature:SIG\r\n\r\n STREAMING-UNSIGNED-PAYLOAD-TRAILER hex-size\r\n
 * data \r\n ... 0\r\n trailer lines \r\n\r\n
 *
 * Bytes are fed in arbitrary pieces (split anywhere, even inside a size
 * line); payload bytes are handed to on_data as they arrive, before their
 * chunk's signature is checked. That is safe because nothing is published
 * until chunked_finish has succeeded. Memory is bounded: a chunk's data is
 * hashed as it streams, never held; only the size line and the trailer
 * section are buffered, up to STRATA_MAX_CHUNK_LINE / STRATA_MAX_TRAILER_BYTES.
 *
 * Chunk signature i = HMAC(signing key, "AWS4-HMAC-SHA256-PAYLOAD\n" amz_date
 * "\n" scope "\n" signature(i-1) "\n" SHA256("") "\n" SHA256(chunk data)),
 * with signature(-1) = the seed signature of the request. The trailer
 * signature = HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n" amz_date "\n" scope "\n"
 * last chunk signature "\n" SHA256(trailer lines, each "name:value\n")).
 */
#ifndef STRATA_CHUNKED_H
#define STRATA_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "s3err.h"

enum chunked_mode {
	CHUNKED_SIGNED,		  /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
	CHUNKED_SIGNED_TRAILER,	  /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER */
	CHUNKED_UNSIGNED_TRAILER, /* STREAMING-UNSIGNED-PAYLOAD-TRAILER */
};

struct chunked_params {
	enum chunked_mode mode;
	/* signed modes only: */
	uint8_t signing_key[32];
	char amz_date[17];	 /* the request's x-amz-date */
	char scope[128];	 /* "20130524/us-east-1/s3/aws4_request" */
	char seed_signature[65]; /* the Authorization header's signature */
	/* x-amz-decoded-content-length; UINT64_MAX when the client sent none */
	uint64_t decoded_length;
};

/* Receives decoded payload bytes; a non-OK return aborts decoding with that error. */
typedef s3err_t (*chunked_data_fn)(void *ctx, const uint8_t *data, size_t len);

struct chunked_decoder; /* opaque */

/* Errors: S3E_InternalError (allocation). */
s3err_t chunked_new(const struct chunked_params *p, chunked_data_fn on_data, void *ctx,
		    struct chunked_decoder **out);

/*
 * Decodes the next len bytes of the body. After an error the decoder is dead
 * and every later call returns the same error.
 * Errors: S3E_SignatureDoesNotMatch (a chunk or trailer signature),
 * S3E_InvalidRequest (malformed framing, bytes after the end), S3E_IncompleteBody
 * (more payload than decoded_length), or what on_data returned.
 */
s3err_t chunked_feed(struct chunked_decoder *d, const uint8_t *buf, size_t len);

/*
 * Declares the body over. OK only if the final chunk and (trailer modes) the
 * trailer section were complete and verified and the decoded size equals
 * decoded_length when one was given. Errors: S3E_IncompleteBody, or a stored error.
 */
s3err_t chunked_finish(struct chunked_decoder *d);

/* After a successful finish: the trailer value for a lowercase name, or NULL. */
const char *chunked_trailer(const struct chunked_decoder *d, const char *name);

/* Total decoded payload bytes so far. */
uint64_t chunked_decoded_bytes(const struct chunked_decoder *d);

void chunked_free(struct chunked_decoder *d);

#endif
