/*
 * cli.h - shared declarations of the bugtrack command-line tool.
 *
 * The tool is a thin shell over the public API in bugtrack.h: it parses
 * arguments, calls the library, and renders what comes back as a table, as
 * text or as JSON.  It never touches SQL or the library's internals, so it
 * also shows what the public API can and cannot do.  The one exception is a
 * pure function compiled in from lib/core (iso8601.c), so that the tool
 * reads a date exactly as import does.
 */
#ifndef BUGTRACK_CLI_H
#define BUGTRACK_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include <bugtrack.h>

/* Exit codes, documented in `bugtrack --help`. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,    /* anything else: I/O, corrupt database, schema */
	EXIT_USAGE = 2,    /* bad option or argument, BT_EINVALID */
	EXIT_NOTFOUND = 3, /* BT_ENOTFOUND, including a missing database */
	EXIT_CONFLICT = 4  /* BT_ECONFLICT, BT_EBUSY, BT_ESTATE */
};

struct command;

/* What every command gets: the global settings and its own description. */
typedef struct cli {
	const char *db_path;        /* --db, or NULL for the library's default */
	int64_t now_ms;             /* the real time, or BUGTRACK_NOW_MS */
	int fixed_clock;            /* BUGTRACK_NOW_MS was given */
	char actor[128];            /* the default actor, "user:$USER" */
	const struct command *cmd;  /* the command being run */
	int exit_code;              /* set by cli_next_opt when it stops */
	int complete;               /* `__complete CMD`: print the options, run nothing */
	int no_pager;               /* --no-pager */
} cli;

typedef int (*command_fn)(cli *c, int argc, char **argv);

typedef struct command {
	const char *name;
	command_fn run;
	const char *summary;
	const char *usage; /* "usage: ...\n\n...options..." */
	/* Prints more help after @ref usage (generated text); may be NULL. */
	void (*usage_tail)(FILE *f);
} command;

/* ---- options (util.c) ---- */

/* Codes of long-only options; short options use their character. */
enum {
	OPT_DB = 256, OPT_JSON, OPT_STATUS, OPT_SEVERITY_MIN, OPT_COMPONENT,
	OPT_ASSIGNEE, OPT_SINCE, OPT_UNTIL, OPT_REGRESSED, OPT_OVERDUE,
	OPT_CLAIMED, OPT_UNCLAIMED, OPT_SEARCH, OPT_SORT, OPT_LIMIT, OPT_CURSOR,
	OPT_LOGS, OPT_NOTE, OPT_NOTES, OPT_ACTOR, OPT_EXPECT_VERSION, OPT_TOKEN,
	OPT_NONE, OPT_AGENT, OPT_LEASE, OPT_COMMIT, OPT_RELEASE, OPT_INTO,
	OPT_DAYS, OPT_DRY_RUN, OPT_INCLUDE_OPEN, OPT_BATCH, OPT_MAX_ATTEMPTS,
	OPT_FORMAT, OPT_TICKET, OPT_LEVEL, OPT_LEVEL_MIN, OPT_CHANGED_SINCE, OPT_SCOPE,
	OPT_SEVERITY, OPT_PRIORITY, OPT_CATEGORY, OPT_YES, OPT_FULL, OPT_COUNT, OPT_TIMEOUT,
	OPT_COLOR, OPT_UTC, OPT_NO_PAGER
};

/* Every command's option table starts with these, which the global
 * options repeat (cli_next_opt handles them). */
#define CLI_COMMON_OPTIONS \
	{ "db", required_argument, NULL, OPT_DB }, \
	{ "color", required_argument, NULL, OPT_COLOR }, \
	{ "utc", no_argument, NULL, OPT_UTC }, \
	{ "help", no_argument, NULL, 'h' }

/* Their help, after the --db line each command words its own way. */
#define CLI_COMMON_HELP_TAIL \
	"  --color=WHEN         colour: auto (the default), always or never\n" \
	"  --utc                show times in UTC, not in the local time zone (TZ)\n" \
	"  -h, --help           print this help\n"

/* How every option that takes a time T reads it (cli_parse_time). */
#define CLI_TIME_HELP \
	"                       T is YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (UTC, or the\n" \
	"                       zone of a Z or +HH:MM suffix), now, today, yesterday\n" \
	"                       (midnight UTC), or a time ago: 90s, 15m, 2h, 3d, 1w\n"

