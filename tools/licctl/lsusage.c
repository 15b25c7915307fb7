/*
 * licctl lsusage: per feature, the requests of a period and what became
 * of them, and how long tokens were held (lsusage.h says how each figure
 * is counted).  The journal is replayed by the report module; this file
 * turns its rows by feature into lsusage's figures and layout.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_sentinel.h"
#include "licctl.h"
#include "lsmon.h"
#include "lsusage.h"

#define LSUSAGE_EX_ERROR 2 /* as licctl's other reports */

static double
pct(uint64_t n, uint64_t of)
{
	return of == 0 ? 0.0 : 100.0 * (double)n / (double)of;
}

void
lsusage_from_row(const struct report_row *row, struct lsusage_row *u)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->feature, sizeof(u->feature), "%s", row->key);
	u->issued = row->checkouts;
	u->denied = row->denials;
	u->queued = row->queued;
	u->queued_granted = row->queued_granted;
	u->requests = u->issued + u->denied + u->queued - u->queued_granted;
	u->issued_pct = pct(u->issued, u->requests);
	u->denied_pct = pct(u->denied, u->requests);
	u->queued_pct = pct(u->queued, u->requests);
	u->queued_granted_pct = pct(u->queued_granted, u->requests);
	u->tokens = row->tokens;
	u->returns = row->holds;
	if (row->holds > 0) {
		u->hold_min_ms = row->hold_min_ms;
		u->hold_max_ms = row->hold_max_ms;
		u->hold_avg_ms = (row->hold_ms + (int64_t)row->holds / 2) /
		    (int64_t)row->holds;
	}
}

void
lsusage_duration(int64_t ms, char *buf, size_t len)
{
	int64_t s = (ms + 500) / 1000;

	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, len, "%" PRId64 "d %02d:%02d:%02d", s / 86400,
		    (int)(s % 86400 / 3600), (int)(s % 3600 / 60),
		    (int)(s % 60));
	else
		snprintf(buf, len, "%02d:%02d:%02d", (int)(s / 3600),
		    (int)(s % 3600 / 60), (int)(s % 60));
}

int
lsusage_csv_header(FILE *out)
{
	return fputs("feature,requests,issued,issued_pct,denied,denied_pct,"
		     "queued,queued_pct,queued_granted,queued_granted_pct,"
		     "tokens_issued,returns,hold_min_s,hold_avg_s,"
		     "hold_max_s\r\n",
		   out) == EOF
	    ? -1
	    : 0;
}

/* A feature name as a CSV field: quoted when it holds a comma, a quote
 * or a line end (licence parsers refuse those, the journal need not). */
static int
csv_name(const char *s, FILE *out)
{
	if (strcspn(s, ",\"\r\n") == strlen(s))
		return fputs(s, out) == EOF ? -1 : 0;
	if (fputc('"', out) == EOF)
		return -1;
	for (; *s != '\0'; s++)
		if ((*s == '"' && fputc('"', out) == EOF) ||
		    fputc(*s, out) == EOF)
			return -1;
	return fputc('"', out) == EOF ? -1 : 0;
}

static void
csv_seconds(const struct lsusage_row *u, int64_t ms, char *buf, size_t len)
{
	if (u->returns == 0)
		buf[0] = '\0';
	else
		snprintf(
		    buf, len, "%" PRId64 ".%03d", ms / 1000, (int)(ms % 1000));
}

int
lsusage_csv_row(const struct lsusage_row *u, FILE *out)
{
	char lo[32], avg[32], hi[32];

	csv_seconds(u, u->hold_min_ms, lo, sizeof(lo));
	csv_seconds(u, u->hold_avg_ms, avg, sizeof(avg));
	csv_seconds(u, u->hold_max_ms, hi, sizeof(hi));
	if (csv_name(u->feature, out) == -1)
		return -1;
	return fprintf(out,
		   ",%" PRIu64 ",%" PRIu64 ",%.2f,%" PRIu64 ",%.2f,%" PRIu64
		   ",%.2f,%" PRIu64 ",%.2f,%" PRIu64 ",%" PRIu64
		   ",%s,%s,%s\r\n",
		   u->requests, u->issued, u->issued_pct, u->denied,
		   u->denied_pct, u->queued, u->queued_pct, u->queued_granted,
		   u->queued_granted_pct, u->tokens, u->returns, lo, avg,
		   hi) < 0
	    ? -1
	    : 0;
}

int
lsusage_format(const struct lsusage_row *u, FILE *out)
{
	char lo[32] = "-", avg[32] = "-", hi[32] = "-";

	if (u->returns > 0) {
		lsusage_duration(u->hold_min_ms, lo, sizeof(lo));
		lsusage_duration(u->hold_avg_ms, avg, sizeof(avg));
		lsusage_duration(u->hold_max_ms, hi, sizeof(hi));
	}
	if (fputc('\n', out) == EOF ||
	    lsmon_line(out, 0, "Feature Usage", NULL) == -1 ||
	    lsmon_line(out, 1, "Feature name", "\"%s\"", u->feature) == -1 ||
	    lsmon_line(out, 1, "Total number of requests", "%" PRIu64,
		u->requests) == -1 ||
	    lsmon_line(out, 1, "Requests issued", "%.1f%% (%" PRIu64 ")",
		u->issued_pct, u->issued) == -1 ||
	    lsmon_line(out, 1, "Requests denied", "%.1f%% (%" PRIu64 ")",
		u->denied_pct, u->denied) == -1 ||
	    lsmon_line(out, 1, "Requests queued", "%.1f%% (%" PRIu64 ")",
		u->queued_pct, u->queued) == -1 ||
	    lsmon_line(out, 1, "Queued, then issued", "%.1f%% (%" PRIu64 ")",
		u->queued_granted_pct, u->queued_granted) == -1 ||
	    lsmon_line(out, 1, "Tokens issued", "%" PRIu64, u->tokens) == -1 ||
	    lsmon_line(out, 1, "Tokens returned", "%" PRIu64, u->returns) ==
		-1 ||
	    lsmon_line(out, 1, "Minimum holding time", "%s", lo) == -1 ||
	    lsmon_line(out, 1, "Average holding time", "%s", avg) == -1 ||
	    lsmon_line(out, 1, "Maximum holding time", "%s", hi) == -1)
		return -1;
	return 0;
}

