/*
 * store_sqlite.h - private to the SQLite backend (store_sqlite*.c).
 */
#ifndef BT_STORE_SQLITE_H
#define BT_STORE_SQLITE_H

#include <sqlite3.h>

#include "internal.h"
#include "store.h"

struct bti_store {
	sqlite3 *sql;
	const bti_migration_set *migrations;
	unsigned int flags;
	int busy_timeout_ms;
};

/* Record a failed SQLite call as this thread's error: maps @rc to a BT_*
 * code, keeps the extended code and the message, prefixed with @what. */
int bti_sqlite_fail(sqlite3 *sql, int rc, const char *what);

/* Run one statement without results, retrying SQLITE_BUSY until the busy
 * timeout elapses.  SQLite does not call its busy handler in every case
 * (WAL recovery, journal-mode changes), so open-time setup retries itself. */
int bti_sqlite_exec_retry(bti_store *st, const char *sql_text, const char *what);

/* Schema checks and migration (store_sqlite_migrate.c). */
int bti_sqlite_schema_state(bti_store *st, int *current_out, size_t *applied_out);
int bti_sqlite_migrate(bti_store *st);

#endif
