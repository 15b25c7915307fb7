/*
 * licctl whois USER and licctl eligible USER FEATURE over licd's admin
 * socket (the WHOIS and ELIGIBLE requests, protocols/flex/PROTOCOL.md).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../protocols/flex/flex_codec.h"
#include "cmd_identity.h"
#include "licctl.h"

/* A lookup waits at most identity.wait-ms (up to a minute) in licd. */
#define IDENTITY_TIMEOUT_MS 70000

struct id_opts {
	char path[1024];
	const char *host;
	const char *unit;
};

static int
id_options(int argc, char **argv, struct id_opts *o, int with_unit)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"state-dir", required_argument, NULL, 'd'},
	    {"host", required_argument, NULL, 'H'},
	    {"unit", required_argument, NULL, 'u'},
	    {NULL, 0, NULL, 0},
	};
	const char *sock = NULL, *dir = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:d:H:u:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'H':
			o->host = optarg;
			break;
		case 'u':
			if (!with_unit)
				return -1;
			o->unit = optarg;
			break;
		default:
			return -1;
		}
	}
	licctl_admin_path(o->path, sizeof(o->path), sock, dir);
	return optind;
}

static int
id_connect(const char *who, const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "%s: socket path too long: %s\n", who, path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "%s: cannot reach licd's admin socket %s: %s\n",
		    who, path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* Sends line and reads until the reply tagged tag; the reply in *m.
 * Returns 0, or -1 (printed) when licd does not answer. */
static int
id_exchange(const char *who, int fd, const char *line, const char *tag,
    struct flex_msg *m)
{
	static char buf[FLEX_LINE_MAX * 4];
	static size_t len;
	struct pollfd pfd = {fd, POLLIN, 0};
	char err[128], *nl;
	size_t n = strlen(line);
	ssize_t k;

	if (write(fd, line, n) != (ssize_t)n) {
		fprintf(stderr, "%s: write: %s\n", who, strerror(errno));
		return -1;
	}
	for (;;) {
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			*nl = '\0';
			n = (size_t)(nl - buf);
			if (n > 0 && buf[n - 1] == '\r')
				n--;
			k = flex_msg_parse(buf, n, m, err, sizeof(err));
			memmove(buf, nl + 1, len - (size_t)(nl + 1 - buf));
			len -= (size_t)(nl + 1 - buf);
			if (k == 0 && strcmp(m->tag, tag) == 0)
				return 0;
		}
		if (len == sizeof(buf) ||
		    poll(&pfd, 1, IDENTITY_TIMEOUT_MS) != 1) {
			fprintf(stderr, "%s: no answer from licd\n", who);
			return -1;
		}
		k = read(fd, buf + len, sizeof(buf) - len);
		if (k <= 0) {
			fprintf(
			    stderr, "%s: licd closed the connection\n", who);
			return -1;
		}
		len += (size_t)k;
	}
}

static const char *
get(const struct flex_msg *m, const char *key)
{
	const char *v = flex_msg_get(m, key);

	return v != NULL ? v : "";
}

static int
id_failed(const char *who, const struct flex_msg *m)
{
	fprintf(stderr, "%s: %s (%s)\n", who, get(m, "text"), get(m, "reason"));
	return LICCTL_EX_FAIL;
}

/* Sends one request after HELLO; the reply in *m. */
static int
id_request(
    const char *who, const char *path, struct flex_out *req, struct flex_msg *m)
{
	char hello[256], host[64];
	int fd, rc;

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (flex_out_end(req) < 0) {
		fprintf(stderr, "%s: arguments too long\n", who);
		return -1;
	}
	fd = id_connect(who, path);
	if (fd == -1)
		return -1;
	snprintf(hello, sizeof(hello), "h HELLO user=licctl host=%s\n",
	    strchr(host, ' ') == NULL ? host : "localhost");
	rc = id_exchange(who, fd, hello, "h", m);
	if (rc == 0 && strcmp(m->verb, "OK") != 0)
		rc = -1;
	if (rc == 0)
		rc = id_exchange(who, fd, req->buf, "q", m);
	close(fd);
	return rc;
}

static void
id_time(const char *secs, char *out, size_t len)
{
	time_t t = (time_t)strtoll(secs, NULL, 10);
	struct tm tm;

	if (t <= 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, len, "never");
		return;
	}
	strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void
