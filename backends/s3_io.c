/*
 * s3_io: the data paths of the remote-S3 backend: writers (S1, S3, S5 of
 * s3.h), readers (S4) over single-file objects, parts and multipart objects,
 * and the journal of remote multipart uploads into user buckets.
 */
#include "s3_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../common/buf.h"
#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/strutil.h"

#define LOG_MOD S3_LOG_MOD
#define FRAME_STRIDE S3_FRAME_STRIDE
/* A journaled upload is the dead one of its record when created this close to the record. */
#define FINAL_WINDOW_MS (3600ll * 1000)
#define FINALS_PAGE 1000u

/* ---- journal of remote uploads into user buckets: <system>/finals/<id> ---- */

s3err_t s3_final_begin(struct s3be *b, const char *rbucket, const char *key, char id[S3_ID_HEX + 1])
{
	char rec[S3_SYSTEM_ID_KEY_MAX];
	struct s3c_header hdr = {S3_BUCKET_HEADER, rbucket};
	struct s3c_result *res = malloc(sizeof(*res));
	uint8_t raw[FRAME_FILE_ID_SIZE];
	s3err_t err = S3E_InternalError;

	if (!res || s3_random_id(raw))
		goto out;
	hex_encode(raw, sizeof(raw), id);
	id[S3_ID_HEX] = '\0';
	s3_join_key(rec, sizeof(rec), S3_FINALS_PREFIX, id, NULL);
	/* The key goes in the body: in hex metadata it could pass AWS's 2 KiB. */
	err = s3c_object_put(b->c, b->system, rec, key, strlen(key), &hdr, 1, res);
out:
	free(res);
	return err;
}

void s3_final_end(struct s3be *b, const char id[S3_ID_HEX + 1])
{
	char rec[S3_SYSTEM_ID_KEY_MAX];
	struct s3c_result *res = malloc(sizeof(*res));

	if (res && s3_join_key(rec, sizeof(rec), S3_FINALS_PREFIX, id, NULL) &&
	    s3c_object_delete(b->c, b->system, rec, res) != S3E_OK)
		log_warn(LOG_MOD, "could not remove the journal record %s (swept later)", rec);
	free(res);
}

struct final_rec {
	char key[S3_SYSTEM_ID_KEY_MAX];
	int64_t ms;
};

struct finals {
	int64_t before_ms;
	struct final_rec *recs;
	size_t n;
};

static s3err_t final_entry(void *arg, const struct s3c_object *o)
{
	struct finals *f = arg;

	if (f->n < FINALS_PAGE && o->last_modified_ms < f->before_ms &&
	    o->key_len < sizeof(f->recs[0].key)) {
		memcpy(f->recs[f->n].key, o->key, o->key_len + 1);
		f->recs[f->n++].ms = o->last_modified_ms;
	}
	return S3E_OK;
}

struct final_uploads {
	const char *key;
	int64_t until_ms;
	char (*ids)[S3C_MAX_UPLOAD_ID];
	size_t n;
};

static s3err_t final_upload(void *arg, const struct s3c_upload *u)
{
	struct final_uploads *fu = arg;

	if (fu->n < FINALS_PAGE && u->key_len == strlen(fu->key) &&
	    memcmp(u->key, fu->key, u->key_len) == 0 && u->initiated_ms <= fu->until_ms &&
	    strlen(u->upload_id) < S3C_MAX_UPLOAD_ID)
		str_copy(fu->ids[fu->n++], S3C_MAX_UPLOAD_ID, u->upload_id);
	return S3E_OK;
}

/*
 * Aborts the uploads of one dead record: those of exactly its key created
 * before its time + FINAL_WINDOW_MS (a later Complete of the same key has its
 * own record), then removes the record. Both times are the remote's clock.
 */
