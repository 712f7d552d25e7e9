/*
 * bugtrack/check.h - Health check: bt_db_check; giving space back: bt_db_vacuum.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_CHECK_H
#define BUGTRACK_CHECK_H

#include "db.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Health check
 * bt_db_check() inspects a database file the way `bugtrack doctor` reports
 * it.  It opens its own connection and never creates, migrates or repairs
 * anything, so it also works on databases that bt_open() refuses.
 * @{ */

/** What bt_db_check() found.  Fields are only ever appended. */
typedef struct bt_check_result {
	/** BT_CHECK_RESULT_VERSION: set it before calling. */
	unsigned int version;
	/** How many problems were found (each one is also passed to the
	 *  callback as a BT_CHECK_PROBLEM item); 0 means healthy. */
	int problems;
	/** 1 when the database records its migrations (schema_migrations). */
	int tracked;
	/** The newest migration recorded (0: none), and the newest this
	 *  library knows. */
	int schema_current, schema_latest;
	/** Recorded migrations whose checksum differs from the embedded one,
	 *  or that this library does not have. */
	int checksum_mismatches;
	/** Rows of tickets, error_logs and ticket_events; -1 when the table
	 *  is missing or was not counted (the integrity check failed). */
	int64_t tickets, error_logs, ticket_events;
	/** Orphans, found with foreign keys off: log rows, events and
	 *  fingerprint aliases whose ticket is missing, and tickets whose
	 *  duplicate_of names a missing ticket; -1 when not checked. */
	int64_t orphan_logs, orphan_events, orphan_aliases, dangling_duplicates;
} bt_check_result;

/** The current version of bt_check_result. */
#define BT_CHECK_RESULT_VERSION 1
/** An initialiser for bt_check_result: the current version, all zero. */
#define BT_CHECK_RESULT_INIT { BT_CHECK_RESULT_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/** Kinds of bt_check_item.  Values are append-only; ignore unknown ones. */
typedef enum bt_check_kind {
	/** Something is wrong: @ref bt_check_item.message says what, and
	 *  @ref bt_check_item.advice what to do. */
	BT_CHECK_PROBLEM = 1,
	/** One row of the counters table (such as async_dropped). */
	BT_CHECK_COUNTER = 2,
	/**
	 * A measurement the storage backend makes of itself, named by it, in
	 * @ref bt_check_item.value.  The SQLite backend gives "integrity_ok"
	 * (1 when PRAGMA integrity_check, or quick_check, answered "ok", else
	 * 0: the damage is also a problem, "integrity"), "wal_bytes" (the size
	 * of the -wal file, 0 when there is none), "file_bytes" and
	 * "free_bytes" (since 1.1: the size of the database's pages, and of
	 * its free pages, which only a vacuum gives back) and, when the file
	 * is intact,
	 * "foreign_key_violations" (rows PRAGMA foreign_key_check reports).
	 * The PostgreSQL backend gives no "wal_bytes" (the server's WAL is
	 * not the client's concern) but "server_version_num" (as the server
	 * says it, e.g. 150018; its text is the server_version setting),
	 * "current_database" and "current_schema" (value 1 when the schema
	 * exists; the text is the name), "amcheck_indexes" (the B-tree indexes
	 * amcheck's bt_index_check checked, -1 when amcheck is not installed or
	 * this role may not run it: then nothing was checked),
	 * "integrity_ok" and "foreign_key_violations".  Another backend has its
	 * own; a program that looks for one must accept its absence.
	 */
	BT_CHECK_METRIC = 3
} bt_check_kind;

/** One finding, passed to a bt_check_fn.  The library fills it; fields are
 *  only ever appended, and @ref version says which ones are there. */
typedef struct bt_check_item {
	/** BT_CHECK_ITEM_VERSION of the library that filled it. */
	unsigned int version;
	/** A problem, a counter or a metric. */
	bt_check_kind kind;
	/** A problem's stable identifier ("integrity", "orphan_logs",
	 *  "checksum", "pending", ...), or the counter's or metric's name. */
	const char *name;
	/** How many rows or records a problem concerns; a counter's or a
	 *  metric's value. */
	int64_t value;
	/** A counter's updated_at (ms since the epoch); 0 for the others. */
	int64_t updated_at;
	/** A problem's description; a metric's text when the backend gives
	 *  one (see BT_CHECK_METRIC), else NULL; NULL for counters. */
	const char *message;
	/** What to do about a problem; NULL for counters and metrics. */
	const char *advice;
} bt_check_item;

