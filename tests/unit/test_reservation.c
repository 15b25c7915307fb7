/*
 * Sentinel reservation files: good lines, escapes, hosts, exclusions and
 * versions, each error with its line, the bounds, the mapping onto groups
 * and rules, and the core deciding with the result (a group of users and
 * hosts, units, exclusions, cut reservations).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/licd_conf.h"
#include "config/license.h"
#include "config/options.h"
#include "config/reservation.h"
#include "daemon/core/core.h"

#include "config_fixture.h"

#define NOW 1700000000000LL

static int
parse(const char *text, struct reservation_file *f, struct diag *d)
{
	diag_init(d);
	return reservation_parse("t.rsv", text, strlen(text), f, d);
}

static void
print_diag(const struct diag *d)
{
	char line[1400];
	size_t i;

	for (i = 0; i < d->n; i++) {
		diag_format(&d->msgs[i], line, sizeof(line));
		fprintf(stderr, "  %s\n", line);
	}
}

static const struct reservation_member *
member(const struct reservation_group *g, size_t i)
{
	assert_true(i < g->nmembers);
	return &g->members[i];
}

static void
test_good_lines(void **state)
{
	static const char text[] =
	    "\xef\xbb\xbf# the manual's examples\r\n"
	    "stars:group1:2:tom bryant $athena\r\n"
	    "\n"
	    "   # indented comment\n"
	    "stars:group2:1:doug,$ws7\n"
	    "dots:group1:2:!$lab3 jill\n"
	    "Surfer , 2.0 : Group One : 0 : John $Comp14\n"
	    "AVEVA201,1.0:Test:1:User1 !User2";
	struct reservation_file f;
	const struct reservation_group *g;
	struct diag d;

	if (parse(text, &f, &d) != 0)
		print_diag(&d);
	assert_int_equal(d.errors, 0);
	assert_int_equal(f.ngroups, 5);

	g = &f.groups[0];
	assert_string_equal(g->feature, "stars");
	assert_string_equal(g->version, "");
	assert_string_equal(g->group, "group1");
	assert_string_equal(g->unit, "stars:group1");
	assert_int_equal(g->count, 2);
	assert_int_equal(g->lineno, 2);
	assert_int_equal(g->nmembers, 3);
	assert_int_equal(g->nusers, 2);
	assert_int_equal(g->nhosts, 1);
	assert_string_equal(member(g, 0)->name, "tom");
	assert_string_equal(member(g, 2)->name, "athena");
	assert_true(member(g, 2)->is_host);
	assert_false(member(g, 2)->exclude);

	/* Commas separate members too. */
	g = &f.groups[1];
	assert_int_equal(g->lineno, 5);
	assert_int_equal(g->nmembers, 2);
	assert_string_equal(member(g, 1)->name, "ws7");

	/* "!$" excludes a host; the same group name of another feature
	 * is another group. */
	g = &f.groups[2];
	assert_string_equal(g->unit, "dots:group1");
	assert_true(member(g, 0)->exclude && member(g, 0)->is_host);
	assert_string_equal(member(g, 0)->name, "lab3");
	assert_int_equal(g->nusers, 1);
	assert_int_equal(g->nhosts, 0);

	/* Blanks around fields, a version, a group name with a blank. */
	g = &f.groups[3];
	assert_string_equal(g->feature, "Surfer");
	assert_string_equal(g->version, "2.0");
	assert_string_equal(g->group, "Group One");
	assert_string_equal(g->unit, "Surfer,2.0:Group One");
	assert_int_equal(g->count, 0);

	g = &f.groups[4];
	assert_int_equal(g->lineno, 8);
	assert_true(member(g, 1)->exclude && !member(g, 1)->is_host);
	assert_string_equal(member(g, 1)->name, "User2");

	reservation_free(&f);
	diag_free(&d);
}

