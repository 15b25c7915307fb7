/*
 * The sentinel client side against a real licd with the sentinel front
 * end on: the client library and licctl run -P sentinel hold a lease over
 * several lease lifetimes by renewing it (and a lease nobody renews does
 * lapse), a request whose reply is lost is sent again with the same id
 * through a lossy relay and grants once, a queued request is granted when
 * a token comes free, licctl commute checks tokens out beyond the process
 * and back in early, licctl lsmon shows the holders, signed sessions work
 * where unsigned ones get no answer, and licctl lsusage reports what the
 * journal holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/journal/journal.h"
#include "harness.h"
#include "licd.h"
#include "protocols/sentinel/sent_codec.h"

/* LEASE=4: a lease lapses four seconds after its last renewal, so that
 * a test sees several lifetimes pass in a few seconds, while a renewal
 * (at half the lease) still has two seconds to spare on a busy machine
 * under the sanitizers. */
static const char license[] =
    "SERVER this_host ANY 27000\n"
    "VENDOR demo\n"
    "FEATURE solver demo 2.0 permanent 4 0 LEASE=4 COMMUTER=30\n"
    "FEATURE cad demo 1.0 permanent 1 0 LEASE=4\n"
    "FEATURE viewer demo 1.0 permanent 2 0 LEASE=4 SHARE=user\n";

#define LEASE_S 4

struct sfix {
	struct h_licd d;
	char server[64]; /* PORT@127.0.0.1 of the sentinel front end */
	char state[320];
};

static void
sfix_start(struct sfix *f, const char *extra)
{
	char conf[1024];

	snprintf(conf, sizeof(conf),
	    "sentinel = { address = \"127.0.0.1\"; %s };\n",
	    extra != NULL ? extra : "");
	h_licd_init(&f->d, license, NULL, conf);
	h_licd_start(&f->d);
	snprintf(f->server, sizeof(f->server), "%d@127.0.0.1", f->d.sport);
	snprintf(f->state, sizeof(f->state), "%s/state", f->d.dir);
}

static void
sfix_stop(struct sfix *f)
{
	h_licd_stop(&f->d);
	h_licd_cleanup(&f->d);
}

static struct licd_sentinel *
session(const struct sfix *f, const char *user, const unsigned char *key,
    size_t keylen, int attempts)
{
	struct licd_sentinel_opts o;
	struct licd_identity id;
	struct licd_sentinel *s;
	char err[256];

	memset(&o, 0, sizeof(o));
	memset(&id, 0, sizeof(id));
	id.user = user;
	id.host = "ws1";
	id.display = ":0";
	o.site_key = key;
	o.site_key_len = keylen;
	o.attempts = attempts;
	s = licd_sentinel_open(f->server, &id, &o, err, sizeof(err));
	if (s == NULL)
		fail_msg("open: %s", err);
	return s;
}

/* Journal records of type for feature (reason too, when not NULL). */
static int
journal_count(const struct sfix *f, const char *type, const char *feature,
    const char *reason)
{
	struct journal_record rec;
	struct journal_iter *it;
	char err[256];
	int n = 0, rc;

	it = journal_iter_open(f->state, INT64_MIN, INT64_MAX, err, 256);
	if (it == NULL)
		fail_msg("journal: %s", err);
	while ((rc = journal_iter_next(it, &rec, err, sizeof(err))) == 1)
		if (strcmp(rec.type, type) == 0 &&
		    strcmp(rec.feature, feature) == 0 &&
		    (reason == NULL || strcmp(rec.reason, reason) == 0))
			n++;
	journal_iter_close(it);
	assert_int_equal(rc, 0);
	return n;
}

