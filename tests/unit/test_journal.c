/*
 * Unit tests of the durable journal: continuity across reopen, the grant
 * table, the HMAC chain and what verify reports for each kind of
 * tampering, group commit, the record layout, the key file and the writer
 * thread under load.  Each test works in its own mkdtemp directory.
 *
 * Tampering is done with the sqlite3 API on a closed journal, as an
 * intruder with write access to the state directory would.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/journal/journal.h"

#define T0 1796299200123LL /* 2026-12-03T12:00:00.123Z */

struct fixture {
	char dir[64];
};

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *fx;

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/licd-journal-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	nftw(fx->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static struct journal *
open_ok(const char *dir)
{
	char err[256] = "";
	struct journal *j;

	j = journal_open(dir, err, sizeof(err));
	if (j == NULL)
		fail_msg("journal_open: %s", err);
	return j;
}

static void
make_rec(struct journal_record *r, const char *type, int i)
{
	memset(r, 0, sizeof(*r));
	r->time_ms = T0 + i;
	snprintf(r->type, sizeof(r->type), "%s", type);
	snprintf(r->frontend, sizeof(r->frontend), "flex");
	snprintf(r->feature, sizeof(r->feature), "MATLAB");
	snprintf(r->version, sizeof(r->version), "51");
	r->count = 1;
	snprintf(r->unit, sizeof(r->unit), "physics");
	snprintf(r->user, sizeof(r->user), "user%d", i);
	snprintf(r->host, sizeof(r->host), "ws%d", i % 7);
	r->in_use_after = i % 5;
}

/* Appends n records numbered from first, then waits for them. */
static void
append_n(struct journal *j, int first, int n)
{
	struct journal_record r;
	int i;

	for (i = first; i < first + n; i++) {
		make_rec(&r, "checkout", i);
		assert_int_not_equal(journal_append(j, &r), 0);
	}
	assert_int_equal(journal_sync(j), 0);
}

/* Runs journal_verify; returns its result and the output in buf. */
static int
run_verify(const char *dir, char *buf, size_t len)
{
	char err[256] = "";
	FILE *f;
	int rc;

	f = fmemopen(buf, len, "w");
	assert_non_null(f);
	rc = journal_verify(dir, f, err, sizeof(err));
	fclose(f);
	if (rc == -1)
		snprintf(buf, len, "error: %s", err);
	return rc;
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("expected \"%s\" in:\n%s", needle, hay);
}

static void
assert_last_line(const char *text, const char *want)
{
	const char *end = text + strlen(text), *p;

	assert_true(end > text && end[-1] == '\n');
	for (p = end - 1; p > text && p[-1] != '\n'; p--)
		;
	if (strncmp(p, want, strlen(want)) != 0 ||
	    (size_t)(end - 1 - p) != strlen(want))
		fail_msg("last line \"%.*s\", want \"%s\"", (int)(end - 1 - p),
		    p, want);
}

static void
db_exec(const char *dir, const char *sql)
{
	char path[256];
	sqlite3 *db;
	char *msg = NULL;

	snprintf(path, sizeof(path), "%s/journal.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static int64_t
db_int(const char *dir, const char *sql)
{
	char path[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v;

	snprintf(path, sizeof(path), "%s/journal.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
test_reopen_continuity(void **state)
{
	struct fixture *fx = *state;
	struct journal_record r;
	struct journal *j;
	char out[4096];

	/* Before journal_start, sync commits on the caller's thread. */
	j = open_ok(fx->dir);
	assert_int_equal(journal_last_seq(j), 0);
	assert_int_equal(journal_committed_seq(j), 0);
	append_n(j, 1, 3);
	assert_int_equal(journal_committed_seq(j), 3);
	journal_close(j);

	j = open_ok(fx->dir);
	assert_int_equal(journal_last_seq(j), 3);
	assert_int_equal(journal_committed_seq(j), 3);
	assert_int_equal(journal_start(j, NULL, NULL), 0);
	make_rec(&r, "checkin", 4);
	assert_int_equal(journal_append(j, &r), 4);
	make_rec(&r, "checkin", 5);
	assert_int_equal(journal_append(j, &r), 5);
	journal_flush(j);
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(journal_committed_seq(j), 5);
	journal_close(j);

	/* Close commits what was appended and never synced. */
	j = open_ok(fx->dir);
	make_rec(&r, "stop", 6);
	assert_int_equal(journal_append(j, &r), 6);
	journal_close(j);

	j = open_ok(fx->dir);
	assert_int_equal(journal_start(j, NULL, NULL), 0);
	make_rec(&r, "start", 7);
	assert_int_equal(journal_append(j, &r), 7);
	journal_close(j);

	assert_int_equal(db_int(fx->dir, "SELECT count(*) FROM records"), 7);
	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 0);
	assert_last_line(out, "journal: 7 records, chain intact");
}

static void
test_empty_verify(void **state)
{
	struct fixture *fx = *state;
	char out[1024];

	journal_close(open_ok(fx->dir));
	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 0);
	assert_string_equal(out, "journal: 0 records, chain intact\n");
}

static void
make_grant(struct core_grant_info *g, uint64_t handle)
{
	memset(g, 0, sizeof(*g));
	g->handle = handle;
	snprintf(g->feature, sizeof(g->feature), "MATLAB");
	snprintf(g->version, sizeof(g->version), "51");
	snprintf(g->vendor, sizeof(g->vendor), "MLM");
	g->count = 2;
	snprintf(g->unit, sizeof(g->unit), "physics");
	snprintf(g->user, sizeof(g->user), "alice");
	snprintf(g->host, sizeof(g->host), "ws12");
	snprintf(g->display, sizeof(g->display), "/dev/pts/3");
	snprintf(g->address, sizeof(g->address), "127.0.0.1");
	snprintf(g->project, sizeof(g->project), "thesis");
	snprintf(g->frontend, sizeof(g->frontend), "flex");
	g->pid = 4211;
	g->session = 99;
	g->start = T0;
	g->last_heartbeat = T0 + 60000;
	g->linger = 30;
	g->linger_until = T0 + 90000;
	/* Odd handles are borrowed, so that both kinds make the trip. */
	g->borrowed_until = handle % 2 == 1 ? T0 + 7200000 : 0;
}

struct restored {
	struct core_grant_info g[8];
	int n;
};

static void
collect(void *arg, const struct core_grant_info *g)
{
	struct restored *rs = arg;

	assert_true(rs->n < 8);
	rs->g[rs->n++] = *g;
}

static void
journal_grant(struct journal *j, enum journal_grant_op op, uint64_t handle)
{
	struct journal_record r;

	make_rec(
	    &r, op == JOURNAL_GRANT_DEL ? "checkin" : "checkout", (int)handle);
	r.handle = handle;
	r.grant_op = op;
	if (op == JOURNAL_GRANT_PUT)
		make_grant(&r.grant, handle);
	assert_int_not_equal(journal_append(j, &r), 0);
}

static void
test_grants_restore(void **state)
{
	struct fixture *fx = *state;
	struct core_grant_info want;
	struct journal_record r;
	struct restored rs = {0};
	struct journal *j;

	j = open_ok(fx->dir);
	assert_int_equal(journal_max_handle(j), 0);
	assert_int_equal(journal_start(j, NULL, NULL), 0);
	journal_grant(j, JOURNAL_GRANT_PUT, 7);
	journal_grant(j, JOURNAL_GRANT_PUT, 9);
	journal_flush(j);
	journal_grant(j, JOURNAL_GRANT_DEL, 7);
	/* A queue ticket above every grant: handles must stay above it. */
	make_rec(&r, "queue", 0);
	r.handle = 12;
	journal_append(j, &r);
	assert_int_equal(journal_max_handle(j), 12);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);

	j = open_ok(fx->dir);
	assert_int_equal(journal_max_handle(j), 12);
	assert_int_equal(journal_restore(j, collect, &rs), 0);
	assert_int_equal(rs.n, 1);
	make_grant(&want, 9);
	want.session = 0; /* restored grants are held by nobody */
	assert_memory_equal(&rs.g[0], &want, sizeof(want));

	/* Replace, then delete everything. */
	journal_grant(j, JOURNAL_GRANT_PUT, 9);
	journal_grant(j, JOURNAL_GRANT_DEL, 9);
	assert_int_equal(journal_sync(j), 0);
	rs.n = 0;
	assert_int_equal(journal_restore(j, collect, &rs), 0);
	assert_int_equal(rs.n, 0);
	journal_close(j);

	/* The largest handle survives in the records alone. */
	j = open_ok(fx->dir);
	assert_int_equal(journal_max_handle(j), 12);
	journal_close(j);
}

/* The fill of journal_append_fill: writes every field of rec over
 * whatever an earlier record left in the batch's slot, as the daemon's
 * sink does, from the record given as arg. */
static void
fill_from(struct journal_record *rec, void *arg)
{
	const struct journal_record *src = arg;

	rec->time_ms = src->time_ms;
	strcpy(rec->type, src->type);
	strcpy(rec->frontend, src->frontend);
	strcpy(rec->feature, src->feature);
	strcpy(rec->version, src->version);
	rec->count = src->count;
	strcpy(rec->unit, src->unit);
	strcpy(rec->user, src->user);
	strcpy(rec->host, src->host);
	strcpy(rec->display, src->display);
	strcpy(rec->address, src->address);
	strcpy(rec->machine_id, src->machine_id);
	rec->handle = src->handle;
	rec->in_use_after = src->in_use_after;
	rec->duration_ms = src->duration_ms;
	strcpy(rec->reason, src->reason);
	strcpy(rec->detail, src->detail);
	rec->grant_op = src->grant_op;
	if (src->grant_op == JOURNAL_GRANT_PUT)
		rec->grant = src->grant;
	rec->machine_op = JOURNAL_MACHINE_KEEP;
}

/* Records filled in place over the slots of earlier, longer records, and
 * texts that repeat, change length or come back (the writer leaves a
 * parameter bound when its text is unchanged): every row and grant reads
 * back as appended, and the chain verifies. */
static void
test_append_fill(void **state)
{
	static const char *const users[] = {"abc", "ab", "ab", "abd", "", "ab"};
	static const char *const details[] = {"", "x", "", "xx", "", "x"};
	struct fixture *fx = *state;
	struct journal_record want[6], got;
	struct restored rs = {0};
	struct journal_iter *it;
	struct journal *j;
	char err[256] = "", out[4096];
	size_t i;

	j = open_ok(fx->dir);
	assert_int_equal(journal_start(j, NULL, NULL), 0);
	/* A long first record leaves its bytes in the batch's slot. */
	make_rec(&want[0], "admin", 0);
	memset(want[0].detail, 'd', sizeof(want[0].detail) - 1);
	memset(want[0].display, 'p', sizeof(want[0].display) - 1);
	assert_int_equal(journal_append(j, &want[0]), 1);
	assert_int_equal(journal_sync(j), 0);
	for (i = 1; i < 6; i++) {
		make_rec(&want[i], i % 2 ? "checkout" : "checkin", (int)i);
		snprintf(want[i].user, sizeof(want[i].user), "%s", users[i]);
		snprintf(
		    want[i].detail, sizeof(want[i].detail), "%s", details[i]);
		want[i].handle = 100 + i;
		want[i].grant_op = JOURNAL_GRANT_PUT;
		make_grant(&want[i].grant, 100 + i);
		snprintf(want[i].grant.user, sizeof(want[i].grant.user), "%s",
		    users[i]);
		assert_int_equal(journal_append_fill(j, fill_from, &want[i]),
		    (uint64_t)i + 1);
		if (i == 3)
			assert_int_equal(journal_sync(j), 0);
	}
	assert_int_equal(journal_max_handle(j), 105);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);

	it = journal_iter_open(fx->dir, INT64_MIN, INT64_MAX, err, sizeof(err));
	assert_non_null(it);
	for (i = 0; i < 6; i++) {
		assert_int_equal(
		    journal_iter_next(it, &got, err, sizeof(err)), 1);
		assert_int_equal(got.seq, i + 1);
		assert_string_equal(got.type, want[i].type);
		assert_string_equal(got.user, want[i].user);
		assert_string_equal(got.host, want[i].host);
		assert_string_equal(got.display, want[i].display);
		assert_string_equal(got.detail, want[i].detail);
		assert_int_equal(got.handle, want[i].handle);
	}
	assert_int_equal(journal_iter_next(it, &got, err, sizeof(err)), 0);
	journal_iter_close(it);

	j = open_ok(fx->dir);
	assert_int_equal(journal_restore(j, collect, &rs), 0);
	assert_int_equal(rs.n, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(rs.g[i].handle, 101 + i);
		assert_string_equal(rs.g[i].user, users[i + 1]);
		assert_string_equal(rs.g[i].feature, "MATLAB");
	}
	journal_close(j);
	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 0);
}

/* A journal.db written before borrowing existed: its grants table lacks
 * borrowed_until_ms.  Opening it adds the column, keeps the grant (not
 * borrowed), and new grants carry their borrow end. */
static void
test_grants_upgrade(void **state)
{
	static const char old_grants[] =
	    "DROP TABLE grants;"
	    "CREATE TABLE grants ("
	    " handle INTEGER PRIMARY KEY, feature TEXT NOT NULL,"
	    " version TEXT NOT NULL, vendor TEXT NOT NULL,"
	    " count INTEGER NOT NULL, unit TEXT NOT NULL, user TEXT NOT NULL,"
	    " host TEXT NOT NULL, display TEXT NOT NULL,"
	    " address TEXT NOT NULL, project TEXT NOT NULL,"
	    " frontend TEXT NOT NULL, pid INTEGER NOT NULL,"
	    " start_ms INTEGER NOT NULL, last_heartbeat_ms INTEGER NOT NULL,"
	    " linger INTEGER NOT NULL, linger_until_ms INTEGER NOT NULL);"
	    "INSERT INTO grants VALUES (5, 'MATLAB', '51', 'MLM', 1, 'physics',"
	    " 'bob', 'ws1', '', '10.0.0.1', '', 'flex', 77, 1000, 2000, 0, 0);";
	struct fixture *fx = *state;
	struct restored rs = {0};
	struct journal *j;
	char path[128];
	sqlite3 *db;
	sqlite3_stmt *st;
	int cols = 0;

	/* The key and meta rows of a real first start, then the grants
	 * table of the first schema. */
	j = open_ok(fx->dir);
	journal_close(j);
	snprintf(path, sizeof(path), "%s/journal.db", fx->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, old_grants, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	j = open_ok(fx->dir);
	assert_int_equal(journal_restore(j, collect, &rs), 0);
	assert_int_equal(rs.n, 1);
	assert_true(rs.g[0].handle == 5);
	assert_string_equal(rs.g[0].user, "bob");
	assert_true(rs.g[0].borrowed_until == 0);
	journal_grant(j, JOURNAL_GRANT_PUT, 9);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);

	/* Opened again: no second ALTER, the borrow end is kept. */
	j = open_ok(fx->dir);
	rs.n = 0;
	assert_int_equal(journal_restore(j, collect, &rs), 0);
	assert_int_equal(rs.n, 2);
	assert_true(rs.g[1].handle == 9);
	assert_true(rs.g[1].borrowed_until == T0 + 7200000);
	journal_close(j);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
			     "SELECT count(*) FROM pragma_table_info('grants') "
			     "WHERE name = 'borrowed_until_ms'",
			     -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	cols = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(cols, 1);
}

struct machines {
	struct act_machine_info m[8];
	size_t n;
};

static void
collect_machine(void *arg, const struct act_machine_info *m)
{
	struct machines *ms = arg;

	assert_true(ms->n < 8);
	ms->m[ms->n++] = *m;
}

static void
make_machine(struct act_machine_info *m, const char *group, int i)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->group, sizeof(m->group), "%s", group);
	snprintf(m->product, sizeof(m->product), "%s-pro", group);
	snprintf(m->machine_id, sizeof(m->machine_id),
	    "%08x-1111-4222-8333-444455556666", i);
	m->cls = i % 2 ? ACT_CLASS_SERVER : ACT_CLASS_CLIENT;
	snprintf(m->host, sizeof(m->host), "ws%d", i);
	snprintf(m->unit, sizeof(m->unit), "unit%d", i);
	m->first_seen = T0 + i;
	m->last_seen = T0 + 1000 - i;
	m->activated_until = i % 3 ? T0 + 86400000LL * 180 : 0;
}

