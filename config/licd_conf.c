#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "licd_conf.h"

/*
 * The integer settings, one table: name in the file, where it lives, its
 * bounds and default.  Strings and lists are read by hand below.
 */
struct conf_int {
	const char *name;
	size_t offset;
	int min;
	int max;
	int def;
};

#define CONF_INT(name, field, min, max, def) \
	{ \
		name, offsetof(struct licd_conf, field), min, max, def \
	}

static const struct conf_int conf_ints[] = {
    CONF_INT("limits.max-connections", max_connections, 1, 1000000, 10000),
    CONF_INT("limits.max-connections-per-address", max_per_address, 1, 1000000,
	1000),
    CONF_INT("limits.idle-timeout", idle_timeout, 5, 86400, 600),
    CONF_INT("limits.write-timeout", write_timeout, 1, 3600, 30),
    CONF_INT("limits.handshake-timeout", handshake_timeout, 1, 600, 10),
    CONF_INT("limits.min-timeout", min_timeout, 1, 86400, 900),
    CONF_INT("limits.resume-grace", resume_grace, 1, 86400, 120),
    CONF_INT("limits.max-queue", max_queue, 0, 1000000, 1000),
    CONF_INT("limits.max-pending", max_pending, 1, 100000, 64),
    CONF_INT("limits.heartbeat", heartbeat, 1, 3600, 60),
    CONF_INT("limits.shutdown-grace", shutdown_grace, 0, 60, 2),
    CONF_INT("expiry-warn-days", expiry_warn_days, 0, 3650, 14),
    CONF_INT("kms.port", kms_port, 0, 65535, 1688),
    CONF_INT("sentinel.port", sentinel_port, 0, 65535, 5093),
    CONF_INT("sentinel.max-datagram", sentinel_max_datagram, 512, 65507, 1400),
    CONF_INT("sentinel.rate", sentinel_rate, 1, 1000000, 200),
    CONF_INT("sentinel.lease", sentinel_lease, 1, 86400, 300),
    CONF_INT("sentinel.max-clients", sentinel_max_clients, 1, 1000000, 10000),
    CONF_INT("limits.max-grants-per-client", max_grants_per_client, 1, 1000000,
	1000),
};

#define CONF_NINTS (sizeof(conf_ints) / sizeof(conf_ints[0]))

void
conf_defaults(struct licd_conf *conf)
{
	size_t i;

	memset(conf, 0, sizeof(*conf));
	snprintf(
	    conf->state_dir, sizeof(conf->state_dir), "%s", "/var/lib/licd");
	snprintf(conf->log_level, sizeof(conf->log_level), "%s", "info");
	snprintf(conf->journal_sync, sizeof(conf->journal_sync), "full");
	snprintf(
	    conf->default_unit, sizeof(conf->default_unit), "%s", "unassigned");
	snprintf(conf->kms_address, sizeof(conf->kms_address), "*");
	snprintf(conf->sentinel_address, sizeof(conf->sentinel_address), "*");
	snprintf(conf->tls.user_field, sizeof(conf->tls.user_field), "CN");
	snprintf(conf->tls.unit_field, sizeof(conf->tls.unit_field), "OU");
	conf->tls.min_version = 12;
	identity_conf_defaults(&conf->identity);
	for (i = 0; i < CONF_NINTS; i++)
		*(int *)((char *)conf + conf_ints[i].offset) = conf_ints[i].def;
}

/* Makes a path from the file relative to the file's folder, absolute
 * when the folder exists, so that logs and status name files plainly; the
 * last component is resolved too when it exists. */
static void
conf_path(char *out, size_t len, const char *base, const char *value)
{
	char copy[CONF_PATH_MAX], dir[PATH_MAX], joined[CONF_PATH_MAX * 2];
	char real[PATH_MAX];

	if (value[0] == '/' || base[0] == '\0') {
		snprintf(out, len, "%s", value);
		return;
	}
	snprintf(copy, sizeof(copy), "%s", base);
	if (realpath(dirname(copy), dir) == NULL)
		snprintf(dir, sizeof(dir), "%s", dirname(copy));
	snprintf(joined, sizeof(joined), "%s/%s", dir, value);
	if (realpath(joined, real) != NULL)
		snprintf(out, len, "%s", real);
	else
		snprintf(out, len, "%s", joined);
}

