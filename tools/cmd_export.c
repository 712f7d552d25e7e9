/*
 * cmd_export.c - export: tickets, log rows or audit events as CSV, a JSON
 * array or NDJSON, streamed one row at a time from the library's iterators
 * (memory stays constant however many rows there are).
 *
 * The formats are frozen: each table's columns, in order, are defined once,
 * in columns.c.  CSV uses them as its header; JSON and NDJSON use them as
 * keys, with a time column as two keys ("created_at" in ms and
 * "created_at_iso"), exactly as `list --json` and `show --json` render
 * tickets, log rows and events.  Events add "ticket_number" after
 * "ticket_id" (a COL_EXPORT column).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* ---- the frozen columns ---- */

enum table_kind { TABLE_TICKETS, TABLE_LOGS, TABLE_EVENTS };

/* Indexed by enum table_kind; the columns are in columns.c. */
static const col_set *const tables[] = { &ticket_cols, &log_cols, &event_cols };

#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* The frozen CSV headers, for `bugtrack export --help`. */
void export_usage_tail(FILE *f)
{
	size_t t, i, width;

	fputs("\nThe frozen CSV headers (JSON and NDJSON have the same keys in the same\n"
	      "order, a time column NAME as NAME in ms and NAME_iso):\n", f);
	for (t = 0; t < NTABLES; t++) {
		const col_set *s = tables[t];

		fprintf(f, "  %s:\n    ", s->name);
		width = 4;
		for (i = 0; i < s->ndefs; i++) {
			size_t len = strlen(s->defs[i].name) + 1;

			if (width + len > 79) {
				fputs("\n    ", f);
				width = 4;
			}
			fprintf(f, "%s%s", s->defs[i].name, i + 1 < s->ndefs ? "," : "");
			width += len;
		}
		fputc('\n', f);
	}
}

/* ---- writing rows ---- */

enum format { FORMAT_CSV, FORMAT_JSON, FORMAT_NDJSON };

typedef struct exporter {
	FILE *f;
	enum format format;
	const col_set *table;
	json j;
	int64_t rows;
	progress *progress;   /* NULL unless stderr is a terminal */
} exporter;

static void json_row(exporter *x, const col_row *r)
{
	col_json(&x->j, NULL, x->table, r, 0);
	if (x->format == FORMAT_NDJSON)
		json_finish(&x->j);
}

static void export_begin(exporter *x)
{
	x->progress = progress_start("export (rows)", 0);
	progress_summary(x->progress, "exported", x->table == &ticket_cols ? "tickets"
				      : x->table == &log_cols ? "log rows" : "events");
	switch (x->format) {
	case FORMAT_CSV:
		col_csv_header(x->f, x->table);
		break;
	case FORMAT_JSON:
		json_init(&x->j, x->f);
		json_array_begin(&x->j, NULL);
		break;
	case FORMAT_NDJSON:
		json_init_compact(&x->j, x->f);
		break;
	}
}

static void export_row(exporter *x, const col_row *r)
{
	if (x->format == FORMAT_CSV)
		col_csv_row(x->f, x->table, r);
	else
		json_row(x, r);
	progress_update(x->progress, ++x->rows);
}

static void export_end(exporter *x)
{
	if (x->format == FORMAT_JSON) {
		json_array_end(&x->j);
		json_finish(&x->j);
	}
	progress_done(x->progress, x->rows);
	x->progress = NULL;
}

/* ---- the tables ---- */

