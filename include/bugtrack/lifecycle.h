/*
 * bugtrack/lifecycle.h - Lifecycle: status changes, claims, merge, delete.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_LIFECYCLE_H
#define BUGTRACK_LIFECYCLE_H

#include "ticket.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Lifecycle
 * Statuses move as in this table (README, "Lifecycle"): forward through
 * new, triaged, in_progress, awaiting_verification; any open status may be
 * resolved or closed; a resolved ticket may be closed; resolved and closed
 * tickets reopen to new.  Every change bumps the ticket's version and writes
 * one ticket_events row per changed field, in the same transaction.
 * Occurrences do not bump the version, so a storm does not defeat optimistic
 * locking.
 * @{ */

/** Who makes a change, and what it must not conflict with. */
typedef struct bt_update_options {
	/** BT_UPDATE_OPTIONS_VERSION. */
	unsigned int version;
	/** Required: who acts, e.g. "agent:fixer-1" or "user:oncall". */
	const char *actor;
	/** Optional note recorded with the change. */
	const char *note;
	/** If set: fail with BT_ECONFLICT unless this claim is live on the ticket. */
	const char *claim_token;
	/** If > 0: fail with BT_ECONFLICT unless the ticket's version equals it. */
	int64_t expected_version;
} bt_update_options;

/** The current version of bt_update_options. */
#define BT_UPDATE_OPTIONS_VERSION 1
/** An initialiser for bt_update_options: the current version, the rest NULL
 *  or 0 (set actor before use). */
#define BT_UPDATE_OPTIONS_INIT { BT_UPDATE_OPTIONS_VERSION, NULL, NULL, NULL, 0 }

/**
 * Initialise @p opts with the defaults of options version @p version, as
 * BT_UPDATE_OPTIONS_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p opts or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_update_options_init(bt_update_options *opts, unsigned int version);

/*
 * Every function below returns BT_OK or:
 *  - BT_EINVALID: NULL db or options, no actor, an unknown value;
 *  - BT_ENOTFOUND: no such ticket;
 *  - BT_ECONFLICT: the claim token is not live on the ticket, or its
 *    version is not expected_version (someone changed it in between);
 *  - BT_ESTATE: not allowed in the ticket's current status, with both
 *    statuses named in the message;
 *  - a storage error.
 * Nothing is changed when they fail.  All are thread-safe.
 */

/** Move ticket @p id to @p status.  Moving to resolved sets resolved_at.
 *  A refused move (BT_ESTATE, also for the status the ticket has) names,
 *  since 1.1, the statuses the ticket can move to. */
BT_EXTERN int bt_ticket_set_status(bt_db *db, int64_t id, bt_status status,
				   const bt_update_options *opts);

/**
 * Resolve ticket @p id: status resolved, resolved_at now, with @p notes,
 * the fixing @p commit_sha and the @p release that carries the fix (each may
 * be NULL).  A recurrence from a release first seen before @p release does
 * not reopen the ticket (see README, Grouping).  Releases its claim.
 * On a ticket that is already resolved it changes nothing (not even the
 * version) when @p notes, @p commit_sha and @p release are NULL or equal to
 * what is recorded; otherwise it records a new resolution, which replaces
 * the notes, commit, release and resolved_at, with a "resolved" event (and
 * field_changed events for the commit and release).  1.0 also moved
 * resolved_at and bumped the version when nothing was new, and wrote no
 * "resolved" event for a second resolution.
 */
BT_EXTERN int bt_ticket_resolve(bt_db *db, int64_t id, const char *notes,
				const char *commit_sha, const char *release,
				const bt_update_options *opts);

/** Assign ticket @p id to @p assignee (NULL unassigns). */
BT_EXTERN int bt_ticket_assign(bt_db *db, int64_t id, const char *assignee,
			       const bt_update_options *opts);

/** Change the severity; the SLA due time is recomputed from created_at. */
BT_EXTERN int bt_ticket_set_severity(bt_db *db, int64_t id, bt_severity severity,
				     const bt_update_options *opts);
