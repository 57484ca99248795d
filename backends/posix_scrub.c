/*
 * posix_scrub: the scrubber of the posix backend (DESIGN.md, "Integrity").
 *
 *   s3err_t posix_scrub(struct backend *be, uint64_t bytes_per_second,
 *                       const volatile bool *stop, scrub_report_fn report, void *ctx,
 *                       struct scrub_stats *stats);
 *
 * is the backend's `scrub` slot (contract in backend.h), declared in
 * posix_internal.h and named by posix.c's ops table. It makes three passes:
 *  1. objects, in (bucket, key) order: each data file (the object's file,
 *     or its object_parts files in idx order) is read frame by frame
 *     (frames = 1, common/frames.h) or plainly (frames = 0, legacy), every
 *     frame is verified, the SHA-256 of the plaintext across all its files
 *     is compared with objects.sha256, and objects.verified_ms is set when
 *     everything checks out;
 *  2. parts of active uploads, by (upload_id, number): frames and sha256;
 *     (sealed files, S6: frames always, the SHA-256 only with the data key)
 *  3. orphans: files in objects/xx/ of every location (the data directory
 *     and each storage tier, T1 in posix_tiers.c; a remote tier's objects
 *     PREFIX objects/xx..., listed and aged by LastModified: X6 in
 *     posix_remote.c) that no objects, parts,
 *     object_parts or gc row names in that location (nor, at home, a done
 *     restore as the copy of one of its files: S8); then inline data in
 *     the index that no object names (S9).
 * An object's inline bytes (posix_inline.c) are read and verified in pass 1
 * as its file would be.
 * Every data file is read at its row's location (T2); a finding about a
 * file in a tier names the tier in its detail text.
 *
 * The same reading serves transitions (T5 in posix_tiers.c): posix_verify_files
 * runs check_files over a transition's copies before they are published.
 *
 * Invariants:
 *  S1. No pool connection is held while a data file is read (P4): rows are
 *      copied out in batches of SCRUB_BATCH and the connection goes back
 *      to the pool before the first file is opened.
 *  S2. The index may change under the scrub. Data files never change once
 *      placed and ids are never reused (P2), so a bad frame, a wrong size or
 *      a wrong SHA-256 is real whatever happened to the row since. A file
 *      that is gone is reported only if the row still names it when we
 *      look again (otherwise the object was overwritten or deleted and its
 *      file reclaimed meanwhile: not a problem).
 *  S3. verified_ms is set only on the row that still names the object id
 *      that was verified (UPDATE ... AND object_id = ?): an object replaced
 *      meanwhile is skipped silently and scrubbed next time.
 *  S4. A file is an orphan only if it is at least ORPHAN_MIN_AGE_S old (a
 *      writer may sit between its rename into objects/ and its index
 *      commit), the directory was listed before the index was queried (so
 *      a row committed meanwhile is seen), and it still exists after the
 *      query (gc may have unlinked it in between).
 *  S5. bytes read from disk / elapsed time <= bytes_per_second: after each
 *      read the scrub sleeps (in slices, watching *stop) until it is back
 *      under the rate.
 *  S6. Sealed files (F5) are checked frame by frame with the keyless
 *      frames_check_sealed, so bitrot is found in every object. The
 *      plaintext's SHA-256 is checked only where the data key is at hand:
 *      SSE-S3 rows when posix_opts.keys is set (the envelope is unwrapped,
 *      each frame also opened with frames_open, i.e. GCM-verified, and the
 *      plaintext hashed). An envelope that does not unwrap, or a frame
 *      that fails GCM, is SCRUB_CORRUPT. SSE-C objects, and SSE-S3 ones
 *      without a keyring, count in stats.frames_only. The data key and
 *      file keys are wiped as soon as the object is done.
 *  S7. A file in location T is named iff some row has (tier T, its id):
 *      the same id may name a live file in one tier and a not yet placed
 *      or not yet released copy in another (T4, T5). So a transition's copy
 *      in objects/ before its index switch is an orphan (it is never read),
 *      and the file a transition left behind is gc's until released.
 *  S8. A done restore (R2 in posix_restore.c) names the home copies ("", id) of
 *      its files that are not at home, and readers read those (R4): pass 1
 *      verifies them after the object's own files, as the object read at
 *      home (every frame, the same SHA-256), a finding saying "restored
 *      copy"; a copy that is gone is missing only if the row is still the
 *      same done restore (S2). Pass 3 counts them as named. A copy a crashed
 *      restore run placed before its switch (R5) is named by nothing: an
 *      orphan, like a transition's.
 *  S9. Inline data (I1..I3 in posix_inline.c) is named by an objects row
 *      at home (layout 0, tier '') with its id. It enters and leaves the
 *      index in its row's transaction, so one that no row names is an
 *      orphan at once (no age, unlike S4): ORPHAN, named by its id.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* openat family, pread, fdopendir under -std=c11 */
#endif
#include "posix_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "../common/frames.h"
#include "../common/keyring.h"
#include "../common/log.h"
#include "../common/sse.h"
#include "../common/strutil.h"

_Static_assert(KEYRING_KEY_SIZE == SSE_KEY_SIZE, "the keyring unwraps SSE data keys");

#define SCRUB_BATCH 64u		  /* objects / parts rows copied out per query */
#define ORPHAN_MIN_AGE_S 60	  /* younger files may be mid-commit (S4) */
#define ORPHAN_DIR_MAX (1u << 20) /* names of one objects/xx examined per pass */
#define RATE_SLICE_NS 100000000L  /* the rate limiter sleeps at most this long at once */
#define FRAME_BUF (FRAME_DATA_SIZE + FRAME_TAG_SIZE)
#define PARTS_MAX 10000u /* object_parts rows of one object (S3's part limit) */

/* Pass 1: one objects row, copied out. */
#define OBJ_BATCH_SQL                                                                              \
	"SELECT bucket, key, object_id, layout, size, sha256, frames, sse_mode, sse_key_id, "      \
	"sse_envelope, tier, restore_state FROM objects WHERE (bucket, key) > (?1, ?2) "           \
	"ORDER BY bucket, key LIMIT ?3"
#define OBJ_ID_SQL "SELECT object_id FROM objects WHERE bucket = ?1 AND key = ?2"
/* S2, S7: bucket/key still names the file (id ?3 in tier ?4), itself or as one of its parts. */
#define OBJ_FILE_SQL                                                                               \
	"SELECT 1 FROM objects WHERE bucket = ?1 AND key = ?2 AND object_id = ?3 AND tier = ?4 "   \
	"AND layout = 0 UNION ALL SELECT 1 FROM object_parts WHERE bucket = ?1 AND key = ?2 AND "  \
	"object_id = ?3 AND tier = ?4"
/* S8: bucket/key is still the row (object id ?3) with a done restore. */
#define RESTORED_SQL                                                                               \
	"SELECT 1 FROM objects WHERE bucket = ?1 AND key = ?2 AND object_id = ?3 AND "             \
	"restore_state = 2"
#define OPARTS_SQL                                                                                 \
	"SELECT object_id, size, frames, tier FROM object_parts WHERE bucket = ?1 AND key = ?2 "   \
	"ORDER BY idx LIMIT ?3"
