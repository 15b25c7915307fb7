/*
 * FlexLM licence files.  The text layer (logical lines, words, quotes) is
 * shared with options.c; the rest turns SERVER, VENDOR/DAEMON, USE_SERVER,
 * FEATURE, INCREMENT, UPGRADE and PACKAGE lines into struct
 * core_license_file.  A line with any error is reported and left out, so
 * the core never sees half a line; the file as a whole is then refused by
 * the caller because license_parse() returns -1.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "license.h"

#define LIC_MS_PER_DAY INT64_C(86400000)

/* Seat counts above this are refused: no licence sells a billion seats,
 * and the core adds counts up in an int. */
#define LIC_COUNT_MAX 1000000

/* Words kept per line: the keyword, up to seven positional fields and
 * CORE_LINE_ATTRS_MAX attributes, plus one so that "too many" shows. */
#define LIC_TOKENS_MAX (1 + 7 + CORE_LINE_ATTRS_MAX + 1)

/* Things reported once per file with "is parsed but not yet honoured".
 * The first entries are attribute keywords, in the order of the bits.
 * HOSTID splits pools and keeps uncounted lines from being served, but a
 * counted line is not locked to the host it names. */
static const char *const lic_later_attrs[] = {
    "HOSTID",
};
#define LIC_NLATER (sizeof(lic_later_attrs) / sizeof(lic_later_attrs[0]))
#define LIC_NOTE_SERVER (1u << LIC_NLATER)

static const char *const lic_months[12] = {"jan", "feb", "mar", "apr", "may",
    "jun", "jul", "aug", "sep", "oct", "nov", "dec"};

