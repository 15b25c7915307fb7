/*
 * Identity and eligibility against a real directory: Debian's slapd with
 * a temporary configuration, the test schema and the people of
 * tests/data/identity/people.ldif (eduPerson and Oxford styles).  Skipped
 * (77) only when slapd is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "licd.h"

#define SLAPD "/usr/sbin/slapd"
#define SLAPADD "/usr/sbin/slapadd"

static const char license[] = "VENDOR demo\n"
			      "FEATURE matlab demo 1.0 permanent 10 0\n"
			      "FEATURE origin demo 1.0 permanent 10 0\n"
			      "FEATURE labview demo 1.0 permanent 10 0\n"
			      "FEATURE plain demo 1.0 permanent 10 0\n"
			      "FEATURE solid demo 1.0 permanent 10 0\n";

/* The lab machines stand for the chemistry department. */
static const char options[] = "HOST_GROUP chem lab-*\n";

struct slapd {
	char dir[256];
	int port;
	int tls_port; /* ldaps://, when started with TLS */
	char cert[300]; /* its self-signed certificate */
	pid_t pid;
};

static const char *
data_dir(void)
{
	static char buf[1024];
	const char *src = getenv("LICD_SOURCE_DIR");

	snprintf(buf, sizeof(buf), "%s/tests/data/identity", src ? src : ".");
	return buf;
}

/* slapadd -f conf -l ldif, quietly; returns its exit status. */
static int
slapadd(const char *conf, const char *ldif)
{
	pid_t pid;
	int st, fd;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(SLAPADD, "slapadd", "-f", conf, "-l", ldif, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
port_open(int port)
{
	struct sockaddr_in sin;
	int fd, rc;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return rc == 0;
}

/* Writes slapd.conf, loads the LDIF with slapadd and starts slapd in the
 * foreground on a free loopback port. */
static void
slapd_start_tls(struct slapd *s, int tls)
{
	char conf[512], text[4096], db[300], log[300], url[128], key[300];
	char cmd[1024];
	pid_t pid;
	int fd;

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/licd-slapd-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(db, sizeof(db), "%s/db", s->dir);
	assert_int_equal(mkdir(db, 0700), 0);
	snprintf(conf, sizeof(conf), "%s/slapd.conf", s->dir);
	snprintf(text, sizeof(text),
	    "include /etc/ldap/schema/core.schema\n"
	    "include /etc/ldap/schema/cosine.schema\n"
	    "include /etc/ldap/schema/inetorgperson.schema\n"
	    "include %s/licd-test.schema\n"
	    "pidfile %s/slapd.pid\n"
	    "modulepath /usr/lib/ldap\n"
	    "moduleload back_mdb\n"
	    "database mdb\n"
	    "suffix \"dc=licd,dc=test\"\n"
	    "rootdn \"cn=admin,dc=licd,dc=test\"\n"
	    "rootpw secret\n"
	    "directory %s\n"
	    "maxsize 10485760\n",
	    data_dir(), s->dir, db);
	if (tls) {
		/* A throwaway self-signed certificate for 127.0.0.1. */
		snprintf(s->cert, sizeof(s->cert), "%s/cert.pem", s->dir);
		snprintf(key, sizeof(key), "%s/key.pem", s->dir);
		snprintf(cmd, sizeof(cmd),
		    "openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
		    "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		    "-keyout '%s' -out '%s' >/dev/null 2>&1",
		    key, s->cert);
		assert_int_equal(system(cmd), 0);
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    "TLSCertificateFile %s\nTLSCertificateKeyFile %s\n",
		    s->cert, key);
	}
	h_write(conf, text);
	snprintf(text, sizeof(text), "%s/people.ldif", data_dir());
	assert_int_equal(slapadd(conf, text), 0);

	s->port = h_unused_port();
	snprintf(url, sizeof(url), "ldap://127.0.0.1:%d/", s->port);
	if (tls) {
		s->tls_port = h_unused_port();
		snprintf(url + strlen(url), sizeof(url) - strlen(url),
		    " ldaps://127.0.0.1:%d/", s->tls_port);
	}
	snprintf(log, sizeof(log), "%s/slapd.log", s->dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(SLAPD, "slapd", "-h", url, "-f", conf, "-d", "0",
		    (char *)NULL);
		_exit(127);
	}
	s->pid = pid;
	assert_true(H_WAIT(port_open(s->port), 10000));
	if (tls)
		assert_true(H_WAIT(port_open(s->tls_port), 10000));
}

static void
slapd_start(struct slapd *s)
{
	slapd_start_tls(s, 0);
}

static void
slapd_stop(struct slapd *s)
{
	int st;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGCONT);
	kill(s->pid, SIGTERM);
	waitpid(s->pid, &st, 0);
	s->pid = 0;
}

