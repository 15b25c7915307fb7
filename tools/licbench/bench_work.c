/*
 * The workloads: flex-cycle (CHECKOUT then CHECKIN of one feature),
 * flex-hold (CHECKOUT only: grants pile up, to fill a server for the
 * restore and status figures), sentinel (REQUEST then RELEASE of a lease
 * over UDP), idle (HEARTBEAT only), kms (ACTIVATE) and memcached (incr
 * then decr of a key, the reference).  Each writes one request per step
 * and judges the reply lines (datagrams); the driver in licbench.c times
 * them.  Every TCP request carries the tag "q": a connection has one
 * request out at a time, so the tag only guards against a reply that
 * belongs to nothing; a sentinel request carries a request id instead.
 */
#include <sys/random.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "protocols/flex/flex_codec.h"
#include "protocols/kms/kms_codec.h"
#include "protocols/sentinel/sent_codec.h"
#include "tools/licbench/bench.h"

/* What PROTOCOL.md asks a client without a site key to pad REQUEST and
 * RELEASE to, so that the server may answer them. */
#define BENCH_SENT_PAD 256

const char bench_workload_names[] =
    "flex-cycle, flex-hold, sentinel, idle, kms, memcached";

/* One parsed line at a time; too large for the stack of a callback. */
static struct flex_msg bench_msg;

/*
 * A reply line of the flex syntax (flex and kms): the final reply under
 * our tag is OK or ERR (or QUEUED, which a request without queue=1 never
 * gets); data lines under the tag and notices under "*" come in between.
 * A notice with ERR (busy, shutdown) comes before the server closes.
 */
static enum bench_reply
bench_flex_line(const char *line, size_t len)
{
	char err[64];

	if (len >= 2 && line[0] == '*' && line[1] == ' ')
		return len >= 5 && memcmp(line + 2, "ERR", 3) == 0
		    ? BENCH_R_ERR
		    : BENCH_R_MORE;
	if (flex_msg_parse(line, len, &bench_msg, err, sizeof(err)) == -1)
		return BENCH_R_ERR;
	if (strcmp(bench_msg.tag, "q") != 0)
		return BENCH_R_ERR;
	if (strcmp(bench_msg.verb, "OK") == 0)
		return BENCH_R_DONE;
	if (strcmp(bench_msg.verb, "ERR") == 0 ||
	    strcmp(bench_msg.verb, "QUEUED") == 0)
		return BENCH_R_ERR;
	return BENCH_R_MORE;
}

static void
bench_flex_hello(struct bench_conn *c, struct evbuffer *out)
{
	evbuffer_add_printf(out,
	    "q HELLO user=%s host=lb%u display=licbench pid=%ld "
	    "client=licbench/%s proto=%d\n",
	    c->opts->user, c->id, (long)getpid(), LICD_VERSION,
	    FLEX_PROTOCOL_VERSION);
}

static void
bench_cycle_request(struct bench_conn *c, int step, struct evbuffer *out)
{
	if (step == 0)
		evbuffer_add_printf(
		    out, "q CHECKOUT feature=%s count=1\n", c->opts->feature);
	else
		evbuffer_add_printf(
		    out, "q CHECKIN handle=%" PRIu64 "\n", c->handle);
}

static enum bench_reply
bench_cycle_reply(struct bench_conn *c, int step, const char *line, size_t len)
{
	enum bench_reply r;

	/* The setup is HELLO: an OK is all it needs. */
	r = bench_flex_line(line, len);
	if (r == BENCH_R_DONE && step == 0 &&
	    flex_msg_get_u64(&bench_msg, "handle", &c->handle) != 1)
		return BENCH_R_ERR;
	return r;
}

/* flex-hold: one CHECKOUT per cycle, never returned while connected. */
static void
bench_hold_request(struct bench_conn *c, int step, struct evbuffer *out)
{
	evbuffer_add_printf(
	    out, "q CHECKOUT feature=%s count=1\n", c->opts->feature);
}

