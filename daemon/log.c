#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"

static enum log_dest log_dest = LOG_DEST_STDERR;
static enum log_level log_level = LOG_LVL_INFO;

static const char *
log_word(int level)
{
	switch (level) {
	case LOG_LVL_ERR:
		return "error";
	case LOG_LVL_WARNING:
		return "warning";
	case LOG_LVL_NOTICE:
		return "notice";
	case LOG_LVL_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void log_vwrite(int, const char *, va_list, int)
    __attribute__((format(printf, 2, 0)));

static void
log_vwrite(int level, const char *fmt, va_list ap, int with_errno)
{
	char msg[2048];
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	int saved = errno;
	size_t n;

	if (level > (int)log_level)
		return;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}

	switch (log_dest) {
	case LOG_DEST_SYSLOG:
		syslog(level, "%s", msg);
		break;
	case LOG_DEST_JOURNAL:
		fprintf(stderr, "<%d>%s\n", level, msg);
		break;
	case LOG_DEST_STDERR:
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, log_word(level), msg);
		break;
	}
	errno = saved;
}

static void
log_libevent(int severity, const char *msg)
{
	int level;

	switch (severity) {
	case EVENT_LOG_DEBUG:
		level = LOG_LVL_DEBUG;
		break;
	case EVENT_LOG_MSG:
		level = LOG_LVL_INFO;
		break;
	case EVENT_LOG_WARN:
		level = LOG_LVL_WARNING;
		break;
	default:
		level = LOG_LVL_ERR;
		break;
	}
	if (level > (int)log_level)
		return;
	switch (log_dest) {
	case LOG_DEST_SYSLOG:
		syslog(level, "libevent: %s", msg);
		break;
	case LOG_DEST_JOURNAL:
		fprintf(stderr, "<%d>libevent: %s\n", level, msg);
		break;
	case LOG_DEST_STDERR:
		fprintf(stderr, "%s: libevent: %s\n", log_word(level), msg);
		break;
	}
}

void
log_init(enum log_dest dest, enum log_level level, const char *ident)
{
	log_dest = dest;
	log_level = level;
	if (dest == LOG_DEST_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else
		setvbuf(stderr, NULL, _IOLBF, 0);
	event_set_log_callback(log_libevent);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
	    {"error", LOG_LVL_ERR},
	    {"warning", LOG_LVL_WARNING},
	    {"notice", LOG_LVL_NOTICE},
	    {"info", LOG_LVL_INFO},
	    {"debug", LOG_LVL_DEBUG},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	}
	return -1;
}

enum log_dest
log_dest_detect(int foreground)
{
	if (getenv("JOURNAL_STREAM") != NULL)
		return LOG_DEST_JOURNAL;
	return foreground ? LOG_DEST_STDERR : LOG_DEST_SYSLOG;
}

#define LOG_FN(name, level, with_errno) \
	void name(const char *fmt, ...) \
	{ \
		va_list ap; \
\
		va_start(ap, fmt); \
		log_vwrite(level, fmt, ap, with_errno); \
		va_end(ap); \
	}

LOG_FN(log_warn, LOG_LVL_WARNING, 1)
LOG_FN(log_warnx, LOG_LVL_WARNING, 0)
LOG_FN(log_notice, LOG_LVL_NOTICE, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERR, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERR, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
