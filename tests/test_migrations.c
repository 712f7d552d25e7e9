/*
 * test_migrations.c - the embedded migrations: the shape of a fresh schema,
 * rows surviving a later migration, and every refusal (newer schema, edited
 * migration, foreign database, failed migration).
 */
#include "check.h"
#include "db.h"
#include "store_sqlite.h"

/* Generated from migrations/ plus tests/migrations/ (see tests/meson.build). */
extern const bti_migration_set bti_test_migrations_next;   /* ... + 9001 */
extern const bti_migration_set bti_test_migrations_broken; /* ... + 9001 + 9002 */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *sql = NULL;

	if (sqlite3_open(path, &sql) != SQLITE_OK) {
		fprintf(stderr, "raw open %s failed\n", path);
		exit(2);
	}
	sqlite3_exec(sql, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	return sql;
}

static int raw_exec(sqlite3 *sql, const char *text)
{
	int rc = sqlite3_exec(sql, text, NULL, NULL, NULL);

	return rc == SQLITE_OK ? SQLITE_OK : sqlite3_extended_errcode(sql);
}

static const char *raw_text(sqlite3 *sql, const char *text)
{
	static char buf[256];
	sqlite3_stmt *st = NULL;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(sql, text, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0))
		snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

static void make_db(const char *path)
{
	bt_db *db = NULL;

	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	bt_close(db);
}

#define TICKET_COLS "INSERT INTO tickets (title, created_at, updated_at"

