/*
 * The daemon's side of volume activation: the activation table (core/
 * activation.h) made from licd.conf's kms group, its machines restored
 * from the journal, its events journaled, its timer, and the server's
 * Ed25519 key (kms.key in the state directory) that signs activations.
 * The KMS front end (protocols/kms/) serves requests through it.
 */
#ifndef LICD_KMS_GLUE_H
#define LICD_KMS_GLUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/activation.h"

struct diag;
struct kms_activation;
struct licd;
struct licd_conf;

/* Checks the configured products as the table would take them (licd -t
 * and reloads).  Returns 0, or -1 with the reason added to diag. */
int kms_glue_check(const struct licd_conf *, struct diag *);

/*
 * After journal_open and before the journal starts: makes the table from
 * the configured products, restores its machines from the journal, and
 * loads the server key, creating kms.key (0600) and kms.pub at first
 * start.  Does nothing when no product is configured.  Returns 0, or -1
 * with err set.
 */
int kms_glue_init(struct licd *, char *err, size_t errlen);

/* Starts the timer that runs act_tick.  Returns 0 or -1. */
int kms_glue_start(struct licd *);

void kms_glue_free(struct licd *);

/* Decides a request for a peer at address (journaled through the table's
 * sink), filling reply. */
void kms_glue_request(
    struct licd *, const struct act_request *, int64_t now, struct act_reply *);

/* Signs a's canonical encoding into a->sig.  Returns 0 or -1. */
int kms_glue_sign(struct kms_activation *a);

/* An administrator's purge, journaled with who did it (session_actor).  Returns
 * 0, or -1 when the machine is unknown. */
int kms_glue_purge(
    struct licd *, const char *group, const char *machine_id, const char *who);

#endif
