/*
 * Building a configuration for the core: licence lines become features and
 * pools, options become compiled rules and group tables.  Everything is
 * checked while it is built; a configuration that fails is freed and the
 * running one is never touched.  Also here: the matching of rules, units
 * and versions that the policy decisions in core.c rely on.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core_int.h"

/* Longest "group\037user" key of the membership table. */
#define MEMBER_KEY_MAX (2 * CORE_NAME_MAX + 2)

struct kept_line {
	struct core_feature *f;
	const struct core_line *l;
};

static void conf_err(char *, size_t, const char *, int, const char *, ...)
    __attribute__((format(printf, 5, 6)));

static void
conf_err(
    char *err, size_t errlen, const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (err == NULL || errlen == 0)
		return;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (file != NULL && file[0] != '\0' && line > 0)
		snprintf(err, errlen, "%s:%d: %s", file, line, msg);
	else if (file != NULL && file[0] != '\0')
		snprintf(err, errlen, "%s: %s", file, msg);
	else
		snprintf(err, errlen, "%s", msg);
}

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void
lower_copy(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* Keeps a copy of s for the lifetime of the configuration. */
static char *
conf_key(struct core_conf *cf, const char *s)
{
	char **keys, *k;
	size_t cap;

	if (cf->nkeys == cf->keycap) {
		cap = cf->keycap ? cf->keycap * 2 : 32;
		keys = realloc(cf->keys, cap * sizeof(*keys));
		if (keys == NULL)
			return NULL;
		cf->keys = keys;
		cf->keycap = cap;
	}
	k = strdup(s);
	if (k == NULL)
		return NULL;
	cf->keys[cf->nkeys++] = k;
	return k;
}

static int
rules_add(struct core_rules *rs, const struct core_rule *r)
{
	struct core_rule *v;
	size_t cap;

	if (rs->n == rs->cap) {
		cap = rs->cap ? rs->cap * 2 : 4;
		v = realloc(rs->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *r;
	return 0;
}

static void
feature_free(struct core_feature *f)
{
	size_t i;

	for (i = 0; i < f->npools; i++)
		free(f->pools[i].lines);
	free(f->pools);
	for (i = 0; i < f->nquals; i++)
		free(f->quals[i]);
	free(f->incl.v);
	free(f->excl.v);
	free(f->res.v);
	free(f->max.v);
	free(f);
}

void
core_conf_free(struct core_conf *cf)
{
	size_t i, j;

	if (cf == NULL)
		return;

	for (i = 0; i < cf->nfeatures; i++)
		feature_free(cf->features[i]);
	free(cf->features);
	core_strmap_free(&cf->fmap);

	for (i = 0; i < cf->ngroups; i++) {
		for (j = 0; j < cf->groups[i].nmembers; j++)
			free(cf->groups[i].members[j]);
		free(cf->groups[i].members);
	}
	free(cf->groups);
	core_strmap_free(&cf->ugroups);
	core_strmap_free(&cf->hgroups);
	core_strmap_free(&cf->members);
	core_strmap_free(&cf->firstgroup);
	for (i = 0; i < cf->nkeys; i++)
		free(cf->keys[i]);
	free(cf->keys);

	free(cf->inclall.v);
	free(cf->exclall.v);
	free(cf);
}

struct core_feature *
core_conf_feature(const struct core_conf *cf, const char *name)
{
	return core_strmap_get(&cf->fmap, name);
}

/* Copies the GROUP and HOST_GROUP lines and indexes them: by name, by
 * (group, user) membership and by the first GROUP of each user. */
static int
build_groups(struct core_conf *cf, const struct core_options *o, char *err,
    size_t errlen)
{
	char key[MEMBER_KEY_MAX], user[CORE_NAME_MAX], gname[CORE_NAME_MAX];
	struct core_cgroup *g;
	const struct core_group *src;
	char *k;
	size_t i, j;

	if (o->ngroups == 0)
		return 0;
	cf->groups = calloc(o->ngroups, sizeof(*cf->groups));
	if (cf->groups == NULL)
		goto nomem;

	for (i = 0; i < o->ngroups; i++) {
		src = &o->groups[i];
		g = &cf->groups[cf->ngroups++];
		if (!terminated(src->name, sizeof(src->name)) ||
		    src->name[0] == '\0') {
			conf_err(err, errlen, o->path, src->lineno,
			    "%s without a name",
			    src->is_host ? "HOST_GROUP" : "GROUP");
			return -1;
		}
		memcpy(g->name, src->name, sizeof(g->name));
		g->is_host = src->is_host;
		if (src->nmembers > 0) {
			g->members = calloc(src->nmembers, sizeof(char *));
			if (g->members == NULL)
				goto nomem;
		}
		for (j = 0; j < src->nmembers; j++) {
			if (src->members[j] == NULL)
				continue;
			g->members[g->nmembers] = strdup(src->members[j]);
			if (g->members[g->nmembers] == NULL)
				goto nomem;
			g->nmembers++;
		}

		if (core_strmap_put(g->is_host ? &cf->hgroups : &cf->ugroups,
			g->name, g) == -1)
			goto nomem;
		if (g->is_host)
			continue;

		/* Membership keys fold case when the options say so, and
		 * lookups fold the same way. */
		if (cf->nocase)
			lower_copy(gname, sizeof(gname), g->name);
		else
			snprintf(gname, sizeof(gname), "%s", g->name);
		for (j = 0; j < g->nmembers; j++) {
			if (cf->nocase)
				lower_copy(user, sizeof(user), g->members[j]);
			else
				snprintf(
				    user, sizeof(user), "%s", g->members[j]);
			snprintf(key, sizeof(key), "%s\037%s", gname, user);
			if ((k = conf_key(cf, key)) == NULL ||
			    core_strmap_put(&cf->members, k, g) == -1)
				goto nomem;
			if ((k = conf_key(cf, user)) == NULL ||
			    core_strmap_put(&cf->firstgroup, k, g) == -1)
				goto nomem;
		}
	}
	return 0;

nomem:
	conf_err(err, errlen, o->path, 0, "out of memory");
	return -1;
}

static struct core_feature *
feature_add(struct core_conf *cf, const struct core_line *l)
{
	struct core_feature **v, *f;

	v = realloc(cf->features, (cf->nfeatures + 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	cf->features = v;

	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	memcpy(f->name, l->feature, sizeof(f->name));
	snprintf(f->vendor, sizeof(f->vendor), "%s", l->vendor);
	f->index = cf->nfeatures;
	if (core_strmap_put(&cf->fmap, f->name, f) == -1) {
		free(f);
		return NULL;
	}
	cf->features[cf->nfeatures++] = f;
	return f;
}

/* Checks one licence line and, when it serves, finds or creates its
 * feature.  *fp is NULL for a line that is valid but does not serve. */
static int
take_line(struct core_conf *cf, const struct core_line *l,
    struct core_feature **fp, char *err, size_t errlen)
{
	struct core_feature *f;

	*fp = NULL;
	if (!terminated(l->feature, sizeof(l->feature)) ||
	    !terminated(l->version, sizeof(l->version)) ||
	    !terminated(l->vendor, sizeof(l->vendor)) ||
	    !terminated(l->key, sizeof(l->key))) {
		conf_err(err, errlen, l->file, l->lineno,
		    "a field is not terminated");
		return -1;
	}

	/* XXX: UPGRADE and PACKAGE lines are not served yet; a feature
	 * that only they name is unknown to clients. */
	if (l->type != CORE_LINE_FEATURE && l->type != CORE_LINE_INCREMENT)
		return 0;

	if (l->feature[0] == '\0') {
		conf_err(err, errlen, l->file, l->lineno,
		    "licence line without a feature name");
		return -1;
	}
	if (l->count < 0) {
		conf_err(err, errlen, l->file, l->lineno,
		    "negative count %d for %s", l->count, l->feature);
		return -1;
	}

	f = core_conf_feature(cf, l->feature);
	if (f == NULL && (f = feature_add(cf, l)) == NULL) {
		conf_err(err, errlen, l->file, l->lineno, "out of memory");
		return -1;
	}

	/* Only the first FEATURE line of a name counts; INCREMENT lines
	 * add to it. */
	if (l->type == CORE_LINE_FEATURE) {
		if (f->seen_feature)
			return 0;
		f->seen_feature = 1;
	}
	*fp = f;
	return 0;
}

/* Splits one "key=value" term of a selector; returns 0 or -1. */
static int
qual_term(const char **sp, char *key, size_t keylen, char *val, size_t vallen)
{
	const char *s = *sp, *eq, *end;
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s;
	while (*end != '\0' && *end != ' ' && *end != '\t')
		end++;
	eq = memchr(s, '=', (size_t)(end - s));
	if (eq == NULL || eq == s)
		return -1;

	n = (size_t)(eq - s);
	if (n >= keylen)
		return -1;
	memcpy(key, s, n);
	key[n] = '\0';
	n = (size_t)(end - eq - 1);
	if (n >= vallen)
		return -1;
	memcpy(val, eq + 1, n);
	val[n] = '\0';

	while (*end == ' ' || *end == '\t')
		end++;
	*sp = end;
	return 0;
}

static int
qual_valid(const char *q)
{
	char key[CORE_KEY_MAX], val[CORE_NAME_MAX * 2];

	while (*q == ' ' || *q == '\t')
		q++;
	if (*q == '\0')
		return 0;
	while (*q != '\0')
		if (qual_term(&q, key, sizeof(key), val, sizeof(val)) == -1)
			return -1;
	return 0;
}

/* Does the licence line satisfy every term of the selector?  "key=" is the
 * licence key, "VERSION=" the version, anything else an attribute. */
static int
qual_match(const char *q, const struct core_line *l)
{
	char key[CORE_KEY_MAX], val[CORE_NAME_MAX * 2];
	const char *have;
	size_t i;

	while (*q != '\0') {
		if (qual_term(&q, key, sizeof(key), val, sizeof(val)) == -1)
			return 0;
		if (strcasecmp(key, "key") == 0) {
			if (strcasecmp(l->key, val) != 0)
				return 0;
			continue;
		}
		if (strcasecmp(key, "version") == 0) {
			if (core_version_cmp(l->version, val) != 0)
				return 0;
			continue;
		}
		have = NULL;
		for (i = 0; i < l->nattrs && i < CORE_LINE_ATTRS_MAX; i++)
			if (strcasecmp(l->attrs[i].key, key) == 0) {
				have = l->attrs[i].value;
				break;
			}
		if (have == NULL || strcmp(have, val) != 0)
			return 0;
	}
	return 1;
}

/* Returns the selector's bit in the feature, adding it if new; -1 when
 * the feature has too many or memory runs out. */
static int
qual_intern(struct core_feature *f, const char *q)
{
	size_t i;

	for (i = 0; i < f->nquals; i++)
		if (strcmp(f->quals[i], q) == 0)
			return (int)i;
	if (f->nquals == CORE_QUALS_MAX)
		return -1;
	f->quals[f->nquals] = strdup(q);
	if (f->quals[f->nquals] == NULL)
		return -1;
	return (int)f->nquals++;
}

static int
is_who_rule(enum core_opt_kind k)
{
	return k == CORE_OPT_INCLUDE || k == CORE_OPT_INCLUDEALL ||
	    k == CORE_OPT_EXCLUDE || k == CORE_OPT_EXCLUDEALL ||
	    k == CORE_OPT_RESERVE || k == CORE_OPT_MAX;
}

static int
compile_rule(struct core_conf *cf, const struct core_options *o,
    const struct core_opt_rule *r, char *err, size_t errlen)
{
	struct core_rule cr;
	struct core_feature *f;
	struct core_rules *list;
	int all;

	if (!terminated(r->feature, sizeof(r->feature)) ||
	    !terminated(r->qualifier, sizeof(r->qualifier)) ||
	    !terminated(r->name, sizeof(r->name))) {
		conf_err(err, errlen, o->path, r->lineno,
		    "a field is not terminated");
		return -1;
	}
	if ((int)r->kind < (int)CORE_OPT_INCLUDE ||
	    (int)r->kind > (int)CORE_OPT_LINGER) {
		conf_err(err, errlen, o->path, r->lineno, "unknown rule %d",
		    (int)r->kind);
		return -1;
	}

	memset(&cr, 0, sizeof(cr));
	cr.kind = r->kind;
	cr.who = r->who;
	cr.count = r->count;
	cr.lineno = r->lineno;
	cr.qbit = -1;
	memcpy(cr.name, r->name, sizeof(cr.name));

	if (is_who_rule(r->kind)) {
		if ((int)r->who <= (int)CORE_WHO_NONE ||
		    (int)r->who > (int)CORE_WHO_PROJECT || r->name[0] == '\0') {
			conf_err(err, errlen, o->path, r->lineno,
			    "rule without a type and name");
			return -1;
		}
		if (r->who == CORE_WHO_GROUP &&
		    (cr.group = core_strmap_get(&cf->ugroups, r->name)) ==
			NULL) {
			conf_err(err, errlen, o->path, r->lineno,
			    "unknown GROUP %s", r->name);
			return -1;
		}
		if (r->who == CORE_WHO_HOST_GROUP &&
		    (cr.group = core_strmap_get(&cf->hgroups, r->name)) ==
			NULL) {
			conf_err(err, errlen, o->path, r->lineno,
			    "unknown HOST_GROUP %s", r->name);
			return -1;
		}
	}
	if ((r->kind == CORE_OPT_RESERVE || r->kind == CORE_OPT_MAX) &&
	    r->count < 0) {
		conf_err(err, errlen, o->path, r->lineno, "negative count %d",
		    r->count);
		return -1;
	}
	if ((r->kind == CORE_OPT_TIMEOUT || r->kind == CORE_OPT_TIMEOUTALL ||
		r->kind == CORE_OPT_LINGER) &&
	    r->seconds < 0) {
		conf_err(err, errlen, o->path, r->lineno, "negative time %d",
		    r->seconds);
		return -1;
	}
	if (qual_valid(r->qualifier) == -1) {
		conf_err(err, errlen, o->path, r->lineno,
		    "bad line selector \"%s\"", r->qualifier);
		return -1;
	}

	all = r->kind == CORE_OPT_INCLUDEALL ||
	    r->kind == CORE_OPT_EXCLUDEALL || r->kind == CORE_OPT_TIMEOUTALL;
	if (all) {
		if (r->kind == CORE_OPT_TIMEOUTALL) {
			cf->timeoutall = r->seconds;
			return 0;
		}
		list = r->kind == CORE_OPT_INCLUDEALL ? &cf->inclall
						      : &cf->exclall;
		if (rules_add(list, &cr) == -1)
			goto nomem;
		return 0;
	}

	if (r->feature[0] == '\0') {
		conf_err(
		    err, errlen, o->path, r->lineno, "rule without a feature");
		return -1;
	}
	/* A rule for a feature that no licence names is accepted and
	 * ignored, as FlexLM does. */
	if ((f = core_conf_feature(cf, r->feature)) == NULL)
		return 0;

	switch (r->kind) {
	case CORE_OPT_TIMEOUT:
		f->timeout = r->seconds;
		f->timeout_set = 1;
		return 0;
	case CORE_OPT_LINGER:
		f->linger = r->seconds;
		return 0;
	case CORE_OPT_INCLUDE:
		list = &f->incl;
		break;
	case CORE_OPT_EXCLUDE:
		list = &f->excl;
		break;
	case CORE_OPT_RESERVE:
		list = &f->res;
		break;
	default:
		list = &f->max;
		break;
	}

	if (r->qualifier[0] != '\0') {
		cr.qbit = qual_intern(f, r->qualifier);
		if (cr.qbit == -1) {
			conf_err(err, errlen, o->path, r->lineno,
			    "more than %d line selectors for %s",
			    CORE_QUALS_MAX, f->name);
			return -1;
		}
	}
	if (rules_add(list, &cr) == -1)
		goto nomem;
	return 0;

nomem:
	conf_err(err, errlen, o->path, r->lineno, "out of memory");
	return -1;
}

/* Puts a serving line in the pool of its feature that has the same
 * version and the same answers to the feature's selectors. */
static int
pool_add_line(struct core_feature *f, const struct core_line *l)
{
	struct core_pool *p = NULL, *v;
	struct core_cline *lv;
	uint64_t mask = 0;
	size_t i, cap;

	for (i = 0; i < f->nquals; i++)
		if (qual_match(f->quals[i], l))
			mask |= (uint64_t)1 << i;

	for (i = 0; i < f->npools; i++)
		if (f->pools[i].qmask == mask &&
		    core_version_cmp(f->pools[i].version, l->version) == 0) {
			p = &f->pools[i];
			break;
		}
	if (p == NULL) {
		if (f->npools == f->poolcap) {
			cap = f->poolcap ? f->poolcap * 2 : 2;
			v = realloc(f->pools, cap * sizeof(*v));
			if (v == NULL)
				return -1;
			f->pools = v;
			f->poolcap = cap;
		}
		p = &f->pools[f->npools++];
		memset(p, 0, sizeof(*p));
		memcpy(p->version, l->version, sizeof(p->version));
		p->qmask = mask;
	}

	if (p->nlines == p->linecap) {
		cap = p->linecap ? p->linecap * 2 : 2;
		lv = realloc(p->lines, cap * sizeof(*lv));
		if (lv == NULL)
			return -1;
		p->lines = lv;
		p->linecap = cap;
	}
	lv = &p->lines[p->nlines++];
	lv->start = l->start;
	lv->expiry = l->expiry;
	lv->uncounted = l->uncounted || l->count == 0;
	lv->count = lv->uncounted ? 0 : l->count;
	if (!lv->uncounted) {
		p->ncounted++;
		f->ncounted++;
	}

	if (f->version[0] == '\0' ||
	    core_version_cmp(l->version, f->version) > 0)
		memcpy(f->version, l->version, sizeof(f->version));
	if (l->expiry != 0 && (f->expiry == 0 || l->expiry < f->expiry))
		f->expiry = l->expiry;
	return 0;
}

/*
 * Builds and checks a whole configuration.  Accepts any number of licence
 * files (lics may be NULL when nlics is 0) and opts NULL.  Refuses, with
 * err set to "file:line: why": negative settings, counts or times, lines
 * without a feature, rules without a type and name, rules naming an unknown
 * GROUP or HOST_GROUP, malformed or too many line selectors.  Returns the
 * configuration or NULL.
 */
struct core_conf *
core_conf_build(const struct core_settings *st,
    const struct core_license_file *lics, size_t nlics,
    const struct core_options *o, uint64_t gen, char *err, size_t errlen)
{
	struct core_conf *cf;
	struct kept_line *kept = NULL, *kv;
	struct core_feature *f;
	size_t i, j, nkept = 0, keptcap = 0;
	int t;

	if (st->min_timeout < 0 || st->resume_grace < 0 || st->max_queue < 0 ||
	    !terminated(st->default_unit, sizeof(st->default_unit))) {
		conf_err(err, errlen, NULL, 0, "invalid core settings");
		return NULL;
	}

	cf = calloc(1, sizeof(*cf));
	if (cf == NULL) {
		conf_err(err, errlen, NULL, 0, "out of memory");
		return NULL;
	}
	cf->gen = gen;
	cf->timeoutall = -1;
	cf->min_timeout = st->min_timeout;

	if (o != NULL) {
		cf->nocase = o->group_case_insensitive;
		if (build_groups(cf, o, err, errlen) == -1)
			goto fail;
	}

	for (i = 0; i < nlics; i++) {
		for (j = 0; j < lics[i].nlines; j++) {
			if (take_line(cf, &lics[i].lines[j], &f, err, errlen) ==
			    -1)
				goto fail;
			if (f == NULL)
				continue;
			if (nkept == keptcap) {
				keptcap = keptcap ? keptcap * 2 : 16;
				kv = realloc(kept, keptcap * sizeof(*kv));
				if (kv == NULL)
					goto nomem;
				kept = kv;
			}
			kept[nkept].f = f;
			kept[nkept].l = &lics[i].lines[j];
			nkept++;
		}
	}

	/* Rules before pools: the selectors they name decide how lines
	 * group into pools. */
	if (o != NULL)
		for (i = 0; i < o->nrules; i++)
			if (compile_rule(cf, o, &o->rules[i], err, errlen) ==
			    -1)
				goto fail;

	for (i = 0; i < nkept; i++)
		if (pool_add_line(kept[i].f, kept[i].l) == -1)
			goto nomem;
	free(kept);
	kept = NULL;

	for (i = 0; i < cf->nfeatures; i++) {
		f = cf->features[i];
		t = f->timeout_set ? f->timeout : cf->timeoutall;
		if (t >= 0 && t < st->min_timeout)
			t = st->min_timeout;
		f->timeout = t > 0 ? t : 0;
	}
	return cf;

nomem:
	conf_err(err, errlen, NULL, 0, "out of memory");
fail:
	free(kept);
	core_conf_free(cf);
	return NULL;
}

/* Seats that the pool's counted lines give at "now". */
int
core_pool_capacity(const struct core_pool *p, int64_t now)
{
	const struct core_cline *l;
	int n = 0;
	size_t i;

	for (i = 0; i < p->nlines; i++) {
		l = &p->lines[i];
		if (l->uncounted || l->start > now)
			continue;
		if (l->expiry != 0 && now >= l->expiry)
			continue;
		n += l->count;
	}
	return n;
}

int
core_rule_applies(const struct core_rule *r, const struct core_pool *p)
{
	if (r->qbit < 0)
		return 1;
	return p != NULL && ((p->qmask >> r->qbit) & 1) != 0;
}

int
core_name_eq(const struct core_conf *cf, const char *a, const char *b)
{
	return cf->nocase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static int
char_eq(char a, char b, int nocase)
{
	if (nocase)
		return tolower((unsigned char)a) == tolower((unsigned char)b);
	return a == b;
}

/* Matches the first plen bytes of p against the first slen bytes of s;
 * '*' is any run, '?' any one byte.  Backtracks only to the last star, so
 * the cost stays linear in practice. */
static int
glob_n(const char *p, size_t plen, const char *s, size_t slen, int nocase)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < slen) {
		if (pi < plen && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < plen &&
		    (p[pi] == '?' || char_eq(p[pi], s[si], nocase))) {
			pi++;
			si++;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return 0;
		}
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

int
core_glob(const char *pattern, const char *s, int nocase)
{
	return glob_n(pattern, strlen(pattern), s, strlen(s), nocase);
}

/* An INTERNET pattern matches an address octet by octet: "10.1.*.*" takes
 * 10.1.0.0/16 and a star never spans a dot. */
int
core_addr_match(const char *pattern, const char *addr)
{
	const char *pe, *ae;

	for (;;) {
		pe = strchr(pattern, '.');
		ae = strchr(addr, '.');
		if (pe == NULL)
			pe = pattern + strlen(pattern);
		if (ae == NULL)
			ae = addr + strlen(addr);
		if (!glob_n(pattern, (size_t)(pe - pattern), addr,
			(size_t)(ae - addr), 1))
			return 0;
		if (*pe == '\0' || *ae == '\0')
			return *pe == *ae;
		pattern = pe + 1;
		addr = ae + 1;
	}
}

static int
in_group(const struct core_conf *cf, const char *group, const char *user)
{
	char key[MEMBER_KEY_MAX], u[CORE_NAME_MAX], g[CORE_NAME_MAX];

	if (cf->nocase) {
		lower_copy(g, sizeof(g), group);
		lower_copy(u, sizeof(u), user);
		snprintf(key, sizeof(key), "%s\037%s", g, u);
	} else {
		snprintf(key, sizeof(key), "%s\037%s", group, user);
	}
	return core_strmap_get(&cf->members, key) != NULL;
}

static int
in_host_group(
    const struct core_conf *cf, const struct core_cgroup *g, const char *host)
{
	size_t i;

	/* XXX: host groups are scanned pattern by pattern; a site with
	 * thousands of host patterns pays for each on every decision. */
	for (i = 0; i < g->nmembers; i++)
		if (core_glob(g->members[i], host, cf->nocase))
			return 1;
	return 0;
}

/* Does the client (or holder) id fall under the rule's TYPE and name? */
int
core_rule_matches(const struct core_conf *cf, const struct core_rule *r,
    const struct core_ident *id)
{
	switch (r->who) {
	case CORE_WHO_USER:
		return core_name_eq(cf, r->name, id->user);
	case CORE_WHO_HOST:
		return core_glob(r->name, id->host, cf->nocase);
	case CORE_WHO_DISPLAY:
		return strcmp(r->name, id->display) == 0;
	case CORE_WHO_GROUP:
		return in_group(cf, r->name, id->user);
	case CORE_WHO_HOST_GROUP:
		return r->group != NULL &&
		    in_host_group(cf, r->group, id->host);
	case CORE_WHO_INTERNET:
		return core_addr_match(r->name, id->address);
	case CORE_WHO_PROJECT:
		return strcmp(r->name, id->project) == 0;
	default:
		return 0;
	}
}

/* The unit of a client: its first GROUP, else the first HOST_GROUP that
 * takes its host, else the site default; NULL when none applies. */
const char *
core_conf_unit(const struct core_conf *cf, const struct core_settings *st,
    const struct core_ident *id)
{
	const struct core_cgroup *g;
	char user[CORE_NAME_MAX];
	size_t i;

	if (cf->nocase)
		lower_copy(user, sizeof(user), id->user);
	else
		snprintf(user, sizeof(user), "%s", id->user);
	if ((g = core_strmap_get(&cf->firstgroup, user)) != NULL)
		return g->name;

	for (i = 0; i < cf->ngroups; i++) {
		g = &cf->groups[i];
		if (g->is_host && in_host_group(cf, g, id->host))
			return g->name;
	}

	if (st->default_unit[0] != '\0')
		return st->default_unit;
	return NULL;
}

/* Reads a run of digits; returns its end. */
static const char *
digits(const char *s)
{
	while (isdigit((unsigned char)*s))
		s++;
	return s;
}

int
core_version_cmp(const char *a, const char *b)
{
	const char *ae, *be;
	size_t al, bl, i;
	char ac, bc;

	a = a != NULL ? a : "";
	b = b != NULL ? b : "";

	/* Whole part: compare as numbers of any length. */
	while (*a == '0')
		a++;
	while (*b == '0')
		b++;
	ae = digits(a);
	be = digits(b);
	al = (size_t)(ae - a);
	bl = (size_t)(be - b);
	if (al != bl)
		return al < bl ? -1 : 1;
	for (i = 0; i < al; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;

	/* Fraction: decimal digits, so "1.10" equals "1.1" and is below
	 * "1.9". */
	a = *ae == '.' ? ae + 1 : ae;
	b = *be == '.' ? be + 1 : be;
	ae = digits(a);
	be = digits(b);
	al = (size_t)(ae - a);
	bl = (size_t)(be - b);
	for (i = 0; i < al || i < bl; i++) {
		ac = i < al ? a[i] : '0';
		bc = i < bl ? b[i] : '0';
		if (ac != bc)
			return ac < bc ? -1 : 1;
	}

	/* Anything after a second dot ("1.2.3") compares the same way. */
	if (*ae == '.' || *be == '.')
		return core_version_cmp(
		    *ae == '.' ? ae + 1 : "", *be == '.' ? be + 1 : "");
	return 0;
}
