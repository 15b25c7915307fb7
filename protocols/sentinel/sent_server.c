/*
 * The sentinel front end, server side: UDP datagrams decoded by the codec,
 * one core session per (client id, source address), replies cached per
 * request id so that a re-sent request never grants twice, and replies
 * that report a state change sent once the journal has committed it
 * (protocols/sentinel/PROTOCOL.md).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../daemon/licd.h"
#include "../../daemon/log.h"
#include "../../daemon/metrics.h"
#include "../protocol.h"
#include "sent_codec.h"

#define SENT_SOCKS_MAX 32
#define SENT_CACHE 16 /* replies kept per client */
#define SENT_BUCKETS 4096 /* client hash chains */
#define SENT_SOURCES 4096 /* rate-limit buckets, direct-mapped */
#define SENT_REPLAY_SLOTS 16384 /* MACs remembered */
#define SENT_REPLAY_PROBE 32
#define SENT_READS_PER_WAKEUP 64
#define SENT_SWEEP_MS 1000
#define SENT_KEY_FILE_MAX 4096
/* Core session ids of this front end: far above the flex connection
 * numbers, so that the two never meet in the core. */
#define SENT_SESSION_BASE ((uint64_t)1 << 48)

struct sent_peer;

/* One reply kept for a request id: sent again when the request comes
 * again, and held until the journal commits when it reports a change.
 * XXX: kept in memory only, so a request re-sent across a restart is
 * executed again; its first grant is returned after the resume grace. */
struct sent_cached {
	struct licd_waiter w;
	struct sent_peer *peer;
	uint64_t request_id; /* 0: free slot */
	int64_t time;
	uint8_t *data; /* the encoded reply, unsigned */
	size_t len;
	size_t req_len; /* the request's length: the bound before auth */
	int authed;
	int pending; /* waiting for the journal */
};

enum ticket_state {
	TICKET_WAITING,
	TICKET_GRANTED,
	TICKET_DROPPED,
};

/* A queued request of a client, until the client hears how it ended. */
struct sent_ticket {
	uint64_t ticket;
	uint64_t tag;
	enum ticket_state state;
	int64_t last_poll;
	uint64_t handle; /* GRANTED */
	int tokens;
	int lease;
	char version[CORE_VERSION_MAX];
	char unit[CORE_NAME_MAX];
	enum core_reason reason; /* DROPPED */
	struct sent_ticket *next;
};

struct sent_peer {
	struct core_owner owner; /* first: events hand it back */
	uint64_t id; /* the core session */
	uint64_t client_id;
	struct sockaddr_storage sa;
	socklen_t salen;
	char addr[CORE_ADDR_MAX];
	int fd; /* the socket its datagrams arrive on */
	int64_t last_seen;

	char user[CORE_NAME_MAX];
	char host[CORE_NAME_MAX];
	char display[CORE_DISPLAY_MAX];
	char project[CORE_NAME_MAX];
	long pid;

	int ngrants;
	uint64_t next_tag;
	struct sent_ticket *tickets;
	struct sent_cached cache[SENT_CACHE];
	size_t cache_next;

	struct sent_peer *hnext;
	TAILQ_ENTRY(sent_peer) entry;
};

struct sent_source {
	char addr[CORE_ADDR_MAX];
	double tokens;
	int64_t last;
};

struct sent_seen {
	uint8_t mac[SENT_MAC_LEN];
	int64_t until; /* 0: free */
};

static struct {
	struct licd *licd;
	struct event *ev[SENT_SOCKS_MAX];
	int fds[SENT_SOCKS_MAX];
	size_t nsocks;
	struct event *sweep_ev;
	int stopping;

	uint8_t key[SENT_KEY_FILE_MAX];
	size_t keylen; /* 0: no site key */
	size_t max_dgram;
	int lease;

	TAILQ_HEAD(, sent_peer) peers;
	size_t npeers;
	struct sent_peer **buckets;
	uint64_t next_id;

	struct sent_source *sources;
	struct sent_seen *seen;

	/* Counters for the status line and the log. */
	uint64_t received;
	uint64_t drop_rate;
	uint64_t drop_auth; /* unsigned, forged or altered */
	uint64_t drop_replay; /* MAC seen before, or stale timestamp */
	uint64_t drop_malformed; /* not even a header */
	uint64_t errors; /* ERROR replies sent */
} sent;

static struct sent_reply rep; /* one reply at a time: the loop's */

/* Reads the site key file: its bytes, a final newline removed. */
static int
sent_load_key(const char *path)
{
	FILE *f;
	size_t n;

	f = fopen(path, "rb");
	if (f == NULL) {
		log_warn("sentinel: site-key-file %s", path);
		return -1;
	}
	n = fread(sent.key, 1, sizeof(sent.key), f);
	if (ferror(f) || !feof(f)) {
		log_warnx("sentinel: site-key-file %s: unreadable or over %d "
			  "bytes",
		    path, SENT_KEY_FILE_MAX - 1);
		fclose(f);
		return -1;
	}
	fclose(f);
	while (n > 0 && (sent.key[n - 1] == '\n' || sent.key[n - 1] == '\r'))
		n--;
	if (n < 16) {
		log_warnx("sentinel: site-key-file %s: under 16 bytes", path);
		return -1;
	}
	sent.keylen = n;
	return 0;
}

