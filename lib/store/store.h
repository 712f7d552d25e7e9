/*
 * store.h - the storage layer: the only interface through which the rest of
 * the library reaches the database.  Every SQL statement lives behind it, in
 * a backend (lib/store/sqlite/), which fills the table of operations at the
 * end of this file; a second backend (PostgreSQL) fills another, without
 * touching capture or lifecycle code, and one build can hold both.
 *
 * A bti_store is not thread-safe; bt_db serialises access to it.
 */
#ifndef BT_STORE_H
#define BT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "bugtrack.h"

typedef struct bti_store bti_store;
typedef struct bti_store_ops bti_store_ops;

/* One embedded migration: migrations/NNNN_name.sql compiled in at build time. */
typedef struct bti_migration {
	int version;
	const char *name;
	const char *sql;
	const char *checksum; /* SHA-256 of the file, lowercase hex */
} bti_migration;

typedef struct bti_migration_set {
	const bti_migration *items; /* ascending, unique versions */
	size_t count;
} bti_migration_set;

/* The SQLite backend's migrations, generated from migrations/sqlite/
 * (migrations_embedded.c).  The rest of the library reaches a backend's
 * set through its table (bti_store_ops.migrations, bti_store_migrations). */
extern const bti_migration_set bti_sqlite_migrations;

/* The migration set of the backend that serves @location (NULL: a
 * database file's), or NULL with BT_ENOTSUP left as the error (backend.c). */
const bti_migration_set *bti_store_migrations(const char *location);

/* The newest schema version @set builds (0: an empty set). */
static inline int bti_migration_latest(const bti_migration_set *set)
{
	return set->count ? set->items[set->count - 1].version : 0;
}

/* @set's migration of schema version @version, or NULL. */
static inline const bti_migration *bti_migration_find(const bti_migration_set *set, int version)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->items[i].version == version)
			return &set->items[i];
	return NULL;
}

/* @location as bt_db_location() shows it: a PostgreSQL URI without its
 * password (in the user part, or a password= parameter), anything else as
 * it is.  A new string (bti_free), or NULL when memory runs out. */
char *bti_location_shown(const char *location);

/* Where the crash spool of @location lives: next to a database file
 * ("<path>.crash"); for a PostgreSQL location, which has no file, a local
 * file: $BUGTRACK_CRASH_SPOOL, else "<hash of the location>.crash" in
 * $XDG_STATE_HOME/bugtrack or ~/.local/state/bugtrack (made, mode 0700,
 * when @create).  A crashing process cannot reach a server; the next
 * bt_open of the location ingests the spool.  BT_OK, or an error code
 * with the message left. */
int bti_location_spool(const char *location, char *buf, size_t size, int create);

/* bt_location_resolve() is public (bugtrack/db.h), defined in backend.c:
 * the one place the default location is decided. */

/* Open the database at @path.  @flags are BT_OPEN_* bits; @busy_timeout_ms
 * is already resolved (> 0).  Applies pending @migrations (NULL: the
 * backend's own set; the tests pass a later one) unless the flags say
 * otherwise, and validates the schema against them. */
int bti_store_open(bti_store **out, const char *path, unsigned int flags,
		   int busy_timeout_ms, const bti_migration_set *migrations);
static inline void bti_store_close(bti_store *st);
/* Close a connection this process inherited through fork() without
 * touching the files: no checkpoint, no WAL deletion (process.c). */
static inline void bti_store_close_inherited(bti_store *st);

/* The newest migration recorded in the database (0 for a fresh one). */
static inline int bti_store_schema_version(bti_store *st, int *current_out);
/* The newest version the store's migration set knows. */
static inline int bti_store_schema_latest(const bti_store *st);
/* Apply pending migrations (for stores opened with BT_OPEN_NO_MIGRATE). */
static inline int bti_store_migrate(bti_store *st);


/* One occurrence, every string final (cleaned, redacted, grouped).  What
 * capture and bt_report_create hand to the store; NULL strings are stored
 * as NULL. */
typedef struct bti_occurrence {
	int64_t now;               /* when it happened (the first, if count > 1) */
	int64_t count;             /* occurrences it stands for; 0 means 1 */
	int64_t last_at;           /* the last one's time, if count > 1 */
	int hit_only;              /* count on an open ticket, or not at all */
	int store_log;             /* write an error_logs row (subject to the cap) */
	int make_ticket;           /* land on a ticket */
	int64_t dedup_window_ms;   /* 0 = forever */
	int log_rows_per_ticket;   /* the cap K on a ticket's log rows; 0 = none */

	const char *fingerprint;   /* NULL: never dedup (a plain report) */
	const char *grouping_input;
	int grouping_version;

	int level;
	const char *component, *message, *message_template, *error_type;
	int error_code;
	const char *file, *function;
	int line;
	const char *stack_trace, *context;
	const char *context_raw;   /* the host's context before redaction */
	const char *trace_id, *request_id;
	const char *service, *host, *environment, *release;
	int note_release;          /* @release came with the event: record it seen */
	long pid;

	/* The SLA policy, by bt_severity: a reopened ticket is due again by
	 * its own severity. */
	const int64_t *sla_ms;

	/* Only for a new ticket. */
	const char *title, *description, *severity, *priority, *category;
	const char *source, *reporter;
	int64_t sla_due_at;
} bti_occurrence;

/* How many occurrences @o stands for (landing.c and every backend). */
static inline int64_t bti_occurrence_count(const bti_occurrence *o)
{
	return o->count > 0 ? o->count : 1;
}

/* Where an occurrence landed. */
typedef struct bti_landing {
	int64_t ticket_id;         /* 0: no ticket */
	char number[BT_TICKET_NUMBER_SIZE];
	int64_t occurrence;        /* the ticket's occurrence count after this one */
	int created;               /* a new ticket was opened */
	int regressed;             /* a resolved or closed ticket reopened */
} bti_landing;

/* The steps an occurrence lands by (landing.c decides which; each is one
 * or two statements, inside the caller's transaction).  @o's count and
 * last_at say how many occurrences it stands for and when the last one
 * happened. */

/* The hot path: add @o's occurrences to the active ticket of its
 * fingerprint if that ticket is open (not resolved or closed) and, with a
 * dedup window, was last seen within it.  Fills out->ticket_id, number and
 * occurrence (the count after); out->ticket_id stays 0 when none took it. */
static inline int bti_store_land_hit(bti_store *st, const bti_occurrence *o, bti_landing *out);

/* The hot path as a transaction of its own, for a backend where a
 * transaction costs round trips (PostgreSQL: one instead of four).  It
 * lands @o only when that is all landing would do: on an open ticket, as
 * land_hit, and keeping no log row by the cap's rule (landing.c,
 * keep_log_row) with @log_first and @log_every (0: no row is kept at all).
 * Otherwise it changes nothing and out->ticket_id stays 0.  Called outside
 * any transaction.  Optional: a backend whose transactions are local
 * (SQLite) leaves it NULL, and out->ticket_id stays 0. */
static inline int bti_store_land_hit_alone(bti_store *st, const bti_occurrence *o,
					   int64_t log_first, int64_t log_every,
					   bti_landing *out);

/* The hot path for @n occurrences at once (an asynchronous batch): as
 * land_hit on each of @os in order, into @outs (zeroed by the caller).  A
 * backend may send them together (PostgreSQL: one pipeline, one round
 * trip); the results are those of the calls one by one. */
