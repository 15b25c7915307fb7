/*
 * Internals of the seat-accounting core, shared by its files only: the
 * small hash maps and timer heap (core_map.c), the compiled configuration
 * and policy matching (core_conf.c) and the run-time state (core.c).
 * Nothing outside daemon/core/ includes this header.
 */
#ifndef LICD_CORE_INT_H
#define LICD_CORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* Distinct line selectors ("key=...", "VERSION=...") per feature: a pool
 * carries one bit per selector saying whether its lines match it. */
#define CORE_QUALS_MAX 64

/*
 * Hash map from a nonzero 64-bit key (handle, ticket, session id) to a
 * pointer: open addressing, linear probing, deletion by backward shift, so
 * lookups stay short however many grants come and go.
 */
struct core_u64map_slot {
	uint64_t key; /* 0: empty */
	void *val;
};

struct core_u64map {
	struct core_u64map_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

int core_u64map_put(struct core_u64map *, uint64_t key, void *val);
void *core_u64map_get(const struct core_u64map *, uint64_t key);
void core_u64map_del(struct core_u64map *, uint64_t key);
void core_u64map_free(struct core_u64map *);

/* Map from a string to a pointer, filled once when a configuration is
 * built and never shrunk.  Keys are not copied: they must outlive the
 * map. */
struct core_strmap_slot {
	const char *key; /* NULL: empty */
	void *val;
};

struct core_strmap {
	struct core_strmap_slot *slots;
	size_t cap;
	size_t n;
};

int core_strmap_put(struct core_strmap *, const char *key, void *val);
void *core_strmap_get(const struct core_strmap *, const char *key);
void core_strmap_free(struct core_strmap *);

/* Timers: a binary min-heap of deadlines.  Entries are never removed
 * early; each names its object and a generation, and a popped entry whose
 * generation is stale is dropped. */
enum core_timer_kind {
	CORE_TIMER_GRANT, /* id: handle; heartbeat, linger or resume due */
	CORE_TIMER_LINE, /* id: feature index; a line starts or expires */
};

struct core_timer {
	int64_t when;
	uint64_t id;
	uint64_t gen;
	enum core_timer_kind kind;
};

struct core_heap {
	struct core_timer *v;
	size_t n;
	size_t cap;
};

int core_heap_push(struct core_heap *, const struct core_timer *);
void core_heap_pop(struct core_heap *);
void core_heap_free(struct core_heap *);

/* Who a rule is compared with: the fields of a client or of a holder. */
struct core_ident {
	const char *user;
	const char *host;
	const char *display;
	const char *address;
	const char *project;
	const char *vstring; /* the client's vendor string, never NULL */
};

/* A licence line as the core keeps it for serving. */
struct core_cline {
	int64_t start;
	int64_t expiry; /* 0: permanent */
	int count;
	int uncounted;
	int overdraft; /* OVERDRAFT= */
	const char *file; /* owned by the configuration */
	int lineno;
};

/* DUP_GROUP: which of the holder's fields make repeat checkouts share one
 * seat.  SITE shares one seat among all. */
#define CORE_DUP_USER 0x01
#define CORE_DUP_HOST 0x02
#define CORE_DUP_DISPLAY 0x04
#define CORE_DUP_VENDOR 0x08
#define CORE_DUP_SITE 0x10

/* The lines of one feature that policy cannot tell apart: same version,
 * same answer to every selector of the feature's rules, and the same
 * BORROW, DUP_GROUP, HOSTID, USER_BASED, HOST_BASED and VENDOR_STRING. */
struct core_pool {
	char version[CORE_VERSION_MAX];
	uint64_t qmask;
	char *split; /* those attributes, joined: the rest of the key */
	int dup; /* CORE_DUP_* bits, 0: every checkout takes seats */
	int user_based; /* -1: no; 0: as many users as seats; else n */
	int host_based; /* the same for hosts */
	int borrow_hours; /* BORROW[=hours]: -1 when the lines lack it */
	/* Sentinel attributes: sharers per DUP_GROUP/SHARE set (0: no
	 * limit), LEASE= and HOLD= seconds (0: none). */
	int share_limit;
	int lease;
	int hold;
	struct core_cline *lines;
	size_t nlines;
	size_t linecap;
	int ncounted;
	int used; /* seats of the grants charged here */
};

/* An INCLUDE, EXCLUDE, RESERVE or MAX rule, compiled. */
struct core_rule {
	enum core_opt_kind kind;
	enum core_who who;
	char name[CORE_NAME_MAX];
	const struct core_cgroup *group; /* GROUP and HOST_GROUP */
	int qbit; /* selector, -1 for none */
	int count;
	int charged; /* RESERVE: seats of grants charged to it */
	int lineno;
};

struct core_rules {
	struct core_rule *v;
	size_t n;
	size_t cap;
};

struct core_grant;
struct core_qentry;

struct core_feature {
	char name[CORE_NAME_MAX];
	char vendor[CORE_NAME_MAX];
	char version[CORE_VERSION_MAX]; /* highest */
	int64_t expiry; /* earliest nonzero */
	size_t index;
	int seen_feature; /* its first FEATURE line has been taken */

