/*
 * util.c - what every command shares: option parsing on top of getopt_long,
 * error reporting with exit codes, argument parsing (numbers, dates,
 * statuses, severities), and opening the database.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"
#include "iso8601.h"

/* ---- errors ---- */

/* Messages carry stored text and arguments, which may hold terminal
 * escapes: format them, then print them cleaned like table cells. */
static void put_clean(const char *fmt, va_list ap) BT_PRINTF(1, 0);

static void put_clean(const char *fmt, va_list ap)
{
	va_list copy;
	char *msg, *clean;
	int n;

	if (!fmt)
		return;
	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	msg = xmalloc((size_t)n + 1);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	clean = text_clean(msg, 0);
	fputs(clean, stderr);
	free(clean);
	free(msg);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("bugtrack: ", stderr);
	va_start(ap, fmt);
	put_clean(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_exit_code(int rc)
{
	switch (rc) {
	case BT_OK:        return EXIT_OK;
	case BT_EINVALID:  return EXIT_USAGE;
	case BT_ENOTFOUND: return EXIT_NOTFOUND;
	case BT_ECONFLICT:
	case BT_EBUSY:
	case BT_ESTATE:    return EXIT_CONFLICT;
	default:           return EXIT_ERROR;
	}
}

/* Library messages start with the failing function ("bt_ticket_claim: "),
 * which means nothing to someone at a shell. */
const char *without_function(const char *msg)
{
	const char *p = msg;

	if (strncmp(p, "bt_", 3) != 0)
		return msg;
	for (p += 3; (*p >= 'a' && *p <= 'z') || *p == '_'; p++)
		;
	return p[0] == ':' && p[1] == ' ' ? p + 2 : msg;
}

/* The location of the database the command opened, for messages. */
static const char *opened_location;

/* The last failure was a lock another connection held past the busy
 * timeout (not a claim another agent holds, which is BT_EBUSY too). */
static int lock_failure(void)
{
	const char *code = bt_error_backend_code();

	if (strncmp(code, "sqlite:", 7) == 0) {
		int primary = atoi(code + 7) & 0xff;

		return primary == 5 || primary == 6; /* SQLITE_BUSY, SQLITE_LOCKED */
	}
	return strcmp(code, "postgresql:55P03") == 0; /* lock_not_available */
}

int cli_fail(int rc, const char *hint)
{
	const char *msg = bt_error_message();

	/* SQLite's words ("starting a transaction: database is locked") say
	 * neither who holds it nor what to do. */
	if (rc == BT_EBUSY && lock_failure()) {
		cli_error("%s is locked by another process, which held it for the whole %d s "
			  "this command waits; try again when that process is done",
			  opened_location ? cli_shown(opened_location) : "the database",
			  CLI_BUSY_TIMEOUT_S);
		return cli_exit_code(rc);
	}

	if (!msg || !*msg)
		msg = bt_strerror(rc);
	if (hint)
		cli_error("%s; %s", without_function(msg), hint);
	else
		cli_error("%s", without_function(msg));
	return cli_exit_code(rc);
}

/* ---- options ---- */

int cli_usage_error(cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bugtrack: %s: ", c->cmd->name);
	va_start(ap, fmt);
	put_clean(fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'bugtrack %s --help')\n", c->cmd->name);
	c->exit_code = EXIT_USAGE;
	return EXIT_USAGE;
}

/* The option text getopt stopped at: for a short option optopt names it;
 * for a long one it is the argument just consumed. */
static const char *bad_option(int argc, char **argv, char *buf, size_t size)
{
	if (optopt > 0 && optopt < 256) {
		snprintf(buf, size, "-%c", optopt);
		return buf;
	}
	return optind > 0 && optind <= argc ? argv[optind - 1] : "?";
}

/* Edit distance of @a and @b (both short: option names), capped at 9. */
static int edit_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), i, j;
	int row[64], diag, up, best;

	if (la >= 63 || lb >= 63)
		return 9;
	for (j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = (int)i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb] > 9 ? 9 : row[lb];
}

