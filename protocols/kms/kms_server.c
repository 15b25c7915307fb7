/*
 * The KMS front end, server side: one session per connection, requests
 * parsed by the codec, decided by the activation table, and answered once
 * the journal holds the request's record (protocols/kms/PROTOCOL.md).
 * PURGE is taken only on kms.sock in the state directory, from the peers
 * the flex admin socket accepts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "../../daemon/kms_glue.h"
#include "../../daemon/licd.h"
#include "../../daemon/log.h"
#include "../../daemon/session.h"
#include "../../daemon/tls.h"
#include "../flex/flex_codec.h"
#include "../protocol.h"
#include "kms_codec.h"

#define KMS_LISTENERS_MAX 32
#define KMS_OUTPUT_HIGH (1024 * 1024)
/* XXX: MACHINES answers at most this many machines. */
#define KMS_MACHINES_MAX 100000

struct kms_session {
	struct session sess;
	TAILQ_ENTRY(kms_session) entry;
};

/* The session module reads lines of the codec's bound. */
_Static_assert(SESSION_LINE_MAX == FLEX_LINE_MAX, "line bounds differ");

static struct {
	struct licd *licd;
	struct evconnlistener *listeners[KMS_LISTENERS_MAX];
	size_t nlisteners;
	TAILQ_HEAD(, kms_session) sessions;
	size_t nsessions;
	uint64_t next_id;
	int port;
	char sock[CONF_PATH_MAX + 16];
} kms;

static struct kms_session *
kms_from_session(struct session *ss)
{
	return (struct kms_session *)(void *)((char *)ss -
	    offsetof(struct kms_session, sess));
}

/* A durable reply leaves once the journal holds its record
 * (session_send). */
static void
kms_send(struct kms_session *s, struct flex_out *o, int durable)
{
	int len;

	len = flex_out_end(o);
	if (len < 0) {
		log_warnx("kms: reply too long: session=%llu",
		    (unsigned long long)s->sess.id);
		return;
	}
	session_send(&s->sess, o->buf, (size_t)len, durable);
}

static void
kms_send_error(
    struct kms_session *s, const char *tag, int code, const char *text)
{
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	flex_out_begin(&o, buf, sizeof(buf), tag[0] ? tag : "*", "ERR");
	flex_out_addf(&o, "code", "%d", code);
	flex_out_add(&o, "reason", kms_error_name(code));
	flex_out_add(&o, "text", text);
	kms_send(s, &o, 0);
}

static void
kms_activate(struct kms_session *s, const struct kms_request *req)
{
	const struct tls_peer *cert = session_cert(&s->sess);
	struct act_request areq;
	struct act_reply r;
	struct kms_activation a;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	memset(&areq, 0, sizeof(areq));
	areq.product = req->product;
	areq.machine_id = req->machine_id;
	areq.cls = req->server_class ? ACT_CLASS_SERVER : ACT_CLASS_CLIENT;
	areq.host = req->host;
	/* A client certificate names the unit (tls.unit-field), whatever
	 * the request claims; one that names none leaves the machine's
	 * unit as it was. */
	if (cert != NULL)
		areq.unit = cert->unit[0] ? cert->unit : NULL;
	else
		areq.unit = req->unit[0] ? req->unit : NULL;
	areq.address = s->sess.addr;
	kms_glue_request(kms.licd, &areq, licd_now(), &r);

	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_out_add(&o, "result", act_result_name(r.result));
	flex_out_addf(&o, "code", "%d", (int)r.result);
	flex_out_addf(&o, "count", "%d", r.count);
	flex_out_addf(&o, "threshold", "%d", r.threshold);
	flex_out_addf(&o, "retry", "%d", r.retry_s);
	flex_out_addf(&o, "renewal", "%d", r.renewal_s);
	flex_out_addf(&o, "validity", "%d", r.validity_s);
	flex_out_add(&o, "unit", r.unit);
	if (r.result == ACT_ACTIVATED) {
		memset(&a, 0, sizeof(a));
		snprintf(a.product, sizeof(a.product), "%s", req->product);
		snprintf(
		    a.machine_id, sizeof(a.machine_id), "%s", req->machine_id);
		snprintf(a.unit, sizeof(a.unit), "%s", r.unit);
		a.issued = r.issued;
		a.expires = r.expires;
		if (kms_glue_sign(&a) == -1) {
			log_warnx("kms: cannot sign an activation: "
				  "machine=%s product=%s",
			    req->machine_id, req->product);
			kms_send_error(s, req->tag, KMS_E_ARGUMENT,
			    "the activation could not be signed");
			return;
		}
		flex_out_addf(&o, "renewed", "%d", r.renewed ? 1 : 0);
		flex_out_add(&o, "product", a.product);
		flex_out_add(&o, "machine", a.machine_id);
		flex_out_addf(&o, "issued", "%lld", (long long)a.issued);
		flex_out_addf(&o, "expires", "%lld", (long long)a.expires);
		flex_out_add(&o, "sig", a.sig);
	}
	kms_send(s, &o, 1);
}

