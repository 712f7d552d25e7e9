/*
 * store/sqlite/capture.c - the statements an occurrence lands with: the hot
 * path's read by the dedup index and UPDATE by id, the reads and writes of
 * a miss, log rows.  Which of them run, and in what order, is decided in
 * landing.c, inside one BEGIN
 * IMMEDIATE transaction: SQLite's write lock is taken before anything is
 * read, so the decision and its write are atomic across threads and
 * processes.  The partial unique index tickets_dedup makes a second active
 * ticket for a fingerprint impossible even for a writer that skipped it.
 * Every statement that counts occurrences adds them to last_day_count as
 * well, for the reports' days (0009_occurrence_days); opening a ticket
 * leaves that to the schema's trigger.
 */
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"
#include "vocab.h"


/* No statement here has a RETURNING clause: SQLite gathers RETURNING rows
 * in a temporary b-tree, whose page cache (86 KB) was allocated, faulted in
 * and freed on every capture call (the same for a CHECK (x IN (...)) list,
 * which only a table rebuild can change).  A read by the index beside the
 * write costs less, and the caller's write transaction keeps the two
 * atomic. */

/* ?1 fingerprint, ?2 now (the first of the occurrences), ?3 window
 * (0 = forever): the open ticket an occurrence counts on, if any. */
static const char SQL_HIT_FIND[] =
	"SELECT id, number, occurrence_count FROM tickets"
	" WHERE fingerprint = ?1 AND dedup_active = 1"
	" AND status NOT IN ('resolved', 'closed')"
	" AND (?3 = 0 OR coalesce(last_occurred_at, created_at) >= ?2 - ?3)";

/* ?1 id, ?2 how many occurrences, ?3 the last one's time.  Several
 * occurrences arrive at once when asynchronous capture coalesced them. */
static const char SQL_HIT[] =
	"UPDATE tickets SET occurrence_count = occurrence_count + ?2,"
	" last_day_count = last_day_count + ?2,"
	" last_occurred_at = max(coalesce(last_occurred_at, ?3), ?3)"
	" WHERE id = ?1";

/* ?1 fingerprint, ?2 the occurrence's release.  The last column says
 * whether that release is older than the one the ticket was resolved in,
 * by when each was first seen; an unseen resolution release has not
 * shipped, so every seen release is older than it. */
#define FIND_COLUMNS \
	"SELECT id, number, status," \
	" ?2 IS NOT NULL AND resolved_release IS NOT NULL" \
	" AND coalesce((SELECT first_seen_at FROM releases WHERE name = ?2), 9223372036854775807)" \
	"   < coalesce((SELECT first_seen_at FROM releases WHERE name = tickets.resolved_release)," \
	"              9223372036854775807)," \
	" coalesce(last_occurred_at, created_at), severity" \
	" FROM tickets"
static const char SQL_FIND[] = FIND_COLUMNS " WHERE fingerprint = ?1 AND dedup_active = 1";

/* A fingerprint merged into another ticket lands there (see bt_ticket_merge). */
static const char SQL_FIND_ALIAS[] =
	FIND_COLUMNS " WHERE id = (SELECT ticket_id FROM fingerprint_aliases WHERE fingerprint = ?1)"
	" AND dedup_active = 1";

/* ?1 id, ?2 now, ?3 how many, ?4 the last one's time */
static const char SQL_COUNT[] =
	"UPDATE tickets SET occurrence_count = occurrence_count + ?3,"
	" last_day_count = last_day_count + ?3,"
	" last_occurred_at = max(coalesce(last_occurred_at, ?4), ?4),"
	" first_occurred_at = coalesce(first_occurred_at, ?2)"
	" WHERE id = ?1";

/* ?1 id, ?2 now, ?3 when it falls due again, ?4 how many, ?5 the last
 * one's time.  Its resolution stays in the trail only. */