/* The library keeps a lease over several lifetimes, and gives it back. */
static void
test_library_renews(void **state)
{
	struct licd_sentinel *s;
	struct sfix f;
	uint64_t h;
	int i;

	(void)state;
	sfix_start(&f, NULL);
	s = session(&f, "alice", NULL, 0, 0);
	if (licd_sentinel_request(s, "solver", NULL, 2, 0, 0, &h) != 0)
		fail_msg("request: %s", licd_sentinel_error(s));
	assert_int_equal(licd_sentinel_lease(s), LEASE_S);
	assert_int_equal(h_in_use(f.d.port, "solver"), 2);

	/* Four lifetimes: still held, renewed all along. */
	for (i = 0; i < 4; i++) {
		h_sleep_ms(LEASE_S * 1000);
		assert_int_equal(h_in_use(f.d.port, "solver"), 2);
	}
	assert_true(licd_sentinel_renewals(s) >= 4);
	assert_int_equal(
	    journal_count(&f, "checkin", "solver", "lease-expired"), 0);

	assert_int_equal(licd_sentinel_release(s, h), 0);
	assert_int_equal(h_in_use(f.d.port, "solver"), 0);
	licd_sentinel_close(s);
	assert_int_equal(journal_count(&f, "checkout", "solver", NULL), 1);
	assert_int_equal(journal_count(&f, "checkin", "solver", "client"), 1);
	sfix_stop(&f);
}

/* Across a restart of licd the library takes its grant back by renewing
 * it (RENEW with user and host), under the same handle, without a new
 * checkout. */
static void
test_library_resumes(void **state)
{
	struct licd_sentinel *s;
	struct sfix f;
	uint64_t h, before;

	(void)state;
	sfix_start(&f, NULL);
	s = session(&f, "erin", NULL, 0, 0);
	if (licd_sentinel_request(s, "solver", NULL, 1, 0, 0, &h) != 0)
		fail_msg("request: %s", licd_sentinel_error(s));
	assert_int_equal(h_licd_stop(&f.d), 0);
	h_licd_start(&f.d);

	/* Renewed on the new licd, a lifetime and more after it started. */
	before = licd_sentinel_renewals(s);
	assert_true(H_WAIT(licd_sentinel_renewals(s) >= before + 2, 20000));
	h_sleep_ms(LEASE_S * 1000);
	assert_int_equal(h_in_use(f.d.port, "solver"), 1);
	assert_int_equal(journal_count(&f, "resume", "solver", NULL), 1);
	assert_int_equal(journal_count(&f, "checkout", "solver", NULL), 1);

	assert_int_equal(licd_sentinel_release(s, h), 0);
	assert_int_equal(h_in_use(f.d.port, "solver"), 0);
	licd_sentinel_close(s);
	sfix_stop(&f);
}

/* One REQUEST by hand, never renewed: its lease does lapse, so the test
 * above shows renewals at work, not a lease that never ends. */
static void
test_unrenewed_lease_lapses(void **state)
{
	static struct sent_reply reply;
	struct sent_reply *rep = &reply;
	struct sent_request req;
	struct sockaddr_in sin;
	uint8_t buf[2048];
	struct sfix f;
	char err[128];
	size_t len;
	ssize_t n;
	int fd, ok;

	(void)state;
	sfix_start(&f, NULL);
	memset(&req, 0, sizeof(req));
	req.hdr.version = SENT_PROTOCOL_VERSION;
	req.hdr.verb = SENT_V_REQUEST;
	req.hdr.request_id = 77;
	req.hdr.client_id = 78;
	snprintf(req.feature, sizeof(req.feature), "cad");
	snprintf(req.user, sizeof(req.user), "bob");
	snprintf(req.host, sizeof(req.host), "ws2");
	req.tokens = 1;
	n = sent_request_encode(&req, buf, sizeof(buf));
	assert_true(n > 0);
	len = (size_t)n;
	assert_int_equal(sent_pad(buf, &len, sizeof(buf), 256), 0);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)f.d.sport);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	assert_int_equal(sent_reply_decode(buf, (size_t)n, rep, err, 128), 0);
	assert_int_equal(rep->hdr.status, SENT_S_OK);
	assert_int_equal(rep->lease, LEASE_S);
	assert_int_equal(h_in_use(f.d.port, "cad"), 1);

	ok = H_WAIT(h_in_use(f.d.port, "cad") == 0, 20000);
	assert_true(ok);
	/* The expiry is journaled by the writer thread, a moment later. */
	ok = H_WAIT(
	    journal_count(&f, "checkin", "cad", "lease-expired") == 1, 10000);
	assert_true(ok);
	close(fd);
	sfix_stop(&f);
}

