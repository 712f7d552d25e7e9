/*
 * store_sqlite_capture.c - recording occurrences: the log row and the
 * ticket an occurrence lands on, in one BEGIN IMMEDIATE transaction.
 *
 * BEGIN IMMEDIATE takes SQLite's write lock before anything is read, so the
 * landing decision and its write are atomic across threads and processes;
 * the partial unique index tickets_dedup makes a second active ticket for a
 * fingerprint impossible even for a writer that skipped the transaction.
 *
 * The hot path, a repeat of an open error, is one indexed UPDATE.  Only a
 * miss reads the ticket to decide between opening a new one, reopening a
 * resolved one (a regression), counting a recurrence from an older release,
 * or retiring a ticket whose dedup window has passed.
 */
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"
#include "ticket.h"


/* ?1 fingerprint, ?2 now (the first of the occurrences), ?3 window
 * (0 = forever), ?4 how many occurrences, ?5 the last one's time.  Several
 * occurrences arrive at once when asynchronous capture coalesced them. */
static const char SQL_HIT[] =
	"UPDATE tickets SET occurrence_count = occurrence_count + ?4,"
	" last_occurred_at = max(coalesce(last_occurred_at, ?5), ?5)"
	" WHERE fingerprint = ?1 AND dedup_active = 1"
	" AND status NOT IN ('resolved', 'closed')"
	" AND (?3 = 0 OR coalesce(last_occurred_at, created_at) >= ?2 - ?3)"
	" RETURNING id, number, occurrence_count";

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
	" coalesce(last_occurred_at, created_at)" \
	" FROM tickets"
static const char SQL_FIND[] = FIND_COLUMNS " WHERE fingerprint = ?1 AND dedup_active = 1";

/* A fingerprint merged into another ticket lands there (see bt_ticket_merge). */
static const char SQL_FIND_ALIAS[] =
	FIND_COLUMNS " WHERE id = (SELECT ticket_id FROM fingerprint_aliases WHERE fingerprint = ?1)"
	" AND dedup_active = 1";

/* ?1 id, ?2 now, ?3 how many, ?4 the last one's time */
static const char SQL_COUNT[] =
	"UPDATE tickets SET occurrence_count = occurrence_count + ?3,"
	" last_occurred_at = max(coalesce(last_occurred_at, ?4), ?4),"
	" first_occurred_at = coalesce(first_occurred_at, ?2)"
	" WHERE id = ?1 RETURNING occurrence_count";

/* ?1 id, ?2 now, ?3..?6 the SLA policy for low..critical, ?7 how many,
 * ?8 the last one's time.  The ticket is due again by its own severity; its
 * resolution stays in the trail only. */
static const char SQL_REOPEN[] =
	"UPDATE tickets SET occurrence_count = occurrence_count + ?7,"
	" last_occurred_at = max(coalesce(last_occurred_at, ?8), ?8),"
	" first_occurred_at = coalesce(first_occurred_at, ?2),"
	" status = 'new', resolved_at = NULL, regression_count = regression_count + 1,"
	" resolution_notes = NULL, resolution_commit = NULL, resolved_by = NULL,"
	" resolved_release = NULL, version = version + 1, updated_at = max(updated_at, ?2),"
	" sla_due_at = ?2 + CASE severity WHEN 'low' THEN ?3 WHEN 'medium' THEN ?4"
	"                  WHEN 'high' THEN ?5 ELSE ?6 END"
	" WHERE id = ?1 RETURNING occurrence_count";

static const char SQL_RETIRE[] = "UPDATE tickets SET dedup_active = 0 WHERE id = ?1";

static const char SQL_INSERT_TICKET[] =
	"INSERT INTO tickets (title, description, severity, priority, category, component,"
	" source, reporter, fingerprint, grouping_version, grouping_input, error_type,"
	" error_message, stack_trace, first_occurred_at, last_occurred_at, service, host,"
	" environment, release_sha, trace_id, request_id, context, created_at, updated_at,"
	" sla_due_at, occurrence_count)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?25,"
	" ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?15, ?15, ?23, ?24)"
	" RETURNING id, number, occurrence_count";

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

