/*
 * The lsmon layout: exact lines for a hand-built snapshot, and a scraper
 * written from the lsmon capture of the conformance corpus
 * (LICD_CORPUS_DIR, default /work/shared/corpus) that must read both that
 * capture and licctl's output alike: block titles, "label : value" lines
 * with every colon in the capture's column, and the figures an
 * administrator's script takes from them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "licd.h"
#include "tools/licctl/lsmon.h"

#define T0 1796303100000LL /* Thu Dec 03 2026 13:05:00 UTC */

static struct licd_sentinel_feature t_features[] = {
    {
	.feature = "solver",
	.version = "2.0",
	.max_tokens = 10,
	.max_users = 10,
	.in_use = 4,
	.reserved_in_use = 1,
	.reserved_avail = 2,
	.queued = 1,
	.share = "user",
	.share_limit = 3,
	.lease_s = 300,
	.hold_s = 15,
	.commuter_days = 30,
	.expiry = 1830297599000LL, /* Sat Dec 31 2027 23:59:59 */
    },
    {
	.feature = "mesher",
	.version = "1.5",
	.max_tokens = 2,
	.max_users = 2,
	.share = "none",
	.lease_s = 45,
    },
};

static struct licd_sentinel_client t_clients[] = {
    {
	.handle = 7,
	.feature = "solver",
	.version = "2.0",
	.user = "alice",
	.host = "ws1",
	.display = ":0",
	.group = "physics",
	.tokens = 3,
	.since = T0 - 3600000,
	.frontend = "sentinel",
    },
    {
	.handle = 9,
	.feature = "solver",
	.version = "2.0",
	.user = "bob",
	.host = "laptop2",
	.group = "chemistry",
	.tokens = 1,
	.since = T0 - 60000,
	.commuter_until = T0 + 7 * 86400000LL,
	.frontend = "sentinel",
    },
};

static struct licd_sentinel_status t_status = {
    .server = "5093@lic1",
    .features = t_features,
    .nfeatures = 2,
    .clients = t_clients,
    .nclients = 2,
};

static char *
format(const struct licd_sentinel_status *st, const char *feature)
{
	struct lsmon_opts o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	memset(&o, 0, sizeof(o));
	o.feature = feature;
	o.local_time = 0;
	o.now_ms = T0;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(lsmon_format(st, &o, f), 0);
	fclose(f);
	return buf;
}

static const char expected_solver[] =
    "\n"
    " |- Feature Information\n"
    "   |- Feature name                   : \"solver\"\n"
    "   |- Feature version                : \"2.0\"\n"
    "\n"
    "   |- License type                   : \"Normal License\"\n"
    "   |- Commuter license allowed       : YES (up to 30 day(s))\n"
    "   |- Maximum concurrent user(s)     : 10\n"
    "   |- Unreserved tokens in use       : 3\n"
    "   |- Reserved tokens in use         : 1\n"
    "   |- Available reserved             : 2\n"
    "   |- Queued requests                : 1\n"
    "   |- Expiration date                : Fri Dec 31 23:59:59 2027\n"
    "   |- Sharing criterion              : User name based sharing.\n"
    "   |- Sharing limit                  : 3\n"
    "   |- Token lifetime (heartbeat)     : 300 secs (5 min(s))\n"
    "   |- Hold time                      : 15 secs\n"
    "\n"
    "   |- License Information\n"
    "     |- License type                   : \"Normal License\"\n"
    "     |- License status                 : Active\n"
    "     |- Commuter license allowed       : YES (up to 30 day(s))\n"
    "     |- Maximum concurrent user(s)     : 10\n"
    "     |- Total tokens                   : 10\n"
    "     |- Expiration date                : Fri Dec 31 23:59:59 2027\n"
    "     |- Sharing criterion              : User name based sharing.\n"
    "     |- Sharing limit                  : 3\n"
    "     |- Token lifetime (heartbeat)     : 300 secs (5 min(s))\n"
    "\n"
    "   |- Client Information\n"
    "     |- User name                      : alice\n"
    "     |- Host name                      : ws1\n"
    "     |- X display name                 : :0\n"
    "     |- Group name                     : physics\n"
    "     |- Tokens in use                  : 3\n"
    "     |- Status                         : Running since Thu Dec 03 "
    "12:05:00 2026\n"
    "     |- Is commuter token              : NO\n"
    "\n"
    "   |- Client Information\n"
    "     |- User name                      : bob\n"
    "     |- Host name                      : laptop2\n"
    "     |- X display name                 : local\n"
    "     |- Group name                     : chemistry\n"
    "     |- Tokens in use                  : 1\n"
    "     |- Status                         : Running since Thu Dec 03 "
    "13:04:00 2026\n"
    "     |- Is commuter token              : YES\n"
    "     |- Commuter until                 : Thu Dec 10 13:05:00 2026\n";

