/*
 * Hostile input at every front end: malformed, truncated, oversized,
 * binary and out-of-order requests, one table of cases per front end
 * (flex, kms, the admin socket, the HTTP views, and the sentinel UDP
 * front end).  Each case gets an error reply or a close (for UDP: an
 * error reply or no reply), never a success; after each, the daemon
 * still serves a well-behaved flex client and a well-behaved UDP client,
 * the seats they hold are still held, and the journal has no new record.
 *
 * Adding a stream front end: a struct front_end with how to connect and
 * what an error reply looks like, and its table of cases.  The sentinel
 * front end has its own case type (struct scase): its datagrams are
 * built with the codec and then bent (a header field, the body length,
 * the padding, the signature), and its replies are checked for size (a
 * reply is never larger than an unauthenticated request).  It runs twice:
 * without a site key, and signed against a second licd with one, where
 * forged, stale and replayed datagrams must go unanswered.  Then its
 * limits: grants per client, the queue's length, and a flood of client
 * ids (sentinel.max-clients: busy, and the daemon's memory bounded).
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
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "daemon/journal/journal.h"
#include "harness.h"
#include "sent_harness.h"
#include "protocols/sentinel/sent_codec.h"

static const char license[] = "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 3 0\n"
			      "FEATURE cad demo 1.0 permanent 2 0\n"
			      "FEATURE viewer demo 1.0 permanent 10 0\n"
			      "FEATURE lone demo 1.0 permanent 1 0\n";

/* The well-behaved sentinel client: it holds one token of cad. */
struct ugood {
	int fd;
	uint64_t cid;
	uint64_t handle;
	const uint8_t *key; /* signs with it when not NULL */
	size_t keylen;
	uint8_t req[SENT_DATAGRAM_DEFAULT]; /* its REQUEST, as sent */
	size_t reqlen;
	uint8_t last[SENT_DATAGRAM_DEFAULT]; /* the last datagram it sent */
	size_t lastlen;
};