static int export_tickets(bt_db *db, const bt_ticket_filter *filter, exporter *x)
{
	bt_ticket_iter *it;
	bt_ticket *t;
	col_row r = { NULL, NULL, NULL };
	int rc = bt_ticket_iter_new(db, filter, &it);

	if (rc != BT_OK)
		return rc;
	while ((rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
		r.t = t;
		export_row(x, &r);
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	return rc == BT_ITEROVER ? BT_OK : rc;
}

static int export_logs(bt_db *db, const bt_log_filter *filter, exporter *x)
{
	bt_log_iter *it;
	bt_log_entry *e;
	col_row r = { NULL, NULL, NULL };
	int rc = bt_log_iter_new(db, filter, &it);

	if (rc != BT_OK)
		return rc;
	while ((rc = bt_log_iter_next(it, &e)) == BT_OK) {
		r.l = e;
		export_row(x, &r);
		bt_log_entry_free(e);
	}
	bt_log_iter_free(it);
	return rc == BT_ITEROVER ? BT_OK : rc;
}

/* The trail of ticket @p t, oldest first. */
static int export_trail(bt_db *db, const bt_ticket *t, exporter *x)
{
	bt_audit_iter *it;
	bt_audit_entry *e;
	col_row r = { t, NULL, NULL };
	int rc = bt_audit_iter_new(db, bt_ticket_id(t), &it);

	if (rc == BT_ENOTFOUND) /* deleted since it was listed */
		return BT_OK;
	if (rc != BT_OK)
		return rc;
	while ((rc = bt_audit_iter_next(it, &e)) == BT_OK) {
		r.e = e;
		export_row(x, &r);
		bt_audit_entry_free(e);
	}
	bt_audit_iter_free(it);
	return rc == BT_ITEROVER ? BT_OK : rc;
}

/* Every ticket's trail, newest ticket first (@p only: just that one). */
static int export_events(bt_db *db, const bt_ticket *only, exporter *x)
{
	bt_ticket_filter filter = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it;
	bt_ticket *t;
	int rc;

	if (only)
		return export_trail(db, only, x);
	filter.sort = BT_SORT_CREATED;
	rc = bt_ticket_iter_new(db, &filter, &it);
	if (rc != BT_OK)
		return rc;
	while ((rc = bt_ticket_iter_next(it, &t)) == BT_OK) {
		rc = export_trail(db, t, x);
		bt_ticket_free(t);
		if (rc != BT_OK)
			break;
	}
	bt_ticket_iter_free(it);
	return rc == BT_ITEROVER ? BT_OK : rc;
}

/* ---- options ---- */

static const struct option export_options[] = {
	CLI_COMMON_OPTIONS,
	CLI_TICKET_FILTER_OPTIONS,
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "ticket", required_argument, NULL, OPT_TICKET },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "level-min", required_argument, NULL, OPT_LEVEL_MIN },
	{ NULL, 0, NULL, 0 }
};

typedef struct given {
	int o;
	const char *arg;
} given;

typedef struct export_args {
	enum table_kind table;
	enum format format;
	const char *output;
	const char *ticket;
	bt_ticket_filter tf;
	bt_log_filter lf;
} export_args;

static const char *option_name(int o)
{
	size_t i;

	for (i = 0; export_options[i].name; i++)
		if (export_options[i].val == o)
			return export_options[i].name;
	return "?";
}

static int parse_format(cli *c, const char *text, enum format *out)
{
	if (strcmp(text, "csv") == 0)
		*out = FORMAT_CSV;
	else if (strcmp(text, "json") == 0)
		*out = FORMAT_JSON;
	else if (strcmp(text, "ndjson") == 0)
		*out = FORMAT_NDJSON;
	else
		return cli_usage_error(c, "unknown format '%s'; use csv, json or ndjson", text);
	return EXIT_OK;
}

static int parse_table(cli *c, const char *text, enum table_kind *out)
{
	size_t i;

	for (i = 0; i < NTABLES; i++) {
		if (strcmp(text, tables[i]->name) == 0) {
			*out = (enum table_kind)i;
			return EXIT_OK;
		}
	}
	return cli_usage_error(c, "unknown table '%s'; use tickets, logs or events", text);
}

