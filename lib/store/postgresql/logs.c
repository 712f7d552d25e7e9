/*
 * store/postgresql/logs.c - reading log rows, a page at a time, in the
 * order they were stored (id): store/sqlite/logs.c in PostgreSQL's
 * dialect.  A ticket's rows come from error_logs_ticket (ticket_id, id),
 * all rows from the primary key; time bounds filter.
 */
#include <stdint.h>

#include "store_postgresql.h"

#define LOG_COLUMNS \
	"SELECT id, ticket_id, level, error_code, line, pid, created_at, component, message," \
	" message_template, fingerprint, error_type, file, function, stack_trace, context," \
	" trace_id, request_id, service, host, environment, release_sha FROM error_logs"
/* $4 and $5: created_at's bounds, both inclusive; $6: the keyset position. */
#define LOG_FILTER \
	" AND created_at >= $4::bigint AND created_at <= $5::bigint" \
	" AND ($2::integer = 0 OR level >= $2::integer)" \
	" AND ($3::text IS NULL OR component = $3::text)" \
	" AND ($8::integer = 0 OR level = $8::integer)"
#define ASC " AND id > $6::bigint ORDER BY id LIMIT $7::bigint"
#define DESC " AND id < $6::bigint ORDER BY id DESC LIMIT $7::bigint"

static const char SQL_TICKET_ASC[] = LOG_COLUMNS " WHERE ticket_id = $1::bigint" LOG_FILTER ASC;
static const char SQL_TICKET_DESC[] = LOG_COLUMNS " WHERE ticket_id = $1::bigint" LOG_FILTER DESC;
static const char SQL_ALL_ASC[] = LOG_COLUMNS " WHERE $1::bigint = 0" LOG_FILTER ASC;
static const char SQL_ALL_DESC[] = LOG_COLUMNS " WHERE $1::bigint = 0" LOG_FILTER DESC;

/* Row @row of @r; NULL integers read as 0, NULL texts stay NULL. */
static int read_entry(const PGresult *r, int row, bt_log_entry **out)
{
	bt_log_entry *e = bti_calloc(1, sizeof(*e));
	int i;

	if (!e)
		return bti_error(BT_ENOMEM, "reading log rows: out of memory");
	e->id = bti_pg_get_int(r, row, 0);
	e->ticket_id = bti_pg_get_int(r, row, 1);
	e->level = (int)bti_pg_get_int(r, row, 2);
	e->error_code = (int)bti_pg_get_int(r, row, 3);
	e->line = (int)bti_pg_get_int(r, row, 4);
	e->pid = bti_pg_get_int(r, row, 5);
	e->created_at = bti_pg_get_int(r, row, 6);
	for (i = 0; i < BTI_L_TEXT_COUNT; i++) {
		if (PQgetisnull(r, row, 7 + i))
			continue;
		if (!(e->text[i] = bti_strdup(PQgetvalue(r, row, 7 + i)))) {
			bt_log_entry_free(e);
			return bti_error(BT_ENOMEM, "reading log rows: out of memory");
		}
	}
	*out = e;
	return BT_OK;
}

int bti_pg_op_log_page(bti_store *base, const bti_log_query *q, bt_log_entry **rows, size_t cap,
		       size_t *n_out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	const char *sql = q->ticket_id ? (q->newest_first ? SQL_TICKET_DESC : SQL_TICKET_ASC)
				       : (q->newest_first ? SQL_ALL_DESC : SQL_ALL_ASC);
	bti_pg_params p;
	PGresult *res;
	size_t n = 0;
	int rc, rows_back;

	*n_out = 0;
	bti_pg_params_init(&p);
	bti_pg_int(&p, q->ticket_id);
	bti_pg_int(&p, q->min_level);
	bti_pg_text(&p, q->component);
	bti_pg_int(&p, q->from);
	bti_pg_int(&p, q->to - 1);
	bti_pg_int(&p, q->after_id);
	bti_pg_int(&p, (int64_t)cap);
	bti_pg_int(&p, q->level);
	rc = bti_pg_exec(st, sql, &p, &res, "reading log rows");
	if (rc != BT_OK)
		return rc;
	rows_back = PQntuples(res);
	while (n < cap && (int)n < rows_back) {
		rc = read_entry(res, (int)n, &rows[n]);
		if (rc != BT_OK)
			break;
		n++;
	}
	PQclear(res);
	if (rc != BT_OK) {
		while (n)
			bt_log_entry_free(rows[--n]);
		return rc;
	}
	*n_out = n;
	return BT_OK;
}
