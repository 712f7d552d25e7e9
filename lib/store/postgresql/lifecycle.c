/*
 * store/postgresql/lifecycle.c - the SQL behind ticket lifecycle changes
 * (store/sqlite/lifecycle.c in PostgreSQL's dialect): one generic ticket
 * UPDATE, audit events, merges, deletes, the automation queue, counts, the
 * audit trail and purging.  Which change is allowed is decided in
 * lifecycle.c; this file only carries it out.  Transactions are
 * connection.c's.
 */
#include <stdio.h>
#include <string.h>

#include "store_postgresql.h"
#include "ticket.h"
#include "vocab.h"

/* Every field is optional: $2 holds the BTI_U_* bits that are set.  A bit
 * test is an integer in PostgreSQL, hence the "<> 0". */
#define U_SET(bit) "($2::integer & " #bit ") <> 0"
static const char SQL_UPDATE[] =
	"UPDATE tickets SET"
	" status = CASE WHEN " U_SET(1) " THEN $3::text ELSE status END,"
	" assignee = CASE WHEN " U_SET(2) " THEN $4::text ELSE assignee END,"
	" severity = CASE WHEN " U_SET(4) " THEN $5::text ELSE severity END,"
	" priority = CASE WHEN " U_SET(8) " THEN $6::text ELSE priority END,"
	" category = CASE WHEN " U_SET(16) " THEN $7::text ELSE category END,"
	" resolution_notes = CASE WHEN " U_SET(32) " THEN $8::text ELSE resolution_notes END,"
	" resolution_commit = CASE WHEN " U_SET(32) " THEN $9::text ELSE resolution_commit END,"
	" resolved_by = CASE WHEN " U_SET(32) " THEN $10::text ELSE resolved_by END,"
	" resolved_release = CASE WHEN " U_SET(32) " THEN $11::text ELSE resolved_release END,"
	" resolved_at = CASE WHEN " U_SET(64) " THEN $12::bigint ELSE resolved_at END,"
	" claimed_by = CASE WHEN " U_SET(128) " THEN $13::text ELSE claimed_by END,"
	" claim_token = CASE WHEN " U_SET(128) " THEN $14::text ELSE claim_token END,"
	" claimed_at = CASE WHEN " U_SET(128) " THEN $15::bigint ELSE claimed_at END,"
	" claim_expires_at = CASE WHEN " U_SET(128) " THEN $16::bigint ELSE claim_expires_at END,"
	" sla_due_at = CASE WHEN " U_SET(256) " THEN $17::bigint ELSE sla_due_at END,"
	" duplicate_of = CASE WHEN " U_SET(512) " THEN $18::bigint ELSE duplicate_of END,"
	" dedup_active = CASE WHEN " U_SET(1024) " THEN $19::integer ELSE dedup_active END,"
	" automation_attempts = automation_attempts + $20::bigint,"
	" occurrence_count = occurrence_count + $21::bigint,"
	" first_occurred_at = CASE WHEN " U_SET(2048) " AND $22::bigint IS NOT NULL"
	"   THEN least(coalesce(first_occurred_at, $22::bigint), $22::bigint)"
	"   ELSE first_occurred_at END,"
	" last_occurred_at = CASE WHEN " U_SET(2048) " AND $23::bigint IS NOT NULL"
	"   THEN greatest(coalesce(last_occurred_at, $23::bigint), $23::bigint)"
	"   ELSE last_occurred_at END,"
	" version = version + 1,"
	" updated_at = greatest(updated_at, $24::bigint)"
	" WHERE id = $1::bigint";

/* The event, and a notification on channel "bugtrack" naming the schema,
 * in one statement: the server sends it at commit (once per transaction
 * and schema), and feed waiters (bt_audit_wait, store/postgresql/wait.c)
 * wake.  A rolled-back event notifies nobody. */
static const char SQL_INSERT_EVENT[] =
	"WITH e AS (INSERT INTO ticket_events (ticket_id, actor, kind, field, from_value, to_value,"
	" note, created_at) VALUES ($1::bigint, $2::text, $3::text, $4::text, $5::text, $6::text,"
	" $7::text, $8::bigint) RETURNING id)"
	" SELECT pg_notify('bugtrack', current_schema()) FROM e";

static const char SQL_MOVE_LOGS[] =
	"UPDATE error_logs SET ticket_id = $2::bigint WHERE ticket_id = $1::bigint";
