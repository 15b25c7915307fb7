/*
 * Unit tests of the seat-accounting core.  Configurations are built as
 * structs here (not through the parsers), time is driven by hand, and every
 * state change is checked through a sink that records the events.
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

/* ---- versions, names ---------------------------------------------- */

static void
test_version_cmp(void **state)
{
	static const struct {
		const char *a, *b;
		int sign;
	} cases[] = {
	    {"61.10", "61.1", 0},
	    {"61.1", "61.9", -1},
	    {"61.10", "61.9", -1},
	    {"61.9", "61.10", 1},
	    {"51", "51.0", 0},
	    {"51", "50.99", 1},
	    {"2024.0", "2023.9", 1},
	    {"007", "7", 0},
	    {"10", "9", 1},
	    {"", "0", 0},
	    {"1.2.3", "1.2.10", -1},
	    {"1.2", "1.2.0", 0},
	    {"123456789012345", "99", 1},
	};
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = core_version_cmp(cases[i].a, cases[i].b);
		r = (r > 0) - (r < 0);
		if (r != cases[i].sign)
			fail_msg("%s vs %s: %d", cases[i].a, cases[i].b, r);
		r = core_version_cmp(cases[i].b, cases[i].a);
		r = (r > 0) - (r < 0);
		assert_int_equal(r, -cases[i].sign);
	}
	assert_int_equal(core_version_cmp(NULL, ""), 0);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(core_reason_name(CORE_E_NO_SEATS), "no-seats");
	assert_string_equal(
	    core_reason_text(CORE_E_NO_SEATS), "All licenses in use");
	assert_string_equal(core_reason_name(CORE_E_MAX), "max");
	assert_string_equal(
	    core_reason_name(CORE_E_BAD_REQUEST), "bad-request");
	assert_string_equal(
	    core_reason_name(CORE_E_NOT_INCLUDED), "not-included");
	assert_string_equal(core_reason_name(CORE_E_NOT_OWNER), "not-owner");
	assert_string_equal(core_reason_name((enum core_reason)99), "unknown");
	assert_string_equal(core_release_name(CORE_REL_CLIENT), "client");
	assert_string_equal(
	    core_release_name(CORE_REL_DISCONNECT), "disconnect");
	assert_string_equal(core_release_name(CORE_REL_TIMEOUT), "timeout");
	assert_string_equal(core_release_name(CORE_REL_ADMIN), "admin");
	assert_string_equal(
	    core_release_name(CORE_REL_NOT_RESUMED), "not-resumed");
	assert_string_equal(core_release_name(CORE_REL_SHUTDOWN), "shutdown");
	assert_string_equal(
	    core_release_name(CORE_REL_FEATURE_GONE), "feature-gone");
}

/* ---- basic checkout ------------------------------------------------ */

static void
test_limit(void **state)
{
	struct fx *fx = *state;
	struct core_result r;
	uint64_t h1;

	feat(fx, "F", "1.0", 3);
	configured(fx);

	r = co(fx, "alice", "ws1", 1, "F", 2);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_int_equal(r.count, 2);
	assert_string_equal(r.unit, "other");
	assert_string_equal(r.version, "1.0");
	h1 = r.handle;
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_int_equal(last(fx)->ev.in_use_after, 2);
	assert_int_equal(last(fx)->gi.handle, h1);
	assert_int_equal(last(fx)->ev.tag, 7001);
	assert_ptr_equal(last(fx)->ev.owner, (void *)(uintptr_t)0x1001);
	assert_string_equal(last(fx)->gi.vendor, "VEND");
	assert_string_equal(last(fx)->gi.user, "alice");

	r = co(fx, "bob", "ws2", 2, "F", 2);
	assert_int_equal(r.status, CORE_DENIED);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);
	assert_int_equal(last(fx)->ev.type, CORE_EV_DENY);
	assert_int_equal(last(fx)->ev.reason, CORE_E_NO_SEATS);
	assert_int_equal(last(fx)->gi.handle, 0);
	assert_int_equal(last(fx)->gi.count, 2);
	assert_string_equal(last(fx)->gi.user, "bob");

	r = co(fx, "bob", "ws2", 2, "F", 1);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_true(r.handle > h1);
	assert_int_equal(last(fx)->ev.in_use_after, 3);

	r = co(fx, "carol", "ws3", 3, "F", 1);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);
	r = co(fx, "carol", "ws3", 3, "F", 4);
	assert_int_equal(r.reason, CORE_E_TOO_MANY);

	assert_int_equal(finfo(fx, "F").in_use, 3);
	assert_int_equal(finfo(fx, "F").issued, 3);
	assert_int_equal(core_grant_count(fx->c), 2);
	assert_int_equal(core_feature_count(fx->c), 1);

	assert_int_equal(core_checkin(fx->c, 1, h1, T0 + SEC), CORE_OK);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKIN);
	assert_int_equal(last(fx)->ev.release, CORE_REL_CLIENT);
	assert_int_equal(last(fx)->ev.in_use_after, 1);
	assert_int_equal(last(fx)->gi.handle, h1);
	assert_int_equal(last(fx)->gi.count, 2);
	r = co(fx, "carol", "ws3", 3, "F", 2);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_int_equal(core_checkin(fx->c, 1, h1, T0), CORE_E_NO_GRANT);
}

static void
test_bad_requests(void **state)
{
	struct fx *fx = *state;
	char longname[100];
	struct who w = {"u", "h", "", "", "", 1};
	struct who w0 = {"u", "h", "", "", "", 0};
	struct core_result r;
	size_t n;

	feat(fx, "F", "1", 3);
	configured(fx);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';

	r = co_full(fx, &w, "F", NULL, 0, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_BAD_REQUEST);
	r = co_full(fx, &w, "F", NULL, -3, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_BAD_REQUEST);
	r = co_full(fx, &w, "", NULL, 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_BAD_REQUEST);
	r = co_full(fx, &w, NULL, NULL, 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_BAD_REQUEST);
	r = co_full(fx, &w, longname, NULL, 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_BAD_REQUEST);
	r = co_full(fx, &w, "F", "1.2345678901234567890", 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_BAD_REQUEST);
	r = co_full(fx, &w0, "F", NULL, 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_BAD_REQUEST);
	r = co_full(fx, &w, "G", NULL, 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_UNKNOWN_FEATURE);
	/* Bad requests come before unknown features. */
	r = co_full(fx, &w, "G", NULL, 0, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_BAD_REQUEST);

	n = fx->nev;
	assert_int_equal(n, 9);
	assert_int_equal(last(fx)->ev.type, CORE_EV_DENY);
	assert_int_equal(core_grant_count(fx->c), 0);
}

/* ---- licence lines ------------------------------------------------- */

