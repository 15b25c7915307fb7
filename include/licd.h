/*
 * licd client library: check seats out of a licd server over the flex
 * protocol (protocols/flex/PROTOCOL.md), keep them alive, get them back
 * after a server restart, and return them.
 *
 * A connection is used by one application thread at a time; the optional
 * heartbeat thread started by licd_keepalive() shares it safely (every call
 * takes the connection's lock).  Functions return 0 on success and -1 on
 * failure; licd_error() then describes the failure, and licd_error_code()
 * gives the server's numbered reason (see PROTOCOL.md) or 0 for a local or
 * network error.
 */
#ifndef LICD_CLIENT_H
#define LICD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct licd_conn;

/* Who the client is.  NULL fields are filled from the process: user from
 * LICD_USER or the login name, host from gethostname(), display from
 * DISPLAY or the controlling terminal, project from LM_PROJECT, pid from
 * getpid(). */
struct licd_identity {
	const char *user;
	const char *host;
	const char *display;
	const char *project;
	long pid;
};

/*
 * Connects to the first server that answers in servers, a list such as
 * "27000@lic1,27000@lic2" (',' or ':' between entries; "@host" alone
 * means port 27000; "host:port" is not accepted), and says HELLO.  timeout_ms
 * bounds each connection attempt and each reply (0: 10 s).  Returns NULL
 * with a message in err on failure.
 */
struct licd_conn *licd_connect(const char *servers,
    const struct licd_identity *id, int timeout_ms, char *err, size_t errlen);

/*
 * TLS to the servers (a listener with tls = "optional" or "required"):
 * the server's certificate must chain to ca (a PEM file; NULL: the
 * system's CAs) and name server_name (NULL: the host of the server list,
 * a DNS name or an address).  cert and key (PEM; key NULL: in cert) are
 * the client certificate, shown when the server asks.
 */
struct licd_tls {
	const char *ca;
	const char *cert;
	const char *key;
	const char *server_name;
};

/*
 * licd_connect over TLS.  With tls NULL the settings come from the
 * environment: LICD_TLS_CA, LICD_TLS_CERT, LICD_TLS_KEY and
 * LICD_TLS_SERVER_NAME.  licd_connect itself speaks TLS when LICD_TLS=1,
 * LICD_TLS_CA or LICD_TLS_CERT is set (LICD_TLS=0 turns it off), and so
 * do the licd_kms_* calls that connect over TCP.
 */
struct licd_conn *
licd_connect_tls(const char *servers, const struct licd_identity *id,
    const struct licd_tls *tls, int timeout_ms, char *err, size_t errlen);

/* Connects to licd's local admin socket (by default admin.sock in its
 * state directory) and says HELLO.  Administrative requests need it. */
struct licd_conn *licd_connect_local(const char *path,
    const struct licd_identity *id, int timeout_ms, char *err, size_t errlen);

/*
 * Administrative requests, accepted on the admin socket from root, licd's
 * own user or the admin group.  licd_remove takes a grant away at once (its
 * client is told); licd_remove_holder removes every grant of feature held
 * by user at host (and display, when not NULL), as lmremove does.  Both
 * return how many grants were removed, or -1.  licd_reread makes the
 * server read its configuration again: 0, or -1 with the first problem in
 * licd_error() while the running configuration stays.
 */
int licd_remove(struct licd_conn *, uint64_t handle);
int licd_remove_holder(struct licd_conn *, const char *feature,
    const char *user, const char *host, const char *display);
int licd_reread(struct licd_conn *);

/* licd_down stops the server as SIGTERM does (lmdown): 0 once it has
 * accepted, -1 otherwise.  licd_new_journal starts a new journal file
 * (lmnewlog): 0 with the archived file's name in archive (when not NULL),
 * or -1.  Both are administrative requests, like licd_reread. */
int licd_down(struct licd_conn *);
int licd_new_journal(struct licd_conn *, char *archive, size_t len);

/* Closes the connection; the server returns any seats still held. */
void licd_close(struct licd_conn *);

#define LICD_QUEUE 0x1 /* wait in the server's queue for a seat */

