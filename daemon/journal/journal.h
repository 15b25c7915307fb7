/*
 * The durable usage journal: every state change as a record in SQLite (WAL
 * mode), each record chained to the previous one with HMAC-SHA256, and the
 * table of active grants that a restart restores.
 *
 * Threads: the event loop appends records to the open batch
 * (journal_append) and hands the batch over at the end of a loop iteration
 * (journal_flush).  One writer thread owns the SQLite connection and commits
 * each batch in one transaction, then calls the "committed" callback from
 * the writer thread; the daemon uses it to wake the loop, which releases the
 * replies waiting for records up to journal_committed_seq().  While the
 * writer commits one batch the loop fills the next: one fsync serves every
 * request of a batch.
 *
 * Files in the state directory: journal.db (+ -wal, -shm) and journal.key
 * (32 random bytes, mode 0600, created at first open).
 */
#ifndef LICD_JOURNAL_H
#define LICD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/activation.h"
#include "../core/core.h"

struct journal;

enum journal_grant_op {
	JOURNAL_GRANT_KEEP, /* the record changes no active grant */
	JOURNAL_GRANT_PUT, /* insert or replace rec->grant in the table */
	JOURNAL_GRANT_DEL, /* delete rec->handle from the table */
};

/*
 * One record.  Strings are "" when not applicable.  seq and mac are set by
 * the journal.  type is one of: start, stop, reload, checkout, checkin,
 * deny, queue, dequeue, resume, linger, admin (and later front ends add
 * their own, e.g. activate, renew, expire).
 */
struct journal_record {
	uint64_t seq;
	int64_t time_ms;
	char type[16];
	char frontend[16];
	char feature[CORE_NAME_MAX];
	char version[CORE_VERSION_MAX];
	int count;
	char unit[CORE_NAME_MAX];
	char user[CORE_NAME_MAX];
	char host[CORE_NAME_MAX];
	char display[CORE_DISPLAY_MAX];
	char address[CORE_ADDR_MAX];
	char machine_id[64]; /* pid for flex clients, machine UUID for kms */
	uint64_t handle;
	int in_use_after;
	int64_t duration_ms; /* checkin: how long the seat was held */
	char reason[32]; /* checkin release or deny reason name */
	char detail[256]; /* free text: reload summary, admin who, ... */

	enum journal_grant_op grant_op;
	struct core_grant_info grant; /* with JOURNAL_GRANT_PUT */

	/* The machines table, changed in the record's transaction like the
	 * grants: an enum journal_machine_op, and the machine it puts, or
	 * whose group and machine_id it deletes.  Outside the MAC: the chain
	 * covers the fields above, as it did before machines existed. */
	int machine_op;
	struct act_machine_info machine;
};

/*
 * Whether the writer's last commit failed (a full disk, an unwritable or
 * vanished state directory): 1 with SQLite's reason in why, or 0.  The
 * writer keeps the batch and retries with back-off; the first commit that
 * succeeds clears it.  The daemon refuses new changes meanwhile.
 */
int journal_failing(const struct journal *, char *why, size_t len);

/* Called on the writer thread after each committed batch, and after
 * each failed attempt to commit one (journal_failing then says so). */
typedef void (*journal_committed_fn)(void *arg);

/*
 * Opens (creating when absent) the journal in state_dir, which must exist.
 * Checks the schema and the key, and reads the last sequence number and
 * MAC so that new records continue the chain.  Returns NULL with err set
 * on failure.  Runs on the caller's thread; no writer thread yet.
 */
struct journal *journal_open(const char *state_dir, char *err, size_t errlen);

/* Calls fn for every row of the active-grant table (before start). */
int journal_restore(struct journal *,
    void (*fn)(void *arg, const struct core_grant_info *), void *arg);

/* The largest grant handle ever journaled (0 when none): new handles must
 * be above it. */
uint64_t journal_max_handle(const struct journal *);

/* Starts the writer thread.  Returns 0 or -1. */
int journal_start(struct journal *, journal_committed_fn, void *arg);

/*
 * Before journal_start: full (the default) syncs the write-ahead log at
 * every commit, so a committed batch survives a power failure; without
 * it (journal.sync = "normal") a commit survives licd's crash but the
 * last batches before a power failure or a kernel crash may be lost,
 * though never torn: the database stays consistent.  Returns 0 or -1.
 */
int journal_set_sync(struct journal *, int full);

/* Loop thread: appends a copy of rec to the open batch, assigning its
 * sequence number, which it returns.  Never blocks on I/O. */
uint64_t journal_append(struct journal *, const struct journal_record *);

/*
 * Loop thread: journal_append without copying a whole record twice, for
 * the hot path.  fill is called once, with the open batch's lock held, on
 * the batch's next record, whose bytes are left from an earlier record or
 * undefined: it MUST set every field of the record (each string
 * terminated, "" when not applicable), grant only when grant_op is
 * JOURNAL_GRANT_PUT and machine only when machine_op is not
 * JOURNAL_MACHINE_KEEP, and MUST NOT call into the journal.  Returns the
 * new seq, or 0 when memory for the batch could not be had (fill is not
 * called then).
 */
uint64_t journal_append_fill(
    struct journal *, void (*fill)(struct journal_record *, void *), void *arg);

/* Loop thread: hands the open batch to the writer if the writer is idle;
 * otherwise the batch keeps growing and is handed over when the writer's
 * current commit completes.  Cheap to call often. */
void journal_flush(struct journal *);

/* Any thread: the highest sequence number known to be committed. */
uint64_t journal_committed_seq(const struct journal *);

