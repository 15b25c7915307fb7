/*
 * licbench: drives a licd front end (or memcached, as a reference) with
 * many connections from one libevent loop and reports throughput, latency
 * percentiles and errors by kind.
 *
 * Closed loop: each connection starts its next cycle when the last one
 * ends.  Open loop (-r, and the idle workload): cycles are due at a fixed
 * rate spread evenly over the connections; a cycle that falls due while
 * its connection is busy starts when that one ends, and its latency counts
 * from when it was due, so that a slow server is not hidden by a client
 * that waits for it.  Connections are opened and set up (HELLO, set)
 * before the clock starts, a window at a time.
 *
 * A datagram workload (sentinel) opens a connected UDP socket per client
 * instead.  A request whose reply has not come after half the timeout
 * goes once more, the same datagram, as the protocol has its clients
 * re-send; at the timeout the cycle is lost and counted, and the client
 * goes on with a new request (a late reply is told apart by its request
 * id, so nothing is mistaken for the next request's reply).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "tools/licbench/bench.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define BENCH_LINE_MAX 8192 /* a longer reply line is a protocol error */
#define BENCH_DGRAM_MAX 65536 /* a reply datagram, whatever its size */
#define BENCH_DGRAM_BURST 64 /* datagrams read per wake-up of a socket */
#define BENCH_SWEEP_MS 100 /* how often timeouts are looked for */

enum bench_error {
	BENCH_E_CONNECT,
	BENCH_E_PROTOCOL,
	BENCH_E_TIMEOUT,
	BENCH_E_CLOSED,
	BENCH_E_MAX,
};

static const char *const bench_error_names[BENCH_E_MAX] = {
    "connect", "protocol", "timeout", "closed"};

struct bench {
	struct event_base *base;
	const struct bench_workload *w;
	struct bench_opts o;
	struct sockaddr_in target;
	const char *host;
	int port;
	unsigned nconn;
	unsigned sources;
	unsigned window; /* connections being opened at once at most */
	double duration; /* seconds, 0 for none */
	uint64_t cycles; /* cycles to start in all, 0 for no limit */
	double rate; /* cycles/s over all connections, 0: closed loop */
	uint64_t period; /* ns between a connection's cycles (open loop) */
	uint64_t timeout; /* ns a request (or connect) may take */
	int json;

	struct bench_conn *conns;
	unsigned next_open; /* the next connection to open */
	unsigned opening; /* connecting or setting up */
	unsigned settled; /* set up, or failed on the way */
	unsigned alive;
	unsigned set_up;
	unsigned busy; /* cycles in flight */
	int in_open;
	int running;
	int stopping;
	uint64_t t0, t_end; /* ns */
	/* Where the machine's CPU went while the clock ran: licbench's own
	 * (user + system, µs) and every CPU's idle and busy ticks from
	 * /proc/stat, so that a report says whether the client, the server
	 * or neither was the bound. */
	uint64_t cpu0_us, cpu_end_us;
	uint64_t idle0, busy0, idle_end, busy_end;
	uint64_t started;
	uint64_t completed;
	uint64_t err[BENCH_E_MAX];
	uint64_t resent; /* datagram requests sent again, same id */
	struct bench_hist cycle; /* a whole cycle, from its start or due */
	struct bench_hist first; /* its first request */
	char first_error[160];
	struct event *sweep;
	struct event *stop;
	struct evbuffer *dgram_out; /* datagram: the request being sent */
};

static uint64_t
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct timeval
bench_tv(uint64_t ns)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ns / 1000000000ULL);
	tv.tv_usec = (suseconds_t)(ns % 1000000000ULL / 1000);
	return tv;
}

/* licbench's own CPU time so far, µs. */
static uint64_t
bench_cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* The machine's idle (idle + iowait) and busy ticks so far, all CPUs;
 * both 0 where /proc/stat cannot be read. */
static void
bench_machine_ticks(uint64_t *idle, uint64_t *busy)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");

	*idle = *busy = 0;
	if (f == NULL)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		&v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		*idle = v[3] + v[4];
		*busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	}
	fclose(f);
}

static void bench_open_more(struct bench *);
static void bench_next(struct bench_conn *);

static void
bench_finish(struct bench *b)
{
	if (b->t_end != 0)
		return;
	b->t_end = bench_now();
	b->cpu_end_us = bench_cpu_us();
	bench_machine_ticks(&b->idle_end, &b->busy_end);
	event_base_loopexit(b->base, NULL);
}

