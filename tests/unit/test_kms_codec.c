/*
 * The KMS codec: request validation per verb, UUIDs, the stored and
 * canonical forms of an activation, and the SRV order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "include/licd.h"
#include "protocols/kms/kms_codec.h"

#define UUID "0f8fad5b-d9cb-469f-a165-70867728950e"

struct req_case {
	const char *line;
	int rc;
	enum kms_verb verb;
	int server_class;
};

static const struct req_case req_cases[] = {
    {"a ACTIVATE product=office machine=" UUID " host=pc1", 0, KMS_V_ACTIVATE,
	0},
    {"a ACTIVATE product=office machine=" UUID " host=pc1 class=server "
     "unit=physics",
	0, KMS_V_ACTIVATE, 1},
    {"a ACTIVATE product=office machine=0F8FAD5B-D9CB-469F-A165-70867728950E"
     " host=pc1",
	0, KMS_V_ACTIVATE, 0},
    {"a ACTIVATE machine=" UUID " host=pc1", KMS_E_ARGUMENT, 0, 0},
    {"a ACTIVATE product=office host=pc1", KMS_E_ARGUMENT, 0, 0},
    {"a ACTIVATE product=office machine=not-a-uuid host=pc1", KMS_E_ARGUMENT, 0,
	0},
    {"a ACTIVATE product=office machine=0f8fad5bd9cb469fa16570867728950e "
     "host=pc1",
	KMS_E_ARGUMENT, 0, 0},
    {"a ACTIVATE product=office machine=" UUID, KMS_E_ARGUMENT, 0, 0},
    {"a ACTIVATE product=office machine=" UUID " host=pc1 class=laptop",
	KMS_E_ARGUMENT, 0, 0},
    {"a ACTIVATE product=a%0Ab machine=" UUID " host=pc1", KMS_E_ARGUMENT, 0,
	0},
    {"a STATUS", 0, KMS_V_STATUS, 0},
    {"a MACHINES", 0, KMS_V_MACHINES, 0},
    {"a MACHINES product=office", 0, KMS_V_MACHINES, 0},
    {"a PURGE group=office machine=" UUID, 0, KMS_V_PURGE, 0},
    {"a PURGE machine=" UUID, KMS_E_ARGUMENT, 0, 0},
    {"a QUIT", 0, KMS_V_QUIT, 0},
    {"a CHECKOUT feature=x", KMS_E_UNKNOWN_VERB, 0, 0},
    {"", KMS_E_SYNTAX, 0, 0},
    {"a ACTIVATE product", KMS_E_SYNTAX, 0, 0},
};

static void
test_requests(void **state)
{
	struct kms_request req;
	char err[128];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		rc = kms_request_parse(req_cases[i].line,
		    strlen(req_cases[i].line), &req, err, sizeof(err));
		if (rc != req_cases[i].rc)
			fail_msg("case %zu \"%s\": rc %d, expected %d (%s)", i,
			    req_cases[i].line, rc, req_cases[i].rc, err);
		if (rc != 0)
			continue;
		assert_int_equal(req.verb, req_cases[i].verb);
		assert_int_equal(req.server_class, req_cases[i].server_class);
		if (req.verb == KMS_V_ACTIVATE || req.verb == KMS_V_PURGE)
			assert_string_equal(req.machine_id, UUID);
	}
}

static void
test_uuid(void **state)
{
	char out[KMS_ID_MAX];

	assert_int_equal(kms_uuid_normalise(UUID, out), 0);
	assert_string_equal(out, UUID);
	assert_int_equal(
	    kms_uuid_normalise("0F8FAD5B-D9CB-469F-A165-70867728950E", out), 0);
	assert_string_equal(out, UUID);
	assert_int_equal(kms_uuid_normalise(UUID "0", out), -1);
	assert_int_equal(
	    kms_uuid_normalise("0f8fad5b-d9cb-469f-a165-70867728950g", out),
	    -1);
	assert_int_equal(
	    kms_uuid_normalise("0f8fad5b+d9cb-469f-a165-70867728950e", out),
	    -1);
	assert_int_equal(kms_uuid_normalise("", out), -1);
}

static void
sample(struct kms_activation *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->product, sizeof(a->product), "office suite");
	snprintf(a->machine_id, sizeof(a->machine_id), UUID);
	snprintf(a->unit, sizeof(a->unit), "physics");
	a->issued = 1790000000000;
	a->expires = 1805552000000;
	memset(a->sig, 'a', KMS_SIG_HEX_MAX);
	a->sig[KMS_SIG_HEX_MAX] = '\0';
}

static void
test_activation_round_trip(void **state)
{
	struct kms_activation a, b;
	char line[4096], text[4200], err[128];
	int n;

	sample(&a);
	n = kms_activation_format(&a, line, sizeof(line));
	assert_true(n > 0);
	snprintf(text, sizeof(text), "# a comment\n\n%s", line);
	assert_int_equal(
	    kms_activation_parse(text, strlen(text), &b, err, sizeof(err)), 0);
	assert_memory_equal(&a, &b, sizeof(a));

	/* Damaged forms are refused. */
	assert_int_equal(kms_activation_parse(
			     "# only a comment\n", 17, &b, err, sizeof(err)),
	    -1);
	snprintf(text, sizeof(text), "%s", line);
	text[strlen(text) - 3] = 'z'; /* a non-hex digit in sig */
	assert_int_equal(
	    kms_activation_parse(text, strlen(text), &b, err, sizeof(err)), -1);
	assert_int_equal(
	    kms_activation_parse("* GRANTED x=1\n", 14, &b, err, sizeof(err)),
	    -1);
	assert_int_equal(kms_activation_format(&a, line, 40), -1);
}