static void
journal_machine(struct journal *j, int op, const struct act_machine_info *m)
{
	struct journal_record r;

	make_rec(&r, op == JOURNAL_MACHINE_DEL ? "forget" : "activate", 0);
	snprintf(r.frontend, sizeof(r.frontend), "kms");
	snprintf(r.machine_id, sizeof(r.machine_id), "%s", m->machine_id);
	r.machine_op = op;
	r.machine = *m;
	assert_int_not_equal(journal_append(j, &r), 0);
}

/* The machines table follows PUT and DEL in the records' transactions,
 * comes back oldest first, and stays outside the MAC chain. */
static void
test_machines_restore(void **state)
{
	struct fixture *fx = *state;
	struct act_machine_info m[4], moved;
	struct machines ms = {0};
	struct journal *j;
	char out[4096];
	int i;

	j = open_ok(fx->dir);
	assert_int_equal(journal_restore_machines(j, collect_machine, &ms), 0);
	assert_int_equal(ms.n, 0);
	assert_int_equal(journal_start(j, NULL, NULL), 0);
	for (i = 0; i < 4; i++) {
		make_machine(&m[i], i < 3 ? "office" : "cad", i);
		journal_machine(j, JOURNAL_MACHINE_PUT, &m[i]);
	}
	/* The same id in another group is another row. */
	moved = m[0];
	memset(moved.group, 0, sizeof(moved.group));
	snprintf(moved.group, sizeof(moved.group), "cad");
	moved.last_seen = T0 + 5000;
	journal_machine(j, JOURNAL_MACHINE_PUT, &moved);
	journal_flush(j);
	/* Replaced, deleted, and a record that keeps the table. */
	m[2].last_seen = T0 + 2000;
	m[2].activated_until = 0;
	journal_machine(j, JOURNAL_MACHINE_PUT, &m[2]);
	journal_machine(j, JOURNAL_MACHINE_DEL, &m[1]);
	journal_machine(j, JOURNAL_MACHINE_KEEP, &m[3]);
	journal_machine(j, JOURNAL_MACHINE_DEL, &m[3]);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);

	j = open_ok(fx->dir);
	assert_int_equal(journal_restore_machines(j, collect_machine, &ms), 0);
	assert_int_equal(ms.n, 3);
	/* Least recently seen first. */
	assert_memory_equal(&ms.m[0], &m[0], sizeof(m[0]));
	assert_memory_equal(&ms.m[1], &m[2], sizeof(m[2]));
	assert_memory_equal(&ms.m[2], &moved, sizeof(moved));
	assert_int_equal(ms.m[1].cls, ACT_CLASS_CLIENT);
	journal_close(j);
	assert_int_equal(
	    db_int(fx->dir, "SELECT count(*) FROM machines WHERE class = 1"),
	    0);

	/* The chain is intact, and editing the machines breaks nothing in
	 * it (the table is state, like grants, not history). */
	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 0);
	assert_last_line(out, "journal: 9 records, chain intact");
	db_exec(fx->dir, "UPDATE machines SET unit = 'other'");
	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 0);
}