/* licctl run -P sentinel holds its tokens while the command runs, over
 * several lease lifetimes, and returns them when it exits. */
static void
test_run_renews(void **state)
{
	struct sfix f;
	char out[4096];
	int rc;

	(void)state;
	sfix_start(&f, NULL);
	rc = h_licctl(out, sizeof(out), "run", "-P", "sentinel", "-c", f.server,
	    "--feature", "solver", "-n", "3", "--", "sh", "-c",
	    "sleep 13; exit 3", (char *)NULL);
	if (rc != 3)
		fail_msg("run: %d: %s", rc, out);
	assert_int_equal(h_in_use(f.d.port, "solver"), 0);
	assert_int_equal(journal_count(&f, "checkout", "solver", NULL), 1);
	assert_int_equal(journal_count(&f, "checkin", "solver", "client"), 1);
	assert_int_equal(
	    journal_count(&f, "checkin", "solver", "lease-expired"), 0);

	/* Refused: more tokens than there are; the command never runs. */
	rc = h_licctl(out, sizeof(out), "run", "-P", "sentinel", "-c", f.server,
	    "-f", "solver", "-n", "9", "--", "touch", "/nonexistent/ran",
	    (char *)NULL);
	assert_int_equal(rc, 69);
	assert_non_null(strstr(out, "too-many"));
	sfix_stop(&f);
}

/* A UDP relay between a client and licd that drops the first reply to
 * each request id: the client must send the request again, with the same
 * id, and the server must not act on it twice. */
struct relay {
	int fd_client; /* the port the client talks to */
	int fd_server; /* connected to licd */
	int port;
	atomic_int stop;
	uint64_t ids[256];
	int sends[256];
	int replies[256];
	size_t nids;
	pthread_t thread;
};

static size_t
relay_slot(struct relay *r, uint64_t id)
{
	size_t i;

	for (i = 0; i < r->nids; i++)
		if (r->ids[i] == id)
			return i;
	assert_true(r->nids < 256);
	r->ids[r->nids] = id;
	return r->nids++;
}

static void *
relay_main(void *arg)
{
	struct relay *r = arg;
	struct sockaddr_storage peer;
	socklen_t plen = 0;
	struct pollfd p[2];
	struct sent_header h;
	uint8_t buf[SENT_DATAGRAM_MAX];
	socklen_t sl;
	ssize_t n;
	size_t i;

	while (!atomic_load(&r->stop)) {
		p[0].fd = r->fd_client;
		p[0].events = POLLIN;
		p[1].fd = r->fd_server;
		p[1].events = POLLIN;
		if (poll(p, 2, 100) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			sl = sizeof(peer);
			n = recvfrom(r->fd_client, buf, sizeof(buf), 0,
			    (struct sockaddr *)&peer, &sl);
			if (n > 0 &&
			    sent_header_peek(buf, (size_t)n, &h) == 0) {
				plen = sl;
				r->sends[relay_slot(r, h.request_id)]++;
				(void)send(r->fd_server, buf, (size_t)n, 0);
			}
		}
		if (p[1].revents & POLLIN) {
			n = recv(r->fd_server, buf, sizeof(buf), 0);
			if (n <= 0 || plen == 0 ||
			    sent_header_peek(buf, (size_t)n, &h) != 0)
				continue;
			i = relay_slot(r, h.request_id);
			/* The first reply to each request is lost. */
			if (r->replies[i]++ == 0)
				continue;
			(void)sendto(r->fd_client, buf, (size_t)n, 0,
			    (struct sockaddr *)&peer, plen);
		}
	}
	return NULL;
}