static inline int bti_store_land_hits(bti_store *st, const bti_occurrence *const *os, size_t n,
				      bti_landing *outs);

/* A ticket that may take @o's occurrences once the hot path missed. */
typedef struct bti_land_candidate {
	bti_landing at;            /* ticket_id 0: none */
	int status;                /* bt_status */
	int severity;              /* bt_severity */
	int64_t last;              /* last seen (or created) */
	int older_release;         /* @o's release was first seen before the one it was
				    * resolved in: a recurrence, not a regression */
} bti_land_candidate;

/* The active ticket of @o's fingerprint in any status; with @alias, the
 * active ticket the fingerprint was merged into (bt_ticket_merge). */
static inline int bti_store_land_find(bti_store *st, const bti_occurrence *o, int alias,
				      bti_land_candidate *out);
/* Add @o's occurrences to ticket @id whatever its state; out->occurrence. */
static inline int bti_store_land_count(bti_store *st, const bti_occurrence *o, int64_t id,
				       bti_landing *out);
/* Reopen resolved or closed ticket @id with @o's occurrences: status new,
 * one more regression, its resolution cleared, due at @sla_due_at. */
static inline int bti_store_land_reopen(bti_store *st, const bti_occurrence *o, int64_t id,
					int64_t sla_due_at, bti_landing *out);
/* Ticket @id stops taking its fingerprint's occurrences (history). */
static inline int bti_store_land_retire(bti_store *st, int64_t id);
/* A new ticket from @o (its "created" event is the caller's); fills @out. */
static inline int bti_store_ticket_open(bti_store *st, const bti_occurrence *o, bti_landing *out);
/* @o's log row, on ticket @ticket_id (0: none). */
static inline int bti_store_log_insert(bti_store *st, const bti_occurrence *o, int64_t ticket_id);
/* log_insert for each of @os, in order, on @ticket_ids (an asynchronous
 * batch; PostgreSQL sends them in one pipeline). */
static inline int bti_store_log_inserts(bti_store *st, const bti_occurrence *const *os,
					const int64_t *ticket_ids, size_t n);
/* Delete ticket @ticket_id's log rows but its first @keep_first and latest
 * @keep_last. */
static inline int bti_store_log_prune(bti_store *st, int64_t ticket_id, int64_t keep_first,
				      int64_t keep_last);

/* Add @delta to the named counter (created at 0), e.g. "async_dropped". */
static inline int bti_store_counter_add(bti_store *st, const char *name, int64_t delta,
				 int64_t now);

/* Claim crash spool record @hash inside the caller's transaction:
 * *fresh_out = 1 if it was not ingested before. */
static inline int bti_store_crash_claim(bti_store *st, const char *hash, int64_t now,
				 int *fresh_out);

/* How far crash ingestion got in the spool (crash_ingest.c). */
typedef struct bti_crash_mark {
	int64_t dev, ino;                 /* the spool file */
	char head[BT_FINGERPRINT_SIZE];   /* hash of its first bytes */
	int64_t offset;                   /* every record before it is stored */
} bti_crash_mark;

/* The mark, or BT_ENOTFOUND if there is none. */
static inline int bti_store_crash_mark_get(bti_store *st, bti_crash_mark *out);
/* Set the mark inside the caller's transaction. */
static inline int bti_store_crash_mark_set(bti_store *st, const bti_crash_mark *m);

/* Note that @release was seen now, if it is new: orders releases. */
static inline int bti_store_release_seen(bti_store *st, const char *release, int64_t now);

/* ---- API tokens (store/<backend>/tokens.c; the rules, the hashing and
 * the constant-time comparison live in auth/token.c) ---- */

/* One row of api_tokens: what bt_token_info shows, and what a check reads. */
struct bt_token_info {
	int64_t id;
	char name[BT_TOKEN_NAME_MAX + 1];
	char hash[65];             /* SHA-256 of the token, lowercase hex; "" in a listing */
	unsigned int scopes;       /* bt_token_scope bits */
	int64_t created_at;
	int64_t last_used_at;      /* 0: never */
	int64_t revoked_at;        /* 0: live */
};

/* Add a live token @name whose hash is @hash.  BT_ECONFLICT, with no
 * message, when a live token has that name (or a token that hash): the
 * caller words it. */
static inline int bti_store_token_insert(bti_store *st, const char *name, const char *hash,
					 unsigned int scopes, int64_t now);
/* The token, live or revoked, whose hash is @hash, by the unique index;
 * BT_ENOTFOUND, with no message, when there is none. */
static inline int bti_store_token_find(bti_store *st, const char *hash, bt_token_info *out);
/* Set token @id's last use to @at, unless it is at or after @at already
 * (two checkers of one minute write once; a slow one never moves it back). */
static inline int bti_store_token_touch(bti_store *st, int64_t id, int64_t at);
/* Revoke the live token @name at @now; BT_ENOTFOUND, with no message, when
 * no live token has that name. */
static inline int bti_store_token_revoke(bti_store *st, const char *name, int64_t now);
/* Up to @cap live tokens after name @after ("": from the first), by name in
 * byte order, without their hashes. */
static inline int bti_store_token_page(bti_store *st, const char *after, bt_token_info *rows,
				       size_t cap, size_t *n_out);


/* A ticket listing, resolved from bt_ticket_filter. */
typedef struct bti_ticket_query {
	bt_ticket_sort sort;
	unsigned int status_mask;
	int min_severity;
	int severity;             /* 0, or exactly this one */
	const char *component, *assignee;
	/* Case-folded (bti_casefold): a substring of the folded title, error
	 * message or description, compared code point by code point. */
	const char *text;
	int claimed;
	int64_t created_from, created_to, occurred_from, occurred_to;
	int64_t changed_from;     /* 0, or updated_at or last_occurred_at >= it */
	int regressed_only;
	int overdue_only;
	int64_t now;              /* for lease expiry and SLA */
	int has_position;         /* list only rows after (after_key, after_id) */
	int64_t after_key, after_id;
} bti_ticket_query;

/* Sort keys of BT_SORT_LAST_OCCURRED below this belong to merged
 * duplicates (which have no last_day): all -2^62, so that they list after
 * every other ticket (newest ticket first) and a position says which part
 * it is in. */
#define BTI_KEY_UNDATED_BELOW (-((int64_t)1 << 61))

/* Reads one part of a listing for bti_ticket_keys_walk: appends up to
 * @cap - *@n_io (sort key, id) pairs of the dated part (@undated 0) or of
 * the merged duplicates (1) after (@after_key, @after_id). */
typedef int (*bti_ticket_part_fn)(bti_store *st, int undated, const bti_ticket_query *q,
				  int64_t after_key, int64_t after_id, int64_t *keys,
				  int64_t *ids, size_t cap, size_t *n_io);

/* What every backend's ticket_keys op does with its own @part: the
 * query's order from its position and, sorting by last occurrence, the
 * merged duplicates after the dated tickets. */
int bti_ticket_keys_walk(bti_store *st, bti_ticket_part_fn part, const bti_ticket_query *q,
			 int64_t *keys, int64_t *ids, size_t cap, size_t *n_out);

