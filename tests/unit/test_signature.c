/*
 * licd signatures: the canonical form (what may change and what may not),
 * base64, keys and the keyring, signing a file (layout, replacement,
 * CRLF), and the check licd runs with and without require-signature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config/license.h"
#include "config/signature.h"

#include "config_fixture.h"

static char tmpdir[64];

/* Two fixed keys, so that failures reproduce. */
static const unsigned char seed_a[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
    32};
static const unsigned char seed_b[32] = {32, 31, 30, 29, 28, 27, 26, 25, 24, 23,
    22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
    1};

static int
setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/licd-sig-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The canonical form of the one licence line in text (key id "k"). */
static char *
canon_of(const char *text, size_t *len)
{
	struct core_license_file f;
	struct diag d;
	char *out;

	diag_init(&d);
	if (license_parse("t.lic", text, strlen(text), &f, &d) != 0) {
		dump(&d);
		fail_msg("does not parse: %s", text);
	}
	assert_int_equal(f.nlines, 1);
	assert_int_equal(signature_canonical(&f.lines[0], "k", &out, len), 0);
	license_free(&f);
	diag_free(&d);
	return out;
}

static const char base_line[] =
    "FEATURE solver demo 2.0 31-dec-2030 4 ABCD1234 VENDOR_STRING=\"a b\" "
    "ISSUER=x SIGN=\"00 11\" START=1-jan-2024\n";

/* Spellings of base_line that mean the same. */
static void
test_canonical_same_meaning(void **state)
{
	static const char *const same[] = {
	    /* Blanks, continuations, attribute order, keyword case. */
	    "FEATURE   solver demo\t2.0 31-dec-2030 4 ABCD1234 \\\n"
	    "    START=1-jan-2024 \\\n"
	    "\tsign=\"00 11\" issuer=x \\\n"
	    "  VENDOR_STRING=\"a b\"\n",
	    "feature solver demo 2.0 31-DEC-2030 4 ABCD1234 ISSUER=\"x\" "
	    "VENDOR_STRING=a\" b\" SIGN=\"00 11\" START=01-Jan-2024\r\n",
	    /* An old licd signature is not part of what is signed. */
	    "FEATURE solver demo 2.0 31-dec-2030 4 ABCD1234 VENDOR_STRING=\"a "
	    "b\" ISSUER=x SIGN=\"00 11\" START=1-jan-2024 LICD_SIGN=\"zz\" "
	    "LICD_KEYID=1234\n",
	};
	char *base, *other;
	size_t blen, olen, i;

	base = canon_of(base_line, &blen);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		other = canon_of(same[i], &olen);
		if (olen != blen || memcmp(base, other, blen) != 0)
			fail_msg(
			    "case %zu differs:\n%s\n----\n%s", i, base, other);
		free(other);
	}
	free(base);

	/* The dates that all mean "never expires". */
	base = canon_of("FEATURE f v 1 permanent 1 0\n", &blen);
	other = canon_of("FEATURE f v 1 1-jan-0 1 0\n", &olen);
	assert_memory_equal(base, other, blen);
	free(other);
	other = canon_of("FEATURE f v 1 0 1 0\n", &olen);
	assert_memory_equal(base, other, blen);
	free(other);
	free(base);
}

