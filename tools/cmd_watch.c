/*
 * cmd_watch.c - watch: follow the change feed (bt_audit_feed) and print
 * each ticket change as one line as it is committed, as `journalctl -f`
 * follows a journal.  Waiting is bt_audit_wait(), the long poll bugtrackd's
 * /pending uses: no busy loop of ours.
 *
 * The wait is cut into short slices so that SIGINT and SIGTERM (which only
 * set a flag) end the command within one slice, with exit 0.  Each line is
 * flushed as it is written, so a pipe sees it at once.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const char watch_usage[] =
	"usage: bugtrack watch [OPTIONS]\n\n"
	"Follow ticket changes as they are committed, one line each: new tickets,\n"
	"regressions, status changes, claims, notes, assignments, merges.  Repeated\n"
	"occurrences are not changes (list sorted by last occurrence shows them).\n"
	"Starts at the end of the feed (only what happens from now on) unless\n"
	"--cursor is given.\n"
	"Stops with exit 0 on SIGINT or SIGTERM, after --count events or after\n"
	"--timeout seconds.\n\n"
	"options:\n"
	"  --cursor C           start after feed cursor C (printed by --json as\n"
	"                       \"cursor\"), so that a restart misses nothing; an empty\n"
	"                       C starts at the oldest event kept\n"
	"  --status S           only tickets in these statuses (comma-separated, or open)\n"
	"  --severity S         only tickets of this severity\n"
	"  --severity-min S     only tickets at least this severe\n"
	"  --component NAME     only tickets of this component\n"
	"  --assignee NAME      only tickets assigned to NAME\n"
	"  --count N            stop after N events (1-1000000)\n"
	"  --timeout SECONDS    stop after SECONDS (1-86400), whatever came\n"
	"  --json               one JSON object a line (NDJSON): cursor, event (as\n"
	"                       export events writes it) and ticket (as list --json)\n"
	"  --db PATH            the database (default: $BUGTRACK_DB, else ./bugtrack.db)\n"
	CLI_COMMON_HELP_TAIL "\n"
	"A line: TIME  NUMBER  SEVERITY  COMPONENT  KIND [FROM -> TO | NOTE]  TITLE\n"
	"(ACTOR)\n";

/* The longest one wait lasts: how soon a signal or --timeout is seen. */
#define SLICE_MS 200

static volatile sig_atomic_t stop;

/* --timeout runs on the monotonic clock: BUGTRACK_NOW_MS, which tests set,
 * must not stop it, nor a change of the wall clock. */
static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const struct option watch_options[] = {
	CLI_COMMON_OPTIONS,
	{ "cursor", required_argument, NULL, OPT_CURSOR },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "severity", required_argument, NULL, OPT_SEVERITY },
	{ "severity-min", required_argument, NULL, OPT_SEVERITY_MIN },
	{ "component", required_argument, NULL, OPT_COMPONENT },
	{ "assignee", required_argument, NULL, OPT_ASSIGNEE },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

typedef struct watch_args {
	bt_ticket_filter filter;  /* status, severity, component, assignee only */
	const char *cursor;
	int64_t count, timeout_s;
	int json;
} watch_args;

static int watch_option(cli *c, int o, watch_args *a)
{
	switch (o) {
	case OPT_CURSOR:  a->cursor = optarg; return EXIT_OK;
	case OPT_COUNT:   return cli_parse_int(c, "--count", optarg, 1, 1000000, &a->count);
	case OPT_TIMEOUT: return cli_parse_int(c, "--timeout", optarg, 1, 86400, &a->timeout_s);
	case OPT_JSON:    a->json = 1; return EXIT_OK;
	default:          return cli_ticket_filter_option(c, o, optarg, &a->filter);
	}
}

static int watch_parse(cli *c, int argc, char **argv, watch_args *a)
{
	bt_ticket_filter init = BT_TICKET_FILTER_INIT;
	int o;

	memset(a, 0, sizeof(*a));
	a->filter = init;
	while ((o = cli_next_opt(c, argc, argv, watch_options)) > 0)
		if (watch_option(c, o, a))
			return 1;
	return o < 0 || cli_operands(c, argc, argv, 0, 0, "");
}

/* Whether ticket @p t passes the filters, as list would show it. */
static int wanted(const bt_ticket_filter *f, const bt_ticket *t)
{
	const char *comp = bt_ticket_component(t), *who = bt_ticket_assignee(t);

	if (f->status_mask && !(f->status_mask & BT_STATUS_BIT(bt_ticket_status(t))))
		return 0;
	if (f->min_severity && bt_ticket_severity(t) < f->min_severity)
		return 0;
	if (f->severity && bt_ticket_severity(t) != f->severity)
		return 0;
	if (f->component && (!comp || strcmp(comp, f->component) != 0))
		return 0;
	return !f->assignee || (who && strcmp(who, f->assignee) == 0);
}

