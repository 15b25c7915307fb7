/*
 * Warnings ahead of licence expiry: once at start, at each reload and
 * once a day, one log line per licence line that expires within
 * expiry-warn-days, and one per line that has expired since the last
 * check, with the feature, version, seats, date and file:line.
 */
#ifndef LICD_EXPIRY_H
#define LICD_EXPIRY_H

#include <stdint.h>

struct licd;

/* Logs what expires soon or expired since since_ms (0: at start, every
 * expired line).  Returns how many lines were reported. */
int expiry_check(struct licd *, int64_t since_ms, int64_t now);

#endif
