/*
 * versioned.c - the versioned structs of the API, and the one rule that
 * reads and writes them (versioned.h).  A new version of a struct is made
 * here: bump its BT_*_VERSION in bugtrack.h, append its fields, and add
 * its size below.
 */
#include <string.h>

#include "versioned.h"

int bti_versioned_check(const bti_versioned *t, const char *caller, const void *s)
{
	unsigned int v;

	if (!s)
		return bti_error(BT_EINVALID, "%s: %s is NULL", caller, t->name);
	memcpy(&v, s, sizeof(v));
	if (v == 0 || v > t->latest)
		return bti_error(BT_EINVALID, "%s: unknown %s version %u (this library knows "
				 "1..%u); initialise it with %s", caller, t->name, v, t->latest,
				 t->init);
	return BT_OK;
}

static void defaults(const bti_versioned *t, void *dst)
{
	if (t->defaults)
		memcpy(dst, t->defaults, t->sizes[t->latest]);
	else
		memset(dst, 0, t->sizes[t->latest]);
	memcpy(dst, &t->latest, sizeof(t->latest));
}

int bti_versioned_in(const bti_versioned *t, const char *caller, const void *src, void *dst)
{
	unsigned int v;
	int rc;

	defaults(t, dst);
	if (!src)
		return BT_OK;
	rc = bti_versioned_check(t, caller, src);
	if (rc != BT_OK)
		return rc;
	memcpy(&v, src, sizeof(v));
	memcpy(dst, src, t->sizes[v]);
	memcpy(dst, &t->latest, sizeof(t->latest));
	return BT_OK;
}

void bti_versioned_out(const bti_versioned *t, void *dst, const void *src)
{
	unsigned int v;

	memcpy(&v, dst, sizeof(v));
	if (v == 0 || v > t->latest)
		return; /* the caller skipped bti_versioned_check: write nothing */
	memcpy((char *)dst + sizeof(v), (const char *)src + sizeof(v), t->sizes[v] - sizeof(v));
}

int bti_versioned_init(const bti_versioned *t, const char *caller, void *dst,
		       unsigned int version)
{
	if (!dst)
		return bti_error(BT_EINVALID, "%s: %s is NULL", caller, t->name);
	if (version == 0 || version > t->latest)
		return bti_error(BT_EINVALID, "%s: unknown %s version %u (this library knows "
				 "1..%u)", caller, t->name, version, t->latest);
	if (t->defaults)
		memcpy(dst, t->defaults, t->sizes[version]);
	else
		memset(dst, 0, t->sizes[version]);
	memcpy(dst, &version, sizeof(version));
	return BT_OK;
}

/* ---- the tables ---- */

#define ONE_VERSION(T) { [1] = sizeof(T) }

static const bt_open_options open_defaults = BT_OPEN_OPTIONS_INIT;
const bti_versioned bti_v_open_options = {
	"bt_open_options", "BT_OPEN_OPTIONS_INIT", BT_OPEN_OPTIONS_VERSION, &open_defaults,
	ONE_VERSION(bt_open_options),
};

static const bt_event event_defaults = BT_EVENT_INIT;
const bti_versioned bti_v_event = {
	"bt_event", "BT_EVENT_INIT", BT_EVENT_VERSION, &event_defaults,
	{ [1] = offsetof(bt_event, service), [2] = sizeof(bt_event) },
};

static const bt_report report_defaults = BT_REPORT_INIT;
const bti_versioned bti_v_report = {
	"bt_report", "BT_REPORT_INIT", BT_REPORT_VERSION, &report_defaults, ONE_VERSION(bt_report),
};

static const bt_ticket_filter ticket_filter_defaults = BT_TICKET_FILTER_INIT;
const bti_versioned bti_v_ticket_filter = {
	"bt_ticket_filter", "BT_TICKET_FILTER_INIT", BT_TICKET_FILTER_VERSION,
	&ticket_filter_defaults,
	{ [1] = offsetof(bt_ticket_filter, severity), [2] = sizeof(bt_ticket_filter) },
};

static const bt_update_options update_defaults = BT_UPDATE_OPTIONS_INIT;
const bti_versioned bti_v_update_options = {
	"bt_update_options", "BT_UPDATE_OPTIONS_INIT", BT_UPDATE_OPTIONS_VERSION,
	&update_defaults, ONE_VERSION(bt_update_options),
};

static const bt_ticket_changes ticket_changes_defaults = BT_TICKET_CHANGES_INIT;
const bti_versioned bti_v_ticket_changes = {
	"bt_ticket_changes", "BT_TICKET_CHANGES_INIT", BT_TICKET_CHANGES_VERSION,
	&ticket_changes_defaults, ONE_VERSION(bt_ticket_changes),
};

static const bt_log_filter log_filter_defaults = BT_LOG_FILTER_INIT;
const bti_versioned bti_v_log_filter = {
	"bt_log_filter", "BT_LOG_FILTER_INIT", BT_LOG_FILTER_VERSION, &log_filter_defaults,
	{ [1] = offsetof(bt_log_filter, level), [2] = sizeof(bt_log_filter) },
};