/* An option that only some tables take. */
static int apply_table_option(cli *c, export_args *a, int o, const char *arg)
{
	bt_log_filter *lf = &a->lf;

	if (a->table == TABLE_TICKETS && o != OPT_TICKET && o != OPT_LEVEL && o != OPT_LEVEL_MIN)
		return cli_ticket_filter_option(c, o, arg, &a->tf);
	if (a->table == TABLE_LOGS) {
		switch (o) {
		case OPT_TICKET:    a->ticket = arg; return EXIT_OK;
		case OPT_COMPONENT: lf->component = arg; return EXIT_OK;
		case OPT_LEVEL:     return cli_parse_level(c, arg, &lf->level);
		case OPT_LEVEL_MIN: return cli_parse_level(c, arg, &lf->min_level);
		case OPT_SINCE:     return cli_parse_time(c, "--since", arg, &lf->from);
		case OPT_UNTIL:     return cli_parse_time(c, "--until", arg, &lf->to);
		default:            break;
		}
	}
	if (a->table == TABLE_EVENTS && o == OPT_TICKET) {
		a->ticket = arg;
		return EXIT_OK;
	}
	return cli_usage_error(c, "--%s does not apply to %s", option_name(o),
			       tables[a->table]->name);
}

/* Options are gathered first: which apply depends on the table, which may
 * come after them. */
static int export_parse(cli *c, int argc, char **argv, export_args *a)
{
	bt_ticket_filter tinit = BT_TICKET_FILTER_INIT;
	bt_log_filter linit = BT_LOG_FILTER_INIT;
	given *opts = xmalloc(sizeof(*opts) * (size_t)(argc + 1));
	int o, n = 0, i, rc = EXIT_OK;

	memset(a, 0, sizeof(*a));
	a->tf = tinit;
	a->lf = linit;
	while ((o = cli_next_opt_short(c, argc, argv, ":ho:", export_options)) > 0) {
		opts[n].o = o;
		opts[n++].arg = optarg;
	}
	if (o < 0 || cli_operands(c, argc, argv, 1, 1, "TABLE (tickets, logs or events)") ||
	    parse_table(c, argv[optind], &a->table))
		rc = 1;
	for (i = 0; rc == EXIT_OK && i < n; i++) {
		if (opts[i].o == OPT_FORMAT)
			rc = parse_format(c, opts[i].arg, &a->format);
		else if (opts[i].o == 'o')
			a->output = opts[i].arg;
		else
			rc = apply_table_option(c, a, opts[i].o, opts[i].arg);
	}
	free(opts);
	if (rc != EXIT_OK)
		return 1;
	if (a->table == TABLE_TICKETS)
		return cli_ticket_filter_check(c, &a->tf) != EXIT_OK;
	if (a->lf.from && a->lf.to && a->lf.from >= a->lf.to)
		return cli_usage_error(c, "--since must be before --until") != EXIT_OK;
	return 0;
}

/* ---- the command ---- */

/* The progress line's total: known cheaply for every ticket (one counting
 * read); an export with a filter, or of logs or events, shows a count. */
static void export_total(bt_db *db, const export_args *a, exporter *x)
{
	const bt_ticket_filter all = BT_TICKET_FILTER_INIT, *f = &a->tf;
	bt_ticket_counts n = BT_TICKET_COUNTS_INIT;
	int unfiltered = f->status_mask == all.status_mask && f->min_severity == all.min_severity &&
		f->severity == all.severity &&
		!f->component && !f->assignee && f->claimed == all.claimed && !f->text &&
		f->created_from == all.created_from && f->created_to == all.created_to &&
		f->occurred_from == all.occurred_from && f->occurred_to == all.occurred_to &&
		f->regressed_only == all.regressed_only && !f->cursor &&
		f->overdue_only == all.overdue_only && f->changed_from == all.changed_from;

	if (!x->progress || a->table != TABLE_TICKETS || !unfiltered ||
	    bt_ticket_counts_get(db, &n) != BT_OK)
		return;
	progress_total(x->progress, n.status_new + n.status_triaged + n.status_in_progress +
			   n.status_awaiting_verification + n.status_resolved + n.status_closed);
}

