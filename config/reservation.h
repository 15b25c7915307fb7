/*
 * Sentinel RMS reservation files ("lsreserv"): one group of one feature a
 * line,
 *
 *     feature[,version]:group:count:member member ...
 *
 * count seats (tokens) of feature, of that version when one is given, are
 * held for the group's members.  Members are separated by blanks or commas;
 * "$name" is a host (a computer name), a plain name a user, and "!" before
 * either ("!bob", "!$lab7") refuses that user or host the feature, reserved
 * and unreserved seats alike: an excluded name is not a member.  A group of
 * count 0 refuses the feature to its members.  In a name, "%" makes the
 * next byte literal: "%%" is a percent sign, "%!" a leading '!', "% " a
 * blank; "%A" is just "A", as in Sentinel.  When a name is listed twice on
 * one line the first listing counts.  Blank lines and lines whose first
 * non-blank byte is '#' are skipped; a CR before the newline and a UTF-8
 * byte order mark are ignored; there is no line continuation.
 *
 * Groups are per feature: "group1" of two features are two groups.  licd
 * names each group "feature[,version]:group" (at most 63 bytes), which is
 * also the unit its members' grants are charged to.  See
 * reservation_merge() for how groups become options-file groups and rules.
 */
#ifndef LICD_RESERVATION_H
#define LICD_RESERVATION_H

#include <stddef.h>
#include <stdint.h>

#include "../daemon/core/core_types.h"
#include "diag.h"

struct core;

/* Bounds: those of Sentinel (256 groups of 1,000 members, names of 64
 * bytes, here 63 and the NUL as everywhere in licd).  The line bound fits
 * a group of 1,000 longest names with escapes. */
#define RESERVATION_FILE_MAX (4 * 1024 * 1024)
#define RESERVATION_LINE_MAX (192 * 1024)
#define RESERVATION_GROUPS_MAX 256 /* per file, and in all files together */
#define RESERVATION_MEMBERS_MAX 1000 /* per group, exclusions included */
#define RESERVATION_COUNT_MAX 1000000000L
/* Versions of one feature named in all files together: each is a line
 * selector of the feature in the core, which takes 64 at most, and the
 * options file may need some.  XXX: an options file with more than 48
 * selectors of a feature can still reach the core's bound together with
 * the reservations; the core then refuses the configuration naming the
 * options file. */
#define RESERVATION_VERSIONS_MAX 16

struct reservation_member {
	char name[CORE_NAME_MAX]; /* unescaped, without '!' and '$' */
	int is_host; /* "$name" */
	int exclude; /* "!name" */
};

/* One line. */
struct reservation_group {
	char feature[CORE_NAME_MAX];
	char version[CORE_VERSION_MAX]; /* "" when the line gives none */
	char group[CORE_NAME_MAX]; /* as written */
	char unit[CORE_NAME_MAX]; /* "feature[,version]:group" */
	int count;
	struct reservation_member *members;
	size_t nmembers;
	size_t nusers; /* included users */
	size_t nhosts; /* included hosts */
	int lineno;
};

struct reservation_file {
	char path[CORE_PATH_MAX];
	struct reservation_group *groups;
	size_t ngroups;
};

/*
 * Parses text (len bytes, not NUL-terminated) read from path into out,
 * which is zeroed first and must be freed with reservation_free().  Every
 * problem goes to diag as "path:line: ...".  Refuses: a line without four
 * ':'-separated fields, a bad feature name (letters, digits, '_', '.',
 * '-') or version (the same, at most 15 bytes), an empty group name, a
 * unit name over 63 bytes, a count that is not a whole number up to 10^9,
 * no member, a member name empty or over 63 bytes, a '%' at the end of a
 * name, more than RESERVATION_MEMBERS_MAX members or
 * RESERVATION_GROUPS_MAX groups, a feature, version and group given twice,
 * a user or host included in two groups of the same feature and version,
 * over-long lines and NUL bytes.  Warns of members that look like Sentinel
 * host ids or IP addresses (licd matches names only) and of groups that
 * hold seats for nobody.  Returns 0 when there are no errors, -1
 * otherwise.
 */
int reservation_parse(const char *path, const char *text, size_t len,
    struct reservation_file *out, struct diag *diag);

/* Reads path (at most RESERVATION_FILE_MAX bytes) and parses it. */
int reservation_load(
    const char *path, struct reservation_file *out, struct diag *diag);

void reservation_free(struct reservation_file *);

/*
 * The options file and the reservation files together, as the core takes
 * them.  The groups before nborrowed (copied shallowly) and every member
 * string belong to the options file and the reservation files, which
 * must outlive this; the arrays are its own.
 */
struct reservation_merged {
	struct core_options opts;
	size_t nborrowed;
};

/*
 * Appends to a copy of opts (NULL: an empty options file) one group per
 * reservation line, named by its unit: a GROUP of its users (with its
 * hosts as host members when it has both), or a HOST_GROUP when it has
 * hosts only; then for the line's feature (qualified VERSION=v when the
 * line gives a version) a RESERVE count of that group, or for count 0 an
 * EXCLUDE of it, and an EXCLUDE USER or EXCLUDE HOST for each "!" member.
 * Groups and rules follow the options file's, in file and line order, so
 * an options-file GROUP stays a user's unit and its RESERVE lines are
 * served first.  Refuses, naming the file and line: a unit name that an
 * options-file group already has, a group given in two files, a user or
 * host included in groups of the same feature in two files, and more
 * than RESERVATION_GROUPS_MAX groups or RESERVATION_VERSIONS_MAX versions
 * of one feature in all.  Returns 0 or -1; out must
 * be freed with reservation_merged_free() either way.
 */
int reservation_merge(const struct core_options *opts,
    const struct reservation_file *files, size_t nfiles,
    struct reservation_merged *out, struct diag *diag);

void reservation_merged_free(struct reservation_merged *);

/*
 * Once a configuration with these files is built: warns of reservations
 * for a feature no licence line serves, of versions no line of the
 * feature has, and of reservations that get fewer seats than they ask
 * (Sentinel's rule, which the core follows: reservations are served in
 * order up to the seats in date and the rest is cut).
 */
void reservation_check(const struct reservation_file *files, size_t nfiles,
    const struct core *core, int64_t now, struct diag *diag);

#endif
