/*
 * Identity and eligibility: RFC 4515 escaping, directory values, the
 * units file, the identity settings, the cache rules (time as an
 * argument) and the core's decisions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libconfig.h>

#include "../../config/identity_conf.h"
#include "../../config/units.h"
#include "../../daemon/core/eligibility.h"
#include "../../daemon/identity/ident_cache.h"
#include "../../daemon/identity/ident_values.h"
#include "core_fixture.h"

static void
test_filter_escape(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
	    {"alice", 5, "alice"},
	    {"a*b", 3, "a\\2ab"},
	    {"(uid=x)", 7, "\\28uid=x\\29"},
	    {"back\\slash", 10, "back\\5cslash"},
	    {"nul\0x", 5, "nul\\00x"},
	    {"caf\xc3\xa9", 5, "caf\\c3\\a9"},
	    {"*)(uid=*", 8, "\\2a\\29\\28uid=\\2a"},
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ident_filter_escape(cases[i].in, cases[i].len,
				     out, sizeof(out)),
		    (int)strlen(cases[i].out));
		assert_string_equal(out, cases[i].out);
	}
	/* What does not fit is refused, never cut. */
	assert_int_equal(ident_filter_escape("abc", 3, out, 3), -1);
	assert_int_equal(ident_filter_escape("a*", 2, out, 4), -1);
	assert_int_equal(ident_filter_escape("a*", 2, out, 5), 4);

	assert_int_equal(ident_filter_build("(&(objectClass=person)(uid=%s))",
			     "x*)(|(uid=*", out, sizeof(out)),
	    0);
	assert_string_equal(
	    out, "(&(objectClass=person)(uid=x\\2a\\29\\28|\\28uid=\\2a))");
	assert_int_equal(ident_filter_build("(uid=%s)", "alice", out, 10), -1);
}

static void
test_values(void **state)
{
	char out[CORE_NAME_MAX];
	int64_t ms;

	assert_int_equal(
	    ident_unit_code("ou=chem,ou=units,dc=x", 21, out, sizeof(out)), 0);
	assert_string_equal(out, "chem");
	assert_int_equal(
	    ident_unit_code("OU = phys , dc=x", 16, out, sizeof(out)),
	    -1); /* a space inside the value is no unit code */
	assert_int_equal(
	    ident_unit_code("ou=a\\2db,dc=x", 13, out, sizeof(out)), 0);
	assert_string_equal(out, "a-b");
	assert_int_equal(ident_unit_code("CHEM", 4, out, sizeof(out)), 0);
	assert_string_equal(out, "CHEM");
	assert_int_equal(ident_unit_code("ou=,dc=x", 8, out, sizeof(out)), -1);
	assert_int_equal(ident_unit_code("bad code", 8, out, sizeof(out)), -1);
	assert_int_equal(ident_unit_code("abcdef", 6, out, 4), -1);

	assert_int_equal(ident_status("Staff", 5, out, sizeof(out)), 0);
	assert_string_equal(out, "staff");
	assert_int_equal(
	    ident_status("student@ox.ac.uk", 16, out, sizeof(out)), 0);
	assert_string_equal(out, "student");
	assert_int_equal(ident_status("@x", 2, out, sizeof(out)), -1);

	assert_int_equal(ident_time("20270131235959Z", 15, &ms), 0);
	assert_int_equal(ms, 1801439999000LL);
	assert_int_equal(ident_time("202701312359Z", 13, &ms), 0);
	assert_int_equal(ms, 1801439940000LL);
	assert_int_equal(ident_time("20270201005959+0100", 19, &ms), 0);
	assert_int_equal(ms, 1801439999000LL);
	assert_int_equal(ident_time("20270131235959.5Z", 17, &ms), 0);
	assert_int_equal(ms, 1801439999000LL);
	assert_int_equal(ident_time("20270131", 8, &ms), 0);
	assert_int_equal(ms, 1801439999999LL);
	assert_int_equal(ident_time("2027-01-31", 10, &ms), 0);
	assert_int_equal(ms, 1801439999999LL);
	assert_int_equal(ident_time("20271331235959Z", 15, &ms), -1);
	assert_int_equal(ident_time("2027013123", 10, &ms), -1);
	assert_int_equal(ident_time("20270131235959", 14, &ms), -1);
	assert_int_equal(ident_time("garbage", 7, &ms), -1);
}

