#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

void
h_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int64_t
h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A port of socket type (SOCK_STREAM, SOCK_DGRAM) nobody uses right now
 * on loopback: bind port 0, read it, close. */
static int
h_free_port_of(int type)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port;

	fd = socket(AF_INET, type, 0);
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
h_free_port(void)
{
	return h_free_port_of(SOCK_STREAM);
}

int
h_unused_udp_port(void)
{
	return h_free_port_of(SOCK_DGRAM);
}

void
h_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

void
h_licd_init(struct h_licd *d, const char *license, const char *options,
    const char *extra_conf)
{
	char text[4096], sentinel[128];

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/licd-it-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->lic, sizeof(d->lic), "%s/test.lic", d->dir);
	h_write(d->lic, license);
	if (options != NULL) {
		snprintf(d->opt, sizeof(d->opt), "%s/test.opt", d->dir);
		h_write(d->opt, options);
	}
	d->port = h_free_port();
	/* Every licd of the tests serves sentinel on a port of its own on
	 * loopback, never on the default 5093 that tests would share. */
	d->sport = h_unused_udp_port();
	snprintf(sentinel, sizeof(sentinel),
	    "sentinel = { port = %d; address = \"127.0.0.1\"; };\n", d->sport);
	snprintf(d->conf, sizeof(d->conf), "%s/licd.conf", d->dir);
	snprintf(text, sizeof(text),
	    "state-dir = \"state\";\n"
	    "license-files = [ \"test.lic\" ];\n"
	    "%s%s%s"
	    "listen = ( { protocol = \"flex\"; address = \"127.0.0.1\"; "
	    "port = %d; } );\n"
	    "log = { level = \"debug\"; };\n"
	    "%s%s\n",
	    options ? "options-file = \"" : "", options ? "test.opt" : "",
	    options ? "\";\n" : "", d->port,
	    extra_conf != NULL && strstr(extra_conf, "sentinel") != NULL
		? ""
		: sentinel,
	    extra_conf ? extra_conf : "");
	h_write(d->conf, text);
}

int
h_loopback_socket(int type, int port)
{
	struct sockaddr_in sin;
	int fd, rc;

	fd = socket(AF_INET, type, 0);
	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	if (rc == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
h_try_connect(int port)
{
	return h_loopback_socket(SOCK_STREAM, port);
}

/* Starts licd (as uid and gid unless they are -1) and waits until it
 * listens (0) or exits (-1 and *status). */
static int
h_start(struct h_licd *d, uid_t uid, gid_t gid, int *status)
{
	const char *bin = getenv("LICD_BIN");
	char log[300], sport[16];
	int64_t deadline;
	pid_t parent;
	int fd;

	assert_non_null(bin);
	snprintf(log, sizeof(log), "%s/licd.log", d->dir);
	parent = getpid();
	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		/* A test that fails half-way leaves no licd behind: it dies
		 * with the test process. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(127);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (uid != (uid_t)-1 &&
		    (setgroups(0, NULL) == -1 || setgid(gid) == -1 ||
			setuid(uid) == -1))
			_exit(126);
		snprintf(sport, sizeof(sport), "%d", d->sport);
		execl(bin, "licd", "-c", d->conf, "--foreground",
		    "--sentinel-port", sport, (char *)NULL);
		_exit(127);
	}

	deadline = h_now_ms() + 10000;
	while (h_now_ms() < deadline) {
		fd = h_try_connect(d->port);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (waitpid(d->pid, status, WNOHANG) == d->pid) {
			d->pid = 0;
			return -1;
		}
		h_sleep_ms(20);
	}
	h_licd_dump_log(d);
	fail_msg("licd did not start listening on port %d", d->port);
	return -1;
}

void
h_licd_start(struct h_licd *d)
{
	int status;

	if (h_start(d, (uid_t)-1, (gid_t)-1, &status) == -1) {
		h_licd_dump_log(d);
		fail_msg("licd exited at start-up");
	}
}

int
h_licd_try_start_as(struct h_licd *d, uid_t uid, gid_t gid, int *status)
{
	return h_start(d, uid, gid, status);
}

int
h_licd_stop(struct h_licd *d)
{
	int status = 0;

	if (d->pid <= 0)
		return 0;
	kill(d->pid, SIGTERM);
	waitpid(d->pid, &status, 0);
	d->pid = 0;
	/* Killed by a signal of its own (an abort, a sanitizer's report):
	 * the log says why. */
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "licd ended by signal %d\n", WTERMSIG(status));
		h_licd_dump_log(d);
	}
	return status;
}

