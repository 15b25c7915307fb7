/*
 * licd.conf: libconfig's reader and licd's checks of every setting, fed
 * through a file as licd reads it.  Whatever the bytes, loading must end
 * in a configuration or in diagnostics, never in a crash or a leak.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/licd_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct licd_conf *conf;
	struct diag diag;
	int fd;

	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "%s/fuzz-licd-conf-XXXXXX",
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

	conf = malloc(sizeof(*conf));
	if (conf == NULL)
		return 0;
	conf_defaults(conf);
	diag_init(&diag);
	if (conf_load(path, conf, &diag) == 0)
		(void)conf_finish(conf, &diag);
	diag_free(&diag);
	free(conf);
	return 0;
}
