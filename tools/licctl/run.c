/*
 * licctl run: wraps an unmodified program in a licence checkout.  Seats are
 * taken all or nothing before the program starts, kept alive by the client
 * library's heartbeat thread while it runs, and returned when it exits.
 * With -P sentinel the tokens come from the sentinel front end over UDP,
 * and the library's renewal thread keeps their leases.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_sentinel.h"
#include "licctl.h"
#include "licd.h"

#define RUN_FEATURES_MAX 32

struct run_feature {
	char name[64];
	char version[16];
	uint64_t handle;
	int taken;
};

static volatile sig_atomic_t run_child = 0;

/*
 * A signal typed at the terminal already reaches the whole foreground
 * process group, the child included; forwarding it too would deliver it
 * twice.  Only signals sent by a process (kill, systemd, a batch system)
 * are passed on.
 */
static void
run_forward(int sig, siginfo_t *info, void *ctx)
{
	int saved = errno;

	(void)ctx;
	if (run_child > 0 &&
	    (info == NULL || info->si_code == SI_USER ||
		info->si_code == SI_QUEUE))
		kill((pid_t)run_child, sig);
	errno = saved;
}

static int
run_feature_parse(const char *arg, struct run_feature *f)
{
	const char *colon;
	size_t n, i;

	colon = strchr(arg, ':');
	n = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
	if (n == 0 || n >= sizeof(f->name))
		return -1;
	memcpy(f->name, arg, n);
	f->name[n] = '\0';
	f->version[0] = '\0';
	if (colon != NULL) {
		n = strlen(colon + 1);
		if (n == 0 || n >= sizeof(f->version))
			return -1;
		for (i = 0; i < n; i++)
			if ((colon[1 + i] < '0' || colon[1 + i] > '9') &&
			    colon[1 + i] != '.')
				return -1;
		memcpy(f->version, colon + 1, n + 1);
	}
	return 0;
}

static void
run_return(struct licd_conn *c, struct run_feature *fs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!fs[i].taken)
			continue;
		if (licd_checkin(c, fs[i].handle) == -1)
			fprintf(stderr, "licctl: %s: check-in failed: %s\n",
			    fs[i].name, licd_error(c));
		fs[i].taken = 0;
	}
}

