/*
 * store/postgresql/capture.c - the statements an occurrence lands with,
 * in PostgreSQL's dialect: the hot path's one UPDATE, the reads and writes
 * of a miss, log rows, counters and releases.  landing.c decides which run,
 * inside one write transaction, which holds the schema's writer lock
 * (store_postgresql.h) from before its first read: the decision and its
 * write are atomic across processes and hosts, as under SQLite's write
 * lock.  The partial unique index tickets_dedup makes a second active
 * ticket for a fingerprint impossible even for a writer that skipped the
 * lock (the race test's control shows what that writer then gets).
 */
#include <stdio.h>
#include <string.h>

#include "store_postgresql.h"
#include "vocab.h"

/* $1 fingerprint, $2 now (the first of the occurrences), $3 window
 * (0 = forever), $4 how many occurrences, $5 the last one's time. */
static const char SQL_HIT[] =
	"UPDATE tickets SET occurrence_count = occurrence_count + $4::bigint,"
	" last_day_count = last_day_count + $4::bigint,"
	" last_occurred_at = greatest(coalesce(last_occurred_at, $5::bigint), $5::bigint)"
	" WHERE fingerprint = $1::text AND dedup_active = 1"
	" AND status NOT IN ('resolved', 'closed')"
	" AND ($3::bigint = 0 OR coalesce(last_occurred_at, created_at) >= $2::bigint - $3::bigint)"
	" RETURNING id, number, occurrence_count";

/* SQL_HIT, taken only when the occurrence keeps no log row: $6 the cap's
 * first rows (the count must be past them), $7 the cap (a multiple of it
 * must not be crossed, or it keeps a sample; 0: no row is ever kept).  The
 * condition is read on the row's latest version, after any concurrent
 * update of it committed, so it is exact across hosts without the writer
 * lock; a hit it refuses goes the whole way, in a transaction. */
static const char SQL_HIT_ALONE[] =
	"UPDATE tickets SET occurrence_count = occurrence_count + $4::bigint,"
	" last_day_count = last_day_count + $4::bigint,"
	" last_occurred_at = greatest(coalesce(last_occurred_at, $5::bigint), $5::bigint)"
	" WHERE fingerprint = $1::text AND dedup_active = 1"
	" AND status NOT IN ('resolved', 'closed')"
	" AND ($3::bigint = 0 OR coalesce(last_occurred_at, created_at) >= $2::bigint - $3::bigint)"
	" AND ($7::bigint = 0 OR (occurrence_count >= $6::bigint AND ($7::bigint <= $6::bigint"
	" OR (occurrence_count + $4::bigint) / $7::bigint = occurrence_count / $7::bigint)))"
	" RETURNING id, number, occurrence_count";

/* $1 fingerprint, $2 the occurrence's release; the fourth column as in the
 * SQLite backend: that release is older than the one the ticket was
 * resolved in, by when each was first seen. */
#define FIND_COLUMNS \
	"SELECT id, number, status," \
	" CASE WHEN $2::text IS NOT NULL AND resolved_release IS NOT NULL" \
	" AND coalesce((SELECT first_seen_at FROM releases WHERE name = $2::text)," \
	"              9223372036854775807)" \
	"   < coalesce((SELECT first_seen_at FROM releases WHERE name = tickets.resolved_release)," \
	"              9223372036854775807) THEN 1 ELSE 0 END," \
	" coalesce(last_occurred_at, created_at), severity" \
	" FROM tickets"
static const char SQL_FIND[] = FIND_COLUMNS " WHERE fingerprint = $1::text AND dedup_active = 1";
static const char SQL_FIND_ALIAS[] =
	FIND_COLUMNS " WHERE id = (SELECT ticket_id FROM fingerprint_aliases"
	" WHERE fingerprint = $1::text) AND dedup_active = 1";

/* $1 id, $2 now, $3 how many, $4 the last one's time */
static const char SQL_COUNT[] =
	"UPDATE tickets SET occurrence_count = occurrence_count + $3::bigint,"
	" last_day_count = last_day_count + $3::bigint,"
	" last_occurred_at = greatest(coalesce(last_occurred_at, $4::bigint), $4::bigint),"
	" first_occurred_at = coalesce(first_occurred_at, $2::bigint)"
	" WHERE id = $1::bigint RETURNING occurrence_count";

