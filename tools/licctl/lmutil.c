/*
 * lmutil's commands under their lmutil names and flags: lmremove,
 * lmreread, lmdown and lmnewlog over licd's admin socket, lmver and
 * lmhostid locally (lmstat is stat.c, lmdiag lmdiag.c).
 *
 * FlexLM's -c names the licence server for these; licd takes
 * administrative requests only on its local admin socket, so -c is read
 * and left aside, and the socket comes from --state-dir, --socket or
 * LICD_STATE_DIR as for licctl remove.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmd_borrow.h"
#include "licctl.h"
#include "licd.h"

#ifndef LICD_VERSION
#define LICD_VERSION "0.0.0"
#endif

void
licctl_version_line(const char *tool, FILE *out)
{
	struct utsname u;

	if (uname(&u) == -1)
		snprintf(u.machine, sizeof(u.machine), "unknown");
	/* "build N" is where FlexLM puts its build number; licd has none
	 * besides its version. */
	fprintf(out, "%s v%s build 0 %s\n", tool, LICD_VERSION, u.machine);
}

static void
lm_banner(const char *what, FILE *out)
{
	fprintf(
	    out, "licctl - licd v%s %s (lmutil layout)\n", LICD_VERSION, what);
}

/* The flags lmutil's administrative commands share. */
struct lm_args {
	char path[512]; /* the admin socket */
	int quiet; /* -q */
	int force; /* -force */
	int handle_form; /* lmremove -h */
	char **pos; /* the operands */
	int npos;
};

/* Returns 0, or -1 on a usage error (reported, prefixed by who). */
static int
lm_parse(const char *who, int argc, char **argv, struct lm_args *a)
{
	const char *sock = NULL, *dir = NULL, *arg;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		arg = argv[i];
		if (strcmp(arg, "-c") == 0 || strcmp(arg, "-vendor") == 0) {
			if (++i == argc)
				goto missing;
		} else if (strcmp(arg, "--state-dir") == 0) {
			if (++i == argc)
				goto missing;
			dir = argv[i];
		} else if (strcmp(arg, "--socket") == 0) {
			if (++i == argc)
				goto missing;
			sock = argv[i];
		} else if (strcmp(arg, "-q") == 0) {
			a->quiet = 1;
		} else if (strcmp(arg, "-force") == 0) {
			a->force = 1;
		} else if (strcmp(arg, "-h") == 0) {
			a->handle_form = 1;
		} else if (strcmp(arg, "-all") == 0 ||
		    strcmp(arg, "-verbose") == 0) {
			/* One licd per state directory: nothing to pick. */
		} else {
			fprintf(stderr, "%s: unknown flag \"%s\"\n", who, arg);
			return -1;
		}
	}
	a->pos = argv + i;
	a->npos = argc - i;
	licctl_admin_path(a->path, sizeof(a->path), sock, dir);
	return 0;
missing:
	fprintf(stderr, "%s: %s needs an argument\n", who, argv[i - 1]);
	return -1;
}

int
cmd_lmremove(int argc, char **argv)
{
	struct lm_args a;
	struct licd_conn *c;
	unsigned long long handle = 0;
	char *end;
	int n;

	if (lm_parse("lmremove", argc, argv, &a) == -1 ||
	    (a.handle_form && a.npos != 4) ||
	    (!a.handle_form && a.npos != 3 && a.npos != 4)) {
		fprintf(stderr,
		    "usage: lmremove [-c FILE] [--state-dir DIR] feature "
		    "user user_host [display]\n"
		    "       lmremove [-c FILE] [--state-dir DIR] -h feature "
		    "server_host port handle\n");
		return LICCTL_EX_USAGE;
	}
	if (a.handle_form) {
		handle = strtoull(a.pos[3], &end, 10);
		if (*end != '\0' || a.pos[3][0] < '0' || a.pos[3][0] > '9') {
			fprintf(stderr, "lmremove: \"%s\" is not a handle\n",
			    a.pos[3]);
			return LICCTL_EX_USAGE;
		}
	}
	c = licctl_admin_connect("lmremove", a.path);
	if (c == NULL)
		return LICCTL_EX_UNAVAILABLE;
	/* XXX: the -h form's feature, server host and port are not checked
	 * against the grant: licd's handles are unique on their own. */
	if (a.handle_form)
		n = licd_remove(c, (uint64_t)handle);
	else
		n = licd_remove_holder(c, a.pos[0], a.pos[1], a.pos[2],
		    a.npos == 4 ? a.pos[3] : NULL);
	if (n < 0) {
		licctl_admin_failed("lmremove", c);
		licd_close(c);
		return LICCTL_EX_FAIL;
	}
	printf("lmremove: removed %d license%s\n", n, n == 1 ? "" : "s");
	licd_close(c);
	return 0;
}

