/*
 * Unit tests of the FlexLM licence-file semantics in the core: INCREMENT
 * pools, UPGRADE, PACKAGE and SUITE, SUPERSEDE, expiry and the line view,
 * DUP_GROUP, USER_BASED and HOST_BASED, OVERDRAFT and MAX_OVERDRAFT.  The
 * fixture is core_fixture.h, shared with test_core.c: configurations built
 * as structs, time driven by hand, events recorded by the sink.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/core/core.h"

#include "core_fixture.h"

/* A client with a display and a vendor string, on session s. */
static struct core_result
co_dv(struct fx *fx, const char *user, const char *host, const char *display,
    const char *vs, uint64_t s, const char *feature)
{
	struct who w = {user, host, display, "10.0.0.1", "", s};
	struct core_checkout_req req;
	struct core_client cl = client_of(&w);
	struct core_result res;

	cl.vendor_string = vs;
	memset(&req, 0, sizeof(req));
	req.feature = feature;
	req.count = 1;
	req.tag = 7000 + s;
	core_checkout(fx->c, &cl, &req, T0, &res);
	return res;
}

static void
expect_error(struct fx *fx, const char *want)
{
	if (configure(fx, T0) != -1)
		fail_msg("configuration accepted; wanted \"%s\"", want);
	if (strstr(fx->err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", fx->err, want);
}

/* ---- INCREMENT pools ------------------------------------------------- */

/* Two INCREMENT lines of one seat each: a checkout of two seats needs one
 * pool of two, so it is granted exactly when the lines share a pool. */
static void
test_increment_pools(void **state)
{
	static const struct {
		const char *key, *a, *b;
		int split;
	} cases[] = {
	    {"VENDOR_STRING", "lo=NNU", "lo=CN", 1},
	    {"VENDOR_STRING", "lo=CN", "lo=CN", 0},
	    {"BORROW", "720", "24", 1},
	    {"DUP_GROUP", "UH", "U", 1},
	    {"DUP_GROUP", "UH", "UH", 0},
	    {"HOSTID", "ID=1", "ID=2", 1},
	    {"USER_BASED", "2", "3", 1},
	    {"HOST_BASED", "", "", 0},
	    {"NOTICE", "a", "b", 0},
	    {"ISSUED", "1-jan-2024", "2-jan-2024", 0},
	    {NULL, NULL, NULL, 0},
	};
	struct fx *fx;
	struct core_line *l;
	struct core_result r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup((void **)&fx);
		l = feat(fx, "F", "1", 1);
		if (cases[i].key != NULL)
			attr(l, cases[i].key, cases[i].a);
		l = feat(fx, "F", "1", 1);
		if (cases[i].key != NULL)
			attr(l, cases[i].key, cases[i].b);
		rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_USER, "u", 0);
		rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_HOST, "h", 0);
		configured(fx);
		assert_int_equal(finfo(fx, "F").issued, 2);
		r = co(fx, "u", "h", 1, "F", 2);
		if ((r.status == CORE_GRANTED) == cases[i].split ||
		    (cases[i].split && r.reason != CORE_E_TOO_MANY))
			fail_msg("case %zu (%s): status %d reason %d", i,
			    cases[i].key ? cases[i].key : "none", r.status,
			    r.reason);
		teardown((void **)&fx);
	}
}

/* ---- UPGRADE ----------------------------------------------------------- */

