/*
 * durable-ref: the least a server can do that answers memcached's `set`,
 * `incr` and `decr` only once the change is on disk.  It is the yardstick
 * for bench/README.md's ratio: licbench drives it with its `memcached`
 * workload, the same bytes it sends to memcached, so that the ratio of
 * its rate to memcached's is what durability alone costs on the machine,
 * with no protocol, accounting, SQLite or MAC chain of licd's.
 *
 * One thread runs an epoll loop over the connections; every change
 * appends a line ("seq op key value") to an open batch, and its reply is
 * held.  A second thread writes each batch to the log with one pwrite and
 * makes it durable with one fdatasync (group commit), then wakes the loop
 * through an eventfd, which sends the replies the batch held.  With -i
 * the loop writes and syncs itself at the end of each iteration instead.
 * The log is written in place over a file filled beforehand (-s bytes,
 * from the start again when full), so that a sync flushes data, not the
 * file's size, as SQLite's write-ahead log is reused.
 *
 *   durable-ref -p PORT [-a ADDR] [-f LOG] [-s BYTES] [-i]
 *
 * It is a bench tool, not a memcached: no get, no expiry, no binary
 * protocol; keys are looked up in a fixed table of DREF_SLOTS; a client
 * with more than 4 KiB of replies held is cut off; a reply
 * waits for the records of every earlier held reply of the connections
 * ahead of it in the queue (one request in flight per connection, as
 * licbench sends, never notices).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define DREF_SLOTS (1u << 17)
#define DREF_KEY_MAX 250
#define DREF_IN 4096
#define DREF_OUT 4096

struct dref_slot {
	char key[DREF_KEY_MAX + 1];
	uint64_t value;
	int used;
};

struct dref_conn {
	int fd;
	size_t in_len;
	char in[DREF_IN];
	size_t held_len; /* replies waiting for their records */
	char held[DREF_OUT];
	uint64_t held_seq; /* the last record they wait for */
	int queued;
	struct dref_conn *next_q;
};

struct dref_batch {
	char *buf;
	size_t len, cap;
	uint64_t last_seq;
};

struct dref {
	int ep, lfd, efd, log_fd;
	off_t log_size, log_off;
	int inline_sync;
	struct dref_slot *slots;
	uint64_t next_seq;
	_Atomic uint64_t durable_seq;
	struct dref_conn *q_head, *q_tail; /* held replies, oldest first */

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct dref_batch open, cur; /* open: the loop's, under mu */
	int busy; /* the syncer has a batch */
};

static void
die(const char *what)
{
	fprintf(stderr, "durable-ref: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct dref_slot *
lookup(struct dref *d, const char *key, size_t n, int create)
{
	uint32_t i = (uint32_t)hash(key, n) & (DREF_SLOTS - 1), k;
	struct dref_slot *s;

	for (k = 0; k < DREF_SLOTS; k++, i = (i + 1) & (DREF_SLOTS - 1)) {
		s = &d->slots[i];
		if (!s->used) {
			if (!create)
				return NULL;
			memcpy(s->key, key, n);
			s->key[n] = '\0';
			s->used = 1;
			return s;
		}
		if (strlen(s->key) == n && memcmp(s->key, key, n) == 0)
			return s;
	}
	return NULL;
}

static void
log_write(struct dref *d, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		size_t k = n;

		if (d->log_off >= d->log_size)
			d->log_off = 0;
		if ((off_t)k > d->log_size - d->log_off)
			k = (size_t)(d->log_size - d->log_off);
		w = pwrite(d->log_fd, p, k, d->log_off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("log write");
		d->log_off += w;
		p += w;
		n -= (size_t)w;
	}
}

static void
commit(struct dref *d, struct dref_batch *b)
{
	log_write(d, b->buf, b->len);
	if (fdatasync(d->log_fd) == -1)
		die("fdatasync");
	atomic_store(&d->durable_seq, b->last_seq);
	b->len = 0;
}

static void
batch_add(struct dref_batch *b, const char *p, size_t n, uint64_t seq)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		if ((b->buf = realloc(b->buf, b->cap)) == NULL)
			die("realloc");
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->last_seq = seq;
}

/* The syncer takes the open batch (mu held). */
static void
take_open(struct dref *d)
{
	struct dref_batch t = d->cur;

	d->cur = d->open;
	d->open = t;
}

static void *
syncer(void *arg)
{
	struct dref *d = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->busy)
			pthread_cond_wait(&d->cv, &d->mu);
		pthread_mutex_unlock(&d->mu);
		commit(d, &d->cur);
		if (write(d->efd, &one, sizeof(one)) != sizeof(one))
			die("eventfd");
		pthread_mutex_lock(&d->mu);
		/* Take what piled up meanwhile at once. */
		if (d->open.len > 0)
			take_open(d);
		else
			d->busy = 0;
	}
	return NULL;
}

