/*
 * s3_multipart: multipart uploads on the remote-S3 backend, and the
 * multipart objects they complete into.
 *
 * Layout in the system bucket, for upload U (32 hex) of Strata bucket B:
 *   uploads/B/U          the marker of an active upload. Its body is the
 *                        key (up to 1,024 bytes: in the metadata, even in
 *                        hex, a long key would pass the 2 KiB AWS and MinIO
 *                        allow); its x-amz-meta-strata the objwire of what
 *                        CreateMultipartUpload asked for (headers blob,
 *                        storage class, checksum algorithm and type, SSE
 *                        mode, key id and envelope; mtime = initiated; the
 *                        placeholder ETag "upload" and a random file id,
 *                        which objwire requires).
 *   done/B/U             a completed upload: the marker's body and metadata,
 *                        plus x-amz-meta-strata-completed = the object's ETag.
 *   parts/B/U/NNNNN-F    part NNNNN (5 digits) with file id F (32 hex): its
 *                        framed or sealed bytes, and in x-amz-meta-strata its
 *                        size, mtime, ETag (MD5), SHA-256, checksum (the
 *                        upload's algorithm), the upload's SSE fields, F and
 *                        its stored size.
 *   finals/I             the journal of a Complete's remote upload (s3_io.c).
 * The object B/K it completes into, at <prefix>B/K, is
 *   [part 1's frames][part 2's frames]...[part n's frames][manifest frames]
 * with parts_count = n, stored_size = the offset of the manifest, file_id =
 * the manifest's in its x-amz-meta-strata. The manifest is n records
 * le64(plaintext size) || file id (16 bytes), plain frames under that file
 * id: it only says where each part's frames are and which id binds them.
 *
 * Invariants:
 *  U1 An upload is active (uploads/B/U), completed (done/B/U) or gone.
 *     Moves: active -> completed (Complete, once the object is visible),
 *     active -> gone (abort, DeleteBucket), completed -> gone (sweep after
 *     STRATA_COMPLETED_UPLOAD_KEEP_MS; upload_get ignores an older record).
 *     Completed records are kept apart from markers so that listing uploads
 *     and checking a marker never read them, and the sweep finds them by name.
 *  U2 Upload ids are 32 lowercase hex from RAND_bytes. Any other id a client
 *     sends is NoSuchUpload before a request: only ids of that shape ever
 *     become part of a remote key (no "/", no "..").
 *  U3 A part object is written once, at a key naming its own file id, and
 *     never changes: re-uploading part N writes another object. Of several
 *     objects of number N, the part is the one with the greatest (mtime_ms,
 *     file id), an order every instance agrees on; part_commit deletes those
 *     its part beats. So a Complete copies exactly the bytes whose file id it
 *     writes in the manifest: a late duplicate of an UploadPart (a client
 *     retry still in flight) cannot swap a part's bytes under a Complete, as
 *     it could with one key per number; at worst it deletes what the
 *     Complete copies, which fails that Complete cleanly (InvalidPart).
 *  U4 part_commit checks the marker before and after publishing its part,
 *     and deletes the part and answers NoSuchUpload if the upload is no
 *     longer active after. Abort deletes the marker before listing the
 *     parts. So abort's listing sees the part or the commit's second check
 *     sees the marker gone: no part outlives its upload, unless a process
 *     dies in between (U9).
 *  U5 Complete publishes the object with ONE remote multipart upload into
 *     the remote bucket: server-side copies of the part objects (a part
 *     framed above 5 GiB in two ranges), then a last remote part with the
 *     manifest. The remote wants every part but the last >= 5 MiB: when the
 *     last client part is framed below that, its bytes are downloaded
 *     (< 5 MiB) and sent in front of the manifest; when n + 1 remote parts
 *     would pass the remote's 10,000, the last part and the manifest are
 *     first joined into one staging object. A name too long for the
 *     remote's multipart uploads (S3_MAX_MPU_NAME) is uploaded at a staging
 *     key, then copied to its key with its metadata. Nothing is visible
 *     before the remote completes the upload (or the copy); then the whole
 *     object is (S1). The object holds its own copy of the bytes, so
 *     deleting the parts afterwards, or an abort racing with the Complete,
 *     cannot hurt it.
 *  U6 Readers verify the manifest's frames against the object's file id,
 *     and its sizes against the object's size and stored size, before using
 *     it; then each part's frames against that part's file id (sealed parts
 *     under a key derived from the data key and that id, as on posix, F5).
 *     A tampered, swapped or truncated manifest or part fails the read; it
 *     never serves other bytes.
 *  U7 The remote upload of a Complete is journaled in finals/ (s3_io.c): a
 *     crash leaves at most a record, whose upload the sweep aborts (a staged
 *     one is in staging/, which the sweep takes anyway).
 *  U8 DeleteBucket aborts the bucket's uploads (as posix, M9): once the
 *     remote bucket is gone, its markers, then done records, then parts go.
 *  U9 The sweep at open reads one page of parts/ from a random start and
 *     deletes parts older than S3_STAGING_MAX_AGE_MS whose marker is gone,
 *     and one page of done/ records past their keep time.
 *  U10 Memory is bounded: a Complete holds one record per listed part
 *     (<= 10,000), the manifest (<= 240 KB framed) and at most one small
 *     last part (< 5 MiB); a reader 40 bytes per part and one frame;
 *     upload_list at most S3_MAX_LISTED_UPLOADS entries (more is refused).
 *
 * State transition                            -> function
 *   (none)     -> active                      s3_upload_create (PUT uploads/B/U)
 *   active     -> active + part N object      s3_part_writer_open, s3_part_commit
 *                                             (PUT or staged copy; U3, U4)
 *   part N objects -> the greatest one        s3_part_commit (drop_beaten)
 *   active     -> object visible              s3_upload_complete (remote upload, U5, U7)
 *   active     -> completed                   complete_finish (PUT done/B/U, DELETE
 *                                             uploads/B/U, delete the parts)
 *   active     -> gone                        s3_upload_abort, s3_mp_bucket_purge
 *   completed  -> gone                        s3_mp_sweep, s3_mp_bucket_purge
 *   orphan parts -> deleted                   s3_mp_sweep (U9)
 */
