/*
 * The command line as an administrator and a user meet it: licd -t,
 * licctl stat in the lmstat layout, licctl run's exit codes.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char license[] = "SERVER this_host ANY 27000\n"
			      "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 3 0\n"
			      "FEATURE viewer demo 1.0 permanent 1 0\n";

/* Runs licd with args and captures its output; returns the exit status. */
static int
run_licd(char *out, size_t len, const char *args)
{
	char cmd[2048];
	FILE *p;
	size_t n;
	int status;

	snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", getenv("LICD_BIN"), args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_check_mode(void **state)
{
	struct h_licd d;
	char out[8192], bad[320], args[1024];

	h_licd_init(&d, license, "GROUP physics alice\n", NULL);
	snprintf(args, sizeof(args), "-t -c '%s'", d.conf);
	assert_int_equal(run_licd(out, sizeof(out), args), 0);
	assert_non_null(strstr(out, "configuration OK"));

	/* Each error with its file and line, and a non-zero exit. */
	snprintf(bad, sizeof(bad), "%s/bad.lic", d.dir);
	h_write(bad,
	    "VENDOR demo\n"
	    "FEATURE solver demo 2.0 permanent 3 0\n"
	    "FEATURE viewer demo 1.0 32-foo-2020 1 0\n"
	    "BOGUS line\n");
	snprintf(args, sizeof(args), "-t --license '%s' --state-dir '%s'", bad,
	    d.dir);
	assert_int_equal(run_licd(out, sizeof(out), args), 1);
	assert_non_null(strstr(out, "bad.lic:3:"));
	assert_non_null(strstr(out, "bad.lic:4:"));

	/* A misspelt setting in licd.conf. */
	h_write(
	    d.conf, "license-files = [ \"test.lic\" ];\nstate-dri = \"x\";\n");
	snprintf(args, sizeof(args), "-t -c '%s'", d.conf);
	assert_int_equal(run_licd(out, sizeof(out), args), 1);
	assert_non_null(strstr(out, "licd.conf:2:"));
	h_licd_cleanup(&d);
}

static void
test_stat_lmstat_layout(void **state)
{
	struct h_licd d;
	struct h_conn a;
	char out[65536], server[64];
	int rc;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	assert_true(h_checkout(&a, "solver", 2, NULL, 0) != 0);

	snprintf(server, sizeof(server), "%d@127.0.0.1", d.port);
	rc = h_licctl(
	    out, sizeof(out), "stat", "-c", server, "-a", (char *)NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out,
	    "Users of solver:  (Total of 3 licenses "
	    "issued;  Total of 2 licenses in use)"));
	assert_non_null(strstr(out,
	    "Users of viewer:  (Total of 1 license "
	    "issued;  Total of 0 licenses in use)"));
	assert_non_null(strstr(out, "\"solver\" v2.0, vendor: demo"));
	assert_non_null(strstr(out, "    alice ws1 /dev/pts/1 (v2.0) "));
	assert_non_null(strstr(out, ", 2 licenses\n"));

	/* -f: one feature only. */
	rc = h_licctl(out, sizeof(out), "stat", "-c", server, "-a", "-f",
	    "viewer", (char *)NULL);
	assert_int_equal(rc, 0);
	assert_null(strstr(out, "Users of solver"));
	assert_non_null(strstr(out, "Users of viewer"));
	h_close(&a);
	h_licd_cleanup(&d);
}

static void
test_run_exit_codes(void **state)
{
	struct h_licd d;
	struct h_conn a;
	char out[8192], server[64];
	int rc;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	snprintf(server, sizeof(server), "%d@127.0.0.1", d.port);

	/* The command's own status comes back, and the seat with it. */
	rc = h_licctl(out, sizeof(out), "run", "-c", server, "-f", "solver",
	    "--", "sh", "-c", "exit 7", (char *)NULL);
	assert_int_equal(rc, 7);
	assert_int_equal(h_in_use(d.port, "solver"), 0);

	/* Refused: the reason, and 69. */
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	assert_true(h_checkout(&a, "viewer", 1, NULL, 0) != 0);
	rc = h_licctl(out, sizeof(out), "run", "-c", server, "-f", "viewer",
	    "--", "true", (char *)NULL);
	assert_int_equal(rc, 69);
	assert_non_null(strstr(out, "no-seats"));

	/* No server: 69 as well. */
	h_close(&a);
	h_licd_stop(&d);
	rc = h_licctl(out, sizeof(out), "run", "-c", server, "-f", "viewer",
	    "--", "true", (char *)NULL);
	assert_int_equal(rc, 69);
	h_licd_cleanup(&d);
}

/* A FlexLM date n days from now, e.g. "8-dec-2026". */
static void
flex_date(int days, char *buf, size_t len)
{
	static const char *const mon[] = {"jan", "feb", "mar", "apr", "may",
	    "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%d-%s-%d", tm.tm_mday, mon[tm.tm_mon],
	    tm.tm_year + 1900);
}

static int
file_has(const char *path, const char *needle)
{
	char line[2048];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* licd warns ahead of expiry, and says which lines have expired. */
static void
test_expiry_warnings(void **state)
{
	struct h_licd d;
	char lic[512], soon[32], past[32], later[32], log[320];

	flex_date(5, soon, sizeof(soon));
	flex_date(-3, past, sizeof(past));
	flex_date(200, later, sizeof(later));
	snprintf(lic, sizeof(lic),
	    "VENDOR demo\n"
	    "FEATURE soon demo 1.0 %s 2 0\n"
	    "FEATURE gone demo 1.0 %s 2 0\n"
	    "FEATURE later demo 1.0 %s 2 0\n",
	    soon, past, later);
	h_licd_init(&d, lic, NULL, "expiry-warn-days = 30;");
	h_licd_start(&d);
	snprintf(log, sizeof(log), "%s/licd.log", d.dir);
	assert_true(H_WAIT(file_has(log,
			       "licence expires soon: "
			       "feature=soon version=1.0 seats=2"),
	    5000));
	assert_true(
	    file_has(log, "days=6 file=") || file_has(log, "days=5 file="));
	assert_true(file_has(log, "licence expired: feature=gone"));
	assert_false(file_has(log, "feature=later"));
	assert_true(file_has(log, "test.lic:2"));
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_mode),
	    cmocka_unit_test(test_stat_lmstat_layout),
	    cmocka_unit_test(test_run_exit_codes),
	    cmocka_unit_test(test_expiry_warnings),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