static void
test_versions(void **state)
{
	struct fx *fx = *state;
	struct who w = {"u", "h", "", "", "", 1};
	struct core_result r;

	feat(fx, "F", "50", 1);
	feat(fx, "F", "61.9", 1);
	feat(fx, "F", "61.10", 1); /* == 61.1: below 61.9 */
	feat(fx, "F", "61.1", 1); /* joins the 61.10 pool */
	configured(fx);
	assert_string_equal(finfo(fx, "F").version, "61.9");
	assert_int_equal(finfo(fx, "F").issued, 4);

	r = co_full(fx, &w, "F", "62", 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_VERSION);
	r = co_full(fx, &w, "F", "61.2", 1, 0, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_string_equal(r.version, "61.9");
	r = co_full(fx, &w, "F", "61.2", 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);

	/* 61.1 is served by the 61.10 pool, which holds two seats. */
	r = co_full(fx, &w, "F", "61.1", 2, 0, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_string_equal(r.version, "61.10");

	/* No version: the first pool in file order that fits. */
	r = co_full(fx, &w, "F", "", 1, 0, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_string_equal(r.version, "50");
	r = co_full(fx, &w, "F", NULL, 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);
}

static void
test_whole_count_one_pool(void **state)
{
	struct fx *fx = *state;
	struct who w = {"u", "h", "", "", "", 1};
	struct core_result r;

	feat(fx, "F", "1", 2);
	feat(fx, "F", "2", 3);
	configured(fx);

	/* Three seats: only the version 2 pool can take them all. */
	r = co_full(fx, &w, "F", NULL, 3, 0, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_string_equal(r.version, "2");
	/* Two left in pool 1: three more can never come from one pool
	 * now, but could have, so that is "no seats", not "too many". */
	r = co_full(fx, &w, "F", NULL, 3, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);
	r = co_full(fx, &w, "F", NULL, 4, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_TOO_MANY);
}

static void
test_dates(void **state)
{
	struct fx *fx = *state;
	struct who w = {"u", "h", "", "", "", 1};
	struct core_result r;
	struct core_line *l;

	l = feat(fx, "OLD", "1", 2);
	l->expiry = T0 - DAY;
	l = feat(fx, "NEW", "1", 2);
	l->start = T0 + DAY;
	l = feat(fx, "MIX", "1", 1);
	l->expiry = T0 - DAY;
	l = feat(fx, "MIX", "1", 1);
	l->start = T0 + DAY;
	l = feat(fx, "SOON", "1", 1);
	l->expiry = T0 + 10 * SEC;
	l = feat(fx, "VER", "5", 1);
	l->expiry = T0 - DAY;
	feat(fx, "VER", "1", 1);
	configured(fx);

	r = co_full(fx, &w, "OLD", NULL, 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_EXPIRED);
	r = co_full(fx, &w, "NEW", NULL, 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_NOT_STARTED);
	r = co_full(fx, &w, "MIX", NULL, 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_NOT_STARTED);
	/* Version before dates. */
	r = co_full(fx, &w, "VER", "6", 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_VERSION);
	r = co_full(fx, &w, "VER", "5", 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_EXPIRED);
	r = co_full(fx, &w, "VER", "1", 1, 0, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_string_equal(r.version, "1");

	assert_int_equal(finfo(fx, "OLD").issued, 0);
	assert_int_equal(finfo(fx, "NEW").issued, 0);
	assert_int_equal(finfo(fx, "SOON").expiry, T0 + 10 * SEC);

	r = co_full(fx, &w, "NEW", NULL, 1, 0, 0, T0 + DAY);
	assert_int_equal(r.status, CORE_GRANTED);
	r = co_full(fx, &w, "SOON", NULL, 1, 0, 0, T0 + 9 * SEC);
	assert_int_equal(r.status, CORE_GRANTED);
	/* A grant outlives its line; new ones are refused. */
	r = co_full(fx, &w, "SOON", NULL, 1, 0, 0, T0 + 10 * SEC);
	assert_int_equal(r.reason, CORE_E_EXPIRED);
	assert_int_equal(held(fx, "SOON"), 1);
}

static void
test_line_start_serves_queue(void **state)
{
	struct fx *fx = *state;
	struct who a = {"a", "h", "", "", "", 1};
	struct who b = {"b", "h", "", "", "", 2};
	struct core_result r;
	struct core_line *l;
	int64_t next;

	feat(fx, "F", "1", 1);
	l = feat(fx, "F", "1", 1);
	l->start = T0 + 60 * SEC;
	configured(fx);

	r = co_full(fx, &a, "F", NULL, 1, 0, 0, T0);
	assert_int_equal(r.status, CORE_GRANTED);
	r = co_full(fx, &b, "F", NULL, 1, 1, 0, T0);
	assert_int_equal(r.status, CORE_QUEUED);
	assert_int_equal(r.position, 1);

	next = core_tick(fx->c, T0 + SEC);
	assert_int_equal(next, T0 + 60 * SEC);
	assert_int_equal(last(fx)->ev.type, CORE_EV_QUEUE);
	assert_int_equal(core_tick(fx->c, next), 0);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_int_equal(last(fx)->ev.from_queue, 1);
	assert_int_equal(last(fx)->ev.tag, 7002);
	assert_int_equal(last(fx)->ev.in_use_after, 2);
	assert_string_equal(last(fx)->gi.user, "b");
}

static void
test_uncounted(void **state)
{
	struct fx *fx = *state;
	struct core_result r;

	feat(fx, "NL", "1", 0);
	feat(fx, "BOTH", "1", 0);
	feat(fx, "BOTH", "1", 2);
	configured(fx);

	r = co(fx, "u", "h", 1, "NL", 1);
	assert_int_equal(r.reason, CORE_E_UNCOUNTED);
	assert_int_equal(finfo(fx, "NL").uncounted, 1);
	assert_int_equal(finfo(fx, "NL").issued, 0);
	assert_int_equal(finfo(fx, "BOTH").uncounted, 0);
	assert_int_equal(finfo(fx, "BOTH").issued, 2);
	r = co(fx, "u", "h", 1, "BOTH", 2);
	assert_int_equal(r.status, CORE_GRANTED);
}

static void
test_feature_vs_increment(void **state)
{
	struct fx *fx = *state;
	struct core_line *l;
	struct core_license_file second;
	struct core_line more[1];

	line(fx, CORE_LINE_FEATURE, "FF", "1", 2);
	line(fx, CORE_LINE_FEATURE, "FF", "1", 5); /* ignored */
	line(fx, CORE_LINE_FEATURE, "FF", "2", 7); /* ignored too */
	line(fx, CORE_LINE_INCREMENT, "II", "1", 3);
	line(fx, CORE_LINE_INCREMENT, "II", "1", 4);
	line(fx, CORE_LINE_FEATURE, "FI", "1", 2);
	line(fx, CORE_LINE_INCREMENT, "FI", "1", 3);
	line(fx, CORE_LINE_FEATURE, "FI", "1", 100); /* ignored */
	/* UPGRADE takes 2 seats of the nearest II line of a version in
	 * [1, 2) and serves them at version 2. */
	l = line(fx, CORE_LINE_UPGRADE, "II", "2", 2);
	snprintf(l->from_version, sizeof(l->from_version), "1");

	/* A second file: a FEATURE line there is a duplicate as well. */
	memset(&second, 0, sizeof(second));
	memset(more, 0, sizeof(more));
	more[0].type = CORE_LINE_FEATURE;
	snprintf(more[0].feature, sizeof(more[0].feature), "FF");
	snprintf(more[0].version, sizeof(more[0].version), "1");
	more[0].count = 50;
	second.lines = more;
	second.nlines = 1;
	{
		struct core_license_file both[2];

		both[0] = fx->lic;
		both[1] = second;
		assert_int_equal(core_configure(fx->c, &fx->st, both, 2, NULL,
				     T0, fx->err, sizeof(fx->err)),
		    0);
	}

	assert_int_equal(finfo(fx, "FF").issued, 2);
	assert_string_equal(finfo(fx, "FF").version, "1");
	assert_int_equal(finfo(fx, "II").issued, 7);
	assert_string_equal(finfo(fx, "II").version, "2");
	assert_int_equal(finfo(fx, "FI").issued, 5);
	assert_int_equal(core_feature_count(fx->c), 3);
	assert_int_equal(co(fx, "u", "h", 1, "II", 6).reason, CORE_E_TOO_MANY);
	assert_int_equal(co(fx, "u", "h", 1, "II", 5).status, CORE_GRANTED);
	assert_int_equal(co_full(fx, &(struct who){"v", "h", "", "", "", 2},
			     "II", "2", 2, 0, 0, T0)
			     .status,
	    CORE_GRANTED);
}

/* ---- units ----------------------------------------------------------- */

static void
test_units(void **state)
{
	static const struct {
		int nocase;
		const char *dflt;
		const char *user, *host;
		const char *unit; /* NULL: refused */
	} cases[] = {
	    {0, "other", "alice", "lab1", "physics"},
	    {0, "other", "bob", "lab1", "chem"}, /* GROUP wins */
	    {0, "other", "carol", "lab1", "labs"}, /* HOST_GROUP */
	    {0, "other", "carol", "lab99x", "labs"},
	    {0, "other", "carol", "ws7", "ws"}, /* ? wildcard */
	    {0, "other", "carol", "ws17", "other"},
	    {0, "", "carol", "ws17", NULL},
	    {0, "other", "ALICE", "LAB1", "other"},
	    {1, "other", "ALICE", "ws1", "physics"},
	    {1, "other", "dave", "LAB3", "labs"},
	    {0, "other", "dave", "LAB3", "other"},
	    {0, "other", "erin", "x", "physics"}, /* first GROUP */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *fx;
		struct core_result r;

		setup((void **)&fx);
		feat(fx, "F", "1", 10);
		group(fx, 0, "physics", "alice", "erin", NULL);
		group(fx, 0, "chem", "bob", "erin", NULL);
		group(fx, 1, "labs", "lab*", NULL);
		group(fx, 1, "ws", "ws?", NULL);
		fx->opt.group_case_insensitive = cases[i].nocase;
		snprintf(fx->st.default_unit, sizeof(fx->st.default_unit), "%s",
		    cases[i].dflt);
		configured(fx);

		r = co(fx, cases[i].user, cases[i].host, 1, "F", 1);
		if (cases[i].unit == NULL) {
			assert_int_equal(r.reason, CORE_E_NO_UNIT);
		} else {
			if (r.status != CORE_GRANTED ||
			    strcmp(r.unit, cases[i].unit) != 0)
				fail_msg(
				    "case %zu: %d %s", i, r.reason, r.unit);
			assert_string_equal(last(fx)->gi.unit, cases[i].unit);
		}
		teardown((void **)&fx);
	}
}

/* ---- INCLUDE / EXCLUDE ------------------------------------------- */

static void
test_include_exclude(void **state)
{
	struct fx *fx = *state;

	feat(fx, "F", "1", 10);
	feat(fx, "G", "1", 10);
	feat(fx, "H", "1", 10);
	group(fx, 0, "staff", "alice", "bob", NULL);
	rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_GROUP, "staff", 0);
	rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_USER, "carol", 0);
	rule(fx, CORE_OPT_EXCLUDE, "F", CORE_WHO_USER, "bob", 0);
	rule(fx, CORE_OPT_EXCLUDE, "G", CORE_WHO_HOST, "bad*", 0);
	rule(fx, CORE_OPT_INCLUDE, "NOSUCH", CORE_WHO_USER, "x", 0);
	configured(fx);

	assert_int_equal(co(fx, "alice", "h", 1, "F", 1).status, CORE_GRANTED);
	assert_int_equal(co(fx, "carol", "h", 1, "F", 1).status, CORE_GRANTED);
	/* EXCLUDE beats INCLUDE. */
	assert_int_equal(co(fx, "bob", "h", 1, "F", 1).reason, CORE_E_EXCLUDED);
	assert_int_equal(
	    co(fx, "dave", "h", 1, "F", 1).reason, CORE_E_NOT_INCLUDED);
	assert_int_equal(
	    co(fx, "dave", "badhost", 1, "G", 1).reason, CORE_E_EXCLUDED);
	assert_int_equal(
	    co(fx, "dave", "good", 1, "G", 1).status, CORE_GRANTED);
	assert_int_equal(
	    co(fx, "dave", "good", 1, "H", 1).status, CORE_GRANTED);
	/* Refusals before seats: a full feature still says excluded. */
	assert_int_equal(
	    co(fx, "dave", "good", 1, "G", 20).reason, CORE_E_TOO_MANY);
	assert_int_equal(
	    co(fx, "bob", "h", 1, "F", 20).reason, CORE_E_EXCLUDED);
}

static void
test_all_rules(void **state)
{
	struct fx *fx = *state;

	feat(fx, "F", "1", 10);
	feat(fx, "G", "1", 10);
	rule(fx, CORE_OPT_INCLUDEALL, "", CORE_WHO_USER, "alice", 0);
	rule(fx, CORE_OPT_INCLUDEALL, "", CORE_WHO_USER, "bob", 0);
	rule(fx, CORE_OPT_EXCLUDEALL, "", CORE_WHO_USER, "bob", 0);
	rule(fx, CORE_OPT_INCLUDE, "G", CORE_WHO_USER, "carol", 0);
	configured(fx);

	assert_int_equal(co(fx, "alice", "h", 1, "F", 1).status, CORE_GRANTED);
	assert_int_equal(co(fx, "alice", "h", 1, "G", 1).status, CORE_GRANTED);
	assert_int_equal(co(fx, "bob", "h", 1, "F", 1).reason, CORE_E_EXCLUDED);
	assert_int_equal(
	    co(fx, "carol", "h", 1, "F", 1).reason, CORE_E_NOT_INCLUDED);
	assert_int_equal(co(fx, "carol", "h", 1, "G", 1).status, CORE_GRANTED);
	assert_int_equal(
	    co(fx, "dave", "h", 1, "G", 1).reason, CORE_E_NOT_INCLUDED);
}

static void
test_rule_types(void **state)
{
	static const struct {
		enum core_who who;
		const char *name;
		struct who yes, no;
	} cases[] = {
	    {CORE_WHO_USER, "alice", {"alice", "h", "", "", "", 1},
		{"alicia", "h", "", "", "", 1}},
	    {CORE_WHO_HOST, "node-??.hpc", {"u", "node-07.hpc", "", "", "", 1},
		{"u", "node-107.hpc", "", "", "", 1}},
	    {CORE_WHO_HOST, "ws12", {"u", "ws12", "", "", "", 1},
		{"u", "ws123", "", "", "", 1}},
	    {CORE_WHO_DISPLAY, "/dev/pts/3",
		{"u", "h", "/dev/pts/3", "", "", 1},
		{"u", "h", "/dev/pts/4", "", "", 1}},
	    {CORE_WHO_GROUP, "staff", {"bob", "h", "", "", "", 1},
		{"carl", "h", "", "", "", 1}},
	    {CORE_WHO_HOST_GROUP, "labs", {"u", "lab9", "", "", "", 1},
		{"u", "lib9", "", "", "", 1}},
	    {CORE_WHO_INTERNET, "10.1.*.*", {"u", "h", "", "10.1.2.3", "", 1},
		{"u", "h", "", "10.2.2.3", "", 1}},
	    {CORE_WHO_INTERNET, "10.1.*", {"u", "h", "", "10.1.7", "", 1},
		{"u", "h", "", "10.1.2.3", "", 1}},
	    {CORE_WHO_INTERNET, "192.168.1.1?",
		{"u", "h", "", "192.168.1.12", "", 1},
		{"u", "h", "", "192.168.1.1", "", 1}},
	    {CORE_WHO_PROJECT, "apollo", {"u", "h", "", "", "apollo", 1},
		{"u", "h", "", "", "gemini", 1}},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *fx;
		struct core_result r;

		setup((void **)&fx);
		feat(fx, "INC", "1", 10);
		feat(fx, "EXC", "1", 10);
		group(fx, 0, "staff", "alice", "bob", NULL);
		group(fx, 1, "labs", "lab*", "gpu?", NULL);
		rule(fx, CORE_OPT_INCLUDE, "INC", cases[i].who, cases[i].name,
		    0);
		rule(fx, CORE_OPT_EXCLUDE, "EXC", cases[i].who, cases[i].name,
		    0);
		configured(fx);

		r = co_full(fx, &cases[i].yes, "INC", NULL, 1, 0, 0, T0);
		if (r.status != CORE_GRANTED)
			fail_msg("case %zu: include refused %d", i, r.reason);
		r = co_full(fx, &cases[i].no, "INC", NULL, 1, 0, 0, T0);
		if (r.reason != CORE_E_NOT_INCLUDED)
			fail_msg("case %zu: include took %d", i, r.reason);
		r = co_full(fx, &cases[i].yes, "EXC", NULL, 1, 0, 0, T0);
		if (r.reason != CORE_E_EXCLUDED)
			fail_msg("case %zu: exclude missed %d", i, r.reason);
		r = co_full(fx, &cases[i].no, "EXC", NULL, 1, 0, 0, T0);
		if (r.status != CORE_GRANTED)
			fail_msg("case %zu: exclude hit %d", i, r.reason);
		teardown((void **)&fx);
	}
}

static void
test_case_insensitive_rules(void **state)
{
	struct fx *fx = *state;

	feat(fx, "F", "1", 10);
	group(fx, 0, "Staff", "Alice", NULL);
	rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_GROUP, "Staff", 0);
	rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_USER, "Bob", 0);
	rule(fx, CORE_OPT_INCLUDE, "F", CORE_WHO_HOST, "LAB*", 0);
	fx->opt.group_case_insensitive = 1;
	configured(fx);

	assert_int_equal(co(fx, "alice", "x", 1, "F", 1).status, CORE_GRANTED);
	assert_int_equal(co(fx, "bob", "x", 1, "F", 1).status, CORE_GRANTED);
	assert_int_equal(co(fx, "zed", "lab3", 1, "F", 1).status, CORE_GRANTED);
	assert_int_equal(
	    co(fx, "zed", "x", 1, "F", 1).reason, CORE_E_NOT_INCLUDED);
}

/* ---- line selectors ------------------------------------------------ */

static void
test_qualifiers(void **state)
{
	struct fx *fx = *state;
	struct core_opt_rule *r;
	struct core_line *l;
	struct core_result res;
	struct who w = {"bob", "h", "", "", "", 2};

	l = feat(fx, "M", "51", 1);
	snprintf(l->key, sizeof(l->key), "ABCD1234");
	attr(l, "ASSET_INFO", "220668");
	l = feat(fx, "M", "51", 1);
	snprintf(l->key, sizeof(l->key), "EFGH5678");
	attr(l, "ASSET_INFO", "36678");
	feat(fx, "M", "52", 1);

	/* alice may use only the abcd line; bob never the 36678 one, nor
	 * version 52. */
	r = rule(fx, CORE_OPT_INCLUDE, "M", CORE_WHO_USER, "alice", 0);
	snprintf(r->qualifier, sizeof(r->qualifier), "key=abcd1234");
	r = rule(fx, CORE_OPT_EXCLUDE, "M", CORE_WHO_USER, "bob", 0);
	snprintf(r->qualifier, sizeof(r->qualifier), "asset_info=36678");
	r = rule(fx, CORE_OPT_EXCLUDE, "M", CORE_WHO_USER, "bob", 0);
	snprintf(r->qualifier, sizeof(r->qualifier), "VERSION=52.0");
	configured(fx);

	/* Each line is its own pool now: three seats in three pools. */
	assert_int_equal(finfo(fx, "M").issued, 3);

	/* carol is not on the key=abcd list, so she gets the others. */
	res = co(fx, "carol", "h", 3, "M", 1);
	assert_int_equal(res.status, CORE_GRANTED);
	assert_string_equal(res.version, "51");

	/* bob: not on the abcd list, kept from 36678 and from 52. */
	res = co(fx, "bob", "h", 2, "M", 1);
	assert_int_equal(res.reason, CORE_E_EXCLUDED);
	res = co_full(fx, &w, "M", "52", 1, 0, 0, T0);
	assert_int_equal(res.reason, CORE_E_EXCLUDED);

	res = co(fx, "alice", "h", 1, "M", 1);
	assert_int_equal(res.status, CORE_GRANTED);
	assert_string_equal(res.version, "51");
	res = co(fx, "alice", "h", 1, "M", 1);
	assert_int_equal(res.status, CORE_GRANTED);
	assert_string_equal(res.version, "52");
	res = co(fx, "alice", "h", 1, "M", 1);
	assert_int_equal(res.reason, CORE_E_NO_SEATS);
}

static void
test_qualifier_max(void **state)
{
	struct fx *fx = *state;
	struct core_opt_rule *r;
	struct core_line *l;

	l = feat(fx, "M", "1", 5);
	snprintf(l->key, sizeof(l->key), "k1");
	l = feat(fx, "M", "1", 5);
	snprintf(l->key, sizeof(l->key), "k2");
	r = rule(fx, CORE_OPT_MAX, "M", CORE_WHO_USER, "u", 1);
	snprintf(r->qualifier, sizeof(r->qualifier), "key=k1");
	configured(fx);

	/* One from k1, then k2 has no cap; once k2 is full, u waits for
	 * seats there ("no seats", not "max"). */
	assert_int_equal(co(fx, "u", "h", 1, "M", 1).status, CORE_GRANTED);
	assert_int_equal(co(fx, "u", "h", 1, "M", 5).status, CORE_GRANTED);
	assert_int_equal(co(fx, "u", "h", 1, "M", 1).reason, CORE_E_NO_SEATS);
	assert_int_equal(co(fx, "v", "h", 2, "M", 4).status, CORE_GRANTED);
}

/* ---- RESERVE ------------------------------------------------------- */

struct resv {
	struct core_reservation_info v[8];
	int n;
};

static void
grab_res(void *arg, const struct core_reservation_info *ri)
{
	struct resv *r = arg;

	r->v[r->n++] = *ri;
}

static void
test_reserve(void **state)
{
	struct fx *fx = *state;
	struct core_result r;
	struct resv rv;
	uint64_t hp1, ho;

	feat(fx, "F", "1", 5);
	group(fx, 0, "power", "p1", "p2", NULL);
	rule(fx, CORE_OPT_RESERVE, "F", CORE_WHO_GROUP, "power", 2);
	configured(fx);

	/* Others can reach only the three unreserved seats. */
	r = co(fx, "o1", "h", 1, "F", 4);
	assert_int_equal(r.reason, CORE_E_TOO_MANY);
	r = co(fx, "o1", "h", 1, "F", 3);
	assert_int_equal(r.status, CORE_GRANTED);
	ho = r.handle;
	r = co(fx, "o2", "h", 2, "F", 1);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);

	/* The power users have their two. */
	r = co(fx, "p1", "h", 3, "F", 1);
	assert_int_equal(r.status, CORE_GRANTED);
	hp1 = r.handle;
	memset(&rv, 0, sizeof(rv));
	core_foreach_reservation(fx->c, "F", grab_res, &rv);
	assert_int_equal(rv.n, 1);
	assert_int_equal(rv.v[0].count, 2);
	assert_int_equal(rv.v[0].used, 1);
	assert_int_equal(rv.v[0].who, CORE_WHO_GROUP);
	assert_string_equal(rv.v[0].name, "power");
	r = co(fx, "p2", "h", 4, "F", 1);
	assert_int_equal(r.status, CORE_GRANTED);
	r = co(fx, "p2", "h", 4, "F", 1);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);

	/* A general seat freed: a power user takes it from the general
	 * pool once the reservation is used up. */
	assert_int_equal(core_checkin(fx->c, 1, ho, T0), CORE_OK);
	r = co(fx, "p2", "h", 4, "F", 2);
	assert_int_equal(r.status, CORE_GRANTED);
	memset(&rv, 0, sizeof(rv));
	core_foreach_reservation(fx->c, NULL, grab_res, &rv);
	assert_int_equal(rv.v[0].used, 2);

	/* A reserved seat freed is for the power users only. */
	assert_int_equal(core_checkin(fx->c, 3, hp1, T0), CORE_OK);
	r = co(fx, "o2", "h", 2, "F", 1);
	assert_int_equal(r.status, CORE_GRANTED); /* the last general */
	r = co(fx, "o3", "h", 5, "F", 1);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);
	r = co(fx, "p1", "h", 3, "F", 1);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_int_equal(finfo(fx, "F").in_use, 5);
}

