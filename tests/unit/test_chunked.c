/*
 * Unit tests for common/chunked.c.
 *
 * Every well-formed body is decoded split in two at every byte offset and
 * also fed one byte at a time, and must always give exactly the payload.
 * Bodies: the AWS documentation example of STREAMING-AWS4-HMAC-SHA256-PAYLOAD
 * (its chunk signatures are written out below), bodies produced by botocore's
 * AwsChunkedWrapper ($STRATA_TEST_VECTORS/chunked/), and signed bodies built
 * here with the sigv4_* functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/chunked.h"
#include "../../common/sigv4.h"
#include "../../common/strutil.h"

/* The AWS example: 66560 bytes of 'a' in chunks of 65536 and 1024. */
#define DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DOC_DATE "20130524T000000Z"
#define DOC_SCOPE "20130524/us-east-1/s3/aws4_request"
#define DOC_SEED "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define DOC_SIG1 "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
#define DOC_SIG2 "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
#define DOC_SIG3 "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
#define DOC_PAYLOAD_LEN 66560u

/* The payload check done as bytes arrive, so no test buffers a copy. */
struct sink {
	const uint8_t *want;
	size_t want_len;
	size_t got;
	bool mismatch;
	size_t calls;
	size_t fail_on_call; /* 0: never; n: the n-th call returns S3E_InternalError */
};

static s3err_t on_data(void *ctx, const uint8_t *data, size_t len)
{
	struct sink *s = ctx;

	s->calls++;
	if (s->fail_on_call && s->calls == s->fail_on_call)
		return S3E_InternalError;
	if (len == 0 || s->got + len > s->want_len || memcmp(s->want + s->got, data, len) != 0)
		s->mismatch = true;
	s->got += len;
	return S3E_OK;
}

static void doc_params(struct chunked_params *p, enum chunked_mode mode, uint64_t decoded_length)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
	sigv4_signing_key(DOC_SECRET, "20130524", "us-east-1", "s3", p->signing_key);
	assert_true(str_copy(p->amz_date, sizeof(p->amz_date), DOC_DATE));
	assert_true(str_copy(p->scope, sizeof(p->scope), DOC_SCOPE));
	assert_true(str_copy(p->seed_signature, sizeof(p->seed_signature), DOC_SEED));
	p->decoded_length = decoded_length;
}

/*
 * Decodes body fed as the pieces [0, split) and [split, len), or byte by
 * byte when split is SIZE_MAX. Returns the first error of feed or finish.
 */
static s3err_t decode(const struct chunked_params *p, const uint8_t *body, size_t len, size_t split,
		      struct sink *s, struct chunked_decoder **keep)
{
	struct chunked_decoder *d = NULL;
	s3err_t err;
	size_t i;

	assert_int_equal(chunked_new(p, on_data, s, &d), S3E_OK);
	if (split == SIZE_MAX) {
		err = S3E_OK;
		for (i = 0; i < len && !err; i++)
			err = chunked_feed(d, body + i, 1);
	} else {
		err = chunked_feed(d, body, split);
		if (!err)
			err = chunked_feed(d, body + split, len - split);
	}
	if (!err)
		err = chunked_finish(d);
	if (keep)
		*keep = d;
	else
		chunked_free(d);
	return err;
}

/* Every split and byte-by-byte: always OK, always exactly the payload. */
static void expect_ok_everywhere(const struct chunked_params *p, const uint8_t *body, size_t len,
				 const uint8_t *payload, size_t plen)
{
	size_t k;

	for (k = 0; k <= len + 1; k++) {
		struct sink s = {.want = payload, .want_len = plen};
		size_t split = k <= len ? k : SIZE_MAX;

		if (decode(p, body, len, split, &s, NULL) != S3E_OK)
			fail_msg("split at %zu of %zu failed", k, len);
		assert_false(s.mismatch);
		assert_int_equal(s.got, plen);
	}
}

