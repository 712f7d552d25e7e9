/*
 * bugtrack.c - the bugtrack command-line tool: global options, the table of
 * commands, help, and dispatch.  Each command parses its own options (see
 * cmd_*.c), so `bugtrack COMMAND --help` describes exactly what it accepts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define COMMON "  --db PATH            the database (default: $BUGTRACK_DB, else ./bugtrack.db)\n" \
	       CLI_COMMON_HELP_TAIL
#define ACTOR "  --actor A            who makes the change (default: user:$USER)\n"
#define EXPECT "  --expect-version V   refuse (exit 4) unless the ticket is at version V\n"
#define TOKEN "  --token T            refuse (exit 4) unless claim token T is live on the\n" \
	      "                       ticket\n"
#define ID_HELP "TICKET is BUG-00042, bug-42 or 42, an external id, or the trace id of one\n" \
		"of its occurrences.\n"

static const command commands[] = {
	{ "list", cmd_list, "list tickets, newest occurrence first",
	  "usage: bugtrack list [OPTIONS]\n\n"
	  "List tickets as a table (NUMBER, STATUS, SEVERITY, COUNT, LAST, COMPONENT,\n"
	  "TITLE; times in TZ, or UTC with --utc) fitted to the terminal, or as a JSON\n"
	  "array.\n\n"
	  "options:\n"
	  "  --status S,...       only these statuses: new, triaged, in_progress,\n"
	  "                       awaiting_verification, resolved, closed; open = the\n"
	  "                       first four\n"
	  "  --severity S         only this severity: low, medium, high, critical\n"
	  "  --severity-min S     only at least this severe\n"
	  "  --component C        only this component\n"
	  "  --assignee A         only tickets assigned to A\n"
	  "  --since T            last occurrence at or after T\n"
	  "  --until T            last occurrence before T\n"
	  "  --changed-since T    changed at or after T: updated (a lifecycle change or a\n"
	  "                       regression) or occurred again\n"
	  CLI_TIME_HELP
	  "  --regressed          only tickets that came back after a fix\n"
	  "  --overdue            only open tickets past their SLA\n"
	  "  --claimed            only tickets with a live claim\n"
	  "  --unclaimed          only tickets without one\n"
	  "  --search TEXT        TEXT in the title, error message or description, in any\n"
	  "                       case (Unicode case folding: \xc3\x89" "CHEC finds \xc3\xa9" "chec)\n"
	  "  --sort KEY           last (default), count, severity or created; all\n"
	  "                       descending\n"
	  "  --limit N            at most N tickets; the next page's cursor goes to stderr\n"
	  "  --cursor C           continue after a previous page (same filters and --sort)\n"
	  "  --json               a JSON array of tickets\n" COMMON, NULL },
	{ "show", cmd_show, "show a ticket: every field, recent occurrences, events",
	  "usage: bugtrack show TICKET [--logs N] [--json]\n\n"
	  "Every field of the ticket, its last N occurrences (newest first) and its\n"
	  "event timeline (oldest first).\n" ID_HELP "\n"
	  "options:\n"
	  "  --logs N             how many occurrences to show (default 5; 0 for none)\n"
	  "  --json               {\"ticket\": {...}, \"logs\": [...], \"events\": [...]}\n" COMMON, NULL },
	{ "stats", cmd_stats, "counts by status and severity, top recurring tickets",
	  "usage: bugtrack stats [--json]\n\n"
	  "Tickets by status, open tickets by severity, open and overdue counts, the\n"
	  "tickets created today (since 00:00 UTC) and in the last 7 days, and the ten\n"
	  "open tickets with the most occurrences.\n\n"
	  "options:\n"
	  "  --json               a JSON object\n" COMMON, NULL },
	{ "update", cmd_update, "change a ticket's status, severity, priority or category",
	  "usage: bugtrack update TICKET... [--status S] [--severity S] [--priority P]\n"
	  "                      [--category C] [OPTIONS]\n\n"
	  "Change each TICKET: move it to status S (new, triaged, in_progress,\n"
	  "awaiting_verification, resolved, closed), set its severity, priority or\n"
	  "category; give at least one.  Each ticket changes in one transaction: every\n"
	  "field given, or none of them.  A ticket already in status S is left as it\n"
	  "is (exit 0); a move the lifecycle forbids exits with 4, names the allowed\n"
	  "ones and changes nothing.  Each ticket gets its own line; with several,\n"
	  "every one is tried and the exit status is the first failure's.\n" ID_HELP "\n"
	  "options:\n"
	  "  --status S           the new status\n"
	  "  --severity S         critical, high, medium or low (the SLA follows)\n"
	  "  --priority P         low, medium, high or urgent\n"
	  "  --category C         the new category; \"\" clears it\n"
	  "  --note N             a note recorded with the change\n"
	  ACTOR EXPECT TOKEN COMMON, NULL },
	{ "assign", cmd_assign, "assign a ticket, or unassign it",
	  "usage: bugtrack assign TICKET (ASSIGNEE | --none) [OPTIONS]\n\n"
	  ID_HELP "\n"
	  "options:\n"
	  "  --none               remove the assignee\n"
	  "  --note N             a note recorded with the change\n"
	  ACTOR EXPECT TOKEN COMMON, NULL },
	{ "claim", cmd_claim, "claim an open ticket for an agent; prints the token",
	  "usage: bugtrack claim TICKET --agent A [--lease SECONDS]\n\n"
	  "Claim the ticket for agent A and print the claim token (only the token, on\n"
	  "one line).  The token renews and releases the claim and authorises changes\n"
	  "(--token).  While another claim is live this exits with 4.\n" ID_HELP "\n"
	  "options:\n"
	  "  --agent A            who claims it, e.g. agent:fixer-1 (required)\n"
	  "  --lease SECONDS      how long the claim lasts (default 600)\n" COMMON, NULL },
	{ "release", cmd_release, "give a claim up",
	  "usage: bugtrack release TICKET --token T [--actor A] [--note N]\n\n" ID_HELP "\n"
	  "options:\n"
	  "  --token T            the token 'bugtrack claim' printed (required)\n"
	  "  --note N             a note recorded with the release\n" ACTOR COMMON, NULL },
	{ "renew", cmd_renew, "extend a live claim",
	  "usage: bugtrack renew TICKET --token T [--lease SECONDS] [--actor A] [--note N]\n\n"
	  ID_HELP "\n"
	  "options:\n"
	  "  --token T            the token 'bugtrack claim' printed (required)\n"
	  "  --lease SECONDS      the new lease, from now (default 600)\n"
	  "  --note N             recorded instead of \"lease until ...\"\n" ACTOR COMMON, NULL },
	{ "resolve", cmd_resolve, "resolve a ticket with its fix",
	  "usage: bugtrack resolve TICKET [OPTIONS]\n\n"
	  "Resolve the ticket; this releases its claim.  A recurrence from a release\n"
	  "older than --release does not reopen it.\n" ID_HELP "\n"
	  "options:\n"
	  "  --notes N            resolution notes\n"
	  "  --commit SHA         the fixing commit\n"
	  "  --release R          the release that carries the fix\n"
	  ACTOR TOKEN EXPECT COMMON, NULL },
	{ "note", cmd_note, "add a note to a ticket's trail",
	  "usage: bugtrack note TICKET TEXT [OPTIONS]\n\n" ID_HELP "\n"
	  "options:\n" ACTOR TOKEN EXPECT COMMON, NULL },
	{ "events", cmd_events, "a ticket's audit trail, oldest first",
	  "usage: bugtrack events TICKET [--json]\n\n" ID_HELP "\n"
	  "options:\n"
	  "  --json               a JSON array of events\n" COMMON, NULL },
	{ "merge", cmd_merge, "merge a duplicate ticket into its canonical one",
	  "usage: bugtrack merge DUPLICATE --into CANONICAL [OPTIONS]\n\n"
	  "Fold the duplicate's occurrences, log rows and fingerprint into CANONICAL\n"
	  "and close it; later occurrences land on CANONICAL.\n\n"
	  "options:\n"
	  "  --into CANONICAL     the ticket that stays (required)\n"
	  "  --note N             a note recorded with the change\n"
	  ACTOR EXPECT TOKEN COMMON, NULL },
	{ "delete", cmd_delete, "delete a ticket with its events and log rows",
	  "usage: bugtrack delete TICKET [--yes] [OPTIONS]\n\n"
	  "Delete the ticket with its events, log rows and fingerprint.  On a terminal it\n"
	  "first says how much that is and asks (exit 1 when the answer is not yes);\n"
	  "when stdin is not a terminal it does not ask.  A summary line ends on\n"
	  "stderr.\n" ID_HELP "\n"
	  "options:\n"
	  "  --yes                do not ask, even on a terminal\n" ACTOR EXPECT TOKEN COMMON, NULL },
	{ "purge", cmd_purge, "remove tickets and log rows with no recent activity",
	  "usage: bugtrack purge --days N [OPTIONS]\n\n"
	  "Remove resolved and closed tickets with no activity for N days, with their\n"
	  "events and log rows, and older log rows; print how many were removed.\n\n"
	  "options:\n"
	  "  --days N             the age (required)\n"
	  "  --dry-run            only count what would be removed\n"
	  "  --include-open       remove open tickets too\n"
	  "  --batch N            rows per transaction (default 500)\n"
	  "  --json               a JSON object\n" COMMON, NULL },
	{ "pending", cmd_pending, "the automation queue: open tickets agents may claim",
	  "usage: bugtrack pending [OPTIONS]\n\n"
	  "Open tickets that are unclaimed, whose claim expired, or that --agent holds,\n"
	  "most severe first, then most occurrences, then oldest.\n\n"
	  "options:\n"
	  "  --agent A            include tickets A holds\n"
	  "  --limit N            at most N tickets (1-1000; default 100)\n"
	  "  --max-attempts N     only tickets claimed fewer than N times (default: any)\n"
	  "  --json               a JSON array of tickets\n" COMMON, NULL },
	{ "export", cmd_export, "stream tickets, log rows or events as CSV, JSON or NDJSON",
	  "usage: bugtrack export (tickets | logs | events) [OPTIONS]\n\n"
	  "Write every row of a table that matches the filters, one row at a time (memory\n"
	  "stays constant however many rows there are):\n"
	  "  tickets              as 'list' finds them (same filters, same --sort)\n"
	  "  logs                 the stored log rows, oldest first\n"
	  "  events               the audit trail: for each ticket (newest first, every\n"
	  "                       status) its events, oldest first, with ticket_id and\n"
	  "                       ticket_number\n\n"
	  "formats (--format):\n"
	  "  csv                  the default.  RFC 4180: a header row, then one row per\n"
	  "                       record; fields holding a comma, a double quote, CR or LF\n"
	  "                       are quoted, with inner quotes doubled; lines end with\n"
	  "                       CRLF; UTF-8 (invalid bytes become U+FFFD).  Times are\n"
	  "                       ISO 8601 UTC (2026-11-21T10:30:00.000Z); a missing value\n"
	  "                       (NULL) is an empty field\n"
	  "  json                 one JSON array of objects, as 'list --json' and\n"
	  "                       'show --json' render them (times in ms and in *_iso)\n"
	  "  ndjson               one such JSON object per line\n\n"
	  "options:\n"
	  "  --format F           csv (default), json or ndjson\n"
	  "  -o, --output FILE    write to FILE instead of stdout ('-': stdout)\n"
	  COMMON "\n"
	  "filters of tickets:\n"
	  "  --status, --severity, --severity-min, --component, --assignee, --since,\n"
	  "  --until, --changed-since, --regressed, --overdue, --claimed, --unclaimed,\n"
	  "  --search, --sort\n"
	  "                       as for 'bugtrack list' (see 'bugtrack list --help')\n"
	  "filters of logs:\n"
	  "  --ticket TICKET      only this ticket's rows (BUG-00042, bug-42 or 42)\n"
	  "  --component C        only this component\n"
	  "  --level L            only this level: debug, info, warning, error, critical\n"
	  "  --level-min L        only at least this level\n"
	  "  --since T            created at or after T\n"
	  "  --until T            created before T\n"
	  CLI_TIME_HELP
	  "filters of events:\n"
	  "  --ticket TICKET      only this ticket's events\n\n"
	  "When stderr is a terminal, a row count goes there every 10,000 rows;\n"
	  "otherwise export prints nothing but the data (and errors).\n", export_usage_tail },
	{ "report", cmd_report, "summary, top tickets, per component, per day, time to resolve",
	  report_usage, report_usage_tail },
	{ "import", cmd_import, "import JSON bug reports: legacy files or an export",
	  import_usage, NULL },
	{ "migrate", cmd_migrate, "show, apply, stamp or list schema migrations",
	  "usage: bugtrack migrate (status | up | stamp [VERSION] | list) [OPTIONS]\n"
	  "       bugtrack migrate (status | up | stamp [VERSION] | list) --all LOCATION\n"
	  "                        [LOCATION...] [OPTIONS]\n\n"
	  "  status               the database's schema version, the latest one, and the\n"
	  "                       pending migrations\n"
	  "  up                   apply pending migrations (creates the database if\n"
	  "                       missing)\n"
	  "  stamp [VERSION]      mark a database built before migrations were tracked (it\n"
	  "                       has bugtrack tables but no schema_migrations) as being at\n"
	  "                       VERSION (default: the newest whose schema it matches),\n"
	  "                       after checking that every table, column and index is\n"
	  "                       exactly what the migrations up to VERSION create; refused\n"
	  "                       (exit 1) when they differ, exit 4 if already tracked\n"
	  "  list                 every migration this bugtrack knows: version, name,\n"
	  "                       checksum, and when the database applied it\n\n"
	  "options:\n"
	  "  --all LOCATION       run on several databases: LOCATION and further --all\n"
	  "                       values, then every operand after the subcommand (after\n"
	  "                       stamp's VERSION, a number); files and postgresql:// URIs\n"
	  "                       may be mixed.  A directory stands for every bugtrack\n"
	  "                       database under it (recursively; other files, -wal and\n"
	  "                       -shm files and symbolic links are ignored).  Never\n"
	  "                       creates a file; one result line per database, then a\n"
	  "                       summary; exit 1 if any failed.  Progress on stderr on a\n"
	  "                       terminal.  Not with --db\n"
	  "  --dry-run            with up or stamp: report what would be done, change\n"
	  "                       nothing\n"
	  "  --json               a JSON object\n" COMMON, NULL },
	{ "doctor", cmd_doctor, "check a database: integrity, schema, orphans, counters",
	  "usage: bugtrack doctor [--full] [--json]\n\n"
	  "Check the database without changing it: SQLite's quick_check (integrity_check\n"
	  "with --full, which reads every page: seconds on a large file) and\n"
	  "foreign_key_check, free pages (a vacuum gives them back), the schema version\n"
	  "and migration checksums against this bugtrack's, the size of the -wal file,\n"
	  "row counts, orphaned rows (log rows,\n"
	  "events and fingerprint aliases of missing tickets, duplicate_of pointing\n"
	  "nowhere) and every counter (such as async_dropped).  On PostgreSQL: the\n"
	  "server's version, the database and schema, amcheck's bt_index_check on each\n"
	  "index when the extension is installed (with heapallindexed: --full), a\n"
	  "foreign-key query per constraint,\n"
	  "and no -wal file.  Works on databases that other commands refuse.  Each\n"
	  "problem goes to stderr as 'bugtrack: ...' with what to do; exit 0 when\n"
	  "healthy, 1 when a problem was found.\n\n"
	  "options:\n"
	  "  --full               the full integrity check, which reads every page\n"
	  "  --json               a JSON object\n" COMMON, NULL },
	{ "vacuum", cmd_vacuum, "give back the space that purges and deletes leave",
	  "usage: bugtrack vacuum\n\n"
	  "Give back the free pages that purges and deletes leave in the database (see\n"
	  "'free space' in 'bugtrack doctor').  SQLite: VACUUM rebuilds the file; it\n"
	  "needs the database to itself and room for a copy of it, and waits for other\n"
	  "processes no longer than the busy timeout, then exits with 4 having changed\n"
	  "nothing.  PostgreSQL: VACUUM of each table, so that the server reuses the\n"
	  "space (the files do not shrink).  Prints how many bytes were given back.\n\n"
	  "options:\n" COMMON, NULL },
	{ "token", cmd_token, "create, list or revoke the API tokens a front end checks",
	  token_usage, NULL },
	{ "watch", cmd_watch, "follow ticket changes as they happen, one line each",
	  watch_usage, NULL },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char main_usage[] =
	"usage: bugtrack [--db PATH] COMMAND [OPTIONS] [ARGS]\n\n"
	"Read and work the deduplicated bug tickets that libbugtrack records.\n\n";

static const char main_help_tail[] =
	"  help [COMMAND]  this help, or a command's\n\n"
	"options:\n"
	"  --db PATH       the database (default: $BUGTRACK_DB, else ./bugtrack.db);\n"
	"                  every command accepts it too, and the two below\n"
	"  --color=WHEN    colour in tables: auto (on a terminal, unless NO_COLOR is\n"
	"                  set), always or never; beats NO_COLOR and BUGTRACK_COLOR\n"
	"  --utc           show times in UTC instead of the local time zone (TZ)\n"
	"  --no-pager      do not page: on a terminal, list, show, events, pending,\n"
	"                  export and report go through $PAGER (default less, with\n"
	"                  LESS=FRX unless LESS is set; PAGER=cat or empty: none)\n"
	"  --version       print the version\n"
	"  -h, --help      print this help; 'bugtrack COMMAND --help' for a command\n\n"
	"Read commands (list, show, stats, events, pending, export) open the database\n"
	"read-only: they never create or migrate it.  Tables show times in the local\n"
	"time zone (TZ), or in UTC with --utc; a time given to an option is UTC unless\n"
	"it says otherwise (Z, +01:00).  Long options must be spelt out.  On a terminal\n"
	"tables are coloured (critical red, high yellow, new bold, an open ticket\n"
	"that regressed magenta; see --color, NO_COLOR and BUGTRACK_COLOR).  --json\n"
	"output, never coloured, is the same data as JSON (times as milliseconds and\n"
	"as ISO 8601 in *_iso fields).\n\n"
	"environment:\n"
	"  BUGTRACK_DB      the database when --db is not given\n"
	"  USER             the default actor is user:$USER\n"
	"  PAGER            the pager on a terminal (see --no-pager)\n"
	"  COLUMNS          table width when stdout is not a terminal (default 120)\n"
	"  NO_COLOR         when set and not empty: no colour, whatever else is set\n"
	"  BUGTRACK_COLOR   always: colour even when stdout is not a terminal; never:\n"
	"                   no colour; auto (the default): colour on a terminal unless\n"
	"                   TERM is dumb\n"
	"  TZ               the time zone of the times tables show (unless --utc)\n"
	"  BUGTRACK_NOW_MS  for tests only: use this time (ms since 1970) as now\n\n"
	"exit codes:\n"
	"  0  success\n"
	"  1  error: I/O, corrupt database, incompatible schema, ...\n"
	"  2  usage: bad option, argument, date, ticket id or status; unknown command\n"
	"  3  not found: no such ticket, or no database file\n"
	"  4  conflict: claimed by someone else, changed in between, or not allowed\n"
	"     in the ticket's current status\n";

static void main_help(FILE *f)
{
	size_t i;

	fputs(main_usage, f);
	fputs("commands:\n", f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-14s  %s\n", commands[i].name, commands[i].summary);
	fputs(main_help_tail, f);
}

static const command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	cli_error("unknown command '%s'; try 'bugtrack --help'", name);
	return EXIT_USAGE;
}

/* `bugtrack help [COMMAND]` */
static int help(int argc, char **argv)
{
	const command *cmd;

	if (argc < 2) {
		main_help(stdout);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	cli_print_usage(cmd, stdout);
	return EXIT_OK;
}

#define NOW_MS_MAX INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

/* The clock: the real time, or BUGTRACK_NOW_MS so that tests get the same
 * output every run (relative dates, "today", claim expiry, SLA). */
static int init_clock(cli *c)
{
	const char *env = getenv("BUGTRACK_NOW_MS");
	struct timespec ts;
	char *end;

	if (env && *env) {
		errno = 0;
		c->now_ms = strtoll(env, &end, 10);
		/* The library clamps a clock past year 9999; say so instead. */
		if (errno || *end || c->now_ms <= 0 || c->now_ms > NOW_MS_MAX) {
			cli_error("BUGTRACK_NOW_MS='%s' is not a number of milliseconds from 1 to "
				  "%lld (9999-12-31)", env, (long long)NOW_MS_MAX);
			return EXIT_USAGE;
		}
		c->fixed_clock = 1;
		return EXIT_OK;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	c->now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return EXIT_OK;
}

static void init_actor(cli *c)
{
	const char *user = getenv("USER");

	snprintf(c->actor, sizeof(c->actor), "user:%s", user && *user ? user : "unknown");
}

/* `bugtrack __complete [COMMAND]`, for the shell completion: the command
 * names, or COMMAND's options from its own table (cli_next_opt prints them
 * and the command stops there). */
static int complete(cli *c, int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		for (i = 0; i < NCOMMANDS; i++)
			printf("%s\n", commands[i].name);
		printf("help\n");
		return EXIT_OK;
	}
	c->cmd = find_command(argv[1]);
	if (!c->cmd)
		return unknown_command(argv[1]);
	c->complete = 1;
	optind = 0;
	return c->cmd->run(c, 1, argv + 1);
}

static const struct option global_opts[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "utc", no_argument, NULL, OPT_UTC },
	{ "no-pager", no_argument, NULL, OPT_NO_PAGER },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* Options before the command: --db, --color, --utc, --no-pager, --help, --version.
 * Returns -1 to go on with the command at argv[optind], else an exit code. */
static int global_options(cli *c, int argc, char **argv)
{
	const char *bad = cli_inexact_option(argc, argv, "+:h", global_opts, 1);
	int o;

	if (bad) {
		const char *eq = strchr(bad, '=');
		size_t len = eq ? (size_t)(eq - bad - 2) : strlen(bad + 2);
		const char *near = cli_closest_long(global_opts, bad + 2, len);

		if (near)
			cli_error("unknown option '%.*s'; did you mean '--%s'? (see 'bugtrack --help')",
				  (int)len + 2, bad, near);
		else
			cli_error("unknown option '%.*s'; try 'bugtrack --help'", (int)len + 2, bad);
		return EXIT_USAGE;
	}
	/* '+': stop at the command name; its options are its own. */
	while ((o = getopt_long(argc, argv, "+:h", global_opts, NULL)) != -1) {
		switch (o) {
		case OPT_DB: c->db_path = optarg; break;
		case OPT_COLOR:
			if (color_set_option(optarg) != 0) {
				cli_error("--color: '%s' is not auto, always or never", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_UTC: time_display_utc(1); break;
		case OPT_NO_PAGER: c->no_pager = 1; break;
		case 'h': main_help(stdout); return EXIT_OK;
		case 'V': printf("bugtrack %s\n", bt_version_string()); return EXIT_OK;
		case ':':
			cli_error("option '%s' needs a value; try 'bugtrack --help'", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			cli_error("unknown option '%s'; try 'bugtrack --help'", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_error("no command given; try 'bugtrack --help'");
		return EXIT_USAGE;
	}
	return -1;
}

static int run(int argc, char **argv)
{
	cli c;
	int rc, at;

	memset(&c, 0, sizeof(c));
	init_actor(&c);
	rc = init_clock(&c);
	if (rc != EXIT_OK)
		return rc;
	opterr = 0; /* errors are reported as "bugtrack: ..." */
	rc = global_options(&c, argc, argv);
	if (rc >= 0)
		return rc;
	at = optind;
	if (strcmp(argv[at], "help") == 0)
		return help(argc - at, argv + at);
	if (strcmp(argv[at], "__complete") == 0)
		return complete(&c, argc - at, argv + at);
	c.cmd = find_command(argv[at]);
	if (!c.cmd)
		return unknown_command(argv[at]);
	if (!c.no_pager && pager_wanted(c.cmd->name))
		pager_start();
	optind = 0; /* glibc: start the command's parse afresh, argv[0] being its name */
	return c.cmd->run(&c, argc - at, argv + at);
}

int main(int argc, char **argv)
{
	/* Into a pipe or a file, output goes in 64 KB writes rather than
	 * stdio's 4 KB: `export` of 100k tickets made 30,000 write calls.  A
	 * terminal keeps its line buffering; `watch` flushes each event. */
	static char out_buffer[1 << 16];
	int rc;

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, out_buffer, _IOFBF, sizeof(out_buffer));
	rc = run(argc, argv);

	/* Output that could not be written (a full disk) is a failure. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write the output: %s", strerror(errno));
		return EXIT_ERROR;
	}
	return rc;
}
