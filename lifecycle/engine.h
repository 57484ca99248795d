/*
 * engine: applies buckets' lifecycle rules through the backend interface
 * (issue 6; the rules' meaning is lifecycle/rules.h).
 *
 * A pass visits every bucket that holds a "lifecycle" configuration document
 * (LC_BUCKET_CONFIG), evaluates each object and each multipart upload, and:
 *   - deletes expired objects, but only the version it evaluated
 *     (backend object_delete_if): an object written since the scan stays;
 *   - moves objects whose transition is due to their new class's tier
 *     (backend object_transition: copy, verify, switch, release; the same
 *     version check);
 *   - aborts multipart uploads older than AbortIncompleteMultipartUpload says;
 *   - in a bucket that was ever versioned (issue 12), walks its versions
 *     (backend version_scan, newest first per key) and removes noncurrent
 *     versions and expired object delete markers (backend version_expire,
 *     which keeps a locked version: Object Lock) or moves noncurrent
 *     versions to a tier (version_transition), each only while the version
 *     is still what the scan saw. A backend without these slots has its
 *     versioning actions skipped.
 *
 * Restores (RestoreObject) are the engine's too, for every bucket: a
 * restore pass makes the readable copies asked for (backend restore_run)
 * and releases the ones whose days are up (restore_release). It runs after
 * every rules pass, and at once when lc_engine_poke says one was asked for.
 *
 * A pass keeps no state: interrupted (stop flag, crash), the next one simply
 * evaluates again, and every action is idempotent. Actions are paced at most
 * `rate` per second so that a pass never floods the disk.
 */
#ifndef STRATA_LC_ENGINE_H
#define STRATA_LC_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "../backends/backend.h"

#define LC_BUCKET_CONFIG "lifecycle" /* the bucket configuration document of the rules */

struct lc_pass_opts {
	int64_t day_ms;		   /* length of a lifecycle day (config lifecycle_day_seconds) */
	int64_t now_ms;		   /* the pass's notion of now (0: the clock at its start) */
	const char *bucket;	   /* only this bucket; NULL: all */
	unsigned rate;		   /* actions per second at most; 0: unpaced */
	const volatile bool *stop; /* checked between objects; may be NULL */
};

struct lc_pass_stats {
	uint64_t buckets;	  /* buckets with rules */
	uint64_t objects;	  /* objects evaluated */
	uint64_t versions;	  /* noncurrent versions and latest delete markers evaluated */
	uint64_t expired;	  /* objects deleted, versions and markers removed */
	uint64_t transitioned;	  /* objects moved to another class */
	uint64_t bytes_moved;	  /* their bytes */
	uint64_t restored;	  /* readable copies made (restore pass) */
	uint64_t restore_expired; /* readable copies released (restore pass) */
	uint64_t aborted;	  /* uploads aborted */
	uint64_t skipped;  /* changed under the pass (a newer version), or locked: left alone */
	uint64_t failures; /* actions that failed (logged; retried by the next pass) */
};

/*
 * Runs one pass. Each action is logged (bucket, key, rule). Errors: the
 * backend's when it cannot list (a bucket whose stored rules do not parse is
 * logged and skipped, not fatal).
 */
s3err_t lc_pass(struct backend *be, const struct lc_pass_opts *o, struct lc_pass_stats *st);

/*
 * Runs one restore pass (see above); adds to st (which lc_pass zeroes, so
 * call it after). Errors: the backend's when it cannot list.
 */
s3err_t lc_restore_pass(struct backend *be, const struct lc_pass_opts *o, struct lc_pass_stats *st);

struct lc_engine;

/*
 * Starts the thread: a rules pass every interval seconds (the first one
 * interval after start-up; interval 0: no rules passes), and a restore pass
 * after each, or every LC_RESTORE_INTERVAL seconds without rules passes, or
 * at once on lc_engine_poke. Returns -1 (logged) if the thread cannot start.
 */
int lc_engine_start(struct backend *be, unsigned interval, int64_t day_ms, unsigned rate,
		    struct lc_engine **out);

#define LC_RESTORE_INTERVAL 60

/* A restore was asked for: run a restore pass now. NULL is fine. */
void lc_engine_poke(struct lc_engine *e);

/* Stops a pass in progress at its next object, joins the thread, frees e. NULL is fine. */
void lc_engine_stop(struct lc_engine *e);

#endif