#define VERIFIED_SQL                                                                               \
	"UPDATE objects SET verified_ms = ?1 WHERE bucket = ?2 AND key = ?3 AND object_id = ?4"
/* Pass 2: parts of active uploads. */
#define PART_BATCH_SQL                                                                             \
	"SELECT p.upload_id, p.number, p.object_id, p.size, p.sha256, p.frames, u.bucket, u.key, " \
	"u.sse_mode, u.sse_key_id, u.sse_envelope, p.tier "                                        \
	"FROM parts p JOIN uploads u ON u.upload_id = p.upload_id "                                \
	"WHERE u.completed = 0 AND (p.upload_id, p.number) > (?1, ?2) "                            \
	"ORDER BY p.upload_id, p.number LIMIT ?3"
#define PART_ID_SQL                                                                                \
	"SELECT 1 FROM parts WHERE upload_id = ?1 AND number = ?2 AND object_id = ?3 AND tier = "  \
	"?4"
/* Pass 3, S9: inline data after ?1 that no objects row at home names, in id order. */
#define INLINE_ORPHAN_SQL                                                                          \
	"SELECT object_id FROM inline_data i WHERE object_id > ?1 AND NOT EXISTS (SELECT 1 FROM "  \
	"objects o WHERE o.object_id = i.object_id AND o.layout = 0 AND o.tier = '') "             \
	"ORDER BY object_id LIMIT ?2"
/* Pass 3: every id that names a file of location ?3, within one objects/xx (S4, S7, S8). */
#define REFS_SQL                                                                                   \
	"SELECT object_id FROM objects WHERE object_id >= ?1 AND object_id < ?2 AND tier = ?3 "    \
	"UNION ALL SELECT object_id FROM parts WHERE object_id >= ?1 AND object_id < ?2 "          \
	"AND tier = ?3 "                                                                           \
	"UNION ALL SELECT object_id FROM object_parts WHERE object_id >= ?1 AND object_id < ?2 "   \
	"AND tier = ?3 "                                                                           \
	"UNION ALL SELECT object_id FROM gc WHERE tier = ?3 AND object_id >= ?1 AND object_id < "  \
	"?2 "                                                                                      \
	"UNION ALL SELECT object_id FROM objects WHERE ?3 = '' AND object_id >= ?1 AND "           \
	"object_id < ?2 AND layout = 0 AND restore_state = 2 "                                     \
	"UNION ALL SELECT p.object_id FROM object_parts p JOIN objects o ON o.bucket = p.bucket "  \
	"AND o.key = p.key WHERE ?3 = '' AND p.object_id >= ?1 AND p.object_id < ?2 AND "          \
	"o.restore_state = 2"

/* How the files of one object (or part) are sealed, and whether the scrub holds its key (S6). */
struct seal {
	bool sealed;			/* sse_mode != SSE_NONE */
	bool keyed;			/* data_key is the unwrapped data key */
	bool unwrap_failed;		/* SSE-S3 with a keyring, and the envelope did not unwrap */
	uint8_t data_key[SSE_KEY_SIZE]; /* wiped after each object */
};

struct obj_row {
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
	char key[STRATA_MAX_KEY_LEN + 1];
	char id[POSIX_ID_HEX + 1]; /* layout 0: the data file; layout 1: a version id */
	char tier[POSIX_TIER_MAX]; /* layout 0: where the file is (T2) */
	int layout;
	uint64_t size;
	char sha256[65];
	bool framed;
	bool restored;	     /* its restore is done: its home copies are read (S8) */
	struct obj_meta sse; /* only its sse_* fields */
};

struct part_row {
	char upload_id[POSIX_ID_HEX + 1];
	unsigned number;
	char tier[POSIX_TIER_MAX];
	struct posix_file file; /* loc set when it is scrubbed */
	char sha256[65];
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
	char key[STRATA_MAX_KEY_LEN + 1];
	struct obj_meta sse; /* the upload's sse_* fields */
};

struct scrub {
	struct posix_be *pb;
	uint64_t bps;
	const volatile bool *stop;
	scrub_report_fn report;
	void *ctx;
	struct scrub_stats st;
	struct timespec t0;
	uint64_t disk_bytes; /* read from disk so far, for the rate (S5) */
	uint8_t *buf;	     /* FRAME_BUF bytes */
	struct seal seal;    /* of the object being checked (S6) */
};

/* What reading one data file found. */
enum fcheck {
	FC_OK,
	FC_GONE,  /* ENOENT: maybe reclaimed meanwhile (S2) */
	FC_BAD,	  /* a finding was filled */
	FC_ERROR, /* the scrub itself failed (allocation, OpenSSL): nothing known, logged */
};

static bool stopped(const struct scrub *s)
{
	return s->stop && *s->stop;
}

/* --- the rate limit (S5) --- */

static double since_start(const struct scrub *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - s->t0.tv_sec) + (double)(now.tv_nsec - s->t0.tv_nsec) / 1e9;
}

/* Counts n bytes read and sleeps until the average is back under the rate. */
static void throttle(struct scrub *s, uint64_t n)
{
	double due, left;
	struct timespec ts;

	s->disk_bytes += n;
	if (s->bps == 0)
		return;
	due = (double)s->disk_bytes / (double)s->bps;
	while (!stopped(s) && (left = due - since_start(s)) > 0) {
		long ns = left * 1e9 > (double)RATE_SLICE_NS ? RATE_SLICE_NS : (long)(left * 1e9);

		ts.tv_sec = 0;
		ts.tv_nsec = ns > 0 ? ns : 1;
		nanosleep(&ts, NULL);
	}
}

/* --- small helpers --- */

/*
 * Reads exactly len bytes at off (posix_fh_read); *short_file when the file
 * ends first. -1 on failure with *err saying what kind (FC_ERROR for a
 * remote that cannot be reached: nothing is known about the file).
 */
static int read_full(const struct posix_fh *fh, uint64_t off, void *buf, size_t len,
		     bool *short_file, s3err_t *err)
{
	*err = posix_fh_read(fh, off, buf, len, short_file);
	return *err == S3E_OK ? 0 : -1;
}

