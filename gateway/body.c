/* body: decode -> hash -> sink, then check every digest the client promised. */
#include "body.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../common/chunked.h"
#include "../common/hashjob.h"
#include "../common/limits.h"
#include "../common/strutil.h"
#include "request.h"
#include "routes.h"

struct body {
	struct request *r;
	body_sink_fn sink;
	void *sink_ctx;
	uint64_t max_size;
	uint64_t size; /* payload bytes so far */
	struct hashset *hs;
	struct chunked_decoder *chunked; /* NULL for a plain body */
	enum cksum_algo algo;		 /* the checksum to compute and keep */
	const char *checksum_value;	 /* from a header; NULL when none or trailer */
	const char *trailer_name;	 /* x-amz-trailer, lowercased in the arena */
	bool have_md5;
	uint8_t md5[16]; /* Content-MD5 */
	s3err_t err;	 /* sticky */
	/*
	 * Past STRATA_PARALLEL_HASH_AFTER bytes, the payload goes through batch:
	 * job hashes a full batch while the sink takes the same bytes on this
	 * thread. Both only read the batch; it is refilled after both are done.
	 */
	struct hashjob *job;
	uint8_t *batch; /* STRATA_HASH_BATCH bytes once job runs */
	size_t batch_len;
	bool serial; /* no second thread could be had: hash in line to the end */
};

/* Hashes and sinks the batch, the hashing on job's thread; empties it. */
static s3err_t flush_batch(struct body *b)
{
	s3err_t err;

	hashjob_feed(b->job, b->batch, b->batch_len);
	err = b->sink(b->sink_ctx, b->batch, b->batch_len);
	hashjob_wait(b->job);
	b->batch_len = 0;
	return err;
}

/* Starts the second thread and its batch; false (and hashing in line) if it cannot. */
static bool start_job(struct body *b)
{
	b->batch = malloc(STRATA_HASH_BATCH);
	if (b->batch && hashjob_new(b->hs, &b->job) == S3E_OK)
		return true;
	free(b->batch);
	b->batch = NULL;
	b->serial = true;
	return false;
}

/* The end of the chain: count, hash, hand to the sink. */
static s3err_t take(void *ctx, const uint8_t *data, size_t len)
{
	struct body *b = ctx;
	s3err_t err;
	size_t n;

	if (len > b->max_size - b->size)
		return S3E_EntityTooLarge;
	b->size += len;
	if (!b->job &&
	    (!b->sink || b->serial || b->size <= STRATA_PARALLEL_HASH_AFTER || !start_job(b))) {
		hashset_update(b->hs, data, len);
		return b->sink ? b->sink(b->sink_ctx, data, len) : S3E_OK;
	}
	while (len > 0) {
		n = STRATA_HASH_BATCH - b->batch_len;
		n = n < len ? n : len;
		memcpy(b->batch + b->batch_len, data, n);
		b->batch_len += n;
		data += n;
		len -= n;
		if (b->batch_len == STRATA_HASH_BATCH && (err = flush_batch(b)))
			return err;
	}
	return S3E_OK;
}

/* Header names x-amz-checksum-<algo>; not -mode, -type or -algorithm. */
static s3err_t find_checksum_header(struct body *b)
{
	struct request *r = b->r;
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		enum cksum_algo a = cksum_algo_from_header(r->headers[i].name);

		if (a == CKSUM_NONE)
			continue;
		if (b->checksum_value)
			return req_fail(r, S3E_InvalidRequest,
					"Expecting a single x-amz-checksum- header. Multiple "
					"checksum Types are not allowed.");
		b->algo = a;
		b->checksum_value = r->headers[i].value;
	}
	if (b->checksum_value) {
		uint8_t raw[CKSUM_MAX_LEN];
		size_t n;

		if (!base64_decode(b->checksum_value, strlen(b->checksum_value), raw, sizeof(raw),
				   &n) ||
		    n != cksum_digest_len(b->algo))
			return req_failf(r, S3E_InvalidRequest, "Value for %s header is invalid.",
					 cksum_header_name(b->algo));
	}
	return S3E_OK;
}

