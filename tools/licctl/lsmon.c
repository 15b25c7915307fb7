/*
 * licctl lsmon: the lsmon view of a licd sentinel front end (lsmon.h),
 * and the command that asks for it.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_sentinel.h"
#include "licctl.h"
#include "lsmon.h"

int
lsmon_line(FILE *out, int depth, const char *label, const char *fmt, ...)
{
	va_list ap;
	int indent = 1 + 2 * depth;

	if (fmt == NULL)
		return fprintf(out, "%*s|- %s\n", indent, "", label) < 0 ? -1
									 : 0;
	if (fprintf(
		out, "%*s|- %-*s : ", indent, "", LSMON_LABEL_WIDTH, label) < 0)
		return -1;
	va_start(ap, fmt);
	if (vfprintf(out, fmt, ap) < 0) {
		va_end(ap);
		return -1;
	}
	va_end(ap);
	return fputc('\n', out) == EOF ? -1 : 0;
}

void
lsmon_date(long long ms, int local_time, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if ((local_time ? localtime_r(&t, &tm) : gmtime_r(&t, &tm)) == NULL ||
	    strftime(buf, len, "%a %b %d %H:%M:%S %Y", &tm) == 0)
		snprintf(buf, len, "%lld", ms / 1000);
}

const char *
lsmon_sharing(const char *share)
{
	static const struct {
		const char *name;
		const char *text;
	} texts[] = {
	    {"none", "No sharing."},
	    {"user", "User name based sharing."},
	    {"host", "Client host name based sharing."},
	    {"display", "X display name based sharing."},
	    {"id", "Vendor defined criteria based sharing."},
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (strcmp(share, texts[i].name) == 0)
			return texts[i].text;
	return share[0] != '\0' ? share : "No sharing.";
}

/* "300 secs (5 min(s))", as lsmon writes a token lifetime. */
static void
lsmon_lifetime(int s, char *buf, size_t len)
{
	if (s >= 60)
		snprintf(buf, len, "%d secs (%d min(s))", s, s / 60);
	else
		snprintf(buf, len, "%d secs", s);
}

static void
lsmon_commuter(const struct licd_sentinel_feature *f, char *buf, size_t len)
{
	if (f->commuter_days > 0)
		snprintf(buf, len, "YES (up to %d day(s))", f->commuter_days);
	else
		snprintf(buf, len, "NO");
}

static void
lsmon_expiry(const struct licd_sentinel_feature *f, int local_time, char *buf,
    size_t len)
{
	if (f->expiry == 0)
		snprintf(buf, len, "No expiration");
	else
		lsmon_date(f->expiry, local_time, buf, len);
}

static void
lsmon_limit(const struct licd_sentinel_feature *f, char *buf, size_t len)
{
	if (strcmp(f->share, "none") == 0 || f->share[0] == '\0')
		snprintf(buf, len, "Not applicable");
	else if (f->share_limit == 0)
		snprintf(buf, len, "Unlimited");
	else
		snprintf(buf, len, "%d", f->share_limit);
}

/*
 * The terms of the feature's licence, as lsmon's "License Information"
 * block shows them.
 * XXX: the sentinel QUERY reply describes a feature's pool, not each of
 * its licence lines, so one block stands for all of them.
 */
static int
lsmon_license(const struct licd_sentinel_feature *f, int local_time,
    long long now_ms, FILE *out)
{
	char commuter[64], expiry[64], limit[32], lifetime[64];
	const char *status;

	lsmon_commuter(f, commuter, sizeof(commuter));
	lsmon_expiry(f, local_time, expiry, sizeof(expiry));
	lsmon_limit(f, limit, sizeof(limit));
	lsmon_lifetime(f->lease_s, lifetime, sizeof(lifetime));
	status = f->expiry != 0 && f->expiry <= now_ms ? "Expired" : "Active";
	if (fputc('\n', out) == EOF ||
	    lsmon_line(out, 1, "License Information", NULL) == -1 ||
	    lsmon_line(out, 2, "License type", "\"Normal License\"") == -1 ||
	    lsmon_line(out, 2, "License status", "%s", status) == -1 ||
	    lsmon_line(out, 2, "Commuter license allowed", "%s", commuter) ==
		-1 ||
	    lsmon_line(out, 2, "Maximum concurrent user(s)", "%d",
		f->max_users) == -1 ||
	    lsmon_line(out, 2, "Total tokens", "%d", f->max_tokens) == -1 ||
	    lsmon_line(out, 2, "Expiration date", "%s", expiry) == -1 ||
	    lsmon_line(out, 2, "Sharing criterion", "%s",
		lsmon_sharing(f->share)) == -1 ||
	    lsmon_line(out, 2, "Sharing limit", "%s", limit) == -1 ||
	    lsmon_line(out, 2, "Token lifetime (heartbeat)", "%s", lifetime) ==
		-1)
		return -1;
	return 0;
}

