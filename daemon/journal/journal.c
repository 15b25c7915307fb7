/*
 * The journal writer: opening journal.db, the open batch filled by the
 * loop, and the writer thread that commits batches (group commit).
 *
 * Schema (version 1, kept in meta under "schema_version"):
 *
 *   records(seq INTEGER PRIMARY KEY, time_ms, type, frontend, feature,
 *       version, count, unit, user, host, display, address, machine_id,
 *       handle, in_use_after, duration_ms, reason, detail, mac BLOB)
 *     One row per state change, never updated or deleted; mac chains it
 *     to the previous row (see journal_chain.c).
 *
 *   grants(handle INTEGER PRIMARY KEY, feature, version, vendor, count,
 *       unit, user, host, display, address, project, frontend, pid,
 *       start_ms, last_heartbeat_ms, linger, linger_until_ms,
 *       borrowed_until_ms)
 *     The grants active after the last committed record: what a restart
 *     restores.  borrowed_until_ms (0 unless borrowed) came after the
 *     first databases were written: journal_open adds it to a grants
 *     table that lacks it, with 0 for the grants already there, and the
 *     schema version stays 1.  Changed in the same transaction as the records
 * that cause the change (grant_op of struct journal_record).
 *
 *   machines("group", machine_id, product, class, host, unit,
 *       first_seen_ms, last_seen_ms, activated_until_ms), primary key
 *       ("group", machine_id)
 *     What the activation table knows of each machine (class 0 client,
 *     1 server), changed in the transaction of the record that carries
 *     the change (machine_op), restored at start.  It came after the
 *     first databases: CREATE TABLE IF NOT EXISTS adds it to them, and
 *     the schema version stays 1.  Not covered by the MAC chain, like
 *     the grants table.
 *
 *   meta(key TEXT PRIMARY KEY, value)
 *     schema_version  1
 *     key_check       HMAC(key, a fixed label): journal.key belongs here
 *     last_seq        seq of the last committed record
 *     last_mac        its mac
 *     last_seq and last_mac are written in the transaction of each batch,
 *     so that verify can tell that the newest records were deleted.
 *
 * Locking: the open batch, the flags and the wake-ups are under j->mu.
 * The sequence counters are C11 atomics so that any thread may read them.
 * The SQLite connection and the chain state belong to whichever thread
 * commits: the caller before journal_start() and after the writer has
 * been joined, the writer in between.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "journal_int.h"

/* Past this many records the open batch is "large": the disk is failing
 * or far too slow.  It still grows (see journal_append). */
#define JOURNAL_BATCH_SOFT_MAX 100000

/* The write-ahead log's length, in pages, at which the checkpointer is
 * poked (SQLite's own default), and at which the writer checkpoints
 * between two batches itself because the checkpointer has not caught up
 * (64 MiB of log at 4 KiB pages). */
#define JOURNAL_CKPT_PAGES 1000
#define JOURNAL_CKPT_HARD_PAGES 16000

/* While the log stays past JOURNAL_CKPT_PAGES (the checkpointer copied it
 * but a commit came before the log could start again), the next poke
 * waits for this many more pages: a checkpoint after every commit would
 * spend two fsyncs to copy a few pages. */
#define JOURNAL_CKPT_STEP_PAGES 256

/* The checkpointer's last checkpoint left at most this many pages behind:
 * the writer copies them itself between two batches, a short stall, and
 * the log starts again at the next commit. */
#define JOURNAL_CKPT_CATCHUP_PAGES 128

/* Commit retry back-off, milliseconds. */
#define JOURNAL_RETRY_MIN_MS 100
#define JOURNAL_RETRY_MAX_MS 2000

/* journal_sync gives up (returns -1) after this many failed commits
 * during one call; the writer itself keeps retrying until journal_close. */
#define JOURNAL_SYNC_FAILS 5

