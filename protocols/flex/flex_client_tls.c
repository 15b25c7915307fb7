/*
 * The client library's TLS (flex_client_tls.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "flex_client_tls.h"
#include "licd.h"

/* Why the last TLS call on ssl failed. */
static void
tls_why(SSL *ssl, const char *what, char *err, size_t len)
{
	char buf[256];
	unsigned long e = ERR_get_error();
	long v = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;

	if (v != X509_V_OK)
		snprintf(buf, sizeof(buf), "certificate: %s",
		    X509_verify_cert_error_string(v));
	else if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s",
		    errno != 0 ? strerror(errno) : "connection closed");
	ERR_clear_error();
	snprintf(err, len, "tls %s: %s", what, buf);
}

/* What a TLS call that returned rc waits for: POLLIN or POLLOUT, or 0
 * when it failed for good. */
static short
tls_want(SSL *ssl, int rc)
{
	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return POLLIN;
	case SSL_ERROR_WANT_WRITE:
		return POLLOUT;
	default:
		return 0;
	}
}

const struct licd_tls *
client_tls_env(struct licd_tls *t)
{
	const char *on = getenv("LICD_TLS");

	memset(t, 0, sizeof(*t));
	t->ca = getenv("LICD_TLS_CA");
	t->cert = getenv("LICD_TLS_CERT");
	t->key = getenv("LICD_TLS_KEY");
	t->server_name = getenv("LICD_TLS_SERVER_NAME");
	if (on != NULL && (strcmp(on, "0") == 0 || strcmp(on, "no") == 0))
		return NULL;
	if ((on == NULL || on[0] == '\0') && t->ca == NULL && t->cert == NULL)
		return NULL;
	return t;
}

SSL_CTX *
client_tls_ctx(const struct licd_tls *t, char *err, size_t len)
{
	SSL_CTX *ctx;
	int ok;

	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ok = t->ca != NULL && t->ca[0] != '\0'
	    ? SSL_CTX_load_verify_locations(ctx, t->ca, NULL)
	    : SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1)
		goto fail;
	if (t->cert != NULL && t->cert[0] != '\0' &&
	    (SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1 ||
		SSL_CTX_use_PrivateKey_file(ctx,
		    t->key != NULL && t->key[0] != '\0' ? t->key : t->cert,
		    SSL_FILETYPE_PEM) != 1 ||
		SSL_CTX_check_private_key(ctx) != 1))
		goto fail;
	return ctx;

fail:
	tls_why(NULL, "setup", err, len);
	SSL_CTX_free(ctx);
	return NULL;
}

static int64_t
tls_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

SSL *
client_tls_connect(SSL_CTX *ctx, int fd, const char *name, int timeout_ms,
    char *err, size_t len)
{
	int64_t deadline = tls_now_ms() + timeout_ms, left;
	struct in6_addr a6;
	struct pollfd pfd;
	SSL *ssl;
	int rc;

	ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
		tls_why(ssl, "setup", err, len);
		goto fail;
	}
	if (inet_pton(AF_INET, name, &a6) == 1 ||
	    inet_pton(AF_INET6, name, &a6) == 1)
		rc = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
	else
		rc = SSL_set_tlsext_host_name(ssl, name) == 1 &&
		    SSL_set1_host(ssl, name) == 1;
	if (rc != 1) {
		tls_why(ssl, "server name", err, len);
		goto fail;
	}
	for (;;) {
		ERR_clear_error();
		errno = 0;
		rc = SSL_connect(ssl);
		if (rc == 1)
			return ssl;
		pfd.fd = fd;
		pfd.events = tls_want(ssl, rc);
		if (pfd.events == 0) {
			tls_why(ssl, "handshake", err, len);
			goto fail;
		}
		left = deadline - tls_now_ms();
		rc = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (rc == 0) {
			snprintf(err, len, "tls handshake: timed out");
			goto fail;
		}
		if (rc == -1 && errno != EINTR) {
			snprintf(err, len, "poll: %s", strerror(errno));
			goto fail;
		}
	}

fail:
	SSL_free(ssl);
	return NULL;
}

/*
 * SSL_write on a socket whose peer is gone raises SIGPIPE, which would
 * kill an application that did not ignore it: block it on this thread
 * for the write, and take a SIGPIPE the write raised off the thread.
 */
static int
tls_write(SSL *ssl, const void *buf, size_t len)
{
	struct timespec zero = {0, 0};
	sigset_t pipe_set, old, pending;
	int n, had;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	had = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	n = SSL_write(ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	if (!had) {
		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE))
			while (sigtimedwait(&pipe_set, NULL, &zero) == -1 &&
			    errno == EINTR)
				continue;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return n;
}

ssize_t
client_tls_io(SSL *ssl, int sending, void *buf, size_t len, short *events,
    char *err, size_t errlen)
{
	int n;

	ERR_clear_error();
	errno = 0;
	n = sending
	    ? tls_write(ssl, buf, len)
	    : SSL_read(ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	if (n > 0)
		return n;
	if (!sending && SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN)
		return 0;
	*events = tls_want(ssl, n);
	if (*events != 0) {
		errno = EAGAIN;
		return -1;
	}
	if (!sending && SSL_get_error(ssl, n) == SSL_ERROR_SYSCALL &&
	    errno == 0)
		return 0; /* the peer closed without close_notify */
	tls_why(ssl, sending ? "send" : "receive", err, errlen);
	errno = EPROTO;
	return -1;
}