static void
test_format_exact(void **state)
{
	char *out, want[8192];

	(void)state;
	out = format(&t_status, "solver");
	snprintf(want, sizeof(want),
	    "  licd %s Application Monitor\n\n"
	    " [Contacting licd sentinel front end at \"5093@lic1\"]\n%s",
	    LICD_VERSION, expected_solver);
	assert_string_equal(out, want);
	free(out);
}

/* What a script reads from an lsmon report, per feature block. */
struct scraped {
	char name[64];
	int max_users;
	int unreserved;
	int reserved;
	int avail;
	int clients;
	int commuters;
	int licenses;
	char first_user[64];
};

/*
 * Reads an lsmon report as a script would: titles open blocks, every other
 * "|-" line is "label : value" with its colon in the column of its depth
 * (37 at depth 1, 39 at depth 2).  A "|-" line it cannot read is counted
 * in *bad.  Returns how many feature blocks it read.
 */
static size_t
scrape(const char *text, struct scraped *out, size_t max, int *bad)
{
	const char *line = text, *end, *bar, *colon;
	char label[64], value[256];
	size_t n = 0, len, indent;
	int in_client = 0;

	*bad = 0;
	for (; *line != '\0'; line = *end == '\0' ? end : end + 1) {
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		len = (size_t)(end - line);
		bar = strstr(line, "|- ");
		if (bar == NULL || bar > end)
			continue;
		indent = (size_t)(bar - line);
		if (strspn(line, " ") != indent) {
			(*bad)++;
			continue;
		}
		colon = memchr(bar, ':', (size_t)(end - bar));
		if (colon == NULL || colon[-1] != ' ' || colon[1] != ' ') {
			/* A title. */
			if (len - indent - 3 >= sizeof(label)) {
				(*bad)++;
				continue;
			}
			snprintf(label, sizeof(label), "%.*s",
			    (int)(len - indent - 3), bar + 3);
			if (indent == 1 &&
			    strcmp(label, "Feature Information") == 0) {
				if (n == max) {
					(*bad)++;
					continue;
				}
				memset(&out[n++], 0, sizeof(*out));
				in_client = 0;
			} else if (indent == 3 && n > 0 &&
			    strcmp(label, "Client Information") == 0) {
				out[n - 1].clients++;
				in_client = 1;
			} else if (indent == 3 && n > 0 &&
			    strcmp(label, "License Information") == 0) {
				out[n - 1].licenses++;
				in_client = 0;
			} else {
				(*bad)++;
			}
			continue;
		}
		if ((indent != 3 && indent != 5) ||
		    (size_t)(colon - line) != indent + 3 + 31 || n == 0) {
			(*bad)++;
			continue;
		}
		len = (size_t)(colon - 1 - (bar + 3));
		while (len > 0 && bar[3 + len - 1] == ' ')
			len--;
		snprintf(label, sizeof(label), "%.*s", (int)len, bar + 3);
		len = (size_t)(end - (colon + 2));
		snprintf(value, sizeof(value), "%.*s", (int)len, colon + 2);
		len = strlen(value);
		while (len > 0 &&
		    (value[len - 1] == ' ' || value[len - 1] == '\t'))
			value[--len] = '\0';
		if (indent == 3 && strcmp(label, "Feature name") == 0)
			sscanf(value, "\"%63[^\"]\"", out[n - 1].name);
		else if (indent == 3 &&
		    strcmp(label, "Maximum concurrent user(s)") == 0)
			out[n - 1].max_users = atoi(value);
		else if (indent == 3 &&
		    strcmp(label, "Unreserved tokens in use") == 0)
			out[n - 1].unreserved = atoi(value);
		else if (indent == 3 &&
		    strcmp(label, "Reserved tokens in use") == 0)
			out[n - 1].reserved = atoi(value);
		else if (indent == 3 &&
		    strcmp(label, "Available reserved") == 0)
			out[n - 1].avail = atoi(value);
		else if (in_client && strcmp(label, "User name") == 0 &&
		    out[n - 1].first_user[0] == '\0')
			snprintf(out[n - 1].first_user,
			    sizeof(out[n - 1].first_user), "%s", value);
		else if (in_client && strcmp(label, "Is commuter token") == 0 &&
		    strcmp(value, "YES") == 0)
			out[n - 1].commuters++;
	}
	return n;
}

static void
test_scrape_own(void **state)
{
	struct scraped s[4];
	char *out;
	int bad;

	(void)state;
	out = format(&t_status, NULL);
	assert_int_equal(scrape(out, s, 4, &bad), 2);
	assert_int_equal(bad, 0);
	assert_string_equal(s[0].name, "solver");
	assert_int_equal(s[0].max_users, 10);
	assert_int_equal(s[0].unreserved, 3);
	assert_int_equal(s[0].reserved, 1);
	assert_int_equal(s[0].avail, 2);
	assert_int_equal(s[0].clients, 2);
	assert_int_equal(s[0].commuters, 1);
	assert_int_equal(s[0].licenses, 1);
	assert_string_equal(s[0].first_user, "alice");
	assert_string_equal(s[1].name, "mesher");
	assert_int_equal(s[1].clients, 0);
	assert_int_equal(s[1].unreserved, 0);
	/* No sharing: no limit to speak of; lifetime under a minute. */
	assert_non_null(strstr(out,
	    "Sharing limit                  : Not "
	    "applicable\n"));
	assert_non_null(strstr(out, ": 45 secs\n"));
	assert_non_null(strstr(out,
	    "Expiration date                : No "
	    "expiration\n"));
	free(out);
}