/*
 * Checks out count seats of feature (version: minimum version or NULL).
 * With LICD_QUEUE, waits in the queue until granted, or until wait_ms
 * passes (0: forever), then cancels the queued request.  On success the
 * grant's handle is stored in *handle and remembered for resume.
 */
int licd_checkout(struct licd_conn *, const char *feature, const char *version,
    int count, int flags, int wait_ms, uint64_t *handle);

/* Returns a grant. */
int licd_checkin(struct licd_conn *, uint64_t handle);

/*
 * The unit (department) the next checkouts and borrows are charged to,
 * sent as their "unit": one of the person's units in the directory, or
 * the server refuses the checkout (licd_error_reason() "not-unit-member").
 * NULL or "" declares none: the server charges the person's primary unit.
 * At connect it is taken from LICD_UNIT.  A client certificate's unit
 * wins over it.  Returns 0, or -1 for a name of 64 bytes or more.
 */
int licd_set_unit(struct licd_conn *, const char *unit);

/* The unit the last grant (checkout, queued checkout or borrow) was
 * charged to, as the server said; "" before any.  Valid until the next
 * call on the connection. */
const char *licd_unit_charged(const struct licd_conn *);

/* Sends one heartbeat; on a broken connection, reconnects and resumes
 * every remembered grant (see licd_reconnect). */
int licd_heartbeat(struct licd_conn *);

/* Starts a thread that sends heartbeats at the interval the server asked
 * for and reconnects and resumes after a server restart.  Idempotent. */
int licd_keepalive(struct licd_conn *);

/* Reconnects to the server list, says HELLO again and resumes every
 * remembered grant.  Tries for up to retry_ms (0: 60 s). */
int licd_reconnect(struct licd_conn *, int retry_ms);

/* The server's heartbeat interval in seconds, from its HELLO reply. */
int licd_heartbeat_interval(const struct licd_conn *);

/* A status snapshot, as returned by STATUS. */
struct licd_status_feature {
	char feature[64];
	char vendor[64];
	char version[16];
	int issued;
	int in_use;
	int queued;
	int64_t expiry;
	int uncounted; /* "uncounted=1": reported, never served */
};

struct licd_status_reservation {
	char feature[64];
	char who[16]; /* USER, HOST, GROUP, HOST_GROUP, ... */
	char name[64];
	int count;
};

struct licd_status_grant {
	char feature[64];
	char version[16];
	uint64_t handle;
	char user[64];
	char host[64];
	char display[64];
	char unit[64];
	int count;
	int64_t start;
	int linger;
	int64_t borrowed_until; /* seconds since the epoch, 0: not borrowed */
};

struct licd_status {
	char server_name[64];
	char server_version[32];
	char server_host[256];
	char vendor[64];
	char files[512]; /* licence files, ':' between them */
	int port;
	int64_t started;
	struct licd_status_feature *features;
	size_t nfeatures;
	struct licd_status_reservation *reservations;
	size_t nreservations;
	struct licd_status_grant *grants;
	size_t ngrants;
};

/* Asks for the status (feature NULL: all).  Free with
 * licd_status_free(). */
int licd_status_get(
    struct licd_conn *, const char *feature, struct licd_status *out);
void licd_status_free(struct licd_status *);

/* The last error on this connection. */
const char *licd_error(const struct licd_conn *);
int licd_error_code(const struct licd_conn *);

/* The reason name of the last error as PROTOCOL.md lists it ("no-seats"),
 * or "" for a local or network error. */
const char *licd_error_reason(const struct licd_conn *);

/*
 * Borrows count seats of feature (version: minimum version or NULL) until
 * until_ms (milliseconds since the epoch): the seats stay taken after
 * licd_close() and across server restarts, until that time or until
 * licd_borrow_return().  The server refuses a feature whose licence lines
 * lack BORROW, a period past BORROW=hours or MAX_BORROW_HOURS, and seats
 * BORROW_LOWWATER keeps (licd_error_reason() says which).  On success the
 * handle is stored in *handle; it is not resumed by licd_reconnect(), as
 * no session holds it.
 */
