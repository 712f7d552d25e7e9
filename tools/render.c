/*
 * render.c - tickets, log rows and audit events as JSON objects and as table
 * rows, and the colours of those rows on a terminal.  The JSON comes from
 * the field tables of columns.c, whose names are the schema's column names
 * (README, "Schema"), so scripts written against `sqlite3`, against
 * `bugtrack --json` and against `bugtrack export` agree.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cli_priority_name(bt_priority p) { return bt_priority_name(p); }
const char *cli_source_name(bt_source s) { return bt_source_name(s); }

void render_ticket_json(json *j, const char *key, const bt_ticket *t)
{
	col_row r = { t, NULL, NULL };

	col_json(j, key, &ticket_cols, &r, COL_EXPORT);
}

void render_log_json(json *j, const bt_log_entry *e)
{
	col_row r = { NULL, e, NULL };

	col_json(j, NULL, &log_cols, &r, COL_EXPORT);
}

void render_event_json(json *j, const bt_ticket *t, const bt_audit_entry *e)
{
	col_row r = { t, NULL, e };

	col_json(j, NULL, &event_cols, &r, COL_EXPORT);
}

/* ---- tables ---- */

table *ticket_table_new(void)
{
	static const char *const header[] = {
		"NUMBER", "STATUS", "SEVERITY", "COUNT", "LAST", "COMPONENT", "TITLE"
	};
	/* A long component must not push the title off the screen. */
	static const int max[] = { 0, 0, 0, 0, 0, 16, 0 };
	/* A narrow terminal drops LAST first (the widest, and the sort order
	 * already says it), then COMPONENT, COUNT, SEVERITY and STATUS, so
	 * NUMBER and TITLE stay: at 60 columns the title keeps 22. */
	static const int drop[] = { 0, 5, 4, 3, 1, 2, 0 };
	table *t = table_new(7, header, "lllrlll", max);

	table_drop_order(t, drop);
	return t;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* SGR parameters (ECMA-48): 1 bold, 31 red, 33 yellow, 35 magenta. */
const char *style_severity(bt_severity s)
{
	switch (s) {
	case BT_SEVERITY_CRITICAL: return "1;31";
	case BT_SEVERITY_HIGH:     return "33";
	default:                   return NULL;
	}
}

const char *style_status(const bt_ticket *t)
{
	bt_status s = bt_ticket_status(t);
	/* A regression is worth seeing while it is still open. */
	int regressed = bt_ticket_regression_count(t) > 0 &&
			(BT_STATUS_BIT(s) & BT_STATUS_OPEN_MASK) != 0;

	if (s == BT_STATUS_NEW)
		return regressed ? "1;35" : "1";
	return regressed ? "35" : NULL;
}

void ticket_table_add(table *tab, const bt_ticket *t)
{
	char count[24], last[32];
	const char *cells[7], *styles[7] = { NULL };

	snprintf(count, sizeof(count), "%lld", (long long)bt_ticket_occurrence_count(t));
	format_time(bt_ticket_last_occurred_at(t), 0, last, sizeof(last));
	cells[0] = bt_ticket_number(t);
	cells[1] = or_dash(bt_status_name(bt_ticket_status(t)));
	cells[2] = or_dash(bt_severity_name(bt_ticket_severity(t)));
	cells[3] = count;
	cells[4] = last;
	cells[5] = or_dash(bt_ticket_component(t));
	cells[6] = or_dash(bt_ticket_title(t));
	styles[1] = style_status(t);
	styles[2] = style_severity(bt_ticket_severity(t));
	table_add_styled(tab, cells, styles);
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
