/*
 * render.c - tickets, log rows and audit events as JSON objects and as table
 * rows.  JSON keys are the schema's column names (README, "Schema"), so
 * scripts written against `sqlite3` and against `bugtrack --json` agree.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cli_priority_name(bt_priority p) { return bt_priority_name(p); }
const char *cli_source_name(bt_source s) { return bt_source_name(s); }

static void json_id(json *j, const char *key, int64_t id)
{
	if (id)
		json_int(j, key, id);
	else
		json_null(j, key);
}

static void ticket_identity(json *j, const bt_ticket *t)
{
	json_int(j, "id", bt_ticket_id(t));
	json_string(j, "number", bt_ticket_number(t));
	json_string(j, "title", bt_ticket_title(t));
	json_string(j, "description", bt_ticket_description(t));
	json_string(j, "status", bt_status_name(bt_ticket_status(t)));
	json_string(j, "severity", bt_severity_name(bt_ticket_severity(t)));
	json_string(j, "priority", bt_priority_name(bt_ticket_priority(t)));
	json_string(j, "category", bt_ticket_category(t));
	json_string(j, "component", bt_ticket_component(t));
	json_string(j, "source", bt_source_name(bt_ticket_source(t)));
	json_string(j, "reporter", bt_ticket_reporter(t));
	json_string(j, "assignee", bt_ticket_assignee(t));
}

static void ticket_error(json *j, const bt_ticket *t)
{
	json_string(j, "fingerprint", bt_ticket_fingerprint(t));
	json_string(j, "grouping_input", bt_ticket_grouping_input(t));
	json_string(j, "error_type", bt_ticket_error_type(t));
	json_string(j, "error_message", bt_ticket_error_message(t));
	json_string(j, "stack_trace", bt_ticket_stack_trace(t));
	json_int(j, "occurrence_count", bt_ticket_occurrence_count(t));
	json_time(j, "first_occurred_at", bt_ticket_first_occurred_at(t));
	json_time(j, "last_occurred_at", bt_ticket_last_occurred_at(t));
	json_int(j, "regression_count", bt_ticket_regression_count(t));
	json_string(j, "service", bt_ticket_service(t));
	json_string(j, "host", bt_ticket_host(t));
	json_string(j, "environment", bt_ticket_environment(t));
	json_string(j, "release_sha", bt_ticket_release(t));
	json_string(j, "trace_id", bt_ticket_trace_id(t));
	json_string(j, "request_id", bt_ticket_request_id(t));
	/* Kept as a string: the tool does not parse JSON, and a string is valid
	 * whatever the column holds.  Decode it with `fromjson` in jq. */
	json_string(j, "context", bt_ticket_context(t));
}

static void ticket_workflow(json *j, const bt_ticket *t)
{
	json_string(j, "resolution_notes", bt_ticket_resolution_notes(t));
	json_string(j, "resolution_commit", bt_ticket_resolution_commit(t));
	json_string(j, "resolved_by", bt_ticket_resolved_by(t));
	json_string(j, "resolved_release", bt_ticket_resolved_release(t));
	json_int(j, "automation_attempts", bt_ticket_automation_attempts(t));
	json_string(j, "claimed_by", bt_ticket_claimed_by(t));
	json_time(j, "claimed_at", bt_ticket_claimed_at(t));
	json_time(j, "claim_expires_at", bt_ticket_claim_expires_at(t));
	json_int(j, "version", bt_ticket_version(t));
	json_id(j, "duplicate_of", bt_ticket_duplicate_of(t));
	json_string(j, "external_id", bt_ticket_external_id(t));
	json_time(j, "created_at", bt_ticket_created_at(t));
	json_time(j, "updated_at", bt_ticket_updated_at(t));
	json_time(j, "resolved_at", bt_ticket_resolved_at(t));
	json_time(j, "sla_due_at", bt_ticket_sla_due_at(t));
}

void render_ticket_json(json *j, const char *key, const bt_ticket *t)
{
	json_object_begin(j, key);
	ticket_identity(j, t);
	ticket_error(j, t);
	ticket_workflow(j, t);
	json_object_end(j);
}

