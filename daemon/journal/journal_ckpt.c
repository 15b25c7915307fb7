/*
 * The journal's checkpointer: copies the write-ahead log back into the
 * database on a thread and a connection of its own, so that no commit,
 * and no reply waiting for one, stalls while it runs.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that pushes the log
 * past its threshold: every few hundred commits one took several
 * milliseconds longer (the pages copied and the database file synced), and
 * every request that arrived meanwhile waited for it.  Here the writer's
 * WAL hook only pokes this thread, which runs a PASSIVE checkpoint: it
 * copies what is committed and never blocks the writer, which goes on
 * appending to the log meanwhile.  Once a checkpoint has caught up with
 * the end of the log, the writer's next transaction starts the log again
 * from its beginning.  While the writer commits without pause that may
 * not happen; the writer then checkpoints between two batches itself
 * (journal.c, JOURNAL_CKPT_HARD_PAGES), which always catches up.
 */
#include <pthread.h>
#include <stdlib.h>

#include "journal_int.h"

struct journal_ckpt {
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int want; /* poked since the last checkpoint began */
	int stop;
	unsigned gen; /* the log generation of the last poke */

	/* The last checkpoint's outcome: the log's length and how much of
	 * it was copied, in frames, for log generation done_gen. */
	int done_ok;
	unsigned done_gen;
	int done_log;
	int done_copied;
};

static void *
ckpt_main(void *arg)
{
	struct journal_ckpt *c = arg;
	int64_t start_ns;
	unsigned gen;
	int rc, nlog, ncopied;

	(void)pthread_setname_np(pthread_self(), "licd-ckpt");
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->stop && !c->want)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->want = 0;
		gen = c->gen;
		pthread_mutex_unlock(&c->mu);

		/* PASSIVE takes no lock that a writer waits for; an error
		 * (disk full, say) leaves the log as it was, and the next
		 * poke tries again. */
		start_ns = journal_stats_clock();
		rc = sqlite3_wal_checkpoint_v2(
		    c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog, &ncopied);
		journal_stats_checkpoint(rc == SQLITE_OK, start_ns);

		pthread_mutex_lock(&c->mu);
		c->done_ok = rc == SQLITE_OK;
		c->done_gen = gen;
		c->done_log = nlog;
		c->done_copied = ncopied;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct journal_ckpt *
journal_ckpt_start(const char *path, int full_sync)
{
	struct journal_ckpt *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (sqlite3_open_v2(path, &c->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db,
		full_sync ? "PRAGMA synchronous=FULL"
			  : "PRAGMA synchronous=NORMAL",
		NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	return c;
}

void
journal_ckpt_poke(struct journal_ckpt *c, unsigned gen)
{
	pthread_mutex_lock(&c->mu);
	c->gen = gen;
	if (!c->want) {
		c->want = 1;
		pthread_cond_signal(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
}

int
journal_ckpt_left(struct journal_ckpt *c, unsigned gen, int pages)
{
	int left = -1;

	pthread_mutex_lock(&c->mu);
	if (c->done_ok && c->done_gen == gen && c->done_copied >= 0 &&
	    c->done_log <= pages)
		left = pages - c->done_copied;
	pthread_mutex_unlock(&c->mu);
	return left;
}

void
journal_ckpt_stop(struct journal_ckpt *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
