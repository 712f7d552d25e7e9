/*
 * test_import.c - bt_import_json on real database files: legacy reports
 * mapped field by field, the status, severity and time tables, export
 * records restored column for column (ids, claims, duplicates, dedup),
 * idempotency, dry runs, and bad input of every kind (invalid JSON, wrong
 * types, unknown statuses, empty, huge, deeply nested), each failing with
 * its record and reason while nothing is half-imported and nothing stored
 * before is lost.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define NOW INT64_C(1795262400000) /* 2026-11-21T12:00:00Z */
#define HOUR INT64_C(3600000)

static int64_t fake_now = NOW;

static int64_t fake_clock(void *payload)
{
	(void)payload;
	return fake_now;
}

static bt_db *open_db(const char *name, unsigned int flags)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;

	o.clock = fake_clock;
	o.flags = flags;
	CHECK_RC(bt_open(&db, check_path(name), &o), BT_OK);
	return db;
}

/* Import @json; the result goes to @r when not NULL. */
static int imp(bt_db *db, const char *json, bt_import_result *r)
{
	bt_import_result local = BT_IMPORT_RESULT_INIT;
	bt_import_options o = BT_IMPORT_OPTIONS_INIT;

	o.actor = "user:importer";
	o.source = "test.json";
	return bt_import_json(db, json, strlen(json), &o, r ? r : &local);
}

