/*
 * store/sqlite/migrate.c - schema migrations for the SQLite backend.
 *
 * The database records every applied migration in schema_migrations with the
 * checksum of its SQL.  The record must be a prefix of the library's embedded
 * list: a newer version means the database was written by a newer library,
 * and a different checksum means a released migration was edited.  Either is
 * refused rather than guessed at.
 *
 * Each migration runs in its own BEGIN IMMEDIATE transaction and re-reads the
 * record under that write lock, so concurrent openers of a fresh file apply
 * each migration exactly once.
 */
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"

static const char schema_table_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version    INTEGER PRIMARY KEY,"
	" name       TEXT    NOT NULL,"
	" checksum   TEXT    NOT NULL,"
	" applied_at INTEGER NOT NULL)";

int bti_sqlite_op_schema_latest(const bti_store *base)
{
	const bti_sqlite_store *st = (const bti_sqlite_store *)base;
	return bti_migration_latest(st->migrations);
}

/* One-row queries returning a single integer. */
static int query_int(bti_sqlite_store *st, const char *sql_text, int64_t *value_out)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(st->sql, sql_text, -1, &stmt, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*value_out = sqlite3_column_int64(stmt, 0);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		rc = bti_sqlite_fail(st->sql, rc, "reading schema state");
	sqlite3_finalize(stmt);
	return rc;
}

static int check_record(bti_sqlite_store *st, size_t *applied_out, int *current_out)
{
	const bti_migration_set *set = st->migrations;
	sqlite3_stmt *stmt = NULL;
	size_t applied = 0;
	int rc;

	rc = sqlite3_prepare_v2(st->sql,
		"SELECT version, checksum FROM schema_migrations ORDER BY version",
		-1, &stmt, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int version = sqlite3_column_int(stmt, 0);
		const char *sum = (const char *)sqlite3_column_text(stmt, 1);
		const bti_migration *want = &set->items[applied];

		/* The caller has ruled out versions above the latest, so applied
		 * < count here. */
		if (version != want->version) {
			rc = bti_error(BT_ESCHEMA, version < want->version
				? "database records migration %04d, which this library does not have (expected %04d)"
				: "database records migration %04d but not %04d: it was migrated by a different build",
				version, want->version);
			goto done;
		}
		if (!sum || strcmp(sum, want->checksum) != 0) {
			rc = bti_error(BT_ESCHEMA,
				"migration %04d_%s: checksum recorded in the database (%.12s) differs from "
				"this library's (%.12s): the migration was changed after it was applied",
				version, want->name, sum ? sum : "NULL", want->checksum);
			goto done;
		}
		applied++;
		*current_out = version;
		rc = SQLITE_OK;
	}
	rc = (rc == SQLITE_DONE || rc == SQLITE_OK) ? BT_OK
		: bti_sqlite_fail(st->sql, rc, "reading schema_migrations");
	*applied_out = applied;
done:
	sqlite3_finalize(stmt);
	return rc;
}

static int read_schema_state(bti_sqlite_store *st, int *current_out, size_t *applied_out)
{
	int64_t has_record = 0, other_tables = 0, newest = 0;
	int latest = bti_migration_latest(st->migrations);
	int rc;

	*current_out = 0;
	*applied_out = 0;
	rc = query_int(st, "SELECT count(*) FROM sqlite_master"
		       " WHERE type = 'table' AND name = 'schema_migrations'", &has_record);
	if (rc == BT_OK && !has_record)
		rc = query_int(st, "SELECT count(*) FROM sqlite_master"
			       " WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", &other_tables);
	if (rc != BT_OK)
		return rc;
	if (!has_record)
		return other_tables
			? bti_error(BT_ESCHEMA, "database holds tables but no schema_migrations: it is not a "
				    "bugtrack database, or predates tracked migrations (see 'bugtrack migrate stamp')")
			: BT_OK;

	rc = query_int(st, "SELECT coalesce(max(version), 0) FROM schema_migrations", &newest);
	if (rc != BT_OK)
		return rc;
	if (newest > latest)
		return bti_error(BT_ESCHEMA,
				 "database schema version %lld is newer than this library's %d "
				 "(libbugtrack %s): upgrade libbugtrack",
				 (long long)newest, latest, BT_VERSION_STRING);
	return check_record(st, applied_out, current_out);
}

/* The state is read with several statements; outside a transaction each
 * would see its own snapshot, and a migration committed in between by
 * another process would look like a foreign database. */