int licd_borrow(struct licd_conn *, const char *feature, const char *version,
    int count, int64_t until_ms, uint64_t *handle);

/* Gives a borrowed grant back before its end.  Only the user and host
 * that borrowed it may. */
int licd_borrow_return(struct licd_conn *, uint64_t handle);

/*
 * Volume activation (the KMS front end, protocols/kms/PROTOCOL.md): a
 * machine asks a licd to activate a product; licd counts the distinct
 * machines of the product's group and, once the count reaches the
 * product's threshold, answers with an activation signed with its Ed25519
 * key.  The client stores it and checks it offline with the public key
 * (licctl kms-key prints it).  Each call below opens its own connection.
 */
#define LICD_KMS_PORT 1688

enum licd_kms_result {
	LICD_KMS_ACTIVATED = 0,
	LICD_KMS_BELOW_THRESHOLD = 1,
	LICD_KMS_CAPPED = 2,
	LICD_KMS_UNKNOWN_PRODUCT = 3,
	LICD_KMS_BAD_REQUEST = 4,
};

struct licd_kms_request {
	const char *product;
	const char *machine_id; /* a UUID; NULL: from /etc/machine-id */
	int server_class; /* 0: client, 1: server */
	const char *host; /* NULL: gethostname() */
	const char *unit; /* declared unit, or NULL */
};

/* A signed activation; times in milliseconds since the epoch. */
struct licd_kms_activation {
	char product[64];
	char machine_id[40];
	char unit[64];
	int64_t issued;
	int64_t expires;
	char signature[129]; /* hex */
};

struct licd_kms_reply {
	int result; /* enum licd_kms_result */
	char result_name[32];
	int count;
	int threshold;
	int retry_s; /* below the threshold: ask again after this */
	int renewal_s; /* activated: renew after this */
	int validity_s; /* how long an activation lasts */
	int renewed;
	char unit[64];
	int activated; /* activation below is filled */
	struct licd_kms_activation activation;
	char server[300]; /* port@host that answered */
};

/*
 * Asks the servers in turn ("1688@kms1,1688@kms2"; NULL: those of the
 * _licd-kms._tcp SRV records of the host's domain) until one answers.
 * Returns 0 with the server's answer in reply (which may be a refusal:
 * see reply->result), or -1 with the reason in err when none answers.
 */
int licd_kms_activate(const char *servers, const struct licd_kms_request *,
    int timeout_ms, struct licd_kms_reply *reply, char *err, size_t errlen);

/*
 * Keeps this machine activated from a thread of the library's own: it asks
 * at once, stores each activation in store_path (when not NULL), calls
 * on_reply (when not NULL, from that thread) with each answer, and asks
 * again when the answer says — at the renewal interval once activated, at
 * the retry interval below the threshold — or, while no server answers,
 * after a back-off from one minute up to two hours.  The request's strings
 * are copied.  Returns NULL with err set when the thread cannot start.
 * licd_kms_keep_stop stops it promptly and frees it.
 */
struct licd_kms_keeper;

struct licd_kms_keeper *licd_kms_keep(const char *servers,
    const struct licd_kms_request *, const char *store_path,
    void (*on_reply)(void *arg, const struct licd_kms_reply *), void *arg,
    char *err, size_t errlen);
void licd_kms_keep_stop(struct licd_kms_keeper *);

/* When to ask next, in ms since the epoch, after reply came at now_ms:
 * the renewal interval once activated, the retry interval otherwise. */
int64_t licd_kms_next_request(const struct licd_kms_reply *, int64_t now_ms);

/* Stores an activation in path (replaced atomically), and reads one.
 * Return 0, or -1 with err set. */
int licd_kms_store(const char *path, const struct licd_kms_activation *,
    char *err, size_t errlen);
int licd_kms_load(
    const char *path, struct licd_kms_activation *, char *err, size_t errlen);

/*
 * Checks an activation offline: its signature against the public key in
 * pubkey_path (PEM), and that now_ms (0: the current time) is before its
 * expiry.  Returns 0 when valid, -1 with the reason in err (a changed
 * activation, an expired one, an unreadable key).
 */