/* Ends the run once nothing more will start and nothing is in flight. */
static void
bench_check_end(struct bench *b)
{
	if (!b->running)
		return;
	if ((b->stopping || b->alive == 0) && b->busy == 0)
		bench_finish(b);
}

static void
bench_stop_starting(struct bench *b)
{
	unsigned i;

	if (b->stopping)
		return;
	b->stopping = 1;
	for (i = 0; i < b->nconn; i++)
		if (b->conns[i].tick != NULL)
			evtimer_del(b->conns[i].tick);
	bench_check_end(b);
}

static void
bench_note_error(struct bench *b, const char *line, size_t len)
{
	if (b->first_error[0] != '\0' || line == NULL)
		return;
	if (len >= sizeof(b->first_error))
		len = sizeof(b->first_error) - 1;
	memcpy(b->first_error, line, len);
	b->first_error[len] = '\0';
}

static void bench_start_run(struct bench *);

static void
bench_dgram_close(struct bench_conn *c)
{
	if (c->dgram == NULL)
		return;
	close(event_get_fd(c->dgram));
	event_free(c->dgram);
	c->dgram = NULL;
}

/* A connection is done with for good: counted under kind, closed. */
static void
bench_fail(struct bench_conn *c, enum bench_error kind)
{
	struct bench *b = c->run;
	enum bench_state was = c->state;

	if (was == BENCH_S_DEAD)
		return;
	b->err[kind]++;
	c->state = BENCH_S_DEAD;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = NULL;
	bench_dgram_close(c);
	if (c->tick != NULL)
		event_free(c->tick);
	c->tick = NULL;
	b->alive--;
	if (was == BENCH_S_BUSY)
		b->busy--;
	if (was == BENCH_S_CONNECTING || was == BENCH_S_SETUP) {
		b->opening--;
		b->settled++;
		bench_open_more(b);
		bench_start_run(b);
	}
	bench_check_end(b);
}

/*
 * Writes the request of c's step: to the connection's output, or as one
 * datagram (again, with the same request id, when again is set).  A
 * datagram that the kernel does not take is as good as lost on the way:
 * the timeout deals with it.
 */
static void
bench_send(struct bench_conn *c, int again)
{
	struct bench *b = c->run;
	struct evbuffer *out = b->dgram_out;
	size_t len;

	if (c->bev != NULL) {
		b->w->request(c, c->step, bufferevent_get_output(c->bev));
		return;
	}
	c->resend = again;
	if (!again)
		c->resent = 0;
	b->w->request(c, c->step, out);
	len = evbuffer_get_length(out);
	if (len > 0)
		(void)send(
		    event_get_fd(c->dgram), evbuffer_pullup(out, -1), len, 0);
	evbuffer_drain(out, len);
}

static void
bench_start_cycle(struct bench_conn *c, uint64_t t_start)
{
	struct bench *b = c->run;

	c->started++;
	b->started++;
	b->busy++;
	c->state = BENCH_S_BUSY;
	c->step = 0;
	c->cycle_t0 = t_start;
	c->req_t0 = bench_now();
	bench_send(c, 0);
	if (b->cycles != 0 && b->started >= b->cycles)
		bench_stop_starting(b);
}

/* When the k-th cycle of connection c falls due (open loop): the
 * connections are spread evenly over one period. */
static uint64_t
bench_due_at(const struct bench_conn *c, uint64_t k)
{
	const struct bench *b = c->run;

	return b->t0 + b->period * c->id / b->nconn + b->period * k;
}

/* A connection is free: start what is due. */
static void
bench_next(struct bench_conn *c)
{
	struct bench *b = c->run;

	if (!b->running || b->stopping || c->state != BENCH_S_IDLE)
		return;
	if (b->period == 0)
		bench_start_cycle(c, bench_now());
	else if (c->started < c->due)
		bench_start_cycle(c, bench_due_at(c, c->started));
}

static void
bench_arm_tick(struct bench_conn *c)
{
	uint64_t at = bench_due_at(c, c->due), now = bench_now();
	struct timeval tv = bench_tv(at > now ? at - now : 0);

	/* libevent adds the delay to the time it read when this round of
	 * callbacks began, which may be long past with many connections:
	 * the tick would come early. */
	event_base_update_cache_time(c->run->base);
	evtimer_add(c->tick, &tv);
}

