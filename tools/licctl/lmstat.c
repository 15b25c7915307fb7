/*
 * lmstat-style reports from a licd status snapshot.  The layout follows
 * what lmstat prints and what scrapers of it expect: two spaces after
 * "Users of F:" and after the ';', "license" in the singular for one,
 * holder lines indented four spaces with "(server/port handle)", and
 * reservation lines indented by a tab.  Times are local, as lmstat's are.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lmstat.h"

#ifndef LICD_VERSION
#define LICD_VERSION "0.0.0"
#endif

static const char *const wdays[] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "oct", "nov", "dec"};

/* The column widths of lmstat -i. */
#define INFO_ROW "%-31s %-12s %-11s %-12s %s\n"

static const char *
plural(long n)
{
	return n == 1 ? "" : "s";
}

static void
print_header(const char *version, time_t now, FILE *out)
{
	struct tm tm;

	localtime_r(&now, &tm);
	fprintf(out,
	    "licctl - licd v%s licence server status "
	    "(lmstat layout)\n",
	    version);
	/* lmstat writes neither the month, the day nor the hour padded. */
	fprintf(out, "Flexible License Manager status on %s %d/%d/%d %d:%02d\n",
	    wdays[tm.tm_wday], tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min);
	fprintf(out, "\n");
}

static const char *
or_default(const char *s, const char *def)
{
	return s != NULL && s[0] != '\0' ? s : def;
}

static int
feature_selected(
    const struct licd_status *st, size_t i, const struct lmstat_opts *o)
{
	const struct licd_status_feature *f = &st->features[i];
	size_t j;

	if (o->feature != NULL)
		return strcmp(f->feature, o->feature) == 0;
	if (o->all)
		return 1;
	if (f->in_use > 0)
		return 1;
	for (j = 0; j < st->ngrants; j++)
		if (strcmp(st->grants[j].feature, f->feature) == 0)
			return 1;
	return 0;
}

static void
print_vendors(const struct licd_status *st, FILE *out)
{
	size_t i, j;
	int seen;

	for (i = 0; i < st->nfeatures; i++) {
		seen = 0;
		for (j = 0; j < i && !seen; j++)
			seen = strcmp(st->features[j].vendor,
				   st->features[i].vendor) == 0;
		if (!seen)
			fprintf(out, "  %s: UP v%s\n",
			    or_default(st->features[i].vendor,
				or_default(st->vendor, "licd")),
			    st->server_version);
	}
	if (st->nfeatures == 0)
		fprintf(out, "  %s: UP v%s\n", or_default(st->vendor, "licd"),
		    st->server_version);
}

static void
print_holder(const struct licd_status *st, const struct licd_status_feature *f,
    const struct licd_status_grant *g, FILE *out)
{
	struct tm tm;
	time_t start = (time_t)g->start;

	localtime_r(&start, &tm);
	/* FlexLM shows the host where no display was given: the columns
	 * stay in place for the scrapers. */
	fprintf(out, "    %s %s %s (v%s) (%s/%d %ju), start %s %d/%d %d:%02d",
	    g->user, g->host, or_default(g->display, g->host),
	    or_default(g->version, f->version), st->server_host, st->port,
	    (uintmax_t)g->handle, wdays[tm.tm_wday], tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min);
	if (g->count > 1)
		fprintf(out, ", %d licenses", g->count);
	/* XXX: lmstat's "(linger: left / total)" needs the time the seat
	 * was returned, which STATUS does not carry; lingering seats show
	 * as ordinary holders. */
	fprintf(out, "\n");
}