static void
test_upgrade(void **state)
{
	struct fx *fx = *state;
	struct core_line *l;
	struct core_result r;

	feat(fx, "F", "1.0", 3);
	feat(fx, "F", "3.0", 2); /* out of [1.0, 2.0): not upgraded */
	l = line(fx, CORE_LINE_UPGRADE, "F", "2.0", 2);
	snprintf(l->from_version, sizeof(l->from_version), "1.0");
	configured(fx);

	/* 3 seats in all still, 2 of them at 2.0 now; pools are tried in
	 * licence-file order: 1.0, 3.0, then the upgrade's 2.0. */
	assert_int_equal(finfo(fx, "F").issued, 5);
	r = co_full(fx, &(struct who){"a", "h", "", "", "", 1}, "F", "2.0", 2,
	    0, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_string_equal(r.version, "3.0");
	r = co_full(fx, &(struct who){"b", "h", "", "", "", 2}, "F", "1.0", 2,
	    0, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_string_equal(r.version, "2.0");
	r = co_full(fx, &(struct who){"c", "h", "", "", "", 3}, "F", "1.0", 1,
	    0, 0, T0);
	assert_string_equal(r.version, "1.0");
	assert_int_equal(co(fx, "d", "h", 4, "F", 1).reason, CORE_E_NO_SEATS);

	/* Nothing in [from, to) to upgrade: an error with file and line. */
	snprintf(l->from_version, sizeof(l->from_version), "1.5");
	expect_error(fx, "test.lic:3: UPGRADE of F finds no earlier line");
	snprintf(l->from_version, sizeof(l->from_version), "2.0");
	expect_error(fx, "does not go up");
}

/* ---- PACKAGE ------------------------------------------------------------ */

static void
test_package(void **state)
{
	struct fx *fx = *state;
	struct core_line *p;

	p = line(fx, CORE_LINE_PACKAGE, "PK", "1.5", 0);
	attr(p, "COMPONENTS", "a b:2.0 c:3.0:4");
	feat(fx, "PK", "1.0", 2);
	configured(fx);

	/* Without SUITE the package itself is not served. */
	assert_int_equal(finfo(fx, "PK").issued, -1);
	assert_int_equal(finfo(fx, "a").issued, 2);
	assert_string_equal(finfo(fx, "a").version, "1.5");
	assert_string_equal(finfo(fx, "b").version, "2.0");
	assert_int_equal(finfo(fx, "c").issued, 8);
	assert_string_equal(finfo(fx, "c").version, "3.0");
	assert_int_equal(co(fx, "u", "h", 1, "c", 8).status, CORE_GRANTED);

	attr(p, "OPTIONS", "");
	p->attrs[0].value = (char *)(uintptr_t) "a b:x";
	expect_error(fx, "test.lic:1: bad component \"b:x\" of PACKAGE PK");
	p->attrs[0].value = (char *)(uintptr_t) "a:1:0";
	expect_error(fx, "bad component");
	p->attrs[0].value = (char *)(uintptr_t) " ";
	expect_error(fx, "PACKAGE PK without COMPONENTS");
}

static void
test_suite(void **state)
{
	struct fx *fx = *state;
	struct core_line *p;
	struct core_result r1, r2, r3;
	size_t n;

	p = line(fx, CORE_LINE_PACKAGE, "ST", "1", 0);
	attr(p, "COMPONENTS", "a b");
	attr(p, "OPTIONS", "SUITE");
	feat(fx, "ST", "1", 1);
	configured(fx);
	assert_int_equal(finfo(fx, "ST").issued, 1);

	/* The first component takes the suite seat as well... */
	r1 = co(fx, "u", "h", 1, "a", 1);
	assert_int_equal(r1.status, CORE_GRANTED);
	assert_int_equal(fx->ev[fx->nev - 2].ev.type, CORE_EV_CHECKOUT);
	assert_string_equal(fx->ev[fx->nev - 2].gi.feature, "a");
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_string_equal(last(fx)->gi.feature, "ST");
	assert_null(last(fx)->ev.owner);
	assert_int_equal(finfo(fx, "ST").in_use, 1);

	/* ...the next one by the same user and host shares it... */
	n = fx->nev;
	r2 = co(fx, "u", "h", 1, "b", 1);
	assert_int_equal(r2.status, CORE_GRANTED);
	assert_int_equal(fx->nev, n + 1);
	assert_int_equal(finfo(fx, "ST").in_use, 1);

	/* ...and someone else finds the suite full. */
	r3 = co(fx, "v", "h2", 2, "a", 1);
	assert_int_equal(r3.reason, CORE_E_NO_SEATS);

	/* The suite seat goes back with the last component. */
	assert_int_equal(core_checkin(fx->c, 1, r1.handle, T0), CORE_OK);
	assert_int_equal(finfo(fx, "ST").in_use, 1);
	assert_int_equal(core_checkin(fx->c, 1, r2.handle, T0), CORE_OK);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKIN);
	assert_string_equal(last(fx)->gi.feature, "ST");
	assert_int_equal(finfo(fx, "ST").in_use, 0);
	assert_int_equal(co(fx, "v", "h2", 2, "a", 1).status, CORE_GRANTED);

	/* A closed session returns components and suite together. */
	core_session_closed(fx->c, 2, T0);
	assert_int_equal(core_grant_count(fx->c), 0);
	assert_int_equal(finfo(fx, "ST").in_use, 0);
}

/* ---- SUPERSEDE ----------------------------------------------------------- */

static void
test_supersede(void **state)
{
	static const struct {
		const char *old_issued; /* NULL: none */
		const char *list; /* the SUPERSEDE value */
		int issued_f, issued_g;
	} cases[] = {
	    {"1-jan-2023", "", 5, 4},
	    {NULL, "", 5, 4},
	    {"1-jan-2025", "", 7, 4},
	    {"1-jan-2024", "", 7, 4}, /* the same date is not older */
	    {"1-jan-2023", "F G", 5, 0},
	    {"1-jan-2023", "G", 7, 0},
	};
	struct fx *fx;
	struct core_line *l;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup((void **)&fx);
		l = line(fx, CORE_LINE_FEATURE, "F", "1", 2);
		if (cases[i].old_issued != NULL)
			attr(l, "ISSUED", cases[i].old_issued);
		l = feat(fx, "G", "1", 4);
		if (cases[i].old_issued != NULL)
			attr(l, "ISSUED", cases[i].old_issued);
		l = feat(fx, "F", "1", 5);
		attr(l, "SUPERSEDE", cases[i].list);
		attr(l, "ISSUED", "1-Jan-2024");
		configured(fx);
		if (finfo(fx, "F").issued != cases[i].issued_f ||
		    (finfo(fx, "G").issued == -1 ? 0 : finfo(fx, "G").issued) !=
			cases[i].issued_g)
			fail_msg("case %zu: F %d G %d", i,
			    finfo(fx, "F").issued, finfo(fx, "G").issued);
		teardown((void **)&fx);
	}
}