/* Up to @cap (sort key, id) pairs of the tickets after the query's
 * position, in its order.  *n_out < cap means the listing ended.  A
 * listing reads keys and ids first and the rows by id after (ticket_rows):
 * sorting a page's whole rows cost a sort of every row of its index group
 * (a day, by last occurrence) per page, which made a long listing
 * quadratic in the group's size. */
static inline int bti_store_ticket_keys(bti_store *st, const bti_ticket_query *q, int64_t *keys,
				 int64_t *ids, size_t cap, size_t *n_out);

/* The tickets of @ids[0..n): rows[i] is ids[i]'s, or NULL when it has none
 * (deleted).  On failure no row is kept (all NULL). */
static inline int bti_store_ticket_rows(bti_store *st, const int64_t *ids, size_t n,
				 bt_ticket **rows);
/* ticket_rows for a backend without a batch read: ticket_get each. */
int bti_ticket_rows_each(bti_store *st, const int64_t *ids, size_t n, bt_ticket **rows);

/* ---- lifecycle primitives: the rules live in lifecycle.c ---- */

/* A write transaction (BEGIN IMMEDIATE), and its end. */
static inline int bti_store_begin(bti_store *st);
/* A read transaction, ended by bti_store_rollback: one snapshot for several
 * reads (an import's dry run, a dedup lookup). */
static inline int bti_store_begin_read(bti_store *st);
static inline int bti_store_commit(bti_store *st);
static inline void bti_store_rollback(bti_store *st);
/* No transaction outlives the call that began it.  One can only be left
 * open by a rollback that itself failed (out of memory); this ends it, and
 * is run whenever a call takes the handle. */
static inline void bti_store_end_stray_txn(bti_store *st);
/* Lock waits of the calls that follow end by the monotonic @deadline_ms
 * (0: each wait ends after the busy timeout). */
static inline void bti_store_set_deadline(bti_store *st, int64_t deadline_ms);

/* Fields bti_store_ticket_update may set, as bits of bti_ticket_update.set. */
enum {
	BTI_U_STATUS = 1 << 0,
	BTI_U_ASSIGNEE = 1 << 1,
	BTI_U_SEVERITY = 1 << 2,
	BTI_U_PRIORITY = 1 << 3,
	BTI_U_CATEGORY = 1 << 4,
	BTI_U_RESOLUTION = 1 << 5,   /* notes, commit, resolved_by, resolved_release */
	BTI_U_RESOLVED_AT = 1 << 6,
	BTI_U_CLAIM = 1 << 7,        /* claimed_by, claim_token, claimed_at, expires */
	BTI_U_SLA = 1 << 8,
	BTI_U_DUPLICATE_OF = 1 << 9,
	BTI_U_DEDUP_ACTIVE = 1 << 10,
	BTI_U_OCCURRED = 1 << 11     /* widen first/last occurred (merge) */
};

/* One change to one ticket; NULL strings and 0 times store NULL. */
typedef struct bti_ticket_update {
	unsigned int set;
	const char *status, *assignee, *severity, *priority, *category;
	const char *resolution_notes, *resolution_commit, *resolved_by, *resolved_release;
	int64_t resolved_at;
	const char *claimed_by, *claim_token;
	int64_t claimed_at, claim_expires_at;
	int64_t sla_due_at;
	int64_t duplicate_of;
	int dedup_active;
	int add_attempts;
	int64_t add_occurrences;
	int64_t first_occurred_at, last_occurred_at;
} bti_ticket_update;

/* Apply @u to ticket @id, bump its version and updated_at. */
static inline int bti_store_ticket_update(bti_store *st, int64_t id, const bti_ticket_update *u,
				 int64_t now);

/* Append one audit event. */
static inline int bti_store_event_add(bti_store *st, int64_t ticket_id, const char *actor,
				 const char *kind, const char *field, const char *from,
				 const char *to, const char *note, int64_t now);

/* Move @dup's log rows and fingerprint aliases to @canonical, and alias
 * @dup_fingerprint (may be NULL) to it. */
static inline int bti_store_merge_links(bti_store *st, int64_t dup, int64_t canonical,
				 const char *dup_fingerprint, int64_t now);

/* Delete ticket @id; its events, logs and aliases cascade. */
static inline int bti_store_ticket_delete(bti_store *st, int64_t id);

/* The automation queue (see bt_ticket_pending). */
static inline int bti_store_pending_page(bti_store *st, const char *agent, int max_attempts,
				 int64_t now, bt_ticket **rows, size_t cap, size_t *n_out);

/* Counts for bt_ticket_counts_get, indexed by the bt_status and bt_severity
 * values (index 0 unused).  The public struct names a field for each, so a
 * new status or severity changes ticket.c's mapping, not the drivers. */
typedef struct bti_ticket_counts {
	int64_t by_status[BT_STATUS_CLOSED + 1];
	int64_t open_by_severity[BT_SEVERITY_CRITICAL + 1];
	int64_t overdue, dropped;
} bti_ticket_counts;

/* The counts, in one read transaction; @out is zeroed by the caller. */
static inline int bti_store_ticket_counts(bti_store *st, int64_t now, bti_ticket_counts *out);

/* One audit entry as read back. */
struct bt_audit_entry {
	int64_t id, created_at, ticket_id;
	char *actor, *kind, *field, *from, *to, *note;
};

/* Up to @cap events of ticket @id after (after_time, after_id), oldest
 * first. */
static inline int bti_store_events_page(bti_store *st, int64_t id, int64_t after_time,
				 int64_t after_id, bt_audit_entry **rows, size_t cap,
				 size_t *n_out);
/* Up to @cap events of every ticket with an id above @after_id, by id:
 * the feed of changes.  Ids must never be given twice, and a follower at
 * id N must never later see a new event below N (commit order). */
static inline int bti_store_events_feed(bti_store *st, int64_t after_id, bt_audit_entry **rows,
					size_t cap, size_t *n_out);
/* The id of the newest event (0: none): where a follower that starts "from
 * now" stands. */
static inline int bti_store_events_last(bti_store *st, int64_t *id_out);
static inline int bti_store_ticket_exists(bti_store *st, int64_t id);

/* One stored log row as read back. */
enum bti_log_text {
	BTI_L_COMPONENT, BTI_L_MESSAGE, BTI_L_TEMPLATE, BTI_L_FINGERPRINT, BTI_L_ERROR_TYPE,
	BTI_L_FILE, BTI_L_FUNCTION, BTI_L_STACK, BTI_L_CONTEXT, BTI_L_TRACE_ID, BTI_L_REQUEST_ID,
	BTI_L_SERVICE, BTI_L_HOST, BTI_L_ENVIRONMENT, BTI_L_RELEASE, BTI_L_TEXT_COUNT
};
struct bt_log_entry {
	int64_t id, ticket_id, pid, created_at;
	int level, error_code, line;
	char *text[BTI_L_TEXT_COUNT];
};

/* A log listing: rows after after_id in the listing's order, which is id
 * order (the order rows were stored). */
typedef struct bti_log_query {
	int64_t ticket_id;        /* 0: any */
	int min_level;
	int level;                /* 0, or exactly this one */
	const char *component;
	int64_t from, to;         /* created_at bounds, already resolved */
	int newest_first;
	int64_t after_id;
} bti_log_query;

