/*
 * bugtrack/audit.h - Audit trail: a ticket's events and the feed of all changes.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_AUDIT_H
#define BUGTRACK_AUDIT_H

#include "db.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name Audit trail
 * @{ */

/** One event of a ticket's trail.  Opaque; free with bt_audit_entry_free(). */
typedef struct bt_audit_entry bt_audit_entry;
/** A stream of audit entries.  Opaque; free with bt_audit_iter_free(). */
typedef struct bt_audit_iter bt_audit_iter;

/**
 * Iterate ticket @p id's events in time order (oldest first).
 * @return BT_OK, BT_EINVALID, BT_ENOTFOUND (no such ticket).  Thread-safe;
 * the iterator must be used by one thread at a time and not outlive @p db.
 */
BT_EXTERN int bt_audit_iter_new(bt_db *db, int64_t id, bt_audit_iter **out);
/** @return BT_OK with an entry the caller frees, BT_ITEROVER, or an error.
 *  On the feed (bt_audit_feed), BT_ITEROVER means "caught up": a later call
 *  on the same iterator returns what was committed since. */
BT_EXTERN int bt_audit_iter_next(bt_audit_iter *iter, bt_audit_entry **out);
/** Free @p iter and the entries it still buffers (not those it returned,
 * which the caller frees).  NULL is accepted. */
BT_EXTERN void bt_audit_iter_free(bt_audit_iter *iter);
/** Free an entry returned by bt_audit_iter_next().  NULL is accepted. */
BT_EXTERN void bt_audit_entry_free(bt_audit_entry *entry);

/**
 * Follow the changes of every ticket: iterate the audit events committed
 * after @p cursor (NULL: from the oldest kept), in commit order, a page at
 * a time, with no read transaction held between calls.  This is the feed a
 * polling agent or an HTTP service follows: keep bt_audit_iter_cursor()
 * of the last entry handled and resume from it, in this process or
 * another, and no event is seen twice or skipped (event ids are never
 * given twice).  Each entry names its ticket (bt_audit_entry_ticket_id()).
 * Every lifecycle change, new ticket, regression and merge is an event;
 * repeated occurrences are not (a storm would flood the feed): follow
 * those with bt_ticket_filter.occurred_from.  Events of deleted or purged
 * tickets are gone from the feed.
 * @return BT_OK, or BT_EINVALID (NULL @p db or @p out, malformed cursor).
 * Thread-safe; the iterator is used by one thread at a time and must not
 * outlive @p db.
 */
BT_EXTERN int bt_audit_feed(bt_db *db, const char *cursor, bt_audit_iter **out);

/**
 * An opaque cursor positioned after the last entry the feed returned (or
 * the cursor it started from), for bt_audit_feed(); NULL before the first
 * and for a ticket's trail (bt_audit_iter_new).  Owned by @p iter, valid
 * until the next call on it.
 */
BT_EXTERN const char *bt_audit_iter_cursor(const bt_audit_iter *iter);

/*
 * Entry getters; strings live until bt_audit_entry_free().  kind is one of
 * created, status_changed, field_changed, assigned, note, claimed,
 * claim_renewed, claim_released, claim_taken_over, resolved, regressed,
 * merged, merged_into, imported; field names the column an event is about
 * (the changed one for field_changed).
 */
/** @return the event's id, unique and never reused; 0 for a NULL entry. */
BT_EXTERN int64_t bt_audit_entry_id(const bt_audit_entry *entry);
/** The ticket the entry belongs to. */
BT_EXTERN int64_t bt_audit_entry_ticket_id(const bt_audit_entry *entry);
/** @return who acted ("agent:fixer-1", "system"); never NULL for an entry
 * the library returned. */
BT_EXTERN const char *bt_audit_entry_actor(const bt_audit_entry *entry);
/** @return the kind of event ("status_changed"); never NULL for an entry
 * the library returned. */
BT_EXTERN const char *bt_audit_entry_kind(const bt_audit_entry *entry);
/** @return the field the event is about ("status", "assignee",
 * "claimed_by"); NULL when it names none (created, note, merged). */
BT_EXTERN const char *bt_audit_entry_field(const bt_audit_entry *entry);
/** @return the value before the event, as text ("triaged" for a
 * status_changed); NULL when there was none. */
BT_EXTERN const char *bt_audit_entry_from(const bt_audit_entry *entry);
/** @return the value after the event, as text ("new" for created); NULL
 * when there is none. */
BT_EXTERN const char *bt_audit_entry_to(const bt_audit_entry *entry);
/** @return the note recorded with the event; NULL when none. */
BT_EXTERN const char *bt_audit_entry_note(const bt_audit_entry *entry);
/** @return when the event was recorded, in milliseconds since the Unix
 * epoch. */
BT_EXTERN int64_t bt_audit_entry_created_at(const bt_audit_entry *entry);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_AUDIT_H */
