/*
 * The units file: directory unit codes mapped to cost centres and the
 * names reports show.  One unit per line,
 *
 *	CODE  COST-CENTRE  display name to the end of the line
 *
 * with '#' comments and blank lines.  CODE is 1-63 characters of
 * [A-Za-z0-9._-] (a directory's unit code), COST-CENTRE 1-63 printable
 * characters without spaces, and the display name 1-127 printable
 * characters (surrounding double quotes are removed).  Parsing is bounded
 * (UNITS_FILE_MAX bytes, UNITS_MAX units, UNITS_LINE_MAX per line).
 */
#ifndef LICD_UNITS_H
#define LICD_UNITS_H

#include <stddef.h>

#include "diag.h"

#define UNITS_FILE_MAX (1024 * 1024)
#define UNITS_LINE_MAX 1024
#define UNITS_MAX 10000
#define UNITS_CODE_MAX 64 /* with the NUL */
#define UNITS_NAME_MAX 128

struct unit_entry {
	char code[UNITS_CODE_MAX];
	char cost_centre[UNITS_CODE_MAX];
	char name[UNITS_NAME_MAX];
	int lineno;
};

struct units {
	struct unit_entry *v;
	size_t n;
};

/*
 * Parses len bytes of text (path names it in diagnostics) into out, which
 * is zeroed first and must be freed with units_free().  Refuses, each with
 * its line: a missing field, a bad code or cost centre, an overlong field,
 * a control byte, a code listed twice, more than UNITS_MAX units.
 * Returns 0 when there is no error, -1 otherwise.
 */
int units_parse(const char *path, const char *text, size_t len,
    struct units *out, struct diag *diag);

/* Reads and parses the file at path. */
int units_load(const char *path, struct units *out, struct diag *diag);

void units_free(struct units *);

/* The unit of that code (compared without case), or NULL. */
const struct unit_entry *units_find(const struct units *, const char *code);

#endif
