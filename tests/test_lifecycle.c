/*
 * test_lifecycle.c - the ticket lifecycle: the transition table, a complete
 * audit trail that replays to the final state, claims and leases,
 * optimistic locking, the automation queue, merges, deletes and purges.
 */
#include <limits.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "check_sql.h"
#include "db.h"
#include "store_sqlite.h"

static int64_t fake_now = 1700000000000LL;

static int64_t fake_clock(void *payload)
{
	(void)payload;
	return fake_now;
}

static int db_seq;

static bt_db *open_fresh(void)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	char name[32];
	bt_db *db = NULL;

	opts.clock = fake_clock;
	snprintf(name, sizeof(name), "life-%d.db", ++db_seq);
	opts.flags = BT_OPEN_SYNC; /* the cases read the handle's own connection */
	CHECK_RC(bt_open(&db, check_path(name), &opts), BT_OK);
	if (!db)
		exit(2);
	return db;
}

static bt_update_options as(const char *actor)
{
	bt_update_options o = BT_UPDATE_OPTIONS_INIT;

	o.actor = actor;
	return o;
}

static int64_t new_ticket(bt_db *db, const char *title, bt_severity sev)
{
	bt_report r = BT_REPORT_INIT;
	int64_t id = 0;

	r.title = title;
	r.severity = sev;
	CHECK_RC(bt_report_create(db, &r, &id, NULL), BT_OK);
	fake_now += 1000;
	return id;
}

static bt_ticket *get(bt_db *db, int64_t id)
{
	bt_ticket *t = NULL;

	CHECK_RC(bt_ticket_get(db, id, &t), BT_OK);
	if (!t)
		exit(2);
	return t;
}

/* ---- the transition table, as the spec states it ---- */

static const int expected_moves[7][7] = {
	/*            -  new tri inp awv res clo */
	/* -   */   { 0, 0,  0,  0,  0,  0,  0 },
	/* new */   { 0, 0,  1,  1,  0,  1,  1 },
	/* tri */   { 0, 0,  0,  1,  0,  1,  1 },
	/* inp */   { 0, 0,  1,  0,  1,  1,  1 },
	/* awv */   { 0, 0,  0,  1,  0,  1,  1 },
	/* res */   { 0, 1,  0,  0,  0,  0,  1 },
	/* clo */   { 0, 1,  0,  0,  0,  0,  0 },
};

/* A path from new to each status, using allowed moves only. */
static const bt_status paths[7][3] = {
	[BT_STATUS_NEW] = { 0 },
	[BT_STATUS_TRIAGED] = { BT_STATUS_TRIAGED },
	[BT_STATUS_IN_PROGRESS] = { BT_STATUS_IN_PROGRESS },
	[BT_STATUS_AWAITING_VERIFICATION] = { BT_STATUS_IN_PROGRESS, BT_STATUS_AWAITING_VERIFICATION },
	[BT_STATUS_RESOLVED] = { BT_STATUS_RESOLVED },
	[BT_STATUS_CLOSED] = { BT_STATUS_CLOSED },
};

static void test_transition_table(void)
{
	bt_db *db = open_fresh();
	bt_update_options o = as("user:test");
	int from, to, i;

	for (from = 1; from <= 6; from++) {
		for (to = 1; to <= 6; to++) {
			int64_t id = new_ticket(db, "moves", BT_SEVERITY_LOW);
			int64_t version;
			bt_ticket *t;
			int rc;

			for (i = 0; i < 3 && paths[from][i]; i++)
				CHECK_RC(bt_ticket_set_status(db, id, paths[from][i], &o), BT_OK);
			t = get(db, id);
			CHECK(bt_ticket_status(t) == (bt_status)from);
			version = bt_ticket_version(t);
			bt_ticket_free(t);

			rc = bt_ticket_set_status(db, id, (bt_status)to, &o);
			t = get(db, id);
			if (expected_moves[from][to]) {
				if (rc != BT_OK)
					fprintf(stderr, "refused %d -> %d: %s\n", from, to, bt_error_message());
				CHECK(rc == BT_OK && bt_ticket_status(t) == (bt_status)to);
				CHECK(bt_ticket_version(t) == version + 1);
				if (to == BT_STATUS_RESOLVED)
					CHECK(bt_ticket_resolved_at(t) != 0);
				if (to <= BT_STATUS_AWAITING_VERIFICATION) /* open: not resolved */
					CHECK(bt_ticket_resolved_at(t) == 0);
			} else {
				if (rc != BT_ESTATE)
					fprintf(stderr, "allowed %d -> %d\n", from, to);
				CHECK(rc == BT_ESTATE);
				CHECK_STR_CONTAINS(bt_error_message(), bt_status_name((bt_status)from));
				CHECK_STR_CONTAINS(bt_error_message(), bt_status_name((bt_status)to));
				CHECK(bt_ticket_status(t) == (bt_status)from && bt_ticket_version(t) == version);
			}
			bt_ticket_free(t);
		}
	}
	CHECK_RC(bt_ticket_set_status(db, 1, (bt_status)9, &o), BT_EINVALID);
	bt_close(db);
}

/* ---- the audit trail replays to the final state ---- */

typedef struct replay {
	char status[32], assignee[64], severity[16], priority[16], category[32], claimed_by[64];
} replay;

static void set_field(char *dst, size_t size, const char *v)
{
	snprintf(dst, size, "%s", v ? v : "");
}

static void apply(replay *r, const bt_audit_entry *e)
{
	const char *kind = bt_audit_entry_kind(e), *field = bt_audit_entry_field(e);
	const char *to = bt_audit_entry_to(e);

	if (!strcmp(kind, "created") || !strcmp(kind, "status_changed") || !strcmp(kind, "resolved") ||
	    !strcmp(kind, "regressed"))
		set_field(r->status, sizeof(r->status), to);
	else if (!strcmp(kind, "assigned"))
		set_field(r->assignee, sizeof(r->assignee), to);
	else if (!strcmp(kind, "claimed") || !strcmp(kind, "claim_taken_over") ||
		 !strcmp(kind, "claim_renewed") || !strcmp(kind, "claim_released"))
		set_field(r->claimed_by, sizeof(r->claimed_by), to);
	else if (!strcmp(kind, "field_changed") && field && !strcmp(field, "severity"))
		set_field(r->severity, sizeof(r->severity), to);
	else if (!strcmp(kind, "field_changed") && field && !strcmp(field, "priority"))
		set_field(r->priority, sizeof(r->priority), to);
	else if (!strcmp(kind, "field_changed") && field && !strcmp(field, "category"))
		set_field(r->category, sizeof(r->category), to);
}