static void
slapd_cleanup(struct slapd *s)
{
	char cmd[400];

	slapd_stop(s);
	if (getenv("LICD_TEST_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", s->dir);
	}
}

/* licd.conf's identity group for the directory in style. */
static void
identity_conf(char *out, size_t len, const char *uri, const char *tls,
    const char *style, const char *pwfile)
{
	snprintf(out, len,
	    "units = { default = \"unassigned\"; };\n"
	    "identity = {\n"
	    "  providers = [ \"ldap\" ];\n"
	    "  units-file = \"%s/units.conf\";\n"
	    "  wait-ms = 5000;\n"
	    "  cache = { positive = 1; negative = 1; max-stale = 3600; "
	    "retry = 1; };\n"
	    "  ldap = {\n"
	    "    uri = \"%s\";\n%s"
	    "    bind-dn = \"cn=admin,dc=licd,dc=test\";\n"
	    "    bind-password-file = \"%s\";\n"
	    "    base = \"ou=%s,dc=licd,dc=test\";\n"
	    "    style = \"%s\";\n"
	    "    timeout = 12;\n"
	    "  };\n"
	    "  products = (\n"
	    "    { feature = \"matlab\"; audience = \"both\";\n"
	    "      statuses = [ \"staff\", \"student\" ];\n"
	    "      on-failure = \"closed\"; wait-ms = 8000;\n"
	    "      when-slow = \"try-again\"; },\n"
	    "    { feature = \"origin\"; audience = \"members\";\n"
	    "      on-failure = \"open\"; },\n"
	    "    { feature = \"labview\"; audience = \"units\"; },\n"
	    "    { feature = \"solid\"; wait-ms = 500;\n"
	    "      when-slow = \"refuse\"; }\n"
	    "  );\n"
	    "};\n",
	    data_dir(), uri, tls, pwfile,
	    strcmp(style, "oxford") == 0 ? "oak" : "edu", style);
}

static void
licd_tls(struct h_licd *d, const struct slapd *s, const char *uri,
    const char *tls, const char *style)
{
	char extra[4096], pw[300];

	/* The password file lives in the slapd folder, written first. */
	snprintf(pw, sizeof(pw), "%s/ldap.pw", s->dir);
	h_write(pw, "secret\n");
	identity_conf(extra, sizeof(extra), uri, tls, style, pw);
	h_licd_init(d, license, options, extra);
	h_licd_start(d);
}

static void
licd_for(struct h_licd *d, const struct slapd *s, const char *style)
{
	char uri[64];

	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d/", s->port);
	licd_tls(d, s, uri, "", style);
}

/* Checks out feature as user at host (declaring unit when not NULL);
 * returns the reply line. */
static void
co(int port, const char *user, const char *host, const char *feature,
    const char *unit, char *line, size_t len)
{
	struct h_conn c;
	char req[256];

	h_connect(&c, port);
	h_hello(&c, user, host);
	snprintf(req, sizeof(req), "CHECKOUT feature=%s%s%s", feature,
	    unit ? " unit=" : "", unit ? unit : "");
	h_request(&c, req, line, len);
	h_close(&c);
}

static void
expect_ok(int port, const char *user, const char *host, const char *feature,
    const char *unit, const char *charged)
{
	char line[1024], v[64];

	co(port, user, host, feature, unit, line, sizeof(line));
	if (strstr(line, " OK ") == NULL)
		fprintf(stderr, "%s %s: %s\n", user, feature, line);
	assert_non_null(strstr(line, " OK "));
	assert_string_equal(h_get(line, "unit", v, sizeof(v)), charged);
}

