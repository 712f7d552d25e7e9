/*
 * store_sqlite_import.c - the SQL behind bt_import_json: reading JSON with
 * SQLite's own functions (json_valid, json_type, json_each, json_remove),
 * and writing imported tickets whole, with their ids, times and counts.
 * What a field means and whether a record is valid is decided in import.c.
 *
 * Why SQLite parses: it is already linked, it is strict (RFC 8259, no
 * trailing commas or comments), and it keeps the text of numbers, so the
 * members import leaves in a ticket's context (json_remove) keep their
 * exact digits.  A 5 MB document parses in a few milliseconds.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"
#include "ticket.h"

static const char SQL_SNAPSHOT[] = "BEGIN";

static const char SQL_JSON_TYPE[] =
	"SELECT CASE WHEN json_valid(?1) THEN json_type(?1) END";

/* Two copies of one statement: a visit of the outer one (a document's
 * records) iterates a record's members with the inner one. */
static const char SQL_JSON_EACH_0[] = "SELECT key, type, value FROM json_each(?1)";
static const char SQL_JSON_EACH_1[] = "SELECT key, type, value FROM json_each(?1)";

/* ?2 .. ?65: paths; unused ones repeat ?2 (removing twice is harmless). */
static const char SQL_JSON_REMOVE[] =
	"SELECT json_remove(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
	" ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32,"
	" ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41, ?42, ?43, ?44, ?45, ?46, ?47, ?48, ?49,"
	" ?50, ?51, ?52, ?53, ?54, ?55, ?56, ?57, ?58, ?59, ?60, ?61, ?62, ?63, ?64, ?65)";

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

static const char SQL_LINK[] = "UPDATE tickets SET duplicate_of = ?2 WHERE id = ?1";
static const char SQL_LINK_ALIAS[] =
	"INSERT INTO fingerprint_aliases (fingerprint, ticket_id, created_at) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (fingerprint) DO NOTHING";

static const char SQL_ACTIVATE[] =
	"UPDATE tickets SET dedup_active = 1"
	" WHERE id = (SELECT max(id) FROM tickets WHERE fingerprint = ?1 AND duplicate_of IS NULL)"
	" AND NOT EXISTS (SELECT 1 FROM tickets WHERE fingerprint = ?1 AND dedup_active = 1)";

static int bind_json(bti_sqlite_store *st, sqlite3_stmt *stmt, int i, const char *json, size_t len)
{
	int rc;

	if (len > INT_MAX)
		return bti_error(BT_EINVALID, "the JSON text is too large (%zu bytes)", len);
	rc = sqlite3_bind_text(stmt, i, json, (int)len, SQLITE_STATIC);
	return rc == SQLITE_OK ? BT_OK : bti_sqlite_fail(st->sql, rc, "reading JSON");
}

int bti_sqlite_op_import_snapshot(bti_store *base)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	return bti_sqlite_run(st, SQL_SNAPSHOT, "starting a read transaction");
}

static int type_from_name(const char *name)
{
	static const char *const names[] = { NULL, "null", "true", "false", "integer", "real",
					     "text", "array", "object" };
	size_t i;

	for (i = 1; name && i < BTI_ARRAY_LEN(names); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return BTI_JSON_INVALID;
}

static int json_type_once(bti_sqlite_store *st, const char *json, size_t len, int *type_out)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_JSON_TYPE, &stmt);

	*type_out = BTI_JSON_INVALID;
	if (rc != BT_OK)
		return rc;
	rc = bind_json(st, stmt, 1, json, len);
	if (rc == BT_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			*type_out = type_from_name((const char *)sqlite3_column_text(stmt, 0));
			rc = BT_OK;
		} else {
			rc = bti_sqlite_fail(st->sql, rc, "reading JSON");
		}
	}
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_json_type(bti_store *base, const char *json, size_t len, int *type_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	int valid, rc = json_type_once(st, json, len, type_out);

	if (rc != BT_OK || *type_out != BTI_JSON_INVALID)
		return rc;
	/* Malformed, or did SQLite run out of memory?  (len fits: bound once.) */
	rc = bti_sqlite_json_recheck(st, json, (int)len, &valid);
	if (rc == BT_OK && valid) {
		rc = json_type_once(st, json, len, type_out);
		if (rc == BT_OK && *type_out == BTI_JSON_INVALID)
			rc = bti_error(BT_ENOMEM, "reading JSON: out of memory");
	}
	return rc;
}

