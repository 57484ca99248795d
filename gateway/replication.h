/*
 * replication: what a write or delete asks of bucket replication (issue 8),
 * decided by the gateway at commit time and handed to the backend, which
 * queues one durable event per target in the same atomic step
 * (backends/backend.h, "replication").
 *
 * A change asks one of three things:
 *  - nothing: the backend cannot replicate, or no Enabled rule of the
 *    bucket's configuration matches the key (the common case, and the cheap
 *    one: a cached "no configuration" answer, no parsing, no I/O);
 *  - "this is a replica": the authenticated user is one of
 *    replication_users (another site's replicator). Stored as REPLICA and
 *    never replicated further, which keeps two sites that replicate to each
 *    other out of a loop;
 *  - targets: one per destination chosen by rr_match (common/replrules.h).
 *
 * The bucket's rules are read through a small cache of parsed
 * configurations, keyed by (backend, bucket): at most REPL_CACHE_ENTRIES
 * buckets and REPL_CACHE_RULES rules in all, each entry trusted for
 * REPL_CACHE_TTL_MS so that a change made through another instance is seen
 * within that time. Put/DeleteBucketReplication and DeleteBucket drop the
 * bucket's entry at once (repl_cache_invalidate). The lock is never held
 * across I/O: a miss loads and parses outside it, and a load that raced
 * with an invalidation is used once but not cached.
 *
 * A stored configuration whose destination no longer resolves (its site
 * was removed from the configuration file) makes writes to the bucket fail
 * with InternalError and a message naming the problem: an acknowledged
 * write that silently skips replication would be worse than a refused one.
 */
#ifndef STRATA_GW_REPLICATION_H
#define STRATA_GW_REPLICATION_H

#include <stdbool.h>
#include <stdint.h>

#include "../backends/backend.h"
#include "../common/config.h"
#include "../common/s3err.h"

struct request;
struct repl_cache; /* parsed configurations of recent buckets; one per server */

#define REPL_CACHE_ENTRIES 64
#define REPL_CACHE_RULES 4096
#define REPL_CACHE_TTL_MS 3000

/* A cache (NULL when out of memory); free with repl_cache_free (NULL is fine). */
struct repl_cache *repl_cache_new(void);
void repl_cache_free(struct repl_cache *cache);

/*
 * What a change to key of bucket, made by user (NULL: not a replica), asks
 * of replication, into *out (written only on success), through cache (NULL:
 * the configuration is read every time). Does not need a request, so that
 * `strata replicate resync` can use it.
 * Errors (with *message set to a static text or NULL): S3E_InternalError
 * (the stored configuration does not parse or its site is gone; out of
 * memory); a backend error reading the configuration.
 */
s3err_t repl_request_compute(struct repl_cache *cache, struct backend *be, const struct config *cfg,
			     const char *bucket, const char *key, bool is_delete, const char *user,
			     struct repl_request *out, const char **message);

/*
 * repl_request_compute for r's bucket and the authenticated user, failing
 * r (req_fail) on error. A replica's request also takes the version id
 * sent in REPL_KEEP_VERSION_HEADER (backend.h); that header from any user
 * not in replication_users is AccessDenied, a malformed id InvalidArgument.
 */
s3err_t repl_request_for(struct request *r, const char *key, bool is_delete,
			 struct repl_request *out);

/*
 * Resync (`strata replicate resync`): queues, for every object of bucket
 * its rules send somewhere, the write of its current version
 * (backend_repl_enqueue), so the replicator makes each site's copy match
 * again: a copy deleted or changed there by hand comes back, and one that
 * already matches costs the replicator one HEAD (target_matches). Counts
 * the objects looked at and those queued. Stops between batches when *stop
 * (may be NULL) becomes true. Errors (with *message as
 * repl_request_compute's): NoSuchBucket, NotImplemented (the backend cannot
 * replicate), the backend's.
 */
s3err_t repl_resync_bucket(struct backend *be, const struct config *cfg, const char *bucket,
			   const volatile bool *stop, uint64_t *objects, uint64_t *queued,
			   const char **message);

/*
 * The queue's counts as `strata replicate status` prints them (and the admin
 * listener's /replication/status answers): lines "pending: N", "failed: N",
 * "oldest pending: N s", "bytes pending: N", after a title naming bucket
 * (NULL: all buckets).
 */
void repl_status_text(const struct repl_stats *st, const char *bucket, int64_t now_ms, char *out,
		      size_t cap);

/* Drops bucket's cached configuration. NULL cache is fine. */
void repl_cache_invalidate(struct repl_cache *cache, const char *bucket);

#endif
