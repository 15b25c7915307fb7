/*
 * The identity module on the event loop, and its worker thread
 * (identity.h).  The loop owns the cache and the waiters; the worker owns
 * the providers' connections.  They share two lists under one mutex: the
 * user names to look up, and the answers; a pipe wakes the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../config/diag.h"
#include "../../config/options.h"
#include "../licd.h"
#include "../log.h"
#include "ident_provider.h"
#include "identity.h"

struct ident_job {
	char key[IDENT_KEY_MAX];
	struct ident_answer ans;
	struct ident_job *next;
};

TAILQ_HEAD(identity_waits, identity_wait);

static struct {
	struct licd *licd;
	int enabled;
	struct identity_conf conf;
	struct units units;
	struct core_options opts;
	int have_opts;
	struct ident_sources src;
	struct ident_cache cache;
	struct identity_waits waits;

	/* The workers, each with its own copy of the sources (its own
	 * LDAP connection). */
	pthread_t threads[IDC_WORKERS_MAX];
	struct ident_sources wsrc[IDC_WORKERS_MAX];
	size_t started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ident_job *todo, *todo_tail; /* for the worker */
	struct ident_job *done; /* for the loop */
	int stop;
	int pipe[2];
	struct event *pipe_ev;

	int down; /* lookups are failing */
	/* per product: 1 "slow" and 2 "unavailable" decisions logged */
	unsigned char noted[IDC_PRODUCTS_MAX];
} ident = {.pipe = {-1, -1}};

static void *
ident_worker(void *arg)
{
	struct ident_sources *src = arg;
	struct ident_job *j;
	char byte = 1;
	ssize_t n;

	(void)pthread_setname_np(pthread_self(), "licd-ident");
	pthread_mutex_lock(&ident.lock);
	for (;;) {
		while (!ident.stop && ident.todo == NULL)
			pthread_cond_wait(&ident.cond, &ident.lock);
		if (ident.stop)
			break;
		j = ident.todo;
		ident.todo = j->next;
		if (ident.todo == NULL)
			ident.todo_tail = NULL;
		pthread_mutex_unlock(&ident.lock);

		ident_lookup(src, j->key, &j->ans);

		pthread_mutex_lock(&ident.lock);
		j->next = ident.done;
		ident.done = j;
		n = write(ident.pipe[1], &byte, 1); /* full pipe: woken */
		(void)n;
	}
	pthread_mutex_unlock(&ident.lock);
	return NULL;
}

static void
ident_submit(struct ident_entry *e)
{
	struct ident_job *j;

	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		log_warnx("identity: out of memory: user=%s", e->key);
		return;
	}
	snprintf(j->key, sizeof(j->key), "%s", e->key);
	e->busy = 1;
	pthread_mutex_lock(&ident.lock);
	if (ident.todo_tail != NULL)
		ident.todo_tail->next = j;
	else
		ident.todo = j;
	ident.todo_tail = j;
	pthread_cond_signal(&ident.cond);
	pthread_mutex_unlock(&ident.lock);
}

/* The facts a decision sees for an entry at now. */
static void
ident_facts(const struct ident_entry *e, int64_t now, struct core_identity *out)
{
	memset(out, 0, sizeof(*out));
	switch (ident_cache_use(e, now)) {
	case IDENT_USE_FRESH:
	case IDENT_USE_STALE:
		*out = e->ans.facts;
		return;
	case IDENT_USE_FAILED:
		out->state = CORE_ID_UNAVAILABLE;
		return;
	case IDENT_USE_MISS:
	default:
		out->state = e != NULL && e->busy ? CORE_ID_PENDING
						  : CORE_ID_UNAVAILABLE;
		return;
	}
}

static void
ident_finish(struct identity_wait *w, const struct core_identity *id)
{
	TAILQ_REMOVE(&ident.waits, w, entry);
	w->armed = 0;
	if (w->timer != NULL)
		event_del(w->timer);
	w->done(w, id);
}

