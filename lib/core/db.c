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
