/*
 * licctl stat, and the lmstat / lmutil lmstat personalities: fetch a STATUS
 * snapshot and print it in the lmstat layout (lmstat.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "licctl.h"
#include "licd.h"
#include "lmstat.h"

int
cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"server", required_argument, NULL, 'c'},
	    {"all", no_argument, NULL, 'a'},
	    {"feature", required_argument, NULL, 'f'},
	    {"info", no_argument, NULL, 'i'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct lmstat_opts lo;
	struct licd_status st;
	struct licd_conn *c;
	const char *servers = NULL;
	char err[512], *end;
	long timeout_s = 0;
	int ch, info = 0, rc;

	memset(&lo, 0, sizeof(lo));
	optind = 1;
	/* -A (all daemons) is lmstat's; -s and -S narrow to a server or a
	 * vendor daemon, and with one licd there is nothing to narrow. */
	while (
	    (ch = getopt_long(argc, argv, "c:aAf:it:sS:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			servers = optarg;
			break;
		case 'a':
		case 'A':
			lo.all = 1;
			break;
		case 'f':
			lo.feature = optarg;
			break;
		case 'i':
			info = 1;
			break;
		case 't':
			timeout_s = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || timeout_s < 1 ||
			    timeout_s > 3600) {
				fprintf(stderr, "licctl: bad timeout \"%s\"\n",
				    optarg);
				return LICCTL_EX_USAGE;
			}
			break;
		case 's':
		case 'S':
			break;
		case 'h':
			licctl_usage(stdout);
			return 0;
		default:
			licctl_usage(stderr);
			return LICCTL_EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "licctl: unexpected argument \"%s\"\n",
		    argv[optind]);
		return LICCTL_EX_USAGE;
	}
	servers = licctl_servers(servers);
	if (servers == NULL) {
		fprintf(stderr,
		    "licctl: no server: give -c PORT@HOST or set "
		    "LM_LICENSE_FILE\n");
		return LICCTL_EX_USAGE;
	}

	lo.now = time(NULL);
	c = licd_connect(
	    servers, NULL, (int)timeout_s * 1000, err, sizeof(err));
	if (c == NULL) {
		lmstat_format_down(servers, err, lo.now, stdout);
		return 1;
	}
	if (licd_status_get(c, lo.feature, &st) == -1) {
		lmstat_format_down(servers, licd_error(c), lo.now, stdout);
		licd_close(c);
		return 1;
	}
	licd_close(c);
	if (info)
		rc = lmstat_format_info(&st, stdout);
	else
		rc = lmstat_format(&st, &lo, stdout);
	licd_status_free(&st);
	return rc == 0 ? 0 : 1;
}
