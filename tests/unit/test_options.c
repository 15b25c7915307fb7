/*
 * Options-file parser: every keyword, qualifiers, groups, errors with
 * their line numbers, notices, limits, and the real-world corpus.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/options.h"

#include "config_fixture.h"

/* Helpers. */

static int
parse(const char *text, struct core_options *o, struct diag *d)
{
	diag_init(d);
	return options_parse("t.opt", text, strlen(text), o, d);
}

/* Parses text into options of its own and frees them. */
static int
parse_text(const char *text, struct diag *d)
{
	struct core_options o;
	int rc;

	rc = parse(text, &o, d);
	options_free(&o);
	return rc;
}

static void
free_all(struct core_options *o, struct diag *d)
{
	options_free(o);
	diag_free(d);
}

static const struct core_group *
find_group(const struct core_options *o, const char *name, int is_host)
{
	size_t i;

	for (i = 0; i < o->ngroups; i++) {
		if (o->groups[i].is_host == is_host &&
		    strcmp(o->groups[i].name, name) == 0)
			return &o->groups[i];
	}
	return NULL;
}

/* One line per rule keyword and what it must become. */

static const struct rule_case {
	const char *text;
	enum core_opt_kind kind;
	const char *feature;
	const char *qualifier;
	enum core_who who;
	const char *name;
	int count;
	int seconds;
} rule_cases[] = {
    {"INCLUDE f1 USER u", CORE_OPT_INCLUDE, "f1", "", CORE_WHO_USER, "u", 0, 0},
    {"include f1 user u", CORE_OPT_INCLUDE, "f1", "", CORE_WHO_USER, "u", 0, 0},
    {"EXCLUDE f1 HOST h.example.org", CORE_OPT_EXCLUDE, "f1", "", CORE_WHO_HOST,
	"h.example.org", 0, 0},
    {"INCLUDE f1 DISPLAY /dev/tty1", CORE_OPT_INCLUDE, "f1", "",
	CORE_WHO_DISPLAY, "/dev/tty1", 0, 0},
    {"INCLUDE f1 GROUP g", CORE_OPT_INCLUDE, "f1", "", CORE_WHO_GROUP, "g", 0,
	0},
    {"INCLUDE f1 HOST_GROUP hg", CORE_OPT_INCLUDE, "f1", "",
	CORE_WHO_HOST_GROUP, "hg", 0, 0},
    {"INCLUDE f1 INTERNET 10.1.*.*", CORE_OPT_INCLUDE, "f1", "",
	CORE_WHO_INTERNET, "10.1.*.*", 0, 0},
    {"INCLUDE f1 INTERNET fe80::1", CORE_OPT_INCLUDE, "f1", "",
	CORE_WHO_INTERNET, "fe80::1", 0, 0},
    {"INCLUDE f1 project thesis", CORE_OPT_INCLUDE, "f1", "", CORE_WHO_PROJECT,
	"thesis", 0, 0},
    {"INCLUDEALL USER u", CORE_OPT_INCLUDEALL, "", "", CORE_WHO_USER, "u", 0,
	0},
    {"EXCLUDEALL HOST h", CORE_OPT_EXCLUDEALL, "", "", CORE_WHO_HOST, "h", 0,
	0},
    {"RESERVE 5 f1 USER u", CORE_OPT_RESERVE, "f1", "", CORE_WHO_USER, "u", 5,
	0},
    {"MAX 2 f1 GROUP g", CORE_OPT_MAX, "f1", "", CORE_WHO_GROUP, "g", 2, 0},
    {"TIMEOUT f1 3600", CORE_OPT_TIMEOUT, "f1", "", CORE_WHO_NONE, "", 0, 3600},
    {"TIMEOUT f1 0", CORE_OPT_TIMEOUT, "f1", "", CORE_WHO_NONE, "", 0, 0},
    {"TIMEOUTALL 900", CORE_OPT_TIMEOUTALL, "", "", CORE_WHO_NONE, "", 0, 900},
    {"LINGER f1 30", CORE_OPT_LINGER, "f1", "", CORE_WHO_NONE, "", 0, 30},
    {"MAX_OVERDRAFT f1 3", CORE_OPT_MAX_OVERDRAFT, "f1", "", CORE_WHO_NONE, "",
	3, 0},
    {"MAX_OVERDRAFT f1 0", CORE_OPT_MAX_OVERDRAFT, "f1", "", CORE_WHO_NONE, "",
	0, 0},
    {"MAX_BORROW_HOURS image_toolbox 72", CORE_OPT_MAX_BORROW_HOURS,
	"image_toolbox", "", CORE_WHO_NONE, "", 72, 0},
    {"MAX_BORROW_HOURS f 0", CORE_OPT_MAX_BORROW_HOURS, "f", "", CORE_WHO_NONE,
	"", 0, 0},
    {"BORROW_LOWWATER MATLAB 3", CORE_OPT_BORROW_LOWWATER, "MATLAB", "",
	CORE_WHO_NONE, "", 3, 0},
    {"INCLUDE_BORROW f:VERSION=2 USER fred", CORE_OPT_INCLUDE_BORROW, "f",
	"VERSION=2", CORE_WHO_USER, "fred", 0, 0},
    {"EXCLUDE_BORROW image_toolbox GROUP g", CORE_OPT_EXCLUDE_BORROW,
	"image_toolbox", "", CORE_WHO_GROUP, "g", 0, 0},
    {"INCLUDE \"MATLAB key=abcd1234\" USER u", CORE_OPT_INCLUDE, "MATLAB",
	"key=abcd1234", CORE_WHO_USER, "u", 0, 0},
    {"INCLUDE \"MATLAB   asset_info=220668 \" USER u", CORE_OPT_INCLUDE,
	"MATLAB", "asset_info=220668", CORE_WHO_USER, "u", 0, 0},
    {"MAX 1 MATLAB:VERSION=51 USER u", CORE_OPT_MAX, "MATLAB", "VERSION=51",
	CORE_WHO_USER, "u", 1, 0},
    {"TIMEOUT f:asset_info=123 60", CORE_OPT_TIMEOUT, "f", "asset_info=123",
	CORE_WHO_NONE, "", 0, 60},
    {"INCLUDE \"f:VERSION=2.0\" USER u", CORE_OPT_INCLUDE, "f", "VERSION=2.0",
	CORE_WHO_USER, "u", 0, 0},
    {"  \tRESERVE\t 1    f1\t\tUSER   u   ", CORE_OPT_RESERVE, "f1", "",
	CORE_WHO_USER, "u", 1, 0},
    {"RESERVE 1 \\\n\tf1 USER u", CORE_OPT_RESERVE, "f1", "", CORE_WHO_USER,
	"u", 1, 0},
    {"INCLUDE f1 USER u\r", CORE_OPT_INCLUDE, "f1", "", CORE_WHO_USER, "u", 0,
	0},
    {"INCLUDE f1 USER <NNU username>", CORE_OPT_INCLUDE, "f1", "",
	CORE_WHO_USER, "<NNU username>", 0, 0},
    {"INCLUDE <Toolbox_Name> USER u", CORE_OPT_INCLUDE, "<Toolbox_Name>", "",
	CORE_WHO_USER, "u", 0, 0},
    {"INCLUDE f1 USER jimmy the destroyer", CORE_OPT_INCLUDE, "f1", "",
	CORE_WHO_USER, "jimmy", 0, 0},
    {"INCLUDE f1 USER \"first last\"", CORE_OPT_INCLUDE, "f1", "",
	CORE_WHO_USER, "first last", 0, 0},
};

