/*
 * Licence-file parser: dates, every line kind, continuations, quotes,
 * errors with their line numbers, limits, and the real-world corpus.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/license.h"

#include "config_fixture.h"

#define DAY INT64_C(86400000)

/* Helpers. */

static int
parse(const char *text, struct core_license_file *f, struct diag *d)
{
	diag_init(d);
	return license_parse("t.lic", text, strlen(text), f, d);
}

/* Parses text into a licence file of its own and frees that. */
static int
parse_text(const char *text, struct diag *d)
{
	struct core_license_file f;
	int rc;

	rc = parse(text, &f, d);
	license_free(&f);
	return rc;
}

static void
free_all(struct core_license_file *f, struct diag *d)
{
	license_free(f);
	diag_free(d);
}

/* Dates. */

static const struct date_case {
	const char *in;
	int ok;
	int64_t ms;
} date_cases[] = {
    {"31-dec-2026", 1, INT64_C(1798675200000)},
    {"31-DEC-2026", 1, INT64_C(1798675200000)},
    {"31-Dec-2026", 1, INT64_C(1798675200000)},
    {"02-Aug-2024", 1, INT64_C(1722556800000)},
    {"2-aug-2024", 1, INT64_C(1722556800000)},
    {"29-feb-2024", 1, INT64_C(1709164800000)},
    {"29-feb-2000", 1, INT64_C(951782400000)},
    {"1-mar-2025", 1, INT64_C(1740787200000)},
    {"1-jan-1970", 1, 0},
    {"31-dec-9999", 1, INT64_C(253402214400000)},
    {"permanent", 1, 0},
    {"PERMANENT", 1, 0},
    {"0", 1, 0},
    {"1-jan-0", 1, 0},
    {"01-jan-0000", 1, 0},
    {"31-dec-00", 1, 0},
    {"29-feb-2023", 0, 0},
    {"29-feb-2100", 0, 0},
    {"31-apr-2025", 0, 0},
    {"32-jan-2025", 0, 0},
    {"0-jan-2025", 0, 0},
    {"00-jan-2025", 0, 0},
    {"123-jan-2025", 0, 0},
    {"1-jan-26", 0, 0},
    {"1-jan-202", 0, 0},
    {"1-jan-20255", 0, 0},
    {"1-jan-1969", 0, 0},
    {"1-foo-2025", 0, 0},
    {"1-janu-2025", 0, 0},
    {"1-ja-2025", 0, 0},
    {"1/jan/2025", 0, 0},
    {"1-jan-2025x", 0, 0},
    {"-jan-2025", 0, 0},
    {"1-jan-", 0, 0},
    {"1-jan", 0, 0},
    {"", 0, 0},
    {"00", 0, 0},
    {"perm", 0, 0},
    {"32-jan-0", 0, 0},
    {"1-xyz-0", 0, 0},
};

static void
test_dates(void **state)
{
	size_t i;
	int64_t ms;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]); i++) {
		ms = -1;
		rc = license_parse_date(date_cases[i].in, &ms);
		if ((rc == 0) != date_cases[i].ok ||
		    (rc == 0 && ms != date_cases[i].ms))
			fail_msg("date \"%s\": rc %d ms %lld", date_cases[i].in,
			    rc, (long long)ms);
	}
	assert_int_equal(license_parse_date(NULL, &ms), -1);
}

/* Expiry is the end of the day; a start is the beginning of its day. */
static void
test_expiry_and_start(void **state)
{
	const char *in;
	struct core_license_file f;
	struct diag d;

	(void)state;
	in = "FEATURE a v 1 31-dec-2026 1 K START=2-aug-2024\n"
	     "FEATURE b v 1 1-jan-1970 1 K\n"
	     "FEATURE c v 1 permanent 1 K START=1-jan-0\n";
	assert_int_equal(parse(in, &f, &d), 0);
	assert_int_equal(f.nlines, 3);
	assert_true(f.lines[0].expiry == INT64_C(1798675200000) + DAY);
	assert_true(f.lines[0].start == INT64_C(1722556800000));
	assert_true(f.lines[1].expiry == DAY);
	assert_true(f.lines[2].expiry == 0);
	assert_true(f.lines[2].start == 0);
	free_all(&f, &d);
}

/* Lines that parse. */

