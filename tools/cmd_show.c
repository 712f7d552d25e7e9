/*
 * cmd_show.c - one ticket in full (show) and its audit trail (events).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define LABEL_WIDTH 20

/* ---- the ticket's fields as text ---- */

/* Whether show's text has colour: color_enabled(stdout), set by show_text. */
static int color;
/* The terminal's width (output_width), 0 when stdout is not a terminal:
 * set by show_text. */
static size_t columns;

/* Values get at least this many columns, however narrow the terminal. */
#define WRAP_LEAST 20

/* Clean one-line @p text, the cursor at column @p indent: printed whole when
 * not on a terminal; on one, wrapped at word boundaries to its width with
 * each later line indented by @p indent.  A value is never cut. */
static void print_wrapped(const char *text, size_t indent, const char *style)
{
	size_t room = columns > indent + WRAP_LEAST ? columns - indent : WRAP_LEAST;

	if (columns == 0) /* not a terminal: whole */
		color_fputs(stdout, color, style, text);
	else
		fput_wrapped(stdout, text, room, indent, color, style);
	putchar('\n');
}

/* "label  value", with later lines of a multi-line value indented under
 * the first; "-" for a missing value.  The value is in SGR @p style (NULL:
 * plain) when there is colour. */
static void field_styled(const char *label, const char *value, const char *style)
{
	char *clean = text_clean(value && *value ? value : "-", 1);
	char *line = clean, *nl;

	printf("  %-*s ", LABEL_WIDTH, label);
	for (;;) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		print_wrapped(line, 2 + LABEL_WIDTH + 1, style);
		if (!nl)
			break;
		printf("  %-*s ", LABEL_WIDTH, "");
		line = nl + 1;
	}
	free(clean);
}

static void field(const char *label, const char *value)
{
	field_styled(label, value, NULL);
}

static void field_int(const char *label, int64_t value)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)value);
	field(label, buf);
}

/* A time, with a remark such as "(overdue)" when @p remark is set. */
static void field_time(const char *label, int64_t ms, const char *remark)
{
	char when[32], buf[64];

	format_time(ms, 1, when, sizeof(when));
	snprintf(buf, sizeof(buf), "%s%s%s", when, ms && remark ? "  " : "", ms && remark ? remark : "");
	field(label, ms ? buf : NULL);
}

static int is_open(bt_status s)
{
	return (BT_STATUS_BIT(s) & BT_STATUS_OPEN_MASK) != 0;
}

static void show_identity(const bt_ticket *t)
{
	field_int("id", bt_ticket_id(t));
	field_styled("status", bt_status_name(bt_ticket_status(t)), style_status(t));
	field_styled("severity", bt_severity_name(bt_ticket_severity(t)),
		     style_severity(bt_ticket_severity(t)));
	field("priority", cli_priority_name(bt_ticket_priority(t)));
	field("category", bt_ticket_category(t));
	field("component", bt_ticket_component(t));
	field("source", cli_source_name(bt_ticket_source(t)));
	field("reporter", bt_ticket_reporter(t));
	field("assignee", bt_ticket_assignee(t));
	field("description", bt_ticket_description(t));
}

static void show_occurrences(const bt_ticket *t)
{
	field_int("occurrences", bt_ticket_occurrence_count(t));
	field_time("first occurred", bt_ticket_first_occurred_at(t), NULL);
	field_time("last occurred", bt_ticket_last_occurred_at(t), NULL);
	field_int("regressions", bt_ticket_regression_count(t));
	field("error type", bt_ticket_error_type(t));
	field("error message", bt_ticket_error_message(t));
	field("fingerprint", bt_ticket_fingerprint(t));
	field("grouping input", bt_ticket_grouping_input(t));
	field("service", bt_ticket_service(t));
	field("host", bt_ticket_host(t));
	field("environment", bt_ticket_environment(t));
	field("release", bt_ticket_release(t));
	field("trace id", bt_ticket_trace_id(t));
	field("request id", bt_ticket_request_id(t));
	field("context", bt_ticket_context(t));
	field("stack trace", bt_ticket_stack_trace(t));
}

/* The canonical ticket's number rather than a bare id. */
static void show_duplicate_of(bt_db *db, const bt_ticket *t)
{
	int64_t id = bt_ticket_duplicate_of(t);
	bt_ticket *canonical;

	if (id && bt_ticket_get(db, id, &canonical) == BT_OK) {
		field("duplicate of", bt_ticket_number(canonical));
		bt_ticket_free(canonical);
	} else if (id) {
		field_int("duplicate of", id);
	} else {
		field("duplicate of", NULL);
	}
}

