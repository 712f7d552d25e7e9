/*
 * test_admin.c - what `bugtrack migrate list|stamp` and `bugtrack doctor`
 * stand on: the listing of embedded migrations, telling what a file is,
 * stamping a database built before migrations were tracked (and refusing
 * one whose tables differ), and the health check (a clean database, each
 * kind of orphan, an edited migration, an old or untracked schema).
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "store_sqlite.h"

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *sql = NULL;

	if (sqlite3_open(path, &sql) != SQLITE_OK) {
		fprintf(stderr, "raw open %s failed\n", path);
		exit(2);
	}
	return sql;
}

static void raw_exec(const char *path, const char *text)
{
	sqlite3 *sql = raw_open(path);
	int rc = sqlite3_exec(sql, text, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		fprintf(stderr, "raw exec failed: %s: %s\n", text, sqlite3_errmsg(sql));
	CHECK(rc == SQLITE_OK);
	sqlite3_close(sql);
}

static long long raw_int(const char *path, const char *text)
{
	sqlite3 *sql = raw_open(path);
	long long v = check_query_int(sql, text);

	sqlite3_close(sql);
	return v;
}

static int latest(void)
{
	return bti_sqlite_migrations.items[bti_sqlite_migrations.count - 1].version;
}

static void make_db(const char *path)
{
	bt_db *db = NULL;

	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	bt_close(db);
}

/* A database as bugtrack built it before migrations were tracked: the
 * tables of the migrations up to @version, and no schema_migrations. */