static void finding_set(struct scrub_finding *f, enum scrub_problem p, const char *id,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fills the problem, file id and detail of f (bucket and key are the caller's). */
static void finding_set(struct scrub_finding *f, enum scrub_problem p, const char *id,
			const char *fmt, ...)
{
	va_list ap;

	f->problem = p;
	snprintf(f->file_id, sizeof(f->file_id), "%s", id);
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

static void emit(struct scrub *s, const struct scrub_finding *f)
{
	s->st.problems++;
	/* The caller reports (and logs) what it receives; unheard findings are logged here. */
	if (s->report)
		s->report(s->ctx, f);
	else
		log_warn(POSIX_LOG_MOD, "scrub: %s/%s (file %s): %s", f->bucket, f->key, f->file_id,
			 f->detail);
}

/* Prepares sql on c; SQLITE_OK or the error (logged by the caller through posix_db_err). */
static int prep(struct conn *c, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v2(c->db, sql, -1, st, NULL);
}

/* --- reading one data file --- */

/* S6: the cipher of sealed file fid under the object's data key; NULL on failure (logged). */
static struct frames_cipher *file_cipher(const struct seal *sk,
					 const uint8_t fid[FRAME_FILE_ID_SIZE])
{
	struct frames_cipher *c = NULL;

	if (sse_file_cipher(sk->data_key, fid, &c) != S3E_OK) {
		log_error(POSIX_LOG_MOD, "scrub: cannot set up AES-256-GCM");
		c = NULL;
	}
	return c;
}

/*
 * Checks one stored frame in s->buf (data then tag): BLAKE2b for a plain
 * frame; the keyless check, then (with the key) GCM and decryption in
 * place for a sealed one (S6). *hash: s->buf now holds plaintext to hash.
 */
static bool frame_ok(struct scrub *s, const struct posix_file *f, struct frames_cipher *cipher,
		     const uint8_t fid[FRAME_FILE_ID_SIZE], uint64_t i, bool last, size_t len,
		     struct scrub_finding *out, bool *hash)
{
	uint64_t n = frames_count(f->size);

	*hash = false;
	if (!f->sealed ? !frames_verify(fid, i, last, s->buf, len, s->buf + len)
		       : !frames_check_sealed(fid, i, last, s->buf, len, s->buf + len)) {
		finding_set(out, SCRUB_CORRUPT, f->id, "frame %llu of %llu failed verification",
			    (unsigned long long)i, (unsigned long long)n);
		return false;
	}
	if (f->sealed && cipher && !frames_open(cipher, fid, i, last, s->buf, len, s->buf + len)) {
		finding_set(out, SCRUB_CORRUPT, f->id,
			    "frame %llu of %llu failed decryption (GCM) under its data key",
			    (unsigned long long)i, (unsigned long long)n);
		return false;
	}
	*hash = !f->sealed || cipher;
	return true;
}

/*
 * Verifies every frame of a framed file and feeds its plaintext to sha
 * (not for a sealed file whose key the scrub lacks: S6).
 * fd holds frames_stored_size(f->size) bytes (checked by the caller).
 */
static enum fcheck read_framed(struct scrub *s, const struct posix_fh *fh,
			       const struct posix_file *f, EVP_MD_CTX *sha,
			       struct scrub_finding *out)
{
	uint8_t fid[FRAME_FILE_ID_SIZE];
	uint64_t n = frames_count(f->size), i, off = 0;
	struct frames_cipher *cipher = NULL;
	enum fcheck r = FC_OK;
	bool short_file, hash;
	s3err_t err;

	/* The id passed posix_col_id: 32 lowercase hex digits, so it decodes. */
	(void)hex_decode(f->id, POSIX_ID_HEX, fid, sizeof(fid));
	if (f->sealed && s->seal.keyed) {
		cipher = file_cipher(&s->seal, fid);
		if (!cipher)
			return FC_ERROR;
	}
	for (i = 0; i < n; i++) {
		size_t len = frames_data_len(f->size, i);

		if (read_full(fh, off, s->buf, len + FRAME_TAG_SIZE, &short_file, &err) != 0) {
			r = FC_BAD;
			if (short_file)
				finding_set(out, SCRUB_TRUNCATED, f->id,
					    "data file ends inside frame %llu of %llu",
					    (unsigned long long)i, (unsigned long long)n);
			else if (err == S3E_ServiceUnavailable)
				r = FC_ERROR; /* X7: the remote is down, the file unknown */
			else
				finding_set(out, SCRUB_CORRUPT, f->id,
					    "read error in frame %llu of %llu (%s)",
					    (unsigned long long)i, (unsigned long long)n,
					    s3err_code(err));
			goto out;
		}
		throttle(s, len + FRAME_TAG_SIZE);
		if (!frame_ok(s, f, cipher, fid, i, i + 1 == n, len, out, &hash)) {
			r = FC_BAD;
			goto out;
		}
		if (hash)
			EVP_DigestUpdate(sha, s->buf, len);
		s->st.bytes += len;
		off += len + FRAME_TAG_SIZE;
	}
out:
	if (cipher)
		OPENSSL_cleanse(s->buf, FRAME_BUF); /* decrypted plaintext of a private object */
	frames_cipher_free(cipher);
	return r;
}

/* Feeds a legacy plain file (no frames, nothing to verify but the SHA-256) to sha. */
static enum fcheck read_plain(struct scrub *s, const struct posix_fh *fh,
			      const struct posix_file *f, EVP_MD_CTX *sha,
			      struct scrub_finding *out)
{
	uint64_t off = 0;
	bool short_file;
	s3err_t err;

	while (off < f->size) {
		size_t len = f->size - off < FRAME_BUF ? (size_t)(f->size - off) : FRAME_BUF;

		if (read_full(fh, off, s->buf, len, &short_file, &err) != 0) {
			if (!short_file && err == S3E_ServiceUnavailable)
				return FC_ERROR; /* X7: the remote is down, the file unknown */
			if (short_file)
				finding_set(out, SCRUB_TRUNCATED, f->id,
					    "data file ends at byte %llu of %llu",
					    (unsigned long long)off, (unsigned long long)f->size);
			else
				finding_set(out, SCRUB_CORRUPT, f->id,
					    "read error at byte %llu (%s)", (unsigned long long)off,
					    s3err_code(err));
			return FC_BAD;
		}
		throttle(s, len);
		EVP_DigestUpdate(sha, s->buf, len);
		s->st.bytes += len;
		off += len;
	}
	return FC_OK;
}

/* Opens (at its location, S7), size-checks and reads one data file into sha. */
static enum fcheck check_file(struct scrub *s, const struct posix_file *f, EVP_MD_CTX *sha,
			      struct scrub_finding *out)
{
	uint64_t want = f->framed ? frames_stored_size(f->size) : f->size, size = 0;
	struct posix_fh fh = POSIX_FH_NONE;
	enum fcheck r;
	s3err_t err;

	err = posix_fh_open_any(s->pb, f->loc, f->id, f->in_tmp, &fh, &size); /* I2 */
	if (err == S3E_NoSuchKey)
		return FC_GONE;
	if (err == S3E_ServiceUnavailable) {
		log_warn(POSIX_LOG_MOD, "scrub: %s cannot be reached; file %s not checked",
			 f->loc->dir, f->id);
		return FC_ERROR; /* X7: nothing is known about the file */
	}
	if (err != S3E_OK) {
		finding_set(out, SCRUB_CORRUPT, f->id, "cannot open the data file (%s)",
			    s3err_code(err));
		return FC_BAD;
	}
	if (size != want) {
		finding_set(out, SCRUB_TRUNCATED, f->id,
			    "data file holds %llu bytes, %llu expected", (unsigned long long)size,
			    (unsigned long long)want);
		r = FC_BAD;
		goto out;
	}
	if (f->sealed && !f->framed) {
		finding_set(out, SCRUB_CORRUPT, f->id, "the index says sealed but not framed");
		r = FC_BAD;
		goto out;
	}
	r = f->framed ? read_framed(s, &fh, f, sha, out) : read_plain(s, &fh, f, sha, out);
out:
	posix_fh_close(&fh);
	return r;
}

/*
 * Reads files[0..n) in order into one SHA-256 and compares it with sha256
 * ("" = none recorded; not compared either for sealed files without the
 * key in s->seal, S6). Returns FC_OK, FC_BAD (out filled; *bad_at = the
 * file) or FC_GONE (*bad_at = the missing file). Stops between files when
 * *stop is set, or the scrub itself failed: *was_stopped.
 */
static enum fcheck check_files(struct scrub *s, const struct posix_file *files, size_t n,
			       const char *sha256, struct scrub_finding *out, size_t *bad_at,
			       bool *was_stopped)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned mdlen = 0;
	enum fcheck r = FC_OK;
	EVP_MD_CTX *sha;
	size_t i;

	*was_stopped = false;
	*bad_at = 0;
	sha = EVP_MD_CTX_new();
	if (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
		/* Treated as a stop: nothing can be verified without a digest. */
		log_error(POSIX_LOG_MOD, "scrub: cannot set up SHA-256");
		*was_stopped = true;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (stopped(s)) {
			*was_stopped = true;
			goto out;
		}
		r = check_file(s, &files[i], sha, out);
		if (r == FC_ERROR) {
			*was_stopped = true; /* nothing is known about this object: skip it */
			goto out;
		}
		if (r != FC_OK) {
			*bad_at = i;
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(sha, md, &mdlen) != 1) {
		log_error(POSIX_LOG_MOD, "scrub: SHA-256 failed");
		*was_stopped = true;
		goto out;
	}
	hex_encode(md, mdlen, hex);
	if (s->seal.sealed && !s->seal.keyed)
		goto out; /* S6: the frames were checked; the plaintext is out of reach */
	if (sha256[0] && strcmp(hex, sha256) != 0) {
		finding_set(out, SCRUB_CORRUPT, n == 1 ? files[0].id : "",
			    "SHA-256 of the data is %.16s..., the index records %.16s...", hex,
			    sha256);
		*bad_at = n;
		r = FC_BAD;
	}
out:
	EVP_MD_CTX_free(sha);
	return r;
}

/*
 * S6: sets s->seal for the files of a row with these sse fields: sealed or
 * not, and for SSE-S3 with a keyring, the unwrapped data key.
 */
static void seal_prepare(struct scrub *s, const struct obj_meta *sse)
{
	struct seal *sk = &s->seal;

	OPENSSL_cleanse(sk, sizeof(*sk));
	sk->sealed = sse->sse_mode != SSE_NONE;
	if (sse->sse_mode != SSE_S3 || !s->pb->opts.keys)
		return;
	if (keyring_unwrap(s->pb->opts.keys, sse->sse_key_id, sse->sse_envelope,
			   sse->sse_envelope_len, sk->data_key) == S3E_OK)
		sk->keyed = true;
	else
		sk->unwrap_failed = true;
}

/* Wipes the data key of the object just checked. */
static void seal_done(struct scrub *s)
{
	OPENSSL_cleanse(&s->seal, sizeof(s->seal));
}

/* --- pass 1: objects --- */

/* Binds and steps a one-row existence query over texts a[0..n); *yes when a row came back. */
static s3err_t row_exists(struct scrub *s, const char *sql, const char *const *a, int n,
			  const char *expect_id, bool *yes)
{
	struct conn *c = posix_pool_get(s->pb);
	sqlite3_stmt *st = NULL;
	s3err_t err = S3E_OK;
	char id[POSIX_ID_HEX + 1];
	int i, rc;

	*yes = false;
	rc = prep(c, sql, &st);
	for (i = 0; rc == SQLITE_OK && i < n; i++)
		rc = posix_bind_text(st, i + 1, a[i]);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		/* expect_id: column 0 must be that id (an objects row not replaced since). */
		*yes = !expect_id ||
		       (posix_col_text(st, 0, id, sizeof(id)) && strcmp(id, expect_id) == 0);
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE)
		err = posix_db_err(c, rc, "scrub lookup");
	sqlite3_finalize(st);
	posix_pool_put(s->pb, c);
	return err;
}

/* S3: stamps verified_ms on the row that still names the verified id. */
static void mark_verified(struct scrub *s, const struct obj_row *o)
{
	struct conn *c = posix_pool_get(s->pb);
	sqlite3_stmt *st = NULL;
	int rc;

	rc = prep(c, VERIFIED_SQL, &st);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, posix_now_ms());
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, o->bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 3, o->key);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 4, o->id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	/* Not fatal: the object is fine, only the stamp is missing (retried next scrub). */
	if (rc != SQLITE_DONE)
		(void)posix_db_err(c, rc, "scrub verified_ms update");
	sqlite3_finalize(st);
	posix_pool_put(s->pb, c);
}

