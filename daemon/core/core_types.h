/*
 * Types shared by the configuration parsers (config/) and the seat
 * accounting core (daemon/core/): what a FlexLM licence file and an options
 * file say, already parsed, with no policy applied yet.
 *
 * Everything here is plain data owned by the structure that holds it; the
 * parsers fill it and free it (license_free(), options_free()).  Strings are
 * fixed-size arrays where their length is bounded by the formats, and
 * heap-allocated where it is not (attribute values, group members).
 */
#ifndef LICD_CORE_TYPES_H
#define LICD_CORE_TYPES_H

#include <stddef.h>
#include <stdint.h>

#define CORE_NAME_MAX 64 /* feature, vendor, user, host, group */
#define CORE_VERSION_MAX 16 /* "51", "61.9", "2024.0" */
#define CORE_DISPLAY_MAX 64
#define CORE_ADDR_MAX 64 /* textual IPv4/IPv6 address */
#define CORE_KEY_MAX 64 /* attribute keyword */
#define CORE_PATH_MAX 1024
#define CORE_LINE_ATTRS_MAX 48
#define CORE_SERVERS_MAX 3

enum core_line_type {
	CORE_LINE_FEATURE,
	CORE_LINE_INCREMENT,
	CORE_LINE_UPGRADE,
	CORE_LINE_PACKAGE,
};

/* One keyword attribute of a licence line, e.g. VENDOR_STRING=..., kept
 * as written (quotes removed).  Keys are upper-cased as FlexLM treats them
 * case-insensitively; a flag without "=value" has an empty value. */
struct core_attr {
	char key[CORE_KEY_MAX];
	char *value;
};

/* One FEATURE, INCREMENT, UPGRADE or PACKAGE line. */
struct core_line {
	enum core_line_type type;
	char feature[CORE_NAME_MAX];
	char vendor[CORE_NAME_MAX];
	char version[CORE_VERSION_MAX]; /* as written */
	/* UPGRADE only: the version upgraded from; the line's version is the
	 * version upgraded to. */
	char from_version[CORE_VERSION_MAX];
	/* Milliseconds since the epoch (UTC).  start: the first moment the
	 * line grants (0 when none is given).  expiry: the first moment it
	 * no longer grants, i.e. the end of the expiry day; 0 means
	 * permanent ("permanent", "0", "jan-0", year 0). */
	int64_t start;
	int64_t expiry;
	int count; /* seats; 0 with uncounted */
	int uncounted; /* "uncounted" or "0" count: reported, never served */
	char key[CORE_KEY_MAX * 2]; /* the licence key (sixth field), or "" */
	struct core_attr attrs[CORE_LINE_ATTRS_MAX];
	size_t nattrs;
	char file[CORE_PATH_MAX];
	int lineno; /* first physical line of the (continued) line */
};

struct core_server {
	char host[CORE_NAME_MAX * 4];
	char hostid[CORE_NAME_MAX * 2];
	int port; /* 0 when not given */
};

struct core_vendor {
	char name[CORE_NAME_MAX];
	char path[CORE_PATH_MAX]; /* "" when not given */
	char options[CORE_PATH_MAX]; /* options= / fourth field, or "" */
	int port; /* port= or 0 */
};

struct core_license_file {
	char path[CORE_PATH_MAX];
	struct core_server servers[CORE_SERVERS_MAX];
	size_t nservers;
	struct core_vendor *vendors;
	size_t nvendors;
	int use_server;
	struct core_line *lines;
	size_t nlines;
};

enum core_opt_kind {
	CORE_OPT_INCLUDE,
	CORE_OPT_INCLUDEALL,
	CORE_OPT_EXCLUDE,
	CORE_OPT_EXCLUDEALL,
	CORE_OPT_RESERVE,
	CORE_OPT_MAX,
	CORE_OPT_TIMEOUT,
	CORE_OPT_TIMEOUTALL,
	CORE_OPT_LINGER,
	CORE_OPT_MAX_OVERDRAFT, /* MAX_OVERDRAFT feature count */
	CORE_OPT_MAX_BORROW_HOURS, /* MAX_BORROW_HOURS feature hours */
	CORE_OPT_BORROW_LOWWATER, /* BORROW_LOWWATER feature count */
	CORE_OPT_INCLUDE_BORROW, /* INCLUDE_BORROW feature type name */
	CORE_OPT_EXCLUDE_BORROW, /* EXCLUDE_BORROW feature type name */
};

/* The kind of name a rule applies to. */
enum core_who {
	CORE_WHO_NONE, /* TIMEOUT, TIMEOUTALL, LINGER */
	CORE_WHO_USER,
	CORE_WHO_HOST,
	CORE_WHO_DISPLAY,
	CORE_WHO_GROUP,
	CORE_WHO_HOST_GROUP,
	CORE_WHO_INTERNET, /* address pattern, "*" wildcards per octet */
	CORE_WHO_PROJECT,
};

/* One INCLUDE/EXCLUDE/RESERVE/MAX/TIMEOUT/LINGER line.  feature is "" for
 * the *ALL forms.  qualifier holds a line selector given with the feature,
 * e.g. "key=abcd1234" or "asset_info=220668" from
 * INCLUDE "MATLAB key=abcd1234" USER u, or "VERSION=51" from
 * feature:VERSION=51; it is "" when none is given. */
struct core_opt_rule {
	enum core_opt_kind kind;
	char feature[CORE_NAME_MAX];
	char qualifier[CORE_NAME_MAX * 2];
	enum core_who who;
	char name[CORE_NAME_MAX];
	int count; /* RESERVE, MAX, MAX_BORROW_HOURS, BORROW_LOWWATER */
	int seconds; /* TIMEOUT, TIMEOUTALL, LINGER */
	int lineno;
};

/* A GROUP (users) or HOST_GROUP (hosts, may hold wildcards).  Several lines
 * with the same name and kind are merged, as FlexLM does. */
struct core_group {
	char name[CORE_NAME_MAX];
	int is_host;
	char **members;
	size_t nmembers;
	/* A GROUP may also take hosts (patterns, as HOST_GROUP members): a
	 * client belongs to it by its user or by its host.  Sentinel
	 * reservation groups mix the two; options files never set these. */
	char **hosts;
	size_t nhosts;
	int lineno;
};

struct core_options {
	char path[CORE_PATH_MAX];
	int group_case_insensitive;
	struct core_group *groups;
	size_t ngroups;
	struct core_opt_rule *rules;
	size_t nrules;
	/* DEBUGLOG [+]path: "" when not given; append for "+path". */
	char debuglog_path[CORE_PATH_MAX];
	int debuglog_append;
	/* NOLOG IN|OUT|DENIED|QUEUED, CORE_NOLOG_* bits, one per line. */
	unsigned nolog_mask;
	/* REPORTLOG [+]path, kept as given; licd writes no report log. */
	char reportlog_path[CORE_PATH_MAX];
};

#define CORE_NOLOG_IN 0x1
#define CORE_NOLOG_OUT 0x2
#define CORE_NOLOG_DENIED 0x4
#define CORE_NOLOG_QUEUED 0x8

#endif
