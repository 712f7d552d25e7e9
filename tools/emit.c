/*
 * emit.c - the whole JSON documents of `bugtrack list|pending|show|events
 * --json`, written to any stream: the tool writes them to stdout and
 * bugtrackd into a response buffer, so that both give the same bytes (the
 * frozen formats, README "Frozen formats"), and those of `report --json`
 * and `stats --json`.  Also the ticket listing that list's table shares
 * with its JSON, and the gathering of stats that its text shares.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int emit_tickets(bt_ticket_iter *it, int64_t limit, json *j, table *tab, char **more_out)
{
	bt_ticket *t;
	int64_t n = 0;
	int rc = BT_OK;

	*more_out = NULL;
	while ((!limit || n < limit) && (rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
		if (j)
			render_ticket_json(j, NULL, t);
		else
			ticket_table_add(tab, t);
		bt_ticket_free(t);
		n++;
	}
	if (limit && n == limit && rc == BT_OK) {
		/* The cursor is only valid until the next call: copy it first,
		 * then look whether another page exists at all. */
		char *cursor = xstrdup(bt_ticket_iter_cursor(it));

		rc = bt_ticket_iter_next(it, &t);
		if (rc == BT_OK) {
			bt_ticket_free(t);
			*more_out = cursor;
		} else {
			free(cursor);
		}
	}
	return rc == BT_ITEROVER ? BT_OK : rc;
}

int emit_tickets_json(FILE *f, bt_ticket_iter *it, int64_t limit, char **more_out)
{
	json j;
	int rc;

	json_init(&j, f);
	json_array_begin(&j, NULL);
	rc = emit_tickets(it, limit, &j, NULL, more_out);
	if (rc != BT_OK)
		return rc; /* the caller reports it; the array stays unclosed */
	json_array_end(&j);
	json_finish(&j);
	return BT_OK;
}

int emit_logs_json(json *j, bt_db *db, const bt_ticket *t, int64_t max)
{
	bt_log_filter f = BT_LOG_FILTER_INIT;
	bt_log_entry *e;
	bt_log_iter *it;
	int64_t n = 0;
	int rc = BT_ITEROVER;

	f.ticket_id = bt_ticket_id(t);
	f.newest_first = 1;
	json_array_begin(j, "logs");
	if (max > 0 && (rc = bt_log_iter_new(db, &f, &it)) == BT_OK) {
		while (n < max && (rc = bt_log_iter_next(it, &e)) == BT_OK) {
			render_log_json(j, e);
			bt_log_entry_free(e);
			n++;
		}
		bt_log_iter_free(it);
	}
	json_array_end(j);
	return rc == BT_OK || rc == BT_ITEROVER ? BT_OK : rc;
}

int emit_events_items(json *j, bt_db *db, const bt_ticket *t)
{
	bt_audit_entry *e;
	bt_audit_iter *it;
	int rc = bt_audit_iter_new(db, bt_ticket_id(t), &it);

	while (rc == BT_OK && (rc = bt_audit_iter_next(it, &e)) == BT_OK) {
		render_event_json(j, t, e);
		bt_audit_entry_free(e);
	}
	bt_audit_iter_free(it);
	return rc == BT_ITEROVER ? BT_OK : rc;
}

int emit_show_json(FILE *f, bt_db *db, const bt_ticket *t, int64_t logs)
{
	json j;
	int rc;

	json_init(&j, f);
	json_object_begin(&j, NULL);
	render_ticket_json(&j, "ticket", t);
	rc = emit_logs_json(&j, db, t, logs);
	json_array_begin(&j, "events");
	if (rc == BT_OK)
		rc = emit_events_items(&j, db, t);
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	return rc;
}

int emit_events_json(FILE *f, bt_db *db, const bt_ticket *t)
{
	json j;
	int rc;

	json_init(&j, f);
	json_array_begin(&j, NULL);
	rc = emit_events_items(&j, db, t);
	json_array_end(&j);
	json_finish(&j);
	return rc;
}

/* ---- report --json ---- */

static const struct report_kind {
	const char *name;
	bt_aggregate_kind kind;
} report_kinds[] = {
	{ "summary", BT_AGGREGATE_SUMMARY },
	{ "top", BT_AGGREGATE_TOP },
	{ "components", BT_AGGREGATE_COMPONENTS },
	{ "daily", BT_AGGREGATE_DAILY },
	{ "mttr", BT_AGGREGATE_MTTR },
};

#define NKINDS (sizeof(report_kinds) / sizeof(report_kinds[0]))

int report_kind_from_name(const char *name, bt_aggregate_kind *out)
{
	for (size_t i = 0; i < NKINDS; i++) {
		if (strcmp(name, report_kinds[i].name) == 0) {
			*out = report_kinds[i].kind;
			return 1;
		}
	}
	return 0;
}

static void json_row(json *j, const bt_aggregate_iter *it)
{
	int ncols = bt_aggregate_iter_column_count(it), i;

	json_object_begin(j, NULL);
	for (i = 0; i < ncols; i++) {
		const char *name = bt_aggregate_iter_column_name(it, i);
		bt_aggregate_type type = bt_aggregate_iter_column_type(it, i);
		int null = bt_aggregate_iter_is_null(it, i);

		if (type == BT_AGGREGATE_TIME && null) {
			char iso_key[96];

			snprintf(iso_key, sizeof(iso_key), "%s_iso", name);
			json_null(j, name);
			json_null(j, iso_key);
		} else if (type == BT_AGGREGATE_TIME) {
			json_time(j, name, bt_aggregate_iter_int(it, i));
		} else if (null) {
			json_null(j, name);
		} else if (type == BT_AGGREGATE_TEXT) {
			json_string(j, name, bt_aggregate_iter_text(it, i));
		} else {
			json_int(j, name, bt_aggregate_iter_int(it, i));
		}
	}
	json_object_end(j);
}

