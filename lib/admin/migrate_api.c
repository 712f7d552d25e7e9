/*
 * migrate_api.c - the schema's public face: a handle's schema version and
 * bt_migrate, the list of embedded migrations and what a database applied,
 * telling what a file is, and stamping a database built before migrations
 * were tracked.
 *
 * Stamping trusts nothing but the tables themselves: the embedded
 * migrations are run in an in-memory database and the two schemas compared
 * column by column, so a database is never recorded at a version whose
 * later migrations would then fail on it (or, worse, silently not apply).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "versioned.h"

/* The migrations of @db's backend; with no handle, a database file's. */
static const bti_migration_set *set_of(const bt_db *db)
{
	return db ? db->migrations : bti_store_migrations(NULL);
}

int bt_migration_count(const bt_db *db)
{
	return (int)set_of(db)->count;
}

typedef struct applied_lookup {
	int version;
	int found;
	int64_t applied_at;
} applied_lookup;

static void find_record(int version, const char *name, const char *checksum, int64_t applied_at,
			void *payload)
{
	applied_lookup *l = payload;

	(void)name;
	(void)checksum;
	if (version == l->version) {
		l->found = 1;
		l->applied_at = applied_at;
	}
}

int bt_migration_info_get(bt_db *db, int index, bt_migration_info *out)
{
	bt_migration_info info = BT_MIGRATION_INFO_INIT;
	const bti_migration_set *set = set_of(db);
	const bti_migration *m;
	applied_lookup l = { 0, 0, 0 };
	int rc = BT_OK;

	if (bti_versioned_check(&bti_v_migration_info, "bt_migration_info_get", out) != BT_OK)
		return BT_EINVALID;
	if (index < 0 || (size_t)index >= set->count)
		return bti_error(BT_EINVALID, "bt_migration_info_get: index %d is out of range 0..%d",
				 index, (int)set->count - 1);
	m = &set->items[index];
	if (db) {
		l.version = m->version;
		rc = bti_db_lock(db, "bt_migration_info_get");
		if (rc != BT_OK)
			return rc;
		rc = bti_store_migration_records(db->store, find_record, &l);
		bti_db_unlock(db);
		if (rc != BT_OK)
			return rc;
	}
	info.schema_version = m->version;
	info.name = m->name;
	info.checksum = m->checksum;
	info.applied = l.found;
	info.applied_at = l.applied_at;
	bti_versioned_out(&bti_v_migration_info, out, &info);
	return BT_OK;
}

int bt_db_identify(const char *path, bt_db_kind *out)
{
	if (!path || !out)
		return bti_error(BT_EINVALID, "bt_db_identify: %s is NULL", path ? "out" : "path");
	return bti_store_identify(path, out);
}

/* ---- stamping ---- */

#define STAMP_SHOWN 3 /* differences named in the message */

typedef struct diff_text {
	char text[400];
	size_t shown;
} diff_text;

static void collect_diff(const char *difference, void *payload)
{
	diff_text *t = payload;
	size_t len = strlen(t->text);

	if (t->shown++ >= STAMP_SHOWN || len >= sizeof(t->text) - 1)
		return;
	snprintf(t->text + len, sizeof(t->text) - len, "%s%s", len ? "; " : "", difference);
}


/* @path as messages may show it (no password). */
static const char *shown(const char *path, char *buf, size_t size)
{
	if (bt_location_display(path, buf, size) != BT_OK)
		snprintf(buf, size, "the database");
	return buf;
}

/* Refuse, naming the differences from @version. */
static int mismatch(bti_store *st, const char *path, int version, int detected)
{
	char name[512];
	diff_text t;
	size_t n = 0;
	int rc;

	memset(&t, 0, sizeof(t));
	rc = bti_store_schema_diff(st, version, collect_diff, &t, &n);
	if (rc != BT_OK)
		return rc;
	return bti_error(BT_ESCHEMA, "bt_schema_stamp: %s %s schema version %d: %s%s",
			 shown(path, name, sizeof(name)),
			 detected ? "matches no schema version; the closest is" : "does not match",
			 version, t.text, n > STAMP_SHOWN ? " (and more)" : "");
}

/* The newest version whose schema the database has exactly, or the
 * closest one (fewest differences) in *closest_out. */
