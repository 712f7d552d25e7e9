/*
 * bugtrack/ticket.h - Tickets: reports, lookups, getters, listing, counts.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_TICKET_H
#define BUGTRACK_TICKET_H

#include "capture.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Tickets
 * @{ */

/** A snapshot of one ticket.  Opaque; free it with bt_ticket_free(). */
typedef struct bt_ticket bt_ticket;

/**
 * A ticket's status (see "Lifecycle" below); named by bt_status_name().
 * The first four are the open statuses.  Values are append-only.
 */
typedef enum bt_status {
	BT_STATUS_NEW = 1,                   /**< "new": opened or reopened, not yet looked at */
	BT_STATUS_TRIAGED = 2,               /**< "triaged": looked at and accepted */
	BT_STATUS_IN_PROGRESS = 3,           /**< "in_progress": being worked on */
	BT_STATUS_AWAITING_VERIFICATION = 4, /**< "awaiting_verification": fixed, to be checked */
	BT_STATUS_RESOLVED = 5,              /**< "resolved": fixed; a recurrence reopens it */
	BT_STATUS_CLOSED = 6                 /**< "closed": done with, or merged into another */
} bt_status;

/** How bad a ticket is; sets its SLA.  Named by bt_severity_name(). */
typedef enum bt_severity {
	BT_SEVERITY_LOW = 1,      /**< "low" */
	BT_SEVERITY_MEDIUM = 2,   /**< "medium": the default of hand-filed reports */
	BT_SEVERITY_HIGH = 3,     /**< "high" */
	BT_SEVERITY_CRITICAL = 4  /**< "critical" */
} bt_severity;

/** How soon a ticket should be worked on.  Named by bt_priority_name(). */
typedef enum bt_priority {
	BT_PRIORITY_LOW = 1,     /**< "low" */
	BT_PRIORITY_MEDIUM = 2,  /**< "medium": the default */
	BT_PRIORITY_HIGH = 3,    /**< "high" */
	BT_PRIORITY_URGENT = 4   /**< "urgent" */
} bt_priority;

/** Who filed a ticket.  Named by bt_source_name(). */
typedef enum bt_source {
	BT_SOURCE_USER = 1,   /**< "user": a person, through bt_report_create() */
	BT_SOURCE_AGENT = 2,  /**< "agent": an automated agent */
	BT_SOURCE_SYSTEM = 3  /**< "system": the library, from a captured error or crash */
} bt_source;

/** A hand-filed report.  Fields are only ever appended. */
typedef struct bt_report {
	/** BT_REPORT_VERSION. */
	unsigned int version;
	/** Required. */
	const char *title;
	/** Free text; may be NULL. */
	const char *description;
	/** 0 selects medium. */
	bt_severity severity;
	/** 0 selects medium. */
	bt_priority priority;
	/** A free-form category; may be NULL. */
	const char *category;
	/** The subsystem concerned; may be NULL. */
	const char *component;
	/** 0 selects BT_SOURCE_USER. */
	bt_source source;
	/** Who reports it, e.g. "user:oncall"; may be NULL. */
	const char *reporter;
	/** The trace id the report concerns; may be NULL. */
	const char *trace_id;
	/** The request id the report concerns; may be NULL. */
	const char *request_id;
	/** Defaults to the handle's BT_CONTEXT_RELEASE. */
	const char *release_sha;
	/** Must be valid JSON. */
	const char *context_json;
	/** Optional: a report with a fingerprint dedups like a log does. */
	const char *fingerprint;
} bt_report;

/** The current version of bt_report. */
#define BT_REPORT_VERSION 1
/** An initialiser for bt_report: the current version, the rest NULL or 0. */
#define BT_REPORT_INIT { BT_REPORT_VERSION, NULL, NULL, (bt_severity)0, \
			 (bt_priority)0, NULL, NULL, (bt_source)0, NULL, NULL, \
			 NULL, NULL, NULL, NULL }

/**
 * Initialise @p report with the defaults of report version @p version, as
 * BT_REPORT_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p report or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_report_init(bt_report *report, unsigned int version);

/** Room for a ticket number such as "BUG-00042", with the NUL. */
#define BT_TICKET_NUMBER_SIZE 24

