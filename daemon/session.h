/*
 * A line session over a bufferevent, the plumbing every front end shares:
 * connections admitted within the caps, lines read up to a bound, replies
 * written in request order, and durable replies held until the journal has
 * committed the records they report.  Reading stops while the client
 * leaves too much output unread or too many replies wait for the journal,
 * and starts again once it catches up.
 *
 * A front end embeds a struct session in its own session struct and says
 * in a const struct session_ops what a line means and what to log; the
 * session module allocates, closes and frees the whole struct.
 */
#ifndef LICD_SESSION_H
#define LICD_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "licd.h"
#include "tls.h"

#define SESSION_LINE_MAX 4096 /* bytes, the newline included */

/* What the first byte of a TCP connection decides. */
#define SESSION_SNIFF_OPTIONAL 1 /* TLS or plain text */
#define SESSION_SNIFF_PLAIN 2 /* plain text: a TLS handshake is closed */

struct bufferevent;
struct evbuffer;
struct event;
struct session;
struct sockaddr;

struct session_ops {
	const char *name; /* the protocol, in log lines */
	const char *busy; /* the line sent to a connection over the caps */

	/* The front end's session struct: its size, and where in it the
	 * struct session sits. */
	size_t size;
	size_t offset;

	/* Stop reading once this much output is unsent; read again once it
	 * is down to output_low (0: once it is all written). */
	size_t output_high;
	size_t output_low;

	/* MUST: handles one request line, without its line end and
	 * NUL-terminated.  May send, and may call session_quit. */
	void (*line)(struct session *, const char *line, size_t len);

	/* MUST: a line passed SESSION_LINE_MAX: log it and send the error;
	 * the session then closes once that is written. */
	void (*too_long)(struct session *);

	/* MAY: the connection ended (EOF, error or timeout; what holds the
	 * BEV_EVENT_* flags); the session is freed right after. */
	void (*dropped)(struct session *, short what);

	/* MUST: forgets the session (lists, counts, what the protocol holds
	 * for it) just before it is freed.  Nothing it sends is written. */
	void (*release)(struct session *);
};

/*
 * Every connection holds one of these for as long as it lasts, so what
 * only some sessions need is allocated when it is needed: the client
 * certificate's facts for a session that showed one, the buffer of held
 * replies while there are some.
 */
struct session {
	const struct session_ops *ops;
	struct licd *licd;
	struct bufferevent *bev;

	/* A plain-text socket's reading, done by the session itself (NULL
	 * for TLS, and once an "optional" listener's session turned out to
	 * be TLS: the bufferevent reads then). */
	struct event *rev;
	uint64_t id; /* numbered by the front end */

	/* TLS: the verified client certificate, when one was shown; else
	 * NULL. */
	struct tls_peer *peer;

	/* Replies that wait for the journal, in order (NULL while there
	 * are none): held_len bytes in held_cap; nheld replies. */
	char *held;
	size_t held_len;
	size_t held_cap;
	struct licd_waiter waiter;

	char addr[CORE_ADDR_MAX];
	uid_t uid; /* the admin socket peer's uid, or -1 */
	int admin; /* may use the admin verbs (admin socket, admin cert) */
	int nheld;

	/* TLS: the connection is encrypted; on an "optional" listener the
	 * first byte is still awaited (sniff). */
	int tls;
	int sniff; /* SESSION_SNIFF_*, or 0 once decided */
	int plain; /* bev is a plain socket one: replies may be sent at once */
	size_t unread; /* requests read, not yet handled, outside bev's input */

	int paused; /* reading stopped: backlog or pending replies */
	int parked; /* a request waits for an answer from elsewhere */
	int closing; /* close once everything is written */
	int dead; /* being freed: write nothing */
};

/*
 * Makes a session of a connection a listener accepted from sa: allocates
 * ops->size bytes (zeroed) with the struct session at ops->offset, and
 * starts reading.  On a TLS listener the session speaks TLS (or, on an
 * "optional" one, TLS when the first byte starts a handshake, 0x16, and
 * plain text otherwise); a certificate on tls.admins makes it an admin
 * session.  On an admin socket (admin_socket set) the address is
 * "local", and the kernel says who the peer is: its uid, and whether it
 * may administer.  Returns the session, or NULL when the connection was
 * refused (over the caps, or licd stopping: the busy line is sent) or
 * memory ran out; fd is closed then.
 */
struct session *session_accept(struct licd *, const struct session_ops *,
    int fd, const struct sockaddr *sa, int admin_socket);

/* Who the peer is, for the journal and the log: "uid=N" on the admin
 * socket, "cert=<subject>" with a client certificate, else
 * "address=A".  Returns buf. */
const char *session_actor(const struct session *, char *buf, size_t len);

/* What this session's client certificate says, when client
 * certificates are required (tls.verify-client) and it showed one; else
 * NULL, and what the client claims stands. */
const struct tls_peer *session_cert(const struct session *);

/* The user a client certificate names (session_cert()): its user field,
 * or for a unit certificate (peer.principal) the unit; "" when it names
 * neither, NULL when session_cert() is NULL. */
const char *session_cert_user(const struct session *);

/* Frees the session and its front end's struct at once, whatever is still
 * owed to the client. */
void session_free(struct session *);

/*
 * Sends one line.  A durable line reports a state change: it leaves only
 * once the records appended so far are committed.  Any line queues behind
 * lines already held, so that replies keep request order.  A dead
 * session sends nothing.  When there is no memory to hold a line, the
 * session stops reading and is dropped from the loop (as if the
 * connection broke: ops->dropped, then freed), never inside the caller.
 */
void session_send(struct session *, const char *line, size_t len, int durable);

/* From a line handler: read no more, and close once every reply owed is
 * written. */
void session_quit(struct session *);

/* From outside a line handler (stopping): the same, and the session is
 * freed at once when nothing is owed. */
void session_close(struct session *);

/*
 * A pending reply slot: from a line handler, the request's answer will
 * come later (e.g. from the directory).  The session reads no further
 * request until session_unpark(), so that replies keep request order;
 * other sessions go on.  session_unpark() is called from outside a line
 * handler once the answer is sent, and reads on.
 */
void session_park(struct session *);
void session_unpark(struct session *);

#endif
