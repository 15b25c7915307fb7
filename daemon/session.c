/*
 * Line sessions over bufferevents, with replies held for the journal
 * (session.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/err.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "admin.h"
#include "licd.h"
#include "log.h"
#include "session.h"
#include "tls.h"

/* The first byte of a TLS record carrying a handshake (a ClientHello). */
#define SESSION_TLS_HANDSHAKE 0x16

/* A plain-text session's reads: at most this much at once, as libevent's
 * own reads (EVBUFFER_MAX_READ); a request is a few dozen bytes. */
#define SESSION_READ_MAX 4096

static void session_read_cb(struct bufferevent *, void *);
static void session_reading(struct session *, int);
static void session_write_cb(struct bufferevent *, void *);
static void session_event_cb(struct bufferevent *, short, void *);
static int session_tls_wrap(struct session *);
static int session_greeting(const struct session *);
static void session_read_timeout(const struct session *, struct timeval *);
static void session_set_timeouts(struct session *);

static struct session *
session_from_waiter(struct licd_waiter *w)
{
	return (struct session *)((char *)w - offsetof(struct session, waiter));
}

static size_t
session_unsent(const struct session *s)
{
	return evbuffer_get_length(bufferevent_get_output(s->bev));
}

static void
session_try_close(struct session *s)
{
	if (s->closing && s->nheld == 0 && session_unsent(s) == 0)
		session_free(s);
}

static void
session_pause(struct session *s)
{
	s->paused = 1;
	session_reading(s, 0);
}

static void
session_resume(struct session *s)
{
	s->paused = 0;
	if (s->parked)
		return;
	session_reading(s, 1);
	session_read_cb(s->bev, s);
}

/*
 * A plain-text session with nothing queued sends a reply at once, with
 * one send(): through the bufferevent each reply cost two epoll_ctl (its
 * write event added, then removed once written) and a trip round the
 * loop.  Returns how much the socket took; the rest, and everything after
 * an error (the bufferevent's own write meets it again and reports it),
 * goes through the bufferevent as before.  TLS sessions always do.
 * XXX: a client that sends one request at a time and never reads its
 * replies fills the kernel's send buffer (which grows to tcp_wmem's
 * maximum) before the write timeout can start, as it did before.
 */
