/*
 * licctl: the licd admin and client command line.  Besides its own
 * subcommands it answers to the names "lmstat" and "lmutil lmstat", so that
 * scripts written for FlexLM keep working when linked to it.
 */
#include <stdio.h>
#include <string.h>

#include "licctl.h"

#ifndef LICD_VERSION
#define LICD_VERSION "0.0.0"
#endif

static const char *
base_name(const char *path)
{
	const char *slash;

	slash = strrchr(path, '/');
	return slash != NULL ? slash + 1 : path;
}

int
main(int argc, char **argv)
{
	const char *self, *cmd;

	self = argc > 0 ? base_name(argv[0]) : "licctl";
	if (strcmp(self, "lmstat") == 0)
		return cmd_stat(argc, argv);
	if (strcmp(self, "lmutil") == 0) {
		if (argc < 2 || strcmp(argv[1], "lmstat") != 0) {
			fprintf(stderr,
			    "lmutil: only \"lmutil lmstat\" is "
			    "provided by licctl\n");
			return LICCTL_EX_USAGE;
		}
		return cmd_stat(argc - 1, argv + 1);
	}

	if (argc < 2) {
		licctl_usage(stderr);
		return LICCTL_EX_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "stat") == 0 || strcmp(cmd, "lmstat") == 0)
		return cmd_stat(argc - 1, argv + 1);
	if (strcmp(cmd, "remove") == 0 || strcmp(cmd, "lmremove") == 0)
		return cmd_remove(argc - 1, argv + 1);
	if (strcmp(cmd, "reread") == 0 || strcmp(cmd, "lmreread") == 0)
		return cmd_reread(argc - 1, argv + 1);
	if (strcmp(cmd, "journal") == 0)
		return cmd_journal(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("licctl %s\n", LICD_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		licctl_usage(stdout);
		return 0;
	}
	fprintf(stderr, "licctl: unknown command \"%s\"\n", cmd);
	licctl_usage(stderr);
	return LICCTL_EX_USAGE;
}
