/*
 * licctl borrow and lmborrow.  A borrow is a checkout that licd keeps for
 * no session: it outlives this process, the connection and any restart of
 * licd, until its end or until it is returned.  What was borrowed from
 * where is remembered here, one line per borrow in a state file
 * (~/.licd/borrow unless --state-file names another), so that --status
 * needs no server and --return knows the handle and the servers.
 *
 * The state file's lines are tab-separated:
 *	handle feature version count until_ms servers
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd_borrow.h"
#include "licctl.h"
#include "licd.h"

#define BORROW_MAX 256 /* borrows one state file keeps */
#define BORROW_SERVERS_MAX 512

struct borrow_entry {
	uint64_t handle;
	char feature[64];
	char version[16];
	int count;
	int64_t until_ms;
	char servers[BORROW_SERVERS_MAX];
};

struct borrow_state {
	char path[1024];
	struct borrow_entry v[BORROW_MAX];
	size_t n;
};

static const char *const borrow_months[] = {"jan", "feb", "mar", "apr", "may",
    "jun", "jul", "aug", "sep", "oct", "nov", "dec"};

static int64_t
borrow_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The state file: path when given, else ~/.licd/borrow (the folder made
 * when missing, mode 0700).  Returns 0 or -1 with a message printed. */
static int
borrow_path(const char *who, const char *path, struct borrow_state *st)
{
	const char *home;
	struct passwd *pw;
	char dir[1024];

	if (path != NULL) {
		if (strlen(path) >= sizeof(st->path)) {
			fprintf(stderr, "%s: state file name too long\n", who);
			return -1;
		}
		snprintf(st->path, sizeof(st->path), "%s", path);
		return 0;
	}
	home = getenv("HOME");
	if (home == NULL || home[0] == '\0') {
		pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : NULL;
	}
	if (home == NULL || strlen(home) > sizeof(dir) - 32) {
		fprintf(stderr, "%s: no home folder; give --state-file\n", who);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/.licd", home);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "%s: %s: %s\n", who, dir, strerror(errno));
		return -1;
	}
	snprintf(st->path, sizeof(st->path), "%s/borrow", dir);
	return 0;
}

static int
borrow_parse_line(char *line, struct borrow_entry *e)
{
	char *f[6], *p = line, *end;
	size_t i;

	line[strcspn(line, "\n")] = '\0';
	for (i = 0; i < 6; i++) {
		f[i] = strsep(&p, "\t");
		if (f[i] == NULL)
			return -1;
	}
	memset(e, 0, sizeof(*e));
	errno = 0;
	e->handle = strtoull(f[0], &end, 10);
	if (errno != 0 || *end != '\0' || e->handle == 0)
		return -1;
	if (f[1][0] == '\0' || strlen(f[1]) >= sizeof(e->feature) ||
	    strlen(f[2]) >= sizeof(e->version) ||
	    strlen(f[5]) >= sizeof(e->servers))
		return -1;
	strcpy(e->feature, f[1]);
	strcpy(e->version, f[2]);
	strcpy(e->servers, f[5]);
	e->count = (int)strtol(f[3], &end, 10);
	if (*end != '\0' || e->count < 1)
		return -1;
	e->until_ms = strtoll(f[4], &end, 10);
	if (*end != '\0' || e->until_ms < 1)
		return -1;
	return 0;
}

/* Reads the state file; a missing file is an empty one.  Lines that do
 * not parse are dropped with a warning. */
static int
borrow_load(const char *who, struct borrow_state *st)
{
	char line[1024];
	FILE *f;
	int lineno = 0;

	st->n = 0;
	f = fopen(st->path, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "%s: %s: %s\n", who, st->path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (st->n == BORROW_MAX ||
		    borrow_parse_line(line, &st->v[st->n]) == -1) {
			fprintf(stderr, "%s: %s:%d: line ignored\n", who,
			    st->path, lineno);
			continue;
		}
		st->n++;
	}
	fclose(f);
	return 0;
}