/* x-amz-trailer names the checksum an aws-chunked body carries at its end. */
static s3err_t find_trailer(struct body *b)
{
	struct request *r = b->r;
	const char *t = req_header(r, "x-amz-trailer");
	enum cksum_algo a;
	char *lower;
	size_t i;

	if (!t)
		return S3E_OK;
	if (r->auth.payload != PAYLOAD_CHUNKED || r->auth.chunked.mode == CHUNKED_SIGNED)
		return req_fail(r, S3E_InvalidRequest,
				"x-amz-trailer needs an aws-chunked body with trailers.");
	a = cksum_algo_from_header(t);
	if (a == CKSUM_NONE)
		return req_failf(r, S3E_InvalidRequest, "The trailer %s is not supported.", t);
	if (b->checksum_value && a != b->algo)
		return req_fail(r, S3E_InvalidRequest,
				"Expecting a single x-amz-checksum- header. Multiple checksum "
				"Types are not allowed.");
	lower = arena_strdup(&r->arena, t);
	if (!lower)
		return S3E_InternalError;
	for (i = 0; lower[i]; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] + 32);
	b->algo = a;
	b->trailer_name = lower;
	return S3E_OK;
}

/* x-amz-sdk-checksum-algorithm / x-amz-checksum-algorithm: compute that checksum too. */
static s3err_t find_algorithm_hint(struct body *b)
{
	const char *names[] = {"x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"};
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *v = req_header(b->r, names[i]);
		enum cksum_algo a;

		if (!v)
			continue;
		a = cksum_algo_from_name(v);
		if (a == CKSUM_NONE)
			return req_fail(b->r, S3E_InvalidRequest,
					"Checksum algorithm provided is unsupported. Please try "
					"again with any of the valid types: [CRC32, CRC32C, "
					"CRC64NVME, SHA1, SHA256]");
		if (b->algo != CKSUM_NONE && b->algo != a)
			return req_fail(
			    b->r, S3E_InvalidRequest,
			    "Value for x-amz-sdk-checksum-algorithm header is invalid.");
		b->algo = a;
	}
	return S3E_OK;
}

static s3err_t find_content_md5(struct body *b)
{
	const char *v = req_header(b->r, "Content-MD5");
	size_t n;

	if (!v)
		return S3E_OK;
	if (!base64_decode(v, strlen(v), b->md5, sizeof(b->md5), &n) || n != 16)
		return req_fail(b->r, S3E_InvalidDigest, NULL);
	b->have_md5 = true;
	return S3E_OK;
}

static s3err_t start_chunked(struct body *b)
{
	struct request *r = b->r;
	struct chunked_params p = r->auth.chunked;
	const char *dl = req_header(r, "x-amz-decoded-content-length");
	s3err_t err;

	p.decoded_length = UINT64_MAX;
	if (dl && !parse_u64_str(dl, 0, UINT64_MAX - 1, &p.decoded_length))
		return req_fail(r, S3E_InvalidArgument,
				"x-amz-decoded-content-length is not a valid length.");
	if (!dl && p.mode != CHUNKED_UNSIGNED_TRAILER)
		return req_fail(r, S3E_MissingContentLength,
				"aws-chunked uploads need x-amz-decoded-content-length.");
	if (dl && p.decoded_length > b->max_size)
		return req_fail(r, S3E_EntityTooLarge, NULL);
	err = chunked_new(&p, take, b, &b->chunked);
	OPENSSL_cleanse(&p, sizeof(p));
	return err;
}

s3err_t body_new(struct request *r, uint64_t max_size, body_sink_fn sink, void *sink_ctx,
		 struct body **out)
{
	struct body *b = calloc(1, sizeof(*b));
	s3err_t err;

	if (!b)
		return S3E_InternalError;
	b->r = r;
	b->sink = sink;
	b->sink_ctx = sink_ctx;
	b->max_size = max_size;
	if (!(r->route->flags & ROUTE_OBJECT_CHECKSUM) &&
	    ((err = find_checksum_header(b)) || (err = find_trailer(b)) ||
	     (err = find_algorithm_hint(b))))
		goto fail;
	if ((err = find_content_md5(b)))
		goto fail;
	if (r->auth.payload != PAYLOAD_CHUNKED && r->content_length != UINT64_MAX &&
	    r->content_length > max_size) {
		err = req_fail(r, S3E_EntityTooLarge, NULL);
		goto fail;
	}
	err = hashset_new(b->algo, &b->hs);
	if (err)
		goto fail;
	if (r->auth.payload == PAYLOAD_CHUNKED) {
		err = start_chunked(b);
		if (err)
			goto fail;
	}
	*out = b;
	return S3E_OK;
fail:
	body_free(b);
	return err;
}