/* Feeding any proper prefix is fine, but finishing there is IncompleteBody. */
static void expect_truncation_detected(const struct chunked_params *p, const uint8_t *body,
				       size_t len, const uint8_t *payload, size_t plen,
				       size_t stride)
{
	size_t k;

	for (k = 0; k < len; k += (k + stride < len ? stride : 1)) {
		struct sink s = {.want = payload, .want_len = plen};

		assert_int_equal(decode(p, body, k, k / 2, &s, NULL), S3E_IncompleteBody);
		assert_false(s.mismatch);
	}
}

/* Appends one signed chunk to b and advances prev (the chain of invariant 2). */
static void add_signed_chunk(const struct chunked_params *p, struct buf *b, const uint8_t *data,
			     size_t n, char prev[65])
{
	struct buf sts;
	char h[65], sig[65];

	sigv4_sha256_hex(data, n, h);
	buf_init(&sts, 1024, S3E_InternalError);
	assert_int_equal(buf_addf(&sts, "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n%s\n%s", p->amz_date,
				  p->scope, prev, SIGV4_EMPTY_SHA256, h),
			 S3E_OK);
	sigv4_hmac_hex(p->signing_key, sts.data, sts.len, sig);
	buf_free(&sts);
	assert_int_equal(buf_addf(b, "%zx;chunk-signature=%s\r\n", n, sig), S3E_OK);
	assert_int_equal(buf_add(b, data, n), S3E_OK);
	if (n > 0)
		assert_int_equal(buf_add(b, "\r\n", 2), S3E_OK);
	memcpy(prev, sig, 65);
}

/*
 * Builds a signed body: payload cut in chunks of `chunk` bytes, the zero
 * chunk, then for CHUNKED_SIGNED "\r\n", for CHUNKED_SIGNED_TRAILER the
 * trailer lines (given as "name:value" joined by '\n') and their signature.
 */
static void build_signed(const struct chunked_params *p, const uint8_t *payload, size_t plen,
			 size_t chunk, const char *trailers, struct buf *b)
{
	char prev[65];
	size_t off;

	buf_init(b, 1u << 24, S3E_InternalError);
	memcpy(prev, p->seed_signature, 65);
	for (off = 0; off < plen; off += chunk)
		add_signed_chunk(p, b, payload + off, plen - off < chunk ? plen - off : chunk,
				 prev);
	add_signed_chunk(p, b, NULL, 0, prev);
	if (p->mode == CHUNKED_SIGNED_TRAILER) {
		struct buf canon, sts;
		char h[65], sig[65];
		const char *t = trailers;

		buf_init(&canon, 4096, S3E_InternalError);
		buf_init(&sts, 1024, S3E_InternalError);
		while (t && *t) {
			const char *nl = strchr(t, '\n');
			size_t n = nl ? (size_t)(nl - t) : strlen(t);

			assert_int_equal(buf_add(b, t, n), S3E_OK);
			assert_int_equal(buf_add(b, "\r\n", 2), S3E_OK);
			assert_int_equal(buf_add(&canon, t, n), S3E_OK);
			assert_int_equal(buf_add(&canon, "\n", 1), S3E_OK);
			t += n + (nl ? 1 : 0);
		}
		sigv4_sha256_hex(canon.data ? canon.data : "", canon.len, h);
		assert_int_equal(buf_addf(&sts, "AWS4-HMAC-SHA256-TRAILER\n%s\n%s\n%s\n%s",
					  p->amz_date, p->scope, prev, h),
				 S3E_OK);
		sigv4_hmac_hex(p->signing_key, sts.data, sts.len, sig);
		assert_int_equal(buf_addf(b, "x-amz-trailer-signature:%s\r\n", sig), S3E_OK);
		buf_free(&sts);
		buf_free(&canon);
	}
	assert_int_equal(buf_add(b, "\r\n", 2), S3E_OK);
}