static void test_audit_replays(void)
{
	bt_db *db = open_fresh();
	bt_update_options o = as("user:lead");
	char token[BT_CLAIM_TOKEN_SIZE];
	int64_t id = new_ticket(db, "replay me", BT_SEVERITY_MEDIUM), last_time = 0;
	replay r = { "", "", "medium", "medium", "", "" };
	bt_audit_iter *it = NULL;
	bt_audit_entry *e;
	bt_ticket *t;
	int events = 0, rc;

	CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_TRIAGED, &o), BT_OK);
	fake_now += 10;
	CHECK_RC(bt_ticket_assign(db, id, "alice", &o), BT_OK);
	CHECK_RC(bt_ticket_set_severity(db, id, BT_SEVERITY_HIGH, &o), BT_OK);
	CHECK_RC(bt_ticket_set_priority(db, id, BT_PRIORITY_URGENT, &o), BT_OK);
	CHECK_RC(bt_ticket_set_category(db, id, "database", &o), BT_OK);
	CHECK_RC(bt_ticket_claim(db, id, "agent:fixer-1", 600, token), BT_OK);
	fake_now += 10;
	o = as("agent:fixer-1");
	o.claim_token = token;
	CHECK_RC(bt_ticket_note(db, id, "reproduced; patching", &o), BT_OK);
	CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_IN_PROGRESS, &o), BT_OK);
	CHECK_RC(bt_ticket_claim_renew(db, id, token, 1200), BT_OK);
	CHECK_RC(bt_ticket_resolve(db, id, "fixed the pool size", "abc1234", "v2", &o), BT_OK);
	o = as("user:lead");
	CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_NEW, &o), BT_OK); /* reopen */
	CHECK_RC(bt_ticket_assign(db, id, "bob", &o), BT_OK);
	CHECK_RC(bt_ticket_set_category(db, id, NULL, &o), BT_OK);
	CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_CLOSED, &o), BT_OK);

	CHECK_RC(bt_audit_iter_new(db, id, &it), BT_OK);
	while ((rc = bt_audit_iter_next(it, &e)) == BT_OK) {
		CHECK(bt_audit_entry_created_at(e) >= last_time);
		CHECK(bt_audit_entry_actor(e) && *bt_audit_entry_actor(e));
		last_time = bt_audit_entry_created_at(e);
		apply(&r, e);
		events++;
		bt_audit_entry_free(e);
	}
	CHECK_RC(rc, BT_ITEROVER);
	bt_audit_iter_free(it);

	t = get(db, id);
	CHECK(strcmp(r.status, bt_status_name(bt_ticket_status(t))) == 0);
	CHECK(strcmp(r.assignee, bt_ticket_assignee(t) ? bt_ticket_assignee(t) : "") == 0);
	CHECK(strcmp(r.severity, bt_severity_name(bt_ticket_severity(t))) == 0);
	CHECK(strcmp(r.priority, "urgent") == 0 && bt_ticket_priority(t) == BT_PRIORITY_URGENT);
	CHECK(r.category[0] == '\0' && bt_ticket_category(t) == NULL);
	CHECK(r.claimed_by[0] == '\0' && bt_ticket_claimed_by(t) == NULL);
	/* Reopening cleared the resolution; the trail keeps it. */
	CHECK(bt_ticket_resolution_commit(t) == NULL && bt_ticket_resolution_notes(t) == NULL);
	CHECK(bt_ticket_resolved_by(t) == NULL && bt_ticket_resolved_release(t) == NULL);
	CHECK(bt_ticket_resolved_at(t) == 0); /* reopened, then closed */
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE kind = 'resolved'"
			" AND note = 'fixed the pool size' AND actor = 'agent:fixer-1'") == 1);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE field = 'resolution_commit'"
			" AND to_value = 'abc1234'") == 1);
	CHECK(bt_ticket_automation_attempts(t) == 1);
	CHECK(events == 18);
	bt_ticket_free(t);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE kind = 'note' AND note = 'reproduced; patching'"
			" AND actor = 'agent:fixer-1'") == 1);
	CHECK_RC(bt_audit_iter_new(db, 999, &it), BT_ENOTFOUND);
	bt_close(db);
}

/* bt_ticket_change: several fields in one transaction, all or none. */
static void test_change_several(void)
{
	bt_db *db = open_fresh();
	bt_update_options o = as("user:lead");
	bt_ticket_changes ch = BT_TICKET_CHANGES_INIT;
	int64_t id = new_ticket(db, "change me", BT_SEVERITY_MEDIUM), version;
	int64_t events = q_int(db, "SELECT count(*) FROM ticket_events");
	bt_ticket *t;

	ch.status = BT_STATUS_TRIAGED;
	ch.severity = BT_SEVERITY_HIGH;
	ch.priority = BT_PRIORITY_URGENT;
	ch.category = "database";
	ch.assignee = "alice";
	o.note = "triaged in the weekly review";
	CHECK_RC(bt_ticket_change(db, id, &ch, &o), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_status(t) == BT_STATUS_TRIAGED && bt_ticket_severity(t) == BT_SEVERITY_HIGH);
	CHECK(bt_ticket_priority(t) == BT_PRIORITY_URGENT);
	CHECK_STR_EQ(bt_ticket_category(t), "database");
	CHECK_STR_EQ(bt_ticket_assignee(t), "alice");
	version = bt_ticket_version(t);
	bt_ticket_free(t);
	/* An event per field, the note once. */
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events") == events + 5);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE note = "
			"'triaged in the weekly review'") == 1);

	/* A refused status move changes nothing, not even the fields before it. */
	o.note = NULL;
	CHECK_RC(bt_ticket_resolve(db, id, NULL, NULL, NULL, &o), BT_OK);
	events = q_int(db, "SELECT count(*) FROM ticket_events");
	version = bt_ticket_version(t = get(db, id));
	bt_ticket_free(t);
	ch = (bt_ticket_changes)BT_TICKET_CHANGES_INIT;
	ch.severity = BT_SEVERITY_LOW;
	ch.assignee = "";
	ch.status = BT_STATUS_TRIAGED; /* resolved cannot go to triaged */
	CHECK_RC(bt_ticket_change(db, id, &ch, &o), BT_ESTATE);
	CHECK_STR_CONTAINS(bt_error_message(), "cannot move from resolved to triaged");
	t = get(db, id);
	CHECK(bt_ticket_severity(t) == BT_SEVERITY_HIGH && bt_ticket_version(t) == version);
	CHECK_STR_EQ(bt_ticket_assignee(t), "alice");
	bt_ticket_free(t);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events") == events);

	/* A stale expected version: nothing changes either. */
	ch.status = 0;
	o.expected_version = version - 1;
	CHECK_RC(bt_ticket_change(db, id, &ch, &o), BT_ECONFLICT);
	CHECK(bt_ticket_severity(t = get(db, id)) == BT_SEVERITY_HIGH);
	bt_ticket_free(t);
	/* With the right one: "" unassigns and clears. */
	o.expected_version = version;
	ch.category = "";
	CHECK_RC(bt_ticket_change(db, id, &ch, &o), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_severity(t) == BT_SEVERITY_LOW && bt_ticket_assignee(t) == NULL);
	CHECK(bt_ticket_category(t) == NULL && bt_ticket_status(t) == BT_STATUS_RESOLVED);
	bt_ticket_free(t);

	/* Refusals. */
	o.expected_version = 0;
	ch = (bt_ticket_changes)BT_TICKET_CHANGES_INIT;
	CHECK_RC(bt_ticket_change(db, id, &ch, &o), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "nothing to change");
	ch.severity = (bt_severity)9;
	CHECK_RC(bt_ticket_change(db, id, &ch, &o), BT_EINVALID);
	ch.severity = BT_SEVERITY_LOW;
	ch.version = 99;
	CHECK_RC(bt_ticket_change(db, id, &ch, &o), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "unknown bt_ticket_changes version 99");
	CHECK_RC(bt_ticket_change(db, id, NULL, &o), BT_EINVALID);
	CHECK_RC(bt_ticket_change(NULL, id, &ch, &o), BT_EINVALID);
	ch.version = BT_TICKET_CHANGES_VERSION;
	CHECK_RC(bt_ticket_change(db, 999, &ch, &o), BT_ENOTFOUND);
	CHECK_RC(bt_ticket_changes_init(&ch, BT_TICKET_CHANGES_VERSION), BT_OK);
	CHECK(ch.status == 0 && ch.category == NULL && ch.assignee == NULL);
	CHECK_RC(bt_ticket_changes_init(&ch, 2), BT_EINVALID);
	bt_close(db);
}

