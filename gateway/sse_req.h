/*
 * sse_req: server-side encryption as requests ask for it (DESIGN.md "Encryption").
 *
 * Writes (PutObject, CopyObject's destination, CreateMultipartUpload) take,
 * in this order: the SSE-C headers (the client's own key), or
 * x-amz-server-side-encryption (AES256; aws:kms and aws:kms:dsse answer
 * NotImplemented), or the bucket's default (PutBucketEncryption), or the
 * server's (config default_encryption). SSE-S3 gets a fresh data key per
 * object (per upload for multipart), wrapped by the current master key.
 *
 * Reads (GET, HEAD, GetObjectAttributes, a copy source, and UploadPart /
 * Complete of an SSE-C upload) recover the data key: SSE-S3 by unwrapping,
 * SSE-C from the headers, which must carry the key the object was written
 * with (its salted hash is all Strata keeps). AWS's answers:
 *   SSE-C object, no key headers       400 InvalidRequest
 *   SSE-C object, another key          403 AccessDenied
 *   key headers on an object not SSE-C 400 InvalidRequest
 *   SSE-C over plain HTTP              400 InvalidRequest (config sse_c_over_http)
 */
#ifndef STRATA_SSE_REQ_H
#define STRATA_SSE_REQ_H

#include <stdbool.h>

#include "../common/objmeta.h"
#include "../common/sse.h"
#include "request.h"

/* What a request resolved to; cleanse with sse_key_clear once done. */
struct sse_key {
	enum sse_mode mode;
	uint8_t data_key[SSE_KEY_SIZE]; /* valid unless SSE_NONE */
	char customer_md5[32];		/* SSE-C: the key's MD5 (base64) the client sent */
};

/* The bucket configuration document that holds its default encryption. */
#define SSE_BUCKET_CONFIG "encryption"

/*
 * For a write to r's bucket: decides the encryption as above, fills k and
 * the sse fields of m (mode, key id, envelope; always overwritten, so a
 * copied meta never keeps its source's). Errors are answered through
 * req_fail (InvalidArgument, InvalidEncryptionAlgorithmError,
 * InvalidRequest, NotImplemented, InternalError).
 */
s3err_t sse_req_write(struct request *r, struct obj_meta *m, struct sse_key *k);

/*
 * For a read of an object (or of an upload's parts) whose metadata is m:
 * checks the request's SSE-C headers (the x-amz-copy-source-… ones when
 * copy_source) against m and fills k with its data key. Errors as listed
 * at the top, through req_fail.
 */
s3err_t sse_req_read(struct request *r, const struct obj_meta *m, bool copy_source,
		     struct sse_key *k);

/* True when the request carries any SSE header for the object it writes. */
bool sse_req_asked(const struct request *r);

/* The response headers that describe k (x-amz-server-side-encryption, or the SSE-C pair). */
void sse_req_headers(struct request *r, const struct sse_key *k);

/* Same from stored metadata alone (no SSE-C key MD5 to echo unless the request sent one). */
void sse_req_meta_headers(struct request *r, const struct obj_meta *m);

void sse_key_clear(struct sse_key *k);

#endif
