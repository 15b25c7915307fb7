/*
 * Unit tests of the core's sentinel rules: leases renewed by core_renew()
 * and checked in as lease-expired when they lapse, LEASE= on the line,
 * SHARE= and SHARE_LIMIT= (and SHARE_LIMIT on DUP_GROUP), HOLD=, COMMUTER=
 * as a borrow, tokens, queued requests that keep their lease, and the
 * attributes the lsmon view reads.  Time is driven by hand.
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

/* A checkout with a lease (seconds) and a sharing id, as the sentinel
 * front end makes it. */
static struct core_result
sco(struct fx *fx, const char *user, const char *host, uint64_t s,
    const char *feature, int count, int lease, const char *share, int queue,
    int64_t now)
{
	struct who w = {user, host, ":0", "10.0.0.1", "", s};
	struct core_client cl = client_of(&w);
	struct core_checkout_req req;
	struct core_result res;

	cl.frontend = "sentinel";
	cl.vendor_string = share;
	memset(&req, 0, sizeof(req));
	req.feature = feature;
	req.count = count;
	req.queue = queue;
	req.lease = lease;
	req.tag = 500 + s;
	core_checkout(fx->c, &cl, &req, now, &res);
	return res;
}

static void
test_lease_expires(void **state)
{
	struct fx *fx = *state;
	struct core_grant_info gi;
	struct core_result r;
	int64_t next;

	feat(fx, "cad", "1.0", 2);
	configured(fx);

	r = sco(fx, "alice", "pc1", 1, "cad", 1, 30, NULL, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_int_equal(r.lease, 30);
	assert_int_equal(last(fx)->gi.lease, 30);
	assert_true(last(fx)->gi.lease_until == T0 + 30 * SEC);

	/* Renewed at 20 s: lives until 50 s. */
	assert_int_equal(
	    core_renew(fx->c, 1, r.handle, 30, T0 + 20 * SEC, &gi), CORE_OK);
	assert_true(gi.lease_until == T0 + 50 * SEC);
	next = core_tick(fx->c, T0 + 31 * SEC);
	assert_int_equal(held(fx, "cad"), 1);
	assert_true(next != 0 && next <= T0 + 50 * SEC);

	/* Only its session renews it. */
	assert_int_equal(
	    core_renew(fx->c, 2, r.handle, 30, T0 + 40 * SEC, NULL),
	    CORE_E_NOT_OWNER);
	assert_int_equal(core_renew(fx->c, 1, 999, 30, T0 + 40 * SEC, NULL),
	    CORE_E_NO_GRANT);

	core_tick(fx->c, T0 + 50 * SEC);
	assert_int_equal(held(fx, "cad"), 0);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKIN);
	assert_int_equal(last(fx)->ev.release, CORE_REL_LEASE_EXPIRED);
	assert_string_equal(
	    core_release_name(CORE_REL_LEASE_EXPIRED), "lease-expired");
	assert_int_equal(
	    core_renew(fx->c, 1, r.handle, 30, T0 + 51 * SEC, NULL),
	    CORE_E_NO_GRANT);
}

static void
test_lease_line_and_flex(void **state)
{
	struct fx *fx = *state;
	struct core_feature_info fi;
	struct core_result r;

	attr(feat(fx, "cad", "1.0", 3), "LEASE", "10");
	configured(fx);

	/* LEASE= replaces the front end's default. */
	r = sco(fx, "alice", "pc1", 1, "cad", 1, 300, NULL, 0, T0);
	assert_int_equal(r.lease, 10);
	/* A flex checkout asks for no lease and gets none. */
	r = co(fx, "bob", "pc2", 2, "cad", 1);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_int_equal(r.lease, 0);
	core_tick(fx->c, T0 + 11 * SEC);
	assert_int_equal(held(fx, "cad"), 1);
	assert_int_equal(last(fx)->ev.release, CORE_REL_LEASE_EXPIRED);
	assert_string_equal(last(fx)->gi.user, "alice");

	fi = finfo(fx, "cad");
	assert_int_equal(fi.lease, 10);
}

