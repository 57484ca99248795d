/*
 * s3: the remote-S3 backend (see s3.h for the layout and invariants S1..S5):
 * buckets, configuration documents (the versioning one is the remote
 * bucket's own), master key records, heads, deletes, listings, open and the
 * sweep. Writers and readers are in s3_io.c,
 * multipart uploads in s3_multipart.c and s3_complete.c.
 */
#include "s3_internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "../common/buf.h"
#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/strutil.h"

#define LOG_MOD S3_LOG_MOD
#define META_HEADER S3_META_HEADER
#define STAGING_PREFIX S3_STAGING_PREFIX
#define REGISTRY_PREFIX S3_REGISTRY_PREFIX
#define CONFIG_PREFIX S3_CONFIG_PREFIX
#define KEYS_PREFIX S3_KEYS_PREFIX
#define ENVELOPE_HEADER "x-amz-meta-strata-envelope"
#define REMOTE_KEY_MAX S3_REMOTE_KEY_MAX

/* The metadata header must pass the client's caps both ways (PUT and HEAD). */
_Static_assert(OBJWIRE_MAX <= S3C_MAX_HEADER_VALUE, "x-amz-meta-strata must fit a header value");

static struct s3be *S(struct backend *be)
{
	return s3be_of(be);
}

/* ---- names ---- */

/* The remote bucket of Strata bucket `name`. Errors: S3E_InvalidBucketName (too long with the
 * prefix). */