static void
test_supersede_errors(void **state)
{
	struct fx *fx = *state;
	struct core_line *l;

	feat(fx, "F", "1", 2);
	l = feat(fx, "F", "1", 5);
	attr(l, "SUPERSEDE", "");
	expect_error(fx, "test.lic:2: SUPERSEDE on F needs ISSUED");
	attr(l, "ISSUED", "32-jan-2024");
	expect_error(fx, "test.lic:2: ISSUED=32-jan-2024 is not a date");
}

/* ---- expiry and the line view -------------------------------------------- */

struct lines_seen {
	struct core_line_info v[8];
	size_t n;
};

static void
grab_line(void *arg, const struct core_line_info *li)
{
	struct lines_seen *ls = arg;

	assert_true(ls->n < 8);
	ls->v[ls->n++] = *li;
}

static void
test_lines_and_expiry(void **state)
{
	struct fx *fx = *state;
	struct lines_seen ls;
	struct core_line *l;

	l = feat(fx, "F", "1", 2);
	l->expiry = T0 + DAY;
	l = feat(fx, "F", "2", 3);
	l->expiry = 0; /* permanent */
	l->start = T0 - DAY;
	feat(fx, "N", "1", 0); /* uncounted: listed, never served */
	configured(fx);

	memset(&ls, 0, sizeof(ls));
	core_foreach_line(fx->c, T0, grab_line, &ls);
	assert_int_equal(ls.n, 3);
	assert_string_equal(ls.v[0].feature, "F");
	assert_string_equal(ls.v[0].version, "1");
	assert_int_equal(ls.v[0].count, 2);
	assert_true(ls.v[0].expiry == T0 + DAY);
	assert_int_equal(ls.v[0].expired, 0);
	assert_string_equal(ls.v[0].file, "test.lic");
	assert_int_equal(ls.v[0].lineno, 1);
	assert_string_equal(ls.v[1].version, "2");
	assert_true(ls.v[1].expiry == 0);
	assert_true(ls.v[1].start == T0 - DAY);
	assert_string_equal(ls.v[2].feature, "N");
	assert_int_equal(ls.v[2].uncounted, 1);
	assert_int_equal(ls.v[2].lineno, 3);

	/* Past its expiry a line no longer grants; the permanent one does. */
	memset(&ls, 0, sizeof(ls));
	core_foreach_line(fx->c, T0 + DAY, grab_line, &ls);
	assert_int_equal(ls.v[0].expired, 1);
	assert_int_equal(ls.v[1].expired, 0);
	assert_int_equal(co_full(fx, &(struct who){"u", "h", "", "", "", 1},
			     "F", NULL, 4, 0, 0, T0 + DAY)
			     .reason,
	    CORE_E_TOO_MANY);
	assert_int_equal(co_full(fx, &(struct who){"u", "h", "", "", "", 1},
			     "F", NULL, 3, 0, 0, T0 + DAY)
			     .status,
	    CORE_GRANTED);
	assert_int_equal(co(fx, "u", "h", 1, "N", 1).reason, CORE_E_UNCOUNTED);
}

/* ---- DUP_GROUP ------------------------------------------------------------
 */

