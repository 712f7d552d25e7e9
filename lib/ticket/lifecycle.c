/*
 * lifecycle.c - the ticket lifecycle rules: which status moves are allowed,
 * claims and their leases, resolution, merging, deletion and purging.  Every
 * change runs as: take the write lock, read the ticket, check what the
 * caller expects (version, claim), apply, write one audit event per changed
 * field, commit.  No SQL here: the store carries changes out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "redact.h"
#include "ticket.h"
#include "vocab.h"
#include "versioned.h"

/* allowed[from][to], indexed by bt_status.  Forward through the workflow,
 * back from in_progress to triaged (work stopped) and from
 * awaiting_verification to in_progress (verification failed), resolve or
 * close from any open status, close a resolved ticket, and reopen (to new)
 * a resolved or closed one. */
static const unsigned char allowed[7][7] = {
	/*            -  new tri inp awv res clo */
	/* -   */   { 0, 0,  0,  0,  0,  0,  0 },
	/* new */   { 0, 0,  1,  1,  0,  1,  1 },
	/* tri */   { 0, 0,  0,  1,  0,  1,  1 },
	/* inp */   { 0, 0,  1,  0,  1,  1,  1 },
	/* awv */   { 0, 0,  0,  1,  0,  1,  1 },
	/* res */   { 0, 1,  0,  0,  0,  0,  1 },
	/* clo */   { 0, 1,  0,  0,  0,  0,  0 },
};

static int is_open(int status)
{
	return status >= BT_STATUS_NEW && status <= BT_STATUS_AWAITING_VERIFICATION;
}

/* What every change needs: the handle, the options, the ticket read under
 * the write lock, and "now". */
typedef struct change {
	bt_db *db;
	const bt_update_options *opts;
	const char *caller;
	bt_ticket *t;
	int64_t now;
	const char *note; /* opts->note, redacted */
	int events;       /* audit events written so far */
} change;

typedef int (*apply_fn)(change *c, void *arg);

static int check_options(const bt_update_options *o, const char *caller)
{
	if (!o->actor || !*o->actor)
		return bti_error(BT_EINVALID, "%s: an actor is required, e.g. \"user:oncall\"", caller);
	if (o->expected_version < 0)
		return bti_error(BT_EINVALID, "%s: negative expected_version", caller);
	return BT_OK;
}

/* ISO-8601 UTC for messages. */
static const char *iso_time(int64_t ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&secs, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "%" PRId64 " ms", ms);
	return buf;
}

static int claim_live(const bt_ticket *t, int64_t now)
{
	return t->text[BTI_T_CLAIM_TOKEN] && t->num[BTI_T_CLAIM_EXPIRES_AT] > now;
}

static int check_expectations(const change *c)
{
	const bt_ticket *t = c->t;
	const char *token = c->opts ? c->opts->claim_token : NULL;
	char when[32];

	if (c->opts && c->opts->expected_version > 0 &&
	    c->opts->expected_version != t->num[BTI_T_VERSION])
		return bti_error(BT_ECONFLICT, "%s: %s is at version %" PRId64 ", not %" PRId64
				 ": it was changed in between", c->caller, t->text[BTI_T_NUMBER],
				 t->num[BTI_T_VERSION], c->opts->expected_version);
	if (token && !(claim_live(t, c->now) && strcmp(token, t->text[BTI_T_CLAIM_TOKEN]) == 0))
		return claim_live(t, c->now)
			? bti_error(BT_ECONFLICT, "%s: %s is claimed by %s until %s with another token",
				    c->caller, t->text[BTI_T_NUMBER], t->text[BTI_T_CLAIMED_BY],
				    iso_time(t->num[BTI_T_CLAIM_EXPIRES_AT], when, sizeof(when)))
			: bti_error(BT_ECONFLICT, "%s: the claim on %s has expired or was released",
				    c->caller, t->text[BTI_T_NUMBER]);
	return BT_OK;
}

