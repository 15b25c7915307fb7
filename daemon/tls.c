/*
 * The server's TLS context, listener modes and client certificates
 * (tls.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../config/licd_conf.h"
#include "log.h"
#include "tls.h"

static SSL_CTX *tls_ctx; /* owned by the event loop thread */

const char *
tls_last_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, len, "no detail");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

static int
tls_needed(const struct licd_conf *conf)
{
	size_t i;

	if (conf->http[0] != '\0' && conf->http_tls != CONF_TLS_OFF)
		return 1;
	for (i = 0; i < conf->nlisteners; i++)
		if (conf->listeners[i].tls != CONF_TLS_OFF)
			return 1;
	return 0;
}

/* A context from conf->tls, or NULL with why. */
static SSL_CTX *
tls_ctx_build(const struct licd_conf *conf, char *why, size_t len)
{
	const struct conf_tls *t = &conf->tls;
	SSL_CTX *ctx;
	STACK_OF(X509_NAME) * names;
	char err[256];
	int mode;

	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		snprintf(why, len, "tls: %s", tls_last_error(err, sizeof(err)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(
	    ctx, t->min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_options(ctx,
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
		SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* bufferevent_openssl may hand a write buffer back at another
	 * address after a partial write. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, t->certificate) != 1) {
		snprintf(why, len, "tls.certificate %s: %s", t->certificate,
		    tls_last_error(err, sizeof(err)));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, t->key, SSL_FILETYPE_PEM) != 1) {
		snprintf(why, len, "tls.key %s: %s", t->key,
		    tls_last_error(err, sizeof(err)));
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(why, len,
		    "tls.key %s does not match tls.certificate %s", t->key,
		    t->certificate);
		ERR_clear_error();
		goto fail;
	}
	if (t->client_ca[0] != '\0') {
		if (SSL_CTX_load_verify_locations(ctx, t->client_ca, NULL) !=
		    1) {
			snprintf(why, len, "tls.client-ca %s: %s", t->client_ca,
			    tls_last_error(err, sizeof(err)));
			goto fail;
		}
		names = SSL_load_client_CA_file(t->client_ca);
		if (names != NULL)
			SSL_CTX_set_client_CA_list(ctx, names);
		ERR_clear_error();
	}
	mode = SSL_VERIFY_NONE;
	if (t->verify_client == CONF_VERIFY_OPTIONAL)
		mode = SSL_VERIFY_PEER;
	else if (t->verify_client == CONF_VERIFY_REQUIRED)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, NULL);
	SSL_CTX_set_verify_depth(ctx, 8);
	/* No session resumption: every connection shows its certificate
	 * again, so that a reloaded CA or admin list applies at once. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	return ctx;

fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
tls_init(const struct licd_conf *conf, char *why, size_t len)
{
	if (!tls_needed(conf))
		return 0;
	tls_ctx = tls_ctx_build(conf, why, len);
	return tls_ctx == NULL ? -1 : 0;
}

int
tls_prepare(const struct licd_conf *conf, SSL_CTX **next, char *why, size_t len)
{
	*next = NULL;
	if (tls_ctx == NULL)
		return 0; /* no TLS listener: a restart adds them */
	*next = tls_ctx_build(conf, why, len);
	return *next == NULL ? -1 : 0;
}

void
tls_commit(SSL_CTX *next, const struct licd_conf *conf)
{
	if (next == NULL)
		return;
	/* Each SSL holds a reference: connections up keep the old one. */
	SSL_CTX_free(tls_ctx);
	tls_ctx = next;
	log_info("tls: certificate and key read again: certificate=%s",
	    conf->tls.certificate);
}

void
tls_discard(SSL_CTX *next)
{
	SSL_CTX_free(next);
}

void
tls_free(void)
{
	SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}

/* The local address of fd as listen entries name it, and its port. */
static int
tls_local(int fd, char *addr, size_t len, int *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const struct sockaddr_in6 *sin6;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, addr, (socklen_t)len);
		*port = ntohs(sin->sin_port);
		return 0;
	}
	if (ss.ss_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, (socklen_t)len);
		*port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -1;
}

int
tls_mode_for_fd(const struct licd_conf *conf, int fd)
{
	char addr[INET6_ADDRSTRLEN];
	size_t i;
	int port, mode = -1;

	if (tls_ctx == NULL || tls_local(fd, addr, sizeof(addr), &port) == -1)
		return CONF_TLS_OFF;
	for (i = 0; i < conf->nlisteners; i++) {
		if (conf->listeners[i].port != port)
			continue;
		if (strcmp(conf->listeners[i].address, addr) == 0)
			return conf->listeners[i].tls;
		if (mode == -1)
			mode = conf->listeners[i].tls;
	}
	return mode == -1 ? CONF_TLS_OFF : mode;
}