/* A journal.db from before the machines table: it opens, gains the
 * table, keeps its records, and the chain continues. */
static void
test_machines_upgrade(void **state)
{
	struct fixture *fx = *state;
	struct act_machine_info m;
	struct machines ms = {0};
	struct journal *j;
	char out[4096];

	j = open_ok(fx->dir);
	append_n(j, 0, 3);
	journal_close(j);
	db_exec(fx->dir, "DROP TABLE machines");
	assert_int_equal(db_int(fx->dir,
			     "SELECT count(*) FROM sqlite_master "
			     "WHERE name = 'machines'"),
	    0);

	j = open_ok(fx->dir);
	assert_int_equal(journal_restore_machines(j, collect_machine, &ms), 0);
	assert_int_equal(ms.n, 0);
	make_machine(&m, "office", 1);
	journal_machine(j, JOURNAL_MACHINE_PUT, &m);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);

	j = open_ok(fx->dir);
	assert_int_equal(journal_restore_machines(j, collect_machine, &ms), 0);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.m[0].machine_id, m.machine_id);
	journal_close(j);
	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 0);
	assert_last_line(out, "journal: 4 records, chain intact");
}

/* One way to tamper with a journal of five records and what verify must
 * say about it. */
struct tamper_case {
	const char *name;
	const char *sql;
	const char *expect;
	const char *last;
};

