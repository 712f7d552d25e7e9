/*
 * backend.c - which backend serves a location.  The calls that take a handle
 * go through its table (store.h); these take a location, so the backend
 * is chosen here, once per open.
 */
#include <stdlib.h>

#include "store.h"
#include "store_sqlite.h"

const char *bti_location_resolve(const char *location)
{
	const char *env;

	if (location && *location)
		return location;
	env = getenv("BUGTRACK_DB");
	return env && *env ? env : "./bugtrack.db";
}

/* Every location is a SQLite database path today.  A backend for URIs
 * (postgresql://, issue 15) claims its scheme here, before SQLite. */
static const bti_store_ops *backend_for(const char *location)
{
	(void)location;
	return &bti_sqlite_ops;
}

int bti_store_open(bti_store **out, const char *path, unsigned int flags,
		   int busy_timeout_ms, const bti_migration_set *migrations)
{
	return backend_for(path)->open(out, path, flags, busy_timeout_ms, migrations);
}

int bti_store_inspect_open(bti_store **out, const char *path, int writable,
			   const bti_migration_set *migrations)
{
	return backend_for(path)->inspect_open(out, path, writable, migrations);
}

int bti_store_identify(const char *path, bt_db_kind *out)
{
	return backend_for(path)->identify(path, out);
}

void bti_store_wal_state(const char *path, bti_wal_state *out)
{
	backend_for(path)->wal_state(path, out);
}
