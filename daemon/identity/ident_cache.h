/*
 * The identity cache: what the providers said about each person, how
 * long that may be believed, and when to ask again.  Pure: no I/O, no
 * clock (now is an argument), owned by the event loop.
 *
 * An answer is fresh for the positive lifetime (a person found) or the
 * negative lifetime (no such person).  A person found is then stale for
 * max-stale more: the answer is served while a refresh runs, and served
 * on when the refresh fails (the directory is down); "no such person" is
 * not served stale.  A failed lookup keeps the last answer and is not
 * repeated for the retry interval.  When the cache is full, entries that
 * hold nothing usable any more make room.
 */
#ifndef LICD_IDENT_CACHE_H
#define LICD_IDENT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/eligibility.h"

#define IDENT_KEY_MAX 64
#define IDENT_CACHE_MAX 50000 /* entries, by default */

enum ident_kind {
	IDENT_FOUND, /* facts hold the person */
	IDENT_UNKNOWN, /* every provider answered: no such person */
	IDENT_ERROR, /* a provider failed and none after it knew */
};

/* One lookup's outcome, as the worker reports it. */
struct ident_answer {
	enum ident_kind kind;
	struct core_identity facts; /* state FOUND or UNKNOWN */
	char source[16]; /* the provider that answered: "ldap" ... */
	char person[256]; /* its id for the person: a DN, a uid ... */
	char error[160]; /* IDENT_ERROR: why */
};

struct ident_lifetimes {
	int positive; /* seconds */
	int negative;
	int max_stale;
	int retry;
};

struct ident_entry {
	char key[IDENT_KEY_MAX];
	int have; /* ans holds a FOUND or UNKNOWN answer */
	struct ident_answer ans;
	int64_t fetched; /* ms: when ans arrived */
	int64_t fresh_until;
	int64_t stale_until;
	int64_t retry_after; /* no lookup before this (after a failure) */
	char last_error[160];
	int busy; /* a lookup is running */
	struct ident_entry *next;
};

struct ident_cache {
	struct ident_lifetimes life;
	struct ident_entry **buckets;
	size_t nbuckets;
	size_t n;
	size_t max; /* entries kept at most */
};

/* What a caller may do with a key at now. */
enum ident_use {
	IDENT_USE_FRESH, /* serve the answer */
	IDENT_USE_STALE, /* serve it; refresh when ident_cache_should_ask */
	IDENT_USE_FAILED, /* nothing usable, a lookup failed recently */
	IDENT_USE_MISS, /* nothing usable: look up and wait */
};

int ident_cache_init(struct ident_cache *, const struct ident_lifetimes *);
void ident_cache_free(struct ident_cache *);

/* The entry of key, created when create is set (NULL when absent, on a
 * cache full of usable entries, or without memory).  Creating may free
 * entries that are of no use at now: no lookup running, nothing fresh or
 * stale held, no failure within its retry interval. */
struct ident_entry *ident_cache_entry(
    struct ident_cache *, const char *key, int create, int64_t now);

/* How the entry may be used at now (e may be NULL: a miss). */
enum ident_use ident_cache_use(const struct ident_entry *e, int64_t now);

/* Whether a lookup should start now: none running, and not within the
 * retry interval of a failure, and the answer not fresh. */
int ident_cache_should_ask(const struct ident_entry *e, int64_t now);

/* Records a lookup's outcome at now.  An error keeps the last answer. */
void ident_cache_put(struct ident_cache *, struct ident_entry *,
    const struct ident_answer *, int64_t now);

#endif
