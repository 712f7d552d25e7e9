/*
 * store/postgresql/pending.c - operations of the PostgreSQL backend not written yet:
 * each answers BT_ENOTSUP.  Temporary: removed as they are written.
 */
#include "store_postgresql.h"

int bti_pg_op_land_hit(bti_store *st, const bti_occurrence *o, bti_landing *out)
{
	(void)st;
	(void)o;
	(void)out;
	return bti_error(BT_ENOTSUP, "land_hit: not written yet for PostgreSQL");
}

int bti_pg_op_land_find(bti_store *st, const bti_occurrence *o, int alias, bti_land_candidate *out)
{
	(void)st;
	(void)o;
	(void)alias;
	(void)out;
	return bti_error(BT_ENOTSUP, "land_find: not written yet for PostgreSQL");
}

int bti_pg_op_land_count(bti_store *st, const bti_occurrence *o, int64_t id, bti_landing *out)
{
	(void)st;
	(void)o;
	(void)id;
	(void)out;
	return bti_error(BT_ENOTSUP, "land_count: not written yet for PostgreSQL");
}

int bti_pg_op_land_reopen(bti_store *st, const bti_occurrence *o, int64_t id, int64_t sla_due_at, bti_landing *out)
{
	(void)st;
	(void)o;
	(void)id;
	(void)sla_due_at;
	(void)out;
	return bti_error(BT_ENOTSUP, "land_reopen: not written yet for PostgreSQL");
}

int bti_pg_op_land_retire(bti_store *st, int64_t id)
{
	(void)st;
	(void)id;
	return bti_error(BT_ENOTSUP, "land_retire: not written yet for PostgreSQL");
}

int bti_pg_op_ticket_open(bti_store *st, const bti_occurrence *o, bti_landing *out)
{
	(void)st;
	(void)o;
	(void)out;
	return bti_error(BT_ENOTSUP, "ticket_open: not written yet for PostgreSQL");
}

int bti_pg_op_log_insert(bti_store *st, const bti_occurrence *o, int64_t ticket_id)
{
	(void)st;
	(void)o;
	(void)ticket_id;
	return bti_error(BT_ENOTSUP, "log_insert: not written yet for PostgreSQL");
}

int bti_pg_op_log_prune(bti_store *st, int64_t ticket_id, int64_t keep_first, int64_t keep_last)
{
	(void)st;
	(void)ticket_id;
	(void)keep_first;
	(void)keep_last;
	return bti_error(BT_ENOTSUP, "log_prune: not written yet for PostgreSQL");
}

int bti_pg_op_counter_add(bti_store *st, const char *name, int64_t delta, int64_t now)
{
	(void)st;
	(void)name;
	(void)delta;
	(void)now;
	return bti_error(BT_ENOTSUP, "counter_add: not written yet for PostgreSQL");
}

int bti_pg_op_crash_claim(bti_store *st, const char *hash, int64_t now, int *fresh_out)
{
	(void)st;
	(void)hash;
	(void)now;
	(void)fresh_out;
	return bti_error(BT_ENOTSUP, "crash_claim: not written yet for PostgreSQL");
}

int bti_pg_op_crash_mark_get(bti_store *st, bti_crash_mark *out)
{
	(void)st;
	(void)out;
	return bti_error(BT_ENOTSUP, "crash_mark_get: not written yet for PostgreSQL");
}

int bti_pg_op_crash_mark_set(bti_store *st, const bti_crash_mark *m)
{
	(void)st;
	(void)m;
	return bti_error(BT_ENOTSUP, "crash_mark_set: not written yet for PostgreSQL");
}

int bti_pg_op_release_seen(bti_store *st, const char *release, int64_t now)
{
	(void)st;
	(void)release;
	(void)now;
	return bti_error(BT_ENOTSUP, "release_seen: not written yet for PostgreSQL");
}

int bti_pg_op_ticket_page(bti_store *st, const bti_ticket_query *q, bt_ticket **rows, int64_t *keys, size_t cap, size_t *n_out)
{
	(void)st;
	(void)q;
	(void)rows;
	(void)keys;
	(void)cap;
	(void)n_out;
	return bti_error(BT_ENOTSUP, "ticket_page: not written yet for PostgreSQL");
}

