/*
 * store/postgresql/reports.c - the SQL of the reports (bt_aggregate_iter),
 * in PostgreSQL's dialect: the statements of store/sqlite/reports.c, over
 * the same tables (ticket_days and each ticket's current day, from
 * 0009_occurrence_days; report_days, from 0010_report_days) and with the
 * same answers, so that a report reads the same on either backend.
 *
 * Two things differ from SQLite and are spelled out here:
 *  - text order: SQLite compares text byte by byte; PostgreSQL by the
 *    database's collation.  Where an order shows (the components, a day's
 *    rows), the comparison is COLLATE "C", which is byte order.
 *  - NULL order: SQLite sorts NULL first, PostgreSQL last; NULLS FIRST.
 * Ranges arrive resolved: [from, to) with INT64_MIN / INT64_MAX for an open
 * end; days as bti_day_of numbers, both inclusive.
 */
#include <stdint.h>
#include <string.h>

#include "store_postgresql.h"
#include "vocab.h"

#define OPEN_STATUSES "('new', 'triaged', 'in_progress', 'awaiting_verification')"
#define FROM "$1::bigint"
#define TO "$2::bigint"
/* The occurrences of days d0..d1, as (ticket_id, n) rows. */
#define DAYS(d0, d1) \
	"SELECT ticket_id, occurrences AS n FROM ticket_days" \
	" WHERE day BETWEEN " d0 "::bigint AND " d1 "::bigint" \
	" UNION ALL SELECT id, last_day_count FROM tickets" \
	" WHERE last_day BETWEEN " d0 "::bigint AND " d1 "::bigint AND last_day_count > 0"

/* $3, $4: the range's days. */
static const char SQL_SUMMARY[] =
	"SELECT o.n, o.seen,"
	" (SELECT count(*) FROM tickets WHERE created_at >= " FROM " AND created_at < " TO "),"
	" (SELECT count(*) FROM tickets WHERE resolved_at >= " FROM " AND resolved_at < " TO "),"
	" (SELECT count(*) FROM ticket_events"
	"  WHERE kind = 'regressed' AND created_at >= " FROM " AND created_at < " TO "),"
	" (SELECT count(*) FROM tickets WHERE status IN " OPEN_STATUSES ")"
	" FROM (SELECT coalesce(sum(n), 0) AS n, count(DISTINCT ticket_id) AS seen"
	"       FROM (" DAYS("$3", "$4") ") AS d) AS o";

/* $1, $2: the days; $3 < 0: the first page; else the rows after ($3
 * occurrences, id $4). */
static const char SQL_TOP_PAGE[] =
	"SELECT t.id, g.n, t.occurrence_count, t.last_occurred_at, t.number, t.status,"
	" t.severity, t.component, t.title"
	" FROM (SELECT ticket_id, sum(n) AS n FROM (" DAYS("$1", "$2") ") AS d"
	"       GROUP BY ticket_id) AS g"
	" JOIN tickets AS t ON t.id = g.ticket_id"
	" WHERE $3::bigint < 0 OR g.n < $3::bigint OR (g.n = $3::bigint AND t.id > $4::bigint)"
	" ORDER BY g.n DESC, t.id LIMIT $5::bigint";

/* A component is one that tickets have.  min() over component is an index
 * seek when the database's collation is "C"; otherwise (COLLATE "C" makes
 * byte order, SQLite's, the order of the components) PostgreSQL reads the
 * column. */
static const char SQL_FIRST_COMPONENT[] =
	"SELECT min(component COLLATE \"C\") FROM tickets WHERE component IS NOT NULL";
static const char SQL_NEXT_COMPONENT[] =
	"SELECT min(component COLLATE \"C\") FROM tickets WHERE component COLLATE \"C\" > $1::text";

/* SQLite's "component IS ?3" is one statement for a component and for
 * NULL; PostgreSQL's IS NOT DISTINCT FROM would not use the indexes, so
 * there is one statement for each, the days after the component.
 * Equality is the same in every collation. */