static inline int bti_store_log_page(bti_store *st, const bti_log_query *q, bt_log_entry **rows,
				 size_t cap, size_t *n_out);

/* Purge: one batch (or, with @dry_run, the whole count). */
typedef struct bti_purge_batch {
	int64_t cutoff;
	int include_open;
	int dry_run;
	int64_t batch_size;
	int64_t tickets, logs, events; /* added to */
	int done;                      /* nothing left */
} bti_purge_batch;
static inline int bti_store_purge_step(bti_store *st, bti_purge_batch *b);

/* Ticket @id, or BT_ENOTFOUND. */
static inline int bti_store_ticket_get(bti_store *st, int64_t id, bt_ticket **out);

/* ---- reports (store/sqlite/reports.c; the rules live in aggregate.c) ----
 * Every range is [from, to), already resolved (INT64_MIN / INT64_MAX when
 * unbounded).  Occurrences are counted exactly, by UTC day
 * (0009_occurrence_days): a range takes in every day it touches. */

#define BTI_DAY_MS INT64_C(86400000)

/* The day of time @ms, as the schema's triggers number it: days since
 * 1970-01-01 UTC, a time before that on day 0. */
static inline int64_t bti_day_of(int64_t ms)
{
	return ms < 0 ? 0 : ms / BTI_DAY_MS;
}

typedef struct bti_report_summary {
	int64_t occurrences, tickets_seen, new_tickets, resolved, regressions, open_now;
} bti_report_summary;

/* The summary, in one statement (one snapshot). */
static inline int bti_store_report_summary(bti_store *st, int64_t from, int64_t to,
				 bti_report_summary *out);

typedef struct bti_report_top_row {
	int64_t id, occurrences, occurrence_count, last_occurred_at;
	char *number, *status, *severity, *component, *title; /* owned; may be NULL */
} bti_report_top_row;

/* Up to @cap tickets by occurrences in the range, most first, then by id,
 * after (after_count, after_id) in that order (after_count < 0: from the
 * start).  Free each row with bti_report_top_row_clear. */
static inline int bti_store_report_top_page(bti_store *st, int64_t from, int64_t to,
				 int64_t after_count, int64_t after_id, bti_report_top_row *rows,
				 size_t cap, size_t *n_out);
void bti_report_top_row_clear(bti_report_top_row *row);

/* A component's counts: a row of the component and daily reports. */
typedef struct bti_report_group_row {
	char *component; /* owned; NULL: tickets without one */
	int64_t occurrences, new_tickets, open_now;
} bti_report_group_row;
void bti_report_group_row_clear(bti_report_group_row *row);

/* Up to @cap components that tickets have, by name with NULL first, after
 * @after when @has_after (@after NULL: after the NULL component), each with
 * its occurrences and new tickets in [from, to) and its open tickets now; a
 * row may count nothing.  Fewer than @cap rows: the last page.  Free rows
 * with bti_report_group_row_clear. */
static inline int bti_store_report_component_page(bti_store *st, int64_t from, int64_t to,
				 int has_after, const char *after,
				 bti_report_group_row *rows, size_t cap, size_t *n_out);

/* The time of the first log row or ticket creation in [at, to), or
 * BT_ITEROVER. */
static inline int bti_store_report_next_activity(bti_store *st, int64_t at, int64_t to,
				 int64_t *out);

/* Up to @cap components active in [from, to) (one day), by name with NULL
 * first, after @after when @has_after; open_now is 0.  Free rows with
 * bti_report_group_row_clear. */
static inline int bti_store_report_day_page(bti_store *st, int64_t from, int64_t to, int has_after,
				 const char *after, bti_report_group_row *rows, size_t cap,
				 size_t *n_out);

typedef struct bti_report_mttr_row {
	int64_t resolved;
	int64_t mean_ms, median_ms; /* meaningful when resolved > 0 */
} bti_report_mttr_row;

/* Time to resolve of the tickets resolved in the range, by bt_severity
 * (index 1..4) and over all of them (index 0), in one statement. */
static inline int bti_store_report_mttr(bti_store *st, int64_t from, int64_t to,
				 bti_report_mttr_row out[5]);

/* ---- inspection, stamping and health checks (store/sqlite/doctor.c,
 * store/sqlite/migrate.c): for databases that bt_open may refuse ---- */

/* Open @path without configuring, validating or migrating it, and never
 * create it.  Read-write when @writable (BT_EREADONLY if the file is not),
 * else read-write only when that leaves no -wal/-shm files behind. */
int bti_store_inspect_open(bti_store **out, const char *path, int writable,
			   const bti_migration_set *migrations);
/* What @path holds (a bt_db_kind), reading its header before SQLite. */
int bti_store_identify(const char *path, bt_db_kind *out);
/* The same for an open store (never BT_DB_UNRECOGNIZED: that is BT_ECORRUPT). */
static inline int bti_store_kind(bti_store *st, const char *path, bt_db_kind *out);

/* Compare @st's tables, columns, indexes, views and triggers (but not
 * schema_migrations) with what the store's migrations up to @version create
 * in an in-memory database.  @fn gets each difference as a phrase ("table
 * tickets lacks column reporter"); *count_out their number. */
typedef void (*bti_schema_diff_fn)(const char *difference, void *payload);
static inline int bti_store_schema_diff(bti_store *st, int version, bti_schema_diff_fn fn,
				 void *payload, size_t *count_out);

/* Each schema_migrations record, ascending; none when the table is missing. */
typedef void (*bti_record_fn)(int version, const char *name, const char *checksum,
			      int64_t applied_at, void *payload);
static inline int bti_store_migration_records(bti_store *st, bti_record_fn fn, void *payload);
/* Create schema_migrations recording the migrations up to @version, inside
 * the caller's transaction; BT_ESTATE if the table already exists. */
static inline int bti_store_stamp(bti_store *st, int version);

/* The backend's integrity check, quick (SQLite: PRAGMA quick_check, which
 * skips what reads every page) or @full (PRAGMA integrity_check):
 * *errors_out lines other than "ok" (at most 100), the first copied to
 * @first. */
static inline int bti_store_check_integrity(bti_store *st, int full, int64_t *errors_out,
				 char *first, size_t size);

/* Row counts and orphans (-1 where a table is missing), and the foreign-key
 * violations, in one read transaction. */
typedef struct bti_check_rows {
	int64_t fk_violations;
	int64_t tickets, error_logs, ticket_events;
	int64_t orphan_logs, orphan_events, orphan_aliases, dangling_duplicates;
} bti_check_rows;
/* The backend's advice for a problem doctor found (bti_store_ops.advice). */
static inline void bti_store_advice(bti_store *st, const char *problem, const char *location,
				    long pid, char *buf, size_t size);
static inline int bti_store_check_rows(bti_store *st, bti_check_rows *out);

/* What the WAL holds that no checkpoint wrote back yet, and a process
 * reading it (which keeps a checkpoint from going past what it reads), as
 * the -shm file shows them; all 0 when there is no WAL. */
typedef struct bti_wal_state {
	int64_t pending_frames;  /* frames written after the last checkpoint's end */
	int64_t frame_bytes;     /* a frame's size (page size + 24) */
	int64_t autocheckpoint;  /* frames at which bt_open's handles checkpoint */
	long reader_pid;         /* a process in a read transaction, or 0 */
	int64_t wal_bytes;       /* the size of the WAL, 0 when there is none */
} bti_wal_state;
void bti_store_wal_state(const char *path, bti_wal_state *out);

