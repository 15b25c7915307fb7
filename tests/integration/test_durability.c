/*
 * What survives: a reload keeps grants and refuses invalid files, a kill -9
 * loses no acknowledged grant and never over-grants after the restart,
 * clients resume by handle, and the journal's chain exposes an edit.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"

static const char license[] = "SERVER this_host ANY 27000\n"
			      "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 3 0\n";

static int
h_issued(int port, const char *feature)
{
	return h_feature_int(port, feature, "issued");
}

static void
test_reload_keeps_grants(void **state)
{
	struct h_licd d;
	struct h_conn a;
	char req[64], reply[1024];
	uint64_t h;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	h = h_checkout(&a, "solver", 2, NULL, 0);
	assert_true(h != 0);

	/* More seats and a new feature. */
	h_write(d.lic,
	    "VENDOR demo\n"
	    "FEATURE solver demo 2.0 permanent 5 0\n"
	    "FEATURE viewer demo 1.0 permanent 1 0\n");
	kill(d.pid, SIGHUP);
	assert_true(H_WAIT(h_issued(d.port, "solver") == 5, 5000));
	assert_int_equal(h_in_use(d.port, "solver"), 2);
	assert_true(h_checkout(&a, "viewer", 1, NULL, 0) != 0);

	/* An invalid file leaves everything as it was. */
	h_write(d.lic, "VENDOR demo\nFEATURE solver demo 2.0 never 9 0\n");
	kill(d.pid, SIGHUP);
	assert_true(H_WAIT(h_log_count(&d, "reload refused"), 5000));
	assert_true(h_log_count(&d, "test.lic:2:"));
	assert_int_equal(h_issued(d.port, "solver"), 5);
	assert_int_equal(h_in_use(d.port, "solver"), 2);

	/* The grant from before both reloads still checks in. */
	snprintf(
	    req, sizeof(req), "CHECKIN handle=%llu", (unsigned long long)h);
	h_request(&a, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK "));
	assert_int_equal(h_in_use(d.port, "solver"), 0);

	h_close(&a);
	h_licd_cleanup(&d);
}

