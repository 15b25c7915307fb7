/*
 * FlexLM licence-file semantics against a real licd over the flex
 * protocol: INCREMENT pools split by VENDOR_STRING, UPGRADE, PACKAGE with
 * OPTIONS=SUITE, SUPERSEDE, DUP_GROUP, USER_BASED and OVERDRAFT with
 * MAX_OVERDRAFT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static const char license[] =
    "SERVER this_host ANY 27000\n"
    "VENDOR demo\n"
    "INCREMENT vs demo 1.0 permanent 1 0 VENDOR_STRING=lo=NNU\n"
    "INCREMENT vs demo 1.0 permanent 1 0 VENDOR_STRING=lo=CN\n"
    "INCREMENT up demo 1.0 permanent 3 0\n"
    "UPGRADE up demo 1.0 2.0 permanent 2 0\n"
    "PACKAGE suite demo 1.0 0 COMPONENTS=\"ca cb:2.0:2\" OPTIONS=SUITE\n"
    "FEATURE suite demo 1.0 permanent 1 0\n"
    "FEATURE sup demo 1.0 permanent 2 0 ISSUED=1-jan-2023\n"
    "INCREMENT sup demo 1.0 permanent 5 0 SUPERSEDE ISSUED=1-jan-2024\n"
    "INCREMENT dup demo 1.0 permanent 1 0 DUP_GROUP=UH\n"
    "INCREMENT ub demo 1.0 permanent 2 0 USER_BASED=2\n"
    "INCREMENT od demo 1.0 permanent 1 0 OVERDRAFT=3\n";

static const char options[] = "INCLUDE ub USER alice\n"
			      "MAX_OVERDRAFT od 1\n";

static struct h_licd d;

static int
start(void **state)
{
	(void)state;
	h_licd_init(&d, license, options, NULL);
	h_licd_start(&d);
	return 0;
}

static int
stop(void **state)
{
	(void)state;
	h_licd_cleanup(&d);
	return 0;
}

static void
conn(struct h_conn *c, const char *user, const char *host)
{
	h_connect(c, d.port);
	h_hello(c, user, host);
}

static uint64_t
checkout_v(struct h_conn *c, const char *feature, const char *version,
    int count, char *reason, size_t len)
{
	char req[128], reply[1024];

	snprintf(req, sizeof(req), "CHECKOUT feature=%s version=%s count=%d",
	    feature, version, count);
	h_request(c, req, reply, sizeof(reply));
	if (strstr(reply, " OK ") == NULL) {
		if (reason != NULL)
			h_get(reply, "reason", reason, len);
		return 0;
	}
	if (reason != NULL && len > 0)
		reason[0] = '\0';
	return h_get_u64(reply, "handle");
}

static void
checkin(struct h_conn *c, uint64_t handle)
{
	char req[64], reply[1024];

	snprintf(req, sizeof(req), "CHECKIN handle=%llu",
	    (unsigned long long)handle);
	h_request(c, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK "));
}

/* The GRANT lines of the feature's STATUS, as its final OK counts them. */
static int
status_grants(const char *feature)
{
	struct h_conn c;
	char req[128], reply[1024];

	h_connect(&c, d.port);
	snprintf(req, sizeof(req), "STATUS feature=%s", feature);
	h_request(&c, req, reply, sizeof(reply));
	h_close(&c);
	return (int)h_get_u64(reply, "grants");
}

