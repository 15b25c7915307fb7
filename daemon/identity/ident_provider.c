/*
 * Static and NSS providers, and the chain (ident_provider.h).
 */
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ident_provider.h"

static void
add_unit(struct core_identity *id, const char *code)
{
	size_t i;

	for (i = 0; i < id->nunits; i++)
		if (strcasecmp(id->units[i], code) == 0)
			return;
	if (id->nunits == CORE_ID_UNITS_MAX)
		return; /* XXX: units past the 16th are not seen */
	snprintf(id->units[id->nunits++], CORE_NAME_MAX, "%s", code);
}

static void
add_status(struct core_identity *id, const char *status)
{
	size_t i;

	for (i = 0; i < id->nstatuses; i++)
		if (strcasecmp(id->statuses[i], status) == 0)
			return;
	if (id->nstatuses == CORE_ID_STATUS_MAX)
		return;
	snprintf(
	    id->statuses[id->nstatuses++], CORE_ID_STATUS_LEN, "%s", status);
}

/* A group name stands for a unit when the units file lists it, or when
 * there is no units file at all. */
static const char *
unit_named(const struct ident_sources *src, const char *name)
{
	const struct unit_entry *u;

	if (src->units == NULL || src->units->n == 0)
		return name;
	u = units_find(src->units, name);
	return u != NULL ? u->code : NULL;
}

static int
static_lookup(
    const struct ident_sources *src, const char *user, struct ident_answer *out)
{
	const struct core_options *o = src->opts;
	const struct core_group *g;
	const char *code;
	size_t i, k;

	if (o == NULL)
		return 0;
	for (i = 0; i < o->ngroups; i++) {
		g = &o->groups[i];
		if (g->is_host || (code = unit_named(src, g->name)) == NULL)
			continue;
		for (k = 0; k < g->nmembers; k++)
			if (strcmp(g->members[k], user) == 0) {
				if (out->facts.nunits == 0)
					snprintf(out->facts.primary_unit,
					    CORE_NAME_MAX, "%s", code);
				add_unit(&out->facts, code);
			}
	}
	if (out->facts.nunits == 0)
		return 0;
	add_status(&out->facts, src->conf->static_status);
	snprintf(out->person, sizeof(out->person), "%s", user);
	return 1;
}

int
ident_host_unit(
    const struct ident_sources *src, const char *host, char *unit, size_t len)
{
	const struct core_options *o = src->opts;
	const struct core_group *g;
	const char *code;
	size_t i, k;

	if (o == NULL || host == NULL || host[0] == '\0')
		return 0;
	for (i = 0; i < o->ngroups; i++) {
		g = &o->groups[i];
		if (!g->is_host || (code = unit_named(src, g->name)) == NULL)
			continue;
		for (k = 0; k < g->nmembers; k++)
			if (fnmatch(g->members[k], host, FNM_CASEFOLD) == 0) {
				snprintf(unit, len, "%s", code);
				return 1;
			}
	}
	return 0;
}

static int
nss_lookup(
    const struct ident_sources *src, const char *user, struct ident_answer *out)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp;
	gid_t gids[256];
	char buf[16384];
	const char *code;
	int ngids = (int)(sizeof(gids) / sizeof(gids[0])), i, rc;

	rc = getpwnam_r(user, &pw, buf, sizeof(buf), &pwp);
	if (rc != 0) {
		snprintf(out->error, sizeof(out->error), "nss: getpwnam: %s",
		    strerror(rc));
		return -1;
	}
	if (pwp == NULL)
		return 0;
	/* XXX: past 256 groups the rest are not seen. */
	if (getgrouplist(user, pw.pw_gid, gids, &ngids) == -1)
		ngids = (int)(sizeof(gids) / sizeof(gids[0]));
	for (i = 0; i < ngids; i++) {
		grp = NULL;
		if (getgrgid_r(gids[i], &gr, buf, sizeof(buf), &grp) != 0 ||
		    grp == NULL)
			continue;
		code = unit_named(src, gr.gr_name);
		if (code == NULL)
			continue;
		if (gids[i] == pw.pw_gid)
			snprintf(
			    out->facts.primary_unit, CORE_NAME_MAX, "%s", code);
		add_unit(&out->facts, code);
	}
	add_status(&out->facts, src->conf->static_status);
	snprintf(out->person, sizeof(out->person), "uid=%ld", (long)pw.pw_uid);
	return 1;
}

void
ident_lookup(
    struct ident_sources *src, const char *user, struct ident_answer *out)
{
	const struct identity_conf *conf = src->conf;
	char firsterr[sizeof(out->error)] = "";
	size_t i;
	int rc = 0;

	for (i = 0; i < conf->nproviders; i++) {
		memset(out, 0, sizeof(*out));
		switch (conf->providers[i]) {
		case IDC_STATIC:
			rc = static_lookup(src, user, out);
			break;
		case IDC_NSS:
			rc = nss_lookup(src, user, out);
			break;
		case IDC_LDAP:
			rc = ident_ldap_lookup(
			    src->ldap, &conf->ldap, conf->retry, user, out);
			break;
		}
		if (rc == 1) {
			out->kind = IDENT_FOUND;
			out->facts.state = CORE_ID_FOUND;
			snprintf(out->source, sizeof(out->source), "%s",
			    idc_provider_name(conf->providers[i]));
			return;
		}
		if (rc == -1 && firsterr[0] == '\0')
			snprintf(firsterr, sizeof(firsterr), "%s", out->error);
	}
	memset(out, 0, sizeof(*out));
	if (firsterr[0] != '\0') {
		out->kind = IDENT_ERROR;
		snprintf(out->error, sizeof(out->error), "%s", firsterr);
		return;
	}
	out->kind = IDENT_UNKNOWN;
	out->facts.state = CORE_ID_UNKNOWN;
	snprintf(out->source, sizeof(out->source), "%s",
	    conf->nproviders > 0
		? idc_provider_name(conf->providers[conf->nproviders - 1])
		: "none");
}
