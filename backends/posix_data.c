/*
 * posix_data: data-file I/O: object ids and the paths built from them, a
 * writer's bytes into tmp/ID and their placing into objects/xx/ID, and
 * data files read back through verified (or opened) frames.
 *
 * Invariants (numbered at the top of posix.c and of the files named): P1,
 * a file is fsync'ed, renamed into place and its directory fsync'ed before
 * a row may name it (posix_data_place); P5, paths are built only from ids
 * that pass posix_id_valid; F1, writers frame what they write; F3 and F6,
 * a reader returns no byte of a frame not verified in this reader
 * (posix_dfile_read, cache_fill); F5 and F7, sealed files under keys of
 * their own; W3, a large file's writeback starts while it is written; X2
 * and X3 (posix_remote.c), files of a remote tier.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* openat family, pread and flock under -std=c11 */
#endif
#include "posix.h"
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "../common/log.h"
#include "../common/metrics.h"
#include "../common/sse.h"

_Static_assert(SSE_FILE_ID_SIZE == FRAME_FILE_ID_SIZE, "a file key is derived from the frame id");
_Static_assert(SSE_KEY_SIZE == FRAMES_KEY_SIZE, "a derived file key is a frames key");

/* --- object ids and paths --- */

bool posix_id_valid(const char *id)
{
	size_t i;

	for (i = 0; i < POSIX_ID_HEX; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return id[POSIX_ID_HEX] == '\0';
}

s3err_t posix_id_new(char out[POSIX_ID_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[POSIX_ID_HEX / 2];
	size_t i;

	if (RAND_bytes(raw, (int)sizeof(raw)) != 1) {
		log_error(POSIX_LOG_MOD, "RAND_bytes failed: cannot name an object");
		return S3E_InternalError;
	}
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[POSIX_ID_HEX] = '\0';
	return S3E_OK;
}

void posix_id_relpath(const char *id, char out[POSIX_REL_LEN + 1])
{
	out[0] = id[0];
	out[1] = id[1];
	out[2] = '/';
	memcpy(out + 3, id, POSIX_ID_HEX + 1);
}

bool posix_col_id(sqlite3_stmt *st, int i, char out[POSIX_ID_HEX + 1])
{
	if (!posix_col_text(st, i, out, POSIX_ID_HEX + 1) || !posix_id_valid(out)) {
		log_error(POSIX_LOG_MOD, "index holds a malformed object id");
		return false;
	}
	return true;
}

/* --- writing data files --- */

/*
 * A full disk is the client's to know about, and differs from a broken one:
 * it answers 507 (the transaction never happened, nothing is half-written)
 * and goes away when objects are deleted, without a restart.
 */
s3err_t posix_io_err(int e)
{
	return e == ENOSPC || e == EDQUOT ? S3E_XMinioStorageFull : S3E_InternalError;
}

/*
 * W3. A large file's writeback is started every POSIX_WRITEBACK_STEP bytes
 * while the body still arrives, so the fsync before its commit finds little
 * left to write: a 64 MiB PUT otherwise waited for all of it at the end, a
 * third of its time. Advisory: a failure here shows in that fsync.
 */
static void start_writeback(struct be_writer *w)
{
#ifdef SYNC_FILE_RANGE_WRITE
	if (w->emitted - w->flushed < POSIX_WRITEBACK_STEP)
		return;
	(void)sync_file_range(w->fd, (off_t)w->flushed, (off_t)(w->emitted - w->flushed),
			      SYNC_FILE_RANGE_WRITE);
	w->flushed = w->emitted;
#else
	(void)w;
#endif
}

/* Creates w's tmp/ID in w->loc. */
static s3err_t tmp_create(struct be_writer *w)
{
	int e;

	w->fd = openat(w->loc->tmpfd, w->id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd >= 0)
		return S3E_OK;
	e = errno;
	log_error(POSIX_LOG_MOD, "create %s/tmp/%s: %s", w->loc->dir, w->id, strerror(e));
	return posix_io_err(e);
}

/* Appends stored bytes to tmp/ID; a failure poisons the writer. */
static s3err_t fd_write(struct be_writer *w, const uint8_t *data, size_t len)
{
	const uint8_t *p = data;
	s3err_t err = S3E_OK;

	while (len > 0) {
		ssize_t n = write(w->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			log_error(POSIX_LOG_MOD, "write %s/tmp/%s: %s", w->loc->dir, w->id,
				  strerror(e));
			w->failed = true;
			err = posix_io_err(e);
			goto out;
		}
		p += n;
		len -= (size_t)n;
		w->emitted += (uint64_t)n;
	}
	start_writeback(w);
out:
	return err;
}

s3err_t posix_writer_spill(struct be_writer *w)
{
	uint8_t *mem = w->mem;
	size_t len = w->mem_len;
	s3err_t err;

	w->inl = false;
	w->mem = NULL;
	w->mem_len = 0;
	err = tmp_create(w);
	if (err == S3E_OK && len > 0)
		err = fd_write(w, mem, len);
	free(mem);
	if (err != S3E_OK)
		w->failed = true;
	return err;
}

/*
 * The encoder's emit (F1): stored bytes go to memory while an inline
 * writer's still fit (I1), else to tmp/ID.
 */
static s3err_t tmp_emit(void *ctx, const uint8_t *data, size_t len)
{
	struct be_writer *w = ctx;
	s3err_t err;

	if (w->inl && len <= POSIX_INLINE_STORED_MAX - w->mem_len) {
		if (!w->mem)
			w->mem = malloc(POSIX_INLINE_STORED_MAX);
		if (!w->mem) {
			w->failed = true;
			return S3E_InternalError;
		}
		memcpy(w->mem + w->mem_len, data, len);
		w->mem_len += len;
		return S3E_OK;
	}
	if (w->inl) {
		err = posix_writer_spill(w);
		if (err != S3E_OK)
			return err;
	}
	return fd_write(w, data, len);
}

s3err_t posix_writer_new(struct posix_be *pb, const struct posix_loc *loc, const char *bucket,
			 const char *key, enum writer_kind kind, struct be_writer **out)
{
	size_t klen = strlen(key), blen = strlen(bucket);
	uint8_t raw[FRAME_FILE_ID_SIZE];
	struct be_writer *w;
	s3err_t err;

	if (blen > STRATA_BUCKET_NAME_MAX || klen > STRATA_MAX_KEY_LEN)
		return S3E_InternalError; /* callers checked both */
	w = calloc(1, sizeof(*w) + klen + 1);
	if (!w) {
		err = S3E_InternalError;
		goto out;
	}
	w->pb = pb;
	w->loc = loc;
	w->kind = kind;
	w->fd = -1;
	memcpy(w->bucket, bucket, blen + 1);
	memcpy(w->key, key, klen + 1);
	err = posix_id_new(w->id);
	if (err != S3E_OK)
		goto out;
	posix_id_raw(w->id, raw);
	w->plain = kind == W_OBJECT && pb->opts.plain_writes;
	if (!w->plain) {
		err = frames_encoder_new(raw, NULL, tmp_emit, w, &w->enc);
		if (err != S3E_OK)
			goto out;
	}
	/* I1, I4, I5: a single PUT at home starts in memory; everything else in tmp/ID. */
	w->inl = kind == W_OBJECT && loc == &pb->loc[0] && !pb->opts.files_only;
	if (!w->inl) {
		err = tmp_create(w);
		if (err != S3E_OK)
			goto out;
	}
	*out = w;
	w = NULL;
out:
	if (w)
		frames_encoder_free(w->enc);
	free(w);
	return err;
}

/* Objects and parts alike: plaintext into the encoder, whole frames out to tmp/ID (F1). */
s3err_t posix_writer_write(struct be_writer *w, const void *data, size_t len)
{
	s3err_t err = S3E_OK;

	if (w->failed || (!w->enc && !w->plain)) {
		err = S3E_InternalError;
		goto out;
	}
	err = w->plain ? tmp_emit(w, data, len) : frames_encoder_write(w->enc, data, len);
	if (err != S3E_OK) {
		w->failed = true;
		goto out;
	}
	w->written += (uint64_t)len;
out:
	return err;
}

/*
 * F5: from here on w seals. The encoder is replaced before anything went
 * through it, so the file holds sealed frames only; the per-file key is
 * derived from the data key and the file's own id, then wiped (the
 * encoder keeps only its key schedule).
 */
s3err_t posix_writer_seal(struct be_writer *w, const uint8_t *data_key)
{
	uint8_t raw[FRAME_FILE_ID_SIZE];
	struct frames_encoder *enc = NULL;
	s3err_t err;

	if (w->failed || w->sealed || w->written > 0 || (!w->enc && !w->plain)) {
		log_error(POSIX_LOG_MOD, "writer_seal of %s/tmp/%s after data (or twice)",
			  w->loc->dir, w->id);
		err = S3E_InternalError;
		goto out;
	}
	posix_id_raw(w->id, raw);
	err = sse_file_encoder(data_key, raw, tmp_emit, w, &enc);
	if (err != S3E_OK)
		goto out;
	frames_encoder_free(w->enc);
	w->enc = enc;
	w->plain = false; /* encrypted data is always framed */
	w->sealed = true;
out:
	return err;
}

/* Makes the temporary's bytes durable and closes it. */
static s3err_t data_sync_close(struct be_writer *w)
{
	int fd = w->fd;
	int e = 0;

	w->fd = -1;
	if (fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e != 0) {
		log_error(POSIX_LOG_MOD, "fsync %s/tmp/%s: %s", w->loc->dir, w->id, strerror(e));
		return posix_io_err(e);
	}
	return S3E_OK;
}

s3err_t posix_xx_dir_open(const struct posix_loc *loc, const char *id, int *out)
{
	char xx[3] = {id[0], id[1], '\0'};
	int fd, e;

	if (mkdirat(loc->objfd, xx, 0700) == 0) {
		if (fsync(loc->objfd) != 0) {
			e = errno;
			log_error(POSIX_LOG_MOD, "fsync %s/objects: %s", loc->dir, strerror(e));
			return S3E_InternalError;
		}
	} else if (errno != EEXIST) {
		e = errno;
		log_error(POSIX_LOG_MOD, "mkdir %s/objects/%s: %s", loc->dir, xx, strerror(e));
		return posix_io_err(e);
	}
	fd = openat(loc->objfd, xx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "open %s/objects/%s: %s", loc->dir, xx, strerror(e));
		return S3E_InternalError;
	}
	*out = fd;
	return S3E_OK;
}

/*
 * X2: steps 1-3 for a writer in a remote location: its temporary (in the
 * home's tmp/) is uploaded as the remote object, then removed. No fsync:
 * the durable copy is the remote's, and the upload's success (every
 * request's Content-MD5 checked there) is what the index commit waits for.
 */
static s3err_t remote_publish(struct be_writer *w, enum data_where *where)
{
	const struct posix_loc *loc = w->loc;
	struct stat sb;
	s3err_t err = S3E_OK;
	int fd, e;

	close(w->fd);
	w->fd = -1;
	fd = openat(loc->tmpfd, w->id, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "reopen tmp/%s for its upload to %s: %s", w->id, loc->dir,
			  strerror(e));
		err = S3E_InternalError;
	}
	if (err == S3E_OK) {
		*where = IN_OBJECTS; /* a failed upload may have left part of it: cleanup deletes */
		err = posix_remote_put(loc, w->id, fd, (uint64_t)sb.st_size);
	}
	if (fd >= 0)
		close(fd);
	if (err == S3E_OK && unlinkat(loc->tmpfd, w->id, 0) != 0)
		log_warn(POSIX_LOG_MOD, "unlink tmp/%s: %s", w->id, strerror(errno));
	return err;
}