static void
test_feature_fields(void **state)
{
	const char *in;
	struct core_license_file f;
	struct diag d;
	const struct core_line *l;

	(void)state;
	in = "FEATURE f1 vend 61.9 1-jan-2030 25 ABC123 "
	     "vendor_string=\"a b=c\" TS_OK Notice=x=y\n";
	assert_int_equal(parse(in, &f, &d), 0);
	assert_int_equal(f.nlines, 1);
	l = &f.lines[0];
	assert_int_equal(l->type, CORE_LINE_FEATURE);
	assert_string_equal(l->feature, "f1");
	assert_string_equal(l->vendor, "vend");
	assert_string_equal(l->version, "61.9");
	assert_int_equal(l->count, 25);
	assert_int_equal(l->uncounted, 0);
	assert_string_equal(l->key, "ABC123");
	assert_int_equal(l->nattrs, 3);
	assert_string_equal(l->attrs[0].key, "VENDOR_STRING");
	assert_string_equal(l->attrs[0].value, "a b=c");
	assert_string_equal(l->attrs[1].key, "TS_OK");
	assert_string_equal(l->attrs[1].value, "");
	assert_string_equal(l->attrs[2].key, "NOTICE");
	assert_string_equal(l->attrs[2].value, "x=y");
	assert_string_equal(license_attr(l, "Vendor_String"), "a b=c");
	assert_string_equal(license_attr(l, "ts_ok"), "");
	assert_null(license_attr(l, "SIGN"));
	assert_null(license_attr(NULL, "SIGN"));
	assert_null(license_attr(l, NULL));
	assert_string_equal(l->file, "t.lic");
	assert_int_equal(l->lineno, 1);
	assert_string_equal(f.path, "t.lic");
	free_all(&f, &d);
}

static const struct count_case {
	const char *count;
	int value;
	int uncounted;
} count_cases[] = {
    {"1", 1, 0},
    {"12", 12, 0},
    {"1000000", 1000000, 0},
    {"0", 0, 1},
    {"00", 0, 1},
    {"uncounted", 0, 1},
    {"UNCOUNTED", 0, 1},
};

static void
test_counts(void **state)
{
	struct core_license_file f;
	struct diag d;
	char text[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(count_cases) / sizeof(count_cases[0]); i++) {
		snprintf(text, sizeof(text), "INCREMENT f v 1 permanent %s K\n",
		    count_cases[i].count);
		assert_int_equal(parse(text, &f, &d), 0);
		assert_int_equal(f.nlines, 1);
		assert_int_equal(f.lines[0].count, count_cases[i].value);
		assert_int_equal(
		    f.lines[0].uncounted, count_cases[i].uncounted);
		assert_int_equal(f.lines[0].type, CORE_LINE_INCREMENT);
		free_all(&f, &d);
	}
}

static void
test_versions_and_names(void **state)
{
	static const char *const good[] = {
	    "51", "61.9", "2024.0", "0", "123456789012345"};
	static const char *const bad[] = {
	    "1.2.3", ".5", "5.", "v5", "1,5", "1234567890123456", "-1"};
	struct core_license_file f;
	struct diag d;
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "FEATURE f v %s 0 1 K\n", good[i]);
		assert_int_equal(parse(text, &f, &d), 0);
		assert_string_equal(f.lines[0].version, good[i]);
		free_all(&f, &d);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "FEATURE f v %s 0 1 K\n", bad[i]);
		assert_int_equal(parse(text, &f, &d), -1);
		assert_true(has_msg(&d, DIAG_ERROR, 1, "expected a version"));
		assert_int_equal(f.nlines, 0);
		free_all(&f, &d);
	}

	/* 63 bytes is the longest name. */
	snprintf(text, sizeof(text), "FEATURE %063d a.b-c_D 1 0 1 K\n", 7);
	assert_int_equal(parse(text, &f, &d), 0);
	assert_int_equal(strlen(f.lines[0].feature), 63);
	assert_string_equal(f.lines[0].vendor, "a.b-c_D");
	free_all(&f, &d);
}

