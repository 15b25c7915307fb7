/*
 * Unit tests of the report computations: a known scenario replayed with
 * injected times (seat-hours, peaks, clipping at both ends of the period,
 * grants still open, lingering and queue waits), chargeback shares that add
 * up exactly on every basis, the costs file, the export lines, and the
 * streaming reader across a rotated journal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/journal/journal.h"
#include "tools/licctl/report.h"

#define P0 1793491200000LL /* 2026-11-01T00:00:00Z */
#define HOUR 3600000LL

/* One step of a scenario: a record at P0 + at_min minutes. */
struct step {
	int64_t at_min;
	const char *type;
	const char *unit;
	const char *user;
	uint64_t handle;
	int count;
	const char *reason;
	const char *detail;
	const char *machine;
};

/*
 * The period is [P0, P0 + 10 h).  Seat-hours expected:
 *   phys: alice 2 seats x 1 h (checked out before the period), frank
 *         2 h (lingering in between), carol 7.25 h (never returned)
 *   chem: bob 3 h, erin 0.5 h (from the queue), dave 1 h (returned
 *         after the period)
 *   bio:  only before the period
 */
static const struct step scenario[] = {
    {-300, "checkout", "bio", "eve", 1, 1, "", "", ""},
    {-180, "checkin", "bio", "eve", 1, 1, "client", "", ""},
    {-120, "checkout", "phys", "alice", 2, 2, "", "", ""},
    {-60, "deny", "phys", "zed", 0, 1, "no-seats", "", ""},
    {60, "checkin", "phys", "alice", 2, 2, "client", "", ""},
    {60, "checkout", "phys", "frank", 3, 1, "", "", ""},
    {120, "linger", "phys", "frank", 3, 1, "", "", ""},
    {120, "checkout", "chem", "bob", 4, 1, "", "", ""},
    {150, "checkout", "phys", "frank", 3, 1, "", "", ""},
    {165, "checkout", "phys", "carol", 5, 1, "", "", ""},
    {180, "checkin", "phys", "frank", 3, 1, "client", "", ""},
    {180, "deny", "chem", "carl", 0, 1, "no-seats", "", ""},
    {180, "deny", "chem", "carl", 0, 1, "max", "", ""},
    {300, "checkin", "chem", "bob", 4, 1, "client", "", ""},
    {300, "activate", "phys", "kim", 0, 1, "activated", "", "m-1"},
    {301, "activate", "phys", "kim", 0, 1, "activated", "", "m-2"},
    {302, "activate", "phys", "kim", 0, 1, "activated", "", "m-1"},
    {303, "activate", "phys", "kim", 0, 1, "below-threshold", "", "m-3"},
    {360, "queue", "chem", "erin", 100, 1, "", "", ""},
    {390, "checkout", "chem", "erin", 101, 1, "", "from queue", ""},
    {420, "checkin", "chem", "erin", 101, 1, "client", "", ""},
    {450, "queue", "chem", "gus", 102, 1, "", "", ""},
    {480, "dequeue", "chem", "gus", 102, 1, "client", "", ""},
    {540, "checkout", "chem", "dave", 6, 1, "", "", ""},
    {720, "checkin", "chem", "dave", 6, 1, "client", "", ""},
};

#define NSTEPS (sizeof(scenario) / sizeof(scenario[0]))

static void
step_record(const struct step *s, uint64_t seq, struct journal_record *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->time_ms = P0 + s->at_min * 60000;
	snprintf(r->type, sizeof(r->type), "%s", s->type);
	snprintf(r->frontend, sizeof(r->frontend), "flex");
	snprintf(r->feature, sizeof(r->feature), "MATLAB");
	snprintf(r->version, sizeof(r->version), "51");
	snprintf(r->unit, sizeof(r->unit), "%s", s->unit);
	snprintf(r->user, sizeof(r->user), "%s", s->user);
	snprintf(r->host, sizeof(r->host), "ws-%s", s->user);
	snprintf(r->reason, sizeof(r->reason), "%s", s->reason);
	snprintf(r->detail, sizeof(r->detail), "%s", s->detail);
	snprintf(r->machine_id, sizeof(r->machine_id), "%s", s->machine);
	r->handle = s->handle;
	r->count = s->count;
}

