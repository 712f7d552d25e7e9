/*
 * bugtrack/schema.h - Schema: migrations, versions, identifying a database.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_SCHEMA_H
#define BUGTRACK_SCHEMA_H

#include "db.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Schema
 * The schema is a sequence of numbered migrations compiled into the library.
 * @{ */

/**
 * Report the schema version of the database behind @p db and the newest
 * version this library knows.  Either out pointer may be NULL.
 * @return BT_OK, or BT_EINVALID for a NULL @p db, or a storage error.
 * Thread-safe.
 */
BT_EXTERN int bt_schema_version_get(bt_db *db, int *current_out, int *latest_out);

/**
 * Apply the pending migrations to a database opened with BT_OPEN_NO_MIGRATE.
 * A no-op when the schema is current.
 * @return BT_OK, BT_EINVALID for a NULL @p db, BT_EREADONLY for a read-only
 * handle, BT_ESCHEMA as for bt_open(), or a storage error.  Thread-safe.
 */
BT_EXTERN int bt_migrate(bt_db *db);

/**
 * @return how many migrations this library embeds for @p db's backend (the
 * newest one's schema version is the "latest" of bt_schema_version_get());
 * with a NULL @p db, for a database file (SQLite).  Each backend owns its
 * set, in its own dialect.  Thread-safe.
 */
BT_EXTERN int bt_migration_count(const bt_db *db);

/** One embedded migration, and whether a database has applied it.
 *  Fields are only ever appended. */
typedef struct bt_migration_info {
	/** BT_MIGRATION_INFO_VERSION: set it before calling. */
	unsigned int version;
	/** The schema version it brings a database to (1, 2, ...). */
	int schema_version;
	/** Its name, e.g. "hot_path_indexes" (migrations/0003_hot_path_indexes.sql). */
	const char *name;
	/** SHA-256 of its SQL file: 64 lower-case hex digits. */
	const char *checksum;
	/** 1 when the database records it as applied. */
	int applied;
	/** When it was applied (ms since the epoch); 0 when it was not. */
	int64_t applied_at;
} bt_migration_info;

/** The current version of bt_migration_info. */
#define BT_MIGRATION_INFO_VERSION 1
/** An initialiser for bt_migration_info: the current version, the rest 0 or
 *  NULL. */
#define BT_MIGRATION_INFO_INIT { BT_MIGRATION_INFO_VERSION, 0, NULL, NULL, 0, 0 }

/**
 * Describe embedded migration @p index (0 .. bt_migration_count(db) - 1, in
 * ascending schema version) and, when @p db is not NULL, whether @p db has
 * applied it.  The strings are static: owned by the library, never freed.
 * @return BT_OK; BT_EINVALID for a NULL @p out, an unknown version or an
 * index out of range; or a storage error.  Thread-safe.
 */
BT_EXTERN int bt_migration_info_get(bt_db *db, int index, bt_migration_info *out);

/** What a file holds, as bt_db_identify() sees it.  Values are append-only. */
typedef enum bt_db_kind {
	/** Not a SQLite database (this includes -wal and -shm files). */
	BT_DB_UNRECOGNIZED = 1,
	/** A SQLite database without tables (bt_open() would create the schema). */
	BT_DB_EMPTY = 2,
	/** A SQLite database whose tables are not bugtrack's. */
	BT_DB_FOREIGN = 3,
	/** A bugtrack database that records its migrations (schema_migrations). */
	BT_DB_TRACKED = 4,
	/** bugtrack tables without schema_migrations: built before migrations
	 *  were tracked; bt_open() refuses it until bt_schema_stamp() marks it. */
	BT_DB_UNTRACKED = 5
} bt_db_kind;

/**
 * Tell what the file at @p path holds, without changing it (the file is
 * only read; bt_open() is not called).
 * @return BT_OK with @p out set; BT_EINVALID for NULL arguments;
 * BT_ENOTFOUND when there is no such file; BT_ECANTOPEN for a directory or
 * an unreadable file; BT_ECORRUPT for a file with a SQLite header that
 * SQLite cannot read; BT_EBUSY.  Thread-safe.
 */
BT_EXTERN int bt_db_identify(const char *path, bt_db_kind *out);

/** bt_schema_stamp(): check and report, but change nothing. */
#define BT_STAMP_DRY_RUN 0x1u

/**
 * Mark a database built before migrations were tracked (BT_DB_UNTRACKED) as
 * being at schema version @p version, so that bt_open() accepts it and
 * applies only the later migrations.  First the schema is checked: its
 * tables and columns (name, type, NOT NULL, default, primary key, generated),
 * indexes (columns, uniqueness, partial or not), views and triggers (by name)
 * must be exactly what the embedded migrations up to @p version create (they
 * are run in an in-memory database to find out).  Then, in one transaction
 * that holds the write lock from the check on, schema_migrations is created
 * with a record of each of those migrations.
 *
 * @param path        the database; NULL or "" selects the default, as for
 *                    bt_open().  It is never created.
 * @param version     the schema version to record, 1 .. latest; 0 picks the
 *                    newest version whose schema matches.
 * @param flags       0 or BT_STAMP_DRY_RUN.
 * @param version_out may be NULL; receives the version stamped (or that a
 *                    dry run would stamp), or, with BT_ESTATE, the version
 *                    the database already records.
 * @return BT_OK; BT_EINVALID (unknown flags, version out of range);
 * BT_ENOTFOUND (no such file); BT_ESCHEMA when the tables do not match (the
 * message names the first differences), or the file is empty or not a
 * bugtrack database; BT_ESTATE when the database already records its
 * migrations (nothing is changed); BT_ECORRUPT; BT_EREADONLY; BT_EBUSY.
 * Thread-safe (it uses its own connection).
 */
BT_EXTERN int bt_schema_stamp(const char *path, int version, unsigned int flags,
			      int *version_out);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_SCHEMA_H */
