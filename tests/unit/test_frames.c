/*
 * Unit tests for common/frames.c: the geometry at the frame boundaries, the
 * streaming encoder fed at every kind of write size, and each tampering
 * the tag binding (file id, index, last flag, data) is there to catch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/frames.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define F ((uint64_t)FRAME_DATA_SIZE)
#define T ((uint64_t)FRAME_TAG_SIZE)
#define STRIDE (FRAME_DATA_SIZE + FRAME_TAG_SIZE)

static const uint8_t id_a[FRAME_FILE_ID_SIZE] = {1, 2,	3,  4,	5,  6,	7,  8,
						 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t id_b[FRAME_FILE_ID_SIZE] = {16, 15, 14, 13, 12, 11, 10, 9,
						 8,  7,	 6,  5,	 4,  3,	 2,  1};

/* A growable output for the encoder (tests only: sizes are small and known). */
struct sink {
	uint8_t *data;
	size_t len, cap;
	size_t calls;
	size_t fail_at; /* 0: never; n: the n-th call fails */
};

static s3err_t sink_emit(void *ctx, const uint8_t *data, size_t len)
{
	struct sink *s = ctx;

	s->calls++;
	if (s->fail_at && s->calls == s->fail_at)
		return S3E_InternalError;
	if (s->len + len > s->cap) {
		s->cap = (s->len + len) * 2;
		s->data = realloc(s->data, s->cap);
		assert_non_null(s->data);
	}
	memcpy(s->data + s->len, data, len);
	s->len += len;
	return S3E_OK;
}

static uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131u + seed * 7u + (i >> 8)) & 0xff);
	return p;
}

/* Frames `size` bytes of data, written `step` bytes at a time (0: all at once). */
static struct sink encode(const uint8_t *id, const uint8_t *data, size_t size, size_t step)
{
	struct frames_encoder *e = NULL;
	struct sink s = {0};
	size_t off = 0, n;

	assert_int_equal(frames_encoder_new(id, sink_emit, &s, &e), S3E_OK);
	while (off < size) {
		n = step == 0 || size - off < step ? size - off : step;
		assert_int_equal(frames_encoder_write(e, data + off, n), S3E_OK);
		off += n;
	}
	assert_int_equal(frames_encoder_size(e), size);
	assert_int_equal(frames_encoder_finish(e), S3E_OK);
	assert_int_equal(frames_encoder_write(e, "x", 1), S3E_InternalError);
	frames_encoder_free(e);
	return s;
}

/*
 * Verifies a stored file of `size` plaintext bytes frame by frame, as a
 * reader does: true when its length and every frame check out.
 */
static bool verify_file(const uint8_t *id, const uint8_t *stored, size_t stored_len, uint64_t size)
{
	uint64_t i, n = frames_count(size);

	if (stored_len != frames_stored_size(size))
		return false;
	for (i = 0; i < n; i++) {
		size_t len = frames_data_len(size, i);
		const uint8_t *fr = stored + i * STRIDE;

		if (!frames_verify(id, i, i == n - 1, fr, len, fr + len))
			return false;
	}
	return true;
}

/* --- geometry --- */

static void test_geometry(void **state)
{
	static const struct {
		uint64_t size, count, stored;
		size_t first_len, last_len;
	} rows[] = {
	    {0, 1, T, 0, 0},
	    {1, 1, 1 + T, 1, 1},
	    {F - 1, 1, F - 1 + T, F - 1, F - 1},
	    {F, 1, F + T, F, F},
	    {F + 1, 2, F + 1 + 2 * T, F, 1},
	    {5 * F, 5, 5 * F + 5 * T, F, F},
	    {5 * F + 7, 6, 5 * F + 7 + 6 * T, F, 7},
	};
	size_t k;

	(void)state;
	for (k = 0; k < ARRAY_LEN(rows); k++) {
		uint64_t n = frames_count(rows[k].size);

		assert_int_equal(n, rows[k].count);
		assert_int_equal(frames_stored_size(rows[k].size), rows[k].stored);
		assert_int_equal(frames_data_len(rows[k].size, 0), rows[k].first_len);
		assert_int_equal(frames_data_len(rows[k].size, n - 1), rows[k].last_len);
		assert_int_equal(frames_data_len(rows[k].size, n), 0); /* past the end */
	}
}

