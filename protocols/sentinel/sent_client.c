/*
 * The licd client library over the sentinel protocol
 * (protocols/sentinel/PROTOCOL.md): include/licd.h's licd_sentinel_*.
 *
 * A session is one connected UDP socket to the server that answered
 * first, a random client id, and the table of grants it holds.  Each
 * request gets a random request id and is sent up to "attempts" times with
 * that id, waiting twice as long after each send; the server answers a
 * repeat with its first reply, so a lost reply never grants twice.  With a
 * site key every copy is signed afresh (the server drops a replayed MAC)
 * and every reply's MAC is checked; without one, requests are padded so
 * that the server may answer them (it never answers an unauthenticated
 * request with a larger reply).
 *
 * A thread of the library's own renews each lease at half its length.  It
 * is started with every signal blocked, so that the process's signals
 * never land on it, and is woken for shutdown through a pipe.  Every entry
 * point takes the session's lock; the lock is let go while a queued
 * request sleeps between polls, so that renewals go on meanwhile.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "licd.h"
#include "protocols/client_common.h"
#include "protocols/sentinel/sent_client.h"
#include "protocols/sentinel/sent_codec.h"

#define SC_GRANTS_MAX 4096
/* The longest sleep between queue polls.  XXX: a QUEUED reply does not
 * say how long the ticket lives (sentinel.lease); a server whose lease is
 * a second or less drops a ticket polled this seldom. */
#define SC_POLL_MAX_MS 1000
#define SC_RETRY_MS 1000 /* a failed renewal is tried again after this */
#define SC_KEY_MAX 1024
#define SC_ERROR_BASE 1000 /* front-end errors: SC_ERROR_BASE + code */
#define SC_CORE_NO_GRANT 14 /* core reasons, as PROTOCOL.md numbers them */
#define SC_CORE_NOT_OWNER 15

/* A grant the session holds and renews. */
struct sc_grant {
	uint64_t id; /* the handle the application was given */
	uint64_t handle; /* the server's handle for it now */
	char feature[SENT_NAME_MAX];
	char version[SENT_VERSION_MAX];
	int tokens;
	int lease_s;
	int64_t due; /* monotonic ms: renew then */
	int64_t lapses; /* monotonic ms: the lease runs out then */
};

/* An error as the application reads it. */
struct sc_error {
	char text[512];
	int code;
	char reason[32];
};

/* What an exchange came to. */
enum sc_rc {
	SC_REPLY = 0, /* a reply, of any status, is in rep */
	SC_FAIL = -1, /* a local failure, err set */
	SC_SILENT = -2, /* no reply from the server */
};

struct licd_sentinel {
	pthread_mutex_t lock;

	struct sent_client_server servers[SENT_CLIENT_SERVERS_MAX];
	size_t nservers;
	int cur; /* the server that answered, -1 before */
	int fd;

	char user[SENT_NAME_MAX];
	char host[SENT_NAME_MAX];
	char display[SENT_NAME_MAX];
	char project[SENT_NAME_MAX];
	char share[SENT_SHARE_ID_MAX];
	long pid;

	int timeout_ms;
	int attempts;
	unsigned char key[SC_KEY_MAX];
	size_t keylen;
	uint64_t client_id;
	int used; /* a request reached the server: BYE at close */

	struct sc_grant *grants;
	size_t ngrants;
	size_t capgrants;
	int lease_s;
	uint64_t renewals;

	pthread_t thread;
	int thread_running;
	int wake[2];
	atomic_int stopping;

	uint8_t buf[SENT_DATAGRAM_MAX];
	struct sent_reply *rep; /* the last reply, on the heap: it is big */

	/* The application's last error, and the renewal thread's, kept
	 * apart so that a renewal never overwrites what a call reported;
	 * errp points to the one being written. */
	struct sc_error fg;
	struct sc_error bg;
	struct sc_error *errp;
};

static int sc_release(struct licd_sentinel *, uint64_t);
static void sc_err(struct licd_sentinel *s, int code, const char *reason,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
sc_err(
    struct licd_sentinel *s, int code, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errp->text, sizeof(s->errp->text), fmt, ap);
	va_end(ap);
	s->errp->code = code;
	snprintf(s->errp->reason, sizeof(s->errp->reason), "%s", reason);
}

static int64_t
sc_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
sc_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t
sc_random_id(void)
{
	uint64_t v = 0;

	while (v == 0)
		if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
			v = ((uint64_t)sc_wall_ms() << 20) ^
			    (uint64_t)getpid() ^ (uint64_t)(uintptr_t)&v;
	return v;
}

/* Replaces what the protocol refuses in a value (control bytes) so that
 * an odd DISPLAY or host name cannot make every request malformed. */
