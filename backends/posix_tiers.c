/*
 * posix_tiers: storage tiers of the posix backend: where a new object's
 * file goes (writer_place) and the transition of a stored object to
 * another location, whose copy machinery (posix_tr_*, declared in
 * posix_internal.h) archive restores (posix_restore.c) reuse. Locations
 * are opened and checked with the backend in posix_open.c (posix_open).
 *
 * Storage tiers (DESIGN.md, "Tiers and lifecycle"; issue 6):
 *  T1. Data files live in locations: the home (the data directory, tier
 *      "") and one directory per configured tier (posix_opts.tiers: a
 *      storage class and its directory). A tier directory is laid out like
 *      the home (objects/xx/ID, tmp/ID); posix_open creates, fsyncs and
 *      locks (DIR/LOCK) each one and sweeps its tmp/ as P3 does the home's.
 *      Tier classes are distinct, never "" or STANDARD, and no two
 *      locations share a root. Classes without a tier live in the home.
 *  T2. A data file is named by (tier, id), never by its id alone: the
 *      `tier` column of objects (layout 0), parts, object_parts and gc is
 *      the location whose directory holds the file. It says where the file
 *      IS, not where its class would put it today: a tier configured later
 *      leaves older files readable where they are. Every open, read, unlink
 *      and scrub of a file goes through its row's location. A layout-1
 *      objects row names no file; its tier records where its parts were put
 *      as a whole (by Complete, or a transition). posix_open refuses to
 *      open (nothing half-open) when any row names a tier that is not
 *      configured, naming the class and the tier_<CLASS> setting to add.
 *  T3. A writer's tmp/ID and the file it publishes are in one location,
 *      chosen before its first byte: object writers start in the home and
 *      move with writer_place (to the tier of the class, or the home; the
 *      empty temporary is recreated there), part writers follow their
 *      upload's storage_class at part_writer_open. Commit renames within
 *      that location and records it as the row's tier; Complete copies each
 *      part's tier into object_parts. Sealing (F5) and placing are
 *      independent: either may come first.
 *  T4. A transition copies a file under the same id (its frames are bound
 *      to it), so for a while one id names a file in two locations, and an
 *      object may even come back to a location whose gc row for that id is
 *      still pending. So gc's key is (tier, object_id); a gc row is released
 *      only inside a write transaction that first checks no row names that
 *      (tier, id) again (posix_file_named: then the file is kept and only
 *      the gc row dropped); and a transition switches the index only after
 *      checking, under the same write lock, that each copy it placed is
 *      still the inode it renamed there. No unlink removes a file that a
 *      committed row names.
 *  T5. object_transition: (1) in one read snapshot, load the row and its
 *      files and check the version; files already in the target location
 *      are not copied, and when none is left and the class is the same there
 *      is nothing to do. (2) Copy each other file's stored bytes unchanged
 *      (sealed or not: the id stays) into the target's tmp/ID (O_EXCL),
 *      fsync. (3) Read the whole object back at the target with the
 *      scrubber's verification (posix_verify_files: every frame; the
 *      SHA-256 wherever the plaintext is readable without a client key).
 *      (4) Touch each copy (S4 of posix_scrub.c ages orphans by mtime),
 *      rename it into objects/xx/ID, fsync the directory. (5) One write
 *      transaction: the copies are still in place (T4); the version and
 *      every moved file's old (tier, id) are re-checked by the UPDATEs
 *      themselves (one row each, or PreconditionFailed); storage_class and
 *      tier switch; the old files are queued in gc with their old tier and
 *      stale gc rows of the copies' names dropped. (6) After the commit the
 *      old files are released (gc). Verifying in tmp/ (before the rename,
 *      not after) keeps a copy out of objects/ while a long read-back runs,
 *      where the orphan pass could otherwise take it for one. Any failure
 *      before (5) commits removes the copies (those in objects/ only when
 *      no row names them, T4) and leaves the row as it was. A crash leaves
 *      the old row whole: copies in tmp/ (swept at open) or in objects/
 *      (orphans the scrub reports; never read, since no row names them);
 *      after (5), the gc rows finish the release at the next open.
 *  T6. A location that cannot be written (EACCES, ENOSPC, a path that is
 *      no directory) fails writer_place, the commit or the transition with
 *      S3E_InternalError, logged with the path; nothing stored changes. A
 *      remote location that cannot be reached fails them with
 *      S3E_ServiceUnavailable alike (X7 in posix_remote.c).
 *  T7. A transition never runs while the object has a restore (R3): it is
 *      refused with S3E_PreconditionFailed at step 1 (restore_state <> 0),
 *      and its switch (step 5) re-checks restore_state = 0 under the write
 *      lock. The lifecycle engine retries after the restore ends.
 *
 * Into a remote location (X4 in posix_remote.c) steps 2-4 run as copy
 * into the home's tmp/ID, upload, then verify at the far end (the copy is
 * already at its name; tmp/ID stays as the claim on the id until the
 * switch or the discard), and a file whose (target, id) still has a gc row
 * is refused at step 1 (X5).
 *
 * The other invariants (P*, F*, the state-transition table) are at the
 * top of posix.c, the restore ones (R*) at the top of posix_restore.c,
 * the remote ones (X*) at the top of posix_remote.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* openat family, pread and posix_fadvise under -std=c11 */
