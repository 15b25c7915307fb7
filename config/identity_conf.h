/*
 * licd.conf's identity = { ... } group: the identity providers, their
 * cache, the LDAP directory and the eligibility rule of each product
 * (man/licd.conf.5, config/examples/licd.conf).
 */
#ifndef LICD_IDENTITY_CONF_H
#define LICD_IDENTITY_CONF_H

#include <stddef.h>

#include "../daemon/core/eligibility.h"
#include "diag.h"

#define IDC_PROVIDERS_MAX 4
#define IDC_PRODUCTS_MAX 64
#define IDC_PATH_MAX 1024
#define IDC_STR_MAX 256
#define IDC_ATTR_MAX 64
#define IDC_WORKERS_MAX 16

enum idc_provider {
	IDC_STATIC, /* options-file GROUP/HOST_GROUP named after units */
	IDC_NSS, /* getpwnam/getgrouplist: groups named after units */
	IDC_LDAP,
};

struct idc_ldap {
	char uri[IDC_STR_MAX]; /* ldap://host:port/ or ldaps:// */
	int starttls;
	char ca_file[IDC_PATH_MAX];
	char bind_dn[IDC_STR_MAX]; /* simple bind; "" anonymous */
	char bind_password_file[IDC_PATH_MAX];
	char sasl_mech[32]; /* "GSSAPI" instead of a simple bind */
	char keytab[IDC_PATH_MAX]; /* KRB5_CLIENT_KTNAME for GSSAPI */
	char base[IDC_STR_MAX];
	char filter[IDC_STR_MAX]; /* one %s: the escaped user name */
	int timeout; /* seconds: connect and each operation */
	char style[16]; /* "eduperson" or "oxford": attribute defaults */
	char status_attr[IDC_ATTR_MAX];
	char scoped_status_attr[IDC_ATTR_MAX];
	char units_attr[IDC_ATTR_MAX];
	char primary_unit_attr[IDC_ATTR_MAX];
	char card_expiry_attr[IDC_ATTR_MAX];
};

struct idc_product {
	char feature[64];
	struct core_elig elig;
	int wait_ms; /* how long a checkout waits for a lookup */
};

struct identity_conf {
	int enabled; /* the identity group is present */
	enum idc_provider providers[IDC_PROVIDERS_MAX];
	size_t nproviders;
	char units_file[IDC_PATH_MAX];
	char static_status[CORE_ID_STATUS_LEN];
	int wait_ms;
	int workers; /* lookup threads, each with its own connection */
	/* cache lifetimes, seconds */
	int positive;
	int negative;
	int max_stale;
	int retry; /* after a failed lookup, before asking again */
	struct idc_ldap ldap;
	struct idc_product products[IDC_PRODUCTS_MAX];
	size_t nproducts;
};

struct config_t;

/* Fills defaults: disabled, no providers, no products. */
void identity_conf_defaults(struct identity_conf *);

/*
 * Reads the identity group of cfg (a libconfig config_t) into out;
 * relative paths are taken from file's folder.  Every problem goes to
 * diag with its line.  Returns 0 or -1.
 */
int identity_conf_read(
    void *cfg, const char *file, struct identity_conf *out, struct diag *);

/* The rule of a product, or NULL when it has none. */
const struct idc_product *
identity_conf_product(const struct identity_conf *, const char *feature);

const char *idc_provider_name(enum idc_provider);

#endif