static void
test_escapes(void **state)
{
	static const char text[] =
	    "f:g:1:user%%ABC user%%%%1 user%ABC %!bang %$dollar a%,b c%:d "
	    "e% f\n";
	static const char *const want[] = {"user%ABC", "user%%1", "userABC",
	    "!bang", "$dollar", "a,b", "c:d", "e f"};
	struct reservation_file f;
	const struct reservation_group *g;
	struct diag d;
	size_t i;

	assert_int_equal(parse(text, &f, &d), 0);
	g = &f.groups[0];
	assert_int_equal(g->nmembers, 8);
	for (i = 0; i < 8; i++) {
		assert_string_equal(member(g, i)->name, want[i]);
		assert_false(member(g, i)->exclude);
		assert_false(member(g, i)->is_host);
	}
	reservation_free(&f);
	diag_free(&d);
}

static void
test_duplicates_and_warnings(void **state)
{
	static const char text[] = "f:g:1:alice !alice $0x4f3c5801\n"
				   "f:h:1:10.1.*.* !bob\n"
				   "f:k:2:!carol\n"
				   "f:m:1:!bob\n";
	struct reservation_file f;
	struct diag d;

	assert_int_equal(parse(text, &f, &d), 0);
	/* The first listing counts: alice stays a member. */
	assert_int_equal(f.groups[0].nmembers, 2);
	assert_false(f.groups[0].members[0].exclude);
	assert_true(has_msg(&d, DIAG_WARNING, 1, "listed twice"));
	assert_true(has_msg(&d, DIAG_WARNING, 1, "host id"));
	assert_true(has_msg(&d, DIAG_WARNING, 2, "IP address"));
	assert_true(has_msg(&d, DIAG_WARNING, 3, "for nobody"));
	/* Excluding a name in two groups is no conflict. */
	assert_int_equal(d.errors, 0);
	reservation_free(&f);
	diag_free(&d);
}

static const struct error_case errors[] = {
    {"f:g:1\n", 1, "expected feature[,version]:group:count"},
    {"# c\nf:g:1:a\nf g:x:1:a\n", 3, "feature name"},
    {"f,:g:1:a\n", 1, "expected a version"},
    {"f,1 0:g:1:a\n", 1, "expected a version"},
    {"f,1.0.0.0.0.0.0.0.0:g:1:a\n", 1, "expected a version"},
    {"\n\nf::1:a\n", 3, "group name"},
    {"f:g:-1:a\n", 1, "count of seats"},
    {"f:g:x:a\n", 1, "count of seats"},
    {"f:g:1000000001:a\n", 1, "count of seats"},
    {"f:g:1:\n", 1, "at least one member"},
    {"f:g:1: , ,\n", 1, "at least one member"},
    {"f:g:1:a !\n", 1, "user name after '!'"},
    {"f:g:1:a $\n", 1, "host name after '$'"},
    {"f:g:1:a !$\n", 1, "host name after '!$'"},
    {"f:g:1:a%\n", 1, "after '%'"},
    {"f:g:1:a\nf:g:2:b\n", 2, "already given on line 1"},
    {"f:g:1:a\nf:h:2:b a\n", 2, "already in group g (line 1)"},
    {"f:g:1:$w\nf:h:2:$w\n", 2, "already in group g"},
    {"f:g:1:"
     "a234567890123456789012345678901234567890123456789012345678901234\n",
	1, "at most 63 bytes"},
    {"feature_of_forty_bytes_xxxxxxxxxxxxxxxxx:group_of_thirty_bytes_xxxxxxx"
     ":1:a\n",
	1, "longer than 63 bytes"},
    {"f:g\001:1:a\n", 1, "group name"},
    {"f:g:1:a\001b\n", 1, "control characters"},
};