/* Writes the state file whole, through a temporary file renamed over it,
 * so that a crash leaves the old or the new one.
 * XXX: two licctl borrow at once on the same file may lose one's line;
 * the borrow itself stays on the server and can be returned by handle. */
static int
borrow_save(const char *who, const struct borrow_state *st)
{
	char tmp[1100];
	size_t i;
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", st->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", who, tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	for (i = 0; i < st->n; i++)
		fprintf(f, "%" PRIu64 "\t%s\t%s\t%d\t%" PRId64 "\t%s\n",
		    st->v[i].handle, st->v[i].feature, st->v[i].version,
		    st->v[i].count, st->v[i].until_ms, st->v[i].servers);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0) {
		fprintf(stderr, "%s: %s: %s\n", who, tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, st->path) == -1) {
		fprintf(stderr, "%s: %s: %s\n", who, st->path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void
borrow_remove(struct borrow_state *st, size_t i)
{
	memmove(&st->v[i], &st->v[i + 1], (st->n - i - 1) * sizeof(st->v[0]));
	st->n--;
}

/* "12-dec-2026 17:30", local time, as FlexLM writes borrow ends. */
static void
borrow_format_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(buf, len, "%02d-%s-%04d %02d:%02d", tm.tm_mday,
	    borrow_months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
}

/*
 * The end of a borrow from a date and an optional time, local time as
 * lmborrow takes them: DATE is YYYY-MM-DD or FlexLM's dd-mmm-yyyy, TIME
 * HH:MM (24 hours), 23:59 when not given.  Returns 0 or -1.
 */
static int
borrow_parse_end(const char *date, const char *tod, int64_t *out)
{
	char mon[4], tail;
	struct tm tm;
	time_t t;
	int y, m = 0, d, hh = 23, mm = 59, i;

	if (sscanf(date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3) {
		/* ISO */
	} else if (sscanf(date, "%2d-%3[A-Za-z]-%4d%c", &d, mon, &y, &tail) ==
	    3) {
		for (i = 0; i < 12; i++)
			if (strcasecmp(mon, borrow_months[i]) == 0)
				m = i + 1;
	} else
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1970 || y > 9999)
		return -1;
	if (tod != NULL &&
	    (sscanf(tod, "%2d:%2d%c", &hh, &mm, &tail) != 2 || hh < 0 ||
		hh > 23 || mm < 0 || mm > 59))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	/* mktime moves 31-feb on to March: refuse what it had to move. */
	if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != m - 1)
		return -1;
	*out = (int64_t)t * 1000;
	return 0;
}

/* A period in hours, fractions allowed so that a test (or a short
 * demonstration) can borrow for seconds: 0.001 is 3.6 s. */
static int
borrow_parse_hours(const char *s, int64_t *ms)
{
	char *end;
	double h;

	errno = 0;
	h = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(h > 0) ||
	    h > 24.0 * 366 * 100)
		return -1;
	*ms = (int64_t)(h * 3600000.0 + 0.5);
	return *ms > 0 ? 0 : -1;
}

static int
borrow_feature_parse(
    const char *arg, char *name, size_t nlen, char *ver, size_t vlen)
{
	const char *colon = strchr(arg, ':');
	size_t n = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
	const char *v;

	if (n == 0 || n >= nlen)
		return -1;
	memcpy(name, arg, n);
	name[n] = '\0';
	ver[0] = '\0';
	if (colon == NULL)
		return 0;
	v = colon + 1;
	if (*v == '\0' || strlen(v) >= vlen ||
	    strspn(v, "0123456789.") != strlen(v))
		return -1;
	strcpy(ver, v);
	return 0;
}

static void
borrow_refused(const char *who, const char *feature, struct licd_conn *c)
{
	const char *reason = licd_error_reason(c);

	if (reason[0] != '\0')
		fprintf(stderr, "%s: %s: %s (%s)\n", who, feature,
		    licd_error(c), reason);
	else
		fprintf(stderr, "%s: %s: %s\n", who, feature, licd_error(c));
}

