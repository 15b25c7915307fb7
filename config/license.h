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
int license_load(
    const char *path, struct core_license_file *out, struct diag *diag);

void license_free(struct core_license_file *);

/* Looks up attribute key (case-insensitive) on a line; NULL when absent. */
const char *license_attr(const struct core_line *, const char *key);

/*
 * Parses a FlexLM date ("31-dec-2026", "1-jan-0", "permanent", "0") into
 * milliseconds since the epoch (UTC midnight starting that day) in *out; 0
 * for the dates that mean "never expires".  Returns 0 or -1.
 */
int license_parse_date(const char *s, int64_t *out);

/*
 * Added for the parsers: bounds on how many FEATURE-like lines and VENDOR
 * lines one file may hold, so that a file within LICENSE_FILE_MAX cannot
 * make the parser allocate gigabytes (each struct core_line is ~5 KB).
 */
#define LICENSE_LINES_MAX 20000
#define LICENSE_VENDORS_MAX 256

/*
 * The text layer shared by the licence and options parsers (both are
 * FlexLM files with the same line rules).  A reader hands out logical
 * lines: physical lines joined across a trailing backslash (with one space
 * where the backslash, the newline and the next line's indentation were),
 * CR before LF dropped, leading and trailing blanks removed, blank lines
 * and '#' comments (with all their continuations) skipped, and a leading
 * UTF-8 byte order mark ignored.
 */
struct license_reader {
	const char *text;
	size_t len;
	size_t pos;
	int lineno; /* last physical line consumed */
	size_t max; /* longest logical line accepted */
	char *buf; /* max + 1 bytes, the current logical line */
};

enum license_read {
	LICENSE_READ_EOF,
	LICENSE_READ_LINE,
	LICENSE_READ_TOO_LONG, /* longer than max: skipped */
	LICENSE_READ_NUL, /* holds a NUL byte: skipped */
	LICENSE_READ_NOMEM,
};

void license_reader_init(
    struct license_reader *, const char *text, size_t len, size_t max);

/* Returns the next logical line in *line (NUL-terminated, writable until
 * the next call) and its first physical line number in *lineno.  For
 * TOO_LONG and NUL the line is consumed and *lineno says where it was. */
enum license_read
license_reader_next(struct license_reader *, char **line, int *lineno);

void license_reader_free(struct license_reader *);

/*
 * Feeds each logical line of text to fn, with *lineno set to the line's
 * first physical line.  Lines longer than max with their continuations,
 * and lines holding a NUL byte, are skipped and reported to diag as errors
 * of file path.  Returns 0, or -1 when memory ran out (also reported).
 */
/* Parses an unsigned decimal of at most max into *out.  Returns 0, or -1
 * on an empty string, anything but digits, or a value over max. */
int license_number(const char *s, long max, long *out);

int license_read_lines(const char *path, const char *text, size_t len,
    size_t max, int *lineno, struct diag *diag,
    void (*fn)(void *arg, char *line), void *arg);

/*
 * One word of a logical line.  Words are split at blanks; a double quote
 * starts or ends a quoted part, where blanks are kept, and the quotes
 * themselves are removed (so KEY="a b" and KEY=pre"a b" both work).  With
 * angle set, "<...>" is one word as well, brackets kept: options files use
 * placeholders such as <NNU username>.
 */
struct license_token {
	char *s; /* NUL-terminated, inside the line buffer */
	size_t len;
	int eq; /* offset of the first '=' outside quotes, or -1 */
	int quoted; /* some part of the word was quoted */
};

struct license_cursor {
	char *p;
	char *end;
	int angle;
};

/* Starts a cursor on a logical line from license_reader_next(). */
void license_cursor_init(struct license_cursor *, char *line, int angle);

/* Cuts the next word out of the line, in place.  Returns 1 with *tok
 * filled, 0 at the end of the line, -1 on an unterminated quote. */
int license_token_next(struct license_cursor *, struct license_token *tok);

/* Reads a whole file of at most max bytes into *text (malloc'd, to be
 * freed by the caller).  A missing, unreadable or too large file is an
 * error in diag (line 0) and returns -1. */
int license_read_file(
    const char *path, size_t max, char **text, size_t *len, struct diag *diag);

/*
 * The loaders' common part: reads path (at most max bytes, through
 * license_read_file) and parses it with parse into out.  A file that
 * cannot be read is parsed as no text, so that out is left empty but for
 * its path.  Returns 0, or -1 when the file could not be read or had
 * errors (in diag).
 */
int license_load_with(const char *path, size_t max,
    int (*parse)(const char *path, const char *text, size_t len, void *out,
	struct diag *),
    void *out, struct diag *diag);

#endif
