/*
 * Unit tests of the activation table (daemon/core/activation.c): the count
 * of distinct machines in the window, thresholds, renewals, expiry, the
 * cap, groups, retention, purge, bad requests, configuration and restore.
 * Time is injected: every call takes "now" from the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/core/activation.h"

#define T0 1796299200123LL /* 2026-12-03T12:00:00.123Z */
#define MIN (60LL * 1000)
#define DAY (86400LL * 1000)
#define HOUR_MS(n) ((n)*3600LL * 1000)

/* What the sink saw, in order. */
struct rec_event {
	enum act_event_type type;
	int64_t time;
	enum act_result result;
	int count;
	int purged;
	struct act_machine_info m;
};

struct recorder {
	struct rec_event *ev;
	size_t n, cap;
	int keep; /* 0: only count them */
};

static void
record(void *arg, const struct act_event *ev)
{
	struct recorder *r = arg;
	struct rec_event *e;

	if (!r->keep) {
		r->n++;
		return;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->ev = realloc(r->ev, r->cap * sizeof(*r->ev));
		assert_non_null(r->ev);
	}
	e = &r->ev[r->n++];
	e->type = ev->type;
	e->time = ev->time;
	e->result = ev->result;
	e->count = ev->count;
	e->purged = ev->purged;
	e->m = *ev->machine;
}

static size_t
count_type(const struct recorder *r, enum act_event_type type)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		if (r->ev[i].type == type)
			n++;
	return n;
}

struct fixture {
	struct act *act;
	struct recorder rec;
};

static int
setup(void **state)
{
	struct fixture *fx;

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	fx->rec.keep = 1;
	fx->act = act_new(record, &fx->rec);
	assert_non_null(fx->act);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	act_free(fx->act);
	free(fx->rec.ev);
	free(fx);
	return 0;
}

static void
uuid(char *buf, size_t len, unsigned i)
{
	snprintf(buf, len, "%08x-0000-4000-8000-%012x", i, i * 7u);
}

/* A product with the defaults but for the fields given. */
static struct act_product
product(const char *name, const char *group, int tc, int ts, int cap)
{
	struct act_product p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.group, sizeof(p.group), "%s", group);
	p.threshold_client = tc;
	p.threshold_server = ts;
	p.cap = cap;
	return p;
}

static void
configure_ok(struct act *a, const struct act_product *p, size_t n)
{
	char err[256] = "";

	if (act_configure(a, p, n, err, sizeof(err)) == -1)
		fail_msg("act_configure: %s", err);
}

static enum act_result
ask(struct act *a, const char *prod, unsigned i, enum act_class cls,
    int64_t now, struct act_reply *rep)
{
	struct act_request req;
	struct act_reply local;
	char id[ACT_ID_MAX];

	uuid(id, sizeof(id), i);
	memset(&req, 0, sizeof(req));
	req.product = prod;
	req.machine_id = id;
	req.cls = cls;
	req.host = "ws";
	req.unit = "physics";
	req.address = "10.0.0.1";
	act_request(a, &req, now, rep != NULL ? rep : &local);
	return (rep != NULL ? rep : &local)->result;
}

struct count_arg {
	const char *name;
	int count;
	int activated;
	uint64_t requests[ACT_BAD_REQUEST + 1];
	size_t nprods;
};

static void
on_product(void *arg, const struct act_product_info *pi)
{
	struct count_arg *c = arg;

	c->nprods++;
	if (strcmp(pi->product.name, c->name) == 0) {
		c->count = pi->count;
		c->activated = pi->activated;
		memcpy(c->requests, pi->requests, sizeof(c->requests));
	}
}

static struct count_arg
status(const struct act *a, const char *name, int64_t now)
{
	struct count_arg c;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.count = -1;
	act_foreach_product(a, now, on_product, &c);
	return c;
}

struct machines_arg {
	struct act_machine_info m[64];
	size_t n;
};

static void
on_machine(void *arg, const struct act_machine_info *m)
{
	struct machines_arg *ma = arg;

	if (ma->n < 64)
		ma->m[ma->n] = *m;
	ma->n++;
}

static void
test_defaults(void **state)
{
	struct act_product p;

	act_product_default(&p);
	assert_int_equal(p.threshold_client, 25);
	assert_int_equal(p.threshold_server, 5);
	assert_int_equal(p.retry_minutes, 120);
	assert_int_equal(p.renewal_days, 7);
	assert_int_equal(p.validity_days, 180);
	assert_int_equal(p.window_days, 30);
	assert_int_equal(p.cap, 0);
	assert_string_equal(act_result_name(ACT_ACTIVATED), "activated");
	assert_string_equal(act_result_name(ACT_CAPPED), "capped");
	assert_string_equal(act_result_name(ACT_BAD_REQUEST), "bad-request");
}

