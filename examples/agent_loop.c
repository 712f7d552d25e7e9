/*
 * agent_loop - a remediation agent: take the most urgent pending ticket,
 * claim it so that no other agent works on it, leave notes as it goes, and
 * resolve it with the fixing commit.  The README quotes agent_fix_one().
 *
 * usage: agent_loop [DB] [AGENT]   (default: $BUGTRACK_DB, else ./bugtrack.db)
 */
#include <stdio.h>
#include <stdlib.h>

#include <bugtrack.h>

/* Fix the top pending ticket.  Returns BT_OK, BT_ITEROVER when nothing is
 * pending, or an error. */
int agent_fix_one(bt_db *db, const char *agent)
{
	char token[BT_CLAIM_TOKEN_SIZE];
	bt_update_options o = BT_UPDATE_OPTIONS_INIT;
	bt_ticket_iter *pending;
	bt_ticket *t;
	int64_t id;
	int rc;

	/* Open, unclaimed tickets with fewer than 3 attempts, most urgent first. */
	rc = bt_ticket_pending(db, agent, 3, 1, &pending);
	if (rc != BT_OK)
		return rc;
	rc = bt_ticket_iter_next(pending, &t);
	bt_ticket_iter_free(pending);
	if (rc != BT_OK)
		return rc; /* BT_ITEROVER: nothing to do */
	id = bt_ticket_id(t);
	printf("%s: working on %s (%lld occurrences): %s\n", agent, bt_ticket_number(t),
	       (long long)bt_ticket_occurrence_count(t), bt_ticket_title(t));
	bt_ticket_free(t);

	/* A 10-minute lease; another agent gets BT_EBUSY until it expires. */
	rc = bt_ticket_claim(db, id, agent, 600, token);
	if (rc != BT_OK)
		return rc;
	o.actor = agent;
	o.claim_token = token; /* every update must still hold the claim */
	rc = bt_ticket_set_status(db, id, BT_STATUS_IN_PROGRESS, &o);
	if (rc == BT_OK)
		rc = bt_ticket_note(db, id, "reproduced locally; patch under review", &o);
	if (rc == BT_OK)
		rc = bt_ticket_resolve(db, id, "retry with backoff on ECONNREFUSED",
				       "9f2c1e7", "1.4.3", &o);
	if (rc != BT_OK)
		bt_ticket_claim_release(db, id, token);
	return rc;
}

#ifndef AGENT_LOOP_NO_MAIN
int main(int argc, char **argv)
{
	const char *agent = argc > 2 ? argv[2] : "agent:fixer-1";
	bt_db *db;
	int rc;

	if (bt_open(&db, argc > 1 ? argv[1] : NULL, NULL) != BT_OK) {
		fprintf(stderr, "agent_loop: %s\n", bt_error_message());
		return EXIT_FAILURE;
	}
	rc = agent_fix_one(db, agent);
	if (rc == BT_ITEROVER)
		printf("%s: nothing pending\n", agent);
	else if (rc != BT_OK)
		fprintf(stderr, "agent_loop: %s\n", bt_error_message());
	bt_close(db);
	return rc == BT_OK || rc == BT_ITEROVER ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