s3err_t posix_data_place(struct be_writer *w, int *xxfd, enum data_where *where)
{
	const struct posix_loc *loc = w->loc;
	s3err_t err;
	int e;

	if (w->failed || (!w->enc && !w->plain)) {
		err = S3E_InternalError;
		goto out;
	}
	/* F1: the last frame (possibly empty) goes out before the fsync. */
	err = w->plain ? S3E_OK : frames_encoder_finish(w->enc);
	frames_encoder_free(w->enc);
	w->enc = NULL;
	if (err != S3E_OK) {
		w->failed = true;
		goto out;
	}
	if (w->inl)
		goto out; /* I1: the commit puts the bytes in the index */
	if (loc->remote) {
		err = remote_publish(w, where);
		goto out;
	}
	err = data_sync_close(w);
	if (err != S3E_OK)
		goto out;
	err = posix_xx_dir_open(loc, w->id, xxfd);
	if (err != S3E_OK)
		goto out;
	if (renameat(loc->tmpfd, w->id, *xxfd, w->id) != 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "rename %s/tmp/%s into objects/: %s", loc->dir, w->id,
			  strerror(e));
		err = posix_io_err(e);
		goto out;
	}
	*where = IN_OBJECTS;
	if (fsync(*xxfd) != 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "fsync %s/objects/%.2s: %s", loc->dir, w->id, strerror(e));
		err = S3E_InternalError;
		goto out;
	}
