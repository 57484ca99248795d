/*
 * frames: the integrity framing of data at rest (format in frames.h).
 *
 * Every BLAKE2b here is sequential mode (fanout 1, depth 1, no key, no
 * salt) with a personalisation padded with zero bytes to 16, over the
 * fixed-size header file_id || le64(index) || u8(last) || le32(len) and
 * then the frame's bytes; the header being fixed-size, no two (header,
 * data) pairs hash the same message. Plain tags use "strata-frame-v1" and
 * 32 bytes, sealed checks "strata-seal-v1" and 16, so neither can pass for
 * the other.
 *
 * Sealing cost: the key schedule is set once per cipher (frames_cipher_new);
 * a frame costs one IV set-up, in-place AES-GCM and, when sealing or
 * scrubbing, one BLAKE2b pass. Nothing is allocated per frame.
 */
#include "frames.h"

#include <stdlib.h>
#include <string.h>

#include <blake2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ciphers.h"

#define FRAME_PERSONAL "strata-frame-v1"
#define SEAL_PERSONAL "strata-seal-v1"
#define FRAME_HDR_SIZE (FRAME_FILE_ID_SIZE + 8u + 1u + 4u)
#define GCM_IV_SIZE 12u	 /* le64(index) || 4 zero bytes; GCM's default IV length */
#define GCM_TAG_SIZE 16u /* a sealed trailer is gcm_tag, then the keyless check */
#define CHECK_SIZE (FRAME_TAG_SIZE - GCM_TAG_SIZE)

_Static_assert(sizeof(FRAME_PERSONAL) - 1 <= BLAKE2B_PERSONALBYTES, "personal too long");
_Static_assert(sizeof(SEAL_PERSONAL) - 1 <= BLAKE2B_PERSONALBYTES, "personal too long");
_Static_assert(CHECK_SIZE == 16u, "a sealed trailer is gcm_tag (16) || check (16)");
_Static_assert(FRAME_DATA_SIZE <= 0x7fffffffu, "EVP lengths are int");

/*
 * One EVP context, its key schedule set once. The direction is given again
 * with every frame's IV (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, enc)):
 * GCM runs AES forwards both ways, so the schedule serves both and one
 * context can seal and open.
 */
struct frames_cipher {
	EVP_CIPHER_CTX *ctx;
};

struct frames_encoder {
	uint8_t file_id[FRAME_FILE_ID_SIZE];
	frames_emit_fn emit;
	void *ctx;
	struct frames_cipher *cipher; /* NULL: plain frames */
	uint64_t index;		      /* index of the frame being filled */
	uint64_t total;		      /* plaintext bytes accepted */
	size_t fill;		      /* plaintext bytes in buf */
	bool finished;		      /* finish ran (or an emit failed): no more writes */
	/* one frame and room for its trailer; sealed frames are encrypted here in place */
	uint8_t buf[FRAME_DATA_SIZE + FRAME_TAG_SIZE];
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

static void put_hdr(uint8_t hdr[FRAME_HDR_SIZE], const uint8_t file_id[FRAME_FILE_ID_SIZE],
		    uint64_t index, bool last, size_t len)
{
	memcpy(hdr, file_id, FRAME_FILE_ID_SIZE);
	put_le(hdr + FRAME_FILE_ID_SIZE, index, 8);
	hdr[FRAME_FILE_ID_SIZE + 8] = last ? 1 : 0;
	put_le(hdr + FRAME_FILE_ID_SIZE + 9, (uint64_t)len, 4);
}

/* out[outlen] = BLAKE2b(personal, hdr || a || b); a and b may be empty (and then NULL). */
static void hash_frame(const char *personal, size_t outlen, const uint8_t hdr[FRAME_HDR_SIZE],
		       const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t *out)
{
	blake2b_param P;
	blake2b_state S;

	memset(&P, 0, sizeof(P));
	P.digest_length = (uint8_t)outlen;
	P.fanout = 1;
	P.depth = 1;
	memcpy(P.personal, personal, strlen(personal)); /* rest stays zero */
	/* libb2 fails only on bad parameters, which are constants here. */
	blake2b_init_param(&S, &P);
	blake2b_update(&S, hdr, FRAME_HDR_SIZE);
	if (alen > 0)
		blake2b_update(&S, a, alen);
	if (blen > 0)
		blake2b_update(&S, b, blen);
	blake2b_final(&S, out, outlen);
}

void frames_tag(const uint8_t file_id[FRAME_FILE_ID_SIZE], uint64_t index, bool last,
		const uint8_t *data, size_t len, uint8_t tag[FRAME_TAG_SIZE])
{
	uint8_t hdr[FRAME_HDR_SIZE];

	put_hdr(hdr, file_id, index, last, len);
	hash_frame(FRAME_PERSONAL, FRAME_TAG_SIZE, hdr, data, len, NULL, 0, tag);
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

/* --- sealed frames --- */

s3err_t frames_cipher_new(const uint8_t key[FRAMES_KEY_SIZE], struct frames_cipher **out)
{
	struct frames_cipher *c = calloc(1, sizeof(*c));
	const EVP_CIPHER *aes_256_gcm = ciphers_aes_256_gcm();
	s3err_t err = S3E_InternalError;

	if (!c)
		goto out;
	c->ctx = EVP_CIPHER_CTX_new();
	if (!c->ctx || !aes_256_gcm)
		goto out;
	/* The one key schedule; enc = 1 is a placeholder, each frame says its direction. */
	if (EVP_CipherInit_ex(c->ctx, aes_256_gcm, NULL, key, NULL, 1) != 1)
		goto out;
	/* The nonce layout in frames.h relies on the default IV length. */
	if (EVP_CIPHER_CTX_get_iv_length(c->ctx) != (int)GCM_IV_SIZE)
		goto out;
	*out = c;
	c = NULL;
	err = S3E_OK;
out:
	frames_cipher_free(c);
	return err;
}

void frames_cipher_free(struct frames_cipher *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->ctx); /* clears the key schedule */
	free(c);
}

/*
 * AES-256-GCM over one frame, data[len] in place, AAD = hdr. enc = 1
 * encrypts and writes gcm_tag; enc = 0 decrypts and is true only when
 * gcm_tag matches (OpenSSL compares in constant time).
 */
static bool gcm_frame(struct frames_cipher *c, int enc, const uint8_t hdr[FRAME_HDR_SIZE],
		      uint64_t index, uint8_t *data, size_t len, uint8_t gcm_tag[GCM_TAG_SIZE])
{
	uint8_t iv[GCM_IV_SIZE] = {0};
	uint8_t fin[16]; /* GCM's final writes nothing; EVP still wants a buffer */
	int n;

	put_le(iv, index, 8);
	if (EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, iv, enc) != 1)
		return false;
	if (!enc && EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_TAG, GCM_TAG_SIZE, gcm_tag) != 1)
		return false;
	if (EVP_CipherUpdate(c->ctx, NULL, &n, hdr, FRAME_HDR_SIZE) != 1)
		return false;
	if (len > 0 && EVP_CipherUpdate(c->ctx, data, &n, data, (int)len) != 1)
		return false;
	if (EVP_CipherFinal_ex(c->ctx, fin, &n) != 1)
		return false;
	if (enc && EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_GET_TAG, GCM_TAG_SIZE, gcm_tag) != 1)
		return false;
	return true;
}