static void
relay_start(struct relay *r, int server_port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(r, 0, sizeof(*r));
	r->fd_client = socket(AF_INET, SOCK_DGRAM, 0);
	r->fd_server = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(r->fd_client >= 0 && r->fd_server >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(
	    bind(r->fd_client, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(
	    getsockname(r->fd_client, (struct sockaddr *)&sin, &len), 0);
	r->port = ntohs(sin.sin_port);
	sin.sin_port = htons((uint16_t)server_port);
	assert_int_equal(
	    connect(r->fd_server, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(pthread_create(&r->thread, NULL, relay_main, r), 0);
}

static void
relay_stop(struct relay *r)
{
	atomic_store(&r->stop, 1);
	pthread_join(r->thread, NULL);
	close(r->fd_client);
	close(r->fd_server);
}

static void
test_lost_reply_same_id(void **state)
{
	struct licd_sentinel_opts o;
	struct licd_sentinel *s;
	struct relay r;
	struct sfix f;
	char list[64], err[256];
	uint64_t h;
	size_t i;

	(void)state;
	sfix_start(&f, NULL);
	relay_start(&r, f.d.sport);
	snprintf(list, sizeof(list), "%d@127.0.0.1", r.port);
	memset(&o, 0, sizeof(o));
	o.timeout_ms = 200;
	s = licd_sentinel_open(list, NULL, &o, err, sizeof(err));
	assert_non_null(s);

	if (licd_sentinel_request(s, "solver", NULL, 1, 0, 0, &h) != 0)
		fail_msg("request: %s", licd_sentinel_error(s));
	/* Granted once although the request reached the server twice. */
	assert_int_equal(h_in_use(f.d.port, "solver"), 1);
	assert_int_equal(journal_count(&f, "checkout", "solver", NULL), 1);
	assert_int_equal(licd_sentinel_release(s, h), 0);
	assert_int_equal(h_in_use(f.d.port, "solver"), 0);
	licd_sentinel_close(s);
	relay_stop(&r);

	/* REQUEST, RELEASE and BYE (and any RENEW between them): each sent
	 * again under its own id. */
	assert_true(r.nids >= 3);
	for (i = 0; i < r.nids; i++)
		assert_true(r.sends[i] >= 2);
	assert_int_equal(journal_count(&f, "checkin", "solver", NULL), 1);
	sfix_stop(&f);
}

struct waiter {
	struct licd_sentinel *s;
	uint64_t handle;
	int rc;
};

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->rc = licd_sentinel_request(
	    w->s, "cad", NULL, 1, LICD_QUEUE, 0, &w->handle);
	return NULL;
}

/* A queued request is granted when the token comes free; lsusage counts
 * it as queued, then issued. */
static void
test_queue(void **state)
{
	struct licd_sentinel *a, *b;
	struct waiter w;
	pthread_t t;
	struct sfix f;
	char out[8192];
	uint64_t h;

	(void)state;
	sfix_start(&f, NULL);
	a = session(&f, "alice", NULL, 0, 0);
	b = session(&f, "bob", NULL, 0, 0);
	assert_int_equal(licd_sentinel_request(a, "cad", NULL, 1, 0, 0, &h), 0);

	/* Without the queue: refused at once. */
	assert_int_equal(
	    licd_sentinel_request(b, "cad", NULL, 1, 0, 0, &w.handle), -1);
	assert_string_equal(licd_sentinel_error_reason(b), "no-seats");

	w.s = b;
	w.rc = -2;
	assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
	assert_true(
	    H_WAIT(h_feature_int(f.d.port, "cad", "queued") == 1, 10000));
	/* Still queued a lease later: the library polls its ticket. */
	h_sleep_ms(LEASE_S * 1500);
	assert_int_equal(h_feature_int(f.d.port, "cad", "queued"), 1);
	assert_int_equal(licd_sentinel_release(a, h), 0);
	pthread_join(t, NULL);
	assert_int_equal(w.rc, 0);
	assert_int_equal(h_in_use(f.d.port, "cad"), 1);
	licd_sentinel_close(b);
	assert_true(H_WAIT(h_in_use(f.d.port, "cad") == 0, 10000));
	licd_sentinel_close(a);

	assert_int_equal(h_licctl(out, sizeof(out), "lsusage", "--state-dir",
			     f.state, "-f", "cad", "-c", (char *)NULL),
	    0);
	/* Three requests: alice's, bob's refused one, bob's queued one. */
	assert_non_null(strstr(out,
	    "\r\ncad,3,2,66.67,1,33.33,1,33.33,1,"
	    "33.33,2,2,"));
	sfix_stop(&f);
}

/* Commuter tokens outlive the process, show in lsmon, and come back with
 * --return; a feature without COMMUTER= refuses. */
static void
test_commute(void **state)
{
	struct sfix f;
	char out[16384];
	int rc;

	(void)state;
	sfix_start(&f, NULL);
	setenv("LICD_USER", "carol", 1);
	rc = h_licctl(out, sizeof(out), "commute", "-c", f.server, "solver",
	    "--days", "3", "-n", "2", (char *)NULL);
	if (rc != 0)
		fail_msg("commute: %d: %s", rc, out);
	assert_non_null(strstr(out, "2 token(s) checked out"));

	/* Counted as in use with nobody renewing, past several leases. */
	h_sleep_ms(LEASE_S * 2500);
	assert_int_equal(h_in_use(f.d.port, "solver"), 2);

	rc = h_licctl(out, sizeof(out), "lsmon", "-c", f.server, "--utc",
	    "solver", (char *)NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out,
	    "|- User name                      : "
	    "carol\n"));
	assert_non_null(strstr(out,
	    "|- Is commuter token              : "
	    "YES\n"));
	assert_non_null(strstr(out,
	    "|- Commuter license allowed       : YES "
	    "(up to 30 day(s))\n"));

	rc = h_licctl(out, sizeof(out), "commute", "--status", "-c", f.server,
	    (char *)NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "solver 2.0 2 token(s) until"));

	rc = h_licctl(out, sizeof(out), "commute", "--return", "-c", f.server,
	    "solver", (char *)NULL);
	if (rc != 0)
		fail_msg("return: %d: %s", rc, out);
	assert_int_equal(h_in_use(f.d.port, "solver"), 0);
	assert_int_equal(
	    journal_count(&f, "checkin", "solver", "borrow-return"), 1);

	/* Nothing left to return; cad has no COMMUTER=. */
	rc = h_licctl(out, sizeof(out), "commute", "--return", "-c", f.server,
	    "solver", (char *)NULL);
	assert_int_equal(rc, 1);
	rc = h_licctl(out, sizeof(out), "commute", "-c", f.server, "cad",
	    "--days", "1", (char *)NULL);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "not-borrowable"));
	unsetenv("LICD_USER");
	sfix_stop(&f);
}

