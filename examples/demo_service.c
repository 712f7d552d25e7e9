/*
 * demo_service - a tiny order service whose errors become tickets.
 *
 * It handles 60 requests; some fail in recurring ways: the database refuses
 * connections, a config file is missing, a cache file cannot be opened, the
 * payment gateway is slow.  Critical failures become deduplicated tickets,
 * so 60 requests leave a handful of tickets with occurrence counts.  Then an
 * agent (agent_loop.c) claims the most urgent ticket and resolves it with a
 * fix released in 1.4.3.  The old build failing again is counted without
 * reopening it; once 1.4.3 runs and fails the same way, the ticket reopens
 * as a regression.  Run it again and the counts grow instead of the tickets.
 *
 * usage: demo_service [DB]   (default: $BUGTRACK_DB, else ./bugtrack.db)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bugtrack.h>

#define REQUESTS 60

static bt_db *db;

int agent_fix_one(bt_db *db, const char *agent); /* examples/agent_loop.c */

/* One request.  Returns 0 on success, -1 when it failed. */
static int handle_request(int n)
{
	char request_id[32];
	int failed = 0;

	snprintf(request_id, sizeof(request_id), "req-%04d", n);
	bt_thread_context_set(NULL, request_id);

	if (n % 7 == 0) {
		/* The printf format is the template: every n lands on one ticket. */
		bt_log(db, BT_CRITICAL, "db", "query on %s failed: connection refused (attempt %d)",
		       "orders", n);
		failed = 1;
	}
	if (n % 10 == 0) {
		int fd = TRACK_ERRORS(db, "config", open("/etc/demo-orders/limits.conf", O_RDONLY));

		if (fd >= 0)
			close(fd);
		else
			failed = 1;
	}
	if (n % 12 == 0) {
		FILE *f = TRACK_ERRORS_PTR(db, "cache", fopen("/var/cache/demo-orders/prices.json", "r"));

		if (f)
			fclose(f);
		else
			failed = 1;
	}
	if (n % 5 == 0) /* an error, but below the ticket level: stored only */
		bt_log(db, BT_ERROR, "payments", "gateway answered after %d ms", 3000 + n);
	bt_log(db, BT_INFO, "http", "request %s handled", request_id);
	return failed ? -1 : 0;
}

static void print_tickets(const char *heading)
{
	bt_ticket_filter filter = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it;
	bt_ticket *t;
	int rc;

	filter.sort = BT_SORT_OCCURRENCES;
	if (bt_ticket_iter_new(db, &filter, &it) != BT_OK) {
		fprintf(stderr, "demo_service: %s\n", bt_error_message());
		return;
	}
	printf("\n%s\n%-10s %6s %4s  %-9s %-9s %s\n", heading, "TICKET", "COUNT", "REGR",
	       "SEVERITY", "STATUS", "TITLE");
	while ((rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
		printf("%-10s %6lld %4lld  %-9s %-9s %.60s\n", bt_ticket_number(t),
		       (long long)bt_ticket_occurrence_count(t),
		       (long long)bt_ticket_regression_count(t),
		       bt_severity_name(bt_ticket_severity(t)), bt_status_name(bt_ticket_status(t)),
		       bt_ticket_title(t));
		bt_ticket_free(t);
	}
	if (rc != BT_ITEROVER)
		fprintf(stderr, "demo_service: %s\n", bt_error_message());
	bt_ticket_iter_free(it);
}

/* The audit trail of the ticket that regressed most recently. */
static void print_regressed_trail(void)
{
	bt_ticket_filter filter = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *list;
	bt_audit_iter *it;
	bt_audit_entry *e;
	bt_ticket *t;
	int rc;

	filter.regressed_only = 1;
	if (bt_ticket_iter_new(db, &filter, &list) != BT_OK)
		return;
	rc = bt_ticket_iter_next(list, &t);
	bt_ticket_iter_free(list);
	if (rc != BT_OK)
		return;
	if (bt_audit_iter_new(db, bt_ticket_id(t), &it) == BT_OK) {
		printf("\ntrail of %s:\n", bt_ticket_number(t));
		while (bt_audit_iter_next(it, &e) == BT_OK) {
			const char *field = bt_audit_entry_field(e);

			printf("  %-14s %-16s %-17s %s%s%s%s%s\n", bt_audit_entry_actor(e),
			       bt_audit_entry_kind(e), field ? field : "",
			       bt_audit_entry_from(e) ? bt_audit_entry_from(e) : "",
			       bt_audit_entry_to(e) ? " -> " : "", bt_audit_entry_to(e) ? bt_audit_entry_to(e) : "",
			       bt_audit_entry_note(e) ? "  # " : "", bt_audit_entry_note(e) ? bt_audit_entry_note(e) : "");
			bt_audit_entry_free(e);
		}
		bt_audit_iter_free(it);
	}
	bt_ticket_free(t);
}

int main(int argc, char **argv)
{
	int n, failures = 0;

	if (bt_open(&db, argc > 1 ? argv[1] : NULL, NULL) != BT_OK) {
		fprintf(stderr, "demo_service: %s\n", bt_error_message());
		return EXIT_FAILURE;
	}
	bt_context_set(db, BT_CONTEXT_SERVICE, "demo-orders");
	bt_context_set(db, BT_CONTEXT_RELEASE, "1.4.2");
	bt_context_set(db, BT_CONTEXT_ENVIRONMENT, "demo");

	printf("demo-orders 1.4.2: handling %d requests against %s\n", REQUESTS, bt_db_location(db));
	for (n = 1; n <= REQUESTS; n++)
		failures += handle_request(n) != 0;
	printf("demo-orders: %d of %d requests failed; their critical errors became tickets.\n",
	       failures, REQUESTS);
	print_tickets("tickets:");

	/* An agent takes the most urgent ticket and ships a fix in 1.4.3. */
	printf("\n");
	if (agent_fix_one(db, "agent:fixer-1") != BT_OK)
		fprintf(stderr, "demo_service: agent: %s\n", bt_error_message());

	/* The old build still runs somewhere: counted, not reopened. */
	handle_request(7);
	/* 1.4.3 is deployed and the error comes back: a regression. */
	bt_context_set(db, BT_CONTEXT_RELEASE, "1.4.3");
	handle_request(14);
	print_tickets("after the fix (1.4.2 failing again is counted; 1.4.3 failing reopens):");
	print_regressed_trail();
	bt_close(db);
	return EXIT_SUCCESS;
}
