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
#include "json.h"
#include "landing.h"
#include "normalize.h"
#include "redact.h"
#include "text.h"
#include "vocab.h"
#include "versioned.h"

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
	};
	int i;

	for (i = 0; i < BTI_F_COUNT; i++)
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

static int check_input(const bt_db *db, const bti_capture_in *in)
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
		p->title = make_title(in->ev.level, p->field[BTI_F_COMPONENT], p->field[BTI_F_ERROR_TYPE],
				      p->message);
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
	return o->context ? check_context(o, lenient, caller) : BT_OK;
}

int bti_capture_record(bt_db *db, bti_occurrence *o, const char *caller, bti_landing *out)
{
	int rc = bti_db_lock(db, caller);

	if (rc != BT_OK)
		return rc;
	o->now = bti_db_now(db);
	rc = bti_capture_stamp(db, o, 0, caller);
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
	o->pid = bti_db_pid(db);
	o->log_rows_per_ticket = db->cfg.log_rows_per_ticket;
	o->title = p->title;
	o->severity = bti_severity_for_level(in->ev.level);
	o->source = "system";
	o->priority = "medium";
}

int bti_capture_prepare(const bt_db *db, const bti_capture_in *in, bti_prepared *p,
			bti_occurrence *o)
{
	int rc = prepare(db, in, p);

	if (rc == BT_OK)
		fill_occurrence(db, in, p, o);
	return rc;
}

static int stack_wanted(const bt_db *db, bt_level level)
{
	return db->cfg.stack_level && level >= db->cfg.stack_level;
}

/* Whether captures at @level may be counted together before they are
 * cleaned: they land on a ticket, and nothing of the caller's stack is
 * hashed. */
static int coalescible(const bt_db *db, bt_level level)
{
	return level >= db->cfg.ticket_level && !(db->cfg.flags & BT_OPEN_STACK_IN_FINGERPRINT);
}

/* The coalescing key of @in: what its fingerprint is computed from.  The
 * message is part of it only when the template has no words (then the
 * message, normalized, is the template). */
static void key_of(const bti_capture_in *in, bti_key *k)
{
	k->level = in->ev.level;
	k->component = in->ev.component;
	k->template_ = in->ev.message_template;
	k->function = in->ev.function;
	k->error_type = in->ev.error_type;
	k->fingerprint = in->ev.fingerprint;
	if (bti_format_has_words(in->ev.message_template)) {
		k->message = NULL;
		k->message_len = 0;
	} else {
		k->message = in->ev.message;
		k->message_len = in->message_len;
	}
	bti_key_hash(k);
}

/* The default mode: what belongs to the calling thread (its trace ids, its
 * stack) is taken now; cleaning, redaction and grouping happen on the
 * writer's thread. */
static int capture_async(bt_db *db, bti_capture_in *in)
{
	char *stack = NULL;
	bti_key key;
	int rc;

	if (!in->ev.trace_id)
		in->ev.trace_id = bti_thread_trace_id();
	if (!in->ev.request_id)
		in->ev.request_id = bti_thread_request_id();
	if (!in->ev.stack_trace && stack_wanted(db, in->ev.level))
		in->ev.stack_trace = stack = bti_backtrace_text(in->caller_pc);
	in->stack_taken = 1;
	if (coalescible(db, in->ev.level))
		key_of(in, &key);
	rc = bti_async_enqueue(db->async, in, coalescible(db, in->ev.level) ? &key : NULL,
			       bti_db_now(db));
	bti_free(stack);
	return rc;
}

/* Synchronous capture: prepare on the caller's thread, commit before
 * returning.  Also the path of an asynchronous handle's caller who asks
 * for the ticket id, which only a commit can tell. */
static int capture_sync(bt_db *db, const bti_capture_in *in, int64_t *ticket_out)
{
	bti_occurrence o;
	bti_landing landing;
	bti_prepared p;
	int rc = bti_capture_prepare(db, in, &p, &o);

	if (rc != BT_OK)
		return rc;
	rc = bti_capture_record(db, &o, in->caller, &landing);
	if (rc == BT_OK && ticket_out)
		*ticket_out = landing.ticket_id;
	bti_prepared_free(&p);
	return rc;
}

static int capture(bt_db *db, bti_capture_in *in, int64_t *ticket_out)
{
	if (ticket_out)
		*ticket_out = 0;
	/* Checked here, on the caller's thread, so that an asynchronous
	 * handle refuses it too instead of storing "[invalid JSON]". */
	if (in->ev.context_json && !bti_json_valid(in->ev.context_json, strlen(in->ev.context_json)))
		return bti_error(BT_EINVALID, "%s: context is not valid JSON", in->caller);
	if (db->async && !ticket_out)
		return capture_async(db, in);
	return capture_sync(db, in, ticket_out);
}

