/*
 * store/sqlite/reports.c - the SQL of the reports (bt_aggregate_iter).
 *
 * Occurrences are counted exactly, per ticket and UTC day: ticket_days
 * holds a ticket's finished days and the ticket row its current one
 * (0009_occurrence_days), so a report reads one entry per ticket and day,
 * from ticket_days_day and tickets_last_day, however many occurrences
 * there were; components and daily read the filed days summed per day and
 * component (report_days, 0010_report_days) and only the current days
 * per ticket.  Every ticket column a report counts by is in an index
 * (0012_report_covering), so no report reads a ticket row but those it
 * shows.  Ticket counts (new, resolved, open) stay exact to the
 * millisecond.  tests/test_report.c checks the plans.  Grouping happens per
 * unit the caller pages through (a page of components, one day, a page of
 * tickets), so no statement stays open between the iterator's calls.
 * Ranges arrive resolved: [from, to) with INT64_MIN / INT64_MAX for an open
 * end; days as bti_day_of numbers, both inclusive.
 */
#include <stdint.h>
#include <string.h>

#include "store_sqlite.h"
#include "vocab.h"

#define OPEN_STATUSES "('new', 'triaged', 'in_progress', 'awaiting_verification')"
/* The occurrences of days d0..d1, as (ticket_id, n) rows: each ticket's
 * filed days and its current one. */
#define DAYS(d0, d1) \
	"SELECT ticket_id, occurrences AS n FROM ticket_days WHERE day BETWEEN " d0 " AND " d1 \
	" UNION ALL SELECT id, last_day_count FROM tickets" \
	" WHERE last_day BETWEEN " d0 " AND " d1 " AND last_day_count > 0"
/* A component as report_days keys it (0010_report_days): '' for none. */
#define C_KEY(p) "coalesce('=' || " p ", '')"

/* Whether days d0..d1 hold every day with occurrences: min() and max()
 * over two indexes. */
#define COVERS_ALL(d0, d1) \
	"(" d0 " <= coalesce((SELECT min(day) FROM ticket_days), " d0 ")" \
	" AND " d0 " <= coalesce((SELECT min(last_day) FROM tickets), " d0 ")" \
	" AND " d1 " >= coalesce((SELECT max(day) FROM ticket_days), " d1 ")" \
	" AND " d1 " >= coalesce((SELECT max(last_day) FROM tickets), " d1 "))"
static const char SQL_COVERS_ALL[] = "SELECT " COVERS_ALL("?1", "?2");

/* ?1, ?2: the range; ?3, ?4: its days.  When they cover every day with
 * occurrences, a ticket was seen in them if it was ever seen: its current
 * day counts, or (rarely, after a merge) it has a filed day. */
static const char SQL_SUMMARY[] =
	"SELECT"
	" (SELECT coalesce(sum(occurrences), 0) FROM report_days WHERE day BETWEEN ?3 AND ?4)"
	" + (SELECT coalesce(sum(last_day_count), 0) FROM tickets WHERE last_day BETWEEN ?3 AND ?4),"
	" CASE WHEN " COVERS_ALL("?3", "?4") " THEN (SELECT count(*) FROM tickets WHERE last_day >= 0"
	"   AND (last_day_count > 0 OR EXISTS (SELECT 1 FROM ticket_days WHERE ticket_id = tickets.id)))"
	" ELSE (SELECT count(DISTINCT ticket_id) FROM (" DAYS("?3", "?4") ")) END,"
	" (SELECT count(*) FROM tickets WHERE created_at >= ?1 AND created_at < ?2),"
	" (SELECT count(*) FROM tickets WHERE resolved_at >= ?1 AND resolved_at < ?2),"
	" (SELECT count(*) FROM ticket_events"
	"  WHERE kind = 'regressed' AND created_at >= ?1 AND created_at < ?2),"
	" (SELECT count(*) FROM tickets WHERE status IN " OPEN_STATUSES ")";

/* ?1, ?2: the days; ?3 < 0: the first page; else the rows after (?3
 * occurrences, id ?4).  The page is chosen before its rows are read. */
static const char SQL_TOP_PAGE[] =
	"SELECT t.id, g.n, t.occurrence_count, t.last_occurred_at, t.number, t.status,"
	" t.severity, t.component, t.title"
	" FROM (SELECT ticket_id, n FROM"
	"  (SELECT ticket_id, sum(n) AS n FROM (" DAYS("?1", "?2") ") GROUP BY ticket_id)"
	"  WHERE ?3 < 0 OR n < ?3 OR (n = ?3 AND ticket_id > ?4)"
	"  ORDER BY n DESC, ticket_id LIMIT ?5) AS g"
	" JOIN tickets AS t ON t.id = g.ticket_id ORDER BY g.n DESC, t.id";
