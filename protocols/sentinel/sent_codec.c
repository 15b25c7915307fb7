/*
 * The sentinel datagram codec: see sent_codec.h and PROTOCOL.md.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sent_codec.h"

/* Where each field of a body goes: a string of size cap, or a number. */
enum field_type {
	FT_STR,
	FT_INT, /* int in [min, max] */
	FT_LONG, /* long in [min, max] */
	FT_I64, /* int64_t >= 0 */
	FT_U64, /* uint64_t */
	FT_U32,
	FT_SHARE, /* enum sent_share by name */
};

struct field {
	const char *key;
	enum field_type type;
	size_t off;
	size_t cap; /* FT_STR: size of the array */
	long long min, max;
};

#define STR(k, s, m) \
	{ \
		k, FT_STR, offsetof(s, m), sizeof(((s *)0)->m), 0, 0 \
	}
#define INT(k, s, m, lo, hi) \
	{ \
		k, FT_INT, offsetof(s, m), 0, lo, hi \
	}
#define LNG(k, s, m, lo, hi) \
	{ \
		k, FT_LONG, offsetof(s, m), 0, lo, hi \
	}
#define I64(k, s, m) \
	{ \
		k, FT_I64, offsetof(s, m), 0, 0, 0 \
	}
#define U64(k, s, m) \
	{ \
		k, FT_U64, offsetof(s, m), 0, 0, 0 \
	}
#define U32(k, s, m) \
	{ \
		k, FT_U32, offsetof(s, m), 0, 0, 0 \
	}
#define SHR(k, s, m) \
	{ \
		k, FT_SHARE, offsetof(s, m), 0, 0, 0 \
	}

static const struct field request_fields[] = {
    STR("feature", struct sent_request, feature),
    STR("version", struct sent_request, version),
    INT("tokens", struct sent_request, tokens, 1, 1000000),
    INT("queue", struct sent_request, queue, 0, 1),
    STR("user", struct sent_request, user),
    STR("host", struct sent_request, host),
    STR("display", struct sent_request, display),
    STR("project", struct sent_request, project),
    STR("share", struct sent_request, share),
    LNG("pid", struct sent_request, pid, 0, INT_MAX),
    U64("handle", struct sent_request, handle),
    INT("days", struct sent_request, days, 1, 3650),
    U32("cursor", struct sent_request, cursor),
    INT("clients", struct sent_request, clients, 0, 1),
};

static const struct field reply_fields[] = {
    U64("handle", struct sent_reply, handle),
    INT("tokens", struct sent_reply, tokens, 0, INT_MAX),
    STR("version", struct sent_reply, version),
    STR("unit", struct sent_reply, unit),
    INT("lease", struct sent_reply, lease, 0, INT_MAX),
    INT("hold", struct sent_reply, hold, 0, INT_MAX),
    INT("position", struct sent_reply, position, 0, INT_MAX),
    I64("until", struct sent_reply, until),
    I64("time", struct sent_reply, server_time),
    U32("next", struct sent_reply, next),
    STR("message", struct sent_reply, message),
};

/* A feature record starts with "feat=NAME". */
static const struct field feature_fields[] = {
    STR("feat", struct sent_feature, name),
    STR("version", struct sent_feature, version),
    INT("max", struct sent_feature, max_tokens, 0, INT_MAX),
    INT("users", struct sent_feature, max_users, 0, INT_MAX),
    INT("used", struct sent_feature, in_use, 0, INT_MAX),
    INT("rused", struct sent_feature, reserved_in_use, 0, INT_MAX),
    INT("ravail", struct sent_feature, reserved_avail, 0, INT_MAX),
    INT("queued", struct sent_feature, queued, 0, INT_MAX),
    SHR("share", struct sent_feature, share),
    INT("slimit", struct sent_feature, share_limit, 0, INT_MAX),
    INT("lease", struct sent_feature, lease, 0, INT_MAX),
    INT("hold", struct sent_feature, hold, 0, INT_MAX),
    INT("commute", struct sent_feature, commuter_days, 0, INT_MAX),
    I64("expiry", struct sent_feature, expiry),
};