static size_t
session_send_now(struct session *s, const void *p, size_t len)
{
	ssize_t n;

	/* Only when no further request is buffered: a client that pipelines
	 * gets its replies gathered into one write by the bufferevent, and
	 * its back-pressure (session_read_cb) works as it always did. */
	if (!s->plain || len == 0 || session_unsent(s) != 0 || s->unread != 0 ||
	    evbuffer_get_length(bufferevent_get_input(s->bev)) != 0)
		return 0;
	n = send(
	    bufferevent_getfd(s->bev), p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return n > 0 ? (size_t)n : 0;
}

/*
 * Held replies' buffers, given back and kept for the next ones: under
 * load nearly every durable reply is held, and malloc found a block for
 * each (and took it back) on the loop, among the journal's records and
 * the core's grants.  At most SESSION_HELD_SPARE blocks (64 KiB) are
 * kept; a session's buffer that had to grow is freed.  Loop thread only.
 */
#define SESSION_HELD_BLOCK 256
#define SESSION_HELD_SPARE 256

/* Under ASan (LICD_SANITIZE) none is kept, so that a use after free is
 * still caught. */
#ifdef LICD_SANITIZE
#define SESSION_HELD_KEEP 0
#else
#define SESSION_HELD_KEEP SESSION_HELD_SPARE
#endif

static char *session_held_spare[SESSION_HELD_SPARE];
static size_t session_held_keep = SESSION_HELD_KEEP;
static size_t session_held_nspare;

/* Appends a reply to the held ones.  Returns 0, or -1 without memory. */
static int
session_hold(struct session *s, const char *line, size_t len)
{
	size_t cap;
	char *p;

	if (s->held_len + len > s->held_cap) {
		if (s->held == NULL && len <= SESSION_HELD_BLOCK &&
		    session_held_nspare > 0) {
			p = session_held_spare[--session_held_nspare];
			cap = SESSION_HELD_BLOCK;
		} else {
			cap =
			    s->held_cap > 0 ? s->held_cap : SESSION_HELD_BLOCK;
			while (cap < s->held_len + len)
				cap *= 2;
			if ((p = realloc(s->held, cap)) == NULL)
				return -1;
		}
		s->held = p;
		s->held_cap = cap;
	}
	memcpy(s->held + s->held_len, line, len);
	s->held_len += len;
	return 0;
}

/* Most sessions sit idle between rare durable replies: the buffer goes
 * (to the spares) until the next one. */
static void
session_held_release(struct session *s)
{
	if (s->held_cap == SESSION_HELD_BLOCK &&
	    session_held_nspare < session_held_keep)
		session_held_spare[session_held_nspare++] = s->held;
	else
		free(s->held);
	s->held = NULL;
	s->held_len = 0;
	s->held_cap = 0;
}

/* The journal committed what the held replies report: send them, and
 * read again if we had stopped for them. */
static void
session_waiter_ready(struct licd_waiter *w)
{
	struct session *s = session_from_waiter(w);
	size_t len = s->held_len, k;

	k = len > 0 ? session_send_now(s, s->held, len) : 0;
	if (k < len && bufferevent_write(s->bev, s->held + k, len - k) == -1) {
		/* Kept should the write have failed. */
		memmove(s->held, s->held + k, len - k);
		s->held_len = len - k;
	} else if (s->held != NULL)
		session_held_release(s);
	s->nheld = 0;
	if (s->closing) {
		session_try_close(s);
		return;
	}
	if (s->paused && session_unsent(s) < s->ops->output_high)
		session_resume(s);
}

/*
 * Out of memory for what the session cannot go on without: it reads no
 * more, and the loop drops it as it would a broken connection, once the
 * caller (perhaps a line handler, or another session's request) is done
 * with it.  The client sees the connection close, as after a network
 * fault, and resumes its grants by handle as it would then.
 */
static void
session_drop_nomem(struct session *s, const char *what)
{
	log_warnx("%s: out of memory %s, dropping the connection: "
		  "session=%llu address=%s",
	    s->ops->name, what, (unsigned long long)s->id, s->addr);
	s->closing = 1;
	session_reading(s, 0);
	bufferevent_trigger_event(
	    s->bev, BEV_EVENT_ERROR, BEV_TRIG_DEFER_CALLBACKS);
}

void
session_send(struct session *s, const char *line, size_t len, int durable)
{
	struct licd *licd = s->licd;
	uint64_t seq;
	size_t k;

	if (s->dead)
		return;
	seq = licd_last_seq(licd);
	if (s->nheld == 0 &&
	    (!durable || seq <= journal_committed_seq(licd->journal))) {
		k = session_send_now(s, line, len);
		if (k < len)
			bufferevent_write(s->bev, line + k, len - k);
		return;
	}
	if (session_hold(s, line, len) == -1) {
		session_drop_nomem(s, "holding a reply");
		return;
	}
	s->nheld++;
	if (durable || !s->waiter.armed)
		licd_wait(licd, &s->waiter, seq);
}

void
session_quit(struct session *s)
{
	s->closing = 1;
}

void
session_close(struct session *s)
{
	session_reading(s, 0);
	s->closing = 1;
	session_try_close(s);
}

/*
 * Whether the session may handle a further request now: not once it
 * closes, nor while a request waits for an answer from elsewhere.  A
 * client that does not read its replies, or that has too many waiting
 * for the journal, is not read from until it catches up (back-pressure).
 */
static int
session_may_read(struct session *s)
{
	if (s->closing || s->dead || s->parked)
		return 0;
	if (session_unsent(s) >= s->ops->output_high ||
	    s->nheld >= s->licd->conf.max_pending) {
		session_pause(s);
		return 0;
	}
	return 1;
}

/* One request line, len bytes before its newline, in memory that may be
 * written: without its line end and NUL-terminated, to the front end. */
static void
session_line(struct session *s, char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	s->ops->line(s, line, len);
}

/* A line passed SESSION_LINE_MAX: the error, then close once written. */
static void
session_too_long(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);

	s->ops->too_long(s);
	s->closing = 1;
	session_reading(s, 0);
	evbuffer_drain(in, evbuffer_get_length(in));
	session_try_close(s);
}

/*
 * The first byte: on an "optional" listener a handshake record means TLS,
 * anything else plain text; on a plain-text listener a handshake is
 * refused at once rather than read as a line that never ends.  Returns 1
 * when lines are to be read, 0 when the session is not there to read
 * them (still no byte, handed to TLS, or freed).
 */
static int
session_sniff(struct session *s, struct evbuffer *in)
{
	unsigned char first;

	if (evbuffer_copyout(in, &first, 1) != 1)
		return 0;
	if (first == SESSION_TLS_HANDSHAKE && s->sniff == SESSION_SNIFF_PLAIN) {
		log_info("%s: a TLS handshake on a plain-text listener, "
			 "closing: address=%s",
		    s->ops->name, s->addr);
		session_free(s);
		return 0;
	}
	if (first == SESSION_TLS_HANDSHAKE) {
		s->sniff = 0;
		if (session_tls_wrap(s) == -1)
			session_free(s);
		return 0;
	}
	s->sniff = 0;
	session_set_timeouts(s);
	return 1;
}

