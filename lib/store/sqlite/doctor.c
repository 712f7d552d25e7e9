/*
 * store/sqlite/doctor.c - looking at a database file from outside bt_open:
 * what a file is (bugtrack's, tracked or not, or something else), how its
 * schema differs from what the embedded migrations build, and the health
 * checks of `bugtrack doctor` (integrity, foreign keys, counts, orphans,
 * counters).
 *
 * These run on databases that bt_open refuses (a newer or edited schema, no
 * schema_migrations, corruption), so the connection here skips everything
 * bt_open does to a file: no journal mode, no pragmas, no schema checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_sqlite.h"

#define INSPECT_BUSY_TIMEOUT_MS 5000

/* ---- opening ---- */

static int check_file(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return errno == ENOENT
			? bti_error(BT_ENOTFOUND, "%s: no such database", path)
			: bti_error(BT_ECANTOPEN, "%s: %s", path, strerror(errno));
	if (S_ISDIR(sb.st_mode))
		return bti_error(BT_ECANTOPEN, "%s: is a directory", path);
	if (!S_ISREG(sb.st_mode))
		return bti_error(BT_ECANTOPEN, "%s: not a regular file", path);
	return BT_OK;
}

/* A read-only connection to a WAL database creates -wal and -shm files and
 * cannot remove them when it closes; a read-write one, being the last to
 * close, removes them.  Read-write is harmless when no -wal file exists:
 * there is nothing to checkpoint, and nothing here writes. */
static int leaves_no_trace_rw(const char *path)
{
	size_t len = strlen(path);
	char *wal = bti_malloc(len + 5);
	struct stat sb;
	int rw;

	if (!wal)
		return 0;
	memcpy(wal, path, len);
	memcpy(wal + len, "-wal", 5);
	rw = stat(wal, &sb) != 0 && errno == ENOENT && access(path, W_OK) == 0;
	bti_free(wal);
	return rw;
}

int bti_sqlite_op_inspect_open(bti_store **out, const char *path, int writable,
			       const bti_migration_set *migrations)
{
	bti_sqlite_store *st;
	int rc, rw;

	*out = NULL;
	rc = check_file(path);
	if (rc != BT_OK)
		return rc;
	rw = writable || leaves_no_trace_rw(path);
	st = bti_calloc(1, sizeof(*st));
	if (!st)
		return bti_error(BT_ENOMEM, "out of memory");
	st->base.ops = &bti_sqlite_ops;
	st->migrations = migrations;
	st->flags = rw ? BT_OPEN_NO_MIGRATE : BT_OPEN_READONLY;
	st->busy_timeout_ms = INSPECT_BUSY_TIMEOUT_MS;
	rc = bti_sqlite_open(path, SQLITE_OPEN_NOMUTEX |
			     (rw ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY), &st->sql);
	if (rc != SQLITE_OK) {
		rc = st->sql ? bti_sqlite_fail(st->sql, rc, path) : bti_error(BT_ENOMEM, "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->sql, 1);
	sqlite3_busy_timeout(st->sql, st->busy_timeout_ms);
	if (writable && sqlite3_db_readonly(st->sql, "main") == 1) {
		rc = bti_error(BT_EREADONLY, "%s: file is read-only", path);
		goto fail;
	}
	*out = &st->base;
	return BT_OK;
fail:
	bti_sqlite_op_close(&st->base);
	return rc;
}

/* ---- what a file is ---- */

static const char SQL_KIND[] =
	"SELECT coalesce(sum(name = 'schema_migrations'), 0), coalesce(sum(name = 'tickets'), 0),"
	" count(*) FROM sqlite_master"
	" WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

int bti_sqlite_op_kind(bti_store *base, const char *path, bt_db_kind *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_KIND, &stmt);

	if (rc == BT_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(stmt, 0) ? BT_DB_TRACKED
			     : sqlite3_column_int(stmt, 1) ? BT_DB_UNTRACKED
			     : sqlite3_column_int(stmt, 2) ? BT_DB_FOREIGN : BT_DB_EMPTY;
			rc = BT_OK;
		} else {
			rc = bti_sqlite_fail(st->sql, rc, path);
		}
		bti_sqlite_release(stmt);
	}
	/* The first read is where SQLite finds out; say which file. */
	if (rc == BT_ECORRUPT)
		rc = bti_error_rewrap(BT_ECORRUPT, "%s: not a SQLite database, or malformed", path);
	return rc;
}

