/*
 * columns.c - the fields of tickets, log rows and audit events, listed once.
 *
 * Every machine-readable form of a record is written from these tables: the
 * CSV of `export`, and the JSON of `export` and of every --json (list, show,
 * stats, events, pending).  A field's type says how each format writes it,
 * so adding a field here adds it everywhere, and the formats cannot drift.
 * The order and names are frozen (tests/cli/golden/, README "Frozen
 * formats"): only ever append.
 */
#include "cli.h"

#define V_STR(x)  { (x), 0 }
#define V_INT(x)  { NULL, (int64_t)(x) }
#define V_ID(x)   V_INT(x)
#define V_TIME(x) V_INT(x)

/*
 * X(prefix, name, type, where, expression of r)
 *   type:  STR, INT, ID or TIME: how each format writes it (col_type, cli.h)
 *   where: ALWAYS, or EXPORT for a field that only `export` writes
 */
/* context stays a string: the tool does not parse JSON, and a string is
 * valid whatever the column holds (decode it with `fromjson` in jq). */
#define TICKET_COLUMNS(X) \
	X(tk, id,                  INT,  ALWAYS, bt_ticket_id(r->t)) \
	X(tk, number,              STR,  ALWAYS, bt_ticket_number(r->t)) \
	X(tk, title,               STR,  ALWAYS, bt_ticket_title(r->t)) \
	X(tk, description,         STR,  ALWAYS, bt_ticket_description(r->t)) \
	X(tk, status,              STR,  ALWAYS, bt_status_name(bt_ticket_status(r->t))) \
	X(tk, severity,            STR,  ALWAYS, bt_severity_name(bt_ticket_severity(r->t))) \
	X(tk, priority,            STR,  ALWAYS, cli_priority_name(bt_ticket_priority(r->t))) \
	X(tk, category,            STR,  ALWAYS, bt_ticket_category(r->t)) \
	X(tk, component,           STR,  ALWAYS, bt_ticket_component(r->t)) \
	X(tk, source,              STR,  ALWAYS, cli_source_name(bt_ticket_source(r->t))) \
	X(tk, reporter,            STR,  ALWAYS, bt_ticket_reporter(r->t)) \
	X(tk, assignee,            STR,  ALWAYS, bt_ticket_assignee(r->t)) \
	X(tk, fingerprint,         STR,  ALWAYS, bt_ticket_fingerprint(r->t)) \
	X(tk, grouping_input,      STR,  ALWAYS, bt_ticket_grouping_input(r->t)) \
	X(tk, error_type,          STR,  ALWAYS, bt_ticket_error_type(r->t)) \
	X(tk, error_message,       STR,  ALWAYS, bt_ticket_error_message(r->t)) \
	X(tk, stack_trace,         STR,  ALWAYS, bt_ticket_stack_trace(r->t)) \
	X(tk, occurrence_count,    INT,  ALWAYS, bt_ticket_occurrence_count(r->t)) \
	X(tk, first_occurred_at,   TIME, ALWAYS, bt_ticket_first_occurred_at(r->t)) \
	X(tk, last_occurred_at,    TIME, ALWAYS, bt_ticket_last_occurred_at(r->t)) \
	X(tk, regression_count,    INT,  ALWAYS, bt_ticket_regression_count(r->t)) \
	X(tk, service,             STR,  ALWAYS, bt_ticket_service(r->t)) \
	X(tk, host,                STR,  ALWAYS, bt_ticket_host(r->t)) \
	X(tk, environment,         STR,  ALWAYS, bt_ticket_environment(r->t)) \
	X(tk, release_sha,         STR,  ALWAYS, bt_ticket_release(r->t)) \
	X(tk, trace_id,            STR,  ALWAYS, bt_ticket_trace_id(r->t)) \
	X(tk, request_id,          STR,  ALWAYS, bt_ticket_request_id(r->t)) \
	X(tk, context,             STR,  ALWAYS, bt_ticket_context(r->t)) \
	X(tk, resolution_notes,    STR,  ALWAYS, bt_ticket_resolution_notes(r->t)) \
	X(tk, resolution_commit,   STR,  ALWAYS, bt_ticket_resolution_commit(r->t)) \
	X(tk, resolved_by,         STR,  ALWAYS, bt_ticket_resolved_by(r->t)) \
	X(tk, resolved_release,    STR,  ALWAYS, bt_ticket_resolved_release(r->t)) \
	X(tk, automation_attempts, INT,  ALWAYS, bt_ticket_automation_attempts(r->t)) \
	X(tk, claimed_by,          STR,  ALWAYS, bt_ticket_claimed_by(r->t)) \
	X(tk, claimed_at,          TIME, ALWAYS, bt_ticket_claimed_at(r->t)) \
	X(tk, claim_expires_at,    TIME, ALWAYS, bt_ticket_claim_expires_at(r->t)) \
	X(tk, version,             INT,  ALWAYS, bt_ticket_version(r->t)) \
	X(tk, duplicate_of,        ID,   ALWAYS, bt_ticket_duplicate_of(r->t)) \
	X(tk, external_id,         STR,  ALWAYS, bt_ticket_external_id(r->t)) \
	X(tk, created_at,          TIME, ALWAYS, bt_ticket_created_at(r->t)) \
	X(tk, updated_at,          TIME, ALWAYS, bt_ticket_updated_at(r->t)) \
	X(tk, resolved_at,         TIME, ALWAYS, bt_ticket_resolved_at(r->t)) \
	X(tk, sla_due_at,          TIME, ALWAYS, bt_ticket_sla_due_at(r->t))

