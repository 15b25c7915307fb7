/*
 * The KMS client (include/licd.h, protocols/kms/PROTOCOL.md): activation
 * requests, status and machine lists, purge, stored activations checked
 * offline with OpenSSL, and discovery through DNS SRV records.  One
 * connection per call, blocking with a deadline.
 */
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../kms/kms_codec.h"
#include "flex_client_tls.h"
#include "flex_codec.h"
#include "licd.h"

#define KMS_CLIENT_TIMEOUT_MS 10000
#define KMS_CLIENT_SRV_MAX 32

struct kms_conn {
	int fd;
	SSL_CTX *tls_ctx; /* TLS, from LICD_TLS*; or NULL */
	SSL *ssl;
	char tls_err[256];
	int64_t deadline;
	char buf[FLEX_LINE_MAX * 2];
	size_t len;
};

static int64_t
kms_client_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
kms_client_wait(struct kms_conn *c, short events)
{
	struct pollfd p = {c->fd, events, 0};
	int64_t left;
	int rc;

	for (;;) {
		left = c->deadline - kms_client_now();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

/* Connects c->fd to sa, within the deadline. */
static int
kms_client_connect_addr(
    struct kms_conn *c, const struct sockaddr *sa, socklen_t salen)
{
	socklen_t len = sizeof(int);
	int err = 0;

	c->fd = socket(
	    sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return -1;
	if (connect(c->fd, sa, salen) == 0)
		return 0;
	if (errno == EINPROGRESS && kms_client_wait(c, POLLOUT) == 0 &&
	    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
	    err == 0)
		return 0;
	if (err != 0)
		errno = err;
	close(c->fd);
	c->fd = -1;
	return -1;
}

static int
kms_client_connect_tcp(struct kms_conn *c, const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (kms_client_connect_addr(c, ai->ai_addr, ai->ai_addrlen) ==
		    0)
			break;
	freeaddrinfo(res);
	return c->fd == -1 ? -1 : 0;
}

static void
kms_client_close(struct kms_conn *c)
{
	SSL_free(c->ssl);
	c->ssl = NULL;
	SSL_CTX_free(c->tls_ctx);
	c->tls_ctx = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* One send or receive, through TLS when the connection has it (see
 * client_tls_io); *events is what to wait for on EAGAIN. */
static ssize_t
kms_client_io(
    struct kms_conn *c, int sending, void *buf, size_t len, short *events)
{
	*events = sending ? POLLOUT : POLLIN;
	if (c->ssl == NULL)
		return sending ? send(c->fd, buf, len, MSG_NOSIGNAL)
			       : recv(c->fd, buf, len, 0);
	return client_tls_io(
	    c->ssl, sending, buf, len, events, c->tls_err, sizeof(c->tls_err));
}

static int
kms_client_send(struct kms_conn *c, const char *buf, size_t len)
{
	short events;
	ssize_t n;

	while (len > 0) {
		n = kms_client_io(c, 1, (void *)(uintptr_t)buf, len, &events);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    kms_client_wait(c, events) == 0)
			continue;
		return -1;
	}
	return 0;
}

/* Reads one line into msg.  Returns 0 or -1. */
static int
kms_client_read(
    struct kms_conn *c, struct flex_msg *msg, char *err, size_t errlen)
{
	short events;
	char *eol;
	ssize_t n;
	size_t len;
	int rc;

	for (;;) {
		eol = memchr(c->buf, '\n', c->len);
		if (eol != NULL) {
			len = (size_t)(eol - c->buf);
			rc = flex_msg_parse(c->buf,
			    len > 0 && c->buf[len - 1] == '\r' ? len - 1 : len,
			    msg, err, errlen);
			memmove(c->buf, eol + 1, c->len - len - 1);
			c->len -= len + 1;
			return rc;
		}
		if (c->len == sizeof(c->buf)) {
			snprintf(err, errlen, "reply line too long");
			return -1;
		}
		n = kms_client_io(
		    c, 0, c->buf + c->len, sizeof(c->buf) - c->len, &events);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0) {
			snprintf(err, errlen,
			    "the server closed the "
			    "connection");
			return -1;
		}
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
		    kms_client_wait(c, events) == 0)
			continue;
		snprintf(err, errlen, "%s",
		    errno == EPROTO ? c->tls_err : strerror(errno));
		return -1;
	}
}

/* A line handler for the data lines of a reply: returns 0 or -1. */
typedef int (*kms_line_fn)(void *arg, const struct flex_msg *);

/*
 * Sends one request (built in o, tag "k1") and reads lines until the
 * final OK or ERR for the tag; data lines go to fn.  Returns 0 with the
 * final OK in final, or -1 with err set (ERR replies give "reason: text").
 */
static int
kms_client_exchange(struct kms_conn *c, struct flex_out *o, kms_line_fn fn,
    void *arg, struct flex_msg *final, char *err, size_t errlen)
{
	const char *reason, *text;
	int len;

	len = flex_out_end(o);
	if (len < 0) {
		snprintf(err, errlen, "request too long");
		return -1;
	}
	if (kms_client_send(c, o->buf, (size_t)len) == -1) {
		snprintf(err, errlen, "%s",
		    errno == EPROTO ? c->tls_err : strerror(errno));
		return -1;
	}
	for (;;) {
		if (kms_client_read(c, final, err, errlen) == -1)
			return -1;
		if (strcmp(final->tag, "k1") != 0 &&
		    strcmp(final->tag, "*") != 0)
			continue;
		if (strcmp(final->verb, "OK") == 0)
			return 0;
		if (strcmp(final->verb, "ERR") == 0) {
			reason = flex_msg_get(final, "reason");
			text = flex_msg_get(final, "text");
			snprintf(err, errlen, "%s: %s",
			    reason != NULL ? reason : "error",
			    text != NULL ? text : "");
			return -1;
		}
		if (fn != NULL && fn(arg, final) == -1) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
}

/* Splits "port@host[,port@host]" and asks each in turn; ':' separates
 * entries too.  Returns 0 with c connected and the entry in which, or -1
 * with the last failure in err. */
static int
kms_client_open(struct kms_conn *c, const char *servers, int timeout_ms,
    char *which, size_t wlen, char *err, size_t errlen)
{
	char list[1024], disc[1024], *save = NULL, *entry, *at;
	const struct licd_tls *tls;
	struct licd_tls t;
	const char *port;

	c->fd = -1;
	c->len = 0;
	c->ssl = NULL;
	c->tls_ctx = NULL;
	tls = client_tls_env(&t);
	if (tls != NULL) {
		c->tls_ctx = client_tls_ctx(tls, err, errlen);
		if (c->tls_ctx == NULL)
			return -1;
	}
	if (servers == NULL || servers[0] == '\0') {
		if (licd_kms_discover(NULL, disc, sizeof(disc), err, errlen) <=
		    0) {
			if (err[0] == '\0')
				snprintf(err, errlen,
				    "no server given and no "
				    "_licd-kms._tcp record");
			return -1;
		}
		servers = disc;
	}
	snprintf(list, sizeof(list), "%s", servers);
	snprintf(err, errlen, "no server named");
	for (entry = strtok_r(list, ",:", &save); entry != NULL;
	     entry = strtok_r(NULL, ",:", &save)) {
		at = strchr(entry, '@');
		if (at == NULL || at[1] == '\0') {
			snprintf(err, errlen, "%s: expected PORT@HOST", entry);
			continue;
		}
		*at = '\0';
		port = entry[0] != '\0' ? entry : "1688";
		c->deadline = kms_client_now() +
		    (timeout_ms > 0 ? timeout_ms : KMS_CLIENT_TIMEOUT_MS);
		if (kms_client_connect_tcp(c, at + 1, port) == -1) {
			snprintf(err, errlen, "%s@%s: %s", port, at + 1,
			    strerror(errno));
			continue;
		}
		if (c->tls_ctx != NULL) {
			c->ssl = client_tls_connect(c->tls_ctx, c->fd,
			    tls->server_name != NULL ? tls->server_name
						     : at + 1,
			    (int)(c->deadline - kms_client_now()), c->tls_err,
			    sizeof(c->tls_err));
			if (c->ssl == NULL) {
				snprintf(err, errlen, "%s@%s: %s", port, at + 1,
				    c->tls_err);
				close(c->fd);
				c->fd = -1;
				continue;
			}
		}
		snprintf(which, wlen, "%s@%s", port, at + 1);
		return 0;
	}
	SSL_CTX_free(c->tls_ctx);
	c->tls_ctx = NULL;
	return -1;
}

static int
kms_get_int(const struct flex_msg *m, const char *key, int def)
{
	long long v;

	return flex_msg_get_int(m, key, INT32_MIN, INT32_MAX, &v) == 1 ? (int)v
								       : def;
}

static int64_t
kms_get_i64(const struct flex_msg *m, const char *key)
{
	long long v;

	return flex_msg_get_int(m, key, INT64_MIN, INT64_MAX, &v) == 1
	    ? (int64_t)v
	    : 0;
}

static void
kms_copy(char *dst, size_t len, const struct flex_msg *m, const char *key)
{
	const char *v = flex_msg_get(m, key);

	snprintf(dst, len, "%s", v != NULL ? v : "");
}

int
licd_kms_machine_id(char *out, size_t len)
{
	char raw[64], uuid[KMS_ID_MAX];
	size_t n;
	FILE *f;

	f = fopen("/etc/machine-id", "r");
	if (f == NULL)
		return -1;
	n = fread(raw, 1, sizeof(raw) - 1, f);
	fclose(f);
	raw[n] = '\0';
	raw[strcspn(raw, "\r\n")] = '\0';
	if (strlen(raw) != 32)
		return -1;
	snprintf(uuid, sizeof(uuid), "%.8s-%.4s-%.4s-%.4s-%.12s", raw, raw + 8,
	    raw + 12, raw + 16, raw + 20);
	if (kms_uuid_normalise(uuid, uuid) == -1 || len < KMS_ID_MAX)
		return -1;
	snprintf(out, len, "%s", uuid);
	return 0;
}

int
licd_kms_activate(const char *servers, const struct licd_kms_request *r,
    int timeout_ms, struct licd_kms_reply *reply, char *err, size_t errlen)
{
	struct licd_kms_activation *a = &reply->activation;
	char buf[FLEX_LINE_MAX], id[KMS_ID_MAX], host[256];
	struct kms_conn c;
	struct flex_msg m;
	struct flex_out o;
	int rc;

	memset(reply, 0, sizeof(*reply));
	err[0] = '\0';
	if (r->machine_id != NULL)
		snprintf(id, sizeof(id), "%s", r->machine_id);
	else if (licd_kms_machine_id(id, sizeof(id)) == -1) {
		snprintf(err, errlen,
		    "no machine id: /etc/machine-id is "
		    "missing or not 32 hex digits");
		return -1;
	}
	if (r->host != NULL)
		snprintf(host, sizeof(host), "%s", r->host);
	else if (gethostname(host, sizeof(host) - 1) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[KMS_NAME_MAX - 1] = '\0';

	if (kms_client_open(&c, servers, timeout_ms, reply->server,
		sizeof(reply->server), err, errlen) == -1)
		return -1;
	flex_out_begin(&o, buf, sizeof(buf), "k1", "ACTIVATE");
	flex_out_add(&o, "product", r->product != NULL ? r->product : "");
	flex_out_add(&o, "machine", id);
	flex_out_add(&o, "class", r->server_class ? "server" : "client");
	flex_out_add(&o, "host", host);
	if (r->unit != NULL && r->unit[0] != '\0')
		flex_out_add(&o, "unit", r->unit);
	rc = kms_client_exchange(&c, &o, NULL, NULL, &m, err, errlen);
	kms_client_close(&c);
	if (rc == -1)
		return -1;

	reply->result = kms_get_int(&m, "code", LICD_KMS_BAD_REQUEST);
	kms_copy(reply->result_name, sizeof(reply->result_name), &m, "result");
	reply->count = kms_get_int(&m, "count", 0);
	reply->threshold = kms_get_int(&m, "threshold", 0);
	reply->retry_s = kms_get_int(&m, "retry", 0);
	reply->renewal_s = kms_get_int(&m, "renewal", 0);
	reply->validity_s = kms_get_int(&m, "validity", 0);
	reply->renewed = kms_get_int(&m, "renewed", 0);
	kms_copy(reply->unit, sizeof(reply->unit), &m, "unit");
	if (reply->result != LICD_KMS_ACTIVATED)
		return 0;
	kms_copy(a->product, sizeof(a->product), &m, "product");
	kms_copy(a->machine_id, sizeof(a->machine_id), &m, "machine");
	kms_copy(a->unit, sizeof(a->unit), &m, "unit");
	kms_copy(a->signature, sizeof(a->signature), &m, "sig");
	a->issued = kms_get_i64(&m, "issued");
	a->expires = kms_get_i64(&m, "expires");
	reply->activated = a->signature[0] != '\0';
	return 0;
}

int64_t
licd_kms_next_request(const struct licd_kms_reply *r, int64_t now_ms)
{
	int s;

	if (r->result == LICD_KMS_ACTIVATED)
		s = r->renewal_s;
	else
		s = r->retry_s;
	/* A server that named no interval: try again in two hours, the
	 * KMS default retry. */
	if (s <= 0)
		s = 7200;
	return now_ms + (int64_t)s * 1000;
}

static void
kms_to_codec(const struct licd_kms_activation *in, struct kms_activation *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->product, sizeof(a->product), "%s", in->product);
	snprintf(a->machine_id, sizeof(a->machine_id), "%s", in->machine_id);
	snprintf(a->unit, sizeof(a->unit), "%s", in->unit);
	snprintf(a->sig, sizeof(a->sig), "%s", in->signature);
	a->issued = in->issued;
	a->expires = in->expires;
}

int
licd_kms_store(const char *path, const struct licd_kms_activation *in,
    char *err, size_t errlen)
{
	struct kms_activation a;
	char line[FLEX_LINE_MAX], tmp[4096];
	FILE *f;
	int len, fd;

	kms_to_codec(in, &a);
	len = kms_activation_format(&a, line, sizeof(line));
	if (len < 0) {
		snprintf(err, errlen, "activation too long");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fprintf(f,
		"# licd KMS activation: licctl verify-activation "
		"checks it\n") < 0 ||
	    fwrite(line, 1, (size_t)len, f) != (size_t)len || fflush(f) != 0 ||
	    fchmod(fd, 0644) == -1 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
licd_kms_load(
    const char *path, struct licd_kms_activation *out, char *err, size_t errlen)
{
	struct kms_activation a;
	char text[FLEX_LINE_MAX * 2];
	size_t n;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (kms_activation_parse(text, n, &a, err, errlen) == -1)
		return -1;
	memset(out, 0, sizeof(*out));
	snprintf(out->product, sizeof(out->product), "%s", a.product);
	snprintf(out->machine_id, sizeof(out->machine_id), "%s", a.machine_id);
	snprintf(out->unit, sizeof(out->unit), "%s", a.unit);
	snprintf(out->signature, sizeof(out->signature), "%s", a.sig);
	out->issued = a.issued;
	out->expires = a.expires;
	return 0;
}

int
licd_kms_verify(const struct licd_kms_activation *in, const char *pubkey_path,
    int64_t now_ms, char *err, size_t errlen)
{
	struct kms_activation a;
	unsigned char sig[64];
	char canon[1024];
	EVP_MD_CTX *ctx;
	EVP_PKEY *key;
	FILE *f;
	int n, ok;

	kms_to_codec(in, &a);
	n = kms_activation_canonical(&a, canon, sizeof(canon));
	if (n < 0 || kms_hex_decode(a.sig, sig, sizeof(sig)) != sizeof(sig)) {
		snprintf(
		    err, errlen, "the activation's signature is malformed");
		return -1;
	}
	f = fopen(pubkey_path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", pubkey_path, strerror(errno));
		return -1;
	}
	key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		snprintf(err, errlen, "%s: not an Ed25519 public key (PEM)",
		    pubkey_path);
		return -1;
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestVerify(
		ctx, sig, sizeof(sig), (unsigned char *)canon, (size_t)n) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	if (!ok) {
		snprintf(err, errlen,
		    "the signature does not match: the "
		    "activation was changed or signed by "
		    "another key");
		return -1;
	}
	if (now_ms == 0)
		now_ms = kms_client_now();
	if (now_ms >= a.expires) {
		snprintf(err, errlen, "the activation has expired");
		return -1;
	}
	if (now_ms + 60000 < a.issued) {
		snprintf(err, errlen, "the activation is issued in the future");
		return -1;
	}
	return 0;
}

static uint32_t
kms_client_rnd(void *arg)
{
	static unsigned seed;

	if (seed == 0)
		seed = (unsigned)kms_client_now() ^ (unsigned)getpid();
	return (uint32_t)rand_r(&seed);
}

void
licd_kms_srv_order(struct licd_kms_srv *s, size_t n)
{
	struct kms_srv tmp[KMS_CLIENT_SRV_MAX];
	size_t i;

	if (n > KMS_CLIENT_SRV_MAX)
		n = KMS_CLIENT_SRV_MAX; /* XXX: records past 32 are left as
					   they came */
	for (i = 0; i < n; i++) {
		tmp[i].priority = s[i].priority;
		tmp[i].weight = s[i].weight;
		tmp[i].port = s[i].port;
		snprintf(
		    tmp[i].target, sizeof(tmp[i].target), "%s", s[i].target);
	}
	kms_srv_order(tmp, n, kms_client_rnd, NULL);
	for (i = 0; i < n; i++) {
		s[i].priority = tmp[i].priority;
		s[i].weight = tmp[i].weight;
		s[i].port = tmp[i].port;
		snprintf(s[i].target, sizeof(s[i].target), "%s", tmp[i].target);
	}
}

int
licd_kms_discover(
    const char *domain, char *servers, size_t len, char *err, size_t errlen)
{
	struct licd_kms_srv srv[KMS_CLIENT_SRV_MAX];
	unsigned char answer[8192];
	char name[NS_MAXDNAME];
	ns_msg msg;
	ns_rr rr;
	size_t n = 0, used = 0, i;
	int alen, k, count, w;

	servers[0] = '\0';
	err[0] = '\0';
	if (domain != NULL)
		snprintf(name, sizeof(name), "%s.%s", KMS_SRV_NAME, domain);
	else
		snprintf(name, sizeof(name), "%s", KMS_SRV_NAME);
	/* Without a domain, res_search appends the resolver's search
	 * list, which is the host's domain. */
	alen = domain != NULL
	    ? res_query(name, ns_c_in, ns_t_srv, answer, sizeof(answer))
	    : res_search(name, ns_c_in, ns_t_srv, answer, sizeof(answer));
	if (alen < 0 || ns_initparse(answer, alen, &msg) == -1) {
		snprintf(err, errlen, "%s: no SRV record", name);
		return -1;
	}
	count = ns_msg_count(msg, ns_s_an);
	for (k = 0; k < count && n < KMS_CLIENT_SRV_MAX; k++) {
		if (ns_parserr(&msg, ns_s_an, k, &rr) == -1 ||
		    ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7)
			continue;
		srv[n].priority = ns_get16(ns_rr_rdata(rr));
		srv[n].weight = ns_get16(ns_rr_rdata(rr) + 2);
		srv[n].port = ns_get16(ns_rr_rdata(rr) + 4);
		if (dn_expand(ns_msg_base(msg), ns_msg_end(msg),
			ns_rr_rdata(rr) + 6, srv[n].target,
			sizeof(srv[n].target)) < 0)
			continue;
		/* "." alone: the service is decidedly not offered. */
		if (srv[n].target[0] == '\0' || strcmp(srv[n].target, ".") == 0)
			continue;
		n++;
	}
	licd_kms_srv_order(srv, n);
	for (i = 0; i < n; i++) {
		w = snprintf(servers + used, len - used, "%s%u@%s",
		    i ? "," : "", srv[i].port, srv[i].target);
		if (w < 0 || (size_t)w >= len - used) {
			servers[used] = '\0';
			break;
		}
		used += (size_t)w;
	}
	if (n == 0)
		snprintf(err, errlen, "%s: no usable SRV record", name);
	return (int)n;
}

static int
kms_grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * size);
	if (p == NULL)
		return -1;
	memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

struct kms_status_walk {
	struct licd_kms_status *st;
	size_t cap;
};

static int
kms_status_line(void *arg, const struct flex_msg *m)
{
	struct kms_status_walk *w = arg;
	struct licd_kms_product *p;
	static const char *const req[] = {"req_activated", "req_below",
	    "req_capped", "req_unknown", "req_bad"};
	size_t i;

	if (strcmp(m->verb, "PRODUCT") != 0)
		return 0;
	if (kms_grow((void **)&w->st->products, &w->cap, w->st->nproducts,
		sizeof(*p)) == -1)
		return -1;
	p = &w->st->products[w->st->nproducts++];
	kms_copy(p->name, sizeof(p->name), m, "name");
	kms_copy(p->group, sizeof(p->group), m, "group");
	p->count = kms_get_int(m, "count", 0);
	p->activated = kms_get_int(m, "activated", 0);
	p->threshold_client = kms_get_int(m, "threshold_client", 0);
	p->threshold_server = kms_get_int(m, "threshold_server", 0);
	p->retry_minutes = kms_get_int(m, "retry_minutes", 0);
	p->renewal_days = kms_get_int(m, "renewal_days", 0);
	p->validity_days = kms_get_int(m, "validity_days", 0);
	p->window_days = kms_get_int(m, "window_days", 0);
	p->cap = kms_get_int(m, "cap", 0);
	for (i = 0; i < 5; i++)
		p->requests[i] = (uint64_t)kms_get_i64(m, req[i]);
	return 0;
}

int
licd_kms_status_get(const char *servers, int timeout_ms,
    struct licd_kms_status *out, char *err, size_t errlen)
{
	struct kms_status_walk w = {out, 0};
	char buf[256], which[300];
	struct kms_conn c;
	struct flex_msg m;
	struct flex_out o;
	int rc;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (kms_client_open(&c, servers, timeout_ms, which, sizeof(which), err,
		errlen) == -1)
		return -1;
	flex_out_begin(&o, buf, sizeof(buf), "k1", "STATUS");
	rc = kms_client_exchange(&c, &o, kms_status_line, &w, &m, err, errlen);
	kms_client_close(&c);
	if (rc == -1) {
		licd_kms_status_free(out);
		return -1;
	}
	kms_copy(out->host, sizeof(out->host), &m, "host");
	kms_copy(out->version, sizeof(out->version), &m, "version");
	out->port = kms_get_int(&m, "port", 0);
	return 0;
}

void
licd_kms_status_free(struct licd_kms_status *st)
{
	free(st->products);
	st->products = NULL;
	st->nproducts = 0;
}

struct kms_machine_walk {
	struct licd_kms_machine *list;
	size_t n;
	size_t cap;
};

static int
kms_machine_line(void *arg, const struct flex_msg *m)
{
	struct kms_machine_walk *w = arg;
	struct licd_kms_machine *p;
	const char *cls;

	if (strcmp(m->verb, "MACHINE") != 0)
		return 0;
	if (kms_grow((void **)&w->list, &w->cap, w->n, sizeof(*p)) == -1)
		return -1;
	p = &w->list[w->n++];
	kms_copy(p->group, sizeof(p->group), m, "group");
	kms_copy(p->product, sizeof(p->product), m, "product");
	kms_copy(p->machine_id, sizeof(p->machine_id), m, "machine");
	kms_copy(p->host, sizeof(p->host), m, "host");
	kms_copy(p->unit, sizeof(p->unit), m, "unit");
	cls = flex_msg_get(m, "class");
	p->server_class = cls != NULL && strcmp(cls, "server") == 0;
	p->first_seen = kms_get_i64(m, "first_seen");
	p->last_seen = kms_get_i64(m, "last_seen");
	p->activated_until = kms_get_i64(m, "activated_until");
	return 0;
}

int
licd_kms_machines(const char *servers, const char *product, int timeout_ms,
    struct licd_kms_machine **out, size_t *n, char *err, size_t errlen)
{
	struct kms_machine_walk w = {NULL, 0, 0};
	char buf[256], which[300];
	struct kms_conn c;
	struct flex_msg m;
	struct flex_out o;
	int rc;

	*out = NULL;
	*n = 0;
	err[0] = '\0';
	if (kms_client_open(&c, servers, timeout_ms, which, sizeof(which), err,
		errlen) == -1)
		return -1;
	flex_out_begin(&o, buf, sizeof(buf), "k1", "MACHINES");
	if (product != NULL && product[0] != '\0')
		flex_out_add(&o, "product", product);
	rc = kms_client_exchange(&c, &o, kms_machine_line, &w, &m, err, errlen);
	kms_client_close(&c);
	if (rc == -1) {
		free(w.list);
		return -1;
	}
	*out = w.list;
	*n = w.n;
	return 0;
}

int
licd_kms_purge(const char *socket_path, const char *group,
    const char *machine_id, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	char buf[512];
	struct kms_conn c;
	struct flex_msg m;
	struct flex_out o;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(socket_path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", socket_path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", socket_path);
	c.deadline = kms_client_now() +
	    (timeout_ms > 0 ? timeout_ms : KMS_CLIENT_TIMEOUT_MS);
	if (kms_client_connect_addr(&c, (struct sockaddr *)&sun, sizeof(sun)) ==
	    -1) {
		snprintf(err, errlen, "%s: %s", socket_path, strerror(errno));
		return -1;
	}
	flex_out_begin(&o, buf, sizeof(buf), "k1", "PURGE");
	flex_out_add(&o, "group", group);
	flex_out_add(&o, "machine", machine_id);
	rc = kms_client_exchange(&c, &o, NULL, NULL, &m, err, errlen);
	kms_client_close(&c);
	return rc;
}
