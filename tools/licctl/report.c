/*
 * The computations behind licctl's reports: seat-hours, peaks, distinct
 * users, denials, queue waits and activations from a stream of journal
 * records; chargeback shares by the largest remainder method in integer
 * minor units; the costs file; and the CSV and JSON lines of an export.
 *
 * A report replays the journal: it keeps the grants open at each moment
 * (by handle) and the queue entries waiting, so that a seat is charged
 * from its checkout, or from the period's start if it was checked out
 * before, to its checkin, or to the period's end if it is still held then.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libconfig.h>

#include "report.h"

/* A chained hash table from text to a pointer: rows by key, open grants
 * by handle, and the sets of distinct users, units and machines. */
struct rmap_node {
	struct rmap_node *next;
	void *val;
	char key[];
};

struct rmap {
	struct rmap_node **b;
	size_t nb;
	size_t n;
};

static size_t
rmap_hash(const char *s, size_t nb)
{
	uint64_t h = 14695981039346656037ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (size_t)(h % nb);
}

static struct rmap_node *
rmap_find(const struct rmap *m, const char *key)
{
	struct rmap_node *nd;

	if (m->nb == 0)
		return NULL;
	for (nd = m->b[rmap_hash(key, m->nb)]; nd != NULL; nd = nd->next)
		if (strcmp(nd->key, key) == 0)
			return nd;
	return NULL;
}

static int
rmap_grow(struct rmap *m)
{
	struct rmap_node **nb, *nd, *next;
	size_t i, n, h;

	n = m->nb == 0 ? 64 : m->nb * 2;
	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < m->nb; i++)
		for (nd = m->b[i]; nd != NULL; nd = next) {
			next = nd->next;
			h = rmap_hash(nd->key, n);
			nd->next = nb[h];
			nb[h] = nd;
		}
	free(m->b);
	m->b = nb;
	m->nb = n;
	return 0;
}

/* Adds key (absent) with val.  Returns the node or NULL (memory). */
static struct rmap_node *
rmap_put(struct rmap *m, const char *key, void *val)
{
	struct rmap_node *nd;
	size_t len = strlen(key), h;

	if (m->n >= m->nb && rmap_grow(m) == -1)
		return NULL;
	if ((nd = malloc(sizeof(*nd) + len + 1)) == NULL)
		return NULL;
	memcpy(nd->key, key, len + 1);
	nd->val = val;
	h = rmap_hash(key, m->nb);
	nd->next = m->b[h];
	m->b[h] = nd;
	m->n++;
	return nd;
}

/* Returns the value removed, or NULL. */
static void *
rmap_del(struct rmap *m, const char *key)
{
	struct rmap_node **pp, *nd;
	void *val;

	if (m->nb == 0)
		return NULL;
	for (pp = &m->b[rmap_hash(key, m->nb)]; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->key, key) == 0) {
			nd = *pp;
			*pp = nd->next;
			val = nd->val;
			free(nd);
			m->n--;
			return val;
		}
	return NULL;
}

/* A set of names: returns 0 (present or added) or -1 (memory). */
static int
rmap_add(struct rmap *m, const char *key)
{
	if (rmap_find(m, key) != NULL)
		return 0;
	return rmap_put(m, key, NULL) != NULL ? 0 : -1;
}

static void
rmap_free(struct rmap *m, void (*fn)(void *))
{
	struct rmap_node *nd, *next;
	size_t i;

	for (i = 0; i < m->nb; i++)
		for (nd = m->b[i]; nd != NULL; nd = next) {
			next = nd->next;
			if (fn != NULL)
				fn(nd->val);
			free(nd);
		}
	free(m->b);
	memset(m, 0, sizeof(*m));
}

/* A row and what it needs while the journal is replayed. */
struct row {
	struct report_row pub;
	int cur; /* seats held now */
	struct rmap users;
	struct rmap units;
	struct rmap machines;
};

/* A grant open at the current point of the replay. */
struct grant {
	int64_t start;
	int count;
	char user[CORE_NAME_MAX];
	char unit[CORE_NAME_MAX];
	struct row *row;
};

/* A queue entry waiting at the current point of the replay. */
struct qent {
	struct qent *next;
	uint64_t ticket;
	int64_t time;
	int count;
	char feature[CORE_NAME_MAX];
	char user[CORE_NAME_MAX];
	char host[CORE_NAME_MAX];
	char display[CORE_DISPLAY_MAX];
	struct row *row;
};

struct report {
	int64_t from;
	int64_t to;
	enum report_by by;
	int begun; /* the replay has reached the period */
	int finished;
	struct rmap rowmap; /* "key\nkey2" -> struct row */
	struct row **rows;
	size_t nrows;
	size_t caprows;
	struct row total;
	struct rmap grants; /* handle -> struct grant */
	struct qent *queue; /* oldest first */
	struct rmap inuse; /* feature -> int: its tokens in use so far */
	int taken; /* tokens the record at hand took from the pool */
	char frontend[16]; /* account only this front end's records */
};

struct report *
report_new(int64_t from_ms, int64_t to_ms, enum report_by by)
{
	struct report *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->from = from_ms;
	r->to = to_ms;
	r->by = by;
	return r;
}

static void
row_free(struct row *row)
{
	rmap_free(&row->users, NULL);
	rmap_free(&row->units, NULL);
	rmap_free(&row->machines, NULL);
	free(row->pub.reasons);
}

static void
queue_clear(struct report *r)
{
	struct qent *q;

	while ((q = r->queue) != NULL) {
		r->queue = q->next;
		free(q);
	}
}