static void
test_rules(void **state)
{
	const struct rule_case *c;
	const struct core_opt_rule *r;
	struct core_options o;
	struct diag d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++) {
		c = &rule_cases[i];
		if (parse(c->text, &o, &d) != 0 || o.nrules != 1) {
			dump(&d);
			fail_msg("case %zu \"%s\" did not give one rule", i,
			    c->text);
		}
		r = &o.rules[0];
		assert_int_equal(r->kind, c->kind);
		assert_string_equal(r->feature, c->feature);
		assert_string_equal(r->qualifier, c->qualifier);
		assert_int_equal(r->who, c->who);
		assert_string_equal(r->name, c->name);
		assert_int_equal(r->count, c->count);
		assert_int_equal(r->seconds, c->seconds);
		assert_int_equal(r->lineno, 1);
		assert_int_equal(d.errors, 0);
		free_all(&o, &d);
	}
}

/* Placeholders and extra words are accepted with a warning. */
static void
test_warnings(void **state)
{
	const char *in;
	struct core_options o;
	struct diag d;

	(void)state;
	in = "INCLUDE f USER jimmy the destroyer\n"
	     "INCLUDE f USER <NNU username>\n"
	     "INCLUDE <Toolbox_Name> USER u\n"
	     "GROUP g <member>\n";
	assert_int_equal(parse(in, &o, &d), 0);
	assert_true(has_msg(&d, DIAG_WARNING, 1, "\"the\""));
	assert_true(has_msg(&d, DIAG_WARNING, 2, "placeholder"));
	assert_true(has_msg(&d, DIAG_WARNING, 3, "placeholder"));
	assert_true(has_msg(&d, DIAG_WARNING, 4, "placeholder"));
	assert_int_equal(count_level(&d, DIAG_WARNING), 4);
	free_all(&o, &d);
}