static const char SQL_REOPEN[] =
	"UPDATE tickets SET occurrence_count = occurrence_count + ?4,"
	" last_day_count = last_day_count + ?4,"
	" last_occurred_at = max(coalesce(last_occurred_at, ?5), ?5),"
	" first_occurred_at = coalesce(first_occurred_at, ?2),"
	" status = 'new', resolved_at = NULL, regression_count = regression_count + 1,"
	" resolution_notes = NULL, resolution_commit = NULL, resolved_by = NULL,"
	" resolved_release = NULL, version = version + 1, updated_at = max(updated_at, ?2),"
	" sla_due_at = ?3"
	" WHERE id = ?1";

static const char SQL_RETIRE[] = "UPDATE tickets SET dedup_active = 0 WHERE id = ?1";

static const char SQL_INSERT_TICKET[] =
	"INSERT INTO tickets (title, description, severity, priority, category, component,"
	" source, reporter, fingerprint, grouping_version, grouping_input, error_type,"
	" error_message, stack_trace, first_occurred_at, last_occurred_at, service, host,"
	" environment, release_sha, trace_id, request_id, context, created_at, updated_at,"
	" sla_due_at, occurrence_count, last_day, last_day_count)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?25,"
	" ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?15, ?15, ?23, ?24,"
	" max(coalesce(?25, ?15), 0) / 86400000, ?24)";

/* ?1 id: where an occurrence landed, after the write: the number SQLite
 * generated for a new ticket, the count a write made. */
static const char SQL_LANDING_OF[] = "SELECT id, number, occurrence_count FROM tickets WHERE id = ?1";

static const char SQL_INSERT_LOG[] =
	"INSERT INTO error_logs (ticket_id, level, component, message, message_template,"
	" fingerprint, error_type, error_code, file, line, function, stack_trace, context,"
	" trace_id, request_id, service, host, pid, environment, release_sha, created_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	" ?18, ?19, ?20, ?21)";

/* The log-row cap: drop the oldest samples, keeping the first ?2 rows of
 * ticket ?1 and its latest ?3. */
static const char SQL_PRUNE_SAMPLES[] =
	"DELETE FROM error_logs WHERE id IN (SELECT id FROM error_logs WHERE ticket_id = ?1"
	" ORDER BY id LIMIT max(0, (SELECT count(*) FROM error_logs WHERE ticket_id = ?1) - ?2 - ?3)"
	" OFFSET ?2)";

static const char SQL_COUNTER_ADD[] =
	"INSERT INTO counters (name, value, updated_at) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (name) DO UPDATE SET value = value + excluded.value,"
	" updated_at = excluded.updated_at";

static const char SQL_RELEASE_SEEN[] =
	"INSERT INTO releases (name, first_seen_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING";

/* When the last of @o's occurrences happened. */
static int64_t occ_last(const bti_occurrence *o)
{
	return o->last_at > o->now ? o->last_at : o->now;
}

/* 0 means "none" for error codes and lines. */
static void bind_nonzero(sqlite3_stmt *stmt, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(stmt, i, v);
}

/* Read the "id, number" a statement returned into @out. */
static void read_landing(sqlite3_stmt *stmt, bti_landing *out)
{
	const unsigned char *number = sqlite3_column_text(stmt, 1);

	out->ticket_id = sqlite3_column_int64(stmt, 0);
	snprintf(out->number, sizeof(out->number), "%s", number ? (const char *)number : "");
	if (sqlite3_column_count(stmt) > 2 && sqlite3_column_type(stmt, 2) == SQLITE_INTEGER)
		out->occurrence = sqlite3_column_int64(stmt, 2);
}