/* lsmon lists every holder with its group and tokens, and the figures
 * of the feature block add up. */
static void
test_lsmon_holders(void **state)
{
	struct licd_sentinel *a, *b;
	struct sfix f;
	char out[32768];
	uint64_t h1, h2;
	int rc;

	(void)state;
	sfix_start(&f, NULL);
	a = session(&f, "alice", NULL, 0, 0);
	b = session(&f, "bob", NULL, 0, 0);
	assert_int_equal(
	    licd_sentinel_request(a, "solver", NULL, 1, 0, 0, &h1), 0);
	assert_int_equal(
	    licd_sentinel_request(b, "solver", NULL, 2, 0, 0, &h2), 0);

	rc = h_licctl(out, sizeof(out), "lsmon", "-c", f.server, (char *)NULL);
	if (rc != 0)
		fail_msg("lsmon: %d: %s", rc, out);
	assert_non_null(strstr(out,
	    " |- Feature Information\n"
	    "   |- Feature name                   : "
	    "\"solver\"\n"));
	assert_non_null(strstr(out,
	    "   |- Feature name                   : "
	    "\"cad\"\n"));
	assert_non_null(strstr(out,
	    "   |- Maximum concurrent user(s)     : "
	    "4\n"));
	assert_non_null(strstr(out,
	    "   |- Unreserved tokens in use       : "
	    "3\n"));
	assert_non_null(strstr(out,
	    "   |- Token lifetime (heartbeat)     : "
	    "4 secs\n"));
	assert_non_null(strstr(out,
	    "     |- User name                      : "
	    "alice\n"
	    "     |- Host name                      : "
	    "ws1\n"
	    "     |- X display name                 : "
	    ":0\n"));
	assert_non_null(strstr(out,
	    "     |- User name                      : "
	    "bob\n"));
	assert_non_null(strstr(out,
	    "     |- Tokens in use                  : "
	    "2\n"));
	assert_non_null(strstr(out,
	    "     |- Is commuter token              : "
	    "NO\n"));

	/* One feature only. */
	rc = h_licctl(
	    out, sizeof(out), "lsmon", "-c", f.server, "cad", (char *)NULL);
	assert_int_equal(rc, 0);
	assert_null(strstr(out, "\"solver\""));
	assert_non_null(strstr(out, "\"cad\""));

	licd_sentinel_close(a);
	licd_sentinel_close(b);
	assert_int_equal(h_in_use(f.d.port, "solver"), 0);

	/* No server there: 69. */
	rc = h_licctl(
	    out, sizeof(out), "lsmon", "-c", "1@127.0.0.1", (char *)NULL);
	assert_int_equal(rc, 69);
	sfix_stop(&f);
}

