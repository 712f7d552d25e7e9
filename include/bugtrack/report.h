/*
 * bugtrack/report.h - Reports: aggregates over a time range.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_REPORT_H
#define BUGTRACK_REPORT_H

#include "ticket.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Reports
 * Aggregates over a time range, read as a stream of rows with a fixed set of
 * named, typed columns per kind (the columns of a kind are only ever
 * appended).  "Occurrences" are the occurrences counted on tickets, per
 * UTC day (kept by capture in each ticket's day counters and ticket_days
 * since migration 0009, not read from error_logs): exact, whatever the
 * log-row cap (bt_open_options.log_rows_per_ticket) kept and however
 * asynchronous capture coalesced repeats.  Lines stored without a ticket
 * do not count.  See README, "bugtrack report".
 * @{ */

/** What a report aggregates, and its columns in order. */
typedef enum bt_aggregate_kind {
	/**
	 * One row: from, to (the range; NULL when unbounded), occurrences,
	 * tickets_seen (distinct tickets with occurrences), new_tickets
	 * (created in the range), resolved (resolved_at in the range),
	 * regressions (resolved tickets that came back in the range), open_now
	 * (open when the report runs, whatever the range).
	 */
	BT_AGGREGATE_SUMMARY = 1,
	/**
	 * The tickets with the most occurrences in the range, most first, then
	 * by id: rank, id, number, occurrences (in the range), occurrence_count
	 * (exact, all time), status, severity, component, last_occurred_at,
	 * title.  At most bt_aggregate_options.limit rows.
	 */
	BT_AGGREGATE_TOP = 2,
	/**
	 * Per component, by name (tickets without one first, as NULL):
	 * component, occurrences, new_tickets, open_now.  Components with all
	 * three zero are left out.
	 */
	BT_AGGREGATE_COMPONENTS = 3,
	/**
	 * Per UTC day, then per component (as above), for days with activity:
	 * day ("YYYY-MM-DD"), component, occurrences, new_tickets.
	 */
	BT_AGGREGATE_DAILY = 4,
	/**
	 * Time to resolve (resolved_at - created_at) of the tickets resolved in
	 * the range, by severity: severity, resolved, mean_ms, median_ms; one
	 * row per severity, critical first, then "all".  Times are rounded to
	 * the millisecond and NULL when nothing was resolved; the median of an
	 * even count is the mean of the middle two.  A ticket that regressed and
	 * was resolved again counts from its creation to its last resolution.
	 */
	BT_AGGREGATE_MTTR = 5
} bt_aggregate_kind;

/** The type of a report column: how to read and show its values. */
typedef enum bt_aggregate_type {
	/** A count or id: bt_aggregate_iter_int(). */
	BT_AGGREGATE_INT = 1,
	/** UTF-8 text: bt_aggregate_iter_text(). */
	BT_AGGREGATE_TEXT = 2,
	/** Milliseconds since the Unix epoch (UTC): bt_aggregate_iter_int(). */
	BT_AGGREGATE_TIME = 3,
	/** A duration in milliseconds: bt_aggregate_iter_int(). */
	BT_AGGREGATE_DURATION = 4
} bt_aggregate_type;

/** Options of bt_aggregate_iter_new().  Fields are only ever appended. */
typedef struct bt_aggregate_options {
	/** BT_AGGREGATE_OPTIONS_VERSION. */
	unsigned int version;
	/**
	 * The range [from, to) in milliseconds since the epoch, applied to
	 * when each thing happened (a log row's, a ticket's creation, its
	 * resolution, an event's time); 0 leaves that end unbounded.  from must
	 * be before to when both are set.
	 */
	int64_t from, to;
	/** BT_AGGREGATE_TOP only: at most this many rows; 0 selects 10; at most
	 *  1000.  Must be 0 for the other kinds. */
	unsigned int limit;
} bt_aggregate_options;

/** The current version of bt_aggregate_options. */
#define BT_AGGREGATE_OPTIONS_VERSION 1
/** An initialiser for bt_aggregate_options: the current version, all of
 *  time, the default limit. */