struct kms_walk {
	struct kms_session *s;
	const char *tag;
	const char *product;
	char group[KMS_NAME_MAX];
	size_t n;
};

static void
kms_status_product(void *arg, const struct act_product_info *p)
{
	struct kms_walk *w = arg;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	flex_out_begin(&o, buf, sizeof(buf), w->tag, "PRODUCT");
	flex_out_add(&o, "name", p->product.name);
	flex_out_add(&o, "group",
	    p->product.group[0] ? p->product.group : p->product.name);
	flex_out_addf(&o, "count", "%d", p->count);
	flex_out_addf(&o, "activated", "%d", p->activated);
	flex_out_addf(
	    &o, "threshold_client", "%d", p->product.threshold_client);
	flex_out_addf(
	    &o, "threshold_server", "%d", p->product.threshold_server);
	flex_out_addf(&o, "retry_minutes", "%d", p->product.retry_minutes);
	flex_out_addf(&o, "renewal_days", "%d", p->product.renewal_days);
	flex_out_addf(&o, "validity_days", "%d", p->product.validity_days);
	flex_out_addf(&o, "window_days", "%d", p->product.window_days);
	flex_out_addf(&o, "cap", "%d", p->product.cap);
	flex_out_addf(&o, "req_activated", "%llu",
	    (unsigned long long)p->requests[ACT_ACTIVATED]);
	flex_out_addf(&o, "req_below", "%llu",
	    (unsigned long long)p->requests[ACT_BELOW_THRESHOLD]);
	flex_out_addf(&o, "req_capped", "%llu",
	    (unsigned long long)p->requests[ACT_CAPPED]);
	flex_out_addf(&o, "req_unknown", "%llu",
	    (unsigned long long)p->requests[ACT_UNKNOWN_PRODUCT]);
	flex_out_addf(&o, "req_bad", "%llu",
	    (unsigned long long)p->requests[ACT_BAD_REQUEST]);
	kms_send(w->s, &o, 0);
	w->n++;
}

static void
kms_status(struct kms_session *s, const struct kms_request *req)
{
	struct kms_walk w = {s, req->tag, NULL, "", 0};
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	act_foreach_product(kms.licd->act, licd_now(), kms_status_product, &w);
	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_out_addf(&o, "products", "%zu", w.n);
	flex_out_addf(&o, "port", "%d", kms.port);
	flex_out_add(&o, "host", kms.licd->hostname);
	flex_out_add(&o, "version", LICD_VERSION);
	kms_send(s, &o, 0);
}

static void
kms_machine(void *arg, const struct act_machine_info *m)
{
	struct kms_walk *w = arg;
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	if (w->n >= KMS_MACHINES_MAX)
		return;
	flex_out_begin(&o, buf, sizeof(buf), w->tag, "MACHINE");
	flex_out_add(&o, "group", m->group);
	flex_out_add(&o, "product", m->product);
	flex_out_add(&o, "machine", m->machine_id);
	flex_out_add(
	    &o, "class", m->cls == ACT_CLASS_SERVER ? "server" : "client");
	flex_out_add(&o, "host", m->host);
	flex_out_add(&o, "unit", m->unit);
	flex_out_addf(&o, "first_seen", "%lld", (long long)m->first_seen);
	flex_out_addf(&o, "last_seen", "%lld", (long long)m->last_seen);
	flex_out_addf(
	    &o, "activated_until", "%lld", (long long)m->activated_until);
	kms_send(w->s, &o, 0);
	w->n++;
}

/* The group of the product named in w->product. */
static void
kms_find_group(void *arg, const struct act_product_info *p)
{
	struct kms_walk *w = arg;

	if (strcmp(p->product.name, w->product) == 0)
		snprintf(w->group, sizeof(w->group), "%s",
		    p->product.group[0] ? p->product.group : p->product.name);
}

