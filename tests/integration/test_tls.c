/*
 * TLS on the flex listeners: a "required" listener speaks only TLS and
 * takes only clients whose certificate chains to tls.client-ca; the user
 * and the unit charged come from the certificate, not from HELLO or the
 * request, and a unit certificate stands for its unit; the admin verbs are
 * taken from a certificate on tls.admins only, and journaled with its subject;
 * an "optional" listener serves TLS and plain text on one port.  The
 * certificates are made by the test with the openssl command.
 */
#include <setjmp.h>
#include <errno.h>
#include <poll.h>
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
#include <openssl/ssl.h>

#include "harness.h"
#include "licd.h"

static const char license[] =
    "VENDOR demo\n"
    "FEATURE solver demo 2.0 permanent 4 0\n"
    "FEATURE matlab demo 1.0 permanent 10 0\n"
    "FEATURE origin demo 1.0 permanent 10 0\n"
    "FEATURE labview demo 1.0 permanent 10 0\n"
    "FEATURE sketch demo 1.0 permanent 2 0 BORROW=1\n";

struct tls_env {
	struct h_licd d;
	char pki[300];
	int port_req; /* tls = "required" */
	int port_opt; /* tls = "optional" */
	int port_http; /* http-tls = "required" */
	int port_kms; /* kms.tls = "required" */
};

static void sh(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	assert_int_equal(rc, 0);
}

/* A CA called name, and a certificate signed by it for subject (with
 * the SAN, when not NULL). */
static void
make_ca(const char *dir, const char *name)
{
	sh("cd %s && openssl req -x509 -newkey ec -pkeyopt "
	   "ec_paramgen_curve:P-256 -nodes -keyout %s.key -out %s.pem "
	   "-days 2 -subj /CN=%s 2>/dev/null",
	    dir, name, name, name);
}

static void
make_cert(const char *dir, const char *ca, const char *name,
    const char *subject, const char *san)
{
	sh("cd %s && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	   "-nodes -keyout %s.key -out %s.csr -subj '%s' 2>/dev/null && "
	   "printf '%s' > %s.ext && "
	   "openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key "
	   "-CAcreateserial -out %s.pem -days 2 -extfile %s.ext 2>/dev/null",
	    dir, name, name, subject,
	    san != NULL ? san : "basicConstraints=CA:FALSE\n", name, name, ca,
	    ca, name, name);
}

/* tls_setup() with an options file, a units file (units.conf) and more
 * of licd.conf (NULL for none); unit certificates are taken with extra. */
