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

#endif
