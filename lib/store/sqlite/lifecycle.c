/*
 * store/sqlite/lifecycle.c - the SQL behind ticket lifecycle changes:
 * transactions, one generic ticket UPDATE, audit events, merges, deletes,
 * the automation queue, counts, the audit trail and purging.  Which change
 * is allowed is decided in lifecycle.c; this file only carries it out.
 */
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"
#include "ticket.h"
#include "vocab.h"

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_BEGIN_READ[] = "BEGIN";
static const char SQL_COMMIT[] = "COMMIT";

/* Every field is optional: ?2 holds the BTI_U_* bits that are set. */
static const char SQL_UPDATE[] =
	"UPDATE tickets SET"
	" status = CASE WHEN ?2 & 1 THEN ?3 ELSE status END,"
	" assignee = CASE WHEN ?2 & 2 THEN ?4 ELSE assignee END,"
	" severity = CASE WHEN ?2 & 4 THEN ?5 ELSE severity END,"
	" priority = CASE WHEN ?2 & 8 THEN ?6 ELSE priority END,"
	" category = CASE WHEN ?2 & 16 THEN ?7 ELSE category END,"
	" resolution_notes = CASE WHEN ?2 & 32 THEN ?8 ELSE resolution_notes END,"
	" resolution_commit = CASE WHEN ?2 & 32 THEN ?9 ELSE resolution_commit END,"
	" resolved_by = CASE WHEN ?2 & 32 THEN ?10 ELSE resolved_by END,"
	" resolved_release = CASE WHEN ?2 & 32 THEN ?11 ELSE resolved_release END,"
	" resolved_at = CASE WHEN ?2 & 64 THEN ?12 ELSE resolved_at END,"
	" claimed_by = CASE WHEN ?2 & 128 THEN ?13 ELSE claimed_by END,"
	" claim_token = CASE WHEN ?2 & 128 THEN ?14 ELSE claim_token END,"
	" claimed_at = CASE WHEN ?2 & 128 THEN ?15 ELSE claimed_at END,"
	" claim_expires_at = CASE WHEN ?2 & 128 THEN ?16 ELSE claim_expires_at END,"
	" sla_due_at = CASE WHEN ?2 & 256 THEN ?17 ELSE sla_due_at END,"
	" duplicate_of = CASE WHEN ?2 & 512 THEN ?18 ELSE duplicate_of END,"
	" dedup_active = CASE WHEN ?2 & 1024 THEN ?19 ELSE dedup_active END,"
	" automation_attempts = automation_attempts + ?20,"
	" occurrence_count = occurrence_count + ?21,"
	" first_occurred_at = CASE WHEN ?2 & 2048 AND ?22 IS NOT NULL"
	"   THEN min(coalesce(first_occurred_at, ?22), ?22) ELSE first_occurred_at END,"
	" last_occurred_at = CASE WHEN ?2 & 2048 AND ?23 IS NOT NULL"
	"   THEN max(coalesce(last_occurred_at, ?23), ?23) ELSE last_occurred_at END,"
	" version = version + 1,"
	" updated_at = max(updated_at, ?24)"
	" WHERE id = ?1";

static const char SQL_INSERT_EVENT[] =
	"INSERT INTO ticket_events (ticket_id, actor, kind, field, from_value, to_value, note,"
	" created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static const char SQL_MOVE_LOGS[] = "UPDATE error_logs SET ticket_id = ?2 WHERE ticket_id = ?1";
/* A merged ticket's occurrence days go with its occurrences: its filed days
 * and its current one are added to the other ticket's filed days (a day
 * that is also the other's current day then counts in both places, and the
 * reports add them up). */
static const char SQL_MOVE_DAYS[] =
	"INSERT INTO ticket_days (ticket_id, day, occurrences)"
	" SELECT ?2, day, sum(n) FROM (SELECT day, occurrences AS n FROM ticket_days WHERE ticket_id = ?1"
	"  UNION ALL SELECT last_day, last_day_count FROM tickets"
	"  WHERE id = ?1 AND last_day IS NOT NULL AND last_day_count > 0)"
	" WHERE true GROUP BY day"
	" ON CONFLICT (ticket_id, day) DO UPDATE SET occurrences = occurrences + excluded.occurrences";