static void
test_reserve_over_total(void **state)
{
	struct fx *fx = *state;
	struct resv rv;

	feat(fx, "F", "1", 4);
	rule(fx, CORE_OPT_RESERVE, "F", CORE_WHO_USER, "a", 3);
	rule(fx, CORE_OPT_RESERVE, "F", CORE_WHO_USER, "b", 3);
	configured(fx);

	memset(&rv, 0, sizeof(rv));
	core_foreach_reservation(fx->c, "F", grab_res, &rv);
	assert_int_equal(rv.n, 2);
	assert_int_equal(rv.v[0].count, 3);
	assert_int_equal(rv.v[1].count, 1);

	assert_int_equal(co(fx, "c", "h", 1, "F", 1).reason, CORE_E_TOO_MANY);
	assert_int_equal(co(fx, "b", "h", 2, "F", 2).reason, CORE_E_TOO_MANY);
	assert_int_equal(co(fx, "b", "h", 2, "F", 1).status, CORE_GRANTED);
	assert_int_equal(co(fx, "a", "h", 3, "F", 3).status, CORE_GRANTED);
	assert_int_equal(co(fx, "a", "h", 3, "F", 1).reason, CORE_E_NO_SEATS);
}

/* ---- MAX ------------------------------------------------------------ */

static void
test_max(void **state)
{
	static const struct {
		enum core_who who;
		const char *name;
		int limit;
		struct who a, b; /* both fall under the rule */
		struct who free; /* does not */
	} cases[] = {
	    {CORE_WHO_USER, "u", 2, {"u", "h1", "", "", "", 1},
		{"u", "h2", "", "", "", 2}, {"v", "h1", "", "", "", 3}},
	    {CORE_WHO_HOST, "h1", 2, {"u", "h1", "", "", "", 1},
		{"v", "h1", "", "", "", 2}, {"u", "h2", "", "", "", 3}},
	    {CORE_WHO_GROUP, "g", 2, {"u", "h1", "", "", "", 1},
		{"v", "h2", "", "", "", 2}, {"w", "h1", "", "", "", 3}},
	    {CORE_WHO_HOST_GROUP, "hg", 2, {"u", "n1", "", "", "", 1},
		{"v", "n2", "", "", "", 2}, {"w", "m1", "", "", "", 3}},
	    {CORE_WHO_INTERNET, "10.*.*.*", 2,
		{"u", "h", "", "10.0.0.1", "", 1},
		{"v", "h", "", "10.0.0.2", "", 2},
		{"w", "h", "", "11.0.0.1", "", 3}},
	    {CORE_WHO_PROJECT, "p", 2, {"u", "h", "", "", "p", 1},
		{"v", "h", "", "", "p", 2}, {"w", "h", "", "", "q", 3}},
	    {CORE_WHO_DISPLAY, "d", 2, {"u", "h", "d", "", "", 1},
		{"v", "h", "d", "", "", 2}, {"w", "h", "e", "", "", 3}},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *fx;
		struct core_result r;

		setup((void **)&fx);
		feat(fx, "F", "1", 10);
		group(fx, 0, "g", "u", "v", NULL);
		group(fx, 1, "hg", "n*", NULL);
		rule(fx, CORE_OPT_MAX, "F", cases[i].who, cases[i].name,
		    cases[i].limit);
		configured(fx);

		r = co_full(fx, &cases[i].a, "F", NULL, 1, 0, 0, T0);
		assert_int_equal(r.status, CORE_GRANTED);
		r = co_full(fx, &cases[i].b, "F", NULL, 2, 1, 0, T0);
		if (r.reason != CORE_E_MAX)
			fail_msg("case %zu: %d", i, r.reason);
		assert_int_equal(last(fx)->ev.type, CORE_EV_DENY);
		r = co_full(fx, &cases[i].b, "F", NULL, 1, 0, 0, T0);
		assert_int_equal(r.status, CORE_GRANTED);
		r = co_full(fx, &cases[i].a, "F", NULL, 1, 0, 0, T0);
		assert_int_equal(r.reason, CORE_E_MAX);
		r = co_full(fx, &cases[i].free, "F", NULL, 3, 0, 0, T0);
		assert_int_equal(r.status, CORE_GRANTED);
		teardown((void **)&fx);
	}
}

