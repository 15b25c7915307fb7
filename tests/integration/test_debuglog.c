/*
 * The FlexLM-style debug log: the lines licd writes are read by the same
 * patterns that read a real lmgrd debug log (the corpus excerpt).
 */
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char license[] = "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 1 0\n";

/* The OUT/IN/DENIED/QUEUED/DEQUEUED line as log parsers match it: time,
 * daemon, event, quoted feature, user@host. */
static const char line_re[] =
    "^ ?[0-9]{1,2}:[0-9]{2}:[0-9]{2} \\(([^)]+)\\) "
    "(OUT|IN|DENIED|QUEUED|DEQUEUED): \"([^\"]+)\" ([^@ ]+)@([^ ]+)";
static const char stamp_re[] =
    "^ ?[0-9]{1,2}:[0-9]{2}:[0-9]{2} \\(([^)]+)\\) TIMESTAMP "
    "([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$";

struct seen {
	char what[16];
	char vendor[32];
	char feature[64];
	char user[64];
	char host[64];
};

static void
sub_copy(const char *line, const regmatch_t *m, char *out, size_t len)
{
	size_t n = (size_t)(m->rm_eo - m->rm_so);

	if (n >= len)
		n = len - 1;
	memcpy(out, line + m->rm_so, n);
	out[n] = '\0';
}

/* Parses a debug log; returns the number of event lines put in seen and
 * the number of TIMESTAMP lines in *stamps. */
static size_t
parse_log(const char *path, struct seen *seen, size_t max, int *stamps)
{
	regex_t re, st;
	regmatch_t m[6];
	char line[2048];
	size_t n = 0;
	FILE *f;

	assert_int_equal(regcomp(&re, line_re, REG_EXTENDED), 0);
	assert_int_equal(regcomp(&st, stamp_re, REG_EXTENDED), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	*stamps = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (regexec(&st, line, 0, NULL, 0) == 0)
			(*stamps)++;
		if (regexec(&re, line, 6, m, 0) != 0 || n == max)
			continue;
		sub_copy(line, &m[1], seen[n].vendor, sizeof(seen[n].vendor));
		sub_copy(line, &m[2], seen[n].what, sizeof(seen[n].what));
		sub_copy(line, &m[3], seen[n].feature, sizeof(seen[n].feature));
		sub_copy(line, &m[4], seen[n].user, sizeof(seen[n].user));
		sub_copy(line, &m[5], seen[n].host, sizeof(seen[n].host));
		n++;
	}
	fclose(f);
	regfree(&re);
	regfree(&st);
	return n;
}

/* The patterns are the right ones: they read the real lmgrd log. */
static void
test_patterns_read_corpus(void **state)
{
	static const char *const places[] = {
	    "../shared/corpus/flexlm/debuglog/autodesk-excerpt.log",
	    "tests/data/debuglog/autodesk-excerpt.log",
	};
	struct seen seen[2000];
	char path[1024];
	const char *src = getenv("LICD_SOURCE_DIR");
	size_t i, n, outs = 0, ins = 0;
	int stamps, found = 0;

	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		snprintf(
		    path, sizeof(path), "%s/%s", src ? src : ".", places[i]);
		if (access(path, R_OK) != 0)
			continue;
		found = 1;
		n = parse_log(path, seen, 2000, &stamps);
		for (size_t k = 0; k < n; k++) {
			outs += strcmp(seen[k].what, "OUT") == 0;
			ins += strcmp(seen[k].what, "IN") == 0;
		}
		assert_true(outs > 10 && ins > 10);
		assert_true(stamps > 10);
		assert_string_equal(seen[0].vendor, "adskflex");
	}
	assert_true(found);
}

static void
test_licd_debug_log(void **state)
{
	struct h_licd d;
	struct h_conn a, b;
	struct seen seen[64];
	char path[300], req[64], reply[1024], line[1024];
	uint64_t h;
	size_t n;
	int stamps;

	h_licd_init(&d, license, NULL, "debug-log = \"debug.log\";");
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_connect(&b, d.port);
	h_hello(&a, "alice", "ws1");
	h_hello(&b, "bob", "ws2");

	h = h_checkout(&a, "solver", 1, NULL, 0);
	assert_true(h != 0);
	assert_int_equal(h_checkout(&b, "solver", 1, NULL, 0), 0);
	h_request(&b, "CHECKOUT feature=solver queue=1", reply, sizeof(reply));
	snprintf(
	    req, sizeof(req), "CHECKIN handle=%llu", (unsigned long long)h);
	h_request(&a, req, reply, sizeof(reply));
	assert_true(h_wait_line(&b, "* GRANTED", line, sizeof(line), 5000));
	h_close(&b);
	assert_true(H_WAIT(h_in_use(d.port, "solver") == 0, 5000));
	h_close(&a);
	assert_int_equal(h_licd_stop(&d), 0);

	snprintf(path, sizeof(path), "%s/debug.log", d.dir);
	n = parse_log(path, seen, 64, &stamps);
	assert_true(stamps >= 1);
	/* OUT alice, DENIED bob, QUEUED bob, IN alice, OUT bob, IN bob. */
	assert_int_equal(n, 6);
	assert_string_equal(seen[0].what, "OUT");
	assert_string_equal(seen[0].user, "alice");
	assert_string_equal(seen[0].host, "ws1");
	assert_string_equal(seen[0].feature, "solver");
	assert_string_equal(seen[0].vendor, "demo");
	assert_string_equal(seen[1].what, "DENIED");
	assert_string_equal(seen[1].user, "bob");
	assert_string_equal(seen[2].what, "QUEUED");
	assert_string_equal(seen[3].what, "IN");
	assert_string_equal(seen[3].user, "alice");
	assert_string_equal(seen[4].what, "OUT");
	assert_string_equal(seen[4].user, "bob");
	assert_string_equal(seen[5].what, "IN");
	assert_string_equal(seen[5].user, "bob");
	h_licd_cleanup(&d);
}

/* The options file's DEBUGLOG names the log (from the options file's
 * folder; "+" appends) and NOLOG leaves kinds of line out. */
static void
test_options_debuglog_nolog(void **state)
{
	struct h_licd d;
	struct h_conn a;
	struct seen seen[64];
	char path[300], req[64], reply[1024];
	uint64_t h;
	size_t n;
	int stamps;

	h_licd_init(&d, license, "DEBUGLOG +opt-debug.log\nNOLOG IN\n", NULL);
	h_licd_start(&d);
	h_connect(&a, d.port);
	h_hello(&a, "alice", "ws1");
	h = h_checkout(&a, "solver", 1, NULL, 0);
	snprintf(
	    req, sizeof(req), "CHECKIN handle=%llu", (unsigned long long)h);
	h_request(&a, req, reply, sizeof(reply));
	h_close(&a);
	assert_int_equal(h_licd_stop(&d), 0);

	snprintf(path, sizeof(path), "%s/opt-debug.log", d.dir);
	n = parse_log(path, seen, 64, &stamps);
	assert_true(stamps >= 1);
	assert_int_equal(n, 1);
	assert_string_equal(seen[0].what, "OUT");
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_patterns_read_corpus),
	    cmocka_unit_test(test_licd_debug_log),
	    cmocka_unit_test(test_options_debuglog_nolog),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
