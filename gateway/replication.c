/*
 * replication: the gateway's side of a change's replication (see
 * replication.h): replica detection, the per-bucket cache of parsed rules,
 * and the translation of matched rules into backend targets.
 *
 * Cache invariants:
 *  C1. An entry is used only while younger than REPL_CACHE_TTL_MS.
 *  C2. Entries hold at most REPL_CACHE_RULES rules in all (memory is bounded
 *      by the rule count, about 1.5 KiB each, not by the number of buckets).
 *  C3. An entry loaded before an invalidation is never inserted after it
 *      (the generation is read before the load and checked at insertion).
 *  C4. The mutex guards only memory: loads and parses run outside it.
 *
 * The cache is the server's (struct server.repl_cache, made by
 * repl_cache_new), so this module holds no state of its own.
 */
#include "replication.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/httptime.h"
#include "../common/log.h"
#include "../common/replrules.h"
#include "../common/strutil.h"
#include "request.h"
#include "server.h"

_Static_assert(RR_MAX_DESTINATIONS == REPL_MAX_TARGETS, "one target per destination");
_Static_assert(RR_SITE_MAX == REPL_SITE_NAME_MAX, "site names fit targets");
_Static_assert(RR_ID_MAX + 1 == sizeof(((struct repl_target *)0)->rule_id), "rule IDs fit");

static const char M_STORED[] =
    "The bucket's replication configuration no longer matches this server's sites (a "
    "destination site was removed or renamed): fix the [site] sections or put a new "
    "replication configuration; writes are refused rather than left unreplicated.";

struct entry {
	bool used;
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
	int64_t loaded_ms;
	uint64_t last_use;
	s3err_t err;	      /* the stored document failed to parse (kept until C1 expires) */
	struct rr_config cfg; /* nrules 0: the bucket has no configuration */
};

struct repl_cache {
	pthread_mutex_t mu;
	uint64_t gen;  /* bumped by every invalidation (C3) */
	uint64_t tick; /* LRU clock */
	size_t rules;  /* C2 */
	struct entry e[REPL_CACHE_ENTRIES];
};

struct repl_cache *repl_cache_new(void)
{
	struct repl_cache *c = calloc(1, sizeof(*c));

	if (c && pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

/* Under the lock. */
static void entry_drop(struct repl_cache *cache, struct entry *e)
{
	cache->rules -= e->cfg.nrules;
	rr_config_free(&e->cfg);
	e->used = false;
}

/* Under the lock: the fresh entry of bucket, or NULL (a stale one is dropped). */
static struct entry *entry_find(struct repl_cache *cache, const char *bucket, int64_t now)
{
	size_t i;

	for (i = 0; i < REPL_CACHE_ENTRIES; i++) {
		struct entry *e = &cache->e[i];

		if (!e->used || strcmp(e->bucket, bucket) != 0)
			continue;
		if (now < e->loaded_ms || now - e->loaded_ms >= REPL_CACHE_TTL_MS) {
			entry_drop(cache, e);
			return NULL;
		}
		e->last_use = ++cache->tick;
		return e;
	}
	return NULL;
}

/* Under the lock: a free slot with room for nrules more (C2), evicting the least used. */
static struct entry *entry_make_room(struct repl_cache *cache, size_t nrules)
{
	struct entry *free_slot, *lru;
	size_t i;

	if (nrules > REPL_CACHE_RULES)
		return NULL;
	for (;;) {
		free_slot = lru = NULL;
		for (i = 0; i < REPL_CACHE_ENTRIES; i++) {
			struct entry *e = &cache->e[i];

			if (!e->used && !free_slot)
				free_slot = e;
			if (e->used && (!lru || e->last_use < lru->last_use))
				lru = e;
		}
		if (free_slot && cache->rules + nrules <= REPL_CACHE_RULES)
			return free_slot;
		if (!lru)
			return NULL;
		entry_drop(cache, lru);
	}
}

/* The targets c gives key, into out (replica false). */
static void targets_of(const struct rr_config *c, const char *key, bool is_delete,
		       struct repl_request *out)
{
	const struct rr_rule *win[RR_MAX_DESTINATIONS];
	size_t i, n = rr_match(c, key, is_delete, win, RR_MAX_DESTINATIONS);

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		struct repl_target *t = &out->t[i];

		str_copy(t->site, sizeof(t->site), win[i]->site);
		str_copy(t->bucket, sizeof(t->bucket), win[i]->bucket);
		str_copy(t->storage_class, sizeof(t->storage_class), win[i]->storage_class);
		str_copy(t->rule_id, sizeof(t->rule_id), win[i]->id);
		t->deletes = win[i]->deletes;
	}
	out->n = n;
}

/* Reads and parses bucket's stored configuration (nrules 0 when it has none). I/O: no lock. */
static s3err_t load(struct backend *be, const struct config *cfg, const char *bucket,
		    struct rr_config *out, s3err_t *parse_err)
{
	char *doc = malloc(STRATA_MAX_BUCKET_CONFIG);
	const char *msg = NULL;
	bool found = false;
	size_t len = 0;
	s3err_t err;

