/*
 * store/sqlite/connection.c - the SQLite backend's connection: creating the file with
 * safe permissions, opening it, the per-connection pragmas, and mapping
 * SQLite failures to libbugtrack error codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_sqlite.h"

int bti_sqlite_fail(sqlite3 *sql, int rc, const char *what)
{
	int code;
	char native[24];
	int ext = sql ? sqlite3_extended_errcode(sql) : rc;
	const char *msg = sql ? sqlite3_errmsg(sql) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:   code = BT_EBUSY; break;
	case SQLITE_NOMEM:    code = BT_ENOMEM; break;
	case SQLITE_IOERR:
	case SQLITE_FULL:     code = BT_EIO; break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:   code = BT_ECORRUPT; break;
	case SQLITE_READONLY: code = BT_EREADONLY; break;
	case SQLITE_CANTOPEN: code = BT_ECANTOPEN; break;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:    code = BT_EINVALID; break;
	default:              code = BT_EINTERNAL; break;
	}
	/* The extended code only describes @rc if it is the latest failure. */
	if ((ext & 0xff) != (rc & 0xff))
		ext = rc;
	/* SQLite's text ("attempt to write a readonly database") would send
	 * the user looking at the file, when it is the directory that is. */
	if (ext == SQLITE_READONLY_DIRECTORY)
		msg = "the directory is read-only, and a WAL database needs to create its -shm "
		      "file there, even to read";
	snprintf(native, sizeof(native), "sqlite:%d", ext);
	return bti_error_native(code, native, "%s: %s", what, msg);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* SQLite calls this while another connection holds a lock it needs.  It
 * holds no SQLite mutex meanwhile, so a fork() may happen during the wait;
 * a pending fork ends it at once, so that the forking thread is not kept
 * waiting (the call fails with BT_EBUSY, or the writer retries later). */
static int busy_wait(void *arg, int attempt)
{
	bti_sqlite_store *st = arg;
	int64_t now = bti_mono_ms(), end, left;
	long pause;

	if (attempt == 0) {
		st->wait_started_ms = now;
		st->wait_noticed = 0;
	}
	end = st->wait_started_ms + st->wait_ms;
	if (st->deadline_ms && st->deadline_ms < end)
		end = st->deadline_ms;
	left = end - now;
	if (left <= 0 || bti_fork_pending())
		return 0;
	(void)bti_store_wait_noticed(&st->base, st->wait_started_ms, now, &st->wait_noticed);
	pause = attempt < 4 ? 1L << attempt : 10;
	sleep_ms(pause < left ? pause : (long)left);
	return 1;
}

void bti_sqlite_busy_install(bti_sqlite_store *st)
{
	st->wait_ms = st->busy_timeout_ms;
	sqlite3_busy_handler(st->sql, busy_wait, st);
}

void bti_sqlite_op_set_deadline(bti_store *base, int64_t deadline_ms)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	if (st)
		st->deadline_ms = deadline_ms;
}

int bti_sqlite_exec_retry(bti_sqlite_store *st, const char *sql_text, const char *what)
{
	int64_t deadline = bti_now_ms() + st->busy_timeout_ms;
	long pause = 1;
	int rc;

	for (;;) {
		rc = sqlite3_exec(st->sql, sql_text, NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || bti_now_ms() >= deadline)
			break;
		sleep_ms(pause);
		if (pause < 32)
			pause *= 2;
	}
	return rc == SQLITE_OK ? BT_OK : bti_sqlite_fail(st->sql, rc, what);
}


/* sqlite3_open_v2 on a path that is only ever a path.  SQLite reads a name
 * that begins with "file:" as a URI when it was built with SQLITE_USE_URI
 * (Debian's is), so "file:x.db?mode=memory" would keep nothing; "./" in
 * front names the same file and is no URI.  Returns SQLite's code. */
int bti_sqlite_open(const char *path, int flags, sqlite3 **out)
{
	char *own = NULL;
	int rc;

	*out = NULL;
	if (strncmp(path, "file:", 5) == 0) {
		size_t n = strlen(path);

		own = bti_malloc(n + 3);
		if (!own)
			return SQLITE_NOMEM;
		memcpy(own, "./", 2);
		memcpy(own + 2, path, n + 1);
	}
	rc = sqlite3_open_v2(own ? own : path, out, flags, NULL);
	bti_free(own);
	return rc;
}
/* Create the file ourselves so that it gets 0600 whatever the umask; SQLite
 * gives its -wal and -shm files the mode of the database file.  O_EXCL makes
 * a race with another process creating it harmless. */