/* Borrows and records.  Returns the exit status. */
static int
borrow_take(const char *who, const char *servers, const char *feature,
    const char *version, int count, int64_t until_ms, const char *path)
{
	struct borrow_state *st;
	struct borrow_entry *e;
	struct licd_conn *c;
	char err[512], when[64];
	uint64_t h;
	int rc = 0;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		fprintf(stderr, "%s: out of memory\n", who);
		return LICCTL_EX_FAIL;
	}
	if (borrow_path(who, path, st) == -1 || borrow_load(who, st) == -1) {
		free(st);
		return LICCTL_EX_FAIL;
	}
	if (strlen(servers) >= sizeof(st->v[0].servers)) {
		fprintf(stderr, "%s: server list too long\n", who);
		free(st);
		return LICCTL_EX_USAGE;
	}
	c = licd_connect(servers, NULL, 0, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "%s: %s\n", who, err);
		free(st);
		return LICCTL_EX_UNAVAILABLE;
	}
	if (licd_borrow(c, feature, version[0] != '\0' ? version : NULL, count,
		until_ms, &h) == -1) {
		borrow_refused(who, feature, c);
		licd_close(c);
		free(st);
		return LICCTL_EX_FAIL;
	}
	licd_close(c);

	borrow_format_time(until_ms, when, sizeof(when));
	printf("%s: borrowed %d license%s of %s until %s (handle %" PRIu64
	       ")\n",
	    who, count, count == 1 ? "" : "s", feature, when, h);
	if (st->n == BORROW_MAX) {
		rc = -1;
	} else {
		e = &st->v[st->n++];
		memset(e, 0, sizeof(*e));
		e->handle = h;
		snprintf(e->feature, sizeof(e->feature), "%s", feature);
		snprintf(e->version, sizeof(e->version), "%s", version);
		e->count = count;
		e->until_ms = until_ms;
		snprintf(e->servers, sizeof(e->servers), "%s", servers);
		rc = borrow_save(who, st);
	}
	if (rc == -1) {
		fprintf(stderr,
		    "%s: the borrow is not recorded in %s; return it with "
		    "\"licctl borrow --return -c %s %" PRIu64 "\"\n",
		    who, st->path, servers, h);
		free(st);
		return LICCTL_EX_FAIL;
	}
	free(st);
	return 0;
}

/* Gives back the borrows that what names: a handle (digits) or a
 * feature.  servers, when given, overrides the recorded ones. */
