/*
 * The identity cache (ident_cache.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident_cache.h"

#define IDENT_BUCKETS 4096

int
ident_cache_init(struct ident_cache *c, const struct ident_lifetimes *life)
{
	memset(c, 0, sizeof(*c));
	c->life = *life;
	c->buckets = calloc(IDENT_BUCKETS, sizeof(*c->buckets));
	if (c->buckets == NULL)
		return -1;
	c->nbuckets = IDENT_BUCKETS;
	c->max = IDENT_CACHE_MAX;
	return 0;
}

void
ident_cache_free(struct ident_cache *c)
{
	struct ident_entry *e, *next;
	size_t i;

	for (i = 0; i < c->nbuckets; i++)
		for (e = c->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(c->buckets);
	memset(c, 0, sizeof(*c));
}

static size_t
ident_hash(const char *s)
{
	size_t h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* Frees the entries of no use at now; returns how many. */
static size_t
ident_cache_sweep(struct ident_cache *c, int64_t now)
{
	struct ident_entry **pp, *e;
	size_t i, freed = 0;

	for (i = 0; i < c->nbuckets; i++)
		for (pp = &c->buckets[i]; (e = *pp) != NULL;) {
			if (e->busy || now < e->retry_after ||
			    (e->have && now < e->stale_until)) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			free(e);
			c->n--;
			freed++;
		}
	return freed;
}

struct ident_entry *
ident_cache_entry(
    struct ident_cache *c, const char *key, int create, int64_t now)
{
	struct ident_entry *e;
	size_t b;

	if (strlen(key) >= IDENT_KEY_MAX)
		return NULL;
	b = ident_hash(key) % c->nbuckets;
	for (e = c->buckets[b]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	if (!create)
		return NULL;
	/* XXX: a sweep of the whole cache each time it is full; a cache
	 * full of usable answers takes nobody new, whose checkouts then
	 * follow the product's on-failure setting. */
	if (c->n >= c->max && ident_cache_sweep(c, now) == 0)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->next = c->buckets[b];
	c->buckets[b] = e;
	c->n++;
	return e;
}

enum ident_use
ident_cache_use(const struct ident_entry *e, int64_t now)
{
	if (e == NULL)
		return IDENT_USE_MISS;
	if (e->have && now < e->fresh_until)
		return IDENT_USE_FRESH;
	if (e->have && now < e->stale_until)
		return IDENT_USE_STALE;
	if (now < e->retry_after)
		return IDENT_USE_FAILED;
	return IDENT_USE_MISS;
}

int
ident_cache_should_ask(const struct ident_entry *e, int64_t now)
{
	if (e == NULL)
		return 1;
	if (e->busy || now < e->retry_after)
		return 0;
	return !(e->have && now < e->fresh_until);
}

void
ident_cache_put(struct ident_cache *c, struct ident_entry *e,
    const struct ident_answer *a, int64_t now)
{
	int64_t life;

	e->busy = 0;
	if (a->kind == IDENT_ERROR) {
		e->retry_after = now + (int64_t)c->life.retry * 1000;
		snprintf(e->last_error, sizeof(e->last_error), "%s", a->error);
		return;
	}
	life = a->kind == IDENT_FOUND ? c->life.positive : c->life.negative;
	e->have = 1;
	e->ans = *a;
	e->fetched = now;
	e->fresh_until = now + life * 1000;
	e->stale_until = e->fresh_until;
	if (a->kind == IDENT_FOUND)
		e->stale_until += (int64_t)c->life.max_stale * 1000;
	e->retry_after = 0;
	e->last_error[0] = '\0';
}