static int prepare_path(const char *path, unsigned int flags)
{
	struct stat sb;
	int fd;

	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return bti_error(BT_ECANTOPEN, "bt_open: %s: is a directory", path);
		if (!S_ISREG(sb.st_mode))
			return bti_error(BT_ECANTOPEN, "bt_open: %s: not a regular file", path);
		return BT_OK;
	}
	if (errno != ENOENT)
		return bti_error(BT_ECANTOPEN, "bt_open: %s: %s", path, strerror(errno));
	if (flags & (BT_OPEN_READONLY | BT_OPEN_NO_CREATE))
		return bti_error(BT_ENOTFOUND, "bt_open: %s: no such database (not created: %s)", path,
				 (flags & BT_OPEN_READONLY) ? "opened read-only" : "BT_OPEN_NO_CREATE");

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno != EEXIST)
		return bti_error(BT_ECANTOPEN, "bt_open: cannot create %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return BT_OK;
}

static int configure(bti_sqlite_store *st, const char *what)
{
	int rc, current;
	size_t applied;

	sqlite3_extended_result_codes(st->sql, 1);
	bti_sqlite_busy_install(st);
	rc = bti_sqlite_functions_install(st);
	if (rc != BT_OK)
		return rc;

	if (st->flags & BT_OPEN_READONLY) {
		/* Reading the schema is what detects a file that is not a database. */
		return bti_sqlite_exec_retry(st, "SELECT count(*) FROM sqlite_master", what);
	}
	if (sqlite3_db_readonly(st->sql, "main") == 1)
		return bti_error(BT_EREADONLY,
				 "%s: file is read-only; open it with BT_OPEN_READONLY", what);
	/* Refuse another application's database, or a newer schema, before
	 * journal_mode=WAL rewrites the file's header. */
	rc = bti_sqlite_schema_state(st, &current, &applied);
	if (rc != BT_OK && rc != BT_ESCHEMA) {
		/* A file that is not a database fails here: name it. */
		return bti_error_rewrap(rc, "%s: %s", what, bt_error_message());
	}
	if (rc == BT_OK)
		rc = bti_sqlite_exec_retry(st, "PRAGMA journal_mode=WAL", what);
	/* Checkpoints run inside whichever commit crosses the threshold, and
	 * each costs two fsyncs: a larger interval takes them off most capture
	 * calls' tails (p99 of a dedup hit 237 -> ~60 us), and the size limit
	 * gives the disk back after each one.  BT_OPEN_HOST_CHECKPOINT leaves
	 * them to bt_db_checkpoint on another connection and keeps a later
	 * threshold: a backstop, and what lets the WAL start over under
	 * steady writes (it restarts only when a write finds all of it
	 * written back; without this threshold a benchmark's grew past 1 GB). */
	if (rc == BT_OK)
		rc = bti_sqlite_exec_retry(st, (st->flags & BT_OPEN_HOST_CHECKPOINT)
					   ? "PRAGMA wal_autocheckpoint=16384"
					   : "PRAGMA wal_autocheckpoint=4096", what);
	if (rc == BT_OK)
		rc = bti_sqlite_exec_retry(st, "PRAGMA journal_size_limit=16777216", what);
	if (rc == BT_OK)
		rc = bti_sqlite_exec_retry(st, (st->flags & BT_OPEN_DURABLE)
					   ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
					   what);
	return rc;
}

