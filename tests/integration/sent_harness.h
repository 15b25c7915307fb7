/*
 * A small UDP client of licd's sentinel front end for the integration
 * tests, built on the codec: ids, requests, signing and padding as a
 * client does them, and the wait for the reply to a request.
 */
#ifndef LICD_SENT_HARNESS_H
#define LICD_SENT_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "protocols/sentinel/sent_codec.h"

/* Wall-clock milliseconds. */
int64_t sh_now_ms(void);

/* Client and request ids: distinct, nonzero. */
uint64_t sh_rnd64(void);

/* A request of verb: a fresh request id, one token, one client. */
void sh_req_init(struct sent_request *r, int verb);

/* Encodes r as client cid, signs it at ts with key (NULL: unsigned) and
 * pads it to pad bytes; returns the datagram's length in buf. */
size_t sh_encode(uint64_t cid, const uint8_t *key, size_t keylen,
    struct sent_request *r, uint8_t *buf, size_t cap, size_t pad, int64_t ts);

/* Waits up to ms on fd for the reply to request_id, skipping older
 * requests' late replies, and decodes it into rep (a reply that does not
 * decode, or whose MAC under key does not check, fails the test).
 * Returns its length, or 0 when none came. */
size_t sh_recv(int fd, const uint8_t *key, size_t keylen, uint64_t request_id,
    struct sent_reply *rep, int ms);

#endif
