/*
 * Unit tests of borrowing in the core: BORROW lines, MAX_BORROW_HOURS,
 * BORROW_LOWWATER, INCLUDE_BORROW and EXCLUDE_BORROW, seats counted while
 * borrowed, expiry and early return with their release reasons, and a
 * borrowed grant's independence from sessions, TIMEOUT and the resume
 * grace.  Configurations are built as structs; time is driven by hand.
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

#define HOUR (3600 * SEC)

/* The core's default settings but for the resume grace. */
static int
bsetup(void **state)
{
	struct fx *fx = fx_alloc();

	fx->st.resume_grace = 120;
	return fx_start(fx, state);
}

/* An INCREMENT line; borrow NULL for none, "" for BORROW alone. */
static void
bline(struct fx *fx, const char *feature, int count, const char *borrow)
{
	struct core_line *l = feat(fx, feature, "1.0", count);

	if (borrow != NULL)
		attr(l, "BORROW", borrow);
}

static struct core_client
bclient(const char *user, uint64_t session)
{
	struct core_client cl;

	memset(&cl, 0, sizeof(cl));
	cl.user = user;
	cl.host = "ws1";
	cl.frontend = "flex";
	cl.session = session;
	cl.owner = (struct core_owner *)(uintptr_t)(0x1000 + session);
	return cl;
}

static struct core_result
borrow(struct fx *fx, const char *user, uint64_t session, const char *f,
    int count, int64_t until, int64_t now)
{
	struct core_client cl = bclient(user, session);
	struct core_checkout_req req;
	struct core_result res;

	memset(&req, 0, sizeof(req));
	req.feature = f;
	req.count = count;
	req.tag = 9;
	core_borrow(fx->c, &cl, &req, until, now, &res);
	return res;
}

static struct core_result
checkout(struct fx *fx, const char *user, uint64_t session, const char *f,
    int count, int queue)
{
	struct core_client cl = bclient(user, session);
	struct core_checkout_req req;
	struct core_result res;

	memset(&req, 0, sizeof(req));
	req.feature = f;
	req.count = count;
	req.queue = queue;
	core_checkout(fx->c, &cl, &req, T0, &res);
	return res;
}

static int
in_use(struct fx *fx, const char *f)
{
	return finfo(fx, f).in_use;
}

static void
test_borrow_granted(void **state)
{
	struct fx *fx = *state;
	struct core_result r;

	bline(fx, "F", 3, "2");
	configured(fx);
	r = borrow(fx, "alice", 1, "F", 2, T0 + HOUR, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_int_equal(r.count, 2);
	assert_int_equal(in_use(fx, "F"), 2);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_null(last(fx)->ev.owner);
	assert_int_equal(last(fx)->ev.tag, 9);
	assert_true(last(fx)->gi.borrowed_until == T0 + HOUR);
	assert_true(last(fx)->gi.session == 0);
	/* The seats are gone for others. */
	r = checkout(fx, "bob", 2, "F", 2, 0);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);
	assert_int_equal(
	    checkout(fx, "bob", 2, "F", 1, 0).status, CORE_GRANTED);
}

