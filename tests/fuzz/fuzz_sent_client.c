/*
 * What the sentinel client makes of bytes it did not choose: a reply
 * datagram as the library decodes it, added page by page to a view and
 * written in the lsmon layout; and a server list as licctl passes it on
 * from -c or LSHOST.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/sentinel/sent_client.h"
#include "protocols/sentinel/sent_codec.h"
#include "tools/licctl/lsmon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sent_reply page;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sent_client_server servers[SENT_CLIENT_SERVERS_MAX];
	struct licd_sentinel_status st;
	struct lsmon_opts o;
	char err[256], list[1024];
	FILE *out;

	if (size > SENT_DATAGRAM_MAX)
		return 0;

	if (sent_reply_decode(data, size, &page, err, sizeof(err)) == 0) {
		memset(&st, 0, sizeof(st));
		/* The same page twice, as a server whose cursor stuck
		 * would send it. */
		if (sent_client_status_add(&st, &page) == 0 &&
		    sent_client_status_add(&st, &page) == 0) {
			memset(&o, 0, sizeof(o));
			o.server = "5093@fuzz";
			out = fopen("/dev/null", "w");
			if (out != NULL) {
				(void)lsmon_format(&st, &o, out);
				fclose(out);
			}
		}
		licd_sentinel_status_free(&st);
	}

	if (size < sizeof(list)) {
		memcpy(list, data, size);
		list[size] = '\0';
		(void)sent_client_servers_parse(
		    list, servers, SENT_CLIENT_SERVERS_MAX, err, sizeof(err));
	}
	return 0;
}