static const struct tamper_case tamper_cases[] = {
    {"altered field", "UPDATE records SET user = 'mallory' WHERE seq = 3",
	"record 3: MAC mismatch: altered\n", "journal: 5 records, 1 problems"},
    {"altered count", "UPDATE records SET count = 2 WHERE seq = 1",
	"record 1: MAC mismatch: altered\n", "journal: 5 records, 1 problems"},
    {"altered time",
	"UPDATE records SET time_ms = time_ms - 3600000 "
	"WHERE seq = 5",
	"record 5: MAC mismatch: altered\n", "journal: 5 records, 1 problems"},
    {"deleted middle", "DELETE FROM records WHERE seq = 3",
	"record 3 missing\n", "journal: 4 records, 1 problems"},
    {"deleted two", "DELETE FROM records WHERE seq IN (2, 3)",
	"records 2..3 missing\n", "journal: 3 records, 1 problems"},
    {"deleted first", "DELETE FROM records WHERE seq = 1", "record 1 missing\n",
	"journal: 4 records, 1 problems"},
    {"deleted last", "DELETE FROM records WHERE seq = 5",
	"record 5 missing: tail truncated\n", "journal: 4 records, 1 problems"},
    {"inserted after tail",
	"INSERT INTO records SELECT 6, time_ms, type, frontend, feature, "
	"version, count, unit, user, host, display, address, machine_id, "
	"handle, in_use_after, duration_ms, reason, detail, mac "
	"FROM records WHERE seq = 5",
	"record 6: after the committed tail (5): inserted\n",
	"journal: 6 records, 1 problems"},
    {"inserted with meta",
	"INSERT INTO records SELECT 6, time_ms, type, frontend, feature, "
	"version, count, unit, 'ghost', host, display, address, "
	"machine_id, handle, in_use_after, duration_ms, reason, detail, "
	"mac FROM records WHERE seq = 5;"
	"UPDATE meta SET value = 6 WHERE key = 'last_seq';"
	"UPDATE meta SET value = (SELECT mac FROM records WHERE seq = 6) "
	"WHERE key = 'last_mac'",
	"record 6: MAC mismatch: altered\n", "journal: 6 records, 1 problems"},
    {"renumbered", "UPDATE records SET seq = 10 WHERE seq = 5;",
	"records 5..9 missing\n", "journal: 5 records, 2 problems"},
    {"swapped macs",
	"UPDATE records SET mac = (SELECT mac FROM records WHERE seq = 4) "
	"WHERE seq = 2",
	"record 2: MAC mismatch: altered\n",
	/* record 3 chains from the stored mac(2): its link breaks too */
	"journal: 5 records, 2 problems"},
    {"meta tail altered",
	"UPDATE meta SET value = zeroblob(32) WHERE key = 'last_mac'",
	"record 5: differs from the tail in meta: altered\n",
	"journal: 5 records, 1 problems"},
};

static void
test_verify_tamper(void **state)
{
	struct fixture *fx = *state;
	char dir[128], out[4096];
	struct journal *j;
	size_t i;

	for (i = 0; i < sizeof(tamper_cases) / sizeof(tamper_cases[0]); i++) {
		const struct tamper_case *tc = &tamper_cases[i];

		snprintf(dir, sizeof(dir), "%s/%zu", fx->dir, i);
		assert_int_equal(mkdir(dir, 0700), 0);
		j = open_ok(dir);
		append_n(j, 1, 5);
		journal_close(j);
		assert_int_equal(run_verify(dir, out, sizeof(out)), 0);

		db_exec(dir, tc->sql);
		if (run_verify(dir, out, sizeof(out)) != 1)
			fail_msg("%s: verify did not fail:\n%s", tc->name, out);
		assert_contains(out, tc->expect);
		assert_last_line(out, tc->last);
	}
}

static void
write_key(const char *dir, const unsigned char *key, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/journal.key", dir);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, key, len), (ssize_t)len);
	close(fd);
}

static void
read_key(const char *dir, unsigned char *key)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/journal.key", dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, key, 32), 32);
	close(fd);
}

static void
test_key_file(void **state)
{
	struct fixture *fx = *state;
	unsigned char k1[32], k2[32], zero[32] = {0};
	char path[256], err[256], out[4096];
	struct stat sb;
	struct journal *j;

	j = open_ok(fx->dir);
	snprintf(path, sizeof(path), "%s/journal.key", fx->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_size, 32);
	read_key(fx->dir, k1);
	assert_memory_not_equal(k1, zero, 32);
	append_n(j, 1, 2);
	journal_close(j);

	/* Reused, not replaced, at the next open. */
	j = open_ok(fx->dir);
	read_key(fx->dir, k2);
	assert_memory_equal(k1, k2, 32);
	journal_close(j);

	/* Another key: open refuses, verify reports it. */
	memset(k2, 0x5a, sizeof(k2));
	write_key(fx->dir, k2, sizeof(k2));
	assert_null(journal_open(fx->dir, err, sizeof(err)));
	assert_contains(err, "does not belong");
	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 1);
	assert_contains(out, "journal.key: not the key");
	assert_last_line(out, "journal: 2 records, 1 problems");

	/* A key of the wrong size is an error for both. */
	write_key(fx->dir, k1, 31);
	assert_null(journal_open(fx->dir, err, sizeof(err)));
	assert_contains(err, "32-byte");
	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), -1);

	/* A missing key is not silently replaced for a used database. */
	assert_int_equal(unlink(path), 0);
	assert_null(journal_open(fx->dir, err, sizeof(err)));
	assert_int_equal(stat(path, &sb), -1);

	/* The right key makes everything whole again. */
	write_key(fx->dir, k1, sizeof(k1));
	j = open_ok(fx->dir);
	journal_close(j);
	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 0);
}

