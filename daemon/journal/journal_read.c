/*
 * Reading the journal from outside the daemon: verify the chain, show the
 * records, and the one-line layout of a record.  Both open journal.db
 * read-only and read inside one transaction, so they see one consistent
 * snapshot even while licd commits (WAL).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "journal_int.h"

/* A bounded writer into a caller's buffer: output past the end is cut. */
struct outbuf {
	char *p;
	size_t len;
	size_t off;
};

static void
out_char(struct outbuf *o, char c)
{
	if (o->off + 1 < o->len) {
		o->p[o->off++] = c;
		o->p[o->off] = '\0';
	}
}

static void out_fmt(struct outbuf *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_fmt(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->off + 1 >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->off += (size_t)n;
	if (o->off >= o->len)
		o->off = o->len - 1;
}

static int
needs_quotes(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c == 0x7f)
			return 1;
	}
	return 0;
}

/* A value as is, or in double quotes with \" \\ and \xHH escapes when it
 * holds a space or anything that would make the line ambiguous. */
static void
out_value(struct outbuf *o, const char *s, size_t size)
{
	size_t i, n = strnlen(s, size);

	if (!needs_quotes(s, n)) {
		out_fmt(o, "%.*s", (int)n, s);
		return;
	}
	out_char(o, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			out_char(o, '\\');
			out_char(o, (char)c);
		} else if (c < ' ' || c == 0x7f)
			out_fmt(o, "\\x%02x", c);
		else
			out_char(o, (char)c);
	}
	out_char(o, '"');
}

static void
out_field(struct outbuf *o, const char *name, const char *s, size_t size)
{
	if (size == 0 || s[0] == '\0')
		return;
	out_fmt(o, " %s=", name);
	out_value(o, s, size);
}

#define OUT_FIELD(o, name, field) out_field((o), (name), (field), sizeof(field))

void
journal_format_record(const struct journal_record *r, char *buf, size_t len)
{
	struct outbuf o = {buf, len, 0};
	struct tm tm;
	time_t secs;
	int64_t ms, d;

	if (len == 0)
		return;
	buf[0] = '\0';

	/* Floor division, so times before 1970 still read correctly. */
	secs = (time_t)(r->time_ms / 1000);
	ms = r->time_ms % 1000;
	if (ms < 0) {
		ms += 1000;
		secs--;
	}
	if (gmtime_r(&secs, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	out_fmt(&o, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %" PRIu64 " ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)ms, r->seq);
	out_value(&o, r->type, sizeof(r->type));
	if (r->frontend[0] != '\0') {
		out_char(&o, ' ');
		out_value(&o, r->frontend, sizeof(r->frontend));
	}

	OUT_FIELD(&o, "feature", r->feature);
	OUT_FIELD(&o, "version", r->version);
	if (r->count != 0)
		out_fmt(&o, " count=%d", r->count);
	OUT_FIELD(&o, "unit", r->unit);
	OUT_FIELD(&o, "user", r->user);
	OUT_FIELD(&o, "host", r->host);
	OUT_FIELD(&o, "display", r->display);
	OUT_FIELD(&o, "address", r->address);
	OUT_FIELD(&o, "machine", r->machine_id);
	if (r->handle != 0)
		out_fmt(&o, " handle=%" PRIu64, r->handle);
	if (r->in_use_after != 0)
		out_fmt(&o, " in_use=%d", r->in_use_after);
	if (r->duration_ms != 0) {
		d = r->duration_ms;
		out_fmt(&o, " duration=%s%" PRId64 ".%03ds", d < 0 ? "-" : "",
		    d < 0 ? -(d / 1000) : d / 1000,
		    (int)(d < 0 ? -(d % 1000) : d % 1000));
	}
	OUT_FIELD(&o, "reason", r->reason);
	OUT_FIELD(&o, "detail", r->detail);
}

/* Opens one file read-only and starts the read transaction of one
 * snapshot. */
static sqlite3 *
open_snapshot_path(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static void
close_snapshot(sqlite3 *db)
{
	(void)sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
}

/* Reads meta.key; returns 1 (value in the statement's first column, which
 * the caller finalizes), 0 when absent, -1 on error. */
static int
meta_get(sqlite3 *db, const char *key, sqlite3_stmt **stp)
{
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1,
		stp, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(*stp, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(*stp);
	if (rc == SQLITE_ROW && sqlite3_column_type(*stp, 0) != SQLITE_NULL)
		return 1;
	sqlite3_finalize(*stp);
	*stp = NULL;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* What meta says about the key and the tail. */
struct verify_meta {
	int key_known;
	unsigned char key_check[JOURNAL_MAC_LEN];
	int tail_known;
	uint64_t last_seq;
	int last_mac_ok;
	unsigned char last_mac[JOURNAL_MAC_LEN];
};

static int
read_meta(sqlite3 *db, struct verify_meta *m)
{
	sqlite3_stmt *st;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = meta_get(db, "key_check", &st)) == -1)
		return -1;
	if (rc == 1 && sqlite3_column_bytes(st, 0) == JOURNAL_MAC_LEN) {
		memcpy(
		    m->key_check, sqlite3_column_blob(st, 0), JOURNAL_MAC_LEN);
		m->key_known = 1;
	}
	sqlite3_finalize(st);

	if ((rc = meta_get(db, "last_seq", &st)) == -1)
		return -1;
	if (rc == 1) {
		m->last_seq = (uint64_t)sqlite3_column_int64(st, 0);
		m->tail_known = 1;
	}
	sqlite3_finalize(st);

	if ((rc = meta_get(db, "last_mac", &st)) == -1)
		return -1;
	if (rc == 1 && sqlite3_column_bytes(st, 0) == JOURNAL_MAC_LEN) {
		memcpy(
		    m->last_mac, sqlite3_column_blob(st, 0), JOURNAL_MAC_LEN);
		m->last_mac_ok = 1;
	}
	sqlite3_finalize(st);
	return 0;
}

static void
report_missing(FILE *out, uint64_t from, uint64_t to, const char *why)
{
	if (from == to)
		fprintf(out, "record %" PRIu64 " missing%s\n", from, why);
	else
		fprintf(out, "records %" PRIu64 "..%" PRIu64 " missing%s\n",
		    from, to, why);
}

/* The files of a journal series, oldest first: the archives
 * journal-FIRST-LAST.db (their zero-padded names sort in chain order),
 * then journal.db.  Returns how many names were put in names, or -1. */
static int
series_list(
    const char *dir, char names[][96], size_t max, char *err, size_t errlen)
{
	unsigned long long first, last;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int end;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		/* %n is set only when the whole pattern matched. */
		end = 0;
		if (sscanf(de->d_name, "journal-%20llu-%20llu.db%n", &first,
			&last, &end) != 2 ||
		    end == 0 || de->d_name[end] != '\0')
			continue;
		if (n + 1 >= max) {
			snprintf(err, errlen, "%s: more than %zu journal files",
			    dir, max - 1);
			closedir(d);
			return -1;
		}
		snprintf(names[n++], 96, "%s", de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]),
	    (int (*)(const void *, const void *))strcmp);
	snprintf(names[n++], 96, "%s", JOURNAL_DB);
	return (int)n;
}