static void
tls_setup_with(struct tls_env *e, const char *options, const char *units,
    const char *extra)
{
	char text[8192];

	h_licd_init(&e->d, license, options, NULL);
	if (units != NULL) {
		snprintf(text, sizeof(text), "%s/units.conf", e->d.dir);
		h_write(text, units);
	}
	snprintf(e->pki, sizeof(e->pki), "%s/pki", e->d.dir);
	sh("mkdir -p %s", e->pki);
	make_ca(e->pki, "ca");
	make_ca(e->pki, "rogue");
	make_cert(e->pki, "ca", "server", "/CN=localhost",
	    "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
	make_cert(e->pki, "ca", "alice", "/O=Uni/OU=physics/CN=alice", NULL);
	make_cert(e->pki, "ca", "boss", "/O=Uni/OU=it/CN=boss", NULL);
	make_cert(e->pki, "rogue", "mallory", "/OU=it/CN=boss", NULL);

	e->port_req = h_unused_port();
	do
		e->port_opt = h_unused_port();
	while (e->port_opt == e->port_req);
	do
		e->port_http = h_unused_port();
	while (e->port_http == e->port_req || e->port_http == e->port_opt);
	do
		e->port_kms = h_unused_port();
	while (e->port_kms == e->port_req || e->port_kms == e->port_opt ||
	    e->port_kms == e->port_http);
	snprintf(text, sizeof(text),
	    "state-dir = \"state\";\n"
	    "license-files = [ \"test.lic\" ];\n"
	    "listen = (\n"
	    "  { protocol = \"flex\"; address = \"127.0.0.1\"; port = %d; },\n"
	    "  { protocol = \"flex\"; address = \"127.0.0.1\"; port = %d;"
	    " tls = \"required\"; },\n"
	    "  { protocol = \"flex\"; address = \"127.0.0.1\"; port = %d;"
	    " tls = \"optional\"; }\n"
	    ");\n"
	    "log = { level = \"debug\"; };\n"
	    "http = \"127.0.0.1:%d\";\n"
	    "http-tls = \"required\";\n"
	    "kms = { port = %d; address = \"127.0.0.1\"; tls = \"required\";"
	    " products = ( { name = \"office\"; threshold-client = 1; } );"
	    " };\n"
	    "tls = {\n"
	    "  certificate = \"pki/server.pem\";\n"
	    "  key = \"pki/server.key\";\n"
	    "  client-ca = \"pki/ca.pem\";\n"
	    "  verify-client = \"required\";\n"
	    "  admins = [ \"CN=boss,OU=it\" ];\n"
	    "%s"
	    "};\n"
	    "%s%s",
	    e->d.port, e->port_req, e->port_opt, e->port_http, e->port_kms,
	    extra != NULL ? "  unit-principals = true;\n" : "",
	    options != NULL ? "options-file = \"test.opt\";\n" : "",
	    extra != NULL ? extra : "");
	h_write(e->d.conf, text);
	h_licd_start(&e->d);
}

static void
tls_setup(struct tls_env *e)
{
	tls_setup_with(e, NULL, NULL, NULL);
}

static struct licd_conn *
tls_connect(const struct tls_env *e, int port, const char *ca, const char *who,
    const char *claimed_user, char *err, size_t len)
{
	char servers[64], cafile[400], cert[400], key[400];
	struct licd_identity id = {.user = claimed_user, .host = "ws1"};
	struct licd_tls t = {0};

	snprintf(servers, sizeof(servers), "%d@127.0.0.1", port);
	snprintf(cafile, sizeof(cafile), "%s/%s.pem", e->pki, ca);
	t.ca = cafile;
	if (who != NULL) {
		snprintf(cert, sizeof(cert), "%s/%s.pem", e->pki, who);
		snprintf(key, sizeof(key), "%s/%s.key", e->pki, who);
		t.cert = cert;
		t.key = key;
	}
	return licd_connect_tls(servers, &id, &t, 3000, err, len);
}

/* The STATUS grant line of handle, through the plain listener. */
static void
grant_line(const struct tls_env *e, uint64_t handle, char *out, size_t len)
{
	static const char req[] = "t1 STATUS\n";
	static char buf[65536];
	struct h_conn c;
	char want[64], *p, *end;
	size_t used = 0;
	ssize_t n;

	out[0] = '\0';
	snprintf(want, sizeof(want), "handle=%llu", (unsigned long long)handle);
	h_connect(&c, e->d.port);
	assert_int_equal(
	    write(c.fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
	while (strstr(buf, "t1 OK") == NULL) {
		n = read(c.fd, buf + used, sizeof(buf) - 1 - used);
		assert_true(n > 0);
		used += (size_t)n;
		buf[used] = '\0';
	}
	p = strstr(buf, want);
	if (p != NULL) {
		while (p > buf && p[-1] != '\n')
			p--;
		end = strchr(p, '\n');
		snprintf(out, len, "%.*s", (int)(end - p), p);
	}
	buf[0] = '\0';
	h_close(&c);
}

/*
 * GET /metrics over TLS with who's certificate (NULL: none).  Returns the
 * status code, or 0 when the handshake or the connection failed.
 */
static int
https_get(const struct tls_env *e, const char *who)
{
	char path[400], key[400], buf[4096];
	struct h_conn c;
	SSL_CTX *ctx;
	SSL *ssl;
	int n, code = 0;

	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	snprintf(path, sizeof(path), "%s/ca.pem", e->pki);
	assert_int_equal(SSL_CTX_load_verify_locations(ctx, path, NULL), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (who != NULL) {
		snprintf(path, sizeof(path), "%s/%s.pem", e->pki, who);
		snprintf(key, sizeof(key), "%s/%s.key", e->pki, who);
		assert_int_equal(
		    SSL_CTX_use_certificate_file(ctx, path, SSL_FILETYPE_PEM),
		    1);
		assert_int_equal(
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM), 1);
	}
	h_connect(&c, e->port_http);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, c.fd);
	if (SSL_connect(ssl) == 1) {
		snprintf(buf, sizeof(buf),
		    "GET /metrics HTTP/1.1\r\nHost: x\r\n"
		    "Connection: close\r\n\r\n");
		SSL_write(ssl, buf, (int)strlen(buf));
		n = SSL_read(ssl, buf, sizeof(buf) - 1);
		if (n > 12) {
			buf[n] = '\0';
			code = atoi(buf + 9);
		}
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	h_close(&c);
	return code;
}

static void
test_required_listener(void **state)
{
	struct tls_env e;
	struct licd_conn *c;
	struct h_conn raw;
	char err[512], line[2048], out[65536];
	uint64_t h;
	int n;

	tls_setup(&e);

	/* A client certificate from the CA: served, and the user is the
	 * certificate's CN, whatever HELLO claims. */
	c = tls_connect(
	    &e, e.port_req, "ca", "alice", "mallory", err, sizeof(err));
	if (c == NULL)
		h_licd_dump_log(&e.d);
	assert_non_null(c);
	assert_int_equal(licd_checkout(c, "solver", NULL, 1, 0, 0, &h), 0);
	grant_line(&e, h, line, sizeof(line));
	assert_non_null(strstr(line, "user=alice"));
	assert_null(strstr(line, "mallory"));
	assert_int_equal(h_in_use(e.d.port, "solver"), 1);

	/* Not an admin: REMOVE is refused over TLS too. */
	assert_int_equal(licd_remove(c, h), -1);
	assert_int_equal(licd_error_code(c), 28);
	assert_int_equal(h_in_use(e.d.port, "solver"), 1);

	/* No client certificate, one from another CA, or a server
	 * certificate checked against the wrong CA: no connection. */
	assert_null(
	    tls_connect(&e, e.port_req, "ca", NULL, "bob", err, sizeof(err)));
	assert_null(tls_connect(
	    &e, e.port_req, "ca", "mallory", "bob", err, sizeof(err)));
	assert_null(tls_connect(
	    &e, e.port_req, "rogue", "alice", "bob", err, sizeof(err)));
	assert_non_null(strstr(err, "certificate"));

	/* TLS to the plain-text port: refused at once, not left to time
	 * out. */
	assert_null(tls_connect(
	    &e, e.d.port, "ca", "alice", "alice", err, sizeof(err)));

	/* The HTTP views over TLS, with a client certificate only. */
	assert_int_equal(https_get(&e, "alice"), 200);
	assert_int_equal(https_get(&e, NULL), 0);
	h_connect(&raw, e.port_http);
	n = (int)write(raw.fd, "GET /metrics HTTP/1.0\r\n\r\n", 26);
	assert_int_equal(n, 26);
	assert_false(
	    h_wait_line(&raw, "HTTP/1.1 200", line, sizeof(line), 1000));
	h_close(&raw);

	/* Plain text on the TLS port gets no service. */
	h_connect(&raw, e.port_req);
	n = (int)write(raw.fd, "t1 HELLO user=x host=y\n", 23);
	assert_int_equal(n, 23);
	assert_false(h_wait_line(&raw, "t1 OK", line, sizeof(line), 1000));
	h_close(&raw);

	/* The admin certificate may remove, and the journal says who. */
	{
		struct licd_conn *a;
		char dir[300];

		a = tls_connect(
		    &e, e.port_req, "ca", "boss", "root", err, sizeof(err));
		assert_non_null(a);
		assert_int_equal(licd_remove(a, h), 1);
		licd_close(a);
		assert_int_equal(h_in_use(e.d.port, "solver"), 0);
		snprintf(dir, sizeof(dir), "%s/state", e.d.dir);
		assert_int_equal(h_licctl(out, sizeof(out), "journal", "show",
				     "--state-dir", dir, (char *)NULL),
		    0);
		assert_non_null(strstr(out, "CN=boss"));
		assert_int_equal(h_licctl(out, sizeof(out), "journal", "verify",
				     "--state-dir", dir, (char *)NULL),
		    0);
	}
	licd_close(c);

	assert_int_equal(h_licd_stop(&e.d), 0);
	h_licd_cleanup(&e.d);
}

/* Reads until the peer closes; 1 when it did within ms. */
static int
peer_closes_within(int fd, int ms)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	char buf[4096];
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, ms) <= 0)
			return 0;
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return 1;
		if (n == -1)
			return 0;
	}
}