id_print_facts(const struct flex_msg *m)
{
	char t[64];

	printf("  statuses:     %s\n",
	    get(m, "statuses")[0] ? get(m, "statuses") : "(none)");
	printf("  units:        %s\n",
	    get(m, "units")[0] ? get(m, "units") : "(none)");
	printf("  primary unit: %s",
	    get(m, "primary")[0] ? get(m, "primary") : "(none)");
	if (get(m, "primary_name")[0])
		printf(" (%s, cost centre %s)", get(m, "primary_name"),
		    get(m, "cost_centre"));
	printf("\n");
	id_time(get(m, "card_expiry"), t, sizeof(t));
	printf("  card expires: %s\n", t);
}

int
cmd_whois(int argc, char **argv)
{
	struct id_opts o;
	struct flex_out req;
	struct flex_msg m;
	char buf[FLEX_LINE_MAX], t[64];
	int first;

	first = id_options(argc, argv, &o, 0);
	if (first == -1 || argc - first != 1) {
		fprintf(stderr,
		    "usage: licctl whois [--state-dir DIR] "
		    "[--host HOST] USER\n");
		return LICCTL_EX_USAGE;
	}
	flex_out_begin(&req, buf, sizeof(buf), "q", "WHOIS");
	flex_out_add(&req, "user", argv[first]);
	if (o.host != NULL)
		flex_out_add(&req, "host", o.host);
	if (id_request("licctl whois", o.path, &req, &m) == -1)
		return LICCTL_EX_UNAVAILABLE;
	if (strcmp(m.verb, "OK") != 0)
		return id_failed("licctl whois", &m);

	printf("%s: %s", get(&m, "user"), get(&m, "state"));
	if (get(&m, "source")[0])
		printf(", source %s", get(&m, "source"));
	printf("\n");
	if (get(&m, "person")[0])
		printf("  person:       %s\n", get(&m, "person"));
	id_print_facts(&m);
	if (strtoll(get(&m, "fetched"), NULL, 10) > 0) {
		id_time(get(&m, "fetched"), t, sizeof(t));
		printf("  looked up:    %s\n", t);
		id_time(get(&m, "cached_until"), t, sizeof(t));
		printf("  cached until: %s%s\n", t,
		    strcmp(get(&m, "stale"), "1") == 0 ? " (stale, served "
							 "while refreshed)"
						       : "");
		id_time(get(&m, "stale_until"), t, sizeof(t));
		printf("  served until: %s at the latest\n", t);
	}
	if (strcmp(get(&m, "busy"), "1") == 0)
		printf("  a lookup is running\n");
	if (get(&m, "error")[0])
		printf("  last failure: %s\n", get(&m, "error"));
	return 0;
}

int
cmd_eligible(int argc, char **argv)
{
	struct id_opts o;
	struct flex_out req;
	struct flex_msg m;
	char buf[FLEX_LINE_MAX];
	int first, ok;

	first = id_options(argc, argv, &o, 1);
	if (first == -1 || argc - first != 2) {
		fprintf(stderr,
		    "usage: licctl eligible [--state-dir DIR] "
		    "[--host HOST] [--unit UNIT] USER FEATURE\n");
		return LICCTL_EX_USAGE;
	}
	flex_out_begin(&req, buf, sizeof(buf), "q", "ELIGIBLE");
	flex_out_add(&req, "user", argv[first]);
	flex_out_add(&req, "feature", argv[first + 1]);
	if (o.host != NULL)
		flex_out_add(&req, "host", o.host);
	if (o.unit != NULL)
		flex_out_add(&req, "unit", o.unit);
	if (id_request("licctl eligible", o.path, &req, &m) == -1)
		return LICCTL_EX_UNAVAILABLE;
	if (strcmp(m.verb, "OK") != 0)
		return id_failed("licctl eligible", &m);

	ok = strcmp(get(&m, "decision"), "eligible") == 0;
	printf("%s %s: %s", get(&m, "user"), get(&m, "feature"),
	    get(&m, "decision"));
	if (ok && get(&m, "unit")[0])
		printf(", unit %s charged", get(&m, "unit"));
	if (!ok || strcmp(get(&m, "reason"), "ok") != 0)
		printf(" (%s: %s)", get(&m, "reason"), get(&m, "text"));
	printf("\n");
	if (get(&m, "audience")[0]) {
		printf("  rule:         audience %s, on failure %s\n",
		    get(&m, "audience"), get(&m, "on_failure"));
		printf("  identity:     %s\n", get(&m, "state"));
		id_print_facts(&m);
	}
	return ok ? 0 : LICCTL_EX_FAIL;
}