static int detect_version(bti_store *st, const bti_migration_set *set, int *match_out,
			  int *closest_out)
{
	size_t i, best = (size_t)-1, n;
	int rc;

	*match_out = 0;
	*closest_out = bti_migration_latest(set);
	for (i = set->count; i-- > 0;) {
		rc = bti_store_schema_diff(st, set->items[i].version, NULL, NULL, &n);
		if (rc != BT_OK)
			return rc;
		if (n == 0) {
			*match_out = set->items[i].version;
			return BT_OK;
		}
		if (n < best) {
			best = n;
			*closest_out = set->items[i].version;
		}
	}
	return BT_OK;
}

static int check_kind(bti_store *st, const char *path, int *version_out)
{
	bt_db_kind kind;
	int current = 0, rc = bti_store_kind(st, path, &kind);
	char name[512];

	if (rc != BT_OK)
		return rc;
	switch (kind) {
	case BT_DB_UNTRACKED:
		return BT_OK;
	case BT_DB_TRACKED:
		rc = bti_store_schema_version(st, &current);
		if (version_out)
			*version_out = current;
		return bti_error(BT_ESTATE, "bt_schema_stamp: %s already records its migrations "
				 "(schema version %d): nothing to stamp", shown(path, name, sizeof(name)),
				 current);
	case BT_DB_EMPTY:
		return bti_error(BT_ESCHEMA, "bt_schema_stamp: %s has no tables: nothing to stamp "
				 "(opening it creates the schema)", shown(path, name, sizeof(name)));
	default:
		return bti_error(BT_ESCHEMA, "bt_schema_stamp: %s is not a bugtrack database "
				 "(it has no tickets table)", shown(path, name, sizeof(name)));
	}
}

static int stamp_open_store(bti_store *st, const bti_migration_set *set, const char *path,
			    int version, unsigned int flags, int *version_out)
{
	int dry = (flags & BT_STAMP_DRY_RUN) != 0, match = version, closest, rc;
	size_t n = 0;

	rc = check_kind(st, path, version_out);
	/* The write lock keeps the tables as compared until they are recorded. */
	if (rc == BT_OK && !dry)
		rc = bti_store_begin(st);
	if (rc == BT_OK && version == 0) {
		rc = detect_version(st, set, &match, &closest);
		if (rc == BT_OK && !match)
			rc = mismatch(st, path, closest, 1);
	} else if (rc == BT_OK) {
		rc = bti_store_schema_diff(st, version, NULL, NULL, &n);
		if (rc == BT_OK && n)
			rc = mismatch(st, path, version, 0);
	}
	if (rc == BT_OK && !dry)
		rc = bti_store_stamp(st, match);
	if (rc == BT_OK && !dry)
		rc = bti_store_commit(st);
	if (rc != BT_OK) {
		bti_store_rollback(st);
		return rc;
	}
	if (version_out)
		*version_out = match;
	return BT_OK;
}

int bt_schema_stamp(const char *path, int version, unsigned int flags, int *version_out)
{
	const bti_migration_set *set;
	bti_store *st;
	int rc;

	if (flags & ~BT_STAMP_DRY_RUN)
		return bti_error(BT_EINVALID, "bt_schema_stamp: unknown flags 0x%x",
				 flags & ~BT_STAMP_DRY_RUN);
	path = bt_location_resolve(path);
	set = bti_store_migrations(path);
	if (!set)
		return BT_ENOTSUP;
	if (version != 0 && !bti_migration_find(set, version))
		return bti_error(BT_EINVALID, "bt_schema_stamp: this library has no schema version %d "
				 "(it knows 1..%d)", version, bti_migration_latest(set));
	rc = bti_store_inspect_open(&st, path, !(flags & BT_STAMP_DRY_RUN), set);
	if (rc == BT_OK)
		rc = stamp_open_store(st, set, path, version, flags, version_out);
	bti_store_close(st);
	return rc;
}

int bt_schema_version_get(bt_db *db, int *current_out, int *latest_out)
{
	int current = 0, rc;

	if (!db)
		return bti_error(BT_EINVALID, "bt_schema_version_get: db is NULL");
	rc = bti_db_lock(db, "bt_schema_version_get");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_schema_version(db->store, &current);
	if (rc == BT_OK && latest_out)
		*latest_out = bti_store_schema_latest(db->store);
	bti_db_unlock(db);
	if (rc == BT_OK && current_out)
		*current_out = current;
	return rc;
}

int bt_migrate(bt_db *db)
{
	int rc;

	if (!db)
		return bti_error(BT_EINVALID, "bt_migrate: db is NULL");
	rc = bti_db_lock(db, "bt_migrate");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_migrate(db->store);
	bti_db_unlock(db);
	return rc;
}