enum journal_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_INSERT,
	ST_GRANT_PUT,
	ST_GRANT_DEL,
	ST_META_PUT,
	ST_MACHINE_PUT,
	ST_MACHINE_DEL,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_INSERT] = ("INSERT INTO records (" JOURNAL_RECORD_COLUMNS ", mac) "
		   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
    [ST_GRANT_PUT] = ("INSERT OR REPLACE INTO grants (handle, feature, "
		      "version, vendor, count, unit, user, host, display, "
		      "address, project, frontend, pid, start_ms, "
		      "last_heartbeat_ms, linger, linger_until_ms, "
		      "borrowed_until_ms) "
		      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
    [ST_GRANT_DEL] = "DELETE FROM grants WHERE handle = ?",
    /* An upsert, not INSERT OR REPLACE: a replace deletes the row and
     * inserts it again under a new rowid, which rewrote meta's key index
     * page too, one more page in the log at every commit. */
    [ST_META_PUT] = ("INSERT INTO meta (key, value) VALUES (?, ?) "
		     "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    [ST_MACHINE_PUT] = ("INSERT OR REPLACE INTO machines (\"group\", "
			"machine_id, product, class, host, unit, "
			"first_seen_ms, last_seen_ms, activated_until_ms) "
			"VALUES (?,?,?,?,?,?,?,?,?)"),
    [ST_MACHINE_DEL] = ("DELETE FROM machines WHERE \"group\" = ? AND "
			"machine_id = ?"),
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta ("
    " key TEXT PRIMARY KEY NOT NULL, value);"
    "CREATE TABLE IF NOT EXISTS records ("
    " seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,"
    " type TEXT NOT NULL, frontend TEXT NOT NULL, feature TEXT NOT NULL,"
    " version TEXT NOT NULL, count INTEGER NOT NULL, unit TEXT NOT NULL,"
    " user TEXT NOT NULL, host TEXT NOT NULL, display TEXT NOT NULL,"
    " address TEXT NOT NULL, machine_id TEXT NOT NULL,"
    " handle INTEGER NOT NULL, in_use_after INTEGER NOT NULL,"
    " duration_ms INTEGER NOT NULL, reason TEXT NOT NULL,"
    " detail TEXT NOT NULL, mac BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS grants ("
    " handle INTEGER PRIMARY KEY, feature TEXT NOT NULL,"
    " version TEXT NOT NULL, vendor TEXT NOT NULL, count INTEGER NOT NULL,"
    " unit TEXT NOT NULL, user TEXT NOT NULL, host TEXT NOT NULL,"
    " display TEXT NOT NULL, address TEXT NOT NULL,"
    " project TEXT NOT NULL, frontend TEXT NOT NULL,"
    " pid INTEGER NOT NULL, start_ms INTEGER NOT NULL,"
    " last_heartbeat_ms INTEGER NOT NULL, linger INTEGER NOT NULL,"
    " linger_until_ms INTEGER NOT NULL,"
    " borrowed_until_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS machines ("
    " \"group\" TEXT NOT NULL, machine_id TEXT NOT NULL,"
    " product TEXT NOT NULL, class INTEGER NOT NULL, host TEXT NOT NULL,"
    " unit TEXT NOT NULL, first_seen_ms INTEGER NOT NULL,"
    " last_seen_ms INTEGER NOT NULL, activated_until_ms INTEGER NOT NULL,"
    " PRIMARY KEY (\"group\", machine_id));"
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', 1);";

/*
 * The text last bound to one parameter of a statement, in the journal's
 * own memory.  Records in a row repeat most of their texts (front end,
 * feature, version, unit, user, host, address), and each sqlite3_bind_text
 * cost some 180 instructions: a parameter whose new text is the same
 * bytes stays bound.  SQLITE_STATIC to text, which lives as long as the
 * statements do.  Every record field fits (detail is the longest).
 */
#define JOURNAL_BOUND_MAX 256
#define JOURNAL_GRANT_PARAMS 18

struct journal_bound {
	int set;
	int len;
	char text[JOURNAL_BOUND_MAX];
};

/* A batch of records with room for their MACs. */
struct journal_batch {
	struct journal_record *recs;
	size_t n;
	size_t cap;
};

struct journal {
	char dir[CORE_PATH_MAX];
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	unsigned char key[JOURNAL_KEY_LEN];
	int key_fd; /* held open for its flock: one writer per state dir */

	/* Chain state: the last committed record.  Owned by the committer. */
	unsigned char chain_mac[JOURNAL_MAC_LEN];
	unsigned char *macs; /* scratch for one batch */
	struct journal_fields *fields; /* and its records' fields */
	size_t macs_cap;

	/* The writer's: what ST_INSERT's and ST_GRANT_PUT's parameters are
	 * bound to, by parameter number. */
	struct journal_bound rec_bound[1 + JCOL_MAC];
	struct journal_bound grant_bound[1 + JOURNAL_GRANT_PARAMS];

	pthread_mutex_t mu;
	pthread_cond_t work_cv; /* writer waits: batch handed over, or stop */
	pthread_cond_t retry_cv; /* writer backs off; only stop wakes it */
	pthread_cond_t done_cv; /* sync waits: batch committed or failed */
	struct journal_batch open;
	struct journal_batch cur; /* the batch being committed */
	uint64_t next_seq;
	int handed; /* journal_flush asked for the open batch */
	int busy; /* the writer holds a batch */
	int stop; /* journal_close: finish and leave */
	int exited; /* the writer thread has returned */
	int started; /* a writer thread exists (to be joined) */
	pthread_t thread;

	journal_committed_fn committed_fn;
	void *committed_arg;

	/* Sync behind (journal.sync "full" once started): the writer
	 * commits with synchronous=NORMAL and goes on with the next batch
	 * while the syncer thread fdatasyncs the log (its own descriptor of
	 * journal.db-wal) and only then advances committed_seq.  Under mu. */
	int behind; /* a syncer runs */
	int wal_fd;
	uint64_t written_seq; /* writer: in the log, maybe not on disk */
	int sync_stop;
	pthread_cond_t sync_cv; /* syncer waits: written_seq moved, stop */
	pthread_t syncer;

	/* Checkpoints off the commit path (journal_ckpt.c); NULL leaves
	 * them to SQLite inside the commits. */
	struct journal_ckpt *ckpt;
	int sync_full; /* journal_set_sync, for the checkpointer */
	_Atomic int wal_pages; /* the log's length after the last commit */
	int inline_ckpt_pages; /* writer: wal_pages at its own last one */
	int poked_pages; /* committer: wal_pages at the last poke */
	unsigned wal_gen; /* committer: times the log started again */

	_Atomic uint64_t last_seq;
	struct journal_mac_key *mac_key; /* writer: j->key, set up */
	_Atomic uint64_t committed_seq;
	_Atomic uint64_t errors;
	_Atomic uint64_t max_handle;

	/* The last commit failed (disk full, state directory unwritable):
	 * set and cleared by the writer; why under mu. */
	_Atomic int failing;
	char fail_why[256];
	char last_err[256]; /* writer only: SQLite's words, before rollback */
};

static int fsync_path(const char *, int);

static void
db_error(struct journal *j, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s/%s: %s: %s", j->dir, JOURNAL_DB, what,
	    sqlite3_errmsg(j->db));
}

/* Binds text of len bytes to parameter idx of st unless it is bound to
 * the same bytes already (see struct journal_bound). */
static int
bind_cached(sqlite3_stmt *st, int idx, struct journal_bound *b, const char *s,
    size_t len)
{
	int rc;

	if (b->set && (size_t)b->len == len && memcmp(b->text, s, len) == 0)
		return SQLITE_OK;
	b->set = 0;
	if (len > sizeof(b->text))
		return sqlite3_bind_text(st, idx, s, (int)len, SQLITE_STATIC);
	memcpy(b->text, s, len);
	b->len = (int)len;
	rc = sqlite3_bind_text(st, idx, b->text, (int)len, SQLITE_STATIC);
	b->set = rc == SQLITE_OK;
	return rc;
}

/* A fixed-size field may lack its terminator: never read past it. */
#define BIND_FIELD(st, b, idx, s) \
	bind_cached((st), (idx), &(b)[idx], (s), strnlen((s), sizeof(s)))

/* After sqlite3_clear_bindings: nothing is bound any more. */
static void
bound_forget(struct journal_bound *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i].set = 0;
}

static int
bind_text(sqlite3_stmt *st, int idx, const char *s, size_t size)
{
	return sqlite3_bind_text(
	    st, idx, s, (int)strnlen(s, size), SQLITE_STATIC);
}

#define BIND_TEXT(st, idx, s) bind_text((st), (idx), (s), sizeof(s))

static int
exec_stmt(struct journal *j, enum journal_stmt which)
{
	sqlite3_stmt *st = j->st[which];
	int rc;

	/* No sqlite3_clear_bindings: every caller binds all of a statement's
	 * parameters before each step, and clearing them cost more than a
	 * tenth of the writer's SQLite time. */
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Binds the fields the record's MAC was computed from, so that the row
 * holds exactly what the chain covers, and inserts it. */
static int
insert_record(
    struct journal *j, const struct journal_fields *f, const unsigned char *mac)
{
	sqlite3_stmt *st = j->st[ST_INSERT];
	int c, rc = 0;

	for (c = 0; c < JCOL_MAC; c++) {
		if (journal_col_is_text(c))
			rc |= bind_cached(st, 1 + c, &j->rec_bound[1 + c],
			    f->str[c], f->len[c]);
		else
			rc |= sqlite3_bind_int64(st, 1 + c, f->num[c]);
	}
	rc |= sqlite3_bind_blob(
	    st, 1 + JCOL_MAC, mac, JOURNAL_MAC_LEN, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		bound_forget(j->rec_bound, 1 + JCOL_MAC);
		return -1;
	}
	return exec_stmt(j, ST_INSERT);
}

static int
put_grant(struct journal *j, const struct core_grant_info *g)
{
	sqlite3_stmt *st = j->st[ST_GRANT_PUT];
	struct journal_bound *b = j->grant_bound;
	int rc = 0;

	rc |= sqlite3_bind_int64(st, 1, (sqlite3_int64)g->handle);
	rc |= BIND_FIELD(st, b, 2, g->feature);
	rc |= BIND_FIELD(st, b, 3, g->version);
	rc |= BIND_FIELD(st, b, 4, g->vendor);
	rc |= sqlite3_bind_int64(st, 5, g->count);
	rc |= BIND_FIELD(st, b, 6, g->unit);
	rc |= BIND_FIELD(st, b, 7, g->user);
	rc |= BIND_FIELD(st, b, 8, g->host);
	rc |= BIND_FIELD(st, b, 9, g->display);
	rc |= BIND_FIELD(st, b, 10, g->address);
	rc |= BIND_FIELD(st, b, 11, g->project);
	rc |= BIND_FIELD(st, b, 12, g->frontend);
	rc |= sqlite3_bind_int64(st, 13, g->pid);
	rc |= sqlite3_bind_int64(st, 14, g->start);
	rc |= sqlite3_bind_int64(st, 15, g->last_heartbeat);
	rc |= sqlite3_bind_int64(st, 16, g->linger);
	rc |= sqlite3_bind_int64(st, 17, g->linger_until);
	rc |= sqlite3_bind_int64(st, 18, g->borrowed_until);
	if (rc != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		bound_forget(b, 1 + JOURNAL_GRANT_PARAMS);
		return -1;
	}
	return exec_stmt(j, ST_GRANT_PUT);
}

static int
del_grant(struct journal *j, uint64_t handle)
{
	if (sqlite3_bind_int64(j->st[ST_GRANT_DEL], 1, (sqlite3_int64)handle) !=
	    SQLITE_OK)
		return -1;
	return exec_stmt(j, ST_GRANT_DEL);
}

static int
put_machine(struct journal *j, const struct act_machine_info *m)
{
	sqlite3_stmt *st = j->st[ST_MACHINE_PUT];
	int rc = 0;

	rc |= BIND_TEXT(st, 1, m->group);
	rc |= BIND_TEXT(st, 2, m->machine_id);
	rc |= BIND_TEXT(st, 3, m->product);
	rc |= sqlite3_bind_int(st, 4, (int)m->cls);
	rc |= BIND_TEXT(st, 5, m->host);
	rc |= BIND_TEXT(st, 6, m->unit);
	rc |= sqlite3_bind_int64(st, 7, m->first_seen);
	rc |= sqlite3_bind_int64(st, 8, m->last_seen);
	rc |= sqlite3_bind_int64(st, 9, m->activated_until);
	if (rc != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -1;
	}
	return exec_stmt(j, ST_MACHINE_PUT);
}

static int
del_machine(struct journal *j, const struct act_machine_info *m)
{
	sqlite3_stmt *st = j->st[ST_MACHINE_DEL];

	if (BIND_TEXT(st, 1, m->group) != SQLITE_OK ||
	    BIND_TEXT(st, 2, m->machine_id) != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -1;
	}
	return exec_stmt(j, ST_MACHINE_DEL);
}

static int
put_meta_int(struct journal *j, const char *key, int64_t v)
{
	sqlite3_stmt *st = j->st[ST_META_PUT];

	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, v) != SQLITE_OK)
		return -1;
	return exec_stmt(j, ST_META_PUT);
}

static int
put_meta_blob(struct journal *j, const char *key, const void *p, int n)
{
	sqlite3_stmt *st = j->st[ST_META_PUT];

	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 2, p, n, SQLITE_STATIC) != SQLITE_OK)
		return -1;
	return exec_stmt(j, ST_META_PUT);
}

