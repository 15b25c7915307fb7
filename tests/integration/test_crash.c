/*
 * Crash consistency: 50 flex clients check seats out and in while licd is
 * killed with SIGKILL at a random moment, 20 times, and started again.
 * After each restart the journal's chain verifies, every checkout and
 * checkin a client was told of is in the journal, seats in use never
 * exceed the licensed count, and every client that held a seat resumes
 * it.  LICD_CRASH_SEED repeats a run (the seed is printed).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/journal/journal.h"
#include "harness.h"

#define CLIENTS 50
#define ROUNDS 20
#define SEATS 25
#define ACKED_MAX 100000

static const char license[] = "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 25 0\n";

enum pending {
	P_NONE,
	P_HELLO,
	P_CHECKOUT,
	P_CHECKIN,
	P_HEARTBEAT,
	P_RESUME, /* a seat the client was told it holds */
	P_RESUME_UNSURE, /* a seat whose checkin went unanswered */
};

struct client {
	int fd;
	char buf[8192];
	size_t len;
	int tag;
	enum pending pending;
	uint64_t held; /* a checkout acknowledged, not checked in */
	uint64_t unsure; /* a checkin sent, its answer lost in a crash */
};

static struct client clients[CLIENTS];
static uint64_t acked_out[ACKED_MAX], acked_in[ACKED_MAX];
static size_t nacked_out, nacked_in;
static unsigned int seed;
static int quiesce; /* answer what is in flight, send nothing new */

static void client_send(struct client *, enum pending, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
client_send(struct client *c, enum pending p, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "c%d ", ++c->tag);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	/* Lines are short and the socket buffer empty: one write. */
	assert_int_equal(write(c->fd, line, (size_t)n), n);
	c->pending = p;
}

/* The next request of a client with nothing pending. */
static void
client_next(struct client *c, int idx)
{
	if (c->held != 0 && rand_r(&seed) % 2 == 0)
		client_send(c, P_CHECKIN, "CHECKIN handle=%llu",
		    (unsigned long long)c->held);
	else if (c->held != 0)
		client_send(c, P_HEARTBEAT, "HEARTBEAT");
	else
		client_send(c, P_CHECKOUT, "CHECKOUT feature=solver count=1");
}

/* After HELLO: take back what the client holds, or may hold. */
static void
client_resume(struct client *c, int idx)
{
	if (c->held != 0)
		client_send(c, P_RESUME, "RESUME handle=%llu",
		    (unsigned long long)c->held);
	else if (c->unsure != 0)
		client_send(c, P_RESUME_UNSURE, "RESUME handle=%llu",
		    (unsigned long long)c->unsure);
	else
		client_next(c, idx);
}

/* One reply line for the client's pending request. */
static void
client_reply(struct client *c, int idx, const char *line)
{
	int ok = strstr(line, " OK") != NULL;
	uint64_t h;

	if (line[0] == '*')
		return; /* a notice */
	switch (c->pending) {
	case P_HELLO:
		assert_true(ok);
		c->pending = P_NONE;
		client_resume(c, idx);
		return;
	case P_CHECKOUT:
		if (ok) {
			h = h_get_u64(line, "handle");
			assert_true(h != 0);
			assert_true(nacked_out < ACKED_MAX);
			acked_out[nacked_out++] = h;
			c->held = h;
		}
		break;
	case P_CHECKIN:
		if (!ok)
			fail_msg("seed %u: client %d: checkin of %llu: %s",
			    seed, idx, (unsigned long long)c->held, line);
		assert_true(nacked_in < ACKED_MAX);
		acked_in[nacked_in++] = c->held;
		c->held = 0;
		break;
	case P_HEARTBEAT:
		break;
	case P_RESUME:
		if (!ok)
			fail_msg("seed %u: client %d lost its seat %llu: %s",
			    seed, idx, (unsigned long long)c->held, line);
		break;
	case P_RESUME_UNSURE:
		/* Checked in before the crash, or not: either is right. */
		if (ok)
			c->held = c->unsure;
		c->unsure = 0;
		break;
	case P_NONE:
		fail_msg("client %d: a reply to nothing: %s", idx, line);
	}
	c->pending = P_NONE;
	if (!quiesce)
		client_next(c, idx);
}

static void
clients_connect(int port)
{
	struct h_conn hc;
	int i;

	for (i = 0; i < CLIENTS; i++) {
		h_connect(&hc, port);
		clients[i].fd = hc.fd;
		clients[i].len = 0;
		fcntl(clients[i].fd, F_SETFL,
		    fcntl(clients[i].fd, F_GETFL) | O_NONBLOCK);
		client_send(&clients[i], P_HELLO,
		    "HELLO user=u%d host=ws%d pid=%d", i, i, 1000 + i);
	}
}

/* Serves replies until n of them have come, then returns at once, with
 * requests in flight. */
static void
clients_run(int n)
{
	struct pollfd pfd[CLIENTS];
	struct client *c;
	char *nl;
	ssize_t r;
	int i, got = 0, rc;

	while (got < n) {
		for (i = 0; i < CLIENTS; i++) {
			pfd[i].fd = clients[i].fd;
			pfd[i].events = POLLIN;
		}
		rc = poll(pfd, CLIENTS, 10000);
		assert_true(rc > 0);
		for (i = 0; i < CLIENTS && got < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			c = &clients[i];
			r = read(c->fd, c->buf + c->len,
			    sizeof(c->buf) - 1 - c->len);
			if (r <= 0)
				fail_msg("seed %u: client %d: licd closed the "
					 "connection",
				    seed, i);
			c->len += (size_t)r;
			c->buf[c->len] = '\0';
			while ((nl = strchr(c->buf, '\n')) != NULL) {
				*nl = '\0';
				client_reply(c, i, c->buf);
				got++;
				c->len -= (size_t)(nl + 1 - c->buf);
				memmove(c->buf, nl + 1, c->len + 1);
			}
		}
	}
}

