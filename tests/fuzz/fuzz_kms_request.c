/*
 * The KMS request codec and the stored-activation reader, on arbitrary
 * bytes: a line as the server reads it, and a file as a client loads it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocols/kms/kms_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kms_request req;
	struct kms_activation a, b;
	char err[128], out[8192];
	int n;

	if (size > 8192)
		return 0;
	kms_request_parse((const char *)data, size, &req, err, sizeof(err));
	if (kms_activation_parse(
		(const char *)data, size, &a, err, sizeof(err)) == 0) {
		/* What was read must write back and read the same. */
		n = kms_activation_format(&a, out, sizeof(out));

		if (n < 0 ||
		    kms_activation_parse(
			out, (size_t)n, &b, err, sizeof(err)) != 0 ||
		    memcmp(&a, &b, sizeof(a)) != 0)
			__builtin_trap();
		kms_activation_canonical(&a, out, sizeof(out));
	}
	return 0;
}