static void
test_borrow_refused(void **state)
{
	struct fx *fx = *state;

	bline(fx, "F", 4, "2");
	bline(fx, "G", 4, NULL);
	bline(fx, "D", 4, "");
	bline(fx, "M", 4, "10");
	rule(fx, CORE_OPT_MAX_BORROW_HOURS, "M", CORE_WHO_NONE, "", 1);
	rule(fx, CORE_OPT_BORROW_LOWWATER, "F", CORE_WHO_NONE, "", 2);
	rule(fx, CORE_OPT_EXCLUDE_BORROW, "F", CORE_WHO_USER, "mallory", 0);
	rule(fx, CORE_OPT_INCLUDE_BORROW, "M", CORE_WHO_USER, "alice", 0);
	configured(fx);

	assert_int_equal(borrow(fx, "alice", 1, "G", 1, T0 + HOUR, T0).reason,
	    CORE_E_NOT_BORROWABLE);
	assert_int_equal(last(fx)->ev.type, CORE_EV_DENY);
	assert_int_equal(
	    borrow(fx, "alice", 1, "F", 1, T0 + 2 * HOUR + 1, T0).reason,
	    CORE_E_BORROW_TOO_LONG);
	assert_int_equal(
	    borrow(fx, "alice", 1, "F", 1, T0, T0).reason, CORE_E_BAD_REQUEST);
	assert_int_equal(borrow(fx, "alice", 1, "X", 1, T0 + HOUR, T0).reason,
	    CORE_E_UNKNOWN_FEATURE);
	/* BORROW without a value: FlexLM's 168 hours. */
	assert_int_equal(
	    borrow(fx, "alice", 1, "D", 1, T0 + 169 * HOUR, T0).reason,
	    CORE_E_BORROW_TOO_LONG);
	assert_int_equal(
	    borrow(fx, "alice", 1, "D", 1, T0 + 168 * HOUR, T0).status,
	    CORE_GRANTED);
	/* MAX_BORROW_HOURS below the line's BORROW=10. */
	assert_int_equal(
	    borrow(fx, "alice", 1, "M", 1, T0 + HOUR + SEC, T0).reason,
	    CORE_E_BORROW_TOO_LONG);
	assert_int_equal(
	    borrow(fx, "alice", 1, "M", 1, T0 + HOUR, T0).status, CORE_GRANTED);
	/* INCLUDE_BORROW names alice only; EXCLUDE_BORROW mallory. */
	assert_int_equal(borrow(fx, "bob", 2, "M", 1, T0 + HOUR, T0).reason,
	    CORE_E_NOT_INCLUDED);
	assert_int_equal(borrow(fx, "mallory", 3, "F", 1, T0 + HOUR, T0).reason,
	    CORE_E_EXCLUDED);
	/* Neither keeps them from an ordinary checkout. */
	assert_int_equal(
	    checkout(fx, "mallory", 3, "F", 1, 0).status, CORE_GRANTED);
	assert_int_equal(
	    checkout(fx, "bob", 2, "M", 1, 0).status, CORE_GRANTED);

	/* BORROW_LOWWATER 2 of 4: two may be borrowed, whatever else is
	 * in use. */
	assert_int_equal(borrow(fx, "alice", 1, "F", 3, T0 + HOUR, T0).reason,
	    CORE_E_BORROW_LOWWATER);
	assert_int_equal(
	    borrow(fx, "alice", 1, "F", 2, T0 + HOUR, T0).status, CORE_GRANTED);
	assert_int_equal(borrow(fx, "bob", 2, "F", 1, T0 + HOUR, T0).reason,
	    CORE_E_BORROW_LOWWATER);
	assert_int_equal(in_use(fx, "F"), 3);
	assert_string_equal(
	    core_reason_name(CORE_E_BORROW_LOWWATER), "borrow-lowwater");
	assert_string_equal(
	    core_reason_name(CORE_E_NOT_BORROWABLE), "not-borrowable");
	assert_string_equal(
	    core_reason_name(CORE_E_BORROW_TOO_LONG), "borrow-too-long");
}

/* No session holds it: a disconnect, a heartbeat timeout, a CHECKIN or
 * a RESUME leave it alone. */