static void
sc_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* One "PORT@HOST" entry of n bytes. */
static int
sc_entry_parse(const char *e, size_t n, struct sent_client_server *out)
{
	const char *at, *h;
	size_t plen, hlen, i;
	long port;

	at = memchr(e, '@', n);
	if (at == NULL)
		return -1;
	plen = (size_t)(at - e);
	if ((port = client_port_parse(e, plen, SENT_DEFAULT_PORT)) == -1)
		return -1;
	h = at + 1;
	hlen = n - plen - 1;
	client_host_unbracket(&h, &hlen);
	if (hlen == 0 || hlen >= sizeof(out->host))
		return -1;
	for (i = 0; i < hlen; i++)
		if ((unsigned char)h[i] <= ' ' || h[i] == '[' || h[i] == ']')
			return -1;
	memcpy(out->host, h, hlen);
	out->host[hlen] = '\0';
	snprintf(out->port, sizeof(out->port), "%ld", port);
	return 0;
}

/* What sent_client_servers_parse fills, for sc_list_entry. */
struct sc_list {
	struct sent_client_server *out;
	size_t max;
	size_t count;
	char *err;
	size_t errlen;
};

static int
sc_list_entry(void *arg, const char *e, size_t n)
{
	struct sc_list *l = arg;

	if (l->count == l->max) {
		snprintf(l->err, l->errlen, "more than %zu servers", l->max);
		return -1;
	}
	if (sc_entry_parse(e, n, &l->out[l->count]) == -1) {
		snprintf(l->err, l->errlen,
		    "bad server \"%.*s\": expected PORT@HOST",
		    (int)(n > 300 ? 300 : n), e);
		return -1;
	}
	l->count++;
	return 0;
}

int
sent_client_servers_parse(const char *list, struct sent_client_server *out,
    size_t max, char *err, size_t errlen)
{
	struct sc_list l = {out, max, 0, err, errlen};

	if (list == NULL || list[0] == '\0') {
		snprintf(err, errlen, "no server given");
		return -1;
	}
	if (client_list_split(list, sc_list_entry, &l) == -1)
		return -1;
	if (l.count == 0) {
		snprintf(err, errlen, "no server in \"%.300s\"", list);
		return -1;
	}
	return (int)l.count;
}

int
sent_client_wait_ms(int first_ms, int attempt)
{
	int64_t w = first_ms > 0 ? first_ms : SENT_CLIENT_TIMEOUT_MS;

	while (attempt-- > 0 && w < SENT_CLIENT_WAIT_MAX_MS)
		w *= 2;
	return w > SENT_CLIENT_WAIT_MAX_MS ? SENT_CLIENT_WAIT_MAX_MS : (int)w;
}

int64_t
sent_client_renew_at(int64_t granted_ms, int lease_s)
{
	int64_t half = (int64_t)lease_s * 500;

	return granted_ms + (half < 1000 ? 1000 : half);
}

const char *
sent_client_reason_name(int reason)
{
	/* The core's reasons, numbered as PROTOCOL.md lists them. */
	static const char *const names[] = {
	    NULL,
	    "bad-request",
	    "unknown-feature",
	    "version",
	    "expired",
	    "not-started",
	    "uncounted",
	    "excluded",
	    "not-included",
	    "max",
	    "no-seats",
	    "too-many",
	    "queue-full",
	    "no-unit",
	    "no-grant",
	    "not-owner",
	    "not-borrowable",
	    "borrow-too-long",
	    "borrow-lowwater",
	};

	if (reason < 1 || (size_t)reason >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[reason];
}

static void
sc_identity(struct licd_sentinel *s, const struct licd_identity *id)
{
	struct client_names names = {s->user, sizeof(s->user), s->host,
	    sizeof(s->host), s->display, sizeof(s->display), s->project,
	    sizeof(s->project), 0};

	client_identity(id, &names);
	s->pid = names.pid;
	sc_clean(s->user);
	sc_clean(s->host);
	sc_clean(s->display);
	sc_clean(s->project);
}

static void
sc_close_socket(struct licd_sentinel *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}

/* A connected UDP socket to server i; -1 with err set. */
static int
sc_open_socket(struct licd_sentinel *s, size_t i)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	rc = getaddrinfo(s->servers[i].host, s->servers[i].port, &hints, &res);
	if (rc != 0) {
		sc_err(s, 0, "", "%s@%s: %s", s->servers[i].port,
		    s->servers[i].host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		sc_err(s, 0, "", "%s@%s: %s", s->servers[i].port,
		    s->servers[i].host, strerror(saved));
		return -1;
	}
	sc_close_socket(s);
	s->fd = fd;
	return 0;
}

/* Encodes req for one send: signed afresh, or padded to pad bytes. */
static int
sc_encode(struct licd_sentinel *s, const struct sent_request *req, size_t pad,
    size_t *len)
{
	int n;

	n = sent_request_encode(req, s->buf, sizeof(s->buf));
	if (n < 0) {
		sc_err(s, 0, "",
		    "the request does not encode (a name too "
		    "long?)");
		return -1;
	}
	*len = (size_t)n;
	if (s->keylen > 0) {
		/* The request is not padded: a signed request may get a
		 * reply larger than itself. */
		if (sent_sign(s->buf, len, sizeof(s->buf), s->key, s->keylen,
			sc_wall_ms()) == -1) {
			sc_err(s, 0, "", "cannot sign the request");
			return -1;
		}
		return 0;
	}
	if (pad > *len && sent_pad(s->buf, len, sizeof(s->buf), pad) == -1) {
		sc_err(s, 0, "", "cannot pad the request");
		return -1;
	}
	return 0;
}

/*
 * Waits up to wait_ms for the reply to id on the socket; datagrams that
 * are not it (late replies to earlier requests, forgeries) are skipped.
 * Returns 1 with the reply in s->rep, 0 when none came, -1 when the
 * server's port refused (ICMP) or the socket failed.
 */
static int
sc_await(struct licd_sentinel *s, uint64_t id, int wait_ms)
{
	struct pollfd pfd;
	char why[128];
	int64_t deadline = sc_mono_ms() + wait_ms, left;
	int64_t ts;
	uint8_t mac[SENT_MAC_LEN];
	ssize_t n;

	for (;;) {
		left = deadline - sc_mono_ms();
		if (left <= 0)
			return 0;
		pfd.fd = s->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			sc_err(s, 0, "", "poll: %s", strerror(errno));
			return -1;
		}
		if (!(pfd.revents & (POLLIN | POLLERR)))
			continue;
		n = recv(s->fd, s->buf, sizeof(s->buf), 0);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			sc_err(s, 0, "", "%s", strerror(errno));
			return -1;
		}
		if (sent_reply_decode(
			s->buf, (size_t)n, s->rep, why, sizeof(why)) != 0)
			continue;
		if (s->rep->hdr.request_id != id ||
		    s->rep->hdr.client_id != s->client_id)
			continue;
		if (s->keylen > 0 &&
		    sent_verify(
			s->buf, (size_t)n, s->key, s->keylen, &ts, mac) != 0)
			continue;
		return 1;
	}
}

