/*
 * The client library against a fake flex server: a thread on 127.0.0.1
 * that answers PROTOCOL.md lines with canned behaviour chosen by the
 * feature name, so each test can provoke one situation (refusal, queue,
 * server restart, notices, bad lines, silence).
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "licd.h"
#include "protocols/flex/flex_codec.h"

#define FAKE_HANDLES 16

struct fake {
	int lfd;
	int port;
	int stop[2];
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;

	int heartbeat; /* sent in HELLO replies */
	/* Counters the tests read under mu. */
	int hellos;
	int heartbeats;
	int resumes;
	int dequeues;
	int quits;
	char user[64];
	/* Grants the server knows; a restart keeps them unless forgotten. */
	uint64_t handles[FAKE_HANDLES];
	size_t nhandles;
	uint64_t next_handle;
	uint64_t forget; /* this handle is lost at the next restart */
	int drop_on_heartbeat; /* close the connection at the next one */
	int notice_on_heartbeat; /* 1: REMOVED the last grant, 2: SHUTDOWN */
	uint64_t borrowed; /* the borrowed handle, 0 for none */
	int64_t borrow_until;
};

static void
fake_send(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fake_send(int fd, const char *fmt, ...)
{
	char buf[FLEX_LINE_MAX * 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)send(fd, buf, (size_t)n, MSG_NOSIGNAL);
}

static void
fake_forget(struct fake *f, uint64_t h)
{
	size_t i;

	for (i = 0; i < f->nhandles; i++)
		if (f->handles[i] == h)
			f->handles[i] = f->handles[--f->nhandles];
}

static int
fake_knows(struct fake *f, uint64_t h)
{
	size_t i;

	for (i = 0; i < f->nhandles; i++)
		if (f->handles[i] == h)
			return 1;
	return 0;
}

static uint64_t
fake_grant(struct fake *f)
{
	uint64_t h = f->next_handle++;

	if (f->nhandles < FAKE_HANDLES)
		f->handles[f->nhandles++] = h;
	return h;
}

/* Answers one request; returns -1 to close the connection. */
static int
fake_request(struct fake *f, int fd, const struct flex_request *r)
{
	char big[FLEX_LINE_MAX + 100];
	uint64_t h;

	switch (r->verb) {
	case FLEX_V_HELLO:
		snprintf(f->user, sizeof(f->user), "%s", r->user);
		f->hellos++;
		fake_send(fd,
		    "%s OK server=licd/0.1.0 proto=1 session=%d "
		    "heartbeat=%d\n",
		    r->tag, f->hellos, f->heartbeat);
		break;
	case FLEX_V_CHECKOUT:
		if (strcmp(r->feature, "DENY") == 0) {
			fake_send(fd,
			    "%s ERR code=10 reason=no-seats "
			    "text=All%%20licenses%%20in%%20use\n",
			    r->tag);
		} else if (strcmp(r->feature, "BUSY") == 0 && r->queue) {
			h = fake_grant(f);
			fake_send(
			    fd, "%s QUEUED ticket=77 position=1\n", r->tag);
			fake_send(fd,
			    "* REMOVED handle=999999 feature=X "
			    "reason=admin\n");
			fake_send(fd,
			    "* GRANTED tag=%s ticket=77 handle=%" PRIu64
			    " feature=BUSY version=1 count=1 unit=u\n",
			    r->tag, h);
		} else if (strcmp(r->feature, "NEVER") == 0 && r->queue) {
			fake_send(
			    fd, "%s QUEUED ticket=78 position=2\n", r->tag);
		} else if (strcmp(r->feature, "SILENT") == 0) {
			break;
		} else if (strcmp(r->feature, "LONG") == 0) {
			memset(big, 'x', sizeof(big));
			big[sizeof(big) - 1] = '\0';
			fake_send(fd, "* NOTE v=%s\n", big);
		} else if (strcmp(r->feature, "GARBAGE") == 0) {
			fake_send(fd, "%s OK bad key\n", r->tag);
		} else {
			h = fake_grant(f);
			fake_send(fd,
			    "%s OK handle=%" PRIu64
			    " feature=%s version=51 count=%d unit=physics\n",
			    r->tag, h, r->feature, r->count);
		}
		break;
	case FLEX_V_CHECKIN:
		if (fake_knows(f, r->handle)) {
			fake_forget(f, r->handle);
			fake_send(fd, "%s OK handle=%" PRIu64 "\n", r->tag,
			    r->handle);
		} else {
			fake_send(
			    fd, "%s ERR code=14 reason=no-grant\n", r->tag);
		}
		break;
	case FLEX_V_HEARTBEAT:
		f->heartbeats++;
		if (f->drop_on_heartbeat) {
			f->drop_on_heartbeat = 0;
			return -1;
		}
		if (f->notice_on_heartbeat == 1 && f->nhandles > 0)
			fake_send(fd,
			    "* REMOVED handle=%" PRIu64
			    " feature=F reason=admin\n",
			    f->handles[f->nhandles - 1]);
		if (f->notice_on_heartbeat == 2)
			fake_send(fd, "* SHUTDOWN grace=120\n");
		f->notice_on_heartbeat = 0;
		fake_send(fd, "%s OK grants=%zu\n", r->tag, f->nhandles);
		break;
	case FLEX_V_RESUME:
		f->resumes++;
		if (fake_knows(f, r->handle))
			fake_send(fd,
			    "%s OK handle=%" PRIu64
			    " feature=F version=51 count=1 unit=physics\n",
			    r->tag, r->handle);
		else
			fake_send(fd,
			    "%s ERR code=14 reason=no-grant "
			    "text=No%%20such%%20grant\n",
			    r->tag);
		break;
	case FLEX_V_DEQUEUE:
		f->dequeues++;
		fake_send(fd, "%s OK\n", r->tag);
		break;
	case FLEX_V_STATUS:
		fake_send(fd,
		    "%s SERVER name=licd version=0.1.0 host=lic1 port=27000 "
		    "started=1764763200 vendor=licd\n",
		    r->tag);
		fake_send(fd,
		    "%s FEATURE feature=MATLAB vendor=MLM version=51 "
		    "issued=16 in_use=2 queued=1 expiry=1798675200 future=x\n",
		    r->tag);
		fake_send(fd,
		    "%s RESERVATION feature=MATLAB who=GROUP name=power "
		    "count=3\n",
		    r->tag);
		fake_send(fd,
		    "%s GRANT feature=MATLAB version=51 handle=1042 "
		    "user=alice host=ws12 display=/dev/pts/3 count=2 "
		    "unit=physics start=1764763500 linger=30 "
		    "borrowed_until=1900000000\n",
		    r->tag);
		fake_send(fd,
		    "%s FEATURE feature=SERIAL vendor=LMCOMSOL version=6.3 "
		    "issued=0 in_use=0 queued=0 expiry=0 uncounted=1\n",
		    r->tag);
		fake_send(fd, "%s NEWTHING x=1\n", r->tag);
		fake_send(fd, "%s OK features=2 grants=1\n", r->tag);
		break;
	case FLEX_V_QUIT:
		f->quits++;
		fake_send(fd, "%s OK\n", r->tag);
		return -1;
	case FLEX_V_REMOVE:
	case FLEX_V_REREAD:
	case FLEX_V_DOWN:
	case FLEX_V_NEWLOG:
	case FLEX_V_WHOIS:
	case FLEX_V_ELIGIBLE:
		fake_send(fd, "%s ERR code=28 reason=forbidden\n", r->tag);
		return 0;
	case FLEX_V_BORROW:
		/* A borrowed handle is kept apart: the client must not
		 * resume it. */
		if (strcmp(r->feature, "NOBORROW") == 0) {
			fake_send(fd, "%s ERR code=16 reason=not-borrowable\n",
			    r->tag);
			break;
		}
		f->borrowed = f->next_handle++;
		f->borrow_until = r->until_ms;
		fake_send(fd,
		    "%s OK handle=%" PRIu64 " feature=%s version=51 "
		    "count=%d unit=physics until_ms=%lld\n",
		    r->tag, f->borrowed, r->feature, r->count,
		    (long long)r->until_ms);
		break;
	case FLEX_V_RETURN:
		if (r->handle != 0 && r->handle == f->borrowed) {
			f->borrowed = 0;
			fake_send(fd, "%s OK handle=%" PRIu64 "\n", r->tag,
			    r->handle);
		} else {
			fake_send(
			    fd, "%s ERR code=14 reason=no-grant\n", r->tag);
		}
		break;
	}
	return 0;
}

/* Serves one connection until it closes or the test ends. */
static void
fake_serve(struct fake *f, int fd)
{
	char buf[FLEX_LINE_MAX * 2], *nl;
	struct flex_request req;
	struct pollfd p[2];
	size_t len = 0, n;
	ssize_t r;
	int rc;

	for (;;) {
		p[0].fd = fd;
		p[0].events = POLLIN;
		p[1].fd = f->stop[0];
		p[1].events = POLLIN;
		if (poll(p, 2, -1) <= 0 || (p[1].revents != 0))
			return;
		r = recv(fd, buf + len, sizeof(buf) - len - 1, 0);
		if (r <= 0)
			return;
		len += (size_t)r;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			n = (size_t)(nl - buf);
			pthread_mutex_lock(&f->mu);
			if (flex_request_parse(buf, n, &req, NULL, 0) == 0)
				rc = fake_request(f, fd, &req);
			else
				rc = 0;
			pthread_cond_broadcast(&f->cv);
			pthread_mutex_unlock(&f->mu);
			memmove(buf, nl + 1, len - n - 1);
			len -= n + 1;
			if (rc == -1)
				return;
		}
	}
}

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	struct pollfd p[2];
	size_t i;
	int fd;

	for (;;) {
		p[0].fd = f->lfd;
		p[0].events = POLLIN;
		p[1].fd = f->stop[0];
		p[1].events = POLLIN;
		if (poll(p, 2, -1) <= 0 || p[1].revents != 0)
			return NULL;
		fd = accept(f->lfd, NULL, NULL);
		if (fd == -1)
			continue;
		fake_serve(f, fd);
		close(fd);
		/* A restart: the server loses what it was told to forget. */
		pthread_mutex_lock(&f->mu);
		for (i = 0; i < f->nhandles; i++)
			if (f->handles[i] == f->forget)
				f->handles[i] = f->handles[--f->nhandles];
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
	}
}

