/*
 * licd under systemd, without systemd: a notify socket of our own receives
 * READY, STATUS, RELOADING, STOPPING and WATCHDOG, and a listening socket
 * passed as systemd would (LISTEN_FDS) is the one licd serves on.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char license[] = "VENDOR demo\n"
			      "FEATURE solver demo 2.0 permanent 3 0\n";

/* Every notify message received so far, newline-separated. */
static char notes[65536];
static size_t nnotes;

static int
notify_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Reads notify datagrams for up to ms or until one holds needle. */
static int
notify_wait(int fd, const char *needle, int ms)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	char buf[4096];
	ssize_t n;

	for (int waited = 0; waited < ms; waited += 20) {
		if (strstr(notes, needle) != NULL)
			return 1;
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		nnotes += (size_t)snprintf(
		    notes + nnotes, sizeof(notes) - nnotes, "%s\n", buf);
	}
	return strstr(notes, needle) != NULL;
}

static int
listening_socket(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
test_notify_and_socket_activation(void **state)
{
	struct h_licd d;
	struct h_conn a;
	char path[300], pidbuf[32];
	int nfd, lfd, port, status;
	pid_t pid;

	h_licd_init(&d, license, NULL, NULL);
	snprintf(path, sizeof(path), "%s/notify", d.dir);
	nfd = notify_socket(path);
	lfd = listening_socket(&port);
	nnotes = 0;
	notes[0] = '\0';

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		snprintf(path, sizeof(path), "%s/licd.log", d.dir);
		int log = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(log, 1);
		dup2(log, 2);
		/* What systemd passes: the socket as fd 3, its count and
		 * our pid, the notify socket and the watchdog period. */
		dup2(lfd, 3);
		snprintf(pidbuf, sizeof(pidbuf), "%d", (int)getpid());
		setenv("LISTEN_FDS", "1", 1);
		setenv("LISTEN_PID", pidbuf, 1);
		setenv("WATCHDOG_USEC", "200000", 1);
		setenv("WATCHDOG_PID", pidbuf, 1);
		snprintf(path, sizeof(path), "%s/notify", d.dir);
		setenv("NOTIFY_SOCKET", path, 1);
		execl(getenv("LICD_BIN"), "licd", "-c", d.conf, (char *)NULL);
		_exit(127);
	}
	close(lfd);
	d.pid = pid;

	assert_true(notify_wait(nfd, "READY=1", 10000));
	assert_true(notify_wait(nfd, "STATUS=", 1000));
	assert_true(notify_wait(nfd, "WATCHDOG=1", 2000));

	/* It serves on the passed socket, not on its configured port. */
	h_connect(&a, port);
	h_hello(&a, "alice", "ws1");
	assert_true(h_checkout(&a, "solver", 1, NULL, 0) != 0);
	h_close(&a);

	kill(pid, SIGHUP);
	assert_true(notify_wait(nfd, "RELOADING=1", 5000));

	kill(pid, SIGTERM);
	assert_true(notify_wait(nfd, "STOPPING=1", 5000));
	waitpid(pid, &status, 0);
	d.pid = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(nfd);
	h_licd_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notify_and_socket_activation),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
