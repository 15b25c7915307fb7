/*
 * Directory values and search filters (ident_values.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ident_values.h"

int
ident_filter_escape(const char *value, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *v = (const unsigned char *)value;
	size_t i, n = 0;

	if (cap == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] == '*' || v[i] == '(' || v[i] == ')' || v[i] == '\\' ||
		    v[i] < 0x20 || v[i] >= 0x7f) {
			if (n + 3 >= cap)
				return -1;
			out[n++] = '\\';
			out[n++] = hex[v[i] >> 4];
			out[n++] = hex[v[i] & 0xf];
			continue;
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = (char)v[i];
	}
	out[n] = '\0';
	return (int)n;
}

int
ident_filter_build(const char *tmpl, const char *user, char *out, size_t cap)
{
	const char *pct = strstr(tmpl, "%s");
	char esc[512];
	int n;

	if (pct == NULL ||
	    ident_filter_escape(user, strlen(user), esc, sizeof(esc)) < 0)
		return -1;
	n = snprintf(
	    out, cap, "%.*s%s%s", (int)(pct - tmpl), tmpl, esc, pct + 2);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
code_char(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '-';
}

int
ident_unit_code(const char *value, size_t len, char *out, size_t cap)
{
	const unsigned char *v = (const unsigned char *)value;
	const unsigned char *eq = memchr(value, '=', len);
	size_t i, n = 0;
	int hi, lo;

	if (cap == 0)
		return -1;
	i = eq != NULL ? (size_t)(eq - v) + 1 : 0;
	while (eq != NULL && i < len && v[i] == ' ')
		i++;
	for (; i < len; i++) {
		if (eq != NULL && (v[i] == ',' || v[i] == '+'))
			break;
		if (eq != NULL && v[i] == '\\' && i + 1 < len) {
			/* \XX or \c, as RFC 4514 writes special bytes */
			hi = hexval(v[i + 1]);
			lo = i + 2 < len ? hexval(v[i + 2]) : -1;
			if (hi >= 0 && lo >= 0) {
				if (n + 1 >= cap ||
				    !code_char((unsigned char)(hi * 16 + lo)))
					return -1;
				out[n++] = (char)(hi * 16 + lo);
				i += 2;
				continue;
			}
			i++;
		}
		if (!code_char(v[i]) || n + 1 >= cap)
			return -1;
		out[n++] = (char)v[i];
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

int
ident_status(const char *value, size_t len, char *out, size_t cap)
{
	const char *at = memchr(value, '@', len);
	size_t i, n;

	n = at != NULL ? (size_t)(at - value) : len;
	if (n == 0 || n >= cap)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isgraph((unsigned char)value[i]))
			return -1;
		out[i] = (char)tolower((unsigned char)value[i]);
	}
	out[n] = '\0';
	return 0;
}

/* n decimal digits at s into *v. */
static int
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
ident_time(const char *value, size_t len, int64_t *ms)
{
	char buf[40];
	struct tm tm;
	int y, mo, d, h = 23, mi = 59, s = 59, oh = 0, om = 0, sign = 0;
	int date_only;
	size_t p;
	time_t t;

	if (len < 8 || len >= sizeof(buf))
		return -1;
	memcpy(buf, value, len);
	buf[len] = '\0';
	if (len == 10 && buf[4] == '-' && buf[7] == '-') {
		memmove(buf + 4, buf + 5, 2);
		memmove(buf + 6, buf + 8, 3);
		len = 8;
	}
	if (digits(buf, 4, &y) == -1 || digits(buf + 4, 2, &mo) == -1 ||
	    digits(buf + 6, 2, &d) == -1)
		return -1;
	date_only = len == 8;
	p = 8;
	if (!date_only) {
		if (len < 11 || digits(buf + 8, 2, &h) == -1)
			return -1;
		p = 10;
		mi = s = 0;
		if (p + 2 <= len && isdigit((unsigned char)buf[p])) {
			if (digits(buf + p, 2, &mi) == -1)
				return -1;
			p += 2;
			if (p + 2 <= len && isdigit((unsigned char)buf[p])) {
				if (digits(buf + p, 2, &s) == -1)
					return -1;
				p += 2;
			}
		}
		if (p < len && (buf[p] == '.' || buf[p] == ',')) {
			p++;
			while (p < len && isdigit((unsigned char)buf[p]))
				p++;
		}
		/* RFC 4517: the time zone is not optional. */
		if (p == len - 1 && buf[p] == 'Z')
			p++;
		else if (p + 5 != len || (buf[p] != '+' && buf[p] != '-'))
			return -1;
		else {
			sign = buf[p] == '+' ? 1 : -1;
			if (digits(buf + p + 1, 2, &oh) == -1 ||
			    digits(buf + p + 3, 2, &om) == -1 || oh > 23 ||
			    om > 59)
				return -1;
			p += 5;
		}
		if (p != len)
			return -1;
	}
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || s > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	if (sign != 0)
		t -= sign * (oh * 3600 + om * 60);
	*ms = (int64_t)t * 1000 + (date_only ? 999 : 0);
	return 0;
}
