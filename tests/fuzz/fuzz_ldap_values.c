/*
 * Directory values as the LDAP provider reads them (unit DNs and codes,
 * affiliations, GeneralizedTime) and the RFC 4515 escaping of user names:
 * bounded results, never a crash or a read past the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/identity/ident_values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[64], esc[256], name[128], filter[512];
	char *v;
	int64_t ms;
	int n;

	v = malloc(size ? size : 1);
	if (v == NULL)
		return 0;
	memcpy(v, data, size);
	if (ident_unit_code(v, size, out, sizeof(out)) == 0 &&
	    strlen(out) >= sizeof(out))
		abort();
	if (ident_status(v, size, out, sizeof(out)) == 0 &&
	    strlen(out) >= sizeof(out))
		abort();
	(void)ident_time(v, size, &ms);
	n = ident_filter_escape(v, size, esc, sizeof(esc));
	if (n >= 0 && (size_t)n != strlen(esc))
		abort();
	if (size < sizeof(name)) {
		memcpy(name, v, size);
		name[size] = '\0';
		if (ident_filter_build(
			"(uid=%s)", name, filter, sizeof(filter)) == 0 &&
		    strchr(filter + 5, '(') != NULL)
			abort(); /* an escaped name opens no filter */
	}
	free(v);
	return 0;
}