/* --- encoder --- */

static void test_encoder_splits(void **state)
{
	static const size_t sizes[] = {0,
				       1,
				       FRAME_DATA_SIZE - 1,
				       FRAME_DATA_SIZE,
				       FRAME_DATA_SIZE + 1,
				       5 * FRAME_DATA_SIZE,
				       200003};
	static const size_t steps[] = {0, 1, 7, 4093, 65521, FRAME_DATA_SIZE, 65537, 131101};
	size_t a, b;

	(void)state;
	for (a = 0; a < ARRAY_LEN(sizes); a++) {
		uint8_t *data = pattern(sizes[a], (unsigned)a);
		struct sink whole = encode(id_a, data, sizes[a], 0);

		assert_true(verify_file(id_a, whole.data, whole.len, sizes[a]));
		/* Each emit is one whole frame and its tag. */
		assert_int_equal(whole.calls, frames_count(sizes[a]));
		/* The plaintext sits unchanged before each tag. */
		if (sizes[a] > 0)
			assert_memory_equal(whole.data, data,
					    sizes[a] < FRAME_DATA_SIZE ? sizes[a]
								       : FRAME_DATA_SIZE);
		for (b = 0; b < ARRAY_LEN(steps); b++) {
			struct sink s;

			if (steps[b] == 1 && sizes[a] > 2 * FRAME_DATA_SIZE)
				continue; /* 1-byte writes across 5 frames add nothing but time */
			s = encode(id_a, data, sizes[a], steps[b]);
			assert_int_equal(s.len, whole.len);
			assert_memory_equal(s.data, whole.data, whole.len);
			free(s.data);
		}
		free(whole.data);
		free(data);
	}
}

static void test_encoder_emit_failure(void **state)
{
	struct frames_encoder *e = NULL;
	struct sink s = {0};
	uint8_t *data = pattern(3 * FRAME_DATA_SIZE, 3);

	(void)state;
	s.fail_at = 2;
	assert_int_equal(frames_encoder_new(id_a, sink_emit, &s, &e), S3E_OK);
	assert_int_equal(frames_encoder_write(e, data, 2 * FRAME_DATA_SIZE), S3E_OK);
	/* The third frame's bytes push out the second, whose emit fails. */
	assert_int_equal(frames_encoder_write(e, data, 1), S3E_InternalError);
	assert_int_equal(frames_encoder_write(e, data, 1), S3E_InternalError);
	assert_int_equal(frames_encoder_finish(e), S3E_InternalError);
	frames_encoder_free(e);
	frames_encoder_free(NULL);
	free(s.data);
	free(data);
}

/* --- tampering --- */

enum tamper {
	FLIP_DATA,    /* one bit of frame 1's data */
	FLIP_TAG,     /* one bit of frame 2's tag */
	SWAP_FILES,   /* frame 1 taken from another file with the same content */
	REORDER,      /* frames 0 and 1 exchanged */
	DROP_LAST,    /* the last frame removed: the new last one says last = 0 */
	APPEND,	      /* a copy of the last frame appended */
	TRUNCATE_TAG, /* the file cut inside the last tag */
	EXTEND_LAST,  /* a byte added to a short last frame, tag unchanged */
};