static int
fake_setup(void **state)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct fake *f;

	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	f->heartbeat = 60;
	f->next_handle = 1000;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(f->lfd, 8) == -1 ||
	    getsockname(f->lfd, (struct sockaddr *)&sin, &sl) == -1 ||
	    pipe(f->stop) == -1)
		return -1;
	f->port = ntohs(sin.sin_port);
	if (pthread_create(&f->thr, NULL, fake_main, f) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
fake_teardown(void **state)
{
	struct fake *f = *state;

	(void)write(f->stop[1], "x", 1);
	pthread_join(f->thr, NULL);
	close(f->lfd);
	close(f->stop[0]);
	close(f->stop[1]);
	free(f);
	return 0;
}

/* Waits (bounded, on the fake's condition variable) until *counter
 * reaches want. */
static int
fake_wait(struct fake *f, const int *counter, int want)
{
	struct timespec ts;
	int ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&f->mu);
	while (*counter < want)
		if (pthread_cond_timedwait(&f->cv, &f->mu, &ts) != 0)
			break;
	ok = *counter >= want;
	pthread_mutex_unlock(&f->mu);
	return ok;
}

static struct licd_conn *
fake_connect(struct fake *f, int timeout_ms)
{
	static const struct licd_identity id = {
	    "alice", "ws12", "/dev/pts/3", NULL, 4211};
	struct licd_conn *c;
	char servers[64], err[256];

	snprintf(servers, sizeof(servers), "%d@127.0.0.1", f->port);
	c = licd_connect(servers, &id, timeout_ms, err, sizeof(err));
	if (c == NULL)
		fail_msg("connect: %s", err);
	return c;
}