void
report_free(struct report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrows; i++) {
		row_free(r->rows[i]);
		free(r->rows[i]);
	}
	free(r->rows);
	row_free(&r->total);
	rmap_free(&r->rowmap, NULL);
	rmap_free(&r->grants, free);
	rmap_free(&r->inuse, free);
	queue_clear(r);
	free(r);
}

/* The row a record belongs to, created when new; NULL when out of
 * memory. */
static struct row *
row_get(struct report *r, const struct journal_record *rec)
{
	const char *k1, *k2 = "";
	char key[2 * CORE_NAME_MAX + 2];
	struct rmap_node *nd;
	struct row *row;
	void *p;

	switch (r->by) {
	case REPORT_BY_FEATURE:
		k1 = rec->feature;
		break;
	case REPORT_BY_USER:
		k1 = rec->user;
		break;
	case REPORT_BY_HOST:
		k1 = rec->host;
		break;
	case REPORT_BY_FEATURE_UNIT:
		k1 = rec->feature;
		k2 = rec->unit;
		break;
	case REPORT_BY_UNIT:
	default:
		k1 = rec->unit;
		break;
	}
	snprintf(key, sizeof(key), "%s\n%s", k1, k2);
	if ((nd = rmap_find(&r->rowmap, key)) != NULL)
		return nd->val;

	if (r->nrows == r->caprows) {
		r->caprows = r->caprows == 0 ? 16 : r->caprows * 2;
		p = realloc(r->rows, r->caprows * sizeof(*r->rows));
		if (p == NULL)
			return NULL;
		r->rows = p;
	}
	if ((row = calloc(1, sizeof(*row))) == NULL)
		return NULL;
	snprintf(row->pub.key, sizeof(row->pub.key), "%s", k1);
	snprintf(row->pub.key2, sizeof(row->pub.key2), "%s", k2);
	if (rmap_put(&r->rowmap, key, row) == NULL) {
		free(row);
		return NULL;
	}
	r->rows[r->nrows++] = row;
	return row;
}

/* Notes that the row held a seat in the period, for whom. */
static int
row_touch(struct row *row, const char *user, const char *unit)
{
	row->pub.in_period = 1;
	if (rmap_add(&row->users, user) == -1 ||
	    rmap_add(&row->units, unit) == -1)
		return -1;
	row->pub.users = row->users.n;
	row->pub.units = row->units.n;
	return 0;
}

static void
row_seats(struct report *r, struct row *row, int delta)
{
	row->cur += delta;
	r->total.cur += delta;
	if (!r->begun)
		return;
	if (row->cur > row->pub.peak)
		row->pub.peak = row->cur;
	if (r->total.cur > r->total.pub.peak)
		r->total.pub.peak = r->total.cur;
}

/* The part of [a, b) inside the period. */
static int64_t
overlap(const struct report *r, int64_t a, int64_t b)
{
	int64_t lo = a > r->from ? a : r->from;
	int64_t hi = b < r->to ? b : r->to;

	return hi > lo ? hi - lo : 0;
}

static void
charge(struct report *r, struct row *row, int count, int64_t a, int64_t b)
{
	int64_t ms = overlap(r, a, b) * (count > 0 ? count : 0);

	row->pub.seat_ms += ms;
	r->total.pub.seat_ms += ms;
}

/* The replay reaches the period: the grants open now were held at its
 * start. */
static int
begin(struct report *r)
{
	struct rmap_node *nd;
	struct grant *g;
	size_t i;

	r->begun = 1;
	for (i = 0; i < r->grants.nb; i++)
		for (nd = r->grants.b[i]; nd != NULL; nd = nd->next) {
			g = nd->val;
			if (row_touch(g->row, g->user, g->unit) == -1 ||
			    row_touch(&r->total, g->user, g->unit) == -1)
				return -1;
		}
	for (i = 0; i < r->nrows; i++)
		if (r->rows[i]->cur > r->rows[i]->pub.peak)
			r->rows[i]->pub.peak = r->rows[i]->cur;
	if (r->total.cur > r->total.pub.peak)
		r->total.pub.peak = r->total.cur;
	return 0;
}

static void
handle_key(uint64_t handle, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64, handle);
}

static void
wait_ended(struct report *r, struct row *row, int64_t queued, int64_t now)
{
	int64_t w = now > queued ? now - queued : 0;

	row->pub.waits++;
	row->pub.wait_ms += w;
	row->pub.in_period = 1;
	r->total.pub.waits++;
	r->total.pub.wait_ms += w;
}

/*
 * A checkout granted from the queue does not name its ticket (the grant
 * gets a new handle), so it ends the oldest waiting entry of the same
 * feature, holder and count.
 * XXX: two identical requests from one holder may be paired the other way
 * round, which moves wait time between them but not its total.
 */
static void
queue_served(struct report *r, const struct journal_record *rec, int inp)
{
	struct qent **pp, *q;

	for (pp = &r->queue; (q = *pp) != NULL; pp = &q->next)
		if (strcmp(q->feature, rec->feature) == 0 &&
		    strcmp(q->user, rec->user) == 0 &&
		    strcmp(q->host, rec->host) == 0 &&
		    strcmp(q->display, rec->display) == 0 &&
		    q->count == rec->count)
			break;
	if (q == NULL)
		return;
	if (inp)
		wait_ended(r, q->row, q->time, rec->time_ms);
	/* Counted against the period in which it was queued, so that a
	 * period's granted requests never outnumber its requests. */
	if (q->time >= r->from) {
		q->row->pub.queued_granted++;
		r->total.pub.queued_granted++;
	}
	*pp = q->next;
	free(q);
}

/*
 * The tokens a checkout took from its pool: the rise of the feature's
 * in-use count over the record before.  A checkout that shares a token
 * (SHARE=, DUP_GROUP) or takes back its own lingering one takes none.
 */
