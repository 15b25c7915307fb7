/*
 * The identity = { ... } group of licd.conf (identity_conf.h).
 */
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "identity_conf.h"

#define IDC_WAIT_MAX 60000 /* ms */

void
identity_conf_defaults(struct identity_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->static_status, sizeof(c->static_status), "member");
	c->wait_ms = 2000;
	c->workers = 2;
	c->positive = 3600;
	c->negative = 300;
	c->max_stale = 86400;
	c->retry = 30;
	c->ldap.timeout = 5;
	snprintf(c->ldap.filter, sizeof(c->ldap.filter), "(uid=%%s)");
	snprintf(c->ldap.style, sizeof(c->ldap.style), "eduperson");
}

const char *
idc_provider_name(enum idc_provider p)
{
	switch (p) {
	case IDC_STATIC:
		return "static";
	case IDC_NSS:
		return "nss";
	case IDC_LDAP:
	default:
		return "ldap";
	}
}

const struct idc_product *
identity_conf_product(const struct identity_conf *c, const char *feature)
{
	size_t i;

	if (!c->enabled)
		return NULL;
	for (i = 0; i < c->nproducts; i++)
		if (strcmp(c->products[i].feature, feature) == 0)
			return &c->products[i];
	return NULL;
}

struct idc_ctx {
	const char *file;
	struct diag *diag;
};

static int
line_of(config_setting_t *s)
{
	return s != NULL ? config_setting_source_line(s) : 0;
}

/* A string member of group into out; 1 found, 0 absent, -1 bad. */
static int
idc_string(struct idc_ctx *x, config_setting_t *group, const char *where,
    const char *name, char *out, size_t len)
{
	config_setting_t *s;
	const char *v;

	s = config_setting_get_member(group, name);
	if (s == NULL)
		return 0;
	v = config_setting_get_string(s);
	if (v == NULL || strlen(v) >= len) {
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(s),
		    "%s.%s: expected a string of at most %zu bytes", where,
		    name, len - 1);
		return -1;
	}
	snprintf(out, len, "%s", v);
	return 1;
}

static void
idc_path(struct idc_ctx *x, config_setting_t *group, const char *where,
    const char *name, char *out, size_t len)
{
	char v[IDC_PATH_MAX], dir[IDC_PATH_MAX];
	char *slash;

	if (idc_string(x, group, where, name, v, sizeof(v)) <= 0)
		return;
	if (v[0] == '/' || v[0] == '\0') {
		snprintf(out, len, "%s", v);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", x->file);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(out, len, "%s", v);
	else {
		*slash = '\0';
		snprintf(out, len, "%s/%s", dir, v);
	}
}

static void
idc_int(struct idc_ctx *x, config_setting_t *group, const char *where,
    const char *name, int min, int max, int *out)
{
	config_setting_t *s;
	long long v;

	s = config_setting_get_member(group, name);
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(s),
		    "%s.%s: expected an integer", where, name);
		return;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(s),
		    "%s.%s: expected an integer from %d to %d, not %lld", where,
		    name, min, max, v);
		return;
	}
	*out = (int)v;
}

static void
idc_bool(struct idc_ctx *x, config_setting_t *group, const char *where,
    const char *name, int *out)
{
	config_setting_t *s;

	s = config_setting_get_member(group, name);
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(s),
		    "%s.%s: expected true or false", where, name);
		return;
	}
	*out = config_setting_get_bool(s);
}

/* Refuses members of group not in known (NULL-terminated). */
static void
idc_known(struct idc_ctx *x, config_setting_t *group, const char *where,
    const char *const *known)
{
	config_setting_t *s;
	const char *name;
	size_t k;
	int i, n;

	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(group, (unsigned)i);
		name = config_setting_name(s);
		if (name == NULL)
			continue;
		for (k = 0; known[k] != NULL; k++)
			if (strcmp(name, known[k]) == 0)
				break;
		if (known[k] == NULL)
			diag_add(x->diag, DIAG_ERROR, x->file, line_of(s),
			    "unknown setting \"%s.%s\"", where, name);
	}
}

static config_setting_t *
idc_group(struct idc_ctx *x, config_setting_t *parent, const char *where,
    const char *name)
{
	config_setting_t *g;

	g = config_setting_get_member(parent, name);
	if (g == NULL)
		return NULL;
	if (!config_setting_is_group(g)) {
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(g),
		    "%s.%s: expected a group, { ... }", where, name);
		return NULL;
	}
	return g;
}