/* A client record starts with "cli=HANDLE". */
static const struct field client_fields[] = {
    U64("cli", struct sent_client, handle),
    STR("feature", struct sent_client, feature),
    STR("version", struct sent_client, version),
    STR("user", struct sent_client, user),
    STR("host", struct sent_client, host),
    STR("display", struct sent_client, display),
    STR("unit", struct sent_client, unit),
    I64("since", struct sent_client, since),
    I64("commuter", struct sent_client, commuter_until),
    I64("held", struct sent_client, hold_until),
    INT("tokens", struct sent_client, tokens, 0, INT_MAX),
    STR("fe", struct sent_client, frontend),
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
sent_header_peek(const uint8_t *buf, size_t len, struct sent_header *h)
{
	if (len < SENT_HEADER_LEN || buf[0] != SENT_MAGIC0 ||
	    buf[1] != SENT_MAGIC1)
		return -1;
	h->version = buf[2];
	h->verb = buf[3];
	h->flags = sent_get16(buf + 4);
	h->body_len = sent_get16(buf + 6);
	h->request_id = sent_get64(buf + 8);
	h->client_id = sent_get64(buf + 16);
	h->status = buf[24];
	h->reason = sent_get16(buf + 26);
	return 0;
}

static void
header_write(const struct sent_header *h, uint8_t *buf)
{
	buf[0] = SENT_MAGIC0;
	buf[1] = SENT_MAGIC1;
	buf[2] = h->version;
	buf[3] = h->verb;
	sent_put16(buf + 4, h->flags);
	sent_put16(buf + 6, h->body_len);
	sent_put64(buf + 8, h->request_id);
	sent_put64(buf + 16, h->client_id);
	buf[24] = h->status;
	buf[25] = 0;
	sent_put16(buf + 26, h->reason);
}

/* A value may hold any byte but the control characters. */
static int
value_ok(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] == 0x7f)
			return 0;
	return 1;
}