static void
test_groups(void **state)
{
	const char *in;
	const struct core_group *g;
	struct core_options o;
	struct diag d;

	(void)state;
	in = "GROUP g a b\n"
	     "HOST_GROUP g h1 10.0.*.*\n"
	     "group g c \\\n"
	     "\td\n"
	     "GROUP G e\n"
	     "HOST_GROUP g h2\n"
	     "GROUP g a\n";
	assert_int_equal(parse(in, &o, &d), 0);
	assert_int_equal(o.ngroups, 3);

	g = find_group(&o, "g", 0);
	assert_non_null(g);
	assert_int_equal(g->lineno, 1);
	assert_int_equal(g->nmembers, 5);
	assert_string_equal(g->members[0], "a");
	assert_string_equal(g->members[2], "c");
	assert_string_equal(g->members[3], "d");
	assert_string_equal(g->members[4], "a");

	g = find_group(&o, "g", 1);
	assert_non_null(g);
	assert_int_equal(g->lineno, 2);
	assert_int_equal(g->nmembers, 3);
	assert_string_equal(g->members[1], "10.0.*.*");
	assert_string_equal(g->members[2], "h2");

	/* Group names are case sensitive, as in FlexLM. */
	g = find_group(&o, "G", 0);
	assert_non_null(g);
	assert_int_equal(g->nmembers, 1);
	free_all(&o, &d);
}

/* Many groups: the index must grow and still find every one. */
static void
test_many_groups(void **state)
{
	const struct core_group *g;
	struct core_options o;
	struct diag d;
	char *text, name[32];
	size_t i, n;

	(void)state;
	text = malloc(3000 * 40);
	assert_non_null(text);
	for (i = n = 0; i < 3000; i++)
		n += (size_t)sprintf(text + n, "%s g%zu m%zu\n",
		    i / 1000 == 1 ? "HOST_GROUP" : "GROUP", i % 1000, i);
	assert_int_equal(parse(text, &o, &d), 0);
	assert_int_equal(o.ngroups, 2000);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "g%zu", i);
		g = find_group(&o, name, 0);
		assert_non_null(g);
		assert_int_equal(g->nmembers, 2);
		g = find_group(&o, name, 1);
		assert_non_null(g);
		assert_int_equal(g->nmembers, 1);
	}
	free_all(&o, &d);
	free(text);
}

static void
test_case_insensitive(void **state)
{
	const char *in;
	struct core_options o;
	struct diag d;

	(void)state;
	assert_int_equal(parse("groupcaseinsensitive on\n", &o, &d), 0);
	assert_int_equal(o.group_case_insensitive, 1);
	free_all(&o, &d);
	in = "GROUPCASEINSENSITIVE ON\n"
	     "GROUPCASEINSENSITIVE Off\n";
	assert_int_equal(parse(in, &o, &d), 0);
	assert_int_equal(o.group_case_insensitive, 0);
	free_all(&o, &d);
}