int licd_kms_verify(const struct licd_kms_activation *, const char *pubkey_path,
    int64_t now_ms, char *err, size_t errlen);

/* This machine's id as a UUID, from /etc/machine-id.  Returns 0 or -1. */
int licd_kms_machine_id(char *out, size_t len);

/* One DNS SRV record, and the order in which to try them: by priority,
 * then weighted at random (RFC 2782). */
struct licd_kms_srv {
	unsigned priority;
	unsigned weight;
	unsigned port;
	char target[256];
};

void licd_kms_srv_order(struct licd_kms_srv *, size_t n);

/* Looks up _licd-kms._tcp.DOMAIN (domain NULL: the host's own) and writes
 * the servers in the order to try, "port@host,port@host".  Returns how
 * many, or -1 with err set. */
int licd_kms_discover(
    const char *domain, char *servers, size_t len, char *err, size_t errlen);

/* Per product, as the server's STATUS says (in the spirit of slmgr
 * /dlv). */
struct licd_kms_product {
	char name[64];
	char group[64];
	int count;
	int activated;
	int threshold_client;
	int threshold_server;
	int retry_minutes;
	int renewal_days;
	int validity_days;
	int window_days;
	int cap;
	uint64_t requests[5]; /* by enum licd_kms_result */
};

struct licd_kms_status {
	char host[256];
	char version[32];
	int port;
	struct licd_kms_product *products;
	size_t nproducts;
};

int licd_kms_status_get(const char *servers, int timeout_ms,
    struct licd_kms_status *out, char *err, size_t errlen);
void licd_kms_status_free(struct licd_kms_status *);

struct licd_kms_machine {
	char group[64];
	char product[64];
	char machine_id[40];
	int server_class;
	char host[64];
	char unit[64];
	int64_t first_seen; /* ms since the epoch */
	int64_t last_seen;
	int64_t activated_until; /* 0: not activated */
};

/* The machines known (product NULL: of every product), most recently
 * seen first.  Free *out with free(). */
int licd_kms_machines(const char *servers, const char *product, int timeout_ms,
    struct licd_kms_machine **out, size_t *n, char *err, size_t errlen);

/* Administrative: forgets a machine of a group, through kms.sock in
 * licd's state directory (socket_path). */
int licd_kms_purge(const char *socket_path, const char *group,
    const char *machine_id, int timeout_ms, char *err, size_t errlen);

/*
 * Tokens over UDP, in the Sentinel RMS service model (the sentinel front
 * end, protocols/sentinel/PROTOCOL.md): a client takes tokens of a
 * feature for a lease, which the library renews from a thread of its own
 * before it lapses, and gives them back on release or close.  Every
 * request carries a random id; a request whose reply does not come is
 * sent again with the same id (the server answers a repeat with its first
 * reply and does not act twice), waiting twice as long each time, a
 * bounded number of times.  With a site key, every datagram is signed
 * (HMAC-SHA256) and every reply checked.
 *
 * A session may be used by several threads: every call takes its lock.
 * Times are milliseconds since the epoch.
 */
#define LICD_SENTINEL_PORT 5093

struct licd_sentinel;

struct licd_sentinel_opts {
	int timeout_ms; /* the first wait for a reply (0: 500 ms) */
	int attempts; /* sends of one request, 1..16 (0: 6) */
	const unsigned char *site_key; /* sign with it, when not NULL */
	size_t site_key_len;
	const char *share_id; /* the sharing id, for SHARE=id features */
};

/*
 * Opens a session with servers ("5093@lic1,5093@lic2"; "@host" alone means
 * port 5093; ':' between entries too).  Nothing is sent yet: the first
 * request goes to the first server of the list that answers, and the
 * session keeps to that server while it holds grants.  opts and id may be
 * NULL (id as for licd_connect()).  Returns NULL with a message in err.
 */
struct licd_sentinel *
licd_sentinel_open(const char *servers, const struct licd_identity *id,
    const struct licd_sentinel_opts *opts, char *err, size_t errlen);

