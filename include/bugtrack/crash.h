/*
 * bugtrack/crash.h - Crashes: the crash handler and the spool.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_CRASH_H
#define BUGTRACK_CRASH_H

#include "db.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Crashes
 * An opt-in handler turns a crash of the host (SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE, SIGABRT) into a record in a spool file next to the database;
 * the next bt_open() of that database (or bt_crash_ingest()) makes each
 * record a critical occurrence on a ticket, grouped by its normalized stack.
 * See README, "Crashes".
 * @{ */

/** Options for bt_crash_handler_install(). */
typedef struct bt_crash_options {
	/** BT_CRASH_OPTIONS_VERSION: the library checks it. */
	unsigned int version;
	/** How many normalized frames, from the top, make the fingerprint;
	 * 0 selects 5, at most 32. */
	int fingerprint_frames;
} bt_crash_options;

/** The current version of bt_crash_options. */
#define BT_CRASH_OPTIONS_VERSION 1
/** An initialiser for bt_crash_options with the current version's defaults. */
#define BT_CRASH_OPTIONS_INIT { BT_CRASH_OPTIONS_VERSION, 0 }

/**
 * Initialise @p opts with the defaults of options version @p version, as
 * BT_CRASH_OPTIONS_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p opts or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_crash_options_init(bt_crash_options *opts, unsigned int version);

/**
 * Install the crash handler for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT.
 *
 * Opens (creating, mode 0600) the spool, a local file: "<database
 * path>.crash" for a database file; for a PostgreSQL location, which has no
 * file, $BUGTRACK_CRASH_SPOOL, else a file named by a hash of the location
 * in $XDG_STATE_HOME/bugtrack or ~/.local/state/bugtrack (made, mode 0700).
 * It records the loaded modules and @p db's context (service, release,
 * environment, host) as they are now, warms up backtrace(), and installs the handlers
 * with an alternate signal stack for the calling thread, so that a stack
 * overflow on that thread is caught too.  Other threads' crashes are caught
 * on their own stacks.  No thread's signal mask is changed.  A handler that
 * was installed before is called after the record is written; then the
 * default action is restored and the signal raised again, so core dumps
 * and exit statuses are unchanged.
 *
 * The handler is async-signal-safe: it does not allocate, lock, use stdio
 * or SQLite; it writes one record with write(2).  Installing again replaces
 * the spool and the context (the previous handlers stay the ones chained).
 *
 * @param opts  NULL for defaults.
 * @return BT_OK; BT_EINVALID (NULL @p db, a read-only handle, bad options);
 * BT_EIO when the spool cannot be opened.  Not thread-safe with itself or
 * with bt_crash_handler_uninstall(): call it from one thread, at startup.
 */
BT_EXTERN int bt_crash_handler_install(bt_db *db, const bt_crash_options *opts);

/**
 * Restore the handlers that were installed before bt_crash_handler_install()
 * and close the spool.  @return BT_OK, also when nothing was installed.
 * Not thread-safe with bt_crash_handler_install().
 */
BT_EXTERN int bt_crash_handler_uninstall(void);

/** What bt_crash_ingest() found in the spool. */
typedef struct bt_crash_ingest_result {
	/** BT_CRASH_INGEST_RESULT_VERSION: the library checks it. */
	unsigned int version;
	/** Records that became occurrences in this call. */
	int64_t ingested;
	/** Complete records already ingested before (by this or another
	 * process), skipped. */
	int64_t duplicates;
	/** Incomplete or unreadable records, reported as a warning log row in
	 * component "crash" and skipped. */
	int64_t damaged;
} bt_crash_ingest_result;

/** The current version of bt_crash_ingest_result. */
#define BT_CRASH_INGEST_RESULT_VERSION 1
/** An initialiser for bt_crash_ingest_result: the current version, all zero. */
#define BT_CRASH_INGEST_RESULT_INIT { BT_CRASH_INGEST_RESULT_VERSION, 0, 0, 0 }

/**
 * Turn every complete record of @p db's spool into a critical occurrence,
 * exactly once: records are remembered by a hash of their bytes in the same
 * transaction that stores them, so a crash during ingestion or two
 * processes ingesting at once never lose or double-count a record.  The
 * spool is removed after the commit, unless a process with the handler
 * installed still has it open.  bt_open() calls this for writable handles
 * and ignores its failure (the spool stays for the next time).
 *
 * @param out  may be NULL; else its version must be set.
 * @return BT_OK (also when there is no spool), BT_EINVALID, or a storage
 * error (nothing is ingested then).  Thread-safe.
 */
BT_EXTERN int bt_crash_ingest(bt_db *db, bt_crash_ingest_result *out);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_CRASH_H */