/*
 * Commits one batch in one transaction: its records, their grant changes
 * and the new tail in meta.  The MACs are computed afresh from chain_mac
 * on every attempt, and chain_mac advances only once COMMIT succeeded, so
 * a failed attempt leaves nothing behind.  Returns 0 or -1.
 */
static int
commit_batch(struct journal *j, const struct journal_batch *b)
{
	struct journal_fields *f;
	const unsigned char *prev = j->chain_mac;
	unsigned char *mac;
	int64_t start_ns = journal_stats_clock();
	size_t i;

	if (b->n == 0)
		return 0;
	if (j->macs_cap < b->n) {
		mac = realloc(j->macs, b->n * JOURNAL_MAC_LEN);
		if (mac == NULL)
			return -1;
		j->macs = mac;
		f = realloc(j->fields, b->n * sizeof(*f));
		if (f == NULL)
			return -1;
		j->fields = f;
		j->macs_cap = b->n;
	}
	if (j->mac_key == NULL &&
	    (j->mac_key = journal_mac_key_new(j->key)) == NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		mac = j->macs + i * JOURNAL_MAC_LEN;
		f = &j->fields[i];
		journal_fields_from_record(f, &b->recs[i]);
		if (journal_mac_keyed(j->mac_key, prev, f, mac) == -1)
			return -1;
		prev = mac;
	}

	if (exec_stmt(j, ST_BEGIN) == -1) {
		snprintf(j->last_err, sizeof(j->last_err), "%s",
		    sqlite3_errmsg(j->db));
		return -1;
	}
	for (i = 0; i < b->n; i++) {
		const struct journal_record *r = &b->recs[i];

		if (insert_record(
			j, &j->fields[i], j->macs + i * JOURNAL_MAC_LEN) == -1)
			goto fail;
		if (r->grant_op == JOURNAL_GRANT_PUT &&
		    put_grant(j, &r->grant) == -1)
			goto fail;
		if (r->grant_op == JOURNAL_GRANT_DEL &&
		    del_grant(j, r->handle) == -1)
			goto fail;
		if (r->machine_op == JOURNAL_MACHINE_PUT &&
		    put_machine(j, &r->machine) == -1)
			goto fail;
		if (r->machine_op == JOURNAL_MACHINE_DEL &&
		    del_machine(j, &r->machine) == -1)
			goto fail;
	}
	if (put_meta_int(j, "last_seq", (int64_t)b->recs[b->n - 1].seq) == -1 ||
	    put_meta_blob(j, "last_mac", prev, JOURNAL_MAC_LEN) == -1)
		goto fail;
	if (exec_stmt(j, ST_COMMIT) == -1)
		goto fail;

	memcpy(j->chain_mac, prev, JOURNAL_MAC_LEN);
	journal_stats_commit(b->n, start_ns);
	return 0;

fail:
	snprintf(j->last_err, sizeof(j->last_err), "%s", sqlite3_errmsg(j->db));
	if (!sqlite3_get_autocommit(j->db))
		(void)exec_stmt(j, ST_ROLLBACK);
	return -1;
}

static void
batch_swap(struct journal_batch *a, struct journal_batch *b)
{
	struct journal_batch t = *a;

	*a = *b;
	*b = t;
}

/* Waits up to ms, or until journal_close; j->mu held.  Not on work_cv:
 * the loop flushes every iteration and would cut the back-off short. */
static void
wait_ms(struct journal *j, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&j->retry_cv, &j->mu, &ts);
}