static uint64_t
sent_hash(const char *s, uint64_t h)
{
	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static void
sent_addr_text(const struct sockaddr *sa, socklen_t salen, char *out,
    size_t len, int *port)
{
	char serv[16];

	if (getnameinfo(sa, salen, out, len, serv, sizeof(serv),
		NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, len, "?");
		serv[0] = '\0';
	}
	*port = atoi(serv);
}

/* A token bucket per source address: rate per second, burst twice it.
 * XXX: direct-mapped, so two sources that share a slot reset each
 * other's bucket; a flood from many forged addresses is limited by the
 * rest of the checks, not by this. */
static int
sent_rate_ok(const char *addr, int64_t now)
{
	struct sent_source *s;
	double rate = sent.licd->conf.sentinel_rate, burst = 2 * rate;

	s = &sent.sources[sent_hash(addr, 14695981039346656037ULL) %
	    SENT_SOURCES];
	if (strcmp(s->addr, addr) != 0) {
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
		s->tokens = burst;
		s->last = now;
	}
	if (now > s->last) {
		s->tokens += rate * (double)(now - s->last) / 1000.0;
		if (s->tokens > burst)
			s->tokens = burst;
		s->last = now;
	}
	if (s->tokens < 1.0)
		return 0;
	s->tokens -= 1.0;
	return 1;
}

/* Remembers a MAC for the replay window; returns 0 when it was already
 * there (a replay), 1 when new. */
static int
sent_seen_add(const uint8_t mac[SENT_MAC_LEN], int64_t now)
{
	struct sent_seen *oldest = NULL, *free_slot = NULL, *s;
	uint64_t h = 0;
	size_t i;
	int k;

	for (k = 0; k < 8; k++)
		h = (h << 8) | mac[k];
	for (i = 0; i < SENT_REPLAY_PROBE; i++) {
		s = &sent.seen[(h + i) % SENT_REPLAY_SLOTS];
		if (s->until > now) {
			if (memcmp(s->mac, mac, SENT_MAC_LEN) == 0)
				return 0;
			if (oldest == NULL || s->until < oldest->until)
				oldest = s;
		} else if (free_slot == NULL) {
			free_slot = s;
		}
	}
	/* XXX: with every probed slot live the oldest is forgotten early; a
	 * replay of it is then answered from the reply cache, and still
	 * never grants twice. */
	s = free_slot != NULL ? free_slot : oldest;
	memcpy(s->mac, mac, SENT_MAC_LEN);
	s->until = now + 2 * SENT_AUTH_WINDOW_MS;
	return 1;
}

/* Sends a reply, signed when a site key is set.  Unauthenticated
 * requests get nothing larger than themselves: ERROR pad instead. */
static void
sent_send(int fd, const struct sockaddr *sa, socklen_t salen,
    const struct sent_header *req, const uint8_t *data, size_t len,
    size_t req_len, int authed)
{
	static uint8_t out[SENT_DATAGRAM_MAX];
	size_t n = len;
	int rc;

	if (len > sizeof(out))
		return;
	memcpy(out, data, len);
	if (!authed && len > req_len) {
		rc = sent_reply_error(
		    req, SENT_S_ERROR, SENT_E_PAD, out, sizeof(out));
		if (rc < 0)
			return;
		n = (size_t)rc;
		sent.errors++;
	}
	if (sent.keylen > 0 &&
	    sent_sign(
		out, &n, sizeof(out), sent.key, sent.keylen, licd_now()) == -1)
		return;
	if (!authed && n > req_len)
		return; /* never amplify */
	if (sendto(fd, out, n, 0, sa, salen) == -1 && errno != EAGAIN)
		log_debug("sentinel: sendto: %s", strerror(errno));
}

static void
sent_send_error(int fd, const struct sockaddr *sa, socklen_t salen,
    const struct sent_header *req, int status, int reason, size_t req_len,
    int authed)
{
	uint8_t buf[SENT_HEADER_LEN];

	if (sent_reply_error(req, status, reason, buf, sizeof(buf)) < 0)
		return;
	if (status == SENT_S_ERROR)
		sent.errors++;
	sent_send(fd, sa, salen, req, buf, sizeof(buf), req_len, authed);
}

static void
sent_cached_send(struct sent_cached *c, size_t req_len, int authed)
{
	struct sent_peer *p = c->peer;
	struct sent_header h;

	if (sent_header_peek(c->data, c->len, &h) != 0)
		return;
	sent_send(p->fd, (struct sockaddr *)&p->sa, p->salen, &h, c->data,
	    c->len, req_len, authed);
}

/* The journal holds what the reply reports: it may leave now. */
static void
sent_cached_ready(struct licd_waiter *w)
{
	struct sent_cached *c = (struct sent_cached *)(void *)((char *)w -
	    offsetof(struct sent_cached, w));

	c->pending = 0;
	w->armed = 0;
	if (!sent.stopping)
		sent_cached_send(c, c->req_len, c->authed);
}

static void
sent_cached_clear(struct sent_cached *c)
{
	if (c->pending)
		licd_wait_cancel(sent.licd, &c->w);
	free(c->data);
	memset(c, 0, sizeof(*c));
}

static struct sent_cached *
sent_cache_find(struct sent_peer *p, uint64_t request_id)
{
	size_t i;

	for (i = 0; i < SENT_CACHE; i++)
		if (p->cache[i].request_id == request_id)
			return &p->cache[i];
	return NULL;
}

static void
sent_ticket_free_all(struct sent_peer *p)
{
	struct sent_ticket *t;

	while ((t = p->tickets) != NULL) {
		p->tickets = t->next;
		free(t);
	}
}

static struct sent_ticket *
sent_ticket_find(struct sent_peer *p, uint64_t ticket, uint64_t tag,
    uint64_t handle, struct sent_ticket ***where)
{
	struct sent_ticket **pp, *t;

	for (pp = &p->tickets; (t = *pp) != NULL; pp = &t->next)
		if ((ticket != 0 && t->ticket == ticket) ||
		    (tag != 0 && t->tag == tag) ||
		    (handle != 0 && t->state == TICKET_GRANTED &&
			t->handle == handle)) {
			if (where != NULL)
				*where = pp;
			return t;
		}
	return NULL;
}

static void
sent_ticket_remove(struct sent_ticket **pp)
{
	struct sent_ticket *t = *pp;

	*pp = t->next;
	free(t);
}

/* Events about a client's grants and queue entries, kept for its next
 * poll: UDP has no way to tell it unasked. */
static void
sent_notify(struct core_owner *owner, const struct core_event *ev)
{
	struct sent_peer *p = (struct sent_peer *)(void *)owner;
	const struct core_grant_info *g = ev->grant;
	struct sent_ticket *t, **pp;

	switch (ev->type) {
	case CORE_EV_CHECKOUT:
		p->ngrants++;
		if (!ev->from_queue)
			return;
		t = sent_ticket_find(p, 0, ev->tag, 0, NULL);
		if (t == NULL)
			return;
		t->state = TICKET_GRANTED;
		t->handle = g->handle;
		t->tokens = g->count;
		t->lease = g->lease;
		snprintf(t->version, sizeof(t->version), "%s", g->version);
		snprintf(t->unit, sizeof(t->unit), "%s", g->unit);
		return;
	case CORE_EV_RESUME:
		p->ngrants++;
		return;
	case CORE_EV_LINGER:
	case CORE_EV_CHECKIN:
		if (p->ngrants > 0)
			p->ngrants--;
		if (sent_ticket_find(p, 0, 0, g->handle, &pp) != NULL)
			sent_ticket_remove(pp);
		return;
	case CORE_EV_DEQUEUE:
		t = sent_ticket_find(p, g->handle, 0, 0, NULL);
		if (t != NULL && t->state == TICKET_WAITING) {
			t->state = TICKET_DROPPED;
			t->reason = ev->reason == CORE_OK ? CORE_E_NO_GRANT
							  : ev->reason;
		}
		return;
	default:
		return;
	}
}

static int
sent_sa_equal(const struct sockaddr_storage *a, socklen_t alen,
    const struct sockaddr_storage *b, socklen_t blen)
{
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;

	if (alen != blen || a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)(const void *)a;
		b4 = (const struct sockaddr_in *)(const void *)b;
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)(const void *)a;
		b6 = (const struct sockaddr_in6 *)(const void *)b;
		return a6->sin6_port == b6->sin6_port &&
		    a6->sin6_scope_id == b6->sin6_scope_id &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
			sizeof(a6->sin6_addr)) == 0;
	}
	return memcmp(a, b, alen) == 0;
}