/* ---- claims, leases, locking ---- */

static void test_claims(void)
{
	bt_db *db = open_fresh();
	char token[BT_CLAIM_TOKEN_SIZE], other[BT_CLAIM_TOKEN_SIZE], before[BT_CLAIM_TOKEN_SIZE];
	int64_t id = new_ticket(db, "claim me", BT_SEVERITY_HIGH);
	bt_update_options o = as("agent:b");
	bt_ticket *t;

	CHECK_RC(bt_ticket_claim(db, id, "agent:a", 60, token), BT_OK);
	CHECK(strlen(token) == 32);
	CHECK_RC(bt_ticket_claim(db, id, "agent:b", 60, other), BT_EBUSY);
	CHECK(other[0] == '\0');
	CHECK_STR_CONTAINS(bt_error_message(), "agent:a");
	CHECK_STR_CONTAINS(bt_error_message(), "2023-11-14T22:1"); /* the expiry, in UTC */
	/* The holder may claim again (it lost its token): the old token dies. */
	CHECK_RC(bt_ticket_claim(db, id, "agent:a", 60, other), BT_OK);
	CHECK(strcmp(other, token) != 0);
	CHECK_RC(bt_ticket_claim_renew(db, id, token, 60), BT_ECONFLICT);
	memcpy(token, other, sizeof(token));
	CHECK_RC(bt_ticket_claim(db, id, "agent:x", 0, other), BT_EINVALID);
	CHECK_RC(bt_ticket_claim(db, id, "agent:x", -5, other), BT_EINVALID);

	/* Updates made with a token need the live claim. */
	o.claim_token = "00000000000000000000000000000000";
	CHECK_RC(bt_ticket_note(db, id, "sneaky", &o), BT_ECONFLICT);
	o.claim_token = token;
	CHECK_RC(bt_ticket_note(db, id, "mine", &o), BT_OK);
	CHECK_RC(bt_ticket_claim_renew(db, id, "nope", 60), BT_ECONFLICT);
	fake_now += 50 * 1000;
	CHECK_RC(bt_ticket_claim_renew(db, id, token, 60), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_claim_expires_at(t) == fake_now + 60 * 1000);
	CHECK(strcmp(bt_ticket_claimed_by(t), "agent:a") == 0);
	bt_ticket_free(t);

	/* After expiry: one takeover, recorded; the old token is dead. */
	fake_now += 61 * 1000;
	CHECK_RC(bt_ticket_note(db, id, "late", &o), BT_ECONFLICT);
	CHECK_STR_CONTAINS(bt_error_message(), "expired");
	memcpy(before, token, sizeof(before));
	CHECK_RC(bt_ticket_claim(db, id, "agent:b", 60, other), BT_OK);
	CHECK(strcmp(other, before) != 0);
	CHECK_RC(bt_ticket_claim(db, id, "agent:c", 60, token), BT_EBUSY);
	CHECK_RC(bt_ticket_claim_release(db, id, before), BT_ECONFLICT);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE kind = 'claim_taken_over'"
			" AND from_value = 'agent:a' AND to_value = 'agent:b'") == 1);
	CHECK_RC(bt_ticket_claim_release(db, id, other), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_claimed_by(t) == NULL && bt_ticket_automation_attempts(t) == 3);
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_claim_release(db, id, other), BT_ECONFLICT);

	/* Resolved tickets cannot be claimed; resolving drops a claim. */
	CHECK_RC(bt_ticket_claim(db, id, "agent:c", 60, token), BT_OK);
	o = as("agent:c");
	o.claim_token = token;
	CHECK_RC(bt_ticket_resolve(db, id, "done", NULL, NULL, &o), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_claimed_by(t) == NULL && bt_ticket_status(t) == BT_STATUS_RESOLVED);
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_claim(db, id, "agent:c", 60, token), BT_ESTATE);
	CHECK_RC(bt_ticket_claim(db, 999, "agent:c", 60, token), BT_ENOTFOUND);
	bt_close(db);
}

static void test_optimistic_locking(void)
{
	bt_db *db = open_fresh();
	int64_t id = new_ticket(db, "lock", BT_SEVERITY_LOW), v;
	bt_update_options o = as("user:a");
	bt_ticket *t = get(db, id);
	int i;

	v = bt_ticket_version(t);
	bt_ticket_free(t);
	o.expected_version = v;
	CHECK_RC(bt_ticket_assign(db, id, "alice", &o), BT_OK);
	CHECK_RC(bt_ticket_assign(db, id, "bob", &o), BT_ECONFLICT); /* stale */
	CHECK_STR_CONTAINS(bt_error_message(), "changed in between");
	o.expected_version = v + 1;
	CHECK_RC(bt_ticket_assign(db, id, "bob", &o), BT_OK);
	/* A no-op change neither bumps the version nor writes an event. */
	o.expected_version = 0;
	CHECK_RC(bt_ticket_assign(db, id, "bob", &o), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_version(t) == v + 2 && strcmp(bt_ticket_assignee(t), "bob") == 0);
	bt_ticket_free(t);

	/* Occurrences do not bump the version. */
	for (i = 0; i < 3; i++)
		CHECK_RC(bt_log(db, BT_CRITICAL, "lk", "storm %d", i), BT_OK);
	t = get(db, 2);
	CHECK(bt_ticket_version(t) == 1 && bt_ticket_occurrence_count(t) == 3);
	bt_ticket_free(t);

	/* Bad input leaves the ticket alone. */
	CHECK_RC(bt_ticket_assign(db, id, "x", NULL), BT_EINVALID);
	o.actor = "";
	CHECK_RC(bt_ticket_assign(db, id, "x", &o), BT_EINVALID);
	o.actor = "user:a";
	o.version = 0;
	CHECK_RC(bt_ticket_assign(db, id, "x", &o), BT_EINVALID);
	o.version = BT_UPDATE_OPTIONS_VERSION;
	o.expected_version = -1;
	CHECK_RC(bt_ticket_assign(db, id, "x", &o), BT_EINVALID);
	o.expected_version = 0;
	CHECK_RC(bt_ticket_set_severity(db, id, (bt_severity)7, &o), BT_EINVALID);
	CHECK_RC(bt_ticket_note(db, id, "", &o), BT_EINVALID);
	CHECK_RC(bt_ticket_assign(db, 424242, "x", &o), BT_ENOTFOUND);
	CHECK_RC(bt_ticket_assign(NULL, id, "x", &o), BT_EINVALID);
	t = get(db, id);
	CHECK(bt_ticket_version(t) == v + 2 && strcmp(bt_ticket_assignee(t), "bob") == 0);
	bt_ticket_free(t);
	bt_close(db);
}