/* The ticket filters of list (and export tickets). */
#define CLI_TICKET_FILTER_OPTIONS \
	{ "status", required_argument, NULL, OPT_STATUS }, \
	{ "severity", required_argument, NULL, OPT_SEVERITY }, \
	{ "severity-min", required_argument, NULL, OPT_SEVERITY_MIN }, \
	{ "component", required_argument, NULL, OPT_COMPONENT }, \
	{ "assignee", required_argument, NULL, OPT_ASSIGNEE }, \
	{ "since", required_argument, NULL, OPT_SINCE }, \
	{ "until", required_argument, NULL, OPT_UNTIL }, \
	{ "changed-since", required_argument, NULL, OPT_CHANGED_SINCE }, \
	{ "regressed", no_argument, NULL, OPT_REGRESSED }, \
	{ "overdue", no_argument, NULL, OPT_OVERDUE }, \
	{ "claimed", no_argument, NULL, OPT_CLAIMED }, \
	{ "unclaimed", no_argument, NULL, OPT_UNCLAIMED }, \
	{ "search", required_argument, NULL, OPT_SEARCH }, \
	{ "sort", required_argument, NULL, OPT_SORT }

/*
 * The next command-specific option (> 0), 0 when the options are over, or
 * -1 when the command must stop with c->exit_code: --help was printed (0) or
 * a bad option was reported (EXIT_USAGE).  Handles the common options
 * itself.  Long options must be spelt out: an abbreviation or an unknown
 * one is a usage error, naming the closest known option.
 */
int cli_next_opt(cli *c, int argc, char **argv, const struct option *opts);
/* cli_next_opt with short options too: @p shortopts starts with ":h". */
int cli_next_opt_short(cli *c, int argc, char **argv, const char *shortopts,
		       const struct option *opts);
/* The option of @p opts named exactly @p name (@p len bytes), or NULL. */
const struct option *cli_find_long(const struct option *opts, const char *name, size_t len);
/* The option of @p opts that @p name (@p len bytes, without "--") most
 * likely meant: one it abbreviates or at most 2 edits away; or NULL. */
const char *cli_closest_long(const struct option *opts, const char *name, size_t len);
/* The first long option in @p argv[1..] (up to "--", and up to the first
 * operand when @p stop_at_operand) that is not exactly one of @p opts, or
 * NULL: getopt_long alone would take an abbreviation for the option. */
const char *cli_inexact_option(int argc, char **argv, const char *shortopts,
			       const struct option *opts, int stop_at_operand);
/* Check that argv[optind..] holds between @p min and @p max operands;
 * @p names names them for the message ("TICKET"). */
int cli_operands(cli *c, int argc, char **argv, int min, int max, const char *names);
/* Report a usage error about the current command (cleaned like cli_error);
 * returns EXIT_USAGE. */
int cli_usage_error(cli *c, const char *fmt, ...) BT_PRINTF(2, 3);
/* Print @p cmd's help: its usage and its usage_tail. */
void cli_print_usage(const command *cmd, FILE *f);

/* ---- errors and parsing (util.c) ---- */

/* Print "bugtrack: <msg>" on stderr, <msg> cleaned by text_clean(): it may
 * hold stored text or arguments, hence terminal escapes. */
void cli_error(const char *fmt, ...) BT_PRINTF(1, 2);
/* @p msg (a library message) without its leading "bt_function: ". */
const char *without_function(const char *msg);
/* The exit code for a library return code. */
int cli_exit_code(int rc);
/* Report the library's last error (with an optional hint) and return the
 * exit code for @p rc. */
/* How long a command waits for another process's lock: the library's
 * default busy timeout, which the tool does not change. */
#define CLI_BUSY_TIMEOUT_S 5
int cli_fail(int rc, const char *hint);

int cli_parse_int(cli *c, const char *opt, const char *text, int64_t min, int64_t max,
		  int64_t *out);
/* The one reading of a time in every option that takes one: ISO 8601 as
 * import reads it (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.fff]] with Z, an
 * offset +HH:MM, or no zone: UTC), now, today, yesterday (midnight UTC),
 * or 90s / 15m / 2h / 3d / 1w before now. */
int cli_parse_time(cli *c, const char *opt, const char *text, int64_t *out);
/* A comma-separated list of statuses (or "open") into a status mask. */
int cli_parse_status_mask(cli *c, const char *text, unsigned int *mask);
int cli_parse_status(cli *c, const char *text, bt_status *out);
/* The parsers above without a cli, for bugtrackd's query parameters:
 * parse_time_value returns non-zero when @p text is a time (as --since
 * reads it, relative to @p now_ms); the others BT_OK or BT_EINVALID (the
 * library's message names the known values for a status). */
