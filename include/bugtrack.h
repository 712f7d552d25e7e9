/*
 * bugtrack.h - public API of libbugtrack.
 *
 * libbugtrack turns a C service's critical errors (and crashes) into
 * deduplicated bug tickets with occurrence counts in a local SQLite database.
 *
 * ABI rules (see README, "Stability"):
 *  - handles are opaque; option structs are versioned by their first member;
 *  - error codes and enum values are append-only;
 *  - every exported symbol is listed in lib/libbugtrack.sym.
 *
 * Thread-safety is stated per function.  "Thread-safe" means the function may
 * be called from several threads at once, including on the same bt_db.
 */
#ifndef BUGTRACK_H
#define BUGTRACK_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define BT_EXTERN __attribute__((visibility("default")))
#else
#  define BT_EXTERN
#endif

/* ------------------------------------------------------------------------ */
/** @name Version
 * BT_VERSION_* describe the header you compiled against;
 * bt_version_number() and bt_version_string() the library actually linked.
 * @{ */
#define BT_VERSION_MAJOR 1
#define BT_VERSION_MINOR 0
#define BT_VERSION_PATCH 0
#define BT_VERSION_STRING "1.0.0"
/** MAJOR * 1000000 + MINOR * 1000 + PATCH, as SQLite does. */
#define BT_VERSION_NUMBER \
	(BT_VERSION_MAJOR * 1000000 + BT_VERSION_MINOR * 1000 + BT_VERSION_PATCH)

/**
 * @return the linked library's version as MAJOR * 1000000 + MINOR * 1000 + PATCH.
 * Thread-safe.
 */
BT_EXTERN int bt_version_number(void);

/**
 * @return the linked library's version as a static string such as "1.0.0".
 * The string is owned by the library and never freed.  Thread-safe.
 */
