/*
 * HTTP views: libevent's evhttp on the loop thread.  Every answer is built
 * whole from the live state at request time (the core's views, the event
 * counters, the journal's statistics and the use history); nothing here
 * changes state.
 *
 * Connections are capped without help from evhttp (libevent 2.1 has no
 * such setting): evhttp asks us for each new connection's bufferevent, we
 * keep a reference to it, and a sweep notices when evhttp has let it go
 * (its callbacks are cleared then) and drops ours, which closes the
 * socket.  While the cap is reached the listener stops accepting, so
 * further clients wait in the kernel's backlog.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "history.h"
#include "http.h"
#include "licd.h"
#include "log.h"
#include "metrics.h"
#include "tls.h"

/* Appends a string literal without its NUL. */
#define BUF_LIT(b, lit) evbuffer_add((b), (lit), sizeof(lit) - 1)

#define HTTP_CONNS_MAX 64
#define HTTP_HEADERS_MAX 8192
#define HTTP_BODY_MAX 1024
#define HTTP_TIMEOUT 10 /* seconds, per request and idle */
#define HTTP_SWEEP_MS 200
#define HTTP_HOLDERS_MAX 1000 /* rows of the page's holder table */

struct http_server {
	struct licd *licd;
	struct evhttp *evhttp;
	struct evhttp_bound_socket *bound;
	struct event *sweep_ev;
	struct bufferevent **conns;
	size_t nconns;
	size_t cap;
	int paused;
};

static struct http_server server;

/* What one request shows, gathered once from the core. */
struct http_view {
	struct core_feature_info *features;
	size_t nfeatures;
	struct core_grant_info *grants;
	size_t ngrants;
	struct core_reservation_info *resv;
	size_t nresv;
	int64_t now;
};

/* Seats in use by one unit of one feature. */
struct http_unit_use {
	const char *feature;
	const char *unit;
	int in_use;
};

/*
 * Escaping.  Names come from licence files and from clients, so they may
 * hold anything; every output format gets valid UTF-8 (a byte that starts
 * no valid sequence becomes U+FFFD) with its own special characters
 * escaped.
 */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t
http_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

enum http_esc {
	ESC_PROM, /* label value: \\ \" \n */
	ESC_JSON, /* string body */
	ESC_HTML, /* text and attribute values */
};

static void
http_escape(struct evbuffer *b, const char *str, enum http_esc how)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), k;

	while (n > 0) {
		k = http_utf8_len(s, n);
		if (k == 0) {
			BUF_LIT(b, "\xef\xbf\xbd");
			s++, n--;
			continue;
		}
		if (k > 1) {
			evbuffer_add(b, s, k);
			s += k, n -= k;
			continue;
		}
		switch (how) {
		case ESC_PROM:
			if (*s == '\\' || *s == '"')
				evbuffer_add_printf(b, "\\%c", *s);
			else if (*s == '\n')
				BUF_LIT(b, "\\n");
			else
				evbuffer_add(b, s, 1);
			break;
		case ESC_JSON:
			if (*s == '\\' || *s == '"')
				evbuffer_add_printf(b, "\\%c", *s);
			else if (*s < 0x20 || *s == 0x7f)
				evbuffer_add_printf(b, "\\u%04x", *s);
			else
				evbuffer_add(b, s, 1);
			break;
		case ESC_HTML:
			if (*s == '&')
				BUF_LIT(b, "&amp;");
			else if (*s == '<')
				BUF_LIT(b, "&lt;");
			else if (*s == '>')
				BUF_LIT(b, "&gt;");
			else if (*s == '"')
				BUF_LIT(b, "&quot;");
			else if (*s == '\'')
				BUF_LIT(b, "&#39;");
			else if (*s < 0x20 && *s != '\t')
				BUF_LIT(b, "\xef\xbf\xbd");
			else
				evbuffer_add(b, s, 1);
			break;
		}
		s++, n--;
	}
}

/* A JSON string with its quotes. */
static void
json_str(struct evbuffer *b, const char *s)
{
	BUF_LIT(b, "\"");
	http_escape(b, s, ESC_JSON);
	BUF_LIT(b, "\"");
}

static void
html(struct evbuffer *b, const char *s)
{
	http_escape(b, s, ESC_HTML);
}

/* Gathering the state. */

static void
view_feature_cb(void *arg, const struct core_feature_info *fi)
{
	struct http_view *v = arg;
	struct core_feature_info *grown;

	grown = realloc(v->features, (v->nfeatures + 1) * sizeof(*grown));
	if (grown == NULL)
		return;
	v->features = grown;
	v->features[v->nfeatures++] = *fi;
}

static void
view_grant_cb(void *arg, const struct core_grant_info *gi)
{
	struct http_view *v = arg;
	struct core_grant_info *grown;

	grown = realloc(v->grants, (v->ngrants + 1) * sizeof(*grown));
	if (grown == NULL)
		return;
	v->grants = grown;
	v->grants[v->ngrants++] = *gi;
}

static void
view_resv_cb(void *arg, const struct core_reservation_info *ri)
{
	struct http_view *v = arg;
	struct core_reservation_info *grown;

	grown = realloc(v->resv, (v->nresv + 1) * sizeof(*grown));
	if (grown == NULL)
		return;
	v->resv = grown;
	v->resv[v->nresv++] = *ri;
}

static void
view_load(struct http_view *v, const struct licd *licd)
{
	memset(v, 0, sizeof(*v));
	v->now = licd_now();
	core_foreach_feature(licd->core, NULL, view_feature_cb, v);
	core_foreach_grant(licd->core, NULL, view_grant_cb, v);
	core_foreach_reservation(licd->core, NULL, view_resv_cb, v);
}

static void
view_free(struct http_view *v)
{
	free(v->features);
	free(v->grants);
	free(v->resv);
}

/* Seats in use per feature and unit, summed over the grants.  Returns a
 * table the caller frees and its size in *n. */