static int
conf_string(config_t *cfg, const char *name, char *out, size_t len,
    const char *file, struct diag *diag)
{
	config_setting_t *s;
	const char *v;

	s = config_lookup(cfg, name);
	if (s == NULL)
		return 0;
	v = config_setting_get_string(s);
	if (v == NULL) {
		diag_add(diag, DIAG_ERROR, file, config_setting_source_line(s),
		    "%s: expected a string", name);
		return -1;
	}
	if (strlen(v) >= len) {
		diag_add(diag, DIAG_ERROR, file, config_setting_source_line(s),
		    "%s: longer than %zu bytes", name, len - 1);
		return -1;
	}
	snprintf(out, len, "%s", v);
	return 1;
}

static void
conf_read_ints(
    config_t *cfg, struct licd_conf *conf, const char *file, struct diag *diag)
{
	config_setting_t *s;
	long long v;
	size_t i;

	for (i = 0; i < CONF_NINTS; i++) {
		s = config_lookup(cfg, conf_ints[i].name);
		if (s == NULL)
			continue;
		if (config_setting_type(s) != CONFIG_TYPE_INT &&
		    config_setting_type(s) != CONFIG_TYPE_INT64) {
			diag_add(diag, DIAG_ERROR, file,
			    config_setting_source_line(s),
			    "%s: expected an integer", conf_ints[i].name);
			continue;
		}
		v = config_setting_get_int64(s);
		if (v < conf_ints[i].min || v > conf_ints[i].max) {
			diag_add(diag, DIAG_ERROR, file,
			    config_setting_source_line(s),
			    "%s: expected an integer from %d to %d, not %lld",
			    conf_ints[i].name, conf_ints[i].min,
			    conf_ints[i].max, v);
			continue;
		}
		*(int *)((char *)conf + conf_ints[i].offset) = (int)v;
	}
}

/*
 * Reads a list of file names (license-files, trusted-keys,
 * reservation-files) into paths, each relative to the file's folder; what
 * names one (e.g. "file names") and at most max of them.
 */
static void
conf_read_paths(config_t *cfg, const char *name, const char *what,
    char (*paths)[CONF_PATH_MAX], size_t *npaths, size_t max, const char *file,
    struct diag *diag)
{
	config_setting_t *list, *item;
	const char *v;
	int i, n;

	list = config_lookup(cfg, name);
	if (list == NULL)
		return;
	if (!config_setting_is_aggregate(list)) {
		diag_add(diag, DIAG_ERROR, file,
		    config_setting_source_line(list),
		    "%s: expected a list of %s, [ \"...\" ]", name, what);
		return;
	}
	n = config_setting_length(list);
	for (i = 0; i < n; i++) {
		item = config_setting_get_elem(list, (unsigned)i);
		v = config_setting_get_string(item);
		if (v == NULL || v[0] == '\0') {
			diag_add(diag, DIAG_ERROR, file,
			    config_setting_source_line(item),
			    "%s: expected a file name", name);
			continue;
		}
		if (*npaths == max) {
			diag_add(diag, DIAG_ERROR, file,
			    config_setting_source_line(item),
			    "%s: more than %zu %s", name, max, what);
			return;
		}
		conf_path(paths[(*npaths)++], CONF_PATH_MAX, file, v);
	}
}

/* A listener's "tls" key (in item): "off", "optional" or "required".
 * Returns the mode, or -1 after a diagnostic. */
static int
conf_tls_mode(config_setting_t *item, const char *file, struct diag *diag)
{
	static const char *const modes[] = {"off", "optional", "required"};
	config_setting_t *s;
	const char *v;
	int i;

	s = config_setting_get_member(item, "tls");
	if (s == NULL)
		return CONF_TLS_OFF;
	v = config_setting_get_string(s);
	for (i = 0; v != NULL && i < 3; i++)
		if (strcmp(v, modes[i]) == 0)
			return i;
	diag_add(diag, DIAG_ERROR, file, config_setting_source_line(s),
	    "tls: expected \"off\", \"optional\" or \"required\"");
	return -1;
}

