/*
 * licctl export, usage, chargeback and renewals: option parsing and
 * output around the computations of report.c.  They read the state
 * directory's journal series directly (read-only, with licd running or
 * stopped), as licctl journal does.
 *
 * Dates: --from and --to take YYYY-MM-DD or an ISO 8601 time (UTC unless
 * it says otherwise).  --from is inclusive; --to is exclusive, except that
 * a bare date includes that whole day, so "--from 2026-11-01 --to
 * 2026-11-30" is the month of November.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_report.h"
#include "config/licd_conf.h"
#include "config/license.h"
#include "config/units.h"
#include "licctl.h"
#include "report.h"

#define REPORT_EX_ERROR 2 /* as licctl journal: the input cannot be read */

static const char *const synopsis[] = {
    "licctl export --state-dir DIR [--from DATE] [--to DATE]"
    " [--format csv|jsonl] [--feature F] [--unit U]",
    "licctl usage --state-dir DIR --from DATE --to DATE"
    " [--by unit|feature|user|host] [--format table|csv]",
    "licctl chargeback --state-dir DIR --period YYYY-MM|YYYY --costs FILE"
    " --basis seat-hours|peak|users|activations|equal"
    " [--format table|csv] [--units-file FILE]",
    "licctl renewals --config licd.conf [--state-dir DIR] [--within 90d]"
    " [--at DATE] [--format table|csv]",
};

static int
report_usage(int which)
{
	fprintf(stderr, "usage: %s\n(licctl help for more)\n", synopsis[which]);
	return LICCTL_EX_USAGE;
}

/* --from/--to: a bare date as --to means the end of that day. */
static int
parse_bound(const char *s, int is_to, int64_t *ms)
{
	int date_only;

	if (report_parse_time(s, ms, &date_only) == -1) {
		fprintf(stderr,
		    "licctl: \"%s\": not a date (YYYY-MM-DD) or ISO 8601 "
		    "time\n",
		    s);
		return -1;
	}
	if (is_to && date_only)
		*ms += REPORT_DAY_MS;
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The date part of a time, "2026-12-03". */
static void
format_date(int64_t ms, char *buf, size_t len)
{
	char t[40];

	report_format_time(ms, t, sizeof(t));
	snprintf(buf, len, "%.10s", t);
}

static const char *
show_key(const char *k)
{
	return k[0] != '\0' ? k : "-";
}

/* Seat-hours with two decimals, rounded. */
static void
format_hours(int64_t ms, char *buf, size_t len)
{
	int64_t c = (ms + 18000) / 36000;

	snprintf(buf, len, "%" PRId64 ".%02d", c / 100, (int)(c % 100));
}

enum {
	OPT_STATE_DIR = 256,
	OPT_FROM,
	OPT_TO,
	OPT_FORMAT,
	OPT_FEATURE,
	OPT_UNIT,
	OPT_BY,
	OPT_PERIOD,
	OPT_COSTS,
	OPT_BASIS,
	OPT_CONFIG,
	OPT_WITHIN,
	OPT_AT,
	OPT_UNITS_FILE,
};

static const struct option report_opts[] = {
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"feature", required_argument, NULL, OPT_FEATURE},
    {"unit", required_argument, NULL, OPT_UNIT},
    {"by", required_argument, NULL, OPT_BY},
    {"period", required_argument, NULL, OPT_PERIOD},
    {"costs", required_argument, NULL, OPT_COSTS},
    {"basis", required_argument, NULL, OPT_BASIS},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"within", required_argument, NULL, OPT_WITHIN},
    {"at", required_argument, NULL, OPT_AT},
    {"units-file", required_argument, NULL, OPT_UNITS_FILE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Every subcommand's options, as given; which ones it accepts is its own
 * business. */
struct report_args {
	const char *dir;
	const char *from;
	const char *to;
	const char *format;
	const char *feature;
	const char *unit;
	const char *by;
	const char *period;
	const char *costs;
	const char *basis;
	const char *config;
	const char *within;
	const char *at;
	const char *units_file;
	int help;
};

/* Reads the options; allowed lists the OPT_ values the subcommand takes.
 * Returns 0 or -1 (unknown option or stray argument). */
static int
parse_args(int argc, char **argv, const int *allowed, struct report_args *a)
{
	const char **slot;
	int ch, i, ok;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "h", report_opts, NULL)) != -1) {
		if (ch == 'h') {
			a->help = 1;
			continue;
		}
		ok = 0;
		for (i = 0; allowed[i] != 0; i++)
			if (allowed[i] == ch)
				ok = 1;
		if (!ok) {
			for (i = 0; ch != '?' && report_opts[i].name != NULL;
			     i++)
				if (report_opts[i].val == ch)
					fprintf(stderr,
					    "licctl: %s: --%s is not an "
					    "option of this command\n",
					    argv[0], report_opts[i].name);
			return -1;
		}
		switch (ch) {
		case OPT_STATE_DIR:
			slot = &a->dir;
			break;
		case OPT_FROM:
			slot = &a->from;
			break;
		case OPT_TO:
			slot = &a->to;
			break;
		case OPT_FORMAT:
			slot = &a->format;
			break;
		case OPT_FEATURE:
			slot = &a->feature;
			break;
		case OPT_UNIT:
			slot = &a->unit;
			break;
		case OPT_BY:
			slot = &a->by;
			break;
		case OPT_PERIOD:
			slot = &a->period;
			break;
		case OPT_COSTS:
			slot = &a->costs;
			break;
		case OPT_BASIS:
			slot = &a->basis;
			break;
		case OPT_CONFIG:
			slot = &a->config;
			break;
		case OPT_WITHIN:
			slot = &a->within;
			break;
		case OPT_UNITS_FILE:
			slot = &a->units_file;
			break;
		default:
			slot = &a->at;
			break;
		}
		*slot = optarg;
	}
	return optind == argc ? 0 : -1;
}