static struct http_unit_use *
view_unit_use(const struct http_view *v, size_t *n)
{
	struct http_unit_use *u;
	size_t i, k;

	*n = 0;
	u = calloc(v->ngrants + 1, sizeof(*u));
	if (u == NULL)
		return NULL;
	for (i = 0; i < v->ngrants; i++) {
		for (k = 0; k < *n; k++)
			if (strcmp(u[k].feature, v->grants[i].feature) == 0 &&
			    strcmp(u[k].unit, v->grants[i].unit) == 0)
				break;
		if (k == *n) {
			u[k].feature = v->grants[i].feature;
			u[k].unit = v->grants[i].unit;
			(*n)++;
		}
		u[k].in_use += v->grants[i].count;
	}
	return u;
}

/* Seats of feature out on borrow now. */
static unsigned long long
view_borrowed(const struct http_view *v, const char *feature)
{
	unsigned long long n = 0;
	size_t i;

	for (i = 0; i < v->ngrants; i++)
		if (v->grants[i].borrowed_until > v->now &&
		    strcmp(v->grants[i].feature, feature) == 0)
			n += (unsigned long long)v->grants[i].count;
	return n;
}

static const char *
who_name(enum core_who who)
{
	switch (who) {
	case CORE_WHO_USER:
		return "user";
	case CORE_WHO_HOST:
		return "host";
	case CORE_WHO_DISPLAY:
		return "display";
	case CORE_WHO_GROUP:
		return "group";
	case CORE_WHO_HOST_GROUP:
		return "host_group";
	case CORE_WHO_INTERNET:
		return "internet";
	case CORE_WHO_PROJECT:
		return "project";
	case CORE_WHO_NONE:
		break;
	}
	return "";
}

/* /metrics */