/* Run @fn on ticket @id inside one write transaction. */
static int run_change(bt_db *db, int64_t id, const bt_update_options *opts, const char *caller,
		      int need_actor, apply_fn fn, void *arg)
{
	change c = { db, NULL, caller, NULL, 0, NULL, 0 };
	bt_update_options o;
	int saved_errno = errno, rc;
	char *owned_note = NULL;

	if (!db)
		return bti_error(BT_EINVALID, "%s: db is NULL", caller);
	if (!opts && need_actor)
		return bti_error(BT_EINVALID, "%s: options are NULL (an actor is required)", caller);
	if (opts) {
		rc = bti_versioned_in(&bti_v_update_options, caller, opts, &o);
		if (rc == BT_OK)
			rc = check_options(&o, caller);
		if (rc != BT_OK)
			return rc;
		opts = c.opts = &o;
	}
	if (opts && bti_redact_field(db, opts->note, &c.note, &owned_note) != BT_OK)
		return bti_error(BT_ENOMEM, "%s: out of memory", caller);
	rc = bti_db_lock(db, caller);
	if (rc != BT_OK) {
		bti_free(owned_note);
		return rc;
	}
	c.now = bti_db_now(db);
	rc = bti_store_begin(db->store);
	if (rc == BT_OK)
		rc = bti_store_ticket_get(db->store, id, &c.t);
	if (rc == BT_ENOTFOUND)
		rc = bti_error(BT_ENOTFOUND, "%s: no ticket with id %" PRId64, caller, id);
	if (rc == BT_OK)
		rc = check_expectations(&c);
	if (rc == BT_OK)
		rc = fn(&c, arg);
	if (rc == BT_OK)
		rc = bti_store_commit(db->store);
	if (rc != BT_OK)
		bti_store_rollback(db->store);
	bti_db_unlock(db);
	bt_ticket_free(c.t);
	bti_free(owned_note);
	errno = saved_errno;
	return rc;
}

static int event(change *c, const char *kind, const char *field, const char *from, const char *to,
		 const char *note)
{
	c->events++;
	return bti_store_event_add(c->db->store, c->t->num[BTI_T_ID], c->opts ? c->opts->actor : "system",
				   kind, field, from, to, note, c->now);
}

static int update(change *c, const bti_ticket_update *u)
{
	return bti_store_ticket_update(c->db->store, c->t->num[BTI_T_ID], u, c->now);
}

static const char *note_of(const change *c)
{
	return c->note;
}

/* A claim ends when the ticket leaves the open statuses. */
static int drop_claim(change *c, bti_ticket_update *u)
{
	if (!c->t->text[BTI_T_CLAIM_TOKEN])
		return BT_OK;
	u->set |= BTI_U_CLAIM; /* all claim fields NULL */
	return event(c, "claim_released", "claimed_by", c->t->text[BTI_T_CLAIMED_BY], NULL,
		     "released when the ticket left the open statuses");
}

/* ---- status ---- */

typedef struct status_arg {
	int to;
	const char *notes, *commit, *release; /* resolve only */
	int resolve;
} status_arg;

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A refused move names the moves that are allowed, so that the next try
 * needs no trip to the README. */
static int refuse_move(const change *c, int from, int to)
{
	char targets[96] = "";
	size_t len = 0;

	for (int s = BT_STATUS_NEW; s <= BT_STATUS_CLOSED; s++)
		if (allowed[from][s] && len < sizeof(targets))
			len += (size_t)snprintf(targets + len, sizeof(targets) - len, "%s%s",
						len ? ", " : "", bt_status_name((bt_status)s));
	return bti_error(BT_ESTATE, "%s: %s cannot move from %s to %s (from %s it can move to: %s)",
			 c->caller, c->t->text[BTI_T_NUMBER], bt_status_name((bt_status)from),
			 bt_status_name((bt_status)to), bt_status_name((bt_status)from), targets);
}

/* Resolving a resolved ticket brings nothing new when every detail given
 * is what is recorded (a retried script): then nothing changes, not even
 * the version.  A new detail makes a new resolution, with its event. */
static int same_resolution(const change *c, const status_arg *a)
{
	const bt_ticket *t = c->t;

	return (!a->notes || same(a->notes, t->text[BTI_T_RESOLUTION_NOTES])) &&
	       (!a->commit || same(a->commit, t->text[BTI_T_RESOLUTION_COMMIT])) &&
	       (!a->release || same(a->release, t->text[BTI_T_RESOLVED_RELEASE]));
}