int bti_pg_op_ticket_update(bti_store *st, int64_t id, const bti_ticket_update *u, int64_t now)
{
	(void)st;
	(void)id;
	(void)u;
	(void)now;
	return bti_error(BT_ENOTSUP, "ticket_update: not written yet for PostgreSQL");
}

int bti_pg_op_event_add(bti_store *st, int64_t ticket_id, const char *actor, const char *kind, const char *field, const char *from, const char *to, const char *note, int64_t now)
{
	(void)st;
	(void)ticket_id;
	(void)actor;
	(void)kind;
	(void)field;
	(void)from;
	(void)to;
	(void)note;
	(void)now;
	return bti_error(BT_ENOTSUP, "event_add: not written yet for PostgreSQL");
}

int bti_pg_op_merge_links(bti_store *st, int64_t dup, int64_t canonical, const char *dup_fingerprint, int64_t now)
{
	(void)st;
	(void)dup;
	(void)canonical;
	(void)dup_fingerprint;
	(void)now;
	return bti_error(BT_ENOTSUP, "merge_links: not written yet for PostgreSQL");
}

int bti_pg_op_ticket_delete(bti_store *st, int64_t id)
{
	(void)st;
	(void)id;
	return bti_error(BT_ENOTSUP, "ticket_delete: not written yet for PostgreSQL");
}

int bti_pg_op_pending_page(bti_store *st, const char *agent, int max_attempts, int64_t now, bt_ticket **rows, size_t cap, size_t *n_out)
{
	(void)st;
	(void)agent;
	(void)max_attempts;
	(void)now;
	(void)rows;
	(void)cap;
	(void)n_out;
	return bti_error(BT_ENOTSUP, "pending_page: not written yet for PostgreSQL");
}

int bti_pg_op_ticket_counts(bti_store *st, int64_t now, bti_ticket_counts *out)
{
	(void)st;
	(void)now;
	(void)out;
	return bti_error(BT_ENOTSUP, "ticket_counts: not written yet for PostgreSQL");
}

int bti_pg_op_events_page(bti_store *st, int64_t id, int64_t after_time, int64_t after_id, bt_audit_entry **rows, size_t cap, size_t *n_out)
{
	(void)st;
	(void)id;
	(void)after_time;
	(void)after_id;
	(void)rows;
	(void)cap;
	(void)n_out;
	return bti_error(BT_ENOTSUP, "events_page: not written yet for PostgreSQL");
}

int bti_pg_op_events_feed(bti_store *st, int64_t after_id, bt_audit_entry **rows, size_t cap, size_t *n_out)
{
	(void)st;
	(void)after_id;
	(void)rows;
	(void)cap;
	(void)n_out;
	return bti_error(BT_ENOTSUP, "events_feed: not written yet for PostgreSQL");
}

int bti_pg_op_ticket_exists(bti_store *st, int64_t id)
{
	(void)st;
	(void)id;
	return bti_error(BT_ENOTSUP, "ticket_exists: not written yet for PostgreSQL");
}

int bti_pg_op_log_page(bti_store *st, const bti_log_query *q, bt_log_entry **rows, size_t cap, size_t *n_out)
{
	(void)st;
	(void)q;
	(void)rows;
	(void)cap;
	(void)n_out;
	return bti_error(BT_ENOTSUP, "log_page: not written yet for PostgreSQL");
}

int bti_pg_op_purge_step(bti_store *st, bti_purge_batch *b)
{
	(void)st;
	(void)b;
	return bti_error(BT_ENOTSUP, "purge_step: not written yet for PostgreSQL");
}

int bti_pg_op_ticket_get(bti_store *st, int64_t id, bt_ticket **out)
{
	(void)st;
	(void)id;
	(void)out;
	return bti_error(BT_ENOTSUP, "ticket_get: not written yet for PostgreSQL");
}

int bti_pg_read_ticket(const PGresult *r, int row, bt_ticket **out)
{
	(void)r;
	(void)row;
	(void)out;
	return BT_ENOTSUP;
}
