/*
 * The flex front end, server side: one session per TCP connection,
 * requests parsed by the codec, decided by the core, and answered once the
 * journal holds what the answer reports (protocols/flex/PROTOCOL.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "../../daemon/core/eligibility.h"
#include "../../daemon/identity/identity.h"
#include "../../daemon/licd.h"
#include "../../daemon/log.h"
#include "../../daemon/session.h"
#include "../protocol.h"
#include "flex_codec.h"

#define FLEX_LISTENERS_MAX 32
#define FLEX_OUTPUT_HIGH (1024 * 1024) /* stop reading past this backlog */
#define FLEX_OUTPUT_LOW (256 * 1024) /* and start again below this */

/* Every connection holds one of these for as long as it lasts: what
 * only a few requests need is allocated apart (struct flex_park). */
struct flex_session {
	struct core_owner owner; /* first: events hand it back */
	struct session sess;

	struct flex_queued *queued; /* requests waiting in the queue */
	struct flex_park *park; /* the request parked, or NULL */
	uint64_t next_reqno;
	long pid;
	TAILQ_ENTRY(flex_session) entry;
	int ngrants; /* grants held, from events */
	int hello;
	int cert_nobody_logged; /* its certificate names nobody: said once */

	char user[64];
	char host[64];
	char display[64];
	char project[64];
};

/* A request waiting for the directory (the session is parked): the
 * request, and once answered the identity it gets.  Made when a request
 * parks and freed once it has run, as few sessions ever wait. */
struct flex_park {
	struct identity_wait idwait;
	struct flex_session *s;
	struct flex_request waiting;
	struct core_identity ident;
	int ready; /* ident holds the answer: the request runs again */
};

/* The session module reads lines of the codec's bound. */
_Static_assert(SESSION_LINE_MAX == FLEX_LINE_MAX, "line bounds differ");

/* A request of this session waiting in a queue: its ticket and the tag
 * that the GRANTED notice must carry. */
struct flex_queued {
	uint64_t reqno; /* the core request tag: unique in the session */
	uint64_t ticket;
	char tag[FLEX_TAG_MAX + 1];
	struct flex_queued *next;
};

static struct {
	struct licd *licd;
	struct evconnlistener *listeners[FLEX_LISTENERS_MAX];
	size_t nlisteners;
	TAILQ_HEAD(, flex_session) sessions;
	size_t nsessions;
	uint64_t next_id;
	int stopping;
} flex;

static struct flex_session *
flex_from_session(struct session *ss)
{
	return (struct flex_session *)(void *)((char *)ss -
	    offsetof(struct flex_session, sess));
}

/* A durable reply leaves once the journal holds what it reports
 * (session_send). */
static void
flex_send_out(struct flex_session *s, struct flex_out *o, int durable)
{
	int len;

	len = flex_out_end(o);
	if (len < 0) {
		/* Every value is bounded well below a line; a reply that
		 * does not fit is a bug, not a client's fault. */
		log_warnx("flex: reply too long for a line: session=%llu",
		    (unsigned long long)s->sess.id);
		return;
	}
	session_send(&s->sess, o->buf, (size_t)len, durable);
}

static void
flex_send_error(struct flex_session *s, const char *tag, int code,
    const char *name, const char *text)
{
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	flex_out_begin(&o, buf, sizeof(buf), tag[0] ? tag : "*", "ERR");
	flex_out_addf(&o, "code", "%d", code);
	flex_out_add(&o, "reason", name);
	flex_out_add(&o, "text", text);
	flex_send_out(s, &o, 0);
}

static void
flex_send_core_error(
    struct flex_session *s, const char *tag, enum core_reason r)
{
	flex_send_error(
	    s, tag, (int)r, core_reason_name(r), core_reason_text(r));
}

static void
flex_dispatch(struct flex_session *, const struct flex_request *, int64_t);

static struct flex_park *
flex_park_from_wait(struct identity_wait *w)
{
	return (struct flex_park *)(void *)((char *)w -
	    offsetof(struct flex_park, idwait));
}

/* Forgets the parked request, if any (its wait disarmed). */
static void
flex_park_free(struct flex_session *s)
{
	struct flex_park *p = s->park;

	if (p == NULL)
		return;
	s->park = NULL;
	identity_cancel(&p->idwait);
	free(p);
}

/* The directory answered (or the wait ran out): the parked request is
 * decided now, then the session reads on. */
static void
flex_identity_done(struct identity_wait *w, const struct core_identity *id)
{
	struct flex_park *p = flex_park_from_wait(w);
	struct flex_session *s = p->s;

	p->ident = *id;
	p->ready = 1;
	flex_dispatch(s, &p->waiting, licd_now());
	flex_park_free(s);
	session_unpark(&s->sess);
}

/*
 * The identity of user at host for a request: in buf when it is known at
 * once, or the directory's answer when the request comes back from being
 * parked.  Returns NULL when the request is parked until the directory
 * answers or wait_ms pass (flex_identity_done then runs it again), or
 * when there was no memory to park it (the error is sent; nothing
 * changed).
 */
static const struct core_identity *
flex_identity(struct flex_session *s, const struct flex_request *req,
    const char *user, const char *host, int wait_ms, int64_t now,
    struct core_identity *buf)
{
	struct flex_park *p = s->park;

