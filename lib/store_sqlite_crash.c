/*
 * store_sqlite_crash.c - the crash spool's ledger: which records are
 * already ingested.
 */
#include "store_sqlite.h"

static const char SQL_CLAIM[] =
	"INSERT INTO crash_records (record_hash, ingested_at) VALUES (?1, ?2)"
	" ON CONFLICT (record_hash) DO NOTHING";

int bti_store_crash_claim(bti_store *st, const char *hash, int64_t now, int *fresh_out)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_CLAIM, &stmt);

	*fresh_out = 0;
	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, hash);
	sqlite3_bind_int64(stmt, 2, now);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		*fresh_out = sqlite3_changes(st->sql) == 1;
		rc = BT_OK;
	} else {
		rc = bti_sqlite_fail(st->sql, rc, "claiming a crash record");
	}
	bti_sqlite_release(stmt);
	return rc;
}
