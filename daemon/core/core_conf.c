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

	for (i = 0; i < f->npools; i++) {
		free(f->pools[i].lines);
		free(f->pools[i].split);
	}
	free(f->pools);
	for (i = 0; i < f->nquals; i++)
		free(f->quals[i]);
	free(f->incl.v);
	free(f->excl.v);
	free(f->res.v);
	free(f->max.v);
	free(f->incl_borrow.v);
	free(f->excl_borrow.v);
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
		for (j = 0; j < cf->groups[i].nhosts; j++)
			free(cf->groups[i].hosts[j]);
		free(cf->groups[i].hosts);
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
		if (!src->is_host && src->nhosts > 0) {
			g->hosts = calloc(src->nhosts, sizeof(char *));
			if (g->hosts == NULL)
				goto nomem;
		}
		for (j = 0; !src->is_host && j < src->nhosts; j++) {
			if (src->hosts[j] == NULL)
				continue;
			g->hosts[g->nhosts] = strdup(src->hosts[j]);
			if (g->hosts[g->nhosts] == NULL)
				goto nomem;
			g->nhosts++;
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

/*
 * Licence lines as the build works on them: every FEATURE, INCREMENT,
 * UPGRADE and PACKAGE line in file order, then the PACKAGE components
 * appended.  SUPERSEDE, the first-FEATURE rule, UPGRADE and PACKAGE only
 * mark lines dead or move seats here; what is left becomes pools.
 */
struct wline {
	const struct core_line *l; /* dates, attributes, file and line */
	char feature[CORE_NAME_MAX];
	char version[CORE_VERSION_MAX];
	int count;
	int uncounted;
	int dead; /* superseded, a later FEATURE, or a PACKAGE enabler */
	const char *suite; /* SUITE component: the package's name */
	struct core_feature *f;
};

struct wlines {
	struct wline *v;
	size_t n;
	size_t cap;
};

static struct wline *
wline_add(struct wlines *w)
{
	struct wline *v;
	size_t cap;

	if (w->n == w->cap) {
		cap = w->cap ? w->cap * 2 : 16;
		v = realloc(w->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		w->v = v;
		w->cap = cap;
	}
	memset(&w->v[w->n], 0, sizeof(w->v[0]));
	return &w->v[w->n++];
}

static const char *
line_attr(const struct core_line *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->nattrs && i < CORE_LINE_ATTRS_MAX; i++)
		if (strcasecmp(l->attrs[i].key, key) == 0)
			return l->attrs[i].value != NULL ? l->attrs[i].value
							 : "";
	return NULL;
}

/* Reads dd-mmm-yyyy into yyyymmdd, which orders dates as numbers. */
static int
issued_date(const char *s, long *out)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char mon[4];
	int d, y, n, i;

	if (sscanf(s, "%2d-%3[A-Za-z]-%4d%n", &d, mon, &y, &n) != 3 ||
	    s[n] != '\0' || d < 1 || d > 31)
		return -1;
	for (i = 0; i < 3; i++)
		mon[i] = (char)tolower((unsigned char)mon[i]);
	for (i = 0; i < 12; i++)
		if (strncmp(months + 3 * i, mon, 3) == 0)
			break;
	if (i == 12)
		return -1;
	*out = (long)y * 10000 + (i + 1) * 100 + d;
	return 0;
}

/* The ISSUED date of a line, 0 when it has none (older than any). */
static int
line_issued(const struct core_line *l, long *out, char *err, size_t errlen)
{
	const char *v = line_attr(l, "ISSUED");

	*out = 0;
	if (v == NULL)
		return 0;
	if (issued_date(v, out) == -1) {
		conf_err(err, errlen, l->file, l->lineno,
		    "ISSUED=%s is not a date dd-mmm-yyyy", v);
		return -1;
	}
	return 0;
}

/* Is name one of the blank-separated words of list? */
static int
word_in(const char *list, const char *name)
{
	size_t n = strlen(name), k;

	for (;;) {
		list += strspn(list, " \t,");
		if (*list == '\0')
			return 0;
		k = strcspn(list, " \t,");
		if (k == n && strncmp(list, name, n) == 0)
			return 1;
		list += k;
	}
}