static void
test_continuations(void **state)
{
	const char *in;
	struct core_license_file f;
	struct diag d;
	const struct core_line *l;

	(void)state;
	/* Backslash then blanks, CRLF, tab-led continuation lines, a quoted
	 * value split over two lines, and no final newline. */
	in = "# head\r\n\r\n"
	     "INCREMENT f v 1 permanent 4 K \\  \r\n"
	     "\tA=1 \\\r\n"
	     "\tSIGN=\"00 11 \\\r\n"
	     "\t22 33\"\r\n"
	     "FEATURE g v 2 0 1 K2\\\n"
	     "B=2";
	assert_int_equal(parse(in, &f, &d), 0);
	assert_int_equal(f.nlines, 2);
	l = &f.lines[0];
	assert_int_equal(l->lineno, 3);
	assert_string_equal(license_attr(l, "A"), "1");
	assert_string_equal(license_attr(l, "SIGN"), "00 11 22 33");
	l = &f.lines[1];
	assert_int_equal(l->lineno, 7);
	assert_string_equal(l->key, "K2");
	assert_string_equal(license_attr(l, "B"), "2");
	free_all(&f, &d);
}

/* A commented-out line swallows its continuations, even those that do not
 * start with '#'. */
static void
test_comments(void **state)
{
	const char *in;
	struct core_license_file f;
	struct diag d;

	(void)state;
	in = "#INCREMENT f v 1 permanent 4 K \\\n"
	     "\tNOTICE=x \\\n"
	     "#\tSIGN=\"0 \\\n"
	     "\t1\"\n"
	     "   # indented comment\n"
	     "\t\n"
	     "FEATURE g v 2 0 1 K\n"
	     "#";
	assert_int_equal(parse(in, &f, &d), 0);
	assert_int_equal(f.nlines, 1);
	assert_string_equal(f.lines[0].feature, "g");
	assert_int_equal(f.lines[0].lineno, 7);
	assert_int_equal(d.n, 0);
	free_all(&f, &d);
}

static void
test_empty_and_bom(void **state)
{
	const char *in;
	struct core_license_file f;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(license_parse("e.lic", NULL, 0, &f, &d), 0);
	assert_int_equal(f.nlines, 0);
	free_all(&f, &d);

	assert_int_equal(parse("", &f, &d), 0);
	free_all(&f, &d);

	in = "\xef\xbb\xbf"
	     "FEATURE f v 1 0 1 K\n";
	assert_int_equal(parse(in, &f, &d), 0);
	assert_int_equal(f.nlines, 1);
	free_all(&f, &d);
}

static void
test_servers_and_vendors(void **state)
{
	const char *in;
	struct core_license_file f;
	struct diag d;

	(void)state;
	in = "SERVER this_host ANY 27000\n"
	     "SERVER b ID=7\n"
	     "SERVER c 00aa PRIMARY_IS_MASTER heartbeat_interval=30\n"
	     "VENDOR v1\n"
	     "DAEMON v2 /p/v2 options=\n"
	     "VENDOR v3 /p/v3 /o/v3.opt 27001\n"
	     "vendor v4 OPTIONS=\"/o/with space.opt\" Port=27002\n"
	     "USE_SERVER\n";
	assert_int_equal(parse(in, &f, &d), 0);
	assert_int_equal(f.nservers, 3);
	assert_string_equal(f.servers[0].host, "this_host");
	assert_string_equal(f.servers[0].hostid, "ANY");
	assert_int_equal(f.servers[0].port, 27000);
	assert_string_equal(f.servers[1].hostid, "ID=7");
	assert_int_equal(f.servers[1].port, 0);
	assert_int_equal(f.servers[2].port, 0);
	assert_true(has_msg(&d, DIAG_NOTICE, 3, "not yet honoured"));
	assert_int_equal(count_level(&d, DIAG_NOTICE), 1);

	assert_int_equal(f.nvendors, 4);
	assert_string_equal(f.vendors[0].name, "v1");
	assert_string_equal(f.vendors[0].path, "");
	assert_string_equal(f.vendors[1].path, "/p/v2");
	assert_string_equal(f.vendors[1].options, "");
	assert_string_equal(f.vendors[2].options, "/o/v3.opt");
	assert_int_equal(f.vendors[2].port, 27001);
	assert_string_equal(f.vendors[3].options, "/o/with space.opt");
	assert_int_equal(f.vendors[3].port, 27002);
	assert_int_equal(f.use_server, 1);
	free_all(&f, &d);
}