out:
	return err;
}

void posix_data_cleanup(struct be_writer *w, int xxfd, enum data_where where)
{
	const struct posix_loc *loc = w->loc;

	frames_encoder_free(w->enc);
	if (w->fd >= 0)
		close(w->fd);
	if (!w->inl && (where == IN_TMP || loc->remote) && unlinkat(loc->tmpfd, w->id, 0) != 0 &&
	    errno != ENOENT)
		log_warn(POSIX_LOG_MOD, "unlink %s/tmp/%s: %s", loc->dir, w->id, strerror(errno));
	/* X2: an upload no row names; an orphan (X6) if the remote refuses this too. */
	if (where == IN_OBJECTS && loc->remote && posix_remote_delete(loc, w->id) != S3E_OK)
		log_warn(POSIX_LOG_MOD, "left %s object %s behind (an orphan)", loc->dir, w->id);
	if (where == IN_OBJECTS && !loc->remote && unlinkat(xxfd, w->id, 0) != 0)
		log_warn(POSIX_LOG_MOD, "unlink %s/objects/%.2s/%s: %s", loc->dir, w->id, w->id,
			 strerror(errno));
	if (xxfd >= 0)
		close(xxfd);
	free(w->mem);
	free(w->repl);
	free(w);
}

/* --- reading data files --- */