/* When the days cover every day with occurrences, a ticket's occurrences
 * in them are all of them: occurrence_count, which capture and merge keep
 * equal to its filed days plus its current one for every ticket with a
 * day (tests/test_report.c checks it; a merged duplicate has none, even
 * once the ticket it went into is deleted and duplicate_of cleared),
 * read in order from tickets_count_floor (0011) rather than summed from
 * every filed day.  ?3: INT64_MAX on the first page. */
static const char SQL_TOP_PAGE_ALL[] =
	"SELECT t.id, t.occurrence_count, t.occurrence_count, t.last_occurred_at, t.number, t.status,"
	" t.severity, t.component, t.title FROM tickets AS t"
	" WHERE t.count_floor <= " BTI_SQLITE_COUNT_FLOOR("?3")
	" AND t.last_day IS NOT NULL AND t.occurrence_count > 0"
	" AND (t.occurrence_count < ?3 OR (t.occurrence_count = ?3 AND t.id > ?4))"
	" ORDER BY t.count_floor DESC, t.occurrence_count DESC, t.id LIMIT ?5";

/* A page of components (?3 = 0: from the NULL one; else after ?4, NULL:
 * after the NULL one), ?5 of them; ?1, ?2: the range, ?6, ?7: its days.
 * Three grouped reads, each from one index: the filed days (report_days),
 * the current days (tickets_last_day), and the new and open tickets
 * (tickets_component, in component order).  A page reads the whole range,
 * hence COMPONENT_ROWS in aggregate.c. */
static const char SQL_COMPONENT_PAGE[] =
	"SELECT c, sum(o), sum(n), sum(k) FROM ("
	"  SELECT CASE WHEN c = '' THEN NULL ELSE substr(c, 2) END AS c, sum(occurrences) AS o,"
	"   0 AS n, 0 AS k FROM report_days WHERE day BETWEEN ?6 AND ?7 GROUP BY c"
	"  UNION ALL"
	"  SELECT component, sum(last_day_count), 0, 0 FROM tickets"
	"  WHERE last_day BETWEEN ?6 AND ?7 GROUP BY component"
	"  UNION ALL"
	"  SELECT component, 0, sum(created_at >= ?1 AND created_at < ?2),"
	"   sum(status IN " OPEN_STATUSES ") FROM tickets GROUP BY component)"
	" WHERE ?3 = 0 OR (?4 IS NULL AND c IS NOT NULL) OR c > ?4"
	" GROUP BY c ORDER BY c LIMIT ?5";

/* The first day with occurrences or a new ticket, as its first millisecond
 * (or the new ticket's time); ?3, ?4: the days of [?1, ?2).  A min() over
 * an index each. */
static const char SQL_NEXT_ACTIVITY[] =
	"SELECT min(t) FROM (SELECT min(day) * 86400000 AS t FROM ticket_days"
	"  WHERE day BETWEEN ?3 AND ?4"
	" UNION ALL SELECT min(last_day) * 86400000 FROM tickets WHERE last_day BETWEEN ?3 AND ?4"
	" UNION ALL SELECT min(created_at) FROM tickets WHERE created_at >= ?1 AND created_at < ?2)";

/* One day's components, NULL first; ?3 = 0: from the start, else after ?4
 * (NULL: after the NULL component); ?6 = ?7: the day.  The filed days come
 * summed from report_days, the current ones from the day's tickets; the
 * open tickets are not counted per day. */
static const char SQL_DAY_PAGE[] =
	"SELECT c, sum(o), sum(n), 0 FROM ("
	"  SELECT CASE WHEN c = '' THEN NULL ELSE substr(c, 2) END AS c, occurrences AS o, 0 AS n"
	"  FROM report_days WHERE day BETWEEN ?6 AND ?7 AND occurrences > 0"
	"  UNION ALL"
	"  SELECT component, sum(last_day_count), 0 FROM tickets"
	"  WHERE last_day BETWEEN ?6 AND ?7 AND last_day_count > 0 GROUP BY component"
	"  UNION ALL"
	"  SELECT component, 0, count(*) FROM tickets"
	"  WHERE created_at >= ?1 AND created_at < ?2 GROUP BY component)"
	" WHERE ?3 = 0 OR (?4 IS NULL AND c IS NOT NULL) OR c > ?4"
	" GROUP BY c ORDER BY c LIMIT ?5";

/* Per severity and over all ('all'): count, mean, and the median as the
 * mean of the middle one or two values. */
static const char SQL_MTTR[] =
	"WITH d AS (SELECT severity AS s, resolved_at - created_at AS t FROM tickets"
	"           WHERE resolved_at >= ?1 AND resolved_at < ?2),"
	" a AS (SELECT s, t FROM d UNION ALL SELECT 'all', t FROM d),"
	" r AS (SELECT s, t, row_number() OVER (PARTITION BY s ORDER BY t) AS i,"
	"              count(*) OVER (PARTITION BY s) AS n FROM a)"
	" SELECT s, count(*), CAST(round(avg(t)) AS INTEGER),"
	" CAST(round(avg(CASE WHEN i IN ((n + 1) / 2, (n + 2) / 2) THEN t END)) AS INTEGER)"
	" FROM r GROUP BY s";

