/*
 * licd.conf: defaults, every setting read, bounds, misspelt names, paths
 * relative to the file, and the flags' rules in conf_finish().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/licd_conf.h"

static char tmpdir[64];

static const char *
write_conf(const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/licd.conf", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int
setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/licd-conf-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/licd.conf", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return 0;
}

static int
has_message(const struct diag *d, int line, const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->msgs[i].line == line &&
		    strstr(d->msgs[i].text, needle) != NULL)
			return 1;
	return 0;
}

static void
test_defaults(void **state)
{
	struct licd_conf c;
	struct diag d;

	conf_defaults(&c);
	assert_string_equal(c.state_dir, "/var/lib/licd");
	assert_int_equal(c.min_timeout, 900);
	assert_int_equal(c.heartbeat, 60);
	assert_string_equal(c.default_unit, "unassigned");

	/* No licence file is an error; a flex listener on 27000 is added,
	 * and the sentinel front end's UDP listener on 5093 after it. */
	diag_init(&d);
	assert_int_equal(conf_finish(&c, &d), -1);
	assert_int_equal(c.nlisteners, 2);
	assert_int_equal(c.listeners[0].port, 27000);
	assert_string_equal(c.listeners[0].address, "*");
	assert_string_equal(c.listeners[1].protocol, "sentinel");
	assert_int_equal(c.listeners[1].port, 5093);
	assert_int_equal(c.sentinel_max_datagram, 1400);
	assert_int_equal(c.sentinel_lease, 300);
	diag_free(&d);
}

static void
test_full_file(void **state)
{
	struct licd_conf c;
	struct diag d;
	char want[256];
	const char *path;

	path =
	    write_conf("state-dir = \"st\";\n"
		       "license-files = [ \"a.lic\", \"/abs/b.lic\" ];\n"
		       "options-file = \"site.opt\";\n"
		       "listen = ( { protocol = \"flex\"; address = "
		       "\"127.0.0.1\"; port = 27001; },\n"
		       "           { protocol = \"flex\"; port = 27002; } );\n"
		       "log = { level = \"debug\"; };\n"
		       "server-name = \"lic1\";\n"
		       "units = { default = \"\"; };\n"
		       "limits = { min-timeout = 1; heartbeat = 5;\n"
		       "           max-queue = 0; };\n");
	conf_defaults(&c);
	diag_init(&d);
	assert_int_equal(conf_load(path, &c, &d), 0);
	assert_int_equal(d.errors, 0);

	snprintf(want, sizeof(want), "%s/st", tmpdir);
	assert_string_equal(c.state_dir, want);
	assert_int_equal(c.nlicense_files, 2);
	snprintf(want, sizeof(want), "%s/a.lic", tmpdir);
	assert_string_equal(c.license_files[0], want);
	assert_string_equal(c.license_files[1], "/abs/b.lic");
	snprintf(want, sizeof(want), "%s/site.opt", tmpdir);
	assert_string_equal(c.options_file, want);
	assert_int_equal(c.nlisteners, 2);
	assert_string_equal(c.listeners[0].address, "127.0.0.1");
	assert_int_equal(c.listeners[0].port, 27001);
	assert_string_equal(c.listeners[1].address, "*");
	assert_string_equal(c.log_level, "debug");
	assert_string_equal(c.server_name, "lic1");
	assert_string_equal(c.default_unit, "");
	assert_int_equal(c.min_timeout, 1);
	assert_int_equal(c.heartbeat, 5);
	assert_int_equal(c.max_queue, 0);
	assert_int_equal(conf_finish(&c, &d), 0);
	diag_free(&d);
}

static void
test_errors_with_lines(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *needle;
	} cases[] = {
	    {"license-files = [ \"a\" ];\nstate-dri = \"x\";\n", 2,
		"unknown setting \"state-dri\""},
	    {"limits = {\n  heartbeat = 0;\n};\n", 2,
		"expected an integer from 1 to 3600"},
	    {"limits = {\n  heartbeat = \"x\";\n};\n", 2,
		"expected an integer"},
	    {"limits = {\n  hartbeat = 3;\n};\n", 2,
		"unknown setting \"limits.hartbeat\""},
	    {"state-dir = 3;\n", 1, "expected a string"},
	    {"listen = ( { protocol = \"gopher\"; } );\n", 1,
		"unknown protocol"},
	    {"listen = ( { port = 70000; } );\n", 1, "out of range"},
	    {"license-files = [ 1 ];\n", 1, "expected a file name"},
	    {"state-dir = \"x\";\nlog = { level = ; };\n", 2, ""}, /* syntax */
	    {"state-dir = \"x\"\nlog = 1;\n", 2, "expected a group"},
	    {"state-dir = \"x\";\njournal = { sync = \"off\"; };\n", 2,
		"journal.sync: expected \"full\" or \"normal\""},
	    {"journal = 1;\n", 1, "expected a group"},
	};
	struct licd_conf c;
	struct diag d;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf_defaults(&c);
		diag_init(&d);
		if (conf_load(write_conf(cases[i].text), &c, &d) != -1)
			fail_msg("case %zu: accepted", i);
		if (!has_message(&d, cases[i].line, cases[i].needle))
			fail_msg("case %zu: no \"%s\" at line %d", i,
			    cases[i].needle, cases[i].line);
		diag_free(&d);
	}
}

/* The journal's durability: full unless asked otherwise. */
static void
test_journal_sync(void **state)
{
	struct licd_conf c;
	struct diag d;

	conf_defaults(&c);
	assert_string_equal(c.journal_sync, "full");
	diag_init(&d);
	assert_int_equal(
	    conf_load(
		write_conf("journal = { sync = \"normal\"; };\n"), &c, &d),
	    0);
	assert_string_equal(c.journal_sync, "normal");
	diag_free(&d);
}

