/*
 * licctl's subcommands.  Each takes the arguments after its name (argv[0]
 * is the subcommand name, for getopt) and returns the process exit status.
 */
#ifndef LICCTL_H
#define LICCTL_H

#include <stdio.h>

#define LICCTL_EX_USAGE 64 /* EX_USAGE */
#define LICCTL_EX_UNAVAILABLE 69 /* EX_UNAVAILABLE */

/* licctl run: check seats out, run a command, check them in. */
int cmd_run(int argc, char **argv);

/* licctl stat / lmstat / lmutil lmstat: the lmstat layout. */
int cmd_stat(int argc, char **argv);

/* licctl journal verify|show. */
int cmd_journal(int argc, char **argv);

/* licctl remove / reread: lmremove and lmreread on the admin socket. */
int cmd_remove(int argc, char **argv);
int cmd_reread(int argc, char **argv);

/* Writes the usage text for all subcommands. */
void licctl_usage(FILE *);

/* The server list: opt when given, else LICD_LICENSE_FILE, else
 * LM_LICENSE_FILE, else NULL. */
const char *licctl_servers(const char *opt);

#endif