static void
conf_read_listeners(
    config_t *cfg, struct licd_conf *conf, const char *file, struct diag *diag)
{
	config_setting_t *list, *item;
	struct conf_listener *l;
	const char *proto, *addr;
	int i, n, port, line, tls;

	list = config_lookup(cfg, "listen");
	if (list == NULL)
		return;
	if (!config_setting_is_list(list)) {
		diag_add(diag, DIAG_ERROR, file,
		    config_setting_source_line(list),
		    "listen: expected a list of groups, "
		    "( { protocol = \"flex\"; port = 27000; } )");
		return;
	}
	n = config_setting_length(list);
	for (i = 0; i < n; i++) {
		item = config_setting_get_elem(list, (unsigned)i);
		line = config_setting_source_line(item);
		if (!config_setting_is_group(item)) {
			diag_add(diag, DIAG_ERROR, file, line,
			    "listen: expected a group");
			continue;
		}
		if (conf->nlisteners == CONF_LISTENERS_MAX) {
			diag_add(diag, DIAG_ERROR, file, line,
			    "listen: more than %d listeners",
			    CONF_LISTENERS_MAX);
			return;
		}
		proto = "flex";
		addr = "*";
		port = 27000;
		config_setting_lookup_string(item, "protocol", &proto);
		config_setting_lookup_string(item, "address", &addr);
		config_setting_lookup_int(item, "port", &port);
		tls = conf_tls_mode(item, file, diag);
		if (tls == -1)
			continue;
		if (strcmp(proto, "flex") != 0) {
			diag_add(diag, DIAG_ERROR, file, line,
			    "listen: unknown protocol \"%s\" "
			    "(expected \"flex\")",
			    proto);
			continue;
		}
		if (port < 0 || port > 65535) {
			diag_add(diag, DIAG_ERROR, file, line,
			    "listen: port %d out of range 0-65535", port);
			continue;
		}
		l = &conf->listeners[conf->nlisteners++];
		snprintf(l->protocol, sizeof(l->protocol), "%s", proto);
		snprintf(l->address, sizeof(l->address), "%s", addr);
		l->port = port;
		l->tls = tls;
	}
}

static void
conf_read_require_signature(
    config_t *cfg, struct licd_conf *conf, const char *file, struct diag *diag)
{
	config_setting_t *s;

	s = config_lookup(cfg, "require-signature");
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		diag_add(diag, DIAG_ERROR, file, config_setting_source_line(s),
		    "require-signature: expected true or false");
		return;
	}
	conf->require_signature = config_setting_get_bool(s) ? 1 : 0;
}

/* The integer settings of a kms product: name, where, bounds.  0 (or
 * leaving one out) takes the default of act_product_default(). */
struct conf_kms_int {
	const char *name;
	size_t offset;
	int max;
};

static const struct conf_kms_int conf_kms_ints[] = {
    {"threshold-client", offsetof(struct act_product, threshold_client),
	100000},
    {"threshold-server", offsetof(struct act_product, threshold_server),
	100000},
    {"retry-minutes", offsetof(struct act_product, retry_minutes), 43200},
    {"renewal-days", offsetof(struct act_product, renewal_days), 3650},
    {"validity-days", offsetof(struct act_product, validity_days), 3650},
    {"window-days", offsetof(struct act_product, window_days), 3650},
    {"cap", offsetof(struct act_product, cap), 10000000},
};

#define CONF_KMS_NINTS (sizeof(conf_kms_ints) / sizeof(conf_kms_ints[0]))

static int
conf_kms_name(config_setting_t *item, const char *key, char *out, size_t len,
    int required, const char *file, struct diag *diag)
{
	config_setting_t *s = config_setting_get_member(item, key);
	const char *v;
	int line = config_setting_source_line(item);

	if (s == NULL) {
		if (required)
			diag_add(diag, DIAG_ERROR, file, line,
			    "kms.products: a product needs a %s", key);
		return required ? -1 : 0;
	}
	v = config_setting_get_string(s);
	line = config_setting_source_line(s);
	if (v == NULL || v[0] == '\0' || strlen(v) >= len) {
		diag_add(diag, DIAG_ERROR, file, line,
		    "kms.products: %s: expected a name of 1 to %zu bytes", key,
		    len - 1);
		return -1;
	}
	snprintf(out, len, "%s", v);
	return 0;
}