static int
pending_count(void)
{
	int i, n = 0;

	for (i = 0; i < CLIENTS; i++)
		n += clients[i].pending != P_NONE;
	return n;
}

/* Lets every request in flight be answered, sending no new one. */
static void
clients_quiesce(void)
{
	quiesce = 1;
	while (pending_count() > 0)
		clients_run(1);
	quiesce = 0;
}

/* Sends each idle client its next request. */
static void
clients_go(void)
{
	int i;

	for (i = 0; i < CLIENTS; i++)
		if (clients[i].pending == P_NONE)
			client_next(&clients[i], i);
}

/* The crash: what was in flight is unknown. */
static void
clients_drop(void)
{
	int i;

	for (i = 0; i < CLIENTS; i++) {
		if (clients[i].pending == P_CHECKIN) {
			clients[i].unsure = clients[i].held;
			clients[i].held = 0;
		}
		clients[i].pending = P_NONE;
		close(clients[i].fd);
		clients[i].fd = -1;
	}
}

static int
handle_in(const uint64_t *set, size_t n, uint64_t h)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == h)
			return 1;
	return 0;
}

/* The journal holds every acknowledged checkout and checkin, and never
 * more seats in use than the licence has. */
static void
journal_check(const struct h_licd *d)
{
	static uint64_t outs[ACKED_MAX * 2], ins[ACKED_MAX * 2];
	struct journal_record rec;
	struct journal_iter *it;
	char dir[300], err[256], out[65536];
	size_t nouts = 0, nins = 0, i;
	int rc;

	snprintf(dir, sizeof(dir), "%s/state", d->dir);
	rc = h_licctl(out, sizeof(out), "journal", "verify", "--state-dir", dir,
	    (char *)NULL);
	if (rc != 0)
		fail_msg("seed %u: journal verify: %s", seed, out);

	it = journal_iter_open(dir, INT64_MIN, INT64_MAX, err, sizeof(err));
	assert_non_null(it);
	while ((rc = journal_iter_next(it, &rec, err, sizeof(err))) == 1) {
		if (strcmp(rec.type, "checkout") == 0) {
			assert_true(rec.in_use_after <= SEATS);
			if (nouts < ACKED_MAX * 2)
				outs[nouts++] = rec.handle;
		} else if (strcmp(rec.type, "checkin") == 0) {
			if (nins < ACKED_MAX * 2)
				ins[nins++] = rec.handle;
		}
	}
	assert_int_equal(rc, 0);
	journal_iter_close(it);

	for (i = 0; i < nacked_out; i++)
		if (!handle_in(outs, nouts, acked_out[i]))
			fail_msg("seed %u: acknowledged checkout %llu is not "
				 "in the journal",
			    seed, (unsigned long long)acked_out[i]);
	for (i = 0; i < nacked_in; i++)
		if (!handle_in(ins, nins, acked_in[i]))
			fail_msg("seed %u: acknowledged checkin %llu is not "
				 "in the journal",
			    seed, (unsigned long long)acked_in[i]);
}

static int
held_count(void)
{
	int i, n = 0;

	for (i = 0; i < CLIENTS; i++)
		n += clients[i].held != 0;
	return n;
}

static void
test_kill9_under_load(void **state)
{
	struct h_licd d;
	const char *env = getenv("LICD_CRASH_SEED");
	int round, in_use;

	seed = env != NULL ? (unsigned int)strtoul(env, NULL, 10)
			   : (unsigned int)time(NULL) ^ (unsigned int)getpid();
	fprintf(stderr, "test_crash: seed %u (LICD_CRASH_SEED=%u repeats it)\n",
	    seed, seed);
	memset(clients, 0, sizeof(clients));

	h_licd_init(&d, license, NULL,
	    "limits = { resume-grace = 3; heartbeat = 5; };");
	h_licd_start(&d);
	for (round = 0; round < ROUNDS; round++) {
		clients_connect(d.port);

		/* Halfway, let the grace pass: the seats whose checkout
		 * was granted but never acknowledged go back, and what is
		 * in use is exactly what the clients hold. */
		if (round == ROUNDS / 2) {
			clients_run(2 * CLIENTS);
			clients_quiesce();
			if (!H_WAIT(h_in_use(d.port, "solver") == held_count(),
				15000))
				fail_msg("seed %u: %d seats in use, clients "
					 "hold %d",
				    seed, h_in_use(d.port, "solver"),
				    held_count());
			clients_go();
		}

		/* A random stretch of traffic, ending in the crash with
		 * a request of every client in flight. */
		clients_run(100 + (int)(rand_r(&seed) % 1000));

		h_licd_kill9(&d);
		clients_drop();
		h_licd_start(&d);

		in_use = h_in_use(d.port, "solver");
		assert_true(in_use <= SEATS);
		assert_true(in_use >= held_count());
		journal_check(&d);
	}

	/* The last restart: everyone resumes, the orphans' grace passes,
	 * and the seats in use are exactly those the clients hold. */
	clients_connect(d.port);
	clients_run(2 * CLIENTS);
	clients_quiesce();
	if (!H_WAIT(h_in_use(d.port, "solver") == held_count(), 15000))
		fail_msg("seed %u: %d seats in use, clients hold %d", seed,
		    h_in_use(d.port, "solver"), held_count());
	journal_check(&d);
	fprintf(stderr,
	    "test_crash: %d kills, %zu checkouts and %zu checkins "
	    "acknowledged, all in the journal\n",
	    ROUNDS, nacked_out, nacked_in);
	for (int i = 0; i < CLIENTS; i++)
		close(clients[i].fd);
	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kill9_under_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