static void
tokens_issued(struct report *r, struct row *row, int count)
{
	int n = r->taken < count ? r->taken : count;

	if (n <= 0)
		return;
	row->pub.tokens += (uint64_t)n;
	r->total.pub.tokens += (uint64_t)n;
}

/* Follows the feature's in-use count from record to record, and notes
 * what this one took.  Returns 0 or -1 (memory). */
static int
inuse_step(struct report *r, const struct journal_record *rec)
{
	struct rmap_node *nd;
	int *last;

	if ((nd = rmap_find(&r->inuse, rec->feature)) == NULL) {
		if ((last = calloc(1, sizeof(*last))) == NULL)
			return -1;
		if (rmap_put(&r->inuse, rec->feature, last) == NULL) {
			free(last);
			return -1;
		}
	} else {
		last = nd->val;
	}
	r->taken = rec->in_use_after - *last;
	*last = rec->in_use_after;
	return 0;
}

int
report_set_frontend(struct report *r, const char *frontend)
{
	if (strlen(frontend) >= sizeof(r->frontend))
		return -1;
	snprintf(r->frontend, sizeof(r->frontend), "%s", frontend);
	return 0;
}

/* A seat returned in the period after being held ms. */
static void
hold_note(struct report_row *row, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (row->holds == 0 || ms < row->hold_min_ms)
		row->hold_min_ms = ms;
	if (ms > row->hold_max_ms)
		row->hold_max_ms = ms;
	row->holds++;
	row->hold_ms += ms;
}

static int
on_checkout(
    struct report *r, const struct journal_record *rec, int inp, int resume)
{
	char hk[32];
	struct rmap_node *nd;
	struct grant *g;
	struct row *row;

	handle_key(rec->handle, hk, sizeof(hk));
	if ((nd = rmap_find(&r->grants, hk)) != NULL) {
		/* Taken back within its linger, or resumed: the seat was
		 * never free, so its time goes on. */
		g = nd->val;
		if (resume || !inp)
			return 0;
		g->row->pub.checkouts++;
		r->total.pub.checkouts++;
		tokens_issued(r, g->row, rec->count);
		return row_touch(g->row, g->user, g->unit) == -1 ||
			row_touch(&r->total, g->user, g->unit) == -1
		    ? -1
		    : 0;
	}

	/* XXX: a resume of a grant whose checkout is not in the journal
	 * (its file removed) counts from the resume, not from when it was
	 * granted. */
	if ((row = row_get(r, rec)) == NULL ||
	    (g = calloc(1, sizeof(*g))) == NULL)
		return -1;
	g->start = rec->time_ms;
	g->count = rec->count;
	snprintf(g->user, sizeof(g->user), "%s", rec->user);
	snprintf(g->unit, sizeof(g->unit), "%s", rec->unit);
	g->row = row;
	if (rmap_put(&r->grants, hk, g) == NULL) {
		free(g);
		return -1;
	}
	row->pub.held_ever = 1;
	row_seats(r, row, g->count);
	if (inp) {
		if (!resume) {
			row->pub.checkouts++;
			r->total.pub.checkouts++;
			tokens_issued(r, row, g->count);
		}
		if (row_touch(row, g->user, g->unit) == -1 ||
		    row_touch(&r->total, g->user, g->unit) == -1)
			return -1;
	}
	if (!resume && strcmp(rec->detail, "from queue") == 0)
		queue_served(r, rec, inp);
	return 0;
}

static int
on_checkin(struct report *r, const struct journal_record *rec)
{
	char hk[32];
	struct grant *g;
	struct row *row;
	int64_t start;

	handle_key(rec->handle, hk, sizeof(hk));
	if ((g = rmap_del(&r->grants, hk)) != NULL) {
		charge(r, g->row, g->count, g->start, rec->time_ms);
		row_seats(r, g->row, -g->count);
		if (rec->time_ms >= r->from) {
			hold_note(&g->row->pub, rec->duration_ms);
			hold_note(&r->total.pub, rec->duration_ms);
		}
		free(g);
		return 0;
	}

	/* Checked out before the oldest journal file kept: the checkin's
	 * duration says since when. */
	if (rec->duration_ms <= 0)
		return 0;
	start = rec->time_ms - rec->duration_ms;
	if (overlap(r, start, rec->time_ms) == 0)
		return 0;
	if ((row = row_get(r, rec)) == NULL)
		return -1;
	if (rec->time_ms >= r->from) {
		hold_note(&row->pub, rec->duration_ms);
		hold_note(&r->total.pub, rec->duration_ms);
	}
	row->pub.held_ever = 1;
	charge(r, row, rec->count, start, rec->time_ms);
	if (row_touch(row, rec->user, rec->unit) == -1 ||
	    row_touch(&r->total, rec->user, rec->unit) == -1)
		return -1;
	return 0;
}

static int
count_reason(struct report_row *row, const char *reason)
{
	struct report_count *c;
	size_t i;

	for (i = 0; i < row->nreasons; i++)
		if (strcmp(row->reasons[i].name, reason) == 0) {
			row->reasons[i].n++;
			return 0;
		}
	c = realloc(row->reasons, (row->nreasons + 1) * sizeof(*c));
	if (c == NULL)
		return -1;
	row->reasons = c;
	c = &row->reasons[row->nreasons++];
	snprintf(c->name, sizeof(c->name), "%s", reason);
	c->n = 1;
	return 0;
}

