/*
 * licctl keygen and licctl sign.  The work is in config/signature.c; this
 * is the command line around it: options, files, messages.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../config/license.h"
#include "../../config/signature.h"
#include "cmd_sign.h"
#include "licctl.h"

#define SIGN_DEFAULT_PREFIX "licd-signing"

int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	struct signature_signer *s;
	const char *prefix = SIGN_DEFAULT_PREFIX;
	char err[512];
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			prefix = optarg;
			break;
		default:
			fprintf(
			    stderr, "usage: licctl keygen [--out PREFIX]\n");
			return LICCTL_EX_USAGE;
		}
	}
	if (optind != argc || prefix[0] == '\0') {
		fprintf(stderr, "usage: licctl keygen [--out PREFIX]\n");
		return LICCTL_EX_USAGE;
	}

	s = signature_signer_generate();
	if (s == NULL) {
		fprintf(stderr, "licctl keygen: cannot make an Ed25519 key\n");
		return 1;
	}
	if (signature_signer_write(s, prefix, err, sizeof(err)) == -1) {
		fprintf(stderr, "licctl keygen: %s\n", err);
		signature_signer_free(s);
		return 1;
	}
	printf("key %s: private key in %s.key (keep it secret), public key "
	       "in %s.pub (list it in trusted-keys)\n",
	    signature_signer_keyid(s), prefix, prefix);
	signature_signer_free(s);
	return 0;
}

/* Replaces path with data through a temporary file in the same folder,
 * so that licd never reads half a file; a file being replaced keeps its
 * mode. */
static int
sign_write_file(const char *path, const char *data, size_t len)
{
	char tmp[CONF_PATH_MAX + 16], copy[CONF_PATH_MAX];
	struct stat st;
	mode_t mode = 0644;
	FILE *f;
	int fd;

	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(tmp, sizeof(tmp), "%s/.licd-sign-XXXXXX", dirname(copy));
	fd = mkstemp(tmp);
	if (fd == -1) {
		fprintf(stderr, "licctl sign: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (fwrite(data, 1, len, f) != len || fflush(f) != 0 ||
	    fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		fprintf(stderr, "licctl sign: %s: %s\n", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) == -1) {
		fprintf(stderr, "licctl sign: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void
sign_print_diag(const struct diag *d)
{
	char line[1400];
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->msgs[i].level == DIAG_NOTICE)
			continue;
		diag_format(&d->msgs[i], line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
}

int
cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"out", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	static const char usage[] =
	    "usage: licctl sign --key PRIVATE-KEY [-o OUT|-] FILE\n";
	struct signature_signer *s;
	const char *key = NULL, *outpath = NULL, *path;
	char err[512], *text, *out;
	size_t len, outlen, nsigned;
	struct diag d;
	int ch, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "k:o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			key = optarg;
			break;
		case 'o':
			outpath = optarg;
			break;
		default:
			fputs(usage, stderr);
			return LICCTL_EX_USAGE;
		}
	}
	if (key == NULL || optind != argc - 1) {
		fputs(usage, stderr);
		return LICCTL_EX_USAGE;
	}
	path = argv[optind];
	if (outpath == NULL)
		outpath = path;

	s = signature_signer_load(key, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "licctl sign: %s: %s\n", key, err);
		return 1;
	}

	diag_init(&d);
	out = NULL;
	if (license_read_file(path, LICENSE_FILE_MAX, &text, &len, &d) == -1)
		goto done;
	if (signature_sign_text(
		s, path, text, len, &out, &outlen, &nsigned, &d) == -1) {
		/* The reasons first, then the verdict. */
		sign_print_diag(&d);
		diag_free(&d);
		fprintf(stderr, "licctl sign: %s not signed\n", path);
		free(text);
		goto done;
	}
	free(text);

	if (strcmp(outpath, "-") == 0) {
		if (fwrite(out, 1, outlen, stdout) != outlen ||
		    fflush(stdout) != 0)
			goto done;
	} else if (sign_write_file(outpath, out, outlen) == -1)
		goto done;
	fprintf(stderr,
	    "licctl sign: signed %zu line%s of %s with key %s%s%s\n", nsigned,
	    nsigned == 1 ? "" : "s", path, signature_signer_keyid(s),
	    outpath != path ? " into " : "", outpath != path ? outpath : "");
	rc = 0;
done:
	sign_print_diag(&d);
	diag_free(&d);
	free(out);
	signature_signer_free(s);
	return rc;
}
