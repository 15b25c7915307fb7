/*
 * licctl stat, and the lmstat / lmutil lmstat personalities: ask each
 * server of the list for a STATUS snapshot and print the first one that
 * answers in the lmstat layout (lmstat.c), with every server's state.
 *
 * lmstat's flags take optional arguments ("-f" alone means every feature,
 * "-f F" one), which getopt cannot express, so they are read by hand: an
 * optional argument is the next word when it does not start with '-'.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "licctl.h"
#include "licd.h"
#include "lmstat.h"

struct stat_args {
	const char *servers; /* -c */
	int all; /* -a */
	int active; /* -A */
	int feature_given; /* -f, with or without a name */
	const char *feature; /* -f F */
	int info; /* -i */
	const char *info_feature; /* -i F */
	int server_only; /* -s */
	const char *server; /* -s HOST */
	int vendor_given; /* -S */
	const char *vendor; /* -S V */
	const char *pattern; /* -l REGEX */
	int list_given; /* -l */
	int version; /* -v */
	long timeout_s; /* -t */
};

static const char *
optional_arg(int argc, char **argv, int *i)
{
	if (*i + 1 < argc && argv[*i + 1][0] != '-')
		return argv[++*i];
	return NULL;
}

static const char *
required_arg(int argc, char **argv, int *i)
{
	if (*i + 1 < argc)
		return argv[++*i];
	fprintf(stderr, "lmstat: %s needs an argument\n", argv[*i]);
	return NULL;
}

/* Returns 0, 1 for help, or -1 on a usage error (reported). */
static int
stat_parse(int argc, char **argv, struct stat_args *a)
{
	const char *arg, *v;
	char *end;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strcmp(arg, "-c") == 0 || strcmp(arg, "--server") == 0) {
			if ((a->servers = required_arg(argc, argv, &i)) == NULL)
				return -1;
		} else if (strcmp(arg, "-a") == 0 ||
		    strcmp(arg, "--all") == 0) {
			a->all = 1;
		} else if (strcmp(arg, "-A") == 0) {
			a->active = 1;
		} else if (strcmp(arg, "-f") == 0 ||
		    strcmp(arg, "--feature") == 0) {
			a->feature_given = 1;
			a->feature = optional_arg(argc, argv, &i);
		} else if (strcmp(arg, "-i") == 0 ||
		    strcmp(arg, "--info") == 0) {
			a->info = 1;
			a->info_feature = optional_arg(argc, argv, &i);
		} else if (strcmp(arg, "-s") == 0) {
			a->server_only = 1;
			a->server = optional_arg(argc, argv, &i);
		} else if (strcmp(arg, "-S") == 0) {
			a->vendor_given = 1;
			a->vendor = optional_arg(argc, argv, &i);
		} else if (strcmp(arg, "-l") == 0) {
			a->list_given = 1;
			a->pattern = optional_arg(argc, argv, &i);
		} else if (strcmp(arg, "-t") == 0 ||
		    strcmp(arg, "--timeout") == 0) {
			if ((v = required_arg(argc, argv, &i)) == NULL)
				return -1;
			a->timeout_s = strtol(v, &end, 10);
			if (*v == '\0' || *end != '\0' || a->timeout_s < 1 ||
			    a->timeout_s > 3600) {
				fprintf(
				    stderr, "lmstat: bad timeout \"%s\"\n", v);
				return -1;
			}
		} else if (strcmp(arg, "-v") == 0) {
			a->version = 1;
		} else if (strcmp(arg, "-h") == 0 ||
		    strcmp(arg, "-help") == 0 || strcmp(arg, "--help") == 0) {
			return 1;
		} else {
			fprintf(
			    stderr, "lmstat: unknown argument \"%s\"\n", arg);
			return -1;
		}
	}
	return 0;
}

/* -l: keeps the features whose name the expression matches. */
static int
stat_filter_pattern(struct licd_status *st, const char *pattern)
{
	regex_t re;
	size_t i, n = 0;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		fprintf(stderr, "lmstat: bad expression \"%s\"\n", pattern);
		return -1;
	}
	for (i = 0; i < st->nfeatures; i++)
		if (regexec(&re, st->features[i].feature, 0, NULL, 0) == 0)
			st->features[n++] = st->features[i];
	st->nfeatures = n;
	regfree(&re);
	return 0;
}

/* The library's message starts with the server's name, which the report
 * already shows on the same line. */
static void
strip_name(char *why, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(why, name, n) == 0 && strncmp(why + n, ": ", 2) == 0)
		memmove(why, why + n + 2, strlen(why + n + 2) + 1);
}

/*
 * Asks every server; keeps the first answer in *st (returns 1) or none
 * (returns 0).  Each server's state goes to state[] for the report.
 */