static void
expect_err(int port, const char *user, const char *host, const char *feature,
    const char *unit, const char *reason)
{
	char line[1024], v[64];

	co(port, user, host, feature, unit, line, sizeof(line));
	if (strstr(line, " ERR ") == NULL)
		fprintf(stderr, "%s %s: %s\n", user, feature, line);
	assert_non_null(strstr(line, " ERR "));
	assert_string_equal(h_get(line, "reason", v, sizeof(v)), reason);
}

/* licctl whois user says text. */
static int
whois_says(
    const char *dir, const char *user, const char *text, char *out, size_t len)
{
	return h_licctl(out, len, "whois", "--state-dir", dir, user,
		   (char *)NULL) == 0 &&
	    strstr(out, text) != NULL;
}

/* A line of text holding every one of the words. */
static int
has_line(const char *text, const char *a, const char *b, const char *c)
{
	const char *p = text, *nl;
	char line[2048];
	size_t n;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		if (strstr(line, a) && strstr(line, b) && strstr(line, c))
			return 1;
		p += n + (nl != NULL);
	}
	return 0;
}

static void
test_eduperson(void **state)
{
	struct slapd s;
	struct h_licd d;
	char dir[300], out[65536], costs[300], units[1100], period[16];
	struct tm tm;
	time_t t;

	slapd_start(&s);
	licd_for(&d, &s, "eduperson");
	snprintf(dir, sizeof(dir), "%s/state", d.dir);

	/* Staff and (scoped) student statuses are eligible; the primary
	 * unit pays unless the person declares another of theirs. */
	expect_ok(d.port, "alice", "ws1", "matlab", NULL, "chem");
	expect_ok(d.port, "bob", "ws2", "matlab", NULL, "phys");
	expect_ok(d.port, "alice", "ws1", "matlab", "phys", "phys");
	expect_err(d.port, "alice", "ws1", "matlab", "bio", "not-unit-member");
	expect_err(d.port, "bob", "ws2", "matlab", "chem", "not-unit-member");
	/* An affiliate is not staff or student; nobody is nobody. */
	expect_err(d.port, "victor", "ws3", "matlab", NULL, "not-eligible");
	expect_err(d.port, "nobody", "ws3", "matlab", NULL, "not-eligible");

	/* Members-only and units-only products: a lab machine stands for
	 * chemistry itself. */
	expect_ok(d.port, "victor", "ws3", "origin", NULL, "chem");
	expect_err(d.port, "labuser", "lab-1", "origin", NULL, "not-eligible");
	expect_ok(d.port, "labuser", "lab-1", "labview", NULL, "chem");
	expect_err(d.port, "alice", "ws1", "labview", NULL, "not-eligible");
	/* A product without a rule is served as before. */
	expect_ok(d.port, "nobody", "ws3", "plain", NULL, "unassigned");

	/* What licd believes, and why. */
	assert_int_equal(h_licctl(out, sizeof(out), "whois", "--state-dir", dir,
			     "alice", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "source ldap"));
	assert_non_null(strstr(out, "uid=alice,ou=edu,dc=licd,dc=test"));
	assert_non_null(strstr(out, "chem,phys"));
	assert_non_null(strstr(out, "Department of Chemistry"));
	assert_non_null(strstr(out, "CC-1001"));
	assert_int_equal(h_licctl(out, sizeof(out), "eligible", "--state-dir",
			     dir, "victor", "matlab", (char *)NULL),
	    1);
	assert_non_null(strstr(out, "refused"));
	assert_non_null(strstr(out, "not-eligible"));
	assert_int_equal(
	    h_licctl(out, sizeof(out), "eligible", "--state-dir", dir, "--unit",
		"phys", "alice", "matlab", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "unit phys charged"));
	/* Any local user has a loopback address: that is not enough to
	 * learn about a person. */
	{
		struct h_conn c;
		char reply[4096], v[64];

		h_connect(&c, d.port);
		h_hello(&c, "mallory", "ws9");
		h_request(&c, "WHOIS user=alice", reply, sizeof(reply));
		assert_string_equal(
		    h_get(reply, "reason", v, sizeof(v)), "forbidden");
		assert_null(strstr(reply, "CC-1001"));
		h_request(&c, "ELIGIBLE user=victor feature=matlab", reply,
		    sizeof(reply));
		assert_string_equal(
		    h_get(reply, "reason", v, sizeof(v)), "forbidden");
		h_close(&c);
	}

	/* The journal charges the primary unit. */
	assert_int_equal(h_licd_stop(&d), 0);
	assert_int_equal(h_licctl(out, sizeof(out), "journal", "show",
			     "--state-dir", dir, (char *)NULL),
	    0);
	assert_true(has_line(out, "alice", "matlab", "chem"));
	assert_true(has_line(out, "bob", "matlab", "phys"));

	/* The bill names each unit's cost centre from the units file. */
	snprintf(costs, sizeof(costs), "%s/costs.conf", d.dir);
	h_write(costs,
	    "costs = ( { feature = \"matlab\"; per-year = 3650; "
	    "currency = \"GBP\"; } );\n");
	snprintf(units, sizeof(units), "%s/units.conf", data_dir());
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(period, sizeof(period), "%Y-%m", &tm);
	assert_int_equal(
	    h_licctl(out, sizeof(out), "chargeback", "--state-dir", dir,
		"--period", period, "--costs", costs, "--basis", "users",
		"--units-file", units, (char *)NULL),
	    0);
	assert_true(
	    has_line(out, "chem", "CC-1001", "Department of Chemistry"));
	assert_true(has_line(out, "phys", "CC-1002", "Department of Physics"));
	h_licd_cleanup(&d);
	slapd_cleanup(&s);
}