/* The 16-byte magic string every SQLite database file starts with. */
static int read_header(const char *path, int *sqlite_out, int *empty_out)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return bti_error(BT_ECANTOPEN, "%s: %s", path, strerror(errno));
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n < 0)
		return bti_error(BT_ECANTOPEN, "%s: %s", path, strerror(errno));
	*empty_out = n == 0;
	*sqlite_out = n == (ssize_t)sizeof(head) && memcmp(head, magic, sizeof(head)) == 0;
	return BT_OK;
}

int bti_sqlite_op_identify(const char *path, bt_db_kind *out)
{
	bti_store *st;
	int rc, is_sqlite = 0, empty = 0;

	rc = check_file(path);
	if (rc == BT_OK)
		rc = read_header(path, &is_sqlite, &empty);
	if (rc != BT_OK)
		return rc;
	if (!is_sqlite) {
		/* SQLite takes an empty file for an empty database. */
		*out = empty ? BT_DB_EMPTY : BT_DB_UNRECOGNIZED;
		return BT_OK;
	}
	rc = bti_sqlite_op_inspect_open(&st, path, 0, &bti_sqlite_migrations);
	if (rc == BT_OK)
		rc = bti_sqlite_op_kind(st, path, out);
	bti_sqlite_op_close(st);
	return rc;
}

/* ---- the shape of a schema ---- */

/* One row per table and view (item ''), and per column, index and trigger:
 * (object, item, definition), in an order both sides share.  Indexes that
 * SQLite makes for constraints (sql IS NULL) follow from the columns. */
static const char SQL_SHAPE[] =
	"SELECT m.name, '', m.type FROM sqlite_master m"
	" WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
	"   AND m.name <> 'schema_migrations'"
	" UNION ALL "
	"SELECT m.name, 'column ' || c.name, c.type || iif(c.\"notnull\", ' NOT NULL', '')"
	"   || iif(c.pk, ' PRIMARY KEY', '') || coalesce(' DEFAULT ' || c.dflt_value, '')"
	"   || CASE c.hidden WHEN 2 THEN ' GENERATED' WHEN 3 THEN ' GENERATED STORED' ELSE '' END"
	" FROM sqlite_master m, pragma_table_xinfo(m.name) c"
	" WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
	"   AND m.name <> 'schema_migrations'"
	" UNION ALL "
	"SELECT m.tbl_name, 'index ' || m.name, iif(l.\"unique\", 'UNIQUE ', '') || '('"
	"   || (SELECT group_concat(n, ', ') FROM (SELECT coalesce(i.name, '<expression>') AS n"
	"       FROM pragma_index_info(m.name) i ORDER BY i.seqno)) || ')'"
	"   || iif(l.partial, ' WHERE ...', '')"
	" FROM sqlite_master m JOIN pragma_index_list(m.tbl_name) l ON l.name = m.name"
	" WHERE m.type = 'index' AND m.sql IS NOT NULL"
	" UNION ALL "
	"SELECT m.tbl_name, 'trigger ' || m.name, '' FROM sqlite_master m WHERE m.type = 'trigger'"
	" ORDER BY 1, 2";

/* The schema the migrations up to @version build, in a fresh in-memory
 * database. */
static int build_expected(const bti_migration_set *set, int version, sqlite3 **out)
{
	sqlite3 *mem = NULL;
	size_t i;
	int rc = sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);

	for (i = 0; rc == SQLITE_OK && i < set->count && set->items[i].version <= version; i++)
		rc = sqlite3_exec(mem, set->items[i].sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = mem ? bti_sqlite_fail(mem, rc, "building the expected schema")
			 : bti_error(BT_ENOMEM, "out of memory");
		sqlite3_close(mem);
		return rc;
	}
	*out = mem;
	return BT_OK;
}

typedef struct shape_cursor {
	sqlite3_stmt *stmt;
	int row; /* 1: on a row; 0: done */
	const char *obj, *item, *def;
} shape_cursor;

