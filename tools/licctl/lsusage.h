/*
 * licctl lsusage: per feature, what became of the requests of a period
 * and how long tokens were held, in the spirit of Sentinel's lsusage,
 * computed from the journal by the report module (report.h, rows by
 * feature).  Nothing here reads the journal: lsusage_from_row() turns a
 * report row into the figures and the formatters write them to a stream,
 * so tests feed hand-built records.
 *
 * A request is a checkout (granted at once, from the queue, or taken back
 * within its linger), a denial, or a queue entry.  A request queued in the
 * period and granted before its end appears as a queue entry and as a
 * checkout, and is counted once:
 *
 *   requests = checkouts + denials + queued - queued_granted
 *
 * A request queued before the period and granted in it counts as a
 * checkout of the period only; one queued in the period and still waiting
 * at its end, or given up, is queued and neither issued nor denied.
 * Tokens issued are those the checkouts took from the pool: a checkout
 * that shares a token (SHARE=, DUP_GROUP) or takes its own held one back
 * takes none.  Holding times are those of the grants returned in the
 * period, whole (from their checkout, which may lie before the period),
 * lingering included.
 */
#ifndef LICCTL_LSUSAGE_H
#define LICCTL_LSUSAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

struct lsusage_row {
	char feature[CORE_NAME_MAX];
	uint64_t requests;
	uint64_t issued;
	uint64_t denied;
	uint64_t queued;
	uint64_t queued_granted;
	/* Percentages of requests, 0 when there were none. */
	double issued_pct;
	double denied_pct;
	double queued_pct;
	double queued_granted_pct;
	uint64_t tokens; /* tokens taken from the pool by the checkouts */
	uint64_t returns; /* grants returned in the period */
	int64_t hold_min_ms;
	int64_t hold_avg_ms; /* rounded to the nearest millisecond */
	int64_t hold_max_ms;
};

/* The figures of one report row (a REPORT_BY_FEATURE report). */
void lsusage_from_row(const struct report_row *, struct lsusage_row *);

/* The CSV header (RFC 4180, CRLF), the columns in order:
 *   feature,requests,issued,issued_pct,denied,denied_pct,queued,
 *   queued_pct,queued_granted,queued_granted_pct,tokens_issued,returns,
 *   hold_min_s,hold_avg_s,hold_max_s
 * Percentages with two decimals, holding times in seconds with three
 * (empty when nothing was returned).  Return 0, or -1 when out fails. */
int lsusage_csv_header(FILE *out);
int lsusage_csv_row(const struct lsusage_row *, FILE *out);

/* One feature's block of padded "label : value" lines. */
int lsusage_format(const struct lsusage_row *, FILE *out);

/* A holding time as "HH:MM:SS", with "Nd " before it from a day on;
 * rounded to the nearest second. */
void lsusage_duration(int64_t ms, char *buf, size_t len);

#endif
