/*
 * capture.c - the capture entry points: bt_log and friends, bt_log_event,
 * and the helpers behind TRACK_ERRORS.  Each checks the host's input and
 * sends it one way, down: either finished here (occurrence.c) and landed
 * before the call returns, or queued for the asynchronous writer (async.c),
 * which finishes it on its own thread.  All the text work happens before
 * the handle's lock is taken.
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
#include "errno_args.h"
#include "json.h"
#include "normalize.h"
#include "occurrence.h"
#include "text.h"
#include "versioned.h"

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
	int rc = bti_occurrence_prepare(db, in, &p, &o);

	if (rc != BT_OK)
		return rc;
	rc = bti_occurrence_record(db, &o, in->caller, &landing);
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

/* The error type of errno @err: its symbolic name, or "errno N" for one
 * the C library does not name (written to @buf). */
static const char *errno_type(int err, char buf[32])
{
	const char *name = bti_errno_name(err);

	if (name)
		return name;
	snprintf(buf, 32, "errno %d", err);
	return buf;
}

/* "<message>: <strerror(err)>", as err(3) and warn(3) write it. */
static char *append_strerror(char *message, size_t *len, int err)
{
	const char *text = strerror(err);
	size_t n = strlen(text);
	char *grown = bti_realloc(message, *len + 2 + n + 1);

	if (!grown) {
		bti_free(message);
		return NULL;
	}
	memcpy(grown + *len, ": ", 2);
	memcpy(grown + *len + 2, text, n + 1);
	*len += 2 + n;
	return grown;
}

/* Every public entry point passes its own return address, so that a
 * captured backtrace starts in the host.  @errnum is the caller's errno
 * (bt_log_errno), or 0: then the errno the arguments carry, if any (the C
 * library's text as a %s argument, or %m), is the line's. */
static int log_at(bt_db *db, bt_level level, const char *component, int errnum, const char *file,
		  int line, const char *function, const void *caller_pc, const char *fmt, va_list ap)
{
	int saved_errno = errno, rc, err = errnum;
	bti_capture_in in;
	char *message, type[32];
	const char *caller = errnum ? "bt_log_errno" : "bt_log";

	rc = enter(db, caller);
	if (rc != BT_OK)
		goto out;
	memset(&in, 0, sizeof(in));
	in.caller = caller;
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
		rc = bti_error(BT_EINVALID, "%s: fmt is NULL", caller);
	if (rc == BT_OK && errnum < 0)
		rc = bti_error(BT_EINVALID, "%s: errnum %d is negative", caller, errnum);
	if (rc == BT_OK)
		rc = bti_db_enter(db, caller);
	if (rc != BT_OK || !wanted(db, level))
		goto done;
	if (!err)
		err = bti_format_errno(fmt, ap, saved_errno);
	if (err) {
		/* Grouping version 2: the errno is the error type, so that
		 * ELOOP and ENOTDIR behind one format make two tickets. */
		in.ev.error_type = errno_type(err, type);
		in.ev.error_code = err;
	}
	if (db->async && coalescible(db, level) && bti_format_has_words(fmt)) {
		/* A repeat of a pending occurrence is counted before its
		 * message is even formatted. */
		bti_key key;

		key_of(&in, &key);
		if (bti_async_repeat(db->async, &key, bti_db_now(db)))
			goto done;
	}
	/* %m is the errno of the line: the caller's, or errno at the call. */
	errno = errnum ? errnum : saved_errno;
	message = bti_vformat(&in.message_len, fmt, ap);
	if (message && errnum && !strstr(fmt, "%m"))
		message = append_strerror(message, &in.message_len, errnum);
	if (!message) {
		rc = bti_error(BT_ENOMEM, "%s: cannot format the message", caller);
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
	return log_at(db, level, component, 0, file, line, function, __builtin_return_address(0),
		      fmt, ap);
}

int bt_log_at(bt_db *db, bt_level level, const char *component, const char *file, int line,
	      const char *function, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = log_at(db, level, component, 0, file, line, function, __builtin_return_address(0),
		    fmt, ap);
	va_end(ap);
	return rc;
}

int bt_logv_errno_at(bt_db *db, bt_level level, const char *component, int errnum,
		     const char *file, int line, const char *function, const char *fmt, va_list ap)
{
	return log_at(db, level, component, errnum, file, line, function,
		      __builtin_return_address(0), fmt, ap);
}

int bt_log_errno_at(bt_db *db, bt_level level, const char *component, int errnum,
		    const char *file, int line, const char *function, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = log_at(db, level, component, errnum, file, line, function,
		    __builtin_return_address(0), fmt, ap);
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
	bti_occurrence o; /* filled but unused: the grouping is what is asked */
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
	rc = bti_occurrence_prepare(db, &in, &p, &o);
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
		       bt_fail_policy policy, const char *expr, const char *file, int line,
		       const char *function)
{
	int saved_errno = errno;
	int failed = policy == BT_FAIL_NONZERO ? value != 0 : value < 0;

	if (policy != BT_FAIL_NEGATIVE && policy != BT_FAIL_NONZERO) {
		/* A guess at what failure means could file a ticket for every
		 * success: capture nothing, and say why. */
		bti_error(BT_EINVALID, "bt_track_int: unknown policy %d (use BT_FAIL_NEGATIVE or "
			  "BT_FAIL_NONZERO)", (int)policy);
		failed = 0;
	}
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
