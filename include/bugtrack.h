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
#define BT_VERSION_MAJOR 1           /**< The header's major version. */
#define BT_VERSION_MINOR 0           /**< The header's minor version. */
#define BT_VERSION_PATCH 0           /**< The header's patch version. */
#define BT_VERSION_STRING "1.0.0"    /**< "MAJOR.MINOR.PATCH" as a string. */
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
#define BT_ENOTSUP   -14   /**< Not supported by this build (e.g. a backend not built in). */

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
	BT_DEBUG = 10,    /**< Diagnostics; below the default store level. */
	BT_INFO = 20,     /**< Informational; the default store level. */
	BT_WARNING = 30,  /**< Something unexpected that the service handled. */
	BT_ERROR = 40,    /**< A failure of one operation. */
	BT_CRITICAL = 50  /**< A failure that needs a fix; the default ticket level. */
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
 * Asynchronous capture, the default (the flag is accepted and changes
 * nothing): bt_log() and the other capture calls copy their input into a
 * bounded in-memory queue and return; a background thread cleans, redacts,
 * groups and commits it in batches.  The host's thread never waits for a
 * database lock or a commit.  Repeats of an occurrence already waiting in
 * the queue only add to its count.  See bt_flush() and README,
 * "Capture modes and durability", for the loss window.
 */
#define BT_OPEN_ASYNC      0x40u
/**
 * Synchronous capture: each capture call commits before it returns, so
 * BT_OK means "committed", at the cost of waiting for the database on the
 * caller's thread (up to the busy timeout when another process holds the
 * write lock).  Excludes BT_OPEN_ASYNC.
 */
#define BT_OPEN_SYNC       0x80u

/**
 * A clock for tests: returns milliseconds since the Unix epoch.  What it
 * returns is clamped to 0 .. 253402300799999 (9999-12-31T23:59:59.999Z).
 */
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
	 * sets 24 hours; 0 means forever; values below 0 or above
	 * 253402300799999 (about 8,000 years) are rejected.  Resolved and
	 * closed tickets ignore the window (see README, Grouping).
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
	 * Values below 0 or above 253402300799999 (about 8,000 years) are
	 * rejected.
	 */
	int64_t sla_ms[5];

	/* ---- version 4: asynchronous capture (BT_OPEN_ASYNC) ---- */
	/**
	 * The queue's caps: at most this many distinct pending occurrences
	 * (0 selects 4096) holding at most this many bytes of text (0 selects
	 * 4 MiB).  Repeats of a pending occurrence take no room.
	 */
	unsigned int async_queue_entries;
	/** The queue's cap in bytes of text; 0 selects 4 MiB (see above). */
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

/** bt_open_options.log_rows_per_ticket: keep every log row. */
#define BT_LOG_ROWS_UNLIMITED (-1)

/** What an asynchronous capture does when the queue is full. */
typedef enum bt_overflow_policy {
	/** Never wait: count the occurrence as dropped (the default).  A repeat
	 * of a pending occurrence is still counted on it. */
	BT_OVERFLOW_DROP = 0,
	/** Wait until the writer has made room. */
	BT_OVERFLOW_BLOCK = 1
} bt_overflow_policy;

/** The current version of bt_open_options. */
#define BT_OPEN_OPTIONS_VERSION 4
/** An initialiser for bt_open_options with the current version's defaults. */
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
 * @param path  the location of the database.  NULL or "" selects the
 *              default: $BUGTRACK_DB when set and non-empty, else
 *              "./bugtrack.db".  A location that begins with
 *              "postgresql://" or "postgres://" (libpq's URI form) names a
 *              PostgreSQL database: BT_ENOTSUP in a build without that
 *              backend.  Anything else is a SQLite database file's path:
 *              one that begins with "file:" names a file of that name,
 *              never a SQLite URI (write "./postgresql://x" for a file of
 *              that unlikely name).  bt_db_check(), bt_db_identify() and
 *              bt_schema_stamp() take a location the same way.
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
 *  - BT_EBUSY: another connection held a lock past the busy timeout;
 *  - BT_ENOTSUP: a location of a backend this build does not have.
 *
 * The caller owns the handle and releases it with bt_close().  Thread-safe
 * (it reads the environment with getenv()).
 *
 * Fork: a handle may be used in a child made by fork() without an exec.
 * On its first use there the child gets a connection, writer and queue of
 * its own (what the parent had accepted but not committed stays the
 * parent's to commit).  Inherited connections are closed in the child
 * without checkpoint or WAL removal, so that no process can destroy what
 * another wrote.  A handle whose lock another thread held at the fork for
 * more than two seconds is unusable in the child (BT_ESTATE); a handle
 * opened in the child is always safe.  See README, "Processes, fork and
 * daemons".
 */
BT_EXTERN int bt_open(bt_db **out, const char *path, const bt_open_options *opts);

/**
 * Close @p db and free everything it owns.  NULL is accepted and ignored.
 * On an asynchronous handle (the default), everything accepted is
 * committed first; if the database stays unwritable (locked past the busy
 * timeout, I/O errors), bt_close gives up once the busy timeout has passed
 * and the pending occurrences are lost: it returns within the busy timeout
 * (plus at most one second for a commit already under way).  No other
 * thread may be using @p db, and it must not be used afterwards.  In a
 * child process it closes the child's own connection and leaves the
 * parent's files alone.
 */
BT_EXTERN void bt_close(bt_db *db);

/**
 * Wait until every occurrence accepted before this call is committed.
 *
 * @param timeout_ms  the longest wait, in milliseconds; negative waits as
 *                    long as it takes.
 * @return BT_OK (at once for a synchronous handle); BT_EBUSY when the
 * timeout passed first; BT_EINVALID for a NULL @p db; or, as soon as a
 * commit the writer attempts during the wait fails, that error (for example
 * BT_EIO) with its message.  Nothing accepted is lost by a failed flush:
 * the writer keeps retrying, and a later bt_flush may succeed.  Thread-safe.
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
	/** Capture calls dropped: the queue was full, or the call was
	 *  refused because it re-entered a capture on its thread. */
	uint64_t dropped;
	/** Occurrences committed by the writer. */
	uint64_t committed;
	/** Transactions the writer committed. */
	uint64_t batches;
	/** The most bytes of text the queue ever held. */
	uint64_t queue_bytes_peak;
} bt_capture_stats;

/** The current version of bt_capture_stats. */
#define BT_CAPTURE_STATS_VERSION 1
/** An initialiser for bt_capture_stats: the current version, all zero. */
#define BT_CAPTURE_STATS_INIT { BT_CAPTURE_STATS_VERSION, 0, 0, 0, 0, 0, 0 }

/**
 * Fill @p out (whose version the caller sets to BT_CAPTURE_STATS_VERSION)
 * with @p db's capture counters; for a synchronous handle all zero but
 * dropped (refused re-entries).
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
 * synchronous=NORMAL; with BT_OPEN_SYNC_FULL it also survives power loss).
 *
 * Signals: no function of this library is async-signal-safe.  A capture
 * call made by a signal handler that interrupted a capture call on the
 * same thread is refused with BT_EBUSY and counted as dropped, rather than
 * deadlock on the lock its own thread holds; use bt_crash_handler_install()
 * to record fatal signals.
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
} bt_event;

/** The current version of bt_event. */
#define BT_EVENT_VERSION 1
/** An initialiser for bt_event: the current version, level BT_ERROR, the
 *  rest NULL or 0. */
#define BT_EVENT_INIT { BT_EVENT_VERSION, BT_ERROR, NULL, NULL, NULL, NULL, 0, \
			NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL }

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

