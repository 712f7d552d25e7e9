/*
 * cmd_list.c - the commands that list tickets: list, pending and stats.
 * All open the database read-only, so they never create or migrate a file.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"


/* A long table goes out this many rows at a time: `list | head` waits for
 * one block, not for the whole table. */
#define LIST_BLOCK_ROWS 1000

/* Run @p it to its end (or @p limit) as a JSON array or a ticket table.
 * *@p more_out receives the cursor of the next page when the limit stopped
 * the listing early, else NULL. */
static int print_tickets(bt_ticket_iter *it, int64_t limit, int as_json, char **more_out)
{
	table *tab;
	int rc;

	if (as_json) {
		rc = emit_tickets_json(stdout, it, limit, more_out);
		return rc == BT_OK ? EXIT_OK : cli_fail(rc, NULL);
	}
	tab = ticket_table_new();
	table_stream(tab, stdout, output_width(), LIST_BLOCK_ROWS);
	rc = emit_tickets(it, limit, NULL, tab, more_out);
	if (rc == BT_OK)
		table_print(tab, stdout, output_width());
	table_free(tab);
	return rc == BT_OK ? EXIT_OK : cli_fail(rc, NULL);
}

/* ---- list ---- */

static const struct option list_options[] = {
	CLI_COMMON_OPTIONS,
	CLI_TICKET_FILTER_OPTIONS,
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "cursor", required_argument, NULL, OPT_CURSOR },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

typedef struct list_args {
	bt_ticket_filter filter;
	int64_t limit;
	int json;
} list_args;

static int parse_sort(cli *c, const char *text, bt_ticket_sort *out)
{
	if (parse_sort_name(text, out) == BT_OK)
		return EXIT_OK;
	return cli_usage_error(c, "unknown sort '%s'; use last, count, severity or created", text);
}

static int set_claimed(cli *c, bt_ticket_filter *f, bt_claimed value)
{
	if (f->claimed != BT_CLAIMED_ANY && f->claimed != value)
		return cli_usage_error(c, "--claimed and --unclaimed exclude each other");
	f->claimed = value;
	return EXIT_OK;
}

int cli_ticket_filter_option(cli *c, int o, const char *arg, bt_ticket_filter *f)
{
	switch (o) {
	case OPT_STATUS:       return cli_parse_status_mask(c, arg, &f->status_mask);
	case OPT_SEVERITY:     return cli_parse_severity(c, arg, &f->severity);
	case OPT_SEVERITY_MIN: return cli_parse_severity(c, arg, &f->min_severity);
	case OPT_COMPONENT:    f->component = arg; return EXIT_OK;
	case OPT_ASSIGNEE:     f->assignee = arg; return EXIT_OK;
	case OPT_SINCE:        return cli_parse_time(c, "--since", arg, &f->occurred_from);
	case OPT_UNTIL:        return cli_parse_time(c, "--until", arg, &f->occurred_to);
	case OPT_CHANGED_SINCE: return cli_parse_time(c, "--changed-since", arg, &f->changed_from);
	case OPT_REGRESSED:    f->regressed_only = 1; return EXIT_OK;
	case OPT_OVERDUE:      f->overdue_only = 1; return EXIT_OK;
	case OPT_CLAIMED:      return set_claimed(c, f, BT_CLAIMED_YES);
	case OPT_UNCLAIMED:    return set_claimed(c, f, BT_CLAIMED_NO);
	case OPT_SEARCH:       f->text = arg; return EXIT_OK;
	case OPT_SORT:         return parse_sort(c, arg, &f->sort);
	default:               return cli_usage_error(c, "unexpected option");
	}
}

int cli_ticket_filter_check(cli *c, const bt_ticket_filter *f)
{
	if (f->occurred_from && f->occurred_to && f->occurred_from >= f->occurred_to)
		return cli_usage_error(c, "--since must be before --until");
	return EXIT_OK;
}

/* One option of list; returns non-zero to stop with c->exit_code. */
static int list_option(cli *c, int o, list_args *a)
{
	switch (o) {
	case OPT_LIMIT:  return cli_parse_int(c, "--limit", optarg, 1, INT32_MAX, &a->limit);
	case OPT_CURSOR: a->filter.cursor = optarg; return EXIT_OK;
	case OPT_JSON:   a->json = 1; return EXIT_OK;
	default:         return cli_ticket_filter_option(c, o, optarg, &a->filter);
	}
}

