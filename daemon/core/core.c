/*
 * The run-time half of the core: grants, sessions, the queue, timers and
 * the policy decision of a checkout.  Every state change is reported to the
 * sink before the call that caused it returns, in the order it happened.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "eligibility.h"

#define LIST_APPEND(head, tail, e, prev, next) \
	do { \
		(e)->prev = (tail); \
		(e)->next = NULL; \
		if ((tail) != NULL) \
			(tail)->next = (e); \
		else \
			(head) = (e); \
		(tail) = (e); \
	} while (0)

#define LIST_REMOVE(head, tail, e, prev, next) \
	do { \
		if ((e)->prev != NULL) \
			(e)->prev->next = (e)->next; \
		else \
			(head) = (e)->next; \
		if ((e)->next != NULL) \
			(e)->next->prev = (e)->prev; \
		else \
			(tail) = (e)->prev; \
		(e)->prev = (e)->next = NULL; \
	} while (0)

enum grant_state {
	GRANT_ACTIVE, /* held by a live session */
	GRANT_RESTORED, /* read back at start-up, waiting for its client */
	GRANT_LINGER, /* returned, but the seat stays taken a while */
	GRANT_BORROWED, /* held by no session until borrowed_until */
};

/* Seats of a grant charged to one RESERVE of its feature. */
struct core_charge {
	size_t res;
	int n;
};

struct core_session;

/* "user\037host\037display\037vendor string": the DUP_GROUP key. */
#define DUPKEY_MAX (4 * CORE_NAME_MAX)

struct core_grant {
	struct core_grant_info info;
	enum grant_state state;
	enum core_release release; /* why a lingering seat was returned */
	struct core_owner *owner;
	struct core_session *sess;
	struct core_feature *feat; /* NULL: the feature left the licences */
	struct core_pool *pool;
	struct core_charge *charges;
	size_t ncharges;
	int timeout; /* seconds without heartbeat, 0: never */
	int64_t resume_deadline;
	uint64_t tgen; /* the generation of its live timer */
	/* Seats it takes from its pool: its count, or under DUP_GROUP the
	 * largest count of its set on one member and 0 on the others. */
	int seats;
	char dupkey[DUPKEY_MAX + 16]; /* and the set, under SHARE_LIMIT */
	char vstring[CORE_NAME_MAX];
	uint64_t suite; /* a component: the suite grant it shares, or 0 */
	int is_suite; /* the suite seat of PACKAGE components */
	int suite_refs; /* components sharing it */

	struct core_grant *prev, *next; /* all grants, oldest first */
	struct core_grant *fprev, *fnext; /* its feature's, or orphans */
	struct core_grant *sprev, *snext; /* its session's */
};

struct core_qentry {
	uint64_t ticket;
	uint64_t tag;
	struct core_grant_info who; /* the client and what it asked for */
	char reqver[CORE_VERSION_MAX];
	char vstring[CORE_NAME_MAX];
	int linger;
	int lease;
	struct core_owner *owner;
	struct core_session *sess;
	struct core_feature *feat;
	/* The unit the directory names (eligibility.h), "" for none: it
	 * is charged when the entry is granted. */
	char idunit[CORE_NAME_MAX];

	struct core_qentry *prev, *next; /* its feature's queue */
	struct core_qentry *sprev, *snext; /* its session's */
};

struct core_session {
	uint64_t id;
	struct core_grant *ghead, *gtail;
	struct core_qentry *qhead, *qtail;
	struct core_session *spare; /* the next spare (struct core) */
};

struct core {
	struct core_settings settings;
	core_sink_fn sink;
	void *arg;
	struct core_conf *conf;
	uint64_t next_handle;
	int64_t now; /* the latest time a caller gave, for status views */

	struct core_u64map grants;
	struct core_u64map sessions;
	struct core_u64map tickets;
	struct core_grant *ghead, *gtail;
	struct core_grant *ohead, *otail; /* grants of vanished features */
	size_t ngrants;
	struct core_heap timers;
	size_t nline_timers; /* of the current configuration */

	/* Spare grants and sessions, kept for the next checkout: a
	 * checkout and its checkin allocated and freed one of each, a
	 * tenth of the core's instructions.  Linked through next (grants)
	 * and spare (sessions); at most CORE_SPARES_MAX of each, so a
	 * burst's worth of freed objects goes back to the allocator. */
	struct core_grant *gspare;
	struct core_session *sspare;
	size_t ngspare, nsspare;
	size_t spares_max; /* CORE_SPARES_MAX */
};

/* Under ASan (LICD_SANITIZE) nothing is kept, so that a use of a freed
 * grant or session is still caught. */
#ifdef LICD_SANITIZE
#define CORE_SPARES_MAX 0
#else
#define CORE_SPARES_MAX 64
#endif

/* What the policy says about one request. */
struct eval {
	enum core_reason reason;
	struct core_pool *pool;
	const char *unit;
	int reserved_room; /* the client matches a RESERVE with free seats */
	int64_t borrow_ms; /* a borrow for this long; 0 for a checkout */
	int need; /* seats the grant adds (0: it shares a DUP_GROUP seat) */
	int overdraft; /* the grant goes past the licensed count */
};

static void queue_scan(struct core *, struct core_feature *, int64_t);

/* The certificate's and the directory's say (eligibility.h): with a
 * certificate's unit, that unit, checked against the product's rule when
 * there is one; else, when the client carries an identity and the product
 * a rule, the directory's decision.  CORE_OK with *unit the unit to charge
 * (NULL: the usual unit rules), or the refusal. */
static enum core_reason
identity_check(const struct core_client *cl, int64_t now, const char **unit)
{
	*unit = NULL;
	if (cl->cert_unit != NULL && cl->cert_unit[0] != '\0')
		return core_eligible_cert(cl->elig, cl->identity, cl->cert_unit,
		    cl->cert_principal, now, unit);
	if (cl->cert_principal)
		return CORE_E_NOT_ELIGIBLE; /* a unit principal of no unit */
	if (cl->identity == NULL || cl->elig == NULL)
		return CORE_OK;
	return core_eligible(cl->elig, cl->identity, cl->unit, now, unit);
}

/* snprintf's truncation without its format machinery: a checkout copies
 * some twenty strings, and snprintf("%s") was a third of core_checkout. */
static void
copy_str(char *dst, size_t size, const char *src)
{
	size_t n;

	if (size == 0)
		return;
	n = src != NULL ? strnlen(src, size - 1) : 0;
	memcpy(dst, src != NULL ? src : "", n);
	dst[n] = '\0';
}

static void
set_now(struct core *c, int64_t now)
{
	if (now > c->now)
		c->now = now;
}

static void
ident_of(const struct core_grant_info *gi, struct core_ident *id)
{
	id->user = gi->user;
	id->host = gi->host;
	id->display = gi->display;
	id->address = gi->address;
	id->project = gi->project;
	id->vstring = "";
}

static int
feature_issued(const struct core_feature *f, int64_t now)
{
	size_t i;
	int n = 0;

	for (i = 0; i < f->npools; i++)
		n += core_pool_capacity(&f->pools[i], now);
	return n;
}

/* Seats in use for a feature name, orphans included. */
static int
in_use_of(const struct core *c, const struct core_feature *f, const char *name)
{
	const struct core_grant *g;
	int n = 0;

	if (f != NULL)
		return f->in_use;
	for (g = c->ohead; g != NULL; g = g->fnext)
		if (strcmp(g->info.feature, name) == 0)
			n += g->info.count;
	return n;
}

static void
emit(struct core *c, enum core_event_type type, int64_t now,
    const struct core_grant_info *gi, enum core_reason reason,
    enum core_release release, int from_queue, uint64_t tag, int in_use_after,
    struct core_owner *owner)
{
	struct core_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.time = now;
	ev.grant = gi;
	ev.reason = reason;
	ev.release = release;
	ev.from_queue = from_queue;
	ev.tag = tag;
	ev.in_use_after = in_use_after;
	ev.owner = owner;
	if (c->sink != NULL)
		c->sink(c->arg, &ev);
}

_Static_assert(offsetof(struct core_grant, info) == 0,
    "grant_alloc zeroes what follows info");

/* A grant, from the spares when there is one, zeroed but for its info,
 * which the caller sets whole.  NULL when out of memory. */
static struct core_grant *
grant_alloc(struct core *c)
{
	struct core_grant *g = c->gspare;

	if (g == NULL)
		return calloc(1, sizeof(*g));
	c->gspare = g->next;
	c->ngspare--;
	memset((char *)g + sizeof(g->info), 0, sizeof(*g) - sizeof(g->info));
	return g;
}

/* Frees a grant taken out of every index (its charges already gone), or
 * keeps it as a spare. */
static void
grant_dispose(struct core *c, struct core_grant *g)
{
	if (c->ngspare >= c->spares_max) {
		free(g);
		return;
	}
	g->next = c->gspare;
	c->gspare = g;
	c->ngspare++;
}

static struct core_session *
session_alloc(struct core *c)
{
	struct core_session *s = c->sspare;

	if (s == NULL)
		return calloc(1, sizeof(*s));
	c->sspare = s->spare;
	c->nsspare--;
	memset(s, 0, sizeof(*s));
	return s;
}

static void
session_dispose(struct core *c, struct core_session *s)
{
	if (c->nsspare >= c->spares_max) {
		free(s);
		return;
	}
	s->spare = c->sspare;
	c->sspare = s;
	c->nsspare++;
}

static struct core_session *
session_get(struct core *c, uint64_t id, int create)
{
	struct core_session *s;

	s = core_u64map_get(&c->sessions, id);
	if (s != NULL || !create)
		return s;
	s = session_alloc(c);
	if (s == NULL)
		return NULL;
	s->id = id;
	if (core_u64map_put(&c->sessions, id, s) == -1) {
		session_dispose(c, s);
		return NULL;
	}
	return s;
}

/* Sessions live only while they hold something, so that a front end that
 * never checks out costs nothing here. */
static void
session_maybe_free(struct core *c, struct core_session *s)
{
	if (s == NULL || s->ghead != NULL || s->qhead != NULL)
		return;
	core_u64map_del(&c->sessions, s->id);
	session_dispose(c, s);
}

static void
session_attach(struct core_session *s, struct core_grant *g)
{
	g->sess = s;
	LIST_APPEND(s->ghead, s->gtail, g, sprev, snext);
}

