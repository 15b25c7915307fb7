/*
 * The flex wire format (protocols/flex/PROTOCOL.md): one message per line,
 *
 *	TAG VERB key=value key=value ...\n
 *
 * TAG is 1-16 characters of [A-Za-z0-9._-] chosen by the client (the
 * server uses "*" for asynchronous notices), VERB is upper-case letters,
 * and each value is percent-encoded so that it holds no space, '%',
 * control or non-ASCII byte.  Parsing is pure: no I/O, no allocation,
 * bounded by FLEX_LINE_MAX and FLEX_ARGS_MAX.
 */
#ifndef LICD_FLEX_CODEC_H
#define LICD_FLEX_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define FLEX_LINE_MAX 4096 /* bytes, the newline included */
#define FLEX_TAG_MAX 16
#define FLEX_VERB_MAX 16
#define FLEX_KEY_MAX 16
#define FLEX_VALUE_MAX 512 /* decoded */
#define FLEX_ARGS_MAX 24

#define FLEX_DEFAULT_PORT 27000
#define FLEX_PROTOCOL_VERSION 1

struct flex_arg {
	char key[FLEX_KEY_MAX + 1];
	char value[FLEX_VALUE_MAX + 1];
};

/* A message split into its parts, values decoded. */
struct flex_msg {
	char tag[FLEX_TAG_MAX + 1];
	char verb[FLEX_VERB_MAX + 1];
	struct flex_arg args[FLEX_ARGS_MAX];
	size_t nargs;
};

/*
 * Splits one line (len bytes, without the trailing "\n" or "\r\n") into
 * msg.  Refuses: an empty line, a bad tag or verb, a token without "=",
 * an empty or overlong key, a duplicated key, a bad percent escape, a
 * value that decodes to a NUL byte, too many arguments, anything over
 * the bounds.  Returns 0, or -1 with a short reason in err.
 */
int flex_msg_parse(const char *line, size_t len, struct flex_msg *msg,
    char *err, size_t errlen);

/* The value of key, or NULL. */
const char *flex_msg_get(const struct flex_msg *, const char *key);

/* Parses the value of key as a decimal integer in [min, max] into *out.
 * Returns 1 when found and valid, 0 when absent, -1 when invalid. */
int flex_msg_get_int(const struct flex_msg *, const char *key, long long min,
    long long max, long long *out);

/* Same for an unsigned 64-bit value (handles), written in decimal. */
int flex_msg_get_u64(const struct flex_msg *, const char *key, uint64_t *out);

/*
 * Building messages into a caller's buffer.  flex_out_begin() starts
 * "TAG VERB", flex_out_add() appends " key=value" with value
 * percent-encoded, flex_out_addf() the same with a printf format (and
 * flex_out_add_u64() and _i64() with a number: the replies to a checkout
 * and a checkin, without printf's cost), and
 * flex_out_end() appends "\n".  Once the buffer would overflow the builder
 * is marked truncated and further calls do nothing; flex_out_end() then
 * returns -1.  Otherwise it returns the line's length.
 */
struct flex_out {
	char *buf;
	size_t len;
	size_t cap;
	int truncated;
};

void flex_out_begin(struct flex_out *, char *buf, size_t cap, const char *tag,
    const char *verb);
void flex_out_add(struct flex_out *, const char *key, const char *value);
void flex_out_addf(struct flex_out *, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* flex_out_addf(o, key, "%llu" or "%lld", v) without printf. */
void flex_out_add_u64(struct flex_out *, const char *key, uint64_t v);
void flex_out_add_i64(struct flex_out *, const char *key, int64_t v);
int flex_out_end(struct flex_out *);

/* Request verbs, as the server sees them. */
enum flex_verb {
	FLEX_V_HELLO,
	FLEX_V_CHECKOUT,
	FLEX_V_CHECKIN,
	FLEX_V_HEARTBEAT,
	FLEX_V_RESUME,
	FLEX_V_DEQUEUE,
	FLEX_V_STATUS,
	FLEX_V_QUIT,
	/* Administrative, on the local admin socket only. */
	FLEX_V_REMOVE, /* handle, or feature + user + host [+ display] */
	FLEX_V_REREAD, /* read the configuration again */
	FLEX_V_DOWN, /* stop licd as SIGTERM does (lmdown) */
	FLEX_V_NEWLOG, /* start a new journal file (lmnewlog) */
	/* Borrowing (lmborrow): seats that outlive the session. */
	FLEX_V_BORROW, /* feature, version, count, until_ms */
	FLEX_V_RETURN, /* handle: give a borrowed grant back early */
	/* Identity, on the admin socket or from loopback: what licd
	 * believes about a person, and a product's decision for them. */
	FLEX_V_WHOIS, /* user [host] */
	FLEX_V_ELIGIBLE, /* user feature [host] [unit] */
};

/* A request validated for its verb: required keys present, numbers in
 * range, names within their sizes. */
struct flex_request {
	enum flex_verb verb;
	char tag[FLEX_TAG_MAX + 1];
	/* HELLO */
	char user[64];
	char host[64];
	char display[64];
	char project[64];
	char client[64]; /* client software and version */
	long pid;
	int proto; /* protocol version the client speaks */
	/* CHECKOUT */
	char feature[64];
	char version[16];
	int count;
	int queue;
	int linger;
	/* CHECKOUT, BORROW, ELIGIBLE: the unit the client declares it
	 * charges ("" for its primary unit) */
	char unit[64];
	/* CHECKIN, RESUME, DEQUEUE, REMOVE: the grant handle or queue
	 * ticket (0 for a REMOVE by holder, which uses feature, user, host
	 * and display) */
	uint64_t handle;
	/* STATUS: optional feature filter in feature[] */
	/* BORROW: the end of the borrow, ms since the epoch; feature,
	 * version and count as for CHECKOUT. */
	int64_t until_ms;
};

/* Protocol error codes sent in ERR replies besides the core's reasons
 * (which are 1..19, enum core_reason). */
enum flex_error {
	FLEX_E_SYNTAX = 20, /* the line does not parse */
	FLEX_E_TOO_LONG = 21, /* line over FLEX_LINE_MAX */
	FLEX_E_NO_HELLO = 22, /* a request before HELLO */
	FLEX_E_UNKNOWN_VERB = 23, /* verb not known */
	FLEX_E_ARGUMENT = 24, /* missing or invalid argument */
	FLEX_E_BUSY = 25, /* too many connections */
	FLEX_E_SHUTDOWN = 26, /* server going down */
	FLEX_E_INTERNAL = 27, /* the journal cannot commit; out of memory */
	FLEX_E_FORBIDDEN = 28, /* an administrative request refused */
	FLEX_E_CONFIG = 29, /* REREAD: the configuration is invalid */
};

const char *flex_error_name(int code);

/*
 * Parses one request line into req.  Returns 0, or a flex_error code
 * (FLEX_E_SYNTAX, FLEX_E_UNKNOWN_VERB, FLEX_E_ARGUMENT) with err set; when
 * the tag could be read it is in req->tag even on error, so that the error
 * reply can carry it.
 */
int flex_request_parse(const char *line, size_t len, struct flex_request *req,
    char *err, size_t errlen);

#endif