int bti_sqlite_op_open(bti_store **out, const char *path, unsigned int flags,
		       int busy_timeout_ms, const bti_migration_set *migrations)
{
	bti_sqlite_store *st;
	int rc, open_flags;
	char what[320];

	*out = NULL;
	snprintf(what, sizeof(what), "bt_open: %.300s", path);
	rc = prepare_path(path, flags);
	if (rc != BT_OK)
		return rc;

	st = bti_calloc(1, sizeof(*st));
	if (!st)
		return bti_error(BT_ENOMEM, "bt_open: out of memory");
	st->base.ops = &bti_sqlite_ops;
	st->migrations = migrations;
	st->flags = flags;
	st->busy_timeout_ms = busy_timeout_ms;

	/* bt_db serialises every use of the connection, so SQLite's own mutex
	 * would only add cost. */
	open_flags = SQLITE_OPEN_NOMUTEX |
		((flags & BT_OPEN_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	rc = bti_sqlite_open(path, open_flags, &st->sql);
	if (rc != SQLITE_OK) {
		rc = st->sql ? bti_sqlite_fail(st->sql, rc, what)
			     : bti_error(BT_ENOMEM, "bt_open: out of memory");
		goto fail;
	}
	rc = configure(st, what);
	if (rc == BT_OK)
		rc = bti_sqlite_exec_retry(st, "PRAGMA foreign_keys=ON", what);
	if (rc == BT_OK) {
		rc = sqlite3_prepare_v3(st->sql, "ROLLBACK", -1, SQLITE_PREPARE_PERSISTENT,
					&st->rollback, NULL);
		rc = rc == SQLITE_OK ? BT_OK : bti_sqlite_fail(st->sql, rc, what);
	}
	if (rc == BT_OK)
		rc = bti_sqlite_migrate(st);
	if (rc != BT_OK)
		goto fail;
	*out = &st->base;
	return BT_OK;
fail:
	bti_sqlite_op_close(&st->base);
	return rc;
}

int bti_sqlite_stmt(bti_sqlite_store *st, const char *sql_text, sqlite3_stmt **out)
{
	size_t i;
	int rc;

	for (i = 0; i < st->cached; i++) {
		if (st->cache[i].sql == sql_text) {
			*out = st->cache[i].stmt;
			return BT_OK;
		}
	}
	rc = sqlite3_prepare_v3(st->sql, sql_text, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	if (rc != SQLITE_OK)
		return bti_sqlite_fail(st->sql, rc, "preparing a statement");
	if (st->cached < BTI_STMT_CACHE) {
		st->cache[st->cached].sql = sql_text;
		st->cache[st->cached].stmt = *out;
		st->cached++;
	} else {
		/* Cannot happen while the cache is sized for every statement;
		 * refuse rather than leak. */
		sqlite3_finalize(*out);
		*out = NULL;
		return bti_error(BT_EINTERNAL, "statement cache is full");
	}
	return BT_OK;
}

int bti_sqlite_run_ids(bti_sqlite_store *st, const char *sql_text, int64_t a, int64_t b, int64_t c,
		       const char *what, int64_t *first_out)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, sql_text, &stmt), n;

	if (rc != BT_OK)
		return rc;
	n = sqlite3_bind_parameter_count(stmt);
	sqlite3_bind_int64(stmt, 1, a);
	if (n >= 2)
		sqlite3_bind_int64(stmt, 2, b);
	if (n >= 3)
		sqlite3_bind_int64(stmt, 3, c);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		if (first_out)
			*first_out = sqlite3_column_int64(stmt, 0);
		rc = sqlite3_step(stmt);
	}
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, what);
	bti_sqlite_release(stmt);
	return rc;
}

int bti_sqlite_add_alias(bti_sqlite_store *st, const char *sql_text, const char *fingerprint,
			 int64_t ticket_id, int64_t now)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, sql_text, &stmt);

	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, fingerprint);
	sqlite3_bind_int64(stmt, 2, ticket_id);
	sqlite3_bind_int64(stmt, 3, now);
	rc = sqlite3_step(stmt);
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "aliasing a fingerprint");
	bti_sqlite_release(stmt);
	return rc;
}

void bti_sqlite_release(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

int bti_sqlite_run(bti_sqlite_store *st, const char *sql_text, const char *what)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, sql_text, &stmt);

	if (rc != BT_OK)
		return rc;
	rc = sqlite3_step(stmt);
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? BT_OK : bti_sqlite_fail(st->sql, rc, what);
	bti_sqlite_release(stmt);
	return rc;
}

void bti_sqlite_op_close(bti_store *base)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->cached; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_finalize(st->rollback);
	sqlite3_close_v2(st->sql);
	bti_free(st);
}