	/* A parked session reads no request: the park in place is this
	 * request's, come back with its answer. */
	if (p != NULL) {
		LICD_ASSERT(p->ready);
		return &p->ident;
	}
	if (identity_resolve(user, host, wait_ms, now, buf) == 1)
		return buf;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		log_warnx("flex: out of memory parking a request: "
			  "session=%llu user=%s",
		    (unsigned long long)s->sess.id, user);
		flex_send_error(s, req->tag, FLEX_E_INTERNAL,
		    flex_error_name(FLEX_E_INTERNAL),
		    "the server is out of memory; try again");
		return NULL;
	}
	p->s = s;
	p->idwait.done = flex_identity_done;
	if (identity_wait_start(&p->idwait, user, wait_ms) == -1) {
		/* No timer: the answer counts as pending at once, as a
		 * wait that ran out would. */
		free(p);
		buf->state = CORE_ID_PENDING;
		return buf;
	}
	p->waiting = *req;
	s->park = p;
	session_park(&s->sess);
	return NULL;
}

/* Adds the directory's facts and the product's rule to a checkout or a
 * borrow (c from flex_client()); returns 0 when the request was parked.
 * A unit certificate stands for its unit: nobody is looked up. */
static int
flex_client_identity(struct flex_session *s, const struct flex_request *req,
    struct core_client *c, const struct idc_product **pp, int64_t now,
    struct core_identity *buf)
{
	const struct idc_product *p = identity_product(req->feature);
	const struct core_identity *id;

	*pp = p;
	if (p == NULL)
		return 1;
	c->elig = &p->elig;
	if (c->cert_principal)
		return 1;
	id = flex_identity(s, req, c->user, s->host, p->wait_ms, now, buf);
	if (id == NULL)
		return 0;
	c->identity = id;
	c->unit = req->unit;
	return 1;
}

/* A certificate that must say who the client is and names nobody: the
 * request is refused (sent); returns 1 then. */
static int
flex_cert_refused(struct flex_session *s, const struct flex_request *req,
    const struct core_client *c, const char *verb)
{
	if (session_cert(&s->sess) == NULL || c->user[0] != '\0')
		return 0;
	if (!s->cert_nobody_logged) {
		s->cert_nobody_logged = 1;
		log_info(
		    "flex: %s refused: the client certificate names no user "
		    "(tls.user-field %s): session=%llu subject=%s",
		    verb, flex.licd->conf.tls.user_field,
		    (unsigned long long)s->sess.id, s->sess.peer->subject);
	}
	flex_send_error(s, req->tag, FLEX_E_FORBIDDEN,
	    flex_error_name(FLEX_E_FORBIDDEN),
	    "the client certificate names no user");
	return 1;
}

static void
flex_client(const struct flex_session *s, struct core_client *c)
{
	const struct tls_peer *cert = session_cert(&s->sess);

	memset(c, 0, sizeof(*c));
	/* With client certificates required, the certificate names the
	 * user and the unit, and what HELLO and the request claim does
	 * not count; a unit certificate is its unit. */
	c->user = cert != NULL ? session_cert_user(&s->sess) : s->user;
	if (cert != NULL) {
		c->cert_unit = cert->unit;
		c->cert_principal = cert->principal;
	}
	c->host = s->host;
	c->display = s->display;
	c->address = s->sess.addr;
	c->project = s->project;
	c->pid = s->pid;
	c->frontend = "flex";
	c->session = s->sess.id;
	c->owner = (struct core_owner *)(void *)s;
}

static void
flex_add_grant(struct flex_out *o, const char *feature, const char *version,
    int count, const char *unit)
{
	flex_out_add(o, "feature", feature);
	flex_out_add(o, "version", version);
	flex_out_add_i64(o, "count", count);
	flex_out_add(o, "unit", unit);
}

static void
flex_queued_add(
    struct flex_session *s, uint64_t reqno, uint64_t ticket, const char *tag)
{
	struct flex_queued *q;

	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return; /* the notice will then carry no tag */
	q->reqno = reqno;
	q->ticket = ticket;
	snprintf(q->tag, sizeof(q->tag), "%s", tag);
	q->next = s->queued;
	s->queued = q;
}

/* Forgets the queued request with this core request number (or, when
 * reqno is 0, this ticket); copies its tag and ticket out. */
static void
flex_queued_take(struct flex_session *s, uint64_t reqno, uint64_t ticket,
    struct flex_queued *out)
{
	struct flex_queued **pp, *q;

	memset(out, 0, sizeof(*out));
	for (pp = &s->queued; (q = *pp) != NULL; pp = &q->next) {
		if (reqno != 0 ? q->reqno != reqno : q->ticket != ticket)
			continue;
		*out = *q;
		*pp = q->next;
		free(q);
		return;
	}
}

/* Events about this session that its client must hear of without asking:
 * a queued request granted, a grant taken away. */