static void
test_second_open(void **state)
{
	struct fixture *fx = *state;
	struct journal *j;
	char err[256] = "", out[1024];

	/* Two writers would hand out the same sequence numbers: the second
	 * open is refused while the first holds the directory. */
	j = open_ok(fx->dir);
	assert_int_equal(journal_start(j, NULL, NULL), 0);
	append_n(j, 1, 3);
	assert_null(journal_open(fx->dir, err, sizeof(err)));
	assert_contains(err, "in use");
	append_n(j, 4, 3);

	/* verify and show run alongside the writer. */
	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 0);
	assert_last_line(out, "journal: 6 records, chain intact");
	journal_close(j);

	j = open_ok(fx->dir);
	assert_int_equal(journal_last_seq(j), 6);
	journal_close(j);
}

struct cb_state {
	struct journal *j;
	atomic_int calls;
	_Atomic uint64_t last_seen;
	atomic_int went_back;
};

static void
on_commit(void *arg)
{
	struct cb_state *cs = arg;
	uint64_t c = journal_committed_seq(cs->j);

	if (c < atomic_load(&cs->last_seen))
		atomic_store(&cs->went_back, 1);
	atomic_store(&cs->last_seen, c);
	atomic_fetch_add(&cs->calls, 1);
}

static void
test_group_commit(void **state)
{
	struct fixture *fx = *state;
	struct cb_state cs = {0};
	struct journal_record r;
	struct journal *j;
	char path[256], user[64], out[1024];
	sqlite3 *db;
	sqlite3_stmt *st;
	int i, n = 10000;

	j = open_ok(fx->dir);
	cs.j = j;
	assert_int_equal(journal_start(j, on_commit, &cs), 0);
	for (i = 1; i <= n; i++) {
		make_rec(&r, "checkout", i);
		assert_int_equal(journal_append(j, &r), (uint64_t)i);
		if (i % 50 == 0)
			journal_flush(j);
		assert_true(journal_committed_seq(j) <= journal_last_seq(j));
	}
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(journal_committed_seq(j), n);
	assert_int_equal(journal_errors(j), 0);
	journal_close(j);

	/* The callback runs after the committed seq is published: only once
	 * the writer is joined has it surely seen the last batch. */
	assert_true(atomic_load(&cs.calls) >= 1);
	assert_int_equal(atomic_load(&cs.last_seen), n);
	assert_int_equal(atomic_load(&cs.went_back), 0);

	snprintf(path, sizeof(path), "%s/journal.db", fx->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT seq, user FROM records ORDER BY seq",
		-1, &st, NULL),
	    SQLITE_OK);
	for (i = 1; i <= n; i++) {
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(st, 0), i);
		snprintf(user, sizeof(user), "user%d", i);
		assert_string_equal(sqlite3_column_text(st, 1), user);
	}
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);

	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 0);
	assert_last_line(out, "journal: 10000 records, chain intact");
}

/* A commit that fails is retried, in order, until it succeeds. */
static void
test_commit_retry(void **state)
{
	struct fixture *fx = *state;
	struct journal *j;
	struct journal_record r;
	char out[1024];

	j = open_ok(fx->dir);
	assert_int_equal(journal_start(j, NULL, NULL), 0);
	append_n(j, 1, 2);

	db_exec(fx->dir,
	    "CREATE TRIGGER inject BEFORE INSERT ON records "
	    "BEGIN SELECT RAISE(ABORT, 'injected'); END");
	make_rec(&r, "checkout", 3);
	assert_int_equal(journal_append(j, &r), 3);
	journal_flush(j);
	make_rec(&r, "checkout", 4);
	assert_int_equal(journal_append(j, &r), 4);
	assert_int_equal(journal_sync(j), -1);
	assert_true(journal_errors(j) >= 5);
	assert_int_equal(journal_committed_seq(j), 2);

	db_exec(fx->dir, "DROP TRIGGER inject");
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(journal_committed_seq(j), 4);
	append_n(j, 5, 1);
	journal_close(j);

	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 0);
	assert_last_line(out, "journal: 5 records, chain intact");
}

struct format_case {
	const char *name;
	void (*fill)(struct journal_record *);
	const char *want;
};

static void
fill_full(struct journal_record *r)
{
	r->seq = 42;
	r->time_ms = T0;
	strcpy(r->type, "checkin");
	strcpy(r->frontend, "flex");
	strcpy(r->feature, "MATLAB");
	strcpy(r->version, "51");
	r->count = 1;
	strcpy(r->unit, "physics");
	strcpy(r->user, "alice");
	strcpy(r->host, "ws12");
	strcpy(r->display, "/dev/pts/3");
	strcpy(r->address, "127.0.0.1");
	strcpy(r->machine_id, "4211");
	r->handle = 1042;
	r->in_use_after = 3;
	r->duration_ms = 12345;
	strcpy(r->reason, "client");
	strcpy(r->detail, "ok");
}

static void
fill_sparse(struct journal_record *r)
{
	r->seq = 1;
	r->time_ms = 0;
	strcpy(r->type, "start");
	strcpy(r->detail, "licd 0.1.0 pid 77");
}

static void
fill_quotes(struct journal_record *r)
{
	r->seq = 7;
	r->time_ms = T0 + 877;
	strcpy(r->type, "deny");
	strcpy(r->frontend, "flex");
	strcpy(r->user, "o\"brien");
	strcpy(r->host, "a=b");
	strcpy(r->reason, "no-seats");
	strcpy(r->detail, "tab\there");
	r->duration_ms = 5;
}