/*
 * A handshake begun and left hanging, on the required and on the
 * optional listener, is cut off at limits.handshake-timeout; a session
 * whose handshake finished is then held to the idle timeout only.
 */
static void
test_handshake_stall(void **state)
{
	static const char hello_start[] = {0x16, 0x03, 0x01};
	struct tls_env e;
	struct licd_conn *c;
	struct h_conn req, opt;
	char err[512];
	uint64_t h;

	tls_setup_with(
	    &e, NULL, NULL, "limits = { handshake-timeout = 1; };\n");
	c = tls_connect(
	    &e, e.port_req, "ca", "alice", "alice", err, sizeof(err));
	assert_non_null(c);

	h_connect(&req, e.port_req);
	h_connect(&opt, e.port_opt);
	assert_int_equal(write(req.fd, hello_start, sizeof(hello_start)),
	    (ssize_t)sizeof(hello_start));
	assert_int_equal(write(opt.fd, hello_start, sizeof(hello_start)),
	    (ssize_t)sizeof(hello_start));
	assert_true(peer_closes_within(req.fd, 5000));
	assert_true(peer_closes_within(opt.fd, 5000));
	assert_true(
	    H_WAIT(h_log_count(&e.d, "handshake timeout, closing"), 5000));
	assert_true(h_log_count(&e.d, "tls=1 seconds=1"));
	h_close(&req);
	h_close(&opt);

	/* Twice the handshake timeout after its handshake: still served. */
	h_sleep_ms(2500);
	assert_int_equal(licd_checkout(c, "solver", NULL, 1, 0, 0, &h), 0);
	licd_close(c);
	assert_int_equal(h_licd_stop(&e.d), 0);
	h_licd_cleanup(&e.d);
}

