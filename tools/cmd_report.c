/*
 * cmd_report.c - report: aggregates over a time range (summary, top,
 * components, daily, mttr) from the library's bt_aggregate_iter, as a
 * table, CSV or JSON.
 *
 * The columns, their names and their order come from the library (each
 * report kind has a fixed, append-only set), so the three formats cannot
 * drift apart: CSV uses the names as its header, JSON as keys (a time
 * column NAME as NAME in ms and NAME_iso, like export), the table as
 * upper-case headings.  CSV and JSON are written row by row as the
 * iterator streams them; only the table keeps its rows, to align them.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char report_usage[] =
	"usage: bugtrack report (summary | top | components | daily | mttr) [OPTIONS]\n\n"
	"Aggregate what happened over a time range.  Occurrences are exact: every\n"
	"occurrence a ticket counted, however few log rows it kept, counted per UTC\n"
	"day (a range takes in every day it touches); lines that made no ticket do\n"
	"not count.\n\n"
	"reports:\n"
	"  summary              one row: the range, occurrences, tickets_seen (distinct\n"
	"                       tickets that occurred), new_tickets (created),\n"
	"                       resolved, regressions (resolved tickets that came back)\n"
	"                       in the range, and open_now (open now, whatever the range)\n"
	"  top                  the tickets with the most occurrences in the range (ties:\n"
	"                       oldest ticket first), with their all-time\n"
	"                       occurrence_count\n"
	"  components           per component (by name; tickets without one first, as\n"
	"                       '-' or null): occurrences, new_tickets, open_now\n"
	"  daily                per UTC day with activity, then per component:\n"
	"                       occurrences, new_tickets, and the day's totals over the\n"
	"                       rows shown (day_occurrences, day_new_tickets; in the\n"
	"                       table a '(all)' row per day, then a sparkline of the\n"
	"                       occurrences a day, one block per calendar day)\n"
	"  mttr                 time to resolve (resolved_at - created_at) of the tickets\n"
	"                       resolved in the range, by severity and overall (all):\n"
	"                       count, mean and median, in ms (null when none)\n\n"
	"options:\n"
	"  --since T            from T, inclusive (default: the first record)\n"
	"  --until T            to T, exclusive (default: no end)\n"
	CLI_TIME_HELP
	"                       without either the report covers everything\n"
	"  --limit N            top only: at most N tickets (1-1000; default 10)\n"	"  --component NAME     daily only: the rows of this component alone\n"
	"  --format F           table (default), csv or json\n"
	"  --json               the same as --format json\n"
	"  --db PATH            the database (default: $BUGTRACK_DB, else ./bugtrack.db)\n"
	CLI_COMMON_HELP_TAIL "\n"
	"formats:\n"
	"  table                aligned columns with short headings, without top's id\n"
	"                       (summary: one NAME VALUE line per column); times as\n"
	"                       YYYY-MM-DD HH:MM UTC, durations as 2h 05m, missing\n"
	"                       values as '-'\n"
	"  csv                  RFC 4180 as in export: the header below, CRLF, times ISO\n"
	"                       8601 UTC, durations in ms, a missing value empty\n"
	"  json                 summary: one object; the others: an array of objects;\n"
	"                       keys as the CSV header, a time NAME as NAME (ms) and\n"
	"                       NAME_iso, durations in ms, missing values null\n";

/* The frozen CSV headers, one line per report: the test compares them
 * with the headers the library's columns produce. */
void report_usage_tail(FILE *f)
{
	fputs("\nThe frozen CSV headers (columns are only ever appended):\n"
	      "  summary:    from,to,occurrences,tickets_seen,new_tickets,resolved,regressions,\n"
	      "              open_now\n"
	      "  top:        rank,id,number,occurrences,occurrence_count,status,severity,\n"
	      "              component,last_occurred_at,title\n"
	      "  components: component,occurrences,new_tickets,open_now\n"
	      "  daily:      day,component,occurrences,new_tickets,day_occurrences,\n"
	      "              day_new_tickets\n"
	      "  mttr:       severity,resolved,mean_ms,median_ms\n", f);
}

enum report_format { REPORT_TABLE, REPORT_CSV, REPORT_JSON };

typedef struct report_args {
	bt_aggregate_kind kind;
	bt_aggregate_options opts;
	enum report_format format;
	int64_t limit;
	const char *component;
} report_args;

/* ---- values ---- */

