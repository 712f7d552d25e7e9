/*
 * bugtrack/purge.h - Purging: removing old tickets and log rows.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_PURGE_H
#define BUGTRACK_PURGE_H

#include "ticket.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name Purging
 * @{ */

/** What bt_purge() removes.  Fields are only ever appended. */
typedef struct bt_purge_options {
	/** BT_PURGE_OPTIONS_VERSION. */
	unsigned int version;
	/** Remove what is older than this many days (> 0). */
	int older_than_days;
	/** Also remove open tickets (by default only resolved and closed go). */
	int include_open;
	/** Count what would go, and remove nothing. */
	int dry_run;
	/** Rows per transaction; 0 selects 500. */
	unsigned int batch_size;
	/**
	 * Called after each batch with the tickets, log rows and events
	 * removed (or counted) so far; NULL for none.  It runs on the calling
	 * thread, without the handle's lock, and must not use @p db.
	 */
	void (*progress)(int64_t tickets, int64_t logs, int64_t events, void *payload);
	/** Passed to @ref progress. */
	void *payload;
} bt_purge_options;

/** The current version of bt_purge_options. */
#define BT_PURGE_OPTIONS_VERSION 1
/** An initialiser for bt_purge_options: the current version, the rest 0 or
 *  NULL (set older_than_days before use). */
#define BT_PURGE_OPTIONS_INIT { BT_PURGE_OPTIONS_VERSION, 0, 0, 0, 0u, NULL, NULL }

/**
 * Initialise @p opts with the defaults of options version @p version, as
 * BT_PURGE_OPTIONS_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p opts or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_purge_options_init(bt_purge_options *opts, unsigned int version);

/**
 * What bt_purge() removed (or would remove, in a dry run).  The library
 * writes it, as far as the caller's version goes.  Fields are only ever
 * appended.
 */
typedef struct bt_purge_result {
	/** BT_PURGE_RESULT_VERSION: set it before calling. */
	unsigned int version;
	/** Tickets removed, with their events and log rows. */
	int64_t tickets;
	/** Log rows removed, those of removed tickets included. */
	int64_t logs;
	/** Audit events removed: those of the removed tickets. */
	int64_t events;
} bt_purge_result;

/** The current version of bt_purge_result. */
#define BT_PURGE_RESULT_VERSION 1
/** An initialiser for bt_purge_result: the current version, all zero. */
#define BT_PURGE_RESULT_INIT { BT_PURGE_RESULT_VERSION, 0, 0, 0 }

/**
 * Remove tickets whose last activity (last occurrence or update) is older
 * than the cutoff, with their events and logs, and log rows older than the
 * cutoff.  Works in transactions of batch_size rows, so writers are never
 * locked out for long; a purge interrupted between batches leaves a
 * consistent database.
 * @param out  receives the counts: the caller's struct, with its version
 * set (BT_PURGE_RESULT_INIT does that); it is written only as far as that
 * version goes.  An unknown version is refused before anything is removed,
 * and leaves @p out unchanged.
 * @return BT_OK, BT_EINVALID (NULL arguments, unknown version of @p opts or
 * @p out, days <= 0), or a storage error (what earlier batches removed
 * stays removed, and @p out says how much).  Thread-safe.
 */
BT_EXTERN int bt_purge(bt_db *db, const bt_purge_options *opts, bt_purge_result *out);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_PURGE_H */