static void
test_oxford(void **state)
{
	struct slapd s;
	struct h_licd d;

	slapd_start(&s);
	licd_for(&d, &s, "oxford");

	expect_ok(d.port, "carol", "ws1", "matlab", NULL, "chem");
	expect_ok(d.port, "carol", "ws1", "matlab", "phys", "phys");
	expect_err(d.port, "carol", "ws1", "matlab", "bio", "not-unit-member");
	/* A student whose card ran out, and a leaver. */
	expect_err(d.port, "dave", "ws2", "matlab", NULL, "card-expired");
	expect_err(d.port, "erin", "ws3", "matlab", NULL, "not-eligible");

	/* The client library declares a unit too: set on the connection
	 * or from LICD_UNIT, and says which unit paid. */
	{
		struct licd_identity id = {"carol", "ws1", NULL, NULL, 0};
		struct licd_conn *lc;
		char servers[64], err[256];
		uint64_t h;

		snprintf(servers, sizeof(servers), "%d@127.0.0.1", d.port);
		unsetenv("LICD_UNIT");
		lc = licd_connect(servers, &id, 5000, err, sizeof(err));
		assert_non_null(lc);
		assert_string_equal(licd_unit_charged(lc), "");
		assert_int_equal(
		    licd_checkout(lc, "matlab", NULL, 1, 0, 0, &h), 0);
		assert_string_equal(licd_unit_charged(lc), "chem");
		assert_int_equal(licd_set_unit(lc, "phys"), 0);
		assert_int_equal(
		    licd_checkout(lc, "matlab", NULL, 1, 0, 0, &h), 0);
		assert_string_equal(licd_unit_charged(lc), "phys");
		assert_int_equal(licd_set_unit(lc, "bio"), 0);
		assert_int_equal(
		    licd_checkout(lc, "matlab", NULL, 1, 0, 0, &h), -1);
		assert_string_equal(licd_error_reason(lc), "not-unit-member");
		/* Too long a name is refused here, the unit kept. */
		assert_int_equal(licd_set_unit(lc,
				     "a-unit-name-that-is-far-too-long-to-be-"
				     "any-unit-in-any-directory-anywhere"),
		    -1);
		assert_int_equal(
		    licd_checkout(lc, "matlab", NULL, 1, 0, 0, &h), -1);
		assert_string_equal(licd_error_reason(lc), "not-unit-member");
		assert_int_equal(licd_set_unit(lc, NULL), 0);
		assert_int_equal(
		    licd_checkout(lc, "matlab", NULL, 1, 0, 0, &h), 0);
		assert_string_equal(licd_unit_charged(lc), "chem");
		licd_close(lc);

		setenv("LICD_UNIT", "phys", 1);
		lc = licd_connect(servers, &id, 5000, err, sizeof(err));
		unsetenv("LICD_UNIT");
		assert_non_null(lc);
		assert_int_equal(
		    licd_checkout(lc, "matlab", NULL, 1, 0, 0, &h), 0);
		assert_string_equal(licd_unit_charged(lc), "phys");
		licd_close(lc);
	}

	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
	slapd_cleanup(&s);
}