/* How many occurrences @o stands for, and when the last one happened. */
static int64_t occ_count(const bti_occurrence *o)
{
	return o->count > 0 ? o->count : 1;
}

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

static int insert_ticket(bti_sqlite_store *st, const bti_occurrence *o, bti_landing *out)
{
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
	sqlite3_bind_int64(stmt, 24, occ_count(o));
	sqlite3_bind_int64(stmt, 25, occ_last(o));
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		read_landing(stmt, out);
		out->created = 1;
		rc = BT_OK;
	} else {
		rc = bti_sqlite_fail(st->sql, rc, "opening a ticket");
	}
	bti_sqlite_release(stmt);
	if (rc == BT_OK)
		rc = bti_sqlite_op_event_add(&st->base, out->ticket_id, o->reporter ? o->reporter : o->source,
					 "created", NULL, NULL, "new", NULL, o->now);
	return rc;
}

/* The hot path.  Sets out->ticket_id when the occurrence landed. */
static int try_hit(bti_sqlite_store *st, const bti_occurrence *o, bti_landing *out)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_HIT, &stmt);

	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, o->fingerprint);
	sqlite3_bind_int64(stmt, 2, o->now);
	sqlite3_bind_int64(stmt, 3, o->dedup_window_ms);
	sqlite3_bind_int64(stmt, 4, occ_count(o));
	sqlite3_bind_int64(stmt, 5, occ_last(o));
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		read_landing(stmt, out);
		rc = sqlite3_step(stmt); /* finish the UPDATE */
	}
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "counting an occurrence");
	bti_sqlite_release(stmt);
	return rc;
}

/* Read the landing candidate @sql_text finds; *id_out stays 0 if none. */
static int find(bti_sqlite_store *st, const char *sql_text, const bti_occurrence *o, bti_landing *out,
		int64_t *id_out, char *status, size_t status_size, int *older, int64_t *last)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, sql_text, &stmt);

	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, o->fingerprint);
	bti_bind_text(stmt, 2, o->release);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		read_landing(stmt, out);
		*id_out = out->ticket_id;
		snprintf(status, status_size, "%s", (const char *)sqlite3_column_text(stmt, 2));
		*older = sqlite3_column_int(stmt, 3);
		*last = sqlite3_column_int64(stmt, 4);
		rc = SQLITE_DONE;
	}
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "finding a ticket");
	bti_sqlite_release(stmt);
	return rc;
}

static int reopen(bti_sqlite_store *st, const bti_occurrence *o, int64_t id, bti_landing *out)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_REOPEN, &stmt), i;

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, o->now);
	for (i = BT_SEVERITY_LOW; i <= BT_SEVERITY_CRITICAL; i++)
		sqlite3_bind_int64(stmt, 2 + i, o->sla_ms ? o->sla_ms[i] : 0);
	sqlite3_bind_int64(stmt, 7, occ_count(o));
	sqlite3_bind_int64(stmt, 8, occ_last(o));
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		out->occurrence = sqlite3_column_int64(stmt, 0);
		rc = sqlite3_step(stmt);
	}
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "reopening a ticket");
	bti_sqlite_release(stmt);
	return rc;
}

/* Count @o's occurrences on ticket @id, whatever its state. */
static int count_on(bti_sqlite_store *st, const bti_occurrence *o, int64_t id, bti_landing *out)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_COUNT, &stmt);

	if (rc != BT_OK)
		return rc;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, o->now);
	sqlite3_bind_int64(stmt, 3, occ_count(o));
	sqlite3_bind_int64(stmt, 4, occ_last(o));
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		out->occurrence = sqlite3_column_int64(stmt, 0);
		rc = sqlite3_step(stmt);
	}
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "counting an occurrence");
	bti_sqlite_release(stmt);
	return rc;
}