/* Distinct machines raise the count, repeats (in any case) do not. */
static void
test_count_distinct(void **state)
{
	struct fixture *fx = *state;
	struct act_product p = product("office", "", 0, 0, 0);
	struct act_request req;
	struct act_reply rep;
	char id[ACT_ID_MAX];
	unsigned i;

	configure_ok(fx->act, &p, 1);
	for (i = 0; i < 10; i++) {
		assert_int_equal(ask(fx->act, "office", i, ACT_CLASS_CLIENT,
				     T0 + i * MIN, &rep),
		    ACT_BELOW_THRESHOLD);
		assert_int_equal(rep.count, (int)i + 1);
		assert_int_equal(rep.threshold, 25);
		assert_int_equal(rep.retry_s, 120 * 60);
		assert_int_equal(rep.renewal_s, 7 * 86400);
		assert_int_equal(rep.validity_s, 180 * 86400);
		assert_string_equal(rep.unit, "physics");
	}
	for (i = 0; i < 10; i++) {
		ask(fx->act, "office", i, ACT_CLASS_CLIENT, T0 + HOUR_MS(1),
		    &rep);
		assert_int_equal(rep.count, 10);
	}

	/* The same id in upper case is the same machine. */
	uuid(id, sizeof(id), 3);
	for (i = 0; id[i] != '\0'; i++)
		if (id[i] >= 'a' && id[i] <= 'f')
			id[i] -= 'a' - 'A';
	memset(&req, 0, sizeof(req));
	req.product = "office";
	req.machine_id = id;
	req.host = "other";
	act_request(fx->act, &req, T0 + HOUR_MS(2), &rep);
	assert_int_equal(rep.count, 10);
	/* Kept lower-case; the unit stays when none is declared. */
	uuid(id, sizeof(id), 3);
	assert_string_equal(fx->rec.ev[fx->rec.n - 1].m.machine_id, id);
	assert_string_equal(fx->rec.ev[fx->rec.n - 1].m.unit, "physics");
	assert_string_equal(fx->rec.ev[fx->rec.n - 1].m.host, "other");
	assert_true(fx->rec.ev[fx->rec.n - 1].m.first_seen == T0 + 3 * MIN);
	assert_true(fx->rec.ev[fx->rec.n - 1].m.last_seen == T0 + HOUR_MS(2));
	assert_string_equal(fx->rec.ev[fx->rec.n - 1].m.group, "office");

	/* One REQUEST event per request, carrying the count. */
	assert_int_equal(fx->rec.n, 21);
	assert_int_equal(count_type(&fx->rec, ACT_EV_REQUEST), 21);
	assert_int_equal(fx->rec.ev[4].count, 5);
	assert_int_equal(status(fx->act, "office", T0 + HOUR_MS(2)).count, 10);
	assert_true(
	    status(fx->act, "office", T0).requests[ACT_BELOW_THRESHOLD] == 21);
}

/* The window lets machines fall out, oldest first, and a machine that asks
 * again is counted again. */
static void
test_window(void **state)
{
	struct fixture *fx = *state;
	struct act_product p = product("cad", "", 0, 0, 0);
	struct act_reply rep;
	int64_t next;
	unsigned i;

	configure_ok(fx->act, &p, 1);
	for (i = 0; i < 5; i++)
		ask(fx->act, "cad", i, ACT_CLASS_CLIENT, T0 + i * DAY, NULL);
	assert_int_equal(status(fx->act, "cad", T0 + 4 * DAY).count, 5);

	/* Machine 0 counts up to, not including, 30 days after. */
	next = act_tick(fx->act, T0 + 30 * DAY - 1);
	assert_true(next == T0 + 30 * DAY);
	assert_int_equal(status(fx->act, "cad", T0 + 30 * DAY - 1).count, 5);
	/* The view sees the window before a tick does. */
	assert_int_equal(status(fx->act, "cad", T0 + 31 * DAY).count, 3);
	next = act_tick(fx->act, T0 + 31 * DAY);
	assert_true(next == T0 + 32 * DAY);
	assert_int_equal(status(fx->act, "cad", T0 + 31 * DAY).count, 3);

	/* A request slides the window too. */
	ask(fx->act, "cad", 9, ACT_CLASS_CLIENT, T0 + 33 * DAY, &rep);
	assert_int_equal(rep.count, 2);
	/* Machine 0 comes back: counted, first_seen kept. */
	ask(fx->act, "cad", 0, ACT_CLASS_CLIENT, T0 + 33 * DAY, &rep);
	assert_int_equal(rep.count, 3);
	assert_true(fx->rec.ev[fx->rec.n - 1].m.first_seen == T0);

	next = act_tick(fx->act, T0 + 100 * DAY);
	assert_int_equal(status(fx->act, "cad", T0 + 100 * DAY).count, 0);
	assert_true(next == 0);
	/* Uncapped: the stale machines are kept (6 <= 2 x 25). */
	assert_int_equal(count_type(&fx->rec, ACT_EV_FORGET), 0);
}