/* Read where ticket @id stands into @out (SQL_LANDING_OF). */
static int landing_of(bti_sqlite_store *st, int64_t id, bti_landing *out, const char *what)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_LANDING_OF, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		read_landing(stmt, out);
		rc = BT_OK;
	} else if (rc == SQLITE_DONE) /* the caller's transaction wrote it: cannot happen */
		rc = bti_error(BT_EINTERNAL, "%s: the ticket vanished", what);
	else
		rc = bti_sqlite_fail(st->sql, rc, what);
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_ticket_open(bti_store *base, const bti_occurrence *o, bti_landing *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_INSERT_TICKET, &stmt);

	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, o->title);
	bti_bind_text(stmt, 2, o->description);
	bti_bind_text(stmt, 3, o->severity);
	bti_bind_text(stmt, 4, o->priority);
	bti_bind_text(stmt, 5, o->category);
	bti_bind_text(stmt, 6, o->component);
	bti_bind_text(stmt, 7, o->source);
	bti_bind_text(stmt, 8, o->reporter);
	bti_bind_text(stmt, 9, o->fingerprint);
	bind_nonzero(stmt, 10, o->grouping_version);
	bti_bind_text(stmt, 11, o->grouping_input);
	bti_bind_text(stmt, 12, o->error_type);
	bti_bind_text(stmt, 13, o->message);
	bti_bind_text(stmt, 14, o->stack_trace);
	sqlite3_bind_int64(stmt, 15, o->now);
	bti_bind_text(stmt, 16, o->service);
	bti_bind_text(stmt, 17, o->host);
	bti_bind_text(stmt, 18, o->environment);
	bti_bind_text(stmt, 19, o->release);
	bti_bind_text(stmt, 20, o->trace_id);
	bti_bind_text(stmt, 21, o->request_id);
	bti_bind_text(stmt, 22, o->context);
	bind_nonzero(stmt, 23, o->sla_due_at);
	sqlite3_bind_int64(stmt, 24, bti_occurrence_count(o));
	sqlite3_bind_int64(stmt, 25, occ_last(o));
	rc = sqlite3_step(stmt);
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "opening a ticket");
	bti_sqlite_release(stmt);
	if (rc == BT_OK)
		rc = landing_of(st, sqlite3_last_insert_rowid(st->sql), out, "opening a ticket");
	if (rc == BT_OK)
		out->created = 1;
	return rc;
}

int bti_sqlite_op_land_hit(bti_store *base, const bti_occurrence *o, bti_landing *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int64_t n = bti_occurrence_count(o);
	int rc = bti_sqlite_stmt(st, SQL_HIT_FIND, &stmt);

	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, o->fingerprint);
	sqlite3_bind_int64(stmt, 2, o->now);
	sqlite3_bind_int64(stmt, 3, o->dedup_window_ms);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		read_landing(stmt, out);
		rc = SQLITE_DONE;
	}
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "counting an occurrence");
	bti_sqlite_release(stmt);
	if (rc != BT_OK || !out->ticket_id)
		return rc; /* none open: the slow path decides */
	rc = bti_sqlite_run_ids(st, SQL_HIT, out->ticket_id, n, occ_last(o),
				"counting an occurrence", NULL);
	if (rc == BT_OK)
		out->occurrence += n;
	return rc;
}

/* One by one: a statement of SQLite costs no round trip. */
int bti_sqlite_op_land_hits(bti_store *base, const bti_occurrence *const *os, size_t n,
			    bti_landing *outs)
{
	int rc = BT_OK;

	for (size_t i = 0; rc == BT_OK && i < n; i++)
		rc = bti_sqlite_op_land_hit(base, os[i], &outs[i]);
	return rc;
}

int bti_sqlite_op_land_find(bti_store *base, const bti_occurrence *o, int alias,
			    bti_land_candidate *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, alias ? SQL_FIND_ALIAS : SQL_FIND, &stmt);

	memset(out, 0, sizeof(*out));
	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, o->fingerprint);
	bti_bind_text(stmt, 2, o->release);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		read_landing(stmt, &out->at);
		out->status = bti_status_from_name((const char *)sqlite3_column_text(stmt, 2));
		out->older_release = sqlite3_column_int(stmt, 3);
		out->last = sqlite3_column_int64(stmt, 4);
		out->severity = bti_severity_from_name((const char *)sqlite3_column_text(stmt, 5));
		rc = SQLITE_DONE;
	}
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "finding a ticket");
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_land_reopen(bti_store *base, const bti_occurrence *o, int64_t id,
			      int64_t sla_due_at, bti_landing *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_REOPEN, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, o->now);
	sqlite3_bind_int64(stmt, 3, sla_due_at);
	sqlite3_bind_int64(stmt, 4, bti_occurrence_count(o));
	sqlite3_bind_int64(stmt, 5, occ_last(o));
	rc = sqlite3_step(stmt);
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "reopening a ticket");
	bti_sqlite_release(stmt);
	return rc == BT_OK ? landing_of(st, id, out, "reopening a ticket") : rc;
}

