/*
 * licctl as an lmutil drop-in against a real licd: lmstat's flags and
 * layouts under the names lmutil and lmstat, lmremove in both forms,
 * lmreread, lmnewlog, lmdown, lmver, lmhostid, lmdiag, the refusal of an
 * outsider, and Debian's check_flexlm pointed at licd's lmstat.
 */
#include <dirent.h>
#include <regex.h>
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

#define CHECK_FLEXLM "/usr/lib/nagios/plugins/check_flexlm"
#define NAGIOS_UTILS "/usr/lib/nagios/plugins/utils.pm"

static const char options[] = "RESERVE 1 solver USER carol\n";

struct lm {
	struct h_licd d;
	char state[300]; /* licd's state directory */
	char client_lic[300]; /* a client's licence file: SERVER lines */
	char lmutil[320]; /* links to licctl under lmutil's names */
	char lmstat[320];
	char server[64]; /* port@127.0.0.1 */
};

/* A licd whose licence file names it in a SERVER line, as a site's does,
 * and links named lmutil and lmstat in the test's folder. */
static void
lm_start(struct lm *l)
{
	char text[1024];

	h_licd_init(&l->d, "VENDOR demo\n", options, NULL);
	snprintf(text, sizeof(text),
	    "SERVER 127.0.0.1 ANY %d\n"
	    "VENDOR demo\n"
	    "FEATURE solver demo 2.0 permanent 3 0\n"
	    "FEATURE viewer demo 1.0 31-dec-2036 1 0\n",
	    l->d.port);
	h_write(l->d.lic, text);
	snprintf(
	    l->client_lic, sizeof(l->client_lic), "%s/client.lic", l->d.dir);
	snprintf(text, sizeof(text), "SERVER 127.0.0.1 ANY %d\nVENDOR demo\n",
	    l->d.port);
	h_write(l->client_lic, text);
	snprintf(l->state, sizeof(l->state), "%s/state", l->d.dir);
	snprintf(l->server, sizeof(l->server), "%d@127.0.0.1", l->d.port);
	snprintf(l->lmutil, sizeof(l->lmutil), "%s/lmutil", l->d.dir);
	snprintf(l->lmstat, sizeof(l->lmstat), "%s/lmstat", l->d.dir);
	assert_int_equal(symlink(getenv("LICCTL_BIN"), l->lmutil), 0);
	assert_int_equal(symlink(getenv("LICCTL_BIN"), l->lmstat), 0);
	h_licd_start(&l->d);
}

static int
matches(const char *pattern, const char *text)
{
	regex_t re;
	int rc;

	assert_int_equal(
	    regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE | REG_NOSUB), 0);
	rc = regexec(&re, text, 0, NULL, 0) == 0;
	regfree(&re);
	return rc;
}