const struct option *cli_find_long(const struct option *opts, const char *name, size_t len)
{
	for (; opts->name; opts++)
		if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

const char *cli_closest_long(const struct option *opts, const char *name, size_t len)
{
	const char *best = NULL;
	/* At most 2 edits (1 for a name of 3 letters or fewer), else a prefix. */
	int best_d = len <= 3 ? 2 : 3;

	for (; opts->name; opts++) {
		int d = edit_distance(name, len, opts->name);

		if (len > 0 && strncmp(opts->name, name, len) == 0)
			d = d < 1 ? d : 1; /* an abbreviation ranks with one typo */
		if (d < best_d) {
			best_d = d;
			best = opts->name;
		}
	}
	return best;
}

/* getopt_long takes any unambiguous prefix of a long option for it, so that
 * "--severity high" quietly meant --severity-min.  Check every long option
 * in argv (up to "--") by its exact name first; the values of options that
 * take one are skipped, since "--note --x" is a note.  Returns the bad
 * argument, or NULL. */
const char *cli_inexact_option(int argc, char **argv, const char *shortopts,
			       const struct option *opts, int stop_at_operand)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		const struct option *o;

		if (strcmp(a, "--") == 0)
			return NULL;
		if (a[0] != '-' || a[1] == '\0') {
			if (stop_at_operand)
				return NULL;
			continue;
		}
		if (a[1] != '-') {
			/* A cluster of short options: the last may take the rest
			 * of the word or the next one. */
			const char *p, *s;

			for (p = a + 1; *p; p++) {
				s = strchr(shortopts, *p);
				if (s && *p != ':' && s[1] == ':') {
					if (!p[1])
						i++;
					break;
				}
			}
			continue;
		}
		eq = strchr(a + 2, '=');
		o = cli_find_long(opts, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (!o)
			return a;
		if (o->has_arg == required_argument && !eq)
			i++;
	}
	return NULL;
}

/* Report @p arg as "unknown option '--sev'; did you mean '--severity-min'?", or
 * without the question when no option is close. */
static void unknown_long(cli *c, const char *arg, const struct option *opts)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	const char *near = cli_closest_long(opts, arg + 2, len);

	if (near)
		cli_usage_error(c, "unknown option '%.*s'; did you mean '--%s'?", (int)len + 2, arg,
				near);
	else
		cli_usage_error(c, "unknown option '%.*s'", (int)len + 2, arg);
}

/* `bugtrack __complete COMMAND`: the command's options, one a line, from
 * the very table its parse uses, for the shell completion. */
static void print_option_names(const char *shortopts, const struct option *opts)
{
	const char *p;

	for (; opts->name; opts++)
		printf("--%s\n", opts->name);
	for (p = shortopts; *p; p++)
		if (*p != ':')
			printf("-%c\n", *p);
}

int cli_next_opt(cli *c, int argc, char **argv, const struct option *opts)
{
	return cli_next_opt_short(c, argc, argv, ":h", opts);
}

int cli_next_opt_short(cli *c, int argc, char **argv, const char *shortopts,
		       const struct option *opts)
{
	char buf[8];
	const char *bad;
	int o;

	/* The first call of a parse (optind 0 restarts glibc's getopt). */
	if (optind <= 1) {
		if (c->complete) {
			print_option_names(shortopts, opts);
			c->exit_code = EXIT_OK;
			return -1;
		}
		bad = cli_inexact_option(argc, argv, shortopts, opts, 0);
		if (bad) {
			unknown_long(c, bad, opts);
			return -1;
		}
	}
	for (;;) {
		/* ':' first: report a missing value as ':' rather than '?'. */
		o = getopt_long(argc, argv, shortopts, opts, NULL);
		switch (o) {
		case -1:
			return 0;
		case OPT_DB:
			c->db_path = optarg;
			continue;
		case OPT_COLOR:
			if (color_set_option(optarg) != 0) {
				cli_usage_error(c, "--color: '%s' is not auto, always or never", optarg);
				return -1;
			}
			continue;
		case OPT_UTC:
			time_display_utc(1);
			continue;
		case 'h':
			cli_print_usage(c->cmd, stdout);
			c->exit_code = EXIT_OK;
			return -1;
		case ':':
			cli_usage_error(c, "option '%s' needs a value", bad_option(argc, argv, buf, sizeof(buf)));
			return -1;
		case '?':
			cli_usage_error(c, "unknown option '%s'", bad_option(argc, argv, buf, sizeof(buf)));
			return -1;
		default:
			return o;
		}
	}
}