static int
on_deny(struct report *r, const struct journal_record *rec)
{
	const char *why = rec->reason[0] != '\0' ? rec->reason : "unknown";
	struct row *row;

	if ((row = row_get(r, rec)) == NULL)
		return -1;
	row->pub.in_period = 1;
	row->pub.denials++;
	r->total.pub.denials++;
	if (count_reason(&row->pub, why) == -1 ||
	    count_reason(&r->total.pub, why) == -1)
		return -1;
	return 0;
}

static int
on_queue(struct report *r, const struct journal_record *rec)
{
	struct qent *q, **pp;
	struct row *row;

	if ((row = row_get(r, rec)) == NULL ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		return -1;
	if (rec->time_ms >= r->from) {
		row->pub.in_period = 1;
		row->pub.queued++;
		r->total.pub.queued++;
	}
	q->ticket = rec->handle;
	q->time = rec->time_ms;
	q->count = rec->count;
	snprintf(q->feature, sizeof(q->feature), "%s", rec->feature);
	snprintf(q->user, sizeof(q->user), "%s", rec->user);
	snprintf(q->host, sizeof(q->host), "%s", rec->host);
	snprintf(q->display, sizeof(q->display), "%s", rec->display);
	q->row = row;
	for (pp = &r->queue; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = q;
	return 0;
}

static void
on_dequeue(struct report *r, const struct journal_record *rec, int inp)
{
	struct qent **pp, *q;

	for (pp = &r->queue; (q = *pp) != NULL; pp = &q->next)
		if (q->ticket == rec->handle)
			break;
	if (q == NULL)
		return;
	if (inp)
		wait_ended(r, q->row, q->time, rec->time_ms);
	*pp = q->next;
	free(q);
}

static int
on_activate(struct report *r, const struct journal_record *rec)
{
	const char *m =
	    rec->machine_id[0] != '\0' ? rec->machine_id : rec->host;
	struct row *row;

	/* Only requests answered with an activation (or its renewal) count:
	 * a machine below the threshold or past a cap is not licensed. */
	if (strcmp(rec->reason, "activated") != 0)
		return 0;
	if ((row = row_get(r, rec)) == NULL)
		return -1;
	row->pub.in_period = 1;
	if (rmap_add(&row->machines, m) == -1 ||
	    rmap_add(&r->total.machines, m) == -1)
		return -1;
	row->pub.activations = row->machines.n;
	r->total.pub.activations = r->total.machines.n;
	return 0;
}

int
report_add(struct report *r, const struct journal_record *rec)
{
	int64_t t = rec->time_ms;
	int inp;

	if (r->finished || t >= r->to)
		return 0;
	if (!r->begun && t >= r->from && begin(r) == -1)
		return -1;
	inp = t >= r->from;
	if (rec->feature[0] != '\0' && inuse_step(r, rec) == -1)
		return -1;
	/* Another front end's record still moved the in-use count. */
	if (r->frontend[0] != '\0' && rec->frontend[0] != '\0' &&
	    strcmp(rec->frontend, r->frontend) != 0)
		return 0;

	if (strcmp(rec->type, "checkout") == 0)
		return on_checkout(r, rec, inp, 0);
	if (strcmp(rec->type, "resume") == 0)
		return on_checkout(r, rec, inp, 1);
	if (strcmp(rec->type, "checkin") == 0)
		return on_checkin(r, rec);
	if (strcmp(rec->type, "queue") == 0)
		return on_queue(r, rec);
	if (strcmp(rec->type, "dequeue") == 0) {
		on_dequeue(r, rec, inp);
		return 0;
	}
	if (strcmp(rec->type, "start") == 0) {
		/* The queue does not survive a restart; grants do. */
		queue_clear(r);
		return 0;
	}
	if (!inp)
		return 0;
	if (strcmp(rec->type, "deny") == 0)
		return on_deny(r, rec);
	if (strcmp(rec->type, "activate") == 0)
		return on_activate(r, rec);
	return 0;
}

int
report_load(struct report *r, const char *state_dir, char *err, size_t errlen)
{
	struct journal_record rec;
	struct journal_iter *it;
	int rc;

	it = journal_iter_open(state_dir, INT64_MIN, r->to, err, errlen);
	if (it == NULL)
		return -1;
	while ((rc = journal_iter_next(it, &rec, err, errlen)) == 1)
		if (report_add(r, &rec) == -1) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
	journal_iter_close(it);
	return rc;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = *(struct row *const *)a;
	const struct row *y = *(struct row *const *)b;
	int c;

	if ((c = strcmp(x->pub.key, y->pub.key)) != 0)
		return c;
	return strcmp(x->pub.key2, y->pub.key2);
}

static int
reason_cmp(const void *a, const void *b)
{
	return strcmp(((const struct report_count *)a)->name,
	    ((const struct report_count *)b)->name);
}

int
report_finish(struct report *r)
{
	struct rmap_node *nd;
	struct grant *g;
	size_t i;

	if (r->finished)
		return 0;
	if (!r->begun && r->from < r->to && begin(r) == -1)
		return -1;
	for (i = 0; i < r->grants.nb; i++)
		for (nd = r->grants.b[i]; nd != NULL; nd = nd->next) {
			g = nd->val;
			charge(r, g->row, g->count, g->start, r->to);
		}
	if (r->nrows > 1)
		qsort(r->rows, r->nrows, sizeof(r->rows[0]), row_cmp);
	for (i = 0; i < r->nrows; i++)
		if (r->rows[i]->pub.nreasons > 1)
			qsort(r->rows[i]->pub.reasons, r->rows[i]->pub.nreasons,
			    sizeof(struct report_count), reason_cmp);
	if (r->total.pub.nreasons > 1)
		qsort(r->total.pub.reasons, r->total.pub.nreasons,
		    sizeof(struct report_count), reason_cmp);
	r->finished = 1;
	return 0;
}

size_t
report_nrows(const struct report *r)
{
	return r->nrows;
}

const struct report_row *
report_row(const struct report *r, size_t i)
{
	return i < r->nrows ? &r->rows[i]->pub : NULL;
}

const struct report_row *
report_total(const struct report *r)
{
	return &r->total.pub;
}

/* Names and parsing. */

static const char *const by_names[] = {
    [REPORT_BY_UNIT] = "unit",
    [REPORT_BY_FEATURE] = "feature",
    [REPORT_BY_USER] = "user",
    [REPORT_BY_HOST] = "host",
    [REPORT_BY_FEATURE_UNIT] = "feature-unit",
};

/* The index of s in a table of n names, or -1. */
static int
name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

#define NNAMES(a) (sizeof(a) / sizeof((a)[0]))

int
report_by_parse(const char *s, enum report_by *by)
{
	int i = name_index(by_names, NNAMES(by_names), s);

	if (i == -1)
		return -1;
	*by = (enum report_by)i;
	return 0;
}

const char *
report_by_name(enum report_by by)
{
	return (size_t)by < NNAMES(by_names) ? by_names[by] : "?";
}

static const char *const basis_names[] = {
    [REPORT_BASIS_SEAT_HOURS] = "seat-hours",
    [REPORT_BASIS_PEAK] = "peak",
    [REPORT_BASIS_USERS] = "users",
    [REPORT_BASIS_ACTIVATIONS] = "activations",
    [REPORT_BASIS_EQUAL] = "equal",
};

int
report_basis_parse(const char *s, enum report_basis *b)
{
	int i = name_index(basis_names, NNAMES(basis_names), s);

	if (i == -1)
		return -1;
	*b = (enum report_basis)i;
	return 0;
}

const char *
report_basis_name(enum report_basis b)
{
	return (size_t)b < NNAMES(basis_names) ? basis_names[b] : "?";
}

/* Reads exactly n digits. */
static int
take_digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	*out = v;
	return 0;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Midnight UTC starting y-m-d, in ms. */
static int64_t
civil_ms(int y, int m, int d)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return (int64_t)timegm(&tm) * 1000;
}

int
report_parse_time(const char *s, int64_t *ms, int *date_only)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, digits = 0;
	int tzh = 0, tzm = 0, sign = 0;
	int64_t v;

	if (take_digits(&p, 4, &y) == -1 || *p++ != '-' ||
	    take_digits(&p, 2, &mo) == -1 || *p++ != '-' ||
	    take_digits(&p, 2, &d) == -1)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return -1;
	if (date_only != NULL)
		*date_only = *p == '\0';
	if (*p == '\0') {
		*ms = civil_ms(y, mo, d);
		return 0;
	}

	if (*p != 'T' && *p != 't')
		return -1;
	p++;
	if (take_digits(&p, 2, &h) == -1 || *p++ != ':' ||
	    take_digits(&p, 2, &mi) == -1)
		return -1;
	if (*p == ':') {
		p++;
		if (take_digits(&p, 2, &sec) == -1)
			return -1;
		if (*p == '.' || *p == ',') {
			p++;
			/* Milliseconds: the first three digits count. */
			while (*p >= '0' && *p <= '9') {
				if (digits < 3)
					frac = frac * 10 + (*p - '0');
				digits++;
				p++;
			}
			if (digits == 0)
				return -1;
			for (; digits < 3; digits++)
				frac *= 10;
		}
	}
	if (h > 23 || mi > 59 || sec > 59)
		return -1;

	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (take_digits(&p, 2, &tzh) == -1)
			return -1;
		if (*p == ':')
			p++;
		if (take_digits(&p, 2, &tzm) == -1 || tzh > 23 || tzm > 59)
			return -1;
	}
	if (*p != '\0')
		return -1;

	v = civil_ms(y, mo, d) + ((int64_t)h * 3600 + mi * 60 + sec) * 1000 +
	    frac;
	v -= (int64_t)sign * (tzh * 3600 + tzm * 60) * 1000;
	*ms = v;
	return 0;
}