#define BT_AGGREGATE_OPTIONS_INIT { BT_AGGREGATE_OPTIONS_VERSION, 0, 0, 0u }

/**
 * Initialise @p opts with the defaults of options version @p version.
 * @return BT_OK, or BT_EINVALID for a NULL @p opts or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_aggregate_options_init(bt_aggregate_options *opts, unsigned int version);

/** A stream of report rows.  Opaque; free with bt_aggregate_iter_free(). */
typedef struct bt_aggregate_iter bt_aggregate_iter;

/**
 * Start a report of @p kind over @p opts' range (NULL: everything, with
 * the defaults).  Rows are computed a page at a time as
 * bt_aggregate_iter_next() asks for them, from indexes (error_logs is not
 * read), in constant memory; no read transaction and no lock is held
 * between calls, so each page is consistent on its own but a long report
 * may see changes committed in between (a summary or mttr is one read).
 * Nothing is read until the first bt_aggregate_iter_next().
 *
 * @param out  receives the iterator, owned by the caller, who frees it with
 *             bt_aggregate_iter_free(); set to NULL on failure.
 * @return BT_OK, or BT_EINVALID: NULL @p db or @p out, unknown kind or
 * options version, from not before to, a limit over 1000 or given for a kind
 * other than BT_AGGREGATE_TOP.  Thread-safe; the iterator is used by one
 * thread at a time and must not outlive @p db.
 */
BT_EXTERN int bt_aggregate_iter_new(bt_db *db, bt_aggregate_kind kind,
				    const bt_aggregate_options *opts, bt_aggregate_iter **out);

/**
 * Move to the next row; its values are read with the getters below until
 * the next call.
 * @return BT_OK (a row is current), BT_ITEROVER at the end (not a failure;
 * no row is current), BT_EINVALID for a NULL @p iter, or a storage error
 * such as BT_EBUSY; then no row is current and the position is kept, so a
 * later call retries.  Takes @p db's lock only while it reads the database.
 */
BT_EXTERN int bt_aggregate_iter_next(bt_aggregate_iter *iter);

/** Free @p iter and its current row.  NULL is accepted. */
BT_EXTERN void bt_aggregate_iter_free(bt_aggregate_iter *iter);

/**
 * The columns of @p iter's kind, known as soon as it is created (so a CSV
 * header can be written before any row, or when there is none).
 * @return the number of columns, or 0 for a NULL @p iter.
 */
BT_EXTERN int bt_aggregate_iter_column_count(const bt_aggregate_iter *iter);
/** @return column @p col's name ("occurrences"), a static string, or NULL
 *  when @p col is out of range. */
BT_EXTERN const char *bt_aggregate_iter_column_name(const bt_aggregate_iter *iter, int col);
/** @return column @p col's type, or 0 when @p col is out of range. */
BT_EXTERN bt_aggregate_type bt_aggregate_iter_column_type(const bt_aggregate_iter *iter, int col);

/*
 * Values of the current row.  Out-of-range columns, and calls with no
 * current row, read as NULL.  These getters only read the iterator and
 * never fail or touch the database.
 */
/** @return non-zero when column @p col of the current row is NULL. */
BT_EXTERN int bt_aggregate_iter_is_null(const bt_aggregate_iter *iter, int col);
/** @return the value of an INT, TIME or DURATION column; 0 when NULL or
 *  for a TEXT column. */
BT_EXTERN int64_t bt_aggregate_iter_int(const bt_aggregate_iter *iter, int col);
/** @return the value of a TEXT column, owned by @p iter and valid until the
 *  next bt_aggregate_iter_next() or bt_aggregate_iter_free(); NULL when
 *  NULL or for another type. */
BT_EXTERN const char *bt_aggregate_iter_text(const bt_aggregate_iter *iter, int col);

/** @return the name of @p kind ("summary", "top", "components", "daily",
 *  "mttr"), a static string, or NULL for an unknown kind.  Thread-safe. */
BT_EXTERN const char *bt_aggregate_kind_name(bt_aggregate_kind kind);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_REPORT_H */