static void make_untracked(const char *path, int version)
{
	size_t i;

	for (i = 0; i < bti_sqlite_migrations.count; i++)
		if (bti_sqlite_migrations.items[i].version <= version)
			raw_exec(path, bti_sqlite_migrations.items[i].sql);
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* ---- listing ---- */

static void test_migration_listing(void)
{
	bt_migration_info mi = BT_MIGRATION_INFO_INIT;
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	const char *path = check_path("list.db");
	bt_db *db = NULL;
	int i, n = bt_migration_count(NULL);

	CHECK(n == (int)bti_sqlite_migrations.count && n >= 3);
	for (i = 0; i < n; i++) {
		const bti_migration *m = &bti_sqlite_migrations.items[i];

		CHECK_RC(bt_migration_info_get(NULL, i, &mi), BT_OK);
		CHECK(mi.schema_version == m->version);
		CHECK(strcmp(mi.name, m->name) == 0);
		CHECK(strcmp(mi.checksum, m->checksum) == 0 && strlen(mi.checksum) == 64);
		CHECK(mi.applied == 0 && mi.applied_at == 0);
		CHECK(i == 0 || mi.schema_version > bti_sqlite_migrations.items[i - 1].version);
	}
	CHECK(strcmp(bti_sqlite_migrations.items[0].name, "initial") == 0);

	/* A database opened without migrating has applied none; after
	 * bt_migrate, all of them, each with its time. */
	o.flags = BT_OPEN_NO_MIGRATE;
	CHECK_RC(bt_open(&db, path, &o), BT_OK);
	CHECK_RC(bt_migration_info_get(db, 0, &mi), BT_OK);
	CHECK(mi.applied == 0);
	CHECK_RC(bt_migrate(db), BT_OK);
	for (i = 0; i < n; i++) {
		CHECK_RC(bt_migration_info_get(db, i, &mi), BT_OK);
		CHECK(mi.applied == 1 && mi.applied_at > 1700000000000LL);
	}
	CHECK(raw_int(path, "SELECT count(*) FROM schema_migrations") == n);

	CHECK_RC(bt_migration_info_get(db, n, &mi), BT_EINVALID);
	CHECK_RC(bt_migration_info_get(db, -1, &mi), BT_EINVALID);
	CHECK_RC(bt_migration_info_get(db, 0, NULL), BT_EINVALID);
	mi.version = 0;
	CHECK_RC(bt_migration_info_get(db, 0, &mi), BT_EINVALID);
	mi.version = BT_MIGRATION_INFO_VERSION + 1;
	CHECK_RC(bt_migration_info_get(db, 0, &mi), BT_EINVALID);
	bt_close(db);
}

/* ---- identify ---- */

static void test_identify(void)
{
	bt_db_kind kind = (bt_db_kind)0;

	make_db(check_path("id_tracked.db"));
	CHECK_RC(bt_db_identify(check_path("id_tracked.db"), &kind), BT_OK);
	CHECK(kind == BT_DB_TRACKED);

	make_untracked(check_path("id_untracked.db"), 1);
	CHECK_RC(bt_db_identify(check_path("id_untracked.db"), &kind), BT_OK);
	CHECK(kind == BT_DB_UNTRACKED);

	raw_exec(check_path("id_foreign.db"), "CREATE TABLE inventory (sku TEXT)");
	CHECK_RC(bt_db_identify(check_path("id_foreign.db"), &kind), BT_OK);
	CHECK(kind == BT_DB_FOREIGN);

	check_write_file(check_path("id_empty.db"), "", 0);
	CHECK_RC(bt_db_identify(check_path("id_empty.db"), &kind), BT_OK);
	CHECK(kind == BT_DB_EMPTY);

	check_write_file(check_path("id_text.txt"), "hello, not a database\n", 22);
	CHECK_RC(bt_db_identify(check_path("id_text.txt"), &kind), BT_OK);
	CHECK(kind == BT_DB_UNRECOGNIZED);

	/* A SQLite header on garbage is a damaged database, not "other". */
	check_write_file(check_path("id_bad.db"), "SQLite format 3\0garbagegarbagegarbage", 37);
	CHECK_RC(bt_db_identify(check_path("id_bad.db"), &kind), BT_ECORRUPT);
	CHECK_STR_CONTAINS(bt_error_message(), "id_bad.db");

	CHECK_RC(bt_db_identify(check_path("id_missing.db"), &kind), BT_ENOTFOUND);
	CHECK(!exists(check_path("id_missing.db")));
	CHECK_RC(bt_db_identify(check_tmpdir(), &kind), BT_ECANTOPEN);
	CHECK_RC(bt_db_identify(NULL, &kind), BT_EINVALID);
	CHECK_RC(bt_db_identify(check_path("id_tracked.db"), NULL), BT_EINVALID);
}

/* ---- stamp ---- */

static void test_stamp_untracked(void)
{
	const char *path = check_path("stamp.db");
	bt_db_kind kind;
	bt_db *db = NULL;
	int v = -1, current = 0;

	/* Open with the library, then forget the record: an untracked
	 * database at the latest version, which bt_open refuses. */
	make_db(path);
	raw_exec(path, "INSERT INTO counters VALUES ('kept', 7, 1); DROP TABLE schema_migrations");
	CHECK_RC(bt_open(&db, path, NULL), BT_ESCHEMA);
	CHECK_STR_CONTAINS(bt_error_message(), "migrate stamp");

	/* A dry run finds the version and changes nothing. */
	CHECK_RC(bt_schema_stamp(path, 0, BT_STAMP_DRY_RUN, &v), BT_OK);
	CHECK(v == latest());
	CHECK_RC(bt_db_identify(path, &kind), BT_OK);
	CHECK(kind == BT_DB_UNTRACKED);

	v = -1;
	CHECK_RC(bt_schema_stamp(path, 0, 0, &v), BT_OK);
	CHECK(v == latest());
	CHECK(raw_int(path, "SELECT count(*) FROM schema_migrations") == (long long)bti_sqlite_migrations.count);
	CHECK(raw_int(path, "SELECT value FROM counters WHERE name = 'kept'") == 7);
	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	CHECK_RC(bt_schema_version_get(db, &current, NULL), BT_OK);
	CHECK(current == latest());
	bt_close(db);

	/* Stamping a tracked database changes nothing and says where it is. */
	v = -1;
	CHECK_RC(bt_schema_stamp(path, 0, 0, &v), BT_ESTATE);
	CHECK(v == latest());
	CHECK_STR_CONTAINS(bt_error_message(), "already records");
}

static void test_stamp_older_version(void)
{
	const char *path = check_path("stamp_v1.db");
	bt_db *db = NULL;
	int v = -1, current = 0;

	make_untracked(path, 1);
	/* Version 1's tables do not match any later version. */
	CHECK_RC(bt_schema_stamp(path, latest(), BT_STAMP_DRY_RUN, &v), BT_ESCHEMA);
	CHECK_STR_CONTAINS(bt_error_message(), "does not match");
	CHECK_RC(bt_schema_stamp(path, 0, 0, &v), BT_OK);
	CHECK(v == 1);
	CHECK(raw_int(path, "SELECT max(version) FROM schema_migrations") == 1);
	/* Now bt_open applies the later migrations to it. */
	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	CHECK_RC(bt_schema_version_get(db, &current, NULL), BT_OK);
	CHECK(current == latest());
	bt_close(db);
}

static void test_stamp_refuses_missing_column(void)
{
	const char *path = check_path("stamp_bad.db");
	int v = -1;

	make_db(path);
	raw_exec(path, "DROP TABLE schema_migrations; ALTER TABLE error_logs DROP COLUMN host");
	CHECK_RC(bt_schema_stamp(path, 0, 0, &v), BT_ESCHEMA);
	CHECK_STR_CONTAINS(bt_error_message(), "matches no schema version");
	CHECK_STR_CONTAINS(bt_error_message(), "table error_logs lacks column host");
	CHECK_RC(bt_schema_stamp(path, latest(), 0, &v), BT_ESCHEMA);
	CHECK_STR_CONTAINS(bt_error_message(), "error_logs lacks column host");
	CHECK(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'") == 0);

	/* An extra column, and a column of another type, are refused too. */
	make_db(check_path("stamp_extra.db"));
	raw_exec(check_path("stamp_extra.db"),
		 "DROP TABLE schema_migrations; ALTER TABLE tickets ADD COLUMN mood TEXT");
	CHECK_RC(bt_schema_stamp(check_path("stamp_extra.db"), 0, 0, &v), BT_ESCHEMA);
	CHECK_STR_CONTAINS(bt_error_message(), "table tickets has column mood");

	raw_exec(check_path("stamp_type.db"), bti_sqlite_migrations.items[0].sql);
	raw_exec(check_path("stamp_type.db"),
		 "DROP TABLE counters; CREATE TABLE counters (name TEXT PRIMARY KEY,"
		 " value REAL NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL) WITHOUT ROWID");
	CHECK_RC(bt_schema_stamp(check_path("stamp_type.db"), 1, 0, &v), BT_ESCHEMA);
	CHECK_STR_CONTAINS(bt_error_message(), "column value");
}

static void test_stamp_bad_input(void)
{
	int v = 0;

	make_untracked(check_path("stamp_in.db"), 1);
	CHECK_RC(bt_schema_stamp(check_path("stamp_in.db"), 9999, 0, &v), BT_EINVALID);
	CHECK_RC(bt_schema_stamp(check_path("stamp_in.db"), -1, 0, &v), BT_EINVALID);
	CHECK_RC(bt_schema_stamp(check_path("stamp_in.db"), 0, 0x80, &v), BT_EINVALID);
	CHECK_RC(bt_schema_stamp(check_path("stamp_missing.db"), 0, 0, &v), BT_ENOTFOUND);
	CHECK(!exists(check_path("stamp_missing.db")));
	check_write_file(check_path("stamp_empty.db"), "", 0);
	CHECK_RC(bt_schema_stamp(check_path("stamp_empty.db"), 0, 0, &v), BT_ESCHEMA);
	CHECK_STR_CONTAINS(bt_error_message(), "no tables");
	raw_exec(check_path("stamp_foreign.db"), "CREATE TABLE inventory (sku TEXT)");
	CHECK_RC(bt_schema_stamp(check_path("stamp_foreign.db"), 0, 0, &v), BT_ESCHEMA);
	CHECK_STR_CONTAINS(bt_error_message(), "not a bugtrack database");
	check_write_file(check_path("stamp_text.db"), "not sqlite at all, but long enough", 34);
	CHECK_RC(bt_schema_stamp(check_path("stamp_text.db"), 0, 0, &v), BT_ECORRUPT);

	/* A read-only file: a dry run works, a stamp is refused. */
	chmod(check_path("stamp_in.db"), 0400);
	if (access(check_path("stamp_in.db"), W_OK) != 0) { /* not when running as root */
		CHECK_RC(bt_schema_stamp(check_path("stamp_in.db"), 0, BT_STAMP_DRY_RUN, &v), BT_OK);
		CHECK_RC(bt_schema_stamp(check_path("stamp_in.db"), 0, 0, &v), BT_EREADONLY);
	}
	chmod(check_path("stamp_in.db"), 0600);
}

/* ---- doctor ---- */

typedef struct seen {
	int problems, counters;
	char names[512];
	int64_t counter_value;
	int advice_missing;
	char last_message[512];
	/* The SQLite backend's metrics; -1 until reported. */
	int64_t integrity_ok, foreign_key_violations, wal_bytes;
	int metrics;
} seen;

static void seen_reset(seen *s)
{
	memset(s, 0, sizeof(*s));
	s->integrity_ok = s->foreign_key_violations = s->wal_bytes = -1;
}

static void note_item(const bt_check_item *item, void *payload)
{
	seen *s = payload;
	size_t len = strlen(s->names);

	CHECK(item->version == BT_CHECK_ITEM_VERSION);
	if (item->kind == BT_CHECK_METRIC) {
		CHECK(item->message == NULL && item->advice == NULL && item->updated_at == 0);
		if (strcmp(item->name, "integrity_ok") == 0)
			s->integrity_ok = item->value;
		else if (strcmp(item->name, "foreign_key_violations") == 0)
			s->foreign_key_violations = item->value;
		else if (strcmp(item->name, "wal_bytes") == 0)
			s->wal_bytes = item->value;
		else if (strcmp(item->name, "file_bytes") == 0)
			CHECK(item->value >= 0);
		else if (strcmp(item->name, "free_bytes") == 0)
			CHECK(item->value >= 0);
		else
			CHECK(!"an unknown metric from the SQLite backend");
		s->metrics++;
		return;
	}
	snprintf(s->names + len, sizeof(s->names) - len, "%s,", item->name);
	if (item->kind == BT_CHECK_PROBLEM) {
		s->problems++;
		if (!item->message || !item->advice || !*item->advice)
			s->advice_missing++;
		else
			snprintf(s->last_message, sizeof(s->last_message), "%s", item->message);
	} else if (item->kind == BT_CHECK_COUNTER) {
		s->counters++;
		s->counter_value = item->value;
		CHECK(item->message == NULL && item->updated_at == 42);
	}
}

static void test_doctor_healthy(void)
{
	const char *path = check_path("healthy.db");
	bt_check_result r = BT_CHECK_RESULT_INIT;
	seen s;
	bt_db *db = NULL;

	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	CHECK_RC(bt_log(db, BT_CRITICAL, "db", "connection refused on %s", "orders"), BT_OK);
	CHECK_RC(bt_log(db, BT_INFO, "db", "just a line"), BT_OK);
	CHECK_RC(bt_flush(db, -1), BT_OK); /* what another connection reads */
	seen_reset(&s);
	CHECK_RC(bt_db_check(path, &r, note_item, &s), BT_OK); /* with the handle still open */
	bt_close(db);
	CHECK(r.problems == 0 && s.problems == 0);
	CHECK(s.integrity_ok == 1 && s.foreign_key_violations == 0 && s.metrics == 5);
	CHECK(r.tracked == 1 && r.schema_current == latest() && r.schema_latest == latest());
	CHECK(r.checksum_mismatches == 0);
	CHECK(r.tickets == 1 && r.error_logs == 2 && r.ticket_events == 1);
	CHECK(r.orphan_logs == 0 && r.orphan_events == 0 && r.orphan_aliases == 0 &&
	      r.dangling_duplicates == 0);
	CHECK(s.wal_bytes > 0); /* the handle was open: its WAL was there */

	/* Counters are passed on, whatever their name. */
	raw_exec(path, "INSERT INTO counters VALUES ('async_dropped', 17, 42)");
	seen_reset(&s);
	CHECK_RC(bt_db_check(path, &r, note_item, &s), BT_OK);
	CHECK(r.problems == 0 && s.counters == 1 && s.counter_value == 17);
	CHECK(strcmp(s.names, "async_dropped,") == 0);
	CHECK(s.wal_bytes == 0);
	/* Without a callback. */
	CHECK_RC(bt_db_check(path, &r, NULL, NULL), BT_OK);
	CHECK(r.problems == 0);
	/* The check leaves no -wal or -shm file behind. */
	CHECK(!exists(check_path("healthy.db-wal")) && !exists(check_path("healthy.db-shm")));
}

static void test_doctor_orphans(void)
{
	const char *path = check_path("orphans.db");
	bt_check_result r = BT_CHECK_RESULT_INIT;
	seen s;

	make_db(path);
	/* raw_open leaves foreign keys off, as any sqlite3 shell does. */
	raw_exec(path,
		 "INSERT INTO tickets (title, created_at, updated_at) VALUES ('t', 1, 1);"
		 "INSERT INTO error_logs (ticket_id, level, component, message, created_at)"
		 " VALUES (1, 50, 'c', 'fine', 1), (999, 50, 'c', 'orphan', 1), (NULL, 20, 'c', 'no ticket', 1);");
	seen_reset(&s);
	CHECK_RC(bt_db_check(path, &r, note_item, &s), BT_OK);
	CHECK(r.orphan_logs == 1 && r.error_logs == 3);
	CHECK(s.foreign_key_violations == 1);
	/* The orphan is one problem, not also a foreign-key one. */
	CHECK(r.problems == 1 && s.problems == 1 && s.advice_missing == 0);
	CHECK_STR_CONTAINS(s.names, "orphan_logs");

	raw_exec(path,
		 "INSERT INTO ticket_events (ticket_id, actor, kind, created_at) VALUES (998, 'x', 'note', 1);"
		 "INSERT INTO fingerprint_aliases VALUES ('fp', 997, 1);"
		 "INSERT INTO tickets (title, created_at, updated_at, duplicate_of) VALUES ('d', 1, 1, 996);");
	seen_reset(&s);
	CHECK_RC(bt_db_check(path, &r, note_item, &s), BT_OK);
	CHECK(r.orphan_events == 1 && r.orphan_aliases == 1 && r.dangling_duplicates == 1);
	CHECK(r.problems == 4 && s.problems == 4);
	CHECK(strcmp(s.names, "orphan_logs,orphan_events,orphan_aliases,dangling_duplicates,") == 0);
}

static void test_doctor_schema_problems(void)
{
	bt_check_result r = BT_CHECK_RESULT_INIT;
	bt_db *db = NULL;
	seen s;

	/* An edited migration: bt_open refuses it, the check names it. */
	make_db(check_path("edited.db"));
	raw_exec(check_path("edited.db"), "UPDATE schema_migrations SET checksum = 'abc' WHERE version = 1");
	CHECK_RC(bt_open(&db, check_path("edited.db"), NULL), BT_ESCHEMA);
	seen_reset(&s);
	CHECK_RC(bt_db_check(check_path("edited.db"), &r, note_item, &s), BT_OK);
	CHECK(r.checksum_mismatches == 1 && r.problems == 1);
	CHECK(strcmp(s.names, "checksum,") == 0);

	/* A migration this library does not have. */
	make_db(check_path("newer.db"));
	raw_exec(check_path("newer.db"), "INSERT INTO schema_migrations VALUES (9999, 'future', 'f', 1)");
	seen_reset(&s);
	CHECK_RC(bt_db_check(check_path("newer.db"), &r, note_item, &s), BT_OK);
	CHECK(r.checksum_mismatches == 1 && r.schema_current == 9999);
	CHECK(strcmp(s.names, "unknown_migration,") == 0);

	/* Pending migrations. */
	make_untracked(check_path("old.db"), 1);
	CHECK_RC(bt_schema_stamp(check_path("old.db"), 1, 0, NULL), BT_OK);
	seen_reset(&s);
	CHECK_RC(bt_db_check(check_path("old.db"), &r, note_item, &s), BT_OK);
	CHECK(r.schema_current == 1 && r.problems == 1 && strcmp(s.names, "pending,") == 0);

	/* Untracked, empty, and not bugtrack's. */
	make_untracked(check_path("untracked.db"), 1);
	seen_reset(&s);
	CHECK_RC(bt_db_check(check_path("untracked.db"), &r, note_item, &s), BT_OK);
	CHECK(r.tracked == 0 && strcmp(s.names, "untracked,") == 0 && r.tickets == 0);
	check_write_file(check_path("empty.db"), "", 0);
	seen_reset(&s);
	CHECK_RC(bt_db_check(check_path("empty.db"), &r, note_item, &s), BT_OK);
	CHECK(strcmp(s.names, "empty,") == 0 && r.tickets == -1);
	raw_exec(check_path("foreign.db"), "CREATE TABLE inventory (sku TEXT)");
	seen_reset(&s);
	CHECK_RC(bt_db_check(check_path("foreign.db"), &r, note_item, &s), BT_OK);
	CHECK(strcmp(s.names, "foreign,") == 0);
}

/* A process that keeps a read transaction open while another writes 40 MB:
 * no checkpoint can go past what it reads, and doctor says so, naming it
 * (the problem the issue found as a WAL of 3.4 GB).  Once it is gone, the
 * problem is too. */
static void test_doctor_wal_reader(void)
{
	const char *path = check_path("pinned.db");
	bt_check_result r = BT_CHECK_RESULT_INIT;
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	int ready[2], done[2], status = 0;
	char pid_text[32], c = 0;
	bt_db *db = NULL;
	seen s;
	pid_t pid;

	o.flags = BT_OPEN_SYNC;
	CHECK_RC(bt_open(&db, path, &o), BT_OK);
	CHECK_RC(bt_log(db, BT_CRITICAL, "db", "one ticket to read"), BT_OK);
	bt_close(db);
	CHECK(pipe(ready) == 0 && pipe(done) == 0);
	pid = fork();
	if (pid == 0) {
		sqlite3 *reader = NULL;
		int ok = sqlite3_open(path, &reader) == SQLITE_OK &&
			 sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM tickets", NULL, NULL,
				      NULL) == SQLITE_OK;

		close(ready[0]);
		close(done[1]);
		if (write(ready[1], ok ? "r" : "x", 1) != 1 || read(done[0], &c, 1) < 0)
			_exit(3);
		sqlite3_close(reader);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	CHECK(read(ready[0], &c, 1) == 1 && c == 'r');
	raw_exec(path, "BEGIN; CREATE TABLE junk(b);"
		       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)"
		       " INSERT INTO junk SELECT randomblob(4000) FROM n;"
		       "DROP TABLE junk; COMMIT");
	seen_reset(&s);
	CHECK_RC(bt_db_check(path, &r, note_item, &s), BT_OK);
	CHECK(r.problems == 1 && strcmp(s.names, "wal_reader,") == 0 && s.advice_missing == 0);
	CHECK(s.wal_bytes > 32 << 20);
	snprintf(pid_text, sizeof(pid_text), "process %ld ", (long)pid);
	CHECK(strstr(s.last_message, pid_text) != NULL);
	close(done[1]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ready[0]);
	seen_reset(&s);
	CHECK_RC(bt_db_check(path, &r, note_item, &s), BT_OK);
	CHECK(r.problems == 0 && s.problems == 0);
}

static void test_doctor_bad_input(void)
{
	bt_check_result r = BT_CHECK_RESULT_INIT;

	CHECK_RC(bt_db_check(check_path("nothing.db"), &r, NULL, NULL), BT_ENOTFOUND);
	CHECK(!exists(check_path("nothing.db")));
	CHECK_RC(bt_db_check(check_tmpdir(), &r, NULL, NULL), BT_ECANTOPEN);
	check_write_file(check_path("text.db"), "definitely not a SQLite database", 32);
	CHECK_RC(bt_db_check(check_path("text.db"), &r, NULL, NULL), BT_ECORRUPT);
	CHECK_STR_CONTAINS(bt_error_message(), "text.db");
	CHECK_RC(bt_db_check(check_path("text.db"), NULL, NULL, NULL), BT_EINVALID);
	r.version = 0;
	CHECK_RC(bt_db_check(check_path("text.db"), &r, NULL, NULL), BT_EINVALID);
	r.version = BT_CHECK_RESULT_VERSION + 1;
	CHECK_RC(bt_db_check(check_path("text.db"), &r, NULL, NULL), BT_EINVALID);
}

/* A damaged page: the integrity check reports it, and nothing else is
 * counted. */
static void test_doctor_corrupt(void)
{
	const char *path = check_path("corrupt.db");
	bt_check_result r = BT_CHECK_RESULT_INIT;
	bt_db *db = NULL;
	char page[4096];
	seen s;
	int i;
	FILE *f;

	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	for (i = 0; i < 200; i++)
		CHECK_RC(bt_log(db, BT_INFO, "filler", "line %d of some length to fill pages %064d", i, i), BT_OK);
	bt_close(db);
	memset(page, 0x5a, sizeof(page));
	f = fopen(path, "r+b");
	CHECK(f != NULL);
	if (!f)
		return;
	/* Trash the pages past the schema: error_logs' rows and indexes. */
	for (i = 6; i < 12; i++) {
		fseek(f, (long)i * 4096, SEEK_SET);
		fwrite(page, 1, sizeof(page), f);
	}
	fclose(f);
	seen_reset(&s);
	CHECK_RC(bt_db_check(path, &r, note_item, &s), BT_OK);
	/* Damage: the metric says so, and so does a problem; nothing past
	 * the integrity check is measured. */
	CHECK(s.integrity_ok == 0 && r.problems == 1);
	CHECK(s.foreign_key_violations == -1 && s.metrics == 2);
	CHECK(strcmp(s.names, "integrity,") == 0);
	CHECK(r.tickets == -1 && r.orphan_logs == -1);
}

int main(void)
{
	RUN(test_migration_listing);
	RUN(test_identify);
	RUN(test_stamp_untracked);
	RUN(test_stamp_older_version);
	RUN(test_stamp_refuses_missing_column);
	RUN(test_stamp_bad_input);
	RUN(test_doctor_healthy);
	RUN(test_doctor_orphans);
	RUN(test_doctor_schema_problems);
	RUN(test_doctor_wal_reader);
	RUN(test_doctor_bad_input);
	RUN(test_doctor_corrupt);
	return check_finish();
}
