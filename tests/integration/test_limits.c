/*
 * The limits, each with its clear error: connections in total and per
 * address (busy, then closed), grants per connection (busy), the queue's
 * length (queue-full), a line's length (too-long, then closed), a reader
 * that leaves its replies unread (cut off at write-timeout, and licd stops
 * reading from it meanwhile, so its backlog stays bounded) and a writer
 * that stalls mid-line (cut off at idle-timeout); and lines split over
 * reads or gathered in one.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char license[] = "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 2 0\n"
			      "FEATURE viewer demo 1.0 permanent 10 0\n";

/* Reads until the peer closes; returns 1 when it did within ms. */
static int
closed_within(int fd, int ms)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	char buf[65536];
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, ms) <= 0)
			return 0;
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return 1;
		if (n == -1)
			return 0;
	}
}

/* Connects and says HELLO; returns 1 with c open when licd took it, 0
 * (closed) when it was over a cap. */
static int
try_hello(struct h_conn *c, int port)
{
	char line[1024];

	h_connect(c, port);
	assert_int_equal(write(c->fd, "h1 HELLO user=u host=h\n", 23), 23);
	if (h_wait_line(c, "h1 OK", line, sizeof(line), 2000))
		return 1;
	h_close(c);
	return 0;
}

static void
test_connection_caps(void **state)
{
	struct h_licd d;
	struct h_conn c[4], extra;
	char line[1024], v[32];
	int i;

	h_licd_init(&d, license, NULL,
	    "limits = { max-connections = 10; "
	    "max-connections-per-address = 3; };");
	h_licd_start(&d);
	/* (h_licd_start's own probe may not be let go of yet.) */
	for (i = 0; i < 3; i++)
		assert_true(H_WAIT(try_hello(&c[i], d.port), 5000));
	/* The fourth from the same address: busy, and closed. */
	h_connect(&extra, d.port);
	assert_true(h_wait_line(&extra, "* ERR", line, sizeof(line), 5000));
	assert_string_equal(h_get(line, "reason", v, sizeof(v)), "busy");
	assert_true(closed_within(extra.fd, 5000));
	h_close(&extra);
	/* One goes, one more may come. */
	h_close(&c[0]);
	assert_true(H_WAIT(try_hello(&c[0], d.port), 5000));
	for (i = 0; i < 3; i++)
		h_close(&c[i]);
	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);

	/* The total: the same with max-connections. */
	h_licd_init(&d, license, NULL, "limits = { max-connections = 2; };");
	h_licd_start(&d);
	assert_true(H_WAIT(try_hello(&c[0], d.port), 5000));
	assert_true(H_WAIT(try_hello(&c[1], d.port), 5000));
	h_connect(&extra, d.port);
	assert_true(h_wait_line(&extra, "* ERR", line, sizeof(line), 5000));
	assert_string_equal(h_get(line, "reason", v, sizeof(v)), "busy");
	assert_true(H_WAIT(h_log_count(&d, "over the cap"), 5000));
	h_close(&extra);
	h_close(&c[0]);
	h_close(&c[1]);
	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
}

