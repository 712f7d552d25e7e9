/*
 * vacuum.c - bt_db_vacuum: giving back the space that purges and deletes
 * leave inside the database; bt_db_checkpoint: writing the WAL back for
 * handles that leave it to the host.  The backend does the work behind the
 * store's operations; this file takes the handle's lock around them.
 */
#include <errno.h>

#include "db.h"

int bt_db_vacuum(bt_db *db, int64_t *freed_out)
{
	int64_t freed = -1;
	int saved_errno = errno, rc;

	if (freed_out)
		*freed_out = -1;
	if (!db)
		return bti_error(BT_EINVALID, "bt_db_vacuum: db is NULL");
	if (db->cfg.flags & BT_OPEN_READONLY)
		return bti_error(BT_EREADONLY, "bt_db_vacuum: the handle is read-only");
	rc = bti_db_lock(db, "bt_db_vacuum");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_vacuum(db->store, &freed);
	bti_db_unlock(db);
	if (rc == BT_ENOTSUP)
		rc = bti_error(BT_ENOTSUP, "bt_db_vacuum: this storage backend cannot vacuum");
	else if (rc == BT_EBUSY)
		rc = bti_error_rewrap(BT_EBUSY, "bt_db_vacuum: another connection holds the database "
				      "(%s); try again when it is idle", bt_error_message());
	if (rc == BT_OK && freed_out)
		*freed_out = freed;
	errno = saved_errno;
	return rc;
}

int bt_db_checkpoint(bt_db *db, int64_t *log_pages_out, int64_t *backfilled_out)
{
	int64_t log = -1, done = -1;
	int saved_errno = errno, rc;

	if (log_pages_out)
		*log_pages_out = -1;
	if (backfilled_out)
		*backfilled_out = -1;
	if (!db)
		return bti_error(BT_EINVALID, "bt_db_checkpoint: db is NULL");
	if (db->cfg.flags & BT_OPEN_READONLY)
		return bti_error(BT_EREADONLY, "bt_db_checkpoint: the handle is read-only");
	/* Not bti_db_lock: an asynchronous handle's queue need not be
	 * committed first, the checkpoint writes back what is. */
	rc = bti_db_enter(db, "bt_db_checkpoint");
	if (rc == BT_OK)
		rc = bti_db_lock_until(db, bti_mono_ms() + db->busy_timeout_ms, "bt_db_checkpoint");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_checkpoint(db->store, &log, &done);
	bti_db_unlock(db);
	if (rc == BT_OK && log_pages_out)
		*log_pages_out = log;
	if (rc == BT_OK && backfilled_out)
		*backfilled_out = done;
	errno = saved_errno;
	return rc;
}