static int shape_next(sqlite3 *sql, shape_cursor *c)
{
	int rc = sqlite3_step(c->stmt);

	c->row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return bti_sqlite_fail(sql, rc, "reading the schema");
	if (c->row) {
		c->obj = (const char *)sqlite3_column_text(c->stmt, 0);
		c->item = (const char *)sqlite3_column_text(c->stmt, 1);
		c->def = (const char *)sqlite3_column_text(c->stmt, 2);
		if (!c->obj || !c->item || !c->def)
			return bti_error(BT_ENOMEM, "out of memory");
	}
	return BT_OK;
}

typedef struct differ {
	int version;
	bti_schema_diff_fn fn;
	void *payload;
	size_t count;
	char missing_obj[256], extra_obj[256]; /* whole objects already reported */
} differ;

static void differs(differ *d, const char *fmt, ...) BTI_PRINTF(2, 3);

static void differs(differ *d, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	d->count++;
	if (!d->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	d->fn(text, d->payload);
}

static void only_expected(differ *d, const shape_cursor *e)
{
	if (!*e->item) {
		differs(d, "%s %s is missing", e->def, e->obj);
		snprintf(d->missing_obj, sizeof(d->missing_obj), "%s", e->obj);
	} else if (strcmp(e->obj, d->missing_obj) != 0) {
		differs(d, "table %s lacks %s", e->obj, e->item);
	}
}

static void only_actual(differ *d, const shape_cursor *a)
{
	if (!*a->item) {
		differs(d, "%s %s is not in schema version %d", a->def, a->obj, d->version);
		snprintf(d->extra_obj, sizeof(d->extra_obj), "%s", a->obj);
	} else if (strcmp(a->obj, d->extra_obj) != 0) {
		differs(d, "table %s has %s, which schema version %d does not have", a->obj, a->item,
			d->version);
	}
}

static int shape_cmp(const shape_cursor *e, const shape_cursor *a)
{
	int c;

	if (!e->row || !a->row)
		return e->row ? -1 : 1;
	c = strcmp(e->obj, a->obj);
	return c ? c : strcmp(e->item, a->item);
}

/* Walk both ordered shapes side by side. */
static int merge_shapes(sqlite3 *mem, shape_cursor *e, bti_sqlite_store *st, shape_cursor *a, differ *d)
{
	int rc = shape_next(mem, e);

	if (rc == BT_OK)
		rc = shape_next(st->sql, a);
	while (rc == BT_OK && (e->row || a->row)) {
		int c = shape_cmp(e, a);

		if (c < 0) {
			only_expected(d, e);
		} else if (c > 0) {
			only_actual(d, a);
		} else if (strcmp(e->def, a->def) != 0) {
			if (*e->item)
				differs(d, "table %s: %s is '%s' where schema version %d has '%s'", a->obj,
					a->item, a->def, d->version, e->def);
			else
				differs(d, "%s is a %s where schema version %d has a %s", a->obj, a->def,
					d->version, e->def);
		}
		if (c <= 0)
			rc = shape_next(mem, e);
		if (rc == BT_OK && c >= 0)
			rc = shape_next(st->sql, a);
	}
	return rc;
}

int bti_sqlite_op_schema_diff(bti_store *base, int version, bti_schema_diff_fn fn, void *payload,
			  size_t *count_out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	shape_cursor e = { NULL, 0, NULL, NULL, NULL }, a = { NULL, 0, NULL, NULL, NULL };
	differ d;
	sqlite3 *mem = NULL;
	int rc;

	memset(&d, 0, sizeof(d));
	d.version = version;
	d.fn = fn;
	d.payload = payload;
	rc = build_expected(st->migrations, version, &mem);
	if (rc != BT_OK)
		return rc;
	rc = sqlite3_prepare_v2(mem, SQL_SHAPE, -1, &e.stmt, NULL);
	rc = rc == SQLITE_OK ? bti_sqlite_stmt(st, SQL_SHAPE, &a.stmt)
			     : bti_sqlite_fail(mem, rc, "reading the expected schema");
	if (rc == BT_OK) {
		rc = merge_shapes(mem, &e, st, &a, &d);
		bti_sqlite_release(a.stmt);
	}
	sqlite3_finalize(e.stmt);
	sqlite3_close(mem);
	*count_out = d.count;
	return rc;
}

/* ---- health checks ---- */

/* quick_check skips the checks that read every page of every index (that
 * each index holds exactly its table's rows, UNIQUE): on 100k tickets it is
 * the difference between seconds and a fraction of one. */
int bti_sqlite_op_check_integrity(bti_store *base, int full, int64_t *errors_out, char *first,
				  size_t size)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt = NULL;
	const char *pragma = full ? "PRAGMA integrity_check(100)" : "PRAGMA quick_check(100)";
	int rc = sqlite3_prepare_v2(st->sql, pragma, -1, &stmt, NULL);

	*errors_out = 0;
	first[0] = '\0';
	while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(stmt, 0);

		rc = SQLITE_OK;
		if (line && strcmp(line, "ok") == 0)
			continue;
		if (++*errors_out == 1)
			snprintf(first, size, "%s", line ? line : "(no message)");
	}
	if (rc == SQLITE_DONE || rc == SQLITE_OK) {
		rc = BT_OK;
	} else if ((rc & 0xff) == SQLITE_CORRUPT) {
		/* The check itself can trip over the damage it looks for. */
		if (++*errors_out == 1)
			snprintf(first, size, "%s", sqlite3_errmsg(st->sql));
		rc = BT_OK;
	} else {
		rc = bti_sqlite_fail(st->sql, rc, full ? "PRAGMA integrity_check" : "PRAGMA quick_check");
	}
	sqlite3_finalize(stmt);
	if (rc == BT_ECORRUPT)
		rc = bti_error_rewrap(BT_ECORRUPT, "%s: not a SQLite database",
				      sqlite3_db_filename(st->sql, "main"));
	return rc;
}