static struct report *
run_scenario(enum report_by by, int64_t from, int64_t to)
{
	struct journal_record rec;
	struct report *r;
	size_t i;

	r = report_new(from, to, by);
	assert_non_null(r);
	for (i = 0; i < NSTEPS; i++) {
		step_record(&scenario[i], i + 1, &rec);
		assert_int_equal(report_add(r, &rec), 0);
	}
	assert_int_equal(report_finish(r), 0);
	return r;
}

static const struct report_row *
find_row(const struct report *r, const char *key, const char *key2)
{
	const struct report_row *row;
	size_t i;

	for (i = 0; i < report_nrows(r); i++) {
		row = report_row(r, i);
		if (strcmp(row->key, key) == 0 && strcmp(row->key2, key2) == 0)
			return row;
	}
	fail_msg("no row %s/%s", key, key2);
	return NULL;
}

static void
test_scenario_by_unit(void **state)
{
	const struct report_row *phys, *chem, *bio, *total;
	struct report *r;

	r = run_scenario(REPORT_BY_UNIT, P0, P0 + 10 * HOUR);
	assert_int_equal(report_nrows(r), 3);
	/* Sorted by key. */
	assert_string_equal(report_row(r, 0)->key, "bio");
	assert_string_equal(report_row(r, 2)->key, "phys");

	phys = find_row(r, "phys", "");
	assert_int_equal(
	    phys->seat_ms, 2 * HOUR + 2 * HOUR + 7 * HOUR + HOUR / 4);
	assert_int_equal(phys->peak, 2); /* alice's 2 at the start */
	assert_int_equal(phys->users, 3);
	assert_int_equal(phys->checkouts, 3); /* frank twice, carol */
	assert_int_equal(phys->denials, 0); /* zed's was before */
	assert_int_equal(phys->activations, 2);
	assert_true(phys->in_period);

	chem = find_row(r, "chem", "");
	assert_int_equal(chem->seat_ms, 3 * HOUR + HOUR / 2 + HOUR);
	assert_int_equal(chem->peak, 1);
	assert_int_equal(chem->users, 3); /* carl and gus never held one */
	assert_int_equal(chem->checkouts, 3);
	assert_int_equal(chem->denials, 2);
	assert_int_equal(chem->nreasons, 2);
	assert_string_equal(chem->reasons[0].name, "max");
	assert_int_equal(chem->reasons[0].n, 1);
	assert_string_equal(chem->reasons[1].name, "no-seats");
	assert_int_equal(chem->waits, 2);
	assert_int_equal(chem->wait_ms, HOUR); /* 30 min each */

	bio = find_row(r, "bio", "");
	assert_false(bio->in_period);
	assert_int_equal(bio->seat_ms, 0);
	assert_true(bio->held_ever);

	total = report_total(r);
	assert_int_equal(total->seat_ms, phys->seat_ms + chem->seat_ms);
	/* frank, bob and carol at 2:45. */
	assert_int_equal(total->peak, 3);
	assert_int_equal(total->users, 6);
	assert_int_equal(total->checkouts, 6);
	assert_int_equal(total->denials, 2);
	assert_int_equal(total->waits, 2);
	report_free(r);
}

static void
test_scenario_clipping(void **state)
{
	const struct report_row *phys, *chem;
	struct report *r;

	/* [1:30, 2:30): frank holds (lingering too) the whole hour, bob
	 * from 2:00; nothing ends in it. */
	r = run_scenario(REPORT_BY_UNIT, P0 + 90 * 60000, P0 + 150 * 60000);
	phys = find_row(r, "phys", "");
	chem = find_row(r, "chem", "");
	assert_int_equal(phys->seat_ms, HOUR);
	assert_int_equal(phys->peak, 1);
	assert_int_equal(phys->users, 1);
	assert_int_equal(phys->checkouts, 0); /* the reattach is at 2:30 */
	assert_int_equal(chem->seat_ms, HOUR / 2);
	assert_int_equal(chem->checkouts, 1);
	assert_int_equal(report_total(r)->peak, 2);
	report_free(r);

	/* Wholly before anything was used: no row in the period. */
	r = run_scenario(REPORT_BY_UNIT, P0 - 10 * HOUR, P0 - 6 * HOUR);
	assert_int_equal(report_nrows(r), 0);
	assert_int_equal(report_total(r)->seat_ms, 0);
	report_free(r);

	/* Long after: carol's grant is still open and counts in full. */
	r = run_scenario(REPORT_BY_USER, P0 + 100 * HOUR, P0 + 110 * HOUR);
	assert_int_equal(find_row(r, "carol", "")->seat_ms, 10 * HOUR);
	assert_int_equal(find_row(r, "carol", "")->peak, 1);
	assert_int_equal(report_total(r)->seat_ms, 10 * HOUR);
	report_free(r);
}