static void
test_upgrade_and_package(void **state)
{
	const char *in;
	struct core_license_file f;
	struct diag d;
	const struct core_line *l;

	(void)state;
	in = "UPGRADE f v 1.0 2.0 1-jan-2030 3 K\n"
	     "UPGRADE g v 1 2 0 3 K\n"
	     "PACKAGE p v 1.5 PK COMPONENTS=\"f g:2.0\"\n"
	     "PACKAGE q v COMPONENTS=f SIGN=\"AB CD\"\n"
	     "PACKAGE r v 3.0 COMPONENTS=f SIGN=AB\n"
	     "PACKAGE s v KEY7 COMPONENTS=f\n";
	assert_int_equal(parse(in, &f, &d), 0);
	assert_int_equal(f.nlines, 6);
	l = &f.lines[0];
	assert_int_equal(l->type, CORE_LINE_UPGRADE);
	assert_string_equal(l->from_version, "1.0");
	assert_string_equal(l->version, "2.0");
	assert_int_equal(l->count, 3);
	l = &f.lines[2];
	assert_int_equal(l->type, CORE_LINE_PACKAGE);
	assert_string_equal(l->feature, "p");
	assert_string_equal(l->version, "1.5");
	assert_string_equal(l->key, "PK");
	assert_int_equal(l->count, 0);
	assert_string_equal(license_attr(l, "components"), "f g:2.0");
	assert_string_equal(f.lines[3].version, "");
	assert_string_equal(f.lines[3].key, "");
	assert_string_equal(f.lines[4].version, "3.0");
	assert_string_equal(f.lines[4].key, "");
	assert_string_equal(f.lines[5].key, "KEY7");

	/* The core serves both now: no "not yet honoured" notice. */
	assert_int_equal(count_level(&d, DIAG_NOTICE), 0);
	free_all(&f, &d);
}

static void
test_later_attr_notices(void **state)
{
	static const char *const keys[] = {"HOSTID"};
	static const char *const honoured[] = {"BORROW", "DUP_GROUP",
	    "USER_BASED", "HOST_BASED", "OVERDRAFT", "SUPERSEDE", "ISSUED",
	    "START", "VENDOR_STRING"};
	struct core_license_file f;
	struct diag d;
	char text[512], want[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(text, sizeof(text),
		    "FEATURE a v 1 0 1 K x=1\n"
		    "FEATURE b v 1 0 1 K %s=2\n"
		    "FEATURE c v 1 0 1 K %s\n",
		    keys[i], keys[i]);
		assert_int_equal(parse(text, &f, &d), 0);
		snprintf(want, sizeof(want),
		    "%s is parsed but not yet "
		    "honoured",
		    keys[i]);
		assert_true(has_msg(&d, DIAG_NOTICE, 2, want));
		assert_int_equal(count_level(&d, DIAG_NOTICE), 1);
		assert_non_null(license_attr(&f.lines[2], keys[i]));
		free_all(&f, &d);
	}

	/* What the core honours is kept without a notice. */
	for (i = 0; i < sizeof(honoured) / sizeof(honoured[0]); i++) {
		snprintf(text, sizeof(text), "FEATURE b v 1 0 1 K %s=2\n",
		    honoured[i]);
		parse(text, &f, &d);
		assert_int_equal(count_level(&d, DIAG_NOTICE), 0);
		free_all(&f, &d);
	}
}

static void
test_sign_without_key(void **state)
{
	struct core_license_file f;
	struct diag d;

	(void)state;
	assert_int_equal(
	    parse("FEATURE f v 1 0 1 SIGN=\"AA BB\"\n", &f, &d), 0);
	assert_string_equal(f.lines[0].key, "");
	assert_string_equal(license_attr(&f.lines[0], "sign"), "AA BB");
	free_all(&f, &d);
}

static void
test_duplicate_attr(void **state)
{
	struct core_license_file f;
	struct diag d;

	(void)state;
	assert_int_equal(parse("FEATURE f v 1 0 1 K A=1 a=2\n", &f, &d), 0);
	assert_true(has_msg(&d, DIAG_WARNING, 1, "given twice"));
	assert_string_equal(license_attr(&f.lines[0], "A"), "1");
	free_all(&f, &d);
}

/* Errors: each is reported on its line, and the lines around it still
 * parse. */

