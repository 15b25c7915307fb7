/*
 * Hostile input at every TCP and local front end: malformed, truncated,
 * oversized, binary and out-of-order requests, one table of cases per
 * front end (flex, kms, the admin socket, the HTTP views).  Each case gets
 * an error reply or a close, never a success; after each, the daemon
 * still serves another client, the seat held by a well-behaved client is
 * still held, and the journal has no new record.
 *
 * Adding a front end: a struct front_end with how to connect and what an
 * error reply looks like, and its table of cases.  A datagram front end
 * (sentinel) takes "an error reply or no reply" instead of a close: give
 * it its own connect (a connected UDP socket) and set datagram.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/journal/journal.h"
#include "harness.h"

static const char license[] = "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 3 0\n";

struct env {
	struct h_licd d;
	int kms_port;
	int http_port;
	char state[300];
};

/* One hostile input. */
struct hcase {
	const char *name;
	const char *data; /* bytes sent */
	size_t len; /* 0: strlen(data) */
	size_t repeat; /* data sent this many times (0: once) */
	const char *hello; /* a line sent first, its reply read (or NULL) */
	int half_close; /* shutdown(SHUT_WR) once it is sent */
	int journaled; /* a refusal the journal records by design */
};

struct front_end {
	const char *name;
	int (*open)(const struct env *);
	/* Whether a reply (its first line) is an error. */
	int (*is_error)(const char *reply);
	const struct hcase *cases;
	size_t ncases;
	int datagram; /* no reply at all is fine too (UDP) */
};

