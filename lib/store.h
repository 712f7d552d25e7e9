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
	int64_t now;
	int store_log;             /* write an error_logs row */
	int make_ticket;           /* land on a ticket */
	int64_t dedup_window_ms;   /* 0 = forever */

	const char *fingerprint;   /* NULL: never dedup (a plain report) */
	const char *grouping_input;
	int grouping_version;

	int level;
	const char *component, *message, *message_template, *error_type;
	int error_code;
	const char *file, *function;
	int line;
	const char *stack_trace, *context;
	const char *trace_id, *request_id;
	const char *service, *host, *environment, *release;
	long pid;

	/* Only for a new ticket. */
	const char *title, *description, *severity, *priority, *category;
	const char *source, *reporter;
	int64_t sla_due_at;
} bti_occurrence;

/* Where an occurrence landed. */
typedef struct bti_landing {
	int64_t ticket_id;         /* 0: no ticket */
	char number[BT_TICKET_NUMBER_SIZE];
	int created;               /* a new ticket was opened */
	int regressed;             /* a resolved or closed ticket reopened */
} bti_landing;

/* Store @o in one transaction: its log row and its ticket landing. */
int bti_store_record(bti_store *st, const bti_occurrence *o, bti_landing *out);

/* BT_OK if @json is valid JSON, else BT_EINVALID naming @what. */
int bti_store_json_check(bti_store *st, const char *json, const char *what);

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
	int64_t now;              /* for lease expiry */
	int has_position;         /* list only rows after (after_key, after_id) */
	int64_t after_key, after_id;
} bti_ticket_query;

/* Up to @cap tickets after the query's position, in its order; keys[i]
 * receives each row's sort key.  *n_out < cap means the listing ended. */
int bti_store_ticket_page(bti_store *st, const bti_ticket_query *q, bt_ticket **rows,
			  int64_t *keys, size_t cap, size_t *n_out);

/* Ticket @id, or BT_ENOTFOUND. */
int bti_store_ticket_get(bti_store *st, int64_t id, bt_ticket **out);

#endif