static size_t
sent_bucket(uint64_t client_id, const char *addr, int port)
{
	return (size_t)(sent_hash(addr,
			    client_id * 1099511628211ULL ^ (uint64_t)port) %
	    SENT_BUCKETS);
}

/* The client of (client id, source), made when create is set and there
 * is room.  *busy is set when there is none. */
static struct sent_peer *
sent_peer_get(uint64_t client_id, const struct sockaddr_storage *sa,
    socklen_t salen, const char *addr, int port, int fd, int create, int *busy)
{
	struct sent_peer *p;
	size_t b = sent_bucket(client_id, addr, port);

	*busy = 0;
	for (p = sent.buckets[b]; p != NULL; p = p->hnext)
		if (p->client_id == client_id &&
		    sent_sa_equal(&p->sa, p->salen, sa, salen))
			return p;
	if (!create)
		return NULL;
	if (sent.npeers >= (size_t)sent.licd->conf.sentinel_max_clients) {
		*busy = 1;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		*busy = 1;
		return NULL;
	}
	p->owner.notify = sent_notify;
	p->id = SENT_SESSION_BASE + ++sent.next_id;
	p->client_id = client_id;
	memcpy(&p->sa, sa, salen);
	p->salen = salen;
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	p->fd = fd;
	p->hnext = sent.buckets[b];
	sent.buckets[b] = p;
	TAILQ_INSERT_TAIL(&sent.peers, p, entry);
	sent.npeers++;
	return p;
}