struct env {
	struct h_licd d;
	int kms_port;
	int http_port;
	char state[300];
	uint64_t flex_handle; /* the good flex client's grant */
	struct ugood *u; /* NULL: no UDP client (yet) */
	const uint8_t *key; /* the site key, NULL without */
	size_t keylen;
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

/*
 * The sentinel front end's well-behaved client, and what every case
 * checks afterwards.
 */
/* A timestamp for a new signature: never the last one again, so that
 * a request signed twice is not a replay of itself. */
static int64_t
sign_ts(void)
{
	static int64_t last;
	int64_t ts = sh_now_ms();

	if (ts <= last)
		ts = last + 1;
	last = ts;
	return ts;
}

/* A UDP socket connected to the licd's sentinel port. */
static int
udp_connect(int port)
{
	int fd = h_loopback_socket(SOCK_DGRAM, port);

	assert_true(fd >= 0);
	return fd;
}

/*
 * Sends a request as a client does (signed when the client has a key,
 * padded to 512 bytes so that any reply fits) and waits for its reply,
 * re-sending it (same request id, signed afresh) when none comes; fails
 * the test after 15 s.  Returns the reply's status; rep holds it.
 */
static int
ug_call(struct ugood *u, struct sent_request *r, struct sent_reply *rep)
{
	int attempt;

	for (attempt = 1; attempt <= 5; attempt++) {
		u->lastlen = sh_encode(u->cid, u->key, u->keylen, r, u->last,
		    sizeof(u->last), 512, sign_ts());
		assert_int_equal(
		    send(u->fd, u->last, u->lastlen, 0), (ssize_t)u->lastlen);
		if (sh_recv(u->fd, u->key, u->keylen, r->hdr.request_id, rep,
			1000 * attempt) > 0)
			return rep->hdr.status;
	}
	fail_msg("sentinel: no reply to %s", sent_verb_name(r->hdr.verb));
	return -1;
}

/* A well-behaved sentinel client of the licd, holding nothing yet. */
static void
ug_connect(struct ugood *u, const struct env *e)
{
	memset(u, 0, sizeof(*u));
	u->fd = udp_connect(e->d.sport);
	u->cid = sh_rnd64();
	u->key = e->key;
	u->keylen = e->keylen;
}

/* REQUEST a token of feature (queue: wait for it); returns the status,
 * the reason in *reason (when not NULL), and keeps the handle. */
static int
ug_request(struct ugood *u, const char *feature, int queue, int *reason)
{
	static struct sent_reply rep;
	struct sent_request r;
	int status;

	sh_req_init(&r, SENT_V_REQUEST);
	snprintf(r.feature, sizeof(r.feature), "%s", feature);
	snprintf(r.user, sizeof(r.user), "bob");
	snprintf(r.host, sizeof(r.host), "ws2");
	r.queue = queue;
	status = ug_call(u, &r, &rep);
	if (reason != NULL)
		*reason = rep.hdr.reason;
	u->handle = rep.handle;
	memcpy(u->req, u->last, u->lastlen);
	u->reqlen = u->lastlen;
	return status;
}

/* The good UDP client takes one token of cad. */
static void
ug_open(struct ugood *u, const struct env *e)
{
	ug_connect(u, e);
	assert_int_equal(ug_request(u, "cad", 0, NULL), SENT_S_OK);
	assert_true(u->handle != 0);
}

/* RENEW, RELEASE or CHECKIN of a handle; returns the status. */
static int
ug_handle(struct ugood *u, int verb, uint64_t handle)
{
	static struct sent_reply rep;
	struct sent_request r;

	sh_req_init(&r, verb);
	r.handle = handle;
	return ug_call(u, &r, &rep);
}

/* BYE: the client gives back all it holds. */
static void
ug_bye(struct ugood *u)
{
	static struct sent_reply rep;
	struct sent_request r;

	sh_req_init(&r, SENT_V_BYE);
	assert_int_equal(ug_call(u, &r, &rep), SENT_S_OK);
	close(u->fd);
}

/* The daemon still serves both good clients, and their seats are held:
 * the UDP client renews its grant (same handle), flex counts one seat of
 * each feature. */
static void
good_check(const struct env *e, const char *fe, const char *what)
{
	static struct sent_reply rep;
	struct sent_request r;

	if (e->u != NULL) {
		sh_req_init(&r, SENT_V_RENEW);
		r.handle = e->u->handle;
		if (ug_call(e->u, &r, &rep) != SENT_S_OK ||
		    rep.handle != e->u->handle)
			fail_msg("%s: %s: the good UDP client lost its grant",
			    fe, what);
		if (h_in_use(e->d.port, "cad") != 1)
			fail_msg("%s: %s: cad seats changed", fe, what);
	}
	if (h_in_use(e->d.port, "solver") != 1)
		fail_msg("%s: %s: solver seats changed", fe, what);
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
	good_check(e, fe->name, c->name);
	if (!c->journaled && journal_records(e) != before)
		fail_msg("%s: %s: the journal changed", fe->name, c->name);
}

/*
 * The sentinel front end.  A case's datagram: the header from the codec
 * with the case's verb and fresh ids, the body (raw bytes, so that it may
 * be anything), signed when the licd has a site key, padded to SPAD
 * bytes as clients do, and then bent by the case's mangle.
 */
#define SPAD 256
#define SMAX_DGRAM 1400 /* sentinel.max-datagram of the test licds */
#define SMAX_CLIENTS 100 /* sentinel.max-clients of the first */
#define NO_HANDLE "987654321"

enum smangle {
	SM_NONE,
	SM_MAGIC, /* the magic is not "LS" */
	SM_VERSION, /* the version byte is arg */
	SM_FLAGS, /* flags |= arg */
	SM_STATUS, /* the status byte, 0 in requests, is arg */
	SM_RESERVED, /* the reserved byte is arg */
	SM_REASON, /* the reason, 0 in requests, is arg */
	SM_LEN_PLUS, /* body_len says arg bytes more than the body */
	SM_LEN_MINUS, /* body_len says arg bytes fewer */
	SM_LEN_SET, /* body_len is arg */
	SM_CUT, /* only the first arg bytes are sent */
	SM_ZERO_RID, /* request id 0 */
	SM_ZERO_CID, /* client id 0 */
	SM_PAD_BYTE, /* a non-zero byte in the padding */
	SM_OVERSIZE, /* padded to arg bytes */
	SM_GOOD_CID, /* the good UDP client's id, from another port */
	SM_RID_REUSE, /* answered, then REQUEST cad under the same id */
	SM_RID_SHRINK, /* answered, then the same request unpadded */
};

enum sexpect {
	SX_UNSET, /* a case must say */
	SX_NONE, /* no reply at all */
	SX_ERROR, /* ERROR with reason (any when 0) */
	SX_DENIED, /* DENIED with reason (any when 0) */
	SX_PAD, /* ERROR pad: the answer would be larger than the request */
};

struct scase {
	const char *name;
	int verb;
	/* The body's bytes; "@U" and "@F" stand for the good UDP and flex
	 * clients' grant handles, "@<n><c>" for n times the byte c. */
	const char *body;
	size_t body_len; /* 0: strlen(body) */
	enum smangle mangle;
	long arg;
	int pad; /* pad to this (0: SPAD, -1: no padding) */
	enum sexpect expect; /* without a site key */
	int reason;
	int repeat; /* the datagram sent this many times (0: once) */
	int ok; /* with a site key (no amplification rule), OK is right */
	int journaled; /* a refusal the journal records (a deny) */
};

#define ERR(r) .expect = SX_ERROR, .reason = SENT_E_##r
#define DENY(r) .expect = SX_DENIED, .reason = (r)
#define NONE .expect = SX_NONE
#define PAD .expect = SX_PAD, .pad = -1
#define MG(m, a) .mangle = SM_##m, .arg = (a)
#define REQ SENT_V_REQUEST
#define RENEW SENT_V_RENEW
#define RELEASE SENT_V_RELEASE
#define QUERY SENT_V_QUERY
#define COMMUTE SENT_V_COMMUTE
#define CHECKIN SENT_V_CHECKIN
#define BYE SENT_V_BYE
#define CAD "feature=cad\n"

/* Core reasons (PROTOCOL.md): no-grant, not-owner. */
#define R_NO_GRANT 14
#define R_NOT_OWNER 15
#define R_UNKNOWN_FEATURE 2
#define R_NOT_BORROWABLE 16
#define R_QUEUE_FULL 12

static const struct scase sent_cases[] = {
    /* The header. */
    {"bad magic", REQ, CAD, MG(MAGIC, 0), NONE},
    {"empty datagram", REQ, NULL, MG(CUT, 0), NONE},
    {"magic only", REQ, CAD, MG(CUT, 2), NONE},
    {"header cut short", REQ, CAD, MG(CUT, SENT_HEADER_LEN - 1), NONE},
    {"version 0", REQ, CAD, MG(VERSION, 0), ERR(VERSION)},
    {"version 2", REQ, CAD, MG(VERSION, 2), ERR(VERSION)},
    {"version 255", REQ, CAD, MG(VERSION, 255), ERR(VERSION)},
    {"verb 0", 0, CAD, ERR(VERB)},
    {"verb 8", 8, CAD, ERR(VERB)},
    {"verb 255", 255, CAD, ERR(VERB)},
    {"a reply sent as a request", REQ, CAD, MG(FLAGS, SENT_F_REPLY), NONE},
    {"unknown flag bits", REQ, CAD, MG(FLAGS, 0x8000), ERR(MALFORMED)},
    {"status set in a request", REQ, CAD, MG(STATUS, 1), ERR(MALFORMED)},
    {"reserved byte set", REQ, CAD, MG(RESERVED, 0xff), ERR(MALFORMED)},
    {"reason set in a request", REQ, CAD, MG(REASON, 9), ERR(MALFORMED)},
    {"zero request id", REQ, CAD, MG(ZERO_RID, 0), ERR(MALFORMED)},
    {"zero client id", REQ, CAD, MG(ZERO_CID, 0), ERR(MALFORMED)},
    {"auth flag without a trailer", REQ, CAD, MG(FLAGS, SENT_F_AUTH), .pad = -1,
	ERR(MALFORMED)},

    /* The body's length and the padding. */
    {"body longer than the datagram", REQ, CAD, MG(LEN_PLUS, 10), .pad = -1,
	ERR(MALFORMED)},
    {"body length 65535", REQ, CAD, MG(LEN_SET, 65535), ERR(MALFORMED)},
    {"body shorter than sent", REQ, CAD, MG(LEN_MINUS, 4), ERR(MALFORMED)},
    {"body length 0, body sent", REQ, CAD, MG(LEN_SET, 0), ERR(MALFORMED)},
    {"non-zero padding", REQ, CAD, MG(PAD_BYTE, 0), ERR(MALFORMED)},
    {"over max-datagram", REQ, CAD, MG(OVERSIZE, SMAX_DGRAM + 1), ERR(TOO_BIG)},
    {"the largest UDP datagram", REQ, CAD, MG(OVERSIZE, SENT_DATAGRAM_MAX),
	ERR(TOO_BIG)},

    /* The body's syntax. */
    {"line without a newline", REQ, "feature=cad", ERR(MALFORMED)},
    {"line without =", REQ, "feature\n", ERR(MALFORMED)},
    {"empty key", REQ, "=cad\n", ERR(MALFORMED)},
    {"key over 16 bytes", REQ, "featurefeaturefea=cad\n", ERR(MALFORMED)},
    {"value over 255 bytes", REQ, "feature=@256x\n", ERR(MALFORMED)},
    {"upper-case key", REQ, "FEATURE=cad\n", ERR(ARGUMENT)},
    {"unknown key", REQ, CAD "colour=red\n", ERR(ARGUMENT)},
    {"client-chosen lease", REQ, CAD "lease=999999\n", ERR(ARGUMENT)},
    {"duplicate key", REQ, CAD CAD, ERR(ARGUMENT)},
    {"duplicate count", REQ, CAD "tokens=1\ntokens=1\n", ERR(ARGUMENT)},
    {"feature name of 64 bytes", REQ, "feature=@64f\n", ERR(ARGUMENT)},
    {"share id of 33 bytes", REQ, CAD "share=@33s\n", ERR(ARGUMENT)},
    {"version of 16 bytes", REQ, CAD "version=@16v\n", ERR(ARGUMENT)},
    {"user name of 64 bytes", REQ, CAD "user=@64u\n", ERR(ARGUMENT)},
    {"control byte in a value", REQ, "feature=c\001ad\n", ERR(ARGUMENT)},
    {"carriage return", REQ, "feature=cad\r\n", ERR(ARGUMENT)},
    {"DEL in a value", REQ, "feature=cad\177\n", ERR(ARGUMENT)},
    {"NUL in a value", REQ, "feature=c\0ad\n", 13, ERR(ARGUMENT)},
    {"NUL in a key", REQ, "feat\0ure=cad\n", 13, ERR(ARGUMENT)},
    {"binary key", REQ, "\x80\xff\xfe=\x01\n\n", ERR(ARGUMENT)},
    {"zero bytes for a body", REQ, "@16\0", 4, ERR(MALFORMED)},
    {"binary feature name", REQ, "feature=\xc3\xa9\xff\n",
	DENY(R_UNKNOWN_FEATURE), .journaled = 1},

    /* Numbers. */
    {"tokens 0", REQ, CAD "tokens=0\n", ERR(ARGUMENT)},
    {"tokens negative", REQ, CAD "tokens=-1\n", ERR(ARGUMENT)},
    {"tokens with a plus", REQ, CAD "tokens=+1\n", ERR(ARGUMENT)},
    {"tokens empty", REQ, CAD "tokens=\n", ERR(ARGUMENT)},
    {"tokens in hex", REQ, CAD "tokens=0x10\n", ERR(ARGUMENT)},
    {"tokens over the bound", REQ, CAD "tokens=1000001\n", ERR(ARGUMENT)},
    {"tokens past 64 bits", REQ, CAD "tokens=99999999999999999999\n",
	ERR(ARGUMENT)},
    {"tokens past what is issued", REQ, CAD "tokens=1000000\n", DENY(0),
	.journaled = 1},
    {"queue 2", REQ, CAD "queue=2\n", ERR(ARGUMENT)},
    {"pid negative", REQ, CAD "pid=-1\n", ERR(ARGUMENT)},
    {"days 0", COMMUTE, CAD "days=0\n", ERR(ARGUMENT)},
    {"days over ten years", COMMUTE, CAD "days=3651\n", ERR(ARGUMENT)},
    {"commute where the licence forbids it", COMMUTE, CAD "days=1\n",
	DENY(R_NOT_BORROWABLE), .journaled = 1},
    {"handle 0", RENEW, "handle=0\n", ERR(ARGUMENT)},
    {"handle negative", RENEW, "handle=-1\n", ERR(ARGUMENT)},
    {"handle past 64 bits", RENEW, "handle=18446744073709551616\n",
	ERR(ARGUMENT)},
    {"cursor past 32 bits", QUERY, "cursor=4294967296\n", ERR(ARGUMENT)},
    {"clients 2", QUERY, "clients=2\n", ERR(ARGUMENT)},

    /* Fields a verb needs. */
    {"request without a feature", REQ, "user=eve\n", ERR(ARGUMENT)},
    {"commute without days", COMMUTE, CAD, ERR(ARGUMENT)},
    {"commute without a feature", COMMUTE, "days=1\n", ERR(ARGUMENT)},
    {"renew without a handle", RENEW, "", ERR(ARGUMENT)},
    {"release without a handle", RELEASE, "", ERR(ARGUMENT)},
    {"checkin without a handle", CHECKIN, "user=eve\n", ERR(ARGUMENT)},

    /* Out of order, and handles that are someone else's. */
    {"release before any request", RELEASE, "handle=@U\n", DENY(R_NOT_OWNER)},
    {"release the flex client's grant", RELEASE, "handle=@F\n",
	DENY(R_NOT_OWNER)},
    {"renew another client's grant", RENEW, "handle=@U\n", DENY(R_NOT_OWNER)},
    {"renew another's grant in its name", RENEW,
	"handle=@U\nuser=bob\nhost=ws2\n", DENY(R_NOT_OWNER)},
    {"take the flex grant in its name", RENEW,
	"handle=@F\nuser=alice\nhost=ws1\n", DENY(R_NOT_OWNER)},
    {"renew an unknown ticket", RENEW, "handle=" NO_HANDLE "\n",
	DENY(R_NO_GRANT)},
    {"release an unknown ticket", RELEASE, "handle=" NO_HANDLE "\n",
	DENY(R_NO_GRANT)},
    {"check in a grant that is no commuter's", CHECKIN,
	"handle=@U\nuser=bob\nhost=ws2\n", DENY(R_NO_GRANT)},
    {"check in an unknown handle", CHECKIN, "handle=55\n", DENY(R_NO_GRANT)},
    {"release under the good client's id", RELEASE, "handle=@U\n",
	MG(GOOD_CID, 0), DENY(R_NOT_OWNER)},
    {"bye under the good client's id", BYE, NULL, MG(GOOD_CID, 0), PAD,
	.ok = 1},
    {"request id reused for a grant", RENEW, "handle=" NO_HANDLE "\n",
	MG(RID_REUSE, 0), DENY(R_NO_GRANT)},
    {"the same request again, smaller", RENEW, "handle=@U\n", MG(RID_SHRINK, 0),
	DENY(R_NOT_OWNER)},
    {"one datagram twenty times", RELEASE, "handle=@U\n", DENY(R_NOT_OWNER),
	.repeat = 20},

    /* Amplification: no reply larger than its request. */
    {"bare header", BYE, NULL, PAD, .ok = 1},
    {"unpadded renew", RENEW, "handle=@U\n", PAD},
    {"unpadded query", QUERY, NULL, PAD, .ok = 1},
    {"query short of one record", QUERY, NULL, .pad = 60, .expect = SX_PAD,
	.ok = 1},
};

/* The body of a case, its placeholders filled in. */
static size_t
sc_body(const struct env *e, const struct scase *c, uint8_t *out, size_t cap)
{
	const char *p = c->body, *end;
	char num[32], *q;
	size_t n = 0, k, len;
	unsigned long times;

	if (p == NULL)
		return 0;
	end = p + (c->body_len != 0 ? c->body_len : strlen(p));
	while (p < end) {
		if (*p != '@') {
			assert_true(n < cap);
			out[n++] = (uint8_t)*p++;
			continue;
		}
		p++;
		if (*p == 'U' || *p == 'F') {
			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)(*p == 'U' ? e->u->handle
							   : e->flex_handle));
			len = strlen(num);
			assert_true(n + len <= cap);
			memcpy(out + n, num, len);
			n += len;
			p++;
			continue;
		}
		times = strtoul(p, &q, 10);
		p = q;
		assert_true(n + times <= cap);
		for (k = 0; k < times; k++)
			out[n++] = (uint8_t)*p;
		p++;
	}
	return n;
}

