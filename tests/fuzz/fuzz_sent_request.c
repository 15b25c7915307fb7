/*
 * The sentinel datagram codec on arbitrary bytes: the request decoder (as
 * the server reads a datagram), the reply decoder (as a client reads one),
 * and the MAC check.  What decodes must encode again and decode the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocols/sentinel/sent_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sent_request req, req2;
static struct sent_reply rep, rep2;
static uint8_t out[SENT_DATAGRAM_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[] = "fuzz-site-key-0123456789";
	uint8_t mac[SENT_MAC_LEN];
	char err[128];
	int64_t ts;
	int n;

	if (size > SENT_DATAGRAM_MAX)
		return 0;
	sent_verify(data, size, key, sizeof(key) - 1, &ts, mac);
	if (sent_request_decode(data, size, &req, err, sizeof(err)) == 0) {
		n = sent_request_encode(&req, out, sizeof(out));
		if (n < 0 ||
		    sent_request_decode(
			out, (size_t)n, &req2, err, sizeof(err)) != 0)
			__builtin_trap();
		/* The trailer is not re-encoded; the rest must match. */
		req2.hdr.flags = req.hdr.flags;
		req2.hdr.body_len = req.hdr.body_len;
		req2.timestamp = req.timestamp;
		memcpy(req2.mac, req.mac, sizeof(req.mac));
		if (memcmp(&req, &req2, sizeof(req)) != 0)
			__builtin_trap();
	}
	if (sent_reply_decode(data, size, &rep, err, sizeof(err)) == 0) {
		n = sent_reply_encode(&rep, out, sizeof(out));
		if (n < 0 ||
		    sent_reply_decode(
			out, (size_t)n, &rep2, err, sizeof(err)) != 0)
			__builtin_trap();
	}
	return 0;
}
