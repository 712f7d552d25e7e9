/*
 * open.c - bt_open and bt_close: options, the default path, and what a
 * handle starts and stops (the store, the writer of asynchronous capture,
 * the crash handler's spool, fork bookkeeping).
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "async.h"
#include "context.h"
#include "crash.h"
#include "db.h"
#include "versioned.h"
#include "vocab.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000
#define DEFAULT_MAX_MESSAGE 16384
#define KNOWN_OPEN_FLAGS (BT_OPEN_READONLY | BT_OPEN_NO_MIGRATE | BT_OPEN_DURABLE | \
			  BT_OPEN_NO_REDACT | BT_OPEN_STACK_IN_FINGERPRINT | BT_OPEN_NO_CREATE | \
			  BT_OPEN_SYNC | BT_OPEN_HOST_CHECKPOINT)

static int valid_level(bt_level level)
{
	return level == BT_DEBUG || level == BT_INFO || level == BT_WARNING ||
	       level == BT_ERROR || level == BT_CRITICAL;
}

/* The SLA fields by bt_severity (index 0 unused), as the policy is kept
 * inside: the public struct names each severity instead, so that one can
 * be added without a new layout. */
static void sla_by_severity(const bt_open_options *o, int64_t out[5])
{
	out[0] = 0;
	out[BT_SEVERITY_LOW] = o->sla_low_ms;
	out[BT_SEVERITY_MEDIUM] = o->sla_medium_ms;
	out[BT_SEVERITY_HIGH] = o->sla_high_ms;
	out[BT_SEVERITY_CRITICAL] = o->sla_critical_ms;
}

/* Copy the caller's options over the defaults, as far as its version goes. */
static int read_options(const bt_open_options *in, bt_open_options *o)
{
	int rc = bti_versioned_in(&bti_v_open_options, "bt_open", in, o);

	if (rc != BT_OK)
		return rc;
	if (o->flags & ~KNOWN_OPEN_FLAGS)
		return bti_error(BT_EINVALID, "bt_open: unknown flags 0x%x", o->flags & ~KNOWN_OPEN_FLAGS);
	if (o->busy_timeout_ms < 0)
		return bti_error(BT_EINVALID, "bt_open: negative busy_timeout_ms %d", o->busy_timeout_ms);
	if (o->async_overflow != BT_OVERFLOW_DROP && o->async_overflow != BT_OVERFLOW_BLOCK)
		return bti_error(BT_EINVALID, "bt_open: unknown async_overflow %d (use "
				 "BT_OVERFLOW_DROP or BT_OVERFLOW_BLOCK)", (int)o->async_overflow);
	if (o->log_rows_per_ticket < BT_LOG_ROWS_UNLIMITED)
		return bti_error(BT_EINVALID, "bt_open: log_rows_per_ticket %d is below BT_LOG_ROWS_UNLIMITED",
				 o->log_rows_per_ticket);
	int64_t sla[5];

	sla_by_severity(o, sla);
	for (int s = BT_SEVERITY_LOW; s <= BT_SEVERITY_CRITICAL; s++)
		if (sla[s] < 0 || sla[s] > BTI_TIME_MAX)
			return bti_error(BT_EINVALID, "bt_open: sla_%s_ms %lld is outside 0..%lld",
					 bt_severity_name((bt_severity)s), (long long)sla[s],
					 (long long)BTI_TIME_MAX);
	if (o->dedup_window_ms < 0 || o->dedup_window_ms > BTI_TIME_MAX)
		return bti_error(BT_EINVALID, "bt_open: dedup_window_ms %lld is outside 0..%lld",
				 (long long)o->dedup_window_ms, (long long)BTI_TIME_MAX);
	if ((o->store_level && !valid_level(o->store_level)) ||
	    (o->ticket_level && !valid_level(o->ticket_level)) ||
	    (o->stack_trace_level && !valid_level(o->stack_trace_level)))
		return bti_error(BT_EINVALID, "bt_open: unknown level in store_level, ticket_level "
				 "or stack_trace_level (use BT_DEBUG..BT_CRITICAL)");
	return BT_OK;
}

static void free_keys(char **keys)
{
	size_t i;

	for (i = 0; keys && keys[i]; i++)
		bti_free(keys[i]);
	bti_free(keys);
}

static int copy_keys(const char *const *keys, char ***out)
{
	size_t n = 0, i;
	char **copy;

	*out = NULL;
	if (!keys)
		return BT_OK;
	while (keys[n])
		n++;
	copy = bti_calloc(n + 1, sizeof(*copy));
	if (!copy)
		return bti_error(BT_ENOMEM, "bt_open: out of memory");
	for (i = 0; i < n; i++) {
		copy[i] = bti_strdup(keys[i]);
		if (!copy[i]) {
			free_keys(copy);
			return bti_error(BT_ENOMEM, "bt_open: out of memory");
		}
	}
	*out = copy;
	return BT_OK;
}