/* $1 id, $2 now, $3 when it falls due again, $4 how many, $5 the last one's time */
static const char SQL_REOPEN[] =
	"UPDATE tickets SET occurrence_count = occurrence_count + $4::bigint,"
	" last_day_count = last_day_count + $4::bigint,"
	" last_occurred_at = greatest(coalesce(last_occurred_at, $5::bigint), $5::bigint),"
	" first_occurred_at = coalesce(first_occurred_at, $2::bigint),"
	" status = 'new', resolved_at = NULL, regression_count = regression_count + 1,"
	" resolution_notes = NULL, resolution_commit = NULL, resolved_by = NULL,"
	" resolved_release = NULL, version = version + 1,"
	" updated_at = greatest(updated_at, $2::bigint), sla_due_at = $3::bigint"
	" WHERE id = $1::bigint RETURNING occurrence_count";

static const char SQL_RETIRE[] = "UPDATE tickets SET dedup_active = 0 WHERE id = $1::bigint";

static const char SQL_INSERT_TICKET[] =
	"INSERT INTO tickets (title, description, severity, priority, category, component,"
	" source, reporter, fingerprint, grouping_version, grouping_input, error_type,"
	" error_message, stack_trace, first_occurred_at, last_occurred_at, service, host,"
	" environment, release_sha, trace_id, request_id, context, created_at, updated_at,"
	" sla_due_at, occurrence_count)"
	" VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text,"
	" $9::text, $10::integer, $11::text, $12::text, $13::text, $14::text, $15::bigint,"
	" $25::bigint, $16::text, $17::text, $18::text, $19::text, $20::text, $21::text,"
	" $22::text, $15::bigint, $15::bigint, $23::bigint, $24::bigint)"
	" RETURNING id, number, occurrence_count";

static const char SQL_INSERT_LOG[] =
	"INSERT INTO error_logs (ticket_id, level, component, message, message_template,"
	" fingerprint, error_type, error_code, file, line, function, stack_trace, context,"
	" trace_id, request_id, service, host, pid, environment, release_sha, created_at)"
	" VALUES ($1::bigint, $2::integer, $3::text, $4::text, $5::text, $6::text, $7::text,"
	" $8::integer, $9::text, $10::integer, $11::text, $12::text, $13::text, $14::text,"
	" $15::text, $16::text, $17::text, $18::bigint, $19::text, $20::text, $21::bigint)";

/* The log-row cap: drop the oldest samples, keeping the first $2 rows of
 * ticket $1 and its latest $3. */
static const char SQL_PRUNE_SAMPLES[] =
	"DELETE FROM error_logs WHERE id IN (SELECT id FROM error_logs WHERE ticket_id = $1::bigint"
	" ORDER BY id LIMIT greatest(0, (SELECT count(*) FROM error_logs"
	" WHERE ticket_id = $1::bigint) - $2::bigint - $3::bigint) OFFSET $2::bigint)";

static const char SQL_COUNTER_ADD[] =
	"INSERT INTO counters (name, value, updated_at) VALUES ($1::text, $2::bigint, $3::bigint)"
	" ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value,"
	" updated_at = excluded.updated_at";

static const char SQL_RELEASE_SEEN[] =
	"INSERT INTO releases (name, first_seen_at) VALUES ($1::text, $2::bigint)"
	" ON CONFLICT (name) DO NOTHING";

/* When the last of @o's occurrences happened. */
static int64_t occ_last(const bti_occurrence *o)
{
	return o->last_at > o->now ? o->last_at : o->now;
}

/* 0 means "none" for error codes, lines, pids and ticket ids. */
static void param_nonzero(bti_pg_params *p, int64_t v)
{
	if (v)
		bti_pg_int(p, v);
	else
		bti_pg_text(p, NULL);
}

static void hit_params(bti_pg_params *p, const bti_occurrence *o)
{
	bti_pg_params_init(p);
	bti_pg_text(p, o->fingerprint);
	bti_pg_int(p, o->now);
	bti_pg_int(p, o->dedup_window_ms);
	bti_pg_int(p, bti_occurrence_count(o));
	bti_pg_int(p, occ_last(o));
}

/* Read the "id, number[, occurrence_count]" of row 0 into @out. */
static void read_landing(const PGresult *res, bti_landing *out)
{
	out->ticket_id = bti_pg_get_int(res, 0, 0);
	snprintf(out->number, sizeof(out->number), "%s", PQgetvalue(res, 0, 1));
	if (PQnfields(res) > 2 && !PQgetisnull(res, 0, 2))
		out->occurrence = bti_pg_get_int(res, 0, 2);
}