static void
test_checkout_checkin(void **state)
{
	struct fake *f = *state;
	struct licd_conn *c;
	uint64_t h;

	c = fake_connect(f, 0);
	assert_int_equal(licd_heartbeat_interval(c), 60);
	assert_int_equal(licd_checkout(c, "MATLAB", "51", 2, 0, 0, &h), 0);
	assert_true(h >= 1000);
	assert_int_equal(licd_checkin(c, h), 0);
	assert_int_equal(licd_checkin(c, h), -1);
	assert_int_equal(licd_error_code(c), 14);
	assert_string_equal(licd_error_reason(c), "no-grant");
	assert_int_equal(licd_heartbeat(c), 0);
	licd_close(c);
	assert_true(fake_wait(f, &f->quits, 1));
	assert_string_equal(f->user, "alice");
}

static void
test_borrow(void **state)
{
	struct fake *f = *state;
	struct licd_conn *c;
	uint64_t h;

	c = fake_connect(f, 0);
	assert_int_equal(
	    licd_borrow(c, "MATLAB", NULL, 1, 1900000000000LL, &h), 0);
	assert_true(h == f->borrowed);
	assert_true(f->borrow_until == 1900000000000LL);
	assert_int_equal(licd_borrow(c, "NOBORROW", NULL, 1, 5, &h), -1);
	assert_string_equal(licd_error_reason(c), "not-borrowable");
	assert_int_equal(licd_borrow(c, "MATLAB", NULL, 1, 0, &h), -1);
	assert_int_equal(licd_error_code(c), 1);
	assert_int_equal(licd_borrow_return(c, h), 0);
	assert_int_equal(licd_borrow_return(c, h), -1);
	assert_int_equal(licd_error_code(c), 14);
	licd_close(c);
}

