/*
 * What the flex and sentinel clients of the client library share: the
 * "PORT@HOST" server lists and the identity a session reports.  Internal
 * to the library (the version script does not export client_*).
 */
#ifndef LICD_CLIENT_COMMON_H
#define LICD_CLIENT_COMMON_H

#include <stddef.h>

struct licd_identity;

/* Copies src (NULL: "") into dst of size bytes, cut to fit. */
void client_copy_name(char *dst, size_t size, const char *src);

/*
 * Splits a server list on ',' and ':' (not inside "[...]"), trims the
 * spaces around each entry and calls fn for each non-empty one.  Stops
 * and returns -1 when fn does; 0 otherwise.
 */
int client_list_split(const char *list,
    int (*fn)(void *arg, const char *entry, size_t n), void *arg);

/*
 * The port of an entry: its plen leading digits, or dflt when plen is 0.
 * Returns the port (1 to 65535), or -1 when malformed.
 */
long client_port_parse(const char *s, size_t plen, long dflt);

/*
 * The host part of an entry, hlen bytes at *h, without the brackets of
 * "[v6-address]": moves *h and *hlen inside them.
 */
void client_host_unbracket(const char **h, size_t *hlen);

/* The names a session reports, and their sizes. */
struct client_names {
	char *user;
	size_t user_size;
	char *host;
	size_t host_size;
	char *display;
	size_t display_size;
	char *project;
	size_t project_size;
	long pid;
};

/*
 * Fills names from id, each value NULL in id (or id NULL) taken from the
 * environment: LICD_USER, the login name or the effective user's name
 * ("unknown"); the host name ("unknown"); DISPLAY or stdin's terminal;
 * LM_PROJECT; and getpid().
 */
void
client_identity(const struct licd_identity *id, struct client_names *names);

#endif