/* A merged ticket's occurrence days go with its occurrences, as in the
 * SQLite backend. */
static const char SQL_MOVE_DAYS[] =
	"INSERT INTO ticket_days (ticket_id, day, occurrences)"
	" SELECT $2::bigint, day, sum(n) FROM (SELECT day, occurrences AS n FROM ticket_days"
	"  WHERE ticket_id = $1::bigint"
	"  UNION ALL SELECT last_day, last_day_count FROM tickets"
	"  WHERE id = $1::bigint AND last_day IS NOT NULL AND last_day_count > 0) AS d"
	" GROUP BY day"
	" ON CONFLICT (ticket_id, day)"
	" DO UPDATE SET occurrences = ticket_days.occurrences + excluded.occurrences";
static const char SQL_DROP_DAYS[] = "DELETE FROM ticket_days WHERE ticket_id = $1::bigint";
static const char SQL_CLEAR_DAY[] =
	"UPDATE tickets SET last_day = NULL, last_day_count = 0 WHERE id = $1::bigint";
/* A merge that moves the other ticket's last occurrence to a later day
 * files its current day and moves last_day, as in the SQLite backend. */
#define DAY_OF_LAST "greatest(coalesce(last_occurred_at, created_at), 0) / 86400000"
static const char SQL_FILE_DAY[] =
	"INSERT INTO ticket_days (ticket_id, day, occurrences)"
	" SELECT id, last_day, last_day_count FROM tickets WHERE id = $1::bigint"
	"  AND last_day_count > 0 AND last_day IS NOT NULL AND last_day <> " DAY_OF_LAST
	" ON CONFLICT (ticket_id, day)"
	" DO UPDATE SET occurrences = ticket_days.occurrences + excluded.occurrences";
static const char SQL_MOVE_DAY[] =
	"UPDATE tickets SET last_day = " DAY_OF_LAST ", last_day_count = 0"
	" WHERE id = $1::bigint AND last_day IS NOT NULL AND last_day <> " DAY_OF_LAST;
static const char SQL_MOVE_ALIASES[] =
	"UPDATE fingerprint_aliases SET ticket_id = $2::bigint WHERE ticket_id = $1::bigint";
static const char SQL_ADD_ALIAS[] =
	"INSERT INTO fingerprint_aliases (fingerprint, ticket_id, created_at)"
	" VALUES ($1::text, $2::bigint, $3::bigint)"
	" ON CONFLICT (fingerprint) DO UPDATE SET ticket_id = excluded.ticket_id";

static const char SQL_DELETE[] = "DELETE FROM tickets WHERE id = $1::bigint";
static const char SQL_EXISTS[] = "SELECT 1 FROM tickets WHERE id = $1::bigint";

