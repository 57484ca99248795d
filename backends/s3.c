/* s3: the remote-S3 backend (see s3.h for the layout and invariants S1..S5). */
#include "s3.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "../common/buf.h"
#include "../common/frames.h"
#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/objwire.h"
#include "../common/sse.h"
#include "../common/strutil.h"
#include "s3client.h"

#define LOG_MOD "s3"
#define META_HEADER "x-amz-meta-strata"
#define STAGING_PREFIX "staging/"
#define REGISTRY_PREFIX "buckets/"
#define CONFIG_PREFIX "configs/"
#define KEYS_PREFIX "keys/"
#define ENVELOPE_HEADER "x-amz-meta-strata-envelope"
#define FRAME_STRIDE ((uint64_t)FRAME_DATA_SIZE + FRAME_TAG_SIZE)
#define REMOTE_KEY_MAX (STRATA_MAX_KEY_LEN + 1)

/* The metadata header must pass the client's caps both ways (PUT and HEAD). */
_Static_assert(OBJWIRE_MAX <= S3C_MAX_HEADER_VALUE, "x-amz-meta-strata must fit a header value");

/* One cached listing answer: the metadata of (bucket, key) while its remote ETag and time hold. */
struct cache_slot {
	uint64_t hash; /* of bucket NUL key; 0 = empty */
	char remote_etag[S3C_MAX_ETAG];
	int64_t remote_mtime_ms;
	struct obj_meta meta; /* headers NULL */
};

struct s3be {
	struct backend base;
	struct s3c *c;
	char prefix[S3_MAX_BUCKET_PREFIX + 1];
	char system[STRATA_BUCKET_NAME_MAX + 1];
	pthread_mutex_t cache_lock; /* guards cache; never held across a request */
	struct cache_slot *cache;   /* S3_META_CACHE_SLOTS */
	pthread_mutex_t keys_lock;  /* guards recorded; never held across a request */
	char recorded[S3_MAX_KEY_IDS][STRATA_SSE_KEY_ID_MAX]; /* keys/<id> written by us */
	size_t nrecorded;
};

static struct s3be *S(struct backend *be)
{
	return (struct s3be *)be;
}

/* ---- names ---- */

/* The remote bucket of Strata bucket `name`. Errors: S3E_InvalidBucketName (too long with the
 * prefix). */
static s3err_t remote_bucket(const struct s3be *b, const char *name,
			     char out[STRATA_BUCKET_NAME_MAX + 1])
{
	size_t pl = strlen(b->prefix), nl = strlen(name);

	if (pl + nl > STRATA_BUCKET_NAME_MAX)
		return S3E_InvalidBucketName;
	memcpy(out, b->prefix, pl);
	memcpy(out + pl, name, nl + 1);
	return S3E_OK;
}

/* "<prefix><a><b>" into out[cap]; false when it does not fit. */
static bool join_key(char *out, size_t cap, const char *prefix, const char *a, const char *b)
{
	int n = snprintf(out, cap, "%s%s%s", prefix, a, b ? b : "");

	return n >= 0 && (size_t)n < cap;
}

