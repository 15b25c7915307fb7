/*
 * The sentinel datagram codec: round trips of requests and replies,
 * what the decoder refuses, signing and verification, padding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "protocols/sentinel/sent_codec.h"

static const uint8_t key[] = "0123456789abcdef-site-key";

static void
request_init(struct sent_request *r, int verb)
{
	memset(r, 0, sizeof(*r));
	r->hdr.verb = (uint8_t)verb;
	r->hdr.request_id = 0x1122334455667788ULL;
	r->hdr.client_id = 42;
	r->tokens = 1;
	r->clients = 1;
}

static void
test_request_round_trip(void **state)
{
	struct sent_request r, d;
	uint8_t buf[SENT_DATAGRAM_DEFAULT];
	char err[128];
	int n;

	(void)state;
	request_init(&r, SENT_V_REQUEST);
	strcpy(r.feature, "cad");
	strcpy(r.version, "2.0");
	strcpy(r.user, "alice");
	strcpy(r.host, "pc1");
	strcpy(r.display, ":0");
	strcpy(r.share, "job 17");
	r.tokens = 3;
	r.queue = 1;
	r.pid = 4242;
	n = sent_request_encode(&r, buf, sizeof(buf));
	assert_true(n > SENT_HEADER_LEN);
	assert_int_equal(
	    sent_request_decode(buf, (size_t)n, &d, err, sizeof(err)), 0);
	assert_int_equal(d.hdr.verb, SENT_V_REQUEST);
	assert_true(d.hdr.request_id == r.hdr.request_id);
	assert_true(d.hdr.client_id == 42);
	assert_string_equal(d.feature, "cad");
	assert_string_equal(d.version, "2.0");
	assert_string_equal(d.share, "job 17");
	assert_string_equal(d.display, ":0");
	assert_int_equal(d.tokens, 3);
	assert_int_equal(d.queue, 1);
	assert_int_equal(d.pid, 4242);
	assert_int_equal(d.clients, 1);

	/* Defaults come back as defaults; clients=0 survives. */
	request_init(&r, SENT_V_QUERY);
	r.clients = 0;
	r.cursor = 7;
	n = sent_request_encode(&r, buf, sizeof(buf));
	assert_int_equal(
	    sent_request_decode(buf, (size_t)n, &d, err, sizeof(err)), 0);
	assert_int_equal(d.clients, 0);
	assert_int_equal(d.cursor, 7);
	assert_int_equal(d.tokens, 1);
}

struct bad_case {
	const char *body;
	int verb;
	int rc;
};

static const struct bad_case bad_cases[] = {
    {"feature=cad\n", SENT_V_REQUEST, 0},
    {"", SENT_V_REQUEST, SENT_E_ARGUMENT}, /* no feature */
    {"feature=cad", SENT_V_REQUEST, SENT_E_MALFORMED}, /* no newline */
    {"feature\n", SENT_V_REQUEST, SENT_E_MALFORMED},
    {"=cad\n", SENT_V_REQUEST, SENT_E_MALFORMED},
    {"feature=cad\nfeature=cam\n", SENT_V_REQUEST, SENT_E_ARGUMENT},
    {"feature=cad\ncolour=red\n", SENT_V_REQUEST, SENT_E_ARGUMENT},
    {"feature=cad\ntokens=0\n", SENT_V_REQUEST, SENT_E_ARGUMENT},
    {"feature=cad\ntokens=-1\n", SENT_V_REQUEST, SENT_E_ARGUMENT},
    {"feature=cad\ntokens=1x\n", SENT_V_REQUEST, SENT_E_ARGUMENT},
    {"feature=cad\nuser=a\tb\n", SENT_V_REQUEST, SENT_E_ARGUMENT},
    {"feature=cad\nshare=012345678901234567890123456789012\n", SENT_V_REQUEST,
	SENT_E_ARGUMENT},
    {"feature=cad\nshare=01234567890123456789012345678901\n", SENT_V_REQUEST,
	0},
    {"", SENT_V_RENEW, SENT_E_ARGUMENT},
    {"handle=18446744073709551616\n", SENT_V_RENEW, SENT_E_ARGUMENT},
    {"handle=18446744073709551615\n", SENT_V_RELEASE, 0},
    {"feature=cad\n", SENT_V_COMMUTE, SENT_E_ARGUMENT}, /* no days */
    {"feature=cad\ndays=3651\n", SENT_V_COMMUTE, SENT_E_ARGUMENT},
    {"feature=cad\ndays=7\n", SENT_V_COMMUTE, 0},
    {"", SENT_V_BYE, 0},
    {"", 9, SENT_E_VERB},
    {"", 0, SENT_E_VERB},
};