/* Finish a statement's rows: BT_OK, or the SQLite failure as an error. */
static int finish(bti_sqlite_store *st, sqlite3_stmt *stmt, int rc, const char *what)
{
	if (rc == SQLITE_DONE || rc == SQLITE_ROW || rc == BT_OK)
		rc = BT_OK;
	else if (rc > 0)
		rc = bti_sqlite_fail(st->sql, rc, what);
	bti_sqlite_release(stmt);
	return rc;
}

/* A copy of text column @col (NULL stays NULL). */
static int dup_column(bti_sqlite_store *st, sqlite3_stmt *stmt, int col, char **out)
{
	const char *s = (const char *)sqlite3_column_text(stmt, col);

	*out = NULL;
	if (!s) {
		if (sqlite3_column_type(stmt, col) != SQLITE_NULL || sqlite3_errcode(st->sql) == SQLITE_NOMEM)
			return bti_error(BT_ENOMEM, "reading a report: out of memory");
		return BT_OK;
	}
	*out = bti_strdup(s);
	return *out ? BT_OK : bti_error(BT_ENOMEM, "reading a report: out of memory");
}

/* Whether days d0..d1 hold every day with occurrences. */
static int covers_all(bti_sqlite_store *st, int64_t d0, int64_t d1, int *out)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_COVERS_ALL, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, d0);
	sqlite3_bind_int64(stmt, 2, d1);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(stmt, 0);
	return finish(st, stmt, rc, "reading the report's days");
}

int bti_sqlite_op_report_summary(bti_store *base, int64_t from, int64_t to, bti_report_summary *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_SUMMARY, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, from);
	sqlite3_bind_int64(stmt, 2, to);
	sqlite3_bind_int64(stmt, 3, bti_day_of(from));
	sqlite3_bind_int64(stmt, 4, bti_day_of(to - 1));
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		out->occurrences = sqlite3_column_int64(stmt, 0);
		out->tickets_seen = sqlite3_column_int64(stmt, 1);
		out->new_tickets = sqlite3_column_int64(stmt, 2);
		out->resolved = sqlite3_column_int64(stmt, 3);
		out->regressions = sqlite3_column_int64(stmt, 4);
		out->open_now = sqlite3_column_int64(stmt, 5);
	}
	return finish(st, stmt, rc, "reading the summary");
}

void bti_report_top_row_clear(bti_report_top_row *row)
{
	bti_free(row->number);
	bti_free(row->status);
	bti_free(row->severity);
	bti_free(row->component);
	bti_free(row->title);
	row->number = row->status = row->severity = row->component = row->title = NULL;
}

static int read_top_row(bti_sqlite_store *st, sqlite3_stmt *stmt, bti_report_top_row *row)
{
	int rc;

	row->id = sqlite3_column_int64(stmt, 0);
	row->occurrences = sqlite3_column_int64(stmt, 1);
	row->occurrence_count = sqlite3_column_int64(stmt, 2);
	row->last_occurred_at = sqlite3_column_int64(stmt, 3);
	rc = dup_column(st, stmt, 4, &row->number);
	if (rc == BT_OK)
		rc = dup_column(st, stmt, 5, &row->status);
	if (rc == BT_OK)
		rc = dup_column(st, stmt, 6, &row->severity);
	if (rc == BT_OK)
		rc = dup_column(st, stmt, 7, &row->component);
	if (rc == BT_OK)
		rc = dup_column(st, stmt, 8, &row->title);
	if (rc != BT_OK)
		bti_report_top_row_clear(row);
	return rc;
}

int bti_sqlite_op_report_top_page(bti_store *base, int64_t from, int64_t to, int64_t after_count,
			      int64_t after_id, bti_report_top_row *rows, size_t cap, size_t *n_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	size_t n = 0;
	int all = 0, rc;

	*n_out = 0;
	/* One snapshot for the choice and the page. */
	rc = bti_sqlite_op_begin_read(base);
	if (rc != BT_OK)
		return rc;
	rc = covers_all(st, bti_day_of(from), bti_day_of(to - 1), &all);
	if (rc == BT_OK)
		rc = bti_sqlite_stmt(st, all ? SQL_TOP_PAGE_ALL : SQL_TOP_PAGE, &stmt);
	if (rc != BT_OK) {
		bti_sqlite_op_rollback(base);
		return rc;
	}
	sqlite3_bind_int64(stmt, 1, bti_day_of(from));
	sqlite3_bind_int64(stmt, 2, bti_day_of(to - 1));
	sqlite3_bind_int64(stmt, 3, all && after_count < 0 ? INT64_MAX : after_count);
	sqlite3_bind_int64(stmt, 4, after_id);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)cap);
	while (n < cap && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		rc = read_top_row(st, stmt, &rows[n]);
		if (rc != BT_OK)
			break;
		n++;
	}
	rc = finish(st, stmt, rc, "reading the top tickets");
	bti_sqlite_op_rollback(base);
	if (rc != BT_OK) {
		while (n)
			bti_report_top_row_clear(&rows[--n]);
		return rc;
	}
	*n_out = n;
	return BT_OK;
}