#include "s3_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "../common/buf.h"
#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/strutil.h"

#define LOG_MOD S3_LOG_MOD
#define PAGE 1000u	     /* keys per listing request */
#define UPLOAD_ETAG "upload" /* a marker's objwire needs an ETag */

/* ---- names (U2) ---- */

static bool id_ok(const char *id)
{
	size_t i;

	for (i = 0; i < S3_ID_HEX; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return id[S3_ID_HEX] == '\0';
}

/* "<prefix><bucket>/<id>" (prefix uploads/ or done/). */
bool s3_mp_marker_key(char out[S3_MARKER_KEY_MAX], const char *prefix, const char *bucket,
		      const char *id)
{
	int n = snprintf(out, S3_MARKER_KEY_MAX, "%s%s/%s", prefix, bucket, id);

	return n > 0 && (size_t)n < S3_MARKER_KEY_MAX;
}

/* "parts/<bucket>/<id>/": every part object of the upload. */
bool s3_mp_parts_prefix(char out[S3_PART_KEY_MAX], const char *bucket, const char *id)
{
	int n = snprintf(out, S3_PART_KEY_MAX, "%s%s/%s/", S3_PARTS_PREFIX, bucket, id);

	return n > 0 && (size_t)n < S3_PART_KEY_MAX;
}

static bool part_key(char out[S3_PART_KEY_MAX], const char *bucket, const char *id, unsigned number,
		     const uint8_t file_id[FRAME_FILE_ID_SIZE])
{
	char hex[S3_ID_HEX + 1];
	int n;

	hex_encode(file_id, FRAME_FILE_ID_SIZE, hex);
	hex[S3_ID_HEX] = '\0';
	n = snprintf(out, S3_PART_KEY_MAX, "%s%s/%s/%05u-%s", S3_PARTS_PREFIX, bucket, id, number,
		     hex);
	return n > 0 && (size_t)n < S3_PART_KEY_MAX;
}

/* Parses "NNNNN-<file id>" (a part key after its upload's prefix); false for anything else. */
static bool part_suffix(const char *s, size_t len, unsigned *number,
			uint8_t file_id[FRAME_FILE_ID_SIZE])
{
	uint64_t n;

	if (len != S3_PART_SUFFIX_LEN || s[S3_NUMBER_DIGITS] != '-' ||
	    !parse_u64(s, S3_NUMBER_DIGITS, 1, STRATA_MAX_PARTS, &n) ||
	    !hex_decode(s + S3_NUMBER_DIGITS + 1, S3_ID_HEX, file_id, FRAME_FILE_ID_SIZE))
		return false;
	*number = (unsigned)n;
	return true;
}

/* ---- deleting by prefix ---- */

struct deleter {
	struct s3be *b;
	struct s3c_result *res;
	s3err_t err;
	char last[S3_REMOTE_KEY_MAX];
};

static s3err_t delete_entry(void *arg, const struct s3c_object *o)
{
	struct deleter *d = arg;
	s3err_t err;

	if (o->key_len >= sizeof(d->last))
		return S3E_OK;
	memcpy(d->last, o->key, o->key_len + 1);
	err = s3c_object_delete(d->b->c, d->b->system, o->key, d->res);
	if (err && !d->err)
		d->err = err;
	return S3E_OK;
}

/* Deletes every object of the system bucket under prefix, a page at a time. */
s3err_t s3_mp_delete_prefix(struct s3be *b, const char *prefix)
{
	struct deleter *d = calloc(1, sizeof(*d));
	struct s3c_result *res = malloc(sizeof(*res));
	char *start = malloc(S3_REMOTE_KEY_MAX);
	struct s3c_list_params p = {prefix, NULL, NULL, NULL, PAGE, delete_entry, NULL, d};
	struct s3c_list_page page;
	s3err_t err = S3E_InternalError;

	if (!d || !res || !start || !(d->res = malloc(sizeof(*d->res))))
		goto out;
	d->b = b;
	for (;;) {
		err = s3c_list_objects_v2(b->c, b->system, &p, &page, res);
		if (err || !page.truncated || !d->last[0] ||
		    (p.start_after && strcmp(start, d->last) == 0))
			break;
		memcpy(start, d->last, strlen(d->last) + 1);
		p.start_after = start;
	}
	if (!err)
		err = d->err;
out:
	if (d)
		free(d->res);
	free(d);
	free(res);
	free(start);
	return err;
}

/* ---- upload records (U1) ---- */

/* A missing upload: S3E_NoSuchBucket when its bucket is missing too (as posix). */
static s3err_t upload_missing(struct s3be *b, const char *bucket)
{
	struct bucket_info bi;
	s3err_t err = s3_registry_get(b, bucket, &bi);

	return err == S3E_OK ? S3E_NoSuchUpload : err;
}

/*
 * GETs <prefix>bucket/id (uploads/ or done/) and fills *u from it, meta with
 * its headers blob (the caller frees it with obj_meta_free). completed is
 * set only by a done/ record. Errors: S3E_NoSuchKey (absent),
 * S3E_InternalError (malformed, logged), the remote's.
 */
static s3err_t marker_get(struct s3be *b, const char *prefix, const char *bucket, const char *id,
			  struct upload_info *u, struct s3c_result *res)
{
	char key[S3_MARKER_KEY_MAX];
	struct objwire_extra x;
	const char *done;
	size_t len = 0;
	s3err_t err;

	memset(u, 0, sizeof(*u));
	obj_meta_init(&u->meta);
	if (!s3_mp_marker_key(key, prefix, bucket, id))
		return S3E_InternalError;
	if ((err = s3_system_get(b, key, u->key, sizeof(u->key), &len, res)))
		return err;
	if ((err = s3_meta_from_result(res, b->system, key, &u->meta, &x)))
		return err == S3E_NoSuchKey ? S3E_InternalError : err;
	done = s3c_result_header(res, S3_COMPLETED_HEADER);
	if (len == 0 ||
	    (done && (!str_copy(u->final_etag, sizeof(u->final_etag), done) || !done[0]))) {
		log_error(LOG_MOD, "the upload record %s/%s is malformed", b->system, key);
		obj_meta_free(&u->meta);
		return S3E_InternalError;
	}
	u->completed = done && strcmp(prefix, S3_DONE_PREFIX) == 0;
	str_copy(u->upload_id, sizeof(u->upload_id), id);
	u->initiated_ms = u->meta.mtime_ms;
	u->meta.etag[0] = '\0';
	return S3E_OK;
}

/* The marker of an active upload into *u. Errors: S3E_NoSuchUpload, S3E_NoSuchBucket, others. */
s3err_t s3_mp_active(struct s3be *b, const char *bucket, const char *id, struct upload_info *u,
		     struct s3c_result *res)
{
	s3err_t err;

	memset(u, 0, sizeof(*u));
	if (!id_ok(id))
		return upload_missing(b, bucket);
	err = marker_get(b, S3_UPLOADS_PREFIX, bucket, id, u, res);
	return err == S3E_NoSuchKey ? upload_missing(b, bucket) : err;
}

/* Whether id is an active upload of bucket (one HEAD): S3E_OK, S3E_NoSuchUpload... */
static s3err_t upload_active(struct s3be *b, const char *bucket, const char *id)
{
	char key[S3_MARKER_KEY_MAX];
	struct s3c_result *res;
	s3err_t err;

	if (!id_ok(id) || !s3_mp_marker_key(key, S3_UPLOADS_PREFIX, bucket, id))
		return upload_missing(b, bucket);
	if (!(res = malloc(sizeof(*res))))
		return S3E_InternalError;
	err = s3c_object_head(b->c, b->system, key, res);
	free(res);
	return err == S3E_NoSuchKey ? upload_missing(b, bucket) : err;
}

s3err_t s3_upload_create(struct backend *be, const char *bucket, const char *key,
			 const struct obj_meta *meta, char upload_id[STRATA_UPLOAD_ID_MAX])
{
	struct s3be *b = s3be_of(be);
	struct s3c_result *res = malloc(sizeof(*res));
	char id[S3_ID_HEX + 1], mkey[S3_MARKER_KEY_MAX];
	struct s3c_header hdr = {S3_META_HEADER, ""};
	struct objwire_extra x = {{0}, 0};
	struct obj_meta m = *meta; /* shallow: the headers blob stays the caller's */
	uint8_t raw[FRAME_FILE_ID_SIZE];
	struct bucket_info bi;
	struct buf wire;
	s3err_t err = S3E_InternalError;

	buf_init(&wire, OBJWIRE_MAX, S3E_MetadataTooLarge);
	if (!res)
		goto out;
	if ((err = s3_registry_get(b, bucket, &bi)))
		goto out;
	err = S3E_InternalError;
	if (s3_random_id(raw) || s3_random_id(x.file_id))
		goto out;
	hex_encode(raw, sizeof(raw), id);
	id[S3_ID_HEX] = '\0';
	/* What the object takes from the upload; sizes and digests will be the parts'. */
	m.size = 0;
	m.mtime_ms = httptime_now_ms();
	str_copy(m.etag, sizeof(m.etag), UPLOAD_ETAG);
	m.sha256_hex[0] = m.checksum_b64[0] = '\0';
	m.verified_ms = 0;
	m.parts_count = 0;
	m.restore_state = RESTORE_NONE;
	m.restore_until_ms = 0;
	if ((err = objwire_encode(&m, &x, &wire)))
		goto out;
	hdr.value = buf_str(&wire);
	err = S3E_InternalError;
	if (!s3_mp_marker_key(mkey, S3_UPLOADS_PREFIX, bucket, id))
		goto out;
	if ((err = s3c_object_put(b->c, b->system, mkey, key, strlen(key), &hdr, 1, res)))
		goto out;
	s3_record_key(b, meta);
	memcpy(upload_id, id, sizeof(id));
out:
	buf_free(&wire);
	free(res);
	return err;
}

s3err_t s3_upload_get(struct backend *be, const char *bucket, const char *upload_id,
		      struct upload_info *out)
{
	struct s3be *b = s3be_of(be);
	struct s3c_result *res = malloc(sizeof(*res));
	struct upload_info *u = malloc(sizeof(*u));
	s3err_t err = S3E_InternalError;

	if (!res || !u)
		goto out;
	err = s3_mp_active(b, bucket, upload_id, u, res);
	if (err == S3E_NoSuchUpload && id_ok(upload_id)) {
		err = marker_get(b, S3_DONE_PREFIX, bucket, upload_id, u, res);
		if (!err && (!u->completed || httptime_now_ms() - res->last_modified_ms >=
						  STRATA_COMPLETED_UPLOAD_KEEP_MS)) {
			obj_meta_free(&u->meta);
			err = S3E_NoSuchKey;
		}
		if (err == S3E_NoSuchKey)
			err = S3E_NoSuchUpload;
	}
	if (!err)
		*out = *u; /* the headers blob goes with it */
out:
	free(u);
	free(res);
	return err;
}

/* ---- parts (U3, U4) ---- */

/* U3: the order among the objects of one part number; the greatest is the part. */
static int part_cmp(int64_t mtime_a, const uint8_t *id_a, int64_t mtime_b, const uint8_t *id_b)
{
	if (mtime_a != mtime_b)
		return mtime_a < mtime_b ? -1 : 1;
	return memcmp(id_a, id_b, FRAME_FILE_ID_SIZE);
}

/*
 * HEADs part object key (number and file id from its name) into *p. Errors:
 * S3E_NoSuchKey (gone), S3E_InternalError (metadata that does not match its
 * name or its body's length, logged), the remote's.
 */
static s3err_t part_head(struct s3be *b, const char *key, unsigned number,
			 const uint8_t file_id[FRAME_FILE_ID_SIZE], struct s3_part_rec *p,
			 struct s3c_result *res)
{
	struct objwire_extra x;
	struct obj_meta m;
	s3err_t err;

	obj_meta_init(&m);
	if ((err = s3c_object_head(b->c, b->system, key, res)))
		return err;
	if ((err = s3_meta_from_result(res, b->system, key, &m, &x)))
		return err == S3E_NoSuchKey ? S3E_InternalError : err;
	err = S3E_InternalError;
	if (memcmp(x.file_id, file_id, FRAME_FILE_ID_SIZE) != 0 || m.size > STRATA_MAX_PART_SIZE ||
	    x.stored_size != frames_stored_size(m.size) || res->content_length != x.stored_size) {
		log_error(LOG_MOD, "part object %s/%s does not match its name or its size",
			  b->system, key);
		goto out;
	}
	memset(p, 0, sizeof(*p));
	p->info.number = number;
	p->info.size = m.size;
	p->info.mtime_ms = m.mtime_ms;
	str_copy(p->info.etag, sizeof(p->info.etag), m.etag);
	str_copy(p->info.checksum_b64, sizeof(p->info.checksum_b64), m.checksum_b64);
	str_copy(p->info.sha256_hex, sizeof(p->info.sha256_hex), m.sha256_hex);
	memcpy(p->file_id, x.file_id, sizeof(p->file_id));
	p->stored = x.stored_size;
	p->sse_mode = m.sse_mode;
	str_copy(p->key, sizeof(p->key), key);
	err = S3E_OK;
out:
	obj_meta_free(&m);
	return err;
}

struct walk {
	struct s3be *b;
	size_t plen; /* of "parts/B/U/" */
	s3_part_rec_fn fn;
	void *ctx;
	struct s3c_result *res; /* the HEADs' (the listing has its own) */
	bool have;		/* best is the part of the number being walked */
	bool stop;
	s3err_t err;
	struct s3_part_rec best, cand;
	char last[S3_PART_KEY_MAX];
};

static void walk_flush(struct walk *w)
{
	if (w->have && !w->stop && !w->fn(w->ctx, &w->best))
		w->stop = true;
	w->have = false;
}

static s3err_t walk_entry(void *arg, const struct s3c_object *o)
{
	struct walk *w = arg;
	uint8_t id[FRAME_FILE_ID_SIZE];
	unsigned number;
	s3err_t err;

	if (w->stop || w->err || o->key_len >= sizeof(w->last))
		return S3E_OK;
	memcpy(w->last, o->key, o->key_len + 1);
	if (o->key_len <= w->plen ||
	    !part_suffix(o->key + w->plen, o->key_len - w->plen, &number, id))
		return S3E_OK; /* not a part object */
	if (w->have && number != w->best.info.number)
		walk_flush(w);
	if (w->stop)
		return S3E_OK;
	err = part_head(w->b, o->key, number, id, &w->cand, w->res);
	if (err == S3E_NoSuchKey)
		return S3E_OK; /* beaten and deleted since the listing */
	if (err) {
		w->err = err;
		return S3E_OK;
	}
	if (!w->have || part_cmp(w->cand.info.mtime_ms, w->cand.file_id, w->best.info.mtime_ms,
				 w->best.file_id) > 0) {
		w->best = w->cand;
		w->have = true;
	}
	return S3E_OK;
}

/*
 * Visits the parts of upload id (U3: per number, the greatest of its
 * objects) with number > after, ascending; only part `only` unless it is 0.
 * Errors: the remote's, S3E_InternalError (a malformed part object).
 */
s3err_t s3_mp_walk(struct s3be *b, const char *bucket, const char *id, unsigned after,
		   unsigned only, s3_part_rec_fn fn, void *ctx)
{
	struct walk *w = calloc(1, sizeof(*w));
	char prefix[S3_PART_KEY_MAX], start[S3_PART_KEY_MAX];
	struct s3c_list_params p = {prefix, NULL, NULL, NULL, PAGE, walk_entry, NULL, w};
	struct s3c_list_page page;
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err = S3E_InternalError;
	int n;

	if (!w || !res || !(w->res = malloc(sizeof(*w->res))) ||
	    !s3_mp_parts_prefix(prefix, bucket, id))
		goto out;
	w->b = b;
	w->plen = strlen(prefix);
	w->fn = fn;
	w->ctx = ctx;
	if (only) {
		snprintf(prefix + w->plen, sizeof(prefix) - w->plen, "%05u-", only);
	} else if (after) {
		/* '.' sorts right after '-': past every object of numbers <= after. */
		n = snprintf(start, sizeof(start), "%s%05u.", prefix, after);
		if (n < 0 || (size_t)n >= sizeof(start))
			goto out;
		p.start_after = start;
	}
	for (;;) {
		err = s3c_list_objects_v2(b->c, b->system, &p, &page, res);
		if (err || w->err || w->stop || !page.truncated || !w->last[0] ||
		    (p.start_after && strcmp(start, w->last) == 0))
			break;
		memcpy(start, w->last, strlen(w->last) + 1);
		p.start_after = start;
	}
	if (!err)
		err = w->err;
	if (!err)
		walk_flush(w);
out:
	if (w)
		free(w->res);
	free(w);
	free(res);
	return err;
}

struct beaten {
	struct s3be *b;
	const char *mine; /* the key just written */
	size_t plen;	  /* of "parts/B/U/" */
	int64_t mtime_ms;
	const uint8_t *file_id;
	struct s3c_result *res;
	struct s3_part_rec rec;
};

static s3err_t beaten_entry(void *arg, const struct s3c_object *o)
{
	struct beaten *bt = arg;
	uint8_t id[FRAME_FILE_ID_SIZE];
	unsigned number;

	if (strcmp(o->key, bt->mine) == 0 || o->key_len <= bt->plen ||
	    !part_suffix(o->key + bt->plen, o->key_len - bt->plen, &number, id))
		return S3E_OK;
	if (part_head(bt->b, o->key, number, id, &bt->rec, bt->res) == S3E_OK &&
	    part_cmp(bt->rec.info.mtime_ms, id, bt->mtime_ms, bt->file_id) < 0)
		s3c_object_delete(bt->b->c, bt->b->system, o->key, bt->res);
	return S3E_OK;
}

/*
 * Deletes the other objects of part `number` that the one just written
 * (w, with mtime_ms) beats (U3). Best effort: what stays is never chosen
 * by a walk, and goes with the upload.
 */
static void drop_beaten(const struct be_writer *w, unsigned number, int64_t mtime_ms)
{
	struct beaten *bt = calloc(1, sizeof(*bt));
	struct s3c_result *res = malloc(sizeof(*res));
	char prefix[S3_PART_KEY_MAX];
	struct s3c_list_params p = {prefix, NULL, NULL, NULL, PAGE, beaten_entry, NULL, bt};
	struct s3c_list_page page;

	if (!bt || !res || !(bt->res = malloc(sizeof(*bt->res))) ||
	    !s3_mp_parts_prefix(prefix, w->bucket, w->part->upload_id))
		goto out;
	bt->b = w->b;
	bt->mine = w->key;
	bt->plen = strlen(prefix);
	bt->mtime_ms = mtime_ms;
	bt->file_id = w->file_id;
	snprintf(prefix + bt->plen, sizeof(prefix) - bt->plen, "%05u-", number);
	s3c_list_objects_v2(w->b->c, w->b->system, &p, &page, res);
out:
	if (bt)
		free(bt->res);
	free(bt);
	free(res);
}

s3err_t s3_part_writer_open(struct backend *be, const char *bucket, const char *upload_id,
			    unsigned number, uint64_t size_hint, struct be_writer **out)
{
	struct s3be *b = s3be_of(be);
	struct s3c_result *res = malloc(sizeof(*res));
	struct upload_info *u = malloc(sizeof(*u));
	struct s3_part_target *t = calloc(1, sizeof(*t));
	struct be_writer *w = NULL;
	char key[S3_PART_KEY_MAX];
	s3err_t err = S3E_InternalError;

	(void)size_hint;
	if (!res || !u || !t)
		goto out;
	if (number < 1 || number > STRATA_MAX_PARTS) {
		err = S3E_InvalidArgument;
		goto out;
	}
	if ((err = s3_mp_active(b, bucket, upload_id, u, res)))
		goto out;
	str_copy(t->upload_id, sizeof(t->upload_id), upload_id);
	t->number = number;
	t->sse_mode = u->meta.sse_mode;
	memcpy(t->sse_key_id, u->meta.sse_key_id, sizeof(t->sse_key_id));
	memcpy(t->sse_envelope, u->meta.sse_envelope, sizeof(t->sse_envelope));
	t->sse_envelope_len = u->meta.sse_envelope_len;
	memcpy(t->checksum_algo, u->meta.checksum_algo, sizeof(t->checksum_algo));
	obj_meta_free(&u->meta);
	err = s3_writer_new(b, b->system, bucket, &w);
	if (!err &&
	    (!part_key(key, bucket, upload_id, number, w->file_id) || !(w->key = strdup(key))))
		err = S3E_InternalError;
	if (err) {
		s3_writer_free(w);
		goto out;
	}
	w->part = t;
	t = NULL;
	*out = w;
out:
	free(t);
	free(u);
	free(res);
	return err;
}

/* What a part object's x-amz-meta-strata holds: the part, and its upload's SSE fields. */
static void part_meta(struct obj_meta *m, const struct part_info *p, const struct s3_part_target *t)
{
	obj_meta_init(m);
	m->size = p->size;
	m->mtime_ms = p->mtime_ms;
	str_copy(m->etag, sizeof(m->etag), p->etag);
	str_copy(m->sha256_hex, sizeof(m->sha256_hex), p->sha256_hex);
	str_copy(m->checksum_b64, sizeof(m->checksum_b64), p->checksum_b64);
	if (p->checksum_b64[0])
		str_copy(m->checksum_algo, sizeof(m->checksum_algo), t->checksum_algo);
	m->sse_mode = t->sse_mode;
	memcpy(m->sse_key_id, t->sse_key_id, sizeof(m->sse_key_id));
	memcpy(m->sse_envelope, t->sse_envelope, sizeof(m->sse_envelope));
	m->sse_envelope_len = t->sse_envelope_len;
}

/*
 * Publishes the part at its own key (U3) between two checks of the marker
 * (U4), then deletes the objects of that number it beats. A writer sealed
 * for a plain upload, or not sealed for an encrypted one, is refused (as
 * posix, M12): parts are sealed exactly when their upload is encrypted.
 */
s3err_t s3_part_commit(struct be_writer *w, const struct part_info *p)
{
	struct s3_part_target *t = w->part;
	struct s3c_result *res;
	struct obj_meta m;
	s3err_t err;

	if (!t || p->number != t->number || w->sealed != (t->sse_mode != SSE_NONE)) {
		log_error(LOG_MOD, "%s: part %u of an upload committed by the wrong writer (%s)",
			  w->bucket, p->number, w->sealed ? "sealed" : "not sealed");
		s3_writer_abort(w);
		return S3E_InternalError;
	}
	if ((err = upload_active(w->b, w->bucket, t->upload_id))) {
		s3_writer_abort(w);
		return err;
	}
	part_meta(&m, p, t);
	err = s3_writer_publish(w, &m);
	if (!err && (err = upload_active(w->b, w->bucket, t->upload_id)) != S3E_OK &&
	    (res = malloc(sizeof(*res)))) {
		/* Aborted or completed meanwhile: the part must not outlive it (U4). */
		s3c_object_delete(w->b->c, w->b->system, w->key, res);
		free(res);
	}
	if (!err)
		drop_beaten(w, p->number, p->mtime_ms);
	s3_writer_free(w);
	return err;
}

struct part_lister {
	part_visit_fn visit;
	void *ctx;
	size_t left;
};

static bool list_part(void *ctx, const struct s3_part_rec *p)
{
	struct part_lister *l = ctx;

	if (!l->left)
		return false;
	l->left--;
	return l->visit(l->ctx, &p->info) && l->left > 0;
}

s3err_t s3_part_list(struct backend *be, const char *bucket, const char *upload_id, unsigned after,
		     size_t limit, part_visit_fn visit, void *ctx)
{
	struct s3be *b = s3be_of(be);
	struct part_lister l = {visit, ctx, limit};
	s3err_t err = upload_active(b, bucket, upload_id);

	if (!err && limit)
		err = s3_mp_walk(b, bucket, upload_id, after, 0, list_part, &l);
	return err;
}

struct part_found {
	bool found;
	struct s3_part_rec rec;
};

static bool keep_part(void *ctx, const struct s3_part_rec *p)
{
	struct part_found *f = ctx;

	f->found = true;
	f->rec = *p;
	return false;
}

s3err_t s3_part_reader_open(struct backend *be, const char *bucket, const char *upload_id,
			    unsigned number, struct be_reader **out)
{
	struct s3be *b = s3be_of(be);
	struct part_found *f = calloc(1, sizeof(*f));
	struct s3_span *span = calloc(1, sizeof(*span));
	s3err_t err = S3E_InternalError;

	if (!f || !span)
		goto out;
	if ((err = upload_active(b, bucket, upload_id)))
		goto out;
	if (number >= 1 && number <= STRATA_MAX_PARTS &&
	    (err = s3_mp_walk(b, bucket, upload_id, 0, number, keep_part, f)))
		goto out;
	if (!f->found) {
		err = S3E_InvalidPart;
		goto out;
	}
	span->size = f->rec.info.size;
	memcpy(span->file_id, f->rec.file_id, sizeof(span->file_id));
	err = s3_reader_make(b, b->system, f->rec.key, f->rec.info.size,
			     f->rec.sse_mode != SSE_NONE, span, 1, out);
	span = NULL; /* taken, whatever the result */
out:
	free(span);
	free(f);
	return err;
}

/* ---- listing uploads ---- */

struct upl_entry {
	char *key;
	char id[S3_ID_HEX + 1];
	int64_t initiated_ms;
	char storage_class[STRATA_STORAGE_CLASS_MAX];
	char checksum_algo[16];
	char checksum_type[16];
};

struct upl_ids {
	char (*ids)[S3_ID_HEX + 1]; /* S3_MAX_LISTED_UPLOADS */
	size_t n;
	bool over;
	size_t plen; /* of "uploads/B/" */
	char last[S3_MARKER_KEY_MAX];
};

static s3err_t upl_id_entry(void *arg, const struct s3c_object *o)
{
	struct upl_ids *l = arg;

	if (o->key_len >= sizeof(l->last))
		return S3E_OK;
	memcpy(l->last, o->key, o->key_len + 1);
	if (o->key_len != l->plen + S3_ID_HEX || !id_ok(o->key + l->plen))
		return S3E_OK;
	if (l->n == S3_MAX_LISTED_UPLOADS) {
		l->over = true;
		return S3E_OK;
	}
	memcpy(l->ids[l->n++], o->key + l->plen, S3_ID_HEX + 1);
	return S3E_OK;
}

/* The ids of every marker of bucket (U10: at most S3_MAX_LISTED_UPLOADS, else refused). */
static s3err_t upload_ids(struct s3be *b, const char *bucket, struct upl_ids *l)
{
	char prefix[S3_MARKER_KEY_MAX], start[S3_MARKER_KEY_MAX];
	struct s3c_list_params p = {prefix, NULL, NULL, NULL, PAGE, upl_id_entry, NULL, l};
	struct s3c_list_page page;
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err = S3E_InternalError;

	if (!res || !s3_join_key(prefix, sizeof(prefix), S3_UPLOADS_PREFIX, bucket, "/"))
		goto out;
	l->plen = strlen(prefix);
	for (;;) {
		err = s3c_list_objects_v2(b->c, b->system, &p, &page, res);
		if (err || l->over || !page.truncated || !l->last[0] ||
		    (p.start_after && strcmp(start, l->last) == 0))
			break;
		memcpy(start, l->last, strlen(l->last) + 1);
		p.start_after = start;
	}
	if (!err && l->over) {
		log_error(LOG_MOD,
			  "bucket %s has more than %u uploads in progress: not listed (abort some)",
			  bucket, S3_MAX_LISTED_UPLOADS);
		err = S3E_InternalError;
	}
out:
	free(res);
	return err;
}

static int upl_cmp(const void *a, const void *b)
{
	const struct upl_entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->id, y->id);
}