static const char SQL_DROP_DAYS[] = "DELETE FROM ticket_days WHERE ticket_id = ?1";
static const char SQL_CLEAR_DAY[] =
	"UPDATE tickets SET last_day = NULL, last_day_count = 0 WHERE id = ?1";
/* A merge can move the other ticket's last occurrence to a later day: its
 * current day's count is filed and the day moves (as the tickets_day_rolls
 * trigger does for a capture; the merged days were already filed), so
 * that last_day stays the day of coalesce(last_occurred_at, created_at),
 * which the listing by last occurrence seeks on. */
#define DAY_OF_LAST "max(coalesce(last_occurred_at, created_at), 0) / 86400000"
static const char SQL_FILE_DAY[] =
	"INSERT INTO ticket_days (ticket_id, day, occurrences)"
	" SELECT id, last_day, last_day_count FROM tickets WHERE id = ?1 AND last_day_count > 0"
	"  AND last_day IS NOT NULL AND last_day <> " DAY_OF_LAST
	" ON CONFLICT (ticket_id, day) DO UPDATE SET occurrences = occurrences + excluded.occurrences";
static const char SQL_MOVE_DAY[] =
	"UPDATE tickets SET last_day = " DAY_OF_LAST ", last_day_count = 0"
	" WHERE id = ?1 AND last_day IS NOT NULL AND last_day <> " DAY_OF_LAST;
static const char SQL_MOVE_ALIASES[] =
	"UPDATE fingerprint_aliases SET ticket_id = ?2 WHERE ticket_id = ?1";
static const char SQL_ADD_ALIAS[] =
	"INSERT INTO fingerprint_aliases (fingerprint, ticket_id, created_at) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (fingerprint) DO UPDATE SET ticket_id = excluded.ticket_id";

static const char SQL_DELETE[] = "DELETE FROM tickets WHERE id = ?1";
static const char SQL_EXISTS[] = "SELECT 1 FROM tickets WHERE id = ?1";

static const char SQL_COUNT_STATUS[] = "SELECT status, count(*) FROM tickets GROUP BY status";
static const char SQL_COUNT_SEVERITY[] =
	"SELECT severity, count(*) FROM tickets"
	" WHERE status NOT IN ('resolved', 'closed') GROUP BY severity";
static const char SQL_COUNT_OVERDUE[] =
	"SELECT count(*) FROM tickets WHERE status NOT IN ('resolved', 'closed') AND sla_due_at < ?1";

static const char SQL_COUNT_DROPPED[] =
	"SELECT coalesce((SELECT value FROM counters WHERE name = 'async_dropped'), 0)";

#define EVENT_COLUMNS "id, created_at, actor, kind, field, from_value, to_value, note, ticket_id"
static const char SQL_EVENTS_PAGE[] =
	"SELECT " EVENT_COLUMNS " FROM ticket_events"
	" WHERE ticket_id = ?1 AND (created_at > ?2 OR (created_at = ?2 AND id > ?3))"
	" ORDER BY created_at, id LIMIT ?4";
/* Ids are AUTOINCREMENT (0007_event_feed): never given twice, and, as
 * SQLite's writers take turns, given in commit order. */
static const char SQL_EVENTS_FEED[] =
	"SELECT " EVENT_COLUMNS " FROM ticket_events WHERE id > ?1 ORDER BY id LIMIT ?2";
/* ?1 is 0.  From the rowid's b-tree: its last entry. */
static const char SQL_EVENTS_LAST[] =
	"SELECT max(?1, coalesce((SELECT max(id) FROM ticket_events), 0))";

/* Tickets a purge takes: no activity since the cutoff, and closed unless
 * open ones were asked for.  ?1 cutoff, ?2 include_open. */
#define PURGE_TICKETS \
	"SELECT id FROM tickets WHERE max(coalesce(last_occurred_at, 0), updated_at) < ?1" \
	" AND (?2 OR status IN ('resolved', 'closed'))"
/* Old log rows that survive their ticket's purge: unattached, or on a
 * ticket that may lose them. */