static uint64_t key_hash(const char *bucket, const char *key)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a over bucket NUL key */
	const char *p;

	for (p = bucket; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	h = (h ^ 0) * 1099511628211ull;
	for (p = key; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	return h ? h : 1;
}

/* ---- metadata of remote objects ---- */

/*
 * Decodes the x-amz-meta-strata header of a HEAD (or GET) answer into *m and
 * *x. An object without it was not written by Strata: reported as absent
 * (S3E_NoSuchKey), and logged once per lookup, never served as Strata data.
 */
static s3err_t meta_from_result(const struct s3c_result *res, const char *bucket, const char *key,
				struct obj_meta *m, struct objwire_extra *x)
{
	const char *v = s3c_result_header(res, META_HEADER);

	if (!v) {
		log_warn(LOG_MOD, "%s/%s on the remote has no Strata metadata: not shown", bucket,
			 key);
		return S3E_NoSuchKey;
	}
	if (objwire_decode(v, strlen(v), m, x) != S3E_OK) {
		log_error(LOG_MOD, "%s/%s: malformed Strata metadata on the remote", bucket, key);
		return S3E_InternalError;
	}
	return S3E_OK;
}

/* HEAD of bucket/key: its metadata (headers included) and the remote's identity of the version. */
static s3err_t head_meta(struct s3be *b, const char *bucket, const char *key, struct obj_meta *m,
			 struct objwire_extra *x, struct s3c_result *res)
{
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	s3err_t err;

	err = remote_bucket(b, bucket, rb);
	if (!err)
		err = s3c_object_head(b->c, rb, key, res);
	if (!err)
		err = meta_from_result(res, bucket, key, m, x);
	return err;
}

/* ---- buckets: the registry object <system>/buckets/<name> ---- */

static s3err_t hex_header(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (2 * n + 1 > cap)
		return S3E_InternalError;
	hex_encode((const uint8_t *)s, n, out);
	out[2 * n] = '\0';
	return S3E_OK;
}

static bool unhex_field(const struct s3c_result *res, const char *name, char *out, size_t cap)
{
	const char *v = s3c_result_header(res, name);
	size_t n = v ? strlen(v) : 0;

	if (!v || n % 2 || n / 2 >= cap || !hex_decode(v, n, (uint8_t *)out, n / 2))
		return false;
	out[n / 2] = '\0';
	return true;
}

static s3err_t registry_get(struct s3be *b, const char *name, struct bucket_info *out)
{
	char key[sizeof(REGISTRY_PREFIX) + STRATA_BUCKET_NAME_MAX];
	struct s3c_result *res = malloc(sizeof(*res));
	struct bucket_info bi;
	const char *created;
	uint64_t ms;
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	if (!join_key(key, sizeof(key), REGISTRY_PREFIX, name, NULL)) {
		err = S3E_NoSuchBucket;
		goto out;
	}
	err = s3c_object_head(b->c, b->system, key, res);
	if (err == S3E_NoSuchKey)
		err = S3E_NoSuchBucket;
	if (err)
		goto out;
	memset(&bi, 0, sizeof(bi));
	str_copy(bi.name, sizeof(bi.name), name);
	created = s3c_result_header(res, "x-amz-meta-strata-created");
	if (!unhex_field(res, "x-amz-meta-strata-owner", bi.owner, sizeof(bi.owner)) ||
	    !unhex_field(res, "x-amz-meta-strata-region", bi.region, sizeof(bi.region)) ||
	    !created || !parse_u64_str(created, 0, INT64_MAX, &ms)) {
		log_error(LOG_MOD, "the registry entry of bucket %s is malformed", name);
		err = S3E_InternalError;
		goto out;
	}
	bi.created_ms = (int64_t)ms;
	*out = bi;
out:
	free(res);
	return err;
}

static s3err_t s3_bucket_get(struct backend *be, const char *name, struct bucket_info *out)
{
	return registry_get(S(be), name, out);
}

/*
 * The remote bucket first, then the registry entry that makes it a Strata
 * bucket: a crash between the two leaves an empty remote bucket that the
 * next create of that name adopts.
 */
static s3err_t s3_bucket_create(struct backend *be, const struct bucket_info *bi)
{
	struct s3be *b = S(be);
	char rb[STRATA_BUCKET_NAME_MAX + 1], key[sizeof(REGISTRY_PREFIX) + STRATA_BUCKET_NAME_MAX];
	char owner[2 * sizeof(bi->owner) + 1], region[2 * sizeof(bi->region) + 1], created[24];
	struct s3c_header hdrs[3] = {{"x-amz-meta-strata-owner", owner},
				     {"x-amz-meta-strata-region", region},
				     {"x-amz-meta-strata-created", created}};
	struct s3c_result *res = malloc(sizeof(*res));
	struct bucket_info existing;
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	err = remote_bucket(b, bi->name, rb);
	if (err)
		goto out;
	err = registry_get(b, bi->name, &existing);
	if (err == S3E_OK) {
		err = S3E_BucketAlreadyExists;
		goto out;
	}
	if (err != S3E_NoSuchBucket)
		goto out;
	err = s3c_bucket_create(b->c, rb, NULL, res);
	if (err == S3E_BucketAlreadyOwnedByYou)
		err = S3E_OK; /* ours from an interrupted create, or made for Strata by hand */
	if (err)
		goto out;
	if (hex_header(owner, sizeof(owner), bi->owner) ||
	    hex_header(region, sizeof(region), bi->region)) {
		err = S3E_InternalError;
		goto out;
	}
	snprintf(created, sizeof(created), "%" PRId64, bi->created_ms);
	join_key(key, sizeof(key), REGISTRY_PREFIX, bi->name, NULL);
	err = s3c_object_put(b->c, b->system, key, NULL, 0, hdrs, 3, res);
out:
	free(res);
	return err;
}

struct registry_list {
	struct s3be *b;
	bucket_visit_fn visit;
	void *ctx;
	bool stop;
	char last[sizeof(REGISTRY_PREFIX) + STRATA_BUCKET_NAME_MAX];
};

static s3err_t registry_entry(void *arg, const struct s3c_object *o)
{
	struct registry_list *l = arg;
	struct bucket_info bi;

	if (l->stop || o->key_len <= strlen(REGISTRY_PREFIX) || o->key_len >= sizeof(l->last))
		return S3E_OK;
	memcpy(l->last, o->key, o->key_len + 1);
	if (registry_get(l->b, o->key + strlen(REGISTRY_PREFIX), &bi) != S3E_OK)
		return S3E_OK; /* deleted meanwhile */
	if (!l->visit(l->ctx, &bi))
		l->stop = true;
	return S3E_OK;
}

static s3err_t s3_bucket_list(struct backend *be, bucket_visit_fn visit, void *ctx)
{
	struct registry_list l = {S(be), visit, ctx, false, ""};
	struct s3c_list_params p = {REGISTRY_PREFIX, NULL, NULL, NULL, 1000,
				    registry_entry,  NULL, &l};
	struct s3c_list_page page;
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	do {
		err = s3c_list_objects_v2(S(be)->c, S(be)->system, &p, &page, res);
		if (err)
			break;
		p.start_after = l.last;
	} while (page.truncated && !l.stop && l.last[0]);
	free(res);
	return err;
}

static s3err_t s3_bucket_count(struct backend *be, const char *bucket, uint64_t cap, uint64_t *out);

static s3err_t delete_configs(struct s3be *b, const char *bucket);

/* Emptiness is the remote's to judge (it also counts unfinished uploads on most stores). */
static s3err_t s3_bucket_delete(struct backend *be, const char *name)
{
	struct s3be *b = S(be);
	char rb[STRATA_BUCKET_NAME_MAX + 1], key[sizeof(REGISTRY_PREFIX) + STRATA_BUCKET_NAME_MAX];
	struct s3c_result *res = malloc(sizeof(*res));
	struct bucket_info bi;
	uint64_t n = 0;
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	err = registry_get(b, name, &bi);
	if (!err)
		err = remote_bucket(b, name, rb);
	if (!err)
		err = s3_bucket_count(be, name, 1, &n);
	if (!err && n)
		err = S3E_BucketNotEmpty;
	if (!err) {
		err = s3c_bucket_delete(b->c, rb, res);
		if (err == S3E_NoSuchBucket)
			err = S3E_OK; /* the registry outlived its remote bucket */
	}
	if (!err)
		err = delete_configs(b, name);
	if (!err) {
		join_key(key, sizeof(key), REGISTRY_PREFIX, name, NULL);
		err = s3c_object_delete(b->c, b->system, key, res);
	}
	free(res);
	return err;
}

/* ---- bucket configuration documents: <system>/configs/<bucket>/<name> ---- */

#define CONFIG_KEY_MAX (sizeof(CONFIG_PREFIX) + STRATA_BUCKET_NAME_MAX + 64)

static s3err_t config_key(struct s3be *b, const char *bucket, const char *name,
			  char key[CONFIG_KEY_MAX])
{
	struct bucket_info bi;
	s3err_t err = registry_get(b, bucket, &bi);

	if (err)
		return err;
	if (strlen(name) > 48 || !join_key(key, CONFIG_KEY_MAX, CONFIG_PREFIX, bucket, "/") ||
	    strlen(key) + strlen(name) >= CONFIG_KEY_MAX)
		return S3E_InternalError;
	memcpy(key + strlen(key), name, strlen(name) + 1);
	return S3E_OK;
}

static s3err_t s3_config_get(struct backend *be, const char *bucket, const char *name, char *out,
			     size_t cap, size_t *len, bool *found)
{
	struct s3be *b = S(be);
	char key[CONFIG_KEY_MAX];
	struct s3c_result *res = malloc(sizeof(*res));
	struct s3c_stream *st = NULL;
	size_t got = 0, more = 0;
	char extra;
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	err = config_key(b, bucket, name, key);
	if (!err)
		err = s3c_get_open(b->c, b->system, key, 0, S3C_RANGE_ALL, &st, res);
	if (err == S3E_NoSuchKey) {
		*found = false;
		*len = 0;
		err = S3E_OK;
		goto out;
	}
	if (!err)
		err = s3c_stream_read(st, out, cap, &got);
	if (!err && got == cap)
		err = s3c_stream_read(st, &extra, 1, &more);
	if (!err && more) {
		log_error(LOG_MOD, "configuration %s of bucket %s is larger than %zu bytes", name,
			  bucket, cap);
		err = S3E_InternalError;
	}
	if (!err) {
		*found = true;
		*len = got;
	}
out:
	s3c_stream_close(st);
	free(res);
	return err;
}

static s3err_t s3_config_put(struct backend *be, const char *bucket, const char *name,
			     const char *value, size_t len)
{
	struct s3be *b = S(be);
	char key[CONFIG_KEY_MAX];
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	err = config_key(b, bucket, name, key);
	if (!err)
		err = s3c_object_put(b->c, b->system, key, value, len, NULL, 0, res);
	free(res);
	return err;
}

static s3err_t s3_config_delete(struct backend *be, const char *bucket, const char *name)
{
	struct s3be *b = S(be);
	char key[CONFIG_KEY_MAX];
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	err = config_key(b, bucket, name, key);
	if (!err)
		err = s3c_object_delete(b->c, b->system, key, res);
	free(res);
	return err;
}

struct key_batch {
	char (*keys)[CONFIG_KEY_MAX];
	size_t n;
};

static s3err_t collect_key(void *arg, const struct s3c_object *o)
{
	struct key_batch *kb = arg;

	if (kb->n < 1000 && o->key_len < CONFIG_KEY_MAX)
		memcpy(kb->keys[kb->n++], o->key, o->key_len + 1);
	return S3E_OK;
}

static s3err_t delete_configs(struct s3be *b, const char *bucket)
{
	char prefix[CONFIG_KEY_MAX];
	struct key_batch kb = {malloc(1000 * sizeof(*kb.keys)), 0};
	struct s3c_list_params p = {prefix, NULL, NULL, NULL, 1000, collect_key, NULL, &kb};
	struct s3c_list_page page;
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err = S3E_InternalError;
	size_t i;

	if (!kb.keys || !res || !join_key(prefix, sizeof(prefix), CONFIG_PREFIX, bucket, "/"))
		goto out;
	err = s3c_list_objects_v2(b->c, b->system, &p, &page, res);
	for (i = 0; !err && i < kb.n; i++)
		err = s3c_object_delete(b->c, b->system, kb.keys[i], res);
out:
	free(kb.keys);
	free(res);
	return err;
}

/* ---- writers (S1, S3, S5) ---- */

static void record_key(struct s3be *b, const struct obj_meta *m);

struct be_writer {
	struct s3be *b;
	char rbucket[STRATA_BUCKET_NAME_MAX + 1];
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
	char *key;
	uint8_t file_id[FRAME_FILE_ID_SIZE];
	struct frames_encoder *enc; /* made by writer_seal or the first write */
	bool finished;		    /* the encoder's last frame went out */
	s3err_t failed;		    /* sticky: a part upload failed */
	uint8_t *buf;		    /* framed bytes not yet sent: < S3_PART_BUFFER + a frame */
	size_t len;
	uint64_t stored; /* framed bytes emitted in all */
	/* Staging (S1), once the data outgrows one buffer. */
	char staging_key[sizeof(STAGING_PREFIX) + 2 * FRAME_FILE_ID_SIZE];
	char upload_id[S3C_MAX_UPLOAD_ID];
	char (*etags)[S3C_MAX_ETAG];
	size_t nparts, cap_parts;
};

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
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	w->stored += len;
	if (w->len >= S3_PART_BUFFER)
		return upload_part(w);
	return S3E_OK;
}