static int
lsmon_client(const struct licd_sentinel_client *c, int local_time, FILE *out)
{
	char since[64], until[64];

	lsmon_date(c->since, local_time, since, sizeof(since));
	if (fputc('\n', out) == EOF ||
	    lsmon_line(out, 1, "Client Information", NULL) == -1 ||
	    lsmon_line(out, 2, "User name", "%s", c->user) == -1 ||
	    lsmon_line(out, 2, "Host name", "%s", c->host) == -1 ||
	    lsmon_line(out, 2, "X display name", "%s",
		c->display[0] != '\0' ? c->display : "local") == -1 ||
	    lsmon_line(out, 2, "Group name", "%s",
		c->group[0] != '\0' ? c->group : "unassigned") == -1 ||
	    lsmon_line(out, 2, "Tokens in use", "%d", c->tokens) == -1 ||
	    lsmon_line(out, 2, "Status", "Running since %s", since) == -1 ||
	    lsmon_line(out, 2, "Is commuter token", "%s",
		c->commuter_until != 0 ? "YES" : "NO") == -1)
		return -1;
	if (c->commuter_until != 0) {
		lsmon_date(c->commuter_until, local_time, until, sizeof(until));
		if (lsmon_line(out, 2, "Commuter until", "%s", until) == -1)
			return -1;
	}
	if (c->hold_until != 0) {
		lsmon_date(c->hold_until, local_time, until, sizeof(until));
		if (lsmon_line(out, 2, "Held until", "%s", until) == -1)
			return -1;
	}
	if (strcmp(c->frontend, "sentinel") != 0 && c->frontend[0] != '\0' &&
	    lsmon_line(out, 2, "Front end", "%s", c->frontend) == -1)
		return -1;
	return 0;
}

/*
 * Whether c holds tokens of f.  A grant names the version of the licence
 * line it came from, which need not be the feature's own when a feature
 * has one record: the version only tells records of one name apart.
 */
static int
lsmon_holds(const struct licd_sentinel_status *st,
    const struct licd_sentinel_feature *f, const struct licd_sentinel_client *c)
{
	size_t i, same = 0;

	if (strcmp(c->feature, f->feature) != 0)
		return 0;
	for (i = 0; i < st->nfeatures; i++)
		if (strcmp(st->features[i].feature, f->feature) == 0)
			same++;
	return same == 1 || strcmp(c->version, f->version) == 0;
}

static int
lsmon_feature(const struct licd_sentinel_status *st,
    const struct licd_sentinel_feature *f, int local_time, long long now_ms,
    FILE *out)
{
	char commuter[64], expiry[64], limit[32], lifetime[64];
	int unreserved;
	size_t i;

	lsmon_commuter(f, commuter, sizeof(commuter));
	lsmon_expiry(f, local_time, expiry, sizeof(expiry));
	lsmon_limit(f, limit, sizeof(limit));
	lsmon_lifetime(f->lease_s, lifetime, sizeof(lifetime));
	unreserved = f->in_use - f->reserved_in_use;
	if (unreserved < 0)
		unreserved = 0;

	if (fputc('\n', out) == EOF ||
	    lsmon_line(out, 0, "Feature Information", NULL) == -1 ||
	    lsmon_line(out, 1, "Feature name", "\"%s\"", f->feature) == -1 ||
	    lsmon_line(out, 1, "Feature version", "\"%s\"", f->version) == -1 ||
	    fputc('\n', out) == EOF ||
	    lsmon_line(out, 1, "License type", "\"Normal License\"") == -1 ||
	    lsmon_line(out, 1, "Commuter license allowed", "%s", commuter) ==
		-1 ||
	    lsmon_line(out, 1, "Maximum concurrent user(s)", "%d",
		f->max_users) == -1 ||
	    lsmon_line(out, 1, "Unreserved tokens in use", "%d", unreserved) ==
		-1 ||
	    lsmon_line(out, 1, "Reserved tokens in use", "%d",
		f->reserved_in_use) == -1 ||
	    lsmon_line(out, 1, "Available reserved", "%d", f->reserved_avail) ==
		-1 ||
	    lsmon_line(out, 1, "Queued requests", "%d", f->queued) == -1 ||
	    lsmon_line(out, 1, "Expiration date", "%s", expiry) == -1 ||
	    lsmon_line(out, 1, "Sharing criterion", "%s",
		lsmon_sharing(f->share)) == -1 ||
	    lsmon_line(out, 1, "Sharing limit", "%s", limit) == -1 ||
	    lsmon_line(out, 1, "Token lifetime (heartbeat)", "%s", lifetime) ==
		-1 ||
	    lsmon_line(out, 1, "Hold time", "%d secs", f->hold_s) == -1)
		return -1;
	if (lsmon_license(f, local_time, now_ms, out) == -1)
		return -1;
	for (i = 0; i < st->nclients; i++)
		if (lsmon_holds(st, f, &st->clients[i]) &&
		    lsmon_client(&st->clients[i], local_time, out) == -1)
			return -1;
	return 0;
}

