/*
 * Administration over the local admin socket: lmremove by handle and by
 * holder, lmreread, and who may do either.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char license[] = "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 3 0\n";

static void
test_remove_by_handle_and_holder(void **state)
{
	struct h_licd d;
	struct h_conn a, b;
	char dir[300], out[65536], handle[32], line[1024], v[32];
	uint64_t h;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	snprintf(dir, sizeof(dir), "%s/state", d.dir);
	h_connect(&a, d.port);
	h_connect(&b, d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");
	h = h_checkout(&a, "solver", 1, NULL, 0);
	assert_true(h_checkout(&b, "solver", 1, NULL, 0) != 0);
	assert_true(h_checkout(&b, "solver", 1, NULL, 0) != 0);

	/* A hung seat removed by its handle: the holder is told. */
	snprintf(handle, sizeof(handle), "%llu", (unsigned long long)h);
	assert_int_equal(h_licctl(out, sizeof(out), "remove", "--state-dir",
			     dir, handle, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "removed 1 license"));
	assert_true(h_wait_line(&a, "* REMOVED", line, sizeof(line), 5000));
	assert_string_equal(h_get(line, "reason", v, sizeof(v)), "admin");
	assert_int_equal(h_in_use(d.port, "solver"), 2);

	/* Gone already: an error, nothing changes. */
	assert_int_equal(h_licctl(out, sizeof(out), "remove", "--state-dir",
			     dir, handle, (char *)NULL),
	    1);
	assert_non_null(strstr(out, "no-grant"));

	/* lmremove feature user host: both of bob's. */
	assert_int_equal(h_licctl(out, sizeof(out), "remove", "--state-dir",
			     dir, "solver", "bob", "ws2", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "removed 2 licenses"));
	assert_int_equal(h_in_use(d.port, "solver"), 0);

	/* The journal says who and why. */
	h_close(&a);
	h_close(&b);
	assert_int_equal(h_licd_stop(&d), 0);
	assert_int_equal(h_licctl(out, sizeof(out), "journal", "show",
			     "--state-dir", dir, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "reason=admin"));
	assert_non_null(strstr(out, "by uid="));
	h_licd_cleanup(&d);
}

static void
test_reread(void **state)
{
	struct h_licd d;
	char dir[300], out[65536];

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	snprintf(dir, sizeof(dir), "%s/state", d.dir);

	h_write(d.lic, "VENDOR demo\nFEATURE solver demo 2.0 permanent 7 0\n");
	assert_int_equal(h_licctl(out, sizeof(out), "reread", "--state-dir",
			     dir, (char *)NULL),
	    0);
	assert_int_equal(h_feature_int(d.port, "solver", "issued"), 7);

	/* An invalid file: refused with its reason, nothing changes. */
	h_write(d.lic, "VENDOR demo\nFEATURE solver demo 2.0 permanent x 0\n");
	assert_int_equal(h_licctl(out, sizeof(out), "reread", "--state-dir",
			     dir, (char *)NULL),
	    1);
	assert_non_null(strstr(out, "test.lic:2:"));
	assert_int_equal(h_feature_int(d.port, "solver", "issued"), 7);
	h_licd_cleanup(&d);
}

static void
test_admin_refused(void **state)
{
	struct h_licd d;
	struct h_conn a;
	char dir[300], sock[320], req[64], reply[1024], v[32], bin[320];
	char cmd[1024];
	uint64_t h;
	pid_t pid;
	int status;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	snprintf(dir, sizeof(dir), "%s/state", d.dir);
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	h = h_checkout(&a, "solver", 1, NULL, 0);

	/* Never over the network. */
	snprintf(req, sizeof(req), "REMOVE handle=%llu", (unsigned long long)h);
	h_request(&a, req, reply, sizeof(reply));
	assert_string_equal(h_get(reply, "reason", v, sizeof(v)), "forbidden");
	h_request(&a, "REREAD", reply, sizeof(reply));
	assert_string_equal(h_get(reply, "reason", v, sizeof(v)), "forbidden");
	assert_int_equal(h_in_use(d.port, "solver"), 1);

	/* On the admin socket, not from an ordinary user: the socket's mode
	 * keeps them out, and if it did not, the peer check would. */
	if (geteuid() == 0) {
		/* A copy of licctl that the unprivileged user can reach,
		 * wherever the build tree lives. */
		snprintf(bin, sizeof(bin), "%s/licctl", d.dir);
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 755 '%s'",
		    getenv("LICCTL_BIN"), bin, bin);
		assert_int_equal(system(cmd), 0);
		snprintf(sock, sizeof(sock), "%s/admin.sock", dir);
		assert_int_equal(chmod(d.dir, 0755), 0);
		assert_int_equal(chmod(dir, 0755), 0);
		assert_int_equal(chmod(sock, 0666), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char out[4096];
			int rc;

			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(100);
			setenv("LICCTL_BIN", bin, 1);
			rc = h_licctl(out, sizeof(out), "remove", "--socket",
			    sock, "solver", "alice", "ws1", (char *)NULL);
			_exit(rc == 1 && strstr(out, "forbidden") ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		assert_int_equal(h_in_use(d.port, "solver"), 1);
	}
	h_close(&a);
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_remove_by_handle_and_holder),
	    cmocka_unit_test(test_reread),
	    cmocka_unit_test(test_admin_refused),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
