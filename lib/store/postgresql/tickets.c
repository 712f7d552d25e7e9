/*
 * store/postgresql/tickets.c - reading tickets: one by id, and filtered,
 * keyset-paginated listings (store/sqlite/tickets.c in PostgreSQL's
 * dialect).
 */
#include <ctype.h>
#include <string.h>

#include "casefold.h"
#include "store_postgresql.h"
#include "text.h"
#include "ticket.h"

static const char SQL_TICKET_GET[] =
	"SELECT " BTI_PG_TICKET_COLUMNS " FROM tickets WHERE id = $1::bigint";

/* The ranks equal the bt_status and bt_severity values. */
#define STATUS_RANK \
	"(CASE status WHEN 'new' THEN 1 WHEN 'triaged' THEN 2 WHEN 'in_progress' THEN 3" \
	" WHEN 'awaiting_verification' THEN 4 WHEN 'resolved' THEN 5 ELSE 6 END)"
#define SEVERITY_RANK \
	"(CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END)"
#define LAST_OCCURRED "coalesce(last_occurred_at, created_at)"

/* A zero or NULL parameter disables its filter, so one statement per sort
 * order serves every combination of filters.  Each parameter keeps one
 * type wherever it is used: PostgreSQL deduces it once per statement.
 * The text search ($12) is a regular expression that search_pattern()
 * builds from the folded needle: each of its letters becomes the group of
 * every code point that folds to it, so the server compares exactly as
 * the SQLite backend's bt_contains_folded() does, whatever its locale
 * (its lower() depends on the collation, and translate() with the whole
 * folding table took 28 s on 100k non-ASCII titles). */
#define FILTER_WHERE \
	" WHERE ($1::bigint = 0 OR (($1::bigint >> " STATUS_RANK ") & 1) <> 0)" \
	" AND ($2::integer = 0 OR " SEVERITY_RANK " >= $2::integer)" \
	" AND ($3::text IS NULL OR component = $3::text)" \
	" AND ($4::text IS NULL OR assignee = $4::text)" \
	" AND ($5::integer = 0 OR ($5::integer = 1)" \
	"      = (claim_expires_at IS NOT NULL AND claim_expires_at > $6::bigint))" \
	" AND ($7::bigint = 0 OR created_at >= $7::bigint)" \
	" AND ($8::bigint = 0 OR created_at < $8::bigint)" \
	" AND ($9::bigint = 0 OR " LAST_OCCURRED " >= $9::bigint)" \
	" AND ($10::bigint = 0 OR " LAST_OCCURRED " < $10::bigint)" \
	" AND ($11::integer = 0 OR regression_count > 0)" \
	" AND ($12::text IS NULL OR title COLLATE \"C\" ~ $12::text" \
	"      OR error_message COLLATE \"C\" ~ $12::text" \
	"      OR description COLLATE \"C\" ~ $12::text)" \
	" AND ($16::integer = 0 OR (status NOT IN ('resolved', 'closed') AND sla_due_at < $6::bigint))" \
	" AND ($17::bigint = 0 OR updated_at >= $17::bigint OR last_occurred_at >= $17::bigint)" \
	" AND ($18::integer = 0 OR " SEVERITY_RANK " = $18::integer)"

/* Keyset pagination: rows strictly after ($13, $14) in (key, id) order,
 * written as a range on the key so that an index seeks to the position;
 * the first page binds the largest values.  Every key is NOT NULL. */
#define POSITION(key) \
	" AND " key " <= $13::bigint AND (" key " < $13::bigint OR id < $14::bigint)"
#define PAGE_SQL(key, where, order) \
	"SELECT " key ", id FROM tickets" FILTER_WHERE where \
	" ORDER BY " order " LIMIT $15::bigint"
#define KEYED_PAGE_SQL(key) PAGE_SQL(key, POSITION(key), key " DESC, id DESC")

/* By last occurrence, through tickets_last_day, then the merged duplicates
 * (no last_day), as in the SQLite backend (BTI_KEY_UNDATED_BELOW). */
#define UNDATED_KEY "(-4611686018427387904)"
static const char SQL_PAGE_LAST[] =
	PAGE_SQL(LAST_OCCURRED,
		 " AND last_day <= greatest($13::bigint, 0) / 86400000" POSITION(LAST_OCCURRED),
		 "last_day DESC, " LAST_OCCURRED " DESC, id DESC");
static const char SQL_PAGE_UNDATED[] =
	PAGE_SQL(UNDATED_KEY, " AND last_day IS NULL" POSITION(UNDATED_KEY),
		 "id DESC");
