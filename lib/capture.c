/*
 * capture.c - the capture entry points: bt_log and friends, bt_log_event,
 * and the helpers behind TRACK_ERRORS.  Each turns host input into one
 * bti_occurrence - bounded, valid UTF-8, redacted, grouped - and hands it to
 * the store, which writes it in one transaction.  All the text work happens
 * before the handle's lock is taken.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "async.h"
#include "backtrace.h"
#include "capture.h"
#include "context.h"
#include "db.h"
#include "fingerprint.h"
#include "normalize.h"
#include "text.h"
#include "ticket.h"

/* Host input, common to every entry point: a bt_log line is turned into
 * the event it amounts to. */
typedef struct capture_in {
	bt_event ev;           /* message is formatted but raw */
	size_t message_len;
	const char *caller;    /* the API function, for messages */
	const void *caller_pc; /* return address into the host, for backtraces */
	const bti_site *site;  /* a bt_log call site for the asynchronous cache */
} capture_in;

/* Host identifiers longer than this are cut: they are names, not text. */
#define FIELD_MAX 1024

/* The host's short fields, as they may be stored. */
enum { F_COMPONENT, F_ERROR_TYPE, F_FILE, F_FUNCTION, F_TRACE_ID, F_REQUEST_ID, F_COUNT };

/* What preparing an occurrence allocated. */
typedef struct prepared {
	char *message, *context, *stack, *title, *template_;
	const char *field[F_COUNT];
	char *owned[F_COUNT];
	bti_grouping grouping;
} prepared;

static void prepared_free(prepared *p)
{
	int i;

	bti_free(p->message);
	bti_free(p->context);
	bti_free(p->stack);
	bti_free(p->title);
	bti_free(p->template_);
	for (i = 0; i < F_COUNT; i++)
		bti_free(p->owned[i]);
	bti_grouping_free(&p->grouping);
}

/* Valid UTF-8 and bounded, like everything else that is stored. */
static int clean_fields(const capture_in *in, prepared *p)
{
	const char *raw[F_COUNT] = {
		in->ev.component, in->ev.error_type, in->ev.file, in->ev.function,
		in->ev.trace_id ? in->ev.trace_id : bti_thread_trace_id(),
		in->ev.request_id ? in->ev.request_id : bti_thread_request_id(),
	};
	int i;

	for (i = 0; i < F_COUNT; i++)
		if (bti_text_field(raw[i], FIELD_MAX, &p->field[i], &p->owned[i]) != BT_OK)
			return BT_ENOMEM;
	return BT_OK;
}

static int valid_level(bt_level level)
{
	return level == BT_DEBUG || level == BT_INFO || level == BT_WARNING ||
	       level == BT_ERROR || level == BT_CRITICAL;
}

static int wanted(const bt_db *db, bt_level level)
{
	return level >= db->cfg.store_level || level >= db->cfg.ticket_level;
}