#endif
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../common/log.h"
#include "../common/sse.h"

#define COPY_BUF (4u * 65536u) /* a transition copies this many stored bytes per read */

/* --- storage tiers: placing a new object (T3) --- */

/* X2: loc's temporaries are the home's tmp/ (the home itself, or a remote location). */
static bool tmp_is_home(const struct posix_be *pb, const struct posix_loc *loc)
{
	return loc == &pb->loc[0] || loc->remote;
}

/*
 * T3: moves w's temporary, still empty, into the location of storage_class
 * (its tier, or the home): tmp/ID is created there first, then the old one
 * is closed and removed, so a location that cannot be written leaves w as
 * it was (T6). Sealing is independent: the encoder emits nothing before the
 * first write, whichever encoder it is.
 */
s3err_t posix_writer_place(struct be_writer *w, const char *storage_class)
{
	const struct posix_loc *to;
	int fd, e;

	if (w->kind != W_OBJECT || w->failed || w->written > 0 || (w->fd < 0 && !w->inl)) {
		log_error(POSIX_LOG_MOD, "writer_place of %s/tmp/%s on a part writer or after data",
			  w->loc->dir, w->id);
		return S3E_InternalError;
	}
	to = posix_loc_for_class(w->pb, storage_class);
	if (to == w->loc)
		return S3E_OK;
	if (w->inl) { /* I4: nothing written yet; the tier's tmp/ID is made now */
		const struct posix_loc *from = w->loc;
		s3err_t err;

		w->loc = to;
		err = posix_writer_spill(w);
		if (err != S3E_OK) { /* T6: w stays as it was */
			w->loc = from;
			w->inl = true;
			w->failed = false;
		}
		return err;
	}
	if (tmp_is_home(w->pb, to) && tmp_is_home(w->pb, w->loc)) {
		w->loc = to; /* X2: the same tmp/ID serves; only where commit publishes changes */
		return S3E_OK;
	}
	fd = openat(to->tmpfd, w->id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "create %s/tmp/%s for storage class %s: %s", to->dir,
			  w->id, storage_class, strerror(e));
		return S3E_InternalError;
	}
	close(w->fd);
	if (unlinkat(w->loc->tmpfd, w->id, 0) != 0 && errno != ENOENT)
		log_warn(POSIX_LOG_MOD, "unlink %s/tmp/%s: %s", w->loc->dir, w->id,
			 strerror(errno));
	w->fd = fd;
	w->loc = to;
	return S3E_OK;
}

/* --- storage tiers: transitions (T4, T5) --- */

void posix_tr_plan_free(struct tr_plan *p)
{
	obj_meta_free(&p->m);
	free(p->files);
	p->files = NULL;
}

/* Fills p->files[0..n) from src (where the files are) and counts the ones to move. */
static s3err_t tr_files_set(struct tr_plan *p, const struct posix_file *src, size_t n)
{
	size_t i;

	p->files = calloc(n, sizeof(*p->files));
	if (!p->files)
		return S3E_InternalError;
	for (i = 0; i < n; i++) {
		p->files[i].src = src[i];
		p->files[i].move = src[i].loc != p->to;
		p->moves += p->files[i].move;
	}
	p->n = n;
	return S3E_OK;
}