/* Builds the case's datagram into buf; returns its length. */
static size_t
sc_build(const struct env *e, const struct scase *c, uint64_t cid, uint64_t rid,
    uint8_t *buf, size_t cap)
{
	struct sent_request r;
	size_t len, body;

	memset(&r, 0, sizeof(r));
	r.hdr.verb = (uint8_t)c->verb;
	r.hdr.request_id = rid;
	r.hdr.client_id = cid;
	r.tokens = 1;
	r.clients = 1;
	assert_int_equal(sent_request_encode(&r, buf, cap), SENT_HEADER_LEN);
	body = sc_body(e, c, buf + SENT_HEADER_LEN, cap - SENT_HEADER_LEN);
	sent_put16(buf + 6, (unsigned)body);
	len = SENT_HEADER_LEN + body;
	/* Signed, unless the case sets the AUTH flag itself: that one is
	 * about a flag without its trailer. */
	if (e->key != NULL &&
	    !(c->mangle == SM_FLAGS && (c->arg & SENT_F_AUTH)))
		assert_int_equal(
		    sent_sign(buf, &len, cap, e->key, e->keylen, sign_ts()), 0);
	if (c->pad >= 0)
		assert_int_equal(sent_pad(buf, &len, cap,
				     c->pad == 0 ? SPAD : (size_t)c->pad),
		    0);

	switch (c->mangle) {
	case SM_MAGIC:
		buf[0] = 'X';
		break;
	case SM_VERSION:
		buf[2] = (uint8_t)c->arg;
		break;
	case SM_FLAGS:
		sent_put16(
		    buf + 4, (unsigned)(((buf[4] << 8) | buf[5]) | c->arg));
		break;
	case SM_STATUS:
		buf[24] = (uint8_t)c->arg;
		break;
	case SM_RESERVED:
		buf[25] = (uint8_t)c->arg;
		break;
	case SM_REASON:
		sent_put16(buf + 26, (unsigned)c->arg);
		break;
	case SM_LEN_PLUS:
		sent_put16(buf + 6, (unsigned)(body + (size_t)c->arg));
		break;
	case SM_LEN_MINUS:
		sent_put16(buf + 6, (unsigned)(body - (size_t)c->arg));
		break;
	case SM_LEN_SET:
		sent_put16(buf + 6, (unsigned)c->arg);
		break;
	case SM_CUT:
		len = (size_t)c->arg;
		break;
	case SM_ZERO_RID:
		memset(buf + 8, 0, 8);
		break;
	case SM_ZERO_CID:
		memset(buf + 16, 0, 8);
		break;
	case SM_PAD_BYTE:
		assert_true(len > SENT_HEADER_LEN + body);
		buf[len - 1] = 0x01;
		break;
	case SM_OVERSIZE:
		assert_int_equal(sent_pad(buf, &len, cap, (size_t)c->arg), 0);
		break;
	case SM_NONE:
	case SM_GOOD_CID:
	case SM_RID_REUSE:
	case SM_RID_SHRINK:
		break;
	}
	return len;
}