static int apply_status(change *c, void *arg)
{
	const status_arg *a = arg;
	int from = bti_status_from_name(c->t->text[BTI_T_STATUS]);
	const char *to_name = bt_status_name((bt_status)a->to);
	bti_ticket_update u;
	int rc;

	if (a->resolve && from == BT_STATUS_RESOLVED && same_resolution(c, a))
		return BT_OK;
	if (!allowed[from][a->to] && !(a->resolve && from == BT_STATUS_RESOLVED))
		return refuse_move(c, from, a->to);
	memset(&u, 0, sizeof(u));
	u.set = BTI_U_STATUS;
	u.status = to_name;
	if (a->to == BT_STATUS_RESOLVED) {
		u.set |= BTI_U_RESOLVED_AT;
		u.resolved_at = c->now;
	} else if (!is_open(from) && is_open(a->to)) {
		/* Reopened: the resolution stays in the trail only, so that a
		 * later resolution never inherits its release. */
		u.set |= BTI_U_RESOLVED_AT | BTI_U_RESOLUTION;
	}
	if (a->resolve) {
		u.set |= BTI_U_RESOLUTION;
		u.resolution_notes = a->notes;
		u.resolution_commit = a->commit;
		u.resolved_by = c->opts->actor;
		u.resolved_release = a->release;
	}
	rc = is_open(a->to) ? BT_OK : drop_claim(c, &u);
	if (rc == BT_OK)
		rc = update(c, &u);
	/* A second resolution is an event too: the trail says who changed it. */
	if (rc == BT_OK && (from != a->to || a->resolve))
		rc = event(c, a->resolve ? "resolved" : "status_changed", "status",
			   bt_status_name((bt_status)from), to_name, a->resolve ? a->notes : note_of(c));
	if (rc == BT_OK && a->resolve && a->commit)
		rc = event(c, "field_changed", "resolution_commit", c->t->text[BTI_T_RESOLUTION_COMMIT],
			   a->commit, NULL);
	if (rc == BT_OK && a->resolve && a->release)
		rc = event(c, "field_changed", "resolved_release", c->t->text[BTI_T_RESOLVED_RELEASE],
			   a->release, NULL);
	return rc;
}

int bt_ticket_set_status(bt_db *db, int64_t id, bt_status status, const bt_update_options *opts)
{
	status_arg a = { (int)status, NULL, NULL, NULL, 0 };

	if (!bt_status_name(status))
		return bti_error(BT_EINVALID, "bt_ticket_set_status: unknown status %d", (int)status);
	return run_change(db, id, opts, "bt_ticket_set_status", 1, apply_status, &a);
}

int bt_ticket_resolve(bt_db *db, int64_t id, const char *notes, const char *commit_sha,
		      const char *release, const bt_update_options *opts)
{
	status_arg a = { BT_STATUS_RESOLVED, NULL, commit_sha, release, 1 };
	char *owned;
	int rc;

	if (bti_redact_field(db, notes, &a.notes, &owned) != BT_OK)
		return bti_error(BT_ENOMEM, "bt_ticket_resolve: out of memory");
	rc = run_change(db, id, opts, "bt_ticket_resolve", 1, apply_status, &a);
	bti_free(owned);
	return rc;
}

/* ---- fields ---- */

typedef struct field_arg {
	unsigned int bit;
	const char *field, *kind, *value;
} field_arg;

static int apply_field(change *c, void *arg)
{
	const field_arg *a = arg;
	const char *old = NULL;
	bti_ticket_update u;
	int rc;

	memset(&u, 0, sizeof(u));
	u.set = a->bit;
	switch (a->bit) {
	case BTI_U_ASSIGNEE: old = c->t->text[BTI_T_ASSIGNEE]; u.assignee = a->value; break;
	case BTI_U_PRIORITY: old = c->t->text[BTI_T_PRIORITY]; u.priority = a->value; break;
	case BTI_U_CATEGORY: old = c->t->text[BTI_T_CATEGORY]; u.category = a->value; break;
	default:
		old = c->t->text[BTI_T_SEVERITY];
		u.severity = a->value;
		/* The SLA follows the severity, counted from the ticket's creation. */
		u.set |= BTI_U_SLA;
		u.sla_due_at = bti_sla_due(c->db->cfg.sla_ms, a->value, c->t->num[BTI_T_CREATED_AT]);
		break;
	}
	if (same(old, a->value))
		return BT_OK; /* nothing changes: no event, no version bump */
	rc = update(c, &u);
	return rc == BT_OK ? event(c, a->kind, a->field, old, a->value, note_of(c)) : rc;
}

