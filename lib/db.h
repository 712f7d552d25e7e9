/*
 * db.h - the bt_db handle, shared by the files that implement the public API
 * on top of the storage layer.
 */
#ifndef BT_DB_H
#define BT_DB_H

#include <pthread.h>

#include "internal.h"
#include "store.h"

/* The options as resolved by bt_open: immutable afterwards, so capture
 * reads them without the lock. */
typedef struct bti_config {
	unsigned int flags;        /* BT_OPEN_* */
	bt_level store_level;
	bt_level ticket_level;
	bt_level stack_level;      /* 0: never */
	int64_t dedup_window_ms;   /* 0: forever */
	size_t max_message_bytes;
	char **redact_keys;        /* owned, NULL-terminated; NULL: defaults */
	bt_clock_fn clock;
	void *clock_payload;
	int log_rows_per_ticket;   /* 0: unlimited */
	int64_t sla_ms[5];         /* by bt_severity, defaults applied */
	long pid;                  /* handles do not cross fork() */
} bti_config;

#define BTI_CONTEXT_SLOTS 5 /* indexed by bt_context_key */

struct bt_db {
	/* Serialises every use of @store and @context: SQLite connections are
	 * not re-entrant, and a capture is several statements in one
	 * transaction. */
	pthread_mutex_t lock;
	bti_store *store;
	char *path;
	bti_config cfg;
	char *context[BTI_CONTEXT_SLOTS];
	/* The queue and writer of BT_OPEN_ASYNC, else NULL; set before the
	 * handle is returned, so read without the lock. */
	struct bti_async *async;
};

static inline int64_t bti_db_now(const bt_db *db)
{
	return db->cfg.clock ? db->cfg.clock(db->cfg.clock_payload) : bti_now_ms();
}

/* bt_open with an explicit migration set; the tests use it to migrate
 * through a test-only later version. */
int bti_db_open(bt_db **out, const char *path, const bt_open_options *opts,
		const bti_migration_set *migrations);

/* context.c: the handle-wide context (host defaults to gethostname). */
int bti_context_init(bt_db *db);
void bti_context_free(bt_db *db);

static inline void bti_db_lock(bt_db *db)
{
	pthread_mutex_lock(&db->lock);
	bti_store_end_stray_txn(db->store);
}

static inline void bti_db_unlock(bt_db *db)
{
	pthread_mutex_unlock(&db->lock);
}

#endif