/**
 * A ticket's status (see "Lifecycle" below); named by bt_status_name().
 * The first four are the open statuses.  Values are append-only.
 */
typedef enum bt_status {
	BT_STATUS_NEW = 1,                   /**< "new": opened or reopened, not yet looked at */
	BT_STATUS_TRIAGED = 2,               /**< "triaged": looked at and accepted */
	BT_STATUS_IN_PROGRESS = 3,           /**< "in_progress": being worked on */
	BT_STATUS_AWAITING_VERIFICATION = 4, /**< "awaiting_verification": fixed, to be checked */
	BT_STATUS_RESOLVED = 5,              /**< "resolved": fixed; a recurrence reopens it */
	BT_STATUS_CLOSED = 6                 /**< "closed": done with, or merged into another */
} bt_status;

/** How bad a ticket is; sets its SLA.  Named by bt_severity_name(). */
typedef enum bt_severity {
	BT_SEVERITY_LOW = 1,      /**< "low" */
	BT_SEVERITY_MEDIUM = 2,   /**< "medium": the default of hand-filed reports */
	BT_SEVERITY_HIGH = 3,     /**< "high" */
	BT_SEVERITY_CRITICAL = 4  /**< "critical" */
} bt_severity;

/** How soon a ticket should be worked on.  Named by bt_priority_name(). */
typedef enum bt_priority {
	BT_PRIORITY_LOW = 1,     /**< "low" */
	BT_PRIORITY_MEDIUM = 2,  /**< "medium": the default */
	BT_PRIORITY_HIGH = 3,    /**< "high" */
	BT_PRIORITY_URGENT = 4   /**< "urgent" */
} bt_priority;

/** Who filed a ticket.  Named by bt_source_name(). */
typedef enum bt_source {
	BT_SOURCE_USER = 1,   /**< "user": a person, through bt_report_create() */
	BT_SOURCE_AGENT = 2,  /**< "agent": an automated agent */
	BT_SOURCE_SYSTEM = 3  /**< "system": the library, from a captured error or crash */
} bt_source;

/** A hand-filed report.  Fields are only ever appended. */
typedef struct bt_report {
	/** BT_REPORT_VERSION. */
	unsigned int version;
	/** Required. */
	const char *title;
	/** Free text; may be NULL. */
	const char *description;
	/** 0 selects medium. */
	bt_severity severity;
	/** 0 selects medium. */
	bt_priority priority;
	/** A free-form category; may be NULL. */
	const char *category;
	/** The subsystem concerned; may be NULL. */
	const char *component;
	/** 0 selects BT_SOURCE_USER. */
	bt_source source;
	/** Who reports it, e.g. "user:oncall"; may be NULL. */
	const char *reporter;
	/** The trace id the report concerns; may be NULL. */
	const char *trace_id;
	/** The request id the report concerns; may be NULL. */
	const char *request_id;
	/** Defaults to the handle's BT_CONTEXT_RELEASE. */
	const char *release_sha;
	/** Must be valid JSON. */
	const char *context_json;
	/** Optional: a report with a fingerprint dedups like a log does. */
	const char *fingerprint;
} bt_report;

/** The current version of bt_report. */
#define BT_REPORT_VERSION 1
/** An initialiser for bt_report: the current version, the rest NULL or 0. */
#define BT_REPORT_INIT { BT_REPORT_VERSION, NULL, NULL, (bt_severity)0, \
			 (bt_priority)0, NULL, NULL, (bt_source)0, NULL, NULL, \
			 NULL, NULL, NULL, NULL }

/**
 * Initialise @p report with the defaults of report version @p version, as
 * BT_REPORT_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p report or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_report_init(bt_report *report, unsigned int version);

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
/** @return the ticket's id (> 0, never reused); 0 for a NULL ticket. */
BT_EXTERN int64_t bt_ticket_id(const bt_ticket *ticket);
/** @return the ticket's number: "BUG-" and the id zero-padded to at least
 * five digits ("BUG-00042", "BUG-123456").  Never NULL for a ticket the
 * library returned; NULL for a NULL ticket. */
BT_EXTERN const char *bt_ticket_number(const bt_ticket *ticket);
/** @return the title, never NULL or empty for a ticket the library
 * returned; NULL for a NULL ticket. */
BT_EXTERN const char *bt_ticket_title(const bt_ticket *ticket);
/** @return the current status; 0 for a NULL ticket. */
BT_EXTERN bt_status bt_ticket_status(const bt_ticket *ticket);
/** @return the severity; 0 for a NULL ticket. */
BT_EXTERN bt_severity bt_ticket_severity(const bt_ticket *ticket);
/** @return the component of the first occurrence or report; NULL when it
 * has none. */
BT_EXTERN const char *bt_ticket_component(const bt_ticket *ticket);
/** @return the fingerprint the ticket groups by (32 lower-case hex digits
 * for captured errors, see bt_fingerprint()); NULL for a report filed
 * without one. */
BT_EXTERN const char *bt_ticket_fingerprint(const bt_ticket *ticket);
/** The exact text the fingerprint hashed, for explaining grouping. */
BT_EXTERN const char *bt_ticket_grouping_input(const bt_ticket *ticket);
/** @return how many occurrences the ticket has counted, exact (not limited
 * by the log-row cap), including those folded in by bt_ticket_merge(). */
BT_EXTERN int64_t bt_ticket_occurrence_count(const bt_ticket *ticket);
/** @return how many times an occurrence reopened the ticket after it was
 * resolved or closed (a regression); 0 when never. */
BT_EXTERN int64_t bt_ticket_regression_count(const bt_ticket *ticket);
/** @return when the first occurrence happened, in milliseconds since the
 * Unix epoch; 0 when unknown. */
BT_EXTERN int64_t bt_ticket_first_occurred_at(const bt_ticket *ticket);
/** @return when the latest occurrence happened, in milliseconds since the
 * Unix epoch; 0 when unknown. */
BT_EXTERN int64_t bt_ticket_last_occurred_at(const bt_ticket *ticket);
/** @return the message of the first occurrence (later ones are in the log
 * rows); NULL when none, as for a hand-filed report. */
BT_EXTERN const char *bt_ticket_error_message(const bt_ticket *ticket);
/** @return the stack trace of the first occurrence; NULL when none was
 * given or captured. */
BT_EXTERN const char *bt_ticket_stack_trace(const bt_ticket *ticket);
/** @return the description of a hand-filed report; NULL when none. */
BT_EXTERN const char *bt_ticket_description(const bt_ticket *ticket);
/** @return the priority; 0 for a NULL ticket. */
BT_EXTERN bt_priority bt_ticket_priority(const bt_ticket *ticket);
/** @return the category; NULL when none. */
BT_EXTERN const char *bt_ticket_category(const bt_ticket *ticket);
/** @return who filed the ticket (BT_SOURCE_SYSTEM for captured errors); 0
 * for a NULL ticket. */
