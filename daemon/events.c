/*
 * From the core to the journal and back to the clients: every core event
 * becomes a journal record appended to the open batch; the batch is handed
 * to the writer thread at the end of the loop iteration; when the writer
 * has committed it, the replies waiting on it are released.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "../protocols/protocol.h"
#include "debuglog.h"
#include "licd.h"
#include "log.h"
#include "metrics.h"

/* The core's timers are served by one libevent timer armed for the exact
 * deadline core_tick() returns, re-armed after every loop iteration that
 * changed the core (a core event always schedules a flush, see
 * events_flush_cb).  The ceiling is only a safety net for a deadline
 * added without an event; nothing relies on it. */
#define LICD_TICK_MAX_MS 60000

struct conn_count {
	char addr[CORE_ADDR_MAX];
	int count;
	struct conn_count *next;
};

int64_t
licd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs what is due now and arms the timer for the next deadline. */
static void
events_tick_rearm(struct licd *licd)
{
	struct timeval tv;
	int64_t now = licd_now(), next, ms;

	next = core_tick(licd->core, now);
	ms = next == 0 ? LICD_TICK_MAX_MS : next - now;
	if (ms < 0)
		ms = 0;
	if (ms > LICD_TICK_MAX_MS)
		ms = LICD_TICK_MAX_MS;
	/* Deadlines are whole milliseconds: fire at the end of the one due,
	 * not a little before it, so that one wake-up serves it. */
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000 + 999);
	if (tv.tv_usec >= 1000000) {
		tv.tv_sec++;
		tv.tv_usec -= 1000000;
	}
	event_add(licd->tick_ev, &tv);
}

static void
events_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct licd *licd = arg;

	licd->flush_active = 0;

	/* Something changed the core in this iteration: its next deadline
	 * may be earlier than the timer armed.  Timers that fire append
	 * records, which the flush below hands over with the rest. */
	events_tick_rearm(licd);
	journal_flush(licd->journal);
}

static void
events_commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct licd *licd = arg;
	struct licd_waiter *w;
	uint64_t committed;

	/* Also called when a commit failed: says so (once), or that the
	 * journal commits again. */
	(void)licd_journal_ok(licd);
	committed = journal_committed_seq(licd->journal);
	(void)licd_journal_ok(licd);

	/* The list is in seq order: waiters are armed with the last
	 * appended seq, which only grows, and always at the tail. */
	while (
	    (w = TAILQ_FIRST(&licd->waiters)) != NULL && w->seq <= committed) {
		TAILQ_REMOVE(&licd->waiters, w, entry);
		w->armed = 0;
		w->ready(w);
	}

	/* The writer takes the next batch by itself; nudge it in case the
	 * loop appended nothing since. */
	journal_flush(licd->journal);
}

/* Runs on the journal's writer thread. */
static void
events_committed(void *arg)
{
	struct licd *licd = arg;

	event_active(licd->commit_ev, EV_READ, 0);
}

static void
events_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct licd *licd = arg;

	events_tick_rearm(licd);
}

int
licd_journal_ok(struct licd *licd)
{
	char why[256];

	if (journal_failing(licd->journal, why, sizeof(why))) {
		if (!licd->journal_down)
			log_warnx("journal: cannot commit, refusing checkouts "
				  "and activations until it can: %s",
			    why);
		licd->journal_down = 1;
		return 0;
	}
	if (licd->journal_down)
		log_info("journal: committing again; replies held meanwhile "
			 "are sent, changes are taken");
	licd->journal_down = 0;
	return 1;
}

int
licd_events_init(struct licd *licd)
{
	TAILQ_INIT(&licd->waiters);
	licd->flush_ev = event_new(licd->base, -1, 0, events_flush_cb, licd);
	licd->commit_ev = event_new(licd->base, -1, 0, events_commit_cb, licd);
	licd->tick_ev = event_new(licd->base, -1, 0, events_tick_cb, licd);
	if (licd->flush_ev == NULL || licd->commit_ev == NULL ||
	    licd->tick_ev == NULL)
		return -1;

	/* Handing the batch over runs after every I/O callback of the
	 * iteration, so that one commit covers all of them. */
	event_priority_set(licd->flush_ev, 2);
	events_tick_rearm(licd);

	licd->conn_nbuckets = 1024;
	licd->conn_buckets =
	    calloc(licd->conn_nbuckets, sizeof(*licd->conn_buckets));
	if (licd->conn_buckets == NULL)
		return -1;

	return journal_start(licd->journal, events_committed, licd);
}

