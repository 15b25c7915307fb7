/*
 * Feeds raw bytes to the licence-file parser.  Whatever the input, the
 * parser must return, stay within its bounds and free everything.
 */
#include <stddef.h>
#include <stdint.h>

#include "config/license.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct core_license_file f;
	struct diag d;
	size_t i;

	diag_init(&d);
	license_parse("fuzz.lic", (const char *)data, size, &f, &d);

	/* Touch what was parsed, so that a bad length or a missing NUL
	 * shows up under the sanitizers. */
	for (i = 0; i < f.nlines; i++)
		(void)license_attr(&f.lines[i], "SIGN");

	license_free(&f);
	diag_free(&d);
	return 0;
}
