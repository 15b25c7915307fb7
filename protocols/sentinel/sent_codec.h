/*
 * The sentinel wire format (protocols/sentinel/PROTOCOL.md): one UDP
 * datagram per request and per reply,
 *
 *	header (28 bytes) | body (key=value lines) | [auth trailer] | [pad]
 *
 * The header is binary, big-endian; the body is text lines "key=value\n";
 * the optional trailer is an 8-byte timestamp and an HMAC-SHA256 over
 * everything before the MAC; padding is zero bytes that a client adds so
 * that the server may answer an unauthenticated request with a reply of
 * the same size (a reply is never larger than an unauthenticated request).
 *
 * Encoding and decoding are pure: no I/O, no allocation, bounded by
 * SENT_DATAGRAM_MAX.  The HMAC helpers use OpenSSL.
 */
#ifndef LICD_SENT_CODEC_H
#define LICD_SENT_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Big-endian fields of the header, for the codec and the tests that build
 * datagrams by hand. */
static inline uint16_t
sent_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint64_t
sent_get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline void
sent_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
sent_put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

#define SENT_DEFAULT_PORT 5093
#define SENT_PROTOCOL_VERSION 1
#define SENT_MAGIC0 0x4c /* 'L' */
#define SENT_MAGIC1 0x53 /* 'S' */

#define SENT_HEADER_LEN 28
#define SENT_TRAILER_LEN 40 /* 8-byte timestamp + 32-byte MAC */
#define SENT_MAC_LEN 32
#define SENT_DATAGRAM_MAX 65507 /* the largest UDP payload over IPv4 */
#define SENT_DATAGRAM_DEFAULT 1400 /* default bound: nothing fragments */
#define SENT_DATAGRAM_MIN 512 /* smallest max-datagram a site may set */
#define SENT_AUTH_WINDOW_MS 30000 /* timestamps older/newer are replays */

#define SENT_KEY_MAX 16 /* a body key, without the NUL */
#define SENT_VALUE_MAX 255 /* a body value, without the NUL */
#define SENT_FIELDS_MAX 512 /* lines in one body */
#define SENT_NAME_MAX 64 /* feature, user, host, unit: with the NUL */
#define SENT_VERSION_MAX 16
#define SENT_SHARE_ID_MAX 33 /* client-given sharing id: 32 bytes + NUL */
#define SENT_MESSAGE_MAX 128
#define SENT_QUERY_FEATURES_MAX 32 /* feature records in one reply */
#define SENT_QUERY_CLIENTS_MAX 48 /* client records in one reply */

/* Header flags. */
#define SENT_F_REPLY 0x0001 /* set in every reply */
#define SENT_F_AUTH 0x0002 /* an auth trailer follows the body */

enum sent_verb {
	SENT_V_REQUEST = 1, /* take tokens of a feature (or queue) */
	SENT_V_RENEW = 2, /* renew a lease, or poll a queue ticket */
	SENT_V_RELEASE = 3, /* give a grant back (or leave the queue) */
	SENT_V_QUERY = 4, /* lsmon view: features and clients, paged */
	SENT_V_COMMUTE = 5, /* commuter checkout for N days */
	SENT_V_CHECKIN = 6, /* commuter check-in before its end */
	SENT_V_BYE = 7, /* the client stops: release all it holds */
};

/* The outcome in a reply header. */
enum sent_status {
	SENT_S_OK = 0, /* done; for REQUEST/RENEW: granted */
	SENT_S_QUEUED = 1, /* waiting: poll with RENEW ticket */
	SENT_S_DENIED = 2, /* refused by the core: reason is a core reason */
	SENT_S_ERROR = 3, /* refused by the front end: reason is sent_error */
};

/* Front-end errors (status ERROR).  The numbers are stable. */
enum sent_error {
	SENT_E_MALFORMED = 1, /* header or body does not parse */
	SENT_E_VERSION = 2, /* protocol version not served */
	SENT_E_VERB = 3, /* unknown verb */
	SENT_E_ARGUMENT = 4, /* missing or invalid field */
	SENT_E_TOO_BIG = 5, /* datagram over the server's max-datagram */
	SENT_E_PAD = 6, /* reply larger than the request: pad it */
	SENT_E_NO_SESSION = 7, /* RENEW/RELEASE: no such client or handle */
	SENT_E_SHUTDOWN = 8, /* the server is going down */
	SENT_E_BUSY = 9, /* too many clients */
	SENT_E_INTERNAL = 10, /* the journal failed: nothing changed */
};

