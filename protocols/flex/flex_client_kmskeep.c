/*
 * Keeping a machine activated: a thread that asks at once, stores each
 * activation, and asks again when the answer says to — at the renewal
 * interval once activated, at the retry interval below the threshold, and
 * with a growing back-off while no server answers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "licd.h"

#define KEEP_BACKOFF_MIN_MS (60 * 1000)
#define KEEP_BACKOFF_MAX_MS (2 * 3600 * 1000)
#define KEEP_STR_MAX 256

struct licd_kms_keeper {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;

	char servers[1024]; /* "" for DNS discovery */
	char product[KEEP_STR_MAX];
	char machine_id[KEEP_STR_MAX];
	char host[KEEP_STR_MAX];
	char unit[KEEP_STR_MAX];
	char store[1024];
	int server_class;
	int have_machine, have_host, have_unit;

	void (*on_reply)(void *, const struct licd_kms_reply *);
	void *arg;
};

static int64_t
keep_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps until the wall-clock time until (ms), or until stopped.
 * Returns 1 when stopped. */
static int
keep_wait(struct licd_kms_keeper *k, int64_t until)
{
	struct timespec ts;
	int stop;

	ts.tv_sec = (time_t)(until / 1000);
	ts.tv_nsec = (long)(until % 1000) * 1000000L;
	pthread_mutex_lock(&k->mu);
	while (!k->stop && keep_now_ms() < until)
		if (pthread_cond_timedwait(&k->cv, &k->mu, &ts) == ETIMEDOUT)
			break;
	stop = k->stop;
	pthread_mutex_unlock(&k->mu);
	return stop;
}

static void *
keep_main(void *arg)
{
	struct licd_kms_keeper *k = arg;
	struct licd_kms_request req;
	struct licd_kms_reply reply;
	char err[512];
	int64_t backoff = KEEP_BACKOFF_MIN_MS, next;

	memset(&req, 0, sizeof(req));
	req.product = k->product;
	req.machine_id = k->have_machine ? k->machine_id : NULL;
	req.host = k->have_host ? k->host : NULL;
	req.unit = k->have_unit ? k->unit : NULL;
	req.server_class = k->server_class;

	for (;;) {
		if (licd_kms_activate(k->servers[0] ? k->servers : NULL, &req,
			0, &reply, err, sizeof(err)) == 0) {
			if (reply.activated && k->store[0] != '\0')
				(void)licd_kms_store(k->store,
				    &reply.activation, err, sizeof(err));
			if (k->on_reply != NULL)
				k->on_reply(k->arg, &reply);
			next = licd_kms_next_request(&reply, keep_now_ms());
			backoff = KEEP_BACKOFF_MIN_MS;
		} else {
			/* No server answered: a stored activation stays
			 * good until its expiry; keep asking, less often. */
			next = keep_now_ms() + backoff;
			backoff = backoff * 2 > KEEP_BACKOFF_MAX_MS
			    ? KEEP_BACKOFF_MAX_MS
			    : backoff * 2;
		}
		if (keep_wait(k, next))
			break;
	}
	return NULL;
}

static int
keep_copy(char *dst, size_t len, const char *src)
{
	if (src == NULL)
		return 0;
	if (strlen(src) >= len)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 1;
}

struct licd_kms_keeper *
licd_kms_keep(const char *servers, const struct licd_kms_request *r,
    const char *store_path,
    void (*on_reply)(void *, const struct licd_kms_reply *), void *arg,
    char *err, size_t errlen)
{
	struct licd_kms_keeper *k;
	int rc;

	if (r == NULL || r->product == NULL || r->product[0] == '\0') {
		snprintf(err, errlen, "no product");
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (keep_copy(k->servers, sizeof(k->servers), servers) == -1 ||
	    keep_copy(k->product, sizeof(k->product), r->product) == -1 ||
	    (k->have_machine = keep_copy(
		 k->machine_id, sizeof(k->machine_id), r->machine_id)) == -1 ||
	    (k->have_host = keep_copy(k->host, sizeof(k->host), r->host)) ==
		-1 ||
	    (k->have_unit = keep_copy(k->unit, sizeof(k->unit), r->unit)) ==
		-1 ||
	    keep_copy(k->store, sizeof(k->store), store_path) == -1) {
		snprintf(err, errlen, "an argument is too long");
		free(k);
		return NULL;
	}
	k->server_class = r->server_class;
	k->on_reply = on_reply;
	k->arg = arg;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	rc = pthread_create(&k->thread, NULL, keep_main, k);
	if (rc != 0) {
		snprintf(
		    err, errlen, "cannot start a thread: %s", strerror(rc));
		pthread_cond_destroy(&k->cv);
		pthread_mutex_destroy(&k->mu);
		free(k);
		return NULL;
	}
	return k;
}

void
licd_kms_keep_stop(struct licd_kms_keeper *k)
{
	if (k == NULL)
		return;
	pthread_mutex_lock(&k->mu);
	k->stop = 1;
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->thread, NULL);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k);
}
