/*
 * db.h - the bt_db handle, shared by the files that implement the public API
 * on top of the storage layer.
 */
#ifndef BT_DB_H
#define BT_DB_H

#include <pthread.h>

#include "internal.h"
#include "store.h"

struct bt_db {
	/* Serialises every use of @store: SQLite connections are not
	 * re-entrant, and a capture is several statements in one transaction. */
	pthread_mutex_t lock;
	bti_store *store;
	char *path;
	unsigned int flags; /* BT_OPEN_* as resolved by bt_open */
};

/* bt_open with an explicit migration set; the tests use it to migrate
 * through a test-only later version. */
int bti_db_open(bt_db **out, const char *path, const bt_open_options *opts,
		const bti_migration_set *migrations);

static inline void bti_db_lock(bt_db *db)
{
	pthread_mutex_lock(&db->lock);
}

static inline void bti_db_unlock(bt_db *db)
{
	pthread_mutex_unlock(&db->lock);
}

#endif