static void
test_dup_group(void **state)
{
	static const struct {
		const char *dup; /* NULL: none */
		int seats; /* in use after the five checkouts below */
	} cases[] = {
	    {NULL, 5},
	    {"NONE", 5},
	    {"SITE", 1},
	    {"U", 2},
	    {"UH", 3},
	    {"UHD", 4},
	    {"UHDV", 5},
	    {"h", 2},
	    {"V", 2},
	};
	/* user, host, display, vendor string */
	static const char *const who[5][4] = {
	    {"u", "h1", "d1", "x"},
	    {"u", "h1", "d1", "y"},
	    {"u", "h1", "d2", "x"},
	    {"u", "h2", "d1", "x"},
	    {"v", "h2", "d1", "x"},
	};
	struct fx *fx;
	struct core_line *l;
	struct core_result r[5];
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup((void **)&fx);
		l = feat(fx, "F", "1", 9);
		if (cases[i].dup != NULL)
			attr(l, "DUP_GROUP", cases[i].dup);
		configured(fx);
		for (j = 0; j < 5; j++) {
			r[j] = co_dv(fx, who[j][0], who[j][1], who[j][2],
			    who[j][3], j + 1, "F");
			assert_int_equal(r[j].status, CORE_GRANTED);
			assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
		}
		if (finfo(fx, "F").in_use != cases[i].seats)
			fail_msg("DUP_GROUP=%s: %d seats", cases[i].dup,
			    finfo(fx, "F").in_use);
		/* Every grant is listed with its own handle and count. */
		assert_int_equal(held(fx, "F"), 5);
		assert_int_equal(last(fx)->ev.in_use_after, cases[i].seats);

		/* Each is returned on its own; the seats go with the last
		 * one of each set. */
		for (j = 0; j < 5; j++)
			assert_int_equal(
			    core_checkin(fx->c, j + 1, r[j].handle, T0),
			    CORE_OK);
		assert_int_equal(finfo(fx, "F").in_use, 0);
		teardown((void **)&fx);
	}
}

static void
test_dup_group_shares_when_full(void **state)
{
	struct fx *fx = *state;
	struct core_line *l;
	struct core_result a, b;

	l = feat(fx, "F", "1", 1);
	attr(l, "DUP_GROUP", "UH");
	configured(fx);
	a = co(fx, "u", "h", 1, "F", 1);
	assert_int_equal(a.status, CORE_GRANTED);
	/* Full, but the same user and host share the seat. */
	b = co(fx, "u", "h", 2, "F", 1);
	assert_int_equal(b.status, CORE_GRANTED);
	assert_true(b.handle != a.handle);
	assert_int_equal(co(fx, "w", "h", 3, "F", 1).reason, CORE_E_NO_SEATS);
	assert_int_equal(finfo(fx, "F").in_use, 1);

	/* The first holder leaves: the seat stays with the second. */
	assert_int_equal(core_checkin(fx->c, 1, a.handle, T0), CORE_OK);
	assert_int_equal(last(fx)->ev.in_use_after, 1);
	assert_int_equal(co(fx, "w", "h", 3, "F", 1).reason, CORE_E_NO_SEATS);
	assert_int_equal(core_checkin(fx->c, 2, b.handle, T0), CORE_OK);
	assert_int_equal(last(fx)->ev.in_use_after, 0);
	assert_int_equal(co(fx, "w", "h", 3, "F", 1).status, CORE_GRANTED);

	l->attrs[0].value = (char *)(uintptr_t) "UX";
	expect_error(fx, "test.lic:1: DUP_GROUP=UX is not NONE, SITE");
}

/* ---- USER_BASED and HOST_BASED ---------------------------------------------
 */

static void
test_user_based(void **state)
{
	struct fx *fx = *state;
	struct core_line *l;

	l = feat(fx, "F", "1", 2);
	attr(l, "USER_BASED", "2");
	group(fx, 0, "team", "carol", NULL);
	rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_USER, "alice", 0);
	rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_GROUP, "team", 0);
	/* A HOST rule names no user: it lets nobody in here. */
	rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_HOST, "h9", 0);
	configured(fx);

	/* A named user holds one seat from any number of hosts. */
	assert_int_equal(co(fx, "alice", "h1", 1, "F", 1).status, CORE_GRANTED);
	assert_int_equal(co(fx, "alice", "h2", 2, "F", 1).status, CORE_GRANTED);
	assert_int_equal(finfo(fx, "F").in_use, 1);
	assert_int_equal(
	    co(fx, "bob", "h9", 3, "F", 1).reason, CORE_E_NOT_INCLUDED);
	assert_int_equal(last(fx)->ev.type, CORE_EV_DENY);
	assert_int_equal(co(fx, "carol", "h3", 4, "F", 1).status, CORE_GRANTED);
	assert_int_equal(finfo(fx, "F").in_use, 2);

	/* More named users than USER_BASED allows. */
	rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_USER, "dave", 0);
	expect_error(fx,
	    "test.opt:104: INCLUDE names 3 users for F, but "
	    "its line test.lic:1 is USER_BASED=2");
}