static void
flex_notify(struct core_owner *owner, const struct core_event *ev)
{
	struct flex_session *s = (struct flex_session *)(void *)owner;
	const struct core_grant_info *g = ev->grant;
	struct flex_queued q;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	switch (ev->type) {
	case CORE_EV_CHECKOUT:
		s->ngrants++;
		if (!ev->from_queue)
			return;
		flex_out_begin(&o, buf, sizeof(buf), "*", "GRANTED");
		flex_queued_take(s, ev->tag, 0, &q);
		flex_out_add(&o, "tag", q.tag);
		flex_out_addf(
		    &o, "ticket", "%llu", (unsigned long long)q.ticket);
		flex_out_addf(
		    &o, "handle", "%llu", (unsigned long long)g->handle);
		flex_add_grant(&o, g->feature, g->version, g->count, g->unit);
		flex_send_out(s, &o, 1);
		return;
	case CORE_EV_DEQUEUE:
		flex_queued_take(s, 0, g->handle, &q);
		return;
	case CORE_EV_LINGER:
		if (s->ngrants > 0)
			s->ngrants--;
		return;
	case CORE_EV_RESUME:
		s->ngrants++;
		return;
	case CORE_EV_CHECKIN:
		if (s->ngrants > 0)
			s->ngrants--;
		if (ev->release != CORE_REL_TIMEOUT &&
		    ev->release != CORE_REL_ADMIN &&
		    ev->release != CORE_REL_FEATURE_GONE)
			return;
		flex_out_begin(&o, buf, sizeof(buf), "*", "REMOVED");
		flex_out_addf(
		    &o, "handle", "%llu", (unsigned long long)g->handle);
		flex_out_add(&o, "feature", g->feature);
		flex_out_add(&o, "reason", core_release_name(ev->release));
		flex_send_out(s, &o, 1);
		return;
	default:
		return;
	}
}

static void
flex_hello(struct flex_session *s, const struct flex_request *req)
{
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	if (s->hello) {
		flex_send_error(s, req->tag, FLEX_E_ARGUMENT,
		    flex_error_name(FLEX_E_ARGUMENT), "HELLO was already said");
		return;
	}
	s->hello = 1;
	snprintf(s->user, sizeof(s->user), "%s", req->user);
	snprintf(s->host, sizeof(s->host), "%s", req->host);
	snprintf(s->display, sizeof(s->display), "%s", req->display);
	snprintf(s->project, sizeof(s->project), "%s", req->project);
	s->pid = req->pid;

	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_out_addf(&o, "server", "licd/%s", LICD_VERSION);
	flex_out_addf(&o, "proto", "%d", FLEX_PROTOCOL_VERSION);
	flex_out_addf(&o, "session", "%llu", (unsigned long long)s->sess.id);
	flex_out_addf(&o, "heartbeat", "%d", flex.licd->conf.heartbeat);
	flex_send_out(s, &o, 0);
}

static void
flex_checkout(
    struct flex_session *s, const struct flex_request *req, int64_t now)
{
	const struct idc_product *p;
	struct core_checkout_req creq;
	struct core_identity id;
	struct core_client c;
	struct core_result res;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	flex_client(s, &c);
	if (flex_cert_refused(s, req, &c, "CHECKOUT") ||
	    !flex_client_identity(s, req, &c, &p, now, &id))
		return;
	memset(&creq, 0, sizeof(creq));
	creq.feature = req->feature;
	creq.version = req->version;
	creq.count = req->count;
	creq.queue = req->queue;
	creq.linger = req->linger;
	creq.tag = ++s->next_reqno;

	core_checkout(flex.licd->core, &c, &creq, now, &res);
	if (p != NULL && c.identity != NULL)
		identity_note_decision(
		    p, c.user, c.identity, res.status != CORE_DENIED);
	switch (res.status) {
	case CORE_GRANTED:
		flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
		flex_out_add_u64(&o, "handle", res.handle);
		flex_add_grant(
		    &o, req->feature, res.version, res.count, res.unit);
		flex_send_out(s, &o, 1);
		break;
	case CORE_QUEUED:
		flex_out_begin(&o, buf, sizeof(buf), req->tag, "QUEUED");
		flex_out_addf(
		    &o, "ticket", "%llu", (unsigned long long)res.handle);
		flex_out_addf(&o, "position", "%d", res.position);
		flex_send_out(s, &o, 1);
		flex_queued_add(s, creq.tag, res.handle, req->tag);
		break;
	case CORE_DENIED:
		flex_send_core_error(s, req->tag, res.reason);
		break;
	}
}

/* BORROW: a grant that no session holds, answered like a CHECKOUT with
 * the end of the borrow added. */
static void
flex_borrow(struct flex_session *s, const struct flex_request *req, int64_t now)
{
	const struct idc_product *p;
	struct core_checkout_req creq;
	struct core_identity id;
	struct core_client c;
	struct core_result res;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	flex_client(s, &c);
	if (flex_cert_refused(s, req, &c, "BORROW") ||
	    !flex_client_identity(s, req, &c, &p, now, &id))
		return;
	memset(&creq, 0, sizeof(creq));
	creq.feature = req->feature;
	creq.version = req->version;
	creq.count = req->count;
	creq.tag = ++s->next_reqno;

	core_borrow(flex.licd->core, &c, &creq, req->until_ms, now, &res);
	if (res.status != CORE_GRANTED) {
		flex_send_core_error(s, req->tag, res.reason);
		return;
	}
	log_info("borrow: feature=%s user=%s host=%s handle=%llu "
		 "until_ms=%lld",
	    req->feature, c.user, s->host, (unsigned long long)res.handle,
	    (long long)req->until_ms);
	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_out_addf(&o, "handle", "%llu", (unsigned long long)res.handle);
	flex_add_grant(&o, req->feature, res.version, res.count, res.unit);
	flex_out_addf(&o, "until_ms", "%lld", (long long)req->until_ms);
	flex_send_out(s, &o, 1);
}

