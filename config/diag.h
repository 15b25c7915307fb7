/*
 * Diagnostics collected while loading configuration: each message carries
 * the file and line it is about, so "licd -t" and a refused reload can say
 * exactly what was wrong and where.  Loaders keep going after an error so
 * that one run reports every problem.
 */
#ifndef LICD_DIAG_H
#define LICD_DIAG_H

#include <stdarg.h>
#include <stddef.h>

enum diag_level {
	DIAG_ERROR, /* the file is invalid; it must not be used */
	DIAG_WARNING, /* accepted, but the administrator should know */
	DIAG_NOTICE, /* e.g. a keyword parsed but not yet honoured */
};

struct diag_msg {
	enum diag_level level;
	char file[1024];
	int line; /* 0 when the message is about the whole file */
	char text[256];
};

struct diag {
	struct diag_msg *msgs;
	size_t n;
	size_t cap;
	size_t errors;
};

void diag_init(struct diag *);
void diag_free(struct diag *);

/* Adds one message.  Never fails: past an internal bound (1000 messages) or
 * when memory runs out, further messages are counted but not kept. */
void diag_add(struct diag *, enum diag_level, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* diag_add with the arguments in ap. */
void diag_vadd(struct diag *, enum diag_level, const char *file, int line,
    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* Formats a message as "file:line: level: text" into buf. */
void diag_format(const struct diag_msg *, char *buf, size_t len);

#endif
