/*
 * store_sqlite.h - private to the SQLite backend (lib/store/sqlite/).
 */
#ifndef BT_STORE_SQLITE_H
#define BT_STORE_SQLITE_H

#include <sqlite3.h>

#include "internal.h"
#include "store.h"

#define BTI_STMT_CACHE 128

/* A handle of this backend: the base first, so that the library's
 * bti_store * and this one are the same address. */
typedef struct bti_sqlite_store {
	bti_store base;
	sqlite3 *sql;
	const bti_migration_set *migrations;
	unsigned int flags;
	int busy_timeout_ms;
	/* Lock waits (busy_wait in connection.c) end at the monotonic
	 * @deadline_ms of the call in progress when it is set (non-zero), and
	 * otherwise @wait_ms after they start. */
	int64_t deadline_ms;
	int wait_ms;
	int64_t wait_started_ms;
	int wait_noticed; /* this wait called the handle's wait notice */
	/* Prepared statements, keyed by the address of their SQL constant. */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[BTI_STMT_CACHE];
	size_t cached;
	/* Prepared at open, so that a rollback needs no allocation: an
	 * unprepared "ROLLBACK" can itself fail when memory runs out, and leave
	 * the transaction open. */
	sqlite3_stmt *rollback;
	int cache_grown; /* a long listing raised cache_size (grow_cache) */
} bti_sqlite_store;

/* Make lock waits end by the deadlines above, instead of SQLite's own
 * busy timeout. */
void bti_sqlite_busy_install(bti_sqlite_store *st);

/* Register the SQL functions the queries use (bt_contains_folded). */
int bti_sqlite_functions_install(bti_sqlite_store *st);

/* The prepared statement for @sql_text, a string constant: prepared once
 * per connection, then reused.  Give it back with bti_sqlite_release(). */
int bti_sqlite_stmt(bti_sqlite_store *st, const char *sql_text, sqlite3_stmt **out);

/* Reset @stmt and clear its bindings, ready for the next use. */
void bti_sqlite_release(sqlite3_stmt *stmt);

/* Bind @s, or leave NULL when @s is NULL.  The string must outlive the
 * statement's use (SQLITE_STATIC). */
static inline void bti_bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
}

/* Run a cached statement whose parameters ?1..?3 (as many as it has) are
 * integers.  If it returns a row (RETURNING), *first_out receives the row's
 * first column when @first_out is not NULL. */
int bti_sqlite_run_ids(bti_sqlite_store *st, const char *sql_text, int64_t a, int64_t b, int64_t c,
		       const char *what, int64_t *first_out);

/* Run the cached INSERT into fingerprint_aliases @sql_text, whose ?1..?3 are
 * the fingerprint, the ticket and the time; its ON CONFLICT clause decides
 * what becomes of an alias already there (merges move it, import keeps it). */
int bti_sqlite_add_alias(bti_sqlite_store *st, const char *sql_text, const char *fingerprint,
			 int64_t ticket_id, int64_t now);

/* Run a cached statement that returns no rows. */
int bti_sqlite_run(bti_sqlite_store *st, const char *sql_text, const char *what);

/* Record a failed SQLite call as this thread's error: maps @rc to a BT_*
 * code, keeps the extended code and the message, prefixed with @what. */
int bti_sqlite_fail(sqlite3 *sql, int rc, const char *what);
int bti_sqlite_open(const char *path, int flags, sqlite3 **out);

/* Pages a WAL may hold before the commit that crosses it checkpoints:
 * configure() sets it with "PRAGMA wal_autocheckpoint=4096", a constant
 * string as every SQL text is (tests/security/check_sql_source.py). */
#define BTI_SQLITE_AUTOCHECKPOINT 4096

/* A count kept to its leading digit (1..9, 10, 20..90, 100, ...), as
 * tickets.count_floor holds it (migrations/sqlite/0011_sort_indexes.sql). */
#define BTI_SQLITE_COUNT_FLOOR(x) "CAST(substr(CAST(" x " AS TEXT), 1, 1)" \
	" || substr('000000000000000000', 1, length(CAST(" x " AS TEXT)) - 1) AS INTEGER)"

/* Run one statement without results, retrying SQLITE_BUSY until the busy
 * timeout elapses.  SQLite does not call its busy handler in every case
 * (WAL recovery, journal-mode changes), so open-time setup retries itself. */
int bti_sqlite_exec_retry(bti_sqlite_store *st, const char *sql_text, const char *what);