/* One snapshot for the counts, as SQLite's deferred BEGIN gives. */
static const char SQL_BEGIN_READ[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
static const char SQL_COMMIT[] = "COMMIT";

static const char SQL_COUNT_STATUS[] = "SELECT status, count(*) FROM tickets GROUP BY status";
static const char SQL_COUNT_SEVERITY[] =
	"SELECT severity, count(*) FROM tickets"
	" WHERE status NOT IN ('resolved', 'closed') GROUP BY severity";
static const char SQL_COUNT_OVERDUE[] =
	"SELECT count(*) FROM tickets WHERE status NOT IN ('resolved', 'closed')"
	" AND sla_due_at < $1::bigint";

static const char SQL_COUNT_DROPPED[] =
	"SELECT coalesce((SELECT value FROM counters WHERE name = 'async_dropped'), 0)";

#define EVENT_COLUMNS "id, created_at, actor, kind, field, from_value, to_value, note, ticket_id"
static const char SQL_EVENTS_PAGE[] =
	"SELECT " EVENT_COLUMNS " FROM ticket_events"
	" WHERE ticket_id = $1::bigint"
	" AND (created_at > $2::bigint OR (created_at = $2::bigint AND id > $3::bigint))"
	" ORDER BY created_at, id LIMIT $4::bigint";
/* Ids come from an identity, which never gives one twice; and they are
 * given in commit order because each event is written under the writer
 * lock that bti_pg_begin takes, which is held until the commit. */
static const char SQL_EVENTS_FEED[] =
	"SELECT " EVENT_COLUMNS " FROM ticket_events WHERE id > $1::bigint ORDER BY id"
	" LIMIT $2::bigint";
/* Ids are given in commit order (the writer's advisory lock), so no event
 * committed later can have a smaller one. */
static const char SQL_EVENTS_LAST[] = "SELECT coalesce(max(id), 0) FROM ticket_events";

/* Tickets a purge takes: no activity since the cutoff, and closed unless
 * open ones were asked for.  $1 cutoff, $2 include_open. */
#define PURGE_TICKETS \
	"SELECT id FROM tickets WHERE greatest(coalesce(last_occurred_at, 0), updated_at) < $1::bigint" \
	" AND ($2::integer <> 0 OR status IN ('resolved', 'closed'))"
/* Old log rows that survive their ticket's purge: unattached, or on a
 * ticket that may lose them. */
#define PURGE_LOGS \
	"SELECT id FROM error_logs WHERE created_at < $1::bigint AND (ticket_id IS NULL" \
	" OR ticket_id IN (SELECT id FROM tickets WHERE $2::integer <> 0" \
	"  OR status IN ('resolved', 'closed')))"

/* PostgreSQL 15 wants an alias on every subquery in FROM. */
static const char SQL_PURGE_COUNT[] =
	"SELECT (SELECT count(*) FROM (" PURGE_TICKETS ") AS t),"
	" (SELECT count(*) FROM ticket_events WHERE ticket_id IN (" PURGE_TICKETS ")),"
	" (SELECT count(*) FROM error_logs WHERE ticket_id IN (" PURGE_TICKETS "))"
	"  + (SELECT count(*) FROM error_logs WHERE id IN (" PURGE_LOGS ")"
	"     AND (ticket_id IS NULL OR ticket_id NOT IN (" PURGE_TICKETS ")))";
static const char SQL_PURGE_TICKETS_COUNT[] =
	"SELECT count(*), (SELECT count(*) FROM ticket_events WHERE ticket_id IN"
	"  (" PURGE_TICKETS " ORDER BY id LIMIT $3::bigint)),"
	" (SELECT count(*) FROM error_logs WHERE ticket_id IN"
	"  (" PURGE_TICKETS " ORDER BY id LIMIT $3::bigint))"
	" FROM (" PURGE_TICKETS " ORDER BY id LIMIT $3::bigint) AS t";
static const char SQL_PURGE_TICKETS[] =
	"DELETE FROM tickets WHERE id IN (" PURGE_TICKETS " ORDER BY id LIMIT $3::bigint)";
static const char SQL_PURGE_LOGS[] =
	"DELETE FROM error_logs WHERE id IN (" PURGE_LOGS " ORDER BY id LIMIT $3::bigint)";

#define SEVERITY_RANK \
	"(CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END)"

/* Run @sql with the integers @v[0..@n-1] as $1..$n: a prepared statement
 * takes exactly as many parameters as it has.  *changes_out (may be NULL)
 * receives the rows affected. */
static int run_ids(bti_pg_store *st, const char *sql_text, int n, const int64_t *v, const char *what,
		   int64_t *changes_out)
{
	bti_pg_params p;
	int i;

	bti_pg_params_init(&p);
	for (i = 0; i < n; i++)
		bti_pg_int(&p, v[i]);
	return bti_pg_run(st, sql_text, &p, what, NULL, changes_out);
}

int bti_pg_op_ticket_update(bti_store *base, int64_t id, const bti_ticket_update *u, int64_t now)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	int rc;

	bti_pg_params_init(&p);
	bti_pg_int(&p, id);
	bti_pg_int(&p, (int64_t)u->set);
	bti_pg_text(&p, u->status);
	bti_pg_text(&p, u->assignee);
	bti_pg_text(&p, u->severity);
	bti_pg_text(&p, u->priority);
	bti_pg_text(&p, u->category);
	bti_pg_text(&p, u->resolution_notes);
	bti_pg_text(&p, u->resolution_commit);
	bti_pg_text(&p, u->resolved_by);
	bti_pg_text(&p, u->resolved_release);
	bti_pg_time(&p, u->resolved_at);
	bti_pg_text(&p, u->claimed_by);
	bti_pg_text(&p, u->claim_token);
	bti_pg_time(&p, u->claimed_at);
	bti_pg_time(&p, u->claim_expires_at);
	bti_pg_time(&p, u->sla_due_at);
	bti_pg_time(&p, u->duplicate_of); /* 0: none, NULL */
	bti_pg_int(&p, u->dedup_active);
	bti_pg_int(&p, u->add_attempts);
	bti_pg_int(&p, u->add_occurrences);
	bti_pg_time(&p, u->first_occurred_at);
	bti_pg_time(&p, u->last_occurred_at);
	bti_pg_int(&p, now);
	rc = bti_pg_run(st, SQL_UPDATE, &p, "updating a ticket", NULL, NULL);
	if (rc == BT_OK && (u->set & BTI_U_OCCURRED))
		rc = run_ids(st, SQL_FILE_DAY, 1, &id, "moving occurrence days", NULL);
	if (rc == BT_OK && (u->set & BTI_U_OCCURRED))
		rc = run_ids(st, SQL_MOVE_DAY, 1, &id, "moving occurrence days", NULL);
	return rc;
}