#define PURGE_LOGS \
	"SELECT id FROM error_logs WHERE created_at < ?1 AND (ticket_id IS NULL" \
	" OR ticket_id IN (SELECT id FROM tickets WHERE ?2 OR status IN ('resolved', 'closed')))"

static const char SQL_PURGE_COUNT[] =
	"SELECT (SELECT count(*) FROM (" PURGE_TICKETS ")),"
	" (SELECT count(*) FROM ticket_events WHERE ticket_id IN (" PURGE_TICKETS ")),"
	" (SELECT count(*) FROM error_logs WHERE ticket_id IN (" PURGE_TICKETS "))"
	"  + (SELECT count(*) FROM error_logs WHERE id IN (" PURGE_LOGS ")"
	"     AND (ticket_id IS NULL OR ticket_id NOT IN (" PURGE_TICKETS ")))";
static const char SQL_PURGE_TICKETS_COUNT[] =
	"SELECT count(*), (SELECT count(*) FROM ticket_events WHERE ticket_id IN"
	"  (" PURGE_TICKETS " ORDER BY id LIMIT ?3)),"
	" (SELECT count(*) FROM error_logs WHERE ticket_id IN (" PURGE_TICKETS " ORDER BY id LIMIT ?3))"
	" FROM (" PURGE_TICKETS " ORDER BY id LIMIT ?3)";
static const char SQL_PURGE_TICKETS[] =
	"DELETE FROM tickets WHERE id IN (" PURGE_TICKETS " ORDER BY id LIMIT ?3)";
static const char SQL_PURGE_LOGS[] =
	"DELETE FROM error_logs WHERE id IN (" PURGE_LOGS " ORDER BY id LIMIT ?3)";

#define SEVERITY_RANK \
	"(CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END)"

int bti_sqlite_op_begin(bti_store *base)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	return bti_sqlite_run(st, SQL_BEGIN, "starting a transaction");
}

/* A deferred BEGIN: the first read takes the snapshot, and no write lock. */
int bti_sqlite_op_begin_read(bti_store *base)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	return bti_sqlite_run(st, SQL_BEGIN_READ, "starting a read transaction");
}

int bti_sqlite_op_commit(bti_store *base)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	return bti_sqlite_run(st, SQL_COMMIT, "committing");
}

/* Never records an error: the failure being rolled back is the one to
 * report, and SQLite may already have rolled back on IOERR or FULL.  If
 * even the rollback fails, bti_sqlite_op_end_stray_txn() finishes the job at
 * the start of the next call. */
void bti_sqlite_op_rollback(bti_store *base)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	if (sqlite3_get_autocommit(st->sql))
		return;
	if (st->rollback) {
		sqlite3_step(st->rollback);
		sqlite3_reset(st->rollback);
	}
	if (!sqlite3_get_autocommit(st->sql))
		sqlite3_exec(st->sql, "ROLLBACK", NULL, NULL, NULL);
}

void bti_sqlite_op_end_stray_txn(bti_store *base)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	if (st && st->sql && !sqlite3_get_autocommit(st->sql))
		bti_sqlite_op_rollback(&st->base);
}

static void bind_time(sqlite3_stmt *stmt, int i, int64_t t)
{
	if (t)
		sqlite3_bind_int64(stmt, i, t);
}