static void
session_detach(struct core_grant *g)
{
	struct core_session *s = g->sess;

	if (s == NULL)
		return;
	LIST_REMOVE(s->ghead, s->gtail, g, sprev, snext);
	g->sess = NULL;
}

static int64_t
grant_deadline(const struct core_grant *g)
{
	int64_t due;

	switch (g->state) {
	case GRANT_ACTIVE:
		if (g->timeout <= 0)
			return g->info.lease_until;
		due = g->info.last_heartbeat + (int64_t)g->timeout * 1000;
		if (g->info.lease_until != 0 && g->info.lease_until < due)
			return g->info.lease_until;
		return due;
	case GRANT_LINGER:
		return g->info.linger_until;
	case GRANT_BORROWED:
		return g->info.borrowed_until;
	default:
		return g->resume_deadline;
	}
}

static void
timers_line(struct core *c, int64_t now)
{
	const struct core_feature *f;
	const struct core_cline *l;
	struct core_timer t;
	size_t i, j, k;

	c->nline_timers = 0;
	for (i = 0; i < c->conf->nfeatures; i++) {
		f = c->conf->features[i];
		for (j = 0; j < f->npools; j++)
			for (k = 0; k < f->pools[j].nlines; k++) {
				l = &f->pools[j].lines[k];
				t.kind = CORE_TIMER_LINE;
				t.id = i;
				t.gen = c->conf->gen;
				if (l->start > now) {
					t.when = l->start;
					if (core_heap_push(&c->timers, &t) == 0)
						c->nline_timers++;
				}
				if (l->expiry > now) {
					t.when = l->expiry;
					if (core_heap_push(&c->timers, &t) == 0)
						c->nline_timers++;
				}
			}
	}
}

static void
timers_rebuild(struct core *c, int64_t now)
{
	struct core_grant *g;
	struct core_timer t;

	c->timers.n = 0;
	for (g = c->ghead; g != NULL; g = g->next) {
		g->tgen++;
		t.when = grant_deadline(g);
		if (t.when == 0)
			continue;
		t.kind = CORE_TIMER_GRANT;
		t.id = g->info.handle;
		t.gen = g->tgen;
		(void)core_heap_push(&c->timers, &t);
	}
	timers_line(c, now);
}

/* Schedules the grant's next deadline; earlier timers of the grant become
 * stale and are dropped when they come up. */
static void
grant_arm(struct core *c, struct core_grant *g, int64_t now)
{
	struct core_timer t;

	g->tgen++;
	t.when = grant_deadline(g);
	if (t.when == 0)
		return;
	t.kind = CORE_TIMER_GRANT;
	t.id = g->info.handle;
	t.gen = g->tgen;

	/* Stale timers pile up when grants come and go faster than their
	 * deadlines pass: start afresh once they dominate. */
	if (c->timers.n > 2 * (c->ngrants + c->nline_timers) + 256) {
		timers_rebuild(c, now);
		return;
	}
	if (core_heap_push(&c->timers, &t) == -1)
		timers_rebuild(c, now);
}

/* Charges a grant to the reservations its holder matches, in options
 * order, up to what each has left; the rest is general seats. */
static void
grant_charge(struct core *c, struct core_grant *g, int64_t now)
{
	struct core_feature *f = g->feat;
	struct core_charge *v;
	struct core_rule *r;
	struct core_ident id;
	int need = g->seats, remaining, eff, take;
	size_t j;

	if (f == NULL || f->res.n == 0)
		return;
	ident_of(&g->info, &id);
	remaining = feature_issued(f, now);
	for (j = 0; j < f->res.n && need > 0; j++) {
		r = &f->res.v[j];
		eff = r->count < remaining ? r->count : remaining;
		remaining -= eff;
		if (eff - r->charged <= 0 || !core_rule_applies(r, g->pool) ||
		    !core_rule_matches(c->conf, r, &id))
			continue;
		take = eff - r->charged < need ? eff - r->charged : need;
		v = realloc(g->charges, (g->ncharges + 1) * sizeof(*v));
		if (v == NULL)
			return;
		g->charges = v;
		g->charges[g->ncharges].res = j;
		g->charges[g->ncharges].n = take;
		g->ncharges++;
		r->charged += take;
		need -= take;
	}
}

static void
grant_uncharge(struct core_grant *g)
{
	size_t i;

	if (g->feat != NULL)
		for (i = 0; i < g->ncharges; i++)
			g->feat->res.v[g->charges[i].res].charged -=
			    g->charges[i].n;
	free(g->charges);
	g->charges = NULL;
	g->ncharges = 0;
}

/* The pool a kept grant belongs to: the same version and splitting
 * attributes (split NULL: any), else the same version, else any pool of
 * the feature that counts, else its first. */
static struct core_pool *
pool_for(struct core_feature *f, const char *version, const char *split)
{
	size_t i;

	if (f == NULL || f->npools == 0)
		return NULL;
	for (i = 0; split != NULL && i < f->npools; i++)
		if (core_version_cmp(f->pools[i].version, version) == 0 &&
		    strcmp(f->pools[i].split, split) == 0)
			return &f->pools[i];
	for (i = 0; i < f->npools; i++)
		if (core_version_cmp(f->pools[i].version, version) == 0)
			return &f->pools[i];
	for (i = 0; i < f->npools; i++)
		if (f->pools[i].ncounted > 0)
			return &f->pools[i];
	return &f->pools[0];
}

/*
 * The DUP_GROUP (SHARE=) key of a new holder in pool p: the fields the
 * pool's DUP_GROUP names, the others left empty (all empty for SITE).
 * Under SHARE_LIMIT=n the holders of one key form sets of at most n: the
 * key ends in the number of the first set with room, so that the n+1st
 * sharer starts a set that takes seats of its own.
 */
static void
dup_key(const struct core_feature *f, const struct core_pool *p,
    const struct core_ident *id, char *out, size_t len)
{
	const struct core_grant *g;
	size_t base;
	int set, n;

	const char *part[4];
	size_t k;
	int i;

	if (len == 0)
		return;
	/* snprintf("%s\037%s\037%s\037%s") by hand: this runs for every
	 * checkout. */
	part[0] = (p->dup & CORE_DUP_USER) ? id->user : "";
	part[1] = (p->dup & CORE_DUP_HOST) ? id->host : "";
	part[2] = (p->dup & CORE_DUP_DISPLAY) ? id->display : "";
	part[3] = (p->dup & CORE_DUP_VENDOR) ? id->vstring : "";
	base = 0;
	for (i = 0; i < 4; i++) {
		if (i > 0 && base < len - 1)
			out[base++] = '\037';
		k = part[i] != NULL ? strnlen(part[i], len - 1 - base) : 0;
		memcpy(out + base, part[i] != NULL ? part[i] : "", k);
		base += k;
	}
	out[base] = '\0';
	if (p->share_limit <= 0)
		return;
	/* XXX: sets are counted by scanning the feature's grants once per
	 * full set, so a sharing limit costs time linear in the grants
	 * times the sets of one key. */
	for (set = 0;; set++) {
		snprintf(out + base, len - base, "\037%d", set);
		n = 0;
		for (g = f->ghead; g != NULL; g = g->fnext)
			if (g->pool == p && strcmp(g->dupkey, out) == 0)
				n++;
		if (n < p->share_limit)
			return;
	}
}

/* The largest count held in pool p under DUP_GROUP key: the seats that a
 * further checkout with the same key shares. */
static int
dup_held(
    const struct core_feature *f, const struct core_pool *p, const char *key)
{
	const struct core_grant *g;
	int n = 0;

	/* XXX: the set is found by scanning the feature's grants, so a
	 * checkout under DUP_GROUP costs time linear in them. */
	for (g = f->ghead; g != NULL; g = g->fnext)
		if (g->pool == p && g->info.count > n &&
		    strcmp(g->dupkey, key) == 0)
			n = g->info.count;
	return n;
}

/* Seats a checkout of count by id would add to pool p. */
static int
pool_need(const struct core_feature *f, const struct core_pool *p,
    const struct core_ident *id, int count)
{
	char key[DUPKEY_MAX + 16];
	int held;

	if (p->dup == 0)
		return count;
	dup_key(f, p, id, key, sizeof(key));
	held = dup_held(f, p, key);
	return count > held ? count - held : 0;
}

static void
grant_seats(struct core_feature *f, struct core_grant *g, int n)
{
	int d = n - g->seats;

	g->seats = n;
	f->in_use += d;
	if (g->pool != NULL)
		g->pool->used += d;
}

/* Puts the seats of a DUP_GROUP set on the member with the largest count
 * (the oldest of those), so the set takes that many seats and the seat
 * comes back only with its last member. */
static void
dup_rebalance(struct core_feature *f, struct core_pool *p, const char *key)
{
	struct core_grant *g, *lead = NULL;

	for (g = f->ghead; g != NULL; g = g->fnext)
		if (g->pool == p && strcmp(g->dupkey, key) == 0 &&
		    (lead == NULL || g->info.count > lead->info.count))
			lead = g;
	for (g = f->ghead; g != NULL; g = g->fnext)
		if (g->pool == p && strcmp(g->dupkey, key) == 0)
			grant_seats(f, g, g == lead ? g->info.count : 0);
}

/* Links a grant into its feature (or the orphans) and counts its seats. */
static void
grant_link_feature(struct core *c, struct core_grant *g)
{
	struct core_feature *f = g->feat;
	struct core_ident id;

	g->seats = 0;
	g->dupkey[0] = '\0';
	if (f == NULL) {
		LIST_APPEND(c->ohead, c->otail, g, fprev, fnext);
		return;
	}
	/* The key first: the set it joins is counted without it. */
	if (g->pool != NULL && g->pool->dup != 0) {
		ident_of(&g->info, &id);
		id.vstring = g->vstring;
		dup_key(f, g->pool, &id, g->dupkey, sizeof(g->dupkey));
	}
	LIST_APPEND(f->ghead, f->gtail, g, fprev, fnext);
	if (g->state == GRANT_LINGER)
		f->nlinger++;
	if (g->pool != NULL && g->pool->dup != 0) {
		dup_rebalance(f, g->pool, g->dupkey);
		return;
	}
	grant_seats(f, g, g->info.count);
}

static void
grant_unlink_feature(struct core *c, struct core_grant *g)
{
	struct core_feature *f = g->feat;

	if (f == NULL) {
		LIST_REMOVE(c->ohead, c->otail, g, fprev, fnext);
		return;
	}
	LIST_REMOVE(f->ghead, f->gtail, g, fprev, fnext);
	grant_seats(f, g, 0);
	if (g->state == GRANT_LINGER)
		f->nlinger--;
	if (g->pool != NULL && g->pool->dup != 0)
		dup_rebalance(f, g->pool, g->dupkey);
}

