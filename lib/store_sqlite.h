/*
 * store_sqlite.h - private to the SQLite backend (store_sqlite*.c).
 */
#ifndef BT_STORE_SQLITE_H
#define BT_STORE_SQLITE_H

#include <sqlite3.h>

#include "internal.h"
#include "store.h"

#define BTI_STMT_CACHE 128

struct bti_store {
	sqlite3 *sql;
	const bti_migration_set *migrations;
	unsigned int flags;
	int busy_timeout_ms;
	/* Lock waits (busy_wait in store_sqlite.c) end at the monotonic
	 * @deadline_ms of the call in progress when it is set (non-zero), and
	 * otherwise @wait_ms after they start. */
	int64_t deadline_ms;
	int wait_ms;
	int64_t wait_started_ms;
	/* Prepared statements, keyed by the address of their SQL constant. */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[BTI_STMT_CACHE];
	size_t cached;
	/* Prepared at open, so that a rollback needs no allocation: an
	 * unprepared "ROLLBACK" can itself fail when memory runs out, and leave
	 * the transaction open. */
	sqlite3_stmt *rollback;
};

/* Make lock waits end by the deadlines above, instead of SQLite's own
 * busy timeout. */
void bti_sqlite_busy_install(bti_store *st);

/* The prepared statement for @sql_text, a string constant: prepared once
 * per connection, then reused.  Give it back with bti_sqlite_release(). */
int bti_sqlite_stmt(bti_store *st, const char *sql_text, sqlite3_stmt **out);

/* json_valid() answers 0 both for malformed text and when SQLite ran out of
 * memory parsing it (SQLite 3.40).  Ask json(), which fails differently for
 * the two, before calling the host's JSON malformed: BT_OK with *valid_out
 * 0 (malformed) or 1 (the first answer was memory), or BT_ENOMEM. */
int bti_sqlite_json_recheck(bti_store *st, const char *json, int len, int *valid_out);

/* Reset @stmt and clear its bindings, ready for the next use. */
void bti_sqlite_release(sqlite3_stmt *stmt);

/* Bind @s, or leave NULL when @s is NULL.  The string must outlive the
 * statement's use (SQLITE_STATIC). */
static inline void bti_bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
}

/* Run a cached statement whose parameters ?1..?3 (as many as it has) are
 * integers.  If it returns a row (RETURNING), *first_out receives the row's
 * first column when @first_out is not NULL. */
int bti_sqlite_run_ids(bti_store *st, const char *sql_text, int64_t a, int64_t b, int64_t c,
		       const char *what, int64_t *first_out);

/* Run the cached INSERT into fingerprint_aliases @sql_text, whose ?1..?3 are
 * the fingerprint, the ticket and the time; its ON CONFLICT clause decides
 * what becomes of an alias already there (merges move it, import keeps it). */
int bti_sqlite_add_alias(bti_store *st, const char *sql_text, const char *fingerprint,
			 int64_t ticket_id, int64_t now);

/* Run a cached statement that returns no rows. */
int bti_sqlite_run(bti_store *st, const char *sql_text, const char *what);

/* Record a failed SQLite call as this thread's error: maps @rc to a BT_*
 * code, keeps the extended code and the message, prefixed with @what. */
int bti_sqlite_fail(sqlite3 *sql, int rc, const char *what);
int bti_sqlite_open(const char *path, int flags, sqlite3 **out);

/* Pages a WAL may hold before the commit that crosses it checkpoints:
 * configure() sets it with "PRAGMA wal_autocheckpoint=4096", a constant
 * string as every SQL text is (tests/security/check_sql_source.py). */
#define BTI_SQLITE_AUTOCHECKPOINT 4096

/* Run one statement without results, retrying SQLITE_BUSY until the busy
 * timeout elapses.  SQLite does not call its busy handler in every case
 * (WAL recovery, journal-mode changes), so open-time setup retries itself. */
int bti_sqlite_exec_retry(bti_store *st, const char *sql_text, const char *what);

/* Schema checks and migration (store_sqlite_migrate.c). */
int bti_sqlite_schema_state(bti_store *st, int *current_out, size_t *applied_out);
int bti_sqlite_migrate(bti_store *st);

#endif