/* With a site key, signed sessions are served and others get no answer
 * at all. */
static void
test_site_key(void **state)
{
	static const unsigned char key[] = "0123456789abcdef0123456789";
	static const unsigned char wrong[] = "0123456789abcdef012345678X";
	struct licd_sentinel *s;
	struct sfix f;
	char path[320], out[16384];
	uint64_t h;
	int rc;

	(void)state;
	/* The key file, relative to licd.conf, is written before licd
	 * starts. */
	h_licd_init(&f.d, license, NULL,
	    "sentinel = { address = \"127.0.0.1\"; "
	    "site-key-file = \"site.key\"; };\n");
	snprintf(path, sizeof(path), "%s/site.key", f.d.dir);
	h_write(path, (const char *)key);
	h_licd_start(&f.d);
	snprintf(f.server, sizeof(f.server), "%d@127.0.0.1", f.d.sport);
	snprintf(f.state, sizeof(f.state), "%s/state", f.d.dir);

	s = session(&f, "alice", key, sizeof(key) - 1, 0);
	if (licd_sentinel_request(s, "solver", NULL, 1, 0, 0, &h) != 0)
		fail_msg("signed request: %s", licd_sentinel_error(s));
	h_sleep_ms(LEASE_S * 1500);
	assert_true(licd_sentinel_renewals(s) >= 1);
	assert_int_equal(h_in_use(f.d.port, "solver"), 1);
	licd_sentinel_close(s);
	assert_int_equal(h_in_use(f.d.port, "solver"), 0);

	/* Unsigned, or signed with another key: no reply, nothing done. */
	s = session(&f, "mallory", NULL, 0, 2);
	assert_int_equal(
	    licd_sentinel_request(s, "solver", NULL, 1, 0, 0, &h), -1);
	assert_int_equal(licd_sentinel_error_code(s), 0);
	assert_non_null(strstr(licd_sentinel_error(s), "no reply"));
	licd_sentinel_close(s);
	s = session(&f, "mallory", wrong, sizeof(wrong) - 1, 2);
	assert_int_equal(
	    licd_sentinel_request(s, "solver", NULL, 1, 0, 0, &h), -1);
	licd_sentinel_close(s);
	assert_int_equal(h_in_use(f.d.port, "solver"), 0);

	/* licctl signs with --site-key. */
	rc = h_licctl(out, sizeof(out), "run", "-P", "sentinel", "-c", f.server,
	    "--site-key", path, "-f", "solver", "--", "true", (char *)NULL);
	if (rc != 0)
		fail_msg("run --site-key: %d: %s", rc, out);
	rc = h_licctl(out, sizeof(out), "lsmon", "-c", f.server, "--site-key",
	    path, "solver", (char *)NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\"solver\""));
	sfix_stop(&f);
}

