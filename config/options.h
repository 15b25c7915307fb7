/*
 * FlexLM options files: GROUP, HOST_GROUP, INCLUDE, INCLUDEALL, EXCLUDE,
 * EXCLUDEALL (with USER, HOST, DISPLAY, GROUP, HOST_GROUP, INTERNET and
 * PROJECT), RESERVE, MAX, MAX_OVERDRAFT, TIMEOUT, TIMEOUTALL, LINGER,
 * GROUPCASEINSENSITIVE, and for borrowing MAX_BORROW_HOURS,
 * BORROW_LOWWATER, INCLUDE_BORROW and EXCLUDE_BORROW become rules.
 * DEBUGLOG [+]path, NOLOG IN|OUT|DENIED|QUEUED and REPORTLOG [+]path are
 * settings of struct core_options (debuglog_path, debuglog_append,
 * nolog_mask, reportlog_path) that the daemon applies to its debug log;
 * REPORTLOG is accepted with a DIAG_NOTICE that licd's journal takes the
 * report log's place.  Every other known keyword (ACTIVATION_*,
 * AUTOMATIC_REREAD, MAX_CONNECTIONS, TIMEZONE, ...) is parsed and
 * reported once as a DIAG_NOTICE "not yet honoured"; an unknown keyword
 * is an error.
 */
#ifndef LICD_OPTIONS_H
#define LICD_OPTIONS_H

#include <stddef.h>

#include "../daemon/core/core_types.h"
#include "diag.h"

#define OPTIONS_FILE_MAX (4 * 1024 * 1024)
#define OPTIONS_LINE_MAX (64 * 1024)

/* Added: bounds on what one options file may define; past them each
 * further rule, group or member is an error. */
#define OPTIONS_RULES_MAX 100000
#define OPTIONS_GROUPS_MAX 100000
#define OPTIONS_MEMBERS_MAX 10000 /* per group, after merging */

/* Same contract as license_parse(): out is zeroed, filled, and must be
 * freed with options_free(); returns 0 when there are no errors. */
int options_parse(const char *path, const char *text, size_t len,
    struct core_options *out, struct diag *diag);

int options_load(const char *path, struct core_options *out, struct diag *diag);

void options_free(struct core_options *);

#endif
