/*
 * store/sqlite/tickets.c - reading tickets: one by id, the one a
 * fingerprint lands on, and filtered, keyset-paginated listings.
 */
#include <string.h>

#include "casefold.h"
#include "store_sqlite.h"
#include "ticket.h"

/* bt_contains_folded(TEXT, NEEDLE): 1 if TEXT, case-folded, contains
 * NEEDLE, folded already (bti_ticket_query.text); 0 for a NULL TEXT.
 * Deterministic and innocuous, so SQLite may call it anywhere; it is
 * registered on every connection, and no schema object uses it, so the
 * sqlite3 shell still opens and writes the file. */
static void contains_folded(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *hay = (const char *)sqlite3_value_text(argv[0]);
	int hn = sqlite3_value_bytes(argv[0]);
	const char *needle = (const char *)sqlite3_value_text(argv[1]);
	int nn = sqlite3_value_bytes(argv[1]);

	int found;

	(void)argc;
	if (!needle) {
		sqlite3_result_null(ctx);
		return;
	}
	found = hay ? bti_casefold_contains(hay, (size_t)hn, needle, (size_t)nn) : 0;
	if (found < 0)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_int(ctx, found);
}

int bti_sqlite_functions_install(bti_sqlite_store *st)
{
	int rc = sqlite3_create_function_v2(st->sql, "bt_contains_folded", 2,
					    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
					    NULL, contains_folded, NULL, NULL, NULL);

	return rc == SQLITE_OK ? BT_OK : bti_sqlite_fail(st->sql, rc, "registering SQL functions");
}

/* Columns in the order of enum bti_ticket_text, then enum bti_ticket_int. */
#define TICKET_COLUMNS \
	"number, title, status, severity, component, fingerprint, grouping_input," \
	" error_message, stack_trace, description, priority, category, source, reporter," \
	" assignee, error_type, service, host, environment, release_sha, trace_id," \
	" request_id, context, resolution_notes, resolution_commit, resolved_by," \
	" resolved_release, claimed_by, external_id, claim_token," \
	" id, occurrence_count, regression_count, first_occurred_at, last_occurred_at," \
	" claimed_at, claim_expires_at, automation_attempts, version, duplicate_of," \
	" created_at, updated_at, resolved_at, sla_due_at"

static const char SQL_TICKET_GET[] = "SELECT " TICKET_COLUMNS " FROM tickets WHERE id = ?1";

/* ?1 fingerprint, ?2 now, ?3 window: the ticket capture would land on:
 * the active ticket of the fingerprint if its window allows, else, when no
 * ticket is active for it, the ticket it was merged into. */
/* The ranks equal the bt_status and bt_severity values. */
#define STATUS_RANK \
	"(CASE status WHEN 'new' THEN 1 WHEN 'triaged' THEN 2 WHEN 'in_progress' THEN 3" \
	" WHEN 'awaiting_verification' THEN 4 WHEN 'resolved' THEN 5 ELSE 6 END)"
#define SEVERITY_RANK \
	"(CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END)"
#define LAST_OCCURRED "coalesce(last_occurred_at, created_at)"

/* A zero or NULL parameter disables its filter, so one statement per sort
 * order serves every combination of filters. */
#define FILTER_WHERE \
	" WHERE (?1 = 0 OR (?1 >> " STATUS_RANK ") & 1)" \
	" AND (?2 = 0 OR " SEVERITY_RANK " >= ?2)" \
	" AND (?3 IS NULL OR component = ?3)" \
	" AND (?4 IS NULL OR assignee = ?4)" \
	" AND (?5 = 0 OR (?5 = 1) = (claim_expires_at IS NOT NULL AND claim_expires_at > ?6))" \
	" AND (?7 = 0 OR created_at >= ?7) AND (?8 = 0 OR created_at < ?8)" \
	" AND (?9 = 0 OR " LAST_OCCURRED " >= ?9) AND (?10 = 0 OR " LAST_OCCURRED " < ?10)" \
	" AND (?11 = 0 OR regression_count > 0)" \
	" AND (?12 IS NULL OR bt_contains_folded(title, ?12)" \
	"      OR bt_contains_folded(error_message, ?12) OR bt_contains_folded(description, ?12))" \
	" AND (?16 = 0 OR (status NOT IN ('resolved', 'closed') AND sla_due_at < ?6))" \
	" AND (?17 = 0 OR updated_at >= ?17 OR last_occurred_at >= ?17)" \
	" AND (?18 = 0 OR " SEVERITY_RANK " = ?18)"

/* Keyset pagination: rows strictly after (?13, ?14) in (key, id) order,
 * written as a range on the key so that an index seeks to the position
 * (an OR with "no position" would scan from the top on every page); the
 * first page binds the largest values. */