static void
test_lmstat(void **state)
{
	struct lm l;
	struct h_conn a, b, c;
	char out[65536], reply[1024];

	(void)state;
	lm_start(&l);
	h_connect(&a, l.d.port);
	h_connect(&b, l.d.port);
	h_connect(&c, l.d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");
	h_hello(&c, "dave", "ws3");
	h_request(&a, "CHECKOUT feature=solver count=1 linger=600", reply,
	    sizeof(reply));
	assert_non_null(strstr(reply, " OK "));
	assert_true(h_checkout(&b, "viewer", 1, NULL, 0) != 0);
	h_request(&c, "CHECKOUT feature=viewer queue=1", reply, sizeof(reply));
	assert_non_null(strstr(reply, " QUEUED "));

	/* lmutil lmstat -a -c licence-file: every feature, the holders,
	 * the reservation, the linger, the queue. */
	assert_int_equal(h_run(out, sizeof(out), l.lmutil, "lmstat", "-a", "-c",
			     l.client_lic, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "License server status: "));
	assert_non_null(strstr(out, "127.0.0.1: license server UP v"));
	assert_non_null(strstr(out, "  demo: UP v"));
	assert_non_null(strstr(out,
	    "Users of solver:  (Total of 3 licenses issued;  Total of 1 "
	    "license in use)\n"));
	assert_non_null(strstr(out,
	    "Users of viewer:  (Total of 1 license issued;  Total of 1 "
	    "license in use)\n"));
	assert_non_null(strstr(out, "\"solver\" v2.0, vendor: demo"));
	assert_non_null(strstr(out, "\t1 RESERVATION for USER carol ("));
	assert_true(matches("^    alice ws1 /dev/pts/1 \\(v2\\.0\\) "
			    "\\([^/]+/[0-9]+ [0-9]+\\), start [A-Z][a-z]{2} "
			    "[0-9]+/[0-9]+ [0-9]+:[0-9]{2}  \\(linger: 600 / "
			    "600\\)$",
	    out));
	assert_non_null(strstr(out, "    1 request queued ("));

	/* lmstat alone: servers and vendor daemons, no features. */
	assert_int_equal(
	    h_run(out, sizeof(out), l.lmstat, "-c", l.server, (char *)NULL), 0);
	assert_non_null(strstr(out, "Vendor daemon status (on 127.0.0.1)"));
	assert_null(strstr(out, "Feature usage info"));

	/* -f: one feature; -A: those in use; -s HOST: the server only. */
	assert_int_equal(h_run(out, sizeof(out), l.lmstat, "-c", l.server, "-f",
			     "viewer", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "Users of viewer:"));
	assert_null(strstr(out, "Users of solver:"));
	assert_int_equal(h_run(out, sizeof(out), l.lmstat, "-c", l.server, "-s",
			     "127.0.0.1", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "127.0.0.1: license server UP"));
	assert_null(strstr(out, "Users of"));

	/* -S VENDOR: that vendor's features; another vendor, nothing. */
	assert_int_equal(h_run(out, sizeof(out), l.lmstat, "-c", l.server, "-S",
			     "demo", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "Users of solver:"));
	assert_int_equal(h_run(out, sizeof(out), l.lmstat, "-c", l.server, "-S",
			     "other", (char *)NULL),
	    0);
	assert_null(strstr(out, "Users of"));
	assert_null(strstr(out, "demo: UP"));

	/* -i: the table of the corpus's lmstat -i captures. */
	assert_int_equal(h_run(out, sizeof(out), l.lmstat, "-c", l.server, "-i",
			     (char *)NULL),
	    0);
	assert_true(
	    matches("^Feature +Version +#licenses +Expires +Vendor$", out));
	assert_true(matches("^solver +2\\.0 +3 +permanent +demo$", out));
	assert_true(matches("^viewer +1\\.0 +1 +31-dec-2036 +demo$", out));

	/* No -c: LM_LICENSE_FILE, a licence file here. */
	setenv("LM_LICENSE_FILE", l.client_lic, 1);
	assert_int_equal(
	    h_run(out, sizeof(out), l.lmstat, "-a", (char *)NULL), 0);
	unsetenv("LM_LICENSE_FILE");
	assert_non_null(strstr(out, "Users of solver:"));

	/* -v: the version line monitoring exporters read. */
	assert_int_equal(
	    h_run(out, sizeof(out), l.lmutil, "lmstat", "-v", (char *)NULL), 0);
	assert_true(
	    matches("^lmstat v[0-9.]+ build [0-9]+ [A-Za-z0-9_]+$", out));

	h_close(&a);
	h_close(&b);
	h_close(&c);
	h_licd_cleanup(&l.d);
}

static void
test_lmremove_lmreread(void **state)
{
	struct lm l;
	struct h_conn a, b;
	char out[65536], handle[32], port[16];
	uint64_t h;

	(void)state;
	lm_start(&l);
	h_connect(&a, l.d.port);
	h_connect(&b, l.d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");
	h = h_checkout(&a, "solver", 1, NULL, 0);
	assert_true(h != 0);
	assert_true(h_checkout(&b, "solver", 1, NULL, 0) != 0);

	/* lmremove -h feature server_host port handle. */
	snprintf(handle, sizeof(handle), "%llu", (unsigned long long)h);
	snprintf(port, sizeof(port), "%d", l.d.port);
	assert_int_equal(h_run(out, sizeof(out), l.lmutil, "lmremove",
			     "--state-dir", l.state, "-c", l.client_lic, "-h",
			     "solver", "127.0.0.1", port, handle, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "removed 1 license"));
	assert_int_equal(h_in_use(l.d.port, "solver"), 1);

	/* lmremove feature user user_host display, the socket from
	 * LICD_STATE_DIR. */
	setenv("LICD_STATE_DIR", l.state, 1);
	assert_int_equal(h_run(out, sizeof(out), l.lmutil, "lmremove", "solver",
			     "bob", "ws2", "/dev/pts/1", (char *)NULL),
	    0);
	assert_int_equal(h_in_use(l.d.port, "solver"), 0);
	/* Nothing left to remove: non-zero, and why. */
	assert_int_equal(h_run(out, sizeof(out), l.lmutil, "lmremove", "solver",
			     "bob", "ws2", "/dev/pts/1", (char *)NULL),
	    1);
	assert_non_null(strstr(out, "no-grant"));

	/* lmreread: the new count is served. */
	h_write(
	    l.d.lic, "VENDOR demo\nFEATURE solver demo 2.0 permanent 7 0\n");
	assert_int_equal(
	    h_run(out, sizeof(out), l.lmutil, "lmreread", (char *)NULL), 0);
	assert_int_equal(h_feature_int(l.d.port, "solver", "issued"), 7);
	unsetenv("LICD_STATE_DIR");

	/* Usage errors are not successes either. */
	assert_int_equal(h_run(out, sizeof(out), l.lmutil, "lmremove", "-h",
			     "solver", (char *)NULL),
	    64);
	h_close(&a);
	h_close(&b);
	h_licd_cleanup(&l.d);
}

static int
has_archive(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int found = 0;

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "journal-", 8) == 0 &&
		    strstr(de->d_name, ".db") != NULL)
			found = 1;
	closedir(d);
	return found;
}