/*
 * X5: a file whose (remote target, id) still has a gc row may be deleted
 * there at any moment: its transition waits until gc is done with it.
 */
static s3err_t tr_gc_clear(struct conn *c, const char *bucket, const char *key,
			   const struct tr_plan *p)
{
	bool pending = false;
	s3err_t err = S3E_OK;
	size_t i;

	for (i = 0; err == S3E_OK && !pending && i < p->n; i++)
		if (p->files[i].move)
			err = posix_gc_pending(c, p->to->tier, p->files[i].src.id, &pending);
	if (err == S3E_OK && pending) {
		log_info(POSIX_LOG_MOD,
			 "%s/%s: an old copy in %s still waits for gc; the transition waits too",
			 bucket, key, p->to->dir);
		err = S3E_PreconditionFailed;
	}
	return err;
}

s3err_t posix_tr_load(struct posix_be *pb, const char *bucket, const char *key, int64_t mtime_ms,
		      const char *etag, int restore, struct tr_plan *p)
{
	struct posix_file one, *parts = NULL;
	struct conn *c = posix_pool_get(pb);
	bool framed = false;
	size_t n = 0;
	s3err_t err;

	err = posix_tx_begin_read(c);
	if (err == S3E_OK)
		err = posix_row_load(c, bucket, key, &p->m, p->id, &p->layout, &framed, p->tier);
	if (err == S3E_NoSuchKey)
		err = S3E_PreconditionFailed;
	if (err != S3E_OK)
		goto out;
	if (p->m.mtime_ms != mtime_ms || strcmp(p->m.etag, etag) != 0) {
		err = S3E_PreconditionFailed;
		goto out;
	}
	if (p->m.restore_state != restore) {
		log_debug(POSIX_LOG_MOD, "%s/%s has restore state %d, not %d: left as it is",
			  bucket, key, p->m.restore_state, restore);
		err = S3E_PreconditionFailed;
		goto out;
	}
	if (p->layout == 0) {
		memset(&one, 0, sizeof(one));
		memcpy(one.id, p->id, sizeof(one.id));
		one.loc = posix_loc_find(pb, p->tier);
		one.size = p->m.size;
		one.framed = framed;
		one.sealed = p->m.sse_mode != SSE_NONE;
		if (!one.loc || (one.sealed && !framed)) {
			log_error(POSIX_LOG_MOD, "index row of %s/%s names an unusable data file",
				  bucket, key);
			err = S3E_InternalError;
			goto out;
		}
		err = tr_files_set(p, &one, 1);
	} else if (p->layout == 1) {
		err = posix_mp_files_load(pb, c, bucket, key, p->m.size, p->m.sse_mode != SSE_NONE,
					  &parts, &n);
		if (err == S3E_OK)
			err = tr_files_set(p, parts, n);
	} else {
		log_error(POSIX_LOG_MOD, "object %s/%s has layout %d, unknown here", bucket, key,
			  p->layout);
		err = S3E_InternalError;
	}
	if (err == S3E_OK && p->to->remote)
		err = tr_gc_clear(c, bucket, key, p);
out:
	posix_tx_rollback(c); /* ends the read snapshot */
	posix_pool_put(pb, c);
	free(parts);
	return err;
}

/* write()s all of buf to fd; 0 or the errno. */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * T5 step 2: copies f's stored bytes, unchanged, into to's tmp/ID (created
 * here with O_EXCL: a second transition of the same file fails instead of
 * sharing it) and makes them durable. f->in_tmp once created, for cleanup.
 * Errors: S3E_NoSuchKey (the source is gone), S3E_InternalError (logged).
 */
