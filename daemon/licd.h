/*
 * The daemon's shared state and the services the event loop offers to the
 * protocol front ends: the core, the journal, replies held until their
 * records are committed, connection caps, and the clock.
 */
#ifndef LICD_LICD_H
#define LICD_LICD_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "../config/licd_conf.h"
#include "core/core.h"
#include "journal/journal.h"

struct event_base;
struct event;

/*
 * A party waiting for the journal: ready() is called on the loop once
 * every record up to seq is committed.  A front end holds a client's
 * replies behind one of these.
 */
struct licd_waiter {
	uint64_t seq;
	void (*ready)(struct licd_waiter *);
	int armed;
	TAILQ_ENTRY(licd_waiter) entry;
};

TAILQ_HEAD(licd_waiters, licd_waiter);

struct conn_count;
struct debuglog;

#define LICD_ADMIN_UIDS_MAX 256

struct licd {
	struct event_base *base;
	struct licd_conf conf;
	struct core *core;
	struct journal *journal;
	int64_t started_ms;
	char hostname[256];
	int stopping;

	struct event *flush_ev; /* end of iteration: hand batch over */
	/* flush_ev is active: set by licd_schedule_flush, cleared when it
	 * runs; asking libevent (event_pending, under its lock) for every
	 * record cost a hundred instructions each. */
	int flush_active;
	struct event *commit_ev; /* the writer committed a batch */
	struct event *tick_ev; /* core_tick */
	struct debuglog *debuglog; /* FlexLM-style debug log, or NULL */
	struct licd_waiters waiters;

	/* who may use the admin socket besides root and licd's user */
	gid_t admin_gid;
	uid_t admin_uids[LICD_ADMIN_UIDS_MAX];
	size_t admin_nuids;

	/* connections, in total and per address */
	int nconns;
	struct conn_count **conn_buckets;
	size_t conn_nbuckets;

	/* the journal cannot commit: changes are refused (logged once) */
	int journal_down;

	/* volume activation (daemon/kms_glue.h): NULL without products */
	struct act *act;
	struct event *kms_tick_ev;
};

/* Wall-clock milliseconds since the epoch. */
int64_t licd_now(void);

/* Sets up journaling of core events, the waiters and the tick timer.
 * Returns 0 or -1. */
int licd_events_init(struct licd *);
void licd_events_free(struct licd *);

/* The core's event sink: turns each event into a journal record, then
 * tells the session's front end. */
void licd_core_sink(void *arg, const struct core_event *);

/*
 * Whether a change may be taken now: 0 while the journal cannot commit
 * (a full disk, an unwritable state directory), when front ends refuse
 * checkouts and activations with "internal, try again" rather than grant
 * what could not be recorded.  Logs the failure once and the recovery
 * once.
 */
int licd_journal_ok(struct licd *);

/* Appends a record made by the daemon itself (start, stop, reload). */
uint64_t licd_journal_note(struct licd *, const char *type, const char *detail);

/* The sequence number a reply must wait for: the last record appended. */
uint64_t licd_last_seq(const struct licd *);

/* Hands the open batch to the journal at the end of this loop iteration
 * (once, whatever the number of calls).  Before licd_events_init, does
 * nothing. */
void licd_schedule_flush(struct licd *);

/*
 * Calls w->ready once records up to seq are committed: at once (before
 * returning) when they already are.  Re-arming an armed waiter moves its
 * seq forward.
 */
void licd_wait(struct licd *, struct licd_waiter *, uint64_t seq);
void licd_wait_cancel(struct licd *, struct licd_waiter *);

/*
 * Reads the whole configuration again and swaps it in (SIGHUP and the
 * admin REREAD).  Returns 0, or -1 with the first reason in why: the
 * running configuration is then unchanged.
 */
int licd_reload(struct licd *, char *why, size_t len);

/* Stops the daemon as SIGTERM does (the admin DOWN request): sessions are
 * told, grants are kept for the restart. */
void licd_shutdown(struct licd *);

/*
 * Starts a new journal file (the admin NEWLOG request and licctl newlog):
 * the current file is closed and kept as journal-<first>-<last>.db, and
 * the chain continues in a new journal.db.  Returns 0 with the archive's
 * name in why, or -1 with the reason in why.
 */
int licd_newlog(struct licd *, char *why, size_t len);

/* Connection caps.  Admit returns 0, or -1 when the total or the
 * address's share is full (nothing is counted then). */
int licd_conn_admit(struct licd *, const char *addr);
void licd_conn_release(struct licd *, const char *addr);

#endif
