/*
 * licctl lsusage's figures: a journal scenario replayed through the
 * report module with injected times, then per feature the requests
 * issued, denied, queued and queued then issued, the tokens issued and
 * the holding times; the CSV lines exactly, and the text block.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/journal/journal.h"
#include "tools/licctl/lsusage.h"
#include "tools/licctl/report.h"

#define P0 1793491200000LL /* 2026-11-01T00:00:00Z */
#define MIN 60000LL
#define HOUR_MS (60 * MIN)

struct step {
	int64_t at_min;
	const char *type;
	const char *feature;
	uint64_t handle;
	int count;
	int64_t held_min; /* checkin: duration */
	const char *detail;
	const char *frontend;
	int in_use; /* the feature's tokens in use after it */
};

/*
 * The period is [P0, P0 + 10 h).
 *   solver: a request queued before the period and granted in it (51),
 *   one granted at once (1, 2 tokens, held 60 min), a denial, one queued
 *   and granted (61, held 20 min), one queued and given up (62), the
 *   early one returned (held 190 min), one never returned (70), one that
 *   shares 70's token (72: issued, no token taken), another denial, and a
 *   checkout after the period (ignored).
 *   mesher: one checkout, returned, taken back within its linger (no new
 *   token) and returned again (held 30 min in all); a denial before the
 *   period.
 *   cad: only a return in the period (held 150 min, from before).
 *   flexonly: a flex grant, left out by --frontend sentinel.
 */
static const struct step scenario[] = {
    {-120, "checkout", "cad", 90, 1, 0, "", "sentinel", 1},
    {-60, "deny", "mesher", 0, 1, 0, "", "sentinel", 0},
    {-30, "queue", "solver", 50, 1, 0, "", "sentinel", 0},
    {0, "checkout", "solver", 1, 2, 0, "", "sentinel", 2},
    {5, "deny", "solver", 0, 1, 0, "", "sentinel", 2},
    {10, "checkout", "solver", 51, 1, 0, "from queue", "sentinel", 3},
    {10, "checkout", "mesher", 80, 1, 0, "", "sentinel", 1},
    {20, "linger", "mesher", 80, 1, 0, "", "sentinel", 1},
    {25, "checkout", "mesher", 80, 1, 0, "", "sentinel", 1},
    {30, "checkin", "cad", 90, 1, 150, "", "sentinel", 0},
    {40, "checkin", "mesher", 80, 1, 30, "", "sentinel", 0},
    {50, "checkout", "flexonly", 95, 1, 0, "", "flex", 1},
    {60, "checkin", "solver", 1, 2, 60, "", "sentinel", 1},
    {70, "queue", "solver", 60, 1, 0, "", "sentinel", 1},
    {80, "checkout", "solver", 61, 1, 0, "from queue", "sentinel", 2},
    {100, "checkin", "solver", 61, 1, 20, "", "sentinel", 1},
    {120, "queue", "solver", 62, 1, 0, "", "sentinel", 1},
    {130, "dequeue", "solver", 62, 1, 0, "", "sentinel", 1},
    {200, "checkin", "solver", 51, 1, 190, "", "sentinel", 0},
    {300, "checkout", "solver", 70, 1, 0, "", "sentinel", 1},
    {350, "checkout", "solver", 72, 1, 0, "", "sentinel", 1},
    {400, "deny", "solver", 0, 1, 0, "", "sentinel", 1},
    {600, "checkout", "solver", 71, 1, 0, "", "sentinel", 2},
};

#define NSTEPS (sizeof(scenario) / sizeof(scenario[0]))

static struct report *
replay(const char *frontend)
{
	struct journal_record rec;
	struct report *r;
	size_t i;

	r = report_new(P0, P0 + 600 * MIN, REPORT_BY_FEATURE);
	assert_non_null(r);
	if (frontend != NULL)
		assert_int_equal(report_set_frontend(r, frontend), 0);
	for (i = 0; i < NSTEPS; i++) {
		const struct step *s = &scenario[i];

		memset(&rec, 0, sizeof(rec));
		rec.seq = i + 1;
		rec.time_ms = P0 + s->at_min * MIN;
		snprintf(rec.type, sizeof(rec.type), "%s", s->type);
		snprintf(rec.frontend, sizeof(rec.frontend), "%s", s->frontend);
		snprintf(rec.feature, sizeof(rec.feature), "%s", s->feature);
		snprintf(rec.user, sizeof(rec.user), "u");
		snprintf(rec.host, sizeof(rec.host), "h");
		snprintf(rec.detail, sizeof(rec.detail), "%s", s->detail);
		rec.handle = s->handle;
		rec.count = s->count;
		rec.duration_ms = s->held_min * MIN;
		rec.in_use_after = s->in_use;
		if (strcmp(s->type, "deny") == 0)
			snprintf(rec.reason, sizeof(rec.reason), "no-seats");
		assert_int_equal(report_add(r, &rec), 0);
	}
	assert_int_equal(report_finish(r), 0);
	return r;
}

static const struct report_row *
row_of(const struct report *r, const char *feature)
{
	size_t i;

	for (i = 0; i < report_nrows(r); i++)
		if (strcmp(report_row(r, i)->key, feature) == 0)
			return report_row(r, i);
	return NULL;
}