/* By occurrences: tickets_count_floor holds the count to its leading digit
 * (migration 0011; triggers keep it), so the index walks the floors in
 * order and one floor's tickets are sorted at a time. */
#define COUNT_FLOOR(x) "CAST(substr(" x "::text, 1, 1) || substr('000000000000000000', 1, length(" x "::text) - 1) AS BIGINT)"
static const char SQL_PAGE_COUNT[] =
	PAGE_SQL("occurrence_count",
		 " AND count_floor <= " COUNT_FLOOR("$13::bigint") POSITION("occurrence_count"),
		 "count_floor DESC, occurrence_count DESC, id DESC");
static const char SQL_PAGE_SEVERITY[] = KEYED_PAGE_SQL(SEVERITY_RANK);
static const char SQL_PAGE_CREATED[] = KEYED_PAGE_SQL("created_at");

int bti_pg_read_ticket(const PGresult *r, int row, bt_ticket **out)
{
	bt_ticket *t = bti_calloc(1, sizeof(*t));
	int i;

	*out = NULL;
	if (!t)
		return bti_error(BT_ENOMEM, "reading a ticket: out of memory");
	for (i = 0; i < BTI_T_TEXT_COUNT; i++) {
		if (PQgetisnull(r, row, i))
			continue;
		t->text[i] = bti_strdup(PQgetvalue(r, row, i));
		if (!t->text[i]) {
			bt_ticket_free(t);
			return bti_error(BT_ENOMEM, "reading a ticket: out of memory");
		}
	}
	for (i = 0; i < BTI_T_INT_COUNT; i++)
		t->num[i] = bti_pg_get_int(r, row, BTI_T_TEXT_COUNT + i);
	*out = t;
	return BT_OK;
}

int bti_pg_op_ticket_get(bti_store *base, int64_t id, bt_ticket **out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	int rc;

	bti_pg_params_init(&p);
	bti_pg_int(&p, id);
	rc = bti_pg_exec(st, SQL_TICKET_GET, &p, &res, "bt_ticket_get");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) > 0)
		rc = bti_pg_read_ticket(res, 0, out);
	else
		rc = bti_error(BT_ENOTFOUND, "%s: no such ticket", "bt_ticket_get");
	PQclear(res);
	return rc;
}

/* A page's rows in one round trip (one a row was a round trip a row);
 * they come back in any order and are put in @ids' order. */
static const char SQL_TICKET_ROWS[] =
	"SELECT " BTI_PG_TICKET_COLUMNS " FROM tickets WHERE id = ANY ($1::bigint[])";

int bti_pg_op_ticket_rows(bti_store *base, const int64_t *ids, size_t n, bt_ticket **rows)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	char *list;
	size_t i, len = 0;
	int rc, row, rows_back;

	for (i = 0; i < n; i++)
		rows[i] = NULL;
	if (!n)
		return BT_OK;
	list = bti_malloc(n * 21 + 3); /* "{", ids of up to 20 characters and commas, "}" */
	if (!list)
		return bti_error(BT_ENOMEM, "listing tickets: out of memory");
	list[len++] = '{';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(list + len, 22, "%s%lld", i ? "," : "", (long long)ids[i]);
	list[len++] = '}';
	list[len] = '\0';
	bti_pg_params_init(&p);
	bti_pg_text(&p, list);
	rc = bti_pg_exec(st, SQL_TICKET_ROWS, &p, &res, "listing tickets");
	bti_free(list);
	if (rc != BT_OK)
		return rc;
	rows_back = PQntuples(res);
	for (row = 0; row < rows_back && rc == BT_OK; row++) {
		int64_t id = bti_pg_get_int(res, row, BTI_T_TEXT_COUNT + BTI_T_ID);

		for (i = 0; i < n && (ids[i] != id || rows[i]); i++)
			;
		if (i < n)
			rc = bti_pg_read_ticket(res, row, &rows[i]);
	}
	PQclear(res);
	if (rc != BT_OK)
		for (i = 0; i < n; i++) {
			bt_ticket_free(rows[i]);
			rows[i] = NULL;
		}
	return rc;
}

/* As store/sqlite/tickets.c: the newest log row's ticket, else the newest
 * ticket whose first occurrence had the trace id. */
static const char SQL_BY_TRACE_LOG[] =
	"SELECT ticket_id FROM error_logs WHERE trace_id = $1::text ORDER BY id DESC LIMIT 1";
static const char SQL_BY_TRACE_TICKET[] =
	"SELECT id FROM tickets WHERE trace_id = $1::text ORDER BY id DESC LIMIT 1";

