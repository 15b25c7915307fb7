/*
 * The fixture of the core's unit tests (test_core*.c), included by each of
 * them: a sink that records every event, licence lines, groups and options
 * rules built as structs (not through the parsers), clients, checkouts and
 * what the core reports back.  Each test file is its own executable, so
 * everything here is static; static inline keeps a file that uses only
 * some of it free of unused-function warnings.
 */
#ifndef LICD_TESTS_CORE_FIXTURE_H
#define LICD_TESTS_CORE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/core/core.h"

#define T0 1700000000000LL /* an arbitrary "now", ms */
#define SEC 1000LL
#define DAY (86400 * SEC)

#define MAX_EVENTS 4096
#define MAX_LINES 32
#define MAX_GROUPS 16
#define MAX_MEMBERS 16
#define MAX_RULES 32

struct rec {
	struct core_event ev;
	struct core_grant_info gi;
};

struct fx {
	struct core *c;
	struct core_settings st;
	struct rec ev[MAX_EVENTS];
	size_t nev;

	struct core_license_file lic;
	struct core_line lines[MAX_LINES];

	struct core_options opt;
	struct core_group groups[MAX_GROUPS];
	char mstore[MAX_GROUPS][MAX_MEMBERS][CORE_NAME_MAX];
	char *mptr[MAX_GROUPS][MAX_MEMBERS];
	struct core_opt_rule rules[MAX_RULES];
	char err[512];
};

static inline void
sink(void *arg, const struct core_event *ev)
{
	struct fx *fx = arg;
	struct rec *r;

	assert_true(fx->nev < MAX_EVENTS);
	r = &fx->ev[fx->nev++];
	r->ev = *ev;
	assert_non_null(ev->grant);
	r->gi = *ev->grant;
	r->ev.grant = &r->gi;
}

/*
 * A fixture with the core's default settings and no core yet: a test file
 * that wants other settings than setup()'s sets fx->st, then fx_start().
 */
static inline struct fx *
fx_alloc(void)
{
	struct fx *fx;

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	core_settings_default(&fx->st);
	snprintf(fx->lic.path, sizeof(fx->lic.path), "test.lic");
	fx->lic.lines = fx->lines;
	snprintf(fx->opt.path, sizeof(fx->opt.path), "test.opt");
	fx->opt.groups = fx->groups;
	fx->opt.rules = fx->rules;
	return fx;
}

static inline int
fx_start(struct fx *fx, void **state)
{
	fx->c = core_new(&fx->st, sink, fx);
	assert_non_null(fx->c);
	*state = fx;
	return 0;
}

static inline int
setup(void **state)
{
	struct fx *fx = fx_alloc();

	fx->st.min_timeout = 900;
	fx->st.resume_grace = 120;
	fx->st.max_queue = 10;
	snprintf(fx->st.default_unit, sizeof(fx->st.default_unit), "other");
	return fx_start(fx, state);
}

static inline int
teardown(void **state)
{
	struct fx *fx = *state;

	core_free(fx->c);
	free(fx);
	return 0;
}

static inline struct core_line *
line(struct fx *fx, enum core_line_type type, const char *feature,
    const char *version, int count)
{
	struct core_line *l;

	assert_true(fx->lic.nlines < MAX_LINES);
	l = &fx->lines[fx->lic.nlines++];
	memset(l, 0, sizeof(*l));
	l->type = type;
	snprintf(l->feature, sizeof(l->feature), "%s", feature);
	snprintf(l->vendor, sizeof(l->vendor), "VEND");
	snprintf(l->version, sizeof(l->version), "%s", version);
	l->count = count;
	l->uncounted = count == 0;
	snprintf(l->file, sizeof(l->file), "test.lic");
	l->lineno = (int)fx->lic.nlines;
	return l;
}

static inline struct core_line *
feat(struct fx *fx, const char *feature, const char *version, int count)
{
	return line(fx, CORE_LINE_INCREMENT, feature, version, count);
}

static inline void
attr(struct core_line *l, const char *key, const char *value)
{
	struct core_attr *a = &l->attrs[l->nattrs++];

	snprintf(a->key, sizeof(a->key), "%s", key);
	a->value = (char *)(uintptr_t)value;
}

