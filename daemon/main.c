/*
 * licd: start-up, configuration, signals, systemd, shutdown.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <systemd/sd-daemon.h>

#include "../config/license.h"
#include "../config/licd_conf.h"
#include "../config/options.h"
#include "../config/reservation.h"
#include "../config/signature.h"
#include "../protocols/protocol.h"
#include "admin.h"
#include "debuglog.h"
#include "expiry.h"
#include "http.h"
#include "identity/identity.h"
#include "kms_glue.h"
#include "licd.h"
#include "log.h"
#include "tls.h"

#define LISTEN_FDS_MAX 32

/* Command line settings, kept so that a reload applies them again. */
struct flags {
	const char *conf_path;
	const char *licenses[CONF_LICENSES_MAX];
	size_t nlicenses;
	const char *options;
	const char *state_dir;
	const char *log_level;
	const char *http;
	int port;
	int kms_port;
	int sentinel_port;
	int foreground;
	int check;
};

/* The licence, options and reservation files, parsed; merged holds the
 * options with the reservations mapped in, when there are any. */
struct files {
	struct core_license_file *lics;
	size_t nlics;
	struct core_options opts;
	int have_opts;
	struct reservation_file *resv;
	size_t nresv;
	struct reservation_merged merged;
	int have_merged;
};

static struct licd licd;
static struct flags flags = {.port = -1, .kms_port = -1, .sentinel_port = -1};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: licd [-t] [-c licd.conf] [--license FILE]... "
	    "[--options FILE]\n"
	    "            [--port N] [--state-dir DIR] [--foreground] "
	    "[--log-level LEVEL]\n"
	    "  -c, --config FILE    read settings from FILE (libconfig)\n"
	    "  -t, --check          check the configuration and the files "
	    "it names, then exit\n"
	    "  -l, --license FILE   a FlexLM licence file (repeatable; "
	    "replaces the file's list)\n"
	    "  -o, --options FILE   a FlexLM options file\n"
	    "  -p, --port N         port of the flex listener\n"
	    "      --kms-port N     port of the KMS listener (0: off)\n"
	    "      --sentinel-port N  UDP port of the sentinel front end "
	    "(0: off)\n"
	    "  -s, --state-dir DIR  where the journal lives\n"
	    "  -f, --foreground     stay in the foreground, log to stderr\n"
	    "      --log-level L    error, warning, notice, info or debug\n"
	    "      --http ADDR:PORT serve /metrics, /api/status and a status "
	    "page\n"
	    "  -V, --version        print the version\n");
}

/* The port given to --flag (0 to 65535); exits 64 on anything else. */
static int
port_arg(const char *flag, const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 65535) {
		fprintf(stderr, "licd: --%s: expected 0-65535, not \"%s\"\n",
		    flag, arg);
		exit(64);
	}
	return (int)v;
}

