/*
 * s3_complete: the multipart objects of the remote-S3 backend: Complete,
 * which publishes them (one remote multipart upload of server-side copies
 * of the part objects plus a manifest), and what reads them back (the
 * manifest, verified and cached; the part ranges of ?partNumber=). The
 * layout and the invariants U1..U10 are at the top of s3_multipart.c.
 */
#include "s3_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/log.h"
#include "../common/strutil.h"

#define LOG_MOD S3_LOG_MOD
#define RECORD_SIZE (8u + FRAME_FILE_ID_SIZE)		      /* one manifest record */
#define MANIFEST_MAX ((size_t)STRATA_MAX_PARTS * RECORD_SIZE) /* plaintext */
#define REMOTE_MIN_PART STRATA_MIN_PART_SIZE /* the remote's minimum but for the last */
#define REMOTE_MAX_PARTS STRATA_MAX_PARTS    /* the remote's parts per upload */

/* ---- manifests (U5, U6) ---- */

static void put_le64(uint8_t *p, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static bool manifest_cached(struct s3be *b, const uint8_t file_id[FRAME_FILE_ID_SIZE], size_t n,
			    struct s3_span **out)
{
	struct s3_manifest_slot *s = &b->manifests[file_id[0] % S3_MANIFEST_CACHE_SLOTS];
	struct s3_span *copy = malloc(n * sizeof(*copy));
	bool hit;

	if (!copy)
		return false;
	pthread_mutex_lock(&b->manifest_lock);
	hit = s->spans && s->n == n && memcmp(s->file_id, file_id, FRAME_FILE_ID_SIZE) == 0;
	if (hit)
		memcpy(copy, s->spans, n * sizeof(*copy));
	pthread_mutex_unlock(&b->manifest_lock);
	if (!hit) {
		free(copy);
		return false;
	}
	*out = copy;
	return true;
}

/* A verified manifest is what its file id binds for good: cached by that id alone. */
static void manifest_cache(struct s3be *b, const uint8_t file_id[FRAME_FILE_ID_SIZE],
			   const struct s3_span *spans, size_t n)
{
	struct s3_manifest_slot *s = &b->manifests[file_id[0] % S3_MANIFEST_CACHE_SLOTS];
	struct s3_span *copy = malloc(n * sizeof(*copy)), *old;

	if (!copy)
		return;
	memcpy(copy, spans, n * sizeof(*copy));
	pthread_mutex_lock(&b->manifest_lock);
	old = s->spans;
	memcpy(s->file_id, file_id, FRAME_FILE_ID_SIZE);
	s->spans = copy;
	s->n = n;
	pthread_mutex_unlock(&b->manifest_lock);
	free(old);
}

void s3_mp_close(struct s3be *b)
{
	size_t i;

	for (i = 0; i < S3_MANIFEST_CACHE_SLOTS; i++) {
		free(b->manifests[i].spans);
		b->manifests[i].spans = NULL;
	}
}

/* Reads the framed manifest of rbucket/key into raw[stored] (U6). */
static s3err_t manifest_fetch(struct s3be *b, const char *rbucket, const char *key, const char *vid,
			      const char *if_match, uint64_t start, uint8_t *raw, size_t stored)
{
	struct s3c_result *res = malloc(sizeof(*res));
	struct s3c_stream *st = NULL;
	size_t got = 0;
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	err = s3c_get_open_v(b->c, rbucket, key, vid, start, stored, if_match, &st, res);
	if (err == S3E_InvalidRange)
		err = S3E_InternalError;
	if (!err && res->object_size != start + stored)
		err = S3E_InternalError; /* the body is not parts + this manifest */
	if (!err)
		err = s3c_stream_read(st, raw, stored, &got);
	if (!err && got != stored)
		err = S3E_InternalError;
	s3c_stream_close(st);
	free(res);
	return err;
}

/* Verifies the frames of raw (in place) and turns the records into spans (U6). */
static bool manifest_parse(uint8_t *raw, size_t plain_len,
			   const uint8_t file_id[FRAME_FILE_ID_SIZE], struct s3_span *spans)
{
	uint64_t frames = frames_count(plain_len), i, start = 0, sstart = 0;
	uint8_t *plain = raw; /* frames' data slid down over their tags as they verify */
	size_t n = plain_len / RECORD_SIZE, at = 0;

	for (i = 0; i < frames; i++) {
		size_t len = frames_data_len(plain_len, i);
		uint8_t *f = raw + i * S3_FRAME_STRIDE;

		if (!frames_verify(file_id, i, i + 1 == frames, f, len, f + len))
			return false;
		memmove(plain + at, f, len);
		at += len;
	}
	for (i = 0; i < n; i++) {
		const uint8_t *r = plain + i * RECORD_SIZE;
		uint64_t size = get_le64(r);

		if (size > STRATA_MAX_PART_SIZE)
			return false;
		spans[i].start = start;
		spans[i].sstart = sstart;
		spans[i].size = size;
		memcpy(spans[i].file_id, r + 8, FRAME_FILE_ID_SIZE);
		start += size;
		sstart += frames_stored_size(size);
	}
	return true;
}

/* Whether the parts add up to the object's size and to where its manifest starts (U6). */
static bool spans_fit(const struct s3_span *spans, size_t n, const struct obj_meta *m,
		      const struct objwire_extra *x)
{
	const struct s3_span *last;

	if (n == 0) /* a manifest always lists parts; none cannot fit */
		return false;
	last = &spans[n - 1];
	return last->start + last->size == m->size &&
	       last->sstart + frames_stored_size(last->size) == x->stored_size;
}

s3err_t s3_manifest_spans(struct s3be *b, const char *rbucket, const char *key, const char *vid,
			  const char *if_match, const struct obj_meta *m,
			  const struct objwire_extra *x, struct s3_span **spans, size_t *n)
{
	size_t count = m->parts_count, plain = count * RECORD_SIZE;
	size_t stored = (size_t)frames_stored_size(plain);
	struct s3_span *sp = NULL;
	uint8_t *raw = NULL;
	bool cached;
	s3err_t err = S3E_InternalError;

	if (count == 0 || count > STRATA_MAX_PARTS)
		return S3E_InternalError;
	cached = manifest_cached(b, x->file_id, count, &sp);
	if (!cached) {
		raw = malloc(stored);
		sp = calloc(count, sizeof(*sp)); /* manifest_parse fills all count */
		if (!raw || !sp)
			goto out;
		err = manifest_fetch(b, rbucket, key, vid, if_match, x->stored_size, raw, stored);
		if (!err && !manifest_parse(raw, plain, x->file_id, sp))
			err = S3E_InternalError;
	} else {
		err = S3E_OK;
	}
	if (!err && !spans_fit(sp, count, m, x))
		err = S3E_InternalError;
	if (err == S3E_InternalError) {
		log_error(LOG_MOD,
			  "%s/%s: the manifest of its %zu parts failed verification: not served",
			  rbucket, key, count);
		goto out;
	}
	if (err)
		goto out;
	if (!cached)
		manifest_cache(b, x->file_id, sp, count);
	*spans = sp;
	*n = count;
	sp = NULL;
out:
	free(sp);
	free(raw);
	return err;
}

s3err_t s3_object_part_range(struct backend *be, const char *bucket, const char *key,
			     unsigned number, uint64_t *offset, uint64_t *size)
{
	struct s3be *b = s3be_of(be);
	struct s3c_result *res = malloc(sizeof(*res));
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	struct s3_span *spans = NULL;
	struct objwire_extra x;
	struct bucket_info bi;
	struct obj_meta m;
	size_t n = 0;
	s3err_t err = S3E_InternalError;

	obj_meta_init(&m);
	if (!res)
		goto out;
	err = s3_head_meta(b, bucket, key, &m, &x, res);
	if (err == S3E_NoSuchKey && s3_registry_get(b, bucket, &bi) == S3E_NoSuchBucket)
		err = S3E_NoSuchBucket;
	if (err)
		goto out;
	if (number < 1 || number > (m.parts_count ? m.parts_count : 1)) {
		err = S3E_InvalidPartNumber;
	} else if (!m.parts_count) {
		*offset = 0; /* a single PUT is its own part 1 */
		*size = m.size;
	} else if (!(err = s3_remote_bucket(b, bucket, rb)) &&
		   !(err = s3_manifest_spans(b, rb, key, NULL, res->etag, &m, &x, &spans, &n))) {
		*offset = spans[number - 1].start;
		*size = spans[number - 1].size;
	}
out:
	free(spans);
	obj_meta_free(&m);
	free(res);
	return err;
}

/* ---- Complete (U5, U7) ---- */

static s3err_t emit_manifest(void *ctx, const uint8_t *data, size_t len)
{
	return buf_add(ctx, data, len);
}

/* The manifest of parts recs[0..n): framed records (size, file id) under file_id. */
static s3err_t manifest_build(const struct s3_part_rec *recs, size_t n,
			      const uint8_t file_id[FRAME_FILE_ID_SIZE], struct buf *out)
{
	struct frames_encoder *e = NULL;
	uint8_t rec[RECORD_SIZE];
	size_t i;
	s3err_t err = frames_encoder_new(file_id, NULL, emit_manifest, out, &e);

	for (i = 0; !err && i < n; i++) {
		put_le64(rec, recs[i].info.size);
		memcpy(rec + 8, recs[i].file_id, FRAME_FILE_ID_SIZE);
		err = frames_encoder_write(e, rec, sizeof(rec));
	}
	if (!err)
		err = frames_encoder_finish(e);
	frames_encoder_free(e);
	return err;
}

struct chosen {
	const struct complete_part *want;
	size_t n, j;
	struct s3_part_rec *recs;
	bool *found;
};

static bool choose_part(void *ctx, const struct s3_part_rec *p)
{
	struct chosen *c = ctx;

	while (c->j < c->n && c->want[c->j].number < p->info.number)
		c->j++;
	if (c->j == c->n)
		return false; /* past the last listed part */
	if (c->want[c->j].number == p->info.number) {
		c->recs[c->j] = *p;
		c->found[c->j] = true;
	}
	return true;
}

/*
 * The part objects of the listed parts into recs[0..n): each must exist and
 * hold the listed ETag (S3E_InvalidPart), be sealed exactly when the upload
 * is encrypted, and the sizes must add up to meta's (S3E_InternalError).
 */
static s3err_t choose_parts(struct s3be *b, const char *bucket, const char *id,
			    const struct upload_info *u, const struct complete_part *parts,
			    size_t n, const struct obj_meta *meta, struct s3_part_rec *recs)
{
	bool *found = calloc(n, sizeof(*found));
	struct chosen c = {parts, n, 0, recs, found};
	uint64_t size = 0;
	s3err_t err = S3E_InternalError;
	size_t i;

	if (!found)
		return err;
	for (i = 1; i < n; i++)
		if (parts[i].number <= parts[i - 1].number) {
			err = S3E_InvalidPartOrder;
			goto out;
		}
	if ((err = s3_mp_walk(b, bucket, id, 0, 0, choose_part, &c)))
		goto out;
	for (i = 0; i < n && !err; i++) {
		if (!found[i] || strcmp(recs[i].info.etag, parts[i].etag) != 0)
			err = S3E_InvalidPart;
		else if (recs[i].sse_mode != u->meta.sse_mode) {
			log_error(LOG_MOD,
				  "%s: part %u of upload %s is not encrypted as its upload", bucket,
				  parts[i].number, id);
			err = S3E_InternalError;
		}
		size += recs[i].info.size;
	}
	if (!err && size != meta->size) {
		log_error(LOG_MOD, "%s: upload %s: the parts hold %" PRIu64 " bytes, not %" PRIu64,
			  bucket, id, size, meta->size);
		err = S3E_InternalError;
	}
out:
	free(found);
	return err;
}

/* How the last client part reaches the remote (U5). */
enum last_way {
	LAST_INLINE, /* framed < 5 MiB: downloaded, sent in front of the manifest */
	LAST_COPIED, /* copied like the others; the manifest is a remote part of its own */
	LAST_MERGED, /* no room for one more part: joined with the manifest in staging first */
};

/* Server-side copies a part object needs: the remote copies at most 5 GiB at a time. */
static size_t copies_of(uint64_t stored)
{
	return stored <= S3_MAX_SINGLE_COPY
		   ? 1
		   : (size_t)((stored + S3_MAX_SINGLE_COPY - 1) / S3_MAX_SINGLE_COPY);
}

/* The remote upload that publishes the object (one per Complete). */
struct final_up {
	struct s3be *b;
	const char *rbucket;
	const char *key;
	char upload_id[S3C_MAX_UPLOAD_ID];
	char (*etags)[S3C_MAX_ETAG]; /* REMOTE_MAX_PARTS */
	struct s3c_part *parts;	     /* REMOTE_MAX_PARTS */
	size_t n;
	struct s3c_result *res;
};

static s3err_t fu_add(struct final_up *f)
{
	str_copy(f->etags[f->n], S3C_MAX_ETAG, f->res->etag);
	f->parts[f->n].number = (unsigned)f->n + 1;
	f->parts[f->n].etag = f->etags[f->n];
	f->n++;
	return S3E_OK;
}

/* Copies system object src (stored bytes) whole into the next remote part(s). */
static s3err_t fu_copy(struct final_up *f, const char *src, uint64_t stored)
{
	size_t pieces = copies_of(stored), i;
	uint64_t per = (stored + pieces - 1) / pieces;
	s3err_t err = S3E_OK;

	if (f->n + pieces > REMOTE_MAX_PARTS)
		return S3E_InternalError; /* planned against before */
	for (i = 0; i < pieces && !err; i++) {
		uint64_t start = i * per, len = stored - start < per ? stored - start : per;

		err = s3c_mpu_upload_part_copy(
		    f->b->c, f->rbucket, f->key, f->upload_id, (unsigned)f->n + 1, f->b->system,
		    src, pieces == 1 ? 0 : start, pieces == 1 ? S3C_RANGE_ALL : len, f->res);
		if (!err)
			err = fu_add(f);
	}
	return err;
}

static s3err_t fu_upload(struct final_up *f, const void *data, size_t len)
{
	s3err_t err;

	if (f->n == REMOTE_MAX_PARTS)
		return S3E_InternalError;
	err = s3c_mpu_upload_part(f->b->c, f->rbucket, f->key, f->upload_id, (unsigned)f->n + 1,
				  data, len, f->res);
	return err ? err : fu_add(f);
}

/* The framed bytes of a small part object (< 5 MiB) into out[0..p->stored) (U10). */
static s3err_t fetch_small(struct s3be *b, const struct s3_part_rec *p, uint8_t *out,
			   struct s3c_result *res)
{
	struct s3c_stream *st = NULL;
	size_t got = 0;
	s3err_t err = s3c_get_open(b->c, b->system, p->key, 0, S3C_RANGE_ALL, &st, res);

	if (!err && res->content_length != p->stored)
		err = S3E_InternalError;
	if (!err)
		err = s3c_stream_read(st, out, (size_t)p->stored, &got);
	if (!err && got != p->stored)
		err = S3E_InternalError;
	s3c_stream_close(st);
	return err == S3E_NoSuchKey ? S3E_InvalidPart : err;
}

/* A staging key "staging/<random id>" of the system bucket. */
static s3err_t staging_key(char out[S3_SYSTEM_ID_KEY_MAX])
{
	uint8_t raw[FRAME_FILE_ID_SIZE];
	char hex[S3_ID_HEX + 1];

	if (s3_random_id(raw))
		return S3E_InternalError;
	hex_encode(raw, sizeof(raw), hex);
	hex[S3_ID_HEX] = '\0';
	return s3_join_key(out, S3_SYSTEM_ID_KEY_MAX, S3_STAGING_PREFIX, hex, NULL)
		   ? S3E_OK
		   : S3E_InternalError;
}

/*
 * LAST_MERGED: a staging object (staging/<id>) of the last part then the
 * manifest, completed, for the final upload to copy as its one last part.
 * skey names it (for the caller to delete) once it may exist.
 */
static s3err_t stage_merged(struct s3be *b, const struct s3_part_rec *last, const struct buf *mf,
			    char skey[S3_SYSTEM_ID_KEY_MAX], struct s3c_result *res)
{
	char sid[S3C_MAX_UPLOAD_ID] = "", etags[2][S3C_MAX_ETAG];
	struct s3c_part parts[2] = {{1, etags[0]}, {2, etags[1]}};
	s3err_t err = staging_key(skey);

	if (!err)
		err = s3c_mpu_create(b->c, b->system, skey, NULL, 0, sid, res);
	if (!err)
		err = s3c_mpu_upload_part_copy(b->c, b->system, skey, sid, 1, b->system, last->key,
					       0, S3C_RANGE_ALL, res);
	if (!err) {
		str_copy(etags[0], S3C_MAX_ETAG, res->etag);
		err = s3c_mpu_upload_part(b->c, b->system, skey, sid, 2, mf->data, mf->len, res);
	}
	if (!err) {
		str_copy(etags[1], S3C_MAX_ETAG, res->etag);
		err = s3c_mpu_complete(b->c, b->system, skey, sid, parts, 2, res);
	}
	if (err && sid[0])
		s3c_mpu_abort(b->c, b->system, skey, sid, res);
	return err;
}

/* The remote parts of the object, in order (the upload is created). */
static s3err_t fu_parts(struct final_up *f, const struct s3_part_rec *recs, size_t n,
			enum last_way way, const struct buf *mf)
{
	const struct s3_part_rec *last = &recs[n - 1];
	char skey[S3_SYSTEM_ID_KEY_MAX] = "";
	uint8_t *blob = NULL;
	s3err_t err = S3E_OK;
	size_t i;

	for (i = 0; i + 1 < n && !err; i++)
		err = fu_copy(f, recs[i].key, recs[i].stored);
	if (err)
		return err == S3E_NoSuchKey ? S3E_InvalidPart : err;
	switch (way) {
	case LAST_INLINE:
		if (!(blob = malloc((size_t)last->stored + mf->len)))
			return S3E_InternalError;
		err = fetch_small(f->b, last, blob, f->res);
		if (!err) {
			memcpy(blob + last->stored, mf->data, mf->len);
			err = fu_upload(f, blob, (size_t)last->stored + mf->len);
		}
		free(blob);
		break;
	case LAST_COPIED:
		err = fu_copy(f, last->key, last->stored);
		if (!err)
			err = fu_upload(f, mf->data, mf->len);
		break;
	case LAST_MERGED:
		err = stage_merged(f->b, last, mf, skey, f->res);
		if (!err)
			err = fu_copy(f, skey, last->stored + mf->len);
		if (skey[0])
			s3c_object_delete(f->b->c, f->b->system, skey, f->res);
		break;
	}
	return err == S3E_NoSuchKey ? S3E_InvalidPart : err;
}

/* Which way the last part goes, so that the remote upload fits its 10,000 parts (U5). */
static s3err_t plan_last(const struct s3_part_rec *recs, size_t n, size_t mf_len,
			 enum last_way *way)
{
	const struct s3_part_rec *last = &recs[n - 1];
	size_t total = 0, i;

	for (i = 0; i + 1 < n; i++)
		total += copies_of(recs[i].stored);
	if (last->stored < REMOTE_MIN_PART) {
		*way = LAST_INLINE;
		total += 1;
	} else if (total + copies_of(last->stored) + 1 <= REMOTE_MAX_PARTS) {
		*way = LAST_COPIED;
		total += copies_of(last->stored) + 1;
	} else {
		*way = LAST_MERGED;
		total += copies_of(last->stored + mf_len);
	}
	if (total > REMOTE_MAX_PARTS) {
		log_error(LOG_MOD, "the object needs %zu remote parts, more than the remote's %u",
			  total, REMOTE_MAX_PARTS);
		return S3E_EntityTooLarge;
	}
	return S3E_OK;
}

/*
 * Publishes the object at rbucket/key with hdrs (its x-amz-meta-strata): one
 * remote upload of the parts and the manifest (U5), aborted on any failure,
 * so nothing is visible unless the remote completed it. The upload is
 * journaled (U7), or, for a name too long for the remote's multipart
 * uploads (S3_MAX_MPU_NAME), made at a staging key and then copied to its
 * key with its metadata (one atomic CopyObject up to 5 GiB).
 */
static s3err_t publish_object(struct s3be *b, const char *bucket, const char *rbucket,
			      const char *key, const struct s3c_header *hdrs, size_t nhdrs,
			      const struct s3_part_rec *recs, size_t n, const struct buf *mf,
			      char *vid)
{
	bool staged = strlen(rbucket) + strlen(key) > S3_MAX_MPU_NAME;
	struct final_up f = {b, rbucket, key, "", NULL, NULL, 0, NULL};
	char journal[S3_ID_HEX + 1], skey[S3_SYSTEM_ID_KEY_MAX] = "";
	uint64_t stored = mf->len;
	enum last_way way;
	s3err_t err = S3E_InternalError;
	size_t i;

	f.etags = malloc(REMOTE_MAX_PARTS * sizeof(*f.etags));
	f.parts = malloc(REMOTE_MAX_PARTS * sizeof(*f.parts));
	f.res = malloc(sizeof(*f.res));
	if (!f.etags || !f.parts || !f.res)
		goto out;
	if ((err = plan_last(recs, n, mf->len, &way)))
		goto out;
	if (staged) {
		f.rbucket = b->system;
		f.key = skey;
		err = staging_key(skey);
	} else {
		err = s3_final_begin(b, rbucket, key, journal);
	}
	if (err)
		goto out;
	err = s3c_mpu_create(b->c, f.rbucket, f.key, staged ? NULL : hdrs, staged ? 0 : nhdrs,
			     f.upload_id, f.res);
	if (!err)
		err = fu_parts(&f, recs, n, way, mf);
	if (!err)
		err = s3c_mpu_complete(b->c, f.rbucket, f.key, f.upload_id, f.parts, f.n, f.res);
	else if (f.upload_id[0])
		s3c_mpu_abort(b->c, f.rbucket, f.key, f.upload_id, f.res);
	if (!staged) {
		s3_final_end(b, journal);
		if (!err && vid)
			err = s3_vid_written(b, bucket, rbucket, key, f.res, vid);
		goto out;
	}
	for (i = 0; i < n; i++)
		stored += recs[i].stored;
	if (!err && stored <= S3_MAX_SINGLE_COPY)
		err = s3c_object_copy(b->c, rbucket, key, b->system, skey, S3C_META_REPLACE, hdrs,
				      nhdrs, f.res);
	else if (!err)
		err = s3_copy_large(b, rbucket, key, skey, stored, hdrs, nhdrs, f.res);
	if (!err && vid)
		err = s3_vid_written(b, bucket, rbucket, key, f.res, vid);
	if (f.upload_id[0])
		s3c_object_delete(b->c, b->system, skey, f.res); /* else the sweep's (S3) */
out:
	free(f.etags);
	free(f.parts);
	free(f.res);
	return err;
}

/*
 * After the object is visible: the upload becomes completed (done/ record,
 * then the marker goes) and its parts are deleted (U1). Best effort: the
 * object is already durable, and the sweep takes what is left (U9). When
 * the done/ record cannot be written the upload stays active, so that a
 * repeated Complete publishes the same object again rather than failing.
 */
static void complete_finish(struct s3be *b, const char *bucket, const struct upload_info *u,
			    const struct s3c_result *marker, const char *etag)
{
	struct s3c_header hdrs[2] = {{S3_META_HEADER, s3c_result_header(marker, S3_META_HEADER)},
				     {S3_COMPLETED_HEADER, etag}};
	const char *id = u->upload_id;
	char done[S3_MARKER_KEY_MAX], key[S3_MARKER_KEY_MAX], prefix[S3_PART_KEY_MAX];
	struct s3c_result *res = malloc(sizeof(*res));

	if (!res || !hdrs[0].value || !hdrs[1].value ||
	    !s3_mp_marker_key(done, S3_DONE_PREFIX, bucket, id) ||
	    !s3_mp_marker_key(key, S3_UPLOADS_PREFIX, bucket, id) ||
	    !s3_mp_parts_prefix(prefix, bucket, id))
		goto out;
	if (s3c_object_put(b->c, b->system, done, u->key, strlen(u->key), hdrs, 2, res) != S3E_OK) {
		log_warn(LOG_MOD, "upload %s of %s completed; it could not be marked so", id,
			 bucket);
		goto out;
	}
	if (s3c_object_delete(b->c, b->system, key, res) != S3E_OK ||
	    s3_mp_delete_prefix(b, prefix) != S3E_OK)
		log_warn(LOG_MOD, "upload %s of %s completed; its parts are left for the sweep", id,
			 bucket);
out:
	free(res);
}

s3err_t s3_upload_complete(struct backend *be, const char *bucket, const char *upload_id,
			   const struct complete_part *parts, size_t n, const struct obj_meta *meta)
{
	return s3_upload_complete_vid(s3be_of(be), bucket, upload_id, parts, n, meta, NULL);
}

s3err_t s3_upload_complete_vid(struct s3be *b, const char *bucket, const char *upload_id,
			       const struct complete_part *parts, size_t n,
			       const struct obj_meta *meta, char vid[STRATA_VERSION_ID_MAX])
{
	struct s3c_result *mres = malloc(sizeof(*mres));
	struct upload_info *u = malloc(sizeof(*u));
	struct s3_part_rec *recs = NULL;
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	struct objwire_extra x = {{0}, 0};
	struct obj_meta m = *meta; /* shallow: the headers blob stays the caller's */
	struct s3c_header hdrs[2] = {{S3_META_HEADER, ""},
				     {"Content-Type", "application/octet-stream"}};
	struct buf mf, wire;
	bool have_upload = false;
	s3err_t err = S3E_InternalError;
	size_t i;

	buf_init(&mf, 2 * MANIFEST_MAX, S3E_InternalError);
	buf_init(&wire, OBJWIRE_MAX, S3E_MetadataTooLarge);
	if (!mres || !u)
		goto out;
	if (n == 0 || n > STRATA_MAX_PARTS) {
		err = S3E_InvalidArgument;
		goto out;
	}
	if ((err = s3_mp_active(b, bucket, upload_id, u, mres)))
		goto out;
	have_upload = true;
	err = S3E_InternalError;
	if (!(recs = calloc(n, sizeof(*recs))))
		goto out;
	if ((err = s3_remote_bucket(b, bucket, rb)) ||
	    (err = choose_parts(b, bucket, upload_id, u, parts, n, meta, recs)) ||
	    (err = s3_random_id(x.file_id)) || (err = manifest_build(recs, n, x.file_id, &mf)))
		goto out;
	for (i = 0; i < n; i++)
		x.stored_size += recs[i].stored;
	m.parts_count = (unsigned)n; /* readers: a multipart object with a manifest (U6) */
	if ((err = objwire_encode(&m, &x, &wire)))
		goto out;
	hdrs[0].value = buf_str(&wire);
	err = publish_object(b, bucket, rb, u->key, hdrs, 2, recs, n, &mf, vid);
	if (err == S3E_NoSuchBucket)
		log_error(LOG_MOD, "%s/%s: the remote bucket %s is gone", bucket, u->key, rb);
	if (err)
		goto out;
	complete_finish(b, bucket, u, mres, meta->etag);
	s3_record_key(b, meta);
out:
	if (have_upload)
		obj_meta_free(&u->meta);
	buf_free(&mf);
	buf_free(&wire);
	free(recs);
	free(u);
	free(mres);
	return err;
}