static s3err_t s3_writer_open(struct backend *be, const char *bucket, const char *key,
			      uint64_t size_hint, struct be_writer **out)
{
	struct s3be *b = S(be);
	struct be_writer *w = calloc(1, sizeof(*w));
	char hex[2 * FRAME_FILE_ID_SIZE + 1];
	struct bucket_info bi;
	s3err_t err = S3E_InternalError;

	(void)size_hint;
	if (!w)
		return S3E_InternalError;
	w->b = b;
	err = registry_get(b, bucket, &bi);
	if (!err)
		err = remote_bucket(b, bucket, w->rbucket);
	if (err)
		goto fail;
	err = S3E_InternalError;
	str_copy(w->bucket, sizeof(w->bucket), bucket);
	w->key = strdup(key);
	w->buf = malloc(S3_PART_BUFFER + FRAME_STRIDE);
	if (!w->key || !w->buf || RAND_bytes(w->file_id, sizeof(w->file_id)) != 1)
		goto fail;
	hex_encode(w->file_id, sizeof(w->file_id), hex);
	hex[sizeof(hex) - 1] = '\0';
	join_key(w->staging_key, sizeof(w->staging_key), STAGING_PREFIX, hex, NULL);
	*out = w;
	return S3E_OK;
fail:
	free(w->key);
	free(w->buf);
	free(w);
	return err;
}

