/*
 * store/sqlite/import.c - the SQL behind bt_import_json: writing imported
 * tickets whole, with their ids, times and counts.  What a field means and
 * whether a record is valid is decided in lib/admin/import*.c, which read
 * the JSON themselves (json.c), so that every backend imports alike.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"
#include "ticket.h"

static const char SQL_BY_EXTERNAL_ID[] = "SELECT id FROM tickets WHERE external_id = ?1";
static const char SQL_ORIGIN[] = "SELECT created_at, fingerprint FROM tickets WHERE id = ?1";
/* AUTOINCREMENT keeps the largest id ever given in sqlite_sequence, even
 * after that ticket is purged; ?1 is 0. */
static const char SQL_ID_HIGH[] =
	"SELECT max(?1, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'tickets'), 0),"
	" coalesce((SELECT max(id) FROM tickets), 0))";

/* ?1 id (NULL: chosen by SQLite), then the text columns in the order of
 * enum bti_ticket_text (?2 title .. ?30 claim_token), then the integer
 * ones in the order of enum bti_ticket_int (?31 occurrence_count ..
 * ?43 sla_due_at), then ?44 dedup_active and ?45 grouping_version. */
static const char SQL_INSERT_TICKET[] =
	"INSERT INTO tickets (id, title, status, severity, component, fingerprint,"
	" grouping_input, error_message, stack_trace, description, priority, category, source,"
	" reporter, assignee, error_type, service, host, environment, release_sha, trace_id,"
	" request_id, context, resolution_notes, resolution_commit, resolved_by,"
	" resolved_release, claimed_by, external_id, claim_token, occurrence_count,"
	" regression_count, first_occurred_at, last_occurred_at, claimed_at, claim_expires_at,"
	" automation_attempts, version, duplicate_of, created_at, updated_at, resolved_at,"
	" sla_due_at, dedup_active, grouping_version)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	" ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34,"
	" ?35, ?36, ?37, ?38, ?39, ?40, ?41, ?42, ?43, ?44, ?45)";

/* A duplicate's occurrences are counted on the ticket it was merged into
 * (whose exported count includes them), so it keeps no days. */
static const char SQL_LINK[] =
	"UPDATE tickets SET duplicate_of = ?2, last_day = NULL, last_day_count = 0 WHERE id = ?1";
static const char SQL_LINK_ALIAS[] =
	"INSERT INTO fingerprint_aliases (fingerprint, ticket_id, created_at) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (fingerprint) DO NOTHING";

static const char SQL_ACTIVATE[] =
	"UPDATE tickets SET dedup_active = 1"
	" WHERE id = (SELECT max(id) FROM tickets WHERE fingerprint = ?1 AND duplicate_of IS NULL)"
	" AND NOT EXISTS (SELECT 1 FROM tickets WHERE fingerprint = ?1 AND dedup_active = 1)";

int bti_sqlite_op_ticket_by_external_id(bti_store *base, const char *external_id, int64_t *id_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_BY_EXTERNAL_ID, &stmt);

	*id_out = 0;
	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, external_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(stmt, 0);
		rc = BT_OK;
	} else if (rc == SQLITE_DONE) {
		rc = BT_ENOTFOUND; /* the expected answer, not a failure to report */
	} else {
		rc = bti_sqlite_fail(st->sql, rc, "finding an imported ticket");
	}
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_ticket_origin(bti_store *base, int64_t id, int64_t *created_at_out,
			    char **fingerprint_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	const char *fp;
	int rc = bti_sqlite_stmt(st, SQL_ORIGIN, &stmt);

	*created_at_out = 0;
	*fingerprint_out = NULL;
	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*created_at_out = sqlite3_column_int64(stmt, 0);
		fp = (const char *)sqlite3_column_text(stmt, 1);
		rc = BT_OK;
		if (fp && !(*fingerprint_out = bti_strdup(fp)))
			rc = bti_error(BT_ENOMEM, "finding a ticket: out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = BT_ENOTFOUND;
	} else {
		rc = bti_sqlite_fail(st->sql, rc, "finding a ticket");
	}
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_ticket_id_high(bti_store *base, int64_t *high_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	*high_out = 0;
	return bti_sqlite_run_ids(st, SQL_ID_HIGH, 0, 0, 0, "finding the last ticket id", high_out);
}

/* The integer columns whose 0 means NULL (times, duplicate_of). */
static int zero_is_null(int i)
{
	return i != BTI_T_OCCURRENCES && i != BTI_T_REGRESSIONS &&
	       i != BTI_T_AUTOMATION_ATTEMPTS && i != BTI_T_VERSION;
}

int bti_sqlite_op_ticket_insert(bti_store *base, const bt_ticket *row, int dedup_active,
			    int grouping_version, int64_t *id_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_INSERT_TICKET, &stmt), i;

	*id_out = 0;
	if (rc != BT_OK)
		return rc;
	if (row->num[BTI_T_ID])
		sqlite3_bind_int64(stmt, 1, row->num[BTI_T_ID]);
	for (i = BTI_T_TITLE; i < BTI_T_TEXT_COUNT; i++)
		bti_bind_text(stmt, 1 + i, row->text[i]);
	for (i = BTI_T_OCCURRENCES; i < BTI_T_INT_COUNT; i++)
		if (row->num[i] || !zero_is_null(i))
			sqlite3_bind_int64(stmt, BTI_T_TEXT_COUNT + i, row->num[i]);
	sqlite3_bind_int(stmt, 44, dedup_active);
	if (grouping_version)
		sqlite3_bind_int(stmt, 45, grouping_version);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		*id_out = sqlite3_last_insert_rowid(st->sql);
		rc = BT_OK;
	} else {
		rc = bti_sqlite_fail(st->sql, rc, "storing an imported ticket");
	}
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_ticket_link(bti_store *base, int64_t id, int64_t canonical, const char *fingerprint,
			  int64_t now)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	int rc = bti_sqlite_run_ids(st, SQL_LINK, id, canonical, 0, "linking a duplicate", NULL);

	if (rc != BT_OK || !fingerprint)
		return rc;
	return bti_sqlite_add_alias(st, SQL_LINK_ALIAS, fingerprint, canonical, now);
}

int bti_sqlite_op_fingerprint_activate(bti_store *base, const char *fingerprint)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_ACTIVATE, &stmt);

	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, fingerprint);
	rc = sqlite3_step(stmt);
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "activating a fingerprint");
	bti_sqlite_release(stmt);
	return rc;
}