/*
 * Copies out the part table of layout-1 object o, in one read snapshot
 * that also checks the objects row still names o->id. *n = 0 when it does
 * not (replaced or deleted meanwhile: skip it, S3).
 */
static s3err_t load_parts(struct scrub *s, const struct obj_row *o, struct posix_file **out,
			  size_t *n)
{
	const char *const bk[2] = {o->bucket, o->key};
	struct conn *c = posix_pool_get(s->pb);
	char tier[POSIX_TIER_MAX];
	sqlite3_stmt *st = NULL;
	struct posix_file *files = NULL, *grown;
	size_t cap = 0, got = 0;
	uint64_t total = 0;
	s3err_t err;
	bool same = false;
	int rc, i;

	*n = 0;
	err = posix_tx_begin_read(c);
	if (err != S3E_OK)
		goto out;
	rc = prep(c, OBJ_ID_SQL, &st);
	for (i = 0; rc == SQLITE_OK && i < 2; i++)
		rc = posix_bind_text(st, i + 1, bk[i]);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		char id[POSIX_ID_HEX + 1];

		same = posix_col_text(st, 0, id, sizeof(id)) && strcmp(id, o->id) == 0;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "scrub object lookup");
		goto out;
	}
	if (!same)
		goto out;
	rc = prep(c, OPARTS_SQL, &st);
	for (i = 0; rc == SQLITE_OK && i < 2; i++)
		rc = posix_bind_text(st, i + 1, bk[i]);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, PARTS_MAX);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (got == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(files, cap * sizeof(*files));
			if (!grown) {
				err = S3E_InternalError;
				goto out;
			}
			files = grown;
		}
		memset(&files[got], 0, sizeof(files[got]));
		if (!posix_col_id(st, 0, files[got].id) || sqlite3_column_int64(st, 1) < 0 ||
		    !posix_col_text(st, 3, tier, sizeof(tier)) ||
		    !(files[got].loc = posix_loc_find(s->pb, tier))) {
			log_error(POSIX_LOG_MOD, "scrub: %s/%s: malformed part row", o->bucket,
				  o->key);
			err = S3E_InternalError;
			goto out;
		}
		files[got].size = (uint64_t)sqlite3_column_int64(st, 1);
		files[got].framed = sqlite3_column_int(st, 2) == 1;
		total += files[got].size;
		got++;
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE) {
		err = posix_db_err(c, rc, "scrub part table");
		goto out;
	}
	if (got == 0 || total != o->size) {
		/* M4 broken: the index itself is inconsistent. */
		log_error(POSIX_LOG_MOD, "scrub: %s/%s: part table does not add up to %llu bytes",
			  o->bucket, o->key, (unsigned long long)o->size);
		err = S3E_InternalError;
		goto out;
	}
	*out = files;
	*n = got;
	files = NULL;