static void
kms_machines(struct kms_session *s, const struct kms_request *req)
{
	struct kms_walk w = {s, req->tag, req->product, "", 0};
	struct flex_out o;
	char buf[FLEX_LINE_MAX];

	if (req->product[0] != '\0') {
		act_foreach_product(
		    kms.licd->act, licd_now(), kms_find_group, &w);
		if (w.group[0] == '\0') {
			kms_send_error(
			    s, req->tag, KMS_E_NOT_FOUND, "no such product");
			return;
		}
	}
	act_foreach_machine(kms.licd->act, w.group, kms_machine, &w);
	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_out_addf(&o, "machines", "%zu", w.n);
	kms_send(s, &o, 0);
}

static void
kms_purge(struct kms_session *s, const struct kms_request *req)
{
	struct flex_out o;
	char buf[FLEX_LINE_MAX], who[300];

	session_actor(&s->sess, who, sizeof(who));
	if (!s->sess.admin) {
		log_info("kms: refused PURGE: session=%llu %s",
		    (unsigned long long)s->sess.id, who);
		kms_send_error(s, req->tag, KMS_E_FORBIDDEN,
		    "PURGE is taken on kms.sock from root, licd's user or "
		    "the admin group, or over TLS from a certificate on "
		    "tls.admins, only");
		return;
	}
	if (kms_glue_purge(kms.licd, req->group, req->machine_id, who) == -1) {
		kms_send_error(s, req->tag, KMS_E_NOT_FOUND,
		    "no such machine in that group");
		return;
	}
	flex_out_begin(&o, buf, sizeof(buf), req->tag, "OK");
	flex_out_add(&o, "machine", req->machine_id);
	kms_send(s, &o, 1);
}

static void
kms_handle_line(struct session *ss, const char *line, size_t len)
{
	struct kms_session *s = kms_from_session(ss);
	struct kms_request req;
	struct flex_out o;
	char err[128], buf[128];
	int rc;

	rc = kms_request_parse(line, len, &req, err, sizeof(err));
	if (rc != 0) {
		kms_send_error(s, req.tag, rc, err);
		return;
	}
	switch (req.verb) {
	case KMS_V_ACTIVATE:
		if (!licd_journal_ok(kms.licd)) {
			kms_send_error(s, req.tag, KMS_E_INTERNAL,
			    "the journal cannot record changes now (disk full "
			    "or state directory unwritable); try again");
			break;
		}
		kms_activate(s, &req);
		break;
	case KMS_V_STATUS:
		kms_status(s, &req);
		break;
	case KMS_V_MACHINES:
		kms_machines(s, &req);
		break;
	case KMS_V_PURGE:
		kms_purge(s, &req);
		break;
	case KMS_V_QUIT:
		flex_out_begin(&o, buf, sizeof(buf), req.tag, "OK");
		kms_send(s, &o, 0);
		session_quit(&s->sess);
		break;
	}
}

static void
kms_too_long(struct session *ss)
{
	log_info("kms: line too long, closing: session=%llu address=%s",
	    (unsigned long long)ss->id, ss->addr);
	kms_send_error(
	    kms_from_session(ss), "*", KMS_E_TOO_LONG, "line over 4096 bytes");
}

static void
kms_dropped(struct session *ss, short what)
{
	if (what & BEV_EVENT_TIMEOUT)
		log_info("kms: %s timeout, closing: session=%llu address=%s",
		    (what & BEV_EVENT_READING) ? "idle" : "write",
		    (unsigned long long)ss->id, ss->addr);
}

static void
kms_release(struct session *ss)
{
	struct kms_session *s = kms_from_session(ss);

	TAILQ_REMOVE(&kms.sessions, s, entry);
	kms.nsessions--;
}

static const struct session_ops kms_session_ops = {
    .name = "kms",
    .busy = "* ERR code=25 reason=busy text=too%20many%20connections\n",
    .size = sizeof(struct kms_session),
    .offset = offsetof(struct kms_session, sess),
    .output_high = KMS_OUTPUT_HIGH,
    .output_low = 0,
    .line = kms_handle_line,
    .too_long = kms_too_long,
    .dropped = kms_dropped,
    .release = kms_release,
};