/* When does the nth distinct machine of a class activate? */
struct threshold_case {
	const char *name;
	int tc, ts; /* configured, 0 for the default */
	enum act_class cls;
	int before; /* machines of the other class asked first */
	int activates_at; /* the count at which this class activates */
};

static const struct threshold_case threshold_cases[] = {
    {"client default", 0, 0, ACT_CLASS_CLIENT, 0, 25},
    {"server default", 0, 0, ACT_CLASS_SERVER, 0, 5},
    {"server counts clients", 0, 0, ACT_CLASS_SERVER, 3, 5},
    {"client counts servers", 0, 0, ACT_CLASS_CLIENT, 20, 25},
    {"client configured", 3, 0, ACT_CLASS_CLIENT, 0, 3},
    {"server configured", 0, 2, ACT_CLASS_SERVER, 0, 2},
    {"threshold one", 1, 1, ACT_CLASS_CLIENT, 0, 1},
};

static void
test_threshold(void **state)
{
	const struct threshold_case *tc;
	struct recorder rec = {0};
	struct act_product p;
	struct act_reply rep;
	enum act_class other;
	struct act *a;
	size_t i;
	int k, n;

	for (i = 0; i < sizeof(threshold_cases) / sizeof(*tc); i++) {
		tc = &threshold_cases[i];
		a = act_new(record, &rec);
		assert_non_null(a);
		p = product("p", "", tc->tc, tc->ts, 0);
		configure_ok(a, &p, 1);
		other = tc->cls == ACT_CLASS_CLIENT ? ACT_CLASS_SERVER
						    : ACT_CLASS_CLIENT;
		for (k = 0; k < tc->before; k++)
			ask(a, "p", 1000 + k, other, T0, NULL);
		for (n = tc->before + 1; n < tc->activates_at; n++) {
			if (ask(a, "p", n, tc->cls, T0 + n, &rep) !=
			    ACT_BELOW_THRESHOLD)
				fail_msg("%s: activated at count %d", tc->name,
				    rep.count);
			assert_int_equal(rep.issued, 0);
		}
		if (ask(a, "p", n, tc->cls, T0 + n, &rep) != ACT_ACTIVATED)
			fail_msg("%s: not activated at count %d", tc->name,
			    rep.count);
		assert_int_equal(rep.count, tc->activates_at);
		assert_int_equal(rep.threshold, tc->activates_at);
		assert_int_equal(rep.renewed, 0);
		assert_true(rep.issued == T0 + n);
		assert_true(rep.expires == T0 + n + 180 * DAY);
		/* Every machine asking now activates, earlier ones too. */
		assert_int_equal(
		    ask(a, "p", tc->before + 1, tc->cls, T0 + n + 1, &rep),
		    ACT_ACTIVATED);
		act_free(a);
	}
	free(rec.ev);
}

/* Renewal moves the expiry; nobody renewing lets it run out by tick. */
static void
test_renew_expire(void **state)
{
	struct fixture *fx = *state;
	struct act_product p = product("p", "", 2, 0, 0);
	struct act_reply rep;
	int64_t t, next;

	p.validity_days = 30;
	p.renewal_days = 7;
	configure_ok(fx->act, &p, 1);
	ask(fx->act, "p", 1, ACT_CLASS_CLIENT, T0, NULL);
	assert_int_equal(
	    ask(fx->act, "p", 2, ACT_CLASS_CLIENT, T0, &rep), ACT_ACTIVATED);
	assert_int_equal(
	    ask(fx->act, "p", 1, ACT_CLASS_CLIENT, T0, &rep), ACT_ACTIVATED);
	assert_int_equal(rep.renewed, 0);
	assert_int_equal(rep.validity_s, 30 * 86400);
	assert_int_equal(rep.renewal_s, 7 * 86400);

	/* Machine 1 renews every 7 days; machine 2 goes quiet. */
	for (t = T0 + 7 * DAY; t <= T0 + 28 * DAY; t += 7 * DAY) {
		assert_int_equal(
		    ask(fx->act, "p", 1, ACT_CLASS_CLIENT, t, &rep),
		    ACT_ACTIVATED);
		assert_int_equal(rep.renewed, 1);
		assert_true(rep.expires == t + 30 * DAY);
	}
	assert_int_equal(count_type(&fx->rec, ACT_EV_EXPIRE), 0);
	assert_int_equal(status(fx->act, "p", T0 + 28 * DAY).activated, 2);
	next = act_tick(fx->act, T0 + 29 * DAY);
	assert_true(next == T0 + 30 * DAY);
	next = act_tick(fx->act, T0 + 30 * DAY);
	assert_int_equal(count_type(&fx->rec, ACT_EV_EXPIRE), 1);
	assert_int_equal(fx->rec.ev[fx->rec.n - 1].type, ACT_EV_EXPIRE);
	assert_true(fx->rec.ev[fx->rec.n - 1].time == T0 + 30 * DAY);
	assert_true(fx->rec.ev[fx->rec.n - 1].m.activated_until == 0);
	assert_int_equal(status(fx->act, "p", T0 + 30 * DAY).activated, 1);
	/* Machine 1's expiry is next (machine 2 left the window at 30). */
	assert_true(next == T0 + 28 * DAY + 30 * DAY);

	/* Machine 1 alone is below the threshold of 2: no renewal, and its
	 * activation runs out. */
	assert_int_equal(
	    ask(fx->act, "p", 1, ACT_CLASS_CLIENT, T0 + 35 * DAY, &rep),
	    ACT_BELOW_THRESHOLD);
	assert_int_equal(rep.count, 1);
	act_tick(fx->act, T0 + 58 * DAY);
	assert_int_equal(count_type(&fx->rec, ACT_EV_EXPIRE), 2);
	assert_int_equal(status(fx->act, "p", T0 + 58 * DAY).activated, 0);

	/* Activated again after expiry: not a renewal. */
	ask(fx->act, "p", 2, ACT_CLASS_CLIENT, T0 + 59 * DAY, NULL);
	ask(fx->act, "p", 1, ACT_CLASS_CLIENT, T0 + 59 * DAY, &rep);
	assert_int_equal(rep.result, ACT_ACTIVATED);
	assert_int_equal(rep.renewed, 0);
}

