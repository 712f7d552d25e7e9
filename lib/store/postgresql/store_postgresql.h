/*
 * store_postgresql.h - private to the PostgreSQL backend (lib/store/postgresql/).
 *
 * Conventions of its SQL (each file follows them):
 *  - parameters are $1..$n, and each is cast where it is used ($1::bigint,
 *    $2::text), so that PostgreSQL never has to guess a type;
 *  - values travel as text (bti_pg_params), results are read as text
 *    (bti_pg_int, bti_pg_text);
 *  - the statements are string constants: bti_pg_exec prepares each once
 *    per connection, keyed by its address, as the SQLite backend does.
 *
 * Concurrency.  SQLite has one writer at a time (BEGIN IMMEDIATE), and the
 * library's rules (lifecycle.c, landing.c) read a ticket, decide, then
 * write.  A write transaction here takes the same single-writer lock first:
 * a transaction-level advisory lock on one key per schema (bti_pg_begin),
 * so those read-decide-write steps see no other writer between the read
 * and the write, on every host, exactly as on SQLite.  Read transactions
 * (bti_pg_begin_read) are REPEATABLE READ snapshots and take no lock.
 */
#ifndef BT_STORE_POSTGRESQL_H
#define BT_STORE_POSTGRESQL_H

#include <libpq-fe.h>

#include "internal.h"
#include "store.h"

#define BTI_PG_STMT_CACHE 160
#define BTI_PG_MAX_PARAMS 48

/* A handle of this backend: the base first, as in every backend. */
typedef struct bti_pg_store {
	bti_store base;
	PGconn *conn;
	char *conninfo;          /* what libpq connects with: the location minus schema= */
	char *schema;            /* the schema= parameter, or NULL (search_path as is) */
	const bti_migration_set *migrations;
	unsigned int flags;
	int busy_timeout_ms;
	int64_t deadline_ms;     /* bti_store_set_deadline, 0: none */
	int in_txn;              /* a transaction this handle began is open */
	int64_t txid;            /* the open write transaction's id (txid_current), 0: none */
	int opened;              /* bt_open is done: connection faults are BT_EIO */
	int lock_timeout_set;    /* the lock_timeout in effect (ms), to skip SETs */
	int session_ended;       /* the server sent a FATAL: this session is over */
	/* Back-off after a failed connection: no attempt before @retry_at_ms
	 * (monotonic), and the pause doubles up to a few seconds, so that an
	 * asynchronous writer retrying every interval does not hammer a
	 * server that is down. */
	int64_t retry_at_ms;
	int backoff_ms;
	char last_connect_error[200];
	/* Prepared statements, keyed by the address of their SQL constant;
	 * named "s<index>" on the server.  Emptied when the connection is
	 * made again. */
	const char *cache[BTI_PG_STMT_CACHE];
	size_t cached;
	/* What the last check_integrity did, for check_metrics: the indexes
	 * amcheck looked at, and whether the server refused to run it. */
	int64_t amcheck_checked;
	int amcheck_refused;
} bti_pg_store;

/* ---- parameters ---- */

typedef struct bti_pg_params {
	int n;
	const char *values[BTI_PG_MAX_PARAMS];
	char buf[BTI_PG_MAX_PARAMS][24];
} bti_pg_params;

static inline void bti_pg_params_init(bti_pg_params *p)
{
	p->n = 0;
}

/* Append the next parameter: an integer, a string (NULL: SQL NULL), or a
 * time (0: SQL NULL, as the SQLite backend stores an unset time). */
void bti_pg_int(bti_pg_params *p, int64_t v);
void bti_pg_text(bti_pg_params *p, const char *s);
void bti_pg_time(bti_pg_params *p, int64_t t);

/* ---- running statements ---- */

/* Run @sql_text (a string constant) with @p (NULL: no parameters).  On success
 * *out holds the result (PGRES_TUPLES_OK or PGRES_COMMAND_OK), to be
 * PQclear'ed; on failure *out is NULL and the error is recorded, prefixed
 * with @what, and mapped to a BT_* code (bti_pg_fail). */
int bti_pg_exec(bti_pg_store *st, const char *sql_text, const bti_pg_params *p, PGresult **out,
		const char *what);