/* The reply to a request that names a grant or ticket: ERR with the
 * core's reason, or a durable OK that echoes it. */
static void
flex_reply_id(struct flex_session *s, const char *tag, enum core_reason r,
    const char *key, uint64_t id)
{
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	if (r != CORE_OK) {
		flex_send_core_error(s, tag, r);
		return;
	}
	flex_out_begin(&o, buf, sizeof(buf), tag, "OK");
	flex_out_add_u64(&o, key, id);
	flex_send_out(s, &o, 1);
}

/* RETURN: a borrowed grant given back early by its borrower. */
static void
flex_return(struct flex_session *s, const struct flex_request *req, int64_t now)
{
	struct core_client c;

	flex_client(s, &c);
	flex_reply_id(s, req->tag,
	    core_borrow_return(flex.licd->core, &c, req->handle, now), "handle",
	    req->handle);
}

static void
flex_checkin(
    struct flex_session *s, const struct flex_request *req, int64_t now)
{
	flex_reply_id(s, req->tag,
	    core_checkin(flex.licd->core, s->sess.id, req->handle, now),
	    "handle", req->handle);
}

static void
flex_resume(struct flex_session *s, const struct flex_request *req, int64_t now)
{
	struct core_grant_info g;
	struct core_client c;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];
	enum core_reason r;

	flex_client(s, &c);
	r = core_resume(flex.licd->core, &c, req->handle, now, &g);
	if (r != CORE_OK) {
		flex_send_core_error(s, req->tag, r);
		return;
	}
	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_out_addf(&o, "handle", "%llu", (unsigned long long)g.handle);
	flex_add_grant(&o, g.feature, g.version, g.count, g.unit);
	flex_send_out(s, &o, 1);
}

static void
flex_dequeue(
    struct flex_session *s, const struct flex_request *req, int64_t now)
{
	flex_reply_id(s, req->tag,
	    core_dequeue(flex.licd->core, s->sess.id, req->handle, now),
	    "ticket", req->handle);
}

/* STATUS: the data lines of one feature, built by the core's iterators. */
struct flex_status {
	struct flex_session *s;
	const char *tag;
	size_t nfeatures;
	size_t ngrants;
};

static void
flex_status_reservation(void *arg, const struct core_reservation_info *r)
{
	static const char *const who[] = {
	    [CORE_WHO_NONE] = "NONE",
	    [CORE_WHO_USER] = "USER",
	    [CORE_WHO_HOST] = "HOST",
	    [CORE_WHO_DISPLAY] = "DISPLAY",
	    [CORE_WHO_GROUP] = "GROUP",
	    [CORE_WHO_HOST_GROUP] = "HOST_GROUP",
	    [CORE_WHO_INTERNET] = "INTERNET",
	    [CORE_WHO_PROJECT] = "PROJECT",
	};
	struct flex_status *st = arg;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	flex_out_begin(&o, buf, sizeof(buf), st->tag, "RESERVATION");
	flex_out_add(&o, "feature", r->feature);
	flex_out_add(&o, "who",
	    (size_t)r->who < sizeof(who) / sizeof(who[0]) ? who[r->who] : "");
	flex_out_add(&o, "name", r->name);
	flex_out_addf(&o, "count", "%d", r->count);
	flex_out_addf(&o, "used", "%d", r->used);
	flex_send_out(st->s, &o, 0);
}

static void
flex_status_grant(void *arg, const struct core_grant_info *g)
{
	struct flex_status *st = arg;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	flex_out_begin(&o, buf, sizeof(buf), st->tag, "GRANT");
	flex_out_add(&o, "feature", g->feature);
	flex_out_add(&o, "version", g->version);
	flex_out_addf(&o, "handle", "%llu", (unsigned long long)g->handle);
	flex_out_add(&o, "user", g->user);
	flex_out_add(&o, "host", g->host);
	flex_out_add(&o, "display", g->display);
	flex_out_addf(&o, "count", "%d", g->count);
	flex_out_add(&o, "unit", g->unit);
	flex_out_addf(&o, "start", "%lld", (long long)(g->start / 1000));
	flex_out_addf(&o, "linger", "%d", g->linger);
	flex_out_addf(&o, "borrowed_until", "%lld",
	    (long long)((g->borrowed_until + 999) / 1000));
	flex_send_out(st->s, &o, 0);
	st->ngrants++;
}

static void
flex_status_feature(void *arg, const struct core_feature_info *f)
{
	struct flex_status *st = arg;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	flex_out_begin(&o, buf, sizeof(buf), st->tag, "FEATURE");
	flex_out_add(&o, "feature", f->feature);
	flex_out_add(&o, "vendor", f->vendor);
	flex_out_add(&o, "version", f->version);
	flex_out_addf(&o, "issued", "%d", f->issued);
	flex_out_addf(&o, "in_use", "%d", f->in_use);
	flex_out_addf(&o, "queued", "%d", f->queued);
	flex_out_addf(&o, "uncounted", "%d", f->uncounted);
	flex_out_addf(&o, "expiry", "%lld", (long long)(f->expiry / 1000));
	flex_send_out(st->s, &o, 0);
	st->nfeatures++;

	core_foreach_reservation(
	    flex.licd->core, f->feature, flex_status_reservation, st);
	core_foreach_grant(flex.licd->core, f->feature, flex_status_grant, st);
}

