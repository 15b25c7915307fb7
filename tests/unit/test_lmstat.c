/*
 * The lmstat layout: exact lines for a hand-built snapshot, and the
 * regular expressions a monitoring tool would use on lmstat output, which
 * must match both licctl's lines and the real lmstat captures of the
 * conformance corpus (LICD_CORPUS_DIR, default /work/shared/corpus).
 */
#include <dirent.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "licd.h"
#include "tools/licctl/lmstat.h"

#define T_NOW 1796303100 /* Thu 12/3/2026 13:05 UTC */

/* Scraper expressions, written from the corpus layout. */
#define RE_USERS \
	"^Users of ([^ :]+):  \\(Total of ([0-9]+) licenses? issued;  " \
	"Total of ([0-9]+) licenses? in use\\)$"
#define RE_UNCOUNTED "^Users of ([^ :]+):  \\(Uncounted, node-locked\\)$"
#define RE_FEATURE "^ *\"([^\"]+)\" v([0-9.]+), vendor: ([^ ,]+)"
#define RE_HOLDER \
	"^ +([^ ]+) ([^ ]+)( .+)? \\(v([0-9.]+)\\) \\(([^/ ]+)/([^ ]+) " \
	"([0-9]+)\\), start [A-Z][a-z][a-z] ([0-9]{1,2})/([0-9]{1,2}) " \
	"([0-9]{1,2}):([0-9]{2})(, ([0-9]+) licenses?)?"
#define RE_RESERVATION \
	"^[ \t]+([0-9]+) RESERVATIONs? for ([A-Z_]+) ([^ ]+) " \
	"\\(([^/ ]+)/([0-9]+)\\)$"
#define RE_SERVER_UP \
	"^ *([^ :]+): license server UP( \\(MASTER\\))? v([0-9.]+)$"
#define RE_VENDOR_UP "^ +([^ :]+): UP v([0-9.]+)$"
#define RE_STATUS_ON \
	"^Flexible License Manager status on [A-Z][a-z][a-z] " \
	"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}$"
#define RE_DOWN "Cannot connect to license server system"
/* The end of a lingering holder's line, as the corpus shows it. */
#define RE_LINGER "  \\(linger: ([0-9]+) / ([0-9]+)\\)$"

static struct licd_status_feature t_features[] = {
    {"MATLAB", "MLM", "51", 16, 4, 0, 0, 0},
    {"SIMULINK", "MLM", "51", 1, 1, 0, 0, 0},
    {"Toolbox", "MLM", "51", 5, 0, 0, 0, 0},
    {"COMSOL", "LMCOMSOL", "6.3", 3, 0, 0, 0, 0},
    {"SERIAL", "LMCOMSOL", "6.3", 0, 0, 0, 0, 1},
};

static struct licd_status_reservation t_reservations[] = {
    {"MATLAB", "GROUP", "power", 3},
    {"MATLAB", "HOST", "ws9", 1},
};

static struct licd_status_grant t_grants[] = {
    {"MATLAB", "51", 1042, "alice", "ws12", "/dev/pts/3", "physics", 1,
	1796285220, 0, 0},
    {"MATLAB", "50", 1043, "bob", "ws13", "", "chem", 3, 1796117400, 600, 0},
    {"SIMULINK", "", 1050, "carol", "lab1", ":0", "physics", 1, 1796285220, 0,
	0},
};

static void
t_status(struct licd_status *st)
{
	memset(st, 0, sizeof(*st));
	strcpy(st->server_name, "licd");
	strcpy(st->server_version, "0.1.0");
	strcpy(st->server_host, "lic1.example.edu");
	strcpy(st->vendor, "licd");
	st->port = 27000;
	st->started = 1796280000;
	st->features = t_features;
	st->nfeatures = sizeof(t_features) / sizeof(t_features[0]);
	st->reservations = t_reservations;
	st->nreservations = sizeof(t_reservations) / sizeof(t_reservations[0]);
	st->grants = t_grants;
	st->ngrants = sizeof(t_grants) / sizeof(t_grants[0]);
}

/* Formats into a string the caller frees. */
static char *
t_format(const struct licd_status *st, const struct lmstat_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(lmstat_format(st, o, f), 0);
	fclose(f);
	return buf;
}

