/*
 * The licbench smoke test: the load generator against a real licd, a few
 * seconds of each workload (TCP, and UDP for the sentinel front end),
 * asserting only that cycles complete and that no error of any kind is
 * counted.  No timing is checked: CI machines are too uneven for that;
 * bench/README.md has the measurements.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Seats enough that no connection is ever refused one. */
static const char license[] = "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 100 0\n";

/* A number from licbench's JSON report ("key": N), -1 when absent. */
static long long
json_int(const char *out, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(out, pat);
	if (p == NULL)
		return -1;
	return atoll(p + strlen(pat));
}

/* Runs licbench with the arguments given and --json; checks that it
 * exits 0 with cycles done and no errors, and returns the cycles. */
static long long
bench(char *out, size_t len, const char *arg, ...)
{
	const char *bin = getenv("LICBENCH_BIN");
	const char *argv[32] = {NULL};
	va_list ap;
	size_t n = 0;
	long long cycles;
	int rc;

	assert_non_null(bin);
	va_start(ap, arg);
	for (; arg != NULL && n < 30; arg = va_arg(ap, const char *))
		argv[n++] = arg;
	va_end(ap);
	argv[n++] = "--json";
	argv[n] = NULL;
	rc = h_run(out, len, bin, argv[0], argv[1], argv[2], argv[3], argv[4],
	    argv[5], argv[6], argv[7], argv[8], argv[9], argv[10], argv[11],
	    argv[12], argv[13], argv[14], argv[15], (char *)NULL);
	cycles = json_int(out, "cycles");
	if (rc != 0 || cycles <= 0 || json_int(out, "total") != 0)
		fail_msg("licbench exited %d:\n%s", rc, out);
	assert_int_equal(json_int(out, "connect"), 0);
	assert_int_equal(json_int(out, "protocol"), 0);
	assert_int_equal(json_int(out, "timeout"), 0);
	assert_int_equal(json_int(out, "closed"), 0);
	return cycles;
}

static void
test_flex_cycle(void **state)
{
	struct h_licd d;
	char out[8192], port[16];

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	snprintf(port, sizeof(port), "%d", d.port);
	bench(out, sizeof(out), "-w", "flex-cycle", "-p", port, "-c", "16",
	    "-d", "2", "-f", "solver", (char *)NULL);
	assert_int_equal(json_int(out, "set_up"), 16);
	assert_int_equal(json_int(out, "open_at_end"), 16);
	/* Every seat came back: the connections are gone. */
	assert_true(H_WAIT(h_in_use(d.port, "solver") == 0, 5000));

	/* A count instead of a duration, in open loop. */
	assert_true(
	    bench(out, sizeof(out), "-w", "flex-cycle", "-p", port, "-c", "4",
		"-n", "40", "-r", "200", (char *)NULL) >= 40);
	h_licd_cleanup(&d);
}

/* Checkouts that pile up on 4 connections, returned when they close. */
static void
test_flex_hold(void **state)
{
	struct h_licd d;
	char out[8192], port[16];

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	snprintf(port, sizeof(port), "%d", d.port);
	assert_int_equal(
	    bench(out, sizeof(out), "-w", "flex-hold", "-p", port, "-c", "4",
		"-n", "40", "-f", "solver", (char *)NULL),
	    40);
	assert_true(H_WAIT(h_in_use(d.port, "solver") == 0, 5000));
	h_licd_cleanup(&d);
}

/*
 * Lease cycles over UDP, closed loop, then a count in open loop from two
 * source addresses.  The rate limit is raised: the default (200 a second
 * per address) would drop datagrams, which licbench counts as timeouts.
 */
static void
test_sentinel(void **state)
{
	struct h_licd d;
	char out[8192], sport[16];

	h_licd_init(&d, license, NULL,
	    "sentinel = { address = \"127.0.0.1\"; rate = 1000000; };\n");
	h_licd_start(&d);
	snprintf(sport, sizeof(sport), "%d", d.sport);
	bench(out, sizeof(out), "-w", "sentinel", "-p", sport, "-c", "16", "-d",
	    "2", "-f", "solver", (char *)NULL);
	assert_int_equal(json_int(out, "set_up"), 16);
	assert_true(
	    bench(out, sizeof(out), "-w", "sentinel", "-p", sport, "-c", "4",
		"-n", "40", "-r", "200", "-S", "2", (char *)NULL) >= 40);
	/* Every lease was released (and BYE said at the end). */
	assert_true(H_WAIT(h_in_use(d.port, "solver") == 0, 5000));
	h_licd_cleanup(&d);
}