/* The cap refuses new machines, not known ones, and frees with expiry. */
static void
test_cap(void **state)
{
	struct fixture *fx = *state;
	struct act_product p = product("site", "", 1, 1, 2);
	struct act_reply rep;
	struct count_arg st;
	unsigned i;

	p.validity_days = 60;
	p.renewal_days = 1;
	configure_ok(fx->act, &p, 1);
	assert_int_equal(
	    ask(fx->act, "site", 1, ACT_CLASS_CLIENT, T0, NULL), ACT_ACTIVATED);
	assert_int_equal(
	    ask(fx->act, "site", 2, ACT_CLASS_SERVER, T0, NULL), ACT_ACTIVATED);
	assert_int_equal(
	    ask(fx->act, "site", 3, ACT_CLASS_CLIENT, T0, &rep), ACT_CAPPED);
	/* Counted all the same. */
	assert_int_equal(rep.count, 3);
	assert_int_equal(rep.issued, 0);
	assert_int_equal(
	    ask(fx->act, "site", 1, ACT_CLASS_CLIENT, T0 + DAY, &rep),
	    ACT_ACTIVATED);
	assert_int_equal(rep.renewed, 1);
	assert_int_equal(
	    ask(fx->act, "site", 3, ACT_CLASS_CLIENT, T0 + DAY, NULL),
	    ACT_CAPPED);

	/* A capped group keeps every machine past 2 x threshold. */
	for (i = 10; i < 30; i++)
		ask(fx->act, "site", i, ACT_CLASS_CLIENT, T0 + DAY, NULL);
	st = status(fx->act, "site", T0 + DAY);
	assert_int_equal(st.count, 23);
	assert_int_equal(st.activated, 2);
	assert_int_equal(count_type(&fx->rec, ACT_EV_FORGET), 0);
	assert_true(st.requests[ACT_CAPPED] == 22);
	assert_true(st.requests[ACT_ACTIVATED] == 3);

	/*
	 * At 60 days machine 2's activation ends and everyone has left the
	 * window: the machines holding no activation are forgotten, machine
	 * 1 (activated until 61 days) stays for the cap.
	 */
	act_tick(fx->act, T0 + 60 * DAY);
	assert_int_equal(count_type(&fx->rec, ACT_EV_EXPIRE), 1);
	assert_int_equal(count_type(&fx->rec, ACT_EV_FORGET), 22);
	st = status(fx->act, "site", T0 + 60 * DAY);
	assert_int_equal(st.count, 0);
	assert_int_equal(st.activated, 1);
	/* Room for one more, and only one. */
	assert_int_equal(
	    ask(fx->act, "site", 3, ACT_CLASS_CLIENT, T0 + 60 * DAY, &rep),
	    ACT_ACTIVATED);
	assert_int_equal(rep.renewed, 0);
	assert_int_equal(
	    ask(fx->act, "site", 2, ACT_CLASS_SERVER, T0 + 60 * DAY, NULL),
	    ACT_CAPPED);
	act_tick(fx->act, T0 + 61 * DAY);
	assert_int_equal(count_type(&fx->rec, ACT_EV_EXPIRE), 2);
	assert_int_equal(count_type(&fx->rec, ACT_EV_FORGET), 23);
	assert_int_equal(status(fx->act, "site", T0 + 61 * DAY).activated, 1);
	assert_int_equal(status(fx->act, "site", T0 + 61 * DAY).count, 2);
}

/* Products of one group share the count; the machine's product follows
 * its last request. */