	memset(out, 0, sizeof(*out));
	*parse_err = S3E_OK;
	if (!doc)
		return S3E_InternalError;
	err = backend_bucket_config_get(be, bucket, RR_BUCKET_CONFIG, doc, STRATA_MAX_BUCKET_CONFIG,
					&len, &found);
	if (!err && found &&
	    (*parse_err = rr_parse(doc, len, rr_site_from_config, (void *)cfg, out, &msg)))
		log_error("replication", "bucket %s: stored replication configuration refused (%s)",
			  bucket, msg);
	free(doc);
	return err;
}

static bool is_replication_user(const struct config *cfg, const char *user)
{
	unsigned i;

	for (i = 0; user && i < cfg->nreplication_users; i++)
		if (strcmp(cfg->replication_users[i], user) == 0)
			return true;
	return false;
}

s3err_t repl_request_compute(struct repl_cache *cache, struct backend *be, const struct config *cfg,
			     const char *bucket, const char *key, bool is_delete, const char *user,
			     struct repl_request *out, const char **message)
{
	int64_t now = httptime_now_ms();
	struct rr_config loaded;
	struct entry *e;
	s3err_t err, parse_err;
	uint64_t gen = 0;

	*message = NULL;
	if (!backend_can_replicate(be)) {
		memset(out, 0, sizeof(*out)); /* nothing can be queued nor marked */
		return S3E_OK;
	}
	if (is_replication_user(cfg, user)) {
		memset(out, 0, sizeof(*out));
		out->replica = true;
		return S3E_OK;
	}
	if (cache) {
		pthread_mutex_lock(&cache->mu);
		e = entry_find(cache, bucket, now);
		if (e) {
			err = e->err;
			if (!err)
				targets_of(&e->cfg, key, is_delete, out);
			pthread_mutex_unlock(&cache->mu);
			*message = err ? M_STORED : NULL;
			return err ? S3E_InternalError : S3E_OK;
		}
		gen = cache->gen;
		pthread_mutex_unlock(&cache->mu);
	}

	if ((err = load(be, cfg, bucket, &loaded, &parse_err)))
		return err;
	if (!parse_err)
		targets_of(&loaded, key, is_delete, out);
	if (cache) {
		pthread_mutex_lock(&cache->mu);
		if (gen == cache->gen && !entry_find(cache, bucket, now) &&
		    (e = entry_make_room(cache, loaded.nrules))) {
			e->used = true;
			str_copy(e->bucket, sizeof(e->bucket), bucket);
			e->loaded_ms = now;
			e->last_use = ++cache->tick;
			e->err = parse_err;
			e->cfg = loaded; /* the cache owns it now */
			cache->rules += loaded.nrules;
			memset(&loaded, 0, sizeof(loaded));
		}
		pthread_mutex_unlock(&cache->mu);
	}
	rr_config_free(&loaded);
	if (parse_err) {
		*message = M_STORED;
		return S3E_InternalError;
	}
	return S3E_OK;
}

/*
 * REPL_KEEP_VERSION_HEADER: only another site's replicator may choose a
 * version id. Anyone else could otherwise forge a version history (an id
 * that sorts or reads like an older one), so the header is refused, never
 * ignored; a malformed id is refused too.
 */
static s3err_t keep_version(struct request *r, bool replica, struct repl_request *out)
{
	const char *vid = req_header(r, REPL_KEEP_VERSION_HEADER);

	if (!vid)
		return S3E_OK;
	if (!is_replication_user(r->srv->cfg, r->auth.user.name))
		return req_fail(r, S3E_AccessDenied,
				REPL_KEEP_VERSION_HEADER " is for replication users only.");
	if (!versions_id_valid(vid) || strcmp(vid, "null") == 0)
		return req_fail(r, S3E_InvalidArgument,
				"Invalid version id in " REPL_KEEP_VERSION_HEADER ".");
	/* A backend that cannot replicate marks no replica: it makes its own ids, as any store. */
	if (replica)
		str_copy(out->version_id, sizeof(out->version_id), vid);
	return S3E_OK;
}

s3err_t repl_request_for(struct request *r, const char *key, bool is_delete,
			 struct repl_request *out)
{
	const char *msg = NULL;
	s3err_t err = repl_request_compute(r->srv->repl_cache, r->srv->be, r->srv->cfg, r->bucket,
					   key, is_delete, r->auth.user.name, out, &msg);