int bti_pg_op_event_add(bti_store *base, int64_t ticket_id, const char *actor, const char *kind,
			const char *field, const char *from, const char *to, const char *note,
			int64_t now)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;

	bti_pg_params_init(&p);
	bti_pg_int(&p, ticket_id);
	bti_pg_text(&p, actor);
	bti_pg_text(&p, kind);
	bti_pg_text(&p, field);
	bti_pg_text(&p, from);
	bti_pg_text(&p, to);
	bti_pg_text(&p, note);
	bti_pg_int(&p, now);
	return bti_pg_run(st, SQL_INSERT_EVENT, &p, "recording a ticket event", NULL, NULL);
}

int bti_pg_op_merge_links(bti_store *base, int64_t dup, int64_t canonical,
			  const char *dup_fingerprint, int64_t now)
{
	bti_pg_store *st = (bti_pg_store *)base;
	const int64_t ids[2] = { dup, canonical };
	bti_pg_params p;
	int rc = run_ids(st, SQL_MOVE_LOGS, 2, ids, "moving log rows", NULL);

	if (rc == BT_OK)
		rc = run_ids(st, SQL_MOVE_DAYS, 2, ids, "moving occurrence days", NULL);
	if (rc == BT_OK)
		rc = run_ids(st, SQL_DROP_DAYS, 1, ids, "moving occurrence days", NULL);
	if (rc == BT_OK)
		rc = run_ids(st, SQL_CLEAR_DAY, 1, ids, "moving occurrence days", NULL);
	if (rc == BT_OK)
		rc = run_ids(st, SQL_MOVE_ALIASES, 2, ids, "moving fingerprint aliases", NULL);
	if (rc != BT_OK || !dup_fingerprint)
		return rc;
	bti_pg_params_init(&p);
	bti_pg_text(&p, dup_fingerprint);
	bti_pg_int(&p, canonical);
	bti_pg_int(&p, now);
	return bti_pg_run(st, SQL_ADD_ALIAS, &p, "aliasing a fingerprint", NULL, NULL);
}

int bti_pg_op_ticket_delete(bti_store *base, int64_t id)
{
	return run_ids((bti_pg_store *)base, SQL_DELETE, 1, &id, "deleting a ticket", NULL);
}

int bti_pg_op_ticket_exists(bti_store *base, int64_t id)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	int rc;

	bti_pg_params_init(&p);
	bti_pg_int(&p, id);
	rc = bti_pg_exec(st, SQL_EXISTS, &p, &res, "finding a ticket");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) == 0)
		rc = bti_error(BT_ENOTFOUND, "no ticket with id %lld", (long long)id);
	PQclear(res);
	return rc;
}

/* ---- counts ---- */

/* Add each row of @sql (run with @p, NULL: none) to @slots: by the name in
 * column 0 through @slot_of, or, without it, column 0 to slot 0. */
static int count_into(bti_pg_store *st, const char *sql_text, const bti_pg_params *p, int64_t *slots,
		      size_t n, int (*slot_of)(const char *))
{
	PGresult *res;
	int rc = bti_pg_exec(st, sql_text, p, &res, "counting tickets"), i;

	if (rc != BT_OK)
		return rc;
	for (i = 0; i < PQntuples(res); i++) {
		int slot = slot_of ? slot_of(PQgetisnull(res, i, 0) ? NULL : PQgetvalue(res, i, 0)) : 0;

		if (slot >= 0 && (size_t)slot < n)
			slots[slot] += bti_pg_get_int(res, i, slot_of ? 1 : 0);
	}
	PQclear(res);
	return BT_OK;
}

