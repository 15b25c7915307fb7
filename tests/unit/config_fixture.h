/*
 * Helpers of the configuration parsers' unit tests (test_license.c,
 * test_options.c, test_signature.c), included by each of them: looking
 * through the diagnostics a parser left, printing them when a case fails,
 * a table of texts a parser must refuse, and loading every file of the
 * source tree's data and of the shared corpus.  Each test file is its own
 * executable, so everything here is static; static inline keeps a file
 * that uses only some of it free of unused-function warnings.
 */
#ifndef LICD_TESTS_CONFIG_FIXTURE_H
#define LICD_TESTS_CONFIG_FIXTURE_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config/diag.h"

static inline size_t
count_level(const struct diag *d, enum diag_level level)
{
	size_t i, n;

	for (i = n = 0; i < d->n; i++)
		n += d->msgs[i].level == level;
	return n;
}

/* Is there a message of this level on this line whose text holds sub? */
static inline int
has_msg(const struct diag *d, enum diag_level level, int line, const char *sub)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->msgs[i].level == level && d->msgs[i].line == line &&
		    strstr(d->msgs[i].text, sub) != NULL)
			return 1;
	}
	return 0;
}

static inline void
dump(const struct diag *d)
{
	char buf[1400];
	size_t i;

	for (i = 0; i < d->n; i++) {
		diag_format(&d->msgs[i], buf, sizeof(buf));
		print_message("  %s\n", buf);
	}
}

/* The source tree, which ctest names in LICD_SOURCE_DIR. */
static inline const char *
source_dir(void)
{
	const char *s;

	s = getenv("LICD_SOURCE_DIR");
	return s != NULL && *s != '\0' ? s : ".";
}

/* A text of line, n times over, to be freed. */
static inline char *
repeat_line(const char *line, size_t n)
{
	size_t i, len = strlen(line);
	char *text;

	text = malloc(len * n + 1);
	assert_non_null(text);
	for (i = 0; i < n; i++)
		memcpy(text + i * len, line, len);
	text[len * n] = '\0';
	return text;
}

/* A text a parser must refuse with an error on this line that holds what. */
struct error_case {
	const char *text;
	int line;
	const char *what;
};

/*
 * Runs every case through parse_text, which parses the text into a result
 * of its own and frees that, and returns what the parser returned with the
 * parser's diagnostics left in d.
 */
static inline void
check_error_cases(const struct error_case *cases, size_t n,
    int (*parse_text)(const char *text, struct diag *d))
{
	struct diag d;
	size_t i;

	for (i = 0; i < n; i++) {
		if (parse_text(cases[i].text, &d) != -1 ||
		    !has_msg(&d, DIAG_ERROR, cases[i].line, cases[i].what)) {
			dump(&d);
			fail_msg("case %zu: no error \"%s\" on line %d", i,
			    cases[i].what, cases[i].line);
		}
		diag_free(&d);
	}
}

/* Calls load() on every file of dir but the hidden ones. */
static inline void
load_dir(const char *dir,
    void (*load)(const char *path, const char *name, int *seen), int *seen)
{
	struct dirent *de;
	char path[2048];
	DIR *dp;

	dp = opendir(dir);
	assert_non_null(dp);
	for (;;) {
		de = readdir(dp);
		if (de == NULL)
			break;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		load(path, de->d_name, seen);
	}
	closedir(dp);
}

/*
 * Loads every file of tests/data/<kind> and, when the shared corpus stands
 * beside the source tree, of its flexlm/<kind>: load() sets a bit in *seen
 * for each file it checks in detail, and each folder must set all of want.
 */
static inline void
load_corpus(const char *kind,
    void (*load)(const char *path, const char *name, int *seen), int want)
{
	char dir[1024];
	struct stat sb;
	int seen;

	seen = 0;
	snprintf(dir, sizeof(dir), "%s/tests/data/%s", source_dir(), kind);
	load_dir(dir, load, &seen);
	assert_int_equal(seen, want);

	snprintf(dir, sizeof(dir), "%s/../shared/corpus/flexlm/%s",
	    source_dir(), kind);
	if (stat(dir, &sb) == 0) {
		seen = 0;
		load_dir(dir, load, &seen);
		assert_int_equal(seen, want);
	}
}

#endif /* LICD_TESTS_CONFIG_FIXTURE_H */
