/*
 * Shared between the journal's source files only: the key file, the MAC
 * chain and the layout of the records table.  Nothing outside
 * daemon/journal/ includes this.
 */
#ifndef LICD_JOURNAL_INT_H
#define LICD_JOURNAL_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "journal.h"

#define JOURNAL_DB "journal.db"
#define JOURNAL_KEY "journal.key"
#define JOURNAL_KEY_LEN 32
#define JOURNAL_MAC_LEN 32
#define JOURNAL_SCHEMA_VERSION 1
#define JOURNAL_SERIES_MAX 4096 /* journal files checked in one series */

/*
 * The columns of the records table in the order the canonical encoding
 * takes them; journal.c inserts with it and journal_read.c selects with it,
 * so one list keeps both in step.
 */
#define JOURNAL_RECORD_COLUMNS \
	"seq, time_ms, type, frontend, feature, version, count, unit, user, " \
	"host, display, address, machine_id, handle, in_use_after, " \
	"duration_ms, reason, detail"

/* Indexes into JOURNAL_RECORD_COLUMNS; mac follows the last one. */
enum journal_col {
	JCOL_SEQ,
	JCOL_TIME,
	JCOL_TYPE,
	JCOL_FRONTEND,
	JCOL_FEATURE,
	JCOL_VERSION,
	JCOL_COUNT,
	JCOL_UNIT,
	JCOL_USER,
	JCOL_HOST,
	JCOL_DISPLAY,
	JCOL_ADDRESS,
	JCOL_MACHINE,
	JCOL_HANDLE,
	JCOL_IN_USE,
	JCOL_DURATION,
	JCOL_REASON,
	JCOL_DETAIL,
	JCOL_MAC,
	JCOL_NCOLS
};

/*
 * A record's fields as the MAC sees them: integers widened to 64 bits and
 * strings as pointer and length, so that the same encoding serves a
 * struct journal_record (writer) and a row read back from SQLite (verify),
 * whatever length a tampered row's text has.
 */
struct journal_fields {
	int64_t num[JCOL_NCOLS];
	const char *str[JCOL_NCOLS];
	size_t len[JCOL_NCOLS];
};

void journal_fields_from_record(
    struct journal_fields *, const struct journal_record *);
void journal_fields_from_row(struct journal_fields *, sqlite3_stmt *);
int journal_col_is_text(enum journal_col);

/* mac = HMAC-SHA256(key, prev || encoding of f).  Returns 0 or -1. */
int journal_mac(const unsigned char *key, const unsigned char *prev,
    const struct journal_fields *f, unsigned char *mac);

/*
 * The same with the key set up once (HMAC's inner and outer pads hashed):
 * the writer keeps one for its journal and uses it for every record.
 * The object holds key material: free it with the journal.
 */
struct journal_mac_key;
struct journal_mac_key *journal_mac_key_new(const unsigned char *key);
void journal_mac_key_free(struct journal_mac_key *);
int journal_mac_keyed(struct journal_mac_key *, const unsigned char *prev,
    const struct journal_fields *f, unsigned char *mac);

/* The value kept in meta to tell that a key belongs to this database. */
int journal_key_check(const unsigned char *key, unsigned char *out);

/*
 * Reads dir/journal.key into key (JOURNAL_KEY_LEN bytes), creating it with
 * fresh random bytes and mode 0600 when create is set and it is absent.
 * Returns an open descriptor of the key file (the caller keeps it for its
 * lock) or -1 with err set.  A key of any other size is refused.
 */
int journal_key_load(
    const char *dir, int create, unsigned char *key, char *err, size_t errlen);

/* Builds dir/name into buf.  Returns 0, or -1 when it does not fit. */
int journal_path(char *buf, size_t len, const char *dir, const char *name);

/*
 * The checkpointer (journal_ckpt.c): a thread with its own connection to
 * the database at path, synced as full_sync says, that runs a PASSIVE WAL
 * checkpoint after each poke.  start returns NULL when the connection or
 * the thread cannot be had (the caller keeps SQLite's automatic
 * checkpoint then); poke may be called from any thread, with the log's
 * generation (the committer counts the times the log started again);
 * left says how many of the log's pages (its length now) the last
 * checkpoint of that generation did not copy, or -1 when there was none
 * or it failed; stop accepts NULL, waits for a checkpoint under way and
 * closes the connection.
 */
struct journal_ckpt;
struct journal_ckpt *journal_ckpt_start(const char *path, int full_sync);
void journal_ckpt_poke(struct journal_ckpt *, unsigned gen);
int journal_ckpt_left(struct journal_ckpt *, unsigned gen, int pages);
void journal_ckpt_stop(struct journal_ckpt *);

#endif
