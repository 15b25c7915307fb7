/*
 * FlexLM options files.  Lines come from the text layer in license.c (the
 * same continuation, comment and quoting rules); each keyword is checked
 * against a small shape string that says what its words must be, so the
 * keywords licd honours and those it only recognises share one checker.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "license.h"
#include "options.h"

/* Longest GROUP or HOST_GROUP member: a fully qualified host name. */
#define OPT_MEMBER_MAX 256

/* Counts and seconds above this are refused (a year of seconds is about
 * 3.2e7, and no site has a billion seats). */
#define OPT_NUMBER_MAX 1000000000L

/* Words kept per rule line; the longest shape is four words. */
#define OPT_TOKENS_MAX 8

enum opt_action {
	OPT_A_GROUP,
	OPT_A_HOST_GROUP,
	OPT_A_RULE,
	OPT_A_CASE,
	OPT_A_DEBUGLOG, /* kept in core_options for the daemon */
	OPT_A_NOLOG,
	OPT_A_REPORTLOG, /* accepted; the journal takes its place */
	OPT_A_LATER, /* known, not honoured yet: checked, then dropped */
};

/*
 * What each keyword's words must be, one letter per word:
 *   c  a count, a whole number >= 1
 *   s  seconds, a whole number >= 0
 *   z  a whole number >= 0
 *   f  a feature, with an optional qualifier ("f key=v" or f:key=v)
 *   t  a type: USER, HOST, DISPLAY, GROUP, HOST_GROUP, INTERNET, PROJECT
 *   n  a name of that type; words after it are ignored with a warning
 *   w  any one word
 *   o  ON or OFF
 *   +  one or more further words
 *   *  any further words
 */
/* XXX: DEFAULT and TIMEZONE are only checked for their number of words;
 * a malformed one passes with its notice until they are honoured. */
struct opt_keyword {
	const char *name;
	enum opt_action action;
	enum core_opt_kind kind;
	const char *shape;
	const char *usage;
};

