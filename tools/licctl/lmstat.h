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

struct lmstat_opts {
	/* -a: every feature; otherwise only features in use (or the one
	 * named by feature) get a "Users of" block. */
	int all;
	const char *feature; /* -f: this feature only, or NULL */
	time_t now; /* the "status on" time */
	/* The licence files for the "License file(s)" line; NULL takes
	 * those the server reported in STATUS. */
	const char *files;
};

/* Writes the lmstat -a style report of st.  Returns 0, or -1 when out
 * fails. */
int lmstat_format(
    const struct licd_status *, const struct lmstat_opts *, FILE *out);

/* Writes the lmstat -i style table (feature, version, count, expiry,
 * vendor) of st.  Returns 0 or -1. */
int lmstat_format_info(const struct licd_status *, FILE *out);

/* Writes the report for a server list that did not answer: the header,
 * then the "Cannot connect to license server system" line with why. */
int
lmstat_format_down(const char *servers, const char *why, time_t now, FILE *out);

#endif