static void
bench_idle_request(struct bench_conn *c, int step, struct evbuffer *out)
{
	evbuffer_add(out, "q HEARTBEAT\n", 12);
}

static enum bench_reply
bench_idle_reply(struct bench_conn *c, int step, const char *line, size_t len)
{
	return bench_flex_line(line, len);
}

/*
 * Machine ids: with machines 0 every request is a new machine, numbered
 * in one sequence for the run under a prefix from the clock and the pid,
 * so that runs do not meet; otherwise ids cycle through a fixed set of
 * machines, the same in every run, so that they are seen again.
 */
static uint64_t bench_kms_seq;
static uint32_t bench_kms_nonce;

static void
bench_kms_request(struct bench_conn *c, int step, struct evbuffer *out)
{
	uint64_t n = bench_kms_seq++;
	uint32_t prefix = 0;

	if (c->opts->machines == 0) {
		if (bench_kms_nonce == 0)
			bench_kms_nonce =
			    (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
		prefix = bench_kms_nonce;
	} else {
		n %= c->opts->machines;
	}
	evbuffer_add_printf(out,
	    "q ACTIVATE product=%s machine=%08" PRIx32
	    "-0000-4000-8000-%012" PRIx64 " class=client host=lb%u\n",
	    c->opts->product, prefix, (uint64_t)(n & 0xffffffffffffULL), c->id);
}

/* An activation answered below the threshold or capped is a normal
 * outcome; an unknown product or refused values are errors of the run. */
static enum bench_reply
bench_kms_reply(struct bench_conn *c, int step, const char *line, size_t len)
{
	enum bench_reply r;
	long long code;

	r = bench_flex_line(line, len);
	if (r != BENCH_R_DONE)
		return r;
	if (flex_msg_get_int(&bench_msg, "code", 0, 99, &code) != 1 || code > 2)
		return BENCH_R_ERR;
	return BENCH_R_DONE;
}

/*
 * sentinel: each client is one session of the UDP front end, as a process
 * of the client library is: a random client id of its own, a fresh random
 * request id for every new request, the same id (and bytes) when a
 * request goes again.  There is no hello: the server knows a client by
 * its client id and address, and REQUEST carries who it is.  Requests are
 * not signed.  XXX: a server with sentinel.site-key-file set drops them
 * all, so it cannot be measured.
 */
static uint64_t bench_sent_state;

static uint64_t
bench_sent_random(void)
{
	uint64_t x;

	if (bench_sent_state == 0 &&
	    getrandom(&bench_sent_state, sizeof(bench_sent_state), 0) !=
		(ssize_t)sizeof(bench_sent_state))
		bench_sent_state =
		    (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	/* xorshift64*: ids need only be distinct, not secret. */
	do {
		bench_sent_state ^= bench_sent_state >> 12;
		bench_sent_state ^= bench_sent_state << 25;
		bench_sent_state ^= bench_sent_state >> 27;
		x = bench_sent_state * 0x2545f4914f6cdd1dULL;
	} while (x == 0);
	return x;
}

/* Encodes req as c's request of this moment: a new request id unless
 * it goes again, padded to c->pad. */
static void
bench_sent_send(
    struct bench_conn *c, struct sent_request *req, struct evbuffer *out)
{
	static uint8_t buf[SENT_DATAGRAM_MAX];
	size_t len;
	int n;

	if (c->client_id == 0)
		c->client_id = bench_sent_random();
	if (!c->resend) {
		c->req_id = bench_sent_random();
		c->pad = BENCH_SENT_PAD;
	}
	req->hdr.version = SENT_PROTOCOL_VERSION;
	req->hdr.request_id = c->req_id;
	req->hdr.client_id = c->client_id;
	n = sent_request_encode(req, buf, sizeof(buf));
	/* Only a value the protocol refuses fails (a control byte in -f or
	 * -u): nothing goes out, and the cycle ends as a timeout. */
	if (n < 0)
		return;
	len = (size_t)n;
	if (sent_pad(buf, &len, sizeof(buf), c->pad) == -1)
		return;
	evbuffer_add(out, buf, len);
}

static void
bench_sent_request(struct bench_conn *c, int step, struct evbuffer *out)
{
	struct sent_request req;

	memset(&req, 0, sizeof(req));
	if (step == 0) {
		req.hdr.verb = SENT_V_REQUEST;
		snprintf(
		    req.feature, sizeof(req.feature), "%s", c->opts->feature);
		req.tokens = 1;
		snprintf(req.user, sizeof(req.user), "%s", c->opts->user);
		snprintf(req.host, sizeof(req.host), "lb%u", c->id);
		snprintf(req.display, sizeof(req.display), "licbench");
		req.pid = (long)getpid();
	} else {
		req.hdr.verb = SENT_V_RELEASE;
		req.handle = c->handle;
	}
	req.clients = 1;
	bench_sent_send(c, &req, out);
}

/* BYE: the server releases what the client still holds (a grant whose
 * REQUEST timed out but was granted) and forgets the session. */
static void
bench_sent_bye(struct bench_conn *c, struct evbuffer *out)
{
	struct sent_request req;

	if (c->client_id == 0)
		return; /* never said anything */
	memset(&req, 0, sizeof(req));
	req.hdr.verb = SENT_V_BYE;
	req.tokens = 1;
	req.clients = 1;
	c->resend = 0;
	bench_sent_send(c, &req, out);
}

/* One reply at a time; large (the QUERY records) for a callback's stack. */
static struct sent_reply bench_sent_rep;
static char bench_sent_why[160];

/* "REQUEST: DENIED reason 10", "RELEASE: ERROR busy": for the report. */
static void
bench_sent_refusal(const struct sent_header *h)
{
	const char *verb = sent_verb_name(h->verb);

	switch (h->status) {
	case SENT_S_QUEUED:
		snprintf(
		    bench_sent_why, sizeof(bench_sent_why), "%s: QUEUED", verb);
		break;
	case SENT_S_DENIED:
		snprintf(bench_sent_why, sizeof(bench_sent_why),
		    "%s: DENIED reason %u", verb, h->reason);
		break;
	default:
		snprintf(bench_sent_why, sizeof(bench_sent_why), "%s: ERROR %s",
		    verb, sent_error_name(h->reason));
		break;
	}
}

static enum bench_reply
bench_sent_reply(struct bench_conn *c, int step, const char *data, size_t len)
{
	const struct sent_header *h = &bench_sent_rep.hdr;
	char err[96];

	bench_sent_why[0] = '\0';
	if (sent_reply_decode((const uint8_t *)data, len, &bench_sent_rep, err,
		sizeof(err)) != 0) {
		snprintf(bench_sent_why, sizeof(bench_sent_why),
		    "reply does not decode: %s", err);
		return BENCH_R_ERR;
	}
	/* The answer to an earlier request, or a second answer to one
	 * that went twice: of no interest now. */
	if (h->client_id != c->client_id || h->request_id != c->req_id)
		return BENCH_R_MORE;
	if (h->verb != (step == 0 ? SENT_V_REQUEST : SENT_V_RELEASE)) {
		snprintf(bench_sent_why, sizeof(bench_sent_why),
		    "%s reply to a %s", sent_verb_name(h->verb),
		    step == 0 ? "REQUEST" : "RELEASE");
		return BENCH_R_ERR;
	}
	if (h->status == SENT_S_ERROR && h->reason == SENT_E_PAD &&
	    c->pad < SENT_DATAGRAM_MAX) {
		/* The server kept its reply for a larger copy of the same
		 * request (PROTOCOL.md, Amplification). */
		c->pad = c->pad * 2 > SENT_DATAGRAM_MAX ? SENT_DATAGRAM_MAX
							: c->pad * 2;
		return BENCH_R_AGAIN;
	}
	if (h->status != SENT_S_OK) {
		bench_sent_refusal(h);
		if (bench_sent_rep.message[0] != '\0')
			snprintf(bench_sent_why + strlen(bench_sent_why),
			    sizeof(bench_sent_why) - strlen(bench_sent_why),
			    ": %s", bench_sent_rep.message);
		return BENCH_R_ERR;
	}
	if (step == 0) {
		if (bench_sent_rep.handle == 0) {
			snprintf(bench_sent_why, sizeof(bench_sent_why),
			    "REQUEST granted without a handle");
			return BENCH_R_ERR;
		}
		c->handle = bench_sent_rep.handle;
	}
	return BENCH_R_DONE;
}

static const char *
bench_sent_explain(struct bench_conn *c, const char *data, size_t len)
{
	return bench_sent_why;
}

/* memcached: each connection sets its own key once, then counts it up
 * and down; the reply to incr and decr is the new value. */
static void
bench_mc_setup(struct bench_conn *c, struct evbuffer *out)
{
	evbuffer_add_printf(
	    out, "set %s:%u 0 0 1\r\n0\r\n", c->opts->key, c->id);
}

static void
bench_mc_request(struct bench_conn *c, int step, struct evbuffer *out)
{
	evbuffer_add_printf(out, "%s %s:%u 1\r\n", step == 0 ? "incr" : "decr",
	    c->opts->key, c->id);
}

static enum bench_reply
bench_mc_reply(struct bench_conn *c, int step, const char *line, size_t len)
{
	size_t i;

	if (step < 0)
		return len == 6 && memcmp(line, "STORED", 6) == 0 ? BENCH_R_DONE
								  : BENCH_R_ERR;
	if (len == 0 || len > 20)
		return BENCH_R_ERR;
	for (i = 0; i < len; i++)
		if (line[i] < '0' || line[i] > '9')
			return BENCH_R_ERR;
	return BENCH_R_DONE;
}

static const struct bench_workload bench_workloads[] = {
    {
	.name = "flex-cycle",
	.cycle_name = "checkout+checkin",
	.first_name = "checkout",
	.default_port = FLEX_DEFAULT_PORT,
	.nsteps = 2,
	.setup = bench_flex_hello,
	.request = bench_cycle_request,
	.reply = bench_cycle_reply,
    },
    {
	.name = "flex-hold",
	.cycle_name = "checkout",
	.first_name = "checkout",
	.default_port = FLEX_DEFAULT_PORT,
	.nsteps = 1,
	.setup = bench_flex_hello,
	.request = bench_hold_request,
	.reply = bench_cycle_reply,
    },
    {
	.name = "sentinel",
	.cycle_name = "request+release",
	.first_name = "request",
	.default_port = SENT_DEFAULT_PORT,
	.nsteps = 2,
	.datagram = 1,
	.request = bench_sent_request,
	.reply = bench_sent_reply,
	.explain = bench_sent_explain,
	.bye = bench_sent_bye,
    },
    {
	.name = "idle",
	.cycle_name = "heartbeat",
	.first_name = "heartbeat",
	.default_port = FLEX_DEFAULT_PORT,
	.nsteps = 1,
	.periodic = 1,
	.setup = bench_flex_hello,
	.request = bench_idle_request,
	.reply = bench_idle_reply,
    },
    {
	.name = "kms",
	.cycle_name = "activate",
	.first_name = "activate",
	.default_port = KMS_DEFAULT_PORT,
	.nsteps = 1,
	.setup = NULL,
	.request = bench_kms_request,
	.reply = bench_kms_reply,
    },
    {
	.name = "memcached",
	.cycle_name = "incr+decr",
	.first_name = "incr",
	.default_port = 11211,
	.nsteps = 2,
	.setup = bench_mc_setup,
	.request = bench_mc_request,
	.reply = bench_mc_reply,
    },
};

const struct bench_workload *
bench_workload_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(bench_workloads) / sizeof(bench_workloads[0]);
	     i++)
		if (strcmp(bench_workloads[i].name, name) == 0)
			return &bench_workloads[i];
	return NULL;
}