void
report_format_time(int64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	int64_t rest = ms % 1000;
	struct tm tm;

	if (rest < 0) {
		rest += 1000;
		secs--;
	}
	if (gmtime_r(&secs, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)rest);
}

int
report_parse_period(const char *s, struct report_span *sp)
{
	const char *p = s;
	int y, m;

	if (take_digits(&p, 4, &y) == -1 || y < 1970 || y > 9998)
		return -1;
	sp->year_days = is_leap(y) ? 366 : 365;
	if (*p == '\0') {
		sp->from_ms = civil_ms(y, 1, 1);
		sp->to_ms = civil_ms(y + 1, 1, 1);
		sp->days = sp->year_days;
		return 0;
	}
	if (*p++ != '-' || take_digits(&p, 2, &m) == -1 || *p != '\0' ||
	    m < 1 || m > 12)
		return -1;
	sp->from_ms = civil_ms(y, m, 1);
	sp->to_ms = m == 12 ? civil_ms(y + 1, 1, 1) : civil_ms(y, m + 1, 1);
	sp->days = month_days(y, m);
	return 0;
}

int
report_parse_window(const char *s, int64_t *ms)
{
	unsigned long long n;
	int64_t unit = REPORT_DAY_MS;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || n == 0 || n > 36500)
		return -1;
	if (*end == 'h')
		unit = 3600 * 1000LL;
	else if (*end == 'w')
		unit = 7 * REPORT_DAY_MS;
	else if (*end != 'd' && *end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0')
		return -1;
	*ms = (int64_t)n * unit;
	return 0;
}

/* Chargeback. */