static void test_fresh_schema_tables(void)
{
	static const char *tables[] = { "schema_migrations", "tickets", "error_logs",
					"ticket_events", "fingerprint_aliases", "counters",
					"releases" };
	const char *path = check_path("fresh.db");
	sqlite3 *sql;
	size_t i;
	char q[256];

	make_db(path);
	sql = raw_open(path);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(q, sizeof(q), "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='%s'", tables[i]);
		CHECK(check_query_int(sql, q) == 1);
	}
	CHECK(check_query_int(sql, "SELECT count(*) FROM schema_migrations") == (long long)bti_sqlite_migrations.count);
	CHECK(strcmp(raw_text(sql, "SELECT name FROM schema_migrations WHERE version = 1"), "initial") == 0);
	CHECK(strlen(raw_text(sql, "SELECT checksum FROM schema_migrations WHERE version = 1")) == 64);
	CHECK(check_query_int(sql, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
	sqlite3_close(sql);
}

static void test_fresh_schema_foreign_keys(void)
{
	sqlite3 *sql;

	make_db(check_path("fk.db"));
	sql = raw_open(check_path("fk.db"));
	CHECK(check_query_int(sql, "SELECT count(*) FROM pragma_foreign_key_list('error_logs')"
		      " WHERE \"table\"='tickets' AND \"from\"='ticket_id' AND on_delete='CASCADE'") == 1);
	CHECK(check_query_int(sql, "SELECT count(*) FROM pragma_foreign_key_list('ticket_events')"
		      " WHERE \"table\"='tickets' AND \"from\"='ticket_id' AND on_delete='CASCADE'") == 1);
	CHECK(check_query_int(sql, "SELECT count(*) FROM pragma_foreign_key_list('fingerprint_aliases')"
		      " WHERE \"table\"='tickets' AND on_delete='CASCADE'") == 1);
	CHECK(check_query_int(sql, "SELECT count(*) FROM pragma_foreign_key_list('tickets')"
		      " WHERE \"from\"='duplicate_of' AND on_delete='SET NULL'") == 1);

	/* Enforced: an event for a missing ticket is refused. */
	CHECK(raw_exec(sql, "INSERT INTO ticket_events (ticket_id, actor, kind, created_at)"
		       " VALUES (999, 'x', 'note', 1)") == SQLITE_CONSTRAINT_FOREIGNKEY);
	/* Deleting a ticket takes its events and logs with it. */
	CHECK(raw_exec(sql, TICKET_COLS ") VALUES ('t', 1, 1)") == SQLITE_OK);
	CHECK(raw_exec(sql, "INSERT INTO ticket_events (ticket_id, actor, kind, created_at) VALUES (1, 'x', 'note', 1);"
		       "INSERT INTO error_logs (ticket_id, level, component, message, created_at) VALUES (1, 50, 'c', 'm', 1);"
		       "DELETE FROM tickets WHERE id = 1;") == SQLITE_OK);
	CHECK(check_query_int(sql, "SELECT count(*) FROM ticket_events") == 0);
	CHECK(check_query_int(sql, "SELECT count(*) FROM error_logs") == 0);
	sqlite3_close(sql);
}

static void test_fresh_schema_unique(void)
{
	sqlite3 *sql;

	make_db(check_path("uniq.db"));
	sql = raw_open(check_path("uniq.db"));
	/* Numbers are sequential and never reused, even after a delete. */
	CHECK(raw_exec(sql, TICKET_COLS ") VALUES ('a', 1, 1)") == SQLITE_OK);
	CHECK(strcmp(raw_text(sql, "SELECT number FROM tickets WHERE id = 1"), "BUG-00001") == 0);
	CHECK(raw_exec(sql, "DELETE FROM tickets") == SQLITE_OK);
	CHECK(raw_exec(sql, TICKET_COLS ") VALUES ('b', 1, 1)") == SQLITE_OK);
	CHECK(strcmp(raw_text(sql, "SELECT number FROM tickets"), "BUG-00002") == 0);
	CHECK(check_query_int(sql, "SELECT count(*) FROM pragma_index_list('tickets') WHERE name='tickets_number' AND \"unique\"") == 1);

	/* One active ticket per fingerprint; retired ones may share it. */
	CHECK(raw_exec(sql, TICKET_COLS ", fingerprint) VALUES ('c', 1, 1, 'fp1')") == SQLITE_OK);
	CHECK(raw_exec(sql, TICKET_COLS ", fingerprint) VALUES ('d', 1, 1, 'fp1')") == SQLITE_CONSTRAINT_UNIQUE);
	CHECK(raw_exec(sql, TICKET_COLS ", fingerprint, dedup_active) VALUES ('e', 1, 1, 'fp1', 0)") == SQLITE_OK);
	/* A legacy report id is imported once. */
	CHECK(raw_exec(sql, TICKET_COLS ", external_id) VALUES ('f', 1, 1, 'r-1')") == SQLITE_OK);
	CHECK(raw_exec(sql, TICKET_COLS ", external_id) VALUES ('g', 1, 1, 'r-1')") == SQLITE_CONSTRAINT_UNIQUE);
	CHECK(raw_exec(sql, "INSERT INTO fingerprint_aliases VALUES ('fpx', 2, 1);") == SQLITE_OK);
	CHECK(raw_exec(sql, "INSERT INTO fingerprint_aliases VALUES ('fpx', 3, 1);") == SQLITE_CONSTRAINT_PRIMARYKEY);
	sqlite3_close(sql);
}

static void test_fresh_schema_checks(void)
{
	/* Each statement breaks exactly one CHECK constraint. */
	static const char *bad[] = {
		TICKET_COLS ", severity) VALUES ('t', 1, 1, 'bogus')",
		TICKET_COLS ", priority) VALUES ('t', 1, 1, 'bogus')",
		TICKET_COLS ", status) VALUES ('t', 1, 1, 'open')",
		TICKET_COLS ", source) VALUES ('t', 1, 1, 'robot')",
		TICKET_COLS ", dedup_active) VALUES ('t', 1, 1, 2)",
		TICKET_COLS ", occurrence_count) VALUES ('t', 1, 1, -1)",
		TICKET_COLS ", regression_count) VALUES ('t', 1, 1, -1)",
		TICKET_COLS ", automation_attempts) VALUES ('t', 1, 1, -1)",
		TICKET_COLS ", version) VALUES ('t', 1, 1, 0)",
		TICKET_COLS ", context) VALUES ('t', 1, 1, '{not json')",
		TICKET_COLS ", claimed_by) VALUES ('t', 1, 1, 'agent:x')",
		TICKET_COLS ", claimed_by, claim_token) VALUES ('t', 1, 1, 'agent:x', 'tok')",
		TICKET_COLS ", first_occurred_at, last_occurred_at) VALUES ('t', 1, 1, 10, 5)",
		TICKET_COLS ") VALUES ('t', 5, 1)",
		TICKET_COLS ") VALUES ('', 1, 1)",
		"INSERT INTO error_logs (level, component, message, created_at) VALUES (35, 'c', 'm', 1)",
		"INSERT INTO error_logs (level, component, message, created_at, context) VALUES (50, 'c', 'm', 1, '[')",
		"INSERT INTO error_logs (level, component, message, created_at, line) VALUES (50, 'c', 'm', 1, -3)",
		"INSERT INTO ticket_events (ticket_id, actor, kind, created_at) VALUES (1, 'x', 'exploded', 1)",
	};
	static const char *good[] = {
		TICKET_COLS ", severity, priority, status, source) VALUES ('t', 1, 1, 'critical', 'urgent', 'awaiting_verification', 'agent')",
		TICKET_COLS ", claimed_by, claim_token, claim_expires_at, context) VALUES ('t', 1, 1, 'agent:x', 'tok', 9, '{\"a\":1}')",
		"INSERT INTO error_logs (level, component, message, created_at) VALUES (10, 'c', 'm', 1)",
		"INSERT INTO ticket_events (ticket_id, actor, kind, created_at) VALUES (1, 'x', 'regressed', 1)",
	};
	sqlite3 *sql;
	size_t i;

	make_db(check_path("checks.db"));
	sql = raw_open(check_path("checks.db"));
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = raw_exec(sql, good[i]);
		if (rc != SQLITE_OK)
			fprintf(stderr, "refused: %s: %s\n", good[i], sqlite3_errmsg(sql));
		CHECK(rc == SQLITE_OK);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = raw_exec(sql, bad[i]);
		if (rc != SQLITE_CONSTRAINT_CHECK)
			fprintf(stderr, "not refused by a CHECK (%d): %s\n", rc, bad[i]);
		CHECK(rc == SQLITE_CONSTRAINT_CHECK);
	}
	sqlite3_close(sql);
}

