/*
 * frames: the integrity framing of data at rest (DESIGN.md, "Integrity").
 *
 * A stored data file is a sequence of frames. Frame i holds the plaintext
 * bytes [i*F, min((i+1)*F, size)) followed by a FRAME_TAG_SIZE-byte tag:
 *
 *   tag_i = BLAKE2b-256(personal = "strata-frame-v1",
 *                       file_id (16 bytes) || le64(i) || u8(last) || le32(len) || data)
 *
 * F = FRAME_DATA_SIZE. Every frame but the last is full; the last one has
 * last = 1 and may be short; an empty file is one empty last frame. Binding
 * the file id, the index and the last flag into the tag means a frame cannot
 * be changed, swapped with another file's, reordered, dropped or truncated
 * away without its verification failing. Encrypted layouts (issue 5) use
 * the same geometry with GCM tags.
 */
#ifndef STRATA_FRAMES_H
#define STRATA_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "s3err.h"

#define FRAME_DATA_SIZE 65536u
#define FRAME_TAG_SIZE 32u
#define FRAME_FILE_ID_SIZE 16u

/* Frames a file of `size` plaintext bytes has: max(1, ceil(size / F)). */
uint64_t frames_count(uint64_t size);

/* Bytes on disk for `size` plaintext bytes: size + frames_count(size) * FRAME_TAG_SIZE. */
uint64_t frames_stored_size(uint64_t size);

/* Plaintext length of frame i of a file of `size` bytes (0..F). */
size_t frames_data_len(uint64_t size, uint64_t i);

/* Computes the tag of one frame into tag[FRAME_TAG_SIZE]. */
void frames_tag(const uint8_t file_id[FRAME_FILE_ID_SIZE], uint64_t index, bool last,
		const uint8_t *data, size_t len, uint8_t tag[FRAME_TAG_SIZE]);

/*
 * Checks one stored frame: true when tag is the tag of (file_id, index,
 * last, data). Constant-time comparison.
 */
bool frames_verify(const uint8_t file_id[FRAME_FILE_ID_SIZE], uint64_t index, bool last,
		   const uint8_t *data, size_t len, const uint8_t tag[FRAME_TAG_SIZE]);

/* --- streaming encoder: plaintext in, framed bytes out --- */

/* Receives framed bytes (a whole frame and its tag at a time). */
typedef s3err_t (*frames_emit_fn)(void *ctx, const uint8_t *data, size_t len);

struct frames_encoder; /* holds at most one frame of plaintext */

/* Errors: S3E_InternalError (allocation). */
s3err_t frames_encoder_new(const uint8_t file_id[FRAME_FILE_ID_SIZE], frames_emit_fn emit,
			   void *ctx, struct frames_encoder **out);
/* Buffers data, emitting each full frame (never the last one: it waits for finish). */
s3err_t frames_encoder_write(struct frames_encoder *e, const void *data, size_t len);
/* Emits the last frame (possibly empty). No write afterwards. */
s3err_t frames_encoder_finish(struct frames_encoder *e);
/* Plaintext bytes accepted so far. */
uint64_t frames_encoder_size(const struct frames_encoder *e);
void frames_encoder_free(struct frames_encoder *e);

#endif