int
lsmon_format(const struct licd_sentinel_status *st, const struct lsmon_opts *o,
    FILE *out)
{
	struct timespec ts;
	long long now_ms = o->now_ms;
	size_t i, shown = 0;

	if (now_ms == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	if (fprintf(out, "  licd %s Application Monitor\n\n", LICD_VERSION) <
		0 ||
	    fprintf(out, " [Contacting licd sentinel front end at \"%s\"]\n",
		o->server != NULL ? o->server : st->server) < 0)
		return -1;
	for (i = 0; i < st->nfeatures; i++) {
		if (o->feature != NULL &&
		    strcmp(st->features[i].feature, o->feature) != 0)
			continue;
		if (lsmon_feature(
			st, &st->features[i], o->local_time, now_ms, out) == -1)
			return -1;
		shown++;
	}
	if (shown == 0 && o->feature != NULL &&
	    fprintf(out, "\n Feature \"%s\" is not served.\n", o->feature) < 0)
		return -1;
	return fflush(out) == EOF ? -1 : 0;
}

static int
lsmon_usage(FILE *out)
{
	fprintf(out,
	    "usage: licctl lsmon -c SERVERS [--site-key FILE] [--utc]"
	    " [FEATURE]\n");
	return out == stderr ? LICCTL_EX_USAGE : 0;
}

/*
 * licctl lsmon: asks the first server that answers for every feature (or
 * the one named) with its holders, and writes the lsmon view.  Exits 0,
 * 1 when the server refuses, 69 when none answers.
 */
int
cmd_lsmon(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"server", required_argument, NULL, 'c'},
	    {"site-key", required_argument, NULL, 'k'},
	    {"utc", no_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *servers = NULL, *key = NULL;
	struct licd_sentinel_status st;
	struct lsmon_opts o;
	struct licd_sentinel *s;
	char list[1024];
	int ch, rc;

	memset(&o, 0, sizeof(o));
	o.local_time = 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			servers = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'u':
			o.local_time = 0;
			break;
		case 'h':
			return lsmon_usage(stdout);
		default:
			return lsmon_usage(stderr);
		}
	}
	if (optind < argc)
		o.feature = argv[optind++];
	if (optind != argc)
		return lsmon_usage(stderr);
	servers = licctl_sentinel_servers(servers, list, sizeof(list));
	if (servers == NULL) {
		fprintf(
		    stderr, "licctl: lsmon needs a server (-c or LSHOST)\n");
		return LICCTL_EX_USAGE;
	}

	if ((s = licctl_sentinel_open("licctl", servers, key)) == NULL)
		return LICCTL_EX_UNAVAILABLE;
	if (licd_sentinel_query(s, o.feature, &st) == -1) {
		rc = licctl_sentinel_failed("licctl", "lsmon", s);
		licd_sentinel_close(s);
		return rc;
	}
	licd_sentinel_close(s);
	rc = lsmon_format(&st, &o, stdout) == -1 ? LICCTL_EX_FAIL : 0;
	licd_sentinel_status_free(&st);
	return rc;
}