int parse_time_value(const char *text, int64_t now_ms, int64_t *out);
int parse_status_mask(const char *text, unsigned int *mask);
/* last, count, severity or created. */
int parse_sort_name(const char *text, bt_ticket_sort *out);
int cli_parse_severity(cli *c, const char *text, bt_severity *out);
int cli_parse_level(cli *c, const char *text, bt_level *out);

/* ---- the database (util.c) ---- */

enum cli_open_mode {
	CLI_READ,       /* read-only: never creates or migrates */
	CLI_WRITE,      /* read-write, the file must exist */
	CLI_NO_MIGRATE, /* read-write without migrating; the file must exist */
	CLI_CREATE_NO_MIGRATE /* read-write without migrating, created if missing */
};

/* The database a command works on (--db, else $BUGTRACK_DB, else the
 * default): what bt_open will pick, to name it before or without opening. */
const char *cli_db_location(const cli *c);
/* @location as it may be shown (bt_location_display: no password), in a
 * buffer the next call reuses. */
const char *cli_shown(const char *location);
/* 1 when @location is on a server (postgresql:// or postgres://), not a
 * file path: the library decides the same way (README, bt_open). */
int cli_is_server(const char *location);
int cli_open(cli *c, enum cli_open_mode mode, bt_db **out);
/* Read ticket @p arg ("BUG-00042", "bug-42", "42"); reports errors. */
int cli_ticket(bt_db *db, const char *arg, bt_ticket **out);
/* The options of a change made by this invocation. */
void cli_update_options(const cli *c, bt_update_options *o, const char *actor);

/* ---- text (text.c) ---- */

/* Length of the valid UTF-8 sequence at @p s (at most @p len bytes) and its
 * code point, or 0 when the bytes there are not valid UTF-8. */
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
/* A printable copy of @p s: invalid UTF-8 and control characters become
 * U+FFFD, tabs and (unless @p keep_newlines) newlines a space.  Never NULL
 * (exits on out of memory); free it. */
char *text_clean(const char *s, int keep_newlines);
/* "YYYY-MM-DD HH:MM" (@p seconds 0) or "YYYY-MM-DD HH:MM:SS" in the local
 * time zone (TZ), or in UTC after time_display_utc(1) (--utc); "-" for 0. */
void format_time(int64_t ms, int seconds, char *buf, size_t size);
/* Show times in UTC (non-zero) or local time (0, the default). */
void time_display_utc(int on);
/* The zone format_time shows @p ms in: "UTC", or TZ's abbreviation ("CET"). */
void format_time_zone(int64_t ms, char *buf, size_t size);
/* "2026-11-21T16:12:56.000Z"; "" for 0. */
void format_iso(int64_t ms, char *buf, size_t size);
void *xmalloc(size_t size);
char *xstrdup(const char *s);
/* The width to fit tables and text to: 0 (never cut) when stdout is not a
 * terminal; else the terminal's, $COLUMNS when it does not say, or 80. */
int output_width(void);

/* ---- display width (width.c): Unicode 14.0, whatever the locale ---- */

/* Columns code point @p cp takes: 2 for East Asian wide and fullwidth
 * characters and emoji, 0 for combining marks and zero-width characters
 * (U+200B, joiners), 1 otherwise. */
int char_width(uint32_t cp);
/* Columns clean text @p s takes on a terminal. */
size_t text_width(const char *s);
/* Bytes of the longest start of @p s that fits in @p width columns, ending
 * before a character (never inside a UTF-8 sequence, and never between a
 * character and its combining marks); its width into *@p used if not NULL. */
size_t text_fit(const char *s, size_t width, size_t *used);
/* A copy of clean text @p s cut to at most @p width columns, ending with
 * "…" when cut, at a boundary as text_fit's; free it. */
char *text_truncate(const char *s, size_t width);
/* Bytes of the first line of clean text @p s wrapped at @p width columns:
 * all of it when it fits, else up to its last space that lets the line fit
 * (the caller skips the spaces after), else (a word wider than the line)
 * as much as fits, and at least one character with its marks. */
size_t text_wrap(const char *s, size_t width);
/* ---- the pager (pager.c) ---- */
/* Whether @p command's output goes through the pager on a terminal. */
int pager_wanted(const char *command);
/* On a terminal, pipe standard output into $PAGER (unset: less, with
 * LESS=FRX unless LESS is set; empty or "cat": none) until exit, which
 * waits for the pager.  Does nothing when stdout is not a terminal. */
