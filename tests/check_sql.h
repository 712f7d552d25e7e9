/*
 * check_sql.h - for the library's own tests (not the conformance suite,
 * which keeps to the public API): a number read straight from a handle's
 * SQLite connection, to see what the store holds, and SQL run on it.
 */
#ifndef BT_CHECK_SQL_H
#define BT_CHECK_SQL_H

#include <sqlite3.h>

#include "check.h"
#include "db.h"
#include "store_sqlite.h"

/* The first column of @sql's first row, or -1. */
static inline long long q_int(bt_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_prepare_v2(bti_sqlite_connection(db->store), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Run @sql on the handle's own connection; a failure is a failed check. */
static inline void q_exec(bt_db *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(bti_sqlite_connection(db->store), sql, NULL, NULL, &err) != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
	CHECK(err == NULL);
	sqlite3_free(err);
}

#endif