static size_t sweep_final(struct s3be *b, const struct final_rec *rec, struct s3c_result *res,
			  char (*ids)[S3C_MAX_UPLOAD_ID])
{
	char rbucket[STRATA_BUCKET_NAME_MAX + 1], *key = malloc(S3_REMOTE_KEY_MAX);
	struct final_uploads fu = {key, rec->ms + FINAL_WINDOW_MS, ids, 0};
	struct s3c_mpu_list_params p = {key, NULL, NULL, FINALS_PAGE, final_upload, &fu};
	struct s3c_mpu_list_page page;
	const char *rb;
	size_t i, len = 0, aborted = 0;
	s3err_t err;

	if (!key)
		return 0;
	err = s3_system_get(b, rec->key, key, S3_REMOTE_KEY_MAX, &len, res);
	rb = err ? NULL : s3c_result_header(res, S3_BUCKET_HEADER);
	if (err == S3E_InternalError ||
	    (!err && (!rb || !str_copy(rbucket, sizeof(rbucket), rb) || len == 0))) {
		log_warn(LOG_MOD, "journal record %s is malformed: removed", rec->key);
		s3c_object_delete(b->c, b->system, rec->key, res);
		err = S3E_NoSuchKey;
	}
	if (!err)
		err = s3c_mpu_list(b->c, rbucket, &p, &page, res);
	for (i = 0; !err && i < fu.n; i++)
		aborted += s3c_mpu_abort(b->c, rbucket, key, ids[i], res) == S3E_OK;
	if (!err || err == S3E_NoSuchBucket)
		s3c_object_delete(b->c, b->system, rec->key, res);
	free(key);
	return aborted;
}

void s3_sweep_finals(struct s3be *b)
{
	struct finals f = {httptime_now_ms() - S3_STAGING_MAX_AGE_MS,
			   malloc(FINALS_PAGE * sizeof(*f.recs)), 0};
	struct s3c_list_params p = {S3_FINALS_PREFIX, NULL,	   NULL, NULL,
				    FINALS_PAGE,      final_entry, NULL, &f};
	char(*ids)[S3C_MAX_UPLOAD_ID] = malloc(FINALS_PAGE * sizeof(*ids));
	struct s3c_list_page page;
	struct s3c_result *res = malloc(sizeof(*res));
	size_t i, aborted = 0;

	if (!f.recs || !ids || !res)
		goto out;
	if (s3c_list_objects_v2(b->c, b->system, &p, &page, res) == S3E_OK)
		for (i = 0; i < f.n; i++)
			aborted += sweep_final(b, &f.recs[i], res, ids);
	if (aborted)
		log_info(LOG_MOD, "aborted %zu remote uploads of commits that died", aborted);
out:
	free(f.recs);
	free(ids);
	free(res);
}

/* ---- writers (S1, S3, S5) ---- */

static s3err_t upload_part(struct be_writer *w)
{
	struct s3c_result *res;
	s3err_t err;

	if (!w->upload_id[0]) {
		if (!(res = malloc(sizeof(*res))))
			return S3E_InternalError;
		err = s3c_mpu_create(w->b->c, w->b->system, w->staging_key, NULL, 0, w->upload_id,
				     res);
		free(res);
		if (err)
			return err;
	}
	if (w->nparts == w->cap_parts) {
		size_t cap = w->cap_parts ? 2 * w->cap_parts : 16;
		void *p =
		    cap <= STRATA_MAX_PARTS ? realloc(w->etags, cap * sizeof(*w->etags)) : NULL;

		if (!p)
			return S3E_InternalError;
		w->etags = p;
		w->cap_parts = cap;
	}
	if (!(res = malloc(sizeof(*res))))
		return S3E_InternalError;
	err = s3c_mpu_upload_part(w->b->c, w->b->system, w->staging_key, w->upload_id,
				  (unsigned)w->nparts + 1, w->buf, w->len, res);
	if (!err) {
		str_copy(w->etags[w->nparts], S3C_MAX_ETAG, res->etag);
		w->nparts++;
		w->len = 0;
	}
	free(res);
	return err;
}

