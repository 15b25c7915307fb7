/*
 * Feeds raw bytes to the parts of config/signature.c that read text: the
 * base64 decoder and licctl sign's rewriting of a licence file.  Beyond
 * not crashing, a file that parses must sign, and what is signed must
 * verify (signature_sign_text checks that itself), unless a line has no
 * room left for the two attributes or holds an old signature where
 * taking it out would move its fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/license.h"
#include "config/signature.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct signature_signer *fuzz_signer;

static int
fuzz_crowded(const struct core_license_file *f)
{
	size_t i;

	for (i = 0; i < f->nlines; i++)
		if (f->lines[i].nattrs + 2 > CORE_LINE_ATTRS_MAX)
			return 1;
	return 0;
}

/* The one refusal a file that parses may meet: an old signature among
 * the positional fields. */
static int
fuzz_shifted(const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strstr(d->msgs[i].text, "would shift") != NULL)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char seed[32] = {42};
	struct core_license_file f;
	unsigned char raw[256];
	struct diag d;
	char *text, *out;
	size_t outlen, n;
	int parsed, rc;

	if (fuzz_signer == NULL) {
		fuzz_signer = signature_signer_from_seed(seed);
		if (fuzz_signer == NULL)
			abort();
	}

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)signature_base64_decode(text, raw, sizeof(raw));

	diag_init(&d);
	parsed = license_parse("fuzz.lic", text, size, &f, &d) == 0;
	diag_free(&d);

	diag_init(&d);
	rc = signature_sign_text(
	    fuzz_signer, "fuzz.lic", text, size, &out, &outlen, &n, &d);
	/* A file that parses signs; a line near LICENSE_LINE_MAX may grow
	 * past it, which small inputs never reach. */
	if (parsed && rc != 0 && !fuzz_crowded(&f) &&
	    size < LICENSE_LINE_MAX / 2 && !fuzz_shifted(&d))
		abort();
	/* The output may hold NUL bytes (in comments), and one after it. */
	if (rc == 0) {
		if (out[outlen] != '\0')
			abort();
		free(out);
	}
	license_free(&f);
	diag_free(&d);
	free(text);
	return 0;
}
