/*
 * The local admin socket: a unix socket in the state directory on which the
 * flex front end also accepts administrative requests (REMOVE, REREAD),
 * from root, licd's own user, or members of the configured admin group, as
 * the kernel reports the peer (SO_PEERCRED).
 */
#ifndef LICD_ADMIN_H
#define LICD_ADMIN_H

#include <sys/types.h>

struct licd;

/* Resolves the admin group (at start-up and reload: it may block on NSS).
 * Returns 0, or -1 when the group does not exist. */
int admin_resolve(struct licd *);

/* Creates, binds and listens on the admin socket, replacing a stale one.
 * Returns the listening fd, -2 when the socket is turned off, or -1. */
int admin_listen(struct licd *);

/* Removes the socket file at exit. */
void admin_unlink(struct licd *);

/* Whether the peer of a connected unix socket may administer: sets *uid
 * to the peer's uid.  Returns 1 or 0. */
int admin_peer_allowed(const struct licd *, int fd, uid_t *uid);

#endif
