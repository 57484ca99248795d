/* posix_bcache: the posix backend's bucket rows kept in memory (see posix_bcache.h). */
#include "posix_bcache.h"

#include <string.h>

/* FNV-1a: names are short and chosen by users, and a collision only evicts. */
static size_t slot_of(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h % POSIX_BCACHE_SLOTS;
}

bool posix_bcache_init(struct posix_bcache *c)
{
	memset(c, 0, sizeof(*c));
	return pthread_mutex_init(&c->mu, NULL) == 0;
}

void posix_bcache_destroy(struct posix_bcache *c)
{
	pthread_mutex_destroy(&c->mu);
}

bool posix_bcache_get(struct posix_bcache *c, const char *name, struct bucket_info *out,
		      uint64_t *gen)
{
	size_t i = slot_of(name);
	bool hit;

	pthread_mutex_lock(&c->mu);
	hit = c->slot[i].used && strcmp(c->slot[i].b.name, name) == 0;
	if (hit)
		*out = c->slot[i].b;
	*gen = c->gen;
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void posix_bcache_put(struct posix_bcache *c, const struct bucket_info *b, uint64_t gen)
{
	size_t i = slot_of(b->name);

	pthread_mutex_lock(&c->mu);
	if (gen == c->gen) { /* B1 */
		c->slot[i].used = true;
		c->slot[i].b = *b;
	}
	pthread_mutex_unlock(&c->mu);
}

void posix_bcache_drop(struct posix_bcache *c, const char *name)
{
	size_t i = slot_of(name);

	pthread_mutex_lock(&c->mu);
	c->gen++;
	if (c->slot[i].used && strcmp(c->slot[i].b.name, name) == 0)
		c->slot[i].used = false;
	pthread_mutex_unlock(&c->mu);
}