static void
bench_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bench_conn *c = arg;

	if (c->run->stopping)
		return;
	/* Early still (the clocks differ by a tick): wait for the rest. */
	if (bench_now() < bench_due_at(c, c->due)) {
		bench_arm_tick(c);
		return;
	}
	c->due++;
	bench_arm_tick(c);
	bench_next(c);
}

/* Microseconds from then to now; none when a timer fired a hair early. */
static uint64_t
bench_us_since(uint64_t then, uint64_t now)
{
	return now > then ? (now - then) / 1000 : 0;
}

static void
bench_cycle_done(struct bench_conn *c, uint64_t now)
{
	struct bench *b = c->run;

	b->busy--;
	c->state = BENCH_S_IDLE;
	if (b->running)
		bench_hist_add(&b->cycle, bench_us_since(c->cycle_t0, now));
	b->completed++;
	bench_check_end(b);
	bench_next(c);
}

/* Connection c is ready for cycles: open the next one, and start the
 * clock if it was the last. */
static void
bench_set_up(struct bench_conn *c)
{
	struct bench *b = c->run;

	c->state = BENCH_S_IDLE;
	b->opening--;
	b->settled++;
	b->set_up++;
	bench_open_more(b);
	bench_start_run(b);
}

/* The cycle in flight is lost (counted under kind); the connection
 * goes on. */
static void
bench_cycle_lost(struct bench_conn *c, enum bench_error kind)
{
	struct bench *b = c->run;

	b->err[kind]++;
	b->busy--;
	c->state = BENCH_S_IDLE;
	bench_check_end(b);
	bench_next(c);
}

/* Notes a reply judged an error, in the workload's words if it has any. */
static void
bench_note_reply(struct bench_conn *c, const char *line, size_t len)
{
	struct bench *b = c->run;
	const char *why;

	if (b->w->explain != NULL) {
		why = b->w->explain(c, line, len);
		bench_note_error(b, why, strlen(why));
		return;
	}
	bench_note_error(b, line, len);
}

/* One reply line (datagram) for connection c. */
static void
bench_line(struct bench_conn *c, const char *line, size_t len)
{
	struct bench *b = c->run;
	enum bench_reply r;
	uint64_t now;

	switch (c->state) {
	case BENCH_S_SETUP:
		r = b->w->reply(c, -1, line, len);
		if (r == BENCH_R_MORE)
			return;
		if (r != BENCH_R_DONE) {
			bench_note_reply(c, line, len);
			bench_fail(c, BENCH_E_PROTOCOL);
			return;
		}
		bench_set_up(c);
		return;
	case BENCH_S_BUSY:
		break;
	default:
		/* Notices between cycles are of no interest. */
		return;
	}

	r = b->w->reply(c, c->step, line, len);
	if (r == BENCH_R_MORE)
		return;
	if (r == BENCH_R_AGAIN && c->dgram != NULL) {
		bench_send(c, 1);
		return;
	}
	if (r != BENCH_R_DONE) {
		bench_note_reply(c, line, len);
		bench_cycle_lost(c, BENCH_E_PROTOCOL);
		return;
	}
	now = bench_now();
	if (c->step == 0 && b->running)
		bench_hist_add(&b->first, bench_us_since(c->cycle_t0, now));
	if (++c->step < b->w->nsteps) {
		c->req_t0 = now;
		bench_send(c, 0);
		return;
	}
	bench_cycle_done(c, now);
}

static void
bench_read_cb(struct bufferevent *bev, void *arg)
{
	struct bench_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	size_t eol_len;
	unsigned char *p;

	/* The connection may die inside bench_line: c->bev tells. */
	while (c->bev == bev) {
		eol =
		    evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
		if (eol.pos == -1) {
			if (evbuffer_get_length(in) > BENCH_LINE_MAX) {
				bench_note_error(
				    c->run, "(reply line too long)", 21);
				bench_fail(c, BENCH_E_PROTOCOL);
			}
			return;
		}
		p = evbuffer_pullup(in, eol.pos + (ssize_t)eol_len);
		bench_line(c, (const char *)p, (size_t)eol.pos);
		if (c->bev != bev)
			return;
		evbuffer_drain(in, (size_t)eol.pos + eol_len);
	}
}

/*
 * Datagrams for client c: each one reply.  A refusal (the ICMP of a port
 * nobody listens on) ends the client as a connection refused would.
 */
