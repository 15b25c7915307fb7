/*
 * The KMS wire format: requests on the flex line syntax, stored and
 * canonical activations, SRV ordering.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../flex/flex_codec.h"
#include "kms_codec.h"

const char *
kms_error_name(int code)
{
	switch (code) {
	case KMS_E_SYNTAX:
		return "syntax";
	case KMS_E_TOO_LONG:
		return "too-long";
	case KMS_E_UNKNOWN_VERB:
		return "unknown-verb";
	case KMS_E_ARGUMENT:
		return "argument";
	case KMS_E_BUSY:
		return "busy";
	case KMS_E_SHUTDOWN:
		return "shutdown";
	case KMS_E_INTERNAL:
		return "internal";
	case KMS_E_FORBIDDEN:
		return "forbidden";
	case KMS_E_NOT_FOUND:
		return "not-found";
	}
	return "unknown";
}

static int
kms_hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
kms_uuid_normalise(const char *in, char out[KMS_ID_MAX])
{
	size_t i;
	int c;

	if (strlen(in) != 36)
		return -1;
	for (i = 0; i < 36; i++) {
		c = (unsigned char)in[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return -1;
			out[i] = '-';
			continue;
		}
		if (kms_hexdigit(c) < 0)
			return -1;
		out[i] = "0123456789abcdef"[kms_hexdigit(c)];
	}
	out[36] = '\0';
	return 0;
}

/* A name: 1..KMS_NAME_MAX-1 printable ASCII bytes (spaces allowed). */
static int
kms_name_ok(const char *v, int required)
{
	size_t n = strlen(v), i;

	if (n == 0)
		return !required;
	if (n >= KMS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return 0;
	return 1;
}

static int
kms_take_name(const struct flex_msg *m, const char *key, int required,
    char *out, size_t outlen, char *err, size_t errlen)
{
	const char *v = flex_msg_get(m, key);

	if (v == NULL)
		v = "";
	if (!kms_name_ok(v, required)) {
		snprintf(err, errlen, "%s: %s", key,
		    v[0] == '\0' ? "missing" : "not a printable name");
		return -1;
	}
	snprintf(out, outlen, "%s", v);
	return 0;
}

int
kms_request_parse(const char *line, size_t len, struct kms_request *req,
    char *err, size_t errlen)
{
	struct flex_msg m;
	const char *v;

	memset(req, 0, sizeof(*req));
	if (flex_msg_parse(line, len, &m, err, errlen) == -1) {
		/* Keep the tag when the line starts with one, so that the
		 * error reply can carry it. */
		snprintf(req->tag, sizeof(req->tag), "*");
		return KMS_E_SYNTAX;
	}
	snprintf(req->tag, sizeof(req->tag), "%s", m.tag);

	if (strcmp(m.verb, "ACTIVATE") == 0)
		req->verb = KMS_V_ACTIVATE;
	else if (strcmp(m.verb, "STATUS") == 0)
		req->verb = KMS_V_STATUS;
	else if (strcmp(m.verb, "MACHINES") == 0)
		req->verb = KMS_V_MACHINES;
	else if (strcmp(m.verb, "PURGE") == 0)
		req->verb = KMS_V_PURGE;
	else if (strcmp(m.verb, "QUIT") == 0)
		req->verb = KMS_V_QUIT;
	else {
		snprintf(err, errlen, "unknown verb %s", m.verb);
		return KMS_E_UNKNOWN_VERB;
	}

	switch (req->verb) {
	case KMS_V_ACTIVATE:
		if (kms_take_name(&m, "product", 1, req->product,
			sizeof(req->product), err, errlen) == -1 ||
		    kms_take_name(&m, "host", 1, req->host, sizeof(req->host),
			err, errlen) == -1 ||
		    kms_take_name(&m, "unit", 0, req->unit, sizeof(req->unit),
			err, errlen) == -1)
			return KMS_E_ARGUMENT;
		v = flex_msg_get(&m, "class");
		if (v == NULL || strcmp(v, "client") == 0)
			req->server_class = 0;
		else if (strcmp(v, "server") == 0)
			req->server_class = 1;
		else {
			snprintf(err, errlen,
			    "class: expected client or "
			    "server");
			return KMS_E_ARGUMENT;
		}
		break;
	case KMS_V_MACHINES:
		if (kms_take_name(&m, "product", 0, req->product,
			sizeof(req->product), err, errlen) == -1)
			return KMS_E_ARGUMENT;
		return 0;
	case KMS_V_PURGE:
		if (kms_take_name(&m, "group", 1, req->group,
			sizeof(req->group), err, errlen) == -1)
			return KMS_E_ARGUMENT;
		break;
	default:
		return 0;
	}

	v = flex_msg_get(&m, "machine");
	if (v == NULL || kms_uuid_normalise(v, req->machine_id) == -1) {
		snprintf(err, errlen, "machine: expected a UUID");
		return KMS_E_ARGUMENT;
	}
	return 0;
}

/* Appends "name=LENGTH:value\n". */
static int
kms_canon_add(
    char *buf, size_t len, size_t *used, const char *name, const char *value)
{
	int n;

	n = snprintf(buf + *used, len - *used, "%s=%zu:%s\n", name,
	    strlen(value), value);
	if (n < 0 || (size_t)n >= len - *used)
		return -1;
	*used += (size_t)n;
	return 0;
}

int
kms_activation_canonical(const struct kms_activation *a, char *buf, size_t len)
{
	char issued[24], expires[24];
	size_t used = 0;
	int n;

	n = snprintf(
	    buf, len, "licd-kms-activation/%d\n", KMS_PROTOCOL_VERSION);
	if (n < 0 || (size_t)n >= len)
		return -1;
	used = (size_t)n;
	snprintf(issued, sizeof(issued), "%lld", (long long)a->issued);
	snprintf(expires, sizeof(expires), "%lld", (long long)a->expires);
	if (kms_canon_add(buf, len, &used, "product", a->product) == -1 ||
	    kms_canon_add(buf, len, &used, "machine", a->machine_id) == -1 ||
	    kms_canon_add(buf, len, &used, "unit", a->unit) == -1 ||
	    kms_canon_add(buf, len, &used, "issued", issued) == -1 ||
	    kms_canon_add(buf, len, &used, "expires", expires) == -1)
		return -1;
	return (int)used;
}

int
kms_activation_format(const struct kms_activation *a, char *buf, size_t len)
{
	struct flex_out o;

	flex_out_begin(&o, buf, len, "*", "ACTIVATION");
	flex_out_add(&o, "product", a->product);
	flex_out_add(&o, "machine", a->machine_id);
	flex_out_add(&o, "unit", a->unit);
	flex_out_addf(&o, "issued", "%lld", (long long)a->issued);
	flex_out_addf(&o, "expires", "%lld", (long long)a->expires);
	flex_out_add(&o, "sig", a->sig);
	return flex_out_end(&o);
}

int
kms_activation_parse(const char *text, size_t len, struct kms_activation *a,
    char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *eol, *v;
	struct flex_msg m;
	long long t;
	size_t n;

	memset(a, 0, sizeof(*a));
	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		n = (size_t)(eol - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0 || p[0] == '#')
			continue;
		if (flex_msg_parse(p, n, &m, err, errlen) == -1)
			return -1;
		if (strcmp(m.verb, "ACTIVATION") != 0) {
			snprintf(err, errlen, "not an activation");
			return -1;
		}
		if (kms_take_name(&m, "product", 1, a->product,
			sizeof(a->product), err, errlen) == -1 ||
		    kms_take_name(&m, "unit", 0, a->unit, sizeof(a->unit), err,
			errlen) == -1)
			return -1;
		v = flex_msg_get(&m, "machine");
		if (v == NULL || kms_uuid_normalise(v, a->machine_id) == -1) {
			snprintf(err, errlen, "machine: expected a UUID");
			return -1;
		}
		if (flex_msg_get_int(&m, "issued", 0, INT64_MAX, &t) != 1) {
			snprintf(err, errlen, "issued: expected a time");
			return -1;
		}
		a->issued = t;
		if (flex_msg_get_int(&m, "expires", 0, INT64_MAX, &t) != 1) {
			snprintf(err, errlen, "expires: expected a time");
			return -1;
		}
		a->expires = t;
		v = flex_msg_get(&m, "sig");
		if (v == NULL || strlen(v) != KMS_SIG_HEX_MAX ||
		    kms_hex_decode(v, NULL, 0) == -1) {
			snprintf(err, errlen, "sig: expected %d hex digits",
			    KMS_SIG_HEX_MAX);
			return -1;
		}
		snprintf(a->sig, sizeof(a->sig), "%s", v);
		return 0;
	}
	snprintf(err, errlen, "no activation in the file");
	return -1;
}