static s3err_t s3_writer_seal(struct be_writer *w, const uint8_t *data_key)
{
	if (w->enc)
		return S3E_InternalError; /* after a write */
	return sse_file_encoder(data_key, w->file_id, emit_frames, w, &w->enc);
}

/* Storage classes have no tiers on this backend yet: every class lives in the home bucket. */
static s3err_t s3_writer_place(struct be_writer *w, const char *storage_class)
{
	(void)storage_class;
	return w->enc ? S3E_InternalError : S3E_OK;
}

static s3err_t s3_writer_write(struct be_writer *w, const void *data, size_t len)
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

static void writer_free(struct be_writer *w)
{
	frames_encoder_free(w->enc);
	free(w->etags);
	free(w->buf);
	free(w->key);
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
out:
	free(res);
}

static void s3_writer_abort(struct be_writer *w)
{
	if (!w)
		return;
	staging_drop(w, false);
	writer_free(w);
}

/* Above CopyObject's 5 GiB: a multipart copy in S3_COPY_PART_SIZE steps, metadata at create. */
static s3err_t copy_large(struct be_writer *w, const struct s3c_header *hdrs, size_t nhdrs,
			  struct s3c_result *res)
{
	char upload_id[S3C_MAX_UPLOAD_ID];
	size_t n = (size_t)((w->stored + S3_COPY_PART_SIZE - 1) / S3_COPY_PART_SIZE), i;
	char(*etags)[S3C_MAX_ETAG] = calloc(n, sizeof(*etags));
	struct s3c_part *parts = calloc(n, sizeof(*parts));
	s3err_t err = S3E_InternalError;

	if (!etags || !parts)
		goto out;
	err = s3c_mpu_create(w->b->c, w->rbucket, w->key, hdrs, nhdrs, upload_id, res);
	for (i = 0; !err && i < n; i++) {
		uint64_t start = i * S3_COPY_PART_SIZE;
		uint64_t len =
		    w->stored - start < S3_COPY_PART_SIZE ? w->stored - start : S3_COPY_PART_SIZE;

		err = s3c_mpu_upload_part_copy(w->b->c, w->rbucket, w->key, upload_id,
					       (unsigned)i + 1, w->b->system, w->staging_key, start,
					       len, res);
		if (!err) {
			str_copy(etags[i], S3C_MAX_ETAG, res->etag);
			parts[i].number = (unsigned)i + 1;
			parts[i].etag = etags[i];
		}
	}
	if (!err)
		err = s3c_mpu_complete(w->b->c, w->rbucket, w->key, upload_id, parts, n, res);
	else if (upload_id[0])
		s3c_mpu_abort(w->b->c, w->rbucket, w->key, upload_id, res);
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
	return copy_large(w, hdrs, nhdrs, res);
}

static s3err_t s3_writer_commit(struct be_writer *w, const struct obj_meta *meta)
{
	struct objwire_extra x;
	struct buf wire;
	struct s3c_header hdrs[2];
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err = w->failed;

	buf_init(&wire, OBJWIRE_MAX, S3E_MetadataTooLarge);
	if (!res) {
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
	hdrs[0].name = META_HEADER;
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
	if (!err)
		record_key(w->b, meta);
out:
	staging_drop(w, !err);
	buf_free(&wire);
	free(res);
	writer_free(w);
	return err;
}

/* ---- master key usage: <system>/keys/<id> ---- */

static bool key_recorded(struct s3be *b, const char *id, bool add)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&b->keys_lock);
	for (i = 0; i < b->nrecorded && !found; i++)
		found = strcmp(b->recorded[i], id) == 0;
	if (!found && add && b->nrecorded < S3_MAX_KEY_IDS)
		str_copy(b->recorded[b->nrecorded++], STRATA_SSE_KEY_ID_MAX, id);
	pthread_mutex_unlock(&b->keys_lock);
	return found;
}

/*
 * Records one envelope under the object's master key, once per key id and
 * process (an envelope proves the key; any one will do). A failure is logged
 * and retried by the next commit: the object itself is already durable.
 */
