/*
 * The licd client library (include/licd.h) over the flex protocol
 * (protocols/flex/PROTOCOL.md).
 *
 * A connection is a non-blocking TCP socket driven with poll(), so that
 * every connect, write and reply wait is bounded by the caller's timeout.
 * Each request carries a tag from a per-connection counter; while waiting
 * for the reply to that tag, lines tagged "*" are notices and are acted on
 * (a queued grant completes, a removed grant is forgotten, a server
 * shutdown is noted), and replies to other tags, left over from a request
 * whose wait timed out, are skipped.  The optional keepalive thread shares
 * the connection through one mutex and is woken for shutdown through a
 * pipe, so licd_close never waits out a heartbeat interval.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "flex_client_tls.h"
#include "licd.h"
#include "protocols/client_common.h"
#include "protocols/flex/flex_codec.h"

#ifndef LICD_VERSION
#define LICD_VERSION "0.0.0"
#endif

#define CLIENT_SERVERS_MAX 16
#define CLIENT_HOST_MAX 255
#define CLIENT_TIMEOUT_MS 10000
#define CLIENT_RETRY_MS 60000
#define CLIENT_BACKOFF_MAX_MS 5000
#define CLIENT_STATUS_MAX 100000 /* rows of each kind in a STATUS reply */
#define CLIENT_HANDLES_MAX 4096

struct client_server {
	char host[CLIENT_HOST_MAX + 1];
	char port[8];
};

struct client_handle {
	uint64_t handle;
	char feature[64];
};

/* The result of one request. */
enum client_rc {
	CLIENT_OK = 0, /* OK or QUEUED */
	CLIENT_ERR = -1, /* the server answered ERR */
	CLIENT_IO = -2, /* the connection failed and is now closed */
	CLIENT_TIME = -3, /* no reply in time; the connection is closed */
};

/* Called for each data line under the request's tag before the reply. */
typedef int (*client_data_fn)(void *arg, const struct flex_msg *);

struct licd_conn {
	pthread_mutex_t lock;

	struct client_server servers[CLIENT_SERVERS_MAX];
	size_t nservers;
	char local_path[108]; /* the admin socket instead of servers */
	int timeout_ms;

	char user[64];
	char host[64];
	char display[64];
	char project[64];
	long pid;
	char unit[64]; /* declared on CHECKOUT and BORROW; "": none */
	char unit_charged[64]; /* the unit of the last grant */

	int fd;
	SSL_CTX *tls_ctx; /* TLS to the servers, or NULL */
	SSL *ssl; /* this connection's TLS, or NULL */
	char tls_name[CLIENT_HOST_MAX + 1]; /* name to verify; "": host */
	char rbuf[FLEX_LINE_MAX * 2];
	size_t rlen;
	unsigned long next_tag;
	char notice_err[256]; /* text of a "* ERR" sent before a close */

	int heartbeat; /* seconds, from HELLO */
	uint64_t session;
	char server[64]; /* server=..., from HELLO */
	int server_down; /* a SHUTDOWN notice arrived */

	struct client_handle *handles;
	size_t nhandles;

	/* A queued checkout in progress. */
	uint64_t wait_ticket;
	uint64_t granted_handle;
	int granted;

	char err[512];
	int errcode;
	char reason[32];

	pthread_t ka_thread;
	int ka_running;
	int ka_pipe[2];
	atomic_int stopping;
};