static void
idc_providers(
    struct idc_ctx *x, config_setting_t *id, struct identity_conf *out)
{
	config_setting_t *list, *item;
	const char *v;
	size_t k;
	int i, n;

	list = config_setting_get_member(id, "providers");
	if (list == NULL)
		return;
	if (!config_setting_is_aggregate(list)) {
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(list),
		    "identity.providers: expected a list, [ \"static\", "
		    "\"nss\", \"ldap\" ]");
		return;
	}
	n = config_setting_length(list);
	for (i = 0; i < n; i++) {
		item = config_setting_get_elem(list, (unsigned)i);
		v = config_setting_get_string(item);
		if (v == NULL ||
		    (strcmp(v, "static") != 0 && strcmp(v, "nss") != 0 &&
			strcmp(v, "ldap") != 0)) {
			diag_add(x->diag, DIAG_ERROR, x->file, line_of(item),
			    "identity.providers: expected \"static\", "
			    "\"nss\" or \"ldap\"");
			continue;
		}
		for (k = 0; k < out->nproviders; k++)
			if (strcmp(idc_provider_name(out->providers[k]), v) ==
			    0)
				break;
		if (k < out->nproviders ||
		    out->nproviders == IDC_PROVIDERS_MAX) {
			diag_add(x->diag, DIAG_ERROR, x->file, line_of(item),
			    "identity.providers: \"%s\" listed twice", v);
			continue;
		}
		out->providers[out->nproviders++] = v[0] == 's' ? IDC_STATIC
		    : v[0] == 'n'                               ? IDC_NSS
								: IDC_LDAP;
	}
}

static void
idc_ldap_style(struct idc_ldap *l)
{
	const int ox = strcmp(l->style, "oxford") == 0;

#define IDC_DEFAULT(field, edu, oak) \
	if (l->field[0] == '\0') \
	snprintf(l->field, sizeof(l->field), "%s", ox ? (oak) : (edu))
	IDC_DEFAULT(status_attr, "eduPersonAffiliation", "oakStatus");
	IDC_DEFAULT(scoped_status_attr, "eduPersonScopedAffiliation", "");
	IDC_DEFAULT(units_attr, "eduPersonOrgUnitDN", "oakUnitCode");
	IDC_DEFAULT(primary_unit_attr, "eduPersonPrimaryOrgUnitDN",
	    "oakPrimaryUnitCode");
	IDC_DEFAULT(card_expiry_attr, "", "oakCardExpiry");
#undef IDC_DEFAULT
}

static void
idc_ldap(struct idc_ctx *x, config_setting_t *id, struct identity_conf *out)
{
	static const char *const known[] = {"uri", "starttls", "ca-file",
	    "bind-dn", "bind-password-file", "sasl-mech", "keytab", "base",
	    "filter", "timeout", "style", "status-attribute",
	    "scoped-status-attribute", "units-attribute",
	    "primary-unit-attribute", "card-expiry-attribute", NULL};
	struct idc_ldap *l = &out->ldap;
	config_setting_t *g;
	const char *w = "identity.ldap", *pct;

	g = idc_group(x, id, "identity", "ldap");
	if (g != NULL) {
		idc_known(x, g, w, known);
		idc_string(x, g, w, "uri", l->uri, sizeof(l->uri));
		idc_bool(x, g, w, "starttls", &l->starttls);
		idc_path(x, g, w, "ca-file", l->ca_file, sizeof(l->ca_file));
		idc_string(x, g, w, "bind-dn", l->bind_dn, sizeof(l->bind_dn));
		idc_path(x, g, w, "bind-password-file", l->bind_password_file,
		    sizeof(l->bind_password_file));
		idc_string(
		    x, g, w, "sasl-mech", l->sasl_mech, sizeof(l->sasl_mech));
		idc_path(x, g, w, "keytab", l->keytab, sizeof(l->keytab));
		idc_string(x, g, w, "base", l->base, sizeof(l->base));
		idc_string(x, g, w, "filter", l->filter, sizeof(l->filter));
		idc_int(x, g, w, "timeout", 1, 300, &l->timeout);
		idc_string(x, g, w, "style", l->style, sizeof(l->style));
		idc_string(x, g, w, "status-attribute", l->status_attr,
		    sizeof(l->status_attr));
		idc_string(x, g, w, "scoped-status-attribute",
		    l->scoped_status_attr, sizeof(l->scoped_status_attr));
		idc_string(x, g, w, "units-attribute", l->units_attr,
		    sizeof(l->units_attr));
		idc_string(x, g, w, "primary-unit-attribute",
		    l->primary_unit_attr, sizeof(l->primary_unit_attr));
		idc_string(x, g, w, "card-expiry-attribute",
		    l->card_expiry_attr, sizeof(l->card_expiry_attr));
	}
	if (strcmp(l->style, "eduperson") != 0 &&
	    strcmp(l->style, "oxford") != 0)
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(g),
		    "identity.ldap.style: expected \"eduperson\" or "
		    "\"oxford\"");
	idc_ldap_style(l);
	pct = strstr(l->filter, "%s");
	if (pct == NULL || strstr(pct + 2, "%") != NULL ||
	    strchr(l->filter, '%') != pct)
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(g),
		    "identity.ldap.filter: expected exactly one %%s (the "
		    "user name) and no other %%");
	if (l->sasl_mech[0] != '\0' && strcmp(l->sasl_mech, "GSSAPI") != 0)
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(g),
		    "identity.ldap.sasl-mech: only \"GSSAPI\" is supported");
}

