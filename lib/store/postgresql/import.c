/*
 * store/postgresql/import.c - the SQL behind bt_import_json on PostgreSQL:
 * writing imported tickets whole, with their ids, times and counts, as
 * store/sqlite/import.c does.  What a field means and whether a record is
 * valid is decided in lib/admin/import*.c, alike for every backend.
 *
 * Ids.  tickets.id is an identity column: its sequence gives each id once,
 * even to a transaction that rolls back, and never goes back, as SQLite's
 * AUTOINCREMENT does.  An imported ticket may bring its own id; the
 * sequence is then moved past it (setval), or the next ticket opened
 * without an id would be given the same one and fail.
 */
#include <stdio.h>
#include <string.h>

#include "store_postgresql.h"
#include "ticket.h"

static const char SQL_BY_EXTERNAL_ID[] = "SELECT id FROM tickets WHERE external_id = $1::text";
static const char SQL_ORIGIN[] =
	"SELECT created_at, fingerprint FROM tickets WHERE id = $1::bigint";

/* The sequence behind tickets.id, in the tickets table's schema (the
 * search_path's, which is the location's). */
#define TICKETS_SEQ "pg_get_serial_sequence('tickets', 'id')"
/* The largest id the sequence gave: pg_sequences.last_value is NULL until
 * it gives one.  The next id it gives is one more (increment 1, and the
 * identity's cache of 1, so no other session holds ids in reserve). */
#define SEQ_LAST \
	"(SELECT s.last_value FROM pg_catalog.pg_sequences AS s" \
	" WHERE format('%I.%I', s.schemaname, s.sequencename) = " TICKETS_SEQ ")"

/* max(id) too: a row written with an explicit id by something else than
 * this library (psql) does not move the sequence. */
static const char SQL_ID_HIGH[] =
	"SELECT greatest(coalesce(" SEQ_LAST ", 0), coalesce((SELECT max(id) FROM tickets), 0))";

/* Move the sequence up to $1 if it is below: setval only ever raises it
 * here (the import holds the writer lock, so no other writer of this
 * library moves it between the test and the set).  Like nextval, setval
 * is not undone by a rollback: an import that fails leaves a gap in the
 * ids, never an id given twice. */
static const char SQL_ID_ADVANCE[] =
	"SELECT setval(" TICKETS_SEQ ", $1::bigint)"
	" WHERE $1::bigint > coalesce(" SEQ_LAST ", 0)";

/* $1 id (NULL: the next of the sequence), then the text columns in the
 * order of enum bti_ticket_text ($2 title .. $30 claim_token), then the
 * integer ones in the order of enum bti_ticket_int ($31 occurrence_count
 * .. $43 sla_due_at), then $44 dedup_active and $45 grouping_version.  A
 * NULL cannot ask for an identity's default, hence the coalesce. */
static const char SQL_INSERT_TICKET[] =
	"INSERT INTO tickets (id, title, status, severity, component, fingerprint,"
	" grouping_input, error_message, stack_trace, description, priority, category, source,"
	" reporter, assignee, error_type, service, host, environment, release_sha, trace_id,"
	" request_id, context, resolution_notes, resolution_commit, resolved_by,"
	" resolved_release, claimed_by, external_id, claim_token, occurrence_count,"
	" regression_count, first_occurred_at, last_occurred_at, claimed_at, claim_expires_at,"
	" automation_attempts, version, duplicate_of, created_at, updated_at, resolved_at,"
	" sla_due_at, dedup_active, grouping_version)"
	" VALUES (coalesce($1::bigint, nextval(" TICKETS_SEQ ")), $2::text, $3::text, $4::text,"
	" $5::text, $6::text, $7::text, $8::text, $9::text, $10::text, $11::text, $12::text,"
	" $13::text, $14::text, $15::text, $16::text, $17::text, $18::text, $19::text,"
	" $20::text, $21::text, $22::text, $23::text, $24::text, $25::text, $26::text,"
	" $27::text, $28::text, $29::text, $30::text, $31::bigint, $32::bigint, $33::bigint,"
	" $34::bigint, $35::bigint, $36::bigint, $37::bigint, $38::bigint, $39::bigint,"
	" $40::bigint, $41::bigint, $42::bigint, $43::bigint, $44::integer, $45::integer)"
	" RETURNING id";

/* A duplicate keeps no days, as in the SQLite backend. */
static const char SQL_LINK[] =
	"UPDATE tickets SET duplicate_of = $2::bigint, last_day = NULL, last_day_count = 0"
	" WHERE id = $1::bigint";
static const char SQL_LINK_ALIAS[] =
	"INSERT INTO fingerprint_aliases (fingerprint, ticket_id, created_at)"
	" VALUES ($1::text, $2::bigint, $3::bigint)"
	" ON CONFLICT (fingerprint) DO NOTHING";

