/*
 * Seats end to end over the flex front end: the licensed limit, queueing,
 * the options-file policy, dropped holders and timeouts, bad requests.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char license[] = "SERVER this_host ANY 27000\n"
			      "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 3 0\n"
			      "INCREMENT viewer demo 1.0 permanent 1 0\n"
			      "INCREMENT viewer demo 1.0 permanent 1 0\n";

static void
test_limit_then_refusal(void **state)
{
	struct h_licd d;
	struct h_conn a, b;
	char reason[64];
	uint64_t h1, h2, h3;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_connect(&b, d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");

	h1 = h_checkout(&a, "solver", 2, NULL, 0);
	h2 = h_checkout(&b, "solver", 1, NULL, 0);
	assert_true(h1 != 0 && h2 != 0 && h1 != h2);
	assert_int_equal(h_in_use(d.port, "solver"), 3);

	/* Past the limit: refused with the reason, nothing changes. */
	h3 = h_checkout(&b, "solver", 1, reason, sizeof(reason));
	assert_int_equal(h3, 0);
	assert_string_equal(reason, "no-seats");
	h3 = h_checkout(&b, "solver", 4, reason, sizeof(reason));
	assert_int_equal(h3, 0);
	assert_string_equal(reason, "too-many");
	h3 = h_checkout(&b, "nosuch", 1, reason, sizeof(reason));
	assert_string_equal(reason, "unknown-feature");
	assert_int_equal(h_in_use(d.port, "solver"), 3);

	/* INCREMENT lines add up: two viewer seats. */
	assert_true(h_checkout(&a, "viewer", 2, NULL, 0) != 0);

	h_close(&a);
	h_close(&b);
	h_licd_cleanup(&d);
}