static void
test_units_file(void **state)
{
	static const char good[] =
	    "# units\n"
	    "\n"
	    "chem  CC-1001  \"Department of Chemistry\"\n"
	    "  phys\tCC-1002\tDepartment of Physics  \r\n"
	    "it.services CC-9 IT\n";
	static const char *const bad[] = {
	    "chem\n",
	    "chem CC-1\n",
	    "chem CC-1 \"\"\n",
	    ("chem CC-123456789012345678901234567890123456789012345678901234567"
	     "8901234 x\n"),
	    "ch/em CC-1 x\n",
	    "chem CC-1 x\nCHEM CC-2 y\n",
	    "chem CC-1 a\001b\n",
	};
	struct units u;
	struct diag diag;
	char big[3000];
	size_t i;

	diag_init(&diag);
	assert_int_equal(units_parse("u", good, strlen(good), &u, &diag), 0);
	assert_int_equal(u.n, 3);
	assert_string_equal(u.v[0].code, "chem");
	assert_string_equal(u.v[0].cost_centre, "CC-1001");
	assert_string_equal(u.v[0].name, "Department of Chemistry");
	assert_string_equal(u.v[1].name, "Department of Physics");
	assert_int_equal(u.v[1].lineno, 4);
	assert_non_null(units_find(&u, "PHYS"));
	assert_null(units_find(&u, "bio"));
	units_free(&u);
	diag_free(&diag);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		diag_init(&diag);
		assert_int_equal(
		    units_parse("u", bad[i], strlen(bad[i]), &u, &diag), -1);
		assert_true(diag.errors > 0);
		assert_true(diag.msgs[0].line > 0);
		units_free(&u);
		diag_free(&diag);
	}

	memset(big, 'x', sizeof(big));
	memcpy(big, "a b ", 4);
	diag_init(&diag);
	assert_int_equal(units_parse("u", big, sizeof(big), &u, &diag), -1);
	units_free(&u);
	diag_free(&diag);
}

static int
read_conf(const char *text, struct identity_conf *ic, struct diag *diag)
{
	config_t cfg;
	int rc;

	identity_conf_defaults(ic);
	config_init(&cfg);
	assert_int_equal(config_read_string(&cfg, text), CONFIG_TRUE);
	rc = identity_conf_read(&cfg, "/etc/licd/licd.conf", ic, diag);
	config_destroy(&cfg);
	return rc;
}

