/*
 * TLS for the TCP listeners (licd.conf's tls group and each listener's tls
 * key): one server context built from the configuration, the mode of the
 * listener that accepted a connection, and who the peer's certificate
 * says it is.  The session module (session.h) wraps a connection in
 * bufferevent_openssl with what this module hands out.
 */
#ifndef LICD_TLS_H
#define LICD_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

struct licd;
struct licd_conf;

/* What a verified client certificate says. */
struct tls_peer {
	char subject[256]; /* "CN=alice,OU=physics,O=Uni", RFC 2253 */
	char fingerprint[65]; /* SHA-256 of the DER, lower-case hex */
	char user[64]; /* the user-field's value, "" when absent */
	char unit[64]; /* the unit-field's value, "" when absent */
	/* It stands for the unit (tls.unit-principals): a unit and no
	 * user, or a user equal to the unit. */
	int principal;
	int admin; /* on tls.admins */
};

/*
 * Builds the server context from conf->tls when a listener uses TLS (and
 * does nothing otherwise).  Returns 0, or -1 with the reason in why: a
 * missing or unreadable certificate, key or CA file, or a key that does
 * not match the certificate.
 */
int tls_init(const struct licd_conf *, char *why, size_t len);

/*
 * A reload (SIGHUP, REREAD) in two steps, so that a reload refused later
 * leaves the running context alone.  tls_prepare builds a new context
 * from conf into *next (NULL when licd runs no TLS listener: a restart
 * adds them); it returns 0, or -1 with why.  tls_commit swaps *next in
 * for connections accepted from now on (connections already up keep
 * theirs), tls_discard drops it; both take NULL.
 */
int
tls_prepare(const struct licd_conf *, SSL_CTX **next, char *why, size_t len);
void tls_commit(SSL_CTX *next, const struct licd_conf *);
void tls_discard(SSL_CTX *next);

/* Frees the context at exit. */
void tls_free(void);

/* The enum conf_tls_mode of the listener that accepted fd, found by the
 * fd's local port (and address, where listeners share a port). */
int tls_mode_for_fd(const struct licd_conf *, int fd);

/* A new server-side SSL for one connection, or NULL (logged). */
SSL *tls_ssl_new(void);

/* Fills peer from the handshake's verified client certificate.  Returns 1
 * when there is one, 0 when the client sent none. */
int tls_peer_get(const struct licd_conf *, SSL *, struct tls_peer *);

/* The reason the last TLS operation on this thread failed, for a log
 * line (clears OpenSSL's error queue). */
const char *tls_last_error(char *buf, size_t len);

#endif
