/*
 * The HTTP views: /metrics accepted by promtool, /api/status, the status
 * page drawn in headless Chromium (screenshot kept in the build tree as
 * artifacts/status.png), methods and bounds.  The use history is seeded
 * from a journal written beforehand with times over the last 30 days.
 * promtool (Debian's prometheus) and chromium must be installed: their
 * absence fails the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../daemon/journal/journal.h"
#include "harness.h"

static const char license[] = "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 4 0\n"
			      "FEATURE viewer demo 1.0 permanent 10 0\n";
static const char options[] = "GROUP physics alice bob\n"
			      "EXCLUDE solver USER guest\n";

#define HOUR_MS 3600000LL

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int
connect_port(int port)
{
	struct sockaddr_in sin;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends raw request bytes and reads the whole answer (the server closes
 * after it: Connection: close).  Returns the status code, 0 when the
 * server closed without a status line. */
static int
http_raw(int port, const char *req, size_t reqlen, char *out, size_t len)
{
	struct pollfd pfd;
	size_t got = 0;
	ssize_t n;
	int fd, code = 0;

	fd = connect_port(port);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, req, reqlen), (ssize_t)reqlen);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		assert_true(poll(&pfd, 1, 15000) == 1);
		n = read(fd, out + got, len - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			fail_msg("answer longer than %zu bytes", len);
	}
	close(fd);
	out[got] = '\0';
	sscanf(out, "HTTP/1.%*d %d", &code);
	return code;
}

static int
http_req(int port, const char *method, const char *path, char *out, size_t len)
{
	char req[512];

	snprintf(req, sizeof(req),
	    "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
	    method, path);
	return http_raw(port, req, strlen(req), out, len);
}

/* The body of an answer. */
static const char *
body_of(const char *answer)
{
	const char *p = strstr(answer, "\r\n\r\n");

	assert_non_null(p);
	return p + 4;
}

/* Runs a shell command; returns its exit status (127: not found). */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
append(struct journal *j, const char *type, const char *feature,
    const char *user, int in_use, const char *reason, int64_t t)
{
	struct journal_record r;

	memset(&r, 0, sizeof(r));
	r.time_ms = t;
	snprintf(r.type, sizeof(r.type), "%s", type);
	snprintf(r.frontend, sizeof(r.frontend), "flex");
	snprintf(r.feature, sizeof(r.feature), "%s", feature);
	snprintf(r.version, sizeof(r.version), "2.0");
	r.count = 1;
	snprintf(r.unit, sizeof(r.unit), "physics");
	snprintf(r.user, sizeof(r.user), "%s", user);
	snprintf(r.host, sizeof(r.host), "ws1");
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.in_use_after = in_use;
	journal_append(j, &r);
}

/*
 * A month of use written through the journal itself (so the chain is
 * intact): solver rises and falls through every day, more in the last
 * day; one old denial names a user that needs HTML escaping.  Returns the
 * number of records.
 */
static int
seed_journal(const struct h_licd *d)
{
	char dir[512], err[256];
	struct journal *j;
	int64_t now = now_ms(), t;
	int n = 0, k, level;

	snprintf(dir, sizeof(dir), "%s/state", d->dir);
	assert_int_equal(mkdir(dir, 0750), 0);
	j = journal_open(dir, err, sizeof(err));
	assert_non_null(j);
	assert_int_equal(journal_start(j, NULL, NULL), 0);
	for (k = 30 * 24; k > 24; k -= 3) {
		t = now - (int64_t)k * HOUR_MS;
		level = (k / 3) % 5;
		append(j, level ? "checkout" : "checkin", "solver", "alice",
		    level, level ? "" : "client", t);
		n++;
	}
	for (k = 24 * 4; k > 0; k--) {
		t = now - (int64_t)k * HOUR_MS / 4;
		level = 1 + (k % 4);
		append(j, "checkout", "solver", "bob", level, "", t);
		append(j, "checkin", "viewer", "bob", k % 7, "client", t);
		n += 2;
	}
	append(j, "deny", "solver", "mallory<b>\"&", 3, "no-seats",
	    now - 2 * HOUR_MS);
	n++;
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	return n;
}