static void show_workflow(const cli *c, bt_db *db, const bt_ticket *t)
{
	int64_t due = bt_ticket_sla_due_at(t), expires = bt_ticket_claim_expires_at(t);

	field("resolution notes", bt_ticket_resolution_notes(t));
	field("resolution commit", bt_ticket_resolution_commit(t));
	field("resolved by", bt_ticket_resolved_by(t));
	field("resolved release", bt_ticket_resolved_release(t));
	field_time("resolved at", bt_ticket_resolved_at(t), NULL);
	field("claimed by", bt_ticket_claimed_by(t));
	field_time("claimed at", bt_ticket_claimed_at(t), NULL);
	field_time("claim expires", expires, expires && expires <= c->now_ms ? "(expired)" : NULL);
	field_int("automation attempts", bt_ticket_automation_attempts(t));
	show_duplicate_of(db, t);
	field("external id", bt_ticket_external_id(t));
	field_time("created", bt_ticket_created_at(t), NULL);
	field_time("updated", bt_ticket_updated_at(t), NULL);
	field_time("sla due", due, is_open(bt_ticket_status(t)) && due && due <= c->now_ms
		   ? "(overdue)" : NULL);
	field_int("version", bt_ticket_version(t));
}

/* ---- occurrences (log rows) ---- */

/* "at file:42 in fn  request req-1  trace t-1  release 1.4.2", or "". */
static void log_detail(const bt_log_entry *e, char *buf, size_t size)
{
	const char *file = bt_log_entry_file(e), *fn = bt_log_entry_function(e);
	const char *req = bt_log_entry_request_id(e), *trace = bt_log_entry_trace_id(e);
	const char *rel = bt_log_entry_release(e);
	size_t n = 0;

	buf[0] = '\0';
	if (file)
		n += (size_t)snprintf(buf + n, size - n, "at %s:%d ", file, bt_log_entry_line(e));
	if (fn && n < size)
		n += (size_t)snprintf(buf + n, size - n, "in %s ", fn);
	if (req && n < size)
		n += (size_t)snprintf(buf + n, size - n, " request %s ", req);
	if (trace && n < size)
		n += (size_t)snprintf(buf + n, size - n, " trace %s ", trace);
	if (rel && n < size)
		n += (size_t)snprintf(buf + n, size - n, " release %s ", rel);
	while (n > 0 && n < size && buf[n - 1] == ' ')
		buf[--n] = '\0';
}

/* "  TIME(19)  LEVEL(8)  ": where a log row's message starts. */
#define LOG_INDENT (2 + 19 + 2 + 8 + 2)

static void print_log_text(const bt_log_entry *e)
{
	char when[32], detail[1024];
	const char *level = bt_level_name(bt_log_entry_level(e));
	char *msg = text_clean(bt_log_entry_message(e), 0);
	char *info;

	format_time(bt_log_entry_created_at(e), 1, when, sizeof(when));
	printf("  %s  %-8s  ", when, level ? level : "?");
	print_wrapped(msg, LOG_INDENT, NULL);
	log_detail(e, detail, sizeof(detail));
	info = text_clean(detail, 0);
	if (*info) {
		printf("%*s", LOG_INDENT, "");
		print_wrapped(info, LOG_INDENT, NULL);
	}
	free(info);
	free(msg);
}

/* The newest @p max log rows, as text. */
static int show_logs(bt_db *db, const bt_ticket *t, int64_t max)
{
	bt_log_filter f = BT_LOG_FILTER_INIT;
	bt_log_entry *e;
	bt_log_iter *it;
	int64_t n = 0;
	int rc = BT_ITEROVER;

	f.ticket_id = bt_ticket_id(t);
	f.newest_first = 1;
	if (max > 0)
		printf("\noccurrences, newest first (at most %lld)\n", (long long)max);
	if (max > 0 && (rc = bt_log_iter_new(db, &f, &it)) == BT_OK) {
		while (n < max && (rc = bt_log_iter_next(it, &e)) == BT_OK) {
			print_log_text(e);
			bt_log_entry_free(e);
			n++;
		}
		bt_log_iter_free(it);
	}
	if (n == 0 && max > 0)
		printf("  (none stored)\n");
	return rc == BT_OK || rc == BT_ITEROVER ? BT_OK : rc;
}

