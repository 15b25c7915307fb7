/*
 * Usage reports and chargeback from the journal: the computations behind
 * licctl export, usage, chargeback and renewals.  Nothing here prints;
 * the formatters write into caller buffers and cmd_report.c decides what
 * goes where.  Times are milliseconds since the epoch, UTC.
 *
 * A report is fed journal records in sequence order (report_add, or
 * report_load for a state directory) from the START of the series, not
 * from the period's start: a seat checked out before the period and still
 * held in it counts from the period's start, and only the earlier checkout
 * says that it was held.  Records at or after the period's end are
 * ignored, so a grant still open then counts to the period's end.
 */
#ifndef LICCTL_REPORT_H
#define LICCTL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/journal/journal.h"

#define REPORT_DAY_MS (24 * 3600 * 1000LL)
#define REPORT_LINE_MAX 8192 /* one exported record, any format */

/*
 * Parses a date "YYYY-MM-DD" (midnight UTC starting it) or an ISO 8601
 * time "YYYY-MM-DDTHH:MM[:SS[.fff]]" followed by "Z", "+HH:MM", "-HH:MM"
 * or nothing (UTC).  *date_only (may be NULL) tells which.  Refuses
 * impossible dates (2026-02-30).  Returns 0 or -1.
 */
int report_parse_time(const char *s, int64_t *ms, int *date_only);

/* "2026-12-03T12:00:00.123Z". */
void report_format_time(int64_t ms, char *buf, size_t len);

/* A chargeback period: a month "2026-11" or a year "2026". */
struct report_span {
	int64_t from_ms;
	int64_t to_ms; /* exclusive */
	int days; /* days in the period */
	int year_days; /* days in the period's year, 365 or 366 */
};

int report_parse_period(const char *s, struct report_span *);

/* A window "90d", "12w", "36h" or a bare number of days.  Returns 0 or
 * -1. */
int report_parse_window(const char *s, int64_t *ms);

/* What a usage row is about. */
enum report_by {
	REPORT_BY_UNIT,
	REPORT_BY_FEATURE,
	REPORT_BY_USER,
	REPORT_BY_HOST,
	REPORT_BY_FEATURE_UNIT, /* chargeback: one row per feature and unit */
};

int report_by_parse(const char *s, enum report_by *);
const char *report_by_name(enum report_by);

struct report_count {
	char name[32];
	uint64_t n;
};

/*
 * One row of a usage report.  Seats count while granted, lingering
 * included (a lingering seat is not available to anyone else).
 */
struct report_row {
	char key[CORE_NAME_MAX]; /* unit, feature, user or host ("" none) */
	char key2[CORE_NAME_MAX]; /* REPORT_BY_FEATURE_UNIT: the unit */
	int64_t seat_ms; /* seats x time held, clipped to the period */
	int peak; /* most seats held at once in the period */
	uint64_t users; /* distinct users who held a seat in the period */
	uint64_t units; /* distinct units that held a seat in the period */
	uint64_t checkouts; /* checkout records in the period */
	uint64_t denials;
	struct report_count *reasons; /* denials by reason, by name */
	size_t nreasons;
	uint64_t waits; /* queue entries that ended in the period */
	int64_t wait_ms; /* their waits added up */
	uint64_t activations; /* distinct machines of activate records */
	int held_ever; /* held a seat at any time up to the period's end */
	int in_period; /* anything of it falls in the period */

	/* For licctl lsusage: the requests of the period and what became
	 * of them, and how long the seats returned in it were held. */
	uint64_t tokens; /* tokens the period's checkouts took from the pool
			    (a shared or lingering one takes none) */
	uint64_t queued; /* queue records in the period */
	uint64_t queued_granted; /* of those, granted before its end */
	uint64_t holds; /* checkins in the period */
	int64_t hold_ms; /* their holding times added up */
	int64_t hold_min_ms; /* the shortest (0 when holds is 0) */
	int64_t hold_max_ms; /* the longest */
};

struct report;

/* A report over [from_ms, to_ms).  Returns NULL when out of memory. */
struct report *report_new(int64_t from_ms, int64_t to_ms, enum report_by);
void report_free(struct report *);

/* Accounts only the records of one front end ("flex", "sentinel", ...)
 * and those of none (start, reload).  Returns 0, or -1 for a name too
 * long to be one. */
int report_set_frontend(struct report *, const char *frontend);

/* Accounts one record; records must come in sequence order.  Returns 0,
 * or -1 when out of memory. */
int report_add(struct report *, const struct journal_record *);

/* Streams every record of the series in state_dir before the period's
 * end into the report.  Returns 0, or -1 with err set. */