static void
test_identity_conf(void **state)
{
	static const char good[] =
	    "identity = { providers = [ \"static\", \"ldap\" ];\n"
	    "  units-file = \"units.conf\"; wait-ms = 800;\n"
	    "  cache = { positive = 60; negative = 10; max-stale = 600; };\n"
	    "  ldap = { uri = \"ldaps://ldap.example.org/\"; style = "
	    "\"oxford\";\n"
	    "    base = \"ou=people,o=x\"; filter = \"(&(oakSSO=%s))\"; };\n"
	    "  products = ( { feature = \"MATLAB\"; audience = \"members\";\n"
	    "    statuses = [ \"staff\", \"student\" ]; on-failure = "
	    "\"open\"; },\n"
	    "    { feature = \"LAB\"; audience = \"units\"; when-slow = "
	    "\"refuse\"; wait-ms = 0; } ); };\n";
	static const char *const bad[] = {
	    "identity = { providers = [ \"x500\" ]; };",
	    "identity = { providers = [ \"ldap\" ]; };",
	    "identity = { ldap = { filter = \"(uid=%d)\"; }; };",
	    "identity = { ldap = { filter = \"(cn=%s)(uid=%s)\"; }; };",
	    "identity = { ldap = { style = \"x\"; }; };",
	    "identity = { ldap = { sasl-mech = \"PLAIN\"; }; };",
	    "identity = { ldap = { colour = \"red\"; }; };",
	    "identity = { products = ( { audience = \"both\"; } ); };",
	    "identity = { products = ( { feature = \"A\"; audience = "
	    "\"all\"; } ); };",
	    "identity = { products = ( { feature = \"A\"; }, { feature = "
	    "\"A\"; } ); };",
	    "identity = { cache = { positive = 0; }; };",
	    "identity = { workers = 0; };",
	    "identity = 3;",
	};
	struct identity_conf ic;
	const struct idc_product *p;
	struct diag diag;
	size_t i;

	diag_init(&diag);
	assert_int_equal(read_conf(good, &ic, &diag), 0);
	assert_true(ic.enabled);
	assert_int_equal(ic.nproviders, 2);
	assert_int_equal(ic.providers[1], IDC_LDAP);
	assert_string_equal(ic.units_file, "/etc/licd/units.conf");
	assert_int_equal(ic.positive, 60);
	assert_int_equal(ic.retry, 30);
	assert_int_equal(ic.workers, 2);
	assert_string_equal(ic.ldap.status_attr, "oakStatus");
	assert_string_equal(ic.ldap.units_attr, "oakUnitCode");
	assert_string_equal(ic.ldap.card_expiry_attr, "oakCardExpiry");
	p = identity_conf_product(&ic, "MATLAB");
	assert_non_null(p);
	assert_int_equal(p->elig.audience, CORE_AUD_MEMBERS);
	assert_int_equal(p->elig.nstatuses, 2);
	assert_true(p->elig.fail_open);
	assert_int_equal(p->wait_ms, 800);
	p = identity_conf_product(&ic, "LAB");
	assert_non_null(p);
	assert_true(p->elig.pending_refuse);
	assert_int_equal(p->wait_ms, 0);
	assert_null(identity_conf_product(&ic, "other"));
	diag_free(&diag);

	/* eduPerson is the default mapping. */
	diag_init(&diag);
	assert_int_equal(read_conf("identity = { };", &ic, &diag), 0);
	assert_string_equal(ic.ldap.status_attr, "eduPersonAffiliation");
	assert_string_equal(
	    ic.ldap.primary_unit_attr, "eduPersonPrimaryOrgUnitDN");
	assert_string_equal(ic.ldap.card_expiry_attr, "");
	diag_free(&diag);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		diag_init(&diag);
		assert_int_equal(read_conf(bad[i], &ic, &diag), -1);
		diag_free(&diag);
	}
}

static void
answer(struct ident_answer *a, enum ident_kind kind)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->facts.state = kind == IDENT_FOUND ? CORE_ID_FOUND : CORE_ID_UNKNOWN;
	snprintf(a->source, sizeof(a->source), "ldap");
	snprintf(a->error, sizeof(a->error), "ldap: down");
}

