/*
 * posix: the local-disk backend.
 *
 * Layout under the data directory (DESIGN.md, "Where metadata lives"):
 *   index.db        SQLite (WAL) index: buckets and their configuration
 *                   documents, objects and their metadata (encryption
 *                   envelopes included), multipart uploads and parts, the
 *                   parts of multipart objects (object_parts), and the gc
 *                   queue of files to unlink
 *   objects/xx/ID   object and part data, named by a random 128-bit id (hex),
 *                   never by the key; xx = first two hex digits of ID; framed
 *                   (common/frames.h), sealed in AES-256-GCM frames when the
 *                   object or upload is encrypted (F5 in posix.c)
 *   tmp/ID          data of writers not yet committed; emptied on open
 *   LOCK            flock'ed while a process has the directory open
 * Each storage tier (posix_opts.tiers) has a directory of its own laid out
 * the same way (objects/xx/ID, tmp/ID, LOCK; no index): the data files of
 * its class live there, and the index records for every file the location
 * (tier) it is in (T1..T7 in posix_tiers.c). A tier may instead be a bucket
 * of a remote S3 store (tier_<CLASS> = s3://BUCKET[/PREFIX/]): its data
 * files are the objects PREFIX objects/ID, its temporaries live in the data
 * directory's tmp/ (X1..X7 in posix_remote.c). The readable copy a RestoreObject
 * makes of an archived file (restore_run) is the data directory's
 * objects/xx/ID under the same ID as the file in its tier; the objects row
 * names it while its restore_state is DONE (R1..R7 in posix.c).
 * Commit order: fsync data file -> rename tmp/ID to objects/xx/ID (in the
 * writer's location) -> fsync directory -> index transaction
 * (synchronous=FULL). The replaced object's file is unlinked only after the
 * index commit. A crash between rename and index commit leaves an
 * unreferenced file in objects/ (never visible; the scrub reports it as an
 * orphan).
 */
#ifndef STRATA_POSIX_H
#define STRATA_POSIX_H

#include "backend.h"

struct keyring;

/*
 * Opens (creating if needed) a posix backend rooted at dir. Removes leftover
 * temporaries (in every location) and finishes interrupted deletions.
 * Errors: S3E_InternalError (with a message on stderr naming the path).
 */
s3err_t posix_open(const char *dir, struct backend **out);

#define POSIX_MAX_TIERS 8

/*
 * A storage class whose data lives in its own directory (config
 * tier_<CLASS> = DIR). The class is [A-Z0-9_]+ and never STANDARD (the data
 * directory's); classes and directories are distinct across tiers.
 */
struct posix_tier {
	const char *storage_class; /* STANDARD_IA, GLACIER_IR, ... (copied at open) */
	/*
	 * its root: DIR/objects/xx/ID, DIR/tmp/ (copied at open); or
	 * "s3://BUCKET" / "s3://BUCKET/PREFIX/": a bucket of the remote store
	 * of posix_opts.remote, whose objects PREFIX objects/ID hold the data
	 * files' stored bytes unchanged (X1 in posix_remote.c)
	 */
	const char *dir;
};

/* How to reach the remote S3 store of s3:// tiers (the s3_* settings); borrowed during open. */
struct posix_remote_opts {
	const char *endpoint; /* http(s)://HOST[:PORT]; NULL or "": none configured */
	const char *region;
	const char *access_key;
	const char *secret_key;
	const char *ca_file;
	bool path_style;
};

/* What a server may choose about a posix backend (posix_open uses the defaults: all false). */
struct posix_opts {
	/*
	 * Benchmarks only (config `integrity = off`): single-PUT objects are
	 * written as plain files, without frames (F1), so reads of them skip
	 * verification. Parts and completed uploads stay framed, and so does
	 * every encrypted object (a sealed writer ignores this, F5).
	 */
	bool plain_writes;
	/*
	 * Tests only: every single PUT gets a data file, as before schema v12
	 * (I5 in posix_inline.c); by default one whose stored bytes fit
	 * POSIX_INLINE_STORED_MAX keeps them in the index instead.
	 */
	bool files_only;
	/*
	 * The master keys, so the scrubber can decrypt SSE-S3 objects and
	 * check their SHA-256 (NULL: sealed frames are checked without keys,
	 * SHA-256 only for unencrypted objects; S6 in posix_scrub.c). Only the
	 * scrubber uses them: readers get data keys from reader_unseal.
	 * Borrowed: outlives the backend.
	 */
	const struct keyring *keys;
	/*
	 * Storage tiers: classes listed here keep their data files under their
	 * own directory; every other class lives in the data directory. Open
	 * fails (naming the class) when rows say data lives in a tier that is
	 * not configured, or when a tier is invalid, repeated or shares a
	 * directory with another location. Files stay where they were written
	 * until object_transition moves them (T2 in posix.c).
	 */
	size_t ntiers;
	struct posix_tier tiers[POSIX_MAX_TIERS];
	/* The remote store of s3:// tiers (needed only when one is configured). */
	struct posix_remote_opts remote;
};

/* posix_open with options. */
s3err_t posix_open_opts(const char *dir, const struct posix_opts *opts, struct backend **out);

/* Frames that failed verification, or data files of the wrong size, seen by readers so far. */
uint64_t posix_integrity_failures(void);

#endif