int bti_pg_op_ticket_open(bti_store *base, const bti_occurrence *o, bti_landing *out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	int rc;

	bti_pg_params_init(&p);
	bti_pg_text(&p, o->title);
	bti_pg_text(&p, o->description);
	bti_pg_text(&p, o->severity);
	bti_pg_text(&p, o->priority);
	bti_pg_text(&p, o->category);
	bti_pg_text(&p, o->component);
	bti_pg_text(&p, o->source);
	bti_pg_text(&p, o->reporter);
	bti_pg_text(&p, o->fingerprint);
	param_nonzero(&p, o->grouping_version);
	bti_pg_text(&p, o->grouping_input);
	bti_pg_text(&p, o->error_type);
	bti_pg_text(&p, o->message);
	bti_pg_text(&p, o->stack_trace);
	bti_pg_int(&p, o->now);
	bti_pg_text(&p, o->service);
	bti_pg_text(&p, o->host);
	bti_pg_text(&p, o->environment);
	bti_pg_text(&p, o->release);
	bti_pg_text(&p, o->trace_id);
	bti_pg_text(&p, o->request_id);
	bti_pg_text(&p, o->context);
	param_nonzero(&p, o->sla_due_at);
	bti_pg_int(&p, bti_occurrence_count(o));
	bti_pg_int(&p, occ_last(o));
	rc = bti_pg_exec(st, SQL_INSERT_TICKET, &p, &res, "opening a ticket");
	if (rc != BT_OK)
		return rc;
	read_landing(res, out);
	out->created = 1;
	PQclear(res);
	return BT_OK;
}

/* A hit's answer: the ticket it landed on, if any (the result is freed). */
static int hit_landed(int rc, PGresult *res, bti_landing *out)
{
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) > 0)
		read_landing(res, out);
	PQclear(res);
	return BT_OK;
}

int bti_pg_op_land_hit(bti_store *base, const bti_occurrence *o, bti_landing *out)
{
	bti_pg_params p;
	PGresult *res;
	int rc;

	hit_params(&p, o);
	rc = bti_pg_exec((bti_pg_store *)base, SQL_HIT, &p, &res, "counting an occurrence");
	return hit_landed(rc, res, out);
}

int bti_pg_op_land_hit_alone(bti_store *base, const bti_occurrence *o, int64_t log_first,
			     int64_t log_every, bti_landing *out)
{
	bti_pg_params p;
	PGresult *res;
	int rc;

	hit_params(&p, o);
	bti_pg_int(&p, log_first);
	bti_pg_int(&p, log_every);
	rc = bti_pg_exec_alone((bti_pg_store *)base, SQL_HIT_ALONE, &p, &res,
			       "counting an occurrence");
	return hit_landed(rc, res, out);
}

/* ---- pipelines: many statements, one round trip (asynchronous batches) ---- */

/* Queries per pipeline sync: each result is small, and neither side reads
 * while it writes, so a chunk must fit in the sockets' buffers (blocking
 * sends on both sides would wait for each other). */
#define PIPELINE_CHUNK 256

/* The parameters of query @k, and what to do with its result. */
typedef struct pipeline_job {
	const char *what;
	int nparams;
	void (*params)(bti_pg_params *p, const struct pipeline_job *job, size_t k);
	void (*result)(const PGresult *res, const struct pipeline_job *job, size_t k);
	const bti_occurrence *const *os;
	const int64_t *ids;
	bti_landing *outs;
} pipeline_job;

/* Queries [@from, @to) of @job: send them all, one sync, then read each
 * result in order.  libpq copies the parameters as each query is sent, so
 * one set serves them all.  After a failed query the server skips the rest
 * up to the sync (PGRES_PIPELINE_ABORTED): the first failure is the one
 * reported, and the caller rolls the transaction back. */