static bt_ticket *by_external(bt_db *db, const char *ext)
{
	bt_ticket_iter *it;
	bt_ticket *t, *found = NULL;

	CHECK_RC(bt_ticket_iter_new(db, NULL, &it), BT_OK);
	while (bt_ticket_iter_next(it, &t) == BT_OK) {
		const char *e = bt_ticket_external_id(t);

		if (!found && e && strcmp(e, ext) == 0)
			found = t;
		else
			bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	return found;
}

static int64_t total(bt_db *db)
{
	bt_ticket_counts c = BT_TICKET_COUNTS_INIT;

	CHECK_RC(bt_ticket_counts_get(db, &c), BT_OK);
	return c.total;
}

/* ---- a snapshot of everything, to prove that a failure changed nothing ---- */

typedef struct buf {
	char *s;
	size_t len, cap;
} buf;

static void put(buf *b, const char *s)
{
	size_t n = strlen(s ? s : "(null)");

	if (b->len + n + 2 > b->cap) {
		b->cap = (b->len + n + 2) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	memcpy(b->s + b->len, s ? s : "(null)", n);
	b->len += n;
	b->s[b->len++] = '|';
	b->s[b->len] = '\0';
}

static void put_int(buf *b, int64_t v)
{
	char n[32];

	snprintf(n, sizeof(n), "%" PRId64, v);
	put(b, n);
}

/* Every column of every ticket and every event, as text; free it. */
static char *snapshot(bt_db *db)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it;
	bt_audit_iter *ai;
	bt_audit_entry *e;
	bt_ticket *t;
	buf b = { NULL, 0, 0 };

	put(&b, "snapshot");
	f.sort = BT_SORT_CREATED;
	CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_OK);
	while (bt_ticket_iter_next(it, &t) == BT_OK) {
		put_int(&b, bt_ticket_id(t));
		put(&b, bt_ticket_title(t));
		put(&b, bt_ticket_description(t));
		put(&b, bt_status_name(bt_ticket_status(t)));
		put(&b, bt_severity_name(bt_ticket_severity(t)));
		put(&b, bt_ticket_component(t));
		put(&b, bt_ticket_fingerprint(t));
		put(&b, bt_ticket_context(t));
		put(&b, bt_ticket_external_id(t));
		put(&b, bt_ticket_claimed_by(t));
		put_int(&b, bt_ticket_occurrence_count(t));
		put_int(&b, bt_ticket_version(t));
		put_int(&b, bt_ticket_created_at(t));
		put_int(&b, bt_ticket_updated_at(t));
		put_int(&b, bt_ticket_last_occurred_at(t));
		put_int(&b, bt_ticket_duplicate_of(t));
		CHECK_RC(bt_audit_iter_new(db, bt_ticket_id(t), &ai), BT_OK);
		while (bt_audit_iter_next(ai, &e) == BT_OK) {
			put_int(&b, bt_audit_entry_id(e));
			put(&b, bt_audit_entry_kind(e));
			put(&b, bt_audit_entry_note(e));
			bt_audit_entry_free(e);
		}
		bt_audit_iter_free(ai);
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	return b.s;
}

/* A database that already holds work: captured errors and a report. */
static bt_db *populated(const char *name)
{
	bt_db *db = open_db(name, 0);
	bt_report r = BT_REPORT_INIT;

	CHECK_RC(bt_log(db, BT_CRITICAL, "db", "connection refused to %s", "db1"), BT_OK);
	CHECK_RC(bt_log(db, BT_CRITICAL, "db", "connection refused to %s", "db2"), BT_OK);
	r.title = "hand-filed";
	r.description = "by a person";
	CHECK_RC(bt_report_create(db, &r, NULL, NULL), BT_OK);
	CHECK_RC(imp(db, "{\"report_id\": \"OLD-1\", \"description\": \"kept\"}", NULL), BT_OK);
	return db;
}

/* ---- legacy reports ---- */

static const char full_report[] =
	"{\"report_id\": \"R-17\", \"trace_id\": \"trace-9\", \"status\": \"In Progress\","
	" \"submitted_at\": \"2024-03-01T12:34:56.789Z\","
	" \"description\": \"Crash when saving\\nsteps: open, save\","
	" \"severity\": \"Major\", \"priority\": \"urgent\", \"category\": \"ui\","
	" \"component\": \"editor\", \"environment\": \"production\", \"request_id\": \"req-5\","
	" \"reporter\": \"carol\", \"assignee\": \"dave\", \"release\": \"2.1.0\","
	" \"updated_at\": 1709300000, \"resolved_at\": null,"
	" \"client_meta\": {\"os\": \"linux\", \"ratio\": 0.30000000000000004},"
	" \"app_state\": {\"doc\": 12345678901234567890123}, \"recent_logs\": [\"a\", \"b\"],"
	" \"network_events\": [{\"url\": \"https://x\", \"status\": 500}], \"events\": [],"
	" \"screenshot_path\": \"/shots/1.png\", \"resolution_notes\": \"n\","
	" \"resolution_commit_sha\": \"abc123\", \"resolution_actor_id\": 42,"
	" \"custom\": {\"nested\": [1, {\"x\": null}]}}";

static void test_legacy_fields(void)
{
	bt_db *db = open_db("legacy.db", 0);
	bt_import_result r = BT_IMPORT_RESULT_INIT;
	bt_audit_iter *ai;
	bt_audit_entry *e;
	bt_ticket *t;
	int64_t submitted = INT64_C(1709296496789);

	CHECK_RC(imp(db, full_report, &r), BT_OK);
	CHECK_INT_EQ(r.records, 1);
	CHECK_INT_EQ(r.imported, 1);
	CHECK_INT_EQ(r.skipped, 0);
	CHECK_INT_EQ(r.failed_record, -1);
	t = by_external(db, "R-17");
	CHECK(t != NULL);
	if (!t)
		goto done;
	CHECK_STR_EQ(bt_ticket_title(t), "Crash when saving");
	CHECK_STR_EQ(bt_ticket_description(t), "Crash when saving\nsteps: open, save");
	CHECK(bt_ticket_status(t) == BT_STATUS_IN_PROGRESS);
	CHECK(bt_ticket_severity(t) == BT_SEVERITY_HIGH);
	CHECK(bt_ticket_priority(t) == BT_PRIORITY_URGENT);
	CHECK(bt_ticket_source(t) == BT_SOURCE_USER);
	CHECK_STR_EQ(bt_ticket_category(t), "ui");
	CHECK_STR_EQ(bt_ticket_component(t), "editor");
	CHECK_STR_EQ(bt_ticket_environment(t), "production");
	CHECK_STR_EQ(bt_ticket_trace_id(t), "trace-9");
	CHECK_STR_EQ(bt_ticket_request_id(t), "req-5");
	CHECK_STR_EQ(bt_ticket_reporter(t), "carol");
	CHECK_STR_EQ(bt_ticket_assignee(t), "dave");
	CHECK_STR_EQ(bt_ticket_release(t), "2.1.0");
	CHECK_STR_EQ(bt_ticket_resolution_notes(t), "n");
	CHECK_STR_EQ(bt_ticket_resolution_commit(t), "abc123");
	CHECK_STR_EQ(bt_ticket_resolved_by(t), "42");
	CHECK_STR_EQ(bt_ticket_fingerprint(t), NULL);
	CHECK_INT_EQ(bt_ticket_created_at(t), submitted);
	CHECK_INT_EQ(bt_ticket_first_occurred_at(t), submitted);
	CHECK_INT_EQ(bt_ticket_last_occurred_at(t), submitted);
	CHECK_INT_EQ(bt_ticket_updated_at(t), INT64_C(1709300000000)); /* epoch seconds */
	CHECK_INT_EQ(bt_ticket_resolved_at(t), 0);
	CHECK_INT_EQ(bt_ticket_sla_due_at(t), submitted + 24 * HOUR); /* high: 24 h */
	CHECK_INT_EQ(bt_ticket_occurrence_count(t), 1);
	CHECK_INT_EQ(bt_ticket_version(t), 1);
	/* Everything without a column stays, numbers digit for digit. */
	CHECK_STR_EQ(bt_ticket_context(t),
	       "{\"client_meta\":{\"os\":\"linux\",\"ratio\":0.30000000000000004},"
	       "\"app_state\":{\"doc\":12345678901234567890123},\"recent_logs\":[\"a\",\"b\"],"
	       "\"network_events\":[{\"url\":\"https://x\",\"status\":500}],\"events\":[],"
	       "\"screenshot_path\":\"/shots/1.png\",\"custom\":{\"nested\":[1,{\"x\":null}]}}");
	CHECK_RC(bt_audit_iter_new(db, bt_ticket_id(t), &ai), BT_OK);
	CHECK_RC(bt_audit_iter_next(ai, &e), BT_OK);
	if (e) {
		CHECK_STR_EQ(bt_audit_entry_kind(e), "imported");
		CHECK_STR_EQ(bt_audit_entry_actor(e), "user:importer");
		CHECK_STR_EQ(bt_audit_entry_note(e), "legacy report R-17 from test.json");
		CHECK_INT_EQ(bt_audit_entry_created_at(e), NOW);
		bt_audit_entry_free(e);
	}
	CHECK_RC(bt_audit_iter_next(ai, &e), BT_ITEROVER);
	bt_audit_iter_free(ai);
	bt_ticket_free(t);
done:
	bt_close(db);
}

/* A bare report: defaults, a title made up, the clock's time. */
static void test_legacy_minimal(void)
{
	bt_db *db = open_db("minimal.db", 0);
	bt_ticket *t;

	CHECK_RC(imp(db, "[{\"report_id\": 7}, {\"report_id\": \"long\", \"description\":"
		     " \"  \\n  first line that is long enough to be cut because it goes on and on"
		     " and on, well past the hundred and twenty bytes a title may take \\u00e9\\u00e9"
		     "\\u00e9\\nsecond\"}]", NULL), BT_OK);
	t = by_external(db, "7");
	CHECK(t != NULL);
	if (t) {
		CHECK_STR_EQ(bt_ticket_title(t), "Imported report 7");
		CHECK(bt_ticket_status(t) == BT_STATUS_NEW);
		CHECK(bt_ticket_severity(t) == BT_SEVERITY_MEDIUM);
		CHECK(bt_ticket_priority(t) == BT_PRIORITY_MEDIUM);
		CHECK_INT_EQ(bt_ticket_created_at(t), NOW);
		CHECK_INT_EQ(bt_ticket_updated_at(t), NOW);
		CHECK_STR_EQ(bt_ticket_context(t), NULL);
		CHECK_STR_EQ(bt_ticket_description(t), NULL);
		bt_ticket_free(t);
	}
	t = by_external(db, "long");
	CHECK(t != NULL);
	if (t) {
		const char *title = bt_ticket_title(t);

		CHECK(strncmp(title, "first line that is long", 23) == 0);
		CHECK(strlen(title) <= 123);
		CHECK(strcmp(title + strlen(title) - 3, "\xe2\x80\xa6") == 0);
		bt_ticket_free(t);
	}
	bt_close(db);
}

static void test_status_table(void)
{
	static const struct { const char *legacy; bt_status want; } cases[] = {
		{ "new", BT_STATUS_NEW }, { "Open", BT_STATUS_NEW }, { "REOPENED", BT_STATUS_NEW },
		{ "submitted", BT_STATUS_NEW }, { "to-do", BT_STATUS_NEW },
		{ "acknowledged", BT_STATUS_TRIAGED }, { "Confirmed", BT_STATUS_TRIAGED },
		{ "assigned", BT_STATUS_TRIAGED },
		{ "in progress", BT_STATUS_IN_PROGRESS }, { "in-progress", BT_STATUS_IN_PROGRESS },
		{ "investigating", BT_STATUS_IN_PROGRESS }, { "WIP", BT_STATUS_IN_PROGRESS },
		{ "pending_verification", BT_STATUS_AWAITING_VERIFICATION },
		{ "ready for QA", BT_STATUS_AWAITING_VERIFICATION },
		{ "fixed", BT_STATUS_RESOLVED }, { "Done", BT_STATUS_RESOLVED },
		{ "resolved", BT_STATUS_RESOLVED },
		{ "closed", BT_STATUS_CLOSED }, { "Won't Fix", BT_STATUS_CLOSED },
		{ "duplicate", BT_STATUS_CLOSED }, { "cannot reproduce", BT_STATUS_CLOSED },
		{ "not a bug", BT_STATUS_CLOSED },
	};
	bt_db *db = open_db("status.db", 0);
	char json[256], id[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bt_ticket *t;

		snprintf(id, sizeof(id), "S-%zu", i);
		snprintf(json, sizeof(json), "{\"report_id\": \"%s\", \"status\": \"%s\","
			 " \"submitted_at\": \"2025-01-01\"}", id, cases[i].legacy);
		CHECK_RC(imp(db, json, NULL), BT_OK);
		t = by_external(db, id);
		CHECK(t != NULL);
		if (!t)
			continue;
		if (bt_ticket_status(t) != cases[i].want) {
			fprintf(stderr, "status '%s' became %s\n", cases[i].legacy,
				bt_status_name(bt_ticket_status(t)));
			check_failures++;
		}
		/* A resolved report without resolved_at was resolved when last updated. */
		CHECK_INT_EQ(bt_ticket_resolved_at(t),
		       cases[i].want == BT_STATUS_RESOLVED ? INT64_C(1735689600000) : 0);
		bt_ticket_free(t);
	}
	bt_close(db);
}

static void test_severity_priority(void)
{
	static const struct { const char *legacy; bt_severity want; } sev[] = {
		{ "blocker", BT_SEVERITY_CRITICAL }, { "FATAL", BT_SEVERITY_CRITICAL },
		{ "P0", BT_SEVERITY_CRITICAL }, { "major", BT_SEVERITY_HIGH },
		{ "error", BT_SEVERITY_HIGH }, { "normal", BT_SEVERITY_MEDIUM },
		{ "warning", BT_SEVERITY_MEDIUM }, { "minor", BT_SEVERITY_LOW },
		{ "trivial", BT_SEVERITY_LOW }, { "low", BT_SEVERITY_LOW },
	};
	bt_db *db = open_db("severity.db", 0);
	char json[256], id[32];
	bt_ticket *t;
	size_t i;

	for (i = 0; i < sizeof(sev) / sizeof(sev[0]); i++) {
		snprintf(id, sizeof(id), "V-%zu", i);
		snprintf(json, sizeof(json), "{\"report_id\": \"%s\", \"severity\": \"%s\"}", id,
			 sev[i].legacy);
		CHECK_RC(imp(db, json, NULL), BT_OK);
		t = by_external(db, id);
		CHECK(t && bt_ticket_severity(t) == sev[i].want);
		bt_ticket_free(t);
	}
	CHECK_RC(imp(db, "{\"report_id\": \"P\", \"priority\": \"Normal\"}", NULL), BT_OK);
	t = by_external(db, "P");
	CHECK(t && bt_ticket_priority(t) == BT_PRIORITY_MEDIUM);
	bt_ticket_free(t);
	CHECK_RC(imp(db, "{\"report_id\": \"Q\", \"severity\": \"apocalyptic\"}", NULL), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "unknown severity 'apocalyptic'");
	CHECK_RC(imp(db, "{\"report_id\": \"Q\", \"priority\": \"whenever\"}", NULL), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "unknown priority 'whenever'");
	bt_close(db);
}

static void test_times(void)
{
	static const struct { const char *value; int64_t want; } good[] = {
		{ "\"2024-03-01\"", INT64_C(1709251200000) },
		{ "\"2024-03-01T12:00Z\"", INT64_C(1709294400000) },
		{ "\"2024-03-01T12:00:00+02:00\"", INT64_C(1709287200000) },
		{ "\"2024-03-01T12:00:00-0130\"", INT64_C(1709299800000) },
		{ "\"2024-03-01 12:00:00.5\"", INT64_C(1709294400500) },
		{ "\"2024-02-29T23:59:59.999999Z\"", INT64_C(1709251199999) },
		{ "1700000000", INT64_C(1700000000000) },
		{ "1700000000123", INT64_C(1700000000123) },
		{ "1700000000.25", INT64_C(1700000000250) },
		{ "1.7e12", INT64_C(1700000000000) },
	};
	static const char *const bad_times[] = {
		"\"2024-13-01\"", "\"2023-02-29\"", "\"yesterday\"", "\"2024-03-01T25:00Z\"",
		"\"2024-03-01T12:00:00Zjunk\"", "\"\"", "-5", "0", "1e300", "true", "{}", "[]",
		"99999999999999999999999",
	};
	bt_db *db = open_db("times.db", 0);
	char json[256], id[32];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		bt_ticket *t;

		snprintf(id, sizeof(id), "T-%zu", i);
		snprintf(json, sizeof(json), "{\"report_id\": \"%s\", \"submitted_at\": %s}", id,
			 good[i].value);
		CHECK_RC(imp(db, json, NULL), BT_OK);
		t = by_external(db, id);
		CHECK(t != NULL);
		if (t && bt_ticket_created_at(t) != good[i].want) {
			fprintf(stderr, "time %s became %" PRId64 ", expected %" PRId64 "\n",
				good[i].value, bt_ticket_created_at(t), good[i].want);
			check_failures++;
		}
		bt_ticket_free(t);
	}
	for (i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
		bt_import_result r = BT_IMPORT_RESULT_INIT;

		snprintf(json, sizeof(json), "[{\"report_id\": \"ok\"}, {\"report_id\": \"B\","
			 " \"submitted_at\": %s}]", bad_times[i]);
		CHECK_RC(imp(db, json, &r), BT_EINVALID);
		CHECK_STR_CONTAINS(bt_error_message(), "record 2 (report_id \"B\")");
		CHECK_STR_CONTAINS(bt_error_message(), "submitted_at");
		CHECK_INT_EQ(r.failed_record, 1);
		CHECK_INT_EQ(r.imported, 0);
	}
	CHECK_RC(imp(db, "{\"report_id\": \"U\", \"submitted_at\": \"2024-03-02\","
		     " \"updated_at\": \"2024-03-01\"}", NULL), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "before");
	CHECK_INT_EQ(total(db), (int64_t)(sizeof(good) / sizeof(good[0])));
	bt_close(db);
}