#define COMPONENT_COUNTS(match, key, d0, d1) \
	"SELECT" \
	" (SELECT coalesce(sum(occurrences), 0) FROM report_days" \
	"  WHERE day BETWEEN " d0 "::bigint AND " d1 "::bigint AND c = " key ")" \
	" + (SELECT coalesce(sum(last_day_count), 0) FROM tickets" \
	"    WHERE " match " AND last_day BETWEEN " d0 "::bigint AND " d1 "::bigint)," \
	" (SELECT count(*) FROM tickets" \
	"  WHERE " match " AND created_at >= " FROM " AND created_at < " TO ")," \
	" (SELECT count(*) FROM tickets WHERE " match " AND status IN " OPEN_STATUSES ")"
static const char SQL_COMPONENT[] =
	COMPONENT_COUNTS("component = $3::text", "'=' || $3::text", "$4", "$5");
static const char SQL_COMPONENT_NULL[] = COMPONENT_COUNTS("component IS NULL", "''", "$3", "$4");

/* The first day with occurrences or a new ticket; $3, $4: the days. */
static const char SQL_NEXT_ACTIVITY[] =
	"SELECT min(t) FROM (SELECT min(day) * 86400000 AS t FROM ticket_days"
	"  WHERE day BETWEEN $3::bigint AND $4::bigint"
	" UNION ALL SELECT min(last_day) * 86400000 FROM tickets"
	"  WHERE last_day BETWEEN $3::bigint AND $4::bigint"
	" UNION ALL SELECT min(created_at) FROM tickets"
	"  WHERE created_at >= " FROM " AND created_at < " TO ") AS m";

/* One day's components, NULL first; $3 = 0: from the start, else after $4
 * (NULL: after the NULL component); $6: the day.  Byte order, as SQLite's.
 * The filed days come summed from report_days, the current ones from the
 * day's tickets. */
static const char SQL_DAY_PAGE[] =
	"SELECT c, sum(o), sum(n) FROM ("
	"  SELECT CASE WHEN c = '' THEN NULL ELSE substr(c, 2) END COLLATE \"C\" AS c,"
	"  occurrences AS o, 0 AS n"
	"  FROM report_days WHERE day = $6::bigint AND occurrences > 0"
	"  UNION ALL"
	"  SELECT component COLLATE \"C\", sum(last_day_count), 0 FROM tickets"
	"  WHERE last_day = $6::bigint AND last_day_count > 0 GROUP BY component"
	"  UNION ALL"
	"  SELECT component COLLATE \"C\", 0, count(*) FROM tickets"
	"  WHERE created_at >= " FROM " AND created_at < " TO " GROUP BY component) AS u"
	" WHERE $3::integer = 0 OR ($4::text IS NULL AND c IS NOT NULL) OR c > $4::text"
	" GROUP BY c ORDER BY c NULLS FIRST LIMIT $5::bigint";

/* Per severity and over all ('all'): count, mean, and the median as the
 * mean of the middle one or two values, exactly as SQLite computes them:
 * its avg() of integers is the sum made a double, divided by the count as
 * a double, and its round() is the sign times trunc(|x| + 0.5) in double
 * (half away from zero).  PostgreSQL's avg(bigint) is an exact numeric and
 * its round(float8) rounds half to even, so both are spelled out here in
 * float8, which rounds as C's doubles do.  (n + 1) / 2 and (n + 2) / 2 are
 * integer divisions on both. */
#define SQLITE_ROUND(x) "(sign(" x ") * trunc(abs(" x ") + 0.5::float8))::bigint"
#define SQLITE_AVG(t) "(sum(" t ")::float8 / count(" t ")::float8)"
static const char SQL_MTTR[] =
	"WITH d AS (SELECT severity AS s, resolved_at - created_at AS t FROM tickets"
	"           WHERE resolved_at >= " FROM " AND resolved_at < " TO "),"
	" a AS (SELECT s, t FROM d UNION ALL SELECT 'all', t FROM d),"
	" r AS (SELECT s, t, row_number() OVER (PARTITION BY s ORDER BY t) AS i,"
	"              count(*) OVER (PARTITION BY s) AS n FROM a),"
	" g AS (SELECT s, count(*) AS n, " SQLITE_AVG("t") " AS mean,"
	"       " SQLITE_AVG("CASE WHEN i IN ((n + 1) / 2, (n + 2) / 2) THEN t END") " AS mid"
	"       FROM r GROUP BY s)"
	" SELECT s, n, " SQLITE_ROUND("mean") ", " SQLITE_ROUND("mid") " FROM g";

