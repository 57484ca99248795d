/*
 * posix_open: opening and closing the backend: its locations (the data
 * directory and each storage tier: directory tree, LOCK, tmp/ swept), the
 * configured tiers checked, the index opened, migrated and recovered.
 *
 * Invariants (numbered at the top of posix.c and of the files named): P3,
 * tmp/ holds only files of this process's live writers (tmp_sweep under
 * the flock of dir_lock); T1 and T2 (posix_tiers.c), every location is a
 * directory of its own, and no row names a tier that is not configured
 * (tiers_in_use_check); P2, gc rows a crash left are drained before the
 * backend serves (open_recover); P8, the index reserve is filled at open.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* openat family, pread and flock under -std=c11 */
#endif
#include "posix.h"
#include "posix_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../common/log.h"
#include "s3client.h"

/* --- locations (T1) --- */

const struct posix_loc *posix_loc_find(const struct posix_be *pb, const char *tier)
{
	size_t i;

	for (i = 0; i < pb->nloc; i++)
		if (strcmp(pb->loc[i].tier, tier) == 0)
			return &pb->loc[i];
	return NULL;
}

const struct posix_loc *posix_loc_for_class(const struct posix_be *pb, const char *storage_class)
{
	const struct posix_loc *l;

	/* "" never names a tier (T1): it is the home's own name. */
	if (!storage_class[0])
		return &pb->loc[0];
	l = posix_loc_find(pb, storage_class);
	return l ? l : &pb->loc[0];
}

/* --- opening and closing --- */

/* mkdir -p: creates dir and missing parents with mode 0700. */
static s3err_t mkdir_p(const char *dir)
{
	char path[STRATA_MAX_PATH];
	size_t n = strlen(dir), i;

	if (n == 0 || n >= sizeof(path)) {
		log_error(POSIX_LOG_MOD, "directory path is empty or too long: %.64s", dir);
		return S3E_InternalError;
	}
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			int e = errno;

			log_error(POSIX_LOG_MOD, "mkdir %s: %s", path, strerror(e));
			return S3E_InternalError;
		}
		if (i < n)
			path[i] = '/';
	}
	return S3E_OK;
}

/* Creates (if needed) and opens the subdirectory name of loc's root. */
static s3err_t subdir_open(const struct posix_loc *loc, const char *name, int *out)
{
	int fd, e;

	if (mkdirat(loc->rootfd, name, 0700) != 0 && errno != EEXIST) {
		e = errno;
		log_error(POSIX_LOG_MOD, "mkdir %s/%s: %s", loc->dir, name, strerror(e));
		return S3E_InternalError;
	}
	fd = openat(loc->rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "open %s/%s: %s", loc->dir, name, strerror(e));
		return S3E_InternalError;
	}
	*out = fd;
	return S3E_OK;
}

/*
 * Creates loc's 256 objects/xx directories up front and makes its directory
 * tree durable, so that a commit only has to fsync its own xx directory.
 */
static s3err_t tree_prepare(const struct posix_loc *loc)
{
	static const char digits[] = "0123456789abcdef";
	char xx[3] = "";
	int i, e;

	for (i = 0; i < 256; i++) {
		xx[0] = digits[i >> 4];
		xx[1] = digits[i & 15];
		if (mkdirat(loc->objfd, xx, 0700) != 0 && errno != EEXIST) {
			e = errno;
			log_error(POSIX_LOG_MOD, "mkdir %s/objects/%s: %s", loc->dir, xx,
				  strerror(e));
			return S3E_InternalError;
		}
	}
	if (fsync(loc->objfd) != 0 || fsync(loc->tmpfd) != 0 || fsync(loc->rootfd) != 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "fsync %s: %s", loc->dir, strerror(e));
		return S3E_InternalError;
	}
	return S3E_OK;
}

/*
 * Removes every file left in loc's tmp/ by writers (and transitions) of a
 * previous run (invariant 3, T1).
 */
