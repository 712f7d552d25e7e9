/*
 * purge.c - bt_purge: deleting old tickets with their log rows and trail,
 * a batch per transaction.
 */
#include <errno.h>
#include <string.h>

#include "db.h"
#include "versioned.h"

int bt_purge(bt_db *db, const bt_purge_options *opts, bt_purge_result *result)
{
	bt_purge_options o;
	bti_purge_batch b;
	int saved_errno = errno, rc = BT_OK;

	if (result)
		memset(result, 0, sizeof(*result));
	if (!db || !opts || !result)
		return bti_error(BT_EINVALID, "bt_purge: %s is NULL", !db ? "db" : !opts ? "opts" : "result");
	rc = bti_versioned_in(&bti_v_purge_options, "bt_purge", opts, &o);
	if (rc != BT_OK)
		return rc;
	opts = &o;
	if (opts->older_than_days <= 0)
		return bti_error(BT_EINVALID, "bt_purge: older_than_days must be positive, not %d",
				 opts->older_than_days);
	memset(&b, 0, sizeof(b));
	b.include_open = opts->include_open != 0;
	b.dry_run = opts->dry_run != 0;
	b.batch_size = opts->batch_size ? opts->batch_size : 500;
	b.cutoff = bti_db_now(db) - (int64_t)opts->older_than_days * 24 * 3600 * 1000;
	/* Each batch takes the lock and its own transaction, so that other
	 * threads and processes get to write between batches. */
	while (rc == BT_OK && !b.done) {
		rc = bti_db_lock(db, "bt_purge");
		if (rc != BT_OK)
			break;
		rc = bti_store_purge_step(db->store, &b);
		bti_db_unlock(db);
		if (rc == BT_OK && opts->progress)
			opts->progress(b.tickets, b.logs, b.events, opts->payload);
	}
	result->tickets = b.tickets;
	result->logs = b.logs;
	result->events = b.events;
	errno = saved_errno;
	return rc;
}
