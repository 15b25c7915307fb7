/*
 * lmstat-style reports from a licd status snapshot.  The layout follows
 * what lmstat prints and what scrapers of it expect: two spaces after
 * "Users of F:" and after the ';', "license" in the singular for one,
 * holder lines indented four spaces with "(server/port handle)", and
 * reservation lines indented by a tab.  Times are local, as lmstat's are.
 */
#include <stdint.h>
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

/* The columns of lmstat -i: the heading sits one column left of the data
 * under "Version" and "#licenses", as in lmstat's own output. */
#define INFO_HEAD "%-31s %-11s %-12s %-12s %s\n"
#define INFO_ROW "%-31s %-12s %-11s %-12s %s\n"

static const char *
plural(long n)
{
	return n == 1 ? "" : "s";
}

static const char *
or_default(const char *s, const char *def)
{
	return s != NULL && s[0] != '\0' ? s : def;
}

static void
print_header(time_t now, FILE *out)
{
	struct tm tm;

	localtime_r(&now, &tm);
	fprintf(out,
	    "licctl - licd v%s licence server status "
	    "(lmstat layout)\n",
	    LICD_VERSION);
	/* lmstat writes neither the month, the day nor the hour padded. */
	fprintf(out, "Flexible License Manager status on %s %d/%d/%d %d:%02d\n",
	    wdays[tm.tm_wday], tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min);
	fprintf(out, "\n");
}

void
lmstat_expiry(long long expiry, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	if (expiry == 0) {
		snprintf(buf, len, "permanent");
		return;
	}
	/* expiry is the first second no longer granted: the day before it
	 * is the last day. */
	t = (time_t)expiry - 1;
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%02d-%s-%d", tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900);
}

static const char *
feature_vendor(
    const struct licd_status *st, const struct licd_status_feature *f)
{
	return or_default(f->vendor, or_default(st->vendor, "licd"));
}

static int
feature_has_details(
    const struct licd_status *st, const struct licd_status_feature *f)
{
	size_t j;

	if (f->queued > 0)
		return 1;
	for (j = 0; j < st->nreservations; j++)
		if (strcmp(st->reservations[j].feature, f->feature) == 0)
			return 1;
	for (j = 0; j < st->ngrants; j++)
		if (strcmp(st->grants[j].feature, f->feature) == 0)
			return 1;
	return 0;
}

static int
feature_selected(
    const struct licd_status *st, size_t i, const struct lmstat_opts *o)
{
	const struct licd_status_feature *f = &st->features[i];

	if (o->vendor != NULL && strcmp(feature_vendor(st, f), o->vendor) != 0)
		return 0;
	if (o->feature != NULL)
		return strcmp(f->feature, o->feature) == 0;
	if (o->all || o->vendor != NULL)
		return 1;
	return f->in_use > 0 || feature_has_details(st, f);
}

static void
print_vendors(const struct licd_status *st, const char *version,
    const struct lmstat_opts *o, FILE *out)
{
	const char *v;
	size_t i, j;
	int seen;

	for (i = 0; i < st->nfeatures; i++) {
		v = feature_vendor(st, &st->features[i]);
		seen = 0;
		for (j = 0; j < i && !seen; j++)
			seen = strcmp(feature_vendor(st, &st->features[j]),
				   v) == 0;
		if (!seen && (o->vendor == NULL || strcmp(v, o->vendor) == 0))
			fprintf(out, "  %s: UP v%s\n", v, version);
	}
	if (st->nfeatures == 0)
		fprintf(out, "  %s: UP v%s\n", or_default(st->vendor, "licd"),
		    version);
}

static void
print_holder(const struct licd_status *st, const struct licd_status_feature *f,
    const struct licd_status_grant *g, time_t now, FILE *out)
{
	struct tm tm;
	time_t start = (time_t)g->start;
	long long left, total;

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
	/* lmstat writes "(linger: left / total)" in seconds.
	 * XXX: STATUS gives the linger, not when a returned seat's linger
	 * ends, so "left" is the whole linger even for a seat already
	 * checked in and lingering. */
	/* FlexLM shows a borrowed seat as a lingering one whose linger is
	 * the borrow period: the same "(linger: left / total)" here, in
	 * seconds from the checkout to the end of the borrow. */
	if (g->borrowed_until > 0) {
		total = (long long)g->borrowed_until - (long long)g->start;
		left = (long long)g->borrowed_until - (long long)now;
		if (total < 0)
			total = 0;
		if (left < 0)
			left = 0;
		if (left > total)
			left = total;
		fprintf(out, "  (linger: %lld / %lld)", left, total);
	} else if (g->linger > 0)
		fprintf(out, "  (linger: %d / %d)", g->linger, g->linger);
	fprintf(out, "\n");
}