/** Change the priority. */
BT_EXTERN int bt_ticket_set_priority(bt_db *db, int64_t id, bt_priority priority,
				     const bt_update_options *opts);
/** @p category may be NULL to clear it. */
BT_EXTERN int bt_ticket_set_category(bt_db *db, int64_t id, const char *category,
				     const bt_update_options *opts);

/** Several fields of a ticket to change at once, for bt_ticket_change().
 *  Fields are only ever appended. */
typedef struct bt_ticket_changes {
	/** BT_TICKET_CHANGES_VERSION. */
	unsigned int version;
	/** The new status, moved last (after the fields below); 0 leaves it. */
	bt_status status;
	/** The new severity (the SLA due time follows); 0 leaves it. */
	bt_severity severity;
	/** The new priority; 0 leaves it. */
	bt_priority priority;
	/** The new category; NULL leaves it, "" clears it. */
	const char *category;
	/** The new assignee; NULL leaves it, "" unassigns. */
	const char *assignee;
} bt_ticket_changes;

/** The current version of bt_ticket_changes. */
#define BT_TICKET_CHANGES_VERSION 1
/** An initialiser for bt_ticket_changes: the current version, nothing to
 *  change. */
#define BT_TICKET_CHANGES_INIT \
	{ BT_TICKET_CHANGES_VERSION, (bt_status)0, (bt_severity)0, (bt_priority)0, NULL, NULL }

/**
 * Initialise @p changes as BT_TICKET_CHANGES_INIT does, for struct version
 * @p version.
 * @return BT_OK, or BT_EINVALID for a NULL @p changes or an unknown
 * version.  Thread-safe.  Added in 1.1 (LIBBUGTRACK_1.1).
 */
BT_EXTERN int bt_ticket_changes_init(bt_ticket_changes *changes, unsigned int version);

/**
 * Change several fields of ticket @p id in one transaction: either every
 * change in @p changes is made, or none is (a refused status move leaves
 * the other fields as they were).  Each changed field gets the audit event
 * its own function (bt_ticket_set_severity(), bt_ticket_assign()...) would
 * record, the note of @p opts going with the first; a field set to the
 * value it has records nothing.  The version moves once per changed field,
 * and @p opts' expected_version is checked once, before any change.
 * @return as the functions above; BT_EINVALID also for NULL @p changes,
 * an unknown struct version or value, or nothing to change.  Thread-safe.
 * Added in 1.1 (LIBBUGTRACK_1.1).
 */
BT_EXTERN int bt_ticket_change(bt_db *db, int64_t id, const bt_ticket_changes *changes,
			       const bt_update_options *opts);

/** Add a free-form note (or an agent's log line) to the trail. */
BT_EXTERN int bt_ticket_note(bt_db *db, int64_t id, const char *text,
			     const bt_update_options *opts);

/** Room for a claim token: 32 hex digits and the NUL. */
#define BT_CLAIM_TOKEN_SIZE 33

/**
 * Claim open ticket @p id for @p agent for @p lease_seconds (> 0), and
 * count one automation attempt.  Atomic across threads and processes.
 * @param token_out  receives the token that renews, releases, and
 *                   authorises updates (bt_update_options.claim_token).
 * @return BT_OK; BT_EBUSY while another agent's live lease holds it (the
 * message names the holder and the expiry); BT_ESTATE for a resolved or
 * closed ticket; BT_EINVALID; BT_ENOTFOUND.  Taking over an expired lease is
 * recorded as a claim_taken_over event.  The holder itself may claim again
 * (after losing its token, say): the new token replaces the old one.
 * Thread-safe.
 */
BT_EXTERN int bt_ticket_claim(bt_db *db, int64_t id, const char *agent, int lease_seconds,
			      char token_out[BT_CLAIM_TOKEN_SIZE]);