static void
test_canonical(void **state)
{
	struct kms_activation a, b;
	char x[1024], y[1024];
	int nx, ny;

	sample(&a);
	nx = kms_activation_canonical(&a, x, sizeof(x));
	assert_true(nx > 0);
	assert_non_null(strstr(x, "product=12:office suite\n"));
	assert_non_null(strstr(x, "expires=13:1805552000000\n"));

	/* The signature is not part of what is signed; every field is. */
	b = a;
	b.sig[0] = 'b';
	ny = kms_activation_canonical(&b, y, sizeof(y));
	assert_int_equal(nx, ny);
	assert_memory_equal(x, y, (size_t)nx);
	b = a;
	b.expires++;
	ny = kms_activation_canonical(&b, y, sizeof(y));
	assert_true(nx != ny || memcmp(x, y, (size_t)nx) != 0);
	b = a;
	snprintf(b.unit, sizeof(b.unit), "chem");
	ny = kms_activation_canonical(&b, y, sizeof(y));
	assert_true(nx != ny || memcmp(x, y, (size_t)nx) != 0);

	/* Lengths keep a value from spilling into the next field. */
	b = a;
	snprintf(b.product, sizeof(b.product), "office suite\nunit=1:x");
	ny = kms_activation_canonical(&b, y, sizeof(y));
	assert_true(nx != ny || memcmp(x, y, (size_t)nx) != 0);
	assert_int_equal(kms_activation_canonical(&a, x, 20), -1);
}

static uint32_t
fixed_rnd(void *arg)
{
	return *(uint32_t *)arg;
}

static void
test_srv_order(void **state)
{
	struct kms_srv s[] = {
	    {20, 0, 1688, "backup"},
	    {10, 60, 1688, "b"},
	    {10, 0, 1688, "zero"},
	    {10, 40, 1688, "a"},
	    {5, 0, 1700, "first"},
	};
	struct kms_srv t[5];
	uint32_t r;

	/* pick = r % (total + 1): 0 takes the weight-0 record first,
	 * then 0 % 101 = 0 again is met by the first positive record
	 * (b, 60). */
	r = 0;
	memcpy(t, s, sizeof(s));
	kms_srv_order(t, 5, fixed_rnd, &r);
	assert_string_equal(t[0].target, "first");
	assert_string_equal(t[1].target, "zero");
	assert_string_equal(t[4].target, "backup");

	/* A large pick lands on the last record's share: a (40). */
	r = 100;
	memcpy(t, s, sizeof(s));
	kms_srv_order(t, 5, fixed_rnd, &r);
	assert_string_equal(t[0].target, "first");
	assert_string_equal(t[4].target, "backup");
	assert_int_equal(t[1].priority, 10);
	assert_int_equal(t[2].priority, 10);
	assert_int_equal(t[3].priority, 10);
	assert_string_equal(t[1].target, "a");
}

/* Over many random draws, the heavier record goes first more often. */
static void
test_srv_weights(void **state)
{
	struct licd_kms_srv s[2];
	int heavy = 0, i;

	for (i = 0; i < 2000; i++) {
		memset(s, 0, sizeof(s));
		s[0].weight = 10;
		snprintf(s[0].target, sizeof(s[0].target), "light");
		s[1].weight = 90;
		snprintf(s[1].target, sizeof(s[1].target), "heavy");
		licd_kms_srv_order(s, 2);
		heavy += strcmp(s[0].target, "heavy") == 0;
	}
	assert_true(heavy > 1500 && heavy < 1950);
}

static void
test_next_request(void **state)
{
	struct licd_kms_reply r;

	memset(&r, 0, sizeof(r));
	r.result = LICD_KMS_BELOW_THRESHOLD;
	r.retry_s = 7200;
	r.renewal_s = 604800;
	assert_int_equal(licd_kms_next_request(&r, 1000), 1000 + 7200000);
	r.result = LICD_KMS_ACTIVATED;
	assert_int_equal(licd_kms_next_request(&r, 1000), 1000 + 604800000LL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_requests),
	    cmocka_unit_test(test_uuid),
	    cmocka_unit_test(test_activation_round_trip),
	    cmocka_unit_test(test_canonical),
	    cmocka_unit_test(test_srv_order),
	    cmocka_unit_test(test_srv_weights),
	    cmocka_unit_test(test_next_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
