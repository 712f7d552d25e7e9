/*
 * store/sqlite/vacuum.c - giving a file's free pages back: VACUUM, then a
 * checkpoint that writes the rebuilt file back and truncates the WAL; and
 * the checkpoint alone, for bt_db_checkpoint.
 *
 * A purge frees pages inside the file; SQLite reuses them but never gives
 * them back to the file system until VACUUM rebuilds the file.
 */
#include "store_sqlite.h"

static const char SQL_PAGES[] =
	"SELECT p.page_count * s.page_size FROM pragma_page_count p, pragma_page_size s";

static int file_bytes(bti_sqlite_store *st, int64_t *out)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_PAGES, &stmt);

	if (rc != BT_OK)
		return rc;
	rc = sqlite3_step(stmt);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	rc = rc == SQLITE_ROW ? BT_OK : bti_sqlite_fail(st->sql, rc, "reading the page count");
	bti_sqlite_release(stmt);
	return rc;
}

/* VACUUM needs the write lock and no statement of this connection in
 * progress; its lock waits go through the connection's busy handler,
 * which gives up at the handle's deadline (one busy timeout), so another
 * process holding the database makes this BT_EBUSY, never a hang. */
int bti_sqlite_op_vacuum(bti_store *base, int64_t *freed_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	int64_t before, after;
	int rc = file_bytes(st, &before);

	*freed_out = -1;
	if (rc == BT_OK)
		rc = bti_sqlite_exec_retry(st, "VACUUM", "VACUUM");
	/* In WAL mode the rebuilt pages sit in the WAL until a checkpoint;
	 * a reader may keep it from finishing, which is not a failure: the
	 * next checkpoint ends the job. */
	if (rc == BT_OK)
		sqlite3_exec(st->sql, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	if (rc == BT_OK)
		rc = file_bytes(st, &after);
	if (rc == BT_OK)
		*freed_out = before > after ? before - after : 0;
	return rc;
}

/* PASSIVE: it never waits, for a reader (it stops at the first frame one
 * still uses) or for another checkpointer (SQLITE_BUSY, extended codes
 * included, and that one does the job), so the busy handler and the
 * deadline play no part. */
int bti_sqlite_op_checkpoint(bti_store *base, int64_t *log_out, int64_t *backfilled_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	int log = -1, done = -1;
	int rc = sqlite3_wal_checkpoint_v2(st->sql, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);

	if ((rc & 0xff) == SQLITE_BUSY)
		return BT_OK;
	if (rc != SQLITE_OK)
		return bti_sqlite_fail(st->sql, rc, "checkpointing the WAL");
	*log_out = log;
	*backfilled_out = done;
	return BT_OK;
}
