/*
 * store/postgresql/pending.c - operations of the PostgreSQL backend not written yet:
 * each answers BT_ENOTSUP.  Temporary: removed as they are written.
 */
#include "store_postgresql.h"

















int bti_pg_op_report_summary(bti_store *st, int64_t from, int64_t to, bti_report_summary *out)
{
	(void)st;
	(void)from;
	(void)to;
	(void)out;
	return bti_error(BT_ENOTSUP, "report_summary: not written yet for PostgreSQL");
}

int bti_pg_op_report_top_page(bti_store *st, int64_t from, int64_t to, int64_t after_count, int64_t after_id, bti_report_top_row *rows, size_t cap, size_t *n_out)
{
	(void)st;
	(void)from;
	(void)to;
	(void)after_count;
	(void)after_id;
	(void)rows;
	(void)cap;
	(void)n_out;
	return bti_error(BT_ENOTSUP, "report_top_page: not written yet for PostgreSQL");
}

int bti_pg_op_report_next_component(bti_store *st, const char *after, char **out)
{
	(void)st;
	(void)after;
	(void)out;
	return bti_error(BT_ENOTSUP, "report_next_component: not written yet for PostgreSQL");
}

int bti_pg_op_report_component(bti_store *st, int64_t from, int64_t to, const char *component, bti_report_counts *out)
{
	(void)st;
	(void)from;
	(void)to;
	(void)component;
	(void)out;
	return bti_error(BT_ENOTSUP, "report_component: not written yet for PostgreSQL");
}

int bti_pg_op_report_next_activity(bti_store *st, int64_t at, int64_t to, int64_t *out)
{
	(void)st;
	(void)at;
	(void)to;
	(void)out;
	return bti_error(BT_ENOTSUP, "report_next_activity: not written yet for PostgreSQL");
}

int bti_pg_op_report_day_page(bti_store *st, int64_t from, int64_t to, int has_after, const char *after, bti_report_day_row *rows, size_t cap, size_t *n_out)
{
	(void)st;
	(void)from;
	(void)to;
	(void)has_after;
	(void)after;
	(void)rows;
	(void)cap;
	(void)n_out;
	return bti_error(BT_ENOTSUP, "report_day_page: not written yet for PostgreSQL");
}

int bti_pg_op_report_mttr(bti_store *st, int64_t from, int64_t to, bti_report_mttr_row out[5])
{
	(void)st;
	(void)from;
	(void)to;
	(void)out;
	return bti_error(BT_ENOTSUP, "report_mttr: not written yet for PostgreSQL");
}

int bti_pg_op_identify(const char *path, bt_db_kind *out)
{
	(void)path;
	(void)out;
	return bti_error(BT_ENOTSUP, "identify: not written yet for PostgreSQL");
}

int bti_pg_op_kind(bti_store *st, const char *path, bt_db_kind *out)
{
	(void)st;
	(void)path;
	(void)out;
	return bti_error(BT_ENOTSUP, "kind: not written yet for PostgreSQL");
}

int bti_pg_op_schema_diff(bti_store *st, int version, bti_schema_diff_fn fn, void *payload, size_t *count_out)
{
	(void)st;
	(void)version;
	(void)fn;
	(void)payload;
	(void)count_out;
	return bti_error(BT_ENOTSUP, "schema_diff: not written yet for PostgreSQL");
}



int bti_pg_op_check_integrity(bti_store *st, int64_t *errors_out, char *first, size_t size)
{
	(void)st;
	(void)errors_out;
	(void)first;
	(void)size;
	return bti_error(BT_ENOTSUP, "check_integrity: not written yet for PostgreSQL");
}

int bti_pg_op_check_rows(bti_store *st, bti_check_rows *out)
{
	(void)st;
	(void)out;
	return bti_error(BT_ENOTSUP, "check_rows: not written yet for PostgreSQL");
}

void bti_pg_op_advice(const char *problem, const char *location, long pid, char *buf, size_t size)
{
	(void)problem;
	(void)location;
	(void)pid;
	if (size)
		buf[0] = '\0';
}

int bti_pg_op_counters(bti_store *st, bti_counter_fn fn, void *payload)
{
	(void)st;
	(void)fn;
	(void)payload;
	return bti_error(BT_ENOTSUP, "counters: not written yet for PostgreSQL");
}

int bti_pg_op_ticket_by_external_id(bti_store *st, const char *external_id, int64_t *id_out)
{
	(void)st;
	(void)external_id;
	(void)id_out;
	return bti_error(BT_ENOTSUP, "ticket_by_external_id: not written yet for PostgreSQL");
}

int bti_pg_op_ticket_origin(bti_store *st, int64_t id, int64_t *created_at_out, char **fingerprint_out)
{
	(void)st;
	(void)id;
	(void)created_at_out;
	(void)fingerprint_out;
	return bti_error(BT_ENOTSUP, "ticket_origin: not written yet for PostgreSQL");
}

int bti_pg_op_ticket_id_high(bti_store *st, int64_t *high_out)
{
	(void)st;
	(void)high_out;
	return bti_error(BT_ENOTSUP, "ticket_id_high: not written yet for PostgreSQL");
}

int bti_pg_op_ticket_insert(bti_store *st, const bt_ticket *row, int dedup_active, int grouping_version, int64_t *id_out)
{
	(void)st;
	(void)row;
	(void)dedup_active;
	(void)grouping_version;
	(void)id_out;
	return bti_error(BT_ENOTSUP, "ticket_insert: not written yet for PostgreSQL");
}

int bti_pg_op_ticket_link(bti_store *st, int64_t id, int64_t canonical, const char *fingerprint, int64_t now)
{
	(void)st;
	(void)id;
	(void)canonical;
	(void)fingerprint;
	(void)now;
	return bti_error(BT_ENOTSUP, "ticket_link: not written yet for PostgreSQL");
}

int bti_pg_op_fingerprint_activate(bti_store *st, const char *fingerprint)
{
	(void)st;
	(void)fingerprint;
	return bti_error(BT_ENOTSUP, "fingerprint_activate: not written yet for PostgreSQL");
}
