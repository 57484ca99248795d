/*
 * frames: the integrity framing of data at rest (format in frames.h).
 *
 * The tag is BLAKE2b-256 in sequential mode (fanout 1, depth 1, no key, no
 * salt) with the personalisation "strata-frame-v1" padded with zero bytes
 * to 16, over the header file_id || le64(index) || u8(last) || le32(len)
 * followed by the frame's data. The header is fixed-size, so no two
 * (header, data) pairs hash the same message.
 */
#include "frames.h"

#include <stdlib.h>
#include <string.h>

#include <blake2.h>
#include <openssl/crypto.h>

#define FRAME_PERSONAL "strata-frame-v1"
#define FRAME_HDR_SIZE (FRAME_FILE_ID_SIZE + 8u + 1u + 4u)

struct frames_encoder {
	uint8_t file_id[FRAME_FILE_ID_SIZE];
	frames_emit_fn emit;
	void *ctx;
	uint64_t index; /* index of the frame being filled */
	uint64_t total; /* plaintext bytes accepted */
	size_t fill;	/* plaintext bytes in buf */
	bool finished;	/* finish ran (or an emit failed): no more writes */
	uint8_t buf[FRAME_DATA_SIZE + FRAME_TAG_SIZE]; /* one frame and room for its tag */
};

uint64_t frames_count(uint64_t size)
{
	uint64_t n = size / FRAME_DATA_SIZE + (size % FRAME_DATA_SIZE != 0);

	return n == 0 ? 1 : n;
}

uint64_t frames_stored_size(uint64_t size)
{
	return size + frames_count(size) * FRAME_TAG_SIZE;
}

size_t frames_data_len(uint64_t size, uint64_t i)
{
	uint64_t start;

	if (i >= frames_count(size))
		return 0;
	start = i * FRAME_DATA_SIZE;
	return size - start < FRAME_DATA_SIZE ? (size_t)(size - start) : FRAME_DATA_SIZE;
}

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void frames_tag(const uint8_t file_id[FRAME_FILE_ID_SIZE], uint64_t index, bool last,
		const uint8_t *data, size_t len, uint8_t tag[FRAME_TAG_SIZE])
{
	uint8_t hdr[FRAME_HDR_SIZE];
	blake2b_param P;
	blake2b_state S;

	memset(&P, 0, sizeof(P));
	P.digest_length = FRAME_TAG_SIZE;
	P.fanout = 1;
	P.depth = 1;
	memcpy(P.personal, FRAME_PERSONAL, sizeof(FRAME_PERSONAL) - 1); /* rest stays zero */
	memcpy(hdr, file_id, FRAME_FILE_ID_SIZE);
	put_le(hdr + FRAME_FILE_ID_SIZE, index, 8);
	hdr[FRAME_FILE_ID_SIZE + 8] = last ? 1 : 0;
	put_le(hdr + FRAME_FILE_ID_SIZE + 9, (uint64_t)len, 4);
	/* libb2 fails only on bad parameters, which are constants here. */
	blake2b_init_param(&S, &P);
	blake2b_update(&S, hdr, sizeof(hdr));
	if (len > 0)
		blake2b_update(&S, data, len);
	blake2b_final(&S, tag, FRAME_TAG_SIZE);
}

bool frames_verify(const uint8_t file_id[FRAME_FILE_ID_SIZE], uint64_t index, bool last,
		   const uint8_t *data, size_t len, const uint8_t tag[FRAME_TAG_SIZE])
{
	uint8_t want[FRAME_TAG_SIZE];
	bool ok;

	if (len > FRAME_DATA_SIZE)
		return false;
	frames_tag(file_id, index, last, data, len, want);
	ok = CRYPTO_memcmp(want, tag, FRAME_TAG_SIZE) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

s3err_t frames_encoder_new(const uint8_t file_id[FRAME_FILE_ID_SIZE], frames_emit_fn emit,
			   void *ctx, struct frames_encoder **out)
{
	struct frames_encoder *e = calloc(1, sizeof(*e));

	if (!e)
		return S3E_InternalError;
	memcpy(e->file_id, file_id, FRAME_FILE_ID_SIZE);
	e->emit = emit;
	e->ctx = ctx;
	*out = e;
	return S3E_OK;
}

/* Tags the buffered frame and hands it (data then tag, one call) to emit. */
static s3err_t emit_frame(struct frames_encoder *e, bool last)
{
	s3err_t err;

	frames_tag(e->file_id, e->index, last, e->buf, e->fill, e->buf + e->fill);
	err = e->emit(e->ctx, e->buf, e->fill + FRAME_TAG_SIZE);
	if (err != S3E_OK) {
		e->finished = true; /* the output is incomplete: refuse to go on */
		return err;
	}
	e->index++;
	e->fill = 0;
	return S3E_OK;
}

s3err_t frames_encoder_write(struct frames_encoder *e, const void *data, size_t len)
{
	const uint8_t *p = data;
	s3err_t err = S3E_OK;
	size_t n;

	if (e->finished) {
		err = S3E_InternalError;
		goto out;
	}
	while (len > 0) {
		/*
		 * A full frame is emitted only when more data follows, because
		 * only finish knows which frame is the last (its tag says so).
		 */
		if (e->fill == FRAME_DATA_SIZE) {
			err = emit_frame(e, false);
			if (err != S3E_OK)
				goto out;
		}
		n = FRAME_DATA_SIZE - e->fill;
		if (n > len)
			n = len;
		memcpy(e->buf + e->fill, p, n);
		e->fill += n;
		e->total += n;
		p += n;
		len -= n;
	}
out:
	return err;
}

s3err_t frames_encoder_finish(struct frames_encoder *e)
{
	s3err_t err;

	if (e->finished)
		return S3E_InternalError;
	err = emit_frame(e, true);
	e->finished = true;
	return err;
}

uint64_t frames_encoder_size(const struct frames_encoder *e)
{
	return e->total;
}

void frames_encoder_free(struct frames_encoder *e)
{
	if (!e)
		return;
	OPENSSL_cleanse(e->buf, sizeof(e->buf)); /* may hold plaintext of a private object */
	free(e);
}
