/*
 * store/sqlite/logs.c - reading log rows, a page at a time, in the order
 * they were stored (id): a ticket's rows from error_logs_ticket (ticket_id,
 * and the rowid every index ends with), all rows from the table itself.
 * Time bounds filter; the keyset position is the id.  No index on
 * created_at: synchronous capture would write a page for it on every row
 * (0009_occurrence_days), and listing by id reads each row once however
 * the pages are cut.
 */
#include <stdint.h>

#include "store_sqlite.h"

#define LOG_COLUMNS \
	"SELECT id, ticket_id, level, error_code, line, pid, created_at, component, message," \
	" message_template, fingerprint, error_type, file, function, stack_trace, context," \
	" trace_id, request_id, service, host, environment, release_sha FROM error_logs"
/* ?4 and ?5: created_at's bounds, both inclusive; ?6: the keyset position. */
#define LOG_FILTER \
	" AND created_at >= ?4 AND created_at <= ?5" \
	" AND (?2 = 0 OR level >= ?2) AND (?3 IS NULL OR component = ?3)" \
	" AND (?8 = 0 OR level = ?8)"
#define ASC " AND id > ?6 ORDER BY id LIMIT ?7"
#define DESC " AND id < ?6 ORDER BY id DESC LIMIT ?7"

static const char SQL_TICKET_ASC[] = LOG_COLUMNS " WHERE ticket_id = ?1" LOG_FILTER ASC;
static const char SQL_TICKET_DESC[] = LOG_COLUMNS " WHERE ticket_id = ?1" LOG_FILTER DESC;
static const char SQL_ALL_ASC[] = LOG_COLUMNS " WHERE ?1 = 0" LOG_FILTER ASC;
static const char SQL_ALL_DESC[] = LOG_COLUMNS " WHERE ?1 = 0" LOG_FILTER DESC;

static int read_entry(sqlite3_stmt *stmt, bt_log_entry **out)
{
	bt_log_entry *e = bti_calloc(1, sizeof(*e));
	int i;

	if (!e)
		return bti_error(BT_ENOMEM, "reading log rows: out of memory");
	e->id = sqlite3_column_int64(stmt, 0);
	e->ticket_id = sqlite3_column_int64(stmt, 1);
	e->level = sqlite3_column_int(stmt, 2);
	e->error_code = sqlite3_column_int(stmt, 3);
	e->line = sqlite3_column_int(stmt, 4);
	e->pid = sqlite3_column_int64(stmt, 5);
	e->created_at = sqlite3_column_int64(stmt, 6);
	for (i = 0; i < BTI_L_TEXT_COUNT; i++) {
		const char *s = (const char *)sqlite3_column_text(stmt, 7 + i);

		if (s && !(e->text[i] = bti_strdup(s))) {
			bt_log_entry_free(e);
			return bti_error(BT_ENOMEM, "reading log rows: out of memory");
		}
	}
	*out = e;
	return BT_OK;
}

int bti_sqlite_op_log_page(bti_store *base, const bti_log_query *q, bt_log_entry **rows, size_t cap,
		       size_t *n_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	const char *sql_text = q->ticket_id ? (q->newest_first ? SQL_TICKET_DESC : SQL_TICKET_ASC)
					    : (q->newest_first ? SQL_ALL_DESC : SQL_ALL_ASC);
	sqlite3_stmt *stmt;
	size_t n = 0;
	int rc = bti_sqlite_stmt(st, sql_text, &stmt);

	*n_out = 0;
	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, q->ticket_id);
	sqlite3_bind_int(stmt, 2, q->min_level);
	bti_bind_text(stmt, 3, q->component);
	sqlite3_bind_int64(stmt, 4, q->from);
	sqlite3_bind_int64(stmt, 5, q->to - 1);
	sqlite3_bind_int64(stmt, 6, q->after_id);
	sqlite3_bind_int64(stmt, 7, (sqlite3_int64)cap);
	sqlite3_bind_int(stmt, 8, q->level);
	while (n < cap && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		rc = read_entry(stmt, &rows[n]);
		if (rc != BT_OK)
			break;
		n++;
	}
	if (rc == SQLITE_DONE || rc == SQLITE_ROW || rc == SQLITE_OK)
		rc = BT_OK;
	else if (rc > 0)
		rc = bti_sqlite_fail(st->sql, rc, "reading log rows");
	bti_sqlite_release(stmt);
	if (rc != BT_OK) {
		while (n)
			bt_log_entry_free(rows[--n]);
		return rc;
	}
	*n_out = n;
	return BT_OK;
}