/* The encoder's output: whole frames, gathered into parts of S3_PART_BUFFER bytes. */
static s3err_t emit_frames(void *ctx, const uint8_t *data, size_t len)
{
	struct be_writer *w = ctx;

	if (w->len + len > S3_PART_BUFFER + FRAME_STRIDE)
		return S3E_InternalError; /* a frame is never larger than FRAME_STRIDE */
	if (w->len + len > w->cap) {
		/* Grows by doubling, so a small object never holds a whole part's buffer. */
		size_t cap = w->cap;
		uint8_t *nb;

		while (cap < w->len + len)
			cap *= 2;
		if (cap > S3_PART_BUFFER + FRAME_STRIDE)
			cap = S3_PART_BUFFER + FRAME_STRIDE;
		nb = realloc(w->buf, cap);
		if (!nb)
			return S3E_InternalError;
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	w->stored += len;
	if (w->len >= S3_PART_BUFFER)
		return upload_part(w);
	return S3E_OK;
}

s3err_t s3_writer_new(struct s3be *b, const char *rbucket, const char *bucket,
		      struct be_writer **out)
{
	struct be_writer *w = calloc(1, sizeof(*w));
	char hex[S3_ID_HEX + 1];

	if (!w)
		return S3E_InternalError;
	w->b = b;
	w->cap = 4 * FRAME_STRIDE;
	w->buf = malloc(w->cap);
	if (!w->buf || !str_copy(w->rbucket, sizeof(w->rbucket), rbucket) ||
	    !str_copy(w->bucket, sizeof(w->bucket), bucket) || s3_random_id(w->file_id)) {
		free(w->buf);
		free(w);
		return S3E_InternalError;
	}
	hex_encode(w->file_id, sizeof(w->file_id), hex);
	hex[S3_ID_HEX] = '\0';
	s3_join_key(w->staging_key, sizeof(w->staging_key), S3_STAGING_PREFIX, hex, NULL);
	*out = w;
	return S3E_OK;
}

s3err_t s3_writer_open(struct backend *be, const char *bucket, const char *key, uint64_t size_hint,
		       struct be_writer **out)
{
	struct s3be *b = s3be_of(be);
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	struct be_writer *w = NULL;
	struct bucket_info bi;
	s3err_t err;

	(void)size_hint;
	err = s3_registry_get(b, bucket, &bi);
	if (!err)
		err = s3_remote_bucket(b, bucket, rb);
	if (!err)
		err = s3_writer_new(b, rb, bucket, &w);
	if (err)
		return err;
	if (!(w->key = strdup(key))) {
		s3_writer_free(w);
		return S3E_InternalError;
	}
	*out = w;
	return S3E_OK;
}

s3err_t s3_writer_seal(struct be_writer *w, const uint8_t *data_key)
{
	s3err_t err;

	if (w->enc)
		return S3E_InternalError; /* after a write */
	err = sse_file_encoder(data_key, w->file_id, emit_frames, w, &w->enc);
	if (!err)
		w->sealed = true;
	return err;
}

/* Storage classes have no tiers on this backend yet: every class lives in the home bucket. */
s3err_t s3_writer_place(struct be_writer *w, const char *storage_class)
{
	(void)storage_class;
	return w->enc ? S3E_InternalError : S3E_OK;
}

s3err_t s3_writer_write(struct be_writer *w, const void *data, size_t len)
{
	s3err_t err;

	if (w->failed)
		return w->failed;
	if (!w->enc && (err = frames_encoder_new(w->file_id, NULL, emit_frames, w, &w->enc)))
		return w->failed = err;
	err = frames_encoder_write(w->enc, data, len);
	if (err)
		w->failed = err;
	return err;
}

void s3_writer_free(struct be_writer *w)
{
	if (!w)
		return;
	frames_encoder_free(w->enc);
	free(w->etags);
	free(w->buf);
	free(w->key);
	free(w->part);
	free(w);
}

/*
 * Removes the staging upload and its object (best effort: the sweep at open
 * takes what this misses). After a failure either may exist: try both.
 */
static void staging_drop(struct be_writer *w, bool completed)
{
	struct s3c_result *res = malloc(sizeof(*res));

	if (!res || !w->upload_id[0])
		goto out;
	if (!completed)
		s3c_mpu_abort(w->b->c, w->b->system, w->staging_key, w->upload_id, res);
	s3c_object_delete(w->b->c, w->b->system, w->staging_key, res);
	w->upload_id[0] = '\0';
out:
	free(res);
}

void s3_writer_abort(struct be_writer *w)
{
	if (!w)
		return;
	staging_drop(w, false);
	s3_writer_free(w);
}

s3err_t s3_copy_large(struct s3be *b, const char *rbucket, const char *key, const char *src,
		      uint64_t size, const struct s3c_header *hdrs, size_t nhdrs,
		      struct s3c_result *res)
{
	char upload_id[S3C_MAX_UPLOAD_ID] = "", journal[S3_ID_HEX + 1];
	size_t n = (size_t)((size + S3_COPY_PART_SIZE - 1) / S3_COPY_PART_SIZE), i;
	char(*etags)[S3C_MAX_ETAG] = calloc(n, sizeof(*etags));
	struct s3c_part *parts = calloc(n, sizeof(*parts));
	s3err_t err = S3E_InternalError;

	if (!etags || !parts || n > STRATA_MAX_PARTS)
		goto out;
	if ((err = s3_final_begin(b, rbucket, key, journal)))
		goto out;
	err = s3c_mpu_create(b->c, rbucket, key, hdrs, nhdrs, upload_id, res);
	for (i = 0; !err && i < n; i++) {
		uint64_t start = i * S3_COPY_PART_SIZE;
		uint64_t len = size - start < S3_COPY_PART_SIZE ? size - start : S3_COPY_PART_SIZE;

		err = s3c_mpu_upload_part_copy(b->c, rbucket, key, upload_id, (unsigned)i + 1,
					       b->system, src, start, len, res);
		if (!err) {
			str_copy(etags[i], S3C_MAX_ETAG, res->etag);
			parts[i].number = (unsigned)i + 1;
			parts[i].etag = etags[i];
		}
	}
	if (!err)
		err = s3c_mpu_complete(b->c, rbucket, key, upload_id, parts, n, res);
	else if (upload_id[0])
		s3c_mpu_abort(b->c, rbucket, key, upload_id, res);
	s3_final_end(b, journal);
out:
	free(etags);
	free(parts);
	return err;
}

/* Completes the staging upload and copies it to its key with the metadata (S1). */
static s3err_t publish_staged(struct be_writer *w, const struct s3c_header *hdrs, size_t nhdrs,
			      struct s3c_result *res)
{
	struct s3c_part *parts = calloc(w->nparts, sizeof(*parts));
	s3err_t err = S3E_InternalError;
	size_t i;

	if (!parts)
		return err;
	for (i = 0; i < w->nparts; i++) {
		parts[i].number = (unsigned)i + 1;
		parts[i].etag = w->etags[i];
	}
	err = s3c_mpu_complete(w->b->c, w->b->system, w->staging_key, w->upload_id, parts,
			       w->nparts, res);
	free(parts);
	if (err)
		return err;
	if (w->stored <= S3_MAX_SINGLE_COPY)
		return s3c_object_copy(w->b->c, w->rbucket, w->key, w->b->system, w->staging_key,
				       S3C_META_REPLACE, hdrs, nhdrs, res);
	return s3_copy_large(w->b, w->rbucket, w->key, w->staging_key, w->stored, hdrs, nhdrs, res);
}

s3err_t s3_writer_publish(struct be_writer *w, const struct obj_meta *meta)
{
	struct objwire_extra x;
	struct buf wire;
	struct s3c_header hdrs[2];
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err = w->failed;

	buf_init(&wire, OBJWIRE_MAX, S3E_MetadataTooLarge);
	if (!res || !w->key) {
		err = S3E_InternalError;
		goto out;
	}
	if (!err && !w->enc)
		err = frames_encoder_new(w->file_id, NULL, emit_frames, w, &w->enc);
	if (!err)
		err = frames_encoder_finish(w->enc);
	memcpy(x.file_id, w->file_id, sizeof(x.file_id));
	x.stored_size = w->stored;
	if (!err)
		err = objwire_encode(meta, &x, &wire);
	if (err)
		goto out;
	hdrs[0].name = S3_META_HEADER;
	hdrs[0].value = buf_str(&wire);
	hdrs[1].name = "Content-Type";
	hdrs[1].value = "application/octet-stream";
	if (!w->upload_id[0]) {
		err = s3c_object_put(w->b->c, w->rbucket, w->key, w->buf, w->len, hdrs, 2, res);
	} else {
		if (w->len)
			err = upload_part(w);
		if (!err)
			err = publish_staged(w, hdrs, 2, res);
	}
	if (err == S3E_NoSuchBucket)
		log_error(LOG_MOD, "%s/%s: the remote bucket %s is gone", w->bucket, w->key,
			  w->rbucket);
	/* res is the answer of the request that published: the PUT, the copy or the Complete. */
	if (!err && w->vid_out)
		err = s3_vid_written(w->b, w->bucket, w->rbucket, w->key, res, w->vid_out);
out:
	staging_drop(w, !err);
	buf_free(&wire);
	free(res);
	return err;
}

/*
 * An object writer publishes a single-file object: whatever parts_count the
 * caller's meta says, the stored one is 0, because readers take parts_count
 * > 0 to mean "a multipart object with a manifest" (U6 in s3_multipart.c).
 */
s3err_t s3_writer_commit(struct be_writer *w, const struct obj_meta *meta)
{
	struct obj_meta m = *meta; /* shallow: the headers blob stays the caller's */
	s3err_t err;

	m.parts_count = 0;
	err = w->part ? S3E_InternalError : s3_writer_publish(w, &m);
	if (!err)
		s3_record_key(w->b, meta);
	if (err)
		staging_drop(w, false);
	s3_writer_free(w);
	return err;
}

/* ---- readers (S4) ---- */

struct be_reader {
	struct s3be *b;
	char rbucket[STRATA_BUCKET_NAME_MAX + 1];
	char *key;
	uint64_t size;	       /* plaintext of the whole object */
	struct s3_span *spans; /* ascending, covering [0, size) */
	size_t nspans;
	bool sealed;
	bool have_key;
	uint8_t data_key[SSE_KEY_SIZE]; /* reader_unseal; wiped at close */
	struct frames_cipher *cipher;	/* of span cipher_span (one kept, made lazily) */
	size_t cipher_span;
	struct s3c_stream *st; /* positioned at stored offset st_off */
	uint64_t st_off;
	char remote_etag[S3C_MAX_ETAG];	 /* the version opened: later streams must be it (S4) */
	char vid[STRATA_VERSION_ID_MAX]; /* ...and its remote version id, "" when it named none */
	uint8_t *frame;	    /* FRAME_STRIDE bytes: the current frame, decoded in place */
	size_t cur_span;    /* the current frame's span... */
	uint64_t cur_frame; /* ...and index in it; UINT64_MAX: none */
	size_t cur_len;
};

s3err_t s3_reader_make(struct s3be *b, const char *rbucket, const char *key, uint64_t size,
		       bool sealed, struct s3_span *spans, size_t n, struct be_reader **out)
{
	struct be_reader *r = calloc(1, sizeof(*r));

	if (!r || !str_copy(r->rbucket, sizeof(r->rbucket), rbucket) || !(r->key = strdup(key)) ||
	    !(r->frame = malloc(FRAME_STRIDE))) {
		if (r) {
			free(r->key);
			free(r);
		}
		free(spans);
		return S3E_InternalError;
	}
	r->b = b;
	r->size = size;
	r->spans = spans;
	r->nspans = n;
	r->sealed = sealed;
	r->cur_frame = UINT64_MAX;
	*out = r;
	return S3E_OK;
}

s3err_t s3_reader_open(struct backend *be, const char *bucket, const char *key,
		       struct obj_meta *meta, struct be_reader **out)
{
	return s3_reader_open_v(be, bucket, key, NULL, meta, out);
}

/*
 * One GET from the start gives the metadata and the body of the same version
 * (a HEAD then a GET could meet two versions when a PUT lands in between),
 * and saves a round trip. Its stream is kept for the first reads; any later
 * stream (a seek, the manifest) is pinned to that version by If-Match, and
 * by its version id when the remote named one (V3 in s3_versions.c: in a
 * versioned bucket the opened version may stop being the latest).
 */
s3err_t s3_reader_open_v(struct backend *be, const char *bucket, const char *key, const char *vid,
			 struct obj_meta *meta, struct be_reader **out)
{
	struct s3be *b = s3be_of(be);
	struct s3c_result *res = malloc(sizeof(*res));
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	struct s3c_stream *st = NULL;
	struct s3_span *spans = NULL;
	struct objwire_extra x;
	struct obj_meta m;
	const char *pin;
	struct bucket_info bi;
	size_t n = 1;
	bool x_read = false; /* m and x came from the remote's answer */
	s3err_t err = S3E_InternalError;

	obj_meta_init(&m);
	if (!res)
		goto fail;
	err = s3_remote_bucket(b, bucket, rb);
	if (!err)
		err = s3c_get_open_v(b->c, rb, key, vid, 0, S3C_RANGE_ALL, NULL, &st, res);
	if (!err)
		err = s3_meta_from_result(res, bucket, key, &m, &x);
	x_read = err == S3E_OK;
	if (!err)
		err = s3_vid_of(b, bucket, res, vid, m.version_id);
	if (err == S3E_NoSuchKey && s3_registry_get(b, bucket, &bi) == S3E_NoSuchBucket)
		err = S3E_NoSuchBucket;
	else if (err == S3E_NoSuchKey || err == S3E_NoSuchVersion || err == S3E_MethodNotAllowed)
		err = s3_marker_probe(b, bucket, rb, key, vid, meta);
	/* The probe always answers an error (no version to read); m and x stay unset then. */
	if (err == S3E_OK && !x_read)
		err = S3E_InternalError;
	if (err)
		goto fail;
	pin = s3c_result_header(res, "x-amz-version-id") ? m.version_id : vid;
	if (m.parts_count) {
		err = s3_manifest_spans(b, rb, key, pin, res->etag, &m, &x, &spans, &n);
		if (err == S3E_PreconditionFailed)
			err =
			    S3E_InternalError; /* rewritten within this open: the client retries */
		if (err)
			goto fail;
	} else {
		err = S3E_InternalError;
		if (x.stored_size != frames_stored_size(m.size)) {
			log_error(LOG_MOD,
				  "%s/%s: stored size %" PRIu64 " does not frame %" PRIu64 " bytes",
				  bucket, key, x.stored_size, m.size);
			goto fail;
		}
		if (!(spans = calloc(1, sizeof(*spans))))
			goto fail;
		spans[0].size = m.size;
		memcpy(spans[0].file_id, x.file_id, sizeof(spans[0].file_id));
	}
	err = s3_reader_make(b, rb, key, m.size, m.sse_mode != SSE_NONE, spans, n, out);
	if (err)
		goto fail;
	str_copy((*out)->remote_etag, sizeof((*out)->remote_etag), res->etag);
	str_copy((*out)->vid, sizeof((*out)->vid), pin ? pin : "");
	(*out)->st = st;
	(*out)->st_off = 0;
	free(res);
	*meta = m;
	return S3E_OK;
fail:
	s3c_stream_close(st);
	obj_meta_free(&m);
	free(res);
	return err;
}

s3err_t s3_reader_unseal(struct be_reader *r, const uint8_t *data_key)
{
	memcpy(r->data_key, data_key, SSE_KEY_SIZE);
	r->have_key = true;
	return S3E_OK;
}

/* The span holding plaintext offset off (< r->size): the first whose end is past it. */
static size_t span_of(const struct be_reader *r, uint64_t off)
{
	size_t lo = 0, hi = r->nspans - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->spans[mid].start + r->spans[mid].size > off)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The cipher of span p, made from the data key on its first frame (one kept at a time). */
static s3err_t span_cipher(struct be_reader *r, size_t p)
{
	if (!r->have_key)
		return S3E_InternalError; /* reader_unseal first */
	if (r->cipher && r->cipher_span == p)
		return S3E_OK;
	frames_cipher_free(r->cipher);
	r->cipher = NULL;
	if (sse_file_cipher(r->data_key, r->spans[p].file_id, &r->cipher) != S3E_OK)
		return S3E_InternalError;
	r->cipher_span = p;
	return S3E_OK;
}

/* Positions the stream at stored offset off, reopening it unless it is there already. */
static s3err_t stream_at(struct be_reader *r, uint64_t off)
{
	struct s3c_result *res;
	s3err_t err;

	if (r->st && r->st_off == off)
		return S3E_OK;
	s3c_stream_close(r->st);
	r->st = NULL;
	if (!(res = malloc(sizeof(*res))))
		return S3E_InternalError;
	err = s3c_get_open_v(r->b->c, r->rbucket, r->key, r->vid, off, S3C_RANGE_ALL,
			     r->remote_etag, &r->st, res);
	free(res);
	if (err == S3E_PreconditionFailed || err == S3E_NoSuchKey)
		log_warn(LOG_MOD, "%s/%s was replaced or deleted during a read: the read stops",
			 r->rbucket, r->key);
	if (err)
		return err == S3E_NoSuchKey || err == S3E_InvalidRange ||
			       err == S3E_PreconditionFailed
			   ? S3E_InternalError
			   : err;
	r->st_off = off;
	return S3E_OK;
}

/* Reads frame i of span p into r->frame and verifies (or decrypts) it with the span's file id. */
static s3err_t load_frame(struct be_reader *r, size_t p, uint64_t i)
{
	const struct s3_span *s = &r->spans[p];
	uint64_t frames = frames_count(s->size);
	size_t len = frames_data_len(s->size, i), got = 0;
	bool last = i + 1 == frames;
	s3err_t err;

	if (r->sealed && (err = span_cipher(r, p)))
		return err;
	if ((err = stream_at(r, s->sstart + i * FRAME_STRIDE)))
		return err;
	err = s3c_stream_read(r->st, r->frame, len + FRAME_TAG_SIZE, &got);
	if (!err && got != len + FRAME_TAG_SIZE)
		err = S3E_InternalError;
	if (err) {
		s3c_stream_close(r->st);
		r->st = NULL;
		return err;
	}
	r->st_off += got;
	if (r->sealed ? !frames_open(r->cipher, s->file_id, i, last, r->frame, len, r->frame + len)
		      : !frames_verify(s->file_id, i, last, r->frame, len, r->frame + len)) {
		log_error(LOG_MOD,
			  "%s/%s: frame %" PRIu64 " of %" PRIu64 " (part %zu of %zu) failed "
			  "verification",
			  r->rbucket, r->key, i, frames, p + 1, r->nspans);
		r->cur_frame = UINT64_MAX;
		return S3E_InternalError;
	}
	r->cur_span = p;
	r->cur_frame = i;
	r->cur_len = len;
	return S3E_OK;
}

s3err_t s3_reader_read(struct be_reader *r, uint64_t off, void *buf, size_t len, size_t *got)
{
	uint8_t *out = buf;
	size_t done = 0;
	s3err_t err;

	while (done < len && off < r->size) {
		size_t p = span_of(r, off), at, n;
		uint64_t in = off - r->spans[p].start, i = in / FRAME_DATA_SIZE;

		at = (size_t)(in % FRAME_DATA_SIZE);
		if ((r->cur_span != p || r->cur_frame != i) &&
		    (err = load_frame(r, p, i)) != S3E_OK)
			return err;
		n = r->cur_len - at < len - done ? r->cur_len - at : len - done;
		memcpy(out + done, r->frame + at, n);
		done += n;
		off += n;
	}
	*got = done;
	return S3E_OK;
}

void s3_reader_close(struct be_reader *r)
{
	if (!r)
		return;
	s3c_stream_close(r->st);
	frames_cipher_free(r->cipher);
	OPENSSL_cleanse(r->data_key, sizeof(r->data_key));
	if (r->frame)
		OPENSSL_cleanse(r->frame, FRAME_STRIDE);
	free(r->frame);
	free(r->spans);
	free(r->key);
	free(r);
}