static void conn_err(struct licd_conn *c, int code, const char *reason,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
conn_err(
    struct licd_conn *c, int code, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	c->errcode = code;
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (-1: none) as a poll() timeout. */
static int
remaining(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left < 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/*
 * Parses one entry of a server list: "PORT@HOST", "@HOST" (port 27000),
 * "PORT" (localhost) or "PORT@[v6-address]".  Returns 0, or -1 when the
 * entry is malformed.
 */
static int
server_entry_parse(const char *s, size_t n, struct client_server *out)
{
	const char *at;
	size_t plen, hlen, i;
	long port;

	at = memchr(s, '@', n);
	plen = at != NULL ? (size_t)(at - s) : n;
	if ((port = client_port_parse(s, plen, FLEX_DEFAULT_PORT)) == -1)
		return -1;
	snprintf(out->port, sizeof(out->port), "%ld", port);

	if (at == NULL) {
		if (plen == 0)
			return -1;
		strcpy(out->host, "localhost");
		return 0;
	}
	s = at + 1;
	hlen = n - plen - 1;
	client_host_unbracket(&s, &hlen);
	if (hlen == 0 || hlen > CLIENT_HOST_MAX)
		return -1;
	for (i = 0; i < hlen; i++)
		if (s[i] <= ' ' || s[i] == '@' || s[i] == '/' ||
		    (unsigned char)s[i] >= 0x7f)
			return -1;
	memcpy(out->host, s, hlen);
	out->host[hlen] = '\0';
	return 0;
}

/*
 * Splits a server list on ',' and ':' (not inside "[...]").  Entries that
 * look like licence file paths, as LM_LICENSE_FILE may hold, are skipped:
 * licd clients only talk to servers.
 */
static int
servers_entry(void *arg, const char *e, size_t n)
{
	struct licd_conn *c = arg;

	if (e[0] == '/' || e[0] == '.')
		return 0;
	if (c->nservers == CLIENT_SERVERS_MAX) {
		conn_err(c, 0, "", "more than %d servers", CLIENT_SERVERS_MAX);
		return -1;
	}
	if (server_entry_parse(e, n, &c->servers[c->nservers]) == -1) {
		conn_err(c, 0, "", "bad server \"%.*s\"",
		    (int)(n > 300 ? 300 : n), e);
		return -1;
	}
	c->nservers++;
	return 0;
}

static int
servers_parse(struct licd_conn *c, const char *list)
{
	c->nservers = 0;
	if (client_list_split(list, servers_entry, c) == -1)
		return -1;
	if (c->nservers == 0) {
		conn_err(c, 0, "", "no server in \"%.300s\"", list);
		return -1;
	}
	return 0;
}

static void
identity_fill(struct licd_conn *c, const struct licd_identity *id)
{
	struct client_names names = {c->user, sizeof(c->user), c->host,
	    sizeof(c->host), c->display, sizeof(c->display), c->project,
	    sizeof(c->project), 0};
	const char *unit = getenv("LICD_UNIT");

	client_identity(id, &names);
	c->pid = names.pid;
	/* The unit to charge, as LM_PROJECT names a project: a process
	 * may declare it in its environment, licd_set_unit overrides. */
	if (unit != NULL && strlen(unit) < sizeof(c->unit))
		snprintf(c->unit, sizeof(c->unit), "%s", unit);
}

/* The unit a grant's reply or GRANTED notice names. */
static void
unit_note(struct licd_conn *c, const struct flex_msg *m)
{
	const char *v = flex_msg_get(m, "unit");

	snprintf(
	    c->unit_charged, sizeof(c->unit_charged), "%s", v != NULL ? v : "");
}

static void
conn_drop(struct licd_conn *c)
{
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->rlen = 0;
}

static void
next_tag(struct licd_conn *c, char *tag, size_t size)
{
	snprintf(tag, size, "t%lu", ++c->next_tag);
}

/*
 * One send or receive, through TLS when the connection has it.  Returns
 * the bytes moved, 0 at the end of the stream (receive), or -1: errno
 * EAGAIN with *events what to poll for, or another errno (c->err set for
 * TLS failures).
 */
static ssize_t
conn_io(struct licd_conn *c, int sending, void *buf, size_t len, short *events)
{
	ssize_t n;

	*events = sending ? POLLOUT : POLLIN;
	if (c->ssl == NULL)
		return sending ? send(c->fd, buf, len, MSG_NOSIGNAL)
			       : recv(c->fd, buf, len, 0);
	n = client_tls_io(
	    c->ssl, sending, buf, len, events, c->err, sizeof(c->err));
	if (n == -1 && errno == EPROTO) {
		c->errcode = 0;
		c->reason[0] = '\0';
	}
	return n;
}

/* Writes all of buf before the deadline. */
static int
send_all(struct licd_conn *c, const char *buf, size_t len, int64_t deadline)
{
	struct pollfd pfd;
	short events;
	ssize_t n;
	int rc;

	while (len > 0) {
		n = conn_io(c, 1, (void *)(uintptr_t)buf, len, &events);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			pfd.fd = c->fd;
			pfd.events = events;
			rc = poll(&pfd, 1, remaining(deadline));
			if (rc > 0 || (rc == -1 && errno == EINTR))
				continue;
			conn_err(c, 0, "", "timed out sending to the server");
			conn_drop(c);
			return CLIENT_TIME;
		}
		if (errno != EPROTO)
			conn_err(c, 0, "", "send: %s", strerror(errno));
		conn_drop(c);
		return CLIENT_IO;
	}
	return 0;
}

/*
 * Reads one line (without its newline) into line, waiting until deadline.
 * A line over FLEX_LINE_MAX is a protocol error: the connection is closed.
 */
static int
read_line(struct licd_conn *c, char *line, size_t *len, int64_t deadline)
{
	struct pollfd pfd;
	short events;
	char *nl;
	size_t n;
	ssize_t r;
	int rc;

	for (;;) {
		nl = memchr(c->rbuf, '\n', c->rlen);
		if (nl != NULL) {
			n = (size_t)(nl - c->rbuf);
			if (n + 1 > FLEX_LINE_MAX)
				break;
			memcpy(line, c->rbuf, n);
			line[n] = '\0';
			*len = n;
			memmove(c->rbuf, nl + 1, c->rlen - n - 1);
			c->rlen -= n + 1;
			return 0;
		}
		if (c->rlen >= FLEX_LINE_MAX)
			break;

		r = conn_io(c, 0, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen,
		    &events);
		if (r > 0) {
			c->rlen += (size_t)r;
			continue;
		}
		if (r == 0) {
			if (c->notice_err[0] != '\0')
				conn_err(c, c->errcode, c->reason, "%s",
				    c->notice_err);
			else
				conn_err(c, 0, "",
				    "the server closed the connection");
			conn_drop(c);
			return CLIENT_IO;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			if (errno != EPROTO)
				conn_err(c, 0, "", "recv: %s", strerror(errno));
			conn_drop(c);
			return CLIENT_IO;
		}
		pfd.fd = c->fd;
		pfd.events = events;
		rc = poll(&pfd, 1, remaining(deadline));
		if (rc == 0) {
			conn_err(c, 0, "", "timed out waiting for the server");
			return CLIENT_TIME;
		}
		if (rc == -1 && errno != EINTR) {
			conn_err(c, 0, "", "poll: %s", strerror(errno));
			conn_drop(c);
			return CLIENT_IO;
		}
	}
	conn_err(
	    c, 0, "", "the server sent a line over %d bytes", FLEX_LINE_MAX);
	conn_drop(c);
	return CLIENT_IO;
}

static void
handle_remember(struct licd_conn *c, uint64_t handle, const char *feature)
{
	struct client_handle *h;
	size_t i;

	for (i = 0; i < c->nhandles; i++)
		if (c->handles[i].handle == handle)
			return;
	/* XXX: past CLIENT_HANDLES_MAX grants are no longer remembered, so
	 * they are not resumed after a server restart. */
	if (c->nhandles == CLIENT_HANDLES_MAX)
		return;
	h = realloc(c->handles, (c->nhandles + 1) * sizeof(*h));
	if (h == NULL)
		return;
	c->handles = h;
	h[c->nhandles].handle = handle;
	client_copy_name(h[c->nhandles].feature, sizeof(h->feature), feature);
	c->nhandles++;
}

static void
handle_forget(struct licd_conn *c, uint64_t handle)
{
	size_t i;

	for (i = 0; i < c->nhandles; i++) {
		if (c->handles[i].handle == handle) {
			c->handles[i] = c->handles[--c->nhandles];
			return;
		}
	}
}

/* Acts on a "*" line. */
static void
notice(struct licd_conn *c, const struct flex_msg *m)
{
	uint64_t ticket, handle;
	long long code;
	const char *v;

	if (strcmp(m->verb, "GRANTED") == 0) {
		if (flex_msg_get_u64(m, "ticket", &ticket) != 1 ||
		    flex_msg_get_u64(m, "handle", &handle) != 1)
			return;
		v = flex_msg_get(m, "feature");
		handle_remember(c, handle, v != NULL ? v : "");
		if (c->wait_ticket != 0 && ticket == c->wait_ticket) {
			c->granted_handle = handle;
			c->granted = 1;
			unit_note(c, m);
		}
		/* A grant for a request we gave up on stays remembered: it
		 * is returned with the connection at the latest. */
	} else if (strcmp(m->verb, "REMOVED") == 0) {
		if (flex_msg_get_u64(m, "handle", &handle) == 1)
			handle_forget(c, handle);
	} else if (strcmp(m->verb, "SHUTDOWN") == 0) {
		c->server_down = 1;
	} else if (strcmp(m->verb, "ERR") == 0) {
		/* Sent just before the server closes (over its caps). */
		v = flex_msg_get(m, "text");
		if (flex_msg_get_int(m, "code", 0, 1000, &code) != 1)
			code = 0;
		c->errcode = (int)code;
		client_copy_name(
		    c->reason, sizeof(c->reason), flex_msg_get(m, "reason"));
		snprintf(c->notice_err, sizeof(c->notice_err), "%s",
		    v != NULL ? v : "the server refused the connection");
	}
}

static void
reply_error(struct licd_conn *c, const struct flex_msg *m)
{
	const char *text, *reason;
	long long code;

	if (flex_msg_get_int(m, "code", 0, 1000, &code) != 1)
		code = 0;
	reason = flex_msg_get(m, "reason");
	text = flex_msg_get(m, "text");
	if (reason == NULL)
		reason = flex_error_name((int)code);
	conn_err(c, (int)code, reason != NULL ? reason : "", "%s",
	    text != NULL ? text : (reason != NULL ? reason : "refused"));
}

/*
 * Reads lines until the final reply to tag arrives, acting on notices
 * and handing data lines to fn.  reply gets the final message.  A reply
 * that does not parse is treated as a broken connection, since the server
 * is not speaking the protocol.
 */
static int
await_reply(struct licd_conn *c, const char *tag, struct flex_msg *reply,
    client_data_fn fn, void *arg, int64_t deadline)
{
	char line[FLEX_LINE_MAX + 1];
	char perr[128];
	size_t len;
	int rc;

	for (;;) {
		rc = read_line(c, line, &len, deadline);
		if (rc != 0)
			return rc;
		if (len == 0)
			continue;
		if (flex_msg_parse(line, len, reply, perr, sizeof(perr)) ==
		    -1) {
			conn_err(
			    c, 0, "", "bad line from the server: %s", perr);
			conn_drop(c);
			return CLIENT_IO;
		}
		if (strcmp(reply->tag, "*") == 0) {
			notice(c, reply);
			continue;
		}
		if (strcmp(reply->tag, tag) != 0)
			continue;
		if (strcmp(reply->verb, "OK") == 0 ||
		    strcmp(reply->verb, "QUEUED") == 0)
			return CLIENT_OK;
		if (strcmp(reply->verb, "ERR") == 0) {
			reply_error(c, reply);
			return CLIENT_ERR;
		}
		if (fn != NULL && fn(arg, reply) == -1) {
			/* Keep reading to the final reply so that the
			 * stream stays in step. */
			fn = NULL;
		}
	}
}

/*
 * Sends the line built in o and waits for its reply.  A timeout closes
 * the connection: a late reply would otherwise be taken for the next
 * request's.
 */
static int
request(struct licd_conn *c, struct flex_out *o, const char *tag,
    struct flex_msg *reply, client_data_fn fn, void *arg)
{
	int64_t deadline;
	int len, rc;

	if (c->fd == -1) {
		conn_err(c, 0, "", "not connected");
		return CLIENT_IO;
	}
	len = flex_out_end(o);
	if (len == -1) {
		conn_err(c, 0, "", "request too long");
		return CLIENT_ERR;
	}
	deadline = now_ms() + c->timeout_ms;
	c->notice_err[0] = '\0';
	rc = send_all(c, o->buf, (size_t)len, deadline);
	if (rc != 0)
		return rc;
	rc = await_reply(c, tag, reply, fn, arg, deadline);
	if (rc == CLIENT_TIME)
		conn_drop(c);
	return rc;
}

static int
connect_addr(
    struct licd_conn *c, const struct addrinfo *ai, char *why, size_t whylen)
{
	struct pollfd pfd;
	socklen_t sl;
	int fd, rc, soerr = 0, one = 1;

	fd = socket(ai->ai_family,
	    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd == -1) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc == -1 && errno != EINPROGRESS) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (rc == -1) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do {
			rc = poll(&pfd, 1, c->timeout_ms);
		} while (rc == -1 && errno == EINTR);
		if (rc <= 0) {
			snprintf(why, whylen, "%s",
			    rc == 0 ? "connection timed out" : strerror(errno));
			close(fd);
			return -1;
		}
		sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
			soerr = errno;
		if (soerr != 0) {
			snprintf(why, whylen, "%s", strerror(soerr));
			close(fd);
			return -1;
		}
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int
say_hello(struct licd_conn *c)
{
	char buf[FLEX_LINE_MAX + 1], tag[FLEX_TAG_MAX + 1];
	struct flex_msg reply;
	struct flex_out o;
	long long n;
	const char *v;
	uint64_t session;
	int rc;

	next_tag(c, tag, sizeof(tag));
	flex_out_begin(&o, buf, sizeof(buf), tag, "HELLO");
	flex_out_add(&o, "user", c->user);
	flex_out_add(&o, "host", c->host);
	flex_out_add(&o, "display", c->display);
	flex_out_addf(&o, "pid", "%ld", c->pid);
	if (c->project[0] != '\0')
		flex_out_add(&o, "project", c->project);
	flex_out_add(&o, "client", "licd-client/" LICD_VERSION);
	flex_out_addf(&o, "proto", "%d", FLEX_PROTOCOL_VERSION);
	rc = request(c, &o, tag, &reply, NULL, NULL);
	if (rc != CLIENT_OK)
		return rc;

	if (flex_msg_get_int(&reply, "heartbeat", 1, 86400, &n) != 1)
		n = 60;
	c->heartbeat = (int)n;
	if (flex_msg_get_u64(&reply, "session", &session) == 1)
		c->session = session;
	v = flex_msg_get(&reply, "server");
	client_copy_name(c->server, sizeof(c->server), v);
	c->server_down = 0;
	return CLIENT_OK;
}

/* TLS over the connected c->fd, verifying the server's certificate
 * against c->tls_name, else host.  Returns 0, or -1 with c->err set. */
static int
tls_handshake(struct licd_conn *c, const char *host)
{
	char err[sizeof(c->err)];

	c->ssl = client_tls_connect(c->tls_ctx, c->fd,
	    c->tls_name[0] != '\0' ? c->tls_name : host, c->timeout_ms, err,
	    sizeof(err));
	if (c->ssl == NULL) {
		conn_err(c, 0, "", "%s", err);
		return -1;
	}
	return 0;
}

/* Connects to licd's local admin socket and says HELLO. */
static int
connect_local(struct licd_conn *c)
{
	struct sockaddr_un sun;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, c->local_path, sizeof(c->local_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		conn_err(c, 0, "", "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		conn_err(c, 0, "", "%s: %s", c->local_path, strerror(errno));
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->rlen = 0;
	rc = say_hello(c);
	if (rc != CLIENT_OK) {
		conn_drop(c);
		return -1;
	}
	return 0;
}

/* Connects to the first server of the list that accepts a HELLO. */
static int
connect_any(struct licd_conn *c)
{
	struct addrinfo hints, *res, *ai;
	char why[sizeof(((struct licd_conn *)0)->err)] = "no address";
	size_t i;
	int rc, fd;

	conn_drop(c);
	if (c->local_path[0] != '\0')
		return connect_local(c);
	for (i = 0; i < c->nservers; i++) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		rc = getaddrinfo(
		    c->servers[i].host, c->servers[i].port, &hints, &res);
		if (rc != 0) {
			snprintf(why, sizeof(why), "%s", gai_strerror(rc));
			conn_err(c, 0, "", "%s@%s: %s", c->servers[i].port,
			    c->servers[i].host, why);
			continue;
		}
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = connect_addr(c, ai, why, sizeof(why));
			if (fd == -1)
				continue;
			c->fd = fd;
			c->rlen = 0;
			if (c->tls_ctx != NULL &&
			    tls_handshake(c, c->servers[i].host) == -1) {
				snprintf(why, sizeof(why), "%s", c->err);
				conn_drop(c);
				continue;
			}
			rc = say_hello(c);
			if (rc == CLIENT_OK) {
				freeaddrinfo(res);
				return 0;
			}
			snprintf(why, sizeof(why), "%s", c->err);
			conn_drop(c);
		}
		freeaddrinfo(res);
		conn_err(c, c->errcode, c->reason, "%s@%s: %s",
		    c->servers[i].port, c->servers[i].host, why);
	}
	return -1;
}

static struct licd_conn *conn_open(const char *, const char *,
    const struct licd_identity *, const struct licd_tls *, int, char *, size_t);

struct licd_conn *
licd_connect(const char *servers, const struct licd_identity *id,
    int timeout_ms, char *err, size_t errlen)
{
	struct licd_tls t;

	return conn_open(
	    servers, NULL, id, client_tls_env(&t), timeout_ms, err, errlen);
}

struct licd_conn *
licd_connect_tls(const char *servers, const struct licd_identity *id,
    const struct licd_tls *tls, int timeout_ms, char *err, size_t errlen)
{
	struct licd_tls t;

	if (tls == NULL)
		tls = client_tls_env(&t);
	if (tls == NULL) {
		memset(&t, 0, sizeof(t));
		tls = &t;
	}
	return conn_open(servers, NULL, id, tls, timeout_ms, err, errlen);
}

/* The context for tls, and the name to verify.  Returns 0 or -1 with
 * err. */
static int
tls_setup(
    struct licd_conn *c, const struct licd_tls *tls, char *err, size_t errlen)
{
	c->tls_ctx = client_tls_ctx(tls, err, errlen);
	if (c->tls_ctx == NULL)
		return -1;
	if (tls->server_name != NULL)
		client_copy_name(
		    c->tls_name, sizeof(c->tls_name), tls->server_name);
	return 0;
}

struct licd_conn *
licd_connect_local(const char *path, const struct licd_identity *id,
    int timeout_ms, char *err, size_t errlen)
{
	if (path == NULL || path[0] == '\0' || strlen(path) >= 108) {
		snprintf(err, errlen, "bad admin socket path");
		return NULL;
	}
	return conn_open(NULL, path, id, NULL, timeout_ms, err, errlen);
}

/* Remaining requests: those of an administrator, on the admin socket. */
static int
admin_request(struct licd_conn *c, struct flex_out *o, const char *tag,
    struct flex_msg *reply)
{
	int rc;

	rc = request(c, o, tag, reply, NULL, NULL);
	return rc == CLIENT_OK ? 0 : -1;
}

/* Sends "VERB handle=N" and waits for its reply; c->lock held. */
static int
handle_request_locked(struct licd_conn *c, const char *verb, uint64_t handle,
    struct flex_msg *reply)
{
	char buf[FLEX_LINE_MAX + 1], tag[FLEX_TAG_MAX + 1];
	struct flex_out o;

	next_tag(c, tag, sizeof(tag));
	flex_out_begin(&o, buf, sizeof(buf), tag, verb);
	flex_out_addf(&o, "handle", "%" PRIu64, handle);
	return request(c, &o, tag, reply, NULL, NULL);
}

int
licd_remove(struct licd_conn *c, uint64_t handle)
{
	struct flex_msg reply;
	long long n = 0;
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = handle_request_locked(c, "REMOVE", handle, &reply) == CLIENT_OK
	    ? 0
	    : -1;
	if (rc == 0)
		flex_msg_get_int(&reply, "removed", 0, INT32_MAX, &n);
	pthread_mutex_unlock(&c->lock);
	return rc == 0 ? (int)n : -1;
}

int
licd_remove_holder(struct licd_conn *c, const char *feature, const char *user,
    const char *host, const char *display)
{
	char buf[FLEX_LINE_MAX + 1], tag[FLEX_TAG_MAX + 1];
	struct flex_msg reply;
	struct flex_out o;
	long long n = 0;
	int rc;

	pthread_mutex_lock(&c->lock);
	next_tag(c, tag, sizeof(tag));
	flex_out_begin(&o, buf, sizeof(buf), tag, "REMOVE");
	flex_out_add(&o, "feature", feature);
	flex_out_add(&o, "user", user);
	flex_out_add(&o, "host", host);
	if (display != NULL && display[0] != '\0')
		flex_out_add(&o, "display", display);
	rc = admin_request(c, &o, tag, &reply);
	if (rc == 0)
		flex_msg_get_int(&reply, "removed", 0, INT32_MAX, &n);
	pthread_mutex_unlock(&c->lock);
	return rc == 0 ? (int)n : -1;
}

/* Sends an administrative request without arguments (REREAD, DOWN,
 * NEWLOG); with value, copies the reply's value of key into it.  Returns
 * 0 or -1. */
static int
bare_admin_request(struct licd_conn *c, const char *verb, const char *key,
    char *value, size_t len)
{
	char buf[FLEX_LINE_MAX + 1], tag[FLEX_TAG_MAX + 1];
	struct flex_msg reply;
	struct flex_out o;
	int rc;

	pthread_mutex_lock(&c->lock);
	next_tag(c, tag, sizeof(tag));
	flex_out_begin(&o, buf, sizeof(buf), tag, verb);
	rc = admin_request(c, &o, tag, &reply);
	if (rc == 0 && value != NULL && len > 0)
		client_copy_name(value, len, flex_msg_get(&reply, key));
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int
licd_reread(struct licd_conn *c)
{
	return bare_admin_request(c, "REREAD", NULL, NULL, 0);
}

int
licd_down(struct licd_conn *c)
{
	return bare_admin_request(c, "DOWN", NULL, NULL, 0);
}

int
licd_new_journal(struct licd_conn *c, char *archive, size_t len)
{
	return bare_admin_request(c, "NEWLOG", "archive", archive, len);
}

static struct licd_conn *
conn_open(const char *servers, const char *local,
    const struct licd_identity *id, const struct licd_tls *tls, int timeout_ms,
    char *err, size_t errlen)
{
	struct licd_conn *c;

	if (servers == NULL && local == NULL) {
		snprintf(err, errlen, "no server list");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = -1;
	c->ka_pipe[0] = c->ka_pipe[1] = -1;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_MS;
	atomic_init(&c->stopping, 0);
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		snprintf(err, errlen, "cannot create a mutex");
		free(c);
		return NULL;
	}
	if (local != NULL)
		memcpy(c->local_path, local, strlen(local) + 1);
	if (tls != NULL && local == NULL &&
	    tls_setup(c, tls, err, errlen) == -1) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	if ((local == NULL && servers_parse(c, servers) == -1) ||
	    (identity_fill(c, id), connect_any(c)) == -1) {
		snprintf(err, errlen, "%s", c->err);
		SSL_CTX_free(c->tls_ctx);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	return c;
}

/* Sleeps ms or until licd_close asks the keepalive to stop.  Returns 1
 * when stopping. */
static int
wait_stop(struct licd_conn *c, int ms)
{
	struct pollfd pfd;

	if (atomic_load(&c->stopping))
		return 1;
	if (c->ka_pipe[0] == -1) {
		poll(NULL, 0, ms);
		return 0;
	}
	pfd.fd = c->ka_pipe[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) > 0)
		return 1;
	return atomic_load(&c->stopping);
}

/* Takes every remembered grant back after a new HELLO. */
static int
resume_all(struct licd_conn *c)
{
	char buf[FLEX_LINE_MAX + 1], tag[FLEX_TAG_MAX + 1];
	char lost[256] = "";
	struct flex_msg reply;
	struct flex_out o;
	size_t i = 0;
	int rc;

	while (i < c->nhandles) {
		next_tag(c, tag, sizeof(tag));
		flex_out_begin(&o, buf, sizeof(buf), tag, "RESUME");
		flex_out_addf(&o, "handle", "%" PRIu64, c->handles[i].handle);
		rc = request(c, &o, tag, &reply, NULL, NULL);
		if (rc == CLIENT_IO || rc == CLIENT_TIME)
			return -1;
		if (rc == CLIENT_ERR && c->errcode == 14) {
			snprintf(lost, sizeof(lost),
			    "grant %" PRIu64 " of %s was not resumed: %.100s",
			    c->handles[i].handle, c->handles[i].feature,
			    c->err);
			c->handles[i] = c->handles[--c->nhandles];
			continue;
		}
		i++;
	}
	if (lost[0] != '\0')
		conn_err(c, 14, "no-grant", "%s", lost);
	return 0;
}

/* Reconnects and resumes, trying until retry_ms passes or close. */
static int
reconnect_locked(struct licd_conn *c, int retry_ms)
{
	int64_t deadline;
	int backoff = 250;

	deadline = now_ms() + (retry_ms > 0 ? retry_ms : CLIENT_RETRY_MS);
	for (;;) {
		if (connect_any(c) == 0 && resume_all(c) == 0)
			return 0;
		conn_drop(c);
		if (now_ms() + backoff > deadline)
			return -1;
		if (wait_stop(c, backoff)) {
			conn_err(c, 0, "", "connection closing");
			return -1;
		}
		backoff = backoff * 2 > CLIENT_BACKOFF_MAX_MS
		    ? CLIENT_BACKOFF_MAX_MS
		    : backoff * 2;
	}
}

int
licd_reconnect(struct licd_conn *c, int retry_ms)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = reconnect_locked(c, retry_ms);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static int
heartbeat_locked(struct licd_conn *c)
{
	char buf[FLEX_LINE_MAX + 1], tag[FLEX_TAG_MAX + 1];
	struct flex_msg reply;
	struct flex_out o;
	int rc;

	if (c->fd == -1 || c->server_down)
		return reconnect_locked(c, 0);
	next_tag(c, tag, sizeof(tag));
	flex_out_begin(&o, buf, sizeof(buf), tag, "HEARTBEAT");
	rc = request(c, &o, tag, &reply, NULL, NULL);
	if (rc == CLIENT_IO || rc == CLIENT_TIME)
		return reconnect_locked(c, 0);
	/* The server may have said SHUTDOWN while we waited. */
	if (rc == CLIENT_OK && c->server_down)
		return 0;
	return rc == CLIENT_OK ? 0 : -1;
}

int
licd_heartbeat(struct licd_conn *c)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = heartbeat_locked(c);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int
licd_heartbeat_interval(const struct licd_conn *c)
{
	return c->heartbeat;
}

static void *
keepalive_main(void *arg)
{
	struct licd_conn *c = arg;
	int interval;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		interval = c->heartbeat > 0 ? c->heartbeat : 1;
		pthread_mutex_unlock(&c->lock);
		if (wait_stop(c, interval * 1000))
			break;
		pthread_mutex_lock(&c->lock);
		(void)heartbeat_locked(c);
		pthread_mutex_unlock(&c->lock);
	}
	return NULL;
}

int
licd_keepalive(struct licd_conn *c)
{
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	if (c->ka_running)
		goto out;
	if (pipe2(c->ka_pipe, O_CLOEXEC) == -1) {
		conn_err(c, 0, "", "pipe: %s", strerror(errno));
		rc = -1;
		goto out;
	}
	if (pthread_create(&c->ka_thread, NULL, keepalive_main, c) != 0) {
		conn_err(c, 0, "", "cannot start the keepalive thread");
		close(c->ka_pipe[0]);
		close(c->ka_pipe[1]);
		c->ka_pipe[0] = c->ka_pipe[1] = -1;
		rc = -1;
		goto out;
	}
	c->ka_running = 1;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void
licd_close(struct licd_conn *c)
{
	char buf[64], tag[FLEX_TAG_MAX + 1];
	struct flex_msg reply;
	struct flex_out o;
	int running;

	if (c == NULL)
		return;
	atomic_store(&c->stopping, 1);
	pthread_mutex_lock(&c->lock);
	running = c->ka_running;
	pthread_mutex_unlock(&c->lock);
	if (running) {
		/* The write end closing wakes the thread's poll. */
		close(c->ka_pipe[1]);
		c->ka_pipe[1] = -1;
		pthread_join(c->ka_thread, NULL);
		close(c->ka_pipe[0]);
	}

	if (c->fd != -1) {
		next_tag(c, tag, sizeof(tag));
		flex_out_begin(&o, buf, sizeof(buf), tag, "QUIT");
		(void)request(c, &o, tag, &reply, NULL, NULL);
	}
	conn_drop(c);
	SSL_CTX_free(c->tls_ctx);
	free(c->handles);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int
send_dequeue(struct licd_conn *c, uint64_t ticket)
{
	char buf[FLEX_LINE_MAX + 1], tag[FLEX_TAG_MAX + 1];
	struct flex_msg reply;
	struct flex_out o;

	next_tag(c, tag, sizeof(tag));
	flex_out_begin(&o, buf, sizeof(buf), tag, "DEQUEUE");
	flex_out_addf(&o, "ticket", "%" PRIu64, ticket);
	return request(c, &o, tag, &reply, NULL, NULL);
}

/*
 * Waits for the GRANTED notice of the queued ticket, sending heartbeats
 * meanwhile so that the server keeps the session (the keepalive thread
 * cannot: this thread holds the lock).
 */
static int
queue_wait(struct licd_conn *c, int wait_ms)
{
	char line[FLEX_LINE_MAX + 1], tag[FLEX_TAG_MAX + 1];
	char perr[128];
	struct flex_msg m;
	struct flex_out o;
	int64_t deadline, next_hb, until;
	size_t len;
	int rc;

	deadline = wait_ms > 0 ? now_ms() + wait_ms : -1;
	next_hb =
	    now_ms() + (int64_t)(c->heartbeat > 0 ? c->heartbeat : 60) * 1000;
	while (!c->granted) {
		until = next_hb;
		if (deadline >= 0 && deadline < until)
			until = deadline;
		rc = read_line(c, line, &len, until);
		if (rc == CLIENT_IO)
			return CLIENT_IO;
		if (rc == CLIENT_TIME) {
			if (deadline >= 0 && now_ms() >= deadline)
				return CLIENT_TIME;
			next_tag(c, tag, sizeof(tag));
			flex_out_begin(
			    &o, line, sizeof(line), tag, "HEARTBEAT");
			len = (size_t)flex_out_end(&o);
			rc = send_all(c, line, len, now_ms() + c->timeout_ms);
			if (rc != 0)
				return rc;
			next_hb = now_ms() +
			    (int64_t)(c->heartbeat > 0 ? c->heartbeat : 60) *
				1000;
			continue;
		}
		if (flex_msg_parse(line, len, &m, perr, sizeof(perr)) == -1) {
			conn_err(
			    c, 0, "", "bad line from the server: %s", perr);
			conn_drop(c);
			return CLIENT_IO;
		}
		/* Heartbeat replies and stale replies need no action. */
		if (strcmp(m.tag, "*") == 0)
			notice(c, &m);
	}
	return CLIENT_OK;
}

static int
checkout_locked(struct licd_conn *c, const char *feature, const char *version,
    int count, int flags, int wait_ms, uint64_t *handle)
{
	char buf[FLEX_LINE_MAX + 1], tag[FLEX_TAG_MAX + 1];
	struct flex_msg reply;
	struct flex_out o;
	uint64_t h, ticket;
	int rc;

	if (c->fd == -1 && reconnect_locked(c, c->timeout_ms) == -1)
		return -1;
	next_tag(c, tag, sizeof(tag));
	flex_out_begin(&o, buf, sizeof(buf), tag, "CHECKOUT");
	flex_out_add(&o, "feature", feature);
	if (version != NULL && version[0] != '\0')
		flex_out_add(&o, "version", version);
	flex_out_addf(&o, "count", "%d", count);
	if (flags & LICD_QUEUE)
		flex_out_add(&o, "queue", "1");
	if (c->unit[0] != '\0')
		flex_out_add(&o, "unit", c->unit);
	rc = request(c, &o, tag, &reply, NULL, NULL);
	if (rc != CLIENT_OK)
		return -1;

	if (strcmp(reply.verb, "OK") == 0) {
		if (flex_msg_get_u64(&reply, "handle", &h) != 1) {
			conn_err(c, 0, "", "the server sent no handle");
			return -1;
		}
		unit_note(c, &reply);
		handle_remember(c, h, feature);
		*handle = h;
		return 0;
	}

	/* QUEUED */
	if (flex_msg_get_u64(&reply, "ticket", &ticket) != 1) {
		conn_err(c, 0, "", "the server sent no ticket");
		return -1;
	}
	c->wait_ticket = ticket;
	c->granted = 0;
	rc = queue_wait(c, wait_ms);
	if (rc == CLIENT_TIME) {
		/* The grant may cross our DEQUEUE: it then arrives as a
		 * notice before the DEQUEUE's reply, and we keep it. */
		rc = send_dequeue(c, ticket);
		if (!c->granted) {
			c->wait_ticket = 0;
			if (rc == CLIENT_IO || rc == CLIENT_TIME)
				return -1;
			conn_err(c, 10, "no-seats",
			    "no seat became free within %d s",
			    (wait_ms + 999) / 1000);
			return -1;
		}
	}
	c->wait_ticket = 0;
	if (!c->granted) {
		/* XXX: a queue entry lost with its connection is not
		 * queued again on the next server. */
		return -1;
	}
	*handle = c->granted_handle;
	return 0;
}

int
licd_checkout(struct licd_conn *c, const char *feature, const char *version,
    int count, int flags, int wait_ms, uint64_t *handle)
{
	int rc;

	if (feature == NULL || handle == NULL || count < 1) {
		pthread_mutex_lock(&c->lock);
		conn_err(c, 1, "bad-request", "no feature or a bad count");
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	pthread_mutex_lock(&c->lock);
	rc =
	    checkout_locked(c, feature, version, count, flags, wait_ms, handle);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int
licd_checkin(struct licd_conn *c, uint64_t handle)
{
	struct flex_msg reply;
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = handle_request_locked(c, "CHECKIN", handle, &reply);
	/* Once the server says the grant is gone, or it was returned, there
	 * is nothing left to resume. */
	if (rc == CLIENT_OK || (rc == CLIENT_ERR && c->errcode == 14))
		handle_forget(c, handle);
	pthread_mutex_unlock(&c->lock);
	return rc == CLIENT_OK ? 0 : -1;
}

int
licd_borrow(struct licd_conn *c, const char *feature, const char *version,
    int count, int64_t until_ms, uint64_t *handle)
{
	char buf[FLEX_LINE_MAX + 1], tag[FLEX_TAG_MAX + 1];
	struct flex_msg reply;
	struct flex_out o;
	uint64_t h;
	int rc = -1;

	pthread_mutex_lock(&c->lock);
	if (feature == NULL || handle == NULL || count < 1 || until_ms < 1) {
		conn_err(
		    c, 1, "bad-request", "no feature, a bad count or no end");
		goto out;
	}
	if (c->fd == -1 && reconnect_locked(c, c->timeout_ms) == -1)
		goto out;
	next_tag(c, tag, sizeof(tag));
	flex_out_begin(&o, buf, sizeof(buf), tag, "BORROW");
	flex_out_add(&o, "feature", feature);
	if (version != NULL && version[0] != '\0')
		flex_out_add(&o, "version", version);
	flex_out_addf(&o, "count", "%d", count);
	flex_out_addf(&o, "until_ms", "%" PRId64, until_ms);
	if (c->unit[0] != '\0')
		flex_out_add(&o, "unit", c->unit);
	if (request(c, &o, tag, &reply, NULL, NULL) != CLIENT_OK)
		goto out;
	if (flex_msg_get_u64(&reply, "handle", &h) != 1) {
		conn_err(c, 0, "", "the server sent no handle");
		goto out;
	}
	unit_note(c, &reply);
	/* Not remembered for resume: the server keeps it for no session. */
	*handle = h;
	rc = 0;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int
licd_borrow_return(struct licd_conn *c, uint64_t handle)
{
	struct flex_msg reply;
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = handle_request_locked(c, "RETURN", handle, &reply);
	pthread_mutex_unlock(&c->lock);
	return rc == CLIENT_OK ? 0 : -1;
}

/* Collects STATUS data lines into a licd_status. */
struct status_ctx {
	struct licd_conn *c;
	struct licd_status *st;
	size_t capf, capr, capg;
	int failed;
};

static int
grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	if (n >= CLIENT_STATUS_MAX)
		return -1;
	ncap = *cap == 0 ? 16 : *cap * 2;
	p = realloc(*arr, ncap * size);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int
get_int_or(const struct flex_msg *m, const char *key, int def)
{
	long long n;

	if (flex_msg_get_int(m, key, INT32_MIN, INT32_MAX, &n) != 1)
		return def;
	return (int)n;
}

static int64_t
get_i64_or(const struct flex_msg *m, const char *key, int64_t def)
{
	long long n;

	if (flex_msg_get_int(m, key, INT64_MIN, INT64_MAX, &n) != 1)
		return def;
	return (int64_t)n;
}

#define GET_STR(dst, m, key) \
	client_copy_name((dst), sizeof(dst), flex_msg_get((m), (key)))

static int
status_line(void *arg, const struct flex_msg *m)
{
	struct status_ctx *x = arg;
	struct licd_status *st = x->st;
	struct licd_status_feature *f;
	struct licd_status_reservation *r;
	struct licd_status_grant *g;
	uint64_t h;

	if (strcmp(m->verb, "SERVER") == 0) {
		GET_STR(st->server_name, m, "name");
		GET_STR(st->server_version, m, "version");
		GET_STR(st->server_host, m, "host");
		GET_STR(st->vendor, m, "vendor");
		GET_STR(st->files, m, "files");
		st->port = get_int_or(m, "port", 0);
		st->started = get_i64_or(m, "started", 0);
	} else if (strcmp(m->verb, "FEATURE") == 0) {
		if (grow((void **)&st->features, &x->capf, st->nfeatures,
			sizeof(*f)) == -1)
			goto fail;
		f = &st->features[st->nfeatures++];
		memset(f, 0, sizeof(*f));
		GET_STR(f->feature, m, "feature");
		GET_STR(f->vendor, m, "vendor");
		GET_STR(f->version, m, "version");
		f->issued = get_int_or(m, "issued", 0);
		f->in_use = get_int_or(m, "in_use", 0);
		f->queued = get_int_or(m, "queued", 0);
		f->expiry = get_i64_or(m, "expiry", 0);
		f->uncounted = get_int_or(m, "uncounted", 0) != 0;
	} else if (strcmp(m->verb, "RESERVATION") == 0) {
		if (grow((void **)&st->reservations, &x->capr,
			st->nreservations, sizeof(*r)) == -1)
			goto fail;
		r = &st->reservations[st->nreservations++];
		memset(r, 0, sizeof(*r));
		GET_STR(r->feature, m, "feature");
		GET_STR(r->who, m, "who");
		GET_STR(r->name, m, "name");
		r->count = get_int_or(m, "count", 0);
	} else if (strcmp(m->verb, "GRANT") == 0) {
		if (grow((void **)&st->grants, &x->capg, st->ngrants,
			sizeof(*g)) == -1)
			goto fail;
		g = &st->grants[st->ngrants++];
		memset(g, 0, sizeof(*g));
		GET_STR(g->feature, m, "feature");
		GET_STR(g->version, m, "version");
		GET_STR(g->user, m, "user");
		GET_STR(g->host, m, "host");
		GET_STR(g->display, m, "display");
		GET_STR(g->unit, m, "unit");
		if (flex_msg_get_u64(m, "handle", &h) == 1)
			g->handle = h;
		g->count = get_int_or(m, "count", 1);
		g->start = get_i64_or(m, "start", 0);
		g->linger = get_int_or(m, "linger", 0);
		g->borrowed_until = get_i64_or(m, "borrowed_until", 0);
	}
	/* Unknown data lines come from a newer server: skipped. */
	return 0;
fail:
	x->failed = 1;
	return -1;
}

int
licd_status_get(
    struct licd_conn *c, const char *feature, struct licd_status *out)
{
	char buf[FLEX_LINE_MAX + 1], tag[FLEX_TAG_MAX + 1];
	struct status_ctx x;
	struct flex_msg reply;
	struct flex_out o;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.st = out;

	pthread_mutex_lock(&c->lock);
	next_tag(c, tag, sizeof(tag));
	flex_out_begin(&o, buf, sizeof(buf), tag, "STATUS");
	if (feature != NULL)
		flex_out_add(&o, "feature", feature);
	rc = request(c, &o, tag, &reply, status_line, &x);
	if (rc == CLIENT_OK && x.failed) {
		conn_err(c, 0, "", "status reply too large");
		rc = CLIENT_ERR;
	}
	pthread_mutex_unlock(&c->lock);
	if (rc != CLIENT_OK) {
		licd_status_free(out);
		return -1;
	}
	return 0;
}

void
licd_status_free(struct licd_status *st)
{
	if (st == NULL)
		return;
	free(st->features);
	free(st->reservations);
	free(st->grants);
	st->features = NULL;
	st->reservations = NULL;
	st->grants = NULL;
	st->nfeatures = st->nreservations = st->ngrants = 0;
}

const char *
licd_error(const struct licd_conn *c)
{
	return c->err;
}

int
licd_error_code(const struct licd_conn *c)
{
	return c->errcode;
}

const char *
licd_error_reason(const struct licd_conn *c)
{
	return c->reason;
}

int
licd_set_unit(struct licd_conn *c, const char *unit)
{
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	if (unit != NULL && strlen(unit) >= sizeof(c->unit)) {
		conn_err(c, 1, "bad-request",
		    "a unit name of %zu bytes: at most %zu", strlen(unit),
		    sizeof(c->unit) - 1);
		rc = -1;
	} else
		snprintf(
		    c->unit, sizeof(c->unit), "%s", unit != NULL ? unit : "");
	pthread_mutex_unlock(&c->lock);
	return rc;
}

const char *
licd_unit_charged(const struct licd_conn *c)
{
	return c->unit_charged;
}