static int
borrow_give_back(
    const char *who, const char *servers, const char *what, const char *path)
{
	struct borrow_state *st;
	struct licd_conn *c;
	const char *sv;
	char err[512], *end;
	uint64_t handle = 0;
	size_t i;
	int matched = 0, rc = 0, code;

	if (what[0] >= '0' && what[0] <= '9') {
		handle = strtoull(what, &end, 10);
		if (*end != '\0' || handle == 0) {
			fprintf(
			    stderr, "%s: \"%s\" is not a handle\n", who, what);
			return LICCTL_EX_USAGE;
		}
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		fprintf(stderr, "%s: out of memory\n", who);
		return LICCTL_EX_FAIL;
	}
	if (borrow_path(who, path, st) == -1 || borrow_load(who, st) == -1) {
		free(st);
		return LICCTL_EX_FAIL;
	}
	/* A handle that the file does not know is still tried, on the
	 * servers given: the borrow may have been made elsewhere. */
	if (handle != 0 && servers != NULL) {
		for (i = 0; i < st->n && st->v[i].handle != handle; i++)
			;
		if (i == st->n && st->n < BORROW_MAX) {
			memset(&st->v[i], 0, sizeof(st->v[i]));
			st->v[i].handle = handle;
			snprintf(st->v[i].feature, sizeof(st->v[i].feature),
			    "handle %s", what);
			st->v[i].count = 1;
			st->n++;
		}
	}

	for (i = 0; i < st->n;) {
		if (handle != 0 ? st->v[i].handle != handle
				: strcmp(st->v[i].feature, what) != 0) {
			i++;
			continue;
		}
		matched++;
		sv = servers != NULL ? servers : st->v[i].servers;
		c = licd_connect(sv, NULL, 0, err, sizeof(err));
		if (c == NULL) {
			fprintf(stderr, "%s: %s\n", who, err);
			rc = LICCTL_EX_UNAVAILABLE;
			i++;
			continue;
		}
		if (licd_borrow_return(c, st->v[i].handle) == 0) {
			printf("%s: returned %s (handle %" PRIu64 ")\n", who,
			    st->v[i].feature, st->v[i].handle);
			borrow_remove(st, i);
		} else if ((code = licd_error_code(c)) == 14) {
			/* Already back: expired, or removed by an
			 * administrator.  Nothing is left to give. */
			printf("%s: %s (handle %" PRIu64 ") had already "
			       "come back\n",
			    who, st->v[i].feature, st->v[i].handle);
			borrow_remove(st, i);
		} else {
			borrow_refused(who, st->v[i].feature, c);
			rc = LICCTL_EX_FAIL;
			i++;
		}
		licd_close(c);
	}
	if (matched == 0) {
		fprintf(stderr, "%s: no borrow of %s in %s%s\n", who, what,
		    st->path,
		    handle != 0 ? " (give -c to try the handle anyway)" : "");
		free(st);
		return LICCTL_EX_FAIL;
	}
	if (borrow_save(who, st) == -1 && rc == 0)
		rc = LICCTL_EX_FAIL;
	free(st);
	return rc;
}

/* Lists the recorded borrows; needs no server. */
static int
borrow_status(const char *who, const char *path, FILE *out)
{
	struct borrow_state *st;
	char when[64];
	int64_t now = borrow_now_ms();
	size_t i;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		fprintf(stderr, "%s: out of memory\n", who);
		return LICCTL_EX_FAIL;
	}
	if (borrow_path(who, path, st) == -1 || borrow_load(who, st) == -1) {
		free(st);
		return LICCTL_EX_FAIL;
	}
	fprintf(out, "%-24s %-8s %5s %10s  %-17s  %s\n", "Feature", "Version",
	    "Count", "Handle", "Expiration", "Server");
	fprintf(out, "%-24s %-8s %5s %10s  %-17s  %s\n", "_______", "_______",
	    "_____", "______", "__________", "______");
	for (i = 0; i < st->n; i++) {
		borrow_format_time(st->v[i].until_ms, when, sizeof(when));
		fprintf(out, "%-24s %-8s %5d %10" PRIu64 "  %-17s  %s%s\n",
		    st->v[i].feature,
		    st->v[i].version[0] != '\0' ? st->v[i].version : "-",
		    st->v[i].count, st->v[i].handle, when, st->v[i].servers,
		    st->v[i].until_ms <= now ? "  (expired)" : "");
	}
	if (st->n == 0)
		fprintf(out, "No borrowed licenses recorded in %s\n", st->path);
	free(st);
	return 0;
}

static void
borrow_usage(FILE *out)
{
	fprintf(out,
	    "usage: licctl borrow -c SERVERS -f FEATURE[:VERSION] [-n COUNT]\n"
	    "                     (--until DATE [HH:MM] | --hours H)"
	    " [--state-file FILE]\n"
	    "       licctl borrow --return [-c SERVERS] [--state-file FILE]"
	    " FEATURE|HANDLE\n"
	    "       licctl borrow --status [--state-file FILE]\n");
}

