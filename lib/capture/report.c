/*
 * report.c - bt_report_create: tickets filed by hand (users, agents, other
 * systems).  A report with a fingerprint is grouped exactly as a captured
 * event with that explicit fingerprint, so the two can meet on one ticket.
 */
#include <errno.h>
#include <string.h>

#include "db.h"
#include "fingerprint.h"
#include "occurrence.h"
#include "redact.h"
#include "text.h"
#include "versioned.h"

static int check_report(const bt_report *r)
{
	if (!r->title || !*r->title)
		return bti_error(BT_EINVALID, "bt_report_create: title is NULL or empty");
	/* 0 selects the default; anything else must be a known value. */
	if (r->severity && !bt_severity_name(r->severity))
		return bti_error(BT_EINVALID, "bt_report_create: unknown severity %d", (int)r->severity);
	if (r->priority && !bt_priority_name(r->priority))
		return bti_error(BT_EINVALID, "bt_report_create: unknown priority %d", (int)r->priority);
	if (r->source && !bt_source_name(r->source))
		return bti_error(BT_EINVALID, "bt_report_create: unknown source %d", (int)r->source);
	return BT_OK;
}

/* The report's short fields, as they may be stored. */
enum { R_CATEGORY, R_COMPONENT, R_REPORTER, R_TRACE_ID, R_REQUEST_ID, R_RELEASE, R_COUNT };

/* Owned, cleaned copies of the report's text. */
typedef struct report_text {
	char *title, *description, *context;
	const char *field[R_COUNT];
	char *owned[R_COUNT];
	bti_grouping grouping;
} report_text;

static char *clean_opt(const char *s)
{
	return bti_text_clean(s, strlen(s), 0, NULL);
}

static int prepare(const bt_db *db, const bt_report *r, report_text *t)
{
	bti_grouping_in g;
	int redact = !(db->cfg.flags & BT_OPEN_NO_REDACT);
	const char *const *keys = (const char *const *)db->cfg.redact_keys;

	memset(t, 0, sizeof(*t));
	t->title = clean_opt(r->title);
	/* A title is host text like the description: "login failed for
	 * password=x" is as much a leak there. */
	if (t->title && redact) {
		char *clean = t->title;

		t->title = bti_redact_dup(clean, strlen(clean), keys, NULL);
		bti_free(clean);
	}
	if (t->title && r->description) {
		char *clean = clean_opt(r->description);

		t->description = clean && redact ? bti_redact_dup(clean, strlen(clean), keys, NULL) : clean;
		if (clean != t->description)
			bti_free(clean);
	}
	if (t->title && r->context_json) {
		char *clean = clean_opt(r->context_json);

		t->context = clean && redact ? bti_redact_dup(clean, strlen(clean), keys, NULL) : clean;
		if (clean != t->context)
			bti_free(clean);
	}
	if (!t->title || (r->description && !t->description) || (r->context_json && !t->context))
		return bti_error(BT_ENOMEM, "bt_report_create: out of memory");
	{
		const char *raw[R_COUNT] = { r->category, r->component, r->reporter, r->trace_id,
					     r->request_id, r->release_sha };
		int i;

		for (i = 0; i < R_COUNT; i++)
			if (bti_text_field(raw[i], 1024, &t->field[i], &t->owned[i]) != BT_OK)
				return bti_error(BT_ENOMEM, "bt_report_create: out of memory");
	}
	if (!r->fingerprint)
		return BT_OK;
	memset(&g, 0, sizeof(g));
	g.explicit_fp = r->fingerprint;
	g.message = t->title;
	g.message_len = strlen(t->title);
	return bti_grouping_compute(&t->grouping, &g);
}

static void report_text_free(report_text *t)
{
	bti_free(t->title);
	bti_free(t->description);
	bti_free(t->context);
	for (int i = 0; i < R_COUNT; i++)
		bti_free(t->owned[i]);
	bti_grouping_free(&t->grouping);
}

int bt_report_create(bt_db *db, const bt_report *r, int64_t *id_out,
		     char number_out[BT_TICKET_NUMBER_SIZE])
{
	int saved_errno = errno, rc;
	bti_occurrence o;
	bti_landing landing;
	report_text t;
	bt_report given;

	if (id_out)
		*id_out = 0;
	if (number_out)
		number_out[0] = '\0';
	if (!db || !r) {
		rc = bti_error(BT_EINVALID, "bt_report_create: %s is NULL", db ? "report" : "db");
		goto done;
	}
	rc = bti_versioned_in(&bti_v_report, "bt_report_create", r, &given);
	r = &given;
	if (rc == BT_OK)
		rc = check_report(r);
	if (rc != BT_OK)
		goto done;
	rc = prepare(db, r, &t);
	if (rc != BT_OK) {
		report_text_free(&t);
		goto done;
	}

	memset(&o, 0, sizeof(o));
	o.make_ticket = 1;
	o.dedup_window_ms = db->cfg.dedup_window_ms;
	o.fingerprint = r->fingerprint ? t.grouping.fingerprint : NULL;
	o.grouping_input = t.grouping.input;
	o.grouping_version = BTI_GROUPING_VERSION;
	o.title = t.title;
	o.description = t.description;
	o.severity = bt_severity_name(r->severity ? r->severity : BT_SEVERITY_MEDIUM);
	o.priority = bt_priority_name(r->priority ? r->priority : BT_PRIORITY_MEDIUM);
	o.source = bt_source_name(r->source ? r->source : BT_SOURCE_USER);
	o.category = t.field[R_CATEGORY];
	o.component = t.field[R_COMPONENT];
	o.reporter = t.field[R_REPORTER];
	o.trace_id = t.field[R_TRACE_ID];
	o.request_id = t.field[R_REQUEST_ID];
	o.context = t.context;
	o.context_raw = r->context_json;

	o.release = t.field[R_RELEASE];
	rc = bti_occurrence_record(db, &o, "bt_report_create", &landing);
	report_text_free(&t);
	if (rc == BT_OK) {
		if (id_out)
			*id_out = landing.ticket_id;
		if (number_out)
			memcpy(number_out, landing.number, BT_TICKET_NUMBER_SIZE);
	}
done:
	errno = saved_errno;
	return rc;
}