static void test_severity_sla(void)
{
	bt_db *db = open_fresh();
	int64_t id = new_ticket(db, "sla", BT_SEVERITY_LOW);
	bt_update_options o = as("user:a");
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_counts counts = BT_TICKET_COUNTS_INIT;
	bt_ticket_iter *it;
	bt_ticket *t = get(db, id);

	CHECK(bt_ticket_sla_due_at(t) - bt_ticket_created_at(t) == 30LL * 24 * 3600 * 1000);
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_set_severity(db, id, BT_SEVERITY_CRITICAL, &o), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_sla_due_at(t) - bt_ticket_created_at(t) == 4LL * 3600 * 1000);
	bt_ticket_free(t);
	new_ticket(db, "later", BT_SEVERITY_MEDIUM);

	fake_now += 5LL * 3600 * 1000; /* the critical one is now overdue */
	f.overdue_only = 1;
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_OK);
	CHECK_RC(bt_ticket_iter_next(it, &t), BT_OK);
	CHECK(t && bt_ticket_id(t) == id);
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_iter_next(it, &t), BT_ITEROVER);
	bt_ticket_iter_free(it);

	CHECK_RC(bt_ticket_counts_get(db, &counts), BT_OK);
	CHECK(counts.total == 2 && counts.status_new == 2 && counts.overdue == 1);
	CHECK(counts.open_critical == 1 && counts.open_medium == 1 && counts.open_high == 0);
	CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_CLOSED, &o), BT_OK);
	CHECK_RC(bt_ticket_counts_get(db, &counts), BT_OK);
	CHECK(counts.status_closed == 1 && counts.overdue == 0 && counts.total == 2);
	CHECK(counts.open_critical == 0 && counts.open_medium == 1 && counts.status_new == 1);
	counts.version = 0;
	CHECK_RC(bt_ticket_counts_get(db, &counts), BT_EINVALID);
	bt_close(db);
}

static void test_sla_policy(void)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_update_options o = as("user:a");
	bt_db *db = NULL;
	bt_ticket *t;
	int64_t id;

	opts.clock = fake_clock;
	opts.sla_low_ms = 1000;
	opts.sla_high_ms = 5000;
	CHECK_RC(bt_open(&db, check_path("sla.db"), &opts), BT_OK);
	id = new_ticket(db, "custom", BT_SEVERITY_LOW);
	t = get(db, id);
	CHECK(bt_ticket_sla_due_at(t) - bt_ticket_created_at(t) == 1000);
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_set_severity(db, id, BT_SEVERITY_HIGH, &o), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_sla_due_at(t) - bt_ticket_created_at(t) == 5000);
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_set_severity(db, id, BT_SEVERITY_MEDIUM, &o), BT_OK); /* default kept */
	t = get(db, id);
	CHECK(bt_ticket_sla_due_at(t) - bt_ticket_created_at(t) == 7LL * 24 * 3600 * 1000);
	bt_ticket_free(t);
	bt_close(db);
	opts.sla_medium_ms = -1;
	CHECK_RC(bt_open(&db, check_path("sla2.db"), &opts), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "sla_medium_ms -1");
	opts.sla_medium_ms = 0;
	opts.sla_critical_ms = -2;
	CHECK_RC(bt_open(&db, check_path("sla2.db"), &opts), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "sla_critical_ms -2");
	/* Each field reaches its own severity. */
	opts.sla_critical_ms = 3000;
	opts.sla_medium_ms = 2000;
	CHECK_RC(bt_open(&db, check_path("sla3.db"), &opts), BT_OK);
	id = new_ticket(db, "medium", BT_SEVERITY_MEDIUM);
	t = get(db, id);
	CHECK(bt_ticket_sla_due_at(t) - bt_ticket_created_at(t) == 2000);
	bt_ticket_free(t);
	id = new_ticket(db, "critical", BT_SEVERITY_CRITICAL);
	t = get(db, id);
	CHECK(bt_ticket_sla_due_at(t) - bt_ticket_created_at(t) == 3000);
	bt_ticket_free(t);
	bt_close(db);
}

/* A clock at either end of int64_t: stored times are clamped to 0 ..
 * year 9999, so that a time plus an SLA or a lease never overflows (the
 * sanitizer stage runs this file), and durations past 8,000 years are
 * refused at bt_open. */
static void test_clock_extremes(void)
{
	const int64_t max = 253402300799999LL, four_hours = 4LL * 3600 * 1000;
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_report r = BT_REPORT_INIT;
	int64_t saved = fake_now, id = 0;
	char token[BT_CLAIM_TOKEN_SIZE];
	bt_db *db = open_fresh();
	bt_ticket *t;

	fake_now = INT64_MAX;
	CHECK_RC(bt_log(db, BT_CRITICAL, "clock", "at the end of time"), BT_OK);
	id = q_int(db, "SELECT max(id) FROM tickets");
	t = get(db, id);
	CHECK(bt_ticket_created_at(t) == max);
	CHECK(bt_ticket_sla_due_at(t) == max + four_hours);
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_claim(db, id, "agent:a", INT_MAX, token), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_claim_expires_at(t) == max + (int64_t)INT_MAX * 1000);
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_claim_renew(db, id, token, INT_MAX), BT_OK);

	fake_now = INT64_MIN;
	r.title = "before the epoch";
	r.severity = BT_SEVERITY_CRITICAL;
	CHECK_RC(bt_report_create(db, &r, &id, NULL), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_created_at(t) == 0 && bt_ticket_sla_due_at(t) == four_hours);
	bt_ticket_free(t);
	bt_close(db);
	fake_now = saved;

	db = NULL;
	opts.sla_low_ms = INT64_MAX;
	CHECK_RC(bt_open(&db, check_path("sla-max.db"), &opts), BT_EINVALID);
	CHECK(db == NULL && strstr(bt_error_message(), "sla_low_ms"));
	opts.sla_low_ms = max;
	opts.dedup_window_ms = INT64_MAX;
	CHECK_RC(bt_open(&db, check_path("sla-max.db"), &opts), BT_EINVALID);
	CHECK(db == NULL && strstr(bt_error_message(), "dedup_window_ms"));
}

static void test_names(void)
{
	CHECK(strcmp(bt_priority_name(BT_PRIORITY_URGENT), "urgent") == 0);
	CHECK(strcmp(bt_source_name(BT_SOURCE_AGENT), "agent") == 0);
	CHECK(strcmp(bt_status_name(BT_STATUS_AWAITING_VERIFICATION), "awaiting_verification") == 0);
	CHECK(bt_priority_name((bt_priority)0) == NULL && bt_source_name((bt_source)9) == NULL);
	CHECK(bt_status_name((bt_status)7) == NULL && bt_severity_name((bt_severity)-1) == NULL);
}

