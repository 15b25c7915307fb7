/*
 * The costs file of licctl chargeback (libconfig), fed through a file as
 * licctl reads it: a cost table or an error, never a crash or a leak.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tools/licctl/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_costs costs;
	char err[512];
	int fd;

	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "%s/fuzz-costs-XXXXXX",
		    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		fd = mkstemp(path);
		if (fd == -1)
			abort();
		close(fd);
	}
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd == -1 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);

	if (report_costs_load(path, &costs, err, sizeof(err)) == 0)
		report_costs_free(&costs);
	return 0;
}
