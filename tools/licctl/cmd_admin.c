/*
 * licctl remove and licctl reread: lmremove and lmreread over licd's local
 * admin socket, which only root, licd's user and the admin group may use.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "licctl.h"
#include "licd.h"

/* The admin socket: --socket, else admin.sock in --state-dir, else in
 * LICD_STATE_DIR, else the packaged default. */
static void
admin_path(char *buf, size_t len, const char *sock, const char *dir)
{
	if (sock != NULL) {
		snprintf(buf, len, "%s", sock);
		return;
	}
	if (dir == NULL)
		dir = getenv("LICD_STATE_DIR");
	snprintf(buf, len, "%s/admin.sock", dir ? dir : "/var/lib/licd");
}

static struct licd_conn *
admin_connect(const char *path)
{
	struct licd_conn *c;
	char err[512];

	c = licd_connect_local(path, NULL, 0, err, sizeof(err));
	if (c == NULL)
		fprintf(stderr,
		    "licctl: cannot reach licd's admin socket: %s\n", err);
	return c;
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
	admin_path(path, len, sock, dir);
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

	c = admin_connect(path);
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
		fprintf(stderr, "licctl: remove: %s (%s)\n", licd_error(c),
		    licd_error_reason(c));
		licd_close(c);
		return 1;
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
	c = admin_connect(path);
	if (c == NULL)
		return LICCTL_EX_UNAVAILABLE;
	if (licd_reread(c) == -1) {
		fprintf(stderr,
		    "licctl: reread refused, the running configuration is "
		    "unchanged: %s\n",
		    licd_error(c));
		licd_close(c);
		return 1;
	}
	printf("licd read its configuration again\n");
	licd_close(c);
	return 0;
}
