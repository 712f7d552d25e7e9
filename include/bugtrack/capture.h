/*
 * bugtrack/capture.h - Capture: bt_log, events, fingerprints, context, TRACK_ERRORS.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_CAPTURE_H
#define BUGTRACK_CAPTURE_H

#include "db.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Capture
 * Every line at or above the store level is written to error_logs; lines at
 * or above the ticket level also land on a ticket, in the same transaction.
 * Capture calls keep errno unchanged, and never print.
 *
 * By default (asynchronous capture) a capture call returns once the
 * occurrence is queued (or counted on a pending one); a writer thread
 * commits it within the flush interval, bt_flush() waits for that, and
 * every other call on the handle (lists, lookups, lifecycle) first commits
 * what the handle accepted, so a handle reads its own writes.  A full queue
 * makes the call return BT_EBUSY (dropped and counted, see
 * bt_open_options), never wait, unless BT_OVERFLOW_BLOCK was chosen.  What
 * is accepted is committed at bt_close(), at exit() and at the library's
 * unload, each within the busy timeout.
 *
 * With BT_OPEN_SYNC a capture call returns after its commit: a call that
 * returned BT_OK survives a crash of the process right after it (WAL,
 * synchronous=NORMAL; with BT_OPEN_DURABLE it also survives power loss).
 *
 * Signals: no function of this library is async-signal-safe.  A capture
 * call made by a signal handler that interrupted a capture call on the
 * same thread is refused with BT_EBUSY and counted as dropped, rather than
 * deadlock on the lock its own thread holds; use bt_crash_handler_install()
 * to record fatal signals.
 * @{ */

/**
 * Log a line from an explicit call site: what the bt_log() macro calls, and
 * what a wrapper that forwards its own caller's site calls.  @p fmt is a
 * printf format and is the line's message template: two calls with the same
 * format, component and call site group onto one ticket whatever their
 * arguments.  A format with no literal word ("%s") falls back to the
 * normalized formatted message.  @p file and @p function may be NULL and
 * @p line 0 (no call site).
 *
 * errno: %m works, and is strerror(errno) as errno was when the call was
 * made (%m is a GNU extension: GCC's -Wformat warns about it under
 * -pedantic).  A line carries an errno when @p fmt has %m (errno not 0), or when
 * one of its %s arguments is exactly the C library's text for a named
 * errno, as in bt_log(db, BT_ERROR, "fs", "open %s: %s", path,
 * strerror(errno)) (the texts are read once, in the locale of the first
 * such call).  That errno becomes the line's error type ("ELOOP") and
 * error code, and so enters the fingerprint: ELOOP and ENOTDIR behind one
 * format make two tickets (grouping version 2).  To give the errno
 * explicitly, use bt_log_errno().
 *
 * @return BT_OK (also when the level is below the store level), or
 * BT_EINVALID for a NULL @p db, @p component or @p fmt, or a storage error
 * such as BT_EBUSY or BT_EIO (nothing is stored then).  Thread-safe.
 */
BT_EXTERN int bt_log_at(bt_db *db, bt_level level, const char *component,
			const char *file, int line, const char *function,
			const char *fmt, ...) BT_PRINTF(7, 8);

/** bt_log_at() with a va_list, for a host's own printf-like wrapper.
 * Thread-safe. */
BT_EXTERN int bt_logv_at(bt_db *db, bt_level level, const char *component,
			 const char *file, int line, const char *function,
			 const char *fmt, va_list ap) BT_PRINTF(7, 0);

/**
 * Log a line about a failed call, with its errno, as err(3) and warn(3)
 * do: what the bt_log_errno() macro calls, with an explicit call site.
 * The message is @p fmt formatted, then ": " and strerror(@p errnum)
 * (unless @p fmt has %m, which already says it); the error type is the
 * errno's symbolic name ("ENOENT"; "errno N" for one the C library does not
 * name) and the error code @p errnum, so the errno is part of the
 * fingerprint: one format failing with ENOENT and with EACCES makes two
 * tickets.  %m in @p fmt is strerror(@p errnum).  @p errnum 0 means no
 * errno: the call is then bt_log_at().
 *
 * @return as bt_log_at(), and BT_EINVALID for a negative @p errnum.
 * Nothing is returned to free.  Thread-safe; keeps errno unchanged; not
 * async-signal-safe (see above), and usable in a child after fork() only
 * as bt_log_at() is.
 * @since 1.1
 */
