/*
 * test_log_list.c - reading log rows: by ticket and overall, both orders,
 * every filter, paging past one page; and no statement of the library that
 * reads error_logs may scan the whole table (EXPLAIN QUERY PLAN).
 */
#include <string.h>

#include "check.h"
#include "db.h"
#include "store_sqlite.h"

static int64_t fake_now = 1700000000000LL;

static int64_t fake_clock(void *payload)
{
	(void)payload;
	return fake_now;
}

static bt_db *db;

/* Count the rows @f yields, checking their order; the first id to @first. */
static int count(const bt_log_filter *f, int64_t *first)
{
	bt_log_iter *it = NULL;
	bt_log_entry *e;
	int64_t last_time = 0, last_id = 0;
	int n = 0, rc;

	CHECK_RC(bt_log_iter_new(db, f, &it), BT_OK);
	while ((rc = bt_log_iter_next(it, &e)) == BT_OK) {
		int64_t t = bt_log_entry_created_at(e), id = bt_log_entry_id(e);

		if (n == 0 && first)
			*first = id;
		if (n > 0 && f && f->newest_first)
			CHECK(t < last_time || (t == last_time && id < last_id));
		else if (n > 0)
			CHECK(t > last_time || (t == last_time && id > last_id));
		last_time = t;
		last_id = id;
		n++;
		bt_log_entry_free(e);
	}
	CHECK_RC(rc, BT_ITEROVER);
	bt_log_iter_free(it);
	return n;
}

static void setup(void)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	int i;

	opts.clock = fake_clock;
	opts.log_rows_per_ticket = BT_LOG_ROWS_UNLIMITED;
	opts.flags = BT_OPEN_SYNC; /* a row per call: the default counts repeats on one */
	CHECK_RC(bt_open(&db, check_path("logs.db"), &opts), BT_OK);
	CHECK_RC(bt_context_set(db, BT_CONTEXT_SERVICE, "svc"), BT_OK);
	for (i = 0; i < 150; i++) {
		CHECK_RC(bt_log(db, BT_CRITICAL, "db", "query failed %d", i), BT_OK);   /* ticket 1 */
		if (i % 3 == 0)
			CHECK_RC(bt_log(db, BT_CRITICAL, "net", "socket %d", i), BT_OK); /* ticket 2 */
		CHECK_RC(bt_log(db, BT_INFO, "http", "request %d", i), BT_OK);
		fake_now += (i % 2) * 1000; /* pairs share a millisecond: ties by id */
	}
}

static void test_by_ticket_and_order(void)
{
	bt_log_filter f = BT_LOG_FILTER_INIT;
	int64_t first = 0;

	CHECK(count(NULL, NULL) == 350);
	f.ticket_id = 1;
	CHECK(count(&f, &first) == 150 && first == 1);
	f.newest_first = 1;
	CHECK(count(&f, &first) == 150);
	f.ticket_id = 2;
	CHECK(count(&f, NULL) == 50);
	f = (bt_log_filter)BT_LOG_FILTER_INIT;
	f.newest_first = 1;
	CHECK(count(&f, &first) == 350 && first == 350);
}