static void
ident_answered(struct ident_job *j, int64_t now)
{
	struct ident_entry *e;
	struct identity_wait *w;
	struct core_identity id;

	e = ident_cache_entry(&ident.cache, j->key, 1, now);
	if (e == NULL)
		return;
	ident_cache_put(&ident.cache, e, &j->ans, now);
	if (j->ans.kind == IDENT_ERROR && !ident.down) {
		ident.down = 1;
		log_warnx("identity: lookups failing, cached answers are "
			  "served up to %ds past their lifetime and products "
			  "follow their on-failure setting: user=%s error=%s",
		    ident.conf.max_stale, j->key, j->ans.error);
	} else if (j->ans.kind != IDENT_ERROR && ident.down) {
		ident.down = 0;
		memset(ident.noted, 0, sizeof(ident.noted));
		log_info("identity: lookups answered again: user=%s source=%s",
		    j->key, j->ans.source);
	}

	ident_facts(e, now, &id);
	/* done() may arm or cancel other waits: start over each time. */
	for (;;) {
		TAILQ_FOREACH(w, &ident.waits, entry)
		if (strcmp(w->key, j->key) == 0)
			break;
		if (w == NULL)
			break;
		ident_finish(w, &id);
	}
}

static void
ident_pipe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ident_job *list, *j, *prev = NULL, *next;
	char buf[256];
	int64_t now = licd_now();

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&ident.lock);
	list = ident.done;
	ident.done = NULL;
	pthread_mutex_unlock(&ident.lock);

	/* Oldest first. */
	for (j = list; j != NULL; j = next) {
		next = j->next;
		j->next = prev;
		prev = j;
	}
	for (j = prev; j != NULL; j = next) {
		next = j->next;
		ident_answered(j, now);
		free(j);
	}
}

static void
ident_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct identity_wait *w = arg;
	struct core_identity id;

	memset(&id, 0, sizeof(id));
	id.state = CORE_ID_PENDING;
	ident_finish(w, &id);
}