out:
	sqlite3_finalize(st);
	posix_tx_rollback(c); /* a read snapshot: nothing to commit */
	posix_pool_put(s->pb, c);
	free(files);
	return err;
}

/* Names the tier of a file outside the data directory in f's detail (S7). */
static void detail_tier(struct scrub_finding *f, const struct posix_file *file)
{
	char detail[sizeof(f->detail)];

	if (!file->loc->tier[0])
		return;
	memcpy(detail, f->detail, sizeof(detail));
	snprintf(f->detail, sizeof(f->detail), "tier %s: %.120s", file->loc->tier, detail);
}

/* Prefixes f's detail with what the finding is about ("part 2 of upload ...", ...). */
static void detail_prefix(struct scrub_finding *f, const char *what)
{
	char detail[sizeof(f->detail)];

	memcpy(detail, f->detail, sizeof(detail));
	snprintf(f->detail, sizeof(f->detail), "%.56s: %.100s", what, detail);
}

/*
 * S8: verifies what readers of a done restore read: the object's files,
 * each at home (its restored copy, or the file itself when it lives there),
 * through one SHA-256. Only findings about the copies are reported: the
 * object's own files at home were checked by the caller.
 */
static s3err_t scrub_copies(struct scrub *s, const struct obj_row *o,
			    const struct posix_file *files, size_t n)
{
	const struct posix_loc *home = &s->pb->loc[0];
	const char *const a[3] = {o->bucket, o->key, o->id};
	struct posix_file *v = NULL;
	struct scrub_finding f;
	size_t i, copies = 0, bad_at = 0;
	bool was_stopped = false, still = false;
	enum fcheck r;
	s3err_t err = S3E_OK;

	for (i = 0; i < n; i++)
		copies += files[i].loc != home;
	if (copies == 0)
		return S3E_OK; /* every file is at home: nothing was copied (R2) */
	v = calloc(n, sizeof(*v));
	if (!v)
		return S3E_InternalError;
	for (i = 0; i < n; i++) {
		v[i] = files[i];
		v[i].loc = home; /* the copy keeps the id */
	}
	memset(&f, 0, sizeof(f));
	memcpy(f.bucket, o->bucket, sizeof(f.bucket));
	memcpy(f.key, o->key, sizeof(f.key));
	seal_prepare(s, &o->sse);
	r = check_files(s, v, n, o->sha256, &f, &bad_at, &was_stopped);
	if (was_stopped || r == FC_OK || (bad_at < n && files[bad_at].loc == home))
		goto out;
	if (r == FC_GONE) {
		/* S2: a restore released (or an object replaced) meanwhile is no problem. */
		err = row_exists(s, RESTORED_SQL, a, 3, NULL, &still);
		if (err != S3E_OK || !still)
			goto out;
		finding_set(&f, SCRUB_MISSING_DATA, v[bad_at].id, "data file is missing");
	} else if (o->layout == 1 && bad_at == n) {
		snprintf(f.file_id, sizeof(f.file_id), "%s", o->id);
	}
	detail_prefix(&f, "restored copy");
	emit(s, &f);
out:
	seal_done(s);
	free(v);
	return err;
}

/* Verifies one object (S2, S3, S8) and reports what is wrong with it. */
static s3err_t scrub_object(struct scrub *s, const struct obj_row *o)
{
	const char *bk[4] = {o->bucket, o->key, NULL, NULL};
	struct scrub_finding f;
	struct posix_file one, *files = NULL;
	size_t n = 0, bad_at, i;
	bool was_stopped, still;
	enum fcheck r;
	s3err_t err = S3E_OK;

	if (o->layout == 0) {
		memset(&one, 0, sizeof(one));
		memcpy(one.id, o->id, sizeof(one.id));
		one.loc = posix_loc_find(s->pb, o->tier);
		one.size = o->size;
		one.framed = o->framed;
		files = &one;
		n = 1;
		if (!one.loc) { /* posix_open refuses such rows (T2) */
			log_error(POSIX_LOG_MOD, "scrub: %s/%s is in tier %s, not configured",
				  o->bucket, o->key, o->tier);
			return S3E_InternalError;
		}
	} else {
		err = load_parts(s, o, &files, &n);
		if (err != S3E_OK || n == 0)
			goto out;
	}
	for (i = 0; i < n; i++)
		files[i].sealed = o->sse.sse_mode != SSE_NONE; /* F5: the objects row says */
	memset(&f, 0, sizeof(f));
	memcpy(f.bucket, o->bucket, sizeof(f.bucket));
	memcpy(f.key, o->key, sizeof(f.key));
	seal_prepare(s, &o->sse);
	r = check_files(s, files, n, o->sha256, &f, &bad_at, &was_stopped);
	if (was_stopped)
		goto out;
	s->st.objects++;
	if (r == FC_OK && s->seal.unwrap_failed) {
		/* The frames are sound, but the SSE-S3 key is lost to the keyring (S6). */
		finding_set(&f, SCRUB_CORRUPT, o->id, "cannot unwrap data key under key id %s",
			    o->sse.sse_key_id);
		emit(s, &f);
	} else if (r == FC_OK) {
		if (s->seal.sealed && !s->seal.keyed)
			s->st.frames_only++;
		mark_verified(s, o);
	} else if (r == FC_BAD) {
		if (o->layout == 1 && bad_at == n)
			snprintf(f.file_id, sizeof(f.file_id), "%s", o->id);
		/* bad_at == n: the SHA-256 across all files; it is one location's for layout 0. */
		detail_tier(&f, &files[bad_at < n ? bad_at : 0]);
		emit(s, &f);
	} else {
		/*
		 * Gone: a problem only if the row still names this file where we
		 * looked (S2; a transition may have moved it meanwhile, S7).
		 */
		bk[2] = files[bad_at].id;
		bk[3] = files[bad_at].loc->tier;
		err = row_exists(s, OBJ_FILE_SQL, bk, 4, NULL, &still);
		if (err == S3E_OK && still) {
			if (o->layout == 1)
				finding_set(&f, SCRUB_MISSING_DATA, files[bad_at].id,
					    "data file of part %zu of %zu is missing", bad_at + 1,
					    n);
			else
				finding_set(&f, SCRUB_MISSING_DATA, files[bad_at].id,
					    "data file is missing");
			detail_tier(&f, &files[bad_at]);
			emit(s, &f);
		}
	}
	if (err == S3E_OK && o->restored && !stopped(s))
		err = scrub_copies(s, o, files, n);
out:
	seal_done(s);
	if (files != &one)
		free(files);
	return err;
}

/* Decodes one objects row of the batch below. */
static bool obj_row_decode(sqlite3_stmt *st, size_t n, void *rows)
{
	struct obj_row *o = &((struct obj_row *)rows)[n];
	int layout = sqlite3_column_int(st, 3);

	obj_meta_init(&o->sse);
	if (!posix_col_text(st, 0, o->bucket, sizeof(o->bucket)) ||
	    !posix_col_text(st, 1, o->key, sizeof(o->key)) || !posix_col_id(st, 2, o->id) ||
	    (layout != 0 && layout != 1) || sqlite3_column_int64(st, 4) < 0 ||
	    !posix_col_text(st, 5, o->sha256, sizeof(o->sha256)) ||
	    !posix_col_sse(st, 7, &o->sse) || !posix_col_text(st, 10, o->tier, sizeof(o->tier)))
		return false;
	o->restored = sqlite3_column_int(st, 11) == RESTORE_DONE;
	o->layout = layout;
	o->size = (uint64_t)sqlite3_column_int64(st, 4);
	o->framed = sqlite3_column_int(st, 6) == 1;
	return true;
}