static void
idc_statuses(struct idc_ctx *x, config_setting_t *list, const char *where,
    struct core_elig *e)
{
	config_setting_t *item;
	const char *v;
	int i, n;

	if (!config_setting_is_aggregate(list)) {
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(list),
		    "%s.statuses: expected a list of strings", where);
		return;
	}
	n = config_setting_length(list);
	for (i = 0; i < n; i++) {
		item = config_setting_get_elem(list, (unsigned)i);
		v = config_setting_get_string(item);
		if (v == NULL || v[0] == '\0' ||
		    strlen(v) >= CORE_ID_STATUS_LEN ||
		    e->nstatuses == CORE_ID_STATUS_MAX) {
			diag_add(x->diag, DIAG_ERROR, x->file, line_of(item),
			    "%s.statuses: at most %d names of 1 to %d "
			    "characters",
			    where, CORE_ID_STATUS_MAX, CORE_ID_STATUS_LEN - 1);
			continue;
		}
		snprintf(
		    e->statuses[e->nstatuses++], CORE_ID_STATUS_LEN, "%s", v);
	}
}

static void
idc_product(
    struct idc_ctx *x, config_setting_t *item, struct identity_conf *out)
{
	static const char *const known[] = {"feature", "audience", "statuses",
	    "on-failure", "wait-ms", "when-slow", NULL};
	struct idc_product p;
	config_setting_t *s;
	char v[32], where[96];
	size_t k;

