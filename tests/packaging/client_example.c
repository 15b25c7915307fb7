/*
 * The smallest application of the installed client library, built by
 * scripts/test-packages.sh with nothing but
 *
 *	cc client_example.c $(pkg-config --cflags --libs licd-client)
 *
 * so that it proves the header, the library and the .pc file work
 * together.  It checks out one seat of a feature, sees it in the status,
 * and returns it.
 *
 *	client_example PORT@HOST FEATURE
 *
 * Exits 0 on success, 1 with the reason on stderr otherwise.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <licd.h>

static int
example_in_use(struct licd_conn *c, const char *feature, int *in_use)
{
	struct licd_status st;
	size_t i;
	int found = 0;

	if (licd_status_get(c, feature, &st) == -1)
		return -1;
	for (i = 0; i < st.nfeatures; i++) {
		if (strcmp(st.features[i].feature, feature) == 0) {
			*in_use = st.features[i].in_use;
			found = 1;
		}
	}
	licd_status_free(&st);
	return found ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct licd_conn *c;
	uint64_t handle;
	char err[256];
	int before = 0, during = 0, after = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: client_example PORT@HOST FEATURE\n");
		return 1;
	}
	c = licd_connect(argv[1], NULL, 5000, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "client_example: connect: %s\n", err);
		return 1;
	}
	if (example_in_use(c, argv[2], &before) == -1 ||
	    licd_checkout(c, argv[2], NULL, 1, 0, 0, &handle) == -1 ||
	    example_in_use(c, argv[2], &during) == -1 ||
	    licd_checkin(c, handle) == -1 ||
	    example_in_use(c, argv[2], &after) == -1) {
		fprintf(stderr, "client_example: %s\n", licd_error(c));
		licd_close(c);
		return 1;
	}
	licd_close(c);
	printf("client_example: %s: handle %" PRIu64
	       ", in use %d, then %d, then %d\n",
	    argv[2], handle, before, during, after);
	if (during != before + 1 || after != before) {
		fprintf(stderr, "client_example: the seat count is wrong\n");
		return 1;
	}
	return 0;
}
