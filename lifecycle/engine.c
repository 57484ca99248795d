/* engine: lifecycle passes over the backend, and the thread that runs them (see engine.h). */
#include "engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/httptime.h"
#include "../common/lcrules.h"
#include "../common/log.h"
#include "../common/metrics.h"
#include "../common/strutil.h"
#include "rules.h"
#include "ticker.h"

#define LOG_MOD "lifecycle"
#define SCAN_BATCH 256u /* objects or uploads copied out per backend call */

/* --- collecting what to look at (visitors copy; actions run after the backend returns) --- */

struct name_list {
	char (*names)[STRATA_BUCKET_NAME_MAX + 1];
	size_t n, cap;
	bool oom;
};

static bool collect_bucket(void *ctx, const struct bucket_info *b)
{
	struct name_list *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		void *p = realloc(l->names, cap * sizeof(*l->names));

		if (!p) {
			l->oom = true;
			return false;
		}
		l->names = p;
		l->cap = cap;
	}
	str_copy(l->names[l->n++], sizeof(l->names[0]), b->name);
	return true;
}

struct seen_object {
	char key[STRATA_MAX_KEY_LEN + 1];
	uint64_t size;
	int64_t mtime_ms;
	char etag[STRATA_ETAG_MAX];
	char storage_class[STRATA_STORAGE_CLASS_MAX];
};

struct object_batch {
	struct seen_object *items; /* SCAN_BATCH */
	size_t n;
};

static bool collect_object(void *ctx, const char *key, const struct obj_meta *m)
{
	struct object_batch *b = ctx;
	struct seen_object *o;

	if (b->n == SCAN_BATCH)
		return false;
	o = &b->items[b->n++];
	str_copy(o->key, sizeof(o->key), key);
	o->size = m->size;
	o->mtime_ms = m->mtime_ms;
	str_copy(o->etag, sizeof(o->etag), m->etag);
	str_copy(o->storage_class, sizeof(o->storage_class), m->storage_class);
	return true;
}

struct seen_upload {
	char key[STRATA_MAX_KEY_LEN + 1];
	char upload_id[STRATA_UPLOAD_ID_MAX];
	int64_t initiated_ms;
};

struct upload_batch {
	struct seen_upload *items; /* SCAN_BATCH */
	size_t n;
};

static bool collect_upload(void *ctx, const struct upload_info *u)
{
	struct upload_batch *b = ctx;
	struct seen_upload *s;

	if (b->n == SCAN_BATCH)
		return false;
	s = &b->items[b->n++];
	str_copy(s->key, sizeof(s->key), u->key);
	str_copy(s->upload_id, sizeof(s->upload_id), u->upload_id);
	s->initiated_ms = u->initiated_ms;
	return true;
}

/* --- one pass --- */

struct pass {
	struct backend *be;
	const struct lc_pass_opts *o;
	struct lc_pass_stats *st;
	int64_t now_ms;
};

static bool stopping(const struct pass *p)
{
	return p->o->stop && *p->o->stop;
}