/* Copies the next batch of objects rows after (bucket, key) into rows. */
static s3err_t object_batch(struct scrub *s, const char *bucket, const char *key,
			    struct obj_row *rows, size_t *got)
{
	struct conn *c = posix_pool_get(s->pb);
	sqlite3_stmt *st = NULL;
	s3err_t err;
	int rc;

	rc = prep(c, OBJ_BATCH_SQL, &st);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 1, bucket);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, SCRUB_BATCH);
	err = posix_fetch_rows(c, st, rc, SCRUB_BATCH, "scrub object batch", obj_row_decode, rows,
			       got);
	sqlite3_finalize(st);
	posix_pool_put(s->pb, c);
	return err;
}

static s3err_t scrub_objects(struct scrub *s)
{
	struct obj_row *rows = calloc(SCRUB_BATCH, sizeof(*rows));
	char *bucket = calloc(1, STRATA_BUCKET_NAME_MAX + 1);
	char *key = calloc(1, STRATA_MAX_KEY_LEN + 1);
	size_t got = 0, i;
	s3err_t err = S3E_InternalError;

	if (!rows || !bucket || !key)
		goto out;
	do {
		err = object_batch(s, bucket, key, rows, &got);
		/* S1: the connection is back in the pool before any file is read. */
		for (i = 0; err == S3E_OK && i < got && !stopped(s); i++)
			err = scrub_object(s, &rows[i]);
		if (err != S3E_OK || stopped(s) || got == 0)
			goto out;
		memcpy(bucket, rows[got - 1].bucket, sizeof(rows[got - 1].bucket));
		memcpy(key, rows[got - 1].key, sizeof(rows[got - 1].key));
	} while (got == SCRUB_BATCH);
out:
	free(key);
	free(bucket);
	free(rows);
	return err;
}

/* --- pass 2: parts of active uploads --- */

/* Decodes one parts row of the batch below. */
static bool part_row_decode(sqlite3_stmt *st, size_t n, void *rows)
{
	struct part_row *p = &((struct part_row *)rows)[n];
	sqlite3_int64 num = sqlite3_column_int64(st, 1);

	obj_meta_init(&p->sse);
	memset(&p->file, 0, sizeof(p->file));
	if (!posix_col_text(st, 0, p->upload_id, sizeof(p->upload_id)) || num < 1 ||
	    num > PARTS_MAX || !posix_col_id(st, 2, p->file.id) ||
	    sqlite3_column_int64(st, 3) < 0 ||
	    !posix_col_text(st, 4, p->sha256, sizeof(p->sha256)) ||
	    !posix_col_text(st, 6, p->bucket, sizeof(p->bucket)) ||
	    !posix_col_text(st, 7, p->key, sizeof(p->key)) || !posix_col_sse(st, 8, &p->sse) ||
	    !posix_col_text(st, 11, p->tier, sizeof(p->tier)))
		return false;
	p->number = (unsigned)num;
	p->file.size = (uint64_t)sqlite3_column_int64(st, 3);
	p->file.framed = sqlite3_column_int(st, 5) == 1;
	p->file.sealed = p->sse.sse_mode != SSE_NONE; /* F5: the uploads row says */
	return true;
}

/* Copies the next batch of parts rows after (upload_id, number) into rows. */
static s3err_t part_batch(struct scrub *s, const char *upload_id, unsigned number,
			  struct part_row *rows, size_t *got)
{
	struct conn *c = posix_pool_get(s->pb);
	sqlite3_stmt *st = NULL;
	s3err_t err;
	int rc;

	rc = prep(c, PART_BATCH_SQL, &st);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 1, upload_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, number);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, SCRUB_BATCH);
	err = posix_fetch_rows(c, st, rc, SCRUB_BATCH, "scrub part batch", part_row_decode, rows,
			       got);
	sqlite3_finalize(st);
	posix_pool_put(s->pb, c);
	return err;
}

static s3err_t scrub_part(struct scrub *s, const struct part_row *p)
{
	char num[16], what[48];
	const char *const a[4] = {p->upload_id, num, p->file.id, p->tier};
	struct posix_file file = p->file;
	struct scrub_finding f;
	size_t bad_at;
	bool was_stopped, still, unwrap_failed;
	enum fcheck r;
	s3err_t err = S3E_OK;

	file.loc = posix_loc_find(s->pb, p->tier);
	if (!file.loc) { /* posix_open refuses such rows (T2) */
		log_error(POSIX_LOG_MOD,
			  "scrub: part %u of upload %.12s... is in tier %s, "
			  "not configured",
			  p->number, p->upload_id, p->tier);
		return S3E_InternalError;
	}
	memset(&f, 0, sizeof(f));
	memcpy(f.bucket, p->bucket, sizeof(f.bucket));
	memcpy(f.key, p->key, sizeof(f.key));
	seal_prepare(s, &p->sse);
	r = check_files(s, &file, 1, p->sha256, &f, &bad_at, &was_stopped);
	unwrap_failed = s->seal.unwrap_failed;
	seal_done(s);
	if (was_stopped || (r == FC_OK && !unwrap_failed))
		return S3E_OK;
	if (r == FC_OK)
		finding_set(&f, SCRUB_CORRUPT, p->file.id, "cannot unwrap data key under key id %s",
			    p->sse.sse_key_id);
	if (r == FC_GONE) {
		snprintf(num, sizeof(num), "%u", p->number);
		err = row_exists(s, PART_ID_SQL, a, 4, NULL, &still);
		if (err != S3E_OK || !still)
			return err;
		finding_set(&f, SCRUB_MISSING_DATA, p->file.id, "data file is missing");
	}
	detail_tier(&f, &file);
	/* Say which part: the key alone names the upload's object, not the part. */
	snprintf(what, sizeof(what), "part %u of upload %.12s...", p->number, p->upload_id);
	detail_prefix(&f, what);
	emit(s, &f);
	return err;
}

static s3err_t scrub_parts(struct scrub *s)
{
	struct part_row *rows = calloc(SCRUB_BATCH, sizeof(*rows));
	char upload_id[POSIX_ID_HEX + 1] = "";
	unsigned number = 0;
	size_t got = 0, i;
	s3err_t err = S3E_InternalError;

	if (!rows)
		goto out;
	do {
		err = part_batch(s, upload_id, number, rows, &got);
		for (i = 0; err == S3E_OK && i < got && !stopped(s); i++)
			err = scrub_part(s, &rows[i]);
		if (err != S3E_OK || stopped(s) || got == 0)
			goto out;
		memcpy(upload_id, rows[got - 1].upload_id, sizeof(upload_id));
		number = rows[got - 1].number;
	} while (got == SCRUB_BATCH);
out:
	free(rows);
	return err;
}

/* --- pass 3: orphans (S4) --- */