static int trace_query(bti_pg_store *st, const char *sql_text, const char *trace_id,
		       int64_t *id_out)
{
	bti_pg_params p;
	PGresult *res;
	int rc;

	bti_pg_params_init(&p);
	bti_pg_text(&p, trace_id);
	rc = bti_pg_exec(st, sql_text, &p, &res, "finding a trace id's ticket");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) > 0)
		*id_out = bti_pg_get_int(res, 0, 0);
	else
		rc = BT_ENOTFOUND; /* the expected answer, not a failure */
	PQclear(res);
	return rc;
}

int bti_pg_op_ticket_by_trace_id(bti_store *base, const char *trace_id, int64_t *id_out)
{
	bti_pg_store *st = (bti_pg_store *)base;
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

/* The regular expression (an ARE, matched case-sensitively) that finds
 * @folded in any case: a code point that others fold to becomes a group
 * of them all ("(?:k|K|\u212A)": alternatives, not a bracket, so that a
 * database whose encoding is not UTF-8 compares their bytes exactly), an
 * ASCII punctuation character is escaped, any other is itself.  NULL when
 * memory runs out. */
static char *search_pattern(const char *folded)
{
	size_t len = strlen(folded), i = 0, o = 0, k, n;
	uint32_t src[8];
	/* A code point (one byte or more) becomes at most "(?:" + 8 * 4
	 * bytes + 7 "|" + ")". */
	char *out = len <= (SIZE_MAX - 1) / 43 ? bti_malloc(len * 43 + 1) : NULL;

	if (!out)
		return NULL;
	while (i < len) {
		uint32_t cp = bti_utf8_next(folded, len, &i);

		n = bti_casefold_sources(cp, src, sizeof(src) / sizeof(src[0]));
		if (n > sizeof(src) / sizeof(src[0]))
			n = sizeof(src) / sizeof(src[0]); /* none has more than 4 */
		if (n > 1) {
			memcpy(out + o, "(?:", 3);
			o += 3;
			for (k = 0; k < n; k++) {
				if (k > 0)
					out[o++] = '|';
				o += bti_utf8_put(src[k], out + o);
			}
			out[o++] = ')';
			continue;
		}
		if (cp < 0x80 && !isalnum((int)cp))
			out[o++] = '\\';
		o += bti_utf8_put(cp, out + o);
	}
	out[o] = '\0';
	return out;
}

static void bind_query(bti_pg_params *p, const bti_ticket_query *q, const char *pattern,
		       int64_t after_key, int64_t after_id, size_t cap)
{
	bti_pg_params_init(p);
	bti_pg_int(p, q->status_mask);
	bti_pg_int(p, q->min_severity);
	bti_pg_text(p, q->component);
	bti_pg_text(p, q->assignee);
	bti_pg_int(p, q->claimed);
	bti_pg_int(p, q->now);
	bti_pg_int(p, q->created_from);
	bti_pg_int(p, q->created_to);
	bti_pg_int(p, q->occurred_from);
	bti_pg_int(p, q->occurred_to);
	bti_pg_int(p, q->regressed_only);
	bti_pg_text(p, pattern);
	bti_pg_int(p, after_key);
	bti_pg_int(p, after_id);
	bti_pg_int(p, (int64_t)cap);
	bti_pg_int(p, q->overdue_only);
	bti_pg_int(p, q->changed_from);
	bti_pg_int(p, q->severity);
}

/* Append up to @cap - *@n_io (key, id) pairs of page_sql(q->sort, @undated)
 * after (@after_key, @after_id). */
static int keys_part(bti_store *base, int undated, const bti_ticket_query *q,
		     int64_t after_key, int64_t after_id, int64_t *keys, int64_t *ids,
		     size_t cap, size_t *n_io)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	size_t n = *n_io;
	int rc, row, rows_back;
	char *pattern = NULL;

	if (q->text && !(pattern = search_pattern(q->text)))
		return bti_error(BT_ENOMEM, "listing tickets: out of memory");
	bind_query(&p, q, pattern, after_key, after_id, cap - n);
	rc = bti_pg_exec(st, page_sql(q->sort, undated), &p, &res, "listing tickets");
	bti_free(pattern);
	if (rc != BT_OK)
		return rc;
	rows_back = PQntuples(res);
	for (row = 0; n < cap && row < rows_back; row++, n++) {
		keys[n] = bti_pg_get_int(res, row, 0);
		ids[n] = bti_pg_get_int(res, row, 1);
	}
	PQclear(res);
	*n_io = n;
	return BT_OK;
}

int bti_pg_op_ticket_keys(bti_store *base, const bti_ticket_query *q, int64_t *keys,
			  int64_t *ids, size_t cap, size_t *n_out)
{
	return bti_ticket_keys_walk(base, keys_part, q, keys, ids, cap, n_out);
}