static void
test_kill9_restore_resume(void **state)
{
	struct h_licd d;
	struct h_conn a, b, c;
	char req[64], reply[1024], reason[64], out[65536];
	uint64_t ha, hb;

	h_licd_init(&d, license, NULL, "limits = { resume-grace = 2; };");
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_connect(&b, d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");
	ha = h_checkout(&a, "solver", 2, NULL, 0);
	hb = h_checkout(&b, "solver", 1, NULL, 0);
	assert_true(ha != 0 && hb != 0);

	/* Every acknowledged grant is on disk: kill -9 loses none. */
	h_licd_kill9(&d);
	h_close(&a);
	h_close(&b);
	h_licd_start(&d);

	/* Restored: all three seats held, none to spare. */
	assert_int_equal(h_in_use(d.port, "solver"), 3);
	h_connect(&c, d.port);
	h_hello(&c, "carol", "ws3");
	assert_int_equal(
	    h_checkout(&c, "solver", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "no-seats");

	/* Someone else cannot take alice's grant. */
	snprintf(
	    req, sizeof(req), "RESUME handle=%llu", (unsigned long long)ha);
	h_request(&c, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, " ERR "));

	/* alice resumes hers; bob never comes back. */
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	h_request(&a, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK "));
	assert_int_equal(h_get_u64(reply, "count"), 2);

	/* After the grace, bob's seat is checked in and carol gets it. */
	assert_true(H_WAIT(h_in_use(d.port, "solver") == 2, 10000));
	assert_true(h_checkout(&c, "solver", 1, NULL, 0) != 0);
	assert_int_equal(h_in_use(d.port, "solver"), 3);

	/* The journal says why. */
	h_close(&a);
	h_close(&c);
	assert_int_equal(h_licd_stop(&d), 0);
	snprintf(req, sizeof(req), "%s/state", d.dir);
	assert_int_equal(h_licctl(out, sizeof(out), "journal", "show",
			     "--state-dir", req, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "reason=not-resumed"));
	assert_non_null(strstr(out, " resume "));
	(void)hb;
	h_licd_cleanup(&d);
}

/* A clean stop keeps grants for the restart too. */
static void
test_stop_start_keeps_grants(void **state)
{
	struct h_licd d;
	struct h_conn a;
	char req[64], reply[1024];
	uint64_t h;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	h = h_checkout(&a, "solver", 1, NULL, 0);
	assert_int_equal(h_licd_stop(&d), 0);
	h_close(&a);

	h_licd_start(&d);
	assert_int_equal(h_in_use(d.port, "solver"), 1);
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	snprintf(req, sizeof(req), "RESUME handle=%llu", (unsigned long long)h);
	h_request(&a, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK "));
	/* A new grant never reuses an old handle. */
	assert_true(h_checkout(&a, "solver", 1, NULL, 0) > h);
	h_close(&a);
	h_licd_cleanup(&d);
}

static void
test_journal_verify_detects_edit(void **state)
{
	struct h_licd d;
	struct h_conn a;
	char dir[300], db[320], out[65536];
	sqlite3 *sql;
	int rc;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	assert_true(h_checkout(&a, "solver", 1, NULL, 0) != 0);
	assert_true(h_checkout(&a, "solver", 1, NULL, 0) != 0);
	h_close(&a);
	assert_true(H_WAIT(h_in_use(d.port, "solver") == 0, 5000));

	/* Verify works while licd runs, and after it stops. */
	snprintf(dir, sizeof(dir), "%s/state", d.dir);
	rc = h_licctl(out, sizeof(out), "journal", "verify", "--state-dir", dir,
	    (char *)NULL);
	assert_int_equal(rc, 0);
	assert_int_equal(h_licd_stop(&d), 0);
	rc = h_licctl(out, sizeof(out), "journal", "verify", "--state-dir", dir,
	    (char *)NULL);
	assert_int_equal(rc, 0);

	/* Someone edits who held a seat. */
	snprintf(db, sizeof(db), "%s/journal.db", dir);
	assert_int_equal(sqlite3_open(db, &sql), SQLITE_OK);
	assert_int_equal(sqlite3_exec(sql,
			     "UPDATE records SET user = 'mallory' "
			     "WHERE type = 'checkout' AND seq = "
			     "(SELECT min(seq) FROM records "
			     "WHERE type = 'checkout')",
			     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_changes(sql), 1);
	sqlite3_close(sql);

	rc = h_licctl(out, sizeof(out), "journal", "verify", "--state-dir", dir,
	    (char *)NULL);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "altered"));
	h_licd_cleanup(&d);
}

/* The client library notices the restart, reconnects and resumes its
 * grant before the grace runs out: the seat is never lost. */
static void
test_client_resumes_after_kill9(void **state)
{
	struct h_licd d;
	char server[64], dir[300], out[65536], ready[400], flag[320];
	pid_t pid;
	int status;

	h_licd_init(&d, license, NULL,
	    "limits = { resume-grace = 8; heartbeat = 1; idle-timeout = 10; "
	    "};");
	h_licd_start(&d);
	snprintf(server, sizeof(server), "%d@127.0.0.1", d.port);
	snprintf(dir, sizeof(dir), "%s/state", d.dir);
	snprintf(
	    ready, sizeof(ready), "touch '%s/ready'; exec sleep 60", d.dir);
	snprintf(flag, sizeof(flag), "%s/ready", d.dir);
	pid = h_licctl_spawn("run", "-c", server, "-f", "solver", "--", "sh",
	    "-c", ready, (char *)NULL);
	/* The command starts only once the checkout is acknowledged, that
	 * is, committed: a seat merely granted may still be lost to the
	 * kill, and must be. */
	assert_true(H_WAIT(access(flag, F_OK) == 0, 10000));
	assert_int_equal(h_in_use(d.port, "solver"), 1);

	h_licd_kill9(&d);
	h_sleep_ms(500);
	h_licd_start(&d);

	/* The client comes back on its own and takes its grant again. */
	assert_true(H_WAIT(h_licctl(out, sizeof(out), "journal", "show",
			       "--state-dir", dir, (char *)NULL) == 0 &&
		strstr(out, " resume ") != NULL,
	    8000));

	/* Past the grace, the seat is still held: it was resumed. */
	h_sleep_ms(8500);
	assert_int_equal(h_in_use(d.port, "solver"), 1);
	assert_int_equal(kill(pid, 0), 0);

	/* The command ends: the seat comes back. */
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM);
	assert_true(H_WAIT(h_in_use(d.port, "solver") == 0, 5000));
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reload_keeps_grants),
	    cmocka_unit_test(test_kill9_restore_resume),
	    cmocka_unit_test(test_stop_start_keeps_grants),
	    cmocka_unit_test(test_journal_verify_detects_edit),
	    cmocka_unit_test(test_client_resumes_after_kill9),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
