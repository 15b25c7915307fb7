#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

#define DIAG_KEEP_MAX 1000

void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
diag_free(struct diag *d)
{
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}

void
diag_vadd(struct diag *d, enum diag_level level, const char *file, int line,
    const char *fmt, va_list ap)
{
	struct diag_msg *m, *grown;
	size_t cap;

	if (level == DIAG_ERROR)
		d->errors++;

	if (d->n == d->cap) {
		if (d->cap >= DIAG_KEEP_MAX)
			return;
		cap = d->cap ? d->cap * 2 : 16;
		if (cap > DIAG_KEEP_MAX)
			cap = DIAG_KEEP_MAX;
		grown = realloc(d->msgs, cap * sizeof(*grown));
		if (grown == NULL)
			return;
		d->msgs = grown;
		d->cap = cap;
	}

	m = &d->msgs[d->n++];
	m->level = level;
	snprintf(m->file, sizeof(m->file), "%s", file ? file : "-");
	m->line = line;

	vsnprintf(m->text, sizeof(m->text), fmt, ap);
}

void
diag_add(struct diag *d, enum diag_level level, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, level, file, line, fmt, ap);
	va_end(ap);
}

void
diag_format(const struct diag_msg *m, char *buf, size_t len)
{
	static const char *const words[] = {"error", "warning", "notice"};

	if (m->line > 0)
		snprintf(buf, len, "%s:%d: %s: %s", m->file, m->line,
		    words[m->level], m->text);
	else
		snprintf(
		    buf, len, "%s: %s: %s", m->file, words[m->level], m->text);
}