BT_EXTERN bt_source bt_ticket_source(const bt_ticket *ticket);
/** @return the reporter of a hand-filed report; NULL when none. */
BT_EXTERN const char *bt_ticket_reporter(const bt_ticket *ticket);
/** @return the assignee; NULL when unassigned. */
BT_EXTERN const char *bt_ticket_assignee(const bt_ticket *ticket);
/** @return the error type of the first occurrence ("ECONNREFUSED"); NULL
 * when none. */
BT_EXTERN const char *bt_ticket_error_type(const bt_ticket *ticket);
/** @return the service (BT_CONTEXT_SERVICE) of the first occurrence; NULL
 * when unset. */
BT_EXTERN const char *bt_ticket_service(const bt_ticket *ticket);
/** @return the host (BT_CONTEXT_HOST) of the first occurrence; NULL when
 * unset. */
BT_EXTERN const char *bt_ticket_host(const bt_ticket *ticket);
/** @return the environment (BT_CONTEXT_ENVIRONMENT) of the first
 * occurrence; NULL when unset. */
BT_EXTERN const char *bt_ticket_environment(const bt_ticket *ticket);
/** @return the release (BT_CONTEXT_RELEASE, e.g. a git SHA) of the first
 * occurrence, or a report's release_sha; NULL when unset. */
BT_EXTERN const char *bt_ticket_release(const bt_ticket *ticket);
/** @return the trace id of the first occurrence; NULL when none. */
BT_EXTERN const char *bt_ticket_trace_id(const bt_ticket *ticket);
/** @return the request id of the first occurrence; NULL when none. */
BT_EXTERN const char *bt_ticket_request_id(const bt_ticket *ticket);
/** Context JSON of the first occurrence, or NULL. */
BT_EXTERN const char *bt_ticket_context(const bt_ticket *ticket);
/** @return the notes given to bt_ticket_resolve(); NULL when none, or when
 * the ticket was reopened since (the trail keeps them). */
BT_EXTERN const char *bt_ticket_resolution_notes(const bt_ticket *ticket);
/** @return the fixing commit given to bt_ticket_resolve(); NULL when none,
 * or when the ticket was reopened since. */
BT_EXTERN const char *bt_ticket_resolution_commit(const bt_ticket *ticket);
/** @return the actor of the last bt_ticket_resolve(); NULL when it was not
 * resolved that way, or was reopened since. */
BT_EXTERN const char *bt_ticket_resolved_by(const bt_ticket *ticket);
/** The release the fix is in, as given to bt_ticket_resolve(). */
BT_EXTERN const char *bt_ticket_resolved_release(const bt_ticket *ticket);
/** The agent holding a claim, even an expired one; NULL when unclaimed. */
BT_EXTERN const char *bt_ticket_claimed_by(const bt_ticket *ticket);
/** @return when the current (possibly expired) claim was taken, in
 * milliseconds since the Unix epoch (a renewal keeps it); 0 when
 * unclaimed. */
BT_EXTERN int64_t bt_ticket_claimed_at(const bt_ticket *ticket);
/** @return when the current claim's lease ends, in milliseconds since the
 * Unix epoch (in the past for an expired lease); 0 when unclaimed. */
BT_EXTERN int64_t bt_ticket_claim_expires_at(const bt_ticket *ticket);
/** @return how many automation attempts were counted: one per successful
 * bt_ticket_claim() (an imported ticket keeps its recorded count). */
BT_EXTERN int64_t bt_ticket_automation_attempts(const bt_ticket *ticket);
/** Bumped by every lifecycle change (not by occurrences): optimistic locking. */
BT_EXTERN int64_t bt_ticket_version(const bt_ticket *ticket);
/** The canonical ticket this one was merged into, or 0. */
BT_EXTERN int64_t bt_ticket_duplicate_of(const bt_ticket *ticket);
/** The report_id of an imported legacy report, or NULL. */
BT_EXTERN const char *bt_ticket_external_id(const bt_ticket *ticket);
/** @return when the ticket was created, in milliseconds since the Unix
 * epoch. */
BT_EXTERN int64_t bt_ticket_created_at(const bt_ticket *ticket);
/** @return when a lifecycle change or a regression last changed the ticket
 * (occurrences do not count), in milliseconds since the Unix epoch;
 * created_at until then. */
BT_EXTERN int64_t bt_ticket_updated_at(const bt_ticket *ticket);
/** @return when the ticket was resolved, in milliseconds since the Unix
 * epoch; 0 when it is not resolved (reopening clears it; closing a resolved
 * ticket keeps it). */
BT_EXTERN int64_t bt_ticket_resolved_at(const bt_ticket *ticket);
/** @return when the ticket falls due: created_at (or the time of the
 * regression that last reopened it) plus the SLA of its severity
 * (bt_open_options.sla_ms; bt_ticket_set_severity() recomputes it from
 * created_at), in milliseconds since the Unix epoch; 0 when unset. */
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
#define BT_CLAIMED_ANY 0 /**< claimed or not */
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
	/** Bounds on created_at. */
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

/** The current version of bt_ticket_filter. */
#define BT_TICKET_FILTER_VERSION 1
/** An initialiser for bt_ticket_filter: the current version, no filter. */
#define BT_TICKET_FILTER_INIT { BT_TICKET_FILTER_VERSION, 0u, (bt_severity)0, NULL, NULL, \
				BT_CLAIMED_ANY, 0, 0, 0, 0, 0, NULL, (bt_ticket_sort)0, NULL, 0 }

/**
 * Initialise @p filter with the defaults of filter version @p version, as
 * BT_TICKET_FILTER_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p filter or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_ticket_filter_init(bt_ticket_filter *filter, unsigned int version);

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
 * bt_ticket_filter.cursor; NULL before the first, and always NULL for the
 * automation queue of bt_ticket_pending() (one page of a queue that moves
 * as agents claim; ask again instead).  Owned by @p iter, valid until the
 * next call on it.
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
	/** All tickets, whatever their status. */
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

/** The current version of bt_ticket_counts. */
#define BT_TICKET_COUNTS_VERSION 2
/** An initialiser for bt_ticket_counts: the current version, all zero. */
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

/** The current version of bt_update_options. */
#define BT_UPDATE_OPTIONS_VERSION 1
/** An initialiser for bt_update_options: the current version, the rest NULL
 *  or 0 (set actor before use). */
#define BT_UPDATE_OPTIONS_INIT { BT_UPDATE_OPTIONS_VERSION, NULL, NULL, NULL, 0 }

/**
 * Initialise @p opts with the defaults of options version @p version, as
 * BT_UPDATE_OPTIONS_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p opts or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_update_options_init(bt_update_options *opts, unsigned int version);

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
/** Change the priority. */
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
/** @return BT_OK with an entry the caller frees, BT_ITEROVER, or an error.
 *  On the feed (bt_audit_feed), BT_ITEROVER means "caught up": a later call
 *  on the same iterator returns what was committed since. */
BT_EXTERN int bt_audit_iter_next(bt_audit_iter *iter, bt_audit_entry **out);
/** Free @p iter and the entries it still buffers (not those it returned,
 * which the caller frees).  NULL is accepted. */
BT_EXTERN void bt_audit_iter_free(bt_audit_iter *iter);
/** Free an entry returned by bt_audit_iter_next().  NULL is accepted. */
BT_EXTERN void bt_audit_entry_free(bt_audit_entry *entry);