/* As bti_pg_exec, for one statement that is a transaction of its own
 * (outside bti_pg_begin: the hot path's one round trip).  A dead
 * connection whose server ended the session (an error with a SQLSTATE, as
 * after a restart) is made again and the statement sent once more: it had
 * not run.  An answer lost with no word from the server leaves the
 * statement's fate unknown: BT_EIO with postgresql:08007, never a second
 * send that could apply it twice. */
int bti_pg_exec_alone(bti_pg_store *st, const char *sql_text, const bti_pg_params *p,
		      PGresult **out, const char *what);

/* Prepare @sql_text (a string constant) on this connection if it is not yet,
 * and write its server-side name to @name: for the pipelined sends of
 * land_hits. */
int bti_pg_prepared(bti_pg_store *st, const char *sql_text, int nparams, const char *what,
		    char name[16]);

/* Run @sql_text and drop its result.  *first_out (may be NULL) receives the
 * first column of the first row, if a row came back (RETURNING); it is
 * left alone otherwise.  *changes_out (may be NULL) the rows affected. */
int bti_pg_run(bti_pg_store *st, const char *sql_text, const bti_pg_params *p, const char *what,
	       int64_t *first_out, int64_t *changes_out);

/* Run @sql_text (no parameters, not prepared: one-off statements, several
 * statements in one string such as a migration). */
int bti_pg_exec_simple(bti_pg_store *st, const char *sql_text, const char *what);

/* Record @res's error (NULL: the connection's) as this thread's error:
 * the SQLSTATE decides the BT_* code (08*: BT_EIO, 40001/40P01/55P03/57014:
 * BT_EBUSY, 23*: BT_EINVALID or BT_ECONFLICT, 53300: BT_EBUSY, ...), the
 * backend code is "postgresql:<SQLSTATE>", the message is @what and the
 * server's primary message. */
int bti_pg_fail(bti_pg_store *st, const PGresult *res, const char *what);

/* ---- reading results ---- */

/* The integer in (@row, @col); 0 for NULL. */
int64_t bti_pg_get_int(const PGresult *r, int row, int col);
/* A copy of the text in (@row, @col) (bti_free), NULL for SQL NULL;
 * BT_ENOMEM (recorded) when a copy cannot be made. */
int bti_pg_get_text(const PGresult *r, int row, int col, char **out);

/* ---- transactions (the ops of the same names) ---- */

int bti_pg_begin(bti_pg_store *st);
/* Set by the race test's control only (tests/postgresql): write
 * transactions then take no writer lock, and that test must fail. */
extern int bti_pg_writer_lock_off;
/* Set by tests/postgresql's faults test only: the next N COMMITs of a
 * write transaction go out and their answer is lost with the connection. */
extern int bti_pg_test_lose_commit_reply;
/* Likewise for the next N statements of bti_pg_exec_alone: each runs, and
 * its answer is lost with the connection. */
extern int bti_pg_test_lose_alone_reply;
int bti_pg_commit(bti_pg_store *st);
void bti_pg_rollback(bti_pg_store *st);

/* A connected handle of @location that applies no migration (doctor's
 * inspection, the feed's waiters). */
int bti_pg_connect_store(const char *location, unsigned int flags, int busy_timeout_ms,
			 const bti_migration_set *migrations, bti_pg_store **out);
/* Connect again if the connection was lost (with back-off). */
int bti_pg_ensure_connected(bti_pg_store *st, const char *what);

/* The connection of a PostgreSQL handle (the tests run SQL through it). */
static inline PGconn *bti_pg_connection(bti_store *st)
{
	return ((bti_pg_store *)st)->conn;
}

/* Schema checks and migration (store/postgresql/migrate.c). */
int bti_pg_schema_state(bti_pg_store *st, int *current_out, size_t *applied_out);
int bti_pg_migrate(bti_pg_store *st);

/* The PostgreSQL backend's migrations, generated from migrations/postgresql/. */
extern const bti_migration_set bti_postgresql_migrations;

/* The operations of bti_postgresql_ops, one per member of bti_store_ops:
 * store.h says what each does. */
int bti_pg_op_open(bti_store **out, const char *path, unsigned int flags, int busy_timeout_ms, const bti_migration_set *migrations);
void bti_pg_op_close(bti_store *st);
void bti_pg_op_close_inherited(bti_store *st);
int bti_pg_op_schema_version(bti_store *st, int *current_out);
int bti_pg_op_schema_latest(const bti_store *st);
int bti_pg_op_migrate(bti_store *st);
int bti_pg_op_land_hit(bti_store *st, const bti_occurrence *o, bti_landing *out);
int bti_pg_op_land_hit_alone(bti_store *st, const bti_occurrence *o, int64_t log_first,
			     int64_t log_every, bti_landing *out);
