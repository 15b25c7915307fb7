/*
 * The FlexLM-style debug log: one line per checkout, checkin, denial and
 * queue change, in the layout of a vendor daemon's debug log, so that the
 * scripts and log shippers written for lmgrd's logs read licd's:
 *
 *	 9:57:39 (vendor) OUT: "feature" user@host
 *	 9:57:39 (vendor) IN: "feature" user@host
 *	 9:57:39 (vendor) DENIED: "feature" user@host  (reason)
 *	 9:57:39 (licd) TIMESTAMP 12/3/2026
 *
 * The date appears only on TIMESTAMP lines, written at open, when the day
 * changes and every six hours, as lmgrd does.
 */
#ifndef LICD_DEBUGLOG_H
#define LICD_DEBUGLOG_H

#include <stdint.h>

#include "core/core.h"

struct debuglog;

/* Opens path (created 0640), appending, or emptying it first when
 * truncate is set (an options-file DEBUGLOG without "+").  nolog holds
 * CORE_NOLOG_* bits: the kinds of line not written (NOLOG).  Returns NULL
 * and logs why. */
struct debuglog *
debuglog_open(const char *path, int truncate, unsigned nolog, int64_t now);
void debuglog_close(struct debuglog *);

/* Writes the line for a core event, if it has one. */
void debuglog_event(struct debuglog *, const struct core_event *);

/* Writes a free line from licd itself, e.g. a reload. */
void debuglog_note(struct debuglog *, int64_t now, const char *text);

#endif