static void
test_figures(void **state)
{
	struct lsusage_row u;
	struct report *r;

	(void)state;
	r = replay(NULL);

	lsusage_from_row(row_of(r, "solver"), &u);
	/* 5 checkouts (1, 51, 61, 70, 72), 2 denials, 2 queued in the period
	 * (60, 62) of which 1 granted: 5 + 2 + 2 - 1 requests. */
	assert_int_equal(u.requests, 8);
	assert_int_equal(u.issued, 5);
	assert_int_equal(u.denied, 2);
	assert_int_equal(u.queued, 2);
	assert_int_equal(u.queued_granted, 1);
	assert_true(u.issued_pct == 62.5);
	assert_true(u.denied_pct == 25.0);
	assert_true(u.queued_pct == 25.0);
	assert_true(u.queued_granted_pct == 12.5);
	/* 2 + 1 + 1 + 1, and none for the shared 72. */
	assert_int_equal(u.tokens, 5);
	assert_int_equal(u.returns, 3);
	assert_int_equal(u.hold_min_ms, 20 * MIN);
	assert_int_equal(u.hold_avg_ms, 90 * MIN);
	assert_int_equal(u.hold_max_ms, 190 * MIN);

	/* Taken back within the linger: two requests, both issued, one
	 * token, one return. */
	lsusage_from_row(row_of(r, "mesher"), &u);
	assert_int_equal(u.requests, 2);
	assert_int_equal(u.issued, 2);
	assert_int_equal(u.denied, 0);
	assert_true(u.issued_pct == 100.0);
	assert_int_equal(u.tokens, 1);
	assert_int_equal(u.returns, 1);
	assert_int_equal(u.hold_max_ms, 30 * MIN);

	/* Only a return: no requests, no percentages to speak of. */
	lsusage_from_row(row_of(r, "cad"), &u);
	assert_int_equal(u.requests, 0);
	assert_true(u.issued_pct == 0.0);
	assert_int_equal(u.returns, 1);
	assert_int_equal(u.hold_min_ms, 150 * MIN);
	assert_int_equal(u.hold_avg_ms, 150 * MIN);
	report_free(r);

	/* One front end's records only. */
	r = replay("sentinel");
	assert_null(row_of(r, "flexonly"));
	assert_non_null(row_of(r, "solver"));
	report_free(r);
	r = report_new(P0, P0 + HOUR_MS, REPORT_BY_FEATURE);
	assert_non_null(r);
	assert_int_equal(report_set_frontend(r, "a-name-far-too-long"), -1);
	report_free(r);
}

static char *
csv_of(const struct report *r)
{
	struct lsusage_row u;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(lsusage_csv_header(f), 0);
	for (i = 0; i < report_nrows(r); i++) {
		if (!report_row(r, i)->in_period)
			continue;
		lsusage_from_row(report_row(r, i), &u);
		assert_int_equal(lsusage_csv_row(&u, f), 0);
	}
	fclose(f);
	return buf;
}

static void
test_csv(void **state)
{
	struct report *r;
	char *out;

	(void)state;
	r = replay("sentinel");
	out = csv_of(r);
	assert_string_equal(out,
	    "feature,requests,issued,issued_pct,denied,denied_pct,queued,"
	    "queued_pct,queued_granted,queued_granted_pct,tokens_issued,"
	    "returns,hold_min_s,hold_avg_s,hold_max_s\r\n"
	    "cad,0,0,0.00,0,0.00,0,0.00,0,0.00,0,1,9000.000,9000.000,"
	    "9000.000\r\n"
	    "mesher,2,2,100.00,0,0.00,0,0.00,0,0.00,1,1,1800.000,1800.000,"
	    "1800.000\r\n"
	    "solver,8,5,62.50,2,25.00,2,25.00,1,12.50,5,3,1200.000,5400.000,"
	    "11400.000\r\n");
	free(out);
	report_free(r);
}

static void
test_csv_quoting_and_empty(void **state)
{
	struct lsusage_row u;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(&u, 0, sizeof(u));
	snprintf(u.feature, sizeof(u.feature), "a,\"b\"");
	u.requests = u.denied = 1;
	u.denied_pct = 100.0;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(lsusage_csv_row(&u, f), 0);
	fclose(f);
	/* Nothing returned: the holding times are empty, not zero. */
	assert_string_equal(buf,
	    "\"a,\"\"b\"\"\",1,0,0.00,1,100.00,0,0.00,0,"
	    "0.00,0,0,,,\r\n");
	free(buf);
}

static void
test_text(void **state)
{
	struct lsusage_row u;
	struct report *r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	r = replay(NULL);
	lsusage_from_row(row_of(r, "solver"), &u);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(lsusage_format(&u, f), 0);
	fclose(f);
	assert_string_equal(buf,
	    "\n"
	    " |- Feature Usage\n"
	    "   |- Feature name                   : \"solver\"\n"
	    "   |- Total number of requests       : 8\n"
	    "   |- Requests issued                : 62.5% (5)\n"
	    "   |- Requests denied                : 25.0% (2)\n"
	    "   |- Requests queued                : 25.0% (2)\n"
	    "   |- Queued, then issued            : 12.5% (1)\n"
	    "   |- Tokens issued                  : 5\n"
	    "   |- Tokens returned                : 3\n"
	    "   |- Minimum holding time           : 00:20:00\n"
	    "   |- Average holding time           : 01:30:00\n"
	    "   |- Maximum holding time           : 03:10:00\n");
	free(buf);
	report_free(r);
}

static void
test_duration(void **state)
{
	char buf[32];

	(void)state;
	lsusage_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "00:00:00");
	lsusage_duration(1499, buf, sizeof(buf));
	assert_string_equal(buf, "00:00:01");
	lsusage_duration(1500, buf, sizeof(buf));
	assert_string_equal(buf, "00:00:02");
	lsusage_duration(90061000, buf, sizeof(buf));
	assert_string_equal(buf, "1d 01:01:01");
	lsusage_duration(-5, buf, sizeof(buf));
	assert_string_equal(buf, "00:00:00");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_figures),
	    cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_csv_quoting_and_empty),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