static s3err_t tr_copy(struct posix_be *pb, struct tr_file *f, const struct posix_loc *to,
		       uint8_t *buf)
{
	uint64_t stored = posix_stored_size(f->src.framed, f->src.size), off = 0;
	struct posix_fh in = POSIX_FH_NONE;
	int out = -1, e = 0;
	s3err_t err;
	size_t n;

	err = posix_data_open_any(pb, f->src.loc, f->src.id, stored, &in); /* I4 */
	f->inl = in.mem != NULL;
	if (err != S3E_OK)
		goto out;
	out = openat(to->tmpfd, f->src.id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "create %s/tmp/%s: %s", to->dir, f->src.id, strerror(e));
		err = S3E_InternalError;
		goto out;
	}
	f->in_tmp = true;
	while (off < stored) {
		n = stored - off < COPY_BUF ? (size_t)(stored - off) : COPY_BUF;
		err = posix_data_pread(&in, off, buf, n);
		if (err != S3E_OK)
			goto out;
		e = write_all(out, buf, n);
		if (e != 0) {
			log_error(POSIX_LOG_MOD, "write %s/tmp/%s: %s", to->dir, f->src.id,
				  strerror(e));
			err = S3E_InternalError;
			goto out;
		}
		off += n;
	}
	if (fsync(out) != 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "fsync %s/tmp/%s: %s", to->dir, f->src.id, strerror(e));
		err = S3E_InternalError;
		goto out;
	}
	/* Step 3 should read the copy from the disk, not from the page cache. */
	(void)posix_fadvise(out, 0, 0, POSIX_FADV_DONTNEED);
out:
	if (out >= 0 && close(out) != 0 && err == S3E_OK) {
		e = errno;
		log_error(POSIX_LOG_MOD, "close %s/tmp/%s: %s", to->dir, f->src.id, strerror(e));
		err = S3E_InternalError;
	}
	posix_fh_close(&in);
	return err;
}

/*
 * T5 step 3: reads the whole object back at the target (copies in tmp/,
 * files already there in objects/) as the scrubber would.
 */
static s3err_t tr_verify(struct posix_be *pb, const char *bucket, const char *key,
			 const struct tr_plan *p)
{
	struct posix_file *v = calloc(p->n, sizeof(*v));
	bool sha_checked = false;
	s3err_t err;
	size_t i;

	if (!v)
		return S3E_InternalError;
	for (i = 0; i < p->n; i++) {
		v[i] = p->files[i].src;
		v[i].loc = p->to;
		/* X4: a remote target's copy is read back from the remote itself. */
		v[i].in_tmp = p->files[i].move && !p->to->remote;
	}
	err = posix_verify_files(pb, bucket, key, v, p->n, p->m.sha256_hex, &p->m, &sha_checked);
	if (err == S3E_OK && !sha_checked)
		log_debug(POSIX_LOG_MOD, "copy of %s/%s: frames verified, SHA-256 not readable",
			  bucket, key);
	free(v);
	return err;
}

/*
 * T5 step 4: makes the copy's mtime now (the orphan pass ages files by it),
 * renames it into to's objects/xx/ID and fsyncs that directory, noting the
 * inode for the check under the switch's lock (T4).
 */
static s3err_t tr_place(struct tr_file *f, const struct posix_loc *to)
{
	struct stat sb;
	int xxfd = -1, e;
	s3err_t err;

	if (utimensat(to->tmpfd, f->src.id, NULL, 0) != 0 ||
	    fstatat(to->tmpfd, f->src.id, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "touch %s/tmp/%s: %s", to->dir, f->src.id, strerror(e));
		return S3E_InternalError;
	}
	err = posix_xx_dir_open(to, f->src.id, &xxfd);
	if (err != S3E_OK)
		return err;
	if (renameat(to->tmpfd, f->src.id, xxfd, f->src.id) != 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "rename %s/tmp/%s into objects/: %s", to->dir, f->src.id,
			  strerror(e));
		err = S3E_InternalError;
		goto out;
	}
	f->in_tmp = false;
	f->placed = true;
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	if (fsync(xxfd) != 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "fsync %s/objects/%.2s: %s", to->dir, f->src.id,
			  strerror(e));
		err = S3E_InternalError;
	}
out:
	close(xxfd);
	return err;
}

/*
 * X4: uploads the copy in the home's tmp/ID as to's remote object; the
 * temporary stays, as the claim on the id, until the transition ends.
 */
static s3err_t tr_upload(struct tr_file *f, const struct posix_loc *to)
{
	struct stat sb;
	s3err_t err;
	int fd, e;

	fd = openat(to->tmpfd, f->src.id, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		e = errno;
		log_error(POSIX_LOG_MOD, "reopen tmp/%s for its upload to %s: %s", f->src.id,
			  to->dir, strerror(e));
		if (fd >= 0)
			close(fd);
		return S3E_InternalError;
	}
	f->placed = true; /* from the first byte sent: a failure deletes it (X4) */
	err = posix_remote_put(to, f->src.id, fd, (uint64_t)sb.st_size);
	close(fd);
	return err;
}

