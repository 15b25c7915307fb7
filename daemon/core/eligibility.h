/*
 * Eligibility: who may hold a product's licence according to the
 * university directory, and which unit pays.  The daemon resolves a
 * client's identity (daemon/identity/) and passes the facts in struct
 * core_client; the rules per product come from licd.conf's
 * identity.products.  Pure: no I/O, time is an argument.
 */
#ifndef LICD_ELIGIBILITY_H
#define LICD_ELIGIBILITY_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#define CORE_ID_STATUS_MAX 8 /* statuses of one person or rule */
#define CORE_ID_STATUS_LEN 32
#define CORE_ID_UNITS_MAX 16 /* units of one person */

/* What licd knows about the client when it decides. */
enum core_id_state {
	CORE_ID_FOUND, /* a person the directory knows */
	CORE_ID_UNKNOWN, /* the directory answered: no such person */
	CORE_ID_UNIT, /* a unit principal: it stands for the unit */
	CORE_ID_PENDING, /* the lookup did not answer within the wait */
	CORE_ID_UNAVAILABLE, /* the directory failed, nothing cached */
};

struct core_identity {
	enum core_id_state state;
	char statuses[CORE_ID_STATUS_MAX][CORE_ID_STATUS_LEN];
	size_t nstatuses;
	/* Unit codes the person belongs to; for a unit principal its
	 * one unit. */
	char units[CORE_ID_UNITS_MAX][CORE_NAME_MAX];
	size_t nunits;
	char primary_unit[CORE_NAME_MAX]; /* "" when the directory has none */
	int64_t card_expiry; /* ms since the epoch; 0: none recorded */
};

enum core_audience {
	CORE_AUD_BOTH, /* members and units */
	CORE_AUD_MEMBERS, /* people only */
	CORE_AUD_UNITS, /* unit principals only */
};

/* One product's rule. */
struct core_elig {
	enum core_audience audience;
	/* Statuses allowed (case-insensitive); none listed: any status. */
	char statuses[CORE_ID_STATUS_MAX][CORE_ID_STATUS_LEN];
	size_t nstatuses;
	int fail_open; /* directory down, nothing cached: grant anyway */
	int pending_refuse; /* lookup slower than the wait: refuse, not
			       "try again" */
};

const char *core_audience_name(enum core_audience);
const char *core_id_state_name(enum core_id_state);

/*
 * Decides whether the client described by id may hold a licence under
 * rule at now, and which unit pays.  declared is a unit the client names
 * ("" or NULL for none): it must be one of the person's units.  Returns
 * CORE_OK with *unit set (NULL when the usual unit rules apply: fail-open),
 * or the reason for refusing: CORE_E_NOT_ELIGIBLE (status, audience, a
 * person the directory does not know), CORE_E_CARD_EXPIRED,
 * CORE_E_NOT_UNIT_MEMBER, CORE_E_DIRECTORY_DOWN (fail-closed, or a
 * pending lookup under pending_refuse) or CORE_E_TRY_AGAIN.
 */
enum core_reason
core_eligible(const struct core_elig *rule, const struct core_identity *id,
    const char *declared, int64_t now, const char **unit);

/*
 * core_eligible() for a client whose verified certificate names a unit,
 * cert_unit (neither NULL nor ""): that unit is charged, and a unit the
 * client declares does not count.  principal: the certificate stands for
 * the unit itself, not a person; it passes a rule of audience "units" or
 * "both" with no directory lookup (id is not read) and is refused by
 * "members".  A person's certificate is checked as core_eligible() checks
 * a declared unit: the unit must be one of the person's (or, for a host
 * that stands for a unit, that unit), else CORE_E_NOT_UNIT_MEMBER; with
 * the directory down and the rule failing open it is charged unchecked.
 * rule NULL (or id NULL for a person): no directory rule, the unit is
 * charged.  Returns CORE_OK with *unit set (never NULL), or the reason.
 */
enum core_reason
core_eligible_cert(const struct core_elig *rule, const struct core_identity *id,
    const char *cert_unit, int principal, int64_t now, const char **unit);

#endif