static void
test_cache_rules(void **state)
{
	const struct ident_lifetimes life = {60, 10, 100, 5};
	struct ident_cache c;
	struct ident_entry *e;
	struct ident_answer a;

	assert_int_equal(ident_cache_init(&c, &life), 0);
	assert_int_equal(ident_cache_use(NULL, T0), IDENT_USE_MISS);
	e = ident_cache_entry(&c, "alice", 1, T0);
	assert_non_null(e);
	assert_ptr_equal(ident_cache_entry(&c, "alice", 0, T0), e);
	assert_null(ident_cache_entry(&c, "bob", 0, T0));
	assert_int_equal(ident_cache_use(e, T0), IDENT_USE_MISS);
	assert_true(ident_cache_should_ask(e, T0));
	e->busy = 1;
	assert_false(ident_cache_should_ask(e, T0));

	/* Found: fresh for the positive lifetime, then stale for
	 * max-stale, then gone. */
	answer(&a, IDENT_FOUND);
	ident_cache_put(&c, e, &a, T0);
	assert_false(e->busy);
	assert_int_equal(ident_cache_use(e, T0 + 59 * SEC), IDENT_USE_FRESH);
	assert_false(ident_cache_should_ask(e, T0 + 59 * SEC));
	assert_int_equal(ident_cache_use(e, T0 + 60 * SEC), IDENT_USE_STALE);
	assert_true(ident_cache_should_ask(e, T0 + 60 * SEC));
	assert_int_equal(ident_cache_use(e, T0 + 159 * SEC), IDENT_USE_STALE);
	assert_int_equal(ident_cache_use(e, T0 + 160 * SEC), IDENT_USE_MISS);

	/* A failed refresh keeps the stale answer, and waits retry
	 * seconds before asking again. */
	answer(&a, IDENT_ERROR);
	ident_cache_put(&c, e, &a, T0 + 70 * SEC);
	assert_int_equal(ident_cache_use(e, T0 + 71 * SEC), IDENT_USE_STALE);
	assert_int_equal(e->ans.kind, IDENT_FOUND);
	assert_string_equal(e->last_error, "ldap: down");
	assert_false(ident_cache_should_ask(e, T0 + 74 * SEC));
	assert_true(ident_cache_should_ask(e, T0 + 75 * SEC));

	/* Unknown: the negative lifetime, never served stale.  Nothing
	 * held and a failure: FAILED until the retry, then a miss again. */
	e = ident_cache_entry(&c, "nobody", 1, T0);
	answer(&a, IDENT_UNKNOWN);
	ident_cache_put(&c, e, &a, T0);
	assert_int_equal(ident_cache_use(e, T0 + 9 * SEC), IDENT_USE_FRESH);
	assert_int_equal(ident_cache_use(e, T0 + 10 * SEC), IDENT_USE_MISS);
	e = ident_cache_entry(&c, "zed", 1, T0);
	answer(&a, IDENT_ERROR);
	ident_cache_put(&c, e, &a, T0);
	assert_int_equal(ident_cache_use(e, T0 + 4 * SEC), IDENT_USE_FAILED);
	assert_int_equal(ident_cache_use(e, T0 + 5 * SEC), IDENT_USE_MISS);

	/* Full: entries of no use make room, usable ones stay.  At T0 +
	 * 4 s all three are of use; at T0 + 11 s alice (stale) stays,
	 * nobody (expired) and zed (past its retry) go. */
	c.max = 3;
	assert_int_equal(c.n, 3);
	assert_null(ident_cache_entry(&c, "new", 1, T0 + 4 * SEC));
	e = ident_cache_entry(&c, "new", 1, T0 + 11 * SEC);
	assert_non_null(e);
	assert_int_equal(c.n, 2);
	assert_non_null(ident_cache_entry(&c, "alice", 0, T0));
	assert_null(ident_cache_entry(&c, "nobody", 0, T0));
	e->busy = 1;
	c.max = 2;
	assert_null(ident_cache_entry(&c, "more", 1, T0 + 11 * SEC));
	ident_cache_free(&c);
}

static struct core_identity
person(const char *status, const char *primary, int64_t expiry)
{
	struct core_identity id;

	memset(&id, 0, sizeof(id));
	id.state = CORE_ID_FOUND;
	snprintf(id.statuses[0], sizeof(id.statuses[0]), "%s", status);
	id.nstatuses = 1;
	snprintf(id.units[0], sizeof(id.units[0]), "chem");
	snprintf(id.units[1], sizeof(id.units[1]), "phys");
	id.nunits = 2;
	snprintf(id.primary_unit, sizeof(id.primary_unit), "%s", primary);
	id.card_expiry = expiry;
	return id;
}

