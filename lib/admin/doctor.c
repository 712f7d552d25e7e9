/*
 * doctor.c - bt_db_check: what `bugtrack doctor` reports.  The store
 * gathers the facts (store/sqlite/doctor.c); this file decides which of
 * them are problems and what to do about each, so the tool only prints.
 *
 * The check runs on its own connection and never writes, so that it can
 * look at exactly the databases bt_open refuses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db.h"
#include "versioned.h"

typedef struct checker {
	const char *path;
	bt_check_result *out;
	bt_check_fn fn;
	void *payload;
	int newest_recorded;
	int gap; /* the first embedded version missing below a recorded one */
} checker;

static void problem(checker *k, const char *name, int64_t value, const char *advice,
		    const char *fmt, ...) BTI_PRINTF(5, 6);

static void problem(checker *k, const char *name, int64_t value, const char *advice,
		    const char *fmt, ...)
{
	bt_check_item item;
	char message[512];
	va_list ap;

	k->out->problems++;
	if (!k->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	memset(&item, 0, sizeof(item));
	item.version = BT_CHECK_ITEM_VERSION;
	item.kind = BT_CHECK_PROBLEM;
	item.name = name;
	item.value = value;
	item.message = message;
	item.advice = advice;
	k->fn(&item, k->payload);
}

static const bti_migration *embedded(int version)
{
	size_t i;

	for (i = 0; i < bti_builtin_migrations.count; i++)
		if (bti_builtin_migrations.items[i].version == version)
			return &bti_builtin_migrations.items[i];
	return NULL;
}

static void check_record(int version, const char *name, const char *checksum, int64_t applied_at,
			 void *payload)
{
	checker *k = payload;
	const bti_migration *m = embedded(version);

	(void)applied_at;
	if (version > k->newest_recorded)
		k->newest_recorded = version;
	if (!m) {
		k->out->checksum_mismatches++;
		problem(k, "unknown_migration", 1, "use a bugtrack built with that migration (a newer "
			"release), or restore a backup",
			"the database records migration %04d_%s, which this library does not have",
			version, name);
	} else if (strcmp(checksum, m->checksum) != 0) {
		k->out->checksum_mismatches++;
		problem(k, "checksum", 1, "use the libbugtrack build that applied it; released "
			"migrations must never be edited",
			"migration %04d_%s: the checksum recorded in the database (%.12s) differs from "
			"this library's (%.12s)", version, m->name, checksum, m->checksum);
	}
}

/* Which embedded migrations below the newest recorded one are missing. */
typedef struct seen_set {
	int version;
	int seen;
} seen_set;

static void find_version(int version, const char *name, const char *checksum,
			 int64_t applied_at, void *payload)
{
	seen_set *s = payload;

	(void)name;
	(void)checksum;
	(void)applied_at;
	s->seen |= version == s->version;
}

static int check_gaps(checker *k, bti_store *st)
{
	size_t i;
	int rc = BT_OK;

	for (i = 0; rc == BT_OK && i < bti_builtin_migrations.count; i++) {
		const bti_migration *m = &bti_builtin_migrations.items[i];
		seen_set s = { m->version, 0 };

		if (m->version >= k->newest_recorded)
			break;
		rc = bti_store_migration_records(st, find_version, &s);
		if (rc == BT_OK && !s.seen)
			problem(k, "missing_migration", 1, "the database was migrated by a different "
				"build; restore a backup",
				"migration %04d_%s is not recorded, although a later one is", m->version,
				m->name);
	}
	return rc;
}

static int check_schema(checker *k, bti_store *st, bt_db_kind kind)
{
	bt_check_result *r = k->out;
	int rc;

	r->tracked = kind == BT_DB_TRACKED;
	switch (kind) {
	case BT_DB_EMPTY:
		problem(k, "empty", 1, "run 'bugtrack migrate up' to create the schema",
			"the database has no tables");
		return BT_OK;
	case BT_DB_FOREIGN:
		problem(k, "foreign", 1, "check the path (--db, or $BUGTRACK_DB)",
			"the database holds tables, but not bugtrack's");
		return BT_OK;
	case BT_DB_UNTRACKED:
		problem(k, "untracked", 1, "run 'bugtrack migrate stamp' to record its schema version",
			"the database has bugtrack tables but no schema_migrations: it predates "
			"tracked migrations");
		return BT_OK;
	default:
		break;
	}
	rc = bti_store_migration_records(st, check_record, k);
	if (rc == BT_OK)
		rc = check_gaps(k, st);
	r->schema_current = k->newest_recorded;
	if (rc == BT_OK && r->checksum_mismatches == 0 && r->schema_current < r->schema_latest)
		problem(k, "pending", r->schema_latest - r->schema_current,
			"run 'bugtrack migrate up'",
			"schema version %d is older than this library's %d", r->schema_current,
			r->schema_latest);
	return rc;
}

static void check_orphans(checker *k, const bti_check_rows *rows)
{
	int64_t explained = 0;

	if (rows->orphan_logs > 0)
		problem(k, "orphan_logs", rows->orphan_logs, "delete them: DELETE FROM error_logs WHERE "
			"ticket_id NOT IN (SELECT id FROM tickets)",
			"%lld error_logs rows belong to tickets that do not exist",
			(long long)rows->orphan_logs);
	if (rows->orphan_events > 0)
		problem(k, "orphan_events", rows->orphan_events, "delete them: DELETE FROM "
			"ticket_events WHERE ticket_id NOT IN (SELECT id FROM tickets)",
			"%lld ticket_events rows belong to tickets that do not exist",
			(long long)rows->orphan_events);
	if (rows->orphan_aliases > 0)
		problem(k, "orphan_aliases", rows->orphan_aliases, "delete them: DELETE FROM "
			"fingerprint_aliases WHERE ticket_id NOT IN (SELECT id FROM tickets)",
			"%lld fingerprint aliases lead to tickets that do not exist",
			(long long)rows->orphan_aliases);
	if (rows->dangling_duplicates > 0)
		problem(k, "dangling_duplicates", rows->dangling_duplicates, "clear them: UPDATE "
			"tickets SET duplicate_of = NULL WHERE duplicate_of NOT IN (SELECT id FROM tickets)",
			"%lld tickets are duplicates of tickets that do not exist",
			(long long)rows->dangling_duplicates);
	/* The orphans above are foreign-key violations too: report only what
	 * they do not explain. */
	explained += rows->orphan_logs > 0 ? rows->orphan_logs : 0;
	explained += rows->orphan_events > 0 ? rows->orphan_events : 0;
	explained += rows->orphan_aliases > 0 ? rows->orphan_aliases : 0;
	explained += rows->dangling_duplicates > 0 ? rows->dangling_duplicates : 0;
	if (rows->fk_violations > explained) {
		char advice[400];

		snprintf(advice, sizeof(advice), "list them with: sqlite3 %s 'PRAGMA foreign_key_check'",
			 k->path);
		problem(k, "foreign_keys", rows->fk_violations - explained, advice,
			"PRAGMA foreign_key_check reports %lld rows that point nowhere",
			(long long)(rows->fk_violations - explained));
	}
}

static void report_counter(const char *name, int64_t value, int64_t updated_at, void *payload)
{
	checker *k = payload;
	bt_check_item item;

	if (!k->fn)
		return;
	memset(&item, 0, sizeof(item));
	item.version = BT_CHECK_ITEM_VERSION;
	item.kind = BT_CHECK_COUNTER;
	item.name = name;
	item.value = value;
	item.updated_at = updated_at;
	k->fn(&item, k->payload);
}

static int64_t wal_size(const char *path)
{
	size_t len = strlen(path);
	char *wal = bti_malloc(len + 5);
	struct stat sb;
	int64_t size = 0;

	if (!wal)
		return 0;
	memcpy(wal, path, len);
	memcpy(wal + len, "-wal", 5);
	if (stat(wal, &sb) == 0)
		size = (int64_t)sb.st_size;
	bti_free(wal);
	return size;
}

/* A WAL that a reader keeps from being checkpointed grows without bound
 * (3.4 GB in an afternoon behind one forgotten read transaction): the
 * library cannot checkpoint past a reader, so say which process reads. */
static void check_wal(checker *k)
{
	bti_wal_state w;
	char advice[400];

	bti_store_wal_state(k->path, &w);
	if (!w.reader_pid || w.pending_frames <= 2 * w.autocheckpoint)
		return;
	snprintf(advice, sizeof(advice),
		 "end that read transaction (a long query, a sqlite3 shell inside BEGIN, a backup "
		 "tool; see which process with: ps -p %ld); the next "
		 "write then checkpoints the WAL and it stops growing (README: a WAL that keeps "
		 "growing)", w.reader_pid);
	problem(k, "wal_reader", w.pending_frames * w.frame_bytes, advice,
		"the WAL holds %lld MB that no checkpoint can write back while process %ld "
		"keeps a read transaction open",
		(long long)(w.pending_frames * w.frame_bytes >> 20), w.reader_pid);
}

static void no_rows(bt_check_result *r)
{
	r->tickets = r->error_logs = r->ticket_events = -1;
	r->orphan_logs = r->orphan_events = r->orphan_aliases = r->dangling_duplicates = -1;
}

static int run_checks(checker *k, bti_store *st)
{
	bt_check_result *r = k->out;
	bti_check_rows rows;
	bt_db_kind kind;
	int64_t errors;
	char first[256], advice[400];
	/* Integrity first: damage in the schema itself makes every other
	 * query fail, and is what needs reporting. */
	int rc = bti_store_check_integrity(st, &errors, first, sizeof(first));

	if (rc == BT_ECORRUPT)
		return bti_error_with_sqlite(BT_ECORRUPT, bt_error_sqlite_code(),
					     "%s: not a SQLite database", k->path);
	if (rc != BT_OK)
		return rc;
	r->integrity_ok = errors == 0;
	if (!r->integrity_ok) {
		snprintf(advice, sizeof(advice), "restore a backup, or save what is readable: "
			 "sqlite3 %s .recover | sqlite3 recovered.db", k->path);
		problem(k, "integrity", errors, advice,
			"PRAGMA integrity_check found %s%lld problem%s; the first: %s",
			errors >= 100 ? "at least " : "", (long long)errors, errors == 1 ? "" : "s",
			first);
		return BT_OK; /* counting rows in a damaged file tells nothing */
	}
	rc = bti_store_kind(st, k->path, &kind);
	if (rc == BT_OK)
		rc = check_schema(k, st, kind);
	if (rc == BT_OK)
		rc = bti_store_check_rows(st, &rows);
	if (rc != BT_OK)
		return rc;
	r->foreign_key_violations = rows.fk_violations;
	r->tickets = rows.tickets;
	r->error_logs = rows.error_logs;
	r->ticket_events = rows.ticket_events;
	r->orphan_logs = rows.orphan_logs;
	r->orphan_events = rows.orphan_events;
	r->orphan_aliases = rows.orphan_aliases;
	r->dangling_duplicates = rows.dangling_duplicates;
	check_orphans(k, &rows);
	check_wal(k);
	return bti_store_counters(st, report_counter, k);
}

int bt_db_check(const char *path, bt_check_result *out, bt_check_fn fn, void *payload)
{
	bt_check_result all;
	checker k;
	bti_store *st;
	int rc;

	if (bti_versioned_check(&bti_v_check_result, "bt_db_check", out) != BT_OK)
		return BT_EINVALID;
	path = bti_location_resolve(path);
	memset(&all, 0, sizeof(all));
	no_rows(&all);
	all.schema_latest = bti_builtin_migrations.count
		? bti_builtin_migrations.items[bti_builtin_migrations.count - 1].version : 0;
	/* Before opening: opening may create it. */
	all.wal_bytes = wal_size(path);
	rc = bti_store_inspect_open(&st, path, 0, &bti_builtin_migrations);
	if (rc == BT_OK) {
		memset(&k, 0, sizeof(k));
		k.path = path;
		k.out = &all;
		k.fn = fn;
		k.payload = payload;
		rc = run_checks(&k, st);
		bti_store_close(st);
	}
	/* What was found before a failure is kept, as before. */
	bti_versioned_out(&bti_v_check_result, out, &all);
	return rc;
}