static void test_tampering(void **state)
{
	/* 3 full frames and a short one: size 3F + 100. */
	const size_t size = 3 * FRAME_DATA_SIZE + 100;
	static const enum tamper cases[] = {FLIP_DATA, FLIP_TAG, SWAP_FILES,   REORDER,
					    DROP_LAST, APPEND,	 TRUNCATE_TAG, EXTEND_LAST};
	uint8_t *data = pattern(size, 9);
	struct sink a = encode(id_a, data, size, 0);
	struct sink b = encode(id_b, data, size, 0);
	size_t k;

	(void)state;
	assert_true(verify_file(id_a, a.data, a.len, size));
	assert_true(verify_file(id_b, b.data, b.len, size));
	assert_memory_not_equal(a.data + FRAME_DATA_SIZE, b.data + FRAME_DATA_SIZE, T);
	for (k = 0; k < ARRAY_LEN(cases); k++) {
		uint8_t *t = malloc(a.len + STRIDE);
		size_t len = a.len;
		uint64_t claimed = size; /* the size the index would record */

		assert_non_null(t);
		memcpy(t, a.data, a.len);
		switch (cases[k]) {
		case FLIP_DATA:
			t[STRIDE + 1234] ^= 0x10;
			break;
		case FLIP_TAG:
			t[2 * STRIDE + FRAME_DATA_SIZE + 5] ^= 0x01;
			break;
		case SWAP_FILES:
			memcpy(t + STRIDE, b.data + STRIDE, STRIDE);
			break;
		case REORDER:
			memcpy(t, a.data + STRIDE, STRIDE);
			memcpy(t + STRIDE, a.data, STRIDE);
			break;
		case DROP_LAST:
			/* An attacker who also fixed the index's size. */
			len = 3 * STRIDE;
			claimed = 3 * FRAME_DATA_SIZE;
			break;
		case APPEND:
			memcpy(t + len, a.data + 3 * STRIDE, 100 + T);
			len += 100 + T;
			claimed = size + 100;
			break;
		case TRUNCATE_TAG:
			len -= 1;
			break;
		case EXTEND_LAST:
			/* data grows by one byte, the tag moves along unchanged */
			memmove(t + 3 * STRIDE + 101, t + 3 * STRIDE + 100, T);
			t[3 * STRIDE + 100] = 0;
			len += 1;
			claimed = size + 1;
			break;
		}
		assert_false(verify_file(id_a, t, len, claimed));
		free(t);
	}
	/* Appending a frame to a file of full frames: the geometry fits, the tags do not. */
	{
		struct sink f = encode(id_a, data, 3 * FRAME_DATA_SIZE, 0);
		uint8_t *t = malloc(4 * STRIDE);

		assert_non_null(t);
		memcpy(t, f.data, 3 * STRIDE);
		memcpy(t + 3 * STRIDE, f.data + 2 * STRIDE, STRIDE);
		assert_true(verify_file(id_a, t, 3 * STRIDE, 3 * F));
		assert_false(verify_file(id_a, t, 4 * STRIDE, 4 * F));
		free(t);
		free(f.data);
	}
	/* The other file's frames are no good under this file's id, even untouched. */
	assert_false(verify_file(id_a, b.data, b.len, size));
	free(a.data);
	free(b.data);
	free(data);
}

static void test_verify_single_frames(void **state)
{
	uint8_t tag[FRAME_TAG_SIZE];
	uint8_t d[3] = {'a', 'b', 'c'};

	(void)state;
	frames_tag(id_a, 7, true, d, sizeof(d), tag);
	assert_true(frames_verify(id_a, 7, true, d, sizeof(d), tag));
	assert_false(frames_verify(id_a, 6, true, d, sizeof(d), tag));	/* index */
	assert_false(frames_verify(id_a, 7, false, d, sizeof(d), tag)); /* last flag */
	assert_false(frames_verify(id_b, 7, true, d, sizeof(d), tag));	/* file id */
	assert_false(frames_verify(id_a, 7, true, d, 2, tag));		/* length */
	/* An empty last frame has a tag of its own. */
	frames_tag(id_a, 0, true, NULL, 0, tag);
	assert_true(frames_verify(id_a, 0, true, NULL, 0, tag));
	assert_false(frames_verify(id_a, 0, false, NULL, 0, tag));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_geometry),
	    cmocka_unit_test(test_encoder_splits),
	    cmocka_unit_test(test_encoder_emit_failure),
	    cmocka_unit_test(test_tampering),
	    cmocka_unit_test(test_verify_single_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