s3err_t s3_remote_bucket(const struct s3be *b, const char *name,
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
bool s3_join_key(char *out, size_t cap, const char *prefix, const char *a, const char *b)
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

s3err_t s3_system_get(struct s3be *b, const char *key, char *out, size_t cap, size_t *len,
		      struct s3c_result *res)
{
	struct s3c_stream *st = NULL;
	size_t got = 0;
	s3err_t err = s3c_get_open(b->c, b->system, key, 0, S3C_RANGE_ALL, &st, res);

	if (!err && res->content_length < cap)
		err = s3c_stream_read(st, out, cap - 1, &got);
	else if (!err)
		err = S3E_InternalError;
	if (!err && (got != res->content_length || memchr(out, '\0', got)))
		err = S3E_InternalError;
	if (err == S3E_InternalError)
		log_error(LOG_MOD, "%s/%s: not the short text it should hold", b->system, key);
	s3c_stream_close(st);
	if (!err) {
		out[got] = '\0';
		*len = got;
	}
	return err;
}

s3err_t s3_random_id(uint8_t id[FRAME_FILE_ID_SIZE])
{
	return RAND_bytes(id, FRAME_FILE_ID_SIZE) == 1 ? S3E_OK : S3E_InternalError;
}

/* ---- metadata of remote objects ---- */

/*
 * Decodes the x-amz-meta-strata header of a HEAD (or GET) answer into *m and
 * *x. An object without it was not written by Strata: reported as absent
 * (S3E_NoSuchKey), and logged once per lookup, never served as Strata data.
 */
s3err_t s3_meta_from_result(const struct s3c_result *res, const char *bucket, const char *key,
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
s3err_t s3_head_meta(struct s3be *b, const char *bucket, const char *key, struct obj_meta *m,
		     struct objwire_extra *x, struct s3c_result *res)
{
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	s3err_t err;

	err = s3_remote_bucket(b, bucket, rb);
	if (!err)
		err = s3c_object_head(b->c, rb, key, res);
	if (!err)
		err = s3_meta_from_result(res, bucket, key, m, x);
	return err;
}

/* ---- buckets: the registry object <system>/buckets/<name> ---- */

s3err_t s3_hex_header(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (2 * n + 1 > cap)
		return S3E_InternalError;
	hex_encode((const uint8_t *)s, n, out);
	out[2 * n] = '\0';
	return S3E_OK;
}

bool s3_unhex_header(const struct s3c_result *res, const char *name, char *out, size_t cap)
{
	const char *v = s3c_result_header(res, name);
	size_t n = v ? strlen(v) : 0;

	if (!v || n % 2 || n / 2 >= cap || !hex_decode(v, n, (uint8_t *)out, n / 2) ||
	    memchr(out, '\0', n / 2))
		return false; /* a NUL would cut the string: never what was written */
	out[n / 2] = '\0';
	return true;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct s3_registry_slot *registry_slot(struct s3be *b, const char *name)
{
	return &b->registry[key_hash(b->system, name) % S3_REGISTRY_CACHE_SLOTS];
}

static bool registry_cached(struct s3be *b, const char *name, struct bucket_info *out)
{
	struct s3_registry_slot *s = registry_slot(b, name);
	bool hit;

	pthread_mutex_lock(&b->registry_lock);
	hit = strcmp(s->bi.name, name) == 0 && s->until_ms > mono_ms();
	if (hit)
		*out = s->bi;
	pthread_mutex_unlock(&b->registry_lock);
	return hit;
}

static void registry_remember(struct s3be *b, const struct bucket_info *bi)
{
	struct s3_registry_slot *s = registry_slot(b, bi->name);

	pthread_mutex_lock(&b->registry_lock);
	s->bi = *bi;
	s->until_ms = mono_ms() + S3_REGISTRY_TTL_MS;
	pthread_mutex_unlock(&b->registry_lock);
}

/* This process's DeleteBucket is seen at once by this process. */
static void registry_forget(struct s3be *b, const char *name)
{
	struct s3_registry_slot *s = registry_slot(b, name);

	pthread_mutex_lock(&b->registry_lock);
	if (strcmp(s->bi.name, name) == 0)
		s->bi.name[0] = '\0';
	pthread_mutex_unlock(&b->registry_lock);
}

s3err_t s3_registry_get(struct s3be *b, const char *name, struct bucket_info *out)
{
	char key[sizeof(REGISTRY_PREFIX) + STRATA_BUCKET_NAME_MAX];
	struct s3c_result *res = malloc(sizeof(*res));
	struct bucket_info bi;
	const char *created;
	uint64_t ms;
	s3err_t err;

	if (registry_cached(b, name, out)) {
		free(res);
		return S3E_OK;
	}
	if (!res)
		return S3E_InternalError;
	if (!s3_join_key(key, sizeof(key), REGISTRY_PREFIX, name, NULL)) {
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
	if (!s3_unhex_header(res, "x-amz-meta-strata-owner", bi.owner, sizeof(bi.owner)) ||
	    !s3_unhex_header(res, "x-amz-meta-strata-region", bi.region, sizeof(bi.region)) ||
	    !created || !parse_u64_str(created, 0, INT64_MAX, &ms)) {
		log_error(LOG_MOD, "the registry entry of bucket %s is malformed", name);
		err = S3E_InternalError;
		goto out;
	}
	bi.created_ms = (int64_t)ms;
	registry_remember(b, &bi);
	*out = bi;
out:
	free(res);
	return err;
}

/* ---- the remote buckets' versioning (s3_versions.c, V1) ---- */

static struct s3_vstate_slot *vstate_slot(struct s3be *b, const char *name)
{
	return &b->vstate[key_hash(b->system, name) % S3_REGISTRY_CACHE_SLOTS];
}

static void vstate_remember(struct s3be *b, const char *name, const char *status)
{
	struct s3_vstate_slot *s = vstate_slot(b, name);

	pthread_mutex_lock(&b->registry_lock);
	str_copy(s->name, sizeof(s->name), name);
	str_copy(s->status, sizeof(s->status), status);
	s->until_ms = mono_ms() + S3_REGISTRY_TTL_MS;
	pthread_mutex_unlock(&b->registry_lock);
}

/* A deleted bucket's state goes with it (a new bucket of that name starts never versioned). */
static void vstate_forget(struct s3be *b, const char *name)
{
	struct s3_vstate_slot *s = vstate_slot(b, name);

	pthread_mutex_lock(&b->registry_lock);
	if (strcmp(s->name, name) == 0)
		s->name[0] = '\0';
	pthread_mutex_unlock(&b->registry_lock);
}

s3err_t s3_versioning_state(struct s3be *b, const char *bucket, bool fresh,
			    char status[S3_VERSIONING_MAX])
{
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	struct s3_vstate_slot *s = vstate_slot(b, bucket);
	struct s3c_result *res;
	struct bucket_info bi;
	bool hit;
	s3err_t err;

	pthread_mutex_lock(&b->registry_lock);
	hit = !fresh && strcmp(s->name, bucket) == 0 && s->until_ms > mono_ms();
	if (hit)
		memcpy(status, s->status, sizeof(s->status));
	pthread_mutex_unlock(&b->registry_lock);
	if (hit)
		return S3E_OK;
	if ((err = s3_registry_get(b, bucket, &bi)) || (err = s3_remote_bucket(b, bucket, rb)))
		return err;
	if (!(res = malloc(sizeof(*res))))
		return S3E_InternalError;
	err = s3c_bucket_versioning_get(b->c, rb, status, res);
	free(res);
	if (!err)
		vstate_remember(b, bucket, status);
	return err;
}

/*
 * PutBucketVersioning of the remote bucket: the remote is what keeps the
 * versions, so its state is the bucket's (no copy under configs/ that could
 * disagree with it).
 */
static s3err_t versioning_put(struct s3be *b, const char *bucket, const char *doc, size_t len)
{
	char rb[STRATA_BUCKET_NAME_MAX + 1];
	struct s3c_result *res;
	struct bucket_info bi;
	bool enabled = len == 7 && memcmp(doc, "Enabled", 7) == 0;
	s3err_t err;

	if (!enabled && !(len == 9 && memcmp(doc, "Suspended", 9) == 0))
		return S3E_InternalError; /* the gateway stores nothing else */
	if ((err = s3_registry_get(b, bucket, &bi)) || (err = s3_remote_bucket(b, bucket, rb)))
		return err;
	if (!(res = malloc(sizeof(*res))))
		return S3E_InternalError;
	err = s3c_bucket_versioning_put(b->c, rb, enabled, res);
	if (err == S3E_NotImplemented)
		log_error(LOG_MOD, "the remote refuses versioning on %s: PutBucketVersioning fails",
			  rb);
	free(res);
	if (!err)
		vstate_remember(b, bucket, enabled ? "Enabled" : "Suspended");
	return err;
}

static s3err_t s3_bucket_get(struct backend *be, const char *name, struct bucket_info *out)
{
	return s3_registry_get(S(be), name, out);
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
	err = s3_remote_bucket(b, bi->name, rb);
	if (err)
		goto out;
	err = s3_registry_get(b, bi->name, &existing);
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
	if (s3_hex_header(owner, sizeof(owner), bi->owner) ||
	    s3_hex_header(region, sizeof(region), bi->region)) {
		err = S3E_InternalError;
		goto out;
	}
	snprintf(created, sizeof(created), "%" PRId64, bi->created_ms);
	s3_join_key(key, sizeof(key), REGISTRY_PREFIX, bi->name, NULL);
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
	if (s3_registry_get(l->b, o->key + strlen(REGISTRY_PREFIX), &bi) != S3E_OK)
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

/*
 * Emptiness is the remote's to judge. In-progress multipart uploads do not
 * keep a bucket (as on posix, M9, and AWS general purpose buckets): they are
 * aborted with it (U8 in s3_multipart.c). The registry entry goes last, so
 * an interrupted delete is finished by the next DeleteBucket.
 */
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
	err = s3_registry_get(b, name, &bi);
	if (!err)
		err = s3_remote_bucket(b, name, rb);
	if (!err)
		err = s3_bucket_count(be, name, 1, &n);
	if (!err && n)
		err = S3E_BucketNotEmpty;
	if (!err) {
		err = s3c_bucket_delete(b->c, rb, res);
		if (err == S3E_NoSuchBucket)
			err = S3E_OK; /* the registry outlived its remote bucket */
	}
	if (!err) {
		registry_forget(b, name);
		vstate_forget(b, name);
		err = s3_mp_bucket_purge(b, name);
	}
	if (!err)
		err = delete_configs(b, name);
	if (!err) {
		s3_join_key(key, sizeof(key), REGISTRY_PREFIX, name, NULL);
		err = s3c_object_delete(b->c, b->system, key, res);
		registry_forget(b, name); /* again: a request meanwhile may have cached it */
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
	s3err_t err = s3_registry_get(b, bucket, &bi);

	if (err)
		return err;
	if (strlen(name) > 48 || !s3_join_key(key, CONFIG_KEY_MAX, CONFIG_PREFIX, bucket, "/") ||
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
	if (strcmp(name, S3_VERSIONING_CONFIG) == 0) {
		char status[S3_VERSIONING_MAX];

		err = s3_versioning_state(b, bucket, true, status);
		if (!err && strlen(status) > cap)
			err = S3E_InternalError;
		if (!err) {
			*found = status[0] != '\0';
			*len = strlen(status);
			memcpy(out, status, *len);
		}
		goto out;
	}
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
	struct s3c_result *res;
	s3err_t err;

	if (strcmp(name, S3_VERSIONING_CONFIG) == 0)
		return versioning_put(b, bucket, value, len);
	if (!(res = malloc(sizeof(*res))))
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
	struct s3c_result *res;
	s3err_t err;

	if (strcmp(name, S3_VERSIONING_CONFIG) == 0)
		return S3E_NotImplemented; /* S3 has no way back to "never versioned" */
	if (!(res = malloc(sizeof(*res))))
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

	if (!kb.keys || !res || !s3_join_key(prefix, sizeof(prefix), CONFIG_PREFIX, bucket, "/"))
		goto out;
	err = s3c_list_objects_v2(b->c, b->system, &p, &page, res);
	for (i = 0; !err && i < kb.n; i++)
		err = s3c_object_delete(b->c, b->system, kb.keys[i], res);
out:
	free(kb.keys);
	free(res);
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
void s3_record_key(struct s3be *b, const struct obj_meta *m)
{
	char key[sizeof(KEYS_PREFIX) + STRATA_SSE_KEY_ID_MAX], env[2 * STRATA_SSE_ENVELOPE_MAX + 1];
	struct s3c_header h = {ENVELOPE_HEADER, env};
	struct s3c_result *res;

	if (m->sse_mode != SSE_S3 || !m->sse_key_id[0] || key_recorded(b, m->sse_key_id, false) ||
	    m->sse_envelope_len > STRATA_SSE_ENVELOPE_MAX ||
	    !s3_join_key(key, sizeof(key), KEYS_PREFIX, m->sse_key_id, NULL) ||
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
	err = s3_head_meta(S(be), bucket, key, out, &x, res);
	/* A HEAD cannot tell a missing key from a missing bucket: the registry can. */
	if (err == S3E_NoSuchKey && s3_registry_get(S(be), bucket, &bi) == S3E_NoSuchBucket)
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
	err = s3_remote_bucket(S(be), bucket, rb);
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

/* The cache slot's hash: of bucket and key, and of the version when a version listing asks. */
static uint64_t cache_hash(const char *bucket, const char *key, const char *vid)
{
	uint64_t h = key_hash(bucket, key);
	const char *p;

	for (p = vid; p && *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	return h ? h : 1;
}

static bool cache_get(struct s3be *b, const char *bucket, const struct s3c_object *o,
		      const char *vid, struct obj_meta *out)
{
	uint64_t h = cache_hash(bucket, o->key, vid);
	struct s3_cache_slot *s = &b->cache[h % S3_META_CACHE_SLOTS];
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
		      const char *vid, const struct obj_meta *m)
{
	uint64_t h = cache_hash(bucket, o->key, vid);
	struct s3_cache_slot *s = &b->cache[h % S3_META_CACHE_SLOTS];

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

s3err_t s3_listed_meta(struct s3be *b, const char *bucket, const char *rbucket,
		       const struct s3c_object *o, const char *vid, struct obj_meta *m)
{
	struct s3c_result *res;
	struct objwire_extra x;
	s3err_t err;

	if (cache_get(b, bucket, o, vid, m))
		return S3E_OK;
	if (!(res = malloc(sizeof(*res))))
		return S3E_InternalError;
	obj_meta_init(m);
	err = s3c_object_head_v(b->c, rbucket, o->key, vid, res);
	if (!err)
		err = s3_meta_from_result(res, bucket, o->key, m, &x);
	free(res);
	if (err == S3E_MethodNotAllowed)
		err = S3E_NoSuchKey; /* a delete marker where a version was listed: gone since */
	if (err) {
		obj_meta_free(m);
		return err;
	}
	obj_meta_clear_headers(m);
	free(m->headers);
	m->headers = NULL;
	cache_put(b, bucket, o, vid, m);
	return S3E_OK;
}

static void scan_one(struct scan *sc, const struct s3c_object *o)
{
	struct obj_meta m;
	s3err_t err = s3_listed_meta(sc->b, sc->bucket, sc->rbucket, o, NULL, &m);

	if (err == S3E_NoSuchKey)
		return; /* deleted since the listing, or not Strata's */
	if (err) {
		sc->err = err;
		return;
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
	err = s3_registry_get(b, bucket, &bi);
	if (!err)
		err = s3_remote_bucket(b, bucket, rb);
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
	err = s3_registry_get(b, bucket, &bi);
	if (!err)
		err = s3_remote_bucket(b, bucket, rb);
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

/*
 * The sweep at open (S3): each step reads one page of its prefix, so an
 * open costs a bounded number of requests; what is left waits for the next.
 */
static void sweep(struct s3be *b)
{
	sweep_staging(b);
	s3_sweep_finals(b);
	s3_mp_sweep(b);
}

static void s3_close(struct backend *be)
{
	struct s3be *b = S(be);

	if (!b)
		return;
	s3c_free(b->c);
	s3_mp_close(b);
	pthread_mutex_destroy(&b->cache_lock);
	pthread_mutex_destroy(&b->keys_lock);
	pthread_mutex_destroy(&b->registry_lock);
	pthread_mutex_destroy(&b->manifest_lock);
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
    .upload_create = s3_upload_create,
    .upload_get = s3_upload_get,
    .part_writer_open = s3_part_writer_open,
    .part_commit = s3_part_commit,
    .part_reader_open = s3_part_reader_open,
    .part_list = s3_part_list,
    .upload_list = s3_upload_list,
    .upload_abort = s3_upload_abort,
    .upload_complete = s3_upload_complete,
    .object_part_range = s3_object_part_range,
    .writer_seal = s3_writer_seal,
    .sse_key_usage = s3_sse_key_usage,
    .reader_unseal = s3_reader_unseal,
    .object_delete_if = s3_object_delete_if,
    .writer_place = s3_writer_place,
    .bucket_config_get = s3_config_get,
    .bucket_config_put = s3_config_put,
    .bucket_config_delete = s3_config_delete,
    .writer_version = s3_writer_version,
    .upload_complete_v = s3_upload_complete_v,
    .object_head_v = s3_object_head_v,
    .reader_open_v = s3_reader_open_v,
    .object_delete_v = s3_object_delete_v,
    .version_scan = s3_version_scan,
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
	pthread_mutex_init(&b->registry_lock, NULL);
	pthread_mutex_init(&b->manifest_lock, NULL);
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
		const char *why = res->code[0] ? res->code : "no answer";

		if (!res->code[0] && res->status)
			why = "an HTTP error without an S3 code";
		log_error(LOG_MOD, "the remote %s does not serve the system bucket %s: %s (%s)",
			  o->endpoint, b->system, s3err_code(err), why);
		goto fail;
	}
	sweep(b);
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