/* A measurement a backend makes of itself, for bt_db_check's
 * BT_CHECK_METRIC items: a name, a value and a text (NULL: none). */
typedef void (*bti_metric_fn)(const char *name, int64_t value, const char *text,
			      void *payload);
/* The backend's own metrics (bti_store_ops.check_metrics), reported after
 * check_integrity and before "integrity_ok": what only this backend has. */
static inline int bti_store_check_metrics(bti_store *st, const bti_wal_state *wal,
					  bti_metric_fn fn, void *payload);

/* Give free space back (SQLite: VACUUM, then a checkpoint that truncates
 * the WAL; PostgreSQL: VACUUM of each of the schema's tables).  Waits for
 * other connections no longer than the handle's deadline, then BT_EBUSY.
 * *freed_out: bytes the database shrank by, or -1 when the backend cannot
 * tell.  BT_ENOTSUP, with no message, when the backend has no such
 * operation (ops.vacuum NULL). */
static inline int bti_store_vacuum(bti_store *st, int64_t *freed_out);

/* Write the WAL back into the database file without waiting for anyone
 * (bt_db_checkpoint); *log_out and *backfilled_out: its pages, and how
 * many are written back, or -1 when not known.  BT_OK and -1 at once for
 * a backend without one (ops.checkpoint NULL: PostgreSQL's server
 * checkpoints by itself). */
static inline int bti_store_checkpoint(bti_store *st, int64_t *log_out, int64_t *backfilled_out);

/* Each row of the counters table, by name; none when it is missing. */
typedef void (*bti_counter_fn)(const char *name, int64_t value, int64_t updated_at,
			       void *payload);
static inline int bti_store_counters(bti_store *st, bti_counter_fn fn, void *payload);

/* ---- import (store/sqlite/import.c) ---- */

/* *id_out = the ticket whose external_id is @external_id, or BT_ENOTFOUND. */
static inline int bti_store_ticket_by_external_id(bti_store *st, const char *external_id,
				 int64_t *id_out);

/* *id_out = the ticket an occurrence with trace id @trace_id landed on:
 * of the newest log row with it, else of the newest ticket whose first
 * occurrence had it; or BT_ENOTFOUND (no error recorded). */
static inline int bti_store_ticket_by_trace_id(bti_store *st, const char *trace_id,
				 int64_t *id_out);

/* Ticket @id's created_at and fingerprint (a new string, or NULL), or
 * BT_ENOTFOUND (without recording an error: an expected answer). */
static inline int bti_store_ticket_origin(bti_store *st, int64_t id, int64_t *created_at_out,
				 char **fingerprint_out);

/* *high_out = the largest ticket id this database has ever given (0: none):
 * the next id SQLite chooses is one more.  A dry run of import counts on
 * from it to predict the ids its records would take. */
static inline int bti_store_ticket_id_high(bti_store *st, int64_t *high_out);

/* Insert @row as a ticket: every column of the snapshot but number.  An id
 * of 0 lets SQLite choose one; NULL strings, and 0 for times and
 * duplicate_of, store NULL.  *id_out receives the ticket's id. */
static inline int bti_store_ticket_insert(bti_store *st, const bt_ticket *row, int dedup_active,
				 int grouping_version, int64_t *id_out);

/* Make ticket @id a duplicate of @canonical, and let @fingerprint (may be
 * NULL) land on @canonical unless it is aliased already: what a merge
 * leaves behind. */
static inline int bti_store_ticket_link(bti_store *st, int64_t id, int64_t canonical,
				 const char *fingerprint, int64_t now);

/* Unless a ticket of @fingerprint takes its occurrences already, let the
 * newest one that is not a duplicate take them (dedup_active). */
static inline int bti_store_fingerprint_activate(bti_store *st, const char *fingerprint);

/* ---- waiting for the feed (bt_audit_wait) ----
 * A waiter has a connection of its own, so that a wait never holds the
 * handle: it only learns that something may have been committed, and the
 * caller reads the feed to see what.  Wakes may be spurious; none is lost
 * once the waiter is open (PostgreSQL: LISTEN; SQLite: PRAGMA
 * data_version, which changes with every commit of another connection). */
typedef struct bti_waiter {
	const bti_store_ops *ops;    /* the backend's table */
} bti_waiter;

/* A waiter on @location, armed: commits after this return wake it. */
int bti_store_wait_open(const char *location, int busy_timeout_ms, bti_waiter **out);
/* Until a commit may have happened since the last wake (or the open), or
 * the monotonic @deadline_ms: BT_OK, BT_ITEROVER at the deadline, or an
 * error.  Used by one thread at a time. */
static inline int bti_store_wait(bti_waiter *w, int64_t deadline_ms);
static inline void bti_store_wait_close(bti_waiter *w);

/* ---- the driver interface ----
 *
 * Each backend fills one bti_store_ops (the SQLite one: bti_sqlite_ops in
 * sqlite/connection.c), in the manner of SQLite's sqlite3_vfs and libgit2's
 * git_odb_backend, and each of its handles embeds struct bti_store first.
 * The members mean what the functions of the same name above say: the
 * library calls those, and they call the backend of the handle.  open,
 * inspect_open, identify and wal_state take a location, not a handle:
 * backend.c picks the backend for the location and calls them.  Results
 * are BT_* codes: each backend maps its own errors onto them (SQLite's:
 * bti_sqlite_fail), so that the rest of the library never sees them. */
#define BTI_STORE_OPS_VERSION 1