static void
send_all(struct dref_conn *c, const char *p, size_t n)
{
	ssize_t w;

	/* Replies are a few bytes and the client reads them: a full socket
	 * buffer would be the client's fault, and ends the connection. */
	while (n > 0) {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			shutdown(c->fd, SHUT_RDWR);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
release(struct dref *d)
{
	uint64_t durable = atomic_load(&d->durable_seq);
	struct dref_conn *c;

	while ((c = d->q_head) != NULL && c->held_seq <= durable) {
		d->q_head = c->next_q;
		if (d->q_head == NULL)
			d->q_tail = NULL;
		c->queued = 0;
		send_all(c, c->held, c->held_len);
		c->held_len = 0;
	}
}

static void
reply(
    struct dref *d, struct dref_conn *c, const char *s, size_t n, uint64_t seq)
{
	/* handle() leaves room for the longest reply before each line. */
	memcpy(c->held + c->held_len, s, n);
	c->held_len += n;
	c->held_seq = seq;
	if (!c->queued) {
		c->queued = 1;
		c->next_q = NULL;
		if (d->q_tail != NULL)
			d->q_tail->next_q = c;
		else
			d->q_head = c;
		d->q_tail = c;
	}
}

/* One change: its record into the open batch, its reply held. */
static void
change(struct dref *d, struct dref_conn *c, const char *op, struct dref_slot *s,
    const char *ok)
{
	char rec[DREF_KEY_MAX + 64], out[32];
	uint64_t seq = ++d->next_seq;
	int n;

	n = snprintf(rec, sizeof(rec), "%" PRIu64 " %s %s %" PRIu64 "\n", seq,
	    op, s->key, s->value);
	pthread_mutex_lock(&d->mu);
	batch_add(&d->open, rec, (size_t)n, seq);
	pthread_mutex_unlock(&d->mu);
	if (ok == NULL) {
		n = snprintf(out, sizeof(out), "%" PRIu64 "\r\n", s->value);
		reply(d, c, out, (size_t)n, seq);
	} else
		reply(d, c, ok, strlen(ok), seq);
}

/* Handles the complete lines in c->in; returns -1 to close. */
static int
handle(struct dref *d, struct dref_conn *c)
{
	char *p = c->in, *end = c->in + c->in_len, *nl, *data;
	char key[DREF_KEY_MAX + 1];
	unsigned long long v;
	unsigned bytes, flags, exp;
	struct dref_slot *s;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		/* A client that sends far more than it reads is cut off:
		 * the replies held for it must fit (the longest is 22
		 * bytes, a 64-bit value and CRLF). */
		if (c->held_len > sizeof(c->held) - 32)
			return -1;
		*nl = '\0';
		if (sscanf(p, "set %250s %u %u %u", key, &flags, &exp,
			&bytes) == 4) {
			data = nl + 1;
			if ((size_t)(end - data) < (size_t)bytes + 2) {
				*nl = '\n'; /* read again with the value */
				break;
			}
			s = lookup(d, key, strlen(key), 1);
			if (s == NULL)
				return -1;
			s->value = strtoull(data, NULL, 10);
			change(d, c, "set", s, "STORED\r\n");
			p = data + bytes + 2;
			continue;
		}
		if (sscanf(p, "incr %250s %llu", key, &v) == 2 ||
		    sscanf(p, "decr %250s %llu", key, &v) == 2) {
			int incr = p[0] == 'i';

			s = lookup(d, key, strlen(key), 0);
			if (s == NULL)
				reply(d, c, "NOT_FOUND\r\n", 11, d->next_seq);
			else {
				if (incr)
					s->value += v;
				else
					s->value =
					    s->value > v ? s->value - v : 0;
				change(d, c, incr ? "incr" : "decr", s, NULL);
			}
		} else
			reply(d, c, "ERROR\r\n", 7, d->next_seq);
		p = nl + 1;
	}
	if (p == c->in && c->in_len == sizeof(c->in))
		return -1; /* a line longer than the buffer */
	c->in_len = (size_t)(end - p);
	memmove(c->in, p, c->in_len);
	return 0;
}

static void
conn_close(struct dref *d, struct dref_conn *c)
{
	struct dref_conn **pp, *prev = NULL;

	for (pp = &d->q_head; *pp != NULL; prev = *pp, pp = &(*pp)->next_q)
		if (*pp == c) {
			*pp = c->next_q;
			if (d->q_tail == c)
				d->q_tail = prev;
			break;
		}
	close(c->fd);
	free(c);
}

static void
accept_all(struct dref *d)
{
	struct epoll_event ev;
	struct dref_conn *c;
	int fd, one = 1;

	while ((fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK)) != -1) {
		(void)setsockopt(
		    fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((c = calloc(1, sizeof(*c))) == NULL)
			die("calloc");
		c->fd = fd;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(d->ep, EPOLL_CTL_ADD, fd, &ev) == -1)
			die("epoll_ctl");
	}
}