/* X4: ends a remote target's claims (the temporaries), after a switch or a discard. */
void posix_tr_unclaim(const struct tr_plan *p)
{
	size_t i;

	for (i = 0; p->to->remote && i < p->n; i++) {
		const struct tr_file *f = &p->files[i];

		if (f->in_tmp && unlinkat(p->to->tmpfd, f->src.id, 0) != 0 && errno != ENOENT)
			log_warn(POSIX_LOG_MOD, "unlink tmp/%s: %s", f->src.id, strerror(errno));
	}
}

/* T4: the placed copy is still the file we renamed there (no gc release took its name). */
static bool tr_still_placed(const struct tr_file *f, const struct posix_loc *to)
{
	char rel[POSIX_REL_LEN + 1];
	struct stat sb;

	/* X4, X5: nothing else uploads or deletes this remote object while we hold tmp/ID. */
	if (to->remote)
		return true;
	posix_id_relpath(f->src.id, rel);
	if (fstatat(to->objfd, rel, &sb, AT_SYMLINK_NOFOLLOW) == 0 && sb.st_dev == f->dev &&
	    sb.st_ino == f->ino)
		return true;
	log_error(POSIX_LOG_MOD, "the copy %s/objects/%s was removed before the index switch",
		  to->dir, rel);
	return false;
}

s3err_t posix_tr_update(struct conn *c, enum stmt id, const char *const *a, int n, int i64_at,
			int64_t v, bool *one)
{
	sqlite3_stmt *st = c->st[id];
	int i, rc = SQLITE_OK;

	for (i = 0; i < n && rc == SQLITE_OK; i++)
		if (a[i])
			rc = posix_bind_text(st, i + 1, a[i]);
	if (rc == SQLITE_OK && i64_at > 0)
		rc = sqlite3_bind_int64(st, i64_at, v);
	if (rc == SQLITE_OK)
		rc = posix_run(st);
	else
		posix_stmt_done(st);
	if (rc != SQLITE_OK)
		return posix_db_err(c, rc, "index switch");
	*one = sqlite3_changes(c->db) == 1;
	return S3E_OK;
}

bool posix_tr_all_placed(const struct tr_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->files[i].move && !tr_still_placed(&p->files[i], p->to))
			return false;
	return true;
}

s3err_t posix_switch_files(struct conn *c, const char *bucket, const char *key,
			   const struct tr_plan *p, bool release, s3err_t err, bool *unsure)
{
	const char *part[5] = {bucket, key, NULL, NULL, NULL};
	const char *stale[2] = {p->to->tier, NULL};
	bool one = false, queued = false;
	size_t i;
	int rc;

	for (i = 0; err == S3E_OK && i < p->n; i++) {
		const struct tr_file *f = &p->files[i];

		if (!f->move)
			continue;
		if (p->layout == 1) {
			part[2] = f->src.id;
			part[3] = f->src.loc->tier;
			part[4] = release ? p->to->tier : f->src.loc->tier;
			err = posix_tr_update(c, ST_TR_OPART, part, 5, 0, 0, &one);
			if (err == S3E_OK && !one)
				err = S3E_PreconditionFailed;
		}
		if (err == S3E_OK && release) /* I3, I4: inline bytes go now, files to gc */
			err = posix_data_retire(c, f->src.loc->tier, f->src.id, &queued);
		stale[1] = f->src.id;
		rc = err == S3E_OK ? posix_run_texts(c->st[ST_GC_DEL], stale, 2) : SQLITE_OK;
		if (rc != SQLITE_OK)
			err = posix_db_err(c, rc, "gc delete");
	}
	if (err == S3E_OK) {
		err = posix_tx_commit(c);
		*unsure = posix_commit_unsure(err);
	}
	if (err != S3E_OK)
		posix_tx_rollback(c);
	return err;
}