/* The licence files, ':' between them as lmstat shows them; cut to what
 * one value may hold. */
static const char *
flex_status_files(const struct licd *licd, char *buf, size_t len)
{
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < licd->conf.nlicense_files; i++) {
		n = snprintf(buf + used, len - used, "%s%s", i ? ":" : "",
		    licd->conf.license_files[i]);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
	return buf;
}

static void
flex_status(struct flex_session *s, const struct flex_request *req)
{
	struct licd *licd = flex.licd;
	struct flex_status st = {s, req->tag, 0, 0};
	struct flex_out o;
	char buf[FLEX_LINE_MAX], files[FLEX_VALUE_MAX + 1];
	int port = 0;

	if (licd->conf.nlisteners > 0)
		port = licd->conf.listeners[0].port;

	flex_out_begin(&o, buf, sizeof(buf), req->tag, "SERVER");
	flex_out_add(&o, "name", "licd");
	flex_out_add(&o, "version", LICD_VERSION);
	flex_out_add(&o, "host", licd->hostname);
	flex_out_addf(&o, "port", "%d", port);
	flex_out_addf(
	    &o, "started", "%lld", (long long)(licd->started_ms / 1000));
	flex_out_add(&o, "vendor", "licd");
	flex_out_add(
	    &o, "files", flex_status_files(licd, files, sizeof(files)));
	flex_send_out(s, &o, 0);

	core_foreach_feature(licd->core, req->feature[0] ? req->feature : NULL,
	    flex_status_feature, &st);

	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_out_addf(&o, "features", "%zu", st.nfeatures);
	flex_out_addf(&o, "grants", "%zu", st.ngrants);
	flex_send_out(s, &o, 0);
}

/* Removes one grant for an administrator, saying who in the journal. */
static int
flex_remove_one(struct flex_session *s, uint64_t handle, int64_t now)
{
	char detail[400], who[300];

	session_actor(&s->sess, who, sizeof(who));
	snprintf(detail, sizeof(detail), "remove handle=%llu by %s",
	    (unsigned long long)handle, who);
	if (core_remove(flex.licd->core, handle, now) != CORE_OK)
		return 0;
	licd_journal_note(flex.licd, "admin", detail);
	log_info(
	    "admin: removed handle=%llu %s", (unsigned long long)handle, who);
	return 1;
}

/* REMOVE by holder: every grant of the feature held by user at host (and
 * display, when given), as lmremove feature user host display does. */
struct flex_remove {
	const struct flex_request *req;
	uint64_t handles[256];
	size_t n;
};

static void
flex_remove_match(void *arg, const struct core_grant_info *g)
{
	struct flex_remove *r = arg;

	if (r->n == sizeof(r->handles) / sizeof(r->handles[0]))
		return; /* XXX: at most 256 grants per REMOVE */
	if (strcmp(g->user, r->req->user) != 0 ||
	    strcmp(g->host, r->req->host) != 0 ||
	    (r->req->display[0] != '\0' &&
		strcmp(g->display, r->req->display) != 0))
		return;
	r->handles[r->n++] = g->handle;
}

static void
flex_remove(struct flex_session *s, const struct flex_request *req, int64_t now)
{
	struct flex_remove r;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];
	size_t i;
	int removed = 0;

	if (req->handle != 0) {
		removed = flex_remove_one(s, req->handle, now);
	} else {
		memset(&r, 0, sizeof(r));
		r.req = req;
		core_foreach_grant(
		    flex.licd->core, req->feature, flex_remove_match, &r);
		for (i = 0; i < r.n; i++)
			removed += flex_remove_one(s, r.handles[i], now);
	}
	if (removed == 0) {
		flex_send_core_error(s, req->tag, CORE_E_NO_GRANT);
		return;
	}
	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_out_addf(&o, "removed", "%d", removed);
	flex_send_out(s, &o, 1);
}

/* Journals an administrative act with who did it, and logs it. */
static void
flex_admin_note(struct flex_session *s, const char *verb)
{
	char detail[400], who[300];

	session_actor(&s->sess, who, sizeof(who));
	snprintf(detail, sizeof(detail), "%s by %s", verb, who);
	licd_journal_note(flex.licd, "admin", detail);
	log_info("admin: %s by %s", verb, who);
}

static void
flex_reread(struct flex_session *s, const struct flex_request *req)
{
	struct flex_out o;
	char buf[FLEX_LINE_MAX], why[512];

	flex_admin_note(s, "reread");
	if (licd_reload(flex.licd, why, sizeof(why)) == -1) {
		flex_send_error(s, req->tag, FLEX_E_CONFIG,
		    flex_error_name(FLEX_E_CONFIG), why);
		return;
	}
	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_send_out(s, &o, 1);
}

/* DOWN (lmdown): the reply goes out first, then licd stops as on SIGTERM,
 * telling every session and keeping grants for the restart. */
static void
flex_down(struct flex_session *s, const struct flex_request *req)
{
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	flex_admin_note(s, "down");
	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_send_out(s, &o, 0);
	licd_shutdown(flex.licd);
}

/* NEWLOG (lmnewlog): the journal goes on in a new file; the reply names
 * the archived one. */