static void
test_host_based(void **state)
{
	struct fx *fx = *state;
	struct core_line *l;

	l = feat(fx, "F", "1", 1);
	attr(l, "HOST_BASED", "");
	rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_HOST, "h1", 0);
	configured(fx);
	assert_int_equal(co(fx, "a", "h1", 1, "F", 1).status, CORE_GRANTED);
	assert_int_equal(co(fx, "b", "h1", 2, "F", 1).status, CORE_GRANTED);
	assert_int_equal(
	    co(fx, "a", "h2", 3, "F", 1).reason, CORE_E_NOT_INCLUDED);
	assert_int_equal(finfo(fx, "F").in_use, 1);

	rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_HOST, "h2", 0);
	expect_error(fx, "INCLUDE names 2 hosts for F");
	fx->opt.nrules = 1;
	attr(l, "USER_BASED", "");
	expect_error(fx, "both USER_BASED and HOST_BASED");
}

/* ---- OVERDRAFT
 * ---------------------------------------------------------------- */

static void
test_overdraft(void **state)
{
	static const struct {
		const char *overdraft;
		int max_overdraft; /* -1: no MAX_OVERDRAFT */
		int grants; /* one seat each, out of 5 tries */
	} cases[] = {
	    {NULL, -1, 2},
	    {"2", -1, 4},
	    {"2", 1, 3},
	    {"2", 0, 2},
	    {"0", 5, 2},
	};
	struct fx *fx;
	struct core_line *l;
	struct core_result r;
	size_t i, j;
	int n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup((void **)&fx);
		l = feat(fx, "F", "1", 2);
		if (cases[i].overdraft != NULL)
			attr(l, "OVERDRAFT", cases[i].overdraft);
		if (cases[i].max_overdraft >= 0)
			rule(fx, CORE_OPT_MAX_OVERDRAFT, "F", CORE_WHO_NONE, "",
			    cases[i].max_overdraft);
		configured(fx);
		for (n = 0, j = 0; j < 5; j++) {
			r = co(fx, "u", "h", j + 1, "F", 1);
			if (r.status != CORE_GRANTED) {
				assert_int_equal(r.reason, CORE_E_NO_SEATS);
				continue;
			}
			/* Only seats past the count are flagged. */
			assert_int_equal(last(fx)->gi.overdraft, n >= 2);
			n++;
		}
		if (n != cases[i].grants)
			fail_msg("case %zu: %d grants", i, n);
		assert_int_equal(finfo(fx, "F").issued, 2);
		assert_int_equal(finfo(fx, "F").in_use, n);
		teardown((void **)&fx);
	}
}

static void
test_overdraft_too_many(void **state)
{
	struct fx *fx = *state;
	struct core_line *l;

	l = feat(fx, "F", "1", 2);
	attr(l, "OVERDRAFT", "1");
	configured(fx);
	assert_int_equal(co(fx, "u", "h", 1, "F", 3).status, CORE_GRANTED);
	assert_int_equal(last(fx)->gi.overdraft, 1);
	assert_int_equal(co(fx, "u", "h", 2, "F", 4).reason, CORE_E_TOO_MANY);
	l->attrs[0].value = (char *)(uintptr_t) "x";
	expect_error(fx, "test.lic:1: OVERDRAFT=x is not a count");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_increment_pools),
	    cmocka_unit_test_setup_teardown(test_upgrade, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_package, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_suite, setup, teardown),
	    cmocka_unit_test(test_supersede),
	    cmocka_unit_test_setup_teardown(
		test_supersede_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_lines_and_expiry, setup, teardown),
	    cmocka_unit_test(test_dup_group),
	    cmocka_unit_test_setup_teardown(
		test_dup_group_shares_when_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_based, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_based, setup, teardown),
	    cmocka_unit_test(test_overdraft),
	    cmocka_unit_test_setup_teardown(
		test_overdraft_too_many, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