/*
 * Sends req to the current server and waits for its reply, re-sending it
 * with the same request id as the waits run out, and padding it further
 * when the server asks to.  Stops at deadline (monotonic ms, -1 none).
 */
static enum sc_rc
sc_exchange_one(
    struct licd_sentinel *s, struct sent_request *req, int64_t deadline)
{
	size_t len, pad;
	int attempt, wait, rc;
	int64_t left;

	pad = req->hdr.verb == SENT_V_QUERY ? SENT_CLIENT_QUERY_PAD
					    : SENT_CLIENT_PAD;
	for (attempt = 0; attempt < s->attempts; attempt++) {
		if (sc_encode(s, req, pad, &len) == -1)
			return SC_FAIL;
		if (send(s->fd, s->buf, len, 0) == -1 &&
		    errno != ECONNREFUSED) {
			sc_err(s, 0, "", "send: %s", strerror(errno));
			return SC_SILENT;
		}
		wait = sent_client_wait_ms(s->timeout_ms, attempt);
		if (deadline >= 0) {
			left = deadline - sc_mono_ms();
			if (left <= 0)
				break;
			if (left < wait)
				wait = (int)left;
		}
		rc = sc_await(s, req->hdr.request_id, wait);
		if (rc == -1)
			return SC_SILENT;
		if (rc == 0)
			continue;
		if (s->rep->hdr.status == SENT_S_ERROR &&
		    s->rep->hdr.reason == SENT_E_PAD && s->keylen == 0 &&
		    pad < SENT_DATAGRAM_MAX) {
			/* The server keeps its reply for a larger copy of
			 * the same request: send one (same id, so nothing
			 * is done twice). */
			pad = pad * 2 > SENT_DATAGRAM_MAX ? SENT_DATAGRAM_MAX
							  : pad * 2;
			attempt--;
			continue;
		}
		return SC_REPLY;
	}
	sc_err(s, 0, "", "%s@%s: no reply", s->servers[s->cur].port,
	    s->servers[s->cur].host);
	return SC_SILENT;
}

/*
 * One request: a fresh request id, the session's ids, and the server that
 * answered before or, when none has yet (or it fell silent while nothing
 * is held), the first of the list that answers.
 */
static enum sc_rc
sc_exchange(struct licd_sentinel *s, struct sent_request *req, int64_t deadline)
{
	enum sc_rc rc = SC_SILENT;
	size_t i;

	req->hdr.version = SENT_PROTOCOL_VERSION;
	req->hdr.flags = 0;
	req->hdr.request_id = sc_random_id();
	req->hdr.client_id = s->client_id;
	if (s->cur >= 0) {
		rc = sc_exchange_one(s, req, deadline);
		if (rc != SC_SILENT || s->ngrants > 0)
			return rc;
		s->cur = -1;
	}
	for (i = 0; i < s->nservers; i++) {
		if (sc_open_socket(s, i) == -1)
			continue;
		s->cur = (int)i;
		rc = sc_exchange_one(s, req, deadline);
		if (rc != SC_SILENT)
			break;
		s->cur = -1;
		sc_close_socket(s);
	}
	if (rc == SC_REPLY)
		s->used = 1;
	return rc;
}