/* Whether a signed case reaches the server intact, and so is answered:
 * its mangle leaves the signed bytes and the bound alone. */
static int
sc_signed_answered(const struct scase *c)
{
	if (c->expect == SX_NONE)
		return 0;
	switch (c->mangle) {
	case SM_NONE:
	case SM_GOOD_CID:
	case SM_RID_REUSE:
	case SM_RID_SHRINK:
	case SM_PAD_BYTE: /* the padding is outside the MAC */
		return 1;
	default:
		return 0;
	}
}

/* Checks one reply to a case's datagram of sent bytes (buf: what was
 * sent, for the ids it must echo). */
static void
sc_check_reply(const struct env *e, const struct scase *c, const uint8_t *sent,
    size_t sent_len, const uint8_t *in, size_t n)
{
	struct sent_header h;
	int64_t ts;

	if (sent_header_peek(in, n, &h) != 0 || !(h.flags & SENT_F_REPLY))
		fail_msg("sentinel: %s: a reply that is not one", c->name);
	if (sent_len >= 24 &&
	    (h.request_id != sent_get64(sent + 8) ||
		h.client_id != sent_get64(sent + 16)))
		fail_msg("sentinel: %s: the reply's ids are not the request's",
		    c->name);
	if (h.status == SENT_S_QUEUED)
		fail_msg("sentinel: %s: queued", c->name);

	if (e->key != NULL) {
		if (sent_verify(in, n, e->key, e->keylen, &ts, NULL) != 0)
			fail_msg("sentinel: %s: an unsigned reply", c->name);
		if (h.status == SENT_S_OK && !c->ok)
			fail_msg("sentinel: %s: not an error", c->name);
		/* Without the amplification rule the real answer comes;
		 * the others are the same as without a key. */
		if (c->expect == SX_PAD)
			return;
		if (h.status !=
			(c->expect == SX_ERROR ? SENT_S_ERROR
					       : SENT_S_DENIED) ||
		    (c->reason != 0 && h.reason != c->reason))
			fail_msg("sentinel: %s: status %u reason %u", c->name,
			    h.status, h.reason);
		return;
	}

	/* A reply is never larger than an unauthenticated request. */
	if (n > sent_len)
		fail_msg("sentinel: %s: a reply of %zu bytes to %zu", c->name,
		    n, sent_len);
	switch (c->expect) {
	case SX_NONE:
		fail_msg("sentinel: %s: answered (status %u reason %u)",
		    c->name, h.status, h.reason);
		break;
	case SX_PAD:
		if (h.status != SENT_S_ERROR || h.reason != SENT_E_PAD)
			fail_msg("sentinel: %s: status %u reason %u, not pad",
			    c->name, h.status, h.reason);
		break;
	case SX_ERROR:
	case SX_DENIED:
		if (h.status !=
			(c->expect == SX_ERROR ? SENT_S_ERROR
					       : SENT_S_DENIED) ||
		    (c->reason != 0 && h.reason != c->reason))
			fail_msg("sentinel: %s: status %u reason %u, not %s %d",
			    c->name, h.status, h.reason,
			    c->expect == SX_ERROR ? "error" : "denied",
			    c->reason);
		break;
	case SX_UNSET:
		fail_msg("sentinel: %s: the case says nothing", c->name);
		break;
	}
}