/* A signal handler that interrupts a capture call and captures again on
 * the same thread would wait forever on a lock its own thread holds: the
 * nested call is refused instead.  Thread-local, so one word per thread. */
static __thread int capturing;

static int enter(bt_db *db, const char *caller)
{
	if (capturing) {
		if (db)
			bti_db_count_refused(db);
		return bti_error(BT_EBUSY, "%s: called again on a thread already inside a capture "
				 "call (from a signal handler?): refused and counted as dropped", caller);
	}
	capturing = 1;
	return BT_OK;
}

static void leave(void)
{
	capturing = 0;
}

/* Every public entry point passes its own return address, so that a
 * captured backtrace starts in the host. */
static int log_at(bt_db *db, bt_level level, const char *component, const char *file, int line,
		  const char *function, const void *caller_pc, const char *fmt, va_list ap)
{
	int saved_errno = errno, rc;
	bti_capture_in in;
	char *message;

	rc = enter(db, "bt_log");
	if (rc != BT_OK)
		goto out;
	memset(&in, 0, sizeof(in));
	in.caller = "bt_log";
	in.caller_pc = caller_pc;
	in.ev.level = level;
	in.ev.component = component;
	in.ev.message = ""; /* replaced by the formatted text */
	in.ev.message_template = fmt;
	in.ev.file = file;
	in.ev.line = line;
	in.ev.function = function;
	rc = check_input(db, &in);
	if (rc == BT_OK && !fmt)
		rc = bti_error(BT_EINVALID, "bt_log: fmt is NULL");
	if (rc == BT_OK)
		rc = bti_db_enter(db, "bt_log");
	if (rc != BT_OK || !wanted(db, level))
		goto done;
	if (db->async && coalescible(db, level) && bti_format_has_words(fmt)) {
		/* A repeat of a pending occurrence is counted before its
		 * message is even formatted. */
		bti_key key;

		key_of(&in, &key);
		if (bti_async_repeat(db->async, &key, bti_db_now(db)))
			goto done;
	}
	message = bti_vformat(&in.message_len, fmt, ap);
	if (!message) {
		rc = bti_error(BT_ENOMEM, "bt_log: cannot format the message");
		goto done;
	}
	in.ev.message = message;
	rc = capture(db, &in, NULL);
	bti_free(message);
done:
	leave();
out:
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

/* Map a bt_event onto a capture input. */
static int event_input(const bt_event *ev, const char *caller, bti_capture_in *in)
{
	int rc;

	memset(in, 0, sizeof(*in));
	in->caller = caller;
	if (!ev)
		return bti_error(BT_EINVALID, "%s: event is NULL", caller);
	rc = bti_versioned_in(&bti_v_event, caller, ev, &in->ev);
	if (rc != BT_OK)
		return rc;
	in->message_len = ev->message ? strlen(ev->message) : 0;
	return BT_OK;
}

int bt_log_event(bt_db *db, const bt_event *event, int64_t *ticket_id_out)
{
	int saved_errno = errno, rc;
	bti_capture_in in;

	if (ticket_id_out)
		*ticket_id_out = 0;
	rc = enter(db, "bt_log_event");
	if (rc != BT_OK)
		goto out;
	rc = event_input(event, "bt_log_event", &in);
	in.caller_pc = __builtin_return_address(0);
	if (rc == BT_OK)
		rc = check_input(db, &in);
	if (rc == BT_OK)
		rc = bti_db_enter(db, "bt_log_event");
	if (rc == BT_OK && wanted(db, in.ev.level))
		rc = capture(db, &in, ticket_id_out);
	leave();
out:
	errno = saved_errno;
	return rc;
}

/* The grouping of an event, as capture would compute it. */
int bti_event_fingerprint(bt_db *db, const bt_event *event, const char *caller,
			  char out[BT_FINGERPRINT_SIZE])
{
	static const bt_open_options defaults = BT_OPEN_OPTIONS_INIT;
	bt_db scratch;
	bti_capture_in in;
	bti_prepared p;
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
	bti_prepared_free(&p);
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
	const char *name = err ? bti_errno_name(err) : NULL;
	bti_capture_in in;

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
	if (enter(db, "TRACK_ERRORS") != BT_OK)
		return;
	if (check_input(db, &in) == BT_OK && bti_db_enter(db, "TRACK_ERRORS") == BT_OK &&
	    wanted(db, level))
		capture(db, &in, NULL);
	leave();
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
