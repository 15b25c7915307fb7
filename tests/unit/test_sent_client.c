/*
 * The sentinel client's decisions that need no server: the server list,
 * the wait after each send, when a lease is renewed, how QUERY pages add
 * up to one view (and where that stops), the reason names, and the site
 * key file.  The exchanges themselves are tested against a real licd in
 * tests/integration/test_sentclient.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "licd.h"
#include "protocols/sentinel/sent_client.h"

static void
test_servers(void **state)
{
	struct sent_client_server s[SENT_CLIENT_SERVERS_MAX];
	char err[256];

	(void)state;
	assert_int_equal(sent_client_servers_parse("5093@lic1, 6000@lic2:@lic3",
			     s, SENT_CLIENT_SERVERS_MAX, err, sizeof(err)),
	    3);
	assert_string_equal(s[0].host, "lic1");
	assert_string_equal(s[0].port, "5093");
	assert_string_equal(s[1].host, "lic2");
	assert_string_equal(s[1].port, "6000");
	assert_string_equal(s[2].host, "lic3");
	assert_string_equal(s[2].port, "5093");

	assert_int_equal(sent_client_servers_parse("5093@[::1],7@[fe80::1]", s,
			     SENT_CLIENT_SERVERS_MAX, err, sizeof(err)),
	    2);
	assert_string_equal(s[0].host, "::1");
	assert_string_equal(s[1].host, "fe80::1");
	assert_string_equal(s[1].port, "7");

	/* Refused: no '@', a bad port, an empty host, nothing at all, too
	 * many. */
	assert_int_equal(sent_client_servers_parse("lic1", s,
			     SENT_CLIENT_SERVERS_MAX, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "PORT@HOST"));
	assert_int_equal(sent_client_servers_parse("70000@lic1", s,
			     SENT_CLIENT_SERVERS_MAX, err, sizeof(err)),
	    -1);
	assert_int_equal(sent_client_servers_parse("0@lic1", s,
			     SENT_CLIENT_SERVERS_MAX, err, sizeof(err)),
	    -1);
	assert_int_equal(sent_client_servers_parse("5093@", s,
			     SENT_CLIENT_SERVERS_MAX, err, sizeof(err)),
	    -1);
	assert_int_equal(sent_client_servers_parse("5x@h", s,
			     SENT_CLIENT_SERVERS_MAX, err, sizeof(err)),
	    -1);
	assert_int_equal(sent_client_servers_parse(" , ", s,
			     SENT_CLIENT_SERVERS_MAX, err, sizeof(err)),
	    -1);
	assert_int_equal(sent_client_servers_parse(NULL, s,
			     SENT_CLIENT_SERVERS_MAX, err, sizeof(err)),
	    -1);
	assert_int_equal(
	    sent_client_servers_parse("1@a,2@b,3@c", s, 2, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "more than 2"));
}

static void
test_backoff_and_renewal(void **state)
{
	(void)state;
	/* Doubling from the first wait, capped. */
	assert_int_equal(sent_client_wait_ms(500, 0), 500);
	assert_int_equal(sent_client_wait_ms(500, 1), 1000);
	assert_int_equal(sent_client_wait_ms(500, 3), 4000);
	assert_int_equal(sent_client_wait_ms(500, 4), SENT_CLIENT_WAIT_MAX_MS);
	assert_int_equal(sent_client_wait_ms(500, 15), SENT_CLIENT_WAIT_MAX_MS);
	assert_int_equal(sent_client_wait_ms(0, 0), SENT_CLIENT_TIMEOUT_MS);
	assert_int_equal(
	    sent_client_wait_ms(20000, 0), SENT_CLIENT_WAIT_MAX_MS);

	/* At half the lease, never sooner than a second. */
	assert_int_equal(sent_client_renew_at(1000, 300), 151000);
	assert_int_equal(sent_client_renew_at(1000, 3), 2500);
	assert_int_equal(sent_client_renew_at(1000, 1), 2000);
	assert_int_equal(sent_client_renew_at(1000, 0), 2000);
}

static void
page_fill(struct sent_reply *p, size_t nf, size_t nc, int base)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	p->nfeatures = nf;
	p->nclients = nc;
	for (i = 0; i < nf; i++) {
		snprintf(p->features[i].name, sizeof(p->features[i].name),
		    "f%d", base + (int)i);
		snprintf(p->features[i].version, sizeof(p->features[i].version),
		    "1.0");
		p->features[i].max_tokens = 10;
		p->features[i].max_users = 10;
		p->features[i].in_use = 3;
		p->features[i].reserved_in_use = 1;
		p->features[i].share = SENT_SHARE_HOST;
		p->features[i].lease = 60;
		p->features[i].commuter_days = 7;
	}
	for (i = 0; i < nc; i++) {
		p->clients[i].handle = (uint64_t)(base * 100 + (int)i);
		snprintf(p->clients[i].feature, sizeof(p->clients[i].feature),
		    "f%d", base);
		snprintf(
		    p->clients[i].user, sizeof(p->clients[i].user), "u%zu", i);
		snprintf(p->clients[i].unit, sizeof(p->clients[i].unit), "g");
		snprintf(p->clients[i].frontend, sizeof(p->clients[i].frontend),
		    "sentinel");
		p->clients[i].tokens = 1;
		p->clients[i].since = 1000;
		p->clients[i].commuter_until = i == 0 ? 5000 : 0;
	}
}