uint64_t
report_weight(const struct report_row *row, enum report_basis b)
{
	switch (b) {
	case REPORT_BASIS_SEAT_HOURS:
		return row->seat_ms > 0 ? (uint64_t)row->seat_ms : 0;
	case REPORT_BASIS_PEAK:
		return row->peak > 0 ? (uint64_t)row->peak : 0;
	case REPORT_BASIS_USERS:
		return row->users;
	case REPORT_BASIS_ACTIVATIONS:
		return row->activations;
	case REPORT_BASIS_EQUAL:
		return row->held_ever && row->key2[0] != '\0' ? 1 : 0;
	}
	return 0;
}

/*
 * Products of a cost and a weight overflow 64 bits (a million pounds in
 * pence times a year of seat-milliseconds), so the split works in 128
 * bits, which gcc and clang provide on every target licd builds for.
 */
typedef unsigned __int128 report_u128;

int
report_split(int64_t total, const uint64_t *weights, size_t n, int64_t *shares)
{
	report_u128 sum = 0, q, best_rem, rem;
	int64_t left;
	size_t i, best;
	int found;

	for (i = 0; i < n; i++) {
		shares[i] = 0;
		sum += weights[i];
	}
	if (sum == 0 || total <= 0)
		return sum == 0 ? -1 : 0;

	left = total;
	for (i = 0; i < n; i++) {
		q = (report_u128)total * weights[i];
		shares[i] = (int64_t)(q / sum);
		left -= shares[i];
	}

	/* Fewer minor units are left than there are non-zero remainders,
	 * so each unit gets at most one and a zero weight none. */
	while (left > 0) {
		found = 0;
		best = 0;
		best_rem = 0;
		for (i = 0; i < n; i++) {
			q = (report_u128)total * weights[i];
			if ((report_u128)shares[i] != q / sum)
				continue; /* already given its unit */
			rem = q % sum;
			if (rem > best_rem) {
				best_rem = rem;
				best = i;
				found = 1;
			}
		}
		if (!found)
			break; /* cannot happen: the remainders add up */
		shares[best]++;
		left--;
	}
	return 0;
}

int64_t
report_period_cost(int64_t per_year, int days, int year_days)
{
	report_u128 v;

	if (per_year <= 0 || days <= 0 || year_days <= 0)
		return 0;
	v = (report_u128)per_year * (unsigned)days * 2 + (unsigned)year_days;
	return (int64_t)(v / ((report_u128)year_days * 2));
}

static int64_t
pow10i(int n)
{
	int64_t v = 1;

	while (n-- > 0)
		v *= 10;
	return v;
}

void
report_format_money(int64_t minor, int minor_units, char *buf, size_t len)
{
	uint64_t a =
	    minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	uint64_t p = (uint64_t)pow10i(minor_units);

	if (minor_units <= 0)
		snprintf(buf, len, "%s%" PRIu64, minor < 0 ? "-" : "", a);
	else
		snprintf(buf, len, "%s%" PRIu64 ".%0*" PRIu64,
		    minor < 0 ? "-" : "", a / p, minor_units, a % p);
}

/* No cost above this many minor units: shares stay far from overflow. */
#define REPORT_COST_MAX 1000000000000000LL

static void cost_err(char *err, size_t errlen, const char *path, int line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
cost_err(
    char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d: %s", path, line, msg);
}

/* "12000", "12000.5", "12000.50" in minor units, exactly. */
static int
parse_decimal(const char *s, int minor_units, int64_t *out)
{
	int64_t v = 0;
	int decimals = -1;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == '.' && decimals == -1) {
			decimals = 0;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		if (decimals >= 0 && ++decimals > minor_units) {
			if (*s != '0')
				return -1;
			decimals--;
			continue;
		}
		v = v * 10 + (*s - '0');
		if (v > REPORT_COST_MAX)
			return -1;
	}
	/* Scaled to minor units, checked before each step: "300.5" with
	 * many leading zeros passes the loop above yet overflows here
	 * (found by fuzz_costs). */
	for (decimals = decimals < 0 ? 0 : decimals; decimals < minor_units;
	     decimals++) {
		if (v > REPORT_COST_MAX / 10)
			return -1;
		v *= 10;
	}
	*out = v;
	return 0;
}

static int
cost_amount(config_setting_t *s, int minor_units, int64_t *out)
{
	long long iv;
	double d;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		iv = config_setting_get_int64(s);
		if (iv < 0 || iv > REPORT_COST_MAX / pow10i(minor_units))
			return -1;
		*out = iv * pow10i(minor_units);
		return 0;
	case CONFIG_TYPE_FLOAT:
		d = config_setting_get_float(s) * (double)pow10i(minor_units);
		/* Written so that NaN fails too. */
		if (!(d >= 0 && d <= (double)REPORT_COST_MAX))
			return -1;
		/* A binary float cannot hold 0.1; the nearest minor unit
		 * is what was written. */
		*out = (int64_t)(d + 0.5);
		return 0;
	case CONFIG_TYPE_STRING:
		return parse_decimal(
		    config_setting_get_string(s), minor_units, out);
	}
	return -1;
}