static const char expect_all[] =
    "licctl - licd v0.1.0 licence server status (lmstat layout)\n"
    "Flexible License Manager status on Thu 12/3/2026 13:05\n"
    "\n"
    "License server status: 27000@lic1.example.edu\n"
    "    License file(s) on lic1.example.edu: /etc/licd/matlab.lic:\n"
    "\n"
    "lic1.example.edu: license server UP v0.1.0\n"
    "\n"
    "Vendor daemon status (on lic1.example.edu):\n"
    "\n"
    "  MLM: UP v0.1.0\n"
    "  LMCOMSOL: UP v0.1.0\n"
    "\n"
    "Feature usage info:\n"
    "\n"
    "Users of MATLAB:  (Total of 16 licenses issued;  Total of 4 licenses "
    "in use)\n"
    "\n"
    "  \"MATLAB\" v51, vendor: MLM, expiry: permanent\n"
    "  floating license\n"
    "\n"
    "\t3 RESERVATIONs for GROUP power (lic1.example.edu/27000)\n"
    "\t1 RESERVATION for HOST ws9 (lic1.example.edu/27000)\n"
    "    alice ws12 /dev/pts/3 (v51) (lic1.example.edu/27000 1042), start "
    "Thu 12/3 8:07\n"
    "    bob ws13 ws13 (v50) (lic1.example.edu/27000 1043), start "
    "Tue 12/1 9:30, 3 licenses  (linger: 600 / 600)\n"
    "\n"
    "Users of SIMULINK:  (Total of 1 license issued;  Total of 1 license "
    "in use)\n"
    "\n"
    "  \"SIMULINK\" v51, vendor: MLM, expiry: permanent\n"
    "  floating license\n"
    "\n"
    "    carol lab1 :0 (v51) (lic1.example.edu/27000 1050), start "
    "Thu 12/3 8:07\n"
    "\n"
    "Users of Toolbox:  (Total of 5 licenses issued;  Total of 0 licenses "
    "in use)\n"
    "\n"
    "Users of COMSOL:  (Total of 3 licenses issued;  Total of 0 licenses "
    "in use)\n"
    "\n"
    "Users of SERIAL:  (Uncounted, node-locked)\n"
    "\n";

static void
test_format_all(void **state)
{
	struct lmstat_opts o = {
	    .all = 1, .now = T_NOW, .files = "/etc/licd/matlab.lic"};
	struct licd_status st;
	char *out;

	(void)state;
	t_status(&st);
	out = t_format(&st, &o);
	assert_string_equal(out, expect_all);
	free(out);
}

/* Without -a only the features in use; -f exactly one, in use or not. */
static void
test_format_filters(void **state)
{
	struct lmstat_opts o = {.now = T_NOW};
	struct licd_status st;
	char *out;

	(void)state;
	t_status(&st);
	out = t_format(&st, &o);
	assert_non_null(strstr(out, "Users of MATLAB:"));
	assert_non_null(strstr(out, "Users of SIMULINK:"));
	assert_null(strstr(out, "Users of Toolbox:"));
	assert_null(strstr(out, "Users of SERIAL:"));
	assert_non_null(strstr(
	    out, "License file(s) on lic1.example.edu: (not reported):\n"));
	free(out);

	/* The files the server reports, as lmstat lists them. */
	snprintf(st.files, sizeof(st.files), "/etc/licd/a.lic:/etc/b.lic");
	out = t_format(&st, &o);
	assert_non_null(strstr(out,
	    "License file(s) on lic1.example.edu: "
	    "/etc/licd/a.lic:/etc/b.lic:\n"));
	free(out);

	o.feature = "Toolbox";
	out = t_format(&st, &o);
	assert_null(strstr(out, "Users of MATLAB:"));
	assert_non_null(strstr(out,
	    "Users of Toolbox:  (Total of 5 licenses "
	    "issued;  Total of 0 licenses in use)\n"
	    "\n"));
	assert_null(strstr(out, "floating license"));
	free(out);
}

