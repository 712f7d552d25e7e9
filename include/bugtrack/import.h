/*
 * bugtrack/import.h - Import: legacy reports and bugtrack exports.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_IMPORT_H
#define BUGTRACK_IMPORT_H

#include "db.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Import
 * bt_import_json() brings in one JSON document: a legacy bug report (an
 * object with report_id, status, submitted_at, ...), a bugtrack export
 * record (`bugtrack export tickets --format json`: an object with id and
 * number), an array of such objects, or (since 1.1) NDJSON: one such
 * object a line, as `--format ndjson` writes.  README, "bugtrack import", has
 * the field mapping, the status table and the idempotency rule.
 * @{ */

/** How bt_import_json() runs.  Fields are only ever appended. */
typedef struct bt_import_options {
	/** BT_IMPORT_OPTIONS_VERSION. */
	unsigned int version;
	/** Non-zero: check and count everything, and store nothing (the
	 *  database is only read, so a read-only handle will do). */
	int dry_run;
	/** The actor of each ticket's "imported" event; NULL selects "system". */
	const char *actor;
	/** Where the input came from (a file name), recorded in the note of
	 *  each "imported" event; may be NULL. */
	const char *source;
} bt_import_options;

/** The current version of bt_import_options. */
#define BT_IMPORT_OPTIONS_VERSION 1
/** An initialiser for bt_import_options: the current version's defaults. */
#define BT_IMPORT_OPTIONS_INIT { BT_IMPORT_OPTIONS_VERSION, 0, NULL, NULL }

/**
 * Initialise @p opts with the defaults of options version @p version.
 * @return BT_OK, or BT_EINVALID for a NULL @p opts or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_import_options_init(bt_import_options *opts, unsigned int version);

/** What bt_import_json() did (or, in a dry run, would do).  Fields are only
 *  ever appended. */
typedef struct bt_import_result {
	/** BT_IMPORT_RESULT_VERSION: set it before calling. */
	unsigned int version;
	/** Records (report objects) read from the input. */
	int64_t records;
	/** Of those, records that became new tickets. */
	int64_t imported;
	/** Of those, records already present (by the idempotency rule). */
	int64_t skipped;
	/** On failure, the index (0-based; 0 for a single object) of the
	 *  record that failed, or -1 when the input as a whole is bad (not
	 *  JSON, not an object or array) or nothing failed. */
	int64_t failed_record;
} bt_import_result;

/** The current version of bt_import_result. */
#define BT_IMPORT_RESULT_VERSION 1
/** An initialiser for bt_import_result: counts 0, failed_record -1. */
#define BT_IMPORT_RESULT_INIT { BT_IMPORT_RESULT_VERSION, 0, 0, 0, -1 }

/**
 * Initialise @p result as BT_IMPORT_RESULT_INIT does, for result version
 * @p version.
 * @return BT_OK, or BT_EINVALID for a NULL @p result or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_import_result_init(bt_import_result *result, unsigned int version);

/**
 * Import the JSON document @p json of @p len bytes (it need not end with a
 * NUL; a leading UTF-8 byte order mark is skipped) in one transaction: every
 * record is validated, mapped and stored, or, if any record fails, nothing
 * is stored.  A record already present is skipped, never duplicated: a
 * legacy report by its report_id (kept as external_id); an export record
 * by its external_id when it has one, else by its id with the same
 * fingerprint and created_at.  Each new ticket gets one "imported" event.
 *
 * @param opts    NULL for the defaults (no dry run, actor "system").
 * @param out     may be NULL; else its version must be set, and it receives
 *                the counts (on failure: imported and skipped are 0, and
 *                failed_record tells which record failed).
 * @return BT_OK (also in a dry run, which stores nothing), or:
 *  - BT_EINVALID: NULL @p db or @p json, an unknown options or result
 *    version; or bad input: empty, not valid JSON, not an object or an
 *    array of objects, a field of the wrong type, an unknown status,
 *    severity or priority, a bad time; the message names the record,
 *    numbered from 1 (since 1.1; failed_record stays 0-based)
 *    ("bt_import_json: record 3 (report_id \"R-17\"): unknown status
 *    'wibble'"), and invalid JSON its line and column ("not valid JSON at
 *    line 3, column 13");
 *  - BT_ECONFLICT: an export record's id belongs to a different ticket of
 *    this database;
 *  - BT_EREADONLY, BT_EBUSY, BT_EIO, BT_ENOMEM: storage errors.
 * @p json is only read during the call.  Thread-safe: the call holds the
 * handle for the whole document, so other calls on @p db wait for it.
 */
BT_EXTERN int bt_import_json(bt_db *db, const char *json, size_t len,
			     const bt_import_options *opts, bt_import_result *out);

/** An import of several documents (files) in a row.  Opaque. */
typedef struct bt_import_session bt_import_session;

/**
 * Start a run of imports on @p db with @p opts (NULL: defaults; the options
 * and their strings are copied).  Each document is still its own
 * transaction; what the session adds is an exact dry run: a dry run stores
 * nothing, so without a session a document could not see what the
 * documents before it would have imported (a report_id in two files).
 * @return BT_OK, BT_EINVALID (NULL @p db or @p out, unknown options
 * version) or BT_ENOMEM.  The caller frees the session with
 * bt_import_session_free(), before closing @p db.  Thread-safe; a session
 * is used by one thread at a time and holds nothing of @p db between calls.
 */
BT_EXTERN int bt_import_session_new(bt_db *db, const bt_import_options *opts,
				    bt_import_session **out);

/**
 * bt_import_json() of one document of the run.  @p source (may be NULL)
 * names it in the "imported" events instead of the options' source.  In a
 * dry run, the records that earlier documents of the session would have
 * imported count as present; a document that fails adds nothing.
 * @return as bt_import_json(); BT_EINVALID for a NULL @p session.
 */
BT_EXTERN int bt_import_session_add(bt_import_session *session, const char *json, size_t len,
				    const char *source, bt_import_result *out);

/** Free @p session; NULL is accepted. */
BT_EXTERN void bt_import_session_free(bt_import_session *session);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_IMPORT_H */
