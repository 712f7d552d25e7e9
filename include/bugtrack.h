/*
 * bugtrack.h - public API of libbugtrack.
 *
 * libbugtrack turns a C service's critical errors (and crashes) into
 * deduplicated bug tickets with occurrence counts in a local SQLite database.
 *
 * ABI rules (see README, "Stability"):
 *  - handles are opaque; option structs are versioned by their first member;
 *  - error codes and enum values are append-only;
 *  - every exported symbol is listed in lib/libbugtrack.sym.
 *
 * Thread-safety is stated per function.  "Thread-safe" means the function may
 * be called from several threads at once, including on the same bt_db.
 */
#ifndef BUGTRACK_H
#define BUGTRACK_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#  define BT_EXTERN __attribute__((visibility("default")))
#  define BT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#  define BT_EXTERN
#  define BT_PRINTF(fmt, args)
#endif

/* ------------------------------------------------------------------------ */
/** @name Version
 * BT_VERSION_* describe the header you compiled against;
 * bt_version_number() and bt_version_string() the library actually linked.
 * @{ */
#define BT_VERSION_MAJOR 1
#define BT_VERSION_MINOR 0
#define BT_VERSION_PATCH 0
#define BT_VERSION_STRING "1.0.0"
/** MAJOR * 1000000 + MINOR * 1000 + PATCH, as SQLite does. */
#define BT_VERSION_NUMBER \
	(BT_VERSION_MAJOR * 1000000 + BT_VERSION_MINOR * 1000 + BT_VERSION_PATCH)

/**
 * @return the linked library's version as MAJOR * 1000000 + MINOR * 1000 + PATCH.
 * Thread-safe.
 */
BT_EXTERN int bt_version_number(void);

/**
 * @return the linked library's version as a static string such as "1.0.0".
 * The string is owned by the library and never freed.  Thread-safe.
 */