static void
test_eligible_table(void **state)
{
	struct core_elig staff_students, members, units, any;
	struct core_identity id, unit;
	const char *u;

	memset(&staff_students, 0, sizeof(staff_students));
	snprintf(staff_students.statuses[0], CORE_ID_STATUS_LEN, "staff");
	snprintf(staff_students.statuses[1], CORE_ID_STATUS_LEN, "student");
	staff_students.nstatuses = 2;
	memset(&members, 0, sizeof(members));
	members.audience = CORE_AUD_MEMBERS;
	memset(&units, 0, sizeof(units));
	units.audience = CORE_AUD_UNITS;
	memset(&any, 0, sizeof(any));

	id = person("Staff", "chem", 0);
	assert_int_equal(
	    core_eligible(&staff_students, &id, NULL, T0, &u), CORE_OK);
	assert_string_equal(u, "chem");
	assert_int_equal(
	    core_eligible(&staff_students, &id, "PHYS", T0, &u), CORE_OK);
	assert_string_equal(u, "phys");
	assert_int_equal(core_eligible(&staff_students, &id, "bio", T0, &u),
	    CORE_E_NOT_UNIT_MEMBER);
	assert_int_equal(
	    core_eligible(&units, &id, NULL, T0, &u), CORE_E_NOT_ELIGIBLE);

	id = person("visitor", "chem", 0);
	assert_int_equal(core_eligible(&staff_students, &id, NULL, T0, &u),
	    CORE_E_NOT_ELIGIBLE);
	assert_int_equal(core_eligible(&any, &id, NULL, T0, &u), CORE_OK);

	/* The card: valid until its expiry, refused from it on. */
	id = person("student", "", T0 + SEC);
	assert_int_equal(
	    core_eligible(&staff_students, &id, NULL, T0, &u), CORE_OK);
	assert_string_equal(u, "chem"); /* no primary: the first unit */
	assert_int_equal(
	    core_eligible(&staff_students, &id, NULL, T0 + SEC, &u),
	    CORE_E_CARD_EXPIRED);

	memset(&unit, 0, sizeof(unit));
	unit.state = CORE_ID_UNIT;
	snprintf(unit.units[0], sizeof(unit.units[0]), "chem");
	unit.nunits = 1;
	assert_int_equal(core_eligible(&units, &unit, NULL, T0, &u), CORE_OK);
	assert_string_equal(u, "chem");
	assert_int_equal(core_eligible(&any, &unit, NULL, T0, &u), CORE_OK);
	assert_int_equal(
	    core_eligible(&members, &unit, NULL, T0, &u), CORE_E_NOT_ELIGIBLE);

	memset(&id, 0, sizeof(id));
	id.state = CORE_ID_UNKNOWN;
	assert_int_equal(
	    core_eligible(&any, &id, NULL, T0, &u), CORE_E_NOT_ELIGIBLE);
	id.state = CORE_ID_PENDING;
	assert_int_equal(
	    core_eligible(&any, &id, NULL, T0, &u), CORE_E_TRY_AGAIN);
	any.pending_refuse = 1;
	assert_int_equal(
	    core_eligible(&any, &id, NULL, T0, &u), CORE_E_DIRECTORY_DOWN);
	id.state = CORE_ID_UNAVAILABLE;
	assert_int_equal(
	    core_eligible(&any, &id, NULL, T0, &u), CORE_E_DIRECTORY_DOWN);
	any.fail_open = 1;
	assert_int_equal(core_eligible(&any, &id, NULL, T0, &u), CORE_OK);
	assert_null(u);

	assert_string_equal(
	    core_reason_name(CORE_E_NOT_ELIGIBLE), "not-eligible");
	assert_string_equal(core_reason_name(CORE_E_TRY_AGAIN), "try-again");
	assert_string_equal(core_reason_name((enum core_reason)25), "unknown");
}

/* The core charges the unit the directory names, and refuses with the
 * eligibility reason in the DENY event. */
static void
test_core_checkout(void **state)
{
	struct fx *fx = *state;
	struct who w = {"alice", "ws1", "", "10.0.0.1", "", 1};
	struct core_checkout_req req;
	struct core_client cl;
	struct core_result res;
	struct core_identity id = person("staff", "phys", 0);
	struct core_elig rule;
	uint64_t first;

	feat(fx, "MATLAB", "1.0", 2);
	configured(fx);
	memset(&rule, 0, sizeof(rule));
	memset(&req, 0, sizeof(req));
	req.feature = "MATLAB";
	req.count = 1;

	cl = client_of(&w);
	cl.identity = &id;
	cl.elig = &rule;
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.status, CORE_GRANTED);
	assert_string_equal(res.unit, "phys");
	first = res.handle;
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_string_equal(last(fx)->gi.unit, "phys");

	cl.unit = "chem";
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.status, CORE_GRANTED);
	assert_string_equal(res.unit, "chem");

	cl.unit = "bio";
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.status, CORE_DENIED);
	assert_int_equal(res.reason, CORE_E_NOT_UNIT_MEMBER);
	assert_int_equal(last(fx)->ev.type, CORE_EV_DENY);
	assert_int_equal(last(fx)->ev.reason, CORE_E_NOT_UNIT_MEMBER);

	/* Fail-open with the directory down: the usual unit rules. */
	id.state = CORE_ID_UNAVAILABLE;
	rule.fail_open = 1;
	cl.unit = NULL;
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.status, CORE_DENIED);
	assert_int_equal(res.reason, CORE_E_NO_SEATS);
	assert_string_equal(res.unit, "other");

	/* Without a rule nothing changes. */
	cl.elig = NULL;
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_string_equal(res.unit, "other");

	/* A queued request keeps the directory's unit until granted. */
	id.state = CORE_ID_FOUND;
	cl.elig = &rule;
	cl.unit = "chem";
	req.queue = 1;
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.status, CORE_QUEUED);
	assert_int_equal(core_checkin(fx->c, 1, first, T0 + SEC), CORE_OK);
	assert_int_equal(last(fx)->ev.type, CORE_EV_CHECKOUT);
	assert_true(last(fx)->ev.from_queue);
	assert_string_equal(last(fx)->gi.unit, "chem");
}

