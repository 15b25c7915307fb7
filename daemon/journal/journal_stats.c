/*
 * Commit statistics: the writer thread notes each committed batch, the
 * event loop reads a snapshot for /metrics.  A mutex keeps the sum and the
 * buckets of one snapshot consistent; it is taken once per batch, not per
 * record, so it costs nothing next to the fsync it measures.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "journal.h"

const double journal_stats_latency_bounds[JOURNAL_STATS_LATENCY_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

const unsigned journal_stats_batch_bounds[JOURNAL_STATS_BATCH_BUCKETS] = {
    1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;
static struct journal_stats stats;

int64_t
journal_stats_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
journal_stats_commit(size_t n, int64_t start_ns)
{
	double s = (double)(journal_stats_clock() - start_ns) / 1e9;
	int i;

	pthread_mutex_lock(&stats_mu);
	stats.commits++;
	stats.records += n;
	stats.seconds += s;
	for (i = 0; i < JOURNAL_STATS_LATENCY_BUCKETS; i++)
		if (s <= journal_stats_latency_bounds[i])
			stats.latency_le[i]++;
	for (i = 0; i < JOURNAL_STATS_BATCH_BUCKETS; i++)
		if (n <= journal_stats_batch_bounds[i])
			stats.batch_le[i]++;
	pthread_mutex_unlock(&stats_mu);
}

void
journal_stats_checkpoint(int ok, int64_t start_ns)
{
	double s = (double)(journal_stats_clock() - start_ns) / 1e9;

	pthread_mutex_lock(&stats_mu);
	if (ok) {
		stats.checkpoints++;
		stats.checkpoint_seconds += s;
	} else
		stats.checkpoint_failures++;
	pthread_mutex_unlock(&stats_mu);
}

void
journal_stats_sync(int64_t start_ns)
{
	double s = (double)(journal_stats_clock() - start_ns) / 1e9;

	pthread_mutex_lock(&stats_mu);
	stats.syncs++;
	stats.sync_seconds += s;
	pthread_mutex_unlock(&stats_mu);
}

void
journal_stats_log_restart(void)
{
	pthread_mutex_lock(&stats_mu);
	stats.log_restarts++;
	pthread_mutex_unlock(&stats_mu);
}

void
journal_stats_get(struct journal_stats *out)
{
	pthread_mutex_lock(&stats_mu);
	memcpy(out, &stats, sizeof(*out));
	pthread_mutex_unlock(&stats_mu);
}