/* "table" (0) or "csv" (1); -1 for anything else. */
static int
table_or_csv(const char *f)
{
	if (f == NULL || strcmp(f, "table") == 0)
		return 0;
	if (strcmp(f, "csv") == 0)
		return 1;
	fprintf(stderr, "licctl: --format: table or csv\n");
	return -1;
}

/*
 * licctl export: one record per line, records with --from <= time < --to
 * (all when not given), optionally of one feature or unit only.  The
 * columns are those of report_csv_header():
 *   seq, time (ISO 8601 UTC, ms), type, frontend, feature, version,
 *   count, unit, user, host, display, address, machine_id (pid for flex
 *   clients), handle, in_use_after, duration_ms (checkin), reason
 *   (checkin, deny, dequeue), detail
 */
int
cmd_export(int argc, char **argv)
{
	static const int allowed[] = {OPT_STATE_DIR, OPT_FROM, OPT_TO,
	    OPT_FORMAT, OPT_FEATURE, OPT_UNIT, 0};
	struct journal_record rec;
	struct journal_iter *it;
	struct report_args a;
	int64_t from = INT64_MIN, to = INT64_MAX;
	char line[REPORT_LINE_MAX], err[512] = "";
	int csv = 1, rc;

	if (parse_args(argc, argv, allowed, &a) == -1)
		return report_usage(0);
	if (a.help) {
		printf("usage: %s\n", synopsis[0]);
		return 0;
	}
	if (a.dir == NULL)
		return report_usage(0);
	if ((a.from != NULL && parse_bound(a.from, 0, &from) == -1) ||
	    (a.to != NULL && parse_bound(a.to, 1, &to) == -1))
		return LICCTL_EX_USAGE;
	if (a.format != NULL && strcmp(a.format, "jsonl") == 0)
		csv = 0;
	else if (a.format != NULL && strcmp(a.format, "csv") != 0) {
		fprintf(stderr, "licctl: export: --format csv or jsonl\n");
		return LICCTL_EX_USAGE;
	}

	if ((it = journal_iter_open(a.dir, from, to, err, sizeof(err))) == NULL)
		goto fail;
	if (csv) {
		report_csv_header(line, sizeof(line));
		fputs(line, stdout);
	}
	while ((rc = journal_iter_next(it, &rec, err, sizeof(err))) == 1) {
		if ((a.feature != NULL &&
			strcmp(rec.feature, a.feature) != 0) ||
		    (a.unit != NULL && strcmp(rec.unit, a.unit) != 0))
			continue;
		if (csv)
			report_csv_record(&rec, line, sizeof(line));
		else
			report_json_record(&rec, line, sizeof(line));
		fputs(line, stdout);
	}
	journal_iter_close(it);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "licctl: export: write error\n");
		return REPORT_EX_ERROR;
	}
	if (rc == -1)
		goto fail;
	return 0;