/* Where the chain stands between files. */
struct verify_state {
	uint64_t prev_seq;
	unsigned char prev[JOURNAL_MAC_LEN];
	uint64_t n;
	uint64_t problems;
	int files;
	int key_ok;
};

static int
meta_get_seq_mac(sqlite3 *db, const char *seq_key, const char *mac_key,
    uint64_t *seq, unsigned char *mac)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if ((rc = meta_get(db, seq_key, &st)) == -1)
		return -1;
	if (rc == 1) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		found = 1;
	}
	sqlite3_finalize(st);
	if ((rc = meta_get(db, mac_key, &st)) == -1)
		return -1;
	if (rc == 1 && sqlite3_column_bytes(st, 0) == JOURNAL_MAC_LEN)
		memcpy(mac, sqlite3_column_blob(st, 0), JOURNAL_MAC_LEN);
	sqlite3_finalize(st);
	return found;
}

/*
 * Checks one file of the series.  Each link is checked on its own: mac(n)
 * against HMAC(key, stored mac(n-1) || record n), so an altered record is
 * reported alone and the records after it still verify.  A record that
 * follows a gap cannot have its link checked (its predecessor is gone);
 * the gap itself is the report.  A file after the first must start where
 * the previous one ended: its first_seq and anchor_mac in meta.
 */
static int
verify_file(const char *dir, const char *name, const unsigned char *key,
    struct verify_state *vs, FILE *out, char *err, size_t errlen)
{
	struct verify_meta m;
	struct journal_fields f;
	unsigned char mac[JOURNAL_MAC_LEN], anchor[JOURNAL_MAC_LEN] = {0};
	unsigned char prev[JOURNAL_MAC_LEN];
	const unsigned char *stored;
	char path[CORE_PATH_MAX + 128];
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	uint64_t seq, prev_seq, first = 1, n = 0;
	int rc, ret = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((db = open_snapshot_path(path, err, errlen)) == NULL)
		return -1;
	if (read_meta(db, &m) == -1)
		goto dberr;
	if (meta_get_seq_mac(db, "first_seq", "anchor_mac", &first, anchor) ==
	    -1)
		goto dberr;

