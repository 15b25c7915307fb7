/*
 * Feeds raw bytes to the reservation-file parser; what it accepts is
 * mapped onto options, built into a core with a small licence and checked
 * against it.  Whatever the input, nothing may crash, leak or break the
 * parser's bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/license.h"
#include "config/reservation.h"
#include "daemon/core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char lic_text[] = "VENDOR demo\n"
			       "FEATURE f demo 1.0 permanent 5 0\n"
			       "INCREMENT f demo 2.0 permanent 3 0\n"
			       "FEATURE stars demo 2.0 permanent 4 0\n";

static void
check_bounds(const struct reservation_file *f)
{
	const struct reservation_group *g;
	size_t i, j;

	if (f->ngroups > RESERVATION_GROUPS_MAX)
		abort();
	for (i = 0; i < f->ngroups; i++) {
		g = &f->groups[i];
		if (g->nmembers > RESERVATION_MEMBERS_MAX ||
		    strlen(g->unit) >= CORE_NAME_MAX ||
		    g->nusers + g->nhosts > g->nmembers)
			abort();
		for (j = 0; j < g->nmembers; j++)
			if (strlen(g->members[j].name) >= CORE_NAME_MAX)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct core_license_file lic;
	struct reservation_file f;
	struct reservation_merged m;
	struct core_settings st;
	struct core *c;
	struct diag d;
	char err[512];

	diag_init(&d);
	if (reservation_parse("fuzz.rsv", (const char *)data, size, &f, &d) ==
	    0) {
		check_bounds(&f);
		if (reservation_merge(NULL, &f, 1, &m, &d) == 0 &&
		    license_parse("fuzz.lic", lic_text, strlen(lic_text), &lic,
			&d) == 0) {
			core_settings_default(&st);
			c = core_new(&st, NULL, NULL);
			/* The parser's checks are all the core needs: a
			 * file it accepts must build. */
			if (c == NULL ||
			    core_configure(c, &st, &lic, 1, &m.opts,
				1700000000000LL, err, sizeof(err)) != 0)
				abort();
			reservation_check(&f, 1, c, 1700000000000LL, &d);
			core_free(c);
			license_free(&lic);
		}
		reservation_merged_free(&m);
	}
	reservation_free(&f);
	diag_free(&d);
	return 0;
}