/* Integrity failures seen by readers since start (F3); the one mutable global (STYLE 11). */
static _Atomic uint64_t integrity_failures;

uint64_t posix_integrity_failures(void)
{
	return atomic_load(&integrity_failures);
}

void posix_integrity_count(void)
{
	atomic_fetch_add(&integrity_failures, 1);
	metrics_add(METRIC_INTEGRITY_FAILURES, 0, 1);
}

uint64_t posix_stored_size(bool framed, uint64_t size)
{
	return framed ? frames_stored_size(size) : size;
}

static int hex_nibble(char ch)
{
	return ch <= '9' ? ch - '0' : ch - 'a' + 10; /* only for posix_id_valid ids */
}

void posix_id_raw(const char *id, uint8_t out[FRAME_FILE_ID_SIZE])
{
	size_t i;

	for (i = 0; i < FRAME_FILE_ID_SIZE; i++)
		out[i] = (uint8_t)(hex_nibble(id[2 * i]) << 4 | hex_nibble(id[2 * i + 1]));
}

/* The hex form of a raw file id, for messages. */
static void id_hex(const uint8_t raw[FRAME_FILE_ID_SIZE], char out[POSIX_ID_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < FRAME_FILE_ID_SIZE; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[POSIX_ID_HEX] = '\0';
}

/* The local kind of posix_fh_open: objects/xx/ID or tmp/ID of a directory. */
static s3err_t fh_open_local(const struct posix_loc *loc, const char *id, bool in_tmp,
			     struct posix_fh *out, uint64_t *stored)
{
	char rel[POSIX_REL_LEN + 1];
	struct stat sb;
	int fd, e;

	posix_id_relpath(id, rel);
	fd = in_tmp ? openat(loc->tmpfd, id, O_RDONLY | O_CLOEXEC)
		    : openat(loc->objfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		/* ENOENT: the row was replaced, deleted or moved after we read it (P2, T4). */
		if (e == ENOENT)
			return S3E_NoSuchKey;
		log_error(POSIX_LOG_MOD, "open %s/%s/%s: %s", loc->dir, in_tmp ? "tmp" : "objects",
			  in_tmp ? id : rel, strerror(e));
		return S3E_InternalError;
	}
	if (fstat(fd, &sb) != 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "fstat %s/objects/%s: %s", loc->dir, rel, strerror(e));
		close(fd);
		return S3E_InternalError;
	}
	*stored = (uint64_t)sb.st_size;
	*out = (struct posix_fh){fd, NULL};
	return S3E_OK;
}

s3err_t posix_fh_open(const struct posix_loc *loc, const char *id, bool in_tmp,
		      struct posix_fh *out, uint64_t *stored)
{
	struct posix_rfile *rf = NULL;
	s3err_t err;

	/* X2: a remote location's temporaries are local files in the home's tmp/. */
	if (!loc->remote || in_tmp)
		return fh_open_local(loc, id, in_tmp, out, stored);
	err = posix_remote_open(loc, id, &rf, stored);
	if (err == S3E_OK)
		*out = (struct posix_fh){-1, rf};
	return err;
}