/*
 * The checkpointer cannot let the log start again by itself while the
 * writer keeps committing: a checkpoint must find the end of the log
 * still where it began.  The writer, between two batches where nothing
 * overtakes it, copies what is left when the checkpointer has done most
 * of the work (JOURNAL_CKPT_CATCHUP_PAGES), or everything once the log
 * has grown too long (JOURNAL_CKPT_HARD_PAGES).  Only a reader holding an
 * old snapshot keeps it from catching up; then it tries again only once
 * the log has grown another JOURNAL_CKPT_PAGES.  j->mu held; dropped
 * while the checkpoint runs.
 */
static void
writer_checkpoint(struct journal *j)
{
	int pages = atomic_load(&j->wal_pages);
	int64_t start_ns;
	int left, rc;

	if (pages < JOURNAL_CKPT_PAGES ||
	    (j->inline_ckpt_pages != 0 &&
		pages < j->inline_ckpt_pages + JOURNAL_CKPT_PAGES))
		return;
	left = journal_ckpt_left(j->ckpt, j->wal_gen, pages);
	if (pages < JOURNAL_CKPT_HARD_PAGES &&
	    (left < 0 || left > JOURNAL_CKPT_CATCHUP_PAGES))
		return;
	pthread_mutex_unlock(&j->mu);
	start_ns = journal_stats_clock();
	rc = sqlite3_wal_checkpoint_v2(
	    j->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	journal_stats_checkpoint(rc == SQLITE_OK, start_ns);
	pthread_mutex_lock(&j->mu);
	j->inline_ckpt_pages = pages;
}

static void *
writer_main(void *arg)
{
	struct journal *j = arg;
	long delay;
	int rc;

	/* Names for top -H, perf and gdb (at most 15 characters). */
	(void)pthread_setname_np(pthread_self(), "licd-journal");
	pthread_mutex_lock(&j->mu);
	for (;;) {
		/* Idle: wait for a flush.  Just after a commit we come back
		 * here with busy set and take what piled up meanwhile. */
		while (!j->stop && j->open.n == 0)
			pthread_cond_wait(&j->work_cv, &j->mu);
		while (!j->stop && !j->handed && !j->busy)
			pthread_cond_wait(&j->work_cv, &j->mu);
		if (j->open.n == 0)
			break; /* stopping, nothing left */
		batch_swap(&j->open, &j->cur);
		j->open.n = 0;
		j->handed = 0;
		j->busy = 1;

		delay = JOURNAL_RETRY_MIN_MS;
		for (;;) {
			pthread_mutex_unlock(&j->mu);
			rc = commit_batch(j, &j->cur);
			pthread_mutex_lock(&j->mu);
			if (rc == 0)
				break;
			atomic_fetch_add(&j->errors, 1);
			snprintf(j->fail_why, sizeof(j->fail_why), "%s/%s: %s",
			    j->dir, JOURNAL_DB,
			    j->last_err[0] ? j->last_err : "commit failed");
			atomic_store(&j->failing, 1);
			pthread_cond_broadcast(&j->done_cv);
			/* Closing: one attempt after the stop, then give
			 * up; nothing in the batch was acknowledged. */
			if (j->stop)
				goto out;
			/* Wake the loop so that it sees the failure (it
			 * logs it and refuses changes) without polling. */
			if (j->committed_fn != NULL) {
				pthread_mutex_unlock(&j->mu);
				j->committed_fn(j->committed_arg);
				pthread_mutex_lock(&j->mu);
			}
			wait_ms(j, delay);
			delay *= 2;
			if (delay > JOURNAL_RETRY_MAX_MS)
				delay = JOURNAL_RETRY_MAX_MS;
		}
		atomic_store(&j->failing, 0);
		if (j->behind) {
			/* Durable only once the syncer's fdatasync that
			 * starts after this point returns. */
			j->written_seq = j->cur.recs[j->cur.n - 1].seq;
			j->cur.n = 0;
			pthread_cond_signal(&j->sync_cv);
		} else {
			atomic_store(
			    &j->committed_seq, j->cur.recs[j->cur.n - 1].seq);
			j->cur.n = 0;
			pthread_cond_broadcast(&j->done_cv);
			if (j->committed_fn != NULL) {
				pthread_mutex_unlock(&j->mu);
				j->committed_fn(j->committed_arg);
				pthread_mutex_lock(&j->mu);
			}
		}
		if (j->ckpt != NULL)
			writer_checkpoint(j);
		/* Still busy: the loop above takes the next batch at once
		 * if records arrived while we committed. */
		if (j->open.n == 0)
			j->busy = 0;
	}
out:
	j->busy = 0;
	j->exited = 1;
	pthread_cond_broadcast(&j->done_cv);
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* See syncer_main for why a failure ends the process. */
static void
wal_sync_or_die(struct journal *j)
{
	if (fdatasync(j->wal_fd) == 0)
		return;
	fprintf(stderr,
	    "licd: %s/%s-wal: fdatasync: %s; records after seq %llu may "
	    "not be on disk: stopping\n",
	    j->dir, JOURNAL_DB, strerror(errno),
	    (unsigned long long)atomic_load(&j->committed_seq));
	abort();
}

/*
 * The syncer: makes what the writer committed durable, one fdatasync for
 * everything written since the last one, while the writer commits the
 * next batch.  fdatasync on a descriptor of our own flushes the file's
 * pages whoever wrote them.  A failed fdatasync cannot be retried safely
 * (Linux may have dropped the pages it could not write, and a second
 * call then succeeds): what was written is of unknown state, nothing
 * after committed_seq may be acknowledged, so licd stops here and the
 * restart recovers what the disk holds.
 */
static void *
syncer_main(void *arg)
{
	struct journal *j = arg;
	int64_t start_ns;
	uint64_t target;

	(void)pthread_setname_np(pthread_self(), "licd-sync");
	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (!j->sync_stop &&
		    j->written_seq <= atomic_load(&j->committed_seq))
			pthread_cond_wait(&j->sync_cv, &j->mu);
		if (j->written_seq <= atomic_load(&j->committed_seq))
			break; /* stopping, nothing left */
		target = j->written_seq;
		pthread_mutex_unlock(&j->mu);

		start_ns = journal_stats_clock();
		wal_sync_or_die(j);
		journal_stats_sync(start_ns);

		pthread_mutex_lock(&j->mu);
		atomic_store(&j->committed_seq, target);
		pthread_cond_broadcast(&j->done_cv);
		if (j->committed_fn != NULL) {
			pthread_mutex_unlock(&j->mu);
			j->committed_fn(j->committed_arg);
			pthread_mutex_lock(&j->mu);
		}
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/*
 * With journal.sync "full", moves the durability of a commit from
 * SQLite's own sync inside COMMIT to the syncer.  SQLite still syncs
 * the log before a checkpoint copies it and when the log starts again
 * (its header), whatever the setting.  Without a descriptor of the log
 * or a thread, SQLite keeps syncing inside each COMMIT, as before.
 * j->mu held.
 */
static void
syncer_start(struct journal *j)
{
	char path[CORE_PATH_MAX + 32];

	if (!j->sync_full || j->behind ||
	    journal_path(path, sizeof(path), j->dir, JOURNAL_DB "-wal") == -1)
		return;
	/* SQLite creates the log when the database is first read in WAL
	 * mode, and removes it only when its last connection closes. */
	if ((j->wal_fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	/* The log's name in the directory: SQLite syncs the directory
	 * after the first sync of a new log; from now on it does not. */
	if (fdatasync(j->wal_fd) == -1 || fsync_path(j->dir, 1) == -1 ||
	    sqlite3_exec(j->db, "PRAGMA synchronous=NORMAL", NULL, NULL,
		NULL) != SQLITE_OK)
		goto fail;
	j->sync_stop = 0;
	j->written_seq = atomic_load(&j->committed_seq);
	if (pthread_create(&j->syncer, NULL, syncer_main, j) != 0) {
		(void)sqlite3_exec(
		    j->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
		goto fail;
	}
	j->behind = 1;
	return;

fail:
	close(j->wal_fd);
	j->wal_fd = -1;
}

/* Once the writer has been joined: the syncer makes the rest durable
 * and leaves; SQLite syncs inside COMMIT again. */
static void
syncer_stop(struct journal *j)
{
	pthread_mutex_lock(&j->mu);
	if (!j->behind) {
		pthread_mutex_unlock(&j->mu);
		return;
	}
	j->sync_stop = 1;
	pthread_cond_signal(&j->sync_cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->syncer, NULL);
	j->behind = 0;
	(void)sqlite3_exec(j->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
	close(j->wal_fd);
	j->wal_fd = -1;
}

static int
prepare_all(struct journal *j, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(j->db, stmt_sql[i], -1,
			SQLITE_PREPARE_PERSISTENT, &j->st[i],
			NULL) != SQLITE_OK) {
			db_error(j, "prepare", err, errlen);
			return -1;
		}
	}
	return 0;
}

/* Runs a one-row, one-column query; returns 1 with the value, 0 when
 * there is no row or it is NULL, -1 on error. */
static int
query_int(struct journal *j, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*out = sqlite3_column_int64(st, 0);
		rc = 1;
	} else
		rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

/* Like query_int for a blob of exactly len bytes. */
static int
query_blob(struct journal *j, const char *sql, unsigned char *out, size_t len)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		if ((size_t)sqlite3_column_bytes(st, 0) == len) {
			memcpy(out, sqlite3_column_blob(st, 0), len);
			rc = 1;
		} else
			rc = -1;
	} else
		rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

/* Reads where the chain stands and the largest handle. */
static int
load_state(struct journal *j, char *err, size_t errlen)
{
	int64_t rec_seq = 0, meta_seq = 0, v = 0, h = 0;
	int have;

	if (query_int(j, "SELECT max(seq) FROM records", &rec_seq) == -1 ||
	    query_int(j, "SELECT value FROM meta WHERE key = 'last_seq'",
		&meta_seq) == -1) {
		db_error(j, "read tail", err, errlen);
		return -1;
	}
	/*
	 * Continue after whichever is further: if the newest records went
	 * missing, new ones must not reuse their numbers (verify reports the
	 * gap).  The chain continues from that record's MAC.
	 */
	memset(j->chain_mac, 0, sizeof(j->chain_mac));
	if (meta_seq > rec_seq)
		have = query_blob(j,
		    "SELECT value FROM meta WHERE key = 'last_mac'",
		    j->chain_mac, JOURNAL_MAC_LEN);
	else
		have = query_blob(j,
		    "SELECT mac FROM records ORDER BY seq DESC LIMIT 1",
		    j->chain_mac, JOURNAL_MAC_LEN);
	if (have == -1) {
		snprintf(err, errlen, "%s/%s: cannot read the last MAC", j->dir,
		    JOURNAL_DB);
		return -1;
	}
	j->next_seq = (uint64_t)(meta_seq > rec_seq ? meta_seq : rec_seq) + 1;
	atomic_store(&j->last_seq, j->next_seq - 1);
	atomic_store(&j->committed_seq, j->next_seq - 1);

	if (query_int(j, "SELECT max(handle) FROM records", &v) == -1 ||
	    query_int(j, "SELECT max(handle) FROM grants", &h) == -1) {
		db_error(j, "read handles", err, errlen);
		return -1;
	}
	if (v < h)
		v = h;
	/* Rotation moves records out; meta keeps the largest handle. */
	if (query_int(j, "SELECT value FROM meta WHERE key = 'max_handle'",
		&h) == -1) {
		db_error(j, "read handles", err, errlen);
		return -1;
	}
	atomic_store(&j->max_handle, (uint64_t)(v > h ? v : h));
	return 0;
}

/* A file's name in the state directory: journal-FIRST-LAST.db, numbers
 * zero-padded so that names sort in chain order. */
static void
archive_name(
    char *buf, size_t len, uint64_t first, uint64_t last, const char *suffix)
{
	snprintf(buf, len, "journal-%020" PRIu64 "-%020" PRIu64 ".db%s", first,
	    last, suffix);
}

static int
fsync_path(const char *path, int dir)
{
	int fd, rc;

	fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * A rotation cut short by a crash leaves journal-*.db.tmp: complete when
 * the live file no longer holds its records (the delete committed), void
 * otherwise.
 */
static void
finish_rotation(struct journal *j)
{
	char from[CORE_PATH_MAX + 64], to[CORE_PATH_MAX + 64];
	unsigned long long first, last;
	int64_t live_first = 0, have;
	struct dirent *de;
	DIR *d;
	int n;

	if ((d = opendir(j->dir)) == NULL)
		return;
	have = query_int(j, "SELECT min(seq) FROM records", &live_first);
	while ((de = readdir(d)) != NULL) {
		/* %n is set only when the whole pattern matched. */
		n = 0;
		if (sscanf(de->d_name, "journal-%20llu-%20llu.db.tmp%n", &first,
			&last, &n) != 2 ||
		    n == 0 || de->d_name[n] != '\0')
			continue;
		snprintf(from, sizeof(from), "%s/%s", j->dir, de->d_name);
		if (have == 1 && live_first != 0 &&
		    (uint64_t)live_first <= last) {
			unlink(from);
			continue;
		}
		snprintf(to, sizeof(to), "%s/%.*s", j->dir,
		    (int)(strlen(de->d_name) - 4), de->d_name);
		if (rename(from, to) == 0)
			(void)fsync_path(j->dir, 1);
	}
	closedir(d);
}

int
journal_rotate(
    struct journal *j, char *name, size_t namelen, char *err, size_t errlen)
{
	char tmp[CORE_PATH_MAX + 64], final[CORE_PATH_MAX + 64];
	char base[96], *sql;
	int64_t first = 0;
	uint64_t last;
	int rc;

	if (journal_sync(j) == -1) {
		snprintf(err, errlen, "the journal cannot commit");
		return -1;
	}
	if (query_int(j, "SELECT min(seq) FROM records", &first) == -1) {
		db_error(j, "read records", err, errlen);
		return -1;
	}
	if (first == 0) {
		snprintf(err, errlen, "no records since the last rotation");
		return -1;
	}
	last = atomic_load(&j->committed_seq);
	/* SQLite's error for an archive it cannot make says only "unable
	 * to open"; this says why. */
	if (access(j->dir, W_OK | X_OK) == -1) {
		snprintf(err, errlen,
		    "the state directory %s is not writable: %s", j->dir,
		    strerror(errno));
		return -1;
	}

	/*
	 * The loop thread is here and appends nothing, and the writer is idle
	 * after the sync: the connection is ours until we return.  XXX: the
	 * loop waits while the archive is written; rotate often enough (the
	 * monthly timer) that this stays short.
	 */
	archive_name(base, sizeof(base), (uint64_t)first, last, ".tmp");
	snprintf(tmp, sizeof(tmp), "%s/%s", j->dir, base);
	unlink(tmp);
	sql = sqlite3_mprintf("VACUUM INTO %Q", tmp);
	if (sql == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = sqlite3_exec(j->db, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK || fsync_path(tmp, 0) == -1) {
		db_error(j, "write the archive", err, errlen);
		unlink(tmp);
		return -1;
	}

	/* The live file keeps the grants, the key check and the tail, and
	 * learns where its chain starts. */
	if (exec_stmt(j, ST_BEGIN) == -1)
		goto dberr;
	if (sqlite3_exec(j->db, "DELETE FROM records", NULL, NULL, NULL) !=
		SQLITE_OK ||
	    put_meta_int(j, "first_seq", (int64_t)last + 1) == -1 ||
	    put_meta_blob(j, "anchor_mac", j->chain_mac, JOURNAL_MAC_LEN) ==
		-1 ||
	    put_meta_int(
		j, "max_handle", (int64_t)atomic_load(&j->max_handle)) == -1 ||
	    exec_stmt(j, ST_COMMIT) == -1) {
		if (!sqlite3_get_autocommit(j->db))
			(void)exec_stmt(j, ST_ROLLBACK);
		goto dberr;
	}
	/* A commit outside the writer: the syncer does not see it. */
	if (j->behind)
		wal_sync_or_die(j);

	archive_name(base, sizeof(base), (uint64_t)first, last, "");
	snprintf(final, sizeof(final), "%s/%s", j->dir, base);
	if (rename(tmp, final) == -1) {
		/* The records are in tmp; the next open completes it. */
		snprintf(err, errlen, "%s: %s", final, strerror(errno));
		return -1;
	}
	(void)fsync_path(j->dir, 1);
	snprintf(name, namelen, "%s", base);
	return 0;

dberr:
	db_error(j, "start the new file", err, errlen);
	unlink(tmp);
	return -1;
}

/*
 * Loads the key and takes the lock that keeps a second journal_open off
 * this directory for as long as the journal is open.
 */
static int
lock_key(struct journal *j, int create, char *err, size_t errlen)
{
	j->key_fd = journal_key_load(j->dir, create, j->key, err, errlen);
	if (j->key_fd == -1)
		return -1;
	if (flock(j->key_fd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(err, errlen, "%s: journal in use by another process",
		    j->dir);
		return -1;
	}
	return 0;
}

/*
 * Checks the key against the one the database was written with, or
 * records it when the database is new.  A missing key file for a database
 * that has one recorded is refused rather than replaced: a fresh key
 * would silently break the chain.
 */
static int
load_key(struct journal *j, char *err, size_t errlen)
{
	unsigned char want[JOURNAL_MAC_LEN], have[JOURNAL_MAC_LEN];
	int known;

	known = query_blob(j, "SELECT value FROM meta WHERE key = 'key_check'",
	    want, sizeof(want));
	if (known == -1) {
		db_error(j, "read key_check", err, errlen);
		return -1;
	}
	if (j->key_fd == -1 && lock_key(j, !known, err, errlen) == -1)
		return -1;
	if (journal_key_check(j->key, have) == -1) {
		snprintf(err, errlen, "HMAC failed");
		return -1;
	}
	if (known) {
		if (CRYPTO_memcmp(want, have, sizeof(want)) != 0) {
			snprintf(err, errlen,
			    "%s/%s does not belong to this journal.db", j->dir,
			    JOURNAL_KEY);
			return -1;
		}
		return 0;
	}
	if (put_meta_blob(j, "key_check", have, sizeof(have)) == -1) {
		db_error(j, "write key_check", err, errlen);
		return -1;
	}
	return 0;
}

/* A grants table written before borrowing existed lacks
 * borrowed_until_ms: add it, 0 for every grant it holds.  Returns 0 or
 * -1. */
static int
upgrade_grants(struct journal *j, char *err, size_t errlen)
{
	int64_t have = 0;

	if (query_int(j,
		"SELECT count(*) FROM pragma_table_info('grants') "
		"WHERE name = 'borrowed_until_ms'",
		&have) == -1) {
		db_error(j, "read the grants table", err, errlen);
		return -1;
	}
	if (have > 0)
		return 0;
	if (sqlite3_exec(j->db,
		"ALTER TABLE grants ADD COLUMN borrowed_until_ms "
		"INTEGER NOT NULL DEFAULT 0",
		NULL, NULL, NULL) != SQLITE_OK) {
		db_error(j, "add grants.borrowed_until_ms", err, errlen);
		return -1;
	}
	return 0;
}

/* sqlite3_exec callback: keeps the first column of the last row. */
static int
text_cb(void *arg, int ncols, char **vals, char **names)
{
	char *out = arg;

	if (ncols > 0 && vals[0] != NULL)
		snprintf(out, 16, "%s", vals[0]);
	return 0;
}

/*
 * Accepts an existing directory; refuses a database of another schema
 * version, a key of the wrong size or belonging to another database, and
 * a state directory already opened by another journal_open (the key file
 * is flock()ed for as long as the journal is open, so a second daemon on
 * the same directory fails here instead of interleaving sequence numbers).
 */
struct journal *
journal_open(const char *state_dir, char *err, size_t errlen)
{
	struct journal *j;
	pthread_condattr_t ca;
	char path[CORE_PATH_MAX + 32], keypath[CORE_PATH_MAX + 32];
	char mode[16] = "";
	int64_t version = 0;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->key_fd = -1;
	j->wal_fd = -1;
	j->sync_full = 1;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->done_cv, NULL);
	pthread_cond_init(&j->sync_cv, NULL);
	pthread_cond_init(&j->work_cv, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->retry_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (strlen(state_dir) >= sizeof(j->dir) ||
	    journal_path(path, sizeof(path), state_dir, JOURNAL_DB) == -1) {
		snprintf(err, errlen, "%s: path too long", state_dir);
		goto fail;
	}
	strcpy(j->dir, state_dir);

	/* Lock before touching the database when the key exists (always but
	 * at the very first start): a second open then fails at once. */
	if (journal_path(keypath, sizeof(keypath), state_dir, JOURNAL_KEY) ==
		0 &&
	    access(keypath, F_OK) == 0 && lock_key(j, 0, err, errlen) == -1)
		goto fail;

	/* NOMUTEX: the connection is used by one thread at a time (the
	 * opener until journal_start, then the writer; journal_rotate and
	 * journal_close only once the writer is idle or gone, handed over
	 * under j->mu), so SQLite's own lock on every call, some forty a
	 * record, is not needed. */
	if (sqlite3_open_v2(path, &j->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    j->db != NULL ? sqlite3_errmsg(j->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(j->db, 5000);
	if (sqlite3_exec(j->db, "PRAGMA journal_mode=WAL", text_cb, mode,
		NULL) != SQLITE_OK ||
	    strcmp(mode, "wal") != 0) {
		snprintf(err, errlen, "%s: cannot use WAL mode (%s)", path,
		    mode[0] != '\0' ? mode : sqlite3_errmsg(j->db));
		goto fail;
	}
	if (sqlite3_exec(j->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) !=
		SQLITE_OK ||
	    sqlite3_exec(j->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
		db_error(j, "schema", err, errlen);
		goto fail;
	}
	if (query_int(j, "SELECT value FROM meta WHERE key='schema_version'",
		&version) != 1 ||
	    version != JOURNAL_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %lld, expected %d",
		    path, (long long)version, JOURNAL_SCHEMA_VERSION);
		goto fail;
	}
	if (upgrade_grants(j, err, errlen) == -1 ||
	    prepare_all(j, err, errlen) == -1 ||
	    load_key(j, err, errlen) == -1 || load_state(j, err, errlen) == -1)
		goto fail;
	finish_rotation(j);
	return j;

fail:
	journal_close(j);
	return NULL;
}

/* A text column into a fixed field, cut to fit and terminated (snprintf
 * did the same at ten times the cost: a tenth of a restore). */
static void
column_copy(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	size_t n;

	n = v != NULL ? (size_t)sqlite3_column_bytes(st, i) : 0;
	if (n > size - 1)
		n = size - 1;
	n = v != NULL ? strnlen(v, n) : 0;
	memcpy(dst, v != NULL ? v : "", n);
	dst[n] = '\0';
}

int
journal_restore(struct journal *j,
    void (*fn)(void *arg, const struct core_grant_info *), void *arg)
{
	static const char sql[] =
	    "SELECT handle, feature, version, vendor, count, unit, user, "
	    "host, display, address, project, frontend, pid, start_ms, "
	    "last_heartbeat_ms, linger, linger_until_ms, borrowed_until_ms "
	    "FROM grants ORDER BY handle";
	struct core_grant_info g;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&g, 0, sizeof(g));
		g.handle = (uint64_t)sqlite3_column_int64(st, 0);
#define COPY(i, field) column_copy(st, i, g.field, sizeof(g.field))
		COPY(1, feature);
		COPY(2, version);
		COPY(3, vendor);
		g.count = sqlite3_column_int(st, 4);
		COPY(5, unit);
		COPY(6, user);
		COPY(7, host);
		COPY(8, display);
		COPY(9, address);
		COPY(10, project);
		COPY(11, frontend);
#undef COPY
		g.pid = (long)sqlite3_column_int64(st, 12);
		g.session = 0;
		g.start = sqlite3_column_int64(st, 13);
		g.last_heartbeat = sqlite3_column_int64(st, 14);
		g.linger = sqlite3_column_int(st, 15);
		g.linger_until = sqlite3_column_int64(st, 16);
		g.borrowed_until = sqlite3_column_int64(st, 17);
		fn(arg, &g);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
journal_restore_machines(struct journal *j,
    void (*fn)(void *arg, const struct act_machine_info *), void *arg)
{
	static const char sql[] =
	    "SELECT \"group\", machine_id, product, class, host, unit, "
	    "first_seen_ms, last_seen_ms, activated_until_ms "
	    "FROM machines ORDER BY last_seen_ms, \"group\", machine_id";
	struct act_machine_info m;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
#define COPY(i, field) column_copy(st, i, m.field, sizeof(m.field))
		COPY(0, group);
		COPY(1, machine_id);
		COPY(2, product);
		COPY(4, host);
		COPY(5, unit);
#undef COPY
		m.cls = sqlite3_column_int(st, 3) == ACT_CLASS_SERVER
		    ? ACT_CLASS_SERVER
		    : ACT_CLASS_CLIENT;
		m.first_seen = sqlite3_column_int64(st, 6);
		m.last_seen = sqlite3_column_int64(st, 7);
		m.activated_until = sqlite3_column_int64(st, 8);
		fn(arg, &m);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

uint64_t
journal_max_handle(const struct journal *j)
{
	return atomic_load(&((struct journal *)j)->max_handle);
}

int
journal_set_sync(struct journal *j, int full)
{
	j->sync_full = full;
	return sqlite3_exec(j->db,
		   full ? "PRAGMA synchronous=FULL"
			: "PRAGMA synchronous=NORMAL",
		   NULL, NULL, NULL) == SQLITE_OK
	    ? 0
	    : -1;
}

/* SQLite calls this after every commit with the log's length in pages;
 * installing it turns SQLite's automatic checkpoint off. */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct journal *j = arg;

	(void)db;
	(void)name;
	if (pages < atomic_load(&j->wal_pages)) {
		/* The log started again. */
		journal_stats_log_restart();
		j->wal_gen++;
		j->poked_pages = 0;
		j->inline_ckpt_pages = 0;
	}
	atomic_store(&j->wal_pages, pages);
	if (pages >= JOURNAL_CKPT_PAGES &&
	    pages >= j->poked_pages + JOURNAL_CKPT_STEP_PAGES) {
		j->poked_pages = pages;
		journal_ckpt_poke(j->ckpt, j->wal_gen);
	}
	return SQLITE_OK;
}

int
journal_start(struct journal *j, journal_committed_fn fn, void *arg)
{
	char path[CORE_PATH_MAX + 32];
	int rc;

	pthread_mutex_lock(&j->mu);
	if (j->started) {
		pthread_mutex_unlock(&j->mu);
		return -1;
	}
	j->committed_fn = fn;
	j->committed_arg = arg;
	j->stop = 0;
	j->exited = 0;
	/* Without a checkpointer SQLite checkpoints inside the commits, as
	 * before journal_start. */
	if (j->ckpt == NULL &&
	    journal_path(path, sizeof(path), j->dir, JOURNAL_DB) == 0 &&
	    (j->ckpt = journal_ckpt_start(path, j->sync_full)) != NULL)
		sqlite3_wal_hook(j->db, wal_hook, j);
	syncer_start(j);
	rc = pthread_create(&j->thread, NULL, writer_main, j);
	if (rc == 0)
		j->started = 1;
	pthread_mutex_unlock(&j->mu);
	return rc == 0 ? 0 : -1;
}

static void
note_handle(struct journal *j, uint64_t h)
{
	uint64_t cur = atomic_load(&j->max_handle);

	while (
	    h > cur && !atomic_compare_exchange_weak(&j->max_handle, &cur, h))
		;
}

/*
 * Under j->mu: the open batch's next record, grown into when full, or NULL
 * when memory for it could not be had.
 *
 * XXX: the open batch has no hard cap.  While the disk keeps failing,
 * records pile up here (each is ~1 KiB plus a grant), past
 * JOURNAL_BATCH_SOFT_MAX and on, until the writer commits or memory runs
 * out; dropping them instead would lose acknowledged-to-be state.
 */
static struct journal_record *
batch_slot(struct journal_batch *b)
{
	struct journal_record *r;
	size_t ncap;

	if (b->n == b->cap) {
		ncap = b->cap == 0 ? 64 : b->cap * 2;
		if (b->cap >= JOURNAL_BATCH_SOFT_MAX)
			ncap = b->cap + JOURNAL_BATCH_SOFT_MAX;
		r = realloc(b->recs, ncap * sizeof(*r));
		if (r == NULL)
			return NULL;
		b->recs = r;
		b->cap = ncap;
	}
	return &b->recs[b->n];
}

/* Under j->mu: numbers the record just filled in the open batch's next
 * slot and takes it in. */
static uint64_t
batch_take(
    struct journal *j, struct journal_record *r, uint64_t *h1, uint64_t *h2)
{
	uint64_t seq;

	j->open.n++;
	seq = r->seq = j->next_seq++;
	atomic_store(&j->last_seq, seq);
	*h1 = r->handle;
	*h2 = r->grant_op == JOURNAL_GRANT_PUT ? r->grant.handle : 0;
	return seq;
}

/* Accepts any record; its seq is overwritten.  Returns the new seq, or 0
 * when memory for the batch could not be had (nothing is appended then). */
uint64_t
journal_append(struct journal *j, const struct journal_record *rec)
{
	struct journal_record *r;
	uint64_t seq, h1, h2;

	pthread_mutex_lock(&j->mu);
	if ((r = batch_slot(&j->open)) == NULL) {
		pthread_mutex_unlock(&j->mu);
		return 0;
	}
	*r = *rec;
	seq = batch_take(j, r, &h1, &h2);
	pthread_mutex_unlock(&j->mu);

	note_handle(j, h1);
	note_handle(j, h2);
	return seq;
}

uint64_t
journal_append_fill(
    struct journal *j, void (*fill)(struct journal_record *, void *), void *arg)
{
	struct journal_record *r;
	uint64_t seq, h1, h2;

	pthread_mutex_lock(&j->mu);
	if ((r = batch_slot(&j->open)) == NULL) {
		pthread_mutex_unlock(&j->mu);
		return 0;
	}
	fill(r, arg);
	seq = batch_take(j, r, &h1, &h2);
	pthread_mutex_unlock(&j->mu);

	note_handle(j, h1);
	note_handle(j, h2);
	return seq;
}

void
journal_flush(struct journal *j)
{
	pthread_mutex_lock(&j->mu);
	if (j->open.n > 0) {
		j->handed = 1;
		if (!j->busy)
			pthread_cond_signal(&j->work_cv);
	}
	pthread_mutex_unlock(&j->mu);
}

int
journal_failing(const struct journal *j, char *why, size_t len)
{
	struct journal *mj = (struct journal *)j;

	if (!atomic_load(&mj->failing))
		return 0;
	if (why != NULL && len > 0) {
		pthread_mutex_lock(&mj->mu);
		snprintf(why, len, "%s", mj->fail_why);
		pthread_mutex_unlock(&mj->mu);
	}
	return 1;
}

uint64_t
journal_committed_seq(const struct journal *j)
{
	return atomic_load(&((struct journal *)j)->committed_seq);
}

uint64_t
journal_last_seq(const struct journal *j)
{
	return atomic_load(&((struct journal *)j)->last_seq);
}

uint64_t
journal_errors(const struct journal *j)
{
	return atomic_load(&((struct journal *)j)->errors);
}

/* Without a writer thread the caller commits the open batch itself. */
static int
sync_inline(struct journal *j)
{
	int rc;

	pthread_mutex_lock(&j->mu);
	if (j->open.n == 0) {
		pthread_mutex_unlock(&j->mu);
		return 0;
	}
	rc = commit_batch(j, &j->open);
	if (rc == 0) {
		atomic_store(
		    &j->committed_seq, j->open.recs[j->open.n - 1].seq);
		j->open.n = 0;
	} else
		atomic_fetch_add(&j->errors, 1);
	pthread_mutex_unlock(&j->mu);
	return rc;
}

/*
 * Returns 0 once everything appended before the call is committed, or -1
 * when the writer has failed JOURNAL_SYNC_FAILS commits during this call
 * (it goes on retrying; about 1.5 s of back-off) or is gone.  Before
 * journal_start, commits on this thread in one attempt.
 */
int
journal_sync(struct journal *j)
{
	uint64_t target, errors0;
	int rc = 0;

	pthread_mutex_lock(&j->mu);
	if (!j->started) {
		pthread_mutex_unlock(&j->mu);
		return sync_inline(j);
	}
	target = j->next_seq - 1;
	errors0 = atomic_load(&j->errors);
	if (j->open.n > 0) {
		j->handed = 1;
		pthread_cond_signal(&j->work_cv);
	}
	while (atomic_load(&j->committed_seq) < target) {
		if (j->exited ||
		    atomic_load(&j->errors) - errors0 >= JOURNAL_SYNC_FAILS) {
			rc = -1;
			break;
		}
		pthread_cond_wait(&j->done_cv, &j->mu);
	}
	pthread_mutex_unlock(&j->mu);
	return rc;
}

/*
 * Accepts a journal in any state left by journal_open (even a failed one)
 * or journal_start.  What is still pending is committed first; if the
 * disk refuses, those records (never acknowledged) are dropped.
 */
void
journal_close(struct journal *j)
{
	int i;

	if (j == NULL)
		return;
	if (j->db != NULL && j->st[ST_COUNT - 1] != NULL)
		(void)journal_sync(j);

	pthread_mutex_lock(&j->mu);
	j->stop = 1;
	pthread_cond_broadcast(&j->work_cv);
	pthread_cond_broadcast(&j->retry_cv);
	pthread_mutex_unlock(&j->mu);
	if (j->started) {
		pthread_join(j->thread, NULL);
		j->started = 0;
	}
	syncer_stop(j);
	journal_ckpt_stop(j->ckpt);
	j->ckpt = NULL;

	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(j->st[i]);
	if (j->db != NULL)
		sqlite3_close(j->db);
	if (j->key_fd != -1)
		close(j->key_fd);
	OPENSSL_cleanse(j->key, sizeof(j->key));
	journal_mac_key_free(j->mac_key);
	free(j->open.recs);
	free(j->cur.recs);
	free(j->macs);
	free(j->fields);
	pthread_cond_destroy(&j->work_cv);
	pthread_cond_destroy(&j->retry_cv);
	pthread_cond_destroy(&j->done_cv);
	pthread_cond_destroy(&j->sync_cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
}