static void
flex_newlog(struct flex_session *s, const struct flex_request *req)
{
	struct flex_out o;
	char buf[FLEX_LINE_MAX], why[512];

	flex_admin_note(s, "newlog");
	if (licd_newlog(flex.licd, why, sizeof(why)) == -1) {
		flex_send_error(s, req->tag, FLEX_E_INTERNAL,
		    flex_error_name(FLEX_E_INTERNAL), why);
		return;
	}
	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_out_add(&o, "archive", why);
	flex_send_out(s, &o, 1);
}

/* A comma-separated list of names, cut to what one value holds. */
static void
flex_join(const char *v, size_t n, size_t stride, char *out, size_t len)
{
	const char *name;
	size_t i, used = 0;
	int k;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		name = v + i * stride;
		k = snprintf(
		    out + used, len - used, "%s%s", i ? "," : "", name);
		if (k < 0 || (size_t)k >= len - used) {
			out[used] = '\0';
			return;
		}
		used += (size_t)k;
	}
}

static void
flex_add_identity(struct flex_out *o, const struct core_identity *id)
{
	const struct unit_entry *u;
	char list[FLEX_VALUE_MAX + 1];

	flex_out_add(o, "state", core_id_state_name(id->state));
	flex_join(id->statuses[0], id->nstatuses, sizeof(id->statuses[0]), list,
	    sizeof(list));
	flex_out_add(o, "statuses", list);
	flex_join(
	    id->units[0], id->nunits, sizeof(id->units[0]), list, sizeof(list));
	flex_out_add(o, "units", list);
	flex_out_add(o, "primary", id->primary_unit);
	u = id->primary_unit[0] ? identity_unit(id->primary_unit) : NULL;
	flex_out_add(o, "primary_name", u != NULL ? u->name : "");
	flex_out_add(o, "cost_centre", u != NULL ? u->cost_centre : "");
	flex_out_addf(o, "card_expiry", "%lld",
	    (long long)(id->card_expiry > 0 ? id->card_expiry / 1000 : 0));
}

/* WHOIS: what licd believes about a person and why; a person not cached
 * is looked up first (the request waits as a checkout does). */
static void
flex_whois(struct flex_session *s, const struct flex_request *req, int64_t now)
{
	const struct core_identity *id;
	struct core_identity idbuf;
	struct identity_view v;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	id = flex_identity(
	    s, req, req->user, req->host, identity_default_wait(), now, &idbuf);
	if (id == NULL)
		return;
	identity_view(req->user, req->host, now, &v);
	if (v.facts.state == CORE_ID_PENDING ||
	    v.facts.state == CORE_ID_UNAVAILABLE)
		v.facts = *id;
	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_out_add(&o, "user", req->user);
	flex_add_identity(&o, &v.facts);
	flex_out_add(&o, "source", v.source);
	flex_out_add(&o, "person", v.person);
	flex_out_addf(&o, "fetched", "%lld", (long long)(v.fetched / 1000));
	flex_out_addf(
	    &o, "cached_until", "%lld", (long long)(v.fresh_until / 1000));
	flex_out_addf(
	    &o, "stale_until", "%lld", (long long)(v.stale_until / 1000));
	flex_out_addf(&o, "stale", "%d",
	    v.cached && now >= v.fresh_until && now < v.stale_until);
	flex_out_addf(&o, "busy", "%d", v.busy);
	flex_out_add(&o, "error", v.error);
	flex_send_out(s, &o, 0);
}

/* ELIGIBLE: the decision a checkout of the feature by user would get
 * from the directory, with its reason and the unit charged. */
static void
flex_eligible(
    struct flex_session *s, const struct flex_request *req, int64_t now)
{
	const struct idc_product *p = identity_product(req->feature);
	const struct core_identity *id = NULL;
	struct core_identity idbuf;
	const char *unit = NULL;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];
	enum core_reason r = CORE_OK;

	if (p != NULL) {
		id = flex_identity(
		    s, req, req->user, req->host, p->wait_ms, now, &idbuf);
		if (id == NULL)
			return;
		r = core_eligible(&p->elig, id, req->unit, now, &unit);
	}
	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_out_add(&o, "user", req->user);
	flex_out_add(&o, "feature", req->feature);
	flex_out_add(&o, "decision", r == CORE_OK ? "eligible" : "refused");
	flex_out_addf(&o, "code", "%d", (int)r);
	flex_out_add(&o, "reason", core_reason_name(r));
	flex_out_add(&o, "text",
	    p == NULL ? "The feature has no directory rule"
		      : core_reason_text(r));
	flex_out_add(&o, "unit", unit != NULL ? unit : "");
	if (p != NULL) {
		flex_out_add(
		    &o, "audience", core_audience_name(p->elig.audience));
		flex_out_add(
		    &o, "on_failure", p->elig.fail_open ? "open" : "closed");
		flex_add_identity(&o, id);
	}
	flex_send_out(s, &o, 0);
}

static const char *
flex_admin_verb(enum flex_verb v)
{
	switch (v) {
	case FLEX_V_REMOVE:
		return "REMOVE";
	case FLEX_V_REREAD:
		return "REREAD";
	case FLEX_V_DOWN:
		return "DOWN";
	case FLEX_V_NEWLOG:
		return "NEWLOG";
	default:
		return NULL;
	}
}

