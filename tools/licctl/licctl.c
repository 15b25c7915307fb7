/*
 * licctl: the licd admin and client command line.  Besides its own
 * subcommands it answers as lmutil ("lmutil lmstat -a ..."), and as
 * lmstat, lmremove, lmdown and lmutil's other command names, so that
 * scripts and monitoring written for FlexLM keep working when linked to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_borrow.h"
#include "cmd_identity.h"
#include "cmd_kms.h"
#include "cmd_report.h"
#include "cmd_sentinel.h"
#include "cmd_sign.h"
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

/* "lmutil CMD ...": lmutil's command names, case as FlexLM takes them. */
static int
run_lmutil(int argc, char **argv)
{
	int rc;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "-help") == 0 || strcmp(argv[1], "--help") == 0) {
		licctl_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? LICCTL_EX_USAGE : 0;
	}
	if (strcmp(argv[1], "-v") == 0) {
		licctl_version_line("lmutil", stdout);
		return 0;
	}
	rc = licctl_lmutil(argc - 1, argv + 1);
	if (rc == -1) {
		fprintf(stderr, "lmutil: unknown command \"%s\"\n", argv[1]);
		licctl_usage(stderr);
		return LICCTL_EX_USAGE;
	}
	return rc;
}

/*
 * The TLS flags that may come before the command; the client library
 * reads them from the environment (LICD_TLS*, include/licd.h), so every
 * command that connects uses them.  --admin-server sends administrative
 * commands over TLS to a server instead of the local admin socket.
 * Returns how many arguments were taken, or -1.
 */
static int
tls_flags(int argc, char **argv)
{
	static const struct {
		const char *flag;
		const char *env;
	} flags[] = {
	    {"--ca", "LICD_TLS_CA"},
	    {"--cert", "LICD_TLS_CERT"},
	    {"--key", "LICD_TLS_KEY"},
	    {"--server-name", "LICD_TLS_SERVER_NAME"},
	    {"--admin-server", "LICD_ADMIN_SERVER"},
	};
	size_t k;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tls") == 0) {
			setenv("LICD_TLS", "1", 1);
			continue;
		}
		for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (strcmp(argv[i], flags[k].flag) == 0)
				break;
		if (k == sizeof(flags) / sizeof(flags[0]))
			break;
		if (i + 1 == argc) {
			fprintf(stderr, "licctl: %s needs a value\n", argv[i]);
			return -1;
		}
		setenv(flags[k].env, argv[++i], 1);
		if (k < 3)
			setenv("LICD_TLS", "1", 1);
	}
	return i - 1;
}

int
main(int argc, char **argv)
{
	const char *self, *cmd;
	int rc;

	self = argc > 0 ? base_name(argv[0]) : "licctl";
	if (strcmp(self, "lmutil") == 0)
		return run_lmutil(argc, argv);
	if (strncmp(self, "lm", 2) == 0) {
		argv[0] = (char *)self;
		rc = licctl_lmutil(argc, argv);
		if (rc != -1)
			return rc;
	}

	rc = tls_flags(argc, argv);
	if (rc == -1)
		return LICCTL_EX_USAGE;
	argc -= rc;
	argv += rc;
	if (argc < 2) {
		licctl_usage(stderr);
		return LICCTL_EX_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "stat") == 0)
		return cmd_stat(argc - 1, argv + 1);
	if (strcmp(cmd, "borrow") == 0)
		return cmd_borrow(argc - 1, argv + 1);
	if (strcmp(cmd, "remove") == 0)
		return cmd_remove(argc - 1, argv + 1);
	if (strcmp(cmd, "reread") == 0)
		return cmd_reread(argc - 1, argv + 1);
	if (strcmp(cmd, "down") == 0)
		return cmd_down(argc - 1, argv + 1);
	if (strcmp(cmd, "newlog") == 0)
		return cmd_newlog(argc - 1, argv + 1);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	if (strcmp(cmd, "usage") == 0)
		return cmd_usage(argc - 1, argv + 1);
	if (strcmp(cmd, "chargeback") == 0)
		return cmd_chargeback(argc - 1, argv + 1);
	if (strcmp(cmd, "renewals") == 0)
		return cmd_renewals(argc - 1, argv + 1);
	if (strcmp(cmd, "keygen") == 0)
		return cmd_keygen(argc - 1, argv + 1);
	if (strcmp(cmd, "sign") == 0)
		return cmd_sign(argc - 1, argv + 1);
	if (strcmp(cmd, "journal") == 0)
		return cmd_journal(argc - 1, argv + 1);
	if (strcmp(cmd, "activate") == 0)
		return cmd_kms_activate(argc - 1, argv + 1);
	if (strcmp(cmd, "verify-activation") == 0)
		return cmd_kms_verify(argc - 1, argv + 1);
	if (strcmp(cmd, "kms-status") == 0)
		return cmd_kms_status(argc - 1, argv + 1);
	if (strcmp(cmd, "kms-machines") == 0)
		return cmd_kms_machines(argc - 1, argv + 1);
	if (strcmp(cmd, "kms-purge") == 0)
		return cmd_kms_purge(argc - 1, argv + 1);
	if (strcmp(cmd, "kms-key") == 0)
		return cmd_kms_key(argc - 1, argv + 1);
	if (strcmp(cmd, "kms-srv") == 0)
		return cmd_kms_srv(argc - 1, argv + 1);
	if (strcmp(cmd, "whois") == 0)
		return cmd_whois(argc - 1, argv + 1);
	if (strcmp(cmd, "eligible") == 0)
		return cmd_eligible(argc - 1, argv + 1);
	if (strcmp(cmd, "lsmon") == 0)
		return cmd_lsmon(argc - 1, argv + 1);
	if (strcmp(cmd, "lsusage") == 0)
		return cmd_lsusage(argc - 1, argv + 1);
	if (strcmp(cmd, "commute") == 0)
		return cmd_commute(argc - 1, argv + 1);
	if (strcmp(cmd, "lmutil") == 0)
		return run_lmutil(argc - 1, argv + 1);
	if (strncmp(cmd, "lm", 2) == 0 &&
	    (rc = licctl_lmutil(argc - 1, argv + 1)) != -1)
		return rc;
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