void pager_start(void);
/* The terminal standard output writes to (through the pager or not), or
 * -1: for colour and table widths. */
int stdout_terminal_fd(void);

/* ---- progress on stderr (progress.c) ---- */

typedef struct progress progress;
/* A progress line "WHAT: DONE/TOTAL (P%)" (TOTAL <= 0: unknown), or NULL
 * when stderr is not a terminal.  Every function accepts NULL. */
progress *progress_start(const char *what, int64_t total);
/* Redraw with @p done items done (at most every 100 ms). */
void progress_update(progress *p, int64_t done);
/* Erase the line and free @p p. */
void progress_done(progress *p, int64_t done);
/* Set the total once known (a count made after the start). */
void progress_total(progress *p, int64_t total);
/* Make progress_done() end with "VERB DONE NOUN in S s" on stderr (the
 * line shows only where the progress did: on a terminal). */
void progress_summary(progress *p, const char *verb, const char *noun);

/* ---- tables (table.c) ---- */

typedef struct table table;
/* Column i is right-aligned when @p align[i] is 'r' (else 'l'), and cut to
 * @p max[i] columns when that is > 0 and the table is fitted to a width.
 * Headers must not be empty. */
table *table_new(int ncols, const char *const *header, const char *align, const int *max);
/* Which columns a narrow terminal drops: @p rank[i] > 0 drops column i,
 * lowest rank first, before the last column gets too narrow; 0 keeps it.
 * The last column is never dropped (it shrinks). */
void table_drop_order(table *t, const int *rank);
/* When fitted to a width, the last column wraps between words (text_wrap),
 * later lines indented to it, instead of being cut. */
void table_wrap_last(table *t);
void table_add(table *t, const char *const *cells);
/* As table_add, with cell i in SGR style @p styles[i] ("1;31"; NULL: plain)
 * when table_print() writes colour; @p styles may be NULL, and its strings
 * must outlive the table (string constants). */
void table_add_styled(table *t, const char *const *cells, const char *const *styles);
/* Aligns by the cells' display width; the escape sequences of colour (see
 * color_enabled) go around it and count for nothing.  With @p width > 0
 * (output_width(): a terminal) the table is fitted to it: columns dropped
 * per table_drop_order, then the last column cut with "…"; with 0 nothing
 * is dropped or cut. */
void table_print(table *t, FILE *f, int width);
/* Print @p t on @p f a block of @p block rows at a time as rows are added
 * (table_print at the end prints the rest); the first block sets the widths
 * (see table.c). */
void table_stream(table *t, FILE *f, int width, size_t block);
void table_free(table *t);
/* Whether to write colour to @p f: --color=always or never decides; else
 * never when NO_COLOR is set and not empty; else (without --color)
 * BUGTRACK_COLOR=always or never decides; else (auto) only when @p f is a
 * terminal and TERM is not "dumb". */
int color_enabled(FILE *f);
enum { COLOR_NEVER, COLOR_ALWAYS, COLOR_AUTO };
/* --color=WHEN: "always", "never" or "auto"; 0, or -1 for anything else. */
int color_set_option(const char *when);
/* @p text, wrapped in SGR @p style when @p color and @p style are set. */
void color_fputs(FILE *f, int color, const char *style, const char *text);
/* @p text wrapped between words at @p width columns (text_wrap), later
 * lines starting at column @p indent, in SGR @p style when @p color; no
 * newline after the last line.  A table's last cell, show's values. */
void fput_wrapped(FILE *f, const char *text, size_t width, size_t indent, int color,
		  const char *style);

/* ---- JSON (json.c) ---- */

typedef struct json {
	FILE *f;
	int depth;
	int count[32]; /* members written at each depth, for commas */
	int compact;   /* no newlines or indentation: one value per line */
	/* Output waits here until a value at depth 0 or 1 ends (a ticket of
	 * a listing, a line of NDJSON) or json_finish: one write a value,
	 * not several a member. */
	size_t len;
	char buf[8192];
} json;