static void
test_scrape_corpus(void **state)
{
	struct scraped s[8];
	char path[1024], *text;
	const char *dir;
	long size;
	FILE *f;
	int bad;

	(void)state;
	dir = getenv("LICD_CORPUS_DIR");
	if (dir == NULL)
		dir = "/work/shared/corpus";
	snprintf(path, sizeof(path), "%s/sentinel/lsmon-aveva.txt", dir);
	f = fopen(path, "r");
	if (f == NULL)
		skip();
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);

	assert_int_equal(scrape(text, s, 8, &bad), 2);
	assert_int_equal(bad, 0);
	assert_string_equal(s[0].name, "ARMS_ID");
	assert_int_equal(s[0].max_users, 99999);
	assert_int_equal(s[0].clients, 0);
	assert_int_equal(s[0].licenses, 1);
	assert_string_equal(s[1].name, "AVEVA201");
	assert_int_equal(s[1].max_users, 130);
	assert_int_equal(s[1].unreserved, 13);
	assert_int_equal(s[1].clients, 3);
	assert_int_equal(s[1].licenses, 2);
	assert_int_equal(s[1].commuters, 0);
	assert_string_equal(s[1].first_user, "enssap");
	free(text);
}

/* A filter on a feature licd does not serve says so; one with two
 * records of different versions shows each holder under its own. */
static void
test_versions_and_filter(void **state)
{
	struct licd_sentinel_feature f[2];
	struct licd_sentinel_client c[2];
	struct licd_sentinel_status st;
	struct scraped s[4];
	char *out;
	int bad;

	(void)state;
	memset(f, 0, sizeof(f));
	memset(c, 0, sizeof(c));
	snprintf(f[0].feature, sizeof(f[0].feature), "cad");
	snprintf(f[0].version, sizeof(f[0].version), "1.0");
	snprintf(f[1].feature, sizeof(f[1].feature), "cad");
	snprintf(f[1].version, sizeof(f[1].version), "2.0");
	snprintf(c[0].feature, sizeof(c[0].feature), "cad");
	snprintf(c[0].version, sizeof(c[0].version), "2.0");
	snprintf(c[0].user, sizeof(c[0].user), "new");
	snprintf(c[1].feature, sizeof(c[1].feature), "cad");
	snprintf(c[1].version, sizeof(c[1].version), "1.0");
	snprintf(c[1].user, sizeof(c[1].user), "old");
	memset(&st, 0, sizeof(st));
	snprintf(st.server, sizeof(st.server), "5093@x");
	st.features = f;
	st.nfeatures = 2;
	st.clients = c;
	st.nclients = 2;

	out = format(&st, NULL);
	assert_int_equal(scrape(out, s, 4, &bad), 2);
	assert_int_equal(bad, 0);
	assert_int_equal(s[0].clients, 1);
	assert_string_equal(s[0].first_user, "old");
	assert_int_equal(s[1].clients, 1);
	assert_string_equal(s[1].first_user, "new");
	assert_non_null(
	    strstr(out, "License status                 : Active\n"));
	free(out);

	/* A feature past its expiry says so. */
	f[0].expiry = T0 - 1000;
	out = format(&st, "cad");
	assert_non_null(
	    strstr(out, "License status                 : Expired\n"));
	assert_non_null(
	    strstr(out, "License status                 : Active\n"));
	free(out);

	out = format(&st, "nothing");
	assert_non_null(strstr(out, "Feature \"nothing\" is not served."));
	assert_int_equal(scrape(out, s, 4, &bad), 0);
	free(out);
}

static void
test_helpers(void **state)
{
	char buf[64];

	(void)state;
	lsmon_date(T0, 0, buf, sizeof(buf));
	assert_string_equal(buf, "Thu Dec 03 13:05:00 2026");
	assert_string_equal(
	    lsmon_sharing("host"), "Client host name based sharing.");
	assert_string_equal(
	    lsmon_sharing("display"), "X display name based sharing.");
	assert_string_equal(
	    lsmon_sharing("id"), "Vendor defined criteria based sharing.");
	assert_string_equal(lsmon_sharing(""), "No sharing.");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_exact),
	    cmocka_unit_test(test_scrape_own),
	    cmocka_unit_test(test_scrape_corpus),
	    cmocka_unit_test(test_versions_and_filter),
	    cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
