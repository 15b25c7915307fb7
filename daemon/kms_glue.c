/*
 * Volume activation in the daemon: the table, its journal records, its
 * timer and the signing key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../protocols/kms/kms_codec.h"
#include "kms_glue.h"
#include "licd.h"
#include "log.h"

#define KMS_TICK_SECONDS 10

static struct {
	struct licd *licd;
	EVP_PKEY *key;
	/* The peer of the request being decided: the table's events do
	 * not carry it, and the sink runs inside act_request. */
	const char *address;
	char purge_detail[320];
	int64_t restore_now;
	size_t restored;
} kg;

static void
kms_glue_date(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Every table event becomes a record; the machines table follows by the
 * record's machine_op. */
static void
kms_glue_sink(void *arg, const struct act_event *ev)
{
	struct licd *licd = arg;
	const struct act_machine_info *m = ev->machine;
	struct journal_record rec;
	char date[32];

	memset(&rec, 0, sizeof(rec));
	rec.time_ms = ev->time;
	snprintf(rec.frontend, sizeof(rec.frontend), "kms");
	rec.count = ev->count;
	snprintf(rec.feature, sizeof(rec.feature), "%s", m->product);
	snprintf(rec.unit, sizeof(rec.unit), "%s", m->unit);
	snprintf(rec.host, sizeof(rec.host), "%s", m->host);
	snprintf(rec.machine_id, sizeof(rec.machine_id), "%s", m->machine_id);
	rec.machine = *m;
	kms_glue_date(m->activated_until, date, sizeof(date));

	switch (ev->type) {
	case ACT_EV_REQUEST:
		snprintf(rec.type, sizeof(rec.type), "activate");
		snprintf(rec.reason, sizeof(rec.reason), "%s",
		    act_result_name(ev->result));
		if (kg.address != NULL)
			snprintf(
			    rec.address, sizeof(rec.address), "%s", kg.address);
		if (m->activated_until > ev->time)
			snprintf(rec.detail, sizeof(rec.detail),
			    "activated until %s", date);
		else
			snprintf(
			    rec.detail, sizeof(rec.detail), "not activated");
		/* A refused request of an unknown machine leaves no row. */
		rec.machine_op = m->first_seen != 0 ? JOURNAL_MACHINE_PUT
						    : JOURNAL_MACHINE_KEEP;
		if (ev->result == ACT_UNKNOWN_PRODUCT ||
		    ev->result == ACT_BAD_REQUEST)
			rec.machine_op = JOURNAL_MACHINE_KEEP;
		break;
	case ACT_EV_EXPIRE:
		snprintf(rec.type, sizeof(rec.type), "expire");
		snprintf(rec.detail, sizeof(rec.detail), "expired %s", date);
		rec.machine_op = JOURNAL_MACHINE_PUT;
		break;
	case ACT_EV_FORGET:
		snprintf(rec.type, sizeof(rec.type), "forget");
		snprintf(rec.reason, sizeof(rec.reason), "%s",
		    ev->purged ? "admin" : "window");
		snprintf(rec.detail, sizeof(rec.detail), "%s",
		    ev->purged && kg.purge_detail[0] ? kg.purge_detail
						     : "left the window");
		rec.machine_op = JOURNAL_MACHINE_DEL;
		break;
	}
	journal_append(licd->journal, &rec);
	licd_schedule_flush(licd);
}

static void
kms_glue_restore_one(void *arg, const struct act_machine_info *m)
{
	struct licd *licd = arg;

	if (act_restore(licd->act, m) == -1)
		log_warnx("kms: machine %s of %s not restored", m->machine_id,
		    m->group);
	else
		kg.restored++;
}

/* Writes the public half next to the key, for licctl kms-key and for
 * administrators without access to the key. */
static int
kms_glue_write_pub(const char *path, EVP_PKEY *key)
{
	FILE *f;
	int ok;

	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	ok = PEM_write_PUBKEY(f, key);
	if (fclose(f) != 0 || !ok)
		return -1;
	chmod(path, 0644);
	return 0;
}

static int
kms_glue_key(const char *dir, char *err, size_t errlen)
{
	char path[CONF_PATH_MAX + 16], pub[CONF_PATH_MAX + 16];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/kms.key", dir);
	snprintf(pub, sizeof(pub), "%s/kms.pub", dir);
	f = fopen(path, "r");
	if (f != NULL) {
		kg.key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (kg.key == NULL ||
		    EVP_PKEY_get_base_id(kg.key) != EVP_PKEY_ED25519) {
			snprintf(err, errlen, "%s: not an Ed25519 private key",
			    path);
			return -1;
		}
		if (access(pub, F_OK) == -1)
			kms_glue_write_pub(pub, kg.key);
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}

	kg.key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (kg.key == NULL) {
		snprintf(err, errlen, "cannot make an Ed25519 key");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	f = fd == -1 ? NULL : fdopen(fd, "w");
	if (f == NULL ||
	    !PEM_write_PrivateKey(f, kg.key, NULL, NULL, 0, NULL, NULL) ||
	    fflush(f) != 0 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		else if (fd != -1)
			close(fd);
		unlink(path);
		return -1;
	}
	fclose(f);
	if (kms_glue_write_pub(pub, kg.key) == -1)
		log_warnx("kms: cannot write %s", pub);
	log_info("kms: created the activation signing key %s", path);
	return 0;
}

static void
kms_glue_sink_none(void *arg, const struct act_event *ev)
{
}

int
kms_glue_check(const struct licd_conf *conf, struct diag *diag)
{
	struct act *scratch;
	char err[512];
	int rc;

	if (conf->nkms_products == 0)
		return 0;
	scratch = act_new(kms_glue_sink_none, NULL);
	if (scratch == NULL)
		return -1;
	rc = act_configure(
	    scratch, conf->kms_products, conf->nkms_products, err, sizeof(err));
	act_free(scratch);
	if (rc == -1)
		diag_add(diag, DIAG_ERROR, conf->path[0] ? conf->path : "licd",
		    0, "kms.products: %s", err);
	return rc;
}

int
kms_glue_init(struct licd *licd, char *err, size_t errlen)
{
	kg.licd = licd;
	if (licd->conf.nkms_products == 0)
		return 0;

	licd->act = act_new(kms_glue_sink, licd);
	if (licd->act == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (act_configure(licd->act, licd->conf.kms_products,
		licd->conf.nkms_products, err, errlen) == -1)
		return -1;
	if (kms_glue_key(licd->conf.state_dir, err, errlen) == -1)
		return -1;
	if (journal_restore_machines(
		licd->journal, kms_glue_restore_one, licd) == -1) {
		snprintf(err, errlen, "journal: cannot read the machines");
		return -1;
	}
	log_info("kms: products=%zu machines-restored=%zu",
	    licd->conf.nkms_products, kg.restored);
	return 0;
}

static void
kms_glue_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct licd *licd = arg;

	act_tick(licd->act, licd_now());
}

int
kms_glue_start(struct licd *licd)
{
	struct timeval tv = {KMS_TICK_SECONDS, 0};

	if (licd->act == NULL)
		return 0;
	licd->kms_tick_ev =
	    event_new(licd->base, -1, EV_PERSIST, kms_glue_tick_cb, licd);
	if (licd->kms_tick_ev == NULL)
		return -1;
	act_tick(licd->act, licd_now());
	return event_add(licd->kms_tick_ev, &tv);
}

void
kms_glue_free(struct licd *licd)
{
	if (licd->kms_tick_ev != NULL)
		event_free(licd->kms_tick_ev);
	licd->kms_tick_ev = NULL;
	if (licd->act != NULL)
		act_free(licd->act);
	licd->act = NULL;
	EVP_PKEY_free(kg.key);
	kg.key = NULL;
}

void
kms_glue_request(struct licd *licd, const struct act_request *req, int64_t now,
    struct act_reply *reply)
{
	kg.address = req->address;
	act_request(licd->act, req, now, reply);
	kg.address = NULL;
}

int
kms_glue_sign(struct kms_activation *a)
{
	unsigned char sig[64];
	char canon[1024];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx;
	int n, ok;

	n = kms_activation_canonical(a, canon, sizeof(canon));
	if (n < 0 || kg.key == NULL)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -1;
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, kg.key) == 1 &&
	    EVP_DigestSign(
		ctx, sig, &siglen, (unsigned char *)canon, (size_t)n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok || siglen != sizeof(sig))
		return -1;
	return kms_hex_encode(sig, siglen, a->sig, sizeof(a->sig)) < 0 ? -1 : 0;
}

int
kms_glue_purge(struct licd *licd, const char *group, const char *machine_id,
    const char *who)
{
	int rc;

	snprintf(kg.purge_detail, sizeof(kg.purge_detail), "purged by %s", who);
	rc = act_purge(licd->act, group, machine_id, licd_now());
	kg.purge_detail[0] = '\0';
	if (rc == 0)
		log_info("kms: purged machine=%s group=%s %s", machine_id,
		    group, who);
	return rc;
}
