/*
 * fuzz_chunked: the aws-chunked body decoder (common/chunked.h), in its
 * three modes. Input: one flags byte (mode = (flags & 3) % 3; bit 2:
 * a decoded length is declared), one split byte, one decoded-length byte,
 * then the body. The signed modes use the AWS documentation's key, date,
 * scope and seed signature, so the seeds in corpus/fuzz_chunked carry
 * valid chunk signatures.
 *
 * The body is decoded three ways: in one piece, split in two at the point
 * the split byte chooses, and (short bodies) byte by byte. Invariant: the
 * outcome does not depend on the split (same error or success, same
 * decoded bytes, same trailer); a success delivers exactly the declared
 * length.
 */
#include "fuzz.h"

#include "../../common/chunked.h"
#include "../../common/sigv4.h"
#include "../../common/strutil.h"

#define DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DOC_DATE "20130524T000000Z"
#define DOC_SCOPE "20130524/us-east-1/s3/aws4_request"
#define DOC_SEED "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"

struct outcome {
	s3err_t err;
	uint64_t bytes; /* on_data total */
	uint64_t hash;	/* FNV-1a of the payload delivered */
	char crc32[64]; /* the x-amz-checksum-crc32 trailer after a success, or "" */
};

static s3err_t on_data(void *ctx, const uint8_t *data, size_t len)
{
	struct outcome *o = ctx;
	size_t i;

	FUZZ_CHECK(len > 0);
	for (i = 0; i < len; i++)
		o->hash = (o->hash ^ data[i]) * 1099511628211u;
	o->bytes += len;
	return S3E_OK;
}

/* Decodes body in pieces cut at cuts[0..ncuts) (ascending offsets). */
static void decode(const struct chunked_params *p, const uint8_t *body, size_t len,
		   const size_t *cuts, size_t ncuts, struct outcome *o)
{
	struct chunked_decoder *d = NULL;
	size_t off = 0, i, end;
	const char *t;

	memset(o, 0, sizeof(*o));
	o->hash = 14695981039346656037u;
	if (chunked_new(p, on_data, o, &d) != S3E_OK)
		abort();
	o->err = S3E_OK;
	for (i = 0; i <= ncuts && o->err == S3E_OK; i++) {
		end = i < ncuts ? cuts[i] : len;
		o->err = chunked_feed(d, body + off, end - off);
		off = end;
	}
	if (o->err == S3E_OK)
		o->err = chunked_finish(d);
	if (o->err == S3E_OK) {
		FUZZ_CHECK(chunked_decoded_bytes(d) == o->bytes);
		t = chunked_trailer(d, "x-amz-checksum-crc32");
		if (t)
			str_copy(o->crc32, sizeof(o->crc32), t);
	}
	chunked_free(d);
}

static void same(const struct outcome *a, const struct outcome *b)
{
	FUZZ_CHECK(a->err == b->err);
	if (a->err == S3E_OK) {
		FUZZ_CHECK(a->bytes == b->bytes);
		FUZZ_CHECK(a->hash == b->hash);
		FUZZ_CHECK(strcmp(a->crc32, b->crc32) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static size_t cuts[257];
	struct chunked_params p;
	struct outcome whole, split, bytes;
	const uint8_t *body;
	size_t len, cut, i;

	if (size < 3)
		return 0;
	memset(&p, 0, sizeof(p));
	p.mode = (enum chunked_mode)((data[0] & 3) % 3);
	p.decoded_length = (data[0] & 4) ? data[2] : UINT64_MAX;
	if (p.mode != CHUNKED_UNSIGNED_TRAILER) {
		sigv4_signing_key(DOC_SECRET, "20130524", "us-east-1", "s3", p.signing_key);
		str_copy(p.amz_date, sizeof(p.amz_date), DOC_DATE);
		str_copy(p.scope, sizeof(p.scope), DOC_SCOPE);
		str_copy(p.seed_signature, sizeof(p.seed_signature), DOC_SEED);
	}
	body = data + 3;
	len = size - 3;

	decode(&p, body, len, NULL, 0, &whole);
	if (whole.err == S3E_OK && p.decoded_length != UINT64_MAX)
		FUZZ_CHECK(whole.bytes == p.decoded_length);

	cut = len * data[1] / 255;
	decode(&p, body, len, &cut, 1, &split);
	same(&whole, &split);

	if (len <= 256) {
		for (i = 0; i < len; i++)
			cuts[i] = i + 1;
		decode(&p, body, len, cuts, len ? len - 1 : 0, &bytes);
		same(&whole, &bytes);
	}
	return 0;
}