int
cmd_lmreread(int argc, char **argv)
{
	struct lm_args a;
	struct licd_conn *c;

	if (lm_parse("lmreread", argc, argv, &a) == -1 || a.npos != 0) {
		fprintf(stderr,
		    "usage: lmreread [-c FILE] [-vendor V] [-all] "
		    "[--state-dir DIR | --socket PATH]\n");
		return LICCTL_EX_USAGE;
	}
	c = licctl_admin_connect("lmreread", a.path);
	if (c == NULL)
		return LICCTL_EX_UNAVAILABLE;
	if (licd_reread(c) == -1) {
		if (licd_error_code(c) == 29)
			fprintf(stderr,
			    "lmreread: refused, the running configuration "
			    "is unchanged: %s\n",
			    licd_error(c));
		else
			licctl_admin_failed("lmreread", c);
		licd_close(c);
		return LICCTL_EX_FAIL;
	}
	printf("lmreread: licd read its configuration again\n");
	licd_close(c);
	return 0;
}

/* Without -q lmdown asks first, as FlexLM's does; only a terminal is
 * asked, so that a script without -q is not left waiting. */
static int
lm_confirm(const char *path)
{
	char line[16];

	if (!isatty(STDIN_FILENO))
		return 1;
	printf("Stop licd (admin socket %s)? (y/n) ", path);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

int
cmd_lmdown(int argc, char **argv)
{
	struct lm_args a;
	struct licd_conn *c;

	if (lm_parse("lmdown", argc, argv, &a) == -1 || a.npos != 0) {
		fprintf(stderr,
		    "usage: lmdown [-c FILE] [-q] [-force] "
		    "[--state-dir DIR | --socket PATH]\n");
		return LICCTL_EX_USAGE;
	}
	/* -force is FlexLM's "even with seats out"; licd keeps its grants
	 * across the stop, so there is nothing to force. */
	if (!a.quiet && !lm_confirm(a.path)) {
		fprintf(stderr, "lmdown: not stopped\n");
		return LICCTL_EX_FAIL;
	}
	c = licctl_admin_connect("lmdown", a.path);
	if (c == NULL)
		return LICCTL_EX_UNAVAILABLE;
	if (licd_down(c) == -1) {
		licctl_admin_failed("lmdown", c);
		licd_close(c);
		return LICCTL_EX_FAIL;
	}
	printf("lmdown: licd is shutting down (grants are kept for the "
	       "restart)\n");
	printf("1 licence server shut down\n");
	licd_close(c);
	return 0;
}

int
cmd_lmnewlog(int argc, char **argv)
{
	struct lm_args a;
	struct licd_conn *c;
	char archive[512];

	if (lm_parse("lmnewlog", argc, argv, &a) == -1 || a.npos > 2) {
		fprintf(stderr,
		    "usage: lmnewlog [-c FILE] [vendor] [name] "
		    "[--state-dir DIR | --socket PATH]\n");
		return LICCTL_EX_USAGE;
	}
	if (a.npos > 0)
		fprintf(stderr,
		    "lmnewlog: licd names the old journal itself; \"%s\" "
		    "is not used\n",
		    a.pos[a.npos - 1]);
	c = licctl_admin_connect("lmnewlog", a.path);
	if (c == NULL)
		return LICCTL_EX_UNAVAILABLE;
	if (licd_new_journal(c, archive, sizeof(archive)) == -1) {
		licctl_admin_failed("lmnewlog", c);
		licd_close(c);
		return LICCTL_EX_FAIL;
	}
	printf("lmnewlog: licd started a new journal; the old one is %s\n",
	    archive[0] ? archive : "kept in the state directory");
	licd_close(c);
	return 0;
}

int
cmd_lmver(int argc, char **argv)
{
	/* lmver names a binary to inspect; licctl and the library it is
	 * built with are all there is to report. */
	if (argc > 2 ||
	    (argc == 2 && argv[1][0] == '-' && strcmp(argv[1], "-fnls") != 0)) {
		fprintf(stderr, "usage: lmver [file]\n");
		return LICCTL_EX_USAGE;
	}
	lm_banner("version report", stdout);
	licctl_version_line("licctl", stdout);
	licctl_version_line("licd client library", stdout);
	return 0;
}

/* The ethernet address of the first interface that is up or down but not
 * the loopback, in the kernel's order: 12 lower-case hex digits. */
static int
hostid_ether(char *buf, size_t len)
{
	struct ifaddrs *ifa, *i;
	struct sockaddr_ll *ll;
	int k, zero;

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL ||
		    i->ifa_addr->sa_family != AF_PACKET ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		ll = (struct sockaddr_ll *)i->ifa_addr;
		if (ll->sll_halen != 6)
			continue;
		for (zero = 1, k = 0; k < 6; k++)
			zero &= ll->sll_addr[k] == 0;
		if (zero)
			continue;
		snprintf(buf, len, "%02x%02x%02x%02x%02x%02x", ll->sll_addr[0],
		    ll->sll_addr[1], ll->sll_addr[2], ll->sll_addr[3],
		    ll->sll_addr[4], ll->sll_addr[5]);
		freeifaddrs(ifa);
		return 0;
	}
	freeifaddrs(ifa);
	return -1;
}