/* Days before the first of each month in a common year. */
static const int lic_month_start[12] = {
    0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

struct lic_state {
	const char *path;
	struct core_license_file *out;
	struct diag *diag;
	int lineno;
	unsigned int noticed;
	size_t linecap;
	size_t vendorcap;
	int lines_full; /* LICENSE_LINES_MAX reported */
	int vendors_full; /* LICENSE_VENDORS_MAX reported */
};

static void lic_msg(struct lic_state *, enum diag_level, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
lic_is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Copies a string into a fixed array; -1 (and a truncated copy) when it
 * does not fit. */
static int
lic_copy(char *dst, size_t size, const char *src)
{
	size_t n;

	n = strlen(src);
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

/*
 * Text layer.
 */

void
license_reader_init(
    struct license_reader *r, const char *text, size_t len, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->text = text;
	r->len = text != NULL ? len : 0;
	r->max = max;

	/* Editors on Windows like to start files with a byte order mark. */
	if (r->len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		r->pos = 3;
}

enum license_read
license_reader_next(struct license_reader *r, char **line, int *lineno)
{
	const char *s, *e, *nl;
	size_t n, need;
	int first, comment, cont, toolong, nul;

	if (r->buf == NULL) {
		r->buf = malloc(r->max + 1);
		if (r->buf == NULL)
			return LICENSE_READ_NOMEM;
	}

	while (r->pos < r->len) {
		first = r->lineno + 1;
		n = 0;
		comment = toolong = nul = 0;

		do {
			s = r->text + r->pos;
			nl = memchr(s, '\n', r->len - r->pos);
			e = nl != NULL ? nl : r->text + r->len;
			r->pos = (size_t)(e - r->text) + (nl != NULL);
			r->lineno++;

			while (e > s && lic_is_blank(e[-1]))
				e--;
			cont = e > s && e[-1] == '\\';
			if (cont) {
				e--;
				while (e > s && lic_is_blank(e[-1]))
					e--;
			}
			while (s < e && lic_is_blank(*s))
				s++;

			/* A comment swallows its continuations too: a
			 * commented-out INCREMENT stays out as a whole. */
			if (n == 0 && !toolong && s < e && *s == '#')
				comment = 1;
			if (comment || s == e)
				continue;

			if (memchr(s, '\0', (size_t)(e - s)) != NULL)
				nul = 1;
			need = (size_t)(e - s) + (n > 0);
			if (toolong || need > r->max - n) {
				toolong = 1;
				continue;
			}
			if (n > 0)
				r->buf[n++] = ' ';
			memcpy(r->buf + n, s, (size_t)(e - s));
			n += (size_t)(e - s);
		} while (cont && r->pos < r->len);

		*lineno = first;
		if (toolong)
			return LICENSE_READ_TOO_LONG;
		if (nul)
			return LICENSE_READ_NUL;
		if (comment || n == 0)
			continue;

		r->buf[n] = '\0';
		*line = r->buf;
		return LICENSE_READ_LINE;
	}

	return LICENSE_READ_EOF;
}

void
license_reader_free(struct license_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

void
license_cursor_init(struct license_cursor *c, char *line, int angle)
{
	c->p = line;
	c->end = line + strlen(line);
	c->angle = angle;
}

int
license_token_next(struct license_cursor *c, struct license_token *tok)
{
	char *r, *w, *gt;
	int inq, ch;

	r = c->p;
	while (r < c->end && lic_is_blank(*r))
		r++;
	if (r >= c->end) {
		c->p = r;
		return 0;
	}

	/* The word is rewritten in place without its quotes: w never
	 * passes r, so nothing unread is overwritten. */
	tok->s = w = r;
	tok->eq = -1;
	tok->quoted = 0;
	inq = 0;
	while (r < c->end) {
		ch = (unsigned char)*r;
		if (!inq && lic_is_blank(ch))
			break;
		r++;
		if (ch == '"') {
			inq = !inq;
			tok->quoted = 1;
			continue;
		}
		if (!inq && c->angle && ch == '<') {
			gt = memchr(r, '>', (size_t)(c->end - r));
			if (gt != NULL) {
				*w++ = (char)ch;
				while (r <= gt)
					*w++ = *r++;
				continue;
			}
		}
		if (!inq && ch == '=' && tok->eq < 0)
			tok->eq = (int)(w - tok->s);
		*w++ = (char)ch;
	}
	if (inq) {
		c->p = c->end;
		return -1;
	}

	/* Step over the blank that ended the word before writing the NUL,
	 * which may land on that blank. */
	if (r < c->end)
		r++;
	*w = '\0';
	tok->len = (size_t)(w - tok->s);
	c->p = r;
	return 1;
}

int
license_read_file(
    const char *path, size_t max, char **text, size_t *len, struct diag *diag)
{
	FILE *fp;
	char *buf;
	size_t n;
	int err;

	*text = NULL;
	*len = 0;

	fp = fopen(path, "rb");
	if (fp == NULL) {
		diag_add(diag, DIAG_ERROR, path, 0, "cannot open: %s",
		    strerror(errno));
		return -1;
	}

	buf = malloc(max + 1);
	if (buf == NULL) {
		fclose(fp);
		diag_add(diag, DIAG_ERROR, path, 0, "out of memory");
		return -1;
	}

	n = fread(buf, 1, max + 1, fp);
	err = ferror(fp) ? errno : 0;
	fclose(fp);
	if (err != 0) {
		free(buf);
		diag_add(diag, DIAG_ERROR, path, 0, "cannot read: %s",
		    strerror(err));
		return -1;
	}
	if (n > max) {
		free(buf);
		diag_add(diag, DIAG_ERROR, path, 0,
		    "file is larger than %zu bytes", max);
		return -1;
	}

	*text = buf;
	*len = n;
	return 0;
}

/*
 * Field checks.
 */

static int
lic_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap days in years 1..y of the proleptic Gregorian calendar. */
static int64_t
lic_leaps_through(int y)
{
	return y / 4 - y / 100 + y / 400;
}

/* Parses a date into the UTC midnight starting it; *never is set for the
 * dates that mean "no limit", whose *out is 0. */
static int
lic_date(const char *s, int64_t *out, int *never)
{
	static const int mdays[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int day, month, year, ndig, i;
	int64_t days;

	*out = 0;
	*never = 0;
	if (strcasecmp(s, "permanent") == 0 || strcmp(s, "0") == 0) {
		*never = 1;
		return 0;
	}

	/* Day: one or two digits. */
	day = ndig = 0;
	while (isdigit((unsigned char)*s) && ndig < 3) {
		day = day * 10 + (*s++ - '0');
		ndig++;
	}
	if (ndig < 1 || ndig > 2 || *s++ != '-')
		return -1;

	/* Month: three letters, any case. */
	month = -1;
	for (i = 0; i < 12; i++) {
		if (strncasecmp(s, lic_months[i], 3) == 0) {
			month = i;
			break;
		}
	}
	if (month < 0 || s[3] != '-')
		return -1;
	s += 4;

	/* Year: four digits, or any run of zeros up to four. */
	year = ndig = 0;
	while (isdigit((unsigned char)*s) && ndig < 5) {
		year = year * 10 + (*s++ - '0');
		ndig++;
	}
	if (*s != '\0' || ndig < 1 || ndig > 4)
		return -1;

	if (day < 1 || day > 31)
		return -1;
	if (year == 0) {
		*never = 1;
		return 0;
	}

	/* Years before 1970 would give negative times, which the core's
	 * "0 means none" convention cannot tell apart reliably. */
	if (ndig != 4 || year < 1970)
		return -1;
	if (day > mdays[month] + (month == 1 && lic_is_leap(year)))
		return -1;

	days = (int64_t)(year - 1970) * 365 + lic_leaps_through(year - 1) -
	    lic_leaps_through(1969) + lic_month_start[month] +
	    (month > 1 && lic_is_leap(year)) + (day - 1);
	*out = days * LIC_MS_PER_DAY;
	return 0;
}

int
license_parse_date(const char *s, int64_t *out)
{
	int never;

	if (s == NULL || out == NULL)
		return -1;
	return lic_date(s, out, &never);
}

static int
lic_check_name(const char *s)
{
	size_t n;

	n = strlen(s);
	if (n == 0 || n >= CORE_NAME_MAX)
		return -1;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' &&
		    *s != '-')
			return -1;
	}
	return 0;
}

static int
lic_check_version(const char *s)
{
	const char *p;
	int dots;

	if (strlen(s) >= CORE_VERSION_MAX)
		return -1;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	dots = 0;
	for (p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (++dots > 1 || !isdigit((unsigned char)p[1]))
				return -1;
		} else if (!isdigit((unsigned char)*p))
			return -1;
	}
	return 0;
}

int
license_number(const char *s, long max, long *out)
{
	long v;

	if (*s == '\0')
		return -1;
	v = 0;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * Diagnostics.
 */

static void
lic_msg(struct lic_state *st, enum diag_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(st->diag, level, st->path, st->lineno, fmt, ap);
	va_end(ap);
}

static void
lic_notice_once(struct lic_state *st, unsigned int bit, const char *what)
{
	if (st->noticed & bit)
		return;
	st->noticed |= bit;
	lic_msg(st, DIAG_NOTICE, "%s is parsed but not yet honoured", what);
}

/* Returns positional field i, or NULL after saying what was expected. */
static const char *
lic_field(struct lic_state *st, const struct license_token *tok, size_t ntok,
    size_t i, const char *what)
{
	if (i < ntok && tok[i].eq < 0)
		return tok[i].s;
	if (i < ntok)
		lic_msg(st, DIAG_ERROR,
		    "expected %s in field %zu of %s, got \"%.40s\"", what, i,
		    tok[0].s, tok[i].s);
	else
		lic_msg(st, DIAG_ERROR, "expected %s in field %zu of %s", what,
		    i, tok[0].s);
	return NULL;
}

/* Checks that positional fields 1..n are there, naming the first that is
 * missing; -1 then. */
static int
lic_need(struct lic_state *st, const struct license_token *tok, size_t ntok,
    const char *const *what, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (lic_field(st, tok, ntok, i + 1, what[i]) == NULL)
			return -1;
	}
	return 0;
}

/*
 * FEATURE, INCREMENT, UPGRADE and PACKAGE.
 */

static void
lic_line_clear(struct core_line *ln)
{
	size_t i;

	for (i = 0; i < ln->nattrs; i++)
		free(ln->attrs[i].value);
	memset(ln, 0, sizeof(*ln));
}

/* Returns a zeroed slot after the last line, not yet counted. */
static struct core_line *
lic_line_slot(struct lic_state *st)
{
	struct core_license_file *out = st->out;
	struct core_line *grown;
	size_t cap;

	if (out->nlines >= LICENSE_LINES_MAX) {
		if (!st->lines_full)
			lic_msg(st, DIAG_ERROR,
			    "more than %d FEATURE, INCREMENT, UPGRADE and "
			    "PACKAGE lines",
			    LICENSE_LINES_MAX);
		st->lines_full = 1;
		return NULL;
	}
	if (out->nlines == st->linecap) {
		cap = st->linecap ? st->linecap * 2 : 8;
		if (cap > LICENSE_LINES_MAX)
			cap = LICENSE_LINES_MAX;
		grown = realloc(out->lines, cap * sizeof(*grown));
		if (grown == NULL) {
			lic_msg(st, DIAG_ERROR, "out of memory");
			return NULL;
		}
		out->lines = grown;
		st->linecap = cap;
	}

	memset(&out->lines[out->nlines], 0, sizeof(out->lines[0]));
	return &out->lines[out->nlines];
}

/* Checks and stores the keyword attributes tok[from..ntok).  Returns -1
 * when any is bad; the good ones are stored either way. */
static int
lic_attrs(struct lic_state *st, struct core_line *ln, struct license_token *tok,
    size_t ntok, size_t from)
{
	struct core_attr *a;
	const char *value;
	int64_t when;
	size_t i, j, klen;
	int bad, never;

	if (ntok > from && ntok - from > CORE_LINE_ATTRS_MAX) {
		lic_msg(st, DIAG_ERROR, "more than %d attributes on one line",
		    CORE_LINE_ATTRS_MAX);
		return -1;
	}

	bad = 0;
	for (i = from; i < ntok; i++) {
		klen = tok[i].eq >= 0 ? (size_t)tok[i].eq : tok[i].len;
		if (klen == 0) {
			lic_msg(st, DIAG_ERROR,
			    "expected KEYWORD=value, got \"%.40s\"", tok[i].s);
			bad = 1;
			continue;
		}
		if (klen >= CORE_KEY_MAX) {
			lic_msg(st, DIAG_ERROR,
			    "expected an attribute keyword of at most %d bytes",
			    CORE_KEY_MAX - 1);
			bad = 1;
			continue;
		}
		for (j = 0; j < klen; j++) {
			if (!isalnum((unsigned char)tok[i].s[j]) &&
			    tok[i].s[j] != '_')
				break;
		}
		if (j < klen) {
			lic_msg(st, DIAG_ERROR,
			    "expected an attribute keyword of letters, digits "
			    "and '_', got \"%.*s\"",
			    (int)klen, tok[i].s);
			bad = 1;
			continue;
		}

		a = &ln->attrs[ln->nattrs];
		for (j = 0; j < klen; j++)
			a->key[j] = (char)toupper((unsigned char)tok[i].s[j]);
		a->key[klen] = '\0';
		value = tok[i].eq >= 0 ? tok[i].s + tok[i].eq + 1 : "";

		if (license_attr(ln, a->key) != NULL) {
			lic_msg(st, DIAG_WARNING,
			    "%s is given twice; the first is used", a->key);
		}
		if (strcmp(a->key, "START") == 0) {
			if (lic_date(value, &when, &never) == -1) {
				lic_msg(st, DIAG_ERROR,
				    "expected START=dd-mmm-yyyy, got \"%.40s\"",
				    value);
				bad = 1;
				continue;
			}
			if (ln->start == 0)
				ln->start = when;
		}
		for (j = 0; j < LIC_NLATER; j++) {
			if (strcmp(a->key, lic_later_attrs[j]) == 0)
				lic_notice_once(st, 1u << j, a->key);
		}

		a->value = strdup(value);
		if (a->value == NULL) {
			lic_msg(st, DIAG_ERROR, "out of memory");
			bad = 1;
			continue;
		}
		ln->nattrs++;
	}

	return bad ? -1 : 0;
}

static int
lic_set_expiry(struct lic_state *st, struct core_line *ln, const char *s)
{
	int64_t day;
	int never;

	if (lic_date(s, &day, &never) == -1) {
		lic_msg(st, DIAG_ERROR,
		    "expected an expiry date dd-mmm-yyyy (or permanent, 0, "
		    "year 0), got \"%.40s\"",
		    s);
		return -1;
	}
	/* The licence still grants on its expiry day. */
	ln->expiry = never ? 0 : day + LIC_MS_PER_DAY;
	return 0;
}

static int
lic_set_count(struct lic_state *st, struct core_line *ln, const char *s)
{
	long v;

	if (strcasecmp(s, "uncounted") == 0) {
		ln->uncounted = 1;
		return 0;
	}
	if (license_number(s, LIC_COUNT_MAX, &v) == -1) {
		lic_msg(st, DIAG_ERROR,
		    "expected a count (a whole number up to %d, or uncounted), "
		    "got \"%.40s\"",
		    LIC_COUNT_MAX, s);
		return -1;
	}
	ln->count = (int)v;
	ln->uncounted = v == 0;
	return 0;
}

static int
lic_set_version(struct lic_state *st, char *dst, const char *s)
{
	if (lic_check_version(s) == -1) {
		lic_msg(st, DIAG_ERROR,
		    "expected a version (digits with at most one dot, at most "
		    "%d bytes), got \"%.40s\"",
		    CORE_VERSION_MAX - 1, s);
		return -1;
	}
	lic_copy(dst, CORE_VERSION_MAX, s);
	return 0;
}

static int
lic_set_name(struct lic_state *st, char *dst, const char *s, const char *what)
{
	if (lic_check_name(s) == -1) {
		lic_msg(st, DIAG_ERROR,
		    "expected a %s name of 1 to %d letters, digits, '_', '.' "
		    "or '-', got \"%.40s\"",
		    what, CORE_NAME_MAX - 1, s);
		return -1;
	}
	lic_copy(dst, CORE_NAME_MAX, s);
	return 0;
}

static int
lic_set_key(struct lic_state *st, struct core_line *ln, const char *s)
{
	if (lic_copy(ln->key, sizeof(ln->key), s) == -1) {
		lic_msg(st, DIAG_ERROR,
		    "expected a licence key of at most %zu bytes",
		    sizeof(ln->key) - 1);
		return -1;
	}
	return 0;
}

/* FEATURE and INCREMENT: name vendor version expiry count [key] attrs;
 * UPGRADE: name vendor from_version version expiry count [key] attrs.  The
 * key may be left out when SIGN= carries the signature. */
static void
lic_parse_feature(struct lic_state *st, enum core_line_type type,
    struct license_token *tok, size_t ntok)
{
	static const char *const fields[] = {"a feature name", "a vendor name",
	    "a version", "an expiry date", "a count"};
	static const char *const upgrade[] = {"a feature name", "a vendor name",
	    "the version upgraded from", "a version", "an expiry date",
	    "a count"};
	struct core_line *ln;
	size_t i;
	int bad;

	ln = lic_line_slot(st);
	if (ln == NULL)
		return;
	ln->type = type;
	lic_copy(ln->file, sizeof(ln->file), st->path);
	ln->lineno = st->lineno;
	bad = 0;

	if (type == CORE_LINE_UPGRADE) {
		if (lic_need(st, tok, ntok, upgrade, 6) == -1)
			goto drop;
	} else if (lic_need(st, tok, ntok, fields, 5) == -1)
		goto drop;

	bad |= lic_set_name(st, ln->feature, tok[1].s, "feature");
	bad |= lic_set_name(st, ln->vendor, tok[2].s, "vendor");
	i = 3;
	if (type == CORE_LINE_UPGRADE)
		bad |= lic_set_version(st, ln->from_version, tok[i++].s);
	bad |= lic_set_version(st, ln->version, tok[i++].s);
	bad |= lic_set_expiry(st, ln, tok[i++].s);
	bad |= lic_set_count(st, ln, tok[i++].s);

	/* XXX: the sixth field is taken as the key whenever it has no '=',
	 * so a bare flag written there (TS_OK) with the key left out for
	 * SIGN= would be read as the key. */
	if (i < ntok && tok[i].eq < 0)
		bad |= lic_set_key(st, ln, tok[i++].s);

	bad |= lic_attrs(st, ln, tok, ntok, i);
	if (ln->key[0] == '\0' && license_attr(ln, "SIGN") == NULL) {
		lic_msg(st, DIAG_ERROR,
		    "expected a licence key or a SIGN= attribute");
		bad = 1;
	}
	if (bad)
		goto drop;

	st->out->nlines++;
	return;

drop:
	lic_line_clear(ln);
}

/* PACKAGE name vendor [version] [key] COMPONENTS="..." attrs.  It grants
 * nothing itself (count 0): the core serves its components through the
 * FEATURE or INCREMENT line named like the package. */
static void
lic_parse_package(struct lic_state *st, struct license_token *tok, size_t ntok)
{
	static const char *const fields[] = {"a package name", "a vendor name"};
	struct core_line *ln;
	size_t i, npos;
	int bad;

	ln = lic_line_slot(st);
	if (ln == NULL)
		return;
	ln->type = CORE_LINE_PACKAGE;
	lic_copy(ln->file, sizeof(ln->file), st->path);
	ln->lineno = st->lineno;
	bad = 0;

	if (lic_need(st, tok, ntok, fields, 2) == -1)
		goto drop;
	bad |= lic_set_name(st, ln->feature, tok[1].s, "package");
	bad |= lic_set_name(st, ln->vendor, tok[2].s, "vendor");

	for (npos = 0, i = 3; i < ntok && i < 5 && tok[i].eq < 0; i++)
		npos++;
	bad |= lic_attrs(st, ln, tok, ntok, 3 + npos);

	/* With one positional field it is the key, unless SIGN= holds the
	 * signature and the field reads as a version. */
	if (npos == 2) {
		bad |= lic_set_version(st, ln->version, tok[3].s);
		bad |= lic_set_key(st, ln, tok[4].s);
	} else if (npos == 1 && license_attr(ln, "SIGN") != NULL &&
	    lic_check_version(tok[3].s) == 0) {
		bad |= lic_set_version(st, ln->version, tok[3].s);
	} else if (npos == 1) {
		bad |= lic_set_key(st, ln, tok[3].s);
	}
	if (license_attr(ln, "COMPONENTS") == NULL) {
		lic_msg(st, DIAG_ERROR,
		    "expected a COMPONENTS= attribute on a PACKAGE line");
		bad = 1;
	}
	if (bad)
		goto drop;

	st->out->nlines++;
	return;

drop:
	lic_line_clear(ln);
}

static int
lic_port(struct lic_state *st, const char *s, int *port)
{
	long v;

	if (license_number(s, 65535, &v) == -1 || v == 0) {
		lic_msg(st, DIAG_ERROR,
		    "expected a port from 1 to 65535, got \"%.40s\"", s);
		return -1;
	}
	*port = (int)v;
	return 0;
}

/* SERVER host hostid [port] [PRIMARY_IS_MASTER] [HEARTBEAT_INTERVAL=s] */
static void
lic_parse_server(struct lic_state *st, struct license_token *tok, size_t ntok)
{
	struct core_server sv;
	const char *f;
	size_t i;
	int bad;

	memset(&sv, 0, sizeof(sv));
	bad = 0;

	if (lic_field(st, tok, ntok, 1, "a host name") == NULL)
		return;
	if (lic_copy(sv.host, sizeof(sv.host), tok[1].s) == -1) {
		lic_msg(st, DIAG_ERROR,
		    "expected a host name of at most %zu bytes",
		    sizeof(sv.host) - 1);
		bad = 1;
	}
	/* Host ids often hold '=' themselves: ID=123, INTERNET=10.0.0.1. */
	if (ntok < 3) {
		lic_msg(st, DIAG_ERROR, "expected a host id in field 2 of %s",
		    tok[0].s);
		return;
	}
	f = tok[2].s;
	if (lic_copy(sv.hostid, sizeof(sv.hostid), f) == -1) {
		lic_msg(st, DIAG_ERROR,
		    "expected a host id of at most %zu bytes",
		    sizeof(sv.hostid) - 1);
		bad = 1;
	}

	i = 3;
	if (i < ntok && tok[i].eq < 0 && isdigit((unsigned char)tok[i].s[0]))
		bad |= lic_port(st, tok[i++].s, &sv.port);
	for (; i < ntok; i++) {
		if (strcasecmp(tok[i].s, "PRIMARY_IS_MASTER") == 0 ||
		    (tok[i].eq == 18 &&
			strncasecmp(tok[i].s, "HEARTBEAT_INTERVAL", 18) == 0)) {
			lic_notice_once(st, LIC_NOTE_SERVER, tok[i].s);
			continue;
		}
		lic_msg(st, DIAG_ERROR,
		    "expected SERVER host hostid [port], got \"%.40s\" after "
		    "them",
		    tok[i].s);
		bad = 1;
	}

	if (st->out->nservers >= CORE_SERVERS_MAX) {
		lic_msg(st, DIAG_ERROR, "expected at most %d SERVER lines",
		    CORE_SERVERS_MAX);
		bad = 1;
	}
	if (bad)
		return;
	st->out->servers[st->out->nservers++] = sv;
}

/* VENDOR|DAEMON name [path] [[OPTIONS=]options] [[PORT=]port] */
static void
lic_parse_vendor(struct lic_state *st, struct license_token *tok, size_t ntok)
{
	struct core_license_file *out = st->out;
	struct core_vendor vd, *grown;
	const char *val;
	size_t i, npos, cap;
	int bad;

	memset(&vd, 0, sizeof(vd));
	if (lic_field(st, tok, ntok, 1, "a vendor name") == NULL)
		return;
	bad = lic_set_name(st, vd.name, tok[1].s, "vendor");

	npos = 0;
	for (i = 2; i < ntok; i++) {
		if (tok[i].eq >= 0) {
			val = tok[i].s + tok[i].eq + 1;
			if (tok[i].eq == 7 &&
			    strncasecmp(tok[i].s, "OPTIONS", 7) == 0) {
				if (lic_copy(vd.options, sizeof(vd.options),
					val) == -1) {
					lic_msg(st, DIAG_ERROR,
					    "options path longer than %zu "
					    "bytes",
					    sizeof(vd.options) - 1);
					bad = 1;
				}
			} else if (tok[i].eq == 4 &&
			    strncasecmp(tok[i].s, "PORT", 4) == 0) {
				bad |= lic_port(st, val, &vd.port);
			} else {
				lic_msg(st, DIAG_ERROR,
				    "expected OPTIONS= or PORT= on a %s line, "
				    "got \"%.40s\"",
				    tok[0].s, tok[i].s);
				bad = 1;
			}
			continue;
		}

		switch (npos++) {
		case 0:
			if (lic_copy(vd.path, sizeof(vd.path), tok[i].s) ==
			    -1) {
				lic_msg(st, DIAG_ERROR,
				    "vendor daemon path longer than %zu bytes",
				    sizeof(vd.path) - 1);
				bad = 1;
			}
			break;
		case 1:
			if (lic_copy(vd.options, sizeof(vd.options),
				tok[i].s) == -1) {
				lic_msg(st, DIAG_ERROR,
				    "options path longer than %zu bytes",
				    sizeof(vd.options) - 1);
				bad = 1;
			}
			break;
		case 2:
			bad |= lic_port(st, tok[i].s, &vd.port);
			break;
		default:
			lic_msg(st, DIAG_ERROR,
			    "expected %s name [path] [options] [port], got "
			    "\"%.40s\" after them",
			    tok[0].s, tok[i].s);
			bad = 1;
			break;
		}
	}
	if (bad)
		return;

	for (i = 0; i < out->nvendors; i++) {
		if (strcmp(out->vendors[i].name, vd.name) == 0) {
			lic_msg(st, DIAG_WARNING,
			    "vendor %s is declared again; the first "
			    "declaration is used",
			    vd.name);
			return;
		}
	}
	if (out->nvendors >= LICENSE_VENDORS_MAX) {
		if (!st->vendors_full)
			lic_msg(st, DIAG_ERROR,
			    "expected at most %d VENDOR lines",
			    LICENSE_VENDORS_MAX);
		st->vendors_full = 1;
		return;
	}
	if (out->nvendors == st->vendorcap) {
		cap = st->vendorcap ? st->vendorcap * 2 : 4;
		grown = realloc(out->vendors, cap * sizeof(*grown));
		if (grown == NULL) {
			lic_msg(st, DIAG_ERROR, "out of memory");
			return;
		}
		out->vendors = grown;
		st->vendorcap = cap;
	}
	out->vendors[out->nvendors++] = vd;
}

static void
lic_parse_line(struct lic_state *st, char *line)
{
	struct license_token tok[LIC_TOKENS_MAX], t;
	struct license_cursor cur;
	size_t ntok;
	const char *kw;
	int rc;

	license_cursor_init(&cur, line, 0);
	ntok = 0;
	for (;;) {
		rc = license_token_next(&cur, &t);
		if (rc != 1)
			break;
		if (ntok < LIC_TOKENS_MAX)
			tok[ntok] = t;
		ntok++;
	}
	if (rc == -1) {
		lic_msg(st, DIAG_ERROR, "expected a closing '\"'");
		return;
	}
	if (ntok == 0)
		return;
	if (ntok > LIC_TOKENS_MAX) {
		lic_msg(st, DIAG_ERROR,
		    "expected at most %d attributes on one line",
		    CORE_LINE_ATTRS_MAX);
		return;
	}

	kw = tok[0].s;
	if (strcasecmp(kw, "FEATURE") == 0)
		lic_parse_feature(st, CORE_LINE_FEATURE, tok, ntok);
	else if (strcasecmp(kw, "INCREMENT") == 0)
		lic_parse_feature(st, CORE_LINE_INCREMENT, tok, ntok);
	else if (strcasecmp(kw, "UPGRADE") == 0)
		lic_parse_feature(st, CORE_LINE_UPGRADE, tok, ntok);
	else if (strcasecmp(kw, "PACKAGE") == 0)
		lic_parse_package(st, tok, ntok);
	else if (strcasecmp(kw, "SERVER") == 0)
		lic_parse_server(st, tok, ntok);
	else if (strcasecmp(kw, "VENDOR") == 0 || strcasecmp(kw, "DAEMON") == 0)
		lic_parse_vendor(st, tok, ntok);
	else if (strcasecmp(kw, "USE_SERVER") == 0) {
		if (ntok > 1)
			lic_msg(st, DIAG_ERROR,
			    "expected nothing after USE_SERVER, got \"%.40s\"",
			    tok[1].s);
		else
			st->out->use_server = 1;
	} else
		lic_msg(st, DIAG_ERROR,
		    "expected SERVER, VENDOR, DAEMON, USE_SERVER, FEATURE, "
		    "INCREMENT, UPGRADE or PACKAGE, got \"%.40s\"",
		    kw);
}

static void
lic_parse_one(void *arg, char *line)
{
	lic_parse_line(arg, line);
}

int
license_parse(const char *path, const char *text, size_t len,
    struct core_license_file *out, struct diag *diag)
{
	struct lic_state st;
	size_t errors;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	st.path = path != NULL ? path : "-";
	st.out = out;
	st.diag = diag;
	lic_copy(out->path, sizeof(out->path), st.path);
	errors = diag->errors;

	if (len > LICENSE_FILE_MAX) {
		lic_msg(&st, DIAG_ERROR, "file is larger than %d bytes",
		    LICENSE_FILE_MAX);
		return -1;
	}

	license_read_lines(st.path, text, len, LICENSE_LINE_MAX, &st.lineno,
	    diag, lic_parse_one, &st);
	return diag->errors > errors ? -1 : 0;
}

int
license_read_lines(const char *path, const char *text, size_t len, size_t max,
    int *lineno, struct diag *diag, void (*fn)(void *arg, char *line),
    void *arg)
{
	struct license_reader rd;
	enum license_read rc;
	char *line;
	int ret = 0;

	license_reader_init(&rd, text, len, max);
	for (;;) {
		rc = license_reader_next(&rd, &line, lineno);
		if (rc == LICENSE_READ_EOF)
			break;
		if (rc == LICENSE_READ_LINE) {
			fn(arg, line);
		} else if (rc == LICENSE_READ_TOO_LONG) {
			diag_add(diag, DIAG_ERROR, path, *lineno,
			    "line is longer than %zu bytes with its "
			    "continuations",
			    max);
		} else if (rc == LICENSE_READ_NUL) {
			diag_add(diag, DIAG_ERROR, path, *lineno,
			    "line holds a NUL byte");
		} else {
			diag_add(
			    diag, DIAG_ERROR, path, *lineno, "out of memory");
			ret = -1;
			break;
		}
	}
	license_reader_free(&rd);
	return ret;
}

int
license_load_with(const char *path, size_t max,
    int (*parse)(const char *path, const char *text, size_t len, void *out,
	struct diag *),
    void *out, struct diag *diag)
{
	char *text;
	size_t len;
	int rc;

	rc = license_read_file(path, max, &text, &len, diag);
	if (parse(path, rc == 0 ? text : "", rc == 0 ? len : 0, out, diag) ==
	    -1)
		rc = -1;
	free(text);
	return rc;
}

static int
lic_parse_any(const char *path, const char *text, size_t len, void *out,
    struct diag *diag)
{
	return license_parse(path, text, len, out, diag);
}

int
license_load(const char *path, struct core_license_file *out, struct diag *diag)
{
	return license_load_with(
	    path, LICENSE_FILE_MAX, lic_parse_any, out, diag);
}

void
license_free(struct core_license_file *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nlines; i++)
		lic_line_clear(&f->lines[i]);
	free(f->lines);
	free(f->vendors);
	memset(f, 0, sizeof(*f));
}

const char *
license_attr(const struct core_line *ln, const char *key)
{
	size_t i;

	if (ln == NULL || key == NULL)
		return NULL;
	for (i = 0; i < ln->nattrs; i++) {
		if (strcasecmp(ln->attrs[i].key, key) == 0)
			return ln->attrs[i].value;
	}
	return NULL;
}
