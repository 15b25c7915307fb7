/*
 * licctl journal: offline checks and views of a licd state directory,
 * through the journal module's read-only entry points.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/journal/journal.h"
#include "licctl.h"

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	*out = strtoull(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

int
cmd_journal(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"state-dir", required_argument, NULL, 'd'},
	    {"from", required_argument, NULL, 'F'},
	    {"limit", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *what;
	uint64_t from = 0, limit = 0;
	char err[512];
	int ch, rc;

	if (argc < 2 ||
	    (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "show") != 0)) {
		fprintf(stderr, "licctl: journal needs verify or show\n");
		licctl_usage(stderr);
		return LICCTL_EX_USAGE;
	}
	what = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'F':
			if (parse_u64(optarg, &from) == -1)
				goto usage;
			break;
		case 'l':
			if (parse_u64(optarg, &limit) == -1)
				goto usage;
			break;
		case 'h':
			licctl_usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (dir == NULL || optind != argc)
		goto usage;

	err[0] = '\0';
	if (strcmp(what, "verify") == 0) {
		rc = journal_verify(dir, stdout, err, sizeof(err));
		fflush(stdout);
		if (rc == -1) {
			fprintf(stderr, "licctl: journal verify: %s\n", err);
			return 2;
		}
		return rc == 0 ? 0 : 1;
	}
	rc = journal_show(dir, from, limit, stdout, err, sizeof(err));
	fflush(stdout);
	if (rc == -1) {
		fprintf(stderr, "licctl: journal show: %s\n", err);
		return 2;
	}
	return 0;

usage:
	licctl_usage(stderr);
	return LICCTL_EX_USAGE;
}
