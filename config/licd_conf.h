/*
 * licd.conf: the daemon's own settings (libconfig syntax), and the command
 * line flags that override them.  See config/examples/licd.conf for every
 * setting with its default.
 */
#ifndef LICD_CONF_H
#define LICD_CONF_H

#include <stddef.h>

#include "../daemon/core/activation.h"
#include "diag.h"
#include "identity_conf.h"

#define CONF_LISTENERS_MAX 16
#define CONF_LICENSES_MAX 64
#define CONF_PATH_MAX 1024
#define CONF_TRUSTED_KEYS_MAX 16
#define CONF_KMS_PRODUCTS_MAX 64
#define CONF_RESERVATIONS_MAX 16

/* TLS on a listener (the listener's tls key): none, TLS or plain text
 * told apart by the first byte, or TLS only. */
enum conf_tls_mode {
	CONF_TLS_OFF = 0,
	CONF_TLS_OPTIONAL = 1,
	CONF_TLS_REQUIRED = 2,
};

/* Client certificates (tls.verify-client). */
enum conf_tls_verify {
	CONF_VERIFY_NONE = 0,
	CONF_VERIFY_OPTIONAL = 1,
	CONF_VERIFY_REQUIRED = 2,
};

#define CONF_TLS_ADMINS_MAX 32

/* The tls = { ... } group: one server identity for every TLS listener. */
struct conf_tls {
	char certificate[CONF_PATH_MAX]; /* PEM, chain after the leaf */
	char key[CONF_PATH_MAX];
	char client_ca[CONF_PATH_MAX]; /* CAs that sign client certs */
	int verify_client;
	char user_field[16]; /* subject field naming the user: "CN" */
	char unit_field[16]; /* and the unit: "OU" */
	/* A certificate with the unit field and no user field (or one
	 * equal to the unit) stands for the unit, not a person. */
	int unit_principals;
	/* Who may use the admin verbs over TLS: a subject ("CN=alice" or
	 * "CN=alice,OU=it", matched as licd prints it) or a certificate's
	 * SHA-256 fingerprint (64 hex digits, ':' allowed). */
	char admins[CONF_TLS_ADMINS_MAX][256];
	size_t nadmins;
	int min_version; /* 12 or 13 */
};

struct conf_listener {
	char protocol[16]; /* "flex" */
	char address[256]; /* "*" for every address */
	int port;
	int tls; /* enum conf_tls_mode */
};

struct licd_conf {
	char path[CONF_PATH_MAX]; /* the file read, "" when none */
	char state_dir[CONF_PATH_MAX];
	char license_files[CONF_LICENSES_MAX][CONF_PATH_MAX];
	size_t nlicense_files;
	char options_file[CONF_PATH_MAX];
	/* Sentinel reservation files (config/reservation.h), applied after
	 * the options file. */
	char reservation_files[CONF_RESERVATIONS_MAX][CONF_PATH_MAX];
	size_t nreservation_files;
	struct conf_listener listeners[CONF_LISTENERS_MAX];
	size_t nlisteners;
	char log_level[16];
	/* journal.sync: "full" (default: every commit is on disk before
	 * its reply) or "normal" (no fsync per commit; see licd.conf(5)). */
	char journal_sync[16];
	char server_name[256]; /* host name shown in status; "" = hostname */
	char default_unit[64];
	/* The local admin socket ("" before conf_finish: <state-dir>/
	 * admin.sock; "off": none) and the group whose members may use
	 * it besides root and licd's own user ("" for none). */
	char admin_socket[CONF_PATH_MAX];
	char admin_group[64];
	/* The FlexLM-style debug log ("" for none). */
	char debug_log[CONF_PATH_MAX];

	/* limits */
	int max_connections;
	int max_per_address;
	int idle_timeout; /* seconds without a byte from a client */
	int write_timeout; /* seconds a client may leave replies unread */
	/* seconds from accept to a finished TLS handshake, or to the first
	 * byte on a plain-text or "optional" listener */
	int handshake_timeout;
	int min_timeout; /* TIMEOUT/TIMEOUTALL floor, seconds */
	int resume_grace; /* seconds to resume grants after a restart */
	int max_queue;
	int max_pending; /* requests waiting per connection */
	int heartbeat; /* advertised heartbeat interval, seconds */
	int shutdown_grace; /* seconds to flush replies when stopping */
	int expiry_warn_days; /* warn of licence lines expiring this soon */

	/* licd signatures on licence lines (config/signature.h): the
	 * public keys (PEM files) whose signatures are trusted, and
	 * whether every line must carry one. */
	char trusted_keys[CONF_TRUSTED_KEYS_MAX][CONF_PATH_MAX];
	size_t ntrusted_keys;
	int require_signature;

	/* The HTTP views (/metrics, /api/status, the status page): "host:port"
	 * or "[v6]:port", "" for none. */
	char http[256];
	int http_tls; /* enum conf_tls_mode: off or required */

	/* The KMS front end (protocols/kms/): its listener, added by
	 * conf_finish when a product is configured and kms_port is not 0,
	 * and the products, zero fields meaning the defaults. */
	int kms_port;
	char kms_address[256];
	struct act_product kms_products[CONF_KMS_PRODUCTS_MAX];
	size_t nkms_products;

	/* The sentinel front end (protocols/sentinel/): its UDP listener,
	 * added by conf_finish unless sentinel_port is 0; the site key file
	 * ("" for unauthenticated datagrams); the datagram bound; datagrams
	 * per second per source address; the default lease (seconds); the
	 * most clients it keeps. */
	int sentinel_port;
	char sentinel_address[256];
	char sentinel_site_key_file[CONF_PATH_MAX];
	int sentinel_max_datagram;
	int sentinel_rate;
	int sentinel_lease;
	int sentinel_max_clients;
	int kms_tls; /* enum conf_tls_mode of the KMS listener */

	/* TLS (daemon/tls.h) */
	struct conf_tls tls;

	/* grants one connection may hold at once (flex) */
	int max_grants_per_client;

	/* The directory and eligibility (identity = { ... }). */
	struct identity_conf identity;
};

/* Fills every setting with its default (no listeners, no files). */
void conf_defaults(struct licd_conf *);

/*
 * Reads path into conf (which should hold defaults).  Relative paths in
 * the file are taken relative to the file's folder.  Every problem goes to
 * diag with its line; returns 0 when there is none, -1 otherwise.
 */
int conf_load(const char *path, struct licd_conf *conf, struct diag *diag);

/* Checks settings that depend on each other after flags are applied, and
 * adds the default flex listener when none is configured (and the kms
 * listener when products are configured).  Returns 0 or
 * -1 with diagnostics. */
int conf_finish(struct licd_conf *, struct diag *);

/* Adds a licence file (from --license); the first call replaces the list
 * read from the file.  Returns 0 or -1 when the list is full. */
int conf_add_license(struct licd_conf *, const char *path, int *replaced);

#endif