/*
 * The directory hangs (SIGSTOP): a checkout that needs a lookup waits,
 * other clients are served meanwhile, and the waiting one is told to try
 * again.  Then the directory goes away: cached people are still served,
 * unknown ones follow each product's on-failure setting.
 */
static void
test_directory_down(void **state)
{
	struct slapd s;
	struct h_licd d;
	struct h_conn a, g;
	char line[1024], v[64], dir[300], out[65536];
	const char req[] = "tA CHECKOUT feature=matlab\n";
	const char greq[] = "tG CHECKOUT feature=solid\n";

	slapd_start(&s);
	licd_for(&d, &s, "eduperson");
	snprintf(dir, sizeof(dir), "%s/state", d.dir);
	expect_ok(d.port, "alice", "ws1", "matlab", NULL, "chem");

	assert_int_equal(kill(s.pid, SIGSTOP), 0);
	h_connect(&a, d.port);
	h_hello(&a, "frank", "ws9");
	assert_int_equal(write(a.fd, req, strlen(req)), (ssize_t)strlen(req));
	h_connect(&g, d.port);
	h_hello(&g, "gina", "ws8");
	assert_int_equal(
	    write(g.fd, greq, strlen(greq)), (ssize_t)strlen(greq));

	/* Another client, known already, is answered while frank's lookup
	 * is still pending: frank has no reply yet.  (matlab's wait-ms is
	 * long, and the LDAP timeout longer, so that a loaded machine
	 * cannot end frank's wait before this is checked.) */
	expect_ok(d.port, "alice", "ws1", "matlab", NULL, "chem");
	expect_ok(d.port, "nobody", "ws3", "plain", NULL, "unassigned");
	assert_int_equal(h_wait_line(&a, "tA ", line, sizeof(line), 20), 0);

	/* A product that refuses when the directory is slow. */
	assert_int_equal(h_wait_line(&g, "tG ", line, sizeof(line), 15000), 1);
	assert_string_equal(
	    h_get(line, "reason", v, sizeof(v)), "directory-unavailable");
	h_close(&g);

	/* Then frank's wait runs out: try again. */
	assert_int_equal(h_wait_line(&a, "tA ", line, sizeof(line), 15000), 1);
	assert_non_null(strstr(line, " ERR "));
	assert_string_equal(h_get(line, "reason", v, sizeof(v)), "try-again");
	assert_string_equal(h_get(line, "code", v, sizeof(v)), "34");
	h_close(&a);

	/* The directory is gone: alice's answer, past its lifetime, is
	 * still served; unknown people follow on-failure. */
	slapd_stop(&s);
	h_sleep_ms(1100);
	expect_ok(d.port, "alice", "ws1", "matlab", NULL, "chem");
	expect_err(
	    d.port, "zed", "ws4", "matlab", NULL, "directory-unavailable");
	expect_ok(d.port, "zed", "ws4", "origin", NULL, "unassigned");
	/* The refresh that alice's checkout started fails in the
	 * background; licd then says so, and still holds her answer. */
	assert_true(H_WAIT(
	    whois_says(dir, "alice", "last failure: ldap", out, sizeof(out)),
	    10000));
	assert_non_null(strstr(out, "source ldap"));

	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
	slapd_cleanup(&s);
}