static void
sent_peer_free(struct sent_peer *p, int close_session)
{
	struct sent_peer **pp;
	char addr[CORE_ADDR_MAX];
	size_t i;
	int port;

	if (close_session)
		core_session_closed(sent.licd->core, p->id, licd_now());
	for (i = 0; i < SENT_CACHE; i++)
		sent_cached_clear(&p->cache[i]);
	sent_ticket_free_all(p);
	sent_addr_text(
	    (struct sockaddr *)&p->sa, p->salen, addr, sizeof(addr), &port);
	for (pp = &sent.buckets[sent_bucket(p->client_id, addr, port)];
	     *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == p) {
			*pp = p->hnext;
			break;
		}
	TAILQ_REMOVE(&sent.peers, p, entry);
	sent.npeers--;
	free(p);
}

static void
sent_client(const struct sent_peer *p, const struct sent_request *req,
    struct core_client *c)
{
	memset(c, 0, sizeof(*c));
	c->user = p->user;
	c->host = p->host;
	c->display = p->display;
	c->address = p->addr;
	c->project = p->project;
	c->pid = p->pid;
	c->frontend = "sentinel";
	c->session = p->id;
	c->owner = (struct core_owner *)(void *)p;
	c->vendor_string = req != NULL ? req->share : NULL;
}

/* REQUEST and COMMUTE name who asks; the client keeps the latest. */
static void
sent_identity(struct sent_peer *p, const struct sent_request *req)
{
	snprintf(p->user, sizeof(p->user), "%s", req->user);
	snprintf(p->host, sizeof(p->host), "%s", req->host);
	snprintf(p->display, sizeof(p->display), "%s", req->display);
	snprintf(p->project, sizeof(p->project), "%s", req->project);
	p->pid = req->pid;
}

static void
sent_denied(enum core_reason r)
{
	rep.hdr.status = SENT_S_DENIED;
	rep.hdr.reason = (uint16_t)r;
	snprintf(rep.message, sizeof(rep.message), "%s", core_reason_text(r));
}

static void
sent_granted(uint64_t handle, int tokens, const char *version, const char *unit,
    int lease, int hold)
{
	rep.hdr.status = SENT_S_OK;
	rep.handle = handle;
	rep.tokens = tokens;
	snprintf(rep.version, sizeof(rep.version), "%s", version);
	snprintf(rep.unit, sizeof(rep.unit), "%s", unit);
	rep.lease = lease;
	rep.hold = hold;
}

static void
sent_request_verb(
    struct sent_peer *p, const struct sent_request *req, int64_t now)
{
	struct core_checkout_req creq;
	struct core_client c;
	struct core_result res;
	struct sent_ticket *t;

	sent_identity(p, req);
	sent_client(p, req, &c);
	memset(&creq, 0, sizeof(creq));
	creq.feature = req->feature;
	creq.version = req->version;
	creq.count = req->tokens;
	creq.queue = req->queue;
	creq.lease = sent.lease;
	creq.tag = ++p->next_tag;
	core_checkout(sent.licd->core, &c, &creq, now, &res);
	switch (res.status) {
	case CORE_GRANTED:
		sent_granted(res.handle, res.count, res.version, res.unit,
		    res.lease, res.hold);
		break;
	case CORE_QUEUED:
		rep.hdr.status = SENT_S_QUEUED;
		rep.handle = res.handle;
		rep.position = res.position;
		t = calloc(1, sizeof(*t));
		if (t == NULL) {
			/* Without a ticket the grant could not be found:
			 * take the request out again. */
			core_dequeue(sent.licd->core, p->id, res.handle, now);
			sent_denied(CORE_E_QUEUE_FULL);
			break;
		}
		t->ticket = res.handle;
		t->tag = creq.tag;
		t->last_poll = now;
		t->next = p->tickets;
		p->tickets = t;
		break;
	case CORE_DENIED:
		sent_denied(res.reason);
		break;
	}
}

static void
sent_renew(struct sent_peer *p, const struct sent_request *req, int64_t now)
{
	struct core_grant_info g;
	struct core_client c;
	struct sent_ticket *t, **pp;
	enum core_reason r;

	t = sent_ticket_find(p, req->handle, 0, 0, &pp);
	if (t != NULL) {
		t->last_poll = now;
		switch (t->state) {
		case TICKET_WAITING:
			rep.hdr.status = SENT_S_QUEUED;
			rep.handle = t->ticket;
			return;
		case TICKET_DROPPED:
			sent_denied(t->reason);
			sent_ticket_remove(pp);
			return;
		case TICKET_GRANTED:
			r = core_renew(sent.licd->core, p->id, t->handle,
			    sent.lease, now, &g);
			if (r != CORE_OK) {
				sent_denied(r);
				return;
			}
			sent_granted(g.handle, g.count, g.version, g.unit,
			    g.lease, g.linger);
			return;
		}
	}
	r = core_renew(
	    sent.licd->core, p->id, req->handle, sent.lease, now, &g);
	if (r != CORE_OK && req->user[0] != '\0') {
		/* A grant restored after a restart, taken back by the
		 * user and host that held it. */
		sent_identity(p, req);
		sent_client(p, NULL, &c);
		if (core_resume(sent.licd->core, &c, req->handle, now, NULL) ==
		    CORE_OK)
			r = core_renew(sent.licd->core, p->id, req->handle,
			    sent.lease, now, &g);
	}
	if (r != CORE_OK) {
		sent_denied(r);
		return;
	}
	sent_granted(g.handle, g.count, g.version, g.unit, g.lease, g.linger);
}