static int list_parse(cli *c, int argc, char **argv, list_args *a)
{
	bt_ticket_filter init = BT_TICKET_FILTER_INIT;
	int o;

	memset(a, 0, sizeof(*a));
	a->filter = init;
	while ((o = cli_next_opt(c, argc, argv, list_options)) > 0)
		if (list_option(c, o, a))
			return 1;
	if (o < 0 || cli_operands(c, argc, argv, 0, 0, ""))
		return 1;
	return cli_ticket_filter_check(c, &a->filter);
}

int cmd_list(cli *c, int argc, char **argv)
{
	bt_ticket_iter *it;
	char *more = NULL;
	list_args a;
	bt_db *db;
	int rc;

	if (list_parse(c, argc, argv, &a))
		return c->exit_code;
	rc = cli_open(c, CLI_READ, &db);
	if (rc != EXIT_OK)
		return rc;
	rc = bt_ticket_iter_new(db, &a.filter, &it);
	if (rc != BT_OK) {
		rc = cli_fail(rc, a.filter.cursor
			      ? "pass the cursor printed by the same list command (same --sort)" : NULL);
	} else {
		rc = print_tickets(it, a.limit, a.json, &more);
		bt_ticket_iter_free(it);
	}
	fflush(stdout); /* the hint comes after the table it is about */
	if (more)
		fprintf(stderr, "next page: --cursor %s\n", more);
	free(more);
	bt_close(db);
	return rc;
}

/* ---- pending ---- */