void bti_sqlite_op_close_inherited(bti_store *base)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	int persist = 1;

	if (!st)
		return;
	/* The parent still writes through the same WAL and shared memory:
	 * closing must neither checkpoint nor delete them. */
	sqlite3_db_config(st->sql, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	sqlite3_file_control(st->sql, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	bti_sqlite_op_close(&st->base);
}

/* The SQLite backend, as backend.c and the handles it opens see it. */
const bti_store_ops bti_sqlite_ops = {
	.version = BTI_STORE_OPS_VERSION,
	.name = "sqlite",
	.migrations = &bti_sqlite_migrations,
	.integrity_check = "PRAGMA integrity_check",
	.quick_check = "PRAGMA quick_check",
	.foreign_key_check = "PRAGMA foreign_key_check",
	.open = bti_sqlite_op_open,
	.close = bti_sqlite_op_close,
	.close_inherited = bti_sqlite_op_close_inherited,
	.schema_version = bti_sqlite_op_schema_version,
	.schema_latest = bti_sqlite_op_schema_latest,
	.migrate = bti_sqlite_op_migrate,
	.land_hit = bti_sqlite_op_land_hit,
	.land_hits = bti_sqlite_op_land_hits,
	.land_find = bti_sqlite_op_land_find,
	.land_count = bti_sqlite_op_land_count,
	.land_reopen = bti_sqlite_op_land_reopen,
	.land_retire = bti_sqlite_op_land_retire,
	.ticket_open = bti_sqlite_op_ticket_open,
	.log_insert = bti_sqlite_op_log_insert,
	.log_inserts = bti_sqlite_op_log_inserts,
	.log_prune = bti_sqlite_op_log_prune,
	.counter_add = bti_sqlite_op_counter_add,
	.crash_claim = bti_sqlite_op_crash_claim,
	.crash_mark_get = bti_sqlite_op_crash_mark_get,
	.crash_mark_set = bti_sqlite_op_crash_mark_set,
	.release_seen = bti_sqlite_op_release_seen,
	.token_insert = bti_sqlite_op_token_insert,
	.token_find = bti_sqlite_op_token_find,
	.token_touch = bti_sqlite_op_token_touch,
	.token_revoke = bti_sqlite_op_token_revoke,
	.token_page = bti_sqlite_op_token_page,
	.ticket_keys = bti_sqlite_op_ticket_keys,
	.ticket_rows = bti_ticket_rows_each, /* a cached statement a row is cheap here */
	.begin = bti_sqlite_op_begin,
	.begin_read = bti_sqlite_op_begin_read,
	.commit = bti_sqlite_op_commit,
	.rollback = bti_sqlite_op_rollback,
	.end_stray_txn = bti_sqlite_op_end_stray_txn,
	.set_deadline = bti_sqlite_op_set_deadline,
	.ticket_update = bti_sqlite_op_ticket_update,
	.event_add = bti_sqlite_op_event_add,
	.merge_links = bti_sqlite_op_merge_links,
	.ticket_delete = bti_sqlite_op_ticket_delete,
	.pending_page = bti_sqlite_op_pending_page,
	.ticket_counts = bti_sqlite_op_ticket_counts,
	.events_page = bti_sqlite_op_events_page,
	.events_feed = bti_sqlite_op_events_feed,
	.events_last = bti_sqlite_op_events_last,
	.ticket_exists = bti_sqlite_op_ticket_exists,
	.log_page = bti_sqlite_op_log_page,
	.purge_step = bti_sqlite_op_purge_step,
	.ticket_get = bti_sqlite_op_ticket_get,
	.report_summary = bti_sqlite_op_report_summary,
	.report_top_page = bti_sqlite_op_report_top_page,
	.report_component_page = bti_sqlite_op_report_component_page,
	.report_next_activity = bti_sqlite_op_report_next_activity,
	.report_day_page = bti_sqlite_op_report_day_page,
	.report_mttr = bti_sqlite_op_report_mttr,
	.inspect_open = bti_sqlite_op_inspect_open,
	.identify = bti_sqlite_op_identify,
	.kind = bti_sqlite_op_kind,
	.schema_diff = bti_sqlite_op_schema_diff,
	.migration_records = bti_sqlite_op_migration_records,
	.stamp = bti_sqlite_op_stamp,
	.check_integrity = bti_sqlite_op_check_integrity,
	.vacuum = bti_sqlite_op_vacuum,
	.checkpoint = bti_sqlite_op_checkpoint,
	.check_rows = bti_sqlite_op_check_rows,
	.wal_state = bti_sqlite_op_wal_state,
	.check_metrics = bti_sqlite_op_check_metrics,
	.advice = bti_sqlite_op_advice,
	.counters = bti_sqlite_op_counters,
	.ticket_by_external_id = bti_sqlite_op_ticket_by_external_id,
	.ticket_by_trace_id = bti_sqlite_op_ticket_by_trace_id,
	.ticket_origin = bti_sqlite_op_ticket_origin,
	.ticket_id_high = bti_sqlite_op_ticket_id_high,
	.ticket_insert = bti_sqlite_op_ticket_insert,
	.ticket_link = bti_sqlite_op_ticket_link,
	.fingerprint_activate = bti_sqlite_op_fingerprint_activate,
	.wait_open = bti_sqlite_op_wait_open,
	.wait = bti_sqlite_op_wait,
	.wait_close = bti_sqlite_op_wait_close,
};