struct name_list {
	char (*ids)[POSIX_ID_HEX + 1];
	bool *named; /* parallel: some row names ids[i] */
	size_t n, cap;
};

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void report_orphan(struct scrub *s, const struct posix_loc *loc, const char *name,
			  const char *why)
{
	struct scrub_finding f;

	memset(&f, 0, sizeof(f));
	if (loc->tier[0])
		finding_set(&f, SCRUB_ORPHAN_DATA, name, "%s (tier %s, %.64s)", why, loc->tier,
			    loc->dir);
	else
		finding_set(&f, SCRUB_ORPHAN_DATA, name, "%s", why);
	emit(s, &f);
}

/* Appends id to l (growing up to ORPHAN_DIR_MAX). false when full or out of memory. */
static bool names_add(struct name_list *l, const char *id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		void *ids, *named;

		if (cap > ORPHAN_DIR_MAX)
			return false;
		ids = realloc(l->ids, cap * sizeof(*l->ids));
		if (ids)
			l->ids = ids;
		named = ids ? realloc(l->named, cap * sizeof(*l->named)) : NULL;
		if (!named)
			return false;
		l->named = named;
		l->cap = cap;
	}
	memcpy(l->ids[l->n], id, POSIX_ID_HEX + 1);
	l->named[l->n] = false;
	l->n++;
	return true;
}

/*
 * Lists objects/xx: files at least ORPHAN_MIN_AGE_S old. A name that is no
 * id cannot be named by any row: reported at once.
 */
static s3err_t list_dir(struct scrub *s, const struct posix_loc *loc, int dfd, const char *xx,
			struct name_list *l)
{
	time_t cutoff = time(NULL) - ORPHAN_MIN_AGE_S;
	struct dirent *de;
	struct stat sb;
	bool warned = false;
	DIR *d;
	int fd;

	fd = dup(dfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		log_error(POSIX_LOG_MOD, "scrub: cannot list %s/objects/%s: %s", loc->dir, xx,
			  strerror(e));
		return S3E_InternalError;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* gone meanwhile */
		if (!S_ISREG(sb.st_mode) || sb.st_mtime > cutoff)
			continue;
		if (!posix_id_valid(de->d_name) || strncmp(de->d_name, xx, 2) != 0) {
			report_orphan(s, loc, de->d_name,
				      "a file with a name no index row can hold");
			continue;
		}
		if (!names_add(l, de->d_name) && !warned) {
			log_warn(POSIX_LOG_MOD,
				 "scrub: %s/objects/%s has too many files; "
				 "the rest are examined next time",
				 loc->dir, xx);
			warned = true;
		}
	}
	closedir(d);
	return S3E_OK;
}

/* Marks the names of l that some row of the index names in loc (ids in [xx, xx+1), S7). */
static s3err_t mark_named(struct scrub *s, const struct posix_loc *loc, const char *xx,
			  struct name_list *l)
{
	char lo[3] = {xx[0], xx[1], '\0'}, hi[3] = {xx[0], (char)(xx[1] + 1), '\0'};
	struct conn *c = posix_pool_get(s->pb);
	char id[POSIX_ID_HEX + 1];
	sqlite3_stmt *st = NULL;
	s3err_t err = S3E_OK;
	int rc;

	rc = prep(c, REFS_SQL, &st);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 1, lo);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 2, hi);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 3, loc->tier);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		char(*hit)[POSIX_ID_HEX + 1];

		rc = SQLITE_OK;
		if (!posix_col_text(st, 0, id, sizeof(id)))
			continue; /* not an id: names no file */
		hit = bsearch(id, l->ids, l->n, sizeof(*l->ids), id_cmp);
		if (hit)
			l->named[hit - l->ids] = true;
	}
	if (rc != SQLITE_DONE)
		err = posix_db_err(c, rc, "scrub orphan lookup");
	sqlite3_finalize(st);
	posix_pool_put(s->pb, c);
	return err;
}

/* What the visitor of a remote listing needs (X6). */
struct remote_seen {
	struct scrub *s;
	const struct posix_loc *loc;
	const char *xx;
	struct name_list *l;
	int64_t cutoff_ms; /* objects modified after this may be mid-commit (S4) */
	bool warned;
};

/* One listed remote object under objects/xx: an orphan candidate when old enough (S4, X6). */
static void remote_seen_one(void *ctx, const char *name, size_t len, int64_t mtime_ms)
{
	struct remote_seen *rs = ctx;
	char id[POSIX_ID_HEX + 1], shown[2 * POSIX_ID_HEX + 1];

	if (mtime_ms > rs->cutoff_ms)
		return;
	if (len != POSIX_ID_HEX) {
		snprintf(shown, sizeof(shown), "%.*s", (int)(len < 64 ? len : 64), name);
		report_orphan(rs->s, rs->loc, shown,
			      "a remote object with a name no index row can hold");
		return;
	}
	memcpy(id, name, POSIX_ID_HEX);
	id[POSIX_ID_HEX] = '\0';
	if (!posix_id_valid(id) || strncmp(id, rs->xx, 2) != 0) {
		report_orphan(rs->s, rs->loc, id,
			      "a remote object with a name no index row can hold");
		return;
	}
	if (!names_add(rs->l, id) && !rs->warned) {
		log_warn(POSIX_LOG_MOD,
			 "scrub: %s objects/%s has too many objects; the rest are "
			 "examined next time",
			 rs->loc->dir, rs->xx);
		rs->warned = true;
	}
}

/* X6: the orphan pass over one id prefix of a remote location (S4 as for a directory). */
static s3err_t scrub_remote_dir(struct scrub *s, const struct posix_loc *loc, const char *xx,
				struct name_list *l)
{
	struct remote_seen rs = {s, loc, xx, l, 0, false};
	bool exists = false;
	s3err_t err;
	size_t i;

	rs.cutoff_ms = ((int64_t)time(NULL) - ORPHAN_MIN_AGE_S) * 1000;
	l->n = 0;
	err = posix_remote_list(loc, xx, remote_seen_one, &rs); /* before the index query */
	if (err == S3E_ServiceUnavailable) {
		log_warn(POSIX_LOG_MOD,
			 "scrub: %s cannot be reached; its orphans are looked for "
			 "next time",
			 loc->dir);
		return S3E_ServiceUnavailable;
	}
	if (err != S3E_OK || l->n == 0)
		return err;
	qsort(l->ids, l->n, sizeof(*l->ids), id_cmp);
	err = mark_named(s, loc, xx, l);
	for (i = 0; err == S3E_OK && i < l->n; i++) {
		if (l->named[i])
			continue;
		/* Still there after the query: not an object gc deleted in between (S4). */
		err = posix_remote_exists(loc, l->ids[i], &exists);
		if (err == S3E_OK && exists)
			report_orphan(s, loc, l->ids[i], "no index row names this remote object");
	}
	return err;
}

static s3err_t scrub_dir(struct scrub *s, const struct posix_loc *loc, const char *xx,
			 struct name_list *l)
{
	s3err_t err;
	struct stat sb;
	size_t i;
	int dfd;

	if (loc->remote)
		return scrub_remote_dir(s, loc, xx, l);