static void
conf_kms_product(config_setting_t *item, struct act_product *p,
    const char *file, struct diag *diag)
{
	config_setting_t *s;
	const char *name;
	long long v;
	size_t i, k;
	int n, found;

	memset(p, 0, sizeof(*p));
	n = config_setting_length(item);
	for (i = 0; i < (size_t)n; i++) {
		s = config_setting_get_elem(item, (unsigned)i);
		name = config_setting_name(s);
		found = strcmp(name, "name") == 0 || strcmp(name, "group") == 0;
		for (k = 0; k < CONF_KMS_NINTS; k++) {
			if (strcmp(name, conf_kms_ints[k].name) != 0)
				continue;
			found = 1;
			if (config_setting_type(s) != CONFIG_TYPE_INT &&
			    config_setting_type(s) != CONFIG_TYPE_INT64) {
				diag_add(diag, DIAG_ERROR, file,
				    config_setting_source_line(s),
				    "kms.products: %s: expected an integer",
				    name);
				break;
			}
			v = config_setting_get_int64(s);
			if (v < 0 || v > conf_kms_ints[k].max) {
				diag_add(diag, DIAG_ERROR, file,
				    config_setting_source_line(s),
				    "kms.products: %s: expected an integer "
				    "from 0 to %d, not %lld",
				    name, conf_kms_ints[k].max, v);
				break;
			}
			*(int *)((char *)p + conf_kms_ints[k].offset) = (int)v;
		}
		if (!found)
			diag_add(diag, DIAG_ERROR, file,
			    config_setting_source_line(s),
			    "kms.products: unknown setting \"%s\"", name);
	}
	conf_kms_name(item, "name", p->name, sizeof(p->name), 1, file, diag);
	conf_kms_name(item, "group", p->group, sizeof(p->group), 0, file, diag);
}

static void
conf_read_kms(
    config_t *cfg, struct licd_conf *conf, const char *file, struct diag *diag)
{
	config_setting_t *list, *item;
	struct act_product *p;
	size_t k;
	int i, n, line;

	config_setting_t *kms;
	int tls;

	conf_string(cfg, "kms.address", conf->kms_address,
	    sizeof(conf->kms_address), file, diag);
	kms = config_lookup(cfg, "kms");
	if (kms != NULL && config_setting_is_group(kms)) {
		tls = conf_tls_mode(kms, file, diag);
		if (tls != -1)
			conf->kms_tls = tls;
	}
	list = config_lookup(cfg, "kms.products");
	if (list == NULL)
		return;
	if (!config_setting_is_list(list)) {
		diag_add(diag, DIAG_ERROR, file,
		    config_setting_source_line(list),
		    "kms.products: expected a list of groups, "
		    "( { name = \"office\"; } )");
		return;
	}
	conf->nkms_products = 0;
	n = config_setting_length(list);
	for (i = 0; i < n; i++) {
		item = config_setting_get_elem(list, (unsigned)i);
		line = config_setting_source_line(item);
		if (!config_setting_is_group(item)) {
			diag_add(diag, DIAG_ERROR, file, line,
			    "kms.products: expected a group");
			continue;
		}
		if (conf->nkms_products == CONF_KMS_PRODUCTS_MAX) {
			diag_add(diag, DIAG_ERROR, file, line,
			    "kms.products: more than %d products",
			    CONF_KMS_PRODUCTS_MAX);
			return;
		}
		p = &conf->kms_products[conf->nkms_products];
		conf_kms_product(item, p, file, diag);
		if (p->name[0] == '\0')
			continue;
		for (k = 0; k < conf->nkms_products; k++)
			if (strcmp(conf->kms_products[k].name, p->name) == 0)
				break;
		if (k < conf->nkms_products) {
			diag_add(diag, DIAG_ERROR, file, line,
			    "kms.products: product \"%s\" listed twice",
			    p->name);
			continue;
		}
		conf->nkms_products++;
	}
}