static int
stat_query(const struct licctl_servers *sv, const char *feature, long timeout_s,
    struct lmstat_server *state, char (*versions)[32], char (*whys)[512],
    struct licd_status *st)
{
	struct licd_status tmp;
	struct licd_conn *c;
	size_t i;
	int have = 0;

	for (i = 0; i < sv->n; i++) {
		memset(&state[i], 0, sizeof(state[i]));
		state[i].name = sv->list[i].name;
		state[i].host = sv->list[i].host;
		whys[i][0] = versions[i][0] = '\0';
		c = licd_connect(sv->list[i].name, NULL, (int)timeout_s * 1000,
		    whys[i], sizeof(whys[i]));
		if (c == NULL) {
			strip_name(whys[i], sv->list[i].name);
			state[i].why = whys[i];
			continue;
		}
		if (licd_status_get(c, feature, &tmp) == -1) {
			snprintf(whys[i], sizeof(whys[i]), "%s", licd_error(c));
			state[i].why = whys[i];
			licd_close(c);
			continue;
		}
		licd_close(c);
		snprintf(
		    versions[i], sizeof(versions[i]), "%s", tmp.server_version);
		state[i].up = 1;
		state[i].version = versions[i];
		if (!have) {
			*st = tmp;
			have = 1;
		} else {
			licd_status_free(&tmp);
		}
	}
	return have;
}

/* -s HOST: only the servers on that host. */
static int
stat_pick_server(struct licctl_servers *sv, const char *host)
{
	size_t i, n = 0;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->list[i].host, host) == 0)
			sv->list[n++] = sv->list[i];
	sv->n = n;
	return n > 0 ? 0 : -1;
}

static int
stat_run(int argc, char **argv, int lmstat_defaults)
{
	static struct licctl_servers sv;
	static struct lmstat_server state[LICCTL_SERVERS_MAX];
	static char versions[LICCTL_SERVERS_MAX][32];
	static char whys[LICCTL_SERVERS_MAX][512];
	struct stat_args a;
	struct lmstat_opts lo;
	struct licd_status st;
	const char *spec, *filter;
	char err[512];
	int rc, have;

	rc = stat_parse(argc, argv, &a);
	if (rc != 0) {
		licctl_usage(rc == 1 ? stdout : stderr);
		return rc == 1 ? 0 : LICCTL_EX_USAGE;
	}
	if (a.version) {
		licctl_version_line("lmstat", stdout);
		return 0;
	}
	spec = licctl_servers(a.servers);
	if (spec == NULL) {
		fprintf(stderr,
		    "lmstat: no server: give -c PORT@HOST or a licence file, "
		    "or set LM_LICENSE_FILE\n");
		return LICCTL_EX_USAGE;
	}
	if (licctl_servers_resolve(spec, &sv, err, sizeof(err)) == -1) {
		fprintf(stderr, "lmstat: %s\n", err);
		return LICCTL_EX_USAGE;
	}
	if (a.server != NULL && stat_pick_server(&sv, a.server) == -1) {
		fprintf(
		    stderr, "lmstat: %s is not in the server list\n", a.server);
		return LICCTL_EX_USAGE;
	}

	memset(&lo, 0, sizeof(lo));
	lo.now = time(NULL);
	lo.servers = state;
	lo.nservers = sv.n;
	lo.feature = a.feature;
	lo.vendor = a.vendor;
	/* -a, -f and -S list the features whether in use or not, -A and
	 * licctl stat's default those in use; lmstat alone, and -s, only
	 * the servers and vendor daemons. */
	lo.all = a.all || a.feature_given || a.vendor_given || a.list_given;
	if (a.server_only && !a.all && !a.feature_given && !a.vendor_given)
		lo.no_features = 1;
	else if (lmstat_defaults && !lo.all && !a.active)
		lo.no_features = 1;

	filter = a.info ? a.info_feature : a.feature;
	have = stat_query(&sv, filter, a.timeout_s, state, versions, whys, &st);
	if (have && a.pattern != NULL &&
	    stat_filter_pattern(&st, a.pattern) == -1) {
		licd_status_free(&st);
		return LICCTL_EX_USAGE;
	}
	if (a.info && have)
		rc = lmstat_format_info(&st, a.info_feature, stdout);
	else
		rc = lmstat_format(have ? &st : NULL, &lo, stdout);
	if (have)
		licd_status_free(&st);
	if (rc != 0)
		return LICCTL_EX_FAIL;
	return have ? 0 : LICCTL_EX_FAIL;
}

int
cmd_stat(int argc, char **argv)
{
	return stat_run(argc, argv, 0);
}

int
cmd_lmstat(int argc, char **argv)
{
	return stat_run(argc, argv, 1);
}