#define LOG_COLUMNS(X) \
	X(lg, id,                  INT,  ALWAYS, bt_log_entry_id(r->l)) \
	X(lg, ticket_id,           ID,   ALWAYS, bt_log_entry_ticket_id(r->l)) \
	X(lg, level,               INT,  ALWAYS, bt_log_entry_level(r->l)) \
	X(lg, level_name,          STR,  ALWAYS, bt_level_name(bt_log_entry_level(r->l))) \
	X(lg, component,           STR,  ALWAYS, bt_log_entry_component(r->l)) \
	X(lg, message,             STR,  ALWAYS, bt_log_entry_message(r->l)) \
	X(lg, message_template,    STR,  ALWAYS, bt_log_entry_template(r->l)) \
	X(lg, fingerprint,         STR,  ALWAYS, bt_log_entry_fingerprint(r->l)) \
	X(lg, error_type,          STR,  ALWAYS, bt_log_entry_error_type(r->l)) \
	X(lg, error_code,          INT,  ALWAYS, bt_log_entry_error_code(r->l)) \
	X(lg, file,                STR,  ALWAYS, bt_log_entry_file(r->l)) \
	X(lg, line,                INT,  ALWAYS, bt_log_entry_line(r->l)) \
	X(lg, function,            STR,  ALWAYS, bt_log_entry_function(r->l)) \
	X(lg, stack_trace,         STR,  ALWAYS, bt_log_entry_stack_trace(r->l)) \
	X(lg, context,             STR,  ALWAYS, bt_log_entry_context(r->l)) \
	X(lg, trace_id,            STR,  ALWAYS, bt_log_entry_trace_id(r->l)) \
	X(lg, request_id,          STR,  ALWAYS, bt_log_entry_request_id(r->l)) \
	X(lg, service,             STR,  ALWAYS, bt_log_entry_service(r->l)) \
	X(lg, host,                STR,  ALWAYS, bt_log_entry_host(r->l)) \
	X(lg, pid,                 INT,  ALWAYS, bt_log_entry_pid(r->l)) \
	X(lg, environment,         STR,  ALWAYS, bt_log_entry_environment(r->l)) \
	X(lg, release_sha,         STR,  ALWAYS, bt_log_entry_release(r->l)) \
	X(lg, created_at,          TIME, ALWAYS, bt_log_entry_created_at(r->l))