int bt_ticket_assign(bt_db *db, int64_t id, const char *assignee, const bt_update_options *opts)
{
	field_arg a = { BTI_U_ASSIGNEE, "assignee", "assigned", NULL };
	char *owned;
	int rc;

	if (bti_redact_field(db, assignee, &a.value, &owned) != BT_OK)
		return bti_error(BT_ENOMEM, "bt_ticket_assign: out of memory");
	rc = run_change(db, id, opts, "bt_ticket_assign", 1, apply_field, &a);
	bti_free(owned);
	return rc;
}

int bt_ticket_set_severity(bt_db *db, int64_t id, bt_severity severity, const bt_update_options *opts)
{
	field_arg a = { BTI_U_SEVERITY, "severity", "field_changed", bt_severity_name(severity) };

	if (!a.value)
		return bti_error(BT_EINVALID, "bt_ticket_set_severity: unknown severity %d", (int)severity);
	return run_change(db, id, opts, "bt_ticket_set_severity", 1, apply_field, &a);
}

int bt_ticket_set_priority(bt_db *db, int64_t id, bt_priority priority, const bt_update_options *opts)
{
	field_arg a = { BTI_U_PRIORITY, "priority", "field_changed", bt_priority_name(priority) };

	if (!a.value)
		return bti_error(BT_EINVALID, "bt_ticket_set_priority: unknown priority %d", (int)priority);
	return run_change(db, id, opts, "bt_ticket_set_priority", 1, apply_field, &a);
}

int bt_ticket_set_category(bt_db *db, int64_t id, const char *category, const bt_update_options *opts)
{
	field_arg a = { BTI_U_CATEGORY, "category", "field_changed", category };

	return run_change(db, id, opts, "bt_ticket_set_category", 1, apply_field, &a);
}

/* ---- several at once ---- */

typedef struct changes_arg {
	field_arg fields[4];
	int nfields;
	status_arg status;
	int has_status;
} changes_arg;

static int apply_changes(change *c, void *arg)
{
	const changes_arg *a = arg;
	int rc = BT_OK;

	for (int i = 0; i < a->nfields && rc == BT_OK; i++) {
		rc = apply_field(c, (void *)&a->fields[i]);
		if (c->events)
			c->note = NULL; /* recorded once, with the first change */
	}
	/* Last, as a resolve or close is: the other fields land before it. */
	if (rc == BT_OK && a->has_status)
		rc = apply_status(c, (void *)&a->status);
	return rc;
}

int bt_ticket_change(bt_db *db, int64_t id, const bt_ticket_changes *changes,
		     const bt_update_options *opts)
{
	static const char caller[] = "bt_ticket_change";
	changes_arg a;
	bt_ticket_changes ch;
	char *owned = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	if (!db || !changes)
		return bti_error(BT_EINVALID, "%s: %s is NULL", caller, db ? "changes" : "db");
	if ((rc = bti_versioned_in(&bti_v_ticket_changes, caller, changes, &ch)) != BT_OK)
		return rc;
	if (ch.status && !bt_status_name(ch.status))
		return bti_error(BT_EINVALID, "%s: unknown status %d", caller, (int)ch.status);
	if (ch.severity) {
		field_arg f = { BTI_U_SEVERITY, "severity", "field_changed", bt_severity_name(ch.severity) };

		if (!f.value)
			return bti_error(BT_EINVALID, "%s: unknown severity %d", caller, (int)ch.severity);
		a.fields[a.nfields++] = f;
	}
	if (ch.priority) {
		field_arg f = { BTI_U_PRIORITY, "priority", "field_changed", bt_priority_name(ch.priority) };

		if (!f.value)
			return bti_error(BT_EINVALID, "%s: unknown priority %d", caller, (int)ch.priority);
		a.fields[a.nfields++] = f;
	}
	if (ch.category) {
		field_arg f = { BTI_U_CATEGORY, "category", "field_changed",
				*ch.category ? ch.category : NULL };

		a.fields[a.nfields++] = f;
	}
	if (ch.assignee) {
		field_arg f = { BTI_U_ASSIGNEE, "assignee", "assigned", NULL };

		if (*ch.assignee && bti_redact_field(db, ch.assignee, &f.value, &owned) != BT_OK)
			return bti_error(BT_ENOMEM, "%s: out of memory", caller);
		a.fields[a.nfields++] = f;
	}
	if (ch.status) {
		status_arg s = { (int)ch.status, NULL, NULL, NULL, 0 };

		a.status = s;
		a.has_status = 1;
	}
	if (!a.nfields && !a.has_status)
		rc = bti_error(BT_EINVALID, "%s: nothing to change: set status, severity, "
			       "priority, category or assignee", caller);
	else
		rc = run_change(db, id, opts, caller, 1, apply_changes, &a);
	bti_free(owned);
	return rc;
}