/* The fixes doctor advises, in SQLite's own terms: its shell, its pragmas
 * and the statements that clear each kind of orphan. */
void bti_sqlite_op_advice(const char *problem, const char *location, long pid, char *buf,
			  size_t size)
{
	static const struct { const char *problem, *text; } fixed[] = {
		{ "orphan_logs", "delete them: DELETE FROM error_logs WHERE "
		  "ticket_id NOT IN (SELECT id FROM tickets)" },
		{ "orphan_events", "delete them: DELETE FROM ticket_events WHERE "
		  "ticket_id NOT IN (SELECT id FROM tickets)" },
		{ "orphan_aliases", "delete them: DELETE FROM fingerprint_aliases WHERE "
		  "ticket_id NOT IN (SELECT id FROM tickets)" },
		{ "dangling_duplicates", "clear them: UPDATE tickets SET duplicate_of = NULL "
		  "WHERE duplicate_of NOT IN (SELECT id FROM tickets)" },
	};

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp(problem, fixed[i].problem) == 0) {
			snprintf(buf, size, "%s", fixed[i].text);
			return;
		}
	if (strcmp(problem, "integrity") == 0)
		snprintf(buf, size, "restore a backup, or save what is readable: "
			 "sqlite3 %s .recover | sqlite3 recovered.db", location);
	else if (strcmp(problem, "foreign_keys") == 0)
		snprintf(buf, size, "list them with: sqlite3 %s '%s'", location,
			 bti_sqlite_ops.foreign_key_check);
	else if (strcmp(problem, "wal_reader") == 0)
		snprintf(buf, size, "end that read transaction (a long query, a sqlite3 shell inside "
			 "BEGIN, a backup tool; see which process with: ps -p %ld); the next write "
			 "then checkpoints the WAL and it stops growing (README: a WAL that keeps "
			 "growing)", pid);
}

static const char SQL_TABLE_EXISTS[] =
	"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1";

static int table_exists(bti_sqlite_store *st, const char *table, int *out)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_TABLE_EXISTS, &stmt);

	if (rc != BT_OK)
		return rc;
	bti_bind_text(stmt, 1, table);
	rc = sqlite3_step(stmt);
	*out = rc == SQLITE_ROW && sqlite3_column_int(stmt, 0) > 0;
	rc = rc == SQLITE_ROW ? BT_OK : bti_sqlite_fail(st->sql, rc, "reading the schema");
	bti_sqlite_release(stmt);
	return rc;
}