/* Every setting the file may hold, to catch misspelt names. */
static const char *const conf_known[] = {
    "state-dir",
    "license-files",
    "options-file",
    "reservation-files",
    "listen",
    "log",
    "log.level",
    "server-name",
    "units",
    "units.default",
    "limits",
    "admin-socket",
    "admin-group",
    "debug-log",
    "trusted-keys",
    "require-signature",
    "http",
    "kms",
    "kms.address",
    "kms.products",
    "sentinel",
    "sentinel.address",
    "sentinel.site-key-file",
    "kms.tls",
    "http-tls",
    "tls",
    "tls.certificate",
    "tls.key",
    "tls.ca",
    "tls.client-ca",
    "tls.verify-client",
    "tls.user-field",
    "tls.unit-field",
    "tls.unit-principals",
    "tls.admins",
    "tls.min-version",
    "identity",
    "identity.providers",
    "identity.units-file",
    "identity.static-status",
    "identity.wait-ms",
    "identity.workers",
    "identity.cache",
    "identity.ldap",
    "identity.products",
    "journal",
    "journal.sync",
};

static void
conf_check_names(config_setting_t *group, const char *prefix, const char *file,
    struct diag *diag)
{
	config_setting_t *s;
	char full[256];
	size_t i, k;
	int n, found;

	n = config_setting_length(group);
	for (i = 0; i < (size_t)n; i++) {
		s = config_setting_get_elem(group, (unsigned)i);
		if (config_setting_name(s) == NULL)
			continue;
		snprintf(
		    full, sizeof(full), "%s%s", prefix, config_setting_name(s));
		found = 0;
		for (k = 0; k < sizeof(conf_known) / sizeof(conf_known[0]); k++)
			if (strcmp(full, conf_known[k]) == 0)
				found = 1;
		for (k = 0; k < CONF_NINTS; k++)
			if (strcmp(full, conf_ints[k].name) == 0)
				found = 1;
		if (!found) {
			diag_add(diag, DIAG_ERROR, file,
			    config_setting_source_line(s),
			    "unknown setting \"%s\"", full);
			continue;
		}
		if (prefix[0] == '\0' &&
		    (strcmp(full, "log") == 0 || strcmp(full, "units") == 0 ||
			strcmp(full, "limits") == 0 ||
			strcmp(full, "kms") == 0 ||
			strcmp(full, "sentinel") == 0 ||
			strcmp(full, "tls") == 0 ||
			strcmp(full, "journal") == 0) &&
		    !config_setting_is_group(s)) {
			diag_add(diag, DIAG_ERROR, file,
			    config_setting_source_line(s),
			    "%s: expected a group, %s = { ... };", full, full);
			continue;
		}
		if (config_setting_is_group(s) && prefix[0] == '\0') {
			snprintf(
			    full, sizeof(full), "%s.", config_setting_name(s));
			conf_check_names(s, full, file, diag);
		}
	}
}

/* "http" is "" or ADDRESS:PORT; the address itself is resolved when
 * licd binds it. */
static void
conf_check_http(
    config_t *cfg, const char *v, const char *file, struct diag *diag)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long port;

	if (v[0] == '\0')
		return;
	port = colon != NULL ? strtol(colon + 1, &end, 10) : 0;
	if (colon == NULL || colon == v || colon[1] == '\0' || *end != '\0' ||
	    port < 1 || port > 65535)
		diag_add(diag, DIAG_ERROR, file,
		    config_setting_source_line(config_lookup(cfg, "http")),
		    "http: expected \"ADDRESS:PORT\" (e.g. "
		    "\"127.0.0.1:9100\") or \"\", not \"%s\"",
		    v);
}

/* A subject field name for user-field and unit-field: letters only, as
 * OpenSSL's short names ("CN", "OU", "emailAddress"). */
