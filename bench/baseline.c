/*
 * baseline.c - the Python tracker's SQL, per critical error (baseline.h).
 */
#include "baseline.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define DAY_MS ((int64_t)24 * 60 * 60 * 1000)

static const char BASE_SCHEMA[] =
	"CREATE TABLE bugs ("
	" id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL, title TEXT NOT NULL,"
	" component TEXT, severity TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'new',"
	" error_message TEXT, occurrence_count INTEGER NOT NULL DEFAULT 1,"
	" first_occurred_at INTEGER NOT NULL, last_occurred_at INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX bugs_fingerprint ON bugs (fingerprint);"
	"CREATE TABLE logs ("
	" id INTEGER PRIMARY KEY, bug_id INTEGER, level INTEGER NOT NULL,"
	" component TEXT NOT NULL, message TEXT NOT NULL, message_template TEXT,"
	" fingerprint TEXT, file TEXT, line INTEGER, function TEXT, host TEXT,"
	" pid INTEGER, created_at INTEGER NOT NULL);"
	/* One index where libbugtrack's error_logs has four: fair to the baseline. */
	"CREATE INDEX logs_bug ON logs (bug_id, created_at);";

static const char BASE_FIND[] =
	"SELECT id FROM bugs WHERE fingerprint = ?1 AND created_at > ?2";
static const char BASE_BUMP[] =
	"UPDATE bugs SET occurrence_count = occurrence_count + 1, last_occurred_at = ?1"
	" WHERE id = ?2";
static const char BASE_ADD_BUG[] =
	"INSERT INTO bugs (fingerprint, title, component, severity, error_message,"
	" first_occurred_at, last_occurred_at, created_at)"
	" VALUES (?1, ?2, ?3, 'critical', ?4, ?5, ?5, ?5)";
static const char BASE_ADD_LOG[] =
	"INSERT INTO logs (bug_id, level, component, message, message_template, fingerprint,"
	" file, line, function, host, pid, created_at)"
	" VALUES (?1, 50, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/* The same pragmas libbugtrack sets, read back so the header holds. */
static int base_pragmas(sqlite3 *sql)
{
	sqlite3_stmt *stmt;
	int64_t sync;
	int rc, wal;

	if (sqlite3_busy_timeout(sql, BENCH_BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(sql, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sql, "PRAGMA journal_mode=WAL", -1, &stmt, NULL) != SQLITE_OK)
		return bench_sql_fail(sql, "baseline pragmas");
	rc = sqlite3_step(stmt);
	wal = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(stmt, 0), "wal") == 0;
	if (sqlite3_finalize(stmt) != SQLITE_OK || rc != SQLITE_ROW)
		return bench_sql_fail(sql, "PRAGMA journal_mode=WAL");
	if (bench_sql_int(sql, "PRAGMA synchronous", &sync) != 0)
		return -1;
	if (!wal || sync != 1) {
		fprintf(stderr, "%s: baseline is not WAL with synchronous=NORMAL\n", bench_prog);
		return -1;
	}
	return 0;
}

