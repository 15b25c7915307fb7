/*
 * The units file (config/units.h): units or errors with their lines,
 * never a crash, a leak or a read past the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct units u;
	struct diag diag;
	char *text;
	size_t i;

	/* An exact-size copy, so that ASan sees any read past the end. */
	text = malloc(size ? size : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	diag_init(&diag);
	if (units_parse("fuzz", text, size, &u, &diag) == 0)
		for (i = 0; i < u.n; i++)
			if (units_find(&u, u.v[i].code) == NULL)
				abort();
	units_free(&u);
	diag_free(&diag);
	free(text);
	return 0;
}