int bti_sqlite_schema_state(bti_sqlite_store *st, int *current_out, size_t *applied_out)
{
	int rc, own_txn = sqlite3_get_autocommit(st->sql);

	if (own_txn) {
		rc = bti_sqlite_exec_retry(st, "BEGIN", "reading schema state");
		if (rc != BT_OK)
			return rc;
	}
	rc = read_schema_state(st, current_out, applied_out);
	if (own_txn && rc == BT_OK && sqlite3_exec(st->sql, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = bti_sqlite_fail(st->sql, sqlite3_errcode(st->sql), "reading schema state");
	if (own_txn)
		bti_sqlite_op_rollback(&st->base); /* no-op after a commit */
	return rc;
}

static int record_migration(bti_sqlite_store *st, const bti_migration *m)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(st->sql,
		"INSERT INTO schema_migrations (version, name, checksum, applied_at)"
		" VALUES (?1, ?2, ?3, ?4)", -1, &stmt, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int(stmt, 1, m->version);
		sqlite3_bind_text(stmt, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, m->checksum, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 4, bti_now_ms());
		rc = sqlite3_step(stmt);
	}
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "recording migration");
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * Take the write lock in short turns, and look again between them: the
 * process holding it is most likely the one migrating, and once it is done
 * there is nothing to wait for.  One long wait would let peers that commit
 * back to back starve SQLite's busy handler for the whole timeout, and then
 * fail an open that has nothing left to do.  Sets *done_out when another
 * process finished the migrations meanwhile.
 */
static int begin_migration(bti_sqlite_store *st, int *done_out)
{
	int64_t deadline = bti_now_ms() + st->busy_timeout_ms;
	size_t applied;
	int current, rc;

	st->wait_ms = 20;
	for (;;) {
		rc = sqlite3_exec(st->sql, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || bti_now_ms() >= deadline)
			break;
		if (bti_sqlite_schema_state(st, &current, &applied) == BT_OK &&
		    applied == st->migrations->count) {
			*done_out = 1;
			rc = SQLITE_OK;
			break;
		}
		bt_error_clear();
	}
	st->wait_ms = st->busy_timeout_ms;
	return rc == SQLITE_OK ? BT_OK : bti_sqlite_fail(st->sql, rc, "starting migration");
}

/* Apply the first pending migration, if any, in its own transaction.
 * Sets *done_out when nothing was pending. */
static int apply_next(bti_sqlite_store *st, int *done_out)
{
	const bti_migration *m;
	size_t applied;
	int current, rc;
	char what[160];

	rc = begin_migration(st, done_out);
	if (rc != BT_OK || *done_out)
		return rc;
	rc = bti_sqlite_schema_state(st, &current, &applied);
	if (rc != BT_OK || applied == st->migrations->count) {
		*done_out = 1;
		goto rollback;
	}
	m = &st->migrations->items[applied];
	snprintf(what, sizeof(what), "migration %04d_%s", m->version, m->name);
	rc = sqlite3_exec(st->sql, schema_table_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->sql, m->sql, NULL, NULL, NULL);
	rc = rc == SQLITE_OK ? record_migration(st, m) : bti_sqlite_fail(st->sql, rc, what);
	if (rc != BT_OK)
		goto rollback;
	rc = sqlite3_exec(st->sql, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = bti_sqlite_fail(st->sql, rc, what);
		goto rollback;
	}
	return BT_OK;
rollback:
	bti_sqlite_op_rollback(&st->base);
	return rc;
}

static int migrate_all(bti_sqlite_store *st)
{
	int done = 0, rc = BT_OK;

	while (rc == BT_OK && !done)
		rc = apply_next(st, &done);
	return rc;
}

int bti_sqlite_migrate(bti_sqlite_store *st)
{
	size_t applied;
	int current, rc;

	/* Lock-free fast path: an up-to-date database needs no write lock. */
	rc = bti_sqlite_schema_state(st, &current, &applied);
	if (rc != BT_OK || applied == st->migrations->count)
		return rc;
	if (st->flags & BT_OPEN_READONLY)
		return bti_error(BT_ESCHEMA,
				 "database schema version %d is older than this library's %d: "
				 "open it read-write to migrate it", current,
				 bti_migration_latest(st->migrations));
	if (st->flags & BT_OPEN_NO_MIGRATE)
		return BT_OK;
	return migrate_all(st);
}

int bti_sqlite_op_migrate(bti_store *base)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	if (st->flags & BT_OPEN_READONLY)
		return bti_error(BT_EREADONLY, "bt_migrate: the database was opened read-only");
	return migrate_all(st);
}

int bti_sqlite_op_schema_version(bti_store *base, int *current_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	size_t applied;

	return bti_sqlite_schema_state(st, current_out, &applied);
}

/* ---- reading the record, and stamping an untracked database ---- */

int bti_sqlite_op_migration_records(bti_store *base, bti_record_fn fn, void *payload)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt = NULL;
	int64_t has_record = 0;
	int rc = query_int(st, "SELECT count(*) FROM sqlite_master"
			   " WHERE type = 'table' AND name = 'schema_migrations'", &has_record);

	if (rc != BT_OK || !has_record)
		return rc;
	rc = sqlite3_prepare_v2(st->sql,
		"SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
		-1, &stmt, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(stmt, 1);
		const char *sum = (const char *)sqlite3_column_text(stmt, 2);

		fn(sqlite3_column_int(stmt, 0), name ? name : "", sum ? sum : "",
		   sqlite3_column_int64(stmt, 3), payload);
		rc = SQLITE_OK;
	}
	rc = (rc == SQLITE_DONE || rc == SQLITE_OK) ? BT_OK
		: bti_sqlite_fail(st->sql, rc, "reading schema_migrations");
	sqlite3_finalize(stmt);
	return rc;
}

/* The caller has compared the tables with what these migrations create;
 * recording them is all that is left. */
int bti_sqlite_op_stamp(bti_store *base, int version)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	const bti_migration_set *set = st->migrations;
	int64_t has_record = 0;
	size_t i;
	int rc = query_int(st, "SELECT count(*) FROM sqlite_master"
			   " WHERE type = 'table' AND name = 'schema_migrations'", &has_record);

	if (rc == BT_OK && has_record)
		return bti_error(BT_ESTATE, "the database already records its migrations");
	if (rc == BT_OK && sqlite3_exec(st->sql, schema_table_sql, NULL, NULL, NULL) != SQLITE_OK)
		rc = bti_sqlite_fail(st->sql, sqlite3_errcode(st->sql), "creating schema_migrations");
	for (i = 0; rc == BT_OK && i < set->count && set->items[i].version <= version; i++)
		rc = record_migration(st, &set->items[i]);
	return rc;
}