/* After (key_marker, id_marker) in (key, id) order, as backend.h says. */
static bool upl_after(const char *key, const char *id, const char *km, const char *um)
{
	int c = strcmp(key, km);

	return c > 0 || (c == 0 && um[0] && strcmp(id, um) > 0);
}

/* HEADs each marker of ids into entries, keeping those listed (prefix, markers). */
static s3err_t upload_entries(struct s3be *b, const char *bucket, const struct upl_ids *l,
			      const char *prefix, const char *km, const char *um,
			      struct upl_entry *e, size_t *n)
{
	struct s3c_result *res = malloc(sizeof(*res));
	struct upload_info *u = malloc(sizeof(*u));
	s3err_t err = S3E_InternalError;
	size_t i;

	*n = 0;
	if (!res || !u)
		goto out;
	for (i = 0, err = S3E_OK; i < l->n && !err; i++) {
		err = marker_get(b, S3_UPLOADS_PREFIX, bucket, l->ids[i], u, res);
		if (err == S3E_NoSuchKey) {
			err = S3E_OK; /* aborted or completed since the listing */
			continue;
		}
		if (err)
			break;
		if (str_starts(u->key, prefix) && upl_after(u->key, l->ids[i], km, um)) {
			if (!(e[*n].key = strdup(u->key)))
				err = S3E_InternalError;
			else {
				memcpy(e[*n].id, l->ids[i], sizeof(e[*n].id));
				e[*n].initiated_ms = u->initiated_ms;
				memcpy(e[*n].storage_class, u->meta.storage_class,
				       sizeof(e[*n].storage_class));
				memcpy(e[*n].checksum_algo, u->meta.checksum_algo,
				       sizeof(e[*n].checksum_algo));
				memcpy(e[*n].checksum_type, u->meta.checksum_type,
				       sizeof(e[*n].checksum_type));
				(*n)++;
			}
		}
		obj_meta_free(&u->meta);
	}
out:
	free(u);
	free(res);
	return err;
}

