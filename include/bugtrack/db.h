/*
 * bugtrack/db.h - Opening a database: bt_open, options, bt_close, flush,
 * checkpoints.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_DB_H
#define BUGTRACK_DB_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

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
/**
 * Durable commits: a committed occurrence or change also survives a power
 * loss or an operating-system crash, at the cost of a sync to disk per
 * commit (SQLite: synchronous=FULL).  Without it a commit survives a crash
 * of the process, and the last commits may be lost with the power.
 */
#define BT_OPEN_DURABLE    0x4u
/** Store messages and context as given: no redaction of secrets. */
#define BT_OPEN_NO_REDACT  0x8u
/** Make the captured stack trace part of the default fingerprint. */
#define BT_OPEN_STACK_IN_FINGERPRINT 0x10u
/** Fail with BT_ENOTFOUND instead of creating a missing file. */
#define BT_OPEN_NO_CREATE  0x20u
/**
 * Synchronous capture: each capture call commits before it returns, so
 * BT_OK means "committed", at the cost of waiting for the database on the
 * caller's thread (up to the busy timeout when another process holds the
 * write lock).
 *
 * Without it, capture is asynchronous (the default): bt_log() and the other
 * capture calls copy their input into a bounded in-memory queue and return;
 * a background thread cleans, redacts, groups and commits it in batches.
 * The host's thread never waits for a database lock or a commit.  Repeats
 * of an occurrence already waiting in the queue only add to its count.  See
 * bt_flush() and README, "Capture modes and durability", for the loss
 * window.  A BT_OPEN_READONLY handle captures nothing.
 */
#define BT_OPEN_SYNC       0x40u

/**
 * The host takes care of checkpoints: commits on this handle leave writing
 * the write-ahead log back into the database file to bt_db_checkpoint(),
 * which the host calls on another handle from a thread of its own.
 * Without it, the commit that finds 4,096 pages (16 MB) in the log writes
 * them all back itself, with two syncs to disk, while every caller queued
 * behind it on the handle waits.  A commit still checkpoints once the log
 * holds 16,384 pages (64 MB): so that a host that stops calling
 * bt_db_checkpoint() cannot make the log grow without end, and because
 * the log only starts over when a write finds all of it written back,
 * which a checkpoint on another connection rarely leaves under a steady
 * stream of writes.  That commit then has only the pages since the host's
 * last checkpoint to write back, but still two syncs.  SQLite only:
 * PostgreSQL's server checkpoints by itself, and the flag changes nothing
 * there.
 * @since 1.1
 */
#define BT_OPEN_HOST_CHECKPOINT 0x100u

/**
 * A clock for tests: returns milliseconds since the Unix epoch.  What it
 * returns is clamped to 0 .. 253402300799999 (9999-12-31T23:59:59.999Z).
 */
typedef int64_t (*bt_clock_fn)(void *payload);

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

/**
 * Options for bt_open().  Fields are only ever appended, in later versions:
 * a caller built against an older version passes that version and gets the
 * defaults for the fields it does not know.
 */
typedef struct bt_open_options {
	/** BT_OPEN_OPTIONS_VERSION, set by BT_OPEN_OPTIONS_INIT. */
	unsigned int version;
	/** A set of BT_OPEN_* flags; unknown bits are rejected. */
	unsigned int flags;
	/**
	 * How long a call waits for another connection's lock before it fails
	 * with BT_EBUSY, in milliseconds.  0 selects the default, 5000.
	 * Negative values are rejected.
	 */
	int busy_timeout_ms;
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
	/**
	 * At most this many log rows are kept per ticket (per dedup window):
	 * the first K/2 occurrences, then every K-th occurrence, of which the
	 * latest K/2 are kept.  Occurrence counts stay exact.  0 selects 100;
	 * BT_LOG_ROWS_UNLIMITED keeps every row.
	 */
	int log_rows_per_ticket;
	/**
	 * The SLA policy: how long a low-severity ticket may stay open, in
	 * milliseconds.  0 selects the default, 30 days.  This and the three
	 * below are rejected below 0 or above 253402300799999 (about 8,000
	 * years).
	 */
	int64_t sla_low_ms;
	/** As sla_low_ms, for medium severity; 0 selects 7 days. */
	int64_t sla_medium_ms;
	/** As sla_low_ms, for high severity; 0 selects 24 hours. */
	int64_t sla_high_ms;
	/** As sla_low_ms, for critical severity; 0 selects 4 hours. */
	int64_t sla_critical_ms;
	/**
	 * Asynchronous capture (without BT_OPEN_SYNC): the queue's caps, at most
	 * this many distinct pending occurrences (0 selects 4096) holding at
	 * most async_queue_bytes of text.  Repeats of a pending occurrence take
	 * no room.
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
	/** What a capture does when the queue is full; unknown values are
	 * rejected. */
	bt_overflow_policy async_overflow;
	/**
	 * How many call sites (component, format, function) remember their
	 * fingerprint, so that a repeat is a hash and a lookup.  0 selects 1024.
	 */
	unsigned int site_cache_entries;
} bt_open_options;