/* Turns a reply's status into 0 (OK or QUEUED) or -1 with the error. */
static int
sc_status(struct licd_sentinel *s, const char *what)
{
	const struct sent_reply *r = s->rep;
	const char *name;
	char buf[32];

	switch (r->hdr.status) {
	case SENT_S_OK:
	case SENT_S_QUEUED:
		s->errp->code = 0;
		s->errp->reason[0] = '\0';
		s->errp->text[0] = '\0';
		return 0;
	case SENT_S_DENIED:
		name = sent_client_reason_name(r->hdr.reason);
		if (name == NULL) {
			snprintf(buf, sizeof(buf), "reason-%u", r->hdr.reason);
			name = buf;
		}
		sc_err(s, r->hdr.reason, name, "%s: %s", what,
		    r->message[0] != '\0' ? r->message : name);
		return -1;
	default:
		name = sent_error_name(r->hdr.reason);
		sc_err(s, SC_ERROR_BASE + r->hdr.reason, name, "%s: %s", what,
		    r->message[0] != '\0' ? r->message : name);
		return -1;
	}
}

/* A request of verb, with the holder's user and host where the verb
 * takes them (RENEW sends them so that a restarted server gives back the
 * grant it restored). */
static void
sc_request_init(struct licd_sentinel *s, struct sent_request *req, int verb)
{
	memset(req, 0, sizeof(*req));
	req->hdr.verb = (uint8_t)verb;
	if (verb == SENT_V_REQUEST || verb == SENT_V_RENEW ||
	    verb == SENT_V_COMMUTE || verb == SENT_V_CHECKIN) {
		snprintf(req->user, sizeof(req->user), "%s", s->user);
		snprintf(req->host, sizeof(req->host), "%s", s->host);
	}
}

static void
sc_wake(struct licd_sentinel *s)
{
	char c = 0;

	if (s->thread_running && s->wake[1] != -1)
		(void)!write(s->wake[1], &c, 1);
}

/*
 * Whether the reply says the server does not know the handle as ours:
 * ERROR no-session, as PROTOCOL.md words it, or DENIED no-grant or
 * not-owner, the core's reasons, which the server sends as well.
 */
static int
sc_gone(const struct licd_sentinel *s)
{
	const struct sent_header *h = &s->rep->hdr;

	return (h->status == SENT_S_ERROR && h->reason == SENT_E_NO_SESSION) ||
	    (h->status == SENT_S_DENIED &&
		(h->reason == SC_CORE_NO_GRANT ||
		    h->reason == SC_CORE_NOT_OWNER));
}

static struct sc_grant *
sc_grant_find(struct licd_sentinel *s, uint64_t id)
{
	size_t i;

	for (i = 0; i < s->ngrants; i++)
		if (s->grants[i].id == id)
			return &s->grants[i];
	return NULL;
}

static void
sc_grant_forget(struct licd_sentinel *s, struct sc_grant *g)
{
	size_t i = (size_t)(g - s->grants);

	s->grants[i] = s->grants[--s->ngrants];
}

/* Notes the lease of the grant in s->rep, just given or renewed. */
static void
sc_grant_lease(struct licd_sentinel *s, struct sc_grant *g, int64_t sent)
{
	if (s->rep->lease > 0)
		g->lease_s = s->rep->lease;
	if (g->lease_s <= 0)
		g->lease_s = 300;
	s->lease_s = g->lease_s;
	/* Counted from when the request left: the server started the lease
	 * at some time after that. */
	g->due = sent_client_renew_at(sent, g->lease_s);
	g->lapses = sent + (int64_t)g->lease_s * 1000;
}

static int
sc_grant_add(struct licd_sentinel *s, const char *feature, int tokens,
    int64_t sent, uint64_t *handle)
{
	struct sc_grant *g, *p;
	size_t cap;

	if (s->ngrants == SC_GRANTS_MAX) {
		sc_err(s, 0, "", "more than %d grants in one session",
		    SC_GRANTS_MAX);
		return -1;
	}
	if (s->ngrants == s->capgrants) {
		cap = s->capgrants == 0 ? 8 : s->capgrants * 2;
		if ((p = realloc(s->grants, cap * sizeof(*p))) == NULL) {
			sc_err(s, 0, "", "out of memory");
			return -1;
		}
		s->grants = p;
		s->capgrants = cap;
	}
	g = &s->grants[s->ngrants++];
	memset(g, 0, sizeof(*g));
	g->id = g->handle = s->rep->handle;
	client_copy_name(g->feature, sizeof(g->feature), feature);
	client_copy_name(g->version, sizeof(g->version), s->rep->version);
	g->tokens = s->rep->tokens > 0 ? s->rep->tokens : tokens;
	sc_grant_lease(s, g, sent);
	if (handle != NULL)
		*handle = g->id;
	sc_wake(s);
	return 0;
}

/* Takes a lapsed grant again for the application (same feature, tokens
 * and minimum version), keeping the handle it knows.  Returns 0 or -1. */