static void
test_pages(void **state)
{
	struct licd_sentinel_status st;
	struct sent_reply *p;
	int i;

	(void)state;
	p = malloc(sizeof(*p));
	assert_non_null(p);
	memset(&st, 0, sizeof(st));

	/* Pages of many records grow the arrays past their first size. */
	for (i = 0; i < 5; i++) {
		page_fill(p, 7, SENT_QUERY_CLIENTS_MAX, i);
		assert_int_equal(sent_client_status_add(&st, p), 0);
	}
	assert_int_equal(st.nfeatures, 35);
	assert_int_equal(st.nclients, 5 * SENT_QUERY_CLIENTS_MAX);
	assert_string_equal(st.features[34].feature, "f10");
	assert_string_equal(st.features[0].share, "host");
	assert_int_equal(st.features[0].lease_s, 60);
	assert_int_equal(st.features[0].commuter_days, 7);
	assert_int_equal(st.clients[0].commuter_until, 5000);
	assert_int_equal(st.clients[1].commuter_until, 0);
	assert_string_equal(st.clients[1].group, "g");
	assert_int_equal(st.clients[4 * SENT_QUERY_CLIENTS_MAX].handle, 400);
	assert_string_equal(st.clients[239].frontend, "sentinel");
	licd_sentinel_status_free(&st);
	assert_null(st.features);
	assert_int_equal(st.nclients, 0);

	/* A view past the bound is refused, not grown without end. */
	memset(&st, 0, sizeof(st));
	page_fill(p, 0, SENT_QUERY_CLIENTS_MAX, 0);
	for (i = 0; i < SENT_CLIENT_RECORDS_MAX / SENT_QUERY_CLIENTS_MAX; i++)
		assert_int_equal(sent_client_status_add(&st, p), 0);
	assert_int_equal(sent_client_status_add(&st, p), -1);
	licd_sentinel_status_free(&st);
	free(p);
}

static void
test_reasons(void **state)
{
	(void)state;
	assert_string_equal(sent_client_reason_name(10), "no-seats");
	assert_string_equal(sent_client_reason_name(16), "not-borrowable");
	assert_string_equal(sent_client_reason_name(18), "borrow-lowwater");
	assert_null(sent_client_reason_name(0));
	assert_null(sent_client_reason_name(999));
}

static void
write_file(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
}

static void
test_site_key(void **state)
{
	char dir[] = "/tmp/licd-sentkey-XXXXXX", path[128], err[256];
	unsigned char key[64];
	size_t len = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);

	/* The trailing newline is not part of the key. */
	write_file(path, "0123456789abcdef-site\n", 22);
	assert_int_equal(
	    licd_sentinel_load_key(path, key, sizeof(key), &len, err, 256), 0);
	assert_int_equal(len, 21);
	assert_memory_equal(key, "0123456789abcdef-site", 21);

	/* Binary bytes are kept as they are. */
	write_file(path, "\0\1\2\3\4\5\6\7\10\11\12\13\14\15\16\17\n\n", 18);
	assert_int_equal(
	    licd_sentinel_load_key(path, key, sizeof(key), &len, err, 256), 0);
	assert_int_equal(len, 17);

	/* Too short, too long (one newline past the bound is fine), no
	 * file, a folder. */
	write_file(path, "short\n", 6);
	assert_int_equal(
	    licd_sentinel_load_key(path, key, sizeof(key), &len, err, 256), -1);
	assert_non_null(strstr(err, "at least 16"));
	write_file(path, "0123456789abcdef0123\n", 21);
	assert_int_equal(
	    licd_sentinel_load_key(path, key, 20, &len, err, 256), 0);
	assert_int_equal(len, 20);
	write_file(path, "0123456789abcdef01234", 21);
	assert_int_equal(
	    licd_sentinel_load_key(path, key, 20, &len, err, 256), -1);
	assert_non_null(strstr(err, "longer than 20"));
	unlink(path);
	assert_int_equal(
	    licd_sentinel_load_key(path, key, sizeof(key), &len, err, 256), -1);
	assert_int_equal(
	    licd_sentinel_load_key(dir, key, sizeof(key), &len, err, 256), -1);
	rmdir(dir);
}

/* Options a session refuses before it sends anything. */
static void
test_open_refuses(void **state)
{
	struct licd_sentinel_opts o;
	struct licd_sentinel *s;
	char err[256];

	(void)state;
	memset(&o, 0, sizeof(o));
	o.attempts = SENT_CLIENT_ATTEMPTS_MAX + 1;
	assert_null(licd_sentinel_open("5093@localhost", NULL, &o, err, 256));
	assert_non_null(strstr(err, "attempts"));
	o.attempts = 0;
	o.share_id = "0123456789012345678901234567890123";
	assert_null(licd_sentinel_open("5093@localhost", NULL, &o, err, 256));
	assert_null(licd_sentinel_open("nowhere", NULL, NULL, err, 256));
	s = licd_sentinel_open("5093@localhost", NULL, NULL, err, 256);
	assert_non_null(s);
	/* Nothing was sent: closing sends nothing either. */
	licd_sentinel_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_servers),
	    cmocka_unit_test(test_backoff_and_renewal),
	    cmocka_unit_test(test_pages),
	    cmocka_unit_test(test_reasons),
	    cmocka_unit_test(test_site_key),
	    cmocka_unit_test(test_open_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
