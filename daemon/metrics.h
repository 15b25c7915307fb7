/*
 * Counters of what the core decided since licd started (checkouts,
 * checkins by reason, denials by reason, queued requests, per feature),
 * and the most recent denials for the status page.  Fed from the core's
 * event sink on the loop thread; read by the HTTP views on the same
 * thread, so nothing here locks.
 */
#ifndef LICD_METRICS_H
#define LICD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define METRICS_REASONS 19 /* enum core_reason values */
#define METRICS_RELEASES 10 /* enum core_release values, 0-9 */
#define METRICS_DENIALS_KEPT 50

struct metrics_feature {
	char name[CORE_NAME_MAX]; /* "" for requests naming no real feature */
	uint64_t checkouts;
	uint64_t queued;
	uint64_t checkins[METRICS_RELEASES];
	uint64_t denials[METRICS_REASONS];
	struct metrics_feature *next; /* hash chain */
};

/* One refused request, as the status page lists it. */
struct metrics_denial {
	int64_t time; /* ms */
	char feature[CORE_NAME_MAX];
	char user[CORE_NAME_MAX];
	char host[CORE_NAME_MAX];
	char unit[CORE_NAME_MAX];
	char reason[32];
};

/* Counts the event and passes it on to the use history.  Called from
 * licd_core_sink for every core event. */
void metrics_core_event(const struct core_event *);

/* Adds a denial read back from the journal at start-up (counters are
 * not touched: they count since this start). */
void metrics_seed_denial(const struct metrics_denial *);

/* Calls fn for every feature with counters, in no particular order. */
void metrics_foreach(
    void (*fn)(void *arg, const struct metrics_feature *), void *arg);

/* The kept denials, newest first: returns how many were put in out. */
size_t metrics_recent_denials(struct metrics_denial *out, size_t max);

void metrics_free(void);

/* Datagrams the sentinel front end dropped unanswered, by why. */
enum metrics_drop {
	METRICS_DROP_RATE, /* over the source address's rate */
	METRICS_DROP_AUTH, /* unsigned, forged or altered */
	METRICS_DROP_REPLAY, /* seen before, or a stale timestamp */
	METRICS_DROP_MALFORMED, /* not a sentinel datagram at all */
};
#define METRICS_DROPS 4

void metrics_drop(enum metrics_drop);
uint64_t metrics_dropped(enum metrics_drop);
const char *metrics_drop_name(enum metrics_drop); /* "rate", ... */

#endif