/* An event's ticket_number is for `export events`, whose rows come from many
 * tickets; `events` and `show` print one ticket's trail, whose number the
 * reader already has. */
#define EVENT_COLUMNS(X) \
	X(ev, id,                  INT,  ALWAYS, bt_audit_entry_id(r->e)) \
	X(ev, ticket_id,           INT,  ALWAYS, bt_ticket_id(r->t)) \
	X(ev, ticket_number,       STR,  EXPORT, bt_ticket_number(r->t)) \
	X(ev, actor,               STR,  ALWAYS, bt_audit_entry_actor(r->e)) \
	X(ev, kind,                STR,  ALWAYS, bt_audit_entry_kind(r->e)) \
	X(ev, field,               STR,  ALWAYS, bt_audit_entry_field(r->e)) \
	X(ev, from_value,          STR,  ALWAYS, bt_audit_entry_from(r->e)) \
	X(ev, to_value,            STR,  ALWAYS, bt_audit_entry_to(r->e)) \
	X(ev, note,                STR,  ALWAYS, bt_audit_entry_note(r->e)) \
	X(ev, created_at,          TIME, ALWAYS, bt_audit_entry_created_at(r->e))

#define GETTER(prefix, name, type, where, expr) \
	static col_value prefix##_##name(const col_row *r) \
	{ \
		col_value v = V_##type(expr); \
		return v; \
	}
#define ENTRY(prefix, name, type, where, expr) \
	{ #name, COL_##type, COL_##where, prefix##_##name },

TICKET_COLUMNS(GETTER)
LOG_COLUMNS(GETTER)
EVENT_COLUMNS(GETTER)

static const col_def ticket_defs[] = { TICKET_COLUMNS(ENTRY) };
static const col_def log_defs[] = { LOG_COLUMNS(ENTRY) };
static const col_def event_defs[] = { EVENT_COLUMNS(ENTRY) };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const col_set ticket_cols = { "tickets", ticket_defs, COUNT(ticket_defs) };
const col_set log_cols = { "logs", log_defs, COUNT(log_defs) };
const col_set event_cols = { "events", event_defs, COUNT(event_defs) };

/* ---- CSV ---- */

void col_csv_header(FILE *f, const col_set *s)
{
	size_t i;

	for (i = 0; i < s->ndefs; i++) {
		if (i > 0)
			fputc(',', f);
		csv_string(f, s->defs[i].name);
	}
	fputs("\r\n", f);
}

void col_csv_row(FILE *f, const col_set *s, const col_row *r)
{
	char buf[40];
	size_t i;

	for (i = 0; i < s->ndefs; i++) {
		const col_def *col = &s->defs[i];
		col_value v = col->get(r);

		if (i > 0)
			fputc(',', f);
		switch (col->type) {
		case COL_STR:
			if (v.s)
				csv_string(f, v.s);
			break;
		case COL_ID:
			if (v.n == 0)
				break;
			/* fall through */
		case COL_INT:
			fprintf(f, "%lld", (long long)v.n);
			break;
		case COL_TIME:
			format_iso(v.n, buf, sizeof(buf));
			fputs(buf, f);
			break;
		}
	}
	fputs("\r\n", f);
}

/* ---- JSON ---- */

void col_json(json *j, const char *key, const col_set *s, const col_row *r, unsigned int omit)
{
	size_t i;

	json_object_begin(j, key);
	for (i = 0; i < s->ndefs; i++) {
		const col_def *col = &s->defs[i];
		col_value v;

		if (col->where & omit)
			continue;
		v = col->get(r);
		switch (col->type) {
		case COL_STR:
			json_string(j, col->name, v.s);
			break;
		case COL_INT:
			json_int(j, col->name, v.n);
			break;
		case COL_ID:
			if (v.n)
				json_int(j, col->name, v.n);
			else
				json_null(j, col->name);
			break;
		case COL_TIME:
			json_time(j, col->name, v.n);
			break;
		}
	}
	json_object_end(j);
}