/* Adds a fully described grant to every index.  Returns 0 or -1. */
static int
grant_insert(struct core *c, struct core_grant *g, int64_t now)
{
	if (core_u64map_put(&c->grants, g->info.handle, g) == -1)
		return -1;
	LIST_APPEND(c->ghead, c->gtail, g, prev, next);
	c->ngrants++;
	grant_link_feature(c, g);
	grant_charge(c, g, now);
	grant_arm(c, g, now);
	return 0;
}

/* Removes a grant and reports it returned; the caller re-examines the
 * feature's queue. */
static void
grant_release(
    struct core *c, struct core_grant *g, enum core_release why, int64_t now)
{
	struct core_owner *owner = g->owner;
	struct core_session *s = g->sess;
	struct core_feature *f = g->feat;
	struct core_grant *sg;
	uint64_t suite = g->suite;

	grant_uncharge(g);
	grant_unlink_feature(c, g);
	session_detach(g);
	LIST_REMOVE(c->ghead, c->gtail, g, prev, next);
	core_u64map_del(&c->grants, g->info.handle);
	c->ngrants--;

	/* Out of every index, so the sink sees the core without it; its
	 * description is reported from where it lies, not from a copy. */
	emit(c, CORE_EV_CHECKIN, now, &g->info, CORE_OK, why, 0, 0,
	    in_use_of(c, f, g->info.feature), owner);
	grant_dispose(c, g);
	session_maybe_free(c, s);

	/* The suite seat goes back with the last component sharing it. */
	if (suite != 0 && (sg = core_u64map_get(&c->grants, suite)) != NULL &&
	    sg->is_suite && --sg->suite_refs <= 0) {
		f = sg->feat;
		grant_release(c, sg, why, now);
		if (f != NULL)
			queue_scan(c, f, now);
	}
}

/* Starts a returned seat's linger: it stays counted, belongs to no session
 * and can be taken back by the same user and host. */
static void
grant_linger(
    struct core *c, struct core_grant *g, enum core_release why, int64_t now)
{
	struct core_session *s = g->sess;
	struct core_owner *owner = g->owner;

	session_detach(g);
	g->state = GRANT_LINGER;
	g->release = why;
	g->owner = NULL;
	g->info.linger_until = now + (int64_t)g->info.linger * 1000;
	if (g->feat != NULL)
		g->feat->nlinger++;
	grant_arm(c, g, now);

	emit(c, CORE_EV_LINGER, now, &g->info, CORE_OK, why, 0, 0,
	    in_use_of(c, g->feat, g->info.feature), owner);
	session_maybe_free(c, s);
}

/* Reattaches a lingering or restored grant to a live session. */
static int
grant_reattach(struct core *c, struct core_grant *g, uint64_t session,
    struct core_owner *owner, int64_t now)
{
	struct core_session *s;

	s = session_get(c, session, 1);
	if (s == NULL)
		return -1;
	if (g->state == GRANT_LINGER && g->feat != NULL)
		g->feat->nlinger--;
	g->state = GRANT_ACTIVE;
	g->owner = owner;
	g->info.session = session;
	g->info.linger_until = 0;
	g->info.last_heartbeat = now;
	g->info.lease_until =
	    g->info.lease > 0 ? now + (int64_t)g->info.lease * 1000 : 0;
	g->resume_deadline = 0;
	session_attach(s, g);
	grant_arm(c, g, now);
	return 0;
}

/* Which of EXCLUDE/INCLUDE lets the client use the pool. */
static enum core_reason
pool_policy(const struct core *c, const struct core_feature *f,
    const struct core_pool *p, const struct core_ident *id)
{
	const struct core_conf *cf = c->conf;
	const struct core_rule *r;
	int listed = 0;
	size_t i;

	for (i = 0; i < f->excl.n; i++) {
		r = &f->excl.v[i];
		if (core_rule_applies(r, p) && core_rule_matches(cf, r, id))
			return CORE_E_EXCLUDED;
	}
	for (i = 0; i < cf->exclall.n; i++)
		if (core_rule_matches(cf, &cf->exclall.v[i], id))
			return CORE_E_EXCLUDED;

	/* USER_BASED (HOST_BASED): only users (hosts) that an INCLUDE of
	 * the feature names, alone or through a group. */
	if (p->user_based >= 0 || p->host_based >= 0) {
		for (i = 0; i < f->incl.n; i++) {
			r = &f->incl.v[i];
			if (!core_rule_applies(r, p))
				continue;
			if (p->user_based >= 0 && r->who != CORE_WHO_USER &&
			    r->who != CORE_WHO_GROUP)
				continue;
			if (p->host_based >= 0 && r->who != CORE_WHO_HOST &&
			    r->who != CORE_WHO_HOST_GROUP)
				continue;
			if (core_rule_matches(cf, r, id))
				break;
		}
		if (i == f->incl.n)
			return CORE_E_NOT_INCLUDED;
	}

	for (i = 0; i < f->incl.n; i++) {
		r = &f->incl.v[i];
		if (!core_rule_applies(r, p))
			continue;
		listed = 1;
		if (core_rule_matches(cf, r, id))
			return CORE_OK;
	}
	for (i = 0; i < cf->inclall.n; i++) {
		listed = 1;
		if (core_rule_matches(cf, &cf->inclall.v[i], id))
			return CORE_OK;
	}
	return listed ? CORE_E_NOT_INCLUDED : CORE_OK;
}

/* What INCLUDE_BORROW, EXCLUDE_BORROW and the borrow periods say about
 * borrowing from pool p for ms milliseconds. */
static enum core_reason
borrow_policy(const struct core *c, const struct core_feature *f,
    const struct core_pool *p, const struct core_ident *id, int64_t ms)
{
	const struct core_conf *cf = c->conf;
	const struct core_rule *r;
	int listed = 0, matched = 0;
	size_t i;

	if (p->borrow_hours < 0)
		return CORE_E_NOT_BORROWABLE;
	for (i = 0; i < f->excl_borrow.n; i++) {
		r = &f->excl_borrow.v[i];
		if (core_rule_applies(r, p) && core_rule_matches(cf, r, id))
			return CORE_E_EXCLUDED;
	}
	for (i = 0; i < f->incl_borrow.n && !matched; i++) {
		r = &f->incl_borrow.v[i];
		if (!core_rule_applies(r, p))
			continue;
		listed = 1;
		matched = core_rule_matches(cf, r, id);
	}
	if (listed && !matched)
		return CORE_E_NOT_INCLUDED;
	if (ms > (int64_t)p->borrow_hours * 3600000 ||
	    (f->max_borrow_hours >= 0 &&
		ms > (int64_t)f->max_borrow_hours * 3600000))
		return CORE_E_BORROW_TOO_LONG;
	return CORE_OK;
}

/* The policy for pool p: EXCLUDE/INCLUDE, then for a borrow the borrow
 * rules. */
static enum core_reason
pool_allows(const struct core *c, const struct core_feature *f,
    const struct core_pool *p, const struct core_ident *id, int64_t borrow_ms)
{
	enum core_reason r;

	r = pool_policy(c, f, p, id);
	if (r == CORE_OK && borrow_ms > 0)
		r = borrow_policy(c, f, p, id, borrow_ms);
	return r;
}

/* Seats of the feature out on borrow. */
static int
borrowed_seats(const struct core_feature *f)
{
	const struct core_grant *g;
	int n = 0;

	/* Borrowing is rare and asked for by hand: a scan is enough. */
	for (g = f->ghead; g != NULL; g = g->fnext)
		if (g->state == GRANT_BORROWED)
			n += g->info.count;
	return n;
}

/* Would count more seats from pool p take the client past a MAX? */
static int
max_blocks(const struct core *c, const struct core_feature *f,
    const struct core_pool *p, const struct core_ident *id, int count)
{
	const struct core_rule *r;
	const struct core_grant *g;
	struct core_ident gid;
	size_t i;
	int held;

	for (i = 0; i < f->max.n; i++) {
		r = &f->max.v[i];
		if (!core_rule_applies(r, p) ||
		    !core_rule_matches(c->conf, r, id))
			continue;
		/* XXX: the seats a MAX counts are found by scanning the
		 * feature's grants, so a checkout under MAX costs time
		 * linear in the feature's grants. */
		held = 0;
		for (g = f->ghead; g != NULL; g = g->fnext) {
			if (!core_rule_applies(r, g->pool))
				continue;
			ident_of(&g->info, &gid);
			if (core_rule_matches(c->conf, r, &gid))
				held += g->seats;
		}
		if (held + count > r->count)
			return 1;
	}
	return 0;
}

static int
pool_serves(const struct core_pool *p, const char *reqver)
{
	if (p->ncounted == 0)
		return 0;
	return reqver == NULL || reqver[0] == '\0' ||
	    core_version_cmp(p->version, reqver) >= 0;
}

static int
pool_in_date(const struct core_pool *p, int64_t now, int *future)
{
	const struct core_cline *l;
	int in = 0;
	size_t i;

	for (i = 0; i < p->nlines; i++) {
		l = &p->lines[i];
		if (l->uncounted)
			continue;
		if (l->expiry != 0 && now >= l->expiry)
			continue;
		if (l->start > now)
			*future = 1;
		else
			in = 1;
	}
	return in;
}

/* The pool's OVERDRAFT seats, at most the feature's MAX_OVERDRAFT. */
static int
pool_overdraft(
    const struct core_feature *f, const struct core_pool *p, int64_t now)
{
	int n = core_pool_overdraft(p, now);

	if (f->max_overdraft >= 0 && n > f->max_overdraft)
		n = f->max_overdraft;
	return n;
}

/* Does the client match a reservation of f that still has free seats? */
static int
reserved_room(const struct core *c, const struct core_feature *f,
    const struct core_ident *id, int64_t now)
{
	const struct core_rule *r;
	int remaining, eff;
	size_t j;

	if (f->res.n == 0)
		return 0;
	remaining = feature_issued(f, now);
	for (j = 0; j < f->res.n; j++) {
		r = &f->res.v[j];
		eff = r->count < remaining ? r->count : remaining;
		remaining -= eff;
		if (eff - r->charged > 0 && core_rule_matches(c->conf, r, id))
			return 1;
	}
	return 0;
}