/* Requests buffered in the bufferevent's input: all a TLS session reads,
 * and what a plain one could not handle where it read it. */
static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	char line[SESSION_LINE_MAX + 1];
	size_t len;

	if (s->sniff && !session_sniff(s, in))
		return;

	while (session_may_read(s)) {
		eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			if (evbuffer_get_length(in) >= SESSION_LINE_MAX)
				session_too_long(s);
			return;
		}
		if ((size_t)eol.pos >= SESSION_LINE_MAX) {
			session_too_long(s);
			return;
		}

		len = (size_t)eol.pos;
		evbuffer_remove(in, line, len + 1);
		session_line(s, line, len);
	}
	if (s->closing)
		session_try_close(s);
}

/*
 * What a plain-text session read.  With nothing buffered before it, the
 * complete lines are handled where they lie, and only what is left (an
 * incomplete line, or requests the session may not handle yet) is copied
 * into the bufferevent's input, for session_read_cb.  The bounds are
 * session_read_cb's.
 */
static void
session_input(struct session *s, char *p, size_t n)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	char *nl;
	size_t len;
	int rc;

	if (s->sniff == 0 && evbuffer_get_length(in) == 0) {
		while (n > 0 && session_may_read(s)) {
			nl = memchr(p, '\n',
			    n < SESSION_LINE_MAX ? n : SESSION_LINE_MAX);
			if (nl == NULL && n >= SESSION_LINE_MAX) {
				session_too_long(s);
				return;
			}
			if (nl == NULL)
				break;
			len = (size_t)(nl - p);
			/* Further requests read: session_send_now waits. */
			s->unread = n - len - 1;
			session_line(s, p, len);
			p = nl + 1;
			n -= len + 1;
		}
		s->unread = 0;
		if (n == 0) {
			if (s->closing)
				session_try_close(s);
			return;
		}
	}
	/* A socket bufferevent's input takes bytes only while it reads
	 * itself (it freezes its end otherwise). */
	evbuffer_unfreeze(in, 0);
	rc = evbuffer_add(in, p, n);
	evbuffer_freeze(in, 0);
	if (rc == -1) {
		session_drop_nomem(s, "reading a request");
		return;
	}
	session_read_cb(s->bev, s);
}

/*
 * A plain-text session reads its socket itself, with one recv() of a
 * fixed size: libevent's bufferevent asked the kernel how much there was
 * to read (ioctl FIONREAD) before every read, a system call per request.
 * End of file, errors and the read timeout reach session_event_cb as the
 * bufferevent reports them.
 */
static void
session_plain_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	char buf[SESSION_READ_MAX];
	ssize_t n;

	if (what & EV_TIMEOUT) {
		session_reading(s, 0);
		session_event_cb(
		    s->bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, s);
		return;
	}
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		session_reading(s, 0);
		session_event_cb(s->bev,
		    BEV_EVENT_READING |
			(n == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR),
		    s);
		return;
	}
	session_input(s, buf, (size_t)n);
}

/* Reading on or off; on (again) restarts the read timeout. */
static void
session_reading(struct session *s, int on)
{
	struct timeval tv;

	if (s->rev == NULL) {
		if (on)
			bufferevent_enable(s->bev, EV_READ);
		else
			bufferevent_disable(s->bev, EV_READ);
		return;
	}
	if (!on) {
		event_del(s->rev);
		return;
	}
	session_read_timeout(s, &tv);
	event_add(s->rev, &tv);
}

void
session_park(struct session *s)
{
	s->parked = 1;
	session_reading(s, 0);
}

void
session_unpark(struct session *s)
{
	s->parked = 0;
	if (s->dead)
		return;
	if (s->closing) {
		session_try_close(s);
		return;
	}
	if (session_unsent(s) >= s->ops->output_high ||
	    s->nheld >= s->licd->conf.max_pending) {
		session_pause(s);
		return;
	}
	session_resume(s);
}

static void
session_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (s->closing) {
		session_try_close(s);
		return;
	}
	if (s->paused && s->nheld < s->licd->conf.max_pending &&
	    session_unsent(s) <= s->ops->output_low)
		session_resume(s);
}