	if (m.key_known && vs->key_ok) {
		if (journal_key_check(key, mac) == -1) {
			snprintf(err, errlen, "HMAC failed");
			goto done;
		}
		if (CRYPTO_memcmp(mac, m.key_check, JOURNAL_MAC_LEN) != 0) {
			fprintf(out,
			    "journal.key: not the key this journal "
			    "was written with; MACs not checked\n");
			vs->problems++;
			vs->key_ok = 0;
		}
	}

	/* Where this file's chain starts. */
	if (vs->files == 0 && first > 1) {
		report_missing(out, 1, first - 1,
		    ": the journal files that held them are gone");
		vs->problems++;
	} else if (vs->files > 0 &&
	    (first != vs->prev_seq + 1 ||
		CRYPTO_memcmp(anchor, vs->prev, JOURNAL_MAC_LEN) != 0)) {
		fprintf(out,
		    "%s: does not continue the chain of the previous "
		    "file\n",
		    name);
		vs->problems++;
	}
	prev_seq = first - 1;
	memcpy(prev, anchor, JOURNAL_MAC_LEN);
	vs->files++;

	if (sqlite3_prepare_v2(db,
		"SELECT " JOURNAL_RECORD_COLUMNS ", mac FROM records "
		"ORDER BY seq",
		-1, &st, NULL) != SQLITE_OK)
		goto dberr;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int linked = 1;

		seq = (uint64_t)sqlite3_column_int64(st, JCOL_SEQ);
		n++;
		if (sqlite3_column_int64(st, JCOL_SEQ) < (int64_t)first) {
			fprintf(out,
			    "record %lld: before the file's first record: "
			    "inserted\n",
			    sqlite3_column_int64(st, JCOL_SEQ));
			vs->problems++;
			continue;
		}
		if (seq != prev_seq + 1) {
			report_missing(out, prev_seq + 1, seq - 1, "");
			vs->problems++;
			linked = 0;
		}
		stored = sqlite3_column_blob(st, JCOL_MAC);
		if (sqlite3_column_bytes(st, JCOL_MAC) != JOURNAL_MAC_LEN)
			stored = NULL;

		if (m.tail_known && seq > m.last_seq) {
			fprintf(out,
			    "record %" PRIu64 ": after the committed tail "
			    "(%" PRIu64 "): inserted\n",
			    seq, m.last_seq);
			vs->problems++;
		} else if (vs->key_ok && linked) {
			journal_fields_from_row(&f, st);
			if (journal_mac(key, prev, &f, mac) == -1) {
				snprintf(err, errlen, "HMAC failed");
				goto done;
			}
			if (stored == NULL ||
			    CRYPTO_memcmp(mac, stored, JOURNAL_MAC_LEN) != 0) {
				fprintf(out,
				    "record %" PRIu64 ": MAC mismatch: "
				    "altered\n",
				    seq);
				vs->problems++;
			}
		}
		if (stored != NULL)
			memcpy(prev, stored, JOURNAL_MAC_LEN);
		else
			memset(prev, 0, sizeof(prev));
		prev_seq = seq;
	}
	if (rc != SQLITE_DONE)
		goto dberr;

	/* The chain cannot see its own end: meta remembers it. */
	if (!m.tail_known) {
		if (n > 0) {
			fprintf(out, "%s: meta: last_seq missing\n", name);
			vs->problems++;
		}
	} else if (m.last_seq > prev_seq) {
		report_missing(
		    out, prev_seq + 1, m.last_seq, ": tail truncated");
		vs->problems++;
	} else if (m.last_seq == prev_seq && n > 0 &&
	    (!m.last_mac_ok ||
		CRYPTO_memcmp(m.last_mac, prev, JOURNAL_MAC_LEN) != 0)) {
		fprintf(out,
		    "record %" PRIu64 ": differs from the tail in meta: "
		    "altered\n",
		    prev_seq);
		vs->problems++;
	}
	vs->prev_seq =
	    m.tail_known && m.last_seq > prev_seq ? m.last_seq : prev_seq;
	memcpy(vs->prev, m.last_mac_ok ? m.last_mac : prev, JOURNAL_MAC_LEN);
	vs->n += n;
	ret = 0;
	goto done;

dberr:
	snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
done:
	sqlite3_finalize(st);
	close_snapshot(db);
	return ret;
}

