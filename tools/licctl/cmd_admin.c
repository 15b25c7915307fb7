/*
 * licctl remove, reread, down and newlog: lmremove, lmreread, lmdown and
 * lmnewlog over licd's local admin socket, which only root, licd's user
 * and the admin group may use.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "licctl.h"
#include "licd.h"

void
licctl_admin_path(char *buf, size_t len, const char *sock, const char *dir)
{
	if (sock != NULL) {
		snprintf(buf, len, "%s", sock);
		return;
	}
	if (dir == NULL)
		dir = getenv("LICD_STATE_DIR");
	/* The packaged licd keeps its socket in /run/licd, where the admin
	 * group can reach it; a licd run by hand keeps it in its state
	 * directory. */
	if (dir == NULL && access("/run/licd/admin.sock", F_OK) == 0) {
		snprintf(buf, len, "%s", "/run/licd/admin.sock");
		return;
	}
	snprintf(buf, len, "%s/admin.sock", dir ? dir : "/var/lib/licd");
}

struct licd_conn *
licctl_admin_connect(const char *who, const char *path)
{
	const char *server = getenv("LICD_ADMIN_SERVER");
	struct licd_conn *c;
	char err[512];

	/* --admin-server: over TLS, with a certificate on tls.admins. */
	if (server != NULL && server[0] != '\0') {
		c = licd_connect_tls(server, NULL, NULL, 0, err, sizeof(err));
		if (c == NULL)
			fprintf(stderr, "%s: cannot reach licd at %s: %s\n",
			    who, server, err);
		return c;
	}
	c = licd_connect_local(path, NULL, 0, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "%s: cannot reach licd's admin socket: %s\n",
		    who, err);
		/* The socket's mode is what turns most outsiders away. */
		if (strstr(err, "Permission denied") != NULL)
			fprintf(stderr,
			    "%s: only root, licd's user and members of its "
			    "admin group may use it\n",
			    who);
	}
	return c;
}

int
licctl_admin_failed(const char *who, const struct licd_conn *c)
{
	if (licd_error_code(c) == 28)
		fprintf(stderr,
		    "%s: not allowed: only root, licd's user and members "
		    "of its admin group may do this (forbidden)\n",
		    who);
	else
		fprintf(stderr, "%s: %s (%s)\n", who, licd_error(c),
		    licd_error_reason(c)[0] ? licd_error_reason(c)
					    : "no answer");
	return LICCTL_EX_FAIL;
}

/* Parses the options both commands share; returns the index of the first
 * operand, or -1 on a usage error. */
static int
admin_options(int argc, char **argv, char *path, size_t len)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"state-dir", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	const char *sock = NULL, *dir = NULL;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "s:d:", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			return -1;
		}
	}
	licctl_admin_path(path, len, sock, dir);
	return optind;
}

int
cmd_remove(int argc, char **argv)
{
	struct licd_conn *c;
	char path[512], *end;
	uint64_t handle;
	int first, n;

	first = admin_options(argc, argv, path, sizeof(path));
	if (first == -1 ||
	    (argc - first != 1 && argc - first != 3 && argc - first != 4)) {
		fprintf(stderr,
		    "usage: licctl remove [--state-dir DIR | --socket PATH] "
		    "HANDLE\n"
		    "       licctl remove [--state-dir DIR | --socket PATH] "
		    "FEATURE USER HOST [DISPLAY]\n");
		return LICCTL_EX_USAGE;
	}

	c = licctl_admin_connect("licctl", path);
	if (c == NULL)
		return LICCTL_EX_UNAVAILABLE;
	if (argc - first == 1) {
		handle = strtoull(argv[first], &end, 10);
		if (*end != '\0' || argv[first][0] < '0' ||
		    argv[first][0] > '9') {
			fprintf(stderr,
			    "licctl: remove: \"%s\" is not a "
			    "handle\n",
			    argv[first]);
			licd_close(c);
			return LICCTL_EX_USAGE;
		}
		n = licd_remove(c, handle);
	} else {
		n = licd_remove_holder(c, argv[first], argv[first + 1],
		    argv[first + 2],
		    argc - first == 4 ? argv[first + 3] : NULL);
	}
	if (n < 0) {
		licctl_admin_failed("licctl: remove", c);
		licd_close(c);
		return LICCTL_EX_FAIL;
	}
	printf("removed %d license%s\n", n, n == 1 ? "" : "s");
	licd_close(c);
	return 0;
}

int
cmd_reread(int argc, char **argv)
{
	struct licd_conn *c;
	char path[512];
	int first;

	first = admin_options(argc, argv, path, sizeof(path));
	if (first == -1 || first != argc) {
		fprintf(stderr,
		    "usage: licctl reread [--state-dir DIR | "
		    "--socket PATH]\n");
		return LICCTL_EX_USAGE;
	}
	c = licctl_admin_connect("licctl", path);
	if (c == NULL)
		return LICCTL_EX_UNAVAILABLE;
	if (licd_reread(c) == -1) {
		if (licd_error_code(c) == 29)
			fprintf(stderr,
			    "licctl: reread refused, the running "
			    "configuration is unchanged: %s\n",
			    licd_error(c));
		else
			licctl_admin_failed("licctl: reread", c);
		licd_close(c);
		return LICCTL_EX_FAIL;
	}
	printf("licd read its configuration again\n");
	licd_close(c);
	return 0;
}

/* licctl down and licctl newlog take only the socket options. */
static struct licd_conn *
admin_simple(int argc, char **argv, const char *usage, int *rc)
{
	char path[512];
	int first;

	first = admin_options(argc, argv, path, sizeof(path));
	if (first == -1 || first != argc) {
		fprintf(stderr, "usage: %s [--state-dir DIR | --socket PATH]\n",
		    usage);
		*rc = LICCTL_EX_USAGE;
		return NULL;
	}
	*rc = LICCTL_EX_UNAVAILABLE;
	return licctl_admin_connect("licctl", path);
}

int
cmd_down(int argc, char **argv)
{
	struct licd_conn *c;
	int rc;

	c = admin_simple(argc, argv, "licctl down", &rc);
	if (c == NULL)
		return rc;
	if (licd_down(c) == -1) {
		licctl_admin_failed("licctl: down", c);
		licd_close(c);
		return LICCTL_EX_FAIL;
	}
	printf("licd is stopping; its grants are kept for the restart\n");
	licd_close(c);
	return 0;
}

int
cmd_newlog(int argc, char **argv)
{
	struct licd_conn *c;
	char archive[512];
	int rc;

	c = admin_simple(argc, argv, "licctl newlog", &rc);
	if (c == NULL)
		return rc;
	if (licd_new_journal(c, archive, sizeof(archive)) == -1) {
		licctl_admin_failed("licctl: newlog", c);
		licd_close(c);
		return LICCTL_EX_FAIL;
	}
	printf("licd started a new journal; the old one is kept as %s\n",
	    archive[0] ? archive : "(not named)");
	licd_close(c);
	return 0;
}