/* Starts argv and waits for it; returns the exit status licctl gives. */
static int
run_child_wait(char **argv)
{
	struct sigaction sa, dfl;
	sigset_t block, old;
	pid_t pid, r;
	int status, sig;
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	size_t i;

	sigemptyset(&block);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&block, sigs[i]);
	/* Blocked across fork, so that no signal finds run_child unset. */
	pthread_sigmask(SIG_BLOCK, &block, &old);

	pid = fork();
	if (pid == -1) {
		fprintf(stderr, "licctl: fork: %s\n", strerror(errno));
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return LICCTL_EX_UNAVAILABLE;
	}
	if (pid == 0) {
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &dfl, NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "licctl: %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}

	run_child = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = run_forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	do {
		r = waitpid(pid, &status, 0);
	} while (r == -1 && errno == EINTR);
	run_child = 0;
	if (r == -1) {
		fprintf(stderr, "licctl: waitpid: %s\n", strerror(errno));
		return LICCTL_EX_UNAVAILABLE;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return 128 + sig;
}

/* The tokens of -P sentinel: all or nothing, then the command. */
static int
run_sentinel(const char *servers, const char *key, struct run_feature *fs,
    size_t nfs, long count, int queue, long wait_s, char **argv)
{
	struct licd_sentinel *s;
	size_t i;
	int rc;

	if ((s = licctl_sentinel_open("licctl", servers, key)) == NULL)
		return LICCTL_EX_UNAVAILABLE;
	for (i = 0; i < nfs; i++) {
		if (licd_sentinel_request(s, fs[i].name,
			fs[i].version[0] != '\0' ? fs[i].version : NULL,
			(int)count, queue ? LICD_QUEUE : 0,
			(int)(wait_s * 1000), &fs[i].handle) == 0) {
			fs[i].taken = 1;
			continue;
		}
		(void)licctl_sentinel_failed("licctl", fs[i].name, s);
		/* Closing gives back what was taken. */
		licd_sentinel_close(s);
		return LICCTL_EX_UNAVAILABLE;
	}

	rc = run_child_wait(argv);

	for (i = 0; i < nfs; i++)
		if (fs[i].taken && licd_sentinel_release(s, fs[i].handle) == -1)
			(void)licctl_sentinel_failed("licctl", fs[i].name, s);
	licd_sentinel_close(s);
	return rc;
}

int
cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"server", required_argument, NULL, 'c'},
	    {"feature", required_argument, NULL, 'f'},
	    {"count", required_argument, NULL, 'n'},
	    {"queue", no_argument, NULL, 'q'},
	    {"wait", required_argument, NULL, 'w'},
	    {"protocol", required_argument, NULL, 'P'},
	    {"site-key", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct run_feature fs[RUN_FEATURES_MAX];
	const char *servers = NULL, *reason, *key = NULL;
	struct licd_conn *c;
	sigset_t block, old;
	char err[512], *end, list[1024];
	size_t nfs = 0, i;
	long count = 1, wait_s = 0;
	int ch, queue = 0, rc, sentinel = 0;

	optind = 1;
	/* '+': stop at the command, whose options are its own. */
	while (
	    (ch = getopt_long(argc, argv, "+c:f:n:qw:P:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			servers = optarg;
			break;
		case 'f':
			if (nfs == RUN_FEATURES_MAX ||
			    run_feature_parse(optarg, &fs[nfs]) == -1) {
				fprintf(stderr, "licctl: bad feature \"%s\"\n",
				    optarg);
				return LICCTL_EX_USAGE;
			}
			fs[nfs++].taken = 0;
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || count < 1 ||
			    count > 1000000) {
				fprintf(stderr, "licctl: bad count \"%s\"\n",
				    optarg);
				return LICCTL_EX_USAGE;
			}
			break;
		case 'q':
			queue = 1;
			break;
		case 'w':
			wait_s = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || wait_s < 0 ||
			    wait_s > 86400 * 7) {
				fprintf(stderr, "licctl: bad wait \"%s\"\n",
				    optarg);
				return LICCTL_EX_USAGE;
			}
			queue = 1;
			break;
		case 'P':
			if (strcmp(optarg, "sentinel") == 0)
				sentinel = 1;
			else if (strcmp(optarg, "flex") == 0)
				sentinel = 0;
			else {
				fprintf(stderr,
				    "licctl: -P: flex or sentinel, not "
				    "\"%s\"\n",
				    optarg);
				return LICCTL_EX_USAGE;
			}
			break;
		case 'k':
			key = optarg;
			break;
		case 'h':
			licctl_usage(stdout);
			return 0;
		default:
			licctl_usage(stderr);
			return LICCTL_EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	servers = sentinel
	    ? licctl_sentinel_servers(servers, list, sizeof(list))
	    : licctl_servers(servers);
	if (nfs == 0 || argc == 0 || servers == NULL) {
		fprintf(stderr, "licctl: run needs %s\n",
		    servers == NULL ? (sentinel ? "a server (-c or LSHOST)"
						: "a server (-c or "
						  "LM_LICENSE_FILE)")
			: nfs == 0  ? "a feature (-f)"
				    : "a command after --");
		licctl_usage(stderr);
		return LICCTL_EX_USAGE;
	}
	if (key != NULL && !sentinel) {
		fprintf(stderr, "licctl: --site-key goes with -P sentinel\n");
		return LICCTL_EX_USAGE;
	}
	if (sentinel)
		return run_sentinel(
		    servers, key, fs, nfs, count, queue, wait_s, argv);

	c = licd_connect(servers, NULL, 0, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "licctl: %s\n", err);
		return LICCTL_EX_UNAVAILABLE;
	}
	for (i = 0; i < nfs; i++) {
		if (licd_checkout(c, fs[i].name,
			fs[i].version[0] != '\0' ? fs[i].version : NULL,
			(int)count, queue ? LICD_QUEUE : 0,
			(int)(wait_s * 1000), &fs[i].handle) == 0) {
			fs[i].taken = 1;
			continue;
		}
		reason = licd_error_reason(c);
		if (reason[0] != '\0')
			fprintf(stderr, "licctl: %s: %s (%s)\n", fs[i].name,
			    licd_error(c), reason);
		else
			fprintf(stderr, "licctl: %s: %s\n", fs[i].name,
			    licd_error(c));
		run_return(c, fs, nfs);
		licd_close(c);
		return LICCTL_EX_UNAVAILABLE;
	}

	/* The heartbeat thread must not take the signals meant for the
	 * child: it inherits this mask. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (licd_keepalive(c) == -1)
		fprintf(stderr, "licctl: keepalive: %s\n", licd_error(c));
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	rc = run_child_wait(argv);

	run_return(c, fs, nfs);
	licd_close(c);
	return rc;
}