void
licd_events_free(struct licd *licd)
{
	struct conn_count *c, *next;
	size_t i;

	if (licd->flush_ev)
		event_free(licd->flush_ev);
	if (licd->commit_ev)
		event_free(licd->commit_ev);
	if (licd->tick_ev)
		event_free(licd->tick_ev);
	for (i = 0; i < licd->conn_nbuckets; i++) {
		for (c = licd->conn_buckets[i]; c != NULL; c = next) {
			next = c->next;
			free(c);
		}
	}
	free(licd->conn_buckets);
}

void
licd_schedule_flush(struct licd *licd)
{
	if (licd->flush_ev == NULL || licd->flush_active)
		return;
	licd->flush_active = 1;
	event_active(licd->flush_ev, EV_READ, 0);
}

uint64_t
licd_last_seq(const struct licd *licd)
{
	return journal_last_seq(licd->journal);
}

uint64_t
licd_journal_note(struct licd *licd, const char *type, const char *detail)
{
	struct journal_record rec;
	uint64_t seq;

	memset(&rec, 0, sizeof(rec));
	rec.time_ms = licd_now();
	snprintf(rec.type, sizeof(rec.type), "%s", type);
	snprintf(rec.detail, sizeof(rec.detail), "%s", detail);
	seq = journal_append(licd->journal, &rec);
	licd_schedule_flush(licd);
	return seq;
}

static const char *
events_type_name(enum core_event_type type)
{
	switch (type) {
	case CORE_EV_CHECKOUT:
		return "checkout";
	case CORE_EV_CHECKIN:
		return "checkin";
	case CORE_EV_DENY:
		return "deny";
	case CORE_EV_QUEUE:
		return "queue";
	case CORE_EV_DEQUEUE:
		return "dequeue";
	case CORE_EV_RESUME:
		return "resume";
	case CORE_EV_LINGER:
		return "linger";
	}
	return "unknown";
}

/* A bounded string copy, terminated: snprintf("%s") was a tenth of a
 * checkout's instructions here. */
static void
events_copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* "%ld" of a positive v, bounded: snprintf was a third of this sink's
 * instructions, two calls a cycle. */
static void
events_put_pid(char *dst, size_t size, long v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && n < sizeof(tmp));
	if (n > size - 1)
		n = size - 1;
	for (i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	dst[n] = '\0';
}

/*
 * Fills the open batch's next record with ev's in place (see
 * journal_append_fill): every field, and only the bytes a field uses.  A
 * whole record (1.8 KiB with its grant) zeroed, filled and copied into
 * the batch was a fifth of the loop's instructions.
 */
static void
events_fill_record(struct journal_record *rec, void *arg)
{
	const struct core_event *ev = arg;
	const struct core_grant_info *g = ev->grant;

	rec->time_ms = ev->time;
	events_copy(rec->type, sizeof(rec->type), events_type_name(ev->type));
	rec->machine_id[0] = '\0';
	if (g != NULL) {
		events_copy(rec->frontend, sizeof(rec->frontend), g->frontend);
		events_copy(rec->feature, sizeof(rec->feature), g->feature);
		events_copy(rec->version, sizeof(rec->version), g->version);
		rec->count = g->count;
		events_copy(rec->unit, sizeof(rec->unit), g->unit);
		events_copy(rec->user, sizeof(rec->user), g->user);
		events_copy(rec->host, sizeof(rec->host), g->host);
		events_copy(rec->display, sizeof(rec->display), g->display);
		events_copy(rec->address, sizeof(rec->address), g->address);
		if (g->pid > 0)
			events_put_pid(
			    rec->machine_id, sizeof(rec->machine_id), g->pid);
		rec->handle = g->handle;
	} else {
		rec->frontend[0] = rec->feature[0] = rec->version[0] = '\0';
		rec->count = 0;
		rec->unit[0] = rec->user[0] = rec->host[0] = '\0';
		rec->display[0] = rec->address[0] = '\0';
		rec->handle = 0;
	}
	rec->in_use_after = ev->in_use_after;
	rec->duration_ms = 0;
	rec->reason[0] = '\0';
	rec->detail[0] = '\0';
	rec->grant_op = JOURNAL_GRANT_KEEP;
	rec->machine_op = JOURNAL_MACHINE_KEEP;

	switch (ev->type) {
	case CORE_EV_CHECKOUT:
	case CORE_EV_RESUME:
		rec->grant_op = JOURNAL_GRANT_PUT;
		rec->grant = *g;
		if (ev->from_queue)
			snprintf(
			    rec->detail, sizeof(rec->detail), "from queue");
		/* A borrow is a checkout with an end: reports and auditors
		 * find it by this detail. */
		if (ev->type == CORE_EV_CHECKOUT && g->borrowed_until != 0)
			snprintf(rec->detail, sizeof(rec->detail),
			    "borrow until_ms=%lld",
			    (long long)g->borrowed_until);
		break;
	case CORE_EV_CHECKIN:
		rec->grant_op = JOURNAL_GRANT_DEL;
		rec->duration_ms = ev->time - g->start;
		events_copy(rec->reason, sizeof(rec->reason),
		    core_release_name(ev->release));
		break;
	case CORE_EV_DENY:
	case CORE_EV_DEQUEUE:
		events_copy(rec->reason, sizeof(rec->reason),
		    core_reason_name(ev->reason));
		break;
	case CORE_EV_LINGER:
		rec->grant_op = JOURNAL_GRANT_PUT;
		rec->grant = *g;
		break;
	case CORE_EV_QUEUE:
		break;
	}
}