BT_EXTERN const char *bt_version_string(void);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Errors
 * Every function that can fail returns an int: BT_OK (0) or one of the
 * negative codes below.  Codes are append-only: never renumbered or reused.
 * The failing call also leaves a message, kept per thread, readable with
 * bt_error_message() until the next failing call on the same thread.
 * @{ */
#define BT_OK          0   /**< Success. */
#define BT_EINTERNAL  -1   /**< Unexpected internal failure; see the message. */
#define BT_EINVALID   -2   /**< Bad argument or option. */
#define BT_ENOMEM     -3   /**< Out of memory. */
#define BT_ENOTFOUND  -4   /**< No such ticket, file or record. */
#define BT_EBUSY      -5   /**< Locked by another connection or claim holder. */
#define BT_ESCHEMA    -6   /**< Schema is newer than the library, or altered. */
#define BT_EIO        -7   /**< Disk I/O error or disk full. */
#define BT_ECORRUPT   -8   /**< Not a database, or the database is malformed. */
#define BT_EREADONLY  -9   /**< Write attempted on a read-only database. */
#define BT_ECONFLICT -10   /**< Someone else changed the record in between. */
#define BT_ECANTOPEN -11   /**< The database file cannot be opened or created. */
#define BT_ITEROVER  -12   /**< An iterator has no more items (not a failure). */
#define BT_ESTATE    -13   /**< Not allowed in the ticket's current status. */

/**
 * @return a static, human-readable description of @p code, such as
 * "invalid argument".  Unknown codes give "unknown error".  Never NULL; the
 * string is owned by the library.  Thread-safe.
 */
BT_EXTERN const char *bt_strerror(int code);

/**
 * @return the message left by the last failed call on this thread, such as
 * "bt_open: /x/y.db: unable to open database file".  Returns "" when no call
 * has failed on this thread since it started or since bt_error_clear().
 * Successful calls do not clear it.  The string is owned by the library and
 * stays valid until the next failing call on this thread.  Thread-safe (the
 * message is thread-local); async-signal-unsafe.
 */
BT_EXTERN const char *bt_error_message(void);

/**
 * @return the code of the last failed call on this thread, or BT_OK when
 * none has failed since bt_error_clear().  Thread-safe.
 */
BT_EXTERN int bt_error_code(void);

/**
 * @return the SQLite extended result code behind the last failed call on this
 * thread (for example 522 for SQLITE_IOERR_SHORT_READ), or 0 when the failure
 * did not come from SQLite.  Thread-safe.
 */
BT_EXTERN int bt_error_sqlite_code(void);

/** Forget this thread's last error.  Thread-safe. */
BT_EXTERN void bt_error_clear(void);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Opening a database
 * @{ */

/** An open bug database.  Opaque; one handle may be shared by many threads. */
typedef struct bt_db bt_db;

/** Severity levels of a log line.  The gaps leave room for more. */
typedef enum bt_level {
	BT_DEBUG = 10,
	BT_INFO = 20,
	BT_WARNING = 30,
	BT_ERROR = 40,
	BT_CRITICAL = 50
} bt_level;

/** Open the database read-only.  Implies BT_OPEN_NO_MIGRATE. */
#define BT_OPEN_READONLY   0x1u
/** Do not apply pending migrations (see bt_migrate()). */
#define BT_OPEN_NO_MIGRATE 0x2u
/** Use synchronous=FULL: a commit also survives power loss, at a cost. */
#define BT_OPEN_SYNC_FULL  0x4u
/** Store messages and context as given: no redaction of secrets. */
#define BT_OPEN_NO_REDACT  0x8u
/** Make the captured stack trace part of the default fingerprint. */
#define BT_OPEN_STACK_IN_FINGERPRINT 0x10u
/** Fail with BT_ENOTFOUND instead of creating a missing file. */
#define BT_OPEN_NO_CREATE  0x20u
/**
 * Asynchronous capture: bt_log() and the other capture calls format and
 * fingerprint on the caller's thread, then hand the occurrence to a bounded
 * in-memory queue that a background thread commits in batches.  Repeats of
 * an occurrence already waiting in the queue only add to its count.  See
 * bt_flush() and README, "Asynchronous capture", for the loss window.
 */
#define BT_OPEN_ASYNC      0x40u

/** A clock for tests: returns milliseconds since the Unix epoch. */
typedef int64_t (*bt_clock_fn)(void *payload);

/**
 * Options for bt_open().  Fields are only ever appended: a caller built
 * against an older version passes that version and gets the defaults for
 * the fields it does not know.
 */
typedef struct bt_open_options {
	/** BT_OPEN_OPTIONS_VERSION, or an older version (1, 2). */
	unsigned int version;
	/** A set of BT_OPEN_* flags; unknown bits are rejected. */
	unsigned int flags;
	/**
	 * How long a call waits for another connection's lock before it fails
	 * with BT_EBUSY, in milliseconds.  0 selects the default, 5000.
	 * Negative values are rejected.
	 */
	int busy_timeout_ms;

	/* ---- version 2 ---- */
	/** Lines at or above this level are stored; 0 selects BT_INFO. */
	bt_level store_level;
	/** Lines at or above this level land on a ticket; 0 selects BT_CRITICAL. */
	bt_level ticket_level;
	/**
	 * An open ticket takes a new occurrence only if its last one lies within
	 * this window; otherwise a new ticket is opened.  BT_OPEN_OPTIONS_INIT
	 * sets 24 hours; 0 means forever; negative values are rejected.
	 * Resolved and closed tickets ignore the window (see README, Grouping).
	 */
	int64_t dedup_window_ms;
	/** Longer messages are cut with a visible marker; 0 selects 16384. */
	size_t max_message_bytes;
	/** Capture a backtrace for lines at or above this level; 0 = never. */
	bt_level stack_trace_level;
	/**
	 * Keys whose values are redacted, as a NULL-terminated list of
	 * lower-case names; NULL selects the default list (see README).  The
	 * list is copied by bt_open().
	 */
	const char *const *redact_keys;
	/** The clock for every timestamp; NULL uses the real time. */
	bt_clock_fn clock;
	/** Passed to @ref clock. */
	void *clock_payload;

	/* ---- version 3 ---- */
	/**
	 * At most this many log rows are kept per ticket (per dedup window):
	 * the first K/2 occurrences, then every K-th occurrence, of which the
	 * latest K/2 are kept.  Occurrence counts stay exact.  0 selects 100;
	 * BT_LOG_ROWS_UNLIMITED keeps every row.
	 */
	int log_rows_per_ticket;
	/**
	 * The SLA policy: how long a ticket of each severity may stay open, in
	 * milliseconds, indexed by bt_severity (index 0 unused).  0 selects the
	 * default: low 30 days, medium 7 days, high 24 hours, critical 4 hours.
	 * Negative values are rejected.
	 */
	int64_t sla_ms[5];

	/* ---- version 4: asynchronous capture (BT_OPEN_ASYNC) ---- */
	/**
	 * The queue's caps: at most this many distinct pending occurrences
	 * (0 selects 4096) holding at most this many bytes of text (0 selects
	 * 4 MiB).  Repeats of a pending occurrence take no room.
	 */
	unsigned int async_queue_entries;
	size_t async_queue_bytes;
	/**
	 * The longest an accepted occurrence waits before the writer commits
	 * it, in milliseconds: the loss window of a hard crash.  0 selects 20;
	 * at most 60000.
	 */
	int async_flush_interval_ms;
	/** What a capture does when the queue is full: a bt_overflow_policy. */
	int async_overflow;
	/**
	 * How many call sites (component, format, function) remember their
	 * fingerprint, so that a repeat is a hash and a lookup.  0 selects 1024.
	 */
	unsigned int site_cache_entries;
} bt_open_options;

#define BT_LOG_ROWS_UNLIMITED (-1)

/** What an asynchronous capture does when the queue is full. */
typedef enum bt_overflow_policy {
	/** Never wait: count the occurrence as dropped (the default).  A repeat
	 * of a pending occurrence is still counted on it. */
	BT_OVERFLOW_DROP = 0,
	/** Wait until the writer has made room. */
	BT_OVERFLOW_BLOCK = 1
} bt_overflow_policy;

#define BT_OPEN_OPTIONS_VERSION 4
#define BT_OPEN_OPTIONS_INIT \
	{ BT_OPEN_OPTIONS_VERSION, 0u, 0, BT_INFO, BT_CRITICAL, \
	  (int64_t)24 * 60 * 60 * 1000, 0, (bt_level)0, NULL, NULL, NULL, 0, { 0, 0, 0, 0, 0 }, \
	  0u, 0, 0, BT_OVERFLOW_DROP, 0u }

/**
 * Initialise @p opts with the defaults of options version @p version.
 * @return BT_OK, or BT_EINVALID for a NULL @p opts or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_open_options_init(bt_open_options *opts, unsigned int version);

/**
 * Open (creating if needed) the bug database at @p path and bring its schema
 * up to date.
 *
 * @param out   receives the new handle; set to NULL on failure.
 * @param path  the database file.  NULL or "" selects the default:
 *              $BUGTRACK_DB when set and non-empty, else "./bugtrack.db".
 * @param opts  NULL for defaults, or options made with BT_OPEN_OPTIONS_INIT.
 *
 * A file that bt_open creates gets mode 0600 (its WAL and shared-memory files
 * follow), because error logs hold stack traces and sometimes secrets.  The
 * connection uses WAL mode, foreign keys, synchronous=NORMAL (FULL with
 * BT_OPEN_SYNC_FULL) and the busy timeout.  Pending embedded migrations are
 * applied, each in its own transaction; when several processes open a fresh
 * file at once, exactly one of them migrates it.
 *
 * @return BT_OK, or:
 *  - BT_EINVALID: NULL @p out, bad options version, or unknown flags;
 *  - BT_ECANTOPEN: the path is a directory or its directory is missing;
 *  - BT_ENOTFOUND: BT_OPEN_READONLY or BT_OPEN_NO_CREATE, and the file does
 *    not exist (it is not created);
 *  - BT_ECORRUPT: the file is not a SQLite database, or is malformed;
 *  - BT_ESCHEMA: the schema is newer than this library, a recorded
 *    migration's checksum differs from the embedded one, the file holds
 *    non-bugtrack tables, or (read-only) it needs migrating.  With
 *    BT_OPEN_NO_MIGRATE an older schema is accepted, and only
 *    bt_schema_version() and bt_migrate() are meant to be used until the
 *    schema is current;
 *  - BT_EREADONLY: the file is read-only and BT_OPEN_READONLY was not given;
 *  - BT_EBUSY: another connection held a lock past the busy timeout.
 *
 * The caller owns the handle and releases it with bt_close().  Thread-safe
 * (it touches no shared state but the environment, read with getenv()).
 * A handle must not be used across fork(); open a new one in the child.
 */
BT_EXTERN int bt_open(bt_db **out, const char *path, const bt_open_options *opts);

/**
 * Close @p db and free everything it owns.  NULL is accepted and ignored.
 * With BT_OPEN_ASYNC, everything accepted is committed first; if the
 * database stays unwritable (locked past the busy timeout, I/O errors),
 * bt_close gives up after twice the busy timeout and the pending
 * occurrences are lost.  No other thread may be using @p db, and it must
 * not be used afterwards.
 */
BT_EXTERN void bt_close(bt_db *db);

/**
 * Wait until every occurrence accepted before this call is committed.
 *
 * @param timeout_ms  the longest wait, in milliseconds; negative waits as
 *                    long as it takes.
 * @return BT_OK (at once for a synchronous handle); BT_EBUSY when the
 * timeout passed first; BT_EINVALID for a NULL @p db; or the error of the
 * writer's last failed commit (for example BT_EIO), with its message, when
 * the writer could not commit.  Thread-safe.
 */
BT_EXTERN int bt_flush(bt_db *db, int timeout_ms);

/** Counters of asynchronous capture, since bt_open(). */
typedef struct bt_capture_stats {
	/** BT_CAPTURE_STATS_VERSION: the library checks it. */
	unsigned int version;
	/** Capture calls accepted: queued, or added to a pending count. */
	uint64_t accepted;
	/** Of those, repeats added to a pending occurrence's count. */
	uint64_t coalesced;
	/** Capture calls dropped because the queue was full. */
	uint64_t dropped;
	/** Occurrences committed by the writer. */
	uint64_t committed;
	/** Transactions the writer committed. */
	uint64_t batches;
	/** The most bytes of text the queue ever held. */
	uint64_t queue_bytes_peak;
} bt_capture_stats;

#define BT_CAPTURE_STATS_VERSION 1

/**
 * Fill @p out (whose version the caller sets to BT_CAPTURE_STATS_VERSION)
 * with @p db's capture counters; all zero for a synchronous handle.
 * @return BT_OK, or BT_EINVALID for NULL arguments or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_capture_stats_get(bt_db *db, bt_capture_stats *out);

/**
 * @return the path of the database file that @p db opened (after the default
 * was applied), owned by @p db and valid until bt_close(); NULL for a NULL
 * @p db.  Thread-safe.
 */
BT_EXTERN const char *bt_db_path(const bt_db *db);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Capture
 * Every line at or above the store level is written to error_logs; lines at
 * or above the ticket level also land on a ticket, in the same transaction.
 * A capture call returns after its commit: a call that returned BT_OK
 * survives a crash of the process right after it (WAL, synchronous=NORMAL;
 * with BT_OPEN_SYNC_FULL it also survives power loss).  Capture calls keep
 * errno unchanged, and never print.
 * @{ */

/**
 * Log a line.  @p fmt is a printf format and is the line's message template:
 * two calls with the same format, component and call site group onto one
 * ticket whatever their arguments.  A format with no literal word ("%s")
 * falls back to the normalized formatted message.
 *
 * In C, bt_log() is a macro that adds the call site (__FILE__, __LINE__,
 * __func__) through bt_log_at(); define BT_NO_CALLSITE_MACROS to call the
 * plain function, which records no call site.
 *
 * @return BT_OK (also when the level is below the store level), or
 * BT_EINVALID for a NULL @p db, @p component or @p fmt, or a storage error
 * such as BT_EBUSY or BT_EIO (nothing is stored then).  Thread-safe.
 */
BT_EXTERN int bt_log(bt_db *db, bt_level level, const char *component,
		     const char *fmt, ...) BT_PRINTF(4, 5);

/** bt_log() with a va_list.  Thread-safe. */
BT_EXTERN int bt_logv(bt_db *db, bt_level level, const char *component,
		      const char *fmt, va_list ap) BT_PRINTF(4, 0);

/**
 * bt_log() with an explicit call site; @p file and @p function may be NULL
 * and @p line 0.  This is what the bt_log() macro calls.  Thread-safe.
 */
BT_EXTERN int bt_log_at(bt_db *db, bt_level level, const char *component,
			const char *file, int line, const char *function,
			const char *fmt, ...) BT_PRINTF(7, 8);

/** bt_log_at() with a va_list.  Thread-safe. */
BT_EXTERN int bt_logv_at(bt_db *db, bt_level level, const char *component,
			 const char *file, int line, const char *function,
			 const char *fmt, va_list ap) BT_PRINTF(7, 0);

#if !defined(BT_NO_CALLSITE_MACROS)
#  define bt_log(db, level, component, ...) \
	bt_log_at((db), (level), (component), __FILE__, __LINE__, __func__, __VA_ARGS__)
#endif

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
	/** The call site; any may be NULL/0. */
	const char *file;
	int line;
	const char *function;
	/** A stack trace as text; NULL captures one if the options ask for it. */
	const char *stack_trace;
	/** An explicit fingerprint: overrides all grouping rules. */
	const char *fingerprint;
	/** Context as JSON text; must be valid JSON. */
	const char *context_json;
	/** Override the thread's trace and request ids (bt_thread_context_set). */
	const char *trace_id;
	const char *request_id;
} bt_event;

#define BT_EVENT_VERSION 1
#define BT_EVENT_INIT { BT_EVENT_VERSION, BT_ERROR, NULL, NULL, NULL, NULL, 0, \
			NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL }

/**
 * Capture a structured event.
 * @param ticket_id_out  if not NULL, receives the id of the ticket the
 *                       event landed on, or 0 when it made no ticket.
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
	BT_CONTEXT_SERVICE = 1,
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
#define BT_FAIL_NEGATIVE 0  /**< value < 0, as most libc calls */
#define BT_FAIL_NONZERO  1  /**< value != 0, as pthread calls */

/**
 * Helpers behind the TRACK_ERRORS macros: if @p value is a failure by
 * @p policy (or NULL, for bt_track_ptr), capture it at @p level with the
 * expression text, call site and errno; return @p value unchanged either
 * way.  errno is preserved.  A capture failure is not reported (the
 * caller's own failure is what matters); see bt_error_message().
 * Thread-safe.
 */
BT_EXTERN long long bt_track_int(bt_db *db, bt_level level, const char *component,
				 long long value, int policy, const char *expr,
				 const char *file, int line, const char *function);
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

/* ------------------------------------------------------------------------ */
/** @name Tickets
 * @{ */

/** A snapshot of one ticket.  Opaque; free it with bt_ticket_free(). */
typedef struct bt_ticket bt_ticket;

typedef enum bt_status {
	BT_STATUS_NEW = 1,
	BT_STATUS_TRIAGED = 2,
	BT_STATUS_IN_PROGRESS = 3,
	BT_STATUS_AWAITING_VERIFICATION = 4,
	BT_STATUS_RESOLVED = 5,
	BT_STATUS_CLOSED = 6
} bt_status;

typedef enum bt_severity {
	BT_SEVERITY_LOW = 1,
	BT_SEVERITY_MEDIUM = 2,
	BT_SEVERITY_HIGH = 3,
	BT_SEVERITY_CRITICAL = 4
} bt_severity;

typedef enum bt_priority {
	BT_PRIORITY_LOW = 1,
	BT_PRIORITY_MEDIUM = 2,
	BT_PRIORITY_HIGH = 3,
	BT_PRIORITY_URGENT = 4
} bt_priority;

typedef enum bt_source {
	BT_SOURCE_USER = 1,
	BT_SOURCE_AGENT = 2,
	BT_SOURCE_SYSTEM = 3
} bt_source;

/** A hand-filed report.  Fields are only ever appended. */
typedef struct bt_report {
	/** BT_REPORT_VERSION. */
	unsigned int version;
	/** Required. */
	const char *title;
	const char *description;
	/** 0 selects medium. */
	bt_severity severity;
	/** 0 selects medium. */
	bt_priority priority;
	const char *category;
	const char *component;
	/** 0 selects BT_SOURCE_USER. */
	bt_source source;
	const char *reporter;
	const char *trace_id;
	const char *request_id;
	/** Defaults to the handle's BT_CONTEXT_RELEASE. */
	const char *release_sha;
	/** Must be valid JSON. */
	const char *context_json;
	/** Optional: a report with a fingerprint dedups like a log does. */
	const char *fingerprint;
} bt_report;

#define BT_REPORT_VERSION 1
#define BT_REPORT_INIT { BT_REPORT_VERSION, NULL, NULL, (bt_severity)0, \
			 (bt_priority)0, NULL, NULL, (bt_source)0, NULL, NULL, \
			 NULL, NULL, NULL, NULL }