void
h_licd_kill9(struct h_licd *d)
{
	int status;

	if (d->pid <= 0)
		return;
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	d->pid = 0;
}

int
h_log_count(const struct h_licd *d, const char *needle)
{
	char path[300], line[2048];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/licd.log", d->dir);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

void
h_licd_dump_log(const struct h_licd *d)
{
	char path[300], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/licd.log", d->dir);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	fprintf(stderr, "---- %s\n", path);
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
	fclose(f);
}

void
h_licd_cleanup(struct h_licd *d)
{
	char cmd[400];
	int rc;

	if (d->pid > 0)
		h_licd_stop(d);
	if (getenv("LICD_TEST_KEEP") != NULL) {
		fprintf(stderr, "kept %s\n", d->dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
	rc = system(cmd);
	(void)rc;
}

void
h_connect(struct h_conn *c, int port)
{
	memset(c, 0, sizeof(*c));
	c->fd = h_try_connect(port);
	assert_true(c->fd >= 0);
}

void
h_close(struct h_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Reads one line into out within ms; returns 1, or 0 on timeout, -1 on
 * EOF. */
static int
h_read_line(struct h_conn *c, char *out, size_t len, int ms)
{
	struct pollfd pfd;
	int64_t deadline = h_now_ms() + ms;
	char *nl;
	size_t n;
	ssize_t r;

	for (;;) {
		nl = memchr(c->buf, '\n', c->len);
		if (nl != NULL) {
			n = (size_t)(nl - c->buf);
			if (n >= len)
				n = len - 1;
			memcpy(out, c->buf, n);
			out[n] = '\0';
			c->len -= (size_t)(nl - c->buf) + 1;
			memmove(c->buf, nl + 1, c->len);
			return 1;
		}
		if (h_now_ms() >= deadline)
			return 0;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(deadline - h_now_ms())) <= 0)
			continue;
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r <= 0)
			return -1;
		c->len += (size_t)r;
	}
}

/* Lines read while waiting for something else. */
static char h_pending[64][1024];
static size_t h_npending;

static void
h_keep(const char *line)
{
	if (h_npending < 64)
		snprintf(
		    h_pending[h_npending++], sizeof(h_pending[0]), "%s", line);
}

void
h_request(struct h_conn *c, const char *req, char *out, size_t len)
{
	char tag[16], line[8192];
	size_t tl;
	int64_t deadline;
	int rc;

	snprintf(tag, sizeof(tag), "t%d", ++c->tagno);
	snprintf(line, sizeof(line), "%s %s\n", tag, req);
	assert_int_equal(
	    write(c->fd, line, strlen(line)), (ssize_t)strlen(line));

	tl = strlen(tag);
	deadline = h_now_ms() + 10000;
	while (h_now_ms() < deadline) {
		rc = h_read_line(c, line, sizeof(line), 1000);
		assert_true(rc >= 0);
		if (rc == 0)
			continue;
		if (strncmp(line, tag, tl) == 0 && line[tl] == ' ') {
			/* Data lines of STATUS share the tag; the final
			 * reply is OK, QUEUED or ERR. */
			if (strncmp(line + tl + 1, "OK", 2) == 0 ||
			    strncmp(line + tl + 1, "ERR", 3) == 0 ||
			    strncmp(line + tl + 1, "QUEUED", 6) == 0) {
				snprintf(out, len, "%s", line);
				return;
			}
			continue;
		}
		h_keep(line);
	}
	fail_msg("no reply to \"%s\"", req);
}

int
h_wait_line(struct h_conn *c, const char *prefix, char *out, size_t len, int ms)
{
	int64_t deadline = h_now_ms() + ms;
	size_t i;
	int rc;

	for (i = 0; i < h_npending; i++) {
		if (strncmp(h_pending[i], prefix, strlen(prefix)) == 0) {
			snprintf(out, len, "%s", h_pending[i]);
			memmove(&h_pending[i], &h_pending[i + 1],
			    (h_npending - i - 1) * sizeof(h_pending[0]));
			h_npending--;
			return 1;
		}
	}
	while (h_now_ms() < deadline) {
		rc = h_read_line(c, out, len, (int)(deadline - h_now_ms()));
		if (rc <= 0)
			return 0;
		if (strncmp(out, prefix, strlen(prefix)) == 0)
			return 1;
		h_keep(out);
	}
	return 0;
}

const char *
h_get(const char *line, const char *key, char *out, size_t len)
{
	const char *p = line;
	size_t kl = strlen(key), n;

	out[0] = '\0';
	while ((p = strchr(p, ' ')) != NULL) {
		p++;
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			p += kl + 1;
			n = strcspn(p, " ");
			if (n >= len)
				n = len - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			break;
		}
	}
	return out;
}