static int pipeline_chunk(bti_pg_store *st, const char *name, const pipeline_job *job,
			  size_t from, size_t to)
{
	PGconn *c = st->conn;
	bti_pg_params p;
	PGresult *res;
	int rc = BT_OK;
	size_t k;

	for (k = from; k < to; k++) {
		job->params(&p, job, k);
		if (!PQsendQueryPrepared(c, name, p.n, p.values, NULL, NULL, 0))
			return bti_pg_fail(st, NULL, job->what);
	}
	if (!PQpipelineSync(c))
		return bti_pg_fail(st, NULL, job->what);
	for (k = from; k < to; k++) {
		res = PQgetResult(c);
		if (!res)
			return bti_pg_fail(st, NULL, job->what);
		if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK) {
			if (job->result)
				job->result(res, job, k);
		} else if (rc == BT_OK) {
			rc = bti_pg_fail(st, res, job->what);
		}
		PQclear(res);
		/* Each query's results end with a NULL. */
		while ((res = PQgetResult(c)) != NULL)
			PQclear(res);
	}
	/* The sync's own result closes the chunk. */
	res = PQgetResult(c);
	if (!res || PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
		PQclear(res);
		return rc != BT_OK ? rc : bti_pg_fail(st, NULL, job->what);
	}
	PQclear(res);
	return rc;
}

static int pipeline(bti_pg_store *st, const char *sql_text, const pipeline_job *job, size_t n)
{
	char name[16];
	int rc = bti_pg_prepared(st, sql_text, job->nparams, job->what, name);

	if (rc != BT_OK)
		return rc;
	if (!PQenterPipelineMode(st->conn))
		return bti_pg_fail(st, NULL, job->what);
	for (size_t k = 0; rc == BT_OK && k < n; k += PIPELINE_CHUNK)
		rc = pipeline_chunk(st, name, job, k, n - k < PIPELINE_CHUNK ? n : k + PIPELINE_CHUNK);
	/* Leaves pipeline mode only once every result was read; a broken
	 * connection is made again by the next call. */
	if (!PQexitPipelineMode(st->conn) && rc == BT_OK)
		rc = bti_pg_fail(st, NULL, job->what);
	return rc;
}

static void hit_job_params(bti_pg_params *p, const pipeline_job *job, size_t k)
{
	hit_params(p, job->os[k]);
}

static void hit_job_result(const PGresult *res, const pipeline_job *job, size_t k)
{
	if (PQntuples(res) > 0)
		read_landing(res, &job->outs[k]);
}

int bti_pg_op_land_hits(bti_store *base, const bti_occurrence *const *os, size_t n,
			bti_landing *outs)
{
	pipeline_job job = { "counting occurrences", 5, hit_job_params, hit_job_result, os, NULL,
			     outs };

	if (n < 2) /* nothing to gain */
		return n ? bti_pg_op_land_hit(base, os[0], &outs[0]) : BT_OK;
	return pipeline((bti_pg_store *)base, SQL_HIT, &job, n);
}

int bti_pg_op_land_find(bti_store *base, const bti_occurrence *o, int alias,
			bti_land_candidate *out)
{
	bti_pg_store *st = (bti_pg_store *)base;
	bti_pg_params p;
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	bti_pg_params_init(&p);
	bti_pg_text(&p, o->fingerprint);
	bti_pg_text(&p, o->release);
	rc = bti_pg_exec(st, alias ? SQL_FIND_ALIAS : SQL_FIND, &p, &res, "finding a ticket");
	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) > 0) {
		read_landing(res, &out->at);
		out->at.occurrence = 0;
		out->status = bti_status_from_name(PQgetvalue(res, 0, 2));
		out->older_release = (int)bti_pg_get_int(res, 0, 3);
		out->last = bti_pg_get_int(res, 0, 4);
		out->severity = bti_severity_from_name(PQgetvalue(res, 0, 5));
	}
	PQclear(res);
	return BT_OK;
}

/* Run @sql on ticket @id with @o's counts; out->occurrence from its RETURNING. */
static int count_on(bti_pg_store *st, const char *sql_text, const bti_pg_params *p, bti_landing *out,
		    const char *what)
{
	PGresult *res;
	int rc = bti_pg_exec(st, sql_text, p, &res, what);

	if (rc != BT_OK)
		return rc;
	if (PQntuples(res) > 0)
		out->occurrence = bti_pg_get_int(res, 0, 0);
	PQclear(res);
	return BT_OK;
}

int bti_pg_op_land_reopen(bti_store *base, const bti_occurrence *o, int64_t id,
			  int64_t sla_due_at, bti_landing *out)
{
	bti_pg_params p;

	bti_pg_params_init(&p);
	bti_pg_int(&p, id);
	bti_pg_int(&p, o->now);
	bti_pg_int(&p, sla_due_at);
	bti_pg_int(&p, bti_occurrence_count(o));
	bti_pg_int(&p, occ_last(o));
	return count_on((bti_pg_store *)base, SQL_REOPEN, &p, out, "reopening a ticket");
}

