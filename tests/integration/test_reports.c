/*
 * Reports against a real licd: checkouts, checkins and a denial, a
 * rotation of the journal between two runs, then licctl export must
 * reconcile record for record with licctl journal show across both files,
 * and usage, chargeback (every basis adding up to the period's cost) and
 * renewals must run on the same state directory.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "daemon/journal/journal.h"
#include "harness.h"

#define OUT_MAX (1024 * 1024)

static const char options[] = "GROUP physics alice bob\n"
			      "GROUP chemistry carol\n";

/* FlexLM's date for days from now: "3-jan-2027". */
static void
flex_date(int days, char *buf, size_t len)
{
	static const char *const mon[] = {"jan", "feb", "mar", "apr", "may",
	    "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%d-%s-%d", tm.tm_mday, mon[tm.tm_mon],
	    tm.tm_year + 1900);
}

/* "2026-11-30" for days from now. */
static void
iso_date(int days, char *buf, size_t len)
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

/* Sequence numbers, in order, from journal show lines ("TIME SEQ ..."). */
static size_t
show_seqs(const char *out, unsigned long long *seqs, size_t max)
{
	const char *p = out;
	size_t n = 0;

	while (*p != '\0' && n < max) {
		if (sscanf(p, "%*s %llu", &seqs[n]) == 1)
			n++;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return n;
}

/* The first CSV column of every line after the header; each line must
 * end in CRLF. */
static size_t
csv_seqs(const char *out, unsigned long long *seqs, size_t max)
{
	const char *p, *eol;
	size_t n = 0;

	assert_true(strncmp(out, "seq,time,type,", 14) == 0);
	p = strstr(out, "\r\n");
	assert_non_null(p);
	for (p += 2; *p != '\0' && n < max; p = eol + 2) {
		/* A quoted field may hold a newline; these records have
		 * none, so each line is one record. */
		eol = strstr(p, "\r\n");
		assert_non_null(eol);
		assert_int_equal(sscanf(p, "%llu,", &seqs[n]), 1);
		n++;
	}
	return n;
}

static size_t
count_lines(const char *s, const char *prefix)
{
	size_t n = 0;
	const char *p = s;

	while (*p != '\0') {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	return n;
}

/* "123.45" -> 12345 (two decimals, as in the costs file below). */
static int64_t
minor_of(const char *s)
{
	long long major = 0;
	int minor = 0;

	assert_int_equal(sscanf(s, "%lld.%2d", &major, &minor), 2);
	return (int64_t)major * 100 + minor;
}

/* Adds up the amounts of feature in a chargeback CSV. */
static int64_t
csv_amounts(const char *out, const char *feature, int *lines)
{
	char line[1024], *f[8], *save, *p;
	const char *s = out, *eol;
	int64_t sum = 0;
	size_t len;
	int i;

	*lines = 0;
	assert_true(strncmp(out, "period,feature,unit,", 20) == 0);
	s = strstr(s, "\r\n") + 2;
	for (; *s != '\0'; s = eol + 2) {
		eol = strstr(s, "\r\n");
		assert_non_null(eol);
		len = (size_t)(eol - s);
		assert_true(len < sizeof(line));
		memcpy(line, s, len);
		line[len] = '\0';
		/* Empty fields (basis_value when unallocated) are kept. */
		for (i = 0, p = line; i < 7; i++) {
			f[i] = p;
			save = strchr(p, ',');
			if (save == NULL) {
				i++;
				break;
			}
			*save = '\0';
			p = save + 1;
		}
		assert_int_equal(i, 7);
		if (strcmp(f[1], feature) != 0)
			continue;
		sum += minor_of(f[5]);
		(*lines)++;
	}
	return sum;
}

static void
test_reports_reconcile(void **state)
{
	static const char *const bases[] = {
	    "seat-hours", "peak", "users", "activations", "equal"};
	struct h_licd d;
	struct h_conn a, b, c, x, e;
	struct journal *j;
	char lic[512], date[32], dir[300], costs[320], req[64], reply[1024];
	char name[128], err[256], from[16], to[16], period[16], text[512];
	char *out, *out2;
	const char *p;
	size_t nviewer;
	unsigned long long s1[512], s2[512];
	size_t n1, n2, i;
	uint64_t h;
	int64_t cost, sum;
	time_t now = time(NULL);
	struct tm tm;
	int days, year_days, lines, y;

	out = malloc(OUT_MAX);
	out2 = malloc(OUT_MAX);
	assert_non_null(out);
	assert_non_null(out2);

	flex_date(30, date, sizeof(date));
	snprintf(lic, sizeof(lic),
	    "VENDOR demo\n"
	    "FEATURE solver demo 2.0 permanent 3 0\n"
	    "INCREMENT viewer demo 1.0 %s 2 0\n",
	    date);
	h_licd_init(&d, lic, options, NULL);
	snprintf(dir, sizeof(dir), "%s/state", d.dir);
	h_licd_start(&d);

	/* First run: three solver seats taken, a fourth refused, one
	 * returned; carol holds a viewer too. */
	h_connect(&a, d.port);
	h_connect(&b, d.port);
	h_connect(&c, d.port);
	h_connect(&x, d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");
	h_hello(&c, "carol", "ws3");
	h_hello(&x, "dave", "ws4");
	h = h_checkout(&a, "solver", 1, NULL, 0);
	assert_true(h != 0);
	assert_true(h_checkout(&b, "solver", 1, NULL, 0) != 0);
	assert_true(h_checkout(&c, "solver", 1, NULL, 0) != 0);
	assert_true(h_checkout(&c, "viewer", 1, NULL, 0) != 0);
	assert_int_equal(h_checkout(&x, "solver", 1, reply, sizeof(reply)), 0);
	assert_string_equal(reply, "no-seats");
	snprintf(
	    req, sizeof(req), "CHECKIN handle=%llu", (unsigned long long)h);
	h_request(&a, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK"));
	h_close(&a);
	h_close(&x);
	assert_int_equal(h_licd_stop(&d), 0);
	h_close(&b);
	h_close(&c);

	/* Rotate with licd stopped, as licctl newlog would with it
	 * running. */
	j = journal_open(dir, err, sizeof(err));
	if (j == NULL)
		fail_msg("journal_open: %s", err);
	assert_int_equal(
	    journal_rotate(j, name, sizeof(name), err, sizeof(err)), 0);
	journal_close(j);

	/* Second run: erin uses a viewer seat and returns it. */
	h_licd_start(&d);
	h_connect(&e, d.port);
	h_hello(&e, "erin", "ws5");
	h = h_checkout(&e, "viewer", 1, NULL, 0);
	assert_true(h != 0);
	snprintf(
	    req, sizeof(req), "CHECKIN handle=%llu", (unsigned long long)h);
	h_request(&e, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK"));
	h_close(&e);
	assert_int_equal(h_licd_stop(&d), 0);

	assert_int_equal(h_licctl(out, OUT_MAX, "journal", "verify",
			     "--state-dir", dir, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "journal: 2 files"));

	/* export reconciles with journal show, record for record. */
	assert_int_equal(h_licctl(out, OUT_MAX, "journal", "show",
			     "--state-dir", dir, (char *)NULL),
	    0);
	n1 = show_seqs(out, s1, 512);
	nviewer = 0;
	for (p = out; (p = strstr(p, " feature=viewer ")) != NULL; p++)
		nviewer++;
	assert_true(n1 >= 10);
	assert_int_equal(h_licctl(out2, OUT_MAX, "export", "--state-dir", dir,
			     "--from", "2000-01-01", "--to", "2100-01-01",
			     "--format", "csv", (char *)NULL),
	    0);
	n2 = csv_seqs(out2, s2, 512);
	assert_int_equal(n1, n2);
	for (i = 0; i < n1; i++)
		assert_int_equal(s1[i], s2[i]);
	assert_int_equal(s1[0], 1); /* the archive's first record */

	/* The same in JSON lines, and filtered by feature. */
	assert_int_equal(h_licctl(out2, OUT_MAX, "export", "--state-dir", dir,
			     "--format", "jsonl", (char *)NULL),
	    0);
	assert_int_equal(count_lines(out2, "{\"seq\":"), n1);
	assert_int_equal(
	    h_licctl(out2, OUT_MAX, "export", "--state-dir", dir, "--feature",
		"viewer", "--format", "jsonl", (char *)NULL),
	    0);
	assert_int_equal(count_lines(out2, "{\"seq\":"), nviewer);
	assert_true(nviewer >= 3);
	assert_null(strstr(out2, "\"feature\":\"solver\""));

	/* usage: alice's seat is only in the archive; bob's and carol's
	 * are still held (restored, never resumed in this test). */
	iso_date(-1, from, sizeof(from));
	iso_date(1, to, sizeof(to));
	assert_int_equal(
	    h_licctl(out, OUT_MAX, "usage", "--state-dir", dir, "--from", from,
		"--to", to, "--by", "user", "--format", "csv", (char *)NULL),
	    0);
	assert_true(
	    strncmp(out, "user,seat_hours,peak,users,checkouts,", 37) == 0);
	assert_non_null(strstr(out, "\r\nalice,"));
	assert_non_null(strstr(out, "\r\nerin,"));
	assert_non_null(strstr(out, "\r\ndave,0.0000,0,0,0,1,0,,0,no-seats=1"));
	assert_int_equal(h_licctl(out, OUT_MAX, "usage", "--state-dir", dir,
			     "--from", from, "--to", to, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "usage by unit"));
	assert_non_null(strstr(out, "physics"));
	assert_non_null(strstr(out, "chemistry"));
	/* 3 solver and 2 viewer checkouts, one denial. */
	assert_non_null(strstr(out, "\ntotal "));
	snprintf(text, sizeof(text), "%s", strstr(out, "\ntotal ") + 1);
	{
		char hours[32], wait[32];
		int peak;
		unsigned long long users, co, den, q, act;

		assert_int_equal(
		    sscanf(text,
			"total %31s %d %llu %llu %llu %llu %31s "
			"%llu",
			hours, &peak, &users, &co, &den, &q, wait, &act),
		    8);
		assert_int_equal(peak, 4); /* 3 solver + carol's viewer */
		assert_int_equal(users, 4); /* alice, bob, carol, erin */
		assert_int_equal(co, 5);
		assert_int_equal(den, 1);
	}

	/* chargeback for this month on every basis: the amounts add up to
	 * the month's cost exactly. */
	snprintf(costs, sizeof(costs), "%s/costs.conf", d.dir);
	h_write(costs,
	    "costs = (\n"
	    " { feature = \"solver\"; per-year = 12000.00;"
	    " currency = \"GBP\"; minor-units = 2; },\n"
	    " { feature = \"viewer\"; per-year = \"1000.01\";"
	    " currency = \"GBP\"; } );\n");
	gmtime_r(&now, &tm);
	strftime(period, sizeof(period), "%Y-%m", &tm);
	y = tm.tm_year + 1900;
	year_days = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 366 : 365;
	{
		static const int md[] = {
		    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

		days = md[tm.tm_mon] + (tm.tm_mon == 1 && year_days == 366);
	}
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		assert_int_equal(
		    h_licctl(out, OUT_MAX, "chargeback", "--state-dir", dir,
			"--period", period, "--costs", costs, "--basis",
			bases[i], "--format", "csv", (char *)NULL),
		    0);
		cost = (1200000LL * days * 2 + year_days) / (2 * year_days);
		sum = csv_amounts(out, "solver", &lines);
		assert_int_equal(sum, cost);
		assert_true(lines >= 1);
		cost = (100001LL * days * 2 + year_days) / (2 * year_days);
		sum = csv_amounts(out, "viewer", &lines);
		assert_int_equal(sum, cost);
	}
	/* Nobody activated anything yet: all unallocated. */
	assert_int_equal(h_licctl(out, OUT_MAX, "chargeback", "--state-dir",
			     dir, "--period", period, "--costs", costs,
			     "--basis", "activations", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "(unallocated)"));
	assert_int_equal(h_licctl(out, OUT_MAX, "chargeback", "--state-dir",
			     dir, "--period", period, "--costs", costs,
			     "--basis", "seat-hours", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "physics"));
	assert_non_null(strstr(out, "chemistry"));

	/* renewals: the viewer line expires within 90 days, the solver
	 * never. */
	assert_int_equal(
	    h_licctl(out, OUT_MAX, "renewals", "--config", d.conf, "--within",
		"90d", "--format", "csv", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "\r\nviewer,1.0,2,"));
	assert_null(strstr(out, "\r\nsolver,"));
	/* peak 2 (carol's, still held, and erin's), users carol and erin,
	 * units chemistry and the default unit, no denials */
	assert_non_null(strstr(out, ",2,2,2,0,"));
	assert_int_equal(h_licctl(out, OUT_MAX, "renewals", "--config", d.conf,
			     "--within", "10d", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "none"));

	/* Bad input is a usage error, a missing state directory an
	 * error. */
	assert_int_equal(h_licctl(out, OUT_MAX, "usage", "--state-dir", dir,
			     "--from", "2026-02-30", "--to", to, (char *)NULL),
	    64);
	assert_int_equal(h_licctl(out, OUT_MAX, "export", "--state-dir",
			     "/nonexistent", (char *)NULL),
	    2);

	free(out);
	free(out2);
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reports_reconcile),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