/* The AWS example body, written out from the documented signatures. */
static uint8_t *doc_body(size_t *len, uint8_t **payload)
{
	struct buf b;
	uint8_t *pl = malloc(DOC_PAYLOAD_LEN);

	assert_non_null(pl);
	memset(pl, 'a', DOC_PAYLOAD_LEN);
	buf_init(&b, 1u << 20, S3E_InternalError);
	assert_int_equal(buf_adds(&b, "10000;chunk-signature=" DOC_SIG1 "\r\n"), S3E_OK);
	assert_int_equal(buf_add(&b, pl, 65536), S3E_OK);
	assert_int_equal(buf_adds(&b, "\r\n400;chunk-signature=" DOC_SIG2 "\r\n"), S3E_OK);
	assert_int_equal(buf_add(&b, pl, 1024), S3E_OK);
	assert_int_equal(buf_adds(&b, "\r\n0;chunk-signature=" DOC_SIG3 "\r\n\r\n"), S3E_OK);
	*len = b.len;
	*payload = pl;
	return (uint8_t *)buf_take(&b);
}

/* The seed signature of the example comes from its canonical request (the link to sigv4). */
static void test_doc_seed(void **state)
{
	static const struct sigv4_kv h[] = {
	    {"Host", "s3.amazonaws.com"},
	    {"x-amz-date", DOC_DATE},
	    {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
	    {"Authorization", "ignored"},
	    {"x-amz-content-sha256", SIGV4_STREAMING_PAYLOAD},
	    {"Content-Encoding", "aws-chunked"},
	    {"x-amz-decoded-content-length", "66560"},
	    {"Content-Length", "66824"},
	};
	struct sigv4_request r = {
	    .method = "PUT",
	    .path = "/examplebucket/chunkObject.txt",
	    .headers = h,
	    .nheaders = sizeof(h) / sizeof(h[0]),
	    .signed_headers = "content-encoding;content-length;host;x-amz-content-sha256;"
			      "x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
	    .payload_hash = SIGV4_STREAMING_PAYLOAD,
	};
	struct buf creq, sts;
	uint8_t key[32];
	char sig[65], hash[65];

	(void)state;
	buf_init(&creq, STRATA_MAX_CANONICAL_REQUEST, S3E_InternalError);
	buf_init(&sts, 1024, S3E_InternalError);
	assert_int_equal(sigv4_canonical_request(&r, &creq), S3E_OK);
	sigv4_sha256_hex(creq.data, creq.len, hash);
	assert_string_equal(hash,
			    "cee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455");
	assert_int_equal(sigv4_string_to_sign(DOC_DATE, DOC_SCOPE, creq.data, creq.len, &sts),
			 S3E_OK);
	sigv4_signing_key(DOC_SECRET, "20130524", "us-east-1", "s3", key);
	sigv4_hmac_hex(key, sts.data, sts.len, sig);
	assert_string_equal(sig, DOC_SEED);
	buf_free(&sts);
	buf_free(&creq);
}

static void test_doc_example(void **state)
{
	struct chunked_params p;
	struct buf built;
	uint8_t *body, *payload;
	size_t len;

	(void)state;
	body = doc_body(&len, &payload);
	assert_int_equal(len, 66824); /* the example's Content-Length */
	doc_params(&p, CHUNKED_SIGNED, DOC_PAYLOAD_LEN);
	/* The test's own signer agrees with the documented signatures byte for byte. */
	build_signed(&p, payload, DOC_PAYLOAD_LEN, 65536, NULL, &built);
	assert_int_equal(built.len, len);
	assert_memory_equal(built.data, body, len);
	buf_free(&built);

	expect_ok_everywhere(&p, body, len, payload, DOC_PAYLOAD_LEN);
	expect_truncation_detected(&p, body, len, payload, DOC_PAYLOAD_LEN, 61);
	{
		struct sink s = {.want = payload, .want_len = DOC_PAYLOAD_LEN};
		struct chunked_decoder *d;

		/* Without x-amz-decoded-content-length the framing alone ends the body. */
		p.decoded_length = UINT64_MAX;
		assert_int_equal(decode(&p, body, len, 7, &s, &d), S3E_OK);
		assert_true(chunked_decoded_bytes(d) == DOC_PAYLOAD_LEN);
		assert_null(chunked_trailer(d, "x-amz-checksum-crc32"));
		chunked_free(d);
	}
	{
		struct sink s = {.want = payload, .want_len = DOC_PAYLOAD_LEN};

		/* A chunk that would pass the declared length is refused at its size line. */
		p.decoded_length = DOC_PAYLOAD_LEN - 1;
		assert_int_equal(decode(&p, body, len, len, &s, NULL), S3E_IncompleteBody);
		assert_true(s.got == 65536);
	}
	{
		struct sink s = {.want = payload, .want_len = DOC_PAYLOAD_LEN};

		/* A body shorter than declared is complete framing but an incomplete object. */
		p.decoded_length = DOC_PAYLOAD_LEN + 1;
		assert_int_equal(decode(&p, body, len, len, &s, NULL), S3E_IncompleteBody);
	}
	free(body);
	free(payload);
}

/* Offset of the first occurrence of str in body (which must contain it). */
static size_t find(const uint8_t *body, size_t len, const char *str)
{
	size_t n = strlen(str), i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(body + i, str, n) == 0)
			return i;
	fail_msg("%s not found", str);
	return 0;
}