static int apply_note(change *c, void *arg)
{
	return event(c, "note", NULL, NULL, NULL, arg);
}

int bt_ticket_note(bt_db *db, int64_t id, const char *text, const bt_update_options *opts)
{
	const char *red;
	char *owned;
	int rc;

	if (!text || !*text)
		return bti_error(BT_EINVALID, "bt_ticket_note: text is NULL or empty");
	if (bti_redact_field(db, text, &red, &owned) != BT_OK)
		return bti_error(BT_ENOMEM, "bt_ticket_note: out of memory");
	rc = run_change(db, id, opts, "bt_ticket_note", 1, apply_note, (void *)red);
	bti_free(owned);
	return rc;
}

/* ---- claims ---- */

typedef struct claim_arg {
	const char *agent, *token;
	int lease_seconds;
	char *token_out;
	int op; /* 0 claim, 1 renew, 2 release */
} claim_arg;

int bti_claim_token(char out[BT_CLAIM_TOKEN_SIZE], const char *what)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	size_t i;
	/* Retried on EINTR; ENOSYS stays BT_EINTERNAL, the code that claims
	 * have always given for it (its message is kept). */
	int rc = bti_random_bytes(raw, sizeof(raw), what);

	if (rc != BT_OK)
		return rc == BT_ENOTSUP ? BT_EINTERNAL : rc;
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[32] = '\0';
	return BT_OK;
}

static int apply_claim(change *c, void *arg)
{
	claim_arg *a = arg;
	const bt_ticket *t = c->t;
	const char *holder = t->text[BTI_T_CLAIMED_BY];
	char token[BT_CLAIM_TOKEN_SIZE], when[32], note[64];
	bti_ticket_update u;
	int rc;

	if (!is_open(bti_status_from_name(t->text[BTI_T_STATUS])))
		return bti_error(BT_ESTATE, "bt_ticket_claim: %s is %s; only open tickets can be claimed",
				 t->text[BTI_T_NUMBER], t->text[BTI_T_STATUS]);
	/* The holder may claim again (an agent that restarted and lost its
	 * token): the new token replaces the old one. */
	if (claim_live(t, c->now) && strcmp(holder, a->agent) != 0)
		return bti_error(BT_EBUSY, "bt_ticket_claim: %s is claimed by %s until %s",
				 t->text[BTI_T_NUMBER], holder,
				 iso_time(t->num[BTI_T_CLAIM_EXPIRES_AT], when, sizeof(when)));
	rc = bti_claim_token(token, "bt_ticket_claim: no randomness for a token");
	if (rc != BT_OK)
		return rc;
	memset(&u, 0, sizeof(u));
	u.set = BTI_U_CLAIM;
	u.claimed_by = a->agent;
	u.claim_token = token;
	u.claimed_at = c->now;
	u.claim_expires_at = c->now + (int64_t)a->lease_seconds * 1000;
	u.add_attempts = 1;
	rc = update(c, &u);
	snprintf(note, sizeof(note), "lease until %s", iso_time(u.claim_expires_at, when, sizeof(when)));
	if (rc == BT_OK)
		rc = holder && strcmp(holder, a->agent) != 0
			? event(c, "claim_taken_over", "claimed_by", holder, a->agent, note)
			: event(c, "claimed", "claimed_by", holder, a->agent, note);
	if (rc == BT_OK)
		memcpy(a->token_out, token, BT_CLAIM_TOKEN_SIZE);
	return rc;
}