static void record_key(struct s3be *b, const struct obj_meta *m)
{
	char key[sizeof(KEYS_PREFIX) + STRATA_SSE_KEY_ID_MAX], env[2 * STRATA_SSE_ENVELOPE_MAX + 1];
	struct s3c_header h = {ENVELOPE_HEADER, env};
	struct s3c_result *res;

	if (m->sse_mode != SSE_S3 || !m->sse_key_id[0] || key_recorded(b, m->sse_key_id, false) ||
	    m->sse_envelope_len > STRATA_SSE_ENVELOPE_MAX ||
	    !join_key(key, sizeof(key), KEYS_PREFIX, m->sse_key_id, NULL) ||
	    !(res = malloc(sizeof(*res))))
		return;
	hex_encode(m->sse_envelope, m->sse_envelope_len, env);
	env[2 * m->sse_envelope_len] = '\0';
	if (s3c_object_put(b->c, b->system, key, NULL, 0, &h, 1, res) == S3E_OK)
		key_recorded(b, m->sse_key_id, true);
	else
		log_warn(LOG_MOD, "could not record master key %s in use (retried)", m->sse_key_id);
	free(res);
}

struct key_list {
	struct s3be *b;
	sse_usage_fn visit;
	void *ctx;
	bool stop;
	s3err_t err;
};

static s3err_t key_entry(void *arg, const struct s3c_object *o)
{
	struct key_list *kl = arg;
	const char *id = o->key + strlen(KEYS_PREFIX), *hex;
	uint8_t env[STRATA_SSE_ENVELOPE_MAX];
	struct s3c_result *res;
	size_t n;

	if (kl->stop || kl->err || o->key_len <= strlen(KEYS_PREFIX) ||
	    strlen(id) >= STRATA_SSE_KEY_ID_MAX)
		return S3E_OK;
	if (!(res = malloc(sizeof(*res)))) {
		kl->err = S3E_InternalError;
		return S3E_OK;
	}
	kl->err = s3c_object_head(kl->b->c, kl->b->system, o->key, res);
	hex = kl->err ? NULL : s3c_result_header(res, ENVELOPE_HEADER);
	n = hex ? strlen(hex) / 2 : 0;
	if (!kl->err &&
	    (!hex || strlen(hex) % 2 || n > sizeof(env) || !hex_decode(hex, 2 * n, env, n))) {
		log_error(LOG_MOD, "the recorded envelope of master key %s is malformed", id);
		kl->err = S3E_InternalError;
	}
	if (!kl->err && !kl->visit(kl->ctx, id, 1, env, n))
		kl->stop = true;
	free(res);
	return S3E_OK;
}

static s3err_t s3_sse_key_usage(struct backend *be, sse_usage_fn visit, void *ctx)
{
	struct key_list kl = {S(be), visit, ctx, false, S3E_OK};
	struct s3c_list_params p = {KEYS_PREFIX, NULL, NULL, NULL, 1000, key_entry, NULL, &kl};
	struct s3c_list_page page;
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	err = s3c_list_objects_v2(S(be)->c, S(be)->system, &p, &page, res);
	free(res);
	return err ? err : kl.err;
}

/* ---- readers (S4) ---- */

struct be_reader {
	struct s3be *b;
	char rbucket[STRATA_BUCKET_NAME_MAX + 1];
	char *key;
	uint64_t size;	 /* plaintext */
	uint64_t frames; /* frames_count(size) */
	uint8_t file_id[FRAME_FILE_ID_SIZE];
	bool sealed;
	struct frames_cipher *cipher; /* reader_unseal */
	struct s3c_stream *st;	      /* positioned at the start of frame st_frame */
	uint64_t st_frame;
	uint8_t *frame; /* FRAME_STRIDE bytes: the current frame, decoded in place */
	uint64_t cur;	/* its index; UINT64_MAX: none */
	size_t cur_len;
};

static s3err_t s3_reader_open(struct backend *be, const char *bucket, const char *key,
			      struct obj_meta *meta, struct be_reader **out)
{
	struct s3be *b = S(be);
	struct be_reader *r = calloc(1, sizeof(*r));
	struct s3c_result *res = malloc(sizeof(*res));
	struct objwire_extra x;
	struct obj_meta m;
	s3err_t err = S3E_InternalError;

	obj_meta_init(&m);
	if (!r || !res)
		goto fail;
	err = head_meta(b, bucket, key, &m, &x, res);
	if (!err)
		err = remote_bucket(b, bucket, r->rbucket);
	if (err)
		goto fail;
	err = S3E_InternalError;
	r->b = b;
	r->key = strdup(key);
	r->frame = malloc(FRAME_STRIDE);
	if (!r->key || !r->frame)
		goto fail;
	r->size = m.size;
	r->frames = frames_count(m.size);
	if (x.stored_size != frames_stored_size(m.size)) {
		log_error(LOG_MOD,
			  "%s/%s: stored size %" PRIu64 " does not frame %" PRIu64 " bytes", bucket,
			  key, x.stored_size, m.size);
		goto fail;
	}
	memcpy(r->file_id, x.file_id, sizeof(r->file_id));
	r->sealed = m.sse_mode != SSE_NONE;
	r->cur = UINT64_MAX;
	free(res);
	*meta = m;
	*out = r;
	return S3E_OK;
fail:
	obj_meta_free(&m);
	free(res);
	if (r) {
		free(r->key);
		free(r->frame);
		free(r);
	}
	return err;
}

static s3err_t s3_reader_unseal(struct be_reader *r, const uint8_t *data_key)
{
	return r->cipher ? S3E_OK : sse_file_cipher(data_key, r->file_id, &r->cipher);
}

/* Reads stored frame i into r->frame and verifies (or decrypts) it, reopening the stream when i is
 * not next. */
