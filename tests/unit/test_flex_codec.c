/*
 * The flex codec: message splitting, value encoding, request validation
 * per verb, and the output builder's bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "protocols/flex/flex_codec.h"

struct msg_case {
	const char *line;
	int ok;
	const char *tag;
	const char *verb;
	size_t nargs;
	const char *key; /* first argument, when any */
	const char *value;
};

static const struct msg_case msg_cases[] = {
    {"a HELLO", 1, "a", "HELLO", 0, NULL, NULL},
    {"* GRANTED ticket=4", 1, "*", "GRANTED", 1, "ticket", "4"},
    {"t.1_x-Y QUIT", 1, "t.1_x-Y", "QUIT", 0, NULL, NULL},
    {"1234567890abcdef OK", 1, "1234567890abcdef", "OK", 0, NULL, NULL},
    {"a OK   k=v  ", 1, "a", "OK", 1, "k", "v"},
    {"a OK display=", 1, "a", "OK", 1, "display", ""},
    {"a OK text=All%20in%2fuse", 1, "a", "OK", 1, "text", "All in/use"},
    {"a OK k=a=b", 1, "a", "OK", 1, "k", "a=b"},
    {"a OK k=%C3%A9", 1, "a", "OK", 1, "k", "\xc3\xa9"},
    {"a OK k=v\r", 1, "a", "OK", 1, "k", "v"},
    {"a OK abcdefghijklmnop=1", 1, "a", "OK", 1, "abcdefghijklmnop", "1"},
    {"", 0, NULL, NULL, 0, NULL, NULL},
    {" a OK", 0, NULL, NULL, 0, NULL, NULL},
    {"a", 0, NULL, NULL, 0, NULL, NULL},
    {"a ok", 0, NULL, NULL, 0, NULL, NULL},
    {"a O1", 0, NULL, NULL, 0, NULL, NULL},
    {"a ABCDEFGHIJKLMNOPQ", 0, NULL, NULL, 0, NULL, NULL},
    {"12345678901234567 OK", 0, NULL, NULL, 0, NULL, NULL},
    {"a/b OK", 0, NULL, NULL, 0, NULL, NULL},
    {"** OK", 0, NULL, NULL, 0, NULL, NULL},
    {"a OK k", 0, NULL, NULL, 0, NULL, NULL},
    {"a OK =v", 0, NULL, NULL, 0, NULL, NULL},
    {"a OK K=v", 0, NULL, NULL, 0, NULL, NULL},
    {"a OK abcdefghijklmnopq=1", 0, NULL, NULL, 0, NULL, NULL},
    {"a OK k=1 k=2", 0, NULL, NULL, 0, NULL, NULL},
    {"a OK k=%", 0, NULL, NULL, 0, NULL, NULL},
    {"a OK k=%4", 0, NULL, NULL, 0, NULL, NULL},
    {"a OK k=%4g", 0, NULL, NULL, 0, NULL, NULL},
    {"a OK k=%00", 0, NULL, NULL, 0, NULL, NULL},
    {"a OK k=\tv", 0, NULL, NULL, 0, NULL, NULL},
    {"a OK k=\x7f", 0, NULL, NULL, 0, NULL, NULL},
    {"a OK k=\xc3\xa9", 0, NULL, NULL, 0, NULL, NULL},
    {"a\tOK", 0, NULL, NULL, 0, NULL, NULL},
};

static void
test_msg_table(void **state)
{
	struct flex_msg m;
	char err[128];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(msg_cases) / sizeof(msg_cases[0]); i++) {
		const struct msg_case *c = &msg_cases[i];

		err[0] = '\0';
		rc = flex_msg_parse(
		    c->line, strlen(c->line), &m, err, sizeof(err));
		if (rc != (c->ok ? 0 : -1))
			fail_msg(
			    "case %zu \"%s\": rc %d (%s)", i, c->line, rc, err);
		if (!c->ok) {
			assert_true(err[0] != '\0');
			continue;
		}
		assert_string_equal(m.tag, c->tag);
		assert_string_equal(m.verb, c->verb);
		assert_int_equal(m.nargs, c->nargs);
		if (c->key != NULL) {
			assert_string_equal(m.args[0].key, c->key);
			assert_string_equal(m.args[0].value, c->value);
			assert_string_equal(flex_msg_get(&m, c->key), c->value);
		}
	}
}