/* Without a default unit a client in no GROUP is refused, unless the
 * directory names its unit. */
static void
test_core_no_default_unit(void **state)
{
	struct fx *fx = *state;
	struct who w = {"carol", "ws1", "", "10.0.0.1", "", 1};
	struct core_checkout_req req;
	struct core_client cl;
	struct core_result res;
	struct core_identity id = person("staff", "chem", 0);
	struct core_elig rule;

	feat(fx, "MATLAB", "1.0", 2);
	fx->st.default_unit[0] = '\0';
	configured(fx);
	memset(&rule, 0, sizeof(rule));
	memset(&req, 0, sizeof(req));
	req.feature = "MATLAB";
	req.count = 1;

	cl = client_of(&w);
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.status, CORE_DENIED);
	assert_int_equal(res.reason, CORE_E_NO_UNIT);

	cl.identity = &id;
	cl.elig = &rule;
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.status, CORE_GRANTED);
	assert_string_equal(res.unit, "chem");

	/* The default stays empty for everybody else. */
	cl.identity = NULL;
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.reason, CORE_E_NO_UNIT);
}

/* A certificate's unit: charged whatever is declared; a person's checked
 * against their units under a rule; a unit certificate passes "units" and
 * "both" with no identity, and not "members". */
static void
test_eligible_cert_table(void **state)
{
	struct core_elig members, units, any;
	struct core_identity id, host, down;
	const char *u;

	memset(&members, 0, sizeof(members));
	members.audience = CORE_AUD_MEMBERS;
	memset(&units, 0, sizeof(units));
	units.audience = CORE_AUD_UNITS;
	memset(&any, 0, sizeof(any));

	/* No rule: the unit is charged, person or unit. */
	assert_int_equal(
	    core_eligible_cert(NULL, NULL, "bio", 0, T0, &u), CORE_OK);
	assert_string_equal(u, "bio");
	assert_int_equal(
	    core_eligible_cert(NULL, NULL, "bio", 1, T0, &u), CORE_OK);
	assert_string_equal(u, "bio");
	assert_int_equal(
	    core_eligible_cert(NULL, NULL, "", 0, T0, &u), CORE_E_NOT_ELIGIBLE);
	assert_int_equal(core_eligible_cert(NULL, NULL, NULL, 1, T0, &u),
	    CORE_E_NOT_ELIGIBLE);

	/* A person: one of theirs (in the directory's spelling), or not
	 * a member; the rule's other tests still apply. */
	id = person("staff", "chem", 0);
	assert_int_equal(
	    core_eligible_cert(&any, &id, "PHYS", 0, T0, &u), CORE_OK);
	assert_string_equal(u, "phys");
	assert_int_equal(core_eligible_cert(&any, &id, "bio", 0, T0, &u),
	    CORE_E_NOT_UNIT_MEMBER);
	assert_int_equal(core_eligible_cert(&units, &id, "chem", 0, T0, &u),
	    CORE_E_NOT_ELIGIBLE);
	id = person("staff", "chem", T0);
	assert_int_equal(core_eligible_cert(&any, &id, "chem", 0, T0, &u),
	    CORE_E_CARD_EXPIRED);
	id.state = CORE_ID_UNKNOWN;
	assert_int_equal(core_eligible_cert(&any, &id, "chem", 0, T0, &u),
	    CORE_E_NOT_ELIGIBLE);

	/* A host that stands for a unit: the certificate must name that
	 * unit. */
	memset(&host, 0, sizeof(host));
	host.state = CORE_ID_UNIT;
	snprintf(host.units[0], sizeof(host.units[0]), "chem");
	host.nunits = 1;
	assert_int_equal(
	    core_eligible_cert(&any, &host, "chem", 0, T0, &u), CORE_OK);
	assert_string_equal(u, "chem");
	assert_int_equal(core_eligible_cert(&any, &host, "phys", 0, T0, &u),
	    CORE_E_NOT_UNIT_MEMBER);

	/* The directory down: closed refuses, open charges the
	 * certificate's unit unchecked; pending asks again. */
	memset(&down, 0, sizeof(down));
	down.state = CORE_ID_UNAVAILABLE;
	assert_int_equal(core_eligible_cert(&any, &down, "bio", 0, T0, &u),
	    CORE_E_DIRECTORY_DOWN);
	any.fail_open = 1;
	assert_int_equal(
	    core_eligible_cert(&any, &down, "bio", 0, T0, &u), CORE_OK);
	assert_string_equal(u, "bio");
	down.state = CORE_ID_PENDING;
	assert_int_equal(core_eligible_cert(&any, &down, "bio", 0, T0, &u),
	    CORE_E_TRY_AGAIN);

	/* A unit certificate: no identity read (the pending one would
	 * say try again). */
	assert_int_equal(
	    core_eligible_cert(&units, &down, "bio", 1, T0, &u), CORE_OK);
	assert_string_equal(u, "bio");
	assert_int_equal(
	    core_eligible_cert(&any, NULL, "bio", 1, T0, &u), CORE_OK);
	assert_int_equal(core_eligible_cert(&members, NULL, "bio", 1, T0, &u),
	    CORE_E_NOT_ELIGIBLE);
}