/**
 * Follow the changes of every ticket: iterate the audit events committed
 * after @p cursor (NULL: from the oldest kept), in commit order, a page at
 * a time, with no read transaction held between calls.  This is the feed a
 * polling agent or an HTTP service follows: keep bt_audit_iter_cursor()
 * of the last entry handled and resume from it, in this process or
 * another, and no event is seen twice or skipped (event ids are never
 * given twice).  Each entry names its ticket (bt_audit_entry_ticket_id()).
 * Every lifecycle change, new ticket, regression and merge is an event;
 * repeated occurrences are not (a storm would flood the feed): follow
 * those with bt_ticket_filter.occurred_from.  Events of deleted or purged
 * tickets are gone from the feed.
 * @return BT_OK, or BT_EINVALID (NULL @p db or @p out, malformed cursor).
 * Thread-safe; the iterator is used by one thread at a time and must not
 * outlive @p db.
 */
BT_EXTERN int bt_audit_feed(bt_db *db, const char *cursor, bt_audit_iter **out);

/**
 * An opaque cursor positioned after the last entry the feed returned (or
 * the cursor it started from), for bt_audit_feed(); NULL before the first
 * and for a ticket's trail (bt_audit_iter_new).  Owned by @p iter, valid
 * until the next call on it.
 */
BT_EXTERN const char *bt_audit_iter_cursor(const bt_audit_iter *iter);

/*
 * Entry getters; strings live until bt_audit_entry_free().  kind is one of
 * created, status_changed, field_changed, assigned, note, claimed,
 * claim_renewed, claim_released, claim_taken_over, resolved, regressed,
 * merged, merged_into, imported; field names the column an event is about
 * (the changed one for field_changed).
 */
/** @return the event's id, unique and never reused; 0 for a NULL entry. */
BT_EXTERN int64_t bt_audit_entry_id(const bt_audit_entry *entry);
/** The ticket the entry belongs to. */
BT_EXTERN int64_t bt_audit_entry_ticket_id(const bt_audit_entry *entry);
/** @return who acted ("agent:fixer-1", "system"); never NULL for an entry
 * the library returned. */
BT_EXTERN const char *bt_audit_entry_actor(const bt_audit_entry *entry);
/** @return the kind of event ("status_changed"); never NULL for an entry
 * the library returned. */
BT_EXTERN const char *bt_audit_entry_kind(const bt_audit_entry *entry);
/** @return the field the event is about ("status", "assignee",
 * "claimed_by"); NULL when it names none (created, note, merged). */
BT_EXTERN const char *bt_audit_entry_field(const bt_audit_entry *entry);
/** @return the value before the event, as text ("triaged" for a
 * status_changed); NULL when there was none. */
BT_EXTERN const char *bt_audit_entry_from(const bt_audit_entry *entry);
/** @return the value after the event, as text ("new" for created); NULL
 * when there is none. */
BT_EXTERN const char *bt_audit_entry_to(const bt_audit_entry *entry);
/** @return the note recorded with the event; NULL when none. */
BT_EXTERN const char *bt_audit_entry_note(const bt_audit_entry *entry);
/** @return when the event was recorded, in milliseconds since the Unix
 * epoch. */
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

/** The current version of bt_log_filter. */
#define BT_LOG_FILTER_VERSION 1
/** An initialiser for bt_log_filter: the current version, no filter. */
#define BT_LOG_FILTER_INIT { BT_LOG_FILTER_VERSION, 0, (bt_level)0, NULL, 0, 0, 0 }

/**
 * Initialise @p filter with the defaults of filter version @p version, as
 * BT_LOG_FILTER_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p filter or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_log_filter_init(bt_log_filter *filter, unsigned int version);

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
/** Free @p iter and the rows it still buffers (not those it returned, which
 * the caller frees).  NULL is accepted. */
BT_EXTERN void bt_log_iter_free(bt_log_iter *iter);
/** Free a row returned by bt_log_iter_next().  NULL is accepted. */
BT_EXTERN void bt_log_entry_free(bt_log_entry *entry);

/* Row getters; strings live until bt_log_entry_free(); missing values are
 * NULL or 0. */
/** @return the row's id; 0 for a NULL entry. */
BT_EXTERN int64_t bt_log_entry_id(const bt_log_entry *entry);
/** @return the id of the ticket the row landed on; 0 when it landed on none
 * (a line below the ticket level). */
BT_EXTERN int64_t bt_log_entry_ticket_id(const bt_log_entry *entry);
/** @return the row's level, one of BT_DEBUG .. BT_CRITICAL; 0 for a NULL
 * entry. */
BT_EXTERN bt_level bt_log_entry_level(const bt_log_entry *entry);
/** @return the component; never NULL for a row the library returned. */
BT_EXTERN const char *bt_log_entry_component(const bt_log_entry *entry);
/** @return the message as stored: redacted (unless BT_OPEN_NO_REDACT) and
 * cut at max_message_bytes; never NULL for a row the library returned. */
BT_EXTERN const char *bt_log_entry_message(const bt_log_entry *entry);
/** @return the message template (the printf format, or the normalized
 * message); NULL when none. */
BT_EXTERN const char *bt_log_entry_template(const bt_log_entry *entry);
/** @return the row's fingerprint; NULL when none. */
BT_EXTERN const char *bt_log_entry_fingerprint(const bt_log_entry *entry);
/** @return the error type ("ECONNREFUSED"); NULL when none. */
BT_EXTERN const char *bt_log_entry_error_type(const bt_log_entry *entry);
/** @return the errno or host error code; 0 when none (as for a code of 0). */
BT_EXTERN int bt_log_entry_error_code(const bt_log_entry *entry);
/** @return the call site's source file; NULL when not recorded. */
BT_EXTERN const char *bt_log_entry_file(const bt_log_entry *entry);
/** @return the call site's line; 0 when not recorded. */
BT_EXTERN int bt_log_entry_line(const bt_log_entry *entry);
/** @return the call site's function; NULL when not recorded. */
BT_EXTERN const char *bt_log_entry_function(const bt_log_entry *entry);
/** @return the stack trace given or captured; NULL when none. */
BT_EXTERN const char *bt_log_entry_stack_trace(const bt_log_entry *entry);
/** @return the context as JSON text; NULL when none. */
BT_EXTERN const char *bt_log_entry_context(const bt_log_entry *entry);
/** @return the trace id; NULL when none. */
BT_EXTERN const char *bt_log_entry_trace_id(const bt_log_entry *entry);
/** @return the request id; NULL when none. */
BT_EXTERN const char *bt_log_entry_request_id(const bt_log_entry *entry);
/** @return the service (BT_CONTEXT_SERVICE) at capture; NULL when unset. */
BT_EXTERN const char *bt_log_entry_service(const bt_log_entry *entry);
/** @return the host (BT_CONTEXT_HOST) at capture; NULL when unset. */
BT_EXTERN const char *bt_log_entry_host(const bt_log_entry *entry);
/** @return the id of the process that captured the row; 0 when unknown. */
BT_EXTERN int64_t bt_log_entry_pid(const bt_log_entry *entry);
/** @return the environment (BT_CONTEXT_ENVIRONMENT) at capture; NULL when
 * unset. */
