/*
 * A protocol front end: the table of hooks a family (flex, and later
 * sentinel and kms) fills in, listed once in protocols/registry.c.  The
 * daemon binds the listening sockets and hands them over; the front end
 * parses requests, asks the core, and answers once the journal has
 * committed what the answer reports.
 */
#ifndef LICD_PROTOCOL_H
#define LICD_PROTOCOL_H

#include <stddef.h>

#include "../daemon/core/core.h"

struct licd;

/*
 * The front end's side of a client session, as the core sees it: the core
 * hands it back in events that concern the session (a queued seat granted,
 * a grant removed), and the daemon calls notify after journaling the
 * event.  A front end embeds it in its session structure.
 */
struct core_owner {
	void (*notify)(struct core_owner *, const struct core_event *);
};

struct licd_protocol {
	const char *name; /* as in licd.conf's listen.protocol */
	int default_port;

	/* MUST: starts serving on the listening sockets fds (bound,
	 * listening, non-blocking).  Returns 0 or -1. */
	int (*start)(struct licd *, const int *fds, size_t nfds);

	/* MAY: serves administrative sessions as well on fd, the local
	 * admin socket (a listening unix socket).  Returns 0 or -1. */
	int (*start_admin)(struct licd *, int fd);

	/* MUST: stops accepting, tells every client that the server is
	 * going down, and closes sessions WITHOUT returning their seats
	 * (they are kept for resume after the restart).  Called once. */
	void (*stop)(struct licd *);

	/* MUST: frees whatever is left once the event loop has ended. */
	void (*cleanup)(struct licd *);

	/* MAY: a short summary for sd_notify STATUS, e.g. "12 sessions". */
	void (*status)(struct licd *, char *buf, size_t len);
};

/* Every front end, NULL-terminated. */
extern const struct licd_protocol *const licd_protocols[];

/* The front end called name, or NULL. */
const struct licd_protocol *protocol_find(const char *name);

#endif