static const struct error_case error_cases[] = {
    {"FEATURE f v 1 0 1 K\nBOGUS x\n", 2, "expected SERVER, VENDOR"},
    {"\n\nFEATURE f v 1.2.3 0 1 K\n", 3, "expected a version"},
    {"FEATURE f$ v 1 0 1 K\n", 1, "expected a feature name"},
    {"FEATURE "
     "f234567890123456789012345678901234567890123456789012345678901234"
     " v 1 0 1 K\n",
	1, "expected a feature name"},
    {"FEATURE f v/x 1 0 1 K\n", 1, "expected a vendor name"},
    {"FEATURE f v 1 31-dec-26 1 K\n", 1, "expected an expiry date"},
    {"FEATURE f v 1 31-feb-2026 1 K\n", 1, "expected an expiry date"},
    {"FEATURE f v 1 31-dex-2026 1 K\n", 1, "expected an expiry date"},
    {"FEATURE f v 1 0 -1 K\n", 1, "expected a count"},
    {"FEATURE f v 1 0 many K\n", 1, "expected a count"},
    {"FEATURE f v 1 0 1000001 K\n", 1, "expected a count"},
    {"FEATURE f v 1\n", 1, "expected an expiry date in field 4"},
    {"FEATURE f v 1 0\n", 1, "expected a count in field 5"},
    {"FEATURE f v 1 0 1\n", 1, "expected a licence key or a SIGN="},
    {"FEATURE f v 1 0 X=1 K\n", 1, "expected a count in field 5"},
    {"INCREMENT\n", 1, "expected a feature name in field 1"},
    {"UPGRADE f v 1 0 1 K\n", 1, "expected a count"},
    {"UPGRADE f v x 2 0 1 K\n", 1, "expected a version"},
    {"FEATURE f v 1 0 1 K NOTICE=\"open\n", 1, "closing '\"'"},
    {"FEATURE f v 1 0 1 K =x\n", 1, "expected KEYWORD=value"},
    {"FEATURE f v 1 0 1 K BAD-KEY=1\n", 1, "letters, digits and '_'"},
    {"FEATURE f v 1 0 1 K START=yesterday\n", 1, "START=dd-mmm-yyyy"},
    {"FEATURE f v 1 0 1 K "
     "K234567890123456789012345678901234567890123456789012345678901234=1\n",
	1, "at most 63 bytes"},
    {"PACKAGE p v 1 K\n", 1, "COMPONENTS="},
    {"PACKAGE p\n", 1, "expected a vendor name"},
    {"SERVER host\n", 1, "expected a host id"},
    {"SERVER h id 0\n", 1, "expected a port"},
    {"SERVER h id 70000\n", 1, "expected a port"},
    {"SERVER h id 27000 extra\n", 1, "expected SERVER host hostid"},
    {"SERVER a 1\nSERVER b 2\nSERVER c 3\nSERVER d 4\n", 4, "at most 3 SERVER"},
    {"VENDOR\n", 1, "expected a vendor name"},
    {"VENDOR v p o 27000 more\n", 1, "got \"more\""},
    {"VENDOR v port=x\n", 1, "expected a port"},
    {"DAEMON v path=/x\n", 1, "expected OPTIONS= or PORT="},
    {"VENDOR v! /p\n", 1, "expected a vendor name"},
    {"USE_SERVER now\n", 1, "expected nothing after USE_SERVER"},
    {"FEATURE f v 1 0 1 K \\\n\tA=1 \\\n\tB=2\nbad\n", 4, "got \"bad\""},
    {"FEATURE f v 1 0 1 K A=\"x\\\n\ty\nnext\n", 1, "closing '\"'"},
};

static void
test_errors(void **state)
{
	(void)state;
	check_error_cases(error_cases,
	    sizeof(error_cases) / sizeof(error_cases[0]), parse_text);
}

/* A bad line is left out; good lines around it are kept and the whole
 * file still counts as invalid. */