static void test_get_by_number(void)
{
	bt_db *db = open_fresh();
	int64_t id = new_ticket(db, "numbered", BT_SEVERITY_LOW);
	static const char *const good[] = { "BUG-00001", "bug-1", "1", "BUG-1" };
	static const char *const bad[] = { "", "BUG-", "BUG-x", "BUG--1", "12a", "BUG-99999999999999999999" };
	bt_ticket *t;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_RC(bt_ticket_get_by_number(db, good[i], &t), BT_OK);
		CHECK(t && bt_ticket_id(t) == id);
		bt_ticket_free(t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_RC(bt_ticket_get_by_number(db, bad[i], &t), BT_EINVALID);
	CHECK_RC(bt_ticket_get_by_number(db, "BUG-00002", &t), BT_ENOTFOUND);
	bt_close(db);
}

/* ---- the automation queue ---- */

static void test_pending(void)
{
	bt_db *db = open_fresh();
	int64_t low = new_ticket(db, "low", BT_SEVERITY_LOW);
	int64_t crit_old = new_ticket(db, "crit old", BT_SEVERITY_CRITICAL);
	int64_t crit_new = new_ticket(db, "crit new", BT_SEVERITY_CRITICAL);
	int64_t high = new_ticket(db, "high", BT_SEVERITY_HIGH);
	int64_t order[8];
	char token[BT_CLAIM_TOKEN_SIZE];
	bt_update_options o = as("user:a");
	bt_ticket_iter *it;
	bt_ticket *t;
	size_t n;

	/* More occurrences put crit_new ahead of the older crit_old. */
	q_exec(db, "UPDATE tickets SET occurrence_count = 5 WHERE id = 3");
	CHECK_RC(bt_ticket_set_status(db, low, BT_STATUS_RESOLVED, &o), BT_OK);

	CHECK_RC(bt_ticket_pending(db, NULL, 0, 0, &it), BT_OK);
	for (n = 0; n < 8 && bt_ticket_iter_next(it, &t) == BT_OK; n++) {
		order[n] = bt_ticket_id(t);
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	CHECK(n == 3 && order[0] == crit_new && order[1] == crit_old && order[2] == high);

	/* A live claim hides a ticket, except from its holder. */
	CHECK_RC(bt_ticket_claim(db, crit_new, "agent:a", 60, token), BT_OK);
	CHECK_RC(bt_ticket_pending(db, NULL, 0, 0, &it), BT_OK);
	CHECK_RC(bt_ticket_iter_next(it, &t), BT_OK);
	CHECK(t && bt_ticket_id(t) == crit_old);
	bt_ticket_free(t);
	bt_ticket_iter_free(it);
	CHECK_RC(bt_ticket_pending(db, "agent:a", 0, 1, &it), BT_OK);
	CHECK_RC(bt_ticket_iter_next(it, &t), BT_OK);
	CHECK(t && bt_ticket_id(t) == crit_new);
	bt_ticket_free(t);
	/* The queue has no cursor: one it gave would be refused by
	 * bt_ticket_iter_new ("made for another sort order"). */
	CHECK(bt_ticket_iter_cursor(it) == NULL);
	CHECK_RC(bt_ticket_iter_next(it, &t), BT_ITEROVER); /* limit 1 */
	bt_ticket_iter_free(it);

	/* Expired leases come back; the attempt limit drops tickets. */
	fake_now += 61 * 1000;
	CHECK_RC(bt_ticket_pending(db, NULL, 1, 0, &it), BT_OK); /* fewer than 1 attempt */
	CHECK_RC(bt_ticket_iter_next(it, &t), BT_OK);
	CHECK(t && bt_ticket_id(t) == crit_old);
	bt_ticket_free(t);
	bt_ticket_iter_free(it);
	CHECK_RC(bt_ticket_pending(db, NULL, 0, 0, &it), BT_OK);
	CHECK_RC(bt_ticket_iter_next(it, &t), BT_OK);
	CHECK(t && bt_ticket_id(t) == crit_new);
	bt_ticket_free(t);
	bt_ticket_iter_free(it);
	CHECK_RC(bt_ticket_pending(db, NULL, -1, 0, &it), BT_EINVALID);
	CHECK_RC(bt_ticket_pending(db, NULL, 0, 5000, &it), BT_EINVALID);
	bt_close(db);
}

/* ---- merge, delete, purge ---- */

static void test_merge(void)
{
	bt_db *db = open_fresh();
	bt_update_options o = as("user:triager");
	char fp_b[BT_FINGERPRINT_SIZE];
	bt_event ev = BT_EVENT_INIT;
	int64_t a, b, landed;
	bt_ticket *t;
	int i;

	ev.level = BT_CRITICAL;
	ev.component = "pay";
	ev.message = "card declined by gateway";
	for (i = 0; i < 3; i++)
		CHECK_RC(bt_log_event(db, &ev, &a), BT_OK);
	fake_now += 1000;
	ev.component = "payments"; /* the same problem, reported under another name */
	CHECK_RC(bt_fingerprint(db, &ev, fp_b), BT_OK);
	for (i = 0; i < 2; i++)
		CHECK_RC(bt_log_event(db, &ev, &b), BT_OK);
	CHECK(a != b);

	CHECK_RC(bt_ticket_merge(db, b, a, &o), BT_OK);
	t = get(db, a);
	CHECK(bt_ticket_occurrence_count(t) == 5 && bt_ticket_status(t) == BT_STATUS_NEW);
	CHECK(bt_ticket_last_occurred_at(t) == fake_now);
	bt_ticket_free(t);
	t = get(db, b);
	CHECK(bt_ticket_status(t) == BT_STATUS_CLOSED && bt_ticket_duplicate_of(t) == a);
	bt_ticket_free(t);
	CHECK(q_int(db, "SELECT count(*) FROM error_logs WHERE ticket_id = 1") == 5);
	CHECK(q_int(db, "SELECT count(*) FROM error_logs WHERE ticket_id = 2") == 0);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE ticket_id = 1 AND kind = 'merged'") == 1);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE ticket_id = 2 AND kind = 'merged_into'") == 1);

	/* B's error now lands on A; no new ticket. */
	CHECK_RC(bt_log_event(db, &ev, &landed), BT_OK);
	CHECK(landed == a);
	CHECK(q_int(db, "SELECT count(*) FROM tickets") == 2);
	CHECK_RC(bt_dedup_lookup(db, fp_b, &t), BT_OK);
	CHECK(t && bt_ticket_id(t) == a && bt_ticket_occurrence_count(t) == 6);
	bt_ticket_free(t);

	/* Loops and repeats are refused, and change nothing. */
	CHECK_RC(bt_ticket_merge(db, a, a, &o), BT_EINVALID);
	CHECK_RC(bt_ticket_merge(db, a, b, &o), BT_EINVALID); /* b is a duplicate */
	CHECK_STR_CONTAINS(bt_error_message(), "itself a duplicate");
	CHECK_RC(bt_ticket_merge(db, b, a, &o), BT_ESTATE);
	CHECK_RC(bt_ticket_merge(db, a, 99, &o), BT_ENOTFOUND);
	t = get(db, a);
	CHECK(bt_ticket_occurrence_count(t) == 6 && bt_ticket_duplicate_of(t) == 0);
	bt_ticket_free(t);

	/* A third ticket merged into A carries its own aliases along. */
	ev.component = "billing";
	CHECK_RC(bt_log_event(db, &ev, &landed), BT_OK);
	CHECK_RC(bt_ticket_merge(db, landed, a, &o), BT_OK);
	CHECK(q_int(db, "SELECT count(*) FROM fingerprint_aliases WHERE ticket_id = 1") == 2);
	bt_close(db);
}