/*
 * The policy decision for count seats of f at version reqver or later,
 * in the documented order of refusals.  On CORE_OK ev->pool is the first
 * pool, in licence-file order, that can take the whole count.
 */
static void
evaluate(const struct core *c, const struct core_feature *f,
    const struct core_ident *id, const char *reqver, int count, int64_t now,
    int64_t borrow_ms, struct eval *ev)
{
	const struct core_rule *r;
	struct core_pool *p;
	int any_version = 0, any_date = 0, future = 0, any_excl = 0;
	int any_ok = 0, maxcap = 0, issued, remaining, eff, cap;
	int others = 0, others_unused = 0, free_seats, ever, need, fod;
	int seat_blocked = 0;
	enum core_reason pr, bwhy = CORE_OK;
	size_t i;

	memset(ev, 0, sizeof(*ev));
	ev->borrow_ms = borrow_ms;
	if (f->ncounted == 0) {
		ev->reason = CORE_E_UNCOUNTED;
		return;
	}

	for (i = 0; i < f->npools; i++) {
		p = &f->pools[i];
		if (!pool_serves(p, reqver))
			continue;
		any_version = 1;
		if (pool_in_date(p, now, &future))
			any_date = 1;
	}
	if (!any_version) {
		ev->reason = CORE_E_VERSION;
		return;
	}
	if (!any_date) {
		ev->reason = future ? CORE_E_NOT_STARTED : CORE_E_EXPIRED;
		return;
	}

	ev->unit = core_conf_unit(c->conf, &c->settings, id);
	if (ev->unit == NULL) {
		ev->reason = CORE_E_NO_UNIT;
		return;
	}

	for (i = 0; i < f->npools; i++) {
		p = &f->pools[i];
		if (!pool_serves(p, reqver) || !pool_in_date(p, now, &future))
			continue;
		pr = pool_allows(c, f, p, id, borrow_ms);
		if (pr == CORE_E_EXCLUDED)
			any_excl = 1;
		/* Of the borrow refusals the most telling one: a period
		 * too long says more than a line without BORROW. */
		if (pr == CORE_E_NOT_INCLUDED ||
		    (pr == CORE_E_BORROW_TOO_LONG &&
			bwhy != CORE_E_NOT_INCLUDED) ||
		    (pr == CORE_E_NOT_BORROWABLE && bwhy == CORE_OK))
			bwhy = pr;
		if (pr != CORE_OK)
			continue;
		any_ok = 1;
		cap = core_pool_capacity(p, now) + pool_overdraft(f, p, now);
		if (cap > maxcap)
			maxcap = cap;
	}
	if (!any_ok) {
		ev->reason = any_excl ? CORE_E_EXCLUDED
		    : bwhy != CORE_OK ? bwhy
				      : CORE_E_NOT_INCLUDED;
		return;
	}

	/* Reservations are honoured in options order up to the seats in
	 * date; the unused seats of those the client does not match are
	 * closed to it.
	 * XXX: a selector on a RESERVE limits which grants it takes, but
	 * its seats are held from the whole feature. */
	issued = feature_issued(f, now);
	fod = core_feature_overdraft(f, now);
	remaining = issued;
	for (i = 0; i < f->res.n; i++) {
		r = &f->res.v[i];
		eff = r->count < remaining ? r->count : remaining;
		remaining -= eff;
		if (core_rule_matches(c->conf, r, id)) {
			if (eff - r->charged > 0)
				ev->reserved_room = 1;
			continue;
		}
		others += eff;
		if (eff - r->charged > 0)
			others_unused += eff - r->charged;
	}
	ever = issued + fod - others;
	if (ever > maxcap)
		ever = maxcap;
	if (count > ever) {
		ev->reason = CORE_E_TOO_MANY;
		return;
	}
	if (borrow_ms > 0 && f->borrow_lowwater > 0 &&
	    borrowed_seats(f) + count > issued - f->borrow_lowwater) {
		ev->reason = CORE_E_BORROW_LOWWATER;
		return;
	}

	/* Overdraft seats are free to anyone the pool serves, past the
	 * licensed count and past the reservations. */
	free_seats = issued + fod - f->in_use - others_unused;
	for (i = 0; i < f->npools; i++) {
		p = &f->pools[i];
		if (!pool_serves(p, reqver) || !pool_in_date(p, now, &future) ||
		    pool_allows(c, f, p, id, borrow_ms) != CORE_OK)
			continue;
		need = pool_need(f, p, id, count);
		if (max_blocks(c, f, p, id, need))
			continue;
		cap = core_pool_capacity(p, now);
		if (need == 0 ||
		    (cap + pool_overdraft(f, p, now) - p->used >= need &&
			free_seats >= need)) {
			ev->pool = p;
			ev->need = need;
			ev->overdraft = need > 0 &&
			    (p->used + need > cap ||
				f->in_use + need > issued - others_unused);
			ev->reason = CORE_OK;
			return;
		}
		seat_blocked = 1;
	}
	ev->reason = seat_blocked ? CORE_E_NO_SEATS : CORE_E_MAX;
}

/* The suite seat that a component checkout by id shares: one held by
 * the same user on the same host. */
static struct core_grant *
suite_find(const struct core *c, const struct core_feature *s,
    const struct core_ident *id)
{
	struct core_grant *g;

	for (g = s->ghead; g != NULL; g = g->fnext)
		if (g->is_suite &&
		    core_name_eq(c->conf, g->info.user, id->user) &&
		    core_name_eq(c->conf, g->info.host, id->host))
			return g;
	return NULL;
}

/* The policy decision for a feature that may be a SUITE component: the
 * component's own, then, when the client holds no suite seat yet, one
 * seat of the suite. */
static void
evaluate_all(const struct core *c, const struct core_feature *f,
    const struct core_ident *id, const char *reqver, int count, int64_t now,
    int64_t borrow_ms, struct eval *ev)
{
	struct eval sev;

	evaluate(c, f, id, reqver, count, now, borrow_ms, ev);
	if (ev->reason != CORE_OK || f->suite == NULL ||
	    suite_find(c, f->suite, id) != NULL)
		return;
	evaluate(c, f->suite, id, NULL, 1, now, 0, &sev);
	if (sev.reason == CORE_OK)
		return;
	/* A suite too small for one seat is as good as a full one. */
	ev->reason =
	    sev.reason == CORE_E_TOO_MANY ? CORE_E_NO_SEATS : sev.reason;
	ev->pool = NULL;
}

/*
 * evaluate_all() for a client the directory names a unit for (idunit,
 * eligibility.h; NULL for none): that unit is charged.  Without a default
 * unit such a client needs no GROUP or HOST_GROUP: the unit stands in for
 * the default while the policy runs.
 * XXX: RESERVE and MAX still see the client's GROUP names, not its
 * directory unit.
 */
static void
evaluate_unit(struct core *c, const struct core_feature *f,
    const struct core_ident *id, const char *reqver, int count, int64_t now,
    int64_t borrow_ms, const char *idunit, struct eval *ev)
{
	char saved[CORE_NAME_MAX];

	if (idunit == NULL || c->settings.default_unit[0] != '\0') {
		evaluate_all(c, f, id, reqver, count, now, borrow_ms, ev);
	} else {
		memcpy(saved, c->settings.default_unit, sizeof(saved));
		copy_str(c->settings.default_unit,
		    sizeof(c->settings.default_unit), idunit);
		evaluate_all(c, f, id, reqver, count, now, borrow_ms, ev);
		memcpy(c->settings.default_unit, saved, sizeof(saved));
	}
	if (idunit != NULL)
		ev->unit = idunit;
}

/*
 * A new request may not pass the queue: it waits behind every entry that
 * is only short of seats (or could be served now), or, when a reservation
 * has room for it, behind such entries that have room too.  Entries held
 * back by MAX or a line not yet started block nobody, as in the scan.
 */
static int
queue_blocks(const struct core *c, const struct core_feature *f,
    const struct eval *ev, int64_t now)
{
	const struct core_qentry *e;
	struct core_ident id;
	struct eval qev;

	/* Sharing a seat already held takes nothing from anyone. */
	if (ev->need == 0)
		return 0;
	for (e = f->qhead; e != NULL; e = e->next) {
		ident_of(&e->who, &id);
		id.vstring = e->vstring;
		if (ev->reserved_room && !reserved_room(c, f, &id, now))
			continue;
		evaluate_all(c, f, &id, e->reqver, e->who.count, now, 0, &qev);
		if (qev.reason == CORE_OK || qev.reason == CORE_E_NO_SEATS)
			return 1;
	}
	return 0;
}

/* Makes a new grant from the pool ev chose.  Returns NULL when out of
 * memory. */
static struct core_grant *
grant_new(struct core *c, struct core_feature *f, const struct eval *ev,
    const struct core_grant_info *who, const char *vstring,
    struct core_owner *owner, int linger, int lease, int64_t now)
{
	struct core_session *s;
	struct core_grant *g;

	s = session_get(c, who->session, 1);
	if (s == NULL)
		return NULL;
	g = grant_alloc(c);
	if (g == NULL) {
		session_maybe_free(c, s);
		return NULL;
	}

	g->info = *who;
	g->info.handle = c->next_handle;
	memcpy(g->info.version, ev->pool->version, sizeof(g->info.version));
	memcpy(g->info.vendor, f->vendor, sizeof(g->info.vendor));
	copy_str(g->info.unit, sizeof(g->info.unit), ev->unit);
	g->info.start = now;
	g->info.last_heartbeat = now;
	g->info.linger_until = 0;
	g->info.linger = linger > f->linger ? linger : f->linger;
	if (ev->pool->hold > g->info.linger)
		g->info.linger = ev->pool->hold;
	g->info.lease = 0;
	g->info.lease_until = 0;
	if (lease > 0) {
		g->info.lease = ev->pool->lease > 0 ? ev->pool->lease : lease;
		g->info.lease_until = now + (int64_t)g->info.lease * 1000;
	}
	g->info.overdraft = ev->overdraft;
	copy_str(g->vstring, sizeof(g->vstring), vstring);
	g->state = GRANT_ACTIVE;
	g->owner = owner;
	g->feat = f;
	g->pool = ev->pool;
	g->timeout = f->timeout;

	if (grant_insert(c, g, now) == -1) {
		grant_dispose(c, g);
		session_maybe_free(c, s);
		return NULL;
	}
	c->next_handle++;
	session_attach(s, g);
	return g;
}