int bti_pg_op_land_hits(bti_store *st, const bti_occurrence *const *os, size_t n, bti_landing *outs);
int bti_pg_op_land_find(bti_store *st, const bti_occurrence *o, int alias, bti_land_candidate *out);
int bti_pg_op_land_count(bti_store *st, const bti_occurrence *o, int64_t id, bti_landing *out);
int bti_pg_op_land_reopen(bti_store *st, const bti_occurrence *o, int64_t id, int64_t sla_due_at, bti_landing *out);
int bti_pg_op_land_retire(bti_store *st, int64_t id);
int bti_pg_op_ticket_open(bti_store *st, const bti_occurrence *o, bti_landing *out);
int bti_pg_op_log_insert(bti_store *st, const bti_occurrence *o, int64_t ticket_id);
int bti_pg_op_log_inserts(bti_store *st, const bti_occurrence *const *os, const int64_t *ticket_ids, size_t n);
int bti_pg_op_log_prune(bti_store *st, int64_t ticket_id, int64_t keep_first, int64_t keep_last);
int bti_pg_op_counter_add(bti_store *st, const char *name, int64_t delta, int64_t now);
int bti_pg_op_crash_claim(bti_store *st, const char *hash, int64_t now, int *fresh_out);
int bti_pg_op_crash_mark_get(bti_store *st, bti_crash_mark *out);
int bti_pg_op_crash_mark_set(bti_store *st, const bti_crash_mark *m);
int bti_pg_op_release_seen(bti_store *st, const char *release, int64_t now);
int bti_pg_op_token_insert(bti_store *st, const char *name, const char *hash,
			   unsigned int scopes, int64_t now);
int bti_pg_op_token_find(bti_store *st, const char *hash, bt_token_info *out);
int bti_pg_op_token_touch(bti_store *st, int64_t id, int64_t at);
int bti_pg_op_token_revoke(bti_store *st, const char *name, int64_t now);
int bti_pg_op_token_page(bti_store *st, const char *after, bt_token_info *rows, size_t cap,
			 size_t *n_out);
int bti_pg_op_ticket_keys(bti_store *st, const bti_ticket_query *q, int64_t *keys, int64_t *ids, size_t cap, size_t *n_out);
int bti_pg_op_begin(bti_store *st);
int bti_pg_op_begin_read(bti_store *st);
int bti_pg_op_commit(bti_store *st);
void bti_pg_op_rollback(bti_store *st);
void bti_pg_op_end_stray_txn(bti_store *st);
void bti_pg_op_set_deadline(bti_store *st, int64_t deadline_ms);
int bti_pg_op_ticket_update(bti_store *st, int64_t id, const bti_ticket_update *u, int64_t now);
int bti_pg_op_event_add(bti_store *st, int64_t ticket_id, const char *actor, const char *kind, const char *field, const char *from, const char *to, const char *note, int64_t now);
int bti_pg_op_merge_links(bti_store *st, int64_t dup, int64_t canonical, const char *dup_fingerprint, int64_t now);
int bti_pg_op_ticket_delete(bti_store *st, int64_t id);
int bti_pg_op_pending_page(bti_store *st, const char *agent, int max_attempts, int64_t now, bt_ticket **rows, size_t cap, size_t *n_out);
int bti_pg_op_ticket_counts(bti_store *st, int64_t now, bti_ticket_counts *out);
int bti_pg_op_events_page(bti_store *st, int64_t id, int64_t after_time, int64_t after_id, bt_audit_entry **rows, size_t cap, size_t *n_out);
int bti_pg_op_events_feed(bti_store *st, int64_t after_id, bt_audit_entry **rows, size_t cap, size_t *n_out);
int bti_pg_op_events_last(bti_store *st, int64_t *id_out);
int bti_pg_op_ticket_exists(bti_store *st, int64_t id);
int bti_pg_op_log_page(bti_store *st, const bti_log_query *q, bt_log_entry **rows, size_t cap, size_t *n_out);
int bti_pg_op_purge_step(bti_store *st, bti_purge_batch *b);
int bti_pg_op_ticket_get(bti_store *st, int64_t id, bt_ticket **out);
int bti_pg_op_ticket_rows(bti_store *st, const int64_t *ids, size_t n, bt_ticket **rows);
int bti_pg_op_ticket_by_trace_id(bti_store *st, const char *trace_id, int64_t *id_out);
int bti_pg_op_report_summary(bti_store *st, int64_t from, int64_t to, bti_report_summary *out);
int bti_pg_op_report_top_page(bti_store *st, int64_t from, int64_t to, int64_t after_count, int64_t after_id, bti_report_top_row *rows, size_t cap, size_t *n_out);
int bti_pg_op_report_component_page(bti_store *st, int64_t from, int64_t to, int has_after, const char *after, bti_report_group_row *rows, size_t cap, size_t *n_out);
int bti_pg_op_report_next_activity(bti_store *st, int64_t at, int64_t to, int64_t *out);
int bti_pg_op_report_day_page(bti_store *st, int64_t from, int64_t to, int has_after, const char *after, bti_report_group_row *rows, size_t cap, size_t *n_out);
int bti_pg_op_report_mttr(bti_store *st, int64_t from, int64_t to, bti_report_mttr_row out[5]);
int bti_pg_op_inspect_open(bti_store **out, const char *path, int writable, const bti_migration_set *migrations);
int bti_pg_op_identify(const char *path, bt_db_kind *out);
int bti_pg_op_kind(bti_store *st, const char *path, bt_db_kind *out);
int bti_pg_op_schema_diff(bti_store *st, int version, bti_schema_diff_fn fn, void *payload, size_t *count_out);
int bti_pg_op_migration_records(bti_store *st, bti_record_fn fn, void *payload);
int bti_pg_op_stamp(bti_store *st, int version);
int bti_pg_op_vacuum(bti_store *st, int64_t *freed_out);
int bti_pg_op_check_integrity(bti_store *st, int full, int64_t *errors_out, char *first,
			      size_t size);