static void
test_identity_default(void **state)
{
	struct fake *f = *state;
	struct licd_conn *c;
	char servers[32], err[256];

	/* A bare port means localhost; LICD_USER names the user. */
	setenv("LICD_USER", "envuser", 1);
	snprintf(servers, sizeof(servers), "%d", f->port);
	c = licd_connect(servers, NULL, 0, err, sizeof(err));
	unsetenv("LICD_USER");
	if (c == NULL)
		fail_msg("connect: %s", err);
	licd_close(c);
	assert_string_equal(f->user, "envuser");
}

static void
test_server_lists(void **state)
{
	static const char *const bad[] = {"", "x@host", "0@h", "70000@h",
	    "123456@h", "27000@", "27000@a b", ",,", "/opt/license.dat"};
	struct fake *f = *state;
	struct licd_conn *c;
	char servers[128], err[256];
	int closed_port, fd;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		c = licd_connect(bad[i], NULL, 500, err, sizeof(err));
		if (c != NULL)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_true(err[0] != '\0');
	}

	/* A port nobody listens on: bind one, then close it. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	closed_port = ntohs(sin.sin_port);
	close(fd);

	/* ':' between entries, FlexLM style; the second one answers. */
	snprintf(servers, sizeof(servers),
	    "/etc/lic.dat:%d@127.0.0.1:%d@[127.0.0.1]", closed_port, f->port);
	c = licd_connect(servers, NULL, 2000, err, sizeof(err));
	if (c == NULL)
		fail_msg("connect %s: %s", servers, err);
	licd_close(c);

	snprintf(servers, sizeof(servers), "%d@127.0.0.1", closed_port);
	assert_null(licd_connect(servers, NULL, 2000, err, sizeof(err)));
	assert_non_null(strstr(err, "refused"));
}