/* Keywords that are recognised but not honoured: each is checked and
 * reported once per file. */

static const struct later_case {
	const char *text;
	const char *keyword;
} later_cases[] = {
    {"ACTIVATION_EXPIRY_DAYS E-1 5", "ACTIVATION_EXPIRY_DAYS"},
    {"ACTIVATION_LOWWATER E-1 2", "ACTIVATION_LOWWATER"},
    {"AUTOMATIC_REREAD OFF", "AUTOMATIC_REREAD"},
    {"DAEMON_SELECT_TIMEOUT 10", "DAEMON_SELECT_TIMEOUT"},
    {"DEFAULT", "DEFAULT"},
    {"EXCLUDE_ENTITLEMENT E-1 USER pete", "EXCLUDE_ENTITLEMENT"},
    {"EXCLUDEALL_ENTITLEMENT USER pete", "EXCLUDEALL_ENTITLEMENT"},
    {"FQDN_MATCHING lenient", "FQDN_MATCHING"},
    {"INCLUDE_ENTITLEMENT E-1 GROUP g", "INCLUDE_ENTITLEMENT"},
    {"INCLUDEALL_ENTITLEMENT HOST h", "INCLUDEALL_ENTITLEMENT"},
    {"MAX_CONNECTIONS 100", "MAX_CONNECTIONS"},
    {"TIMEZONE Europe/London", "TIMEZONE"},
};

/* DEBUGLOG, NOLOG and REPORTLOG: settings for the daemon's logs. */
static void
test_log_keywords(void **state)
{
	struct core_options o;
	struct diag d;

	(void)state;
	assert_int_equal(parse("DEBUGLOG +/var/log/x.dl\n"
			       "NOLOG in\n"
			       "NOLOG DENIED\n"
			       "NOLOG DENIED\n"
			       "REPORTLOG \"+/var/log/with space.rl\"\n",
			     &o, &d),
	    0);
	assert_string_equal(o.debuglog_path, "/var/log/x.dl");
	assert_int_equal(o.debuglog_append, 1);
	assert_int_equal(o.nolog_mask, CORE_NOLOG_IN | CORE_NOLOG_DENIED);
	assert_string_equal(o.reportlog_path, "/var/log/with space.rl");
	assert_int_equal(o.nrules, 0);
	assert_int_equal(count_level(&d, DIAG_NOTICE), 1);
	assert_true(has_msg(&d, DIAG_NOTICE, 5,
	    "REPORTLOG: licd writes no report log; it keeps usage in its "
	    "journal"));
	assert_int_equal(count_level(&d, DIAG_WARNING), 0);
	free_all(&o, &d);

	/* The last DEBUGLOG wins, as in FlexLM; no "+" truncates. */
	assert_int_equal(parse("DEBUGLOG +/a.dl\nDEBUGLOG /b.dl\n"
			       "NOLOG OUT\nNOLOG QUEUED\n",
			     &o, &d),
	    0);
	assert_string_equal(o.debuglog_path, "/b.dl");
	assert_int_equal(o.debuglog_append, 0);
	assert_int_equal(o.nolog_mask, CORE_NOLOG_OUT | CORE_NOLOG_QUEUED);
	assert_int_equal(d.n, 0);
	free_all(&o, &d);
}

static void
test_later_keywords(void **state)
{
	struct core_options o;
	struct diag d;
	char text[256], want[96];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(later_cases) / sizeof(later_cases[0]); i++) {
		snprintf(text, sizeof(text), "# x\n%s\n%s\n",
		    later_cases[i].text, later_cases[i].text);
		snprintf(want, sizeof(want),
		    "%s is parsed but not yet "
		    "honoured",
		    later_cases[i].keyword);
		if (parse(text, &o, &d) != 0 ||
		    !has_msg(&d, DIAG_NOTICE, 2, want) ||
		    count_level(&d, DIAG_NOTICE) != 1) {
			dump(&d);
			fail_msg("case \"%s\"", later_cases[i].text);
		}
		assert_int_equal(o.nrules, 0);
		free_all(&o, &d);
	}
}

