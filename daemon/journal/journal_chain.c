/*
 * The journal's tamper evidence: the key file and the HMAC-SHA256 chain.
 *
 * mac(0) is 32 zero bytes; mac(n) = HMAC-SHA256(key, mac(n-1) || E(n)),
 * where E(n), the canonical encoding of record n, is its fields in the
 * order of JOURNAL_RECORD_COLUMNS (seq first, detail last), each one
 * encoded as:
 *
 *   integer (seq, time_ms, count, handle, in_use_after, duration_ms):
 *       8 bytes, two's complement, big-endian;
 *   text (every other field):
 *       its length in bytes as 4 bytes big-endian, then the bytes, with
 *       no terminator.
 *
 * Every field has a fixed width or a length prefix and the order is fixed,
 * so two different records never encode to the same bytes.  The seq is
 * inside the MAC: moving a record to another place breaks its link.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "journal_int.h"

static const char key_check_label[] = "licd journal key check v1";

int
journal_col_is_text(enum journal_col c)
{
	switch (c) {
	case JCOL_SEQ:
	case JCOL_TIME:
	case JCOL_COUNT:
	case JCOL_HANDLE:
	case JCOL_IN_USE:
	case JCOL_DURATION:
		return 0;
	default:
		return 1;
	}
}

static void
set_str(
    struct journal_fields *f, enum journal_col c, const char *s, size_t size)
{
	/* A fixed-size field may lack its terminator: never read past it. */
	f->str[c] = s;
	f->len[c] = strnlen(s, size);
}

void
journal_fields_from_record(
    struct journal_fields *f, const struct journal_record *r)
{
	/* Every entry the encoding reads is set below: no memset of the
	 * whole (a number's str and a text's num are never read). */
	f->num[JCOL_SEQ] = (int64_t)r->seq;
	f->num[JCOL_TIME] = r->time_ms;
	set_str(f, JCOL_TYPE, r->type, sizeof(r->type));
	set_str(f, JCOL_FRONTEND, r->frontend, sizeof(r->frontend));
	set_str(f, JCOL_FEATURE, r->feature, sizeof(r->feature));
	set_str(f, JCOL_VERSION, r->version, sizeof(r->version));
	f->num[JCOL_COUNT] = r->count;
	set_str(f, JCOL_UNIT, r->unit, sizeof(r->unit));
	set_str(f, JCOL_USER, r->user, sizeof(r->user));
	set_str(f, JCOL_HOST, r->host, sizeof(r->host));
	set_str(f, JCOL_DISPLAY, r->display, sizeof(r->display));
	set_str(f, JCOL_ADDRESS, r->address, sizeof(r->address));
	set_str(f, JCOL_MACHINE, r->machine_id, sizeof(r->machine_id));
	f->num[JCOL_HANDLE] = (int64_t)r->handle;
	f->num[JCOL_IN_USE] = r->in_use_after;
	f->num[JCOL_DURATION] = r->duration_ms;
	set_str(f, JCOL_REASON, r->reason, sizeof(r->reason));
	set_str(f, JCOL_DETAIL, r->detail, sizeof(r->detail));
}

/* The row must come from a SELECT of JOURNAL_RECORD_COLUMNS; the pointers
 * stay valid until the statement steps again. */
void
journal_fields_from_row(struct journal_fields *f, sqlite3_stmt *st)
{
	int c;

	memset(f, 0, sizeof(*f));
	for (c = 0; c < JCOL_MAC; c++) {
		if (journal_col_is_text(c)) {
			f->str[c] = (const char *)sqlite3_column_text(st, c);
			f->len[c] = (size_t)sqlite3_column_bytes(st, c);
			if (f->str[c] == NULL) {
				f->str[c] = "";
				f->len[c] = 0;
			}
		} else
			f->num[c] = sqlite3_column_int64(st, c);
	}
}

/* The HMAC implementation, fetched once: a fetch per record (a provider
 * lookup by name) cost as much as the hashing.  It holds no key. */
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac_alg;

