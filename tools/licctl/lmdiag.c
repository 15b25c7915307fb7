/*
 * lmdiag: for each feature, whether a checkout would succeed now, and why
 * not.  The STATUS snapshot tells what can be known from counts (uncounted,
 * expired, every seat taken); then, unless -n is given, licctl checks one
 * seat out and straight back in as the calling user, so that the options
 * file's rules (INCLUDE, EXCLUDE, MAX, RESERVE, units) give their verdict
 * too.  That checkout and checkin are real: they are journaled like any.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "licctl.h"
#include "licd.h"
#include "lmstat.h"

#define DIAG_RULE "-----------------------------------------------------\n"

static int
diag_reserved(const struct licd_status *st, const char *feature)
{
	size_t i;

	for (i = 0; i < st->nreservations; i++)
		if (strcmp(st->reservations[i].feature, feature) == 0)
			return 1;
	return 0;
}

/* Judges one feature; returns 1 when it can be checked out. */
static int
diag_feature(struct licd_conn *c, const struct licd_status *st,
    const struct licd_status_feature *f, const char *server, int try_it,
    time_t now)
{
	char expires[32], why[600];
	uint64_t handle;
	int ok = 0, free_seats;

	lmstat_expiry((long long)f->expiry, expires, sizeof(expires));
	printf(DIAG_RULE);
	printf("\"%s\" v%s, vendor: %s, expiry: %s\n", f->feature, f->version,
	    f->vendor[0] ? f->vendor : st->vendor, expires);
	printf("License server: %s\n", server);
	if (f->uncounted)
		printf("uncounted nodelocked license\n\n");
	else
		printf("floating license, %d issued, %d in use, %d queued\n\n",
		    f->issued, f->in_use, f->queued);

	free_seats = f->issued - f->in_use;
	why[0] = '\0';
	if (f->uncounted)
		snprintf(why, sizeof(why),
		    "it is uncounted (node-locked): licd reports it but does "
		    "not serve it");
	else if (f->expiry != 0 && f->expiry <= (int64_t)now)
		snprintf(why, sizeof(why), "it expired on %s", expires);
	else if (f->issued == 0)
		snprintf(why, sizeof(why),
		    "no line of it is in date (expired or not yet started)");
	else if (free_seats <= 0)
		snprintf(why, sizeof(why),
		    "all %d license%s in use, %d request%s queued", f->issued,
		    f->issued == 1 ? " is" : "s are", f->queued,
		    f->queued == 1 ? "" : "s");
	else if (!try_it)
		ok = 1;
	else if (licd_checkout(c, f->feature, NULL, 1, 0, 0, &handle) == 0) {
		ok = 1;
		if (licd_checkin(c, handle) == -1)
			fprintf(stderr,
			    "lmdiag: the test seat of %s was not checked "
			    "in (%s); it returns when lmdiag exits\n",
			    f->feature, licd_error(c));
	} else {
		snprintf(why, sizeof(why), "%s (%s)", licd_error(c),
		    licd_error_reason(c));
	}

	if (ok && try_it)
		printf("This license can be checked out: a seat was just "
		       "checked out and back in\n");
	else if (ok)
		printf("This license can be checked out: %d of %d free%s\n",
		    free_seats, f->issued,
		    diag_reserved(st, f->feature)
			? " (some may be reserved for others)"
			: "");
	else
		printf("This license cannot be checked out: %s\n", why);
	return ok;
}

int
cmd_lmdiag(int argc, char **argv)
{
	struct licctl_servers sv;
	struct licd_status st;
	struct licd_conn *c;
	const char *spec = NULL;
	char list[4096], err[512], feature[64] = "", *colon;
	size_t i;
	int try_it = 1, bad = 0;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < (size_t)argc)
			spec = argv[++i];
		else if (strcmp(argv[i], "-n") == 0)
			try_it = 0;
		else if (argv[i][0] != '-' && feature[0] == '\0')
			snprintf(feature, sizeof(feature), "%s", argv[i]);
		else {
			fprintf(stderr,
			    "usage: lmdiag [-c PORT@HOST|FILE] [-n] "
			    "[feature]\n");
			return LICCTL_EX_USAGE;
		}
	}
	/* FlexLM's feature:keyfile form: the key part means nothing here. */
	if ((colon = strchr(feature, ':')) != NULL)
		*colon = '\0';
	spec = licctl_servers(spec);
	if (spec == NULL) {
		fprintf(stderr,
		    "lmdiag: no server: give -c PORT@HOST or a "
		    "licence file, or set LM_LICENSE_FILE\n");
		return LICCTL_EX_USAGE;
	}
	if (licctl_servers_resolve(spec, &sv, err, sizeof(err)) == -1) {
		fprintf(stderr, "lmdiag: %s\n", err);
		return LICCTL_EX_USAGE;
	}
	licctl_servers_join(&sv, 0, sv.n, list, sizeof(list));
	c = licd_connect(list, NULL, 0, err, sizeof(err));
	if (c == NULL) {
		printf("lmdiag: Cannot connect to license server system. "
		       "(%s)\n",
		    err);
		return LICCTL_EX_FAIL;
	}
	if (licd_status_get(c, feature[0] ? feature : NULL, &st) == -1) {
		printf(
		    "lmdiag: no status from the server: %s\n", licd_error(c));
		licd_close(c);
		return LICCTL_EX_FAIL;
	}
	printf("licctl - licd v%s licence diagnostics (lmdiag layout)\n",
	    st.server_version);
	printf("%s\n\n",
	    try_it ? "Each feature is tried with a real "
		     "checkout and checkin."
		   : "Judged from the server's counts only (-n).");
	for (i = 0; i < st.nfeatures; i++) {
		if (!diag_feature(
			c, &st, &st.features[i], list, try_it, time(NULL)))
			bad++;
	}
	if (st.nfeatures == 0) {
		printf("lmdiag: licd serves no feature %s\n",
		    feature[0] ? feature : "at all");
		bad++;
	} else {
		printf(DIAG_RULE);
	}
	licd_status_free(&st);
	licd_close(c);
	return bad == 0 ? 0 : LICCTL_EX_FAIL;
}