/* Each of these changes the meaning of base_line, so the signature. */
static void
test_canonical_any_change(void **state)
{
	static const char *const changed[] = {
	    "INCREMENT solver demo 2.0 31-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 11\" START=1-jan-2024\n",
	    "FEATURE solvers demo 2.0 31-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 11\" START=1-jan-2024\n",
	    "FEATURE solver demo2 2.0 31-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 11\" START=1-jan-2024\n",
	    "FEATURE solver demo 2.1 31-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 11\" START=1-jan-2024\n",
	    "FEATURE solver demo 2.0 30-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 11\" START=1-jan-2024\n",
	    "FEATURE solver demo 2.0 31-dec-2030 5 ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 11\" START=1-jan-2024\n",
	    "FEATURE solver demo 2.0 31-dec-2030 4 ABCD1235 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 11\" START=1-jan-2024\n",
	    "FEATURE solver demo 2.0 31-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a  b\" ISSUER=x SIGN=\"00 11\" START=1-jan-2024\n",
	    "FEATURE solver demo 2.0 31-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=y SIGN=\"00 11\" START=1-jan-2024\n",
	    "FEATURE solver demo 2.0 31-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 12\" START=1-jan-2024\n",
	    "FEATURE solver demo 2.0 31-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 11\" START=2-jan-2024\n",
	    "FEATURE solver demo 2.0 31-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 11\"\n",
	    "FEATURE solver demo 2.0 31-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 11\" START=1-jan-2024 "
	    "BORROW=24\n",
	    "FEATURE solver demo 2.0 31-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 11\" START=1-jan-2024 "
	    "TS_OK\n",
	    "FEATURE solver demo 2.0 31-dec-2030 uncounted ABCD1234 "
	    "VENDOR_STRING=\"a b\" ISSUER=x SIGN=\"00 11\" START=1-jan-2024\n",
	    /* Values cannot slide into keywords. */
	    "FEATURE solver demo 2.0 31-dec-2030 4 ABCD1234 "
	    "VENDOR_STRING=\"a b ISSUER=x\" SIGN=\"00 11\" "
	    "START=1-jan-2024\n",
	};
	char *base, *other;
	size_t blen, olen, i;

	base = canon_of(base_line, &blen);
	for (i = 0; i < sizeof(changed) / sizeof(changed[0]); i++) {
		other = canon_of(changed[i], &olen);
		if (olen == blen && memcmp(base, other, blen) == 0)
			fail_msg("case %zu: same canonical form", i);
		free(other);
	}
	free(base);

	/* A keyword given twice: the first one counts, so their order is
	 * part of the meaning. */
	base = canon_of("FEATURE f v 1 permanent 1 0 A=1 B=2 A=3\n", &blen);
	other = canon_of("FEATURE f v 1 permanent 1 0 A=3 B=2 A=1\n", &olen);
	assert_true(olen != blen || memcmp(base, other, blen) != 0);
	free(other);
	other = canon_of("FEATURE f v 1 permanent 1 0 B=2 A=1 A=3\n", &olen);
	assert_memory_equal(base, other, blen);
	free(other);
	free(base);

	/* UPGRADE: the version upgraded from counts. */
	base = canon_of("UPGRADE f v 1.0 2.0 permanent 1 0\n", &blen);
	other = canon_of("UPGRADE f v 1.5 2.0 permanent 1 0\n", &olen);
	assert_true(olen != blen || memcmp(base, other, blen) != 0);
	free(other);
	free(base);
}

