/* posix_ocache: the posix backend's current object rows kept in memory (see posix_ocache.h). */
#include "posix_ocache.h"

#include <stdlib.h>
#include <string.h>

#include "../common/strutil.h"
#include "posix_internal.h"

_Static_assert(POSIX_OCACHE_ID_SIZE == POSIX_ID_HEX + 1, "an object id and its NUL");
_Static_assert(STRATA_STORAGE_CLASS_MAX == POSIX_TIER_MAX, "a tier's name and its NUL");

struct ocache_slot {
	bool used;
	uint64_t gen; /* the generation it was stored under (O2) */
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
	char key[STRATA_MAX_KEY_LEN + 1];
	struct posix_orow row;
};

struct posix_ocache {
	pthread_mutex_t mu;   /* guards slot[]; never held across I/O */
	_Atomic uint64_t gen; /* moved by every commit (O1) */
	struct ocache_slot slot[POSIX_OCACHE_SLOTS];
};

/* FNV-1a over bucket, a NUL and key: a collision only evicts. */
static size_t slot_of(const char *bucket, const char *key)
{
	uint32_t h = 2166136261u;

	for (; *bucket; bucket++)
		h = (h ^ (uint8_t)*bucket) * 16777619u;
	h *= 16777619u;
	for (; *key; key++)
		h = (h ^ (uint8_t)*key) * 16777619u;
	return h % POSIX_OCACHE_SLOTS;
}

void posix_orow_free(struct posix_orow *row)
{
	obj_meta_free(&row->meta);
	free(row->data);
	row->data = NULL;
	row->data_len = 0;
}

/* A deep copy of src into *dst (whose contents are not freed); false when out of memory. */
static bool orow_copy(struct posix_orow *dst, const struct posix_orow *src)
{
	*dst = *src;
	dst->data = NULL;
	if (obj_meta_copy(&dst->meta, &src->meta) != S3E_OK) {
		obj_meta_init(&dst->meta);
		return false;
	}
	if (!src->data)
		return true;
	dst->data = malloc(src->data_len > 0 ? src->data_len : 1);
	if (!dst->data) {
		posix_orow_free(dst);
		return false;
	}
	memcpy(dst->data, src->data, src->data_len);
	return true;
}

struct posix_ocache *posix_ocache_new(void)
{
	struct posix_ocache *c = calloc(1, sizeof(*c));

	if (c && pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		c = NULL;
	}
	return c;
}

void posix_ocache_free(struct posix_ocache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < POSIX_OCACHE_SLOTS; i++)
		posix_orow_free(&c->slot[i].row);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

bool posix_ocache_get(struct posix_ocache *c, const char *bucket, const char *key,
		      struct posix_orow *out, uint64_t *gen)
{
	struct ocache_slot *s = &c->slot[slot_of(bucket, key)];
	bool hit;

	pthread_mutex_lock(&c->mu);
	*gen = atomic_load(&c->gen);
	hit =
	    s->used && s->gen == *gen && strcmp(s->bucket, bucket) == 0 && strcmp(s->key, key) == 0;
	/* The blobs are the slot's: out gets its own, or this is a miss. */
	if (hit)
		hit = orow_copy(out, &s->row);
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void posix_ocache_put(struct posix_ocache *c, const char *bucket, const char *key,
		      const struct posix_orow *row, uint64_t gen)
{
	struct ocache_slot *s = &c->slot[slot_of(bucket, key)];

	/* A name the slot cannot hold whole is not cached (never truncated into another's). */
	if (strlen(bucket) >= sizeof(s->bucket) || strlen(key) >= sizeof(s->key))
		return;
	pthread_mutex_lock(&c->mu);
	if (gen == atomic_load(&c->gen)) { /* O2 */
		posix_orow_free(&s->row);
		s->used = orow_copy(&s->row, row);
		s->gen = gen;
		str_copy(s->bucket, sizeof(s->bucket), bucket);
		str_copy(s->key, sizeof(s->key), key);
	}
	pthread_mutex_unlock(&c->mu);
}

void posix_ocache_moved(struct posix_ocache *c)
{
	atomic_fetch_add(&c->gen, 1);
}