static const char SQL_ACTIVATE[] =
	"UPDATE tickets SET dedup_active = 1"
	" WHERE id = (SELECT max(id) FROM tickets WHERE fingerprint = $1::text"
	"             AND duplicate_of IS NULL)"
	" AND NOT EXISTS (SELECT 1 FROM tickets WHERE fingerprint = $1::text AND dedup_active = 1)";

int bti_pg_op_ticket_by_external_id(bti_store *base, const char *external_id, int64_t *id_out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	int rc;

	*id_out = 0;
	bti_pg_params_init(&p);
	bti_pg_text(&p, external_id);
	rc = bti_pg_exec(st, SQL_BY_EXTERNAL_ID, &p, &res, "finding an imported ticket");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) > 0)
		*id_out = bti_pg_get_int(res, 0, 0);
	else
		rc = BT_ENOTFOUND; /* the expected answer, not a failure to report */
	PQclear(res);
	return rc;
}

int bti_pg_op_ticket_origin(bti_store *base, int64_t id, int64_t *created_at_out,
			    char **fingerprint_out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	int rc;

	*created_at_out = 0;
	*fingerprint_out = NULL;
	bti_pg_params_init(&p);
	bti_pg_int(&p, id);
	rc = bti_pg_exec(st, SQL_ORIGIN, &p, &res, "finding a ticket");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) > 0) {
		*created_at_out = bti_pg_get_int(res, 0, 0);
		if (bti_pg_get_text(res, 0, 1, fingerprint_out) != BT_OK)
			rc = bti_error(BT_ENOMEM, "finding a ticket: out of memory");
	} else {
		rc = BT_ENOTFOUND; /* without recording an error: an expected answer */
	}
	PQclear(res);
	return rc;
}

int bti_pg_op_ticket_id_high(bti_store *base, int64_t *high_out)
{
	bti_pg_store *st = (bti_pg_store *)base;

	*high_out = 0;
	return bti_pg_run(st, SQL_ID_HIGH, NULL, "finding the last ticket id", high_out, NULL);
}

/* The integer columns whose 0 means NULL (times, duplicate_of). */
static int zero_is_null(int i)
{
	return i != BTI_T_OCCURRENCES && i != BTI_T_REGRESSIONS &&
	       i != BTI_T_AUTOMATION_ATTEMPTS && i != BTI_T_VERSION;
}

int bti_pg_op_ticket_insert(bti_store *base, const bt_ticket *row, int dedup_active,
			    int grouping_version, int64_t *id_out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	int64_t id = 0;
	int rc, i;

	*id_out = 0;
	bti_pg_params_init(&p);
	if (row->num[BTI_T_ID])
		bti_pg_int(&p, row->num[BTI_T_ID]);
	else
		bti_pg_text(&p, NULL);
	for (i = BTI_T_TITLE; i < BTI_T_TEXT_COUNT; i++)
		bti_pg_text(&p, row->text[i]);
	for (i = BTI_T_OCCURRENCES; i < BTI_T_INT_COUNT; i++) {
		if (row->num[i] || !zero_is_null(i))
			bti_pg_int(&p, row->num[i]);
		else
			bti_pg_text(&p, NULL);
	}
	bti_pg_int(&p, dedup_active);
	if (grouping_version)
		bti_pg_int(&p, grouping_version);
	else
		bti_pg_text(&p, NULL);
	rc = bti_pg_run(st, SQL_INSERT_TICKET, &p, "storing an imported ticket", &id, NULL);
	if (rc == BT_OK && row->num[BTI_T_ID]) {
		bti_pg_params_init(&p);
		bti_pg_int(&p, id);
		rc = bti_pg_run(st, SQL_ID_ADVANCE, &p, "storing an imported ticket", NULL, NULL);
	}
	if (rc == BT_OK)
		*id_out = id;
	return rc;
}

int bti_pg_op_ticket_link(bti_store *base, int64_t id, int64_t canonical, const char *fingerprint,
			  int64_t now)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	int rc;

	bti_pg_params_init(&p);
	bti_pg_int(&p, id);
	bti_pg_int(&p, canonical);
	rc = bti_pg_run(st, SQL_LINK, &p, "linking a duplicate", NULL, NULL);
	if (rc != BT_OK || !fingerprint)
		return rc;
	bti_pg_params_init(&p);
	bti_pg_text(&p, fingerprint);
	bti_pg_int(&p, canonical);
	bti_pg_int(&p, now);
	return bti_pg_run(st, SQL_LINK_ALIAS, &p, "aliasing a fingerprint", NULL, NULL);
}

int bti_pg_op_fingerprint_activate(bti_store *base, const char *fingerprint)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;

	bti_pg_params_init(&p);
	bti_pg_text(&p, fingerprint);
	return bti_pg_run(st, SQL_ACTIVATE, &p, "activating a fingerprint", NULL, NULL);
}