	memset(&p, 0, sizeof(p));
	p.wait_ms = out->wait_ms;
	if (!config_setting_is_group(item)) {
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(item),
		    "identity.products: expected groups, ( { feature = "
		    "\"...\"; ... } )");
		return;
	}
	snprintf(where, sizeof(where), "identity.products");
	idc_known(x, item, where, known);
	if (idc_string(
		x, item, where, "feature", p.feature, sizeof(p.feature)) <= 0 ||
	    p.feature[0] == '\0') {
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(item),
		    "identity.products: each product needs a feature");
		return;
	}
	snprintf(where, sizeof(where), "identity.products[%s]", p.feature);
	if (idc_string(x, item, where, "audience", v, sizeof(v)) > 0) {
		if (strcmp(v, "members") == 0)
			p.elig.audience = CORE_AUD_MEMBERS;
		else if (strcmp(v, "units") == 0)
			p.elig.audience = CORE_AUD_UNITS;
		else if (strcmp(v, "both") == 0)
			p.elig.audience = CORE_AUD_BOTH;
		else
			diag_add(x->diag, DIAG_ERROR, x->file, line_of(item),
			    "%s.audience: expected \"members\", \"units\" "
			    "or \"both\"",
			    where);
	}
	s = config_setting_get_member(item, "statuses");
	if (s != NULL)
		idc_statuses(x, s, where, &p.elig);
	if (idc_string(x, item, where, "on-failure", v, sizeof(v)) > 0) {
		if (strcmp(v, "open") == 0)
			p.elig.fail_open = 1;
		else if (strcmp(v, "closed") != 0)
			diag_add(x->diag, DIAG_ERROR, x->file, line_of(item),
			    "%s.on-failure: expected \"open\" or \"closed\"",
			    where);
	}
	if (idc_string(x, item, where, "when-slow", v, sizeof(v)) > 0) {
		if (strcmp(v, "refuse") == 0)
			p.elig.pending_refuse = 1;
		else if (strcmp(v, "try-again") != 0)
			diag_add(x->diag, DIAG_ERROR, x->file, line_of(item),
			    "%s.when-slow: expected \"try-again\" or "
			    "\"refuse\"",
			    where);
	}
	idc_int(x, item, where, "wait-ms", 0, IDC_WAIT_MAX, &p.wait_ms);

	for (k = 0; k < out->nproducts; k++)
		if (strcmp(out->products[k].feature, p.feature) == 0) {
			diag_add(x->diag, DIAG_ERROR, x->file, line_of(item),
			    "identity.products: %s listed twice", p.feature);
			return;
		}
	if (out->nproducts == IDC_PRODUCTS_MAX) {
		diag_add(x->diag, DIAG_ERROR, x->file, line_of(item),
		    "identity.products: more than %d products",
		    IDC_PRODUCTS_MAX);
		return;
	}
	out->products[out->nproducts++] = p;
}

int
identity_conf_read(
    void *cfgp, const char *file, struct identity_conf *out, struct diag *diag)
{
	static const char *const known[] = {"providers", "units-file",
	    "static-status", "wait-ms", "workers", "cache", "ldap", "products",
	    NULL};
	static const char *const cache_known[] = {
	    "positive", "negative", "max-stale", "retry", NULL};
	config_t *cfg = cfgp;
	struct idc_ctx x = {file, diag};
	config_setting_t *id, *g, *list;
	size_t errors = diag->errors;
	int i, n;

	id = config_lookup(cfg, "identity");
	if (id == NULL)
		return 0;
	if (!config_setting_is_group(id)) {
		diag_add(diag, DIAG_ERROR, file, line_of(id),
		    "identity: expected a group, identity = { ... };");
		return -1;
	}
	out->enabled = 1;
	idc_known(&x, id, "identity", known);
	idc_providers(&x, id, out);
	idc_path(&x, id, "identity", "units-file", out->units_file,
	    sizeof(out->units_file));
	idc_string(&x, id, "identity", "static-status", out->static_status,
	    sizeof(out->static_status));
	idc_int(&x, id, "identity", "wait-ms", 0, IDC_WAIT_MAX, &out->wait_ms);
	idc_int(
	    &x, id, "identity", "workers", 1, IDC_WORKERS_MAX, &out->workers);
	g = idc_group(&x, id, "identity", "cache");
	if (g != NULL) {
		idc_known(&x, g, "identity.cache", cache_known);
		idc_int(&x, g, "identity.cache", "positive", 1, 7 * 86400,
		    &out->positive);
		idc_int(&x, g, "identity.cache", "negative", 1, 7 * 86400,
		    &out->negative);
		idc_int(&x, g, "identity.cache", "max-stale", 0, 30 * 86400,
		    &out->max_stale);
		idc_int(
		    &x, g, "identity.cache", "retry", 1, 86400, &out->retry);
	}
	idc_ldap(&x, id, out);
	for (i = 0; i < (int)out->nproviders; i++)
		if (out->providers[i] == IDC_LDAP && out->ldap.uri[0] == '\0')
			diag_add(diag, DIAG_ERROR, file, line_of(id),
			    "identity.ldap.uri: needed with the ldap "
			    "provider");

	list = config_setting_get_member(id, "products");
	if (list != NULL) {
		if (!config_setting_is_list(list)) {
			diag_add(diag, DIAG_ERROR, file, line_of(list),
			    "identity.products: expected a list, ( { ... }, "
			    "{ ... } )");
		} else {
			n = config_setting_length(list);
			for (i = 0; i < n; i++)
				idc_product(&x,
				    config_setting_get_elem(list, (unsigned)i),
				    out);
		}
	}
	return diag->errors > errors ? -1 : 0;
}