static int
check_line(const struct core_line *l, char *err, size_t errlen)
{
	if (!terminated(l->feature, sizeof(l->feature)) ||
	    !terminated(l->version, sizeof(l->version)) ||
	    !terminated(l->from_version, sizeof(l->from_version)) ||
	    !terminated(l->vendor, sizeof(l->vendor)) ||
	    !terminated(l->key, sizeof(l->key)) ||
	    !terminated(l->file, sizeof(l->file))) {
		conf_err(err, errlen, l->file, l->lineno,
		    "a field is not terminated");
		return -1;
	}
	if ((int)l->type < (int)CORE_LINE_FEATURE ||
	    (int)l->type > (int)CORE_LINE_PACKAGE) {
		conf_err(err, errlen, l->file, l->lineno,
		    "unknown line type %d", (int)l->type);
		return -1;
	}
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
	return 0;
}

/*
 * SUPERSEDE[="f1 f2 ..."]: the line replaces every earlier line of the
 * listed features (its own by default) of the same vendor whose ISSUED
 * date is older.  The superseding line must carry ISSUED itself.
 */
static int
apply_supersede(struct wlines *w, char *err, size_t errlen)
{
	const struct core_line *l, *o;
	const char *list;
	long mine, theirs;
	size_t i, j;

	for (i = 0; i < w->n; i++) {
		l = w->v[i].l;
		if ((list = line_attr(l, "SUPERSEDE")) == NULL)
			continue;
		if (line_issued(l, &mine, err, errlen) == -1)
			return -1;
		if (mine == 0) {
			conf_err(err, errlen, l->file, l->lineno,
			    "SUPERSEDE on %s needs ISSUED=dd-mmm-yyyy",
			    l->feature);
			return -1;
		}
		for (j = 0; j < i; j++) {
			o = w->v[j].l;
			if (strcmp(o->vendor, l->vendor) != 0)
				continue;
			if (list[0] == '\0'
				? strcmp(o->feature, l->feature) != 0
				: !word_in(list, o->feature))
				continue;
			if (line_issued(o, &theirs, err, errlen) == -1)
				return -1;
			if (theirs < mine)
				w->v[j].dead = 1;
		}
	}
	return 0;
}

/* Only the first FEATURE line of a name counts; INCREMENT lines add. */
static int
apply_first_feature(struct wlines *w)
{
	struct core_strmap seen;
	size_t i;
	int rc = 0;

	memset(&seen, 0, sizeof(seen));
	for (i = 0; i < w->n; i++) {
		if (w->v[i].dead || w->v[i].l->type != CORE_LINE_FEATURE)
			continue;
		if (core_strmap_get(&seen, w->v[i].feature) != NULL) {
			w->v[i].dead = 1;
			continue;
		}
		if (core_strmap_put(&seen, w->v[i].feature, &w->v[i]) == -1) {
			rc = -1;
			break;
		}
	}
	core_strmap_free(&seen);
	return rc;
}

/*
 * UPGRADE name vendor from to expiry count: takes count seats from the
 * nearest earlier line of the feature whose version lies in [from, to)
 * and serves them at version to.  An UPGRADE that finds no such line is
 * an error, as it would silently grant nothing.
 */
static int
apply_upgrade(struct wlines *w, char *err, size_t errlen)
{
	struct wline *u, *o;
	size_t i, j;
	int moved;

	for (i = 0; i < w->n; i++) {
		u = &w->v[i];
		if (u->dead || u->l->type != CORE_LINE_UPGRADE)
			continue;
		if (core_version_cmp(u->l->from_version, u->version) >= 0) {
			conf_err(err, errlen, u->l->file, u->l->lineno,
			    "UPGRADE of %s from %s to %s does not go up",
			    u->feature, u->l->from_version, u->version);
			return -1;
		}
		o = NULL;
		for (j = i; j-- > 0;) {
			o = &w->v[j];
			if (!o->dead && o->l->type != CORE_LINE_PACKAGE &&
			    strcmp(o->feature, u->feature) == 0 &&
			    strcmp(o->l->vendor, u->l->vendor) == 0 &&
			    !o->uncounted && o->count > 0 &&
			    core_version_cmp(o->version, u->l->from_version) >=
				0 &&
			    core_version_cmp(o->version, u->version) < 0)
				break;
			o = NULL;
		}
		if (o == NULL) {
			conf_err(err, errlen, u->l->file, u->l->lineno,
			    "UPGRADE of %s finds no earlier line of a version "
			    "from %s up to %s with seats",
			    u->feature, u->l->from_version, u->version);
			return -1;
		}
		moved =
		    u->uncounted || u->count > o->count ? o->count : u->count;
		o->count -= moved;
		u->count = moved;
		u->uncounted = 0;
	}
	return 0;
}

