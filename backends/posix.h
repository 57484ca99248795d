/*
 * posix: the local-disk backend.
 *
 * Layout under the data directory (DESIGN.md, "Where metadata lives"):
 *   index.db        SQLite (WAL) index: buckets, objects and their metadata,
 *                   multipart uploads and parts, the parts of multipart objects
 *                   (object_parts), and the gc queue of files to unlink
 *   objects/xx/ID   object and part data, named by a random 128-bit id (hex),
 *                   never by the key; xx = first two hex digits of ID
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

/*
 * Opens (creating if needed) a posix backend rooted at dir. Removes leftover
 * temporaries and finishes interrupted deletions.
 * Errors: S3E_InternalError (with a message on stderr naming the path).
 */
s3err_t posix_open(const char *dir, struct backend **out);

/* Frames that failed verification, or data files of the wrong size, seen by readers so far. */
uint64_t posix_integrity_failures(void);

#endif
