#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "debuglog.h"
#include "log.h"

#define DEBUGLOG_STAMP_EVERY (6 * 3600 * 1000LL)

struct debuglog {
	FILE *f;
	char path[1024];
	int64_t last_stamp; /* ms of the last TIMESTAMP line */
	int last_yday; /* its local day of the year */
	int last_year;
	unsigned nolog; /* CORE_NOLOG_* */
};

static void
debuglog_time(int64_t now, struct tm *tm)
{
	time_t t = (time_t)(now / 1000);

	localtime_r(&t, tm);
}

/* "hh:mm:ss (who) " with the hour padded to two columns, as lmgrd. */
static void
debuglog_prefix(struct debuglog *d, const struct tm *tm, const char *who)
{
	fprintf(d->f, "%2d:%02d:%02d (%s) ", tm->tm_hour, tm->tm_min,
	    tm->tm_sec, who);
}

static void
debuglog_stamp(struct debuglog *d, int64_t now, const struct tm *tm)
{
	debuglog_prefix(d, tm, "licd");
	fprintf(d->f, "TIMESTAMP %d/%d/%d\n", tm->tm_mon + 1, tm->tm_mday,
	    tm->tm_year + 1900);
	d->last_stamp = now;
	d->last_yday = tm->tm_yday;
	d->last_year = tm->tm_year;
}

/* Starts a line, after a TIMESTAMP when the date is due. */
static void
debuglog_begin(struct debuglog *d, int64_t now, const char *who)
{
	struct tm tm;

	debuglog_time(now, &tm);
	if (tm.tm_yday != d->last_yday || tm.tm_year != d->last_year ||
	    now - d->last_stamp >= DEBUGLOG_STAMP_EVERY)
		debuglog_stamp(d, now, &tm);
	debuglog_prefix(d, &tm, who);
}

struct debuglog *
debuglog_open(const char *path, int truncate, unsigned nolog, int64_t now)
{
	struct debuglog *d;
	struct tm tm;
	int fd;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	snprintf(d->path, sizeof(d->path), "%s", path);
	d->nolog = nolog;
	fd = open(path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		(truncate ? O_TRUNC : 0),
	    0640);
	if (fd == -1 || (d->f = fdopen(fd, "a")) == NULL) {
		log_warn("debug log %s", path);
		if (fd != -1)
			close(fd);
		free(d);
		return NULL;
	}
	debuglog_time(now, &tm);
	debuglog_stamp(d, now, &tm);
	fflush(d->f);
	return d;
}

void
debuglog_close(struct debuglog *d)
{
	if (d == NULL)
		return;
	fclose(d->f);
	free(d);
}

/*
 * XXX: lines are written on the event loop, as lmgrd writes its log; a
 * stalled disk stalls checkouts while the debug log is on.
 */
void
debuglog_event(struct debuglog *d, const struct core_event *ev)
{
	const struct core_grant_info *g = ev->grant;
	const char *what;
	unsigned skip;

	if (d == NULL || g == NULL)
		return;
	switch (ev->type) {
	case CORE_EV_CHECKOUT:
		what = "OUT";
		skip = d->nolog & CORE_NOLOG_OUT;
		break;
	case CORE_EV_CHECKIN:
		what = "IN";
		skip = d->nolog & CORE_NOLOG_IN;
		break;
	case CORE_EV_DENY:
		what = "DENIED";
		skip = d->nolog & CORE_NOLOG_DENIED;
		break;
	case CORE_EV_QUEUE:
		what = "QUEUED";
		skip = d->nolog & CORE_NOLOG_QUEUED;
		break;
	case CORE_EV_DEQUEUE:
		what = "DEQUEUED";
		skip = d->nolog & CORE_NOLOG_QUEUED;
		break;
	default:
		return;
	}
	if (skip)
		return;

	debuglog_begin(d, ev->time, g->vendor[0] ? g->vendor : "licd");
	fprintf(d->f, "%s: \"%s\" %s@%s  ", what, g->feature, g->user, g->host);
	if (ev->type == CORE_EV_CHECKIN && ev->release == CORE_REL_TIMEOUT)
		fprintf(d->f, "(INACTIVE)");
	else if (ev->type == CORE_EV_DENY)
		fprintf(d->f, "(%s (%s))", core_reason_text(ev->reason),
		    core_reason_name(ev->reason));
	else if (ev->type == CORE_EV_QUEUE)
		fprintf(d->f, "(%s)", core_reason_text(CORE_E_NO_SEATS));
	fputc('\n', d->f);
	fflush(d->f);
}

void
debuglog_note(struct debuglog *d, int64_t now, const char *text)
{
	if (d == NULL)
		return;
	debuglog_begin(d, now, "licd");
	fprintf(d->f, "%s\n", text);
	fflush(d->f);
}