/* ---- TIMEOUT, LINGER ----------------------------------------------- */

static void
test_timeout(void **state)
{
	struct fx *fx = *state;
	struct core_result r;
	uint64_t h1, h2;
	int64_t next;

	feat(fx, "F", "1", 3);
	feat(fx, "G", "1", 3);
	feat(fx, "N", "1", 3);
	rule(fx, CORE_OPT_TIMEOUT, "F", CORE_WHO_NONE, "", 60); /* ->900 */
	rule(fx, CORE_OPT_TIMEOUTALL, "", CORE_WHO_NONE, "", 1000);
	rule(fx, CORE_OPT_TIMEOUT, "N", CORE_WHO_NONE, "", 0); /* ->900 */
	configured(fx);

	h1 = co(fx, "a", "h", 1, "F", 1).handle;
	h2 = co(fx, "b", "h", 2, "G", 1).handle;
	r = co(fx, "b", "h", 2, "N", 1);
	assert_int_equal(r.status, CORE_GRANTED);

	next = core_tick(fx->c, T0 + 899 * SEC);
	assert_int_equal(next, T0 + 900 * SEC);
	assert_int_equal(core_grant_count(fx->c), 3);

	core_heartbeat(fx->c, 2, T0 + 899 * SEC);
	next = core_tick(fx->c, T0 + 900 * SEC);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKIN);
	assert_int_equal(last(fx)->ev.release, CORE_REL_TIMEOUT);
	assert_int_equal(last(fx)->gi.handle, h1);
	assert_ptr_equal(last(fx)->ev.owner, (void *)(uintptr_t)0x1001);
	assert_int_equal(core_grant_count(fx->c), 2);
	/* Session 2 beat at 899: N goes at 1799, G (TIMEOUTALL) at
	 * 1899. */
	assert_int_equal(next, T0 + 1799 * SEC);
	next = core_tick(fx->c, next);
	assert_int_equal(core_grant_count(fx->c), 1);
	assert_int_equal(next, T0 + 1899 * SEC);
	next = core_tick(fx->c, next);
	assert_int_equal(last(fx)->gi.handle, h2);
	assert_int_equal(next, 0);
	assert_int_equal(core_grant_count(fx->c), 0);
}

static void
test_no_timeout(void **state)
{
	struct fx *fx = *state;

	feat(fx, "F", "1", 3);
	configured(fx);
	assert_int_equal(co(fx, "a", "h", 1, "F", 1).status, CORE_GRANTED);
	assert_int_equal(core_tick(fx->c, T0 + 365 * DAY), 0);
	assert_int_equal(core_grant_count(fx->c), 1);
}

