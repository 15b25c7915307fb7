#include <string.h>

#include "protocol.h"

extern const struct licd_protocol flex_protocol;
extern const struct licd_protocol kms_protocol;
extern const struct licd_protocol sentinel_protocol;

const struct licd_protocol *const licd_protocols[] = {
    &flex_protocol,
    &kms_protocol,
    &sentinel_protocol,
    NULL,
};

const struct licd_protocol *
protocol_find(const char *name)
{
	size_t i;

	for (i = 0; licd_protocols[i] != NULL; i++)
		if (strcmp(licd_protocols[i]->name, name) == 0)
			return licd_protocols[i];
	return NULL;
}