static void
test_base64(void **state)
{
	static const struct {
		const char *text;
		int len; /* -1: refused */
		const char *bytes;
	} cases[] = {
	    {"", 0, ""},
	    {"Zg==", 1, "f"},
	    {"Zm8=", 2, "fo"},
	    {"Zm9v", 3, "foo"},
	    {"Zm9v YmFy", 6, "foobar"},
	    {" Zm\t9vYm \r E=", 5, "fooba"},
	    {"Zm9", -1, NULL}, /* short */
	    {"Zg=", -1, NULL},
	    {"Z===", -1, NULL}, /* padding too early */
	    {"=Zg=", -1, NULL},
	    {"Zg==Zg==", -1, NULL}, /* data after padding */
	    {"Zh==", -1, NULL}, /* stray bits */
	    {"Zm9=", -1, NULL},
	    {"Zm9v!", -1, NULL},
	    {"Zm-v", -1, NULL}, /* URL alphabet is not this one */
	    {"Zg=a", -1, NULL},
	};
	unsigned char out[16];
	char enc[32];
	size_t i;
	int n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = signature_base64_decode(cases[i].text, out, sizeof(out));
		if (n != cases[i].len)
			fail_msg("case %zu (\"%s\"): %d, expected %d", i,
			    cases[i].text, n, cases[i].len);
		if (n > 0)
			assert_memory_equal(out, cases[i].bytes, (size_t)n);
	}

	/* Output bound. */
	assert_int_equal(signature_base64_decode("Zm9vYmFy", out, 5), -1);
	assert_int_equal(signature_base64_decode("Zm9vYmFy", out, 6), 6);

	/* Encoding, and its own bound. */
	assert_int_equal(signature_base64_encode(
			     (const unsigned char *)"fo", 2, enc, sizeof(enc)),
	    4);
	assert_string_equal(enc, "Zm8=");
	assert_int_equal(
	    signature_base64_encode((const unsigned char *)"foo", 3, enc, 4),
	    -1);
	for (i = 0; i <= 10; i++) {
		unsigned char raw[10], back[10];

		memset(raw, (int)(0xa5 + i), sizeof(raw));
		n = signature_base64_encode(raw, i, enc, sizeof(enc));
		assert_true(n >= 0);
		assert_int_equal(
		    signature_base64_decode(enc, back, sizeof(back)), (int)i);
		assert_memory_equal(raw, back, i);
	}
}