/* A regression is due again by the ticket's own severity, and a merged
 * fingerprint obeys the dedup window like the ticket's own. */
static void test_regression_sla_and_alias_window(void)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_update_options o = as("user:a");
	bt_event ev = BT_EVENT_INIT;
	int64_t a, b, landed;
	bt_db *db = NULL;
	bt_ticket *t;

	opts.clock = fake_clock;
	opts.dedup_window_ms = 1000;
	CHECK_RC(bt_open(&db, check_path("regress.db"), &opts), BT_OK);
	ev.level = BT_CRITICAL;
	ev.component = "x";
	ev.message = "first error";
	CHECK_RC(bt_log_event(db, &ev, &a), BT_OK);
	/* Medium: neither the critical of the new occurrence, nor the lowest. */
	CHECK_RC(bt_ticket_set_severity(db, a, BT_SEVERITY_MEDIUM, &o), BT_OK);
	CHECK_RC(bt_ticket_resolve(db, a, "fixed", "abc", NULL, &o), BT_OK);
	fake_now += 10 * 1000;
	CHECK_RC(bt_log_event(db, &ev, &landed), BT_OK); /* critical again */
	t = get(db, a);
	CHECK(landed == a && bt_ticket_status(t) == BT_STATUS_NEW);
	CHECK(bt_ticket_severity(t) == BT_SEVERITY_MEDIUM);
	CHECK(bt_ticket_sla_due_at(t) == fake_now + 7LL * 24 * 3600 * 1000);
	CHECK(bt_ticket_resolution_commit(t) == NULL);
	bt_ticket_free(t);

	ev.component = "y";
	ev.message = "second error";
	CHECK_RC(bt_log_event(db, &ev, &b), BT_OK);
	CHECK_RC(bt_ticket_merge(db, b, a, &o), BT_OK);
	CHECK_RC(bt_log_event(db, &ev, &landed), BT_OK); /* within the window */
	CHECK(landed == a);
	fake_now += 5 * 1000; /* past it: the canonical ticket retires */
	CHECK_RC(bt_log_event(db, &ev, &landed), BT_OK);
	CHECK(landed != a && landed != b);
	t = get(db, landed);
	CHECK(bt_ticket_occurrence_count(t) == 1);
	bt_ticket_free(t);
	CHECK(q_int(db, "SELECT dedup_active FROM tickets WHERE id = 1") == 0);
	ev.component = "x";
	ev.message = "first error";
	CHECK_RC(bt_log_event(db, &ev, &landed), BT_OK);
	CHECK(landed != a); /* never a retired ticket */
	bt_close(db);
}

static void test_delete(void)
{
	bt_db *db = open_fresh();
	bt_update_options o = as("user:a");
	bt_report r = BT_REPORT_INIT;
	bt_event ev = BT_EVENT_INIT;
	int64_t keep = 0, gone;
	bt_ticket *t;

	r.title = "keep";
	r.fingerprint = "keep-fp"; /* so that the merge below leaves an alias */
	CHECK_RC(bt_report_create(db, &r, &keep, NULL), BT_OK);
	ev.level = BT_CRITICAL;
	ev.component = "del";
	ev.message = "to be deleted";
	CHECK_RC(bt_log_event(db, &ev, &gone), BT_OK);
	CHECK_RC(bt_log_event(db, &ev, &gone), BT_OK);
	CHECK_RC(bt_ticket_note(db, gone, "soon gone", &o), BT_OK);
	CHECK_RC(bt_ticket_merge(db, keep, gone, &o), BT_OK); /* an alias and a duplicate_of */
	CHECK(q_int(db, "SELECT count(*) FROM fingerprint_aliases WHERE ticket_id = 2") == 1);
	CHECK_RC(bt_ticket_delete(db, gone, NULL), BT_OK);
	CHECK_RC(bt_ticket_get(db, gone, &t), BT_ENOTFOUND);
	CHECK(q_int(db, "SELECT count(*) FROM error_logs") == 0);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE ticket_id = 2") == 0);
	CHECK(q_int(db, "SELECT count(*) FROM fingerprint_aliases") == 0);
	t = get(db, keep);
	CHECK(bt_ticket_duplicate_of(t) == 0); /* ON DELETE SET NULL */
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_delete(db, gone, NULL), BT_ENOTFOUND);
	o.expected_version = 99;
	CHECK_RC(bt_ticket_delete(db, keep, &o), BT_ECONFLICT);
	CHECK(q_int(db, "SELECT count(*) FROM tickets") == 1);
	bt_close(db);
}

/* Two identical databases: a dry run on one must predict the purge of the
 * other exactly. */
static void fill_for_purge(bt_db *db, int64_t start)
{
	const int64_t day = 24LL * 3600 * 1000;
	bt_update_options o = as("user:a");
	int i;

	fake_now = start;
	for (i = 0; i < 7; i++) {
		int64_t id = new_ticket(db, "old", BT_SEVERITY_LOW);

		CHECK_RC(bt_log(db, BT_CRITICAL, "purge", "old fault %d", i), BT_OK);
		CHECK_RC(bt_log(db, BT_INFO, "purge", "old info %d", i), BT_OK);
		if (i % 2)
			CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_RESOLVED, &o), BT_OK);
	}
	fake_now = start + 40 * day;
	for (i = 0; i < 3; i++) {
		new_ticket(db, "recent", BT_SEVERITY_LOW);
		CHECK_RC(bt_log(db, BT_INFO, "purge", "new info %d", i), BT_OK);
	}
}