/*
 * T5 step 5, one write transaction: the copies are still in place (T4);
 * the row is switched only while it is the version step 1 loaded with its
 * files where step 1 saw them (each UPDATE must change exactly one row,
 * else S3E_PreconditionFailed); the old files go to gc with their old tier.
 * *unsure as in index_publish.
 */
static s3err_t tr_switch(struct conn *c, const char *bucket, const char *key, const char *cls,
			 const struct tr_plan *p, bool *unsure)
{
	const char *const to = p->to->tier;
	const char *obj[8] = {bucket, key, NULL, p->m.etag, cls, to, p->id, p->tier};
	bool one = false;
	s3err_t err;

	err = posix_tx_begin(c);
	if (err == S3E_OK && !posix_tr_all_placed(p))
		err = S3E_InternalError;
	if (err == S3E_OK)
		err = posix_tr_update(c, ST_TR_OBJ, obj, 8, 3, p->m.mtime_ms, &one);
	if (err == S3E_OK && !one)
		err = S3E_PreconditionFailed;
	return posix_switch_files(c, bucket, key, p, true, err, unsure);
}

/*
 * posix_tr_discard for a remote target (X4, X5): an uploaded copy is
 * deleted unless a row names it, checked in a write transaction but
 * deleted after it (no index lock across the network); the claims go last.
 */
static void tr_discard_remote(struct posix_be *pb, const struct tr_plan *p)
{
	struct conn *c = posix_pool_get(pb);
	bool named = true;
	s3err_t err;
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct tr_file *f = &p->files[i];

		if (!f->placed)
			continue;
		err = posix_tx_begin(c);
		if (err == S3E_OK)
			err = posix_file_named(c, p->to->tier, f->src.id, &named);
		posix_tx_rollback(c);
		if (err == S3E_OK && !named)
			err = posix_remote_delete(p->to, f->src.id);
		if (err != S3E_OK) /* the scrub will report it as an orphan (X6) */
			log_warn(POSIX_LOG_MOD, "left %s object %s behind", p->to->dir, f->src.id);
	}
	posix_pool_put(pb, c);
	posix_tr_unclaim(p);
}

void posix_tr_discard(struct posix_be *pb, const struct tr_plan *p)
{
	const struct posix_loc *to = p->to;
	char rel[POSIX_REL_LEN + 1];
	struct conn *c = NULL;
	bool named = true;
	s3err_t err = S3E_OK;
	size_t i;

	if (to->remote) {
		tr_discard_remote(pb, p);
		return;
	}
	for (i = 0; i < p->n; i++) {
		const struct tr_file *f = &p->files[i];

		if (f->in_tmp && unlinkat(to->tmpfd, f->src.id, 0) != 0 && errno != ENOENT)
			log_warn(POSIX_LOG_MOD, "unlink %s/tmp/%s: %s", to->dir, f->src.id,
				 strerror(errno));
		if (!f->placed)
			continue;
		if (!c) {
			c = posix_pool_get(pb);
			err = posix_tx_begin(c);
		}
		if (err == S3E_OK)
			err = posix_file_named(c, to->tier, f->src.id, &named);
		posix_id_relpath(f->src.id, rel);
		if (err == S3E_OK && !named && unlinkat(to->objfd, rel, 0) != 0 && errno != ENOENT)
			log_warn(POSIX_LOG_MOD, "unlink %s/objects/%s: %s", to->dir, rel,
				 strerror(errno));
		if (err != S3E_OK) /* the scrub will report it as an orphan */
			log_warn(POSIX_LOG_MOD, "left %s/objects/%s behind", to->dir, rel);
	}
	if (!c)
		return;
	if (err == S3E_OK)
		(void)posix_tx_commit(c);
	posix_tx_rollback(c);
	posix_pool_put(pb, c);
}

/* True when step 1 found nothing to move and the row already says cls where it is. */
static bool tr_nothing_to_do(const struct tr_plan *p, const char *cls)
{
	return p->moves == 0 && strcmp(p->m.storage_class, cls) == 0 &&
	       strcmp(p->tier, p->to->tier) == 0;
}