static void
sent_release(struct sent_peer *p, const struct sent_request *req, int64_t now)
{
	struct sent_ticket *t, **pp;
	enum core_reason r;
	uint64_t handle = req->handle;

	t = sent_ticket_find(p, req->handle, 0, 0, &pp);
	if (t != NULL && t->state == TICKET_WAITING) {
		r = core_dequeue(sent.licd->core, p->id, t->ticket, now);
		if (sent_ticket_find(p, req->handle, 0, 0, &pp) != NULL)
			sent_ticket_remove(pp);
		if (r != CORE_OK)
			sent_denied(r);
		return;
	}
	if (t != NULL && t->state == TICKET_GRANTED)
		handle = t->handle;
	else if (t != NULL) {
		sent_denied(t->reason);
		sent_ticket_remove(pp);
		return;
	}
	r = core_checkin(sent.licd->core, p->id, handle, now);
	if (r != CORE_OK)
		sent_denied(r);
}

static void
sent_commute(struct sent_peer *p, const struct sent_request *req, int64_t now)
{
	struct core_checkout_req creq;
	struct core_client c;
	struct core_result res;
	int64_t until = now + (int64_t)req->days * 86400 * 1000;

	sent_identity(p, req);
	sent_client(p, req, &c);
	memset(&creq, 0, sizeof(creq));
	creq.feature = req->feature;
	creq.version = req->version;
	creq.count = req->tokens;
	creq.tag = ++p->next_tag;
	core_borrow(sent.licd->core, &c, &creq, until, now, &res);
	if (res.status != CORE_GRANTED) {
		sent_denied(res.reason);
		return;
	}
	log_info("sentinel: commuter checkout: feature=%s user=%s host=%s "
		 "unit=%s handle=%llu days=%d",
	    req->feature, p->user, p->host, res.unit,
	    (unsigned long long)res.handle, req->days);
	sent_granted(res.handle, res.count, res.version, res.unit, 0, 0);
	rep.until = until;
}

static void
sent_checkin(struct sent_peer *p, const struct sent_request *req, int64_t now)
{
	struct core_client c;
	enum core_reason r;

	sent_client(p, NULL, &c);
	if (req->user[0] != '\0' || req->host[0] != '\0') {
		c.user = req->user;
		c.host = req->host;
	}
	r = core_borrow_return(sent.licd->core, &c, req->handle, now);
	if (r != CORE_OK) {
		sent_denied(r);
		return;
	}
	log_info("sentinel: commuter check-in: user=%s host=%s handle=%llu",
	    c.user, c.host, (unsigned long long)req->handle);
}

/* QUERY: features and their clients, one page of whole records. */
struct sent_page {
	uint32_t cursor; /* the first record wanted */
	uint32_t idx; /* the record being offered */
	size_t cap;
	int full;
	uint8_t scratch[SENT_DATAGRAM_MAX];
};

static int
sent_page_fits(struct sent_page *pg)
{
	return sent_reply_encode(&rep, pg->scratch, pg->cap) >= 0;
}

static int
sent_share_of(int bits)
{
	if (bits & CORE_SHARE_ID)
		return SENT_SHARE_ID;
	if (bits & CORE_SHARE_DISPLAY)
		return SENT_SHARE_DISPLAY;
	if (bits & CORE_SHARE_HOST)
		return SENT_SHARE_HOST;
	if (bits & CORE_SHARE_USER)
		return SENT_SHARE_USER;
	return SENT_SHARE_NONE;
}

static void
sent_page_grant(void *arg, const struct core_grant_info *g)
{
	struct sent_page *pg = arg;
	struct sent_client *c;

	if (pg->full || pg->idx++ < pg->cursor)
		return;
	if (rep.nclients == SENT_QUERY_CLIENTS_MAX) {
		pg->full = 1;
		rep.next = pg->idx - 1;
		return;
	}
	c = &rep.clients[rep.nclients++];
	memset(c, 0, sizeof(*c));
	c->handle = g->handle;
	snprintf(c->feature, sizeof(c->feature), "%s", g->feature);
	snprintf(c->version, sizeof(c->version), "%s", g->version);
	snprintf(c->user, sizeof(c->user), "%s", g->user);
	snprintf(c->host, sizeof(c->host), "%s", g->host);
	snprintf(c->display, sizeof(c->display), "%s", g->display);
	snprintf(c->unit, sizeof(c->unit), "%s", g->unit);
	c->since = g->start;
	c->commuter_until = g->borrowed_until;
	c->hold_until = g->linger_until;
	c->tokens = g->count;
	snprintf(c->frontend, sizeof(c->frontend), "%s", g->frontend);
	if (!sent_page_fits(pg)) {
		rep.nclients--;
		pg->full = 1;
		rep.next = pg->idx - 1;
	}
}

struct sent_query {
	struct sent_page *pg;
	int clients;
};

