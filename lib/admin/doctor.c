/*
 * doctor.c - bt_db_check: what `bugtrack doctor` reports.  The store
 * gathers the facts (store/sqlite/doctor.c); this file decides which of
 * them are problems and what to do about each, so the tool only prints.
 *
 * The check runs on its own connection and never writes, so that it can
 * look at exactly the databases bt_open refuses.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "versioned.h"

typedef struct checker {
	const char *path;
	const bti_migration_set *set; /* the backend's migrations */
	bt_check_result *out;
	bt_check_fn fn;
	void *payload;
	bti_wal_state wal;  /* measured before the check's own connection */
	bti_store *st;
	char advice[400];
	int newest_recorded;
	int full; /* BT_CHECK_FULL */
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

static void check_record(int version, const char *name, const char *checksum, int64_t applied_at,
			 void *payload)
{
	checker *k = payload;
	const bti_migration *m = bti_migration_find(k->set, version);

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

	for (i = 0; rc == BT_OK && i < k->set->count; i++) {
		const bti_migration *m = &k->set->items[i];
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

/* Advice is the backend's: it names its own tools and statements. */
static const char *advice_for(checker *k, const char *name, long pid)
{
	bti_store_advice(k->st, name, k->path, pid, k->advice, sizeof(k->advice));
	return k->advice;
}

static void check_orphans(checker *k, const bti_check_rows *rows)
{
	int64_t explained = 0;

	if (rows->orphan_logs > 0)
		problem(k, "orphan_logs", rows->orphan_logs, advice_for(k, "orphan_logs", 0),
			"%lld error_logs rows belong to tickets that do not exist",
			(long long)rows->orphan_logs);
	if (rows->orphan_events > 0)
		problem(k, "orphan_events", rows->orphan_events, advice_for(k, "orphan_events", 0),
			"%lld ticket_events rows belong to tickets that do not exist",
			(long long)rows->orphan_events);
	if (rows->orphan_aliases > 0)
		problem(k, "orphan_aliases", rows->orphan_aliases, advice_for(k, "orphan_aliases", 0),
			"%lld fingerprint aliases lead to tickets that do not exist",
			(long long)rows->orphan_aliases);
	if (rows->dangling_duplicates > 0)
		problem(k, "dangling_duplicates", rows->dangling_duplicates,
			advice_for(k, "dangling_duplicates", 0),
			"%lld tickets are duplicates of tickets that do not exist",
			(long long)rows->dangling_duplicates);
	/* The orphans above are foreign-key violations too: report only what
	 * they do not explain. */
	explained += rows->orphan_logs > 0 ? rows->orphan_logs : 0;
	explained += rows->orphan_events > 0 ? rows->orphan_events : 0;
	explained += rows->orphan_aliases > 0 ? rows->orphan_aliases : 0;
	explained += rows->dangling_duplicates > 0 ? rows->dangling_duplicates : 0;
	if (rows->fk_violations > explained)
		problem(k, "foreign_keys", rows->fk_violations - explained,
			advice_for(k, "foreign_keys", 0),
			"%s reports %lld rows that point nowhere", k->st->ops->foreign_key_check,
			(long long)(rows->fk_violations - explained));
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

/* A measurement the backend makes of itself (BT_CHECK_METRIC), with its
 * text when it has one (PostgreSQL's server version, schema). */
static void report_metric(checker *k, const char *name, int64_t value, const char *text)
{
	bt_check_item item;

	if (!k->fn)
		return;
	memset(&item, 0, sizeof(item));
	item.version = BT_CHECK_ITEM_VERSION;
	item.kind = BT_CHECK_METRIC;
	item.name = name;
	item.value = value;
	item.message = text;
	k->fn(&item, k->payload);
}

static void backend_metric(const char *name, int64_t value, const char *text, void *payload)
{
	report_metric(payload, name, value, text);
}

/* A WAL that a reader keeps from being checkpointed grows without bound
 * (3.4 GB in an afternoon behind one forgotten read transaction): the
 * library cannot checkpoint past a reader, so say which process reads. */
static void check_wal(checker *k)
{
	bti_wal_state w;

	bti_store_wal_state(k->path, &w);
	if (!w.reader_pid || w.pending_frames <= 2 * w.autocheckpoint)
		return;
	problem(k, "wal_reader", w.pending_frames * w.frame_bytes,
		advice_for(k, "wal_reader", w.reader_pid),
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
	char first[256];
	/* Integrity first: damage in the schema itself makes every other
	 * query fail, and is what needs reporting. */
	int rc = bti_store_check_integrity(st, k->full, &errors, first, sizeof(first));

	if (rc != BT_OK)
		return rc; /* BT_ECORRUPT: not a database of this backend */
	/* What only this backend has (SQLite's WAL size, PostgreSQL's
	 * server): named by it, passed on as they come. */
	rc = bti_store_check_metrics(st, &k->wal, backend_metric, k);
	if (rc != BT_OK)
		return rc;
	report_metric(k, "integrity_ok", errors == 0, NULL);
	if (errors) {
		problem(k, "integrity", errors, advice_for(k, "integrity", 0),
			"%s found %s%lld problem%s; the first: %s",
			k->full ? st->ops->integrity_check : st->ops->quick_check,
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
	report_metric(k, "foreign_key_violations", rows.fk_violations, NULL);
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
	return bt_db_check_v2(path, BT_CHECK_FULL, out, fn, payload);
}

int bt_db_check_v2(const char *path, unsigned int flags, bt_check_result *out, bt_check_fn fn,
		   void *payload)
{
	bt_check_result all;
	checker k;
	const bti_migration_set *set;
	bti_wal_state wal;
	bti_store *st;
	int rc;

	if (bti_versioned_check(&bti_v_check_result, "bt_db_check", out) != BT_OK)
		return BT_EINVALID;
	if (flags & ~(unsigned int)BT_CHECK_FULL)
		return bti_error(BT_EINVALID, "bt_db_check_v2: unknown flags 0x%x",
				 flags & ~(unsigned int)BT_CHECK_FULL);
	path = bt_location_resolve(path);
	set = bti_store_migrations(path);
	if (!set)
		return BT_ENOTSUP;
	memset(&all, 0, sizeof(all));
	no_rows(&all);
	all.schema_latest = bti_migration_latest(set);
	/* The WAL's size before opening: opening may create one. */
	bti_store_wal_state(path, &wal);
	rc = bti_store_inspect_open(&st, path, 0, set);
	if (rc == BT_OK) {
		memset(&k, 0, sizeof(k));
		k.wal = wal;
		k.st = st;
		k.path = path;
		k.set = set;
		k.out = &all;
		k.fn = fn;
		k.payload = payload;
		k.full = (flags & BT_CHECK_FULL) != 0;
		rc = run_checks(&k, st);
		bti_store_close(st);
	}
	/* What was found before a failure is kept, as before. */
	bti_versioned_out(&bti_v_check_result, out, &all);
	return rc;
}