/* One "feature[:version[:count]]" of COMPONENTS, checked. */
static int
component_parse(const char *s, size_t len, char *name, char *version, int *n)
{
	const char *c1, *c2, *end = s + len;
	size_t k;
	long v;
	char *e, num[16];

	c1 = memchr(s, ':', len);
	k = (size_t)((c1 != NULL ? c1 : end) - s);
	if (k == 0 || k >= CORE_NAME_MAX)
		return -1;
	memcpy(name, s, k);
	name[k] = '\0';
	version[0] = '\0';
	*n = 1;
	if (c1 == NULL)
		return 0;

	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	k = (size_t)((c2 != NULL ? c2 : end) - c1 - 1);
	if (k >= CORE_VERSION_MAX || (k > 0 && !isdigit((unsigned char)c1[1])))
		return -1;
	memcpy(version, c1 + 1, k);
	version[k] = '\0';
	if (c2 == NULL)
		return 0;

	k = (size_t)(end - c2 - 1);
	if (k == 0 || k >= sizeof(num))
		return -1;
	memcpy(num, c2 + 1, k);
	num[k] = '\0';
	v = strtol(num, &e, 10);
	if (*e != '\0' || !isdigit((unsigned char)num[0]) || v < 1 ||
	    v > 1000000)
		return -1;
	*n = (int)v;
	return 0;
}

/*
 * PACKAGE name vendor [version] COMPONENTS="f[:v[:n]] ..." [OPTIONS=SUITE]:
 * each FEATURE/INCREMENT/UPGRADE line named like the package enables the
 * components, n times its count, at version v (default: the package's,
 * else the enabling line's).  Without SUITE the enabling line only
 * enables; with it, it stays and serves the suite seat.  Only the first
 * PACKAGE of a name counts.
 */
static int
apply_packages(struct wlines *w, char *err, size_t errlen)
{
	char name[CORE_NAME_MAX], ver[CORE_VERSION_MAX];
	const struct core_line *p;
	const char *comps, *opts, *s;
	struct wline *e, *nw;
	size_t i, j, n0, len;
	long total;
	int suite, n;

	n0 = w->n;
	for (i = 0; i < n0; i++) {
		p = w->v[i].l;
		if (w->v[i].dead || p->type != CORE_LINE_PACKAGE)
			continue;
		for (j = 0; j < i; j++)
			if (!w->v[j].dead &&
			    w->v[j].l->type == CORE_LINE_PACKAGE &&
			    strcmp(w->v[j].feature, p->feature) == 0)
				break;
		if (j < i)
			continue;
		comps = line_attr(p, "COMPONENTS");
		if (comps == NULL || comps[strspn(comps, " \t")] == '\0') {
			conf_err(err, errlen, p->file, p->lineno,
			    "PACKAGE %s without COMPONENTS", p->feature);
			return -1;
		}
		opts = line_attr(p, "OPTIONS");
		suite = opts != NULL && strcasecmp(opts, "SUITE") == 0;

		for (j = 0; j < n0; j++) {
			if (w->v[j].dead ||
			    w->v[j].l->type == CORE_LINE_PACKAGE ||
			    strcmp(w->v[j].feature, p->feature) != 0 ||
			    strcmp(w->v[j].l->vendor, p->vendor) != 0)
				continue;
			if (!suite)
				w->v[j].dead = 1;
			for (s = comps;;) {
				s += strspn(s, " \t");
				if (*s == '\0')
					break;
				len = strcspn(s, " \t");
				if (component_parse(s, len, name, ver, &n) ==
				    -1) {
					conf_err(err, errlen, p->file,
					    p->lineno,
					    "bad component \"%.*s\" of PACKAGE "
					    "%s (expected feature[:version"
					    "[:count]])",
					    (int)(len > 64 ? 64 : len), s,
					    p->feature);
					return -1;
				}
				s += len;
				if ((nw = wline_add(w)) == NULL)
					goto nomem;
				/* w->v may have moved. */
				e = &w->v[j];
				total = (long)e->count * n;
				if (total > 1000000000L) {
					conf_err(err, errlen, p->file,
					    p->lineno,
					    "component %s of PACKAGE %s has "
					    "too many seats",
					    name, p->feature);
					return -1;
				}
				nw->l = e->l;
				memcpy(nw->feature, name, sizeof(nw->feature));
				if (ver[0] != '\0')
					memcpy(nw->version, ver,
					    sizeof(nw->version));
				else if (p->version[0] != '\0')
					memcpy(nw->version, p->version,
					    sizeof(nw->version));
				else
					memcpy(nw->version, e->version,
					    sizeof(nw->version));
				nw->count = (int)total;
				nw->uncounted = e->uncounted;
				nw->suite = suite ? p->feature : NULL;
			}
		}
	}
	return 0;

nomem:
	conf_err(err, errlen, NULL, 0, "out of memory");
	return -1;
}