static void
print_feature(const struct licd_status *st, const struct licd_status_feature *f,
    FILE *out)
{
	size_t j;
	int details = 0;

	if (f->uncounted)
		fprintf(out, "Users of %s:  (Uncounted, node-locked)\n",
		    f->feature);
	else
		fprintf(out,
		    "Users of %s:  (Total of %d license%s issued;  "
		    "Total of %d license%s in use)\n",
		    f->feature, f->issued, plural(f->issued), f->in_use,
		    plural(f->in_use));
	fprintf(out, "\n");

	for (j = 0; j < st->nreservations && !details; j++)
		details = strcmp(st->reservations[j].feature, f->feature) == 0;
	for (j = 0; j < st->ngrants && !details; j++)
		details = strcmp(st->grants[j].feature, f->feature) == 0;
	if (!details)
		return;

	fprintf(out, "  \"%s\" v%s, vendor: %s\n", f->feature, f->version,
	    or_default(f->vendor, or_default(st->vendor, "licd")));
	fprintf(out, "  %s\n",
	    f->uncounted ? "uncounted nodelocked license" : "floating license");
	fprintf(out, "\n");
	for (j = 0; j < st->nreservations; j++) {
		const struct licd_status_reservation *r = &st->reservations[j];

		if (strcmp(r->feature, f->feature) != 0)
			continue;
		fprintf(out, "\t%d RESERVATION%s for %s %s (%s/%d)\n", r->count,
		    plural(r->count), r->who, r->name, st->server_host,
		    st->port);
	}
	for (j = 0; j < st->ngrants; j++)
		if (strcmp(st->grants[j].feature, f->feature) == 0)
			print_holder(st, f, &st->grants[j], out);
	fprintf(out, "\n");
}

int
lmstat_format(
    const struct licd_status *st, const struct lmstat_opts *o, FILE *out)
{
	const char *host;
	size_t i;

	host = or_default(st->server_host, "localhost");
	print_header(or_default(st->server_version, LICD_VERSION), o->now, out);
	fprintf(out, "License server status: %d@%s\n", st->port, host);
	fprintf(out, "    License file(s) on %s: %s:\n", host,
	    or_default(o->files, or_default(st->files, "(not reported)")));
	fprintf(out, "\n");
	fprintf(out, "%s: license server UP v%s\n", host, st->server_version);
	fprintf(out, "\n");
	fprintf(out, "Vendor daemon status (on %s):\n", host);
	fprintf(out, "\n");
	print_vendors(st, out);
	fprintf(out, "\n");
	fprintf(out, "Feature usage info:\n");
	fprintf(out, "\n");
	for (i = 0; i < st->nfeatures; i++)
		if (feature_selected(st, i, o))
			print_feature(st, &st->features[i], out);
	fflush(out);
	return ferror(out) ? -1 : 0;
}

int
lmstat_format_info(const struct licd_status *st, FILE *out)
{
	const struct licd_status_feature *f;
	char expires[32], count[16];
	struct tm tm;
	time_t t;
	size_t i;

	fprintf(out, INFO_ROW, "Feature", "Version", "#licenses", "Expires",
	    "Vendor");
	fprintf(out, INFO_ROW, "_______", "_________", "_________",
	    "__________", "______");
	for (i = 0; i < st->nfeatures; i++) {
		f = &st->features[i];
		if (f->expiry == 0) {
			snprintf(expires, sizeof(expires), "permanent");
		} else {
			/* expiry is the first second no longer granted:
			 * the day before it is the last day. */
			t = (time_t)f->expiry - 1;
			gmtime_r(&t, &tm);
			snprintf(expires, sizeof(expires), "%02d-%s-%d",
			    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900);
		}
		if (f->uncounted)
			snprintf(count, sizeof(count), "uncounted");
		else
			snprintf(count, sizeof(count), "%d", f->issued);
		fprintf(out, INFO_ROW, f->feature, f->version, count, expires,
		    or_default(f->vendor, or_default(st->vendor, "licd")));
	}
	fflush(out);
	return ferror(out) ? -1 : 0;
}

int
lmstat_format_down(const char *servers, const char *why, time_t now, FILE *out)
{
	print_header(LICD_VERSION, now, out);
	fprintf(out, "License server status: %s\n", servers);
	fprintf(out, "\n");
	fprintf(out,
	    "Error getting status: Cannot connect to license server "
	    "system. (licd server did not answer: %s)\n",
	    why);
	fflush(out);
	return ferror(out) ? -1 : 0;
}
