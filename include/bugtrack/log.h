/*
 * bugtrack/log.h - Log rows: the stored occurrences of tickets.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_LOG_H
#define BUGTRACK_LOG_H

#include "db.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name Log rows
 * @{ */

/** Which log rows to read.  Zero and NULL fields do not filter.  Fields are
 *  only ever appended. */
typedef struct bt_log_filter {
	/** BT_LOG_FILTER_VERSION. */
	unsigned int version;
	/** Only rows of this ticket. */
	int64_t ticket_id;
	/** Only rows at or above this level. */
	bt_level min_level;
	/** Exact component. */
	const char *component;
	/** created_at in [from, to), milliseconds. */
	int64_t from, to;
	/** Non-zero: newest first (default: oldest first), by the order rows
	 *  were stored. */
	int newest_first;
	/* Version 2 (libbugtrack 1.1). */
	/** Only rows of exactly this level; 0 = any.  With min_level, both
	 *  must hold. */
	bt_level level;
} bt_log_filter;

/** The current version of bt_log_filter: 2 since libbugtrack 1.1 (level);
 *  a caller built for version 1 still works. */
#define BT_LOG_FILTER_VERSION 2
/** An initialiser for bt_log_filter: the current version, no filter. */
#define BT_LOG_FILTER_INIT { BT_LOG_FILTER_VERSION, 0, (bt_level)0, NULL, 0, 0, 0, (bt_level)0 }

/**
 * Initialise @p filter with the defaults of filter version @p version, as
 * BT_LOG_FILTER_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p filter or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_log_filter_init(bt_log_filter *filter, unsigned int version);

/** One stored log row.  Opaque; free with bt_log_entry_free(). */
typedef struct bt_log_entry bt_log_entry;
/** A stream of log rows.  Opaque; free with bt_log_iter_free(). */
typedef struct bt_log_iter bt_log_iter;

/**
 * Read the log rows that match @p filter (NULL: all, oldest first), a page
 * at a time in constant memory, with no read transaction held between calls.
 * Rows come in the order they were stored (by id), which is time order but
 * for a row that arrived late (asynchronous capture, another host's clock);
 * the time bounds filter, and a whole listing reads each row once.
 * @return BT_OK, or BT_EINVALID (NULL db or out, unknown version or level).
 * Thread-safe; the iterator is used by one thread at a time and must not
 * outlive @p db.
 */
BT_EXTERN int bt_log_iter_new(bt_db *db, const bt_log_filter *filter, bt_log_iter **out);
/** @return BT_OK with a row the caller frees, BT_ITEROVER, or an error. */
BT_EXTERN int bt_log_iter_next(bt_log_iter *iter, bt_log_entry **out);
/** Free @p iter and the rows it still buffers (not those it returned, which
 * the caller frees).  NULL is accepted. */
BT_EXTERN void bt_log_iter_free(bt_log_iter *iter);
/** Free a row returned by bt_log_iter_next().  NULL is accepted. */
BT_EXTERN void bt_log_entry_free(bt_log_entry *entry);

/* Row getters; strings live until bt_log_entry_free(); missing values are
 * NULL or 0. */
/** @return the row's id; 0 for a NULL entry. */
BT_EXTERN int64_t bt_log_entry_id(const bt_log_entry *entry);
/** @return the id of the ticket the row landed on; 0 when it landed on none
 * (a line below the ticket level). */
BT_EXTERN int64_t bt_log_entry_ticket_id(const bt_log_entry *entry);
/** @return the row's level, one of BT_DEBUG .. BT_CRITICAL; 0 for a NULL
 * entry. */
BT_EXTERN bt_level bt_log_entry_level(const bt_log_entry *entry);
/** @return the component; never NULL for a row the library returned. */
BT_EXTERN const char *bt_log_entry_component(const bt_log_entry *entry);
/** @return the message as stored: redacted (unless BT_OPEN_NO_REDACT) and
 * cut at max_message_bytes; never NULL for a row the library returned. */
BT_EXTERN const char *bt_log_entry_message(const bt_log_entry *entry);
/** @return the message template (the printf format, or the normalized
 * message); NULL when none. */
BT_EXTERN const char *bt_log_entry_template(const bt_log_entry *entry);
/** @return the row's fingerprint; NULL when none. */
BT_EXTERN const char *bt_log_entry_fingerprint(const bt_log_entry *entry);
/** @return the error type ("ECONNREFUSED"); NULL when none. */
BT_EXTERN const char *bt_log_entry_error_type(const bt_log_entry *entry);
/** @return the errno or host error code; 0 when none (as for a code of 0). */
BT_EXTERN int bt_log_entry_error_code(const bt_log_entry *entry);
/** @return the call site's source file; NULL when not recorded. */
BT_EXTERN const char *bt_log_entry_file(const bt_log_entry *entry);
/** @return the call site's line; 0 when not recorded. */
BT_EXTERN int bt_log_entry_line(const bt_log_entry *entry);
/** @return the call site's function; NULL when not recorded. */
BT_EXTERN const char *bt_log_entry_function(const bt_log_entry *entry);
/** @return the stack trace given or captured; NULL when none. */
BT_EXTERN const char *bt_log_entry_stack_trace(const bt_log_entry *entry);
/** @return the context as JSON text; NULL when none. */
BT_EXTERN const char *bt_log_entry_context(const bt_log_entry *entry);
/** @return the trace id; NULL when none. */
BT_EXTERN const char *bt_log_entry_trace_id(const bt_log_entry *entry);
/** @return the request id; NULL when none. */
BT_EXTERN const char *bt_log_entry_request_id(const bt_log_entry *entry);
/** @return the service (BT_CONTEXT_SERVICE) at capture; NULL when unset. */
BT_EXTERN const char *bt_log_entry_service(const bt_log_entry *entry);
/** @return the host (BT_CONTEXT_HOST) at capture; NULL when unset. */
BT_EXTERN const char *bt_log_entry_host(const bt_log_entry *entry);
/** @return the id of the process that captured the row; 0 when unknown. */
BT_EXTERN int64_t bt_log_entry_pid(const bt_log_entry *entry);
/** @return the environment (BT_CONTEXT_ENVIRONMENT) at capture; NULL when
 * unset. */
BT_EXTERN const char *bt_log_entry_environment(const bt_log_entry *entry);
/** @return the release (BT_CONTEXT_RELEASE) at capture; NULL when unset. */
BT_EXTERN const char *bt_log_entry_release(const bt_log_entry *entry);
/** @return when the line was captured, in milliseconds since the Unix
 * epoch. */
BT_EXTERN int64_t bt_log_entry_created_at(const bt_log_entry *entry);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_LOG_H */
