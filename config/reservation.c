/*
 * Sentinel RMS reservation files: parsing, the mapping onto options-file
 * groups and rules, and the checks that need the built configuration.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/core/core.h"
#include "license.h"
#include "reservation.h"

struct resv_slot {
	char *key; /* NULL: free */
	long incl; /* the group that includes this name, -1 for none */
	long last; /* the group that listed it last, -1 for none */
};

/* Names listed per feature and version, to catch repeats on a line and
 * members shared between groups in linear time. */
struct resv_set {
	struct resv_slot *v;
	size_t cap; /* a power of two, 0 when empty */
	size_t n;
};

struct resv_state {
	const char *path;
	struct reservation_file *out;
	struct diag *diag;
	int lineno;
	size_t groupcap;
	int groups_full;
	struct resv_set names;
};

static void resv_msg(struct resv_state *, enum diag_level, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
resv_msg(struct resv_state *st, enum diag_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(st->diag, level, st->path, st->lineno, fmt, ap);
	va_end(ap);
}

static size_t
resv_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Finds key, adding it (incl and last -1) when new.  NULL when memory
 * runs out. */
static struct resv_slot *
resv_set_get(struct resv_set *set, const char *key)
{
	struct resv_slot *v, *s;
	size_t cap, i, j, mask;

	if ((set->n + 1) * 2 > set->cap) {
		cap = set->cap ? set->cap * 2 : 256;
		v = calloc(cap, sizeof(*v));
		if (v == NULL)
			return NULL;
		for (j = 0; j < set->cap; j++) {
			if (set->v[j].key == NULL)
				continue;
			i = resv_hash(set->v[j].key) & (cap - 1);
			while (v[i].key != NULL)
				i = (i + 1) & (cap - 1);
			v[i] = set->v[j];
		}
		free(set->v);
		set->v = v;
		set->cap = cap;
	}

	mask = set->cap - 1;
	for (i = resv_hash(key) & mask; set->v[i].key != NULL;
	     i = (i + 1) & mask)
		if (strcmp(set->v[i].key, key) == 0)
			return &set->v[i];
	s = &set->v[i];
	s->key = strdup(key);
	if (s->key == NULL)
		return NULL;
	s->incl = -1;
	s->last = -1;
	set->n++;
	return s;
}

static void
resv_set_free(struct resv_set *set)
{
	size_t i;

	for (i = 0; i < set->cap; i++)
		free(set->v[i].key);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

/* The key of a member of a group: feature, version, kind and name, split
 * by a byte that no name holds.  XXX: names are compared as written, so
 * with GROUPCASEINSENSITIVE ON "Alice" and "alice" may sit in two groups
 * of a feature; the core then charges her to the first. */
static void
resv_member_key(char *buf, size_t len, const struct reservation_group *g,
    const struct reservation_member *m)
{
	snprintf(buf, len, "%s\037%s\037%c\037%s", g->feature, g->version,
	    m->is_host ? 'H' : 'U', m->name);
}

static int
resv_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* Cuts blanks from both ends of s in place. */
static char *
resv_trim(char *s)
{
	char *e;

	while (resv_blank((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && resv_blank((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Feature names and versions: letters, digits, '_', '.', '-'. */
static int
resv_word_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' &&
		    *s != '-')
			return 0;
	return 1;
}

static int
resv_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* "0x4f3c5801": a Sentinel host id, which licd cannot match. */
static int
resv_looks_hostid(const char *s)
{
	if ((s[0] != '0') || (s[1] != 'x' && s[1] != 'X') || s[2] == '\0')
		return 0;
	for (s += 2; *s != '\0'; s++)
		if (!isxdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* "10.1.*.*" or an IPv6 address. */
static int
resv_looks_address(const char *s)
{
	size_t dots = 0, colons = 0;
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == '.')
			dots++;
		else if (*p == ':')
			colons++;
		else if (!isxdigit((unsigned char)*p) && *p != '*')
			return 0;
	}
	if (colons >= 2)
		return 1;
	if (dots != 3)
		return 0;
	return strspn(s, "0123456789.*") == strlen(s);
}

static struct reservation_group *
resv_group_new(struct resv_state *st)
{
	struct reservation_file *out = st->out;
	struct reservation_group *grown;
	size_t cap;

	if (out->ngroups >= RESERVATION_GROUPS_MAX) {
		if (!st->groups_full)
			resv_msg(st, DIAG_ERROR,
			    "expected at most %d groups in one file",
			    RESERVATION_GROUPS_MAX);
		st->groups_full = 1;
		return NULL;
	}
	if (out->ngroups == st->groupcap) {
		cap = st->groupcap ? st->groupcap * 2 : 8;
		grown = realloc(out->groups, cap * sizeof(*grown));
		if (grown == NULL) {
			resv_msg(st, DIAG_ERROR, "out of memory");
			return NULL;
		}
		out->groups = grown;
		st->groupcap = cap;
	}
	return &out->groups[out->ngroups];
}

/*
 * Cuts the next member out of *sp: blanks and commas separate members,
 * '!' then '$' lead, '%' makes the next byte literal.  Returns 1 with m
 * filled, 0 at the end, -1 after reporting a bad member.
 */
static int
resv_next_member(
    struct resv_state *st, const char **sp, struct reservation_member *m)
{
	const char *s = *sp;
	size_t n = 0;
	int c;

	while (resv_blank((unsigned char)*s) || *s == ',')
		s++;
	if (*s == '\0') {
		*sp = s;
		return 0;
	}

	memset(m, 0, sizeof(*m));
	if (*s == '!') {
		m->exclude = 1;
		s++;
	}
	if (*s == '$') {
		m->is_host = 1;
		s++;
	}
	while (*s != '\0' && !resv_blank((unsigned char)*s) && *s != ',') {
		c = (unsigned char)*s++;
		if (c == '%') {
			if (*s == '\0') {
				*sp = s;
				resv_msg(st, DIAG_ERROR,
				    "expected a byte after '%%' at the end of "
				    "\"%.40s\"",
				    m->name);
				return -1;
			}
			c = (unsigned char)*s++;
		}
		if (n + 1 < sizeof(m->name))
			m->name[n] = (char)c;
		n++;
	}
	*sp = s;
	m->name[n + 1 < sizeof(m->name) ? n : sizeof(m->name) - 1] = '\0';

	if (n == 0) {
		resv_msg(st, DIAG_ERROR, "expected a %s name after '%s'",
		    m->is_host ? "host" : "user",
		    m->is_host ? (m->exclude ? "!$" : "$") : "!");
		return -1;
	}
	if (n >= sizeof(m->name)) {
		resv_msg(st, DIAG_ERROR,
		    "expected a member name of at most %d bytes, got "
		    "\"%.40s...\"",
		    CORE_NAME_MAX - 1, m->name);
		return -1;
	}
	if (resv_has_control(m->name)) {
		resv_msg(st, DIAG_ERROR,
		    "expected a member name without control characters");
		return -1;
	}
	return 1;
}

/* Adds m to g unless the line already named it; refuses a member that an
 * earlier group of the same feature and version includes. */
static int
resv_add_member(struct resv_state *st, struct reservation_group *g, long gi,
    const struct reservation_member *m)
{
	char key[3 * CORE_NAME_MAX + 16];
	struct reservation_member *grown;
	struct resv_slot *s;
	size_t cap;

	resv_member_key(key, sizeof(key), g, m);
	if ((s = resv_set_get(&st->names, key)) == NULL)
		goto nomem;
	if (s->last == gi) {
		resv_msg(st, DIAG_WARNING,
		    "%s %s is listed twice on the line; the first listing, "
		    "an %s, counts",
		    m->is_host ? "host" : "user", m->name,
		    s->incl == gi ? "inclusion" : "exclusion");
		return 0;
	}
	s->last = gi;
	if (!m->exclude) {
		if (s->incl >= 0) {
			resv_msg(st, DIAG_ERROR,
			    "%s %s is already in group %s (line %d); the "
			    "groups of a feature must not share members",
			    m->is_host ? "host" : "user", m->name,
			    st->out->groups[s->incl].group,
			    st->out->groups[s->incl].lineno);
			return -1;
		}
		s->incl = gi;
	}

	if (g->nmembers >= RESERVATION_MEMBERS_MAX) {
		resv_msg(st, DIAG_ERROR,
		    "expected at most %d members in group %s",
		    RESERVATION_MEMBERS_MAX, g->group);
		return -2;
	}
	if (g->nmembers % 16 == 0) {
		cap = g->nmembers + 16;
		grown = realloc(g->members, cap * sizeof(*grown));
		if (grown == NULL)
			goto nomem;
		g->members = grown;
	}
	g->members[g->nmembers++] = *m;
	if (!m->exclude && m->is_host)
		g->nhosts++;
	else if (!m->exclude)
		g->nusers++;

	if (m->is_host && resv_looks_hostid(m->name))
		resv_msg(st, DIAG_WARNING,
		    "$%s looks like a Sentinel host id; licd matches host "
		    "names, so it stands for a host of that name",
		    m->name);
	else if (resv_looks_address(m->name))
		resv_msg(st, DIAG_WARNING,
		    "%s looks like an IP address; licd matches members by "
		    "user and host name only, so it stands for a %s of that "
		    "name",
		    m->name, m->is_host ? "host" : "user");
	return 0;

nomem:
	resv_msg(st, DIAG_ERROR, "out of memory");
	return -2;
}

/* The first three fields of a line, checked into g. */
static int
resv_parse_head(
    struct resv_state *st, char *fields[3], struct reservation_group *g)
{
	char *feature, *version, *group, *count, *comma;
	const struct reservation_group *o;
	long v;
	size_t i;
	int n;

	feature = fields[0];
	comma = strchr(feature, ',');
	version = NULL;
	if (comma != NULL) {
		*comma = '\0';
		version = resv_trim(comma + 1);
	}
	feature = resv_trim(feature);
	group = resv_trim(fields[1]);
	count = resv_trim(fields[2]);

	if (feature[0] == '\0' || strlen(feature) >= CORE_NAME_MAX ||
	    !resv_word_ok(feature)) {
		resv_msg(st, DIAG_ERROR,
		    "expected a feature name of 1 to %d letters, digits, '_', "
		    "'.' or '-', got \"%.40s\"",
		    CORE_NAME_MAX - 1, feature);
		return -1;
	}
	if (version != NULL &&
	    (version[0] == '\0' || strlen(version) >= CORE_VERSION_MAX ||
		!resv_word_ok(version))) {
		resv_msg(st, DIAG_ERROR,
		    "expected a version of 1 to %d letters, digits, '_', '.' "
		    "or '-' after \"%s,\", got \"%.40s\"",
		    CORE_VERSION_MAX - 1, feature, version);
		return -1;
	}
	if (group[0] == '\0' || strlen(group) >= CORE_NAME_MAX ||
	    resv_has_control(group)) {
		resv_msg(st, DIAG_ERROR,
		    "expected a group name of 1 to %d bytes, got \"%.40s\"",
		    CORE_NAME_MAX - 1, group);
		return -1;
	}
	if (license_number(count, RESERVATION_COUNT_MAX, &v) == -1) {
		resv_msg(st, DIAG_ERROR,
		    "expected a count of seats from 0 to %ld, got \"%.40s\"",
		    RESERVATION_COUNT_MAX, count);
		return -1;
	}

	memset(g, 0, sizeof(*g));
	memcpy(g->feature, feature, strlen(feature) + 1);
	if (version != NULL)
		memcpy(g->version, version, strlen(version) + 1);
	memcpy(g->group, group, strlen(group) + 1);
	g->count = (int)v;
	g->lineno = st->lineno;
	n = snprintf(g->unit, sizeof(g->unit), "%s%s%s:%s", feature,
	    version != NULL ? "," : "", version != NULL ? version : "", group);
	if (n < 0 || (size_t)n >= sizeof(g->unit)) {
		resv_msg(st, DIAG_ERROR,
		    "the group's name in licd, \"%s%s%s:%s\", is longer than "
		    "%d bytes; shorten the group name",
		    feature, version != NULL ? "," : "",
		    version != NULL ? version : "", group, CORE_NAME_MAX - 1);
		return -1;
	}

	for (i = 0; i < st->out->ngroups; i++) {
		o = &st->out->groups[i];
		if (strcmp(o->unit, g->unit) == 0) {
			resv_msg(st, DIAG_ERROR,
			    "group %s of %s%s%s is already given on line %d",
			    group, feature, version != NULL ? "," : "",
			    version != NULL ? version : "", o->lineno);
			return -1;
		}
	}
	return 0;
}

static void
resv_parse_line(struct resv_state *st, char *line)
{
	struct reservation_group *g;
	struct reservation_member m;
	char *fields[3], *p;
	const char *s;
	size_t i;
	int rc, bad = 0;

	p = line;
	for (i = 0; i < 3; i++) {
		fields[i] = p;
		p = strchr(p, ':');
		if (p == NULL) {
			resv_msg(st, DIAG_ERROR,
			    "expected feature[,version]:group:count:member "
			    "...");
			return;
		}
		*p++ = '\0';
	}

	if ((g = resv_group_new(st)) == NULL)
		return;
	if (resv_parse_head(st, fields, g) == -1)
		return;

	s = p;
	for (;;) {
		rc = resv_next_member(st, &s, &m);
		if (rc == 0)
			break;
		if (rc == -1) {
			bad = 1;
			continue;
		}
		rc = resv_add_member(st, g, (long)st->out->ngroups, &m);
		if (rc == -2) {
			bad = 1;
			break;
		}
		if (rc == -1)
			bad = 1;
	}

	if (g->nmembers == 0 && !bad)
		resv_msg(st, DIAG_ERROR,
		    "expected at least one member (user, $host, !user or "
		    "!$host) after the count");
	else if (!bad && g->count > 0 && g->nusers + g->nhosts == 0)
		resv_msg(st, DIAG_WARNING,
		    "group %s holds %d seats of %s for nobody: every member "
		    "is excluded",
		    g->group, g->count, g->feature);
	/* The group is kept even when bad, so that its members are freed
	 * and later lines still see it; the file is refused anyway. */
	st->out->ngroups++;
}

int
reservation_parse(const char *path, const char *text, size_t len,
    struct reservation_file *out, struct diag *diag)
{
	struct resv_state st;
	const char *p, *end, *nl;
	size_t errors, n;
	char *buf, *line;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	st.path = path != NULL ? path : "-";
	st.out = out;
	st.diag = diag;
	snprintf(out->path, sizeof(out->path), "%s", st.path);
	errors = diag->errors;

	if (len > RESERVATION_FILE_MAX) {
		resv_msg(&st, DIAG_ERROR, "file is larger than %d bytes",
		    RESERVATION_FILE_MAX);
		return -1;
	}
	buf = malloc(RESERVATION_LINE_MAX + 1);
	if (buf == NULL) {
		resv_msg(&st, DIAG_ERROR, "out of memory");
		return -1;
	}

	p = text;
	end = text + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		st.lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		line = (char *)p;
		p += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > RESERVATION_LINE_MAX) {
			resv_msg(&st, DIAG_ERROR,
			    "line is longer than %d bytes",
			    RESERVATION_LINE_MAX);
			continue;
		}
		if (memchr(line, '\0', n) != NULL) {
			resv_msg(&st, DIAG_ERROR, "line holds a NUL byte");
			continue;
		}
		memcpy(buf, line, n);
		buf[n] = '\0';
		line = resv_trim(buf);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		resv_parse_line(&st, line);
	}

	free(buf);
	resv_set_free(&st.names);
	return diag->errors > errors ? -1 : 0;
}

static int
resv_parse_any(const char *path, const char *text, size_t len, void *out,
    struct diag *diag)
{
	return reservation_parse(path, text, len, out, diag);
}

int
reservation_load(
    const char *path, struct reservation_file *out, struct diag *diag)
{
	return license_load_with(
	    path, RESERVATION_FILE_MAX, resv_parse_any, out, diag);
}

void
reservation_free(struct reservation_file *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->ngroups; i++)
		free(f->groups[i].members);
	free(f->groups);
	memset(f, 0, sizeof(*f));
}

/*
 * The mapping onto options-file groups and rules.
 */

static int
merge_rule(struct core_options *o, size_t *cap, const struct core_opt_rule *r)
{
	struct core_opt_rule *grown;
	size_t n;

	if (o->nrules == *cap) {
		n = *cap ? *cap * 2 : 16;
		grown = realloc(o->rules, n * sizeof(*grown));
		if (grown == NULL)
			return -1;
		o->rules = grown;
		*cap = n;
	}
	o->rules[o->nrules++] = *r;
	return 0;
}

/* The group of one reservation line, its members pointing into it. */
static int
merge_group(struct core_group *cg, const struct reservation_group *g)
{
	struct reservation_member *m;
	size_t i;

	memset(cg, 0, sizeof(*cg));
	memcpy(cg->name, g->unit, sizeof(cg->name));
	cg->lineno = g->lineno;
	cg->is_host = g->nusers == 0 && g->nhosts > 0;
	if (g->nusers + g->nhosts == 0)
		return 0;
	cg->members = calloc(g->nusers + g->nhosts, sizeof(char *));
	if (cg->members == NULL)
		return -1;
	if (!cg->is_host && g->nhosts > 0) {
		cg->hosts = calloc(g->nhosts, sizeof(char *));
		if (cg->hosts == NULL)
			return -1;
	}
	for (i = 0; i < g->nmembers; i++) {
		m = &g->members[i];
		if (m->exclude)
			continue;
		if (m->is_host && !cg->is_host)
			cg->hosts[cg->nhosts++] = m->name;
		else
			cg->members[cg->nmembers++] = m->name;
	}
	return 0;
}

static void
merge_rules_of(struct core_opt_rule *r, const struct reservation_group *g,
    enum core_opt_kind kind)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	memcpy(r->feature, g->feature, sizeof(r->feature));
	if (g->version[0] != '\0')
		snprintf(r->qualifier, sizeof(r->qualifier), "VERSION=%s",
		    g->version);
	r->lineno = g->lineno;
}

/* Counts the versions of each feature that the files qualify by (the core
 * takes a bounded number of line selectors per feature).  Keys start with
 * a byte that no unit name holds, so they share the set of units. */
static int
merge_version(struct resv_set *set, const struct reservation_group *g,
    const char *path, struct diag *diag)
{
	char key[2 * CORE_NAME_MAX + 8];
	struct resv_slot *s;

	snprintf(key, sizeof(key), "\001%s\037%s", g->feature, g->version);
	if ((s = resv_set_get(set, key)) == NULL)
		return -1;
	if (s->last >= 0)
		return 0;
	s->last = 0;
	snprintf(key, sizeof(key), "\002%s", g->feature);
	if ((s = resv_set_get(set, key)) == NULL)
		return -1;
	s->last = s->last < 0 ? 1 : s->last + 1;
	if (s->last == RESERVATION_VERSIONS_MAX + 1)
		diag_add(diag, DIAG_ERROR, path, g->lineno,
		    "expected at most %d versions of %s in the reservation "
		    "files",
		    RESERVATION_VERSIONS_MAX, g->feature);
	return 0;
}

int
reservation_merge(const struct core_options *opts,
    const struct reservation_file *files, size_t nfiles,
    struct reservation_merged *out, struct diag *diag)
{
	char key[3 * CORE_NAME_MAX + 16];
	const struct reservation_group *g;
	const struct reservation_member *m;
	struct core_options *o = &out->opts;
	struct core_opt_rule r;
	struct resv_set names, units;
	struct resv_slot *s;
	size_t i, j, k, total, rulecap, errors = diag->errors;
	long gi;

	memset(out, 0, sizeof(*out));
	memset(&names, 0, sizeof(names));
	memset(&units, 0, sizeof(units));
	if (opts != NULL) {
		*o = *opts;
		o->groups = NULL;
		o->rules = NULL;
		o->ngroups = 0;
		o->nrules = 0;
	} else if (nfiles > 0) {
		/* The core names this file with the line of a rule it
		 * refuses. */
		snprintf(o->path, sizeof(o->path), "%s", files[0].path);
	}

	total = opts != NULL ? opts->ngroups : 0;
	for (i = 0; i < nfiles; i++)
		total += files[i].ngroups;
	if (total > 0 &&
	    (o->groups = calloc(total, sizeof(*o->groups))) == NULL)
		goto nomem;
	if (opts != NULL && opts->ngroups > 0) {
		memcpy(o->groups, opts->groups,
		    opts->ngroups * sizeof(*o->groups));
		o->ngroups = opts->ngroups;
	}
	out->nborrowed = o->ngroups;
	rulecap = 0;
	for (i = 0; opts != NULL && i < opts->nrules; i++)
		if (merge_rule(o, &rulecap, &opts->rules[i]) == -1)
			goto nomem;

	/* Unit names already taken by the options file, with their line
	 * (kept in incl). */
	for (i = 0; i < out->nborrowed; i++) {
		if ((s = resv_set_get(&units, o->groups[i].name)) == NULL)
			goto nomem;
		if (s->incl < 0)
			s->incl = o->groups[i].lineno;
	}

	gi = 0;
	for (i = 0; i < nfiles; i++) {
		for (j = 0; j < files[i].ngroups; j++, gi++) {
			g = &files[i].groups[j];
			if (gi == RESERVATION_GROUPS_MAX) {
				diag_add(diag, DIAG_ERROR, files[i].path,
				    g->lineno,
				    "expected at most %d reservation groups in "
				    "all reservation files",
				    RESERVATION_GROUPS_MAX);
			}
			if ((s = resv_set_get(&units, g->unit)) == NULL)
				goto nomem;
			if (s->incl >= 0 || s->last >= 0) {
				if (s->last >= 0)
					diag_add(diag, DIAG_ERROR,
					    files[i].path, g->lineno,
					    "group %s is also given in "
					    "another reservation file",
					    g->unit);
				else
					diag_add(diag, DIAG_ERROR,
					    files[i].path, g->lineno,
					    "group %s has the name of a "
					    "group of the options file %s "
					    "(line %ld); rename one",
					    g->unit, o->path, s->incl);
				continue;
			}
			s->last = gi;
			if (g->version[0] != '\0' &&
			    merge_version(&units, g, files[i].path, diag) == -1)
				goto nomem;

			for (k = 0; k < g->nmembers; k++) {
				m = &g->members[k];
				if (m->exclude)
					continue;
				resv_member_key(key, sizeof(key), g, m);
				if ((s = resv_set_get(&names, key)) == NULL)
					goto nomem;
				if (s->incl >= 0) {
					diag_add(diag, DIAG_ERROR,
					    files[i].path, g->lineno,
					    "%s %s is also in another "
					    "reservation file's group of %s; "
					    "the groups of a feature must not "
					    "share members",
					    m->is_host ? "host" : "user",
					    m->name, g->feature);
					continue;
				}
				s->incl = gi;
			}

			if (merge_group(&o->groups[o->ngroups++], g) == -1)
				goto nomem;

			if (g->count > 0 || g->nusers + g->nhosts > 0) {
				merge_rules_of(&r, g,
				    g->count > 0 ? CORE_OPT_RESERVE
						 : CORE_OPT_EXCLUDE);
				r.who = g->nusers == 0 && g->nhosts > 0
				    ? CORE_WHO_HOST_GROUP
				    : CORE_WHO_GROUP;
				memcpy(r.name, g->unit, sizeof(r.name));
				r.count = g->count;
				if (merge_rule(o, &rulecap, &r) == -1)
					goto nomem;
			}
			for (k = 0; k < g->nmembers; k++) {
				m = &g->members[k];
				if (!m->exclude)
					continue;
				merge_rules_of(&r, g, CORE_OPT_EXCLUDE);
				r.who =
				    m->is_host ? CORE_WHO_HOST : CORE_WHO_USER;
				memcpy(r.name, m->name, sizeof(r.name));
				if (merge_rule(o, &rulecap, &r) == -1)
					goto nomem;
			}
		}
	}

	resv_set_free(&names);
	resv_set_free(&units);
	return diag->errors > errors ? -1 : 0;

nomem:
	resv_set_free(&names);
	resv_set_free(&units);
	diag_add(diag, DIAG_ERROR, nfiles > 0 ? files[0].path : "-", 0,
	    "out of memory");
	return -1;
}

void
reservation_merged_free(struct reservation_merged *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = m->nborrowed; i < m->opts.ngroups; i++) {
		free(m->opts.groups[i].members);
		free(m->opts.groups[i].hosts);
	}
	free(m->opts.groups);
	free(m->opts.rules);
	memset(m, 0, sizeof(*m));
}

/*
 * Checks against the built configuration.
 */

struct check_feature {
	const char *name;
	int found;
	int issued;
};

static void
check_feature_cb(void *arg, const struct core_feature_info *fi)
{
	struct check_feature *cf = arg;

	if (strcmp(fi->feature, cf->name) == 0) {
		cf->found = 1;
		cf->issued = fi->issued;
	}
}

struct check_version {
	const char *feature;
	const char *version;
	int found;
};

static void
check_version_cb(void *arg, const struct core_line_info *li)
{
	struct check_version *cv = arg;

	if (strcmp(li->feature, cv->feature) == 0 &&
	    core_version_cmp(li->version, cv->version) == 0)
		cv->found = 1;
}

struct check_resv {
	const char *unit;
	int found;
	int count;
};

static void
check_resv_cb(void *arg, const struct core_reservation_info *ri)
{
	struct check_resv *cr = arg;

	if ((ri->who == CORE_WHO_GROUP || ri->who == CORE_WHO_HOST_GROUP) &&
	    strcmp(ri->name, cr->unit) == 0) {
		cr->found = 1;
		cr->count = ri->count;
	}
}

void
reservation_check(const struct reservation_file *files, size_t nfiles,
    const struct core *core, int64_t now, struct diag *diag)
{
	const struct reservation_group *g;
	struct check_feature cf;
	struct check_version cv;
	struct check_resv cr;
	size_t i, j;

	for (i = 0; i < nfiles; i++) {
		for (j = 0; j < files[i].ngroups; j++) {
			g = &files[i].groups[j];
			memset(&cf, 0, sizeof(cf));
			cf.name = g->feature;
			core_foreach_feature(
			    core, g->feature, check_feature_cb, &cf);
			if (!cf.found) {
				diag_add(diag, DIAG_WARNING, files[i].path,
				    g->lineno,
				    "no licence line serves %s; group %s "
				    "has no effect",
				    g->feature, g->group);
				continue;
			}
			if (g->version[0] != '\0') {
				memset(&cv, 0, sizeof(cv));
				cv.feature = g->feature;
				cv.version = g->version;
				core_foreach_line(
				    core, now, check_version_cb, &cv);
				if (!cv.found)
					diag_add(diag, DIAG_WARNING,
					    files[i].path, g->lineno,
					    "no licence line of %s has "
					    "version %s, so group %s takes "
					    "no seat of it%s",
					    g->feature, g->version, g->group,
					    g->count > 0
						? ", yet its seats are held"
						: "");
			}
			if (g->count == 0)
				continue;
			memset(&cr, 0, sizeof(cr));
			cr.unit = g->unit;
			core_foreach_reservation(
			    core, g->feature, check_resv_cb, &cr);
			if (cr.found && cr.count < g->count)
				diag_add(diag, DIAG_WARNING, files[i].path,
				    g->lineno,
				    "group %s reserves %d seat%s of %s, but "
				    "%s has %d in date and the reservations "
				    "before it leave %d: it holds %d",
				    g->group, g->count,
				    g->count == 1 ? "" : "s", g->feature,
				    g->feature, cf.issued, cr.count, cr.count);
		}
	}
}