static const struct format_case format_cases[] = {
    {"full", fill_full,
	"2026-12-03T12:00:00.123Z 42 checkin flex feature=MATLAB "
	"version=51 count=1 unit=physics user=alice host=ws12 "
	"display=/dev/pts/3 address=127.0.0.1 machine=4211 handle=1042 "
	"in_use=3 duration=12.345s reason=client detail=ok"},
    {"sparse", fill_sparse,
	"1970-01-01T00:00:00.000Z 1 start detail=\"licd 0.1.0 pid 77\""},
    {"quotes", fill_quotes,
	"2026-12-03T12:00:01.000Z 7 deny flex user=\"o\\\"brien\" "
	"host=\"a=b\" duration=0.005s reason=no-seats "
	"detail=\"tab\\x09here\""},
};

static void
test_format(void **state)
{
	struct journal_record r;
	char buf[1024], small[16];
	size_t i;

	for (i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		format_cases[i].fill(&r);
		journal_format_record(&r, buf, sizeof(buf));
		if (strcmp(buf, format_cases[i].want) != 0)
			fail_msg("%s:\n got %s\nwant %s", format_cases[i].name,
			    buf, format_cases[i].want);
	}

	/* Cut, never overrun. */
	memset(&r, 0, sizeof(r));
	fill_full(&r);
	journal_format_record(&r, small, sizeof(small));
	assert_string_equal(small, "2026-12-03T12:0");
}

static void
test_show(void **state)
{
	struct fixture *fx = *state;
	struct journal_record r;
	struct journal *j;
	char out[4096], err[256];
	FILE *f;

	j = open_ok(fx->dir);
	memset(&r, 0, sizeof(r));
	fill_full(&r);
	journal_append(j, &r);
	memset(&r, 0, sizeof(r));
	fill_sparse(&r);
	r.time_ms = T0 + 1000;
	journal_append(j, &r);
	memset(&r, 0, sizeof(r));
	fill_quotes(&r);
	journal_append(j, &r);
	journal_close(j);

	f = fmemopen(out, sizeof(out), "w");
	assert_int_equal(journal_show(fx->dir, 0, 0, f, err, sizeof(err)), 0);
	fclose(f);
	assert_string_equal(out,
	    "2026-12-03T12:00:00.123Z 1 checkin flex feature=MATLAB "
	    "version=51 count=1 unit=physics user=alice host=ws12 "
	    "display=/dev/pts/3 address=127.0.0.1 machine=4211 handle=1042 "
	    "in_use=3 duration=12.345s reason=client detail=ok\n"
	    "2026-12-03T12:00:01.123Z 2 start detail=\"licd 0.1.0 pid 77\"\n"
	    "2026-12-03T12:00:01.000Z 3 deny flex user=\"o\\\"brien\" "
	    "host=\"a=b\" duration=0.005s reason=no-seats "
	    "detail=\"tab\\x09here\"\n");

	/* from_seq and limit. */
	f = fmemopen(out, sizeof(out), "w");
	assert_int_equal(journal_show(fx->dir, 2, 1, f, err, sizeof(err)), 0);
	fclose(f);
	assert_string_equal(out,
	    "2026-12-03T12:00:01.123Z 2 start detail=\"licd 0.1.0 pid 77\"\n");

	/* No journal there. */
	f = fmemopen(out, sizeof(out), "w");
	assert_int_equal(
	    journal_show("/nonexistent/licd", 0, 0, f, err, sizeof(err)), -1);
	fclose(f);
}

static void
test_open_errors(void **state)
{
	struct fixture *fx = *state;
	char dir[128], err[256];

	snprintf(dir, sizeof(dir), "%s/missing", fx->dir);
	assert_null(journal_open(dir, err, sizeof(err)));
	assert_true(err[0] != '\0');

	journal_close(open_ok(fx->dir));
	db_exec(
	    fx->dir, "UPDATE meta SET value = 99 WHERE key = 'schema_version'");
	assert_null(journal_open(fx->dir, err, sizeof(err)));
	assert_contains(err, "schema version 99");
}

/*
 * Threads as in licd: this thread is the loop (append, flush, watch the
 * committed seq), the journal's writer commits, a reader thread polls the
 * counters and a verifier runs journal_verify on its own connection.
 * Meant to run clean under TSan as well.
 */
struct stress {
	struct journal *j;
	atomic_int done;
	atomic_int bad;
	atomic_int verifies;
	const char *dir;
};

static void *
stress_reader(void *arg)
{
	struct stress *s = arg;
	uint64_t c, prev = 0;

	while (!atomic_load(&s->done)) {
		c = journal_committed_seq(s->j);
		if (c < prev || c > journal_last_seq(s->j))
			atomic_store(&s->bad, 1);
		prev = c;
		(void)journal_errors(s->j);
		(void)journal_max_handle(s->j);
	}
	return NULL;
}

static void *
stress_verifier(void *arg)
{
	struct stress *s = arg;
	char err[256];
	FILE *devnull;

	/* No cmocka asserts here: they may only fail on the test's thread. */
	if ((devnull = fopen("/dev/null", "w")) == NULL) {
		atomic_store(&s->bad, 4);
		return NULL;
	}
	while (!atomic_load(&s->done)) {
		if (journal_verify(s->dir, devnull, err, sizeof(err)) != 0)
			atomic_store(&s->bad, 2);
		atomic_fetch_add(&s->verifies, 1);
	}
	fclose(devnull);
	return NULL;
}

static void
stress_commit(void *arg)
{
	struct stress *s = arg;

	/* Wakes the loop in licd; here only checks it is sane to call. */
	if (journal_committed_seq(s->j) == 0)
		atomic_store(&s->bad, 3);
}