static void
test_msg_bounds(void **state)
{
	char line[FLEX_LINE_MAX + 16], err[128];
	struct flex_msg m;
	size_t n;
	int i;

	(void)state;

	/* 24 arguments pass, 25 do not. */
	n = (size_t)snprintf(line, sizeof(line), "a OK");
	for (i = 0; i < FLEX_ARGS_MAX; i++)
		n += (size_t)snprintf(
		    line + n, sizeof(line) - n, " k%d=%d", i, i);
	assert_int_equal(flex_msg_parse(line, n, &m, err, sizeof(err)), 0);
	assert_int_equal(m.nargs, FLEX_ARGS_MAX);
	assert_string_equal(flex_msg_get(&m, "k23"), "23");
	n += (size_t)snprintf(line + n, sizeof(line) - n, " z=1");
	assert_int_equal(flex_msg_parse(line, n, &m, err, sizeof(err)), -1);

	/* A value of 512 decoded bytes passes, 513 do not. */
	memcpy(line, "a OK v=", 7);
	memset(line + 7, 'x', FLEX_VALUE_MAX);
	n = 7 + FLEX_VALUE_MAX;
	assert_int_equal(flex_msg_parse(line, n, &m, err, sizeof(err)), 0);
	assert_int_equal(strlen(flex_msg_get(&m, "v")), FLEX_VALUE_MAX);
	line[n++] = 'x';
	assert_int_equal(flex_msg_parse(line, n, &m, err, sizeof(err)), -1);

	/* The line: 4095 bytes before the newline at most. */
	memcpy(line, "a OK", 4);
	memset(line + 4, ' ', FLEX_LINE_MAX);
	assert_int_equal(
	    flex_msg_parse(line, FLEX_LINE_MAX - 1, &m, err, sizeof(err)), 0);
	assert_int_equal(
	    flex_msg_parse(line, FLEX_LINE_MAX, &m, err, sizeof(err)), -1);
	assert_int_equal(flex_msg_parse(NULL, 0, &m, err, sizeof(err)), -1);
}

static void
test_get_numbers(void **state)
{
	static const char line[] = "a OK i=42 n=-7 big=99999999999999999999 "
				   "sp=%2012 plus=+1 hex=0x1 e= "
				   "u=18446744073709551615 "
				   "o=18446744073709551616";
	struct flex_msg m;
	long long v;
	uint64_t u;

	(void)state;
	assert_int_equal(flex_msg_parse(line, strlen(line), &m, NULL, 0), 0);
	assert_int_equal(flex_msg_get_int(&m, "i", 0, 100, &v), 1);
	assert_int_equal(v, 42);
	assert_int_equal(flex_msg_get_int(&m, "i", 0, 41, &v), -1);
	assert_int_equal(flex_msg_get_int(&m, "i", 43, 100, &v), -1);
	assert_int_equal(flex_msg_get_int(&m, "n", -10, 0, &v), 1);
	assert_int_equal(v, -7);
	assert_int_equal(flex_msg_get_int(&m, "big", 0, INT64_MAX, &v), -1);
	assert_int_equal(flex_msg_get_int(&m, "sp", 0, 100, &v), -1);
	assert_int_equal(flex_msg_get_int(&m, "plus", 0, 100, &v), -1);
	assert_int_equal(flex_msg_get_int(&m, "hex", 0, 100, &v), -1);
	assert_int_equal(flex_msg_get_int(&m, "e", 0, 100, &v), -1);
	assert_int_equal(flex_msg_get_int(&m, "none", 0, 100, &v), 0);
	assert_int_equal(flex_msg_get_u64(&m, "u", &u), 1);
	assert_true(u == UINT64_MAX);
	assert_int_equal(flex_msg_get_u64(&m, "o", &u), -1);
	assert_int_equal(flex_msg_get_u64(&m, "n", &u), -1);
	assert_int_equal(flex_msg_get_u64(&m, "none", &u), 0);
}