void render_log_json(json *j, const bt_log_entry *e)
{
	json_object_begin(j, NULL);
	json_int(j, "id", bt_log_entry_id(e));
	json_id(j, "ticket_id", bt_log_entry_ticket_id(e));
	json_int(j, "level", (int64_t)bt_log_entry_level(e));
	json_string(j, "level_name", bt_level_name(bt_log_entry_level(e)));
	json_string(j, "component", bt_log_entry_component(e));
	json_string(j, "message", bt_log_entry_message(e));
	json_string(j, "message_template", bt_log_entry_template(e));
	json_string(j, "fingerprint", bt_log_entry_fingerprint(e));
	json_string(j, "error_type", bt_log_entry_error_type(e));
	json_int(j, "error_code", bt_log_entry_error_code(e));
	json_string(j, "file", bt_log_entry_file(e));
	json_int(j, "line", bt_log_entry_line(e));
	json_string(j, "function", bt_log_entry_function(e));
	json_string(j, "stack_trace", bt_log_entry_stack_trace(e));
	json_string(j, "context", bt_log_entry_context(e));
	json_string(j, "trace_id", bt_log_entry_trace_id(e));
	json_string(j, "request_id", bt_log_entry_request_id(e));
	json_string(j, "service", bt_log_entry_service(e));
	json_string(j, "host", bt_log_entry_host(e));
	json_int(j, "pid", bt_log_entry_pid(e));
	json_string(j, "environment", bt_log_entry_environment(e));
	json_string(j, "release_sha", bt_log_entry_release(e));
	json_time(j, "created_at", bt_log_entry_created_at(e));
	json_object_end(j);
}

void render_event_json(json *j, int64_t ticket_id, const bt_audit_entry *e)
{
	json_object_begin(j, NULL);
	json_int(j, "id", bt_audit_entry_id(e));
	json_int(j, "ticket_id", ticket_id);
	json_string(j, "actor", bt_audit_entry_actor(e));
	json_string(j, "kind", bt_audit_entry_kind(e));
	json_string(j, "field", bt_audit_entry_field(e));
	json_string(j, "from_value", bt_audit_entry_from(e));
	json_string(j, "to_value", bt_audit_entry_to(e));
	json_string(j, "note", bt_audit_entry_note(e));
	json_time(j, "created_at", bt_audit_entry_created_at(e));
	json_object_end(j);
}

/* ---- tables ---- */

table *ticket_table_new(void)
{
	static const char *const header[] = {
		"NUMBER", "STATUS", "SEVERITY", "COUNT", "LAST", "COMPONENT", "TITLE"
	};
	/* A long component must not push the title off the screen. */
	static const int max[] = { 0, 0, 0, 0, 0, 16, 0 };

	return table_new(7, header, "lllrlll", max);
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

void ticket_table_add(table *tab, const bt_ticket *t)
{
	char count[24], last[32];
	const char *cells[7];

	snprintf(count, sizeof(count), "%lld", (long long)bt_ticket_occurrence_count(t));
	format_time(bt_ticket_last_occurred_at(t), 0, last, sizeof(last));
	cells[0] = bt_ticket_number(t);
	cells[1] = or_dash(bt_status_name(bt_ticket_status(t)));
	cells[2] = or_dash(bt_severity_name(bt_ticket_severity(t)));
	cells[3] = count;
	cells[4] = last;
	cells[5] = or_dash(bt_ticket_component(t));
	cells[6] = or_dash(bt_ticket_title(t));
	table_add(tab, cells);
}

/* "status: new -> triaged  (note)", or whatever of it the event has. */
static char *event_detail(const bt_audit_entry *e)
{
	const char *field = bt_audit_entry_field(e), *from = bt_audit_entry_from(e);
	const char *to = bt_audit_entry_to(e), *note = bt_audit_entry_note(e);
	size_t size = 64 + strlen(field ? field : "") + strlen(from ? from : "") +
		      strlen(to ? to : "") + strlen(note ? note : "");
	char *out = xmalloc(size);
	size_t n = 0;

	out[0] = '\0';
	if (field)
		n += (size_t)snprintf(out + n, size - n, "%s: ", field);
	if (!field && !from && to) /* "created": just the first status */
		n += (size_t)snprintf(out + n, size - n, "%s", to);
	else if (from || to)
		n += (size_t)snprintf(out + n, size - n, "%s -> %s", from ? from : "-", to ? to : "-");
	if (note)
		snprintf(out + n, size - n, "%s\"%s\"", n ? "  " : "", note);
	return out;
}

void event_cells(const bt_audit_entry *e, char *time_buf, size_t time_size,
		 char **detail_out, const char *cells[4])
{
	format_time(bt_audit_entry_created_at(e), 1, time_buf, time_size);
	*detail_out = event_detail(e);
	cells[0] = time_buf;
	cells[1] = or_dash(bt_audit_entry_actor(e));
	cells[2] = or_dash(bt_audit_entry_kind(e));
	cells[3] = *detail_out;
}