static void test_rows_survive_later_migration(void)
{
	const char *path = check_path("upgrade.db");
	bt_db *db = NULL;
	sqlite3 *sql;
	int current = 0, latest = 0;

	make_db(path);
	sql = raw_open(path);
	CHECK(raw_exec(sql,
		TICKET_COLS ", fingerprint, severity, context) VALUES ('kept', 11, 12, 'fp', 'high', '{\"k\":[1,2]}');"
		"INSERT INTO error_logs (ticket_id, level, component, message, created_at) VALUES (1, 50, 'net', 'm1', 13);"
		"INSERT INTO ticket_events (ticket_id, actor, kind, note, created_at) VALUES (1, 'user:a', 'note', 'n', 14);"
		"INSERT INTO fingerprint_aliases VALUES ('fp-old', 1, 15);"
		"INSERT INTO counters VALUES ('dropped', 3, 16);") == SQLITE_OK);
	sqlite3_close(sql);

	CHECK_RC(bti_db_open(&db, path, NULL, &bti_test_migrations_next), BT_OK);
	CHECK_RC(bt_schema_version_get(db, &current, &latest), BT_OK);
	CHECK(current == 9001 && latest == 9001);
	/* The handle lists the set it was opened with; without a handle, a
	 * database file's (the SQLite backend's own). */
	CHECK_INT_EQ(bt_migration_count(db), (int)bti_test_migrations_next.count);
	CHECK_INT_EQ(bt_migration_count(NULL), (int)bti_sqlite_migrations.count);
	bt_close(db);

	sql = raw_open(path);
	CHECK(strcmp(raw_text(sql, "SELECT title || '|' || number || '|' || fingerprint || '|' || severity"
			       " || '|' || context || '|' || test_label FROM tickets"),
		     "kept|BUG-00001|fp|high|{\"k\":[1,2]}|unlabelled") == 0);
	CHECK(strcmp(raw_text(sql, "SELECT component || message || created_at FROM error_logs WHERE ticket_id = 1"), "netm113") == 0);
	CHECK(strcmp(raw_text(sql, "SELECT actor || note FROM ticket_events WHERE ticket_id = 1"), "user:an") == 0);
	CHECK(check_query_int(sql, "SELECT ticket_id FROM fingerprint_aliases WHERE fingerprint = 'fp-old'") == 1);
	CHECK(check_query_int(sql, "SELECT value FROM counters WHERE name = 'dropped'") == 3);
	CHECK(check_query_int(sql, "SELECT count(*) FROM schema_migrations") == (long long)bti_test_migrations_next.count);
	sqlite3_close(sql);

	/* The released library now meets a newer schema, and refuses it. */
	CHECK_RC(bt_open(&db, path, NULL), BT_ESCHEMA);
	CHECK(db == NULL);
	CHECK_STR_CONTAINS(bt_error_message(), "9001");
	CHECK_STR_CONTAINS(bt_error_message(), "newer");
	{
		char latest_str[16];
		snprintf(latest_str, sizeof(latest_str), "library's %d",
			 bti_sqlite_migrations.items[bti_sqlite_migrations.count - 1].version);
		CHECK_STR_CONTAINS(bt_error_message(), latest_str);
	}
}