static int
sc_grant_retake(struct licd_sentinel *s, struct sc_grant *g)
{
	struct sent_request req;
	int64_t sent = sc_mono_ms();

	sc_request_init(s, &req, SENT_V_REQUEST);
	snprintf(req.feature, sizeof(req.feature), "%s", g->feature);
	snprintf(req.version, sizeof(req.version), "%s", g->version);
	req.tokens = g->tokens;
	snprintf(req.display, sizeof(req.display), "%s", s->display);
	snprintf(req.project, sizeof(req.project), "%s", s->project);
	snprintf(req.share, sizeof(req.share), "%s", s->share);
	req.pid = s->pid;
	if (sc_exchange(s, &req, -1) != SC_REPLY ||
	    sc_status(s, g->feature) == -1 || s->rep->hdr.status != SENT_S_OK)
		return -1;
	g->handle = s->rep->handle;
	sc_grant_lease(s, g, sent);
	return 0;
}

/*
 * Renews one grant.  A grant the server no longer knows (its lease ran
 * out while no reply came, or the server restarted without it) is taken
 * again.  A renewal that goes unanswered is tried again shortly, up to
 * the end of the lease.
 */
static int
sc_renew_one(struct licd_sentinel *s, struct sc_grant *g)
{
	struct sent_request req;
	int64_t sent = sc_mono_ms(), deadline;
	enum sc_rc rc;

	sc_request_init(s, &req, SENT_V_RENEW);
	req.handle = g->handle;
	deadline = g->lapses > sent ? g->lapses : sent + s->timeout_ms;
	rc = sc_exchange(s, &req, deadline);
	if (rc == SC_REPLY && s->rep->hdr.status == SENT_S_OK) {
		sc_grant_lease(s, g, sent);
		s->renewals++;
		return 0;
	}
	if (rc == SC_REPLY && sc_gone(s) && sc_grant_retake(s, g) == 0)
		return 0;
	if (rc == SC_REPLY)
		(void)sc_status(s, g->feature);
	g->due = sc_mono_ms() + SC_RETRY_MS;
	return -1;
}

/* Renews the grants that are due (all when all is set). */
static int
sc_renew_due(struct licd_sentinel *s, int all)
{
	int64_t now = sc_mono_ms();
	size_t i;
	int rc = 0;

	for (i = 0; i < s->ngrants; i++)
		if ((all || s->grants[i].due <= now) &&
		    sc_renew_one(s, &s->grants[i]) == -1)
			rc = -1;
	return rc;
}

static void *
sc_thread_main(void *arg)
{
	struct licd_sentinel *s = arg;
	struct pollfd pfd;
	int64_t next, now;
	char drain[64];
	size_t i;
	int wait;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		next = -1;
		for (i = 0; i < s->ngrants; i++)
			if (next == -1 || s->grants[i].due < next)
				next = s->grants[i].due;
		pthread_mutex_unlock(&s->lock);

		now = sc_mono_ms();
		wait = next == -1            ? -1
		    : next - now <= 0        ? 0
		    : next - now > INT32_MAX ? INT32_MAX
					     : (int)(next - now);
		pfd.fd = s->wake[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, wait) > 0 &&
		    read(s->wake[0], drain, sizeof(drain)) <= 0)
			break; /* the write end closed: stop */
		if (atomic_load(&s->stopping))
			break;

		pthread_mutex_lock(&s->lock);
		s->errp = &s->bg;
		(void)sc_renew_due(s, 0);
		s->errp = &s->fg;
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

/* Starts the renewal thread with every signal blocked.  Returns 0 or -1. */
static int
sc_thread_start(struct licd_sentinel *s)
{
	sigset_t all, old;
	int rc;

	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		s->wake[0] = s->wake[1] = -1;
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, sc_thread_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		close(s->wake[0]);
		close(s->wake[1]);
		s->wake[0] = s->wake[1] = -1;
		return -1;
	}
	s->thread_running = 1;
	return 0;
}

struct licd_sentinel *
licd_sentinel_open(const char *servers, const struct licd_identity *id,
    const struct licd_sentinel_opts *opts, char *err, size_t errlen)
{
	struct licd_sentinel *s;
	int n;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->rep = malloc(sizeof(*s->rep))) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = -1;
	s->cur = -1;
	s->wake[0] = s->wake[1] = -1;
	s->errp = &s->fg;
	n = sent_client_servers_parse(
	    servers, s->servers, SENT_CLIENT_SERVERS_MAX, err, errlen);
	if (n < 0)
		goto fail;
	s->nservers = (size_t)n;

	s->timeout_ms = SENT_CLIENT_TIMEOUT_MS;
	s->attempts = SENT_CLIENT_ATTEMPTS;
	if (opts != NULL) {
		if (opts->timeout_ms > 0)
			s->timeout_ms = opts->timeout_ms;
		if (opts->attempts < 0 ||
		    opts->attempts > SENT_CLIENT_ATTEMPTS_MAX) {
			snprintf(err, errlen, "attempts: 1 to %d",
			    SENT_CLIENT_ATTEMPTS_MAX);
			goto fail;
		}
		if (opts->attempts > 0)
			s->attempts = opts->attempts;
		if (opts->site_key != NULL) {
			if (opts->site_key_len == 0 ||
			    opts->site_key_len > sizeof(s->key)) {
				snprintf(err, errlen,
				    "site key: 1 to %zu bytes", sizeof(s->key));
				goto fail;
			}
			memcpy(s->key, opts->site_key, opts->site_key_len);
			s->keylen = opts->site_key_len;
		}
		if (opts->share_id != NULL) {
			if (strlen(opts->share_id) >= sizeof(s->share)) {
				snprintf(err, errlen,
				    "sharing id: at most %zu bytes",
				    sizeof(s->share) - 1);
				goto fail;
			}
			client_copy_name(
			    s->share, sizeof(s->share), opts->share_id);
			sc_clean(s->share);
		}
	}
	sc_identity(s, id);
	s->client_id = sc_random_id();
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		snprintf(err, errlen, "cannot make a lock");
		goto fail;
	}
	return s;