/* Errors, each on its line. */

static const struct error_case error_cases[] = {
    {"INCLUDE f USER u\nFROBNICATE x\n", 2, "expected an options keyword"},
    {"INCLUDE f\n", 1, "expected INCLUDE feature type name"},
    {"INCLUDE f USER\n", 1, "expected INCLUDE feature type name"},
    {"INCLUDE f PERSON u\n", 1, "expected USER, HOST"},
    {"INCLUDE f$ USER u\n", 1, "expected a feature name"},
    {"INCLUDE \"f oops\" USER u\n", 1, "keyword=value"},
    {"INCLUDE f: USER u\n", 1, "keyword=value"},
    {"INCLUDE :VERSION=1 USER u\n", 1, "expected a feature name"},
    {"INCLUDE \"f USER u\n", 1, "closing '\"'"},
    {"INCLUDE f INTERNET 10.0.0.x\n", 1, "address pattern"},
    {"INCLUDE f USER "
     "u234567890123456789012345678901234567890123456789012345678901234\n",
	1, "expected a name"},
    {"INCLUDEALL USER\n", 1, "expected INCLUDEALL type name"},
    {"EXCLUDEALL\n", 1, "expected EXCLUDEALL type name"},
    {"RESERVE 0 f USER u\n", 1, "a count of at least 1"},
    {"RESERVE -1 f USER u\n", 1, "a count of at least 1"},
    {"RESERVE x f USER u\n", 1, "a count of at least 1"},
    {"RESERVE f USER u\n", 1, "a count of at least 1"},
    {"MAX 99999999999 f USER u\n", 1, "a count of at least 1"},
    {"MAX 2 f USER\n", 1, "expected MAX count feature type name"},
    {"TIMEOUT f\n", 1, "expected TIMEOUT feature seconds"},
    {"TIMEOUT f -5\n", 1, "a number of seconds"},
    {"TIMEOUT f 10 20\n", 1, "got \"20\" after it"},
    {"TIMEOUTALL\n", 1, "expected TIMEOUTALL seconds"},
    {"TIMEOUTALL 1.5\n", 1, "a number of seconds"},
    {"LINGER f abc\n", 1, "a number of seconds"},
    {"GROUPCASEINSENSITIVE maybe\n", 1, "expected ON or OFF"},
    {"GROUPCASEINSENSITIVE\n", 1, "GROUPCASEINSENSITIVE ON|OFF"},
    {"GROUP\n", 1, "expected GROUP name user"},
    {"GROUP g\n", 1, "expected GROUP name user"},
    {"HOST_GROUP hg\n", 1, "expected HOST_GROUP name host"},
    {"GROUP g a \"b\n", 1, "closing '\"'"},
    {"GROUP "
     "g234567890123456789012345678901234567890123456789012345678901234"
     " a\n",
	1, "group name"},
    {"BORROW_LOWWATER f\n", 1, "BORROW_LOWWATER feature count"},
    {"NOLOG\n", 1, "NOLOG"},
    {"NOLOG IN OUT\n", 1, "got \"OUT\" after it"},
    {"MAX_BORROW_HOURS f x\n", 1, "a whole number"},
    {"NOLOG EVERYTHING\n", 1, "expected IN, OUT, DENIED or QUEUED"},
    {"DEBUGLOG +\n", 1, "expected a path"},
    {"REPORTLOG\n", 1, "REPORTLOG [+]path"},
    {"INCLUDE_BORROW f USER\n", 1, "INCLUDE_BORROW feature type name"},
    {"EXCLUDE_BORROW f NOBODY x\n", 1, "expected USER, HOST"},
    {"MAX_CONNECTIONS 0\n", 1, "a count of at least 1"},
    {"# c\n\nINCLUDE f USER u \\\n\tv\nBAD\n", 5, "options keyword"},
    {"INCLUDE f USER u\r\nBAD\r\n", 2, "options keyword"},
};

static void
test_errors(void **state)
{
	(void)state;
	check_error_cases(error_cases,
	    sizeof(error_cases) / sizeof(error_cases[0]), parse_text);
}