/* One count, or -1 when a table it needs is missing. */
static int count_if(bti_sqlite_store *st, const char *need1, const char *need2, const char *sql_text,
		    int64_t *out)
{
	sqlite3_stmt *stmt;
	int has1 = 1, has2 = 1, rc;

	*out = -1;
	rc = table_exists(st, need1, &has1);
	if (rc == BT_OK && need2)
		rc = table_exists(st, need2, &has2);
	if (rc != BT_OK || !has1 || !has2)
		return rc;
	rc = bti_sqlite_stmt(st, sql_text, &stmt);
	if (rc != BT_OK)
		return rc;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(stmt, 0);
	rc = rc == SQLITE_ROW ? BT_OK : bti_sqlite_fail(st->sql, rc, "counting rows");
	bti_sqlite_release(stmt);
	return rc;
}

static const char SQL_FK_CHECK[] = "SELECT count(*) FROM pragma_foreign_key_check";
static const char SQL_COUNT_TICKETS[] = "SELECT count(*) FROM tickets";
static const char SQL_COUNT_LOGS[] = "SELECT count(*) FROM error_logs";
static const char SQL_COUNT_EVENTS[] = "SELECT count(*) FROM ticket_events";
static const char SQL_ORPHAN_LOGS[] =
	"SELECT count(*) FROM error_logs l WHERE l.ticket_id IS NOT NULL"
	" AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = l.ticket_id)";
static const char SQL_ORPHAN_EVENTS[] =
	"SELECT count(*) FROM ticket_events e"
	" WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = e.ticket_id)";
static const char SQL_ORPHAN_ALIASES[] =
	"SELECT count(*) FROM fingerprint_aliases a"
	" WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = a.ticket_id)";
static const char SQL_DANGLING_DUPLICATES[] =
	"SELECT count(*) FROM tickets d WHERE d.duplicate_of IS NOT NULL"
	" AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = d.duplicate_of)";

static int check_rows(bti_sqlite_store *st, bti_check_rows *r)
{
	sqlite3_stmt *stmt;
	int rc = bti_sqlite_stmt(st, SQL_FK_CHECK, &stmt);

	if (rc != BT_OK)
		return rc;
	rc = sqlite3_step(stmt);
	r->fk_violations = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	rc = rc == SQLITE_ROW ? BT_OK : bti_sqlite_fail(st->sql, rc, "PRAGMA foreign_key_check");
	bti_sqlite_release(stmt);
	if (rc == BT_OK)
		rc = count_if(st, "tickets", NULL, SQL_COUNT_TICKETS, &r->tickets);
	if (rc == BT_OK)
		rc = count_if(st, "error_logs", NULL, SQL_COUNT_LOGS, &r->error_logs);
	if (rc == BT_OK)
		rc = count_if(st, "ticket_events", NULL, SQL_COUNT_EVENTS, &r->ticket_events);
	if (rc == BT_OK)
		rc = count_if(st, "error_logs", "tickets", SQL_ORPHAN_LOGS, &r->orphan_logs);
	if (rc == BT_OK)
		rc = count_if(st, "ticket_events", "tickets", SQL_ORPHAN_EVENTS, &r->orphan_events);
	if (rc == BT_OK)
		rc = count_if(st, "fingerprint_aliases", "tickets", SQL_ORPHAN_ALIASES,
			      &r->orphan_aliases);
	if (rc == BT_OK)
		rc = count_if(st, "tickets", NULL, SQL_DANGLING_DUPLICATES, &r->dangling_duplicates);
	return rc;
}

int bti_sqlite_op_check_rows(bti_store *base, bti_check_rows *out)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	/* One snapshot: a writer committing in between would make the counts
	 * and the orphans disagree. */
	int rc = bti_sqlite_exec_retry(st, "BEGIN", "starting a read");

	if (rc != BT_OK)
		return rc;
	rc = check_rows(st, out);
	if (sqlite3_exec(st->sql, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		bti_sqlite_op_rollback(&st->base);
	return rc;
}

static const char SQL_COUNTERS[] = "SELECT name, value, updated_at FROM counters ORDER BY name";

int bti_sqlite_op_counters(bti_store *base, bti_counter_fn fn, void *payload)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;
	int has, rc = table_exists(st, "counters", &has);

	if (rc != BT_OK || !has)
		return rc;
	rc = bti_sqlite_stmt(st, SQL_COUNTERS, &stmt);
	if (rc != BT_OK)
		return rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(stmt, 0);

		fn(name ? name : "", sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 2),
		   payload);
	}
	rc = rc == SQLITE_DONE ? BT_OK : bti_sqlite_fail(st->sql, rc, "reading counters");
	bti_sqlite_release(stmt);
	return rc;
}