static void
test_groups(void **state)
{
	struct fixture *fx = *state;
	struct act_product p[3] = {
	    product("word", "office", 3, 0, 0),
	    product("excel", "office", 5, 0, 0),
	    product("cad", "", 3, 0, 0),
	};
	struct machines_arg ma = {0};
	struct act_reply rep;

	configure_ok(fx->act, p, 3);
	ask(fx->act, "word", 1, ACT_CLASS_CLIENT, T0, NULL);
	ask(fx->act, "excel", 2, ACT_CLASS_CLIENT, T0 + 1, NULL);
	assert_int_equal(
	    ask(fx->act, "word", 3, ACT_CLASS_CLIENT, T0 + 2, &rep),
	    ACT_ACTIVATED);
	assert_int_equal(rep.count, 3);
	assert_int_equal(
	    ask(fx->act, "excel", 3, ACT_CLASS_CLIENT, T0 + 3, &rep),
	    ACT_BELOW_THRESHOLD);
	assert_int_equal(rep.threshold, 5);
	/* The same machine id in another group is another machine. */
	ask(fx->act, "cad", 3, ACT_CLASS_CLIENT, T0 + 4, &rep);
	assert_int_equal(rep.count, 1);
	assert_int_equal(status(fx->act, "word", T0 + 4).count, 3);
	assert_int_equal(status(fx->act, "excel", T0 + 4).count, 3);
	assert_int_equal(status(fx->act, "excel", T0 + 4).activated, 1);
	assert_int_equal(status(fx->act, "cad", T0 + 4).count, 1);

	act_foreach_machine(fx->act, "office", on_machine, &ma);
	assert_int_equal(ma.n, 3);
	assert_string_equal(ma.m[0].product, "excel");
	assert_string_equal(ma.m[0].group, "office");
	assert_true(ma.m[0].last_seen == T0 + 3);
	assert_true(ma.m[0].activated_until == T0 + 2 + 180 * DAY);
	assert_true(ma.m[2].last_seen == T0);
	ma.n = 0;
	act_foreach_machine(fx->act, NULL, on_machine, &ma);
	assert_int_equal(ma.n, 4);
}

/* Uncapped, a group keeps 2 x its highest threshold, newest first. */
static void
test_retention(void **state)
{
	struct fixture *fx = *state;
	struct act_product p = product("p", "", 3, 2, 0);
	struct machines_arg ma = {0};
	struct act_reply rep;
	char id[ACT_ID_MAX];
	unsigned i;

	configure_ok(fx->act, &p, 1);
	for (i = 0; i < 10; i++)
		ask(fx->act, "p", i, ACT_CLASS_CLIENT, T0 + i, &rep);
	assert_int_equal(rep.count, 6);
	assert_int_equal(count_type(&fx->rec, ACT_EV_FORGET), 4);
	act_foreach_machine(fx->act, "p", on_machine, &ma);
	assert_int_equal(ma.n, 6);
	for (i = 0; i < 6; i++) {
		uuid(id, sizeof(id), 9 - i);
		assert_string_equal(ma.m[i].machine_id, id);
	}
	/* The oldest went first, by the window, not by an administrator. */
	for (i = 0; i < fx->rec.n; i++) {
		if (fx->rec.ev[i].type != ACT_EV_FORGET)
			continue;
		assert_int_equal(fx->rec.ev[i].purged, 0);
	}
	uuid(id, sizeof(id), 0);
	for (i = 0; i < fx->rec.n && fx->rec.ev[i].type != ACT_EV_FORGET; i++)
		;
	assert_string_equal(fx->rec.ev[i].m.machine_id, id);

	/* Stale machines go before counted ones. */
	act_tick(fx->act, T0 + 40 * DAY);
	ask(fx->act, "p", 100, ACT_CLASS_CLIENT, T0 + 40 * DAY, &rep);
	assert_int_equal(rep.count, 1);
	ma.n = 0;
	act_foreach_machine(fx->act, "p", on_machine, &ma);
	assert_int_equal(ma.n, 6);
	uuid(id, sizeof(id), 100);
	assert_string_equal(ma.m[0].machine_id, id);

	/* A lower threshold trims at the next tick. */
	p.threshold_client = 1;
	p.threshold_server = 1;
	configure_ok(fx->act, &p, 1);
	act_tick(fx->act, T0 + 40 * DAY);
	ma.n = 0;
	act_foreach_machine(fx->act, "p", on_machine, &ma);
	assert_int_equal(ma.n, 2);
}