static void
prom_family(
    struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(
	    b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{feature="F"} value */
static void
prom_feature(struct evbuffer *b, const char *name, const char *feature,
    unsigned long long value)
{
	evbuffer_add_printf(b, "%s{feature=\"", name);
	http_escape(b, feature, ESC_PROM);
	evbuffer_add_printf(b, "\"} %llu\n", value);
}

static void
prom_feature_label(struct evbuffer *b, const char *name, const char *feature,
    const char *label, const char *value, unsigned long long n)
{
	evbuffer_add_printf(b, "%s{feature=\"", name);
	http_escape(b, feature, ESC_PROM);
	evbuffer_add_printf(b, "\",%s=\"", label);
	http_escape(b, value, ESC_PROM);
	evbuffer_add_printf(b, "\"} %llu\n", n);
}

struct prom_counter_ctx {
	struct evbuffer *b;
	int which; /* 0 checkouts, 1 queued, 2 checkins, 3 denials */
};

static void
prom_counter_cb(void *arg, const struct metrics_feature *m)
{
	struct prom_counter_ctx *c = arg;
	int i;

	switch (c->which) {
	case 0:
		prom_feature(c->b, "licd_checkouts_total", m->name,
		    (unsigned long long)m->checkouts);
		break;
	case 1:
		prom_feature(c->b, "licd_queued_total", m->name,
		    (unsigned long long)m->queued);
		break;
	case 2:
		for (i = 0; i < METRICS_RELEASES; i++)
			if (m->checkins[i] != 0)
				prom_feature_label(c->b, "licd_checkins_total",
				    m->name, "reason",
				    core_release_name((enum core_release)i),
				    (unsigned long long)m->checkins[i]);
		break;
	case 3:
		for (i = 1; i < METRICS_REASONS; i++)
			if (m->denials[i] != 0)
				prom_feature_label(c->b, "licd_denials_total",
				    m->name, "reason",
				    core_reason_name((enum core_reason)i),
				    (unsigned long long)m->denials[i]);
		break;
	}
}

static void
prom_counters(struct evbuffer *b)
{
	static const char *const fam[][2] = {
	    {"licd_checkouts_total", "Seats granted since licd started."},
	    {"licd_queued_total",
		"Checkouts put in a queue since licd started."},
	    {"licd_checkins_total",
		"Seats returned since licd started, by reason."},
	    {"licd_denials_total",
		"Checkouts refused since licd started, by reason "
		"(feature is empty when the request named no served "
		"feature)."},
	};
	struct prom_counter_ctx c = {b, 0};

	for (c.which = 0; c.which < 4; c.which++) {
		prom_family(b, fam[c.which][0], "counter", fam[c.which][1]);
		metrics_foreach(prom_counter_cb, &c);
	}
}

static void
prom_drops(struct evbuffer *b)
{
	int i;

	prom_family(b, "licd_sentinel_dropped_total", "counter",
	    "Datagrams the sentinel front end dropped unanswered, by reason.");
	for (i = 0; i < METRICS_DROPS; i++)
		evbuffer_add_printf(b,
		    "licd_sentinel_dropped_total{reason=\"%s\"} %llu\n",
		    metrics_drop_name((enum metrics_drop)i),
		    (unsigned long long)metrics_dropped((enum metrics_drop)i));
}

static void
prom_histograms(struct evbuffer *b)
{
	struct journal_stats st;
	int i;

	journal_stats_get(&st);
	prom_family(b, "licd_journal_commit_seconds", "histogram",
	    "Time to commit one batch of journal records; with journal.sync "
	    "full, the log's fdatasync after it is in "
	    "licd_journal_sync_seconds_total.");
	for (i = 0; i < JOURNAL_STATS_LATENCY_BUCKETS; i++)
		evbuffer_add_printf(b,
		    "licd_journal_commit_seconds_bucket{le=\"%g\"} %llu\n",
		    journal_stats_latency_bounds[i],
		    (unsigned long long)st.latency_le[i]);
	evbuffer_add_printf(b,
	    "licd_journal_commit_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "licd_journal_commit_seconds_sum %.6f\n"
	    "licd_journal_commit_seconds_count %llu\n",
	    (unsigned long long)st.commits, st.seconds,
	    (unsigned long long)st.commits);

	prom_family(b, "licd_journal_batch_records", "histogram",
	    "Records committed together in one journal transaction.");
	for (i = 0; i < JOURNAL_STATS_BATCH_BUCKETS; i++)
		evbuffer_add_printf(b,
		    "licd_journal_batch_records_bucket{le=\"%u\"} %llu\n",
		    journal_stats_batch_bounds[i],
		    (unsigned long long)st.batch_le[i]);
	evbuffer_add_printf(b,
	    "licd_journal_batch_records_bucket{le=\"+Inf\"} %llu\n"
	    "licd_journal_batch_records_sum %llu\n"
	    "licd_journal_batch_records_count %llu\n",
	    (unsigned long long)st.commits, (unsigned long long)st.records,
	    (unsigned long long)st.commits);
	prom_family(b, "licd_journal_checkpoints_total", "counter",
	    "WAL checkpoints completed (off the commit path, or between "
	    "batches when the log grew too long).");
	evbuffer_add_printf(b, "licd_journal_checkpoints_total %llu\n",
	    (unsigned long long)st.checkpoints);
	prom_family(b, "licd_journal_checkpoint_failures_total", "counter",
	    "WAL checkpoints that failed (retried at the next commit).");
	evbuffer_add_printf(b, "licd_journal_checkpoint_failures_total %llu\n",
	    (unsigned long long)st.checkpoint_failures);
	prom_family(b, "licd_journal_checkpoint_seconds_total", "counter",
	    "Time spent in completed WAL checkpoints.");
	evbuffer_add_printf(b, "licd_journal_checkpoint_seconds_total %.6f\n",
	    st.checkpoint_seconds);
	prom_family(b, "licd_journal_syncs_total", "counter",
	    "fdatasyncs of the write-ahead log that made committed batches "
	    "durable (journal.sync full).");
	evbuffer_add_printf(
	    b, "licd_journal_syncs_total %llu\n", (unsigned long long)st.syncs);
	prom_family(b, "licd_journal_sync_seconds_total", "counter",
	    "Time spent in those fdatasyncs.");
	evbuffer_add_printf(
	    b, "licd_journal_sync_seconds_total %.6f\n", st.sync_seconds);
	prom_family(b, "licd_journal_log_restarts_total", "counter",
	    "Times the write-ahead log, copied back in full, started again "
	    "from its beginning.");
	evbuffer_add_printf(b, "licd_journal_log_restarts_total %llu\n",
	    (unsigned long long)st.log_restarts);
}

static void
http_metrics(struct evbuffer *b, const struct licd *licd)
{
	struct http_view v;
	struct http_unit_use *uu;
	size_t i, nuu;

	view_load(&v, licd);

	prom_family(b, "licd_build_info", "gauge",
	    "Always 1; the version is in the label.");
	evbuffer_add_printf(
	    b, "licd_build_info{version=\"%s\"} 1\n", LICD_VERSION);
	prom_family(b, "process_start_time_seconds", "gauge",
	    "When licd started, in seconds since the epoch.");
	evbuffer_add_printf(b, "process_start_time_seconds %.3f\n",
	    (double)licd->started_ms / 1000.0);

	prom_family(b, "licd_seats_issued", "gauge",
	    "Seats of the feature on licence lines in date.");
	for (i = 0; i < v.nfeatures; i++)
		prom_feature(b, "licd_seats_issued", v.features[i].feature,
		    (unsigned long long)v.features[i].issued);
	prom_family(b, "licd_seats_in_use", "gauge",
	    "Seats of the feature held now, lingering seats included.");
	for (i = 0; i < v.nfeatures; i++)
		prom_feature(b, "licd_seats_in_use", v.features[i].feature,
		    (unsigned long long)v.features[i].in_use);
	prom_family(b, "licd_seats_in_use_by_unit", "gauge",
	    "Seats of the feature held now by members of the unit.");
	uu = view_unit_use(&v, &nuu);
	for (i = 0; uu != NULL && i < nuu; i++)
		prom_feature_label(b, "licd_seats_in_use_by_unit",
		    uu[i].feature, "unit", uu[i].unit,
		    (unsigned long long)uu[i].in_use);
	free(uu);
	prom_family(b, "licd_queue_length", "gauge",
	    "Checkouts of the feature waiting in its queue.");
	for (i = 0; i < v.nfeatures; i++)
		prom_feature(b, "licd_queue_length", v.features[i].feature,
		    (unsigned long long)v.features[i].queued);
	prom_family(b, "licd_seats_borrowed", "gauge",
	    "Seats of the feature borrowed for use off the network; they "
	    "are also counted in use.");
	for (i = 0; i < v.nfeatures; i++)
		prom_feature(b, "licd_seats_borrowed", v.features[i].feature,
		    view_borrowed(&v, v.features[i].feature));
	prom_family(b, "licd_seats_commuter", "gauge",
	    "Commuter seats of the feature checked out; always 0 until licd "
	    "serves commuter licences.");
	for (i = 0; i < v.nfeatures; i++)
		prom_feature(
		    b, "licd_seats_commuter", v.features[i].feature, 0);

	prom_family(
	    b, "licd_grants", "gauge", "Grants held now, over every feature.");
	evbuffer_add_printf(b, "licd_grants %zu\n", v.ngrants);
	prom_family(b, "licd_connections", "gauge",
	    "Client connections open now, over every front end.");
	evbuffer_add_printf(b, "licd_connections %d\n", licd->nconns);
	prom_family(b, "licd_http_connections", "gauge",
	    "Connections to this HTTP listener open now.");
	evbuffer_add_printf(b, "licd_http_connections %zu\n", server.nconns);

	prom_counters(b);
	prom_drops(b);
	prom_histograms(b);
	prom_family(b, "licd_journal_commit_errors_total", "counter",
	    "Journal commits that failed and were retried.");
	evbuffer_add_printf(b, "licd_journal_commit_errors_total %llu\n",
	    (unsigned long long)journal_errors(licd->journal));
	prom_family(b, "licd_journal_committed_seq", "gauge",
	    "Sequence number of the last committed journal record.");
	evbuffer_add_printf(b, "licd_journal_committed_seq %llu\n",
	    (unsigned long long)journal_committed_seq(licd->journal));

	view_free(&v);
}

/* /api/status */

struct json_counter_ctx {
	struct evbuffer *b;
	size_t n; /* entries written so far */
};

static void
json_counter_cb(void *arg, const struct metrics_feature *m)
{
	struct json_counter_ctx *c = arg;
	struct evbuffer *b = c->b;
	int i, first = 1;

	if (c->n++ > 0)
		BUF_LIT(b, ",");
	BUF_LIT(b, "{\"feature\":");
	json_str(b, m->name);
	evbuffer_add_printf(b, ",\"checkouts\":%llu,\"queued\":%llu,",
	    (unsigned long long)m->checkouts, (unsigned long long)m->queued);
	BUF_LIT(b, "\"checkins\":{");
	for (i = 0; i < METRICS_RELEASES; i++) {
		if (m->checkins[i] == 0)
			continue;
		evbuffer_add_printf(b, "%s\"%s\":%llu", first ? "" : ",",
		    core_release_name((enum core_release)i),
		    (unsigned long long)m->checkins[i]);
		first = 0;
	}
	BUF_LIT(b, "},\"denials\":{");
	first = 1;
	for (i = 1; i < METRICS_REASONS; i++) {
		if (m->denials[i] == 0)
			continue;
		evbuffer_add_printf(b, "%s\"%s\":%llu", first ? "" : ",",
		    core_reason_name((enum core_reason)i),
		    (unsigned long long)m->denials[i]);
		first = 0;
	}
	BUF_LIT(b, "}}");
}

static void
http_status_json(struct evbuffer *b, const struct licd *licd)
{
	struct metrics_denial d[METRICS_DENIALS_KEPT];
	struct json_counter_ctx jc = {b, 0};
	struct journal_stats st;
	struct http_view v;
	struct http_unit_use *uu;
	size_t i, k, nuu, nd;
	int first;

	view_load(&v, licd);
	uu = view_unit_use(&v, &nuu);
	journal_stats_get(&st);

	BUF_LIT(b, "{\"server\":{\"name\":");
	json_str(b, licd->hostname);
	evbuffer_add_printf(b,
	    ",\"version\":\"%s\",\"started_ms\":%lld,\"now_ms\":%lld,"
	    "\"connections\":%d,\"http_connections\":%zu,\"grants\":%zu,"
	    "\"features\":%zu},",
	    LICD_VERSION, (long long)licd->started_ms, (long long)v.now,
	    licd->nconns, server.nconns, v.ngrants, v.nfeatures);

	BUF_LIT(b, "\"features\":[");
	for (i = 0; i < v.nfeatures; i++) {
		const struct core_feature_info *f = &v.features[i];

		if (i > 0)
			BUF_LIT(b, ",");
		BUF_LIT(b, "{\"name\":");
		json_str(b, f->feature);
		BUF_LIT(b, ",\"vendor\":");
		json_str(b, f->vendor);
		BUF_LIT(b, ",\"version\":");
		json_str(b, f->version);
		evbuffer_add_printf(b,
		    ",\"issued\":%d,\"in_use\":%d,\"queued\":%d,"
		    "\"uncounted\":%s,\"expiry_ms\":%lld,\"borrowed\":%llu,"
		    "\"commuter\":0,\"units\":[",
		    f->issued, f->in_use, f->queued,
		    f->uncounted ? "true" : "false", (long long)f->expiry,
		    view_borrowed(&v, f->feature));
		first = 1;
		for (k = 0; uu != NULL && k < nuu; k++) {
			if (strcmp(uu[k].feature, f->feature) != 0)
				continue;
			if (!first)
				BUF_LIT(b, ",");
			BUF_LIT(b, "{\"unit\":");
			json_str(b, uu[k].unit);
			evbuffer_add_printf(b, ",\"in_use\":%d}", uu[k].in_use);
			first = 0;
		}
		BUF_LIT(b, "],\"reservations\":[");
		first = 1;
		for (k = 0; k < v.nresv; k++) {
			if (strcmp(v.resv[k].feature, f->feature) != 0)
				continue;
			evbuffer_add_printf(b,
			    "%s{\"who\":\"%s\",\"name\":", first ? "" : ",",
			    who_name(v.resv[k].who));
			json_str(b, v.resv[k].name);
			evbuffer_add_printf(b, ",\"count\":%d,\"used\":%d}",
			    v.resv[k].count, v.resv[k].used);
			first = 0;
		}
		BUF_LIT(b, "]}");
	}

	BUF_LIT(b, "],\"holders\":[");
	for (i = 0; i < v.ngrants; i++) {
		const struct core_grant_info *g = &v.grants[i];

		evbuffer_add_printf(b,
		    "%s{\"handle\":%llu,\"feature\":", i ? "," : "",
		    (unsigned long long)g->handle);
		json_str(b, g->feature);
		BUF_LIT(b, ",\"version\":");
		json_str(b, g->version);
		evbuffer_add_printf(b, ",\"count\":%d,\"unit\":", g->count);
		json_str(b, g->unit);
		BUF_LIT(b, ",\"user\":");
		json_str(b, g->user);
		BUF_LIT(b, ",\"host\":");
		json_str(b, g->host);
		BUF_LIT(b, ",\"display\":");
		json_str(b, g->display);
		BUF_LIT(b, ",\"address\":");
		json_str(b, g->address);
		BUF_LIT(b, ",\"frontend\":");
		json_str(b, g->frontend);
		evbuffer_add_printf(b,
		    ",\"start_ms\":%lld,\"lingering\":%s,\"resumed\":%s}",
		    (long long)g->start, g->linger_until ? "true" : "false",
		    g->session != 0 ? "true" : "false");
	}

	BUF_LIT(b, "],\"denials\":[");
	nd = metrics_recent_denials(d, METRICS_DENIALS_KEPT);
	for (i = 0; i < nd; i++) {
		evbuffer_add_printf(b,
		    "%s{\"time_ms\":%lld,\"feature\":", i ? "," : "",
		    (long long)d[i].time);
		json_str(b, d[i].feature);
		BUF_LIT(b, ",\"user\":");
		json_str(b, d[i].user);
		BUF_LIT(b, ",\"host\":");
		json_str(b, d[i].host);
		BUF_LIT(b, ",\"unit\":");
		json_str(b, d[i].unit);
		BUF_LIT(b, ",\"reason\":");
		json_str(b, d[i].reason);
		BUF_LIT(b, "}");
	}

	BUF_LIT(b, "],\"counters\":[");
	metrics_foreach(json_counter_cb, &jc);
	evbuffer_add_printf(b,
	    "],\"journal\":{\"committed_seq\":%llu,\"last_seq\":%llu,"
	    "\"commits\":%llu,\"records\":%llu,\"commit_seconds\":%.6f,"
	    "\"errors\":%llu}}\n",
	    (unsigned long long)journal_committed_seq(licd->journal),
	    (unsigned long long)journal_last_seq(licd->journal),
	    (unsigned long long)st.commits, (unsigned long long)st.records,
	    st.seconds, (unsigned long long)journal_errors(licd->journal));

	free(uu);
	view_free(&v);
}

/* The status page. */

enum fmt_when {
	WHEN_FULL, /* 2026-12-03 13:23:49 */
	WHEN_DATE, /* 2026-12-03 */
	WHEN_SHORT, /* 12-03 13:23 */
};

static void
fmt_time(char *buf, size_t len, int64_t ms, enum fmt_when how)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (ms <= 0 || localtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "-");
	else if (how == WHEN_DATE)
		strftime(buf, len, "%Y-%m-%d", &tm);
	else if (how == WHEN_SHORT)
		strftime(buf, len, "%m-%d %H:%M", &tm);
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void
fmt_age(char *buf, size_t len, int64_t ms)
{
	long long s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh %02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lldd %02lldh", s / 86400, s / 3600 % 24);
}

#define CHART_W 560
#define CHART_H 130
#define CHART_L 34 /* room for the y labels */
#define CHART_R 8
#define CHART_T 10
#define CHART_B 20 /* room for the x labels */

/*
 * One chart: seats in use over the span as a step line over a filled
 * area, the issued seats as a dashed line, y from 0 to the larger of the
 * two.  Points are emitted only where the value changes, which keeps a
 * quiet day's chart a few hundred bytes.
 */
static void
html_chart(struct evbuffer *b, const char *feature, enum history_span span,
    int issued, int64_t now)
{
	static int pts[HISTORY_MINUTES > HISTORY_HOURS ? HISTORY_MINUTES
						       : HISTORY_HOURS];
	const char *labels_day[] = {"-24h", "-18h", "-12h", "-6h", "now"};
	const char *labels_month[] = {"-30d", "-22d", "-15d", "-7d", "now"};
	const char **labels = span == HISTORY_DAY ? labels_day : labels_month;
	double pw = CHART_W - CHART_L - CHART_R,
	       ph = CHART_H - CHART_T - CHART_B;
	double x, y, y0 = CHART_T + ph;
	size_t n, i;
	int max = issued, peak = 0, prev;

	n = history_series(feature, span, now, pts);
	if (n == 0) {
		n = span == HISTORY_DAY ? HISTORY_MINUTES : HISTORY_HOURS;
		memset(pts, 0, n * sizeof(pts[0]));
	}
	for (i = 0; i < n; i++)
		if (pts[i] > peak)
			peak = pts[i];
	if (peak > max)
		max = peak;
	if (max < 1)
		max = 1;

	evbuffer_add_printf(b,
	    "<svg class=\"chart\" data-span=\"%s\" data-feature=\"",
	    span == HISTORY_DAY ? "24h" : "30d");
	html(b, feature);
	evbuffer_add_printf(b,
	    "\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\"><title>",
	    CHART_W, CHART_H, CHART_W, CHART_H);
	html(b, feature);
	evbuffer_add_printf(b, ": seats in use, %s, peak %d of %d</title>\n",
	    span == HISTORY_DAY ? "last 24 hours by minute"
				: "last 30 days by hour",
	    peak, issued);

	/* Frame, grid and labels. */
	evbuffer_add_printf(b,
	    "<rect class=\"plot\" x=\"%d\" y=\"%d\" width=\"%.0f\" "
	    "height=\"%.0f\"/>\n",
	    CHART_L, CHART_T, pw, ph);
	for (i = 0; i < 5; i++) {
		x = CHART_L + pw * (double)i / 4;
		evbuffer_add_printf(b,
		    "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
		    "y2=\"%.1f\"/><text class=\"xl%s\" x=\"%.1f\" y=\"%d\">"
		    "%s</text>\n",
		    x, CHART_T, x, y0, i == 4 ? " end" : "", x, CHART_H - 5,
		    labels[i]);
	}
	evbuffer_add_printf(b,
	    "<text class=\"yl\" x=\"%d\" y=\"%d\">%d</text>"
	    "<text class=\"yl\" x=\"%d\" y=\"%.0f\">0</text>\n",
	    CHART_L - 4, CHART_T + 4, max, CHART_L - 4, y0);

	/* The area first, then the line over it. */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0)
			evbuffer_add_printf(b,
			    "<polygon class=\"area\" points=\"%d,%.1f ",
			    CHART_L, y0);
		else
			BUF_LIT(b, "<polyline class=\"use\" points=\"");
		prev = -1;
		for (i = 0; i < n; i++) {
			x = CHART_L + pw * (double)i / (double)n;
			y = y0 - ph * (double)pts[i] / max;
			if (pts[i] == prev)
				continue;
			if (prev >= 0)
				evbuffer_add_printf(b, "%.1f,%.1f ", x,
				    y0 - ph * (double)prev / max);
			evbuffer_add_printf(b, "%.1f,%.1f ", x, y);
			prev = pts[i];
		}
		y = y0 - ph * (double)prev / max;
		evbuffer_add_printf(b, "%.1f,%.1f", CHART_L + pw, y);
		if (pass == 0)
			evbuffer_add_printf(b, " %.1f,%.1f", CHART_L + pw, y0);
		BUF_LIT(b, "\"/>\n");
	}
	if (issued > 0) {
		y = y0 - ph * (double)issued / max;
		evbuffer_add_printf(b,
		    "<line class=\"issued\" x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\"/>\n",
		    CHART_L, y, CHART_L + pw, y);
	}
	BUF_LIT(b, "</svg>\n");
}

