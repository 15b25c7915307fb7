/*
 * The "lmutil lmstat" layout, produced from a licd STATUS snapshot so that
 * administrators and the monitoring tools that scrape lmstat output can
 * read licd as they read a FlexLM server.  Formatting only: no I/O besides
 * writing to the given stream, so tests feed it hand-built snapshots.
 */
#ifndef LICCTL_LMSTAT_H
#define LICCTL_LMSTAT_H

#include <stdio.h>
#include <time.h>

#include "licd.h"

/* One server of the list, as lmstat reports it. */
struct lmstat_server {
	const char *name; /* port@host, as the list gives it */
	const char *host; /* host, as the list gives it */
	int up;
	const char *version; /* licd's version, when up */
	const char *why; /* why it did not answer, when down */
};

struct lmstat_opts {
	/* -a: every feature; otherwise only features in use (or the one
	 * named by feature) get a "Users of" block. */
	int all;
	const char *feature; /* -f: this feature only, or NULL */
	time_t now; /* the "status on" time */
	/* The licence files for the "License file(s)" line; NULL takes
	 * those the server reported in STATUS. */
	const char *files;
	/* lmstat without -a, -A, -f or -S, and -s: servers and vendor
	 * daemons only, no "Feature usage info". */
	int no_features;
	const char *vendor; /* -S: this vendor's daemon and features only */
	/* The servers asked, in list order; NULL: only the one st came
	 * from, named by its port and host. */
	const struct lmstat_server *servers;
	size_t nservers;
};

/*
 * Writes the lmstat report: header, the servers (UP, or "Cannot connect"
 * with why), and when st is not NULL (the snapshot of the first server
 * that answered) the vendor daemons and the feature usage.  Returns 0, or
 * -1 when out fails.
 */
int lmstat_format(
    const struct licd_status *st, const struct lmstat_opts *, FILE *out);

/* Writes the lmstat -i style table (feature, version, count, expiry,
 * vendor) of st, only feature when not NULL.  Returns 0 or -1. */
int
lmstat_format_info(const struct licd_status *, const char *feature, FILE *out);

/* Formats an expiry (seconds since the epoch, 0 for none) as lmstat
 * does: "31-dec-2026" (the last day granted) or "permanent". */
void lmstat_expiry(long long expiry, char *buf, size_t len);

#endif
