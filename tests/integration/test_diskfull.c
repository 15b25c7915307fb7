/*
 * A full disk under the state directory: licd refuses checkouts with a
 * clear error (27, internal: try again) while the journal cannot commit,
 * logs it once, keeps the reply of a checkout it granted until that is on
 * disk, and recovers by itself once space returns; nothing acknowledged is
 * lost and the chain verifies.
 *
 * The state directory is a small tmpfs mounted in a private mount
 * namespace, which needs root (CI runs as root); otherwise the test is
 * skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char license[] = "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 50 0\n";

/* Writes path until the file system is full. */
static void
fill(const char *path)
{
	static char block[4096];
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) > 0)
		continue;
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

static void
test_disk_full(void **state)
{
	struct h_licd d;
	struct h_conn a, b;
	char dir[300], filler[320], reply[1024], req[64], out[65536], v[16];
	uint64_t h1, h2;

	h_licd_init_tmpfs(&d, license, "test_diskfull", dir, sizeof(dir),
	    filler, sizeof(filler));
	h_licd_start(&d);

	h_connect(&a, d.port);
	h_connect(&b, d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");
	h1 = h_checkout(&a, "solver", 1, NULL, 0);
	assert_true(h1 != 0);

	/* The disk fills up.  alice's next checkout is granted, but its
	 * reply waits for a commit that fails. */
	fill(filler);
	snprintf(req, sizeof(req), "a1 CHECKOUT feature=solver count=1\n");
	assert_int_equal(write(a.fd, req, strlen(req)), (ssize_t)strlen(req));
	assert_true(
	    H_WAIT(h_log_count(&d, "journal: cannot commit") == 1, 10000));
	assert_false(h_wait_line(&a, "a1 ", reply, sizeof(reply), 300));

	/* Meanwhile new checkouts are refused, clearly, and the server
	 * still answers everything else. */
	assert_int_equal(h_checkout(&b, "solver", 1, v, sizeof(v)), 0);
	assert_string_equal(v, "internal");
	h_request(&b, "HEARTBEAT", reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK"));
	h_sleep_ms(2500); /* a few retries: still logged once */
	assert_int_equal(h_log_count(&d, "journal: cannot commit"), 1);

	/* Space returns: the writer's retry commits, alice hears her
	 * answer, and checkouts are taken again. */
	assert_int_equal(unlink(filler), 0);
	assert_true(h_wait_line(&a, "a1 OK", reply, sizeof(reply), 10000));
	h2 = h_get_u64(reply, "handle");
	assert_true(h2 != 0);
	assert_true(
	    H_WAIT(h_log_count(&d, "journal: committing again") == 1, 10000));
	assert_true(h_checkout(&b, "solver", 1, NULL, 0) != 0);
	assert_int_equal(h_in_use(d.port, "solver"), 3);

	/* Everything acknowledged is in the journal, chained. */
	h_close(&a);
	h_close(&b);
	assert_int_equal(h_licd_stop(&d), 0);
	assert_int_equal(h_licctl(out, sizeof(out), "journal", "verify",
			     "--state-dir", dir, (char *)NULL),
	    0);
	assert_int_equal(h_licctl(out, sizeof(out), "journal", "show",
			     "--state-dir", dir, (char *)NULL),
	    0);
	snprintf(req, sizeof(req), "handle=%llu", (unsigned long long)h2);
	assert_non_null(strstr(out, req));
	umount(dir);
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_disk_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