/* A bar of in_use against issued. */
static void
html_bar(struct evbuffer *b, int in_use, int issued)
{
	double w = 160, f = issued > 0 ? (double)in_use / issued : 0;
	const char *cls = f >= 1.0 ? "full" : f >= 0.8 ? "high" : "ok";

	if (f > 1)
		f = 1;
	evbuffer_add_printf(b,
	    "<svg class=\"bar\" width=\"%.0f\" height=\"14\">"
	    "<rect class=\"bg\" width=\"%.0f\" height=\"14\" rx=\"3\"/>"
	    "<rect class=\"%s\" width=\"%.1f\" height=\"14\" rx=\"3\"/>"
	    "</svg>",
	    w, w, cls, w * f);
}

static const char html_style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2733;"
    "background:#f4f6f8}"
    "header{background:#1d3557;color:#fff;padding:12px 24px;display:flex;"
    "gap:24px;align-items:baseline;flex-wrap:wrap}"
    "header h1{font-size:20px;margin:0}header span{opacity:.85}"
    "main{padding:8px 24px 24px}"
    "section{background:#fff;border-radius:6px;padding:8px 16px 12px;"
    "margin:14px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    "h2{font-size:16px;margin:6px 0 8px}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:4px 10px 4px 0;border-bottom:1px solid "
    "#e3e7eb;vertical-align:middle}"
    "th{font-weight:600;color:#52606d}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}"
    ".bar .bg{fill:#e3e7eb}.bar .ok{fill:#2a9d8f}.bar .high{fill:#e9a23b}"
    ".bar .full{fill:#d1495b}"
    ".charts{display:flex;flex-wrap:wrap;gap:8px 24px}"
    ".charts h3{font-size:14px;margin:8px 0 2px;width:100%}"
    ".chart .plot{fill:#fafbfc;stroke:#cbd2d9}"
    ".chart .grid{stroke:#e3e7eb}"
    ".chart .area{fill:#2a9d8f;fill-opacity:.25;stroke:none}"
    ".chart .use{fill:none;stroke:#2a9d8f;stroke-width:1.5}"
    ".chart .issued{stroke:#d1495b;stroke-dasharray:4 3}"
    ".chart text{font-size:10px;fill:#52606d}"
    ".chart .xl{text-anchor:middle}.chart .yl,.chart .end{text-anchor:end}"
    ".muted{color:#7b8794}.unit{white-space:nowrap;margin-right:10px}";