/* Spaces actions out to at most rate per second. */
static void pace(const struct pass *p)
{
	struct timespec ts;

	if (p->o->rate == 0)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(1000000000L / (long)p->o->rate);
	if (p->o->rate == 1) {
		ts.tv_sec = 1;
		ts.tv_nsec = 0;
	}
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Loads and parses a bucket's rules; false when it has none (or they are unusable: logged). */
static bool load_rules(struct pass *p, const char *bucket, struct lc_config *c)
{
	size_t len = 0, cap = STRATA_MAX_BUCKET_CONFIG;
	const char *msg = NULL;
	bool found = false;
	char *doc = malloc(cap);
	s3err_t err;

	if (!doc)
		return false;
	err = backend_bucket_config_get(p->be, bucket, LC_BUCKET_CONFIG, doc, cap, &len, &found);
	if (!err && found)
		err = lc_parse(doc, len, c, &msg);
	free(doc);
	if (err) {
		log_error(LOG_MOD,
			  "bucket %s: its lifecycle rules cannot be used (%s%s%s); skipped", bucket,
			  s3err_code(err), msg ? ": " : "", msg ? msg : "");
		p->st->failures++;
		return false;
	}
	return found;
}

static void expire(struct pass *p, const char *bucket, const struct seen_object *o,
		   const struct lc_action *a)
{
	s3err_t err;

	pace(p);
	err = backend_object_delete_if(p->be, bucket, o->key, o->mtime_ms, o->etag);
	if (err == S3E_OK) {
		p->st->expired++;
		metrics_add(METRIC_LC_EXPIRATIONS, 0, 1);
		log_info(LOG_MOD, "expired %s/%s (rule '%s')", bucket, o->key, a->rule_id);
	} else if (err == S3E_PreconditionFailed || err == S3E_NoSuchKey) {
		p->st->skipped++; /* rewritten or deleted since the scan: a newer object */
	} else {
		p->st->failures++;
		metrics_add(METRIC_LC_FAILURES, METRIC_LC_EXPIRE, 1);
		log_error(LOG_MOD, "cannot expire %s/%s: %s", bucket, o->key, s3err_code(err));
	}
}

/*
 * The backend copies, verifies, switches and then releases (backend.h): a
 * tier that fails leaves the object where it was for the next pass.
 */
static void transition(struct pass *p, const char *bucket, const struct seen_object *o,
		       const struct lc_action *a)
{
	s3err_t err;

	pace(p);
	err = backend_object_transition(p->be, bucket, o->key, o->mtime_ms, o->etag,
					a->storage_class);
	if (err == S3E_OK) {
		p->st->transitioned++;
		p->st->bytes_moved += o->size;
		metrics_add(METRIC_LC_TRANSITIONS, metrics_class_cell(a->storage_class), 1);
		metrics_add(METRIC_LC_BYTES_MOVED, metrics_class_cell(a->storage_class), o->size);
		log_info(LOG_MOD, "moved %s/%s from %s to %s (rule '%s')", bucket, o->key,
			 o->storage_class[0] ? o->storage_class : "STANDARD", a->storage_class,
			 a->rule_id);
	} else if (err == S3E_PreconditionFailed || err == S3E_NoSuchKey) {
		p->st->skipped++;
	} else {
		p->st->failures++;
		metrics_add(METRIC_LC_FAILURES, METRIC_LC_TRANSITION, 1);
		log_error(LOG_MOD,
			  "cannot move %s/%s to %s (kept where it is; retried next pass): %s",
			  bucket, o->key, a->storage_class, s3err_code(err));
	}
}

static s3err_t objects_pass(struct pass *p, const char *bucket, const struct lc_config *c)
{
	struct object_batch b = {calloc(SCAN_BATCH, sizeof(struct seen_object)), 0};
	char *start = calloc(1, STRATA_MAX_KEY_LEN + 1);
	s3err_t err = S3E_OK;
	size_t i;

	if (!b.items || !start) {
		err = S3E_InternalError;
		goto out;
	}
	do {
		b.n = 0;
		err = backend_object_scan(p->be, bucket, start, false, "", SCAN_BATCH,
					  collect_object, &b);
		if (err)
			break;
		for (i = 0; i < b.n && !stopping(p); i++) {
			const struct seen_object *so = &b.items[i];
			struct lc_object o = {so->key,		 so->size, so->mtime_ms,
					      so->storage_class, 0,	   NULL};
			struct lc_action a = lc_evaluate(c, &o, p->now_ms, p->o->day_ms);

			p->st->objects++;
			if (a.kind == LC_EXPIRE)
				expire(p, bucket, so, &a);
			else if (a.kind == LC_TRANSITION)
				transition(p, bucket, so, &a);
		}
		if (b.n)
			str_copy(start, STRATA_MAX_KEY_LEN + 1, b.items[b.n - 1].key);
	} while (b.n == SCAN_BATCH && !stopping(p));
out:
	free(b.items);
	free(start);
	return err;
}

/* --- versions (issue 12): noncurrent versions and expired object delete markers --- */

struct seen_version {
	char key[STRATA_MAX_KEY_LEN + 1];
	char vid[STRATA_VERSION_ID_MAX];
	bool marker, latest;
	uint64_t size;
	int64_t mtime_ms;
	char etag[STRATA_ETAG_MAX];
	char storage_class[STRATA_STORAGE_CLASS_MAX];
};

struct version_batch {
	struct seen_version *items; /* SCAN_BATCH */
	size_t n;
};

static bool collect_version(void *ctx, const char *key, const struct obj_meta *m, bool is_latest)
{
	struct version_batch *b = ctx;
	struct seen_version *v;

	if (b->n == SCAN_BATCH)
		return false;
	v = &b->items[b->n++];
	str_copy(v->key, sizeof(v->key), key);
	str_copy(v->vid, sizeof(v->vid), m->version_id);
	v->marker = m->delete_marker;
	v->latest = is_latest;
	v->size = m->delete_marker ? 0 : m->size;
	v->mtime_ms = m->mtime_ms;
	str_copy(v->etag, sizeof(v->etag), m->delete_marker ? "" : m->etag);
	str_copy(v->storage_class, sizeof(v->storage_class),
		 m->delete_marker ? "" : m->storage_class);
	return true;
}

/*
 * The walk over a bucket's versions, one behind the scan: a version is
 * decided once the next one is seen (whether a latest delete marker is
 * alone depends on it) and acted on only after the scan call that showed
 * the next one returned. The scan resumes after the last version it
 * visited, which is then still held, unchanged: no action ever removes
 * the version a scan resumes from.
 */
struct vwalk {
	struct seen_version held; /* the version waiting for its decision */
	bool have;
	int64_t since_ms; /* held: when it became noncurrent (its successor's mtime) */
	uint32_t newer;	  /* held: noncurrent versions of its key newer than it */
};

static void version_expire(struct pass *p, const char *bucket, const struct lc_version *v,
			   const struct seen_version *sv, const struct lc_action *a)
{
	s3err_t err;

	pace(p);
	err = backend_version_expire(p->be, bucket, sv->key, sv->vid, sv->mtime_ms, v->latest);
	if (err == S3E_OK) {
		p->st->expired++;
		metrics_add(METRIC_LC_EXPIRATIONS, 0, 1);
		log_info(LOG_MOD, "expired %s %s of %s/%s (rule '%s')",
			 v->latest    ? "the lone delete marker"
			 : sv->marker ? "the noncurrent delete marker"
				      : "the noncurrent version",
			 sv->vid, bucket, sv->key, a->rule_id);
	} else if (err == S3E_AccessDenied) {
		p->st->skipped++; /* Object Lock: retention or legal hold keeps it (L3) */
		log_debug(LOG_MOD, "kept %s/%s version %s: it is locked", bucket, sv->key, sv->vid);
	} else if (err == S3E_PreconditionFailed || err == S3E_NotImplemented) {
		p->st->skipped++; /* changed since the scan; or a backend without the slot */
	} else {
		p->st->failures++;
		metrics_add(METRIC_LC_FAILURES, METRIC_LC_EXPIRE, 1);
		log_error(LOG_MOD, "cannot expire %s/%s version %s: %s", bucket, sv->key, sv->vid,
			  s3err_code(err));
	}
}

static void version_transition(struct pass *p, const char *bucket, const struct seen_version *sv,
			       const struct lc_action *a)
{
	s3err_t err;

	pace(p);
	err = backend_version_transition(p->be, bucket, sv->key, sv->vid, sv->mtime_ms, sv->etag,
					 a->storage_class);
	if (err == S3E_OK) {
		p->st->transitioned++;
		p->st->bytes_moved += sv->size;
		metrics_add(METRIC_LC_TRANSITIONS, metrics_class_cell(a->storage_class), 1);
		metrics_add(METRIC_LC_BYTES_MOVED, metrics_class_cell(a->storage_class), sv->size);
		log_info(
		    LOG_MOD, "moved the noncurrent version %s of %s/%s from %s to %s (rule '%s')",
		    sv->vid, bucket, sv->key, sv->storage_class[0] ? sv->storage_class : "STANDARD",
		    a->storage_class, a->rule_id);
	} else if (err == S3E_PreconditionFailed || err == S3E_NoSuchKey ||
		   err == S3E_NotImplemented) {
		p->st->skipped++;
	} else {
		p->st->failures++;
		metrics_add(METRIC_LC_FAILURES, METRIC_LC_TRANSITION, 1);
		log_error(LOG_MOD,
			  "cannot move %s/%s version %s to %s (kept where it is; retried next "
			  "pass): %s",
			  bucket, sv->key, sv->vid, a->storage_class, s3err_code(err));
	}
}

/* Decides and acts on the held version; next: the version after it (NULL: the end). */
static void version_decide(struct pass *p, const char *bucket, const struct lc_config *c,
			   const struct vwalk *w, const struct seen_version *next)
{
	const struct seen_version *sv = &w->held;
	struct lc_version v = {
	    {sv->key, sv->size, sv->mtime_ms, sv->storage_class, 0, NULL}, sv->marker,	sv->latest,
	    sv->latest && (!next || strcmp(next->key, sv->key) != 0),	   w->since_ms, w->newer};
	struct lc_action a;

	if (sv->latest && !sv->marker)
		return; /* the current data version: objects_pass decides for it */
	p->st->versions++;
	a = lc_evaluate_version(c, &v, p->now_ms, p->o->day_ms);
	if (a.kind == LC_EXPIRE)
		version_expire(p, bucket, &v, sv, &a);
	else if (a.kind == LC_TRANSITION)
		version_transition(p, bucket, sv, &a);
}

/* Holds v, after the version held before it (its successor when of the same key). */
static void version_hold(struct vwalk *w, const struct seen_version *v)
{
	if (w->have && strcmp(w->held.key, v->key) == 0) {
		w->newer += !w->held.latest;
		w->since_ms = w->held.mtime_ms;
	} else {
		/* A key's first version is its latest; were it not, keep it (never due). */
		w->newer = 0;
		w->since_ms = INT64_MAX;
	}
	w->held = *v;
	w->have = true;
}

/* True when some rule of c may act on a version other than a current data version. */
static bool acts_on_versions(const struct lc_config *c)
{
	size_t i;

	for (i = 0; i < c->nrules; i++) {
		const struct lc_rule *r = &c->rules[i];

		if (r->enabled && (r->has_nc_expiration || r->nnc_transitions ||
				   (r->has_marker_flag && r->expired_marker) || r->has_expiration))
			return true;
	}
	return false;
}

/* True when the bucket was ever versioned (it may hold noncurrent versions or markers). */
static bool ever_versioned(struct pass *p, const char *bucket)
{
	char state[16];
	size_t len = 0;
	bool found = false;

	if (backend_bucket_config_get(p->be, bucket, "versioning", state, sizeof(state), &len,
				      &found) != S3E_OK)
		return true; /* let the scan answer */
	return found;
}

static s3err_t versions_pass(struct pass *p, const char *bucket, const struct lc_config *c)
{
	struct version_batch b = {calloc(SCAN_BATCH, sizeof(struct seen_version)), 0};
	struct vwalk *w = calloc(1, sizeof(*w));
	char *key = calloc(1, STRATA_MAX_KEY_LEN + 1);
	char vid[STRATA_VERSION_ID_MAX] = "";
	s3err_t err = S3E_OK;
	bool first = true;
	size_t i;

	if (!b.items || !w || !key) {
		err = S3E_InternalError;
		goto out;
	}
	if (!acts_on_versions(c) || !ever_versioned(p, bucket))
		goto out;
	do {
		b.n = 0;
		err = backend_version_scan(p->be, bucket, key, first ? NULL : vid, "", SCAN_BATCH,
					   collect_version, &b);
		if (err == S3E_NotImplemented) { /* a backend without versions has none */
			err = S3E_OK;
			goto out;
		}
		if (err)
			goto out;
		first = false;
		for (i = 0; i < b.n && !stopping(p); i++) {
			if (w->have)
				version_decide(p, bucket, c, w, &b.items[i]);
			version_hold(w, &b.items[i]);
		}
		if (b.n) {
			str_copy(key, STRATA_MAX_KEY_LEN + 1, b.items[b.n - 1].key);
			str_copy(vid, sizeof(vid), b.items[b.n - 1].vid);
		}
	} while (b.n == SCAN_BATCH && !stopping(p));
	if (w->have && !stopping(p))
		version_decide(p, bucket, c, w, NULL);
out:
	free(b.items);
	free(w);
	free(key);
	return err;
}

static s3err_t uploads_pass(struct pass *p, const char *bucket, const struct lc_config *c)
{
	struct upload_batch b = {calloc(SCAN_BATCH, sizeof(struct seen_upload)), 0};
	struct seen_upload *last = calloc(1, sizeof(*last));
	s3err_t err = S3E_OK;
	size_t i;

	if (!b.items || !last) {
		err = S3E_InternalError;
		goto out;
	}
	do {
		b.n = 0;
		err = backend_upload_list(p->be, bucket, "", last->key, last->upload_id, SCAN_BATCH,
					  collect_upload, &b);
		if (err == S3E_NotImplemented) { /* a backend without multipart has no uploads */
			err = S3E_OK;
			break;
		}
		if (err)
			break;
		for (i = 0; i < b.n && !stopping(p); i++) {
			const struct seen_upload *u = &b.items[i];
			s3err_t e;

			if (!lc_upload_expired(c, u->key, u->initiated_ms, p->now_ms, p->o->day_ms))
				continue;
			pace(p);
			e = backend_upload_abort(p->be, bucket, u->upload_id);
			if (e == S3E_OK) {
				p->st->aborted++;
				metrics_add(METRIC_LC_ABORTED_UPLOADS, 0, 1);
				log_info(LOG_MOD, "aborted the incomplete upload %s of %s/%s",
					 u->upload_id, bucket, u->key);
			} else if (e != S3E_NoSuchUpload) {
				p->st->failures++;
				metrics_add(METRIC_LC_FAILURES, METRIC_LC_ABORT_UPLOAD, 1);
				log_error(LOG_MOD, "cannot abort upload %s of %s/%s: %s",
					  u->upload_id, bucket, u->key, s3err_code(e));
			}
		}
		if (b.n)
			*last = b.items[b.n - 1];
	} while (b.n == SCAN_BATCH && !stopping(p));
out:
	free(b.items);
	free(last);
	return err;
}

s3err_t lc_pass(struct backend *be, const struct lc_pass_opts *o, struct lc_pass_stats *st)
{
	struct pass p = {be, o, st, o->now_ms ? o->now_ms : httptime_now_ms()};
	struct name_list l = {NULL, 0, 0, false};
	s3err_t err;
	size_t i;

	memset(st, 0, sizeof(*st));
	if (o->bucket) {
		struct bucket_info bi;

		err = backend_bucket_get(be, o->bucket, &bi);
		if (!err && !collect_bucket(&l, &bi))
			err = S3E_InternalError;
	} else {
		err = backend_bucket_list(be, collect_bucket, &l);
		if (!err && l.oom)
			err = S3E_InternalError;
	}
	for (i = 0; !err && i < l.n && !stopping(&p); i++) {
		struct lc_config c = {0, NULL};
		s3err_t e;

		if (!load_rules(&p, l.names[i], &c))
			continue;
		st->buckets++;
		e = objects_pass(&p, l.names[i], &c);
		if (!e && !stopping(&p))
			e = versions_pass(&p, l.names[i], &c);
		if (!e && !stopping(&p))
			e = uploads_pass(&p, l.names[i], &c);
		lc_config_free(&c);
		if (e == S3E_NoSuchBucket)
			continue; /* deleted during the pass */
		if (e) {
			st->failures++;
			log_error(LOG_MOD, "bucket %s: pass stopped: %s", l.names[i],
				  s3err_code(e));
		}
	}
	free(l.names);
	return err;
}

/* --- restores --- */

struct restore_batch {
	struct restore_item *items; /* SCAN_BATCH */
	size_t n;
};

static bool collect_restore(void *ctx, const struct restore_item *it)
{
	struct restore_batch *b = ctx;

	if (b->n == SCAN_BATCH)
		return false;
	b->items[b->n++] = *it;
	return true;
}

static void restore_one(struct pass *p, const struct restore_item *it)
{
	bool make = it->state == RESTORE_ONGOING;
	s3err_t err;

	pace(p);
	err = make ? backend_restore_run(p->be, it->bucket, it->key, it->mtime_ms, it->etag)
		   : backend_restore_release(p->be, it->bucket, it->key, it->mtime_ms, it->etag);
	if (err == S3E_OK) {
		if (make)
			p->st->restored++;
		else
			p->st->restore_expired++;
		metrics_add(make ? METRIC_LC_RESTORES : METRIC_LC_RESTORE_EXPIRIES, 0, 1);
		log_info(LOG_MOD, "%s %s/%s", make ? "restored" : "restore expired for", it->bucket,
			 it->key);
	} else if (err == S3E_PreconditionFailed || err == S3E_NoSuchKey) {
		p->st->skipped++;
	} else {
		p->st->failures++;
		metrics_add(METRIC_LC_FAILURES, make ? METRIC_LC_RESTORE : METRIC_LC_RESTORE_EXPIRY,
			    1);
		log_error(LOG_MOD, "cannot %s %s/%s (retried next pass): %s",
			  make ? "restore" : "release the restored copy of", it->bucket, it->key,
			  s3err_code(err));
	}
}

s3err_t lc_restore_pass(struct backend *be, const struct lc_pass_opts *o, struct lc_pass_stats *st)
{
	struct pass p = {be, o, st, o->now_ms ? o->now_ms : httptime_now_ms()};
	struct restore_batch b = {calloc(SCAN_BATCH, sizeof(struct restore_item)), 0};
	uint64_t before;
	s3err_t err = S3E_OK;
	size_t i;

	if (!b.items)
		return S3E_InternalError;
	/*
	 * Each item leaves the due set once acted on; one that fails stays,
	 * so a round that changed nothing ends the pass (retried next time).
	 */
	do {
		before = st->restored + st->restore_expired + st->skipped;
		b.n = 0;
		err = backend_restore_due(be, p.now_ms, collect_restore, &b);
		for (i = 0; !err && i < b.n && !stopping(&p); i++)
			if (!o->bucket || strcmp(o->bucket, b.items[i].bucket) == 0)
				restore_one(&p, &b.items[i]);
	} while (!err && b.n == SCAN_BATCH && !stopping(&p) &&
		 st->restored + st->restore_expired + st->skipped > before);
	free(b.items);
	/* A backend without archive restores has none due (RestoreObject answers NotImplemented).
	 */
	return err == S3E_NotImplemented ? S3E_OK : err;
}

/* --- the thread --- */

struct lc_engine {
	struct backend *be;
	bool rules; /* lifecycle_interval > 0: rules passes too */
	int64_t day_ms;
	unsigned rate;
	pthread_t thread;
	struct ticker tick;
};

static void *run(void *arg)
{
	struct lc_engine *e = arg;

	while (ticker_wait(&e->tick)) {
		struct lc_pass_opts o = {e->day_ms, 0, NULL, e->rate, &e->tick.stop};
		struct lc_pass_stats st;
		s3err_t err;

		memset(&st, 0, sizeof(st));
		err = e->rules ? lc_pass(e->be, &o, &st) : S3E_OK;
		if (err)
			log_error(LOG_MOD, "pass failed: %s", s3err_code(err));
		else if (e->rules)
			metrics_add(METRIC_LC_PASSES, 0, 1);
		err = lc_restore_pass(e->be, &o, &st);
		if (err)
			log_error(LOG_MOD, "restore pass failed: %s", s3err_code(err));
		if (st.buckets || st.restored || st.restore_expired || st.failures)
			log_info(
			    LOG_MOD,
			    "pass done: %llu buckets, %llu objects, %llu expired, %llu moved "
			    "(%llu bytes), %llu uploads aborted, %llu restored, %llu restores "
			    "expired, %llu failures",
			    (unsigned long long)st.buckets, (unsigned long long)st.objects,
			    (unsigned long long)st.expired, (unsigned long long)st.transitioned,
			    (unsigned long long)st.bytes_moved, (unsigned long long)st.aborted,
			    (unsigned long long)st.restored, (unsigned long long)st.restore_expired,
			    (unsigned long long)st.failures);
	}
	return NULL;
}

int lc_engine_start(struct backend *be, unsigned interval, int64_t day_ms, unsigned rate,
		    struct lc_engine **out)
{
	struct lc_engine *e;

	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->be = be;
	e->rules = interval > 0;
	e->day_ms = day_ms;
	e->rate = rate;
	ticker_init(&e->tick, interval ? interval : LC_RESTORE_INTERVAL);
	if (pthread_create(&e->thread, NULL, run, e) != 0) {
		log_error(LOG_MOD, "cannot start the lifecycle thread");
		ticker_destroy(&e->tick);
		free(e);
		return -1;
	}
	*out = e;
	return 0;
}

void lc_engine_poke(struct lc_engine *e)
{
	if (e)
		ticker_poke(&e->tick);
}

void lc_engine_stop(struct lc_engine *e)
{
	if (!e)
		return;
	ticker_stop(&e->tick);
	pthread_join(e->thread, NULL);
	ticker_destroy(&e->tick);
	free(e);
}