/* Waits up to ms for a datagram on fd; returns its length (into buf) or
 * -1 when none came. */
static ssize_t
sc_recv(int fd, uint8_t *buf, size_t cap, int ms)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return -1;
	n = recv(fd, buf, cap, 0);
	return n < 0 ? -1 : n;
}

static void
run_sent_case(const struct env *e, const struct scase *c)
{
	static uint8_t buf[SENT_DATAGRAM_MAX], in[SENT_DATAGRAM_MAX + 1];
	static const struct scase grab = {"", REQ, CAD};
	static const struct scase small_pad = {
	    "the same request again, unpadded", .expect = SX_PAD};
	struct scase small;
	uint64_t cid, rid;
	size_t len, before, i, sends;
	ssize_t n;
	int fd, replies = 0, answered;

	before = journal_records(e);
	fd = udp_connect(e->d.sport);
	cid = c->mangle == SM_GOOD_CID ? e->u->cid : sh_rnd64();
	rid = sh_rnd64();
	len = sc_build(e, c, cid, rid, buf, sizeof(buf));
	sends = c->repeat != 0 ? (size_t)c->repeat : 1;
	for (i = 0; i < sends; i++)
		assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
	answered =
	    e->key != NULL ? sc_signed_answered(c) : c->expect != SX_NONE;

	if (c->mangle == SM_RID_REUSE || c->mangle == SM_RID_SHRINK) {
		/* Its answer first. */
		n = sc_recv(fd, in, sizeof(in), 10000);
		if (n < 0)
			fail_msg("sentinel: %s: no reply", c->name);
		sc_check_reply(e, c, buf, len, in, (size_t)n);
		replies++;
		sends++;
	}
	if (c->mangle == SM_RID_REUSE) {
		/* Then the same request id asks for a grant: the first
		 * answer again, nothing executed. */
		len = sc_build(e, &grab, cid, rid, buf, sizeof(buf));
		assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
	}
	if (c->mangle == SM_RID_SHRINK) {
		/* Then the same request unpadded: the kept answer is larger
		 * than this copy, so it may not go out (without a key). */
		small = *c;
		small.mangle = SM_NONE;
		small.pad = -1;
		len = sc_build(e, &small, cid, rid, buf, sizeof(buf));
		assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
		n = sc_recv(fd, in, sizeof(in), 10000);
		if (n < 0)
			fail_msg("sentinel: %s: no reply", c->name);
		if (e->key != NULL)
			sc_check_reply(e, c, buf, len, in, (size_t)n);
		else
			sc_check_reply(e, &small_pad, buf, len, in, (size_t)n);
		replies++;
	}
	/* A reply that waits for the journal comes late: wait for the
	 * first one that must come. */
	if (answered && c->mangle != SM_RID_SHRINK &&
	    poll(&(struct pollfd){fd, POLLIN, 0}, 1, 10000) <= 0)
		fail_msg("sentinel: %s: no reply", c->name);

	/* The good clients' requests go to the same socket after the case's
	 * datagrams, and are handled in order: once their answers are in,
	 * every reply to the case has been sent. */
	good_check(e, "sentinel", c->name);
	while ((n = sc_recv(fd, in, sizeof(in), 0)) >= 0) {
		sc_check_reply(e, c, buf, len, in, (size_t)n);
		replies++;
	}
	if (answered && replies == 0)
		fail_msg("sentinel: %s: no reply", c->name);
	if (!answered && replies != 0)
		fail_msg("sentinel: %s: answered", c->name);
	if ((size_t)replies > sends)
		fail_msg("sentinel: %s: %d replies to %zu datagrams", c->name,
		    replies, sends);
	close(fd);
	if (!c->journaled && journal_records(e) != before)
		fail_msg("sentinel: %s: the journal changed", c->name);
}

static void
run_sent_cases(const struct env *e)
{
	size_t k;

	for (k = 0; k < sizeof(sent_cases) / sizeof(sent_cases[0]); k++)
		run_sent_case(e, &sent_cases[k]);
	fprintf(stderr, "test_hostile: sentinel%s: %zu cases refused\n",
	    e->key != NULL ? " (signed)" : "",
	    sizeof(sent_cases) / sizeof(sent_cases[0]));
}

/*
 * The limits at the sentinel front end: one client's grants
 * (limits.max-grants-per-client: busy) and a feature's queue
 * (limits.max-queue: queue-full).  The refused request changes nothing.
 */
#define MAX_GRANTS 3 /* limits.max-grants-per-client of the first licd */
#define MAX_QUEUE 2 /* limits.max-queue */

