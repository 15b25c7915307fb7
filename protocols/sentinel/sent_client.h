/*
 * The client library's sentinel side (include/licd.h, licd_sentinel_*):
 * the parts that decide without I/O, exposed for the unit tests.  Not
 * installed; liblicd-client.so does not export these.
 */
#ifndef LICD_SENT_CLIENT_H
#define LICD_SENT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "licd.h"
#include "protocols/sentinel/sent_codec.h"

#define SENT_CLIENT_SERVERS_MAX 16
#define SENT_CLIENT_TIMEOUT_MS 500 /* first wait for a reply */
#define SENT_CLIENT_ATTEMPTS 6 /* sends of one request */
#define SENT_CLIENT_ATTEMPTS_MAX 16
#define SENT_CLIENT_WAIT_MAX_MS 8000 /* longest wait after one send */
#define SENT_CLIENT_PAD 256 /* unsigned REQUEST, RENEW, COMMUTE, ... */
#define SENT_CLIENT_QUERY_PAD SENT_DATAGRAM_DEFAULT /* unsigned QUERY */
#define SENT_CLIENT_RECORDS_MAX 100000 /* features or clients in a view */

struct sent_client_server {
	char host[256];
	char port[8];
};

/*
 * Parses a server list, "PORT@HOST" entries with ',' or ':' between them
 * ("@HOST": port 5093; "PORT@[v6]" for an IPv6 address).  Returns how
 * many (at least 1), or -1 with the reason in err.
 */
int sent_client_servers_parse(const char *list, struct sent_client_server *out,
    size_t max, char *err, size_t errlen);

/* How long to wait for a reply after the attempt-th send (0 first): the
 * first wait doubled each time, at most SENT_CLIENT_WAIT_MAX_MS. */
int sent_client_wait_ms(int first_ms, int attempt);

/* When to renew a lease of lease_s seconds given at granted_ms
 * (monotonic): at half the lease, as PROTOCOL.md asks, but never sooner
 * than a second after. */
int64_t sent_client_renew_at(int64_t granted_ms, int lease_s);

/* Adds the records of one QUERY page to st (records over
 * SENT_CLIENT_RECORDS_MAX refused).  Returns 0 or -1 (memory, bound). */
int sent_client_status_add(
    struct licd_sentinel_status *st, const struct sent_reply *page);

/* The name of a DENIED reply's core reason ("no-seats"), or NULL. */
const char *sent_client_reason_name(int reason);

#endif
