/*
 * The latency histogram: exact to the microsecond where latencies of a
 * loopback server live, and within 1/64 of the value above, in a fixed
 * 1,216 buckets, so that recording is a few instructions and a run of
 * any length costs the same memory.
 */
#include "tools/licbench/bench.h"

size_t
bench_hist_index(uint64_t us)
{
	unsigned bit;

	if (us > BENCH_HIST_LIMIT)
		us = BENCH_HIST_LIMIT;
	if (us < BENCH_HIST_LINEAR)
		return (size_t)us;
	bit = 63 - (unsigned)__builtin_clzll(us);
	/* The top BENCH_HIST_SUB values of this power of two share a
	 * bucket: keep the bits just below the leading one. */
	return BENCH_HIST_LINEAR +
	    (size_t)(bit - BENCH_HIST_LINEAR_BITS) * BENCH_HIST_SUB +
	    (size_t)((us >> (bit - 6)) - BENCH_HIST_SUB);
}

uint64_t
bench_hist_upper(size_t index)
{
	size_t mag, sub;
	unsigned shift;

	if (index < BENCH_HIST_LINEAR)
		return index;
	mag = (index - BENCH_HIST_LINEAR) / BENCH_HIST_SUB;
	sub = (index - BENCH_HIST_LINEAR) % BENCH_HIST_SUB;
	shift = (unsigned)mag + BENCH_HIST_LINEAR_BITS - 6;
	return (((uint64_t)(BENCH_HIST_SUB + sub) + 1) << shift) - 1;
}

void
bench_hist_add(struct bench_hist *h, uint64_t us)
{
	h->count++;
	h->sum += us;
	if (us > h->max)
		h->max = us;
	if (us > BENCH_HIST_LIMIT)
		h->over++;
	h->bucket[bench_hist_index(us)]++;
}

uint64_t
bench_hist_pct(const struct bench_hist *h, double pct)
{
	uint64_t rank, seen = 0, v;
	size_t i;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)(pct / 100.0 * (double)h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			v = bench_hist_upper(i);
			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}