/* --from/--to as licctl's reports take them: a bare date as --to
 * includes that day. */
static int
lsusage_bound(const char *s, int is_to, int64_t *ms)
{
	int date_only;

	if (report_parse_time(s, ms, &date_only) == -1) {
		fprintf(stderr,
		    "licctl: lsusage: \"%s\": not a date (YYYY-MM-DD) or ISO "
		    "8601 time\n",
		    s);
		return -1;
	}
	if (is_to && date_only)
		*ms += REPORT_DAY_MS;
	return 0;
}

static int
lsusage_usage(FILE *out)
{
	fprintf(out,
	    "usage: licctl lsusage [--state-dir DIR] [--from DATE] "
	    "[--to DATE]\n"
	    "                      [-f FEATURE] [--frontend NAME] "
	    "[-c]\n");
	return out == stderr ? LICCTL_EX_USAGE : 0;
}

int
cmd_lsusage(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"state-dir", required_argument, NULL, 'd'},
	    {"from", required_argument, NULL, 'F'},
	    {"to", required_argument, NULL, 'T'},
	    {"feature", required_argument, NULL, 'f'},
	    {"frontend", required_argument, NULL, 'e'},
	    {"csv", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *from_s = NULL, *to_s = NULL;
	const char *feature = NULL, *frontend = NULL;
	const struct report_row *row;
	struct lsusage_row u;
	struct report *r;
	struct timespec ts;
	int64_t from = INT64_MIN, to;
	char err[512] = "", tf[40], tt[40];
	size_t i, shown = 0;
	int ch, csv = 0, rc = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:f:ch", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'F':
			from_s = optarg;
			break;
		case 'T':
			to_s = optarg;
			break;
		case 'f':
			feature = optarg;
			break;
		case 'e':
			frontend = optarg;
			break;
		case 'c':
			csv = 1;
			break;
		case 'h':
			return lsusage_usage(stdout);
		default:
			return lsusage_usage(stderr);
		}
	}
	if (optind != argc)
		return lsusage_usage(stderr);
	if (dir == NULL)
		dir = getenv("LICD_STATE_DIR");
	if (dir == NULL)
		dir = "/var/lib/licd";
	clock_gettime(CLOCK_REALTIME, &ts);
	to = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1;
	if ((from_s != NULL && lsusage_bound(from_s, 0, &from) == -1) ||
	    (to_s != NULL && lsusage_bound(to_s, 1, &to) == -1))
		return LICCTL_EX_USAGE;
	if (from >= to) {
		fprintf(
		    stderr, "licctl: lsusage: --from must be before --to\n");
		return LICCTL_EX_USAGE;
	}

	if ((r = report_new(from, to, REPORT_BY_FEATURE)) == NULL) {
		fprintf(stderr, "licctl: lsusage: out of memory\n");
		return LSUSAGE_EX_ERROR;
	}
	if (frontend != NULL && report_set_frontend(r, frontend) == -1) {
		fprintf(
		    stderr, "licctl: lsusage: no front end \"%s\"\n", frontend);
		report_free(r);
		return LICCTL_EX_USAGE;
	}
	if (report_load(r, dir, err, sizeof(err)) == -1 ||
	    report_finish(r) == -1) {
		fprintf(stderr, "licctl: lsusage: %s\n",
		    err[0] != '\0' ? err : "out of memory");
		report_free(r);
		return LSUSAGE_EX_ERROR;
	}

	if (csv) {
		rc = lsusage_csv_header(stdout);
	} else {
		if (from == INT64_MIN)
			snprintf(tf, sizeof(tf), "the first record");
		else
			report_format_time(from, tf, sizeof(tf));
		report_format_time(to, tt, sizeof(tt));
		if (printf("  licd %s usage from %s to %s\n", LICD_VERSION, tf,
			tt) < 0)
			rc = -1;
	}
	for (i = 0; rc == 0 && i < report_nrows(r); i++) {
		row = report_row(r, i);
		if (!row->in_period || row->key[0] == '\0' ||
		    (feature != NULL && strcmp(row->key, feature) != 0))
			continue;
		lsusage_from_row(row, &u);
		rc = csv ? lsusage_csv_row(&u, stdout)
			 : lsusage_format(&u, stdout);
		shown++;
	}
	if (rc == 0 && !csv && shown == 0)
		rc = printf("\n No feature was asked for in the period.\n") < 0
		    ? -1
		    : 0;
	report_free(r);
	if (rc == -1 || fflush(stdout) == EOF) {
		fprintf(stderr, "licctl: lsusage: cannot write the report\n");
		return LSUSAGE_EX_ERROR;
	}
	return 0;
}