int emit_report_json(FILE *f, bt_aggregate_iter *it, int single)
{
	json j;
	int rc;

	json_init(&j, f);
	if (!single)
		json_array_begin(&j, NULL);
	while ((rc = bt_aggregate_iter_next(it)) == BT_OK)
		json_row(&j, it);
	if (rc == BT_ITEROVER) {
		if (!single)
			json_array_end(&j);
		json_finish(&j);
	}
	return rc;
}

/* ---- stats ---- */

#define DAY_MS ((int64_t)86400000)

/* Tickets created at or after @p from.  The API has no filtered count, so
 * this walks the matching tickets. */
static int count_created(bt_db *db, int64_t from, int64_t *out)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it;
	bt_ticket *t;
	int rc;

	*out = 0;
	f.created_from = from;
	f.sort = BT_SORT_CREATED;
	rc = bt_ticket_iter_new(db, &f, &it);
	if (rc != BT_OK)
		return rc;
	while ((rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
		bt_ticket_free(t);
		(*out)++;
	}
	bt_ticket_iter_free(it);
	return rc == BT_ITEROVER ? BT_OK : rc;
}

/* bt_ticket_counts names a field per status and per severity: these pick
 * the one of a value, so that the output can loop over the vocabulary. */
int64_t stats_status_count(const bt_ticket_counts *c, bt_status status)
{
	switch (status) {
	case BT_STATUS_NEW:                   return c->status_new;
	case BT_STATUS_TRIAGED:               return c->status_triaged;
	case BT_STATUS_IN_PROGRESS:           return c->status_in_progress;
	case BT_STATUS_AWAITING_VERIFICATION: return c->status_awaiting_verification;
	case BT_STATUS_RESOLVED:              return c->status_resolved;
	case BT_STATUS_CLOSED:                return c->status_closed;
	}
	return 0;
}

int64_t stats_open_severity_count(const bt_ticket_counts *c, bt_severity severity)
{
	switch (severity) {
	case BT_SEVERITY_LOW:      return c->open_low;
	case BT_SEVERITY_MEDIUM:   return c->open_medium;
	case BT_SEVERITY_HIGH:     return c->open_high;
	case BT_SEVERITY_CRITICAL: return c->open_critical;
	}
	return 0;
}

int stats_gather(bt_db *db, int64_t now_ms, stats *s)
{
	int64_t midnight = now_ms - ((now_ms % DAY_MS) + DAY_MS) % DAY_MS;
	int rc, i;

	memset(s, 0, sizeof(*s));
	s->counts.version = BT_TICKET_COUNTS_VERSION;
	rc = bt_ticket_counts_get(db, &s->counts);
	for (i = BT_STATUS_NEW; i <= BT_STATUS_AWAITING_VERIFICATION; i++)
		s->open += stats_status_count(&s->counts, (bt_status)i);
	if (rc == BT_OK)
		rc = count_created(db, midnight, &s->created_today);
	if (rc == BT_OK)
		rc = count_created(db, now_ms - 7 * DAY_MS, &s->created_week);
	return rc;
}

int stats_top_recurring(bt_db *db, bt_ticket_iter **out)
{
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;

	f.status_mask = BT_STATUS_OPEN_MASK;
	f.sort = BT_SORT_OCCURRENCES;
	return bt_ticket_iter_new(db, &f, out);
}

static void stats_json_counts(json *j, const stats *s)
{
	int i;

	json_int(j, "total", s->counts.total);
	json_int(j, "open", s->open);
	json_int(j, "overdue", s->counts.overdue);
	json_int(j, "dropped_occurrences", s->counts.dropped);
	json_int(j, "created_today", s->created_today);
	json_int(j, "created_last_7_days", s->created_week);
	json_object_begin(j, "by_status");
	for (i = BT_STATUS_NEW; i <= BT_STATUS_CLOSED; i++)
		json_int(j, bt_status_name((bt_status)i), stats_status_count(&s->counts, (bt_status)i));
	json_object_end(j);
	json_object_begin(j, "open_by_severity");
	for (i = BT_SEVERITY_CRITICAL; i >= BT_SEVERITY_LOW; i--)
		json_int(j, bt_severity_name((bt_severity)i),
			 stats_open_severity_count(&s->counts, (bt_severity)i));
	json_object_end(j);
}

int emit_stats_json(FILE *f, bt_db *db, const stats *s)
{
	bt_ticket_iter *top = NULL;
	bt_ticket *t;
	json j;
	int rc = stats_top_recurring(db, &top), n = 0;

	if (rc != BT_OK)
		return rc;
	json_init(&j, f);
	json_object_begin(&j, NULL);
	stats_json_counts(&j, s);
	json_array_begin(&j, "top_recurring");
	while (n++ < 10 && (rc = bt_ticket_iter_next(top, &t)) == BT_OK) {
		render_ticket_json(&j, NULL, t);
		bt_ticket_free(t);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	bt_ticket_iter_free(top);
	return n > 10 || rc == BT_ITEROVER ? BT_OK : rc;
}