static struct core_feature *
feature_add(struct core_conf *cf, const struct wline *l)
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
	snprintf(f->vendor, sizeof(f->vendor), "%s", l->l->vendor);
	f->index = cf->nfeatures;
	f->max_overdraft = -1;
	f->max_borrow_hours = -1;
	if (core_strmap_put(&cf->fmap, f->name, f) == -1) {
		free(f);
		return NULL;
	}
	cf->features[cf->nfeatures++] = f;
	return f;
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
	    k == CORE_OPT_RESERVE || k == CORE_OPT_MAX ||
	    k == CORE_OPT_INCLUDE_BORROW || k == CORE_OPT_EXCLUDE_BORROW;
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
	    (int)r->kind > (int)CORE_OPT_EXCLUDE_BORROW) {
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
	if ((r->kind == CORE_OPT_RESERVE || r->kind == CORE_OPT_MAX ||
		r->kind == CORE_OPT_MAX_OVERDRAFT ||
		r->kind == CORE_OPT_MAX_BORROW_HOURS ||
		r->kind == CORE_OPT_BORROW_LOWWATER) &&
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
	case CORE_OPT_MAX_OVERDRAFT:
		f->max_overdraft = r->count;
		return 0;
	case CORE_OPT_MAX_BORROW_HOURS:
		/* XXX: a line selector on MAX_BORROW_HOURS or
		 * BORROW_LOWWATER is ignored: the limit holds for the
		 * whole feature. */
		f->max_borrow_hours = r->count;
		return 0;
	case CORE_OPT_BORROW_LOWWATER:
		f->borrow_lowwater = r->count;
		return 0;
	case CORE_OPT_INCLUDE_BORROW:
		list = &f->incl_borrow;
		break;
	case CORE_OPT_EXCLUDE_BORROW:
		list = &f->excl_borrow;
		break;
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

static int
dup_parse(const char *v, int *out)
{
	*out = 0;
	if (strcasecmp(v, "NONE") == 0)
		return 0;
	if (strcasecmp(v, "SITE") == 0) {
		*out = CORE_DUP_SITE;
		return 0;
	}
	if (*v == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		switch (toupper((unsigned char)*v)) {
		case 'U':
			*out |= CORE_DUP_USER;
			break;
		case 'H':
			*out |= CORE_DUP_HOST;
			break;
		case 'D':
			*out |= CORE_DUP_DISPLAY;
			break;
		case 'V':
			*out |= CORE_DUP_VENDOR;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* USER_BASED[=n] and HOST_BASED[=n]: -1 absent, 0 without n. */
static int
based_parse(const struct core_line *l, const char *key, int *out)
{
	const char *v = line_attr(l, key);
	char *e;
	long n;

	*out = -1;
	if (v == NULL)
		return 0;
	if (*v == '\0') {
		*out = 0;
		return 0;
	}
	n = strtol(v, &e, 10);
	if (*e != '\0' || !isdigit((unsigned char)*v) || n < 1 || n > 1000000)
		return -1;
	*out = (int)n;
	return 0;
}

/* A number attribute key=n of the line in [min, max]: 0 when absent
 * (*out untouched), 1 when read, -1 when not such a number. */
static int
attr_int(
    const struct core_line *l, const char *key, long min, long max, int *out)
{
	const char *v = line_attr(l, key);
	char *e;
	long n;

	if (v == NULL)
		return 0;
	n = strtol(v, &e, 10);
	if (*e != '\0' || !isdigit((unsigned char)*v) || n < min || n > max)
		return -1;
	*out = (int)n;
	return 1;
}

/*
 * The sentinel attributes of a line: SHARE=none|user|host|display|id
 * (DUP_GROUP NONE, U, H, D or V), SHARE_LIMIT=n, LEASE=s, HOLD=s and
 * COMMUTER=days (BORROW=days*24).  Returns 0, or -1 with err set.
 */
static int
line_sentinel(const struct core_line *l, int has_dup, int *dup,
    int *share_limit, int *lease, int *hold, int *borrow_hours, char *err,
    size_t errlen)
{
	static const struct {
		const char *name;
		int bits;
	} shares[] = {{"none", 0}, {"user", CORE_DUP_USER},
	    {"host", CORE_DUP_HOST}, {"display", CORE_DUP_DISPLAY},
	    {"id", CORE_DUP_VENDOR}};
	const char *v;
	size_t i;
	int days = 0;

	if ((v = line_attr(l, "SHARE")) != NULL) {
		for (i = 0; i < sizeof(shares) / sizeof(shares[0]); i++)
			if (strcasecmp(v, shares[i].name) == 0)
				break;
		if (i == sizeof(shares) / sizeof(shares[0])) {
			conf_err(err, errlen, l->file, l->lineno,
			    "SHARE=%.40s is not none, user, host, display or "
			    "id",
			    v);
			return -1;
		}
		if (has_dup) {
			conf_err(err, errlen, l->file, l->lineno,
			    "a line cannot have both SHARE= and DUP_GROUP=");
			return -1;
		}
		*dup = shares[i].bits;
	}
	if (attr_int(l, "SHARE_LIMIT", 1, 1000000, share_limit) == -1 ||
	    attr_int(l, "LEASE", 1, 86400 * 30, lease) == -1 ||
	    attr_int(l, "HOLD", 0, 86400 * 30, hold) == -1 ||
	    attr_int(l, "COMMUTER", 1, 3650, &days) == -1) {
		conf_err(err, errlen, l->file, l->lineno,
		    "SHARE_LIMIT=, LEASE=, HOLD= and COMMUTER= take a number "
		    "(SHARE_LIMIT 1 or more; LEASE and HOLD seconds up to 30 "
		    "days; COMMUTER 1 to 3650 days)");
		return -1;
	}
	if (*share_limit > 0 && *dup == 0) {
		conf_err(err, errlen, l->file, l->lineno,
		    "SHARE_LIMIT= needs SHARE= or DUP_GROUP=");
		return -1;
	}
	if (days > 0) {
		if (*borrow_hours >= 0) {
			conf_err(err, errlen, l->file, l->lineno,
			    "a line cannot have both COMMUTER= and BORROW");
			return -1;
		}
		*borrow_hours = days * 24;
	}
	return 0;
}

/* What a line says about sharing and naming, checked. */
struct line_split {
	int dup;
	int share_limit;
	int lease;
	int hold;
	int borrow_hours;
	int user_based;
	int host_based;
	int overdraft;
	char *key; /* malloc'd */
};

static int
line_split(
    const struct wline *wl, struct line_split *sp, char *err, size_t errlen)
{
	static const char *const keys[] = {"BORROW", "HOSTID", "USER_BASED",
	    "HOST_BASED", "VENDOR_STRING", "SHARE", "SHARE_LIMIT", "LEASE",
	    "HOLD", "COMMUTER"};
	const struct core_line *l = wl->l;
	const char *v, *dg;
	size_t i, len;
	char *e;
	long n;

	memset(sp, 0, sizeof(*sp));
	dg = line_attr(l, "DUP_GROUP");
	if (dg == NULL)
		dg = line_attr(l, "DUPLICATE_GROUPING");
	if (dg != NULL && dup_parse(dg, &sp->dup) == -1) {
		conf_err(err, errlen, l->file, l->lineno,
		    "DUP_GROUP=%.40s is not NONE, SITE or letters of UHDV", dg);
		return -1;
	}
	if (based_parse(l, "USER_BASED", &sp->user_based) == -1 ||
	    based_parse(l, "HOST_BASED", &sp->host_based) == -1) {
		conf_err(err, errlen, l->file, l->lineno,
		    "USER_BASED= and HOST_BASED= take a count of at least 1");
		return -1;
	}
	if (sp->user_based >= 0 && sp->host_based >= 0) {
		conf_err(err, errlen, l->file, l->lineno,
		    "a line cannot be both USER_BASED and HOST_BASED");
		return -1;
	}
	/* A named user (host) holds one seat however often it checks
	 * out, unless DUP_GROUP says otherwise. */
	if (dg == NULL && sp->user_based >= 0)
		sp->dup = CORE_DUP_USER;
	if (dg == NULL && sp->host_based >= 0)
		sp->dup = CORE_DUP_HOST;
	/* BORROW alone means FlexLM's default period, 168 hours. */
	sp->borrow_hours = -1;
	if ((v = line_attr(l, "BORROW")) != NULL) {
		n = *v == '\0' ? 168 : strtol(v, &e, 10);
		if (*v != '\0' &&
		    (*e != '\0' || !isdigit((unsigned char)*v) || n < 1 ||
			n > 1000000)) {
			conf_err(err, errlen, l->file, l->lineno,
			    "BORROW=%.40s is not a number of hours", v);
			return -1;
		}
		sp->borrow_hours = (int)n;
	}
	if (line_sentinel(l, dg != NULL, &sp->dup, &sp->share_limit, &sp->lease,
		&sp->hold, &sp->borrow_hours, err, errlen) == -1)
		return -1;
	if ((v = line_attr(l, "OVERDRAFT")) != NULL) {
		n = strtol(v, &e, 10);
		if (*e != '\0' || !isdigit((unsigned char)*v) || n < 0 ||
		    n > 1000000) {
			conf_err(err, errlen, l->file, l->lineno,
			    "OVERDRAFT=%.40s is not a count", v);
			return -1;
		}
		sp->overdraft = (int)n;
	}

	/* The number, then per attribute its separator and its value or
	 * the absence mark. */
	len = 16 + 2 * sizeof(keys) / sizeof(keys[0]);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((v = line_attr(l, keys[i])) != NULL)
			len += strlen(v);
	sp->key = malloc(len);
	if (sp->key == NULL) {
		conf_err(err, errlen, NULL, 0, "out of memory");
		return -1;
	}
	len = (size_t)snprintf(sp->key, 16, "%d", sp->dup);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = line_attr(l, keys[i]);
		/* \037 keeps "a" + "bc" apart from "ab" + "c"; \036 marks
		 * an absent attribute apart from an empty one. */
		sp->key[len++] = '\037';
		if (v == NULL) {
			sp->key[len++] = '\036';
			continue;
		}
		memcpy(sp->key + len, v, strlen(v));
		len += strlen(v);
	}
	sp->key[len] = '\0';
	return 0;
}

/* Puts a serving line in the pool of its feature that has the same
 * version, the same answers to the feature's selectors and the same
 * splitting attributes.  file is the interned file name. */
static int
pool_add_line(struct core_feature *f, const struct wline *wl, const char *file,
    char *err, size_t errlen)
{
	const struct core_line *l = wl->l;
	struct core_pool *p = NULL, *v;
	struct core_cline *lv;
	struct line_split sp;
	struct core_line probe;
	uint64_t mask = 0;
	size_t i, cap;

	if (line_split(wl, &sp, err, errlen) == -1)
		return -1;

	/* Selectors see the version the line serves at (an UPGRADE's or a
	 * component's), not the one written. */
	if (f->nquals > 0) {
		probe = *l;
		memcpy(probe.version, wl->version, sizeof(probe.version));
		for (i = 0; i < f->nquals; i++)
			if (qual_match(f->quals[i], &probe))
				mask |= (uint64_t)1 << i;
	}

	for (i = 0; i < f->npools; i++)
		if (f->pools[i].qmask == mask &&
		    strcmp(f->pools[i].split, sp.key) == 0 &&
		    core_version_cmp(f->pools[i].version, wl->version) == 0) {
			p = &f->pools[i];
			break;
		}
	if (p == NULL) {
		if (f->npools == f->poolcap) {
			cap = f->poolcap ? f->poolcap * 2 : 2;
			v = realloc(f->pools, cap * sizeof(*v));
			if (v == NULL)
				goto nomem;
			f->pools = v;
			f->poolcap = cap;
		}
		p = &f->pools[f->npools++];
		memset(p, 0, sizeof(*p));
		memcpy(p->version, wl->version, sizeof(p->version));
		p->qmask = mask;
		p->split = sp.key;
		sp.key = NULL;
		p->dup = sp.dup;
		p->user_based = sp.user_based;
		p->host_based = sp.host_based;
		p->borrow_hours = sp.borrow_hours;
		p->share_limit = sp.share_limit;
		p->lease = sp.lease;
		p->hold = sp.hold;
	}
	free(sp.key);

	if (p->nlines == p->linecap) {
		cap = p->linecap ? p->linecap * 2 : 2;
		lv = realloc(p->lines, cap * sizeof(*lv));
		if (lv == NULL)
			goto nomem;
		p->lines = lv;
		p->linecap = cap;
	}
	lv = &p->lines[p->nlines++];
	memset(lv, 0, sizeof(*lv));
	lv->start = l->start;
	lv->expiry = l->expiry;
	lv->uncounted = wl->uncounted || wl->count == 0;
	lv->count = lv->uncounted ? 0 : wl->count;
	lv->overdraft = lv->uncounted ? 0 : sp.overdraft;
	lv->file = file;
	lv->lineno = l->lineno;
	if (!lv->uncounted) {
		p->ncounted++;
		f->ncounted++;
	}

	if (f->version[0] == '\0' ||
	    core_version_cmp(wl->version, f->version) > 0)
		memcpy(f->version, wl->version, sizeof(f->version));
	if (l->expiry != 0 && (f->expiry == 0 || l->expiry < f->expiry))
		f->expiry = l->expiry;
	return 0;

nomem:
	free(sp.key);
	conf_err(err, errlen, NULL, 0, "out of memory");
	return -1;
}

/* Counts the distinct users (hosts) that the feature's INCLUDE rules
 * name for pool p; GROUP members count one each. */
static int
based_named(const struct core_feature *f, const struct core_pool *p, int hosts,
    int *lineno)
{
	const struct core_rule *r;
	size_t i, j, k;
	int n = 0, dup;

	for (i = 0; i < f->incl.n; i++) {
		r = &f->incl.v[i];
		if (!core_rule_applies(r, p))
			continue;
		if (r->who == (hosts ? CORE_WHO_HOST : CORE_WHO_USER)) {
			dup = 0;
			for (k = 0; k < i && !dup; k++)
				dup = f->incl.v[k].who == r->who &&
				    strcmp(f->incl.v[k].name, r->name) == 0 &&
				    core_rule_applies(&f->incl.v[k], p);
			if (!dup)
				n++;
		} else if (r->who ==
			(hosts ? CORE_WHO_HOST_GROUP : CORE_WHO_GROUP) &&
		    r->group != NULL) {
			/* XXX: a name listed both alone and in a GROUP
			 * counts twice here. */
			for (j = 0; j < r->group->nmembers; j++)
				n++;
		} else {
			continue;
		}
		*lineno = r->lineno;
	}
	return n;
}

/* USER_BASED=n (HOST_BASED=n): INCLUDE may name at most n users (hosts),
 * n being the line's count when not given. */
static int
check_based(const struct core_conf *cf, const struct core_options *o, char *err,
    size_t errlen)
{
	const struct core_feature *f;
	const struct core_pool *p;
	size_t i, j, k;
	int limit, named, lineno, hosts, seats;

	for (i = 0; i < cf->nfeatures; i++) {
		f = cf->features[i];
		for (j = 0; j < f->npools; j++) {
			p = &f->pools[j];
			if (p->user_based < 0 && p->host_based < 0)
				continue;
			hosts = p->host_based >= 0;
			limit = hosts ? p->host_based : p->user_based;
			if (limit == 0) {
				for (seats = 0, k = 0; k < p->nlines; k++)
					seats += p->lines[k].count;
				limit = seats;
			}
			lineno = 0;
			named = based_named(f, p, hosts, &lineno);
			if (named <= limit)
				continue;
			conf_err(err, errlen, o != NULL ? o->path : NULL,
			    lineno,
			    "INCLUDE names %d %s for %s, but its line %s:%d "
			    "is %s=%d",
			    named, hosts ? "hosts" : "users", f->name,
			    p->lines[0].file, p->lines[0].lineno,
			    hosts ? "HOST_BASED" : "USER_BASED", limit);
			return -1;
		}
	}
	return 0;
}

/*
 * Builds and checks a whole configuration.  Accepts any number of licence
 * files (lics may be NULL when nlics is 0) and opts NULL.  Refuses, with
 * err set to "file:line: why": negative settings, counts or times, lines
 * without a feature, SUPERSEDE without ISSUED, an UPGRADE with nothing to
 * upgrade, bad PACKAGE components, bad DUP_GROUP, USER_BASED, HOST_BASED,
 * OVERDRAFT or BORROW values, INCLUDE lists longer than USER_BASED/HOST_BASED
 * allow, rules without a type and name, rules naming an unknown GROUP or
 * HOST_GROUP, malformed or too many line selectors.  Returns the
 * configuration or NULL.
 */
struct core_conf *
core_conf_build(const struct core_settings *st,
    const struct core_license_file *lics, size_t nlics,
    const struct core_options *o, uint64_t gen, char *err, size_t errlen)
{
	struct core_conf *cf;
	struct wlines w;
	struct wline *wl;
	struct core_feature *f;
	const struct core_line *l;
	const char *file = NULL, *lastfile = NULL;
	size_t i, j;
	int t;

	memset(&w, 0, sizeof(w));
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
			l = &lics[i].lines[j];
			if (check_line(l, err, errlen) == -1)
				goto fail;
			if ((wl = wline_add(&w)) == NULL)
				goto nomem;
			wl->l = l;
			memcpy(wl->feature, l->feature, sizeof(wl->feature));
			memcpy(wl->version, l->version, sizeof(wl->version));
			wl->count = l->count;
			wl->uncounted = l->uncounted || l->count == 0;
		}
	}
	if (apply_supersede(&w, err, errlen) == -1)
		goto fail;
	if (apply_first_feature(&w) == -1)
		goto nomem;
	if (apply_upgrade(&w, err, errlen) == -1 ||
	    apply_packages(&w, err, errlen) == -1)
		goto fail;

	for (i = 0; i < w.n; i++) {
		wl = &w.v[i];
		if (wl->dead || wl->l->type == CORE_LINE_PACKAGE)
			continue;
		f = core_conf_feature(cf, wl->feature);
		if (f == NULL && (f = feature_add(cf, wl)) == NULL)
			goto nomem;
		wl->f = f;
	}

	/* Rules before pools: the selectors they name decide how lines
	 * group into pools. */
	if (o != NULL)
		for (i = 0; i < o->nrules; i++)
			if (compile_rule(cf, o, &o->rules[i], err, errlen) ==
			    -1)
				goto fail;

	for (i = 0; i < w.n; i++) {
		wl = &w.v[i];
		if (wl->f == NULL)
			continue;
		if (lastfile == NULL || strcmp(lastfile, wl->l->file) != 0) {
			if ((file = conf_key(cf, wl->l->file)) == NULL)
				goto nomem;
			lastfile = file;
		}
		if (pool_add_line(wl->f, wl, file, err, errlen) == -1)
			goto fail;
		if (wl->suite != NULL && strcmp(wl->suite, wl->feature) != 0)
			wl->f->suite = core_conf_feature(cf, wl->suite);
	}
	free(w.v);
	w.v = NULL;

	if (check_based(cf, o, err, errlen) == -1)
		goto fail;

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
	free(w.v);
	core_conf_free(cf);
	return NULL;
}

/* Whether a counted line serves at "now": started and not expired. */
static int
cline_serves(const struct core_cline *l, int64_t now)
{
	return !l->uncounted && l->start <= now &&
	    (l->expiry == 0 || now < l->expiry);
}

/* Seats that the pool's counted lines give at "now". */
int
core_pool_capacity(const struct core_pool *p, int64_t now)
{
	int n = 0;
	size_t i;

	for (i = 0; i < p->nlines; i++)
		if (cline_serves(&p->lines[i], now))
			n += p->lines[i].count;
	return n;
}

/* Seats past the count that the pool's lines in date allow (OVERDRAFT),
 * before the feature's MAX_OVERDRAFT cuts them. */
int
core_pool_overdraft(const struct core_pool *p, int64_t now)
{
	int n = 0;
	size_t i;

	for (i = 0; i < p->nlines; i++)
		if (cline_serves(&p->lines[i], now))
			n += p->lines[i].overdraft;
	return n;
}

/* The overdraft of the whole feature: its pools' together, at most its
 * MAX_OVERDRAFT. */
int
core_feature_overdraft(const struct core_feature *f, int64_t now)
{
	size_t i;
	int n = 0;

	for (i = 0; i < f->npools; i++)
		n += core_pool_overdraft(&f->pools[i], now);
	if (f->max_overdraft >= 0 && n > f->max_overdraft)
		n = f->max_overdraft;
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

/* Does host match the HOST_GROUP's members, or the GROUP's hosts? */
static int
in_host_group(
    const struct core_conf *cf, const struct core_cgroup *g, const char *host)
{
	char *const *v = g->is_host ? g->members : g->hosts;
	size_t i, n = g->is_host ? g->nmembers : g->nhosts;

	/* XXX: host groups are scanned pattern by pattern; a site with
	 * thousands of host patterns pays for each on every decision. */
	for (i = 0; i < n; i++)
		if (core_glob(v[i], host, cf->nocase))
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
		return in_group(cf, r->name, id->user) ||
		    (r->group != NULL && r->group->nhosts > 0 &&
			in_host_group(cf, r->group, id->host));
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

/* The unit of a client: its first GROUP, else the first HOST_GROUP (or
 * GROUP with hosts) that takes its host, else the site default; NULL when
 * none applies. */
const char *
core_conf_unit(const struct core_conf *cf, const struct core_settings *st,
    const struct core_ident *id)
{
	const struct core_cgroup *g;
	char user[CORE_NAME_MAX];
	size_t i;

	if (cf->nocase)
		lower_copy(user, sizeof(user), id->user);
	else {
		/* snprintf("%s") by hand: this runs for every checkout. */
		i = strnlen(id->user, sizeof(user) - 1);
		memcpy(user, id->user, i);
		user[i] = '\0';
	}
	if ((g = core_strmap_get(&cf->firstgroup, user)) != NULL)
		return g->name;

	for (i = 0; i < cf->ngroups; i++) {
		g = &cf->groups[i];
		if ((g->is_host || g->nhosts > 0) &&
		    in_host_group(cf, g, id->host))
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