static void
sent_limits(const struct env *e)
{
	struct ugood a, holder, w[MAX_QUEUE + 1];
	size_t before;
	int i, reason;

	ug_connect(&a, e);
	for (i = 0; i < MAX_GRANTS; i++)
		assert_int_equal(ug_request(&a, "viewer", 0, NULL), SENT_S_OK);
	before = journal_records(e);
	assert_int_equal(ug_request(&a, "viewer", 0, &reason), SENT_S_ERROR);
	assert_int_equal(reason, SENT_E_BUSY);
	assert_int_equal(h_in_use(e->d.port, "viewer"), MAX_GRANTS);
	assert_int_equal(journal_records(e), before);

	ug_connect(&holder, e);
	assert_int_equal(ug_request(&holder, "lone", 0, NULL), SENT_S_OK);
	for (i = 0; i <= MAX_QUEUE; i++)
		ug_connect(&w[i], e);
	for (i = 0; i < MAX_QUEUE; i++)
		assert_int_equal(
		    ug_request(&w[i], "lone", 1, NULL), SENT_S_QUEUED);
	assert_int_equal(
	    ug_request(&w[MAX_QUEUE], "lone", 1, &reason), SENT_S_DENIED);
	assert_int_equal(reason, R_QUEUE_FULL);
	assert_int_equal(h_feature_int(e->d.port, "lone", "queued"), MAX_QUEUE);
	assert_int_equal(h_in_use(e->d.port, "lone"), 1);

	/* Another client's ticket is neither polled nor dropped by a
	 * stranger (the one refused above). */
	assert_int_equal(
	    ug_handle(&w[MAX_QUEUE], SENT_V_RENEW, w[0].handle), SENT_S_DENIED);
	assert_int_equal(ug_handle(&w[MAX_QUEUE], SENT_V_RELEASE, w[0].handle),
	    SENT_S_DENIED);
	assert_int_equal(h_feature_int(e->d.port, "lone", "queued"), MAX_QUEUE);
	assert_int_equal(
	    ug_handle(&w[0], SENT_V_RENEW, w[0].handle), SENT_S_QUEUED);

	/* They all go: nothing is left held or queued. */
	for (i = 0; i <= MAX_QUEUE; i++)
		ug_bye(&w[i]);
	ug_bye(&holder);
	ug_bye(&a);
	assert_int_equal(h_in_use(e->d.port, "viewer"), 0);
	assert_int_equal(h_in_use(e->d.port, "lone"), 0);
	assert_int_equal(h_feature_int(e->d.port, "lone", "queued"), 0);
	good_check(e, "sentinel", "limits");
	fprintf(stderr,
	    "test_hostile: sentinel: grants per client and queue "
	    "length bounded\n");
}

/* The daemon's resident memory, in kB. */
static long
vm_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	assert_true(kb > 0);
	return kb;
}

/*
 * A flood of distinct client ids from one port, each a new client (a
 * RENEW of nothing, which makes a session and changes nothing else):
 * at most sentinel.max-clients sessions are kept (the idle ones heard
 * from least recently are forgotten to make room for new ones), the
 * daemon's memory stays bounded, a new client is still served afterwards,
 * and the clients it knew (holding grants) are still served.
 */
#define FLOOD 20000
#define FLOOD_BATCH 25
/* Far above what max-clients sessions take, far below what FLOOD
 * sessions would. */
#define FLOOD_RSS_KB (16 * 1024)

static void
sent_flood(const struct env *e)
{
	static const struct scase renew = {"", RENEW, "handle=" NO_HANDLE "\n"};
	static uint8_t buf[SENT_DATAGRAM_DEFAULT], in[SENT_DATAGRAM_MAX];
	struct sent_header h;
	size_t len, before;
	long rss0, rss1;
	int fd, i, j, busy = 0, denied = 0;
	ssize_t n;

	before = journal_records(e);
	rss0 = vm_rss_kb(e->d.pid);
	fd = udp_connect(e->d.sport);
	len = sc_build(e, &renew, sh_rnd64(), sh_rnd64(), buf, sizeof(buf));
	for (i = 0; i < FLOOD; i += FLOOD_BATCH) {
		for (j = 0; j < FLOOD_BATCH; j++) {
			sent_put64(buf + 8, sh_rnd64());
			sent_put64(buf + 16, sh_rnd64());
			assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
		}
		for (j = 0; j < FLOOD_BATCH; j++) {
			n = sc_recv(fd, in, sizeof(in), 10000);
			if (n < 0)
				fail_msg("sentinel flood: no reply");
			assert_int_equal(
			    sent_header_peek(in, (size_t)n, &h), 0);
			assert_true((size_t)n <= len);
			if (h.status == SENT_S_ERROR && h.reason == SENT_E_BUSY)
				busy++;
			else if (h.status == SENT_S_DENIED &&
			    h.reason == R_NO_GRANT)
				denied++;
			else
				fail_msg("sentinel flood: status %u reason %u",
				    h.status, h.reason);
		}
	}
	rss1 = vm_rss_kb(e->d.pid);
	fprintf(stderr,
	    "test_hostile: sentinel flood: %d clients, %d busy, "
	    "VmRSS %ld -> %ld kB\n",
	    denied, busy, rss0, rss1);
	assert_int_equal(busy, 0);
	assert_int_equal(denied, FLOOD);
	if (rss1 - rss0 > FLOOD_RSS_KB)
		fail_msg("sentinel flood: VmRSS grew by %ld kB", rss1 - rss0);
	close(fd);

	/* A new client now is not locked out: it is answered (its RENEW of
	 * nothing is denied, not refused as busy). */
	fd = udp_connect(e->d.sport);
	sent_put64(buf + 8, sh_rnd64());
	sent_put64(buf + 16, sh_rnd64());
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
	n = sc_recv(fd, in, sizeof(in), 10000);
	assert_true(n > 0);
	assert_int_equal(sent_header_peek(in, (size_t)n, &h), 0);
	assert_int_equal(h.status, SENT_S_DENIED);
	assert_int_equal(h.reason, R_NO_GRANT);
	close(fd);

	/* The clients it knew are served. */
	good_check(e, "sentinel", "flood");
	assert_int_equal(journal_records(e), before);
}

/*
 * Under ASan, freed memory stays in a quarantine (256 MiB by default)
 * before it is reused, so a daemon that makes and forgets 20,000 sentinel
 * clients grows by what they took, although what it holds is bounded.
 * The flood's memory bound is about what licd keeps: the daemon started
 * next gets a small quarantine (a build without ASan ignores it).
 */