BT_EXTERN int bt_log_errno_at(bt_db *db, bt_level level, const char *component, int errnum,
			      const char *file, int line, const char *function,
			      const char *fmt, ...) BT_PRINTF(8, 9);

/** bt_log_errno_at() with a va_list, for a host's own err()-like wrapper.
 * Returns what bt_log_errno_at() returns.  Thread-safe.  @since 1.1 */
BT_EXTERN int bt_logv_errno_at(bt_db *db, bt_level level, const char *component, int errnum,
			       const char *file, int line, const char *function,
			       const char *fmt, va_list ap) BT_PRINTF(8, 0);

/**
 * Log a line with an errno: bt_log_errno(db, level, component, errnum,
 * fmt, ...), for example
 *   bt_log_errno(db, BT_ERROR, "fs", errno, "open %s", path);
 * A macro over bt_log_errno_at() that adds the call site, as bt_log()
 * does.  Returns what bt_log_errno_at() returns.  @since 1.1
 */
#define bt_log_errno(db, level, component, errnum, ...) \
	bt_log_errno_at((db), (level), (component), (errnum), __FILE__, __LINE__, __func__, \
			__VA_ARGS__)

/**
 * Log a line: bt_log(db, level, component, fmt, ...).  A macro over
 * bt_log_at() that adds the call site (__FILE__, __LINE__, __func__), which
 * is part of the fingerprint.  Returns what bt_log_at() returns.
 */
#define bt_log(db, level, component, ...) \
	bt_log_at((db), (level), (component), __FILE__, __LINE__, __func__, __VA_ARGS__)

/**
 * A structured event: what a printf line cannot carry.  Fields are only
 * ever appended; unset pointers are NULL.
 */
typedef struct bt_event {
	/** BT_EVENT_VERSION. */
	unsigned int version;
	/** Required. */
	bt_level level;
	/** Required: the subsystem, e.g. "db" or "payments". */
	const char *component;
	/** Required: the formatted message.  Never used as a format string. */
	const char *message;
	/** The template the message came from (e.g. its printf format).  When
	 *  NULL or wordless, the message is normalized into one. */
	const char *message_template;
	/** The error's type or class, e.g. "ECONNREFUSED" or "TimeoutError". */
	const char *error_type;
	/** errno or a host error code; 0 when there is none. */
	int error_code;
	/** The call site's source file; NULL when unknown. */
	const char *file;
	/** The call site's line; 0 when unknown. */
	int line;
	/** The call site's function; NULL when unknown. */
	const char *function;
	/** A stack trace as text; NULL captures one if the options ask for it. */
	const char *stack_trace;
	/** An explicit fingerprint: overrides all grouping rules. */
	const char *fingerprint;
	/** Context as JSON text; must be valid JSON. */
	const char *context_json;
	/** Overrides the thread's trace id (bt_thread_context_set()); NULL
	 *  keeps the thread's. */
	const char *trace_id;
	/** Overrides the thread's request id; NULL keeps the thread's. */
	const char *request_id;
	/* Version 2 (libbugtrack 1.1): where the event happened, for a
	 * handle that records events of many services (a collector such as
	 * bugtrackd).  Each overrides the handle's context (bt_context_set())
	 * for this event; NULL keeps the handle's.  None enters the
	 * fingerprint. */
	/** The service's name; overrides BT_CONTEXT_SERVICE. */
	const char *service;
	/** The host's name; overrides BT_CONTEXT_HOST. */
	const char *host;
	/** The environment, e.g. "production"; overrides BT_CONTEXT_ENVIRONMENT. */
	const char *environment;
	/** The release (version or commit); overrides BT_CONTEXT_RELEASE.  A
	 *  release first seen here is recorded as seen, as bt_context_set()
	 *  records the handle's, so release-aware regressions order it. */
	const char *release;
} bt_event;

