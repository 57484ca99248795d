/*
 * replicator: ships queued replication events to their sites (see replicator.h).
 *
 * Threads: one dispatcher and `replication_workers` workers. The dispatcher
 * asks the backend for due events (backend_repl_due: the oldest event per
 * key and target), drops those whose key is already in flight, and hands the
 * rest to the workers through a small ring of slots; it sleeps until
 * replicator_wake, the end of a ship, or replication_interval. A worker makes
 * the target's copy of the key match the source as it is now, then records
 * the outcome in the backend (repl_done or repl_retry).
 *
 * Invariants:
 *  P1. An event leaves the queue only through backend_repl_done, after the
 *      target holds the current version, or the event's own one in a
 *      versioned bucket (verified by SHA-256), or, for an absent key, after
 *      the target's copy is gone or was not asked to go; a delete marker
 *      after the target took the DELETE; a version removed for good at the
 *      source at once (nothing to send).
 *      Every other outcome is backend_repl_retry: events are never dropped.
 *      A ship cut short by replicator_stop records nothing (it stays due).
 *  P2. At most one ship per (bucket, key) at a time (the in-flight slots),
 *      and the backend gives only a key's oldest event per target: an older
 *      version never lands after a newer one.
 *  P3. Memory per worker is bounded: one part buffer (8 MiB, or the size
 *      that keeps a huge object within 10000 parts), one read-back buffer.
 *  P4. The lock guards the slots, the ring, the flags and the per-site log
 *      limiter; it is never held across I/O (backend or network).
 *
 * | event outcome                               | function          | backend call |
 * |---------------------------------------------|-------------------|--------------|
 * | key present, target holds it already      | target_matches    | repl_done    |
 * | key present: copy streamed and verified     | ship_put, verify  | repl_done    |
 * | key absent: deleted there, or not asked to  | ship_absent       | repl_done    |
 * | the event's version removed for good        | ship              | repl_done    |
 * | a delete marker: a DELETE there            | ship_marker       | repl_done    |
 * | no answer / 5xx / throttled / mismatch      | ship_failed       | repl_retry(failed=false) |
 * | refused (4xx), SSE-C, unknown site          | ship_failed       | repl_retry(failed=true)  |
 */
#include "replicator.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../backends/s3client.h"
#include "../common/httptime.h"
#include "../common/keyring.h"
#include "../common/log.h"
#include "../common/metrics.h"
#include "../common/objlock.h"
#include "../common/sse.h"
#include "../common/versions.h"
#include "replicator_internal.h"

#define MOD "replication"
#define SHIP_PART (8u * 1024 * 1024) /* one PutObject up to this; larger: parts of it */
#define DUE_BATCH 256u		     /* events looked at per dispatcher scan */
#define LOG_EVERY_MS 10000	     /* one failure line per site this often at most */
#define STATS_EVERY_MS 1000	     /* queue gauges refreshed this often at most */
#define READBACK_BLOCK STRATA_IO_BLOCK
#define MAX_HEADERS 60u /* of S3C_MAX_REQ_HEADERS, leaving room for the client's own */

/* A configured destination and its client. */
struct site {
	const struct config_site *cfg;
	struct s3c *client;
	int64_t last_log_ms; /* limiter (under rp->lock) */
	unsigned suppressed; /* failures not logged since */
};

/* An event handed out: owned by the dispatcher while free, by its worker while used. */
struct slot {
	bool used;
	struct repl_event ev;
};

struct worker {
	struct replicator *rp;
	pthread_t thread;
	struct s3c_result res; /* the last remote answer (large: kept off the stack) */
};

struct replicator {
	struct backend *be;
	const struct config *cfg;
	const struct keyring *keys;
	struct site sites[CONFIG_MAX_SITES];
	struct site unknown; /* log limiter of events naming a site not configured */
	unsigned nsites;

	pthread_mutex_t lock;
	pthread_cond_t work;	/* workers: the ring has an event, or stop */
	pthread_cond_t changed; /* dispatcher: woken, a ship ended, or stop */
	atomic_bool stop;
	bool dirty; /* look at the queue now */
	struct slot *slots;
	size_t nslots;
	size_t *ring; /* slot indexes handed out, not yet taken by a worker */
	size_t rhead, rlen;

	pthread_t dispatcher;
	bool dispatcher_started;
	struct worker *workers;
	unsigned nworkers, started;
	struct repl_event *batch; /* the dispatcher's scan buffer (DUE_BATCH) */
	size_t nbatch;
	int64_t stats_ms;
};

/* ---- pure parts (replicator_internal.h) ---- */