/*
 * Markers are named by upload id, so the (key, id) order is made here: every
 * marker of the bucket is read (one HEAD each), filtered and sorted (U10).
 */
s3err_t s3_upload_list(struct backend *be, const char *bucket, const char *prefix,
		       const char *key_marker, const char *upload_id_marker, size_t limit,
		       upload_visit_fn visit, void *ctx)
{
	struct s3be *b = s3be_of(be);
	struct upl_ids l = {NULL, 0, false, 0, ""};
	struct upl_entry *e = NULL;
	struct upload_info *u = calloc(1, sizeof(*u));
	struct bucket_info bi;
	size_t n = 0, i;
	s3err_t err = S3E_InternalError;

	l.ids = malloc(S3_MAX_LISTED_UPLOADS * sizeof(*l.ids));
	if (!l.ids || !u)
		goto out;
	if ((err = s3_registry_get(b, bucket, &bi)) || (err = upload_ids(b, bucket, &l)))
		goto out;
	if (l.n && !(e = calloc(l.n, sizeof(*e)))) {
		err = S3E_InternalError;
		goto out;
	}
	err = upload_entries(b, bucket, &l, prefix ? prefix : "", key_marker ? key_marker : "",
			     upload_id_marker ? upload_id_marker : "", e, &n);
	if (err)
		goto out;
	if (n > l.n) { /* cannot be: upload_entries fills at most l.n of e */
		err = S3E_InternalError;
		goto out;
	}
	if (n)
		qsort(e, n, sizeof(*e), upl_cmp);
	obj_meta_init(&u->meta);
	for (i = 0; i < n && i < limit; i++) {
		str_copy(u->upload_id, sizeof(u->upload_id), e[i].id);
		str_copy(u->key, sizeof(u->key), e[i].key);
		u->initiated_ms = e[i].initiated_ms;
		memcpy(u->meta.storage_class, e[i].storage_class, sizeof(u->meta.storage_class));
		memcpy(u->meta.checksum_algo, e[i].checksum_algo, sizeof(u->meta.checksum_algo));
		memcpy(u->meta.checksum_type, e[i].checksum_type, sizeof(u->meta.checksum_type));
		if (!visit(ctx, u))
			break;
	}
out:
	for (i = 0; e && i < n; i++)
		free(e[i].key);
	free(e);
	free(l.ids);
	free(u);
	return err;
}