static s3err_t load_frame(struct be_reader *r, uint64_t i)
{
	size_t len = (size_t)(i + 1 < r->frames ? FRAME_DATA_SIZE : r->size - i * FRAME_DATA_SIZE);
	bool last = i + 1 == r->frames;
	size_t got = 0;
	s3err_t err;

	if (r->sealed && !r->cipher)
		return S3E_InternalError; /* reader_unseal first */
	if (!r->st || r->st_frame != i) {
		struct s3c_result *res = malloc(sizeof(*res));

		s3c_stream_close(r->st);
		r->st = NULL;
		if (!res)
			return S3E_InternalError;
		err = s3c_get_open(r->b->c, r->rbucket, r->key, i * FRAME_STRIDE, S3C_RANGE_ALL,
				   &r->st, res);
		free(res);
		if (err)
			return err == S3E_NoSuchKey || err == S3E_InvalidRange ? S3E_InternalError
									       : err;
		r->st_frame = i;
	}
	err = s3c_stream_read(r->st, r->frame, len + FRAME_TAG_SIZE, &got);
	if (!err && got != len + FRAME_TAG_SIZE)
		err = S3E_InternalError;
	if (err) {
		s3c_stream_close(r->st);
		r->st = NULL;
		return err;
	}
	r->st_frame = i + 1;
	if (r->sealed ? !frames_open(r->cipher, r->file_id, i, last, r->frame, len, r->frame + len)
		      : !frames_verify(r->file_id, i, last, r->frame, len, r->frame + len)) {
		log_error(LOG_MOD, "%s/%s: frame %" PRIu64 " of %" PRIu64 " failed verification",
			  r->rbucket, r->key, i, r->frames);
		r->cur = UINT64_MAX;
		return S3E_InternalError;
	}
	r->cur = i;
	r->cur_len = len;
	return S3E_OK;
}

static s3err_t s3_reader_read(struct be_reader *r, uint64_t off, void *buf, size_t len, size_t *got)
{
	uint8_t *out = buf;
	size_t done = 0;
	s3err_t err;

	while (done < len && off < r->size) {
		uint64_t i = off / FRAME_DATA_SIZE;
		size_t at = (size_t)(off % FRAME_DATA_SIZE), n;

		if (r->cur != i && (err = load_frame(r, i)) != S3E_OK)
			return err;
		n = r->cur_len - at < len - done ? r->cur_len - at : len - done;
		memcpy(out + done, r->frame + at, n);
		done += n;
		off += n;
	}
	*got = done;
	return S3E_OK;
}

static void s3_reader_close(struct be_reader *r)
{
	if (!r)
		return;
	s3c_stream_close(r->st);
	frames_cipher_free(r->cipher);
	if (r->frame)
		OPENSSL_cleanse(r->frame, FRAME_STRIDE);
	free(r->frame);
	free(r->key);
	free(r);
}

/* ---- heads, deletes ---- */

static s3err_t s3_object_head(struct backend *be, const char *bucket, const char *key,
			      struct obj_meta *out)
{
	struct s3c_result *res = malloc(sizeof(*res));
	struct objwire_extra x;
	struct bucket_info bi;
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	obj_meta_init(out);
	err = head_meta(S(be), bucket, key, out, &x, res);
	/* A HEAD cannot tell a missing key from a missing bucket: the registry can. */
	if (err == S3E_NoSuchKey && registry_get(S(be), bucket, &bi) == S3E_NoSuchBucket)
		err = S3E_NoSuchBucket;
	free(res);
	return err;
}

/* The remote does not say whether the key existed: S3E_OK either way (see backend.h). */
static s3err_t s3_object_delete(struct backend *be, const char *bucket, const char *key)
{
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	err = remote_bucket(S(be), bucket, rb);
	if (!err)
		err = s3c_object_delete(S(be)->c, rb, key, res);
	free(res);
	return err;
}

/* HEAD, compare, DELETE: see s3.h for the window another instance's write can fall into. */
static s3err_t s3_object_delete_if(struct backend *be, const char *bucket, const char *key,
				   int64_t mtime_ms, const char *etag)
{
	struct obj_meta m;
	s3err_t err = s3_object_head(be, bucket, key, &m);

	if (err == S3E_NoSuchKey)
		return S3E_PreconditionFailed;
	if (err)
		return err;
	if (m.mtime_ms != mtime_ms || strcmp(m.etag, etag) != 0)
		err = S3E_PreconditionFailed;
	obj_meta_free(&m);
	return err ? err : s3_object_delete(be, bucket, key);
}

/* ---- listing: remote keys in order, metadata by HEAD unless cached ---- */

static bool cache_get(struct s3be *b, const char *bucket, const struct s3c_object *o,
		      struct obj_meta *out)
{
	uint64_t h = key_hash(bucket, o->key);
	struct cache_slot *s = &b->cache[h % S3_META_CACHE_SLOTS];
	bool hit;

	pthread_mutex_lock(&b->cache_lock);
	hit = s->hash == h && strcmp(s->remote_etag, o->etag) == 0 &&
	      s->remote_mtime_ms == o->last_modified_ms;
	if (hit)
		*out = s->meta;
	pthread_mutex_unlock(&b->cache_lock);
	return hit;
}

static void cache_put(struct s3be *b, const char *bucket, const struct s3c_object *o,
		      const struct obj_meta *m)
{
	uint64_t h = key_hash(bucket, o->key);
	struct cache_slot *s = &b->cache[h % S3_META_CACHE_SLOTS];

	pthread_mutex_lock(&b->cache_lock);
	s->hash = h;
	str_copy(s->remote_etag, sizeof(s->remote_etag), o->etag);
	s->remote_mtime_ms = o->last_modified_ms;
	s->meta = *m;
	s->meta.headers = NULL;
	s->meta.headers_len = 0;
	pthread_mutex_unlock(&b->cache_lock);
}

