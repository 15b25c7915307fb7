/*
 * licctl's commands for the sentinel front end (UDP leases, Sentinel RMS
 * style): lsmon, lsusage, commute, and the session helpers that licctl run
 * -P sentinel shares with them.
 */
#ifndef LICCTL_CMD_SENTINEL_H
#define LICCTL_CMD_SENTINEL_H

#include <stddef.h>

struct licd_sentinel;

/* licctl lsmon -c SERVERS [FEATURE]: the lsmon view (lsmon.c). */
int cmd_lsmon(int argc, char **argv);

/* licctl lsusage: per feature from the journal (lsusage.c). */
int cmd_lsusage(int argc, char **argv);

/* licctl commute: commuter tokens for N days, --return, --status. */
int cmd_commute(int argc, char **argv);

/*
 * The sentinel servers: opt when given, else those of LSHOST (host names
 * with ':' or ',' between them, as Sentinel clients take it; PORT@HOST
 * entries too), written into buf.  NULL when there are none.
 */
const char *licctl_sentinel_servers(const char *opt, char *buf, size_t len);

/*
 * Opens a session with servers, signing with the site key in key_file
 * (NULL: LICD_SITE_KEY_FILE, or none).  On failure prints why on stderr,
 * prefixed with who, and returns NULL.
 */
struct licd_sentinel *licctl_sentinel_open(
    const char *who, const char *servers, const char *key_file);

/* Prints a failed request's error on stderr ("who: what: why (reason)")
 * and returns the exit status: LICCTL_EX_FAIL when the server refused,
 * LICCTL_EX_UNAVAILABLE when none answered. */
int licctl_sentinel_failed(
    const char *who, const char *what, const struct licd_sentinel *);

#endif