/* Encrypts data[len] in place and writes the sealed trailer tag[FRAME_TAG_SIZE]. */
static bool seal_frame(struct frames_cipher *c, const uint8_t file_id[FRAME_FILE_ID_SIZE],
		       uint64_t index, bool last, uint8_t *data, size_t len,
		       uint8_t tag[FRAME_TAG_SIZE])
{
	uint8_t hdr[FRAME_HDR_SIZE];

	put_hdr(hdr, file_id, index, last, len);
	if (!gcm_frame(c, 1, hdr, index, data, len, tag))
		return false;
	hash_frame(SEAL_PERSONAL, CHECK_SIZE, hdr, data, len, tag, GCM_TAG_SIZE,
		   tag + GCM_TAG_SIZE);
	return true;
}

bool frames_open(struct frames_cipher *c, const uint8_t file_id[FRAME_FILE_ID_SIZE], uint64_t index,
		 bool last, uint8_t *data, size_t len, const uint8_t tag[FRAME_TAG_SIZE])
{
	uint8_t hdr[FRAME_HDR_SIZE];
	uint8_t gcm_tag[GCM_TAG_SIZE]; /* EVP's set-tag call takes a non-const pointer */

	if (len > FRAME_DATA_SIZE)
		return false;
	put_hdr(hdr, file_id, index, last, len);
	memcpy(gcm_tag, tag, GCM_TAG_SIZE);
	if (gcm_frame(c, 0, hdr, index, data, len, gcm_tag))
		return true;
	/*
	 * Decryption ran before the tag was refused: do not leave unverified
	 * (and, GCM being CTR, attacker-malleable) plaintext in the caller's buffer.
	 */
	if (len > 0)
		memset(data, 0, len);
	return false;
}

bool frames_check_sealed(const uint8_t file_id[FRAME_FILE_ID_SIZE], uint64_t index, bool last,
			 const uint8_t *data, size_t len, const uint8_t tag[FRAME_TAG_SIZE])
{
	uint8_t hdr[FRAME_HDR_SIZE];
	uint8_t want[CHECK_SIZE];

	if (len > FRAME_DATA_SIZE)
		return false;
	put_hdr(hdr, file_id, index, last, len);
	hash_frame(SEAL_PERSONAL, CHECK_SIZE, hdr, data, len, tag, GCM_TAG_SIZE, want);
	return CRYPTO_memcmp(want, tag + GCM_TAG_SIZE, CHECK_SIZE) == 0;
}

/* --- streaming encoder --- */

s3err_t frames_encoder_new(const uint8_t file_id[FRAME_FILE_ID_SIZE], const uint8_t *key,
			   frames_emit_fn emit, void *ctx, struct frames_encoder **out)
{
	struct frames_encoder *e = calloc(1, sizeof(*e));
	s3err_t err = S3E_InternalError;

	if (!e)
		goto out;
	if (key) {
		err = frames_cipher_new(key, &e->cipher);
		if (err != S3E_OK)
			goto out;
	}
	memcpy(e->file_id, file_id, FRAME_FILE_ID_SIZE);
	e->emit = emit;
	e->ctx = ctx;
	*out = e;
	e = NULL;
	err = S3E_OK;
out:
	frames_encoder_free(e);
	return err;
}

/*
 * Tags (plain) or seals the buffered frame and hands it (data then trailer,
 * one call) to emit.
 */
static s3err_t emit_frame(struct frames_encoder *e, bool last)
{
	uint8_t *tag = e->buf + e->fill;
	s3err_t err = S3E_OK;

	if (!e->cipher)
		frames_tag(e->file_id, e->index, last, e->buf, e->fill, tag);
	else if (!seal_frame(e->cipher, e->file_id, e->index, last, e->buf, e->fill, tag))
		err = S3E_InternalError;
	if (err == S3E_OK)
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
	frames_cipher_free(e->cipher);
	free(e);
}