static void
flex_handle_line(struct session *ss, const char *line, size_t len)
{
	struct flex_session *s = flex_from_session(ss);
	struct flex_request req;
	char err[128], buf[400];
	int64_t now = licd_now();
	int rc;

	rc = flex_request_parse(line, len, &req, err, sizeof(err));
	if (rc != 0) {
		flex_send_error(s, req.tag, rc, flex_error_name(rc), err);
		return;
	}
	if (!s->hello && req.verb != FLEX_V_HELLO &&
	    req.verb != FLEX_V_STATUS && req.verb != FLEX_V_QUIT) {
		flex_send_error(s, req.tag, FLEX_E_NO_HELLO,
		    flex_error_name(FLEX_E_NO_HELLO), "say HELLO first");
		return;
	}
	if (flex_admin_verb(req.verb) != NULL && !s->sess.admin) {
		log_info("admin: refused %s: session=%llu %s",
		    flex_admin_verb(req.verb), (unsigned long long)s->sess.id,
		    session_actor(&s->sess, buf, sizeof(buf)));
		flex_send_error(s, req.tag, FLEX_E_FORBIDDEN,
		    flex_error_name(FLEX_E_FORBIDDEN),
		    "administrative requests are taken on the admin socket "
		    "from root, licd's user or the admin group, or over TLS "
		    "from a certificate on tls.admins, only");
		return;
	}
	/* What cannot be recorded is not granted. */
	if ((req.verb == FLEX_V_CHECKOUT || req.verb == FLEX_V_BORROW) &&
	    !licd_journal_ok(flex.licd)) {
		flex_send_error(s, req.tag, FLEX_E_INTERNAL,
		    flex_error_name(FLEX_E_INTERNAL),
		    "the journal cannot record changes now (disk full or "
		    "state directory unwritable); try again");
		return;
	}
	/* limits.max-grants-per-client: one connection cannot drain a
	 * pool by itself. */
	if ((req.verb == FLEX_V_CHECKOUT || req.verb == FLEX_V_BORROW) &&
	    s->ngrants >= flex.licd->conf.max_grants_per_client) {
		flex_send_error(s, req.tag, FLEX_E_BUSY,
		    flex_error_name(FLEX_E_BUSY),
		    "this connection holds limits.max-grants-per-client "
		    "grants already");
		return;
	}
	/* WHOIS and ELIGIBLE tell about other people (their person id,
	 * units, card expiry): only whoever may administer licd asks.  A
	 * loopback address is not enough, any local user has one. */
	if ((req.verb == FLEX_V_WHOIS || req.verb == FLEX_V_ELIGIBLE) &&
	    !s->sess.admin) {
		flex_send_error(s, req.tag, FLEX_E_FORBIDDEN,
		    flex_error_name(FLEX_E_FORBIDDEN),
		    "WHOIS and ELIGIBLE tell about people: they are taken on "
		    "the admin socket from root, licd's user or the admin "
		    "group, or over TLS from a certificate on tls.admins, "
		    "only");
		return;
	}
	if (s->hello)
		core_heartbeat(flex.licd->core, s->sess.id, now);
	flex_dispatch(s, &req, now);
}

/* Runs one request; a request parked for the directory comes back here
 * once it is answered. */
static void
flex_dispatch(
    struct flex_session *s, const struct flex_request *rq, int64_t now)
{
	const struct flex_request req = *rq;
	struct flex_out o;
	char buf[128];

	switch (req.verb) {
	case FLEX_V_HELLO:
		flex_hello(s, &req);
		break;
	case FLEX_V_CHECKOUT:
		flex_checkout(s, &req, now);
		break;
	case FLEX_V_CHECKIN:
		flex_checkin(s, &req, now);
		break;
	case FLEX_V_HEARTBEAT:
		flex_out_begin(&o, buf, sizeof(buf), req.tag, "OK");
		flex_out_addf(&o, "grants", "%d", s->ngrants);
		flex_send_out(s, &o, 0);
		break;
	case FLEX_V_RESUME:
		flex_resume(s, &req, now);
		break;
	case FLEX_V_DEQUEUE:
		flex_dequeue(s, &req, now);
		break;
	case FLEX_V_STATUS:
		flex_status(s, &req);
		break;
	case FLEX_V_REMOVE:
		flex_remove(s, &req, now);
		break;
	case FLEX_V_REREAD:
		flex_reread(s, &req);
		break;
	case FLEX_V_DOWN:
		flex_down(s, &req);
		break;
	case FLEX_V_NEWLOG:
		flex_newlog(s, &req);
		break;
	case FLEX_V_BORROW:
		flex_borrow(s, &req, now);
		break;
	case FLEX_V_RETURN:
		flex_return(s, &req, now);
		break;
	case FLEX_V_QUIT:
		flex_out_begin(&o, buf, sizeof(buf), req.tag, "OK");
		flex_send_out(s, &o, 0);
		session_quit(&s->sess);
		break;
	case FLEX_V_WHOIS:
		flex_whois(s, &req, now);
		break;
	case FLEX_V_ELIGIBLE:
		flex_eligible(s, &req, now);
		break;
	}
}

static void
flex_too_long(struct session *ss)
{
	struct flex_session *s = flex_from_session(ss);

	log_info("flex: line too long, closing: session=%llu address=%s "
		 "user=%s",
	    (unsigned long long)ss->id, ss->addr, s->user);
	flex_send_error(s, "*", FLEX_E_TOO_LONG,
	    flex_error_name(FLEX_E_TOO_LONG), "line over 4096 bytes");
}