struct fixture {
	struct h_licd d;
	int http_port;
	struct h_conn alice, guest;
};

static struct fixture fx;

static int
setup(void **state)
{
	char extra[128];

	fx.http_port = free_port();
	snprintf(
	    extra, sizeof(extra), "http = \"127.0.0.1:%d\";", fx.http_port);
	h_licd_init(&fx.d, license, options, extra);
	seed_journal(&fx.d);
	h_licd_start(&fx.d);

	/* One grant, two denials (one for a feature that is not served). */
	h_connect(&fx.alice, fx.d.port);
	h_hello(&fx.alice, "alice", "ws1");
	assert_true(h_checkout(&fx.alice, "solver", 1, NULL, 0) > 0);
	h_connect(&fx.guest, fx.d.port);
	h_hello(&fx.guest, "guest", "kiosk");
	assert_int_equal(h_checkout(&fx.guest, "solver", 1, NULL, 0), 0);
	assert_int_equal(h_checkout(&fx.guest, "no\"such", 1, NULL, 0), 0);
	return 0;
}

static int
teardown(void **state)
{
	h_close(&fx.alice);
	h_close(&fx.guest);
	assert_int_equal(h_licd_stop(&fx.d), 0);
	h_licd_cleanup(&fx.d);
	return 0;
}