static void
test_format_info_and_down(void **state)
{
	struct lmstat_server sv[2] = {
	    {"27000@lic1", "lic1", 0, NULL, "Connection refused"},
	    {"27000@lic2", "lic2", 0, NULL, "connection timed out"},
	};
	struct lmstat_opts o = {.now = T_NOW, .servers = sv, .nservers = 2};
	struct licd_status st;
	char *buf = NULL;
	size_t len = 0;
	regex_t re;
	FILE *f;

	(void)state;
	t_status(&st);
	t_features[0].expiry = 1798761600; /* the end of 31 Dec 2026 */
	f = open_memstream(&buf, &len);
	assert_int_equal(lmstat_format_info(&st, NULL, f), 0);
	fclose(f);
	t_features[0].expiry = 0;
	/* The columns of the corpus's lmstat -i captures, heading and
	 * rows. */
	assert_string_equal(buf,
	    "Feature                         Version     #licenses    "
	    "Expires      Vendor\n"
	    "_______                         _________   _________    "
	    "__________   ______\n"
	    "MATLAB                          51           16          "
	    "31-dec-2026  MLM\n"
	    "SIMULINK                        51           1           "
	    "permanent    MLM\n"
	    "Toolbox                         51           5           "
	    "permanent    MLM\n"
	    "COMSOL                          6.3          3           "
	    "permanent    LMCOMSOL\n"
	    "SERIAL                          6.3          uncounted   "
	    "permanent    LMCOMSOL\n");
	free(buf);

	/* -i FEATURE: that row only. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(lmstat_format_info(&st, "COMSOL", f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\nCOMSOL "));
	assert_null(strstr(buf, "MATLAB"));
	free(buf);

	/* No server answered: each says why, on the line check_flexlm
	 * and the scrapers read. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(lmstat_format(NULL, &o, f), 0);
	fclose(f);
	assert_int_equal(regcomp(&re, RE_DOWN, REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&re, buf, 0, NULL, 0), 0);
	regfree(&re);
	assert_string_equal(buf,
	    "licctl - licd v0.1.0 licence server status (lmstat layout)\n"
	    "Flexible License Manager status on Thu 12/3/2026 13:05\n"
	    "\n"
	    "License server status: 27000@lic1,27000@lic2\n"
	    "\n"
	    "lic1: Cannot connect to license server system. "
	    "(Connection refused)\n"
	    "lic2: Cannot connect to license server system. "
	    "(connection timed out)\n"
	    "\n");
	free(buf);
}

/* A list of servers, one down: each server's line, the vendor daemons
 * on the first that answered; -s and plain lmstat stop there. */
static void
test_format_servers(void **state)
{
	struct lmstat_server sv[3] = {
	    {"27000@lic1", "lic1", 0, NULL, "Connection refused"},
	    {"27000@lic2", "lic2", 1, "0.1.0", NULL},
	    {"27000@lic3", "lic3", 1, "0.1.0", NULL},
	};
	struct lmstat_opts o = {.now = T_NOW,
	    .files = "/etc/licd/site.lic",
	    .no_features = 1,
	    .servers = sv,
	    .nservers = 3};
	struct licd_status st;
	char *out;

	(void)state;
	t_status(&st);
	out = t_format(&st, &o);
	assert_string_equal(out,
	    "licctl - licd v0.1.0 licence server status (lmstat layout)\n"
	    "Flexible License Manager status on Thu 12/3/2026 13:05\n"
	    "\n"
	    "License server status: 27000@lic1,27000@lic2,27000@lic3\n"
	    "    License file(s) on lic1: /etc/licd/site.lic:\n"
	    "\n"
	    "lic1: Cannot connect to license server system. "
	    "(Connection refused)\n"
	    "lic2: license server UP v0.1.0\n"
	    "lic3: license server UP v0.1.0\n"
	    "\n"
	    "Vendor daemon status (on lic2):\n"
	    "\n"
	    "  MLM: UP v0.1.0\n"
	    "  LMCOMSOL: UP v0.1.0\n"
	    "\n");
	free(out);

	/* -S LMCOMSOL: that vendor's daemon and its features, in use or
	 * not. */
	o.no_features = 0;
	o.vendor = "LMCOMSOL";
	out = t_format(&st, &o);
	assert_null(strstr(out, "  MLM: UP"));
	assert_non_null(strstr(out, "  LMCOMSOL: UP v0.1.0\n"));
	assert_null(strstr(out, "Users of MATLAB:"));
	assert_non_null(strstr(out, "Users of COMSOL:"));
	assert_non_null(strstr(out, "Users of SERIAL:"));
	free(out);
}

/* Queued requests: the count STATUS gives, since it names nobody. */
static void
test_format_queued(void **state)
{
	struct lmstat_opts o = {.now = T_NOW};
	struct licd_status st;
	char *out;

	(void)state;
	t_status(&st);
	t_features[1].queued = 2;
	out = t_format(&st, &o);
	t_features[1].queued = 0;
	assert_non_null(strstr(out,
	    "    carol lab1 :0 (v51) (lic1.example.edu/27000 1050), start "
	    "Thu 12/3 8:07\n"
	    "    2 requests queued (who waits is not reported by licd)\n"
	    "\n"));
	free(out);
}

/* A borrowed seat: FlexLM shows it as lingering for the borrow period,
 * "(linger: left / total)", and scrapers read it so. */
static void
test_format_borrowed(void **state)
{
	struct lmstat_opts o = {.now = T_NOW};
	struct licd_status st;
	regmatch_t m[4];
	regex_t re;
	char *out, *line;

	(void)state;
	t_status(&st);
	t_grants[2].borrowed_until = 1796285220 + 86400;
	out = t_format(&st, &o);
	assert_non_null(strstr(out,
	    "    carol lab1 :0 (v51) (lic1.example.edu/27000 1050), start "
	    "Thu 12/3 8:07  (linger: 68520 / 86400)\n"));
	line = strstr(out, "    carol");
	assert_non_null(line);
	*strchr(line, '\n') = '\0';
	assert_int_equal(regcomp(&re, RE_LINGER, REG_EXTENDED), 0);
	assert_int_equal(regexec(&re, line, 3, m, 0), 0);
	regfree(&re);
	free(out);

	/* Past its end (the server returns it at the next tick): 0 left. */
	o.now = 1796285220 + 90000;
	out = t_format(&st, &o);
	t_grants[2].borrowed_until = 0;
	assert_non_null(strstr(out, "8:07  (linger: 0 / 86400)\n"));
	free(out);
}

struct scrape {
	const char *name;
	const char *pattern;
	regex_t re;
	int hits;
};

static struct scrape scrapes[] = {
    {"users", RE_USERS, {0}, 0},
    {"uncounted", RE_UNCOUNTED, {0}, 0},
    {"feature", RE_FEATURE, {0}, 0},
    {"holder", RE_HOLDER, {0}, 0},
    {"reservation", RE_RESERVATION, {0}, 0},
    {"server-up", RE_SERVER_UP, {0}, 0},
    {"vendor-up", RE_VENDOR_UP, {0}, 0},
    {"status-on", RE_STATUS_ON, {0}, 0},
};

#define NSCRAPES (sizeof(scrapes) / sizeof(scrapes[0]))

static int
scrapes_setup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSCRAPES; i++)
		if (regcomp(&scrapes[i].re, scrapes[i].pattern, REG_EXTENDED) !=
		    0)
			return -1;
	return 0;
}