#define POSITION(key) " AND " key " <= ?13 AND (" key " < ?13 OR id < ?14)"
#define PAGE_SQL(key, where, order) \
	"SELECT " key ", id FROM tickets" FILTER_WHERE where \
	" ORDER BY " order " LIMIT ?15"
#define KEYED_PAGE_SQL(key) PAGE_SQL(key, POSITION(key), key " DESC, id DESC")

/* By last occurrence: tickets_last_day holds the day of the key (capture's
 * trigger and merges keep it so) and the key itself (0012), so the index
 * gives the order but for ties of one millisecond, and the key without a
 * read of the row.  Merged duplicates have no day: they follow, newest
 * ticket first (tickets_undated's order), all under one key below every time
 * (BTI_KEY_UNDATED_BELOW), so that a position tells which part it is in. */
#define UNDATED_KEY "(-4611686018427387904)"
static const char SQL_PAGE_LAST[] =
	PAGE_SQL(LAST_OCCURRED, " AND last_day <= max(?13, 0) / 86400000" POSITION(LAST_OCCURRED),
		 "last_day DESC, " LAST_OCCURRED " DESC, id DESC");
static const char SQL_PAGE_UNDATED[] =
	PAGE_SQL(UNDATED_KEY, " AND last_day IS NULL" POSITION(UNDATED_KEY),
		 "id DESC");
/* By occurrences: tickets_count_floor holds the count to its leading digit
 * (migration 0011; triggers keep it), so the index walks the floors in
 * order and one floor's tickets are sorted at a time. */
static const char SQL_PAGE_COUNT[] =
	PAGE_SQL("occurrence_count",
		 " AND count_floor <= " BTI_SQLITE_COUNT_FLOOR("?13") POSITION("occurrence_count"),
		 "count_floor DESC, occurrence_count DESC, id DESC");
static const char SQL_PAGE_SEVERITY[] = KEYED_PAGE_SQL(SEVERITY_RANK);
static const char SQL_PAGE_CREATED[] = KEYED_PAGE_SQL("created_at");

static int read_ticket(bti_sqlite_store *st, sqlite3_stmt *stmt, bt_ticket **out)
{
	bt_ticket *t = bti_calloc(1, sizeof(*t));
	int i;

	if (!t)
		return bti_error(BT_ENOMEM, "reading a ticket: out of memory");
	for (i = 0; i < BTI_T_TEXT_COUNT; i++) {
		const char *s = (const char *)sqlite3_column_text(stmt, i);

		if (!s && sqlite3_errcode(st->sql) == SQLITE_NOMEM)
			goto nomem;
		if (s && !(t->text[i] = bti_strdup(s)))
			goto nomem;
	}
	for (i = 0; i < BTI_T_INT_COUNT; i++)
		t->num[i] = sqlite3_column_int64(stmt, BTI_T_TEXT_COUNT + i);
	*out = t;
	return BT_OK;
nomem:
	bt_ticket_free(t);
	return bti_error(BT_ENOMEM, "reading a ticket: out of memory");
}

/* Run a ticket query whose parameters are already bound. */
static int query_ticket(bti_sqlite_store *st, sqlite3_stmt *stmt, bt_ticket **out, const char *what)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW)
		rc = read_ticket(st, stmt, out);
	else if (rc == SQLITE_DONE)
		rc = bti_error(BT_ENOTFOUND, "%s: no such ticket", what);
	else
		rc = bti_sqlite_fail(st->sql, rc, what);
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_ticket_get(bti_store *base, int64_t id, bt_ticket **out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_TICKET_GET, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	return query_ticket(st, stmt, out, "bt_ticket_get");
}

/* The ticket of a trace id: the newest log row's (per occurrence), else the
 * newest ticket whose first occurrence had it; both partial indexes. */
static const char SQL_BY_TRACE_LOG[] =
	"SELECT ticket_id FROM error_logs WHERE trace_id = ?1 ORDER BY id DESC LIMIT 1";
static const char SQL_BY_TRACE_TICKET[] =
	"SELECT id FROM tickets WHERE trace_id = ?1 ORDER BY id DESC LIMIT 1";

static int trace_query(bti_sqlite_store *st, const char *sql_text, const char *trace_id,
		       int64_t *id_out)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, sql_text, &stmt);

	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, trace_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(stmt, 0);
		rc = BT_OK;
	} else if (rc == SQLITE_DONE) {
		rc = BT_ENOTFOUND; /* the expected answer, not a failure */
	} else {
		rc = bti_sqlite_fail(st->sql, rc, "finding a trace id's ticket");
	}
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_ticket_by_trace_id(bti_store *base, const char *trace_id, int64_t *id_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	int rc;

	*id_out = 0;
	rc = trace_query(st, SQL_BY_TRACE_LOG, trace_id, id_out);
	return rc == BT_ENOTFOUND ? trace_query(st, SQL_BY_TRACE_TICKET, trace_id, id_out) : rc;
}

