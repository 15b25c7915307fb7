/*
 * licctl's reports from a state directory's journal: export, usage,
 * chargeback and renewals.  Each takes the arguments after its name
 * (argv[0] is the subcommand name, for getopt) and returns the exit
 * status: 0, 2 when the journal or a file cannot be read, or
 * LICCTL_EX_USAGE.
 */
#ifndef LICCTL_CMD_REPORT_H
#define LICCTL_CMD_REPORT_H

/* licctl export: journal records as CSV (RFC 4180) or JSON lines. */
int cmd_export(int argc, char **argv);

/* licctl usage: seat-hours, peaks, users, denials, queue waits. */
int cmd_usage(int argc, char **argv);

/* licctl chargeback: each feature's cost for a period shared by unit. */
int cmd_chargeback(int argc, char **argv);

/* licctl renewals: licence lines expiring soon, with a year's use. */
int cmd_renewals(int argc, char **argv);

#endif
