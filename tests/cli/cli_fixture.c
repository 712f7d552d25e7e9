/*
 * cli_fixture - build a deterministic bug database for the CLI tests, with
 * the public API only and a fixed clock, so that every command of `bugtrack`
 * has something to show and its output is the same on every run.
 *
 * usage: cli_fixture PATH   (PATH must not exist)
 *
 * The story, 2026-11-14 to 2026-11-21 (the tests run at 2026-11-21 12:00 UTC):
 *   BUG-00001  db: connection refused, 5 times; a note; open and overdue
 *   BUG-00002  config: ENOENT with context; triaged, assigned, claimed
 *   BUG-00003  cache: resolved by an agent with notes, commit and release
 *   BUG-00004  payments: resolved in 1.4.3, came back from 1.4.3: regressed
 *   BUG-00005  a hand-filed report (UTF-8 title, multi-line description)
 *   BUG-00006  db: connection reset; merged into BUG-00001
 *   BUG-00007  a message with quotes, a tab and terminal escapes; today
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <bugtrack.h>

#define MIN ((int64_t)60 * 1000)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define BASE ((int64_t)1794614400000) /* 2026-11-14T00:00:00Z */

static int64_t now_ms;

static int64_t fixture_clock(void *payload)
{
	(void)payload;
	return now_ms;
}

/* Move the clock to day @p d (0 = 2026-11-14), @p h:@p m UTC. */
static void at(int d, int h, int m)
{
	now_ms = BASE + d * DAY + h * HOUR + m * MIN;
}

static void check(int rc, const char *what)
{
	if (rc != BT_OK) {
		fprintf(stderr, "cli_fixture: %s: %s\n", what, bt_error_message());
		exit(EXIT_FAILURE);
	}
}

#define CHECK(expr) check((expr), #expr)

static bt_update_options as(const char *actor, const char *note, const char *token)
{
	bt_update_options o = BT_UPDATE_OPTIONS_INIT;

	o.actor = actor;
	o.note = note;
	o.claim_token = token;
	return o;
}

/* A fixed call site: __FILE__ would depend on the build directory. */
static void db_refused(bt_db *db, int attempt, const char *request)
{
	CHECK(bt_thread_context_set(NULL, request));
	CHECK(bt_log_at(db, BT_CRITICAL, "db", "src/db.c", 120, "db_query",
			"query on %s failed: connection refused (attempt %d)", "orders", attempt));
	CHECK(bt_thread_context_set(NULL, NULL));
}

static void config_missing(bt_db *db, const char *trace)
{
	bt_event ev = BT_EVENT_INIT;

	ev.level = BT_CRITICAL;
	ev.component = "config";
	ev.message = "cannot open /etc/orders/limits.conf";
	ev.error_type = "ENOENT";
	ev.error_code = 2;
	ev.file = "src/config.c";
	ev.line = 57;
	ev.function = "load_limits";
	ev.context_json = "{\"path\": \"/etc/orders/limits.conf\", \"retry\": true}";
	ev.trace_id = trace;
	CHECK(bt_log_event(db, &ev, NULL));
}

static void cache_error(bt_db *db)
{
	CHECK(bt_log_at(db, BT_CRITICAL, "cache", "src/cache.c", 33, "cache_load",
			"cannot read cache file %s", "/var/cache/orders/prices.json"));
}

static void payment_timeout(bt_db *db, int ms)
{
	CHECK(bt_log_at(db, BT_CRITICAL, "payments", "src/pay.c", 88, "charge",
			"gateway timed out after %d ms", ms));
}

static void db_reset(bt_db *db)
{
	CHECK(bt_log_at(db, BT_CRITICAL, "db", "src/db.c", 131, "db_read",
			"connection reset by peer while reading %s", "orders"));
}

static void odd_message(bt_db *db)
{
	bt_event ev = BT_EVENT_INIT;

	ev.level = BT_CRITICAL;
	ev.component = "http";
	ev.message = "upstream sent \"bad\\header\"\tvalue \x1b[31mred\x1b[0m";
	ev.function = "parse_headers";
	CHECK(bt_log_event(db, &ev, NULL));
}

static void file_report(bt_db *db)
{
	bt_report r = BT_REPORT_INIT;

	r.title = "Checkout button does nothing on Safari \xe2\x80\x94 \xe2\x80\x9cPay\xe2\x80\x9d "
		  "stays grey after the address form is filled in";
	r.description = "Steps:\n1. add an item\n2. fill in the address\n3. press Pay";
	r.severity = BT_SEVERITY_HIGH;
	r.priority = BT_PRIORITY_URGENT;
	r.category = "ui";
	r.component = "web";
	r.source = BT_SOURCE_USER;
	r.reporter = "user:carol";
	CHECK(bt_report_create(db, &r, NULL, NULL));
}