int
kms_hex_encode(const unsigned char *in, size_t n, char *out, size_t outlen)
{
	size_t i;

	if (outlen < 2 * n + 1)
		return -1;
	for (i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[in[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[in[i] & 15];
	}
	out[2 * n] = '\0';
	return (int)(2 * n);
}

/* With out NULL, only checks the digits. */
int
kms_hex_decode(const char *in, unsigned char *out, size_t outlen)
{
	size_t n = strlen(in), i;
	int hi, lo;

	if (n % 2 != 0 || (out != NULL && n / 2 > outlen))
		return -1;
	for (i = 0; i < n; i += 2) {
		hi = kms_hexdigit((unsigned char)in[i]);
		lo = kms_hexdigit((unsigned char)in[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		if (out != NULL)
			out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

static int
kms_srv_cmp(const void *a, const void *b)
{
	const struct kms_srv *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	/* Weight 0 first within a priority, as RFC 2782 arranges them
	 * before the running sums. */
	if ((x->weight == 0) != (y->weight == 0))
		return x->weight == 0 ? -1 : 1;
	return 0;
}

void
kms_srv_order(struct kms_srv *s, size_t n, uint32_t (*rnd)(void *), void *arg)
{
	struct kms_srv tmp;
	size_t first, last, i, k;
	uint64_t total, pick, sum;

	qsort(s, n, sizeof(*s), kms_srv_cmp);
	for (first = 0; first < n; first = last) {
		for (last = first;
		     last < n && s[last].priority == s[first].priority; last++)
			;
		/* Selection without replacement: each turn picks a record
		 * by the running sum of weights and moves it to the front
		 * of what is left. */
		for (i = first; i + 1 < last; i++) {
			total = 0;
			for (k = i; k < last; k++)
				total += s[k].weight;
			pick = total == 0 ? 0 : rnd(arg) % (total + 1);
			sum = 0;
			for (k = i; k < last; k++) {
				sum += s[k].weight;
				if (sum >= pick)
					break;
			}
			if (k == last)
				k = last - 1;
			/* A zero pick takes a record of weight 0 when one
			 * is left; otherwise the first that reaches it. */
			tmp = s[k];
			memmove(&s[i + 1], &s[i], (k - i) * sizeof(*s));
			s[i] = tmp;
		}
	}
}
