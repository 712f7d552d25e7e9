/*
 * store/postgresql/migrate.c - schema migrations for the PostgreSQL backend.
 *
 * As on SQLite: schema_migrations records every applied migration with the
 * checksum of its SQL, the record must be a prefix of the library's set,
 * and a newer version, a changed checksum or tables without a record are
 * refused.  Here the tables live in the location's schema (schema=), and
 * the migrations run in one transaction under an advisory lock on that
 * schema's name, which every opener takes before it reads the record: of
 * fifty services starting at once, the first migrates and the others,
 * once it commits, find nothing left to do.  PostgreSQL's DDL is
 * transactional, so a migration that fails leaves nothing behind.
 */
#include <stdio.h>
#include <string.h>

#include "store_postgresql.h"

static const char SQL_TABLE[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version    INTEGER PRIMARY KEY,"
	" name       TEXT    NOT NULL,"
	" checksum   TEXT    NOT NULL,"
	" applied_at BIGINT  NOT NULL)";

/* The schema the tables are in: the location's, or the first of the
 * search_path that exists (current_schema()). */
#define SCHEMA "coalesce($1::text, current_schema())"

static const char SQL_HAS_RECORD[] =
	"SELECT count(*) FROM pg_catalog.pg_tables"
	" WHERE schemaname = " SCHEMA " AND tablename = 'schema_migrations'";
/* Whether the record exists and how many tables there are, in one
 * statement, so one snapshot: read apart, a migration another process
 * commits in between would show its tables without their record, and the
 * schema would be taken for a foreign one (the race test found it). */
static const char SQL_TABLES[] =
	"SELECT count(*) FILTER (WHERE tablename = 'schema_migrations'), count(*)"
	" FROM pg_catalog.pg_tables WHERE schemaname = " SCHEMA;
static const char SQL_NEWEST[] = "SELECT coalesce(max(version), 0) FROM schema_migrations";
static const char SQL_RECORD[] =
	"SELECT version, checksum, name, applied_at FROM schema_migrations ORDER BY version";
static const char SQL_INSERT[] =
	"INSERT INTO schema_migrations (version, name, checksum, applied_at)"
	" VALUES ($1::integer, $2::text, $3::text, $4::bigint)";
/* 0x62746d67 is "btmg"; the key's second half names the schema. */
static const char SQL_MIGRATION_LOCK[] =
	"SELECT pg_advisory_xact_lock(1651797351, hashtext(" SCHEMA "))";

int bti_pg_op_schema_latest(const bti_store *base)
{
	const bti_pg_store *st = (const bti_pg_store *)base;
	return bti_migration_latest(st->migrations);
}

static int query_schema_int(bti_pg_store *st, const char *sql_text, int64_t *out)
{
	bti_pg_params p;

	bti_pg_params_init(&p);
	bti_pg_text(&p, st->schema);
	*out = 0;
	return bti_pg_run(st, sql_text, &p, "reading schema state", out, NULL);
}

static int check_record(bti_pg_store *st, size_t *applied_out, int *current_out)
{
	const bti_migration_set *set = st->migrations;
	PGresult *res;
	int rc = bti_pg_exec(st, SQL_RECORD, NULL, &res, "reading schema_migrations"), i;
	size_t applied = 0;

	if (rc != BT_OK)
		return rc;
	for (i = 0; i < PQntuples(res); i++) {
		int version = (int)bti_pg_get_int(res, i, 0);
		const char *sum = PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1);
		const bti_migration *want = &set->items[applied];

		/* The caller ruled out versions above the latest: applied < count. */
		if (version != want->version) {
			rc = bti_error(BT_ESCHEMA, version < want->version
				? "database records migration %04d, which this library does not have (expected %04d)"
				: "database records migration %04d but not %04d: it was migrated by a different build",
				version, want->version);
			break;
		}
		if (!sum || strcmp(sum, want->checksum) != 0) {
			rc = bti_error(BT_ESCHEMA,
				"migration %04d_%s: checksum recorded in the database (%.12s) differs from "
				"this library's (%.12s): the migration was changed after it was applied",
				version, want->name, sum ? sum : "NULL", want->checksum);
			break;
		}
		applied++;
		*current_out = version;
	}
	PQclear(res);
	*applied_out = applied;
	return rc;
}

int bti_pg_schema_state(bti_pg_store *st, int *current_out, size_t *applied_out)
{
	int64_t has_record, other_tables, newest = 0;
	int latest = bti_migration_latest(st->migrations);
	bti_pg_params p;
	PGresult *res;
	int rc;

	*current_out = 0;
	*applied_out = 0;
	bti_pg_params_init(&p);
	bti_pg_text(&p, st->schema);
	rc = bti_pg_exec(st, SQL_TABLES, &p, &res, "reading schema state");
	if (rc != BT_OK)
		return rc;
	has_record = bti_pg_get_int(res, 0, 0);
	other_tables = bti_pg_get_int(res, 0, 1);
	PQclear(res);
	if (!has_record)
		return other_tables
			? bti_error(BT_ESCHEMA, "the schema holds tables but no schema_migrations: it is "
				    "not a bugtrack schema (give another with schema= in the location), "
				    "or predates tracked migrations (see 'bugtrack migrate stamp')")
			: BT_OK;
	rc = bti_pg_run(st, SQL_NEWEST, NULL, "reading schema state", &newest, NULL);
	if (rc != BT_OK)
		return rc;
	if (newest > latest)
		return bti_error(BT_ESCHEMA,
				 "database schema version %lld is newer than this library's %d "
				 "(libbugtrack %s): upgrade libbugtrack",
				 (long long)newest, latest, BT_VERSION_STRING);
	return check_record(st, applied_out, current_out);
}