/* ---- the WAL ---- */

/*
 * The WAL-index header at the start of the -shm file, in native byte
 * order (sqlite.org/walformat.html): the page size at byte 14, the last
 * valid frame (mxFrame) at 16, the frames a checkpoint wrote back
 * (nBackfill) at 96.  A reader holds a POSIX read lock on one of bytes
 * 123..127 of that file (the unix VFS's WAL_READ_LOCK(0..4)) for as long
 * as its read transaction lasts, and no checkpoint goes past the frame it
 * started from.  Read with pread and F_GETLK only: this takes no lock and
 * changes nothing.
 */
#define SHM_PAGE_SIZE 14
#define SHM_MX_FRAME 16
#define SHM_BACKFILL 96
#define SHM_READ_LOCKS 123
#define SHM_READ_LOCK_COUNT 5

void bti_sqlite_op_wal_state(const char *path, bti_wal_state *out)
{
	size_t len = strlen(path);
	char *shm = bti_malloc(len + 5);
	unsigned char hdr[SHM_BACKFILL + 4];
	uint32_t mx_frame, backfill;
	uint16_t page;
	struct flock lk;
	struct stat sb;
	int fd;

	memset(out, 0, sizeof(*out));
	out->autocheckpoint = BTI_SQLITE_AUTOCHECKPOINT;
	if (!shm)
		return;
	memcpy(shm, path, len);
	memcpy(shm + len, "-wal", 5);
	if (stat(shm, &sb) == 0)
		out->wal_bytes = (int64_t)sb.st_size;
	memcpy(shm + len, "-shm", 5);
	fd = open(shm, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bti_free(shm);
	if (fd < 0)
		return;
	if (pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr)) {
		memcpy(&page, hdr + SHM_PAGE_SIZE, sizeof(page));
		memcpy(&mx_frame, hdr + SHM_MX_FRAME, sizeof(mx_frame));
		memcpy(&backfill, hdr + SHM_BACKFILL, sizeof(backfill));
		/* 65536 is stored as 1 */
		out->frame_bytes = (int64_t)((page & 0xfe00) + ((page & 1) << 16)) + 24;
		if (mx_frame > backfill)
			out->pending_frames = (int64_t)mx_frame - backfill;
	}
	memset(&lk, 0, sizeof(lk));
	lk.l_type = F_WRLCK;
	lk.l_whence = SEEK_SET;
	lk.l_start = SHM_READ_LOCKS;
	lk.l_len = SHM_READ_LOCK_COUNT;
	if (fcntl(fd, F_GETLK, &lk) == 0 && lk.l_type != F_UNLCK)
		out->reader_pid = (long)lk.l_pid;
	close(fd);
}

/* SQLite's one metric of its own: the size of the -wal file, measured
 * before the check opened it (opening may create one). */
static const char SQL_SPACE[] =
	"SELECT p.page_count * s.page_size, f.freelist_count * s.page_size"
	" FROM pragma_page_count p, pragma_freelist_count f, pragma_page_size s";

/* SQLite's metrics of its own: the size of the -wal file, measured before
 * the check opened it (opening may create one), and the file's size and
 * its free pages, which only VACUUM gives back. */
int bti_sqlite_op_check_metrics(bti_store *base, const bti_wal_state *wal, bti_metric_fn fn,
				void *payload)
{
	bti_sqlite_store *st = (bti_sqlite_store *)base;
	sqlite3_stmt *stmt;

	fn("wal_bytes", wal->wal_bytes, NULL, payload);
	/* A damaged file may not even give its page counts: then there is no
	 * space to report, and the damage is the integrity check's to say. */
	if (sqlite3_prepare_v2(st->sql, SQL_SPACE, -1, &stmt, NULL) != SQLITE_OK)
		return BT_OK;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		fn("file_bytes", sqlite3_column_int64(stmt, 0), NULL, payload);
		fn("free_bytes", sqlite3_column_int64(stmt, 1), NULL, payload);
	}
	sqlite3_finalize(stmt);
	return BT_OK;
}