s3err_t body_feed(struct body *b, const uint8_t *data, size_t len)
{
	if (b->err)
		return b->err;
	if (b->chunked)
		b->err = chunked_feed(b->chunked, data, len);
	else
		b->err = take(b, data, len);
	return b->err;
}

/* Compares a base64 checksum the client sent with the one computed. */
static bool checksum_matches(const char *b64, const struct digests *d)
{
	uint8_t raw[CKSUM_MAX_LEN];
	size_t n;

	return base64_decode(b64, strlen(b64), raw, sizeof(raw), &n) && n == d->extra_len &&
	       CRYPTO_memcmp(raw, d->extra, n) == 0;
}

s3err_t body_finish(struct body *b, struct digests *out, uint64_t *size)
{
	struct request *r = b->r;
	const char *claimed = b->checksum_value;
	struct digests d;
	char hex[65];

	if (b->err)
		return b->err;
	if (b->chunked) {
		b->err = chunked_finish(b->chunked);
		if (b->err)
			return b->err;
		if (b->trailer_name) {
			claimed = chunked_trailer(b->chunked, b->trailer_name);
			if (!claimed)
				return b->err = req_failf(r, S3E_InvalidRequest,
							  "The body did not carry the trailer %s.",
							  b->trailer_name);
		}
	}
	if (b->job) {
		if (b->batch_len > 0 && (b->err = flush_batch(b)))
			return b->err;
		hashjob_free(b->job); /* the hashset is this thread's again */
		b->job = NULL;
	}
	hashset_final(b->hs, &d);
	if (r->auth.payload == PAYLOAD_SHA256) {
		hex_encode(d.sha256, sizeof(d.sha256), hex);
		if (strcmp(hex, r->auth.payload_sha256) != 0)
			return b->err = req_fail(r, S3E_XAmzContentSHA256Mismatch, NULL);
	}
	if (b->have_md5 && CRYPTO_memcmp(b->md5, d.md5, 16) != 0)
		return b->err = req_fail(r, S3E_BadDigest,
					 "The Content-MD5 you specified did not match what we "
					 "received.");
	if (claimed && !checksum_matches(claimed, &d))
		return b->err = req_failf(r, S3E_BadDigest,
					  "The %s you specified did not match the calculated "
					  "checksum.",
					  cksum_algo_name(b->algo));
	*out = d;
	*size = b->size;
	return S3E_OK;
}

s3err_t body_expect_algo(struct body *b, enum cksum_algo a)
{
	struct hashset *hs;
	s3err_t err;

	if (a == CKSUM_NONE || b->algo == a)
		return S3E_OK;
	if (b->algo != CKSUM_NONE)
		return req_failf(b->r, S3E_InvalidRequest,
				 "Checksum Type mismatch occurred, expected checksum Type: %s, "
				 "actual checksum Type: %s",
				 cksum_algo_name(a), cksum_algo_name(b->algo));
	if (b->size)
		return S3E_InternalError; /* a programming error: bytes were hashed already */
	err = hashset_new(a, &hs);
	if (err)
		return err;
	hashset_free(b->hs);
	b->hs = hs;
	b->algo = a;
	return S3E_OK;
}

s3err_t body_without_sha256(struct body *b)
{
	struct hashset *hs;
	s3err_t err;

	if (b->r->auth.payload == PAYLOAD_SHA256)
		return S3E_OK; /* the signature promises a digest: it is checked regardless */
	if (b->size)
		return S3E_InternalError; /* a programming error: bytes were hashed already */
	err = hashset_new_opts(b->algo, false, &hs);
	if (err)
		return err;
	hashset_free(b->hs);
	b->hs = hs;
	return S3E_OK;
}

enum cksum_algo body_checksum_algo(const struct body *b)
{
	return b->algo;
}

void body_free(struct body *b)
{
	if (!b)
		return;
	hashjob_free(b->job); /* before the hashset it updates */
	free(b->batch);
	chunked_free(b->chunked);
	hashset_free(b->hs);
	free(b);
}