struct bti_store_ops {
	unsigned int version;        /* BTI_STORE_OPS_VERSION */
	const char *name;            /* "sqlite" */
	/* The backend's own migrations, in its dialect: it owns its schema. */
	const bti_migration_set *migrations;
	/* What its own integrity and foreign-key checks are called, for the
	 * messages of the problems they find ("PRAGMA integrity_check"). */
	const char *integrity_check, *foreign_key_check;
	/* The quick check's name, when the backend has one apart from the
	 * full check ("PRAGMA quick_check"); else the same as integrity_check. */
	const char *quick_check;
	/* Given a location; the handle they make carries this table. */
	int (*open)(bti_store **out, const char *path, unsigned int flags, int busy_timeout_ms,
		const bti_migration_set *migrations);
	int (*inspect_open)(bti_store **out, const char *path, int writable,
		const bti_migration_set *migrations);
	int (*identify)(const char *path, bt_db_kind *out);
	void (*wal_state)(const char *path, bti_wal_state *out);
	/* Given a handle of this backend. */
	void (*close)(bti_store *st);
	void (*close_inherited)(bti_store *st);
	int (*schema_version)(bti_store *st, int *current_out);
	int (*schema_latest)(const bti_store *st);
	int (*migrate)(bti_store *st);
	int (*land_hit)(bti_store *st, const bti_occurrence *o, bti_landing *out);
	int (*land_hits)(bti_store *st, const bti_occurrence *const *os, size_t n,
		bti_landing *outs);
	int (*land_hit_alone)(bti_store *st, const bti_occurrence *o, int64_t log_first,
		int64_t log_every, bti_landing *out); /* may be NULL */
	int (*land_find)(bti_store *st, const bti_occurrence *o, int alias, bti_land_candidate *out);
	int (*land_count)(bti_store *st, const bti_occurrence *o, int64_t id, bti_landing *out);
	int (*land_reopen)(bti_store *st, const bti_occurrence *o, int64_t id, int64_t sla_due_at,
		bti_landing *out);
	int (*land_retire)(bti_store *st, int64_t id);
	int (*ticket_open)(bti_store *st, const bti_occurrence *o, bti_landing *out);
	int (*log_insert)(bti_store *st, const bti_occurrence *o, int64_t ticket_id);
	int (*log_inserts)(bti_store *st, const bti_occurrence *const *os, const int64_t *ticket_ids,
		size_t n);
	int (*log_prune)(bti_store *st, int64_t ticket_id, int64_t keep_first, int64_t keep_last);
	int (*counter_add)(bti_store *st, const char *name, int64_t delta, int64_t now);
	int (*crash_claim)(bti_store *st, const char *hash, int64_t now, int *fresh_out);
	int (*crash_mark_get)(bti_store *st, bti_crash_mark *out);
	int (*crash_mark_set)(bti_store *st, const bti_crash_mark *m);
	int (*release_seen)(bti_store *st, const char *release, int64_t now);
	int (*token_insert)(bti_store *st, const char *name, const char *hash, unsigned int scopes,
		int64_t now);
	int (*token_find)(bti_store *st, const char *hash, bt_token_info *out);
	int (*token_touch)(bti_store *st, int64_t id, int64_t at);
	int (*token_revoke)(bti_store *st, const char *name, int64_t now);
	int (*token_page)(bti_store *st, const char *after, bt_token_info *rows, size_t cap,
		size_t *n_out);
	int (*ticket_keys)(bti_store *st, const bti_ticket_query *q, int64_t *keys,
		int64_t *ids, size_t cap, size_t *n_out);
	int (*ticket_rows)(bti_store *st, const int64_t *ids, size_t n, bt_ticket **rows);
	int (*begin)(bti_store *st);
	int (*begin_read)(bti_store *st);
	int (*commit)(bti_store *st);
	void (*rollback)(bti_store *st);
	void (*end_stray_txn)(bti_store *st);
	void (*set_deadline)(bti_store *st, int64_t deadline_ms);
	int (*ticket_update)(bti_store *st, int64_t id, const bti_ticket_update *u, int64_t now);
	int (*event_add)(bti_store *st, int64_t ticket_id, const char *actor, const char *kind,
		const char *field, const char *from, const char *to, const char *note, int64_t now);
	int (*merge_links)(bti_store *st, int64_t dup, int64_t canonical,
		const char *dup_fingerprint, int64_t now);
	int (*ticket_delete)(bti_store *st, int64_t id);
	int (*pending_page)(bti_store *st, const char *agent, int max_attempts, int64_t now,
		bt_ticket **rows, size_t cap, size_t *n_out);
	int (*ticket_counts)(bti_store *st, int64_t now, bti_ticket_counts *out);
	int (*events_page)(bti_store *st, int64_t id, int64_t after_time, int64_t after_id,
		bt_audit_entry **rows, size_t cap, size_t *n_out);
	int (*events_feed)(bti_store *st, int64_t after_id, bt_audit_entry **rows, size_t cap,
		size_t *n_out);
	int (*events_last)(bti_store *st, int64_t *id_out);
	int (*ticket_exists)(bti_store *st, int64_t id);
	int (*log_page)(bti_store *st, const bti_log_query *q, bt_log_entry **rows, size_t cap,
		size_t *n_out);
	int (*purge_step)(bti_store *st, bti_purge_batch *b);
	int (*ticket_get)(bti_store *st, int64_t id, bt_ticket **out);
	int (*report_summary)(bti_store *st, int64_t from, int64_t to, bti_report_summary *out);
	int (*report_top_page)(bti_store *st, int64_t from, int64_t to, int64_t after_count,
		int64_t after_id, bti_report_top_row *rows, size_t cap, size_t *n_out);
	int (*report_component_page)(bti_store *st, int64_t from, int64_t to, int has_after,
		const char *after, bti_report_group_row *rows, size_t cap, size_t *n_out);
	int (*report_next_activity)(bti_store *st, int64_t at, int64_t to, int64_t *out);
	int (*report_day_page)(bti_store *st, int64_t from, int64_t to, int has_after,
		const char *after, bti_report_group_row *rows, size_t cap, size_t *n_out);
	int (*report_mttr)(bti_store *st, int64_t from, int64_t to, bti_report_mttr_row out[5]);
	int (*kind)(bti_store *st, const char *path, bt_db_kind *out);
	int (*schema_diff)(bti_store *st, int version, bti_schema_diff_fn fn, void *payload,
		size_t *count_out);
	int (*migration_records)(bti_store *st, bti_record_fn fn, void *payload);
	int (*stamp)(bti_store *st, int version);
	int (*check_integrity)(bti_store *st, int full, int64_t *errors_out, char *first,
		size_t size);
	int (*check_rows)(bti_store *st, bti_check_rows *out);
	int (*counters)(bti_store *st, bti_counter_fn fn, void *payload);
	/* May be NULL: the backend cannot give space back. */
	int (*vacuum)(bti_store *st, int64_t *freed_out);
	/* May be NULL: nothing to do (bti_store_checkpoint). */
	int (*checkpoint)(bti_store *st, int64_t *log_out, int64_t *backfilled_out);
	/* What doctor shows of this backend alone, as metrics, called once
	 * check_integrity has run: SQLite's "wal_bytes" (from @wal, measured
	 * before the check's connection opened, which may make a -wal file);
	 * PostgreSQL's server version, database, schema and how many indexes
	 * amcheck checked.  The common code knows none of these names. */
	int (*check_metrics)(bti_store *st, const bti_wal_state *wal, bti_metric_fn fn,
		void *payload);
	/* The fix to advise for a problem bt_db_check found, by the problem's
	 * name ("integrity", "foreign_keys", "orphan_logs", "orphan_events",
	 * "orphan_aliases", "dangling_duplicates", "wal_reader"; @pid: the
	 * reader's): each backend owns its advice, which names its own tools
	 * and statements.  Writes "" for a name it has no advice for. */
	void (*advice)(const char *problem, const char *location, long pid, char *buf,
		       size_t size);
	int (*ticket_by_external_id)(bti_store *st, const char *external_id, int64_t *id_out);
	int (*ticket_by_trace_id)(bti_store *st, const char *trace_id, int64_t *id_out);
	int (*ticket_origin)(bti_store *st, int64_t id, int64_t *created_at_out,
		char **fingerprint_out);
	int (*ticket_id_high)(bti_store *st, int64_t *high_out);
	int (*ticket_insert)(bti_store *st, const bt_ticket *row, int dedup_active,
		int grouping_version, int64_t *id_out);
	int (*ticket_link)(bti_store *st, int64_t id, int64_t canonical, const char *fingerprint,
		int64_t now);
	int (*fingerprint_activate)(bti_store *st, const char *fingerprint);
	/* Feed waiters (above); wait_open takes a location. */
	int (*wait_open)(const char *location, int busy_timeout_ms, bti_waiter **out);
	int (*wait)(bti_waiter *w, int64_t deadline_ms);
	void (*wait_close)(bti_waiter *w);
};