/* lsusage reports what was done: a run, a refusal, a commute, a shared
 * token. */
static void
test_lsusage(void **state)
{
	struct licd_sentinel *s, *s2;
	struct sfix f;
	char out[16384], flex[64];
	uint64_t h;
	int rc;

	(void)state;
	sfix_start(&f, NULL);
	snprintf(flex, sizeof(flex), "%d@127.0.0.1", f.d.port);
	rc = h_licctl(out, sizeof(out), "run", "-P", "sentinel", "-c", f.server,
	    "-f", "solver", "-n", "2", "--", "true", (char *)NULL);
	assert_int_equal(rc, 0);
	s = session(&f, "dave", NULL, 0, 0);
	assert_int_equal(
	    licd_sentinel_request(s, "solver", NULL, 9, 0, 0, &h), -1);
	assert_int_equal(
	    licd_sentinel_commute(s, "solver", NULL, 1, 2, &h, NULL), 0);
	assert_int_equal(licd_sentinel_commute_return(s, h), 0);
	licd_sentinel_close(s);
	/* Two sessions of one user share a token of viewer (SHARE=user):
	 * two requests issued, one token taken. */
	s = session(&f, "frank", NULL, 0, 0);
	s2 = session(&f, "frank", NULL, 0, 0);
	assert_int_equal(
	    licd_sentinel_request(s, "viewer", NULL, 1, 0, 0, &h), 0);
	assert_int_equal(
	    licd_sentinel_request(s2, "viewer", NULL, 1, 0, 0, &h), 0);
	assert_int_equal(h_in_use(f.d.port, "viewer"), 1);
	rc = h_licctl(
	    out, sizeof(out), "lsmon", "-c", f.server, "viewer", (char *)NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, ": User name based sharing.\n"));
	licd_sentinel_close(s);
	licd_sentinel_close(s2);

	/* A flex checkout, left out by --frontend sentinel. */
	rc = h_licctl(out, sizeof(out), "run", "-c", flex, "-f", "cad", "--",
	    "true", (char *)NULL);
	assert_int_equal(rc, 0);

	rc = h_licctl(out, sizeof(out), "lsusage", "--state-dir", f.state,
	    "--frontend", "sentinel", "-c", (char *)NULL);
	if (rc != 0)
		fail_msg("lsusage: %d: %s", rc, out);
	/* 3 requests: the run (issued, 2 tokens), the refusal, the commute
	 * (issued, 1 token); both returned. */
	assert_non_null(strstr(out, "feature,requests,issued,issued_pct,"));
	assert_non_null(strstr(out,
	    "\r\nsolver,3,2,66.67,1,33.33,0,0.00,0,"
	    "0.00,3,2,"));
	assert_null(strstr(out, "\r\ncad,"));
	assert_non_null(strstr(out,
	    "\r\nviewer,2,2,100.00,0,0.00,0,0.00,0,"
	    "0.00,1,2,"));

	rc = h_licctl(out, sizeof(out), "lsusage", "--state-dir", f.state, "-f",
	    "solver", (char *)NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "|- Total number of requests       : 3\n"));
	assert_non_null(strstr(out,
	    "|- Requests denied                : "
	    "33.3% (1)\n"));
	assert_non_null(strstr(out, "|- Tokens issued                  : 3\n"));

	/* A period before anything happened. */
	rc = h_licctl(out, sizeof(out), "lsusage", "--state-dir", f.state,
	    "--from", "2000-01-01", "--to", "2000-01-02", (char *)NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "No feature was asked for"));
	sfix_stop(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_library_renews),
	    cmocka_unit_test(test_library_resumes),
	    cmocka_unit_test(test_unrenewed_lease_lapses),
	    cmocka_unit_test(test_run_renews),
	    cmocka_unit_test(test_lost_reply_same_id),
	    cmocka_unit_test(test_queue),
	    cmocka_unit_test(test_commute),
	    cmocka_unit_test(test_lsmon_holders),
	    cmocka_unit_test(test_site_key),
	    cmocka_unit_test(test_lsusage),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