static void
flags_parse(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check", no_argument, NULL, 't'},
	    {"license", required_argument, NULL, 'l'},
	    {"options", required_argument, NULL, 'o'},
	    {"port", required_argument, NULL, 'p'},
	    {"kms-port", required_argument, NULL, 'K'},
	    {"sentinel-port", required_argument, NULL, 'S'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"log-level", required_argument, NULL, 'L'},
	    {"http", required_argument, NULL, 'H'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(
		    argc, argv, "c:tl:o:p:s:fVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			flags.conf_path = optarg;
			break;
		case 't':
			flags.check = 1;
			break;
		case 'l':
			if (flags.nlicenses == CONF_LICENSES_MAX) {
				fprintf(stderr, "licd: too many --license\n");
				exit(64);
			}
			flags.licenses[flags.nlicenses++] = optarg;
			break;
		case 'o':
			flags.options = optarg;
			break;
		case 'p':
			flags.port = port_arg("port", optarg);
			break;
		case 'K':
			flags.kms_port = port_arg("kms-port", optarg);
			break;
		case 'S':
			flags.sentinel_port = port_arg("sentinel-port", optarg);
			break;
		case 's':
			flags.state_dir = optarg;
			break;
		case 'f':
			flags.foreground = 1;
			break;
		case 'L':
			flags.log_level = optarg;
			break;
		case 'H':
			flags.http = optarg;
			break;
		case 'V':
			printf("licd %s\n", LICD_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(64);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(64);
	}
}

/* Builds the configuration from licd.conf and the flags.  Returns 0 or -1
 * with the problems in diag. */
static int
conf_build(struct licd_conf *conf, struct diag *diag)
{
	enum log_level level;
	int replaced = 0;
	size_t i;

	conf_defaults(conf);
	if (flags.conf_path != NULL &&
	    conf_load(flags.conf_path, conf, diag) == -1)
		return -1;

	for (i = 0; i < flags.nlicenses; i++)
		conf_add_license(conf, flags.licenses[i], &replaced);
	if (flags.options != NULL)
		snprintf(conf->options_file, sizeof(conf->options_file), "%s",
		    flags.options);
	if (flags.state_dir != NULL)
		snprintf(conf->state_dir, sizeof(conf->state_dir), "%s",
		    flags.state_dir);
	if (flags.log_level != NULL)
		snprintf(conf->log_level, sizeof(conf->log_level), "%s",
		    flags.log_level);
	if (flags.http != NULL)
		snprintf(conf->http, sizeof(conf->http), "%s", flags.http);
	if (flags.kms_port >= 0)
		conf->kms_port = flags.kms_port;
	if (flags.sentinel_port >= 0)
		conf->sentinel_port = flags.sentinel_port;
	if (log_level_parse(conf->log_level, &level) == -1)
		diag_add(diag, DIAG_ERROR, conf->path[0] ? conf->path : "licd",
		    0,
		    "log level \"%s\": expected error, warning, notice, "
		    "info or debug",
		    conf->log_level);

	if (conf_finish(conf, diag) == -1)
		return -1;

	/* --port moves the flex listeners (the first, default one when
	 * none is configured). */
	if (flags.port >= 0)
		for (i = 0; i < conf->nlisteners; i++)
			if (strcmp(conf->listeners[i].protocol, "flex") == 0)
				conf->listeners[i].port = flags.port;
	return diag->errors ? -1 : 0;
}

static void
files_free(struct files *f)
{
	size_t i;

	for (i = 0; i < f->nlics; i++)
		license_free(&f->lics[i]);
	free(f->lics);
	reservation_merged_free(&f->merged);
	for (i = 0; i < f->nresv; i++)
		reservation_free(&f->resv[i]);
	free(f->resv);
	if (f->have_opts)
		options_free(&f->opts);
	memset(f, 0, sizeof(*f));
}

/* What the core gets: the options with the reservations, the options
 * alone, or nothing. */
static const struct core_options *
files_options(const struct files *f)
{
	if (f->have_merged)
		return &f->merged.opts;
	return f->have_opts ? &f->opts : NULL;
}

/* Reads every licence file, the options file and the reservation files,
 * and maps the reservations onto the options.  Returns 0 or -1; diag
 * holds every problem of every file either way. */
static int
files_load(const struct licd_conf *conf, struct files *f, struct diag *diag)
{
	size_t i;
	int rc = 0;

	memset(f, 0, sizeof(*f));
	f->lics = calloc(conf->nlicense_files + 1, sizeof(*f->lics));
	if (f->lics == NULL)
		return -1;
	for (i = 0; i < conf->nlicense_files; i++) {
		if (license_load(conf->license_files[i], &f->lics[i], diag) ==
		    -1)
			rc = -1;
		f->nlics++;
	}
	if (signature_check_files(conf, f->lics, f->nlics, diag) == -1)
		rc = -1;
	if (conf->options_file[0] != '\0') {
		f->have_opts = 1;
		if (options_load(conf->options_file, &f->opts, diag) == -1)
			rc = -1;
	}
	if (conf->nreservation_files == 0)
		return rc;
	f->resv = calloc(conf->nreservation_files, sizeof(*f->resv));
	if (f->resv == NULL)
		return -1;
	for (i = 0; i < conf->nreservation_files; i++) {
		if (reservation_load(
			conf->reservation_files[i], &f->resv[i], diag) == -1)
			rc = -1;
		f->nresv++;
	}
	if (rc == 0) {
		f->have_merged = 1;
		rc = reservation_merge(f->have_opts ? &f->opts : NULL, f->resv,
		    f->nresv, &f->merged, diag);
	}
	return rc;
}

/*
 * Opens the debug log: licd.conf's debug-log, else the options file's
 * DEBUGLOG (a relative path from the options file's folder; "+path"
 * appends, a plain path starts the file afresh, as FlexLM does), with the
 * options file's NOLOG kinds left out.
 */
static struct debuglog *
debuglog_from(const struct licd_conf *conf, const struct files *f)
{
	const struct core_options *o = f->have_opts ? &f->opts : NULL;
	char path[CONF_PATH_MAX * 2], dir[CONF_PATH_MAX];
	unsigned nolog = o != NULL ? o->nolog_mask : 0;
	char *slash;

	if (conf->debug_log[0] != '\0')
		return debuglog_open(conf->debug_log, 0, nolog, licd_now());
	if (o == NULL || o->debuglog_path[0] == '\0')
		return NULL;
	if (o->debuglog_path[0] == '/') {
		snprintf(path, sizeof(path), "%s", o->debuglog_path);
	} else {
		snprintf(dir, sizeof(dir), "%s", conf->options_file);
		slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		snprintf(path, sizeof(path), "%s/%s", dir, o->debuglog_path);
	}
	return debuglog_open(path, !o->debuglog_append, nolog, licd_now());
}

static void
settings_from_conf(const struct licd_conf *conf, struct core_settings *s)
{
	core_settings_default(s);
	s->min_timeout = conf->min_timeout;
	s->resume_grace = conf->resume_grace;
	s->max_queue = conf->max_queue;
	snprintf(
	    s->default_unit, sizeof(s->default_unit), "%s", conf->default_unit);
}

/* Prints diagnostics: every message for "licd -t", errors and warnings
 * for the log otherwise (notices once, at info). */
static void
diag_report(const struct diag *diag, int to_stdout)
{
	char line[1400];
	size_t i;

	for (i = 0; i < diag->n; i++) {
		diag_format(&diag->msgs[i], line, sizeof(line));
		if (to_stdout)
			printf("%s\n", line);
		else if (diag->msgs[i].level == DIAG_ERROR)
			log_warnx("%s", line);
		else if (diag->msgs[i].level == DIAG_WARNING)
			log_warnx("%s", line);
		else
			log_info("%s", line);
	}
	if (diag->n < diag->errors)
		log_warnx("%zu more errors not shown", diag->errors - diag->n);
}

/* Loads files and builds a core configuration, without serving.  For
 * "licd -t" and reloads. */
static int
check_all(const struct licd_conf *conf, struct files *f, struct diag *diag)
{
	struct core_settings s;
	struct core *scratch;
	char err[512];
	int rc;

	if (files_load(conf, f, diag) == -1)
		return -1;

	/* The core checks what the parsers cannot see alone: rules that
	 * name unknown groups, and the like. */
	settings_from_conf(conf, &s);
	scratch = core_new(&s, NULL, NULL);
	if (scratch == NULL)
		return -1;
	rc = core_configure(scratch, &s, f->lics, f->nlics, files_options(f),
	    licd_now(), err, sizeof(err));
	if (rc == 0)
		reservation_check(f->resv, f->nresv, scratch, licd_now(), diag);
	core_free(scratch);
	if (rc == -1) {
		diag_add(diag, DIAG_ERROR,
		    conf->options_file[0] ? conf->options_file
					  : conf->license_files[0],
		    0, "%s", err);
		return -1;
	}
	if (identity_check(conf, diag) == -1)
		return -1;
	return kms_glue_check(conf, diag);
}

static int
state_dir_prepare(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		log_warnx("cannot start: state directory %s cannot be made: "
			  "%s (licd runs as uid %u)",
		    dir, strerror(errno), (unsigned)geteuid());
		return -1;
	}

	/* One licd per state directory.  Its lock is the first file licd
	 * makes there: an unwritable directory is found here, before the
	 * journal opens. */
	snprintf(path, sizeof(path), "%s/licd.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		log_warnx("cannot start: state directory %s is not writable: "
			  "%s: %s (licd runs as uid %u)",
		    dir, path, strerror(errno), (unsigned)geteuid());
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_warnx("state directory %s is in use by another licd", dir);
		close(fd);
		return -1;
	}
	return 0; /* the lock is held until exit */
}