/* bt_set_wait_notice()'s: the backend calls @fn once per wait on another
 * connection's lock that lasts @after_ms (bti_store_wait_noticed). */
typedef struct bti_wait_notice {
	bt_wait_notice_fn fn;
	void *arg;
	int after_ms;
} bti_wait_notice;

struct bti_store {
	const bti_store_ops *ops;    /* the backend's table */
	/* The handle's wait notice (bt_db owns it and outlives the store);
	 * NULL for a store with no handle (doctor's, migrate --all's). */
	const bti_wait_notice *notice;
};

/* Call @st's wait notice if a wait that began at @started_ms (monotonic)
 * has lasted its after_ms at @now_ms and *@noticed is still 0; return how
 * long the wait may go on before the next check is due (INT64_MAX: no
 * notice is pending). */
static inline int64_t bti_store_wait_noticed(bti_store *st, int64_t started_ms, int64_t now_ms,
					     int *noticed)
{
	const bti_wait_notice *wn = st->notice;
	int64_t due;

	if (*noticed || !wn || !wn->fn)
		return INT64_MAX;
	due = started_ms + wn->after_ms;
	if (now_ms < due)
		return due - now_ms;
	*noticed = 1;
	wn->fn(wn->arg, now_ms - started_ms);
	return INT64_MAX;
}

static inline void bti_store_close(bti_store *st)
{
	if (st) /* as free(NULL) */
		st->ops->close(st);
}

static inline void bti_store_close_inherited(bti_store *st)
{
	if (st) /* as free(NULL) */
		st->ops->close_inherited(st);
}

static inline int bti_store_schema_version(bti_store *st, int *current_out)
{
	return st->ops->schema_version(st, current_out);
}

static inline int bti_store_schema_latest(const bti_store *st)
{
	return st->ops->schema_latest(st);
}

static inline int bti_store_migrate(bti_store *st)
{
	return st->ops->migrate(st);
}

static inline int bti_store_land_hit(bti_store *st, const bti_occurrence *o, bti_landing *out)
{
	return st->ops->land_hit(st, o, out);
}

static inline int bti_store_land_hit_alone(bti_store *st, const bti_occurrence *o,
					   int64_t log_first, int64_t log_every,
					   bti_landing *out)
{
	return st->ops->land_hit_alone ? st->ops->land_hit_alone(st, o, log_first, log_every, out)
				       : BT_OK;
}

static inline int bti_store_land_hits(bti_store *st, const bti_occurrence *const *os, size_t n,
				      bti_landing *outs)
{
	return st->ops->land_hits(st, os, n, outs);
}

static inline int bti_store_land_find(bti_store *st, const bti_occurrence *o, int alias,
				      bti_land_candidate *out)
{
	return st->ops->land_find(st, o, alias, out);
}

static inline int bti_store_land_count(bti_store *st, const bti_occurrence *o, int64_t id,
				       bti_landing *out)
{
	return st->ops->land_count(st, o, id, out);
}

static inline int bti_store_land_reopen(bti_store *st, const bti_occurrence *o, int64_t id,
					int64_t sla_due_at, bti_landing *out)
{
	return st->ops->land_reopen(st, o, id, sla_due_at, out);
}

static inline int bti_store_land_retire(bti_store *st, int64_t id)
{
	return st->ops->land_retire(st, id);
}

static inline int bti_store_ticket_open(bti_store *st, const bti_occurrence *o, bti_landing *out)
{
	return st->ops->ticket_open(st, o, out);
}

static inline int bti_store_log_insert(bti_store *st, const bti_occurrence *o, int64_t ticket_id)
{
	return st->ops->log_insert(st, o, ticket_id);
}

static inline int bti_store_log_inserts(bti_store *st, const bti_occurrence *const *os,
					const int64_t *ticket_ids, size_t n)
{
	return st->ops->log_inserts(st, os, ticket_ids, n);
}

static inline int bti_store_log_prune(bti_store *st, int64_t ticket_id, int64_t keep_first,
				      int64_t keep_last)
{
	return st->ops->log_prune(st, ticket_id, keep_first, keep_last);
}

static inline int bti_store_counter_add(bti_store *st, const char *name, int64_t delta, int64_t now)
{
	return st->ops->counter_add(st, name, delta, now);
}

static inline int bti_store_crash_claim(bti_store *st, const char *hash, int64_t now,
				 int *fresh_out)
{
	return st->ops->crash_claim(st, hash, now, fresh_out);
}

static inline int bti_store_crash_mark_get(bti_store *st, bti_crash_mark *out)
{
	return st->ops->crash_mark_get(st, out);
}

static inline int bti_store_crash_mark_set(bti_store *st, const bti_crash_mark *m)
{
	return st->ops->crash_mark_set(st, m);
}

static inline int bti_store_release_seen(bti_store *st, const char *release, int64_t now)
{
	return st->ops->release_seen(st, release, now);
}

static inline int bti_store_token_insert(bti_store *st, const char *name, const char *hash,
					 unsigned int scopes, int64_t now)
{
	return st->ops->token_insert(st, name, hash, scopes, now);
}

static inline int bti_store_token_find(bti_store *st, const char *hash, bt_token_info *out)
{
	return st->ops->token_find(st, hash, out);
}

static inline int bti_store_token_touch(bti_store *st, int64_t id, int64_t at)
{
	return st->ops->token_touch(st, id, at);
}

static inline int bti_store_token_revoke(bti_store *st, const char *name, int64_t now)
{
	return st->ops->token_revoke(st, name, now);
}

static inline int bti_store_token_page(bti_store *st, const char *after, bt_token_info *rows,
				       size_t cap, size_t *n_out)
{
	return st->ops->token_page(st, after, rows, cap, n_out);
}


static inline int bti_store_ticket_keys(bti_store *st, const bti_ticket_query *q, int64_t *keys,
				 int64_t *ids, size_t cap, size_t *n_out)
{
	return st->ops->ticket_keys(st, q, keys, ids, cap, n_out);
}

static inline int bti_store_ticket_rows(bti_store *st, const int64_t *ids, size_t n,
				 bt_ticket **rows)
{
	return st->ops->ticket_rows(st, ids, n, rows);
}

static inline int bti_store_begin(bti_store *st)
{
	return st->ops->begin(st);
}
static inline int bti_store_begin_read(bti_store *st)
{
	return st->ops->begin_read(st);
}

static inline int bti_store_commit(bti_store *st)
{
	return st->ops->commit(st);
}

static inline void bti_store_rollback(bti_store *st)
{
	st->ops->rollback(st);
}

static inline void bti_store_end_stray_txn(bti_store *st)
{
	st->ops->end_stray_txn(st);
}

static inline void bti_store_set_deadline(bti_store *st, int64_t deadline_ms)
{
	st->ops->set_deadline(st, deadline_ms);
}

static inline int bti_store_ticket_update(bti_store *st, int64_t id, const bti_ticket_update *u,
				 int64_t now)
{
	return st->ops->ticket_update(st, id, u, now);
}

static inline int bti_store_event_add(bti_store *st, int64_t ticket_id, const char *actor,
				 const char *kind, const char *field, const char *from,
				 const char *to, const char *note, int64_t now)
{
	return st->ops->event_add(st, ticket_id, actor, kind, field, from, to, note, now);
}

