/*
 * fuzz_import.c - the JSON importer (bt_import_json): legacy reports,
 * export records and arrays of them, on arbitrary bytes.
 *
 * Each input starts from the same empty database (fuzz_fresh_db), so that
 * what it does never depends on the inputs before it.  Checked:
 *  - only the documented codes come back: BT_OK, BT_EINVALID for bad
 *    input, BT_ECONFLICT for an export record whose id another ticket has;
 *  - a dry run predicts the real import: the same code, and on success the
 *    same counts;
 *  - the counts add up: records = imported + skipped on success, each
 *    imported record is one new ticket, and nothing is imported or
 *    skipped on failure;
 *  - importing is idempotent: the same document again imports nothing and
 *    skips every record;
 *  - a failed import stores nothing: the database lists no ticket.
 */
#include <string.h>

#include "fuzz.h"

static int import(bt_db *db, const uint8_t *data, size_t size, int dry_run, bt_import_result *r)
{
	bt_import_options o = BT_IMPORT_OPTIONS_INIT;
	bt_import_result init = BT_IMPORT_RESULT_INIT;
	int rc;

	o.dry_run = dry_run;
	o.actor = "fuzz";
	*r = init;
	rc = bt_import_json(db, (const char *)data, size, &o, r);
	if (rc != BT_OK && rc != BT_EINVALID && rc != BT_ECONFLICT) {
		fprintf(stderr, "bt_import_json: %d %s\n", rc, bt_error_message());
		FUZZ_ASSERT(!"an undocumented return code");
	}
	if (rc == BT_OK) {
		FUZZ_ASSERT(r->records == r->imported + r->skipped);
		FUZZ_ASSERT(r->failed_record == -1);
	} else {
		FUZZ_ASSERT(r->imported == 0 && r->skipped == 0);
		FUZZ_ASSERT(r->failed_record >= -1);
	}
	return rc;
}

static int64_t count_tickets(bt_db *db)
{
	bt_ticket_counts c;

	memset(&c, 0, sizeof(c));
	c.version = BT_TICKET_COUNTS_VERSION;
	FUZZ_ASSERT(bt_ticket_counts_get(db, &c) == BT_OK);
	return c.total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bt_db *db = fuzz_fresh_db("import.db", NULL);
	bt_import_result dry, real, again;
	int rc_dry, rc;

	char dry_msg[512];

	rc_dry = import(db, data, size, 1, &dry);
	snprintf(dry_msg, sizeof(dry_msg), "%s", bt_error_message());
	FUZZ_ASSERT(count_tickets(db) == 0);
	rc = import(db, data, size, 0, &real);
	/* Documented limit of a dry run: it stores nothing, so a duplicate_of
	 * naming an id that only this very document's import would create is
	 * refused there (README, "bugtrack import"). */
	if (rc_dry == BT_EINVALID && rc == BT_OK &&
	    strstr(dry_msg, "is no ticket of this database or input"))
		rc_dry = rc, dry = real;
	if (rc != rc_dry) {
		fprintf(stderr, "dry run %d, import %d: %s\n", rc_dry, rc, bt_error_message());
		FUZZ_ASSERT(!"the dry run did not predict the import");
	}
	if (rc == BT_OK) {
		FUZZ_ASSERT(dry.records == real.records);
		FUZZ_ASSERT(dry.imported == real.imported);
		FUZZ_ASSERT(dry.skipped == real.skipped);
		FUZZ_ASSERT(count_tickets(db) == real.imported);
		FUZZ_ASSERT(import(db, data, size, 0, &again) == BT_OK);
		FUZZ_ASSERT(again.records == real.records);
		FUZZ_ASSERT(again.imported == 0);
		FUZZ_ASSERT(again.skipped == real.records);
	} else {
		FUZZ_ASSERT(count_tickets(db) == 0);
	}
	bt_close(db);
	return 0;
}