static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	struct tls_peer peer;
	unsigned long e;
	char err[256];

	/* The TLS handshake is done: note who the certificate names, in
	 * memory of its own, as few sessions show one.  Without the memory
	 * the session cannot tell who it serves: it is closed. */
	if (what & BEV_EVENT_CONNECTED) {
		s->tls = 1;
		session_set_timeouts(s);
		if (!tls_peer_get(&s->licd->conf,
			bufferevent_openssl_get_ssl(bev), &peer)) {
			free(s->peer);
			s->peer = NULL;
			return;
		}
		if (s->peer == NULL &&
		    (s->peer = malloc(sizeof(*s->peer))) == NULL) {
			log_warnx("%s: out of memory keeping the client "
				  "certificate, closing: address=%s",
			    s->ops->name, s->addr);
			session_free(s);
			return;
		}
		*s->peer = peer;
		if (peer.admin)
			s->admin = 1;
		log_debug("%s: tls session: address=%s subject=%s "
			  "fingerprint=%s admin=%d user=%s unit=%s "
			  "unit_principal=%d",
		    s->ops->name, s->addr, peer.subject, peer.fingerprint,
		    peer.admin, peer.user, peer.unit, peer.principal);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    session_greeting(s)) {
		log_info("%s: handshake timeout, closing: address=%s tls=%d "
			 "seconds=%d",
		    s->ops->name, s->addr,
		    bufferevent_openssl_get_ssl(bev) != NULL,
		    s->licd->conf.handshake_timeout);
		session_free(s);
		return;
	}
	if ((what & BEV_EVENT_ERROR) && !s->tls &&
	    bufferevent_openssl_get_ssl(bev) != NULL) {
		e = bufferevent_get_openssl_error(bev);
		if (e != 0)
			ERR_error_string_n(e, err, sizeof(err));
		else
			snprintf(err, sizeof(err), "connection closed");
		log_info("%s: tls handshake failed: address=%s reason=%s",
		    s->ops->name, s->addr, err);
		while (bufferevent_get_openssl_error(bev) != 0)
			continue;
	}

	if (s->ops->dropped != NULL)
		s->ops->dropped(s, what);
	session_free(s);
}

void
session_free(struct session *s)
{
	struct licd *licd = s->licd;

	if (s->dead)
		return;
	s->dead = 1;

	s->ops->release(s);
	licd_wait_cancel(licd, &s->waiter);
	licd_conn_release(licd, s->addr);
	if (s->rev != NULL)
		event_free(s->rev);
	bufferevent_free(s->bev);
	if (s->held != NULL)
		session_held_release(s);
	free(s->peer);
	free((char *)s - s->ops->offset);
}

/* The read timeout: the handshake's until the session has shown what it
 * speaks (a finished TLS handshake, or a first byte), the idle one after. */
static int
session_greeting(const struct session *s)
{
	return s->sniff != 0 ||
	    (!s->tls && bufferevent_openssl_get_ssl(s->bev) != NULL);
}

static void
session_read_timeout(const struct session *s, struct timeval *tv)
{
	tv->tv_sec = session_greeting(s) ? s->licd->conf.handshake_timeout
					 : s->licd->conf.idle_timeout;
	tv->tv_usec = 0;
}

static void
session_set_timeouts(struct session *s)
{
	struct timeval rtv, wtv;

	session_read_timeout(s, &rtv);
	wtv.tv_sec = s->licd->conf.write_timeout;
	wtv.tv_usec = 0;
	bufferevent_set_timeouts(s->bev, &rtv, &wtv);
	if (s->rev != NULL && event_pending(s->rev, EV_READ, NULL))
		event_add(s->rev, &rtv);
}