static void range_params(bti_pg_params *p, int64_t from, int64_t to)
{
	bti_pg_params_init(p);
	bti_pg_int(p, from);
	bti_pg_int(p, to);
}

/* The days of [from, to), as the next two parameters. */
static void day_params(bti_pg_params *p, int64_t from, int64_t to)
{
	bti_pg_int(p, bti_day_of(from));
	bti_pg_int(p, bti_day_of(to - 1));
}

int bti_pg_op_report_summary(bti_store *base, int64_t from, int64_t to, bti_report_summary *out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	int rc;

	range_params(&p, from, to);
	day_params(&p, from, to);
	rc = bti_pg_exec(st, SQL_SUMMARY, &p, &res, "reading the summary");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) > 0) {
		out->occurrences = bti_pg_get_int(res, 0, 0);
		out->tickets_seen = bti_pg_get_int(res, 0, 1);
		out->new_tickets = bti_pg_get_int(res, 0, 2);
		out->resolved = bti_pg_get_int(res, 0, 3);
		out->regressions = bti_pg_get_int(res, 0, 4);
		out->open_now = bti_pg_get_int(res, 0, 5);
	}
	PQclear(res);
	return BT_OK;
}

/* bti_report_top_row_clear and bti_report_group_row_clear are the SQLite
 * backend's (store/sqlite/reports.c), which every build has. */

/* Out of memory copying a column: the SQLite backend's message. */
static int dup_column(const PGresult *r, int row, int col, char **out)
{
	int rc = bti_pg_get_text(r, row, col, out);

	return rc == BT_OK ? BT_OK : bti_error(BT_ENOMEM, "reading a report: out of memory");
}

static int read_top_row(const PGresult *r, int i, bti_report_top_row *row)
{
	int rc;

	memset(row, 0, sizeof(*row));
	row->id = bti_pg_get_int(r, i, 0);
	row->occurrences = bti_pg_get_int(r, i, 1);
	row->occurrence_count = bti_pg_get_int(r, i, 2);
	row->last_occurred_at = bti_pg_get_int(r, i, 3);
	rc = dup_column(r, i, 4, &row->number);
	if (rc == BT_OK)
		rc = dup_column(r, i, 5, &row->status);
	if (rc == BT_OK)
		rc = dup_column(r, i, 6, &row->severity);
	if (rc == BT_OK)
		rc = dup_column(r, i, 7, &row->component);
	if (rc == BT_OK)
		rc = dup_column(r, i, 8, &row->title);
	if (rc != BT_OK)
		bti_report_top_row_clear(row);
	return rc;
}

int bti_pg_op_report_top_page(bti_store *base, int64_t from, int64_t to, int64_t after_count,
			      int64_t after_id, bti_report_top_row *rows, size_t cap, size_t *n_out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	size_t n = 0;
	int rc;

	*n_out = 0;
	bti_pg_params_init(&p);
	day_params(&p, from, to);
	bti_pg_int(&p, after_count);
	bti_pg_int(&p, after_id);
	bti_pg_int(&p, (int64_t)cap);
	rc = bti_pg_exec(st, SQL_TOP_PAGE, &p, &res, "reading the top tickets");
	if (rc != BT_OK)
		return rc;
	while (n < cap && n < (size_t)PQntuples(res)) {
		rc = read_top_row(res, (int)n, &rows[n]);
		if (rc != BT_OK)
			break;
		n++;
	}
	PQclear(res);
	if (rc != BT_OK) {
		while (n)
			bti_report_top_row_clear(&rows[--n]);
		return rc;
	}
	*n_out = n;
	return BT_OK;
}

/* The least component after @after (NULL: the first named one), or
 * BT_ITEROVER. */
static int next_component(bti_store *base, const char *after, char **out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	int rc;

	*out = NULL;
	bti_pg_params_init(&p);
	if (after)
		bti_pg_text(&p, after);
	rc = bti_pg_exec(st, after ? SQL_NEXT_COMPONENT : SQL_FIRST_COMPONENT, &p, &res,
			 "reading the components");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) > 0)
		rc = dup_column(res, 0, 0, out);
	PQclear(res);
	return rc == BT_OK && !*out ? BT_ITEROVER : rc;
}