int
cmd_borrow(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"server", required_argument, NULL, 'c'},
	    {"feature", required_argument, NULL, 'f'},
	    {"count", required_argument, NULL, 'n'},
	    {"until", required_argument, NULL, 'u'},
	    {"hours", required_argument, NULL, 'H'},
	    {"return", no_argument, NULL, 'r'},
	    {"status", no_argument, NULL, 's'},
	    {"state-file", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *servers = NULL, *feature = NULL, *until = NULL;
	const char *hours = NULL, *path = NULL, *tod = NULL;
	char name[64], version[16], *end;
	int64_t until_ms = 0, period;
	long count = 1;
	int ch, give_back = 0, status = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:f:n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			servers = optarg;
			break;
		case 'f':
			feature = optarg;
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || count < 1 ||
			    count > 1000000) {
				fprintf(stderr, "licctl: bad count \"%s\"\n",
				    optarg);
				return LICCTL_EX_USAGE;
			}
			break;
		case 'u':
			until = optarg;
			break;
		case 'H':
			hours = optarg;
			break;
		case 'r':
			give_back = 1;
			break;
		case 's':
			status = 1;
			break;
		case 'S':
			path = optarg;
			break;
		case 'h':
			borrow_usage(stdout);
			return 0;
		default:
			borrow_usage(stderr);
			return LICCTL_EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;

	if (status) {
		if (give_back || argc != 0) {
			borrow_usage(stderr);
			return LICCTL_EX_USAGE;
		}
		return borrow_status("licctl", path, stdout);
	}
	if (give_back) {
		if (argc != 1 && feature == NULL) {
			borrow_usage(stderr);
			return LICCTL_EX_USAGE;
		}
		return borrow_give_back(
		    "licctl", servers, argc == 1 ? argv[0] : feature, path);
	}

	/* --until DATE may be followed by the time of day. */
	if (until != NULL && argc == 1)
		tod = argv[0];
	else if (argc != 0) {
		borrow_usage(stderr);
		return LICCTL_EX_USAGE;
	}
	servers = licctl_servers(servers);
	if (servers == NULL || feature == NULL ||
	    (until == NULL) == (hours == NULL)) {
		fprintf(stderr, "licctl: borrow needs %s\n",
		    servers == NULL       ? "a server (-c or LM_LICENSE_FILE)"
			: feature == NULL ? "a feature (-f)"
					  : "one of --until and --hours");
		borrow_usage(stderr);
		return LICCTL_EX_USAGE;
	}
	if (borrow_feature_parse(
		feature, name, sizeof(name), version, sizeof(version)) == -1) {
		fprintf(stderr, "licctl: bad feature \"%s\"\n", feature);
		return LICCTL_EX_USAGE;
	}
	if (until != NULL && borrow_parse_end(until, tod, &until_ms) == -1) {
		fprintf(stderr,
		    "licctl: bad end \"%s%s%s\": DATE is YYYY-MM-DD or "
		    "dd-mmm-yyyy, TIME HH:MM\n",
		    until, tod != NULL ? " " : "", tod != NULL ? tod : "");
		return LICCTL_EX_USAGE;
	}
	if (hours != NULL) {
		if (borrow_parse_hours(hours, &period) == -1) {
			fprintf(stderr, "licctl: bad hours \"%s\"\n", hours);
			return LICCTL_EX_USAGE;
		}
		until_ms = borrow_now_ms() + period;
	}
	if (until_ms <= borrow_now_ms()) {
		fprintf(stderr, "licctl: the end of the borrow has passed\n");
		return LICCTL_EX_USAGE;
	}
	return borrow_take(
	    "licctl", servers, name, version, (int)count, until_ms, path);
}

static void
lmborrow_usage(FILE *out)
{
	fprintf(out,
	    "usage: lmborrow -status [--state-file FILE]\n"
	    "       lmborrow -return [-c SERVERS] [-d DISPLAY]"
	    " [--state-file FILE] FEATURE\n"
	    "       lmborrow -clear\n"
	    "       lmborrow -c SERVERS -f FEATURE[:VERSION] [-n COUNT]"
	    " [--state-file FILE]\n"
	    "                VENDOR|all ENDDATE [HH:MM]\n"
	    "licd borrows at once, so the features to borrow are named with"
	    " -f;\nENDDATE is dd-mmm-yyyy (or YYYY-MM-DD), local time, 23:59"
	    " by default.\n");
}