/*
 * Flips the lowest bit of the first byte in body[at, end) whose flip leaves
 * a hex digit, so that a test of a signature mismatch is not turned into a
 * framing error. Returns the offset flipped.
 */
static size_t flip_hex_bit(uint8_t *body, size_t at, size_t end)
{
	for (; at < end; at++) {
		uint8_t c = body[at] ^ 1;

		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
			body[at] = c;
			return at;
		}
	}
	fail_msg("no flippable hex digit");
	return 0;
}

/* Decodes whole and byte by byte; both must fail with err, and the error must stick. */
static void expect_error(const struct chunked_params *p, const uint8_t *body, size_t len,
			 s3err_t err)
{
	static const uint8_t more[] = "0\r\n\r\n";
	struct sink s = {.want = body, .want_len = 0}; /* only the verdict is checked */
	struct chunked_decoder *d;

	assert_int_equal(decode(p, body, len, len, &s, &d), err);
	assert_int_equal(chunked_feed(d, more, 5), err);
	assert_int_equal(chunked_finish(d), err);
	assert_null(chunked_trailer(d, "x-amz-checksum-crc32"));
	chunked_free(d);
	assert_int_equal(decode(p, body, len, SIZE_MAX, &s, NULL), err);
}

static void test_doc_tamper(void **state)
{
	static const char *const sigs[] = {DOC_SIG1, DOC_SIG2, DOC_SIG3};
	struct chunked_params p;
	uint8_t *body, *payload;
	size_t len, i, bits[] = {0, 3, 7};

	(void)state;
	body = doc_body(&len, &payload);
	doc_params(&p, CHUNKED_SIGNED, DOC_PAYLOAD_LEN);
	/* A flipped bit in any chunk signature, at a few places in each. */
	for (i = 0; i < 3; i++) {
		size_t j, start = find(body, len, sigs[i]);

		for (j = 0; j < 64; j += 21) {
			size_t at = flip_hex_bit(body, start + j, start + 64);

			expect_error(&p, body, len, S3E_SignatureDoesNotMatch);
			body[at] ^= 1;
		}
	}
	/* A flipped bit in the data of either chunk, first and last byte. */
	for (i = 0; i < 3; i++) {
		size_t first = find(body, len, "\r\n") + 2;
		size_t second = find(body, len, "\r\n400;") + 2;
		size_t at[4] = {first, first + 65535, second + 86, second + 86 + 1023};
		size_t j;

		for (j = 0; j < 4; j++) {
			body[at[j]] ^= (uint8_t)(1u << bits[i]);
			expect_error(&p, body, len, S3E_SignatureDoesNotMatch);
			body[at[j]] ^= (uint8_t)(1u << bits[i]);
		}
	}
	/* Another seed (another request) breaks the chain from the first chunk on. */
	p.seed_signature[0] = '5';
	expect_error(&p, body, len, S3E_SignatureDoesNotMatch);
	/* So does another signing key. */
	doc_params(&p, CHUNKED_SIGNED, DOC_PAYLOAD_LEN);
	p.signing_key[31] ^= 1;
	expect_error(&p, body, len, S3E_SignatureDoesNotMatch);
	/* Chunks cannot be reordered or dropped: drop the 64 KiB chunk. */
	doc_params(&p, CHUNKED_SIGNED, UINT64_MAX);
	{
		size_t second = find(body, len, "400;");

		expect_error(&p, body + second, len - second, S3E_SignatureDoesNotMatch);
	}
	free(body);
	free(payload);
}