static void
test_idle(void **state)
{
	struct h_licd d;
	char out[8192], port[16];

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	snprintf(port, sizeof(port), "%d", d.port);
	bench(out, sizeof(out), "-w", "idle", "-p", port, "-c", "16", "-i",
	    "200", "-d", "1", (char *)NULL);
	assert_int_equal(json_int(out, "set_up"), 16);
	h_licd_cleanup(&d);
}

static void
test_kms(void **state)
{
	struct h_licd d;
	char out[8192], extra[512], port[16];
	int kms_port = h_unused_port();

	snprintf(extra, sizeof(extra),
	    "kms = { port = %d; address = \"127.0.0.1\"; products = ("
	    " { name = \"bench\"; threshold-client = 5; } ); };\n",
	    kms_port);
	h_licd_init(&d, license, NULL, extra);
	h_licd_start(&d);
	snprintf(port, sizeof(port), "%d", kms_port);
	/* New machines every time, then a few seen again and again. */
	bench(out, sizeof(out), "-w", "kms", "-p", port, "-c", "4", "-d", "1",
	    "-P", "bench", (char *)NULL);
	bench(out, sizeof(out), "-w", "kms", "-p", port, "-c", "4", "-n", "200",
	    "-m", "3", "-P", "bench", (char *)NULL);
	h_licd_cleanup(&d);
}

/* Lines of the durable-ref log at path that hold op as their second
 * word; the log is filled with zeros past its end. */
static long long
log_ops(const char *path, const char *op)
{
	char line[512], pat[32];
	long long n = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	snprintf(pat, sizeof(pat), " %s ", op);
	while (fgets(line, sizeof(line), f) != NULL && line[0] != '\0')
		if (strstr(line, pat) != NULL)
			n++;
	fclose(f);
	return n;
}

/* The ratio's yardstick (bench/durable_ref.c), in both of its modes:
 * licbench's memcached workload completes against it without an error,
 * and every change it acknowledged is in its log. */
static void
test_durable_ref(void **state)
{
	const char *bin = getenv("DURABLE_REF_BIN");
	char out[8192], dir[] = "/tmp/licd-dref.XXXXXX", log[64], port[16];
	long long cycles;
	pid_t pid;
	int m, p, st;

	(void)state;
	assert_non_null(bin);
	assert_non_null(mkdtemp(dir));
	snprintf(log, sizeof(log), "%s/log", dir);
	for (m = 0; m < 2; m++) {
		p = h_unused_port();
		snprintf(port, sizeof(port), "%d", p);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			/* Gone with the test, should an assertion end it.
			 * A sync thread first, then (-i) the sync in the
			 * loop. */
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			execl(bin, bin, "-p", port, "-f", log, "-s", "1048576",
			    m == 0 ? (char *)NULL : "-i", (char *)NULL);
			_exit(127);
		}
		assert_true(
		    H_WAIT((st = h_loopback_socket(SOCK_STREAM, p)) >= 0 &&
			    close(st) == 0,
			5000));
		cycles = bench(out, sizeof(out), "-w", "memcached", "-p", port,
		    "-c", "8", "-n", "2000", (char *)NULL);
		assert_int_equal(cycles, 2000);
		kill(pid, SIGTERM);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		/* Each connection sets its key once, then one incr and one
		 * decr a cycle: all acknowledged, so all in the log. */
		assert_int_equal(log_ops(log, "set"), 8);
		assert_int_equal(log_ops(log, "incr"), cycles);
		assert_int_equal(log_ops(log, "decr"), cycles);
		unlink(log);
	}
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flex_cycle),
	    cmocka_unit_test(test_flex_hold),
	    cmocka_unit_test(test_sentinel),
	    cmocka_unit_test(test_idle),
	    cmocka_unit_test(test_kms),
	    cmocka_unit_test(test_durable_ref),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