/*
 * Gives a new component grant its suite seat: shares the one the user
 * holds on that host, or takes a new one (reported as a CHECKOUT of the
 * suite with no owner, so that no front end takes it for a reply).  The
 * suite seat belongs to no session and never times out; it goes back
 * with the last component (grant_release).
 */
static void
suite_attach(struct core *c, struct core_grant *g, int64_t now)
{
	struct core_feature *s = g->feat->suite;
	struct core_grant_info who;
	struct core_grant *sg;
	struct core_session *sess;
	struct core_ident id;
	struct eval ev;

	ident_of(&g->info, &id);
	id.vstring = g->vstring;
	sg = suite_find(c, s, &id);
	if (sg == NULL) {
		evaluate(c, s, &id, NULL, 1, now, 0, &ev);
		/* XXX: when the suite has no seat left here (evaluate_all
		 * said it had), the component is served without one. */
		if (ev.reason != CORE_OK)
			return;
		who = g->info;
		copy_str(who.feature, sizeof(who.feature), s->name);
		who.version[0] = '\0';
		who.count = 1;
		sg = grant_new(c, s, &ev, &who, g->vstring, NULL, 0, 0, now);
		if (sg == NULL)
			return;
		sess = sg->sess;
		session_detach(sg);
		session_maybe_free(c, sess);
		sg->is_suite = 1;
		sg->info.linger = 0;
		sg->timeout = 0;
		grant_arm(c, sg, now);
		emit(c, CORE_EV_CHECKOUT, now, &sg->info, CORE_OK,
		    CORE_REL_CLIENT, 0, 0, s->in_use, NULL);
	}
	sg->suite_refs++;
	g->suite = sg->info.handle;
}

static void
entry_remove(struct core *c, struct core_qentry *e)
{
	struct core_session *s = e->sess;

	if (e->feat != NULL) {
		LIST_REMOVE(e->feat->qhead, e->feat->qtail, e, prev, next);
		e->feat->nqueue--;
	}
	if (s != NULL)
		LIST_REMOVE(s->qhead, s->qtail, e, sprev, snext);
	core_u64map_del(&c->tickets, e->ticket);
	free(e);
	session_maybe_free(c, s);
}

/* Takes an entry out of the queue without a grant and says why. */
static void
entry_drop(
    struct core *c, struct core_qentry *e, enum core_reason why, int64_t now)
{
	struct core_grant_info snap = e->who;
	struct core_owner *owner = e->owner;
	struct core_feature *f = e->feat;
	uint64_t tag = e->tag;

	entry_remove(c, e);
	emit(c, CORE_EV_DEQUEUE, now, &snap, why, CORE_REL_CLIENT, 0, tag,
	    in_use_of(c, f, snap.feature), owner);
}

/*
 * Serves the feature's queue: entries whose client has room in a
 * reservation first, then the rest, each group first come first served.
 * The first entry that fits is granted and the scan starts over; an entry
 * short of seats ends it, so that no smaller request overtakes; an entry
 * that can never be served any more leaves with the reason.
 */
static void
queue_scan(struct core *c, struct core_feature *f, int64_t now)
{
	struct core_qentry *e, *next;
	struct core_grant *g;
	struct core_ident id;
	struct eval ev;
	int pass, room;

again:
	for (pass = 0; pass < 2; pass++) {
		for (e = f->qhead; e != NULL; e = next) {
			next = e->next;
			ident_of(&e->who, &id);
			id.vstring = e->vstring;
			room = reserved_room(c, f, &id, now);
			if (room != (pass == 0))
				continue;

			evaluate_unit(c, f, &id, e->reqver, e->who.count, now,
			    0, e->idunit[0] != '\0' ? e->idunit : NULL, &ev);
			switch (ev.reason) {
			case CORE_OK:
				g = grant_new(c, f, &ev, &e->who, e->vstring,
				    e->owner, e->linger, e->lease, now);
				if (g == NULL)
					return;
				emit(c, CORE_EV_CHECKOUT, now, &g->info,
				    CORE_OK, CORE_REL_CLIENT, 1, e->tag,
				    f->in_use, e->owner);
				entry_remove(c, e);
				if (f->suite != NULL)
					suite_attach(c, g, now);
				goto again;
			case CORE_E_NO_SEATS:
				return;
			case CORE_E_MAX:
			case CORE_E_NOT_STARTED:
				/* It may fit later without a reload. */
				break;
			default:
				entry_drop(c, e, ev.reason, now);
				break;
			}
		}
	}
}

/* Returns a held seat: it lingers if the grant asks for it, otherwise it
 * goes back at once and the queue is served. */
static void
grant_return(struct core *c, struct core_grant *g, enum core_release why,
    int64_t now, int scan)
{
	struct core_feature *f = g->feat;

	if (g->info.linger > 0 &&
	    (why == CORE_REL_CLIENT || why == CORE_REL_DISCONNECT)) {
		grant_linger(c, g, why, now);
		return;
	}
	grant_release(c, g, why, now);
	if (scan && f != NULL)
		queue_scan(c, f, now);
}

