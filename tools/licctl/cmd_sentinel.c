/*
 * licctl commute, and the helpers licctl's sentinel commands share: which
 * servers, the site key, and how a failure is told.
 *
 * Commuter tokens are kept by the server for no session, so commute keeps
 * no local record: --return and --status ask the server (QUERY) for the
 * commuter grants of this user and host, as the server checks them in
 * only for the user and host that took them.
 */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd_sentinel.h"
#include "licctl.h"
#include "licd.h"
#include "lsmon.h"

const char *
licctl_sentinel_servers(const char *opt, char *buf, size_t len)
{
	const char *v, *p, *start;
	size_t off = 0, n;
	int w;

	if (opt != NULL)
		return opt;
	v = getenv("LSHOST");
	if (v == NULL || v[0] == '\0')
		return NULL;
	buf[0] = '\0';
	for (start = p = v;; p++) {
		if (*p != '\0' && *p != ':' && *p != ',')
			continue;
		n = (size_t)(p - start);
		if (n > 0) {
			w = snprintf(buf + off, len - off, "%s%s%.*s",
			    off > 0 ? "," : "",
			    memchr(start, '@', n) != NULL ? "" : "@", (int)n,
			    start);
			if (w < 0 || (size_t)w >= len - off)
				return NULL;
			off += (size_t)w;
		}
		if (*p == '\0')
			break;
		start = p + 1;
	}
	return off > 0 ? buf : NULL;
}

struct licd_sentinel *
licctl_sentinel_open(const char *who, const char *servers, const char *key_file)
{
	struct licd_sentinel_opts opts;
	struct licd_sentinel *s;
	unsigned char key[1024];
	char err[512];
	size_t keylen = 0;

	memset(&opts, 0, sizeof(opts));
	if (key_file == NULL)
		key_file = getenv("LICD_SITE_KEY_FILE");
	if (key_file != NULL && key_file[0] != '\0') {
		if (licd_sentinel_load_key(key_file, key, sizeof(key), &keylen,
			err, sizeof(err)) == -1) {
			fprintf(stderr, "%s: site key: %s\n", who, err);
			return NULL;
		}
		opts.site_key = key;
		opts.site_key_len = keylen;
	}
	opts.share_id = getenv("LICD_SHARE_ID");
	s = licd_sentinel_open(servers, NULL, &opts, err, sizeof(err));
	memset(key, 0, sizeof(key));
	if (s == NULL)
		fprintf(stderr, "%s: %s\n", who, err);
	return s;
}

int
licctl_sentinel_failed(
    const char *who, const char *what, const struct licd_sentinel *s)
{
	const char *reason = licd_sentinel_error_reason(s);

	if (reason[0] != '\0')
		fprintf(stderr, "%s: %s: %s (%s)\n", who, what,
		    licd_sentinel_error(s), reason);
	else
		fprintf(
		    stderr, "%s: %s: %s\n", who, what, licd_sentinel_error(s));
	return licd_sentinel_error_code(s) != 0 ? LICCTL_EX_FAIL
						: LICCTL_EX_UNAVAILABLE;
}

/* This process's user and host as the client library names them. */
static void
commute_me(char *user, size_t ulen, char *host, size_t hlen)
{
	struct passwd *pw;
	const char *v;
	char buf[256];

	v = getenv("LICD_USER");
	if (v == NULL && getlogin_r(buf, sizeof(buf)) == 0)
		v = buf;
	if (v == NULL && (pw = getpwuid(geteuid())) != NULL)
		v = pw->pw_name;
	snprintf(user, ulen, "%s", v != NULL ? v : "unknown");
	if (gethostname(buf, sizeof(buf)) == -1)
		snprintf(buf, sizeof(buf), "unknown");
	buf[sizeof(buf) - 1] = '\0';
	snprintf(host, hlen, "%s", buf);
}

static int
commute_mine(
    const struct licd_sentinel_client *c, const char *user, const char *host)
{
	return c->commuter_until != 0 && strcmp(c->user, user) == 0 &&
	    strcmp(c->host, host) == 0;
}

static int
commute_usage(FILE *out)
{
	fprintf(out,
	    "usage: licctl commute -c SERVERS FEATURE[:VERSION] --days N"
	    " [-n TOKENS]\n"
	    "       licctl commute --return -c SERVERS FEATURE|HANDLE\n"
	    "       licctl commute --status -c SERVERS\n"
	    "       (each also takes --site-key FILE)\n");
	return out == stderr ? LICCTL_EX_USAGE : 0;
}

static int
commute_status(struct licd_sentinel *s)
{
	struct licd_sentinel_status st;
	char user[64], host[256], until[64];
	size_t i, n = 0;

	if (licd_sentinel_query(s, NULL, &st) == -1)
		return licctl_sentinel_failed("licctl", "commute --status", s);
	commute_me(user, sizeof(user), host, sizeof(host));
	for (i = 0; i < st.nclients; i++) {
		if (!commute_mine(&st.clients[i], user, host))
			continue;
		lsmon_date(
		    st.clients[i].commuter_until, 1, until, sizeof(until));
		printf("%s %s %d token(s) until %s (handle %" PRIu64 ")\n",
		    st.clients[i].feature, st.clients[i].version,
		    st.clients[i].tokens, until, st.clients[i].handle);
		n++;
	}
	if (n == 0)
		printf("no commuter tokens for %s on %s\n", user, host);
	licd_sentinel_status_free(&st);
	return 0;
}