static int
parse_i64(const char *v, size_t n, int neg_ok, long long *out)
{
	long long x = 0;
	size_t i = 0;
	int neg = 0;

	if (n > 0 && v[0] == '-' && neg_ok) {
		neg = 1;
		i = 1;
	}
	if (i == n || n - i > 19)
		return -1;
	for (; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (x > (LLONG_MAX - (v[i] - '0')) / 10)
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	*out = neg ? -x : x;
	return 0;
}

static int
parse_u64(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

/* Stores value v (n bytes) into the field f of the structure at base. */
static int
field_store(const struct field *f, void *base, const char *v, size_t n)
{
	char *p = (char *)base + f->off;
	long long x;
	uint64_t u;
	char tmp[16];
	int s;

	switch (f->type) {
	case FT_STR:
		if (n >= f->cap || !value_ok(v, n))
			return -1;
		memcpy(p, v, n);
		p[n] = '\0';
		return 0;
	case FT_INT:
	case FT_LONG:
		if (parse_i64(v, n, f->min < 0, &x) != 0 || x < f->min ||
		    x > f->max)
			return -1;
		if (f->type == FT_INT)
			*(int *)(void *)p = (int)x;
		else
			*(long *)(void *)p = (long)x;
		return 0;
	case FT_I64:
		if (parse_i64(v, n, 0, &x) != 0)
			return -1;
		*(int64_t *)(void *)p = x;
		return 0;
	case FT_U64:
		if (parse_u64(v, n, &u) != 0)
			return -1;
		*(uint64_t *)(void *)p = u;
		return 0;
	case FT_U32:
		if (parse_u64(v, n, &u) != 0 || u > UINT32_MAX)
			return -1;
		*(uint32_t *)(void *)p = (uint32_t)u;
		return 0;
	case FT_SHARE:
		if (n >= sizeof(tmp))
			return -1;
		memcpy(tmp, v, n);
		tmp[n] = '\0';
		s = sent_share_parse(tmp);
		if (s < 0)
			return -1;
		*(int *)(void *)p = s;
		return 0;
	}
	return -1;
}

static const struct field *
field_find(
    const struct field *t, size_t nt, const char *k, size_t kn, size_t *idx)
{
	size_t i;

	for (i = 0; i < nt; i++)
		if (strlen(t[i].key) == kn && memcmp(t[i].key, k, kn) == 0) {
			*idx = i;
			return &t[i];
		}
	return NULL;
}

/*
 * Checks the framing of a datagram against its header: the body within the
 * datagram, the trailer when AUTH is set, zero padding after.  Returns 0.
 */
static int
frame_check(const uint8_t *buf, size_t len, const struct sent_header *h,
    char *err, size_t errlen)
{
	size_t end = SENT_HEADER_LEN + (size_t)h->body_len, i;

	if (len > SENT_DATAGRAM_MAX) {
		seterr(
		    err, errlen, "datagram over %d bytes", SENT_DATAGRAM_MAX);
		return SENT_E_TOO_BIG;
	}
	if (h->version != SENT_PROTOCOL_VERSION) {
		seterr(err, errlen, "version %u not served", h->version);
		return SENT_E_VERSION;
	}
	if (h->request_id == 0 || h->client_id == 0) {
		seterr(err, errlen, "zero request or client id");
		return SENT_E_MALFORMED;
	}
	/* No version 1 peer sets other flags or the reserved byte; a
	 * datagram that does is not one this codec can read. */
	if ((h->flags & ~(SENT_F_REPLY | SENT_F_AUTH)) != 0 || buf[25] != 0) {
		seterr(err, errlen, "unknown flags or reserved byte set");
		return SENT_E_MALFORMED;
	}
	if (h->flags & SENT_F_AUTH)
		end += SENT_TRAILER_LEN;
	if (end > len) {
		seterr(err, errlen, "truncated datagram");
		return SENT_E_MALFORMED;
	}
	for (i = end; i < len; i++)
		if (buf[i] != 0) {
			seterr(err, errlen, "non-zero padding");
			return SENT_E_MALFORMED;
		}
	if (h->flags & SENT_F_AUTH) {
		end -= SENT_TRAILER_LEN;
		if (sent_get64(buf + end) > INT64_MAX) {
			seterr(err, errlen, "bad timestamp");
			return SENT_E_MALFORMED;
		}
	}
	return 0;
}

/*
 * Walks the body's lines.  For a reply, a line "feat=" or "cli=" starts a
 * record and the keys after it belong to the record.
 */
static int
body_parse(
    const char *b, size_t n, int is_reply, void *top, char *err, size_t errlen)
{
	struct sent_reply *rep = top;
	const struct field *t = is_reply ? reply_fields : request_fields, *f;
	size_t nt = is_reply ? NFIELDS(reply_fields) : NFIELDS(request_fields);
	void *base = top;
	uint64_t seen = 0;
	size_t pos = 0, nlines = 0, idx;

	while (pos < n) {
		const char *line = b + pos, *eq, *nl;
		size_t ln, kn;

		nl = memchr(line, '\n', n - pos);
		if (nl == NULL) {
			seterr(err, errlen, "body line without newline");
			return SENT_E_MALFORMED;
		}
		ln = (size_t)(nl - line);
		pos += ln + 1;
		if (++nlines > SENT_FIELDS_MAX) {
			seterr(err, errlen, "too many fields");
			return SENT_E_MALFORMED;
		}
		eq = memchr(line, '=', ln);
		if (eq == NULL) {
			seterr(err, errlen, "field without '='");
			return SENT_E_MALFORMED;
		}
		kn = (size_t)(eq - line);
		if (kn == 0 || kn > SENT_KEY_MAX ||
		    ln - kn - 1 > SENT_VALUE_MAX) {
			seterr(err, errlen, "field key or value too long");
			return SENT_E_MALFORMED;
		}
		if (is_reply && kn == 4 && memcmp(line, "feat", 4) == 0) {
			if (rep->nfeatures == SENT_QUERY_FEATURES_MAX) {
				seterr(err, errlen, "too many features");
				return SENT_E_MALFORMED;
			}
			base = &rep->features[rep->nfeatures++];
			t = feature_fields;
			nt = NFIELDS(feature_fields);
			seen = 0;
		} else if (is_reply && kn == 3 && memcmp(line, "cli", 3) == 0) {
			if (rep->nclients == SENT_QUERY_CLIENTS_MAX) {
				seterr(err, errlen, "too many clients");
				return SENT_E_MALFORMED;
			}
			base = &rep->clients[rep->nclients++];
			t = client_fields;
			nt = NFIELDS(client_fields);
			seen = 0;
		}
		f = field_find(t, nt, line, kn, &idx);
		if (f == NULL) {
			seterr(
			    err, errlen, "unknown field %.*s", (int)kn, line);
			return SENT_E_ARGUMENT;
		}
		if (seen & ((uint64_t)1 << idx)) {
			seterr(err, errlen, "repeated field %s", f->key);
			return SENT_E_ARGUMENT;
		}
		seen |= (uint64_t)1 << idx;
		if (field_store(f, base, eq + 1, ln - kn - 1) != 0) {
			seterr(err, errlen, "invalid %s", f->key);
			return SENT_E_ARGUMENT;
		}
	}
	return 0;
}

static int
request_check(struct sent_request *r, char *err, size_t errlen)
{
	switch (r->hdr.verb) {
	case SENT_V_REQUEST:
	case SENT_V_COMMUTE:
		if (r->feature[0] == '\0') {
			seterr(err, errlen, "feature missing");
			return SENT_E_ARGUMENT;
		}
		if (r->hdr.verb == SENT_V_COMMUTE && r->days == 0) {
			seterr(err, errlen, "days missing");
			return SENT_E_ARGUMENT;
		}
		return 0;
	case SENT_V_RENEW:
	case SENT_V_RELEASE:
	case SENT_V_CHECKIN:
		if (r->handle == 0) {
			seterr(err, errlen, "handle missing");
			return SENT_E_ARGUMENT;
		}
		return 0;
	case SENT_V_QUERY:
	case SENT_V_BYE:
		return 0;
	}
	seterr(err, errlen, "unknown verb %u", r->hdr.verb);
	return SENT_E_VERB;
}

int
sent_request_decode(const uint8_t *buf, size_t len, struct sent_request *req,
    char *err, size_t errlen)
{
	int rc;

	memset(req, 0, sizeof(*req));
	req->tokens = 1;
	req->clients = 1;
	if (sent_header_peek(buf, len, &req->hdr) != 0) {
		seterr(err, errlen, "not a sentinel datagram");
		return SENT_E_MALFORMED;
	}
	rc = frame_check(buf, len, &req->hdr, err, errlen);
	if (rc != 0)
		return rc;
	if (req->hdr.flags & SENT_F_REPLY) {
		seterr(err, errlen, "a reply, not a request");
		return SENT_E_MALFORMED;
	}
	if (req->hdr.status != 0 || req->hdr.reason != 0) {
		seterr(err, errlen, "status or reason set in a request");
		return SENT_E_MALFORMED;
	}
	if (req->hdr.verb < SENT_V_REQUEST || req->hdr.verb > SENT_V_BYE) {
		seterr(err, errlen, "unknown verb %u", req->hdr.verb);
		return SENT_E_VERB;
	}
	rc = body_parse((const char *)buf + SENT_HEADER_LEN, req->hdr.body_len,
	    0, req, err, errlen);
	if (rc != 0)
		return rc;
	if (req->hdr.flags & SENT_F_AUTH) {
		const uint8_t *t = buf + SENT_HEADER_LEN + req->hdr.body_len;

		req->timestamp = (int64_t)sent_get64(t);
		memcpy(req->mac, t + 8, SENT_MAC_LEN);
	}
	return request_check(req, err, errlen);
}

int
sent_reply_decode(const uint8_t *buf, size_t len, struct sent_reply *rep,
    char *err, size_t errlen)
{
	int rc;

	memset(rep, 0, sizeof(*rep));
	if (sent_header_peek(buf, len, &rep->hdr) != 0) {
		seterr(err, errlen, "not a sentinel datagram");
		return SENT_E_MALFORMED;
	}
	rc = frame_check(buf, len, &rep->hdr, err, errlen);
	if (rc != 0)
		return rc;
	if (!(rep->hdr.flags & SENT_F_REPLY)) {
		seterr(err, errlen, "a request, not a reply");
		return SENT_E_MALFORMED;
	}
	if (rep->hdr.status > SENT_S_ERROR) {
		seterr(err, errlen, "unknown status %u", rep->hdr.status);
		return SENT_E_MALFORMED;
	}
	return body_parse((const char *)buf + SENT_HEADER_LEN,
	    rep->hdr.body_len, 1, rep, err, errlen);
}

/* A body being written; once it would overflow, full is set. */
struct out {
	uint8_t *buf;
	size_t len, cap;
	int full, bad;
};

/* Writes key=value, or nothing when the value is at its default (empty
 * or 0) unless force is set. */
static void
out_field(struct out *o, const struct field *f, const void *base, int force)
{
	const char *p = (const char *)base + f->off;
	char num[32] = "";
	const char *v = num;
	size_t kn = strlen(f->key), vn;

	switch (f->type) {
	case FT_STR:
		v = p;
		if (*v == '\0' && !force)
			return;
		break;
	case FT_INT:
		if (*(const int *)(const void *)p == 0 && !force)
			return;
		snprintf(num, sizeof(num), "%d", *(const int *)(const void *)p);
		break;
	case FT_LONG:
		if (*(const long *)(const void *)p == 0 && !force)
			return;
		snprintf(
		    num, sizeof(num), "%ld", *(const long *)(const void *)p);
		break;
	case FT_I64:
		if (*(const int64_t *)(const void *)p == 0 && !force)
			return;
		snprintf(num, sizeof(num), "%lld",
		    (long long)*(const int64_t *)(const void *)p);
		break;
	case FT_U64:
		if (*(const uint64_t *)(const void *)p == 0 && !force)
			return;
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)*(const uint64_t *)(const void *)p);
		break;
	case FT_U32:
		if (*(const uint32_t *)(const void *)p == 0 && !force)
			return;
		snprintf(num, sizeof(num), "%lu",
		    (unsigned long)*(const uint32_t *)(const void *)p);
		break;
	case FT_SHARE:
		v = sent_share_name(*(const int *)(const void *)p);
		break;
	}
	vn = strlen(v);
	if (vn > SENT_VALUE_MAX || !value_ok(v, vn)) {
		o->bad = 1;
		return;
	}
	if (o->len + kn + vn + 2 > o->cap) {
		o->full = 1;
		return;
	}
	memcpy(o->buf + o->len, f->key, kn);
	o->buf[o->len + kn] = '=';
	memcpy(o->buf + o->len + kn + 1, v, vn);
	o->buf[o->len + kn + 1 + vn] = '\n';
	o->len += kn + vn + 2;
}

