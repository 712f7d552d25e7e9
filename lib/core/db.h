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
	long pid;                  /* the process using the handle (bti_db_pid) */
} bti_config;

#define BTI_CONTEXT_SLOTS 5 /* indexed by bt_context_key */

struct bt_db {
	/* Serialises every use of @store and @context: a backend's connection
	 * is not re-entrant, and a capture is several statements in one
	 * transaction. */
	pthread_mutex_t lock;
	bti_store *store;
	char *path;           /* the location, as the backend needs it */
	char *path_shown;     /* as bt_db_location() shows it: no password */
	bti_config cfg;
	char *context[BTI_CONTEXT_SLOTS];
	/* The queue and writer of asynchronous capture (the default), else
	 * NULL; set before the handle is returned, so read without the lock. */
	struct bti_async *async;
	/* Commits what @async accepted, by @deadline_ms, before a call reads
	 * (read-your-writes).  async.c sets it with @async, so that the
	 * handle's lock needs to know nothing of capture. */
	void (*drain)(struct bti_async *async, int64_t deadline_ms);
	int busy_timeout_ms;
	/* The fork generation (process.c) the handle was last used in: when
	 * it differs, the process is a child that inherited the handle, and
	 * bti_db_enter adopts it first. */
	unsigned int fork_gen;
	/* process.c's list of open handles; @inherited: the backend's connection
	 * came from the parent through fork() and is never used again. */
	struct bt_db *next, *prev;
	int inherited, frozen, broken;
	const bti_migration_set *migrations;
	/* Capture calls refused because they re-entered a capture on the
	 * same thread (a signal handler); read with atomics. */
	uint64_t refused;
	/* bt_set_wait_notice()'s, read by the store (bti_store.notice) under
	 * @lock. */
	bti_wait_notice notice;
};

static inline int64_t bti_db_now(const bt_db *db)
{
	return db->cfg.clock ? bti_time_clamp(db->cfg.clock(db->cfg.clock_payload)) : bti_now_ms();
}

/* bt_open with an explicit migration set; the tests use it to migrate
 * through a test-only later version. */
int bti_db_open(bt_db **out, const char *path, const bt_open_options *opts,
		const bti_migration_set *migrations);


/* The process using @db: its pid is stored in each log row. */
static inline long bti_db_pid(const bt_db *db)
{
	return __atomic_load_n(&db->cfg.pid, __ATOMIC_RELAXED);
}

static inline void bti_db_count_refused(bt_db *db)
{
	__atomic_fetch_add(&db->refused, 1, __ATOMIC_RELAXED);
}

/* process.c: the first thing every entry point does with a handle.  In a
 * child that inherited @db through fork() it adopts the handle (a fresh
 * connection, queue and writer of its own), once; BT_OK, or the adoption's
 * failure.  Costs one relaxed load otherwise. */
int bti_db_adopt(bt_db *db, const char *caller);
unsigned int bti_fork_generation(void);

static inline int bti_db_enter(bt_db *db, const char *caller)
{
	if (__builtin_expect(bti_fork_generation() != __atomic_load_n(&db->fork_gen, __ATOMIC_ACQUIRE), 0))
		return bti_db_adopt(db, caller);
	return BT_OK;
}

/* process.c: add @db to, or remove it from, the list of open handles that
 * fork() and exit look after. */
void bti_process_add(bt_db *db);
void bti_process_remove(bt_db *db);
/* Around the part of bt_open that opens the backend's connection: a fork()
 * waits for it. */
void bti_process_open_begin(void);
void bti_process_open_end(void);

/* Take the handle's lock for a call of @caller that must end by the
 * monotonic @deadline_ms: BT_OK, or BT_EBUSY when another thread kept the
 * handle past it.  Lock waits inside the store end by the same deadline. */
int bti_db_lock_until(bt_db *db, int64_t deadline_ms, const char *caller);

/* Take the handle's lock for an API call: adopt the handle in a forked
 * child, commit the handle's own pending captures first (so that a call
 * sees what this handle captured before it), then lock, all by one busy
 * timeout from now. */
int bti_db_lock(bt_db *db, const char *caller);

static inline void bti_db_unlock(bt_db *db)
{
	bti_store_set_deadline(db->store, 0);
	pthread_mutex_unlock(&db->lock);
}

#endif
