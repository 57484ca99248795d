/*
 * posix_bcache: the posix backend's bucket rows kept in memory.
 *
 * Every request asks for its bucket (the owner check), and an index read
 * costs a SQLite read transaction, whose WAL locks are fcntl(2) calls: a
 * sixth of a small GET's CPU. Buckets change rarely, and only this process
 * writes its index (the data directory's LOCK), so the cache is exact:
 *  B1. An entry is stored only if no bucket was created or deleted since
 *      the read that produced it began (the generation did not move).
 *  B2. bucket_create and bucket_delete drop the name and move the
 *      generation once their transaction has ended, committed or not.
 * Absent buckets are not cached. A collision of two names evicts one.
 */
#ifndef STRATA_POSIX_BCACHE_H
#define STRATA_POSIX_BCACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"

#define POSIX_BCACHE_SLOTS 128u /* direct-mapped by a hash of the name */

struct posix_bcache {
	pthread_mutex_t mu; /* guards everything below; never held across I/O */
	uint64_t gen;	    /* moved by every create and delete (B2) */
	struct {
		bool used;
		struct bucket_info b;
	} slot[POSIX_BCACHE_SLOTS];
};

/* Initialises c, empty. False only if the mutex cannot be made. */
bool posix_bcache_init(struct posix_bcache *c);
void posix_bcache_destroy(struct posix_bcache *c);

/*
 * True and *out filled if name is cached. Otherwise false, and *gen is the
 * generation to hand to posix_bcache_put with what the index then says.
 */
bool posix_bcache_get(struct posix_bcache *c, const char *name, struct bucket_info *out,
		      uint64_t *gen);

/* Stores b, read from the index after posix_bcache_get gave gen (B1). */
void posix_bcache_put(struct posix_bcache *c, const struct bucket_info *b, uint64_t gen);

/* After a create or delete of name has ended (B2). */
void posix_bcache_drop(struct posix_bcache *c, const char *name);

#endif
