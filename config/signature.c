/*
 * licd signatures on licence lines: the canonical form, Ed25519 signing
 * and verification through OpenSSL, base64, the trusted keyring, and the
 * rewriting of a licence file that licctl sign does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "license.h"
#include "signature.h"

#define SIG_SEED_LEN 32
#define SIG_PUB_LEN 32
/* The signature is written over two continuation lines of this much
 * base64 each, so that a signed line stays within 80 columns. */
#define SIG_HALF (SIGNATURE_B64_LEN / 2)

struct signature_signer {
	EVP_PKEY *pkey;
	char keyid[SIGNATURE_KEYID_LEN + 1];
};

static const char sig_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
sig_is_blank(int c)
{
	/* The licence reader's blanks: what may surround a word. */
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Growing buffer for the canonical form and the rewritten file.
 */

struct sig_buf {
	char *p;
	size_t len;
	size_t cap;
	int failed;
};

static void
sig_put(struct sig_buf *b, const void *data, size_t n)
{
	char *grown;
	size_t cap;

	if (b->failed)
		return;
	if (n > SIZE_MAX / 2 - b->len) {
		b->failed = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		grown = realloc(b->p, cap);
		if (grown == NULL) {
			b->failed = 1;
			return;
		}
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sig_puts(struct sig_buf *b, const char *s)
{
	sig_put(b, s, strlen(s));
}

/* "name <len>:<value>\n": the length makes every field unambiguous
 * whatever bytes a value holds. */
static void
sig_field(struct sig_buf *b, const char *name, const char *value)
{
	char num[32];

	sig_puts(b, name);
	snprintf(num, sizeof(num), " %zu:", strlen(value));
	sig_puts(b, num);
	sig_puts(b, value);
	sig_puts(b, "\n");
}

static void
sig_field_i64(struct sig_buf *b, const char *name, int64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", (long long)v);
	sig_field(b, name, num);
}

/*
 * Canonical form.
 */

static const char *
sig_type_name(enum core_line_type t)
{
	switch (t) {
	case CORE_LINE_FEATURE:
		return "FEATURE";
	case CORE_LINE_INCREMENT:
		return "INCREMENT";
	case CORE_LINE_UPGRADE:
		return "UPGRADE";
	case CORE_LINE_PACKAGE:
		return "PACKAGE";
	}
	return "?";
}

static int
sig_is_own_attr(const char *key)
{
	return strcasecmp(key, SIGNATURE_ATTR) == 0 ||
	    strcasecmp(key, SIGNATURE_KEYID_ATTR) == 0;
}

int
signature_canonical(
    const struct core_line *ln, const char *keyid, char **out, size_t *len)
{
	struct sig_buf b;
	size_t order[CORE_LINE_ATTRS_MAX], n, i, j, t;
	const struct core_attr *a;
	int64_t when;
	char num[32];

	memset(&b, 0, sizeof(b));
	*out = NULL;
	*len = 0;

	/* A version tag, so that a later form can never be confused with
	 * this one. */
	sig_puts(&b, "licd-line-signature 1\n");
	sig_field(&b, "type", sig_type_name(ln->type));
	sig_field(&b, "feature", ln->feature);
	sig_field(&b, "vendor", ln->vendor);
	sig_field(&b, "from-version", ln->from_version);
	sig_field(&b, "version", ln->version);
	sig_field_i64(&b, "start", ln->start);
	sig_field_i64(&b, "expiry", ln->expiry);
	sig_field_i64(&b, "count", ln->count);
	sig_field_i64(&b, "uncounted", ln->uncounted);
	sig_field(&b, "key", ln->key);
	sig_field(&b, "keyid", keyid);

	/* Stable insertion sort by keyword: a keyword given twice keeps
	 * its order, which matters because the first one counts. */
	n = 0;
	for (i = 0; i < ln->nattrs && i < CORE_LINE_ATTRS_MAX; i++) {
		if (sig_is_own_attr(ln->attrs[i].key))
			continue;
		t = i;
		for (j = n; j > 0; j--) {
			if (strcmp(ln->attrs[order[j - 1]].key,
				ln->attrs[t].key) <= 0)
				break;
			order[j] = order[j - 1];
		}
		order[j] = t;
		n++;
	}
	for (i = 0; i < n; i++) {
		a = &ln->attrs[order[i]];
		sig_field(&b, "attr", a->key);
		/* START is a date: the instant counts, not its spelling. */
		if (strcmp(a->key, "START") == 0 &&
		    license_parse_date(a->value, &when) == 0) {
			snprintf(num, sizeof(num), "@%lld", (long long)when);
			sig_field(&b, "value", num);
		} else
			sig_field(&b, "value", a->value ? a->value : "");
	}

	if (b.failed) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

/*
 * Base64.
 */

int
signature_base64_encode(
    const unsigned char *in, size_t len, char *out, size_t outlen)
{
	size_t i, o;
	uint32_t v;

	if (outlen < (len + 2) / 3 * 4 + 1)
		return -1;
	o = 0;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = sig_b64[v >> 18 & 63];
		out[o++] = sig_b64[v >> 12 & 63];
		out[o++] = sig_b64[v >> 6 & 63];
		out[o++] = sig_b64[v & 63];
	}
	if (i < len) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = sig_b64[v >> 18 & 63];
		out[o++] = sig_b64[v >> 12 & 63];
		out[o++] = i + 1 < len ? sig_b64[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int
sig_b64_value(int c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(sig_b64, c);
	return p != NULL ? (int)(p - sig_b64) : -1;
}

int
signature_base64_decode(const char *in, unsigned char *out, size_t outmax)
{
	int quad[4], nq, npad, v;
	size_t o;

	o = 0;
	nq = npad = 0;
	for (; *in != '\0'; in++) {
		if (sig_is_blank((unsigned char)*in))
			continue;
		/* Nothing but blanks may follow a padded group. */
		if (npad > 0 && nq == 0)
			return -1;
		if (*in == '=') {
			/* Padding fills the third and fourth places only. */
			if (nq < 2)
				return -1;
			npad++;
			quad[nq++] = 0;
		} else {
			if (npad > 0)
				return -1;
			v = sig_b64_value((unsigned char)*in);
			if (v < 0)
				return -1;
			quad[nq++] = v;
		}
		if (nq < 4)
			continue;

		if (o + 3 - (size_t)npad > outmax)
			return -1;
		out[o++] = (unsigned char)(quad[0] << 2 | quad[1] >> 4);
		if (npad < 2)
			out[o++] =
			    (unsigned char)((quad[1] & 15) << 4 | quad[2] >> 2);
		if (npad < 1)
			out[o++] =
			    (unsigned char)((quad[2] & 3) << 6 | quad[3]);
		/* Bits the padding leaves unused must be zero: one text per
		 * byte string. */
		if ((npad == 2 && (quad[1] & 15) != 0) ||
		    (npad == 1 && (quad[2] & 3) != 0))
			return -1;
		nq = 0;
	}
	if (nq != 0)
		return -1;
	return (int)o;
}

/*
 * Keys.
 */

/* The key id: the first eight bytes of SHA-256 over the raw public key,
 * in hex.  Short enough to read, long enough that two keys of one site
 * never meet by chance. */
static int
sig_keyid(EVP_PKEY *pkey, char *out)
{
	unsigned char raw[SIG_PUB_LEN], md[SHA256_DIGEST_LENGTH];
	size_t len = sizeof(raw), i;

	if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 ||
	    len != SIG_PUB_LEN)
		return -1;
	SHA256(raw, len, md);
	for (i = 0; i < SIGNATURE_KEYID_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static struct signature_signer *
sig_signer_wrap(EVP_PKEY *pkey)
{
	struct signature_signer *s;

	if (pkey == NULL)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL || sig_keyid(pkey, s->keyid) == -1) {
		free(s);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	s->pkey = pkey;
	return s;
}

struct signature_signer *
signature_signer_generate(void)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	if (ctx == NULL)
		return NULL;
	if (EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &pkey) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return sig_signer_wrap(pkey);
}

struct signature_signer *
signature_signer_from_seed(const unsigned char *seed)
{
	return sig_signer_wrap(EVP_PKEY_new_raw_private_key(
	    EVP_PKEY_ED25519, NULL, seed, SIG_SEED_LEN));
}

/* Encrypted keys are refused rather than prompting: licd and licctl sign
 * run from scripts. */
static int
sig_no_password(char *buf, int size, int rwflag, void *arg)
{
	return -1;
}

/* Reads a key file into a memory BIO; NULL with the reason in err. */
static BIO *
sig_read_pem(const char *path, char **text, char *err, size_t errlen)
{
	struct diag d;
	size_t len;
	BIO *bio;

	diag_init(&d);
	if (license_read_file(path, SIGNATURE_KEYFILE_MAX, text, &len, &d) ==
	    -1) {
		snprintf(err, errlen, "%s", d.n > 0 ? d.msgs[0].text : "error");
		diag_free(&d);
		return NULL;
	}
	diag_free(&d);
	bio = BIO_new_mem_buf(*text, (int)len);
	if (bio == NULL) {
		free(*text);
		*text = NULL;
		snprintf(err, errlen, "out of memory");
	}
	return bio;
}

struct signature_signer *
signature_signer_load(const char *path, char *err, size_t errlen)
{
	struct signature_signer *s;
	EVP_PKEY *pkey;
	char *text;
	BIO *bio;

	bio = sig_read_pem(path, &text, err, errlen);
	if (bio == NULL)
		return NULL;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, sig_no_password, NULL);
	BIO_free(bio);
	free(text);
	if (pkey == NULL) {
		snprintf(err, errlen, "not an unencrypted PEM private key");
		return NULL;
	}
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		snprintf(err, errlen, "not an Ed25519 key");
		return NULL;
	}
	s = sig_signer_wrap(pkey);
	if (s == NULL)
		snprintf(err, errlen, "cannot use the key");
	return s;
}

void
signature_signer_free(struct signature_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey);
	free(s);
}

const char *
signature_signer_keyid(const struct signature_signer *s)
{
	return s->keyid;
}

/* Writes what bio holds to a new file of the given mode. */
static int
sig_write_new(const char *path, BIO *bio, int mode, char *err, size_t errlen)
{
	char *data;
	long n;
	ssize_t w;
	int fd;

	n = BIO_get_mem_data(bio, &data);
	if (n <= 0) {
		snprintf(err, errlen, "%s: cannot encode the key", path);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	w = write(fd, data, (size_t)n);
	if (w != n || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path,
		    w == -1 || w == n ? strerror(errno) : "short write");
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

int
signature_signer_write(const struct signature_signer *s, const char *prefix,
    char *err, size_t errlen)
{
	char priv[CONF_PATH_MAX], pub[CONF_PATH_MAX];
	BIO *bpriv, *bpub;
	int rc = -1;

	if ((size_t)snprintf(priv, sizeof(priv), "%s.key", prefix) >=
		sizeof(priv) ||
	    (size_t)snprintf(pub, sizeof(pub), "%s.pub", prefix) >=
		sizeof(pub)) {
		snprintf(err, errlen, "%s: name too long", prefix);
		return -1;
	}
	bpriv = BIO_new(BIO_s_mem());
	bpub = BIO_new(BIO_s_mem());
	if (bpriv == NULL || bpub == NULL ||
	    PEM_write_bio_PrivateKey(
		bpriv, s->pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_PUBKEY(bpub, s->pkey) != 1) {
		snprintf(err, errlen, "cannot encode the key");
		goto out;
	}

	/* Neither file is overwritten: losing a signing key by a slip of
	 * the command line would orphan every file it signed. */
	if (sig_write_new(priv, bpriv, 0600, err, errlen) == -1)
		goto out;
	if (sig_write_new(pub, bpub, 0644, err, errlen) == -1) {
		unlink(priv);
		goto out;
	}
	rc = 0;
out:
	BIO_free(bpriv);
	BIO_free(bpub);
	return rc;
}

/*
 * Signing and verifying one line.
 */

static int
sig_sign_raw(EVP_PKEY *pkey, const struct core_line *ln, const char *keyid,
    unsigned char *sig)
{
	EVP_MD_CTX *ctx;
	size_t len, siglen = SIGNATURE_RAW_LEN;
	char *tbs;
	int rc = -1;

	if (signature_canonical(ln, keyid, &tbs, &len) == -1)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (ctx != NULL &&
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)tbs, len) == 1 &&
	    siglen == SIGNATURE_RAW_LEN)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	free(tbs);
	return rc;
}

int
signature_sign_line(
    const struct signature_signer *s, const struct core_line *ln, char *sig)
{
	unsigned char raw[SIGNATURE_RAW_LEN];

	if (sig_sign_raw(s->pkey, ln, s->keyid, raw) == -1)
		return -1;
	return signature_base64_encode(raw, sizeof(raw), sig,
		   SIGNATURE_B64_LEN + 1) == SIGNATURE_B64_LEN
	    ? 0
	    : -1;
}

/* Finds the only attribute key on ln; *count says how many there are. */
static const char *
sig_attr_once(const struct core_line *ln, const char *key, int *count)
{
	const char *v = NULL;
	size_t i;

	*count = 0;
	for (i = 0; i < ln->nattrs; i++) {
		if (strcasecmp(ln->attrs[i].key, key) == 0) {
			if (v == NULL)
				v = ln->attrs[i].value ? ln->attrs[i].value
						       : "";
			(*count)++;
		}
	}
	return v;
}

enum signature_status
signature_verify_line(const struct signature_keyring *kr,
    const struct core_line *ln, char *why, size_t whylen)
{
	unsigned char raw[SIGNATURE_RAW_LEN];
	const struct signature_trusted *k = NULL;
	const char *sig, *keyid;
	EVP_MD_CTX *ctx;
	char *tbs, dummy[1];
	size_t len, i;
	int nsig, nkey, ok;

	if (why == NULL) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	why[0] = '\0';

	sig = sig_attr_once(ln, SIGNATURE_ATTR, &nsig);
	keyid = sig_attr_once(ln, SIGNATURE_KEYID_ATTR, &nkey);
	if (nsig == 0 && nkey == 0)
		return SIGNATURE_NONE;
	if (nsig > 1 || nkey > 1) {
		snprintf(why, whylen, "%s is given more than once",
		    nsig > 1 ? SIGNATURE_ATTR : SIGNATURE_KEYID_ATTR);
		return SIGNATURE_MALFORMED;
	}
	if (nsig == 0 || nkey == 0) {
		snprintf(why, whylen, "%s= without %s=",
		    nsig ? SIGNATURE_ATTR : SIGNATURE_KEYID_ATTR,
		    nsig ? SIGNATURE_KEYID_ATTR : SIGNATURE_ATTR);
		return SIGNATURE_MALFORMED;
	}
	if (signature_base64_decode(sig, raw, sizeof(raw)) !=
	    SIGNATURE_RAW_LEN) {
		snprintf(why, whylen,
		    "%s= is not a base64 Ed25519 signature (%d bytes)",
		    SIGNATURE_ATTR, SIGNATURE_RAW_LEN);
		return SIGNATURE_MALFORMED;
	}

	for (i = 0; kr != NULL && i < kr->n; i++) {
		if (strcasecmp(kr->keys[i].keyid, keyid) == 0) {
			k = &kr->keys[i];
			break;
		}
	}
	if (k == NULL) {
		snprintf(why, whylen,
		    "signed by key %.40s, which is not in trusted-keys", keyid);
		return SIGNATURE_UNTRUSTED;
	}

	/* The canonical form holds the key id as the signer wrote it, in
	 * lower case; spell it that way whatever case the file uses. */
	if (signature_canonical(ln, k->keyid, &tbs, &len) == -1) {
		snprintf(why, whylen, "out of memory");
		return SIGNATURE_MALFORMED;
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	    EVP_DigestVerify(
		ctx, raw, sizeof(raw), (unsigned char *)tbs, len) == 1;
	EVP_MD_CTX_free(ctx);
	free(tbs);
	if (!ok) {
		snprintf(why, whylen,
		    "the licd signature (key %s) does not match the line: it "
		    "was changed after signing",
		    k->keyid);
		return SIGNATURE_BAD;
	}
	return SIGNATURE_GOOD;
}

/*
 * The keyring.
 */

static int
sig_keyring_add(struct signature_keyring *kr, EVP_PKEY *pkey, const char *path,
    struct diag *diag)
{
	struct signature_trusted *grown, *k;
	char keyid[SIGNATURE_KEYID_LEN + 1];
	size_t i;

	if (sig_keyid(pkey, keyid) == -1) {
		diag_add(diag, DIAG_ERROR, path, 0, "cannot use the key");
		return -1;
	}
	for (i = 0; i < kr->n; i++) {
		if (strcmp(kr->keys[i].keyid, keyid) == 0) {
			diag_add(diag, DIAG_WARNING, path, 0,
			    "key %s is listed already, in %s", keyid,
			    kr->keys[i].path);
			return 1;
		}
	}
	grown = realloc(kr->keys, (kr->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		diag_add(diag, DIAG_ERROR, path, 0, "out of memory");
		return -1;
	}
	kr->keys = grown;
	k = &kr->keys[kr->n++];
	memset(k, 0, sizeof(*k));
	memcpy(k->keyid, keyid, sizeof(k->keyid));
	snprintf(k->path, sizeof(k->path), "%s", path);
	k->pkey = pkey;
	return 0;
}

int
signature_keyring_load(struct signature_keyring *kr,
    const char (*paths)[CONF_PATH_MAX], size_t n, struct diag *diag)
{
	char err[256], *text;
	EVP_PKEY *pkey;
	BIO *bio;
	size_t i;
	int rc = 0;

	memset(kr, 0, sizeof(*kr));
	for (i = 0; i < n; i++) {
		bio = sig_read_pem(paths[i], &text, err, sizeof(err));
		if (bio == NULL) {
			diag_add(diag, DIAG_ERROR, paths[i], 0,
			    "trusted key: %s", err);
			rc = -1;
			continue;
		}
		pkey = PEM_read_bio_PUBKEY(bio, NULL, sig_no_password, NULL);
		BIO_free(bio);
		free(text);
		if (pkey == NULL || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
			diag_add(diag, DIAG_ERROR, paths[i], 0,
			    "trusted key: expected an Ed25519 public key in "
			    "PEM (BEGIN PUBLIC KEY), as licctl keygen writes");
			EVP_PKEY_free(pkey);
			rc = -1;
			continue;
		}
		switch (sig_keyring_add(kr, pkey, paths[i], diag)) {
		case 0:
			break;
		case 1:
			EVP_PKEY_free(pkey);
			break;
		default:
			EVP_PKEY_free(pkey);
			rc = -1;
			break;
		}
	}
	return rc;
}

void
signature_keyring_free(struct signature_keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		EVP_PKEY_free(kr->keys[i].pkey);
	free(kr->keys);
	memset(kr, 0, sizeof(*kr));
}

int
signature_check_files(const struct licd_conf *conf,
    struct core_license_file *lics, size_t n, struct diag *diag)
{
	struct signature_keyring kr;
	const struct core_line *ln;
	char why[200];
	size_t i, j, errors = diag->errors;
	enum signature_status st;
	int req = conf->require_signature;

	signature_keyring_load(
	    &kr, conf->trusted_keys, conf->ntrusted_keys, diag);
	if (req && conf->ntrusted_keys == 0)
		diag_add(diag, DIAG_ERROR, conf->path[0] ? conf->path : "licd",
		    0,
		    "require-signature is set but trusted-keys names no key");

	for (i = 0; i < n; i++) {
		for (j = 0; j < lics[i].nlines; j++) {
			ln = &lics[i].lines[j];
			st = signature_verify_line(&kr, ln, why, sizeof(why));
			switch (st) {
			case SIGNATURE_GOOD:
				break;
			case SIGNATURE_NONE:
				if (req)
					diag_add(diag, DIAG_ERROR, ln->file,
					    ln->lineno,
					    "%s %s has no licd signature and "
					    "require-signature is set (sign "
					    "the file with licctl sign)",
					    sig_type_name(ln->type),
					    ln->feature);
				break;
			case SIGNATURE_UNTRUSTED:
				diag_add(diag, req ? DIAG_ERROR : DIAG_WARNING,
				    ln->file, ln->lineno, "%s %s: %s%s",
				    sig_type_name(ln->type), ln->feature, why,
				    req ? "" : "; not checked");
				break;
			case SIGNATURE_BAD:
			case SIGNATURE_MALFORMED:
				diag_add(diag, DIAG_ERROR, ln->file, ln->lineno,
				    "%s %s: %s", sig_type_name(ln->type),
				    ln->feature, why);
				break;
			}
		}
	}
	signature_keyring_free(&kr);
	return diag->errors > errors ? -1 : 0;
}

/*
 * Rewriting a licence file for licctl sign.  Logical lines are found the
 * way license_reader_next() finds them (a trailing backslash continues a
 * line), so that each one is matched to the parsed line of the same first
 * physical line.
 */

/* One physical line: content [start, end) and its terminator up to next
 * ("\n", "\r\n" or nothing at the end of the text). */
struct sig_phys {
	size_t start;
	size_t end;
	size_t next;
};

static void
sig_phys_at(const char *text, size_t len, size_t pos, struct sig_phys *p)
{
	const char *nl;

	nl = memchr(text + pos, '\n', len - pos);
	p->start = pos;
	p->end = nl != NULL ? (size_t)(nl - text) : len;
	p->next = nl != NULL ? p->end + 1 : len;
	if (p->end > p->start && text[p->end - 1] == '\r')
		p->end--;
}

/* Strips a physical line to what the reader keeps of it: *s and *e
 * bound the words; returns 1 when a backslash continues the line. */
static int
sig_phys_trim(const char *text, size_t *s, size_t *e)
{
	int cont;

	while (*e > *s && sig_is_blank((unsigned char)text[*e - 1]))
		(*e)--;
	cont = *e > *s && text[*e - 1] == '\\';
	if (cont) {
		(*e)--;
		while (*e > *s && sig_is_blank((unsigned char)text[*e - 1]))
			(*e)--;
	}
	while (*s < *e && sig_is_blank((unsigned char)text[*s]))
		(*s)++;
	return cont;
}

/* Whether word i (0 is the keyword) of a line, written without '=', is
 * one of its positional fields rather than a flag attribute, as the
 * parser decides it: a licence key may be any word, even LICD_SIGN.
 * bare_run says whether no word from the fourth on had an '='. */
static int
sig_is_positional(enum core_line_type type, size_t i, int bare_run)
{
	switch (type) {
	case CORE_LINE_FEATURE:
	case CORE_LINE_INCREMENT:
		return i <= 6;
	case CORE_LINE_UPGRADE:
		return i <= 7;
	case CORE_LINE_PACKAGE:
		return i <= 2 || (i <= 4 && bare_run);
	}
	return 1;
}

/* Marks in del[] (indexed from base) the words of the logical line
 * [from, to) that are LICD_SIGN or LICD_KEYID, with the blanks before
 * them.  The words are found on the joined line, as the parser sees
 * them, since a quoted value may run over a continuation. */
static int
sig_mark_own(const char *text, size_t from, size_t to, enum core_line_type type,
    unsigned char *del)
{
	struct sig_phys p;
	size_t *map, n, s, e, pos, i, ts, k, r, word;
	char *joined, key[CORE_KEY_MAX];
	int inq, eq, bare_run;

	joined = malloc(to - from + 1);
	map = malloc((to - from + 1) * sizeof(*map));
	if (joined == NULL || map == NULL) {
		free(joined);
		free(map);
		return -1;
	}

	n = 0;
	for (pos = from; pos < to; pos = p.next) {
		sig_phys_at(text, to, pos, &p);
		s = p.start;
		e = p.end;
		sig_phys_trim(text, &s, &e);
		if (s == e)
			continue;
		if (n > 0) {
			map[n] = s;
			joined[n++] = ' ';
		}
		for (; s < e; s++) {
			map[n] = s;
			joined[n++] = text[s];
		}
	}

	i = 0;
	word = 0;
	bare_run = 1;
	while (i < n) {
		while (i < n && sig_is_blank((unsigned char)joined[i]))
			i++;
		if (i >= n)
			break;
		ts = i;
		inq = eq = 0;
		k = 0;
		word++;
		while (
		    i < n && (inq || !sig_is_blank((unsigned char)joined[i]))) {
			if (joined[i] == '"')
				inq = !inq;
			else if (!inq && joined[i] == '=')
				eq = 1;
			else if (!eq && k < sizeof(key) - 1)
				key[k++] = joined[i];
			i++;
		}
		key[k] = '\0';
		if (word > 3 && eq)
			bare_run = 0;
		if (!sig_is_own_attr(key) ||
		    (!eq && sig_is_positional(type, word - 1, bare_run)))
			continue;
		for (r = map[ts]; r <= map[i - 1]; r++)
			del[r - from] = 1;
		/* The blanks before it, on its own physical line. */
		for (r = map[ts];
		     r > from && (text[r - 1] == ' ' || text[r - 1] == '\t');
		     r--)
			del[r - 1 - from] = 1;
	}
	free(joined);
	free(map);
	return 0;
}

/* Appends the logical line [from, to) of text without its own old
 * signature, then the new one, keeping the line's layout. */
static int
sig_rewrite_line(struct sig_buf *out, const char *text, size_t from, size_t to,
    enum core_line_type type, const char *keyid, const char *sig)
{
	struct sig_phys p;
	struct sig_buf kept;
	unsigned char *del;
	size_t i, s, e, last_start, nlines;
	const char *eol, *tail;
	char indent[64];
	int first;

	del = calloc(to - from + 1, 1);
	if (del == NULL)
		return -1;
	if (sig_mark_own(text, from, to, type, del) == -1) {
		free(del);
		return -1;
	}
	memset(&kept, 0, sizeof(kept));
	for (i = from; i < to; i++) {
		if (!del[i - from])
			sig_put(&kept, &text[i], 1);
	}
	free(del);
	if (kept.failed || kept.p == NULL) {
		free(kept.p);
		return -1;
	}

	/* The line's own end of line, and what ends its last physical
	 * line (nothing at the end of a file without a final newline). */
	sig_phys_at(kept.p, kept.len, 0, &p);
	eol = p.next > p.end + 1 ? "\r\n" : "\n";
	tail = kept.len > 0 && kept.p[kept.len - 1] == '\n'
	    ? (kept.len > 1 && kept.p[kept.len - 2] == '\r' ? "\r\n" : "\n")
	    : "";

	/* Copy its physical lines, leaving out the ones that the removal
	 * emptied; remember where the last one kept starts. */
	snprintf(indent, sizeof(indent), "\t");
	last_start = out->len;
	nlines = 0;
	first = 1;
	for (i = 0; i < kept.len; i = p.next) {
		sig_phys_at(kept.p, kept.len, i, &p);
		s = p.start;
		e = p.end;
		sig_phys_trim(kept.p, &s, &e);
		if (!first && s == e)
			continue;
		if (nlines == 1 && s > p.start && s - p.start < sizeof(indent))
			snprintf(indent, sizeof(indent), "%.*s",
			    (int)(s - p.start), kept.p + p.start);
		last_start = out->len;
		sig_put(out, kept.p + p.start, p.next - p.start);
		nlines++;
		first = 0;
	}
	free(kept.p);

	/* The last line kept loses its end of line and any backslash that
	 * continued it onto a line now gone; the signature follows it. */
	if (!out->failed) {
		s = last_start;
		e = out->len;
		while (
		    e > s && (out->p[e - 1] == '\n' || out->p[e - 1] == '\r'))
			e--;
		sig_phys_trim(out->p, &s, &e);
		out->len = e;
		out->p[e] = '\0';
	}
	sig_puts(out, " \\");
	sig_puts(out, eol);
	sig_puts(out, indent);
	sig_puts(out, SIGNATURE_KEYID_ATTR "=");
	sig_puts(out, keyid);
	sig_puts(out, " \\");
	sig_puts(out, eol);
	sig_puts(out, indent);
	sig_puts(out, SIGNATURE_ATTR "=\"");
	sig_put(out, sig, SIG_HALF);
	sig_puts(out, " \\");
	sig_puts(out, eol);
	sig_puts(out, indent);
	sig_put(out, sig + SIG_HALF, SIGNATURE_B64_LEN - SIG_HALF);
	sig_puts(out, "\"");
	sig_puts(out, tail);
	return out->failed ? -1 : 0;
}

/* Checks that the rewritten text parses to the same lines, each signed
 * by s: the rewriting must never change what a line means. */
static int
sig_check_result(const struct signature_signer *s, const char *path,
    const char *text, size_t len, size_t nlines, struct diag *diag)
{
	struct core_license_file lf;
	struct signature_keyring kr;
	struct signature_trusted k;
	struct diag d;
	char why[200];
	size_t i;
	int rc = 0;

	diag_init(&d);
	if (license_parse(path, text, len, &lf, &d) == -1 ||
	    lf.nlines != nlines) {
		diag_add(diag, DIAG_ERROR, path, 0,
		    "internal error: the signed file does not parse as the "
		    "original did");
		rc = -1;
	}
	memset(&k, 0, sizeof(k));
	memcpy(k.keyid, s->keyid, sizeof(k.keyid));
	k.pkey = s->pkey;
	kr.keys = &k;
	kr.n = 1;
	for (i = 0; rc == 0 && i < lf.nlines; i++) {
		if (signature_verify_line(&kr, &lf.lines[i], why,
			sizeof(why)) != SIGNATURE_GOOD) {
			diag_add(diag, DIAG_ERROR, path, lf.lines[i].lineno,
			    "internal error: the signed line does not verify: "
			    "%s",
			    why);
			rc = -1;
		}
	}
	license_free(&lf);
	diag_free(&d);
	return rc;
}

/* Checks that the rewritten text of one line still means what ln does.
 * An old signature written among the positional fields (where FlexLM
 * would let a flag pass for the licence key) cannot simply be taken out:
 * the next word would slide into its place. */
static int
sig_same_line(
    const struct core_line *ln, const char *keyid, const char *text, size_t len)
{
	struct core_license_file lf;
	struct diag d;
	char *a, *b;
	size_t alen, blen;
	int rc = -1;

	diag_init(&d);
	if (license_parse("-", text, len, &lf, &d) == 0 && lf.nlines == 1 &&
	    signature_canonical(ln, keyid, &a, &alen) == 0) {
		if (signature_canonical(&lf.lines[0], keyid, &b, &blen) == 0) {
			if (alen == blen && memcmp(a, b, alen) == 0)
				rc = 0;
			free(b);
		}
		free(a);
	}
	license_free(&lf);
	diag_free(&d);
	return rc;
}

/* -1 when the line, with its old licd signature taken out, has no room
 * left for the two attributes of the new one.
 * XXX: a line with more than CORE_LINE_ATTRS_MAX - 2 other attributes
 * cannot be signed at all; the parser's bound would have to grow. */
static int
sig_own_count(const struct core_line *ln)
{
	size_t i, others = 0;

	for (i = 0; i < ln->nattrs; i++)
		others += !sig_is_own_attr(ln->attrs[i].key);
	return others + 2 > CORE_LINE_ATTRS_MAX ? -1 : 0;
}

int
signature_sign_text(const struct signature_signer *s, const char *path,
    const char *text, size_t len, char **out, size_t *outlen, size_t *nsigned,
    struct diag *diag)
{
	struct core_license_file lf;
	struct sig_phys p;
	struct sig_buf b;
	char sig[SIGNATURE_B64_LEN + 1];
	size_t pos, from, s0, e0, next, mark;
	int lineno, first, cont, rc = -1;

	*out = NULL;
	*outlen = 0;
	*nsigned = 0;
	if (license_parse(path, text, len, &lf, diag) == -1) {
		license_free(&lf);
		return -1;
	}

	memset(&b, 0, sizeof(b));
	next = 0;
	lineno = 0;
	pos = 0;
	while (pos < len) {
		from = pos;
		first = lineno + 1;
		do {
			sig_phys_at(text, len, pos, &p);
			pos = p.next;
			lineno++;
			s0 = p.start;
			e0 = p.end;
			cont = sig_phys_trim(text, &s0, &e0);
		} while (cont && pos < len);

		while (next < lf.nlines && lf.lines[next].lineno < first)
			next++;
		if (next >= lf.nlines || lf.lines[next].lineno != first) {
			sig_put(&b, text + from, pos - from);
			continue;
		}
		if (sig_own_count(&lf.lines[next]) == -1) {
			diag_add(diag, DIAG_ERROR, path, first,
			    "no room for %s and %s: a line holds at most %d "
			    "attributes",
			    SIGNATURE_KEYID_ATTR, SIGNATURE_ATTR,
			    CORE_LINE_ATTRS_MAX);
			goto out;
		}
		mark = b.len;
		if (signature_sign_line(s, &lf.lines[next], sig) == -1 ||
		    sig_rewrite_line(&b, text, from, pos, lf.lines[next].type,
			s->keyid, sig) == -1) {
			diag_add(diag, DIAG_ERROR, path, first,
			    "cannot sign the line");
			goto out;
		}
		if (sig_same_line(&lf.lines[next], s->keyid, b.p + mark,
			b.len - mark) == -1) {
			diag_add(diag, DIAG_ERROR, path, first,
			    "taking the old %s or %s out would shift the "
			    "line's fields; move it to the end of the line",
			    SIGNATURE_ATTR, SIGNATURE_KEYID_ATTR);
			goto out;
		}
		(*nsigned)++;
		next++;
	}
	if (b.failed) {
		diag_add(diag, DIAG_ERROR, path, 0, "out of memory");
		goto out;
	}
	if (*nsigned != lf.nlines) {
		diag_add(diag, DIAG_ERROR, path, 0,
		    "internal error: signed %zu of %zu lines", *nsigned,
		    lf.nlines);
		goto out;
	}
	if (sig_check_result(s, path, b.p ? b.p : "", b.len, lf.nlines, diag) ==
	    -1)
		goto out;

	*out = b.p ? b.p : strdup("");
	*outlen = b.len;
	b.p = NULL;
	rc = *out != NULL ? 0 : -1;
out:
	free(b.p);
	license_free(&lf);
	return rc;
}