static int
scrapes_teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSCRAPES; i++)
		regfree(&scrapes[i].re);
	return 0;
}

static int
matches(size_t i, const char *line)
{
	return regexec(&scrapes[i].re, line, 0, NULL, 0) == 0;
}

/*
 * Each line is claimed by the expression its shape calls for, so a line
 * that a scraper would skip is a failure, not a silent miss.  Returns the
 * number of lines that should have matched and did not.
 */
static int
scan_line(const char *line, const char *where)
{
	size_t want = NSCRAPES;

	/* "Users of F:  (Error: ...)" reports a licence the server
	 * cannot serve; licctl never prints it. */
	if (strncmp(line, "Users of ", 9) == 0 &&
	    strstr(line, "(Error: ") != NULL)
		want = NSCRAPES;
	else if (strncmp(line, "Users of ", 9) == 0)
		want = strstr(line, "Uncounted") != NULL ? 1 : 0;
	else if (strstr(line, "\" v") != NULL &&
	    strstr(line, ", vendor: ") != NULL)
		want = 2;
	else if (strstr(line, ", start ") != NULL)
		want = 3;
	else if (strstr(line, " RESERVATION") != NULL)
		want = 4;
	else if (strstr(line, ": license server UP") != NULL)
		want = 5;
	else if (strstr(line, ": UP v") != NULL)
		want = 6;
	else if (strncmp(line, "Flexible License Manager status on", 34) == 0)
		want = 7;
	if (want == NSCRAPES)
		return 0;
	if (!matches(want, line)) {
		print_error("%s: %s does not match: %s\n", where,
		    scrapes[want].name, line);
		return 1;
	}
	scrapes[want].hits++;
	/* The holder expression must not take reservation lines, nor the
	 * reverse. */
	if (want == 3 && matches(4, line))
		return 1;
	return 0;
}

static int
scan_text(char *text, const char *where)
{
	char *line, *save = NULL;
	int bad = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		bad += scan_line(line, where);
	return bad;
}