int
report_load(struct report *, const char *state_dir, char *err, size_t errlen);

/* Closes the period: grants still open count to its end, rows are sorted
 * by key.  Call once, after the last report_add.  Returns 0 or -1. */
int report_finish(struct report *);

/* The rows (after report_finish), including rows that only held a seat
 * before the period (in_period 0), and the total over everything. */
size_t report_nrows(const struct report *);
const struct report_row *report_row(const struct report *, size_t i);
const struct report_row *report_total(const struct report *);

/* The bases a cost may be shared on. */
enum report_basis {
	REPORT_BASIS_SEAT_HOURS,
	REPORT_BASIS_PEAK,
	REPORT_BASIS_USERS,
	REPORT_BASIS_ACTIVATIONS,
	REPORT_BASIS_EQUAL,
};

int report_basis_parse(const char *s, enum report_basis *);
const char *report_basis_name(enum report_basis);

/*
 * A row's weight on a basis.  Equal: 1 for every unit that held a seat of
 * the feature at any time in the journal up to the period's end (before
 * the period too: a unit that subscribes pays its share in a month it did
 * not use the licence), 0 for the rest.
 */
uint64_t report_weight(const struct report_row *, enum report_basis);

/*
 * Splits total (minor units, >= 0) among n weights by the largest
 * remainder method: each share is total x w / sum rounded down, and the
 * minor units left over go one each to the largest remainders (ties to the
 * lower index).  Zero weights get 0.  The shares add up to total exactly;
 * when every weight is 0 every share is 0 and -1 is returned (nobody to
 * charge), otherwise 0.  Needs no memory: remainders are recomputed.
 */
int
report_split(int64_t total, const uint64_t *weights, size_t n, int64_t *shares);

/* per_year x days / year_days, rounded half up, in minor units. */
int64_t report_period_cost(int64_t per_year, int days, int year_days);

/* "1234.50" from 123450 and 2 minor units; "-0.05" from -5. */
void report_format_money(int64_t minor, int minor_units, char *buf, size_t len);

/* One feature's cost, from the costs file. */
struct report_cost {
	char feature[CORE_NAME_MAX];
	int64_t per_year; /* in minor units */
	char currency[8];
	int minor_units; /* 0..6 */
	int line;
};

struct report_costs {
	struct report_cost *v;
	size_t n;
};

/*
 * Reads a costs file (libconfig):
 *   costs = ( { feature = "MATLAB"; per-year = 12000.00;
 *               currency = "GBP"; minor-units = 2; } );
 * per-year may be a float, an integer or a decimal string ("12000.00",
 * exact); minor-units defaults to 2.  Refuses a negative or absurd cost,
 * more decimals than minor-units, a missing feature or currency and a
 * feature named twice.  Returns 0, or -1 with err ("file:line: what").
 */
int report_costs_load(
    const char *path, struct report_costs *, char *err, size_t errlen);
void report_costs_free(struct report_costs *);

/* One line of a chargeback statement. */
struct report_charge {
	const struct report_cost *cost;
	char unit[CORE_NAME_MAX]; /* "" for the unallocated cost */
	uint64_t weight;
	int64_t amount; /* minor units */
};

struct report_bill {
	struct report_charge *v;
	size_t n;
};

/*
 * Shares each feature's period cost among the units of a
 * REPORT_BY_FEATURE_UNIT report on the basis: one charge per unit with a
 * non-zero weight, in unit order.  A feature nobody used on the basis
 * gets one charge with unit "", the whole cost unallocated, so that every
 * feature's charges still add up to its period cost.  Features in the
 * journal but not in costs are not charged.  Returns 0 or -1 (memory).
 */
int report_chargeback(const struct report *, const struct report_costs *,
    const struct report_span *, enum report_basis, struct report_bill *);
void report_bill_free(struct report_bill *);

/*
 * Export formats.  CSV (RFC 4180): the header names the columns
 *   seq,time,type,frontend,feature,version,count,unit,user,host,display,
 *   address,machine_id,handle,in_use_after,duration_ms,reason,detail
 * time is ISO 8601 UTC with milliseconds; a field holding a comma, a
 * double quote, CR or LF is quoted with its quotes doubled; lines end in
 * CRLF.  JSON lines: one object per record with the same keys, numbers
 * as numbers, text as JSON strings (bytes that are not UTF-8 become
 * U+FFFD).  Each writes one line with its line end into buf, cut at len.
 */
void report_csv_header(char *buf, size_t len);
void report_csv_record(const struct journal_record *, char *buf, size_t len);
void report_json_record(const struct journal_record *, char *buf, size_t len);

#endif