SSL *
tls_ssl_new(void)
{
	char err[256];
	SSL *ssl;

	if (tls_ctx == NULL)
		return NULL;
	ssl = SSL_new(tls_ctx);
	if (ssl == NULL)
		log_warnx("tls: cannot make a connection: %s",
		    tls_last_error(err, sizeof(err)));
	return ssl;
}

/* The first value of the subject field called field ("CN"), or "". */
static void
tls_subject_field(X509_NAME *name, const char *field, char *out, size_t len)
{
	const ASN1_STRING *data;
	const unsigned char *p;
	int nid, pos, n, i;

	out[0] = '\0';
	nid = OBJ_txt2nid(field);
	if (nid == NID_undef)
		return;
	pos = X509_NAME_get_index_by_NID(name, nid, -1);
	if (pos < 0)
		return;
	data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, pos));
	p = ASN1_STRING_get0_data(data);
	n = ASN1_STRING_length(data);
	/* Names go into journal records and protocol lines: printable
	 * ASCII only, the rest as '_'. */
	for (i = 0; i < n && (size_t)i + 1 < len; i++)
		out[i] = p[i] > 0x20 && p[i] < 0x7f ? (char)p[i] : '_';
	out[i] = '\0';
}

/* Whether every "field=value" of entry (comma-separated) is in name. */
static int
tls_subject_matches(X509_NAME *name, const char *entry)
{
	char copy[256], value[256], *pair, *save, *eq;
	int pairs = 0;

	snprintf(copy, sizeof(copy), "%s", entry);
	for (pair = strtok_r(copy, ",", &save); pair != NULL;
	     pair = strtok_r(NULL, ",", &save)) {
		while (*pair == ' ')
			pair++;
		eq = strchr(pair, '=');
		if (eq == NULL)
			return 0;
		*eq = '\0';
		tls_subject_field(name, pair, value, sizeof(value));
		if (value[0] == '\0' || strcmp(value, eq + 1) != 0)
			return 0;
		pairs++;
	}
	return pairs > 0;
}

/* Whether entry is a SHA-256 fingerprint equal to fp (hex, ':' and case
 * ignored). */
static int
tls_fingerprint_matches(const char *fp, const char *entry)
{
	char hex[65];
	size_t n = 0;

	for (; *entry != '\0'; entry++) {
		if (*entry == ':')
			continue;
		if (n == 64 || strchr("0123456789abcdefABCDEF", *entry) == NULL)
			return 0;
		hex[n++] = *entry;
	}
	hex[n] = '\0';
	return n == 64 && strcasecmp(hex, fp) == 0;
}

int
tls_peer_get(const struct licd_conf *conf, SSL *ssl, struct tls_peer *peer)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	X509_NAME *name;
	X509 *cert;
	BIO *bio;
	size_t k;
	int n;

	memset(peer, 0, sizeof(*peer));
	cert = SSL_get1_peer_certificate(ssl);
	if (cert == NULL)
		return 0;
	/* With SSL_VERIFY_PEER a certificate that failed has ended the
	 * handshake already; this is the belt to those braces. */
	if (SSL_get_verify_result(ssl) != X509_V_OK) {
		X509_free(cert);
		return 0;
	}
	name = X509_get_subject_name(cert);
	bio = BIO_new(BIO_s_mem());
	if (bio != NULL) {
		X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
		n = BIO_read(bio, peer->subject, sizeof(peer->subject) - 1);
		peer->subject[n > 0 ? n : 0] = '\0';
		BIO_free(bio);
	}
	X509_digest(cert, EVP_sha256(), md, &mdlen);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(peer->fingerprint + 2 * i, 3, "%02x", md[i]);
	tls_subject_field(
	    name, conf->tls.user_field, peer->user, sizeof(peer->user));
	tls_subject_field(
	    name, conf->tls.unit_field, peer->unit, sizeof(peer->unit));
	peer->principal = conf->tls.unit_principals && peer->unit[0] != '\0' &&
	    (peer->user[0] == '\0' || strcasecmp(peer->user, peer->unit) == 0);
	for (k = 0; k < conf->tls.nadmins && !peer->admin; k++)
		peer->admin = tls_fingerprint_matches(
				  peer->fingerprint, conf->tls.admins[k]) ||
		    tls_subject_matches(name, conf->tls.admins[k]);
	X509_free(cert);
	return 1;
}