static void
print_feature(const struct licd_status *st, const struct licd_status_feature *f,
    time_t now, FILE *out)
{
	char expires[32];
	size_t j;

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
	if (!feature_has_details(st, f))
		return;

	lmstat_expiry((long long)f->expiry, expires, sizeof(expires));
	fprintf(out, "  \"%s\" v%s, vendor: %s, expiry: %s\n", f->feature,
	    f->version, feature_vendor(st, f), expires);
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
			print_holder(st, f, &st->grants[j], now, out);
	/* lmstat lists each queued request with its holder; STATUS gives
	 * only how many wait, so that is what is shown. */
	if (f->queued > 0)
		fprintf(out,
		    "    %d request%s queued (who waits is not reported "
		    "by licd)\n",
		    f->queued, plural(f->queued));
	fprintf(out, "\n");
}

int
lmstat_format(
    const struct licd_status *st, const struct lmstat_opts *o, FILE *out)
{
	struct lmstat_server self;
	const struct lmstat_server *sv = o->servers;
	const char *host = NULL, *version = LICD_VERSION;
	char name[300];
	size_t i, n = o->nservers;

	if (sv == NULL || n == 0) {
		/* Only the server the snapshot came from. */
		if (st == NULL)
			return -1;
		snprintf(name, sizeof(name), "%d@%s", st->port,
		    or_default(st->server_host, "localhost"));
		memset(&self, 0, sizeof(self));
		self.name = name;
		self.host = or_default(st->server_host, "localhost");
		self.up = 1;
		self.version = st->server_version;
		sv = &self;
		n = 1;
	}
	for (i = 0; i < n && host == NULL; i++)
		if (sv[i].up) {
			host = sv[i].host;
			version = or_default(sv[i].version, LICD_VERSION);
		}

	print_header(o->now, out);
	fprintf(out, "License server status: ");
	for (i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? "," : "", sv[i].name);
	fprintf(out, "\n");
	if (st != NULL)
		fprintf(out, "    License file(s) on %s: %s:\n", sv[0].host,
		    or_default(
			o->files, or_default(st->files, "(not reported)")));
	fprintf(out, "\n");
	for (i = 0; i < n; i++) {
		if (sv[i].up)
			fprintf(out, "%s: license server UP v%s\n", sv[i].host,
			    or_default(sv[i].version, LICD_VERSION));
		else
			fprintf(out,
			    "%s: Cannot connect to license server system. "
			    "(%s)\n",
			    sv[i].host, or_default(sv[i].why, "no answer"));
	}
	fprintf(out, "\n");
	if (st == NULL) {
		fflush(out);
		return ferror(out) ? -1 : 0;
	}

	fprintf(out, "Vendor daemon status (on %s):\n", host);
	fprintf(out, "\n");
	print_vendors(st, version, o, out);
	fprintf(out, "\n");
	if (!o->no_features) {
		fprintf(out, "Feature usage info:\n");
		fprintf(out, "\n");
		for (i = 0; i < st->nfeatures; i++)
			if (feature_selected(st, i, o))
				print_feature(
				    st, &st->features[i], o->now, out);
	}
	fflush(out);
	return ferror(out) ? -1 : 0;
}

int
lmstat_format_info(const struct licd_status *st, const char *feature, FILE *out)
{
	const struct licd_status_feature *f;
	char expires[32], count[16];
	size_t i;

	fprintf(out, INFO_HEAD, "Feature", "Version", "#licenses", "Expires",
	    "Vendor");
	fprintf(out, INFO_HEAD, "_______", "_________", "_________",
	    "__________", "______");
	/* XXX: one row per feature from STATUS, where lmstat -i shows one
	 * per licence line: INCREMENT lines of a feature are summed. */
	for (i = 0; i < st->nfeatures; i++) {
		f = &st->features[i];
		if (feature != NULL && strcmp(f->feature, feature) != 0)
			continue;
		lmstat_expiry((long long)f->expiry, expires, sizeof(expires));
		if (f->uncounted)
			snprintf(count, sizeof(count), "uncounted");
		else
			snprintf(count, sizeof(count), "%d", f->issued);
		fprintf(out, INFO_ROW, f->feature, f->version, count, expires,
		    feature_vendor(st, f));
	}
	fflush(out);
	return ferror(out) ? -1 : 0;
}
