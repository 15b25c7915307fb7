/*
 * Identity and eligibility from the university directory, for the front
 * ends: who a client is (statuses, units, card expiry), from a cache in
 * front of a chain of providers (static files, NSS, LDAP) that run on a
 * worker thread with its own connection, so that the event loop never
 * waits on the directory.  A request that needs an identity not cached
 * waits (without holding up anybody else) at most the product's wait
 * time; the worker's answer or the timer comes back through the loop.
 */
#ifndef LICD_IDENTITY_H
#define LICD_IDENTITY_H

#include <stdint.h>
#include <sys/queue.h>

#include "../../config/identity_conf.h"
#include "../../config/units.h"
#include "../core/eligibility.h"
#include "ident_cache.h"

struct licd;
struct event;

/* A request waiting for an identity.  The owner embeds it (zeroed),
 * fills done, and MUST call identity_cancel() before it goes away. */
struct identity_wait {
	/* Called on the loop with the identity (state PENDING when the
	 * wait ran out); the wait is disarmed first and may be reused. */
	void (*done)(struct identity_wait *, const struct core_identity *);
	char key[IDENT_KEY_MAX];
	struct event *timer;
	int armed;
	TAILQ_ENTRY(identity_wait) entry;
};

/* Starts the module from licd->conf.identity (loads the units file and
 * the options file's groups, starts the worker).  Does nothing without an
 * identity group.  Returns 0, or -1 with the reason in err. */
int identity_init(struct licd *, char *err, size_t len);
void identity_free(void);

/* Checks what identity_init() will read (the units file), for "licd -t"
 * and reloads.  Returns 0 or -1 with diagnostics. */
struct licd_conf;
int identity_check(const struct licd_conf *, struct diag *);

/* The product's rule, or NULL: no directory check for it. */
const struct idc_product *identity_product(const char *feature);

/*
 * Resolves a client at now.  Returns 1 with *out filled when the answer
 * is known without waiting (cached, stale, a unit principal, a recent
 * failure, or wait_ms 0), or 0 when it is being looked up (*out zeroed):
 * the caller may then wait for it with identity_wait_start().
 */
int identity_resolve(const char *user, const char *host, int wait_ms,
    int64_t now, struct core_identity *out);

/*
 * Arms w for the answer about user that identity_resolve() said is
 * coming: w->done is called on the loop once it comes, or within
 * wait_ms.  Returns 0, or -1 when no timer could be made (w is left
 * disarmed; the answer then counts as pending).
 */
int identity_wait_start(struct identity_wait *w, const char *user, int wait_ms);

/* identity.wait-ms: how long WHOIS waits for a lookup. */
int identity_default_wait(void);

/* Disarms w (harmless when it is not armed). */
void identity_cancel(struct identity_wait *w);

/* What licd believes about a person, for WHOIS. */
struct identity_view {
	int cached; /* an answer is held */
	int busy; /* a lookup is running */
	struct core_identity facts; /* as the decision would see it now */
	char source[16];
	char person[256]; /* the provider's id for the person */
	int64_t fetched, fresh_until, stale_until, retry_after; /* ms */
	char error[160]; /* the last failure, "" when none */
};

void identity_view(
    const char *user, const char *host, int64_t now, struct identity_view *);

/* The units file's entry of a code, or NULL. */
const struct unit_entry *identity_unit(const char *code);

/* Logs, once per product while the directory is failing, what the
 * product's on-failure or when-slow setting decided. */
void identity_note_decision(const struct idc_product *, const char *user,
    const struct core_identity *, int granted);

#endif