uint64_t replicator_backoff_ms(uint32_t attempts, unsigned retry_max_s, uint32_t rnd)
{
	uint64_t cap = (uint64_t)(retry_max_s ? retry_max_s : 1) * 1000, ceil;

	ceil = attempts >= 40 ? cap : (uint64_t)1000 << attempts;
	if (ceil > cap)
		ceil = cap;
	return (uint64_t)rnd % (ceil + 1);
}

enum repl_outcome replicator_classify(s3err_t err, const struct s3c_result *res)
{
	static const char *const transient[] = {"SlowDown", "Throttling", "ThrottlingException",
						"RequestTimeout", "RequestTimeTooSkewed"};
	size_t i;

	if (!res || res->status == 0 || res->status >= 500 || res->status == 429)
		return REPL_OUT_UNREACHABLE;
	for (i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		if (strcmp(res->code, transient[i]) == 0)
			return REPL_OUT_UNREACHABLE;
	if (res->status >= 400)
		return REPL_OUT_REFUSED;
	(void)err; /* a 2xx whose answer did not parse: the remote's hiccup */
	return REPL_OUT_UNREACHABLE;
}

/* Headers S3 stores with an object and a replica must carry (besides x-amz-meta-*). */
static bool content_header(const char *name)
{
	static const char *const names[] = {"content-type",	   "content-encoding",
					    "content-disposition", "content-language",
					    "cache-control",	   "expires"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return strncmp(name, "x-amz-meta-", 11) == 0 && name[11] != '\0';
}

int replicator_headers(const struct obj_meta *m, const char *target_class, bool site_encrypts,
		       struct s3c_header *h, size_t cap)
{
	const char *name, *value, *cls;
	size_t pos = 0, n = 0;

	while (obj_meta_next_header(m, &pos, &name, &value)) {
		if (!content_header(name))
			continue;
		if (n == cap)
			return -1;
		h[n++] = (struct s3c_header){name, value};
	}
	cls = target_class && target_class[0] ? target_class : m->storage_class;
	if (cls[0] && strcmp(cls, "STANDARD") != 0) {
		if (n == cap)
			return -1;
		h[n++] = (struct s3c_header){"x-amz-storage-class", cls};
	}
	if (m->sse_mode == SSE_S3 && site_encrypts) {
		if (n == cap)
			return -1;
		h[n++] = (struct s3c_header){"x-amz-server-side-encryption", "AES256"};
	}
	return (int)n;
}

int replicator_version_headers(const struct obj_meta *m, int64_t now_ms, char date[25],
			       struct s3c_header *h, size_t cap, bool *keep)
{
	size_t n = 0;

	if (keep)
		*keep = false;
	if (m->version_id[0] && strcmp(m->version_id, "null") != 0 &&
	    versions_id_valid(m->version_id)) {
		if (n == cap)
			return -1;
		h[n++] = (struct s3c_header){REPL_KEEP_VERSION_HEADER, m->version_id};
		if (keep)
			*keep = true;
	}
	if (m->lock_mode != OBJLOCK_NONE && m->lock_until_ms > now_ms) {
		if (n + 2 > cap)
			return -1;
		httptime_format_iso_ms(m->lock_until_ms, date);
		h[n++] =
		    (struct s3c_header){"x-amz-object-lock-mode", objlock_mode_name(m->lock_mode)};
		h[n++] = (struct s3c_header){"x-amz-object-lock-retain-until-date", date};
	}
	if (m->legal_hold) {
		if (n == cap)
			return -1;
		h[n++] = (struct s3c_header){"x-amz-object-lock-legal-hold", "ON"};
	}
	return (int)n;
}

/* ---- outcomes ---- */

/* What one try came to, with the text kept in the event and logged. */
struct outcome {
	enum repl_outcome kind;
	bool refused; /* repl_retry failed = true */
	bool local;   /* the source side failed (not counted as a site failure) */
	char error[REPL_ERROR_MAX];
};

static void __attribute__((format(printf, 3, 4)))
set_out(struct outcome *o, enum repl_outcome kind, const char *fmt, ...)
{
	va_list ap;

	o->kind = kind;
	o->refused = kind == REPL_OUT_REFUSED;
	va_start(ap, fmt);
	vsnprintf(o->error, sizeof(o->error), fmt, ap);
	va_end(ap);
}

/* A failed s3client call, classified and described ("PutObject: HTTP 403 AccessDenied: ..."). */
static void remote_failed(struct outcome *o, const char *op, s3err_t err,
			  const struct s3c_result *res)
{
	enum repl_outcome k = replicator_classify(err, res);

	if (res->status)
		set_out(o, k, "%s: HTTP %ld %s: %.120s", op, res->status,
			res->code[0] ? res->code : s3err_code(err), res->message);
	else
		set_out(o, k, "%s: site unreachable (curl error %d)", op, res->curl_code);
}

/* ---- shipping ---- */

static struct site *site_find(struct replicator *rp, const char *name)
{
	unsigned i;

	for (i = 0; i < rp->nsites; i++)
		if (strcmp(rp->sites[i].cfg->name, name) == 0)
			return &rp->sites[i];
	return NULL;
}

static void hex32(const unsigned char *d, char out[65])
{
	static const char hx[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[64] = '\0';
}

/* Fills buf with len bytes of the source at off; false (with o set) when it ends early. */
static bool read_full(struct replicator *rp, struct be_reader *r, uint64_t off, void *buf,
		      size_t len, struct outcome *o)
{
	size_t got = 0;
	s3err_t err;

	err = backend_reader_read(rp->be, r, off, buf, len, &got);
	if (err || got != len) {
		set_out(o, REPL_OUT_UNREACHABLE, "reading the source at %llu: %s",
			(unsigned long long)off, err ? s3err_code(err) : "shorter than its size");
		o->local = true;
		return false;
	}
	return true;
}

/* Part size that keeps an object of size bytes within STRATA_MAX_PARTS parts. */
static size_t part_size(uint64_t size)
{
	uint64_t p = SHIP_PART;

	while ((size + p - 1) / p > STRATA_MAX_PARTS)
		p *= 2;
	return (size_t)p;
}

/* One multipart upload of the source's bytes; aborted on any failure or on stop. */
static bool put_multipart(struct worker *w, struct s3c *c, const struct repl_event *ev,
			  struct be_reader *r, uint64_t size, const struct s3c_header *h, size_t nh,
			  const struct s3c_header *keep, EVP_MD_CTX *sha, uint8_t *buf,
			  size_t psize, struct outcome *o)
{
	struct replicator *rp = w->rp;
	char upload_id[S3C_MAX_UPLOAD_ID];
	size_t nparts = (size_t)((size + psize - 1) / psize), i, len;
	char(*etags)[S3C_MAX_ETAG] = NULL;
	struct s3c_part *parts = NULL;
	const char *tb = ev->target.bucket;
	bool ok = false;
	s3err_t err;

	err = s3c_mpu_create(c, tb, ev->key, h, nh, upload_id, &w->res);
	if (err) {
		remote_failed(o, "CreateMultipartUpload", err, &w->res);
		return false;
	}
	etags = calloc(nparts, sizeof(*etags));
	parts = calloc(nparts, sizeof(*parts));
	if (!etags || !parts) {
		set_out(o, REPL_OUT_UNREACHABLE, "out of memory for %zu parts", nparts);
		o->local = true;
		goto out;
	}
	for (i = 0; i < nparts; i++) {
		uint64_t off = (uint64_t)i * psize;

		if (atomic_load(&rp->stop)) {
			set_out(o, REPL_OUT_UNREACHABLE, "stopped");
			goto out;
		}
		len = (size_t)(size - off < psize ? size - off : psize);
		if (!read_full(rp, r, off, buf, len, o))
			goto out;
		EVP_DigestUpdate(sha, buf, len);
		err = s3c_mpu_upload_part(c, tb, ev->key, upload_id, (unsigned)i + 1, buf, len,
					  &w->res);
		if (err) {
			remote_failed(o, "UploadPart", err, &w->res);
			goto out;
		}
		snprintf(etags[i], S3C_MAX_ETAG, "%s", w->res.etag);
		parts[i] = (struct s3c_part){(unsigned)i + 1, etags[i]};
	}
	/* The version is made by the Complete: the id to keep goes with it. */
	err = s3c_mpu_complete_hdrs(c, tb, ev->key, upload_id, parts, nparts, keep, keep ? 1 : 0,
				    &w->res);
	if (err) {
		remote_failed(o, "CompleteMultipartUpload", err, &w->res);
		goto out;
	}
	ok = true;
out:
	if (!ok)
		s3c_mpu_abort(c, tb, ev->key, upload_id, &w->res);
	free(parts);
	free(etags);
	return ok;
}

/* Hashes the target's copy by reading it back (a target that does not tell its SHA-256). */
static bool readback_sha(struct worker *w, struct s3c *c, const struct repl_event *ev, char hex[65],
			 struct outcome *o)
{
	unsigned char d[32];
	struct s3c_stream *st = NULL;
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	uint8_t *buf = malloc(READBACK_BLOCK);
	bool ok = false;
	size_t got;
	s3err_t err;

	if (!sha || !buf || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
		set_out(o, REPL_OUT_UNREACHABLE, "out of memory");
		o->local = true;
		goto out;
	}
	err = s3c_get_open(c, ev->target.bucket, ev->key, 0, S3C_RANGE_ALL, &st, &w->res);
	if (err) {
		remote_failed(o, "GetObject (verify)", err, &w->res);
		goto out;
	}
	do {
		err = s3c_stream_read(st, buf, READBACK_BLOCK, &got);
		if (err) {
			remote_failed(o, "GetObject (verify)", err, &w->res);
			goto out;
		}
		EVP_DigestUpdate(sha, buf, got);
	} while (got == READBACK_BLOCK);
	EVP_DigestFinal_ex(sha, d, NULL);
	hex32(d, hex);
	ok = true;
out:
	s3c_stream_close(st);
	free(buf);
	EVP_MD_CTX_free(sha);
	return ok;
}

/*
 * The target's copy must have the source's size and SHA-256: another
 * Strata says its digest in x-strata-sha256 on HEAD; any other store's
 * copy is read back and hashed.
 */
static bool verify(struct worker *w, struct s3c *c, const struct repl_event *ev, uint64_t size,
		   const char *want, struct outcome *o)
{
	const char *said;
	char got[65];
	s3err_t err;

	err = s3c_object_head(c, ev->target.bucket, ev->key, &w->res);
	if (err) {
		remote_failed(o, "HeadObject (verify)", err, &w->res);
		if (err == S3E_NoSuchKey) { /* just written: not a refusal */
			o->kind = REPL_OUT_VERIFY;
			o->refused = false;
		}
		return false;
	}
	if (w->res.object_size != size) {
		set_out(o, REPL_OUT_VERIFY, "verify: the copy has %llu bytes, the source %llu",
			(unsigned long long)w->res.object_size, (unsigned long long)size);
		return false;
	}
	said = s3c_result_header(&w->res, "x-strata-sha256");
	if (said && strlen(said) == 64) {
		snprintf(got, sizeof(got), "%s", said);
	} else if (!readback_sha(w, c, ev, got, o)) {
		return false;
	}
	if (strcasecmp(got, want) != 0) {
		set_out(o, REPL_OUT_VERIFY,
			"verify: the copy's SHA-256 %.64s is not the source's %s", got, want);
		return false;
	}
	return true;
}

/*
 * Whether the target already holds this version, so nothing needs sending
 * (a resync, or a later event of a version an earlier one shipped). The
 * digest must match: another Strata says its SHA-256 (x-strata-sha256); any
 * other store only an ETag, which is the MD5 of the bytes for a copy sent in
 * one PutObject, so it proves a match only when the source's ETag is a plain
 * MD5 too (a single-PUT source up to SHIP_PART bytes). Then every header a
 * copy would carry must match, and it may hold no other user metadata nor
 * another storage class. Any doubt (no digest to compare, an error) answers
 * false and the copy is sent.
 */
static bool target_matches(struct worker *w, struct s3c *c, const struct repl_event *ev,
			   const struct obj_meta *m, const struct s3c_header *h, size_t nh,
			   bool keep)
{
	const char *said, *name, *value;
	bool class_sent = false;
	size_t i, cursor = 0;

	if (!m->sha256_hex[0] || s3c_object_head(c, ev->target.bucket, ev->key, &w->res) ||
	    w->res.object_size != m->size)
		return false;
	said = s3c_result_header(&w->res, "x-strata-sha256");
	if (said && strcasecmp(said, m->sha256_hex) != 0)
		return false;
	/*
	 * Q9: a Strata keeps the source's ids, so it holds this version only
	 * when its latest has this id (the same bytes under another id are
	 * another version, which this one must follow).
	 */
	value = s3c_result_header(&w->res, "x-amz-version-id");
	if (said && keep && (!value || strcmp(value, m->version_id) != 0))
		return false;
	if (!said &&
	    (m->size > SHIP_PART || strlen(m->etag) != 32 || strcasecmp(w->res.etag, m->etag) != 0))
		return false;
	for (i = 0; i < nh; i++) {
		if (strcmp(h[i].name, "x-amz-server-side-encryption") == 0)
			continue; /* the destination's own choice, whatever it says */
		class_sent |= strcmp(h[i].name, "x-amz-storage-class") == 0;
		value = s3c_result_header(&w->res, h[i].name);
		if (!value || strcmp(value, h[i].value) != 0)
			return false;
	}
	while (s3c_result_header_next(&w->res, &cursor, &name, &value)) {
		if (strncmp(name, "x-amz-meta-", 11) == 0) {
			for (i = 0; i < nh && strcmp(h[i].name, name) != 0; i++)
				;
			if (i == nh)
				return false;
		} else if (!class_sent && strcmp(name, "x-amz-storage-class") == 0 &&
			   strcmp(value, "STANDARD") != 0) {
			return false;
		}
	}
	return true;
}

/*
 * The key exists at the source (reader r on the event's version, else its
 * current one): copy it there and verify, unless the target already holds
 * it (*unchanged). The copy carries the version's id for a Strata to keep
 * and its Object Lock (replicator_version_headers).
 */
static bool ship_put(struct worker *w, struct site *s, const struct repl_event *ev,
		     struct be_reader *r, const struct obj_meta *m, bool *unchanged,
		     struct outcome *o)
{
	struct replicator *rp = w->rp;
	struct s3c_header h[MAX_HEADERS];
	size_t psize = part_size(m->size);
	unsigned char d[32];
	char hex[65], date[25];
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	uint8_t *buf = NULL;
	bool ok = false, keep = false;
	int nh, nv = 0;
	s3err_t err;

	nh = replicator_headers(m, ev->target.storage_class, s->cfg->encryption, h, MAX_HEADERS);
	if (nh >= 0)
		nv = replicator_version_headers(m, httptime_now_ms(), date, h + nh,
						MAX_HEADERS - (size_t)nh, &keep);
	if (nh < 0 || nv < 0) {
		set_out(o, REPL_OUT_REFUSED, "the object has more than %u headers to carry",
			MAX_HEADERS);
		goto out;
	}
	/* The version's own headers (id, lock) are not compared: a Strata shows the id. */
	if ((*unchanged = target_matches(w, s->client, ev, m, h, (size_t)nh, keep))) {
		ok = true;
		goto out;
	}
	nh += nv;
	buf = malloc(m->size < psize ? (size_t)m->size + 1 : psize);
	if (!sha || !buf || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
		set_out(o, REPL_OUT_UNREACHABLE, "out of memory");
		o->local = true;
		goto out;
	}
	if (m->size <= SHIP_PART) {
		if (!read_full(rp, r, 0, buf, (size_t)m->size, o))
			goto out;
		EVP_DigestUpdate(sha, buf, (size_t)m->size);
		err = s3c_object_put(s->client, ev->target.bucket, ev->key, buf, (size_t)m->size, h,
				     (size_t)nh, &w->res);
		if (err) {
			remote_failed(o, "PutObject", err, &w->res);
			goto out;
		}
	} else if (!put_multipart(w, s->client, ev, r, m->size, h, (size_t)nh,
				  keep ? &h[nh - nv] : NULL, sha, buf, psize, o)) {
		goto out;
	}
	EVP_DigestFinal_ex(sha, d, NULL);
	hex32(d, hex);
	/* The reader verified every frame; this catches a metadata row out of step. */
	if (m->sha256_hex[0] && strcasecmp(hex, m->sha256_hex) != 0) {
		set_out(o, REPL_OUT_UNREACHABLE, "the source's bytes do not match its SHA-256");
		o->local = true;
		goto out;
	}
	ok = verify(w, s->client, ev, m->size, hex, o);
out:
	free(buf);
	EVP_MD_CTX_free(sha);
	return ok;
}

/* The key is absent at the source: the target's copy goes too when the rule says so. */
static bool ship_absent(struct worker *w, struct site *s, const struct repl_event *ev,
			struct outcome *o)
{
	s3err_t err;

	if (!ev->target.deletes)
		return true;
	err = s3c_object_delete(s->client, ev->target.bucket, ev->key, &w->res);
	if (err && err != S3E_NoSuchKey) {
		remote_failed(o, "DeleteObject", err, &w->res);
		return false;
	}
	metrics_add(METRIC_REPL_SHIPPED, 1, 1);
	return true;
}

/*
 * Q9: ev is a delete marker of a versioned source (DeleteMarkerReplication
 * Enabled, or it would not be queued): a DELETE of the key makes a marker
 * at a versioned target, under the source's id at a Strata.
 */
static bool ship_marker(struct worker *w, struct site *s, const struct repl_event *ev,
			struct outcome *o)
{
	struct s3c_header keep = {REPL_KEEP_VERSION_HEADER, ev->version_id};
	bool with_id = strcmp(ev->version_id, "null") != 0 && versions_id_valid(ev->version_id);
	s3err_t err;

	if (!ev->target.deletes)
		return true;
	err = s3c_object_delete_hdrs(s->client, ev->target.bucket, ev->key, with_id ? &keep : NULL,
				     with_id ? 1 : 0, &w->res);
	if (err && err != S3E_NoSuchKey) {
		remote_failed(o, "DeleteObject (delete marker)", err, &w->res);
		return false;
	}
	metrics_add(METRIC_REPL_SHIPPED, 1, 1);
	return true;
}

/* Gives r the data key of an SSE-S3 object; SSE-C cannot be read without the customer. */
static bool unseal(struct replicator *rp, struct be_reader *r, const struct obj_meta *m,
		   struct outcome *o)
{
	uint8_t dk[KEYRING_KEY_SIZE];
	s3err_t err;

	if (m->sse_mode == SSE_NONE)
		return true;
	if (m->sse_mode == SSE_C) {
		set_out(o, REPL_OUT_REFUSED,
			"an SSE-C object cannot be replicated: its key is the client's and is not "
			"kept");
		o->local = true;
		return false;
	}
	if (!rp->keys || keyring_unwrap(rp->keys, m->sse_key_id, m->sse_envelope,
					m->sse_envelope_len, dk) != S3E_OK) {
		set_out(o, REPL_OUT_REFUSED, "the data key (master key id %s) cannot be unwrapped",
			m->sse_key_id);
		o->local = true;
		return false;
	}
	err = backend_reader_unseal(rp->be, r, dk);
	OPENSSL_cleanse(dk, sizeof(dk));
	if (err) {
		set_out(o, REPL_OUT_UNREACHABLE, "unsealing the source: %s", s3err_code(err));
		o->local = true;
		return false;
	}
	return true;
}

/* Logs a failure, at most once per site per LOG_EVERY_MS (a dead site must not flood). */
static void log_failure(struct replicator *rp, struct site *s, const struct repl_event *ev,
			const struct outcome *o)
{
	int64_t now = httptime_now_ms();
	unsigned suppressed = 0;
	bool emit = false;

	pthread_mutex_lock(&rp->lock);
	if (now - s->last_log_ms >= LOG_EVERY_MS) {
		emit = true;
		suppressed = s->suppressed;
		s->suppressed = 0;
		s->last_log_ms = now;
	} else {
		s->suppressed++;
	}
	pthread_mutex_unlock(&rp->lock);
	if (emit)
		log_warn(MOD, "%s/%s -> site %s bucket %s: %s (try %u; %u more failures not shown)",
			 ev->bucket, ev->key, ev->target.site, ev->target.bucket, o->error,
			 ev->attempts + 1, suppressed);
}

/* Records a failed try: the next one after the backoff; never dropped (P1). */
static void ship_failed(struct replicator *rp, struct site *s, const struct repl_event *ev,
			const struct outcome *o)
{
	uint32_t rnd = 0;
	uint64_t wait;
	s3err_t err;

	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = (uint32_t)httptime_now_ms();
	wait = replicator_backoff_ms(ev->attempts, rp->cfg->replication_retry_max, rnd);
	if (!o->local)
		metrics_add(METRIC_REPL_FAILURES, (unsigned)o->kind, 1);
	log_failure(rp, s, ev, o);
	err = backend_repl_retry(rp->be, ev->seq, httptime_now_ms() + (int64_t)wait, o->refused,
				 o->error);
	if (err)
		log_error(MOD, "%s/%s: cannot record the failed try of event %llu: %s", ev->bucket,
			  ev->key, (unsigned long long)ev->seq, s3err_code(err));
}

/* Makes the target's copy of ev's key match the source now (P1). */
static void ship(struct worker *w, const struct repl_event *ev)
{
	struct replicator *rp = w->rp;
	struct outcome o = {REPL_OUT_OK, false, false, ""};
	struct be_reader *r = NULL;
	struct obj_meta m;
	struct site *s;
	bool ok, present, gone, unchanged = false;
	s3err_t err;

	obj_meta_init(&m);
	s = site_find(rp, ev->target.site);
	if (!s) {
		set_out(&o, REPL_OUT_REFUSED, "site '%s' is not configured ([site NAME])",
			ev->target.site);
		o.local = true;
		ship_failed(rp, &rp->unknown, ev, &o);
		return;
	}
	if (ev->is_delete && ev->version_id[0]) {
		ok = ship_marker(w, s, ev, &o);
		goto end;
	}
	/* Q9: a versioned event ships its own version, not whatever is current now. */
	if (ev->version_id[0])
		err = backend_reader_open_v(rp->be, ev->bucket, ev->key, ev->version_id, &m, &r);
	else
		err = backend_reader_open(rp->be, ev->bucket, ev->key, &m, &r);
	present = err == S3E_OK;
	gone = err == S3E_NoSuchKey || err == S3E_NoSuchBucket || err == S3E_NoSuchVersion ||
	       err == S3E_MethodNotAllowed;
	if (err && !gone) {
		set_out(&o, REPL_OUT_UNREACHABLE, "opening the source: %s", s3err_code(err));
		o.local = true;
		ok = false;
	} else if (present) {
		ok = unseal(rp, r, &m, &o) && ship_put(w, s, ev, r, &m, &unchanged, &o);
		if (ok && unchanged) {
			metrics_add(METRIC_REPL_UNCHANGED, 0, 1);
		} else if (ok) {
			metrics_add(METRIC_REPL_SHIPPED, 0, 1);
			metrics_add(METRIC_REPL_BYTES, 0, m.size);
		}
	} else if (ev->version_id[0]) {
		ok = true; /* removed for good at the source: AWS does not replicate that either */
	} else {
		ok = ship_absent(w, s, ev, &o);
	}
end:
	if (r)
		backend_reader_close(rp->be, r);
	obj_meta_free(&m);
	if (ok) {
		err = backend_repl_done(rp->be, ev->seq);
		if (err)
			log_error(MOD, "%s/%s: cannot mark event %llu done: %s", ev->bucket,
				  ev->key, (unsigned long long)ev->seq, s3err_code(err));
		return;
	}
	if (atomic_load(&rp->stop))
		return; /* cut short by replicator_stop: still due, nothing recorded */
	ship_failed(rp, s, ev, &o);
}

/* ---- threads ---- */

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct replicator *rp = w->rp;
	size_t idx;

	for (;;) {
		pthread_mutex_lock(&rp->lock);
		while (!atomic_load(&rp->stop) && rp->rlen == 0)
			pthread_cond_wait(&rp->work, &rp->lock);
		if (atomic_load(&rp->stop)) {
			pthread_mutex_unlock(&rp->lock);
			return NULL;
		}
		idx = rp->ring[rp->rhead];
		rp->rhead = (rp->rhead + 1) % rp->nslots;
		rp->rlen--;
		pthread_mutex_unlock(&rp->lock);

		ship(w, &rp->slots[idx].ev);

		pthread_mutex_lock(&rp->lock);
		rp->slots[idx].used = false;
		rp->dirty = true;
		pthread_cond_signal(&rp->changed);
		pthread_mutex_unlock(&rp->lock);
	}
}

static bool collect(void *ctx, const struct repl_event *ev)
{
	struct replicator *rp = ctx;

	if (rp->nbatch == DUE_BATCH)
		return false;
	rp->batch[rp->nbatch++] = *ev;
	return true;
}

/* Refreshes the queue gauges from the backend (strata_replication_*). */
static void refresh_stats(struct replicator *rp, int64_t now)
{
	struct repl_stats st;

	if (now - rp->stats_ms < STATS_EVERY_MS)
		return;
	rp->stats_ms = now;
	if (backend_repl_stats(rp->be, NULL, &st) != S3E_OK)
		return;
	metrics_set(METRIC_REPL_QUEUE_DEPTH, 0, st.pending);
	metrics_set(METRIC_REPL_PENDING_BYTES, 0, st.bytes);
	metrics_set(METRIC_REPL_OLDEST_PENDING, 0,
		    st.oldest_created_ms && now > st.oldest_created_ms
			? (uint64_t)((now - st.oldest_created_ms) / 1000)
			: 0);
}

/* Hands the scanned events whose key is not in flight to free slots (P2). Under the lock. */
static size_t hand_out(struct replicator *rp)
{
	size_t i, j, free_slot, given = 0;

	for (i = 0; i < rp->nbatch; i++) {
		const struct repl_event *ev = &rp->batch[i];

		free_slot = rp->nslots;
		for (j = 0; j < rp->nslots; j++) {
			if (!rp->slots[j].used) {
				if (free_slot == rp->nslots)
					free_slot = j;
				continue;
			}
			if (strcmp(rp->slots[j].ev.bucket, ev->bucket) == 0 &&
			    strcmp(rp->slots[j].ev.key, ev->key) == 0)
				break;
		}
		if (j < rp->nslots)
			continue; /* this key is in flight */
		if (free_slot == rp->nslots)
			break; /* every slot busy: the end of a ship wakes us */
		rp->slots[free_slot].used = true;
		rp->slots[free_slot].ev = *ev;
		rp->ring[(rp->rhead + rp->rlen) % rp->nslots] = free_slot;
		rp->rlen++;
		given++;
	}
	return given;
}

static void *dispatcher_main(void *arg)
{
	struct replicator *rp = arg;
	struct timespec until;
	int64_t now;
	s3err_t err;

	while (!atomic_load(&rp->stop)) {
		now = httptime_now_ms();
		refresh_stats(rp, now);
		rp->nbatch = 0;
		err = backend_repl_due(rp->be, now, DUE_BATCH, collect, rp);
		if (err)
			log_error(MOD, "reading the queue: %s", s3err_code(err));

		pthread_mutex_lock(&rp->lock);
		if (hand_out(rp))
			pthread_cond_broadcast(&rp->work);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)rp->cfg->replication_interval;
		while (!atomic_load(&rp->stop) && !rp->dirty)
			if (pthread_cond_timedwait(&rp->changed, &rp->lock, &until) == ETIMEDOUT)
				break;
		rp->dirty = false;
		pthread_mutex_unlock(&rp->lock);
	}
	return NULL;
}

/* ---- start, wake, stop ---- */

static void rp_free(struct replicator *rp)
{
	unsigned i;

	for (i = 0; i < rp->nsites; i++)
		s3c_free(rp->sites[i].client);
	pthread_cond_destroy(&rp->work);
	pthread_cond_destroy(&rp->changed);
	pthread_mutex_destroy(&rp->lock);
	free(rp->batch);
	free(rp->ring);
	free(rp->slots);
	free(rp->workers);
	free(rp);
}

/* One client per site; replication retries itself, so the client gives up soon. */
static int open_sites(struct replicator *rp)
{
	unsigned i;

	for (i = 0; i < rp->cfg->nsites; i++) {
		const struct config_site *cs = &rp->cfg->sites[i];
		struct s3c_config sc = {
		    .endpoint = cs->endpoint,
		    .region = cs->region,
		    .access_key = cs->access_key,
		    .secret_key = cs->secret_key,
		    .ca_file = cs->ca_file,
		    .path_style = cs->path_style,
		    .connect_timeout_ms = 5000,
		    .io_timeout_ms = 30000,
		    .max_retries = 1,
		    .retry_base_ms = 200,
		    .retry_max_ms = 1000,
		    .quiet = true, /* failures are logged here, rate-limited per site */
		};

		if (!cs->encryption)
			log_warn(MOD,
				 "site %s: encryption = none: copies of encrypted objects are "
				 "stored there as the site stores anything",
				 cs->name);
		if (s3c_new(&sc, &rp->sites[i].client) != S3E_OK) {
			log_error(MOD, "site %s: cannot make a client for %s", cs->name,
				  cs->endpoint);
			return -1;
		}
		rp->sites[i].cfg = cs;
		rp->nsites = i + 1;
	}
	return 0;
}

int replicator_start(const struct replicator_opts *o, struct replicator **out)
{
	struct replicator *rp;
	pthread_condattr_t ca;
	unsigned i;

	*out = NULL;
	if (!o->cfg->nsites)
		return 0;
	if (!backend_can_replicate(o->be)) {
		log_warn(MOD, "sites are configured but this backend cannot replicate");
		return 0;
	}
	rp = calloc(1, sizeof(*rp));
	if (!rp)
		return -1;
	rp->be = o->be;
	rp->cfg = o->cfg;
	rp->keys = o->keys;
	rp->nworkers = o->cfg->replication_workers ? o->cfg->replication_workers : 1;
	rp->nslots = 2 * (size_t)rp->nworkers;
	rp->dirty = true;
	pthread_mutex_init(&rp->lock, NULL);
	pthread_cond_init(&rp->work, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rp->changed, &ca);
	pthread_condattr_destroy(&ca);
	rp->slots = calloc(rp->nslots, sizeof(*rp->slots));
	rp->ring = calloc(rp->nslots, sizeof(*rp->ring));
	rp->batch = calloc(DUE_BATCH, sizeof(*rp->batch));
	rp->workers = calloc(rp->nworkers, sizeof(*rp->workers));
	if (!rp->slots || !rp->ring || !rp->batch || !rp->workers || open_sites(rp) != 0)
		goto fail;
	for (i = 0; i < rp->nworkers; i++) {
		rp->workers[i].rp = rp;
		if (pthread_create(&rp->workers[i].thread, NULL, worker_main, &rp->workers[i]) != 0)
			goto fail;
		rp->started++;
	}
	if (pthread_create(&rp->dispatcher, NULL, dispatcher_main, rp) != 0)
		goto fail;
	rp->dispatcher_started = true;
	log_info(MOD, "%u workers shipping to %u site%s", rp->nworkers, rp->nsites,
		 rp->nsites == 1 ? "" : "s");
	*out = rp;
	return 0;
fail:
	log_error(MOD, "cannot start the replicator");
	replicator_stop(rp);
	return -1;
}

void replicator_wake(struct replicator *rp)
{
	if (!rp)
		return;
	pthread_mutex_lock(&rp->lock);
	rp->dirty = true;
	pthread_cond_signal(&rp->changed);
	pthread_mutex_unlock(&rp->lock);
}

void replicator_stop(struct replicator *rp)
{
	unsigned i;

	if (!rp)
		return;
	pthread_mutex_lock(&rp->lock);
	atomic_store(&rp->stop, true);
	pthread_cond_broadcast(&rp->work);
	pthread_cond_broadcast(&rp->changed);
	pthread_mutex_unlock(&rp->lock);
	if (rp->dispatcher_started)
		pthread_join(rp->dispatcher, NULL);
	for (i = 0; i < rp->started; i++)
		pthread_join(rp->workers[i].thread, NULL);
	rp_free(rp);
}