/** The current version of bt_event: 2 since libbugtrack 1.1 (service,
 *  host, environment, release); a caller built for version 1 still works. */
#define BT_EVENT_VERSION 2
/** An initialiser for bt_event: the current version, level BT_ERROR, the
 *  rest NULL or 0. */
#define BT_EVENT_INIT { BT_EVENT_VERSION, BT_ERROR, NULL, NULL, NULL, NULL, 0, \
			NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, \
			NULL, NULL, NULL, NULL }

/**
 * Initialise @p event with the defaults of event version @p version, as
 * BT_EVENT_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p event or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_event_init(bt_event *event, unsigned int version);

/**
 * Capture a structured event.
 * @param ticket_id_out  if not NULL, receives the id of the ticket the
 *                       event landed on, or 0 when it made no ticket.
 *                       Asking for it makes this call synchronous on an
 *                       asynchronous handle: the ticket is known only once
 *                       the occurrence is committed.
 * @return BT_OK, BT_EINVALID (NULL db/event/component/message, bad version
 * or level, context that is not JSON), or a storage error.  Nothing is
 * stored partially.  Thread-safe.
 */
BT_EXTERN int bt_log_event(bt_db *db, const bt_event *event, int64_t *ticket_id_out);

/** Length of a fingerprint: 32 lower-case hex digits plus the NUL. */
#define BT_FINGERPRINT_SIZE 33

/**
 * Compute the fingerprint @p event would get on @p db, storing nothing.
 * @p db may be NULL for the default options.
 * @return BT_OK, or BT_EINVALID for a NULL event or output or a bad event.
 * Thread-safe.
 */
BT_EXTERN int bt_fingerprint(bt_db *db, const bt_event *event,
			     char out[BT_FINGERPRINT_SIZE]);

/** Keys of the handle-wide context. */
typedef enum bt_context_key {
	BT_CONTEXT_SERVICE = 1,     /**< the service's name, e.g. "payments" */
	BT_CONTEXT_RELEASE = 2,     /**< e.g. the git SHA of the running build */
	BT_CONTEXT_ENVIRONMENT = 3, /**< e.g. "production" */
	BT_CONTEXT_HOST = 4         /**< defaults to gethostname() */
} bt_context_key;

/**
 * Set a handle-wide context value, attached to every later log row and new
 * ticket.  The pid is attached automatically.  @p value is copied; NULL
 * clears it.  Setting the release also records when that release was first
 * seen, which orders releases for regression detection.
 * @return BT_OK, BT_EINVALID (NULL db, unknown key), or a storage error.
 * Thread-safe.
 */
BT_EXTERN int bt_context_set(bt_db *db, bt_context_key key, const char *value);

/** Longest trace or request id, in bytes, that bt_thread_context_set keeps. */
#define BT_THREAD_CONTEXT_MAX 127

/**
 * Set this thread's trace and request ids, attached to every log row and new
 * ticket captured on this thread, on any handle.  Each is copied; NULL
 * clears it.
 * @return BT_OK, or BT_EINVALID for a value longer than
 * BT_THREAD_CONTEXT_MAX or not valid UTF-8 (nothing is changed then).  Thread-safe: the values
 * are thread-local.
 */
BT_EXTERN int bt_thread_context_set(const char *trace_id, const char *request_id);

/** Which results of a tracked expression count as failures. */
typedef enum bt_fail_policy {
	BT_FAIL_NEGATIVE = 0,  /**< value < 0, as most libc calls */
	BT_FAIL_NONZERO = 1    /**< value != 0, as pthread calls */
} bt_fail_policy;

/**
 * Helpers behind the TRACK_ERRORS macros: if @p value is a failure by
 * @p policy (or NULL, for bt_track_ptr), capture it at @p level with the
 * expression text, call site and errno; return @p value unchanged either
 * way.  errno is preserved.  A capture failure is not reported (the
 * caller's own failure is what matters); see bt_error_message().  An
 * unknown @p policy captures nothing and leaves a message (BT_EINVALID).
 * Thread-safe.
 */
