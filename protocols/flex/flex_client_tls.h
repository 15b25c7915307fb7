/*
 * TLS for the client library's connections (flex and kms): the context
 * from struct licd_tls or the LICD_TLS* environment, the handshake on a
 * connected non-blocking socket, and one send or receive.  Internal: the
 * shared library exports none of it.
 */
#ifndef LICD_FLEX_CLIENT_TLS_H
#define LICD_FLEX_CLIENT_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

struct licd_tls;

/* Fills t from LICD_TLS, LICD_TLS_CA, LICD_TLS_CERT, LICD_TLS_KEY and
 * LICD_TLS_SERVER_NAME; returns t, or NULL when they ask for no TLS. */
const struct licd_tls *client_tls_env(struct licd_tls *t);

/*
 * A client context: TLS 1.2 or later, the server verified against t->ca
 * (or the system's CAs), t->cert and t->key shown when asked.  Returns it,
 * or NULL with the reason in err.
 */
SSL_CTX *client_tls_ctx(const struct licd_tls *t, char *err, size_t len);

/*
 * TLS over the connected, non-blocking fd, within timeout_ms: the server's
 * certificate must name name (a DNS name or an address).  Returns the
 * connection, or NULL with the reason in err (fd stays open).
 */
SSL *client_tls_connect(
    SSL_CTX *, int fd, const char *name, int timeout_ms, char *err, size_t len);

/*
 * One SSL_write (sending) or SSL_read: returns the bytes moved, 0 at the
 * end of the stream (receiving), or -1: errno EAGAIN with *events the
 * poll() events to wait for, or errno EPROTO with the reason in err.  A
 * SIGPIPE the write raises is swallowed.
 */
ssize_t client_tls_io(SSL *, int sending, void *buf, size_t len, short *events,
    char *err, size_t errlen);

#endif
