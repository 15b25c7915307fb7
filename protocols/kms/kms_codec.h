/*
 * The KMS wire format (protocols/kms/PROTOCOL.md): the flex line syntax
 * (TAG VERB key=value ..., values percent-encoded) with the KMS verbs, the
 * stored form of a signed activation and its canonical signed encoding,
 * and the ordering of DNS SRV records.  Pure: no I/O, no allocation, no
 * cryptography; bounded by FLEX_LINE_MAX.
 */
#ifndef LICD_KMS_CODEC_H
#define LICD_KMS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define KMS_DEFAULT_PORT 1688
#define KMS_PROTOCOL_VERSION 1
#define KMS_NAME_MAX 64 /* product, group, host, unit, with the NUL */
#define KMS_ID_MAX 40 /* a UUID in text (36) with the NUL */
#define KMS_SIG_HEX_MAX 128 /* an Ed25519 signature in hex */
#define KMS_SRV_NAME "_licd-kms._tcp"

enum kms_verb {
	KMS_V_ACTIVATE, /* product, machine, class, host [, unit] */
	KMS_V_STATUS, /* per product: counts, thresholds, intervals */
	KMS_V_MACHINES, /* [product]: the machines known */
	KMS_V_PURGE, /* group, machine: admin socket only */
	KMS_V_QUIT,
};

/* Errors in ERR replies; an activation's own outcome (enum act_result,
 * 0..4) travels in OK replies as result= and code=. */
enum kms_error {
	KMS_E_SYNTAX = 20, /* the line does not parse */
	KMS_E_TOO_LONG = 21, /* line over FLEX_LINE_MAX */
	KMS_E_UNKNOWN_VERB = 23, /* verb not known */
	KMS_E_ARGUMENT = 24, /* missing or invalid argument */
	KMS_E_BUSY = 25, /* too many connections */
	KMS_E_SHUTDOWN = 26, /* server going down */
	KMS_E_INTERNAL = 27, /* the journal cannot record now; try again */
	KMS_E_FORBIDDEN = 28, /* PURGE outside the admin socket */
	KMS_E_NOT_FOUND = 30, /* PURGE of an unknown machine */
};

const char *kms_error_name(int code);

struct kms_request {
	enum kms_verb verb;
	char tag[17];
	char product[KMS_NAME_MAX];
	char machine_id[KMS_ID_MAX]; /* lower-case */
	int server_class; /* 0 client, 1 server */
	char host[KMS_NAME_MAX];
	char unit[KMS_NAME_MAX];
	char group[KMS_NAME_MAX]; /* PURGE */
};

/*
 * Parses one request line (without its newline) into req.  Refuses what
 * flex_msg_parse refuses, an unknown verb, a missing product, machine or
 * host on ACTIVATE, a machine id that is not a UUID, a class other than
 * client or server, names over KMS_NAME_MAX - 1 bytes.  Returns 0, or an
 * enum kms_error with err set; req->tag holds the tag when it was read.
 */
int kms_request_parse(const char *line, size_t len, struct kms_request *req,
    char *err, size_t errlen);

/* Checks that in is a UUID (8-4-4-4-12 hex digits, any case) and writes
 * it lower-case to out.  Returns 0 or -1. */
int kms_uuid_normalise(const char *in, char out[KMS_ID_MAX]);

/* A signed activation, as the reply carries it and a client stores it.
 * Times are milliseconds since the epoch. */
struct kms_activation {
	char product[KMS_NAME_MAX];
	char machine_id[KMS_ID_MAX];
	char unit[KMS_NAME_MAX];
	int64_t issued;
	int64_t expires;
	char sig[KMS_SIG_HEX_MAX + 1]; /* hex */
};

/*
 * The bytes that are signed: a version line, then each field as
 * "name=LENGTH:value\n" in a fixed order, so that no two activations
 * share an encoding.  Returns the length written (without a NUL), or -1
 * when len is too small.
 */
int
kms_activation_canonical(const struct kms_activation *, char *buf, size_t len);

/* The stored form: one line "* ACTIVATION key=value ...\n".  Returns the
 * length, or -1 when len is too small. */
int kms_activation_format(const struct kms_activation *, char *buf, size_t len);

/* Reads a stored activation: the first line that is neither blank nor a
 * "#" comment.  Returns 0, or -1 with err set. */
int kms_activation_parse(const char *text, size_t len, struct kms_activation *,
    char *err, size_t errlen);

/* One SRV record. */
struct kms_srv {
	unsigned priority;
	unsigned weight;
	unsigned port;
	char target[256];
};

/*
 * Orders records for trying as RFC 2782 says: lowest priority first, and
 * within a priority a weighted random order (a record of weight 0 is
 * chosen only when no record of positive weight is left to choose).  rnd
 * returns a uniformly random 32-bit number (tests pass a fixed one).
 */
void
kms_srv_order(struct kms_srv *, size_t n, uint32_t (*rnd)(void *), void *arg);

/* Hex helpers for the signature.  Return the length written, or -1. */
int kms_hex_encode(const unsigned char *, size_t, char *out, size_t outlen);
int kms_hex_decode(const char *, unsigned char *out, size_t outlen);

#endif
