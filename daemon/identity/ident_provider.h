/*
 * The identity providers: static files, NSS and LDAP.  ident_lookup()
 * blocks (NSS, network) and runs only on the identity worker thread;
 * everything it reads besides its own LDAP connection is built before
 * the worker starts and never changes while it runs.
 */
#ifndef LICD_IDENT_PROVIDER_H
#define LICD_IDENT_PROVIDER_H

#include <stddef.h>

#include "../../config/identity_conf.h"
#include "../../config/units.h"
#include "../core/core_types.h"
#include "ident_cache.h"

struct ident_ldap;

struct ident_sources {
	const struct identity_conf *conf;
	const struct units *units; /* n == 0 without a units file */
	const struct core_options *opts; /* GROUP, HOST_GROUP; may be NULL */
	struct ident_ldap *ldap; /* the worker's connection */
};

/* Asks each provider in order; the first that knows the user answers.
 * Worker thread only. */
void ident_lookup(
    struct ident_sources *, const char *user, struct ident_answer *out);

/* The unit a host stands for: a HOST_GROUP of the options file named
 * after a unit of the units file lists it.  Pure; returns 1 with the unit
 * code in unit, or 0. */
int ident_host_unit(
    const struct ident_sources *, const char *host, char *unit, size_t len);

/* The worker's LDAP connection: made on first use, dropped on errors. */
struct ident_ldap *ident_ldap_new(void);
void ident_ldap_free(struct ident_ldap *);

/* One provider's try.  Returns 1 found (out filled), 0 not known there,
 * -1 failed (out->error says why).  After the directory could not be
 * reached, lookups fail at once for backoff seconds. */
int ident_ldap_lookup(struct ident_ldap *, const struct idc_ldap *, int backoff,
    const char *user, struct ident_answer *out);

#endif