static void
test_error_recovery(void **state)
{
	const char *in;
	struct core_options o;
	struct diag d;

	(void)state;
	in = "INCLUDE a USER u\n"
	     "INCLUDE b USER\n"
	     "INCLUDE c USER u\n";
	assert_int_equal(parse(in, &o, &d), -1);
	assert_int_equal(o.nrules, 2);
	assert_string_equal(o.rules[1].feature, "c");
	assert_int_equal(o.rules[1].lineno, 3);
	assert_int_equal(d.errors, 1);
	free_all(&o, &d);
}

static void
test_undefined_group(void **state)
{
	const char *in;
	struct core_options o;
	struct diag d;

	(void)state;
	in = "INCLUDE f GROUP later\n"
	     "RESERVE 1 f GROUP nowhere\n"
	     "MAX 1 f HOST_GROUP later\n"
	     "GROUP later u\n";
	assert_int_equal(parse(in, &o, &d), 0);
	assert_false(has_msg(&d, DIAG_WARNING, 1, "not defined"));
	assert_true(has_msg(&d, DIAG_WARNING, 2,
	    "GROUP nowhere is not "
	    "defined"));
	assert_true(has_msg(&d, DIAG_WARNING, 3,
	    "HOST_GROUP later is not "
	    "defined"));
	free_all(&o, &d);
}

static void
test_nul_and_long_lines(void **state)
{
	static const char nul[] = "INCLUDE f USER u\nINCLUDE f\0 USER u\n";
	struct core_options o;
	struct diag d;
	char *text;

	(void)state;
	diag_init(&d);
	assert_int_equal(
	    options_parse("t.opt", nul, sizeof(nul) - 1, &o, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 2, "NUL byte"));
	assert_int_equal(o.nrules, 1);
	free_all(&o, &d);

	text = malloc(OPTIONS_LINE_MAX + 64);
	assert_non_null(text);
	strcpy(text, "TIMEZONE  ");
	memset(text + 10, 'x', OPTIONS_LINE_MAX - 10);
	strcpy(text + OPTIONS_LINE_MAX, "\nTIMEOUTALL 5\n");
	assert_int_equal(parse(text, &o, &d), 0);
	assert_int_equal(o.nrules, 1);
	free_all(&o, &d);

	strcpy(text + OPTIONS_LINE_MAX, "y\nTIMEOUTALL 5\n");
	assert_int_equal(parse(text, &o, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 1, "longer than"));
	assert_int_equal(o.nrules, 1);
	free_all(&o, &d);
	free(text);
}

static void
test_file_limit(void **state)
{
	struct core_options o;
	struct diag d;
	char *text;

	(void)state;
	text = malloc(OPTIONS_FILE_MAX + 1);
	assert_non_null(text);
	memset(text, '#', OPTIONS_FILE_MAX + 1);
	diag_init(&d);
	assert_int_equal(
	    options_parse("big.opt", text, OPTIONS_FILE_MAX, &o, &d), 0);
	free_all(&o, &d);
	diag_init(&d);
	assert_int_equal(
	    options_parse("big.opt", text, OPTIONS_FILE_MAX + 1, &o, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 0, "larger than"));
	free_all(&o, &d);
	free(text);
}

static void
test_rules_limit(void **state)
{
	struct core_options o;
	struct diag d;
	char *text;

	(void)state;
	text = repeat_line("TIMEOUTALL 1\n", OPTIONS_RULES_MAX + 2);
	assert_int_equal(parse(text, &o, &d), -1);
	assert_int_equal(o.nrules, OPTIONS_RULES_MAX);
	assert_true(has_msg(&d, DIAG_ERROR, OPTIONS_RULES_MAX + 1, "at most"));
	assert_int_equal(d.errors, 1);
	free_all(&o, &d);
	free(text);
}