int
cmd_lmborrow(int argc, char **argv)
{
	const char *servers = NULL, *feature = NULL, *path = NULL, *arg;
	char name[64], version[16], *end;
	int64_t until_ms;
	long count = 1;
	int mode = 0, i; /* 0 borrow, 's' status, 'r' return */

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		arg = argv[i];
		if (strcmp(arg, "-status") == 0) {
			mode = 's';
		} else if (strcmp(arg, "-return") == 0) {
			mode = 'r';
		} else if (strcmp(arg, "-clear") == 0) {
			/* FlexLM clears LM_BORROW for the next checkout;
			 * licd borrows at once and keeps no such setting. */
			printf("lmborrow: licd keeps no pending borrow "
			       "setting; nothing to clear\n");
			return 0;
		} else if (strcmp(arg, "-c") == 0 || strcmp(arg, "-d") == 0 ||
		    strcmp(arg, "-f") == 0 || strcmp(arg, "-n") == 0 ||
		    strcmp(arg, "--state-file") == 0) {
			if (++i == argc) {
				fprintf(stderr,
				    "lmborrow: %s needs an "
				    "argument\n",
				    arg);
				return LICCTL_EX_USAGE;
			}
			if (arg[1] == 'c')
				servers = argv[i];
			else if (arg[1] == 'f')
				feature = argv[i];
			else if (arg[1] == '-')
				path = argv[i];
			else if (arg[1] == 'n') {
				count = strtol(argv[i], &end, 10);
				if (*end != '\0' || count < 1 ||
				    count > 1000000) {
					fprintf(stderr,
					    "lmborrow: bad count \"%s\"\n",
					    argv[i]);
					return LICCTL_EX_USAGE;
				}
			}
			/* -d: the display; the borrow is the user's on
			 * this host, whatever the display. */
		} else if (strcmp(arg, "-h") == 0 ||
		    strcmp(arg, "-help") == 0) {
			lmborrow_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "lmborrow: unknown flag \"%s\"\n", arg);
			lmborrow_usage(stderr);
			return LICCTL_EX_USAGE;
		}
	}
	argc -= i;
	argv += i;

	if (mode == 's') {
		if (argc != 0) {
			lmborrow_usage(stderr);
			return LICCTL_EX_USAGE;
		}
		return borrow_status("lmborrow", path, stdout);
	}
	if (mode == 'r') {
		if (argc != 1) {
			lmborrow_usage(stderr);
			return LICCTL_EX_USAGE;
		}
		return borrow_give_back("lmborrow",
		    servers != NULL ? licctl_servers(servers) : NULL, argv[0],
		    path);
	}

	/* vendor enddate [time]: the vendor is every vendor of licd. */
	if (argc != 2 && argc != 3) {
		lmborrow_usage(stderr);
		return LICCTL_EX_USAGE;
	}
	servers = licctl_servers(servers);
	if (feature == NULL || servers == NULL) {
		fprintf(stderr,
		    "lmborrow: licd borrows at once rather than at the next "
		    "checkout: name the feature with -f and the server with "
		    "-c (or LM_LICENSE_FILE)\n");
		lmborrow_usage(stderr);
		return LICCTL_EX_USAGE;
	}
	if (borrow_feature_parse(
		feature, name, sizeof(name), version, sizeof(version)) == -1) {
		fprintf(stderr, "lmborrow: bad feature \"%s\"\n", feature);
		return LICCTL_EX_USAGE;
	}
	if (borrow_parse_end(argv[1], argc == 3 ? argv[2] : NULL, &until_ms) ==
	    -1) {
		fprintf(stderr,
		    "lmborrow: bad end date \"%s\": dd-mmm-yyyy [HH:MM]\n",
		    argv[1]);
		return LICCTL_EX_USAGE;
	}
	if (until_ms <= borrow_now_ms()) {
		fprintf(stderr, "lmborrow: the end date has passed\n");
		return LICCTL_EX_USAGE;
	}
	return borrow_take(
	    "lmborrow", servers, name, version, (int)count, until_ms, path);
}