static void
hmac_fetch(void)
{
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static EVP_MAC_CTX *
hmac_new(const unsigned char *key)
{
	EVP_MAC_CTX *ctx;
	OSSL_PARAM params[2];
	char digest[] = "SHA256";

	if (pthread_once(&hmac_once, hmac_fetch) != 0 || hmac_alg == NULL)
		return NULL;
	ctx = EVP_MAC_CTX_new(hmac_alg);
	if (ctx == NULL)
		return NULL;
	params[0] =
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key, JOURNAL_KEY_LEN, params)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int
hmac_final(EVP_MAC_CTX *ctx, unsigned char *out)
{
	size_t outlen = 0;
	int ok;

	ok = EVP_MAC_final(ctx, out, &outlen, JOURNAL_MAC_LEN);
	EVP_MAC_CTX_free(ctx);
	return (ok && outlen == JOURNAL_MAC_LEN) ? 0 : -1;
}

/*
 * The encoding E(n) is gathered in a buffer and handed to the MAC in few
 * updates: one update per field (about 40 a record) cost more in the
 * provider's dispatch than the hashing itself.
 */
struct mac_buf {
	EVP_MAC_CTX *ctx;
	size_t n;
	int failed;
	unsigned char b[1024];
};

static void
mac_put_slow(struct mac_buf *m, const unsigned char *s, size_t len)
{
	size_t k;

	while (len > 0 && !m->failed) {
		if (m->n == sizeof(m->b)) {
			if (!EVP_MAC_update(m->ctx, m->b, m->n))
				m->failed = 1;
			m->n = 0;
		}
		k = sizeof(m->b) - m->n;
		if (k > len)
			k = len;
		memcpy(m->b + m->n, s, k);
		m->n += k;
		s += k;
		len -= k;
	}
}

/* A record's encoding nearly always fits the buffer: copy straight in,
 * the loop above only for the rest. */
static inline void
mac_put(struct mac_buf *m, const void *p, size_t len)
{
	if (len <= sizeof(m->b) - m->n) {
		memcpy(m->b + m->n, p, len);
		m->n += len;
		return;
	}
	mac_put_slow(m, p, len);
}

static inline void
mac_put_be(struct mac_buf *m, uint64_t v, int width)
{
	unsigned char b[8], *d;
	int i;

	if ((size_t)width <= sizeof(m->b) - m->n) {
		d = m->b + m->n;
		for (i = 0; i < width; i++)
			d[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
		m->n += (size_t)width;
		return;
	}
	for (i = 0; i < width; i++)
		b[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
	mac_put_slow(m, b, (size_t)width);
}

/* Feeds prev and the encoding of f to ctx and takes the result; frees
 * ctx, whatever happens, unless keep is set. */
static int
mac_record(EVP_MAC_CTX *ctx, const unsigned char *prev,
    const struct journal_fields *f, unsigned char *mac, int keep)
{
	size_t outlen = 0;

	struct mac_buf m;
	int c;

	if (ctx == NULL)
		return -1;
	m.ctx = ctx;
	m.n = 0;
	m.failed = 0;
	mac_put(&m, prev, JOURNAL_MAC_LEN);
	for (c = 0; c < JCOL_MAC; c++) {
		if (!journal_col_is_text(c)) {
			mac_put_be(&m, (uint64_t)f->num[c], 8);
			continue;
		}
		if (f->len[c] > UINT32_MAX) {
			m.failed = 1;
			break;
		}
		mac_put_be(&m, f->len[c], 4);
		if (f->len[c] > 0)
			mac_put(&m, f->str[c], f->len[c]);
	}
	if (!m.failed && m.n > 0 && !EVP_MAC_update(m.ctx, m.b, m.n))
		m.failed = 1;
	if (!keep) {
		if (m.failed) {
			EVP_MAC_CTX_free(m.ctx);
			return -1;
		}
		return hmac_final(m.ctx, mac);
	}
	if (m.failed || !EVP_MAC_final(m.ctx, mac, &outlen, JOURNAL_MAC_LEN) ||
	    outlen != JOURNAL_MAC_LEN)
		return -1;
	return 0;
}

int
journal_mac(const unsigned char *key, const unsigned char *prev,
    const struct journal_fields *f, unsigned char *mac)
{
	return mac_record(hmac_new(key), prev, f, mac, 0);
}

struct journal_mac_key *
journal_mac_key_new(const unsigned char *key)
{
	return (struct journal_mac_key *)hmac_new(key);
}

void
journal_mac_key_free(struct journal_mac_key *k)
{
	EVP_MAC_CTX_free((EVP_MAC_CTX *)k);
}

/* One context for every record: an init without a key starts afresh from
 * the pads hashed when the key was set, without an allocation. */
int
journal_mac_keyed(struct journal_mac_key *k, const unsigned char *prev,
    const struct journal_fields *f, unsigned char *mac)
{
	EVP_MAC_CTX *ctx = (EVP_MAC_CTX *)k;

	if (ctx == NULL || !EVP_MAC_init(ctx, NULL, 0, NULL))
		return -1;
	return mac_record(ctx, prev, f, mac, 1);
}

int
journal_key_check(const unsigned char *key, unsigned char *out)
{
	EVP_MAC_CTX *ctx;

	if ((ctx = hmac_new(key)) == NULL)
		return -1;
	if (!EVP_MAC_update(ctx, (const unsigned char *)key_check_label,
		sizeof(key_check_label) - 1)) {
		EVP_MAC_CTX_free(ctx);
		return -1;
	}
	return hmac_final(ctx, out);
}

int
journal_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n;

	n = snprintf(buf, len, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return 0;
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Writes a new key under a temporary name and links it into place, so
 * that nobody ever reads a half-written key and two processes racing at
 * first start agree on one key.  Returns 0 (created, or lost the race to
 * another creator) or -1.
 */
static int
key_create(const char *dir, const char *path, char *err, size_t errlen)
{
	char tmp[CORE_PATH_MAX + 32];
	unsigned char key[JOURNAL_KEY_LEN];
	int fd, dfd, rc = -1;

	if (journal_path(tmp, sizeof(tmp), dir, JOURNAL_KEY ".XXXXXX") == -1) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	/* mkstemp opens with O_EXCL and mode 0600. */
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (RAND_bytes(key, sizeof(key)) != 1) {
		snprintf(err, errlen, "RAND_bytes failed");
		goto out;
	}
	if (fchmod(fd, 0600) == -1 || write_all(fd, key, sizeof(key)) == -1 ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (link(tmp, path) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	close(fd);
	unlink(tmp);
	return rc;
}

int
journal_key_load(
    const char *dir, int create, unsigned char *key, char *err, size_t errlen)
{
	char path[CORE_PATH_MAX + 32];
	struct stat sb;
	ssize_t n;
	int fd;

	if (journal_path(path, sizeof(path), dir, JOURNAL_KEY) == -1) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT && create) {
		if (key_create(dir, path, err, errlen) == -1)
			return -1;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size != JOURNAL_KEY_LEN) {
		snprintf(err, errlen, "%s: not a %d-byte key file", path,
		    JOURNAL_KEY_LEN);
		close(fd);
		return -1;
	}
	do
		n = read(fd, key, JOURNAL_KEY_LEN);
	while (n == -1 && errno == EINTR);
	if (n != JOURNAL_KEY_LEN) {
		snprintf(err, errlen, "%s: short read", path);
		close(fd);
		return -1;
	}
	return fd;
}