static void
test_error_recovery(void **state)
{
	const char *in;
	struct core_license_file f;
	struct diag d;

	(void)state;
	in = "FEATURE a v 1 0 1 K\n"
	     "FEATURE b v 1.x 0 1 K\n"
	     "FEATURE c v 1 0 1 K\n";
	assert_int_equal(parse(in, &f, &d), -1);
	assert_int_equal(f.nlines, 2);
	assert_string_equal(f.lines[0].feature, "a");
	assert_string_equal(f.lines[1].feature, "c");
	assert_int_equal(d.errors, 1);
	free_all(&f, &d);

	/* Every bad field of a line is reported, not just the first. */
	assert_int_equal(parse("FEATURE a! v! x y z K\n", &f, &d), -1);
	assert_int_equal(d.errors, 5);
	free_all(&f, &d);
}

static void
test_nul_byte(void **state)
{
	static const char text[] =
	    "FEATURE a v 1 0 1 K\nFEATURE b\0 v 1 0 1 K\n"
	    "FEATURE c v 1 0 1 K\n";
	struct core_license_file f;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(
	    license_parse("t.lic", text, sizeof(text) - 1, &f, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 2, "NUL byte"));
	assert_int_equal(f.nlines, 2);
	free_all(&f, &d);
}

static void
test_attr_limit(void **state)
{
	struct core_license_file f;
	struct diag d;
	char text[2048];
	size_t n, i;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), "FEATURE f v 1 0 1 K");
	for (i = 0; i < CORE_LINE_ATTRS_MAX; i++)
		n += (size_t)snprintf(
		    text + n, sizeof(text) - n, " A%zu=%zu", i, i);
	snprintf(text + n, sizeof(text) - n, "\n");
	assert_int_equal(parse(text, &f, &d), 0);
	assert_int_equal(f.lines[0].nattrs, CORE_LINE_ATTRS_MAX);
	free_all(&f, &d);

	snprintf(text + n, sizeof(text) - n, " ONE_MORE\n");
	assert_int_equal(parse(text, &f, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 1, "attributes"));
	free_all(&f, &d);

	/* Far more words than that still reports the same error. */
	n = (size_t)snprintf(text, sizeof(text), "FEATURE f v 1 0 1 K");
	for (i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " F");
	assert_int_equal(parse(text, &f, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 1, "attributes"));
	free_all(&f, &d);
}

static void
test_line_limit(void **state)
{
	struct core_license_file f;
	struct diag d;
	const char *head = "FEATURE f v 1 0 1 K N=";
	char *text;
	size_t n;

	(void)state;
	/* A logical line of exactly LICENSE_LINE_MAX bytes, made of two
	 * physical lines, is accepted; one byte more is not. */
	n = LICENSE_LINE_MAX;
	text = malloc(n + 64);
	assert_non_null(text);
	strcpy(text, head);
	memset(text + strlen(head), 'x', n - strlen(head) - 4);
	strcpy(text + n - 4, "\\\nyyy\nFEATURE g v 1 0 1 K\n");
	assert_int_equal(parse(text, &f, &d), 0);
	assert_int_equal(f.nlines, 2);
	assert_int_equal(
	    strlen(license_attr(&f.lines[0], "N")), n - strlen(head) - 4);
	assert_string_equal(license_attr(&f.lines[0], "YYY"), "");
	assert_int_equal(f.lines[1].lineno, 3);
	free_all(&f, &d);

	strcpy(text + n - 4, "\\\nyyyy\nFEATURE g v 1 0 1 K\n");
	assert_int_equal(parse(text, &f, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 1, "longer than"));
	assert_int_equal(f.nlines, 1);
	assert_string_equal(f.lines[0].feature, "g");
	free_all(&f, &d);
	free(text);
}

static void
test_file_limit(void **state)
{
	struct core_license_file f;
	struct diag d;
	char *text;

	(void)state;
	text = malloc(LICENSE_FILE_MAX + 1);
	assert_non_null(text);
	memset(text, '\n', LICENSE_FILE_MAX + 1);
	diag_init(&d);
	assert_int_equal(
	    license_parse("big.lic", text, LICENSE_FILE_MAX, &f, &d), 0);
	free_all(&f, &d);
	diag_init(&d);
	assert_int_equal(
	    license_parse("big.lic", text, LICENSE_FILE_MAX + 1, &f, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 0, "larger than"));
	free_all(&f, &d);
	free(text);
}

