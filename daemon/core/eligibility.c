/*
 * Per-product eligibility from directory facts (eligibility.h).
 */
#include <stddef.h>
#include <strings.h>

#include "eligibility.h"

const char *
core_audience_name(enum core_audience a)
{
	switch (a) {
	case CORE_AUD_MEMBERS:
		return "members";
	case CORE_AUD_UNITS:
		return "units";
	case CORE_AUD_BOTH:
	default:
		return "both";
	}
}

const char *
core_id_state_name(enum core_id_state s)
{
	switch (s) {
	case CORE_ID_FOUND:
		return "found";
	case CORE_ID_UNKNOWN:
		return "unknown";
	case CORE_ID_UNIT:
		return "unit";
	case CORE_ID_PENDING:
		return "pending";
	case CORE_ID_UNAVAILABLE:
	default:
		return "unavailable";
	}
}

static int
status_allowed(const struct core_elig *rule, const struct core_identity *id)
{
	size_t i, k;

	if (rule->nstatuses == 0)
		return 1;
	for (i = 0; i < id->nstatuses; i++)
		for (k = 0; k < rule->nstatuses; k++)
			if (strcasecmp(id->statuses[i], rule->statuses[k]) == 0)
				return 1;
	return 0;
}

static const char *
unit_of(const struct core_identity *id, const char *code)
{
	size_t i;

	for (i = 0; i < id->nunits; i++)
		if (strcasecmp(id->units[i], code) == 0)
			return id->units[i];
	return NULL;
}

enum core_reason
core_eligible(const struct core_elig *rule, const struct core_identity *id,
    const char *declared, int64_t now, const char **unit)
{
	const char *u;

	*unit = NULL;
	switch (id->state) {
	case CORE_ID_PENDING:
		return rule->pending_refuse ? CORE_E_DIRECTORY_DOWN
					    : CORE_E_TRY_AGAIN;
	case CORE_ID_UNAVAILABLE:
		/* Fail-open: the usual unit rules (GROUP, HOST_GROUP, the
		 * default unit) decide who pays. */
		return rule->fail_open ? CORE_OK : CORE_E_DIRECTORY_DOWN;
	case CORE_ID_UNKNOWN:
		return CORE_E_NOT_ELIGIBLE;
	case CORE_ID_UNIT:
		if (rule->audience == CORE_AUD_MEMBERS || id->nunits == 0)
			return CORE_E_NOT_ELIGIBLE;
		*unit = id->units[0];
		return CORE_OK;
	case CORE_ID_FOUND:
		break;
	}

	if (rule->audience == CORE_AUD_UNITS || !status_allowed(rule, id))
		return CORE_E_NOT_ELIGIBLE;
	if (id->card_expiry != 0 && id->card_expiry <= now)
		return CORE_E_CARD_EXPIRED;

	if (declared != NULL && declared[0] != '\0') {
		u = unit_of(id, declared);
		if (u == NULL && strcasecmp(id->primary_unit, declared) == 0)
			u = id->primary_unit;
		if (u == NULL)
			return CORE_E_NOT_UNIT_MEMBER;
		*unit = u;
		return CORE_OK;
	}
	if (id->primary_unit[0] != '\0')
		*unit = id->primary_unit;
	else if (id->nunits > 0)
		*unit = id->units[0];
	return CORE_OK;
}

enum core_reason
core_eligible_cert(const struct core_elig *rule, const struct core_identity *id,
    const char *cert_unit, int principal, int64_t now, const char **unit)
{
	enum core_reason r;
	const char *u;

	*unit = NULL;
	if (cert_unit == NULL || cert_unit[0] == '\0')
		return CORE_E_NOT_ELIGIBLE;
	if (principal) {
		if (rule != NULL && rule->audience == CORE_AUD_MEMBERS)
			return CORE_E_NOT_ELIGIBLE;
		*unit = cert_unit;
		return CORE_OK;
	}
	if (rule == NULL || id == NULL) {
		*unit = cert_unit;
		return CORE_OK;
	}
	r = core_eligible(rule, id, cert_unit, now, &u);
	if (r != CORE_OK)
		return r;
	/* core_eligible() lets a unit host's unit stand whatever is
	 * declared; a certificate's unit must be that unit. */
	if (id->state == CORE_ID_UNIT &&
	    (u == NULL || strcasecmp(u, cert_unit) != 0))
		return CORE_E_NOT_UNIT_MEMBER;
	/* u is the directory's spelling; NULL when the directory is down
	 * and the rule fails open: the CA vouches for the unit. */
	*unit = u != NULL ? u : cert_unit;
	return CORE_OK;
}