static void
bench_dgram_cb(evutil_socket_t fd, short what, void *arg)
{
	static unsigned char buf[BENCH_DGRAM_MAX];
	struct bench_conn *c = arg;
	ssize_t n;
	int i, e;

	for (i = 0; i < BENCH_DGRAM_BURST && c->dgram != NULL; i++) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == -1) {
			e = errno;
			if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
				return;
			if (c->run->first_error[0] == '\0')
				snprintf(c->run->first_error,
				    sizeof(c->run->first_error), "recv: %s",
				    strerror(e));
			bench_fail(c,
			    e == ECONNREFUSED ? BENCH_E_CONNECT
					      : BENCH_E_CLOSED);
			return;
		}
		bench_line(c, (const char *)buf, (size_t)n);
	}
}

static void
bench_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bench_conn *c = arg;
	struct bench *b = c->run;

	if (what & BEV_EVENT_CONNECTED) {
		if (b->w->setup == NULL) {
			bench_set_up(c);
			return;
		}
		c->state = BENCH_S_SETUP;
		c->req_t0 = bench_now();
		b->w->setup(c, bufferevent_get_output(bev));
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bench_fail(c,
		    c->state == BENCH_S_CONNECTING ? BENCH_E_CONNECT
						   : BENCH_E_CLOSED);
}

static void
bench_open_failed(struct bench *b, struct bench_conn *c, const char *what)
{
	if (b->first_error[0] == '\0')
		snprintf(b->first_error, sizeof(b->first_error), "%s: %s", what,
		    strerror(errno));
	bench_fail(c, BENCH_E_CONNECT);
}

/* A datagram client: a UDP socket connected to the server (from source
 * address id % sources + 1 with -S), ready at once: nothing to set up. */
static int
bench_open_dgram(struct bench *b, struct bench_conn *c)
{
	struct sockaddr_in src;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		bench_open_failed(b, c, "socket");
		return -1;
	}
	if (b->sources > 1) {
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f000001U + c->id % b->sources);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
			close(fd);
			bench_open_failed(b, c, "bind");
			return -1;
		}
	}
	if (connect(fd, (struct sockaddr *)&b->target, sizeof(b->target)) ==
	    -1) {
		close(fd);
		bench_open_failed(b, c, "connect");
		return -1;
	}
	c->dgram =
	    event_new(b->base, fd, EV_READ | EV_PERSIST, bench_dgram_cb, c);
	if (c->dgram == NULL || event_add(c->dgram, NULL) == -1) {
		if (c->dgram != NULL)
			event_free(c->dgram);
		c->dgram = NULL;
		close(fd);
		errno = ENOMEM;
		bench_open_failed(b, c, "event");
		return -1;
	}
	bench_set_up(c);
	return 0;
}

static int
bench_open(struct bench *b, struct bench_conn *c)
{
	struct sockaddr_in src;
	int fd, one = 1;

	c->run = b;
	c->opts = &b->o;
	c->state = BENCH_S_CONNECTING;
	c->req_t0 = bench_now();
	b->alive++;
	b->opening++;
	if (b->w->datagram)
		return bench_open_dgram(b, c);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (b->sources > 1) {
		/* 127.0.0.1 up to 127.0.0.N: each source address has its
		 * own ephemeral ports, and the kernel picks the port at
		 * connect time so that a port serves every address. */
		(void)setsockopt(
		    fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f000001U + c->id % b->sources);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
			close(fd);
			goto fail;
		}
	}
	c->bev = bufferevent_socket_new(b->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		goto fail;
	}
	bufferevent_setcb(c->bev, bench_read_cb, NULL, bench_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(
		c->bev, (struct sockaddr *)&b->target, sizeof(b->target)) == -1)
		goto fail;
	return 0;

fail:
	bench_open_failed(b, c, "connect");
	return -1;
}

static void
bench_open_more(struct bench *b)
{
	struct bench_conn *c;

	/* A connection that fails at once calls back in here: the loop
	 * that is running already opens its successor. */
	if (b->in_open)
		return;
	b->in_open = 1;
	while (b->next_open < b->nconn && b->opening < b->window) {
		c = &b->conns[b->next_open];
		c->id = b->next_open++;
		(void)bench_open(b, c);
	}
	b->in_open = 0;
}

static void
bench_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	bench_stop_starting(arg);
}

