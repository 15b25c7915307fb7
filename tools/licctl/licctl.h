/*
 * licctl's subcommands.  Each takes the arguments after its name (argv[0]
 * is the subcommand name, for getopt) and returns the process exit status.
 */
#ifndef LICCTL_H
#define LICCTL_H

#include <stddef.h>
#include <stdio.h>

#define LICCTL_EX_FAIL 1 /* the server said no, or is down */
#define LICCTL_EX_USAGE 64 /* EX_USAGE */
#define LICCTL_EX_UNAVAILABLE 69 /* EX_UNAVAILABLE */

/* licctl run: check seats out, run a command, check them in. */
int cmd_run(int argc, char **argv);

/* licctl stat: the lmstat layout; without -a, the features in use. */
int cmd_stat(int argc, char **argv);

/* lmstat, lmutil lmstat, licctl lmstat: lmstat's own flags and
 * defaults (no feature usage without -a, -A, -f or -S). */
int cmd_lmstat(int argc, char **argv);

/* licctl journal verify|show. */
int cmd_journal(int argc, char **argv);

/* licctl remove / reread / down / newlog on the admin socket. */
int cmd_remove(int argc, char **argv);
int cmd_reread(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_newlog(int argc, char **argv);

/* lmutil's other commands, with lmutil's flags (lmutil.c, lmdiag.c). */
int cmd_lmremove(int argc, char **argv);
int cmd_lmreread(int argc, char **argv);
int cmd_lmdown(int argc, char **argv);
int cmd_lmnewlog(int argc, char **argv);
int cmd_lmver(int argc, char **argv);
int cmd_lmhostid(int argc, char **argv);
int cmd_lmdiag(int argc, char **argv);

/* Runs lmutil command name (argv[0] is the command) or returns -1 when
 * name is no lmutil command licctl provides. */
int licctl_lmutil(int argc, char **argv);

/* Writes "TOOL vX.Y.Z build 0 ARCH", the version line lmutil's tools
 * print and monitoring tools read. */
void licctl_version_line(const char *tool, FILE *);

/* Writes the usage text for all subcommands. */
void licctl_usage(FILE *);

/* The server list: opt when given, else LICD_LICENSE_FILE, else
 * LM_LICENSE_FILE, else NULL. */
const char *licctl_servers(const char *opt);

/*
 * The servers named by a -c argument: "port@host" entries (',' inside a
 * redundant list), licence files whose SERVER lines name them, and folders
 * of *.lic files, ':' between them.  Duplicates are dropped.
 */
#define LICCTL_SERVERS_MAX 32

struct licctl_server {
	char name[300]; /* port@host */
	char port[16];
	char host[256];
};

struct licctl_servers {
	struct licctl_server list[LICCTL_SERVERS_MAX];
	size_t n;
};

/* Returns 0, or -1 with the reason in err. */
int licctl_servers_resolve(
    const char *spec, struct licctl_servers *, char *err, size_t errlen);

/* Writes count entries from first as "port@host,port@host". */
void licctl_servers_join(const struct licctl_servers *, size_t first,
    size_t count, char *buf, size_t len);

/*
 * The admin socket: sock when given, else admin.sock in dir, else in
 * LICD_STATE_DIR, else in /var/lib/licd.
 */
void
licctl_admin_path(char *buf, size_t len, const char *sock, const char *dir);

struct licd_conn;

/* Connects to the admin socket at path; on failure prints why on stderr,
 * prefixed by who, and returns NULL. */
struct licd_conn *licctl_admin_connect(const char *who, const char *path);

/* Prints an administrative request's failure on stderr, saying plainly
 * when the peer was not allowed.  Returns LICCTL_EX_FAIL. */
int licctl_admin_failed(const char *who, const struct licd_conn *);

#endif