	struct core_pool *pools;
	size_t npools;
	size_t poolcap;
	int ncounted; /* counted lines, in date or not */

	char *quals[CORE_QUALS_MAX];
	size_t nquals;

	struct core_rules incl;
	struct core_rules excl;
	struct core_rules res;
	struct core_rules max;
	int timeout; /* seconds after clamping, 0: none */
	int timeout_set;
	int linger;
	int max_overdraft; /* MAX_OVERDRAFT, -1 when not given */
	int max_borrow_hours; /* MAX_BORROW_HOURS, -1 when not given */
	int borrow_lowwater; /* BORROW_LOWWATER: seats never borrowed */
	struct core_rules incl_borrow; /* INCLUDE_BORROW */
	struct core_rules excl_borrow; /* EXCLUDE_BORROW */
	/* A component of a PACKAGE with OPTIONS=SUITE: each checkout also
	 * holds a seat of the suite feature. */
	struct core_feature *suite;

	/* Run-time state, rebuilt when a configuration is swapped in. */
	int in_use; /* seats of grants charged to its pools */
	int nlinger;
	struct core_grant *ghead, *gtail;
	struct core_qentry *qhead, *qtail;
	size_t nqueue;
};

struct core_cgroup {
	char name[CORE_NAME_MAX];
	int is_host;
	char **members;
	size_t nmembers;
};

struct core_conf {
	uint64_t gen;
	int nocase; /* GROUPCASEINSENSITIVE */
	struct core_feature **features;
	size_t nfeatures;
	struct core_strmap fmap;

	struct core_cgroup *groups;
	size_t ngroups;
	struct core_strmap ugroups; /* name -> user GROUP */
	struct core_strmap hgroups; /* name -> HOST_GROUP */
	struct core_strmap members; /* "group\037user" -> GROUP */
	struct core_strmap firstgroup; /* user -> first GROUP listing it */
	char **keys; /* the strings the maps point to */
	size_t nkeys;
	size_t keycap;

	struct core_rules inclall;
	struct core_rules exclall;
	int timeoutall; /* seconds, -1 when not given */
	int min_timeout;
};

struct core_conf *core_conf_build(const struct core_settings *,
    const struct core_license_file *, size_t, const struct core_options *,
    uint64_t gen, char *err, size_t errlen);
void core_conf_free(struct core_conf *);
struct core_feature *
core_conf_feature(const struct core_conf *, const char *name);

int core_pool_capacity(const struct core_pool *, int64_t now);
int core_pool_overdraft(const struct core_pool *, int64_t now);
int core_feature_overdraft(const struct core_feature *, int64_t now);
int core_rule_matches(const struct core_conf *, const struct core_rule *,
    const struct core_ident *);
int core_rule_applies(const struct core_rule *, const struct core_pool *);
const char *core_conf_unit(const struct core_conf *,
    const struct core_settings *, const struct core_ident *);
int core_name_eq(const struct core_conf *, const char *, const char *);
int core_glob(const char *pattern, const char *s, int nocase);
int core_addr_match(const char *pattern, const char *addr);

#endif