struct scan {
	struct s3be *b;
	const char *bucket;
	const char *rbucket;
	object_visit_fn visit;
	void *ctx;
	size_t left;
	bool stop;
	s3err_t err;
	char last[REMOTE_KEY_MAX];
};

static void scan_one(struct scan *sc, const struct s3c_object *o)
{
	struct s3c_result *res;
	struct objwire_extra x;
	struct obj_meta m;
	s3err_t err;

	if (!cache_get(sc->b, sc->bucket, o, &m)) {
		if (!(res = malloc(sizeof(*res)))) {
			sc->err = S3E_InternalError;
			return;
		}
		obj_meta_init(&m);
		err = s3c_object_head(sc->b->c, sc->rbucket, o->key, res);
		if (!err)
			err = meta_from_result(res, sc->bucket, o->key, &m, &x);
		free(res);
		if (err == S3E_NoSuchKey)
			return; /* deleted since the listing, or not Strata's */
		if (err) {
			sc->err = err;
			return;
		}
		obj_meta_clear_headers(&m);
		free(m.headers);
		m.headers = NULL;
		cache_put(sc->b, sc->bucket, o, &m);
	}
	sc->left--;
	if (!sc->visit(sc->ctx, o->key, &m))
		sc->stop = true;
}

static s3err_t scan_entry(void *arg, const struct s3c_object *o)
{
	struct scan *sc = arg;

	if (sc->stop || sc->err || !sc->left || o->key_len >= REMOTE_KEY_MAX)
		return S3E_OK;
	memcpy(sc->last, o->key, o->key_len + 1);
	scan_one(sc, o);
	return S3E_OK;
}

static s3err_t s3_object_scan(struct backend *be, const char *bucket, const char *start,
			      bool inclusive, const char *prefix, size_t limit,
			      object_visit_fn visit, void *ctx)
{
	struct s3be *b = S(be);
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	struct scan sc = {b, bucket, rb, visit, ctx, limit, false, S3E_OK, ""};
	struct s3c_list_params p = {prefix, NULL, NULL, NULL, 0, scan_entry, NULL, &sc};
	struct s3c_list_page page;
	struct s3c_result *res = malloc(sizeof(*res));
	struct bucket_info bi;
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	err = registry_get(b, bucket, &bi);
	if (!err)
		err = remote_bucket(b, bucket, rb);
	if (err)
		goto out;
	/* ListObjectsV2 starts strictly after a key: an inclusive start is looked up by itself. */
	if (inclusive && start && start[0] && str_starts(start, prefix ? prefix : "")) {
		struct s3c_object o = {start, strlen(start), 0, "", 0, ""};

		err = s3c_object_head(b->c, rb, start, res);
		if (!err) {
			o.etag = res->etag;
			o.last_modified_ms = res->last_modified_ms;
			scan_one(&sc, &o);
		} else if (err == S3E_NoSuchKey) {
			err = S3E_OK;
		}
		if (err || sc.err)
			goto out;
	}
	p.start_after = start;
	while (!sc.stop && sc.left && !sc.err) {
		p.max_keys = sc.left < 1000 ? (unsigned)sc.left : 1000;
		err = s3c_list_objects_v2(b->c, rb, &p, &page, res);
		if (err || !page.truncated)
			break;
		p.start_after = sc.last;
		p.continuation_token = NULL;
	}
out:
	free(res);
	return err ? err : sc.err;
}

struct counter {
	uint64_t n, cap;
	char last[REMOTE_KEY_MAX];
};

static s3err_t count_entry(void *arg, const struct s3c_object *o)
{
	struct counter *c = arg;

	if (c->n < c->cap && o->key_len < REMOTE_KEY_MAX) {
		c->n++;
		memcpy(c->last, o->key, o->key_len + 1);
	}
	return S3E_OK;
}

/* Counts remote keys (a foreign object counts too: the bucket is not empty). */
static s3err_t s3_bucket_count(struct backend *be, const char *bucket, uint64_t cap, uint64_t *out)
{
	struct s3be *b = S(be);
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	struct counter c = {0, cap, ""};
	struct s3c_list_params p = {NULL, NULL, NULL, NULL, 1000, count_entry, NULL, &c};
	struct s3c_list_page page;
	struct s3c_result *res = malloc(sizeof(*res));
	struct bucket_info bi;
	s3err_t err;

	if (!res)
		return S3E_InternalError;
	err = registry_get(b, bucket, &bi);
	if (!err)
		err = remote_bucket(b, bucket, rb);
	while (!err && c.n < cap) {
		p.max_keys = cap - c.n < 1000 ? (unsigned)(cap - c.n) : 1000;
		err = s3c_list_objects_v2(b->c, rb, &p, &page, res);
		if (err || !page.truncated)
			break;
		p.start_after = c.last;
	}
	free(res);
	if (!err)
		*out = c.n;
	return err;
}

/* ---- open, close, staging sweep (S3) ---- */

struct sweep {
	int64_t before_ms;
	char (*keys)[sizeof(STAGING_PREFIX) + 2 * FRAME_FILE_ID_SIZE];
	char (*ids)[S3C_MAX_UPLOAD_ID];
	size_t n;
};

static s3err_t sweep_upload(void *arg, const struct s3c_upload *u)
{
	struct sweep *s = arg;

	if (s->n < 1000 && u->initiated_ms < s->before_ms && u->key_len < sizeof(s->keys[0]) &&
	    strlen(u->upload_id) < sizeof(s->ids[0])) {
		memcpy(s->keys[s->n], u->key, u->key_len + 1);
		str_copy(s->ids[s->n], sizeof(s->ids[0]), u->upload_id);
		s->n++;
	}
	return S3E_OK;
}