static int record_migration(bti_pg_store *st, const bti_migration *m)
{
	bti_pg_params p;

	bti_pg_params_init(&p);
	bti_pg_int(&p, m->version);
	bti_pg_text(&p, m->name);
	bti_pg_text(&p, m->checksum);
	bti_pg_int(&p, bti_now_ms());
	return bti_pg_run(st, SQL_INSERT, &p, "recording migration", NULL, NULL);
}

/* The schema named in the location is created by the first opener: the
 * name is a parameter, and the server quotes it (format's %I), so that the
 * statements stay constant.  set_config(..., true) lasts until the
 * migration's transaction ends. */
static const char SQL_SCHEMA_NAME[] = "SELECT set_config('bugtrack.schema', $1::text, true)";
static const char SQL_CREATE_SCHEMA[] =
	"DO $$BEGIN EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I',"
	" current_setting('bugtrack.schema')); END$$";

static int create_schema(bti_pg_store *st)
{
	bti_pg_params p;
	int rc;

	if (!st->schema)
		return BT_OK;
	bti_pg_params_init(&p);
	bti_pg_text(&p, st->schema);
	rc = bti_pg_run(st, SQL_SCHEMA_NAME, &p, "creating the schema", NULL, NULL);
	return rc == BT_OK ? bti_pg_exec_simple(st, SQL_CREATE_SCHEMA, "creating the schema") : rc;
}

/* Every pending migration, in one transaction under the migration lock. */
static int migrate_all(bti_pg_store *st)
{
	bti_pg_params p;
	size_t applied = 0, i;
	int current = 0, rc;
	char what[160];

	rc = bti_pg_exec_simple(st, "BEGIN", "starting migration");
	if (rc != BT_OK)
		return rc;
	st->in_txn = 1;
	bti_pg_params_init(&p);
	bti_pg_text(&p, st->schema);
	rc = bti_pg_run(st, SQL_MIGRATION_LOCK, &p, "waiting for the migration lock", NULL, NULL);
	if (rc == BT_OK)
		rc = create_schema(st);
	if (rc == BT_OK)
		rc = bti_pg_schema_state(st, &current, &applied);
	if (rc == BT_OK && applied < st->migrations->count)
		rc = bti_pg_exec_simple(st, SQL_TABLE, "creating schema_migrations");
	for (i = applied; rc == BT_OK && i < st->migrations->count; i++) {
		const bti_migration *m = &st->migrations->items[i];

		snprintf(what, sizeof(what), "migration %04d_%s", m->version, m->name);
		rc = bti_pg_exec_simple(st, m->sql, what);
		if (rc == BT_OK)
			rc = record_migration(st, m);
	}
	if (rc == BT_OK)
		rc = bti_pg_commit(st);
	if (rc != BT_OK)
		bti_pg_rollback(st);
	return rc;
}

int bti_pg_migrate(bti_pg_store *st)
{
	size_t applied;
	int current, rc;

	/* Lock-free fast path: an up-to-date schema needs no lock. */
	rc = bti_pg_schema_state(st, &current, &applied);
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

int bti_pg_op_migrate(bti_store *base)
{
	bti_pg_store *st = (bti_pg_store *)base;

	if (st->flags & BT_OPEN_READONLY)
		return bti_error(BT_EREADONLY, "bt_migrate: the database was opened read-only");
	return migrate_all(st);
}

int bti_pg_op_schema_version(bti_store *base, int *current_out)
{
	size_t applied;

	return bti_pg_schema_state((bti_pg_store *)base, current_out, &applied);
}

int bti_pg_op_migration_records(bti_store *base, bti_record_fn fn, void *payload)
{
	bti_pg_store *st = (bti_pg_store *)base;
	int64_t has_record = 0;
	PGresult *res;
	int rc = query_schema_int(st, SQL_HAS_RECORD, &has_record), i;

	if (rc != BT_OK || !has_record)
		return rc;
	rc = bti_pg_exec(st, SQL_RECORD, NULL, &res, "reading schema_migrations");
	if (rc != BT_OK)
		return rc;
	for (i = 0; i < PQntuples(res); i++)
		fn((int)bti_pg_get_int(res, i, 0), PQgetvalue(res, i, 2), PQgetvalue(res, i, 1),
		   bti_pg_get_int(res, i, 3), payload);
	PQclear(res);
	return BT_OK;
}

int bti_pg_op_stamp(bti_store *base, int version)
{
	bti_pg_store *st = (bti_pg_store *)base;
	const bti_migration_set *set = st->migrations;
	int64_t has_record = 0;
	size_t i;
	int rc = query_schema_int(st, SQL_HAS_RECORD, &has_record);

	if (rc == BT_OK && has_record)
		return bti_error(BT_ESTATE, "the database already records its migrations");
	if (rc == BT_OK)
		rc = bti_pg_exec_simple(st, SQL_TABLE, "creating schema_migrations");
	for (i = 0; rc == BT_OK && i < set->count && set->items[i].version <= version; i++)
		rc = record_migration(st, &set->items[i]);
	return rc;
}