static int read_item(bti_sqlite_store *st, sqlite3_stmt *stmt, int64_t index, bti_json_item *it)
{
	memset(it, 0, sizeof(*it));
	it->index = index;
	if (sqlite3_column_type(stmt, 0) == SQLITE_TEXT)
		it->key = (const char *)sqlite3_column_text(stmt, 0);
	it->type = type_from_name((const char *)sqlite3_column_text(stmt, 1));
	switch (it->type) {
	case BTI_JSON_INTEGER:
		/* json_each gives integers beyond 64 bits as reals. */
		it->exact = sqlite3_column_type(stmt, 2) == SQLITE_INTEGER;
		it->integer = sqlite3_column_int64(stmt, 2);
		it->real = sqlite3_column_double(stmt, 2);
		break;
	case BTI_JSON_REAL:
		it->real = sqlite3_column_double(stmt, 2);
		break;
	case BTI_JSON_TEXT:
	case BTI_JSON_ARRAY:
	case BTI_JSON_OBJECT:
		it->text = (const char *)sqlite3_column_text(stmt, 2);
		it->len = (size_t)sqlite3_column_bytes(stmt, 2);
		if (!it->text && sqlite3_errcode(st->sql) == SQLITE_NOMEM)
			return bti_error(BT_ENOMEM, "reading JSON: out of memory");
		if (!it->text)
			it->text = "";
		break;
	default:
		break;
	}
	return BT_OK;
}

int bti_sqlite_op_json_each(bti_store *base, int level, const char *json, size_t len,
			bti_json_visit_fn fn, void *payload)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	bti_json_item item;
	int64_t index = 0;
	int rc = bti_sqlite_stmt(st, level ? SQL_JSON_EACH_1 : SQL_JSON_EACH_0, &stmt);

	if (rc != BT_OK)
		return rc;
	rc = bind_json(st, stmt, 1, json, len);
	while (rc == BT_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_DONE) {
			rc = BT_OK;
			break;
		}
		if (rc != SQLITE_ROW) {
			rc = bti_sqlite_fail(st->sql, rc, "reading JSON");
			break;
		}
		rc = read_item(st, stmt, index++, &item);
		if (rc == BT_OK)
			rc = fn(&item, payload);
	}
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_json_remove(bti_store *base, const char *json, size_t len,
			  const char *const *names, size_t n, char **out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	char paths[BTI_JSON_REMOVE_MAX][72];
	sqlite3_stmt *stmt;
	const char *s;
	size_t i;
	int rc;

	*out = NULL;
	if (n == 0 || n > BTI_JSON_REMOVE_MAX)
		return bti_error(BT_EINTERNAL, "json_remove: %zu names", n);
	for (i = 0; i < n; i++)
		snprintf(paths[i], sizeof(paths[i]), "$.%s", names[i]);
	rc = bti_sqlite_stmt(st, SQL_JSON_REMOVE, &stmt);
	if (rc != BT_OK)
		return rc;
	rc = bind_json(st, stmt, 1, json, len);
	for (i = 0; rc == BT_OK && i < BTI_JSON_REMOVE_MAX; i++)
		sqlite3_bind_text(stmt, (int)i + 2, paths[i < n ? i : 0], -1, SQLITE_STATIC);
	if (rc == BT_OK) {
		rc = sqlite3_step(stmt);
		s = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(stmt, 0) : NULL;
		if (rc != SQLITE_ROW)
			rc = bti_sqlite_fail(st->sql, rc, "reading JSON");
		else if (!s || !(*out = bti_strdup(s)))
			rc = bti_error(BT_ENOMEM, "reading JSON: out of memory");
		else
			rc = BT_OK;
	}
	bti_sqlite_release(stmt);
	return rc;
}

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