/* Returns a copy of body with the first `from` replaced by `to` (caller frees). */
static uint8_t *mutate(const struct buf *body, const char *from, const char *to, size_t *len)
{
	size_t at = find((const uint8_t *)body->data, body->len, from);
	size_t fl = strlen(from), tl = strlen(to);
	uint8_t *out = malloc(body->len - fl + tl + 1);

	assert_non_null(out);
	memcpy(out, body->data, at);
	memcpy(out + at, to, tl);
	memcpy(out + at + tl, body->data + at + fl, body->len - at - fl);
	*len = body->len - fl + tl;
	return out;
}

struct mutation {
	const char *from, *to;
	s3err_t err;
};

static void run_mutations(const struct chunked_params *p, const struct buf *body,
			  const struct mutation *m, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		uint8_t *b = mutate(body, m[i].from, m[i].to, &len);

		print_message("mutation %zu\n", i);
		expect_error(p, b, len, m[i].err);
		free(b);
	}
}

#define HELLO "hello world"

static void test_signed_framing(void **state)
{
	static const struct mutation m[] = {
	    {"hello\r\n", "hello\n", S3E_InvalidRequest}, /* LF alone after data */
	    {"hello\r\n", "hello\r\r", S3E_InvalidRequest},
	    {"hello\r\n", "helloX\r\n", S3E_InvalidRequest}, /* more data than the size */
	    {"5;chunk-signature=", "g;chunk-signature=", S3E_InvalidRequest},
	    {"5;chunk-signature=", "-5;chunk-signature=", S3E_InvalidRequest},
	    {"5;chunk-signature=", "5 ;chunk-signature=", S3E_InvalidRequest},
	    {"5;chunk-signature=", ";chunk-signature=", S3E_InvalidRequest},
	    {"5;chunk-signature=", "5;chunk-signatur=", S3E_InvalidRequest},
	    {"5;chunk-signature=", "5;Chunk-Signature=", S3E_InvalidRequest},
	    {"5;chunk-signature=", "5;chunk-signature=0", S3E_InvalidRequest}, /* 65 digits */
	    {"5;chunk-signature=", "5\r\n", S3E_InvalidRequest},	       /* unsigned line */
	    {"5;chunk-signature=", "4000001;chunk-signature=", S3E_InvalidRequest},
	    {"\r\nhello", "\nhello", S3E_InvalidRequest}, /* size line ended by LF */
	    {"\r\nhello", "\r\r\nhello", S3E_InvalidRequest},
	    {"\r\n\r\n", "\r\nx-amz-meta-a:b\r\n\r\n", S3E_InvalidRequest}, /* trailer */
	    {"\r\n\r\n", "\r\n\r\nX", S3E_InvalidRequest}, /* bytes after the end */
	    {"\r\n\r\n", "\r\n\r\n\r\n", S3E_InvalidRequest},
	    {"hello", "hellO", S3E_SignatureDoesNotMatch},
	};
	struct chunked_params p;
	struct buf body;
	char zeros[600];

	(void)state;
	doc_params(&p, CHUNKED_SIGNED, 11);
	build_signed(&p, (const uint8_t *)HELLO, 11, 5, NULL, &body);
	expect_ok_everywhere(&p, (const uint8_t *)body.data, body.len, (const uint8_t *)HELLO, 11);
	expect_truncation_detected(&p, (const uint8_t *)body.data, body.len, (const uint8_t *)HELLO,
				   11, 1);
	run_mutations(&p, &body, m, sizeof(m) / sizeof(m[0]));
	{
		/* A size line past STRATA_MAX_CHUNK_LINE, even if it would parse. */
		struct mutation longline = {"5;chunk-signature=", zeros, S3E_InvalidRequest};

		memset(zeros, '0', sizeof(zeros));
		memcpy(zeros + sizeof(zeros) - 20, "5;chunk-signature=", 19);
		run_mutations(&p, &body, &longline, 1);
		/* ...while leading zeros within the cap are fine. */
		longline.to = "0005;chunk-signature=";
		{
			size_t len;
			uint8_t *b = mutate(&body, longline.from, longline.to, &len);
			struct sink s = {.want = (const uint8_t *)HELLO, .want_len = 11};

			assert_int_equal(decode(&p, b, len, 3, &s, NULL), S3E_OK);
			free(b);
		}
	}
	buf_free(&body);
}