bool posix_fh_is_open(const struct posix_fh *fh)
{
	return fh->fd >= 0 || fh->rf || fh->mem;
}

void posix_fh_close(struct posix_fh *fh)
{
	if (fh->fd >= 0)
		close(fh->fd);
	posix_remote_close(fh->rf);
	free(fh->mem);
	*fh = POSIX_FH_NONE;
}

/* posix_fh_read of inline bytes (I2): the same answers as a file's. */
static s3err_t mem_read(const struct posix_fh *fh, uint64_t off, void *buf, size_t len,
			bool *short_file)
{
	*short_file = off > fh->mem_len || len > fh->mem_len - off;
	if (*short_file)
		return S3E_InternalError;
	memcpy(buf, fh->mem + off, len);
	return S3E_OK;
}

s3err_t posix_fh_read(const struct posix_fh *fh, uint64_t off, void *buf, size_t len,
		      bool *short_file)
{
	size_t done = 0;

	if (fh->rf)
		return posix_remote_read(fh->rf, off, buf, len, short_file);
	if (fh->mem)
		return mem_read(fh, off, buf, len, short_file);
	*short_file = false;
	while (done < len) {
		ssize_t n = pread(fh->fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			log_error(POSIX_LOG_MOD, "read of a data file failed: %s", strerror(e));
			return S3E_InternalError;
		}
		if (n == 0) {
			*short_file = true; /* shorter than the index says: never pad it */
			return S3E_InternalError;
		}
		done += (size_t)n;
	}
	return S3E_OK;
}

/* Truncated or extended behind our back: never serve it (F3, X3). Closes fh when not. */
static s3err_t size_check(struct posix_fh *fh, const struct posix_loc *loc, const char *id,
			  uint64_t size, uint64_t stored)
{
	if (size == stored)
		return S3E_OK;
	log_error(POSIX_LOG_MOD, "integrity: %s/%s%s holds %llu bytes, the index records %llu",
		  loc->dir, fh->mem ? "index.db, inline data of " : "objects/", id,
		  (unsigned long long)size, (unsigned long long)stored);
	posix_integrity_count();
	posix_fh_close(fh);
	return S3E_InternalError;
}

s3err_t posix_data_open(const struct posix_loc *loc, const char *id, uint64_t stored,
			struct posix_fh *out)
{
	struct posix_fh fh = POSIX_FH_NONE;
	uint64_t size = 0;
	s3err_t err;

	err = posix_fh_open(loc, id, false, &fh, &size);
	if (err == S3E_OK)
		err = size_check(&fh, loc, id, size, stored);
	if (err == S3E_OK)
		*out = fh;
	return err;
}

s3err_t posix_data_adopt(struct posix_fh *fh, const struct posix_loc *loc, const char *id,
			 uint64_t stored)
{
	return size_check(fh, loc, id, fh->mem_len, stored);
}

s3err_t posix_data_pread(const struct posix_fh *fh, uint64_t off, void *buf, size_t len)
{
	bool short_file = false;
	s3err_t err = posix_fh_read(fh, off, buf, len, &short_file);

	if (short_file)
		log_error(POSIX_LOG_MOD, "read of an object file failed: it ends early");
	return err;
}

s3err_t posix_frame_load(const struct posix_dfile *f, uint64_t index, uint8_t *frame, size_t *len,
			 bool *corrupt)
{
	uint64_t count = frames_count(f->size);
	size_t n = frames_data_len(f->size, index), want = n + FRAME_TAG_SIZE;
	off_t at = (off_t)(index * POSIX_FRAME_STRIDE);
	s3err_t err = S3E_OK;

	*corrupt = false;
	if (index >= count) {
		err = S3E_InternalError;
		goto out;
	}
	err = posix_fh_read(&f->fh, (uint64_t)at, frame, want, corrupt);
	if (err != S3E_OK)
		goto out; /* *corrupt: the file ends inside the frame; else an I/O error */
	if (f->sealed && !f->cipher) {
		err = S3E_InternalError; /* the caller's bug: nothing is wrong with the file */
		goto out;
	}
	/* F6: GCM for sealed frames (decrypting in place), BLAKE2b for plain ones. */
	if (f->sealed
		? !frames_open(f->cipher, f->id, index, index == count - 1, frame, n, frame + n)
		: !frames_verify(f->id, index, index == count - 1, frame, n, frame + n)) {
		*corrupt = true;
		err = S3E_InternalError;
		goto out;
	}
	*len = n;
out:
	return err;
}