int bti_pg_op_check_rows(bti_store *st, bti_check_rows *out);
void bti_pg_op_wal_state(const char *path, bti_wal_state *out);
int bti_pg_op_check_metrics(bti_store *st, const bti_wal_state *wal, bti_metric_fn fn,
			    void *payload);
void bti_pg_op_advice(const char *problem, const char *location, long pid, char *buf, size_t size);
int bti_pg_op_counters(bti_store *st, bti_counter_fn fn, void *payload);
int bti_pg_op_ticket_by_external_id(bti_store *st, const char *external_id, int64_t *id_out);
int bti_pg_op_ticket_origin(bti_store *st, int64_t id, int64_t *created_at_out, char **fingerprint_out);
int bti_pg_op_ticket_id_high(bti_store *st, int64_t *high_out);
int bti_pg_op_ticket_insert(bti_store *st, const bt_ticket *row, int dedup_active, int grouping_version, int64_t *id_out);
int bti_pg_op_ticket_link(bti_store *st, int64_t id, int64_t canonical, const char *fingerprint, int64_t now);
int bti_pg_op_fingerprint_activate(bti_store *st, const char *fingerprint);
int bti_pg_op_wait_open(const char *location, int busy_timeout_ms, bti_waiter **out);
int bti_pg_op_wait(bti_waiter *w, int64_t deadline_ms);
void bti_pg_op_wait_close(bti_waiter *w);
extern const bti_store_ops bti_postgresql_ops;

/* Ticket rows (tickets.c): the columns in the order of enum
 * bti_ticket_text then enum bti_ticket_int, and a reader for them. */
#define BTI_PG_TICKET_COLUMNS \
	"number, title, status, severity, component, fingerprint, grouping_input," \
	" error_message, stack_trace, description, priority, category, source, reporter," \
	" assignee, error_type, service, host, environment, release_sha, trace_id," \
	" request_id, context, resolution_notes, resolution_commit, resolved_by," \
	" resolved_release, claimed_by, external_id, claim_token," \
	" id, occurrence_count, regression_count, first_occurred_at, last_occurred_at," \
	" claimed_at, claim_expires_at, automation_attempts, version, duplicate_of," \
	" created_at, updated_at, resolved_at, sla_due_at"

/* Row @row of @r, whose columns start with BTI_PG_TICKET_COLUMNS. */
int bti_pg_read_ticket(const PGresult *r, int row, bt_ticket **out);

#endif