struct core *
core_new(const struct core_settings *st, core_sink_fn sink, void *arg)
{
	struct core_settings def;
	struct core *c;

	if (st == NULL) {
		core_settings_default(&def);
		st = &def;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->settings = *st;
	c->sink = sink;
	c->arg = arg;
	c->next_handle = 1;
	c->spares_max = CORE_SPARES_MAX;
	c->conf = core_conf_build(&c->settings, NULL, 0, NULL, 1, NULL, 0);
	if (c->conf == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
core_free(struct core *c)
{
	struct core_grant *g, *gn;
	struct core_qentry *e, *en;
	struct core_session *s;
	size_t i;

	if (c == NULL)
		return;
	for (g = c->ghead; g != NULL; g = gn) {
		gn = g->next;
		free(g->charges);
		free(g);
	}
	for (i = 0; i < c->conf->nfeatures; i++)
		for (e = c->conf->features[i]->qhead; e != NULL; e = en) {
			en = e->next;
			free(e);
		}
	for (i = 0; i < c->sessions.cap; i++) {
		s = c->sessions.slots[i].val;
		if (c->sessions.slots[i].key != 0)
			free(s);
	}
	while ((g = c->gspare) != NULL) {
		c->gspare = g->next;
		free(g);
	}
	while ((s = c->sspare) != NULL) {
		c->sspare = s->spare;
		free(s);
	}
	core_u64map_free(&c->grants);
	core_u64map_free(&c->sessions);
	core_u64map_free(&c->tickets);
	core_heap_free(&c->timers);
	core_conf_free(c->conf);
	free(c);
}

void
core_settings_default(struct core_settings *st)
{
	memset(st, 0, sizeof(*st));
	st->min_timeout = 900;
	st->resume_grace = 120;
	st->max_queue = 1000;
	copy_str(st->default_unit, sizeof(st->default_unit), "default");
}

/*
 * Swapping a configuration: queue entries move to the feature of the same
 * name, grants to its pool of the same version; their reservation charges
 * and timers are worked out again; entries for vanished features leave.
 */
int
core_configure(struct core *c, const struct core_settings *st,
    const struct core_license_file *lics, size_t nlics,
    const struct core_options *opts, int64_t now, char *err, size_t errlen)
{
	struct core_qentry *gone = NULL, *gtail = NULL, *e, *en;
	struct core_conf *nc, *old;
	struct core_feature *f, *nf;
	struct core_grant *g;
	size_t i;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (st == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "no core settings");
		return -1;
	}
	nc = core_conf_build(
	    st, lics, nlics, opts, c->conf->gen + 1, err, errlen);
	if (nc == NULL)
		return -1;
	set_now(c, now);
	old = c->conf;

	for (i = 0; i < old->nfeatures; i++) {
		f = old->features[i];
		nf = core_conf_feature(nc, f->name);
		for (e = f->qhead; e != NULL; e = en) {
			en = e->next;
			if (nf != NULL) {
				e->feat = nf;
				LIST_APPEND(
				    nf->qhead, nf->qtail, e, prev, next);
				nf->nqueue++;
			} else {
				e->feat = NULL;
				LIST_APPEND(gone, gtail, e, prev, next);
			}
		}
	}

	/* Charges name reservations of the old configuration: drop them
	 * before it goes, then charge again oldest grant first. */
	c->ohead = c->otail = NULL;
	for (g = c->ghead; g != NULL; g = g->next) {
		free(g->charges);
		g->charges = NULL;
		g->ncharges = 0;
		g->feat = core_conf_feature(nc, g->info.feature);
		g->pool = pool_for(g->feat, g->info.version,
		    g->pool != NULL ? g->pool->split : NULL);
		if (g->feat != NULL && !g->is_suite)
			g->timeout = g->feat->timeout;
		grant_link_feature(c, g);
	}
	c->conf = nc;
	c->settings = *st;
	core_conf_free(old);
	for (g = c->ghead; g != NULL; g = g->next)
		grant_charge(c, g, now);
	timers_rebuild(c, now);

	for (e = gone; e != NULL; e = en) {
		en = e->next;
		e->prev = e->next = NULL;
		entry_drop(c, e, CORE_E_UNKNOWN_FEATURE, now);
	}
	for (i = 0; i < nc->nfeatures; i++)
		queue_scan(c, nc->features[i], now);
	return 0;
}

static enum core_reason
request_check(const struct core_client *cl, const struct core_checkout_req *r)
{
	if (cl == NULL || r == NULL || cl->session == 0)
		return CORE_E_BAD_REQUEST;
	if (r->count < 1 || r->feature == NULL || r->feature[0] == '\0')
		return CORE_E_BAD_REQUEST;
	if (strlen(r->feature) >= CORE_NAME_MAX)
		return CORE_E_BAD_REQUEST;
	if (r->version != NULL && strlen(r->version) >= CORE_VERSION_MAX)
		return CORE_E_BAD_REQUEST;
	return CORE_OK;
}

static void
client_snapshot(struct core_grant_info *s, const struct core_client *cl,
    const struct core_checkout_req *r, int64_t now)
{
	memset(s, 0, sizeof(*s));
	if (r != NULL) {
		copy_str(s->feature, sizeof(s->feature), r->feature);
		copy_str(s->version, sizeof(s->version), r->version);
		s->count = r->count;
	}
	if (cl != NULL) {
		copy_str(s->user, sizeof(s->user), cl->user);
		copy_str(s->host, sizeof(s->host), cl->host);
		copy_str(s->display, sizeof(s->display), cl->display);
		copy_str(s->address, sizeof(s->address), cl->address);
		copy_str(s->project, sizeof(s->project), cl->project);
		copy_str(s->frontend, sizeof(s->frontend), cl->frontend);
		s->pid = cl->pid;
		s->session = cl->session;
	}
	s->start = now;
	s->last_heartbeat = now;
}

/* A lingering seat of the same user, host and display that fits the
 * request, or NULL. */
static struct core_grant *
linger_find(const struct core *c, const struct core_feature *f,
    const struct core_grant_info *who, const char *reqver)
{
	struct core_grant *g;

	/* XXX: found by scanning the feature's grants, only while the
	 * feature has lingering seats. */
	for (g = f->ghead; g != NULL; g = g->fnext) {
		if (g->state != GRANT_LINGER || g->info.count != who->count)
			continue;
		if (!core_name_eq(c->conf, g->info.user, who->user) ||
		    !core_name_eq(c->conf, g->info.host, who->host) ||
		    strcmp(g->info.display, who->display) != 0)
			continue;
		if (reqver != NULL && reqver[0] != '\0' &&
		    core_version_cmp(g->info.version, reqver) < 0)
			continue;
		return g;
	}
	return NULL;
}

static void
result_grant(struct core_result *res, const struct core_grant *g)
{
	res->status = CORE_GRANTED;
	res->reason = CORE_OK;
	res->handle = g->info.handle;
	res->count = g->info.count;
	memcpy(res->unit, g->info.unit, sizeof(res->unit));
	memcpy(res->version, g->info.version, sizeof(res->version));
	res->lease = g->info.lease;
	res->hold = g->info.linger;
}

static void
deny(struct core *c, const struct core_feature *f,
    const struct core_grant_info *snap, enum core_reason why, uint64_t tag,
    struct core_owner *owner, int64_t now, struct core_result *res)
{
	res->status = CORE_DENIED;
	res->reason = why;
	emit(c, CORE_EV_DENY, now, snap, why, CORE_REL_CLIENT, 0, tag,
	    in_use_of(c, f, snap->feature), owner);
}

static int
enqueue(struct core *c, struct core_feature *f,
    const struct core_grant_info *snap, const struct core_client *cl,
    const struct core_checkout_req *req, struct core_result *res, int64_t now)
{
	struct core_session *s;
	struct core_qentry *e;
	const char *idunit;

	s = session_get(c, cl->session, 1);
	if (s == NULL)
		return -1;
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		session_maybe_free(c, s);
		return -1;
	}
	e->ticket = c->next_handle;
	if (core_u64map_put(&c->tickets, e->ticket, e) == -1) {
		free(e);
		session_maybe_free(c, s);
		return -1;
	}
	c->next_handle++;
	e->tag = req->tag;
	e->who = *snap;
	e->who.handle = e->ticket;
	copy_str(e->reqver, sizeof(e->reqver), req->version);
	copy_str(e->vstring, sizeof(e->vstring), cl->vendor_string);
	e->linger = req->linger > 0 ? req->linger : 0;
	e->lease = req->lease > 0 ? req->lease : 0;
	e->owner = cl->owner;
	e->sess = s;
	e->feat = f;
	if (identity_check(cl, now, &idunit) == CORE_OK && idunit != NULL)
		copy_str(e->idunit, sizeof(e->idunit), idunit);
	LIST_APPEND(f->qhead, f->qtail, e, prev, next);
	LIST_APPEND(s->qhead, s->qtail, e, sprev, snext);
	f->nqueue++;

	res->status = CORE_QUEUED;
	res->reason = CORE_E_NO_SEATS;
	res->handle = e->ticket;
	res->position = (int)f->nqueue;
	emit(c, CORE_EV_QUEUE, now, &e->who, CORE_E_NO_SEATS, CORE_REL_CLIENT,
	    0, e->tag, f->in_use, e->owner);
	return 0;
}

void
core_checkout(struct core *c, const struct core_client *cl,
    const struct core_checkout_req *req, int64_t now, struct core_result *res)
{
	struct core_grant_info snap;
	struct core_feature *f = NULL;
	struct core_grant *g;
	struct core_ident id;
	struct eval ev;
	enum core_reason why;
	const char *vstring, *idunit = NULL;

	set_now(c, now);
	memset(res, 0, sizeof(*res));
	res->count = req != NULL ? req->count : 0;
	client_snapshot(&snap, cl, req, now);
	ident_of(&snap, &id);
	vstring =
	    cl != NULL && cl->vendor_string != NULL ? cl->vendor_string : "";
	id.vstring = vstring;

	why = request_check(cl, req);
	if (why == CORE_OK &&
	    (f = core_conf_feature(c->conf, req->feature)) == NULL)
		why = CORE_E_UNKNOWN_FEATURE;
	if (why == CORE_OK)
		why = identity_check(cl, now, &idunit);
	if (why != CORE_OK) {
		deny(c, f, &snap, why, req != NULL ? req->tag : 0,
		    cl != NULL ? cl->owner : NULL, now, res);
		return;
	}

	/* The same user coming back within the linger takes the seat it
	 * left, without a new one. */
	if (f->nlinger > 0 &&
	    (g = linger_find(c, f, &snap, req->version)) != NULL &&
	    grant_reattach(c, g, cl->session, cl->owner, now) == 0) {
		g->info.pid = cl->pid;
		if (req->linger > g->info.linger)
			g->info.linger = req->linger;
		result_grant(res, g);
		emit(c, CORE_EV_CHECKOUT, now, &g->info, CORE_OK,
		    CORE_REL_CLIENT, 0, req->tag, f->in_use, cl->owner);
		return;
	}

	evaluate_unit(c, f, &id, req->version, req->count, now, 0, idunit, &ev);
	if (ev.unit != NULL) {
		copy_str(snap.unit, sizeof(snap.unit), ev.unit);
		copy_str(res->unit, sizeof(res->unit), ev.unit);
	}
	if (ev.reason == CORE_OK && queue_blocks(c, f, &ev, now))
		ev.reason = CORE_E_NO_SEATS;

	if (ev.reason == CORE_OK) {
		g = grant_new(c, f, &ev, &snap, vstring, cl->owner,
		    req->linger > 0 ? req->linger : 0,
		    req->lease > 0 ? req->lease : 0, now);
		if (g != NULL) {
			result_grant(res, g);
			emit(c, CORE_EV_CHECKOUT, now, &g->info, CORE_OK,
			    CORE_REL_CLIENT, 0, req->tag, f->in_use, cl->owner);
			if (f->suite != NULL)
				suite_attach(c, g, now);
			return;
		}
		/* XXX: out of memory is reported as no seats; the core
		 * API has no reason for an internal failure. */
		ev.reason = CORE_E_NO_SEATS;
	} else if (ev.reason == CORE_E_NO_SEATS && req->queue) {
		if (f->nqueue >= (size_t)c->settings.max_queue)
			ev.reason = CORE_E_QUEUE_FULL;
		else if (enqueue(c, f, &snap, cl, req, res, now) == 0)
			return;
	}
	deny(c, f, &snap, ev.reason, req->tag, cl->owner, now, res);
}

void
core_borrow(struct core *c, const struct core_client *cl,
    const struct core_checkout_req *req, int64_t until, int64_t now,
    struct core_result *res)
{
	struct core_grant_info snap;
	struct core_feature *f = NULL;
	struct core_session *s;
	struct core_grant *g;
	struct core_ident id;
	struct eval ev;
	enum core_reason why;
	const char *vstring, *idunit = NULL;

	set_now(c, now);
	memset(res, 0, sizeof(*res));
	res->count = req != NULL ? req->count : 0;
	client_snapshot(&snap, cl, req, now);
	ident_of(&snap, &id);
	vstring =
	    cl != NULL && cl->vendor_string != NULL ? cl->vendor_string : "";
	id.vstring = vstring;

	why = request_check(cl, req);
	if (why == CORE_OK && until <= now)
		why = CORE_E_BAD_REQUEST;
	if (why == CORE_OK &&
	    (f = core_conf_feature(c->conf, req->feature)) == NULL)
		why = CORE_E_UNKNOWN_FEATURE;
	if (why == CORE_OK)
		why = identity_check(cl, now, &idunit);
	if (why != CORE_OK) {
		deny(c, f, &snap, why, req != NULL ? req->tag : 0,
		    cl != NULL ? cl->owner : NULL, now, res);
		return;
	}

	evaluate_unit(
	    c, f, &id, req->version, req->count, now, until - now, idunit, &ev);
	if (ev.unit != NULL) {
		copy_str(snap.unit, sizeof(snap.unit), ev.unit);
		copy_str(res->unit, sizeof(res->unit), ev.unit);
	}
	if (ev.reason == CORE_OK && queue_blocks(c, f, &ev, now))
		ev.reason = CORE_E_NO_SEATS;
	if (ev.reason != CORE_OK) {
		deny(c, f, &snap, ev.reason, req->tag, cl->owner, now, res);
		return;
	}

	g = grant_new(c, f, &ev, &snap, vstring, NULL, 0, 0, now);
	if (g == NULL) {
		/* XXX: out of memory is reported as no seats, as for a
		 * checkout. */
		deny(c, f, &snap, CORE_E_NO_SEATS, req->tag, cl->owner, now,
		    res);
		return;
	}
	/* It leaves the session at once: a borrow outlives the connection
	 * that asked for it. */
	s = g->sess;
	session_detach(g);
	session_maybe_free(c, s);
	g->state = GRANT_BORROWED;
	g->timeout = 0;
	g->info.session = 0;
	g->info.linger = 0;
	g->info.borrowed_until = until;
	grant_arm(c, g, now);

	result_grant(res, g);
	/* No owner: the session holds nothing, so no front end counts it
	 * among the session's grants; the reply comes from res. */
	emit(c, CORE_EV_CHECKOUT, now, &g->info, CORE_OK, CORE_REL_CLIENT, 0,
	    req->tag, f->in_use, NULL);
	if (f->suite != NULL)
		suite_attach(c, g, now);
}

enum core_reason
core_borrow_return(
    struct core *c, const struct core_client *cl, uint64_t handle, int64_t now)
{
	struct core_grant *g;
	struct core_feature *f;

	set_now(c, now);
	g = core_u64map_get(&c->grants, handle);
	if (g == NULL || g->state != GRANT_BORROWED)
		return CORE_E_NO_GRANT;
	if (cl == NULL ||
	    !core_name_eq(
		c->conf, g->info.user, cl->user != NULL ? cl->user : "") ||
	    !core_name_eq(
		c->conf, g->info.host, cl->host != NULL ? cl->host : ""))
		return CORE_E_NOT_OWNER;
	f = g->feat;
	grant_release(c, g, CORE_REL_BORROW_RETURN, now);
	if (f != NULL)
		queue_scan(c, f, now);
	return CORE_OK;
}

enum core_reason
core_checkin(struct core *c, uint64_t session, uint64_t handle, int64_t now)
{
	struct core_grant *g;

	set_now(c, now);
	g = core_u64map_get(&c->grants, handle);
	if (g == NULL || g->state == GRANT_LINGER)
		return CORE_E_NO_GRANT;
	if (g->state != GRANT_ACTIVE || g->info.session != session)
		return CORE_E_NOT_OWNER;
	grant_return(c, g, CORE_REL_CLIENT, now, 1);
	return CORE_OK;
}

enum core_reason
core_dequeue(struct core *c, uint64_t session, uint64_t ticket, int64_t now)
{
	struct core_qentry *e;
	struct core_feature *f;

	set_now(c, now);
	e = core_u64map_get(&c->tickets, ticket);
	if (e == NULL || e->who.session != session)
		return CORE_E_NO_GRANT;
	f = e->feat;
	entry_drop(c, e, CORE_OK, now);
	/* The entry may have been holding back the ones behind it. */
	if (f != NULL)
		queue_scan(c, f, now);
	return CORE_OK;
}

void
core_heartbeat(struct core *c, uint64_t session, int64_t now)
{
	struct core_session *s;
	struct core_grant *g;

	set_now(c, now);
	s = core_u64map_get(&c->sessions, session);
	if (s == NULL)
		return;
	/* The timers are not touched: when one comes up it finds the later
	 * deadline and is pushed back. */
	for (g = s->ghead; g != NULL; g = g->snext)
		g->info.last_heartbeat = now;
}

enum core_reason
core_renew(struct core *c, uint64_t session, uint64_t handle, int lease,
    int64_t now, struct core_grant_info *info)
{
	struct core_grant *g;
	int armed;

	set_now(c, now);
	g = core_u64map_get(&c->grants, handle);
	if (g == NULL || g->state == GRANT_LINGER)
		return CORE_E_NO_GRANT;
	if (g->state != GRANT_ACTIVE || g->info.session != session)
		return CORE_E_NOT_OWNER;
	armed = grant_deadline(g) != 0;
	if (g->info.lease == 0 && lease > 0)
		g->info.lease = g->pool != NULL && g->pool->lease > 0
		    ? g->pool->lease
		    : lease;
	g->info.last_heartbeat = now;
	if (g->info.lease > 0)
		g->info.lease_until = now + (int64_t)g->info.lease * 1000;
	/* A later deadline is found when the old timer comes up; only a
	 * grant that had none needs one now. */
	if (!armed)
		grant_arm(c, g, now);
	if (info != NULL)
		*info = g->info;
	return CORE_OK;
}

enum core_reason
core_resume(struct core *c, const struct core_client *cl, uint64_t handle,
    int64_t now, struct core_grant_info *info)
{
	struct core_grant *g;

	set_now(c, now);
	if (cl == NULL || cl->session == 0)
		return CORE_E_BAD_REQUEST;
	g = core_u64map_get(&c->grants, handle);
	if (g == NULL)
		return CORE_E_NO_GRANT;
	/* A borrowed seat is held by no session, and stays so. */
	if (g->state == GRANT_BORROWED)
		return CORE_E_NOT_OWNER;
	if (g->state == GRANT_ACTIVE) {
		/* Resuming what one already holds changes nothing. */
		if (g->info.session != cl->session)
			return CORE_E_NOT_OWNER;
		if (info != NULL)
			*info = g->info;
		return CORE_OK;
	}
	if (!core_name_eq(
		c->conf, g->info.user, cl->user != NULL ? cl->user : "") ||
	    !core_name_eq(
		c->conf, g->info.host, cl->host != NULL ? cl->host : ""))
		return CORE_E_NOT_OWNER;

	if (grant_reattach(c, g, cl->session, cl->owner, now) == -1)
		return CORE_E_NO_GRANT;
	g->info.pid = cl->pid;
	if (cl->address != NULL && cl->address[0] != '\0')
		copy_str(g->info.address, sizeof(g->info.address), cl->address);
	if (cl->frontend != NULL && cl->frontend[0] != '\0')
		copy_str(
		    g->info.frontend, sizeof(g->info.frontend), cl->frontend);
	if (info != NULL)
		*info = g->info;
	emit(c, CORE_EV_RESUME, now, &g->info, CORE_OK, CORE_REL_CLIENT, 0, 0,
	    in_use_of(c, g->feat, g->info.feature), cl->owner);
	return CORE_OK;
}

static void
feature_add_unique(struct core_feature **v, size_t *n, struct core_feature *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < *n; i++)
		if (v[i] == f)
			return;
	v[(*n)++] = f;
}