static s3err_t sweep_object(void *arg, const struct s3c_object *o)
{
	struct sweep *s = arg;

	if (s->n < 1000 && o->last_modified_ms < s->before_ms && o->key_len < sizeof(s->keys[0])) {
		memcpy(s->keys[s->n], o->key, o->key_len + 1);
		s->n++;
	}
	return S3E_OK;
}

/* Removes one page of dead writers' staging uploads and objects; the next open takes more. */
static void sweep_staging(struct s3be *b)
{
	struct sweep s = {httptime_now_ms() - S3_STAGING_MAX_AGE_MS, malloc(1000 * sizeof(*s.keys)),
			  malloc(1000 * sizeof(*s.ids)), 0};
	struct s3c_mpu_list_params mp = {STAGING_PREFIX, NULL, NULL, 1000, sweep_upload, &s};
	struct s3c_list_params lp = {STAGING_PREFIX, NULL,	   NULL, NULL,
				     1000,	     sweep_object, NULL, &s};
	struct s3c_mpu_list_page mpage;
	struct s3c_list_page lpage;
	struct s3c_result *res = malloc(sizeof(*res));
	size_t i, swept = 0;

	if (!s.keys || !s.ids || !res)
		goto out;
	if (s3c_mpu_list(b->c, b->system, &mp, &mpage, res) == S3E_OK)
		for (i = 0; i < s.n; i++)
			swept += s3c_mpu_abort(b->c, b->system, s.keys[i], s.ids[i], res) == S3E_OK;
	s.n = 0;
	if (s3c_list_objects_v2(b->c, b->system, &lp, &lpage, res) == S3E_OK)
		for (i = 0; i < s.n; i++)
			swept += s3c_object_delete(b->c, b->system, s.keys[i], res) == S3E_OK;
	if (swept)
		log_info(LOG_MOD, "removed %zu staging leftovers of writers that died", swept);
out:
	free(s.keys);
	free(s.ids);
	free(res);
}

static void s3_close(struct backend *be)
{
	struct s3be *b = S(be);

	if (!b)
		return;
	s3c_free(b->c);
	pthread_mutex_destroy(&b->cache_lock);
	pthread_mutex_destroy(&b->keys_lock);
	free(b->cache);
	free(b);
}

static const struct backend_ops s3_ops = {
    .abi_version = BACKEND_ABI_VERSION,
    .name = "s3",
    .close = s3_close,
    .bucket_create = s3_bucket_create,
    .bucket_get = s3_bucket_get,
    .bucket_delete = s3_bucket_delete,
    .bucket_list = s3_bucket_list,
    .writer_open = s3_writer_open,
    .writer_write = s3_writer_write,
    .writer_commit = s3_writer_commit,
    .writer_abort = s3_writer_abort,
    .object_head = s3_object_head,
    .reader_open = s3_reader_open,
    .reader_read = s3_reader_read,
    .reader_close = s3_reader_close,
    .object_delete = s3_object_delete,
    .object_scan = s3_object_scan,
    .bucket_count = s3_bucket_count,
    .writer_seal = s3_writer_seal,
    .sse_key_usage = s3_sse_key_usage,
    .reader_unseal = s3_reader_unseal,
    .object_delete_if = s3_object_delete_if,
    .writer_place = s3_writer_place,
    .bucket_config_get = s3_config_get,
    .bucket_config_put = s3_config_put,
    .bucket_config_delete = s3_config_delete,
};

s3err_t s3_open(const struct s3_opts *o, struct backend **out)
{
	struct s3c_config cc = {0};
	struct s3be *b = calloc(1, sizeof(*b));
	struct s3c_result *res = malloc(sizeof(*res));
	s3err_t err = S3E_InternalError;

	if (!b || !res || !(b->cache = calloc(S3_META_CACHE_SLOTS, sizeof(*b->cache))))
		goto fail;
	pthread_mutex_init(&b->cache_lock, NULL);
	pthread_mutex_init(&b->keys_lock, NULL);
	b->base.ops = &s3_ops;
	if (!str_copy(b->prefix, sizeof(b->prefix), o->bucket_prefix ? o->bucket_prefix : "") ||
	    !o->system_bucket || !str_copy(b->system, sizeof(b->system), o->system_bucket)) {
		log_error(LOG_MOD, "s3_bucket_prefix or s3_system_bucket is too long");
		err = S3E_InvalidArgument;
		goto fail;
	}
	cc.endpoint = o->endpoint;
	cc.region = o->region;
	cc.access_key = o->access_key;
	cc.secret_key = o->secret_key;
	cc.ca_file = o->ca_file;
	cc.path_style = o->path_style;
	cc.max_retries = 4;
	err = s3c_new(&cc, &b->c);
	if (err) {
		log_error(LOG_MOD, "bad remote settings (s3_endpoint, keys): %s", s3err_code(err));
		goto fail;
	}
	err = s3c_bucket_head(b->c, b->system, res);
	if (err == S3E_NoSuchBucket) {
		err = s3c_bucket_create(b->c, b->system, NULL, res);
		if (err == S3E_BucketAlreadyOwnedByYou)
			err = S3E_OK;
		if (!err)
			log_info(LOG_MOD, "created the system bucket %s on %s", b->system,
				 o->endpoint);
	}
	if (err) {
		log_error(LOG_MOD, "the remote %s does not serve the system bucket %s: %s (%s)",
			  o->endpoint, b->system, s3err_code(err),
			  res->code[0] ? res->code : "no answer");
		goto fail;
	}
	sweep_staging(b);
	free(res);
	*out = &b->base;
	return S3E_OK;
fail:
	free(res);
	if (b) {
		s3c_free(b->c);
		free(b->cache);
		free(b);
	}
	return err;
}