static void
hand_over(struct dref *d)
{
	if (d->inline_sync) {
		if (d->open.len > 0)
			commit(d, &d->open);
		release(d);
		return;
	}
	pthread_mutex_lock(&d->mu);
	if (!d->busy && d->open.len > 0) {
		take_open(d);
		d->busy = 1;
		pthread_cond_signal(&d->cv);
	}
	pthread_mutex_unlock(&d->mu);
}

int
main(int argc, char **argv)
{
	static struct dref d;
	struct epoll_event evs[256], ev;
	struct sockaddr_in sa;
	const char *addr = "127.0.0.1", *log = "durable-ref.log";
	long long size = 64LL << 20;
	int port = 0, opt, n, i, one = 1;
	pthread_t th;
	char zero[65536];
	uint64_t v;

	while ((opt = getopt(argc, argv, "a:f:ip:s:")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'f':
			log = optarg;
			break;
		case 'i':
			d.inline_sync = 1;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 's':
			size = atoll(optarg);
			break;
		default:
			fprintf(stderr,
			    "usage: durable-ref -p PORT [-a ADDR] "
			    "[-f LOG] [-s BYTES] [-i]\n");
			return 2;
		}
	}
	if (port <= 0 || port > 65535 || size < (long long)sizeof(zero)) {
		fprintf(stderr,
		    "durable-ref: -p PORT is needed, -s at least "
		    "64 KiB\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((d.slots = calloc(DREF_SLOTS, sizeof(*d.slots))) == NULL)
		die("calloc");
	d.log_fd = open(log, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (d.log_fd == -1)
		die(log);
	memset(zero, 0, sizeof(zero));
	for (d.log_size = 0; d.log_size < size; d.log_size += sizeof(zero))
		if (pwrite(d.log_fd, zero, sizeof(zero), d.log_size) !=
		    (ssize_t)sizeof(zero))
			die("log fill");
	if (fsync(d.log_fd) == -1)
		die("fsync");
	d.log_off = 0;

	d.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (d.lfd == -1 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		die("socket");
	(void)setsockopt(d.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(d.lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(d.lfd, 4096) == -1)
		die("listen");
	if ((d.ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (d.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		die("epoll");
	ev.events = EPOLLIN;
	ev.data.ptr = &d.lfd;
	epoll_ctl(d.ep, EPOLL_CTL_ADD, d.lfd, &ev);
	ev.data.ptr = &d.efd;
	epoll_ctl(d.ep, EPOLL_CTL_ADD, d.efd, &ev);
	pthread_mutex_init(&d.mu, NULL);
	pthread_cond_init(&d.cv, NULL);
	if (!d.inline_sync && pthread_create(&th, NULL, syncer, &d) != 0)
		die("pthread_create");

	for (;;) {
		n = epoll_wait(d.ep, evs, 256, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			struct dref_conn *c = evs[i].data.ptr;
			ssize_t r;

			if (evs[i].data.ptr == &d.lfd) {
				accept_all(&d);
				continue;
			}
			if (evs[i].data.ptr == &d.efd) {
				if (read(d.efd, &v, sizeof(v)) < 0 &&
				    errno != EAGAIN)
					die("eventfd");
				release(&d);
				continue;
			}
			r = recv(c->fd, c->in + c->in_len,
			    sizeof(c->in) - c->in_len, 0);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0) {
				conn_close(&d, c);
				continue;
			}
			c->in_len += (size_t)r;
			if (handle(&d, c) == -1)
				conn_close(&d, c);
		}
		hand_over(&d);
	}
}