/* Starts the clock once every connection is set up or has failed. */
static void
bench_start_run(struct bench *b)
{
	struct timeval tv;
	unsigned i;

	if (b->running || b->settled < b->nconn)
		return;
	b->running = 1;
	b->t0 = bench_now();
	b->cpu0_us = bench_cpu_us();
	bench_machine_ticks(&b->idle0, &b->busy0);
	if (b->alive == 0) {
		bench_finish(b);
		return;
	}
	if (b->duration > 0) {
		tv = bench_tv((uint64_t)(b->duration * 1e9));
		b->stop = evtimer_new(b->base, bench_stop_cb, b);
		evtimer_add(b->stop, &tv);
	}
	for (i = 0; i < b->nconn && !b->stopping; i++) {
		struct bench_conn *c = &b->conns[i];

		if (c->state != BENCH_S_IDLE)
			continue;
		if (b->period != 0) {
			c->tick = evtimer_new(b->base, bench_tick_cb, c);
			bench_arm_tick(c);
		} else {
			bench_next(c);
		}
	}
}

/* Requests (and connections) that took too long are timeouts; the
 * connection is given up, since a late reply would be taken for the next
 * request's.  A datagram client re-sends at half the timeout and, at the
 * timeout, loses only the cycle: its replies carry request ids. */
static void
bench_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	uint64_t now = bench_now();
	unsigned i;

	for (i = 0; i < b->next_open; i++) {
		struct bench_conn *c = &b->conns[i];

		if (c->state != BENCH_S_CONNECTING &&
		    c->state != BENCH_S_SETUP && c->state != BENCH_S_BUSY)
			continue;
		if (c->dgram != NULL && c->state == BENCH_S_BUSY) {
			if (now - c->req_t0 >= b->timeout) {
				bench_cycle_lost(c, BENCH_E_TIMEOUT);
			} else if (!c->resent &&
			    now - c->req_t0 >= b->timeout / 2) {
				c->resent = 1;
				b->resent++;
				bench_send(c, 1);
			}
			continue;
		}
		if (now - c->req_t0 < b->timeout)
			continue;
		bench_fail(c,
		    c->state == BENCH_S_CONNECTING ? BENCH_E_CONNECT
						   : BENCH_E_TIMEOUT);
	}
}

/* Makes room for a descriptor per connection: the soft limit up to the
 * hard one, and the hard one too when we may (root). */
static void
bench_raise_nofile(unsigned nconn)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)nconn + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want) {
		struct rlimit more = {want, want};

		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		fprintf(stderr,
		    "licbench: descriptors limited to %llu: not all %u "
		    "connections can be opened\n",
		    (unsigned long long)rl.rlim_cur, nconn);
}

static void
bench_json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
bench_json_hist(const char *name, const struct bench_hist *h)
{
	printf("  \"%s\": {\"count\": %" PRIu64 ", \"p50\": %" PRIu64
	       ", \"p90\": %" PRIu64 ", \"p99\": %" PRIu64
	       ", \"p99_9\": %" PRIu64 ", \"max\": %" PRIu64
	       ", \"mean\": %.1f},\n",
	    name, h->count, bench_hist_pct(h, 50), bench_hist_pct(h, 90),
	    bench_hist_pct(h, 99), bench_hist_pct(h, 99.9), h->max,
	    h->count ? (double)h->sum / (double)h->count : 0.0);
}

static void
bench_text_hist(const char *label, const char *what, const struct bench_hist *h)
{
	printf("%-12s p50 %" PRIu64 "  p90 %" PRIu64 "  p99 %" PRIu64
	       "  p99.9 %" PRIu64 "  max %" PRIu64 "  (%s)\n",
	    label, bench_hist_pct(h, 50), bench_hist_pct(h, 90),
	    bench_hist_pct(h, 99), bench_hist_pct(h, 99.9), h->max, what);
}