void
licd_core_sink(void *arg, const struct core_event *ev)
{
	struct licd *licd = arg;
	const struct core_grant_info *g = ev->grant;

	if (ev->type == CORE_EV_CHECKIN && ev->release != CORE_REL_CLIENT &&
	    ev->release != CORE_REL_DISCONNECT)
		log_info("seat returned: feature=%s user=%s host=%s "
			 "unit=%s handle=%llu reason=%s",
		    g->feature, g->user, g->host, g->unit,
		    (unsigned long long)g->handle,
		    core_release_name(ev->release));

	journal_append_fill(
	    licd->journal, events_fill_record, (void *)(uintptr_t)ev);
	licd_schedule_flush(licd);
	debuglog_event(licd->debuglog, ev);
	metrics_core_event(ev);

	/* Once stopping, sessions are gone; their grants stay for resume. */
	if (!licd->stopping && ev->owner != NULL && ev->owner->notify != NULL)
		ev->owner->notify(ev->owner, ev);
}

void
licd_wait(struct licd *licd, struct licd_waiter *w, uint64_t seq)
{
	if (w->armed)
		TAILQ_REMOVE(&licd->waiters, w, entry);
	w->seq = seq;
	w->armed = 1;
	TAILQ_INSERT_TAIL(&licd->waiters, w, entry);
	if (seq <= journal_committed_seq(licd->journal))
		event_active(licd->commit_ev, EV_READ, 0);
}

void
licd_wait_cancel(struct licd *licd, struct licd_waiter *w)
{
	if (!w->armed)
		return;
	TAILQ_REMOVE(&licd->waiters, w, entry);
	w->armed = 0;
}

static size_t
conn_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h % n;
}

int
licd_conn_admit(struct licd *licd, const char *addr)
{
	struct conn_count **head, *c;

	if (licd->nconns >= licd->conf.max_connections)
		return -1;

	head = &licd->conn_buckets[conn_hash(addr, licd->conn_nbuckets)];
	for (c = *head; c != NULL; c = c->next)
		if (strcmp(c->addr, addr) == 0)
			break;
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return -1;
		snprintf(c->addr, sizeof(c->addr), "%s", addr);
		c->next = *head;
		*head = c;
	}
	if (c->count >= licd->conf.max_per_address)
		return -1;

	c->count++;
	licd->nconns++;
	return 0;
}

void
licd_conn_release(struct licd *licd, const char *addr)
{
	struct conn_count **pp, *c;

	pp = &licd->conn_buckets[conn_hash(addr, licd->conn_nbuckets)];
	for (; (c = *pp) != NULL; pp = &c->next) {
		if (strcmp(c->addr, addr) != 0)
			continue;
		licd->nconns--;
		if (--c->count == 0) {
			*pp = c->next;
			free(c);
		}
		return;
	}
}

int
licd_newlog(struct licd *licd, char *why, size_t len)
{
	char name[128];

	if (journal_rotate(licd->journal, name, sizeof(name), why, len) == -1) {
		log_warnx("newlog refused: %s", why);
		return -1;
	}
	log_info("newlog: records moved to %s", name);
	licd_journal_note(licd, "newlog", name);
	snprintf(why, len, "%s", name);
	return 0;
}