fail:
	OPENSSL_cleanse(s->key, sizeof(s->key));
	free(s->rep);
	free(s);
	return NULL;
}

/* Sleeps up to ms with the lock let go, so that renewals go on; returns
 * early when the session is closing. */
static void
sc_sleep_unlocked(struct licd_sentinel *s, int ms)
{
	struct timespec ts;

	pthread_mutex_unlock(&s->lock);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (!atomic_load(&s->stopping))
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	pthread_mutex_lock(&s->lock);
}

/* Leaves the queue: RELEASE of the ticket, answer or not. */
static void
sc_leave_queue(struct licd_sentinel *s, uint64_t ticket)
{
	struct sent_request req;

	sc_request_init(s, &req, SENT_V_RELEASE);
	req.handle = ticket;
	(void)sc_exchange(s, &req, -1);
}

/*
 * Polls a queue ticket until it is granted (0, the grant in s->rep),
 * refused (-1) or wait_ms runs out (-1, the ticket given up).  The poll
 * interval stays well inside the ticket's lease.
 */
static int
sc_queue_wait(struct licd_sentinel *s, const char *feature, uint64_t ticket,
    int lease_s, int wait_ms, int64_t *sent)
{
	struct sent_request req;
	int64_t deadline = wait_ms > 0 ? sc_mono_ms() + wait_ms : -1, left;
	int poll_ms = SC_POLL_MAX_MS;

	if (lease_s > 0 && lease_s * 250 < poll_ms)
		poll_ms = lease_s * 250;
	if (poll_ms < 100)
		poll_ms = 100;
	for (;;) {
		left = deadline < 0 ? poll_ms : deadline - sc_mono_ms();
		if (left <= 0 || atomic_load(&s->stopping)) {
			sc_leave_queue(s, ticket);
			sc_err(s, 10, "no-seats",
			    "%s: still queued after %d ms; left the queue",
			    feature, wait_ms);
			return -1;
		}
		sc_sleep_unlocked(s, left < poll_ms ? (int)left : poll_ms);

		sc_request_init(s, &req, SENT_V_RENEW);
		req.handle = ticket;
		*sent = sc_mono_ms();
		if (sc_exchange(s, &req, -1) != SC_REPLY)
			return -1;
		if (sc_status(s, feature) == -1)
			return -1;
		if (s->rep->hdr.status == SENT_S_OK)
			return 0;
	}
}