/* Reads $STRATA_TEST_VECTORS/chunked/<name> (caller frees). */
static uint8_t *read_vector(const char *name, size_t *len)
{
	const char *root = getenv("STRATA_TEST_VECTORS");
	char path[1024];
	uint8_t *data;
	FILE *f;

	if (!root)
		root = "tests/vectors";
	snprintf(path, sizeof(path), "%s/chunked/%s", root, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	data = malloc(1u << 20);
	assert_non_null(data);
	*len = fread(data, 1, 1u << 20, f);
	fclose(f);
	return data;
}

struct botocore_case {
	const char *name;
	const char *crc32; /* the trailer value, or NULL */
};

static void test_unsigned_trailer_botocore(void **state)
{
	static const struct botocore_case cases[] = {
	    {"botocore-crc32", "RjaphQ=="},
	    {"botocore-empty-crc32", "AAAAAA=="},
	    {"botocore-no-checksum", NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct chunked_params p;
		struct chunked_decoder *d;
		char name[128];
		uint8_t *body, *payload;
		size_t blen, plen;

		snprintf(name, sizeof(name), "%s.body", cases[i].name);
		body = read_vector(name, &blen);
		snprintf(name, sizeof(name), "%s.payload", cases[i].name);
		payload = read_vector(name, &plen);
		memset(&p, 0, sizeof(p));
		p.mode = CHUNKED_UNSIGNED_TRAILER;
		p.decoded_length = plen;
		expect_ok_everywhere(&p, body, blen, payload, plen);
		expect_truncation_detected(&p, body, blen, payload, plen, 1);
		{
			struct sink s = {.want = payload, .want_len = plen};

			assert_int_equal(decode(&p, body, blen, blen / 3, &s, &d), S3E_OK);
			if (cases[i].crc32)
				assert_string_equal(chunked_trailer(d, "x-amz-checksum-crc32"),
						    cases[i].crc32);
			else
				assert_null(chunked_trailer(d, "x-amz-checksum-crc32"));
			assert_null(chunked_trailer(d, "x-amz-checksum-sha256"));
			chunked_free(d);
		}
		free(payload);
		free(body);
	}
}

static void test_unsigned_trailer_framing(void **state)
{
	static const char body[] = "5\r\nhello\r\n6\r\n world\r\n0\r\n"
				   "X-Amz-Checksum-CRC32: \tDUoRhQ== \r\nx-amz-meta-b:\r\n\r\n";
	static const struct mutation m[] = {
	    {"5\r\n", "5;ext=1\r\n", S3E_InvalidRequest}, /* no chunk extensions */
	    {"5\r\n", "5;chunk-signature=" DOC_SEED "\r\n", S3E_InvalidRequest},
	    {"X-Amz-Checksum-CRC32:", "X-Amz-Checksum-CRC32", S3E_InvalidRequest},
	    {"X-Amz-Checksum-CRC32:", ":", S3E_InvalidRequest},
	    {"X-Amz-Checksum-CRC32:", "X Amz:", S3E_InvalidRequest},
	    {"X-Amz-Checksum-CRC32:", "x-amz-meta-b:", S3E_InvalidRequest}, /* repeated */
	    {"DUoRhQ==", "DUo\x01hQ==", S3E_InvalidRequest},
	    {"x-amz-meta-b:", "x-amz-trailer-signature:" DOC_SEED "\r\nx-amz-meta-b:",
	     S3E_InvalidRequest},		      /* a signature in the unsigned mode */
	    {"\r\n\r\n", "\r\n", S3E_IncompleteBody}, /* the empty line missing */
	    {"\r\n\r\n", "\r\n\n", S3E_InvalidRequest},
	    {"world\r\n0\r\n", "world\r\n", S3E_InvalidRequest},
	};
	struct chunked_params p;
	struct chunked_decoder *d;
	struct buf b;
	struct sink s = {.want = (const uint8_t *)HELLO, .want_len = 11};

	(void)state;
	memset(&p, 0, sizeof(p));
	p.mode = CHUNKED_UNSIGNED_TRAILER;
	p.decoded_length = UINT64_MAX;
	expect_ok_everywhere(&p, (const uint8_t *)body, sizeof(body) - 1, (const uint8_t *)HELLO,
			     11);
	/* Names are looked up in lowercase, values come trimmed; not before finish. */
	assert_int_equal(chunked_new(&p, on_data, &s, &d), S3E_OK);
	assert_int_equal(chunked_feed(d, (const uint8_t *)body, sizeof(body) - 1), S3E_OK);
	assert_null(chunked_trailer(d, "x-amz-checksum-crc32"));
	assert_int_equal(chunked_finish(d), S3E_OK);
	assert_string_equal(chunked_trailer(d, "x-amz-checksum-crc32"), "DUoRhQ==");
	assert_string_equal(chunked_trailer(d, "x-amz-meta-b"), "");
	assert_null(chunked_trailer(d, "X-Amz-Checksum-CRC32"));
	chunked_free(d);

	buf_init(&b, 4096, S3E_InternalError);
	assert_int_equal(buf_add(&b, body, sizeof(body) - 1), S3E_OK);
	run_mutations(&p, &b, m, sizeof(m) / sizeof(m[0]));
	buf_free(&b);
}

/* The trailer section is capped at STRATA_MAX_TRAILER_BYTES, one line or many. */
static void test_trailer_cap(void **state)
{
	struct chunked_params p;
	struct buf b;
	size_t i;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.mode = CHUNKED_UNSIGNED_TRAILER;
	p.decoded_length = UINT64_MAX;
	buf_init(&b, 1u << 16, S3E_InternalError);
	assert_int_equal(buf_adds(&b, "0\r\nx-amz-meta-long:"), S3E_OK);
	for (i = 0; i < STRATA_MAX_TRAILER_BYTES; i++)
		assert_int_equal(buf_add(&b, "v", 1), S3E_OK);
	assert_int_equal(buf_adds(&b, "\r\n\r\n"), S3E_OK);
	expect_error(&p, (const uint8_t *)b.data, b.len, S3E_InvalidRequest);
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "0\r\n"), S3E_OK);
	for (i = 0; i < STRATA_MAX_TRAILER_BYTES / 8; i++)
		assert_int_equal(buf_addf(&b, "x-%04zx:\r\n", i), S3E_OK);
	assert_int_equal(buf_adds(&b, "\r\n"), S3E_OK);
	expect_error(&p, (const uint8_t *)b.data, b.len, S3E_InvalidRequest);
	/* Just under the cap is accepted. */
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "0\r\nx-amz-meta-long:"), S3E_OK);
	for (i = 0; i < STRATA_MAX_TRAILER_BYTES - 19 - 4; i++)
		assert_int_equal(buf_add(&b, "v", 1), S3E_OK);
	assert_int_equal(buf_adds(&b, "\r\n\r\n"), S3E_OK);
	{
		struct sink s = {.want = (const uint8_t *)"", .want_len = 0};

		assert_int_equal(decode(&p, (const uint8_t *)b.data, b.len, 1, &s, NULL), S3E_OK);
	}
	buf_free(&b);
}

