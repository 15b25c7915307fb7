/*
 * The flex wire format: splitting a line into tag, verb and decoded
 * arguments, building lines with percent-encoded values, and validating a
 * request for its verb.  Everything here works in caller-provided memory
 * and stops at the bounds of flex_codec.h, so the server may feed it any
 * bytes a peer sends.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flex_codec.h"

#define FLEX_NAME_MAX 63 /* user, host, display, project, feature */
#define FLEX_VERSION_MAX 15 /* digits and dots */
#define FLEX_COUNT_MAX 1000000
#define FLEX_LINGER_MAX 86400
#define FLEX_PID_MAX 2147483647LL
#define FLEX_PROTO_MAX 1000
#define FLEX_UNTIL_MAX 253402300799999LL /* 9999-12-31T23:59:59.999Z */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
is_tag_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static int
is_key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* A byte that may stand for itself in an encoded value. */
static int
is_plain_byte(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '%';
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Checks a tag of n bytes.  The server's "*" is accepted only when
 * allow_star is set: a client must never pick it.
 */
static int
tag_valid(const char *s, size_t n, int allow_star)
{
	size_t i;

	if (n == 1 && s[0] == '*')
		return allow_star;
	if (n == 0 || n > FLEX_TAG_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_tag_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Decodes one value token into out (FLEX_VALUE_MAX + 1 bytes). */
static int
value_decode(const char *s, size_t n, char *out, char *err, size_t errlen)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (n - i < 3) {
				set_err(err, errlen, "truncated escape");
				return -1;
			}
			hi = hex_value((unsigned char)s[i + 1]);
			lo = hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0) {
				set_err(err, errlen, "bad escape");
				return -1;
			}
			c = (unsigned char)(hi << 4 | lo);
			if (c == '\0') {
				set_err(err, errlen, "value holds a NUL byte");
				return -1;
			}
			i += 2;
		} else if (!is_plain_byte(c)) {
			set_err(err, errlen, "byte 0x%02x must be escaped", c);
			return -1;
		}
		if (o >= FLEX_VALUE_MAX) {
			set_err(
			    err, errlen, "value over %d bytes", FLEX_VALUE_MAX);
			return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* Parses "key=value" of n bytes into arg. */
static int
arg_parse(
    const char *s, size_t n, struct flex_arg *arg, char *err, size_t errlen)
{
	const char *eq;
	size_t klen, i;

	eq = memchr(s, '=', n);
	if (eq == NULL) {
		set_err(err, errlen, "argument without '='");
		return -1;
	}
	klen = (size_t)(eq - s);
	if (klen == 0 || klen > FLEX_KEY_MAX) {
		set_err(err, errlen, "empty or overlong key");
		return -1;
	}
	for (i = 0; i < klen; i++) {
		if (!is_key_char((unsigned char)s[i])) {
			set_err(err, errlen, "bad character in key");
			return -1;
		}
	}
	memcpy(arg->key, s, klen);
	arg->key[klen] = '\0';
	if (value_decode(eq + 1, n - klen - 1, arg->value, err, errlen) == -1)
		return -1;
	return 0;
}

/* The next space-separated token of line[*pos..len), or 0 at the end. */
static size_t
next_token(const char *line, size_t len, size_t *pos, const char **tok)
{
	size_t start;

	while (*pos < len && line[*pos] == ' ')
		(*pos)++;
	start = *pos;
	while (*pos < len && line[*pos] != ' ')
		(*pos)++;
	*tok = line + start;
	return *pos - start;
}

/* Shared by flex_msg_parse and flex_request_parse: allow_star says
 * whether the server's notice tag is acceptable. */
static int
msg_parse(const char *line, size_t len, struct flex_msg *msg, int allow_star,
    char *err, size_t errlen)
{
	const char *tok;
	size_t pos = 0, n, i, j;

	/* Not the whole struct: its argument slots are 12 KiB, and each one
	 * used is filled (key and value terminated) by arg_parse. */
	msg->tag[0] = '\0';
	msg->verb[0] = '\0';
	msg->nargs = 0;
	if (line == NULL || len == 0) {
		set_err(err, errlen, "empty line");
		return -1;
	}
	if (len >= FLEX_LINE_MAX) {
		set_err(err, errlen, "line over %d bytes", FLEX_LINE_MAX);
		return -1;
	}
	if (line[0] == ' ') {
		set_err(err, errlen, "missing tag");
		return -1;
	}

	n = next_token(line, len, &pos, &tok);
	if (!tag_valid(tok, n, allow_star)) {
		set_err(err, errlen, "bad tag");
		return -1;
	}
	memcpy(msg->tag, tok, n);
	msg->tag[n] = '\0';

	n = next_token(line, len, &pos, &tok);
	if (n == 0 || n > FLEX_VERB_MAX) {
		set_err(err, errlen, "missing or overlong verb");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (tok[i] < 'A' || tok[i] > 'Z') {
			set_err(err, errlen, "bad verb");
			return -1;
		}
	}
	memcpy(msg->verb, tok, n);
	msg->verb[n] = '\0';

	for (;;) {
		n = next_token(line, len, &pos, &tok);
		if (n == 0)
			break;
		if (msg->nargs == FLEX_ARGS_MAX) {
			set_err(err, errlen, "more than %d arguments",
			    FLEX_ARGS_MAX);
			return -1;
		}
		if (arg_parse(tok, n, &msg->args[msg->nargs], err, errlen) ==
		    -1)
			return -1;
		for (j = 0; j < msg->nargs; j++) {
			if (strcmp(msg->args[j].key,
				msg->args[msg->nargs].key) == 0) {
				set_err(err, errlen, "duplicate key %s",
				    msg->args[j].key);
				return -1;
			}
		}
		msg->nargs++;
	}
	return 0;
}

int
flex_msg_parse(const char *line, size_t len, struct flex_msg *msg, char *err,
    size_t errlen)
{
	/* The transport may leave the '\r' of a "\r\n" ending. */
	if (line != NULL && len > 0 && line[len - 1] == '\r')
		len--;
	return msg_parse(line, len, msg, 1, err, errlen);
}

const char *
flex_msg_get(const struct flex_msg *msg, const char *key)
{
	size_t i;

	for (i = 0; i < msg->nargs; i++)
		if (strcmp(msg->args[i].key, key) == 0)
			return msg->args[i].value;
	return NULL;
}

/* Only plain decimal digits, with a '-' when negatives are allowed:
 * strtoll alone would also take spaces, '+' and hex-looking junk. */
static int
decimal_shape(const char *s, int allow_minus)
{
	if (allow_minus && *s == '-')
		s++;
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int
flex_msg_get_int(const struct flex_msg *msg, const char *key, long long min,
    long long max, long long *out)
{
	const char *v;
	char *end;
	long long n;

	v = flex_msg_get(msg, key);
	if (v == NULL)
		return 0;
	if (!decimal_shape(v, 1))
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 1;
}

int
flex_msg_get_u64(const struct flex_msg *msg, const char *key, uint64_t *out)
{
	const char *v;
	uint64_t n = 0;
	unsigned d;

	v = flex_msg_get(msg, key);
	if (v == NULL)
		return 0;
	if (!decimal_shape(v, 0))
		return -1;
	for (; *v != '\0'; v++) {
		d = (unsigned)(*v - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*out = n;
	return 1;
}

static void
out_put(struct flex_out *o, const char *s, size_t n)
{
	if (o->truncated)
		return;
	/* Keep one byte for the terminating NUL. */
	if (o->cap == 0 || n >= o->cap - o->len) {
		o->truncated = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

void
flex_out_begin(struct flex_out *o, char *buf, size_t cap, const char *tag,
    const char *verb)
{
	o->buf = buf;
	o->len = 0;
	o->cap = cap;
	o->truncated = 0;
	if (buf != NULL && cap > 0)
		buf[0] = '\0';
	else
		o->truncated = 1;
	out_put(o, tag, strlen(tag));
	out_put(o, " ", 1);
	out_put(o, verb, strlen(verb));
}

/* The keys the parser takes: [a-z0-9_]+.  By hand: strspn with a set
 * builds its table on every call, and a reply has some six keys. */
static int
key_ok(const char *key, size_t klen)
{
	size_t i;
	char c;

	for (i = 0; i < klen; i++) {
		c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '_'))
			return 0;
	}
	return 1;
}

void
flex_out_add(struct flex_out *o, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p, *q;
	char esc[3], *d;
	size_t klen, vlen;

	if (o->truncated)
		return;
	klen = strlen(key);
	vlen = strlen(value);
	/* A key the parser would refuse poisons the line rather than let a
	 * bad message out. */
	if (klen == 0 || klen > FLEX_KEY_MAX || !key_ok(key, klen) ||
	    vlen > FLEX_VALUE_MAX) {
		o->truncated = 1;
		return;
	}

	/* Room for the pair with every byte escaped, and the NUL: written
	 * in place, a byte at a time, the same bytes as the pieces below
	 * (which cost two library calls and a bounds check each). */
	if (o->cap - o->len > 2 + klen + 3 * vlen) {
		d = o->buf + o->len;
		*d++ = ' ';
		memcpy(d, key, klen);
		d += klen;
		*d++ = '=';
		for (p = (const unsigned char *)value; *p != '\0'; p++) {
			if (is_plain_byte(*p)) {
				*d++ = (char)*p;
				continue;
			}
			*d++ = '%';
			*d++ = hex[*p >> 4];
			*d++ = hex[*p & 0xf];
		}
		*d = '\0';
		o->len = (size_t)(d - o->buf);
		return;
	}

	out_put(o, " ", 1);
	out_put(o, key, klen);
	out_put(o, "=", 1);
	/* Runs of plain bytes in one copy each, the others escaped. */
	for (p = (const unsigned char *)value; *p != '\0';) {
		for (q = p; *q != '\0' && is_plain_byte(*q); q++)
			continue;
		if (q > p) {
			out_put(o, (const char *)p, (size_t)(q - p));
			p = q;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 0xf];
		out_put(o, esc, 3);
		p++;
	}
}

void
flex_out_addf(struct flex_out *o, const char *key, const char *fmt, ...)
{
	char value[FLEX_VALUE_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(value)) {
		o->truncated = 1;
		return;
	}
	flex_out_add(o, key, value);
}

void
flex_out_add_u64(struct flex_out *o, const char *key, uint64_t v)
{
	char tmp[24], value[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		value[i] = tmp[n - 1 - i];
	value[n] = '\0';
	flex_out_add(o, key, value);
}

void
flex_out_add_i64(struct flex_out *o, const char *key, int64_t v)
{
	char value[24];
	uint64_t u;
	size_t n = 0, i;
	char tmp[24];

	u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	i = 0;
	if (v < 0)
		value[i++] = '-';
	while (n > 0)
		value[i++] = tmp[--n];
	value[i] = '\0';
	flex_out_add(o, key, value);
}

int
flex_out_end(struct flex_out *o)
{
	out_put(o, "\n", 1);
	if (o->truncated || o->len > FLEX_LINE_MAX)
		return -1;
	return (int)o->len;
}

const char *
flex_error_name(int code)
{
	static const char *const names[] = {
	    [FLEX_E_SYNTAX - FLEX_E_SYNTAX] = "syntax",
	    [FLEX_E_TOO_LONG - FLEX_E_SYNTAX] = "too-long",
	    [FLEX_E_NO_HELLO - FLEX_E_SYNTAX] = "no-hello",
	    [FLEX_E_UNKNOWN_VERB - FLEX_E_SYNTAX] = "unknown-verb",
	    [FLEX_E_ARGUMENT - FLEX_E_SYNTAX] = "argument",
	    [FLEX_E_BUSY - FLEX_E_SYNTAX] = "busy",
	    [FLEX_E_SHUTDOWN - FLEX_E_SYNTAX] = "shutdown",
	    [FLEX_E_INTERNAL - FLEX_E_SYNTAX] = "internal",
	    [FLEX_E_FORBIDDEN - FLEX_E_SYNTAX] = "forbidden",
	    [FLEX_E_CONFIG - FLEX_E_SYNTAX] = "config",
	};

	if (code < FLEX_E_SYNTAX || code > FLEX_E_CONFIG)
		return NULL;
	return names[code - FLEX_E_SYNTAX];
}

static const struct {
	const char *name;
	enum flex_verb verb;
} verbs[] = {
    {"HELLO", FLEX_V_HELLO},
    {"CHECKOUT", FLEX_V_CHECKOUT},
    {"CHECKIN", FLEX_V_CHECKIN},
    {"HEARTBEAT", FLEX_V_HEARTBEAT},
    {"RESUME", FLEX_V_RESUME},
    {"DEQUEUE", FLEX_V_DEQUEUE},
    {"STATUS", FLEX_V_STATUS},
    {"QUIT", FLEX_V_QUIT},
    {"REMOVE", FLEX_V_REMOVE},
    {"REREAD", FLEX_V_REREAD},
    {"DOWN", FLEX_V_DOWN},
    {"NEWLOG", FLEX_V_NEWLOG},
    {"BORROW", FLEX_V_BORROW},
    {"RETURN", FLEX_V_RETURN},
    {"WHOIS", FLEX_V_WHOIS},
    {"ELIGIBLE", FLEX_V_ELIGIBLE},
};

/*
 * Copies a name argument into dst (FLEX_NAME_MAX + 1 bytes).  Control
 * bytes are refused because names end up in lmstat columns and journal
 * lines; the feature also may not hold a space, since it is one word in
 * every FlexLM layout.  Returns 1 found, 0 absent, -1 invalid.
 */
static int
get_name(const struct flex_msg *msg, const char *key, char *dst, int required,
    int is_feature, char *err, size_t errlen)
{
	const unsigned char *p;
	const char *v;
	size_t n;

	v = flex_msg_get(msg, key);
	if (v == NULL || (*v == '\0' && required)) {
		if (required) {
			set_err(err, errlen, "%s: required", key);
			return -1;
		}
		return 0;
	}
	n = strlen(v);
	if (n > FLEX_NAME_MAX) {
		set_err(err, errlen, "%s: over %d bytes", key, FLEX_NAME_MAX);
		return -1;
	}
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || (is_feature && *p == ' ')) {
			set_err(err, errlen, "%s: bad character", key);
			return -1;
		}
	}
	memcpy(dst, v, n + 1);
	return 1;
}

/* Reads an integer argument with a default; -1 with err set when bad. */
static int
get_int(const struct flex_msg *msg, const char *key, long long min,
    long long max, long long def, long long *out, char *err, size_t errlen)
{
	int rc;

	rc = flex_msg_get_int(msg, key, min, max, out);
	if (rc == -1) {
		set_err(err, errlen, "%s: not an integer in %lld..%lld", key,
		    min, max);
		return -1;
	}
	if (rc == 0)
		*out = def;
	return 0;
}

/* Digits and dots, starting and ending with a digit, no empty part. */
static int
version_valid(const char *v)
{
	size_t n, i;

	n = strlen(v);
	if (n == 0 || n > FLEX_VERSION_MAX)
		return 0;
	if (v[0] == '.' || v[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (v[i] == '.') {
			if (v[i + 1] == '.')
				return 0;
		} else if (v[i] < '0' || v[i] > '9') {
			return 0;
		}
	}
	return 1;
}

static int
get_handle(const struct flex_msg *msg, const char *key, uint64_t *out,
    char *err, size_t errlen)
{
	int rc;

	rc = flex_msg_get_u64(msg, key, out);
	if (rc != 1) {
		set_err(err, errlen, "%s: %s", key,
		    rc == 0 ? "required" : "not an unsigned 64-bit number");
		return -1;
	}
	return 0;
}

static int
request_hello(const struct flex_msg *msg, struct flex_request *req, char *err,
    size_t errlen)
{
	const char *client;
	long long n;

	if (get_name(msg, "user", req->user, 1, 0, err, errlen) == -1 ||
	    get_name(msg, "host", req->host, 1, 0, err, errlen) == -1 ||
	    get_name(msg, "display", req->display, 0, 0, err, errlen) == -1 ||
	    get_name(msg, "project", req->project, 0, 0, err, errlen) == -1)
		return -1;
	/* The client string is free text, shown only to administrators. */
	client = flex_msg_get(msg, "client");
	if (client != NULL) {
		if (strlen(client) >= sizeof(req->client)) {
			set_err(err, errlen, "client: over %zu bytes",
			    sizeof(req->client) - 1);
			return -1;
		}
		strcpy(req->client, client);
	}
	if (get_int(msg, "pid", 0, FLEX_PID_MAX, 0, &n, err, errlen) == -1)
		return -1;
	req->pid = (long)n;
	if (get_int(msg, "proto", 1, FLEX_PROTO_MAX, FLEX_PROTOCOL_VERSION, &n,
		err, errlen) == -1)
		return -1;
	req->proto = (int)n;
	return 0;
}

static int
request_checkout(const struct flex_msg *msg, struct flex_request *req,
    char *err, size_t errlen)
{
	const char *v;
	long long n;

	if (get_name(msg, "feature", req->feature, 1, 1, err, errlen) == -1)
		return -1;
	v = flex_msg_get(msg, "version");
	if (v != NULL) {
		if (!version_valid(v)) {
			set_err(err, errlen, "version: 1 to %d digits and dots",
			    FLEX_VERSION_MAX);
			return -1;
		}
		strcpy(req->version, v);
	}
	if (get_int(msg, "count", 1, FLEX_COUNT_MAX, 1, &n, err, errlen) == -1)
		return -1;
	req->count = (int)n;
	if (get_int(msg, "queue", 0, 1, 0, &n, err, errlen) == -1)
		return -1;
	req->queue = (int)n;
	if (get_int(msg, "linger", 0, FLEX_LINGER_MAX, 0, &n, err, errlen) ==
	    -1)
		return -1;
	req->linger = (int)n;
	return get_name(msg, "unit", req->unit, 0, 0, err, errlen) == -1 ? -1
									 : 0;
}

/* WHOIS user [host]; ELIGIBLE adds feature [unit]. */
static int
request_whois(const struct flex_msg *msg, struct flex_request *req, char *err,
    size_t errlen)
{
	if (get_name(msg, "user", req->user, 1, 0, err, errlen) == -1 ||
	    get_name(msg, "host", req->host, 0, 0, err, errlen) == -1)
		return -1;
	if (req->verb != FLEX_V_ELIGIBLE)
		return 0;
	if (get_name(msg, "feature", req->feature, 1, 1, err, errlen) == -1 ||
	    get_name(msg, "unit", req->unit, 0, 0, err, errlen) == -1)
		return -1;
	return 0;
}

/* BORROW: a checkout's feature, version and count, and when the borrow
 * ends.  The end is bounded to the year 9999 so that no arithmetic on it
 * overflows; the server decides whether the period is allowed. */
static int
request_borrow(const struct flex_msg *msg, struct flex_request *req, char *err,
    size_t errlen)
{
	long long n;

	if (request_checkout(msg, req, err, errlen) == -1)
		return -1;
	req->queue = 0;
	req->linger = 0;
	if (flex_msg_get_int(msg, "until_ms", 1, FLEX_UNTIL_MAX, &n) != 1) {
		set_err(
		    err, errlen, "until_ms: required, 1..%lld", FLEX_UNTIL_MAX);
		return -1;
	}
	req->until_ms = (int64_t)n;
	return 0;
}

/* REMOVE names a grant by its handle, or every grant of a feature held by
 * a user at a host (and display), as lmremove does. */
static int
request_remove(const struct flex_msg *msg, struct flex_request *req, char *err,
    size_t errlen)
{
	if (flex_msg_get(msg, "handle") != NULL)
		return get_handle(msg, "handle", &req->handle, err, errlen);
	if (get_name(msg, "feature", req->feature, 1, 1, err, errlen) == -1 ||
	    get_name(msg, "user", req->user, 1, 0, err, errlen) == -1 ||
	    get_name(msg, "host", req->host, 1, 0, err, errlen) == -1 ||
	    get_name(msg, "display", req->display, 0, 0, err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * Reads the tag of a line that may not parse, so that the error reply can
 * still carry it.
 */
static void
salvage_tag(const char *line, size_t len, char *tag)
{
	size_t n = 0;

	if (line == NULL)
		return;
	while (n < len && line[n] != ' ')
		n++;
	if (tag_valid(line, n, 0)) {
		memcpy(tag, line, n);
		tag[n] = '\0';
	}
}

int
flex_request_parse(const char *line, size_t len, struct flex_request *req,
    char *err, size_t errlen)
{
	struct flex_msg msg;
	size_t i;
	int rc;

	memset(req, 0, sizeof(*req));
	req->count = 1;
	req->proto = FLEX_PROTOCOL_VERSION;
	salvage_tag(line, len, req->tag);

	if (line != NULL && len > 0 && line[len - 1] == '\r')
		len--;
	if (len >= FLEX_LINE_MAX) {
		set_err(err, errlen, "line over %d bytes", FLEX_LINE_MAX);
		return FLEX_E_TOO_LONG;
	}
	if (msg_parse(line, len, &msg, 0, err, errlen) == -1)
		return FLEX_E_SYNTAX;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(msg.verb, verbs[i].name) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0])) {
		set_err(err, errlen, "unknown verb %s", msg.verb);
		return FLEX_E_UNKNOWN_VERB;
	}
	req->verb = verbs[i].verb;

	switch (req->verb) {
	case FLEX_V_HELLO:
		rc = request_hello(&msg, req, err, errlen);
		break;
	case FLEX_V_CHECKOUT:
		rc = request_checkout(&msg, req, err, errlen);
		break;
	case FLEX_V_BORROW:
		rc = request_borrow(&msg, req, err, errlen);
		break;
	case FLEX_V_CHECKIN:
	case FLEX_V_RESUME:
	case FLEX_V_RETURN:
		rc = get_handle(&msg, "handle", &req->handle, err, errlen);
		break;
	case FLEX_V_DEQUEUE:
		rc = get_handle(&msg, "ticket", &req->handle, err, errlen);
		break;
	case FLEX_V_STATUS:
		rc = get_name(&msg, "feature", req->feature, 0, 1, err, errlen);
		break;
	case FLEX_V_REMOVE:
		rc = request_remove(&msg, req, err, errlen);
		break;
	case FLEX_V_WHOIS:
	case FLEX_V_ELIGIBLE:
		rc = request_whois(&msg, req, err, errlen);
		break;
	case FLEX_V_HEARTBEAT:
	case FLEX_V_REREAD:
	case FLEX_V_DOWN:
	case FLEX_V_NEWLOG:
	case FLEX_V_QUIT:
	default:
		rc = 0;
		break;
	}
	return rc == -1 ? FLEX_E_ARGUMENT : 0;
}