/* 0007 rebuilds ticket_events with AUTOINCREMENT: a database at schema 6
 * keeps every event and its id, its indexes, and gives no id twice after. */
static void test_event_ids_survive_0007(void)
{
	const char *path = check_path("events6.db");
	bti_migration_set six = bti_sqlite_migrations;
	bt_update_options o = BT_UPDATE_OPTIONS_INIT;
	bt_db *db = NULL;
	sqlite3 *sql;

	while (six.count && six.items[six.count - 1].version >= 7)
		six.count--;
	CHECK_INT_EQ(six.items[six.count - 1].version, 6);
	CHECK_RC(bti_db_open(&db, path, NULL, &six), BT_OK);
	bt_close(db);
	sql = raw_open(path);
	CHECK(raw_exec(sql,
		TICKET_COLS ", fingerprint, severity) VALUES ('kept', 11, 12, 'fp', 'high');"
		"INSERT INTO ticket_events (id, ticket_id, actor, kind, note, created_at)"
		" VALUES (5, 1, 'user:a', 'note', 'five', 14), (40, 1, 'user:a', 'note', 'forty', 15);") == SQLITE_OK);
	CHECK(check_query_int(sql, "SELECT count(*) FROM sqlite_sequence WHERE name = 'ticket_events'") == 0);
	sqlite3_close(sql);

	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	o.actor = "user:b";
	CHECK_RC(bt_ticket_note(db, 1, "after", &o), BT_OK);
	bt_close(db);
	sql = raw_open(path);
	CHECK(strcmp(raw_text(sql, "SELECT group_concat(id || ':' || note, ',') FROM"
			       " (SELECT id, note FROM ticket_events ORDER BY id)"), "5:five,40:forty,41:after") == 0);
	CHECK(check_query_int(sql, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
			      " AND tbl_name = 'ticket_events' AND name LIKE 'ticket_events_%'") == 2);
	/* The newest deleted, the next id is still past it. */
	CHECK(raw_exec(sql, "DELETE FROM ticket_events WHERE id = 41") == SQLITE_OK);
	CHECK(raw_exec(sql, "INSERT INTO ticket_events (ticket_id, actor, kind, created_at)"
			    " VALUES (1, 'user:c', 'note', 16)") == SQLITE_OK);
	CHECK(check_query_int(sql, "SELECT max(id) FROM ticket_events") == 42);
	sqlite3_close(sql);
}

static void test_checksum_mismatch(void)
{
	const char *path = check_path("edited.db");
	bt_db *db = NULL;
	sqlite3 *sql;

	make_db(path);
	sql = raw_open(path);
	CHECK(raw_exec(sql, "UPDATE schema_migrations SET checksum = "
		       "'0000000000000000000000000000000000000000000000000000000000000000' WHERE version = 1") == SQLITE_OK);
	sqlite3_close(sql);
	CHECK_RC(bt_open(&db, path, NULL), BT_ESCHEMA);
	CHECK(db == NULL);
	CHECK_STR_CONTAINS(bt_error_message(), "checksum");
	CHECK_STR_CONTAINS(bt_error_message(), "0001_initial");
}