static void
test_grants_and_queue(void **state)
{
	struct h_licd d;
	struct h_conn a, b, q;
	char reason[64], line[1024], v[32];

	h_licd_init(&d, license, NULL,
	    "limits = { max-grants-per-client = 2; max-queue = 1; };");
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	assert_true(h_checkout(&a, "viewer", 1, NULL, 0) != 0);
	assert_true(h_checkout(&a, "viewer", 1, NULL, 0) != 0);
	/* The third grant on one connection: busy, nothing changes. */
	assert_int_equal(
	    h_checkout(&a, "viewer", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "busy");
	assert_int_equal(h_in_use(d.port, "viewer"), 2);
	/* Another connection is not held back by alice's. */
	h_connect(&b, d.port);
	h_hello(&b, "bob", "ws2");
	assert_true(h_checkout(&b, "solver", 2, NULL, 0) != 0);

	/* The queue holds one request; the next is refused. */
	h_connect(&q, d.port);
	h_hello(&q, "carol", "ws3");
	h_request(&q, "CHECKOUT feature=solver queue=1", line, sizeof(line));
	assert_non_null(strstr(line, " QUEUED"));
	h_request(&b, "CHECKOUT feature=solver queue=1", line, sizeof(line));
	assert_non_null(strstr(line, " ERR "));
	assert_string_equal(h_get(line, "reason", v, sizeof(v)), "queue-full");
	h_close(&a);
	h_close(&b);
	h_close(&q);
	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
}

static void
test_slow_peers_and_long_lines(void **state)
{
	static char flood[20 * 10000];
	struct h_licd d;
	struct h_conn slow, stall, longl, good;
	char line[1024], v[32];
	size_t i, used = 0;
	ssize_t n;

	h_licd_init(&d, license, NULL,
	    "limits = { write-timeout = 1; idle-timeout = 5; heartbeat = 2; "
	    "};");
	h_licd_start(&d);

	/* A line past 4096 bytes: too-long, then closed. */
	h_connect(&longl, d.port);
	memset(line, 'x', sizeof(line));
	for (i = 0; i < 5; i++)
		assert_int_equal(
		    write(longl.fd, line, sizeof(line)), (ssize_t)sizeof(line));
	assert_true(h_wait_line(&longl, "* ERR", line, sizeof(line), 5000));
	assert_string_equal(h_get(line, "reason", v, sizeof(v)), "too-long");
	assert_true(closed_within(longl.fd, 5000));
	h_close(&longl);

	/* A reader that never reads: licd stops reading from it once its
	 * replies pile up, and cuts it off at the write timeout. */
	h_connect(&slow, d.port);
	for (i = 0; i < 10000; i++)
		used += (size_t)snprintf(
		    flood + used, sizeof(flood) - used, "s STATUS\n");
	for (i = 0; i < used; i += (size_t)n) {
		struct pollfd pfd = {slow.fd, POLLOUT, 0};

		if (poll(&pfd, 1, 3000) <= 0)
			break; /* licd stopped reading: back-pressure */
		n = send(slow.fd, flood + i, used - i, MSG_NOSIGNAL);
		if (n <= 0)
			break;
	}
	assert_true(H_WAIT(h_log_count(&d, "write timeout, closing"), 15000));

	/* A writer that stalls mid-line: cut off at the idle timeout. */
	h_connect(&stall, d.port);
	h_hello(&stall, "slowpoke", "ws9");
	assert_int_equal(write(stall.fd, "t9 CHECK", 8), 8);
	assert_true(closed_within(stall.fd, 15000));
	assert_true(H_WAIT(h_log_count(&d, "idle timeout, closing"), 5000));

	/* Meanwhile everyone else is served. */
	h_connect(&good, d.port);
	h_hello(&good, "alice", "ws1");
	assert_true(h_checkout(&good, "solver", 1, NULL, 0) != 0);
	h_close(&good);
	h_close(&slow);
	h_close(&stall);
	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
}

/*
 * A peer that connects and says nothing is closed at the handshake
 * timeout, long before the idle timeout; one that has spoken is held to
 * the idle timeout only.
 */
static void
test_handshake_timeout(void **state)
{
	struct h_licd d;
	struct h_conn mute, talker;
	char out[512];

	h_licd_init(&d, license, NULL,
	    "limits = { handshake-timeout = 1; idle-timeout = 60; "
	    "heartbeat = 30; };");
	h_licd_start(&d);

	h_connect(&mute, d.port);
	h_connect(&talker, d.port);
	h_hello(&talker, "alice", "ws1");

	assert_true(closed_within(mute.fd, 5000));
	assert_true(
	    H_WAIT(h_log_count(&d, "handshake timeout, closing"), 5000));
	assert_true(h_log_count(&d, "tls=0 seconds=1"));

	/* Silent for twice the handshake timeout after its HELLO: still
	 * served. */
	h_sleep_ms(2500);
	h_request(&talker, "STATUS", out, sizeof(out));
	assert_non_null(strstr(out, " OK"));
	assert_true(h_checkout(&talker, "solver", 1, NULL, 0) != 0);

	h_close(&mute);
	h_close(&talker);
	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
}

/*
 * Requests as they come off the wire: one a byte at a time (a read each),
 * then three in two writes, the last cut short by the first and finished
 * by the second; each answered once, in order, and a CRLF line end taken
 * as a line end.
 */
static void
test_split_and_gathered_lines(void **state)
{
	static const char hello[] = "t1 HELLO user=ann host=ws2 proto=1\r\n";
	static const char three[] = "t2 CHECKOUT feature=viewer count=1\n"
				    "t3 CHECKOUT feature=viewer count=2\n"
				    "t4 CHECKOUT feat";
	static const char rest[] = "ure=viewer count=3\n";
	struct h_licd d;
	struct h_conn c;
	char line[1024];
	size_t i;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	h_connect(&c, d.port);

	for (i = 0; i < sizeof(hello) - 1; i++) {
		assert_int_equal(write(c.fd, hello + i, 1), 1);
		h_sleep_ms(2);
	}
	assert_true(h_wait_line(&c, "t", line, sizeof(line), 5000));
	assert_true(strncmp(line, "t1 OK ", 6) == 0);

	assert_int_equal(
	    write(c.fd, three, sizeof(three) - 1), (ssize_t)sizeof(three) - 1);
	h_sleep_ms(50);
	assert_int_equal(
	    write(c.fd, rest, sizeof(rest) - 1), (ssize_t)sizeof(rest) - 1);
	for (i = 2; i <= 4; i++) {
		assert_true(h_wait_line(&c, "t", line, sizeof(line), 5000));
		assert_true(line[0] == 't' && line[1] == (char)('0' + i));
		assert_true(strncmp(line + 2, " OK ", 4) == 0);
		assert_int_equal(h_get_u64(line, "count"), i - 1);
	}
	assert_int_equal(h_in_use(d.port, "viewer"), 6);

	h_close(&c);
	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connection_caps),
	    cmocka_unit_test(test_grants_and_queue),
	    cmocka_unit_test(test_slow_peers_and_long_lines),
	    cmocka_unit_test(test_handshake_timeout),
	    cmocka_unit_test(test_split_and_gathered_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