static void
sent_page_feature(void *arg, const struct core_feature_info *fi)
{
	struct sent_query *q = arg;
	struct sent_page *pg = q->pg;
	struct sent_feature *f;

	if (pg->full)
		return;
	if (pg->idx++ >= pg->cursor) {
		if (rep.nfeatures == SENT_QUERY_FEATURES_MAX) {
			pg->full = 1;
			rep.next = pg->idx - 1;
			return;
		}
		f = &rep.features[rep.nfeatures++];
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", fi->feature);
		snprintf(f->version, sizeof(f->version), "%s", fi->version);
		f->max_tokens = fi->issued;
		f->max_users = fi->issued;
		f->in_use = fi->in_use;
		f->reserved_in_use = fi->reserved_used;
		f->reserved_avail = fi->reserved_free;
		f->queued = fi->queued;
		f->share = sent_share_of(fi->share);
		f->share_limit = fi->share_limit;
		f->lease = fi->lease > 0 ? fi->lease : sent.lease;
		f->hold = fi->hold;
		f->commuter_days =
		    fi->borrow_hours > 0 ? fi->borrow_hours / 24 : 0;
		f->expiry = fi->expiry;
		if (!sent_page_fits(pg)) {
			rep.nfeatures--;
			pg->full = 1;
			rep.next = pg->idx - 1;
			return;
		}
	}
	if (q->clients)
		core_foreach_grant(
		    sent.licd->core, fi->feature, sent_page_grant, pg);
}

/* Returns 0, or -1 when not one record fits (the client must pad). */
static int
sent_query(const struct sent_request *req, size_t cap)
{
	static struct sent_page pg;
	struct sent_query q = {&pg, req->clients};

	memset(&pg, 0, sizeof(pg));
	pg.cursor = req->cursor;
	pg.cap = cap;
	if (!sent_page_fits(&pg))
		return -1;
	core_foreach_feature(sent.licd->core,
	    req->feature[0] != '\0' ? req->feature : NULL, sent_page_feature,
	    &q);
	if (pg.full && rep.nfeatures == 0 && rep.nclients == 0)
		return -1;
	return 0;
}

/* Whether the client's cache has a slot not waiting for the journal. */
static int
sent_cache_room(const struct sent_peer *p)
{
	size_t i;

	for (i = 0; i < SENT_CACHE; i++)
		if (!p->cache[i].pending)
			return 1;
	return 0;
}

/* Keeps the encoded reply in the client's cache, in the oldest slot. */
static struct sent_cached *
sent_cache_put(struct sent_peer *p, uint64_t request_id, const uint8_t *data,
    size_t len, size_t req_len, int authed, int64_t now)
{
	struct sent_cached *c = &p->cache[p->cache_next];
	size_t i;

	/* A slot whose reply still waits for the journal is not reused:
	 * take the next free one, else send nothing more from it. */
	for (i = 0; i < SENT_CACHE && c->pending; i++) {
		p->cache_next = (p->cache_next + 1) % SENT_CACHE;
		c = &p->cache[p->cache_next];
	}
	if (c->pending)
		return NULL;
	sent_cached_clear(c);
	c->data = malloc(len);
	if (c->data == NULL)
		return NULL;
	memcpy(c->data, data, len);
	c->len = len;
	c->peer = p;
	c->request_id = request_id;
	c->time = now;
	c->req_len = req_len;
	c->authed = authed;
	c->w.ready = sent_cached_ready;
	p->cache_next = (p->cache_next + 1) % SENT_CACHE;
	return c;
}