/* ---- bad input ---- */

static void test_bad_inputs(void)
{
	static const struct { const char *json; const char *reason; int64_t record; } cases[] = {
		{ "", "empty", -1 },
		{ "\xef\xbb\xbf", "empty", -1 },
		{ "   ", "not valid JSON", -1 },
		{ "{", "not valid JSON at line 1, column 2", -1 },
		{ "[1,]", "not valid JSON at line 1, column 4", -1 },
		{ "[\n  {\"report_id\": \"\u00e9\",\n   \"status\": new}\n]", "not valid JSON at line 3, column 14", -1 },
		{ "[\n {\"title\": \"\xc3\xa9\xc3\xa9\" x}]", "not valid JSON at line 2, column 17", -1 },
		{ "{report_id: 1}", "not valid JSON", -1 },
		{ "{\"report_id\": \"a\"} {}", "not valid JSON at line 1, column 20", -1 },
		/* NDJSON: records are lines; a bad line says where. */
		{ "{\"report_id\": \"a\"}\n{\"report_id\": \"b\", \"status\": 3}\n", "record 2 (report_id \"b\"): 'status' must be a string", 1 },
		{ "{\"report_id\": \"a\"}\n\n{\"report_id\": \"b\",}\n", "record 2 (line 3): not valid JSON at line 3, column 19", 1 },
		{ "{\"report_id\": \"a\"}\n[1]\n", "record 2 (line 2) is an array, not an object", 1 },
		{ "{\"report_id\": \"a\x01\"}", "not valid JSON", -1 },  /* raw control character */
		{ "{\"report_id\": \"a\"}\xff", "not valid JSON", -1 },
		{ "null", "the document is null", -1 },
		{ "42", "the document is an integer", -1 },
		{ "\"report\"", "the document is a string", -1 },
		{ "[{\"report_id\": \"a\"}, 3]", "record 2 is an integer, not an object", 1 },
		{ "[{\"report_id\": \"a\"}, [{}]]", "record 2 is an array", 1 },
		{ "{}", "'report_id' is missing", 0 },
		{ "{\"report_id\": null}", "'report_id' is missing", 0 },
		{ "{\"report_id\": \"\"}", "'report_id' is empty", 0 },
		{ "{\"report_id\": {\"x\": 1}}", "'report_id' must be an integer or a string, not an object", 0 },
		{ "{\"report_id\": 1.5}", "'report_id' must be", 0 },
		{ "{\"report_id\": 123456789012345678901}", "out of range", 0 },
		{ "{\"report_id\": \"a\", \"report_id\": \"b\"}", "'report_id' appears twice", 0 },
		{ "{\"report_id\": \"a\", \"status\": 3}", "'status' must be a string, not an integer", 0 },
		{ "{\"report_id\": \"a\", \"status\": \"wibble\"}", "unknown status 'wibble'", 0 },
		{ "{\"report_id\": \"a\", \"status\": \"\"}", "unknown status ''", 0 },
		{ "{\"report_id\": \"a\", \"description\": [\"x\"]}", "'description' must be a string, not an array", 0 },
		{ "{\"report_id\": \"a\", \"title\": true}", "'title' must be a string, not a boolean", 0 },
		{ "{\"report_id\": \"a\", \"client_meta\": \"linux\"}", "'client_meta' must be an object", 0 },
		{ "{\"report_id\": \"a\", \"recent_logs\": {}}", "'recent_logs' must be an array", 0 },
		{ "{\"report_id\": \"a\", \"screenshot_path\": 5}", "'screenshot_path' must be a string", 0 },
		{ "{\"report_id\": \"a\", \"environment\": [1]}", "'environment' must be a string or an object", 0 },
		{ "[{\"report_id\": \"x1\"}, {\"report_id\": \"x2\"}, {\"report_id\": \"x3\", \"severity\": 1}]",
		  "record 3 (report_id \"x3\"): 'severity' must be a string", 2 },
	};
	bt_db *db = populated("bad.db");
	char *before = snapshot(db), *after;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bt_import_result r = BT_IMPORT_RESULT_INIT;
		int rc = imp(db, cases[i].json, &r);

		if (rc != BT_EINVALID || !strstr(bt_error_message(), cases[i].reason) ||
		    strncmp(bt_error_message(), "bt_import_json: ", 16) != 0 ||
		    r.failed_record != cases[i].record || r.imported || r.skipped) {
			fprintf(stderr, "case %zu (%s): rc %d, failed_record %" PRId64 ", message: %s\n",
				i, cases[i].json, rc, r.failed_record, bt_error_message());
			check_failures++;
		}
	}
	/* A NUL byte, which a C string would hide. */
	CHECK_RC(bt_import_json(db, "{\"report_id\": \"n\"}\0{", 20, NULL, NULL), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "NUL byte at offset 18");
	after = snapshot(db);
	CHECK_STR_EQ(after, before);
	free(before);
	free(after);
	bt_close(db);
}