int bti_pg_op_land_count(bti_store *base, const bti_occurrence *o, int64_t id, bti_landing *out)
{
	bti_pg_params p;

	bti_pg_params_init(&p);
	bti_pg_int(&p, id);
	bti_pg_int(&p, o->now);
	bti_pg_int(&p, bti_occurrence_count(o));
	bti_pg_int(&p, occ_last(o));
	return count_on((bti_pg_store *)base, SQL_COUNT, &p, out, "counting an occurrence");
}

int bti_pg_op_land_retire(bti_store *base, int64_t id)
{
	bti_pg_params p;

	bti_pg_params_init(&p);
	bti_pg_int(&p, id);
	return bti_pg_run((bti_pg_store *)base, SQL_RETIRE, &p, "retiring a ticket", NULL, NULL);
}

static void log_params(bti_pg_params *p, const bti_occurrence *o, int64_t ticket_id)
{
	bti_pg_params_init(p);
	param_nonzero(p, ticket_id);
	bti_pg_int(p, o->level);
	bti_pg_text(p, o->component);
	bti_pg_text(p, o->message);
	bti_pg_text(p, o->message_template);
	bti_pg_text(p, o->fingerprint);
	bti_pg_text(p, o->error_type);
	param_nonzero(p, o->error_code);
	bti_pg_text(p, o->file);
	param_nonzero(p, o->line);
	bti_pg_text(p, o->function);
	bti_pg_text(p, o->stack_trace);
	bti_pg_text(p, o->context);
	bti_pg_text(p, o->trace_id);
	bti_pg_text(p, o->request_id);
	bti_pg_text(p, o->service);
	bti_pg_text(p, o->host);
	param_nonzero(p, o->pid);
	bti_pg_text(p, o->environment);
	bti_pg_text(p, o->release);
	bti_pg_int(p, o->now);
}

int bti_pg_op_log_insert(bti_store *base, const bti_occurrence *o, int64_t ticket_id)
{
	bti_pg_params p;

	log_params(&p, o, ticket_id);
	return bti_pg_run((bti_pg_store *)base, SQL_INSERT_LOG, &p, "storing a log row", NULL, NULL);
}

static void log_job_params(bti_pg_params *p, const pipeline_job *job, size_t k)
{
	log_params(p, job->os[k], job->ids[k]);
}

int bti_pg_op_log_inserts(bti_store *base, const bti_occurrence *const *os,
			  const int64_t *ticket_ids, size_t n)
{
	pipeline_job job = { "storing log rows", 21, log_job_params, NULL, os, ticket_ids, NULL };

	if (n < 2)
		return n ? bti_pg_op_log_insert(base, os[0], ticket_ids[0]) : BT_OK;
	return pipeline((bti_pg_store *)base, SQL_INSERT_LOG, &job, n);
}

int bti_pg_op_log_prune(bti_store *base, int64_t ticket_id, int64_t keep_first, int64_t keep_last)
{
	bti_pg_params p;

	bti_pg_params_init(&p);
	bti_pg_int(&p, ticket_id);
	bti_pg_int(&p, keep_first);
	bti_pg_int(&p, keep_last);
	return bti_pg_run((bti_pg_store *)base, SQL_PRUNE_SAMPLES, &p, "pruning log rows", NULL,
			  NULL);
}

int bti_pg_op_release_seen(bti_store *base, const char *release, int64_t now)
{
	bti_pg_params p;

	bti_pg_params_init(&p);
	bti_pg_text(&p, release);
	bti_pg_int(&p, now);
	return bti_pg_run((bti_pg_store *)base, SQL_RELEASE_SEEN, &p, "recording a release", NULL,
			  NULL);
}

int bti_pg_op_counter_add(bti_store *base, const char *name, int64_t delta, int64_t now)
{
	bti_pg_params p;

	bti_pg_params_init(&p);
	bti_pg_text(&p, name);
	bti_pg_int(&p, delta);
	bti_pg_int(&p, now);
	return bti_pg_run((bti_pg_store *)base, SQL_COUNTER_ADD, &p, "updating a counter", NULL,
			  NULL);
}