static void
test_lines_limit(void **state)
{
	struct core_license_file f;
	struct diag d;
	char *text;

	(void)state;
	text = repeat_line("FEATURE f v 1 0 1 K\n", LICENSE_LINES_MAX + 2);
	assert_int_equal(parse(text, &f, &d), -1);
	assert_int_equal(f.nlines, LICENSE_LINES_MAX);
	assert_true(
	    has_msg(&d, DIAG_ERROR, LICENSE_LINES_MAX + 1, "more than"));
	assert_int_equal(d.errors, 1);
	free_all(&f, &d);
	free(text);
}

static void
test_load_missing(void **state)
{
	struct core_license_file f;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(license_load("/nonexistent/x.lic", &f, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 0, "cannot open"));
	assert_string_equal(f.path, "/nonexistent/x.lic");
	free_all(&f, &d);
}

/* The shared text layer, as options.c uses it. */
static void
test_tokens(void **state)
{
	struct license_cursor cur;
	struct license_token t;
	char line[] = "a \"b c\" K=\"x y\"z <p q> \"=\"=";

	(void)state;
	license_cursor_init(&cur, line, 1);
	assert_int_equal(license_token_next(&cur, &t), 1);
	assert_string_equal(t.s, "a");
	assert_int_equal(t.quoted, 0);
	assert_int_equal(license_token_next(&cur, &t), 1);
	assert_string_equal(t.s, "b c");
	assert_int_equal(t.quoted, 1);
	assert_int_equal(t.eq, -1);
	assert_int_equal(license_token_next(&cur, &t), 1);
	assert_string_equal(t.s, "K=x yz");
	assert_int_equal(t.eq, 1);
	assert_int_equal(license_token_next(&cur, &t), 1);
	assert_string_equal(t.s, "<p q>");
	assert_int_equal(license_token_next(&cur, &t), 1);
	assert_string_equal(t.s, "==");
	assert_int_equal(t.eq, 1);
	assert_int_equal(t.len, 2);
	assert_int_equal(license_token_next(&cur, &t), 0);
}

/* The files of the repository's data folder and of the shared corpus. */

static void
check_mathworks(const struct core_license_file *f)
{
	static const char *const features[] = {
	    "MATLAB", "MATLAB_Distrib_Comp_Engine", "MATLAB"};
	static const int counts[] = {12, 4, 4};
	static const int linenos[] = {9, 15, 21};
	const struct core_line *l;
	size_t i;

	assert_int_equal(f->nservers, 1);
	assert_string_equal(f->servers[0].host, "hostname");
	assert_string_equal(f->servers[0].hostid, "E95EB22CA210");
	assert_int_equal(f->servers[0].port, 27000);
	assert_int_equal(f->nvendors, 1);
	assert_string_equal(f->vendors[0].name, "MLM");
	assert_string_equal(
	    f->vendors[0].path, "/who/ate/all/the/coconuts/mlm");
	assert_string_equal(f->vendors[0].options, "");

	assert_int_equal(f->nlines, 3);
	for (i = 0; i < 3; i++) {
		l = &f->lines[i];
		assert_int_equal(l->type, CORE_LINE_INCREMENT);
		assert_string_equal(l->feature, features[i]);
		assert_string_equal(l->vendor, "MLM");
		assert_string_equal(l->version, "51");
		assert_int_equal(l->count, counts[i]);
		assert_int_equal(l->uncounted, 0);
		assert_int_equal(l->lineno, linenos[i]);
		assert_true(l->expiry == INT64_C(1798675200000) + DAY);
		assert_true(l->start == 0);
		assert_string_equal(license_attr(l, "ISSUED"), "02-Aug-2024");
		assert_string_equal(license_attr(l, "BORROW"), "720");
		assert_string_equal(license_attr(l, "HOSTID"), "ID=123456");
	}
	assert_string_equal(f->lines[0].key, "12345ABCDXYZ");
	assert_string_equal(f->lines[2].key, "C2345ABCDXYZ");
	assert_string_equal(license_attr(&f->lines[0], "VENDOR_STRING"),
	    "vi=0:at=276:ae=1:lu=300:lo=NNU:ei=7654321:lr=1:ep=15:");
	assert_string_equal(
	    license_attr(&f->lines[0], "NOTICE"), "product=MATLAB");
	assert_string_equal(license_attr(&f->lines[0], "USER_BASED"), "6");
	assert_string_equal(license_attr(&f->lines[0], "DUP_GROUP"), "UH");
	assert_string_equal(license_attr(&f->lines[0], "SIGN"),
	    "0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 "
	    "0000 0000 0000 0000");
	assert_string_equal(license_attr(&f->lines[1], "NOTICE"),
	    "product=MATLAB Parallel Server");
	assert_string_equal(license_attr(&f->lines[1], "SN"), "123456");
	assert_string_equal(
	    license_attr(&f->lines[2], "asset_info"), "1234567");
	assert_string_equal(license_attr(&f->lines[2], "SIGN"),
	    "0000 0000 0000 0000 0000 0000 0000 0000 0000 "
	    "0000 0000 0000 0000 0000 0000");
}