static void
http_page(struct evbuffer *b, const struct licd *licd)
{
	struct metrics_denial d[METRICS_DENIALS_KEPT];
	struct http_view v;
	struct http_unit_use *uu;
	char when[64], age[32];
	size_t i, k, nuu, nd;
	int shown;

	view_load(&v, licd);
	uu = view_unit_use(&v, &nuu);

	evbuffer_add_printf(b,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta http-equiv=\"refresh\" content=\"30\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>licd: ");
	html(b, licd->hostname);
	evbuffer_add_printf(
	    b, "</title><style>%s</style></head><body>\n", html_style);

	fmt_time(when, sizeof(when), v.now, WHEN_FULL);
	fmt_age(age, sizeof(age), v.now - licd->started_ms);
	BUF_LIT(b, "<header><h1>licd on ");
	html(b, licd->hostname);
	evbuffer_add_printf(b,
	    "</h1><span>version %s</span><span>up %s</span>"
	    "<span>%zu features</span><span>%zu grants</span>"
	    "<span>%d connections</span><span>as of %s</span></header>\n"
	    "<main>\n",
	    LICD_VERSION, age, v.nfeatures, v.ngrants, licd->nconns, when);

	/* Features with use against the total, and who uses them. */
	BUF_LIT(b,
	    "<section><h2>Features</h2><table><tr><th>Feature</th>"
	    "<th>Version</th><th>In use</th><th></th><th>Queued</th>"
	    "<th>Expires</th><th>In use by unit</th></tr>\n");
	for (i = 0; i < v.nfeatures; i++) {
		const struct core_feature_info *f = &v.features[i];

		BUF_LIT(b, "<tr><td>");
		html(b, f->feature);
		BUF_LIT(b, "</td><td>");
		html(b, f->version);
		evbuffer_add_printf(b, "</td><td class=\"n\">%d / %d</td><td>",
		    f->in_use, f->issued);
		html_bar(b, f->in_use, f->issued);
		fmt_time(when, sizeof(when), f->expiry, WHEN_DATE);
		evbuffer_add_printf(b,
		    "</td><td class=\"n\">%d</td><td>%s</td><td>", f->queued,
		    f->expiry ? when : "permanent");
		shown = 0;
		for (k = 0; uu != NULL && k < nuu; k++) {
			if (strcmp(uu[k].feature, f->feature) != 0)
				continue;
			BUF_LIT(b, "<span class=\"unit\">");
			html(b, uu[k].unit);
			evbuffer_add_printf(
			    b, " %d/%d</span>", uu[k].in_use, f->issued);
			shown = 1;
		}
		for (k = 0; k < v.nresv; k++) {
			if (strcmp(v.resv[k].feature, f->feature) != 0)
				continue;
			evbuffer_add_printf(b,
			    "<span class=\"unit muted\">reserved for %s ",
			    who_name(v.resv[k].who));
			html(b, v.resv[k].name);
			evbuffer_add_printf(b, ": %d of %d used</span>",
			    v.resv[k].used, v.resv[k].count);
			shown = 1;
		}
		if (!shown)
			BUF_LIT(b, "<span class=\"muted\">-</span>");
		BUF_LIT(b, "</td></tr>\n");
	}
	BUF_LIT(b, "</table></section>\n");

	/* Charts: per feature, the day and the month side by side. */
	BUF_LIT(b,
	    "<section><h2>Seats in use: last 24 hours (peak per minute) and "
	    "last 30 days (peak per hour); dashed: seats issued</h2>\n");
	for (i = 0; i < v.nfeatures; i++) {
		BUF_LIT(b, "<div class=\"charts\"><h3>");
		html(b, v.features[i].feature);
		BUF_LIT(b, "</h3>\n");
		html_chart(b, v.features[i].feature, HISTORY_DAY,
		    v.features[i].issued, v.now);
		html_chart(b, v.features[i].feature, HISTORY_MONTH,
		    v.features[i].issued, v.now);
		BUF_LIT(b, "</div>\n");
	}
	BUF_LIT(b, "</section>\n");

	/* Current holders. */
	evbuffer_add_printf(b,
	    "<section><h2>Current holders (%zu)</h2><table><tr>"
	    "<th>Feature</th><th>User</th><th>Host</th><th>Display</th>"
	    "<th>Unit</th><th>Seats</th><th>Since</th><th>Held</th>"
	    "<th>Handle</th></tr>\n",
	    v.ngrants);
	for (i = 0; i < v.ngrants && i < HTTP_HOLDERS_MAX; i++) {
		const struct core_grant_info *g = &v.grants[i];

		BUF_LIT(b, "<tr><td>");
		html(b, g->feature);
		BUF_LIT(b, "</td><td>");
		html(b, g->user);
		BUF_LIT(b, "</td><td>");
		html(b, g->host);
		BUF_LIT(b, "</td><td>");
		html(b, g->display);
		BUF_LIT(b, "</td><td>");
		html(b, g->unit);
		fmt_time(when, sizeof(when), g->start, WHEN_SHORT);
		fmt_age(age, sizeof(age), v.now - g->start);
		evbuffer_add_printf(b,
		    "</td><td class=\"n\">%d</td><td>%s</td><td>%s%s</td>"
		    "<td class=\"n\">%llu</td></tr>\n",
		    g->count, when, age,
		    g->linger_until       ? " (lingering)"
			: g->session == 0 ? " (awaiting resume)"
					  : "",
		    (unsigned long long)g->handle);
	}
	if (v.ngrants > HTTP_HOLDERS_MAX)
		evbuffer_add_printf(b,
		    "<tr><td colspan=\"9\" class=\"muted\">and %zu more: "
		    "see /api/status</td></tr>\n",
		    v.ngrants - HTTP_HOLDERS_MAX);
	if (v.ngrants == 0)
		BUF_LIT(b,
		    "<tr><td colspan=\"9\" class=\"muted\">nobody holds a "
		    "seat</td></tr>\n");
	BUF_LIT(b, "</table></section>\n");

	/* Recent denials. */
	nd = metrics_recent_denials(d, METRICS_DENIALS_KEPT);
	evbuffer_add_printf(b,
	    "<section><h2>Recent denials (last %d kept)</h2><table><tr>"
	    "<th>Time</th><th>Feature</th><th>User</th><th>Host</th>"
	    "<th>Unit</th><th>Reason</th></tr>\n",
	    METRICS_DENIALS_KEPT);
	for (i = 0; i < nd; i++) {
		fmt_time(when, sizeof(when), d[i].time, WHEN_FULL);
		evbuffer_add_printf(b, "<tr><td>%s</td><td>", when);
		html(b, d[i].feature);
		BUF_LIT(b, "</td><td>");
		html(b, d[i].user);
		BUF_LIT(b, "</td><td>");
		html(b, d[i].host);
		BUF_LIT(b, "</td><td>");
		html(b, d[i].unit);
		BUF_LIT(b, "</td><td>");
		html(b, d[i].reason);
		BUF_LIT(b, "</td></tr>\n");
	}
	if (nd == 0)
		BUF_LIT(b,
		    "<tr><td colspan=\"6\" class=\"muted\">none</td></tr>\n");
	BUF_LIT(b, "</table></section>\n</main></body></html>\n");

	free(uu);
	view_free(&v);
}