static void
flex_dropped(struct session *ss, short what)
{
	struct flex_session *s = flex_from_session(ss);

	if (what & BEV_EVENT_TIMEOUT)
		log_info("flex: %s timeout, closing: session=%llu address=%s "
			 "user=%s host=%s grants=%d",
		    (what & BEV_EVENT_READING) ? "idle" : "write",
		    (unsigned long long)ss->id, ss->addr, s->user, s->host,
		    s->ngrants);
}

static void
flex_release(struct session *ss)
{
	struct flex_session *s = flex_from_session(ss);
	struct licd *licd = flex.licd;
	struct flex_queued q;

	/* A dropped client returns its seats (after their linger), except
	 * when the whole server stops: then they wait for the resume. */
	if (!flex.stopping && s->hello)
		core_session_closed(licd->core, ss->id, licd_now());

	flex_park_free(s);
	while (s->queued != NULL)
		flex_queued_take(s, s->queued->reqno, 0, &q);
	TAILQ_REMOVE(&flex.sessions, s, entry);
	flex.nsessions--;
}

static const struct session_ops flex_session_ops = {
    .name = "flex",
    .busy = "* ERR code=25 reason=busy text=too%20many%20connections\n",
    .size = sizeof(struct flex_session),
    .offset = offsetof(struct flex_session, sess),
    .output_high = FLEX_OUTPUT_HIGH,
    .output_low = FLEX_OUTPUT_LOW,
    .line = flex_handle_line,
    .too_long = flex_too_long,
    .dropped = flex_dropped,
    .release = flex_release,
};

/* Makes a session of an accepted connection, within the caps. */
static void
flex_accept(evutil_socket_t fd, const struct sockaddr *sa, int admin_socket)
{
	struct session *ss;
	struct flex_session *s;

	ss = session_accept(flex.licd, &flex_session_ops, fd, sa, admin_socket);
	if (ss == NULL)
		return;
	s = flex_from_session(ss);
	s->owner.notify = flex_notify;
	ss->id = ++flex.next_id;
	TAILQ_INSERT_TAIL(&flex.sessions, s, entry);
	flex.nsessions++;
}

static void
flex_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	flex_accept(fd, sa, 0);
}

/* The admin socket: the same sessions, with the administrative verbs for
 * a peer the kernel vouches for. */
static void
flex_accept_admin_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	flex_accept(fd, sa, 1);
}

static void
flex_accept_error_cb(struct evconnlistener *l, void *arg)
{
	/* EMFILE and the like: say so and keep listening; the listener
	 * retries on the next readiness. */
	log_warn("flex: accept");
}

static int
flex_start(struct licd *licd, const int *fds, size_t nfds)
{
	struct evconnlistener *l;
	size_t i;

	if (flex.licd == NULL) {
		flex.licd = licd;
		TAILQ_INIT(&flex.sessions);
	}
	for (i = 0; i < nfds; i++) {
		if (flex.nlisteners == FLEX_LISTENERS_MAX) {
			log_warnx("flex: more than %d listening sockets",
			    FLEX_LISTENERS_MAX);
			return -1;
		}
		l = evconnlistener_new(licd->base, flex_accept_cb, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fds[i]);
		if (l == NULL) {
			log_warnx("flex: cannot listen on fd %d", fds[i]);
			return -1;
		}
		evconnlistener_set_error_cb(l, flex_accept_error_cb);
		flex.listeners[flex.nlisteners++] = l;
	}
	return 0;
}

static int
flex_start_admin(struct licd *licd, int fd)
{
	struct evconnlistener *l;

	if (flex.licd == NULL) {
		flex.licd = licd;
		TAILQ_INIT(&flex.sessions);
	}
	if (flex.nlisteners == FLEX_LISTENERS_MAX)
		return -1;
	l = evconnlistener_new(licd->base, flex_accept_admin_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l == NULL)
		return -1;
	evconnlistener_set_error_cb(l, flex_accept_error_cb);
	flex.listeners[flex.nlisteners++] = l;
	return 0;
}

static void
flex_stop(struct licd *licd)
{
	struct flex_session *s, *next;
	struct flex_out o;
	char buf[128];
	size_t i;

	if (flex.licd == NULL)
		return;
	flex.stopping = 1;
	for (i = 0; i < flex.nlisteners; i++)
		evconnlistener_free(flex.listeners[i]);
	flex.nlisteners = 0;

	/* Tell every client, after the replies it is owed; the session
	 * closes once they are written. */
	for (s = TAILQ_FIRST(&flex.sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		flex_out_begin(&o, buf, sizeof(buf), "*", "SHUTDOWN");
		flex_out_addf(&o, "grace", "%d", licd->conf.resume_grace);
		flex_send_out(s, &o, 0);
		session_close(&s->sess);
	}
}

static void
flex_cleanup(struct licd *licd)
{
	struct flex_session *s;

	if (flex.licd == NULL)
		return;
	flex.stopping = 1;
	while ((s = TAILQ_FIRST(&flex.sessions)) != NULL)
		session_free(&s->sess);
	flex_stop(licd);
}

static void
flex_status_line(struct licd *licd, char *buf, size_t len)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%sflex: %zu sessions",
	    used ? ", " : "", flex.nsessions);
}

const struct licd_protocol flex_protocol = {
    .name = "flex",
    .default_port = FLEX_DEFAULT_PORT,
    .start = flex_start,
    .start_admin = flex_start_admin,
    .stop = flex_stop,
    .cleanup = flex_cleanup,
    .status = flex_status_line,
};
