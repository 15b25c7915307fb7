/*
 * The sentinel front end against a real licd, with a small UDP client
 * built on the codec: one pool with flex, re-sent and duplicated
 * datagrams that never grant twice, leases that lapse, tokens, sharing,
 * holding, queueing, commuter grants (kept across a restart, checked in
 * early, cleaned by an administrator), the QUERY pages, the site key
 * (forged, altered, replayed, stale and unsigned datagrams dropped), the
 * amplification rule, bad datagrams, and IPv6.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
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
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "protocols/sentinel/sent_codec.h"
#include "sent_harness.h"

static const char license[] =
    "SERVER this_host ANY 27000\n"
    "VENDOR demo\n"
    "FEATURE cad demo 1.0 permanent 2 0\n"
    "FEATURE short demo 1.0 permanent 1 0 LEASE=1\n"
    "FEATURE kept demo 1.0 permanent 1 0 LEASE=3\n"
    "FEATURE sim demo 1.0 permanent 10 0\n"
    "FEATURE shared demo 1.0 permanent 1 0 SHARE=user SHARE_LIMIT=2\n"
    "FEATURE held demo 1.0 permanent 1 0 HOLD=60\n"
    "FEATURE q demo 1.0 permanent 1 0\n"
    "FEATURE comm demo 1.0 permanent 2 0 COMMUTER=7\n"
    "FEATURE many demo 1.0 permanent 60 0\n";

#define KEY "sentinel-test-site-key-0123456789"

/* A sentinel client: one socket, one client id. */
struct uc {
	int fd;
	int v6;
	struct sockaddr_storage sa;
	socklen_t salen;
	uint64_t client_id;
	const uint8_t *key;
	size_t keylen;
};

static void
uc_open(struct uc *u, int port, int v6)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&u->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&u->sa;

	memset(u, 0, sizeof(*u));
	u->v6 = v6;
	u->fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	assert_true(u->fd >= 0);
	if (v6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s6->sin6_addr = in6addr_loopback;
		u->salen = sizeof(*s6);
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		u->salen = sizeof(*s4);
	}
	u->client_id = sh_rnd64();
}

static void
uc_close(struct uc *u)
{
	close(u->fd);
}

/* Encodes, signs (with the client's key) at ts and pads to pad. */
static size_t
uc_encode(struct uc *u, struct sent_request *r, uint8_t *buf, size_t cap,
    size_t pad, int64_t ts)
{
	return sh_encode(u->client_id, u->key, u->keylen, r, buf, cap, pad, ts);
}

static void
uc_send_raw(struct uc *u, const uint8_t *buf, size_t len)
{
	assert_int_equal(
	    sendto(u->fd, buf, len, 0, (struct sockaddr *)&u->sa, u->salen),
	    (ssize_t)len);
}

/* Waits up to ms for a reply to request_id; returns its length (decoded
 * into rep) or 0 when none came. */
static size_t
uc_recv(struct uc *u, uint64_t request_id, struct sent_reply *rep, int ms)
{
	return sh_recv(u->fd, u->key, u->keylen, request_id, rep, ms);
}

/* Sends the request (padded to 512 so that any reply fits) and returns
 * the reply, re-sending it (same request id, signed afresh) as a client
 * does when none comes; fails the test after 15 s. */
static void
uc_call(struct uc *u, struct sent_request *r, struct sent_reply *rep)
{
	uint8_t buf[SENT_DATAGRAM_DEFAULT];
	size_t len;
	int attempt;

	for (attempt = 1; attempt <= 5; attempt++) {
		len = uc_encode(u, r, buf, sizeof(buf), 512, sh_now_ms());
		uc_send_raw(u, buf, len);
		if (uc_recv(u, r->hdr.request_id, rep, 1000 * attempt) > 0)
			return;
	}
	fail_msg("no reply to %s", sent_verb_name(r->hdr.verb));
}

static struct sent_reply rep;

