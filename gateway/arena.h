/*
 * arena: per-request memory. Everything a request decodes (path, key, query
 * strings) is carved from its arena and released at once when the request
 * ends, so an early error path can never leak. Bounded: an arena refuses to
 * grow past its cap (set from limits.h by the caller).
 */
#ifndef STRATA_ARENA_H
#define STRATA_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	size_t used; /* bytes handed out, all blocks */
	size_t cap;  /* refuse allocations past this */
};

/* Prepares an empty arena with a total cap. */
void arena_init(struct arena *a, size_t cap);

/* Returns n zeroed bytes aligned for any type, or NULL (cap reached / out of memory). */
void *arena_alloc(struct arena *a, size_t n);

/* Copies n bytes and a NUL; NULL when out of room. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);

/* Releases every block. The arena can be reused afterwards. */
void arena_free(struct arena *a);

/*
 * Empties the arena for its next user but keeps its first block if that is
 * a standard one (8 KiB): a connection's next request then allocates nothing
 * for its first 8 KiB. Everything handed out before is invalid afterwards;
 * arena_alloc still zeroes what it hands out.
 */
void arena_rewind(struct arena *a);

#endif