static void print_json(const bt_ticket *t, const bt_audit_entry *e, const char *cursor)
{
	col_row r = { t, NULL, e };
	json j;

	json_init_compact(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "cursor", cursor);
	col_json(&j, "event", &event_cols, &r, 0);
	col_json(&j, "ticket", &ticket_cols, &r, COL_EXPORT);
	json_object_end(&j);
	json_finish(&j);
}

/* Stored text, cleaned of terminal escapes; "-" when there is none. */
static void put_clean(const char *s)
{
	char *clean = s && *s ? text_clean(s, 0) : NULL;

	fputs(clean ? clean : "-", stdout);
	free(clean);
}

static void print_line(const bt_ticket *t, const bt_audit_entry *e)
{
	const char *from = bt_audit_entry_from(e), *to = bt_audit_entry_to(e);
	const char *note = bt_audit_entry_note(e);
	char when[40];

	format_time(bt_audit_entry_created_at(e), 1, when, sizeof(when));
	printf("%s  %s  %-8s  ", when, bt_ticket_number(t), bt_severity_name(bt_ticket_severity(t)));
	put_clean(bt_ticket_component(t));
	fputs("  ", stdout);
	put_clean(bt_audit_entry_kind(e));
	if (from || to) {
		fputc(' ', stdout);
		if (from) {
			put_clean(from);
			fputs(" -> ", stdout);
		}
		put_clean(to);
	}
	if (note) {
		fputs(": ", stdout);
		put_clean(note);
	}
	fputs("  ", stdout);
	put_clean(bt_ticket_title(t));
	fputs("  (", stdout);
	put_clean(bt_audit_entry_actor(e));
	fputs(")\n", stdout);
}

/* Print what the feed holds now; *@p left counts down --count. */
static int drain(bt_db *db, bt_audit_iter *it, const watch_args *a, int64_t *left, int show)
{
	bt_audit_entry *e;
	int rc = BT_OK;

	while (!stop && (!a->count || *left > 0) && (rc = bt_audit_iter_next(it, &e)) == BT_OK) {
		bt_ticket *t = NULL;

		/* A ticket deleted since has no line: its events left the feed. */
		rc = show ? bt_ticket_get(db, bt_audit_entry_ticket_id(e), &t) : BT_ENOTFOUND;
		if (rc == BT_OK && wanted(&a->filter, t)) {
			if (a->json)
				print_json(t, e, bt_audit_iter_cursor(it));
			else
				print_line(t, e);
			if (fflush(stdout) != 0 || ferror(stdout)) {
				bt_ticket_free(t);
				bt_audit_entry_free(e);
				return BT_EIO;
			}
			(*left)--;
		}
		bt_ticket_free(t);
		bt_audit_entry_free(e);
		if (rc != BT_OK && rc != BT_ENOTFOUND)
			return rc;
	}
	return stop || (a->count && *left <= 0) || rc == BT_ITEROVER ? BT_OK : rc;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int cmd_watch(cli *c, int argc, char **argv)
{
	bt_audit_iter *it = NULL;
	int64_t left, deadline = 0;
	watch_args a;
	bt_db *db;
	int rc;

	if (watch_parse(c, argc, argv, &a))
		return c->exit_code;
	rc = cli_open(c, CLI_READ, &db);
	if (rc != EXIT_OK)
		return rc;
	catch_signals();
	left = a.count;
	if (a.timeout_s)
		deadline = mono_ms() + a.timeout_s * 1000;
	/* Without a cursor, what is already there is history, not news: start
	 * at the end, without reading it. */
	rc = a.cursor ? bt_audit_feed(db, *a.cursor ? a.cursor : NULL, &it)
		      : bt_audit_feed_end(db, &it);
	while (rc == BT_OK && !stop && (!a.count || left > 0)) {
		int slice = SLICE_MS;

		if (deadline) {
			int64_t rest = deadline - mono_ms();

			if (rest <= 0)
				break;
			if (rest < slice)
				slice = (int)rest;
		}
		rc = bt_audit_wait(it, slice);
		if (rc == BT_OK)
			rc = drain(db, it, &a, &left, 1);
		else if (rc == BT_ITEROVER)
			rc = BT_OK;
	}
	bt_audit_iter_free(it);
	rc = rc == BT_OK ? EXIT_OK : rc == BT_EIO ? EXIT_FAILURE : cli_fail(rc, NULL);
	bt_close(db);
	return rc;
}
