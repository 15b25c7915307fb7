/*
 * The use history behind the status page's charts: for each feature, the
 * peak number of seats in use in every minute of the last 24 hours and
 * every hour of the last 30 days.  It lives in memory only: at start-up it
 * is seeded from the journal files (read-only, before the event loop
 * runs), then fed by the core's checkouts and checkins.  Loop thread only.
 */
#ifndef LICD_HISTORY_H
#define LICD_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#define HISTORY_MINUTES 1440 /* 24 h of one-minute buckets */
#define HISTORY_HOURS 720 /* 30 days of one-hour buckets */

enum history_span {
	HISTORY_DAY, /* HISTORY_MINUTES points, one per minute */
	HISTORY_MONTH, /* HISTORY_HOURS points, one per hour */
};

/*
 * Reads checkouts, checkins and denials of the last 30 days from every
 * journal file in state_dir (archives first, then journal.db), opening
 * each read-only.  Blocks on disk: call before the loop starts.  Returns
 * the number of records used, or -1 with err set (the history then
 * starts empty; licd serves anyway).
 */
long history_seed(const char *state_dir, int64_t now, char *err, size_t len);

/* The feature has level seats in use from time t (ms) on. */
void history_set(const char *feature, int level, int64_t t);

/*
 * Fills out with the span's points for the feature, oldest first, the last
 * one being the bucket that holds now: HISTORY_MINUTES or HISTORY_HOURS
 * values (out must hold that many).  Each is the peak in use within its
 * bucket, 0 before anything is known.  Returns the number of points, or
 * 0 when the feature has no history.
 */
size_t
history_series(const char *feature, enum history_span, int64_t now, int *out);

void history_free(void);

#endif
