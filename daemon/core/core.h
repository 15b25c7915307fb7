/*
 * The seat-accounting core: licence lines become pools, options become
 * policy, and every checkout, checkin, queue and expiry is decided here.
 *
 * The core does no I/O and reads no clock: every entry point takes "now"
 * in milliseconds since the epoch.  It is owned by one thread (the event
 * loop) and takes no locks.  Every state change is reported, in order,
 * through the event sink given to core_new(); the daemon journals each event
 * and only then tells the client.
 */
#ifndef LICD_CORE_H
#define LICD_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "core_types.h"

struct core;

/* Site settings that are not in the FlexLM files. */
struct core_settings {
	/* TIMEOUT/TIMEOUTALL values below this are raised to it, as
	 * FlexLM raises them to 900 s.  Seconds. */
	int min_timeout;
	/* How long a grant restored at start-up waits for its client to
	 * resume it before it is checked in.  Seconds. */
	int resume_grace;
	/* Longest queue per feature; a checkout past it is refused. */
	int max_queue;
	/* Unit given to a client that matches no GROUP/HOST_GROUP; "" makes
	 * such a checkout refused with CORE_E_NO_UNIT. */
	char default_unit[CORE_NAME_MAX];
};

void core_settings_default(struct core_settings *);

/* Why a checkout was not granted.  Values are stable: the flex protocol
 * sends them as numbers (see protocols/flex/PROTOCOL.md). */
enum core_reason {
	CORE_OK = 0,
	CORE_E_BAD_REQUEST = 1, /* count < 1, empty feature, ... */
	CORE_E_UNKNOWN_FEATURE = 2, /* no such feature in any licence */
	CORE_E_VERSION = 3, /* no line of a high enough version */
	CORE_E_EXPIRED = 4, /* every line has expired */
	CORE_E_NOT_STARTED = 5, /* no line has reached its start */
	CORE_E_UNCOUNTED = 6, /* uncounted/node-locked: not served */
	CORE_E_EXCLUDED = 7, /* EXCLUDE / EXCLUDEALL */
	CORE_E_NOT_INCLUDED = 8, /* an INCLUDE list that lacks the client */
	CORE_E_MAX = 9, /* MAX for the user, host or group */
	CORE_E_NO_SEATS = 10, /* all seats in use (or reserved) */
	CORE_E_TOO_MANY = 11, /* more than the feature's total */
	CORE_E_QUEUE_FULL = 12,
	CORE_E_NO_UNIT = 13, /* no unit matches and there is no default */
	CORE_E_NO_GRANT = 14, /* checkin/resume: no such handle */
	CORE_E_NOT_OWNER = 15, /* resume/checkin by someone else */
	CORE_E_NOT_BORROWABLE = 16, /* borrow: no line with BORROW */
	CORE_E_BORROW_TOO_LONG = 17, /* past BORROW= or MAX_BORROW_HOURS */
	CORE_E_BORROW_LOWWATER = 18, /* BORROW_LOWWATER seats stay */
};

const char *core_reason_name(enum core_reason); /* "no-seats" ... */
const char *core_reason_text(enum core_reason); /* a sentence */

/* Why a seat went back. */
enum core_release {
	CORE_REL_CLIENT = 0, /* checked in by its holder */
	CORE_REL_DISCONNECT = 1, /* the holder's connection closed */
	CORE_REL_TIMEOUT = 2, /* no heartbeat within TIMEOUT */
	CORE_REL_ADMIN = 3, /* removed by an administrator */
	CORE_REL_NOT_RESUMED = 4, /* restored, not resumed in the grace */
	CORE_REL_SHUTDOWN = 5, /* not used at start-up restore */
	CORE_REL_FEATURE_GONE = 6, /* the feature left the licence files */
	CORE_REL_BORROW_EXPIRED = 7, /* a borrowed seat reached its end */
	CORE_REL_BORROW_RETURN = 8, /* a borrowed seat given back early */
	CORE_REL_LEASE_EXPIRED = 9, /* a lease not renewed in time */
};

const char *core_release_name(enum core_release);

/*
 * The front end that owns a client session.  The core keeps the pointer in
 * the session's grants and queue entries and hands it back in events; it is
 * never dereferenced by the core.  The front end MUST call
 * core_session_closed() before the owner goes away.
 */
struct core_owner;