static void
test_errors(void **state)
{
	struct reservation_file f;
	struct diag d;
	size_t i;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		if (parse(errors[i].text, &f, &d) != -1 ||
		    !has_msg(&d, DIAG_ERROR, errors[i].line, errors[i].what)) {
			fprintf(stderr, "case %zu: %s", i, errors[i].text);
			print_diag(&d);
			fail();
		}
		reservation_free(&f);
		diag_free(&d);
	}

	/* A NUL byte and the line after it. */
	diag_init(&d);
	assert_int_equal(
	    reservation_parse("t.rsv", "f:g:1:a\0b\nx\n", 12, &f, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 1, "NUL"));
	assert_true(has_msg(&d, DIAG_ERROR, 2, "expected feature"));
	reservation_free(&f);
	diag_free(&d);

	/* Different versions of one feature are different groups, and
	 * share members freely. */
	assert_int_equal(parse("f,1:g:1:a\nf,2:g:1:a\nf:g:1:a\n", &f, &d), 0);
	assert_int_equal(f.ngroups, 3);
	reservation_free(&f);
	diag_free(&d);
}

static void
test_bounds(void **state)
{
	struct reservation_file f;
	struct diag d;
	char *text, *p;
	size_t i, cap = 2 * RESERVATION_LINE_MAX;

	text = malloc(cap);
	assert_non_null(text);

	/* 1,000 members fit, 1,001 do not. */
	p = text + sprintf(text, "f:g:1:");
	for (i = 0; i < RESERVATION_MEMBERS_MAX; i++)
		p += sprintf(p, " u%zu", i);
	assert_int_equal(parse(text, &f, &d), 0);
	assert_int_equal(f.groups[0].nmembers, RESERVATION_MEMBERS_MAX);
	reservation_free(&f);
	diag_free(&d);
	sprintf(p, " one-more");
	assert_int_equal(parse(text, &f, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 1, "at most 1000 members"));
	reservation_free(&f);
	diag_free(&d);

	/* 256 groups fit, 257 do not. */
	p = text;
	for (i = 0; i < RESERVATION_GROUPS_MAX; i++)
		p += sprintf(p, "f:g%zu:1:u%zu\n", i, i);
	assert_int_equal(parse(text, &f, &d), 0);
	assert_int_equal(f.ngroups, RESERVATION_GROUPS_MAX);
	reservation_free(&f);
	diag_free(&d);
	sprintf(p, "f:last:1:x\n");
	assert_int_equal(parse(text, &f, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 257, "at most 256 groups"));
	reservation_free(&f);
	diag_free(&d);

	/* An over-long line is refused with its number, the next one read. */
	p = text + sprintf(text, "f:g:1:a\nf:h:1:");
	memset(p, 'b', RESERVATION_LINE_MAX);
	p += RESERVATION_LINE_MAX;
	sprintf(p, "\nf:k:1:");
	assert_int_equal(parse(text, &f, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 2, "longer than"));
	assert_true(has_msg(&d, DIAG_ERROR, 3, "at least one member"));
	reservation_free(&f);
	diag_free(&d);

	/* A file over the bound. */
	diag_init(&d);
	assert_int_equal(
	    reservation_parse("t.rsv", text, RESERVATION_FILE_MAX + 1, &f, &d),
	    -1);
	assert_true(has_msg(&d, DIAG_ERROR, 0, "larger than"));
	reservation_free(&f);
	diag_free(&d);
	free(text);
}

static const struct core_opt_rule *
find_rule(const struct core_options *o, enum core_opt_kind kind,
    enum core_who who, const char *name)
{
	size_t i;

	for (i = 0; i < o->nrules; i++)
		if (o->rules[i].kind == kind && o->rules[i].who == who &&
		    strcmp(o->rules[i].name, name) == 0)
			return &o->rules[i];
	return NULL;
}

static const struct core_group *
find_group(const struct core_options *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->ngroups; i++)
		if (strcmp(o->groups[i].name, name) == 0)
			return &o->groups[i];
	return NULL;
}