static void
test_regex_licctl(void **state)
{
	struct lmstat_opts o = {.all = 1, .now = T_NOW};
	struct licd_status st;
	regmatch_t m[14];
	regex_t re;
	const char *line;
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < NSCRAPES; i++)
		scrapes[i].hits = 0;
	t_status(&st);
	out = t_format(&st, &o);
	assert_int_equal(scan_text(out, "licctl"), 0);
	free(out);
	assert_int_equal(scrapes[0].hits, 4);
	assert_int_equal(scrapes[1].hits, 1);
	assert_int_equal(scrapes[2].hits, 2);
	assert_int_equal(scrapes[3].hits, 3);
	assert_int_equal(scrapes[4].hits, 2);
	assert_int_equal(scrapes[5].hits, 1);
	assert_int_equal(scrapes[6].hits, 2);
	assert_int_equal(scrapes[7].hits, 1);

	/* The groups a scraper reads hold the right values. */
	line = "    bob ws13 ws13 (v50) (lic1.example.edu/27000 1043), start "
	       "Tue 12/1 9:30, 3 licenses";
	assert_int_equal(regexec(&scrapes[3].re, line, 14, m, 0), 0);
	assert_int_equal(m[1].rm_eo - m[1].rm_so, 3); /* user */
	assert_memory_equal(line + m[7].rm_so, "1043", 4);
	assert_memory_equal(line + m[13].rm_so, "3", 1);

	/* A lingering seat: lmstat's "(linger: left / total)" after the
	 * count, read the same in licctl's line and in a capture's. */
	assert_int_equal(regcomp(&re, RE_LINGER, REG_EXTENDED), 0);
	line = "    bob ws13 ws13 (v50) (lic1.example.edu/27000 1043), start "
	       "Tue 12/1 9:30, 3 licenses  (linger: 600 / 600)";
	assert_int_equal(regexec(&scrapes[3].re, line, 14, m, 0), 0);
	assert_int_equal(regexec(&re, line, 3, m, 0), 0);
	assert_memory_equal(line + m[1].rm_so, "600", 3);
	line = "    cmfy212 UFRTR1LT0087375 UFRTR1LT00873750.0 (v1.00) "
	       "(host3.domain.net/28000 1401), start Wed 5/23 5:59, 16 "
	       "licenses  (linger: 885098 / 1340160)";
	assert_int_equal(regexec(&re, line, 3, m, 0), 0);
	regfree(&re);
}

static void
test_regex_corpus(void **state)
{
	const char *dir;
	char path[1024], *text;
	struct dirent *de;
	DIR *d;
	FILE *f;
	long size;
	int files = 0, bad = 0;
	size_t i;

	(void)state;
	dir = getenv("LICD_CORPUS_DIR");
	if (dir == NULL)
		dir = "/work/shared/corpus";
	snprintf(path, sizeof(path), "%s/flexlm/lmstat", dir);
	d = opendir(path);
	if (d == NULL)
		skip();
	for (i = 0; i < NSCRAPES; i++)
		scrapes[i].hits = 0;
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".txt") == NULL)
			continue;
		snprintf(
		    path, sizeof(path), "%s/flexlm/lmstat/%s", dir, de->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		rewind(f);
		text = calloc(1, (size_t)size + 1);
		assert_non_null(text);
		assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
		fclose(f);
		/* Windows captures end lines with "\r\n". */
		for (i = 0; i < (size_t)size; i++)
			if (text[i] == '\r')
				text[i] = '\n';
		bad += scan_text(text, de->d_name);
		free(text);
		files++;
	}
	closedir(d);
	assert_true(files >= 6);
	assert_int_equal(bad, 0);
	/* Every expression found its lines in the captures. */
	for (i = 0; i < NSCRAPES; i++)
		if (scrapes[i].hits == 0)
			fail_msg("%s matched no corpus line", scrapes[i].name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_all),
	    cmocka_unit_test(test_format_filters),
	    cmocka_unit_test(test_format_info_and_down),
	    cmocka_unit_test(test_format_servers),
	    cmocka_unit_test(test_format_queued),
	    cmocka_unit_test(test_format_borrowed),
	    cmocka_unit_test(test_regex_licctl),
	    cmocka_unit_test(test_regex_corpus),
	};

	/* lmstat prints local time: pin it. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, scrapes_setup, scrapes_teardown);
}
