/*
 * Integration test harness: starts a real licd on a free loopback port
 * with its own state directory, talks to it over TCP in the flex protocol,
 * and runs licctl.  LICD_BIN and LICCTL_BIN name the binaries (set by
 * ctest).  LICD_TEST_KEEP=1 keeps each test's folder (state, log).
 */
#ifndef LICD_HARNESS_H
#define LICD_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct h_licd {
	char dir[256]; /* temporary folder: state, files, log */
	char lic[300]; /* licence file */
	char opt[300]; /* options file ("" for none) */
	char conf[300]; /* licd.conf written by h_licd_init */
	int port;
	/* The sentinel front end's UDP port on 127.0.0.1, free when
	 * h_licd_init chose it (h_licd_start passes --sentinel-port). */
	int sport;
	pid_t pid;
};

/* Creates the folder and writes the licence and options text (options may
 * be NULL).  extra_conf is appended to licd.conf (e.g. limits). */
void h_licd_init(struct h_licd *, const char *license, const char *options,
    const char *extra_conf);

/* Starts licd and waits until it accepts connections (fails the test
 * after 10 s). */
void h_licd_start(struct h_licd *);

/*
 * Starts licd as uid and gid (the test runs as root) and waits until it
 * accepts connections (returns 0) or exits (returns -1, *status its wait
 * status, d->pid 0); fails the test after 10 s of neither.
 */
int h_licd_try_start_as(struct h_licd *, uid_t uid, gid_t gid, int *status);

/*
 * h_licd_init for the disk-full tests, whose state folder (dir: "<d's
 * folder>/state") is a 1 MiB tmpfs in a mount namespace of the test's
 * own; filler names a file there to fill it with.  Without root or mount
 * namespaces the test is skipped, with a note naming what.
 */
void h_licd_init_tmpfs(struct h_licd *d, const char *license, const char *what,
    char *dir, size_t dirlen, char *filler, size_t fillerlen);
/* SIGTERM and wait; returns the exit status. */
int h_licd_stop(struct h_licd *);
/* SIGKILL and wait. */
void h_licd_kill9(struct h_licd *);
/* Rewrites a file in the folder (licence or options) with text. */
void h_write(const char *path, const char *text);
/* Removes the folder. */
void h_licd_cleanup(struct h_licd *);
/* Prints the daemon's log (for failures). */
void h_licd_dump_log(const struct h_licd *);
/* Lines of the daemon's log that hold needle. */
int h_log_count(const struct h_licd *, const char *needle);

/* A raw flex connection. */
struct h_conn {
	int fd;
	char buf[65536];
	size_t len;
	int tagno;
};

/* A socket of type (SOCK_STREAM, SOCK_DGRAM) connected to port on
 * 127.0.0.1, or -1. */
int h_loopback_socket(int type, int port);

void h_connect(struct h_conn *, int port);
void h_close(struct h_conn *);
/* Sends "HELLO user=U host=H" and expects OK. */
void h_hello(struct h_conn *, const char *user, const char *host);
/* Sends one request line (a tag is prepended) and returns the final reply
 * line for that tag in out (without newline); notices met on the way are
 * kept for h_notice().  Fails the test after 10 s. */
void h_request(struct h_conn *, const char *req, char *out, size_t len);
/* Waits up to ms for a line starting with prefix (e.g. "* GRANTED");
 * returns 1 and copies it, or 0 on timeout. */
int
h_wait_line(struct h_conn *, const char *prefix, char *out, size_t len, int ms);
/* Extracts key's value from a reply line ("" when absent). */
const char *h_get(const char *line, const char *key, char *out, size_t len);
uint64_t h_get_u64(const char *line, const char *key);

/* CHECKOUT feature count=n; returns the handle, or 0 and the reason name
 * in reason (when not NULL). */
uint64_t h_checkout(
    struct h_conn *, const char *feature, int count, char *reason, size_t len);

/* Runs licctl with args (NULL-terminated), capturing stdout+stderr into
 * out; returns the exit status. */
int h_licctl(char *out, size_t len, const char *arg, ...);
/* Runs the program at path the same way (argv[0] is path, so a link's
 * name reaches the program). */
int h_run(char *out, size_t len, const char *path, const char *arg, ...);
/* Starts licctl in the background (stdout/stderr to /dev/null). */
pid_t h_licctl_spawn(const char *arg, ...);

/* Seats of feature in use according to STATUS. */
int h_in_use(int port, const char *feature);
/* Any number of the feature's STATUS line (issued, in_use, queued); -1
 * when the feature is not listed. */
int h_feature_int(int port, const char *feature, const char *key);

/* Polls cond until it is true or ms pass; returns the last value. */
#define H_WAIT(cond, ms) \
	({ \
		int h_ok_ = 0; \
		for (int h_i_ = 0; h_i_ < (ms) / 20; h_i_++) { \
			if ((h_ok_ = (cond)) != 0) \
				break; \
			h_sleep_ms(20); \
		} \
		h_ok_; \
	})

void h_sleep_ms(int ms);

/* A loopback port nobody listens on right now (for a second listener,
 * e.g. kms.port in extra_conf). */
int h_unused_port(void);
/* The same for UDP. */
int h_unused_udp_port(void);

#endif
