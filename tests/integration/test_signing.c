/*
 * licd signatures against a real licd: licctl keygen and sign, a signed
 * file served under require-signature, an altered line refused on reload
 * with its file and line, and licd -t on unsigned or altered files.
 */
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

static const char license[] = "# site licence\n"
			      "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 3 0 \\\n"
			      "\tVENDOR_STRING=\"physics\" SIGN=\"0011 2233\"\n"
			      "INCREMENT mesh demo 1.0 permanent 2 0\n";

static const char require_conf[] = "trusted-keys = [ \"site.pub\" ];\n"
				   "require-signature = true;\n";

/* Runs licd -t on the test's licd.conf; returns its exit status with the
 * output in out. */
static int
check_config(const struct h_licd *d, char *out, size_t len)
{
	char cmd[1024];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' -t -c '%s' 2>&1", getenv("LICD_BIN"),
	    d->conf);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *
read_all(const char *path)
{
	struct stat st;
	char *buf;
	FILE *f;

	assert_int_equal(stat(path, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, (size_t)st.st_size, f), st.st_size);
	buf[st.st_size] = '\0';
	fclose(f);
	return buf;
}

/* keygen into the test's folder, then sign its licence file in place. */
static void
keygen_and_sign(const struct h_licd *d)
{
	char prefix[300], key[320], out[4096];
	struct stat st;

	snprintf(prefix, sizeof(prefix), "%s/site", d->dir);
	if (h_licctl(
		out, sizeof(out), "keygen", "--out", prefix, (char *)NULL) != 0)
		fail_msg("licctl keygen: %s", out);
	assert_non_null(strstr(out, "site.pub"));
	snprintf(key, sizeof(key), "%s.key", prefix);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	if (h_licctl(out, sizeof(out), "sign", "--key", key, d->lic,
		(char *)NULL) != 0)
		fail_msg("licctl sign: %s", out);
	assert_non_null(strstr(out, "signed 2 lines"));
}

static void
test_signed_served_altered_refused(void **state)
{
	struct h_licd d;
	struct h_conn c;
	char dir[300], out[65536], *text, *p;

	h_licd_init(&d, license, NULL, require_conf);
	keygen_and_sign(&d);

	/* The signed file keeps its comment, its layout and the vendor's
	 * SIGN=, with the licd signature added. */
	text = read_all(d.lic);
	assert_non_null(strstr(text,
	    "# site licence\nVENDOR demo\n"
	    "FEATURE solver demo 2.0 permanent 3 0 \\\n"
	    "\tVENDOR_STRING=\"physics\" SIGN=\"0011 2233\" \\\n"
	    "\tLICD_KEYID="));
	assert_non_null(strstr(text, "LICD_SIGN=\""));

	assert_int_equal(check_config(&d, out, sizeof(out)), 0);
	h_licd_start(&d);
	h_connect(&c, d.port);
	h_hello(&c, "alice", "ws1");
	assert_true(h_checkout(&c, "solver", 1, NULL, 0) != 0);
	assert_true(h_checkout(&c, "mesh", 2, NULL, 0) != 0);
	assert_int_equal(h_feature_int(d.port, "solver", "issued"), 3);

	/* Three seats become nine by hand: the reload is refused with the
	 * file and line, and the running configuration stays. */
	p = strstr(text, "permanent 3 0");
	assert_non_null(p);
	p[10] = '9';
	h_write(d.lic, text);
	free(text);
	snprintf(dir, sizeof(dir), "%s/state", d.dir);
	assert_int_equal(h_licctl(out, sizeof(out), "reread", "--state-dir",
			     dir, (char *)NULL),
	    1);
	if (strstr(out, "test.lic:3:") == NULL ||
	    strstr(out, "does not match the line") == NULL)
		fail_msg("reread said: %s", out);
	assert_int_equal(h_feature_int(d.port, "solver", "issued"), 3);
	assert_int_equal(h_in_use(d.port, "solver"), 1);

	/* licd -t says the same. */
	assert_int_equal(check_config(&d, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "test.lic:3: error: FEATURE solver:"));

	h_close(&c);
	h_licd_stop(&d);
	h_licd_cleanup(&d);
}

static void
test_unsigned_refused_when_required(void **state)
{
	struct h_licd d;
	char out[65536], prefix[300];

	h_licd_init(&d, license, NULL, require_conf);
	snprintf(prefix, sizeof(prefix), "%s/site", d.dir);
	assert_int_equal(
	    h_licctl(out, sizeof(out), "keygen", "--out", prefix, (char *)NULL),
	    0);

	/* Every unsigned line is named with its file and line. */
	assert_int_equal(check_config(&d, out, sizeof(out)), 1);
	if (strstr(out,
		"test.lic:3: error: FEATURE solver has no licd "
		"signature and require-signature is set") == NULL ||
	    strstr(out,
		"test.lic:5: error: INCREMENT mesh has no licd "
		"signature") == NULL)
		fail_msg("licd -t said: %s", out);

	/* Without require-signature the same file is fine. */
	h_write(d.conf,
	    "state-dir = \"state\";\n"
	    "license-files = [ \"test.lic\" ];\n"
	    "trusted-keys = [ \"site.pub\" ];\n");
	assert_int_equal(check_config(&d, out, sizeof(out)), 0);

	/* A missing key file is named too. */
	h_write(d.conf,
	    "state-dir = \"state\";\n"
	    "license-files = [ \"test.lic\" ];\n"
	    "trusted-keys = [ \"nokey.pub\" ];\n"
	    "require-signature = true;\n");
	assert_int_equal(check_config(&d, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "nokey.pub: error: trusted key:"));
	h_licd_cleanup(&d);
}

/* A signature that does not verify is refused even when signatures are
 * not required. */
static void
test_altered_refused_without_require(void **state)
{
	struct h_licd d;
	char out[65536], *text, *p;

	h_licd_init(&d, license, NULL, "trusted-keys = [ \"site.pub\" ];\n");
	keygen_and_sign(&d);
	text = read_all(d.lic);
	p = strstr(text, "INCREMENT mesh demo 1.0");
	assert_non_null(p);
	p[20] = '2'; /* version 1.0 -> 2.0 */
	h_write(d.lic, text);
	free(text);
	assert_int_equal(check_config(&d, out, sizeof(out)), 1);
	if (strstr(out, "test.lic:8: error: INCREMENT mesh:") == NULL)
		fail_msg("licd -t said: %s", out);
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signed_served_altered_refused),
	    cmocka_unit_test(test_unsigned_refused_when_required),
	    cmocka_unit_test(test_altered_refused_without_require),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