/* One bad record at the end of a big array: nothing of it is stored. */
static void test_all_or_nothing(void)
{
	bt_db *db = populated("atomic.db");
	char *before = snapshot(db), *after, *json = malloc(200 * 64 + 64);
	bt_import_result r = BT_IMPORT_RESULT_INIT;
	size_t len = 0;
	int i;

	len += (size_t)sprintf(json + len, "[");
	for (i = 0; i < 200; i++)
		len += (size_t)sprintf(json + len, "{\"report_id\": \"A-%d\"},", i);
	sprintf(json + len, "{\"report_id\": \"A-bad\", \"status\": \"lost\"}]");
	CHECK_RC(imp(db, json, &r), BT_EINVALID);
	CHECK_INT_EQ(r.failed_record, 200);
	CHECK_INT_EQ(r.imported, 0);
	CHECK_STR_CONTAINS(bt_error_message(), "record 201 (report_id \"A-bad\"): unknown status 'lost'");
	after = snapshot(db);
	CHECK_STR_EQ(after, before);
	CHECK(by_external(db, "A-0") == NULL);
	free(before);
	free(after);
	free(json);
	bt_close(db);
}

static void test_idempotent(void)
{
	bt_db *db = populated("again.db");
	bt_import_result r = BT_IMPORT_RESULT_INIT;
	const char *doc = "[{\"report_id\": \"I-1\"}, {\"report_id\": \"I-2\"}, {\"report_id\": \"I-1\"},"
			  " {\"report_id\": \"OLD-1\", \"description\": \"changed\"}]";
	char *before, *after;
	bt_ticket *t;

	CHECK_RC(imp(db, doc, &r), BT_OK);
	CHECK_INT_EQ(r.records, 4);
	CHECK_INT_EQ(r.imported, 2);
	CHECK_INT_EQ(r.skipped, 2); /* I-1 again in the same file, OLD-1 from before */
	CHECK_INT_EQ(total(db), 5);
	t = by_external(db, "OLD-1");
	CHECK_STR_EQ(t ? bt_ticket_description(t) : NULL, "kept"); /* skipped, not updated */
	bt_ticket_free(t);
	before = snapshot(db);
	CHECK_RC(imp(db, doc, &r), BT_OK);
	CHECK_INT_EQ(r.imported, 0);
	CHECK_INT_EQ(r.skipped, 4);
	after = snapshot(db);
	CHECK_STR_EQ(after, before); /* not even an event */
	free(before);
	free(after);
	bt_close(db);
}