/* Writes the fields of a table; a record's first field (feat=, cli=)
 * always, since it starts the record. */
static void
out_fields(struct out *o, const struct field *t, size_t nt, const void *base,
    int first_always)
{
	size_t i;

	for (i = 0; i < nt; i++)
		out_field(o, &t[i], base, i == 0 && first_always);
}

static int
out_finish(struct out *o, const struct sent_header *h0, uint16_t flags)
{
	struct sent_header h = *h0;

	if (o->full || o->bad || o->len - SENT_HEADER_LEN > UINT16_MAX)
		return -1;
	h.version = SENT_PROTOCOL_VERSION;
	h.flags = flags;
	h.body_len = (uint16_t)(o->len - SENT_HEADER_LEN);
	header_write(&h, o->buf);
	return (int)o->len;
}

int
sent_request_encode(const struct sent_request *req, uint8_t *buf, size_t cap)
{
	struct out o = {buf, SENT_HEADER_LEN, cap, 0, 0};
	struct sent_request r = *req;

	if (cap < SENT_HEADER_LEN || req->hdr.request_id == 0 ||
	    req->hdr.client_id == 0)
		return -1;
	if (cap > SENT_DATAGRAM_MAX)
		o.cap = SENT_DATAGRAM_MAX;
	/* Defaults are not written: the decoder puts them back. */
	if (r.tokens == 1)
		r.tokens = 0;
	if (r.clients == 1)
		r.clients = 0;
	else if (r.clients == 0) {
		/* "clients=0" must be written: 0 is not the default. */
		static const struct field zero = {
		    "clients", FT_STR, 0, 2, 0, 0};

		out_field(&o, &zero, "0", 1);
	}
	out_fields(&o, request_fields, NFIELDS(request_fields), &r, 0);
	return out_finish(
	    &o, &req->hdr, req->hdr.flags & ~(SENT_F_AUTH | SENT_F_REPLY));
}