static const struct option pending_options[] = {
	CLI_COMMON_OPTIONS,
	{ "agent", required_argument, NULL, OPT_AGENT },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

typedef struct pending_args {
	const char *agent;
	int64_t limit, max_attempts;
	int json;
} pending_args;

static int pending_parse(cli *c, int argc, char **argv, pending_args *a)
{
	int o = 0, rc = EXIT_OK;

	memset(a, 0, sizeof(*a));
	while (rc == EXIT_OK && (o = cli_next_opt(c, argc, argv, pending_options)) > 0) {
		switch (o) {
		case OPT_AGENT: a->agent = optarg; break;
		case OPT_LIMIT: rc = cli_parse_int(c, "--limit", optarg, 1, 1000, &a->limit); break;
		case OPT_MAX_ATTEMPTS:
			rc = cli_parse_int(c, "--max-attempts", optarg, 0, INT32_MAX, &a->max_attempts);
			break;
		case OPT_JSON: a->json = 1; break;
		default: rc = cli_usage_error(c, "unexpected option"); break;
		}
	}
	return rc != EXIT_OK || o < 0 || cli_operands(c, argc, argv, 0, 0, "");
}

static void pending_row(table *tab, const bt_ticket *t)
{
	char count[24], attempts[24];
	const char *cells[7], *styles[7] = { NULL };
	const char *holder = bt_ticket_claimed_by(t);

	snprintf(count, sizeof(count), "%lld", (long long)bt_ticket_occurrence_count(t));
	snprintf(attempts, sizeof(attempts), "%lld", (long long)bt_ticket_automation_attempts(t));
	cells[0] = bt_ticket_number(t);
	cells[1] = bt_status_name(bt_ticket_status(t));
	cells[2] = bt_severity_name(bt_ticket_severity(t));
	cells[3] = count;
	cells[4] = attempts;
	cells[5] = holder ? holder : "-";
	cells[6] = bt_ticket_title(t) ? bt_ticket_title(t) : "-";
	styles[1] = style_status(t);
	styles[2] = style_severity(bt_ticket_severity(t));
	table_add_styled(tab, cells, styles);
}

static int print_pending(bt_ticket_iter *it, int as_json)
{
	static const char *const header[] = {
		"NUMBER", "STATUS", "SEVERITY", "COUNT", "ATTEMPTS", "CLAIMED BY", "TITLE"
	};
	static const int max[] = { 0, 0, 0, 0, 0, 24, 0 };
	/* Narrow terminals drop ATTEMPTS, CLAIMED BY, COUNT, SEVERITY, STATUS,
	 * in that order (table_drop_order), keeping NUMBER and TITLE. */
	static const int drop[] = { 0, 5, 4, 3, 1, 2, 0 };
	table *tab;
	bt_ticket *t;
	int rc;

	if (as_json) {
		char *more;

		return print_tickets(it, 0, 1, &more);
	}
	tab = table_new(7, header, "lllrrll", max);
	table_drop_order(tab, drop);
	while ((rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
		pending_row(tab, t);
		bt_ticket_free(t);
	}
	if (rc == BT_ITEROVER)
		table_print(tab, stdout, output_width());
	table_free(tab);
	return rc == BT_ITEROVER ? EXIT_OK : cli_fail(rc, NULL);
}

int cmd_pending(cli *c, int argc, char **argv)
{
	bt_ticket_iter *it;
	pending_args a;
	bt_db *db;
	int rc;

	if (pending_parse(c, argc, argv, &a))
		return c->exit_code;
	rc = cli_open(c, CLI_READ, &db);
	if (rc != EXIT_OK)
		return rc;
	rc = bt_ticket_pending(db, a.agent, (int)a.max_attempts, (unsigned int)a.limit, &it);
	if (rc == BT_OK) {
		rc = print_pending(it, a.json);
		bt_ticket_iter_free(it);
	} else {
		rc = cli_fail(rc, NULL);
	}
	bt_close(db);
	return rc;
}

/* ---- stats ---- */

static const struct option stats_options[] = {
	CLI_COMMON_OPTIONS,
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static void stats_text_counts(const stats *s)
{
	int i, color = color_enabled(stdout);

	printf("%-24s %6lld\n", "tickets", (long long)s->counts.total);
	printf("%-24s %6lld\n", "open", (long long)s->open);
	printf("%-24s %6lld\n", "overdue", (long long)s->counts.overdue);
	printf("%-24s %6lld\n", "created today (UTC)", (long long)s->created_today);
	printf("%-24s %6lld\n", "created last 7 days", (long long)s->created_week);
	/* Only when it happened: a loss must be visible, not a routine line. */
	if (s->counts.dropped)
		printf("%-24s %6lld  (full async queue; see bugtrack doctor)\n", "dropped occurrences",
		       (long long)s->counts.dropped);
	printf("\nby status\n");
	for (i = BT_STATUS_NEW; i <= BT_STATUS_CLOSED; i++)
		printf("  %-22s %6lld\n", bt_status_name((bt_status)i),
		       (long long)stats_status_count(&s->counts, (bt_status)i));
	printf("\nopen by severity\n");
	for (i = BT_SEVERITY_CRITICAL; i >= BT_SEVERITY_LOW; i--) {
		const char *name = bt_severity_name((bt_severity)i);

		/* The colour goes around the name, not its padding. */
		fputs("  ", stdout);
		color_fputs(stdout, color, style_severity((bt_severity)i), name);
		printf("%*s %6lld\n", 22 - (int)strlen(name), "",
		       (long long)stats_open_severity_count(&s->counts, (bt_severity)i));
	}
}

static int stats_text(const stats *s, bt_ticket_iter *top)
{
	char *more;
	int rc;

	stats_text_counts(s);
	printf("\ntop recurring open tickets\n");
	rc = print_tickets(top, 10, 0, &more);
	free(more); /* the rest of the list is not wanted */
	return rc;
}

int cmd_stats(cli *c, int argc, char **argv)
{
	bt_ticket_iter *top = NULL;
	int o, as_json = 0, rc;
	bt_db *db;
	stats s;

	while ((o = cli_next_opt(c, argc, argv, stats_options)) == OPT_JSON)
		as_json = 1;
	if (o != 0 || cli_operands(c, argc, argv, 0, 0, ""))
		return o > 0 ? cli_usage_error(c, "unexpected option") : c->exit_code;
	rc = cli_open(c, CLI_READ, &db);
	if (rc != EXIT_OK)
		return rc;
	rc = stats_gather(db, c->now_ms, &s);
	if (rc == BT_OK && as_json)
		rc = emit_stats_json(stdout, db, &s);
	else if (rc == BT_OK)
		rc = stats_top_recurring(db, &top);
	if (rc != BT_OK)
		rc = cli_fail(rc, NULL);
	else if (!as_json)
		rc = stats_text(&s, top);
	bt_ticket_iter_free(top);
	bt_close(db);
	return rc;
}
