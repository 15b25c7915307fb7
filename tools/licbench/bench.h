/*
 * licbench: a load generator for licd's front ends, with memcached's text
 * protocol driven by the same client code as a reference.  One libevent
 * loop drives every connection; a workload says what a connection sends
 * once after connecting and what each step of a cycle sends and expects.
 * A datagram workload (sentinel) has a connected UDP socket per client
 * instead of a TCP connection: a request is one datagram, a reply one
 * datagram.
 */
#ifndef LICD_BENCH_H
#define LICD_BENCH_H

#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct evbuffer;
struct event;

/*
 * A log-linear latency histogram in microseconds: one bucket per
 * microsecond below BENCH_HIST_LINEAR, then BENCH_HIST_SUB buckets per
 * power of two (a bucket is at most 1/64 of its value wide) up to
 * BENCH_HIST_LIMIT.  Larger values land in the last bucket and are
 * counted in over; max is kept exactly.
 */
#define BENCH_HIST_LINEAR 128
#define BENCH_HIST_SUB 64
#define BENCH_HIST_LINEAR_BITS 7 /* log2(BENCH_HIST_LINEAR) */
#define BENCH_HIST_TOP_BIT 24 /* 2^24 us, 16.7 s: above the limit */
#define BENCH_HIST_BUCKETS \
	(BENCH_HIST_LINEAR + \
	    (BENCH_HIST_TOP_BIT - BENCH_HIST_LINEAR_BITS) * BENCH_HIST_SUB)
#define BENCH_HIST_LIMIT 10000000ULL /* 10 s */

struct bench_hist {
	uint64_t count;
	uint64_t over; /* values above BENCH_HIST_LIMIT */
	uint64_t max;
	uint64_t sum;
	uint64_t bucket[BENCH_HIST_BUCKETS];
};

void bench_hist_add(struct bench_hist *, uint64_t us);
/* The value at percentile pct (0-100]: the upper end of the bucket that
 * holds that rank, never above max; 0 when the histogram is empty. */
uint64_t bench_hist_pct(const struct bench_hist *, double pct);
/* The bucket a value falls in, and the largest value of a bucket (for the
 * unit test and the percentiles). */
size_t bench_hist_index(uint64_t us);
uint64_t bench_hist_upper(size_t index);

/* What the command line asked for, as the workloads need it. */
struct bench_opts {
	const char *feature; /* flex-cycle, flex-hold, sentinel */
	const char *user; /* flex HELLO, sentinel REQUEST */
	const char *product; /* kms */
	uint64_t machines; /* kms: 0, a new id every request; else this many */
	const char *key; /* memcached key prefix */
};

enum bench_state {
	BENCH_S_NEW,
	BENCH_S_CONNECTING,
	BENCH_S_SETUP, /* the one-off request (HELLO, set) is out */
	BENCH_S_IDLE, /* ready, no cycle in flight */
	BENCH_S_BUSY, /* a cycle in flight, at step */
	BENCH_S_DEAD,
};

struct bench_conn {
	struct bench *run;
	const struct bench_opts *opts;
	struct bufferevent *bev; /* a TCP connection */
	struct event *dgram; /* or a datagram socket: its read event */
	struct event *tick; /* open loop: the next cycle is due */
	unsigned id;
	enum bench_state state;
	int step;
	uint64_t handle; /* flex, sentinel: the grant of this cycle */
	uint64_t client_id; /* sentinel: this client's id, nonzero */
	uint64_t req_id; /* sentinel: the id of the request out */
	size_t pad; /* sentinel: the request out is padded to this */
	int resend; /* datagram: the request of step goes again, same id */
	int resent; /* datagram: it went again after half the timeout */
	uint64_t cycle_t0; /* ns: when the cycle started, or was due */
	uint64_t req_t0; /* ns: when the outstanding request went out */
	uint64_t started; /* cycles this connection started */
	uint64_t due; /* open loop: cycles due by now */
};

enum bench_reply {
	BENCH_R_MORE, /* not the final reply: read on */
	BENCH_R_DONE, /* the step succeeded */
	BENCH_R_ERR, /* an error reply, or a line that makes no sense */
	BENCH_R_AGAIN, /* datagram: send the request of step again */
};

/*
 * A workload.  step is 0..nsteps-1 in a cycle, -1 for the setup.  For a
 * datagram workload, request writes one datagram (called again with
 * c->resend set to send the same request again, as its protocol says a
 * re-sent request must look) and reply judges one datagram, returning
 * BENCH_R_MORE for one that answers no request out (a late reply).
 */
struct bench_workload {
	const char *name;
	const char *cycle_name; /* what one cycle is, for the report */
	const char *first_name; /* what its first request is */
	int default_port;
	int nsteps; /* requests per cycle, each waiting for the last */
	int periodic; /* cycles come at an interval per connection */
	int datagram; /* UDP: a socket per client, no setup */
	/* MAY be NULL: writes the one-off request after connecting; MUST be
	 * NULL for a datagram workload. */
	void (*setup)(struct bench_conn *, struct evbuffer *);
	/* MUST: writes the request of step. */
	void (*request)(struct bench_conn *, int step, struct evbuffer *);
	/* MUST: judges one reply line (without its end of line). */
	enum bench_reply (*reply)(
	    struct bench_conn *, int step, const char *line, size_t len);
	/* MAY be NULL (the reply line is its own text): a reply judged
	 * BENCH_R_ERR in words, for the report's first error. */
	const char *(*explain)(
	    struct bench_conn *, const char *line, size_t len);
	/* MAY be NULL: writes what a datagram client sends when it stops
	 * (no reply is awaited). */
	void (*bye)(struct bench_conn *, struct evbuffer *);
};

/* The workload called name, or NULL. */
const struct bench_workload *bench_workload_find(const char *name);
/* Names of every workload, for the usage text. */
extern const char bench_workload_names[];

#endif