static void test_filters(void)
{
	bt_log_filter f = BT_LOG_FILTER_INIT;
	bt_log_iter *it;
	bt_log_entry *e;

	f.min_level = BT_CRITICAL;
	CHECK(count(&f, NULL) == 200);
	/* Exactly one level (version 2); with a minimum, both hold. */
	f.min_level = 0;
	f.level = BT_INFO;
	CHECK(count(&f, NULL) == 150);
	f.level = BT_ERROR;
	CHECK(count(&f, NULL) == 0);
	f.level = BT_CRITICAL;
	f.min_level = BT_ERROR;
	CHECK(count(&f, NULL) == 200);
	f.level = BT_INFO;
	CHECK(count(&f, NULL) == 0);
	/* A version-1 caller has no level field: what lies there is not read. */
	f.version = 1;
	f.min_level = 0;
	CHECK(count(&f, NULL) == 350);
	f = (bt_log_filter)BT_LOG_FILTER_INIT;
	f.component = "http";
	CHECK(count(&f, NULL) == 150);
	f.component = NULL;
	f.from = 1700000000000LL + 10 * 1000;
	f.to = 1700000000000LL + 20 * 1000;
	/* Seconds 10..19 hold iterations 19..38: 20 db, 7 net, 20 http. */
	CHECK(count(&f, NULL) == 47);

	f = (bt_log_filter)BT_LOG_FILTER_INIT;
	f.ticket_id = 2;
	CHECK_RC(bt_log_iter_new(db, &f, &it), BT_OK);
	CHECK_RC(bt_log_iter_next(it, &e), BT_OK);
	CHECK(e && strcmp(bt_log_entry_message(e), "socket 0") == 0);
	CHECK(e && strcmp(bt_log_entry_template(e), "socket %d") == 0);
	CHECK(e && bt_log_entry_level(e) == BT_CRITICAL && bt_log_entry_ticket_id(e) == 2);
	CHECK(e && strcmp(bt_log_entry_service(e), "svc") == 0 && bt_log_entry_pid(e) > 0);
	CHECK(e && strcmp(bt_log_entry_function(e), "setup") == 0 && bt_log_entry_line(e) > 0);
	CHECK(e && strlen(bt_log_entry_fingerprint(e)) == 32);
	CHECK(strcmp(bt_level_name(bt_log_entry_level(e)), "CRITICAL") == 0);
	bt_log_entry_free(e);
	bt_log_iter_free(it);

	f.version = 0;
	CHECK_RC(bt_log_iter_new(db, &f, &it), BT_EINVALID);
	f.version = BT_LOG_FILTER_VERSION;
	f.min_level = (bt_level)33;
	CHECK_RC(bt_log_iter_new(db, &f, &it), BT_EINVALID);
	f.min_level = 0;
	f.level = (bt_level)33;
	CHECK_RC(bt_log_iter_new(db, &f, &it), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "unknown level 33");
	CHECK_RC(bt_log_iter_new(NULL, NULL, &it), BT_EINVALID);
	CHECK(bt_level_name((bt_level)33) == NULL);
	bt_log_entry_free(NULL);
	bt_log_iter_free(NULL);
}

/* Every statement the library has prepared that reads error_logs must use
 * an index: a full scan of the biggest table would stall a large database. */
static void test_no_full_scans(void)
{
	bt_purge_options po = BT_PURGE_OPTIONS_INIT;
	bt_purge_result res = BT_PURGE_RESULT_INIT;
	bti_sqlite_store *st = (bti_sqlite_store *)db->store;
	int checked = 0;
	size_t i;

	po.older_than_days = 1;
	po.dry_run = 1;
	CHECK_RC(bt_purge(db, &po, &res), BT_OK); /* prepares the purge statements too */
	po.dry_run = 0;
	CHECK_RC(bt_purge(db, &po, &res), BT_OK);
	for (i = 0; i < st->cached; i++) {
		const char *text = sqlite3_sql(st->cache[i].stmt);
		char plan[8192];
		sqlite3_stmt *q = NULL;

		if (!strstr(text, "error_logs"))
			continue;
		snprintf(plan, sizeof(plan), "EXPLAIN QUERY PLAN %s", text);
		CHECK(sqlite3_prepare_v2(st->sql, plan, -1, &q, NULL) == SQLITE_OK);
		while (q && sqlite3_step(q) == SQLITE_ROW) {
			const char *detail = (const char *)sqlite3_column_text(q, 3);

			if (detail && strncmp(detail, "SCAN error_logs", 15) == 0 && !strstr(detail, "INDEX")) {
				fprintf(stderr, "full scan: %s\n  in: %.200s\n", detail, text);
				check_failures++;
			}
		}
		sqlite3_finalize(q);
		checked++;
	}
	CHECK(checked >= 6);
}

int main(void)
{
	setup();
	RUN(test_by_ticket_and_order);
	RUN(test_filters);
	RUN(test_no_full_scans);
	bt_close(db);
	return check_finish();
}
