/*
 * The read-only HTTP views on the admin listener (licd.conf "http" or
 * --http ADDR:PORT; off by default): /metrics in the Prometheus text
 * format 0.0.4, /api/status as JSON, and / as a status page with inline
 * SVG charts and no external assets.  GET and HEAD only; headers, bodies,
 * idle time and connections are bounded.
 */
#ifndef LICD_HTTP_H
#define LICD_HTTP_H

#include <stddef.h>

struct licd;

/*
 * Splits "host:port" or "[v6]:port" into host and port.  Accepts ports
 * 1-65535 and a non-empty host.  Returns 0, or -1 when addr is not of that
 * form.
 */
int http_parse_addr(const char *addr, char *host, size_t len, int *port);

/*
 * When licd->conf.http is set: seeds the use history from the journal
 * files (blocking: call before the loop runs), then binds and serves.
 * Returns 0 (also when off), or -1 when the address cannot be bound.
 */
int http_start(struct licd *);

/* Stops listening and frees everything (after the loop has ended). */
void http_stop(void);

#endif
