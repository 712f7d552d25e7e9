/*
 * bugtrack/errors.h - Errors: codes, messages, the last error of a thread.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_ERRORS_H
#define BUGTRACK_ERRORS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Errors
 * Every function that can fail returns an int: BT_OK (0) or one of the
 * negative codes below.  Codes are append-only: never renumbered or reused.
 * The failing call also leaves a message, kept per thread, readable with
 * bt_error_message() until the next failing call on the same thread.
 * @{ */
#define BT_OK          0   /**< Success. */
#define BT_EINTERNAL  -1   /**< Unexpected internal failure; see the message. */
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
#define BT_ITEROVER  -12   /**< An iterator has no more items (not a failure). */
#define BT_ESTATE    -13   /**< Not allowed in the ticket's current status. */
#define BT_ENOTSUP   -14   /**< Not supported by this build (e.g. a backend not built in). */

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
 * @return the storage backend's own code behind the last failed call on this
 * thread, as "backend:code": "sqlite:522" (SQLite's extended result code
 * SQLITE_IOERR_SHORT_READ), or, from the PostgreSQL backend,
 * "postgresql:40P01" (its SQLSTATE).  "" when the last failure did not come
 * from a backend, or after bt_error_clear().  For logs and bug reports: the
 * BT_E* code the call returned is what a program should act on.  The string
 * is owned by the library and stays valid until the next failing call on
 * this thread.  Thread-safe (thread-local).
 */
BT_EXTERN const char *bt_error_backend_code(void);

/** Forget this thread's last error.  Thread-safe. */
BT_EXTERN void bt_error_clear(void);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_ERRORS_H */
