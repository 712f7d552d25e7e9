/*
 * ticket.c - tickets as the API sees them: the bt_ticket snapshot and its
 * getters, reading one ticket, counting them.  The vocabulary (status and
 * severity names, the SLA policy) is core/vocab.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "db.h"
#include "ticket.h"
#include "vocab.h"
#include "versioned.h"

/* ---- the snapshot ---- */

void bt_ticket_free(bt_ticket *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < BTI_T_TEXT_COUNT; i++)
		bti_free(t->text[i]);
	bti_free(t);
}

#define TEXT(t, f) ((t) ? (t)->text[f] : NULL)
#define NUM(t, f) ((t) ? (t)->num[f] : 0)

int64_t bt_ticket_id(const bt_ticket *t) { return NUM(t, BTI_T_ID); }
const char *bt_ticket_number(const bt_ticket *t) { return TEXT(t, BTI_T_NUMBER); }
const char *bt_ticket_title(const bt_ticket *t) { return TEXT(t, BTI_T_TITLE); }
const char *bt_ticket_component(const bt_ticket *t) { return TEXT(t, BTI_T_COMPONENT); }
const char *bt_ticket_fingerprint(const bt_ticket *t) { return TEXT(t, BTI_T_FINGERPRINT); }
const char *bt_ticket_grouping_input(const bt_ticket *t) { return TEXT(t, BTI_T_GROUPING_INPUT); }
const char *bt_ticket_error_message(const bt_ticket *t) { return TEXT(t, BTI_T_ERROR_MESSAGE); }
const char *bt_ticket_stack_trace(const bt_ticket *t) { return TEXT(t, BTI_T_STACK_TRACE); }
int64_t bt_ticket_occurrence_count(const bt_ticket *t) { return NUM(t, BTI_T_OCCURRENCES); }
int64_t bt_ticket_regression_count(const bt_ticket *t) { return NUM(t, BTI_T_REGRESSIONS); }
int64_t bt_ticket_first_occurred_at(const bt_ticket *t) { return NUM(t, BTI_T_FIRST_OCCURRED); }
int64_t bt_ticket_last_occurred_at(const bt_ticket *t) { return NUM(t, BTI_T_LAST_OCCURRED); }

const char *bt_ticket_description(const bt_ticket *t) { return TEXT(t, BTI_T_DESCRIPTION); }
const char *bt_ticket_category(const bt_ticket *t) { return TEXT(t, BTI_T_CATEGORY); }
const char *bt_ticket_reporter(const bt_ticket *t) { return TEXT(t, BTI_T_REPORTER); }
const char *bt_ticket_assignee(const bt_ticket *t) { return TEXT(t, BTI_T_ASSIGNEE); }
const char *bt_ticket_error_type(const bt_ticket *t) { return TEXT(t, BTI_T_ERROR_TYPE); }
const char *bt_ticket_service(const bt_ticket *t) { return TEXT(t, BTI_T_SERVICE); }
const char *bt_ticket_host(const bt_ticket *t) { return TEXT(t, BTI_T_HOST); }
const char *bt_ticket_environment(const bt_ticket *t) { return TEXT(t, BTI_T_ENVIRONMENT); }
const char *bt_ticket_release(const bt_ticket *t) { return TEXT(t, BTI_T_RELEASE); }
const char *bt_ticket_trace_id(const bt_ticket *t) { return TEXT(t, BTI_T_TRACE_ID); }
const char *bt_ticket_request_id(const bt_ticket *t) { return TEXT(t, BTI_T_REQUEST_ID); }
const char *bt_ticket_context(const bt_ticket *t) { return TEXT(t, BTI_T_CONTEXT); }
const char *bt_ticket_resolution_notes(const bt_ticket *t) { return TEXT(t, BTI_T_RESOLUTION_NOTES); }
const char *bt_ticket_resolution_commit(const bt_ticket *t) { return TEXT(t, BTI_T_RESOLUTION_COMMIT); }
const char *bt_ticket_resolved_by(const bt_ticket *t) { return TEXT(t, BTI_T_RESOLVED_BY); }
const char *bt_ticket_resolved_release(const bt_ticket *t) { return TEXT(t, BTI_T_RESOLVED_RELEASE); }
const char *bt_ticket_claimed_by(const bt_ticket *t) { return TEXT(t, BTI_T_CLAIMED_BY); }
const char *bt_ticket_external_id(const bt_ticket *t) { return TEXT(t, BTI_T_EXTERNAL_ID); }
int64_t bt_ticket_claimed_at(const bt_ticket *t) { return NUM(t, BTI_T_CLAIMED_AT); }
int64_t bt_ticket_claim_expires_at(const bt_ticket *t) { return NUM(t, BTI_T_CLAIM_EXPIRES_AT); }
int64_t bt_ticket_automation_attempts(const bt_ticket *t) { return NUM(t, BTI_T_AUTOMATION_ATTEMPTS); }
int64_t bt_ticket_version(const bt_ticket *t) { return NUM(t, BTI_T_VERSION); }
int64_t bt_ticket_duplicate_of(const bt_ticket *t) { return NUM(t, BTI_T_DUPLICATE_OF); }
int64_t bt_ticket_created_at(const bt_ticket *t) { return NUM(t, BTI_T_CREATED_AT); }
int64_t bt_ticket_updated_at(const bt_ticket *t) { return NUM(t, BTI_T_UPDATED_AT); }
int64_t bt_ticket_resolved_at(const bt_ticket *t) { return NUM(t, BTI_T_RESOLVED_AT); }
int64_t bt_ticket_sla_due_at(const bt_ticket *t) { return NUM(t, BTI_T_SLA_DUE_AT); }

bt_status bt_ticket_status(const bt_ticket *t)
{
	return (bt_status)bti_status_from_name(TEXT(t, BTI_T_STATUS));
}