/* "850ms", "42s", "12m 05s", "3h 07m", "2d 04h". */
static void format_duration(int64_t ms, char *buf, size_t size)
{
	const char *sign = ms < 0 ? "-" : "";
	long long v = ms < 0 ? -(long long)ms : (long long)ms;
	long long s = v / 1000;

	if (v < 1000)
		snprintf(buf, size, "%s%lldms", sign, v);
	else if (s < 60)
		snprintf(buf, size, "%s%llds", sign, s);
	else if (s < 3600)
		snprintf(buf, size, "%s%lldm %02llds", sign, s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%s%lldh %02lldm", sign, s / 3600, s / 60 % 60);
	else
		snprintf(buf, size, "%s%lldd %02lldh", sign, s / 86400, s / 3600 % 24);
}

/* Column @p col of the current row as table text in @p buf, or a string
 * the iterator owns. */
static const char *cell_text(const bt_aggregate_iter *it, int col, char *buf, size_t size)
{
	if (bt_aggregate_iter_is_null(it, col))
		return "-";
	switch (bt_aggregate_iter_column_type(it, col)) {
	case BT_AGGREGATE_TEXT:
		return bt_aggregate_iter_text(it, col);
	case BT_AGGREGATE_TIME:
		format_time(bt_aggregate_iter_int(it, col), 0, buf, size);
		return buf;
	case BT_AGGREGATE_DURATION:
		format_duration(bt_aggregate_iter_int(it, col), buf, size);
		return buf;
	default:
		snprintf(buf, size, "%lld", (long long)bt_aggregate_iter_int(it, col));
		return buf;
	}
}

/* ---- the formats ---- */

/* Shorter table headings, so that a title keeps some room; "" leaves the
 * column out of the table (the ticket number already names it). */
static const struct { const char *name, *heading; } headings[] = {
	{ "rank", "#" }, { "id", "" }, { "occurrence_count", "TOTAL" },
	{ "last_occurred_at", "LAST" }, { "mean_ms", "MEAN" }, { "median_ms", "MEDIAN" },
};

/* "new_tickets" -> "NEW TICKETS", or the heading above; free it. */
static char *heading(const char *name)
{
	char *h, *p;
	size_t i;

	for (i = 0; i < sizeof(headings) / sizeof(headings[0]); i++)
		if (strcmp(name, headings[i].name) == 0)
			return xstrdup(headings[i].heading);
	h = xstrdup(name);
	for (p = h; *p; p++)
		*p = *p == '_' ? ' ' : (char)toupper((unsigned char)*p);
	return h;
}

static int emit_table(bt_aggregate_iter *it)
{
	int ncols = bt_aggregate_iter_column_count(it), i, n = 0, rc;
	char **header = xmalloc(sizeof(*header) * (size_t)ncols);
	int *src = xmalloc(sizeof(*src) * (size_t)ncols); /* table column -> report column */
	const char **cells = xmalloc(sizeof(*cells) * (size_t)ncols);
	char (*bufs)[40] = xmalloc(sizeof(*bufs) * (size_t)ncols);
	char *align = xmalloc((size_t)ncols + 1);
	int *max = xmalloc(sizeof(*max) * (size_t)ncols);
	table *tab;

	for (i = 0; i < ncols; i++) {
		bt_aggregate_type type = bt_aggregate_iter_column_type(it, i);
		char *h = heading(bt_aggregate_iter_column_name(it, i));

		if (!*h) {
			free(h);
			continue;
		}
		header[n] = h;
		align[n] = type == BT_AGGREGATE_INT || type == BT_AGGREGATE_DURATION ? 'r' : 'l';
		max[n] = 0;
		src[n++] = i;
	}
	align[n] = '\0';
	tab = table_new(n, (const char *const *)header, align, max);
	while ((rc = bt_aggregate_iter_next(it)) == BT_OK) {
		for (i = 0; i < n; i++)
			cells[i] = cell_text(it, src[i], bufs[i], sizeof(bufs[i]));
		table_add(tab, cells);
	}
	if (rc == BT_ITEROVER)
		table_print(tab, stdout, output_width());
	table_free(tab);
	for (i = 0; i < n; i++)
		free(header[i]);
	free(header), free(src), free(cells), free(bufs), free(align), free(max);
	return rc;
}

/* The summary's one row as NAME VALUE lines, as `stats` prints counts. */
static int emit_pairs(bt_aggregate_iter *it)
{
	int ncols = bt_aggregate_iter_column_count(it), i;
	int rc = bt_aggregate_iter_next(it);
	char buf[40];

	if (rc != BT_OK)
		return rc;
	for (i = 0; i < ncols; i++) {
		char *clean = text_clean(cell_text(it, i, buf, sizeof(buf)), 0);

		printf("%-14s %s\n", bt_aggregate_iter_column_name(it, i), clean);
		free(clean);
	}
	return bt_aggregate_iter_next(it);
}

static int emit_csv(bt_aggregate_iter *it)
{
	int ncols = bt_aggregate_iter_column_count(it), i, rc;
	char buf[40];

	for (i = 0; i < ncols; i++) {
		if (i > 0)
			fputc(',', stdout);
		csv_string(stdout, bt_aggregate_iter_column_name(it, i));
	}
	fputs("\r\n", stdout);
	while ((rc = bt_aggregate_iter_next(it)) == BT_OK) {
		for (i = 0; i < ncols; i++) {
			if (i > 0)
				fputc(',', stdout);
			if (bt_aggregate_iter_is_null(it, i))
				continue;
			switch (bt_aggregate_iter_column_type(it, i)) {
			case BT_AGGREGATE_TEXT:
				csv_string(stdout, bt_aggregate_iter_text(it, i));
				break;
			case BT_AGGREGATE_TIME:
				format_iso(bt_aggregate_iter_int(it, i), buf, sizeof(buf));
				fputs(buf, stdout);
				break;
			default:
				printf("%lld", (long long)bt_aggregate_iter_int(it, i));
				break;
			}
		}
		fputs("\r\n", stdout);
	}
	return rc;
}

/* ---- options ---- */

static const struct option report_options[] = {
	CLI_COMMON_OPTIONS,
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "component", required_argument, NULL, OPT_COMPONENT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static int parse_kind(cli *c, const char *text, bt_aggregate_kind *out)
{
	if (report_kind_from_name(text, out))
		return EXIT_OK;
	return cli_usage_error(c, "unknown report '%s'; use summary, top, components, daily or "
			       "mttr", text);
}

static int parse_format(cli *c, const char *text, enum report_format *out)
{
	if (strcmp(text, "table") == 0)
		*out = REPORT_TABLE;
	else if (strcmp(text, "csv") == 0)
		*out = REPORT_CSV;
	else if (strcmp(text, "json") == 0)
		*out = REPORT_JSON;
	else
		return cli_usage_error(c, "unknown format '%s'; use table, csv or json", text);
	return EXIT_OK;
}

static int report_option(cli *c, int o, report_args *a)
{
	switch (o) {
	case OPT_SINCE:  return cli_parse_time(c, "--since", optarg, &a->opts.from);
	case OPT_UNTIL:  return cli_parse_time(c, "--until", optarg, &a->opts.to);
	case OPT_LIMIT:  return cli_parse_int(c, "--limit", optarg, 1, 1000, &a->limit);
	case OPT_COMPONENT: a->component = optarg; return EXIT_OK;
	case OPT_FORMAT: return parse_format(c, optarg, &a->format);
	case OPT_JSON:   a->format = REPORT_JSON; return EXIT_OK;
	default:         return cli_usage_error(c, "unexpected option");
	}
}

/* Non-zero to stop with c->exit_code. */
static int report_parse(cli *c, int argc, char **argv, report_args *a)
{
	bt_aggregate_options init = BT_AGGREGATE_OPTIONS_INIT;
	int o;

	memset(a, 0, sizeof(*a));
	a->opts = init;
	while ((o = cli_next_opt(c, argc, argv, report_options)) > 0)
		if (report_option(c, o, a))
			return 1;
	if (o < 0 || cli_operands(c, argc, argv, 1, 1, "REPORT (summary, top, components, "
				  "daily or mttr)") || parse_kind(c, argv[optind], &a->kind))
		return 1;
	if (a->opts.from && a->opts.to && a->opts.from >= a->opts.to)
		return cli_usage_error(c, "--since must be before --until");
	if (a->limit && a->kind != BT_AGGREGATE_TOP)
		return cli_usage_error(c, "--limit applies only to 'report top'");
	if (a->component && a->kind != BT_AGGREGATE_DAILY)
		return cli_usage_error(c, "--component applies only to 'report daily'");
	a->opts.limit = (unsigned int)a->limit;
	return 0;
}

/* ---- the command ---- */

int cmd_report(cli *c, int argc, char **argv)
{
	bt_aggregate_iter *it;
	report_args a;
	bt_db *db;
	int rc;

	if (report_parse(c, argc, argv, &a))
		return c->exit_code;
	rc = cli_open(c, CLI_READ, &db);
	if (rc != EXIT_OK)
		return rc;
	rc = bt_aggregate_iter_new(db, a.kind, &a.opts, &it);
	if (rc == BT_OK) {
		int single = a.kind == BT_AGGREGATE_SUMMARY;

		static const daily_format daily_formats[] = {
			[REPORT_TABLE] = DAILY_TABLE, [REPORT_CSV] = DAILY_CSV, [REPORT_JSON] = DAILY_JSON
		};

		if (a.kind == BT_AGGREGATE_DAILY)
			rc = emit_daily(stdout, it, daily_formats[a.format], a.component);
		else switch (a.format) {
		case REPORT_CSV:  rc = emit_csv(it); break;
		case REPORT_JSON: rc = emit_report_json(stdout, it, single); break;
		default:          rc = single ? emit_pairs(it) : emit_table(it); break;
		}
		bt_aggregate_iter_free(it);
	}
	rc = rc == BT_OK || rc == BT_ITEROVER ? EXIT_OK : cli_fail(rc, NULL);
	bt_close(db);
	return rc;
}