/** Room for a ticket number such as "BUG-00042", with the NUL. */
#define BT_TICKET_NUMBER_SIZE 24

/**
 * File a ticket by hand.  With a fingerprint, a report that matches an
 * existing ticket counts as one more occurrence of it instead.
 * @param id_out      if not NULL, receives the ticket's id.
 * @param number_out  if not NULL, receives its number, e.g. "BUG-00042".
 * @return BT_OK, BT_EINVALID (NULL db or report, bad version, missing
 * title, unknown enum value, context not JSON), or a storage error.
 * Thread-safe.
 */
BT_EXTERN int bt_report_create(bt_db *db, const bt_report *report, int64_t *id_out,
			       char number_out[BT_TICKET_NUMBER_SIZE]);

/**
 * Find the ticket that an error with @p fingerprint would land on now.
 * Read-only, and answered from an index.
 * @param out  receives a ticket the caller frees with bt_ticket_free().
 * @return BT_OK, BT_ENOTFOUND when the error would open a new ticket,
 * BT_EINVALID, or a storage error.  Thread-safe.
 */
BT_EXTERN int bt_dedup_lookup(bt_db *db, const char *fingerprint, bt_ticket **out);

/** bt_dedup_lookup() for the fingerprint @p event would get. Thread-safe. */
BT_EXTERN int bt_dedup_lookup_event(bt_db *db, const bt_event *event, bt_ticket **out);