static void
sent_datagram(int fd, const uint8_t *buf, size_t len,
    const struct sockaddr_storage *sa, socklen_t salen)
{
	static struct sent_request req;
	static uint8_t out[SENT_DATAGRAM_MAX];
	const struct sockaddr *sp = (const struct sockaddr *)sa;
	struct sent_header h;
	struct sent_peer *p;
	struct sent_cached *c;
	char addr[CORE_ADDR_MAX], err[128];
	uint8_t mac[SENT_MAC_LEN];
	int64_t now = licd_now(), ts;
	uint64_t seq;
	size_t cap;
	int port, authed = 0, rc, busy;

	sent.received++;
	sent_addr_text(sp, salen, addr, sizeof(addr), &port);
	if (!sent_rate_ok(addr, now)) {
		sent.drop_rate++;
		metrics_drop(METRICS_DROP_RATE);
		return;
	}
	if (sent_header_peek(buf, len, &h) != 0) {
		sent.drop_malformed++;
		metrics_drop(METRICS_DROP_MALFORMED);
		return;
	}
	if (h.flags & SENT_F_REPLY) {
		/* Never answer a reply: two servers would ping-pong. */
		sent.drop_malformed++;
		metrics_drop(METRICS_DROP_MALFORMED);
		return;
	}

	if (sent.keylen > 0) {
		if (len > sent.max_dgram ||
		    sent_verify(buf, len, sent.key, sent.keylen, &ts, mac) !=
			0) {
			sent.drop_auth++;
			metrics_drop(METRICS_DROP_AUTH);
			log_debug("sentinel: dropped: unauthenticated datagram "
				  "address=%s",
			    addr);
			return;
		}
		if (ts < now - SENT_AUTH_WINDOW_MS ||
		    ts > now + SENT_AUTH_WINDOW_MS ||
		    !sent_seen_add(mac, now)) {
			sent.drop_replay++;
			metrics_drop(METRICS_DROP_REPLAY);
			log_debug("sentinel: dropped: replayed datagram "
				  "address=%s",
			    addr);
			return;
		}
		authed = 1;
	}
	if (len > sent.max_dgram) {
		sent_send_error(fd, sp, salen, &h, SENT_S_ERROR, SENT_E_TOO_BIG,
		    len, authed);
		return;
	}
	rc = sent_request_decode(buf, len, &req, err, sizeof(err));
	if (rc != 0) {
		log_debug("sentinel: bad request address=%s: %s", addr, err);
		sent_send_error(
		    fd, sp, salen, &h, SENT_S_ERROR, rc, len, authed);
		return;
	}
	if (sent.stopping) {
		sent_send_error(fd, sp, salen, &h, SENT_S_ERROR,
		    SENT_E_SHUTDOWN, len, authed);
		return;
	}

	p = sent_peer_get(h.client_id, sa, salen, addr, port, fd,
	    h.verb != SENT_V_QUERY, &busy);
	if (p == NULL && busy) {
		sent_send_error(
		    fd, sp, salen, &h, SENT_S_ERROR, SENT_E_BUSY, len, authed);
		return;
	}
	if (p != NULL) {
		p->last_seen = now;
		p->fd = fd;
		c = sent_cache_find(p, h.request_id);
		if (c != NULL) {
			/* The same request again: its reply, never a second
			 * execution.  One still waiting for the journal
			 * goes out when that commits.  The bound is this
			 * copy's size: another copy's says nothing of who
			 * sent this one. */
			if (!c->pending)
				sent_cached_send(c, len, authed);
			return;
		}
		/* With every slot holding a reply for the journal, a new
		 * request could not be remembered: it is not executed
		 * (the client re-sends it). */
		if (h.verb != SENT_V_QUERY && !sent_cache_room(p)) {
			log_debug("sentinel: busy client, request dropped: "
				  "address=%s",
			    addr);
			return;
		}
	}

	memset(&rep, 0, sizeof(rep));
	rep.hdr = h;
	rep.hdr.status = SENT_S_OK;
	rep.hdr.reason = 0;
	rep.server_time = now;
	seq = licd_last_seq(sent.licd);
	cap = authed ? sent.max_dgram
		     : (len < sent.max_dgram ? len : sent.max_dgram);
	if (sent.keylen > 0)
		cap -= cap > SENT_TRAILER_LEN ? SENT_TRAILER_LEN : cap;

	switch (req.hdr.verb) {
	case SENT_V_REQUEST:
		sent_request_verb(p, &req, now);
		break;
	case SENT_V_RENEW:
		sent_renew(p, &req, now);
		break;
	case SENT_V_RELEASE:
		sent_release(p, &req, now);
		break;
	case SENT_V_QUERY:
		if (sent_query(&req, cap) == -1) {
			sent_send_error(fd, sp, salen, &h, SENT_S_ERROR,
			    SENT_E_PAD, len, authed);
			return;
		}
		break;
	case SENT_V_COMMUTE:
		sent_commute(p, &req, now);
		break;
	case SENT_V_CHECKIN:
		sent_checkin(p, &req, now);
		break;
	case SENT_V_BYE:
		core_session_closed(sent.licd->core, p->id, now);
		sent_ticket_free_all(p);
		break;
	}

	rc = sent_reply_encode(&rep, out, sizeof(out));
	if (rc < 0) {
		/* Every field is bounded well below the largest datagram;
		 * this is a bug, not the client's fault. */
		log_warnx("sentinel: reply does not encode: verb=%s",
		    sent_verb_name(h.verb));
		sent_send_error(fd, sp, salen, &h, SENT_S_ERROR,
		    SENT_E_INTERNAL, len, authed);
		return;
	}
	/* A QUERY changes nothing: it is answered afresh each time. */
	if (p == NULL || h.verb == SENT_V_QUERY) {
		sent_send(fd, sp, salen, &h, out, (size_t)rc, len, authed);
		return;
	}
	c = sent_cache_put(p, h.request_id, out, (size_t)rc, len, authed, now);
	if (c == NULL) {
		/* XXX: out of memory: a reply that reports nothing goes out
		 * at once; one that reports a change is not sent, and the
		 * re-sent request runs again (a second grant, possible). */
		if (licd_last_seq(sent.licd) == seq)
			sent_send(
			    fd, sp, salen, &h, out, (size_t)rc, len, authed);
		return;
	}
	if (licd_last_seq(sent.licd) != seq) {
		c->pending = 1;
		licd_wait(sent.licd, &c->w, licd_last_seq(sent.licd));
		return;
	}
	sent_cached_send(c, len, authed);
}

static void
sent_read_cb(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t buf[SENT_DATAGRAM_MAX + 1];
	struct sockaddr_storage sa;
	socklen_t salen;
	ssize_t n;
	int i;

	for (i = 0; i < SENT_READS_PER_WAKEUP; i++) {
		salen = sizeof(sa);
		n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC,
		    (struct sockaddr *)&sa, &salen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("sentinel: recvfrom");
			return;
		}
		if ((size_t)n > sizeof(buf)) {
			/* Cut by the kernel: over any bound there is. */
			sent.received++;
			sent.drop_malformed++;
			metrics_drop(METRICS_DROP_MALFORMED);
			continue;
		}
		sent_datagram(fd, buf, (size_t)n, &sa, salen);
	}
}

/* Drops queue entries not polled for a lease, cached replies past their
 * time, and clients that hold nothing and have gone quiet. */