static void test_dry_run(void)
{
	bt_db *db = populated("dry.db");
	bt_import_options o = BT_IMPORT_OPTIONS_INIT;
	bt_import_result r = BT_IMPORT_RESULT_INIT;
	const char *doc = "[{\"report_id\": \"D-1\"}, {\"report_id\": \"D-1\"}, {\"report_id\": \"OLD-1\"},"
			  " {\"report_id\": \"D-2\"}]";
	char *before = snapshot(db), *after;

	o.dry_run = 1;
	CHECK_RC(bt_import_json(db, doc, strlen(doc), &o, &r), BT_OK);
	CHECK_INT_EQ(r.records, 4);
	CHECK_INT_EQ(r.imported, 2);
	CHECK_INT_EQ(r.skipped, 2);
	after = snapshot(db);
	CHECK_STR_EQ(after, before);
	free(after);
	/* A dry run of a bad document fails as the real one would. */
	CHECK_RC(bt_import_json(db, "[{\"report_id\": 1}, {}]", 22, &o, &r), BT_EINVALID);
	CHECK_INT_EQ(r.failed_record, 1);
	/* The real run does what the dry run said. */
	CHECK_RC(imp(db, doc, &r), BT_OK);
	CHECK_INT_EQ(r.imported, 2);
	CHECK_INT_EQ(r.skipped, 2);
	free(before);
	bt_close(db);
}

/* A record without an id takes the next one, which an export record later
 * in the input may claim: the dry run counts ids on as the import does and
 * refuses it too (found by fuzz_import). */
static void test_dry_run_ids(void)
{
	bt_db *db = open_db("dryids.db", 0);
	bt_import_options o = BT_IMPORT_OPTIONS_INIT;
	bt_import_result r = BT_IMPORT_RESULT_INIT;
	const char *doc = "[{\"report_id\": \"L-1\"}, {\"id\": 1, \"number\": \"BUG-00001\","
			  " \"title\": \"t\", \"created_at\": 1794643200000}]";

	o.dry_run = 1;
	CHECK_RC(bt_import_json(db, doc, strlen(doc), &o, &r), BT_ECONFLICT);
	CHECK_INT_EQ(r.failed_record, 1);
	CHECK_RC(imp(db, doc, &r), BT_ECONFLICT);
	CHECK_INT_EQ(r.failed_record, 1);
	CHECK_INT_EQ(total(db), 0);
	bt_close(db);
}

/* ---- text ---- */

static void test_unicode_and_control(void)
{
	bt_db *db = open_db("unicode.db", 0);
	bt_ticket *t;

	CHECK_RC(imp(db, "{\"report_id\": \"\\u00e9t\\u00e9-\\u4e2d\", \"title\": \"caf\\u00e9 \\ud83d\\ude00\","
		     " \"description\": \"tab\\there\\u0001\\u001b[31m nul\\u0000end \\\\u0000 stays\","
		     " \"component\": \"bad\xff\xfe utf8\", \"note\": \"x\\u0000y\"}", NULL), BT_OK);
	t = by_external(db, "\xc3\xa9t\xc3\xa9-\xe4\xb8\xad");
	CHECK(t != NULL);
	if (t) {
		CHECK_STR_EQ(bt_ticket_title(t), "caf\xc3\xa9 \xf0\x9f\x98\x80");
		/* \u0000 is kept as U+FFFD (a NUL would end the text); an escaped
		 * backslash before u0000 is text. */
		CHECK_STR_EQ(bt_ticket_description(t),
		       "tab\there\x01\x1b[31m nul\xef\xbf\xbd" "end \\u0000 stays");
		CHECK_STR_EQ(bt_ticket_component(t), "bad\xef\xbf\xbd\xef\xbf\xbd utf8");
		CHECK_STR_EQ(bt_ticket_context(t), "{\"note\":\"x\\ufffdy\"}");
		bt_ticket_free(t);
	}
	bt_close(db);
}

static void test_redaction(void)
{
	const char *doc = "{\"report_id\": \"sec\", \"description\": \"login failed password=hunter2\","
			  " \"app_state\": {\"user\": \"bob\", \"api_key\": \"k-123\"}}";
	bt_db *db = open_db("redact.db", 0);
	bt_db *raw = open_db("noredact.db", BT_OPEN_NO_REDACT);
	bt_ticket *t;

	CHECK_RC(imp(db, doc, NULL), BT_OK);
	t = by_external(db, "sec");
	CHECK_STR_EQ(t ? bt_ticket_description(t) : NULL, "login failed password=[redacted]");
	CHECK_STR_EQ(t ? bt_ticket_context(t) : NULL,
	       "{\"app_state\":{\"user\":\"bob\",\"api_key\":\"[redacted]\"}}");
	bt_ticket_free(t);
	CHECK_RC(imp(raw, doc, NULL), BT_OK);
	t = by_external(raw, "sec");
	CHECK_STR_EQ(t ? bt_ticket_description(t) : NULL, "login failed password=hunter2");
	bt_ticket_free(t);
	bt_close(db);
	bt_close(raw);
}

/* ---- huge and nested input ---- */

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_huge_description(void)
{
	size_t n = 5 * 1024 * 1024, i;
	char *desc = malloc(n + 1), *json = malloc(n + 64);
	bt_db *db = open_db("huge.db", BT_OPEN_NO_REDACT);
	struct timespec t0;
	bt_ticket *t;

	/* 5 MiB of text with two-byte characters and escapes. */
	for (i = 0; i + 2 <= n; i += 2) {
		if (i % 1000 == 0) {
			desc[i] = '\\';
			desc[i + 1] = 'n';
		} else {
			desc[i] = (char)0xc3;
			desc[i + 1] = (char)0xa9;
		}
	}
	desc[i] = '\0';
	sprintf(json, "{\"report_id\": \"big\", \"description\": \"%s\"}", desc);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RC(imp(db, json, NULL), BT_OK);
	fprintf(stderr, "     5 MiB description: %.3f s\n", seconds_since(&t0));
	t = by_external(db, "big");
	CHECK(t != NULL);
	if (t) {
		const char *d = bt_ticket_description(t);
		size_t j, o = 0, ok = 1;

		for (j = 0; j + 2 <= n && ok; j += 2) {
			if (j % 1000 == 0) {
				ok = d[o] == '\n';
				o += 1;
			} else {
				ok = (unsigned char)d[o] == 0xc3 && (unsigned char)d[o + 1] == 0xa9;
				o += 2;
			}
		}
		CHECK(ok && d[o] == '\0');
		bt_ticket_free(t);
	}
	free(desc);
	free(json);
	bt_close(db);
}

static char *big_array(int n, const char *last)
{
	char *json = malloc((size_t)n * 160 + 256);
	size_t len = 0;
	int i;

	json[len++] = '[';
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(json + len, "%s{\"report_id\": \"H-%05d\", \"status\": \"open\","
				       " \"submitted_at\": %d, \"description\": \"report %d\","
				       " \"app_state\": {\"i\": %d}}", i ? "," : "", i,
				       1700000000 + i, i, i);
	if (last)
		len += (size_t)sprintf(json + len, ",%s", last);
	json[len++] = ']';
	json[len] = '\0';
	return json;
}