	dfd = openat(loc->objfd, xx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;

		log_error(POSIX_LOG_MOD, "scrub: cannot open %s/objects/%s: %s", loc->dir, xx,
			  strerror(e));
		return S3E_InternalError;
	}
	l->n = 0;
	/* S4: the listing comes before the index query. */
	err = list_dir(s, loc, dfd, xx, l);
	if (err != S3E_OK || l->n == 0)
		goto out;
	qsort(l->ids, l->n, sizeof(*l->ids), id_cmp);
	err = mark_named(s, loc, xx, l);
	if (err != S3E_OK)
		goto out;
	for (i = 0; i < l->n; i++) {
		/* Still there after the query: not a file gc unlinked in between (S4). */
		if (!l->named[i] && fstatat(dfd, l->ids[i], &sb, AT_SYMLINK_NOFOLLOW) == 0)
			report_orphan(s, loc, l->ids[i], "no index row names this data file");
	}
out:
	close(dfd);
	return err;
}

static bool id_row_decode(sqlite3_stmt *st, size_t n, void *rows)
{
	return posix_col_id(st, 0, ((char(*)[POSIX_ID_HEX + 1]) rows)[n]);
}

/*
 * S9: inline data (I1..I3 in posix_inline.c) that no home row names after
 * id: ids[0..*got). Such a row goes in and out with its objects row, so one
 * here is never a commit in flight: it is reported at once.
 */
static s3err_t inline_orphan_batch(struct scrub *s, const char *after,
				   char (*ids)[POSIX_ID_HEX + 1], size_t *got)
{
	struct conn *c = posix_pool_get(s->pb);
	sqlite3_stmt *st = NULL;
	s3err_t err;
	int rc;

	rc = prep(c, INLINE_ORPHAN_SQL, &st);
	if (rc == SQLITE_OK)
		rc = posix_bind_text(st, 1, after);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, SCRUB_BATCH);
	err = posix_fetch_rows(c, st, rc, SCRUB_BATCH, "scrub inline orphans", id_row_decode, ids,
			       got);
	sqlite3_finalize(st);
	posix_pool_put(s->pb, c);
	return err;
}

static s3err_t scrub_inline_orphans(struct scrub *s)
{
	char(*ids)[POSIX_ID_HEX + 1] = calloc(SCRUB_BATCH, sizeof(*ids));
	char after[POSIX_ID_HEX + 1] = "";
	s3err_t err = ids ? S3E_OK : S3E_InternalError;
	size_t got = SCRUB_BATCH, i;

	while (err == S3E_OK && got == SCRUB_BATCH && !stopped(s)) {
		err = inline_orphan_batch(s, after, ids, &got);
		for (i = 0; err == S3E_OK && i < got; i++)
			report_orphan(s, &s->pb->loc[0], ids[i],
				      "inline data in the index that no object names");
		if (err == S3E_OK && got > 0)
			memcpy(after, ids[got - 1], sizeof(after));
	}
	free(ids);
	return err;
}

/* Every location's objects/ (T1, S7), then the index's inline data (S9). */
static s3err_t scrub_orphans(struct scrub *s)
{
	static const char digits[] = "0123456789abcdef";
	struct name_list l = {NULL, NULL, 0, 0};
	char xx[3] = "";
	s3err_t err = S3E_OK;
	size_t k;
	int i;

	for (k = 0; k < s->pb->nloc && err == S3E_OK; k++) {
		for (i = 0; i < 256 && err == S3E_OK && !stopped(s); i++) {
			xx[0] = digits[i >> 4];
			xx[1] = digits[i & 15];
			err = scrub_dir(s, &s->pb->loc[k], xx, &l);
		}
		if (err == S3E_ServiceUnavailable)
			err = S3E_OK; /* X7: a remote that is down; the other locations go on */
	}
	free(l.named);
	free(l.ids);
	if (err == S3E_OK && !stopped(s))
		err = scrub_inline_orphans(s);
	return err;
}

/* --- the slot --- */

s3err_t posix_scrub(struct backend *be, uint64_t bytes_per_second, const volatile bool *stop,
		    scrub_report_fn report, void *ctx, struct scrub_stats *stats)
{
	struct scrub s;
	s3err_t err = S3E_InternalError;

	memset(&s, 0, sizeof(s));
	s.pb = (struct posix_be *)be;
	s.bps = bytes_per_second;
	s.stop = stop;
	s.report = report;
	s.ctx = ctx;
	clock_gettime(CLOCK_MONOTONIC, &s.t0);
	s.buf = malloc(FRAME_BUF);
	if (!s.buf)
		goto out;
	err = scrub_objects(&s);
	if (err == S3E_OK && !stopped(&s))
		err = scrub_parts(&s);
	if (err == S3E_OK && !stopped(&s))
		err = scrub_orphans(&s);
	if (err != S3E_OK)
		goto out;
	log_info(POSIX_LOG_MOD, "scrub of %s: %llu objects, %llu bytes, %llu problems%s", s.pb->dir,
		 (unsigned long long)s.st.objects, (unsigned long long)s.st.bytes,
		 (unsigned long long)s.st.problems, stopped(&s) ? " (stopped early)" : "");
	if (stats)
		*stats = s.st;
out:
	free(s.buf);
	return err;
}

/* --- reading a transition's copies back (T5 in posix_tiers.c) --- */

s3err_t posix_verify_files(struct posix_be *pb, const char *bucket, const char *key,
			   const struct posix_file *files, size_t n, const char *sha256,
			   const struct obj_meta *sse, bool *sha_checked)
{
	struct scrub_finding f;
	struct scrub s;
	size_t bad_at = 0;
	bool was_stopped = false;
	enum fcheck r;
	s3err_t err = S3E_InternalError;

	memset(&s, 0, sizeof(s));
	memset(&f, 0, sizeof(f));
	s.pb = pb; /* no rate limit, no stop: the caller is waiting for this */
	clock_gettime(CLOCK_MONOTONIC, &s.t0);
	s.buf = malloc(FRAME_BUF);
	if (!s.buf)
		goto out;
	seal_prepare(&s, sse);
	r = check_files(&s, files, n, sha256, &f, &bad_at, &was_stopped);
	if (was_stopped) {
		log_error(POSIX_LOG_MOD, "verification of %s/%s could not run", bucket, key);
		goto out;
	}
	if (r == FC_GONE) {
		log_error(POSIX_LOG_MOD, "verification of %s/%s: file %s vanished in %s", bucket,
			  key, files[bad_at].id, files[bad_at].loc->dir);
		goto out;
	}
	if (r != FC_OK) {
		log_error(POSIX_LOG_MOD, "integrity: verification of %s/%s in %s: file %s: %s",
			  bucket, key, files[bad_at < n ? bad_at : 0].loc->dir,
			  f.file_id[0] ? f.file_id : "(all)", f.detail);
		goto out;
	}
	if (s.seal.unwrap_failed)
		/* Not the copy's fault: the object was as unreadable before (S6). */
		log_warn(POSIX_LOG_MOD,
			 "verification of %s/%s: its data key does not unwrap under key id %s; "
			 "frames checked only",
			 bucket, key, sse->sse_key_id);
	*sha_checked = sha256[0] && (!s.seal.sealed || s.seal.keyed);
	err = S3E_OK;
out:
	seal_done(&s);
	if (s.buf)
		OPENSSL_cleanse(s.buf, FRAME_BUF);
	free(s.buf);
	return err;
}