static s3err_t tmp_sweep(const struct posix_loc *loc)
{
	struct dirent *de;
	size_t removed = 0;
	DIR *d;
	int fd, e;

	fd = openat(loc->rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		e = errno;
		log_error(POSIX_LOG_MOD, "opendir %s/tmp: %s", loc->dir, strerror(e));
		if (fd >= 0)
			close(fd);
		return S3E_InternalError;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(loc->tmpfd, de->d_name, 0) != 0) {
			e = errno;
			log_warn(POSIX_LOG_MOD, "unlink %s/tmp/%s: %s", loc->dir, de->d_name,
				 strerror(e));
			continue;
		}
		removed++;
	}
	e = errno;
	closedir(d);
	if (e != 0) {
		log_error(POSIX_LOG_MOD, "readdir %s/tmp: %s", loc->dir, strerror(e));
		return S3E_InternalError;
	}
	if (removed > 0)
		log_info(POSIX_LOG_MOD, "removed %zu unfinished upload(s) from %s/tmp", removed,
			 loc->dir);
	return S3E_OK;
}

/*
 * Finishes deletions that a crash interrupted after their commit (P2) and
 * forgets completed uploads past their keep time (M8).
 */
static s3err_t open_recover(struct posix_be *pb, struct conn *c)
{
	s3err_t err;

	err = posix_tx_begin(c);
	if (err == S3E_OK)
		err = posix_mp_prune(c, posix_now_ms());
	if (err == S3E_OK)
		err = posix_tx_commit(c);
	posix_tx_rollback(c);
	if (err == S3E_OK)
		err = posix_gc_drain(pb, c);
	return err;
}

/* Closes what loc_open opened (the flock goes with its fd). */
static void loc_close(struct posix_loc *loc)
{
	posix_remote_detach(loc);
	if (loc->objfd >= 0)
		close(loc->objfd);
	if (loc->tmpfd >= 0)
		close(loc->tmpfd);
	if (loc->rootfd >= 0)
		close(loc->rootfd);
	if (loc->lockfd >= 0)
		close(loc->lockfd); /* releases the flock */
	free(loc->dir);
	loc->dir = NULL;
	loc->objfd = loc->tmpfd = loc->rootfd = loc->lockfd = -1;
}

void posix_close(struct backend *be)
{
	struct posix_be *pb = (struct posix_be *)be;
	size_t l;
	int i, j;

	if (!pb)
		return;
	for (i = 0; i < POSIX_NCONN; i++) {
		for (j = 0; j < ST__COUNT; j++)
			sqlite3_finalize(pb->conns[i].st[j]);
		if (pb->conns[i].db && sqlite3_close(pb->conns[i].db) != SQLITE_OK)
			log_error(POSIX_LOG_MOD, "close %s/index.db: %s", pb->dir,
				  sqlite3_errmsg(pb->conns[i].db));
	}
	posix_ocache_free(pb->ocache); /* after the last connection: its hook uses it */
	for (l = 0; l < POSIX_NLOC; l++)
		loc_close(&pb->loc[l]);
	if (pb->sync_ready) {
		posix_batch_destroy(&pb->batch);
		posix_bcache_destroy(&pb->bcache);
		pthread_mutex_destroy(&pb->later_mu);
		pthread_mutex_destroy(&pb->write_mu);
		pthread_cond_destroy(&pb->cv);
		pthread_mutex_destroy(&pb->mu);
	}
	s3c_free(pb->client);
	free(pb->dir);
	free(pb);
}

/* Takes the exclusive lock of loc's directory (invariant 3, T1). */
static s3err_t dir_lock(struct posix_loc *loc)
{
	int e;

	loc->lockfd = openat(loc->rootfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (loc->lockfd < 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "open %s/LOCK: %s", loc->dir, strerror(e));
		return S3E_InternalError;
	}
	if (flock(loc->lockfd, LOCK_EX | LOCK_NB) != 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "%s is in use by another strata process (flock: %s)",
			  loc->dir, strerror(e));
		return S3E_InternalError;
	}
	return S3E_OK;
}

