/*
 * The lsmon layout (Sentinel RMS's application monitor), produced from a
 * snapshot of licd's sentinel front end (licd_sentinel_query) so that
 * administrators, and the scripts that read lsmon output, read licd as
 * they read a Sentinel server.  Formatting only: tests feed hand-built
 * snapshots.
 *
 * The layout: per feature a " |- Feature Information" block of
 * "   |- Label : value" lines, then nested two columns deeper a
 * "   |- License Information" block and one "   |- Client Information"
 * block per holder.  Labels are padded to one column, so that every
 * colon of a block lines up.
 */
#ifndef LICCTL_LSMON_H
#define LICCTL_LSMON_H

#include <stdio.h>
#include <time.h>

#include "licd.h"

#define LSMON_LABEL_WIDTH 30 /* then " : " */

/*
 * Writes one "|- label : value" line at depth (0: a block's title, 1: a
 * top-level block's lines, 2: a nested block's lines); value is a printf
 * format, NULL for a title line.  Returns 0, or -1 when out fails.
 */
int lsmon_line(FILE *out, int depth, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

struct lsmon_opts {
	const char *feature; /* only this feature, or NULL */
	const char *server; /* the "Contacting" line's host, or NULL */
	int local_time; /* dates in local time (1) or UTC (0) */
	long long now_ms; /* the time expiries are judged at (0: now) */
};

/* Writes the whole view of st.  Returns 0, or -1 when out fails. */
int lsmon_format(const struct licd_sentinel_status *st,
    const struct lsmon_opts *, FILE *out);

/* A date as lsmon writes it, "Tue Nov 03 11:34:40 2020", from ms since
 * the epoch, in local time or UTC. */
void lsmon_date(long long ms, int local_time, char *buf, size_t len);

/* The lsmon text of a sharing criterion name ("user", ...). */
const char *lsmon_sharing(const char *share);

#endif
