/*
 * Use history: two rings of buckets per feature.  A bucket holds its
 * number (time / width, so a stale slot is told from a current one), the
 * peak in use within it and the level at its end.  Buckets between two
 * changes are filled when the second change arrives, so that every bucket
 * from the first change to the last one is present and a reader only
 * needs the current level for the buckets after the last change.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/core_types.h"
#include "history.h"
#include "metrics.h"

#define HISTORY_MINUTE_MS 60000LL
#define HISTORY_HOUR_MS 3600000LL
#define HISTORY_MONTH_MS (30LL * 24 * HISTORY_HOUR_MS)
/* XXX: features past this many get no chart; each costs about 35 kB. */
#define HISTORY_FEATURES_MAX 512
#define HISTORY_FILES_MAX 4096

struct history_slot {
	int64_t bucket;
	int peak;
	int last;
};

struct history_ring {
	struct history_slot *slots;
	size_t n;
	int64_t width; /* ms */
	int64_t first; /* first bucket with data, -1 before any */
	int64_t last; /* bucket of the latest change */
};

struct history_feature {
	char name[CORE_NAME_MAX];
	int level;
	struct history_ring day;
	struct history_ring month;
	struct history_slot day_slots[HISTORY_MINUTES];
	struct history_slot month_slots[HISTORY_HOURS];
};

static struct history_feature **features;
static size_t nfeatures;
static int active; /* seeded: the HTTP views are on */

static struct history_feature *
history_find(const char *name, int create)
{
	struct history_feature *f, **grown;
	size_t i;

	for (i = 0; i < nfeatures; i++)
		if (strcmp(features[i]->name, name) == 0)
			return features[i];
	if (!create || nfeatures >= HISTORY_FEATURES_MAX)
		return NULL;

	grown = realloc(features, (nfeatures + 1) * sizeof(*features));
	if (grown == NULL)
		return NULL;
	features = grown;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->day = (struct history_ring){
	    f->day_slots, HISTORY_MINUTES, HISTORY_MINUTE_MS, -1, -1};
	f->month = (struct history_ring){
	    f->month_slots, HISTORY_HOURS, HISTORY_HOUR_MS, -1, -1};
	features[nfeatures++] = f;
	return f;
}

/* The level goes from prev to level at t. */
static void
ring_set(struct history_ring *r, int prev, int level, int64_t t)
{
	struct history_slot *s;
	int64_t b = t / r->width, k;

	if (r->first < 0) {
		r->first = b;
		r->last = b;
		s = &r->slots[b % (int64_t)r->n];
		*s = (struct history_slot){b, level, level};
		return;
	}

	/* A clock stepped back: fold the change into the latest bucket
	 * rather than rewrite buckets already filled. */
	if (b < r->last)
		b = r->last;

	/* The buckets since the last change held prev throughout. */
	k = r->last + 1;
	if (b - k >= (int64_t)r->n)
		k = b - (int64_t)r->n + 1;
	for (; k <= b; k++)
		r->slots[k % (int64_t)r->n] =
		    (struct history_slot){k, prev, prev};
	r->last = b;

	s = &r->slots[b % (int64_t)r->n];
	if (level > s->peak)
		s->peak = level;
	s->last = level;
}

void
history_set(const char *feature, int level, int64_t t)
{
	struct history_feature *f;

	if (!active || t <= 0)
		return;
	if ((f = history_find(feature, 1)) == NULL)
		return;
	ring_set(&f->day, f->level, level, t);
	ring_set(&f->month, f->level, level, t);
	f->level = level;
}

static void
ring_read(const struct history_ring *r, int level, int64_t now, int *out)
{
	const struct history_slot *s;
	int64_t nowb = now / r->width, k;
	size_t i;

	for (i = 0; i < r->n; i++) {
		k = nowb - (int64_t)r->n + 1 + (int64_t)i;
		s = &r->slots[((k % (int64_t)r->n) + (int64_t)r->n) %
		    (int64_t)r->n];
		if (r->first < 0 || k < r->first)
			out[i] = 0;
		else if (k > r->last)
			out[i] = level;
		else if (s->bucket == k)
			out[i] = s->peak;
		else
			out[i] = level; /* cannot happen: filled on change */
	}
}

size_t
history_series(
    const char *feature, enum history_span span, int64_t now, int *out)
{
	const struct history_feature *f = history_find(feature, 0);
	const struct history_ring *r;

	if (f == NULL)
		return 0;
	r = span == HISTORY_DAY ? &f->day : &f->month;
	ring_read(r, f->level, now, out);
	return r->n;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The series' files oldest first: the zero-padded archive names sort in
 * chain order, and journal.db holds the newest records. */
static size_t
history_files(const char *dir, char **names, size_t max)
{
	unsigned long long first, last;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int end;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n + 1 < max) {
		end = 0;
		if (sscanf(de->d_name, "journal-%20llu-%20llu.db%n", &first,
			&last, &end) != 2 ||
		    end == 0 || de->d_name[end] != '\0')
			continue;
		if ((names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	if ((names[n] = strdup("journal.db")) != NULL)
		n++;
	return n;
}

static const char *
col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s != NULL ? (const char *)s : "";
}

/* Feeds one file's records since "since".  Returns how many, or -1. */
static long
history_seed_file(const char *path, int64_t since, char *err, size_t len)
{
	static const char sql[] =
	    "SELECT time_ms, type, feature, in_use_after, user, host, unit, "
	    "reason FROM records WHERE time_ms >= ? "
	    "AND type IN ('checkout', 'checkin', 'deny') ORDER BY seq";
	struct metrics_denial d;
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	long n = 0;
	int rc;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, len, "%s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_finalize(st);
		sqlite3_close(db);
		return -1;
	}
	sqlite3_bind_int64(st, 1, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (strcmp(col_text(st, 1), "deny") != 0) {
			history_set(col_text(st, 2), sqlite3_column_int(st, 3),
			    sqlite3_column_int64(st, 0));
			continue;
		}
		memset(&d, 0, sizeof(d));
		d.time = sqlite3_column_int64(st, 0);
		snprintf(d.feature, sizeof(d.feature), "%s", col_text(st, 2));
		snprintf(d.user, sizeof(d.user), "%s", col_text(st, 4));
		snprintf(d.host, sizeof(d.host), "%s", col_text(st, 5));
		snprintf(d.unit, sizeof(d.unit), "%s", col_text(st, 6));
		snprintf(d.reason, sizeof(d.reason), "%s", col_text(st, 7));
		metrics_seed_denial(&d);
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, len, "%s: %s", path, sqlite3_errmsg(db));
		n = -1;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

long
history_seed(const char *state_dir, int64_t now, char *err, size_t len)
{
	static char *names[HISTORY_FILES_MAX];
	char path[CORE_PATH_MAX + 128];
	long total = 0, n;
	size_t i, nfiles;

	active = 1;
	nfiles = history_files(state_dir, names, HISTORY_FILES_MAX);
	/* XXX: every record of an archive that overlaps the last 30 days is
	 * scanned (time is not indexed); a large series makes start-up
	 * slower by that much. */
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/%s", state_dir, names[i]);
		n = history_seed_file(path, now - HISTORY_MONTH_MS, err, len);
		if (n == -1 && total != -1)
			total = -1;
		else if (total != -1)
			total += n;
		free(names[i]);
	}
	return total;
}

void
history_free(void)
{
	size_t i;

	for (i = 0; i < nfeatures; i++)
		free(features[i]);
	free(features);
	features = NULL;
	nfeatures = 0;
	active = 0;
}