bt_severity bt_ticket_severity(const bt_ticket *t)
{
	return (bt_severity)bti_severity_from_name(TEXT(t, BTI_T_SEVERITY));
}

bt_priority bt_ticket_priority(const bt_ticket *t)
{
	return (bt_priority)bti_priority_from_name(TEXT(t, BTI_T_PRIORITY));
}

bt_source bt_ticket_source(const bt_ticket *t)
{
	return (bt_source)bti_source_from_name(TEXT(t, BTI_T_SOURCE));
}

/* ---- reading ---- */

int bt_ticket_get(bt_db *db, int64_t id, bt_ticket **out)
{
	int rc;

	if (out)
		*out = NULL;
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_ticket_get: %s is NULL", db ? "out" : "db");
	rc = bti_db_lock(db, "bt_ticket_get");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_ticket_get(db->store, id, out);
	bti_db_unlock(db);
	return rc;
}

int bt_ticket_get_by_number(bt_db *db, const char *number, bt_ticket **out)
{
	const char *p = number;
	int64_t id = 0;

	if (out)
		*out = NULL;
	if (!db || !number || !out)
		return bti_error(BT_EINVALID, "bt_ticket_get_by_number: %s is NULL",
				 !db ? "db" : !number ? "number" : "out");
	/* Numbers are BUG- and the zero-padded id (the generated column). */
	if ((p[0] == 'B' || p[0] == 'b') && (p[1] == 'U' || p[1] == 'u') &&
	    (p[2] == 'G' || p[2] == 'g') && p[3] == '-')
		p += 4;
	if (!*p)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || id > (INT64_MAX - 9) / 10)
			goto bad;
		id = id * 10 + (*p - '0');
	}
	return bt_ticket_get(db, id, out);
bad:
	return bti_error(BT_EINVALID, "bt_ticket_get_by_number: \"%.40s\" is not a ticket number "
			 "such as BUG-00042", number);
}

/* The ticket a store lookup by @key finds (an external id, a trace id),
 * read whole; @fn names the API function, @what the key in messages. */
static int get_by_key(bt_db *db, const char *key, bt_ticket **out, const char *fn,
		      const char *what, const char *none,
		      int (*lookup)(bti_store *st, const char *key, int64_t *id_out))
{
	int64_t id = 0;
	int rc;

	if (out)
		*out = NULL;
	if (!db || !key || !*key || !out)
		return bti_error(BT_EINVALID, "%s: %s", fn, !db ? "db is NULL" : !out ? "out is NULL"
				 : what);
	rc = bti_db_lock(db, fn);
	if (rc != BT_OK)
		return rc;
	rc = lookup(db->store, key, &id);
	if (rc == BT_OK)
		rc = bti_store_ticket_get(db->store, id, out);
	else if (rc == BT_ENOTFOUND) /* the store leaves no message for it */
		rc = bti_error(BT_ENOTFOUND, "%s: %s \"%.64s\"", fn, none, key);
	bti_db_unlock(db);
	return rc;
}

int bt_ticket_get_by_external_id(bt_db *db, const char *external_id, bt_ticket **out)
{
	return get_by_key(db, external_id, out, "bt_ticket_get_by_external_id",
			  "external_id is NULL or empty", "no ticket has the external id",
			  bti_store_ticket_by_external_id);
}

int bt_ticket_get_by_trace_id(bt_db *db, const char *trace_id, bt_ticket **out)
{
	return get_by_key(db, trace_id, out, "bt_ticket_get_by_trace_id",
			  "trace_id is NULL or empty", "no occurrence has the trace id",
			  bti_store_ticket_by_trace_id);
}

/* The store counts by status and severity value; the API names a field for
 * each (so that one added later is a field appended, not an array grown). */
static void name_counts(const bti_ticket_counts *c, bt_ticket_counts *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->version = BT_TICKET_COUNTS_VERSION;
	for (i = 1; i < BTI_ARRAY_LEN(c->by_status); i++)
		out->total += c->by_status[i];
	out->status_new = c->by_status[BT_STATUS_NEW];
	out->status_triaged = c->by_status[BT_STATUS_TRIAGED];
	out->status_in_progress = c->by_status[BT_STATUS_IN_PROGRESS];
	out->status_awaiting_verification = c->by_status[BT_STATUS_AWAITING_VERIFICATION];
	out->status_resolved = c->by_status[BT_STATUS_RESOLVED];
	out->status_closed = c->by_status[BT_STATUS_CLOSED];
	out->open_low = c->open_by_severity[BT_SEVERITY_LOW];
	out->open_medium = c->open_by_severity[BT_SEVERITY_MEDIUM];
	out->open_high = c->open_by_severity[BT_SEVERITY_HIGH];
	out->open_critical = c->open_by_severity[BT_SEVERITY_CRITICAL];
	out->overdue = c->overdue;
	out->dropped = c->dropped;
}

int bt_ticket_counts_get(bt_db *db, bt_ticket_counts *out)
{
	bti_ticket_counts raw;
	bt_ticket_counts all;
	int rc;

	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_ticket_counts_get: %s is NULL", db ? "out" : "db");
	if (bti_versioned_check(&bti_v_ticket_counts, "bt_ticket_counts_get", out) != BT_OK)
		return BT_EINVALID;
	memset(&raw, 0, sizeof(raw));
	rc = bti_db_lock(db, "bt_ticket_counts_get");
	if (rc != BT_OK)
		return rc;
	rc = bti_store_ticket_counts(db->store, bti_db_now(db), &raw);
	bti_db_unlock(db);
	name_counts(&raw, &all);
	bti_versioned_out(&bti_v_ticket_counts, out, &all);
	return rc;
}