void json_init(json *j, FILE *f);
/* As json_init, but writes everything on one line (for NDJSON). */
void json_init_compact(json *j, FILE *f);
/* @p key is NULL inside arrays and at the top. */
void json_object_begin(json *j, const char *key);
void json_object_end(json *j);
void json_array_begin(json *j, const char *key);
void json_array_end(json *j);
void json_string(json *j, const char *key, const char *value); /* NULL: null */
void json_int(json *j, const char *key, int64_t value);
void json_bool(json *j, const char *key, int value);
void json_null(json *j, const char *key);
/* "key": ms and "key_iso": "…Z", both null for 0 (unset). */
void json_time(json *j, const char *key, int64_t ms);
/* Ends the document with a newline. */
void json_finish(json *j);

/* ---- CSV (csv.c) ---- */

/* One CSV field (RFC 4180): quoted when it holds a comma, a double quote, CR
 * or LF, with inner quotes doubled; invalid UTF-8 becomes U+FFFD, so that
 * the output is always valid UTF-8. */
void csv_string(FILE *f, const char *s);

/* ---- the fields of tickets, log rows and events (columns.c) ---- */

/* What a record is made from: a ticket, a log row, or an event with its
 * ticket; the members a record does not use are NULL. */
typedef struct col_row {
	const bt_ticket *t;
	const bt_log_entry *l;
	const bt_audit_entry *e;
} col_row;

/* How each format writes a field. */
typedef enum col_type {
	COL_STR,  /* text; NULL: JSON null, an empty CSV field */
	COL_INT,  /* a number, always written */
	COL_ID,   /* a row id; 0 (none): JSON null, an empty CSV field */
	COL_TIME  /* ms since 1970; JSON: NAME in ms and NAME_iso, both null for 0;
		   * CSV: ISO 8601 UTC (2026-11-21T10:30:00.000Z), empty for 0 */
} col_type;

/* Where a field is written: bits that col_json's @p omit can leave out. */
enum {
	COL_ALWAYS = 0,
	COL_EXPORT = 1 /* only by export, whose rows mix many tickets */
};

typedef struct col_value {
	const char *s; /* COL_STR */
	int64_t n;     /* the others */
} col_value;

typedef struct col_def {
	const char *name; /* the CSV header and the JSON key */
	col_type type;
	unsigned int where;
	col_value (*get)(const col_row *r);
} col_def;

typedef struct col_set {
	const char *name; /* the export table: tickets, logs, events */
	const col_def *defs;
	size_t ndefs;
} col_set;

/* The frozen fields, in order; export, --json and the README list them. */
extern const col_set ticket_cols, log_cols, event_cols;

/* The CSV header line of @p s, and a row (lines end with CRLF). */
void col_csv_header(FILE *f, const col_set *s);
void col_csv_row(FILE *f, const col_set *s, const col_row *r);
/* @p r as a JSON object under @p key, leaving out the fields whose where
 * has a bit of @p omit (COL_EXPORT outside export; 0: every field). */
void col_json(json *j, const char *key, const col_set *s, const col_row *r, unsigned int omit);

/* ---- rendering tickets, log rows and events (render.c) ---- */

/* Names of the values the API has no *_name() function for; NULL if unknown. */
const char *cli_priority_name(bt_priority p);
const char *cli_source_name(bt_source s);
/* The JSON of --json: col_json without the export-only fields. */
void render_ticket_json(json *j, const char *key, const bt_ticket *t);
void render_log_json(json *j, const bt_log_entry *e);
/* An event @p e of ticket @p t. */
void render_event_json(json *j, const bt_ticket *t, const bt_audit_entry *e);
/* The ticket table of list and stats. */
table *ticket_table_new(void);
void ticket_table_add(table *tab, const bt_ticket *t);
/* SGR styles (table_add_styled) of a ticket's status and severity cells,
 * or NULL for plain: critical red, high yellow, new bold, an open ticket
 * that regressed magenta. */
const char *style_status(const bt_ticket *t);
const char *style_severity(bt_severity s);

/* ---- whole --json documents, to any stream (emit.c) ---- */

/* The tickets of @p it, at most @p limit of them (0: all), as JSON array
 * elements on @p j or rows of @p tab (the other is NULL).  *@p more_out
 * receives the cursor of the next page (free it) when the limit stopped
 * the listing early, else NULL.  Returns BT_OK or the iterator's error. */
int emit_tickets(bt_ticket_iter *it, int64_t limit, json *j, table *tab, char **more_out);
/* list --json and pending --json: emit_tickets as a JSON document on @p f;
 * on an error the array is left unclosed (the caller reports it). */