int bti_sqlite_op_land_count(bti_store *base, const bti_occurrence *o, int64_t id,
			     bti_landing *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_COUNT, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, o->now);
	sqlite3_bind_int64(stmt, 3, bti_occurrence_count(o));
	sqlite3_bind_int64(stmt, 4, occ_last(o));
	rc = sqlite3_step(stmt);
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "counting an occurrence");
	bti_sqlite_release(stmt);
	return rc == BT_OK ? landing_of(st, id, out, "counting an occurrence") : rc;
}

int bti_sqlite_op_land_retire(bti_store *base, int64_t id)
{
	return bti_sqlite_run_ids((bti_sqlite_store *)base, SQL_RETIRE, id, 0, 0,
				  "retiring a ticket", NULL);
}

int bti_sqlite_op_log_insert(bti_store *base, const bti_occurrence *o, int64_t ticket_id)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_INSERT_LOG, &stmt);

	if (rc != BT_OK)
		return rc;
	bind_nonzero(stmt, 1, ticket_id);
	sqlite3_bind_int(stmt, 2, o->level);
	bti_bind_text(stmt, 3, o->component);
	bti_bind_text(stmt, 4, o->message);
	bti_bind_text(stmt, 5, o->message_template);
	bti_bind_text(stmt, 6, o->fingerprint);
	bti_bind_text(stmt, 7, o->error_type);
	bind_nonzero(stmt, 8, o->error_code);
	bti_bind_text(stmt, 9, o->file);
	bind_nonzero(stmt, 10, o->line);
	bti_bind_text(stmt, 11, o->function);
	bti_bind_text(stmt, 12, o->stack_trace);
	bti_bind_text(stmt, 13, o->context);
	bti_bind_text(stmt, 14, o->trace_id);
	bti_bind_text(stmt, 15, o->request_id);
	bti_bind_text(stmt, 16, o->service);
	bti_bind_text(stmt, 17, o->host);
	bind_nonzero(stmt, 18, o->pid);
	bti_bind_text(stmt, 19, o->environment);
	bti_bind_text(stmt, 20, o->release);
	sqlite3_bind_int64(stmt, 21, o->now);
	rc = sqlite3_step(stmt);
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "storing a log row");
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_log_inserts(bti_store *base, const bti_occurrence *const *os,
			      const int64_t *ticket_ids, size_t n)
{
	int rc = BT_OK;

	for (size_t i = 0; rc == BT_OK && i < n; i++)
		rc = bti_sqlite_op_log_insert(base, os[i], ticket_ids[i]);
	return rc;
}

int bti_sqlite_op_log_prune(bti_store *base, int64_t ticket_id, int64_t keep_first,
			    int64_t keep_last)
{
	return bti_sqlite_run_ids((bti_sqlite_store *)base, SQL_PRUNE_SAMPLES, ticket_id,
				  keep_first, keep_last, "pruning log rows", NULL);
}

int bti_sqlite_op_release_seen(bti_store *base, const char *release, int64_t now)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_RELEASE_SEEN, &stmt);

	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, release);
	sqlite3_bind_int64(stmt, 2, now);
	rc = sqlite3_step(stmt);
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "recording a release");
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_op_counter_add(bti_store *base, const char *name, int64_t delta, int64_t now)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_COUNTER_ADD, &stmt);

	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, name);
	sqlite3_bind_int64(stmt, 2, delta);
	sqlite3_bind_int64(stmt, 3, now);
	rc = sqlite3_step(stmt);
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "updating a counter");
	bti_sqlite_release(stmt);
	return rc;
}