static void
test_lease_restored_then_renewed(void **state)
{
	struct fx *fx = *state;
	struct core_grant_info gi;
	struct core_client cl;
	struct who w = {"alice", "pc1", "", "", "", 5};

	feat(fx, "cad", "1.0", 2);
	configured(fx);
	memset(&gi, 0, sizeof(gi));
	gi.handle = 77;
	snprintf(gi.feature, sizeof(gi.feature), "cad");
	snprintf(gi.version, sizeof(gi.version), "1.0");
	snprintf(gi.user, sizeof(gi.user), "alice");
	snprintf(gi.host, sizeof(gi.host), "pc1");
	gi.count = 1;
	gi.start = T0;
	assert_int_equal(core_restore(fx->c, &gi, T0), 0);
	cl = client_of(&w);
	assert_int_equal(core_resume(fx->c, &cl, 77, T0 + SEC, NULL), CORE_OK);
	/* Resumed without a lease; the first renewal gives it one. */
	assert_int_equal(
	    core_renew(fx->c, 5, 77, 20, T0 + 2 * SEC, &gi), CORE_OK);
	assert_int_equal(gi.lease, 20);
	core_tick(fx->c, T0 + 22 * SEC);
	assert_int_equal(held(fx, "cad"), 0);
	assert_int_equal(last(fx)->ev.release, CORE_REL_LEASE_EXPIRED);
}