/* Serving. */

static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http_server *s = arg;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *type;
	struct evbuffer *b;
	char len[32];

	if (path == NULL || path[0] == '\0')
		path = "/";
	b = evbuffer_new();
	if (b == NULL) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		return;
	}

	if (strcmp(path, "/metrics") == 0) {
		http_metrics(b, s->licd);
		type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (strcmp(path, "/api/status") == 0) {
		http_status_json(b, s->licd);
		type = "application/json";
	} else if (strcmp(path, "/") == 0) {
		http_page(b, s->licd);
		type = "text/html; charset=utf-8";
	} else {
		evbuffer_free(b);
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}

	evhttp_add_header(out, "Content-Type", type);
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	/* The page needs nothing from anywhere: say so to the browser. */
	evhttp_add_header(out, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "img-src data:; frame-ancestors 'none'");
	/* libevent 2.1 would send the body to HEAD as well: the length
	 * alone goes out. */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		snprintf(len, sizeof(len), "%zu", evbuffer_get_length(b));
		evhttp_add_header(out, "Content-Length", len);
		evbuffer_drain(b, evbuffer_get_length(b));
	}
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void
http_listener_set(struct http_server *s, int on)
{
	struct evconnlistener *l;

	if (s->bound == NULL || s->paused == !on)
		return;
	l = evhttp_bound_socket_get_listener(s->bound);
	if (on)
		evconnlistener_enable(l);
	else
		evconnlistener_disable(l);
	s->paused = !on;
	if (!on)
		log_info("http: %d connections open, accepting no more for "
			 "now",
		    HTTP_CONNS_MAX);
}

