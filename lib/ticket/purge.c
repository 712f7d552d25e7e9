/*
 * purge.c - bt_purge: deleting old tickets with their log rows and trail,
 * a batch per transaction.
 */
#include <errno.h>
#include <string.h>

#include "db.h"
#include "versioned.h"

/* Write what @b removed to the caller's @out, as far as its version goes. */
static void report(const bti_purge_batch *b, bt_purge_result *out)
{
	bt_purge_result all = BT_PURGE_RESULT_INIT;

	all.tickets = b->tickets;
	all.logs = b->logs;
	all.events = b->events;
	bti_versioned_out(&bti_v_purge_result, out, &all);
}

int bt_purge(bt_db *db, const bt_purge_options *opts, bt_purge_result *out)
{
	bt_purge_options o;
	bti_purge_batch b;
	int saved_errno = errno, rc = BT_OK;

	if (!db || !opts || !out)
		return bti_error(BT_EINVALID, "bt_purge: %s is NULL", !db ? "db" : !opts ? "opts" : "out");
	/* Before anything is removed: a purge whose counts cannot be told
	 * must not happen. */
	rc = bti_versioned_check(&bti_v_purge_result, "bt_purge", out);
	if (rc != BT_OK)
		return rc;
	memset(&b, 0, sizeof(b));
	report(&b, out);
	rc = bti_versioned_in(&bti_v_purge_options, "bt_purge", opts, &o);
	if (rc != BT_OK)
		return rc;
	opts = &o;
	if (opts->older_than_days <= 0)
		return bti_error(BT_EINVALID, "bt_purge: older_than_days must be positive, not %d",
				 opts->older_than_days);
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
	report(&b, out);
	errno = saved_errno;
	return rc;
}