/* Every byte value survives encoding and decoding, alone and in a run. */
static void
test_roundtrip_bytes(void **state)
{
	char buf[FLEX_LINE_MAX + 1], value[8], all[256];
	struct flex_out o;
	struct flex_msg m;
	int c, len;

	(void)state;
	for (c = 1; c < 256; c++) {
		snprintf(value, sizeof(value), "a%cb", c);
		flex_out_begin(&o, buf, sizeof(buf), "t1", "OK");
		flex_out_add(&o, "v", value);
		len = flex_out_end(&o);
		assert_true(len > 0);
		assert_int_equal(buf[len - 1], '\n');
		/* The encoded line holds no raw byte that would need one. */
		assert_null(memchr(buf, c == ' ' ? '\t' : 0x7f, (size_t)len));
		assert_int_equal(
		    flex_msg_parse(buf, (size_t)len - 1, &m, NULL, 0), 0);
		assert_string_equal(flex_msg_get(&m, "v"), value);
		all[c - 1] = (char)c;
	}
	all[255] = '\0';
	flex_out_begin(&o, buf, sizeof(buf), "*", "NOTE");
	flex_out_add(&o, "all", all);
	len = flex_out_end(&o);
	assert_true(len > 0);
	assert_int_equal(flex_msg_parse(buf, (size_t)len - 1, &m, NULL, 0), 0);
	assert_string_equal(m.tag, "*");
	assert_string_equal(flex_msg_get(&m, "all"), all);
}

static void
test_out_truncation(void **state)
{
	char buf[32], big[FLEX_LINE_MAX + 64], value[FLEX_VALUE_MAX + 2];
	struct flex_out o;
	int i;

	(void)state;

	/* Fits exactly: "t1 OK k=1234567\n" is 16 bytes plus the NUL. */
	flex_out_begin(&o, buf, 17, "t1", "OK");
	flex_out_add(&o, "k", "1234567");
	assert_int_equal(flex_out_end(&o), 16);
	assert_string_equal(buf, "t1 OK k=1234567\n");

	/* One byte short: only the newline is missing. */
	flex_out_begin(&o, buf, 16, "t1", "OK");
	flex_out_add(&o, "k", "1234567");
	assert_false(o.truncated);
	assert_int_equal(flex_out_end(&o), -1);

	/* Two short: truncated, and later calls change nothing. */
	flex_out_begin(&o, buf, 15, "t1", "OK");
	flex_out_add(&o, "k", "1234567");
	assert_true(o.truncated);
	flex_out_add(&o, "z", "");
	assert_int_equal(flex_out_end(&o), -1);
	assert_true(o.len < 15);

	/* Escapes count three bytes each. */
	flex_out_begin(&o, buf, sizeof(buf), "t1", "OK");
	flex_out_add(&o, "k", "         ");
	assert_int_equal(flex_out_end(&o), -1);

	/* Keys the parser would refuse, and overlong values. */
	flex_out_begin(&o, buf, sizeof(buf), "t1", "OK");
	flex_out_add(&o, "Bad", "v");
	assert_int_equal(flex_out_end(&o), -1);
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	flex_out_begin(&o, big, sizeof(big), "t1", "OK");
	flex_out_add(&o, "k", value);
	assert_int_equal(flex_out_end(&o), -1);
	flex_out_begin(&o, big, sizeof(big), "t1", "OK");
	flex_out_addf(&o, "k", "%s", value);
	assert_int_equal(flex_out_end(&o), -1);

	/* The line limit holds even when the buffer is larger. */
	memset(value, '%', FLEX_VALUE_MAX);
	value[FLEX_VALUE_MAX] = '\0';
	flex_out_begin(&o, big, sizeof(big), "t1", "OK");
	for (i = 0; i < 3; i++)
		flex_out_addf(&o,
		    i == 0       ? "a"
			: i == 1 ? "b"
				 : "c",
		    "%s", value);
	assert_int_equal(flex_out_end(&o), -1);

	flex_out_begin(&o, buf, sizeof(buf), "t2", "OK");
	flex_out_addf(&o, "n", "%d-%s", 7, "x");
	assert_int_equal(flex_out_end(&o), (int)strlen("t2 OK n=7-x\n"));
	assert_string_equal(buf, "t2 OK n=7-x\n");
}