void cli_print_usage(const command *cmd, FILE *f)
{
	fputs(cmd->usage, f);
	if (cmd->usage_tail)
		cmd->usage_tail(f);
}

int cli_operands(cli *c, int argc, char **argv, int min, int max, const char *names)
{
	int n = argc - optind;

	if (n < min)
		return cli_usage_error(c, "missing %s", names);
	if (n > max)
		return cli_usage_error(c, "unexpected argument '%s'", argv[optind + max]);
	return EXIT_OK;
}

/* ---- parsing ---- */

int cli_parse_int(cli *c, const char *opt, const char *text, int64_t min, int64_t max,
		  int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return cli_usage_error(c, "%s: '%s' is not a whole number from %lld to %lld", opt, text,
				       (long long)min, (long long)max);
	*out = v;
	return EXIT_OK;
}

/* 90s, 15m, 2h, 3d, 1w: that long before now; now, today and yesterday
 * (midnight UTC, as dates without a zone are UTC). */
static int parse_relative(const char *text, int64_t now, int64_t *out)
{
	static const int64_t day = 86400000;
	char *end;
	long long n;
	int64_t unit;

	if (strcmp(text, "now") == 0) {
		*out = now;
		return 1;
	}
	if (strcmp(text, "today") == 0 || strcmp(text, "yesterday") == 0) {
		int64_t midnight = now - ((now % day) + day) % day;

		*out = text[0] == 't' ? midnight : midnight - day;
		return 1;
	}
	if (*text < '0' || *text > '9')
		return 0;
	errno = 0;
	n = strtoll(text, &end, 10);
	/* At most 100,000 days, whatever the unit. */
	if (errno || end[0] == '\0' || end[1] != '\0' || n > 100000LL * 24 * 60 * 60)
		return 0;
	switch (end[0]) {
	case 'w': unit = 7 * day; break;
	case 'd': unit = day; break;
	case 'h': unit = 3600000; break;
	case 'm': unit = 60000; break;
	case 's': unit = 1000; break;
	default: return 0;
	}
	if (n > 100000LL * day / unit)
		return 0;
	*out = now - n * unit;
	return 1;
}

int parse_time_value(const char *text, int64_t now_ms, int64_t *out)
{
	/* The parser import reads dates with: a zone or an offset, or UTC. */
	return bti_iso8601_parse(text, 0, out) || parse_relative(text, now_ms, out);
}

int cli_parse_time(cli *c, const char *opt, const char *text, int64_t *out)
{
	if (parse_time_value(text, c->now_ms, out))
		return EXIT_OK;
	return cli_usage_error(c, "%s: '%s' is not a time; use YYYY-MM-DD, "
			       "YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM] (no zone: UTC), now, today, "
			       "yesterday, or a time ago such as 90s, 15m, 2h, 3d or 1w", opt, text);
}

/* A name the library's parser refused, as a usage error: its message lists
 * the names it knows.  @extra is added after it ("" for nothing). */
static int unknown_name(cli *c, const char *extra)
{
	return cli_usage_error(c, "%s%s", without_function(bt_error_message()), extra);
}

int parse_status_mask(const char *text, unsigned int *mask)
{
	const char *p = text;
	char name[64];
	bt_status s;
	int rc;

	*mask = 0;
	for (;;) {
		size_t len = strcspn(p, ",");

		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		if (strcasecmp(name, "open") == 0)
			*mask |= BT_STATUS_OPEN_MASK;
		else if ((rc = bt_status_from_name(name, &s)) == BT_OK)
			*mask |= BT_STATUS_BIT(s);
		else
			return rc;
		if (!p[len])
			return BT_OK;
		p += len + 1;
	}
}

int cli_parse_status_mask(cli *c, const char *text, unsigned int *mask)
{
	return parse_status_mask(text, mask) == BT_OK ? EXIT_OK
	       : unknown_name(c, " (or open, for the first four)");
}