static inline int bti_store_merge_links(bti_store *st, int64_t dup, int64_t canonical,
				 const char *dup_fingerprint, int64_t now)
{
	return st->ops->merge_links(st, dup, canonical, dup_fingerprint, now);
}

static inline int bti_store_ticket_delete(bti_store *st, int64_t id)
{
	return st->ops->ticket_delete(st, id);
}

static inline int bti_store_pending_page(bti_store *st, const char *agent, int max_attempts,
				 int64_t now, bt_ticket **rows, size_t cap, size_t *n_out)
{
	return st->ops->pending_page(st, agent, max_attempts, now, rows, cap, n_out);
}

static inline int bti_store_ticket_counts(bti_store *st, int64_t now, bti_ticket_counts *out)
{
	return st->ops->ticket_counts(st, now, out);
}

static inline int bti_store_events_page(bti_store *st, int64_t id, int64_t after_time,
				 int64_t after_id, bt_audit_entry **rows, size_t cap, size_t *n_out)
{
	return st->ops->events_page(st, id, after_time, after_id, rows, cap, n_out);
}
static inline int bti_store_events_feed(bti_store *st, int64_t after_id, bt_audit_entry **rows,
					size_t cap, size_t *n_out)
{
	return st->ops->events_feed(st, after_id, rows, cap, n_out);
}

static inline int bti_store_events_last(bti_store *st, int64_t *id_out)
{
	return st->ops->events_last(st, id_out);
}

static inline int bti_store_ticket_exists(bti_store *st, int64_t id)
{
	return st->ops->ticket_exists(st, id);
}

static inline int bti_store_log_page(bti_store *st, const bti_log_query *q, bt_log_entry **rows,
				 size_t cap, size_t *n_out)
{
	return st->ops->log_page(st, q, rows, cap, n_out);
}

static inline int bti_store_purge_step(bti_store *st, bti_purge_batch *b)
{
	return st->ops->purge_step(st, b);
}

static inline int bti_store_ticket_get(bti_store *st, int64_t id, bt_ticket **out)
{
	return st->ops->ticket_get(st, id, out);
}

static inline int bti_store_report_summary(bti_store *st, int64_t from, int64_t to,
				 bti_report_summary *out)
{
	return st->ops->report_summary(st, from, to, out);
}

static inline int bti_store_report_top_page(bti_store *st, int64_t from, int64_t to,
				 int64_t after_count, int64_t after_id, bti_report_top_row *rows,
				 size_t cap, size_t *n_out)
{
	return st->ops->report_top_page(st, from, to, after_count, after_id, rows, cap, n_out);
}

static inline int bti_store_report_component_page(bti_store *st, int64_t from, int64_t to,
				 int has_after, const char *after,
				 bti_report_group_row *rows, size_t cap, size_t *n_out)
{
	return st->ops->report_component_page(st, from, to, has_after, after, rows, cap, n_out);
}

static inline int bti_store_report_next_activity(bti_store *st, int64_t at, int64_t to,
				 int64_t *out)
{
	return st->ops->report_next_activity(st, at, to, out);
}

static inline int bti_store_report_day_page(bti_store *st, int64_t from, int64_t to, int has_after,
				 const char *after, bti_report_group_row *rows, size_t cap,
				 size_t *n_out)
{
	return st->ops->report_day_page(st, from, to, has_after, after, rows, cap, n_out);
}

static inline int bti_store_report_mttr(bti_store *st, int64_t from, int64_t to,
				 bti_report_mttr_row out[5])
{
	return st->ops->report_mttr(st, from, to, out);
}

static inline int bti_store_kind(bti_store *st, const char *path, bt_db_kind *out)
{
	return st->ops->kind(st, path, out);
}

static inline int bti_store_schema_diff(bti_store *st, int version, bti_schema_diff_fn fn,
				 void *payload, size_t *count_out)
{
	return st->ops->schema_diff(st, version, fn, payload, count_out);
}

static inline int bti_store_migration_records(bti_store *st, bti_record_fn fn, void *payload)
{
	return st->ops->migration_records(st, fn, payload);
}

static inline int bti_store_stamp(bti_store *st, int version)
{
	return st->ops->stamp(st, version);
}

static inline int bti_store_check_integrity(bti_store *st, int full, int64_t *errors_out,
				 char *first, size_t size)
{
	return st->ops->check_integrity(st, full, errors_out, first, size);
}

static inline int bti_store_vacuum(bti_store *st, int64_t *freed_out)
{
	*freed_out = -1;
	return st->ops->vacuum ? st->ops->vacuum(st, freed_out) : BT_ENOTSUP;
}

static inline int bti_store_checkpoint(bti_store *st, int64_t *log_out, int64_t *backfilled_out)
{
	*log_out = *backfilled_out = -1;
	return st->ops->checkpoint ? st->ops->checkpoint(st, log_out, backfilled_out) : BT_OK;
}

static inline void bti_store_advice(bti_store *st, const char *problem, const char *location,
				    long pid, char *buf, size_t size)
{
	st->ops->advice(problem, location, pid, buf, size);
}

static inline int bti_store_check_rows(bti_store *st, bti_check_rows *out)
{
	return st->ops->check_rows(st, out);
}

static inline int bti_store_counters(bti_store *st, bti_counter_fn fn, void *payload)
{
	return st->ops->counters(st, fn, payload);
}

static inline int bti_store_check_metrics(bti_store *st, const bti_wal_state *wal,
					  bti_metric_fn fn, void *payload)
{
	return st->ops->check_metrics(st, wal, fn, payload);
}

static inline int bti_store_ticket_by_external_id(bti_store *st, const char *external_id,
				 int64_t *id_out)
{
	return st->ops->ticket_by_external_id(st, external_id, id_out);
}

static inline int bti_store_ticket_by_trace_id(bti_store *st, const char *trace_id,
				 int64_t *id_out)
{
	return st->ops->ticket_by_trace_id(st, trace_id, id_out);
}

static inline int bti_store_ticket_origin(bti_store *st, int64_t id, int64_t *created_at_out,
				 char **fingerprint_out)
{
	return st->ops->ticket_origin(st, id, created_at_out, fingerprint_out);
}

static inline int bti_store_ticket_id_high(bti_store *st, int64_t *high_out)
{
	return st->ops->ticket_id_high(st, high_out);
}

static inline int bti_store_ticket_insert(bti_store *st, const bt_ticket *row, int dedup_active,
				 int grouping_version, int64_t *id_out)
{
	return st->ops->ticket_insert(st, row, dedup_active, grouping_version, id_out);
}

static inline int bti_store_ticket_link(bti_store *st, int64_t id, int64_t canonical,
				 const char *fingerprint, int64_t now)
{
	return st->ops->ticket_link(st, id, canonical, fingerprint, now);
}

static inline int bti_store_fingerprint_activate(bti_store *st, const char *fingerprint)
{
	return st->ops->fingerprint_activate(st, fingerprint);
}

static inline int bti_store_wait(bti_waiter *w, int64_t deadline_ms)
{
	return w->ops->wait(w, deadline_ms);
}

static inline void bti_store_wait_close(bti_waiter *w)
{
	if (w) /* as free(NULL) */
		w->ops->wait_close(w);
}

#endif