int bti_pg_op_ticket_counts(bti_store *base, int64_t now, bti_ticket_counts *out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	int rc = bti_pg_exec_simple(st, SQL_BEGIN_READ, "counting tickets");

	if (rc != BT_OK)
		return rc;
	st->in_txn = 1;
	rc = count_into(st, SQL_COUNT_STATUS, NULL, out->by_status, BTI_ARRAY_LEN(out->by_status),
			bti_status_from_name);
	if (rc == BT_OK)
		rc = count_into(st, SQL_COUNT_SEVERITY, NULL, out->open_by_severity,
				BTI_ARRAY_LEN(out->open_by_severity), bti_severity_from_name);
	if (rc == BT_OK) {
		bti_pg_params_init(&p);
		bti_pg_int(&p, now);
		rc = count_into(st, SQL_COUNT_OVERDUE, &p, &out->overdue, 1, NULL);
	}
	if (rc == BT_OK)
		rc = count_into(st, SQL_COUNT_DROPPED, NULL, &out->dropped, 1, NULL);
	/* A read: the counts stand even if ending the snapshot fails. */
	if (bti_pg_exec_simple(st, SQL_COMMIT, "counting tickets") != BT_OK)
		bti_pg_rollback(st);
	st->in_txn = 0;
	return rc;
}

/* ---- the audit trail ---- */

static char *dup_column(const PGresult *r, int row, int col, int *failed)
{
	char *copy;

	if (PQgetisnull(r, row, col))
		return NULL;
	copy = bti_strdup(PQgetvalue(r, row, col));
	if (!copy)
		*failed = 1;
	return copy;
}

/* Up to @cap rows of EVENT_COLUMNS from @sql run with @p. */
static int read_event_rows(bti_pg_store *st, const char *sql_text, const bti_pg_params *p,
		       bt_audit_entry **rows, size_t cap, size_t *n_out)
{
	PGresult *res;
	size_t n = 0;
	int rc = bti_pg_exec(st, sql_text, p, &res, "reading the audit trail");

	if (rc != BT_OK)
		return rc;
	while (n < cap && (int)n < PQntuples(res)) {
		bt_audit_entry *e = bti_calloc(1, sizeof(*e));
		int row = (int)n, failed = !e;

		if (e) {
			e->id = bti_pg_get_int(res, row, 0);
			e->created_at = bti_pg_get_int(res, row, 1);
			e->actor = dup_column(res, row, 2, &failed);
			e->kind = dup_column(res, row, 3, &failed);
			e->field = dup_column(res, row, 4, &failed);
			e->from = dup_column(res, row, 5, &failed);
			e->to = dup_column(res, row, 6, &failed);
			e->note = dup_column(res, row, 7, &failed);
			e->ticket_id = bti_pg_get_int(res, row, 8);
		}
		if (failed) {
			bt_audit_entry_free(e);
			rc = bti_error(BT_ENOMEM, "reading the audit trail: out of memory");
			break;
		}
		rows[n++] = e;
	}
	PQclear(res);
	if (rc != BT_OK) {
		while (n)
			bt_audit_entry_free(rows[--n]);
		return rc;
	}
	*n_out = n;
	return BT_OK;
}

int bti_pg_op_events_page(bti_store *base, int64_t id, int64_t after_time, int64_t after_id,
			  bt_audit_entry **rows, size_t cap, size_t *n_out)
{
	bti_pg_params p;

	*n_out = 0;
	bti_pg_params_init(&p);
	bti_pg_int(&p, id);
	bti_pg_int(&p, after_time);
	bti_pg_int(&p, after_id);
	bti_pg_int(&p, (int64_t)cap);
	return read_event_rows((bti_pg_store *)base, SQL_EVENTS_PAGE, &p, rows, cap, n_out);
}

int bti_pg_op_events_feed(bti_store *base, int64_t after_id, bt_audit_entry **rows, size_t cap,
			  size_t *n_out)
{
	bti_pg_params p;

	*n_out = 0;
	bti_pg_params_init(&p);
	bti_pg_int(&p, after_id);
	bti_pg_int(&p, (int64_t)cap);
	return read_event_rows((bti_pg_store *)base, SQL_EVENTS_FEED, &p, rows, cap, n_out);
}

int bti_pg_op_events_last(bti_store *base, int64_t *id_out)
{
	*id_out = 0;
	return bti_pg_run((bti_pg_store *)base, SQL_EVENTS_LAST, NULL, "finding the newest event",
			  id_out, NULL);
}

/* ---- purge ---- */

/* Run a count of @sql: $1 cutoff, $2 include_open and, with @batched, $3
 * the batch size; tickets, events and logs come back in that order. */