int
sent_reply_encode(const struct sent_reply *rep, uint8_t *buf, size_t cap)
{
	struct out o = {buf, SENT_HEADER_LEN, cap, 0, 0};
	size_t i;

	if (cap < SENT_HEADER_LEN || rep->nfeatures > SENT_QUERY_FEATURES_MAX ||
	    rep->nclients > SENT_QUERY_CLIENTS_MAX)
		return -1;
	if (cap > SENT_DATAGRAM_MAX)
		o.cap = SENT_DATAGRAM_MAX;
	out_fields(&o, reply_fields, NFIELDS(reply_fields), rep, 0);
	for (i = 0; i < rep->nfeatures; i++)
		out_fields(&o, feature_fields, NFIELDS(feature_fields),
		    &rep->features[i], 1);
	for (i = 0; i < rep->nclients; i++)
		out_fields(&o, client_fields, NFIELDS(client_fields),
		    &rep->clients[i], 1);
	return out_finish(&o, &rep->hdr,
	    (uint16_t)((rep->hdr.flags & ~SENT_F_AUTH) | SENT_F_REPLY));
}

int
sent_reply_error(const struct sent_header *req, int status, int reason,
    uint8_t *buf, size_t cap)
{
	struct sent_header h = *req;

	if (cap < SENT_HEADER_LEN)
		return -1;
	h.version = SENT_PROTOCOL_VERSION;
	h.flags = SENT_F_REPLY;
	h.body_len = 0;
	h.status = (uint8_t)status;
	h.reason = (uint16_t)reason;
	header_write(&h, buf);
	return SENT_HEADER_LEN;
}