static void
test_checkin_and_ownership(void **state)
{
	struct h_licd d;
	struct h_conn a, b;
	char req[64], reply[1024], v[32];
	uint64_t h;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_connect(&b, d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");

	h = h_checkout(&a, "solver", 1, NULL, 0);
	snprintf(
	    req, sizeof(req), "CHECKIN handle=%llu", (unsigned long long)h);

	/* Only the holder may return it. */
	h_request(&b, req, reply, sizeof(reply));
	assert_string_equal(h_get(reply, "reason", v, sizeof(v)), "not-owner");
	assert_int_equal(h_in_use(d.port, "solver"), 1);

	h_request(&a, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK "));
	assert_int_equal(h_in_use(d.port, "solver"), 0);

	/* Twice is an error. */
	h_request(&a, req, reply, sizeof(reply));
	assert_string_equal(h_get(reply, "reason", v, sizeof(v)), "no-grant");

	h_close(&a);
	h_close(&b);
	h_licd_cleanup(&d);
}

static void
test_queue_order(void **state)
{
	struct h_licd d;
	struct h_conn a, b, c, e;
	char reply[1024], line[1024], req[64];
	uint64_t ha, hb;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_connect(&b, d.port);
	h_connect(&c, d.port);
	h_connect(&e, d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");
	h_hello(&c, "carol", "ws3");
	h_hello(&e, "erin", "ws4");

	ha = h_checkout(&a, "viewer", 1, NULL, 0);
	hb = h_checkout(&b, "viewer", 1, NULL, 0);
	assert_true(ha != 0 && hb != 0);

	/* carol queues first, erin second. */
	h_request(&c, "CHECKOUT feature=viewer queue=1", reply, sizeof(reply));
	assert_non_null(strstr(reply, " QUEUED "));
	assert_int_equal(h_get_u64(reply, "position"), 1);
	h_request(&e, "CHECKOUT feature=viewer queue=1", reply, sizeof(reply));
	assert_non_null(strstr(reply, " QUEUED "));
	assert_int_equal(h_get_u64(reply, "position"), 2);

	/* A seat comes back: carol gets it, erin does not. */
	snprintf(
	    req, sizeof(req), "CHECKIN handle=%llu", (unsigned long long)ha);
	h_request(&a, req, reply, sizeof(reply));
	assert_true(h_wait_line(&c, "* GRANTED", line, sizeof(line), 5000));
	assert_true(h_get_u64(line, "handle") != 0);
	assert_false(h_wait_line(&e, "* GRANTED", line, sizeof(line), 300));

	/* The next one goes to erin. */
	snprintf(
	    req, sizeof(req), "CHECKIN handle=%llu", (unsigned long long)hb);
	h_request(&b, req, reply, sizeof(reply));
	assert_true(h_wait_line(&e, "* GRANTED", line, sizeof(line), 5000));
	assert_int_equal(h_in_use(d.port, "viewer"), 2);

	h_close(&a);
	h_close(&b);
	h_close(&c);
	h_close(&e);
	h_licd_cleanup(&d);
}

static void
test_policy_reserve_max_exclude(void **state)
{
	static const char options[] = "GROUP physics alice bob\n"
				      "GROUP chem carol dave\n"
				      "RESERVE 1 solver GROUP physics\n"
				      "MAX 1 solver GROUP chem\n"
				      "EXCLUDE solver USER guest\n";
	struct h_licd d;
	struct h_conn g, c, dv, e, a;
	char reason[64], reply[1024], v[64];

	h_licd_init(&d, license, options, NULL);
	h_licd_start(&d);
	h_connect(&g, d.port);
	h_connect(&c, d.port);
	h_connect(&dv, d.port);
	h_connect(&e, d.port);
	h_connect(&a, d.port);
	h_hello(&g, "guest", "kiosk");
	h_hello(&c, "carol", "ws3");
	h_hello(&dv, "dave", "ws4");
	h_hello(&e, "eve", "ws5");
	h_hello(&a, "alice", "ws1");

	/* EXCLUDE comes first. */
	assert_int_equal(
	    h_checkout(&g, "solver", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "excluded");

	/* MAX 1 for the chem group, its members together. */
	assert_true(h_checkout(&c, "solver", 1, NULL, 0) != 0);
	assert_int_equal(
	    h_checkout(&c, "solver", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "max");
	assert_int_equal(
	    h_checkout(&dv, "solver", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "max");

	/* One seat is left for everyone else, one is reserved: eve gets
	 * one, then nothing. */
	assert_true(h_checkout(&e, "solver", 1, NULL, 0) != 0);
	assert_int_equal(
	    h_checkout(&e, "solver", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "no-seats");

	/* The reserved seat is there for physics, charged to its unit. */
	h_request(&a, "CHECKOUT feature=solver", reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK "));
	assert_string_equal(h_get(reply, "unit", v, sizeof(v)), "physics");
	assert_int_equal(h_in_use(d.port, "solver"), 3);

	h_close(&g);
	h_close(&c);
	h_close(&dv);
	h_close(&e);
	h_close(&a);
	h_licd_cleanup(&d);
}

static void
test_include_list(void **state)
{
	static const char options[] = "INCLUDE viewer USER alice\n";
	struct h_licd d;
	struct h_conn a, b;
	char reason[64];

	h_licd_init(&d, license, options, NULL);
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_connect(&b, d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");
	assert_true(h_checkout(&a, "viewer", 1, NULL, 0) != 0);
	assert_int_equal(
	    h_checkout(&b, "viewer", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "not-included");
	/* The list is for viewer only. */
	assert_true(h_checkout(&b, "solver", 1, NULL, 0) != 0);
	h_close(&a);
	h_close(&b);
	h_licd_cleanup(&d);
}

/* PROJECT rules match the project the client declares (LM_PROJECT),
 * INTERNET rules its address, and feature:KEYWORD=value qualifiers pick
 * the licence lines a rule is about. */
static void
test_project_internet_qualifier(void **state)
{
	static const char lic[] = "VENDOR demo\n"
				  "FEATURE solver demo 2.0 permanent 3 0\n"
				  "INCREMENT viewer demo 1.0 permanent 2 0\n"
				  "INCREMENT viewer demo 2.0 permanent 2 0\n"
				  "FEATURE plotter demo 1.0 permanent 2 0\n";
	static const char options[] = "INCLUDE solver PROJECT apollo\n"
				      "EXCLUDE plotter INTERNET 127.0.0.*\n"
				      "EXCLUDE viewer:VERSION=2.0 USER bob\n";
	struct h_licd d;
	struct h_conn a, b;
	char reason[64], reply[1024], v[32];

	h_licd_init(&d, lic, options, NULL);
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_connect(&b, d.port);
	h_request(&a, "HELLO user=alice host=ws1 project=apollo", reply,
	    sizeof(reply));
	h_hello(&b, "bob", "ws2");

	assert_true(h_checkout(&a, "solver", 1, NULL, 0) != 0);
	assert_int_equal(
	    h_checkout(&b, "solver", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "not-included");

	/* Every client here comes from 127.0.0.1. */
	assert_int_equal(
	    h_checkout(&a, "plotter", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "excluded");

	/* bob is kept off the version 2.0 viewer seats only. */
	h_request(
	    &b, "CHECKOUT feature=viewer version=2.0", reply, sizeof(reply));
	assert_string_equal(h_get(reply, "reason", v, sizeof(v)), "excluded");
	h_request(
	    &b, "CHECKOUT feature=viewer version=1.0", reply, sizeof(reply));
	assert_string_equal(h_get(reply, "version", v, sizeof(v)), "1.0");
	h_request(
	    &a, "CHECKOUT feature=viewer version=2.0", reply, sizeof(reply));
	assert_string_equal(h_get(reply, "version", v, sizeof(v)), "2.0");
	h_close(&a);
	h_close(&b);
	h_licd_cleanup(&d);
}

/* START in the future, uncounted (node-locked) lines, HOST_BASED with
 * its INCLUDE list, and MAX_OVERDRAFT capping a line's OVERDRAFT. */
static void
test_start_uncounted_host_based_overdraft(void **state)
{
	static const char lic[] =
	    "VENDOR demo\n"
	    "FEATURE later demo 1.0 permanent 2 0 START=1-jan-2999\n"
	    "FEATURE plotter demo 1.0 permanent uncounted 0 HOSTID=ANY\n"
	    "FEATURE cad demo 1.0 permanent 2 0 HOST_BASED=2\n"
	    "FEATURE sim demo 1.0 permanent 1 0 OVERDRAFT=5\n";
	static const char options[] = "INCLUDE cad HOST ws1\n"
				      "INCLUDE cad HOST ws2\n"
				      "MAX_OVERDRAFT sim 1\n";
	struct h_licd d;
	struct h_conn a, b, c;
	char reason[64];

	h_licd_init(&d, lic, options, NULL);
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_connect(&b, d.port);
	h_connect(&c, d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");
	h_hello(&c, "carol", "ws3");

	assert_int_equal(h_checkout(&a, "later", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "not-started");
	assert_int_equal(
	    h_checkout(&a, "plotter", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "uncounted");
	assert_int_equal(h_feature_int(d.port, "plotter", "uncounted"), 1);

	/* Only the named hosts. */
	assert_true(h_checkout(&a, "cad", 1, NULL, 0) != 0);
	assert_true(h_checkout(&b, "cad", 1, NULL, 0) != 0);
	assert_int_equal(h_checkout(&c, "cad", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "not-included");

	/* One licensed seat, and one more of overdraft: not five. */
	assert_true(h_checkout(&a, "sim", 1, NULL, 0) != 0);
	assert_true(h_checkout(&b, "sim", 1, NULL, 0) != 0);
	assert_int_equal(h_checkout(&c, "sim", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "no-seats");
	assert_int_equal(h_feature_int(d.port, "sim", "issued"), 1);

	h_close(&a);
	h_close(&b);
	h_close(&c);
	h_licd_cleanup(&d);
}

/* A holder that dies (its process killed) gives its seat back. */
static void
test_killed_holder_returns_seat(void **state)
{
	struct h_licd d;
	char server[64];
	pid_t pid;
	int status;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	snprintf(server, sizeof(server), "%d@127.0.0.1", d.port);

	pid = h_licctl_spawn("run", "-c", server, "-f", "solver", "-n", "2",
	    "--", "sleep", "60", (char *)NULL);
	assert_true(H_WAIT(h_in_use(d.port, "solver") == 2, 10000));

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	assert_true(H_WAIT(h_in_use(d.port, "solver") == 0, 10000));
	h_licd_cleanup(&d);
}

/* TIMEOUT: a client that stops sending heartbeats loses its seat and is
 * told so. */
static void
test_timeout(void **state)
{
	static const char options[] = "TIMEOUT viewer 1\n";
	struct h_licd d;
	struct h_conn a;
	char line[1024], v[32];

	h_licd_init(&d, license, options, "limits = { min-timeout = 1; };");
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	assert_true(h_checkout(&a, "viewer", 1, NULL, 0) != 0);
	assert_true(h_checkout(&a, "solver", 1, NULL, 0) != 0);

	assert_true(h_wait_line(&a, "* REMOVED", line, sizeof(line), 5000));
	assert_string_equal(h_get(line, "feature", v, sizeof(v)), "viewer");
	assert_string_equal(h_get(line, "reason", v, sizeof(v)), "timeout");
	assert_int_equal(h_in_use(d.port, "viewer"), 0);
	/* No TIMEOUT for the solver: it stays. */
	assert_int_equal(h_in_use(d.port, "solver"), 1);
	h_close(&a);
	h_licd_cleanup(&d);
}

static void
test_bad_requests(void **state)
{
	static const struct {
		const char *req;
		const char *reason;
	} cases[] = {
	    {"CHECKOUT", "argument"},
	    {"CHECKOUT feature=solver count=0", "argument"},
	    {"CHECKOUT feature=solver count=x", "argument"},
	    {"CHECKIN", "argument"}, {"FROB x=1", "unknown-verb"},
	    {"CHECKOUT feature", "syntax"},
	    {"HELLO user=alice host=ws1", "argument"}, /* twice */
	};
	struct h_licd d;
	struct h_conn a, n;
	char reply[1024], v[64], big[6000];
	size_t i;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		h_request(&a, cases[i].req, reply, sizeof(reply));
		assert_non_null(strstr(reply, " ERR "));
		assert_string_equal(
		    h_get(reply, "reason", v, sizeof(v)), cases[i].reason);
	}
	assert_int_equal(h_in_use(d.port, "solver"), 0);

	/* Before HELLO, only STATUS and QUIT. */
	h_connect(&n, d.port);
	h_request(&n, "CHECKOUT feature=solver", reply, sizeof(reply));
	assert_string_equal(h_get(reply, "reason", v, sizeof(v)), "no-hello");
	h_close(&n);

	/* An overlong line: error 21 and the connection closes. */
	h_connect(&n, d.port);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(write(n.fd, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_true(h_wait_line(&n, "* ERR", reply, sizeof(reply), 5000));
	assert_string_equal(h_get(reply, "reason", v, sizeof(v)), "too-long");
	h_close(&n);

	/* The daemon still serves. */
	assert_true(h_checkout(&a, "solver", 1, NULL, 0) != 0);
	h_close(&a);
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_limit_then_refusal),
	    cmocka_unit_test(test_checkin_and_ownership),
	    cmocka_unit_test(test_queue_order),
	    cmocka_unit_test(test_policy_reserve_max_exclude),
	    cmocka_unit_test(test_include_list),
	    cmocka_unit_test(test_project_internet_qualifier),
	    cmocka_unit_test(test_start_uncounted_host_based_overdraft),
	    cmocka_unit_test(test_killed_holder_returns_seat),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_bad_requests),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
