/*
 * demo_service - a tiny order service whose errors become tickets.
 *
 * It handles 60 requests; some fail in recurring ways: the database refuses
 * connections, a config file is missing, a cache file cannot be opened, the
 * payment gateway is slow.  Critical failures become deduplicated tickets,
 * so 60 requests leave a handful of tickets with occurrence counts.  Run it
 * again and the counts grow instead of the tickets.
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

static void print_tickets(void)
{
	bt_ticket_filter filter = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it;
	bt_ticket *t;
	int rc;

	filter.status_mask = BT_STATUS_OPEN_MASK;
	filter.sort = BT_SORT_OCCURRENCES;
	if (bt_ticket_iter_new(db, &filter, &it) != BT_OK) {
		fprintf(stderr, "demo_service: %s\n", bt_error_message());
		return;
	}
	printf("\n%-10s %6s  %-9s %s\n", "TICKET", "COUNT", "SEVERITY", "TITLE");
	while ((rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
		printf("%-10s %6lld  %-9s %.70s\n", bt_ticket_number(t),
		       (long long)bt_ticket_occurrence_count(t),
		       bt_severity_name(bt_ticket_severity(t)), bt_ticket_title(t));
		bt_ticket_free(t);
	}
	if (rc != BT_ITEROVER)
		fprintf(stderr, "demo_service: %s\n", bt_error_message());
	bt_ticket_iter_free(it);
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

	printf("demo-orders: handling %d requests against %s\n", REQUESTS, bt_db_path(db));
	for (n = 1; n <= REQUESTS; n++)
		failures += handle_request(n) != 0;
	printf("demo-orders: %d of %d requests failed; their critical errors became tickets:\n",
	       failures, REQUESTS);
	print_tickets();
	bt_close(db);
	return EXIT_SUCCESS;
}