static int
cost_entry(config_setting_t *g, const char *path, struct report_cost *c,
    char *err, size_t errlen)
{
	static const char *const known[] = {
	    "feature", "per-year", "currency", "minor-units"};
	config_setting_t *s;
	const char *v, *name;
	int line = config_setting_source_line(g), i, j, n, ok;

	memset(c, 0, sizeof(*c));
	c->line = line;
	if (!config_setting_is_group(g)) {
		cost_err(err, errlen, path, line,
		    "each cost is a group { feature = ...; per-year = ...; }");
		return -1;
	}
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(g, (unsigned)i);
		name = config_setting_name(s);
		ok = 0;
		for (j = 0; j < (int)(sizeof(known) / sizeof(known[0])); j++)
			if (name != NULL && strcmp(name, known[j]) == 0)
				ok = 1;
		if (!ok) {
			cost_err(err, errlen, path,
			    config_setting_source_line(s),
			    "unknown setting \"%s\"", name ? name : "?");
			return -1;
		}
	}

	if (config_setting_lookup_string(g, "feature", &v) != CONFIG_TRUE ||
	    v[0] == '\0' || strlen(v) >= sizeof(c->feature)) {
		cost_err(err, errlen, path, line,
		    "feature: a name of 1 to %zu characters is needed",
		    sizeof(c->feature) - 1);
		return -1;
	}
	snprintf(c->feature, sizeof(c->feature), "%s", v);
	if (config_setting_lookup_string(g, "currency", &v) != CONFIG_TRUE ||
	    v[0] == '\0' || strlen(v) >= sizeof(c->currency)) {
		cost_err(err, errlen, path, line,
		    "%s: currency: a code such as \"GBP\" is needed",
		    c->feature);
		return -1;
	}
	snprintf(c->currency, sizeof(c->currency), "%s", v);
	c->minor_units = 2;
	if ((s = config_setting_get_member(g, "minor-units")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_INT ||
		    config_setting_get_int(s) < 0 ||
		    config_setting_get_int(s) > 6) {
			cost_err(err, errlen, path,
			    config_setting_source_line(s),
			    "%s: minor-units: 0 to 6", c->feature);
			return -1;
		}
		c->minor_units = config_setting_get_int(s);
	}
	if ((s = config_setting_get_member(g, "per-year")) == NULL) {
		cost_err(err, errlen, path, line, "%s: per-year is missing",
		    c->feature);
		return -1;
	}
	if (cost_amount(s, c->minor_units, &c->per_year) == -1) {
		cost_err(err, errlen, path, config_setting_source_line(s),
		    "%s: per-year: a non-negative amount with at most %d "
		    "decimals is needed",
		    c->feature, c->minor_units);
		return -1;
	}
	return 0;
}

