/*
 * The activation table: products, their groups, and per group the machines
 * that asked, so that a request is answered with the group's count without
 * looking at the other machines.
 *
 * Per group, every machine sits in a hash table by id and in one of two
 * lists, both ordered by last_seen, newest first:
 *
 *   seen   the machines within the window; its length is the count
 *   stale  the machines past the window that are still kept
 *
 * A request moves its machine to the head of seen.  As time passes the
 * tail of seen leaves the window and moves to the head of stale (it is
 * newer than every machine already there), so keeping the count right
 * costs one step per machine that leaves: request and tick are O(1)
 * amortised however many machines a group knows.
 *
 * Activations sit in expiry lanes, one lane per validity (in ms): within
 * a lane, activations granted later expire later, so a lane is a FIFO and
 * act_tick takes its expired head in O(1).  Machines restored from the
 * journal go to a lane of their own that is sorted once, before first use.
 *
 * What a group keeps past the window:
 *   uncapped  at most twice the highest threshold of its products, the
 *             most recently seen (as KMS keeps its 2 x 25 client ids); the
 *             oldest beyond that are forgotten, counted or not
 *   capped    every machine that is in the window or holds an activation,
 *             since an activation takes room under the cap; a machine that
 *             has neither is forgotten, as it no longer bears on the count
 *             or the cap
 *   orphaned  (no configured product names the group any more) machines
 *             are kept until they leave the window
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"

#define ACT_MS_PER_DAY (86400LL * 1000)
#define ACT_UUID_LEN 36
#define ACT_LANE_RESTORED 0 /* lane of restored activations */
#define ACT_LANE_NONE (-1)

/* Bounds of act_configure, generous: they keep the arithmetic in int. */
#define ACT_THRESHOLD_MAX 10000000
#define ACT_RETRY_MAX (30 * 24 * 60) /* minutes */
#define ACT_DAYS_MAX 3650

struct act_group;

/* A machine: about 160 bytes with its names (a million machines, some
 * 170 MB of the daemon, hash table included); fixed-size product, host
 * and unit made it 300. */
struct act_mach {
	struct act_mach *hnext; /* hash chain */
	struct act_mach *prev, *next; /* seen or stale list */
	struct act_mach *eprev, *enext; /* expiry lane */
	struct act_group *group;
	unsigned char id[16];
	int lane; /* ACT_LANE_NONE while not activated */
	int in_seen; /* in seen (counted), else in stale */
	enum act_class cls;
	int64_t first_seen;
	int64_t last_seen;
	int64_t activated_until;
	/* Product, host and unit, one after the other, each terminated;
	 * NULL while none is known (all three empty). */
	char *names;
};

struct act_list {
	struct act_mach *head, *tail;
	size_t n;
};

struct act_group {
	struct act_group *gnext;
	char name[CORE_NAME_MAX];
	int64_t window_ms;
	int limit; /* uncapped: machines kept at most */
	int capped; /* a product of the group has a cap */
	int orphaned; /* no product names the group */
	int sweep; /* the keeping rule changed: review stale once */
	struct act_mach **buckets;
	size_t nbuckets; /* a power of two */
	struct act_list seen;
	struct act_list stale;
	int activated; /* machines holding an activation */
};

struct act_lane {
	int64_t validity_ms; /* -1 for the restored lane */
	struct act_mach *head, *tail;
};

struct act_prod {
	struct act_product p;
	struct act_group *group;
	uint64_t requests[ACT_BAD_REQUEST + 1];
};

struct act {
	act_sink_fn sink;
	void *sink_arg;
	struct act_prod *prods;
	size_t nprods;
	struct act_group *groups;
	struct act_lane *lanes;
	size_t nlanes;
	int restored_unsorted;
};

static const char *const result_names[] = {
    [ACT_ACTIVATED] = "activated",
    [ACT_BELOW_THRESHOLD] = "below-threshold",
    [ACT_CAPPED] = "capped",
    [ACT_UNKNOWN_PRODUCT] = "unknown-product",
    [ACT_BAD_REQUEST] = "bad-request",
};

const char *
act_result_name(enum act_result r)
{
	if ((unsigned)r > ACT_BAD_REQUEST)
		return "unknown";
	return result_names[r];
}

void
act_product_default(struct act_product *p)
{
	memset(p, 0, sizeof(*p));
	p->threshold_client = 25;
	p->threshold_server = 5;
	p->retry_minutes = 120;
	p->renewal_days = 7;
	p->validity_days = 180;
	p->window_days = 30;
	p->cap = 0;
}

