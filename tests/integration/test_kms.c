/*
 * The KMS front end against a real licd, through licctl: the count rising
 * with distinct machines and not with repeats, the threshold switching
 * activation on, renewals extending validity, a stored activation checked
 * offline (and refused once edited or expired), the cap, kill -9 and
 * restart, and an administrator's purge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "licd.h"

static const char license[] = "VENDOR demo\n"
			      "FEATURE solver demo 1.0 permanent 3 0\n";

#define M1 "11111111-0000-4000-8000-000000000001"
#define M2 "11111111-0000-4000-8000-000000000002"
#define M3 "11111111-0000-4000-8000-000000000003"
#define M4 "11111111-0000-4000-8000-000000000004"

struct kms_fixture {
	struct h_licd d;
	int kms_port;
	char server[64];
};

static void
kms_start(struct kms_fixture *f)
{
	char extra[1024];

	f->kms_port = h_unused_port();
	snprintf(f->server, sizeof(f->server), "%d@127.0.0.1", f->kms_port);
	snprintf(extra, sizeof(extra),
	    "kms = {\n"
	    "  port = %d;\n"
	    "  address = \"127.0.0.1\";\n"
	    "  products = (\n"
	    "    { name = \"office\"; threshold-client = 3;"
	    " threshold-server = 1; validity-days = 30; renewal-days = 7; },\n"
	    "    { name = \"cad\"; threshold-client = 1; cap = 1; }\n"
	    "  );\n"
	    "};\n",
	    f->kms_port);
	h_licd_init(&f->d, license, NULL, extra);
	h_licd_start(&f->d);
}

/* licctl activate; returns its exit status, output in out. */
static int
activate(const struct kms_fixture *f, const char *product, const char *id,
    const char *store, char *out, size_t len)
{
	if (store != NULL)
		return h_licctl(out, len, "activate", "-c", f->server, "-p",
		    product, "--machine-id", id, "--unit", "physics", "--store",
		    store, (char *)NULL);
	return h_licctl(out, len, "activate", "-c", f->server, "-p", product,
	    "--machine-id", id, (char *)NULL);
}

static long long
field(const char *out, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\n%s: ", name);
	p = strstr(out, key);
	if (p == NULL)
		fail_msg("no %s in:\n%s", name, out);
	return atoll(p + strlen(key));
}

/* The library's keeper asks at once, stores the activation, schedules the
 * next request from the answer, and stops promptly. */
struct keep_seen {
	int replies;
	int activated;
	int renewal_s;
};

static void
keep_reply(void *arg, const struct licd_kms_reply *r)
{
	struct keep_seen *s = arg;

	s->activated = r->activated;
	s->renewal_s = r->renewal_s;
	__atomic_add_fetch(&s->replies, 1, __ATOMIC_SEQ_CST);
}

static void
test_keeper(void **state)
{
	struct kms_fixture f;
	struct licd_kms_request req;
	struct licd_kms_keeper *k;
	struct licd_kms_activation act;
	struct keep_seen seen = {0, 0, 0};
	char out[8192], store[400], pub[400], sdir[400], err[256];

	kms_start(&f);
	snprintf(store, sizeof(store), "%s/keep.act", f.d.dir);
	memset(&req, 0, sizeof(req));
	req.product = "cad";
	req.machine_id = M4;
	k = licd_kms_keep(
	    f.server, &req, store, keep_reply, &seen, err, sizeof(err));
	if (k == NULL)
		fail_msg("keep: %s", err);
	assert_true(H_WAIT(
	    __atomic_load_n(&seen.replies, __ATOMIC_SEQ_CST) > 0, 10000));
	/* The next request waits for the renewal interval: no second one
	 * now. */
	h_sleep_ms(300);
	assert_int_equal(__atomic_load_n(&seen.replies, __ATOMIC_SEQ_CST), 1);
	licd_kms_keep_stop(k);
	assert_true(seen.activated);
	assert_int_equal(seen.renewal_s, 7 * 86400);

	snprintf(pub, sizeof(pub), "%s/kms.pub.pem", f.d.dir);
	snprintf(sdir, sizeof(sdir), "%s/state", f.d.dir);
	assert_int_equal(h_licctl(out, sizeof(out), "kms-key", "--state-dir",
			     sdir, (char *)NULL),
	    0);
	h_write(pub, out);
	assert_int_equal(licd_kms_load(store, &act, err, sizeof(err)), 0);
	if (licd_kms_verify(&act, pub, 0, err, sizeof(err)) != 0)
		fail_msg("verify: %s", err);
	assert_string_equal(act.machine_id, M4);
	h_licd_cleanup(&f.d);
}