s3err_t posix_tr_stage(struct posix_be *pb, const char *bucket, const char *key, struct tr_plan *p)
{
	uint8_t *buf = malloc(COPY_BUF);
	s3err_t err = buf ? S3E_OK : S3E_InternalError;
	size_t i;

	for (i = 0; err == S3E_OK && i < p->n; i++)
		if (p->files[i].move)
			err = tr_copy(pb, &p->files[i], p->to, buf);
	free(buf);
	if (err == S3E_NoSuchKey) {
		log_warn(POSIX_LOG_MOD, "copy of %s/%s: its data changed under the copy", bucket,
			 key);
		err = S3E_PreconditionFailed;
	}
	/* X4: into a remote location, upload first, then verify at the far end. */
	for (i = 0; err == S3E_OK && p->to->remote && i < p->n; i++)
		if (p->files[i].move)
			err = tr_upload(&p->files[i], p->to);
	if (err == S3E_OK)
		err = tr_verify(pb, bucket, key, p);
	for (i = 0; err == S3E_OK && !p->to->remote && i < p->n; i++)
		if (p->files[i].move)
			err = tr_place(&p->files[i], p->to);
	return err;
}

/* T5 step 6, after the switch committed: the old files go (failures: gc rows for the next open). */
static void tr_release(struct posix_be *pb, struct conn *c, const struct tr_plan *p)
{
	size_t i;

	if (p->moves > 1) {
		posix_gc_drain(pb, c);
		return;
	}
	for (i = 0; i < p->n; i++) /* I3: inline bytes went with the switch */
		if (p->files[i].move && !p->files[i].inl)
			posix_gc_finish(pb, c, p->files[i].src.loc->tier, p->files[i].src.id);
}

/*
 * The object_transition slot (contract in backend.h; the steps are T5 at
 * the top of this file). Moving to a class without a tier moves to the
 * home. A failure before the switch removes the copies and leaves the row.
 * An object with a restore is not moved (T7): S3E_PreconditionFailed.
 */
s3err_t posix_object_transition(struct backend *be, const char *bucket, const char *key,
				int64_t mtime_ms, const char *etag, const char *storage_class)
{
	const char *cls = storage_class[0] ? storage_class : "STANDARD"; /* for messages */
	struct posix_be *pb = (struct posix_be *)be;
	struct conn *c = NULL;
	bool unsure = false;
	struct tr_plan p;
	s3err_t err;
	size_t i;

	memset(&p, 0, sizeof(p));
	obj_meta_init(&p.m);
	if (strlen(storage_class) >= STRATA_STORAGE_CLASS_MAX ||
	    strlen(bucket) > STRATA_BUCKET_NAME_MAX || strlen(key) > STRATA_MAX_KEY_LEN ||
	    strlen(etag) >= STRATA_ETAG_MAX) {
		log_error(POSIX_LOG_MOD, "object_transition called with an oversized argument");
		return S3E_InternalError;
	}
	p.to = posix_loc_for_class(pb, storage_class);
	err = posix_tr_load(pb, bucket, key, mtime_ms, etag, RESTORE_NONE, &p);
	if (err != S3E_OK || tr_nothing_to_do(&p, storage_class))
		goto out;
	if (p.moves > 0)
		err = posix_tr_stage(pb, bucket, key, &p);
	if (err != S3E_OK)
		goto out;
	c = posix_pool_get(pb);
	err = tr_switch(c, bucket, key, storage_class, &p, &unsure);
	if (unsure) {
		/* The switch may still be replayed from the WAL: keep both copies. */
		log_error(POSIX_LOG_MOD,
			  "kept the copies of %s/%s in %s after a failed index commit", bucket, key,
			  p.to->dir);
		for (i = 0; i < p.n; i++)
			p.files[i].placed = false;
	}
	if (err == S3E_OK || unsure)
		posix_tr_unclaim(&p);
	if (err != S3E_OK)
		goto out;
	tr_release(pb, c, &p);
	log_info(POSIX_LOG_MOD, "moved %s/%s (%zu data file(s)) to storage class %s in %s", bucket,
		 key, p.moves, cls, p.to->dir);
out:
	if (c)
		posix_pool_put(pb, c);
	if (err != S3E_OK && p.files) {
		posix_tr_discard(pb, &p);
		if (err == S3E_InternalError)
			log_error(POSIX_LOG_MOD,
				  "transition of %s/%s to storage class %s failed; it stays where "
				  "it was",
				  bucket, key, cls);
	}
	posix_tr_plan_free(&p);
	return err;
}