int
report_costs_load(
    const char *path, struct report_costs *costs, char *err, size_t errlen)
{
	config_setting_t *list;
	config_t cfg;
	size_t i, j;
	int n, ret = -1;

	memset(costs, 0, sizeof(*costs));
	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read the file", path);
		else
			cost_err(err, errlen, path, config_error_line(&cfg),
			    "%s", config_error_text(&cfg));
		goto done;
	}
	list = config_lookup(&cfg, "costs");
	if (list == NULL || !config_setting_is_aggregate(list) ||
	    config_setting_is_group(list)) {
		cost_err(err, errlen, path,
		    list != NULL ? config_setting_source_line(list) : 0,
		    "costs = ( { feature = ...; ... }, ... ); is needed");
		goto done;
	}
	n = config_setting_length(list);
	if (n > 0 &&
	    (costs->v = calloc((size_t)n, sizeof(*costs->v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (i = 0; i < (size_t)n; i++) {
		if (cost_entry(config_setting_get_elem(list, (unsigned)i), path,
			&costs->v[i], err, errlen) == -1)
			goto done;
		for (j = 0; j < i; j++)
			if (strcmp(costs->v[j].feature, costs->v[i].feature) ==
			    0) {
				cost_err(err, errlen, path, costs->v[i].line,
				    "%s: also on line %d", costs->v[i].feature,
				    costs->v[j].line);
				goto done;
			}
		costs->n++;
	}
	ret = 0;
done:
	config_destroy(&cfg);
	if (ret == -1)
		report_costs_free(costs);
	return ret;
}

void
report_costs_free(struct report_costs *costs)
{
	free(costs->v);
	memset(costs, 0, sizeof(*costs));
}

static int
bill_add(struct report_bill *bill, const struct report_cost *c,
    const char *unit, uint64_t weight, int64_t amount)
{
	struct report_charge *v;

	v = realloc(bill->v, (bill->n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	bill->v = v;
	v = &bill->v[bill->n++];
	memset(v, 0, sizeof(*v));
	v->cost = c;
	snprintf(v->unit, sizeof(v->unit), "%s", unit);
	v->weight = weight;
	v->amount = amount;
	return 0;
}

int
report_chargeback(const struct report *r, const struct report_costs *costs,
    const struct report_span *span, enum report_basis basis,
    struct report_bill *bill)
{
	const struct report_cost *c;
	uint64_t *w = NULL;
	int64_t *shares = NULL, total;
	size_t i, k, first, n;
	int ret = -1;

	memset(bill, 0, sizeof(*bill));
	if (r->nrows > 0 &&
	    ((w = calloc(r->nrows, sizeof(*w))) == NULL ||
		(shares = calloc(r->nrows, sizeof(*shares))) == NULL))
		goto done;
	for (k = 0; k < costs->n; k++) {
		c = &costs->v[k];
		total = report_period_cost(
		    c->per_year, span->days, span->year_days);

		/* The rows are sorted: a feature's units are adjacent. */
		for (first = 0; first < r->nrows &&
		     strcmp(r->rows[first]->pub.key, c->feature) != 0;
		     first++)
			;
		for (n = 0; first + n < r->nrows &&
		     strcmp(r->rows[first + n]->pub.key, c->feature) == 0;
		     n++)
			w[n] = report_weight(&r->rows[first + n]->pub, basis);

		if (report_split(total, w, n, shares) == -1) {
			if (bill_add(bill, c, "", 0, total) == -1)
				goto done;
			continue;
		}
		for (i = 0; i < n; i++)
			if (w[i] > 0 &&
			    bill_add(bill, c, r->rows[first + i]->pub.key2,
				w[i], shares[i]) == -1)
				goto done;
	}
	ret = 0;
done:
	free(w);
	free(shares);
	if (ret == -1)
		report_bill_free(bill);
	return ret;
}

void
report_bill_free(struct report_bill *bill)
{
	free(bill->v);
	memset(bill, 0, sizeof(*bill));
}

/* Export lines: a bounded writer into the caller's buffer. */
struct wbuf {
	char *p;
	size_t len;
	size_t off;
};

static void
w_char(struct wbuf *w, char c)
{
	if (w->off + 1 < w->len) {
		w->p[w->off++] = c;
		w->p[w->off] = '\0';
	}
}

static void w_fmt(struct wbuf *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
w_fmt(struct wbuf *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->off + 1 >= w->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->p + w->off, w->len - w->off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	w->off += (size_t)n;
	if (w->off >= w->len)
		w->off = w->len - 1;
}

static void
csv_text(struct wbuf *w, const char *s, size_t size)
{
	size_t i, n = strnlen(s, size);

	if (strcspn(s, ",\"\r\n") >= n) {
		w_fmt(w, "%.*s", (int)n, s);
		return;
	}
	w_char(w, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			w_char(w, '"');
		w_char(w, s[i]);
	}
	w_char(w, '"');
}

#define CSV_TEXT(w, field) csv_text((w), (field), sizeof(field))

static const char csv_columns[] =
    "seq,time,type,frontend,feature,version,count,unit,user,host,display,"
    "address,machine_id,handle,in_use_after,duration_ms,reason,detail";

void
report_csv_header(char *buf, size_t len)
{
	snprintf(buf, len, "%s\r\n", csv_columns);
}

void
report_csv_record(const struct journal_record *r, char *buf, size_t len)
{
	struct wbuf w = {buf, len, 0};
	char t[40];

	if (len == 0)
		return;
	buf[0] = '\0';
	report_format_time(r->time_ms, t, sizeof(t));
	w_fmt(&w, "%" PRIu64 ",%s,", r->seq, t);
	CSV_TEXT(&w, r->type);
	w_char(&w, ',');
	CSV_TEXT(&w, r->frontend);
	w_char(&w, ',');
	CSV_TEXT(&w, r->feature);
	w_char(&w, ',');
	CSV_TEXT(&w, r->version);
	w_fmt(&w, ",%d,", r->count);
	CSV_TEXT(&w, r->unit);
	w_char(&w, ',');
	CSV_TEXT(&w, r->user);
	w_char(&w, ',');
	CSV_TEXT(&w, r->host);
	w_char(&w, ',');
	CSV_TEXT(&w, r->display);
	w_char(&w, ',');
	CSV_TEXT(&w, r->address);
	w_char(&w, ',');
	CSV_TEXT(&w, r->machine_id);
	w_fmt(&w, ",%" PRIu64 ",%d,%" PRId64 ",", r->handle, r->in_use_after,
	    r->duration_ms);
	CSV_TEXT(&w, r->reason);
	w_char(&w, ',');
	CSV_TEXT(&w, r->detail);
	w_fmt(&w, "\r\n");
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and past U+10FFFF are not UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static void
json_text(struct wbuf *w, const char *name, const char *s, size_t size)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k, n = strnlen(s, size);

	w_fmt(w, ",\"%s\":\"", name);
	for (i = 0; i < n;) {
		if (u[i] == '"' || u[i] == '\\') {
			w_char(w, '\\');
			w_char(w, (char)u[i++]);
		} else if (u[i] == '\n') {
			w_fmt(w, "\\n");
			i++;
		} else if (u[i] == '\r') {
			w_fmt(w, "\\r");
			i++;
		} else if (u[i] == '\t') {
			w_fmt(w, "\\t");
			i++;
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			w_fmt(w, "\\u%04x", u[i++]);
		} else if ((k = utf8_len(u + i, n - i)) == 0) {
			w_fmt(w, "\\ufffd");
			i++;
		} else {
			w_fmt(w, "%.*s", (int)k, s + i);
			i += k;
		}
	}
	w_char(w, '"');
}

#define JSON_TEXT(w, name, field) json_text((w), (name), (field), sizeof(field))

void
report_json_record(const struct journal_record *r, char *buf, size_t len)
{
	struct wbuf w = {buf, len, 0};
	char t[40];

	if (len == 0)
		return;
	buf[0] = '\0';
	report_format_time(r->time_ms, t, sizeof(t));
	w_fmt(&w, "{\"seq\":%" PRIu64 ",\"time\":\"%s\"", r->seq, t);
	JSON_TEXT(&w, "type", r->type);
	JSON_TEXT(&w, "frontend", r->frontend);
	JSON_TEXT(&w, "feature", r->feature);
	JSON_TEXT(&w, "version", r->version);
	w_fmt(&w, ",\"count\":%d", r->count);
	JSON_TEXT(&w, "unit", r->unit);
	JSON_TEXT(&w, "user", r->user);
	JSON_TEXT(&w, "host", r->host);
	JSON_TEXT(&w, "display", r->display);
	JSON_TEXT(&w, "address", r->address);
	JSON_TEXT(&w, "machine_id", r->machine_id);
	w_fmt(&w,
	    ",\"handle\":%" PRIu64 ",\"in_use_after\":%d,"
	    "\"duration_ms\":%" PRId64,
	    r->handle, r->in_use_after, r->duration_ms);
	JSON_TEXT(&w, "reason", r->reason);
	JSON_TEXT(&w, "detail", r->detail);
	w_fmt(&w, "}\n");
}