static void
test_purge(void **state)
{
	struct fixture *fx = *state;
	struct act_product p = product("p", "grp", 0, 0, 0);
	char id[ACT_ID_MAX];
	size_t i;

	configure_ok(fx->act, &p, 1);
	ask(fx->act, "p", 1, ACT_CLASS_CLIENT, T0, NULL);
	ask(fx->act, "p", 2, ACT_CLASS_CLIENT, T0, NULL);
	uuid(id, sizeof(id), 1);
	for (i = 0; id[i] != '\0'; i++)
		if (id[i] >= 'a' && id[i] <= 'f')
			id[i] -= 'a' - 'A';
	assert_int_equal(act_purge(fx->act, "p", id, T0 + 1), -1);
	assert_int_equal(act_purge(fx->act, "grp", "junk", T0 + 1), -1);
	assert_int_equal(act_purge(fx->act, "grp", id, T0 + 1), 0);
	assert_int_equal(fx->rec.ev[fx->rec.n - 1].type, ACT_EV_FORGET);
	assert_int_equal(fx->rec.ev[fx->rec.n - 1].purged, 1);
	assert_int_equal(fx->rec.ev[fx->rec.n - 1].count, 1);
	assert_string_equal(fx->rec.ev[fx->rec.n - 1].m.group, "grp");
	assert_int_equal(act_purge(fx->act, "grp", id, T0 + 1), -1);
	assert_int_equal(status(fx->act, "p", T0 + 1).count, 1);
	/* Purged, it comes back as new. */
	ask(fx->act, "p", 1, ACT_CLASS_CLIENT, T0 + 2, NULL);
	assert_true(fx->rec.ev[fx->rec.n - 1].m.first_seen == T0 + 2);
	assert_int_equal(fx->rec.ev[fx->rec.n - 1].count, 2);
}

struct bad_case {
	const char *product;
	const char *id;
	int cls;
	enum act_result want;
};

static const struct bad_case bad_cases[] = {
    {"p", "", 0, ACT_BAD_REQUEST},
    {"p", NULL, 0, ACT_BAD_REQUEST},
    {"p", "not-a-uuid", 0, ACT_BAD_REQUEST},
    {"p", "0123456789abcdef0123456789abcdef", 0, ACT_BAD_REQUEST},
    {"p", "01234567-89ab-cdef-0123-456789abcde", 0, ACT_BAD_REQUEST},
    {"p", "01234567-89ab-cdef-0123-456789abcdef0", 0, ACT_BAD_REQUEST},
    {"p", "{01234567-89ab-cdef-0123-456789abcdef}", 0, ACT_BAD_REQUEST},
    {"p", "01234567-89ab-cdef-0123-456789abcdeg", 0, ACT_BAD_REQUEST},
    {"p", "01234567+89ab-cdef-0123-456789abcdef", 0, ACT_BAD_REQUEST},
    {"p", "0123456-789ab-cdef-0123-456789abcdef", 0, ACT_BAD_REQUEST},
    {"p", " 1234567-89ab-cdef-0123-456789abcdef", 0, ACT_BAD_REQUEST},
    {"p", "01234567-89ab-cdef-0123-456789abcdef", 7, ACT_BAD_REQUEST},
    {"", "01234567-89ab-cdef-0123-456789abcdef", 0, ACT_BAD_REQUEST},
    {NULL, "01234567-89ab-cdef-0123-456789abcdef", 0, ACT_BAD_REQUEST},
    {"nope", "01234567-89ab-cdef-0123-456789abcdef", 0, ACT_UNKNOWN_PRODUCT},
    {"nope", "bad", 0, ACT_BAD_REQUEST},
    {"p", "01234567-89AB-CDEF-0123-456789ABCDEF", 0, ACT_BELOW_THRESHOLD},
};

/* Refused requests change nothing and are reported all the same. */
static void
test_bad_requests(void **state)
{
	struct fixture *fx = *state;
	struct act_product p = product("p", "", 0, 0, 0);
	const struct bad_case *bc;
	struct act_request req;
	struct act_reply rep;
	struct count_arg st;
	size_t i;

	configure_ok(fx->act, &p, 1);
	for (i = 0; i < sizeof(bad_cases) / sizeof(*bc); i++) {
		bc = &bad_cases[i];
		memset(&req, 0, sizeof(req));
		req.product = bc->product;
		req.machine_id = bc->id;
		req.cls = (enum act_class)bc->cls;
		act_request(fx->act, &req, T0, &rep);
		if (rep.result != bc->want)
			fail_msg("case %zu (%s, %s): %s", i,
			    bc->product ? bc->product : "NULL",
			    bc->id ? bc->id : "NULL",
			    act_result_name(rep.result));
		assert_int_equal(fx->rec.n, i + 1);
		assert_int_equal(fx->rec.ev[i].type, ACT_EV_REQUEST);
		assert_int_equal(fx->rec.ev[i].result, bc->want);
		if (bc->want != ACT_BELOW_THRESHOLD) {
			assert_true(fx->rec.ev[i].m.first_seen == 0);
			assert_int_equal(rep.count, 0);
		}
	}
	st = status(fx->act, "p", T0);
	assert_int_equal(st.count, 1);
	/* A bad request naming a known product counts for it. */
	assert_true(st.requests[ACT_BAD_REQUEST] == 12);
	assert_true(st.requests[ACT_BELOW_THRESHOLD] == 1);
	assert_true(st.requests[ACT_UNKNOWN_PRODUCT] == 0);
	assert_string_equal(fx->rec.ev[14].m.machine_id,
	    "01234567-89ab-cdef-0123-456789abcdef");
	assert_string_equal(fx->rec.ev[14].m.product, "nope");
}