static void
test_count_threshold_renewal_verify(void **state)
{
	struct kms_fixture f;
	char out[8192], store[400], pub[400], bad[400], text[8192];
	char sdir[400];
	long long expires1, expires2;
	FILE *fp;
	size_t n;

	kms_start(&f);

	/* Below the threshold: counted, told to retry. */
	assert_int_equal(activate(&f, "office", M1, NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "result: below-threshold"));
	assert_int_equal(field(out, "count"), 1);
	assert_int_equal(field(out, "threshold"), 3);
	assert_non_null(strstr(out, "retry interval: 120 minutes"));

	/* The same machine again is counted once. */
	assert_int_equal(activate(&f, "office", M1, NULL, out, sizeof(out)), 1);
	assert_int_equal(field(out, "count"), 1);
	assert_int_equal(activate(&f, "office", M2, NULL, out, sizeof(out)), 1);
	assert_int_equal(field(out, "count"), 2);

	/* The third distinct machine reaches the threshold. */
	snprintf(store, sizeof(store), "%s/m3.act", f.d.dir);
	if (activate(&f, "office", M3, store, out, sizeof(out)) != 0)
		fail_msg("activate: %s", out);
	assert_non_null(strstr(out, "result: activated"));
	assert_int_equal(field(out, "count"), 3);
	assert_non_null(strstr(out, "validity: 30 days"));
	assert_non_null(strstr(out, "renewal interval: 7 days"));
	expires1 = field(out, "expires_ms");

	/* A renewal extends the validity. */
	h_sleep_ms(30);
	if (activate(&f, "office", M3, NULL, out, sizeof(out)) != 0)
		fail_msg("renew: %s", out);
	assert_non_null(strstr(out, "state: renewed until"));
	expires2 = field(out, "expires_ms");
	assert_true(expires2 > expires1);

	/* Offline: valid now, refused past its expiry, refused edited. */
	snprintf(pub, sizeof(pub), "%s/kms.pub.pem", f.d.dir);
	snprintf(sdir, sizeof(sdir), "%s/state", f.d.dir);
	assert_int_equal(h_licctl(out, sizeof(out), "kms-key", "--state-dir",
			     sdir, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "BEGIN PUBLIC KEY"));
	h_write(pub, out);
	if (h_licctl(out, sizeof(out), "verify-activation", store, "--key", pub,
		(char *)NULL) != 0)
		fail_msg("verify: %s", out);
	assert_non_null(
	    strstr(out, "valid: product=office machine=" M3 " unit=physics"));
	assert_int_equal(h_licctl(out, sizeof(out), "verify-activation", store,
			     "--key", pub, "--at", "2100-01-01", (char *)NULL),
	    1);
	assert_non_null(strstr(out, "expired"));

	fp = fopen(store, "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	assert_non_null(strstr(text, "unit=physics"));
	memcpy(strstr(text, "unit=physics"), "unit=chemics", 12);
	snprintf(bad, sizeof(bad), "%s/edited.act", f.d.dir);
	h_write(bad, text);
	assert_int_equal(h_licctl(out, sizeof(out), "verify-activation", bad,
			     "--key", pub, (char *)NULL),
	    1);
	assert_non_null(strstr(out, "does not match"));

	/* kms-status: the count and requests by result. */
	assert_int_equal(h_licctl(out, sizeof(out), "kms-status", "-c",
			     f.server, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "Product: office"));
	assert_non_null(strstr(out, "Current count: 3"));
	assert_non_null(strstr(out, "below-threshold: 3"));
	assert_non_null(strstr(out, "activated: 2"));

	assert_int_equal(h_licd_stop(&f.d), 0);
	h_licd_cleanup(&f.d);
}

static void
test_cap(void **state)
{
	struct kms_fixture f;
	char out[8192];

	kms_start(&f);
	assert_int_equal(activate(&f, "cad", M1, NULL, out, sizeof(out)), 0);
	assert_int_equal(activate(&f, "cad", M2, NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "result: capped"));
	/* The known machine keeps renewing. */
	assert_int_equal(activate(&f, "cad", M1, NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "result: activated"));
	/* An unknown product is refused with its reason. */
	assert_int_equal(activate(&f, "nosuch", M1, NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "result: unknown-product"));
	assert_int_equal(h_licd_stop(&f.d), 0);
	h_licd_cleanup(&f.d);
}

static void
test_restart_and_purge(void **state)
{
	struct kms_fixture f;
	char out[8192], sdir[400];

	kms_start(&f);
	activate(&f, "office", M1, NULL, out, sizeof(out));
	activate(&f, "office", M2, NULL, out, sizeof(out));
	assert_int_equal(activate(&f, "office", M4, NULL, out, sizeof(out)), 0);

	/* Every acknowledged request survives kill -9. */
	h_licd_kill9(&f.d);
	h_licd_start(&f.d);
	assert_int_equal(h_licctl(out, sizeof(out), "kms-machines", "-c",
			     f.server, "-p", "office", (char *)NULL),
	    0);
	assert_non_null(strstr(out, M1));
	assert_non_null(strstr(out, M2));
	assert_non_null(strstr(out, M4));
	assert_non_null(strstr(out, "3 machines"));
	assert_int_equal(activate(&f, "office", M1, NULL, out, sizeof(out)), 0);
	assert_int_equal(field(out, "count"), 3);

	/* Purge: the machine leaves the count. */
	snprintf(sdir, sizeof(sdir), "%s/state", f.d.dir);
	if (h_licctl(out, sizeof(out), "kms-purge", "--state-dir", sdir,
		"office", M2, (char *)NULL) != 0)
		fail_msg("kms-purge: %s", out);
	assert_int_equal(h_licctl(out, sizeof(out), "kms-purge", "--state-dir",
			     sdir, "office", M2, (char *)NULL),
	    1);
	/* Below the threshold again: no renewal until it is reached. */
	assert_int_equal(activate(&f, "office", M4, NULL, out, sizeof(out)), 1);
	assert_int_equal(field(out, "count"), 2);
	assert_int_equal(h_licctl(out, sizeof(out), "journal", "show",
			     "--state-dir", sdir, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "activate kms feature=office"));
	assert_non_null(strstr(out, "reason=admin"));

	assert_int_equal(h_licd_stop(&f.d), 0);
	h_licd_cleanup(&f.d);
}

static void
test_srv_record(void **state)
{
	char out[1024];

	assert_int_equal(
	    h_licctl(out, sizeof(out), "kms-srv", "--host", "kms1.example.org",
		"--port", "1688", (char *)NULL),
	    0);
	assert_string_equal(out,
	    "_licd-kms._tcp.example.org. 3600 IN SRV 0 0 "
	    "1688 kms1.example.org.\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_count_threshold_renewal_verify),
	    cmocka_unit_test(test_keeper),
	    cmocka_unit_test(test_cap),
	    cmocka_unit_test(test_restart_and_purge),
	    cmocka_unit_test(test_srv_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