static void
test_by_host_and_feature(void **state)
{
	struct report *r;

	r = run_scenario(REPORT_BY_HOST, P0, P0 + 10 * HOUR);
	assert_int_equal(
	    find_row(r, "ws-carol", "")->seat_ms, 7 * HOUR + HOUR / 4);
	report_free(r);

	r = run_scenario(REPORT_BY_FEATURE, P0, P0 + 10 * HOUR);
	assert_int_equal(report_nrows(r), 1);
	assert_int_equal(
	    find_row(r, "MATLAB", "")->seat_ms, report_total(r)->seat_ms);
	assert_int_equal(find_row(r, "MATLAB", "")->units, 2);
	report_free(r);
}

static void
test_split_exact(void **state)
{
	static const uint64_t three[] = {1, 1, 1};
	static const uint64_t some_zero[] = {0, 5, 0, 5};
	static const uint64_t none[] = {0, 0};
	int64_t s[64], sum;
	uint64_t w[64];
	size_t i, n, k;

	/* 100.00 among three: the left-over penny to the first. */
	assert_int_equal(report_split(10000, three, 3, s), 0);
	assert_int_equal(s[0], 3334);
	assert_int_equal(s[1], 3333);
	assert_int_equal(s[2], 3333);

	assert_int_equal(report_split(101, some_zero, 4, s), 0);
	assert_int_equal(s[0], 0);
	assert_int_equal(s[2], 0);
	assert_int_equal(s[1] + s[3], 101);

	assert_int_equal(report_split(500, none, 2, s), -1);
	assert_int_equal(s[0] + s[1], 0);

	/* Any weights, including huge ones: the sum is exact and no share
	 * is a whole minor unit away from its exact proportion. */
	srand(42);
	for (k = 0; k < 2000; k++) {
		int64_t total = rand() % 10000000;
		unsigned __int128 W = 0;

		n = 1 + (size_t)(rand() % 64);
		for (i = 0; i < n; i++) {
			w[i] = (uint64_t)rand() % 5 == 0
			    ? 0
			    : (uint64_t)rand() * (k % 2 ? 1000003ULL : 1);
			W += w[i];
		}
		if (report_split(total, w, n, s) == -1) {
			assert_true(W == 0);
			continue;
		}
		sum = 0;
		for (i = 0; i < n; i++) {
			unsigned __int128 exact =
			    (unsigned __int128)total * w[i];

			assert_true((unsigned __int128)s[i] * W <= exact + W);
			assert_true((unsigned __int128)s[i] * W + W >= exact);
			if (w[i] == 0)
				assert_int_equal(s[i], 0);
			sum += s[i];
		}
		assert_int_equal(sum, total);
	}
}

static void
test_period_cost(void **state)
{
	struct report_span sp;
	char buf[32];

	assert_int_equal(report_parse_period("2026-11", &sp), 0);
	assert_int_equal(sp.from_ms, P0);
	assert_int_equal(sp.to_ms, P0 + 30 * REPORT_DAY_MS);
	assert_int_equal(sp.days, 30);
	assert_int_equal(sp.year_days, 365);
	/* 12000.00 a year: 986.30 for November. */
	assert_int_equal(report_period_cost(1200000, 30, 365), 98630);

	assert_int_equal(report_parse_period("2028-02", &sp), 0);
	assert_int_equal(sp.days, 29);
	assert_int_equal(sp.year_days, 366);
	assert_int_equal(report_parse_period("2026-12", &sp), 0);
	assert_int_equal(sp.days, 31);
	assert_int_equal(report_parse_period("2026", &sp), 0);
	assert_int_equal(
	    report_period_cost(1200000, sp.days, sp.year_days), 1200000);
	assert_int_equal(report_parse_period("2026-13", &sp), -1);
	assert_int_equal(report_parse_period("2026-1", &sp), -1);
	assert_int_equal(report_parse_period("26-11", &sp), -1);

	report_format_money(98630, 2, buf, sizeof(buf));
	assert_string_equal(buf, "986.30");
	report_format_money(5, 2, buf, sizeof(buf));
	assert_string_equal(buf, "0.05");
	report_format_money(-5, 2, buf, sizeof(buf));
	assert_string_equal(buf, "-0.05");
	report_format_money(1234, 0, buf, sizeof(buf));
	assert_string_equal(buf, "1234");
	report_format_money(1234, 3, buf, sizeof(buf));
	assert_string_equal(buf, "1.234");
}