/* Renew and release need the holder's token; a renewal after expiry is
 * fine as long as nobody has taken the ticket over. */
static int apply_claim_token(change *c, void *arg)
{
	claim_arg *a = arg;
	const bt_ticket *t = c->t;
	char when[32], note[64];
	bti_ticket_update u;
	int rc;

	if (!t->text[BTI_T_CLAIM_TOKEN] || strcmp(t->text[BTI_T_CLAIM_TOKEN], a->token) != 0)
		return bti_error(BT_ECONFLICT, "%s: the token does not hold %s%s%s%s", c->caller,
				 t->text[BTI_T_NUMBER], t->text[BTI_T_CLAIMED_BY] ? " (claimed by " : "",
				 t->text[BTI_T_CLAIMED_BY] ? t->text[BTI_T_CLAIMED_BY] : "",
				 t->text[BTI_T_CLAIMED_BY] ? ")" : "");
	memset(&u, 0, sizeof(u));
	u.set = BTI_U_CLAIM;
	if (a->op == 1) {
		u.claimed_by = t->text[BTI_T_CLAIMED_BY];
		u.claim_token = t->text[BTI_T_CLAIM_TOKEN];
		u.claimed_at = t->num[BTI_T_CLAIMED_AT];
		u.claim_expires_at = c->now + (int64_t)a->lease_seconds * 1000;
	}
	rc = update(c, &u);
	if (rc != BT_OK)
		return rc;
	if (a->op == 2)
		return event(c, "claim_released", "claimed_by", t->text[BTI_T_CLAIMED_BY], NULL,
			     note_of(c));
	/* The caller's note, when it gave one, says why; the lease is in the
	 * ticket's claim_expires_at either way. */
	snprintf(note, sizeof(note), "lease until %s", iso_time(u.claim_expires_at, when, sizeof(when)));
	return event(c, "claim_renewed", "claimed_by", t->text[BTI_T_CLAIMED_BY],
		     t->text[BTI_T_CLAIMED_BY], note_of(c) ? note_of(c) : note);
}

int bt_ticket_claim(bt_db *db, int64_t id, const char *agent, int lease_seconds,
		    char token_out[BT_CLAIM_TOKEN_SIZE])
{
	bt_update_options o = BT_UPDATE_OPTIONS_INIT;
	claim_arg a = { agent, NULL, lease_seconds, token_out, 0 };

	if (token_out)
		token_out[0] = '\0';
	if (!token_out)
		return bti_error(BT_EINVALID, "bt_ticket_claim: token_out is NULL");
	if (lease_seconds <= 0)
		return bti_error(BT_EINVALID, "bt_ticket_claim: the lease must be positive, not %d s",
				 lease_seconds);
	o.actor = agent;
	return run_change(db, id, &o, "bt_ticket_claim", 1, apply_claim, &a);
}

/* NULL options keep 1.0's behaviour: the trail names "claimant". */
static const bt_update_options *claimant(const bt_update_options *opts, bt_update_options *o)
{
	if (opts)
		return opts;
	bt_update_options_init(o, BT_UPDATE_OPTIONS_VERSION);
	o->actor = "claimant";
	return o;
}

int bt_ticket_claim_renew_v2(bt_db *db, int64_t id, const char *token, int lease_seconds,
			     const bt_update_options *opts)
{
	bt_update_options o;
	claim_arg a = { NULL, token, lease_seconds, NULL, 1 };

	if (!token)
		return bti_error(BT_EINVALID, "bt_ticket_claim_renew: token is NULL");
	if (lease_seconds <= 0)
		return bti_error(BT_EINVALID, "bt_ticket_claim_renew: the lease must be positive, not %d s",
				 lease_seconds);
	return run_change(db, id, claimant(opts, &o), "bt_ticket_claim_renew", 1, apply_claim_token,
			  &a);
}

int bt_ticket_claim_renew(bt_db *db, int64_t id, const char *token, int lease_seconds)
{
	return bt_ticket_claim_renew_v2(db, id, token, lease_seconds, NULL);
}