int bti_sqlite_op_ticket_update(bti_store *base, int64_t id, const bti_ticket_update *u, int64_t now)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_UPDATE, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int(stmt, 2, (int)u->set);
	bti_bind_text(stmt, 3, u->status);
	bti_bind_text(stmt, 4, u->assignee);
	bti_bind_text(stmt, 5, u->severity);
	bti_bind_text(stmt, 6, u->priority);
	bti_bind_text(stmt, 7, u->category);
	bti_bind_text(stmt, 8, u->resolution_notes);
	bti_bind_text(stmt, 9, u->resolution_commit);
	bti_bind_text(stmt, 10, u->resolved_by);
	bti_bind_text(stmt, 11, u->resolved_release);
	bind_time(stmt, 12, u->resolved_at);
	bti_bind_text(stmt, 13, u->claimed_by);
	bti_bind_text(stmt, 14, u->claim_token);
	bind_time(stmt, 15, u->claimed_at);
	bind_time(stmt, 16, u->claim_expires_at);
	bind_time(stmt, 17, u->sla_due_at);
	bind_time(stmt, 18, u->duplicate_of);
	sqlite3_bind_int(stmt, 19, u->dedup_active);
	sqlite3_bind_int(stmt, 20, u->add_attempts);
	sqlite3_bind_int64(stmt, 21, u->add_occurrences);
	bind_time(stmt, 22, u->first_occurred_at);
	bind_time(stmt, 23, u->last_occurred_at);
	sqlite3_bind_int64(stmt, 24, now);
	rc = sqlite3_step(stmt);
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "updating a ticket");
	bti_sqlite_release(stmt);
	if (rc == BT_OK && (u->set & BTI_U_OCCURRED))
		rc = bti_sqlite_run_ids(st, SQL_FILE_DAY, id, 0, 0, "moving occurrence days", NULL);
	if (rc == BT_OK && (u->set & BTI_U_OCCURRED))
		rc = bti_sqlite_run_ids(st, SQL_MOVE_DAY, id, 0, 0, "moving occurrence days", NULL);
	return rc;
}

int bti_sqlite_op_event_add(bti_store *base, int64_t ticket_id, const char *actor, const char *kind,
			const char *field, const char *from, const char *to, const char *note,
			int64_t now)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_INSERT_EVENT, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	bti_bind_text(stmt, 2, actor);
	bti_bind_text(stmt, 3, kind);
	bti_bind_text(stmt, 4, field);
	bti_bind_text(stmt, 5, from);
	bti_bind_text(stmt, 6, to);
	bti_bind_text(stmt, 7, note);
	sqlite3_bind_int64(stmt, 8, now);
	rc = sqlite3_step(stmt);
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "recording a ticket event");
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_merge_links(bti_store *base, int64_t dup, int64_t canonical,
			  const char *dup_fingerprint, int64_t now)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	int rc = bti_sqlite_run_ids(st, SQL_MOVE_LOGS, dup, canonical, 0, "moving log rows", NULL);

	if (rc == BT_OK)
		rc = bti_sqlite_run_ids(st, SQL_MOVE_DAYS, dup, canonical, 0, "moving occurrence days",
					NULL);
	if (rc == BT_OK)
		rc = bti_sqlite_run_ids(st, SQL_DROP_DAYS, dup, 0, 0, "moving occurrence days", NULL);
	if (rc == BT_OK)
		rc = bti_sqlite_run_ids(st, SQL_CLEAR_DAY, dup, 0, 0, "moving occurrence days", NULL);
	if (rc == BT_OK)
		rc = bti_sqlite_run_ids(st, SQL_MOVE_ALIASES, dup, canonical, 0,
					"moving fingerprint aliases", NULL);
	if (rc != BT_OK || !dup_fingerprint)
		return rc;
	return bti_sqlite_add_alias(st, SQL_ADD_ALIAS, dup_fingerprint, canonical, now);
}

int bti_sqlite_op_ticket_delete(bti_store *base, int64_t id)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	return bti_sqlite_run_ids(st, SQL_DELETE, id, 0, 0, "deleting a ticket", NULL);
}

int bti_sqlite_op_ticket_exists(bti_store *base, int64_t id)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_EXISTS, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		rc = BT_OK;
	else if (rc == SQLITE_DONE)
		rc = bti_error(BT_ENOTFOUND, "no ticket with id %lld", (long long)id);
	else
		rc = bti_sqlite_fail(st->sql, rc, "finding a ticket");
	bti_sqlite_release(stmt);
	return rc;
}

/* ---- counts ---- */