/*
 * F7: gives sealed file f its cipher, under the key derived from fc's data
 * key and f's id. Without a data key the read cannot go on: logged (the
 * caller forgot reader_unseal), not counted as an integrity failure.
 */
static s3err_t cipher_ready(struct posix_frame_cache *fc, struct posix_dfile *f)
{
	char hex[POSIX_ID_HEX + 1];

	if (f->cipher)
		return S3E_OK;
	if (!fc->keyed) {
		id_hex(f->id, hex);
		log_error(POSIX_LOG_MOD,
			  "data file %s (bucket %s, key %s) is sealed and the reader has no key",
			  hex, fc->bucket ? fc->bucket : "?", fc->key ? fc->key : "?");
		return S3E_InternalError;
	}
	return sse_file_cipher(fc->data_key, f->id, &f->cipher);
}

/* Makes fc hold frame `index` of f, verified; reports and counts a failure (F3, F6). */
static s3err_t cache_fill(struct posix_frame_cache *fc, const struct posix_dfile *f, uint64_t index)
{
	char hex[POSIX_ID_HEX + 1];
	bool corrupt = false;
	size_t n = 0;
	s3err_t err;

	if (fc->valid && fc->index == index && memcmp(fc->id, f->id, sizeof(fc->id)) == 0)
		return S3E_OK;
	fc->valid = false; /* from here on buf holds unverified bytes until checked */
	if (!fc->buf) {
		fc->buf = malloc(POSIX_FRAME_STRIDE);
		if (!fc->buf)
			return S3E_InternalError;
	}
	/*
	 * The load writes at most this frame's stored bytes. Cleansing only
	 * what was written keeps a small object's GET from wiping 64 KiB.
	 */
	n = frames_data_len(f->size, index) + FRAME_TAG_SIZE;
	if (n > fc->dirty)
		fc->dirty = n <= POSIX_FRAME_STRIDE ? n : POSIX_FRAME_STRIDE;
	n = 0;
	err = posix_frame_load(f, index, fc->buf, &n, &corrupt);
	if (err != S3E_OK) {
		if (corrupt) {
			id_hex(f->id, hex);
			log_error(POSIX_LOG_MOD,
				  "integrity: frame %llu of %llu of data file %s (bucket %s, key "
				  "%s) failed verification",
				  (unsigned long long)index,
				  (unsigned long long)frames_count(f->size), hex,
				  fc->bucket ? fc->bucket : "?", fc->key ? fc->key : "?");
			posix_integrity_count();
		}
		return err;
	}
	memcpy(fc->id, f->id, sizeof(fc->id));
	fc->index = index;
	fc->len = n;
	fc->valid = true;
	return S3E_OK;
}

s3err_t posix_dfile_read(struct posix_frame_cache *fc, struct posix_dfile *f, uint64_t off,
			 void *buf, size_t len)
{
	size_t done = 0, in, n;
	s3err_t err = S3E_OK;
	uint64_t x;

	if (off > f->size || f->size - off < len) {
		err = S3E_InternalError;
		goto out;
	}
	if (!f->framed && !f->sealed) {
		err = posix_data_pread(&f->fh, off, buf, len); /* legacy plain file (F2) */
		goto out;
	}
	if (f->sealed && len > 0) {
		err = cipher_ready(fc, f);
		if (err != S3E_OK)
			goto out;
	}
	while (done < len) {
		x = off + done;
		err = cache_fill(fc, f, x / FRAME_DATA_SIZE);
		if (err != S3E_OK)
			goto out;
		in = (size_t)(x % FRAME_DATA_SIZE);
		if (in >= fc->len) { /* cannot happen for x < size: geometry is fixed */
			err = S3E_InternalError;
			goto out;
		}
		n = fc->len - in < len - done ? fc->len - in : len - done;
		memcpy((uint8_t *)buf + done, fc->buf + in, n);
		done += n;
	}
out:
	return err;
}

void posix_dfile_release(struct posix_dfile *f)
{
	frames_cipher_free(f->cipher);
	f->cipher = NULL;
}

void posix_frame_cache_free(struct posix_frame_cache *fc)
{
	OPENSSL_cleanse(fc->data_key, sizeof(fc->data_key));
	fc->keyed = false;
	if (!fc->buf)
		return;
	OPENSSL_cleanse(fc->buf, fc->dirty);
	free(fc->buf);
	fc->buf = NULL;
	fc->dirty = 0;
	fc->valid = false;
}