/**
 * File a ticket by hand.  With a fingerprint, a report that matches an
 * existing ticket counts as one more occurrence of it instead.
 * @param id_out      if not NULL, receives the ticket's id.
 * @param number_out  if not NULL, receives its number, e.g. "BUG-00042".
 * @return BT_OK, BT_EINVALID (NULL db or report, bad version, missing
 * title, unknown enum value, context not JSON), or a storage error.
 * Thread-safe.
 */
BT_EXTERN int bt_report_create(bt_db *db, const bt_report *report, int64_t *id_out,
			       char number_out[BT_TICKET_NUMBER_SIZE]);

/**
 * Find the ticket that an error with @p fingerprint would land on now.
 * Read-only, and answered from an index.
 * @param out  receives a ticket the caller frees with bt_ticket_free().
 * @return BT_OK, BT_ENOTFOUND when the error would open a new ticket,
 * BT_EINVALID, or a storage error.  Thread-safe.
 */
BT_EXTERN int bt_dedup_lookup(bt_db *db, const char *fingerprint, bt_ticket **out);

/**
 * Read ticket @p id.  @p out receives a ticket the caller frees with
 * bt_ticket_free().
 * @return BT_OK, BT_ENOTFOUND, BT_EINVALID, or a storage error.  Thread-safe.
 */
BT_EXTERN int bt_ticket_get(bt_db *db, int64_t id, bt_ticket **out);

/** Free a ticket; NULL is accepted. */
BT_EXTERN void bt_ticket_free(bt_ticket *ticket);

/*
 * Getters.  Strings are owned by the ticket and live until bt_ticket_free();
 * a missing value is NULL (strings) or 0 (numbers).  Times are milliseconds
 * since the Unix epoch.  A NULL ticket gives NULL/0.  Safe to call from any
 * thread that owns the ticket.
 */
/** @return the ticket's id (> 0, never reused); 0 for a NULL ticket. */
BT_EXTERN int64_t bt_ticket_id(const bt_ticket *ticket);
/** @return the ticket's number: "BUG-" and the id zero-padded to at least
 * five digits ("BUG-00042", "BUG-123456").  Never NULL for a ticket the
 * library returned; NULL for a NULL ticket. */
BT_EXTERN const char *bt_ticket_number(const bt_ticket *ticket);
/** @return the title, never NULL or empty for a ticket the library
 * returned; NULL for a NULL ticket.  Set once, when the ticket is made:
 * capture's title is the ticket's template (the printf format, or the
 * normalized message) after its error type ("ENOENT: open %s: %s"),
 * without the severity and component, which have their own getters; at
 * most 120 bytes, cut on a UTF-8 boundary (between words when it can)
 * and ending with "…" when cut.  A report keeps the title it was given.
 * The severity is the first occurrence's level: BT_CRITICAL is critical,
 * BT_ERROR high, BT_WARNING medium, lower levels low.  Lives as long as
 * @p ticket. */
BT_EXTERN const char *bt_ticket_title(const bt_ticket *ticket);
/** @return the current status; 0 for a NULL ticket. */
BT_EXTERN bt_status bt_ticket_status(const bt_ticket *ticket);
/** @return the severity; 0 for a NULL ticket. */
BT_EXTERN bt_severity bt_ticket_severity(const bt_ticket *ticket);
/** @return the component of the first occurrence or report; NULL when it
 * has none. */
BT_EXTERN const char *bt_ticket_component(const bt_ticket *ticket);
/** @return the fingerprint the ticket groups by (32 lower-case hex digits
 * for captured errors, see bt_fingerprint()); NULL for a report filed
 * without one. */
BT_EXTERN const char *bt_ticket_fingerprint(const bt_ticket *ticket);
/** The exact text the fingerprint hashed, for explaining grouping. */
BT_EXTERN const char *bt_ticket_grouping_input(const bt_ticket *ticket);
/** @return how many occurrences the ticket has counted, exact (not limited
 * by the log-row cap), including those folded in by bt_ticket_merge(). */
BT_EXTERN int64_t bt_ticket_occurrence_count(const bt_ticket *ticket);
/** @return how many times an occurrence reopened the ticket after it was
 * resolved or closed (a regression); 0 when never. */
BT_EXTERN int64_t bt_ticket_regression_count(const bt_ticket *ticket);
/** @return when the first occurrence happened, in milliseconds since the
 * Unix epoch; 0 when unknown. */