/* Callbacks, timeouts and watermarks of s->bev, and reading on. */
static void
session_bev_setup(struct session *s)
{
	bufferevent_setcb(
	    s->bev, session_read_cb, session_write_cb, session_event_cb, s);
	session_set_timeouts(s);
	bufferevent_setwatermark(s->bev, EV_WRITE, s->ops->output_low, 0);
	if (s->rev != NULL) {
		bufferevent_enable(s->bev, EV_WRITE);
		session_reading(s, 1);
		return;
	}
	/* Last: a TLS filter may run its handshake over the bytes already
	 * read here, and free the session when that fails. */
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

/*
 * An "optional" listener's connection began with a handshake: put a TLS
 * filter over the plain bufferevent, which hands it the bytes already
 * read.  Returns 0, or -1 (the session must be freed).
 */
static int
session_tls_wrap(struct session *s)
{
	struct bufferevent *bev;
	SSL *ssl;

	/* The filter reads through the plain bufferevent, which takes over
	 * from the session's own reading (and starts from what it read). */
	if (s->rev != NULL) {
		event_free(s->rev);
		s->rev = NULL;
	}
	ssl = tls_ssl_new();
	if (ssl == NULL)
		return -1;
	bev = bufferevent_openssl_filter_new(s->licd->base, s->bev, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return -1;
	}
	s->bev = bev;
	s->plain = 0;
	session_bev_setup(s);
	return 0;
}

const char *
session_actor(const struct session *s, char *buf, size_t len)
{
	if (s->uid != (uid_t)-1)
		snprintf(buf, len, "uid=%ld", (long)s->uid);
	else if (s->peer != NULL)
		snprintf(buf, len, "cert=%s", s->peer->subject);
	else
		snprintf(buf, len, "address=%s", s->addr);
	return buf;
}

const struct tls_peer *
session_cert(const struct session *s)
{
	if (s->peer == NULL ||
	    s->licd->conf.tls.verify_client != CONF_VERIFY_REQUIRED)
		return NULL;
	return s->peer;
}

const char *
session_cert_user(const struct session *s)
{
	const struct tls_peer *p = session_cert(s);

	if (p == NULL)
		return NULL;
	return p->principal ? p->unit : p->user;
}

/* session_accept, once the address is known. */
static struct session *
session_new(struct licd *licd, const struct session_ops *ops, int fd,
    const char *addr, int tls)
{
	struct session *s;
	char *mem;
	ssize_t n;
	SSL *ssl;

	if (licd->stopping || licd_conn_admit(licd, addr) == -1) {
		log_info("%s: connection refused, over the cap: address=%s "
			 "connections=%d",
		    ops->name, addr, licd->nconns);
		n = send(fd, ops->busy, strlen(ops->busy), MSG_DONTWAIT);
		(void)n;
		close(fd);
		return NULL;
	}

	mem = calloc(1, ops->size);
	if (mem == NULL)
		goto fail;
	s = (struct session *)(void *)(mem + ops->offset);
	if (tls != CONF_TLS_REQUIRED) {
		s->rev = event_new(licd->base, fd, EV_READ | EV_PERSIST,
		    session_plain_read_cb, s);
		if (s->rev == NULL) {
			free(mem);
			goto fail;
		}
	}
	if (tls == CONF_TLS_REQUIRED) {
		ssl = tls_ssl_new();
		s->bev = ssl == NULL
		    ? NULL
		    : bufferevent_openssl_socket_new(licd->base, fd, ssl,
			  BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (s->bev == NULL && ssl != NULL)
			SSL_free(ssl);
	} else
		s->bev = bufferevent_socket_new(
		    licd->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		if (s->rev != NULL)
			event_free(s->rev);
		free(mem);
		goto fail;
	}
	s->ops = ops;
	s->licd = licd;
	s->uid = (uid_t)-1;
	s->sniff = tls == CONF_TLS_OPTIONAL ? SESSION_SNIFF_OPTIONAL : 0;
	s->waiter.ready = session_waiter_ready;
	s->plain = tls != CONF_TLS_REQUIRED;
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	session_bev_setup(s);
	return s;

fail:
	log_warnx("%s: out of memory accepting address=%s", ops->name, addr);
	licd_conn_release(licd, addr);
	close(fd);
	return NULL;
}

/* The peer's address as the caps and the logs know it: IPv4 ones in
 * dotted form, also when they come mapped into IPv6. */
static void
session_addr_string(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *sin6;

	switch (sa->sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    buf, (socklen_t)len);
		break;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf,
			    (socklen_t)len);
		else
			inet_ntop(
			    AF_INET6, &sin6->sin6_addr, buf, (socklen_t)len);
		break;
	default:
		snprintf(buf, len, "local");
		break;
	}
}

struct session *
session_accept(struct licd *licd, const struct session_ops *ops, int fd,
    const struct sockaddr *sa, int admin_socket)
{
	struct session *s;
	char addr[CORE_ADDR_MAX];
	uid_t uid = (uid_t)-1;
	int allowed = 0, tls = CONF_TLS_OFF;

	if (admin_socket) {
		allowed = admin_peer_allowed(licd, fd, &uid);
		snprintf(addr, sizeof(addr), "local");
	} else {
		session_addr_string(sa, addr, sizeof(addr));
		tls = tls_mode_for_fd(&licd->conf, fd);
	}
	s = session_new(licd, ops, fd, addr, tls);
	if (s == NULL)
		return NULL;
	if (!admin_socket && tls == CONF_TLS_OFF) {
		s->sniff = SESSION_SNIFF_PLAIN;
		session_set_timeouts(s);
	}
	s->admin = allowed;
	s->uid = uid;
	return s;
}