static void
test_refused(void **state)
{
	struct fake *f = *state;
	struct licd_conn *c;
	uint64_t h;

	c = fake_connect(f, 0);
	assert_int_equal(licd_checkout(c, "DENY", NULL, 1, 0, 0, &h), -1);
	assert_int_equal(licd_error_code(c), 10);
	assert_string_equal(licd_error_reason(c), "no-seats");
	assert_string_equal(licd_error(c), "All licenses in use");
	licd_close(c);
}

static void
test_queue(void **state)
{
	struct fake *f = *state;
	struct licd_conn *c;
	uint64_t h = 0;

	c = fake_connect(f, 0);
	/* The grant arrives as a notice after QUEUED. */
	assert_int_equal(
	    licd_checkout(c, "BUSY", NULL, 1, LICD_QUEUE, 0, &h), 0);
	assert_true(h >= 1000);
	assert_int_equal(licd_checkin(c, h), 0);

	/* Never granted: the wait ends, the ticket is withdrawn. */
	assert_int_equal(
	    licd_checkout(c, "NEVER", NULL, 1, LICD_QUEUE, 200, &h), -1);
	assert_int_equal(licd_error_code(c), 10);
	assert_true(fake_wait(f, &f->dequeues, 1));
	/* The connection is still usable. */
	assert_int_equal(licd_heartbeat(c), 0);
	licd_close(c);
}

/* The server restarts: the next heartbeat reconnects and resumes; a
 * grant the server lost is dropped with an error. */
static void
test_reconnect_resume(void **state)
{
	struct fake *f = *state;
	struct licd_conn *c;
	uint64_t h1, h2;
	int hellos;

	c = fake_connect(f, 0);
	assert_int_equal(licd_checkout(c, "A", NULL, 1, 0, 0, &h1), 0);
	assert_int_equal(licd_checkout(c, "B", NULL, 1, 0, 0, &h2), 0);
	pthread_mutex_lock(&f->mu);
	f->forget = h2;
	f->drop_on_heartbeat = 1;
	hellos = f->hellos;
	pthread_mutex_unlock(&f->mu);

	assert_int_equal(licd_heartbeat(c), 0);
	assert_int_equal(f->hellos, hellos + 1);
	assert_int_equal(f->resumes, 2);
	assert_int_equal(licd_error_code(c), 14);
	assert_non_null(strstr(licd_error(c), "not resumed"));

	/* Only the surviving grant is resumed the next time. */
	pthread_mutex_lock(&f->mu);
	f->drop_on_heartbeat = 1;
	pthread_mutex_unlock(&f->mu);
	assert_int_equal(licd_heartbeat(c), 0);
	assert_int_equal(f->resumes, 3);
	assert_int_equal(licd_reconnect(c, 1000), 0);
	assert_int_equal(f->resumes, 4);
	licd_close(c);
}

static void
test_notices(void **state)
{
	struct fake *f = *state;
	struct licd_conn *c;
	uint64_t h;
	int hellos, resumes;

	c = fake_connect(f, 0);
	assert_int_equal(licd_checkout(c, "A", NULL, 1, 0, 0, &h), 0);

	/* REMOVED: the grant is no longer resumed. */
	pthread_mutex_lock(&f->mu);
	f->notice_on_heartbeat = 1;
	pthread_mutex_unlock(&f->mu);
	assert_int_equal(licd_heartbeat(c), 0);
	resumes = f->resumes;
	assert_int_equal(licd_reconnect(c, 1000), 0);
	assert_int_equal(f->resumes, resumes);

	/* SHUTDOWN: the next heartbeat reconnects. */
	pthread_mutex_lock(&f->mu);
	f->notice_on_heartbeat = 2;
	pthread_mutex_unlock(&f->mu);
	assert_int_equal(licd_heartbeat(c), 0);
	hellos = f->hellos;
	assert_int_equal(licd_heartbeat(c), 0);
	assert_int_equal(f->hellos, hellos + 1);
	licd_close(c);
}