static int run_export(bt_db *db, export_args *a, const bt_ticket *ticket, FILE *f)
{
	exporter x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.f = f;
	x.format = a->format;
	x.table = tables[a->table];
	export_begin(&x);
	export_total(db, a, &x);
	switch (a->table) {
	case TABLE_TICKETS:
		rc = export_tickets(db, &a->tf, &x);
		break;
	case TABLE_LOGS:
		a->lf.ticket_id = ticket ? bt_ticket_id(ticket) : 0;
		rc = export_logs(db, &a->lf, &x);
		break;
	default:
		rc = export_events(db, ticket, &x);
		break;
	}
	if (rc != BT_OK) {
		progress_done(x.progress, x.rows);
		return cli_fail(rc, NULL);
	}
	export_end(&x);
	return EXIT_OK;
}

/*
 * The file -o names.  An export holds what the database holds (0600), so a
 * new file is made 0600 too, under a temporary name in the same directory,
 * and renamed to @path only once complete: an interrupted export never
 * leaves a half file under the final name.  What is not a regular file (a
 * symbolic link, a FIFO, /dev/stdout) is written in place, never replaced.
 */
typedef struct out_file {
	FILE *f;
	char *tmp; /* the temporary name, when renaming at the end */
} out_file;

static int out_open(const char *path, out_file *o)
{
	struct stat sb;
	int fd;

	o->f = NULL;
	o->tmp = NULL;
	if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	} else {
		size_t n = strlen(path);

		o->tmp = malloc(n + sizeof(".tmp.XXXXXX"));
		if (!o->tmp) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(o->tmp, path, n);
		memcpy(o->tmp + n, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
		fd = mkstemp(o->tmp); /* mode 0600 */
	}
	if (fd >= 0)
		o->f = fdopen(fd, "w");
	if (!o->f) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (fd >= 0 && o->tmp)
			unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		errno = e;
		return -1;
	}
	return 0;
}

/* Close @o; with @keep, make it the file @path.  Returns 0 or -1 (errno). */
static int out_close(out_file *o, const char *path, int keep)
{
	int failed = ferror(o->f), rc = 0;

	errno = 0;
	if (keep && !failed && o->tmp && (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0))
		failed = 1;
	if (fclose(o->f) != 0 || failed) {
		if (!errno)
			errno = EIO;
		rc = -1;
	}
	if (o->tmp) {
		if (keep && rc == 0 && rename(o->tmp, path) != 0)
			rc = -1;
		if (!keep || rc != 0)
			unlink(o->tmp);
		free(o->tmp);
	}
	return rc;
}

int cmd_export(cli *c, int argc, char **argv)
{
	bt_ticket *ticket = NULL;
	export_args a;
	out_file out = { NULL, NULL };
	FILE *f = stdout;
	bt_db *db;
	int rc;

	if (export_parse(c, argc, argv, &a))
		return c->exit_code;
	rc = cli_open(c, CLI_READ, &db);
	if (rc != EXIT_OK)
		return rc;
	if (a.ticket)
		rc = cli_ticket(db, a.ticket, &ticket);
	if (rc == EXIT_OK && a.output && strcmp(a.output, "-") != 0) {
		if (out_open(a.output, &out) != 0) {
			cli_error("cannot write %s: %s", a.output, strerror(errno));
			rc = EXIT_ERROR;
		}
		f = out.f;
	}
	if (rc == EXIT_OK)
		rc = run_export(db, &a, ticket, f);
	if (out.f && out_close(&out, a.output, rc == EXIT_OK) != 0 && rc == EXIT_OK) {
		cli_error("cannot write %s: %s", a.output, strerror(errno));
		rc = EXIT_ERROR;
	}
	bt_ticket_free(ticket);
	bt_close(db);
	return rc;
}
