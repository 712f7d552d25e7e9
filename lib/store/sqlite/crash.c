/*
 * store/sqlite/crash.c - the crash spool's ledger: which records are
 * already ingested, and how far into the spool ingestion got.
 */
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"

static const char SQL_CLAIM[] =
	"INSERT INTO crash_records (record_hash, ingested_at) VALUES (?1, ?2)"
	" ON CONFLICT (record_hash) DO NOTHING";

int bti_sqlite_op_crash_claim(bti_store *base, const char *hash, int64_t now, int *fresh_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
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

static const char SQL_MARK_GET[] =
	"SELECT spool_dev, spool_ino, head_hash, spool_offset FROM crash_spool_mark WHERE id = 1";

/* Overwritten as it is: a new file must replace the mark even when its
 * offset is smaller, and a peer ingesting at the same time that moves it
 * back only makes a later open re-read records it finds claimed. */
static const char SQL_MARK_SET[] =
	"INSERT OR REPLACE INTO crash_spool_mark (id, spool_dev, spool_ino, head_hash, spool_offset)"
	" VALUES (1, ?1, ?2, ?3, ?4)";

int bti_sqlite_op_crash_mark_get(bti_store *base, bti_crash_mark *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_MARK_GET, &stmt);

	memset(out, 0, sizeof(*out));
	if (rc != BT_OK)
		return rc;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const unsigned char *head = sqlite3_column_text(stmt, 2);

		out->dev = sqlite3_column_int64(stmt, 0);
		out->ino = sqlite3_column_int64(stmt, 1);
		snprintf(out->head, sizeof(out->head), "%s", head ? (const char *)head : "");
		out->offset = sqlite3_column_int64(stmt, 3);
		rc = BT_OK;
	} else if (rc == SQLITE_DONE) {
		rc = BT_ENOTFOUND;
	} else {
		rc = bti_sqlite_fail(st->sql, rc, "reading the crash spool mark");
	}
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_crash_mark_set(bti_store *base, const bti_crash_mark *m)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_MARK_SET, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, m->dev);
	sqlite3_bind_int64(stmt, 2, m->ino);
	bti_bind_text(stmt, 3, m->head);
	sqlite3_bind_int64(stmt, 4, m->offset);
	rc = sqlite3_step(stmt);
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "setting the crash spool mark");
	bti_sqlite_release(stmt);
	return rc;
}