static void
test_members_limit(void **state)
{
	struct core_options o;
	struct diag d;
	char *text;
	size_t i, n;

	(void)state;
	/* 10,000 members over several lines is the most one group holds. */
	text = malloc(20 * OPTIONS_MEMBERS_MAX + 64);
	assert_non_null(text);
	n = 0;
	for (i = 0; i < OPTIONS_MEMBERS_MAX; i++) {
		if (i % 1000 == 0)
			n += (size_t)sprintf(
			    text + n, "%sGROUP big", i ? "\n" : "");
		n += (size_t)sprintf(text + n, " u%zu", i);
	}
	strcpy(text + n, "\n");
	assert_int_equal(parse(text, &o, &d), 0);
	assert_int_equal(o.groups[0].nmembers, OPTIONS_MEMBERS_MAX);
	assert_string_equal(
	    o.groups[0].members[OPTIONS_MEMBERS_MAX - 1], "u9999");
	free_all(&o, &d);

	strcpy(text + n, " one_more\n");
	assert_int_equal(parse(text, &o, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 10, "more than"));
	assert_int_equal(o.groups[0].nmembers, OPTIONS_MEMBERS_MAX);
	free_all(&o, &d);
	free(text);
}

static void
test_load_missing(void **state)
{
	struct core_options o;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(options_load("/nonexistent/x.opt", &o, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 0, "cannot open"));
	free_all(&o, &d);
}

/* The files of the repository's data folder and of the shared corpus. */

static const struct corpus_rule {
	enum core_opt_kind kind;
	int count;
	const char *feature;
	const char *qualifier;
	enum core_who who;
	const char *name;
	int lineno;
} mathworks_rules[] = {
    {CORE_OPT_MAX, 4, "MATLAB", "", CORE_WHO_HOST, "server1", 25},
    {CORE_OPT_RESERVE, 3, "MATLAB", "", CORE_WHO_GROUP, "MATLAB_power_users",
	31},
    {CORE_OPT_INCLUDE, 0, "MATLAB", "", CORE_WHO_USER, "user1", 35},
    {CORE_OPT_INCLUDE, 0, "SIMULINK", "", CORE_WHO_USER, "user1", 36},
    {CORE_OPT_INCLUDE, 0, "<Toolbox_Name>", "", CORE_WHO_USER, "user1", 37},
    {CORE_OPT_INCLUDE, 0, "MATLAB", "", CORE_WHO_GROUP, "MATLAB_USERS", 43},
    {CORE_OPT_INCLUDE, 0, "SIMULINK", "", CORE_WHO_GROUP, "MATLAB_USERS", 44},
    {CORE_OPT_INCLUDE, 0, "MATLAB", "key=abcd1234", CORE_WHO_USER,
	"<NNU username>", 56},
    {CORE_OPT_EXCLUDE, 0, "MATLAB", "key=efgh5678", CORE_WHO_USER,
	"<NNU username>", 57},
    {CORE_OPT_INCLUDE, 0, "MATLAB", "asset_info=220668", CORE_WHO_USER,
	"<NNU username>", 61},
    {CORE_OPT_EXCLUDE, 0, "MATLAB", "asset_info=36678", CORE_WHO_USER,
	"<NNU username>", 62},
};

static void
check_mathworks(const struct core_options *o)
{
	const struct corpus_rule *c;
	const struct core_opt_rule *r;
	const struct core_group *g;
	size_t i, n;

	assert_int_equal(o->group_case_insensitive, 1);
	assert_int_equal(o->ngroups, 2);
	g = find_group(o, "MATLAB_power_users", 0);
	assert_non_null(g);
	assert_int_equal(g->nmembers, 4);
	assert_string_equal(g->members[3], "user4");
	assert_int_equal(g->lineno, 28);
	g = find_group(o, "MATLAB_USERS", 0);
	assert_non_null(g);
	assert_int_equal(g->nmembers, 2);
	assert_string_equal(g->members[1], "user2");

	n = sizeof(mathworks_rules) / sizeof(mathworks_rules[0]);
	assert_int_equal(o->nrules, n);
	for (i = 0; i < n; i++) {
		c = &mathworks_rules[i];
		r = &o->rules[i];
		assert_int_equal(r->kind, c->kind);
		assert_int_equal(r->count, c->count);
		assert_string_equal(r->feature, c->feature);
		assert_string_equal(r->qualifier, c->qualifier);
		assert_int_equal(r->who, c->who);
		assert_string_equal(r->name, c->name);
		assert_int_equal(r->lineno, c->lineno);
	}
}