/* Who is asking.  Strings are copied by the core; NULL means "". */
struct core_client {
	const char *user;
	const char *host;
	const char *display;
	const char *address; /* textual peer address */
	const char *project;
	long pid;
	const char *frontend; /* "flex" */
	uint64_t session; /* nonzero id of the connection */
	struct core_owner *owner;
	/* The client's vendor string, the V of DUP_GROUP; NULL means "". */
	const char *vendor_string;
};

struct core_checkout_req {
	const char *feature;
	const char *version; /* minimum version; NULL or "" for any */
	int count; /* >= 1 */
	int queue; /* wait when no seat is free */
	int linger; /* seconds the client asks for, 0 for none */
	uint64_t tag; /* front end's request tag, echoed in events */
	/* Seconds the grant lives without core_renew() (a sentinel lease);
	 * 0 for none.  A line's LEASE= replaces a nonzero value. */
	int lease;
};

enum core_status {
	CORE_GRANTED,
	CORE_QUEUED,
	CORE_DENIED,
};

struct core_result {
	enum core_status status;
	enum core_reason reason;
	uint64_t handle; /* granted: the grant; queued: the queue ticket */
	int count;
	int position; /* queued: 1-based place in the queue */
	char unit[CORE_NAME_MAX];
	char version[CORE_VERSION_MAX]; /* granted: the line's version */
	int lease; /* granted: the grant's lease in seconds, 0 for none */
	int hold; /* granted: seconds it is held after checkin (linger) */
};

/* A read-only view of one grant, as events and status iteration see it. */
struct core_grant_info {
	uint64_t handle;
	char feature[CORE_NAME_MAX];
	char version[CORE_VERSION_MAX];
	char vendor[CORE_NAME_MAX];
	int count;
	char unit[CORE_NAME_MAX];
	char user[CORE_NAME_MAX];
	char host[CORE_NAME_MAX];
	char display[CORE_DISPLAY_MAX];
	char address[CORE_ADDR_MAX];
	char project[CORE_NAME_MAX];
	char frontend[16];
	long pid;
	uint64_t session; /* 0 while restored and not yet resumed */
	int64_t start; /* ms */
	int64_t last_heartbeat;
	int64_t linger_until; /* 0 unless the seat lingers after checkin */
	int linger; /* seconds */
	/* Granted past the licensed count, under OVERDRAFT. */
	int overdraft;
	/* Borrowed: the seat belongs to no session and stays taken until
	 * this time (ms), or until returned.  0 for any other grant. */
	int64_t borrowed_until;
	/* A lease (core_checkout_req.lease): its length in seconds and its
	 * end (ms), renewed by core_renew().  0 for none.  Not journaled:
	 * a restored grant has none until it is renewed. */
	int lease;
	int64_t lease_until;
};

enum core_event_type {
	CORE_EV_CHECKOUT, /* a seat granted (directly or from the queue) */
	CORE_EV_CHECKIN, /* a seat returned; release says why */
	CORE_EV_DENY, /* a checkout refused; reason says why */
	CORE_EV_QUEUE, /* a checkout put in the queue */
	CORE_EV_DEQUEUE, /* a queue entry left without a grant */
	CORE_EV_RESUME, /* a restored grant taken back by its client */
	CORE_EV_LINGER, /* a checked-in seat now lingers */
};

struct core_event {
	enum core_event_type type;
	int64_t time;
	/* CHECKOUT, CHECKIN, RESUME, LINGER: the grant (for CHECKIN, as it
	 * was just before release).  QUEUE, DENY, DEQUEUE: handle is the
	 * ticket (0 for DENY), count the seats asked for, and the holder
	 * fields describe the client. */
	const struct core_grant_info *grant;
	enum core_reason reason; /* DENY, DEQUEUE */
	enum core_release release; /* CHECKIN */
	int from_queue; /* CHECKOUT granted from the queue */
	uint64_t tag; /* the request's tag, or 0 */
	int in_use_after; /* seats of the feature in use after the event */
	struct core_owner *owner; /* the session concerned, may be NULL */
};

/* Called for every state change, synchronously and in order, from inside
 * the core call that caused it.  The sink MUST NOT call back into the
 * core. */
typedef void (*core_sink_fn)(void *arg, const struct core_event *);

struct core *core_new(const struct core_settings *, core_sink_fn, void *arg);
void core_free(struct core *);