static void
test_merge(void **state)
{
	static const char opt[] = "GROUP physics alice\n"
				  "RESERVE 1 stars GROUP physics\n";
	static const char rsv[] = "stars:g1:2:tom $athena !$kiosk\n"
				  "stars,2.0:hosts:1:$lab*\n"
				  "dots:none:0:mallory !eve\n";
	struct core_options o;
	struct reservation_file f;
	struct reservation_merged m;
	const struct core_group *g;
	const struct core_opt_rule *r;
	struct diag d;

	diag_init(&d);
	assert_int_equal(options_parse("t.opt", opt, strlen(opt), &o, &d), 0);
	assert_int_equal(
	    reservation_parse("t.rsv", rsv, strlen(rsv), &f, &d), 0);
	assert_int_equal(reservation_merge(&o, &f, 1, &m, &d), 0);

	/* The options file's groups and rules come first. */
	assert_int_equal(m.nborrowed, 1);
	assert_int_equal(m.opts.ngroups, 4);
	assert_string_equal(m.opts.groups[0].name, "physics");
	assert_int_equal(m.opts.rules[0].kind, CORE_OPT_RESERVE);
	assert_string_equal(m.opts.rules[0].name, "physics");
	assert_string_equal(m.opts.path, "t.opt");

	/* Users and hosts: one GROUP with hosts; one RESERVE. */
	g = find_group(&m.opts, "stars:g1");
	assert_non_null(g);
	assert_false(g->is_host);
	assert_int_equal(g->nmembers, 1);
	assert_string_equal(g->members[0], "tom");
	assert_int_equal(g->nhosts, 1);
	assert_string_equal(g->hosts[0], "athena");
	r = find_rule(&m.opts, CORE_OPT_RESERVE, CORE_WHO_GROUP, "stars:g1");
	assert_non_null(r);
	assert_int_equal(r->count, 2);
	assert_string_equal(r->feature, "stars");
	assert_string_equal(r->qualifier, "");
	assert_int_equal(r->lineno, 1);
	r = find_rule(&m.opts, CORE_OPT_EXCLUDE, CORE_WHO_HOST, "kiosk");
	assert_non_null(r);
	assert_string_equal(r->feature, "stars");

	/* Hosts only: a HOST_GROUP; the version becomes a qualifier. */
	g = find_group(&m.opts, "stars,2.0:hosts");
	assert_non_null(g);
	assert_true(g->is_host);
	r = find_rule(
	    &m.opts, CORE_OPT_RESERVE, CORE_WHO_HOST_GROUP, "stars,2.0:hosts");
	assert_non_null(r);
	assert_string_equal(r->qualifier, "VERSION=2.0");

	/* Count 0: the group is excluded. */
	r = find_rule(&m.opts, CORE_OPT_EXCLUDE, CORE_WHO_GROUP, "dots:none");
	assert_non_null(r);
	assert_null(
	    find_rule(&m.opts, CORE_OPT_RESERVE, CORE_WHO_GROUP, "dots:none"));
	assert_non_null(
	    find_rule(&m.opts, CORE_OPT_EXCLUDE, CORE_WHO_USER, "eve"));

	reservation_merged_free(&m);
	reservation_free(&f);
	options_free(&o);
	diag_free(&d);
}