static int check_input(const bt_db *db, const capture_in *in)
{
	if (!db)
		return bti_error(BT_EINVALID, "%s: db is NULL", in->caller);
	if (!valid_level(in->ev.level))
		return bti_error(BT_EINVALID, "%s: unknown level %d", in->caller, (int)in->ev.level);
	if (!in->ev.component || !*in->ev.component)
		return bti_error(BT_EINVALID, "%s: component is NULL or empty", in->caller);
	if (!in->ev.message)
		return bti_error(BT_EINVALID, "%s: message is NULL", in->caller);
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

static char *make_title(bt_level level, const char *component, const char *error_type,
			const char *message)
{
	char title[200];

	if (error_type && *error_type)
		snprintf(title, sizeof(title), "%s: %s - %s", bti_level_title(level), component, error_type);
	else
		snprintf(title, sizeof(title), "%s: %s - %.80s", bti_level_title(level), component, message);
	/* A cut may split a UTF-8 sequence; cleaning mends it. */
	return bti_text_clean(title, strlen(title), 0, NULL);
}

static int prepare(const bt_db *db, const capture_in *in, prepared *p)
{
	size_t message_len;
	int stack_wanted;
	bti_grouping_in g;

	memset(p, 0, sizeof(*p));
	if (clean_fields(in, p) != BT_OK)
		goto nomem;
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
	stack_wanted = db->cfg.stack_level && in->ev.level >= db->cfg.stack_level;
	if (in->ev.stack_trace)
		p->stack = bti_text_clean(in->ev.stack_trace, strlen(in->ev.stack_trace), 0, NULL);
	else if (stack_wanted)
		p->stack = bti_backtrace_text(in->caller_pc);

	g.component = p->field[F_COMPONENT];
	g.error_type = p->field[F_ERROR_TYPE];
	g.template_ = p->template_;
	g.message = p->message;
	g.message_len = message_len;
	g.function = p->field[F_FUNCTION];
	g.stack = (db->cfg.flags & BT_OPEN_STACK_IN_FINGERPRINT) ? p->stack : NULL;
	g.explicit_fp = in->ev.fingerprint;
	if (bti_grouping_compute(&p->grouping, &g) != BT_OK)
		goto nomem;
	if (in->ev.level >= db->cfg.ticket_level) {
		p->title = make_title(in->ev.level, p->field[F_COMPONENT], p->field[F_ERROR_TYPE],
				      p->message);
		if (!p->title)
			goto nomem;
	}
	return BT_OK;
nomem:
	prepared_free(p);
	return bti_error(BT_ENOMEM, "%s: out of memory", in->caller);
}

/* Context that is not JSON is the host's error.  Redaction can make valid
 * JSON invalid (a quote it cannot match); then the event is still worth
 * keeping, so the whole context becomes "[redacted]" rather than leak. */
static int check_context(bt_db *db, bti_occurrence *o, int lenient, const char *caller)
{
	const char *raw = o->context_raw ? o->context_raw : o->context;
	int valid = 0, rc = bti_store_json_valid(db->store, raw, &valid);

	if (rc == BT_OK && !valid && lenient) {
		o->context = "\"[invalid JSON]\"";
		return BT_OK;
	}
	if (rc == BT_OK && !valid)
		return bti_error(BT_EINVALID, "%s: context is not valid JSON", caller);
	if (rc == BT_OK && raw != o->context && strcmp(raw, o->context) != 0)
		rc = bti_store_json_valid(db->store, o->context, &valid);
	if (rc == BT_OK && !valid)
		o->context = "\"[redacted]\"";
	return rc;
}

int bti_capture_stamp(bt_db *db, bti_occurrence *o, int lenient, const char *caller)
{
	if (o->severity)
		o->sla_due_at = bti_sla_due(db->cfg.sla_ms, o->severity, o->now);
	o->sla_ms = db->cfg.sla_ms;
	o->service = db->context[BT_CONTEXT_SERVICE];
	if (!o->release)
		o->release = db->context[BT_CONTEXT_RELEASE];
	o->environment = db->context[BT_CONTEXT_ENVIRONMENT];
	o->host = db->context[BT_CONTEXT_HOST];
	return o->context ? check_context(db, o, lenient, caller) : BT_OK;
}

int bti_capture_record(bt_db *db, bti_occurrence *o, const char *caller, bti_landing *out)
{
	int rc;

	bti_db_lock(db);
	o->now = bti_db_now(db);
	rc = bti_capture_stamp(db, o, 0, caller);
	if (rc == BT_OK)
		rc = bti_store_record(db->store, o, out);
	bti_db_unlock(db);
	return rc;
}

static int capture(bt_db *db, const capture_in *in, int64_t *ticket_out)
{
	bti_occurrence o;
	bti_landing landing;
	prepared p;
	int rc;

	if (ticket_out)
		*ticket_out = 0;
	rc = prepare(db, in, &p);
	if (rc != BT_OK)
		return rc;

	memset(&o, 0, sizeof(o));
	o.store_log = in->ev.level >= db->cfg.store_level;
	o.make_ticket = in->ev.level >= db->cfg.ticket_level;
	o.dedup_window_ms = db->cfg.dedup_window_ms;
	o.fingerprint = p.grouping.fingerprint;
	o.grouping_input = p.grouping.input;
	o.grouping_version = BTI_GROUPING_VERSION;
	o.level = in->ev.level;
	o.component = p.field[F_COMPONENT];
	o.message = p.message;
	o.message_template = p.grouping.template_;
	o.error_type = p.field[F_ERROR_TYPE];
	o.error_code = in->ev.error_code;
	o.file = p.field[F_FILE];
	o.line = in->ev.line;
	o.function = p.field[F_FUNCTION];
	o.stack_trace = p.stack;
	o.context = p.context;
	o.context_raw = in->ev.context_json;
	o.trace_id = p.field[F_TRACE_ID];
	o.request_id = p.field[F_REQUEST_ID];
	o.pid = db->cfg.pid;
	o.log_rows_per_ticket = db->cfg.log_rows_per_ticket;
	o.title = p.title;
	o.severity = bti_severity_for_level(in->ev.level);
	o.source = "system";
	o.priority = "medium";

	if (db->async) {
		o.now = bti_db_now(db);
		/* The site is remembered only if the format really was the
		 * template (cleaning could, in theory, change that). */
		rc = bti_async_enqueue(db->async, &o, p.template_ && bti_format_has_words(p.template_)
				       ? in->site : NULL);
		landing.ticket_id = 0; /* not known until the writer commits */
	} else {
		rc = bti_capture_record(db, &o, in->caller, &landing);
	}

	if (rc == BT_OK && ticket_out)
		*ticket_out = landing.ticket_id;
	prepared_free(&p);
	return rc;
}

/* Whether a bt_log call's fingerprint may follow from its call site alone:
 * it lands on a ticket and the stack is not hashed.  The site is only
 * remembered if its format also has words (the format, not the message, is
 * the template: see capture()), so a format without words never hits. */
static int site_cacheable(const bt_db *db, bt_level level)
{
	return level >= db->cfg.ticket_level && !(db->cfg.flags & BT_OPEN_STACK_IN_FINGERPRINT);
}

/* Every public entry point passes its own return address, so that a
 * captured backtrace starts in the host. */
static int log_at(bt_db *db, bt_level level, const char *component, const char *file, int line,
		  const char *function, const void *caller_pc, const char *fmt, va_list ap)
{
	int saved_errno = errno, rc;
	capture_in in;
	bti_site site;
	char *message;

	memset(&in, 0, sizeof(in));
	in.caller = "bt_log";
	in.caller_pc = caller_pc;
	in.ev.level = level;
	in.ev.component = component;
	in.ev.message = ""; /* replaced by the formatted text */
	rc = check_input(db, &in);
	if (rc == BT_OK && !fmt)
		rc = bti_error(BT_EINVALID, "bt_log: fmt is NULL");
	if (rc != BT_OK || !wanted(db, level))
		goto done;
	if (db->async && site_cacheable(db, level)) {
		site.level = level;
		site.component = component;
		site.fmt = fmt;
		site.function = function;
		if (bti_async_repeat(db->async, &site, bti_db_now(db)))
			goto done; /* counted on the pending occurrence */
		in.site = &site;
	}
	message = bti_vformat(&in.message_len, fmt, ap);
	if (!message) {
		rc = bti_error(BT_ENOMEM, "bt_log: cannot format the message");
		goto done;
	}
	in.ev.message = message;
	in.ev.message_template = fmt;
	in.ev.file = file;
	in.ev.line = line;
	in.ev.function = function;
	rc = capture(db, &in, NULL);
	bti_free(message);
done:
	errno = saved_errno;
	return rc;
}

int bt_logv_at(bt_db *db, bt_level level, const char *component, const char *file, int line,
	       const char *function, const char *fmt, va_list ap)
{
	return log_at(db, level, component, file, line, function, __builtin_return_address(0), fmt, ap);
}

int bt_log_at(bt_db *db, bt_level level, const char *component, const char *file, int line,
	      const char *function, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = log_at(db, level, component, file, line, function, __builtin_return_address(0), fmt, ap);
	va_end(ap);
	return rc;
}

int bt_logv(bt_db *db, bt_level level, const char *component, const char *fmt, va_list ap)
{
	return log_at(db, level, component, NULL, 0, NULL, __builtin_return_address(0), fmt, ap);
}

/* Parenthesised: bugtrack.h also defines bt_log as a call-site macro. */
int (bt_log)(bt_db *db, bt_level level, const char *component, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = log_at(db, level, component, NULL, 0, NULL, __builtin_return_address(0), fmt, ap);
	va_end(ap);
	return rc;
}

/* How many bytes of bt_event a caller of @version passed: fields are only
 * appended, so an older caller's struct is a prefix of ours. */
static size_t event_size(unsigned int version)
{
	(void)version; /* version 1 is the whole struct, for now */
	return sizeof(bt_event);
}

/* Map a bt_event onto a capture input. */
static int event_input(const bt_event *ev, const char *caller, capture_in *in)
{
	memset(in, 0, sizeof(*in));
	in->caller = caller;
	if (!ev)
		return bti_error(BT_EINVALID, "%s: event is NULL", caller);
	if (ev->version == 0 || ev->version > BT_EVENT_VERSION)
		return bti_error(BT_EINVALID, "%s: unknown event version %u (this library knows 1..%d); "
				 "initialise events with BT_EVENT_INIT", caller, ev->version, BT_EVENT_VERSION);
	memcpy(&in->ev, ev, event_size(ev->version));
	in->message_len = ev->message ? strlen(ev->message) : 0;
	return BT_OK;
}

int bt_log_event(bt_db *db, const bt_event *event, int64_t *ticket_id_out)
{
	int saved_errno = errno, rc;
	capture_in in;

	if (ticket_id_out)
		*ticket_id_out = 0;
	rc = event_input(event, "bt_log_event", &in);
	in.caller_pc = __builtin_return_address(0);
	if (rc == BT_OK)
		rc = check_input(db, &in);
	if (rc == BT_OK && wanted(db, in.ev.level))
		rc = capture(db, &in, ticket_id_out);
	errno = saved_errno;
	return rc;
}

/* The grouping of an event, as capture would compute it. */
int bti_event_fingerprint(bt_db *db, const bt_event *event, const char *caller,
			  char out[BT_FINGERPRINT_SIZE])
{
	static const bt_open_options defaults = BT_OPEN_OPTIONS_INIT;
	bt_db scratch;
	capture_in in;
	prepared p;
	int rc;

	rc = event_input(event, caller, &in);
	if (rc != BT_OK)
		return rc;
	if (!db) {
		/* Default options: the same rules as a handle opened with none. */
		memset(&scratch, 0, sizeof(scratch));
		scratch.cfg.store_level = defaults.store_level;
		scratch.cfg.ticket_level = defaults.ticket_level;
		scratch.cfg.max_message_bytes = 16384;
		db = &scratch;
	}
	rc = check_input(db, &in);
	if (rc != BT_OK)
		return rc;
	rc = prepare(db, &in, &p);
	if (rc != BT_OK)
		return rc;
	memcpy(out, p.grouping.fingerprint, BT_FINGERPRINT_SIZE);
	prepared_free(&p);
	return BT_OK;
}

int bt_fingerprint(bt_db *db, const bt_event *event, char out[BT_FINGERPRINT_SIZE])
{
	int saved_errno = errno, rc;

	if (!out)
		rc = bti_error(BT_EINVALID, "bt_fingerprint: out is NULL");
	else
		rc = bti_event_fingerprint(db, event, "bt_fingerprint", out);
	errno = saved_errno;
	return rc;
}

/* "<expr> failed" groups; the message adds what varies. */
static void track(bt_db *db, bt_level level, const char *component, const char *expr,
		  const char *file, int line, const char *function, int err, const char *result,
		  const void *caller_pc)
{
	char message[1024], template_[512], type[32];
	const char *name = err ? strerrorname_np(err) : NULL;
	capture_in in;

	snprintf(template_, sizeof(template_), "%s failed", expr ? expr : "expression");
	if (err)
		snprintf(message, sizeof(message), "%s: %s (errno %d, %s)", template_, strerror(err), err, result);
	else
		snprintf(message, sizeof(message), "%s (%s)", template_, result);
	if (err && !name) {
		snprintf(type, sizeof(type), "errno %d", err);
		name = type;
	}
	memset(&in, 0, sizeof(in));
	in.caller = "TRACK_ERRORS";
	in.caller_pc = caller_pc;
	in.ev.level = level;
	in.ev.component = component;
	in.ev.message = message;
	in.message_len = strlen(message);
	in.ev.message_template = template_;
	in.ev.error_type = name;
	in.ev.error_code = err;
	in.ev.file = file;
	in.ev.line = line;
	in.ev.function = function;
	if (check_input(db, &in) == BT_OK && wanted(db, level))
		capture(db, &in, NULL);
}

long long bt_track_int(bt_db *db, bt_level level, const char *component, long long value,
		       int policy, const char *expr, const char *file, int line, const char *function)
{
	int saved_errno = errno;
	int failed = policy == BT_FAIL_NONZERO ? value != 0 : value < 0;

	if (failed) {
		/* pthread-style calls return the error number and leave errno
		 * alone, so errno may be stale: the returned number wins. */
		int err = policy == BT_FAIL_NONZERO && value > 0 && value < 4096 ? (int)value
			: saved_errno;
		char result[48];

		snprintf(result, sizeof(result), "returned %lld", value);
		track(db, level, component, expr, file, line, function, err, result,
		      __builtin_return_address(0));
	}
	errno = saved_errno;
	return value;
}

void *bt_track_ptr(bt_db *db, bt_level level, const char *component, void *value,
		   const char *expr, const char *file, int line, const char *function)
{
	int saved_errno = errno;

	if (!value)
		track(db, level, component, expr, file, line, function, saved_errno, "returned NULL",
		      __builtin_return_address(0));
	errno = saved_errno;
	return value;
}