/* Drops our reference to the connections evhttp has finished with. */
static void
http_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *s = arg;
	bufferevent_data_cb rd, wr;
	bufferevent_event_cb ev;
	void *cbarg;
	size_t i = 0;

	while (i < s->nconns) {
		bufferevent_getcb(s->conns[i], &rd, &wr, &ev, &cbarg);
		if (rd != NULL || wr != NULL || ev != NULL) {
			i++;
			continue;
		}
		bufferevent_decref(s->conns[i]);
		s->conns[i] = s->conns[--s->nconns];
	}
	if (s->nconns < HTTP_CONNS_MAX)
		http_listener_set(s, 1);
	if (s->nconns == 0)
		event_del(s->sweep_ev);
}

static struct bufferevent *
http_bev_cb(struct event_base *base, void *arg)
{
	struct http_server *s = arg;
	struct timeval tv = {0, HTTP_SWEEP_MS * 1000};
	struct bufferevent *bev, **grown;
	SSL *ssl;

	/* Returning NULL lets evhttp make its own bufferevent, which then
	 * escapes the count: only when memory runs out. */
	if (s->nconns == s->cap) {
		grown = realloc(s->conns, (s->cap + 16) * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		s->conns = grown;
		s->cap += 16;
	}
	/* http-tls = "required": HTTPS with the tls group's certificate
	 * (evhttp sets the fd once it has accepted). */
	if (s->licd->conf.http_tls == CONF_TLS_REQUIRED) {
		ssl = tls_ssl_new();
		if (ssl == NULL)
			return NULL;
		bev = bufferevent_openssl_socket_new(base, -1, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL) {
			SSL_free(ssl);
			return NULL;
		}
	} else
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	/* Past its own limits evhttp stops reading; this keeps a
	 * connection it has let go from filling memory until the sweep. */
	bufferevent_setwatermark(bev, EV_READ, 0, HTTP_HEADERS_MAX * 2);
	bufferevent_incref(bev);
	s->conns[s->nconns++] = bev;
	if (!event_pending(s->sweep_ev, EV_TIMEOUT, NULL))
		event_add(s->sweep_ev, &tv);
	if (s->nconns >= HTTP_CONNS_MAX)
		http_listener_set(s, 0);
	return bev;
}

int
http_parse_addr(const char *addr, char *host, size_t len, int *port)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t hl;
	char *end;
	long p;

	if (colon == NULL || colon == addr)
		return -1;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[') {
		if (colon[-1] != ']' || hl < 3)
			return -1;
		h = addr + 1;
		hl -= 2;
	} else if (memchr(addr, ':', hl) != NULL)
		return -1; /* a bare IPv6 address needs brackets */
	if (hl == 0 || hl >= len)
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return 0;
}