/*
 * Replaces the licence and options configuration.  The new set is built
 * and checked completely first; on any error nothing changes, -1 is
 * returned and err says why (with file and line where known).  On success
 * every grant is kept: it moves to the pool of the same feature and
 * version, and a grant whose feature no longer exists stays counted until
 * it is returned (no new seats are granted for that feature).  Settings are
 * replaced too.  Queued requests are re-examined.  opts may be NULL.
 */
int core_configure(struct core *, const struct core_settings *,
    const struct core_license_file *lics, size_t nlics,
    const struct core_options *opts, int64_t now, char *err, size_t errlen);

/* Decides a checkout.  Emits CHECKOUT, QUEUE or DENY. */
void core_checkout(struct core *, const struct core_client *,
    const struct core_checkout_req *, int64_t now, struct core_result *);

/*
 * Borrows seats: a checkout that belongs to no session, survives the
 * client's disconnect and any restart, is never timed out, and is
 * returned at "until" (ms, release BORROW_EXPIRED) or by
 * core_borrow_return().  req->queue and req->linger are ignored: a borrow
 * is granted at once or refused.  Besides every rule of a checkout it
 * refuses: until not after now (BAD_REQUEST), a feature without a
 * BORROW line the client may use (NOT_BORROWABLE, or EXCLUDED and
 * NOT_INCLUDED under EXCLUDE_BORROW and INCLUDE_BORROW), a period past
 * the line's BORROW hours or MAX_BORROW_HOURS (BORROW_TOO_LONG), and
 * seats that BORROW_LOWWATER keeps (BORROW_LOWWATER).  Emits CHECKOUT
 * (with no owner: no session holds it) or DENY.
 */
void core_borrow(struct core *, const struct core_client *,
    const struct core_checkout_req *, int64_t until, int64_t now,
    struct core_result *);

/* Gives a borrowed grant back early.  The client must name the user and
 * host that borrowed it.  Emits CHECKIN with release BORROW_RETURN.
 * Returns CORE_OK, CORE_E_NO_GRANT (no borrowed grant of that handle) or
 * CORE_E_NOT_OWNER. */
enum core_reason core_borrow_return(
    struct core *, const struct core_client *, uint64_t handle, int64_t now);

/* Returns a grant.  Only the session that holds it may do so (session
 * match); returns CORE_OK, CORE_E_NO_GRANT or CORE_E_NOT_OWNER.  The seat
 * lingers if LINGER or the request asked for it (emits LINGER, then
 * CHECKIN when the linger ends), otherwise emits CHECKIN at once. */
enum core_reason
core_checkin(struct core *, uint64_t session, uint64_t handle, int64_t now);

/* Cancels a queued request of this session (ticket from core_result);
 * emits DEQUEUE.  Returns CORE_OK or CORE_E_NO_GRANT. */
enum core_reason
core_dequeue(struct core *, uint64_t session, uint64_t ticket, int64_t now);

/* Records that the session is alive: refreshes its grants' heartbeat. */
void core_heartbeat(struct core *, uint64_t session, int64_t now);

/*
 * Renews one grant of the session: its heartbeat, and its lease from now.
 * A grant without a lease (restored at start-up, then resumed) gets one
 * of lease seconds (the line's LEASE= when it has one); lease 0 leaves it
 * without.  Returns CORE_OK, CORE_E_NO_GRANT (no such handle, or it
 * lingers) or CORE_E_NOT_OWNER (another session's, or borrowed).  info,
 * when not NULL, receives the grant.  Emits nothing.
 */
enum core_reason core_renew(struct core *, uint64_t session, uint64_t handle,
    int lease, int64_t now, struct core_grant_info *info);

/*
 * Takes back a grant restored at start-up (or held by a session that
 * dropped within its linger) after a restart.  The client must name the
 * same user and host as the holder.  On success the grant belongs to
 * client->session/owner and RESUME is emitted.  info, when not NULL,
 * receives the grant.
 */
enum core_reason core_resume(struct core *, const struct core_client *,
    uint64_t handle, int64_t now, struct core_grant_info *info);

/* The session's connection closed: its grants are returned (release
 * DISCONNECT, or lingering) and its queue entries dropped. */
void core_session_closed(struct core *, uint64_t session, int64_t now);

/* An administrator removes a grant at once (no linger).  Emits CHECKIN
 * with release ADMIN.  Returns CORE_OK or CORE_E_NO_GRANT. */
enum core_reason core_remove(struct core *, uint64_t handle, int64_t now);