/** The current version of bt_open_options. */
#define BT_OPEN_OPTIONS_VERSION 1
/** An initialiser for bt_open_options with the current version's defaults. */
#define BT_OPEN_OPTIONS_INIT \
	{ BT_OPEN_OPTIONS_VERSION, 0u, 0, BT_INFO, BT_CRITICAL, \
	  (int64_t)24 * 60 * 60 * 1000, 0, (bt_level)0, NULL, NULL, NULL, 0, 0, 0, 0, 0, \
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
 * BT_OPEN_DURABLE) and the busy timeout.  Pending embedded migrations are
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
 *    bt_schema_version_get() and bt_migrate() are meant to be used until the
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
 * @return the location bt_open(), bt_db_check(), bt_db_identify() and
 * bt_schema_stamp() use for @p location: @p location itself when it is
 * neither NULL nor "", else $BUGTRACK_DB when set and non-empty, else
 * "./bugtrack.db".  The result is @p location, the environment's string or
 * a static string: never NULL, never to be freed, and valid while they are.
 * For a tool that must name the database before (or without) opening it.
 * Thread-safe as getenv() is: not while another thread changes the
 * environment.
 */
BT_EXTERN const char *bt_location_resolve(const char *location);

/**
 * Write @p location as it may be shown to a person or a log into @p buf
 * (@p size bytes, the NUL included): a PostgreSQL URI without its password
 * (in its user part or a password= parameter), anything else as it is.
 * bt_db_location() shows an open handle's location the same way.  A
 * location longer than @p buf is cut, always terminated.
 * @return BT_OK; BT_EINVALID for a NULL @p location or @p buf, or a
 * @p size of 0; BT_ENOMEM.  Thread-safe.
 */
BT_EXTERN int bt_location_display(const char *location, char *buf, size_t size);

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

/**
 * Write back into the database file what the write-ahead log holds, for
 * the handles opened with BT_OPEN_HOST_CHECKPOINT (SQLite: a PASSIVE
 * checkpoint).  It neither waits for nor blocks other connections'
 * readers and writers: it stops before the frames a reader still uses,
 * and when another connection is checkpointing it returns at once.  It
 * takes @p db's own lock for its duration (two syncs to disk when there
 * is anything to write), so give it a handle of its own, used by nothing
 * else.  When there is nothing new in the log it costs a few
 * microseconds.
 * @param log_pages_out  may be NULL; receives the pages the log holds.
 * @param backfilled_out  may be NULL; receives how many of them are in
 *                        the database file now.  Both are -1 when not
 *                        known: on PostgreSQL, or when another connection
 *                        was checkpointing.
 * @return BT_OK (also on PostgreSQL, where there is nothing to do);
 * BT_EREADONLY for a read-only handle; BT_EINVALID (NULL @p db); BT_EBUSY
 * when another thread held the handle past its busy timeout; or a storage
 * error such as BT_EIO.  Thread-safe.  Not for a handle inherited across
 * fork() before the child adopted it (any call adopts it).
 * @since 1.1
 */
BT_EXTERN int bt_db_checkpoint(bt_db *db, int64_t *log_pages_out, int64_t *backfilled_out);

/**
 * What bt_set_wait_notice() calls: @p waited_ms is how long the call has
 * been waiting for a lock another connection holds.
 */
typedef void (*bt_wait_notice_fn)(void *arg, int64_t waited_ms);

/**
 * Have @p fn called when a call on @p db has waited @p after_ms
 * milliseconds for a lock another connection holds (another process
 * writing, on SQLite a checkpoint): once per wait, so that a tool can say
 * it is waiting instead of looking hung.  The wait still ends by the busy
 * timeout (bt_open_options.busy_timeout_ms).  On PostgreSQL it covers the
 * writer lock every write transaction takes first.
 *
 * @p fn runs on the thread that waits, inside the call, while the handle
 * is busy: it must not call libbugtrack on @p db, and should return
 * quickly.  With asynchronous capture (the default) that is the writer
 * thread.  A NULL @p fn turns the notice off (the default).
 *
 * @return BT_OK; BT_EINVALID for a NULL @p db or a negative @p after_ms;
 * BT_EBUSY when another thread kept the handle busy past the busy timeout
 * (the notice is then unchanged).  Thread-safe; a fork()ed child that
 * adopts the handle keeps the notice.
 */
BT_EXTERN int bt_set_wait_notice(bt_db *db, int after_ms, bt_wait_notice_fn fn, void *arg);

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
 * @return the location @p db opened, after the default was applied (see
 * bt_open(): a file path, or a PostgreSQL URI with any password removed),
 * owned by @p db and valid until bt_close(); NULL for a NULL @p db.
 * Thread-safe.
 */
BT_EXTERN const char *bt_db_location(const bt_db *db);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_DB_H */