int
journal_verify(const char *state_dir, FILE *out, char *err, size_t errlen)
{
	static char names[JOURNAL_SERIES_MAX][96];
	unsigned char key[JOURNAL_KEY_LEN];
	struct verify_state vs;
	int fd, i, nfiles, ret = -1;

	if ((fd = journal_key_load(state_dir, 0, key, err, errlen)) == -1)
		return -1;
	close(fd);
	memset(&vs, 0, sizeof(vs));
	vs.key_ok = 1;

	nfiles = series_list(state_dir, names, JOURNAL_SERIES_MAX, err, errlen);
	if (nfiles == -1)
		goto done;
	for (i = 0; i < nfiles; i++)
		if (verify_file(
			state_dir, names[i], key, &vs, out, err, errlen) == -1)
			goto done;

	if (vs.problems == 0)
		fprintf(
		    out, "journal: %" PRIu64 " records, chain intact\n", vs.n);
	else
		fprintf(out,
		    "journal: %" PRIu64 " records, %" PRIu64 " problems\n",
		    vs.n, vs.problems);
	if (nfiles > 1)
		fprintf(out, "journal: %d files\n", nfiles);
	ret = vs.problems == 0 ? 0 : 1;
done:
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

static void
copy_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", s != NULL ? (const char *)s : "");
}

#define COPY_COL(st, col, field) copy_col((st), (col), (field), sizeof(field))

static void
record_from_row(struct journal_record *r, sqlite3_stmt *st)
{
	memset(r, 0, sizeof(*r));
	r->seq = (uint64_t)sqlite3_column_int64(st, JCOL_SEQ);
	r->time_ms = sqlite3_column_int64(st, JCOL_TIME);
	COPY_COL(st, JCOL_TYPE, r->type);
	COPY_COL(st, JCOL_FRONTEND, r->frontend);
	COPY_COL(st, JCOL_FEATURE, r->feature);
	COPY_COL(st, JCOL_VERSION, r->version);
	r->count = sqlite3_column_int(st, JCOL_COUNT);
	COPY_COL(st, JCOL_UNIT, r->unit);
	COPY_COL(st, JCOL_USER, r->user);
	COPY_COL(st, JCOL_HOST, r->host);
	COPY_COL(st, JCOL_DISPLAY, r->display);
	COPY_COL(st, JCOL_ADDRESS, r->address);
	COPY_COL(st, JCOL_MACHINE, r->machine_id);
	r->handle = (uint64_t)sqlite3_column_int64(st, JCOL_HANDLE);
	r->in_use_after = sqlite3_column_int(st, JCOL_IN_USE);
	r->duration_ms = sqlite3_column_int64(st, JCOL_DURATION);
	COPY_COL(st, JCOL_REASON, r->reason);
	COPY_COL(st, JCOL_DETAIL, r->detail);
}

/* Prints one file's records from from_seq on, at most *left of them
 * (when limit is set).  Returns 0 or -1. */
static int
show_file(const char *path, uint64_t from_seq, uint64_t limit, uint64_t *shown,
    FILE *out, char *err, size_t errlen)
{
	struct journal_record r;
	char line[2048];
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if ((db = open_snapshot_path(path, err, errlen)) == NULL)
		return -1;
	if (sqlite3_prepare_v2(db,
		"SELECT " JOURNAL_RECORD_COLUMNS " FROM records "
		"WHERE seq >= ? ORDER BY seq",
		-1, &st, NULL) != SQLITE_OK)
		goto dberr;
	if (from_seq > INT64_MAX)
		from_seq = INT64_MAX;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from_seq);
	while ((limit == 0 || *shown < limit) &&
	    (rc = sqlite3_step(st)) == SQLITE_ROW) {
		record_from_row(&r, st);
		journal_format_record(&r, line, sizeof(line));
		fprintf(out, "%s\n", line);
		(*shown)++;
	}
	if (limit != 0 && *shown >= limit)
		rc = SQLITE_DONE;
	if (rc != SQLITE_DONE)
		goto dberr;
	ret = 0;
	goto done;

dberr:
	snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
done:
	sqlite3_finalize(st);
	close_snapshot(db);
	return ret;
}

/* Accepts any from_seq (records below it are skipped) and limit (0 for
 * all), across every file of the series.  Returns 0, or -1 with err set
 * when a file cannot be read; text longer than a field of struct
 * journal_record is cut. */
int
journal_show(const char *state_dir, uint64_t from_seq, uint64_t limit,
    FILE *out, char *err, size_t errlen)
{
	static char names[JOURNAL_SERIES_MAX][96];
	unsigned long long first, last;
	char path[CORE_PATH_MAX + 128];
	uint64_t shown = 0;
	int i, nfiles;

	nfiles = series_list(state_dir, names, JOURNAL_SERIES_MAX, err, errlen);
	if (nfiles == -1)
		return -1;
	for (i = 0; i < nfiles; i++) {
		/* Archives wholly before from_seq need not be opened. */
		if (sscanf(names[i], "journal-%20llu-%20llu", &first, &last) ==
			2 &&
		    last < from_seq)
			continue;
		snprintf(path, sizeof(path), "%s/%s", state_dir, names[i]);
		if (show_file(
			path, from_seq, limit, &shown, out, err, errlen) == -1)
			return -1;
		if (limit != 0 && shown >= limit)
			break;
	}
	return 0;
}