fail:
	fprintf(stderr, "licctl: export: %s\n", err);
	return REPORT_EX_ERROR;
}

static void
format_reasons(
    const struct report_row *row, const char *sep, char *buf, size_t len)
{
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < row->nreasons && off < len; i++) {
		n = snprintf(buf + off, len - off, "%s%s=%" PRIu64,
		    i > 0 ? sep : "", row->reasons[i].name, row->reasons[i].n);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static void
format_wait(const struct report_row *row, char *buf, size_t len)
{
	int64_t tenths;

	if (row->waits == 0) {
		snprintf(buf, len, "-");
		return;
	}
	tenths = (row->wait_ms / (int64_t)row->waits + 50) / 100;
	snprintf(buf, len, "%" PRId64 ".%ds", tenths / 10, (int)(tenths % 10));
}

static void
usage_table_row(const char *key, int width, const struct report_row *row)
{
	char hours[32], wait[32], reasons[512];

	format_hours(row->seat_ms, hours, sizeof(hours));
	format_wait(row, wait, sizeof(wait));
	format_reasons(row, ",", reasons, sizeof(reasons));
	printf("%-*s %10s %5d %6" PRIu64 " %9" PRIu64 " %8" PRIu64 " %7" PRIu64
	       " %9s %11" PRIu64 "  %s\n",
	    width, key, hours, row->peak, row->users, row->checkouts,
	    row->denials, row->waits, wait, row->activations,
	    reasons[0] != '\0' ? reasons : "-");
}

/* A CSV field of free text, quoted when it needs to be. */
static void
csv_field(const char *s)
{
	if (strcspn(s, ",\"\r\n") == strlen(s)) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void
usage_csv_row(const struct report_row *row)
{
	char wait[32] = "", reasons[512];

	csv_field(row->key);
	if (row->waits > 0)
		snprintf(wait, sizeof(wait), "%.3f",
		    (double)row->wait_ms / (double)row->waits / 1000.0);
	format_reasons(row, ";", reasons, sizeof(reasons));
	printf(",%.4f,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
	       ",%s,%" PRIu64 ",",
	    (double)row->seat_ms / 3600000.0, row->peak, row->users,
	    row->checkouts, row->denials, row->waits, wait, row->activations);
	csv_field(reasons);
	printf("\r\n");
}

/*
 * licctl usage: one row per unit, feature, user or host with anything in
 * the period.  Seat-hours count each grant's seats from its checkout (or
 * --from) to its checkin (or --to); peak is the most seats held at once;
 * users are distinct users who held a seat; queue waits are the entries
 * whose wait ended (granted or dequeued) in the period, with their mean
 * wait.  Activations count distinct machines of "activate" records,
 * which only the KMS front end will write: 0 until it exists.
 */
int
cmd_usage(int argc, char **argv)
{
	static const int allowed[] = {
	    OPT_STATE_DIR, OPT_FROM, OPT_TO, OPT_FORMAT, OPT_BY, 0};
	const struct report_row *row;
	struct report_args a;
	struct report *r;
	enum report_by by = REPORT_BY_UNIT;
	int64_t from, to;
	char err[512] = "", tf[40], tt[40];
	size_t i;
	int csv, width;

	if (parse_args(argc, argv, allowed, &a) == -1)
		return report_usage(1);
	if (a.help) {
		printf("usage: %s\n", synopsis[1]);
		return 0;
	}
	if (a.dir == NULL || a.from == NULL || a.to == NULL)
		return report_usage(1);
	if (parse_bound(a.from, 0, &from) == -1 ||
	    parse_bound(a.to, 1, &to) == -1)
		return LICCTL_EX_USAGE;
	if (from >= to) {
		fprintf(stderr, "licctl: usage: --from must be before --to\n");
		return LICCTL_EX_USAGE;
	}
	if (a.by != NULL &&
	    (report_by_parse(a.by, &by) == -1 ||
		by == REPORT_BY_FEATURE_UNIT)) {
		fprintf(stderr,
		    "licctl: usage: --by unit, feature, user or "
		    "host\n");
		return LICCTL_EX_USAGE;
	}
	if ((csv = table_or_csv(a.format)) == -1)
		return LICCTL_EX_USAGE;

	if ((r = report_new(from, to, by)) == NULL) {
		fprintf(stderr, "licctl: usage: out of memory\n");
		return REPORT_EX_ERROR;
	}
	if (report_load(r, a.dir, err, sizeof(err)) == -1 ||
	    report_finish(r) == -1) {
		fprintf(stderr, "licctl: usage: %s\n",
		    err[0] != '\0' ? err : "out of memory");
		report_free(r);
		return REPORT_EX_ERROR;
	}

	if (csv) {
		printf("%s,seat_hours,peak,users,checkouts,denials,"
		       "queue_waits,mean_wait_s,activations,denial_reasons\r\n",
		    report_by_name(by));
		for (i = 0; i < report_nrows(r); i++)
			if ((row = report_row(r, i))->in_period)
				usage_csv_row(row);
	} else {
		report_format_time(from, tf, sizeof(tf));
		report_format_time(to, tt, sizeof(tt));
		printf(
		    "usage by %s from %s to %s\n", report_by_name(by), tf, tt);
		printf("(activations: distinct machines activated or renewed "
		       "through the KMS front end)\n\n");
		width = 5;
		for (i = 0; i < report_nrows(r); i++) {
			row = report_row(r, i);
			if (row->in_period && (int)strlen(row->key) > width)
				width = (int)strlen(row->key);
		}
		printf("%-*s %10s %5s %6s %9s %8s %7s %9s %11s  %s\n", width,
		    report_by_name(by), "SEAT-HOURS", "PEAK", "USERS",
		    "CHECKOUTS", "DENIALS", "QUEUED", "MEAN-WAIT",
		    "ACTIVATIONS", "DENIAL REASONS");
		for (i = 0; i < report_nrows(r); i++)
			if ((row = report_row(r, i))->in_period)
				usage_table_row(show_key(row->key), width, row);
		usage_table_row("total", width, report_total(r));
	}
	report_free(r);
	return fflush(stdout) == EOF ? REPORT_EX_ERROR : 0;
}

/* A basis value as a person reads it: hours for seat-hours. */
static void
format_weight(uint64_t w, enum report_basis b, char *buf, size_t len)
{
	if (b == REPORT_BASIS_SEAT_HOURS)
		format_hours((int64_t)w, buf, len);
	else
		snprintf(buf, len, "%" PRIu64, w);
}

/* The units file's cost centre and name of a unit, or NULL. */
static const struct unit_entry *
chargeback_unit(const struct units *units, const char *code)
{
	return units != NULL && code[0] != '\0' ? units_find(units, code)
						: NULL;
}

static void
chargeback_table(const struct report_bill *bill, const char *period,
    const struct report_span *span, enum report_basis basis,
    const struct report *r, const struct report_costs *costs,
    const struct units *units)
{
	const struct unit_entry *u;
	const struct report_charge *ch;
	const struct report_cost *c;
	char from[16], to[16], w[32], amount[48], total[48], year[48];
	uint64_t sum;
	int64_t cost;
	size_t i, j, k;
	int uw = 4;

	format_date(span->from_ms, from, sizeof(from));
	format_date(span->to_ms - 1, to, sizeof(to));
	printf("chargeback %s (%s to %s, %d of %d days), basis %s\n\n", period,
	    from, to, span->days, span->year_days, report_basis_name(basis));
	for (i = 0; i < bill->n; i++)
		if ((int)strlen(bill->v[i].unit) > uw)
			uw = (int)strlen(bill->v[i].unit);
	if (uw < 13)
		uw = 13; /* "(unallocated)" */

	for (k = 0; k < costs->n; k++) {
		c = &costs->v[k];
		cost = report_period_cost(
		    c->per_year, span->days, span->year_days);
		sum = 0;
		for (i = 0; i < bill->n; i++)
			if (bill->v[i].cost == c)
				sum += bill->v[i].weight;
		printf("%s\n", c->feature);
		printf("  %-*s %12s %8s %16s\n", uw, "UNIT",
		    report_basis_name(basis), "SHARE", "AMOUNT");
		for (i = 0; i < bill->n; i++) {
			ch = &bill->v[i];
			if (ch->cost != c)
				continue;
			report_format_money(
			    ch->amount, c->minor_units, amount, sizeof(amount));
			if (ch->unit[0] == '\0') {
				printf("  %-*s %12s %8s %12s %s  (no use on "
				       "this basis)\n",
				    uw, "(unallocated)", "-", "-", amount,
				    c->currency);
				continue;
			}
			format_weight(ch->weight, basis, w, sizeof(w));
			u = chargeback_unit(units, ch->unit);
			printf("  %-*s %12s %7.2f%% %12s %s%s%s%s%s\n", uw,
			    ch->unit, w,
			    sum > 0 ? 100.0 * (double)ch->weight / (double)sum
				    : 0.0,
			    amount, c->currency, u ? "  " : "",
			    u ? u->cost_centre : "", u ? " " : "",
			    u ? u->name : "");
		}
		report_format_money(cost, c->minor_units, total, sizeof(total));
		report_format_money(
		    c->per_year, c->minor_units, year, sizeof(year));
		printf("  %-*s %12s %8s %12s %s  (%s %s a year)\n\n", uw,
		    "total", "", "", total, c->currency, year, c->currency);
	}

	/* Use of features the costs file does not price. */
	for (j = 0; j < report_nrows(r); j++) {
		const struct report_row *row = report_row(r, j);

		if (!row->in_period ||
		    (j > 0 && strcmp(report_row(r, j - 1)->key, row->key) == 0))
			continue;
		for (k = 0; k < costs->n; k++)
			if (strcmp(costs->v[k].feature, row->key) == 0)
				break;
		if (k == costs->n && row->key[0] != '\0')
			printf("note: %s was used but has no cost in the "
			       "costs file\n",
			    row->key);
	}
}

static void
chargeback_csv(const struct report_bill *bill, const char *period,
    enum report_basis basis, const struct units *units)
{
	const struct report_charge *ch;
	const struct unit_entry *u;
	char w[32], amount[48];
	size_t i;

	/* With a units file, two more columns: the unit's cost centre and
	 * its name. */
	printf("period,feature,unit,basis,basis_value,amount,currency%s\r\n",
	    units != NULL ? ",cost_centre,unit_name" : "");
	for (i = 0; i < bill->n; i++) {
		ch = &bill->v[i];
		if (basis == REPORT_BASIS_SEAT_HOURS)
			snprintf(w, sizeof(w), "%.4f",
			    (double)ch->weight / 3600000.0);
		else
			snprintf(w, sizeof(w), "%" PRIu64, ch->weight);
		report_format_money(
		    ch->amount, ch->cost->minor_units, amount, sizeof(amount));
		printf("%s,", period);
		csv_field(ch->cost->feature);
		putchar(',');
		csv_field(ch->unit[0] != '\0' ? ch->unit : "(unallocated)");
		printf(",%s,%s,%s,", report_basis_name(basis),
		    ch->unit[0] != '\0' ? w : "", amount);
		csv_field(ch->cost->currency);
		if (units != NULL) {
			u = chargeback_unit(units, ch->unit);
			putchar(',');
			csv_field(u != NULL ? u->cost_centre : "");
			putchar(',');
			csv_field(u != NULL ? u->name : "");
		}
		printf("\r\n");
	}
}

/*
 * licctl chargeback: each priced feature's cost for the period (per-year
 * x days of the period / days of its year) shared among units on the
 * basis, in minor units, by the largest remainder method, so that a
 * feature's amounts add up exactly to its period cost.  A unit with no
 * use on the basis pays nothing; on the equal basis every unit that has
 * held a seat of the feature at any time up to the period's end pays an
 * equal share.  A cost nobody can carry is shown as unallocated.
 */
int
cmd_chargeback(int argc, char **argv)
{
	static const int allowed[] = {OPT_STATE_DIR, OPT_PERIOD, OPT_COSTS,
	    OPT_BASIS, OPT_FORMAT, OPT_UNITS_FILE, 0};
	struct units units = {NULL, 0};
	struct diag diag;
	char line[1400];
	struct report_costs costs;
	struct report_bill bill;
	struct report_span span;
	struct report_args a;
	struct report *r;
	enum report_basis basis;
	char err[512] = "";
	int csv;

	if (parse_args(argc, argv, allowed, &a) == -1)
		return report_usage(2);
	if (a.help) {
		printf("usage: %s\n", synopsis[2]);
		return 0;
	}
	if (a.dir == NULL || a.period == NULL || a.costs == NULL ||
	    a.basis == NULL)
		return report_usage(2);
	if (report_parse_period(a.period, &span) == -1) {
		fprintf(
		    stderr, "licctl: chargeback: --period YYYY-MM or YYYY\n");
		return LICCTL_EX_USAGE;
	}
	if (report_basis_parse(a.basis, &basis) == -1) {
		fprintf(stderr,
		    "licctl: chargeback: --basis seat-hours, "
		    "peak, users, activations or equal\n");
		return LICCTL_EX_USAGE;
	}
	if ((csv = table_or_csv(a.format)) == -1)
		return LICCTL_EX_USAGE;
	if (report_costs_load(a.costs, &costs, err, sizeof(err)) == -1) {
		fprintf(stderr, "licctl: chargeback: %s\n", err);
		return REPORT_EX_ERROR;
	}
	/* The units file names the units of the directory (licd.conf's
	 * identity.units-file): cost centres and names for the bill. */
	diag_init(&diag);
	if (a.units_file != NULL &&
	    units_load(a.units_file, &units, &diag) == -1) {
		if (diag.n > 0) {
			diag_format(&diag.msgs[0], line, sizeof(line));
			fprintf(stderr, "licctl: chargeback: %s\n", line);
		}
		diag_free(&diag);
		report_costs_free(&costs);
		return REPORT_EX_ERROR;
	}
	diag_free(&diag);

	if ((r = report_new(
		 span.from_ms, span.to_ms, REPORT_BY_FEATURE_UNIT)) == NULL ||
	    report_load(r, a.dir, err, sizeof(err)) == -1 ||
	    report_finish(r) == -1 ||
	    report_chargeback(r, &costs, &span, basis, &bill) == -1) {
		fprintf(stderr, "licctl: chargeback: %s\n",
		    err[0] != '\0' ? err : "out of memory");
		report_free(r);
		report_costs_free(&costs);
		units_free(&units);
		return REPORT_EX_ERROR;
	}
	if (csv)
		chargeback_csv(&bill, a.period, basis,
		    a.units_file != NULL ? &units : NULL);
	else
		chargeback_table(&bill, a.period, &span, basis, r, &costs,
		    a.units_file != NULL ? &units : NULL);
	report_bill_free(&bill);
	report_free(r);
	report_costs_free(&costs);
	units_free(&units);
	return fflush(stdout) == EOF ? REPORT_EX_ERROR : 0;
}

struct renewal {
	const struct core_line *line;
};

static int
renewal_cmp(const void *a, const void *b)
{
	const struct core_line *x = ((const struct renewal *)a)->line;
	const struct core_line *y = ((const struct renewal *)b)->line;

	if (x->expiry != y->expiry)
		return x->expiry < y->expiry ? -1 : 1;
	return strcmp(x->feature, y->feature);
}

static void
print_diags(const struct diag *diag)
{
	char line[1400];
	size_t i;

	for (i = 0; i < diag->n; i++) {
		/* Notices (keywords not yet honoured) do not matter here. */
		if (diag->msgs[i].level == DIAG_NOTICE)
			continue;
		diag_format(&diag->msgs[i], line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
}

static const struct report_row *
feature_row(const struct report *r, const char *feature)
{
	size_t i;

	for (i = 0; i < report_nrows(r); i++)
		if (strcmp(report_row(r, i)->key, feature) == 0)
			return report_row(r, i);
	return NULL;
}

/*
 * licctl renewals: the FEATURE, INCREMENT and UPGRADE lines of the
 * licence files named by licd.conf whose expiry falls within the window
 * from now (--at), soonest first, each with its feature's use over the
 * last twelve months (365 days): peak seats held at once, distinct users
 * and units that held a seat, and denials.  Lines already expired and
 * permanent lines are not listed.
 */
int
cmd_renewals(int argc, char **argv)
{
	static const int allowed[] = {
	    OPT_STATE_DIR, OPT_CONFIG, OPT_WITHIN, OPT_AT, OPT_FORMAT, 0};
	static const struct report_row none;
	struct core_license_file *files = NULL;
	struct renewal *list = NULL;
	const struct report_row *row;
	const struct core_line *l;
	struct licd_conf *conf = NULL;
	struct report_args a;
	struct report *r = NULL;
	struct diag diag;
	int64_t now, within = 90 * REPORT_DAY_MS, days;
	char err[512] = "", exp[16], d0[16], d1[16], where[1100];
	size_t i, j, n = 0, cap = 0, nfiles = 0;
	const char *dir;
	int csv, ret = REPORT_EX_ERROR;
	void *p;

	if (parse_args(argc, argv, allowed, &a) == -1)
		return report_usage(3);
	if (a.help) {
		printf("usage: %s\n", synopsis[3]);
		return 0;
	}
	if (a.config == NULL)
		return report_usage(3);
	now = now_ms();
	if (a.at != NULL && parse_bound(a.at, 0, &now) == -1)
		return LICCTL_EX_USAGE;
	if (a.within != NULL && report_parse_window(a.within, &within) == -1) {
		fprintf(
		    stderr, "licctl: renewals: --within N[d|w|h], e.g. 90d\n");
		return LICCTL_EX_USAGE;
	}
	if ((csv = table_or_csv(a.format)) == -1)
		return LICCTL_EX_USAGE;

	diag_init(&diag);
	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		goto nomem;
	conf_defaults(conf);
	if (conf_load(a.config, conf, &diag) == -1) {
		print_diags(&diag);
		goto done;
	}
	dir = a.dir != NULL ? a.dir : conf->state_dir;
	if (dir[0] == '\0') {
		fprintf(stderr,
		    "licctl: renewals: %s names no state-dir; "
		    "give --state-dir\n",
		    a.config);
		goto done;
	}
	if (conf->nlicense_files > 0 &&
	    (files = calloc(conf->nlicense_files, sizeof(*files))) == NULL)
		goto nomem;
	for (i = 0; i < conf->nlicense_files; i++, nfiles++)
		(void)license_load(conf->license_files[i], &files[i], &diag);
	/* A licence file with errors still lists its good lines; say what
	 * was wrong and go on. */
	print_diags(&diag);

	for (i = 0; i < nfiles; i++)
		for (j = 0; j < files[i].nlines; j++) {
			l = &files[i].lines[j];
			if (l->type == CORE_LINE_PACKAGE || l->expiry == 0 ||
			    l->expiry <= now || l->expiry > now + within)
				continue;
			if (n == cap) {
				cap = cap == 0 ? 16 : cap * 2;
				if ((p = realloc(list, cap * sizeof(*list))) ==
				    NULL)
					goto nomem;
				list = p;
			}
			list[n++].line = l;
		}
	if (n > 1)
		qsort(list, n, sizeof(*list), renewal_cmp);

	if ((r = report_new(
		 now - 365 * REPORT_DAY_MS, now, REPORT_BY_FEATURE)) == NULL)
		goto nomem;
	if (report_load(r, dir, err, sizeof(err)) == -1 ||
	    report_finish(r) == -1) {
		fprintf(stderr, "licctl: renewals: %s\n",
		    err[0] != '\0' ? err : "out of memory");
		goto done;
	}

	if (csv)
		printf("feature,version,seats,expires,days_left,peak,users,"
		       "units,denials,file,line\r\n");
	else {
		format_date(now, d0, sizeof(d0));
		format_date(now + within - 1, d1, sizeof(d1));
		printf("licence lines expiring from %s to %s, with use over "
		       "the last twelve months\n\n",
		    d0, d1);
		if (n == 0)
			printf("none\n");
		else
			printf("%-20s %-8s %5s %-10s %5s %5s %6s %6s %8s  "
			       "%s\n",
			    "FEATURE", "VERSION", "SEATS", "EXPIRES", "DAYS",
			    "PEAK", "USERS", "UNITS", "DENIALS", "LINE");
	}
	for (i = 0; i < n; i++) {
		l = list[i].line;
		if ((row = feature_row(r, l->feature)) == NULL)
			row = &none;
		/* expiry is the first moment the line no longer grants:
		 * the day it names is the day before. */
		format_date(l->expiry - 1, exp, sizeof(exp));
		days = (l->expiry - now + REPORT_DAY_MS - 1) / REPORT_DAY_MS;
		if (csv) {
			csv_field(l->feature);
			putchar(',');
			csv_field(l->version);
			printf(",%d,%s,%" PRId64 ",%d,%" PRIu64 ",%" PRIu64
			       ",%" PRIu64 ",",
			    l->count, exp, days, row->peak, row->users,
			    row->units, row->denials);
			csv_field(l->file);
			printf(",%d\r\n", l->lineno);
			continue;
		}
		snprintf(where, sizeof(where), "%s:%d", l->file, l->lineno);
		printf("%-20s %-8s %5d %-10s %5" PRId64 " %5d %6" PRIu64
		       " %6" PRIu64 " %8" PRIu64 "  %s\n",
		    l->feature, l->version, l->count, exp, days, row->peak,
		    row->users, row->units, row->denials, where);
	}
	ret = fflush(stdout) == EOF ? REPORT_EX_ERROR : 0;
	goto done;

nomem:
	fprintf(stderr, "licctl: renewals: out of memory\n");
done:
	report_free(r);
	free(list);
	for (i = 0; i < nfiles; i++)
		license_free(&files[i]);
	free(files);
	free(conf);
	diag_free(&diag);
	return ret;
}
