/*
 * The containers of the core: a 64-bit-keyed map for handles, tickets and
 * sessions, a string map for names, and the timer heap.  They are small on
 * purpose; each does only what the core asks of it.
 */
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

static size_t
u64_hash(uint64_t k)
{
	/* Handles are sequential: mix the bits so that they spread. */
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return (size_t)k;
}

static int
u64map_grow(struct core_u64map *m)
{
	struct core_u64map_slot *old = m->slots, *s;
	size_t oldcap = m->cap, cap, i, j;

	cap = oldcap ? oldcap * 2 : 16;
	s = calloc(cap, sizeof(*s));
	if (s == NULL)
		return -1;

	for (i = 0; i < oldcap; i++) {
		if (old[i].key == 0)
			continue;
		j = u64_hash(old[i].key) & (cap - 1);
		while (s[j].key != 0)
			j = (j + 1) & (cap - 1);
		s[j] = old[i];
	}
	free(old);
	m->slots = s;
	m->cap = cap;
	return 0;
}

/* Adds or replaces key (nonzero).  Returns 0, or -1 when out of memory. */
int
core_u64map_put(struct core_u64map *m, uint64_t key, void *val)
{
	size_t i;

	if (key == 0)
		return -1;
	if ((m->n + 1) * 2 > m->cap && u64map_grow(m) == -1)
		return -1;

	i = u64_hash(key) & (m->cap - 1);
	while (m->slots[i].key != 0 && m->slots[i].key != key)
		i = (i + 1) & (m->cap - 1);
	if (m->slots[i].key == 0)
		m->n++;
	m->slots[i].key = key;
	m->slots[i].val = val;
	return 0;
}

/* Returns the value of key, or NULL. */
void *
core_u64map_get(const struct core_u64map *m, uint64_t key)
{
	size_t i;

	if (m->cap == 0 || key == 0)
		return NULL;

	i = u64_hash(key) & (m->cap - 1);
	while (m->slots[i].key != 0) {
		if (m->slots[i].key == key)
			return m->slots[i].val;
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

/* Removes key if present.  The entries after it in its probe run are
 * shifted back so that no tombstones accumulate. */
void
core_u64map_del(struct core_u64map *m, uint64_t key)
{
	size_t i, j, home, mask;

	if (m->cap == 0 || key == 0)
		return;
	mask = m->cap - 1;

	i = u64_hash(key) & mask;
	while (m->slots[i].key != key) {
		if (m->slots[i].key == 0)
			return;
		i = (i + 1) & mask;
	}

	j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (m->slots[j].key == 0)
			break;
		home = u64_hash(m->slots[j].key) & mask;
		/* Move j into the hole at i unless its home lies
		 * cyclically in (i, j]. */
		if ((i <= j) ? (i < home && home <= j)
			     : (i < home || home <= j))
			continue;
		m->slots[i] = m->slots[j];
		i = j;
	}
	m->slots[i].key = 0;
	m->slots[i].val = NULL;
	m->n--;
}

void
core_u64map_free(struct core_u64map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static size_t
str_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static int
strmap_grow(struct core_strmap *m)
{
	struct core_strmap_slot *old = m->slots, *s;
	size_t oldcap = m->cap, cap, i, j;

	cap = oldcap ? oldcap * 2 : 16;
	s = calloc(cap, sizeof(*s));
	if (s == NULL)
		return -1;

	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		j = str_hash(old[i].key) & (cap - 1);
		while (s[j].key != NULL)
			j = (j + 1) & (cap - 1);
		s[j] = old[i];
	}
	free(old);
	m->slots = s;
	m->cap = cap;
	return 0;
}

/* Adds key unless present (the first value wins, which is what "the first
 * GROUP that lists the user" needs).  Returns 0, or -1 when out of
 * memory. */
int
core_strmap_put(struct core_strmap *m, const char *key, void *val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap && strmap_grow(m) == -1)
		return -1;

	i = str_hash(key) & (m->cap - 1);
	while (m->slots[i].key != NULL) {
		if (strcmp(m->slots[i].key, key) == 0)
			return 0;
		i = (i + 1) & (m->cap - 1);
	}
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->n++;
	return 0;
}

void *
core_strmap_get(const struct core_strmap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;

	i = str_hash(key) & (m->cap - 1);
	while (m->slots[i].key != NULL) {
		if (strcmp(m->slots[i].key, key) == 0)
			return m->slots[i].val;
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

void
core_strmap_free(struct core_strmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static int
timer_before(const struct core_timer *a, const struct core_timer *b)
{
	return a->when < b->when;
}

/* Adds a timer.  Returns 0, or -1 when out of memory. */
int
core_heap_push(struct core_heap *h, const struct core_timer *t)
{
	struct core_timer *v, tmp;
	size_t i, parent, cap;

	if (h->n == h->cap) {
		cap = h->cap ? h->cap * 2 : 64;
		v = realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		h->v = v;
		h->cap = cap;
	}

	i = h->n++;
	h->v[i] = *t;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (!timer_before(&h->v[i], &h->v[parent]))
			break;
		tmp = h->v[i];
		h->v[i] = h->v[parent];
		h->v[parent] = tmp;
		i = parent;
	}
	return 0;
}

/* Removes the earliest timer (h->v[0]); the heap must not be empty. */
void
core_heap_pop(struct core_heap *h)
{
	struct core_timer tmp;
	size_t i, l, r, m;

	h->v[0] = h->v[--h->n];
	i = 0;
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < h->n && timer_before(&h->v[l], &h->v[m]))
			m = l;
		if (r < h->n && timer_before(&h->v[r], &h->v[m]))
			m = r;
		if (m == i)
			break;
		tmp = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = tmp;
		i = m;
	}
}

void
core_heap_free(struct core_heap *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}