static void
test_linger(void **state)
{
	struct fx *fx = *state;
	struct who a1 = {"a", "h", ":0", "", "", 1};
	struct who a2 = {"a", "h", ":0", "", "", 2};
	struct who a3 = {"a", "h", ":1", "", "", 3};
	struct who b = {"b", "h", "", "", "", 4};
	struct core_result r;
	uint64_t h;
	size_t n;

	feat(fx, "F", "1", 1);
	rule(fx, CORE_OPT_LINGER, "F", CORE_WHO_NONE, "", 30);
	configured(fx);

	r = co_full(fx, &a1, "F", NULL, 1, 0, 0, T0);
	h = r.handle;
	assert_int_equal(core_checkin(fx->c, 1, h, T0 + 10 * SEC), CORE_OK);
	assert_int_equal(last(fx)->ev.type, CORE_EV_LINGER);
	assert_int_equal(last(fx)->gi.linger_until, T0 + 40 * SEC);
	assert_int_equal(last(fx)->ev.in_use_after, 1);
	assert_int_equal(finfo(fx, "F").in_use, 1);
	/* It is not held any more. */
	assert_int_equal(
	    core_checkin(fx->c, 1, h, T0 + 11 * SEC), CORE_E_NO_GRANT);

	/* Another display, another user: no seat. */
	r = co_full(fx, &a3, "F", NULL, 1, 0, 0, T0 + 12 * SEC);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);
	r = co_full(fx, &b, "F", NULL, 1, 0, 0, T0 + 12 * SEC);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);

	/* The same user, host and display take the lingering seat. */
	n = fx->nev;
	r = co_full(fx, &a2, "F", NULL, 1, 0, 0, T0 + 20 * SEC);
	assert_int_equal(r.status, CORE_GRANTED);
	assert_int_equal(r.handle, h);
	assert_int_equal(fx->nev, n + 1);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_int_equal(last(fx)->gi.session, 2);
	assert_int_equal(last(fx)->gi.linger_until, 0);
	assert_int_equal(core_tick(fx->c, T0 + 40 * SEC), 0);
	assert_int_equal(core_grant_count(fx->c), 1);

	/* Disconnect, then the linger runs out: CHECKIN says
	 * "disconnect". */
	core_session_closed(fx->c, 2, T0 + 50 * SEC);
	assert_int_equal(last(fx)->ev.type, CORE_EV_LINGER);
	assert_int_equal(core_tick(fx->c, T0 + 79 * SEC), T0 + 80 * SEC);
	assert_int_equal(core_tick(fx->c, T0 + 80 * SEC), 0);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKIN);
	assert_int_equal(last(fx)->ev.release, CORE_REL_DISCONNECT);
	assert_int_equal(last(fx)->gi.handle, h);
	assert_int_equal(last(fx)->ev.in_use_after, 0);
	assert_null(last(fx)->ev.owner);
	assert_int_equal(core_grant_count(fx->c), 0);
}

static void
test_linger_request(void **state)
{
	struct fx *fx = *state;
	struct who a = {"a", "h", "", "", "", 1};
	struct who b = {"b", "h", "", "", "", 2};
	struct core_result r;

	feat(fx, "F", "1", 1);
	rule(fx, CORE_OPT_LINGER, "F", CORE_WHO_NONE, "", 5);
	configured(fx);

	/* The request asks longer than LINGER: the longer wins. */
	r = co_full(fx, &a, "F", NULL, 1, 0, 20, T0);
	assert_int_equal(last(fx)->gi.linger, 20);
	r = co_full(fx, &b, "F", NULL, 1, 1, 0, T0);
	assert_int_equal(r.status, CORE_QUEUED);
	assert_int_equal(core_checkin(fx->c, 1, 1, T0), CORE_OK);
	assert_int_equal(last(fx)->ev.type, CORE_EV_LINGER);
	assert_int_equal(core_tick(fx->c, T0 + 19 * SEC), T0 + 20 * SEC);
	core_tick(fx->c, T0 + 20 * SEC);
	/* Linger end, then the queue is served. */
	assert_int_equal(fx->ev[fx->nev - 2].ev.type, CORE_EV_CHECKIN);
	assert_int_equal(fx->ev[fx->nev - 2].ev.release, CORE_REL_CLIENT);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_int_equal(last(fx)->ev.from_queue, 1);
	assert_string_equal(last(fx)->gi.user, "b");
	/* An administrator's removal does not linger. */
	assert_int_equal(core_remove(fx->c, last(fx)->gi.handle, T0), CORE_OK);
	assert_int_equal(last(fx)->ev.release, CORE_REL_ADMIN);
	assert_int_equal(core_remove(fx->c, 12345, T0), CORE_E_NO_GRANT);
}

/* ---- queue ----------------------------------------------------------- */

static void
test_queue_fifo(void **state)
{
	struct fx *fx = *state;
	struct who a = {"a", "h", "", "", "", 1};
	struct who b = {"b", "h", "", "", "", 2};
	struct who c = {"c", "h", "", "", "", 3};
	struct who d = {"d", "h", "", "", "", 4};
	struct core_result r, rb, rc;
	uint64_t ha;

	feat(fx, "F", "1", 3);
	configured(fx);

	r = co_full(fx, &a, "F", NULL, 3, 0, 0, T0);
	ha = r.handle;
	rb = co_full(fx, &b, "F", NULL, 2, 1, 0, T0);
	assert_int_equal(rb.status, CORE_QUEUED);
	assert_int_equal(rb.position, 1);
	assert_true(rb.handle > ha);
	assert_int_equal(last(fx)->ev.type, CORE_EV_QUEUE);
	assert_int_equal(last(fx)->gi.handle, rb.handle);
	assert_int_equal(last(fx)->gi.count, 2);
	rc = co_full(fx, &c, "F", NULL, 1, 1, 0, T0);
	assert_int_equal(rc.position, 2);
	assert_int_equal(finfo(fx, "F").queued, 2);

	/* No queue: refused.  And a request that would fit may not pass
	 * the queue. */
	r = co_full(fx, &d, "F", NULL, 1, 0, 0, T0);
	assert_int_equal(r.reason, CORE_E_NO_SEATS);

	assert_int_equal(core_checkin(fx->c, 1, ha, T0 + SEC), CORE_OK);
	/* CHECKIN, then b (2) then c (1), in order. */
	assert_int_equal(fx->ev[fx->nev - 3].ev.type, CORE_EV_CHECKIN);
	assert_int_equal(fx->ev[fx->nev - 2].ev.type, CORE_EV_CHECKOUT);
	assert_string_equal(fx->ev[fx->nev - 2].gi.user, "b");
	assert_int_equal(fx->ev[fx->nev - 2].ev.tag, 7002);
	assert_int_equal(fx->ev[fx->nev - 2].ev.in_use_after, 2);
	assert_ptr_equal(
	    fx->ev[fx->nev - 2].ev.owner, (void *)(uintptr_t)0x1002);
	assert_string_equal(last(fx)->gi.user, "c");
	assert_int_equal(last(fx)->ev.in_use_after, 3);
	assert_true(last(fx)->gi.handle > rc.handle);
	assert_int_equal(finfo(fx, "F").queued, 0);
}

static void
test_queue_no_overtaking(void **state)
{
	struct fx *fx = *state;
	struct who a = {"a", "h", "", "", "", 1};
	struct who b = {"b", "h", "", "", "", 2};
	struct who c = {"c", "h", "", "", "", 3};
	struct core_result ra1, ra2, rb;
	size_t n;

	feat(fx, "F", "1", 3);
	configured(fx);

	ra1 = co_full(fx, &a, "F", NULL, 1, 0, 0, T0);
	ra2 = co_full(fx, &a, "F", NULL, 2, 0, 0, T0);
	rb = co_full(fx, &b, "F", NULL, 3, 1, 0, T0);
	assert_int_equal(rb.status, CORE_QUEUED);
	assert_int_equal(
	    co_full(fx, &c, "F", NULL, 1, 1, 0, T0).status, CORE_QUEUED);

	/* One seat free: c (1) must not pass b (3). */
	n = fx->nev;
	assert_int_equal(core_checkin(fx->c, 1, ra1.handle, T0), CORE_OK);
	assert_int_equal(fx->nev, n + 1);
	assert_int_equal(finfo(fx, "F").queued, 2);

	/* b leaves: c gets its seat at once. */
	assert_int_equal(
	    core_dequeue(fx->c, 1, rb.handle, T0), CORE_E_NO_GRANT);
	assert_int_equal(core_dequeue(fx->c, 2, rb.handle, T0), CORE_OK);
	assert_int_equal(fx->ev[fx->nev - 2].ev.type, CORE_EV_DEQUEUE);
	assert_int_equal(fx->ev[fx->nev - 2].ev.reason, CORE_OK);
	assert_int_equal(fx->ev[fx->nev - 2].gi.handle, rb.handle);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_string_equal(last(fx)->gi.user, "c");
	assert_int_equal(
	    core_dequeue(fx->c, 2, rb.handle, T0), CORE_E_NO_GRANT);
	(void)ra2;
}

static void
test_queue_reserved_first(void **state)
{
	struct fx *fx = *state;
	struct who o = {"o", "h", "", "", "", 1};
	struct who p = {"p", "h", "", "", "", 2};
	struct who q = {"q", "h", "", "", "", 3};
	struct core_result r1, r2;

	feat(fx, "F", "1", 2);
	rule(fx, CORE_OPT_RESERVE, "F", CORE_WHO_USER, "p", 1);
	configured(fx);

	/* o holds the general seat; p holds the reserved one. */
	r1 = co_full(fx, &o, "F", NULL, 1, 0, 0, T0);
	r2 = co_full(fx, &p, "F", NULL, 1, 0, 0, T0);
	assert_int_equal(r2.status, CORE_GRANTED);
	/* q queues first, then p asks again. */
	assert_int_equal(
	    co_full(fx, &q, "F", NULL, 1, 1, 0, T0).status, CORE_QUEUED);
	assert_int_equal(
	    co_full(fx, &p, "F", NULL, 1, 1, 0, T0).status, CORE_QUEUED);

	/* p's first seat comes back: the reservation has room, and p is
	 * served before q although q came first. */
	assert_int_equal(core_checkin(fx->c, 2, r2.handle, T0), CORE_OK);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_string_equal(last(fx)->gi.user, "p");
	assert_int_equal(finfo(fx, "F").queued, 1);

	/* A general seat comes back: q. */
	assert_int_equal(core_checkin(fx->c, 1, r1.handle, T0), CORE_OK);
	assert_string_equal(last(fx)->gi.user, "q");
	assert_int_equal(last(fx)->ev.from_queue, 1);
}

