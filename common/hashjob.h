/*
 * hashjob: a hashset fed on a thread of its own.
 *
 * A large upload's digests (MD5 for the ETag, SHA-256, the client's
 * checksum) cost about as much CPU as sealing, tagging and writing the same
 * bytes. With a hashjob the digests run on one core while the request
 * thread does the rest on another (issue 11: a single stream's PUT then
 * goes past what one core can do).
 *
 * One piece at a time: hashjob_feed hands a buffer to the thread and
 * returns at once; hashjob_wait returns when the thread is done with it.
 * Between the two the caller must not change or free the buffer, and must
 * not touch the hashset. The hashset stays the caller's.
 */
#ifndef STRATA_HASHJOB_H
#define STRATA_HASHJOB_H

#include <stddef.h>

#include "checksum.h"
#include "s3err.h"

struct hashjob;

/* Starts the thread that will update hs. Errors: S3E_InternalError (no thread). */
s3err_t hashjob_new(struct hashset *hs, struct hashjob **out);

/* Hands data[len] to the thread, which hashes it into the hashset. No piece may be pending. */
void hashjob_feed(struct hashjob *j, const void *data, size_t len);

/* Returns once the piece fed last (if any) is in the hashset. */
void hashjob_wait(struct hashjob *j);

/* Waits for the pending piece, stops and joins the thread. NULL does nothing. */
void hashjob_free(struct hashjob *j);

#endif