uint64_t
h_get_u64(const char *line, const char *key)
{
	char v[32];

	return strtoull(h_get(line, key, v, sizeof(v)), NULL, 10);
}

void
h_hello(struct h_conn *c, const char *user, const char *host)
{
	char req[256], reply[1024];

	snprintf(req, sizeof(req),
	    "HELLO user=%s host=%s display=/dev/pts/1 "
	    "pid=%d proto=1",
	    user, host, (int)getpid());
	h_request(c, req, reply, sizeof(reply));
	assert_non_null(strstr(reply, " OK "));
}

uint64_t
h_checkout(
    struct h_conn *c, const char *feature, int count, char *reason, size_t len)
{
	char req[256], reply[1024], tmp[64];

	snprintf(
	    req, sizeof(req), "CHECKOUT feature=%s count=%d", feature, count);
	h_request(c, req, reply, sizeof(reply));
	if (strstr(reply, " OK ") != NULL)
		return h_get_u64(reply, "handle");
	if (reason != NULL)
		snprintf(reason, len, "%s",
		    h_get(reply, "reason", tmp, sizeof(tmp)));
	return 0;
}

static int
h_argv(const char *bin, const char *first, va_list ap, const char **argv,
    size_t max)
{
	size_t n = 0;
	const char *a;

	assert_non_null(bin);
	argv[n++] = bin;
	for (a = first; a != NULL && n < max - 1; a = va_arg(ap, const char *))
		argv[n++] = a;
	argv[n] = NULL;
	return (int)n;
}

static int h_run_argv(char *out, size_t len, const char **argv);

int
h_licctl(char *out, size_t len, const char *arg, ...)
{
	const char *argv[64];
	va_list ap;

	va_start(ap, arg);
	h_argv(getenv("LICCTL_BIN"), arg, ap, argv, 64);
	va_end(ap);
	return h_run_argv(out, len, argv);
}

int
h_run(char *out, size_t len, const char *path, const char *arg, ...)
{
	const char *argv[64];
	va_list ap;

	va_start(ap, arg);
	h_argv(path, arg, ap, argv, 64);
	va_end(ap);
	return h_run_argv(out, len, argv);
}

static int
h_run_argv(char *out, size_t len, const char **argv)
{
	int pfd[2], status;
	size_t used = 0;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	while (used + 1 < len &&
	    (r = read(pfd[0], out + used, len - used - 1)) > 0)
		used += (size_t)r;
	out[used] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

pid_t
h_licctl_spawn(const char *arg, ...)
{
	const char *argv[64];
	va_list ap;
	pid_t pid;
	int fd;

	va_start(ap, arg);
	h_argv(getenv("LICCTL_BIN"), arg, ap, argv, 64);
	va_end(ap);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

int
h_in_use(int port, const char *feature)
{
	return h_feature_int(port, feature, "in_use");
}

int
h_feature_int(int port, const char *feature, const char *key)
{
	struct h_conn c;
	char req[128], line[4096], v[32];
	int n = -1, rc;

	h_connect(&c, port);
	snprintf(req, sizeof(req), "s1 STATUS feature=%s\n", feature);
	assert_int_equal(write(c.fd, req, strlen(req)), (ssize_t)strlen(req));
	while ((rc = h_read_line(&c, line, sizeof(line), 5000)) == 1) {
		if (strncmp(line, "s1 FEATURE ", 11) == 0)
			n = atoi(h_get(line, key, v, sizeof(v)));
		if (strncmp(line, "s1 OK", 5) == 0 ||
		    strncmp(line, "s1 ERR", 6) == 0)
			break;
	}
	h_close(&c);
	return n;
}

int
h_unused_port(void)
{
	return h_free_port();
}

void
h_licd_init_tmpfs(struct h_licd *d, const char *license, const char *what,
    char *dir, size_t dirlen, char *filler, size_t fillerlen)
{
	if (geteuid() != 0 || unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		fprintf(stderr,
		    "%s: needs root and mount namespaces; skipped\n", what);
		skip();
	}
	h_licd_init(d, license, NULL, NULL);
	snprintf(dir, dirlen, "%s/state", d->dir);
	snprintf(filler, fillerlen, "%s/filler", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(
	    mount("licd-test", dir, "tmpfs", 0, "size=1m,mode=0700"), 0);
}