static void
test_borrow_no_session(void **state)
{
	struct fx *fx = *state;
	struct core_client cl = bclient("alice", 5);
	struct core_result r;

	bline(fx, "F", 2, "48");
	rule(fx, CORE_OPT_TIMEOUT, "F", CORE_WHO_NONE, "", 900);
	configured(fx);
	r = borrow(fx, "alice", 1, "F", 1, T0 + 24 * HOUR, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	core_session_closed(fx->c, 1, T0 + SEC);
	assert_int_equal(in_use(fx, "F"), 1);
	assert_int_equal(
	    core_checkin(fx->c, 1, r.handle, T0 + SEC), CORE_E_NOT_OWNER);
	assert_int_equal(core_resume(fx->c, &cl, r.handle, T0 + SEC, NULL),
	    CORE_E_NOT_OWNER);
	/* Well past TIMEOUT and the resume grace. */
	(void)core_tick(fx->c, T0 + 2 * HOUR);
	assert_int_equal(in_use(fx, "F"), 1);
	assert_int_equal(core_grant_count(fx->c), 1);
}

static void
test_borrow_expires(void **state)
{
	struct fx *fx = *state;
	struct core_result r, q;
	int64_t next;

	bline(fx, "F", 1, "1");
	configured(fx);
	r = borrow(fx, "alice", 1, "F", 1, T0 + 10 * SEC, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	/* Someone waits for the seat. */
	q = checkout(fx, "bob", 2, "F", 1, 1);
	assert_int_equal(q.status, CORE_QUEUED);
	next = core_tick(fx->c, T0 + 5 * SEC);
	assert_true(next == T0 + 10 * SEC);
	assert_int_equal(in_use(fx, "F"), 1);
	fx->nev = 0;
	(void)core_tick(fx->c, T0 + 10 * SEC);
	assert_true(fx->nev >= 2);
	assert_int_equal(fx->ev[0].ev.type, CORE_EV_CHECKIN);
	assert_int_equal(fx->ev[0].ev.release, CORE_REL_BORROW_EXPIRED);
	assert_true(fx->ev[0].gi.handle == r.handle);
	assert_int_equal(fx->ev[1].ev.type, CORE_EV_CHECKOUT);
	assert_int_equal(fx->ev[1].ev.from_queue, 1);
	assert_string_equal(fx->ev[1].gi.user, "bob");
	assert_string_equal(
	    core_release_name(CORE_REL_BORROW_EXPIRED), "borrow-expired");
}

static void
test_borrow_return(void **state)
{
	struct fx *fx = *state;
	struct core_client alice = bclient("alice", 7);
	struct core_client bob = bclient("bob", 8);
	struct core_result r, c;

	bline(fx, "F", 2, "1");
	configured(fx);
	r = borrow(fx, "alice", 1, "F", 1, T0 + HOUR, T0);
	c = checkout(fx, "alice", 1, "F", 1, 0);
	assert_int_equal(c.status, CORE_GRANTED);
	assert_int_equal(core_borrow_return(fx->c, &bob, r.handle, T0 + SEC),
	    CORE_E_NOT_OWNER);
	/* An ordinary grant is not returned this way. */
	assert_int_equal(core_borrow_return(fx->c, &alice, c.handle, T0 + SEC),
	    CORE_E_NO_GRANT);
	/* Alice, from another session. */
	assert_int_equal(
	    core_borrow_return(fx->c, &alice, r.handle, T0 + SEC), CORE_OK);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKIN);
	assert_int_equal(last(fx)->ev.release, CORE_REL_BORROW_RETURN);
	assert_int_equal(in_use(fx, "F"), 1);
	assert_int_equal(core_borrow_return(fx->c, &alice, r.handle, T0 + SEC),
	    CORE_E_NO_GRANT);
	assert_string_equal(
	    core_release_name(CORE_REL_BORROW_RETURN), "borrow-return");
	/* An administrator may still remove one. */
	r = borrow(fx, "alice", 1, "F", 1, T0 + HOUR, T0 + SEC);
	assert_int_equal(core_remove(fx->c, r.handle, T0 + 2 * SEC), CORE_OK);
	assert_int_equal(last(fx)->ev.release, CORE_REL_ADMIN);
}

/* After a restart a borrowed grant stays to its end, without the resume
 * grace; one whose end passed while licd was down goes at the first
 * tick. */
static void
test_borrow_restore(void **state)
{
	struct fx *fx = *state;
	struct core_grant_info gi;

	bline(fx, "F", 3, "2");
	configured(fx);
	memset(&gi, 0, sizeof(gi));
	gi.handle = 40;
	snprintf(gi.feature, sizeof(gi.feature), "F");
	snprintf(gi.version, sizeof(gi.version), "1.0");
	snprintf(gi.user, sizeof(gi.user), "alice");
	snprintf(gi.host, sizeof(gi.host), "ws1");
	gi.count = 1;
	gi.start = T0 - HOUR;
	gi.borrowed_until = T0 + HOUR;
	assert_int_equal(core_restore(fx->c, &gi, T0), 0);
	gi.handle = 41;
	gi.borrowed_until = T0 - SEC;
	assert_int_equal(core_restore(fx->c, &gi, T0), 0);
	assert_int_equal(in_use(fx, "F"), 2);

	fx->nev = 0;
	(void)core_tick(fx->c, T0);
	assert_int_equal(fx->nev, 1);
	assert_true(fx->ev[0].gi.handle == 41);
	assert_int_equal(fx->ev[0].ev.release, CORE_REL_BORROW_EXPIRED);
	/* Past the 120 s grace: still there. */
	(void)core_tick(fx->c, T0 + 200 * SEC);
	assert_int_equal(in_use(fx, "F"), 1);
	(void)core_tick(fx->c, T0 + HOUR);
	assert_int_equal(in_use(fx, "F"), 0);
	assert_int_equal(last(fx)->ev.release, CORE_REL_BORROW_EXPIRED);
}

/* A reload keeps borrows, and their ends. */
static void
test_borrow_reload(void **state)
{
	struct fx *fx = *state;
	struct core_result r;

	bline(fx, "F", 3, "2");
	configured(fx);
	r = borrow(fx, "alice", 1, "F", 1, T0 + HOUR, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	fx->lines[0].count = 5;
	configured(fx);
	assert_int_equal(in_use(fx, "F"), 1);
	(void)core_tick(fx->c, T0 + HOUR);
	assert_int_equal(in_use(fx, "F"), 0);
	assert_int_equal(last(fx)->ev.release, CORE_REL_BORROW_EXPIRED);
}

/* A bad BORROW value is a configuration error with its line. */
static void
test_borrow_bad_value(void **state)
{
	struct fx *fx = *state;

	bline(fx, "F", 3, "soon");
	assert_int_equal(core_configure(fx->c, &fx->st, &fx->lic, 1, NULL, T0,
			     fx->err, sizeof(fx->err)),
	    -1);
	assert_non_null(strstr(fx->err, "test.lic:1:"));
	assert_non_null(strstr(fx->err, "BORROW=soon"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_borrow_granted, bsetup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_borrow_refused, bsetup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_borrow_no_session, bsetup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_borrow_expires, bsetup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_borrow_return, bsetup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_borrow_restore, bsetup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_borrow_reload, bsetup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_borrow_bad_value, bsetup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