BT_EXTERN int64_t bt_ticket_first_occurred_at(const bt_ticket *ticket);
/** @return when the latest occurrence happened, in milliseconds since the
 * Unix epoch; 0 when unknown. */
BT_EXTERN int64_t bt_ticket_last_occurred_at(const bt_ticket *ticket);
/** @return the message of the first occurrence (later ones are in the log
 * rows); NULL when none, as for a hand-filed report. */
BT_EXTERN const char *bt_ticket_error_message(const bt_ticket *ticket);
/** @return the stack trace of the first occurrence; NULL when none was
 * given or captured. */
BT_EXTERN const char *bt_ticket_stack_trace(const bt_ticket *ticket);
/** @return the description of a hand-filed report; NULL when none. */
BT_EXTERN const char *bt_ticket_description(const bt_ticket *ticket);
/** @return the priority; 0 for a NULL ticket. */
BT_EXTERN bt_priority bt_ticket_priority(const bt_ticket *ticket);
/** @return the category; NULL when none. */
BT_EXTERN const char *bt_ticket_category(const bt_ticket *ticket);
/** @return who filed the ticket (BT_SOURCE_SYSTEM for captured errors); 0
 * for a NULL ticket. */
BT_EXTERN bt_source bt_ticket_source(const bt_ticket *ticket);
/** @return the reporter of a hand-filed report; NULL when none. */
BT_EXTERN const char *bt_ticket_reporter(const bt_ticket *ticket);
/** @return the assignee; NULL when unassigned. */
BT_EXTERN const char *bt_ticket_assignee(const bt_ticket *ticket);
/** @return the error type of the first occurrence ("ECONNREFUSED"); NULL
 * when none. */
BT_EXTERN const char *bt_ticket_error_type(const bt_ticket *ticket);
/** @return the service (BT_CONTEXT_SERVICE) of the first occurrence; NULL
 * when unset. */
BT_EXTERN const char *bt_ticket_service(const bt_ticket *ticket);
/** @return the host (BT_CONTEXT_HOST) of the first occurrence; NULL when
 * unset. */
BT_EXTERN const char *bt_ticket_host(const bt_ticket *ticket);
/** @return the environment (BT_CONTEXT_ENVIRONMENT) of the first
 * occurrence; NULL when unset. */
BT_EXTERN const char *bt_ticket_environment(const bt_ticket *ticket);
/** @return the release (BT_CONTEXT_RELEASE, e.g. a git SHA) of the first
 * occurrence, or a report's release_sha; NULL when unset. */
BT_EXTERN const char *bt_ticket_release(const bt_ticket *ticket);
/** @return the trace id of the first occurrence; NULL when none. */
BT_EXTERN const char *bt_ticket_trace_id(const bt_ticket *ticket);
/** @return the request id of the first occurrence; NULL when none. */
BT_EXTERN const char *bt_ticket_request_id(const bt_ticket *ticket);
/** Context JSON of the first occurrence, or NULL. */
BT_EXTERN const char *bt_ticket_context(const bt_ticket *ticket);
/** @return the notes given to bt_ticket_resolve(); NULL when none, or when
 * the ticket was reopened since (the trail keeps them). */
BT_EXTERN const char *bt_ticket_resolution_notes(const bt_ticket *ticket);
/** @return the fixing commit given to bt_ticket_resolve(); NULL when none,
 * or when the ticket was reopened since. */
BT_EXTERN const char *bt_ticket_resolution_commit(const bt_ticket *ticket);
/** @return the actor of the last bt_ticket_resolve(); NULL when it was not
 * resolved that way, or was reopened since. */
BT_EXTERN const char *bt_ticket_resolved_by(const bt_ticket *ticket);
/** The release the fix is in, as given to bt_ticket_resolve(). */
BT_EXTERN const char *bt_ticket_resolved_release(const bt_ticket *ticket);
/** The agent holding a claim, even an expired one; NULL when unclaimed. */
BT_EXTERN const char *bt_ticket_claimed_by(const bt_ticket *ticket);
/** @return when the current (possibly expired) claim was taken, in
 * milliseconds since the Unix epoch (a renewal keeps it); 0 when
 * unclaimed. */
