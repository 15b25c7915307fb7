/*
 * The LDAP provider, on OpenLDAP's libldap: ldap:// with StartTLS or
 * ldaps://, a simple bind with a service account or SASL/GSSAPI with a
 * keytab, one search per person.  Blocking calls, bounded by the
 * configured timeout; run on the identity worker thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <ldap.h>
#include <sasl/sasl.h>

#include "ident_provider.h"
#include "ident_values.h"

struct ident_ldap {
	LDAP *ld;
	/* After a failure to reach the directory, lookups fail at once
	 * until then (monotonic seconds), so that a hung server does not
	 * make every queued lookup wait out its own timeout. */
	time_t down_until;
	char down_why[120];
};

static time_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

struct ident_ldap *
ident_ldap_new(void)
{
	return calloc(1, sizeof(struct ident_ldap));
}

static void
ldap_drop(struct ident_ldap *l)
{
	if (l->ld != NULL)
		ldap_unbind_ext_s(l->ld, NULL, NULL);
	l->ld = NULL;
}

void
ident_ldap_free(struct ident_ldap *l)
{
	if (l == NULL)
		return;
	ldap_drop(l);
	free(l);
}

/* The service account's password: the file's first line. */
static int
read_password(const char *path, char *buf, size_t len)
{
	FILE *f;
	size_t n;

	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return 0;
}

/* SASL asks for nothing GSSAPI needs: the credentials come from the
 * keytab (KRB5_CLIENT_KTNAME, set before the worker starts). */
static int
sasl_interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	sasl_interact_t *it;

	for (it = in; it->id != SASL_CB_LIST_END; it++) {
		it->result = it->defresult != NULL ? it->defresult : "";
		it->len = (unsigned)strlen(it->result);
	}
	return LDAP_SUCCESS;
}

static int
ldap_fail(
    struct ident_ldap *l, struct ident_answer *out, const char *what, int rc)
{
	char *diag = NULL;

	if (l->ld != NULL)
		ldap_get_option(l->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	snprintf(out->error, sizeof(out->error), "ldap: %s: %s%s%s", what,
	    ldap_err2string(rc), diag != NULL && diag[0] != '\0' ? ": " : "",
	    diag != NULL ? diag : "");
	ldap_memfree(diag);
	ldap_drop(l);
	return -1;
}

static int
ldap_open(
    struct ident_ldap *l, const struct idc_ldap *c, struct ident_answer *out)
{
	struct timeval tv = {c->timeout, 0};
	struct berval cred;
	char pw[512] = "";
	int rc, v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;