/* The numeric appenders write what printf would, at the edges too. */
static void
test_out_numbers(void **state)
{
	static const int64_t iv[] = {
	    0, 1, -1, 9, 10, -10, 4096, INT64_MAX, INT64_MIN};
	static const uint64_t uv[] = {
	    0, 1, 9, 10, 99, 100, 18446744073709551615u};
	char buf[256], want[256];
	struct flex_out o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(iv) / sizeof(iv[0]); i++) {
		flex_out_begin(&o, buf, sizeof(buf), "t1", "OK");
		flex_out_add_i64(&o, "n", iv[i]);
		assert_true(flex_out_end(&o) > 0);
		snprintf(
		    want, sizeof(want), "t1 OK n=%lld\n", (long long)iv[i]);
		assert_string_equal(buf, want);
	}
	for (i = 0; i < sizeof(uv) / sizeof(uv[0]); i++) {
		flex_out_begin(&o, buf, sizeof(buf), "t1", "OK");
		flex_out_add_u64(&o, "handle", uv[i]);
		assert_true(flex_out_end(&o) > 0);
		snprintf(want, sizeof(want), "t1 OK handle=%llu\n",
		    (unsigned long long)uv[i]);
		assert_string_equal(buf, want);
	}
}

static void
test_error_names(void **state)
{
	static const char *const names[] = {"syntax", "too-long", "no-hello",
	    "unknown-verb", "argument", "busy", "shutdown", "internal",
	    "forbidden", "config"};
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		assert_string_equal(
		    flex_error_name(FLEX_E_SYNTAX + i), names[i]);
	assert_null(flex_error_name(0));
	assert_null(flex_error_name(10));
	assert_null(flex_error_name(19));
	assert_null(flex_error_name(30));
	assert_null(flex_error_name(-1));
}

struct req_case {
	const char *line;
	int rc;
	enum flex_verb verb;
	const char *tag; /* expected even on error; NULL: "" */
};

#define N63 "123456789012345678901234567890123456789012345678901234567890123"