/* Names the state directory (and the admin socket in it) by its absolute
 * path once it exists, for logs and for the daemon(3) that follows. */
static void
state_dir_absolute(struct licd_conf *conf)
{
	char real[PATH_MAX], sock[CONF_PATH_MAX + 16];

	if (realpath(conf->state_dir, real) == NULL)
		return;
	snprintf(sock, sizeof(sock), "%s/admin.sock", conf->state_dir);
	if (strcmp(conf->admin_socket, sock) == 0 &&
	    strlen(real) + sizeof("/admin.sock") <= 108)
		snprintf(conf->admin_socket, sizeof(conf->admin_socket),
		    "%s/admin.sock", real);
	snprintf(conf->state_dir, sizeof(conf->state_dir), "%s", real);
}

static void
restore_grant(void *arg, const struct core_grant_info *g)
{
	int64_t now = *(int64_t *)arg;

	if (core_restore(licd.core, g, now) == -1)
		log_warnx("journal: grant %llu restored twice",
		    (unsigned long long)g->handle);
}

/* Binds the listening sockets of one listener.  Returns how many fds were
 * added to fds, or -1. */
static int
listen_bind(const struct conf_listener *l, int *fds, size_t room)
{
	struct addrinfo hints, *res, *ai;
	char port[16];
	int fd, n = 0, one = 1, rc;
	/* The sentinel front end takes datagrams: bound, not listening. */
	int dgram = strcmp(l->protocol, "sentinel") == 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = dgram ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", l->port);
	rc = getaddrinfo(strcmp(l->address, "*") == 0 ? NULL : l->address, port,
	    &hints, &res);
	if (rc != 0) {
		log_warnx("listen %s port %s: %s", l->address, port,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && (size_t)n < room; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(
			    fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
		    (!dgram && listen(fd, 1024) == -1)) {
			log_warn("listen %s port %s", l->address, port);
			close(fd);
			freeaddrinfo(res);
			while (n > 0)
				close(fds[--n]);
			return -1;
		}
		fds[n++] = fd;
	}
	freeaddrinfo(res);
	if (n == 0) {
		log_warnx(
		    "listen %s port %s: no usable address", l->address, port);
		return -1;
	}
	log_info("listening: protocol=%s address=%s port=%s", l->protocol,
	    l->address, port);
	return n;
}

static int
listen_start(void)
{
	const struct licd_protocol *proto;
	int fds[LISTEN_FDS_MAX];
	size_t i, nfds = 0;
	int n, k, pass;

	/* Sockets passed by systemd socket activation serve the flex
	 * front end.  XXX: every passed socket goes to flex, and the KMS
	 * listener is then not started at all; FileDescriptorName= should
	 * choose the front end. */
	n = sd_listen_fds(1);
	if (n > 0) {
		for (k = 0; k < n && k < LISTEN_FDS_MAX; k++) {
			if (sd_is_socket(SD_LISTEN_FDS_START + k, AF_UNSPEC,
				SOCK_STREAM, 1) <= 0) {
				log_warnx("socket activation: fd %d is not a "
					  "listening stream socket",
				    SD_LISTEN_FDS_START + k);
				continue;
			}
			fcntl(SD_LISTEN_FDS_START + k, F_SETFL,
			    fcntl(SD_LISTEN_FDS_START + k, F_GETFL) |
				O_NONBLOCK);
			fds[nfds++] = SD_LISTEN_FDS_START + k;
		}
		log_info("socket activation: %zu listening sockets", nfds);
		if (protocol_find("flex")->start(&licd, fds, nfds) == -1)
			return -1;
		/* systemd passes stream sockets only: licd binds the
		 * sentinel front end's datagram socket itself. */
		for (i = 0; i < licd.conf.nlisteners; i++) {
			if (strcmp(licd.conf.listeners[i].protocol,
				"sentinel") != 0)
				continue;
			n = listen_bind(
			    &licd.conf.listeners[i], fds, LISTEN_FDS_MAX);
			if (n == -1 ||
			    protocol_find("sentinel")
				    ->start(&licd, fds, (size_t)n) == -1)
				return -1;
		}
		return 0;
	}

	/* The flex listeners last: a flex port that answers is what
	 * scripts, packages and the tests take as "licd is up", so every
	 * other socket (the sentinel's UDP one above all) is bound by
	 * then. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < licd.conf.nlisteners; i++) {
			if ((strcmp(licd.conf.listeners[i].protocol, "flex") ==
				0) != (pass == 1))
				continue;
			proto = protocol_find(licd.conf.listeners[i].protocol);
			n = listen_bind(
			    &licd.conf.listeners[i], fds, LISTEN_FDS_MAX);
			if (n == -1)
				return -1;
			nfds = (size_t)n;
			if (proto->start(&licd, fds, nfds) == -1)
				return -1;
		}
	return 0;
}

static void
notify_status(void)
{
	const struct licd_protocol *const *p;
	char buf[128];

	buf[0] = '\0';
	for (p = licd_protocols; *p != NULL; p++)
		if ((*p)->status != NULL)
			(*p)->status(&licd, buf, sizeof(buf));
	sd_notifyf(0, "STATUS=%zu features, %zu grants%s%s",
	    core_feature_count(licd.core), core_grant_count(licd.core),
	    buf[0] ? ", " : "", buf);
}

/* The first error of a refused reload, for the REREAD reply. */
static void
reload_why(const struct diag *diag, char *why, size_t len)
{
	size_t i;

	for (i = 0; i < diag->n; i++) {
		if (diag->msgs[i].level == DIAG_ERROR) {
			diag_format(&diag->msgs[i], why, len);
			return;
		}
	}
	snprintf(why, len, "%zu errors", diag->errors);
}

/*
 * SIGHUP and REREAD: read everything again, check all of it, and only then
 * swap.  An invalid file leaves the running configuration as it was.
 */
int
licd_reload(struct licd *l, char *why, size_t whylen)
{
	struct licd_conf conf;
	struct core_settings s;
	struct files f;
	struct diag diag;
	char err[512], detail[256];
	enum log_level level;
	SSL_CTX *tls_next = NULL;
	size_t i;
	int rc = -1;

	snprintf(why, whylen, "%s", "");
	sd_notify(0, "RELOADING=1");
	log_info("reload: reading the configuration again");
	diag_init(&diag);
	memset(&f, 0, sizeof(f));

	if (conf_build(&conf, &diag) == -1 ||
	    files_load(&conf, &f, &diag) == -1) {
		diag_report(&diag, 0);
		log_warnx("reload refused: the configuration has %zu errors; "
			  "the running configuration is unchanged",
		    diag.errors);
		reload_why(&diag, why, whylen);
		files_free(&f);
		goto done;
	}
	diag_report(&diag, 0);

	if (conf.nlisteners != l->conf.nlisteners)
		log_warnx("reload: listener changes need a restart");
	for (i = 0; i < conf.nlisteners && i < l->conf.nlisteners; i++)
		if (conf.listeners[i].port != l->conf.listeners[i].port ||
		    strcmp(conf.listeners[i].address,
			l->conf.listeners[i].address) != 0)
			log_warnx("reload: listener changes need a restart");
	state_dir_absolute(&conf);
	if (strcmp(conf.state_dir, l->conf.state_dir) != 0)
		log_warnx("reload: a new state directory needs a restart");
	if (memcmp(&conf.identity, &l->conf.identity, sizeof(conf.identity)) !=
	    0)
		log_warnx("reload: identity changes need a restart");

	/* New certificates and CAs for connections from now on, swapped
	 * in only once the core has taken the rest; the listeners' modes
	 * need a restart. */
	if (tls_prepare(&conf, &tls_next, err, sizeof(err)) == -1) {
		log_warnx("reload refused: %s; the running configuration is "
			  "unchanged",
		    err);
		snprintf(why, whylen, "%s", err);
		files_free(&f);
		goto done;
	}
	settings_from_conf(&conf, &s);
	if (core_configure(l->core, &s, f.lics, f.nlics, files_options(&f),
		licd_now(), err, sizeof(err)) == -1) {
		log_warnx("reload refused: %s; the running configuration is "
			  "unchanged",
		    err);
		snprintf(why, whylen, "%s", err);
		tls_discard(tls_next);
		files_free(&f);
		goto done;
	}
	tls_commit(tls_next, &conf);
	memcpy(&l->conf.tls, &conf.tls, sizeof(conf.tls));
	l->conf.max_grants_per_client = conf.max_grants_per_client;
	diag_free(&diag);
	diag_init(&diag);
	reservation_check(f.resv, f.nresv, l->core, licd_now(), &diag);
	diag_report(&diag, 0);
	/* The debug log is opened again, so that a rotated file (logrotate
	 * renames, then sends SIGHUP) is left alone. */
	debuglog_close(l->debuglog);
	l->debuglog = debuglog_from(&conf, &f);
	debuglog_note(l->debuglog, licd_now(), "Re-read the configuration");
	files_free(&f);

	/* Settings that need no restart take effect now. */
	memcpy(l->conf.license_files, conf.license_files,
	    sizeof(conf.license_files));
	l->conf.nlicense_files = conf.nlicense_files;
	memcpy(
	    l->conf.options_file, conf.options_file, sizeof(conf.options_file));
	memcpy(l->conf.reservation_files, conf.reservation_files,
	    sizeof(conf.reservation_files));
	l->conf.nreservation_files = conf.nreservation_files;
	l->conf.max_connections = conf.max_connections;
	l->conf.max_per_address = conf.max_per_address;
	l->conf.idle_timeout = conf.idle_timeout;
	l->conf.write_timeout = conf.write_timeout;
	l->conf.handshake_timeout = conf.handshake_timeout;
	l->conf.max_pending = conf.max_pending;
	l->conf.heartbeat = conf.heartbeat;
	l->conf.expiry_warn_days = conf.expiry_warn_days;
	/* XXX: the kms products and port are read at start only; a reload
	 * that changes them needs a restart. */
	if (log_level_parse(conf.log_level, &level) == 0)
		log_set_level(level);

	memcpy(l->conf.debug_log, conf.debug_log, sizeof(conf.debug_log));

	snprintf(detail, sizeof(detail), "%zu licence files, %zu features",
	    conf.nlicense_files, core_feature_count(l->core));
	licd_journal_note(l, "reload", detail);
	log_info("reload: done, %s, %zu grants kept", detail,
	    core_grant_count(l->core));
	expiry_check(l, 0, licd_now());
	if (admin_resolve(l) == -1)
		log_warnx("reload: admin-group %s not found; only root and "
			  "licd's user may administer",
		    l->conf.admin_group);
	rc = 0;
done:
	diag_free(&diag);
	sd_notify(0, "READY=1");
	notify_status();
	return rc;
}

static struct event *stop_ev;
static int64_t stop_deadline;

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	if (licd.nconns > 0 && licd_now() < stop_deadline)
		return;
	if (licd.nconns > 0)
		log_info("stopping: %d connections did not drain in time",
		    licd.nconns);
	event_base_loopexit(licd.base, NULL);
}

/* Stops serving: sessions are told and closed, their grants stay in the
 * journal for the restart, and the loop ends once every session has had
 * its replies written, or after shutdown-grace at most. */
static void
stop_now(void)
{
	struct timeval tv = {0, 20000};

	if (licd.stopping)
		return;
	licd.stopping = 1;
	sd_notify(0, "STOPPING=1");
	for (const struct licd_protocol *const *p = licd_protocols; *p != NULL;
	     p++)
		(*p)->stop(&licd);
	stop_deadline = licd_now() + licd.conf.shutdown_grace * 1000;
	stop_ev = event_new(licd.base, -1, EV_PERSIST, stop_cb, NULL);
	if (stop_ev == NULL)
		event_base_loopexit(licd.base, NULL);
	else
		event_add(stop_ev, &tv);
}

static void
shutdown_cb(evutil_socket_t fd, short what, void *arg)
{
	stop_now();
}

void
licd_shutdown(struct licd *l)
{
	struct timeval zero = {0, 0};

	/* From a session's own callback: stop on the next turn of the
	 * loop, not under the caller's feet. */
	if (event_base_once(
		l->base, -1, EV_TIMEOUT, shutdown_cb, NULL, &zero) == -1)
		stop_now();
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	char why[512];

	switch (sig) {
	case SIGHUP:
		licd_reload(&licd, why, sizeof(why));
		break;
	case SIGTERM:
	case SIGINT:
		if (!licd.stopping)
			log_info("stopping: signal=%s grants=%zu",
			    sig == SIGTERM ? "TERM" : "INT",
			    core_grant_count(licd.core));
		stop_now();
		break;
	}
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

/* Once a day: licence lines expiring soon, or expired since yesterday. */
static void
expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	static int64_t last;
	int64_t now = licd_now();

	expiry_check(&licd, last != 0 ? last : now - 86400000, now);
	last = now;
}

static void
status_cb(evutil_socket_t fd, short what, void *arg)
{
	notify_status();
}

int
main(int argc, char **argv)
{
	struct event *sig_term, *sig_int, *sig_hup, *watchdog, *status;
	struct event *expiry_ev;
	struct core_settings settings;
	struct diag diag;
	struct files files;
	struct timeval tv;
	enum log_level level = LOG_LVL_INFO;
	uint64_t usec;
	int64_t now;
	char err[512], detail[256];
	int rc, admin_fd;

	flags_parse(argc, argv);
	diag_init(&diag);

	memset(&files, 0, sizeof(files));
	rc = conf_build(&licd.conf, &diag);
	if (rc == 0)
		rc = check_all(&licd.conf, &files, &diag);
	if (flags.check) {
		diag_report(&diag, 1);
		if (rc == 0)
			printf("licd: configuration OK: %zu licence files%s\n",
			    licd.conf.nlicense_files,
			    licd.conf.options_file[0] ? ", options file" : "");
		files_free(&files);
		diag_free(&diag);
		return rc == 0 ? 0 : 1;
	}

	log_level_parse(licd.conf.log_level, &level);
	log_init(log_dest_detect(flags.foreground), level, "licd");
	diag_report(&diag, 0);
	if (rc == -1)
		fatalx("the configuration has %zu errors", diag.errors);
	diag_free(&diag);

	signal(SIGPIPE, SIG_IGN);
	if (state_dir_prepare(licd.conf.state_dir) == -1) {
		files_free(&files);
		return 1;
	}
	state_dir_absolute(&licd.conf);
	if (!flags.foreground && getenv("NOTIFY_SOCKET") == NULL &&
	    getenv("JOURNAL_STREAM") == NULL && daemon(1, 0) == -1)
		fatal("daemon");

	if (evthread_use_pthreads() == -1)
		fatalx("libevent: no thread support");
	licd.base = event_base_new();
	if (licd.base == NULL || event_base_priority_init(licd.base, 3) == -1)
		fatalx("libevent: cannot create the event loop");
	if (gethostname(licd.hostname, sizeof(licd.hostname) - 1) == -1)
		snprintf(licd.hostname, sizeof(licd.hostname), "localhost");
	if (licd.conf.server_name[0] != '\0')
		snprintf(licd.hostname, sizeof(licd.hostname), "%s",
		    licd.conf.server_name);
	licd.started_ms = licd_now();

	settings_from_conf(&licd.conf, &settings);
	licd.core = core_new(&settings, licd_core_sink, &licd);
	if (licd.core == NULL)
		fatalx("out of memory");
	now = licd_now();
	if (core_configure(licd.core, &settings, files.lics, files.nlics,
		files_options(&files), now, err, sizeof(err)) == -1)
		fatalx("%s", err);
	licd.debuglog = debuglog_from(&licd.conf, &files);
	files_free(&files);

	licd.journal = journal_open(licd.conf.state_dir, err, sizeof(err));
	if (licd.journal == NULL)
		fatalx("journal: %s", err);
	if (journal_set_sync(licd.journal,
		strcmp(licd.conf.journal_sync, "normal") != 0) == -1)
		fatalx("journal: cannot set journal.sync");
	if (journal_restore(licd.journal, restore_grant, &now) == -1)
		fatalx("journal: cannot read the active grants");
	core_set_next_handle(licd.core, journal_max_handle(licd.journal) + 1);
	if (kms_glue_init(&licd, err, sizeof(err)) == -1)
		fatalx("kms: %s", err);
	if (licd_events_init(&licd) == -1)
		fatalx("cannot start the journal writer");
	if (identity_init(&licd, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (kms_glue_start(&licd) == -1)
		fatalx("kms: cannot start the timer");

	snprintf(detail, sizeof(detail),
	    "licd %s, %zu features, %zu grants restored", LICD_VERSION,
	    core_feature_count(licd.core), core_grant_count(licd.core));
	licd_journal_note(&licd, "start", detail);
	if (journal_sync(licd.journal) == -1)
		fatalx("journal: cannot commit");

	/* The signals are taken before anything listens: a SIGTERM sent
	 * as soon as the port answers must stop licd cleanly, not kill
	 * it. */
	sig_term = evsignal_new(licd.base, SIGTERM, signal_cb, NULL);
	sig_int = evsignal_new(licd.base, SIGINT, signal_cb, NULL);
	sig_hup = evsignal_new(licd.base, SIGHUP, signal_cb, NULL);
	event_add(sig_term, NULL);
	event_add(sig_int, NULL);
	event_add(sig_hup, NULL);

	if (tls_init(&licd.conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (listen_start() == -1)
		fatalx("cannot listen");
	if (http_start(&licd) == -1)
		fatalx("cannot serve http on %s", licd.conf.http);
	if (admin_resolve(&licd) == -1)
		fatalx("admin-group %s: no such group", licd.conf.admin_group);
	admin_fd = admin_listen(&licd);
	if (admin_fd == -1 ||
	    (admin_fd >= 0 &&
		protocol_find("flex")->start_admin(&licd, admin_fd) == -1))
		fatalx("cannot listen on the admin socket");

	watchdog = NULL;
	if (sd_watchdog_enabled(0, &usec) > 0) {
		watchdog =
		    event_new(licd.base, -1, EV_PERSIST, watchdog_cb, NULL);
		tv.tv_sec = (time_t)(usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
		event_add(watchdog, &tv);
	}
	expiry_check(&licd, 0, licd_now());
	expiry_ev = event_new(licd.base, -1, EV_PERSIST, expiry_cb, NULL);
	tv.tv_sec = 86400;
	tv.tv_usec = 0;
	event_add(expiry_ev, &tv);
	status = event_new(licd.base, -1, EV_PERSIST, status_cb, NULL);
	tv.tv_sec = 10;
	tv.tv_usec = 0;
	event_add(status, &tv);

	log_info("started: version=%s state-dir=%s features=%zu "
		 "grants-restored=%zu",
	    LICD_VERSION, licd.conf.state_dir, core_feature_count(licd.core),
	    core_grant_count(licd.core));
	sd_notify(0, "READY=1");
	notify_status();

	event_base_dispatch(licd.base);

	licd_journal_note(&licd, "stop", "");
	if (journal_sync(licd.journal) == -1)
		log_warnx("journal: the stop record was not committed");
	journal_close(licd.journal);
	log_info(
	    "stopped: grants kept for resume=%zu", core_grant_count(licd.core));

	event_free(sig_term);
	event_free(sig_int);
	event_free(sig_hup);
	if (watchdog != NULL)
		event_free(watchdog);
	event_free(status);
	event_free(expiry_ev);
	if (stop_ev != NULL)
		event_free(stop_ev);
	for (const struct licd_protocol *const *p = licd_protocols; *p != NULL;
	     p++)
		(*p)->cleanup(&licd);
	http_stop();
	tls_free();
	identity_free();
	kms_glue_free(&licd);
	debuglog_close(licd.debuglog);
	licd_events_free(&licd);
	core_free(licd.core);
	event_base_free(licd.base);
	return 0;
}
