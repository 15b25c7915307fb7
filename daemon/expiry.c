#include <stdio.h>
#include <time.h>

#include "expiry.h"
#include "licd.h"
#include "log.h"

struct expiry_scan {
	int64_t since;
	int64_t now;
	int64_t horizon;
	int reported;
};

static void
expiry_date(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	/* The expiry is the first moment a line no longer grants: the day
	 * named in the file is the day before. */
	t -= 1;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

static void
expiry_line(void *arg, const struct core_line_info *l)
{
	struct expiry_scan *x = arg;
	char date[32];
	long days;

	if (l->expiry == 0)
		return;
	expiry_date(l->expiry, date, sizeof(date));
	if (l->expiry <= x->now) {
		if (l->expiry > x->since) {
			log_warnx("licence expired: feature=%s version=%s "
				  "seats=%d expiry=%s file=%s:%d",
			    l->feature, l->version, l->count, date, l->file,
			    l->lineno);
			x->reported++;
		}
		return;
	}
	if (l->expiry > x->horizon)
		return;
	days = (long)((l->expiry - x->now + 86399999) / 86400000);
	log_warnx("licence expires soon: feature=%s version=%s seats=%d "
		  "expiry=%s days=%ld file=%s:%d",
	    l->feature, l->version, l->count, date, days, l->file, l->lineno);
	x->reported++;
}

int
expiry_check(struct licd *licd, int64_t since_ms, int64_t now)
{
	struct expiry_scan x;

	x.since = since_ms;
	x.now = now;
	x.horizon = now + (int64_t)licd->conf.expiry_warn_days * 86400000;
	x.reported = 0;
	core_foreach_line(licd->core, now, expiry_line, &x);
	return x.reported;
}