static int purge_count(bti_pg_store *st, const char *sql_text, int batched, const bti_purge_batch *b,
		       int64_t *t, int64_t *e, int64_t *l)
{
	bti_pg_params p;
	PGresult *res;
	int rc;

	bti_pg_params_init(&p);
	bti_pg_int(&p, b->cutoff);
	bti_pg_int(&p, b->include_open);
	if (batched)
		bti_pg_int(&p, b->batch_size);
	rc = bti_pg_exec(st, sql_text, &p, &res, "counting what to purge");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) > 0) {
		*t = bti_pg_get_int(res, 0, 0);
		*e = bti_pg_get_int(res, 0, 1);
		*l = bti_pg_get_int(res, 0, 2);
	} else {
		rc = bti_error(BT_EINTERNAL, "counting what to purge: no row came back");
	}
	PQclear(res);
	return rc;
}

/* One batch in its own transaction: tickets first (their events and logs
 * cascade), then, once no ticket is left, old log rows. */
static int purge_batch(bti_pg_store *st, bti_purge_batch *b)
{
	const int64_t args[3] = { b->cutoff, b->include_open, b->batch_size };
	int64_t t = 0, e = 0, l = 0;
	int rc = bti_pg_begin(st);

	if (rc != BT_OK)
		return rc;
	rc = purge_count(st, SQL_PURGE_TICKETS_COUNT, 1, b, &t, &e, &l);
	if (rc == BT_OK && t > 0) {
		rc = run_ids(st, SQL_PURGE_TICKETS, 3, args, "purging tickets", NULL);
	} else if (rc == BT_OK) {
		rc = run_ids(st, SQL_PURGE_LOGS, 3, args, "purging log rows", &l);
		b->done = l == 0;
	}
	if (rc == BT_OK)
		rc = bti_pg_commit(st);
	if (rc != BT_OK) {
		bti_pg_rollback(st);
		return rc;
	}
	b->tickets += t;
	b->events += e;
	b->logs += l;
	return BT_OK;
}

int bti_pg_op_purge_step(bti_store *base, bti_purge_batch *b)
{
	bti_pg_store *st = (bti_pg_store *)base;
	int64_t t = 0, e = 0, l = 0;
	int rc;

	if (!b->dry_run)
		return purge_batch(st, b);
	rc = purge_count(st, SQL_PURGE_COUNT, 0, b, &t, &e, &l);
	if (rc == BT_OK) {
		b->tickets += t;
		b->events += e;
		b->logs += l;
		b->done = 1;
	}
	return rc;
}

/* ---- the automation queue ---- */

static const char SQL_PENDING[] =
	"SELECT id FROM tickets WHERE status NOT IN ('resolved', 'closed') AND duplicate_of IS NULL"
	" AND (claim_token IS NULL OR claim_expires_at <= $1::bigint"
	"      OR ($2::text IS NOT NULL AND claimed_by = $2::text))"
	" AND ($3::integer = 0 OR automation_attempts < $3::integer)"
	" ORDER BY " SEVERITY_RANK " DESC, occurrence_count DESC, created_at, id LIMIT $4::bigint";

int bti_pg_op_pending_page(bti_store *base, const char *agent, int max_attempts, int64_t now,
			   bt_ticket **rows, size_t cap, size_t *n_out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	int64_t ids[1000];
	size_t n = 0, i;
	int rc;

	*n_out = 0;
	if (cap > BTI_ARRAY_LEN(ids))
		cap = BTI_ARRAY_LEN(ids);
	bti_pg_params_init(&p);
	bti_pg_int(&p, now);
	bti_pg_text(&p, agent);
	bti_pg_int(&p, max_attempts);
	bti_pg_int(&p, (int64_t)cap);
	rc = bti_pg_exec(st, SQL_PENDING, &p, &res, "listing pending tickets");
	if (rc != BT_OK)
		return rc;
	while (n < cap && (int)n < PQntuples(res)) {
		ids[n] = bti_pg_get_int(res, (int)n, 0);
		n++;
	}
	PQclear(res);
	for (i = 0; rc == BT_OK && i < n; i++)
		rc = bti_pg_op_ticket_get(&st->base, ids[i], &rows[i]);
	if (rc != BT_OK) {
		/* rows[i - 1] is the one that failed: it was not filled. */
		for (i--; i; )
			bt_ticket_free(rows[--i]);
		return rc;
	}
	*n_out = n;
	return BT_OK;
}
