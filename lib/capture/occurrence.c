/*
 * occurrence.c - finishing an occurrence: host input becomes one
 * bti_occurrence - bounded, valid UTF-8, redacted, grouped - and, under the
 * handle's lock, is stamped with the handle-wide context and landed.  Shared
 * by capture (on the caller's thread), the asynchronous writer (on its own)
 * and bt_report_create, so it sits below all of them and includes none.
 */
#include <stdio.h>
#include <string.h>

#include "occurrence.h"
#include "backtrace.h"
#include "context.h"
#include "db.h"
#include "fingerprint.h"
#include "json.h"
#include "landing.h"
#include "redact.h"
#include "text.h"
#include "vocab.h"

/* Host identifiers longer than this are cut: they are names, not text. */
#define FIELD_MAX 1024

void bti_prepared_free(bti_prepared *p)
{
	int i;

	bti_free(p->message);
	bti_free(p->context);
	bti_free(p->stack);
	bti_free(p->title);
	bti_free(p->template_);
	for (i = 0; i < BTI_F_COUNT; i++)
		bti_free(p->owned[i]);
	bti_grouping_free(&p->grouping);
}

/* Valid UTF-8 and bounded, like everything else that is stored. */
static int clean_fields(const bti_capture_in *in, bti_prepared *p)
{
	const char *raw[BTI_F_COUNT] = {
		in->ev.component, in->ev.error_type, in->ev.file, in->ev.function,
		in->ev.trace_id ? in->ev.trace_id : bti_thread_trace_id(),
		in->ev.request_id ? in->ev.request_id : bti_thread_request_id(),
		in->ev.service, in->ev.host, in->ev.environment, in->ev.release,
	};
	int i;

	for (i = 0; i < BTI_F_COUNT; i++)
		if (bti_text_field(raw[i], FIELD_MAX, &p->field[i], &p->owned[i]) != BT_OK)
			return BT_ENOMEM;
	return BT_OK;
}

/* Clean, then redact unless the handle says not to. */
static char *safe_text(const bt_db *db, const char *in, size_t len, size_t max, size_t *len_out)
{
	size_t clean_len;
	char *clean = bti_text_clean(in, len, max, &clean_len), *redacted;

	if (!clean || (db->cfg.flags & BT_OPEN_NO_REDACT)) {
		if (len_out)
			*len_out = clean_len;
		return clean;
	}
	redacted = bti_redact_dup(clean, clean_len, (const char *const *)db->cfg.redact_keys, len_out);
	bti_free(clean);
	return redacted;
}

/* A title is what the ticket is about: its template (the printf format, or
 * the normalized message) after its error type, as "ENOENT: open %s: %s".
 * Severity and component have their own columns and are not repeated.
 * Whitespace runs (newlines included) read as one space.  A title longer
 * than BTI_TITLE_MAX bytes is cut on a UTF-8 boundary, at the last space
 * when one lies in the second half, and every cut ends with "…". */
#define BTI_TITLE_MAX 120
#define ELLIPSIS "\xe2\x80\xa6"

static size_t utf8_floor(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static char *make_title(const char *error_type, const char *subject)
{
	size_t type_len = error_type ? strlen(error_type) : 0, cap, len = 0, cut;
	const char *s;
	char *title;
	int space = 0;

	if (type_len && strncmp(subject, error_type, type_len) == 0)
		type_len = 0; /* "ENOENT: ..." already says it */
	cap = type_len + 2 + strlen(subject) + sizeof(ELLIPSIS);
	title = bti_malloc(cap);
	if (!title)
		return NULL;
	if (type_len) {
		memcpy(title, error_type, type_len);
		len = type_len;
		if (*subject) {
			memcpy(title + len, ": ", 2);
			len += 2;
		}
	}
	for (s = subject; *s; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') {
			space = len > 0;
			continue;
		}
		if (space)
			title[len++] = ' ';
		space = 0;
		title[len++] = *s;
	}
	title[len] = '\0';
	if (len <= BTI_TITLE_MAX)
		return title;
	cut = utf8_floor(title, BTI_TITLE_MAX - (sizeof(ELLIPSIS) - 1));
	{
		size_t word = cut;

		while (word > BTI_TITLE_MAX / 2 && title[word] != ' ')
			word--;
		if (title[word] == ' ')
			cut = word;
	}
	while (cut > 0 && title[cut - 1] == ' ')
		cut--;
	memcpy(title + cut, ELLIPSIS, sizeof(ELLIPSIS));
	return title;
}