static void
check_commented(const struct core_options *o, const struct diag *d)
{
	assert_int_equal(o->ngroups, 0);
	assert_int_equal(o->nrules, 1);
	assert_int_equal(o->rules[0].kind, CORE_OPT_INCLUDE);
	assert_string_equal(o->rules[0].feature, "MATLAB");
	assert_string_equal(o->rules[0].name, "jimmy");
	assert_int_equal(o->rules[0].lineno, 6);
	assert_true(has_msg(d, DIAG_WARNING, 6, "ignored"));
	assert_int_equal(d->n, 1);
}

static void
check_every_keyword(const struct core_options *o, const struct diag *d)
{
	const struct core_group *g;

	assert_int_equal(o->group_case_insensitive, 0);
	g = find_group(o, "physics", 0);
	assert_non_null(g);
	assert_int_equal(g->nmembers, 3);
	g = find_group(o, "lab", 1);
	assert_non_null(g);
	assert_int_equal(g->nmembers, 3);
	assert_string_equal(g->members[1], "lab-*.example.org");

	assert_int_equal(o->nrules, 13);
	assert_int_equal(o->rules[12].kind, CORE_OPT_MAX_BORROW_HOURS);
	assert_int_equal(o->rules[12].count, 24);
	assert_int_equal(o->nolog_mask, CORE_NOLOG_QUEUED);
	assert_string_equal(o->reportlog_path, "/var/log/licd/acme.rl");
	assert_string_equal(o->debuglog_path, "");
	assert_string_equal(o->rules[2].qualifier, "VERSION=2025.1");
	assert_string_equal(o->rules[4].qualifier, "VERSION=2024.0");
	assert_int_equal(o->rules[4].count, 2);
	assert_int_equal(o->rules[6].kind, CORE_OPT_TIMEOUT);
	assert_int_equal(o->rules[6].lineno, 15);
	assert_int_equal(o->rules[7].seconds, 7200);
	assert_int_equal(o->rules[11].who, CORE_WHO_PROJECT);
	/* NOLOG and MAX_BORROW_HOURS are honoured; REPORTLOG is
	 * accepted with a word about the journal. */
	assert_int_equal(count_level(d, DIAG_NOTICE), 1);
	assert_true(has_msg(d, DIAG_NOTICE, 23, "REPORTLOG: licd"));
	assert_true(has_msg(d, DIAG_NOTICE, 23, "journal"));
	assert_int_equal(count_level(d, DIAG_WARNING), 0);
}

static void
load_file(const char *path, const char *name, int *seen)
{
	struct core_options o;
	struct diag d;

	diag_init(&d);
	if (options_load(path, &o, &d) != 0 || d.errors != 0) {
		dump(&d);
		fail_msg("%s does not load cleanly", path);
	}
	if (strcmp(name, "mathworks-sample.opt") == 0) {
		check_mathworks(&o);
		*seen |= 1;
	} else if (strcmp(name, "commented.opt") == 0) {
		check_commented(&o, &d);
		*seen |= 2;
	} else if (strcmp(name, "every-keyword.opt") == 0)
		check_every_keyword(&o, &d);
	free_all(&o, &d);
}

static void
test_corpus(void **state)
{
	(void)state;
	load_corpus("options", load_file, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_warnings),
	    cmocka_unit_test(test_groups),
	    cmocka_unit_test(test_many_groups),
	    cmocka_unit_test(test_case_insensitive),
	    cmocka_unit_test(test_log_keywords),
	    cmocka_unit_test(test_later_keywords),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_error_recovery),
	    cmocka_unit_test(test_undefined_group),
	    cmocka_unit_test(test_nul_and_long_lines),
	    cmocka_unit_test(test_file_limit),
	    cmocka_unit_test(test_rules_limit),
	    cmocka_unit_test(test_members_limit),
	    cmocka_unit_test(test_load_missing),
	    cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
