/*
 * store.h - the storage layer: the only interface through which the rest of
 * the library reaches the database.  Every SQL statement lives behind it, in
 * the store_sqlite*.c files, so that a second backend (PostgreSQL) can
 * implement the same functions without touching capture or lifecycle code.
 *
 * A bti_store is not thread-safe; bt_db serialises access to it.
 */
#ifndef BT_STORE_H
#define BT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "bugtrack.h"

typedef struct bti_store bti_store;

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

/* The migrations generated from migrations/ (migrations_embedded.c). */
extern const bti_migration_set bti_builtin_migrations;

/* Open the database at @path.  @flags are BT_OPEN_* bits; @busy_timeout_ms
 * is already resolved (> 0).  Applies pending @migrations unless the flags
 * say otherwise, and validates the schema against them. */
int bti_store_open(bti_store **out, const char *path, unsigned int flags,
		   int busy_timeout_ms, const bti_migration_set *migrations);
void bti_store_close(bti_store *st);

/* The newest migration recorded in the database (0 for a fresh one). */
int bti_store_schema_version(bti_store *st, int *current_out);
/* The newest version the store's migration set knows. */
int bti_store_schema_latest(const bti_store *st);
/* Apply pending migrations (for stores opened with BT_OPEN_NO_MIGRATE). */
int bti_store_migrate(bti_store *st);


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
	long pid;

	/* The SLA policy, by bt_severity: a reopened ticket is due again by
	 * its own severity. */
	const int64_t *sla_ms;

	/* Only for a new ticket. */
	const char *title, *description, *severity, *priority, *category;
	const char *source, *reporter;
	int64_t sla_due_at;
} bti_occurrence;

/* Where an occurrence landed. */
typedef struct bti_landing {
	int64_t ticket_id;         /* 0: no ticket */
	char number[BT_TICKET_NUMBER_SIZE];
	int64_t occurrence;        /* the ticket's occurrence count after this one */
	int created;               /* a new ticket was opened */
	int regressed;             /* a resolved or closed ticket reopened */
} bti_landing;

/* Store @o in one transaction: its log row and its ticket landing. */
int bti_store_record(bti_store *st, const bti_occurrence *o, bti_landing *out);
/* The same inside the caller's transaction (bti_store_begin), for batches. */
int bti_store_record_in(bti_store *st, const bti_occurrence *o, bti_landing *out);

/* Add @delta to the named counter (created at 0), e.g. "async_dropped". */
int bti_store_counter_add(bti_store *st, const char *name, int64_t delta, int64_t now);

/* *valid_out = whether @json is valid JSON (SQLite's json_valid). */
int bti_store_json_valid(bti_store *st, const char *json, int *valid_out);

/* Note that @release was seen now, if it is new: orders releases. */
int bti_store_release_seen(bti_store *st, const char *release, int64_t now);

/* The ticket an occurrence of @fingerprint would land on now, or
 * BT_ENOTFOUND. */
int bti_store_dedup_lookup(bti_store *st, const char *fingerprint, int64_t now,
			   int64_t dedup_window_ms, bt_ticket **out);

/* A ticket listing, resolved from bt_ticket_filter. */
typedef struct bti_ticket_query {
	bt_ticket_sort sort;
	unsigned int status_mask;
	int min_severity;
	const char *component, *assignee, *text;
	int claimed;
	int64_t created_from, created_to, occurred_from, occurred_to;
	int regressed_only;
	int overdue_only;
	int64_t now;              /* for lease expiry and SLA */
	int has_position;         /* list only rows after (after_key, after_id) */
	int64_t after_key, after_id;
} bti_ticket_query;

/* Up to @cap tickets after the query's position, in its order; keys[i]
 * receives each row's sort key.  *n_out < cap means the listing ended. */
int bti_store_ticket_page(bti_store *st, const bti_ticket_query *q, bt_ticket **rows,
			  int64_t *keys, size_t cap, size_t *n_out);

/* ---- lifecycle primitives: the rules live in lifecycle.c ---- */

/* A write transaction (BEGIN IMMEDIATE), and its end. */
int bti_store_begin(bti_store *st);
int bti_store_commit(bti_store *st);
void bti_store_rollback(bti_store *st);

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
int bti_store_ticket_update(bti_store *st, int64_t id, const bti_ticket_update *u, int64_t now);

/* Append one audit event. */
int bti_store_event_add(bti_store *st, int64_t ticket_id, const char *actor, const char *kind,
			const char *field, const char *from, const char *to, const char *note,
			int64_t now);

/* Move @dup's log rows and fingerprint aliases to @canonical, and alias
 * @dup_fingerprint (may be NULL) to it. */
int bti_store_merge_links(bti_store *st, int64_t dup, int64_t canonical,
			  const char *dup_fingerprint, int64_t now);

/* Delete ticket @id; its events, logs and aliases cascade. */
int bti_store_ticket_delete(bti_store *st, int64_t id);

/* The automation queue (see bt_ticket_pending). */
int bti_store_pending_page(bti_store *st, const char *agent, int max_attempts, int64_t now,
			   bt_ticket **rows, size_t cap, size_t *n_out);

/* Counts for bt_ticket_count, in one read transaction. */
int bti_store_ticket_counts(bti_store *st, int64_t now, bt_ticket_counts *out);

/* One audit entry as read back. */
struct bt_audit_entry {
	int64_t id, created_at;
	char *actor, *kind, *field, *from, *to, *note;
};

/* Up to @cap events of ticket @id after (after_time, after_id), oldest
 * first. */
int bti_store_events_page(bti_store *st, int64_t id, int64_t after_time, int64_t after_id,
			  bt_audit_entry **rows, size_t cap, size_t *n_out);
int bti_store_ticket_exists(bti_store *st, int64_t id);

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

/* A log listing: rows after (after_time, after_id) in the listing's order. */
typedef struct bti_log_query {
	int64_t ticket_id;        /* 0: any */
	int min_level;
	const char *component;
	int64_t from, to;         /* created_at bounds, already resolved */
	int newest_first;
	int64_t after_time, after_id;
} bti_log_query;

int bti_store_log_page(bti_store *st, const bti_log_query *q, bt_log_entry **rows, size_t cap,
		       size_t *n_out);

/* Purge: one batch (or, with @dry_run, the whole count). */
typedef struct bti_purge_batch {
	int64_t cutoff;
	int include_open;
	int dry_run;
	int64_t batch_size;
	int64_t tickets, logs, events; /* added to */
	int done;                      /* nothing left */
} bti_purge_batch;
int bti_store_purge_step(bti_store *st, bti_purge_batch *b);

/* Ticket @id, or BT_ENOTFOUND. */
int bti_store_ticket_get(bti_store *st, int64_t id, bt_ticket **out);

#endif