/** Extend a claim to now + @p lease_seconds.  An expired claim may be
 *  renewed as long as nobody has taken the ticket over.  BT_ECONFLICT if
 *  @p token is not the ticket's claim.  Thread-safe. */
BT_EXTERN int bt_ticket_claim_renew(bt_db *db, int64_t id, const char *token, int lease_seconds);

/** Give a claim up.  BT_ECONFLICT if @p token is not the ticket's claim.
 *  Thread-safe. */
BT_EXTERN int bt_ticket_claim_release(bt_db *db, int64_t id, const char *token);

/**
 * Extend a claim as bt_ticket_claim_renew() does, naming who renews it.
 * @param opts  who acts (@ref bt_update_options.actor, required when
 *              @p opts is given), an optional note recorded in the
 *              claim_renewed event instead of "lease until ...", and
 *              expected_version and claim_token, checked as for every
 *              change; NULL: the actor is "claimant" and the note "lease
 *              until ...", exactly as bt_ticket_claim_renew().
 * @return BT_OK; BT_ECONFLICT if @p token is not the ticket's claim (or an
 * expectation of @p opts fails); BT_EINVALID (NULL token, a lease <= 0,
 * options without an actor or of an unknown version); BT_ENOTFOUND.
 * Nothing is allocated for the caller; @p opts is only read during the
 * call.  Thread-safe; a handle is not used across fork().
 * @since 1.1
 */
BT_EXTERN int bt_ticket_claim_renew_v2(bt_db *db, int64_t id, const char *token,
				       int lease_seconds, const bt_update_options *opts);

/**
 * Give a claim up as bt_ticket_claim_release() does, naming who releases
 * it.
 * @param opts  who acts (required when @p opts is given), an optional note
 *              recorded in the claim_released event, and expected_version
 *              and claim_token, checked as for every change; NULL: the
 *              actor is "claimant", exactly as bt_ticket_claim_release().
 * @return BT_OK; BT_ECONFLICT if @p token is not the ticket's claim (or an
 * expectation of @p opts fails); BT_EINVALID (NULL token, options without
 * an actor or of an unknown version); BT_ENOTFOUND.  Nothing is allocated
 * for the caller.  Thread-safe; a handle is not used across fork().
 * @since 1.1
 */
BT_EXTERN int bt_ticket_claim_release_v2(bt_db *db, int64_t id, const char *token,
					 const bt_update_options *opts);

/**
 * List the automation queue: open tickets that are unclaimed (or whose lease
 * expired, or claimed by @p agent when it is not NULL) with fewer than
 * @p max_attempts automation attempts (0: no limit), most severe first, then
 * most occurrences, then oldest; at most @p limit tickets (0: 100, at most
 * 1000; larger values are refused).
 * @return as bt_ticket_iter_new().  Thread-safe.
 */
BT_EXTERN int bt_ticket_pending(bt_db *db, const char *agent, int max_attempts,
				unsigned int limit, bt_ticket_iter **out);

/**
 * Merge ticket @p duplicate into @p canonical: its occurrences, log rows
 * and fingerprints fold into @p canonical, and it becomes closed with
 * duplicate_of = @p canonical.  Later occurrences of its fingerprint land on
 * @p canonical.  Both tickets get events.
 * @return BT_OK, or BT_EINVALID for a merge into itself or into a ticket
 * that is itself a duplicate (which is how loops are refused), BT_ESTATE for
 * a duplicate that was already merged, BT_ENOTFOUND, BT_ECONFLICT
 * (expected_version and claim_token apply to @p duplicate).  Thread-safe.
 */
BT_EXTERN int bt_ticket_merge(bt_db *db, int64_t duplicate, int64_t canonical,
			      const bt_update_options *opts);

/**
 * Delete ticket @p id with its events, its log rows and its fingerprint
 * aliases, in one transaction.  @p opts may be NULL; its version and claim
 * checks apply when given.  Thread-safe.
 */
BT_EXTERN int bt_ticket_delete(bt_db *db, int64_t id, const bt_update_options *opts);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_LIFECYCLE_H */