static void test_signed_trailer(void **state)
{
	static const struct mutation m[] = {
	    {"RjaphQ==", "RjaphR==", S3E_SignatureDoesNotMatch}, /* trailer value changed */
	    {"x-amz-checksum-crc32:", "x-amz-checksum-crc32c:", S3E_SignatureDoesNotMatch},
	    {"x-amz-trailer-signature:", "x-amz-meta-x:", S3E_SignatureDoesNotMatch},
	    {"x-amz-trailer-signature:", "x-amz-trailer-signature:0", S3E_InvalidRequest},
	    {"\r\n\r\n", "\r\nx-amz-meta-late:1\r\n\r\n", S3E_InvalidRequest}, /* after sig */
	    {"\r\n\r\n", "\r\n", S3E_IncompleteBody},
	};
	struct chunked_params p;
	struct chunked_decoder *d;
	struct buf body;
	uint8_t *payload;
	size_t len, plen = 3000, i;

	(void)state;
	payload = read_vector("botocore-crc32.payload", &len);
	assert_int_equal(len, plen);
	doc_params(&p, CHUNKED_SIGNED_TRAILER, plen);
	build_signed(&p, payload, plen, 1024, "x-amz-checksum-crc32:RjaphQ==\nx-amz-meta-note:a b",
		     &body);
	expect_ok_everywhere(&p, (const uint8_t *)body.data, body.len, payload, plen);
	expect_truncation_detected(&p, (const uint8_t *)body.data, body.len, payload, plen, 1);
	{
		struct sink s = {.want = payload, .want_len = plen};

		assert_int_equal(decode(&p, (const uint8_t *)body.data, body.len, 1500, &s, &d),
				 S3E_OK);
		assert_string_equal(chunked_trailer(d, "x-amz-checksum-crc32"), "RjaphQ==");
		assert_string_equal(chunked_trailer(d, "x-amz-meta-note"), "a b");
		assert_null(chunked_trailer(d, "x-amz-trailer-signature"));
		chunked_free(d);
	}
	/* A flipped bit in the trailer signature (hex digit stays hex). */
	{
		size_t at = find((const uint8_t *)body.data, body.len, "x-amz-trailer-signature:");

		for (i = 24; i < 24 + 64; i += 21) {
			size_t f = flip_hex_bit((uint8_t *)body.data, at + i, at + 24 + 64);

			expect_error(&p, (const uint8_t *)body.data, body.len,
				     S3E_SignatureDoesNotMatch);
			body.data[f] ^= 1;
		}
	}
	run_mutations(&p, &body, m, sizeof(m) / sizeof(m[0]));
	buf_free(&body);

	/* No trailers but the signature: the hash of the empty canonical text. */
	build_signed(&p, payload, plen, 1000, "", &body);
	expect_ok_everywhere(&p, (const uint8_t *)body.data, body.len, payload, plen);
	buf_free(&body);
	/* The signed mode's body is not a valid signed-trailer body (no trailer signature). */
	doc_params(&p, CHUNKED_SIGNED, plen);
	build_signed(&p, payload, plen, 1000, NULL, &body);
	p.mode = CHUNKED_SIGNED_TRAILER;
	expect_error(&p, (const uint8_t *)body.data, body.len, S3E_SignatureDoesNotMatch);
	buf_free(&body);
	free(payload);
}

