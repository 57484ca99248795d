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
 * Commit order: fsync data file -> rename tmp/ID to objects/xx/ID -> fsync
 * directory -> index transaction (synchronous=FULL). The replaced object's
 * file is unlinked only after the index commit. A crash between rename and
 * index commit leaves an unreferenced file in objects/ (never visible; a
 * future fsck reclaims it).
 */
#ifndef STRATA_POSIX_H
#define STRATA_POSIX_H

#include "backend.h"

struct keyring;

/*
 * Opens (creating if needed) a posix backend rooted at dir. Removes leftover
 * temporaries and finishes interrupted deletions.
 * Errors: S3E_InternalError (with a message on stderr naming the path).
 */
s3err_t posix_open(const char *dir, struct backend **out);

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
	 * The master keys, so the scrubber can decrypt SSE-S3 objects and
	 * check their SHA-256 (NULL: sealed frames are checked without keys,
	 * SHA-256 only for unencrypted objects; S6 in posix_scrub.c). Only the
	 * scrubber uses them: readers get data keys from reader_unseal.
	 * Borrowed: outlives the backend.
	 */
	const struct keyring *keys;
};

/* posix_open with options. */
s3err_t posix_open_opts(const char *dir, const struct posix_opts *opts, struct backend **out);

/* Frames that failed verification, or data files of the wrong size, seen by readers so far. */
uint64_t posix_integrity_failures(void);

#endif
