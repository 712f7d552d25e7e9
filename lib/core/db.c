/*
 * db.c - using an open bt_db handle: the mutex that makes one handle safe
 * to share between threads.  Opening and closing it is open.c.
 */
#include "db.h"

const char *bt_db_location(const bt_db *db)
{
	return db ? db->path_shown : NULL;
}

int bti_db_lock_until(bt_db *db, int64_t deadline_ms, const char *caller)
{
	if (bti_mutex_lock_until(&db->lock, deadline_ms) != 0)
		return bti_error(BT_EBUSY, "%s: another thread kept the handle busy past the busy "
				 "timeout (%d ms)", caller, db->busy_timeout_ms);
	bti_store_set_deadline(db->store, deadline_ms);
	bti_store_end_stray_txn(db->store);
	return BT_OK;
}

int bti_db_lock(bt_db *db, const char *caller)
{
	int64_t deadline = bti_mono_ms() + db->busy_timeout_ms;
	int rc = bti_db_enter(db, caller);

	if (rc != BT_OK)
		return rc;
	/* Read-your-writes: what this handle accepted is committed before the
	 * call looks (async.c's drain). */
	if (db->async)
		db->drain(db->async, deadline);
	return bti_db_lock_until(db, deadline, caller);
}

int bt_set_wait_notice(bt_db *db, int after_ms, bt_wait_notice_fn fn, void *arg)
{
	int rc;

	if (!db || after_ms < 0)
		return bti_error(BT_EINVALID, "bt_set_wait_notice: %s",
				 db ? "after_ms is negative" : "db is NULL");
	/* Under the lock: the store reads it there, on whichever thread waits. */
	rc = bti_db_enter(db, "bt_set_wait_notice");
	if (rc == BT_OK)
		rc = bti_db_lock_until(db, bti_mono_ms() + db->busy_timeout_ms, "bt_set_wait_notice");
	if (rc != BT_OK)
		return rc;
	db->notice.fn = fn;
	db->notice.arg = arg;
	db->notice.after_ms = after_ms;
	bti_db_unlock(db);
	return BT_OK;
}