/* An error from on_data stops decoding and sticks. */
static void test_callback_error(void **state)
{
	struct chunked_params p;
	struct buf body;
	struct sink s = {.want = (const uint8_t *)HELLO, .want_len = 11, .fail_on_call = 2};
	struct chunked_decoder *d;

	(void)state;
	doc_params(&p, CHUNKED_SIGNED, 11);
	build_signed(&p, (const uint8_t *)HELLO, 11, 5, NULL, &body);
	assert_int_equal(chunked_new(&p, on_data, &s, &d), S3E_OK);
	assert_int_equal(chunked_feed(d, (const uint8_t *)body.data, body.len), S3E_InternalError);
	assert_int_equal(s.calls, 2);
	assert_true(chunked_decoded_bytes(d) == 5);
	assert_int_equal(chunked_feed(d, (const uint8_t *)"0", 1), S3E_InternalError);
	assert_int_equal(chunked_finish(d), S3E_InternalError);
	chunked_free(d);
	chunked_free(NULL);
	buf_free(&body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_doc_seed),
	    cmocka_unit_test(test_doc_example),
	    cmocka_unit_test(test_doc_tamper),
	    cmocka_unit_test(test_signed_framing),
	    cmocka_unit_test(test_unsigned_trailer_botocore),
	    cmocka_unit_test(test_unsigned_trailer_framing),
	    cmocka_unit_test(test_trailer_cap),
	    cmocka_unit_test(test_signed_trailer),
	    cmocka_unit_test(test_callback_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