/* The core charges a certificate's unit over the options file's GROUP
 * and a declared unit, and needs no default unit for it; a unit
 * certificate is refused by a members-only rule with the reason in the
 * DENY event. */
static void
test_core_cert_unit(void **state)
{
	struct fx *fx = *state;
	struct who w = {"alice", "ws1", "", "10.0.0.1", "", 1};
	struct core_checkout_req req;
	struct core_client cl;
	struct core_result res;
	struct core_identity id = person("staff", "chem", 0);
	struct core_elig rule;

	feat(fx, "MATLAB", "1.0", 4);
	group(fx, 0, "chem", "alice", NULL);
	fx->st.default_unit[0] = '\0';
	configured(fx);
	memset(&rule, 0, sizeof(rule));
	memset(&req, 0, sizeof(req));
	req.feature = "MATLAB";
	req.count = 1;

	cl = client_of(&w);
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_string_equal(res.unit, "chem"); /* the GROUP */

	cl.cert_unit = "bio";
	cl.unit = "chem";
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.status, CORE_GRANTED);
	assert_string_equal(res.unit, "bio");
	assert_string_equal(last(fx)->gi.unit, "bio");

	/* Under a rule a person's certificate must name one of theirs. */
	cl.identity = &id;
	cl.elig = &rule;
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.status, CORE_DENIED);
	assert_int_equal(res.reason, CORE_E_NOT_UNIT_MEMBER);
	cl.cert_unit = "phys";
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.status, CORE_GRANTED);
	assert_string_equal(res.unit, "phys");

	/* A unit certificate; the person's facts are not read. */
	w.user = "bio";
	cl = client_of(&w);
	cl.cert_unit = "bio";
	cl.cert_principal = 1;
	cl.elig = &rule;
	rule.audience = CORE_AUD_UNITS;
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.status, CORE_GRANTED);
	assert_string_equal(res.unit, "bio");
	rule.audience = CORE_AUD_MEMBERS;
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.status, CORE_DENIED);
	assert_int_equal(res.reason, CORE_E_NOT_ELIGIBLE);
	assert_int_equal(last(fx)->ev.type, CORE_EV_DENY);
	assert_int_equal(last(fx)->ev.reason, CORE_E_NOT_ELIGIBLE);

	/* A unit principal without a unit is nobody. */
	cl.cert_unit = NULL;
	cl.elig = NULL;
	core_checkout(fx->c, &cl, &req, T0, &res);
	assert_int_equal(res.reason, CORE_E_NOT_ELIGIBLE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_filter_escape),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_units_file),
	    cmocka_unit_test(test_identity_conf),
	    cmocka_unit_test(test_cache_rules),
	    cmocka_unit_test(test_eligible_table),
	    cmocka_unit_test(test_eligible_cert_table),
	    cmocka_unit_test_setup_teardown(
		test_core_cert_unit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_checkout, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_no_default_unit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