static void
conf_tls_field(config_t *cfg, const char *name, char *out, size_t len,
    const char *file, struct diag *diag)
{
	const char *p;

	if (conf_string(cfg, name, out, len, file, diag) <= 0)
		return;
	for (p = out; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
			break;
	if (out[0] == '\0' || *p != '\0')
		diag_add(diag, DIAG_ERROR, file,
		    config_setting_source_line(config_lookup(cfg, name)),
		    "%s: expected a subject field name such as \"CN\"", name);
}

static void
conf_read_tls(
    config_t *cfg, struct licd_conf *conf, const char *file, struct diag *diag)
{
	static const char *const verify[] = {"none", "optional", "required"};
	struct conf_tls *t = &conf->tls;
	config_setting_t *list, *item, *s;
	char value[CONF_PATH_MAX];
	const char *v;
	int i, n;

	if (conf_string(
		cfg, "tls.certificate", value, sizeof(value), file, diag) > 0)
		conf_path(t->certificate, sizeof(t->certificate), file, value);
	if (conf_string(cfg, "tls.key", value, sizeof(value), file, diag) > 0)
		conf_path(t->key, sizeof(t->key), file, value);
	/* "ca" is taken as another name for "client-ca". */
	if (conf_string(cfg, "tls.ca", value, sizeof(value), file, diag) > 0)
		conf_path(t->client_ca, sizeof(t->client_ca), file, value);
	if (conf_string(
		cfg, "tls.client-ca", value, sizeof(value), file, diag) > 0)
		conf_path(t->client_ca, sizeof(t->client_ca), file, value);
	if (conf_string(cfg, "tls.verify-client", value, sizeof(value), file,
		diag) > 0) {
		for (i = 0; i < 3; i++)
			if (strcmp(value, verify[i]) == 0)
				break;
		if (i == 3)
			diag_add(diag, DIAG_ERROR, file,
			    config_setting_source_line(
				config_lookup(cfg, "tls.verify-client")),
			    "tls.verify-client: expected \"none\", "
			    "\"optional\" or \"required\"");
		else
			t->verify_client = i;
	}
	conf_tls_field(cfg, "tls.user-field", t->user_field,
	    sizeof(t->user_field), file, diag);
	conf_tls_field(cfg, "tls.unit-field", t->unit_field,
	    sizeof(t->unit_field), file, diag);
	if ((s = config_lookup(cfg, "tls.unit-principals")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			diag_add(diag, DIAG_ERROR, file,
			    config_setting_source_line(s),
			    "tls.unit-principals: expected true or false");
		else
			t->unit_principals = config_setting_get_bool(s) ? 1 : 0;
	}
	if (conf_string(
		cfg, "tls.min-version", value, sizeof(value), file, diag) > 0) {
		if (strcmp(value, "1.2") == 0)
			t->min_version = 12;
		else if (strcmp(value, "1.3") == 0)
			t->min_version = 13;
		else
			diag_add(diag, DIAG_ERROR, file,
			    config_setting_source_line(
				config_lookup(cfg, "tls.min-version")),
			    "tls.min-version: expected \"1.2\" or \"1.3\"");
	}

	list = config_lookup(cfg, "tls.admins");
	if (list == NULL)
		return;
	if (!config_setting_is_aggregate(list)) {
		diag_add(diag, DIAG_ERROR, file,
		    config_setting_source_line(list),
		    "tls.admins: expected a list, [ \"CN=alice\" ]");
		return;
	}
	t->nadmins = 0;
	n = config_setting_length(list);
	for (i = 0; i < n; i++) {
		item = config_setting_get_elem(list, (unsigned)i);
		v = config_setting_get_string(item);
		if (v == NULL || v[0] == '\0' || strlen(v) >= 256) {
			diag_add(diag, DIAG_ERROR, file,
			    config_setting_source_line(item),
			    "tls.admins: expected a subject or a fingerprint "
			    "of at most 255 bytes");
			continue;
		}
		if (t->nadmins == CONF_TLS_ADMINS_MAX) {
			diag_add(diag, DIAG_ERROR, file,
			    config_setting_source_line(item),
			    "tls.admins: more than %d entries",
			    CONF_TLS_ADMINS_MAX);
			return;
		}
		snprintf(t->admins[t->nadmins++], 256, "%s", v);
	}
}

int
conf_load(const char *path, struct licd_conf *conf, struct diag *diag)
{
	config_t cfg;
	char value[CONF_PATH_MAX];
	size_t errors = diag->errors;

	snprintf(conf->path, sizeof(conf->path), "%s", path);
	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			diag_add(
			    diag, DIAG_ERROR, path, 0, "cannot read the file");
		else
			diag_add(diag, DIAG_ERROR, path,
			    config_error_line(&cfg), "%s",
			    config_error_text(&cfg));
		config_destroy(&cfg);
		return -1;
	}

	conf_check_names(config_root_setting(&cfg), "", path, diag);
	if (conf_string(&cfg, "state-dir", value, sizeof(value), path, diag) >
	    0)
		conf_path(
		    conf->state_dir, sizeof(conf->state_dir), path, value);
	if (conf_string(
		&cfg, "options-file", value, sizeof(value), path, diag) > 0)
		conf_path(conf->options_file, sizeof(conf->options_file), path,
		    value);
	conf_string(&cfg, "log.level", conf->log_level, sizeof(conf->log_level),
	    path, diag);
	if (conf_string(&cfg, "journal.sync", conf->journal_sync,
		sizeof(conf->journal_sync), path, diag) > 0 &&
	    strcmp(conf->journal_sync, "full") != 0 &&
	    strcmp(conf->journal_sync, "normal") != 0)
		diag_add(diag, DIAG_ERROR, path,
		    config_setting_source_line(
			config_lookup(&cfg, "journal.sync")),
		    "journal.sync: expected \"full\" or \"normal\", not "
		    "\"%s\"",
		    conf->journal_sync);
	conf_string(&cfg, "server-name", conf->server_name,
	    sizeof(conf->server_name), path, diag);
	conf_string(&cfg, "units.default", conf->default_unit,
	    sizeof(conf->default_unit), path, diag);
	if (conf_string(
		&cfg, "admin-socket", value, sizeof(value), path, diag) > 0) {
		if (strcmp(value, "off") == 0)
			snprintf(conf->admin_socket, sizeof(conf->admin_socket),
			    "off");
		else
			conf_path(conf->admin_socket,
			    sizeof(conf->admin_socket), path, value);
	}
	conf_string(&cfg, "admin-group", conf->admin_group,
	    sizeof(conf->admin_group), path, diag);
	if (conf_string(&cfg, "debug-log", value, sizeof(value), path, diag) >
	    0)
		conf_path(
		    conf->debug_log, sizeof(conf->debug_log), path, value);
	if (conf_string(
		&cfg, "http", conf->http, sizeof(conf->http), path, diag) > 0)
		conf_check_http(&cfg, conf->http, path, diag);
	conf_read_ints(&cfg, conf, path, diag);
	conf_read_paths(&cfg, "license-files", "file names",
	    conf->license_files, &conf->nlicense_files, CONF_LICENSES_MAX, path,
	    diag);
	conf_read_paths(&cfg, "reservation-files", "file names",
	    conf->reservation_files, &conf->nreservation_files,
	    CONF_RESERVATIONS_MAX, path, diag);
	conf_read_listeners(&cfg, conf, path, diag);
	conf_read_paths(&cfg, "trusted-keys", "key files", conf->trusted_keys,
	    &conf->ntrusted_keys, CONF_TRUSTED_KEYS_MAX, path, diag);
	conf_read_require_signature(&cfg, conf, path, diag);
	conf_read_kms(&cfg, conf, path, diag);
	conf_string(&cfg, "sentinel.address", conf->sentinel_address,
	    sizeof(conf->sentinel_address), path, diag);
	if (conf_string(&cfg, "sentinel.site-key-file", value, sizeof(value),
		path, diag) > 0)
		conf_path(conf->sentinel_site_key_file,
		    sizeof(conf->sentinel_site_key_file), path, value);
	conf_read_tls(&cfg, conf, path, diag);
	if (conf_string(&cfg, "http-tls", value, sizeof(value), path, diag) >
	    0) {
		if (strcmp(value, "off") == 0)
			conf->http_tls = CONF_TLS_OFF;
		else if (strcmp(value, "required") == 0)
			conf->http_tls = CONF_TLS_REQUIRED;
		else
			diag_add(diag, DIAG_ERROR, path,
			    config_setting_source_line(
				config_lookup(&cfg, "http-tls")),
			    "http-tls: expected \"off\" or \"required\"");
	}
	identity_conf_read(&cfg, path, &conf->identity, diag);

	config_destroy(&cfg);
	return diag->errors > errors ? -1 : 0;
}

int
conf_add_license(struct licd_conf *conf, const char *path, int *replaced)
{
	if (!*replaced) {
		conf->nlicense_files = 0;
		*replaced = 1;
	}
	if (conf->nlicense_files == CONF_LICENSES_MAX)
		return -1;
	snprintf(conf->license_files[conf->nlicense_files++], CONF_PATH_MAX,
	    "%s", path);
	return 0;
}

int
conf_finish(struct licd_conf *conf, struct diag *diag)
{
	const char *where = conf->path[0] ? conf->path : "licd";
	size_t errors = diag->errors;
	struct conf_listener *l;
	size_t i;

	if (conf->nlisteners == 0) {
		snprintf(conf->listeners[0].protocol,
		    sizeof(conf->listeners[0].protocol), "flex");
		snprintf(conf->listeners[0].address,
		    sizeof(conf->listeners[0].address), "*");
		conf->listeners[0].port = 27000;
		conf->nlisteners = 1;
	}
	/* The KMS listener follows the flex ones, so that the first
	 * listener stays the flex port that status reports. */
	if (conf->kms_port != 0 && conf->nkms_products > 0 &&
	    conf->nlisteners < CONF_LISTENERS_MAX) {
		l = &conf->listeners[conf->nlisteners++];
		snprintf(l->protocol, sizeof(l->protocol), "kms");
		snprintf(
		    l->address, sizeof(l->address), "%s", conf->kms_address);
		l->port = conf->kms_port;
		l->tls = conf->kms_tls;
	}
	if (conf->sentinel_site_key_file[0] != '\0' &&
	    access(conf->sentinel_site_key_file, R_OK) != 0)
		diag_add(diag, DIAG_ERROR, where, 0,
		    "sentinel.site-key-file: cannot read %s: %s",
		    conf->sentinel_site_key_file, strerror(errno));
	/* The sentinel listener (UDP) comes last for the same reason. */
	if (conf->sentinel_port != 0 && conf->nlisteners < CONF_LISTENERS_MAX) {
		l = &conf->listeners[conf->nlisteners++];
		snprintf(l->protocol, sizeof(l->protocol), "sentinel");
		snprintf(l->address, sizeof(l->address), "%s",
		    conf->sentinel_address);
		l->port = conf->sentinel_port;
	}
	for (i = 0; i < conf->nlisteners; i++)
		if (conf->listeners[i].tls != CONF_TLS_OFF &&
		    (conf->tls.certificate[0] == '\0' ||
			conf->tls.key[0] == '\0'))
			diag_add(diag, DIAG_ERROR, where, 0,
			    "listener on port %d: tls needs "
			    "tls.certificate and tls.key",
			    conf->listeners[i].port);
	if (conf->http_tls != CONF_TLS_OFF &&
	    (conf->tls.certificate[0] == '\0' || conf->tls.key[0] == '\0'))
		diag_add(diag, DIAG_ERROR, where, 0,
		    "http-tls needs tls.certificate and tls.key");
	if (conf->tls.verify_client != CONF_VERIFY_NONE &&
	    conf->tls.client_ca[0] == '\0')
		diag_add(diag, DIAG_ERROR, where, 0,
		    "tls.verify-client needs tls.client-ca");
	if (conf->nlicense_files == 0)
		diag_add(diag, DIAG_ERROR, where, 0,
		    "no licence file: set license-files or give --license");
	if (conf->state_dir[0] == '\0')
		diag_add(diag, DIAG_ERROR, where, 0,
		    "no state directory: set state-dir or give --state-dir");
	if (conf->admin_socket[0] == '\0')
		snprintf(conf->admin_socket, sizeof(conf->admin_socket),
		    "%s/admin.sock", conf->state_dir);
	/* sun_path holds 108 bytes with its NUL. */
	if (strcmp(conf->admin_socket, "off") != 0 &&
	    strlen(conf->admin_socket) > 107)
		diag_add(diag, DIAG_ERROR, where, 0,
		    "admin-socket: the path is over 107 bytes: %s",
		    conf->admin_socket);
	if (conf->idle_timeout < 2 * conf->heartbeat)
		diag_add(diag, DIAG_ERROR, where, 0,
		    "limits.idle-timeout (%d) must be at least twice "
		    "limits.heartbeat (%d)",
		    conf->idle_timeout, conf->heartbeat);
	return diag->errors > errors ? -1 : 0;
}