/* ---- the audit trail ---- */

/* The events of ticket @p t, oldest first, as a table on stdout. */
static int print_events(bt_db *db, const bt_ticket *t)
{
	static const char *const header[] = { "TIME", "ACTOR", "KIND", "DETAIL" };
	static const int max[] = { 0, 0, 0, 0 };
	/* A narrow terminal drops KIND (DETAIL mostly says it), then ACTOR. */
	static const int drop[] = { 0, 2, 1, 0 };
	table *tab = table_new(4, header, "llll", max);
	bt_audit_entry *e;
	bt_audit_iter *it;
	int rc = bt_audit_iter_new(db, bt_ticket_id(t), &it);

	table_drop_order(tab, drop);
	table_wrap_last(tab); /* notes are read in full, never cut */
	while (rc == BT_OK && (rc = bt_audit_iter_next(it, &e)) == BT_OK) {
		const char *cells[4];
		char when[32], *detail;

		event_cells(e, when, sizeof(when), &detail, cells);
		table_add(tab, cells);
		free(detail);
		bt_audit_entry_free(e);
	}
	bt_audit_iter_free(it);
	if (rc == BT_ITEROVER)
		table_print(tab, stdout, output_width());
	table_free(tab);
	return rc == BT_ITEROVER ? BT_OK : rc;
}

/* ---- show ---- */

static const struct option show_options[] = {
	CLI_COMMON_OPTIONS,
	{ "logs", required_argument, NULL, OPT_LOGS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static int show_text(const cli *c, bt_db *db, const bt_ticket *t, int64_t logs)
{
	char *title = text_clean(bt_ticket_title(t), 0);
	int rc;

	color = color_enabled(stdout);
	columns = (size_t)output_width();
	color_fputs(stdout, color, "1", bt_ticket_number(t));
	fputs("  ", stdout);
	print_wrapped(title, text_width(bt_ticket_number(t)) + 2, NULL);
	free(title);
	show_identity(t);
	show_occurrences(t);
	show_workflow(c, db, t);
	rc = show_logs(db, t, logs);
	if (rc == BT_OK) {
		printf("\nevents, oldest first\n");
		fflush(stdout);
		rc = print_events(db, t);
	}
	return rc;
}

int cmd_show(cli *c, int argc, char **argv)
{
	int64_t logs = 5;
	int o = 0, as_json = 0, rc = EXIT_OK;
	bt_ticket *t;
	bt_db *db;

	while (rc == EXIT_OK && (o = cli_next_opt(c, argc, argv, show_options)) > 0) {
		if (o == OPT_JSON)
			as_json = 1;
		else
			rc = cli_parse_int(c, "--logs", optarg, 0, 1000000, &logs);
	}
	if (rc != EXIT_OK || o < 0 || cli_operands(c, argc, argv, 1, 1, "TICKET"))
		return c->exit_code;
	rc = cli_open(c, CLI_READ, &db);
	if (rc != EXIT_OK)
		return rc;
	rc = cli_ticket(db, argv[optind], &t);
	if (rc == EXIT_OK) {
		rc = as_json ? emit_show_json(stdout, db, t, logs) : show_text(c, db, t, logs);
		rc = rc == BT_OK ? EXIT_OK : cli_fail(rc, NULL);
		bt_ticket_free(t);
	}
	bt_close(db);
	return rc;
}

/* ---- events ---- */

static const struct option events_options[] = {
	CLI_COMMON_OPTIONS,
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

int cmd_events(cli *c, int argc, char **argv)
{
	int o, as_json = 0, rc;
	bt_ticket *t;
	bt_db *db;

	while ((o = cli_next_opt(c, argc, argv, events_options)) == OPT_JSON)
		as_json = 1;
	if (o != 0 || cli_operands(c, argc, argv, 1, 1, "TICKET"))
		return c->exit_code;
	rc = cli_open(c, CLI_READ, &db);
	if (rc != EXIT_OK)
		return rc;
	rc = cli_ticket(db, argv[optind], &t);
	if (rc == EXIT_OK) {
		rc = as_json ? emit_events_json(stdout, db, t) : print_events(db, t);
		rc = rc == BT_OK ? EXIT_OK : cli_fail(rc, NULL);
		bt_ticket_free(t);
	}
	bt_close(db);
	return rc;
}
