/*
 * A streaming reader over a whole journal series, for reports: the
 * archives journal-FIRST-LAST.db oldest first, then journal.db, one record
 * at a time, so that a year of records never has to fit in memory.  Each
 * file is read read-only inside one transaction (one consistent snapshot
 * per file, alongside a running licd thanks to WAL).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"

struct journal_iter {
	char dir[CORE_PATH_MAX];
	char (*names)[96];
	size_t nnames;
	size_t next; /* the next file to open */
	int64_t from_ms;
	int64_t to_ms;
	uint64_t last_seq; /* the last record handed out */
	sqlite3 *db;
	sqlite3_stmt *st;
	char path[CORE_PATH_MAX + 128];
};

static int
iter_name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The archives in chain order (their zero-padded names sort that way),
 * then the live file. */
static int
iter_list(struct journal_iter *it, char *err, size_t errlen)
{
	unsigned long long first, last;
	struct dirent *de;
	size_t cap = 0;
	void *p;
	DIR *d;
	int end;

	if ((d = opendir(it->dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", it->dir, strerror(errno));
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		end = 0;
		if (sscanf(de->d_name, "journal-%20llu-%20llu.db%n", &first,
			&last, &end) != 2 ||
		    end == 0 || de->d_name[end] != '\0')
			continue;
		/* One slot stays free for journal.db. */
		if (it->nnames + 2 > cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((p = realloc(it->names,
				 cap * sizeof(*it->names))) == NULL) {
				snprintf(err, errlen, "out of memory");
				closedir(d);
				return -1;
			}
			it->names = p;
		}
		snprintf(it->names[it->nnames++], sizeof(it->names[0]), "%s",
		    de->d_name);
	}
	closedir(d);
	if (it->names == NULL &&
	    (it->names = malloc(sizeof(*it->names))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	qsort(it->names, it->nnames, sizeof(it->names[0]), iter_name_cmp);
	snprintf(
	    it->names[it->nnames++], sizeof(it->names[0]), "%s", JOURNAL_DB);
	return 0;
}

static void
iter_close_file(struct journal_iter *it)
{
	sqlite3_finalize(it->st);
	it->st = NULL;
	if (it->db != NULL) {
		(void)sqlite3_exec(it->db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(it->db);
		it->db = NULL;
	}
}

static int
iter_open_file(
    struct journal_iter *it, const char *name, char *err, size_t errlen)
{
	snprintf(it->path, sizeof(it->path), "%s/%s", it->dir, name);
	if (sqlite3_open_v2(it->path, &it->db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(it->db, 5000);
	if (sqlite3_exec(it->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(it->db,
		"SELECT " JOURNAL_RECORD_COLUMNS " FROM records "
		"WHERE time_ms >= ? AND time_ms < ? AND seq > ? ORDER BY seq",
		-1, &it->st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(it->st, 1, it->from_ms);
	sqlite3_bind_int64(it->st, 2, it->to_ms);
	sqlite3_bind_int64(it->st, 3,
	    it->last_seq > INT64_MAX ? INT64_MAX : (int64_t)it->last_seq);
	return 0;

fail:
	snprintf(err, errlen, "%s: %s", it->path,
	    it->db != NULL ? sqlite3_errmsg(it->db) : "out of memory");
	iter_close_file(it);
	return -1;
}

static void
iter_text(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", s != NULL ? (const char *)s : "");
}

#define ITER_TEXT(st, col, field) iter_text((st), (col), (field), sizeof(field))

static void
iter_record(struct journal_record *r, sqlite3_stmt *st)
{
	memset(r, 0, sizeof(*r));
	r->seq = (uint64_t)sqlite3_column_int64(st, JCOL_SEQ);
	r->time_ms = sqlite3_column_int64(st, JCOL_TIME);
	ITER_TEXT(st, JCOL_TYPE, r->type);
	ITER_TEXT(st, JCOL_FRONTEND, r->frontend);
	ITER_TEXT(st, JCOL_FEATURE, r->feature);
	ITER_TEXT(st, JCOL_VERSION, r->version);
	r->count = sqlite3_column_int(st, JCOL_COUNT);
	ITER_TEXT(st, JCOL_UNIT, r->unit);
	ITER_TEXT(st, JCOL_USER, r->user);
	ITER_TEXT(st, JCOL_HOST, r->host);
	ITER_TEXT(st, JCOL_DISPLAY, r->display);
	ITER_TEXT(st, JCOL_ADDRESS, r->address);
	ITER_TEXT(st, JCOL_MACHINE, r->machine_id);
	r->handle = (uint64_t)sqlite3_column_int64(st, JCOL_HANDLE);
	r->in_use_after = sqlite3_column_int(st, JCOL_IN_USE);
	r->duration_ms = sqlite3_column_int64(st, JCOL_DURATION);
	ITER_TEXT(st, JCOL_REASON, r->reason);
	ITER_TEXT(st, JCOL_DETAIL, r->detail);
}

struct journal_iter *
journal_iter_open(const char *state_dir, int64_t from_ms, int64_t to_ms,
    char *err, size_t errlen)
{
	struct journal_iter *it;

	if ((it = calloc(1, sizeof(*it))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (strlen(state_dir) >= sizeof(it->dir)) {
		snprintf(err, errlen, "%s: path too long", state_dir);
		free(it);
		return NULL;
	}
	snprintf(it->dir, sizeof(it->dir), "%s", state_dir);
	it->from_ms = from_ms;
	it->to_ms = to_ms;
	if (iter_list(it, err, errlen) == -1) {
		journal_iter_close(it);
		return NULL;
	}
	return it;
}

int
journal_iter_next(struct journal_iter *it, struct journal_record *rec,
    char *err, size_t errlen)
{
	int rc;

	for (;;) {
		if (it->st == NULL) {
			if (it->next >= it->nnames)
				return 0;
			if (iter_open_file(
				it, it->names[it->next++], err, errlen) == -1)
				return -1;
		}
		rc = sqlite3_step(it->st);
		if (rc == SQLITE_ROW) {
			iter_record(rec, it->st);
			it->last_seq = rec->seq;
			return 1;
		}
		if (rc != SQLITE_DONE) {
			snprintf(err, errlen, "%s: %s", it->path,
			    sqlite3_errmsg(it->db));
			return -1;
		}
		iter_close_file(it);
	}
}

void
journal_iter_close(struct journal_iter *it)
{
	if (it == NULL)
		return;
	iter_close_file(it);
	free(it->names);
	free(it);
}