static const struct report_cost *
cost_of(const struct report_costs *c, const char *feature)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].feature, feature) == 0)
			return &c->v[i];
	return NULL;
}

/* The scenario's November share of 12000.00 a year (986.30) on each
 * basis, and an unused feature left unallocated. */
static void
test_chargeback_every_basis(void **state)
{
	static const struct {
		enum report_basis basis;
		int64_t bio, chem, phys; /* -1: no charge line */
	} want[] = {
	    /* 11.25 h : 4.5 h = 5 : 2 */
	    {REPORT_BASIS_SEAT_HOURS, -1, 28180, 70450},
	    /* peaks 1 : 2: 32876.67 and 65753.33, the penny to chem */
	    {REPORT_BASIS_PEAK, -1, 32877, 65753},
	    {REPORT_BASIS_USERS, -1, 49315, 49315},
	    /* only phys activated machines; chem pays nothing */
	    {REPORT_BASIS_ACTIVATIONS, -1, -1, 98630},
	    /* every unit that ever held a seat, bio included */
	    {REPORT_BASIS_EQUAL, 32877, 32877, 32876},
	};
	struct report_cost cv[2] = {
	    {"MATLAB", 1200000, "GBP", 2, 1},
	    {"Abaqus", 365000, "EUR", 2, 2},
	};
	struct report_costs costs = {cv, 2};
	struct report_span sp;
	struct report_bill bill;
	struct report *r;
	int64_t sum, got[3];
	size_t i, k;

	assert_int_equal(report_parse_period("2026-11", &sp), 0);
	r = run_scenario(REPORT_BY_FEATURE_UNIT, sp.from_ms, sp.to_ms);
	/* The month, not 10 hours: carol holds to the end of November. */
	assert_int_equal(find_row(r, "MATLAB", "phys")->seat_ms,
	    2 * HOUR + 2 * HOUR + 30 * 24 * HOUR - 165 * 60000);
	report_free(r);

	/* The 10-hour window makes the shares easy to check by hand; the
	 * cost is still November's. */
	r = run_scenario(REPORT_BY_FEATURE_UNIT, P0, P0 + 10 * HOUR);
	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		assert_int_equal(
		    report_chargeback(r, &costs, &sp, want[k].basis, &bill), 0);
		got[0] = got[1] = got[2] = -1;
		sum = 0;
		for (i = 0; i < bill.n; i++) {
			if (bill.v[i].cost != &cv[0])
				continue;
			sum += bill.v[i].amount;
			if (strcmp(bill.v[i].unit, "bio") == 0)
				got[0] = bill.v[i].amount;
			else if (strcmp(bill.v[i].unit, "chem") == 0)
				got[1] = bill.v[i].amount;
			else if (strcmp(bill.v[i].unit, "phys") == 0)
				got[2] = bill.v[i].amount;
			else
				fail_msg("unexpected unit %s", bill.v[i].unit);
		}
		assert_int_equal(sum, 98630);
		assert_int_equal(got[0], want[k].bio);
		assert_int_equal(got[1], want[k].chem);
		assert_int_equal(got[2], want[k].phys);

		/* Abaqus: 3650.00 a year, nobody used it: 300.00 of November
		 * unallocated, in one line. */
		sum = 0;
		for (i = 0; i < bill.n; i++)
			if (bill.v[i].cost == &cv[1]) {
				assert_string_equal(bill.v[i].unit, "");
				sum += bill.v[i].amount;
			}
		assert_int_equal(sum, 30000);
		report_bill_free(&bill);
	}
	report_free(r);
}