/* GET path from licd's HTTP views on loopback; the whole answer. */
static const char *
http_get(int port, const char *path)
{
	static char buf[1 << 18];
	char req[256];
	size_t n = 0;
	ssize_t r;
	int fd;

	fd = h_loopback_socket(SOCK_STREAM, port);
	assert_true(fd >= 0);
	snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
	    path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (n < sizeof(buf) - 1 &&
	    (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* Reads every datagram that comes until ms pass without one; returns how
 * many came. */
static int
uc_drain(struct uc *u, int ms)
{
	uint8_t buf[SENT_DATAGRAM_MAX];
	struct pollfd pfd = {u->fd, POLLIN, 0};
	int n = 0;

	while (poll(&pfd, 1, ms) > 0 && recv(u->fd, buf, sizeof(buf), 0) > 0)
		n++;
	return n;
}

/* REQUEST feature for user@host; returns the status, handle in *h. */
static int
uc_request(struct uc *u, const char *feature, const char *user, int tokens,
    int queue, uint64_t *h)
{
	struct sent_request r;

	sh_req_init(&r, SENT_V_REQUEST);
	snprintf(r.feature, sizeof(r.feature), "%s", feature);
	snprintf(r.user, sizeof(r.user), "%s", user);
	snprintf(r.host, sizeof(r.host), "ws-%s", user);
	r.tokens = tokens;
	r.queue = queue;
	uc_call(u, &r, &rep);
	if (h != NULL)
		*h = rep.handle;
	return rep.hdr.status;
}

static int
uc_handle_verb(struct uc *u, int verb, uint64_t handle)
{
	struct sent_request r;

	sh_req_init(&r, verb);
	r.handle = handle;
	uc_call(u, &r, &rep);
	return rep.hdr.status;
}

/* The feature's record in a QUERY (with its clients in rep). */
static const struct sent_feature *
uc_feature(struct uc *u, const char *feature)
{
	struct sent_request r;

	sh_req_init(&r, SENT_V_QUERY);
	snprintf(r.feature, sizeof(r.feature), "%s", feature);
	uc_call(u, &r, &rep);
	assert_int_equal(rep.hdr.status, SENT_S_OK);
	assert_int_equal(rep.nfeatures, 1);
	return &rep.features[0];
}

static struct h_licd d;

static int
setup(void **state)
{
	h_licd_init(&d, license, NULL, NULL);
	h_licd_start(&d);
	return 0;
}

static int
teardown(void **state)
{
	h_licd_stop(&d);
	h_licd_cleanup(&d);
	return 0;
}

static void
test_shared_pool(void **state)
{
	struct h_conn c;
	struct uc u;
	char reason[64];
	uint64_t h;

	uc_open(&u, d.sport, 0);
	assert_int_equal(uc_request(&u, "cad", "alice", 1, 0, &h), SENT_S_OK);
	assert_true(h != 0);
	assert_int_equal(rep.tokens, 1);
	assert_int_equal(rep.lease, 300);

	h_connect(&c, d.port);
	h_hello(&c, "bob", "ws-bob");
	assert_true(h_checkout(&c, "cad", 1, NULL, 0) != 0);
	/* The pool is empty for both front ends now. */
	assert_int_equal(
	    uc_request(&u, "cad", "carol", 1, 0, NULL), SENT_S_DENIED);
	assert_int_equal(rep.hdr.reason, 10);
	assert_true(rep.message[0] != '\0');
	assert_int_equal(h_checkout(&c, "cad", 1, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "no-seats");
	assert_int_equal(h_in_use(d.port, "cad"), 2);

	/* Released over UDP: flex gets it. */
	assert_int_equal(uc_handle_verb(&u, SENT_V_RELEASE, h), SENT_S_OK);
	assert_true(h_checkout(&c, "cad", 1, NULL, 0) != 0);
	h_close(&c);
	uc_close(&u);
}

static void
test_duplicates_never_grant_twice(void **state)
{
	struct sent_request r;
	struct uc u;
	uint8_t buf[SENT_DATAGRAM_DEFAULT];
	uint64_t first;
	size_t len;

	uc_open(&u, d.sport, 0);
	sh_req_init(&r, SENT_V_REQUEST);
	snprintf(r.feature, sizeof(r.feature), "sim");
	snprintf(r.user, sizeof(r.user), "alice");
	r.tokens = 2;
	len = uc_encode(&u, &r, buf, sizeof(buf), 512, sh_now_ms());

	/* Duplicated: two copies, one grant.  The copy that comes while
	 * the first waits for the journal gets no reply of its own; one
	 * that comes later gets the same reply again. */
	uc_send_raw(&u, buf, len);
	uc_send_raw(&u, buf, len);
	assert_true(uc_recv(&u, r.hdr.request_id, &rep, 5000) > 0);
	first = rep.handle;
	assert_true(first != 0);
	uc_send_raw(&u, buf, len);
	assert_true(uc_recv(&u, r.hdr.request_id, &rep, 5000) > 0);
	assert_true(rep.handle == first);
	assert_int_equal(h_in_use(d.port, "sim"), 2);

	/* A reply lost (never read), the request re-sent: the same
	 * answer again, still one grant. */
	sh_req_init(&r, SENT_V_REQUEST);
	snprintf(r.feature, sizeof(r.feature), "sim");
	snprintf(r.user, sizeof(r.user), "alice");
	r.tokens = 3;
	len = uc_encode(&u, &r, buf, sizeof(buf), 512, sh_now_ms());
	uc_send_raw(&u, buf, len);
	assert_int_equal(H_WAIT(h_in_use(d.port, "sim") == 5, 5000), 1);
	/* Drain the first reply as if the network had eaten it. */
	assert_true(uc_recv(&u, r.hdr.request_id, &rep, 5000) > 0);
	first = rep.handle;
	uc_send_raw(&u, buf, len);
	assert_true(uc_recv(&u, r.hdr.request_id, &rep, 5000) > 0);
	assert_true(rep.handle == first);
	assert_int_equal(h_in_use(d.port, "sim"), 5);

	/* A release re-sent does not release twice nor fail. */
	sh_req_init(&r, SENT_V_RELEASE);
	r.handle = first;
	len = uc_encode(&u, &r, buf, sizeof(buf), 512, sh_now_ms());
	uc_send_raw(&u, buf, len);
	assert_true(uc_recv(&u, r.hdr.request_id, &rep, 5000) > 0);
	assert_int_equal(rep.hdr.status, SENT_S_OK);
	uc_send_raw(&u, buf, len);
	assert_true(uc_recv(&u, r.hdr.request_id, &rep, 5000) > 0);
	assert_int_equal(rep.hdr.status, SENT_S_OK);
	assert_int_equal(h_in_use(d.port, "sim"), 2);
	assert_int_equal(uc_handle_verb(&u, SENT_V_BYE, 0), SENT_S_OK);
	assert_int_equal(h_in_use(d.port, "sim"), 0);
	uc_close(&u);
}

static int
log_has_in(const struct h_licd *l, const char *needle)
{
	char path[400], buf[65536];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/licd.log", l->dir);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static int
log_has(const char *needle)
{
	return log_has_in(&d, needle);
}

static int
journal_has(const char *needle)
{
	static char out[1 << 18];
	char dir[400];

	snprintf(dir, sizeof(dir), "%s/state", d.dir);
	if (h_licctl(out, sizeof(out), "journal", "show", "--state-dir", dir,
		"--limit", "100000", (char *)NULL) != 0)
		return 0;
	return strstr(out, needle) != NULL;
}

static void
test_lease(void **state)
{
	struct uc u, v;
	uint64_t h, k;
	int i;

	uc_open(&u, d.sport, 0);
	uc_open(&v, d.sport, 0);
	/* A silent client loses its grant when the lease (1 s) ends. */
	assert_int_equal(uc_request(&u, "short", "alice", 1, 0, &h), SENT_S_OK);
	assert_int_equal(rep.lease, 1);
	/* A client that renews keeps its grant past several leases. */
	assert_int_equal(uc_request(&v, "kept", "bob", 1, 0, &k), SENT_S_OK);
	assert_int_equal(rep.lease, 3);
	assert_int_equal(H_WAIT(h_in_use(d.port, "short") == 0, 10000), 1);
	assert_int_equal(H_WAIT(log_has("reason=lease-expired"), 5000), 1);
	/* The journal says why the seat came back (once committed). */
	assert_int_equal(H_WAIT(journal_has("reason=lease-expired"), 5000), 1);
	for (i = 0; i < 12; i++) {
		assert_int_equal(
		    uc_handle_verb(&v, SENT_V_RENEW, k), SENT_S_OK);
		assert_true(rep.handle == k);
		h_sleep_ms(400);
	}
	assert_int_equal(h_in_use(d.port, "kept"), 1);
	/* The lapsed grant is gone for its client too. */
	assert_int_equal(uc_handle_verb(&u, SENT_V_RENEW, h), SENT_S_DENIED);
	assert_int_equal(rep.hdr.reason, 14);
	assert_int_equal(uc_handle_verb(&v, SENT_V_RELEASE, k), SENT_S_OK);
	uc_close(&u);
	uc_close(&v);
}

/* A grant made over UDP survives a restart: its client takes it back
 * with RENEW naming its user and host. */
static void
test_restart_resume(void **state)
{
	struct sent_request r;
	struct uc u;
	uint64_t h;

	uc_open(&u, d.sport, 0);
	assert_int_equal(uc_request(&u, "cad", "alice", 1, 0, &h), SENT_S_OK);
	h_licd_stop(&d);
	h_licd_start(&d);
	assert_int_equal(h_in_use(d.port, "cad"), 1);

	/* Without its identity: not taken back. */
	assert_int_equal(uc_handle_verb(&u, SENT_V_RENEW, h), SENT_S_DENIED);
	assert_int_equal(rep.hdr.reason, 15);
	/* Someone else: neither. */
	sh_req_init(&r, SENT_V_RENEW);
	r.handle = h;
	snprintf(r.user, sizeof(r.user), "mallory");
	snprintf(r.host, sizeof(r.host), "ws-alice");
	uc_call(&u, &r, &rep);
	assert_int_equal(rep.hdr.status, SENT_S_DENIED);
	/* Its holder: the same grant, with a lease again. */
	sh_req_init(&r, SENT_V_RENEW);
	r.handle = h;
	snprintf(r.user, sizeof(r.user), "alice");
	snprintf(r.host, sizeof(r.host), "ws-alice");
	uc_call(&u, &r, &rep);
	assert_int_equal(rep.hdr.status, SENT_S_OK);
	assert_true(rep.handle == h);
	assert_int_equal(rep.lease, 300);
	assert_int_equal(uc_handle_verb(&u, SENT_V_RELEASE, h), SENT_S_OK);
	assert_int_equal(h_in_use(d.port, "cad"), 0);
	uc_close(&u);
}

static void
test_tokens(void **state)
{
	struct uc u;

	uc_open(&u, d.sport, 0);
	assert_int_equal(uc_request(&u, "sim", "alice", 7, 0, NULL), SENT_S_OK);
	assert_int_equal(rep.tokens, 7);
	assert_int_equal(
	    uc_request(&u, "sim", "bob", 4, 0, NULL), SENT_S_DENIED);
	assert_int_equal(uc_request(&u, "sim", "bob", 3, 0, NULL), SENT_S_OK);
	assert_int_equal(h_in_use(d.port, "sim"), 10);
	assert_int_equal(uc_feature(&u, "sim")->in_use, 10);
	assert_int_equal(uc_handle_verb(&u, SENT_V_BYE, 0), SENT_S_OK);
	assert_int_equal(h_in_use(d.port, "sim"), 0);
	uc_close(&u);
}

static void
test_sharing(void **state)
{
	const struct sent_feature *f;
	struct uc a[3], b;
	int i;

	for (i = 0; i < 3; i++)
		uc_open(&a[i], d.sport, 0);
	uc_open(&b, d.sport, 0);
	/* Two alices share the one token; the third would need another,
	 * and so would bob. */
	assert_int_equal(
	    uc_request(&a[0], "shared", "alice", 1, 0, NULL), SENT_S_OK);
	assert_int_equal(
	    uc_request(&a[1], "shared", "alice", 1, 0, NULL), SENT_S_OK);
	assert_int_equal(
	    uc_request(&a[2], "shared", "alice", 1, 0, NULL), SENT_S_DENIED);
	assert_int_equal(
	    uc_request(&b, "shared", "bob", 1, 0, NULL), SENT_S_DENIED);
	f = uc_feature(&b, "shared");
	assert_int_equal(f->share, SENT_SHARE_USER);
	assert_int_equal(f->share_limit, 2);
	assert_int_equal(f->in_use, 1);
	assert_int_equal(rep.nclients, 2);
	for (i = 0; i < 3; i++) {
		uc_handle_verb(&a[i], SENT_V_BYE, 0);
		uc_close(&a[i]);
	}
	uc_close(&b);
	assert_int_equal(h_in_use(d.port, "shared"), 0);
}

static void
test_hold(void **state)
{
	const struct sent_feature *f;
	struct uc a, b;
	uint64_t h, h2;

	uc_open(&a, d.sport, 0);
	uc_open(&b, d.sport, 0);
	assert_int_equal(uc_request(&a, "held", "alice", 1, 0, &h), SENT_S_OK);
	assert_int_equal(rep.hold, 60);
	assert_int_equal(uc_handle_verb(&a, SENT_V_RELEASE, h), SENT_S_OK);
	/* Held for alice: counted, listed as held, refused to bob. */
	assert_int_equal(h_in_use(d.port, "held"), 1);
	f = uc_feature(&b, "held");
	assert_int_equal(f->hold, 60);
	assert_int_equal(rep.nclients, 1);
	assert_true(rep.clients[0].hold_until > sh_now_ms());
	assert_int_equal(
	    uc_request(&b, "held", "bob", 1, 0, NULL), SENT_S_DENIED);
	/* alice takes her token back. */
	assert_int_equal(uc_request(&a, "held", "alice", 1, 0, &h2), SENT_S_OK);
	assert_true(h2 == h);
	/* An administrator frees it for the next test. */
	{
		char out[4096], dir[400], hs[32];

		snprintf(dir, sizeof(dir), "%s/state", d.dir);
		snprintf(hs, sizeof(hs), "%llu", (unsigned long long)h);
		assert_int_equal(h_licctl(out, sizeof(out), "remove",
				     "--state-dir", dir, hs, (char *)NULL),
		    0);
	}
	assert_int_equal(h_in_use(d.port, "held"), 0);
	uc_close(&a);
	uc_close(&b);
}

static void
test_queue(void **state)
{
	struct uc a, b;
	uint64_t h, ticket;

	uc_open(&a, d.sport, 0);
	uc_open(&b, d.sport, 0);
	assert_int_equal(uc_request(&a, "q", "alice", 1, 0, &h), SENT_S_OK);
	assert_int_equal(
	    uc_request(&b, "q", "bob", 1, 1, &ticket), SENT_S_QUEUED);
	assert_int_equal(rep.position, 1);
	/* Polling: still waiting. */
	assert_int_equal(
	    uc_handle_verb(&b, SENT_V_RENEW, ticket), SENT_S_QUEUED);
	assert_int_equal(uc_feature(&a, "q")->queued, 1);
	/* alice releases; bob's next poll finds the grant. */
	assert_int_equal(uc_handle_verb(&a, SENT_V_RELEASE, h), SENT_S_OK);
	assert_int_equal(uc_handle_verb(&b, SENT_V_RENEW, ticket), SENT_S_OK);
	assert_true(rep.handle != 0 && rep.handle != ticket);
	assert_int_equal(rep.lease, 300);
	h = rep.handle;
	assert_int_equal(h_in_use(d.port, "q"), 1);
	/* From now on the grant handle is what is renewed. */
	assert_int_equal(uc_handle_verb(&b, SENT_V_RENEW, h), SENT_S_OK);
	assert_int_equal(uc_handle_verb(&b, SENT_V_RELEASE, h), SENT_S_OK);
	assert_int_equal(h_in_use(d.port, "q"), 0);
	uc_close(&a);
	uc_close(&b);
}

static int
commute(struct uc *u, const char *user, int days, uint64_t *h)
{
	struct sent_request r;

	sh_req_init(&r, SENT_V_COMMUTE);
	snprintf(r.feature, sizeof(r.feature), "comm");
	snprintf(r.user, sizeof(r.user), "%s", user);
	snprintf(r.host, sizeof(r.host), "laptop-%s", user);
	r.days = days;
	uc_call(u, &r, &rep);
	if (h != NULL)
		*h = rep.handle;
	return rep.hdr.status;
}

static int
checkin(struct uc *u, const char *user, uint64_t h)
{
	struct sent_request r;

	sh_req_init(&r, SENT_V_CHECKIN);
	r.handle = h;
	snprintf(r.user, sizeof(r.user), "%s", user);
	snprintf(r.host, sizeof(r.host), "laptop-%s", user);
	uc_call(u, &r, &rep);
	return rep.hdr.status;
}

static void
test_commuter(void **state)
{
	struct uc u;
	uint64_t h, h2;
	char out[4096], dir[400], hs[32];
	size_t i;
	int found = 0;

	uc_open(&u, d.sport, 0);
	assert_int_equal(commute(&u, "alice", 8, NULL), SENT_S_DENIED);
	assert_int_equal(rep.hdr.reason, 17);
	assert_int_equal(commute(&u, "alice", 3, &h), SENT_S_OK);
	assert_true(rep.until > sh_now_ms() + 2 * 86400000LL);
	/* The client goes away: the commuter grant stays counted. */
	assert_int_equal(uc_handle_verb(&u, SENT_V_BYE, 0), SENT_S_OK);
	uc_close(&u);
	assert_int_equal(h_in_use(d.port, "comm"), 1);

	/* And across a restart. */
	h_licd_stop(&d);
	h_licd_start(&d);
	assert_int_equal(h_in_use(d.port, "comm"), 1);
	uc_open(&u, d.sport, 0);
	assert_int_equal(uc_feature(&u, "comm")->commuter_days, 7);
	for (i = 0; i < rep.nclients; i++)
		if (rep.clients[i].handle == h && rep.clients[i].commuter_until)
			found = 1;
	assert_true(found);

	/* Checked in early by its holder only. */
	assert_int_equal(checkin(&u, "mallory", h), SENT_S_DENIED);
	assert_int_equal(rep.hdr.reason, 15);
	assert_int_equal(checkin(&u, "alice", h), SENT_S_OK);
	assert_int_equal(h_in_use(d.port, "comm"), 0);

	/* A lost laptop: the administrator cleans its grant. */
	assert_int_equal(commute(&u, "bob", 2, &h2), SENT_S_OK);
	snprintf(dir, sizeof(dir), "%s/state", d.dir);
	snprintf(hs, sizeof(hs), "%llu", (unsigned long long)h2);
	assert_int_equal(h_licctl(out, sizeof(out), "remove", "--state-dir",
			     dir, hs, (char *)NULL),
	    0);
	assert_int_equal(h_in_use(d.port, "comm"), 0);
	uc_close(&u);
}

static void
test_query_pages(void **state)
{
	struct sent_request r;
	struct uc u, q;
	uint64_t seen = 0;
	uint32_t cursor = 0;
	int i, pages = 0;

	uc_open(&u, d.sport, 0);
	uc_open(&q, d.sport, 0);
	for (i = 0; i < 40; i++) {
		char user[16];

		snprintf(user, sizeof(user), "user%02d", i);
		assert_int_equal(
		    uc_request(&u, "many", user, 1, 0, NULL), SENT_S_OK);
	}
	/* Pages of whole records, each within the datagram bound, that
	 * together list every client once. */
	do {
		sh_req_init(&r, SENT_V_QUERY);
		snprintf(r.feature, sizeof(r.feature), "many");
		r.cursor = cursor;
		{
			uint8_t buf[SENT_DATAGRAM_DEFAULT];
			size_t len = uc_encode(&q, &r, buf, sizeof(buf),
			    SENT_DATAGRAM_DEFAULT, sh_now_ms());
			size_t got;

			uc_send_raw(&q, buf, len);
			got = uc_recv(&q, r.hdr.request_id, &rep, 5000);
			assert_true(got > 0 && got <= SENT_DATAGRAM_DEFAULT);
		}
		assert_int_equal(rep.hdr.status, SENT_S_OK);
		if (cursor == 0) {
			assert_int_equal(rep.nfeatures, 1);
			assert_int_equal(rep.features[0].in_use, 40);
		}
		seen += rep.nclients;
		assert_true(rep.next == 0 || rep.next > cursor);
		cursor = rep.next;
		pages++;
	} while (cursor != 0 && pages < 100);
	assert_true(pages > 1);
	assert_int_equal(seen, 40);
	assert_int_equal(uc_handle_verb(&u, SENT_V_BYE, 0), SENT_S_OK);
	uc_close(&u);
	uc_close(&q);
}

/* Without a site key, a reply is never larger than its request. */
static void
test_amplification(void **state)
{
	struct sent_request r;
	struct uc u;
	uint8_t buf[SENT_DATAGRAM_DEFAULT];
	size_t len, got;

	uc_open(&u, d.sport, 0);
	sh_req_init(&r, SENT_V_QUERY);
	len = uc_encode(&u, &r, buf, sizeof(buf), 0, sh_now_ms());
	uc_send_raw(&u, buf, len);
	got = uc_recv(&u, r.hdr.request_id, &rep, 5000);
	assert_true(got > 0 && got <= len);
	assert_int_equal(rep.hdr.status, SENT_S_ERROR);
	assert_int_equal(rep.hdr.reason, SENT_E_PAD);

	/* A small REQUEST: granted, but told to pad; padded, the same
	 * request id gets the grant, and only one was made. */
	sh_req_init(&r, SENT_V_REQUEST);
	snprintf(r.feature, sizeof(r.feature), "sim");
	len = uc_encode(&u, &r, buf, sizeof(buf), 0, sh_now_ms());
	uc_send_raw(&u, buf, len);
	got = uc_recv(&u, r.hdr.request_id, &rep, 5000);
	assert_true(got > 0 && got <= len);
	assert_int_equal(rep.hdr.reason, SENT_E_PAD);
	len = uc_encode(&u, &r, buf, sizeof(buf), 256, sh_now_ms());
	uc_send_raw(&u, buf, len);
	got = uc_recv(&u, r.hdr.request_id, &rep, 5000);
	assert_true(got > 0 && got <= len);
	assert_int_equal(rep.hdr.status, SENT_S_OK);
	assert_int_equal(h_in_use(d.port, "sim"), 1);
	assert_int_equal(uc_handle_verb(&u, SENT_V_BYE, 0), SENT_S_OK);
	uc_close(&u);
}

static void
test_bad_datagrams(void **state)
{
	struct sent_request r;
	struct uc u;
	uint8_t buf[4096];
	size_t len, got;

	uc_open(&u, d.sport, 0);
	/* Truncated: the header promises more body than came. */
	sh_req_init(&r, SENT_V_REQUEST);
	snprintf(r.feature, sizeof(r.feature), "cad");
	len = uc_encode(&u, &r, buf, sizeof(buf), 0, sh_now_ms());
	uc_send_raw(&u, buf, len - 3);
	got = uc_recv(&u, r.hdr.request_id, &rep, 5000);
	assert_int_equal(got, SENT_HEADER_LEN);
	assert_int_equal(rep.hdr.status, SENT_S_ERROR);
	assert_int_equal(rep.hdr.reason, SENT_E_MALFORMED);

	/* Over max-datagram: too-big, header only. */
	sh_req_init(&r, SENT_V_REQUEST);
	snprintf(r.feature, sizeof(r.feature), "cad");
	len = uc_encode(&u, &r, buf, sizeof(buf), 2000, sh_now_ms());
	uc_send_raw(&u, buf, len);
	got = uc_recv(&u, r.hdr.request_id, &rep, 5000);
	assert_int_equal(got, SENT_HEADER_LEN);
	assert_int_equal(rep.hdr.reason, SENT_E_TOO_BIG);

	/* Unknown verb and bad field: errors with their codes. */
	sh_req_init(&r, SENT_V_BYE);
	len = uc_encode(&u, &r, buf, sizeof(buf), 64, sh_now_ms());
	buf[3] = 42;
	uc_send_raw(&u, buf, len);
	assert_true(uc_recv(&u, r.hdr.request_id, &rep, 5000) > 0);
	assert_int_equal(rep.hdr.reason, SENT_E_VERB);

	/* Not ours at all: no answer.  Then the daemon still serves. */
	memset(buf, 'x', 100);
	uc_send_raw(&u, buf, 100);
	uc_send_raw(&u, buf, 1);
	assert_int_equal(uc_request(&u, "cad", "alice", 1, 0, NULL), SENT_S_OK);
	assert_int_equal(uc_handle_verb(&u, SENT_V_BYE, 0), SENT_S_OK);
	assert_int_equal(h_in_use(d.port, "cad"), 0);
	uc_close(&u);
}

/* One source address gets sentinel.rate datagrams a second (bursts of
 * twice that); the rest are dropped, and it is served again later. */
static void
test_rate_limit(void **state)
{
	struct sent_request r;
	struct h_licd k;
	struct uc u;
	uint8_t buf[SENT_DATAGRAM_DEFAULT];
	size_t len;
	int i, answered;

	h_licd_init(&k, license, NULL,
	    "sentinel = { address = \"127.0.0.1\"; rate = 1; };");
	h_licd_start(&k);
	uc_open(&u, k.sport, 0);
	/* Served once, so the socket is surely there. */
	uc_feature(&u, "cad");
	sh_req_init(&r, SENT_V_QUERY);
	snprintf(r.feature, sizeof(r.feature), "cad");
	for (i = 0; i < 20; i++) {
		r.hdr.request_id = sh_rnd64();
		len = uc_encode(&u, &r, buf, sizeof(buf), 512, sh_now_ms());
		uc_send_raw(&u, buf, len);
	}
	answered = uc_drain(&u, 2000);
	assert_true(answered >= 1 && answered < 20);
	/* The bucket fills again. */
	assert_int_equal(H_WAIT(({
		r.hdr.request_id = sh_rnd64();
		len = uc_encode(&u, &r, buf, sizeof(buf), 512, sh_now_ms());
		uc_send_raw(&u, buf, len);
		uc_recv(&u, r.hdr.request_id, &rep, 200) > 0;
	}),
			     10000),
	    1);
	uc_close(&u);
	h_licd_stop(&k);
	h_licd_cleanup(&k);
}

static void
test_ipv6(void **state)
{
	struct h_licd d6;
	struct uc u;

	/* The port comes from --sentinel-port (d6.sport). */
	h_licd_init(&d6, license, NULL, "sentinel = { address = \"::1\"; };");
	h_licd_start(&d6);
	uc_open(&u, d6.sport, 1);
	assert_int_equal(uc_request(&u, "cad", "alice", 1, 0, NULL), SENT_S_OK);
	assert_int_equal(h_in_use(d6.port, "cad"), 1);
	uc_close(&u);
	h_licd_stop(&d6);
	h_licd_cleanup(&d6);
}

/* With a site key: only datagrams signed with it, fresh and not seen
 * before, are served; the rest get no reply at all. */
static void
test_site_key(void **state)
{
	struct sent_request r;
	struct h_licd k;
	struct uc u;
	uint8_t buf[SENT_DATAGRAM_DEFAULT], copy[SENT_DATAGRAM_DEFAULT];
	char path[400], extra[256];
	uint64_t h;
	size_t len;
	int http = h_unused_port();

	/* The key file is found next to licd.conf. */
	snprintf(extra, sizeof(extra),
	    "sentinel = { address = \"127.0.0.1\"; "
	    "site-key-file = \"site.key\"; };\nhttp = \"127.0.0.1:%d\";",
	    http);
	h_licd_init(&k, license, NULL, extra);
	snprintf(path, sizeof(path), "%s/site.key", k.dir);
	h_write(path, KEY "\n");
	h_licd_start(&k);
	uc_open(&u, k.sport, 0);
	/* A signed QUERY first: the server is up before anything is sent
	 * that must go unanswered. */
	u.key = (const uint8_t *)KEY;
	u.keylen = strlen(KEY);
	uc_feature(&u, "cad");
	u.key = NULL;

	/* Unsigned: dropped. */
	sh_req_init(&r, SENT_V_REQUEST);
	snprintf(r.feature, sizeof(r.feature), "cad");
	len = uc_encode(&u, &r, buf, sizeof(buf), 512, sh_now_ms());
	uc_send_raw(&u, buf, len);
	assert_int_equal(uc_recv(&u, r.hdr.request_id, &rep, 700), 0);

	/* Signed with another key: dropped. */
	u.key = (const uint8_t *)"not-the-site-key-at-all";
	u.keylen = strlen((const char *)u.key);
	len = uc_encode(&u, &r, buf, sizeof(buf), 512, sh_now_ms());
	uc_send_raw(&u, buf, len);
	u.key = NULL;
	assert_int_equal(uc_recv(&u, r.hdr.request_id, &rep, 700), 0);

	/* Stale timestamp (a minute old): dropped. */
	u.key = (const uint8_t *)KEY;
	u.keylen = strlen(KEY);
	len = uc_encode(&u, &r, buf, sizeof(buf), 512, sh_now_ms() - 60000);
	uc_send_raw(&u, buf, len);
	assert_int_equal(uc_recv(&u, r.hdr.request_id, &rep, 700), 0);

	/* Altered after signing: dropped. */
	len = uc_encode(&u, &r, buf, sizeof(buf), 512, sh_now_ms());
	memcpy(copy, buf, len);
	copy[SENT_HEADER_LEN + 8] ^= 0x01; /* "feature=cad" -> "feature=bad" */
	uc_send_raw(&u, copy, len);
	assert_int_equal(uc_recv(&u, r.hdr.request_id, &rep, 700), 0);
	assert_int_equal(h_in_use(k.port, "cad"), 0);

	/* The genuine datagram: served, and the reply is signed. */
	uc_send_raw(&u, buf, len);
	assert_true(uc_recv(&u, r.hdr.request_id, &rep, 5000) > 0);
	assert_int_equal(rep.hdr.status, SENT_S_OK);
	h = rep.handle;

	/* Replayed byte for byte: dropped. */
	uc_send_raw(&u, buf, len);
	assert_int_equal(uc_recv(&u, r.hdr.request_id, &rep, 700), 0);

	/* Re-sent properly (same id, fresh signature): the same grant. */
	len = uc_encode(&u, &r, buf, sizeof(buf), 0, sh_now_ms() + 1);
	uc_send_raw(&u, buf, len);
	assert_true(uc_recv(&u, r.hdr.request_id, &rep, 5000) > 0);
	assert_true(rep.handle == h);
	assert_int_equal(h_in_use(k.port, "cad"), 1);

	/* A signed QUERY may have a larger reply than itself. */
	sh_req_init(&r, SENT_V_QUERY);
	len = uc_encode(&u, &r, buf, sizeof(buf), 0, sh_now_ms());
	uc_send_raw(&u, buf, len);
	assert_true(uc_recv(&u, r.hdr.request_id, &rep, 5000) > len);
	assert_int_equal(rep.hdr.status, SENT_S_OK);

	/* Each drop is counted by why. */
	assert_non_null(strstr(http_get(http, "/metrics"),
	    "licd_sentinel_dropped_total{reason=\"auth\"} 3"));
	assert_non_null(strstr(http_get(http, "/metrics"),
	    "licd_sentinel_dropped_total{reason=\"replay\"} 2"));

	uc_close(&u);
	h_licd_stop(&k);
	h_licd_cleanup(&k);
}

/*
 * A full disk under the state directory (a 1 MiB tmpfs in a private mount
 * namespace: root only, skipped otherwise): while the journal cannot
 * commit, REQUEST and COMMUTE get ERROR internal and nothing changes;
 * once space returns they are granted again.
 */
static void
test_disk_full(void **state)
{
	static char block[4096];
	struct h_licd k;
	struct h_conn c;
	struct uc u;
	struct sent_request r;
	char dir[300], filler[320], req[64], reply[512];
	uint64_t h;
	int fd;

	h_licd_init_tmpfs(&k, license, "test_sentinel: disk full", dir,
	    sizeof(dir), filler, sizeof(filler));
	h_licd_start(&k);
	uc_open(&u, k.sport, 0);
	assert_int_equal(uc_request(&u, "many", "alice", 1, 0, &h), SENT_S_OK);

	/* The disk fills; a flex checkout's commit fails, and the journal
	 * is known to be failing. */
	fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) > 0)
		continue;
	close(fd);
	h_connect(&c, k.port);
	h_hello(&c, "bob", "ws-bob");
	snprintf(req, sizeof(req), "b1 CHECKOUT feature=many count=1\n");
	assert_int_equal(write(c.fd, req, strlen(req)), (ssize_t)strlen(req));
	assert_true(H_WAIT(log_has_in(&k, "journal: cannot commit"), 10000));

	/* A UDP request now: refused, clearly, and nothing granted. */
	assert_int_equal(
	    uc_request(&u, "many", "carol", 1, 0, NULL), SENT_S_ERROR);
	assert_int_equal(rep.hdr.reason, SENT_E_INTERNAL);
	sh_req_init(&r, SENT_V_COMMUTE);
	snprintf(r.feature, sizeof(r.feature), "many");
	snprintf(r.user, sizeof(r.user), "carol");
	snprintf(r.host, sizeof(r.host), "ws-carol");
	r.days = 1;
	uc_call(&u, &r, &rep);
	assert_int_equal(rep.hdr.status, SENT_S_ERROR);
	assert_int_equal(rep.hdr.reason, SENT_E_INTERNAL);

	/* Space returns: granted again, and bob's held reply goes out. */
	assert_int_equal(unlink(filler), 0);
	assert_true(h_wait_line(&c, "b1 OK", reply, sizeof(reply), 10000));
	assert_true(H_WAIT(log_has_in(&k, "journal: committing again"), 10000));
	assert_int_equal(uc_request(&u, "many", "carol", 1, 0, &h), SENT_S_OK);
	assert_true(h != 0);
	h_close(&c);
	uc_close(&u);
	assert_int_equal(h_licd_stop(&k), 0);
	umount(dir);
	h_licd_cleanup(&k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shared_pool),
	    cmocka_unit_test(test_duplicates_never_grant_twice),
	    cmocka_unit_test(test_lease),
	    cmocka_unit_test(test_restart_resume),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_sharing),
	    cmocka_unit_test(test_hold),
	    cmocka_unit_test(test_queue),
	    cmocka_unit_test(test_commuter),
	    cmocka_unit_test(test_query_pages),
	    cmocka_unit_test(test_amplification),
	    cmocka_unit_test(test_bad_datagrams),
	    cmocka_unit_test(test_rate_limit),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_site_key),
	    cmocka_unit_test(test_disk_full),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