int
licd_sentinel_request(struct licd_sentinel *s, const char *feature,
    const char *version, int tokens, int flags, int wait_ms, uint64_t *handle)
{
	struct sent_request req;
	int64_t sent;
	int rc = -1;

	pthread_mutex_lock(&s->lock);
	if (feature == NULL || feature[0] == '\0' || tokens < 1) {
		sc_err(s, 1, "bad-request", "a feature and 1 or more tokens");
		goto out;
	}
	if (!s->thread_running && sc_thread_start(s) == -1) {
		sc_err(s, 0, "", "cannot start the renewal thread");
		goto out;
	}
	sc_request_init(s, &req, SENT_V_REQUEST);
	client_copy_name(req.feature, sizeof(req.feature), feature);
	client_copy_name(req.version, sizeof(req.version), version);
	req.tokens = tokens;
	req.queue = (flags & LICD_QUEUE) != 0;
	snprintf(req.display, sizeof(req.display), "%s", s->display);
	snprintf(req.project, sizeof(req.project), "%s", s->project);
	snprintf(req.share, sizeof(req.share), "%s", s->share);
	req.pid = s->pid;
	sent = sc_mono_ms();
	if (sc_exchange(s, &req, -1) != SC_REPLY || sc_status(s, feature) == -1)
		goto out;
	if (s->rep->hdr.status == SENT_S_QUEUED &&
	    sc_queue_wait(s, feature, s->rep->handle, s->rep->lease, wait_ms,
		&sent) == -1)
		goto out;
	rc = sc_grant_add(s, feature, tokens, sent, handle);
	if (rc == -1) /* cannot keep it: give it back */
		(void)sc_release(s, s->rep->handle);
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int
sc_release(struct licd_sentinel *s, uint64_t handle)
{
	struct sent_request req;
	struct sc_grant *g;

	g = sc_grant_find(s, handle);
	sc_request_init(s, &req, SENT_V_RELEASE);
	req.handle = g != NULL ? g->handle : handle;
	if (sc_exchange(s, &req, -1) != SC_REPLY)
		return -1;
	/* A grant of ours that the server no longer knows (its lease ran
	 * out) is not held either. */
	if (sc_gone(s) && g != NULL) {
		sc_grant_forget(s, g);
		return 0;
	}
	if (sc_status(s, "release") == -1)
		return -1;
	if (g != NULL)
		sc_grant_forget(s, g);
	return 0;
}

int
licd_sentinel_release(struct licd_sentinel *s, uint64_t handle)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = sc_release(s, handle);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
licd_sentinel_renew(struct licd_sentinel *s)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = sc_renew_due(s, 1);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
licd_sentinel_lease(const struct licd_sentinel *s)
{
	int n;

	pthread_mutex_lock((pthread_mutex_t *)&s->lock);
	n = s->lease_s;
	pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
	return n;
}

uint64_t
licd_sentinel_renewals(const struct licd_sentinel *s)
{
	uint64_t n;

	pthread_mutex_lock((pthread_mutex_t *)&s->lock);
	n = s->renewals;
	pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
	return n;
}

int
licd_sentinel_commute(struct licd_sentinel *s, const char *feature,
    const char *version, int tokens, int days, uint64_t *handle,
    int64_t *until_ms)
{
	struct sent_request req;
	int rc = -1;

	pthread_mutex_lock(&s->lock);
	if (feature == NULL || feature[0] == '\0' || tokens < 1 || days < 1 ||
	    days > 3650) {
		sc_err(s, 1, "bad-request",
		    "a feature, 1 or more tokens and 1 to 3650 days");
		goto out;
	}
	sc_request_init(s, &req, SENT_V_COMMUTE);
	client_copy_name(req.feature, sizeof(req.feature), feature);
	client_copy_name(req.version, sizeof(req.version), version);
	req.tokens = tokens;
	req.days = days;
	snprintf(req.display, sizeof(req.display), "%s", s->display);
	snprintf(req.project, sizeof(req.project), "%s", s->project);
	if (sc_exchange(s, &req, -1) != SC_REPLY || sc_status(s, feature) == -1)
		goto out;
	if (handle != NULL)
		*handle = s->rep->handle;
	if (until_ms != NULL)
		*until_ms = s->rep->until;
	rc = 0;
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
licd_sentinel_commute_return(struct licd_sentinel *s, uint64_t handle)
{
	struct sent_request req;
	int rc = -1;

	pthread_mutex_lock(&s->lock);
	sc_request_init(s, &req, SENT_V_CHECKIN);
	req.handle = handle;
	if (sc_exchange(s, &req, -1) == SC_REPLY &&
	    sc_status(s, "check-in") == 0)
		rc = 0;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int
sc_grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap == 0 ? 16 : *cap * 2;
	if ((p = realloc(*arr, c * size)) == NULL)
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

int
sent_client_status_add(
    struct licd_sentinel_status *st, const struct sent_reply *page)
{
	struct licd_sentinel_feature *f;
	struct licd_sentinel_client *c;
	size_t i, capf, capc;

	if (st->nfeatures + page->nfeatures > SENT_CLIENT_RECORDS_MAX ||
	    st->nclients + page->nclients > SENT_CLIENT_RECORDS_MAX)
		return -1;
	/* The arrays grow by doubling from 16: their capacity follows from
	 * their length. */
	for (capf = st->nfeatures == 0 ? 0 : 16; capf < st->nfeatures;)
		capf *= 2;
	for (capc = st->nclients == 0 ? 0 : 16; capc < st->nclients;)
		capc *= 2;
	for (i = 0; i < page->nfeatures; i++) {
		if (sc_grow((void **)&st->features, &capf, st->nfeatures,
			sizeof(*f)) == -1)
			return -1;
		f = &st->features[st->nfeatures++];
		memset(f, 0, sizeof(*f));
		client_copy_name(
		    f->feature, sizeof(f->feature), page->features[i].name);
		client_copy_name(
		    f->version, sizeof(f->version), page->features[i].version);
		f->max_tokens = page->features[i].max_tokens;
		f->max_users = page->features[i].max_users;
		f->in_use = page->features[i].in_use;
		f->reserved_in_use = page->features[i].reserved_in_use;
		f->reserved_avail = page->features[i].reserved_avail;
		f->queued = page->features[i].queued;
		client_copy_name(f->share, sizeof(f->share),
		    sent_share_name(page->features[i].share));
		f->share_limit = page->features[i].share_limit;
		f->lease_s = page->features[i].lease;
		f->hold_s = page->features[i].hold;
		f->commuter_days = page->features[i].commuter_days;
		f->expiry = page->features[i].expiry;
	}
	for (i = 0; i < page->nclients; i++) {
		if (sc_grow((void **)&st->clients, &capc, st->nclients,
			sizeof(*c)) == -1)
			return -1;
		c = &st->clients[st->nclients++];
		memset(c, 0, sizeof(*c));
		c->handle = page->clients[i].handle;
		client_copy_name(
		    c->feature, sizeof(c->feature), page->clients[i].feature);
		client_copy_name(
		    c->version, sizeof(c->version), page->clients[i].version);
		client_copy_name(
		    c->user, sizeof(c->user), page->clients[i].user);
		client_copy_name(
		    c->host, sizeof(c->host), page->clients[i].host);
		client_copy_name(
		    c->display, sizeof(c->display), page->clients[i].display);
		client_copy_name(
		    c->group, sizeof(c->group), page->clients[i].unit);
		c->tokens = page->clients[i].tokens;
		c->since = page->clients[i].since;
		c->commuter_until = page->clients[i].commuter_until;
		c->hold_until = page->clients[i].hold_until;
		client_copy_name(c->frontend, sizeof(c->frontend),
		    page->clients[i].frontend);
	}
	return 0;
}

int
licd_sentinel_query(struct licd_sentinel *s, const char *feature,
    struct licd_sentinel_status *out)
{
	struct sent_request req;
	uint32_t cursor = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	for (;;) {
		sc_request_init(s, &req, SENT_V_QUERY);
		client_copy_name(req.feature, sizeof(req.feature), feature);
		req.cursor = cursor;
		req.clients = 1;
		if (sc_exchange(s, &req, -1) != SC_REPLY ||
		    sc_status(s, "query") == -1)
			goto out;
		if (sent_client_status_add(out, s->rep) == -1) {
			sc_err(s, 0, "", "the view is too large");
			goto out;
		}
		if (s->rep->next == 0)
			break;
		/* Each page must move on, or a broken server would keep us
		 * here. */
		if (s->rep->next <= cursor) {
			sc_err(s, 0, "",
			    "query: the server's pages do not "
			    "advance");
			goto out;
		}
		cursor = s->rep->next;
	}
	snprintf(out->server, sizeof(out->server), "%s@%s",
	    s->servers[s->cur].port, s->servers[s->cur].host);
	rc = 0;
out:
	pthread_mutex_unlock(&s->lock);
	if (rc == -1)
		licd_sentinel_status_free(out);
	return rc;
}

void
licd_sentinel_status_free(struct licd_sentinel_status *st)
{
	if (st == NULL)
		return;
	free(st->features);
	free(st->clients);
	memset(st, 0, sizeof(*st));
}

int
licd_sentinel_load_key(const char *path, unsigned char *key, size_t cap,
    size_t *len, char *err, size_t errlen)
{
	struct stat sb;
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	for (;;) {
		if (n == cap) {
			/* One byte more may be the newline that ends it. */
			unsigned char extra[2];

			r = read(fd, extra, sizeof(extra));
			if (r == 1 && extra[0] == '\n')
				break;
			if (r == 0)
				break;
			snprintf(err, errlen, "%s: longer than %zu bytes", path,
			    cap);
			OPENSSL_cleanse(key, cap);
			close(fd);
			return -1;
		}
		r = read(fd, key + n, cap - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			OPENSSL_cleanse(key, cap);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > 0 && key[n - 1] == '\n')
		n--;
	if (n < 16) {
		snprintf(
		    err, errlen, "%s: a site key has at least 16 bytes", path);
		OPENSSL_cleanse(key, cap);
		return -1;
	}
	*len = n;
	return 0;
}

void
licd_sentinel_close(struct licd_sentinel *s)
{
	struct sent_request req;
	int running;

	if (s == NULL)
		return;
	atomic_store(&s->stopping, 1);
	pthread_mutex_lock(&s->lock);
	running = s->thread_running;
	pthread_mutex_unlock(&s->lock);
	if (running) {
		/* The write end closing wakes the thread's poll. */
		close(s->wake[1]);
		s->wake[1] = -1;
		pthread_join(s->thread, NULL);
		close(s->wake[0]);
	}

	/* BYE releases every grant and queue entry of the session; when it
	 * goes unanswered, the leases lapse on their own. */
	if (s->used && s->cur >= 0) {
		sc_request_init(s, &req, SENT_V_BYE);
		req.hdr.version = SENT_PROTOCOL_VERSION;
		req.hdr.request_id = sc_random_id();
		req.hdr.client_id = s->client_id;
		(void)sc_exchange_one(s, &req, -1);
	}
	sc_close_socket(s);
	OPENSSL_cleanse(s->key, sizeof(s->key));
	free(s->grants);
	free(s->rep);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const char *
licd_sentinel_error(const struct licd_sentinel *s)
{
	return s->fg.text;
}

const char *
licd_sentinel_error_reason(const struct licd_sentinel *s)
{
	return s->fg.reason;
}

int
licd_sentinel_error_code(const struct licd_sentinel *s)
{
	return s->fg.code;
}