static size_t
raw_request(uint8_t *buf, int verb, const char *body)
{
	size_t n = strlen(body);

	memset(buf, 0, SENT_HEADER_LEN);
	buf[0] = SENT_MAGIC0;
	buf[1] = SENT_MAGIC1;
	buf[2] = SENT_PROTOCOL_VERSION;
	buf[3] = (uint8_t)verb;
	buf[6] = (uint8_t)(n >> 8);
	buf[7] = (uint8_t)n;
	buf[15] = 1;
	buf[23] = 1;
	memcpy(buf + SENT_HEADER_LEN, body, n);
	return SENT_HEADER_LEN + n;
}

static void
test_request_refused(void **state)
{
	struct sent_request d;
	uint8_t buf[1024];
	char err[128];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		n = raw_request(buf, bad_cases[i].verb, bad_cases[i].body);
		if (sent_request_decode(buf, n, &d, err, sizeof(err)) !=
		    bad_cases[i].rc)
			fail_msg("case %zu: %s", i, err);
	}

	/* Framing: short, bad magic, wrong version, zero ids, body past the
	 * end, non-zero padding; zero padding is fine. */
	n = raw_request(buf, SENT_V_BYE, "");
	assert_int_not_equal(
	    sent_request_decode(buf, n - 1, &d, err, sizeof(err)), 0);
	buf[0] = 'X';
	assert_int_equal(sent_request_decode(buf, n, &d, err, sizeof(err)),
	    SENT_E_MALFORMED);
	n = raw_request(buf, SENT_V_BYE, "");
	buf[2] = 2;
	assert_int_equal(
	    sent_request_decode(buf, n, &d, err, sizeof(err)), SENT_E_VERSION);
	n = raw_request(buf, SENT_V_BYE, "");
	buf[15] = 0;
	assert_int_equal(sent_request_decode(buf, n, &d, err, sizeof(err)),
	    SENT_E_MALFORMED);
	n = raw_request(buf, SENT_V_REQUEST, "feature=cad\n");
	assert_int_equal(sent_request_decode(buf, n - 1, &d, err, sizeof(err)),
	    SENT_E_MALFORMED);
	buf[n] = 0;
	buf[n + 1] = 0;
	assert_int_equal(
	    sent_request_decode(buf, n + 2, &d, err, sizeof(err)), 0);
	buf[n + 1] = 1;
	assert_int_equal(sent_request_decode(buf, n + 2, &d, err, sizeof(err)),
	    SENT_E_MALFORMED);
	/* A reply is not a request. */
	n = raw_request(buf, SENT_V_BYE, "");
	buf[5] = SENT_F_REPLY;
	assert_int_equal(sent_request_decode(buf, n, &d, err, sizeof(err)),
	    SENT_E_MALFORMED);
	/* AUTH without its trailer. */
	n = raw_request(buf, SENT_V_BYE, "");
	buf[5] = SENT_F_AUTH;
	assert_int_equal(sent_request_decode(buf, n, &d, err, sizeof(err)),
	    SENT_E_MALFORMED);
}

static void
test_reply_round_trip(void **state)
{
	static struct sent_reply r, d;
	uint8_t buf[SENT_DATAGRAM_DEFAULT];
	char err[128];
	int n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.hdr.verb = SENT_V_QUERY;
	r.hdr.request_id = 9;
	r.hdr.client_id = 10;
	r.next = 5;
	r.server_time = 1700000000000LL;
	strcpy(r.features[0].name, "cad");
	strcpy(r.features[0].version, "1.0");
	r.features[0].max_tokens = 10;
	r.features[0].in_use = 4;
	r.features[0].reserved_in_use = 1;
	r.features[0].reserved_avail = 2;
	r.features[0].share = SENT_SHARE_HOST;
	r.features[0].share_limit = 3;
	r.features[0].lease = 300;
	r.features[0].hold = 60;
	r.features[0].commuter_days = 7;
	r.nfeatures = 1;
	r.clients[0].handle = 77;
	strcpy(r.clients[0].feature, "cad");
	strcpy(r.clients[0].user, "alice");
	strcpy(r.clients[0].host, "pc1");
	strcpy(r.clients[0].unit, "physics");
	r.clients[0].since = 1700000000001LL;
	r.clients[0].commuter_until = 1700000900000LL;
	r.clients[0].tokens = 2;
	strcpy(r.clients[0].frontend, "sentinel");
	r.clients[1].handle = 78;
	strcpy(r.clients[1].feature, "cad");
	r.nclients = 2;
	n = sent_reply_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(
	    sent_reply_decode(buf, (size_t)n, &d, err, sizeof(err)), 0);
	assert_true(d.hdr.flags & SENT_F_REPLY);
	assert_int_equal(d.next, 5);
	assert_int_equal(d.nfeatures, 1);
	assert_int_equal(d.nclients, 2);
	assert_memory_equal(
	    &d.features[0], &r.features[0], sizeof(r.features[0]));
	assert_memory_equal(&d.clients[0], &r.clients[0], sizeof(r.clients[0]));
	assert_true(d.clients[1].handle == 78);

	/* Too small a buffer: refused, never cut. */
	assert_int_equal(sent_reply_encode(&r, buf, 100), -1);
}