BT_EXTERN int64_t bt_ticket_claimed_at(const bt_ticket *ticket);
/** @return when the current claim's lease ends, in milliseconds since the
 * Unix epoch (in the past for an expired lease); 0 when unclaimed. */
BT_EXTERN int64_t bt_ticket_claim_expires_at(const bt_ticket *ticket);
/** @return how many automation attempts were counted: one per successful
 * bt_ticket_claim() (an imported ticket keeps its recorded count). */
BT_EXTERN int64_t bt_ticket_automation_attempts(const bt_ticket *ticket);
/** Bumped by every lifecycle change (not by occurrences): optimistic locking. */
BT_EXTERN int64_t bt_ticket_version(const bt_ticket *ticket);
/** The canonical ticket this one was merged into, or 0. */
BT_EXTERN int64_t bt_ticket_duplicate_of(const bt_ticket *ticket);
/** The report_id of an imported legacy report, or NULL. */
BT_EXTERN const char *bt_ticket_external_id(const bt_ticket *ticket);
/** @return when the ticket was created, in milliseconds since the Unix
 * epoch. */
BT_EXTERN int64_t bt_ticket_created_at(const bt_ticket *ticket);
/** @return when a lifecycle change or a regression last changed the ticket
 * (occurrences do not count), in milliseconds since the Unix epoch;
 * created_at until then. */
BT_EXTERN int64_t bt_ticket_updated_at(const bt_ticket *ticket);
/** @return when the ticket was resolved, in milliseconds since the Unix
 * epoch; 0 when it is not resolved (reopening clears it; closing a resolved
 * ticket keeps it). */
BT_EXTERN int64_t bt_ticket_resolved_at(const bt_ticket *ticket);
/** @return when the ticket falls due: created_at (or the time of the
 * regression that last reopened it) plus the SLA of its severity
 * (bt_open_options.sla_ms; bt_ticket_set_severity() recomputes it from
 * created_at), in milliseconds since the Unix epoch; 0 when unset. */
BT_EXTERN int64_t bt_ticket_sla_due_at(const bt_ticket *ticket);

/** Orders for listing tickets; each is descending, ties broken by id. */
typedef enum bt_ticket_sort {
	BT_SORT_LAST_OCCURRED = 1, /**< most recent occurrence first */
	BT_SORT_OCCURRENCES = 2,   /**< most occurrences first */
	BT_SORT_SEVERITY = 3,      /**< most severe first */
	BT_SORT_CREATED = 4        /**< newest ticket first */
} bt_ticket_sort;

/** A bit for bt_ticket_filter.status_mask. */
#define BT_STATUS_BIT(status) (1u << (status))
/** Every status but resolved and closed. */
#define BT_STATUS_OPEN_MASK \
	(BT_STATUS_BIT(BT_STATUS_NEW) | BT_STATUS_BIT(BT_STATUS_TRIAGED) | \
	 BT_STATUS_BIT(BT_STATUS_IN_PROGRESS) | BT_STATUS_BIT(BT_STATUS_AWAITING_VERIFICATION))

/**
 * Which tickets bt_ticket_filter.claimed lets through, by their claim.  Any
 * other value makes bt_ticket_iter_new() fail with BT_EINVALID.  Values are
 * append-only.
 */
typedef enum bt_claimed {
	BT_CLAIMED_ANY = 0, /**< claimed or not: the default */
	BT_CLAIMED_YES = 1, /**< only tickets with a live lease */
	BT_CLAIMED_NO = 2   /**< only tickets never claimed, released, or whose lease expired */
} bt_claimed;

/**
 * Which tickets to list, and in what order.  Zero and NULL fields do not
 * filter.  Time ranges are [from, to) in milliseconds.  Fields are only
 * ever appended.
 */