void
core_session_closed(struct core *c, uint64_t session, int64_t now)
{
	struct core_feature **touched;
	struct core_session *s;
	struct core_qentry *e;
	struct core_grant *g;
	size_t n = 0, cap = 0, i;

	set_now(c, now);
	s = core_u64map_get(&c->sessions, session);
	if (s == NULL)
		return;
	for (e = s->qhead; e != NULL; e = e->snext)
		cap++;
	for (g = s->ghead; g != NULL; g = g->snext)
		cap++;
	touched = calloc(cap, sizeof(*touched));

	/* Every release and drop is reported first; only then are the
	 * queues served, so the session's own entries are gone by then.
	 * Each step takes one thing from the session, and the last one
	 * frees it: count the steps rather than look at s at the end. */
	for (i = 0; i < cap; i++) {
		if ((e = s->qhead) != NULL) {
			if (touched != NULL)
				feature_add_unique(touched, &n, e->feat);
			entry_drop(c, e, CORE_OK, now);
			continue;
		}
		g = s->ghead;
		if (touched != NULL)
			feature_add_unique(touched, &n, g->feat);
		grant_return(c, g, CORE_REL_DISCONNECT, now, 0);
	}

	if (touched == NULL) {
		for (i = 0; i < c->conf->nfeatures; i++)
			queue_scan(c, c->conf->features[i], now);
		return;
	}
	for (i = 0; i < n; i++)
		queue_scan(c, touched[i], now);
	free(touched);
}

enum core_reason
core_remove(struct core *c, uint64_t handle, int64_t now)
{
	struct core_grant *g;
	struct core_feature *f;

	set_now(c, now);
	g = core_u64map_get(&c->grants, handle);
	if (g == NULL)
		return CORE_E_NO_GRANT;
	f = g->feat;
	grant_release(c, g, CORE_REL_ADMIN, now);
	if (f != NULL)
		queue_scan(c, f, now);
	return CORE_OK;
}

/* Drops timers at the top of the heap that no longer mean anything, and
 * moves back one that a heartbeat has postponed, so that the top is the
 * true next deadline. */
static void
timers_trim(struct core *c, int64_t now)
{
	struct core_timer t;
	const struct core_grant *g;

	while (c->timers.n > 0) {
		t = c->timers.v[0];
		if (t.kind == CORE_TIMER_LINE) {
			if (t.gen == c->conf->gen)
				return;
			core_heap_pop(&c->timers);
			continue;
		}
		g = core_u64map_get(&c->grants, t.id);
		if (g != NULL && g->tgen == t.gen &&
		    grant_deadline(g) == t.when)
			return;
		core_heap_pop(&c->timers);
		if (g == NULL || g->tgen != t.gen)
			continue;
		t.when = grant_deadline(g);
		if (t.when != 0 && core_heap_push(&c->timers, &t) == -1)
			timers_rebuild(c, now);
	}
}

static void
timer_fire(struct core *c, const struct core_timer *t, int64_t now)
{
	struct core_feature *f;
	struct core_grant *g;
	struct core_timer again;
	int64_t due;

	if (t->kind == CORE_TIMER_LINE) {
		/* A line started (seats to give) or ended (entries that
		 * can no longer be served). */
		if (t->gen == c->conf->gen && t->id < c->conf->nfeatures)
			queue_scan(c, c->conf->features[t->id], now);
		return;
	}

	g = core_u64map_get(&c->grants, t->id);
	if (g == NULL || g->tgen != t->gen)
		return;
	due = grant_deadline(g);
	if (due == 0)
		return;
	if (due > now) {
		again = *t;
		again.when = due;
		if (core_heap_push(&c->timers, &again) == -1)
			timers_rebuild(c, now);
		return;
	}

	f = g->feat;
	switch (g->state) {
	case GRANT_ACTIVE:
		grant_release(c, g,
		    g->info.lease_until != 0 && g->info.lease_until <= now
			? CORE_REL_LEASE_EXPIRED
			: CORE_REL_TIMEOUT,
		    now);
		break;
	case GRANT_LINGER:
		grant_release(c, g, g->release, now);
		break;
	case GRANT_BORROWED:
		grant_release(c, g, CORE_REL_BORROW_EXPIRED, now);
		break;
	default:
		grant_release(c, g, CORE_REL_NOT_RESUMED, now);
		break;
	}
	if (f != NULL)
		queue_scan(c, f, now);
}

int64_t
core_tick(struct core *c, int64_t now)
{
	struct core_timer t;

	set_now(c, now);
	for (;;) {
		timers_trim(c, now);
		if (c->timers.n == 0 || c->timers.v[0].when > now)
			break;
		t = c->timers.v[0];
		core_heap_pop(&c->timers);
		timer_fire(c, &t, now);
	}
	return c->timers.n > 0 ? c->timers.v[0].when : 0;
}

/* Accepts a grant with a nonzero handle not yet in use, a feature name and
 * a count of at least 1; refuses anything else with -1. */
