/*
 * The units file parser (units.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "license.h"
#include "units.h"

static int
code_char(unsigned char ch)
{
	return isalnum(ch) || ch == '.' || ch == '_' || ch == '-';
}

/* Takes one space-separated word from *p (at most cap - 1 bytes) into
 * out.  Returns its length, 0 when there is none, -1 when too long. */
static int
word(const char **p, const char *end, char *out, size_t cap)
{
	const char *s = *p;
	size_t n = 0;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (s + n < end && s[n] != ' ' && s[n] != '\t')
		n++;
	*p = s + n;
	if (n >= cap)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return (int)n;
}

static int
units_line(const char *path, int lineno, const char *s, const char *end,
    struct units *out, size_t *cap, struct diag *diag)
{
	struct unit_entry e, *v;
	const unsigned char *q;
	size_t n;
	int len;

	memset(&e, 0, sizeof(e));
	e.lineno = lineno;
	for (q = (const unsigned char *)s; q < (const unsigned char *)end; q++)
		if ((*q < 0x20 && *q != '\t') || *q == 0x7f) {
			diag_add(diag, DIAG_ERROR, path, lineno,
			    "control character in the line");
			return -1;
		}

	len = word(&s, end, e.code, sizeof(e.code));
	if (len < 0) {
		diag_add(diag, DIAG_ERROR, path, lineno,
		    "unit code over %d characters", UNITS_CODE_MAX - 1);
		return -1;
	}
	for (n = 0; e.code[n] != '\0'; n++)
		if (!code_char((unsigned char)e.code[n])) {
			diag_add(diag, DIAG_ERROR, path, lineno,
			    "unit code \"%s\": only letters, digits, '.', "
			    "'_' and '-'",
			    e.code);
			return -1;
		}

	len = word(&s, end, e.cost_centre, sizeof(e.cost_centre));
	if (len <= 0) {
		diag_add(diag, DIAG_ERROR, path, lineno,
		    len < 0 ? "cost centre over %d characters"
			    : "expected CODE COST-CENTRE NAME",
		    UNITS_CODE_MAX - 1);
		return -1;
	}

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end - s >= 2 && s[0] == '"' && end[-1] == '"') {
		s++;
		end--;
	}
	if (end <= s) {
		diag_add(diag, DIAG_ERROR, path, lineno,
		    "unit %s: no display name", e.code);
		return -1;
	}
	if ((size_t)(end - s) >= sizeof(e.name)) {
		diag_add(diag, DIAG_ERROR, path, lineno,
		    "unit %s: display name over %d characters", e.code,
		    UNITS_NAME_MAX - 1);
		return -1;
	}
	memcpy(e.name, s, (size_t)(end - s));

	if (units_find(out, e.code) != NULL) {
		diag_add(diag, DIAG_ERROR, path, lineno,
		    "unit %s listed twice (first on line %d)", e.code,
		    units_find(out, e.code)->lineno);
		return -1;
	}
	if (out->n == UNITS_MAX) {
		diag_add(diag, DIAG_ERROR, path, lineno, "more than %d units",
		    UNITS_MAX);
		return -1;
	}
	if (out->n == *cap) {
		n = *cap ? *cap * 2 : 16;
		v = realloc(out->v, n * sizeof(*v));
		if (v == NULL) {
			diag_add(
			    diag, DIAG_ERROR, path, lineno, "out of memory");
			return -1;
		}
		out->v = v;
		*cap = n;
	}
	out->v[out->n++] = e;
	return 0;
}

int
units_parse(const char *path, const char *text, size_t len, struct units *out,
    struct diag *diag)
{
	const char *p = text, *end = text + len, *eol, *s;
	size_t errors = diag->errors, cap = 0;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	if (len > UNITS_FILE_MAX) {
		diag_add(
		    diag, DIAG_ERROR, path, 0, "over %d bytes", UNITS_FILE_MAX);
		return -1;
	}
	while (p < end) {
		lineno++;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		s = p;
		p = eol < end ? eol + 1 : end;
		if (eol > s && eol[-1] == '\r')
			eol--;
		if ((size_t)(eol - s) >= UNITS_LINE_MAX) {
			diag_add(diag, DIAG_ERROR, path, lineno,
			    "line over %d bytes", UNITS_LINE_MAX - 1);
			continue;
		}
		while (s < eol && (*s == ' ' || *s == '\t'))
			s++;
		if (s == eol || *s == '#')
			continue;
		units_line(path, lineno, s, eol, out, &cap, diag);
	}
	return diag->errors > errors ? -1 : 0;
}

int
units_load(const char *path, struct units *out, struct diag *diag)
{
	char *text;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (license_read_file(path, UNITS_FILE_MAX, &text, &len, diag) == -1)
		return -1;
	rc = units_parse(path, text, len, out, diag);
	free(text);
	return rc;
}

void
units_free(struct units *u)
{
	if (u == NULL)
		return;
	free(u->v);
	memset(u, 0, sizeof(*u));
}

const struct unit_entry *
units_find(const struct units *u, const char *code)
{
	size_t i;

	/* XXX: a linear scan; unit files hold hundreds of units and are
	 * searched at load and for reports, not per request. */
	for (i = 0; i < u->n; i++)
		if (strcasecmp(u->v[i].code, code) == 0)
			return &u->v[i];
	return NULL;
}