static void
test_stress_threads(void **state)
{
	struct fixture *fx = *state;
	struct stress s = {0};
	struct journal_record r;
	pthread_t reader, verifier;
	uint64_t seq;
	char out[1024];
	int i, n = 20000;

	s.dir = fx->dir;
	s.j = open_ok(fx->dir);
	append_n(s.j, 1, 1); /* so that verify finds a journal */
	assert_int_equal(journal_start(s.j, stress_commit, &s), 0);
	assert_int_equal(pthread_create(&reader, NULL, stress_reader, &s), 0);
	assert_int_equal(
	    pthread_create(&verifier, NULL, stress_verifier, &s), 0);

	for (i = 2; i <= n; i++) {
		make_rec(&r, i % 2 ? "checkout" : "checkin", i);
		r.handle = (uint64_t)i;
		r.grant_op = i % 2 ? JOURNAL_GRANT_PUT : JOURNAL_GRANT_DEL;
		if (i % 2)
			r.grant.handle = (uint64_t)i;
		else
			r.handle = (uint64_t)i - 1;
		seq = journal_append(s.j, &r);
		assert_int_equal(seq, (uint64_t)i);
		/* Flush at irregular intervals, as a loop under varying
		 * load would. */
		if (i % 7 == 0 || i % 113 == 0)
			journal_flush(s.j);
		if (i % 5000 == 0)
			assert_int_equal(journal_sync(s.j), 0);
	}
	/* Let the verifier overlap the writer at least once. */
	while (atomic_load(&s.verifies) < 1)
		journal_flush(s.j);
	assert_int_equal(journal_sync(s.j), 0);
	atomic_store(&s.done, 1);
	pthread_join(reader, NULL);
	pthread_join(verifier, NULL);
	assert_int_equal(atomic_load(&s.bad), 0);
	assert_int_equal(journal_committed_seq(s.j), n);
	assert_int_equal(journal_max_handle(s.j), n - 1);
	journal_close(s.j);

	assert_int_equal(db_int(fx->dir, "SELECT count(*) FROM grants"), 0);
	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 0);
	assert_last_line(out, "journal: 20000 records, chain intact");
}

/*
 * Once the log passes its threshold, the checkpointer thread copies it
 * back (licd_journal_checkpoints_total counts it) while commits go on,
 * the log starts again from its beginning (the writer copies the last
 * pages between two batches), and everything committed stays readable
 * and verifies.
 */
static void
test_checkpoint_off_commit(void **state)
{
	struct fixture *fx = *state;
	struct journal_stats st;
	struct journal *j;
	uint64_t before, restarts;
	char out[1024], line[64];
	int i, n;

	journal_stats_get(&st);
	before = st.checkpoints;
	restarts = st.log_restarts;
	j = open_ok(fx->dir);
	assert_int_equal(journal_start(j, NULL, NULL), 0);
	/* One commit per sync, a few log pages each: past 1,000 pages. */
	for (i = 0; i < 600; i++)
		append_n(j, 1 + i * 4, 4);
	/* Waits for the conditions, not for a time, committing on: up to
	 * 6,000 more commits on a machine so loaded that the thread does
	 * not get to run (past 16,000 pages the writer copies the whole
	 * log itself). */
	for (n = 2400; n < 2400 + 4 * 6000; n += 4) {
		journal_stats_get(&st);
		if (st.checkpoints > before && st.log_restarts > restarts)
			break;
		append_n(j, n + 1, 4);
	}
	assert_true(st.checkpoints > before);
	assert_true(st.log_restarts > restarts);
	journal_close(j);

	assert_int_equal(db_int(fx->dir, "SELECT count(*) FROM records"), n);
	assert_int_equal(run_verify(fx->dir, out, sizeof(out)), 0);
	snprintf(line, sizeof(line), "journal: %d records, chain intact", n);
	assert_last_line(out, line);
}

