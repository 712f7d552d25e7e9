/*
 * dedup.c - bt_dedup_lookup and bt_dedup_lookup_event: the ticket an error
 * would land on now, by the same fingerprint and dedup window as capture.
 */
#include <errno.h>

#include "capture.h"
#include "db.h"

static int lookup(bt_db *db, const char *fingerprint, bt_ticket **out)
{
	int rc;

	rc = bti_db_lock(db, "bt_dedup_lookup");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_dedup_lookup(db->store, fingerprint, bti_db_now(db), db->cfg.dedup_window_ms, out);
	bti_db_unlock(db);
	return rc;
}

int bt_dedup_lookup(bt_db *db, const char *fingerprint, bt_ticket **out)
{
	if (out)
		*out = NULL;
	if (!db || !fingerprint || !out)
		return bti_error(BT_EINVALID, "bt_dedup_lookup: %s is NULL",
				 !db ? "db" : !fingerprint ? "fingerprint" : "out");
	return lookup(db, fingerprint, out);
}

int bt_dedup_lookup_event(bt_db *db, const bt_event *event, bt_ticket **out)
{
	char fp[BT_FINGERPRINT_SIZE];
	int saved_errno = errno, rc;

	if (out)
		*out = NULL;
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_dedup_lookup_event: %s is NULL", db ? "out" : "db");
	rc = bti_event_fingerprint(db, event, "bt_dedup_lookup_event", fp);
	if (rc == BT_OK)
		rc = lookup(db, fp, out);
	errno = saved_errno;
	return rc;
}