static void
test_status(void **state)
{
	struct fake *f = *state;
	struct licd_status st;
	struct licd_conn *c;

	c = fake_connect(f, 0);
	assert_int_equal(licd_status_get(c, NULL, &st), 0);
	assert_string_equal(st.server_name, "licd");
	assert_string_equal(st.server_version, "0.1.0");
	assert_string_equal(st.server_host, "lic1");
	assert_int_equal(st.port, 27000);
	assert_true(st.started == 1764763200);
	assert_int_equal(st.nfeatures, 2);
	assert_string_equal(st.features[0].feature, "MATLAB");
	assert_string_equal(st.features[0].vendor, "MLM");
	assert_int_equal(st.features[0].issued, 16);
	assert_int_equal(st.features[0].in_use, 2);
	assert_int_equal(st.features[0].queued, 1);
	assert_true(st.features[0].expiry == 1798675200);
	assert_int_equal(st.features[0].uncounted, 0);
	assert_int_equal(st.features[1].uncounted, 1);
	assert_int_equal(st.nreservations, 1);
	assert_string_equal(st.reservations[0].who, "GROUP");
	assert_string_equal(st.reservations[0].name, "power");
	assert_int_equal(st.reservations[0].count, 3);
	assert_int_equal(st.ngrants, 1);
	assert_true(st.grants[0].handle == 1042);
	assert_string_equal(st.grants[0].display, "/dev/pts/3");
	assert_string_equal(st.grants[0].unit, "physics");
	assert_int_equal(st.grants[0].count, 2);
	assert_int_equal(st.grants[0].linger, 30);
	assert_true(st.grants[0].start == 1764763500);
	assert_true(st.grants[0].borrowed_until == 1900000000);
	licd_status_free(&st);
	licd_close(c);
}

static void
test_bad_server_lines(void **state)
{
	struct fake *f = *state;
	struct licd_conn *c;
	uint64_t h;

	c = fake_connect(f, 500);
	assert_int_equal(licd_checkout(c, "LONG", NULL, 1, 0, 0, &h), -1);
	assert_non_null(strstr(licd_error(c), "over"));
	licd_close(c);

	c = fake_connect(f, 500);
	assert_int_equal(licd_checkout(c, "GARBAGE", NULL, 1, 0, 0, &h), -1);
	assert_non_null(strstr(licd_error(c), "bad line"));
	licd_close(c);

	/* No reply: the timeout ends the wait. */
	c = fake_connect(f, 300);
	assert_int_equal(licd_checkout(c, "SILENT", NULL, 1, 0, 0, &h), -1);
	assert_non_null(strstr(licd_error(c), "timed out"));
	licd_close(c);
}

/* The keepalive thread beats at the server's interval, and close does
 * not wait for the next beat. */
static void
test_keepalive(void **state)
{
	struct fake *f = *state;
	struct licd_conn *c;
	struct timespec a, b;
	int beats;
	long ms;

	pthread_mutex_lock(&f->mu);
	f->heartbeat = 1;
	beats = f->heartbeats;
	pthread_mutex_unlock(&f->mu);
	c = fake_connect(f, 0);
	assert_int_equal(licd_keepalive(c), 0);
	assert_int_equal(licd_keepalive(c), 0);
	assert_true(fake_wait(f, &f->heartbeats, beats + 2));

	clock_gettime(CLOCK_MONOTONIC, &a);
	licd_close(c);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms < 500);
	pthread_mutex_lock(&f->mu);
	f->heartbeat = 60;
	pthread_mutex_unlock(&f->mu);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checkout_checkin),
	    cmocka_unit_test(test_borrow),
	    cmocka_unit_test(test_identity_default),
	    cmocka_unit_test(test_server_lists),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_queue),
	    cmocka_unit_test(test_reconnect_resume),
	    cmocka_unit_test(test_notices),
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_bad_server_lines),
	    cmocka_unit_test(test_keepalive),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
