/*
 * frames: the integrity framing of data at rest (DESIGN.md, "Integrity").
 *
 * A stored data file is a sequence of frames. Frame i holds the bytes of
 * plaintext [i*F, min((i+1)*F, size)) (plain) or their ciphertext (sealed),
 * followed by a FRAME_TAG_SIZE-byte trailer. F = FRAME_DATA_SIZE. Every
 * frame but the last is full; the last one has last = 1 and may be short; an
 * empty file is one empty last frame. Both modes share one header,
 *
 *   hdr_i = file_id (16 bytes) || le64(i) || u8(last) || le32(len)
 *
 * and one geometry (frames_count, frames_stored_size), so no offset
 * arithmetic depends on the mode.
 *
 * Plain frame: data (len bytes) || tag, where
 *
 *   tag = BLAKE2b-256(personal = "strata-frame-v1", hdr_i || data)
 *
 * Sealed frame (server-side encryption): ct (len bytes) || gcm_tag (16) || check (16), where
 *
 *   ct, gcm_tag = AES-256-GCM(key   = the file's 32-byte key,
 *                             nonce = le64(i) || 4 zero bytes,
 *                             AAD   = hdr_i, plaintext)
 *   check       = BLAKE2b-128(personal = "strata-seal-v1", hdr_i || ct || gcm_tag)
 *
 * (BLAKE2b in sequential mode, no key, no salt; personalisations padded to
 * 16 bytes with zeros.) Binding the file id, the index and the last flag
 * into every tag means a frame cannot be changed, swapped with another
 * file's, reordered, dropped or truncated away without its verification
 * failing.
 *
 * Why two tags in a sealed frame: GCM authenticates against a deliberate
 * attacker and is what reads verify (frames_open). The keyless check lets
 * the scrubber find bitrot in objects whose key the server does not hold
 * (SSE-C); anyone can recompute it, so it proves nothing against an
 * attacker. Reads do not compute it.
 *
 * Why the key must be per file: the nonce is only the frame index, which
 * restarts at 0 in every file. Two files sealed under one key would reuse
 * (key, nonce) pairs: their ciphertexts XOR to their plaintexts' XOR and
 * GCM's authentication key leaks, allowing forgeries. The AAD (file id)
 * changes only the tags, not the keystream. So the caller derives a distinct
 * key for every file it writes (no two contents ever sealed under one key);
 * this module never sees the data key it is derived from.
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
#define FRAMES_KEY_SIZE 32u

/* Frames a file of `size` plaintext bytes has: max(1, ceil(size / F)). */
uint64_t frames_count(uint64_t size);

/* Bytes on disk for `size` plaintext bytes: size + frames_count(size) * FRAME_TAG_SIZE. */
uint64_t frames_stored_size(uint64_t size);

/* Plaintext length of frame i of a file of `size` bytes (0..F). */
size_t frames_data_len(uint64_t size, uint64_t i);

/* --- plain frames --- */

/* Computes the tag of one plain frame into tag[FRAME_TAG_SIZE]. */
void frames_tag(const uint8_t file_id[FRAME_FILE_ID_SIZE], uint64_t index, bool last,
		const uint8_t *data, size_t len, uint8_t tag[FRAME_TAG_SIZE]);

/*
 * Checks one stored plain frame: true when tag is the tag of (file_id,
 * index, last, data). Constant-time comparison.
 */
bool frames_verify(const uint8_t file_id[FRAME_FILE_ID_SIZE], uint64_t index, bool last,
		   const uint8_t *data, size_t len, const uint8_t tag[FRAME_TAG_SIZE]);

/* --- sealed frames --- */

/*
 * One AES-256-GCM context bound to one per-file key. The key schedule is
 * computed once, in frames_cipher_new; each frame only sets its IV (and the
 * direction, which for GCM does not change the key schedule), so one cipher
 * serves both sealing and opening. Not thread-safe: one per encoder/reader.
 */
struct frames_cipher;

/*
 * Creates a cipher for key[FRAMES_KEY_SIZE] (copied into the context; the
 * caller may wipe its copy). Errors: S3E_InternalError (allocation, OpenSSL).
 */
s3err_t frames_cipher_new(const uint8_t key[FRAMES_KEY_SIZE], struct frames_cipher **out);
/* Wipes the key schedule and frees. NULL does nothing. */
void frames_cipher_free(struct frames_cipher *c);

/*
 * The read path of a sealed frame: data holds its len ciphertext bytes and
 * tag its FRAME_TAG_SIZE trailer. Verifies the GCM tag (tag[0..16)) against
 * (file_id, index, last, len) and decrypts data in place. Returns false on
 * any failure (wrong key, header or tag, len > FRAME_DATA_SIZE, OpenSSL
 * error); data is then unspecified (zeroed today) and must be discarded.
 * Does not read the keyless check (tag[16..32)): GCM is stronger, and
 * skipping it saves a BLAKE2b pass; the scrubber uses frames_check_sealed.
 */
bool frames_open(struct frames_cipher *c, const uint8_t file_id[FRAME_FILE_ID_SIZE], uint64_t index,
		 bool last, uint8_t *data, size_t len, const uint8_t tag[FRAME_TAG_SIZE]);

/*
 * The keyless check of a stored sealed frame (the scrubber): true when
 * tag[16..32) is the check of (file_id, index, last, data, tag[0..16)).
 * Catches bitrot, not an attacker. Constant-time comparison.
 */
bool frames_check_sealed(const uint8_t file_id[FRAME_FILE_ID_SIZE], uint64_t index, bool last,
			 const uint8_t *data, size_t len, const uint8_t tag[FRAME_TAG_SIZE]);

/* --- streaming encoder: plaintext in, framed bytes out --- */

/* Receives framed bytes (a whole frame and its tag at a time). */
typedef s3err_t (*frames_emit_fn)(void *ctx, const uint8_t *data, size_t len);

struct frames_encoder; /* holds at most one frame of plaintext */

/*
 * key NULL: plain frames. key non-NULL: sealed frames under
 * key[FRAMES_KEY_SIZE] (copied; the encoder owns its cipher), which must be
 * this file's own key (see the top of this file).
 * Errors: S3E_InternalError (allocation, OpenSSL).
 */
s3err_t frames_encoder_new(const uint8_t file_id[FRAME_FILE_ID_SIZE], const uint8_t *key,
			   frames_emit_fn emit, void *ctx, struct frames_encoder **out);
/*
 * Buffers data, emitting each full frame (never the last one: it waits for
 * finish). Errors: emit's, S3E_InternalError (after finish or a failure).
 */
s3err_t frames_encoder_write(struct frames_encoder *e, const void *data, size_t len);
/* Emits the last frame (possibly empty). No write afterwards. Errors: as write. */
s3err_t frames_encoder_finish(struct frames_encoder *e);
/* Plaintext bytes accepted so far. */
uint64_t frames_encoder_size(const struct frames_encoder *e);
/* Wipes the buffered plaintext and the key schedule, frees. NULL does nothing. */
void frames_encoder_free(struct frames_encoder *e);

#endif