static const bt_purge_options purge_defaults = BT_PURGE_OPTIONS_INIT;
const bti_versioned bti_v_purge_options = {
	"bt_purge_options", "BT_PURGE_OPTIONS_INIT", BT_PURGE_OPTIONS_VERSION, &purge_defaults,
	ONE_VERSION(bt_purge_options),
};

static const bt_aggregate_options aggregate_defaults = BT_AGGREGATE_OPTIONS_INIT;
const bti_versioned bti_v_aggregate_options = {
	"bt_aggregate_options", "BT_AGGREGATE_OPTIONS_INIT", BT_AGGREGATE_OPTIONS_VERSION,
	&aggregate_defaults, ONE_VERSION(bt_aggregate_options),
};

static const bt_import_options import_defaults = BT_IMPORT_OPTIONS_INIT;
const bti_versioned bti_v_import_options = {
	"bt_import_options", "BT_IMPORT_OPTIONS_INIT", BT_IMPORT_OPTIONS_VERSION,
	&import_defaults, ONE_VERSION(bt_import_options),
};

static const bt_crash_options crash_defaults = BT_CRASH_OPTIONS_INIT;
const bti_versioned bti_v_crash_options = {
	"bt_crash_options", "BT_CRASH_OPTIONS_INIT", BT_CRASH_OPTIONS_VERSION, &crash_defaults,
	ONE_VERSION(bt_crash_options),
};

/* Results: the library writes them, as far as the caller's version goes. */

const bti_versioned bti_v_capture_stats = {
	"bt_capture_stats", "BT_CAPTURE_STATS_INIT", BT_CAPTURE_STATS_VERSION, NULL,
	ONE_VERSION(bt_capture_stats),
};

const bti_versioned bti_v_ticket_counts = {
	"bt_ticket_counts", "BT_TICKET_COUNTS_INIT", BT_TICKET_COUNTS_VERSION, NULL,
	ONE_VERSION(bt_ticket_counts),
};

const bti_versioned bti_v_purge_result = {
	"bt_purge_result", "BT_PURGE_RESULT_INIT", BT_PURGE_RESULT_VERSION, NULL,
	ONE_VERSION(bt_purge_result),
};

static const bt_migration_info migration_info_defaults = BT_MIGRATION_INFO_INIT;
const bti_versioned bti_v_migration_info = {
	"bt_migration_info", "BT_MIGRATION_INFO_INIT", BT_MIGRATION_INFO_VERSION,
	&migration_info_defaults, ONE_VERSION(bt_migration_info),
};

static const bt_check_result check_result_defaults = BT_CHECK_RESULT_INIT;
const bti_versioned bti_v_check_result = {
	"bt_check_result", "BT_CHECK_RESULT_INIT", BT_CHECK_RESULT_VERSION,
	&check_result_defaults, ONE_VERSION(bt_check_result),
};

static const bt_import_result import_result_defaults = BT_IMPORT_RESULT_INIT;
const bti_versioned bti_v_import_result = {
	"bt_import_result", "BT_IMPORT_RESULT_INIT", BT_IMPORT_RESULT_VERSION,
	&import_result_defaults, ONE_VERSION(bt_import_result),
};

const bti_versioned bti_v_crash_ingest_result = {
	"bt_crash_ingest_result", "BT_CRASH_INGEST_RESULT_INIT", BT_CRASH_INGEST_RESULT_VERSION,
	NULL, ONE_VERSION(bt_crash_ingest_result),
};

const bti_versioned *const bti_versioned_all[] = {
	&bti_v_open_options, &bti_v_event, &bti_v_report, &bti_v_ticket_filter,
	&bti_v_update_options, &bti_v_log_filter, &bti_v_purge_options,
	&bti_v_aggregate_options, &bti_v_import_options, &bti_v_crash_options,
	&bti_v_capture_stats, &bti_v_ticket_counts, &bti_v_migration_info,
	&bti_v_check_result, &bti_v_import_result, &bti_v_crash_ingest_result,
	&bti_v_purge_result, &bti_v_ticket_changes, NULL,
};

/* ---- bt_*_init() of the structs a caller fills ---- */

#define INIT_FN(fn, T, table) \
	int fn(T *s, unsigned int version) \
	{ \
		return bti_versioned_init(&table, #fn, s, version); \
	}

INIT_FN(bt_open_options_init, bt_open_options, bti_v_open_options)
INIT_FN(bt_event_init, bt_event, bti_v_event)
INIT_FN(bt_report_init, bt_report, bti_v_report)
INIT_FN(bt_ticket_filter_init, bt_ticket_filter, bti_v_ticket_filter)
INIT_FN(bt_update_options_init, bt_update_options, bti_v_update_options)
INIT_FN(bt_ticket_changes_init, bt_ticket_changes, bti_v_ticket_changes)
INIT_FN(bt_log_filter_init, bt_log_filter, bti_v_log_filter)
INIT_FN(bt_purge_options_init, bt_purge_options, bti_v_purge_options)
INIT_FN(bt_aggregate_options_init, bt_aggregate_options, bti_v_aggregate_options)
INIT_FN(bt_crash_options_init, bt_crash_options, bti_v_crash_options)
INIT_FN(bt_import_options_init, bt_import_options, bti_v_import_options)
INIT_FN(bt_import_result_init, bt_import_result, bti_v_import_result)