/*
 * Opens (creating) the location tier at dir (T1): its root, locked, with
 * objects/xx/ and tmp/ made durable, and tmp/ emptied (P3).
 */
static s3err_t loc_open(struct posix_loc *loc, const char *tier, const char *dir)
{
	s3err_t err;
	int e;

	snprintf(loc->tier, sizeof(loc->tier), "%s", tier);
	loc->dir = strdup(dir);
	if (!loc->dir)
		return S3E_InternalError;
	err = mkdir_p(dir);
	if (err != S3E_OK)
		return err;
	loc->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (loc->rootfd < 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "open %s: %s", dir, strerror(e));
		return S3E_InternalError;
	}
	err = dir_lock(loc);
	if (err == S3E_OK)
		err = subdir_open(loc, "objects", &loc->objfd);
	if (err == S3E_OK)
		err = subdir_open(loc, "tmp", &loc->tmpfd);
	if (err == S3E_OK)
		err = tree_prepare(loc);
	if (err == S3E_OK)
		err = tmp_sweep(loc);
	return err;
}

/* A tier name: 1..POSIX_TIER_MAX-1 of [A-Z0-9_], as AWS storage classes are. */
static bool tier_name_ok(const char *cls)
{
	size_t i, n = strnlen(cls, POSIX_TIER_MAX);

	if (n == 0 || n == POSIX_TIER_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((cls[i] >= 'A' && cls[i] <= 'Z') || (cls[i] >= '0' && cls[i] <= '9') ||
		      cls[i] == '_'))
			return false;
	return true;
}

/* A configured tier is usable: a valid class, not the home's, not seen before, a directory. */
static bool tier_valid(const struct posix_be *pb, const struct posix_tier *t, size_t i)
{
	if (!t->storage_class || !tier_name_ok(t->storage_class) ||
	    strcmp(t->storage_class, "STANDARD") == 0 || !t->dir || !t->dir[0]) {
		log_error(POSIX_LOG_MOD,
			  "storage tier %zu: a class of [A-Z0-9_] other than STANDARD and a "
			  "directory are required (got %.32s)",
			  i + 1, t->storage_class ? t->storage_class : "none");
		return false;
	}
	if (posix_loc_find(pb, t->storage_class)) {
		log_error(POSIX_LOG_MOD, "storage tier %s is configured twice", t->storage_class);
		return false;
	}
	return true;
}

/*
 * true when dir (if it exists yet) is the root of an open location: one
 * objects/ for two locations would make each see the other's files as
 * orphans and let gc unlink across them (T1). Checked before the tier is
 * locked or its tmp/ swept.
 */