static void test_purge(void)
{
	bt_purge_options po = BT_PURGE_OPTIONS_INIT;
	bt_purge_result dry = BT_PURGE_RESULT_INIT, real = BT_PURGE_RESULT_INIT;
	bt_db *a = open_fresh(), *b = open_fresh();
	const int64_t start = 1700000000000LL;

	fill_for_purge(a, start);
	fill_for_purge(b, start);
	po.older_than_days = 30;
	po.dry_run = 1;
	CHECK_RC(bt_purge(a, &po, &dry), BT_OK);
	CHECK(q_int(a, "SELECT count(*) FROM tickets") == 11); /* a dry run removes nothing */
	po.dry_run = 0;
	po.batch_size = 2; /* many small transactions */
	CHECK_RC(bt_purge(b, &po, &real), BT_OK);
	CHECK(dry.tickets == real.tickets && dry.logs == real.logs && dry.events == real.events);
	/* 3 old resolved tickets go; the 4 old open ones and the storm ticket
	 * (open) stay, with their logs; old unattached info rows go. */
	CHECK(real.tickets == 3);
	CHECK(q_int(b, "SELECT count(*) FROM tickets WHERE status = 'resolved'") == 0);
	CHECK(q_int(b, "SELECT count(*) FROM tickets") == 8);
	CHECK(q_int(b, "SELECT count(*) FROM error_logs WHERE message LIKE 'old info%'") == 0);
	CHECK(q_int(b, "SELECT count(*) FROM error_logs WHERE message LIKE 'new info%'") == 3);
	CHECK(q_int(b, "SELECT count(*) FROM error_logs WHERE message LIKE 'old fault%'") == 7);
	CHECK(real.logs == 7 && real.events == 6);

	/* Open tickets only go when asked. */
	po.include_open = 1;
	po.dry_run = 1;
	CHECK_RC(bt_purge(a, &po, &dry), BT_OK);
	po.dry_run = 0;
	CHECK_RC(bt_purge(a, &po, &real), BT_OK);
	CHECK(dry.tickets == real.tickets && dry.logs == real.logs && dry.events == real.events);
	CHECK(q_int(a, "SELECT count(*) FROM tickets") == 3);
	CHECK(q_int(a, "SELECT integrity_check = 'ok' FROM pragma_integrity_check") == 1);
	CHECK(q_int(b, "SELECT integrity_check = 'ok' FROM pragma_integrity_check") == 1);

	po.older_than_days = 0;
	CHECK_RC(bt_purge(a, &po, &real), BT_EINVALID);
	po.older_than_days = 1;
	po.version = 0;
	CHECK_RC(bt_purge(a, &po, &real), BT_EINVALID);
	bt_close(a);
	bt_close(b);
}

/* bt_purge_result is versioned: an unknown version is refused before
 * anything is removed and leaves the caller's struct as it was; a known one
 * is written, keeps its version, and not a byte past it is touched. */
static void test_purge_result_version(void)
{
	static const unsigned int bad[] = { 0, BT_PURGE_RESULT_VERSION + 1 };
	bt_purge_options po = BT_PURGE_OPTIONS_INIT;
	struct { bt_purge_result r; unsigned char after[32]; } buf;
	const int64_t untouched = (int64_t)0xa5a5a5a5a5a5a5a5ull;
	bt_db *db = open_fresh();
	size_t i;

	fill_for_purge(db, 1700000000000LL);
	po.older_than_days = 30;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[64];

		memset(&buf, 0xa5, sizeof(buf));
		buf.r.version = bad[i];
		CHECK_RC(bt_purge(db, &po, &buf.r), BT_EINVALID);
		snprintf(want, sizeof(want), "bt_purge: unknown bt_purge_result version %u", bad[i]);
		CHECK_STR_CONTAINS(bt_error_message(), want);
		CHECK_INT_EQ(buf.r.version, bad[i]);
		CHECK(buf.r.tickets == untouched && buf.r.logs == untouched && buf.r.events == untouched);
		CHECK(q_int(db, "SELECT count(*) FROM tickets") == 11); /* nothing removed */
	}
	memset(&buf, 0xa5, sizeof(buf));
	buf.r.version = BT_PURGE_RESULT_VERSION;
	CHECK_RC(bt_purge(db, &po, &buf.r), BT_OK);
	CHECK_INT_EQ(buf.r.version, BT_PURGE_RESULT_VERSION);
	CHECK(buf.r.tickets == 3 && buf.r.logs == 7 && buf.r.events == 6);
	for (i = 0; i < sizeof(buf.after); i++)
		if (buf.after[i] != 0xa5) {
			fprintf(stderr, "byte %zu past bt_purge_result was written\n", i);
			CHECK(0);
			break;
		}
	/* A purge refused after the check reports zero, not what was there. */
	memset(&buf, 0xa5, sizeof(buf));
	buf.r.version = BT_PURGE_RESULT_VERSION;
	po.older_than_days = 0;
	CHECK_RC(bt_purge(db, &po, &buf.r), BT_EINVALID);
	CHECK(buf.r.tickets == 0 && buf.r.logs == 0 && buf.r.events == 0);
	po.older_than_days = 30;
	CHECK_RC(bt_purge(db, &po, NULL), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "bt_purge: out is NULL");
	bt_close(db);
}

/* ---- the feed of every ticket's changes ---- */

/* Read the feed from @cursor to the end: ids and tickets into the arrays,
 * the last cursor into @cursor_out. */
static size_t read_feed(bt_db *db, const char *cursor, int64_t *ids, int64_t *tickets, size_t cap,
			char *cursor_out, size_t out_size)
{
	bt_audit_iter *it = NULL;
	bt_audit_entry *e;
	size_t n = 0;

	CHECK_RC(bt_audit_feed(db, cursor, &it), BT_OK);
	if (!it)
		return 0;
	while (bt_audit_iter_next(it, &e) == BT_OK) {
		if (n < cap) {
			ids[n] = bt_audit_entry_id(e);
			tickets[n] = bt_audit_entry_ticket_id(e);
		}
		n++;
		bt_audit_entry_free(e);
	}
	if (cursor_out)
		snprintf(cursor_out, out_size, "%s", bt_audit_iter_cursor(it) ? bt_audit_iter_cursor(it) : "");
	bt_audit_iter_free(it);
	return n;
}

static void test_feed(void)
{
	bt_db *db = open_fresh();
	bt_update_options o = as("user:a");
	int64_t a = new_ticket(db, "first", BT_SEVERITY_HIGH), b, ids[64], tickets[64];
	char cursor[64], again[64];
	bt_audit_iter *it = NULL;
	bt_audit_entry *e = NULL;
	size_t n, i;

	b = new_ticket(db, "second", BT_SEVERITY_LOW);
	CHECK_RC(bt_ticket_note(db, a, "looking", &o), BT_OK);
	n = read_feed(db, NULL, ids, tickets, 64, cursor, sizeof(cursor));
	CHECK_INT_EQ(n, 3); /* created a, created b, note on a */
	CHECK(tickets[0] == a && tickets[1] == b && tickets[2] == a);
	for (i = 1; i < n; i++)
		CHECK(ids[i] > ids[i - 1]);
	CHECK_INT_EQ(strncmp(cursor, "e1.", 3), 0);

	/* Resumed from its cursor, the feed has only what came after. */
	CHECK_INT_EQ(read_feed(db, cursor, ids, tickets, 64, again, sizeof(again)), 0);
	CHECK_STR_EQ(again, cursor);
	CHECK_RC(bt_ticket_set_status(db, b, BT_STATUS_TRIAGED, &o), BT_OK);
	CHECK_INT_EQ(read_feed(db, cursor, ids, tickets, 64, NULL, 0), 1);
	CHECK_INT_EQ(tickets[0], b);

	/* An iterator that is caught up sees what is committed later. */
	CHECK_RC(bt_audit_feed(db, cursor, &it), BT_OK);
	CHECK_RC(bt_audit_iter_next(it, &e), BT_OK);
	bt_audit_entry_free(e);
	CHECK_RC(bt_audit_iter_next(it, &e), BT_ITEROVER);
	CHECK_RC(bt_ticket_note(db, b, "later", &o), BT_OK);
	CHECK_RC(bt_audit_iter_next(it, &e), BT_OK);
	CHECK_STR_EQ(bt_audit_entry_note(e), "later");
	bt_audit_entry_free(e);
	snprintf(cursor, sizeof(cursor), "%s", bt_audit_iter_cursor(it));
	bt_audit_iter_free(it);

	/* Deleting the ticket with the newest events must not let their ids
	 * be given again: a follower past them would miss the next event. */
	CHECK_RC(bt_ticket_delete(db, b, NULL), BT_OK);
	CHECK_RC(bt_ticket_note(db, a, "after the delete", &o), BT_OK);
	n = read_feed(db, cursor, ids, tickets, 64, NULL, 0);
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(tickets[0], a);

	CHECK_RC(bt_audit_feed(db, "e1.x", &it), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "malformed cursor");
	CHECK_RC(bt_audit_feed(db, "t1.1.2.3", &it), BT_EINVALID);
	CHECK_RC(bt_audit_feed(db, "e1.", &it), BT_EINVALID);
	CHECK_RC(bt_audit_feed(NULL, NULL, &it), BT_EINVALID);
	bt_close(db);
}