int parse_sort_name(const char *text, bt_ticket_sort *out)
{
	static const struct { const char *name; bt_ticket_sort sort; } sorts[] = {
		{ "last", BT_SORT_LAST_OCCURRED }, { "count", BT_SORT_OCCURRENCES },
		{ "severity", BT_SORT_SEVERITY }, { "created", BT_SORT_CREATED },
	};
	size_t i;

	for (i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++) {
		if (strcmp(text, sorts[i].name) == 0) {
			*out = sorts[i].sort;
			return BT_OK;
		}
	}
	return BT_EINVALID;
}

int cli_parse_status(cli *c, const char *text, bt_status *out)
{
	return bt_status_from_name(text, out) == BT_OK ? EXIT_OK : unknown_name(c, "");
}

int cli_parse_severity(cli *c, const char *text, bt_severity *out)
{
	return bt_severity_from_name(text, out) == BT_OK ? EXIT_OK : unknown_name(c, "");
}

int cli_parse_level(cli *c, const char *text, bt_level *out)
{
	return bt_level_from_name(text, out) == BT_OK ? EXIT_OK : unknown_name(c, "");
}

/* ---- the database ---- */

static int64_t fixed_clock(void *payload)
{
	return *(const int64_t *)payload;
}

const char *cli_db_location(const cli *c)
{
	return bt_location_resolve(c->db_path);
}

int cli_is_server(const char *location)
{
	return strncmp(location, "postgresql://", 13) == 0 ||
	       strncmp(location, "postgres://", 11) == 0;
}

const char *cli_shown(const char *location)
{
	static char buf[4096];

	if (bt_location_display(location, buf, sizeof(buf)) != BT_OK)
		snprintf(buf, sizeof(buf), "the database");
	return buf;
}

static int missing_db(const cli *c)
{
	cli_error("no database at %s; pass --db PATH or set BUGTRACK_DB",
		  cli_shown(cli_db_location(c)));
	return EXIT_NOTFOUND;
}

/* Crashes waiting in the spool become tickets before a read shows them:
 * any writable open ingests them.  Best effort - a reader without write
 * access still reads, and the service's next start ingests them. */
static void ingest_crashes(const char *path, const bt_open_options *read_opts)
{
	bt_open_options o = *read_opts;
	char spool[4096];
	bt_db *db;

	if (snprintf(spool, sizeof(spool), "%s.crash", path) >= (int)sizeof(spool) ||
	    access(spool, F_OK) != 0)
		return;
	o.flags = BT_OPEN_SYNC | BT_OPEN_NO_CREATE;
	if (bt_open(&db, path, &o) == BT_OK)
		bt_close(db);
	bt_error_clear();
}

/* bt_open() refused the schema: say what the database is, in plain words,
 * with the one thing to do about it. */
static int schema_problem(const cli *c)
{
	const char *loc = cli_db_location(c);
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	int current = 0, latest = 0, older = 0;
	char why[1024];
	bt_db_kind kind;
	bt_db *db;

	snprintf(why, sizeof(why), "%s", without_function(bt_error_message()));
	if (bt_db_identify(loc, &kind) != BT_OK)
		kind = BT_DB_TRACKED; /* cannot tell: go on as for a tracked one */
	if (kind == BT_DB_FOREIGN) {
		cli_error("%s is not a bugtrack database: it holds other tables; give --db the "
			  "path of a bugtrack database", cli_shown(loc));
		return EXIT_ERROR;
	}
	if (kind == BT_DB_UNTRACKED) {
		cli_error("%s was made by a bugtrack from before schema versions were recorded; "
			  "run 'bugtrack migrate stamp' once to record its version", cli_shown(loc));
		return EXIT_ERROR;
	}
	/* An older schema opens without migrating (read-write: a read-only
	 * handle refuses it too), and nothing is written; a newer one does
	 * not open. */
	o.flags = BT_OPEN_SYNC | BT_OPEN_NO_MIGRATE | BT_OPEN_NO_CREATE;
	if (bt_open(&db, loc, &o) == BT_OK) {
		older = bt_schema_version_get(db, &current, &latest) == BT_OK && current < latest;
		bt_close(db);
	}
	bt_error_clear();
	if (older) {
		cli_error("%s has schema version %d, older than this bugtrack's %d; run 'bugtrack "
			  "migrate up' to bring it up to date (every ticket is kept)",
			  cli_shown(loc), current, latest);
		return EXIT_ERROR;
	}
	cli_error("%s", why); /* newer, or altered: the library's words say which */
	return EXIT_ERROR;
}