static void
test_sign_verify(void **state)
{
	struct sent_request r, d;
	uint8_t buf[SENT_DATAGRAM_DEFAULT], mac[SENT_MAC_LEN];
	size_t len;
	int64_t ts;
	char err[128];
	int n;

	(void)state;
	request_init(&r, SENT_V_REQUEST);
	strcpy(r.feature, "cad");
	n = sent_request_encode(&r, buf, sizeof(buf));
	len = (size_t)n;
	assert_int_equal(
	    sent_verify(buf, len, key, sizeof(key) - 1, &ts, mac), -1);
	assert_int_equal(
	    sent_sign(buf, &len, sizeof(buf), key, sizeof(key) - 1, 123456), 0);
	assert_int_equal(len, (size_t)n + SENT_TRAILER_LEN);
	/* Signed once only. */
	assert_int_equal(
	    sent_sign(buf, &len, sizeof(buf), key, sizeof(key) - 1, 1), -1);
	assert_int_equal(sent_pad(buf, &len, sizeof(buf), 600), 0);
	assert_int_equal(len, 600);
	assert_int_equal(
	    sent_verify(buf, len, key, sizeof(key) - 1, &ts, mac), 0);
	assert_true(ts == 123456);
	assert_int_equal(
	    sent_request_decode(buf, len, &d, err, sizeof(err)), 0);
	assert_true(d.timestamp == 123456);
	assert_memory_equal(d.mac, mac, SENT_MAC_LEN);

	/* Another key, an altered byte, an altered timestamp: refused. */
	assert_int_equal(
	    sent_verify(buf, len, (const uint8_t *)"other", 5, &ts, mac), -1);
	buf[SENT_HEADER_LEN] ^= 1;
	assert_int_equal(
	    sent_verify(buf, len, key, sizeof(key) - 1, &ts, mac), -1);
	buf[SENT_HEADER_LEN] ^= 1;
	buf[n + 7] ^= 1;
	assert_int_equal(
	    sent_verify(buf, len, key, sizeof(key) - 1, &ts, mac), -1);
	buf[n + 7] ^= 1;
	/* Clearing the AUTH flag is an alteration too. */
	buf[5] &= (uint8_t)~SENT_F_AUTH;
	assert_int_equal(
	    sent_verify(buf, len, key, sizeof(key) - 1, &ts, mac), -1);
}

static void
test_error_reply(void **state)
{
	struct sent_header h;
	struct sent_reply d;
	uint8_t buf[64];
	char err[128];

	(void)state;
	memset(&h, 0, sizeof(h));
	h.verb = SENT_V_REQUEST;
	h.request_id = 5;
	h.client_id = 6;
	assert_int_equal(
	    sent_reply_error(&h, SENT_S_ERROR, SENT_E_PAD, buf, sizeof(buf)),
	    SENT_HEADER_LEN);
	assert_int_equal(
	    sent_reply_decode(buf, SENT_HEADER_LEN, &d, err, sizeof(err)), 0);
	assert_int_equal(d.hdr.status, SENT_S_ERROR);
	assert_int_equal(d.hdr.reason, SENT_E_PAD);
	assert_true(d.hdr.request_id == 5);
	assert_string_equal(sent_error_name(SENT_E_PAD), "pad");
	assert_int_equal(sent_share_parse("Display"), SENT_SHARE_DISPLAY);
	assert_int_equal(sent_share_parse("seat"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_round_trip),
	    cmocka_unit_test(test_request_refused),
	    cmocka_unit_test(test_reply_round_trip),
	    cmocka_unit_test(test_sign_verify),
	    cmocka_unit_test(test_error_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