	if (err)
		return req_fail(r, err, msg);
	return keep_version(r, out->replica, out);
}

void repl_cache_invalidate(struct repl_cache *cache, const char *bucket)
{
	size_t i;

	if (!cache)
		return;
	pthread_mutex_lock(&cache->mu);
	cache->gen++;
	for (i = 0; i < REPL_CACHE_ENTRIES; i++)
		if (cache->e[i].used && strcmp(cache->e[i].bucket, bucket) == 0)
			entry_drop(cache, &cache->e[i]);
	pthread_mutex_unlock(&cache->mu);
}

void repl_cache_free(struct repl_cache *cache)
{
	size_t i;

	if (!cache)
		return;
	for (i = 0; i < REPL_CACHE_ENTRIES; i++)
		if (cache->e[i].used)
			entry_drop(cache, &cache->e[i]);
	pthread_mutex_destroy(&cache->mu);
	free(cache);
}

/* ---- resync ---- */

#define RESYNC_BATCH 256u /* keys copied out of one scan before they are queued */

struct key_batch {
	char (*keys)[STRATA_MAX_KEY_LEN + 1];
	size_t n;
};

static bool collect_key(void *ctx, const char *key, const struct obj_meta *m)
{
	struct key_batch *kb = ctx;

	(void)m;
	str_copy(kb->keys[kb->n++], sizeof(kb->keys[0]), key);
	return kb->n < RESYNC_BATCH;
}

s3err_t repl_resync_bucket(struct backend *be, const struct config *cfg, const char *bucket,
			   const volatile bool *stop, uint64_t *objects, uint64_t *queued,
			   const char **message)
{
	struct key_batch kb = {calloc(RESYNC_BATCH, sizeof(*kb.keys)), 0};
	char *after = calloc(1, STRATA_MAX_KEY_LEN + 1);
	struct repl_cache *cache = repl_cache_new(); /* the rules are read once, not per key */
	struct repl_request rq;
	s3err_t err = S3E_OK;
	size_t i;

	*objects = *queued = 0;
	*message = NULL;
	if (!kb.keys || !after || !cache)
		err = S3E_InternalError;
	else if (!backend_can_replicate(be))
		err = S3E_NotImplemented;
	/* Scans copy keys out and queue after each returns: no backend call nests in a scan. */
	while (!err && !(stop && *stop)) {
		kb.n = 0;
		err = backend_object_scan(be, bucket, after, false, "", RESYNC_BATCH, collect_key,
					  &kb);
		for (i = 0; !err && i < kb.n; i++) {
			err = repl_request_compute(cache, be, cfg, bucket, kb.keys[i], false, NULL,
						   &rq, message);
			if (!err && rq.n) {
				err = backend_repl_enqueue(be, bucket, kb.keys[i], &rq);
				*queued += !err;
			}
			(*objects)++;
		}
		if (err || kb.n < RESYNC_BATCH)
			break;
		str_copy(after, STRATA_MAX_KEY_LEN + 1, kb.keys[kb.n - 1]);
	}
	repl_cache_free(cache);
	free(after);
	free(kb.keys);
	return err;
}

void repl_status_text(const struct repl_stats *st, const char *bucket, int64_t now_ms, char *out,
		      size_t cap)
{
	int64_t age_ms = st->oldest_created_ms ? now_ms - st->oldest_created_ms : 0;

	snprintf(out, cap,
		 "replication queue of %s\npending: %llu\nfailed: %llu\noldest pending: %lld s\n"
		 "bytes pending: %llu\n",
		 bucket ? bucket : "all buckets", (unsigned long long)st->pending,
		 (unsigned long long)st->failed, (long long)(age_ms > 0 ? age_ms / 1000 : 0),
		 (unsigned long long)st->bytes);
}
