/*
 * FlexLM licence files: SERVER, VENDOR/DAEMON, USE_SERVER, FEATURE,
 * INCREMENT, UPGRADE and PACKAGE lines with their positional fields and
 * keyword attributes, quoted values, backslash continuations and comments.
 */
#ifndef LICD_LICENSE_H
#define LICD_LICENSE_H

#include <stddef.h>

#include "../daemon/core/core_types.h"
#include "diag.h"

/* Largest licence file accepted, and longest logical line (after joining
 * continuations).  Bigger input is refused with a diagnostic. */
#define LICENSE_FILE_MAX (4 * 1024 * 1024)
#define LICENSE_LINE_MAX (64 * 1024)

/*
 * Parses text (len bytes, not necessarily NUL-terminated) as a licence file
 * named path.  Fills out (which it zeroes first) and adds every problem to
 * diag with its line.  Returns 0 when the file has no errors, -1 otherwise;
 * out holds what could be parsed either way and must be freed with
 * license_free().
 */
int license_parse(const char *path, const char *text, size_t len,
    struct core_license_file *out, struct diag *diag);

/* Reads path and parses it as above; a file that cannot be read is an
 * error in diag. */
int license_load(const char *path, struct core_license_file *out,
    struct diag *diag);

void license_free(struct core_license_file *);

/* Looks up attribute key (case-insensitive) on a line; NULL when absent. */
const char *license_attr(const struct core_line *, const char *key);

/*
 * Parses a FlexLM date ("31-dec-2026", "1-jan-0", "permanent", "0") into
 * milliseconds since the epoch (UTC midnight starting that day) in *out; 0
 * for the dates that mean "never expires".  Returns 0 or -1.
 */
int license_parse_date(const char *s, int64_t *out);

#endif
