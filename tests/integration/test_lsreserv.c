/*
 * Sentinel reservation files end to end: groups of users and hosts share
 * the seats held for them, exclusions refuse, units follow the groups;
 * "licd -t" names the bad line, and a reload with a bad file keeps the
 * running configuration while a good one replaces it.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char license[] = "SERVER this_host ANY 27000\n"
			      "VENDOR demo\n"
			      "FEATURE stars demo 2.0 permanent 4 0\n"
			      "FEATURE dots demo 1.0 permanent 2 0\n";

static const char conf_extra[] = "reservation-files = [ \"test.rsv\" ];\n";

/* Starts licd with the reservation text in test.rsv. */
static void
start(struct h_licd *d, const char *options, const char *rsv)
{
	char path[320];

	h_licd_init(d, license, options, conf_extra);
	snprintf(path, sizeof(path), "%s/test.rsv", d->dir);
	h_write(path, rsv);
	h_licd_start(d);
}

static void
write_rsv(const struct h_licd *d, const char *rsv)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/test.rsv", d->dir);
	h_write(path, rsv);
}

/* CHECKOUT of one seat; returns the handle (0 when refused) with the
 * unit or the reason in what. */
static uint64_t
take(struct h_conn *c, const char *feature, char *what, size_t len)
{
	char req[128], reply[1024];

	snprintf(req, sizeof(req), "CHECKOUT feature=%s", feature);
	h_request(c, req, reply, sizeof(reply));
	if (strstr(reply, " OK ") != NULL) {
		h_get(reply, "unit", what, len);
		return h_get_u64(reply, "handle");
	}
	h_get(reply, "reason", what, len);
	return 0;
}

static void
test_groups_share_reserved_seats(void **state)
{
	static const char rsv[] =
	    "# two groups of stars; A mixes users and a host\n"
	    "stars:A:2:alice $labpc\n"
	    "stars:B:1:bob\n";
	struct h_licd d;
	struct h_conn out, al, lab, al2, b;
	char what[64], line[1024];

	start(&d, NULL, rsv);
	h_connect(&out, d.port);
	h_connect(&al, d.port);
	h_connect(&lab, d.port);
	h_connect(&al2, d.port);
	h_connect(&b, d.port);
	h_hello(&out, "carol", "ws9");
	h_hello(&al, "alice", "ws1");
	h_hello(&lab, "dave", "labpc");
	h_hello(&al2, "alice", "ws2");
	h_hello(&b, "bob", "ws3");

	/* One of the four seats is nobody's: carol gets it, then nothing
	 * while the other three are held for A and B. */
	assert_true(take(&out, "stars", what, sizeof(what)) != 0);
	assert_int_equal(take(&out, "stars", what, sizeof(what)), 0);
	assert_string_equal(what, "no-seats");

	/* A's two seats: alice by name, dave by the host he is on. */
	assert_true(take(&al, "stars", what, sizeof(what)) != 0);
	assert_string_equal(what, "stars:A");
	assert_true(take(&lab, "stars", what, sizeof(what)) != 0);
	assert_string_equal(what, "stars:A");
	assert_int_equal(take(&al2, "stars", what, sizeof(what)), 0);
	assert_string_equal(what, "no-seats");

	/* B's seat is still there for bob. */
	assert_true(take(&b, "stars", what, sizeof(what)) != 0);
	assert_string_equal(what, "stars:B");
	assert_int_equal(h_in_use(d.port, "stars"), 4);

	/* STATUS (and so lmstat) shows both reservations, full. */
	assert_int_equal(write(out.fd, "s9 STATUS feature=stars\n", 24), 24);
	assert_true(
	    h_wait_line(&out, "s9 RESERVATION", line, sizeof(line), 5000));
	assert_non_null(strstr(line, " who=GROUP name=stars:A count=2 used=2"));
	assert_true(
	    h_wait_line(&out, "s9 RESERVATION", line, sizeof(line), 5000));
	assert_non_null(strstr(line, " who=GROUP name=stars:B count=1 used=1"));
	assert_true(h_wait_line(&out, "s9 OK", line, sizeof(line), 5000));

	/* A feature without reservations is anybody's; the group stays
	 * alice's unit there too. */
	assert_true(take(&al2, "dots", what, sizeof(what)) != 0);
	assert_string_equal(what, "stars:A");

	h_close(&out);
	h_close(&al);
	h_close(&lab);
	h_close(&al2);
	h_close(&b);
	h_licd_cleanup(&d);
}

