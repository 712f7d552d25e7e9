/*
 * dedup.c - bt_dedup_lookup: the ticket an error with a given fingerprint
 * (bt_fingerprint) would land on now, by the rule capture lands it with (landing.c).
 */
#include <string.h>

#include "db.h"
#include "landing.h"

static int lookup(bt_db *db, const char *fingerprint, bt_ticket **out)
{
	bti_occurrence o;
	int64_t id = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	o.fingerprint = fingerprint;
	o.dedup_window_ms = db->cfg.dedup_window_ms;
	rc = bti_db_lock(db, "bt_dedup_lookup");
	if (rc != BT_OK)
		return rc;
	o.now = bti_db_now(db);
	rc = bti_land_lookup(db->store, &o, &id);
	if (rc == BT_OK && !id)
		rc = bti_error(BT_ENOTFOUND, "bt_dedup_lookup: no ticket would take it; it would "
			       "open a new one");
	if (rc == BT_OK)
		rc = bti_store_ticket_get(db->store, id, out);
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
