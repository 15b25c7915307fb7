/*
 * Borrowing against a real licd: licctl borrow takes a seat that stays
 * counted after licctl exits and after a kill -9 and restart (past the
 * resume grace), the line's and the options file's limits refuse what
 * they must, --return gives it back early, a short period expires by
 * itself, and lmborrow -status lists what the state file holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <cmocka.h>

#include "harness.h"

/* BORROW=1: at most an hour; "--hours 0.001" (3.6 s) makes the expiry
 * short enough for a test. */
static const char license[] = "SERVER this_host ANY 27000\n"
			      "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 3 0 BORROW=1\n"
			      "FEATURE viewer demo 1.0 permanent 2 0\n";

static const char options[] = "BORROW_LOWWATER solver 1\n"
			      "EXCLUDE_BORROW solver USER mallory\n";

static long long
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void
test_borrow_lifecycle(void **state)
{
	struct h_licd d;
	struct h_conn m;
	char server[64], file[320], out[16384], req[160], reply[1024];
	char sdir[300];

	(void)state;
	h_licd_init(&d, license, options, "limits = { resume-grace = 2; };");
	h_licd_start(&d);
	snprintf(server, sizeof(server), "%d@127.0.0.1", d.port);
	snprintf(file, sizeof(file), "%s/borrow.state", d.dir);
	snprintf(sdir, sizeof(sdir), "%s/state", d.dir);

	/* Borrowed: counted while licctl, which asked, is long gone. */
	if (h_licctl(out, sizeof(out), "borrow", "-c", server, "-f",
		"solver:2.0", "--hours", "0.5", "--state-file", file,
		(char *)NULL) != 0) {
		print_message("%s", out);
		fail();
	}
	assert_non_null(strstr(out, "borrowed 1 license of solver until"));
	assert_int_equal(h_in_use(d.port, "solver"), 1);

	/* lmstat shows it as FlexLM does, lingering for the period. */
	assert_int_equal(h_licctl(out, sizeof(out), "lmstat", "-c", server,
			     "-a", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "(linger: "));
	assert_non_null(strstr(out, " / 180")); /* 1800 s, give or take */

	/* Refusals: a line without BORROW, past BORROW=1, past what
	 * BORROW_LOWWATER leaves, and EXCLUDE_BORROW. */
	assert_int_equal(
	    h_licctl(out, sizeof(out), "borrow", "-c", server, "-f", "viewer",
		"--hours", "1", "--state-file", file, (char *)NULL),
	    1);
	assert_non_null(strstr(out, "(not-borrowable)"));
	assert_int_equal(
	    h_licctl(out, sizeof(out), "borrow", "-c", server, "-f", "solver",
		"--hours", "1.5", "--state-file", file, (char *)NULL),
	    1);
	assert_non_null(strstr(out, "(borrow-too-long)"));
	assert_int_equal(h_licctl(out, sizeof(out), "borrow", "-c", server,
			     "-f", "solver", "-n", "2", "--hours", "0.5",
			     "--state-file", file, (char *)NULL),
	    1);
	assert_non_null(strstr(out, "(borrow-lowwater)"));
	assert_int_equal(h_licctl(out, sizeof(out), "lmborrow", "-c", server,
			     "-f", "solver", "--state-file", file, "all",
			     "31-dec-2099", "17:00", (char *)NULL),
	    1);
	assert_non_null(strstr(out, "(borrow-too-long)"));
	h_connect(&m, d.port);
	h_hello(&m, "mallory", "ws9");
	snprintf(req, sizeof(req), "BORROW feature=solver until_ms=%lld",
	    now_ms() + 60000);
	h_request(&m, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, "ERR code=7 reason=excluded"));
	h_close(&m);
	assert_int_equal(h_in_use(d.port, "solver"), 1);

	/* kill -9: the borrow comes back without anyone resuming it, and
	 * stays past the resume grace. */
	h_licd_kill9(&d);
	h_licd_start(&d);
	assert_int_equal(h_in_use(d.port, "solver"), 1);
	h_sleep_ms(3500);
	assert_int_equal(h_in_use(d.port, "solver"), 1);

	/* lmborrow -status reads the state file alone. */
	assert_int_equal(h_licctl(out, sizeof(out), "lmborrow", "-status",
			     "--state-file", file, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "solver"));
	assert_non_null(strstr(out, server));

	/* Early return, by feature, as lmborrow -return does. */
	if (h_licctl(out, sizeof(out), "borrow", "--return", "--state-file",
		file, "solver", (char *)NULL) != 0) {
		print_message("%s", out);
		fail();
	}
	assert_non_null(strstr(out, "returned solver"));
	assert_int_equal(h_in_use(d.port, "solver"), 0);
	assert_int_equal(h_licctl(out, sizeof(out), "borrow", "--status",
			     "--state-file", file, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "No borrowed licenses"));

	/* A short borrow expires by itself. */
	assert_int_equal(
	    h_licctl(out, sizeof(out), "borrow", "-c", server, "-f", "solver",
		"--hours", "0.001", "--state-file", file, (char *)NULL),
	    0);
	assert_int_equal(h_in_use(d.port, "solver"), 1);
	assert_true(H_WAIT(h_in_use(d.port, "solver") == 0, 10000));
	/* Giving back what expired says so and forgets it. */
	assert_int_equal(h_licctl(out, sizeof(out), "lmborrow", "-return",
			     "--state-file", file, "solver", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "had already come back"));

	/* The journal says why each seat came back. */
	assert_int_equal(h_licctl(out, sizeof(out), "journal", "show",
			     "--state-dir", sdir, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "borrow until_ms="));
	assert_non_null(strstr(out, "reason=borrow-return"));
	assert_non_null(strstr(out, "reason=borrow-expired"));

	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
}

/* The borrower's connection closing changes nothing; another user cannot
 * return the seat; an administrator can remove it. */
static void
test_borrow_protocol(void **state)
{
	struct h_licd d;
	struct h_conn a, b;
	char req[160], reply[1024];
	uint64_t h;

	(void)state;
	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);

	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	snprintf(req, sizeof(req),
	    "BORROW feature=solver count=2 until_ms=%lld", now_ms() + 600000);
	h_request(&a, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK handle="));
	h = h_get_u64(reply, "handle");
	assert_true(h != 0);
	assert_non_null(strstr(reply, "until_ms="));
	/* Not the session's: CHECKIN and RESUME refuse it. */
	snprintf(
	    req, sizeof(req), "CHECKIN handle=%llu", (unsigned long long)h);
	h_request(&a, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, "reason=not-owner"));
	h_request(&a, "HEARTBEAT", reply, sizeof(reply));
	assert_non_null(strstr(reply, "grants=0"));
	h_close(&a);
	h_sleep_ms(200);
	assert_int_equal(h_in_use(d.port, "solver"), 2);

	/* A malformed end is refused by the codec. */
	h_connect(&b, d.port);
	h_hello(&b, "bob", "ws2");
	h_request(
	    &b, "BORROW feature=solver until_ms=soon", reply, sizeof(reply));
	assert_non_null(strstr(reply, "ERR code=24"));
	snprintf(req, sizeof(req), "RETURN handle=%llu", (unsigned long long)h);
	h_request(&b, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, "reason=not-owner"));
	h_close(&b);

	/* Returned by alice from a new connection. */
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	h_request(&a, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK handle="));
	h_request(&a, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, "reason=no-grant"));
	h_close(&a);
	assert_int_equal(h_in_use(d.port, "solver"), 0);

	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_borrow_lifecycle),
	    cmocka_unit_test(test_borrow_protocol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
