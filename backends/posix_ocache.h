/*
 * posix_ocache: the posix backend's current object rows kept in memory.
 *
 * A GET or HEAD reads its object's row, and an index read costs a SQLite
 * read transaction whose WAL locks are fcntl(2) calls: 10 to 15% of a small
 * GET. Only this process writes its index (the data directory's LOCK); the
 * index is always in WAL mode (posix_open refuses to run otherwise), and
 * SQLite calls the WAL hook of the connection that committed after every
 * commit, before that commit's statement returns. So the cache is exact:
 *  O1. Every commit on any connection of the backend moves the generation
 *      (posix_ocache_moved, from the WAL hook), before its writer can answer.
 *  O2. An entry is stored only under the generation read before the index
 *      read that produced it began, and only if it has not moved since; it
 *      is found only while the generation is still that one.
 * Hence a hit is never older than the last commit a client was answered
 * for. Any commit empties the cache as a whole: a row is never patched, so
 * no write path has to know the cache exists. Absent keys are not cached;
 * two keys in one slot evict each other.
 */
#ifndef STRATA_POSIX_OCACHE_H
#define STRATA_POSIX_OCACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/limits.h"
#include "../common/objmeta.h"

#define POSIX_OCACHE_SLOTS 512u	 /* direct-mapped by a hash of bucket and key */
#define POSIX_OCACHE_ID_SIZE 33u /* POSIX_ID_HEX + 1 (checked in posix_ocache.c) */

/* What posix_row_load says of an object: its metadata and where its data is. */
struct posix_orow {
	struct obj_meta meta; /* owns its headers blob */
	char id[POSIX_OCACHE_ID_SIZE];
	char tier[STRATA_STORAGE_CLASS_MAX];
	int layout; /* 0: one data file; 1: in parts */
	bool framed;
	uint8_t *data;	 /* layout 0 inline (I2 in posix_inline.c): its stored bytes, owned */
	size_t data_len; /* else NULL and 0 */
};

/* Frees what row owns (its metadata's blobs, its inline bytes); row stays valid, empty. */
void posix_orow_free(struct posix_orow *row);

struct posix_ocache;

/* A new, empty cache, or NULL when out of memory. */
struct posix_ocache *posix_ocache_new(void);
void posix_ocache_free(struct posix_ocache *c); /* NULL is fine */

/*
 * True and *out filled (a deep copy, the caller frees out->meta) if
 * bucket/key is cached under the current generation. Otherwise false, and
 * *gen is the generation to hand to posix_ocache_put with what the index
 * then says (O2): read it before the index read begins.
 */
bool posix_ocache_get(struct posix_ocache *c, const char *bucket, const char *key,
		      struct posix_orow *out, uint64_t *gen);

/* Stores a copy of row for bucket/key, read after posix_ocache_get gave gen (O2). */
void posix_ocache_put(struct posix_ocache *c, const char *bucket, const char *key,
		      const struct posix_orow *row, uint64_t gen);

/* O1: a transaction committed on one of the backend's connections. Lock-free. */
void posix_ocache_moved(struct posix_ocache *c);

#endif