static void
bench_report(const struct bench *b)
{
	double secs = b->t_end > b->t0 ? (double)(b->t_end - b->t0) / 1e9 : 0;
	double cps = secs > 0 ? (double)b->completed / secs : 0;
	uint64_t total = 0, idle, busy;
	double client_us = 0, idle_share = -1;
	int i;

	for (i = 0; i < BENCH_E_MAX; i++)
		total += b->err[i];
	if (b->completed > 0 && b->cpu_end_us >= b->cpu0_us)
		client_us =
		    (double)(b->cpu_end_us - b->cpu0_us) / (double)b->completed;
	idle = b->idle_end - b->idle0;
	busy = b->busy_end - b->busy0;
	/* Only over a run that started: the ticks at its start are set. */
	if (b->idle0 + b->busy0 > 0 && b->idle_end >= b->idle0 &&
	    b->busy_end >= b->busy0 && idle + busy > 0)
		idle_share = (double)idle / (double)(idle + busy);
	if (b->json) {
		printf("{\n  \"workload\": \"%s\",\n  \"host\": ", b->w->name);
		bench_json_string(b->host);
		printf(",\n  \"port\": %d,\n  \"mode\": \"%s\",\n"
		       "  \"rate\": %.1f,\n  \"connections\": %u,\n"
		       "  \"sources\": %u,\n  \"set_up\": %u,\n"
		       "  \"open_at_end\": %u,\n  \"seconds\": %.3f,\n"
		       "  \"cycles\": %" PRIu64 ",\n"
		       "  \"cycles_per_s\": %.1f,\n"
		       "  \"client_cpu_us_per_cycle\": %.2f,\n"
		       "  \"machine_idle\": %.3f,\n",
		    b->port, b->period != 0 ? "open" : "closed", b->rate,
		    b->nconn, b->sources, b->set_up, b->alive, secs,
		    b->completed, cps, client_us, idle_share);
		bench_json_hist("latency_us", &b->cycle);
		bench_json_hist("first_latency_us", &b->first);
		printf("  \"errors\": {");
		for (i = 0; i < BENCH_E_MAX; i++)
			printf("\"%s\": %" PRIu64 ", ", bench_error_names[i],
			    b->err[i]);
		printf("\"total\": %" PRIu64 "},\n  \"resent\": %" PRIu64
		       ",\n  \"first_error\": ",
		    total, b->resent);
		bench_json_string(b->first_error);
		printf("\n}\n");
		return;
	}
	printf("licbench %s to %s:%d, %s loop", b->w->name, b->host, b->port,
	    b->period != 0 ? "open" : "closed");
	if (b->period != 0)
		printf(" at %.1f cycles/s", b->rate);
	printf(", %u connections from %u source address%s\n", b->nconn,
	    b->sources, b->sources == 1 ? "" : "es");
	printf("%-12s %u set up, %u open at the end\n", "connections",
	    b->set_up, b->alive);
	printf("%-12s %" PRIu64 " in %.3f s = %.1f cycles/s (%s)\n", "cycles",
	    b->completed, secs, cps, b->w->cycle_name);
	if (idle_share < 0)
		printf(
		    "%-12s licbench %.2f us a cycle; the machine's idle time "
		    "unknown\n",
		    "cpu", client_us);
	else
		printf("%-12s licbench %.2f us a cycle; the machine %.1f %% "
		       "idle\n",
		    "cpu", client_us, idle_share * 100);
	bench_text_hist("latency us", b->w->cycle_name, &b->cycle);
	bench_text_hist("first us", b->w->first_name, &b->first);
	printf("%-12s", "errors");
	for (i = 0; i < BENCH_E_MAX; i++)
		printf(" %s %" PRIu64 "%s", bench_error_names[i], b->err[i],
		    i + 1 < BENCH_E_MAX ? "," : "\n");
	if (b->w->datagram)
		printf("%-12s %" PRIu64 " requests (no reply within half the "
		       "timeout)\n",
		    "sent again", b->resent);
	if (b->first_error[0] != '\0')
		printf("%-12s %s\n", "first error", b->first_error);
}

static void
bench_usage(FILE *f)
{
	fprintf(f,
	    "usage: licbench [-w WORKLOAD] [-H ADDR] [-p PORT] [-c CONNS] "
	    "[-d SECONDS | -n CYCLES]\n"
	    "                [-r RATE] [-i MS] [-S N] [-t MS] [-W N] [-f "
	    "FEATURE] [-u USER]\n"
	    "                [-P PRODUCT] [-m MACHINES] [-k KEY] [-K SECONDS] "
	    "[--json]\n"
	    "  -w, --workload W      %s (default flex-cycle)\n"
	    "  -H, --host ADDR       server IPv4 address (127.0.0.1)\n"
	    "  -p, --port N          server port (27000, sentinel 5093, "
	    "kms 1688,\n"
	    "                        memcached 11211)\n"
	    "  -c, --connections N   connections, or sentinel clients "
	    "(16)\n"
	    "  -d, --duration S      run for S seconds (10 unless -n)\n"
	    "  -n, --cycles N        run until N cycles have started\n"
	    "  -r, --rate N          open loop: N cycles/s over all "
	    "connections\n"
	    "  -i, --interval MS     idle: heartbeat interval per "
	    "connection (1000)\n"
	    "  -S, --sources N       spread over source addresses "
	    "127.0.0.1-127.0.0.N\n"
	    "  -t, --timeout MS      a request's time limit (5000; "
	    "sentinel re-sends at half)\n"
	    "  -W, --window N        connections opened at once (256)\n"
	    "  -f, --feature NAME    flex-cycle, flex-hold, sentinel: the "
	    "feature (solver)\n"
	    "  -u, --user NAME       flex, sentinel: the user in HELLO, "
	    "REQUEST (licbench)\n"
	    "  -P, --product NAME    kms: the product (bench)\n"
	    "  -m, --machines N      kms: cycle through N machine ids; 0, a "
	    "new one each time (0)\n"
	    "  -k, --key NAME        memcached: key prefix (licbench)\n"
	    "  -K, --keep S          after the report, hold the connections "
	    "open S seconds\n"
	    "  -j, --json            report as JSON\n"
	    "Exits 0 when no error was counted, 1 when some were, 2 on a "
	    "usage error.\n",
	    bench_workload_names);
}