typedef struct bt_ticket_filter {
	/** BT_TICKET_FILTER_VERSION. */
	unsigned int version;
	/** BT_STATUS_BIT()s or'ed together; 0 = any status. */
	unsigned int status_mask;
	/** Only tickets at least this severe; 0 = any. */
	bt_severity min_severity;
	/** Exact component. */
	const char *component;
	/** Exact assignee. */
	const char *assignee;
	/** By claim; BT_CLAIMED_ANY (0) does not filter. */
	bt_claimed claimed;
	/** Bounds on created_at. */
	int64_t created_from, created_to;
	/** Bounds on last_occurred_at. */
	int64_t occurred_from, occurred_to;
	/** Non-zero: only tickets that have regressed. */
	int regressed_only;
	/** A substring of the title, the error message or the description, in
	 *  any case: both sides compare under Unicode simple case folding
	 *  (ÉCHEC finds échec; ß does not find ss), the same on every
	 *  backend.  Taken literally: no pattern characters. */
	const char *text;
	/** 0 selects BT_SORT_LAST_OCCURRED. */
	bt_ticket_sort sort;
	/** Resume after this bt_ticket_iter_cursor() value; NULL starts at the top. */
	const char *cursor;
	/** Non-zero: only open tickets past their sla_due_at. */
	int overdue_only;
	/**
	 * Non-zero: only tickets that changed at or after this time, in
	 * milliseconds since the Unix epoch: updated (a lifecycle change or
	 * a regression, see bt_ticket_updated_at()) or with an occurrence
	 * (bt_ticket_last_occurred_at()).  For polling "what changed since";
	 * works with every sort and with cursors.
	 */
	int64_t changed_from;
	/* Version 2 (libbugtrack 1.1). */
	/** Only tickets of exactly this severity; 0 = any.  With min_severity,
	 *  both must hold. */
	bt_severity severity;
} bt_ticket_filter;

/** The current version of bt_ticket_filter: 2 since libbugtrack 1.1
 *  (severity); a caller built for version 1 still works. */
#define BT_TICKET_FILTER_VERSION 2
/** An initialiser for bt_ticket_filter: the current version, no filter. */
#define BT_TICKET_FILTER_INIT { BT_TICKET_FILTER_VERSION, 0u, (bt_severity)0, NULL, NULL, \
				BT_CLAIMED_ANY, 0, 0, 0, 0, 0, NULL, (bt_ticket_sort)0, NULL, 0, 0, \
				(bt_severity)0 }

/**
 * Initialise @p filter with the defaults of filter version @p version, as
 * BT_TICKET_FILTER_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p filter or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_ticket_filter_init(bt_ticket_filter *filter, unsigned int version);

/** A stream of tickets.  Opaque; free it with bt_ticket_iter_free(). */
typedef struct bt_ticket_iter bt_ticket_iter;

/**
 * Start listing the tickets that match @p filter (NULL: all, by last
 * occurrence).  Rows are fetched a page at a time, so memory stays bounded
 * and no read transaction is held between calls; a ticket inserted while
 * listing never causes a duplicate or a skip.  With SQLite, a listing of 448
 * tickets or more by last occurrence or by count raises the handle's page
 * cache limit to 32 MB for the rest of the handle's life (those orders read
 * rows at random); the memory is taken only as pages are read.
 * @return BT_OK, or BT_EINVALID (NULL db or out, bad version, unknown sort,
 * claimed or severity value, malformed cursor, or a cursor made for another
 * sort).  Thread-safe; the iterator itself must be used by one thread at a
 * time, and must not outlive @p db.
 */
BT_EXTERN int bt_ticket_iter_new(bt_db *db, const bt_ticket_filter *filter,
				 bt_ticket_iter **out);

/**
 * The next ticket, which the caller frees with bt_ticket_free().
 * @return BT_OK, BT_ITEROVER when there are no more, or a storage error
 * (the iterator may be retried).
 */
BT_EXTERN int bt_ticket_iter_next(bt_ticket_iter *iter, bt_ticket **out);

/**
 * An opaque cursor positioned after the last ticket returned, for
 * bt_ticket_filter.cursor; NULL before the first, and always NULL for the
 * automation queue of bt_ticket_pending() (one page of a queue that moves
 * as agents claim; ask again instead).  Owned by @p iter, valid until the
 * next call on it.
 */
BT_EXTERN const char *bt_ticket_iter_cursor(const bt_ticket_iter *iter);

/** Free an iterator; NULL is accepted. */
BT_EXTERN void bt_ticket_iter_free(bt_ticket_iter *iter);

/**
 * Read the ticket numbered @p number ("BUG-00042"; the "BUG-" prefix may be
 * omitted and leading zeros do not matter).
 * @return BT_OK, BT_ENOTFOUND, BT_EINVALID for a malformed number, or a
 * storage error.  Thread-safe.
 */
