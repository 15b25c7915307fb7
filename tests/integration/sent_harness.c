/* The integration tests' sentinel client: see sent_harness.h. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sent_harness.h"

int64_t
sh_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

uint64_t
sh_rnd64(void)
{
	static uint64_t x;
	struct timeval tv;

	if (x == 0) {
		gettimeofday(&tv, NULL);
		x = ((uint64_t)tv.tv_sec << 20) ^ (uint64_t)tv.tv_usec ^
		    ((uint64_t)getpid() << 40) ^ 0x9e3779b97f4a7c15ULL;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x == 0 ? 1 : x;
}

void
sh_req_init(struct sent_request *r, int verb)
{
	memset(r, 0, sizeof(*r));
	r->hdr.verb = (uint8_t)verb;
	r->hdr.request_id = sh_rnd64();
	r->tokens = 1;
	r->clients = 1;
}

size_t
sh_encode(uint64_t cid, const uint8_t *key, size_t keylen,
    struct sent_request *r, uint8_t *buf, size_t cap, size_t pad, int64_t ts)
{
	size_t len;
	int n;

	r->hdr.client_id = cid;
	n = sent_request_encode(r, buf, cap);
	assert_true(n > 0);
	len = (size_t)n;
	if (key != NULL)
		assert_int_equal(sent_sign(buf, &len, cap, key, keylen, ts), 0);
	assert_int_equal(sent_pad(buf, &len, cap, pad), 0);
	return len;
}

size_t
sh_recv(int fd, const uint8_t *key, size_t keylen, uint64_t request_id,
    struct sent_reply *rep, int ms)
{
	static uint8_t buf[SENT_DATAGRAM_MAX];
	struct pollfd pfd = {fd, POLLIN, 0};
	char err[128];
	int64_t ts, deadline = sh_now_ms() + ms;
	ssize_t n;

	while (sh_now_ms() < deadline) {
		if (poll(&pfd, 1, (int)(deadline - sh_now_ms())) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			continue;
		if (sent_reply_decode(buf, (size_t)n, rep, err, sizeof(err)) !=
		    0)
			fail_msg("sentinel: bad reply: %s", err);
		if (rep->hdr.request_id != request_id)
			continue; /* an older request's late reply */
		if (key != NULL &&
		    sent_verify(buf, (size_t)n, key, keylen, &ts, NULL) != 0)
			fail_msg("sentinel: reply not signed");
		return (size_t)n;
	}
	return 0;
}
