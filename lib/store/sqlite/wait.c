/*
 * store/sqlite/wait.c - waiting for commits to a database file (the feed's
 * waiters, bt_audit_wait).  SQLite has no notifications between processes;
 * the nearest thing is PRAGMA data_version, which a connection sees change
 * whenever another connection (of any process) commits.  The waiter keeps
 * a read-only connection of its own and reads it every few milliseconds:
 * a read of a page already in memory, no lock held in between.
 */
#include <time.h>

#include "store_sqlite.h"

#define POLL_MS 20

typedef struct sqlite_waiter {
	bti_waiter base;
	sqlite3 *sql;
	sqlite3_stmt *version;
	int64_t last;
} sqlite_waiter;

static int read_version(sqlite_waiter *w, int64_t *out)
{
	int rc = sqlite3_step(w->version);

	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(w->version, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(w->version);
	return rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(w->sql, rc, "waiting for the feed");
}

void bti_sqlite_op_wait_close(bti_waiter *base)
{
	sqlite_waiter *w = (sqlite_waiter *)base;

	if (!w)
		return;
	sqlite3_finalize(w->version);
	sqlite3_close_v2(w->sql);
	bti_free(w);
}

int bti_sqlite_op_wait_open(const char *location, int busy_timeout_ms, bti_waiter **out)
{
	sqlite_waiter *w = bti_calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (!w)
		return bti_error(BT_ENOMEM, "waiting for the feed: out of memory");
	w->base.ops = &bti_sqlite_ops;
	rc = bti_sqlite_open(location, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, &w->sql);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(w->sql, busy_timeout_ms);
		rc = sqlite3_prepare_v2(w->sql, "PRAGMA data_version", -1, &w->version, NULL);
	}
	rc = rc == SQLITE_OK ? read_version(w, &w->last)
			     : w->sql ? bti_sqlite_fail(w->sql, rc, "waiting for the feed")
				      : bti_error(BT_ENOMEM, "waiting for the feed: out of memory");
	if (rc != BT_OK) {
		bti_sqlite_op_wait_close(&w->base);
		return rc;
	}
	*out = &w->base;
	return BT_OK;
}

int bti_sqlite_op_wait(bti_waiter *base, int64_t deadline_ms)
{
	sqlite_waiter *w = (sqlite_waiter *)base;
	int64_t now, version = 0;

	for (;;) {
		int rc = read_version(w, &version);

		if (rc != BT_OK)
			return rc;
		if (version != w->last) {
			w->last = version;
			return BT_OK;
		}
		now = bti_mono_ms();
		if (now >= deadline_ms)
			return BT_ITEROVER;
		{
			int64_t ms = deadline_ms - now < POLL_MS ? deadline_ms - now : POLL_MS;
			struct timespec ts = { 0, (long)ms * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}