/* Writes the public half of a seed's key as tmpdir/name.pub. */
static void
write_key(const unsigned char *seed, const char *name)
{
	struct signature_signer *s;
	char prefix[128], path[160], err[256];

	snprintf(prefix, sizeof(prefix), "%s/%s", tmpdir, name);
	snprintf(path, sizeof(path), "%s.key", prefix);
	unlink(path);
	snprintf(path, sizeof(path), "%s.pub", prefix);
	unlink(path);
	s = signature_signer_from_seed(seed);
	assert_non_null(s);
	if (signature_signer_write(s, prefix, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	signature_signer_free(s);
}

static void
load_ring(struct signature_keyring *kr, const char *const *names, size_t n)
{
	char paths[4][CONF_PATH_MAX];
	struct diag d;
	size_t i;

	assert_true(n <= 4);
	for (i = 0; i < n; i++)
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", tmpdir, names[i]);
	diag_init(&d);
	if (signature_keyring_load(
		kr, (const char(*)[CONF_PATH_MAX])paths, n, &d) != 0) {
		dump(&d);
		fail_msg("keyring does not load");
	}
	diag_free(&d);
}

static char *
sign_text(const struct signature_signer *s, const char *text, size_t *n)
{
	struct diag d;
	char *out;
	size_t outlen;

	diag_init(&d);
	if (signature_sign_text(
		s, "t.lic", text, strlen(text), &out, &outlen, n, &d) != 0) {
		dump(&d);
		fail_msg("cannot sign:\n%s", text);
	}
	assert_int_equal(strlen(out), outlen);
	diag_free(&d);
	return out;
}

/* Verifies every line of text; returns how many were GOOD and puts the
 * other statuses in st[]. */
static size_t
verify_all(const struct signature_keyring *kr, const char *text,
    enum signature_status *st, size_t max)
{
	struct core_license_file f;
	struct diag d;
	size_t i, good = 0;

	diag_init(&d);
	if (license_parse("t.lic", text, strlen(text), &f, &d) != 0) {
		dump(&d);
		fail_msg("signed text does not parse:\n%s", text);
	}
	for (i = 0; i < f.nlines; i++) {
		enum signature_status s;

		s = signature_verify_line(kr, &f.lines[i], NULL, 0);
		if (i < max)
			st[i] = s;
		good += s == SIGNATURE_GOOD;
	}
	license_free(&f);
	diag_free(&d);
	return good;
}

static const char layout_file[] =
    "# Site licence\n"
    "SERVER lic1 ANY 27000\n"
    "VENDOR demo\n"
    "\n"
    "FEATURE solver demo 2.0 permanent 4 ABCD \\\n"
    "    VENDOR_STRING=\"physics\" \\\n"
    "    SIGN=\"0011 2233\"\n"
    "# FEATURE old demo 1.0 permanent 1 0 \\\n"
    "\tcontinued comment\n"
    "INCREMENT mesh demo 1.0 31-dec-2030 2 0\n"
    "PACKAGE suite demo 1.0 0 COMPONENTS=\"solver mesh\"\n";

static void
test_sign_file(void **state)
{
	static const char *const ring_a[] = {"a.pub"};
	struct signature_signer *a, *b;
	struct signature_keyring kr;
	enum signature_status st[8];
	char *signed_a, *again, *signed_b, *p;
	size_t n;

	write_key(seed_a, "a");
	a = signature_signer_from_seed(seed_a);
	b = signature_signer_from_seed(seed_b);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_not_equal(
	    signature_signer_keyid(a), signature_signer_keyid(b));
	assert_int_equal(strlen(signature_signer_keyid(a)), 16);
	load_ring(&kr, ring_a, 1);

	/* Every line signed; comments and layout kept; one more
	 * attribute pair per line, indented like the line. */
	signed_a = sign_text(a, layout_file, &n);
	assert_int_equal(n, 3);
	assert_int_equal(verify_all(&kr, signed_a, st, 8), 3);
	assert_non_null(strstr(signed_a,
	    "# Site licence\nSERVER lic1 ANY 27000\nVENDOR demo\n\n"
	    "FEATURE solver demo 2.0 permanent 4 ABCD \\\n"
	    "    VENDOR_STRING=\"physics\" \\\n"
	    "    SIGN=\"0011 2233\" \\\n"
	    "    LICD_KEYID="));
	assert_non_null(strstr(signed_a,
	    "# FEATURE old demo 1.0 permanent 1 0 \\\n\tcontinued comment\n"
	    "INCREMENT mesh demo 1.0 31-dec-2030 2 0 \\\n\tLICD_KEYID="));
	for (p = signed_a; (p = strchr(p, '\n')) != NULL; p++) {
		char *nl = strchr(p + 1, '\n');

		if (nl != NULL && nl - p - 1 > 80)
			fail_msg(
			    "line over 80 columns: %.*s", (int)(nl - p), p + 1);
	}

	/* Signing again changes nothing (Ed25519 is deterministic), and
	 * another key replaces the signature instead of adding one. */
	again = sign_text(a, signed_a, &n);
	assert_string_equal(again, signed_a);
	free(again);
	signed_b = sign_text(b, signed_a, &n);
	assert_int_equal(verify_all(&kr, signed_b, st, 8), 0);
	assert_int_equal(st[0], SIGNATURE_UNTRUSTED);
	assert_null(strstr(signed_b, signature_signer_keyid(a)));
	again = sign_text(a, signed_b, &n);
	assert_string_equal(again, signed_a);
	free(again);
	free(signed_b);

	/* Any change of meaning is caught: here a count. */
	p = strstr(signed_a, "31-dec-2030 2 0");
	assert_non_null(p);
	p[12] = '9';
	assert_int_equal(verify_all(&kr, signed_a, st, 8), 2);
	assert_int_equal(st[1], SIGNATURE_BAD);

	free(signed_a);
	signature_keyring_free(&kr);
	signature_signer_free(a);
	signature_signer_free(b);
}

/* Signatures anywhere on the line, split or joined, CRLF, no final
 * newline, an empty file, a file with errors. */
static void
test_sign_odd_layouts(void **state)
{
	static const char *const ring_a[] = {"a.pub"};
	static const char *const texts[] = {
	    "FEATURE f v 1 permanent 1 0 LICD_SIGN=\"x y\" A=1 LICD_KEYID=9",
	    "FEATURE f v 1 permanent 1 0 \\\r\n"
	    "   LICD_KEYID=1 \\\r\n"
	    "   LICD_SIGN=\"AAAA \\\r\n"
	    "   BBBB\" \\\r\n"
	    "   A=1\r\n"
	    "INCREMENT f v 1 permanent 1 0\r\n",
	    "FEATURE f v 1 permanent 1 0 A=\"LICD_SIGN=1 \\\n"
	    "  x\" \\\n"
	    "  licd_sign=\"q\"\n",
	    "",
	    "# only comments\n\n",
	};
	struct signature_signer *a;
	struct signature_keyring kr;
	enum signature_status st[8];
	struct diag d;
	char *out;
	size_t i, n, len;

	write_key(seed_a, "a");
	a = signature_signer_from_seed(seed_a);
	load_ring(&kr, ring_a, 1);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		out = sign_text(a, texts[i], &n);
		if (verify_all(&kr, out, st, 8) != n)
			fail_msg("case %zu:\n%s", i, out);
		free(out);
	}

	/* CRLF stays CRLF; no final newline stays so. */
	out = sign_text(a, texts[1], &n);
	assert_null(strstr(out, "\\\n"));
	assert_non_null(strstr(out,
	    "FEATURE f v 1 permanent 1 0 \\\r\n"
	    "   A=1 \\\r\n"
	    "   LICD_KEYID="));
	free(out);
	out = sign_text(a, texts[0], &n);
	assert_true(out[strlen(out) - 1] == '"');
	assert_non_null(strstr(out, "A=1 \\\n\tLICD_KEYID="));
	assert_null(strstr(out, "x y"));
	free(out);

	/* The quoted value that mentions LICD_SIGN= is kept. */
	out = sign_text(a, texts[2], &n);
	assert_non_null(strstr(out, "A=\"LICD_SIGN=1 \\\n  x\""));
	assert_null(strstr(out, "\"q\""));
	free(out);

	/* An old signature among the positional fields cannot be taken
	 * out without the next word taking its place: refused. */
	diag_init(&d);
	assert_int_equal(signature_sign_text(a, "t.lic",
			     "PACKAGE p v LICD_SIGN=1 0 COMPONENTS=f\n", 39,
			     &out, &len, &n, &d),
	    -1);
	assert_true(has_msg(&d, DIAG_ERROR, 1, "would shift"));
	diag_free(&d);

	/* A file with errors is not signed. */
	diag_init(&d);
	assert_int_equal(
	    signature_sign_text(a, "t.lic", "FEATURE f v 1 permanent x 0\n", 28,
		&out, &len, &n, &d),
	    -1);
	assert_true(has_msg(&d, DIAG_ERROR, 1, "expected a count"));
	assert_null(out);
	diag_free(&d);

	signature_keyring_free(&kr);
	signature_signer_free(a);
}

static void
test_verify_statuses(void **state)
{
	static const char *const ring_a[] = {"a.pub"};
	static const struct {
		const char *line;
		enum signature_status st;
		const char *why;
	} cases[] = {
	    {"FEATURE f v 1 permanent 1 0\n", SIGNATURE_NONE, ""},
	    {"FEATURE f v 1 permanent 1 0 LICD_SIGN=x\n", SIGNATURE_MALFORMED,
		"without LICD_KEYID"},
	    {"FEATURE f v 1 permanent 1 0 LICD_KEYID=x\n", SIGNATURE_MALFORMED,
		"without LICD_SIGN"},
	    {"FEATURE f v 1 permanent 1 0 LICD_KEYID=x LICD_SIGN=Zg== "
	     "LICD_SIGN=Zg==\n",
		SIGNATURE_MALFORMED, "more than once"},
	    {"FEATURE f v 1 permanent 1 0 LICD_KEYID=x LICD_SIGN=Zg==\n",
		SIGNATURE_MALFORMED, "not a base64 Ed25519"},
	    {"FEATURE f v 1 permanent 1 0 LICD_KEYID=0123456789abcdef "
	     "LICD_SIGN=\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "
	     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"\n",
		SIGNATURE_UNTRUSTED, "not in trusted-keys"},
	};
	struct signature_keyring kr;
	struct core_license_file f;
	struct diag d;
	char why[200];
	size_t i;

	write_key(seed_a, "a");
	load_ring(&kr, ring_a, 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		diag_init(&d);
		assert_int_equal(license_parse("t.lic", cases[i].line,
				     strlen(cases[i].line), &f, &d),
		    0);
		if (signature_verify_line(&kr, &f.lines[0], why, sizeof(why)) !=
			cases[i].st ||
		    strstr(why, cases[i].why) == NULL)
			fail_msg("case %zu: \"%s\"", i, why);
		license_free(&f);
		diag_free(&d);
	}
	signature_keyring_free(&kr);
}

static void
test_keys(void **state)
{
	struct signature_signer *s;
	struct signature_keyring kr;
	char path[160], prefix[128], err[256], paths[3][CONF_PATH_MAX];
	struct diag d;
	struct stat st;
	EVP_PKEY *ec;
	FILE *f;

	/* keygen's files: private 0600, public 0644, never overwritten. */
	snprintf(prefix, sizeof(prefix), "%s/gen", tmpdir);
	s = signature_signer_generate();
	assert_non_null(s);
	assert_int_equal(
	    signature_signer_write(s, prefix, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s.key", prefix);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(
	    signature_signer_write(s, prefix, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "File exists"));
	signature_signer_free(s);

	/* The private key loads back. */
	s = signature_signer_load(path, err, sizeof(err));
	assert_non_null(s);
	signature_signer_free(s);

	/* Wrong files for either side. */
	assert_null(signature_signer_load("/nonexistent", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open"));
	snprintf(path, sizeof(path), "%s.pub", prefix);
	assert_null(signature_signer_load(path, err, sizeof(err)));
	ec = EVP_EC_gen("P-256");
	assert_non_null(ec);
	snprintf(path, sizeof(path), "%s/ec.key", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(
	    PEM_write_PrivateKey(f, ec, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	assert_null(signature_signer_load(path, err, sizeof(err)));
	assert_string_equal(err, "not an Ed25519 key");
	snprintf(path, sizeof(path), "%s/ec.pub", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, ec), 1);
	fclose(f);
	EVP_PKEY_free(ec);

	/* The keyring: an EC key, a private key and a missing file are
	 * errors at their file; the good key is kept. */
	snprintf(paths[0], sizeof(paths[0]), "%s/gen.pub", tmpdir);
	snprintf(paths[1], sizeof(paths[1]), "%s/ec.pub", tmpdir);
	snprintf(paths[2], sizeof(paths[2]), "%s/gen.key", tmpdir);
	diag_init(&d);
	assert_int_equal(signature_keyring_load(
			     &kr, (const char(*)[CONF_PATH_MAX])paths, 3, &d),
	    -1);
	assert_int_equal(kr.n, 1);
	assert_int_equal(d.errors, 2);
	assert_true(has_msg(&d, DIAG_ERROR, 0, "expected an Ed25519 public"));
	signature_keyring_free(&kr);
	diag_free(&d);

	/* The same key twice: a warning. */
	snprintf(paths[1], sizeof(paths[1]), "%s/gen.pub", tmpdir);
	snprintf(paths[2], sizeof(paths[2]), "%s/missing.pub", tmpdir);
	diag_init(&d);
	assert_int_equal(signature_keyring_load(
			     &kr, (const char(*)[CONF_PATH_MAX])paths, 3, &d),
	    -1);
	assert_int_equal(kr.n, 1);
	assert_true(has_msg(&d, DIAG_WARNING, 0, "listed already"));
	assert_true(has_msg(&d, DIAG_ERROR, 0, "cannot open"));
	signature_keyring_free(&kr);
	diag_free(&d);
}

/* What licd does after loading its licence files. */
static void
test_check_files(void **state)
{
	static const char text[] = "VENDOR v\n"
				   "FEATURE f v 1 permanent 1 0\n"
				   "INCREMENT f v 1 permanent 2 0\n"
				   "INCREMENT f v 1 permanent 3 0\n";
	struct signature_signer *a, *b;
	struct core_license_file f;
	struct licd_conf conf;
	struct diag d;
	char *out, *two, *bs, *p, *start_a, *end_a, *start_b, *end_b;
	size_t n, len;

	write_key(seed_a, "a");
	a = signature_signer_from_seed(seed_a);
	b = signature_signer_from_seed(seed_b);
	conf_defaults(&conf);
	snprintf(conf.path, sizeof(conf.path), "licd.conf");
	snprintf(conf.trusted_keys[0], CONF_PATH_MAX, "%s/a.pub", tmpdir);
	conf.ntrusted_keys = 1;

	/* Line 2 signed by a, line 3 by b (untrusted), line 4 by a and
	 * then altered, line 5 unsigned. */
	out = sign_text(a, text, &n);
	bs = sign_text(b, text, &n);
	start_a = strstr(out, "INCREMENT f v 1 permanent 2 0");
	end_a = strstr(out, "INCREMENT f v 1 permanent 3 0");
	start_b = strstr(bs, "INCREMENT f v 1 permanent 2 0");
	end_b = strstr(bs, "INCREMENT f v 1 permanent 3 0");
	len = strlen(out) + strlen(bs) + 64;
	two = malloc(len);
	assert_non_null(two);
	snprintf(two, len, "%.*s%.*s%sINCREMENT f v 1 permanent 1 0\n",
	    (int)(start_a - out), out, (int)(end_b - start_b), start_b, end_a);
	free(bs);
	p = strstr(two, "permanent 3 0");
	p[10] = '4';

	diag_init(&d);
	assert_int_equal(license_parse("t.lic", two, strlen(two), &f, &d), 0);
	assert_int_equal(f.nlines, 4);

	/* Without require-signature: the altered line is an error, the
	 * untrusted one a warning, the unsigned one fine. */
	assert_int_equal(signature_check_files(&conf, &f, 1, &d), -1);
	assert_int_equal(d.errors, 1);
	assert_true(has_msg(
	    &d, DIAG_ERROR, f.lines[2].lineno, "does not match the line"));
	assert_true(has_msg(&d, DIAG_WARNING, f.lines[1].lineno,
	    "not in trusted-keys; not checked"));
	diag_free(&d);

	/* With it: all three are errors, each at its line. */
	conf.require_signature = 1;
	diag_init(&d);
	assert_int_equal(signature_check_files(&conf, &f, 1, &d), -1);
	assert_int_equal(d.errors, 3);
	assert_true(
	    has_msg(&d, DIAG_ERROR, f.lines[1].lineno, "not in trusted-keys"));
	assert_true(has_msg(
	    &d, DIAG_ERROR, f.lines[2].lineno, "does not match the line"));
	assert_true(has_msg(&d, DIAG_ERROR, f.lines[3].lineno,
	    "has no licd signature and require-signature is set"));
	diag_free(&d);
	license_free(&f);

	/* A wholly signed file passes; require-signature with no key
	 * does not. */
	diag_init(&d);
	assert_int_equal(license_parse("t.lic", out, strlen(out), &f, &d), 0);
	assert_int_equal(signature_check_files(&conf, &f, 1, &d), 0);
	conf.ntrusted_keys = 0;
	assert_int_equal(signature_check_files(&conf, &f, 1, &d), -1);
	assert_true(has_msg(&d, DIAG_ERROR, 0, "trusted-keys names no key"));
	diag_free(&d);
	license_free(&f);

	free(out);
	free(two);
	signature_signer_free(a);
	signature_signer_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_canonical_same_meaning),
	    cmocka_unit_test(test_canonical_any_change),
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_sign_file),
	    cmocka_unit_test(test_sign_odd_layouts),
	    cmocka_unit_test(test_verify_statuses),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_check_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