static const struct opt_keyword opt_keywords[] = {
    {"GROUP", OPT_A_GROUP, 0, "w+", "GROUP name user ..."},
    {"HOST_GROUP", OPT_A_HOST_GROUP, 0, "w+", "HOST_GROUP name host ..."},
    {"INCLUDE", OPT_A_RULE, CORE_OPT_INCLUDE, "ftn",
	"INCLUDE feature type name"},
    {"INCLUDEALL", OPT_A_RULE, CORE_OPT_INCLUDEALL, "tn",
	"INCLUDEALL type name"},
    {"EXCLUDE", OPT_A_RULE, CORE_OPT_EXCLUDE, "ftn",
	"EXCLUDE feature type name"},
    {"EXCLUDEALL", OPT_A_RULE, CORE_OPT_EXCLUDEALL, "tn",
	"EXCLUDEALL type name"},
    {"RESERVE", OPT_A_RULE, CORE_OPT_RESERVE, "cftn",
	"RESERVE count feature type name"},
    {"MAX", OPT_A_RULE, CORE_OPT_MAX, "cftn", "MAX count feature type name"},
    {"TIMEOUT", OPT_A_RULE, CORE_OPT_TIMEOUT, "fs", "TIMEOUT feature seconds"},
    {"TIMEOUTALL", OPT_A_RULE, CORE_OPT_TIMEOUTALL, "s", "TIMEOUTALL seconds"},
    {"LINGER", OPT_A_RULE, CORE_OPT_LINGER, "fs", "LINGER feature seconds"},
    {"GROUPCASEINSENSITIVE", OPT_A_CASE, 0, "o", "GROUPCASEINSENSITIVE ON|OFF"},
    {"MAX_OVERDRAFT", OPT_A_RULE, CORE_OPT_MAX_OVERDRAFT, "fz",
	"MAX_OVERDRAFT feature count"},

    {"ACTIVATION_EXPIRY_DAYS", OPT_A_LATER, 0, "wz",
	"ACTIVATION_EXPIRY_DAYS entitlement days"},
    {"ACTIVATION_LOWWATER", OPT_A_LATER, 0, "wz",
	"ACTIVATION_LOWWATER entitlement count"},
    {"AUTOMATIC_REREAD", OPT_A_LATER, 0, "o", "AUTOMATIC_REREAD ON|OFF"},
    {"BORROW_LOWWATER", OPT_A_RULE, CORE_OPT_BORROW_LOWWATER, "fz",
	"BORROW_LOWWATER feature count"},
    {"DAEMON_SELECT_TIMEOUT", OPT_A_LATER, 0, "s",
	"DAEMON_SELECT_TIMEOUT seconds"},
    {"DEBUGLOG", OPT_A_DEBUGLOG, 0, "w*", "DEBUGLOG [+]path"},
    {"DEFAULT", OPT_A_LATER, 0, "*", "DEFAULT ..."},
    {"EXCLUDE_BORROW", OPT_A_RULE, CORE_OPT_EXCLUDE_BORROW, "ftn",
	"EXCLUDE_BORROW feature type name"},
    {"EXCLUDE_ENTITLEMENT", OPT_A_LATER, 0, "wtn",
	"EXCLUDE_ENTITLEMENT entitlement type name"},
    {"EXCLUDEALL_ENTITLEMENT", OPT_A_LATER, 0, "tn",
	"EXCLUDEALL_ENTITLEMENT type name"},
    {"FQDN_MATCHING", OPT_A_LATER, 0, "w", "FQDN_MATCHING exact|lenient"},
    {"INCLUDE_BORROW", OPT_A_RULE, CORE_OPT_INCLUDE_BORROW, "ftn",
	"INCLUDE_BORROW feature type name"},
    {"INCLUDE_ENTITLEMENT", OPT_A_LATER, 0, "wtn",
	"INCLUDE_ENTITLEMENT entitlement type name"},
    {"INCLUDEALL_ENTITLEMENT", OPT_A_LATER, 0, "tn",
	"INCLUDEALL_ENTITLEMENT type name"},
    {"MAX_BORROW_HOURS", OPT_A_RULE, CORE_OPT_MAX_BORROW_HOURS, "fz",
	"MAX_BORROW_HOURS feature hours"},
    {"MAX_CONNECTIONS", OPT_A_LATER, 0, "c", "MAX_CONNECTIONS count"},
    {"NOLOG", OPT_A_NOLOG, 0, "w", "NOLOG IN|OUT|DENIED|QUEUED"},
    {"REPORTLOG", OPT_A_REPORTLOG, 0, "w", "REPORTLOG [+]path"},
    {"TIMEZONE", OPT_A_LATER, 0, "+", "TIMEZONE zone ..."},
};
#define OPT_NKEYWORDS (sizeof(opt_keywords) / sizeof(opt_keywords[0]))

static const struct {
	const char *name;
	enum core_who who;
} opt_types[] = {
    {"USER", CORE_WHO_USER},
    {"HOST", CORE_WHO_HOST},
    {"DISPLAY", CORE_WHO_DISPLAY},
    {"GROUP", CORE_WHO_GROUP},
    {"HOST_GROUP", CORE_WHO_HOST_GROUP},
    {"INTERNET", CORE_WHO_INTERNET},
    {"PROJECT", CORE_WHO_PROJECT},
};

struct opt_state {
	const char *path;
	struct core_options *out;
	struct diag *diag;
	int lineno;
	uint64_t noticed; /* bit i: opt_keywords[i] reported */
	size_t rulecap;
	size_t groupcap;
	size_t *slots; /* group index + 1 by hash of kind and name; 0 free */
	size_t nslots;
	int rules_full;
	int groups_full;
};

