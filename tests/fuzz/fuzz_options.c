/*
 * Feeds raw bytes to the options-file parser.  Whatever the input, the
 * parser must return, stay within its bounds and free everything.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct core_options o;
	struct diag d;
	size_t i, j, n;

	diag_init(&d);
	options_parse("fuzz.opt", (const char *)data, size, &o, &d);

	/* Every member must be a complete string. */
	for (i = n = 0; i < o.ngroups; i++) {
		for (j = 0; j < o.groups[i].nmembers; j++)
			n += strlen(o.groups[i].members[j]);
	}
	(void)n;

	options_free(&o);
	diag_free(&d);
	return 0;
}