/**
 * Read ticket @p id.  @p out receives a ticket the caller frees with
 * bt_ticket_free().
 * @return BT_OK, BT_ENOTFOUND, BT_EINVALID, or a storage error.  Thread-safe.
 */
BT_EXTERN int bt_ticket_get(bt_db *db, int64_t id, bt_ticket **out);

/** Free a ticket; NULL is accepted. */
BT_EXTERN void bt_ticket_free(bt_ticket *ticket);

/*
 * Getters.  Strings are owned by the ticket and live until bt_ticket_free();
 * a missing value is NULL (strings) or 0 (numbers).  Times are milliseconds
 * since the Unix epoch.  A NULL ticket gives NULL/0.  Safe to call from any
 * thread that owns the ticket.
 */
BT_EXTERN int64_t bt_ticket_id(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_number(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_title(const bt_ticket *ticket);
BT_EXTERN bt_status bt_ticket_status(const bt_ticket *ticket);
BT_EXTERN bt_severity bt_ticket_severity(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_component(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_fingerprint(const bt_ticket *ticket);
/** The exact text the fingerprint hashed, for explaining grouping. */
BT_EXTERN const char *bt_ticket_grouping_input(const bt_ticket *ticket);
BT_EXTERN int64_t bt_ticket_occurrence_count(const bt_ticket *ticket);
BT_EXTERN int64_t bt_ticket_regression_count(const bt_ticket *ticket);
BT_EXTERN int64_t bt_ticket_first_occurred_at(const bt_ticket *ticket);
BT_EXTERN int64_t bt_ticket_last_occurred_at(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_error_message(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_stack_trace(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_description(const bt_ticket *ticket);
BT_EXTERN bt_priority bt_ticket_priority(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_category(const bt_ticket *ticket);
BT_EXTERN bt_source bt_ticket_source(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_reporter(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_assignee(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_error_type(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_service(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_host(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_environment(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_release(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_trace_id(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_request_id(const bt_ticket *ticket);
/** Context JSON of the first occurrence, or NULL. */
BT_EXTERN const char *bt_ticket_context(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_resolution_notes(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_resolution_commit(const bt_ticket *ticket);
BT_EXTERN const char *bt_ticket_resolved_by(const bt_ticket *ticket);
/** The release the fix is in, as given to bt_ticket_resolve(). */
BT_EXTERN const char *bt_ticket_resolved_release(const bt_ticket *ticket);
/** The agent holding a claim, even an expired one; NULL when unclaimed. */
BT_EXTERN const char *bt_ticket_claimed_by(const bt_ticket *ticket);
BT_EXTERN int64_t bt_ticket_claimed_at(const bt_ticket *ticket);
BT_EXTERN int64_t bt_ticket_claim_expires_at(const bt_ticket *ticket);
BT_EXTERN int64_t bt_ticket_automation_attempts(const bt_ticket *ticket);
/** Bumped by every lifecycle change (not by occurrences): optimistic locking. */
BT_EXTERN int64_t bt_ticket_version(const bt_ticket *ticket);
/** The canonical ticket this one was merged into, or 0. */
BT_EXTERN int64_t bt_ticket_duplicate_of(const bt_ticket *ticket);
/** The report_id of an imported legacy report, or NULL. */
BT_EXTERN const char *bt_ticket_external_id(const bt_ticket *ticket);
BT_EXTERN int64_t bt_ticket_created_at(const bt_ticket *ticket);
BT_EXTERN int64_t bt_ticket_updated_at(const bt_ticket *ticket);
BT_EXTERN int64_t bt_ticket_resolved_at(const bt_ticket *ticket);
BT_EXTERN int64_t bt_ticket_sla_due_at(const bt_ticket *ticket);

/** Orders for listing tickets; each is descending, ties broken by id. */
typedef enum bt_ticket_sort {
	BT_SORT_LAST_OCCURRED = 1, /**< most recent occurrence first */
	BT_SORT_OCCURRENCES = 2,   /**< most occurrences first */
	BT_SORT_SEVERITY = 3,      /**< most severe first */
	BT_SORT_CREATED = 4        /**< newest ticket first */
} bt_ticket_sort;

/** A bit for bt_ticket_filter.status_mask. */
#define BT_STATUS_BIT(status) (1u << (status))
/** Every status but resolved and closed. */
#define BT_STATUS_OPEN_MASK \
	(BT_STATUS_BIT(BT_STATUS_NEW) | BT_STATUS_BIT(BT_STATUS_TRIAGED) | \
	 BT_STATUS_BIT(BT_STATUS_IN_PROGRESS) | BT_STATUS_BIT(BT_STATUS_AWAITING_VERIFICATION))

/** Values of bt_ticket_filter.claimed. */
#define BT_CLAIMED_ANY 0
#define BT_CLAIMED_YES 1 /**< a live lease */
#define BT_CLAIMED_NO  2 /**< never claimed, released, or lease expired */

/**
 * Which tickets to list, and in what order.  Zero and NULL fields do not
 * filter.  Time ranges are [from, to) in milliseconds.  Fields are only
 * ever appended.
 */
typedef struct bt_ticket_filter {
	/** BT_TICKET_FILTER_VERSION. */
	unsigned int version;
	/** BT_STATUS_BIT()s or'ed together; 0 = any status. */
	unsigned int status_mask;
	/** Only tickets at least this severe; 0 = any. */
	bt_severity min_severity;
	/** Exact component. */
	const char *component;
	/** Exact assignee. */
	const char *assignee;
	/** BT_CLAIMED_*. */
	int claimed;
	int64_t created_from, created_to;
	/** Bounds on last_occurred_at. */
	int64_t occurred_from, occurred_to;
	/** Non-zero: only tickets that have regressed. */
	int regressed_only;
	/** A substring of the title or error message (ASCII case-insensitive). */
	const char *text;
	/** 0 selects BT_SORT_LAST_OCCURRED. */
	bt_ticket_sort sort;
	/** Resume after this bt_ticket_iter_cursor() value; NULL starts at the top. */
	const char *cursor;
	/** Non-zero: only open tickets past their sla_due_at. */
	int overdue_only;
} bt_ticket_filter;

#define BT_TICKET_FILTER_VERSION 1
#define BT_TICKET_FILTER_INIT { BT_TICKET_FILTER_VERSION, 0u, (bt_severity)0, NULL, NULL, \
				BT_CLAIMED_ANY, 0, 0, 0, 0, 0, NULL, (bt_ticket_sort)0, NULL, 0 }

/** A stream of tickets.  Opaque; free it with bt_ticket_iter_free(). */
typedef struct bt_ticket_iter bt_ticket_iter;

/**
 * Start listing the tickets that match @p filter (NULL: all, by last
 * occurrence).  Rows are fetched a page at a time, so memory stays constant
 * and no read transaction is held between calls; a ticket inserted while
 * listing never causes a duplicate or a skip.
 * @return BT_OK, or BT_EINVALID (NULL db or out, bad version, unknown sort,
 * claimed or severity value, malformed cursor, or a cursor made for another
 * sort).  Thread-safe; the iterator itself must be used by one thread at a
 * time, and must not outlive @p db.
 */
BT_EXTERN int bt_ticket_iter_new(bt_db *db, const bt_ticket_filter *filter,
				 bt_ticket_iter **out);

/**
 * The next ticket, which the caller frees with bt_ticket_free().
 * @return BT_OK, BT_ITEROVER when there are no more, or a storage error
 * (the iterator may be retried).
 */
BT_EXTERN int bt_ticket_iter_next(bt_ticket_iter *iter, bt_ticket **out);

/**
 * An opaque cursor positioned after the last ticket returned, for
 * bt_ticket_filter.cursor; NULL before the first.  Owned by @p iter, valid
 * until the next call on it.
 */
BT_EXTERN const char *bt_ticket_iter_cursor(const bt_ticket_iter *iter);

/** Free an iterator; NULL is accepted. */
BT_EXTERN void bt_ticket_iter_free(bt_ticket_iter *iter);

/**
 * Read the ticket numbered @p number ("BUG-00042"; the "BUG-" prefix may be
 * omitted and leading zeros do not matter).
 * @return BT_OK, BT_ENOTFOUND, BT_EINVALID for a malformed number, or a
 * storage error.  Thread-safe.
 */
BT_EXTERN int bt_ticket_get_by_number(bt_db *db, const char *number, bt_ticket **out);

/** Ticket counts for an at-a-glance view.  Fields are only ever appended. */
typedef struct bt_ticket_counts {
	/** BT_TICKET_COUNTS_VERSION: set it before calling. */
	unsigned int version;
	int64_t total;
	/** Indexed by bt_status (index 0 unused). */
	int64_t by_status[7];
	/** Open tickets, indexed by bt_severity (index 0 unused). */
	int64_t open_by_severity[5];
	/** Open tickets past their sla_due_at. */
	int64_t overdue;

	/* ---- version 2 ---- */
	/** Occurrences that asynchronous capture dropped because its queue
	 * was full, summed over every process (the async_dropped counter). */
	int64_t dropped;
} bt_ticket_counts;

#define BT_TICKET_COUNTS_VERSION 2
#define BT_TICKET_COUNTS_INIT { BT_TICKET_COUNTS_VERSION, 0, { 0 }, { 0 }, 0, 0 }

/**
 * Count tickets by status, open tickets by severity, and overdue ones, in
 * one consistent read.
 * @return BT_OK, BT_EINVALID (NULL arguments, unknown version), or a
 * storage error.  Thread-safe.
 */
BT_EXTERN int bt_ticket_count(bt_db *db, bt_ticket_counts *counts);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Lifecycle
 * Statuses move as in this table (README, "Lifecycle"): forward through
 * new, triaged, in_progress, awaiting_verification; any open status may be
 * resolved or closed; a resolved ticket may be closed; resolved and closed
 * tickets reopen to new.  Every change bumps the ticket's version and writes
 * one ticket_events row per changed field, in the same transaction.
 * Occurrences do not bump the version, so a storm does not defeat optimistic
 * locking.
 * @{ */

/** Who makes a change, and what it must not conflict with. */
typedef struct bt_update_options {
	/** BT_UPDATE_OPTIONS_VERSION. */
	unsigned int version;
	/** Required: who acts, e.g. "agent:fixer-1" or "user:oncall". */
	const char *actor;
	/** Optional note recorded with the change. */
	const char *note;
	/** If set: fail with BT_ECONFLICT unless this claim is live on the ticket. */
	const char *claim_token;
	/** If > 0: fail with BT_ECONFLICT unless the ticket's version equals it. */
	int64_t expected_version;
} bt_update_options;

#define BT_UPDATE_OPTIONS_VERSION 1
#define BT_UPDATE_OPTIONS_INIT { BT_UPDATE_OPTIONS_VERSION, NULL, NULL, NULL, 0 }

/*
 * Every function below returns BT_OK or:
 *  - BT_EINVALID: NULL db or options, no actor, an unknown value;
 *  - BT_ENOTFOUND: no such ticket;
 *  - BT_ECONFLICT: the claim token is not live on the ticket, or its
 *    version is not expected_version (someone changed it in between);
 *  - BT_ESTATE: not allowed in the ticket's current status, with both
 *    statuses named in the message;
 *  - a storage error.
 * Nothing is changed when they fail.  All are thread-safe.
 */

/** Move ticket @p id to @p status.  Moving to resolved sets resolved_at. */
BT_EXTERN int bt_ticket_set_status(bt_db *db, int64_t id, bt_status status,
				   const bt_update_options *opts);

/**
 * Resolve ticket @p id: status resolved, resolved_at now, with @p notes,
 * the fixing @p commit_sha and the @p release that carries the fix (each may
 * be NULL).  A recurrence from a release first seen before @p release does
 * not reopen the ticket (see README, Grouping).  Releases its claim.
 */
BT_EXTERN int bt_ticket_resolve(bt_db *db, int64_t id, const char *notes,
				const char *commit_sha, const char *release,
				const bt_update_options *opts);

/** Assign ticket @p id to @p assignee (NULL unassigns). */
BT_EXTERN int bt_ticket_assign(bt_db *db, int64_t id, const char *assignee,
			       const bt_update_options *opts);

/** Change the severity; the SLA due time is recomputed from created_at. */
BT_EXTERN int bt_ticket_set_severity(bt_db *db, int64_t id, bt_severity severity,
				     const bt_update_options *opts);
BT_EXTERN int bt_ticket_set_priority(bt_db *db, int64_t id, bt_priority priority,
				     const bt_update_options *opts);
/** @p category may be NULL to clear it. */
BT_EXTERN int bt_ticket_set_category(bt_db *db, int64_t id, const char *category,
				     const bt_update_options *opts);

/** Add a free-form note (or an agent's log line) to the trail. */
BT_EXTERN int bt_ticket_note(bt_db *db, int64_t id, const char *text,
			     const bt_update_options *opts);

/** Room for a claim token: 32 hex digits and the NUL. */
#define BT_CLAIM_TOKEN_SIZE 33

/**
 * Claim open ticket @p id for @p agent for @p lease_seconds (> 0), and
 * count one automation attempt.  Atomic across threads and processes.
 * @param token_out  receives the token that renews, releases, and
 *                   authorises updates (bt_update_options.claim_token).
 * @return BT_OK; BT_EBUSY while another agent's live lease holds it (the
 * message names the holder and the expiry); BT_ESTATE for a resolved or
 * closed ticket; BT_EINVALID; BT_ENOTFOUND.  Taking over an expired lease is
 * recorded as a claim_taken_over event.  The holder itself may claim again
 * (after losing its token, say): the new token replaces the old one.
 * Thread-safe.
 */
BT_EXTERN int bt_ticket_claim(bt_db *db, int64_t id, const char *agent, int lease_seconds,
			      char token_out[BT_CLAIM_TOKEN_SIZE]);

/** Extend a claim to now + @p lease_seconds.  An expired claim may be
 *  renewed as long as nobody has taken the ticket over.  BT_ECONFLICT if
 *  @p token is not the ticket's claim.  Thread-safe. */
BT_EXTERN int bt_ticket_claim_renew(bt_db *db, int64_t id, const char *token, int lease_seconds);

/** Give a claim up.  BT_ECONFLICT if @p token is not the ticket's claim.
 *  Thread-safe. */
BT_EXTERN int bt_ticket_claim_release(bt_db *db, int64_t id, const char *token);

/**
 * List the automation queue: open tickets that are unclaimed (or whose lease
 * expired, or claimed by @p agent when it is not NULL) with fewer than
 * @p max_attempts automation attempts (0: no limit), most severe first, then
 * most occurrences, then oldest; at most @p limit tickets (0: 100, at most
 * 1000; larger values are refused).
 * @return as bt_ticket_iter_new().  Thread-safe.
 */
BT_EXTERN int bt_ticket_pending(bt_db *db, const char *agent, int max_attempts,
				unsigned int limit, bt_ticket_iter **out);

/**
 * Merge ticket @p duplicate into @p canonical: its occurrences, log rows
 * and fingerprints fold into @p canonical, and it becomes closed with
 * duplicate_of = @p canonical.  Later occurrences of its fingerprint land on
 * @p canonical.  Both tickets get events.
 * @return BT_OK, or BT_EINVALID for a merge into itself or into a ticket
 * that is itself a duplicate (which is how loops are refused), BT_ESTATE for
 * a duplicate that was already merged, BT_ENOTFOUND, BT_ECONFLICT
 * (expected_version and claim_token apply to @p duplicate).  Thread-safe.
 */
BT_EXTERN int bt_ticket_merge(bt_db *db, int64_t duplicate, int64_t canonical,
			      const bt_update_options *opts);

/**
 * Delete ticket @p id with its events, its log rows and its fingerprint
 * aliases, in one transaction.  @p opts may be NULL; its version and claim
 * checks apply when given.  Thread-safe.
 */
BT_EXTERN int bt_ticket_delete(bt_db *db, int64_t id, const bt_update_options *opts);

/** @name Audit trail
 * @{ */

/** One event of a ticket's trail.  Opaque; free with bt_audit_entry_free(). */
typedef struct bt_audit_entry bt_audit_entry;
/** A stream of audit entries.  Opaque; free with bt_audit_iter_free(). */
typedef struct bt_audit_iter bt_audit_iter;

/**
 * Iterate ticket @p id's events in time order (oldest first).
 * @return BT_OK, BT_EINVALID, BT_ENOTFOUND (no such ticket).  Thread-safe;
 * the iterator must be used by one thread at a time and not outlive @p db.
 */
BT_EXTERN int bt_audit_iter_new(bt_db *db, int64_t id, bt_audit_iter **out);
/** @return BT_OK with an entry the caller frees, BT_ITEROVER, or an error. */
BT_EXTERN int bt_audit_iter_next(bt_audit_iter *iter, bt_audit_entry **out);
BT_EXTERN void bt_audit_iter_free(bt_audit_iter *iter);
BT_EXTERN void bt_audit_entry_free(bt_audit_entry *entry);

/*
 * Entry getters; strings live until bt_audit_entry_free().  kind is one of
 * created, status_changed, field_changed, assigned, note, claimed,
 * claim_renewed, claim_released, claim_taken_over, resolved, regressed,
 * merged, merged_into; field names the column for field_changed.
 */
BT_EXTERN int64_t bt_audit_entry_id(const bt_audit_entry *entry);
BT_EXTERN const char *bt_audit_entry_actor(const bt_audit_entry *entry);
BT_EXTERN const char *bt_audit_entry_kind(const bt_audit_entry *entry);
BT_EXTERN const char *bt_audit_entry_field(const bt_audit_entry *entry);
BT_EXTERN const char *bt_audit_entry_from(const bt_audit_entry *entry);
BT_EXTERN const char *bt_audit_entry_to(const bt_audit_entry *entry);
BT_EXTERN const char *bt_audit_entry_note(const bt_audit_entry *entry);
BT_EXTERN int64_t bt_audit_entry_created_at(const bt_audit_entry *entry);
/** @} */

/** @name Log rows
 * @{ */

/** Which log rows to read.  Zero and NULL fields do not filter.  Fields are
 *  only ever appended. */
typedef struct bt_log_filter {
	/** BT_LOG_FILTER_VERSION. */
	unsigned int version;
	/** Only rows of this ticket. */
	int64_t ticket_id;
	/** Only rows at or above this level. */
	bt_level min_level;
	/** Exact component. */
	const char *component;
	/** created_at in [from, to), milliseconds. */
	int64_t from, to;
	/** Non-zero: newest first (default: oldest first). */
	int newest_first;
} bt_log_filter;

#define BT_LOG_FILTER_VERSION 1
#define BT_LOG_FILTER_INIT { BT_LOG_FILTER_VERSION, 0, (bt_level)0, NULL, 0, 0, 0 }

/** One stored log row.  Opaque; free with bt_log_entry_free(). */
typedef struct bt_log_entry bt_log_entry;
/** A stream of log rows.  Opaque; free with bt_log_iter_free(). */
typedef struct bt_log_iter bt_log_iter;

/**
 * Read the log rows that match @p filter (NULL: all, oldest first), a page
 * at a time in constant memory, with no read transaction held between calls.
 * @return BT_OK, or BT_EINVALID (NULL db or out, unknown version or level).
 * Thread-safe; the iterator is used by one thread at a time and must not
 * outlive @p db.
 */
BT_EXTERN int bt_log_iter_new(bt_db *db, const bt_log_filter *filter, bt_log_iter **out);
/** @return BT_OK with a row the caller frees, BT_ITEROVER, or an error. */
BT_EXTERN int bt_log_iter_next(bt_log_iter *iter, bt_log_entry **out);
BT_EXTERN void bt_log_iter_free(bt_log_iter *iter);
BT_EXTERN void bt_log_entry_free(bt_log_entry *entry);

/* Row getters; strings live until bt_log_entry_free(); missing values are
 * NULL or 0. */
BT_EXTERN int64_t bt_log_entry_id(const bt_log_entry *entry);
BT_EXTERN int64_t bt_log_entry_ticket_id(const bt_log_entry *entry);
BT_EXTERN bt_level bt_log_entry_level(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_component(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_message(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_template(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_fingerprint(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_error_type(const bt_log_entry *entry);
BT_EXTERN int bt_log_entry_error_code(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_file(const bt_log_entry *entry);
BT_EXTERN int bt_log_entry_line(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_function(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_stack_trace(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_context(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_trace_id(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_request_id(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_service(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_host(const bt_log_entry *entry);
BT_EXTERN int64_t bt_log_entry_pid(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_environment(const bt_log_entry *entry);
BT_EXTERN const char *bt_log_entry_release(const bt_log_entry *entry);
BT_EXTERN int64_t bt_log_entry_created_at(const bt_log_entry *entry);

/** @return the upper-case name of @p level ("CRITICAL"), or NULL. */
BT_EXTERN const char *bt_level_name(bt_level level);
/** @} */

/** @name Purging
 * @{ */

/** What bt_purge() removes.  Fields are only ever appended. */
typedef struct bt_purge_options {
	/** BT_PURGE_OPTIONS_VERSION. */
	unsigned int version;
	/** Remove what is older than this many days (> 0). */
	int older_than_days;
	/** Also remove open tickets (by default only resolved and closed go). */
	int include_open;
	/** Count what would go, and remove nothing. */
	int dry_run;
	/** Rows per transaction; 0 selects 500. */
	unsigned int batch_size;
} bt_purge_options;

#define BT_PURGE_OPTIONS_VERSION 1
#define BT_PURGE_OPTIONS_INIT { BT_PURGE_OPTIONS_VERSION, 0, 0, 0, 0u }

/** What bt_purge() removed (or would remove, in a dry run). */
typedef struct bt_purge_result {
	int64_t tickets;
	int64_t logs;
	int64_t events;
} bt_purge_result;

/**
 * Remove tickets whose last activity (last occurrence or update) is older
 * than the cutoff, with their events and logs, and log rows older than the
 * cutoff.  Works in transactions of batch_size rows, so writers are never
 * locked out for long; a purge interrupted between batches leaves a
 * consistent database.
 * @return BT_OK, BT_EINVALID (NULL arguments, unknown version, days <= 0),
 * or a storage error (what earlier batches removed stays removed, and
 * @p result says how much).  Thread-safe.
 */
BT_EXTERN int bt_purge(bt_db *db, const bt_purge_options *opts, bt_purge_result *result);
/** @} */
/** @} */

/** @return the lower-case name of @p status ("in_progress"), or NULL. */
BT_EXTERN const char *bt_status_name(bt_status status);
/** @return the lower-case name of @p severity ("critical"), or NULL. */
BT_EXTERN const char *bt_severity_name(bt_severity severity);
/** @return the lower-case name of @p priority ("urgent"), or NULL. */
BT_EXTERN const char *bt_priority_name(bt_priority priority);
/** @return the lower-case name of @p source ("agent"), or NULL. */
BT_EXTERN const char *bt_source_name(bt_source source);

/* ------------------------------------------------------------------------ */
/** @name Schema
 * The schema is a sequence of numbered migrations compiled into the library.
 * @{ */

/**
 * Report the schema version of the database behind @p db and the newest
 * version this library knows.  Either out pointer may be NULL.
 * @return BT_OK, or BT_EINVALID for a NULL @p db, or a storage error.
 * Thread-safe.
 */
BT_EXTERN int bt_schema_version(bt_db *db, int *current_out, int *latest_out);

/**
 * Apply the pending migrations to a database opened with BT_OPEN_NO_MIGRATE.
 * A no-op when the schema is current.
 * @return BT_OK, BT_EINVALID for a NULL @p db, BT_EREADONLY for a read-only
 * handle, BT_ESCHEMA as for bt_open(), or a storage error.  Thread-safe.
 */
BT_EXTERN int bt_migrate(bt_db *db);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_H */