static void
test_exclusions_and_options(void **state)
{
	static const char options[] = "GROUP physics erin\n"
				      "RESERVE 1 dots GROUP physics\n";
	static const char rsv[] = "stars:A:1:alice !mallory !$kiosk\n"
				  "dots:banned:0:zed $badpc\n";
	struct h_licd d;
	struct h_conn m, k, z, bp, e, al;
	char what[64];

	start(&d, options, rsv);
	h_connect(&m, d.port);
	h_connect(&k, d.port);
	h_connect(&z, d.port);
	h_connect(&bp, d.port);
	h_connect(&e, d.port);
	h_connect(&al, d.port);
	h_hello(&m, "mallory", "ws1");
	h_hello(&k, "alice", "kiosk");
	h_hello(&z, "zed", "ws2");
	h_hello(&bp, "yves", "badpc");
	h_hello(&e, "erin", "ws3");
	h_hello(&al, "alice", "ws4");

	/* "!" refuses the user, and the host whoever uses it, even while
	 * unreserved seats are free. */
	assert_int_equal(take(&m, "stars", what, sizeof(what)), 0);
	assert_string_equal(what, "excluded");
	assert_int_equal(take(&k, "stars", what, sizeof(what)), 0);
	assert_string_equal(what, "excluded");
	assert_true(take(&al, "stars", what, sizeof(what)) != 0);

	/* A group of count 0 refuses its users and hosts the feature. */
	assert_int_equal(take(&z, "dots", what, sizeof(what)), 0);
	assert_string_equal(what, "excluded");
	assert_int_equal(take(&bp, "dots", what, sizeof(what)), 0);
	assert_string_equal(what, "excluded");

	/* The options file's RESERVE and units still hold. */
	assert_true(take(&e, "dots", what, sizeof(what)) != 0);
	assert_string_equal(what, "physics");

	h_close(&m);
	h_close(&k);
	h_close(&z);
	h_close(&bp);
	h_close(&e);
	h_close(&al);
	h_licd_cleanup(&d);
}

static void
test_check_names_the_line(void **state)
{
	struct h_licd d;
	char path[320], out[8192];

	h_licd_init(&d, license, NULL, conf_extra);
	snprintf(path, sizeof(path), "%s/test.rsv", d.dir);
	h_write(path,
	    "stars:A:2:alice\n"
	    "stars:B:two:bob\n");
	assert_int_equal(h_run(out, sizeof(out), getenv("LICD_BIN"), "-t", "-c",
			     d.conf, (char *)NULL),
	    1);
	assert_non_null(strstr(out, "test.rsv:2: error:"));
	assert_non_null(strstr(out, "count of seats"));

	/* A good file passes, with the warning for a reservation cut to the
	 * seats there are. */
	h_write(path,
	    "stars:A:3:alice\n"
	    "stars:B:3:bob\n");
	assert_int_equal(h_run(out, sizeof(out), getenv("LICD_BIN"), "-t", "-c",
			     d.conf, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "test.rsv:2: warning:"));
	assert_non_null(strstr(out, "it holds 1"));
	assert_non_null(strstr(out, "configuration OK"));
	h_licd_cleanup(&d);
}

static void
test_reload(void **state)
{
	struct h_licd d;
	struct h_conn out, b;
	char dir[300], text[65536], what[64];
	uint64_t h;

	start(&d, NULL, "stars:A:3:alice\n");
	snprintf(dir, sizeof(dir), "%s/state", d.dir);
	h_connect(&out, d.port);
	h_connect(&b, d.port);
	h_hello(&out, "carol", "ws9");
	h_hello(&b, "bob", "ws3");

	h = take(&out, "stars", what, sizeof(what));
	assert_true(h != 0);
	assert_int_equal(take(&out, "stars", what, sizeof(what)), 0);

	/* A bad file: the reload is refused with the file and line, and
	 * the three seats stay held for A. */
	write_rsv(&d,
	    "stars:A:3:alice\n"
	    "stars:B:1:alice\n");
	assert_int_equal(h_licctl(text, sizeof(text), "reread", "--state-dir",
			     dir, (char *)NULL),
	    1);
	assert_non_null(strstr(text, "test.rsv:2:"));
	assert_non_null(strstr(text, "already in group A (line 1)"));
	assert_int_equal(take(&b, "stars", what, sizeof(what)), 0);
	assert_string_equal(what, "no-seats");

	/* A good one replaces it: bob's group holds one seat, A none. */
	write_rsv(&d, "stars:B:1:bob\n");
	assert_int_equal(h_licctl(text, sizeof(text), "reread", "--state-dir",
			     dir, (char *)NULL),
	    0);
	assert_true(take(&out, "stars", what, sizeof(what)) != 0);
	assert_true(take(&out, "stars", what, sizeof(what)) != 0);
	assert_int_equal(take(&out, "stars", what, sizeof(what)), 0);
	assert_string_equal(what, "no-seats");
	assert_true(take(&b, "stars", what, sizeof(what)) != 0);
	assert_string_equal(what, "stars:B");
	/* The grant made before the reloads is still there. */
	assert_int_equal(h_in_use(d.port, "stars"), 4);

	h_close(&out);
	h_close(&b);
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_groups_share_reserved_seats),
	    cmocka_unit_test(test_exclusions_and_options),
	    cmocka_unit_test(test_check_names_the_line),
	    cmocka_unit_test(test_reload),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