static void
test_queue_limits(void **state)
{
	struct fx *fx = *state;
	struct who w = {"a", "h", "", "", "", 1};
	struct core_result r;
	int i;

	fx->st.max_queue = 3;
	feat(fx, "F", "1", 1);
	rule(fx, CORE_OPT_MAX, "F", CORE_WHO_USER, "m", 1);
	configured(fx);

	assert_int_equal(
	    co_full(fx, &w, "F", NULL, 1, 1, 0, T0).status, CORE_GRANTED);
	for (i = 0; i < 3; i++) {
		w.session = 10 + (uint64_t)i;
		r = co_full(fx, &w, "F", NULL, 1, 1, 0, T0);
		assert_int_equal(r.status, CORE_QUEUED);
		assert_int_equal(r.position, i + 1);
	}
	w.session = 20;
	r = co_full(fx, &w, "F", NULL, 1, 1, 0, T0);
	assert_int_equal(r.status, CORE_DENIED);
	assert_int_equal(r.reason, CORE_E_QUEUE_FULL);
	assert_int_equal(last(fx)->ev.reason, CORE_E_QUEUE_FULL);

	/* Only "no seats" queues. */
	r = co_full(fx, &w, "F", NULL, 2, 1, 0, T0);
	assert_int_equal(r.reason, CORE_E_TOO_MANY);

	/* A closed session drops its entries, and the next in line is not
	 * held back by it. */
	core_session_closed(fx->c, 10, T0);
	assert_int_equal(last(fx)->ev.type, CORE_EV_DEQUEUE);
	assert_int_equal(last(fx)->ev.reason, CORE_OK);
	assert_int_equal(finfo(fx, "F").queued, 2);
	core_session_closed(fx->c, 1, T0);
	assert_int_equal(fx->ev[fx->nev - 2].ev.type, CORE_EV_CHECKIN);
	assert_int_equal(fx->ev[fx->nev - 2].ev.release, CORE_REL_DISCONNECT);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_int_equal(last(fx)->gi.session, 11);
	assert_int_equal(finfo(fx, "F").queued, 1);
}

static void
test_queue_max_blocked_entry(void **state)
{
	struct fx *fx = *state;
	struct who o = {"o", "h", "", "", "", 1};
	struct who m1 = {"m", "h", "", "", "", 2};
	struct who m2 = {"m", "h", "", "", "", 3};
	struct who p = {"p", "h", "", "", "", 4};
	uint64_t h1, h2;

	feat(fx, "F", "1", 2);
	rule(fx, CORE_OPT_MAX, "F", CORE_WHO_USER, "m", 1);
	configured(fx);

	h1 = co_full(fx, &o, "F", NULL, 1, 0, 0, T0).handle;
	h2 = co_full(fx, &o, "F", NULL, 1, 0, 0, T0).handle;
	assert_int_equal(
	    co_full(fx, &m1, "F", NULL, 1, 1, 0, T0).status, CORE_QUEUED);
	assert_int_equal(
	    co_full(fx, &m2, "F", NULL, 1, 1, 0, T0).status, CORE_QUEUED);

	/* m's first entry is served; the second is now held by MAX and
	 * stays, skipped. */
	assert_int_equal(core_checkin(fx->c, 1, h1, T0), CORE_OK);
	assert_int_equal(last(fx)->gi.session, 2);
	assert_int_equal(core_checkin(fx->c, 1, h2, T0), CORE_OK);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKIN);
	assert_int_equal(finfo(fx, "F").queued, 1);

	/* It holds back no one. */
	assert_int_equal(
	    co_full(fx, &p, "F", NULL, 1, 0, 0, T0).status, CORE_GRANTED);
	core_session_closed(fx->c, 4, T0);
	core_session_closed(fx->c, 2, T0);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_int_equal(last(fx)->gi.session, 3);
}

static void
test_queue_dropped_on_reload(void **state)
{
	struct fx *fx = *state;
	struct who a = {"a", "h", "", "", "", 1};
	struct who b = {"b", "h", "", "", "", 2};
	struct who c = {"c", "h", "", "", "", 3};
	struct core_result ra;

	feat(fx, "F", "1", 1);
	feat(fx, "G", "1", 1);
	configured(fx);
	ra = co_full(fx, &a, "F", NULL, 1, 0, 0, T0);
	assert_int_equal(
	    co_full(fx, &b, "F", NULL, 1, 1, 0, T0).status, CORE_QUEUED);
	assert_int_equal(
	    co_full(fx, &c, "F", NULL, 1, 1, 0, T0).status, CORE_QUEUED);
	assert_int_equal(
	    co_full(fx, &a, "G", NULL, 1, 0, 0, T0).status, CORE_GRANTED);
	assert_int_equal(
	    co_full(fx, &b, "G", NULL, 1, 1, 0, T0).status, CORE_QUEUED);

	/* Reload: b is now excluded from F, and G is gone. */
	rule(fx, CORE_OPT_EXCLUDE, "F", CORE_WHO_USER, "b", 0);
	fx->lic.nlines = 1;
	configured(fx);
	assert_int_equal(fx->ev[fx->nev - 2].ev.type, CORE_EV_DEQUEUE);
	assert_int_equal(fx->ev[fx->nev - 2].ev.reason, CORE_E_UNKNOWN_FEATURE);
	assert_string_equal(fx->ev[fx->nev - 2].gi.feature, "G");
	assert_int_equal(last(fx)->ev.type, CORE_EV_DEQUEUE);
	assert_int_equal(last(fx)->ev.reason, CORE_E_EXCLUDED);
	assert_string_equal(last(fx)->gi.user, "b");
	assert_int_equal(finfo(fx, "F").queued, 1);

	/* The orphaned G grant still counts until it is returned. */
	assert_int_equal(held(fx, "G"), 1);
	assert_int_equal(core_grant_count(fx->c), 2);
	core_session_closed(fx->c, 1, T0);
	assert_int_equal(held(fx, "G"), 0);
	assert_string_equal(last(fx)->gi.user, "c");
	assert_int_equal(last(fx)->ev.from_queue, 1);
	(void)ra;
}

/* ---- sessions, ownership ------------------------------------------ */

static void
test_sessions(void **state)
{
	struct fx *fx = *state;
	struct core_result r;
	uint64_t h;

	feat(fx, "F", "1", 5);
	feat(fx, "G", "1", 5);
	configured(fx);

	h = co(fx, "a", "h", 1, "F", 2).handle;
	co(fx, "a", "h", 1, "G", 1);
	co(fx, "a", "h", 1, "F", 1);
	r = co(fx, "b", "h", 2, "F", 1);
	assert_int_equal(core_checkin(fx->c, 2, h, T0), CORE_E_NOT_OWNER);
	assert_int_equal(core_checkin(fx->c, 2, 999, T0), CORE_E_NO_GRANT);

	core_session_closed(fx->c, 1, T0 + SEC);
	assert_int_equal(core_grant_count(fx->c), 1);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKIN);
	assert_int_equal(last(fx)->ev.release, CORE_REL_DISCONNECT);
	assert_int_equal(finfo(fx, "F").in_use, 1);
	assert_int_equal(finfo(fx, "G").in_use, 0);
	core_session_closed(fx->c, 1, T0 + SEC); /* again: nothing */
	core_session_closed(fx->c, 77, T0 + SEC);
	assert_int_equal(core_grant_count(fx->c), 1);
	assert_int_equal(core_checkin(fx->c, 2, r.handle, T0), CORE_OK);
}

/* ---- restore, resume ----------------------------------------------- */

static struct core_grant_info
restored(uint64_t handle, const char *feature, const char *version, int count,
    const char *user, const char *host)
{
	struct core_grant_info gi;

	memset(&gi, 0, sizeof(gi));
	gi.handle = handle;
	snprintf(gi.feature, sizeof(gi.feature), "%s", feature);
	snprintf(gi.version, sizeof(gi.version), "%s", version);
	gi.count = count;
	snprintf(gi.user, sizeof(gi.user), "%s", user);
	snprintf(gi.host, sizeof(gi.host), "%s", host);
	snprintf(gi.unit, sizeof(gi.unit), "physics");
	gi.session = 99;
	gi.start = T0 - DAY;
	return gi;
}