static int resolve_config(const bt_open_options *o, bti_config *cfg)
{
	cfg->flags = o->flags;
	if (cfg->flags & BT_OPEN_READONLY)
		cfg->flags |= BT_OPEN_NO_MIGRATE;
	cfg->store_level = o->store_level ? o->store_level : BT_INFO;
	cfg->ticket_level = o->ticket_level ? o->ticket_level : BT_CRITICAL;
	cfg->stack_level = o->stack_trace_level;
	cfg->dedup_window_ms = o->dedup_window_ms;
	cfg->max_message_bytes = o->max_message_bytes ? o->max_message_bytes : DEFAULT_MAX_MESSAGE;
	cfg->clock = o->clock;
	cfg->clock_payload = o->clock_payload;
	cfg->log_rows_per_ticket = o->log_rows_per_ticket == BT_LOG_ROWS_UNLIMITED ? 0
		: o->log_rows_per_ticket ? o->log_rows_per_ticket : 100;
	cfg->pid = (long)getpid();
	int64_t sla[5];

	sla_by_severity(o, sla);
	bti_sla_policy(sla, cfg->sla_ms);
	return copy_keys(o->redact_keys, &cfg->redact_keys);
}

int bti_db_open(bt_db **out, const char *path, const bt_open_options *opts,
		const bti_migration_set *migrations)
{
	bt_open_options o;
	bt_db *db;
	int rc;

	if (!out)
		return bti_error(BT_EINVALID, "bt_open: out is NULL");
	*out = NULL;
	rc = read_options(opts, &o);
	if (rc != BT_OK)
		return rc;

	db = bti_calloc(1, sizeof(*db));
	if (!db)
		return bti_error(BT_ENOMEM, "bt_open: out of memory");
	if (pthread_mutex_init(&db->lock, NULL) != 0) {
		bti_free(db);
		return bti_error(BT_ENOMEM, "bt_open: cannot create a mutex");
	}
	rc = resolve_config(&o, &db->cfg);
	if (rc == BT_OK) {
		db->path = bti_strdup(bt_location_resolve(path));
		db->path_shown = db->path ? bti_location_shown(db->path) : NULL;
		rc = db->path_shown ? bti_context_init(db)
				    : bti_error(BT_ENOMEM, "bt_open: out of memory");
	}
	int busy = o.busy_timeout_ms ? o.busy_timeout_ms : DEFAULT_BUSY_TIMEOUT_MS;
	db->busy_timeout_ms = busy;
	db->fork_gen = bti_fork_generation();
	/* The backend's own set, unless a test brings a later one. */
	db->migrations = migrations ? migrations : bti_store_migrations(db->path);
	bti_process_open_begin();
	if (rc == BT_OK)
		rc = bti_store_open(&db->store, db->path, db->cfg.flags, busy, db->migrations);
	if (rc == BT_OK)
		db->store->notice = &db->notice;
	/* Asynchronous capture is the default: a read-only handle captures
	 * nothing, and BT_OPEN_SYNC asks for a commit per call. */
	if (rc == BT_OK && !(db->cfg.flags & (BT_OPEN_SYNC | BT_OPEN_READONLY)))
		rc = bti_async_start(db, &o, busy);
	if (rc == BT_OK)
		bti_process_add(db);
	/* Crashes of an earlier run become tickets now (see crash_ingest.c). */
	if (rc == BT_OK)
		bti_crash_ingest_at_open(db);
	bti_process_open_end();
	if (rc != BT_OK) {
		bt_close(db);
		return rc;
	}
	*out = db;
	return BT_OK;
}

int bt_open(bt_db **out, const char *path, const bt_open_options *opts)
{
	return bti_db_open(out, path, opts, NULL);
}

void bt_close(bt_db *db)
{
	if (!db)
		return;
	/* Out of the list first, so that fork() and exit leave it alone.  In
	 * a child that never used an inherited handle, there is nothing of
	 * its own to commit: the parent commits what was pending. */
	bti_process_remove(db);
	bti_crash_forget(db); /* the handler it installed, and its spool */
	/* The writer commits what is pending through the store. */
	bti_async_stop(db->async);
	bti_store_close(db->store);
	pthread_mutex_destroy(&db->lock);
	bti_context_free(db);
	free_keys(db->cfg.redact_keys);
	bti_free(db->path);
	bti_free(db->path_shown);
	bti_free(db);
}