static int
mac_compute(const uint8_t *buf, size_t len, const uint8_t *key, size_t keylen,
    uint8_t mac[SENT_MAC_LEN])
{
	unsigned int maclen = SENT_MAC_LEN;

	if (HMAC(EVP_sha256(), key, (int)keylen, buf, len, mac, &maclen) ==
		NULL ||
	    maclen != SENT_MAC_LEN)
		return -1;
	return 0;
}

int
sent_sign(uint8_t *buf, size_t *len, size_t cap, const uint8_t *key,
    size_t keylen, int64_t timestamp)
{
	struct sent_header h;
	uint16_t flags;

	if (keylen == 0 || keylen > INT_MAX || timestamp < 0 ||
	    sent_header_peek(buf, *len, &h) != 0 || (h.flags & SENT_F_AUTH) ||
	    *len != SENT_HEADER_LEN + (size_t)h.body_len ||
	    *len + SENT_TRAILER_LEN > cap)
		return -1;
	flags = h.flags | SENT_F_AUTH;
	sent_put16(buf + 4, flags);
	sent_put64(buf + *len, (uint64_t)timestamp);
	if (mac_compute(buf, *len + 8, key, keylen, buf + *len + 8) != 0)
		return -1;
	*len += SENT_TRAILER_LEN;
	return 0;
}

int
sent_verify(const uint8_t *buf, size_t len, const uint8_t *key, size_t keylen,
    int64_t *timestamp, uint8_t mac[SENT_MAC_LEN])
{
	struct sent_header h;
	uint8_t want[SENT_MAC_LEN];
	size_t end;

	if (keylen == 0 || keylen > INT_MAX ||
	    sent_header_peek(buf, len, &h) != 0 || !(h.flags & SENT_F_AUTH))
		return -1;
	end = SENT_HEADER_LEN + (size_t)h.body_len;
	if (end + SENT_TRAILER_LEN > len)
		return -1;
	if (mac_compute(buf, end + 8, key, keylen, want) != 0 ||
	    CRYPTO_memcmp(want, buf + end + 8, SENT_MAC_LEN) != 0)
		return -1;
	if (sent_get64(buf + end) > INT64_MAX)
		return -1;
	*timestamp = (int64_t)sent_get64(buf + end);
	if (mac != NULL)
		memcpy(mac, want, SENT_MAC_LEN);
	return 0;
}

int
sent_pad(uint8_t *buf, size_t *len, size_t cap, size_t pad_to)
{
	if (pad_to > cap || pad_to > SENT_DATAGRAM_MAX)
		return -1;
	if (pad_to > *len) {
		memset(buf + *len, 0, pad_to - *len);
		*len = pad_to;
	}
	return 0;
}

const char *
sent_verb_name(int verb)
{
	static const char *const names[] = {"?", "REQUEST", "RENEW", "RELEASE",
	    "QUERY", "COMMUTE", "CHECKIN", "BYE"};

	if (verb < 1 || verb > SENT_V_BYE)
		return "?";
	return names[verb];
}

const char *
sent_error_name(int code)
{
	static const char *const names[] = {"?", "malformed", "version", "verb",
	    "argument", "too-big", "pad", "no-session", "shutdown", "busy",
	    "internal"};

	if (code < 1 || code > SENT_E_INTERNAL)
		return "?";
	return names[code];
}

static const char *const share_names[] = {
    "none", "user", "host", "display", "id"};

const char *
sent_share_name(int share)
{
	if (share < 0 || share > SENT_SHARE_ID)
		return "?";
	return share_names[share];
}

int
sent_share_parse(const char *s)
{
	int i;

	for (i = 0; i <= SENT_SHARE_ID; i++)
		if (strcasecmp(s, share_names[i]) == 0)
			return i;
	return -1;
}