/* The tables below leave trailing fields out, meaning 0. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define LONG_LINE 70000

#define HELLO "h0 HELLO user=eve host=evil\n"

static const struct hcase flex_cases[] = {
    {"garbage", "\x01\x02\x03\xff\xfe\n"},
    {"nul bytes", "t1 HELLO user=a\0b host=c\n", 25},
    {"tls hello on a plain port", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\n", 10},
    {"no verb", "t1\n"},
    {"lower-case verb", "t1 checkout feature=solver\n"},
    {"unknown verb", "t1 FROBNICATE\n"},
    {"bad tag", "t!t HELLO user=a host=b\n"},
    {"tag too long", "t12345678901234567 HELLO user=a host=b\n"},
    {"duplicate key", "t1 HELLO user=a user=b host=c\n"},
    {"bad percent escape", "t1 HELLO user=%zz host=c\n"},
    {"checkout before hello", "t1 CHECKOUT feature=solver count=1\n"},
    {"checkin before hello", "t1 CHECKIN handle=1\n"},
    {"remove before hello", "t1 REMOVE handle=1\n"},
    {"second hello", "t1 HELLO user=a host=b\n", 0, 0, HELLO},
    {"count zero", "t1 CHECKOUT feature=solver count=0\n", 0, 0, HELLO},
    {"count negative", "t1 CHECKOUT feature=solver count=-5\n", 0, 0, HELLO},
    {"count huge", "t1 CHECKOUT feature=solver count=99999999999999999999\n", 0,
	0, HELLO},
    {"checkout no feature", "t1 CHECKOUT count=1\n", 0, 0, HELLO},
    {"checkin unknown handle", "t1 CHECKIN handle=987654\n", 0, 0, HELLO},
    {"checkin bad handle", "t1 CHECKIN handle=abc\n", 0, 0, HELLO},
    {"checkin another's handle", "t1 CHECKIN handle=1\n", 0, 0, HELLO},
    {"resume another's handle", "t1 RESUME handle=1\n", 0, 0, HELLO},
    {"dequeue unknown ticket", "t1 DEQUEUE ticket=42\n", 0, 0, HELLO},
    {"return unknown", "t1 RETURN handle=55\n", 0, 0, HELLO},
    {"admin verb remove", "t1 REMOVE handle=1\n", 0, 0, HELLO},
    {"admin verb down", "t1 DOWN\n", 0, 0, HELLO},
    {"admin verb reread", "t1 REREAD\n", 0, 0, HELLO},
    {"admin verb newlog", "t1 NEWLOG\n", 0, 0, HELLO},
    {"oversized line", "A", 0, LONG_LINE},
    {"oversized value", "t1 HELLO user=", 0, 0, NULL},
    {"truncated line", "t1 HELLO user=a ho", 0, 0, NULL, 1},
    {"truncated after hello", "t1 CHECKOUT feat", 0, 0, HELLO, 1},
};

static const struct hcase kms_cases[] = {
    {"garbage", "\x01\x02\x03\xff\xfe\n"},
    {"nul bytes", "t1 STATUS\0\n", 11},
    {"unknown verb", "t1 FROBNICATE\n"},
    {"no arguments", "t1 ACTIVATE\n"},
    {"bad machine id",
	"t1 ACTIVATE product=office machine=not-a-uuid host=h\n"},
    {"unknown product",
	"t1 ACTIVATE product=nope "
	"machine=3f2504e0-4f89-11d3-9a0c-0305e82c3301 host=h\n",
	0, 0, NULL, 0, 1},
    {"bad class",
	"t1 ACTIVATE product=office "
	"machine=3f2504e0-4f89-11d3-9a0c-0305e82c3301 class=king host=h\n"},
    {"purge from the network",
	"t1 PURGE group=office machine=3f2504e0-4f89-11d3-9a0c-0305e82c3301\n"},
    {"oversized line", "B", 0, LONG_LINE},
    {"truncated line", "t1 ACTIVATE product=off", 0, 0, NULL, 1},
};

static const struct hcase admin_cases[] = {
    {"garbage", "\xff\xfe\xfd\n", 0, 0, HELLO},
    {"remove without arguments", "t1 REMOVE\n", 0, 0, HELLO},
    {"remove bad handle", "t1 REMOVE handle=-1\n", 0, 0, HELLO},
    {"remove unknown handle", "t1 REMOVE handle=424242\n", 0, 0, HELLO},
    {"remove unknown holder",
	"t1 REMOVE feature=solver user=nobody host=nowhere\n", 0, 0, HELLO},
    {"remove before hello", "t1 REMOVE handle=1\n"},
    {"oversized line", "C", 0, LONG_LINE, HELLO},
    {"truncated line", "t1 REMOVE hand", 0, 0, HELLO, 1},
};

static const struct hcase http_cases[] = {
    {"garbage", "\x01\x02\x03\r\n\r\n"},
    {"no version", "GET /metrics\r\n\r\n"},
    {"bad version", "GET /metrics HTTP/9.9\r\n\r\n"},
    {"unknown method", "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"},
    {"post with a body",
	"POST /api/status HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
	"hello"},
    {"path traversal", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"},
    {"unknown path", "GET /admin/remove?handle=1 HTTP/1.1\r\nHost: x\r\n\r\n"},
    {"huge content length",
	"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"},
    {"oversized header", "GET / HTTP/1.1\r\nX-Pad: ", 0, 0, NULL, 0},
    {"endless header", "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
	0, 2000},
    {"truncated request", "GET /metr", 0, 0, NULL, 1},
};

static int
connect_tcp(int port)
{
	struct h_conn c;

	h_connect(&c, port);
	return c.fd;
}

static int
open_flex(const struct env *e)
{
	return connect_tcp(e->d.port);
}

static int
open_kms(const struct env *e)
{
	return connect_tcp(e->kms_port);
}

static int
open_http(const struct env *e)
{
	return connect_tcp(e->http_port);
}

static int
open_admin(const struct env *e)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/admin.sock", e->state);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static int
line_is_error(const char *reply)
{
	return strstr(reply, " ERR ") != NULL;
}

/* A KMS refusal is an ERR, or an OK whose result code is capped (2),
 * unknown-product (3) or bad-request (4). */
static int
kms_is_error(const char *reply)
{
	return line_is_error(reply) || strstr(reply, " code=2 ") != NULL ||
	    strstr(reply, " code=3 ") != NULL ||
	    strstr(reply, " code=4 ") != NULL;
}

static int
http_is_error(const char *reply)
{
	return strncmp(reply, "HTTP/1.", 7) == 0 &&
	    (reply[9] == '4' || reply[9] == '5');
}

static const struct front_end front_ends[] = {
    {"flex", open_flex, line_is_error, flex_cases,
	sizeof(flex_cases) / sizeof(flex_cases[0])},
    {"kms", open_kms, kms_is_error, kms_cases,
	sizeof(kms_cases) / sizeof(kms_cases[0])},
    {"admin", open_admin, line_is_error, admin_cases,
	sizeof(admin_cases) / sizeof(admin_cases[0])},
    {"http", open_http, http_is_error, http_cases,
	sizeof(http_cases) / sizeof(http_cases[0])},
};

/*
 * Reads until a first line, or the close.  Returns 1 with the line in
 * out, 0 at a close (or reset), -1 when nothing came within ms.
 */