/* Counts the journal-*-*.db archives in dir (and the .tmp ones). */
static int
count_archives(const char *dir, const char *suffix)
{
	struct dirent *de;
	DIR *d;
	int n = 0;
	size_t l;

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (strncmp(de->d_name, "journal-", 8) == 0 &&
		    l > strlen(suffix) &&
		    strcmp(de->d_name + l - strlen(suffix), suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void
test_rotate_series(void **state)
{
	struct fixture *fx = *state;
	struct journal *j;
	char name[128], err[256], buf[65536];
	FILE *f;

	j = open_ok(fx->dir);
	append_n(j, 1, 10);
	journal_grant(j, JOURNAL_GRANT_PUT, 9000);
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(
	    journal_rotate(j, name, sizeof(name), err, sizeof(err)), 0);
	assert_string_equal(
	    name, "journal-00000000000000000001-00000000000000000011.db");
	assert_int_equal(count_archives(fx->dir, ".db"), 1);
	assert_int_equal(db_int(fx->dir, "SELECT count(*) FROM records"), 0);
	/* The grants stay in the live file. */
	assert_int_equal(db_int(fx->dir, "SELECT count(*) FROM grants"), 1);

	/* Nothing new: refused, nothing changes. */
	assert_int_equal(
	    journal_rotate(j, name, sizeof(name), err, sizeof(err)), -1);
	assert_contains(err, "no records");

	/* The chain goes on in the new file, across a reopen too. */
	append_n(j, 11, 5);
	journal_close(j);
	j = open_ok(fx->dir);
	assert_int_equal(journal_max_handle(j), 9000);
	append_n(j, 16, 5);
	assert_int_equal(
	    journal_rotate(j, name, sizeof(name), err, sizeof(err)), 0);
	append_n(j, 21, 3);
	journal_close(j);

	assert_int_equal(run_verify(fx->dir, buf, sizeof(buf)), 0);
	assert_contains(buf, "journal: 24 records, chain intact\n");
	assert_contains(buf, "journal: 3 files\n");

	/* show walks every file, oldest first. */
	f = fmemopen(buf, sizeof(buf), "w");
	assert_int_equal(journal_show(fx->dir, 10, 4, f, err, sizeof(err)), 0);
	fclose(f);
	assert_contains(buf, " 10 checkout");
	assert_contains(buf, " 13 checkout");
	assert_null(strstr(buf, " 14 checkout"));
}

static void
test_rotate_tamper_and_loss(void **state)
{
	struct fixture *fx = *state;
	struct journal *j;
	char name[128], err[256], buf[8192], path[512], cmd[1024];
	sqlite3 *db;

	j = open_ok(fx->dir);
	append_n(j, 1, 6);
	assert_int_equal(
	    journal_rotate(j, name, sizeof(name), err, sizeof(err)), 0);
	append_n(j, 7, 3);
	journal_close(j);

	/* An edited record in an archive. */
	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "UPDATE records SET user='mallory' WHERE seq=3",
		NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(run_verify(fx->dir, buf, sizeof(buf)), 1);
	assert_contains(buf, "record 3: MAC mismatch: altered\n");

	/* A lost archive: its records are reported missing. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(run_verify(fx->dir, buf, sizeof(buf)), 1);
	assert_contains(buf, "records 1..6 missing");
	(void)cmd;
}

/* A crash between the copy and the rename leaves a .tmp archive that the
 * next open puts in place; a crash before the live file let go of the
 * records leaves one that is dropped. */
static void
test_rotate_interrupted(void **state)
{
	struct fixture *fx = *state;
	struct journal *j;
	char name[128], err[256], buf[8192], from[512], to[512];

	j = open_ok(fx->dir);
	append_n(j, 1, 4);
	assert_int_equal(
	    journal_rotate(j, name, sizeof(name), err, sizeof(err)), 0);
	journal_close(j);
	snprintf(to, sizeof(to), "%s/%s", fx->dir, name);
	snprintf(from, sizeof(from), "%s/%s.tmp", fx->dir, name);
	assert_int_equal(rename(to, from), 0);

	j = open_ok(fx->dir);
	journal_close(j);
	assert_int_equal(count_archives(fx->dir, ".tmp"), 0);
	assert_int_equal(run_verify(fx->dir, buf, sizeof(buf)), 0);

	/* A stale .tmp whose records are still in the live file. */
	j = open_ok(fx->dir);
	append_n(j, 6, 2);
	journal_close(j);
	snprintf(from, sizeof(from),
	    "%s/journal-00000000000000000006-00000000000000000007.db.tmp",
	    fx->dir);
	assert_int_equal(link(to, from), 0);
	j = open_ok(fx->dir);
	journal_close(j);
	assert_int_equal(count_archives(fx->dir, ".tmp"), 0);
	assert_int_equal(count_archives(fx->dir, ".db"), 1);
	assert_int_equal(run_verify(fx->dir, buf, sizeof(buf)), 0);
}

/*
 * fdatasync as the journal calls it, wrapped (the test is linked with
 * --wrap=fdatasync; SQLite's own calls, inside libsqlite3, are not):
 * once gated, a call waits until the test opens the gate, or fails with
 * EIO when told to.
 */
int __real_fdatasync(int);
int __wrap_fdatasync(int);

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_closed, gate_waiting, gate_fail;

int
__wrap_fdatasync(int fd)
{
	pthread_mutex_lock(&gate_mu);
	if (gate_fail) {
		pthread_mutex_unlock(&gate_mu);
		errno = EIO;
		return -1;
	}
	gate_waiting++;
	pthread_cond_broadcast(&gate_cv);
	while (gate_closed)
		pthread_cond_wait(&gate_cv, &gate_mu);
	gate_waiting--;
	pthread_mutex_unlock(&gate_mu);
	return __real_fdatasync(fd);
}

/* Rows in records, read through a connection of the test's own. */
static int64_t
count_rows(const char *dir)
{
	char path[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n = -1;

	snprintf(path, sizeof(path), "%s/journal.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM records", -1, &st,
		NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/*
 * With journal.sync "full" the writer commits without SQLite's sync and
 * the syncer's fdatasync makes the batch durable: nothing may count as
 * committed (no reply may leave) while that fdatasync has not returned,
 * even though the rows are already in the log.
 */
static void
test_sync_before_ack(void **state)
{
	struct fixture *fx = *state;
	struct cb_state cs = {0};
	struct journal_record r;
	struct journal *j;
	uint64_t base;
	int i;

	j = open_ok(fx->dir);
	cs.j = j;
	assert_int_equal(journal_set_sync(j, 1), 0);
	assert_int_equal(journal_start(j, on_commit, &cs), 0);
	base = journal_committed_seq(j);

	pthread_mutex_lock(&gate_mu);
	gate_closed = 1;
	pthread_mutex_unlock(&gate_mu);
	for (i = 1; i <= 10; i++) {
		make_rec(&r, "checkout", i);
		assert_int_equal(journal_append(j, &r), base + (uint64_t)i);
	}
	journal_flush(j);

	/* The syncer is held in fdatasync; the rows are in the log. */
	pthread_mutex_lock(&gate_mu);
	for (i = 0; i < 1000 && gate_waiting == 0; i++) {
		pthread_mutex_unlock(&gate_mu);
		usleep(10000);
		pthread_mutex_lock(&gate_mu);
	}
	i = gate_waiting;
	pthread_mutex_unlock(&gate_mu);
	if (i == 0)
		fail_msg("no fdatasync of the log within 10 s; committed %llu",
		    (unsigned long long)journal_committed_seq(j));
	for (i = 0; i < 500 && count_rows(fx->dir) < 10; i++)
		usleep(10000);
	assert_int_equal(count_rows(fx->dir), 10);
	usleep(50000);
	assert_int_equal(journal_committed_seq(j), base);

	/* Records appended meanwhile are committed behind it. */
	make_rec(&r, "checkin", 11);
	assert_int_equal(journal_append(j, &r), base + 11);
	journal_flush(j);

	pthread_mutex_lock(&gate_mu);
	gate_closed = 0;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(journal_committed_seq(j), base + 11);
	journal_close(j);
	assert_int_equal(atomic_load(&cs.went_back), 0);
	assert_int_equal(count_rows(fx->dir), 11);
}

/*
 * A failed fdatasync leaves the log in an unknown state: the process
 * stops (SIGABRT) rather than acknowledge what may not be on disk, and
 * the records written before it stay acknowledged and readable.
 */
static void
test_sync_failure_stops(void **state)
{
	struct fixture *fx = *state;
	struct journal_record r;
	struct journal *j;
	int status, fds[2];
	uint64_t seen = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t c;

		close(fds[0]);
		j = open_ok(fx->dir);
		if (journal_set_sync(j, 1) == -1 ||
		    journal_start(j, NULL, NULL) == -1)
			_exit(2);
		make_rec(&r, "checkout", 1);
		journal_append(j, &r);
		if (journal_sync(j) == -1)
			_exit(3);
		c = journal_committed_seq(j);
		if (write(fds[1], &c, sizeof(c)) != sizeof(c))
			_exit(4);
		pthread_mutex_lock(&gate_mu);
		gate_fail = 1;
		pthread_mutex_unlock(&gate_mu);
		make_rec(&r, "checkin", 2);
		journal_append(j, &r);
		(void)journal_sync(j);
		c = journal_committed_seq(j);
		(void)write(fds[1], &c, sizeof(c));
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &seen, sizeof(seen)), sizeof(seen));
	assert_int_equal(seen, 1);
	/* Nothing more: the child stopped before it could say. */
	assert_int_equal(read(fds[0], &seen, sizeof(seen)), 0);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);

	j = open_ok(fx->dir);
	assert_true(journal_committed_seq(j) >= 1);
	journal_close(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_reopen_continuity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_verify, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_grants_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_verify_tamper, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_grants_upgrade, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_retry, setup, teardown),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test_setup_teardown(
		test_rotate_series, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_rotate_tamper_and_loss, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_rotate_interrupted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_show, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_append_fill, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_stress_threads, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_checkpoint_off_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_machines_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_machines_upgrade, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_sync_before_ack, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_sync_failure_stops, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
