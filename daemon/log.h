/*
 * Logging: one line per event worth an operator's attention, facts as
 * key=value.  In the foreground lines go to stderr with a level word;
 * under systemd to stderr with the "<N>" priority prefix that journald
 * reads; otherwise to syslog.  libevent's own messages come here too.
 */
#ifndef LICD_LOG_H
#define LICD_LOG_H

#include <stdarg.h>

enum log_dest {
	LOG_DEST_STDERR, /* plain text with a level word */
	LOG_DEST_JOURNAL, /* "<N>" prefixes for journald */
	LOG_DEST_SYSLOG,
};

/* Levels follow syslog's numbers so that "<N>" and syslog() need no
 * mapping. */
enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

void log_init(enum log_dest, enum log_level, const char *ident);
void log_set_level(enum log_level);
enum log_level log_get_level(void);

/* Parses "error", "warning", "notice", "info", "debug".  Returns 0 or -1. */
int log_level_parse(const char *, enum log_level *);

/* Picks the destination for a daemon: the journal when stderr is connected
 * to it (JOURNAL_STREAM), stderr in the foreground, syslog otherwise. */
enum log_dest log_dest_detect(int foreground);

void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Logs and exits: for start-up failures and impossible states only.  fatal
 * adds the errno text, fatalx does not. */
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/* An assertion that stays on in release builds. */
#define LICD_ASSERT(cond) \
	do { \
		if (!(cond)) \
			fatalx("assertion failed: %s (%s:%d)", #cond, \
			    __FILE__, __LINE__); \
	} while (0)

#endif