/* Schema checks and migration (store/sqlite/migrate.c). */
int bti_sqlite_schema_state(bti_sqlite_store *st, int *current_out, size_t *applied_out);
int bti_sqlite_migrate(bti_sqlite_store *st);

/* The connection of a SQLite handle (the tests read rows through it). */
static inline sqlite3 *bti_sqlite_connection(bti_store *st)
{
	return ((bti_sqlite_store *)st)->sql;
}

/* The operations of bti_sqlite_ops, one per member of bti_store_ops:
 * store.h says what each does. */
int bti_sqlite_op_open(bti_store **out, const char *path, unsigned int flags, int busy_timeout_ms, const bti_migration_set *migrations);
void bti_sqlite_op_close(bti_store *st);
void bti_sqlite_op_close_inherited(bti_store *st);
int bti_sqlite_op_schema_version(bti_store *st, int *current_out);
int bti_sqlite_op_schema_latest(const bti_store *st);
int bti_sqlite_op_migrate(bti_store *st);
int bti_sqlite_op_land_hit(bti_store *st, const bti_occurrence *o, bti_landing *out);
int bti_sqlite_op_land_hits(bti_store *st, const bti_occurrence *const *os, size_t n,
			    bti_landing *outs);
int bti_sqlite_op_land_find(bti_store *st, const bti_occurrence *o, int alias,
			    bti_land_candidate *out);
int bti_sqlite_op_land_count(bti_store *st, const bti_occurrence *o, int64_t id,
			     bti_landing *out);
int bti_sqlite_op_land_reopen(bti_store *st, const bti_occurrence *o, int64_t id,
			      int64_t sla_due_at, bti_landing *out);
int bti_sqlite_op_land_retire(bti_store *st, int64_t id);
int bti_sqlite_op_ticket_open(bti_store *st, const bti_occurrence *o, bti_landing *out);
int bti_sqlite_op_log_insert(bti_store *st, const bti_occurrence *o, int64_t ticket_id);
int bti_sqlite_op_log_inserts(bti_store *st, const bti_occurrence *const *os,
			      const int64_t *ticket_ids, size_t n);
int bti_sqlite_op_log_prune(bti_store *st, int64_t ticket_id, int64_t keep_first,
			    int64_t keep_last);
int bti_sqlite_op_counter_add(bti_store *st, const char *name, int64_t delta, int64_t now);
int bti_sqlite_op_crash_claim(bti_store *st, const char *hash, int64_t now, int *fresh_out);
int bti_sqlite_op_crash_mark_get(bti_store *st, bti_crash_mark *out);
int bti_sqlite_op_crash_mark_set(bti_store *st, const bti_crash_mark *m);
int bti_sqlite_op_release_seen(bti_store *st, const char *release, int64_t now);
int bti_sqlite_op_token_insert(bti_store *st, const char *name, const char *hash,
			       unsigned int scopes, int64_t now);
int bti_sqlite_op_token_find(bti_store *st, const char *hash, bt_token_info *out);
int bti_sqlite_op_token_touch(bti_store *st, int64_t id, int64_t at);
int bti_sqlite_op_token_revoke(bti_store *st, const char *name, int64_t now);
int bti_sqlite_op_token_page(bti_store *st, const char *after, bt_token_info *rows, size_t cap,
			     size_t *n_out);