static void
test_lmnewlog_lmdown(void **state)
{
	struct lm l;
	struct h_conn a;
	char out[65536];
	int status = 0, i;
	pid_t pid;

	(void)state;
	lm_start(&l);
	h_connect(&a, l.d.port);
	h_hello(&a, "alice", "ws1");
	assert_true(h_checkout(&a, "solver", 1, NULL, 0) != 0);

	/* lmnewlog: an archived journal file, and the chain still holds. */
	assert_int_equal(h_run(out, sizeof(out), l.lmutil, "lmnewlog",
			     "--state-dir", l.state, (char *)NULL),
	    0);
	assert_true(has_archive(l.state));
	assert_true(h_checkout(&a, "solver", 1, NULL, 0) != 0);
	assert_int_equal(h_licctl(out, sizeof(out), "journal", "verify",
			     "--state-dir", l.state, (char *)NULL),
	    0);
	/* licctl newlog does the same. */
	assert_int_equal(h_licctl(out, sizeof(out), "newlog", "--state-dir",
			     l.state, (char *)NULL),
	    0);
	assert_int_equal(h_licctl(out, sizeof(out), "journal", "verify",
			     "--state-dir", l.state, (char *)NULL),
	    0);

	/* lmdown -q: exit 0, and licd ends. */
	assert_int_equal(h_run(out, sizeof(out), l.lmutil, "lmdown", "-q",
			     "--state-dir", l.state, (char *)NULL),
	    0);
	for (i = 0; i < 500; i++) {
		pid = waitpid(l.d.pid, &status, WNOHANG);
		if (pid == l.d.pid)
			break;
		h_sleep_ms(20);
	}
	assert_int_equal(pid, l.d.pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	l.d.pid = 0;

	/* Down: lmstat says so, non-zero. */
	assert_int_equal(
	    h_run(out, sizeof(out), l.lmstat, "-c", l.client_lic, (char *)NULL),
	    1);
	assert_non_null(
	    strstr(out, "127.0.0.1: Cannot connect to license server system."));
	h_close(&a);
	h_licd_cleanup(&l.d);
}

static void
test_lmver_lmhostid_lmdiag(void **state)
{
	struct lm l;
	struct h_conn b;
	char out[65536], host[256], want[300];

	(void)state;
	lm_start(&l);
	assert_int_equal(
	    h_run(out, sizeof(out), l.lmutil, "lmver", (char *)NULL), 0);
	assert_true(matches("^licctl v[0-9.]+ build ", out));
	assert_true(matches("^licd client library v[0-9.]+ build ", out));

	assert_int_equal(
	    h_run(out, sizeof(out), l.lmutil, "lmhostid", (char *)NULL), 0);
	assert_true(
	    matches("host ID of this machine is \"[0-9a-f]{12}\"$", out));
	assert_int_equal(h_run(out, sizeof(out), l.lmutil, "lmhostid",
			     "-hostname", (char *)NULL),
	    0);
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	host[sizeof(host) - 1] = '\0';
	snprintf(want, sizeof(want), "\"HOSTNAME=%s\"", host);
	assert_non_null(strstr(out, want));
	assert_int_equal(h_run(out, sizeof(out), l.lmutil, "lmhostid",
			     "-internet", (char *)NULL),
	    0);
	assert_true(matches("\"INTERNET=[0-9.]+\"$", out));

	/* lmdiag: solver has seats (a real checkout and checkin), viewer
	 * is taken. */
	h_connect(&b, l.d.port);
	h_hello(&b, "bob", "ws2");
	assert_true(h_checkout(&b, "viewer", 1, NULL, 0) != 0);
	assert_int_equal(h_run(out, sizeof(out), l.lmutil, "lmdiag", "-c",
			     l.server, "solver", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "This license can be checked out"));
	assert_int_equal(h_in_use(l.d.port, "solver"), 0);
	assert_int_equal(h_run(out, sizeof(out), l.lmutil, "lmdiag", "-c",
			     l.client_lic, "-n", (char *)NULL),
	    1);
	assert_non_null(strstr(out,
	    "This license can be checked out: 3 of "
	    "3 free"));
	assert_non_null(strstr(out,
	    "This license cannot be checked out: "
	    "all 1 license is in use"));
	h_close(&b);
	h_licd_cleanup(&l.d);
}

/* An outsider may not stop licd: non-zero, a clear message, licd runs. */
static void
test_admin_refused(void **state)
{
	struct lm l;
	char bin[320], sock[320], cmd[1024];
	int status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		fail_msg("test_admin_refused needs root, to become nobody");
	lm_start(&l);
	snprintf(bin, sizeof(bin), "%s/licctl", l.d.dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 755 '%s'",
	    getenv("LICCTL_BIN"), bin, bin);
	assert_int_equal(system(cmd), 0);
	snprintf(sock, sizeof(sock), "%s/admin.sock", l.state);
	assert_int_equal(chmod(l.d.dir, 0755), 0);
	assert_int_equal(chmod(l.state, 0755), 0);
	/* First the socket's mode turns nobody away, then (opened up) the
	 * peer check does. */
	for (int open_up = 0; open_up < 2; open_up++) {
		if (open_up)
			assert_int_equal(chmod(sock, 0666), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char out[4096];
			int rc;

			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(100);
			rc = h_run(out, sizeof(out), bin, "lmdown", "-q",
			    "--socket", sock, (char *)NULL);
			if (open_up)
				_exit(rc == 1 && strstr(out, "not allowed")
					? 0
					: 1);
			_exit(rc != 0 && strstr(out, "only root") ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		assert_int_equal(waitpid(l.d.pid, &status, WNOHANG), 0);
	}
	h_licd_cleanup(&l.d);
}

/*
 * Debian's check_flexlm runs $utils::PATH_TO_LMSTAT (empty as packaged),
 * from the utils.pm in its own folder ("use lib $FindBin::Bin", which does
 * not resolve links).  A link to the plugin beside a copy of utils.pm
 * that names licd's lmstat points it there, no system file changed.
 */
static void
test_check_flexlm(void **state)
{
	struct lm l;
	char dir[320], plugin[340], cmd[2048], out[65536];
	int rc;

	(void)state;
	if (access(CHECK_FLEXLM, X_OK) != 0 || access(NAGIOS_UTILS, R_OK) != 0)
		fail_msg("%s is missing: install monitoring-plugins-standard "
			 "(scripts/deps.sh does)",
		    CHECK_FLEXLM);
	lm_start(&l);
	snprintf(dir, sizeof(dir), "%s/nagios", l.d.dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(plugin, sizeof(plugin), "%s/check_flexlm", dir);
	assert_int_equal(symlink(CHECK_FLEXLM, plugin), 0);
	snprintf(cmd, sizeof(cmd),
	    "sed 's|^\\$PATH_TO_LMSTAT *=.*|$PATH_TO_LMSTAT = \"%s\";|' "
	    "'%s' > '%s/utils.pm' && grep -q '^.PATH_TO_LMSTAT = \"%s\"' "
	    "'%s/utils.pm'",
	    l.lmstat, NAGIOS_UTILS, dir, l.lmstat, dir);
	assert_int_equal(system(cmd), 0);

	/* Up: OK (0), the server listed as running. */
	rc = h_run(out, sizeof(out), plugin, "-F", l.client_lic, (char *)NULL);
	if (rc != 0)
		print_error("check_flexlm said: %s\n", out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "License Servers running:127.0.0.1,"));
	assert_non_null(strstr(out, "flexlm::up:1;down:0"));

	/* Down: CRITICAL (2). */
	assert_int_equal(h_licd_stop(&l.d), 0);
	rc = h_run(out, sizeof(out), plugin, "-F", l.client_lic, (char *)NULL);
	assert_int_not_equal(rc, 0);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out, "License servers NOT running:127.0.0.1"));
	assert_non_null(strstr(out, "flexlm::up:0;down:1"));
	h_licd_cleanup(&l.d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lmstat),
	    cmocka_unit_test(test_lmremove_lmreread),
	    cmocka_unit_test(test_lmnewlog_lmdown),
	    cmocka_unit_test(test_lmver_lmhostid_lmdiag),
	    cmocka_unit_test(test_admin_refused),
	    cmocka_unit_test(test_check_flexlm),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