/* Sharing criteria of a feature (licence attribute SHARE=). */
enum sent_share {
	SENT_SHARE_NONE = 0,
	SENT_SHARE_USER = 1,
	SENT_SHARE_HOST = 2,
	SENT_SHARE_DISPLAY = 3,
	SENT_SHARE_ID = 4, /* the client's share= field */
};

struct sent_header {
	uint8_t version;
	uint8_t verb; /* enum sent_verb */
	uint16_t flags; /* SENT_F_* */
	uint16_t body_len;
	uint64_t request_id; /* nonzero; same id = same request */
	uint64_t client_id; /* nonzero; one per client instance */
	uint8_t status; /* replies: enum sent_status; 0 in requests */
	uint16_t reason; /* replies: core reason or sent_error */
};

/*
 * A request.  Strings are NUL-terminated; "" means absent.  Which fields a
 * verb reads is in PROTOCOL.md; the decoder checks the ones a verb needs.
 */
struct sent_request {
	struct sent_header hdr;
	char feature[SENT_NAME_MAX];
	char version[SENT_VERSION_MAX];
	int tokens; /* REQUEST, COMMUTE: >= 1 (default 1) */
	int queue; /* REQUEST: 1 to wait when nothing is free */
	char user[SENT_NAME_MAX];
	char host[SENT_NAME_MAX];
	char display[SENT_NAME_MAX];
	char project[SENT_NAME_MAX];
	char share[SENT_SHARE_ID_MAX]; /* client-given sharing id */
	long pid;
	uint64_t handle; /* RENEW, RELEASE, CHECKIN: grant or ticket */
	int days; /* COMMUTE: 1..3650 */
	uint32_t cursor; /* QUERY: where to continue, 0 first */
	int clients; /* QUERY: 1 (default) to list clients */
	/* Set by the decoder: the trailer, when the AUTH flag is present. */
	int64_t timestamp; /* ms since the epoch */
	uint8_t mac[SENT_MAC_LEN];
};

/* One feature of a QUERY reply: what lsmon shows per feature. */
struct sent_feature {
	char name[SENT_NAME_MAX];
	char version[SENT_VERSION_MAX];
	int max_tokens; /* tokens issued */
	int max_users; /* sharing: distinct clients possible; = tokens */
	int in_use; /* tokens in use, reserved and not */
	int reserved_in_use; /* tokens in use out of reservations */
	int reserved_avail; /* reserved tokens still free */
	int queued;
	int share; /* enum sent_share */
	int share_limit; /* sharers per token, 0 for no limit */
	int lease; /* seconds (token lifetime) */
	int hold; /* seconds */
	int commuter_days; /* longest commuter period, 0: not allowed */
	int64_t expiry; /* ms, 0 permanent */
};

/* One client (grant) of a QUERY reply. */
struct sent_client {
	uint64_t handle;
	char feature[SENT_NAME_MAX];
	char version[SENT_VERSION_MAX];
	char user[SENT_NAME_MAX];
	char host[SENT_NAME_MAX];
	char display[SENT_NAME_MAX];
	char unit[SENT_NAME_MAX]; /* group */
	int64_t since; /* ms */
	int64_t commuter_until; /* ms; 0: not a commuter grant */
	int64_t hold_until; /* ms; 0: not held after release */
	int tokens;
	char frontend[16]; /* "sentinel", "flex", ... */
};