int bti_sqlite_op_ticket_keys(bti_store *st, const bti_ticket_query *q, int64_t *keys, int64_t *ids, size_t cap, size_t *n_out);
int bti_sqlite_op_begin(bti_store *st);
int bti_sqlite_op_begin_read(bti_store *st);
int bti_sqlite_op_commit(bti_store *st);
void bti_sqlite_op_rollback(bti_store *st);
void bti_sqlite_op_end_stray_txn(bti_store *st);
void bti_sqlite_op_set_deadline(bti_store *st, int64_t deadline_ms);
int bti_sqlite_op_ticket_update(bti_store *st, int64_t id, const bti_ticket_update *u, int64_t now);
int bti_sqlite_op_event_add(bti_store *st, int64_t ticket_id, const char *actor, const char *kind, const char *field, const char *from, const char *to, const char *note, int64_t now);
int bti_sqlite_op_merge_links(bti_store *st, int64_t dup, int64_t canonical, const char *dup_fingerprint, int64_t now);
int bti_sqlite_op_ticket_delete(bti_store *st, int64_t id);
int bti_sqlite_op_pending_page(bti_store *st, const char *agent, int max_attempts, int64_t now, bt_ticket **rows, size_t cap, size_t *n_out);
int bti_sqlite_op_ticket_counts(bti_store *st, int64_t now, bti_ticket_counts *out);
int bti_sqlite_op_events_page(bti_store *st, int64_t id, int64_t after_time, int64_t after_id, bt_audit_entry **rows, size_t cap, size_t *n_out);
int bti_sqlite_op_events_feed(bti_store *st, int64_t after_id, bt_audit_entry **rows, size_t cap, size_t *n_out);
int bti_sqlite_op_events_last(bti_store *st, int64_t *id_out);
int bti_sqlite_op_ticket_exists(bti_store *st, int64_t id);
int bti_sqlite_op_log_page(bti_store *st, const bti_log_query *q, bt_log_entry **rows, size_t cap, size_t *n_out);
int bti_sqlite_op_purge_step(bti_store *st, bti_purge_batch *b);
int bti_sqlite_op_ticket_get(bti_store *st, int64_t id, bt_ticket **out);
int bti_sqlite_op_report_summary(bti_store *st, int64_t from, int64_t to, bti_report_summary *out);
int bti_sqlite_op_report_top_page(bti_store *st, int64_t from, int64_t to, int64_t after_count, int64_t after_id, bti_report_top_row *rows, size_t cap, size_t *n_out);
int bti_sqlite_op_report_component_page(bti_store *st, int64_t from, int64_t to, int has_after, const char *after, bti_report_group_row *rows, size_t cap, size_t *n_out);
int bti_sqlite_op_report_next_activity(bti_store *st, int64_t at, int64_t to, int64_t *out);
int bti_sqlite_op_report_day_page(bti_store *st, int64_t from, int64_t to, int has_after, const char *after, bti_report_group_row *rows, size_t cap, size_t *n_out);
int bti_sqlite_op_report_mttr(bti_store *st, int64_t from, int64_t to, bti_report_mttr_row out[5]);
int bti_sqlite_op_inspect_open(bti_store **out, const char *path, int writable, const bti_migration_set *migrations);
int bti_sqlite_op_identify(const char *path, bt_db_kind *out);
int bti_sqlite_op_kind(bti_store *st, const char *path, bt_db_kind *out);
int bti_sqlite_op_schema_diff(bti_store *st, int version, bti_schema_diff_fn fn, void *payload, size_t *count_out);
int bti_sqlite_op_migration_records(bti_store *st, bti_record_fn fn, void *payload);
int bti_sqlite_op_stamp(bti_store *st, int version);
int bti_sqlite_op_vacuum(bti_store *st, int64_t *freed_out);
int bti_sqlite_op_checkpoint(bti_store *st, int64_t *log_out, int64_t *backfilled_out);
int bti_sqlite_op_check_integrity(bti_store *st, int full, int64_t *errors_out, char *first,
				  size_t size);
int bti_sqlite_op_check_rows(bti_store *st, bti_check_rows *out);
void bti_sqlite_op_wal_state(const char *path, bti_wal_state *out);
int bti_sqlite_op_check_metrics(bti_store *st, const bti_wal_state *wal, bti_metric_fn fn,
				void *payload);
void bti_sqlite_op_advice(const char *problem, const char *location, long pid, char *buf,
			  size_t size);
int bti_sqlite_op_counters(bti_store *st, bti_counter_fn fn, void *payload);
int bti_sqlite_op_ticket_by_external_id(bti_store *st, const char *external_id, int64_t *id_out);
int bti_sqlite_op_ticket_by_trace_id(bti_store *st, const char *trace_id, int64_t *id_out);
int bti_sqlite_op_ticket_origin(bti_store *st, int64_t id, int64_t *created_at_out, char **fingerprint_out);
int bti_sqlite_op_ticket_id_high(bti_store *st, int64_t *high_out);
int bti_sqlite_op_ticket_insert(bti_store *st, const bt_ticket *row, int dedup_active, int grouping_version, int64_t *id_out);
int bti_sqlite_op_ticket_link(bti_store *st, int64_t id, int64_t canonical, const char *fingerprint, int64_t now);
int bti_sqlite_op_fingerprint_activate(bti_store *st, const char *fingerprint);
int bti_sqlite_op_wait_open(const char *location, int busy_timeout_ms, bti_waiter **out);
int bti_sqlite_op_wait(bti_waiter *w, int64_t deadline_ms);
void bti_sqlite_op_wait_close(bti_waiter *w);
extern const bti_store_ops bti_sqlite_ops;

#endif