/* ---- abort (U1, U4) ---- */

s3err_t s3_upload_abort(struct backend *be, const char *bucket, const char *upload_id)
{
	struct s3be *b = s3be_of(be);
	struct s3c_result *res = malloc(sizeof(*res));
	char key[S3_MARKER_KEY_MAX], prefix[S3_PART_KEY_MAX];
	s3err_t err = S3E_InternalError;

	if (!res)
		goto out;
	if ((err = upload_active(b, bucket, upload_id)))
		goto out;
	err = S3E_InternalError;
	if (!s3_mp_marker_key(key, S3_UPLOADS_PREFIX, bucket, upload_id) ||
	    !s3_mp_parts_prefix(prefix, bucket, upload_id))
		goto out;
	/* The marker first: a part committed meanwhile then sees the upload gone (U4). */
	if ((err = s3c_object_delete(b->c, b->system, key, res)))
		goto out;
	if (s3_mp_delete_prefix(b, prefix) != S3E_OK)
		log_warn(LOG_MOD, "upload %s of %s aborted; some parts are left for the sweep",
			 upload_id, bucket);
out:
	free(res);
	return err;
}

/* ---- DeleteBucket (U8) and the sweep (U9) ---- */

s3err_t s3_mp_bucket_purge(struct s3be *b, const char *bucket)
{
	static const char *const prefixes[] = {S3_UPLOADS_PREFIX, S3_DONE_PREFIX, S3_PARTS_PREFIX};
	char prefix[S3_PART_KEY_MAX];
	s3err_t err = S3E_OK;
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]) && !err; i++) {
		if (!s3_join_key(prefix, sizeof(prefix), prefixes[i], bucket, "/"))
			return S3E_InternalError;
		err = s3_mp_delete_prefix(b, prefix);
	}
	return err;
}