/* Makes a session of an accepted connection, within the caps. */
static void
kms_accept(evutil_socket_t fd, const struct sockaddr *sa, int admin_socket)
{
	struct session *ss;
	struct kms_session *s;

	ss = session_accept(kms.licd, &kms_session_ops, fd, sa, admin_socket);
	if (ss == NULL)
		return;
	s = kms_from_session(ss);
	ss->id = ++kms.next_id;
	TAILQ_INSERT_TAIL(&kms.sessions, s, entry);
	kms.nsessions++;
}

static void
kms_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	kms_accept(fd, sa, 0);
}

/* kms.sock: PURGE for a peer the kernel vouches for. */
static void
kms_accept_admin_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	kms_accept(fd, sa, 1);
}

static void
kms_accept_error_cb(struct evconnlistener *l, void *arg)
{
	log_warn("kms: accept");
}

static int
kms_add_listener(evconnlistener_cb cb, int fd)
{
	struct evconnlistener *l;

	if (kms.nlisteners == KMS_LISTENERS_MAX) {
		log_warnx(
		    "kms: more than %d listening sockets", KMS_LISTENERS_MAX);
		close(fd);
		return -1;
	}
	l = evconnlistener_new(kms.licd->base, cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l == NULL) {
		log_warnx("kms: cannot listen on fd %d", fd);
		close(fd);
		return -1;
	}
	evconnlistener_set_error_cb(l, kms_accept_error_cb);
	kms.listeners[kms.nlisteners++] = l;
	return 0;
}

/* kms.sock in the state directory, for PURGE (0660 as admin.sock). */
static int
kms_admin_listen(struct licd *licd)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	snprintf(
	    kms.sock, sizeof(kms.sock), "%s/kms.sock", licd->conf.state_dir);
	if (strlen(kms.sock) >= sizeof(sun.sun_path)) {
		log_warnx(
		    "kms: %s: path too long; PURGE is not served", kms.sock);
		kms.sock[0] = '\0';
		return 0;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", kms.sock);
	if (lstat(kms.sock, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(kms.sock); /* stale: the state lock is ours */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 64) == -1) {
		umask(old);
		log_warn("kms: %s", kms.sock);
		close(fd);
		return -1;
	}
	umask(old);
	if (licd->admin_gid != (gid_t)-1 &&
	    chown(kms.sock, (uid_t)-1, licd->admin_gid) == -1)
		log_warn("kms: %s: chown", kms.sock);
	log_info("listening: protocol=kms admin-socket=%s", kms.sock);
	return kms_add_listener(kms_accept_admin_cb, fd);
}

static int
kms_start(struct licd *licd, const int *fds, size_t nfds)
{
	size_t i;

	if (licd->act == NULL) {
		log_warnx("kms: no products configured");
		return -1;
	}
	kms.licd = licd;
	TAILQ_INIT(&kms.sessions);
	for (i = 0; i < licd->conf.nlisteners; i++)
		if (strcmp(licd->conf.listeners[i].protocol, "kms") == 0)
			kms.port = licd->conf.listeners[i].port;
	for (i = 0; i < nfds; i++)
		if (kms_add_listener(kms_accept_cb, fds[i]) == -1)
			return -1;
	return kms_admin_listen(licd);
}

static void
kms_stop(struct licd *licd)
{
	struct kms_session *s, *next;
	size_t i;

	if (kms.licd == NULL)
		return;
	for (i = 0; i < kms.nlisteners; i++)
		evconnlistener_free(kms.listeners[i]);
	kms.nlisteners = 0;
	if (kms.sock[0] != '\0')
		unlink(kms.sock);
	kms.sock[0] = '\0';
	for (s = TAILQ_FIRST(&kms.sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		session_close(&s->sess);
	}
}

static void
kms_cleanup(struct licd *licd)
{
	struct kms_session *s;

	if (kms.licd == NULL)
		return;
	while ((s = TAILQ_FIRST(&kms.sessions)) != NULL)
		session_free(&s->sess);
	kms_stop(licd);
}

static void
kms_status_line(struct licd *licd, char *buf, size_t len)
{
	size_t used = strlen(buf);

	if (kms.licd == NULL)
		return;
	snprintf(buf + used, len - used, "%skms: %zu sessions",
	    used ? ", " : "", kms.nsessions);
}

const struct licd_protocol kms_protocol = {
    .name = "kms",
    .default_port = KMS_DEFAULT_PORT,
    .start = kms_start,
    .stop = kms_stop,
    .cleanup = kms_cleanup,
    .status = kms_status_line,
};