BT_EXTERN int bt_ticket_get_by_number(bt_db *db, const char *number, bt_ticket **out);

/**
 * Read the ticket whose external id is @p external_id: the id another
 * system gave it (an imported report's report_id, see
 * bt_ticket_external_id()).  External ids are unique; the lookup is
 * answered from an index.
 * @param out  receives a ticket the caller frees with bt_ticket_free().
 * @return BT_OK, BT_ENOTFOUND when no ticket has it, BT_EINVALID for a NULL
 * @p db or @p out or a NULL or empty @p external_id, or a storage error.
 * Thread-safe.  Added in 1.1 (symbol version LIBBUGTRACK_1.1).
 */
BT_EXTERN int bt_ticket_get_by_external_id(bt_db *db, const char *external_id,
					   bt_ticket **out);

/**
 * Read the ticket that an occurrence with trace id @p trace_id landed on
 * (bt_thread_context_set(), bt_event.trace_id): the ticket of the newest
 * log row with it, else of the newest ticket whose first occurrence had it
 * (log rows are capped per ticket, see bt_open_options).  A merged
 * duplicate is returned as it is (bt_ticket_duplicate_of() names its
 * canonical ticket).  Both lookups are answered from an index.
 * @param out  receives a ticket the caller frees with bt_ticket_free().
 * @return BT_OK, BT_ENOTFOUND when no occurrence kept has it, BT_EINVALID
 * for a NULL @p db or @p out or a NULL or empty @p trace_id, or a storage
 * error.  Thread-safe.  Added in 1.1 (symbol version LIBBUGTRACK_1.1).
 */
BT_EXTERN int bt_ticket_get_by_trace_id(bt_db *db, const char *trace_id, bt_ticket **out);

/**
 * Ticket counts for an at-a-glance view.  One field per status and per
 * severity, so that a status or severity added later is a field appended in
 * a new version, not an array that grows.  Fields are only ever appended.
 */
typedef struct bt_ticket_counts {
	/** BT_TICKET_COUNTS_VERSION: set it before calling. */
	unsigned int version;
	/** All tickets, whatever their status. */
	int64_t total;
	/** Tickets in status "new" (BT_STATUS_NEW). */
	int64_t status_new;
	/** Tickets in status "triaged" (BT_STATUS_TRIAGED). */
	int64_t status_triaged;
	/** Tickets in status "in_progress" (BT_STATUS_IN_PROGRESS). */
	int64_t status_in_progress;
	/** Tickets in status "awaiting_verification"
	 * (BT_STATUS_AWAITING_VERIFICATION). */
	int64_t status_awaiting_verification;
	/** Tickets in status "resolved" (BT_STATUS_RESOLVED). */
	int64_t status_resolved;
	/** Tickets in status "closed" (BT_STATUS_CLOSED). */
	int64_t status_closed;
	/** Open tickets of severity "low" (BT_SEVERITY_LOW). */
	int64_t open_low;
	/** Open tickets of severity "medium" (BT_SEVERITY_MEDIUM). */
	int64_t open_medium;
	/** Open tickets of severity "high" (BT_SEVERITY_HIGH). */
	int64_t open_high;
	/** Open tickets of severity "critical" (BT_SEVERITY_CRITICAL). */
	int64_t open_critical;
	/** Open tickets past their sla_due_at. */
	int64_t overdue;
	/** Occurrences that asynchronous capture dropped because its queue
	 * was full, summed over every process (the async_dropped counter). */
	int64_t dropped;
} bt_ticket_counts;

/** The current version of bt_ticket_counts. */
#define BT_TICKET_COUNTS_VERSION 1
/** An initialiser for bt_ticket_counts: the current version, all zero. */
#define BT_TICKET_COUNTS_INIT { BT_TICKET_COUNTS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/**
 * Count tickets by status, open tickets by severity, and overdue ones, in
 * one consistent read, into @p out.
 * @param out  the caller's struct, with its version set (BT_TICKET_COUNTS_INIT
 * does that); it is written only as far as that version goes.
 * @return BT_OK, BT_EINVALID (NULL arguments, unknown version; @p out is
 * then unchanged), or a storage error.  Thread-safe.
 */
BT_EXTERN int bt_ticket_counts_get(bt_db *db, bt_ticket_counts *out);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_TICKET_H */