static int base_connect(const char *path, sqlite3 **out)
{
	int rc = sqlite3_open_v2(path, out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	if (rc != SQLITE_OK) {
		bench_sql_fail(*out, path);
		sqlite3_close(*out);
		*out = NULL;
		return -1;
	}
	if (base_pragmas(*out) != 0) {
		sqlite3_close(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int base_create(const char *path)
{
	sqlite3 *sql;
	int rc;

	if (base_connect(path, &sql) != 0)
		return -1;
	rc = sqlite3_exec(sql, BASE_SCHEMA, NULL, NULL, NULL) == SQLITE_OK ? 0
		: bench_sql_fail(sql, "creating the baseline schema");
	if (sqlite3_close(sql) != SQLITE_OK)
		rc = bench_sql_fail(sql, "closing the baseline");
	return rc;
}

void base_close(base_conn *c)
{
	/* finalize(NULL) is a no-op, so a half-opened connection closes too. */
	sqlite3_finalize(c->find);
	sqlite3_finalize(c->bump);
	sqlite3_finalize(c->add_bug);
	sqlite3_finalize(c->add_log);
	c->find = c->bump = c->add_bug = c->add_log = NULL;
	if (c->sql && sqlite3_close(c->sql) != SQLITE_OK)
		bench_sql_fail(c->sql, "closing a baseline connection");
	c->sql = NULL;
}

int base_open(base_conn *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	if (base_connect(path, &c->sql) != 0)
		return -1;
	if (sqlite3_prepare_v2(c->sql, BASE_FIND, -1, &c->find, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->sql, BASE_BUMP, -1, &c->bump, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->sql, BASE_ADD_BUG, -1, &c->add_bug, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->sql, BASE_ADD_LOG, -1, &c->add_log, NULL) != SQLITE_OK) {
		bench_sql_fail(c->sql, "preparing the baseline statements");
		base_close(c);
		return -1;
	}
	if (gethostname(c->host, sizeof(c->host)) != 0)
		snprintf(c->host, sizeof(c->host), "localhost");
	c->host[sizeof(c->host) - 1] = '\0';
	return 0;
}

/* Step a statement that returns no row, and reset it for the next call. */
static int step_done(sqlite3 *sql, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt);

	if (sqlite3_reset(stmt) != SQLITE_OK || rc != SQLITE_DONE)
		return bench_sql_fail(sql, what);
	return 0;
}

/* (a) a similar bug in the last 24 hours.  Reset at once: in autocommit
 * mode that ends the read transaction before the write, as in Python. */
static int base_find(base_conn *c, const char *fingerprint, int64_t now, int64_t *bug_id)
{
	int rc;

	*bug_id = 0;
	if (sqlite3_bind_text(c->find, 1, fingerprint, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(c->find, 2, now - DAY_MS) != SQLITE_OK)
		return bench_sql_fail(c->sql, "binding the baseline SELECT");
	rc = sqlite3_step(c->find);
	if (rc == SQLITE_ROW)
		*bug_id = sqlite3_column_int64(c->find, 0);
	if (sqlite3_reset(c->find) != SQLITE_OK || (rc != SQLITE_ROW && rc != SQLITE_DONE))
		return bench_sql_fail(c->sql, "baseline SELECT");
	return 0;
}

/* (b) count one more occurrence, or file the bug. */
static int base_land(base_conn *c, const base_error *e, const char *message, int64_t now,
		     int64_t *bug_id)
{
	if (*bug_id) {
		if (sqlite3_bind_int64(c->bump, 1, now) != SQLITE_OK ||
		    sqlite3_bind_int64(c->bump, 2, *bug_id) != SQLITE_OK)
			return bench_sql_fail(c->sql, "binding the baseline UPDATE");
		return step_done(c->sql, c->bump, "baseline UPDATE");
	}
	if (sqlite3_bind_text(c->add_bug, 1, e->fingerprint, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(c->add_bug, 2, e->title, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(c->add_bug, 3, e->component, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(c->add_bug, 4, message, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(c->add_bug, 5, now) != SQLITE_OK)
		return bench_sql_fail(c->sql, "binding the baseline INSERT INTO bugs");
	if (step_done(c->sql, c->add_bug, "baseline INSERT INTO bugs") != 0)
		return -1;
	*bug_id = sqlite3_last_insert_rowid(c->sql);
	return 0;
}

/* (c) the log row. */
static int base_log(base_conn *c, const base_error *e, const char *message, int64_t now,
		    int64_t bug_id)
{
	sqlite3_stmt *s = c->add_log;

	if (sqlite3_bind_int64(s, 1, bug_id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, e->component, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, message, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, e->template_, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 5, e->fingerprint, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 6, e->file, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(s, 7, e->line) != SQLITE_OK ||
	    sqlite3_bind_text(s, 8, e->function, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 9, c->host, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 10, (int64_t)getpid()) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 11, now) != SQLITE_OK)
		return bench_sql_fail(c->sql, "binding the baseline INSERT INTO logs");
	return step_done(c->sql, s, "baseline INSERT INTO logs");
}

int base_record(base_conn *c, const base_error *e, const char *message, int64_t *bug_out)
{
	int64_t now = bench_wall_ms(), bug_id;

	if (base_find(c, e->fingerprint, now, &bug_id) != 0 ||
	    base_land(c, e, message, now, &bug_id) != 0 ||
	    base_log(c, e, message, now, bug_id) != 0)
		return -1;
	if (bug_out)
		*bug_out = bug_id;
	return 0;
}