static void
test_merge_conflicts(void **state)
{
	static const char opt[] = "GROUP stars:g1 alice\n";
	static const char a[] = "stars:g1:1:bob\n";
	static const char b[] = "dots:g:1:bob\n"
				"stars:other:1:carol\n";
	static const char c[] = "dots:g:1:dan\n"
				"stars:x:1:carol\n";
	struct reservation_file f[3];
	struct reservation_merged m;
	struct core_options o;
	struct diag d;
	char *big, *p;
	size_t i;

	diag_init(&d);
	assert_int_equal(options_parse("t.opt", opt, strlen(opt), &o, &d), 0);
	assert_int_equal(
	    reservation_parse("a.rsv", a, strlen(a), &f[0], &d), 0);
	assert_int_equal(
	    reservation_parse("b.rsv", b, strlen(b), &f[1], &d), 0);
	assert_int_equal(
	    reservation_parse("c.rsv", c, strlen(c), &f[2], &d), 0);

	/* A unit name the options file has. */
	assert_int_equal(reservation_merge(&o, &f[0], 1, &m, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 1, "options file t.opt (line 1)"));
	assert_string_equal(d.msgs[d.n - 1].file, "a.rsv");
	reservation_merged_free(&m);

	/* The same group in two files; a member in two files' groups. */
	diag_free(&d);
	diag_init(&d);
	assert_int_equal(reservation_merge(NULL, &f[1], 2, &m, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 1, "another reservation file"));
	assert_true(has_msg(&d, DIAG_ERROR, 2, "user carol is also in"));
	assert_string_equal(d.msgs[0].file, "c.rsv");
	reservation_merged_free(&m);
	for (i = 0; i < 3; i++)
		reservation_free(&f[i]);

	/* 256 groups in all. */
	big = malloc(256 * 32);
	assert_non_null(big);
	p = big;
	for (i = 0; i < 200; i++)
		p += sprintf(p, "f:g%zu:1:u%zu\n", i, i);
	assert_int_equal(
	    reservation_parse("a.rsv", big, strlen(big), &f[0], &d), 0);
	p = big;
	for (i = 0; i < 57; i++)
		p += sprintf(p, "h:g%zu:1:u%zu\n", i, i);
	assert_int_equal(
	    reservation_parse("b.rsv", big, strlen(big), &f[1], &d), 0);
	diag_free(&d);
	diag_init(&d);
	assert_int_equal(reservation_merge(NULL, f, 2, &m, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 57, "at most 256"));
	reservation_merged_free(&m);
	reservation_free(&f[0]);
	reservation_free(&f[1]);

	/* 16 versions of a feature, not 17. */
	p = big;
	for (i = 0; i < RESERVATION_VERSIONS_MAX + 1; i++)
		p += sprintf(p, "f,%zu:g:1:u%zu\n", i + 1, i);
	assert_int_equal(
	    reservation_parse("a.rsv", big, strlen(big), &f[0], &d), 0);
	diag_free(&d);
	diag_init(&d);
	assert_int_equal(reservation_merge(NULL, f, 1, &m, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 17, "at most 16 versions of f"));
	reservation_merged_free(&m);
	reservation_free(&f[0]);
	free(big);
	options_free(&o);
	diag_free(&d);
}

/* The core with the merged configuration. */

struct world {
	struct core_license_file lic;
	struct core_options opts;
	struct reservation_file rsv;
	struct reservation_merged m;
	struct core *c;
	struct diag d;
	uint64_t session;
};