/*
 * Where a bounded sweep of prefix starts: at a random first character of a
 * bucket name (or at the beginning), so that over many opens every stretch
 * of a large prefix gets its turn.
 */
static const char *random_start(char *out, size_t cap, const char *prefix)
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint8_t r = 0;

	if (RAND_bytes(&r, 1) != 1 || r % sizeof(alphabet) == sizeof(alphabet) - 1)
		return NULL;
	snprintf(out, cap, "%s%c", prefix, alphabet[r % sizeof(alphabet)]);
	return out;
}

struct part_sweep {
	struct s3be *b;
	struct s3c_result *res;
	int64_t before_ms;
	char group[S3_MARKER_KEY_MAX]; /* the marker of the upload being looked at */
	bool orphan;		       /* ...which is gone */
	size_t deleted;
};

static s3err_t part_sweep_entry(void *arg, const struct s3c_object *o)
{
	struct part_sweep *s = arg;
	const char *rest = o->key + strlen(S3_PARTS_PREFIX), *slash;
	char marker[S3_MARKER_KEY_MAX];
	size_t blen;

	if (o->last_modified_ms >= s->before_ms || !str_starts(o->key, S3_PARTS_PREFIX) ||
	    !(slash = strchr(rest, '/')))
		return S3E_OK;
	blen = (size_t)(slash - rest);
	if (blen == 0 || blen > STRATA_BUCKET_NAME_MAX || strlen(slash + 1) <= S3_ID_HEX ||
	    slash[1 + S3_ID_HEX] != '/')
		return S3E_OK;
	snprintf(marker, sizeof(marker), "%s%.*s/%.*s", S3_UPLOADS_PREFIX, (int)blen, rest,
		 (int)S3_ID_HEX, slash + 1);
	if (strcmp(marker, s->group) != 0) {
		memcpy(s->group, marker, sizeof(marker));
		s->orphan = s3c_object_head(s->b->c, s->b->system, marker, s->res) == S3E_NoSuchKey;
	}
	if (s->orphan && s3c_object_delete(s->b->c, s->b->system, o->key, s->res) == S3E_OK)
		s->deleted++;
	return S3E_OK;
}

