/*
 * Fuzzes the flex codec: flex_request_parse and flex_msg_parse on any
 * bytes, and the round trip: whatever flex_msg_parse accepts must encode
 * with flex_out into a line that parses back to the same message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/flex/flex_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_same(const struct flex_msg *a, const struct flex_msg *b)
{
	size_t i;

	if (strcmp(a->tag, b->tag) != 0 || strcmp(a->verb, b->verb) != 0 ||
	    a->nargs != b->nargs)
		abort();
	for (i = 0; i < a->nargs; i++)
		if (strcmp(a->args[i].key, b->args[i].key) != 0 ||
		    strcmp(a->args[i].value, b->args[i].value) != 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct flex_msg m, again;
	static struct flex_request req;
	char buf[FLEX_LINE_MAX + 1], err[128];
	struct flex_out o;
	long long n;
	uint64_t u;
	size_t i;
	int len, rc;

	rc = flex_request_parse(
	    (const char *)data, size, &req, err, sizeof(err));
	if (rc != 0 && rc != FLEX_E_SYNTAX && rc != FLEX_E_UNKNOWN_VERB &&
	    rc != FLEX_E_ARGUMENT && rc != FLEX_E_TOO_LONG)
		abort();
	if (rc == 0 &&
	    (req.count < 1 || req.count > 1000000 || strlen(req.feature) > 63 ||
		strlen(req.user) > 63))
		abort();

	if (flex_msg_parse((const char *)data, size, &m, err, sizeof(err)) != 0)
		return 0;
	for (i = 0; i < m.nargs; i++) {
		(void)flex_msg_get_int(&m, m.args[i].key, -1000, 1000, &n);
		(void)flex_msg_get_u64(&m, m.args[i].key, &u);
	}

	flex_out_begin(&o, buf, sizeof(buf), m.tag, m.verb);
	for (i = 0; i < m.nargs; i++)
		flex_out_add(&o, m.args[i].key, m.args[i].value);
	len = flex_out_end(&o);
	/* Encoding never makes a line longer than the one parsed. */
	if (len < 1 || buf[len - 1] != '\n')
		abort();
	if (flex_msg_parse(buf, (size_t)len - 1, &again, err, sizeof(err)) != 0)
		abort();
	check_same(&m, &again);
	return 0;
}
