/*
 * licd signatures on licence lines.  A site signs its FEATURE, INCREMENT,
 * UPGRADE and PACKAGE lines with its own Ed25519 key (licctl sign); licd
 * checks them against the public keys named in trusted-keys.  A signed line
 * carries two more attributes:
 *
 *	LICD_KEYID=<16 hex digits>	which trusted key signed it
 *	LICD_SIGN="<base64>"		the signature (blanks inside ignored)
 *
 * What is signed is a canonical form of the parsed line (see
 * signature_canonical()), so whitespace, continuations, quoting, keyword
 * case and attribute order may change freely while any change of meaning
 * breaks the signature.  Vendor SIGN= values are ordinary attributes here:
 * signed over like any other, never checked themselves.
 */
#ifndef LICD_SIGNATURE_H
#define LICD_SIGNATURE_H

#include <stddef.h>

#include "../daemon/core/core_types.h"
#include "diag.h"
#include "licd_conf.h"

#define SIGNATURE_ATTR "LICD_SIGN"
#define SIGNATURE_KEYID_ATTR "LICD_KEYID"
#define SIGNATURE_KEYID_LEN 16 /* hex digits */
#define SIGNATURE_RAW_LEN 64 /* an Ed25519 signature */
#define SIGNATURE_B64_LEN 88 /* SIGNATURE_RAW_LEN in base64, padded */
/* Key files are a few hundred bytes; anything far larger is not one. */
#define SIGNATURE_KEYFILE_MAX (64 * 1024)

/*
 * The canonical form of ln for signing: its type, feature, vendor,
 * versions, start and expiry (as instants, so "permanent", "0" and
 * "1-jan-0" are one thing), count, key, the key id given, and every
 * attribute but LICD_SIGN and LICD_KEYID, sorted by keyword (attributes
 * given twice keep their order, since the first one is the one used).
 * Each value is length-prefixed, so no value can pass for another field.
 * Returns a malloc'd buffer in *out and its length, or -1 when memory ran
 * out.
 */
int signature_canonical(
    const struct core_line *ln, const char *keyid, char **out, size_t *len);

/* Base64 (RFC 4648, padded) of len bytes into out (at least 4 * ceil(len
 * / 3) + 1 bytes).  Returns the length written, or -1 when out is too
 * small. */
int signature_base64_encode(
    const unsigned char *in, size_t len, char *out, size_t outlen);

/*
 * Decodes base64 text in, ignoring blanks (a long value may be split over
 * continuation lines).  Refuses anything else that is not strict, padded
 * base64 (bad characters, misplaced padding, stray bits in the last
 * character) and output longer than outmax.  Returns the number of bytes
 * written to out, or -1.
 */
int signature_base64_decode(const char *in, unsigned char *out, size_t outmax);

/* A private key for signing (opaque; OpenSSL inside). */
struct signature_signer;

/* Makes a new random key.  NULL when OpenSSL fails. */
struct signature_signer *signature_signer_generate(void);
/* Makes the key whose 32-byte Ed25519 seed is given (for tests). */
struct signature_signer *signature_signer_from_seed(const unsigned char *seed);
/* Reads a PEM private key; refuses keys that are not Ed25519.  NULL with
 * the reason in err. */
struct signature_signer *
signature_signer_load(const char *path, char *err, size_t errlen);
void signature_signer_free(struct signature_signer *);
/* The key id of the signer's public key (SIGNATURE_KEYID_LEN hex digits). */
const char *signature_signer_keyid(const struct signature_signer *);

/* Writes prefix.key (PEM, mode 0600) and prefix.pub (PEM, 0644); neither
 * may exist already.  Returns 0, or -1 with the reason in err. */
int signature_signer_write(const struct signature_signer *, const char *prefix,
    char *err, size_t errlen);

/* Signs ln: fills sig with SIGNATURE_B64_LEN base64 characters and a NUL
 * (sig holds SIGNATURE_B64_LEN + 1).  Returns 0 or -1. */
int signature_sign_line(
    const struct signature_signer *, const struct core_line *ln, char *sig);

/*
 * Signs every FEATURE, INCREMENT, UPGRADE and PACKAGE line of licence file
 * text (path names it in messages).  Old LICD_SIGN and LICD_KEYID
 * attributes are taken out wherever they stood; the new ones are added as
 * continuation lines after each line, indented like the line's own
 * continuations.  Comments, blank lines and everything else are copied as
 * they are.  A file with errors is refused (they go to diag); so is a
 * result that does not verify, which would be a bug here.  Returns 0 with
 * a malloc'd *out, *outlen and the number of lines signed in *nsigned, or
 * -1.
 */
int signature_sign_text(const struct signature_signer *, const char *path,
    const char *text, size_t len, char **out, size_t *outlen, size_t *nsigned,
    struct diag *diag);

/* The public keys a site trusts. */
struct signature_trusted {
	char keyid[SIGNATURE_KEYID_LEN + 1];
	char path[CONF_PATH_MAX];
	void *pkey; /* EVP_PKEY */
};

struct signature_keyring {
	struct signature_trusted *keys;
	size_t n;
};

/* Loads PEM public keys (Ed25519 only).  A file that cannot be read or is
 * no Ed25519 public key is an error in diag; two files with one key id are
 * a warning.  Returns 0 when every key loaded, -1 otherwise (the good ones
 * are kept either way). */
int signature_keyring_load(struct signature_keyring *,
    const char (*paths)[CONF_PATH_MAX], size_t n, struct diag *diag);
void signature_keyring_free(struct signature_keyring *);

enum signature_status {
	SIGNATURE_NONE, /* neither LICD_SIGN nor LICD_KEYID */
	SIGNATURE_GOOD,
	SIGNATURE_BAD, /* does not verify: altered, or forged */
	SIGNATURE_UNTRUSTED, /* key id not in the keyring */
	SIGNATURE_MALFORMED, /* half there, twice there, or not base64 */
};

/* Checks ln's licd signature against the keyring.  why (may be NULL)
 * receives a sentence for the administrator when the answer is not GOOD
 * or NONE. */
enum signature_status signature_verify_line(const struct signature_keyring *,
    const struct core_line *ln, char *why, size_t whylen);

/*
 * The check licd runs after loading its licence files.  Loads the
 * trusted keys from conf, then for every line of lics: a signature that is
 * malformed or does not verify is always an error at the line's file:line;
 * with require-signature set, an unsigned line or one signed by a key not
 * in trusted-keys is an error too (without it, the latter is a warning and
 * unsigned lines are fine).  Returns 0 when no error was added, -1
 * otherwise.
 */
int signature_check_files(const struct licd_conf *conf,
    struct core_license_file *lics, size_t n, struct diag *diag);

#endif