/*
 * Takes tokens of feature (version: minimum version, or NULL).  With
 * LICD_QUEUE, waits in the server's queue until granted or until wait_ms
 * passes (0: forever), then leaves the queue.  The grant's handle goes to
 * *handle; its lease is renewed by the library until released.
 */
int licd_sentinel_request(struct licd_sentinel *, const char *feature,
    const char *version, int tokens, int flags, int wait_ms, uint64_t *handle);

/* Gives a grant back (the server may hold it a while, as its HOLD says). */
int licd_sentinel_release(struct licd_sentinel *, uint64_t handle);

/* Renews every lease now (the library's thread does it on its own). */
int licd_sentinel_renew(struct licd_sentinel *);

/* The lease the server gave, in seconds (0 before any grant), and how
 * many renewals it has acknowledged so far. */
int licd_sentinel_lease(const struct licd_sentinel *);
uint64_t licd_sentinel_renewals(const struct licd_sentinel *);

/*
 * Commuter tokens: checks tokens of feature out to this machine for days
 * days.  They stay taken after licd_sentinel_close() and across restarts
 * until then, or until licd_sentinel_commute_return(), from any session of
 * the same user and host.  The handle goes to *handle and the end to
 * *until_ms (either may be NULL).
 */
int licd_sentinel_commute(struct licd_sentinel *, const char *feature,
    const char *version, int tokens, int days, uint64_t *handle,
    int64_t *until_ms);
int licd_sentinel_commute_return(struct licd_sentinel *, uint64_t handle);

/* The lsmon view: per feature and per holder. */
struct licd_sentinel_feature {
	char feature[64];
	char version[16];
	int max_tokens; /* tokens issued */
	int max_users; /* concurrent users possible (sharing counted) */
	int in_use; /* tokens in use, reserved ones included */
	int reserved_in_use; /* of them, out of reservations */
	int reserved_avail; /* reserved tokens still free */
	int queued;
	char share[16]; /* sharing criterion: none, user, host, display, id */
	int share_limit; /* sharers of one token, 0: no limit */
	int lease_s; /* token lifetime */
	int hold_s; /* how long a released token is held */
	int commuter_days; /* longest commuter period, 0: not allowed */
	int64_t expiry; /* 0: permanent */
};

struct licd_sentinel_client {
	uint64_t handle;
	char feature[64];
	char version[16];
	char user[64];
	char host[64];
	char display[64];
	char group[64]; /* the unit */
	int tokens;
	int64_t since;
	int64_t commuter_until; /* 0: not a commuter token */
	int64_t hold_until; /* 0: not held after its release */
	char frontend[16]; /* the front end that granted it */
};

struct licd_sentinel_status {
	char server[300]; /* port@host that answered */
	struct licd_sentinel_feature *features;
	size_t nfeatures;
	struct licd_sentinel_client *clients;
	size_t nclients;
};

/* Asks for the view (feature NULL: every feature).  Free with
 * licd_sentinel_status_free(). */
int licd_sentinel_query(struct licd_sentinel *, const char *feature,
    struct licd_sentinel_status *out);
void licd_sentinel_status_free(struct licd_sentinel_status *);

/*
 * Reads a site key file as licd does (sentinel.site-key-file): its bytes,
 * a trailing newline removed, 16 to cap bytes.  Returns 0 with the length
 * in *len, or -1 with the reason in err.
 */
int licd_sentinel_load_key(const char *path, unsigned char *key, size_t cap,
    size_t *len, char *err, size_t errlen);

/* Stops renewing, releases every grant still held (commuter grants
 * stay) and frees the session. */
void licd_sentinel_close(struct licd_sentinel *);

/* The last error: a sentence, the reason's name ("no-seats", or a front
 * end error such as "no-session"; "" for a local or network error) and
 * its number (0 for a local or network error). */
const char *licd_sentinel_error(const struct licd_sentinel *);
const char *licd_sentinel_error_reason(const struct licd_sentinel *);
int licd_sentinel_error_code(const struct licd_sentinel *);

#ifdef __cplusplus
}
#endif

#endif