int
core_restore(struct core *c, const struct core_grant_info *gi, int64_t now)
{
	struct core_grant *g;

	set_now(c, now);
	if (gi == NULL || gi->handle == 0 || gi->count < 1 ||
	    gi->feature[0] == '\0' ||
	    !memchr(gi->feature, '\0', sizeof(gi->feature)) ||
	    !memchr(gi->version, '\0', sizeof(gi->version)))
		return -1;
	if (core_u64map_get(&c->grants, gi->handle) != NULL ||
	    core_u64map_get(&c->tickets, gi->handle) != NULL)
		return -1;

	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -1;
	g->info = *gi;
	g->info.session = 0;
	g->info.linger_until = 0;
	g->info.lease_until = 0;
	g->state = GRANT_RESTORED;
	g->resume_deadline = now + (int64_t)c->settings.resume_grace * 1000;
	g->feat = core_conf_feature(c->conf, gi->feature);
	g->pool = pool_for(g->feat, gi->version, NULL);
	g->timeout = g->feat != NULL ? g->feat->timeout : 0;
	if (gi->borrowed_until != 0) {
		/* No client comes back for it: it runs to its end. */
		g->state = GRANT_BORROWED;
		g->resume_deadline = 0;
		g->timeout = 0;
		g->info.linger = 0;
	}
	if (grant_insert(c, g, now) == -1) {
		free(g);
		return -1;
	}
	if (gi->handle >= c->next_handle)
		c->next_handle = gi->handle + 1;
	return 0;
}

void
core_set_next_handle(struct core *c, uint64_t next)
{
	if (next >= c->next_handle)
		c->next_handle = next + 1;
}

_Static_assert(CORE_SHARE_USER == CORE_DUP_USER &&
	CORE_SHARE_HOST == CORE_DUP_HOST &&
	CORE_SHARE_DISPLAY == CORE_DUP_DISPLAY &&
	CORE_SHARE_ID == CORE_DUP_VENDOR && CORE_SHARE_SITE == CORE_DUP_SITE,
    "share bits differ from DUP_GROUP bits");

/* The sentinel attributes of a feature (those of its first counted pool)
 * and its reservations' use. */
static void
feature_sentinel(const struct core *c, const struct core_feature *f,
    struct core_feature_info *fi)
{
	const struct core_pool *p = NULL;
	int remaining, eff;
	size_t i;

	for (i = 0; i < f->npools && p == NULL; i++)
		if (f->pools[i].ncounted > 0)
			p = &f->pools[i];
	if (p == NULL && f->npools > 0)
		p = &f->pools[0];
	fi->borrow_hours = -1;
	if (p != NULL) {
		fi->share = p->dup;
		fi->share_limit = p->share_limit;
		fi->lease = p->lease;
		fi->hold = p->hold > f->linger ? p->hold : f->linger;
		fi->borrow_hours = p->borrow_hours;
	}
	/* As grant_charge counts them: each reservation up to what the
	 * feature has left after the ones before it. */
	remaining = fi->issued;
	for (i = 0; i < f->res.n; i++) {
		eff = f->res.v[i].count < remaining ? f->res.v[i].count
						    : remaining;
		remaining -= eff;
		fi->reserved_used += f->res.v[i].charged;
		if (eff > f->res.v[i].charged)
			fi->reserved_free += eff - f->res.v[i].charged;
	}
}

void
core_foreach_feature(
    const struct core *c, const char *feature, core_feature_fn fn, void *arg)
{
	const struct core_feature *f;
	struct core_feature_info fi;
	size_t i;

	for (i = 0; i < c->conf->nfeatures; i++) {
		f = c->conf->features[i];
		if (feature != NULL && strcmp(feature, f->name) != 0)
			continue;
		memset(&fi, 0, sizeof(fi));
		memcpy(fi.feature, f->name, sizeof(fi.feature));
		memcpy(fi.vendor, f->vendor, sizeof(fi.vendor));
		memcpy(fi.version, f->version, sizeof(fi.version));
		fi.issued = feature_issued(f, c->now);
		fi.in_use = f->in_use;
		fi.queued = (int)f->nqueue;
		fi.uncounted = f->ncounted == 0;
		fi.expiry = f->expiry;
		feature_sentinel(c, f, &fi);
		fn(arg, &fi);
	}
}

void
core_foreach_line(const struct core *c, int64_t now, core_line_fn fn, void *arg)
{
	const struct core_feature *f;
	const struct core_pool *p;
	const struct core_cline *l;
	struct core_line_info li;
	size_t i, j, k;

	for (i = 0; i < c->conf->nfeatures; i++) {
		f = c->conf->features[i];
		for (j = 0; j < f->npools; j++) {
			p = &f->pools[j];
			for (k = 0; k < p->nlines; k++) {
				l = &p->lines[k];
				memset(&li, 0, sizeof(li));
				memcpy(li.feature, f->name, sizeof(li.feature));
				memcpy(li.vendor, f->vendor, sizeof(li.vendor));
				memcpy(
				    li.version, p->version, sizeof(li.version));
				li.count = l->count;
				li.uncounted = l->uncounted;
				li.overdraft = l->overdraft;
				li.start = l->start;
				li.expiry = l->expiry;
				li.expired = l->expiry != 0 && now >= l->expiry;
				li.file = l->file != NULL ? l->file : "";
				li.lineno = l->lineno;
				fn(arg, &li);
			}
		}
	}
}

void
core_foreach_grant(
    const struct core *c, const char *feature, core_grant_fn fn, void *arg)
{
	const struct core_feature *f = NULL;
	const struct core_grant *g;

	if (feature != NULL)
		f = core_conf_feature(c->conf, feature);
	if (f != NULL) {
		for (g = f->ghead; g != NULL; g = g->fnext)
			fn(arg, &g->info);
		return;
	}
	for (g = c->ghead; g != NULL; g = g->next)
		if (feature == NULL || strcmp(g->info.feature, feature) == 0)
			fn(arg, &g->info);
}

/* Reports each reservation with the seats it holds now (its count, cut
 * where reservations add up to more than the seats in date). */
void
core_foreach_reservation(const struct core *c, const char *feature,
    core_reservation_fn fn, void *arg)
{
	const struct core_feature *f;
	const struct core_rule *r;
	struct core_reservation_info ri;
	int remaining, eff;
	size_t i, j;

	for (i = 0; i < c->conf->nfeatures; i++) {
		f = c->conf->features[i];
		if (feature != NULL && strcmp(feature, f->name) != 0)
			continue;
		remaining = feature_issued(f, c->now);
		for (j = 0; j < f->res.n; j++) {
			r = &f->res.v[j];
			eff = r->count < remaining ? r->count : remaining;
			remaining -= eff;
			memset(&ri, 0, sizeof(ri));
			memcpy(ri.feature, f->name, sizeof(ri.feature));
			ri.who = r->who;
			memcpy(ri.name, r->name, sizeof(ri.name));
			ri.count = eff;
			ri.used = r->charged;
			fn(arg, &ri);
		}
	}
}

size_t
core_grant_count(const struct core *c)
{
	return c->ngrants;
}

size_t
core_feature_count(const struct core *c)
{
	return c->conf->nfeatures;
}

static const struct {
	const char *name;
	const char *text;
} reasons[] = {
    [CORE_OK] = {"ok", "Success"},
    [CORE_E_BAD_REQUEST] = {"bad-request", "Invalid request"},
    [CORE_E_UNKNOWN_FEATURE] = {"unknown-feature", "No such feature exists"},
    [CORE_E_VERSION] = {"version",
	"No license of the requested version or later"},
    [CORE_E_EXPIRED] = {"expired", "The feature has expired"},
    [CORE_E_NOT_STARTED] = {"not-started",
	"The feature's start date is in the future"},
    [CORE_E_UNCOUNTED] = {"uncounted",
	"The feature is uncounted and not served"},
    [CORE_E_EXCLUDED] = {"excluded",
	"The user, host or group is excluded from the feature"},
    [CORE_E_NOT_INCLUDED] = {"not-included",
	"The user, host or group is not on the feature's include list"},
    [CORE_E_MAX] = {"max", "The user, host or group has reached its maximum"},
    [CORE_E_NO_SEATS] = {"no-seats", "All licenses in use"},
    [CORE_E_TOO_MANY] = {"too-many",
	"More licenses requested than the feature has"},
    [CORE_E_QUEUE_FULL] = {"queue-full", "The queue for the feature is full"},
    [CORE_E_NO_UNIT] = {"no-unit", "The client belongs to no unit"},
    [CORE_E_NO_GRANT] = {"no-grant", "No such handle or ticket"},
    [CORE_E_NOT_OWNER] = {"not-owner",
	"The grant is held by another session or client"},
    [CORE_E_NOT_BORROWABLE] = {"not-borrowable",
	"The feature has no license that may be borrowed"},
    [CORE_E_BORROW_TOO_LONG] = {"borrow-too-long",
	"The borrow period is longer than the license or options allow"},
    [CORE_E_BORROW_LOWWATER] = {"borrow-lowwater",
	"The remaining licenses may not be borrowed (BORROW_LOWWATER)"},
    [CORE_E_NOT_ELIGIBLE] = {"not-eligible",
	"The directory does not make the client eligible for the feature"},
    [CORE_E_CARD_EXPIRED] = {"card-expired", "The university card has expired"},
    [CORE_E_NOT_UNIT_MEMBER] = {"not-unit-member",
	"The client does not belong to the unit it declared"},
    [CORE_E_DIRECTORY_DOWN] = {"directory-unavailable",
	"The directory cannot say whether the client is eligible"},
    [CORE_E_TRY_AGAIN] = {"try-again",
	"The client's identity is being looked up; try again shortly"},
};

const char *
core_reason_name(enum core_reason r)
{
	if ((size_t)r >= sizeof(reasons) / sizeof(reasons[0]) ||
	    reasons[r].name == NULL)
		return "unknown";
	return reasons[r].name;
}

const char *
core_reason_text(enum core_reason r)
{
	if ((size_t)r >= sizeof(reasons) / sizeof(reasons[0]) ||
	    reasons[r].text == NULL)
		return "Unknown reason";
	return reasons[r].text;
}

const char *
core_release_name(enum core_release r)
{
	static const char *const names[] = {
	    [CORE_REL_CLIENT] = "client",
	    [CORE_REL_DISCONNECT] = "disconnect",
	    [CORE_REL_TIMEOUT] = "timeout",
	    [CORE_REL_ADMIN] = "admin",
	    [CORE_REL_NOT_RESUMED] = "not-resumed",
	    [CORE_REL_SHUTDOWN] = "shutdown",
	    [CORE_REL_FEATURE_GONE] = "feature-gone",
	    [CORE_REL_BORROW_EXPIRED] = "borrow-expired",
	    [CORE_REL_BORROW_RETURN] = "borrow-return",
	    [CORE_REL_LEASE_EXPIRED] = "lease-expired",
	};

	if ((size_t)r >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[r];
}