static void test_huge_array(void)
{
	bt_db *db = populated("array.db");
	bt_import_result r = BT_IMPORT_RESULT_INIT;
	char *json = big_array(10000, NULL), *bad = big_array(10000, "{\"report_id\": 5, \"status\": []}");
	char *before = snapshot(db), *after;
	struct timespec t0;
	bt_ticket *t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RC(imp(db, bad, &r), BT_EINVALID);
	fprintf(stderr, "     10,001 records, the last bad: %.3f s\n", seconds_since(&t0));
	CHECK_INT_EQ(r.failed_record, 10000);
	after = snapshot(db);
	CHECK_STR_EQ(after, before);
	free(after);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RC(imp(db, json, &r), BT_OK);
	fprintf(stderr, "     10,000 records: %.3f s\n", seconds_since(&t0));
	CHECK_INT_EQ(r.records, 10000);
	CHECK_INT_EQ(r.imported, 10000);
	CHECK_INT_EQ(total(db), 10003);
	t = by_external(db, "H-09999");
	CHECK(t != NULL);
	if (t) {
		CHECK_INT_EQ(bt_ticket_created_at(t), INT64_C(1700009999000));
		CHECK_STR_EQ(bt_ticket_description(t), "report 9999");
		CHECK_STR_EQ(bt_ticket_context(t), "{\"app_state\":{\"i\":9999}}");
		bt_ticket_free(t);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_RC(imp(db, json, &r), BT_OK);
	fprintf(stderr, "     10,000 records again (all skipped): %.3f s\n", seconds_since(&t0));
	CHECK_INT_EQ(r.skipped, 10000);
	CHECK_INT_EQ(r.imported, 0);
	CHECK_INT_EQ(total(db), 10003);
	free(before);
	free(json);
	free(bad);
	bt_close(db);
}

static void test_nested_junk(void)
{
	bt_db *db = open_db("nested.db", 0);
	size_t depth = 200, i, len = 0;
	char *json = malloc(3 * 10000 + 256), *want = malloc(3 * 10000 + 256);
	bt_ticket *t;

	/* Deep but valid junk is kept exactly. */
	len = (size_t)sprintf(json, "{\"report_id\": \"deep\", \"junk\": ");
	for (i = 0; i < depth; i++)
		len += (size_t)sprintf(json + len, "{\"k\":[");
	len += (size_t)sprintf(json + len, "1.50e+3");
	for (i = 0; i < depth; i++)
		len += (size_t)sprintf(json + len, "]}");
	sprintf(json + len, ", \"odd key \\\"quoted\\\"\": -0.0}");
	CHECK_RC(imp(db, json, NULL), BT_OK);
	len = (size_t)sprintf(want, "{\"junk\":");
	for (i = 0; i < depth; i++)
		len += (size_t)sprintf(want + len, "{\"k\":[");
	len += (size_t)sprintf(want + len, "1.50e+3");
	for (i = 0; i < depth; i++)
		len += (size_t)sprintf(want + len, "]}");
	sprintf(want + len, ",\"odd key \\\"quoted\\\"\":-0.0}");
	t = by_external(db, "deep");
	CHECK_STR_EQ(t ? bt_ticket_context(t) : NULL, want);
	bt_ticket_free(t);

	/* Deeper than SQLite's JSON parser goes: a clean failure. */
	len = (size_t)sprintf(json, "{\"report_id\": \"deeper\", \"junk\": ");
	for (i = 0; i < 5000; i++)
		json[len++] = '[';
	for (i = 0; i < 5000; i++)
		json[len++] = ']';
	sprintf(json + len, "}");
	CHECK_RC(imp(db, json, NULL), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "not valid JSON");
	CHECK_INT_EQ(total(db), 1);
	free(json);
	free(want);
	bt_close(db);
}

/* ---- export records ---- */

#define EXPORT_RECORD(id, extra) \
	"{\"id\": " #id ", \"number\": \"BUG-0000" #id "\", \"title\": \"Critical: db - refused\"," \
	" \"description\": \"d\", \"status\": \"in_progress\", \"severity\": \"critical\"," \
	" \"priority\": \"urgent\", \"category\": \"infra\", \"component\": \"db\", \"source\": \"agent\"," \
	" \"reporter\": \"agent:watch\", \"assignee\": \"alice\", \"fingerprint\": \"fp" #id "\"," \
	" \"grouping_input\": \"component=db\\ntype=\", \"error_type\": \"ECONNREFUSED\"," \
	" \"error_message\": \"refused\", \"stack_trace\": \"#0 main\", \"occurrence_count\": 12," \
	" \"first_occurred_at\": 1794643200000, \"first_occurred_at_iso\": \"2026-11-14T08:00:00.000Z\"," \
	" \"last_occurred_at\": 1795257000000, \"last_occurred_at_iso\": \"2026-11-21T10:30:00.000Z\"," \
	" \"regression_count\": 2, \"service\": \"orders\", \"host\": \"h1\", \"environment\": \"prod\"," \
	" \"release_sha\": \"1.4.2\", \"trace_id\": \"tr\", \"request_id\": \"rq\"," \
	" \"context\": \"{\\\"path\\\": \\\"/x\\\", \\\"n\\\": 1.0}\", \"resolution_notes\": null," \
	" \"resolution_commit\": null, \"resolved_by\": null, \"resolved_release\": \"1.4.1\"," \
	" \"automation_attempts\": 3, \"claimed_by\": \"agent:fixer\", \"claimed_at\": 1795250000000," \
	" \"claimed_at_iso\": \"x\", \"claim_expires_at\": 1795290000000, \"claim_expires_at_iso\": \"x\"," \
	" \"version\": 9, \"duplicate_of\": null, \"external_id\": null," \
	" \"created_at\": 1794643200000, \"created_at_iso\": \"2026-11-14T08:00:00.000Z\"," \
	" \"updated_at\": 1795259700000, \"updated_at_iso\": \"x\", \"resolved_at\": null," \
	" \"resolved_at_iso\": null, \"sla_due_at\": 1794657600000, \"sla_due_at_iso\": \"x\"" extra "}"

static void test_export_records(void)
{
	bt_db *db = open_db("native.db", 0);
	bt_import_result r = BT_IMPORT_RESULT_INIT;
	bt_ticket *t;
	/* Ticket 3 is a duplicate of 8, which comes later in the array. */
	const char *doc = "[" EXPORT_RECORD(3, ", \"duplicate_of\": 8, \"x_extra\": [1, 2]") ","
			  EXPORT_RECORD(8, "") "]";

	/* duplicate_of appears twice in record 1: refused. */
	CHECK_RC(imp(db, doc, &r), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "record 1 (id 3): 'duplicate_of' appears twice");
	doc = "[" EXPORT_RECORD(8, "") "]";
	CHECK_RC(imp(db, doc, &r), BT_OK);
	CHECK_INT_EQ(r.imported, 1);
	CHECK_RC(bt_ticket_get(db, 8, &t), BT_OK);
	if (t) {
		CHECK_STR_EQ(bt_ticket_number(t), "BUG-00008");
		CHECK_STR_EQ(bt_ticket_title(t), "Critical: db - refused");
		CHECK_STR_EQ(bt_ticket_description(t), "d");
		CHECK(bt_ticket_status(t) == BT_STATUS_IN_PROGRESS);
		CHECK(bt_ticket_severity(t) == BT_SEVERITY_CRITICAL);
		CHECK(bt_ticket_priority(t) == BT_PRIORITY_URGENT);
		CHECK(bt_ticket_source(t) == BT_SOURCE_AGENT);
		CHECK_STR_EQ(bt_ticket_category(t), "infra");
		CHECK_STR_EQ(bt_ticket_reporter(t), "agent:watch");
		CHECK_STR_EQ(bt_ticket_assignee(t), "alice");
		CHECK_STR_EQ(bt_ticket_fingerprint(t), "fp8");
		CHECK_STR_EQ(bt_ticket_grouping_input(t), "component=db\ntype=");
		CHECK_STR_EQ(bt_ticket_error_type(t), "ECONNREFUSED");
		CHECK_STR_EQ(bt_ticket_error_message(t), "refused");
		CHECK_STR_EQ(bt_ticket_stack_trace(t), "#0 main");
		CHECK_INT_EQ(bt_ticket_occurrence_count(t), 12);
		CHECK_INT_EQ(bt_ticket_first_occurred_at(t), INT64_C(1794643200000));
		CHECK_INT_EQ(bt_ticket_last_occurred_at(t), INT64_C(1795257000000));
		CHECK_INT_EQ(bt_ticket_regression_count(t), 2);
		CHECK_STR_EQ(bt_ticket_service(t), "orders");
		CHECK_STR_EQ(bt_ticket_host(t), "h1");
		CHECK_STR_EQ(bt_ticket_environment(t), "prod");
		CHECK_STR_EQ(bt_ticket_release(t), "1.4.2");
		CHECK_STR_EQ(bt_ticket_trace_id(t), "tr");
		CHECK_STR_EQ(bt_ticket_request_id(t), "rq");
		CHECK_STR_EQ(bt_ticket_context(t), "{\"path\": \"/x\", \"n\": 1.0}"); /* as it was */
		CHECK_STR_EQ(bt_ticket_resolution_notes(t), NULL);
		CHECK_STR_EQ(bt_ticket_resolved_release(t), "1.4.1");
		CHECK_INT_EQ(bt_ticket_automation_attempts(t), 3);
		CHECK_STR_EQ(bt_ticket_claimed_by(t), "agent:fixer");
		CHECK_INT_EQ(bt_ticket_claimed_at(t), INT64_C(1795250000000));
		CHECK_INT_EQ(bt_ticket_claim_expires_at(t), INT64_C(1795290000000));
		CHECK_INT_EQ(bt_ticket_version(t), 9);
		CHECK_INT_EQ(bt_ticket_duplicate_of(t), 0);
		CHECK_STR_EQ(bt_ticket_external_id(t), NULL);
		CHECK_INT_EQ(bt_ticket_created_at(t), INT64_C(1794643200000));
		CHECK_INT_EQ(bt_ticket_updated_at(t), INT64_C(1795259700000));
		CHECK_INT_EQ(bt_ticket_resolved_at(t), 0);
		CHECK_INT_EQ(bt_ticket_sla_due_at(t), INT64_C(1794657600000));
		bt_ticket_free(t);
	}
	/* The restored claim is live with a new token: another agent waits. */
	{
		char token[BT_CLAIM_TOKEN_SIZE];

		CHECK_RC(bt_ticket_claim(db, 8, "agent:other", 60, token), BT_EBUSY);
	}
	/* Its fingerprint takes occurrences again. */
	CHECK_RC(bt_dedup_lookup(db, "fp8", &t), BT_OK);
	CHECK_INT_EQ(t ? bt_ticket_id(t) : 0, 8);
	bt_ticket_free(t);

	/* Again: present by id, fingerprint and creation time. */
	CHECK_RC(imp(db, doc, &r), BT_OK);
	CHECK_INT_EQ(r.skipped, 1);
	/* The same id with another ticket's fingerprint: a conflict. */
	CHECK_RC(imp(db, "[" EXPORT_RECORD(8, ", \"fingerprint\": \"other\"") "]", &r), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "'fingerprint' appears twice");
	doc = "[" EXPORT_RECORD(4, "") "]";
	{
		/* Record 4 whose fingerprint differs from ticket 4's. */
		char *other = malloc(strlen(doc) + 8);
		char *p;

		strcpy(other, doc);
		p = strstr(other, "\"fp4\"");
		memcpy(p, "\"fpX\"", 5);
		CHECK_RC(imp(db, doc, &r), BT_OK); /* ticket 4 */
		CHECK_RC(imp(db, other, &r), BT_ECONFLICT);
		CHECK_STR_CONTAINS(bt_error_message(), "record 1 (id 4): id 4 belongs to another ticket");
		free(other);
	}
	/* A duplicate whose canonical ticket comes later in the file, and a
	 * member import does not know, which goes into the context. */
	doc = "[" EXPORT_RECORD(5, ", \"x_extra\": [1, 2], \"report_id\": \"r\"") ","
	      EXPORT_RECORD(6, "") "]";
	{
		char *d = malloc(strlen(doc) + 8), *p;

		strcpy(d, doc);
		p = strstr(d, "\"duplicate_of\": null");
		memcpy(p, "\"duplicate_of\": 6   ", 20);
		CHECK_RC(imp(db, d, &r), BT_OK);
		CHECK_INT_EQ(r.imported, 2);
		free(d);
	}
	CHECK_RC(bt_ticket_get(db, 5, &t), BT_OK);
	if (t) {
		CHECK_INT_EQ(bt_ticket_duplicate_of(t), 6);
		CHECK_STR_EQ(bt_ticket_context(t),
		       "{\"context\":{\"path\": \"/x\", \"n\": 1.0},\"x_extra\":[1,2],\"report_id\":\"r\"}");
		bt_ticket_free(t);
	}
	/* Its occurrences are counted on the canonical ticket, whose exported
	 * count holds them: the reports leave the duplicate out. */
	{
		bt_aggregate_iter *it = NULL;
		int seen = 0;

		CHECK_RC(bt_aggregate_iter_new(db, BT_AGGREGATE_TOP, NULL, &it), BT_OK);
		while (it && bt_aggregate_iter_next(it) == BT_OK) {
			CHECK(bt_aggregate_iter_int(it, 1) != 5);
			seen += bt_aggregate_iter_int(it, 1) == 6;
		}
		CHECK_INT_EQ(seen, 1);
		bt_aggregate_iter_free(it);
	}
	/* The duplicate's fingerprint lands on its canonical ticket. */
	CHECK_RC(bt_dedup_lookup(db, "fp5", &t), BT_OK);
	CHECK_INT_EQ(t ? bt_ticket_id(t) : 0, 6);
	bt_ticket_free(t);

	/* Bad export records. */
	CHECK_RC(imp(db, "[" EXPORT_RECORD(9, ", \"duplicate_of\": 99") "]", &r), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "'duplicate_of' appears twice");
	CHECK_RC(imp(db, "{\"id\": 10, \"number\": \"BUG-00010\", \"title\": \"t\", \"created_at\": 1,"
		     " \"status\": \"open\"}", &r), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "record 1 (id 10): unknown status 'open'");
	CHECK_RC(imp(db, "{\"id\": 10, \"number\": \"BUG-00010\", \"title\": \"t\", \"created_at\": 1,"
		     " \"duplicate_of\": 99}", &r), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "'duplicate_of' 99 is no ticket");
	CHECK_RC(imp(db, "{\"id\": 10, \"number\": \"BUG-00010\", \"title\": \"t\", \"created_at\": 1,"
		     " \"context\": \"{not json\"}", &r), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "'context' is not valid JSON");
	CHECK_RC(imp(db, "{\"id\": 10, \"number\": \"BUG-00010\", \"title\": \"t\", \"created_at\": 1,"
		     " \"claimed_by\": \"agent:a\"}", &r), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "go together");
	CHECK_RC(imp(db, "{\"id\": 10, \"number\": \"BUG-00010\", \"title\": \"t\", \"created_at\": 1,"
		     " \"occurrence_count\": \"5\"}", &r), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "'occurrence_count' must be an integer, not a string");
	CHECK_RC(imp(db, "{\"id\": -1, \"number\": \"x\", \"title\": \"t\", \"created_at\": 1}", &r),
		 BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "'id' is out of range");
	CHECK_RC(imp(db, "{\"id\": 10, \"number\": \"x\", \"title\": \"t\"}", &r), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "'created_at' is missing");
	CHECK_RC(imp(db, "{\"id\": 10, \"number\": \"x\", \"title\": \"t\", \"created_at\": 5,"
		     " \"first_occurred_at\": 9, \"last_occurred_at\": 7}", &r), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "record 1 (id 10): ");
	CHECK_INT_EQ(total(db), 4);
	bt_close(db);
}

/* ---- the API's own checks ---- */

static void test_arguments(void)
{
	bt_db *db = open_db("args.db", 0);
	bt_import_options o;
	bt_import_result r;

	CHECK_RC(bt_import_json(NULL, "{}", 2, NULL, NULL), BT_EINVALID);
	CHECK_RC(bt_import_json(db, NULL, 0, NULL, NULL), BT_EINVALID);
	CHECK_RC(bt_import_options_init(&o, BT_IMPORT_OPTIONS_VERSION), BT_OK);
	CHECK(o.version == BT_IMPORT_OPTIONS_VERSION && o.dry_run == 0 && !o.actor && !o.source);
	CHECK_RC(bt_import_options_init(&o, 0), BT_EINVALID);
	CHECK_RC(bt_import_options_init(&o, 2), BT_EINVALID);
	CHECK_RC(bt_import_options_init(NULL, 1), BT_EINVALID);
	CHECK_RC(bt_import_result_init(&r, BT_IMPORT_RESULT_VERSION), BT_OK);
	CHECK(r.version == 1 && r.records == 0 && r.failed_record == -1);
	CHECK_RC(bt_import_result_init(&r, 7), BT_EINVALID);
	o.version = 99;
	CHECK_RC(bt_import_json(db, "{\"report_id\": 1}", 16, &o, NULL), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "unknown bt_import_options version 99");
	r.version = 0;
	CHECK_RC(bt_import_json(db, "{\"report_id\": 1}", 16, NULL, &r), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "unknown bt_import_result version 0");
	/* NULL options and result: defaults, actor "system". */
	CHECK_RC(bt_import_json(db, "{\"report_id\": 1}", 16, NULL, NULL), BT_OK);
	/* The length counts, not a NUL: only the first object is read. */
	CHECK_RC(bt_import_json(db, "{\"report_id\": 2}{\"report_id\": 3}", 16, NULL, NULL), BT_OK);
	CHECK_INT_EQ(total(db), 2);
	bt_close(db);
}

static void test_readonly(void)
{
	bt_db *db = populated("ro.db"), *ro;
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	char *before = snapshot(db), *after;

	bt_close(db);
	o.flags = BT_OPEN_READONLY;
	CHECK_RC(bt_open(&ro, check_path("ro.db"), &o), BT_OK);
	CHECK(imp(ro, "{\"report_id\": \"new\"}", NULL) == BT_EREADONLY);
	after = snapshot(ro);
	CHECK_STR_EQ(after, before);
	free(before);
	free(after);
	bt_close(ro);
}

/* bt_ticket_get_by_external_id finds an imported report by its report_id,
 * from the index, and says so when none has it. */
static void test_get_by_external_id(void)
{
	bt_db *db = open_db("external.db", 0);
	bt_ticket *t = NULL, *want;

	CHECK_RC(imp(db, full_report, NULL), BT_OK);
	CHECK_RC(imp(db, "{\"report_id\": \"42\"}", NULL), BT_OK);
	want = by_external(db, "R-17");
	CHECK_RC(bt_ticket_get_by_external_id(db, "R-17", &t), BT_OK);
	CHECK(t && want && bt_ticket_id(t) == bt_ticket_id(want));
	CHECK_STR_EQ(bt_ticket_external_id(t), "R-17");
	bt_ticket_free(t);
	bt_ticket_free(want);
	CHECK_RC(bt_ticket_get_by_external_id(db, "42", &t), BT_OK);
	CHECK_STR_EQ(t ? bt_ticket_external_id(t) : "", "42");
	bt_ticket_free(t);
	CHECK_RC(bt_ticket_get_by_external_id(db, "R-18", &t), BT_ENOTFOUND);
	CHECK(t == NULL);
	CHECK_STR_CONTAINS(bt_error_message(), "no ticket has the external id \"R-18\"");
	CHECK_RC(bt_ticket_get_by_external_id(db, "", &t), BT_EINVALID);
	CHECK_RC(bt_ticket_get_by_external_id(db, NULL, &t), BT_EINVALID);
	CHECK_RC(bt_ticket_get_by_external_id(NULL, "R-17", &t), BT_EINVALID);
	CHECK_RC(bt_ticket_get_by_external_id(db, "R-17", NULL), BT_EINVALID);
	bt_close(db);
}

int main(void)
{
	RUN(test_legacy_fields);
	RUN(test_legacy_minimal);
	RUN(test_status_table);
	RUN(test_severity_priority);
	RUN(test_times);
	RUN(test_bad_inputs);
	RUN(test_all_or_nothing);
	RUN(test_idempotent);
	RUN(test_dry_run);
	RUN(test_dry_run_ids);
	RUN(test_unicode_and_control);
	RUN(test_redaction);
	RUN(test_huge_description);
	RUN(test_huge_array);
	RUN(test_nested_junk);
	RUN(test_export_records);
	RUN(test_arguments);
	RUN(test_readonly);
	RUN(test_get_by_external_id);
	return check_finish();
}