static int count_into(bti_sqlite_store *st, const char *sql_text, int64_t *slots, size_t n,
		      int (*slot_of)(const char *), int64_t now)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, sql_text, &stmt);

	if (rc != BT_OK)
		return rc;
	if (sqlite3_bind_parameter_count(stmt) >= 1)
		sqlite3_bind_int64(stmt, 1, now);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int slot = slot_of ? slot_of((const char *)sqlite3_column_text(stmt, 0)) : 0;

		if (slot >= 0 && (size_t)slot < n)
			slots[slot] += sqlite3_column_int64(stmt, slot_of ? 1 : 0);
	}
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "counting tickets");
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_ticket_counts(bti_store *base, int64_t now, bti_ticket_counts *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	int rc = bti_sqlite_run(st, SQL_BEGIN_READ, "counting tickets");

	if (rc != BT_OK)
		return rc;
	rc = count_into(st, SQL_COUNT_STATUS, out->by_status, BTI_ARRAY_LEN(out->by_status),
			bti_status_from_name, now);
	if (rc == BT_OK)
		rc = count_into(st, SQL_COUNT_SEVERITY, out->open_by_severity,
				BTI_ARRAY_LEN(out->open_by_severity), bti_severity_from_name, now);
	if (rc == BT_OK)
		rc = count_into(st, SQL_COUNT_OVERDUE, &out->overdue, 1, NULL, now);
	if (rc == BT_OK)
		rc = count_into(st, SQL_COUNT_DROPPED, &out->dropped, 1, NULL, now);
	/* A read: the counts stand even if ending the snapshot fails. */
	if (bti_sqlite_run(st, SQL_COMMIT, "counting tickets") != BT_OK)
		bti_sqlite_op_rollback(&st->base);
	return rc;
}

/* ---- the audit trail ---- */

static char *dup_column(sqlite3_stmt *stmt, int i, int *failed)
{
	const char *s = (const char *)sqlite3_column_text(stmt, i);
	char *copy = s ? bti_strdup(s) : NULL;

	if (s && !copy)
		*failed = 1;
	return copy;
}

/* Up to @cap rows of EVENT_COLUMNS from the bound @stmt, which it releases. */
static int read_events(bti_sqlite_store *st, sqlite3_stmt *stmt, bt_audit_entry **rows, size_t cap,
		       size_t *n_out)
{
	size_t n = 0;
	int rc = SQLITE_DONE;

	while (n < cap && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		bt_audit_entry *e = bti_calloc(1, sizeof(*e));
		int failed = !e;

		if (e) {
			e->id = sqlite3_column_int64(stmt, 0);
			e->created_at = sqlite3_column_int64(stmt, 1);
			e->actor = dup_column(stmt, 2, &failed);
			e->kind = dup_column(stmt, 3, &failed);
			e->field = dup_column(stmt, 4, &failed);
			e->from = dup_column(stmt, 5, &failed);
			e->to = dup_column(stmt, 6, &failed);
			e->note = dup_column(stmt, 7, &failed);
			e->ticket_id = sqlite3_column_int64(stmt, 8);
		}
		if (failed) {
			bt_audit_entry_free(e);
			rc = bti_error(BT_ENOMEM, "reading the audit trail: out of memory");
			break;
		}
		rows[n++] = e;
	}
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		rc = BT_OK;
	else if (rc > 0)
		rc = bti_sqlite_fail(st->sql, rc, "reading the audit trail");
	bti_sqlite_release(stmt);
	if (rc != BT_OK) {
		while (n)
			bt_audit_entry_free(rows[--n]);
		return rc;
	}
	*n_out = n;
	return BT_OK;
}

int bti_sqlite_op_events_page(bti_store *base, int64_t id, int64_t after_time, int64_t after_id,
			  bt_audit_entry **rows, size_t cap, size_t *n_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_EVENTS_PAGE, &stmt);

	*n_out = 0;
	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, after_time);
	sqlite3_bind_int64(stmt, 3, after_id);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)cap);
	return read_events(st, stmt, rows, cap, n_out);
}

int bti_sqlite_op_events_feed(bti_store *base, int64_t after_id, bt_audit_entry **rows,
			      size_t cap, size_t *n_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_EVENTS_FEED, &stmt);

	*n_out = 0;
	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, after_id);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)cap);
	return read_events(st, stmt, rows, cap, n_out);
}

int bti_sqlite_op_events_last(bti_store *base, int64_t *id_out)
{
	*id_out = 0;
	return bti_sqlite_run_ids((bti_sqlite_store *)base, SQL_EVENTS_LAST, 0, 0, 0,
				  "finding the newest event", id_out);
}