static void opt_msg(struct opt_state *, enum diag_level, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
opt_msg(struct opt_state *st, enum diag_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(st->diag, level, st->path, st->lineno, fmt, ap);
	va_end(ap);
}

static int
opt_is_placeholder(const char *s, size_t len)
{
	return len >= 2 && s[0] == '<' && s[len - 1] == '>';
}

static void
opt_warn_placeholder(struct opt_state *st, const char *s, size_t len)
{
	if (opt_is_placeholder(s, len))
		opt_msg(st, DIAG_WARNING,
		    "\"%.60s\" looks like a template placeholder; it is taken "
		    "as a name as written",
		    s);
}

/*
 * Splits a feature word into the feature and its qualifier:
 * "MATLAB key=abcd1234" (quoted) or MATLAB:VERSION=51.
 */
static int
opt_feature(struct opt_state *st, struct license_token *tok, char *feature,
    char *qualifier)
{
	char *s, *q, *p, *end;
	size_t n, k;

	s = tok->s;
	q = NULL;
	p = tok->quoted ? strpbrk(s, " \t") : NULL;
	if (p != NULL) {
		*p++ = '\0';
		q = p + strspn(p, " \t");
		end = q + strlen(q);
		while (end > q && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
	}
	p = q == NULL ? strchr(s, ':') : NULL;
	if (p != NULL) {
		*p = '\0';
		q = p + 1;
	}

	n = strlen(s);
	if (n == 0 || n >= CORE_NAME_MAX) {
		opt_msg(st, DIAG_ERROR,
		    "expected a feature name of 1 to %d bytes, got \"%.40s\"",
		    CORE_NAME_MAX - 1, s);
		return -1;
	}
	if (opt_is_placeholder(s, n)) {
		opt_warn_placeholder(st, s, n);
	} else {
		for (p = s; *p != '\0'; p++) {
			if (!isalnum((unsigned char)*p) && *p != '_' &&
			    *p != '.' && *p != '-')
				break;
		}
		if (*p != '\0') {
			opt_msg(st, DIAG_ERROR,
			    "expected a feature name of letters, digits, '_', "
			    "'.' or '-', got \"%.40s\"",
			    s);
			return -1;
		}
	}
	memcpy(feature, s, n + 1);

	if (q == NULL) {
		qualifier[0] = '\0';
		return 0;
	}
	k = strcspn(q, "=");
	for (p = q; p < q + k; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_')
			break;
	}
	if (k == 0 || q[k] != '=' || p < q + k) {
		opt_msg(st, DIAG_ERROR,
		    "expected a feature qualifier keyword=value, got \"%.40s\"",
		    q);
		return -1;
	}
	if (strlen(q) >= CORE_NAME_MAX * 2) {
		opt_msg(st, DIAG_ERROR,
		    "expected a feature qualifier of at most %d bytes",
		    CORE_NAME_MAX * 2 - 1);
		return -1;
	}
	strcpy(qualifier, q);
	return 0;
}

static int
opt_type(struct opt_state *st, const char *s, enum core_who *who)
{
	size_t i;

	for (i = 0; i < sizeof(opt_types) / sizeof(opt_types[0]); i++) {
		if (strcasecmp(s, opt_types[i].name) == 0) {
			*who = opt_types[i].who;
			return 0;
		}
	}
	opt_msg(st, DIAG_ERROR,
	    "expected USER, HOST, DISPLAY, GROUP, HOST_GROUP, INTERNET or "
	    "PROJECT, got \"%.40s\"",
	    s);
	return -1;
}

static int
opt_name(struct opt_state *st, const struct license_token *tok,
    enum core_who who, char *name)
{
	const char *p;

	if (tok->len == 0 || tok->len >= CORE_NAME_MAX) {
		opt_msg(st, DIAG_ERROR,
		    "expected a name of 1 to %d bytes, got \"%.40s\"",
		    CORE_NAME_MAX - 1, tok->s);
		return -1;
	}
	if (opt_is_placeholder(tok->s, tok->len)) {
		opt_warn_placeholder(st, tok->s, tok->len);
	} else if (who == CORE_WHO_INTERNET) {
		/* Dotted IPv4 with '*' per octet, or IPv6 text. */
		p = tok->s + strspn(tok->s, "0123456789abcdefABCDEF.:*");
		if (*p != '\0') {
			opt_msg(st, DIAG_ERROR,
			    "expected an address pattern such as 10.1.*.*, got "
			    "\"%.40s\"",
			    tok->s);
			return -1;
		}
	}
	memcpy(name, tok->s, tok->len + 1);
	return 0;
}

/*
 * Groups, found by a small open-addressing index so that merging stays
 * linear in the size of the file.
 */

static size_t
opt_hash(const char *name, int is_host)
{
	size_t h;

	h = 2166136261u ^ (size_t)is_host;
	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static struct core_group *
opt_group_find(struct opt_state *st, const char *name, int is_host)
{
	struct core_group *g;
	size_t i, mask;

	if (st->nslots == 0)
		return NULL;
	mask = st->nslots - 1;
	for (i = opt_hash(name, is_host) & mask; st->slots[i] != 0;
	     i = (i + 1) & mask) {
		g = &st->out->groups[st->slots[i] - 1];
		if (g->is_host == is_host && strcmp(g->name, name) == 0)
			return g;
	}
	return NULL;
}

static int
opt_index_put(struct opt_state *st, size_t idx)
{
	struct core_group *g;
	size_t *slots, nslots, i, j, mask;

	/* Keep the index at most half full. */
	if ((st->out->ngroups + 1) * 2 > st->nslots) {
		nslots = st->nslots ? st->nslots * 2 : 64;
		slots = calloc(nslots, sizeof(*slots));
		if (slots == NULL)
			return -1;
		mask = nslots - 1;
		for (j = 0; j < st->out->ngroups; j++) {
			g = &st->out->groups[j];
			i = opt_hash(g->name, g->is_host) & mask;
			while (slots[i] != 0)
				i = (i + 1) & mask;
			slots[i] = j + 1;
		}
		free(st->slots);
		st->slots = slots;
		st->nslots = nslots;
	}

	g = &st->out->groups[idx];
	mask = st->nslots - 1;
	i = opt_hash(g->name, g->is_host) & mask;
	while (st->slots[i] != 0)
		i = (i + 1) & mask;
	st->slots[i] = idx + 1;
	return 0;
}

static struct core_group *
opt_group_get(struct opt_state *st, const char *name, int is_host)
{
	struct core_options *out = st->out;
	struct core_group *g, *grown;
	size_t cap;

	g = opt_group_find(st, name, is_host);
	if (g != NULL)
		return g;

	if (out->ngroups >= OPTIONS_GROUPS_MAX) {
		if (!st->groups_full)
			opt_msg(st, DIAG_ERROR, "expected at most %d groups",
			    OPTIONS_GROUPS_MAX);
		st->groups_full = 1;
		return NULL;
	}
	if (out->ngroups == st->groupcap) {
		cap = st->groupcap ? st->groupcap * 2 : 8;
		grown = realloc(out->groups, cap * sizeof(*grown));
		if (grown == NULL)
			goto nomem;
		out->groups = grown;
		st->groupcap = cap;
	}

	g = &out->groups[out->ngroups];
	memset(g, 0, sizeof(*g));
	memcpy(g->name, name, strlen(name) + 1);
	g->is_host = is_host;
	g->lineno = st->lineno;
	if (opt_index_put(st, out->ngroups) == -1)
		goto nomem;
	out->ngroups++;
	return g;

nomem:
	opt_msg(st, DIAG_ERROR, "out of memory");
	return NULL;
}

/* GROUP|HOST_GROUP name member ...: members are added to any earlier
 * group of the same kind and name. */
static void
opt_parse_group(struct opt_state *st, const struct opt_keyword *kw,
    struct license_cursor *cur)
{
	struct license_token tok;
	struct core_group *g;
	char **grown;
	size_t cap, n;
	int rc;

	rc = license_token_next(cur, &tok);
	if (rc != 1) {
		opt_msg(st, DIAG_ERROR, "expected %s", kw->usage);
		return;
	}
	if (tok.len == 0 || tok.len >= CORE_NAME_MAX) {
		opt_msg(st, DIAG_ERROR,
		    "expected a group name of 1 to %d bytes, got \"%.40s\"",
		    CORE_NAME_MAX - 1, tok.s);
		return;
	}
	opt_warn_placeholder(st, tok.s, tok.len);
	g = opt_group_get(st, tok.s, kw->action == OPT_A_HOST_GROUP);
	if (g == NULL)
		return;

	/* n counts the words after the name, so that a line without
	 * members is refused even when every word was bad. */
	for (n = 0;; n++) {
		rc = license_token_next(cur, &tok);
		if (rc != 1)
			break;
		if (tok.len == 0 || tok.len >= OPT_MEMBER_MAX) {
			opt_msg(st, DIAG_ERROR,
			    "expected a member of 1 to %d bytes",
			    OPT_MEMBER_MAX - 1);
			continue;
		}
		if (g->nmembers >= OPTIONS_MEMBERS_MAX) {
			opt_msg(st, DIAG_ERROR,
			    "group %s has more than %d members", g->name,
			    OPTIONS_MEMBERS_MAX);
			return;
		}
		opt_warn_placeholder(st, tok.s, tok.len);
		if (g->nmembers % 16 == 0) {
			cap = g->nmembers + 16;
			grown = realloc(g->members, cap * sizeof(*grown));
			if (grown == NULL)
				goto nomem;
			g->members = grown;
		}
		g->members[g->nmembers] = strdup(tok.s);
		if (g->members[g->nmembers] == NULL)
			goto nomem;
		g->nmembers++;
	}
	if (rc == -1)
		opt_msg(st, DIAG_ERROR, "expected a closing '\"'");
	else if (n == 0)
		opt_msg(st, DIAG_ERROR, "expected %s", kw->usage);
	return;

nomem:
	opt_msg(st, DIAG_ERROR, "out of memory");
}

static int
opt_add_rule(struct opt_state *st, const struct core_opt_rule *r)
{
	struct core_options *out = st->out;
	struct core_opt_rule *grown;
	size_t cap;

	if (out->nrules >= OPTIONS_RULES_MAX) {
		if (!st->rules_full)
			opt_msg(st, DIAG_ERROR, "expected at most %d rules",
			    OPTIONS_RULES_MAX);
		st->rules_full = 1;
		return -1;
	}
	if (out->nrules == st->rulecap) {
		cap = st->rulecap ? st->rulecap * 2 : 16;
		grown = realloc(out->rules, cap * sizeof(*grown));
		if (grown == NULL) {
			opt_msg(st, DIAG_ERROR, "out of memory");
			return -1;
		}
		out->rules = grown;
		st->rulecap = cap;
	}
	out->rules[out->nrules++] = *r;
	return 0;
}

/* DEBUGLOG, NOLOG and REPORTLOG: settings of the whole file, the last
 * DEBUGLOG and REPORTLOG winning as in FlexLM, NOLOG adding up. */
static void
opt_parse_log(
    struct opt_state *st, const struct opt_keyword *kw, const char *word)
{
	static const struct {
		const char *name;
		unsigned bit;
	} nolog[] = {
	    {"IN", CORE_NOLOG_IN},
	    {"OUT", CORE_NOLOG_OUT},
	    {"DENIED", CORE_NOLOG_DENIED},
	    {"QUEUED", CORE_NOLOG_QUEUED},
	};
	struct core_options *out = st->out;
	int append = word[0] == '+';
	size_t i;

	if (kw->action == OPT_A_NOLOG) {
		for (i = 0; i < sizeof(nolog) / sizeof(nolog[0]); i++)
			if (strcasecmp(word, nolog[i].name) == 0) {
				out->nolog_mask |= nolog[i].bit;
				return;
			}
		opt_msg(st, DIAG_ERROR,
		    "expected IN, OUT, DENIED or QUEUED, got \"%.40s\"", word);
		return;
	}

	if (append)
		word++;
	if (word[0] == '\0' || strlen(word) >= CORE_PATH_MAX) {
		opt_msg(st, DIAG_ERROR, "expected a path of 1 to %d bytes",
		    CORE_PATH_MAX - 1);
		return;
	}
	if (kw->action == OPT_A_DEBUGLOG) {
		snprintf(
		    out->debuglog_path, sizeof(out->debuglog_path), "%s", word);
		out->debuglog_append = append;
		return;
	}
	snprintf(out->reportlog_path, sizeof(out->reportlog_path), "%s", word);
	/* FlexLM's report log is a binary format read only by its vendor's
	 * tools; the journal holds the same facts in the open. */
	opt_msg(st, DIAG_NOTICE,
	    "REPORTLOG: licd writes no report log; it keeps usage in its "
	    "journal (licctl export, licctl usage)");
}

/* Checks the words of a line against the keyword's shape and, for the
 * keywords licd honours, stores the rule. */
static void
opt_parse_shaped(struct opt_state *st, const struct opt_keyword *kw,
    struct license_cursor *cur)
{
	struct license_token tok[OPT_TOKENS_MAX], t;
	struct core_opt_rule r;
	const char *sh;
	size_t ntok, i;
	long v;
	int rc, bad;

	ntok = 0;
	for (;;) {
		rc = license_token_next(cur, &t);
		if (rc != 1)
			break;
		if (ntok < OPT_TOKENS_MAX)
			tok[ntok] = t;
		ntok++;
	}
	if (rc == -1) {
		opt_msg(st, DIAG_ERROR, "expected a closing '\"'");
		return;
	}

	memset(&r, 0, sizeof(r));
	r.kind = kw->kind;
	r.who = CORE_WHO_NONE;
	r.lineno = st->lineno;
	bad = 0;
	i = 0;
	for (sh = kw->shape; *sh != '\0'; sh++) {
		if (*sh == '*') {
			i = ntok;
			break;
		}
		if (i >= ntok) {
			opt_msg(st, DIAG_ERROR, "expected %s", kw->usage);
			return;
		}
		if (*sh == '+') {
			i = ntok;
			break;
		}

		switch (*sh) {
		case 'c':
		case 's':
		case 'z':
			if (license_number(tok[i].s, OPT_NUMBER_MAX, &v) ==
				-1 ||
			    (*sh == 'c' && v == 0)) {
				opt_msg(st, DIAG_ERROR,
				    "expected %s, got \"%.40s\"",
				    *sh == 'c'       ? "a count of at least 1"
					: *sh == 's' ? "a number of seconds"
						     : "a whole number",
				    tok[i].s);
				bad = 1;
			} else if (*sh == 's')
				r.seconds = (int)v;
			else
				r.count = (int)v;
			break;
		case 'f':
			bad |= opt_feature(st, &tok[i], r.feature, r.qualifier);
			break;
		case 't':
			bad |= opt_type(st, tok[i].s, &r.who);
			break;
		case 'n':
			bad |= opt_name(st, &tok[i], r.who, r.name);
			if (i + 1 < ntok) {
				opt_msg(st, DIAG_WARNING,
				    "only the first word of a name is used; "
				    "\"%.40s\" and the rest of the line are "
				    "ignored",
				    tok[i + 1].s);
				i = ntok;
			}
			break;
		case 'o':
			if (strcasecmp(tok[i].s, "ON") == 0)
				v = 1;
			else if (strcasecmp(tok[i].s, "OFF") == 0)
				v = 0;
			else {
				opt_msg(st, DIAG_ERROR,
				    "expected ON or OFF, got \"%.40s\"",
				    tok[i].s);
				bad = 1;
				break;
			}
			if (kw->action == OPT_A_CASE)
				st->out->group_case_insensitive = (int)v;
			break;
		default: /* 'w' */
			break;
		}
		i++;
	}
	if (i < ntok) {
		opt_msg(st, DIAG_ERROR, "expected %s, got \"%.40s\" after it",
		    kw->usage, tok[i].s);
		return;
	}
	if (bad)
		return;

	if (kw->action == OPT_A_LATER) {
		i = (size_t)(kw - opt_keywords);
		if (!(st->noticed & (UINT64_C(1) << i)))
			opt_msg(st, DIAG_NOTICE,
			    "%s is parsed but not yet honoured", kw->name);
		st->noticed |= UINT64_C(1) << i;
		return;
	}
	if (kw->action == OPT_A_DEBUGLOG || kw->action == OPT_A_NOLOG ||
	    kw->action == OPT_A_REPORTLOG) {
		opt_parse_log(st, kw, tok[0].s);
		return;
	}
	if (kw->action == OPT_A_RULE)
		opt_add_rule(st, &r);
}

static void
opt_parse_line(struct opt_state *st, char *line)
{
	const struct opt_keyword *kw;
	struct license_cursor cur;
	struct license_token tok;
	size_t i;

	license_cursor_init(&cur, line, 1);
	if (license_token_next(&cur, &tok) != 1) {
		opt_msg(st, DIAG_ERROR, "expected a keyword");
		return;
	}

	kw = NULL;
	for (i = 0; i < OPT_NKEYWORDS; i++) {
		if (strcasecmp(tok.s, opt_keywords[i].name) == 0) {
			kw = &opt_keywords[i];
			break;
		}
	}
	if (kw == NULL) {
		opt_msg(st, DIAG_ERROR,
		    "expected an options keyword (GROUP, INCLUDE, RESERVE, "
		    "MAX, ...), got \"%.40s\"",
		    tok.s);
		return;
	}

	if (kw->action == OPT_A_GROUP || kw->action == OPT_A_HOST_GROUP)
		opt_parse_group(st, kw, &cur);
	else
		opt_parse_shaped(st, kw, &cur);
}

static void
opt_parse_one(void *arg, char *line)
{
	opt_parse_line(arg, line);
}

/* A rule naming a GROUP or HOST_GROUP that the file never defines matches
 * nobody, which is almost always a typing mistake. */
static void
opt_check_groups(struct opt_state *st)
{
	const struct core_opt_rule *r;
	size_t i;

	for (i = 0; i < st->out->nrules; i++) {
		r = &st->out->rules[i];
		if (r->who != CORE_WHO_GROUP && r->who != CORE_WHO_HOST_GROUP)
			continue;
		if (opt_group_find(st, r->name, r->who == CORE_WHO_HOST_GROUP))
			continue;
		st->lineno = r->lineno;
		opt_msg(st, DIAG_WARNING, "%s %s is not defined in this file",
		    r->who == CORE_WHO_GROUP ? "GROUP" : "HOST_GROUP", r->name);
	}
}

int
options_parse(const char *path, const char *text, size_t len,
    struct core_options *out, struct diag *diag)
{
	struct opt_state st;
	size_t errors;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	st.path = path != NULL ? path : "-";
	st.out = out;
	st.diag = diag;
	snprintf(out->path, sizeof(out->path), "%s", st.path);
	errors = diag->errors;

	if (len > OPTIONS_FILE_MAX) {
		opt_msg(&st, DIAG_ERROR, "file is larger than %d bytes",
		    OPTIONS_FILE_MAX);
		return -1;
	}

	license_read_lines(st.path, text, len, OPTIONS_LINE_MAX, &st.lineno,
	    diag, opt_parse_one, &st);

	opt_check_groups(&st);
	free(st.slots);

	return diag->errors > errors ? -1 : 0;
}

static int
opt_parse_any(const char *path, const char *text, size_t len, void *out,
    struct diag *diag)
{
	return options_parse(path, text, len, out, diag);
}

int
options_load(const char *path, struct core_options *out, struct diag *diag)
{
	return license_load_with(
	    path, OPTIONS_FILE_MAX, opt_parse_any, out, diag);
}

void
options_free(struct core_options *o)
{
	size_t i, j;

	if (o == NULL)
		return;
	for (i = 0; i < o->ngroups; i++) {
		for (j = 0; j < o->groups[i].nmembers; j++)
			free(o->groups[i].members[j]);
		free(o->groups[i].members);
	}
	free(o->groups);
	free(o->rules);
	memset(o, 0, sizeof(*o));
}
