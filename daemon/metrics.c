/*
 * Event counters for /metrics and the denials the status page lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "metrics.h"

#define METRICS_BUCKETS 256
/* Label sets stay bounded whatever names clients send: past this many
 * features, counts go to the "" feature. */
#define METRICS_FEATURES_MAX 1024

static struct metrics_feature *buckets[METRICS_BUCKETS];
static size_t nfeatures;

/* A ring of the last denials; next is where the following one goes. */
static struct metrics_denial denials[METRICS_DENIALS_KEPT];
static size_t ndenials, next_denial;

static unsigned
metrics_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h % METRICS_BUCKETS;
}

static struct metrics_feature *
metrics_get(const char *name)
{
	struct metrics_feature *m;
	unsigned h = metrics_hash(name);

	for (m = buckets[h]; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;

	/* XXX: features beyond METRICS_FEATURES_MAX are counted together
	 * under feature="" and cannot be told apart in /metrics. */
	if (nfeatures >= METRICS_FEATURES_MAX && name[0] != '\0')
		return metrics_get("");
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->next = buckets[h];
	buckets[h] = m;
	nfeatures++;
	return m;
}

static void
metrics_keep_denial(const struct metrics_denial *d)
{
	denials[next_denial] = *d;
	next_denial = (next_denial + 1) % METRICS_DENIALS_KEPT;
	if (ndenials < METRICS_DENIALS_KEPT)
		ndenials++;
}

void
metrics_seed_denial(const struct metrics_denial *d)
{
	metrics_keep_denial(d);
}

/* Whether a refusal says anything about the feature the client named:
 * a name that is not a feature (or no request at all) must not become a
 * label, or any client could grow /metrics without bound. */
static int
metrics_reason_names_feature(enum core_reason r)
{
	switch (r) {
	case CORE_E_BAD_REQUEST:
	case CORE_E_UNKNOWN_FEATURE:
	case CORE_E_NO_GRANT:
	case CORE_E_NOT_OWNER:
		return 0;
	default:
		return 1;
	}
}

static void
metrics_deny(const struct core_event *ev)
{
	const struct core_grant_info *g = ev->grant;
	struct metrics_denial d;
	struct metrics_feature *m;
	unsigned r = (unsigned)ev->reason;

	m = metrics_get(metrics_reason_names_feature(ev->reason) && g != NULL
		? g->feature
		: "");
	if (m != NULL && r < METRICS_REASONS)
		m->denials[r]++;

	memset(&d, 0, sizeof(d));
	d.time = ev->time;
	if (g != NULL) {
		snprintf(d.feature, sizeof(d.feature), "%s", g->feature);
		snprintf(d.user, sizeof(d.user), "%s", g->user);
		snprintf(d.host, sizeof(d.host), "%s", g->host);
		snprintf(d.unit, sizeof(d.unit), "%s", g->unit);
	}
	snprintf(
	    d.reason, sizeof(d.reason), "%s", core_reason_name(ev->reason));
	metrics_keep_denial(&d);
}

void
metrics_core_event(const struct core_event *ev)
{
	const struct core_grant_info *g = ev->grant;
	struct metrics_feature *m;
	unsigned rel = (unsigned)ev->release;

	switch (ev->type) {
	case CORE_EV_DENY:
		metrics_deny(ev);
		return;
	case CORE_EV_CHECKOUT:
		if (g != NULL && (m = metrics_get(g->feature)) != NULL)
			m->checkouts++;
		break;
	case CORE_EV_CHECKIN:
		if (g != NULL && (m = metrics_get(g->feature)) != NULL &&
		    rel < METRICS_RELEASES)
			m->checkins[rel]++;
		break;
	case CORE_EV_QUEUE:
		if (g != NULL && (m = metrics_get(g->feature)) != NULL)
			m->queued++;
		break;
	case CORE_EV_DEQUEUE:
	case CORE_EV_RESUME:
	case CORE_EV_LINGER:
		break;
	}

	/* Only a checkout or a checkin changes the seats in use. */
	if (g != NULL &&
	    (ev->type == CORE_EV_CHECKOUT || ev->type == CORE_EV_CHECKIN))
		history_set(g->feature, ev->in_use_after, ev->time);
}

void
metrics_foreach(
    void (*fn)(void *arg, const struct metrics_feature *), void *arg)
{
	const struct metrics_feature *m;
	size_t i;

	for (i = 0; i < METRICS_BUCKETS; i++)
		for (m = buckets[i]; m != NULL; m = m->next)
			fn(arg, m);
}

size_t
metrics_recent_denials(struct metrics_denial *out, size_t max)
{
	size_t i, n = ndenials < max ? ndenials : max;

	for (i = 0; i < n; i++)
		out[i] = denials[(next_denial + METRICS_DENIALS_KEPT - 1 - i) %
		    METRICS_DENIALS_KEPT];
	return n;
}

static uint64_t drops[METRICS_DROPS];

void
metrics_drop(enum metrics_drop why)
{
	if ((unsigned)why < METRICS_DROPS)
		drops[why]++;
}

uint64_t
metrics_dropped(enum metrics_drop why)
{
	return (unsigned)why < METRICS_DROPS ? drops[why] : 0;
}

const char *
metrics_drop_name(enum metrics_drop why)
{
	static const char *const names[METRICS_DROPS] = {
	    "rate", "auth", "replay", "malformed"};

	return (unsigned)why < METRICS_DROPS ? names[why] : "unknown";
}

void
metrics_free(void)
{
	struct metrics_feature *m, *next;
	size_t i;

	for (i = 0; i < METRICS_BUCKETS; i++) {
		for (m = buckets[i]; m != NULL; m = next) {
			next = m->next;
			free(m);
		}
		buckets[i] = NULL;
	}
	nfeatures = 0;
}