/* ---- purge ---- */

static int purge_count(bti_sqlite_store *st, const char *sql_text, bti_purge_batch *b, int64_t *t,
		       int64_t *e, int64_t *l)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, sql_text, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, b->cutoff);
	sqlite3_bind_int(stmt, 2, b->include_open);
	if (sqlite3_bind_parameter_count(stmt) >= 3)
		sqlite3_bind_int64(stmt, 3, b->batch_size);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*t = sqlite3_column_int64(stmt, 0);
		*e = sqlite3_column_int64(stmt, 1);
		*l = sqlite3_column_int64(stmt, 2);
		rc = BT_OK;
	} else {
		rc = bti_sqlite_fail(st->sql, rc, "counting what to purge");
	}
	bti_sqlite_release(stmt);
	return rc;
}

/* One batch in its own transaction: tickets first (their events and logs
 * cascade), then, once no ticket is left, old log rows. */
static int purge_batch(bti_sqlite_store *st, bti_purge_batch *b)
{
	int64_t t = 0, e = 0, l = 0;
	int rc = bti_sqlite_op_begin(&st->base);

	if (rc != BT_OK)
		return rc;
	rc = purge_count(st, SQL_PURGE_TICKETS_COUNT, b, &t, &e, &l);
	if (rc == BT_OK && t > 0) {
		rc = bti_sqlite_run_ids(st, SQL_PURGE_TICKETS, b->cutoff, b->include_open, b->batch_size,
					"purging tickets", NULL);
	} else if (rc == BT_OK) {
		rc = bti_sqlite_run_ids(st, SQL_PURGE_LOGS, b->cutoff, b->include_open, b->batch_size,
					"purging log rows", NULL);
		l = sqlite3_changes(st->sql);
		b->done = l == 0;
	}
	if (rc == BT_OK)
		rc = bti_sqlite_op_commit(&st->base);
	if (rc != BT_OK) {
		bti_sqlite_op_rollback(&st->base);
		return rc;
	}
	b->tickets += t;
	b->events += e;
	b->logs += l;
	return BT_OK;
}

int bti_sqlite_op_purge_step(bti_store *base, bti_purge_batch *b)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	int64_t t = 0, e = 0, l = 0;
	int rc;

	if (!b->dry_run)
		return purge_batch(st, b);
	rc = purge_count(st, SQL_PURGE_COUNT, b, &t, &e, &l);
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
	" AND (claim_token IS NULL OR claim_expires_at <= ?1 OR (?2 IS NOT NULL AND claimed_by = ?2))"
	" AND (?3 = 0 OR automation_attempts < ?3)"
	" ORDER BY " SEVERITY_RANK " DESC, occurrence_count DESC, created_at, id LIMIT ?4";

int bti_sqlite_op_pending_page(bti_store *base, const char *agent, int max_attempts, int64_t now,
			   bt_ticket **rows, size_t cap, size_t *n_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int64_t ids[1000];
	size_t n = 0, i;
	int rc;

	*n_out = 0;
	if (cap > BTI_ARRAY_LEN(ids))
		cap = BTI_ARRAY_LEN(ids);
	rc = bti_sqlite_stmt(st, SQL_PENDING, &stmt);
	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, now);
	bti_bind_text(stmt, 2, agent);
	sqlite3_bind_int(stmt, 3, max_attempts);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)cap);
	while (n < cap && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(stmt, 0);
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? BT_OK : bti_sqlite_fail(st->sql, rc, "listing pending tickets");
	bti_sqlite_release(stmt);
	/* On a failure at i, rows 0..i-1 are ours to free; rows[i] was not
	 * filled (the loop used to step past it, and free what the caller's
	 * previous page left there). */
	for (i = 0; rc == BT_OK && i < n; i++) {
		rc = bti_sqlite_op_ticket_get(&st->base, ids[i], &rows[i]);
		if (rc != BT_OK)
			break;
	}
	if (rc != BT_OK) {
		while (i)
			bt_ticket_free(rows[--i]);
		return rc;
	}
	*n_out = n;
	return BT_OK;
}