int emit_tickets_json(FILE *f, bt_ticket_iter *it, int64_t limit, char **more_out);
/* The "logs" array of show --json: @p t's newest @p max log rows. */
int emit_logs_json(json *j, bt_db *db, const bt_ticket *t, int64_t max);
/* @p t's events, oldest first, as elements of the array open on @p j. */
int emit_events_items(json *j, bt_db *db, const bt_ticket *t);
/* show --json: {"ticket", "logs" (at most @p logs), "events"}. */
int emit_show_json(FILE *f, bt_db *db, const bt_ticket *t, int64_t logs);
/* events --json: the array of @p t's events. */
int emit_events_json(FILE *f, bt_db *db, const bt_ticket *t);

/* report: the kind named @p name (summary, top, components, daily,
 * mttr): 1 with *@p out, or 0. */
int report_kind_from_name(const char *name, bt_aggregate_kind *out);
/* report --json: @p it's rows on @p f, one object (@p single: summary) or
 * an array; BT_ITEROVER when all was written, else the error. */
int emit_report_json(FILE *f, bt_aggregate_iter *it, int single);

/* report daily (report_daily.c): @p it's rows on @p f, only those of
 * @p component when not NULL, each with its day's totals; the table has a
 * "(all)" row per day and a sparkline.  BT_ITEROVER when all was written. */
typedef enum daily_format { DAILY_TABLE, DAILY_CSV, DAILY_JSON } daily_format;
int emit_daily(FILE *f, bt_aggregate_iter *it, daily_format format, const char *component);

/* stats: the counts, and tickets created today and in the last 7 days
 * (UTC, from @p now_ms). */
typedef struct stats {
	bt_ticket_counts counts;
	int64_t open, created_today, created_week;
} stats;
int stats_gather(bt_db *db, int64_t now_ms, stats *s);
/* The count of one status, or of the open tickets of one severity. */
int64_t stats_status_count(const bt_ticket_counts *c, bt_status status);
int64_t stats_open_severity_count(const bt_ticket_counts *c, bt_severity severity);
/* The open tickets, most occurrences first. */
int stats_top_recurring(bt_db *db, bt_ticket_iter **out);
/* stats --json on @p f: @p s and the top 10 recurring; BT_OK or the error. */
int emit_stats_json(FILE *f, bt_db *db, const stats *s);

/* ---- list filters (cmd_list.c) ---- */

/* Apply filter option @p o (one of CLI_TICKET_FILTER_OPTIONS) with its
 * value @p arg to @p f; EXIT_OK or EXIT_USAGE (reported). */
int cli_ticket_filter_option(cli *c, int o, const char *arg, bt_ticket_filter *f);
/* Check a parsed filter (--since before --until); EXIT_OK or EXIT_USAGE. */
int cli_ticket_filter_check(cli *c, const bt_ticket_filter *f);
/* One event as "TIME  ACTOR  KIND  DETAIL" cells, for text output. */
void event_cells(const bt_audit_entry *e, char *time_buf, size_t time_size,
		 char **detail_out, const char *cells[4]);

/* ---- commands ---- */

int cmd_list(cli *c, int argc, char **argv);
int cmd_show(cli *c, int argc, char **argv);
int cmd_stats(cli *c, int argc, char **argv);
int cmd_events(cli *c, int argc, char **argv);
int cmd_pending(cli *c, int argc, char **argv);
int cmd_update(cli *c, int argc, char **argv);
int cmd_assign(cli *c, int argc, char **argv);
int cmd_claim(cli *c, int argc, char **argv);
int cmd_release(cli *c, int argc, char **argv);
int cmd_renew(cli *c, int argc, char **argv);
int cmd_resolve(cli *c, int argc, char **argv);
int cmd_note(cli *c, int argc, char **argv);
int cmd_merge(cli *c, int argc, char **argv);
int cmd_delete(cli *c, int argc, char **argv);
int cmd_purge(cli *c, int argc, char **argv);
int cmd_migrate(cli *c, int argc, char **argv);
int cmd_doctor(cli *c, int argc, char **argv);
int cmd_vacuum(cli *c, int argc, char **argv);
int cmd_export(cli *c, int argc, char **argv);
void export_usage_tail(FILE *f);
int cmd_import(cli *c, int argc, char **argv);
extern const char import_usage[];
int cmd_report(cli *c, int argc, char **argv);
extern const char report_usage[];
void report_usage_tail(FILE *f);
int cmd_token(cli *c, int argc, char **argv);
extern const char token_usage[];
int cmd_watch(cli *c, int argc, char **argv);
extern const char watch_usage[];

#endif /* BUGTRACK_CLI_H */
