/*
 * emit.c - the whole JSON documents of `bugtrack list|pending|show|events
 * --json`, written to any stream: the tool writes them to stdout and
 * bugtrackd into a response buffer, so that both give the same bytes (the
 * frozen formats, README "Frozen formats").  Also the ticket listing that
 * list's table shares with its JSON.
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