/* The statement of @sort; by last occurrence, of its dated or its
 * @undated part. */
static const char *page_sql(bt_ticket_sort sort, int undated)
{
	switch (sort) {
	case BT_SORT_OCCURRENCES: return SQL_PAGE_COUNT;
	case BT_SORT_SEVERITY:    return SQL_PAGE_SEVERITY;
	case BT_SORT_CREATED:     return SQL_PAGE_CREATED;
	default:                  return undated ? SQL_PAGE_UNDATED : SQL_PAGE_LAST;
	}
}

static void bind_query(sqlite3_stmt *stmt, const bti_ticket_query *q, int64_t after_key,
		       int64_t after_id, size_t cap)
{
	sqlite3_bind_int64(stmt, 1, q->status_mask);
	sqlite3_bind_int(stmt, 2, q->min_severity);
	bti_bind_text(stmt, 3, q->component);
	bti_bind_text(stmt, 4, q->assignee);
	sqlite3_bind_int(stmt, 5, q->claimed);
	sqlite3_bind_int64(stmt, 6, q->now);
	sqlite3_bind_int64(stmt, 7, q->created_from);
	sqlite3_bind_int64(stmt, 8, q->created_to);
	sqlite3_bind_int64(stmt, 9, q->occurred_from);
	sqlite3_bind_int64(stmt, 10, q->occurred_to);
	sqlite3_bind_int(stmt, 11, q->regressed_only);
	bti_bind_text(stmt, 12, q->text);
	sqlite3_bind_int64(stmt, 13, after_key);
	sqlite3_bind_int64(stmt, 14, after_id);
	sqlite3_bind_int64(stmt, 15, (sqlite3_int64)cap);
	sqlite3_bind_int(stmt, 16, q->overdue_only);
	sqlite3_bind_int64(stmt, 17, q->changed_from);
	sqlite3_bind_int(stmt, 18, q->severity);
}

/* Append up to @cap - *@n_io (key, id) pairs of page_sql(q->sort, @undated)
 * after (@after_key, @after_id). */
static int keys_part(bti_store *base, int undated, const bti_ticket_query *q,
		     int64_t after_key, int64_t after_id, int64_t *keys, int64_t *ids,
		     size_t cap, size_t *n_io)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	size_t n = *n_io;
	int rc = bti_sqlite_stmt(st, page_sql(q->sort, undated), &stmt);

	if (rc != BT_OK)
		return rc;
	bind_query(stmt, q, after_key, after_id, cap - n);
	while (n < cap && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		keys[n] = sqlite3_column_int64(stmt, 0);
		ids[n] = sqlite3_column_int64(stmt, 1);
		n++;
	}
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		rc = BT_OK;
	else
		rc = bti_sqlite_fail(st->sql, rc, "listing tickets");
	bti_sqlite_release(stmt);
	*n_io = n;
	return rc;
}

/* A listing's key batches grow from 64 pairs (ticket_iter.c), so one of
 * 512 means a long listing.  By last occurrence and by count it reads the
 * rows in an order unrelated to where they lie, and through SQLite's
 * default 2 MB cache that was a pread a row, a third of a 100k listing's
 * time; a cache the size of a 100k tickets table (24 MB) reads each page
 * once.  The other orders end in id order, which reads rows near each
 * other: there the larger cache only cost mallocs (0.5 -> 0.6 s).  The
 * handle keeps the limit; memory is taken only as pages are read. */
#define LISTING_CACHE "PRAGMA cache_size=-32768" /* KiB */
#define LISTING_BATCH 512

static void grow_cache(bti_sqlite_store *st, const bti_ticket_query *q, size_t cap)
{
	if (cap < LISTING_BATCH || st->cache_grown ||
	    (q->sort != BT_SORT_LAST_OCCURRED && q->sort != BT_SORT_OCCURRENCES))
		return;
	st->cache_grown = 1;
	/* A hint: a failure leaves the default cache, and no error. */
	(void)sqlite3_exec(st->sql, LISTING_CACHE, NULL, NULL, NULL);
}

int bti_sqlite_op_ticket_keys(bti_store *base, const bti_ticket_query *q, int64_t *keys,
			      int64_t *ids, size_t cap, size_t *n_out)
{
	grow_cache((bti_sqlite_store *)base, q, cap);
	return bti_ticket_keys_walk(base, keys_part, q, keys, ids, cap, n_out);
}