/** The version of bt_check_item this library fills. */
#define BT_CHECK_ITEM_VERSION 1

/** Receives each finding; the item and its strings live until it returns. */
typedef void (*bt_check_fn)(const bt_check_item *item, void *payload);

/**
 * Check the database at @p path (a location, as for bt_open(); NULL or "":
 * the default): the backend's own integrity checks (reported as
 * BT_CHECK_METRIC items, and as problems when they fail), the recorded
 * migrations against the embedded ones (version and checksums), a process
 * whose read transaction keeps the WAL from being checkpointed (problem
 * "wal_reader"), row counts, orphaned rows, and the counters table.
 * Metrics, problems and counters are passed to @p fn (may be NULL) in a
 * fixed order: the backend's own metrics (SQLite: "wal_bytes") and
 * "integrity_ok" first, then what was checked in turn; @p out gets the
 * totals.
 * @return BT_OK when the check ran, whether or not it found problems (see
 * out->problems); BT_EINVALID (NULL @p out, unknown version); BT_ENOTFOUND
 * (no such file; it is not created); BT_ECANTOPEN (a directory); BT_ECORRUPT
 * (not a SQLite database); BT_EBUSY; or a storage error.  Thread-safe (it
 * uses its own connection).
 */
BT_EXTERN int bt_db_check(const char *path, bt_check_result *out, bt_check_fn fn,
			  void *payload);

/** bt_db_check_v2() flag: the backend's full integrity check, which reads
 *  everything (SQLite: PRAGMA integrity_check; PostgreSQL: amcheck's
 *  bt_index_check with heapallindexed), instead of the quick one (SQLite:
 *  PRAGMA quick_check; PostgreSQL: bt_index_check). */
#define BT_CHECK_FULL 0x1u

/**
 * Check the database at @p path as bt_db_check() does, choosing how
 * thorough the integrity check is.  bt_db_check() is this function with
 * BT_CHECK_FULL.  Without it, SQLite runs PRAGMA quick_check, which skips
 * the check that every index holds exactly its table's rows and is much
 * faster on a large file (on 100k tickets: a fraction of a second against
 * seconds).
 * @param flags  0 or BT_CHECK_FULL.
 * @return as bt_db_check(); BT_EINVALID for an unknown flag.  Nothing is
 * allocated for the caller: items live until @p fn returns.  Thread-safe
 * (its own connection), and may be called in a child after fork().
 * @since 1.1
 */
BT_EXTERN int bt_db_check_v2(const char *path, unsigned int flags, bt_check_result *out,
			     bt_check_fn fn, void *payload);

/**
 * Give back the space that purges and deletes leave inside the database.
 * SQLite: VACUUM rebuilds the file without its free pages (it needs the
 * write lock and room for a copy of the file; it waits for other
 * connections no longer than the handle's busy timeout), then a checkpoint
 * truncates the WAL.  PostgreSQL: a plain VACUUM of each of the location's
 * tables, so that the server reuses the space; it does not shrink the
 * files (VACUUM FULL would, under an exclusive lock) and takes no lock that
 * stops readers or writers.
 * @param freed_out  may be NULL; receives the bytes the database shrank by,
 *                   or -1 when the backend cannot tell (PostgreSQL).
 * @return BT_OK; BT_EBUSY when another connection kept the database past
 * the busy timeout (nothing changed); BT_EREADONLY for a read-only handle;
 * BT_EINVALID (NULL @p db); BT_ENOTSUP for a backend that cannot; or a
 * storage error.  Thread-safe: it takes the handle's lock, so other calls
 * on @p db wait for it.  Not for a handle inherited across fork() before
 * the child adopted it (any call adopts it).
 * @since 1.1
 */
BT_EXTERN int bt_db_vacuum(bt_db *db, int64_t *freed_out);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_CHECK_H */