static void
sent_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sent_peer *p, *next;
	struct sent_ticket *t, *tn;
	int64_t now = licd_now();
	int64_t ttl = (int64_t)sent.lease * 2000, poll = sent.lease * 1000LL;
	size_t i;
	int busy;

	if (ttl < 600000)
		ttl = 600000;
	for (p = TAILQ_FIRST(&sent.peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		for (t = p->tickets; t != NULL; t = tn) {
			tn = t->next;
			if (t->state == TICKET_WAITING &&
			    t->last_poll + poll < now)
				core_dequeue(
				    sent.licd->core, p->id, t->ticket, now);
		}
		busy = p->ngrants > 0;
		for (i = 0; i < SENT_CACHE; i++) {
			if (p->cache[i].pending)
				busy = 1;
			else if (p->cache[i].request_id != 0 &&
			    p->cache[i].time + ttl < now)
				sent_cached_clear(&p->cache[i]);
		}
		for (t = p->tickets; t != NULL && !busy; t = t->next)
			busy = t->state != TICKET_DROPPED ||
			    t->last_poll + ttl >= now;
		if (!busy && p->last_seen + ttl < now)
			sent_peer_free(p, 1);
	}
}

static int
sent_start(struct licd *licd, const int *fds, size_t nfds)
{
	struct timeval tv = {SENT_SWEEP_MS / 1000, 0};
	size_t i;

	sent.licd = licd;
	TAILQ_INIT(&sent.peers);
	sent.max_dgram = (size_t)licd->conf.sentinel_max_datagram;
	sent.lease = licd->conf.sentinel_lease;
	if (licd->conf.sentinel_site_key_file[0] != '\0' &&
	    sent_load_key(licd->conf.sentinel_site_key_file) == -1)
		return -1;
	sent.buckets = calloc(SENT_BUCKETS, sizeof(*sent.buckets));
	sent.sources = calloc(SENT_SOURCES, sizeof(*sent.sources));
	sent.seen = calloc(SENT_REPLAY_SLOTS, sizeof(*sent.seen));
	if (sent.buckets == NULL || sent.sources == NULL || sent.seen == NULL)
		return -1;
	for (i = 0; i < nfds && sent.nsocks < SENT_SOCKS_MAX; i++) {
		sent.ev[sent.nsocks] = event_new(licd->base, fds[i],
		    EV_READ | EV_PERSIST, sent_read_cb, NULL);
		if (sent.ev[sent.nsocks] == NULL ||
		    event_add(sent.ev[sent.nsocks], NULL) == -1)
			return -1;
		sent.fds[sent.nsocks++] = fds[i];
	}
	sent.sweep_ev =
	    event_new(licd->base, -1, EV_PERSIST, sent_sweep_cb, NULL);
	if (sent.sweep_ev == NULL || event_add(sent.sweep_ev, &tv) == -1)
		return -1;
	log_info("sentinel: serving: max-datagram=%zu lease=%d site-key=%s",
	    sent.max_dgram, sent.lease, sent.keylen > 0 ? "yes" : "no");
	return 0;
}

/* Stops reading; clients keep their grants for the restart (they resume
 * them with RENEW user= host=). */
static void
sent_stop(struct licd *licd)
{
	size_t i;

	if (sent.licd == NULL || sent.stopping)
		return;
	sent.stopping = 1;
	for (i = 0; i < sent.nsocks; i++) {
		event_free(sent.ev[i]);
		close(sent.fds[i]);
	}
	sent.nsocks = 0;
	if (sent.sweep_ev != NULL)
		event_free(sent.sweep_ev);
	sent.sweep_ev = NULL;
	log_info("sentinel: stopped: received=%llu dropped rate=%llu "
		 "auth=%llu replay=%llu malformed=%llu",
	    (unsigned long long)sent.received,
	    (unsigned long long)sent.drop_rate,
	    (unsigned long long)sent.drop_auth,
	    (unsigned long long)sent.drop_replay,
	    (unsigned long long)sent.drop_malformed);
}

static void
sent_cleanup(struct licd *licd)
{
	struct sent_peer *p;

	if (sent.licd == NULL)
		return;
	sent_stop(licd);
	while ((p = TAILQ_FIRST(&sent.peers)) != NULL)
		sent_peer_free(p, 0);
	free(sent.buckets);
	free(sent.sources);
	free(sent.seen);
	sent.buckets = NULL;
	sent.sources = NULL;
	sent.seen = NULL;
	sent.licd = NULL;
}

static void
sent_status(struct licd *licd, char *buf, size_t len)
{
	size_t used = strlen(buf);

	if (sent.licd == NULL)
		return;
	snprintf(buf + used, len - used,
	    "%ssentinel: %zu clients, dropped %llu rate %llu auth %llu replay",
	    used ? ", " : "", sent.npeers, (unsigned long long)sent.drop_rate,
	    (unsigned long long)sent.drop_auth,
	    (unsigned long long)sent.drop_replay);
}

const struct licd_protocol sentinel_protocol = {
    .name = "sentinel",
    .default_port = SENT_DEFAULT_PORT,
    .start = sent_start,
    .stop = sent_stop,
    .cleanup = sent_cleanup,
    .status = sent_status,
};
