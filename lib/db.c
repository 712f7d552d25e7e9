/*
 * db.c - the bt_db handle: options, the default path, and the mutex that
 * makes one handle safe to share between threads.
 */
#include <pthread.h>
#include <stdlib.h>

#include "db.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000
#define KNOWN_OPEN_FLAGS (BT_OPEN_READONLY | BT_OPEN_NO_MIGRATE | BT_OPEN_SYNC_FULL)

int bt_open_options_init(bt_open_options *opts, unsigned int version)
{
	if (!opts)
		return bti_error(BT_EINVALID, "bt_open_options_init: opts is NULL");
	if (version == 0 || version > BT_OPEN_OPTIONS_VERSION)
		return bti_error(BT_EINVALID,
				 "bt_open_options_init: unknown options version %u (this library knows 1..%d)",
				 version, BT_OPEN_OPTIONS_VERSION);
	opts->version = version;
	opts->flags = 0;
	opts->busy_timeout_ms = 0;
	return BT_OK;
}

static int check_options(const bt_open_options *opts)
{
	if (opts->version == 0 || opts->version > BT_OPEN_OPTIONS_VERSION)
		return bti_error(BT_EINVALID,
				 "bt_open: unknown options version %u (this library knows 1..%d); "
				 "initialise options with BT_OPEN_OPTIONS_INIT",
				 opts->version, BT_OPEN_OPTIONS_VERSION);
	if (opts->flags & ~KNOWN_OPEN_FLAGS)
		return bti_error(BT_EINVALID, "bt_open: unknown flags 0x%x",
				 opts->flags & ~KNOWN_OPEN_FLAGS);
	if (opts->busy_timeout_ms < 0)
		return bti_error(BT_EINVALID, "bt_open: negative busy_timeout_ms %d",
				 opts->busy_timeout_ms);
	return BT_OK;
}

static const char *default_path(const char *path)
{
	const char *env;

	if (path && *path)
		return path;
	env = getenv("BUGTRACK_DB");
	return env && *env ? env : "./bugtrack.db";
}

int bti_db_open(bt_db **out, const char *path, const bt_open_options *opts,
		const bti_migration_set *migrations)
{
	static const bt_open_options defaults = BT_OPEN_OPTIONS_INIT;
	unsigned int flags;
	bt_db *db;
	int rc;

	if (!out)
		return bti_error(BT_EINVALID, "bt_open: out is NULL");
	*out = NULL;
	if (!opts)
		opts = &defaults;
	rc = check_options(opts);
	if (rc != BT_OK)
		return rc;
	flags = opts->flags;
	if (flags & BT_OPEN_READONLY)
		flags |= BT_OPEN_NO_MIGRATE;

	db = bti_calloc(1, sizeof(*db));
	if (!db)
		return bti_error(BT_ENOMEM, "bt_open: out of memory");
	db->flags = flags;
	db->path = bti_strdup(default_path(path));
	if (!db->path || pthread_mutex_init(&db->lock, NULL) != 0) {
		bti_free(db->path);
		bti_free(db);
		return bti_error(BT_ENOMEM, "bt_open: out of memory");
	}
	rc = bti_store_open(&db->store, db->path, flags,
			    opts->busy_timeout_ms ? opts->busy_timeout_ms : DEFAULT_BUSY_TIMEOUT_MS,
			    migrations);
	if (rc != BT_OK) {
		bt_close(db);
		return rc;
	}
	*out = db;
	return BT_OK;
}

int bt_open(bt_db **out, const char *path, const bt_open_options *opts)
{
	return bti_db_open(out, path, opts, &bti_builtin_migrations);
}

void bt_close(bt_db *db)
{
	if (!db)
		return;
	bti_store_close(db->store);
	pthread_mutex_destroy(&db->lock);
	bti_free(db->path);
	bti_free(db);
}

const char *bt_db_path(const bt_db *db)
{
	return db ? db->path : NULL;
}

int bt_schema_version(bt_db *db, int *current_out, int *latest_out)
{
	int current = 0, rc;

	if (!db)
		return bti_error(BT_EINVALID, "bt_schema_version: db is NULL");
	bti_db_lock(db);
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
	bti_db_lock(db);
	rc = bti_store_migrate(db->store);
	bti_db_unlock(db);
	return rc;
}