static void
check_every_line(const struct core_license_file *f)
{
	const struct core_line *l;

	assert_int_equal(f->nservers, 3);
	assert_string_equal(f->servers[1].hostid, "ID=42");
	assert_int_equal(f->servers[2].port, 27002);
	assert_int_equal(f->nvendors, 2);
	assert_string_equal(f->vendors[0].options, "/etc/licd/acme.opt");
	assert_int_equal(f->vendors[0].port, 27010);
	assert_string_equal(f->vendors[1].options, "/etc/licd/widgets.opt");
	assert_int_equal(f->vendors[1].port, 27011);
	assert_int_equal(f->use_server, 1);

	assert_int_equal(f->nlines, 6);
	l = &f->lines[0];
	assert_int_equal(l->type, CORE_LINE_FEATURE);
	assert_true(l->expiry == 0);
	assert_true(l->start == INT64_C(1704067200000));
	assert_string_equal(license_attr(l, "VENDOR_STRING"), "site licence");
	l = &f->lines[1];
	assert_int_equal(l->lineno, 12);
	assert_string_equal(
	    license_attr(l, "NOTICE"), "Dept of Physics, room 2.14");
	assert_string_equal(
	    license_attr(l, "SIGN"), "0011 2233 4455 6677 8899 AABB");
	l = &f->lines[2];
	assert_int_equal(l->uncounted, 1);
	assert_true(l->expiry == 0);
	l = &f->lines[3];
	assert_int_equal(l->type, CORE_LINE_UPGRADE);
	assert_true(l->expiry == INT64_C(1835395200000) + DAY);
	assert_int_equal(f->lines[4].type, CORE_LINE_PACKAGE);
	assert_int_equal(f->lines[5].uncounted, 1);
	assert_string_equal(f->lines[5].key, "");
}

static void
load_file(const char *path, const char *name, int *seen_mathworks)
{
	struct core_license_file f;
	struct diag d;

	diag_init(&d);
	if (license_load(path, &f, &d) != 0 || d.errors != 0) {
		dump(&d);
		fail_msg("%s does not load cleanly", path);
	}
	if (strcmp(name, "mathworks-style.lic") == 0) {
		check_mathworks(&f);
		assert_true(has_msg(&d, DIAG_NOTICE, 9,
		    "HOSTID is "
		    "parsed but not yet honoured"));
		assert_int_equal(count_level(&d, DIAG_NOTICE), 1);
		*seen_mathworks = 1;
	}
	if (strcmp(name, "every-line.lic") == 0)
		check_every_line(&f);
	free_all(&f, &d);
}

static void
test_corpus(void **state)
{
	(void)state;
	load_corpus("licenses", load_file, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_expiry_and_start),
	    cmocka_unit_test(test_feature_fields),
	    cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_versions_and_names),
	    cmocka_unit_test(test_continuations),
	    cmocka_unit_test(test_comments),
	    cmocka_unit_test(test_empty_and_bom),
	    cmocka_unit_test(test_servers_and_vendors),
	    cmocka_unit_test(test_upgrade_and_package),
	    cmocka_unit_test(test_later_attr_notices),
	    cmocka_unit_test(test_sign_without_key),
	    cmocka_unit_test(test_duplicate_attr),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_error_recovery),
	    cmocka_unit_test(test_nul_byte),
	    cmocka_unit_test(test_attr_limit),
	    cmocka_unit_test(test_line_limit),
	    cmocka_unit_test(test_file_limit),
	    cmocka_unit_test(test_lines_limit),
	    cmocka_unit_test(test_load_missing),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