/* The highest sequence number appended so far. */
uint64_t journal_last_seq(const struct journal *);

/* Loop thread: blocks until every record appended so far is committed (at
 * start-up and shutdown only).  Returns 0, or -1 when the writer failed. */
int journal_sync(struct journal *);

/* Commit failures (disk full, I/O error) so far; the writer retries the
 * same batch and replies stay held meanwhile. */
uint64_t journal_errors(const struct journal *);

/*
 * Loop thread: starts a new journal file.  Everything appended so far is
 * committed, the records are copied into journal-FIRST-LAST.db in the
 * state directory and removed from journal.db, which keeps the active
 * grants and continues the chain from the last record's MAC.  The name of
 * the archive goes to name.  Returns 0, or -1 with err set (nothing is
 * lost either way).  Blocks while the archive is written.
 */
int journal_rotate(
    struct journal *, char *name, size_t namelen, char *err, size_t errlen);

/* Commits what is pending, stops the writer thread, closes the database. */
void journal_close(struct journal *);

/*
 * Offline or alongside a running licd (read-only, WAL lets both run):
 * journal_verify checks the whole HMAC chain and sequence continuity and
 * prints one line per problem to out, then a summary.  Returns 0 when the
 * chain is intact, 1 when a record was altered, removed or inserted, -1 on
 * error (err set).
 */
int journal_verify(const char *state_dir, FILE *out, char *err, size_t errlen);

/* Prints records with seq >= from_seq (limit 0: all), one per line, in the
 * documented layout of journal_format_record(). */
int journal_show(const char *state_dir, uint64_t from_seq, uint64_t limit,
    FILE *out, char *err, size_t errlen);

/* One line, no newline: "2026-12-03T12:00:00.123Z 42 checkout flex
 * feature=F version=V count=1 unit=U user=u host=h ..." */
void
journal_format_record(const struct journal_record *, char *buf, size_t len);

/*
 * A streaming reader over the whole series (archives oldest first, then
 * journal.db), read-only and alongside a running licd.  It hands out, in
 * sequence order, the records with from_ms <= time_ms < to_ms (INT64_MIN
 * and INT64_MAX for all); a record met twice (a rotation while reading)
 * is handed out once.  journal_iter_open returns NULL with err set when
 * the state directory cannot be listed.
 */
struct journal_iter;

struct journal_iter *journal_iter_open(const char *state_dir, int64_t from_ms,
    int64_t to_ms, char *err, size_t errlen);

/* Fills rec with the next record and returns 1; 0 at the end; -1 with err
 * set when a file cannot be read (journal.db missing included). */
int journal_iter_next(struct journal_iter *, struct journal_record *rec,
    char *err, size_t errlen);

/* Accepts NULL. */
void journal_iter_close(struct journal_iter *);

/*
 * Commit statistics for /metrics, process-wide (one journal per licd):
 * how long each batch took from BEGIN to COMMIT (the fsync included) and
 * how many records it held, as cumulative histogram buckets.  The writer
 * thread records; any thread may read a snapshot.
 */
#define JOURNAL_STATS_LATENCY_BUCKETS 12
#define JOURNAL_STATS_BATCH_BUCKETS 11

struct journal_stats {
	uint64_t commits;
	uint64_t records;
	double seconds; /* sum of commit latencies */
	/* counts of commits at or below each bound (cumulative) */
	uint64_t latency_le[JOURNAL_STATS_LATENCY_BUCKETS];
	uint64_t batch_le[JOURNAL_STATS_BATCH_BUCKETS];
	/* WAL checkpoints run off the commit path (journal_ckpt.c) or by
	 * the writer between batches when the log grew too long. */
	uint64_t checkpoints;
	uint64_t checkpoint_failures;
	double checkpoint_seconds;
	uint64_t log_restarts; /* the log started again from its beginning */
	/* The syncer's fdatasyncs of the log (journal.sync "full"), each
	 * for every batch committed since the one before. */
	uint64_t syncs;
	double sync_seconds;
};

/* Upper bounds of the buckets: seconds, and records per batch. */
extern const double journal_stats_latency_bounds[];
extern const unsigned journal_stats_batch_bounds[];

/* A monotonic clock in nanoseconds, for the writer's measurement. */
int64_t journal_stats_clock(void);

/* Writer thread: a batch of n records committed, begun at start_ns. */
void journal_stats_commit(size_t n, int64_t start_ns);

/* Notes one WAL checkpoint begun at start_ns; ok 0 when it failed. */
void journal_stats_checkpoint(int ok, int64_t start_ns);

/* Syncer thread: one fdatasync of the log, begun at start_ns. */
void journal_stats_sync(int64_t start_ns);

/* Notes that the write-ahead log started again from its beginning. */
void journal_stats_log_restart(void);

/* Any thread: a consistent copy of the statistics so far. */
void journal_stats_get(struct journal_stats *);

/*
 * The activations of the KMS front end (see ../core/activation.h): the
 * machines table holds what is known of each machine of each group after
 * the last committed record, as the grants table holds the active grants.
 */
enum journal_machine_op {
	JOURNAL_MACHINE_KEEP, /* the record changes no machine */
	JOURNAL_MACHINE_PUT, /* insert or replace rec->machine */
	JOURNAL_MACHINE_DEL, /* delete rec->machine (group, machine_id) */
};

/* Calls fn for every row of the machines table (before journal_start,
 * like journal_restore), least recently seen first: the order in which
 * act_restore() takes each in O(1). */
int journal_restore_machines(struct journal *,
    void (*fn)(void *arg, const struct act_machine_info *), void *arg);

#endif