static void
world_start(struct world *w, const char *lic, const char *opt, const char *rsv)
{
	struct core_settings st;
	char err[512];

	memset(w, 0, sizeof(*w));
	diag_init(&w->d);
	assert_int_equal(
	    license_parse("t.lic", lic, strlen(lic), &w->lic, &w->d), 0);
	assert_int_equal(
	    options_parse("t.opt", opt, strlen(opt), &w->opts, &w->d), 0);
	assert_int_equal(
	    reservation_parse("t.rsv", rsv, strlen(rsv), &w->rsv, &w->d), 0);
	assert_int_equal(
	    reservation_merge(&w->opts, &w->rsv, 1, &w->m, &w->d), 0);
	core_settings_default(&st);
	w->c = core_new(&st, NULL, NULL);
	assert_non_null(w->c);
	if (core_configure(
		w->c, &st, &w->lic, 1, &w->m.opts, NOW, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static void
world_stop(struct world *w)
{
	core_free(w->c);
	reservation_merged_free(&w->m);
	reservation_free(&w->rsv);
	options_free(&w->opts);
	license_free(&w->lic);
	diag_free(&w->d);
}

static enum core_reason
take(struct world *w, const char *user, const char *host, const char *feature,
    char *unit)
{
	struct core_client cl;
	struct core_checkout_req req;
	struct core_result res;

	memset(&cl, 0, sizeof(cl));
	cl.user = user;
	cl.host = host;
	cl.display = "";
	cl.address = "127.0.0.1";
	cl.project = "";
	cl.frontend = "flex";
	cl.session = ++w->session;
	memset(&req, 0, sizeof(req));
	req.feature = feature;
	req.count = 1;
	core_checkout(w->c, &cl, &req, NOW, &res);
	if (unit != NULL)
		snprintf(unit, CORE_NAME_MAX, "%s", res.unit);
	return res.status == CORE_GRANTED ? CORE_OK : res.reason;
}

static void
test_core_shares_seats(void **state)
{
	static const char lic[] = "VENDOR demo\n"
				  "FEATURE stars demo 2.0 permanent 4 0\n"
				  "FEATURE dots demo 1.0 permanent 3 0\n";
	static const char opt[] = "GROUP physics alice\n";
	static const char rsv[] = "stars:A:2:tom $athena !$kiosk\n"
				  "stars:B:1:ann\n"
				  "dots:none:0:mallory $badhost\n"
				  "dots:ok:1:!eve zoe\n";
	struct world w;
	char unit[CORE_NAME_MAX];

	world_start(&w, lic, opt, rsv);

	/* Exclusions refuse the feature, reserved seats or not. */
	assert_int_equal(
	    take(&w, "bob", "kiosk", "stars", NULL), CORE_E_EXCLUDED);
	assert_int_equal(
	    take(&w, "mallory", "ws", "dots", NULL), CORE_E_EXCLUDED);
	assert_int_equal(
	    take(&w, "x", "badhost", "dots", NULL), CORE_E_EXCLUDED);
	assert_int_equal(take(&w, "eve", "ws", "dots", NULL), CORE_E_EXCLUDED);
	assert_int_equal(take(&w, "eve", "ws", "stars", NULL), CORE_OK);

	/* eve took the one unreserved seat of stars: an outsider is now
	 * refused, the members of A (by user or by host) and B are not. */
	assert_int_equal(
	    take(&w, "carl", "ws", "stars", NULL), CORE_E_NO_SEATS);
	assert_int_equal(take(&w, "tom", "ws", "stars", unit), CORE_OK);
	assert_string_equal(unit, "stars:A");
	assert_int_equal(take(&w, "carl", "athena", "stars", unit), CORE_OK);
	assert_string_equal(unit, "stars:A");
	assert_int_equal(take(&w, "tom", "ws", "stars", NULL), CORE_E_NO_SEATS);
	assert_int_equal(take(&w, "ann", "ws", "stars", unit), CORE_OK);
	assert_string_equal(unit, "stars:B");

	/* An options-file GROUP stays its member's unit. */
	assert_int_equal(take(&w, "alice", "athena", "dots", unit), CORE_OK);
	assert_string_equal(unit, "physics");

	/* Nothing to warn about here. */
	reservation_check(&w.rsv, 1, w.c, NOW, &w.d);
	assert_int_equal(count_level(&w.d, DIAG_WARNING), 0);
	world_stop(&w);
}

static void
test_core_check_warnings(void **state)
{
	static const char lic[] = "VENDOR demo\n"
				  "FEATURE stars demo 2.0 permanent 3 0\n";
	static const char rsv[] = "stars:A:2:a\n"
				  "stars:B:2:b\n"
				  "stars,7.0:C:1:c\n"
				  "nothing:D:1:d\n";
	struct world w;

	world_start(&w, lic, "", rsv);
	reservation_check(&w.rsv, 1, w.c, NOW, &w.d);
	if (!has_msg(&w.d, DIAG_WARNING, 2, "before it leave 1: it holds 1"))
		print_diag(&w.d);
	assert_true(
	    has_msg(&w.d, DIAG_WARNING, 2, "before it leave 1: it holds 1"));
	assert_true(has_msg(&w.d, DIAG_WARNING, 3, "no licence line of stars"));
	assert_true(has_msg(&w.d, DIAG_WARNING, 4, "no licence line serves"));
	assert_false(has_msg(&w.d, DIAG_WARNING, 1, ""));
	world_stop(&w);
}

/* The example shipped with licd parses and merges without errors. */
static void
test_example_file(void **state)
{
	struct reservation_file f;
	struct reservation_merged m;
	struct diag d;
	char path[1024];

	snprintf(
	    path, sizeof(path), "%s/config/examples/lsreserv", source_dir());
	diag_init(&d);
	if (reservation_load(path, &f, &d) != 0)
		print_diag(&d);
	assert_int_equal(d.errors, 0);
	assert_true(f.ngroups > 0);
	assert_int_equal(reservation_merge(NULL, &f, 1, &m, &d), 0);
	reservation_merged_free(&m);
	reservation_free(&f);
	diag_free(&d);
}

/* The lines of the Sentinel and vendor manuals: the copy among the fuzz
 * seeds, and the shared corpus when it stands beside the source tree. */
static void
check_manual_examples(const char *path)
{
	struct reservation_file f;
	struct diag d;

	diag_init(&d);
	if (reservation_load(path, &f, &d) != 0)
		print_diag(&d);
	assert_int_equal(d.errors, 0);
	assert_int_equal(f.ngroups, 6);
	assert_string_equal(f.groups[0].unit, "stars:group1");
	assert_int_equal(f.groups[0].nhosts, 1);
	assert_true(f.groups[2].members[0].exclude);
	assert_string_equal(f.groups[3].unit, "Surfer,A:Group1");
	assert_int_equal(f.groups[3].count, 0);
	assert_string_equal(f.groups[5].version, "1.0");
	assert_true(f.groups[5].members[1].exclude);
	/* The two host ids are taken as host names, with a warning. */
	assert_int_equal(count_level(&d, DIAG_WARNING), 2);
	reservation_free(&f);
	diag_free(&d);
}

static void
test_manual_examples(void **state)
{
	char path[1024];
	struct stat sb;

	snprintf(path, sizeof(path),
	    "%s/tests/fuzz/corpus/reservation/manual-examples.rsv",
	    source_dir());
	check_manual_examples(path);
	snprintf(path, sizeof(path),
	    "%s/../shared/corpus/sentinel/lsreserv-doc-examples", source_dir());
	if (stat(path, &sb) == 0)
		check_manual_examples(path);
}

/* licd.conf's reservation-files: paths from the file's folder, at most
 * CONF_RESERVATIONS_MAX. */
static void
test_conf_setting(void **state)
{
	struct licd_conf *c;
	struct diag d;
	char dir[64], path[128], text[2048], want[256], *p;
	size_t i;
	FILE *fp;

	c = malloc(sizeof(*c));
	assert_non_null(c);
	snprintf(dir, sizeof(dir), "/tmp/licd-rsv-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/licd.conf", dir);

	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("reservation-files = [ \"a.rsv\", \"/etc/b.rsv\" ];\n", fp);
	fclose(fp);
	conf_defaults(c);
	diag_init(&d);
	assert_int_equal(conf_load(path, c, &d), 0);
	assert_int_equal(c->nreservation_files, 2);
	snprintf(want, sizeof(want), "%s/a.rsv", dir);
	assert_string_equal(c->reservation_files[0], want);
	assert_string_equal(c->reservation_files[1], "/etc/b.rsv");
	diag_free(&d);

	p = text + sprintf(text, "reservation-files = [");
	for (i = 0; i <= CONF_RESERVATIONS_MAX; i++)
		p += sprintf(p, "%s\"r%zu\"", i ? ", " : "", i);
	sprintf(p, "];\n");
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	conf_defaults(c);
	diag_init(&d);
	assert_int_equal(conf_load(path, c, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 1, "more than 16 file names"));
	diag_free(&d);

	unlink(path);
	rmdir(dir);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_lines),
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_duplicates_and_warnings),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_merge_conflicts),
	    cmocka_unit_test(test_core_shares_seats),
	    cmocka_unit_test(test_core_check_warnings),
	    cmocka_unit_test(test_example_file),
	    cmocka_unit_test(test_conf_setting),
	    cmocka_unit_test(test_manual_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