static const struct req_case req_cases[] = {
    /* HELLO: user and host required, names at most 63 bytes. */
    {"h HELLO user=a host=b", 0, FLEX_V_HELLO, "h"},
    {"h HELLO user=" N63 " host=b", 0, FLEX_V_HELLO, "h"},
    {"h HELLO user=" N63 "4 host=b", FLEX_E_ARGUMENT, 0, "h"},
    {"h HELLO host=b", FLEX_E_ARGUMENT, 0, "h"},
    {"h HELLO user=a", FLEX_E_ARGUMENT, 0, "h"},
    {"h HELLO user= host=b", FLEX_E_ARGUMENT, 0, "h"},
    {"h HELLO user=a%0Ab host=b", FLEX_E_ARGUMENT, 0, "h"},
    {"h HELLO user=a host=b display=" N63 "4", FLEX_E_ARGUMENT, 0, "h"},
    {"h HELLO user=a host=b project=" N63 "4", FLEX_E_ARGUMENT, 0, "h"},
    {"h HELLO user=a host=b client=" N63 "4", FLEX_E_ARGUMENT, 0, "h"},
    {"h HELLO user=a host=b pid=2147483647", 0, FLEX_V_HELLO, "h"},
    {"h HELLO user=a host=b pid=2147483648", FLEX_E_ARGUMENT, 0, "h"},
    {"h HELLO user=a host=b pid=-1", FLEX_E_ARGUMENT, 0, "h"},
    {"h HELLO user=a host=b proto=0", FLEX_E_ARGUMENT, 0, "h"},
    {"h HELLO user=a host=b future=1", 0, FLEX_V_HELLO, "h"},
    /* REMOVE: a handle, or feature, user and host; REREAD: nothing. */
    {"r REMOVE handle=12", 0, FLEX_V_REMOVE, "r"},
    {"r REMOVE handle=x", FLEX_E_ARGUMENT, 0, "r"},
    {"r REMOVE feature=F user=u host=h", 0, FLEX_V_REMOVE, "r"},
    {"r REMOVE feature=F user=u host=h display=d", 0, FLEX_V_REMOVE, "r"},
    {"r REMOVE feature=F user=u", FLEX_E_ARGUMENT, 0, "r"},
    {"r REMOVE", FLEX_E_ARGUMENT, 0, "r"},
    {"r REREAD", 0, FLEX_V_REREAD, "r"},
    /* DOWN and NEWLOG take nothing; unknown keys are ignored. */
    {"d DOWN", 0, FLEX_V_DOWN, "d"},
    {"d DOWN force=1", 0, FLEX_V_DOWN, "d"},
    {"n NEWLOG", 0, FLEX_V_NEWLOG, "n"},
    {"n newlog", FLEX_E_SYNTAX, 0, "n"},
    /* CHECKOUT */
    {"c CHECKOUT feature=F", 0, FLEX_V_CHECKOUT, "c"},
    {"c CHECKOUT feature=" N63, 0, FLEX_V_CHECKOUT, "c"},
    {"c CHECKOUT feature=" N63 "4", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=a%20b", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=F count=1000000", 0, FLEX_V_CHECKOUT, "c"},
    {"c CHECKOUT feature=F count=1000001", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=F count=0", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=F count=x", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=F queue=1", 0, FLEX_V_CHECKOUT, "c"},
    {"c CHECKOUT feature=F queue=2", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=F linger=86400", 0, FLEX_V_CHECKOUT, "c"},
    {"c CHECKOUT feature=F linger=86401", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=F linger=-1", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=F version=2017.12", 0, FLEX_V_CHECKOUT, "c"},
    {"c CHECKOUT feature=F version=123456789012345", 0, FLEX_V_CHECKOUT, "c"},
    {"c CHECKOUT feature=F version=1234567890123456", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=F version=1.a", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=F version=", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=F version=.1", FLEX_E_ARGUMENT, 0, "c"},
    {"c CHECKOUT feature=F version=1..2", FLEX_E_ARGUMENT, 0, "c"},
    /* CHECKIN, RESUME, DEQUEUE */
    {"i CHECKIN handle=18446744073709551615", 0, FLEX_V_CHECKIN, "i"},
    {"i CHECKIN handle=18446744073709551616", FLEX_E_ARGUMENT, 0, "i"},
    {"i CHECKIN", FLEX_E_ARGUMENT, 0, "i"},
    {"i CHECKIN handle=-1", FLEX_E_ARGUMENT, 0, "i"},
    {"r RESUME handle=5", 0, FLEX_V_RESUME, "r"},
    {"r RESUME ticket=5", FLEX_E_ARGUMENT, 0, "r"},
    {"d DEQUEUE ticket=5", 0, FLEX_V_DEQUEUE, "d"},
    {"d DEQUEUE handle=5", FLEX_E_ARGUMENT, 0, "d"},
    /* STATUS, HEARTBEAT, QUIT */
    {"s STATUS", 0, FLEX_V_STATUS, "s"},
    {"s STATUS feature=MATLAB", 0, FLEX_V_STATUS, "s"},
    {"s STATUS feature=" N63 "4", FLEX_E_ARGUMENT, 0, "s"},
    {"b HEARTBEAT", 0, FLEX_V_HEARTBEAT, "b"},
    {"q QUIT", 0, FLEX_V_QUIT, "q"},
    /* BORROW: a checkout's arguments and its end; RETURN: a handle. */
    {"b BORROW feature=F until_ms=1900000000000", 0, FLEX_V_BORROW, "b"},
    {"b BORROW feature=F version=2.0 count=2 until_ms=1", 0, FLEX_V_BORROW,
	"b"},
    {"b BORROW feature=F until_ms=253402300799999", 0, FLEX_V_BORROW, "b"},
    {"b BORROW feature=F until_ms=253402300800000", FLEX_E_ARGUMENT, 0, "b"},
    {"b BORROW feature=F", FLEX_E_ARGUMENT, 0, "b"},
    {"b BORROW feature=F until_ms=0", FLEX_E_ARGUMENT, 0, "b"},
    {"b BORROW feature=F until_ms=-5", FLEX_E_ARGUMENT, 0, "b"},
    {"b BORROW feature=F until_ms=soon", FLEX_E_ARGUMENT, 0, "b"},
    {"b BORROW until_ms=5", FLEX_E_ARGUMENT, 0, "b"},
    {"b BORROW feature=F count=0 until_ms=5", FLEX_E_ARGUMENT, 0, "b"},
    {"r RETURN handle=7", 0, FLEX_V_RETURN, "r"},
    {"r RETURN", FLEX_E_ARGUMENT, 0, "r"},
    {"r RETURN handle=x", FLEX_E_ARGUMENT, 0, "r"},
    /* Syntax and verbs. */
    {"q FOO", FLEX_E_UNKNOWN_VERB, 0, "q"},
    {"q quit", FLEX_E_SYNTAX, 0, "q"},
    {"q QUIT x", FLEX_E_SYNTAX, 0, "q"},
    {"* QUIT", FLEX_E_SYNTAX, 0, NULL},
    {"bad/tag QUIT", FLEX_E_SYNTAX, 0, NULL},
    {"", FLEX_E_SYNTAX, 0, NULL},
};

static void
test_request_table(void **state)
{
	struct flex_request req;
	char err[128];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		const struct req_case *c = &req_cases[i];

		err[0] = '\0';
		rc = flex_request_parse(
		    c->line, strlen(c->line), &req, err, sizeof(err));
		if (rc != c->rc)
			fail_msg("case %zu \"%s\": rc %d, want %d (%s)", i,
			    c->line, rc, c->rc, err);
		assert_string_equal(req.tag, c->tag != NULL ? c->tag : "");
		if (rc == 0)
			assert_int_equal(req.verb, c->verb);
		else
			assert_true(err[0] != '\0');
	}
}

static void
test_request_fields(void **state)
{
	static const char hello[] = "h1 HELLO user=alice host=ws12 "
				    "display=/dev/pts/3 pid=4211 "
				    "client=licctl/0.1 proto=1 project=p%201";
	static const char co[] = "c1 CHECKOUT feature=MATLAB version=51 "
				 "count=3 queue=1 linger=30\r";
	static const char bo[] = "b1 BORROW feature=MATLAB version=51 "
				 "count=2 queue=1 linger=9 "
				 "until_ms=1900000000123";
	struct flex_request req;
	char line[FLEX_LINE_MAX + 8];

	(void)state;
	assert_int_equal(
	    flex_request_parse(hello, strlen(hello), &req, NULL, 0), 0);
	assert_string_equal(req.user, "alice");
	assert_string_equal(req.host, "ws12");
	assert_string_equal(req.display, "/dev/pts/3");
	assert_string_equal(req.project, "p 1");
	assert_string_equal(req.client, "licctl/0.1");
	assert_int_equal(req.pid, 4211);
	assert_int_equal(req.proto, 1);

	assert_int_equal(flex_request_parse(bo, strlen(bo), &req, NULL, 0), 0);
	assert_int_equal(req.verb, FLEX_V_BORROW);
	assert_string_equal(req.feature, "MATLAB");
	assert_string_equal(req.version, "51");
	assert_int_equal(req.count, 2);
	assert_int_equal(req.queue, 0);
	assert_int_equal(req.linger, 0);
	assert_true(req.until_ms == 1900000000123LL);

	assert_int_equal(flex_request_parse(co, strlen(co), &req, NULL, 0), 0);
	assert_string_equal(req.tag, "c1");
	assert_string_equal(req.feature, "MATLAB");
	assert_string_equal(req.version, "51");
	assert_int_equal(req.count, 3);
	assert_int_equal(req.queue, 1);
	assert_int_equal(req.linger, 30);

	/* Defaults. */
	assert_int_equal(
	    flex_request_parse("c2 CHECKOUT feature=F", 21, &req, NULL, 0), 0);
	assert_int_equal(req.count, 1);
	assert_int_equal(req.queue, 0);
	assert_int_equal(req.linger, 0);
	assert_string_equal(req.version, "");

	assert_int_equal(
	    flex_request_parse("d DEQUEUE ticket=1043", 21, &req, NULL, 0), 0);
	assert_true(req.handle == 1043);

	/* Over-long: its own code, the tag still known. */
	memset(line, ' ', sizeof(line));
	memcpy(line, "x9 QUIT", 7);
	assert_int_equal(flex_request_parse(line, FLEX_LINE_MAX, &req, NULL, 0),
	    FLEX_E_TOO_LONG);
	assert_string_equal(req.tag, "x9");
	assert_int_equal(
	    flex_request_parse(line, FLEX_LINE_MAX - 1, &req, NULL, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_msg_table),
	    cmocka_unit_test(test_msg_bounds),
	    cmocka_unit_test(test_get_numbers),
	    cmocka_unit_test(test_roundtrip_bytes),
	    cmocka_unit_test(test_out_truncation),
	    cmocka_unit_test(test_out_numbers),
	    cmocka_unit_test(test_error_names),
	    cmocka_unit_test(test_request_table),
	    cmocka_unit_test(test_request_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