/* A command that waits on another process's lock says so after a second,
 * as git does, rather than look hung until the busy timeout. */
#define CLI_WAIT_NOTICE_MS 1000

static void say_waiting(void *arg, int64_t waited_ms)
{
	(void)arg;
	(void)waited_ms;
	cli_error("waiting: another process holds a lock on %s (giving up after %d s)",
		  opened_location ? cli_shown(opened_location) : "the database",
		  CLI_BUSY_TIMEOUT_S);
}

int cli_open(cli *c, enum cli_open_mode mode, bt_db **out)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	int rc;

	/* A change to a ticket in a database that does not exist must not leave
	 * an empty database behind: only 'migrate up' creates one. */
	switch (mode) {
	case CLI_READ:              o.flags = BT_OPEN_READONLY; break;
	/* The tool captures nothing: synchronous handles need no writer
	 * thread. */
	case CLI_WRITE:             o.flags = BT_OPEN_SYNC | BT_OPEN_NO_CREATE; break;
	case CLI_NO_MIGRATE:        o.flags = BT_OPEN_SYNC | BT_OPEN_NO_MIGRATE | BT_OPEN_NO_CREATE; break;
	case CLI_CREATE_NO_MIGRATE: o.flags = BT_OPEN_SYNC | BT_OPEN_NO_MIGRATE; break;
	}
	if (c->fixed_clock) {
		o.clock = fixed_clock;
		o.clock_payload = &c->now_ms;
	}
	opened_location = cli_db_location(c);
	rc = bt_open(out, c->db_path, &o);
	if (rc == BT_OK && mode == CLI_READ)
		ingest_crashes(bt_db_location(*out), &o);
	if (rc == BT_OK) {
		/* Only a notice: a handle it cannot be set on still works. */
		(void)bt_set_wait_notice(*out, CLI_WAIT_NOTICE_MS, say_waiting, NULL);
		return EXIT_OK;
	}
	if (rc == BT_ENOTFOUND)
		return missing_db(c);
	if (rc == BT_ESCHEMA)
		return schema_problem(c);
	/* The library's advice names an open flag, which no option sets. */
	if (rc == BT_EREADONLY && mode != CLI_READ) {
		cli_error("%s: the database is read-only for you; read commands (list, show, "
			  "export...) still work", cli_shown(cli_db_location(c)));
		return cli_exit_code(rc);
	}
	return cli_fail(rc, NULL);
}

int cli_ticket(bt_db *db, const char *arg, bt_ticket **out)
{
	int rc = bt_ticket_get_by_number(db, arg, out);

	/* A number first; what is none, or names no ticket, may be the id
	 * another system gave one (an imported report's), or the trace id of
	 * an occurrence. */
	if ((rc == BT_EINVALID || rc == BT_ENOTFOUND) &&
	    (bt_ticket_get_by_external_id(db, arg, out) == BT_OK ||
	     bt_ticket_get_by_trace_id(db, arg, out) == BT_OK))
		return EXIT_OK;
	switch (rc) {
	case BT_OK:
		return EXIT_OK;
	case BT_EINVALID:
		cli_error("'%s' is not a ticket id (use BUG-00042, bug-42 or 42), and no external "
			  "id or trace id matches it", arg);
		return EXIT_USAGE;
	case BT_ENOTFOUND:
		cli_error("no ticket %s; try 'bugtrack list' to see ticket numbers", arg);
		return EXIT_NOTFOUND;
	default:
		return cli_fail(rc, NULL);
	}
}

void cli_update_options(const cli *c, bt_update_options *o, const char *actor)
{
	bt_update_options init = BT_UPDATE_OPTIONS_INIT;

	*o = init;
	o->actor = actor ? actor : c->actor;
}