/* The first IPv4 address that is not a loopback one. */
static int
hostid_internet(char *buf, size_t len)
{
	struct ifaddrs *ifa, *i;
	char addr[INET_ADDRSTRLEN];

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		inet_ntop(AF_INET,
		    &((struct sockaddr_in *)i->ifa_addr)->sin_addr, addr,
		    sizeof(addr));
		snprintf(buf, len, "INTERNET=%s", addr);
		freeifaddrs(ifa);
		return 0;
	}
	freeifaddrs(ifa);
	return -1;
}

int
cmd_lmhostid(int argc, char **argv)
{
	char id[320], host[256];
	const char *kind = "-ether";
	int i, bare = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0)
			bare = 1;
		else if (strcmp(argv[i], "-ether") == 0 ||
		    strcmp(argv[i], "-hostname") == 0 ||
		    strcmp(argv[i], "-internet") == 0)
			kind = argv[i];
		else {
			fprintf(stderr,
			    "usage: lmhostid [-n] [-ether | -hostname | "
			    "-internet]\n");
			return LICCTL_EX_USAGE;
		}
	}
	if (strcmp(kind, "-hostname") == 0) {
		rc = gethostname(host, sizeof(host) - 1);
		host[sizeof(host) - 1] = '\0';
		if (rc == 0)
			snprintf(id, sizeof(id), "HOSTNAME=%s", host);
	} else if (strcmp(kind, "-internet") == 0) {
		rc = hostid_internet(id, sizeof(id));
	} else {
		rc = hostid_ether(id, sizeof(id));
	}
	if (rc == -1) {
		fprintf(stderr, "lmhostid: this machine has no %s host id\n",
		    kind + 1);
		return LICCTL_EX_FAIL;
	}
	if (bare) {
		printf("%s\n", id);
		return 0;
	}
	lm_banner("host id", stdout);
	printf("The licd host ID of this machine is \"%s\"\n", id);
	return 0;
}

int
licctl_lmutil(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
	    {"lmstat", cmd_lmstat},
	    {"lmremove", cmd_lmremove},
	    {"lmreread", cmd_lmreread},
	    {"lmdown", cmd_lmdown},
	    {"lmnewlog", cmd_lmnewlog},
	    {"lmver", cmd_lmver},
	    {"lmhostid", cmd_lmhostid},
	    {"lmdiag", cmd_lmdiag},
	    {"lmborrow", cmd_lmborrow},
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			return cmds[i].fn(argc, argv);
	/* XXX: lmswitchr waits for journal settings that licd does not
	 * have yet. */
	if (strcmp(argv[0], "lmswitchr") == 0 ||
	    strcmp(argv[0], "lmswitch") == 0) {
		fprintf(stderr, "%s: not provided by licd yet\n", argv[0]);
		return LICCTL_EX_FAIL;
	}
	return -1;
}