/* GROUP or HOST_GROUP with members listed up to NULL. */
static inline void
group(struct fx *fx, int is_host, const char *name, ...)
{
	struct core_group *g;
	const char *m;
	size_t gi = fx->opt.ngroups++;
	va_list ap;

	assert_true(gi < MAX_GROUPS);
	g = &fx->groups[gi];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->is_host = is_host;
	g->members = fx->mptr[gi];
	g->lineno = (int)gi + 1;
	va_start(ap, name);
	while ((m = va_arg(ap, const char *)) != NULL) {
		assert_true(g->nmembers < MAX_MEMBERS);
		snprintf(fx->mstore[gi][g->nmembers], CORE_NAME_MAX, "%s", m);
		fx->mptr[gi][g->nmembers] = fx->mstore[gi][g->nmembers];
		g->nmembers++;
	}
	va_end(ap);
}

static inline struct core_opt_rule *
rule(struct fx *fx, enum core_opt_kind kind, const char *feature,
    enum core_who who, const char *name, int n)
{
	struct core_opt_rule *r;

	assert_true(fx->opt.nrules < MAX_RULES);
	r = &fx->rules[fx->opt.nrules++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	snprintf(r->feature, sizeof(r->feature), "%s", feature);
	r->who = who;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->count = n;
	r->seconds = n;
	r->lineno = 100 + (int)fx->opt.nrules;
	return r;
}

static inline int
configure(struct fx *fx, int64_t now)
{
	return core_configure(fx->c, &fx->st, &fx->lic, 1, &fx->opt, now,
	    fx->err, sizeof(fx->err));
}

static inline void
configured(struct fx *fx)
{
	if (configure(fx, T0) != 0)
		fail_msg("configure: %s", fx->err);
}

struct who {
	const char *user;
	const char *host;
	const char *display;
	const char *address;
	const char *project;
	uint64_t session;
};

static inline struct core_client
client_of(const struct who *w)
{
	struct core_client cl;

	memset(&cl, 0, sizeof(cl));
	cl.user = w->user;
	cl.host = w->host;
	cl.display = w->display;
	cl.address = w->address;
	cl.project = w->project;
	cl.frontend = "flex";
	cl.pid = 42;
	cl.session = w->session;
	cl.owner = (struct core_owner *)(uintptr_t)(0x1000 + w->session);
	return cl;
}

static inline struct core_result
co_full(struct fx *fx, const struct who *w, const char *feature,
    const char *version, int count, int queue, int linger, int64_t now)
{
	struct core_checkout_req req;
	struct core_client cl = client_of(w);
	struct core_result res;

	memset(&req, 0, sizeof(req));
	req.feature = feature;
	req.version = version;
	req.count = count;
	req.queue = queue;
	req.linger = linger;
	req.tag = 7000 + w->session;
	core_checkout(fx->c, &cl, &req, now, &res);
	return res;
}

/* A checkout by user@host on session s, at T0. */
static inline struct core_result
co(struct fx *fx, const char *user, const char *host, uint64_t s,
    const char *feature, int count)
{
	struct who w = {user, host, "", "10.0.0.1", "", s};

	return co_full(fx, &w, feature, NULL, count, 0, 0, T0);
}

static inline const struct rec *
last(const struct fx *fx)
{
	assert_true(fx->nev > 0);
	return &fx->ev[fx->nev - 1];
}

static inline void
grab_feature(void *arg, const struct core_feature_info *fi)
{
	*(struct core_feature_info *)arg = *fi;
}

static inline struct core_feature_info
finfo(struct fx *fx, const char *feature)
{
	struct core_feature_info fi;

	memset(&fi, 0, sizeof(fi));
	fi.issued = -1;
	core_foreach_feature(fx->c, feature, grab_feature, &fi);
	return fi;
}

static inline void
count_grant(void *arg, const struct core_grant_info *gi)
{
	int *n = arg;

	*n += gi->count;
}

static inline int
held(struct fx *fx, const char *feature)
{
	int n = 0;

	core_foreach_grant(fx->c, feature, count_grant, &n);
	return n;
}

#endif /* LICD_TESTS_CORE_FIXTURE_H */