	rc = ldap_initialize(&l->ld, c->uri);
	if (rc != LDAP_SUCCESS) {
		l->ld = NULL;
		return ldap_fail(l, out, "initialize", rc);
	}
	ldap_set_option(l->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(l->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(l->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(l->ld, LDAP_OPT_TIMEOUT, &tv);
	if (c->ca_file[0] != '\0') {
		ldap_set_option(l->ld, LDAP_OPT_X_TLS_CACERTFILE, c->ca_file);
		ldap_set_option(l->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
		ldap_set_option(l->ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	}
	if (c->starttls) {
		rc = ldap_start_tls_s(l->ld, NULL, NULL);
		if (rc != LDAP_SUCCESS)
			return ldap_fail(l, out, "StartTLS", rc);
	}

	if (c->sasl_mech[0] != '\0') {
		rc = ldap_sasl_interactive_bind_s(l->ld, NULL, c->sasl_mech,
		    NULL, NULL, LDAP_SASL_QUIET, sasl_interact, NULL);
		if (rc != LDAP_SUCCESS)
			return ldap_fail(l, out, "SASL bind", rc);
		return 0;
	}
	if (c->bind_dn[0] == '\0')
		return 0; /* anonymous */
	if (c->bind_password_file[0] != '\0' &&
	    read_password(c->bind_password_file, pw, sizeof(pw)) == -1) {
		snprintf(out->error, sizeof(out->error),
		    "ldap: bind-password-file %s: %s", c->bind_password_file,
		    strerror(errno));
		ldap_drop(l);
		return -1;
	}
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	rc = ldap_sasl_bind_s(
	    l->ld, c->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	explicit_bzero(pw, sizeof(pw));
	if (rc != LDAP_SUCCESS)
		return ldap_fail(l, out, "bind", rc);
	return 0;
}

/* Each value of attr, through fn into the facts. */
static void
ldap_values(LDAP *ld, LDAPMessage *e, const char *attr,
    void (*fn)(struct core_identity *, const struct berval *),
    struct core_identity *id)
{
	struct berval **vals;
	size_t i;

	if (attr[0] == '\0')
		return;
	vals = ldap_get_values_len(ld, e, attr);
	if (vals == NULL)
		return;
	for (i = 0; vals[i] != NULL; i++)
		fn(id, vals[i]);
	ldap_value_free_len(vals);
}

static void
val_status(struct core_identity *id, const struct berval *v)
{
	char s[CORE_ID_STATUS_LEN];
	size_t i;

	if (ident_status(v->bv_val, v->bv_len, s, sizeof(s)) == -1)
		return;
	for (i = 0; i < id->nstatuses; i++)
		if (strcmp(id->statuses[i], s) == 0)
			return;
	if (id->nstatuses < CORE_ID_STATUS_MAX)
		memcpy(id->statuses[id->nstatuses++], s, sizeof(s));
}

static void
val_unit(struct core_identity *id, const struct berval *v)
{
	char u[CORE_NAME_MAX];
	size_t i;

	if (ident_unit_code(v->bv_val, v->bv_len, u, sizeof(u)) == -1)
		return;
	for (i = 0; i < id->nunits; i++)
		if (strcmp(id->units[i], u) == 0)
			return;
	/* XXX: units past the 16th are not seen. */
	if (id->nunits < CORE_ID_UNITS_MAX)
		memcpy(id->units[id->nunits++], u, sizeof(u));
}

static void
val_primary(struct core_identity *id, const struct berval *v)
{
	if (id->primary_unit[0] == '\0')
		ident_unit_code(v->bv_val, v->bv_len, id->primary_unit,
		    sizeof(id->primary_unit));
}

static void
val_expiry(struct core_identity *id, const struct berval *v)
{
	int64_t ms;

	if (ident_time(v->bv_val, v->bv_len, &ms) == 0 &&
	    (id->card_expiry == 0 || ms > id->card_expiry))
		id->card_expiry = ms;
}

int
ident_ldap_lookup(struct ident_ldap *l, const struct idc_ldap *c, int backoff,
    const char *user, struct ident_answer *out)
{
	struct timeval tv = {c->timeout, 0};
	char filter[1024];
	char *attrs[6];
	LDAPMessage *res = NULL, *e;
	struct core_identity *id = &out->facts;
	char *dn;
	size_t n = 0;
	int rc;

	if (ident_filter_build(c->filter, user, filter, sizeof(filter)) == -1) {
		snprintf(out->error, sizeof(out->error),
		    "ldap: the filter for this user is too long");
		return -1;
	}
	if (l->ld == NULL && mono_now() < l->down_until) {
		snprintf(out->error, sizeof(out->error), "%s (not retried yet)",
		    l->down_why);
		return -1;
	}
	if (l->ld == NULL && ldap_open(l, c, out) == -1) {
		l->down_until = mono_now() + backoff;
		snprintf(l->down_why, sizeof(l->down_why), "%s", out->error);
		return -1;
	}

	if (c->status_attr[0] != '\0')
		attrs[n++] = (char *)c->status_attr;
	if (c->scoped_status_attr[0] != '\0')
		attrs[n++] = (char *)c->scoped_status_attr;
	if (c->units_attr[0] != '\0')
		attrs[n++] = (char *)c->units_attr;
	if (c->primary_unit_attr[0] != '\0')
		attrs[n++] = (char *)c->primary_unit_attr;
	if (c->card_expiry_attr[0] != '\0')
		attrs[n++] = (char *)c->card_expiry_attr;
	attrs[n] = NULL;

	rc = ldap_search_ext_s(l->ld, c->base, LDAP_SCOPE_SUBTREE, filter,
	    attrs, 0, NULL, NULL, &tv, 2, &res);
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
		if (res != NULL)
			ldap_msgfree(res);
		ldap_fail(l, out, "search", rc);
		if (rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT ||
		    rc == LDAP_TIMELIMIT_EXCEEDED) {
			l->down_until = mono_now() + backoff;
			snprintf(
			    l->down_why, sizeof(l->down_why), "%s", out->error);
		}
		return -1;
	}
	l->down_until = 0;
	e = ldap_first_entry(l->ld, res);
	if (e == NULL) {
		ldap_msgfree(res);
		return 0;
	}
	if (ldap_count_entries(l->ld, res) > 1) {
		snprintf(out->error, sizeof(out->error),
		    "ldap: more than one entry matches the filter");
		ldap_msgfree(res);
		return -1;
	}
	dn = ldap_get_dn(l->ld, e);
	if (dn != NULL) {
		snprintf(out->person, sizeof(out->person), "%s", dn);
		ldap_memfree(dn);
	}
	ldap_values(l->ld, e, c->status_attr, val_status, id);
	ldap_values(l->ld, e, c->scoped_status_attr, val_status, id);
	ldap_values(l->ld, e, c->units_attr, val_unit, id);
	ldap_values(l->ld, e, c->primary_unit_attr, val_primary, id);
	ldap_values(l->ld, e, c->card_expiry_attr, val_expiry, id);
	ldap_msgfree(res);
	/* The primary unit is one of the person's units. */
	if (id->primary_unit[0] != '\0') {
		struct berval b = {strlen(id->primary_unit), id->primary_unit};
		val_unit(id, &b);
	}
	return 1;
}