static int component_counts(bti_store *base, int64_t from, int64_t to, const char *component,
			    bti_report_group_row *out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	int rc;

	range_params(&p, from, to);
	if (component)
		bti_pg_text(&p, component);
	day_params(&p, from, to);
	rc = bti_pg_exec(st, component ? SQL_COMPONENT : SQL_COMPONENT_NULL, &p, &res,
			 "reading a component");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) > 0) {
		out->occurrences = bti_pg_get_int(res, 0, 0);
		out->new_tickets = bti_pg_get_int(res, 0, 1);
		out->open_now = bti_pg_get_int(res, 0, 2);
	}
	PQclear(res);
	return BT_OK;
}

/* One component at a time (PostgreSQL reads each from its indexes). */
int bti_pg_op_report_component_page(bti_store *base, int64_t from, int64_t to, int has_after,
				    const char *after, bti_report_group_row *rows, size_t cap,
				    size_t *n_out)
{
	size_t n = 0;
	int rc = BT_OK;

	*n_out = 0;
	while (n < cap) {
		char *name = NULL;

		if (has_after && (rc = next_component(base, after, &name)) != BT_OK)
			break;
		memset(&rows[n], 0, sizeof(rows[n]));
		rc = component_counts(base, from, to, name, &rows[n]);
		if (rc != BT_OK) {
			bti_free(name);
			break;
		}
		rows[n].component = name;
		after = name;
		has_after = 1;
		n++;
	}
	if (rc != BT_OK && rc != BT_ITEROVER) {
		while (n)
			bti_report_group_row_clear(&rows[--n]);
		return rc;
	}
	*n_out = n;
	return BT_OK;
}

int bti_pg_op_report_next_activity(bti_store *base, int64_t at, int64_t to, int64_t *out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	int rc;

	range_params(&p, at, to);
	day_params(&p, at, to);
	rc = bti_pg_exec(st, SQL_NEXT_ACTIVITY, &p, &res, "reading the days");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
		/* A day's first millisecond may precede the range. */
		*out = bti_pg_get_int(res, 0, 0);
		if (*out < at)
			*out = at;
	} else {
		rc = BT_ITEROVER;
	}
	PQclear(res);
	return rc;
}

int bti_pg_op_report_day_page(bti_store *base, int64_t from, int64_t to, int has_after,
			      const char *after, bti_report_group_row *rows, size_t cap,
			      size_t *n_out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	size_t n = 0;
	int rc;

	*n_out = 0;
	range_params(&p, from, to);
	bti_pg_int(&p, has_after != 0);
	bti_pg_text(&p, after);
	bti_pg_int(&p, (int64_t)cap);
	bti_pg_int(&p, bti_day_of(from));
	rc = bti_pg_exec(st, SQL_DAY_PAGE, &p, &res, "reading a day");
	if (rc != BT_OK)
		return rc;
	while (n < cap && n < (size_t)PQntuples(res)) {
		rc = dup_column(res, (int)n, 0, &rows[n].component);
		if (rc != BT_OK)
			break;
		rows[n].occurrences = bti_pg_get_int(res, (int)n, 1);
		rows[n].new_tickets = bti_pg_get_int(res, (int)n, 2);
		rows[n].open_now = 0;
		n++;
	}
	PQclear(res);
	if (rc != BT_OK) {
		while (n)
			bti_report_group_row_clear(&rows[--n]);
		return rc;
	}
	*n_out = n;
	return BT_OK;
}

int bti_pg_op_report_mttr(bti_store *base, int64_t from, int64_t to, bti_report_mttr_row out[5])
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	int rc, i;

	for (i = 0; i < 5; i++)
		out[i].resolved = out[i].mean_ms = out[i].median_ms = 0;
	range_params(&p, from, to);
	rc = bti_pg_exec(st, SQL_MTTR, &p, &res, "reading the time to resolve");
	if (rc != BT_OK)
		return rc;
	for (i = 0; i < PQntuples(res); i++) {
		const char *s = PQgetvalue(res, i, 0);
		int sev = strcmp(s, "all") == 0 ? 0 : bti_severity_from_name(s);

		if (sev == 0 && strcmp(s, "all") != 0)
			continue; /* cannot happen: severity has a CHECK */
		out[sev].resolved = bti_pg_get_int(res, i, 1);
		out[sev].mean_ms = bti_pg_get_int(res, i, 2);
		out[sev].median_ms = bti_pg_get_int(res, i, 3);
	}
	PQclear(res);
	return BT_OK;
}