int bt_ticket_claim_release_v2(bt_db *db, int64_t id, const char *token,
			       const bt_update_options *opts)
{
	bt_update_options o;
	claim_arg a = { NULL, token, 0, NULL, 2 };

	if (!token)
		return bti_error(BT_EINVALID, "bt_ticket_claim_release: token is NULL");
	return run_change(db, id, claimant(opts, &o), "bt_ticket_claim_release", 1,
			  apply_claim_token, &a);
}

int bt_ticket_claim_release(bt_db *db, int64_t id, const char *token)
{
	return bt_ticket_claim_release_v2(db, id, token, NULL);
}

/* ---- merge and delete ---- */

static int apply_merge(change *c, void *arg)
{
	int64_t canonical_id = *(const int64_t *)arg;
	const bt_ticket *dup = c->t;
	bt_ticket *canon = NULL;
	bti_ticket_update u;
	char note[96];
	int rc;

	if (dup->num[BTI_T_DUPLICATE_OF])
		return bti_error(BT_ESTATE, "bt_ticket_merge: %s was already merged", dup->text[BTI_T_NUMBER]);
	rc = bti_store_ticket_get(c->db->store, canonical_id, &canon);
	if (rc == BT_ENOTFOUND)
		return bti_error(BT_ENOTFOUND, "bt_ticket_merge: no ticket with id %" PRId64, canonical_id);
	if (rc != BT_OK)
		return rc;
	if (canon->num[BTI_T_DUPLICATE_OF]) {
		rc = bti_error(BT_EINVALID, "bt_ticket_merge: %s is itself a duplicate (of ticket %" PRId64
			       "); merge into that one", canon->text[BTI_T_NUMBER], canon->num[BTI_T_DUPLICATE_OF]);
		goto done;
	}
	rc = bti_store_merge_links(c->db->store, dup->num[BTI_T_ID], canonical_id,
				   dup->text[BTI_T_FINGERPRINT], c->now);
	if (rc != BT_OK)
		goto done;
	/* The canonical ticket takes the occurrences. */
	memset(&u, 0, sizeof(u));
	u.set = BTI_U_OCCURRED;
	u.add_occurrences = dup->num[BTI_T_OCCURRENCES];
	u.first_occurred_at = dup->num[BTI_T_FIRST_OCCURRED];
	u.last_occurred_at = dup->num[BTI_T_LAST_OCCURRED];
	rc = bti_store_ticket_update(c->db->store, canonical_id, &u, c->now);
	snprintf(note, sizeof(note), "+%" PRId64 " occurrences", dup->num[BTI_T_OCCURRENCES]);
	if (rc == BT_OK)
		rc = bti_store_event_add(c->db->store, canonical_id, c->opts->actor, "merged", NULL,
					 dup->text[BTI_T_NUMBER], canon->text[BTI_T_NUMBER], note, c->now);
	/* The duplicate closes and leaves grouping. */
	memset(&u, 0, sizeof(u));
	u.set = BTI_U_STATUS | BTI_U_DUPLICATE_OF | BTI_U_DEDUP_ACTIVE;
	u.status = "closed";
	u.duplicate_of = canonical_id;
	u.dedup_active = 0;
	if (rc == BT_OK)
		rc = drop_claim(c, &u);
	if (rc == BT_OK)
		rc = update(c, &u);
	if (rc == BT_OK)
		rc = event(c, "merged_into", "duplicate_of", NULL, canon->text[BTI_T_NUMBER], note_of(c));
	if (rc == BT_OK && strcmp(dup->text[BTI_T_STATUS], "closed") != 0)
		rc = event(c, "status_changed", "status", dup->text[BTI_T_STATUS], "closed", "merged");
done:
	bt_ticket_free(canon);
	return rc;
}

int bt_ticket_merge(bt_db *db, int64_t duplicate, int64_t canonical, const bt_update_options *opts)
{
	if (duplicate == canonical)
		return bti_error(BT_EINVALID, "bt_ticket_merge: a ticket cannot be merged into itself");
	return run_change(db, duplicate, opts, "bt_ticket_merge", 1, apply_merge, &canonical);
}

static int apply_delete(change *c, void *arg)
{
	(void)arg;
	return bti_store_ticket_delete(c->db->store, c->t->num[BTI_T_ID]);
}

int bt_ticket_delete(bt_db *db, int64_t id, const bt_update_options *opts)
{
	return run_change(db, id, opts, "bt_ticket_delete", 0, apply_delete, NULL);
}