static int
first_line(int fd, char *out, size_t len, int ms)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	size_t used = 0;
	char *nl;
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, ms) <= 0)
			return -1;
		n = read(fd, out + used, len - 1 - used);
		if (n <= 0)
			return used > 0 ? 1 : 0;
		used += (size_t)n;
		out[used] = '\0';
		nl = strchr(out, '\n');
		if (nl != NULL || used == len - 1) {
			if (nl != NULL)
				*nl = '\0';
			return 1;
		}
	}
}

/* Writes everything, giving up quietly when the server has closed. */
static void
send_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static size_t
journal_records(const struct env *e)
{
	struct journal_record rec;
	struct journal_iter *it;
	char err[256];
	size_t n = 0;

	it =
	    journal_iter_open(e->state, INT64_MIN, INT64_MAX, err, sizeof(err));
	assert_non_null(it);
	while (journal_iter_next(it, &rec, err, sizeof(err)) == 1)
		n++;
	journal_iter_close(it);
	return n;
}

static void
run_case(const struct env *e, const struct front_end *fe, const struct hcase *c)
{
	static char pad[LONG_LINE];
	char line[8192];
	size_t len, i, before;
	int fd, rc;

	before = journal_records(e);
	fd = fe->open(e);
	if (c->hello != NULL) {
		send_all(fd, c->hello, strlen(c->hello));
		assert_int_equal(first_line(fd, line, sizeof(line), 5000), 1);
	}
	len = c->len != 0 ? c->len : strlen(c->data);
	for (i = 0; i < (c->repeat != 0 ? c->repeat : 1); i++)
		send_all(fd, c->data, len);
	/* "oversized value" and "oversized header": one long field. */
	if (c->repeat == 0 &&
	    (strcmp(c->name, "oversized value") == 0 ||
		strcmp(c->name, "oversized header") == 0)) {
		memset(pad, 'v', sizeof(pad));
		send_all(fd, pad, sizeof(pad));
		send_all(fd, "\r\n\r\n", 4);
	}
	if (c->half_close)
		shutdown(fd, SHUT_WR);

	rc = first_line(fd, line, sizeof(line), 8000);
	if (rc == -1 && !fe->datagram)
		fail_msg(
		    "%s: %s: neither a reply nor a close", fe->name, c->name);
	if (rc == 1 && !fe->is_error(line))
		fail_msg("%s: %s: not an error: %s", fe->name, c->name, line);
	close(fd);

	/* The daemon still serves, the good client's seat is held, and
	 * nothing was recorded. */
	assert_int_equal(h_in_use(e->d.port, "solver"), 1);
	if (!c->journaled && journal_records(e) != before)
		fail_msg("%s: %s: the journal changed", fe->name, c->name);
}

static void
test_hostile_input(void **state)
{
	struct env e;
	struct h_conn good;
	char extra[512], out[65536];
	size_t f, k;

	e.kms_port = h_unused_port();
	do
		e.http_port = h_unused_port();
	while (e.http_port == e.kms_port);
	snprintf(extra, sizeof(extra),
	    "http = \"127.0.0.1:%d\";\n"
	    "kms = { port = %d; address = \"127.0.0.1\"; "
	    "products = ( { name = \"office\"; } ); };\n",
	    e.http_port, e.kms_port);
	h_licd_init(&e.d, license, NULL, extra);
	snprintf(e.state, sizeof(e.state), "%s/state", e.d.dir);
	h_licd_start(&e.d);

	h_connect(&good, e.d.port);
	h_hello(&good, "alice", "ws1");
	assert_true(h_checkout(&good, "solver", 1, NULL, 0) != 0);

	for (f = 0; f < sizeof(front_ends) / sizeof(front_ends[0]); f++) {
		for (k = 0; k < front_ends[f].ncases; k++)
			run_case(&e, &front_ends[f], &front_ends[f].cases[k]);
		fprintf(stderr, "test_hostile: %s: %zu cases refused\n",
		    front_ends[f].name, front_ends[f].ncases);
	}

	/* The good client's session lived through all of it. */
	h_request(&good, "HEARTBEAT", out, sizeof(out));
	assert_non_null(strstr(out, " OK"));
	assert_string_equal(h_get(out, "grants", extra, sizeof(extra)), "1");
	h_close(&good);
	assert_int_equal(h_licd_stop(&e.d), 0);
	assert_int_equal(h_licctl(out, sizeof(out), "journal", "verify",
			     "--state-dir", e.state, (char *)NULL),
	    0);
	h_licd_cleanup(&e.d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hostile_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