static void
test_tokens(void **state)
{
	struct fx *fx = *state;
	struct core_result r;

	feat(fx, "sim", "1.0", 10);
	configured(fx);
	r = sco(fx, "alice", "pc1", 1, "sim", 7, 300, NULL, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_int_equal(r.count, 7);
	r = sco(fx, "bob", "pc2", 2, "sim", 4, 300, NULL, 0, T0);
	assert_int_equal(r.status, CORE_DENIED);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);
	r = sco(fx, "bob", "pc2", 2, "sim", 3, 300, NULL, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_int_equal(finfo(fx, "sim").in_use, 10);
}

static void
test_share_user_limit(void **state)
{
	struct fx *fx = *state;
	struct core_feature_info fi;
	struct core_result r[4];

	{
		struct core_line *l = feat(fx, "cad", "1.0", 2);

		attr(l, "SHARE", "user");
		attr(l, "SHARE_LIMIT", "2");
	}
	configured(fx);

	/* alice twice: one token shared; the third alice starts a set. */
	r[0] = sco(fx, "alice", "pc1", 1, "cad", 1, 300, NULL, 0, T0);
	r[1] = sco(fx, "alice", "pc2", 2, "cad", 1, 300, NULL, 0, T0);
	assert_int_equal(r[1].status, CORE_GRANTED);
	assert_int_equal(finfo(fx, "cad").in_use, 1);
	r[2] = sco(fx, "alice", "pc3", 3, "cad", 1, 300, NULL, 0, T0);
	assert_int_equal(r[2].status, CORE_GRANTED);
	assert_int_equal(finfo(fx, "cad").in_use, 2);
	/* All tokens taken: bob is refused, a fourth alice joins set 2. */
	r[3] = sco(fx, "bob", "pc4", 4, "cad", 1, 300, NULL, 0, T0);
	assert_int_equal(r[3].status, CORE_DENIED);
	r[3] = sco(fx, "alice", "pc4", 4, "cad", 1, 300, NULL, 0, T0);
	assert_int_equal(r[3].status, CORE_GRANTED);
	assert_int_equal(finfo(fx, "cad").in_use, 2);

	/* The token of a set comes back with its last sharer. */
	assert_int_equal(core_checkin(fx->c, 1, r[0].handle, T0), CORE_OK);
	assert_int_equal(finfo(fx, "cad").in_use, 2);
	assert_int_equal(core_checkin(fx->c, 2, r[1].handle, T0), CORE_OK);
	assert_int_equal(finfo(fx, "cad").in_use, 1);

	fi = finfo(fx, "cad");
	assert_int_equal(fi.share, CORE_SHARE_USER);
	assert_int_equal(fi.share_limit, 2);
}

static void
test_share_sets_survive_reload(void **state)
{
	struct fx *fx = *state;
	struct core_line *l = feat(fx, "cad", "1.0", 3);
	int i;

	attr(l, "SHARE", "user");
	attr(l, "SHARE_LIMIT", "2");
	configured(fx);
	for (i = 1; i <= 5; i++)
		assert_int_equal(sco(fx, "alice", "pc", (uint64_t)i, "cad", 1,
				     300, NULL, 0, T0)
				     .status,
		    CORE_GRANTED);
	assert_int_equal(finfo(fx, "cad").in_use, 3);
	/* A reload puts every grant back in a set of at most two. */
	assert_int_equal(configure(fx, T0 + SEC), 0);
	assert_int_equal(finfo(fx, "cad").in_use, 3);
	/* A higher limit regroups them: all five share one token. */
	fx->lines[0].nattrs = 0;
	attr(&fx->lines[0], "SHARE", "user");
	attr(&fx->lines[0], "SHARE_LIMIT", "5");
	assert_int_equal(configure(fx, T0 + 2 * SEC), 0);
	assert_int_equal(finfo(fx, "cad").in_use, 1);
}

static void
test_share_id_and_host(void **state)
{
	struct fx *fx = *state;
	struct core_result r;

	attr(feat(fx, "cad", "1.0", 1), "SHARE", "id");
	attr(feat(fx, "cam", "1.0", 1), "SHARE", "host");
	configured(fx);

	r = sco(fx, "alice", "pc1", 1, "cad", 1, 300, "job-7", 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	r = sco(fx, "bob", "pc2", 2, "cad", 1, 300, "job-7", 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	r = sco(fx, "carol", "pc3", 3, "cad", 1, 300, "job-8", 0, T0);
	assert_int_equal(r.status, CORE_DENIED);
	assert_int_equal(finfo(fx, "cad").in_use, 1);

	r = sco(fx, "alice", "pc1", 1, "cam", 1, 300, NULL, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	r = sco(fx, "bob", "pc1", 2, "cam", 1, 300, NULL, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	r = sco(fx, "bob", "pc2", 2, "cam", 1, 300, NULL, 0, T0);
	assert_int_equal(r.status, CORE_DENIED);
	assert_int_equal(finfo(fx, "cam").share, CORE_SHARE_HOST);
}

static void
test_share_limit_dup_group(void **state)
{
	struct fx *fx = *state;
	struct core_line *l;

	/* SHARE_LIMIT limits DUP_GROUP sets as well. */
	l = feat(fx, "cad", "1.0", 5);
	attr(l, "DUP_GROUP", "UH");
	attr(l, "SHARE_LIMIT", "3");
	configured(fx);
	assert_int_equal(co(fx, "a", "h", 1, "cad", 1).status, CORE_GRANTED);
	assert_int_equal(co(fx, "a", "h", 2, "cad", 1).status, CORE_GRANTED);
	assert_int_equal(co(fx, "a", "h", 3, "cad", 1).status, CORE_GRANTED);
	assert_int_equal(finfo(fx, "cad").in_use, 1);
	assert_int_equal(co(fx, "a", "h", 4, "cad", 1).status, CORE_GRANTED);
	assert_int_equal(finfo(fx, "cad").in_use, 2);
}

static void
test_bad_attributes(void **state)
{
	struct fx *fx = *state;
	struct core_line *l;

	l = feat(fx, "cad", "1.0", 5);
	attr(l, "SHARE", "seat");
	assert_int_equal(configure(fx, T0), -1);
	assert_non_null(strstr(fx->err, "SHARE="));

	fx->lic.nlines = 0;
	l = feat(fx, "cad", "1.0", 5);
	attr(l, "SHARE_LIMIT", "2");
	assert_int_equal(configure(fx, T0), -1);

	fx->lic.nlines = 0;
	l = feat(fx, "cad", "1.0", 5);
	attr(l, "SHARE", "user");
	attr(l, "DUP_GROUP", "U");
	assert_int_equal(configure(fx, T0), -1);

	fx->lic.nlines = 0;
	l = feat(fx, "cad", "1.0", 5);
	attr(l, "LEASE", "0");
	assert_int_equal(configure(fx, T0), -1);

	fx->lic.nlines = 0;
	l = feat(fx, "cad", "1.0", 5);
	attr(l, "COMMUTER", "7");
	attr(l, "BORROW", "24");
	assert_int_equal(configure(fx, T0), -1);

	fx->lic.nlines = 0;
	l = feat(fx, "cad", "1.0", 5);
	attr(l, "HOLD", "x");
	assert_int_equal(configure(fx, T0), -1);
}

static void
test_hold(void **state)
{
	struct fx *fx = *state;
	struct core_result r;

	attr(feat(fx, "cad", "1.0", 1), "HOLD", "60");
	configured(fx);
	assert_int_equal(finfo(fx, "cad").hold, 60);

	r = sco(fx, "alice", "pc1", 1, "cad", 1, 300, NULL, 0, T0);
	assert_int_equal(r.hold, 60);
	assert_int_equal(core_checkin(fx->c, 1, r.handle, T0 + SEC), CORE_OK);
	assert_int_equal(last(fx)->ev.type, CORE_EV_LINGER);
	/* Held: bob gets nothing, alice takes it back with a fresh lease. */
	assert_int_equal(
	    sco(fx, "bob", "pc2", 2, "cad", 1, 300, NULL, 0, T0 + 2 * SEC)
		.status,
	    CORE_DENIED);
	r = sco(fx, "alice", "pc1", 3, "cad", 1, 300, NULL, 0, T0 + 3 * SEC);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_true(last(fx)->gi.lease_until == T0 + 303 * SEC);
	/* Released again: the hold ends after 60 s and bob gets it. */
	assert_int_equal(
	    core_checkin(fx->c, 3, r.handle, T0 + 4 * SEC), CORE_OK);
	core_tick(fx->c, T0 + 64 * SEC);
	assert_int_equal(held(fx, "cad"), 0);
	assert_int_equal(
	    sco(fx, "bob", "pc2", 2, "cad", 1, 300, NULL, 0, T0 + 65 * SEC)
		.status,
	    CORE_GRANTED);
}

static void
test_queue_keeps_lease(void **state)
{
	struct fx *fx = *state;
	struct core_result a, b;

	feat(fx, "cad", "1.0", 1);
	configured(fx);
	a = sco(fx, "alice", "pc1", 1, "cad", 1, 30, NULL, 0, T0);
	b = sco(fx, "bob", "pc2", 2, "cad", 1, 30, NULL, 1, T0);
	assert_int_equal(b.status, CORE_QUEUED);
	assert_int_equal(
	    core_checkin(fx->c, 1, a.handle, T0 + 5 * SEC), CORE_OK);
	/* Granted from the queue, with a lease from the grant. */
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_int_equal(last(fx)->ev.from_queue, 1);
	assert_int_equal(last(fx)->gi.lease, 30);
	assert_true(last(fx)->gi.lease_until == T0 + 35 * SEC);
	core_tick(fx->c, T0 + 35 * SEC);
	assert_int_equal(last(fx)->ev.release, CORE_REL_LEASE_EXPIRED);
}

static void
test_commuter(void **state)
{
	struct fx *fx = *state;
	struct core_checkout_req req;
	struct core_feature_info fi;
	struct core_client cl;
	struct core_result r;
	struct who w = {"alice", "laptop", "", "10.0.0.9", "", 1};

	attr(feat(fx, "cad", "1.0", 2), "COMMUTER", "7");
	feat(fx, "cam", "1.0", 2);
	configured(fx);
	fi = finfo(fx, "cad");
	assert_int_equal(fi.borrow_hours, 7 * 24);
	assert_int_equal(finfo(fx, "cam").borrow_hours, -1);

	cl = client_of(&w);
	memset(&req, 0, sizeof(req));
	req.feature = "cad";
	req.count = 1;
	core_borrow(fx->c, &cl, &req, T0 + 8 * DAY, T0, &r);
	assert_int_equal(r.status, CORE_DENIED);
	assert_int_equal(r.reason, CORE_E_BORROW_TOO_LONG);
	core_borrow(fx->c, &cl, &req, T0 + 7 * DAY, T0, &r);
	assert_int_equal(r.status, CORE_GRANTED);
	/* Counted while away; the session closing changes nothing. */
	core_session_closed(fx->c, 1, T0 + SEC);
	assert_int_equal(finfo(fx, "cad").in_use, 1);
	/* An administrator cleans it. */
	assert_int_equal(core_remove(fx->c, r.handle, T0 + DAY), CORE_OK);
	assert_int_equal(last(fx)->ev.release, CORE_REL_ADMIN);
	assert_int_equal(finfo(fx, "cad").in_use, 0);

	req.feature = "cam";
	core_borrow(fx->c, &cl, &req, T0 + DAY, T0, &r);
	assert_int_equal(r.reason, CORE_E_NOT_BORROWABLE);
}

static void
test_reserved_counts(void **state)
{
	struct fx *fx = *state;
	struct core_feature_info fi;

	feat(fx, "cad", "1.0", 5);
	rule(fx, CORE_OPT_RESERVE, "cad", CORE_WHO_USER, "alice", 2);
	configured(fx);
	assert_int_equal(
	    co(fx, "alice", "pc1", 1, "cad", 1).status, CORE_GRANTED);
	assert_int_equal(
	    co(fx, "bob", "pc2", 2, "cad", 1).status, CORE_GRANTED);
	fi = finfo(fx, "cad");
	assert_int_equal(fi.in_use, 2);
	assert_int_equal(fi.reserved_used, 1);
	assert_int_equal(fi.reserved_free, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_lease_expires, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_lease_line_and_flex, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_lease_restored_then_renewed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_share_user_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_share_sets_survive_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_share_id_and_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_share_limit_dup_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_bad_attributes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hold, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_queue_keeps_lease, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commuter, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_reserved_counts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