static int
bench_num(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr,
		    "licbench: %s: expected a number from %g to %g, "
		    "not \"%s\"\n",
		    opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"workload", required_argument, NULL, 'w'},
	    {"host", required_argument, NULL, 'H'},
	    {"port", required_argument, NULL, 'p'},
	    {"connections", required_argument, NULL, 'c'},
	    {"duration", required_argument, NULL, 'd'},
	    {"cycles", required_argument, NULL, 'n'},
	    {"rate", required_argument, NULL, 'r'},
	    {"interval", required_argument, NULL, 'i'},
	    {"sources", required_argument, NULL, 'S'},
	    {"timeout", required_argument, NULL, 't'},
	    {"window", required_argument, NULL, 'W'},
	    {"feature", required_argument, NULL, 'f'},
	    {"user", required_argument, NULL, 'u'},
	    {"product", required_argument, NULL, 'P'},
	    {"machines", required_argument, NULL, 'm'},
	    {"key", required_argument, NULL, 'k'},
	    {"json", no_argument, NULL, 'j'},
	    {"keep", required_argument, NULL, 'K'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct bench b;
	struct event_config *cfg;
	struct timeval sweep_tv = {0, BENCH_SWEEP_MS * 1000};
	double v, port = 0, interval = 1000, keep = 0;
	uint64_t total;
	int ch, i;

	b.w = bench_workload_find("flex-cycle");
	b.host = "127.0.0.1";
	b.nconn = 16;
	b.sources = 1;
	b.window = 256;
	b.timeout = 5000ULL * 1000000ULL;
	b.o.feature = "solver";
	b.o.user = "licbench";
	b.o.product = "bench";
	b.o.key = "licbench";

	while ((ch = getopt_long(argc, argv,
		    "w:H:p:c:d:n:r:i:S:t:W:f:u:P:m:k:K:jh", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'w':
			b.w = bench_workload_find(optarg);
			if (b.w == NULL) {
				fprintf(stderr,
				    "licbench: -w: one of %s, not \"%s\"\n",
				    bench_workload_names, optarg);
				return 2;
			}
			break;
		case 'H':
			b.host = optarg;
			break;
		case 'p':
			if (bench_num("-p", optarg, 1, 65535, &port) == -1)
				return 2;
			break;
		case 'c':
			if (bench_num("-c", optarg, 1, 1000000, &v) == -1)
				return 2;
			b.nconn = (unsigned)v;
			break;
		case 'd':
			if (bench_num("-d", optarg, 0.001, 1e7, &b.duration) ==
			    -1)
				return 2;
			break;
		case 'n':
			if (bench_num("-n", optarg, 1, 1e15, &v) == -1)
				return 2;
			b.cycles = (uint64_t)v;
			break;
		case 'r':
			if (bench_num("-r", optarg, 0.001, 1e9, &b.rate) == -1)
				return 2;
			break;
		case 'i':
			if (bench_num("-i", optarg, 1, 86400000, &interval) ==
			    -1)
				return 2;
			break;
		case 'S':
			if (bench_num("-S", optarg, 1, 254, &v) == -1)
				return 2;
			b.sources = (unsigned)v;
			break;
		case 't':
			if (bench_num("-t", optarg, 1, 3600000, &v) == -1)
				return 2;
			b.timeout = (uint64_t)v * 1000000ULL;
			break;
		case 'W':
			if (bench_num("-W", optarg, 1, 1000000, &v) == -1)
				return 2;
			b.window = (unsigned)v;
			break;
		case 'f':
			b.o.feature = optarg;
			break;
		case 'u':
			b.o.user = optarg;
			break;
		case 'P':
			b.o.product = optarg;
			break;
		case 'm':
			if (bench_num("-m", optarg, 0, 1e15, &v) == -1)
				return 2;
			b.o.machines = (uint64_t)v;
			break;
		case 'k':
			b.o.key = optarg;
			break;
		case 'K':
			if (bench_num("-K", optarg, 0, 86400, &keep) == -1)
				return 2;
			break;
		case 'j':
			b.json = 1;
			break;
		case 'h':
			bench_usage(stdout);
			return 0;
		default:
			bench_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		bench_usage(stderr);
		return 2;
	}
	if (b.duration == 0 && b.cycles == 0)
		b.duration = 10;
	b.port = port != 0 ? (int)port : b.w->default_port;
	memset(&b.target, 0, sizeof(b.target));
	b.target.sin_family = AF_INET;
	b.target.sin_port = htons((uint16_t)b.port);
	/* XXX: IPv4 only; an IPv6 server cannot be measured yet. */
	if (inet_pton(AF_INET, b.host, &b.target.sin_addr) != 1) {
		fprintf(
		    stderr, "licbench: -H: not an IPv4 address: %s\n", b.host);
		return 2;
	}
	if (b.w->periodic)
		b.rate = (double)b.nconn * 1000.0 / interval;
	if (b.rate > 0)
		b.period = (uint64_t)((double)b.nconn * 1e9 / b.rate);
	if (b.rate > 0 && b.period == 0)
		b.period = 1;

	bench_raise_nofile(b.nconn);
	b.conns = calloc(b.nconn, sizeof(*b.conns));
	/* libevent's default clock is the coarse one, a few milliseconds
	 * behind ours: open-loop cycles would seem due before their time. */
	cfg = event_config_new();
	if (cfg != NULL) {
		event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
		b.base = event_base_new_with_config(cfg);
		event_config_free(cfg);
	}
	if (b.conns == NULL || b.base == NULL) {
		fprintf(stderr, "licbench: out of memory\n");
		return 2;
	}
	b.dgram_out = evbuffer_new();
	if (b.dgram_out == NULL) {
		fprintf(stderr, "licbench: out of memory\n");
		return 2;
	}
	b.sweep = event_new(b.base, -1, EV_PERSIST, bench_sweep_cb, &b);
	event_add(b.sweep, &sweep_tv);

	bench_open_more(&b);
	bench_start_run(&b);
	if (b.t_end == 0)
		event_base_dispatch(b.base);
	if (b.t_end == 0)
		bench_finish(&b);

	bench_report(&b);
	/* The connections stay open, silent, for a measurement of the
	 * server while it holds them (memory, a restart with grants). */
	if (keep > 0) {
		fflush(stdout);
		(void)nanosleep(
		    &(struct timespec){(time_t)keep,
			(long)((keep - (double)(time_t)keep) * 1e9)},
		    NULL);
	}

	for (i = 0; i < (int)b.nconn; i++) {
		struct bench_conn *c = &b.conns[i];

		if (c->bev != NULL)
			bufferevent_free(c->bev);
		/* A datagram client says it stops: closing a socket tells the
		 * server nothing, and what a timed-out request was granted
		 * would stay taken until its lease ran out. */
		if (c->dgram != NULL && b.w->bye != NULL) {
			b.w->bye(c, b.dgram_out);
			if (evbuffer_get_length(b.dgram_out) > 0)
				(void)send(event_get_fd(c->dgram),
				    evbuffer_pullup(b.dgram_out, -1),
				    evbuffer_get_length(b.dgram_out), 0);
			evbuffer_drain(
			    b.dgram_out, evbuffer_get_length(b.dgram_out));
		}
		bench_dgram_close(c);
		if (c->tick != NULL)
			event_free(c->tick);
	}
	evbuffer_free(b.dgram_out);
	if (b.stop != NULL)
		event_free(b.stop);
	event_free(b.sweep);
	event_base_free(b.base);
	free(b.conns);

	total = 0;
	for (i = 0; i < BENCH_E_MAX; i++)
		total += b.err[i];
	return total == 0 ? 0 : 1;
}