static bool tier_root_taken(const struct posix_be *pb, const struct posix_tier *t)
{
	struct stat a, b;
	size_t j;

	if (posix_remote_url_is(t->dir) || stat(t->dir, &a) != 0)
		return false; /* remote (remote_tier_open checks), or not there yet */
	for (j = 0; j < pb->nloc; j++) {
		if (fstat(pb->loc[j].rootfd, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			log_error(POSIX_LOG_MOD,
				  "storage tier %s: %s is the directory of %s already",
				  t->storage_class, t->dir,
				  j == 0 ? "the data directory" : pb->loc[j].tier);
			return true;
		}
	}
	return false;
}

/*
 * Opens the tier t in a remote bucket (X1, X7), making the client of
 * remote tiers on the first one. Two tiers may share a bucket only under
 * different prefixes, or gc and the orphan pass of one would act on the
 * other's objects (T1).
 */
static s3err_t remote_tier_open(struct posix_be *pb, const struct posix_tier *t)
{
	struct posix_loc *loc = &pb->loc[pb->nloc];
	size_t j;
	s3err_t err;

	for (j = 1; j < pb->nloc; j++) {
		if (pb->loc[j].remote && posix_remote_same(&pb->loc[j], t->dir)) {
			log_error(POSIX_LOG_MOD,
				  "storage tier %s: %s is the location of tier %s already",
				  t->storage_class, t->dir, pb->loc[j].tier);
			return S3E_InternalError;
		}
	}
	if (!pb->client && posix_remote_client(&pb->opts.remote, &pb->client) != S3E_OK)
		return S3E_InternalError; /* logged, naming the settings */
	snprintf(loc->tier, sizeof(loc->tier), "%s", t->storage_class);
	pb->nloc++; /* counted even half-open: posix_close closes what it holds */
	err = posix_remote_attach(loc, pb->client, t->dir, &pb->loc[0]);
	return err == S3E_OK ? S3E_OK : S3E_InternalError;
}

/* Opens every configured tier after the home (T1). */
static s3err_t tiers_open(struct posix_be *pb, const struct posix_opts *opts)
{
	s3err_t err;
	size_t i;

	if (opts->ntiers > POSIX_MAX_TIERS) {
		log_error(POSIX_LOG_MOD, "%zu storage tiers configured; at most %u", opts->ntiers,
			  POSIX_MAX_TIERS);
		return S3E_InternalError;
	}
	for (i = 0; i < opts->ntiers; i++) {
		const struct posix_tier *t = &opts->tiers[i];

		if (!tier_valid(pb, t, i) || tier_root_taken(pb, t))
			return S3E_InternalError;
		if (posix_remote_url_is(t->dir)) {
			err = remote_tier_open(pb, t);
			if (err != S3E_OK)
				return err;
			continue;
		}
		err = loc_open(&pb->loc[pb->nloc], t->storage_class, t->dir);
		pb->nloc++; /* counted even half-open: posix_close closes what it holds */
		if (err != S3E_OK)
			return err;
	}
	return S3E_OK;
}

/*
 * T2: the next tier name in use in each table above ?1, by one seek of its
 * partial *_by_tier index (gc: its primary key).
 */
static const char *const tier_next_sql[] = {
    "SELECT min(tier) FROM objects WHERE tier <> '' AND tier > ?1",
    "SELECT min(tier) FROM parts WHERE tier <> '' AND tier > ?1",
    "SELECT min(tier) FROM object_parts WHERE tier <> '' AND tier > ?1",
    "SELECT min(tier) FROM gc WHERE tier <> '' AND tier > ?1",
};

/*
 * T2: refuses to open when a row says a file lives in a tier that is not
 * configured: serving without it would answer errors for those objects and
 * report their files missing, and gc could not release them.
 */
static s3err_t tiers_in_use_check(struct posix_be *pb, struct conn *c)
{
	char after[POSIX_TIER_MAX + 1], t[POSIX_TIER_MAX + 1];
	sqlite3_stmt *st = NULL;
	s3err_t err = S3E_OK;
	size_t i;
	int rc;

	for (i = 0; err == S3E_OK && i < sizeof(tier_next_sql) / sizeof(tier_next_sql[0]); i++) {
		rc = sqlite3_prepare_v2(c->db, tier_next_sql[i], -1, &st, NULL);
		after[0] = '\0';
		while (rc == SQLITE_OK) {
			rc = posix_bind_text(st, 1, after);
			if (rc == SQLITE_OK)
				rc = sqlite3_step(st);
			if (rc != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL)
				break;
			/* A name too long for any tier is cut, and found unconfigured below. */
			snprintf(t, sizeof(t), "%s", (const char *)sqlite3_column_text(st, 0));
			if (!posix_loc_find(pb, t)) {
				log_error(POSIX_LOG_MOD,
					  "%s/index.db: data files live in storage tier %s, which "
					  "is not configured: add tier_%s = DIR (its directory) to "
					  "the configuration",
					  pb->dir, t, t);
				err = S3E_InternalError;
				break;
			}
			memcpy(after, t, sizeof(after));
			sqlite3_reset(st);
			rc = SQLITE_OK;
		}
		if (err == S3E_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
			err = posix_db_err(c, rc, "tier check");
		sqlite3_finalize(st);
		st = NULL;
	}
	return err;
}

s3err_t posix_open(const char *dir, struct backend **out)
{
	static const struct posix_opts defaults;

	return posix_open_opts(dir, &defaults, out);
}

s3err_t posix_open_opts(const char *dir, const struct posix_opts *opts, struct backend **out)
{
	char path[STRATA_MAX_PATH];
	struct posix_be *pb;
	s3err_t err = S3E_InternalError;
	size_t l;
	int i, n;

	if (!sqlite3_threadsafe()) {
		log_error(POSIX_LOG_MOD, "the SQLite library was built without thread support");
		return S3E_InternalError;
	}
	pb = calloc(1, sizeof(*pb));
	if (!pb)
		return S3E_InternalError;
	pb->base.ops = &posix_ops;
	pb->opts = *opts;
	for (l = 0; l < POSIX_NLOC; l++)
		pb->loc[l].objfd = pb->loc[l].tmpfd = pb->loc[l].rootfd = pb->loc[l].lockfd = -1;
	pb->dir = strdup(dir);
	if (!pb->dir)
		goto out;
	if (pthread_mutex_init(&pb->mu, NULL) != 0)
		goto out;
	if (pthread_cond_init(&pb->cv, NULL) != 0) {
		pthread_mutex_destroy(&pb->mu);
		goto out;
	}
	if (pthread_mutex_init(&pb->write_mu, NULL) != 0) {
		pthread_cond_destroy(&pb->cv);
		pthread_mutex_destroy(&pb->mu);
		goto out;
	}
	if (pthread_mutex_init(&pb->later_mu, NULL) != 0) {
		pthread_mutex_destroy(&pb->write_mu);
		pthread_cond_destroy(&pb->cv);
		pthread_mutex_destroy(&pb->mu);
		goto out;
	}
	if (!posix_bcache_init(&pb->bcache)) {
		pthread_mutex_destroy(&pb->later_mu);
		pthread_mutex_destroy(&pb->write_mu);
		pthread_cond_destroy(&pb->cv);
		pthread_mutex_destroy(&pb->mu);
		goto out;
	}
	if (!posix_batch_init(&pb->batch)) {
		posix_bcache_destroy(&pb->bcache);
		pthread_mutex_destroy(&pb->later_mu);
		pthread_mutex_destroy(&pb->write_mu);
		pthread_cond_destroy(&pb->cv);
		pthread_mutex_destroy(&pb->mu);
		goto out;
	}
	pb->sync_ready = true;
	pb->ocache = posix_ocache_new(); /* before any connection: their hooks move it (O1) */
	if (!pb->ocache)
		goto out;

	/* The home first (its LOCK guards the index too), then the tiers (T1). */
	pb->nloc = 1;
	err = loc_open(&pb->loc[0], "", dir);
	if (err == S3E_OK)
		err = posix_index_precreate(pb);
	if (err == S3E_OK)
		err = tiers_open(pb, opts);
	if (err != S3E_OK)
		goto out;

	n = snprintf(path, sizeof(path), "%s/index.db", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_error(POSIX_LOG_MOD, "data directory path too long: %s", dir);
		err = S3E_InternalError;
		goto out;
	}
	err = posix_conn_open(pb, path, &pb->conns[0]);
	if (err == S3E_OK)
		err = posix_schema_migrate(pb, &pb->conns[0]);
	if (err == S3E_OK)
		err = tiers_in_use_check(pb, &pb->conns[0]);
	for (i = 0; err == S3E_OK && i < POSIX_NCONN; i++) {
		if (i > 0)
			err = posix_conn_open(pb, path, &pb->conns[i]);
		if (err == S3E_OK)
			err = posix_conn_prepare(pb, &pb->conns[i]);
	}
	if (err == S3E_OK)
		err = open_recover(pb, &pb->conns[0]);
	if (err != S3E_OK)
		goto out;
	posix_reserve_fill(pb); /* P8 */
	for (i = POSIX_POOL_SIZE - 1; i >= 0; i--) {
		pb->conns[i].next = pb->free;
		pb->free = &pb->conns[i];
	}
	*out = &pb->base;
	pb = NULL;
out:
	posix_close(pb ? &pb->base : NULL);
	return err;
}