BT_EXTERN const char *bt_log_entry_environment(const bt_log_entry *entry);
/** @return the release (BT_CONTEXT_RELEASE) at capture; NULL when unset. */
BT_EXTERN const char *bt_log_entry_release(const bt_log_entry *entry);
/** @return when the line was captured, in milliseconds since the Unix
 * epoch. */
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

	/* ---- version 2 ---- */
	/**
	 * Called after each batch with the tickets, log rows and events
	 * removed (or counted) so far; NULL for none.  It runs on the calling
	 * thread, without the handle's lock, and must not use @p db.
	 */
	void (*progress)(int64_t tickets, int64_t logs, int64_t events, void *payload);
	/** Passed to @ref progress. */
	void *payload;
} bt_purge_options;

/** The current version of bt_purge_options. */
#define BT_PURGE_OPTIONS_VERSION 2
/** An initialiser for bt_purge_options: the current version, the rest 0 or
 *  NULL (set older_than_days before use). */
#define BT_PURGE_OPTIONS_INIT { BT_PURGE_OPTIONS_VERSION, 0, 0, 0, 0u, NULL, NULL }

/**
 * Initialise @p opts with the defaults of options version @p version, as
 * BT_PURGE_OPTIONS_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p opts or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_purge_options_init(bt_purge_options *opts, unsigned int version);

/** What bt_purge() removed (or would remove, in a dry run). */
typedef struct bt_purge_result {
	/** Tickets removed, with their events and log rows. */
	int64_t tickets;
	/** Log rows removed, those of removed tickets included. */
	int64_t logs;
	/** Audit events removed: those of the removed tickets. */
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

/**
 * Parse a name, as the *_name() functions above spell it, into its value:
 * "in_progress" into BT_STATUS_IN_PROGRESS, "critical" into
 * BT_SEVERITY_CRITICAL, "warning" into BT_WARNING.  ASCII case does not
 * matter.  For command lines, configuration files and the HTTP API.
 * @return BT_OK with @p out set, or BT_EINVALID for a NULL argument or an
 * unknown name, with a message that lists the known names ("unknown status
 * 'done'; use new, triaged, ..."); @p out is then unchanged.  Thread-safe.
 */
BT_EXTERN int bt_status_from_name(const char *name, bt_status *out);
/** As bt_status_from_name(), for severities. */
BT_EXTERN int bt_severity_from_name(const char *name, bt_severity *out);
/** As bt_status_from_name(), for priorities. */
BT_EXTERN int bt_priority_from_name(const char *name, bt_priority *out);
/** As bt_status_from_name(), for sources. */
BT_EXTERN int bt_source_from_name(const char *name, bt_source *out);
/** As bt_status_from_name(), for log levels ("critical" or "CRITICAL"). */
BT_EXTERN int bt_level_from_name(const char *name, bt_level *out);

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

/**
 * @return how many migrations this library embeds (the newest one's
 * schema version is the "latest" of bt_schema_version()).  Thread-safe.
 */
BT_EXTERN int bt_migration_count(void);

/** One embedded migration, and whether a database has applied it.
 *  Fields are only ever appended. */
typedef struct bt_migration_info {
	/** BT_MIGRATION_INFO_VERSION: set it before calling. */
	unsigned int version;
	/** The schema version it brings a database to (1, 2, ...). */
	int schema_version;
	/** Its name, e.g. "hot_path_indexes" (migrations/0003_hot_path_indexes.sql). */
	const char *name;
	/** SHA-256 of its SQL file: 64 lower-case hex digits. */
	const char *checksum;
	/** 1 when the database records it as applied. */
	int applied;
	/** When it was applied (ms since the epoch); 0 when it was not. */
	int64_t applied_at;
} bt_migration_info;

/** The current version of bt_migration_info. */
#define BT_MIGRATION_INFO_VERSION 1
/** An initialiser for bt_migration_info: the current version, the rest 0 or
 *  NULL. */
#define BT_MIGRATION_INFO_INIT { BT_MIGRATION_INFO_VERSION, 0, NULL, NULL, 0, 0 }

/**
 * Describe embedded migration @p index (0 .. bt_migration_count() - 1, in
 * ascending schema version) and, when @p db is not NULL, whether @p db has
 * applied it.  The strings are static: owned by the library, never freed.
 * @return BT_OK; BT_EINVALID for a NULL @p out, an unknown version or an
 * index out of range; or a storage error.  Thread-safe.
 */
BT_EXTERN int bt_migration_info_get(bt_db *db, int index, bt_migration_info *out);

/** What a file holds, as bt_db_identify() sees it.  Values are append-only. */
typedef enum bt_db_kind {
	/** Not a SQLite database (this includes -wal and -shm files). */
	BT_DB_NOT_SQLITE = 1,
	/** A SQLite database without tables (bt_open() would create the schema). */
	BT_DB_EMPTY = 2,
	/** A SQLite database whose tables are not bugtrack's. */
	BT_DB_FOREIGN = 3,
	/** A bugtrack database that records its migrations (schema_migrations). */
	BT_DB_TRACKED = 4,
	/** bugtrack tables without schema_migrations: built before migrations
	 *  were tracked; bt_open() refuses it until bt_schema_stamp() marks it. */
	BT_DB_UNTRACKED = 5
} bt_db_kind;

/**
 * Tell what the file at @p path holds, without changing it (the file is
 * only read; bt_open() is not called).
 * @return BT_OK with @p out set; BT_EINVALID for NULL arguments;
 * BT_ENOTFOUND when there is no such file; BT_ECANTOPEN for a directory or
 * an unreadable file; BT_ECORRUPT for a file with a SQLite header that
 * SQLite cannot read; BT_EBUSY.  Thread-safe.
 */
BT_EXTERN int bt_db_identify(const char *path, bt_db_kind *out);

/** bt_schema_stamp(): check and report, but change nothing. */
#define BT_STAMP_DRY_RUN 0x1u

/**
 * Mark a database built before migrations were tracked (BT_DB_UNTRACKED) as
 * being at schema version @p version, so that bt_open() accepts it and
 * applies only the later migrations.  First the schema is checked: its
 * tables and columns (name, type, NOT NULL, default, primary key, generated),
 * indexes (columns, uniqueness, partial or not), views and triggers (by name)
 * must be exactly what the embedded migrations up to @p version create (they
 * are run in an in-memory database to find out).  Then, in one transaction
 * that holds the write lock from the check on, schema_migrations is created
 * with a record of each of those migrations.
 *
 * @param path        the database; NULL or "" selects the default, as for
 *                    bt_open().  It is never created.
 * @param version     the schema version to record, 1 .. latest; 0 picks the
 *                    newest version whose schema matches.
 * @param flags       0 or BT_STAMP_DRY_RUN.
 * @param version_out may be NULL; receives the version stamped (or that a
 *                    dry run would stamp), or, with BT_ESTATE, the version
 *                    the database already records.
 * @return BT_OK; BT_EINVALID (unknown flags, version out of range);
 * BT_ENOTFOUND (no such file); BT_ESCHEMA when the tables do not match (the
 * message names the first differences), or the file is empty or not a
 * bugtrack database; BT_ESTATE when the database already records its
 * migrations (nothing is changed); BT_ECORRUPT; BT_EREADONLY; BT_EBUSY.
 * Thread-safe (it uses its own connection).
 */
BT_EXTERN int bt_schema_stamp(const char *path, int version, unsigned int flags,
			      int *version_out);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Health check
 * bt_db_check() inspects a database file the way `bugtrack doctor` reports
 * it.  It opens its own connection and never creates, migrates or repairs
 * anything, so it also works on databases that bt_open() refuses.
 * @{ */

/** What bt_db_check() found.  Fields are only ever appended. */
typedef struct bt_check_result {
	/** BT_CHECK_RESULT_VERSION: set it before calling. */
	unsigned int version;
	/** How many problems were found (each one is also passed to the
	 *  callback as a BT_CHECK_PROBLEM item); 0 means healthy. */
	int problems;
	/** 1 when PRAGMA integrity_check answered "ok". */
	int integrity_ok;
	/** Rows PRAGMA foreign_key_check reported. */
	int64_t foreign_key_violations;
	/** 1 when the database records its migrations (schema_migrations). */
	int tracked;
	/** The newest migration recorded (0: none), and the newest this
	 *  library knows. */
	int schema_current, schema_latest;
	/** Recorded migrations whose checksum differs from the embedded one,
	 *  or that this library does not have. */
	int checksum_mismatches;
	/** Size of the -wal file in bytes (0: none). */
	int64_t wal_bytes;
	/** Rows of tickets, error_logs and ticket_events; -1 when the table
	 *  is missing or was not counted (the integrity check failed). */
	int64_t tickets, error_logs, ticket_events;
	/** Orphans, found with foreign keys off: log rows, events and
	 *  fingerprint aliases whose ticket is missing, and tickets whose
	 *  duplicate_of names a missing ticket; -1 when not checked. */
	int64_t orphan_logs, orphan_events, orphan_aliases, dangling_duplicates;
} bt_check_result;

/** The current version of bt_check_result. */
#define BT_CHECK_RESULT_VERSION 1
/** An initialiser for bt_check_result: the current version, all zero. */
#define BT_CHECK_RESULT_INIT { BT_CHECK_RESULT_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/** Kinds of bt_check_item.  Values are append-only; ignore unknown ones. */
typedef enum bt_check_kind {
	/** Something is wrong: @ref bt_check_item.message says what, and
	 *  @ref bt_check_item.advice what to do. */
	BT_CHECK_PROBLEM = 1,
	/** One row of the counters table (such as async_dropped). */
	BT_CHECK_COUNTER = 2
} bt_check_kind;

/** One finding, passed to a bt_check_fn.  The library fills it; fields are
 *  only ever appended, and @ref version says which ones are there. */
typedef struct bt_check_item {
	/** BT_CHECK_ITEM_VERSION of the library that filled it. */
	unsigned int version;
	/** A problem or a counter. */
	bt_check_kind kind;
	/** A problem's stable identifier ("integrity", "orphan_logs",
	 *  "checksum", "pending", ...), or the counter's name. */
	const char *name;
	/** How many rows or records a problem concerns; a counter's value. */
	int64_t value;
	/** A counter's updated_at (ms since the epoch); 0 for problems. */
	int64_t updated_at;
	/** A problem's description; NULL for counters. */
	const char *message;
	/** What to do about a problem; NULL for counters. */
	const char *advice;
} bt_check_item;

/** The version of bt_check_item this library fills. */
#define BT_CHECK_ITEM_VERSION 1

/** Receives each finding; the item and its strings live until it returns. */
typedef void (*bt_check_fn)(const bt_check_item *item, void *payload);

/**
 * Check the database at @p path (NULL or "": the default, as for bt_open()):
 * SQLite's integrity and foreign-key checks, the recorded migrations against
 * the embedded ones (version and checksums), the WAL file's size and a
 * process whose read transaction keeps it from being checkpointed (problem
 * "wal_reader"), row counts, orphaned rows, and the counters table.  Problems and counters are
 * passed to @p fn (may be NULL) in a fixed order; @p out gets the totals.
 * @return BT_OK when the check ran, whether or not it found problems (see
 * out->problems); BT_EINVALID (NULL @p out, unknown version); BT_ENOTFOUND
 * (no such file; it is not created); BT_ECANTOPEN (a directory); BT_ECORRUPT
 * (not a SQLite database); BT_EBUSY; or a storage error.  Thread-safe (it
 * uses its own connection).
 */
BT_EXTERN int bt_db_check(const char *path, bt_check_result *out, bt_check_fn fn,
			  void *payload);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Reports
 * Aggregates over a time range, read as a stream of rows with a fixed set of
 * named, typed columns per kind (the columns of a kind are only ever
 * appended).  "Occurrences" are stored occurrences: error_logs rows created
 * in the range that landed on a ticket.  Lines stored without a ticket do
 * not count; the log-row cap (bt_open_options.log_rows_per_ticket) and
 * asynchronous capture (which stores one row for coalesced repeats) can
 * leave fewer rows than a ticket's exact occurrence_count, so open the
 * database with BT_LOG_ROWS_UNLIMITED and without BT_OPEN_ASYNC where exact
 * counts per range matter.  Days are UTC.  See README, "bugtrack report".
 * @{ */

/** What a report aggregates, and its columns in order. */
typedef enum bt_aggregate_kind {
	/**
	 * One row: from, to (the range; NULL when unbounded), occurrences,
	 * tickets_seen (distinct tickets with occurrences), new_tickets
	 * (created in the range), resolved (resolved_at in the range),
	 * regressions (resolved tickets that came back in the range), open_now
	 * (open when the report runs, whatever the range).
	 */
	BT_AGGREGATE_SUMMARY = 1,
	/**
	 * The tickets with the most occurrences in the range, most first, then
	 * by id: rank, id, number, occurrences (in the range), occurrence_count
	 * (exact, all time), status, severity, component, last_occurred_at,
	 * title.  At most bt_aggregate_options.limit rows.
	 */
	BT_AGGREGATE_TOP = 2,
	/**
	 * Per component, by name (tickets without one first, as NULL):
	 * component, occurrences, new_tickets, open_now.  Components with all
	 * three zero are left out.
	 */
	BT_AGGREGATE_COMPONENTS = 3,
	/**
	 * Per UTC day, then per component (as above), for days with activity:
	 * day ("YYYY-MM-DD"), component, occurrences, new_tickets.
	 */
	BT_AGGREGATE_DAILY = 4,
	/**
	 * Time to resolve (resolved_at - created_at) of the tickets resolved in
	 * the range, by severity: severity, resolved, mean_ms, median_ms; one
	 * row per severity, critical first, then "all".  Times are rounded to
	 * the millisecond and NULL when nothing was resolved; the median of an
	 * even count is the mean of the middle two.  A ticket that regressed and
	 * was resolved again counts from its creation to its last resolution.
	 */
	BT_AGGREGATE_MTTR = 5
} bt_aggregate_kind;

/** The type of a report column: how to read and show its values. */
typedef enum bt_aggregate_type {
	/** A count or id: bt_aggregate_iter_int(). */
	BT_AGGREGATE_INT = 1,
	/** UTF-8 text: bt_aggregate_iter_text(). */
	BT_AGGREGATE_TEXT = 2,
	/** Milliseconds since the Unix epoch (UTC): bt_aggregate_iter_int(). */
	BT_AGGREGATE_TIME = 3,
	/** A duration in milliseconds: bt_aggregate_iter_int(). */
	BT_AGGREGATE_DURATION = 4
} bt_aggregate_type;

/** Options of bt_aggregate_iter_new().  Fields are only ever appended. */
typedef struct bt_aggregate_options {
	/** BT_AGGREGATE_OPTIONS_VERSION. */
	unsigned int version;
	/**
	 * The range [from, to) in milliseconds since the epoch, applied to
	 * when each thing happened (a log row's, a ticket's creation, its
	 * resolution, an event's time); 0 leaves that end unbounded.  from must
	 * be before to when both are set.
	 */
	int64_t from, to;
	/** BT_AGGREGATE_TOP only: at most this many rows; 0 selects 10; at most
	 *  1000.  Must be 0 for the other kinds. */
	unsigned int limit;
} bt_aggregate_options;

/** The current version of bt_aggregate_options. */
#define BT_AGGREGATE_OPTIONS_VERSION 1
/** An initialiser for bt_aggregate_options: the current version, all of
 *  time, the default limit. */
#define BT_AGGREGATE_OPTIONS_INIT { BT_AGGREGATE_OPTIONS_VERSION, 0, 0, 0u }

/**
 * Initialise @p opts with the defaults of options version @p version.
 * @return BT_OK, or BT_EINVALID for a NULL @p opts or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_aggregate_options_init(bt_aggregate_options *opts, unsigned int version);

/** A stream of report rows.  Opaque; free with bt_aggregate_iter_free(). */
typedef struct bt_aggregate_iter bt_aggregate_iter;

/**
 * Start a report of @p kind over @p opts' range (NULL: everything, with
 * the defaults).  Rows are computed a page at a time as
 * bt_aggregate_iter_next() asks for them, from indexes (no full scan of
 * error_logs), in constant memory; no read transaction and no lock is held
 * between calls, so each page is consistent on its own but a long report
 * may see changes committed in between (a summary or mttr is one read).
 * Nothing is read until the first bt_aggregate_iter_next().
 *
 * @param out  receives the iterator, owned by the caller, who frees it with
 *             bt_aggregate_iter_free(); set to NULL on failure.
 * @return BT_OK, or BT_EINVALID: NULL @p db or @p out, unknown kind or
 * options version, from not before to, a limit over 1000 or given for a kind
 * other than BT_AGGREGATE_TOP.  Thread-safe; the iterator is used by one
 * thread at a time and must not outlive @p db.
 */
BT_EXTERN int bt_aggregate_iter_new(bt_db *db, bt_aggregate_kind kind,
				    const bt_aggregate_options *opts, bt_aggregate_iter **out);

/**
 * Move to the next row; its values are read with the getters below until
 * the next call.
 * @return BT_OK (a row is current), BT_ITEROVER at the end (not a failure;
 * no row is current), BT_EINVALID for a NULL @p iter, or a storage error
 * such as BT_EBUSY; then no row is current and the position is kept, so a
 * later call retries.  Takes @p db's lock only while it reads the database.
 */
BT_EXTERN int bt_aggregate_iter_next(bt_aggregate_iter *iter);

/** Free @p iter and its current row.  NULL is accepted. */
BT_EXTERN void bt_aggregate_iter_free(bt_aggregate_iter *iter);

/**
 * The columns of @p iter's kind, known as soon as it is created (so a CSV
 * header can be written before any row, or when there is none).
 * @return the number of columns, or 0 for a NULL @p iter.
 */
BT_EXTERN int bt_aggregate_iter_column_count(const bt_aggregate_iter *iter);
/** @return column @p col's name ("occurrences"), a static string, or NULL
 *  when @p col is out of range. */
BT_EXTERN const char *bt_aggregate_iter_column_name(const bt_aggregate_iter *iter, int col);
/** @return column @p col's type, or 0 when @p col is out of range. */
BT_EXTERN bt_aggregate_type bt_aggregate_iter_column_type(const bt_aggregate_iter *iter, int col);

/*
 * Values of the current row.  Out-of-range columns, and calls with no
 * current row, read as NULL.  These getters only read the iterator and
 * never fail or touch the database.
 */
/** @return non-zero when column @p col of the current row is NULL. */
BT_EXTERN int bt_aggregate_iter_is_null(const bt_aggregate_iter *iter, int col);
/** @return the value of an INT, TIME or DURATION column; 0 when NULL or
 *  for a TEXT column. */
BT_EXTERN int64_t bt_aggregate_iter_int(const bt_aggregate_iter *iter, int col);
/** @return the value of a TEXT column, owned by @p iter and valid until the
 *  next bt_aggregate_iter_next() or bt_aggregate_iter_free(); NULL when
 *  NULL or for another type. */
BT_EXTERN const char *bt_aggregate_iter_text(const bt_aggregate_iter *iter, int col);

/** @return the name of @p kind ("summary", "top", "components", "daily",
 *  "mttr"), a static string, or NULL for an unknown kind.  Thread-safe. */
BT_EXTERN const char *bt_aggregate_kind_name(bt_aggregate_kind kind);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Import
 * bt_import_json() brings in one JSON document: a legacy bug report (an
 * object with report_id, status, submitted_at, ...), a bugtrack export
 * record (`bugtrack export tickets --format json`: an object with id and
 * number), or an array of such objects.  README, "bugtrack import", has
 * the field mapping, the status table and the idempotency rule.
 * @{ */

/** How bt_import_json() runs.  Fields are only ever appended. */
typedef struct bt_import_options {
	/** BT_IMPORT_OPTIONS_VERSION. */
	unsigned int version;
	/** Non-zero: check and count everything, and store nothing (the
	 *  database is only read, so a read-only handle will do). */
	int dry_run;
	/** The actor of each ticket's "imported" event; NULL selects "system". */
	const char *actor;
	/** Where the input came from (a file name), recorded in the note of
	 *  each "imported" event; may be NULL. */
	const char *source;
} bt_import_options;

/** The current version of bt_import_options. */
#define BT_IMPORT_OPTIONS_VERSION 1
/** An initialiser for bt_import_options: the current version's defaults. */
#define BT_IMPORT_OPTIONS_INIT { BT_IMPORT_OPTIONS_VERSION, 0, NULL, NULL }

/**
 * Initialise @p opts with the defaults of options version @p version.
 * @return BT_OK, or BT_EINVALID for a NULL @p opts or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_import_options_init(bt_import_options *opts, unsigned int version);

/** What bt_import_json() did (or, in a dry run, would do).  Fields are only
 *  ever appended. */
typedef struct bt_import_result {
	/** BT_IMPORT_RESULT_VERSION: set it before calling. */
	unsigned int version;
	/** Records (report objects) read from the input. */
	int64_t records;
	/** Of those, records that became new tickets. */
	int64_t imported;
	/** Of those, records already present (by the idempotency rule). */
	int64_t skipped;
	/** On failure, the index (0-based; 0 for a single object) of the
	 *  record that failed, or -1 when the input as a whole is bad (not
	 *  JSON, not an object or array) or nothing failed. */
	int64_t failed_record;
} bt_import_result;

/** The current version of bt_import_result. */
#define BT_IMPORT_RESULT_VERSION 1
/** An initialiser for bt_import_result: counts 0, failed_record -1. */
#define BT_IMPORT_RESULT_INIT { BT_IMPORT_RESULT_VERSION, 0, 0, 0, -1 }

/**
 * Initialise @p result as BT_IMPORT_RESULT_INIT does, for result version
 * @p version.
 * @return BT_OK, or BT_EINVALID for a NULL @p result or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_import_result_init(bt_import_result *result, unsigned int version);

/**
 * Import the JSON document @p json of @p len bytes (it need not end with a
 * NUL; a leading UTF-8 byte order mark is skipped) in one transaction: every
 * record is validated, mapped and stored, or, if any record fails, nothing
 * is stored.  A record already present is skipped, never duplicated: a
 * legacy report by its report_id (kept as external_id); an export record
 * by its external_id when it has one, else by its id with the same
 * fingerprint and created_at.  Each new ticket gets one "imported" event.
 *
 * @param opts    NULL for the defaults (no dry run, actor "system").
 * @param out     may be NULL; else its version must be set, and it receives
 *                the counts (on failure: imported and skipped are 0, and
 *                failed_record tells which record failed).
 * @return BT_OK (also in a dry run, which stores nothing), or:
 *  - BT_EINVALID: NULL @p db or @p json, an unknown options or result
 *    version; or bad input: empty, not valid JSON, not an object or an
 *    array of objects, a field of the wrong type, an unknown status,
 *    severity or priority, a bad time; the message names the record
 *    ("bt_import_json: record 3 (report_id \"R-17\"): unknown status
 *    'wibble'");
 *  - BT_ECONFLICT: an export record's id belongs to a different ticket of
 *    this database;
 *  - BT_EREADONLY, BT_EBUSY, BT_EIO, BT_ENOMEM: storage errors.
 * @p json is only read during the call.  Thread-safe: the call holds the
 * handle for the whole document, so other calls on @p db wait for it.
 */
BT_EXTERN int bt_import_json(bt_db *db, const char *json, size_t len,
			     const bt_import_options *opts, bt_import_result *out);

/** An import of several documents (files) in a row.  Opaque. */
typedef struct bt_import_session bt_import_session;

/**
 * Start a run of imports on @p db with @p opts (NULL: defaults; the options
 * and their strings are copied).  Each document is still its own
 * transaction; what the session adds is an exact dry run: a dry run stores
 * nothing, so without a session a document could not see what the
 * documents before it would have imported (a report_id in two files).
 * @return BT_OK, BT_EINVALID (NULL @p db or @p out, unknown options
 * version) or BT_ENOMEM.  The caller frees the session with
 * bt_import_session_free(), before closing @p db.  Thread-safe; a session
 * is used by one thread at a time and holds nothing of @p db between calls.
 */
BT_EXTERN int bt_import_session_new(bt_db *db, const bt_import_options *opts,
				    bt_import_session **out);

/**
 * bt_import_json() of one document of the run.  @p source (may be NULL)
 * names it in the "imported" events instead of the options' source.  In a
 * dry run, the records that earlier documents of the session would have
 * imported count as present; a document that fails adds nothing.
 * @return as bt_import_json(); BT_EINVALID for a NULL @p session.
 */
BT_EXTERN int bt_import_session_add(bt_import_session *session, const char *json, size_t len,
				    const char *source, bt_import_result *out);

/** Free @p session; NULL is accepted. */
BT_EXTERN void bt_import_session_free(bt_import_session *session);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Crashes
 * An opt-in handler turns a crash of the host (SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE, SIGABRT) into a record in a spool file next to the database;
 * the next bt_open() of that database (or bt_crash_ingest()) makes each
 * record a critical occurrence on a ticket, grouped by its normalized stack.
 * See README, "Crashes".
 * @{ */

/** Options for bt_crash_handler_install(). */
typedef struct bt_crash_options {
	/** BT_CRASH_OPTIONS_VERSION: the library checks it. */
	unsigned int version;
	/** How many normalized frames, from the top, make the fingerprint;
	 * 0 selects 5, at most 32. */
	int fingerprint_frames;
} bt_crash_options;

/** The current version of bt_crash_options. */
#define BT_CRASH_OPTIONS_VERSION 1
/** An initialiser for bt_crash_options with the current version's defaults. */
#define BT_CRASH_OPTIONS_INIT { BT_CRASH_OPTIONS_VERSION, 0 }

/**
 * Initialise @p opts with the defaults of options version @p version, as
 * BT_CRASH_OPTIONS_INIT does for the latest version.
 * @return BT_OK, or BT_EINVALID for a NULL @p opts or an unknown version.
 * Thread-safe.
 */
BT_EXTERN int bt_crash_options_init(bt_crash_options *opts, unsigned int version);

/**
 * Install the crash handler for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT.
 *
 * Opens (creating, mode 0600) the spool "<database path>.crash", records
 * the loaded modules and @p db's context (service, release, environment,
 * host) as they are now, warms up backtrace(), and installs the handlers
 * with an alternate signal stack for the calling thread, so that a stack
 * overflow on that thread is caught too.  Other threads' crashes are caught
 * on their own stacks.  No thread's signal mask is changed.  A handler that
 * was installed before is called after the record is written; then the
 * default action is restored and the signal raised again, so core dumps
 * and exit statuses are unchanged.
 *
 * The handler is async-signal-safe: it does not allocate, lock, use stdio
 * or SQLite; it writes one record with write(2).  Installing again replaces
 * the spool and the context (the previous handlers stay the ones chained).
 *
 * @param opts  NULL for defaults.
 * @return BT_OK; BT_EINVALID (NULL @p db, a read-only handle, bad options);
 * BT_EIO when the spool cannot be opened.  Not thread-safe with itself or
 * with bt_crash_handler_uninstall(): call it from one thread, at startup.
 */
BT_EXTERN int bt_crash_handler_install(bt_db *db, const bt_crash_options *opts);

/**
 * Restore the handlers that were installed before bt_crash_handler_install()
 * and close the spool.  @return BT_OK, also when nothing was installed.
 * Not thread-safe with bt_crash_handler_install().
 */
BT_EXTERN int bt_crash_handler_uninstall(void);

/** What bt_crash_ingest() found in the spool. */
typedef struct bt_crash_ingest_result {
	/** BT_CRASH_INGEST_RESULT_VERSION: the library checks it. */
	unsigned int version;
	/** Records that became occurrences in this call. */
	int64_t ingested;
	/** Complete records already ingested before (by this or another
	 * process), skipped. */
	int64_t duplicates;
	/** Incomplete or unreadable records, reported as a warning log row in
	 * component "crash" and skipped. */
	int64_t damaged;
} bt_crash_ingest_result;

/** The current version of bt_crash_ingest_result. */
#define BT_CRASH_INGEST_RESULT_VERSION 1
/** An initialiser for bt_crash_ingest_result: the current version, all zero. */
#define BT_CRASH_INGEST_RESULT_INIT { BT_CRASH_INGEST_RESULT_VERSION, 0, 0, 0 }

/**
 * Turn every complete record of @p db's spool into a critical occurrence,
 * exactly once: records are remembered by a hash of their bytes in the same
 * transaction that stores them, so a crash during ingestion or two
 * processes ingesting at once never lose or double-count a record.  The
 * spool is removed after the commit, unless a process with the handler
 * installed still has it open.  bt_open() calls this for writable handles
 * and ignores its failure (the spool stays for the next time).
 *
 * @param out  may be NULL; else its version must be set.
 * @return BT_OK (also when there is no spool), BT_EINVALID, or a storage
 * error (nothing is ingested then).  Thread-safe.
 */
BT_EXTERN int bt_crash_ingest(bt_db *db, bt_crash_ingest_result *out);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_H */