/* The slow path: no open ticket within the window took the occurrence. */
static int land_miss(bti_sqlite_store *st, const bti_occurrence *o, bti_landing *out)
{
	char status[32] = "";
	int64_t id = 0, last = 0;
	int older = 0, aliased = 0, rc;

	rc = find(st, SQL_FIND, o, out, &id, status, sizeof(status), &older, &last);
	if (rc == BT_OK && !id) {
		rc = find(st, SQL_FIND_ALIAS, o, out, &id, status, sizeof(status), &older, &last);
		aliased = id != 0;
	}
	if (rc != BT_OK)
		return rc;

	if (!id)
		return insert_ticket(st, o, out);
	if (strcmp(status, "resolved") != 0 && strcmp(status, "closed") != 0) {
		/* A merged fingerprint lands on its canonical ticket under the
		 * same window as the ticket's own. */
		if (aliased && (!o->dedup_window_ms || last >= o->now - o->dedup_window_ms))
			return count_on(st, o, id, out);
		/* Open, but its dedup window has passed: it stays as history. */
		rc = bti_sqlite_run_ids(st, SQL_RETIRE, id, 0, 0, "retiring a ticket", NULL);
		return rc == BT_OK ? insert_ticket(st, o, out) : rc;
	}
	if (older)
		return count_on(st, o, id, out);
	rc = reopen(st, o, id, out);
	if (rc == BT_OK) {
		char note[160];

		snprintf(note, sizeof(note), "recurred after it was %s%s%.100s", status,
			 o->release ? "; release " : "", o->release ? o->release : "");
		out->regressed = 1;
		rc = bti_sqlite_op_event_add(&st->base, id, "system", "regressed", "status", status, "new", note,
					 o->now);
	}
	return rc;
}

static int insert_log(bti_sqlite_store *st, const bti_occurrence *o, int64_t ticket_id)
{
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

/* Whether the occurrence's log row is kept under the cap K: the first
 * ceil(K/2) occurrences of a ticket, then every K-th as a sample, of which
 * the latest floor(K/2) survive (*prune: drop older samples).  A storm of
 * one error thus writes one page per hit, not a log row per hit.  When @o
 * stands for n coalesced occurrences (numbers n_before+1 .. n_after), its
 * one row is a sample if a multiple of K lies among them. */
static int keep_log_row(const bti_occurrence *o, const bti_landing *l, int *prune)
{
	int64_t k = o->log_rows_per_ticket, first = (k + 1) / 2, n = l->occurrence;
	int64_t before = n - occ_count(o);

	*prune = 0;
	if (!l->ticket_id || k <= 0 || before < first)
		return 1;
	if (k - first > 0 && n / k > before / k) {
		*prune = 1;
		return 1;
	}
	return 0;
}

static int prune_samples(bti_sqlite_store *st, const bti_occurrence *o, int64_t ticket_id)
{
	int64_t k = o->log_rows_per_ticket, first = (k + 1) / 2;

	return bti_sqlite_run_ids(st, SQL_PRUNE_SAMPLES, ticket_id, first, k - first,
				  "pruning log rows", NULL);
}

int bti_sqlite_op_record(bti_store *base, const bti_occurrence *o, bti_landing *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	int rc = bti_sqlite_op_begin(&st->base);

	if (rc != BT_OK) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	rc = bti_sqlite_op_record_in(&st->base, o, out);
	if (rc == BT_OK)
		rc = bti_sqlite_op_commit(&st->base);
	if (rc != BT_OK) {
		bti_sqlite_op_rollback(&st->base);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

int bti_sqlite_op_record_in(bti_store *base, const bti_occurrence *o, bti_landing *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	int rc = BT_OK, prune = 0;

	memset(out, 0, sizeof(*out));
	if (o->make_ticket) {
		if (!o->fingerprint)
			rc = insert_ticket(st, o, out);
		else if ((rc = try_hit(st, o, out)) == BT_OK && !out->ticket_id && !o->hit_only)
			rc = land_miss(st, o, out);
	}
	if (rc == BT_OK && o->store_log && keep_log_row(o, out, &prune))
		rc = insert_log(st, o, out->ticket_id);
	if (rc == BT_OK && prune)
		rc = prune_samples(st, o, out->ticket_id);
	return rc;
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