/* Day 0 to 2: the first errors, and some lines that make no ticket. */
static void first_days(bt_db *db)
{
	at(0, 8, 0), db_refused(db, 1, "req-0001");   /* BUG-00001 */
	at(0, 8, 5), config_missing(db, "trace-a1");   /* BUG-00002 */
	at(0, 9, 0), cache_error(db);                  /* BUG-00003 */
	at(0, 9, 30), CHECK(bt_log_at(db, BT_ERROR, "payments", "src/pay.c", 80, "charge",
				      "gateway answered after %d ms", 3012));
	at(1, 10, 0), db_refused(db, 2, "req-0042");
	at(1, 11, 0), config_missing(db, "trace-b2");
	at(1, 12, 0), cache_error(db);
	at(2, 7, 0), payment_timeout(db, 30000);       /* BUG-00004 */
}

/* BUG-00002 is triaged and assigned; BUG-00003 is resolved. */
static void workflow(bt_db *db, int64_t config_id, int64_t cache_id)
{
	char token[BT_CLAIM_TOKEN_SIZE];
	bt_update_options o;

	at(2, 9, 0);
	o = as("user:alice", "the deploy lost the file", NULL);
	CHECK(bt_ticket_set_status(db, config_id, BT_STATUS_TRIAGED, &o));
	at(2, 9, 5);
	o = as("user:alice", NULL, NULL);
	CHECK(bt_ticket_assign(db, config_id, "alice", &o));

	at(2, 14, 0);
	CHECK(bt_ticket_claim(db, cache_id, "agent:fixer-1", 3600, token));
	o = as("agent:fixer-1", NULL, token);
	at(2, 14, 10), CHECK(bt_ticket_set_status(db, cache_id, BT_STATUS_IN_PROGRESS, &o));
	at(2, 14, 20), CHECK(bt_ticket_note(db, cache_id, "reproduced with an empty cache dir", &o));
	at(2, 14, 40), CHECK(bt_ticket_resolve(db, cache_id, "create the cache dir at startup",
					       "9f2c1e7", "1.4.3", &o));
}

/* Day 3 to 7: the payments fix ships and regresses; merges and notes. */
static void later_days(bt_db *db, int64_t config_id, int64_t pay_id)
{
	char token[BT_CLAIM_TOKEN_SIZE];
	bt_update_options o;

	at(3, 10, 0);
	o = as("user:dave", NULL, NULL);
	CHECK(bt_ticket_resolve(db, pay_id, "raise the gateway timeout", "a1b2c3d", "1.4.3", &o));
	at(4, 8, 0), CHECK(bt_context_set(db, BT_CONTEXT_RELEASE, "1.4.3"));
	at(5, 16, 45), payment_timeout(db, 31000); /* from 1.4.3: a regression */

	at(6, 18, 0), db_reset(db);                 /* BUG-00006 */
	at(6, 18, 30), db_refused(db, 3, "req-0077");
	at(7, 6, 0), db_reset(db);
	at(7, 9, 15), odd_message(db);              /* BUG-00007 */
	at(7, 10, 0), db_refused(db, 4, "req-0101");
	at(7, 10, 30), db_refused(db, 5, "req-0102");

	/* A week-long lease, live when the tests run. */
	at(7, 11, 0), CHECK(bt_ticket_claim(db, config_id, "agent:fixer-1", 7 * 86400, token));
}

static void merge_and_note(bt_db *db)
{
	bt_update_options o;
	bt_ticket *dup, *canonical;

	CHECK(bt_ticket_get_by_number(db, "BUG-00006", &dup));
	CHECK(bt_ticket_get_by_number(db, "BUG-00001", &canonical));
	at(7, 11, 15);
	o = as("user:bob", "same outage as BUG-00001", NULL);
	CHECK(bt_ticket_merge(db, bt_ticket_id(dup), bt_ticket_id(canonical), &o));
	at(7, 11, 20);
	o = as("user:bob", NULL, NULL);
	CHECK(bt_ticket_note(db, bt_ticket_id(canonical), "seen during the nightly batch too", &o));
	bt_ticket_free(dup);
	bt_ticket_free(canonical);
}

int main(int argc, char **argv)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	int64_t config_id = 2, cache_id = 3, pay_id = 4; /* ids follow capture order */
	struct stat sb;
	bt_db *db;

	if (argc != 2 || stat(argv[1], &sb) == 0) {
		fprintf(stderr, "usage: cli_fixture PATH   (PATH must not exist)\n");
		return 2;
	}
	at(0, 0, 0);
	opts.clock = fixture_clock;
	opts.dedup_window_ms = 0; /* one ticket per error whatever the gaps */
	opts.flags = BT_OPEN_SYNC; /* one log row per call, for the golden files */
	CHECK(bt_open(&db, argv[1], &opts));
	CHECK(bt_context_set(db, BT_CONTEXT_SERVICE, "orders"));
	CHECK(bt_context_set(db, BT_CONTEXT_HOST, "fixture-host"));
	CHECK(bt_context_set(db, BT_CONTEXT_ENVIRONMENT, "test"));
	CHECK(bt_context_set(db, BT_CONTEXT_RELEASE, "1.4.2"));

	first_days(db);
	at(2, 8, 0), file_report(db);                /* BUG-00005 */
	workflow(db, config_id, cache_id);
	later_days(db, config_id, pay_id);
	merge_and_note(db);
	bt_close(db);
	return 0;
}