BT_EXTERN long long bt_track_int(bt_db *db, bt_level level, const char *component,
				 long long value, bt_fail_policy policy, const char *expr,
				 const char *file, int line, const char *function);
/** The pointer helper behind TRACK_ERRORS_PTR: a NULL @p value is the
 * failure; returns @p value unchanged.  Thread-safe. */
BT_EXTERN void *bt_track_ptr(bt_db *db, bt_level level, const char *component,
			     void *value, const char *expr,
			     const char *file, int line, const char *function);

/** Level of the failures TRACK_ERRORS captures; define it to override. */
#ifndef TRACK_ERRORS_LEVEL
#  define TRACK_ERRORS_LEVEL BT_CRITICAL
#endif

/** Evaluate an int-returning expression; capture it if negative. */
#define TRACK_ERRORS(db, component, expr) \
	bt_track_int((db), TRACK_ERRORS_LEVEL, (component), (long long)(expr), \
		     BT_FAIL_NEGATIVE, #expr, __FILE__, __LINE__, __func__)

/** As TRACK_ERRORS, with a BT_FAIL_* policy. */
#define TRACK_ERRORS_IF(db, component, policy, expr) \
	bt_track_int((db), TRACK_ERRORS_LEVEL, (component), (long long)(expr), \
		     (policy), #expr, __FILE__, __LINE__, __func__)

/** Evaluate a pointer-returning expression; capture it if NULL. */
#define TRACK_ERRORS_PTR(db, component, expr) \
	bt_track_ptr((db), TRACK_ERRORS_LEVEL, (component), (void *)(expr), \
		     #expr, __FILE__, __LINE__, __func__)

/**
 * TRACK_ERRORS at a level this call site chooses: TRACK_ERRORS_AT(db,
 * BT_WARNING, "http", opendir(path)) files a client's missing directory
 * as a warning while other sites keep TRACK_ERRORS_LEVEL.  @p level is any
 * bt_level; an unknown one captures nothing and leaves a message
 * (BT_EINVALID), as bt_log_at() refuses it.  Evaluates to the value of
 * @p expr, like TRACK_ERRORS.  @since 1.1 (a macro over the 1.0 helper:
 * code using it runs with a 1.0 library too).
 */
#define TRACK_ERRORS_AT(db, level, component, expr) \
	bt_track_int((db), (level), (component), (long long)(expr), \
		     BT_FAIL_NEGATIVE, #expr, __FILE__, __LINE__, __func__)

/** TRACK_ERRORS_IF at a level this call site chooses.  @since 1.1 */
#define TRACK_ERRORS_IF_AT(db, level, component, policy, expr) \
	bt_track_int((db), (level), (component), (long long)(expr), \
		     (policy), #expr, __FILE__, __LINE__, __func__)

/** TRACK_ERRORS_PTR at a level this call site chooses.  @since 1.1 */
#define TRACK_ERRORS_PTR_AT(db, level, component, expr) \
	bt_track_ptr((db), (level), (component), (void *)(expr), \
		     #expr, __FILE__, __LINE__, __func__)

/**
 * Define `ret name params`, a wrapper that calls `target args` and captures
 * a negative result: the C analogue of a decorator.  For example
 *   TRACK_ERRORS_WRAP(int, tracked_close, (int fd), (fd), close, g_db, "io")
 */
#define TRACK_ERRORS_WRAP(ret, name, params, args, target, db, component) \
	ret name params \
	{ \
		return (ret)bt_track_int((db), TRACK_ERRORS_LEVEL, (component), \
					 (long long)(target args), BT_FAIL_NEGATIVE, \
					 #target #args, __FILE__, __LINE__, #name); \
	}

/** TRACK_ERRORS_WRAP for pointer-returning functions (NULL is failure). */
#define TRACK_ERRORS_WRAP_PTR(ret, name, params, args, target, db, component) \
	ret name params \
	{ \
		return (ret)bt_track_ptr((db), TRACK_ERRORS_LEVEL, (component), \
					 (void *)(target args), #target #args, \
					 __FILE__, __LINE__, #name); \
	}
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_CAPTURE_H */