/* ---- machine ids ---- */

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Accepts 8-4-4-4-12 hex digits in any case, nothing around them. */
static int
uuid_parse(const char *s, unsigned char *out)
{
	int i, k = 0, hi, lo;

	if (s == NULL || strlen(s) != ACT_UUID_LEN)
		return -1;
	for (i = 0; i < ACT_UUID_LEN;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			i++;
			continue;
		}
		hi = hex_value((unsigned char)s[i]);
		lo = hex_value((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[k++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

static void
uuid_format(const unsigned char *id, char *out)
{
	static const char digits[] = "0123456789abcdef";
	int i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = digits[id[i] >> 4];
		out[o++] = digits[id[i] & 0xf];
	}
	out[o] = '\0';
}

/* XXX: unkeyed (the table has no source of randomness): clients that
 * pick ids to collide lengthen one chain and slow requests of the group. */
static size_t
id_hash(const unsigned char *id)
{
	uint64_t a, b;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	a ^= b * 0x9e3779b97f4a7c15ULL;
	a ^= a >> 31;
	a *= 0xbf58476d1ce4e5b9ULL;
	a ^= a >> 29;
	a *= 0x94d049bb133111ebULL;
	a ^= a >> 32;
	return (size_t)a;
}

/* ---- per-group containers ---- */

static struct act_mach *
group_find(const struct act_group *g, const unsigned char *id)
{
	struct act_mach *m;

	if (g->nbuckets == 0)
		return NULL;
	m = g->buckets[id_hash(id) & (g->nbuckets - 1)];
	while (m != NULL && memcmp(m->id, id, 16) != 0)
		m = m->hnext;
	return m;
}

static size_t
group_size(const struct act_group *g)
{
	return g->seen.n + g->stale.n;
}

/* Doubles the table.  On failure the old one stays: chains grow longer
 * but nothing is lost. */
static void
group_grow(struct act_group *g)
{
	struct act_mach **nb, *m, *next;
	size_t nn = g->nbuckets ? g->nbuckets * 2 : 64, i, h;

	if ((nb = calloc(nn, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < g->nbuckets; i++) {
		for (m = g->buckets[i]; m != NULL; m = next) {
			next = m->hnext;
			h = id_hash(m->id) & (nn - 1);
			m->hnext = nb[h];
			nb[h] = m;
		}
	}
	free(g->buckets);
	g->buckets = nb;
	g->nbuckets = nn;
}

static int
group_insert(struct act_group *g, struct act_mach *m)
{
	size_t h;

	if (group_size(g) + 1 > g->nbuckets)
		group_grow(g);
	if (g->nbuckets == 0)
		return -1;
	h = id_hash(m->id) & (g->nbuckets - 1);
	m->hnext = g->buckets[h];
	g->buckets[h] = m;
	return 0;
}

static void
group_unhash(struct act_group *g, struct act_mach *m)
{
	struct act_mach **pp;

	pp = &g->buckets[id_hash(m->id) & (g->nbuckets - 1)];
	while (*pp != m)
		pp = &(*pp)->hnext;
	*pp = m->hnext;
}

static void
list_unlink(struct act_list *l, struct act_mach *m)
{
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		l->head = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	else
		l->tail = m->prev;
	m->prev = m->next = NULL;
	l->n--;
}

static void
list_push_head(struct act_list *l, struct act_mach *m)
{
	m->prev = NULL;
	m->next = l->head;
	if (l->head != NULL)
		l->head->prev = m;
	else
		l->tail = m;
	l->head = m;
	l->n++;
}

static void
list_push_tail(struct act_list *l, struct act_mach *m)
{
	m->next = NULL;
	m->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = m;
	else
		l->head = m;
	l->tail = m;
	l->n++;
}

/* Keeps the list newest first for a machine of any last_seen.  Cheap when
 * it is the newest, as requests and an ordered restore are. */
static void
list_insert_ordered(struct act_list *l, struct act_mach *m)
{
	struct act_mach *at = l->head;

	while (at != NULL && at->last_seen > m->last_seen)
		at = at->next;
	if (at == NULL) {
		list_push_tail(l, m);
		return;
	}
	m->next = at;
	m->prev = at->prev;
	if (at->prev != NULL)
		at->prev->next = m;
	else
		l->head = m;
	at->prev = m;
	l->n++;
}

static struct act_list *
mach_list(struct act_mach *m)
{
	return m->in_seen ? &m->group->seen : &m->group->stale;
}

/* ---- expiry lanes ---- */

static void
lane_unlink(struct act *a, struct act_mach *m)
{
	struct act_lane *l;

	if (m->lane == ACT_LANE_NONE)
		return;
	l = &a->lanes[m->lane];
	if (m->eprev != NULL)
		m->eprev->enext = m->enext;
	else
		l->head = m->enext;
	if (m->enext != NULL)
		m->enext->eprev = m->eprev;
	else
		l->tail = m->eprev;
	m->eprev = m->enext = NULL;
	m->lane = ACT_LANE_NONE;
}

/* Returns the lane of a validity, adding it when new, or -1. */
static int
lane_get(struct act *a, int64_t validity_ms)
{
	struct act_lane *nl;
	size_t i;

	for (i = 0; i < a->nlanes; i++)
		if (a->lanes[i].validity_ms == validity_ms)
			return (int)i;
	nl = realloc(a->lanes, (a->nlanes + 1) * sizeof(*nl));
	if (nl == NULL)
		return -1;
	a->lanes = nl;
	memset(&nl[a->nlanes], 0, sizeof(*nl));
	nl[a->nlanes].validity_ms = validity_ms;
	return (int)a->nlanes++;
}

/*
 * Inserts in expiry order, walking back from the tail: one step when the
 * lane's validity is the machine's (expiries come in order), more only
 * when a clock that went backwards, or a lane shared by several
 * validities, hands an earlier expiry than the last one.
 */
static void
lane_add(struct act *a, struct act_mach *m, int lane)
{
	struct act_lane *l;
	struct act_mach *at;

	l = &a->lanes[lane];
	at = l->tail;
	while (at != NULL && at->activated_until > m->activated_until)
		at = at->eprev;
	m->eprev = at;
	m->enext = at != NULL ? at->enext : l->head;
	if (m->enext != NULL)
		m->enext->eprev = m;
	else
		l->tail = m;
	if (at != NULL)
		at->enext = m;
	else
		l->head = m;
	m->lane = lane;
}

static int
cmp_until(const void *x, const void *y)
{
	const struct act_mach *const *p = x, *const *q = y;

	if ((*p)->activated_until != (*q)->activated_until)
		return (*p)->activated_until < (*q)->activated_until ? -1 : 1;
	return 0;
}

/* Sorts the restored lane once, when something first reads it. */
static void
lanes_settle(struct act *a)
{
	struct act_lane *l;
	struct act_mach *m, **v;
	size_t n = 0, i;

	if (!a->restored_unsorted)
		return;
	l = &a->lanes[ACT_LANE_RESTORED];
	for (m = l->head; m != NULL; m = m->enext)
		n++;
	if (n > 1) {
		/* XXX: without memory for the sort the lane stays as
		 * restored and some activations expire late. */
		if ((v = malloc(n * sizeof(*v))) == NULL)
			return;
		for (i = 0, m = l->head; m != NULL; m = m->enext)
			v[i++] = m;
		qsort(v, n, sizeof(*v), cmp_until);
		for (i = 0; i < n; i++) {
			v[i]->eprev = i > 0 ? v[i - 1] : NULL;
			v[i]->enext = i + 1 < n ? v[i + 1] : NULL;
		}
		l->head = v[0];
		l->tail = v[n - 1];
		free(v);
	}
	a->restored_unsorted = 0;
}

/* ---- events ---- */

/* The i-th of a machine's names (0 product, 1 host, 2 unit). */
static const char *
mach_name(const struct act_mach *m, int i)
{
	const char *p = m->names;

	if (p == NULL)
		return "";
	for (; i > 0; i--)
		p += strlen(p) + 1;
	return p;
}

/* Sets the names, each cut to CORE_NAME_MAX - 1 bytes; keeps the old
 * ones (and returns -1) when out of memory. */
static int
mach_set_names(
    struct act_mach *m, const char *product, const char *host, const char *unit)
{
	const char *v[3] = {product, host, unit};
	size_t len[3], total = 0;
	char *p, *names;
	int i;

	for (i = 0; i < 3; i++) {
		len[i] = strnlen(v[i], CORE_NAME_MAX - 1);
		total += len[i] + 1;
	}
	if (m->names != NULL) {
		p = m->names;
		for (i = 0; i < 3; i++) {
			if (strlen(p) != len[i] || memcmp(p, v[i], len[i]) != 0)
				break;
			p += len[i] + 1;
		}
		if (i == 3)
			return 0; /* unchanged, the common case */
	}
	if ((names = malloc(total)) == NULL)
		return -1;
	for (p = names, i = 0; i < 3; i++) {
		memcpy(p, v[i], len[i]);
		p[len[i]] = '\0';
		p += len[i] + 1;
	}
	free(m->names);
	m->names = names;
	return 0;
}

static void
mach_free(struct act_mach *m)
{
	free(m->names);
	free(m);
}

static void
mach_info(const struct act_mach *m, struct act_machine_info *info)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->group, m->group->name, sizeof(info->group));
	snprintf(info->product, sizeof(info->product), "%s", mach_name(m, 0));
	uuid_format(m->id, info->machine_id);
	info->cls = m->cls;
	snprintf(info->host, sizeof(info->host), "%s", mach_name(m, 1));
	snprintf(info->unit, sizeof(info->unit), "%s", mach_name(m, 2));
	info->first_seen = m->first_seen;
	info->last_seen = m->last_seen;
	info->activated_until = m->activated_until;
}

static void
emit(struct act *a, enum act_event_type type, int64_t now,
    const struct act_machine_info *info, enum act_result result, int count,
    int purged)
{
	struct act_event ev;

	if (a->sink == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.time = now;
	ev.machine = info;
	ev.result = result;
	ev.count = count;
	ev.purged = purged;
	a->sink(a->sink_arg, &ev);
}

/* ---- machines ---- */

/* Removes a machine from every structure and frees it, with
 * ACT_EV_FORGET. */
static void
mach_forget(struct act *a, struct act_mach *m, int64_t now, int purged)
{
	struct act_group *g = m->group;
	struct act_machine_info info;

	mach_info(m, &info);
	list_unlink(mach_list(m), m);
	group_unhash(g, m);
	if (m->activated_until != 0)
		g->activated--;
	lane_unlink(a, m);
	emit(a, ACT_EV_FORGET, now, &info, 0, (int)g->seen.n, purged);
	mach_free(m);
}

/* Whether a group keeps a machine that is past the window. */
static int
keeps_stale(const struct act_group *g, const struct act_mach *m)
{
	if (g->orphaned)
		return 0;
	if (g->capped)
		return m->activated_until != 0;
	return 1;
}

/* Forgets the oldest machines of an uncapped group beyond its limit. */
static void
group_trim(struct act *a, struct act_group *g, int64_t now)
{
	struct act_mach *m;

	if (g->capped || g->orphaned)
		return;
	while (group_size(g) > (size_t)g->limit) {
		m = g->stale.tail != NULL ? g->stale.tail : g->seen.tail;
		mach_forget(a, m, now, 0);
	}
}

/*
 * Brings seen to the window at now: machines whose last_seen left it move
 * to stale (or are forgotten), and, after a window grew, stale machines
 * back within it return to the count.
 */
static void
group_slide(struct act *a, struct act_group *g, int64_t now)
{
	struct act_mach *m;
	int64_t edge = now - g->window_ms;

	while ((m = g->stale.head) != NULL && m->last_seen > edge) {
		list_unlink(&g->stale, m);
		m->in_seen = 1;
		list_push_tail(&g->seen, m);
	}
	while ((m = g->seen.tail) != NULL && m->last_seen <= edge) {
		list_unlink(&g->seen, m);
		m->in_seen = 0;
		list_push_head(&g->stale, m);
		if (!keeps_stale(g, m))
			mach_forget(a, m, now, 0);
	}
}

/* A review of stale after the keeping rule changed (act_configure). */
static void
group_sweep(struct act *a, struct act_group *g, int64_t now)
{
	struct act_mach *m, *prev;

	g->sweep = 0;
	for (m = g->stale.tail; m != NULL; m = prev) {
		prev = m->prev;
		if (!keeps_stale(g, m))
			mach_forget(a, m, now, 0);
	}
}

static void
expire_due(struct act *a, int64_t now)
{
	struct act_mach *m;
	struct act_machine_info info;
	size_t i;

	lanes_settle(a);
	for (i = 0; i < a->nlanes; i++) {
		while ((m = a->lanes[i].head) != NULL &&
		    m->activated_until <= now) {
			lane_unlink(a, m);
			m->activated_until = 0;
			m->group->activated--;
			mach_info(m, &info);
			emit(a, ACT_EV_EXPIRE, now, &info, 0,
			    (int)m->group->seen.n, 0);
			if (!m->in_seen && !keeps_stale(m->group, m))
				mach_forget(a, m, now, 0);
		}
	}
}

static void
run_due(struct act *a, int64_t now)
{
	struct act_group *g, **pp;

	expire_due(a, now);
	for (pp = &a->groups; (g = *pp) != NULL;) {
		group_slide(a, g, now);
		if (g->sweep)
			group_sweep(a, g, now);
		group_trim(a, g, now);
		/* A group no product names, now empty, is done with. */
		if (g->orphaned && group_size(g) == 0) {
			*pp = g->gnext;
			free(g->buckets);
			free(g);
			continue;
		}
		pp = &g->gnext;
	}
}

int64_t
act_tick(struct act *a, int64_t now)
{
	struct act_group *g;
	int64_t next = 0, t;
	size_t i;

	run_due(a, now);
	for (i = 0; i < a->nlanes; i++) {
		if (a->lanes[i].head == NULL)
			continue;
		t = a->lanes[i].head->activated_until;
		if (next == 0 || t < next)
			next = t;
	}
	for (g = a->groups; g != NULL; g = g->gnext) {
		if (g->seen.tail == NULL)
			continue;
		/* The first moment the oldest counted machine is out. */
		t = g->seen.tail->last_seen + g->window_ms;
		if (next == 0 || t < next)
			next = t;
	}
	return next;
}

/* ---- groups and products ---- */

static struct act_group *
group_by_name(const struct act *a, const char *name)
{
	struct act_group *g;

	for (g = a->groups; g != NULL; g = g->gnext)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

/* A group nobody configured (yet): machines restored before
 * act_configure, or of a group that is gone. */
static struct act_group *
group_add(struct act *a, const char *name)
{
	struct act_group *g, **pp;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->window_ms = 30 * ACT_MS_PER_DAY;
	g->orphaned = 1;
	/* Appended: groups list in the order first met, for the views. */
	for (pp = &a->groups; *pp != NULL; pp = &(*pp)->gnext)
		;
	*pp = g;
	return g;
}

static const char *
prod_group_name(const struct act_product *p)
{
	return p->group[0] != '\0' ? p->group : p->name;
}

static struct act_prod *
prod_by_name(const struct act *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nprods; i++)
		if (strcmp(a->prods[i].p.name, name) == 0)
			return &a->prods[i];
	return NULL;
}

struct act *
act_new(act_sink_fn sink, void *arg)
{
	struct act *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->sink = sink;
	a->sink_arg = arg;
	/* Lane 0 is for restored activations, whatever their validity. */
	if (lane_get(a, -1) != ACT_LANE_RESTORED) {
		free(a);
		return NULL;
	}
	return a;
}

void
act_free(struct act *a)
{
	struct act_group *g, *gn;
	struct act_mach *m, *mn;

	if (a == NULL)
		return;
	for (g = a->groups; g != NULL; g = gn) {
		gn = g->gnext;
		for (m = g->seen.head; m != NULL; m = mn) {
			mn = m->next;
			mach_free(m);
		}
		for (m = g->stale.head; m != NULL; m = mn) {
			mn = m->next;
			mach_free(m);
		}
		free(g->buckets);
		free(g);
	}
	free(a->prods);
	free(a->lanes);
	free(a);
}

/* Fills the zero fields of p with the defaults and checks the result. */
static int
prod_check(struct act_product *p, char *err, size_t errlen)
{
	struct act_product d;

	act_product_default(&d);
	if (p->name[0] == '\0' ||
	    strnlen(p->name, sizeof(p->name)) == sizeof(p->name)) {
		snprintf(err, errlen,
		    "a product needs a name of at most %d "
		    "characters",
		    CORE_NAME_MAX - 1);
		return -1;
	}
	if (strnlen(p->group, sizeof(p->group)) == sizeof(p->group)) {
		snprintf(
		    err, errlen, "product %s: group name too long", p->name);
		return -1;
	}
#define FILL(f) \
	if (p->f == 0) \
		p->f = d.f;
	FILL(threshold_client);
	FILL(threshold_server);
	FILL(retry_minutes);
	FILL(renewal_days);
	FILL(validity_days);
	FILL(window_days);
#undef FILL
#define RANGE(f, lo, hi) \
	if (p->f < (lo) || p->f > (hi)) { \
		snprintf(err, errlen, "product %s: %s %d not in %d..%d", \
		    p->name, #f, p->f, (lo), (hi)); \
		return -1; \
	}
	RANGE(threshold_client, 1, ACT_THRESHOLD_MAX);
	RANGE(threshold_server, 1, ACT_THRESHOLD_MAX);
	RANGE(retry_minutes, 1, ACT_RETRY_MAX);
	RANGE(renewal_days, 1, ACT_DAYS_MAX);
	RANGE(validity_days, 1, ACT_DAYS_MAX);
	RANGE(window_days, 1, ACT_DAYS_MAX);
	RANGE(cap, 0, ACT_THRESHOLD_MAX * 2);
#undef RANGE
	if (p->renewal_days > p->validity_days) {
		snprintf(err, errlen,
		    "product %s: renewal_days %d past validity_days %d",
		    p->name, p->renewal_days, p->validity_days);
		return -1;
	}
	return 0;
}

/*
 * Checks the whole set before touching anything; then the groups it names
 * take their window, limit and cap, groups it no longer names are
 * orphaned (their machines kept until the window lets them go), and
 * request counters carry over by product name.
 */
int
act_configure(struct act *a, const struct act_product *products, size_t n,
    char *err, size_t errlen)
{
	struct act_prod *np, *old;
	struct act_group *g, **made;
	size_t i, k, nmade = 0;
	int limit, capped;
	int64_t window;

	np = calloc(n ? n : 1, sizeof(*np));
	made = calloc(n ? n : 1, sizeof(*made));
	if (np == NULL || made == NULL) {
		free(np);
		free(made);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		np[i].p = products[i];
		if (prod_check(&np[i].p, err, errlen) == -1)
			goto fail;
		for (k = 0; k < i; k++) {
			if (strcmp(np[k].p.name, np[i].p.name) == 0) {
				snprintf(err, errlen, "product %s listed twice",
				    np[i].p.name);
				goto fail;
			}
			if (strcmp(prod_group_name(&np[k].p),
				prod_group_name(&np[i].p)) == 0 &&
			    np[k].p.window_days != np[i].p.window_days) {
				snprintf(err, errlen,
				    "products %s and %s share group %s but "
				    "not the window (%d and %d days)",
				    np[k].p.name, np[i].p.name,
				    prod_group_name(&np[i].p),
				    np[k].p.window_days, np[i].p.window_days);
				goto fail;
			}
		}
	}
	/* Groups to create: allocated now so that nothing can fail after
	 * the first change. */
	for (i = 0; i < n; i++) {
		const char *gn = prod_group_name(&np[i].p);

		if (group_by_name(a, gn) != NULL)
			continue;
		for (k = 0; k < nmade; k++)
			if (strcmp(made[k]->name, gn) == 0)
				break;
		if (k < nmade)
			continue;
		if ((made[nmade] = calloc(1, sizeof(**made))) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		snprintf(
		    made[nmade]->name, sizeof(made[nmade]->name), "%s", gn);
		made[nmade]->orphaned = 1;
		nmade++;
	}

	/* From here on nothing fails. */
	for (k = 0; k < nmade; k++) {
		struct act_group **pp;

		for (pp = &a->groups; *pp != NULL; pp = &(*pp)->gnext)
			;
		*pp = made[k];
	}
	free(made);
	for (i = 0; i < n; i++) {
		np[i].group = group_by_name(a, prod_group_name(&np[i].p));
		if ((old = prod_by_name(a, np[i].p.name)) != NULL)
			memcpy(np[i].requests, old->requests,
			    sizeof(np[i].requests));
	}
	for (g = a->groups; g != NULL; g = g->gnext) {
		int was_capped = g->capped, was_orphaned = g->orphaned;
		int any = 0;

		limit = 0;
		capped = 0;
		window = g->window_ms;
		for (i = 0; i < n; i++) {
			if (np[i].group != g)
				continue;
			any = 1;
			if (np[i].p.threshold_client > limit)
				limit = np[i].p.threshold_client;
			if (np[i].p.threshold_server > limit)
				limit = np[i].p.threshold_server;
			if (np[i].p.cap > 0)
				capped = 1;
			window = np[i].p.window_days * ACT_MS_PER_DAY;
		}
		if (!any) {
			g->orphaned = 1;
		} else {
			g->orphaned = 0;
			g->limit = 2 * limit;
			g->capped = capped;
			g->window_ms = window;
		}
		if (g->orphaned != was_orphaned || g->capped != was_capped)
			g->sweep = 1;
	}
	free(a->prods);
	a->prods = np;
	a->nprods = n;
	return 0;

fail:
	for (k = 0; k < nmade; k++)
		free(made[k]);
	free(made);
	free(np);
	return -1;
}

/* ---- requests ---- */

static int
class_threshold(const struct act_product *p, enum act_class cls)
{
	return cls == ACT_CLASS_SERVER ? p->threshold_server
				       : p->threshold_client;
}

/* The machine snapshot of a request that changed nothing: first_seen 0
 * says that the machine is not (made) part of the table. */
static void
request_info(
    const struct act_request *req, struct act_machine_info *info, int64_t now)
{
	size_t i;

	memset(info, 0, sizeof(*info));
	if (req->product != NULL) {
		snprintf(info->group, sizeof(info->group), "%s", req->product);
		snprintf(
		    info->product, sizeof(info->product), "%s", req->product);
	}
	if (req->machine_id != NULL) {
		snprintf(info->machine_id, sizeof(info->machine_id), "%s",
		    req->machine_id);
		for (i = 0; info->machine_id[i] != '\0'; i++)
			if (info->machine_id[i] >= 'A' &&
			    info->machine_id[i] <= 'Z')
				info->machine_id[i] += 'a' - 'A';
	}
	info->cls = req->cls;
	if (req->host != NULL)
		snprintf(info->host, sizeof(info->host), "%s", req->host);
	if (req->unit != NULL)
		snprintf(info->unit, sizeof(info->unit), "%s", req->unit);
	info->last_seen = now;
}

/* Finds the machine or adds it, counted, at the head of seen.  NULL when
 * out of memory. */
static struct act_mach *
request_machine(struct act_group *g, const unsigned char *id, int64_t now)
{
	struct act_mach *m;

	if ((m = group_find(g, id)) != NULL) {
		list_unlink(mach_list(m), m);
	} else {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return NULL;
		memcpy(m->id, id, 16);
		m->group = g;
		m->lane = ACT_LANE_NONE;
		m->first_seen = now;
		if (group_insert(g, m) == -1) {
			free(m);
			return NULL;
		}
	}
	/* A clock that went back must not reorder the list. */
	if (g->seen.head != NULL && g->seen.head->last_seen > now)
		m->last_seen = g->seen.head->last_seen;
	else
		m->last_seen = now;
	m->in_seen = 1;
	list_push_head(&g->seen, m);
	return m;
}

static void
activate(struct act *a, struct act_prod *pr, struct act_mach *m, int64_t now,
    struct act_reply *rep)
{
	int64_t validity = pr->p.validity_days * ACT_MS_PER_DAY;
	int lane;

	rep->renewed = m->activated_until > now;
	if (m->activated_until == 0)
		m->group->activated++;
	lane_unlink(a, m);
	m->activated_until = now + validity;
	/* Without memory for a new lane the restored lane (sorted by then,
	 * run_due settled it) takes it, at the cost of a longer walk. */
	if ((lane = lane_get(a, validity)) == -1)
		lane = ACT_LANE_RESTORED;
	lane_add(a, m, lane);
	rep->result = ACT_ACTIVATED;
	rep->issued = now;
	rep->expires = m->activated_until;
}

/*
 * A machine new to the count is counted even when the cap refuses it, as
 * KMS counts every machine that asks: the count says how many machines
 * want the product, the cap how many may have it.  A machine that holds an
 * activation renews past the cap.  Below the threshold an activation
 * already held is left to run out; it is not renewed.
 */
void
act_request(struct act *a, const struct act_request *req, int64_t now,
    struct act_reply *rep)
{
	struct act_machine_info info;
	unsigned char id[16];
	struct act_prod *pr = NULL;
	struct act_group *g;
	struct act_mach *m;
	int threshold;

	memset(rep, 0, sizeof(*rep));
	run_due(a, now);

	if (req->product != NULL && req->product[0] != '\0')
		pr = prod_by_name(a, req->product);
	if (req->product == NULL || req->product[0] == '\0' ||
	    uuid_parse(req->machine_id, id) == -1 ||
	    (req->cls != ACT_CLASS_CLIENT && req->cls != ACT_CLASS_SERVER))
		rep->result = ACT_BAD_REQUEST;
	else if (pr == NULL)
		rep->result = ACT_UNKNOWN_PRODUCT;
	if (rep->result == ACT_BAD_REQUEST ||
	    rep->result == ACT_UNKNOWN_PRODUCT) {
		request_info(req, &info, now);
		if (pr != NULL) {
			memcpy(info.group, pr->group->name, sizeof(info.group));
			rep->count = (int)pr->group->seen.n;
			pr->requests[rep->result]++;
		}
		emit(a, ACT_EV_REQUEST, now, &info, rep->result, rep->count, 0);
		return;
	}

	g = pr->group;
	threshold = class_threshold(&pr->p, req->cls);
	rep->threshold = threshold;
	rep->retry_s = pr->p.retry_minutes * 60;
	rep->renewal_s = pr->p.renewal_days * 86400;
	rep->validity_s = pr->p.validity_days * 86400;

	if ((m = request_machine(g, id, now)) == NULL) {
		/* XXX: out of memory the machine is not counted; it is told
		 * to retry, and the request is journaled all the same. */
		rep->result = ACT_BELOW_THRESHOLD;
		rep->count = (int)g->seen.n;
		request_info(req, &info, now);
		memcpy(info.group, g->name, sizeof(info.group));
		pr->requests[rep->result]++;
		emit(a, ACT_EV_REQUEST, now, &info, rep->result, rep->count, 0);
		return;
	}
	m->cls = req->cls;
	/* XXX: out of memory the machine keeps the names it had. */
	(void)mach_set_names(m, pr->p.name,
	    req->host != NULL ? req->host : mach_name(m, 1),
	    req->unit != NULL && req->unit[0] != '\0' ? req->unit
						      : mach_name(m, 2));
	/* The machine is at the head of seen: trimming takes older ones. */
	group_trim(a, g, now);

	rep->count = (int)g->seen.n;
	if (rep->count < threshold)
		rep->result = ACT_BELOW_THRESHOLD;
	else if (m->activated_until == 0 && pr->p.cap > 0 &&
	    g->activated >= pr->p.cap)
		rep->result = ACT_CAPPED;
	else
		activate(a, pr, m, now, rep);
	snprintf(rep->unit, sizeof(rep->unit), "%s", mach_name(m, 2));
	pr->requests[rep->result]++;
	mach_info(m, &info);
	emit(a, ACT_EV_REQUEST, now, &info, rep->result, rep->count, 0);
}

/*
 * Accepts a machine of any group, configured or not (an unknown group is
 * kept as orphaned until configured).  Counted until the first tick or
 * request slides the window.  Machines restored newest last (as
 * journal_restore_machines hands them) cost O(1) each; in any other order
 * O(machines) each.  Returns 0, or -1 for a bad id or out of memory.
 */
int
act_restore(struct act *a, const struct act_machine_info *info)
{
	unsigned char id[16];
	struct act_group *g;
	struct act_mach *m;

	if (uuid_parse(info->machine_id, id) == -1 || info->group[0] == '\0')
		return -1;
	if ((g = group_by_name(a, info->group)) == NULL &&
	    (g = group_add(a, info->group)) == NULL)
		return -1;
	if ((m = group_find(g, id)) != NULL) {
		list_unlink(mach_list(m), m);
		lane_unlink(a, m);
		if (m->activated_until != 0)
			g->activated--;
	} else {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return -1;
		memcpy(m->id, id, 16);
		m->group = g;
		m->lane = ACT_LANE_NONE;
		if (group_insert(g, m) == -1) {
			free(m);
			return -1;
		}
	}
	if (mach_set_names(m, info->product, info->host, info->unit) == -1) {
		/* Only a new machine has no names yet: drop it whole. */
		if (m->names == NULL) {
			group_unhash(g, m);
			mach_free(m);
			return -1;
		}
	}
	m->cls =
	    info->cls == ACT_CLASS_SERVER ? ACT_CLASS_SERVER : ACT_CLASS_CLIENT;
	m->first_seen = info->first_seen;
	m->last_seen = info->last_seen;
	m->activated_until =
	    info->activated_until > 0 ? info->activated_until : 0;
	m->in_seen = 1;
	list_insert_ordered(&g->seen, m);
	if (m->activated_until != 0) {
		g->activated++;
		/* Appended unsorted; lanes_settle sorts before first use. */
		m->eprev = a->lanes[ACT_LANE_RESTORED].tail;
		m->enext = NULL;
		if (m->eprev != NULL)
			m->eprev->enext = m;
		else
			a->lanes[ACT_LANE_RESTORED].head = m;
		a->lanes[ACT_LANE_RESTORED].tail = m;
		m->lane = ACT_LANE_RESTORED;
		a->restored_unsorted = 1;
	}
	return 0;
}

int
act_purge(struct act *a, const char *group, const char *machine_id, int64_t now)
{
	unsigned char id[16];
	struct act_group *g;
	struct act_mach *m;

	if (group == NULL || uuid_parse(machine_id, id) == -1 ||
	    (g = group_by_name(a, group)) == NULL ||
	    (m = group_find(g, id)) == NULL)
		return -1;
	mach_forget(a, m, now, 1);
	return 0;
}

/* ---- views ---- */

/* The count at now without changing anything: the seen machines less
 * those at its old end that a tick would move out. */
static int
count_at(const struct act_group *g, int64_t now)
{
	const struct act_mach *m;
	int64_t edge = now - g->window_ms;
	size_t n = g->seen.n;

	for (m = g->seen.tail; m != NULL && m->last_seen <= edge; m = m->prev)
		n--;
	return (int)n;
}

static int
activated_at(const struct act *a, const struct act_group *g, int64_t now)
{
	const struct act_mach *m;
	int n = g->activated;
	size_t i;

	/* XXX: restored activations not yet sorted count until the first
	 * tick, even when already past their expiry. */
	for (i = 0; i < a->nlanes; i++) {
		if (i == ACT_LANE_RESTORED && a->restored_unsorted)
			continue;
		for (m = a->lanes[i].head;
		     m != NULL && m->activated_until <= now; m = m->enext)
			if (m->group == g)
				n--;
	}
	return n;
}

void
act_foreach_product(
    const struct act *a, int64_t now, act_product_fn fn, void *arg)
{
	struct act_product_info pi;
	size_t i;

	for (i = 0; i < a->nprods; i++) {
		memset(&pi, 0, sizeof(pi));
		pi.product = a->prods[i].p;
		pi.count = count_at(a->prods[i].group, now);
		pi.activated = activated_at(a, a->prods[i].group, now);
		memcpy(pi.requests, a->prods[i].requests, sizeof(pi.requests));
		fn(arg, &pi);
	}
}

static void
foreach_list(const struct act_list *l, act_machine_fn fn, void *arg)
{
	struct act_machine_info info;
	const struct act_mach *m;

	for (m = l->head; m != NULL; m = m->next) {
		mach_info(m, &info);
		fn(arg, &info);
	}
}

void
act_foreach_machine(
    const struct act *a, const char *group, act_machine_fn fn, void *arg)
{
	const struct act_group *g;

	for (g = a->groups; g != NULL; g = g->gnext) {
		if (group != NULL && group[0] != '\0' &&
		    strcmp(g->name, group) != 0)
			continue;
		foreach_list(&g->seen, fn, arg);
		foreach_list(&g->stale, fn, arg);
	}
}