static void
test_missing_file(void **state)
{
	struct licd_conf c;
	struct diag d;

	conf_defaults(&c);
	diag_init(&d);
	assert_int_equal(conf_load("/nonexistent/licd.conf", &c, &d), -1);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.msgs[0].text, "cannot read"));
	diag_free(&d);
}

static void
test_flags_replace_licenses(void **state)
{
	struct licd_conf c;
	int replaced = 0;

	conf_defaults(&c);
	c.nlicense_files = 1;
	snprintf(c.license_files[0], CONF_PATH_MAX, "from-file.lic");
	assert_int_equal(conf_add_license(&c, "x.lic", &replaced), 0);
	assert_int_equal(conf_add_license(&c, "y.lic", &replaced), 0);
	assert_int_equal(c.nlicense_files, 2);
	assert_string_equal(c.license_files[0], "x.lic");
	assert_string_equal(c.license_files[1], "y.lic");
}

static void
test_idle_versus_heartbeat(void **state)
{
	struct licd_conf c;
	struct diag d;

	conf_defaults(&c);
	c.nlicense_files = 1;
	c.heartbeat = 400;
	diag_init(&d);
	assert_int_equal(conf_finish(&c, &d), -1);
	assert_int_equal(has_message(&d, 0, "twice"), 1);
	diag_free(&d);
}

/* The two signature settings: key files relative to licd.conf, a bool. */
static void
test_signature_settings(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *needle;
	} bad[] = {
	    {"require-signature = 1;\n", 1, "expected true or false"},
	    {"\nrequire-signature = \"yes\";\n", 2, "expected true or false"},
	    {"trusted-keys = \"a.pub\";\n", 1, "expected a list of key files"},
	    {"trusted-keys = ( \"a.pub\",\n  2 );\n", 2,
		"expected a file name"},
	    {"trusted-keys = [ \"\" ];\n", 1, "expected a file name"},
	    {"trusted-key = [ \"a.pub\" ];\n", 1,
		"unknown setting \"trusted-key\""},
	};
	struct licd_conf c;
	struct diag d;
	char want[256];
	size_t i;

	conf_defaults(&c);
	assert_int_equal(c.ntrusted_keys, 0);
	assert_int_equal(c.require_signature, 0);

	diag_init(&d);
	assert_int_equal(conf_load(write_conf("trusted-keys = [ \"site.pub\", "
					      "\"/etc/licd/old.pub\" ];\n"
					      "require-signature = true;\n"),
			     &c, &d),
	    0);
	assert_int_equal(c.ntrusted_keys, 2);
	snprintf(want, sizeof(want), "%s/site.pub", tmpdir);
	assert_string_equal(c.trusted_keys[0], want);
	assert_string_equal(c.trusted_keys[1], "/etc/licd/old.pub");
	assert_int_equal(c.require_signature, 1);
	diag_free(&d);

	conf_defaults(&c);
	diag_init(&d);
	assert_int_equal(
	    conf_load(write_conf("require-signature = false;\n"), &c, &d), 0);
	assert_int_equal(c.require_signature, 0);
	diag_free(&d);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conf_defaults(&c);
		diag_init(&d);
		if (conf_load(write_conf(bad[i].text), &c, &d) != -1)
			fail_msg("case %zu: accepted", i);
		if (!has_message(&d, bad[i].line, bad[i].needle))
			fail_msg("case %zu: no \"%s\" at line %d", i,
			    bad[i].needle, bad[i].line);
		diag_free(&d);
	}
}

/* tls.unit-principals: off by default, a boolean. */
static void
test_tls_unit_principals(void **state)
{
	struct licd_conf c;
	struct diag d;

	conf_defaults(&c);
	assert_int_equal(c.tls.unit_principals, 0);
	diag_init(&d);
	assert_int_equal(conf_load(write_conf("tls = { unit-principals = "
					      "true; unit-field = \"O\"; };\n"),
			     &c, &d),
	    0);
	assert_int_equal(c.tls.unit_principals, 1);
	assert_string_equal(c.tls.unit_field, "O");
	diag_free(&d);

	conf_defaults(&c);
	diag_init(&d);
	assert_int_equal(conf_load(write_conf("tls = {\n"
					      "  unit-principals = \"yes\";\n"
					      "};\n"),
			     &c, &d),
	    -1);
	assert_true(has_message(&d, 2, "expected true or false"));
	diag_free(&d);
}

static void
test_diag_format(void **state)
{
	struct diag d;
	char buf[512];

	diag_init(&d);
	diag_add(&d, DIAG_ERROR, "a.lic", 3, "expected %s", "a date");
	diag_add(&d, DIAG_NOTICE, "a.lic", 0, "whole file");
	diag_format(&d.msgs[0], buf, sizeof(buf));
	assert_string_equal(buf, "a.lic:3: error: expected a date");
	diag_format(&d.msgs[1], buf, sizeof(buf));
	assert_string_equal(buf, "a.lic: notice: whole file");
	assert_int_equal(d.errors, 1);
	diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_full_file),
	    cmocka_unit_test(test_errors_with_lines),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_journal_sync),
	    cmocka_unit_test(test_flags_replace_licenses),
	    cmocka_unit_test(test_idle_versus_heartbeat),
	    cmocka_unit_test(test_diag_format),
	    cmocka_unit_test(test_signature_settings),
	    cmocka_unit_test(test_tls_unit_principals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