static void
test_vendor_string_pools(void **state)
{
	struct h_conn a, b;
	char reason[64];

	(void)state;
	conn(&a, "alice", "ws1");
	conn(&b, "bob", "ws2");
	assert_int_equal(h_feature_int(d.port, "vs", "issued"), 2);

	/* Two pools of one seat: two seats at once fit in neither. */
	assert_int_equal(h_checkout(&a, "vs", 2, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "too-many");
	assert_true(h_checkout(&a, "vs", 1, NULL, 0) != 0);
	assert_true(h_checkout(&b, "vs", 1, NULL, 0) != 0);
	assert_int_equal(h_in_use(d.port, "vs"), 2);
	h_close(&a);
	h_close(&b);
}

static void
test_upgrade(void **state)
{
	struct h_conn a;
	char reason[64];

	(void)state;
	conn(&a, "alice", "ws1");
	assert_int_equal(h_feature_int(d.port, "up", "issued"), 3);

	/* Two seats moved to 2.0, one left at 1.0. */
	assert_true(checkout_v(&a, "up", "2.0", 2, NULL, 0) != 0);
	assert_int_equal(
	    checkout_v(&a, "up", "2.0", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "no-seats");
	assert_true(checkout_v(&a, "up", "1.0", 1, NULL, 0) != 0);
	assert_int_equal(h_in_use(d.port, "up"), 3);
	h_close(&a);
}

static void
test_package_suite(void **state)
{
	struct h_conn a, a2, b;
	char reason[64];
	uint64_t h1, h2;

	(void)state;
	conn(&a, "alice", "ws1");
	conn(&a2, "alice", "ws1");
	conn(&b, "bob", "ws2");

	/* Components: ca at the package's version, cb twice the seats. */
	assert_int_equal(h_feature_int(d.port, "ca", "issued"), 1);
	assert_int_equal(h_feature_int(d.port, "cb", "issued"), 2);
	assert_int_equal(h_feature_int(d.port, "suite", "issued"), 1);

	/* The first component takes the suite seat, the next one by the
	 * same user and host shares it. */
	h1 = h_checkout(&a, "ca", 1, NULL, 0);
	assert_true(h1 != 0);
	assert_int_equal(h_in_use(d.port, "suite"), 1);
	h2 = checkout_v(&a2, "cb", "2.0", 1, NULL, 0);
	assert_true(h2 != 0);
	assert_int_equal(h_in_use(d.port, "suite"), 1);

	/* bob finds the one suite seat taken. */
	assert_int_equal(h_checkout(&b, "cb", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "no-seats");

	/* It comes back with alice's last component. */
	checkin(&a, h1);
	assert_int_equal(h_in_use(d.port, "suite"), 1);
	checkin(&a2, h2);
	assert_int_equal(h_in_use(d.port, "suite"), 0);
	assert_true(h_checkout(&b, "cb", 1, NULL, 0) != 0);
	assert_int_equal(h_in_use(d.port, "suite"), 1);
	h_close(&a);
	h_close(&a2);
	h_close(&b);
}

static void
test_supersede(void **state)
{
	struct h_conn a;
	char reason[64];

	(void)state;
	conn(&a, "alice", "ws1");
	/* The older FEATURE line is replaced, not added to. */
	assert_int_equal(h_feature_int(d.port, "sup", "issued"), 5);
	assert_true(h_checkout(&a, "sup", 5, NULL, 0) != 0);
	assert_int_equal(h_checkout(&a, "sup", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "no-seats");
	h_close(&a);
}

static void
test_dup_group(void **state)
{
	struct h_conn a, a2, b;
	char reason[64];
	uint64_t h1, h2;

	(void)state;
	conn(&a, "alice", "ws1");
	conn(&a2, "alice", "ws1");
	conn(&b, "bob", "ws1");

	/* The same user and host share the one seat. */
	h1 = h_checkout(&a, "dup", 1, NULL, 0);
	h2 = h_checkout(&a2, "dup", 1, NULL, 0);
	assert_true(h1 != 0 && h2 != 0 && h1 != h2);
	assert_int_equal(h_in_use(d.port, "dup"), 1);
	assert_int_equal(status_grants("dup"), 2);
	assert_int_equal(h_checkout(&b, "dup", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "no-seats");

	/* Each grant goes back on its own; the seat with the last. */
	checkin(&a, h1);
	assert_int_equal(h_in_use(d.port, "dup"), 1);
	assert_int_equal(h_checkout(&b, "dup", 1, reason, sizeof(reason)), 0);
	checkin(&a2, h2);
	assert_int_equal(h_in_use(d.port, "dup"), 0);
	assert_true(h_checkout(&b, "dup", 1, NULL, 0) != 0);
	h_close(&a);
	h_close(&a2);
	h_close(&b);
}

static void
test_user_based(void **state)
{
	struct h_conn a, a2, b;
	char reason[64];

	(void)state;
	conn(&a, "alice", "ws1");
	conn(&a2, "alice", "ws2");
	conn(&b, "bob", "ws3");

	/* alice is named: one seat from two hosts.  bob is not. */
	assert_true(h_checkout(&a, "ub", 1, NULL, 0) != 0);
	assert_true(h_checkout(&a2, "ub", 1, NULL, 0) != 0);
	assert_int_equal(h_in_use(d.port, "ub"), 1);
	assert_int_equal(h_checkout(&b, "ub", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "not-included");
	h_close(&a);
	h_close(&a2);
	h_close(&b);
}

static void
test_overdraft(void **state)
{
	struct h_conn a;
	char reason[64];

	(void)state;
	conn(&a, "alice", "ws1");
	/* One seat, OVERDRAFT=3 cut to 1 by MAX_OVERDRAFT. */
	assert_int_equal(h_feature_int(d.port, "od", "issued"), 1);
	assert_true(h_checkout(&a, "od", 1, NULL, 0) != 0);
	assert_true(h_checkout(&a, "od", 1, NULL, 0) != 0);
	assert_int_equal(h_in_use(d.port, "od"), 2);
	assert_int_equal(h_checkout(&a, "od", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "no-seats");
	h_close(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_vendor_string_pools, start, stop),
	    cmocka_unit_test_setup_teardown(test_upgrade, start, stop),
	    cmocka_unit_test_setup_teardown(test_package_suite, start, stop),
	    cmocka_unit_test_setup_teardown(test_supersede, start, stop),
	    cmocka_unit_test_setup_teardown(test_dup_group, start, stop),
	    cmocka_unit_test_setup_teardown(test_user_based, start, stop),
	    cmocka_unit_test_setup_teardown(test_overdraft, start, stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