/* Checks in the commuter grant arg names (a handle), or every commuter
 * grant of this user and host of the feature arg names. */
static int
commute_return(struct licd_sentinel *s, const char *arg)
{
	struct licd_sentinel_status st;
	char user[64], host[256], *end;
	uint64_t handle;
	size_t i, n = 0;
	int rc = 0;

	if (isdigit((unsigned char)arg[0])) {
		handle = strtoull(arg, &end, 10);
		if (*end == '\0') {
			if (licd_sentinel_commute_return(s, handle) == -1)
				return licctl_sentinel_failed(
				    "licctl", "commute --return", s);
			printf("returned commuter grant %" PRIu64 "\n", handle);
			return 0;
		}
	}
	if (licd_sentinel_query(s, arg, &st) == -1)
		return licctl_sentinel_failed("licctl", "commute --return", s);
	commute_me(user, sizeof(user), host, sizeof(host));
	for (i = 0; i < st.nclients; i++) {
		if (strcmp(st.clients[i].feature, arg) != 0 ||
		    !commute_mine(&st.clients[i], user, host))
			continue;
		n++;
		if (licd_sentinel_commute_return(s, st.clients[i].handle) ==
		    -1) {
			rc = licctl_sentinel_failed("licctl", arg, s);
			continue;
		}
		printf("returned %d token(s) of %s (handle %" PRIu64 ")\n",
		    st.clients[i].tokens, arg, st.clients[i].handle);
	}
	licd_sentinel_status_free(&st);
	if (n == 0) {
		fprintf(stderr,
		    "licctl: commute --return: %s has no commuter tokens "
		    "for %s on %s\n",
		    arg, user, host);
		return LICCTL_EX_FAIL;
	}
	return rc;
}

enum {
	COMMUTE_TAKE,
	COMMUTE_RETURN,
	COMMUTE_STATUS,
};

int
cmd_commute(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"server", required_argument, NULL, 'c'},
	    {"feature", required_argument, NULL, 'f'},
	    {"days", required_argument, NULL, 'd'},
	    {"count", required_argument, NULL, 'n'},
	    {"return", no_argument, NULL, 'r'},
	    {"status", no_argument, NULL, 's'},
	    {"site-key", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *servers = NULL, *key = NULL, *feature = NULL;
	char list[1024], name[64], version[16], until[64], *end, *colon;
	struct licd_sentinel *s;
	uint64_t handle;
	int64_t until_ms;
	long days = 0, count = 1;
	int ch, what = COMMUTE_TAKE, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:f:d:n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			servers = optarg;
			break;
		case 'f':
			feature = optarg;
			break;
		case 'd':
			days = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || days < 1 ||
			    days > 3650) {
				fprintf(stderr,
				    "licctl: commute: --days: 1 to 3650\n");
				return LICCTL_EX_USAGE;
			}
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || count < 1 ||
			    count > 1000000) {
				fprintf(stderr,
				    "licctl: commute: bad count \"%s\"\n",
				    optarg);
				return LICCTL_EX_USAGE;
			}
			break;
		case 'r':
			what = COMMUTE_RETURN;
			break;
		case 's':
			what = COMMUTE_STATUS;
			break;
		case 'k':
			key = optarg;
			break;
		case 'h':
			return commute_usage(stdout);
		default:
			return commute_usage(stderr);
		}
	}
	if (feature == NULL && optind < argc)
		feature = argv[optind++];
	if (optind != argc || (what != COMMUTE_STATUS && feature == NULL) ||
	    (what == COMMUTE_STATUS && feature != NULL) ||
	    (what == COMMUTE_TAKE && days == 0) ||
	    (what != COMMUTE_TAKE && days != 0))
		return commute_usage(stderr);
	servers = licctl_sentinel_servers(servers, list, sizeof(list));
	if (servers == NULL) {
		fprintf(stderr,
		    "licctl: commute needs a server (-c or "
		    "LSHOST)\n");
		return LICCTL_EX_USAGE;
	}

	if ((s = licctl_sentinel_open("licctl", servers, key)) == NULL)
		return LICCTL_EX_UNAVAILABLE;
	if (what == COMMUTE_STATUS) {
		rc = commute_status(s);
		goto out;
	}
	if (what == COMMUTE_RETURN) {
		rc = commute_return(s, feature);
		goto out;
	}

	colon = strchr(feature, ':');
	snprintf(name, sizeof(name), "%.*s",
	    colon != NULL ? (int)(colon - feature) : (int)strlen(feature),
	    feature);
	snprintf(
	    version, sizeof(version), "%s", colon != NULL ? colon + 1 : "");
	if (licd_sentinel_commute(s, name, version[0] != '\0' ? version : NULL,
		(int)count, (int)days, &handle, &until_ms) == -1) {
		rc = licctl_sentinel_failed("licctl", name, s);
		goto out;
	}
	lsmon_date(until_ms, 1, until, sizeof(until));
	printf("%s: %ld token(s) checked out to this machine until %s "
	       "(handle %" PRIu64 ")\n",
	    name, count, until, handle);
	rc = 0;
out:
	licd_sentinel_close(s);
	return rc;
}