static void
test_metrics_promtool(void **state)
{
	static char ans[1 << 20];
	char path[300];
	FILE *f;
	int rc;

	assert_int_equal(
	    http_req(fx.http_port, "GET", "/metrics", ans, sizeof(ans)), 200);
	assert_non_null(strstr(ans, "text/plain; version=0.0.4"));
	assert_non_null(strstr(ans, "licd_seats_issued{feature=\"solver\"} 4"));
	assert_non_null(strstr(ans, "licd_seats_in_use{feature=\"solver\"} 1"));
	assert_non_null(strstr(ans,
	    "licd_seats_in_use_by_unit{feature=\"solver\",unit=\"physics\"} "
	    "1"));
	assert_non_null(strstr(ans,
	    "licd_denials_total{feature=\"solver\",reason=\"excluded\"} 1"));
	/* The unknown name is not a label: it counts under "". */
	assert_non_null(strstr(ans,
	    "licd_denials_total{feature=\"\",reason=\"unknown-feature\"} 1"));
	assert_null(strstr(ans, "no\\\"such"));
	assert_non_null(
	    strstr(ans, "licd_checkouts_total{feature=\"solver\"} 1"));
	assert_non_null(strstr(ans, "licd_connections 2"));
	assert_non_null(
	    strstr(ans, "# TYPE licd_journal_commit_seconds histogram"));
	assert_non_null(strstr(ans, "licd_journal_batch_records_count "));
	/* The checkout above was made durable by the syncer (journal.sync
	 * "full", the default). */
	assert_non_null(strstr(ans, "licd_journal_syncs_total "));
	assert_null(strstr(ans, "licd_journal_syncs_total 0\n"));
	assert_non_null(strstr(ans, "process_start_time_seconds "));

	/* promtool reads the exposition from stdin. */
	snprintf(path, sizeof(path), "%s/metrics.txt", fx.d.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(body_of(ans), f);
	fclose(f);
	rc = run("promtool check metrics < '%s'", path);
	if (rc == 127)
		fail_msg("promtool not found: install Debian's prometheus "
			 "package (scripts/deps.sh does)");
	assert_int_equal(rc, 0);
}

static void
test_status_json(void **state)
{
	static char ans[1 << 20];
	const char *b;

	assert_int_equal(
	    http_req(fx.http_port, "GET", "/api/status", ans, sizeof(ans)),
	    200);
	assert_non_null(strstr(ans, "Content-Type: application/json"));
	b = body_of(ans);
	assert_true(b[0] == '{');
	assert_non_null(strstr(b, "\"name\":\"solver\""));
	assert_non_null(strstr(b, "\"issued\":4,\"in_use\":1"));
	assert_non_null(strstr(b, "\"unit\":\"physics\",\"in_use\":1"));
	assert_non_null(strstr(b, "\"user\":\"alice\""));
	/* Names are escaped: the seeded denial's quote, the client's. */
	assert_non_null(strstr(b, "\"user\":\"mallory<b>\\\"&\""));
	assert_non_null(strstr(b, "\"feature\":\"no\\\"such\""));
	assert_non_null(strstr(b, "\"reason\":\"excluded\""));
	assert_non_null(strstr(b, "\"journal\":{\"committed_seq\":"));
	assert_true(strcmp(b + strlen(b) - 2, "}\n") == 0);
}

/* Counts the chart lines with points in page text. */
static int
count_polylines(const char *page)
{
	const char *p = page, *q;
	int n = 0;

	while ((p = strstr(p, "<polyline class=\"use\" points=\"")) != NULL) {
		p += strlen("<polyline class=\"use\" points=\"");
		q = strchr(p, '"');
		assert_non_null(q);
		if (q - p > 10)
			n++;
	}
	return n;
}

static void
test_page(void **state)
{
	static char ans[1 << 21];
	const char *b;

	assert_int_equal(
	    http_req(fx.http_port, "GET", "/", ans, sizeof(ans)), 200);
	assert_non_null(strstr(ans, "text/html; charset=utf-8"));
	assert_non_null(strstr(ans, "Content-Security-Policy: default-src"));
	b = body_of(ans);
	assert_non_null(strstr(b, "<!DOCTYPE html>"));
	/* Nothing is fetched from elsewhere. */
	assert_null(strstr(b, "src="));
	assert_null(strstr(b, "href="));
	assert_null(strstr(b, "<script"));
	/* Two charts per feature, each with points. */
	assert_int_equal(count_polylines(b), 4);
	assert_non_null(strstr(b, "data-span=\"30d\" data-feature=\"solver\""));
	/* Escaped, never raw. */
	assert_non_null(strstr(b, "mallory&lt;b&gt;&quot;&amp;"));
	assert_null(strstr(b, "mallory<b>"));
	assert_non_null(strstr(b, "no&quot;such"));
	assert_non_null(strstr(b, "<td>alice</td>"));
}

static void
test_methods_and_bounds(void **state)
{
	static char ans[65536], big[20000];
	size_t n;

	/* HEAD: headers only. */
	assert_int_equal(
	    http_req(fx.http_port, "HEAD", "/metrics", ans, sizeof(ans)), 200);
	assert_string_equal(body_of(ans), "");
	/* Read-only. */
	assert_true(http_req(fx.http_port, "POST", "/metrics", ans,
			sizeof(ans)) >= 400);
	assert_true(
	    http_req(fx.http_port, "DELETE", "/", ans, sizeof(ans)) >= 400);
	assert_int_equal(
	    http_req(fx.http_port, "GET", "/nothing", ans, sizeof(ans)), 404);

	/* Headers past the bound are refused, not buffered. */
	n = (size_t)snprintf(big, sizeof(big),
	    "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: ");
	memset(big + n, 'a', sizeof(big) - n - 5);
	memcpy(big + sizeof(big) - 5, "\r\n\r\n", 4);
	big[sizeof(big) - 1] = '\0';
	assert_true(
	    http_raw(fx.http_port, big, strlen(big), ans, sizeof(ans)) != 200);

	/* The daemon is still well. */
	assert_int_equal(
	    http_req(fx.http_port, "GET", "/api/status", ans, sizeof(ans)),
	    200);
}

/* The connection cap: idle connections past it are not served until
 * some close; then service resumes. */
static void
test_connection_cap(void **state)
{
	static char ans[65536];
	struct pollfd pfd;
	int fds[70], i, extra;
	const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
			   "Connection: close\r\n\r\n";

	for (i = 0; i < 64; i++) {
		fds[i] = connect_port(fx.http_port);
		assert_true(fds[i] >= 0);
	}
	h_sleep_ms(300);
	/* Accepted by the kernel's backlog, not served by licd. */
	extra = connect_port(fx.http_port);
	assert_true(extra >= 0);
	assert_int_equal(
	    write(extra, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	pfd.fd = extra;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 500), 0);

	for (i = 0; i < 64; i++)
		close(fds[i]);
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_true(read(extra, ans, sizeof(ans) - 1) > 0);
	assert_true(strncmp(ans, "HTTP/1.1 200", 12) == 0);
	close(extra);
}

/* Headless Chromium loads the page from licd: the DOM it builds has the
 * charts with their points, and the screenshot is kept. */
static void
test_chromium(void **state)
{
	const char *bin = getenv("LICD_BIN");
	static char dom[1 << 21];
	char art[1024], profile[512], out[600], tmp[1024];
	const char *flags = "--headless --no-sandbox --disable-gpu "
			    "--disable-background-networking "
			    "--disable-component-update --disable-sync "
			    "--no-first-run --disable-dev-shm-usage";
	struct stat st;
	size_t n;
	FILE *f;
	int rc;

	assert_non_null(bin);
	snprintf(tmp, sizeof(tmp), "%s", bin);
	snprintf(art, sizeof(art), "%s/artifacts", dirname(tmp));
	mkdir(art, 0755);
	snprintf(profile, sizeof(profile), "%s/chromium-profile", fx.d.dir);
	snprintf(out, sizeof(out), "%s/dom.html", fx.d.dir);

	rc = run("timeout 120 chromium %s --user-data-dir='%s' --dump-dom "
		 "http://127.0.0.1:%d/ >'%s' 2>'%s/chromium.log'",
	    flags, profile, fx.http_port, out, fx.d.dir);
	if (rc == 127)
		fail_msg("chromium not found: install Debian's chromium "
			 "package (scripts/deps.sh does)");
	assert_int_equal(rc, 0);
	f = fopen(out, "r");
	assert_non_null(f);
	n = fread(dom, 1, sizeof(dom) - 1, f);
	fclose(f);
	dom[n] = '\0';
	assert_int_equal(count_polylines(dom), 4);
	assert_non_null(strstr(dom, "<svg class=\"chart\""));

	rc = run("timeout 120 chromium %s --user-data-dir='%s' "
		 "--hide-scrollbars --screenshot='%s/status.png' "
		 "--window-size=1280,900 http://127.0.0.1:%d/ "
		 ">>'%s/chromium.log' 2>&1",
	    flags, profile, art, fx.http_port, fx.d.dir);
	assert_int_equal(rc, 0);
	snprintf(tmp, sizeof(tmp), "%s/status.png", art);
	assert_int_equal(stat(tmp, &st), 0);
	assert_true(st.st_size > 10000);
	printf("screenshot: %s\n", tmp);
}

/* Without the setting nothing listens. */
static void
test_off_by_default(void **state)
{
	struct h_licd d;
	char path[300], line[1024];
	FILE *f;
	int seen = 0;

	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	snprintf(path, sizeof(path), "%s/licd.log", d.dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		seen |= strstr(line, "protocol=http") != NULL;
	fclose(f);
	assert_false(seen);
	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metrics_promtool),
	    cmocka_unit_test(test_status_json),
	    cmocka_unit_test(test_page),
	    cmocka_unit_test(test_methods_and_bounds),
	    cmocka_unit_test(test_connection_cap),
	    cmocka_unit_test(test_chromium),
	};
	const struct CMUnitTest alone[] = {
	    cmocka_unit_test(test_off_by_default),
	};
	int rc;

	rc = cmocka_run_group_tests_name("http", tests, setup, teardown);
	return rc | cmocka_run_group_tests_name("http-off", alone, NULL, NULL);
}