struct conf_case {
	const char *name;
	struct act_product p[2];
	size_t n;
	const char *err;
};

#define P(nm, grp) .name = nm, .group = grp

static const struct conf_case conf_cases[] = {
    {"duplicate", {{P("a", "")}, {P("a", "g")}}, 2, "listed twice"},
    {"no name", {{P("", "")}}, 1, "needs a name"},
    {"negative threshold", {{P("a", ""), .threshold_client = -1}}, 1,
	"threshold_client"},
    {"server threshold", {{P("a", ""), .threshold_server = -5}}, 1,
	"threshold_server"},
    {"retry", {{P("a", ""), .retry_minutes = -1}}, 1, "retry_minutes"},
    {"renewal past validity",
	{{P("a", ""), .renewal_days = 10, .validity_days = 5}}, 1,
	"renewal_days"},
    {"window", {{P("a", ""), .window_days = 99999}}, 1, "window_days"},
    {"cap", {{P("a", ""), .cap = -1}}, 1, "cap"},
    {"windows disagree",
	{{P("a", "g"), .window_days = 10}, {P("b", "g"), .window_days = 20}}, 2,
	"share group g"},
    {"own name as group",
	{{P("a", ""), .window_days = 10}, {P("b", "a"), .window_days = 20}}, 2,
	"share group a"},
};

/* A refused configuration leaves the products and machines as they
 * were. */
static void
test_configure(void **state)
{
	struct fixture *fx = *state;
	struct act_product good[2] = {
	    product("a", "g", 2, 0, 0),
	    product("b", "g", 4, 0, 0),
	};
	const struct conf_case *cc;
	struct count_arg st;
	char err[256];
	size_t i;

	configure_ok(fx->act, good, 2);
	ask(fx->act, "a", 1, ACT_CLASS_CLIENT, T0, NULL);
	assert_int_equal(
	    ask(fx->act, "a", 2, ACT_CLASS_CLIENT, T0, NULL), ACT_ACTIVATED);
	for (i = 0; i < sizeof(conf_cases) / sizeof(*cc); i++) {
		cc = &conf_cases[i];
		err[0] = '\0';
		if (act_configure(fx->act, cc->p, cc->n, err, sizeof(err)) !=
		    -1)
			fail_msg("%s: accepted", cc->name);
		if (strstr(err, cc->err) == NULL)
			fail_msg(
			    "%s: \"%s\" lacks \"%s\"", cc->name, err, cc->err);
		st = status(fx->act, "a", T0);
		assert_int_equal(st.nprods, 2);
		assert_int_equal(st.count, 2);
		assert_int_equal(st.activated, 1);
	}

	/* Reconfigured: counters and machines stay; a group gone keeps its
	 * machines until the window lets them go. */
	good[0].threshold_client = 9;
	configure_ok(fx->act, good, 1);
	st = status(fx->act, "a", T0);
	assert_int_equal(st.nprods, 1);
	assert_int_equal(st.count, 2);
	assert_true(st.requests[ACT_ACTIVATED] == 1);
	snprintf(good[0].group, sizeof(good[0].group), "h");
	configure_ok(fx->act, good, 1);
	assert_int_equal(status(fx->act, "a", T0).count, 0);
	act_tick(fx->act, T0 + DAY);
	assert_int_equal(count_type(&fx->rec, ACT_EV_FORGET), 0);
	act_tick(fx->act, T0 + 30 * DAY);
	assert_int_equal(count_type(&fx->rec, ACT_EV_FORGET), 2);
	/* No products at all is a valid (empty) set. */
	configure_ok(fx->act, NULL, 0);
	assert_int_equal(status(fx->act, "a", T0).nprods, 0);
}