BT_EXTERN const char *bt_version_string(void);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Errors
 * Every function that can fail returns an int: BT_OK (0) or one of the
 * negative codes below.  Codes are append-only: never renumbered or reused.
 * The failing call also leaves a message, kept per thread, readable with
 * bt_error_message() until the next failing call on the same thread.
 * @{ */
#define BT_OK          0   /**< Success. */
#define BT_ERROR      -1   /**< Unexpected internal failure; see the message. */
#define BT_EINVALID   -2   /**< Bad argument or option. */
#define BT_ENOMEM     -3   /**< Out of memory. */
#define BT_ENOTFOUND  -4   /**< No such ticket, file or record. */
#define BT_EBUSY      -5   /**< Locked by another connection or claim holder. */
#define BT_ESCHEMA    -6   /**< Schema is newer than the library, or altered. */
#define BT_EIO        -7   /**< Disk I/O error or disk full. */
#define BT_ECORRUPT   -8   /**< Not a database, or the database is malformed. */
#define BT_EREADONLY  -9   /**< Write attempted on a read-only database. */
#define BT_ECONFLICT -10   /**< Someone else changed the record in between. */
#define BT_ECANTOPEN -11   /**< The database file cannot be opened or created. */

/**
 * @return a static, human-readable description of @p code, such as
 * "invalid argument".  Unknown codes give "unknown error".  Never NULL; the
 * string is owned by the library.  Thread-safe.
 */
BT_EXTERN const char *bt_strerror(int code);

/**
 * @return the message left by the last failed call on this thread, such as
 * "bt_open: /x/y.db: unable to open database file".  Returns "" when no call
 * has failed on this thread since it started or since bt_error_clear().
 * Successful calls do not clear it.  The string is owned by the library and
 * stays valid until the next failing call on this thread.  Thread-safe (the
 * message is thread-local); async-signal-unsafe.
 */
BT_EXTERN const char *bt_error_message(void);

/**
 * @return the code of the last failed call on this thread, or BT_OK when
 * none has failed since bt_error_clear().  Thread-safe.
 */
BT_EXTERN int bt_error_code(void);

/**
 * @return the SQLite extended result code behind the last failed call on this
 * thread (for example 522 for SQLITE_IOERR_SHORT_READ), or 0 when the failure
 * did not come from SQLite.  Thread-safe.
 */
BT_EXTERN int bt_error_sqlite_code(void);

/** Forget this thread's last error.  Thread-safe. */
BT_EXTERN void bt_error_clear(void);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Opening a database
 * @{ */

/** An open bug database.  Opaque; one handle may be shared by many threads. */
typedef struct bt_db bt_db;

/** Open the database read-only.  Implies BT_OPEN_NO_MIGRATE. */
#define BT_OPEN_READONLY   0x1u
/** Do not apply pending migrations (see bt_migrate()). */
#define BT_OPEN_NO_MIGRATE 0x2u
/** Use synchronous=FULL: a commit also survives power loss, at a cost. */
#define BT_OPEN_SYNC_FULL  0x4u

/** Options for bt_open().  Fields are only ever appended. */
typedef struct bt_open_options {
	/** Must be BT_OPEN_OPTIONS_VERSION (or an older version). */
	unsigned int version;
	/** A set of BT_OPEN_* flags; unknown bits are rejected. */
	unsigned int flags;
	/**
	 * How long a call waits for another connection's lock before it fails
	 * with BT_EBUSY, in milliseconds.  0 selects the default, 5000.
	 * Negative values are rejected.
	 */
	int busy_timeout_ms;
} bt_open_options;

#define BT_OPEN_OPTIONS_VERSION 1
#define BT_OPEN_OPTIONS_INIT { BT_OPEN_OPTIONS_VERSION, 0u, 0 }

/**
 * Initialise @p opts with the defaults of options version @p version.
 * @return BT_OK, or BT_EINVALID for a NULL @p opts or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_open_options_init(bt_open_options *opts, unsigned int version);

/**
 * Open (creating if needed) the bug database at @p path and bring its schema
 * up to date.
 *
 * @param out   receives the new handle; set to NULL on failure.
 * @param path  the database file.  NULL or "" selects the default:
 *              $BUGTRACK_DB when set and non-empty, else "./bugtrack.db".
 * @param opts  NULL for defaults, or options made with BT_OPEN_OPTIONS_INIT.
 *
 * A file that bt_open creates gets mode 0600 (its WAL and shared-memory files
 * follow), because error logs hold stack traces and sometimes secrets.  The
 * connection uses WAL mode, foreign keys, synchronous=NORMAL (FULL with
 * BT_OPEN_SYNC_FULL) and the busy timeout.  Pending embedded migrations are
 * applied, each in its own transaction; when several processes open a fresh
 * file at once, exactly one of them migrates it.
 *
 * @return BT_OK, or:
 *  - BT_EINVALID: NULL @p out, bad options version, or unknown flags;
 *  - BT_ECANTOPEN: the path is a directory or its directory is missing;
 *  - BT_ECORRUPT: the file is not a SQLite database, or is malformed;
 *  - BT_ESCHEMA: the schema is newer than this library, a recorded
 *    migration's checksum differs from the embedded one, the file holds
 *    non-bugtrack tables, or (read-only or no-migrate) it needs migrating;
 *  - BT_EREADONLY: the file is read-only and BT_OPEN_READONLY was not given;
 *  - BT_EBUSY: another connection held a lock past the busy timeout.
 *
 * The caller owns the handle and releases it with bt_close().  Thread-safe
 * (it touches no shared state but the environment, read with getenv()).
 * A handle must not be used across fork(); open a new one in the child.
 */
BT_EXTERN int bt_open(bt_db **out, const char *path, const bt_open_options *opts);

/**
 * Close @p db and free everything it owns.  NULL is accepted and ignored.
 * No other thread may be using @p db, and it must not be used afterwards.
 */
BT_EXTERN void bt_close(bt_db *db);

/**
 * @return the path of the database file that @p db opened (after the default
 * was applied), owned by @p db and valid until bt_close(); NULL for a NULL
 * @p db.  Thread-safe.
 */
BT_EXTERN const char *bt_db_path(const bt_db *db);
/** @} */

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
BT_EXTERN int bt_schema_version(bt_db *db, int *current_out, int *latest_out);

/**
 * Apply the pending migrations to a database opened with BT_OPEN_NO_MIGRATE.
 * A no-op when the schema is current.
 * @return BT_OK, BT_EINVALID for a NULL @p db, BT_EREADONLY for a read-only
 * handle, BT_ESCHEMA as for bt_open(), or a storage error.  Thread-safe.
 */
BT_EXTERN int bt_migrate(bt_db *db);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_H */
