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
 * Follow the feed from now on: as bt_audit_feed(), positioned after the
 * newest event committed when it is called, which it finds without reading
 * the events before it (one indexed lookup).  bt_audit_iter_cursor() gives
 * that position at once, for a follower to keep.
 * @return BT_OK, BT_EINVALID (NULL @p db or @p out), or a storage error.
 * Thread-safe, as bt_audit_feed().  Added in 1.1 (LIBBUGTRACK_1.1).
 */
BT_EXTERN int bt_audit_feed_end(bt_db *db, bt_audit_iter **out);

/**
 * An opaque cursor positioned after the last entry the feed returned (or
 * the cursor it started from), for bt_audit_feed(); NULL before the first
 * and for a ticket's trail (bt_audit_iter_new).  Owned by @p iter, valid
 * until the next call on it.
 */
BT_EXTERN const char *bt_audit_iter_cursor(const bt_audit_iter *iter);

/** The longest bt_audit_wait() waits: one hour. */
#define BT_AUDIT_WAIT_MAX_MS 3600000

/**
 * Wait until the feed @p iter follows (bt_audit_feed()) has an event after
 * its position, or @p timeout_ms passes: a long poll without a busy loop.
 * Agents wait here for new and regressed tickets, and for every other
 * change, then read them with bt_audit_iter_next().  The wait holds no
 * lock of the handle: other calls on @p db go on meanwhile.
 *
 * On PostgreSQL the iterator LISTENs on a connection of its own (made on
 * the first call, kept until bt_audit_iter_free()), and every event
 * notifies at its commit; on SQLite a connection of its own reads PRAGMA
 * data_version every 20 ms, which any commit to the file changes (so a
 * burst of occurrences may wake it with no event to read: it then waits
 * on).  Nothing committed after the call began is missed.
 *
 * @param timeout_ms  0..BT_AUDIT_WAIT_MAX_MS; 0 only looks.
 * @return BT_OK when bt_audit_iter_next() has an event to return;
 * BT_ITEROVER when none came by the timeout (no error message is left);
 * BT_EINVALID (NULL @p iter, not a feed, timeout out of range); a storage
 * error (the server is unreachable past the busy timeout: the next call
 * tries again).  The iterator is used by one thread at a time; in a child
 * of fork() it makes a connection of its own.
 */
BT_EXTERN int bt_audit_wait(bt_audit_iter *iter, int timeout_ms);

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
