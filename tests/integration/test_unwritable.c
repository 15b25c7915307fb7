/*
 * An unwritable state directory.  At start-up licd refuses to run, with a
 * line that names the directory, the reason and its uid, and starts once
 * the directory is mended.  While it runs, the journal's files are open
 * and seats are still served and journaled; what needs a new file there
 * (NEWLOG's archive) is refused with a clear error, leaves the journal as
 * it was, and works again once the directory is writable, with nothing
 * acknowledged lost and the chain intact.
 *
 * licd runs as nobody, since root writes anywhere; the test needs root
 * (CI runs as root) and is skipped otherwise.
 */
#include <pwd.h>
#include <setjmp.h>
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
			      "FEATURE solver demo 2.0 permanent 10 0\n";

/* Prepares d for a licd running as nobody: its folder and files are
 * nobody's, and the state folder is made by the test, root's, 0755. */
static int
init_as_nobody(
    struct h_licd *d, char *state, size_t len, uid_t *uid, gid_t *gid)
{
	const struct passwd *pw;
	char cmd[600];

	if (geteuid() != 0)
		return -1;
	pw = getpwnam("nobody");
	if (pw == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	h_licd_init(d, license, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "chown -R %u:%u %s && chmod 0755 %s",
	    (unsigned)*uid, (unsigned)*gid, d->dir, d->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(state, len, "%s/state", d->dir);
	assert_int_equal(mkdir(state, 0755), 0);
	return 0;
}

static void
test_start_refused_then_mended(void **state)
{
	struct h_licd d;
	struct h_conn a;
	char dir[300], line[400];
	uid_t uid;
	gid_t gid;
	int status = 0;

	(void)state;
	if (init_as_nobody(&d, dir, sizeof(dir), &uid, &gid) == -1)
		skip();

	/* root's 0755 folder: nobody cannot make the lock file. */
	assert_int_equal(h_licd_try_start_as(&d, uid, gid, &status), -1);
	assert_true(WIFEXITED(status));
	assert_true(WEXITSTATUS(status) != 0);
	snprintf(line, sizeof(line),
	    "cannot start: state directory %s is not writable", dir);
	if (h_log_count(&d, line) != 1) {
		h_licd_dump_log(&d);
		fail_msg("no clear line for the unwritable state directory");
	}
	assert_int_equal(h_log_count(&d, "Permission denied"), 1);

	/* Mended: licd starts and serves. */
	assert_int_equal(chown(dir, uid, gid), 0);
	assert_int_equal(h_licd_try_start_as(&d, uid, gid, &status), 0);
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	assert_true(h_checkout(&a, "solver", 1, NULL, 0) != 0);
	h_close(&a);
	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
}

/* Archives (journal-*.db) in dir. */
static int
archives(const char *dir)
{
	char cmd[400], out[64];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls %s | grep -c '^journal-.*\\.db$'", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(out, sizeof(out), p) == NULL)
		out[0] = '\0';
	pclose(p);
	return atoi(out);
}

static void
test_unwritable_while_running(void **state)
{
	struct h_licd d;
	struct h_conn a, b;
	char dir[300], out[65536], req[64], reply[1024];
	uint64_t h1, h2, h3;
	uid_t uid;
	gid_t gid;
	int status = 0;

	(void)state;
	if (init_as_nobody(&d, dir, sizeof(dir), &uid, &gid) == -1)
		skip();
	assert_int_equal(chown(dir, uid, gid), 0);
	assert_int_equal(h_licd_try_start_as(&d, uid, gid, &status), 0);
	h_connect(&a, d.port);
	h_connect(&b, d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");
	h1 = h_checkout(&a, "solver", 1, NULL, 0);
	assert_true(h1 != 0);

	/* The folder turns read-only (an operator's chmod; root still
	 * writes, licd's user does not). */
	assert_int_equal(chmod(dir, 0555), 0);

	/* The open journal still takes seats in and out. */
	h2 = h_checkout(&b, "solver", 2, NULL, 0);
	assert_true(h2 != 0);
	snprintf(
	    req, sizeof(req), "CHECKIN handle=%llu", (unsigned long long)h1);
	h_request(&a, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK "));

	/* A new journal file cannot be made: refused, clearly, and
	 * nothing moves. */
	assert_true(h_licctl(out, sizeof(out), "newlog", "--state-dir", dir,
			(char *)NULL) != 0);
	if (strstr(out, "Permission denied") == NULL) {
		h_licd_dump_log(&d);
		fail_msg("newlog's refusal says: %s", out);
	}
	assert_int_equal(h_log_count(&d, "newlog refused"), 1);
	assert_int_equal(archives(dir), 0);
	assert_int_equal(h_in_use(d.port, "solver"), 2);
	h3 = h_checkout(&a, "solver", 1, NULL, 0);
	assert_true(h3 != 0);

	/* Mended: the next NEWLOG archives everything, and every record
	 * acknowledged is in the chain. */
	assert_int_equal(chmod(dir, 0750), 0);
	assert_int_equal(h_licctl(out, sizeof(out), "newlog", "--state-dir",
			     dir, (char *)NULL),
	    0);
	assert_int_equal(archives(dir), 1);
	assert_int_equal(h_in_use(d.port, "solver"), 3);
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
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_start_refused_then_mended),
	    cmocka_unit_test(test_unwritable_while_running),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