/* The KMS client over TLS, its settings from the environment; the unit
 * recorded is the certificate's, not the one the request claims. */
static void
test_kms_over_tls(void **state)
{
	struct licd_kms_request r = {.product = "office",
	    .machine_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
	    .host = "ws1",
	    .unit = "chemistry"};
	struct licd_kms_reply reply;
	struct tls_env e;
	char servers[64], ca[400], cert[400], key[400], err[512];

	tls_setup(&e);
	snprintf(servers, sizeof(servers), "%d@127.0.0.1", e.port_kms);
	snprintf(ca, sizeof(ca), "%s/ca.pem", e.pki);
	snprintf(cert, sizeof(cert), "%s/alice.pem", e.pki);
	snprintf(key, sizeof(key), "%s/alice.key", e.pki);

	/* Plain text to a TLS-only KMS listener: no answer. */
	assert_int_equal(
	    licd_kms_activate(servers, &r, 2000, &reply, err, sizeof(err)), -1);

	setenv("LICD_TLS_CA", ca, 1);
	setenv("LICD_TLS_CERT", cert, 1);
	setenv("LICD_TLS_KEY", key, 1);
	if (licd_kms_activate(servers, &r, 5000, &reply, err, sizeof(err)) !=
	    0) {
		h_licd_dump_log(&e.d);
		fail_msg("activate over TLS: %s", err);
	}
	assert_int_equal(reply.result, 0);
	assert_string_equal(reply.unit, "physics");
	assert_int_equal(reply.activated, 1);
	assert_string_equal(reply.activation.unit, "physics");

	/* Without a client certificate: refused by the handshake. */
	unsetenv("LICD_TLS_CERT");
	unsetenv("LICD_TLS_KEY");
	assert_int_equal(
	    licd_kms_activate(servers, &r, 5000, &reply, err, sizeof(err)), -1);
	unsetenv("LICD_TLS_CA");

	assert_int_equal(h_licd_stop(&e.d), 0);
	h_licd_cleanup(&e.d);
}