void bti_report_group_row_clear(bti_report_group_row *row)
{
	bti_free(row->component);
	row->component = NULL;
}

/* The rows of a page of components, SQL_COMPONENT_PAGE's or SQL_DAY_PAGE's
 * (their parameters are the same). */
static int group_page(bti_sqlite_store *st, const char *sql_text, int64_t from, int64_t to,
		      int has_after, const char *after, bti_report_group_row *rows, size_t cap,
		      size_t *n_out, const char *what)
{
	sqlite3_stmt *stmt;
	size_t n = 0;
	int rc = bti_sqlite_stmt(st, sql_text, &stmt);

	*n_out = 0;
	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, from);
	sqlite3_bind_int64(stmt, 2, to);
	sqlite3_bind_int(stmt, 3, has_after != 0);
	bti_bind_text(stmt, 4, after);
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)cap);
	sqlite3_bind_int64(stmt, 6, bti_day_of(from));
	sqlite3_bind_int64(stmt, 7, bti_day_of(to - 1));
	while (n < cap && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		rc = dup_column(st, stmt, 0, &rows[n].component);
		if (rc != BT_OK)
			break;
		rows[n].occurrences = sqlite3_column_int64(stmt, 1);
		rows[n].new_tickets = sqlite3_column_int64(stmt, 2);
		rows[n].open_now = sqlite3_column_int64(stmt, 3);
		n++;
	}
	rc = finish(st, stmt, rc, what);
	if (rc != BT_OK) {
		while (n)
			bti_report_group_row_clear(&rows[--n]);
		return rc;
	}
	*n_out = n;
	return BT_OK;
}

int bti_sqlite_op_report_component_page(bti_store *base, int64_t from, int64_t to, int has_after,
					const char *after, bti_report_group_row *rows,
					size_t cap, size_t *n_out)
{
	return group_page((bti_sqlite_store *)base, SQL_COMPONENT_PAGE, from, to, has_after, after,
			  rows, cap, n_out, "reading the components");
}

int bti_sqlite_op_report_next_activity(bti_store *base, int64_t at, int64_t to, int64_t *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_NEXT_ACTIVITY, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, at);
	sqlite3_bind_int64(stmt, 2, to);
	sqlite3_bind_int64(stmt, 3, bti_day_of(at));
	sqlite3_bind_int64(stmt, 4, bti_day_of(to - 1));
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(stmt, 0) == SQLITE_NULL) {
			rc = BT_ITEROVER;
		} else {
			/* A day's first millisecond may precede the range. */
			*out = sqlite3_column_int64(stmt, 0);
			if (*out < at)
				*out = at;
			rc = BT_OK;
		}
	}
	return finish(st, stmt, rc, "reading the days");
}

int bti_sqlite_op_report_day_page(bti_store *base, int64_t from, int64_t to, int has_after,
				   const char *after, bti_report_group_row *rows, size_t cap,
				   size_t *n_out)
{
	return group_page((bti_sqlite_store *)base, SQL_DAY_PAGE, from, to, has_after, after, rows,
			  cap, n_out, "reading a day");
}

int bti_sqlite_op_report_mttr(bti_store *base, int64_t from, int64_t to, bti_report_mttr_row out[5])
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_MTTR, &stmt), i;

	if (rc != BT_OK)
		return rc;
	for (i = 0; i < 5; i++)
		out[i].resolved = out[i].mean_ms = out[i].median_ms = 0;
	sqlite3_bind_int64(stmt, 1, from);
	sqlite3_bind_int64(stmt, 2, to);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(stmt, 0);
		int sev;

		if (!s)
			continue; /* out of memory reading it: sqlite3_step reports it */
		sev = strcmp(s, "all") == 0 ? 0 : bti_severity_from_name(s);
		if (sev == 0 && strcmp(s, "all") != 0)
			continue; /* cannot happen: severity has a CHECK */
		out[sev].resolved = sqlite3_column_int64(stmt, 1);
		out[sev].mean_ms = sqlite3_column_int64(stmt, 2);
		out[sev].median_ms = sqlite3_column_int64(stmt, 3);
	}
	return finish(st, stmt, rc, "reading the time to resolve");
}