static void test_missing_record(void)
{
	const char *path = check_path("gap.db");
	bt_db *db = NULL;
	sqlite3 *sql;

	CHECK_RC(bti_db_open(&db, path, NULL, &bti_test_migrations_next), BT_OK);
	bt_close(db);
	sql = raw_open(path);
	CHECK(raw_exec(sql, "DELETE FROM schema_migrations WHERE version = 1") == SQLITE_OK);
	sqlite3_close(sql);
	CHECK_RC(bti_db_open(&db, path, NULL, &bti_test_migrations_next), BT_ESCHEMA);
	CHECK_STR_CONTAINS(bt_error_message(), "but not 0001");
}

static void test_foreign_database(void)
{
	const char *path = check_path("foreign.db");
	bt_db *db = NULL;
	sqlite3 *sql = raw_open(path);

	CHECK(raw_exec(sql, "CREATE TABLE inventory (sku TEXT); INSERT INTO inventory VALUES ('x')") == SQLITE_OK);
	sqlite3_close(sql);
	CHECK_RC(bt_open(&db, path, NULL), BT_ESCHEMA);
	CHECK_STR_CONTAINS(bt_error_message(), "not a bugtrack database");
	sql = raw_open(path);
	CHECK(check_query_int(sql, "SELECT count(*) FROM sqlite_master") == 1);
	CHECK(check_query_int(sql, "SELECT count(*) FROM inventory") == 1);
	sqlite3_close(sql);
}

static void test_no_migrate_and_read_only(void)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;
	int current = -1, latest = -1;

	check_write_file(check_path("empty.db"), "", 0);
	opts.flags = BT_OPEN_READONLY;
	CHECK_RC(bt_open(&db, check_path("empty.db"), &opts), BT_ESCHEMA);
	CHECK_STR_CONTAINS(bt_error_message(), "older");

	opts.flags = BT_OPEN_NO_MIGRATE;
	CHECK_RC(bt_open(&db, check_path("empty.db"), &opts), BT_OK);
	CHECK_RC(bt_schema_version_get(db, &current, &latest), BT_OK);
	CHECK(current == 0 && latest == bti_sqlite_migrations.items[bti_sqlite_migrations.count - 1].version);
	CHECK_RC(bt_migrate(db), BT_OK);
	CHECK_RC(bt_schema_version_get(db, &current, &latest), BT_OK);
	CHECK(current == latest && current >= 1);
	CHECK_RC(bt_migrate(db), BT_OK); /* idempotent */
	bt_close(db);

	opts.flags = BT_OPEN_READONLY;
	CHECK_RC(bt_open(&db, check_path("empty.db"), &opts), BT_OK);
	bt_close(db);
}

static void test_failed_migration_rolls_back(void)
{
	const char *path = check_path("broken.db");
	bt_db *db = NULL;
	sqlite3 *sql;

	make_db(path);
	CHECK_RC(bti_db_open(&db, path, NULL, &bti_test_migrations_broken), BT_EINTERNAL);
	CHECK(db == NULL);
	CHECK_STR_CONTAINS(bt_error_message(), "9002_test_broken");
	CHECK_STR_CONTAINS(bt_error_message(), "no_such_table");
	sql = raw_open(path);
	/* 9001 committed on its own; nothing of 9002 remains. */
	CHECK(check_query_int(sql, "SELECT max(version) FROM schema_migrations") == 9001);
	CHECK(check_query_int(sql, "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'") == 0);
	CHECK(check_query_int(sql, "SELECT count(*) FROM sqlite_master WHERE name = 'test_only'") == 1);
	sqlite3_close(sql);
}

int main(void)
{
	RUN(test_fresh_schema_tables);
	RUN(test_fresh_schema_foreign_keys);
	RUN(test_fresh_schema_unique);
	RUN(test_fresh_schema_checks);
	RUN(test_rows_survive_later_migration);
	RUN(test_event_ids_survive_0007);
	RUN(test_checksum_mismatch);
	RUN(test_missing_record);
	RUN(test_foreign_database);
	RUN(test_no_migrate_and_read_only);
	RUN(test_failed_migration_rolls_back);
	return check_finish();
}