/* Machines put back from the journal count, renew and expire. */
static void
test_restore(void **state)
{
	struct fixture *fx = *state;
	struct act_product p = product("p", "", 3, 0, 0);
	struct act_machine_info m;
	struct act_reply rep;
	unsigned i;

	configure_ok(fx->act, &p, 1);
	/* Out of order on purpose: the expiries are sorted before use. */
	for (i = 0; i < 5; i++) {
		memset(&m, 0, sizeof(m));
		snprintf(m.group, sizeof(m.group), "p");
		snprintf(m.product, sizeof(m.product), "p");
		uuid(m.machine_id, sizeof(m.machine_id), i);
		m.first_seen = T0 - 40 * DAY;
		m.last_seen = T0 - (int64_t)(i * 10) * DAY;
		m.activated_until = i % 2 ? 0 : T0 + (int64_t)(10 - i) * DAY;
		assert_int_equal(act_restore(fx->act, &m), 0);
	}
	snprintf(m.machine_id, sizeof(m.machine_id), "bad");
	assert_int_equal(act_restore(fx->act, &m), -1);
	assert_int_equal(fx->rec.n, 0);

	/* Machines 0..2 are within 30 days; 3 and 4 are not. */
	assert_int_equal(status(fx->act, "p", T0).count, 3);
	act_tick(fx->act, T0);
	assert_int_equal(status(fx->act, "p", T0).count, 3);
	assert_int_equal(status(fx->act, "p", T0).activated, 3);
	assert_int_equal(ask(fx->act, "p", 2, ACT_CLASS_CLIENT, T0 + 1, &rep),
	    ACT_ACTIVATED);
	assert_int_equal(rep.renewed, 1);

	/* Machine 4 expires at +6 days, 0 at +10 (2 was renewed). */
	act_tick(fx->act, T0 + 6 * DAY);
	assert_int_equal(count_type(&fx->rec, ACT_EV_EXPIRE), 1);
	assert_int_equal(fx->rec.ev[fx->rec.n - 1].type, ACT_EV_EXPIRE);
	assert_string_equal(fx->rec.ev[fx->rec.n - 1].m.machine_id,
	    "00000004-0000-4000-8000-00000000001c");
	act_tick(fx->act, T0 + 10 * DAY);
	assert_int_equal(count_type(&fx->rec, ACT_EV_EXPIRE), 2);
	assert_int_equal(status(fx->act, "p", T0 + 10 * DAY).activated, 1);
}

/* Machines before act_configure and in a group no product names yet. */
static void
test_restore_unconfigured(void **state)
{
	struct fixture *fx = *state;
	struct act_product p = product("late", "", 1, 0, 0);
	struct act_machine_info m;
	struct act_reply rep;

	memset(&m, 0, sizeof(m));
	snprintf(m.group, sizeof(m.group), "late");
	uuid(m.machine_id, sizeof(m.machine_id), 1);
	m.first_seen = m.last_seen = T0;
	assert_int_equal(act_restore(fx->act, &m), 0);
	configure_ok(fx->act, &p, 1);
	ask(fx->act, "late", 2, ACT_CLASS_CLIENT, T0 + 1, &rep);
	assert_int_equal(rep.count, 2);
}

/*
 * 200,000 machines asking one a second against a one-day window, some of
 * them again later (back in the count or moved to its head): at
 * checkpoints the table's count is checked against a brute-force count of
 * the model, as the window slides and after.
 */
#define BIG_N 200000
#define BIG_STEP 1000LL /* ms between requests */

static int
brute_count(const int64_t *seen, size_t n, int64_t now, int64_t window)
{
	size_t i;
	int c = 0;

	for (i = 0; i < n; i++)
		if (seen[i] != 0 && seen[i] > now - window)
			c++;
	return c;
}

static void
test_large(void **state)
{
	struct recorder rec = {0};
	struct act_product p = product("big", "", 1000000, 1000000, 0);
	struct act_reply rep;
	int64_t *seen, now = T0, next;
	uint32_t lcg = 12345;
	unsigned i, who;
	struct act *a;

	p.window_days = 1;
	a = act_new(record, &rec);
	assert_non_null(a);
	configure_ok(a, &p, 1);
	seen = calloc(BIG_N, sizeof(*seen));
	assert_non_null(seen);

	for (i = 0; i < BIG_N; i++) {
		now = T0 + (int64_t)i * BIG_STEP;
		who = i;
		/* One request in eight is an older machine asking again,
		 * anywhere from just seen to long out of the window. */
		lcg = lcg * 1103515245u + 12345u;
		if (i > 0 && (lcg >> 16) % 8 == 0)
			who = (lcg >> 8) % i;
		ask(a, "big", who, ACT_CLASS_CLIENT, now, &rep);
		seen[who] = now;
		if (i % 20000 == 19999 || i == BIG_N - 1)
			assert_int_equal(
			    rep.count, brute_count(seen, BIG_N, now, DAY));
		if (i % 50000 == 49999)
			act_tick(a, now);
	}
	assert_int_equal(
	    status(a, "big", now).count, brute_count(seen, BIG_N, now, DAY));

	/* Time passes with no request: the window empties step by step. */
	while ((next = act_tick(a, now)) != 0) {
		assert_true(next > now);
		now += HOUR_MS(3);
		/* The view first, then the table after a tick. */
		assert_int_equal(status(a, "big", now).count,
		    brute_count(seen, BIG_N, now, DAY));
		act_tick(a, now);
		assert_int_equal(status(a, "big", now).count,
		    brute_count(seen, BIG_N, now, DAY));
	}
	assert_int_equal(status(a, "big", now).count, 0);
	assert_int_equal(rec.n, BIG_N); /* requests only: nothing forgotten */
	act_free(a);
	free(seen);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test_setup_teardown(
		test_count_distinct, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_window, setup, teardown),
	    cmocka_unit_test(test_threshold),
	    cmocka_unit_test_setup_teardown(test_renew_expire, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_configure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_restore_unconfigured, setup, teardown),
	    cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