/* Three units with exactly the same use of a 100.00 licence. */
static void
test_chargeback_three_equal_units(void **state)
{
	static const char *const units[] = {"a", "b", "c"};
	struct report_cost cv = {"X", 0, "GBP", 2, 1};
	struct report_costs costs = {&cv, 1};
	struct report_span sp = {P0, P0 + 10 * HOUR, 365, 365};
	enum report_basis b;
	struct journal_record rec;
	struct report_bill bill;
	struct report *r;
	size_t i;

	cv.per_year = 10000; /* a whole year's span: the full 100.00 */
	r = report_new(P0, P0 + 10 * HOUR, REPORT_BY_FEATURE_UNIT);
	assert_non_null(r);
	for (i = 0; i < 3; i++) {
		memset(&rec, 0, sizeof(rec));
		rec.seq = i + 1;
		rec.time_ms = P0 + HOUR;
		snprintf(rec.type, sizeof(rec.type), "checkout");
		snprintf(rec.feature, sizeof(rec.feature), "X");
		snprintf(rec.unit, sizeof(rec.unit), "%s", units[i]);
		snprintf(rec.user, sizeof(rec.user), "u%zu", i);
		rec.handle = i + 1;
		rec.count = 1;
		assert_int_equal(report_add(r, &rec), 0);
	}
	assert_int_equal(report_finish(r), 0);
	for (b = REPORT_BASIS_SEAT_HOURS; b <= REPORT_BASIS_EQUAL; b++) {
		if (b == REPORT_BASIS_ACTIVATIONS)
			continue;
		assert_int_equal(
		    report_chargeback(r, &costs, &sp, b, &bill), 0);
		assert_int_equal(bill.n, 3);
		assert_int_equal(bill.v[0].amount, 3334);
		assert_int_equal(bill.v[1].amount, 3333);
		assert_int_equal(bill.v[2].amount, 3333);
		report_bill_free(&bill);
	}
	/* Nobody activated anything: the whole cost is unallocated. */
	assert_int_equal(
	    report_chargeback(r, &costs, &sp, REPORT_BASIS_ACTIVATIONS, &bill),
	    0);
	assert_int_equal(bill.n, 1);
	assert_string_equal(bill.v[0].unit, "");
	assert_int_equal(bill.v[0].amount, 10000);
	report_bill_free(&bill);
	report_free(r);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_costs_file(void **state)
{
	char path[] = "/tmp/licd-costs-XXXXXX", err[512];
	struct report_costs c;
	const struct report_cost *m;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	write_file(path,
	    "costs = (\n"
	    "  { feature = \"MATLAB\"; per-year = 12000.00;"
	    " currency = \"GBP\"; minor-units = 2; },\n"
	    "  { feature = \"Abaqus\"; per-year = \"3650.10\";"
	    " currency = \"EUR\"; },\n"
	    "  { feature = \"Yen\"; per-year = 500000;"
	    " currency = \"JPY\"; minor-units = 0; },\n"
	    "  { feature = \"Tiny\"; per-year = 0.1;"
	    " currency = \"USD\"; }\n"
	    ");\n");
	assert_int_equal(report_costs_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 4);
	m = cost_of(&c, "MATLAB");
	assert_non_null(m);
	assert_int_equal(m->per_year, 1200000);
	assert_string_equal(m->currency, "GBP");
	assert_int_equal(cost_of(&c, "Abaqus")->per_year, 365010);
	assert_int_equal(cost_of(&c, "Abaqus")->minor_units, 2);
	assert_int_equal(cost_of(&c, "Yen")->per_year, 500000);
	assert_int_equal(cost_of(&c, "Tiny")->per_year, 10);
	report_costs_free(&c);

	/* Refused, each with its line. */
	write_file(path,
	    "costs = ( { feature = \"A\"; per-year = \"1.005\";"
	    " currency = \"GBP\"; } );\n");
	assert_int_equal(report_costs_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: A: per-year"));
	write_file(path,
	    "costs = ( { feature = \"A\"; per-year = -1.0;"
	    " currency = \"GBP\"; } );\n");
	assert_int_equal(report_costs_load(path, &c, err, sizeof(err)), -1);
	/* Under the limit as written, past it in minor units (the
	 * multiplication must not overflow on the way: fuzz_costs). */
	write_file(path,
	    "costs = ( { feature = \"A\"; per-year = \"300000008783428\";"
	    " currency = \"GBP\"; minor-units = 6; } );\n");
	assert_int_equal(report_costs_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: A: per-year"));
	write_file(path,
	    "costs = ( { feature = \"A\"; per-year = 1.0;"
	    " currency = \"GBP\"; },\n"
	    "{ feature = \"A\"; per-year = 2.0;"
	    " currency = \"GBP\"; } );\n");
	assert_int_equal(report_costs_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: A: also on line 1"));
	write_file(path,
	    "costs = ( { feature = \"A\"; per_year = 1.0;"
	    " currency = \"GBP\"; } );\n");
	assert_int_equal(report_costs_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown setting \"per_year\""));
	write_file(path, "costs = ( { feature = \"A\"; per-year = 1.0; } );\n");
	assert_int_equal(report_costs_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "currency"));
	write_file(path, "costs = ( { feature = \"A\" } );\n");
	assert_int_equal(report_costs_load(path, &c, err, sizeof(err)), -1);
	unlink(path);
	assert_int_equal(report_costs_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read"));
}

static void
test_parse_time(void **state)
{
	int64_t ms, w;
	int d;

	assert_int_equal(report_parse_time("2026-11-01", &ms, &d), 0);
	assert_int_equal(ms, P0);
	assert_true(d);
	assert_int_equal(report_parse_time("2026-11-01T02:30Z", &ms, &d), 0);
	assert_int_equal(ms, P0 + 150 * 60000);
	assert_false(d);
	assert_int_equal(
	    report_parse_time("2026-11-01T02:30:15.25", &ms, NULL), 0);
	assert_int_equal(ms, P0 + 150 * 60000 + 15250);
	assert_int_equal(
	    report_parse_time("2026-11-01T02:30:00+01:00", &ms, NULL), 0);
	assert_int_equal(ms, P0 + 90 * 60000);
	assert_int_equal(
	    report_parse_time("2026-11-01T00:00:00-0130", &ms, NULL), 0);
	assert_int_equal(ms, P0 + 90 * 60000);

	assert_int_equal(report_parse_time("2026-02-29", &ms, NULL), -1);
	assert_int_equal(report_parse_time("2028-02-29", &ms, NULL), 0);
	assert_int_equal(report_parse_time("2026-13-01", &ms, NULL), -1);
	assert_int_equal(report_parse_time("2026-11-01T24:00", &ms, NULL), -1);
	assert_int_equal(report_parse_time("2026-11-01T", &ms, NULL), -1);
	assert_int_equal(report_parse_time("2026-11-01x", &ms, NULL), -1);
	assert_int_equal(report_parse_time("yesterday", &ms, NULL), -1);
	assert_int_equal(report_parse_time("", &ms, NULL), -1);

	assert_int_equal(report_parse_window("90d", &w), 0);
	assert_int_equal(w, 90 * REPORT_DAY_MS);
	assert_int_equal(report_parse_window("2w", &w), 0);
	assert_int_equal(w, 14 * REPORT_DAY_MS);
	assert_int_equal(report_parse_window("30", &w), 0);
	assert_int_equal(w, 30 * REPORT_DAY_MS);
	assert_int_equal(report_parse_window("0d", &w), -1);
	assert_int_equal(report_parse_window("9x", &w), -1);
	assert_int_equal(report_parse_window("-3d", &w), -1);
}

static void
test_export_lines(void **state)
{
	struct journal_record r;
	char buf[REPORT_LINE_MAX];

	memset(&r, 0, sizeof(r));
	r.seq = 42;
	r.time_ms = P0 + 123;
	snprintf(r.type, sizeof(r.type), "checkin");
	snprintf(r.frontend, sizeof(r.frontend), "flex");
	snprintf(r.feature, sizeof(r.feature), "MATLAB");
	snprintf(r.user, sizeof(r.user), "o'brien");
	r.count = 1;
	r.handle = 7;
	r.duration_ms = 1500;
	snprintf(r.reason, sizeof(r.reason), "client");
	snprintf(r.detail, sizeof(r.detail), "a, \"b\"\nc\xff");

	report_csv_header(buf, sizeof(buf));
	assert_string_equal(buf,
	    "seq,time,type,frontend,feature,version,count,unit,user,host,"
	    "display,address,machine_id,handle,in_use_after,duration_ms,"
	    "reason,detail\r\n");
	report_csv_record(&r, buf, sizeof(buf));
	assert_string_equal(buf,
	    "42,2026-11-01T00:00:00.123Z,checkin,flex,MATLAB,,1,,o'brien,,,,,"
	    "7,0,1500,client,\"a, \"\"b\"\"\nc\xff\"\r\n");

	report_json_record(&r, buf, sizeof(buf));
	assert_string_equal(buf,
	    "{\"seq\":42,\"time\":\"2026-11-01T00:00:00.123Z\","
	    "\"type\":\"checkin\",\"frontend\":\"flex\",\"feature\":\"MATLAB\","
	    "\"version\":\"\",\"count\":1,\"unit\":\"\",\"user\":\"o'brien\","
	    "\"host\":\"\",\"display\":\"\",\"address\":\"\","
	    "\"machine_id\":\"\",\"handle\":7,\"in_use_after\":0,"
	    "\"duration_ms\":1500,\"reason\":\"client\","
	    "\"detail\":\"a, \\\"b\\\"\\nc\\ufffd\"}\n");

	/* Valid UTF-8 passes as is. */
	snprintf(r.detail, sizeof(r.detail), "caf\xc3\xa9");
	report_json_record(&r, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"detail\":\"caf\xc3\xa9\"}"));
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	return remove(path);
}

/* The reader and a report over a rotated series: a grant checked out in
 * the archive and returned in the live file. */
static void
test_iter_across_rotation(void **state)
{
	char dir[] = "/tmp/licd-report-XXXXXX", err[256] = "", name[128];
	struct journal_record rec;
	struct journal_iter *it;
	struct journal *j;
	struct report *r;
	uint64_t seq = 0;
	size_t i;
	int rc, n = 0;

	assert_non_null(mkdtemp(dir));
	j = journal_open(dir, err, sizeof(err));
	if (j == NULL)
		fail_msg("journal_open: %s", err);
	for (i = 0; i < 12; i++) {
		step_record(&scenario[i], 0, &rec);
		assert_int_not_equal(journal_append(j, &rec), 0);
	}
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(
	    journal_rotate(j, name, sizeof(name), err, sizeof(err)), 0);
	for (; i < NSTEPS; i++) {
		step_record(&scenario[i], 0, &rec);
		assert_int_not_equal(journal_append(j, &rec), 0);
	}
	journal_close(j);

	it = journal_iter_open(dir, INT64_MIN, INT64_MAX, err, sizeof(err));
	assert_non_null(it);
	while ((rc = journal_iter_next(it, &rec, err, sizeof(err))) == 1) {
		assert_int_equal(rec.seq, seq + 1);
		seq = rec.seq;
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, NSTEPS);
	journal_iter_close(it);

	/* A window: only the records inside it. */
	it = journal_iter_open(dir, P0, P0 + HOUR + 1, err, sizeof(err));
	assert_non_null(it);
	n = 0;
	while (journal_iter_next(it, &rec, err, sizeof(err)) == 1) {
		assert_true(rec.time_ms >= P0 && rec.time_ms <= P0 + HOUR);
		n++;
	}
	assert_int_equal(n, 2);
	journal_iter_close(it);

	/* The same numbers as from memory. */
	r = report_new(P0, P0 + 10 * HOUR, REPORT_BY_UNIT);
	assert_non_null(r);
	assert_int_equal(report_load(r, dir, err, sizeof(err)), 0);
	assert_int_equal(report_finish(r), 0);
	assert_int_equal(
	    find_row(r, "phys", "")->seat_ms, 11 * HOUR + HOUR / 4);
	assert_int_equal(find_row(r, "chem", "")->seat_ms, 4 * HOUR + HOUR / 2);
	assert_int_equal(find_row(r, "chem", "")->waits, 2);
	assert_int_equal(report_total(r)->peak, 3);
	report_free(r);

	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	it = journal_iter_open(dir, INT64_MIN, INT64_MAX, err, sizeof(err));
	assert_null(it);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scenario_by_unit),
	    cmocka_unit_test(test_scenario_clipping),
	    cmocka_unit_test(test_by_host_and_feature),
	    cmocka_unit_test(test_split_exact),
	    cmocka_unit_test(test_period_cost),
	    cmocka_unit_test(test_chargeback_every_basis),
	    cmocka_unit_test(test_chargeback_three_equal_units),
	    cmocka_unit_test(test_costs_file),
	    cmocka_unit_test(test_parse_time),
	    cmocka_unit_test(test_export_lines),
	    cmocka_unit_test(test_iter_across_rotation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