static void
asan_small_quarantine(void)
{
	static char opts[512];
	const char *cur = getenv("ASAN_OPTIONS");

	if (cur != NULL && strstr(cur, "quarantine_size_mb") != NULL)
		return;
	snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=1",
	    cur != NULL ? cur : "", cur != NULL && cur[0] != '\0' ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
}

static void
test_hostile_input(void **state)
{
	static struct sent_reply rep;
	struct sent_request r;
	struct env e;
	struct ugood u;
	struct h_conn good;
	char extra[512], out[65536];
	size_t f, k;

	memset(&e, 0, sizeof(e));
	e.kms_port = h_unused_port();
	do
		e.http_port = h_unused_port();
	while (e.http_port == e.kms_port);
	/* No rate limit to speak of: the flood is about clients, not
	 * rates (the port comes from --sentinel-port). */
	snprintf(extra, sizeof(extra),
	    "http = \"127.0.0.1:%d\";\n"
	    "kms = { port = %d; address = \"127.0.0.1\"; "
	    "products = ( { name = \"office\"; } ); };\n"
	    "sentinel = { address = \"127.0.0.1\"; rate = 1000000; "
	    "max-datagram = %d; max-clients = %d; };\n"
	    "limits = { max-grants-per-client = %d; max-queue = %d; };\n",
	    e.http_port, e.kms_port, SMAX_DGRAM, SMAX_CLIENTS, MAX_GRANTS,
	    MAX_QUEUE);
	h_licd_init(&e.d, license, NULL, extra);
	snprintf(e.state, sizeof(e.state), "%s/state", e.d.dir);
	asan_small_quarantine();
	h_licd_start(&e.d);

	h_connect(&good, e.d.port);
	h_hello(&good, "alice", "ws1");
	e.flex_handle = h_checkout(&good, "solver", 1, NULL, 0);
	assert_true(e.flex_handle != 0);
	ug_open(&u, &e);
	e.u = &u;

	for (f = 0; f < sizeof(front_ends) / sizeof(front_ends[0]); f++) {
		for (k = 0; k < front_ends[f].ncases; k++)
			run_case(&e, &front_ends[f], &front_ends[f].cases[k]);
		fprintf(stderr, "test_hostile: %s: %zu cases refused\n",
		    front_ends[f].name, front_ends[f].ncases);
	}
	run_sent_cases(&e);
	sent_limits(&e);
	sent_flood(&e);

	/* The good UDP client gives its token back. */
	sh_req_init(&r, SENT_V_RELEASE);
	r.handle = u.handle;
	assert_int_equal(ug_call(&u, &r, &rep), SENT_S_OK);
	assert_int_equal(h_in_use(e.d.port, "cad"), 0);
	close(u.fd);

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

/*
 * With a site key: datagrams that are not signed with it, whose MAC or
 * bytes were changed, whose timestamp is out of the window, or that were
 * sent before (by the good client: a replay from another port would
 * otherwise grant the attacker a seat) get no reply and change nothing.
 * Each asks for a token of cad, which would show if it were served.
 */
#define SITE_KEY "hostile-test-site-key-0123456789"

enum kkind {
	K_UNSIGNED,
	K_WRONG_KEY,
	K_BAD_MAC, /* the last byte of the MAC flipped */
	K_ALTERED, /* a body byte changed after signing */
	K_HEADER_ALTERED, /* the client id changed after signing */
	K_TS_HUGE, /* a timestamp past INT64_MAX, correctly signed */
	K_TRAILER_CUT, /* the trailer's last 10 bytes cut */
	K_AUTH_NO_TRAILER, /* the AUTH flag, nothing after the body */
	K_AUTH_ZERO_TRAILER, /* the AUTH flag, 40 zero bytes */
	K_OVERSIZE, /* signed, padded over max-datagram */
	K_STALE, /* a minute old */
	K_FUTURE, /* a minute ahead */
	K_EPOCH, /* timestamp 0 */
	K_REPLAY_GRANT, /* the good client's REQUEST, byte for byte */
	K_REPLAY_PADDED, /* the same, more padding (not under the MAC) */
	K_REPLAY_RENEW, /* the good client's last RENEW */
};

struct kcase {
	const char *name;
	enum kkind kind;
	int replay; /* counted as a replay (else as unauthenticated) */
};

static const struct kcase key_cases[] = {
    {"unsigned", K_UNSIGNED},
    {"signed with another key", K_WRONG_KEY},
    {"MAC altered", K_BAD_MAC},
    {"body altered after signing", K_ALTERED},
    {"header altered after signing", K_HEADER_ALTERED},
    {"timestamp past 63 bits", K_TS_HUGE},
    {"trailer cut short", K_TRAILER_CUT},
    {"auth flag without a trailer", K_AUTH_NO_TRAILER},
    {"auth flag, zero trailer", K_AUTH_ZERO_TRAILER},
    {"signed, over max-datagram", K_OVERSIZE},
    {"replayed grant request", K_REPLAY_GRANT, 1},
    {"replayed grant request, padded", K_REPLAY_PADDED, 1},
    {"replayed renew", K_REPLAY_RENEW, 1},
    {"stale timestamp", K_STALE, 1},
    {"timestamp a minute ahead", K_FUTURE, 1},
    {"timestamp 0", K_EPOCH, 1},
};

static size_t
kc_build(const struct env *e, const struct kcase *c, uint8_t *buf, size_t cap)
{
	static const char wrong[] = "not-the-site-key-but-long-enough";
	struct sent_request r;
	unsigned int maclen = SENT_MAC_LEN;
	size_t len, body;
	int64_t ts = sign_ts();
	int n;

	switch (c->kind) {
	case K_REPLAY_GRANT:
	case K_REPLAY_PADDED:
		memcpy(buf, e->u->req, e->u->reqlen);
		len = e->u->reqlen;
		if (c->kind == K_REPLAY_PADDED)
			assert_int_equal(sent_pad(buf, &len, cap, len + 64), 0);
		return len;
	case K_REPLAY_RENEW:
		memcpy(buf, e->u->last, e->u->lastlen);
		return e->u->lastlen;
	default:
		break;
	}

	memset(&r, 0, sizeof(r));
	r.hdr.verb = SENT_V_REQUEST;
	r.hdr.request_id = sh_rnd64();
	r.hdr.client_id = sh_rnd64();
	r.tokens = 1;
	r.clients = 1;
	snprintf(r.feature, sizeof(r.feature), "cad");
	snprintf(r.user, sizeof(r.user), "mallory");
	n = sent_request_encode(&r, buf, cap);
	assert_true(n > 0);
	len = (size_t)n;
	body = len - SENT_HEADER_LEN;
	if (c->kind == K_STALE)
		ts -= 60000;
	else if (c->kind == K_FUTURE)
		ts += 60000;
	else if (c->kind == K_EPOCH)
		ts = 0;
	if (c->kind == K_WRONG_KEY)
		assert_int_equal(sent_sign(buf, &len, cap,
				     (const uint8_t *)wrong, strlen(wrong), ts),
		    0);
	else if (c->kind != K_UNSIGNED && c->kind != K_AUTH_NO_TRAILER &&
	    c->kind != K_AUTH_ZERO_TRAILER)
		assert_int_equal(
		    sent_sign(buf, &len, cap, e->key, e->keylen, ts), 0);

	switch (c->kind) {
	case K_BAD_MAC:
		buf[len - 1] ^= 0x01;
		break;
	case K_ALTERED:
		buf[SENT_HEADER_LEN + 8] ^= 0x01; /* feature=cad: bad */
		break;
	case K_HEADER_ALTERED:
		buf[23] ^= 0x01;
		break;
	case K_TS_HUGE:
		/* A MAC that verifies over a timestamp no clock reaches. */
		memset(buf + SENT_HEADER_LEN + body, 0xff, 8);
		assert_non_null(HMAC(EVP_sha256(), e->key, (int)e->keylen, buf,
		    SENT_HEADER_LEN + body + 8,
		    buf + SENT_HEADER_LEN + body + 8, &maclen));
		break;
	case K_TRAILER_CUT:
		len -= 10;
		break;
	case K_AUTH_NO_TRAILER:
		sent_put16(buf + 4, SENT_F_AUTH);
		break;
	case K_AUTH_ZERO_TRAILER:
		sent_put16(buf + 4, SENT_F_AUTH);
		memset(buf + len, 0, SENT_TRAILER_LEN);
		len += SENT_TRAILER_LEN;
		break;
	case K_OVERSIZE:
		assert_int_equal(sent_pad(buf, &len, cap, SMAX_DGRAM + 1), 0);
		break;
	default:
		break;
	}
	if (c->kind != K_TRAILER_CUT && c->kind != K_AUTH_NO_TRAILER &&
	    c->kind != K_OVERSIZE)
		assert_int_equal(sent_pad(buf, &len, cap, SPAD), 0);
	return len;
}

static void
run_key_case(const struct env *e, const struct kcase *c)
{
	static uint8_t buf[SENT_DATAGRAM_MAX], in[SENT_DATAGRAM_MAX];
	size_t len, before;
	int fd;

	before = journal_records(e);
	fd = udp_connect(e->d.sport);
	len = kc_build(e, c, buf, sizeof(buf));
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
	/* Handled in order: once the good clients are answered, a reply to
	 * this one would be there. */
	good_check(e, "sentinel (site key)", c->name);
	if (sc_recv(fd, in, sizeof(in), 0) >= 0)
		fail_msg("sentinel (site key): %s: answered", c->name);
	close(fd);
	if (journal_records(e) != before)
		fail_msg(
		    "sentinel (site key): %s: the journal changed", c->name);
}

/* GET path from the HTTP views; the whole answer. */
static const char *
http_get(int port, const char *path)
{
	static char buf[1 << 16];
	char req[256];
	size_t n = 0;
	ssize_t r;
	int fd;

	fd = connect_tcp(port);
	snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
	    path);
	send_all(fd, req, strlen(req));
	while (n < sizeof(buf) - 1 &&
	    (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void
test_hostile_sentinel_key(void **state)
{
	struct env e;
	struct ugood u;
	struct h_conn good;
	char extra[512], path[400], want[128], out[4096];
	const char *metrics;
	size_t k, nreplay = 0, nkeys = sizeof(key_cases) / sizeof(key_cases[0]);

	memset(&e, 0, sizeof(e));
	e.http_port = h_unused_port();
	snprintf(extra, sizeof(extra),
	    "http = \"127.0.0.1:%d\";\n"
	    "sentinel = { address = \"127.0.0.1\"; rate = 1000000; "
	    "max-datagram = %d; site-key-file = \"site.key\"; };\n",
	    e.http_port, SMAX_DGRAM);
	h_licd_init(&e.d, license, NULL, extra);
	snprintf(path, sizeof(path), "%s/site.key", e.d.dir);
	h_write(path, SITE_KEY "\n");
	snprintf(e.state, sizeof(e.state), "%s/state", e.d.dir);
	e.key = (const uint8_t *)SITE_KEY;
	e.keylen = strlen(SITE_KEY);
	h_licd_start(&e.d);

	h_connect(&good, e.d.port);
	h_hello(&good, "alice", "ws1");
	e.flex_handle = h_checkout(&good, "solver", 1, NULL, 0);
	assert_true(e.flex_handle != 0);
	ug_open(&u, &e);
	e.u = &u;

	for (k = 0; k < nkeys; k++) {
		run_key_case(&e, &key_cases[k]);
		nreplay += key_cases[k].replay != 0;
	}
	fprintf(stderr,
	    "test_hostile: sentinel (site key): %zu cases "
	    "dropped\n",
	    nkeys);
	/* Each was dropped for its reason, and counted. */
	metrics = http_get(e.http_port, "/metrics");
	snprintf(want, sizeof(want),
	    "licd_sentinel_dropped_total{reason=\"auth\"} %zu\n",
	    nkeys - nreplay);
	if (strstr(metrics, want) == NULL)
		fail_msg("want %s in\n%s", want, metrics);
	snprintf(want, sizeof(want),
	    "licd_sentinel_dropped_total{reason=\"replay\"} %zu\n", nreplay);
	if (strstr(metrics, want) == NULL)
		fail_msg("want %s in\n%s", want, metrics);

	/* The cases of the front end, signed: an error reply (signed) or
	 * none, and nothing changes. */
	run_sent_cases(&e);

	assert_int_equal(h_in_use(e.d.port, "cad"), 1);
	close(u.fd);
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
	    cmocka_unit_test(test_hostile_sentinel_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