static void
test_restore_resume(void **state)
{
	struct fx *fx = *state;
	struct core_grant_info gi, got;
	struct who same = {"alice", "ws1", "", "10.9.9.9", "", 5};
	struct who other = {"bob", "ws1", "", "", "", 6};
	struct core_client cl;
	size_t n;

	feat(fx, "F", "1", 3);
	configured(fx);

	gi = restored(500, "F", "1", 1, "alice", "ws1");
	assert_int_equal(core_restore(fx->c, &gi, T0), 0);
	assert_int_equal(core_restore(fx->c, &gi, T0), -1);
	gi = restored(501, "F", "1", 1, "alice", "ws1");
	assert_int_equal(core_restore(fx->c, &gi, T0), 0);
	gi = restored(0, "F", "1", 1, "alice", "ws1");
	assert_int_equal(core_restore(fx->c, &gi, T0), -1);
	assert_int_equal(fx->nev, 0);
	assert_int_equal(finfo(fx, "F").in_use, 2);

	cl = client_of(&other);
	assert_int_equal(
	    core_resume(fx->c, &cl, 500, T0, NULL), CORE_E_NOT_OWNER);
	assert_int_equal(
	    core_resume(fx->c, &cl, 502, T0, NULL), CORE_E_NO_GRANT);
	cl = client_of(&same);
	/* A restored grant is held by nobody: no one may check it in. */
	assert_int_equal(core_checkin(fx->c, 5, 500, T0), CORE_E_NOT_OWNER);
	assert_int_equal(core_resume(fx->c, &cl, 500, T0 + SEC, &got), CORE_OK);
	assert_int_equal(got.handle, 500);
	assert_int_equal(got.session, 5);
	assert_string_equal(got.unit, "physics");
	assert_string_equal(got.address, "10.9.9.9");
	assert_int_equal(last(fx)->ev.type, CORE_EV_RESUME);
	assert_int_equal(last(fx)->ev.in_use_after, 2);
	assert_ptr_equal(last(fx)->ev.owner, (void *)(uintptr_t)0x1005);
	/* Again by its holder: fine, nothing new. */
	n = fx->nev;
	assert_int_equal(core_resume(fx->c, &cl, 500, T0 + SEC, NULL), CORE_OK);
	assert_int_equal(fx->nev, n);

	/* New handles go above every restored one. */
	assert_true(co(fx, "c", "h", 7, "F", 1).handle > 501);

	/* 501 is never resumed. */
	assert_int_equal(core_tick(fx->c, T0 + 119 * SEC), T0 + 120 * SEC);
	assert_int_equal(core_tick(fx->c, T0 + 120 * SEC), 0);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKIN);
	assert_int_equal(last(fx)->ev.release, CORE_REL_NOT_RESUMED);
	assert_int_equal(last(fx)->gi.handle, 501);
	assert_int_equal(last(fx)->gi.session, 0);
	assert_int_equal(core_checkin(fx->c, 5, 500, T0), CORE_OK);
}

static void
test_resume_after_disconnect(void **state)
{
	struct fx *fx = *state;
	struct who a = {"a", "h", "", "", "", 1};
	struct who a2 = {"a", "h", "", "", "", 2};
	struct core_client cl = client_of(&a2);
	uint64_t h1, h2;

	feat(fx, "F", "1", 3);
	feat(fx, "L", "1", 3);
	rule(fx, CORE_OPT_LINGER, "L", CORE_WHO_NONE, "", 60);
	configured(fx);

	h1 = co_full(fx, &a, "F", NULL, 1, 0, 0, T0).handle;
	h2 = co_full(fx, &a, "L", NULL, 1, 0, 0, T0).handle;
	core_session_closed(fx->c, 1, T0);
	/* Released at once: gone.  Lingering: taken back. */
	assert_int_equal(
	    core_resume(fx->c, &cl, h1, T0, NULL), CORE_E_NO_GRANT);
	assert_int_equal(core_resume(fx->c, &cl, h2, T0 + SEC, NULL), CORE_OK);
	assert_int_equal(last(fx)->ev.type, CORE_EV_RESUME);
	assert_int_equal(last(fx)->gi.linger_until, 0);
	assert_int_equal(core_tick(fx->c, T0 + 120 * SEC), 0);
	assert_int_equal(core_grant_count(fx->c), 1);
	assert_int_equal(core_checkin(fx->c, 2, h2, T0 + 200 * SEC), CORE_OK);
	assert_int_equal(last(fx)->ev.type, CORE_EV_LINGER);
}

static void
test_restore_over_count(void **state)
{
	struct fx *fx = *state;
	struct core_grant_info gi;
	struct core_client cl;
	struct who a = {"a", "h", "", "", "", 1};
	int i;

	feat(fx, "F", "1", 2);
	configured(fx);
	for (i = 0; i < 3; i++) {
		gi = restored(10 + (uint64_t)i, "F", "1", 1, "a", "h");
		assert_int_equal(core_restore(fx->c, &gi, T0), 0);
	}
	assert_int_equal(finfo(fx, "F").in_use, 3);
	assert_int_equal(co(fx, "b", "h", 2, "F", 1).reason, CORE_E_NO_SEATS);

	cl = client_of(&a);
	assert_int_equal(core_resume(fx->c, &cl, 10, T0, NULL), CORE_OK);
	assert_int_equal(core_checkin(fx->c, 1, 10, T0), CORE_OK);
	/* Two in use of two: still full. */
	assert_int_equal(co(fx, "b", "h", 2, "F", 1).reason, CORE_E_NO_SEATS);
	assert_int_equal(core_remove(fx->c, 11, T0), CORE_OK);
	assert_int_equal(co(fx, "b", "h", 2, "F", 1).status, CORE_GRANTED);
}

static void
test_restore_before_configure(void **state)
{
	struct fx *fx = *state;
	struct core_grant_info gi;

	/* The journal may be read before the licences: the grant waits as
	 * an orphan and joins its pool at configure. */
	gi = restored(40, "F", "1", 2, "a", "h");
	assert_int_equal(core_restore(fx->c, &gi, T0), 0);
	assert_int_equal(held(fx, "F"), 2);
	feat(fx, "F", "1", 2);
	configured(fx);
	assert_int_equal(finfo(fx, "F").in_use, 2);
	assert_int_equal(co(fx, "b", "h", 2, "F", 1).reason, CORE_E_NO_SEATS);
}

/* ---- handles ---------------------------------------------------------- */

static void
test_handles(void **state)
{
	struct fx *fx = *state;
	struct core_result r;
	uint64_t prev = 0;
	int i;

	feat(fx, "F", "1", 1);
	configured(fx);
	core_set_next_handle(fx->c, 1000);
	for (i = 0; i < 20; i++) {
		r = co(fx, "a", "h", 1, "F", 1);
		assert_int_equal(r.status, CORE_GRANTED);
		assert_true(r.handle > 1000);
		assert_true(r.handle > prev);
		prev = r.handle;
		assert_int_equal(core_checkin(fx->c, 1, r.handle, T0), CORE_OK);
	}
	/* Lower values do not move it back. */
	core_set_next_handle(fx->c, 5);
	r = co(fx, "a", "h", 1, "F", 1);
	assert_true(r.handle > prev);
}

/* ---- reconfigure ------------------------------------------------------ */

static void
test_reconfigure_keeps_grants(void **state)
{
	struct fx *fx = *state;
	struct core_result r;
	uint64_t h;

	feat(fx, "F", "1", 2);
	feat(fx, "F", "2", 2);
	configured(fx);
	h = co(fx, "a", "h", 1, "F", 2).handle;
	r = co(fx, "a", "h", 1, "F", 2);
	assert_string_equal(r.version, "2");
	assert_int_equal(fx->nev, 2);

	/* Version 1 goes away: its grant moves to another pool of F. */
	fx->lines[0] = fx->lines[1];
	fx->lines[0].count = 5;
	fx->lic.nlines = 1;
	configured(fx);
	assert_int_equal(fx->nev, 2); /* nothing emitted */
	assert_int_equal(core_grant_count(fx->c), 2);
	assert_int_equal(finfo(fx, "F").in_use, 4);
	assert_int_equal(finfo(fx, "F").issued, 5);
	assert_int_equal(co(fx, "a", "h", 1, "F", 2).reason, CORE_E_NO_SEATS);
	assert_int_equal(co(fx, "a", "h", 1, "F", 1).status, CORE_GRANTED);
	assert_int_equal(core_checkin(fx->c, 1, h, T0), CORE_OK);
	assert_int_equal(last(fx)->ev.in_use_after, 3);
}