int
identity_init(struct licd *licd, char *err, size_t len)
{
	struct ident_lifetimes life;
	struct diag diag;
	char line[1400];
	size_t i;

	TAILQ_INIT(&ident.waits);
	ident.licd = licd;
	ident.conf = licd->conf.identity;
	if (!ident.conf.enabled)
		return 0;

	diag_init(&diag);
	if (ident.conf.units_file[0] != '\0' &&
	    units_load(ident.conf.units_file, &ident.units, &diag) == -1)
		goto bad;
	if (licd->conf.options_file[0] != '\0') {
		ident.have_opts = 1;
		if (options_load(licd->conf.options_file, &ident.opts, &diag) ==
		    -1)
			goto bad;
	}
	diag_free(&diag);

	life.positive = ident.conf.positive;
	life.negative = ident.conf.negative;
	life.max_stale = ident.conf.max_stale;
	life.retry = ident.conf.retry;
	if (ident_cache_init(&ident.cache, &life) == -1) {
		snprintf(err, len, "identity: out of memory");
		return -1;
	}
	ident.src.conf = &ident.conf;
	ident.src.units = &ident.units;
	ident.src.opts = ident.have_opts ? &ident.opts : NULL;
	for (i = 0; i < (size_t)ident.conf.workers; i++) {
		ident.wsrc[i] = ident.src;
		ident.wsrc[i].ldap = ident_ldap_new();
		if (ident.wsrc[i].ldap == NULL) {
			snprintf(err, len, "identity: out of memory");
			return -1;
		}
	}
	/* GSSAPI takes the service's credentials from its keytab; set
	 * before any thread reads the environment. */
	if (ident.conf.ldap.keytab[0] != '\0')
		setenv("KRB5_CLIENT_KTNAME", ident.conf.ldap.keytab, 1);

	if (pipe2(ident.pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		snprintf(err, len, "identity: pipe: %s", strerror(errno));
		return -1;
	}
	ident.pipe_ev = event_new(licd->base, ident.pipe[0],
	    EV_READ | EV_PERSIST, ident_pipe_cb, NULL);
	if (ident.pipe_ev == NULL || event_add(ident.pipe_ev, NULL) == -1) {
		snprintf(err, len, "identity: cannot watch the pipe");
		return -1;
	}
	pthread_mutex_init(&ident.lock, NULL);
	pthread_cond_init(&ident.cond, NULL);
	for (i = 0; i < (size_t)ident.conf.workers; i++) {
		if (pthread_create(&ident.threads[i], NULL, ident_worker,
			&ident.wsrc[i]) != 0) {
			snprintf(err, len, "identity: cannot start a worker");
			return -1;
		}
		ident.started++;
	}
	ident.enabled = 1;
	log_info("identity: providers=%zu units=%zu products=%zu workers=%d",
	    ident.conf.nproviders, ident.units.n, ident.conf.nproducts,
	    ident.conf.workers);
	return 0;

bad:
	if (diag.n > 0) {
		diag_format(&diag.msgs[0], line, sizeof(line));
		snprintf(err, len, "identity: %s", line);
	} else
		snprintf(err, len, "identity: cannot read its files");
	diag_free(&diag);
	return -1;
}

int
identity_check(const struct licd_conf *conf, struct diag *diag)
{
	struct units u;
	int rc;

	if (!conf->identity.enabled || conf->identity.units_file[0] == '\0')
		return 0;
	rc = units_load(conf->identity.units_file, &u, diag);
	units_free(&u);
	return rc;
}

void
identity_free(void)
{
	struct identity_wait *w;
	struct ident_job *j;
	size_t i;

	while ((w = TAILQ_FIRST(&ident.waits)) != NULL)
		identity_cancel(w);
	if (ident.started) {
		/* XXX: a lookup in progress is waited for, up to the LDAP
		 * timeout. */
		pthread_mutex_lock(&ident.lock);
		ident.stop = 1;
		pthread_cond_broadcast(&ident.cond);
		pthread_mutex_unlock(&ident.lock);
		for (i = 0; i < ident.started; i++)
			pthread_join(ident.threads[i], NULL);
		ident.started = 0;
	}
	while ((j = ident.todo) != NULL) {
		ident.todo = j->next;
		free(j);
	}
	while ((j = ident.done) != NULL) {
		ident.done = j->next;
		free(j);
	}
	if (ident.pipe_ev != NULL)
		event_free(ident.pipe_ev);
	ident.pipe_ev = NULL;
	if (ident.pipe[0] != -1) {
		close(ident.pipe[0]);
		close(ident.pipe[1]);
		ident.pipe[0] = ident.pipe[1] = -1;
	}
	for (i = 0; i < IDC_WORKERS_MAX; i++) {
		ident_ldap_free(ident.wsrc[i].ldap);
		ident.wsrc[i].ldap = NULL;
	}
	if (ident.cache.buckets != NULL)
		ident_cache_free(&ident.cache);
	units_free(&ident.units);
	if (ident.have_opts)
		options_free(&ident.opts);
	ident.have_opts = 0;
	ident.enabled = 0;
}

const struct idc_product *
identity_product(const char *feature)
{
	if (!ident.enabled)
		return NULL;
	return identity_conf_product(&ident.conf, feature);
}

int
identity_default_wait(void)
{
	return ident.conf.wait_ms;
}

const struct unit_entry *
identity_unit(const char *code)
{
	return units_find(&ident.units, code);
}

/* A host that stands for a unit: the facts of that unit principal. */
static int
ident_principal(const char *host, struct core_identity *out)
{
	char unit[CORE_NAME_MAX];

	if (!ident_host_unit(&ident.src, host, unit, sizeof(unit)))
		return 0;
	memset(out, 0, sizeof(*out));
	out->state = CORE_ID_UNIT;
	snprintf(out->units[0], sizeof(out->units[0]), "%s", unit);
	snprintf(out->primary_unit, sizeof(out->primary_unit), "%s", unit);
	out->nunits = 1;
	return 1;
}

int
identity_resolve(const char *user, const char *host, int wait_ms, int64_t now,
    struct core_identity *out)
{
	struct ident_entry *e;

	memset(out, 0, sizeof(*out));
	if (!ident.enabled) {
		out->state = CORE_ID_UNAVAILABLE;
		return 1;
	}
	if (ident_principal(host, out))
		return 1;
	e = ident_cache_entry(&ident.cache, user, 1, now);
	if (e == NULL) {
		/* XXX: a full cache (or no memory) leaves the person
		 * unresolved: the product's on-failure setting decides. */
		out->state = CORE_ID_UNAVAILABLE;
		return 1;
	}
	if (ident_cache_should_ask(e, now))
		ident_submit(e);
	if (ident_cache_use(e, now) != IDENT_USE_MISS || wait_ms == 0) {
		ident_facts(e, now, out);
		return 1;
	}
	return 0;
}

int
identity_wait_start(struct identity_wait *w, const char *user, int wait_ms)
{
	struct timeval tv;

	if (w->armed) {
		TAILQ_REMOVE(&ident.waits, w, entry);
		w->armed = 0;
	}
	if (w->timer == NULL) {
		w->timer = evtimer_new(ident.licd->base, ident_timer_cb, w);
		if (w->timer == NULL)
			return -1;
	}
	snprintf(w->key, sizeof(w->key), "%s", user);
	tv.tv_sec = wait_ms / 1000;
	tv.tv_usec = (wait_ms % 1000) * 1000;
	evtimer_add(w->timer, &tv);
	w->armed = 1;
	TAILQ_INSERT_TAIL(&ident.waits, w, entry);
	return 0;
}

void
identity_cancel(struct identity_wait *w)
{
	if (w->armed) {
		TAILQ_REMOVE(&ident.waits, w, entry);
		w->armed = 0;
	}
	if (w->timer != NULL) {
		event_free(w->timer);
		w->timer = NULL;
	}
}

void
identity_view(
    const char *user, const char *host, int64_t now, struct identity_view *v)
{
	struct ident_entry *e;

	memset(v, 0, sizeof(*v));
	if (!ident.enabled) {
		v->facts.state = CORE_ID_UNAVAILABLE;
		snprintf(v->error, sizeof(v->error),
		    "no identity = { ... } in licd.conf");
		return;
	}
	if (ident_principal(host, &v->facts)) {
		v->cached = 1;
		snprintf(v->source, sizeof(v->source), "host-group");
		snprintf(v->person, sizeof(v->person), "%s", host);
		return;
	}
	e = ident_cache_entry(&ident.cache, user, 0, now);
	ident_facts(e, now, &v->facts);
	if (e == NULL)
		return;
	v->cached = e->have;
	v->busy = e->busy;
	if (e->have) {
		snprintf(v->source, sizeof(v->source), "%s", e->ans.source);
		snprintf(v->person, sizeof(v->person), "%s", e->ans.person);
	}
	v->fetched = e->fetched;
	v->fresh_until = e->fresh_until;
	v->stale_until = e->stale_until;
	v->retry_after = e->retry_after;
	snprintf(v->error, sizeof(v->error), "%s", e->last_error);
}

void
identity_note_decision(const struct idc_product *p, const char *user,
    const struct core_identity *id, int granted)
{
	unsigned char bit;
	size_t i;

	if (id->state != CORE_ID_UNAVAILABLE && id->state != CORE_ID_PENDING)
		return;
	bit = id->state == CORE_ID_PENDING ? 1 : 2;
	i = (size_t)(p - ident.conf.products);
	if (i >= IDC_PRODUCTS_MAX || (ident.noted[i] & bit) != 0)
		return;
	ident.noted[i] |= bit;
	if (id->state == CORE_ID_PENDING)
		log_warnx("identity: lookup slower than wait-ms=%d, feature=%s "
			  "answers %s: user=%s",
		    p->wait_ms, p->feature,
		    p->elig.pending_refuse ? "refused" : "try-again", user);
	else
		log_warnx("identity: directory unavailable, feature=%s fails "
			  "%s (%s): user=%s",
		    p->feature, p->elig.fail_open ? "open" : "closed",
		    granted ? "granted" : "refused", user);
}
