/* arena: bump allocation in blocks, freed together. */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 8192u

struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t off;
	alignas(max_align_t) unsigned char data[];
};

void arena_init(struct arena *a, size_t cap)
{
	a->head = NULL;
	a->used = 0;
	a->cap = cap;
}

void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	struct arena_block *b = a->head;
	size_t need = (n + align - 1) & ~(align - 1);
	void *p;

	/* Every size check guards an addition below from wrapping around. */
	if (need < n || need > a->cap || a->used > a->cap - need || need > SIZE_MAX - sizeof(*b))
		return NULL;
	if (!b || b->size - b->off < need) {
		size_t size = need > ARENA_BLOCK ? need : ARENA_BLOCK;

		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->next = a->head;
		b->size = size;
		b->off = 0;
		a->head = b;
	}
	p = b->data + b->off;
	b->off += need;
	a->used += need;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = n == SIZE_MAX ? NULL : arena_alloc(a, n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

void arena_free(struct arena *a)
{
	struct arena_block *b = a->head, *next;

	for (; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->used = 0;
}

void arena_rewind(struct arena *a)
{
	struct arena_block *b = a->head, *next;

	/* The list runs newest first: every block but the last goes. */
	for (; b && b->next; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->used = 0;
	if (!b)
		return;
	if (b->size != ARENA_BLOCK) {
		free(b);
		return;
	}
	b->off = 0;
	a->head = b;
}