static void
test_reconfigure_invalid(void **state)
{
	static const struct {
		enum core_opt_kind kind;
		enum core_who who;
		const char *name;
		int n;
		const char *qual;
		const char *msg;
	} cases[] = {
	    {CORE_OPT_INCLUDE, CORE_WHO_GROUP, "nosuch", 0, "",
		"test.opt:101: unknown GROUP nosuch"},
	    {CORE_OPT_EXCLUDE, CORE_WHO_HOST_GROUP, "staff", 0, "",
		"test.opt:101: unknown HOST_GROUP staff"},
	    {CORE_OPT_RESERVE, CORE_WHO_USER, "u", -1, "",
		"test.opt:101: negative count -1"},
	    {CORE_OPT_MAX, CORE_WHO_NONE, "u", 1, "",
		"test.opt:101: rule without a type and name"},
	    {CORE_OPT_INCLUDE, CORE_WHO_USER, "u", 0, "novalue",
		"test.opt:101: bad line selector \"novalue\""},
	    {CORE_OPT_LINGER, CORE_WHO_NONE, "", -5, "",
		"test.opt:101: negative time -5"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *fx;
		struct core_opt_rule *r;
		struct core_result res;
		uint64_t h;
		size_t n;

		setup((void **)&fx);
		feat(fx, "F", "1", 1);
		group(fx, 0, "staff", "a", NULL);
		configured(fx);
		h = co(fx, "a", "h", 1, "F", 1).handle;
		assert_int_equal(
		    co(fx, "b", "h", 2, "F", 1).status, CORE_DENIED);
		assert_int_equal(
		    co_full(fx, &(struct who){"b", "h", "", "", "", 2}, "F",
			NULL, 1, 1, 0, T0)
			.status,
		    CORE_QUEUED);
		n = fx->nev;

		fx->lines[0].count = 10;
		r = rule(fx, cases[i].kind, "F", cases[i].who, cases[i].name,
		    cases[i].n);
		snprintf(
		    r->qualifier, sizeof(r->qualifier), "%s", cases[i].qual);
		assert_int_equal(configure(fx, T0), -1);
		assert_string_equal(fx->err, cases[i].msg);

		/* Nothing changed: still one seat, still held, still
		 * queued. */
		assert_int_equal(fx->nev, n);
		assert_int_equal(finfo(fx, "F").issued, 1);
		assert_int_equal(finfo(fx, "F").queued, 1);
		res = co(fx, "c", "h", 3, "F", 1);
		assert_int_equal(res.reason, CORE_E_NO_SEATS);
		assert_int_equal(core_checkin(fx->c, 1, h, T0), CORE_OK);
		assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
		teardown((void **)&fx);
	}
}

static void
test_reconfigure_invalid_lines(void **state)
{
	struct fx *fx = *state;
	struct core_settings bad;

	feat(fx, "F", "1", 1);
	configured(fx);

	fx->lines[0].count = -1;
	assert_int_equal(configure(fx, T0), -1);
	assert_string_equal(fx->err, "test.lic:1: negative count -1 for F");
	fx->lines[0].count = 1;
	fx->lines[0].feature[0] = '\0';
	assert_int_equal(configure(fx, T0), -1);
	snprintf(fx->lines[0].feature, sizeof(fx->lines[0].feature), "F");

	bad = fx->st;
	bad.max_queue = -1;
	assert_int_equal(core_configure(fx->c, &bad, &fx->lic, 1, NULL, T0,
			     fx->err, sizeof(fx->err)),
	    -1);
	assert_int_equal(core_configure(fx->c, NULL, &fx->lic, 1, NULL, T0,
			     fx->err, sizeof(fx->err)),
	    -1);
	assert_int_equal(finfo(fx, "F").issued, 1);

	/* Rules for features in no licence are fine; no options too. */
	rule(fx, CORE_OPT_RESERVE, "NOPE", CORE_WHO_USER, "x", 3);
	configured(fx);
	assert_int_equal(core_configure(fx->c, &fx->st, NULL, 0, NULL, T0,
			     fx->err, sizeof(fx->err)),
	    0);
	assert_int_equal(core_feature_count(fx->c), 0);
}

static void
test_reconfigure_recharges(void **state)
{
	struct fx *fx = *state;
	struct resv rv;

	feat(fx, "F", "1", 4);
	configured(fx);
	assert_int_equal(co(fx, "p", "h", 1, "F", 2).status, CORE_GRANTED);

	rule(fx, CORE_OPT_RESERVE, "F", CORE_WHO_USER, "p", 3);
	configured(fx);
	memset(&rv, 0, sizeof(rv));
	core_foreach_reservation(fx->c, "F", grab_res, &rv);
	assert_int_equal(rv.n, 1);
	assert_int_equal(rv.v[0].used, 2);
	/* One reserved seat is left for p, one general for others. */
	assert_int_equal(co(fx, "o", "h", 2, "F", 2).reason, CORE_E_TOO_MANY);
	assert_int_equal(co(fx, "o", "h", 2, "F", 1).status, CORE_GRANTED);
	assert_int_equal(co(fx, "o", "h", 2, "F", 1).reason, CORE_E_NO_SEATS);
	assert_int_equal(co(fx, "p", "h", 1, "F", 1).status, CORE_GRANTED);
}

/* ---- status views ------------------------------------------------- */

struct grants_seen {
	uint64_t h[16];
	int n;
};

static void
grab_grant(void *arg, const struct core_grant_info *gi)
{
	struct grants_seen *s = arg;

	s->h[s->n++] = gi->handle;
}

static void
test_status_views(void **state)
{
	struct fx *fx = *state;
	struct grants_seen s;
	uint64_t h[3];
	struct core_feature_info fi;
	struct core_line *l;

	l = feat(fx, "F", "1", 2);
	l->expiry = T0 + 10 * DAY;
	l = feat(fx, "F", "3", 1);
	l->expiry = T0 + 5 * DAY;
	feat(fx, "G", "1", 2);
	configured(fx);

	h[0] = co(fx, "a", "h", 1, "F", 1).handle;
	h[1] = co(fx, "a", "h", 1, "G", 1).handle;
	h[2] = co(fx, "b", "h", 2, "F", 1).handle;

	memset(&s, 0, sizeof(s));
	core_foreach_grant(fx->c, NULL, grab_grant, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.h[0], h[0]);
	assert_int_equal(s.h[1], h[1]);
	assert_int_equal(s.h[2], h[2]);
	memset(&s, 0, sizeof(s));
	core_foreach_grant(fx->c, "F", grab_grant, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.h[1], h[2]);

	fi = finfo(fx, "F");
	assert_string_equal(fi.feature, "F");
	assert_string_equal(fi.vendor, "VEND");
	assert_string_equal(fi.version, "3");
	assert_int_equal(fi.issued, 3);
	assert_int_equal(fi.in_use, 2);
	assert_int_equal(fi.expiry, T0 + 5 * DAY);
}

/* ---- invariants under random traffic ------------------------------ */

static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

struct sums {
	int per[3];
};

static void
sum_grant(void *arg, const struct core_grant_info *gi)
{
	struct sums *s = arg;

	s->per[gi->feature[0] - 'A'] += gi->count;
}

static void
test_random_invariants(void **state)
{
	static const char *const features[] = {"A", "B", "C"};
	static const char *const users[] = {"u0", "u1", "u2", "u3", "u4"};
	struct fx *fx = *state;
	struct core_feature_info fi;
	struct core_client cl;
	struct who w;
	struct sums sm;
	uint64_t handles[64];
	uint32_t seed = 12345;
	int64_t now = T0;
	size_t nh = 0, k, i;
	int f;

	feat(fx, "A", "1", 4);
	feat(fx, "B", "1", 2);
	feat(fx, "B", "2", 3);
	feat(fx, "C", "1", 5);
	group(fx, 0, "g", "u1", "u2", NULL);
	rule(fx, CORE_OPT_RESERVE, "A", CORE_WHO_GROUP, "g", 2);
	rule(fx, CORE_OPT_MAX, "B", CORE_WHO_USER, "u3", 2);
	rule(fx, CORE_OPT_LINGER, "C", CORE_WHO_NONE, "", 5);
	rule(fx, CORE_OPT_TIMEOUTALL, "", CORE_WHO_NONE, "", 900);
	configured(fx);

	for (k = 0; k < 20000; k++) {
		now += rnd(&seed) % 3000;
		w.user = users[rnd(&seed) % 5];
		w.host = "h";
		w.display = "";
		w.address = "";
		w.project = "";
		w.session = 1 + rnd(&seed) % 8;
		switch (rnd(&seed) % 8) {
		case 0:
		case 1:
		case 2: {
			struct core_result r;

			r = co_full(fx, &w, features[rnd(&seed) % 3],
			    rnd(&seed) % 2 ? "2" : NULL,
			    1 + (int)(rnd(&seed) % 3), (int)(rnd(&seed) % 2), 0,
			    now);
			if (r.status == CORE_GRANTED && nh < 64)
				handles[nh++] = r.handle;
			break;
		}
		case 3:
			if (nh > 0) {
				i = rnd(&seed) % nh;
				(void)core_checkin(
				    fx->c, w.session, handles[i], now);
				handles[i] = handles[--nh];
			}
			break;
		case 4:
			core_session_closed(fx->c, w.session, now);
			break;
		case 5:
			core_heartbeat(fx->c, w.session, now);
			break;
		case 6:
			(void)core_tick(fx->c, now);
			break;
		default:
			cl = client_of(&w);
			if (nh > 0)
				(void)core_resume(fx->c, &cl,
				    handles[rnd(&seed) % nh], now, NULL);
			if (rnd(&seed) % 50 == 0)
				configured(fx);
			break;
		}

		fx->nev = 0;
		memset(&sm, 0, sizeof(sm));
		core_foreach_grant(fx->c, NULL, sum_grant, &sm);
		for (f = 0; f < 3; f++) {
			fi = finfo(fx, features[f]);
			if (fi.in_use != sm.per[f] || fi.in_use > fi.issued)
				fail_msg("step %zu: %s in_use %d sum %d "
					 "issued %d",
				    k, features[f], fi.in_use, sm.per[f],
				    fi.issued);
		}
	}
	core_tick(fx->c, now + 365 * DAY);
	for (i = 1; i <= 8; i++)
		core_session_closed(fx->c, i, now + 365 * DAY);
	core_tick(fx->c, now + 366 * DAY);
	assert_int_equal(core_grant_count(fx->c), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version_cmp),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_whole_count_one_pool, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dates, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_line_start_serves_queue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_uncounted, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_feature_vs_increment, setup, teardown),
	    cmocka_unit_test(test_units),
	    cmocka_unit_test_setup_teardown(
		test_include_exclude, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_all_rules, setup, teardown),
	    cmocka_unit_test(test_rule_types),
	    cmocka_unit_test_setup_teardown(
		test_case_insensitive_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_qualifiers, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_qualifier_max, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reserve, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_reserve_over_total, setup, teardown),
	    cmocka_unit_test(test_max),
	    cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_linger, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_linger_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_fifo, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_queue_no_overtaking, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_queue_reserved_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_queue_max_blocked_entry, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_queue_dropped_on_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_restore_resume, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_resume_after_disconnect, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_restore_over_count, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_restore_before_configure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_handles, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_reconfigure_keeps_grants, setup, teardown),
	    cmocka_unit_test(test_reconfigure_invalid),
	    cmocka_unit_test_setup_teardown(
		test_reconfigure_invalid_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_reconfigure_recharges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_views, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_random_invariants, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