/* StartTLS on ldap:// and ldaps://, with the server's certificate
 * checked against the CA file; without it the lookup fails (closed). */
static void
test_tls(void **state)
{
	struct slapd s;
	struct h_licd d;
	char uri[64], tls[400];

	if (access("/usr/bin/openssl", X_OK) != 0) {
		fprintf(stderr, "no openssl command to make a certificate\n");
		skip();
	}
	slapd_start_tls(&s, 1);

	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d/", s.port);
	snprintf(tls, sizeof(tls),
	    "    starttls = true;\n    ca-file = \"%s\";\n", s.cert);
	licd_tls(&d, &s, uri, tls, "eduperson");
	expect_ok(d.port, "alice", "ws1", "matlab", NULL, "chem");
	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);

	snprintf(uri, sizeof(uri), "ldaps://127.0.0.1:%d/", s.tls_port);
	snprintf(tls, sizeof(tls), "    ca-file = \"%s\";\n", s.cert);
	licd_tls(&d, &s, uri, tls, "eduperson");
	expect_ok(d.port, "bob", "ws2", "matlab", NULL, "phys");
	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);

	/* A certificate no trusted CA signed: no answer, fail-closed. */
	licd_tls(&d, &s, uri, "", "eduperson");
	expect_err(
	    d.port, "bob", "ws2", "matlab", NULL, "directory-unavailable");
	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
	slapd_cleanup(&s);
}

/* The static provider (options-file GROUP lists named after units) and
 * NSS, without a directory. */
static void
test_static_and_nss(void **state)
{
	struct h_licd d;
	char extra[2048], dir[300], out[65536];

	snprintf(extra, sizeof(extra),
	    "units = { default = \"unassigned\"; };\n"
	    "identity = {\n"
	    "  providers = [ \"static\", \"nss\" ];\n"
	    "  units-file = \"%s/units.conf\";\n"
	    "  static-status = \"staff\";\n"
	    "  products = (\n"
	    "    { feature = \"matlab\"; statuses = [ \"staff\" ]; },\n"
	    "    { feature = \"origin\"; audience = \"members\"; }\n"
	    "  );\n"
	    "};\n",
	    data_dir());
	h_licd_init(&d, license,
	    "GROUP chem sam\nGROUP phys sam tina\nGROUP band sam\n"
	    "HOST_GROUP chem lab-*\n",
	    extra);
	h_licd_start(&d);
	snprintf(dir, sizeof(dir), "%s/state", d.dir);

	/* The first GROUP named after a unit is the primary one; a group
	 * that is no unit (band) is no unit of sam's. */
	expect_ok(d.port, "sam", "ws1", "matlab", NULL, "chem");
	expect_ok(d.port, "sam", "ws1", "matlab", "phys", "phys");
	expect_err(d.port, "sam", "ws1", "matlab", "band", "not-unit-member");
	expect_ok(d.port, "tina", "ws2", "origin", NULL, "phys");
	/* root is a user the system knows, in no unit: the usual unit
	 * rules charge. */
	expect_ok(d.port, "root", "ws3", "origin", NULL, "unassigned");
	expect_err(
	    d.port, "no-such-user-x9", "ws3", "origin", NULL, "not-eligible");
	assert_int_equal(h_licctl(out, sizeof(out), "whois", "--state-dir", dir,
			     "root", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "source nss"));
	assert_int_equal(h_licctl(out, sizeof(out), "whois", "--state-dir", dir,
			     "--host", "lab-7", "anyone", (char *)NULL),
	    0);
	assert_non_null(strstr(out, "unit, source host-group"));

	assert_int_equal(h_licd_stop(&d), 0);
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eduperson),
	    cmocka_unit_test(test_oxford),
	    cmocka_unit_test(test_directory_down),
	    cmocka_unit_test(test_tls),
	    cmocka_unit_test(test_static_and_nss),
	};

	if (access(SLAPD, X_OK) != 0 || access(SLAPADD, X_OK) != 0) {
		fprintf(stderr, "slapd is not installed: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