static int prepare(const bt_db *db, const bti_capture_in *in, bti_prepared *p)
{
	size_t message_len;
	bti_grouping_in g;

	memset(p, 0, sizeof(*p));
	if (clean_fields(in, p) != BT_OK)
		goto nomem;
	/* An error type is host text like the message ("AuthError token=x"):
	 * redacted before the grouping and the title read it. */
	{
		const char *red;
		char *owned;

		if (bti_redact_field(db, p->field[BTI_F_ERROR_TYPE], &red, &owned) != BT_OK)
			goto nomem;
		if (owned) {
			bti_free(p->owned[BTI_F_ERROR_TYPE]);
			p->owned[BTI_F_ERROR_TYPE] = owned;
			p->field[BTI_F_ERROR_TYPE] = red;
		}
	}
	p->message = safe_text(db, in->ev.message, in->message_len, db->cfg.max_message_bytes, &message_len);
	if (!p->message)
		goto nomem;
	/* A host template is host text like any other: bounded, cleaned and
	 * redacted (a secret in a format string is still a secret). */
	if (in->ev.message_template) {
		p->template_ = safe_text(db, in->ev.message_template, strlen(in->ev.message_template),
					 db->cfg.max_message_bytes, NULL);
		if (!p->template_)
			goto nomem;
	}
	if (in->ev.context_json) {
		p->context = safe_text(db, in->ev.context_json, strlen(in->ev.context_json), 0, NULL);
		if (!p->context)
			goto nomem;
	}
	if (in->ev.stack_trace)
		p->stack = safe_text(db, in->ev.stack_trace, strlen(in->ev.stack_trace), 0, NULL);
	else if (db->cfg.stack_level && in->ev.level >= db->cfg.stack_level && !in->stack_taken)
		p->stack = bti_backtrace_text(in->caller_pc);

	g.component = p->field[BTI_F_COMPONENT];
	g.error_type = p->field[BTI_F_ERROR_TYPE];
	g.template_ = p->template_;
	g.message = p->message;
	g.message_len = message_len;
	g.function = p->field[BTI_F_FUNCTION];
	g.stack = (db->cfg.flags & BT_OPEN_STACK_IN_FINGERPRINT) ? p->stack : NULL;
	g.explicit_fp = in->ev.fingerprint;
	if (bti_grouping_compute(&p->grouping, &g) != BT_OK)
		goto nomem;
	if (in->ev.level >= db->cfg.ticket_level) {
		p->title = make_title(p->field[BTI_F_ERROR_TYPE], p->grouping.template_);
		if (!p->title)
			goto nomem;
	}
	return BT_OK;
nomem:
	bti_prepared_free(p);
	return bti_error(BT_ENOMEM, "%s: out of memory", in->caller);
}

/* Context that is not JSON is the host's error.  Redaction can make valid
 * JSON invalid (a quote it cannot match); then the event is still worth
 * keeping, so the whole context becomes "[redacted]" rather than leak. */
static int check_context(bti_occurrence *o, int lenient, const char *caller)
{
	const char *raw = o->context_raw ? o->context_raw : o->context;

	if (!bti_json_valid(raw, strlen(raw))) {
		if (!lenient)
			return bti_error(BT_EINVALID, "%s: context is not valid JSON", caller);
		o->context = "\"[invalid JSON]\"";
		return BT_OK;
	}
	if (raw != o->context && strcmp(raw, o->context) != 0 &&
	    !bti_json_valid(o->context, strlen(o->context)))
		o->context = "\"[redacted]\"";
	return BT_OK;
}

int bti_occurrence_stamp(bt_db *db, bti_occurrence *o, int lenient, const char *caller)
{
	if (o->severity)
		o->sla_due_at = bti_sla_due(db->cfg.sla_ms, o->severity, o->now);
	o->sla_ms = db->cfg.sla_ms;
	if (!o->service)
		o->service = db->context[BT_CONTEXT_SERVICE];
	if (!o->release)
		o->release = db->context[BT_CONTEXT_RELEASE];
	if (!o->environment)
		o->environment = db->context[BT_CONTEXT_ENVIRONMENT];
	if (!o->host)
		o->host = db->context[BT_CONTEXT_HOST];
	return o->context ? check_context(o, lenient, caller) : BT_OK;
}

int bti_occurrence_record(bt_db *db, bti_occurrence *o, const char *caller, bti_landing *out)
{
	int rc = bti_db_lock(db, caller);

	if (rc != BT_OK)
		return rc;
	o->now = bti_db_now(db);
	rc = bti_occurrence_stamp(db, o, 0, caller);
	if (rc == BT_OK)
		rc = bti_land_record(db->store, o, out);
	bti_db_unlock(db);
	return rc;
}

/* The occurrence @p amounts to, as every backend stores it. */
static void fill_occurrence(const bt_db *db, const bti_capture_in *in, const bti_prepared *p,
			    bti_occurrence *o)
{
	memset(o, 0, sizeof(*o));
	o->store_log = in->ev.level >= db->cfg.store_level;
	o->make_ticket = in->ev.level >= db->cfg.ticket_level;
	o->dedup_window_ms = db->cfg.dedup_window_ms;
	o->fingerprint = p->grouping.fingerprint;
	o->grouping_input = p->grouping.input;
	o->grouping_version = BTI_GROUPING_VERSION;
	o->level = in->ev.level;
	o->component = p->field[BTI_F_COMPONENT];
	o->message = p->message;
	o->message_template = p->grouping.template_;
	o->error_type = p->field[BTI_F_ERROR_TYPE];
	o->error_code = in->ev.error_code;
	o->file = p->field[BTI_F_FILE];
	o->line = in->ev.line;
	o->function = p->field[BTI_F_FUNCTION];
	o->stack_trace = p->stack;
	o->context = p->context;
	o->context_raw = in->ev.context_json;
	o->trace_id = p->field[BTI_F_TRACE_ID];
	o->request_id = p->field[BTI_F_REQUEST_ID];
	/* The event's own context; the handle's fills the rest when stamped. */
	o->service = p->field[BTI_F_SERVICE];
	o->host = p->field[BTI_F_HOST];
	o->environment = p->field[BTI_F_ENVIRONMENT];
	o->release = p->field[BTI_F_RELEASE];
	o->note_release = o->release != NULL;
	o->pid = bti_db_pid(db);
	o->log_rows_per_ticket = db->cfg.log_rows_per_ticket;
	o->title = p->title;
	o->severity = bti_severity_for_level(in->ev.level);
	o->source = "system";
	o->priority = "medium";
}

int bti_occurrence_prepare(const bt_db *db, const bti_capture_in *in, bti_prepared *p,
			   bti_occurrence *o)
{
	int rc = prepare(db, in, p);

	if (rc == BT_OK)
		fill_occurrence(db, in, p, o);
	return rc;
}