/* Writers in several processes; a follower resuming by cursor, with a new
 * iterator each time, sees every event exactly once, in id order. */
static void test_feed_processes(void)
{
	enum { WRITERS = 3, NOTES = 60 };
	bt_db *db = open_fresh();
	int64_t ids[WRITERS], seen = 0, last = 0, want;
	char cursor[64] = "";
	pid_t pids[WRITERS];
	int i, status, running = WRITERS, rounds = 0;

	for (i = 0; i < WRITERS; i++)
		ids[i] = new_ticket(db, "busy", BT_SEVERITY_MEDIUM);
	want = WRITERS + WRITERS * NOTES; /* created events, then the notes */
	for (i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			bt_db *own = NULL;
			bt_update_options o = as("agent:w");
			int rc = bt_open(&own, bt_db_location(db), NULL);

			for (int k = 0; rc == BT_OK && k < NOTES; k++)
				rc = bt_ticket_note(own, ids[i], "step", &o);
			bt_close(own);
			_exit(rc == BT_OK ? 0 : 1);
		}
	}
	while (seen < want && rounds++ < 100000) {
		bt_audit_iter *it = NULL;
		bt_audit_entry *e;

		CHECK_RC(bt_audit_feed(db, cursor[0] ? cursor : NULL, &it), BT_OK);
		if (!it)
			break;
		while (bt_audit_iter_next(it, &e) == BT_OK) {
			if (bt_audit_entry_id(e) <= last)
				CHECK(!"an event id came twice or out of order");
			last = bt_audit_entry_id(e);
			seen++;
			bt_audit_entry_free(e);
		}
		if (bt_audit_iter_cursor(it))
			snprintf(cursor, sizeof(cursor), "%s", bt_audit_iter_cursor(it));
		bt_audit_iter_free(it);
		if (running && waitpid(-1, &status, WNOHANG) > 0) {
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			running--;
		}
	}
	while (running-- > 0) {
		CHECK(wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK_INT_EQ(seen, want);
	bt_close(db);
}

/* 1.1: renew and release name who acts when given options, and keep 1.0's
 * "claimant" without them. */
static void test_claim_actor(void)
{
	bt_db *db = open_fresh();
	int64_t id = new_ticket(db, "claim actor", BT_SEVERITY_LOW);
	char token[BT_CLAIM_TOKEN_SIZE];
	bt_update_options o = as("agent:named"), bad;

	CHECK_RC(bt_ticket_claim(db, id, "agent:named", 60, token), BT_OK);
	o.note = "still on it";
	CHECK_RC(bt_ticket_claim_renew_v2(db, id, token, 120, &o), BT_OK);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE kind = 'claim_renewed'"
		    " AND actor = 'agent:named' AND note = 'still on it'") == 1);
	CHECK_RC(bt_ticket_claim_renew(db, id, token, 120), BT_OK);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE kind = 'claim_renewed'"
		    " AND actor = 'claimant' AND note LIKE 'lease until %'") == 1);
	CHECK_RC(bt_ticket_claim_renew_v2(db, id, token, 120, NULL), BT_OK);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE actor = 'claimant'") == 2);
	bad = as("");
	CHECK_RC(bt_ticket_claim_release_v2(db, id, token, &bad), BT_EINVALID);
	bad = as("agent:named");
	bad.version = 99;
	CHECK_RC(bt_ticket_claim_release_v2(db, id, token, &bad), BT_EINVALID);
	o.note = NULL;
	CHECK_RC(bt_ticket_claim_release_v2(db, id, "0123", &o), BT_ECONFLICT);
	CHECK_RC(bt_ticket_claim_release_v2(db, id, token, &o), BT_OK);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE kind = 'claim_released'"
		    " AND actor = 'agent:named'") == 1);
	bt_close(db);
}

/* Resolving a resolved ticket: a no-op when nothing is new, a new
 * resolution with its event when something is; never a silent rewrite. */
static void test_resolve_twice(void)
{
	bt_db *db = open_fresh();
	int64_t id = new_ticket(db, "twice", BT_SEVERITY_LOW), version, at;
	bt_update_options o = as("user:test");
	bt_ticket *t;

	CHECK_RC(bt_ticket_resolve(db, id, "fixed", "abc", "v2", &o), BT_OK);
	t = get(db, id);
	version = bt_ticket_version(t);
	at = bt_ticket_resolved_at(t);
	bt_ticket_free(t);
	fake_now += 60000;
	CHECK_RC(bt_ticket_resolve(db, id, NULL, NULL, NULL, &o), BT_OK);
	CHECK_RC(bt_ticket_resolve(db, id, "fixed", "abc", "v2", &o), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_version(t) == version && bt_ticket_resolved_at(t) == at);
	bt_ticket_free(t);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE kind = 'resolved'") == 1);
	o = as("user:second");
	CHECK_RC(bt_ticket_resolve(db, id, "really fixed", NULL, "v3", &o), BT_OK);
	t = get(db, id);
	CHECK(bt_ticket_version(t) == version + 1 && bt_ticket_resolved_at(t) == fake_now);
	CHECK_STR_EQ(bt_ticket_resolution_notes(t), "really fixed");
	bt_ticket_free(t);
	CHECK(q_int(db, "SELECT count(*) FROM ticket_events WHERE kind = 'resolved'"
		    " AND actor = 'user:second' AND note = 'really fixed'") == 1);
	/* A refused move names where the ticket can go. */
	CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_TRIAGED, &o), BT_ESTATE);
	CHECK_STR_CONTAINS(bt_error_message(), "it can move to: new, closed");
	bt_close(db);
}

int main(void)
{
	RUN(test_transition_table);
	RUN(test_audit_replays);
	RUN(test_change_several);
	RUN(test_claims);
	RUN(test_claim_actor);
	RUN(test_resolve_twice);
	RUN(test_optimistic_locking);
	RUN(test_severity_sla);
	RUN(test_sla_policy);
	RUN(test_clock_extremes);
	RUN(test_names);
	RUN(test_get_by_number);
	RUN(test_pending);
	RUN(test_merge);
	RUN(test_regression_sla_and_alias_window);
	RUN(test_delete);
	RUN(test_purge);
	RUN(test_purge_result_version);
	RUN(test_feed);
	RUN(test_feed_processes);
	return check_finish();
}
