/*
 * A driver for the fuzz targets without libFuzzer: runs the target once
 * on every file named, or on every file of every folder named, so that
 * ctest replays the seed corpora (and the findings added to them) in
 * every build, with or without the sanitizers.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the target on the file at path.  Returns 0 or -1 (unreadable). */
static int
replay_file(const char *path)
{
	unsigned char *data;
	FILE *f;
	long size;
	size_t n;

	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	data = malloc((size_t)size + 1);
	if (data == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(data, 1, (size_t)size, f);
	fclose(f);
	(void)LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int i, runs = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1 || !S_ISDIR(st.st_mode)) {
			bad += replay_file(argv[i]) == -1;
			runs++;
			continue;
		}
		d = opendir(argv[i]);
		if (d == NULL) {
			bad++;
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(
			    path, sizeof(path), "%s/%s", argv[i], de->d_name);
			bad += replay_file(path) == -1;
			runs++;
		}
		closedir(d);
	}
	printf("replay: %d inputs\n", runs);
	return bad == 0 && runs > 0 ? 0 : 1;
}