struct done_sweep {
	struct s3be *b;
	struct s3c_result *res;
	int64_t before_ms;
	size_t deleted;
};

static s3err_t done_sweep_entry(void *arg, const struct s3c_object *o)
{
	struct done_sweep *s = arg;

	if (o->last_modified_ms < s->before_ms &&
	    s3c_object_delete(s->b->c, s->b->system, o->key, s->res) == S3E_OK)
		s->deleted++;
	return S3E_OK;
}

/*
 * One page (PAGE keys) of prefix from a random start, wrapping around to
 * the beginning when the end comes first: a small prefix is seen whole on
 * every open, a large one a page at a time (U9).
 */
static void sweep_page(struct s3be *b, const char *prefix, s3c_object_fn fn, void *arg,
		       struct s3c_result *res)
{
	char start[S3_MARKER_KEY_MAX];
	struct s3c_list_params p = {
	    prefix, NULL, random_start(start, sizeof(start), prefix), NULL, PAGE, fn, NULL, arg};
	struct s3c_list_page page;

	if (s3c_list_objects_v2(b->c, b->system, &p, &page, res) == S3E_OK && !page.truncated &&
	    p.start_after && page.objects < PAGE) {
		p.start_after = NULL;
		p.max_keys = PAGE - page.objects;
		s3c_list_objects_v2(b->c, b->system, &p, &page, res);
	}
}

void s3_mp_sweep(struct s3be *b)
{
	int64_t now = httptime_now_ms();
	struct part_sweep ps = {b, malloc(sizeof(*ps.res)), now - S3_STAGING_MAX_AGE_MS, "", false,
				0};
	struct done_sweep ds = {b, malloc(sizeof(*ds.res)), now - STRATA_COMPLETED_UPLOAD_KEEP_MS,
				0};
	struct s3c_result *res = malloc(sizeof(*res));

	if (ps.res && ds.res && res) {
		sweep_page(b, S3_PARTS_PREFIX, part_sweep_entry, &ps, res);
		sweep_page(b, S3_DONE_PREFIX, done_sweep_entry, &ds, res);
	}
	if (ps.deleted || ds.deleted)
		log_info(LOG_MOD, "removed %zu parts of gone uploads and %zu expired records",
			 ps.deleted, ds.deleted);
	free(ps.res);
	free(ds.res);
	free(res);
}