/*
 * Runs what is due at "now": heartbeat timeouts, linger ends, restored
 * grants not resumed, queue re-examination after a licence line starts.
 * Returns the time (ms) of the next thing due, or 0 when nothing is.
 */
int64_t core_tick(struct core *, int64_t now);

/*
 * Puts back a grant read from the journal at start-up, before any client
 * connects, as held by nobody (session 0) until resumed or until
 * now + resume_grace.  A borrowed grant (borrowed_until set) has no grace:
 * it stays borrowed until its end, and one already past it is returned
 * (BORROW_EXPIRED) at the next core_tick().  Emits nothing.  Restores even past
 * the licensed count (the seats were granted); no new grant is made while a
 * feature is over its count.  Returns 0, or -1 if the handle is already in use.
 */
int core_restore(struct core *, const struct core_grant_info *, int64_t now);

/* Handles are never reused: the next new grant gets a handle greater than
 * both this value and every restored handle. */
void core_set_next_handle(struct core *, uint64_t next);

/* Status views, for lmstat-style output and metrics. */
struct core_feature_info {
	char feature[CORE_NAME_MAX];
	char vendor[CORE_NAME_MAX];
	char version[CORE_VERSION_MAX]; /* highest version served */
	int issued; /* seats in date, counted lines */
	int in_use; /* seats held (lingering included) */
	int queued; /* requests waiting */
	int uncounted; /* only uncounted lines */
	int64_t expiry; /* earliest expiry among lines, 0 */
	/* The sentinel attributes of its first counted pool: sharing
	 * (CORE_SHARE_* bits of DUP_GROUP or SHARE=), sharers per set (0: no
	 * limit), LEASE= and HOLD= seconds (0: none), BORROW hours (-1: not
	 * borrowable; COMMUTER=days counts as days * 24). */
	int share;
	int share_limit;
	int lease;
	int hold;
	int borrow_hours;
	/* Seats held out of reservations, and reserved seats still free. */
	int reserved_used;
	int reserved_free;
};

/* The share bits of core_feature_info.share. */
#define CORE_SHARE_USER 0x01
#define CORE_SHARE_HOST 0x02
#define CORE_SHARE_DISPLAY 0x04
#define CORE_SHARE_ID 0x08 /* the client's vendor_string / share id */
#define CORE_SHARE_SITE 0x10

struct core_reservation_info {
	char feature[CORE_NAME_MAX];
	enum core_who who;
	char name[CORE_NAME_MAX];
	int count;
	int used;
};

typedef void (*core_feature_fn)(void *arg, const struct core_feature_info *);
typedef void (*core_grant_fn)(void *arg, const struct core_grant_info *);
typedef void (*core_reservation_fn)(
    void *arg, const struct core_reservation_info *);

/* Calls fn for each feature in licence-file order; feature NULL for all. */
void core_foreach_feature(
    const struct core *, const char *feature, core_feature_fn fn, void *arg);
/* Calls fn for each grant of the feature (NULL: all), oldest first. */
void core_foreach_grant(
    const struct core *, const char *feature, core_grant_fn fn, void *arg);
void core_foreach_reservation(const struct core *, const char *feature,
    core_reservation_fn fn, void *arg);

/* One licence line that serves (after SUPERSEDE, UPGRADE and PACKAGE are
 * applied), for expiry warnings.  A PACKAGE component is reported with the
 * file and line of its enabling line. */
struct core_line_info {
	char feature[CORE_NAME_MAX];
	char vendor[CORE_NAME_MAX];
	char version[CORE_VERSION_MAX];
	int count; /* seats after UPGRADE moved some; 0 when uncounted */
	int uncounted;
	int overdraft; /* OVERDRAFT= of the line */
	int64_t start; /* 0: none */
	int64_t expiry; /* 0: permanent */
	int expired; /* expiry has passed at "now" */
	const char *file;
	int lineno;
};

typedef void (*core_line_fn)(void *arg, const struct core_line_info *);

/* Calls fn for each serving line, feature by feature in licence-file
 * order; now only decides the expired flag. */
void
core_foreach_line(const struct core *, int64_t now, core_line_fn fn, void *arg);

/* Totals, for STATUS lines and sd_notify. */
size_t core_grant_count(const struct core *);
size_t core_feature_count(const struct core *);

/* Compares FlexLM versions as decimal numbers ("61.10" < "61.9").  Returns
 * <0, 0 or >0. */
int core_version_cmp(const char *a, const char *b);

#endif