static void
test_optional_listener_and_licctl(void **state)
{
	int reads;
	struct tls_env e;
	struct licd_conn *c;
	struct h_conn raw;
	char err[512], line[2048], out[65536], servers[64], ca[400], cert[400],
	    key[400];
	uint64_t h;

	tls_setup(&e);

	/* Plain text on the optional port. */
	h_connect(&raw, e.port_opt);
	h_hello(&raw, "carol", "ws3");
	assert_true(h_checkout(&raw, "solver", 1, NULL, 0) != 0);

	/* A first byte that promises a handshake, then junk: the
	 * handshake fails and the connection is closed; others go on. */
	{
		struct h_conn junk;
		char buf[256];
		ssize_t n;

		h_connect(&junk, e.port_opt);
		assert_int_equal(
		    write(junk.fd, "\x16\x03\x01\x00\x05junkjunkjunk\n", 18),
		    18);
		do
			n = read(junk.fd, buf, sizeof(buf));
		while (n > 0);
		assert_true(n == 0 || n == -1);
		h_close(&junk);
	}

	/* And TLS on the same port. */
	c = tls_connect(
	    &e, e.port_opt, "ca", "alice", "alice", err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(licd_checkout(c, "solver", NULL, 1, 0, 0, &h), 0);
	assert_int_equal(h_in_use(e.d.port, "solver"), 2);
	licd_close(c);
	h_close(&raw);
	assert_true(H_WAIT(h_in_use(e.d.port, "solver") == 0, 5000));

	/* licctl's TLS flags. */
	snprintf(servers, sizeof(servers), "%d@127.0.0.1", e.port_req);
	snprintf(ca, sizeof(ca), "%s/ca.pem", e.pki);
	snprintf(cert, sizeof(cert), "%s/alice.pem", e.pki);
	snprintf(key, sizeof(key), "%s/alice.key", e.pki);
	assert_int_equal(
	    h_licctl(out, sizeof(out), "--ca", ca, "--cert", cert, "--key", key,
		"stat", "-c", servers, "-a", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "solver"));
	/* Without a client certificate the server turns licctl away. */
	assert_true(h_licctl(out, sizeof(out), "--ca", ca, "stat", "-c",
			servers, "-a", (char *)NULL) != 0);

	/* An admin over TLS with licctl: reread by the boss. */
	snprintf(cert, sizeof(cert), "%s/boss.pem", e.pki);
	snprintf(key, sizeof(key), "%s/boss.key", e.pki);
	assert_int_equal(
	    h_licctl(out, sizeof(out), "--ca", ca, "--cert", cert, "--key", key,
		"--admin-server", servers, "reread", (char *)NULL),
	    0);
	snprintf(line, sizeof(line), "%s/state", e.d.dir);
	assert_int_equal(h_licctl(out, sizeof(out), "journal", "show",
			     "--state-dir", line, (char *)NULL),
	    0);
	assert_non_null(strstr(out, "reread by cert="));

	/* SIGHUP with the certificate replaced: new connections get the
	 * new one (signed by the same CA), and are served. */
	make_cert(e.pki, "ca", "server", "/CN=localhost",
	    "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
	kill(e.d.pid, SIGHUP);
	h_sleep_ms(300);
	c = tls_connect(
	    &e, e.port_req, "ca", "alice", "alice", err, sizeof(err));
	assert_non_null(c);
	licd_close(c);

	/* A reload that the core refuses (a date it cannot read) leaves
	 * the running certificate too: a certificate from another CA,
	 * read with it, is not taken. */
	make_cert(e.pki, "rogue", "server", "/CN=localhost",
	    "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
	reads = h_log_count(&e.d, "read again");
	h_write(e.d.lic,
	    "VENDOR demo\n"
	    "FEATURE solver demo 2.0 permanent 5 0 SUPERSEDE "
	    "ISSUED=someday\n");
	kill(e.d.pid, SIGHUP);
	assert_true(H_WAIT(h_log_count(&e.d, "reload refused") == 1, 5000));
	c = tls_connect(
	    &e, e.port_req, "ca", "alice", "alice", err, sizeof(err));
	if (c == NULL) {
		h_licd_dump_log(&e.d);
		fail_msg("the refused reload changed the certificate: %s", err);
	}
	licd_close(c);
	/* With the licence file mended, the next reload takes it. */
	h_write(e.d.lic, license);
	kill(e.d.pid, SIGHUP);
	assert_true(H_WAIT(h_log_count(&e.d, "read again") == reads + 1, 5000));
	assert_null(tls_connect(
	    &e, e.port_req, "ca", "alice", "alice", err, sizeof(err)));

	assert_int_equal(h_licd_stop(&e.d), 0);
	h_licd_cleanup(&e.d);
}

/* A flex session over TLS with who's certificate, spoken line by line. */
struct tls_raw {
	struct h_conn c;
	SSL_CTX *ctx;
	SSL *ssl;
	char buf[8192];
	size_t len;
};

static void
raw_open(struct tls_raw *r, const struct tls_env *e, const char *who)
{
	char path[400], key[400];

	memset(r, 0, sizeof(*r));
	r->ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(r->ctx);
	snprintf(path, sizeof(path), "%s/ca.pem", e->pki);
	assert_int_equal(SSL_CTX_load_verify_locations(r->ctx, path, NULL), 1);
	SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, NULL);
	snprintf(path, sizeof(path), "%s/%s.pem", e->pki, who);
	snprintf(key, sizeof(key), "%s/%s.key", e->pki, who);
	assert_int_equal(
	    SSL_CTX_use_certificate_file(r->ctx, path, SSL_FILETYPE_PEM), 1);
	assert_int_equal(
	    SSL_CTX_use_PrivateKey_file(r->ctx, key, SSL_FILETYPE_PEM), 1);
	h_connect(&r->c, e->port_req);
	r->ssl = SSL_new(r->ctx);
	assert_non_null(r->ssl);
	SSL_set_fd(r->ssl, r->c.fd);
	assert_int_equal(SSL_connect(r->ssl), 1);
}

/* Sends line (with its newline) and returns the reply line tagged tag
 * (without the newline) in out. */
static void
raw_ask(
    struct tls_raw *r, const char *line, const char *tag, char *out, size_t len)
{
	char want[32], *p, *nl;
	int n;

	n = (int)strlen(line);
	assert_int_equal(SSL_write(r->ssl, line, n), n);
	snprintf(want, sizeof(want), "%s ", tag);
	for (;;) {
		r->buf[r->len] = '\0';
		while ((nl = strchr(r->buf, '\n')) != NULL) {
			*nl = '\0';
			p = r->buf;
			if (strncmp(p, want, strlen(want)) == 0)
				snprintf(out, len, "%s", p);
			r->len -= (size_t)(nl + 1 - r->buf);
			memmove(r->buf, nl + 1, r->len + 1);
			if (strncmp(out, want, strlen(want)) == 0)
				return;
		}
		n = SSL_read(r->ssl, r->buf + r->len,
		    (int)(sizeof(r->buf) - 1 - r->len));
		assert_true(n > 0);
		r->len += (size_t)n;
	}
}

static void
raw_close(struct tls_raw *r)
{
	SSL_free(r->ssl);
	SSL_CTX_free(r->ctx);
	h_close(&r->c);
}

/* One request (tagged c1) over TLS by who, after a HELLO that claims
 * user mallory; the reply line in out. */
static void
cert_ask(const struct tls_env *e, const char *who, const char *request,
    char *out, size_t len)
{
	struct tls_raw r;
	char line[256];

	out[0] = '\0';
	raw_open(&r, e, who);
	raw_ask(
	    &r, "h1 HELLO user=mallory host=ws1\n", "h1", line, sizeof(line));
	assert_non_null(strstr(line, "h1 OK"));
	raw_ask(&r, request, "c1", out, len);
	raw_close(&r);
}

/* One CHECKOUT by who, declaring unit claimed (NULL: none). */
static void
cert_checkout(const struct tls_env *e, const char *who, const char *feature,
    const char *claimed, char *out, size_t len)
{
	char line[256];

	snprintf(line, sizeof(line), "c1 CHECKOUT feature=%s%s%s\n", feature,
	    claimed != NULL ? " unit=" : "", claimed != NULL ? claimed : "");
	cert_ask(e, who, line, out, len);
}

/*
 * The unit comes from the certificate: a person's certificate is charged
 * to its OU whatever the client declares and whatever the options file's
 * GROUP says, and under a directory rule the OU must be one of the
 * person's units; a unit certificate (OU and no CN, or CN equal to the
 * OU) is charged to its unit and passes "units" products, not "members"
 * ones; a certificate that names nobody is refused.
 */
static void
test_certificate_units(void **state)
{
	struct tls_env e;
	char out[1024], line[256], journal[65536], dir[300];

	tls_setup_with(&e, "GROUP chemistry alice dave\nGROUP physics alice\n",
	    "physics CC-1 Physics\nchemistry CC-2 Chemistry\n"
	    "biology CC-3 Biology\n",
	    "identity = {\n"
	    "  providers = [ \"static\" ];\n"
	    "  units-file = \"units.conf\";\n"
	    "  static-status = \"staff\";\n"
	    "  products = (\n"
	    "    { feature = \"matlab\"; },\n"
	    "    { feature = \"origin\"; audience = \"members\"; },\n"
	    "    { feature = \"labview\"; audience = \"units\"; }\n"
	    "  );\n"
	    "};\n");
	make_cert(e.pki, "ca", "dave", "/O=Uni/OU=physics/CN=dave", NULL);
	make_cert(e.pki, "ca", "chemlab", "/O=Uni/OU=chemistry", NULL);
	make_cert(
	    e.pki, "ca", "chemcn", "/O=Uni/OU=chemistry/CN=chemistry", NULL);
	make_cert(e.pki, "ca", "nobody", "/O=Uni", NULL);

	/* alice's certificate says physics; her first GROUP is chemistry
	 * and she claims chemistry (or biology, not hers): physics pays,
	 * with and without a directory rule. */
	cert_checkout(&e, "alice", "solver", "chemistry", out, sizeof(out));
	if (strstr(out, "c1 OK") == NULL)
		h_licd_dump_log(&e.d);
	assert_non_null(strstr(out, "c1 OK"));
	assert_non_null(strstr(out, " unit=physics"));
	cert_checkout(&e, "alice", "solver", NULL, out, sizeof(out));
	assert_non_null(strstr(out, " unit=physics"));
	cert_checkout(&e, "alice", "matlab", "biology", out, sizeof(out));
	assert_non_null(strstr(out, "c1 OK"));
	assert_non_null(strstr(out, " unit=physics"));

	/* dave's certificate says physics, the directory knows him in
	 * chemistry only: refused under a rule, charged without one. */
	cert_checkout(&e, "dave", "matlab", NULL, out, sizeof(out));
	assert_non_null(strstr(out, "reason=not-unit-member"));
	cert_checkout(&e, "dave", "solver", NULL, out, sizeof(out));
	assert_non_null(strstr(out, " unit=physics"));

	/* A unit certificate: charged to its unit, no person looked up;
	 * "both" and "units" products take it, "members" ones do not. */
	cert_checkout(&e, "chemlab", "solver", "physics", out, sizeof(out));
	assert_non_null(strstr(out, "c1 OK"));
	assert_non_null(strstr(out, " unit=chemistry"));
	cert_checkout(&e, "chemlab", "labview", NULL, out, sizeof(out));
	assert_non_null(strstr(out, "c1 OK"));
	assert_non_null(strstr(out, " unit=chemistry"));
	cert_checkout(&e, "chemlab", "matlab", NULL, out, sizeof(out));
	assert_non_null(strstr(out, " unit=chemistry"));
	cert_checkout(&e, "chemlab", "origin", NULL, out, sizeof(out));
	assert_non_null(strstr(out, "reason=not-eligible"));
	cert_checkout(&e, "chemcn", "labview", NULL, out, sizeof(out));
	assert_non_null(strstr(out, " unit=chemistry"));
	/* A person's certificate is not a unit's. */
	cert_checkout(&e, "alice", "labview", NULL, out, sizeof(out));
	assert_non_null(strstr(out, "reason=not-eligible"));

	/* A borrow is charged the same way, and outlives the
	 * connection. */
	snprintf(line, sizeof(line),
	    "c1 BORROW feature=sketch unit=physics until_ms=%lld\n",
	    (long long)time(NULL) * 1000 + 1800 * 1000);
	cert_ask(&e, "chemlab", line, out, sizeof(out));
	assert_non_null(strstr(out, "c1 OK"));
	assert_non_null(strstr(out, " unit=chemistry"));
	assert_int_equal(h_in_use(e.d.port, "sketch"), 1);

	/* A certificate of no user and no unit says nobody. */
	cert_checkout(&e, "nobody", "solver", NULL, out, sizeof(out));
	assert_non_null(strstr(out, "code=28"));
	snprintf(line, sizeof(line), "c1 BORROW feature=sketch until_ms=%lld\n",
	    (long long)time(NULL) * 1000 + 1800 * 1000);
	cert_ask(&e, "nobody", line, out, sizeof(out));
	assert_non_null(strstr(out, "code=28"));
	assert_int_equal(h_in_use(e.d.port, "sketch"), 1);

	/* The journal charges what the replies said. */
	snprintf(dir, sizeof(dir), "%s/state", e.d.dir);
	assert_int_equal(h_licctl(journal, sizeof(journal), "journal", "show",
			     "--state-dir", dir, (char *)NULL),
	    0);
	assert_non_null(strstr(journal,
	    "checkout flex feature=solver version=2.0 count=1 "
	    "unit=physics user=alice "));
	assert_non_null(strstr(journal,
	    "checkout flex feature=matlab version=1.0 count=1 "
	    "unit=physics user=alice "));
	assert_non_null(strstr(journal,
	    "checkout flex feature=labview version=1.0 count=1 "
	    "unit=chemistry user=chemistry "));
	assert_non_null(strstr(journal,
	    "deny flex feature=origin count=1 "
	    "user=chemistry host=ws1 "));
	assert_non_null(strstr(journal,
	    "checkout flex feature=sketch version=1.0 count=1 "
	    "unit=chemistry user=chemistry "));
	assert_null(strstr(journal, "unit=chemistry user=alice"));
	assert_null(strstr(journal, "unit=physics user=chemistry"));
	assert_null(strstr(journal, "mallory"));

	assert_int_equal(h_licd_stop(&e.d), 0);
	h_licd_cleanup(&e.d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_required_listener),
	    cmocka_unit_test(test_optional_listener_and_licctl),
	    cmocka_unit_test(test_kms_over_tls),
	    cmocka_unit_test(test_certificate_units),
	    cmocka_unit_test(test_handshake_stall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