/* A reply.  Which fields a status carries is in PROTOCOL.md. */
struct sent_reply {
	struct sent_header hdr;
	uint64_t handle; /* grant handle or queue ticket */
	int tokens;
	char version[SENT_VERSION_MAX];
	char unit[SENT_NAME_MAX];
	int lease; /* seconds until the grant lapses without RENEW */
	int hold; /* seconds a released grant is held */
	int position; /* QUEUED: 1-based place */
	int64_t until; /* COMMUTE: end, ms */
	int64_t server_time; /* ms: lets a client check its clock */
	uint32_t next; /* QUERY: cursor for the next page, 0 at the end */
	char message[SENT_MESSAGE_MAX]; /* DENIED/ERROR: a sentence */
	struct sent_feature features[SENT_QUERY_FEATURES_MAX];
	size_t nfeatures;
	struct sent_client clients[SENT_QUERY_CLIENTS_MAX];
	size_t nclients;
};

/*
 * Reads the fixed header of a datagram of len bytes.  Refuses a datagram
 * shorter than the header or with the wrong magic (returns -1); does not
 * check the version, verb or length (the caller answers those with an
 * error).  Returns 0.
 */
int sent_header_peek(const uint8_t *buf, size_t len, struct sent_header *);

/*
 * Decodes a request datagram.  Refuses: a bad header (magic, version
 * other than SENT_PROTOCOL_VERSION, a reply flag, unknown flags, a
 * reserved byte, status or reason that is not 0, zero ids, a body length
 * past the datagram), a missing trailer when AUTH is set, non-zero
 * padding, a body line without "=", an unknown or repeated key, a key or
 * value over its bound, control bytes in a value, a number out of range,
 * fields a verb needs missing.  Returns 0, or an enum sent_error with a
 * reason in err; req->hdr holds the header whenever it was read.
 */
int sent_request_decode(const uint8_t *buf, size_t len,
    struct sent_request *req, char *err, size_t errlen);

/*
 * Encodes a request (hdr.flags' AUTH bit is ignored: sent_sign() sets
 * it).  Returns the length, or -1 when a field is invalid or it does not
 * fit in cap.
 */
int
sent_request_encode(const struct sent_request *req, uint8_t *buf, size_t cap);

/* Decodes a reply datagram; refuses as sent_request_decode() does, and a
 * request (no REPLY flag), more records than the arrays hold.  Returns 0,
 * or an enum sent_error with a reason in err. */
int sent_reply_decode(const uint8_t *buf, size_t len, struct sent_reply *rep,
    char *err, size_t errlen);

/* Encodes a reply (REPLY flag set for the caller).  Returns the length,
 * or -1 when it does not fit in cap. */
int sent_reply_encode(const struct sent_reply *rep, uint8_t *buf, size_t cap);

/*
 * Appends the auth trailer to an encoded datagram of *len bytes: sets the
 * AUTH flag, then writes timestamp (ms) and HMAC-SHA256 with key over the
 * datagram so far.  Returns 0, or -1 when it does not fit in cap, the
 * datagram already has a trailer, or the key is empty.
 */
int sent_sign(uint8_t *buf, size_t *len, size_t cap, const uint8_t *key,
    size_t keylen, int64_t timestamp);

/*
 * Checks the trailer of a datagram: the AUTH flag, the trailer after the
 * body, and the MAC (compared in constant time).  Padding after the
 * trailer is ignored.  Returns 0 and the trailer's timestamp and MAC, or
 * -1 when there is no trailer or the MAC does not match.
 */
int sent_verify(const uint8_t *buf, size_t len, const uint8_t *key,
    size_t keylen, int64_t *timestamp, uint8_t mac[SENT_MAC_LEN]);

/* Appends zero bytes so the datagram is pad_to bytes long (a request
 * that wants a large reply from a server it has not authenticated to).
 * Returns 0, or -1 when pad_to is over cap. */
int sent_pad(uint8_t *buf, size_t *len, size_t cap, size_t pad_to);

/* Writes a header-only reply to req with the status and reason: always
 * SENT_HEADER_LEN bytes, so never larger than any request. */
int sent_reply_error(const struct sent_header *req, int status, int reason,
    uint8_t *buf, size_t cap);

const char *sent_verb_name(int verb); /* "REQUEST", ... or "?" */
const char *sent_error_name(int code); /* "malformed", ... or "?" */
const char *sent_share_name(int share); /* "none", "user", ... */
/* "none", "user", "host", "display", "id" (any case) or -1. */
int sent_share_parse(const char *);

#endif