/* The current use of every feature, so that grants restored at start-up
 * (which emit no event) show in the charts from now on. */
static void
http_sync_cb(void *arg, const struct core_feature_info *fi)
{
	history_set(fi->feature, fi->in_use, *(int64_t *)arg);
}

int
http_start(struct licd *licd)
{
	struct http_server *s = &server;
	char host[256], err[512];
	int64_t now;
	long n;
	int port;

	if (licd->conf.http[0] == '\0')
		return 0;
	if (http_parse_addr(licd->conf.http, host, sizeof(host), &port) == -1) {
		log_warnx("http \"%s\": expected ADDRESS:PORT, e.g. "
			  "127.0.0.1:9100",
		    licd->conf.http);
		return -1;
	}

	now = licd_now();
	n = history_seed(licd->conf.state_dir, now, err, sizeof(err));
	if (n == -1)
		log_warnx("http: the use history starts incomplete: %s", err);
	else
		log_info(
		    "http: use history seeded from %ld journal records", n);
	core_foreach_feature(licd->core, NULL, http_sync_cb, &now);

	memset(s, 0, sizeof(*s));
	s->licd = licd;
	s->evhttp = evhttp_new(licd->base);
	s->sweep_ev = event_new(licd->base, -1, EV_PERSIST, http_sweep_cb, s);
	if (s->evhttp == NULL || s->sweep_ev == NULL) {
		log_warnx("http: out of memory");
		return -1;
	}
	evhttp_set_allowed_methods(s->evhttp, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(s->evhttp, HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(s->evhttp, HTTP_BODY_MAX);
	evhttp_set_timeout(s->evhttp, HTTP_TIMEOUT);
	evhttp_set_bevcb(s->evhttp, http_bev_cb, s);
	evhttp_set_gencb(s->evhttp, http_request_cb, s);

	s->bound =
	    evhttp_bind_socket_with_handle(s->evhttp, host, (ev_uint16_t)port);
	if (s->bound == NULL) {
		log_warn("http: listen %s port %d", host, port);
		return -1;
	}
	log_info("listening: protocol=http address=%s port=%d", host, port);
	return 0;
}

void
http_stop(void)
{
	struct http_server *s = &server;
	size_t i;

	/* evhttp_free closes the connections it still has, which drops
	 * their references; ours go after. */
	if (s->evhttp != NULL)
		evhttp_free(s->evhttp);
	for (i = 0; i < s->nconns; i++)
		bufferevent_decref(s->conns[i]);
	free(s->conns);
	if (s->sweep_ev != NULL)
		event_free(s->sweep_ev);
	memset(s, 0, sizeof(*s));
	history_free();
	metrics_free();
}
