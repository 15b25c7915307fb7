/*
 * Volume activation in the KMS model: machines ask to activate a product,
 * the table counts the distinct machines of the product's group seen within
 * a window, and a machine is activated once that count reaches the
 * product's threshold for its class.  An activation lasts for the validity
 * period and is renewed at the renewal interval; a machine that stops
 * asking falls out of the count and its activation runs out by itself.
 *
 * Like the seat core: no I/O, no clock ("now" in ms), one owning thread,
 * every state change reported through the sink, in order.
 */
#ifndef LICD_ACTIVATION_H
#define LICD_ACTIVATION_H

#include <stddef.h>
#include <stdint.h>

#include "core_types.h"

#define ACT_ID_MAX 40 /* a UUID in text, 36 bytes */

/* One product, as licd.conf's kms.products lists it.  Zero fields take
 * the defaults of act_product_default(). */
struct act_product {
	char name[CORE_NAME_MAX];
	/* Products of one group share their count; "" means the product is
	 * its own group. */
	char group[CORE_NAME_MAX];
	int threshold_client; /* 25 */
	int threshold_server; /* 5 */
	int retry_minutes; /* 120: when to ask again below threshold */
	int renewal_days; /* 7 */
	int validity_days; /* 180 */
	int window_days; /* 30: how long a machine counts */
	int cap; /* activated machines at most; 0: no cap */
};

void act_product_default(struct act_product *);

enum act_class {
	ACT_CLASS_CLIENT = 0,
	ACT_CLASS_SERVER = 1,
};

/* The outcome of a request.  Values are stable (sent on the wire). */
enum act_result {
	ACT_ACTIVATED = 0, /* activated or renewed: signed reply */
	ACT_BELOW_THRESHOLD = 1, /* counted, not yet activated: retry */
	ACT_CAPPED = 2, /* a new machine past the product's cap */
	ACT_UNKNOWN_PRODUCT = 3,
	ACT_BAD_REQUEST = 4, /* machine id not a UUID, empty product */
};

const char *act_result_name(enum act_result); /* "activated", ... */

struct act_request {
	const char *product;
	const char *machine_id; /* UUID, any case; kept lower-case */
	enum act_class cls;
	const char *host;
	const char *unit; /* declared unit, or NULL */
	const char *address;
};

/* What is known of one machine for one product group. */
struct act_machine_info {
	char group[CORE_NAME_MAX];
	char product[CORE_NAME_MAX]; /* the last product it asked for */
	char machine_id[ACT_ID_MAX];
	enum act_class cls;
	char host[CORE_NAME_MAX];
	char unit[CORE_NAME_MAX];
	int64_t first_seen; /* ms */
	int64_t last_seen;
	int64_t activated_until; /* 0 while not activated */
};

struct act_reply {
	enum act_result result;
	int count; /* distinct machines of the group in the window */
	int threshold; /* for the machine's class */
	int retry_s; /* ask again after this, below the threshold */
	int renewal_s; /* renew after this, once activated */
	int validity_s; /* how long an activation lasts */
	int renewed; /* the machine was already activated */
	int64_t issued; /* activated: ms */
	int64_t expires; /* activated: ms */
	char unit[CORE_NAME_MAX];
};

enum act_event_type {
	ACT_EV_REQUEST, /* every request, with its result */
	ACT_EV_EXPIRE, /* an activation ran out (nobody renewed it) */
	ACT_EV_FORGET, /* a machine left the table (window, or purge) */
};

struct act_event {
	enum act_event_type type;
	int64_t time;
	const struct act_machine_info *machine;
	enum act_result result; /* REQUEST */
	int count; /* the group's count after the event */
	int purged; /* FORGET by an administrator */
};

typedef void (*act_sink_fn)(void *arg, const struct act_event *);

struct act;

struct act *act_new(act_sink_fn, void *arg);
void act_free(struct act *);

/* Replaces the products; the whole set is checked first (names unique,
 * thresholds >= 1, intervals in range, a group's products agreeing on the
 * window), and on error nothing changes: -1 with err.  Known machines are
 * kept. */
int act_configure(struct act *, const struct act_product *, size_t n, char *err,
    size_t errlen);

/* Decides a request and emits ACT_EV_REQUEST. */
void act_request(
    struct act *, const struct act_request *, int64_t now, struct act_reply *);

/* Puts back a machine from the journal at start-up (emits nothing). */
int act_restore(struct act *, const struct act_machine_info *);

/* Forgets a machine of a group (an administrator's purge).  Returns 0, or
 * -1 when unknown. */
int
act_purge(struct act *, const char *group, const char *machine_id, int64_t now);

/* Runs what is due: machines past the window leave the count (and the
 * table when uncapped and over twice the highest threshold), activations
 * past their expiry end.  Returns the next time something is due, or 0. */
int64_t act_tick(struct act *, int64_t now);

/* Status, per product: its group's count now, thresholds, intervals, cap,
 * activated machines, and requests so far by result. */
struct act_product_info {
	struct act_product product;
	int count;
	int activated;
	uint64_t requests[ACT_BAD_REQUEST + 1];
};

typedef void (*act_product_fn)(void *arg, const struct act_product_info *);
typedef void (*act_machine_fn)(void *arg, const struct act_machine_info *);

void
act_foreach_product(const struct act *, int64_t now, act_product_fn, void *arg);
/* Machines of group ("" or NULL: all), most recently seen first. */
void act_foreach_machine(
    const struct act *, const char *group, act_machine_fn, void *arg);

#endif
