/*
 * cmd_admin.c - database maintenance: purge, migrate (status, up, stamp,
 * list, over one database, or several: files, PostgreSQL locations and
 * every one under a directory) and doctor.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* ---- purge ---- */

static const struct option purge_options[] = {
	CLI_COMMON_OPTIONS,
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "include-open", no_argument, NULL, OPT_INCLUDE_OPEN },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static int purge_parse(cli *c, int argc, char **argv, bt_purge_options *po, int *as_json)
{
	int64_t v;
	int o = 0, rc = EXIT_OK;

	while (rc == EXIT_OK && (o = cli_next_opt(c, argc, argv, purge_options)) > 0) {
		switch (o) {
		case OPT_DAYS:
			rc = cli_parse_int(c, "--days", optarg, 1, 1000000, &v);
			po->older_than_days = (int)v;
			break;
		case OPT_BATCH:
			rc = cli_parse_int(c, "--batch", optarg, 1, 1000000, &v);
			po->batch_size = (unsigned int)v;
			break;
		case OPT_DRY_RUN:      po->dry_run = 1; break;
		case OPT_INCLUDE_OPEN: po->include_open = 1; break;
		case OPT_JSON:         *as_json = 1; break;
		default:               rc = cli_usage_error(c, "unexpected option"); break;
		}
	}
	if (rc != EXIT_OK || o < 0 || cli_operands(c, argc, argv, 0, 0, ""))
		return 1;
	if (po->older_than_days == 0)
		return cli_usage_error(c, "--days N is required: purge what has had no activity for N days");
	return 0;
}

static void purge_report(const bt_purge_options *po, const bt_purge_result *r, int as_json)
{
	json j;

	if (!as_json) {
		printf("%s %lld tickets, %lld log rows and %lld events with no activity for %d days%s\n",
		       po->dry_run ? "would remove" : "removed", (long long)r->tickets,
		       (long long)r->logs, (long long)r->events, po->older_than_days,
		       po->include_open ? " (open tickets included)" : "");
		return;
	}
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_bool(&j, "dry_run", po->dry_run);
	json_int(&j, "older_than_days", po->older_than_days);
	json_bool(&j, "include_open", po->include_open);
	json_int(&j, "tickets", r->tickets);
	json_int(&j, "logs", r->logs);
	json_int(&j, "events", r->events);
	json_object_end(&j);
	json_finish(&j);
}

static void purge_progress(int64_t tickets, int64_t logs, int64_t events, void *payload)
{
	progress_update(payload, tickets + logs + events);
}

int cmd_purge(cli *c, int argc, char **argv)
{
	bt_purge_options po = BT_PURGE_OPTIONS_INIT;
	progress *p;
	bt_purge_result r = BT_PURGE_RESULT_INIT;
	int as_json = 0, rc;
	bt_db *db;

	if (purge_parse(c, argc, argv, &po, &as_json))
		return c->exit_code;
	/* A dry run only counts, so it does not need write access. */
	rc = cli_open(c, po.dry_run ? CLI_READ : CLI_WRITE, &db);
	if (rc != EXIT_OK)
		return rc;
	p = progress_start(po.dry_run ? "purge (counting rows)" : "purge (rows removed)", 0);
	progress_summary(p, po.dry_run ? "counted" : "removed", "rows");
	if (p && !po.dry_run) {
		/* The total, on a terminal only: a dry run counts without removing. */
		bt_purge_options count = po;
		bt_purge_result would = BT_PURGE_RESULT_INIT;

		count.dry_run = 1;
		if (bt_purge(db, &count, &would) == BT_OK)
			progress_total(p, would.tickets + would.logs + would.events);
	}
	po.progress = purge_progress;
	po.payload = p;
	rc = bt_purge(db, &po, &r);
	progress_done(p, r.tickets + r.logs + r.events);
	/* After a failure, earlier batches stay removed: say how much. */
	purge_report(&po, &r, as_json);
	rc = rc == BT_OK ? EXIT_OK : cli_fail(rc, NULL);
	bt_close(db);
	return rc;
}

/* ---- migrate ---- */

/* Only migrate takes --all: a code of its own, clear of cli.h's. */
enum { ADMIN_OPT_ALL = 0x1000 };

static const struct option migrate_options[] = {
	CLI_COMMON_OPTIONS,
	{ "json", no_argument, NULL, OPT_JSON },
	{ "all", required_argument, NULL, ADMIN_OPT_ALL },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ NULL, 0, NULL, 0 }
};

typedef enum mig_what { MIG_STATUS, MIG_UP, MIG_STAMP, MIG_LIST } mig_what;

static const char *const mig_names[] = { "status", "up", "stamp", "list" };

typedef struct mig_args {
	mig_what what;
	/* --all's locations (its values, then the operands after the
	 * subcommand), or none: then --db's. */
	const char **locations;
	int nlocations;
	int dry_run, as_json;
	int version;     /* stamp VERSION; 0: the newest that matches */
} mig_args;

/* What became of one database. */
typedef enum outcome { OUT_CHANGED, OUT_SAME, OUT_SKIPPED, OUT_FAILED, OUT_COUNT } outcome;

typedef struct mig_result {
	outcome out;
	int from, to, latest; /* schema versions before and after (or after a dry run) */
	int created;          /* up: the file did not exist (and was, or would be, created) */
	int rc;               /* the library's code, when it failed */
	char error[512];
} mig_result;

static int latest_version(void)
{
	bt_migration_info mi = BT_MIGRATION_INFO_INIT;
	int n = bt_migration_count(NULL);

	return n > 0 && bt_migration_info_get(NULL, n - 1, &mi) == BT_OK ? mi.schema_version : 0;
}

/* The library's message without its "bt_function: " prefix, which means
 * nothing at a shell. */
static const char *plain_message(void)
{
	const char *msg = bt_error_message(), *p = msg;

	if (strncmp(p, "bt_", 3) == 0) {
		for (p += 3; (*p >= 'a' && *p <= 'z') || *p == '_'; p++)
			;
		if (p[0] == ':' && p[1] == ' ')
			return p + 2;
	}
	return msg;
}

static void failed(mig_result *r, int rc, const char *path)
{
	r->out = OUT_FAILED;
	r->rc = rc;
	if (rc == BT_ENOTFOUND)
		snprintf(r->error, sizeof(r->error), "no database at %s", cli_shown(path));
	else
		snprintf(r->error, sizeof(r->error), "%s", *bt_error_message() ? plain_message()
										 : bt_strerror(rc));
}

/* status, up and list: open without migrating.  A read-only file can
 * still report its version. */
static void run_versions(const char *path, const mig_args *a, mig_result *r)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	int up = a->what == MIG_UP, rc;
	bt_db *db;

	o.flags = BT_OPEN_SYNC | BT_OPEN_NO_MIGRATE | (up && !a->dry_run ? 0u : BT_OPEN_NO_CREATE);
	/* A server location is never a file to create. */
	r->created = up && !cli_is_server(path) && access(path, F_OK) != 0;
	rc = bt_open(&db, path, &o);
	if (rc == BT_EREADONLY && !up) {
		o.flags = BT_OPEN_READONLY;
		rc = bt_open(&db, path, &o);
	}
	if (rc == BT_ENOTFOUND && up && a->dry_run) {
		r->out = OUT_CHANGED;
		r->to = r->latest;
		return;
	}
	if (rc != BT_OK) {
		failed(r, rc, path);
		return;
	}
	rc = bt_schema_version_get(db, &r->from, &r->latest);
	r->to = r->from;
	if (rc == BT_OK && up && !a->dry_run) {
		rc = bt_migrate(db);
		if (rc == BT_OK)
			rc = bt_schema_version_get(db, &r->to, &r->latest);
	} else if (up) {
		r->to = r->latest;
	}
	if (rc != BT_OK)
		failed(r, rc, path);
	else if (a->what == MIG_LIST)
		r->out = OUT_SAME;
	else
		r->out = r->from < r->latest ? OUT_CHANGED : OUT_SAME;
	bt_close(db);
}

static void run_stamp(const char *path, const mig_args *a, mig_result *r)
{
	int v = 0, rc = bt_schema_stamp(path, a->version, a->dry_run ? BT_STAMP_DRY_RUN : 0, &v);

	if (rc == BT_OK) {
		r->out = OUT_CHANGED;
		r->to = v;
	} else if (rc == BT_ESTATE) {
		failed(r, rc, path);
		r->out = OUT_SKIPPED;
		r->from = r->to = v;
	} else {
		failed(r, rc, path);
	}
}

static void run_one(const char *path, const mig_args *a, mig_result *r)
{
	memset(r, 0, sizeof(*r));
	r->latest = latest_version();
	if (a->what == MIG_STAMP)
		run_stamp(path, a, r);
	else
		run_versions(path, a, r);
}

/* "0002_releases, 0003_hot_path_indexes": the migrations after @p from. */
static void print_pending(FILE *f, int from)
{
	bt_migration_info mi = BT_MIGRATION_INFO_INIT;
	int i, n = bt_migration_count(NULL), first = 1;

	for (i = 0; i < n; i++) {
		if (bt_migration_info_get(NULL, i, &mi) != BT_OK || mi.schema_version <= from)
			continue;
		fprintf(f, "%s%04d_%s", first ? "" : ", ", mi.schema_version, mi.name);
		first = 0;
	}
}

static void json_pending(json *j, const char *key, int from)
{
	bt_migration_info mi = BT_MIGRATION_INFO_INIT;
	int i, n = bt_migration_count(NULL);

	json_array_begin(j, key);
	for (i = 0; i < n; i++) {
		if (bt_migration_info_get(NULL, i, &mi) != BT_OK || mi.schema_version <= from)
			continue;
		json_object_begin(j, NULL);
		json_int(j, "version", mi.schema_version);
		json_string(j, "name", mi.name);
		json_object_end(j);
	}
	json_array_end(j);
}

static void print_versions(int current, int latest, int as_json, int from)
{
	json j;

	if (!as_json) {
		if (from >= 0)
			printf("%-10s %d\n", "previous", from);
		printf("%-10s %d\n%-10s %d\n", "current", current, "latest", latest);
		if (current < latest) {
			printf("%-10s %d migration(s) pending; run 'bugtrack migrate up'\n", "status",
			       latest - current);
			printf("%-10s ", "pending");
			print_pending(stdout, current);
			putchar('\n');
		} else {
			printf("%-10s up to date\n", "status");
		}
		return;
	}
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	if (from >= 0)
		json_int(&j, "from", from);
	json_int(&j, "current", current);
	json_int(&j, "latest", latest);
	json_bool(&j, "up_to_date", current >= latest);
	json_object_end(&j);
	json_finish(&j);
}

static void print_dry_up(const char *path, const mig_result *r, int as_json)
{
	json j;

	if (!as_json) {
		printf("%-10s %d\n%-10s %d\n%-10s ", "current", r->from, "latest", r->latest, "dry run");
		if (r->created)
			printf("would create %s and apply ", path);
		else if (r->from < r->latest)
			fputs("would apply ", stdout);
		else
			fputs("nothing to apply", stdout);
		print_pending(stdout, r->from);
		putchar('\n');
		return;
	}
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_bool(&j, "dry_run", 1);
	json_bool(&j, "creates", r->created);
	json_int(&j, "current", r->from);
	json_int(&j, "latest", r->latest);
	json_pending(&j, "would_apply", r->from);
	json_object_end(&j);
	json_finish(&j);
}

static void print_stamp(const char *path, const mig_args *a, const mig_result *r)
{
	json j;

	if (a->as_json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_bool(&j, "dry_run", a->dry_run);
		json_int(&j, "stamped", r->to);
		json_int(&j, "latest", r->latest);
		json_pending(&j, "pending", r->to);
		json_object_end(&j);
		json_finish(&j);
		return;
	}
	printf("%s %s at schema version %d", a->dry_run ? "would stamp" : "stamped", cli_shown(path),
	       r->to);
	if (r->to < r->latest) {
		printf("; then 'bugtrack migrate up' applies ");
		print_pending(stdout, r->to);
	}
	printf("%s\n", a->dry_run ? " (dry run: nothing was changed)" : "");
}

/* `migrate list`: every embedded migration and whether it is applied. */
static int migrate_list(const char *path, int as_json)
{
	static const char *const header[] = { "VERSION", "NAME", "CHECKSUM", "APPLIED" };
	static const int max[] = { 0, 0, 0, 0 };
	bt_migration_info mi = BT_MIGRATION_INFO_INIT;
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	int i, n = bt_migration_count(NULL), current = 0, latest = 0, rc;
	table *t = NULL;
	bt_db *db;
	json j;

	o.flags = BT_OPEN_SYNC | BT_OPEN_NO_MIGRATE | BT_OPEN_NO_CREATE;
	rc = bt_open(&db, path, &o);
	if (rc == BT_EREADONLY) {
		o.flags = BT_OPEN_READONLY;
		rc = bt_open(&db, path, &o);
	}
	if (rc == BT_OK)
		rc = bt_schema_version_get(db, &current, &latest);
	if (rc != BT_OK) {
		bt_close(db);
		return rc;
	}
	if (as_json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_int(&j, "current", current);
		json_int(&j, "latest", latest);
		json_array_begin(&j, "migrations");
	} else {
		t = table_new(4, header, "llll", max);
	}
	for (i = 0; rc == BT_OK && i < n; i++) {
		char version[16], sum[16], when[32];

		rc = bt_migration_info_get(db, i, &mi);
		if (rc != BT_OK)
			break;
		if (as_json) {
			json_object_begin(&j, NULL);
			json_int(&j, "version", mi.schema_version);
			json_string(&j, "name", mi.name);
			json_string(&j, "checksum", mi.checksum);
			json_bool(&j, "applied", mi.applied);
			json_time(&j, "applied_at", mi.applied_at);
			json_object_end(&j);
			continue;
		}
		snprintf(version, sizeof(version), "%04d", mi.schema_version);
		snprintf(sum, sizeof(sum), "%.12s", mi.checksum);
		if (mi.applied)
			format_time(mi.applied_at, 1, when, sizeof(when));
		else
			snprintf(when, sizeof(when), "pending");
		table_add(t, (const char *const[]){ version, mi.name, sum, when });
	}
	if (as_json) {
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
	} else {
		table_print(t, stdout, output_width());
		table_free(t);
	}
	bt_close(db);
	return rc;
}


static int report_failure(const mig_result *r)
{
	if (r->rc == BT_ENOTFOUND) {
		cli_error("%s; pass --db PATH or set BUGTRACK_DB", r->error);
	} else if (r->rc == BT_ESCHEMA && strstr(r->error, "checksum")) {
		cli_error("%s; 'bugtrack doctor' shows every difference", r->error);
	} else {
		cli_error("%s", r->error);
	}
	return cli_exit_code(r->rc);
}

static int migrate_one(cli *c, const mig_args *a)
{
	const char *path = cli_db_location(c);
	mig_result r;
	int rc;

	if (a->what == MIG_LIST) {
		rc = migrate_list(path, a->as_json);
		if (rc == BT_OK)
			return EXIT_OK;
		failed(&r, rc, path);
		return report_failure(&r);
	}
	run_one(path, a, &r);
	if (r.out == OUT_FAILED || (r.out == OUT_SKIPPED && a->what == MIG_STAMP))
		return report_failure(&r);
	if (a->what == MIG_STAMP)
		print_stamp(path, a, &r);
	else if (a->what == MIG_UP && a->dry_run)
		print_dry_up(path, &r, a->as_json);
	else
		print_versions(r.to, r.latest, a->as_json, a->what == MIG_UP ? r.from : -1);
	return EXIT_OK;
}

/* ---- migrate --all LOCATION... ---- */

typedef struct found {
	char **paths;
	char **errors; /* an unreadable directory: why; else NULL */
	int *named;    /* given as a location, not found in a directory */
	size_t n, cap;
} found;

static void found_add(found *f, char *path, char *error, int named)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 32;
		f->paths = realloc(f->paths, f->cap * sizeof(*f->paths));
		f->errors = realloc(f->errors, f->cap * sizeof(*f->errors));
		f->named = realloc(f->named, f->cap * sizeof(*f->named));
		if (!f->paths || !f->errors || !f->named) {
			cli_error("out of memory");
			exit(EXIT_ERROR);
		}
	}
	f->paths[f->n] = path;
	f->named[f->n] = named;
	f->errors[f->n++] = error;
}

static void found_free(found *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->paths[i]);
		free(f->errors[i]);
	}
	free(f->paths);
	free(f->errors);
	free(f->named);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir), size = n + strlen(name) + 2;
	char *p = xmalloc(size);

	snprintf(p, size, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
	return p;
}

/* Every regular file under @p dir, depth first in name order, so that the
 * output is the same on every run.  Symbolic links are not followed;
 * SQLite's -wal, -shm and -journal files are not databases. */
static void walk(const char *dir, found *f)
{
	struct dirent **names;
	struct stat sb;
	int n = scandir(dir, &names, NULL, by_name), i;

	if (n < 0) {
		found_add(f, xstrdup(dir), xstrdup(strerror(errno)), 0);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *path;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || ends_with(name, "-wal") ||
		    ends_with(name, "-shm") || ends_with(name, "-journal")) {
			free(names[i]);
			continue;
		}
		path = join_path(dir, name);
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			found_add(f, path, NULL, 0);
		} else {
			if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
				walk(path, f);
			free(path);
		}
		free(names[i]);
	}
	free(names);
}

/* Words for each outcome, in text and as a JSON result; NULL where an
 * outcome cannot happen. */
static const char *outcome_word(const mig_args *a, outcome o, int as_json)
{
	static const char *const text[][OUT_COUNT] = {
		{ "with migrations pending", "up to date", NULL, "failed" },
		{ "migrated", "up to date", NULL, "failed" },
		{ "stamped", NULL, "already tracked", "failed" },
		{ NULL, "listed", NULL, "failed" },
	};
	static const char *const keys[][OUT_COUNT] = {
		{ "needs_migrating", "up_to_date", NULL, "failed" },
		{ "migrated", "up_to_date", NULL, "failed" },
		{ "stamped", NULL, "already_tracked", "failed" },
		{ NULL, "listed", NULL, "failed" },
	};

	if (a->dry_run && o == OUT_CHANGED && a->what == MIG_UP)
		return as_json ? "would_migrate" : "would be migrated";
	if (a->dry_run && o == OUT_CHANGED && a->what == MIG_STAMP)
		return as_json ? "would_stamp" : "would be stamped";
	return (as_json ? keys : text)[a->what][o];
}

static void print_line(const char *path, const mig_args *a, const mig_result *r)
{
	int total = bt_migration_count(NULL);

	/* Without its password: the line may end up in a log. */
	printf("%s: ", cli_shown(path));
	if (r->out == OUT_FAILED) {
		printf("failed: %s\n", r->error);
		return;
	}
	switch (a->what) {
	case MIG_STATUS:
		printf("schema %d of %d: ", r->to, r->latest);
		if (r->out == OUT_CHANGED)
			printf("%d migration(s) pending\n", r->latest - r->to);
		else
			printf("up to date\n");
		break;
	case MIG_UP:
		if (r->out == OUT_SAME)
			printf("up to date (schema %d)\n", r->to);
		else
			printf("%s from %d to %d\n", a->dry_run ? "would migrate" : "migrated", r->from,
			       r->to);
		break;
	case MIG_STAMP:
		if (r->out == OUT_SKIPPED)
			printf("skipped: already records its migrations (schema %d)\n", r->to);
		else
			printf("%s at schema version %d\n", a->dry_run ? "would stamp" : "stamped", r->to);
		break;
	case MIG_LIST:
		printf("%d of %d migrations applied (schema %d of %d)\n", r->to > total ? total : r->to,
		       total, r->to, r->latest);
		break;
	}
}

static void json_line(json *j, const char *path, const mig_args *a, const mig_result *r)
{
	json_object_begin(j, NULL);
	json_string(j, "path", cli_shown(path));
	json_string(j, "result", outcome_word(a, r->out, 1));
	if (r->out == OUT_FAILED) {
		json_null(j, "from");
		json_null(j, "to");
	} else {
		json_int(j, "from", r->from);
		json_int(j, "to", r->to);
	}
	json_int(j, "latest", r->latest);
	if (r->out == OUT_FAILED)
		json_string(j, "error", r->error);
	else
		json_null(j, "error");
	json_object_end(j);
}

/* One database: identify it (unless it was @named: then it is one, and
 * what is wrong with it is reported as with --db), run the subcommand,
 * report. */
static int all_one(const char *path, const char *dir_error, int named, const mig_args *a,
		   json *j, int counts[OUT_COUNT])
{
	mig_result r;
	bt_db_kind kind = BT_DB_TRACKED;
	int rc = dir_error || named ? BT_OK : bt_db_identify(path, &kind);

	if (!dir_error && rc == BT_OK && kind != BT_DB_TRACKED && kind != BT_DB_UNTRACKED)
		return 0; /* not a bugtrack database: ignored */
	if (dir_error) {
		memset(&r, 0, sizeof(r));
		r.out = OUT_FAILED;
		r.latest = latest_version();
		snprintf(r.error, sizeof(r.error), "cannot read the directory: %s", dir_error);
	} else if (rc != BT_OK) {
		memset(&r, 0, sizeof(r));
		r.latest = latest_version();
		failed(&r, rc, path);
	} else {
		run_one(path, a, &r);
	}
	counts[r.out]++;
	if (a->as_json)
		json_line(j, path, a, &r);
	else
		print_line(path, a, &r);
	return 1;
}

static void print_summary(const mig_args *a, int databases, int ignored,
			  const int counts[OUT_COUNT], json *j)
{
	int o, first;

	if (a->as_json) {
		json_array_end(j);
		json_object_begin(j, "summary");
		json_int(j, "databases", databases);
		for (o = 0; o < OUT_COUNT; o++)
			if (outcome_word(a, (outcome)o, 1))
				json_int(j, outcome_word(a, (outcome)o, 1), counts[o]);
		json_int(j, "ignored", ignored);
		json_object_end(j);
		json_object_end(j);
		json_finish(j);
		return;
	}
	printf("%d database%s:", databases, databases == 1 ? "" : "s");
	for (o = 0, first = 1; o < OUT_COUNT; o++) {
		if (!outcome_word(a, (outcome)o, 0))
			continue;
		printf("%s %d %s", first ? "" : ",", counts[o], outcome_word(a, (outcome)o, 0));
		first = 0;
	}
	printf("; %d other file%s ignored\n", ignored, ignored == 1 ? "" : "s");
}

static int migrate_all(cli *c, const mig_args *a)
{
	int counts[OUT_COUNT] = { 0 }, databases = 0, k;
	struct stat sb;
	progress *p;
	found f;
	size_t i;
	json j;

	/* Every file location first: --all never creates one, and a typo
	 * should stop it before anything changes. */
	for (k = 0; k < a->nlocations; k++) {
		const char *loc = a->locations[k];

		if (cli_is_server(loc))
			continue;
		if (stat(loc, &sb) != 0) {
			cli_error("--all %s: %s", loc, strerror(errno));
			return errno == ENOENT ? EXIT_NOTFOUND : EXIT_ERROR;
		}
		if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))
			return cli_usage_error(c, "--all %s: not a directory or a database file", loc);
	}
	memset(&f, 0, sizeof(f));
	for (k = 0; k < a->nlocations; k++) {
		const char *loc = a->locations[k];

		if (!cli_is_server(loc) && stat(loc, &sb) == 0 && S_ISDIR(sb.st_mode))
			walk(loc, &f);
		else
			found_add(&f, xstrdup(loc), NULL, 1);
	}
	if (a->as_json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "subcommand", mig_names[a->what]);
		json_bool(&j, "dry_run", a->dry_run);
		json_array_begin(&j, "databases");
	}
	p = progress_start("migrate", (int64_t)f.n);
	for (i = 0; i < f.n; i++) {
		databases += all_one(f.paths[i], f.errors[i], f.named[i], a, &j, counts);
		progress_update(p, (int64_t)i + 1);
		fflush(stdout);
	}
	progress_done(p, (int64_t)f.n);
	print_summary(a, databases, (int)f.n - databases, counts, &j);
	found_free(&f);
	if (counts[OUT_FAILED]) {
		cli_error("%d of %d database%s failed; see the lines marked 'failed'",
			  counts[OUT_FAILED], databases, databases == 1 ? "" : "s");
		return EXIT_ERROR;
	}
	if (databases == 0 && a->nlocations == 1)
		cli_error("note: no bugtrack database under %s", a->locations[0]);
	else if (databases == 0)
		cli_error("note: no bugtrack database under any of the %d locations",
			  a->nlocations);
	return EXIT_OK;
}

/* 0 to go on, or 1 to stop with c->exit_code (--help, a usage error). */
static int migrate_parse(cli *c, int argc, char **argv, mig_args *a)
{
	const char *what;
	int64_t v;
	int o, i, next;

	memset(a, 0, sizeof(*a));
	/* At most every argument is a location. */
	a->locations = xmalloc((size_t)(argc + 1) * sizeof(*a->locations));
	while ((o = cli_next_opt(c, argc, argv, migrate_options)) > 0) {
		switch (o) {
		case OPT_JSON:      a->as_json = 1; break;
		case OPT_DRY_RUN:   a->dry_run = 1; break;
		case ADMIN_OPT_ALL: a->locations[a->nlocations++] = optarg; break;
		default:            cli_usage_error(c, "unexpected option"); return 1;
		}
	}
	/* With --all, the operands after the subcommand are locations too. */
	if (o < 0 || cli_operands(c, argc, argv, 1, a->nlocations ? argc : 2,
				  "status, up, stamp or list"))
		return 1;
	what = argv[optind];
	for (i = 0; i < 4 && strcmp(what, mig_names[i]) != 0; i++)
		;
	if (i == 4)
		return cli_usage_error(c, "unknown subcommand '%s'; use status, up, stamp or list",
				       what) != 0;
	a->what = (mig_what)i;
	next = optind + 1;
	/* stamp's VERSION comes first; with --all, only a number is one (a
	 * file named like one is ./N). */
	if (next < argc && a->what == MIG_STAMP &&
	    (!a->nlocations || strspn(argv[next], "0123456789") == strlen(argv[next]))) {
		if (cli_parse_int(c, "VERSION", argv[next], 1, latest_version(), &v))
			return 1;
		a->version = (int)v;
		next++;
	}
	if (next < argc && !a->nlocations)
		return cli_usage_error(c, "unexpected argument '%s'", argv[next]) != 0;
	while (next < argc)
		a->locations[a->nlocations++] = argv[next++];
	if (a->dry_run && a->what != MIG_UP && a->what != MIG_STAMP)
		return cli_usage_error(c, "--dry-run goes with up or stamp") != 0;
	if (a->nlocations && c->db_path)
		return cli_usage_error(c, "--all and --db exclude each other") != 0;
	return 0;
}

int cmd_migrate(cli *c, int argc, char **argv)
{
	mig_args a;
	int rc;

	if (migrate_parse(c, argc, argv, &a))
		rc = c->exit_code;
	else
		rc = a.nlocations ? migrate_all(c, &a) : migrate_one(c, &a);
	free(a.locations);
	return rc;
}

/* ---- doctor ---- */

static const struct option doctor_options[] = {
	CLI_COMMON_OPTIONS,
	{ "json", no_argument, NULL, OPT_JSON },
	{ "full", no_argument, NULL, OPT_FULL },
	{ NULL, 0, NULL, 0 }
};

/* What bt_db_check passed to the callback, kept for printing. */
typedef struct finding {
	bt_check_kind kind;
	char *name, *message, *advice;
	int64_t value, updated_at;
} finding;

typedef struct findings {
	finding *items;
	size_t n, cap;
	/* The backend's metrics this tool shows (0 when it gives none); each
	 * backend gives its own, and a line is shown when its metric came. */
	int integrity_ok;
	int64_t foreign_key_violations, wal_bytes;
	int has_wal, has_server, has_amcheck, schema_exists, has_space, full;
	int64_t file_bytes, free_bytes;
	int64_t server_version_num, amcheck_indexes;
	char *server_version, *database, *schema;
} findings;

/* A metric's text, replacing @old (NULL stays NULL). */
static char *keep_text(char *old, const char *text)
{
	free(old);
	return text ? xstrdup(text) : NULL;
}

static void keep_finding(const bt_check_item *item, void *payload)
{
	findings *fs = payload;
	finding *f;

	if (item->kind == BT_CHECK_METRIC) {
		if (strcmp(item->name, "integrity_ok") == 0)
			fs->integrity_ok = item->value != 0;
		else if (strcmp(item->name, "foreign_key_violations") == 0)
			fs->foreign_key_violations = item->value;
		else if (strcmp(item->name, "wal_bytes") == 0) {
			fs->has_wal = 1;
			fs->wal_bytes = item->value;
		} else if (strcmp(item->name, "file_bytes") == 0) {
			fs->has_space = 1;
			fs->file_bytes = item->value;
		} else if (strcmp(item->name, "free_bytes") == 0) {
			fs->free_bytes = item->value;
		} else if (strcmp(item->name, "server_version_num") == 0) {
			fs->has_server = 1;
			fs->server_version_num = item->value;
			fs->server_version = keep_text(fs->server_version, item->message);
		} else if (strcmp(item->name, "current_database") == 0) {
			fs->database = keep_text(fs->database, item->message);
		} else if (strcmp(item->name, "current_schema") == 0) {
			fs->schema_exists = item->value != 0;
			fs->schema = keep_text(fs->schema, item->message);
		} else if (strcmp(item->name, "amcheck_indexes") == 0) {
			fs->has_amcheck = 1;
			fs->amcheck_indexes = item->value;
		}
		return;
	}
	if (item->kind != BT_CHECK_PROBLEM && item->kind != BT_CHECK_COUNTER)
		return; /* a kind this tool does not know yet */
	if (fs->n == fs->cap) {
		fs->cap = fs->cap ? fs->cap * 2 : 16;
		fs->items = realloc(fs->items, fs->cap * sizeof(*fs->items));
		if (!fs->items) {
			cli_error("out of memory");
			exit(EXIT_ERROR);
		}
	}
	f = &fs->items[fs->n++];
	f->kind = item->kind;
	f->name = xstrdup(item->name ? item->name : "");
	f->message = item->message ? xstrdup(item->message) : NULL;
	f->advice = item->advice ? xstrdup(item->advice) : NULL;
	f->value = item->value;
	f->updated_at = item->updated_at;
}

static void findings_free(findings *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		free(fs->items[i].name);
		free(fs->items[i].message);
		free(fs->items[i].advice);
	}
	free(fs->items);
	free(fs->server_version);
	free(fs->database);
	free(fs->schema);
}

/* A count, or "-" (JSON null) when it was not taken. */
static void print_count(const char *label, int64_t n)
{
	if (n < 0)
		printf("%-15s -\n", label);
	else
		printf("%-15s %lld\n", label, (long long)n);
}

static void json_count(json *j, const char *key, int64_t n)
{
	if (n < 0)
		json_null(j, key);
	else
		json_int(j, key, n);
}

/* Free pages stay in the file until a vacuum: worth one when they are a
 * quarter of a file of a megabyte or more. */
#define VACUUM_SHARE 25
#define VACUUM_MIN_BYTES (1 << 20)

static int worth_vacuum(const findings *fs)
{
	return fs->free_bytes >= VACUUM_MIN_BYTES &&
	       fs->free_bytes * 100 >= fs->file_bytes * VACUUM_SHARE;
}

static void print_space(const findings *fs)
{
	int64_t share = fs->file_bytes ? fs->free_bytes * 100 / fs->file_bytes : 0;

	printf("%-15s %lld of %lld bytes (%lld%%)%s\n", "free space", (long long)fs->free_bytes,
	       (long long)fs->file_bytes, (long long)share,
	       worth_vacuum(fs) ? "; 'bugtrack vacuum' gives it back" : "");
}

static void doctor_text(const char *path, const bt_check_result *r, const findings *fs)
{
	int64_t orphans = r->orphan_logs + r->orphan_events + r->orphan_aliases +
			  r->dangling_duplicates;
	size_t i, counters = 0;
	char when[32];

	printf("%-15s %s\n", "database", path);
	if (fs->has_server) {
		printf("%-15s PostgreSQL %s\n", "server",
		       fs->server_version ? fs->server_version : "?");
		if (fs->schema)
			printf("%-15s schema %s of database %s%s\n", "tables in", fs->schema,
			       fs->database ? fs->database : "?",
			       fs->schema_exists ? "" : " (no such schema yet)");
		else
			printf("%-15s no schema: none of the search_path exists\n", "tables in");
	}
	if (!fs->integrity_ok)
		printf("%-15s FAILED\n", "integrity");
	else if (!fs->has_amcheck)
		printf("%-15s ok%s\n", "integrity", fs->full ? " (full)" : " (quick; --full reads every page)");
	else if (fs->amcheck_indexes < 0)
		printf("%-15s not checked (amcheck is not installed, or not allowed)\n",
		       "integrity");
	else
		printf("%-15s ok (amcheck: %lld index%s)\n", "integrity",
		       (long long)fs->amcheck_indexes, fs->amcheck_indexes == 1 ? "" : "es");
	/* A damaged file is checked no further. */
	if (!fs->integrity_ok)
		printf("%-15s -\n%-15s -\n%-15s -\n", "foreign keys", "schema", "checksums");
	else if (fs->foreign_key_violations)
		printf("%-15s %lld violations\n", "foreign keys", (long long)fs->foreign_key_violations);
	else
		printf("%-15s ok\n", "foreign keys");
	if (!fs->integrity_ok)
		;
	else if (!r->tracked)
		printf("%-15s not tracked (no schema_migrations)\n", "schema");
	else
		printf("%-15s %d of %d%s\n", "schema", r->schema_current, r->schema_latest,
		       r->schema_current < r->schema_latest ? ", migrations pending" : "");
	if (fs->integrity_ok)
		printf("%-15s %s\n", "checksums", !r->tracked ? "-"
		       : r->checksum_mismatches ? "MISMATCH" : "match");
	if (fs->has_wal)
		printf("%-15s %lld bytes\n", "wal", (long long)fs->wal_bytes);
	if (fs->has_space)
		print_space(fs);
	print_count("tickets", r->tickets);
	print_count("error_logs", r->error_logs);
	print_count("ticket_events", r->ticket_events);
	if (r->orphan_logs < 0 || r->orphan_events < 0 || r->orphan_aliases < 0 ||
	    r->dangling_duplicates < 0)
		printf("%-15s -\n", "orphans");
	else if (orphans == 0)
		printf("%-15s none\n", "orphans");
	else
		printf("%-15s %lld error_logs, %lld ticket_events, %lld aliases, %lld duplicate_of\n",
		       "orphans", (long long)r->orphan_logs, (long long)r->orphan_events,
		       (long long)r->orphan_aliases, (long long)r->dangling_duplicates);
	for (i = 0; i < fs->n; i++) {
		if (fs->items[i].kind != BT_CHECK_COUNTER)
			continue;
		format_time(fs->items[i].updated_at, 1, when, sizeof(when));
		printf("%-15s %s = %lld (updated %s)\n", counters++ ? "" : "counters",
		       fs->items[i].name, (long long)fs->items[i].value, when);
	}
	if (!counters)
		printf("%-15s %s\n", "counters", fs->integrity_ok ? "none" : "-");
	if (r->problems)
		printf("%-15s %d problem%s (listed on stderr)\n", "status", r->problems,
		       r->problems == 1 ? "" : "s");
	else
		printf("%-15s healthy\n", "status");
}

static void doctor_json(const char *path, const bt_check_result *r, const findings *fs)
{
	size_t i;
	json j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "path", path);
	if (fs->has_server) {
		json_object_begin(&j, "server");
		json_string(&j, "version", fs->server_version);
		json_int(&j, "version_num", fs->server_version_num);
		json_string(&j, "database", fs->database);
		json_string(&j, "schema", fs->schema);
		json_bool(&j, "schema_exists", fs->schema_exists);
		json_object_end(&j);
	}
	json_bool(&j, "healthy", r->problems == 0);
	json_array_begin(&j, "problems");
	for (i = 0; i < fs->n; i++) {
		if (fs->items[i].kind != BT_CHECK_PROBLEM)
			continue;
		json_object_begin(&j, NULL);
		json_string(&j, "name", fs->items[i].name);
		json_int(&j, "count", fs->items[i].value);
		json_string(&j, "message", fs->items[i].message);
		json_string(&j, "advice", fs->items[i].advice);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_bool(&j, "integrity_ok", fs->integrity_ok);
	if (fs->has_amcheck)
		json_count(&j, "amcheck_indexes", fs->amcheck_indexes);
	/* A damaged file is checked no further: what was not checked is null. */
	if (fs->integrity_ok) {
		json_int(&j, "foreign_key_violations", fs->foreign_key_violations);
		json_object_begin(&j, "schema");
		json_bool(&j, "tracked", r->tracked);
		json_int(&j, "current", r->schema_current);
		json_int(&j, "latest", r->schema_latest);
		json_int(&j, "checksum_mismatches", r->checksum_mismatches);
		json_object_end(&j);
	} else {
		json_null(&j, "foreign_key_violations");
		json_null(&j, "schema");
	}
	if (fs->has_wal)
		json_int(&j, "wal_bytes", fs->wal_bytes);
	if (fs->has_space) {
		json_int(&j, "file_bytes", fs->file_bytes);
		json_int(&j, "free_bytes", fs->free_bytes);
		json_bool(&j, "vacuum_advised", worth_vacuum(fs));
	}
	json_object_begin(&j, "rows");
	json_count(&j, "tickets", r->tickets);
	json_count(&j, "error_logs", r->error_logs);
	json_count(&j, "ticket_events", r->ticket_events);
	json_object_end(&j);
	json_object_begin(&j, "orphans");
	json_count(&j, "error_logs", r->orphan_logs);
	json_count(&j, "ticket_events", r->orphan_events);
	json_count(&j, "fingerprint_aliases", r->orphan_aliases);
	json_count(&j, "duplicate_of", r->dangling_duplicates);
	json_object_end(&j);
	if (!fs->integrity_ok) {
		json_null(&j, "counters");
		json_object_end(&j);
		json_finish(&j);
		return;
	}
	json_array_begin(&j, "counters");
	for (i = 0; i < fs->n; i++) {
		if (fs->items[i].kind != BT_CHECK_COUNTER)
			continue;
		json_object_begin(&j, NULL);
		json_string(&j, "name", fs->items[i].name);
		json_int(&j, "value", fs->items[i].value);
		json_time(&j, "updated_at", fs->items[i].updated_at);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

int cmd_doctor(cli *c, int argc, char **argv)
{
	bt_check_result r = BT_CHECK_RESULT_INIT;
	findings fs;
	const char *path = cli_db_location(c);
	int o, as_json = 0, rc;
	size_t i;

	memset(&fs, 0, sizeof(fs));
	while ((o = cli_next_opt(c, argc, argv, doctor_options)) == OPT_JSON || o == OPT_FULL) {
		if (o == OPT_JSON)
			as_json = 1;
		else
			fs.full = 1;
	}
	if (o != 0 || cli_operands(c, argc, argv, 0, 0, ""))
		return c->exit_code;
	rc = bt_db_check_v2(path, fs.full ? BT_CHECK_FULL : 0, &r, keep_finding, &fs);
	if (rc == BT_ENOTFOUND) {
		cli_error("no database at %s; pass --db PATH or set BUGTRACK_DB", cli_shown(path));
		findings_free(&fs);
		return EXIT_NOTFOUND;
	}
	if (rc != BT_OK) {
		findings_free(&fs);
		return cli_fail(rc, NULL);
	}
	/* The problems first, on stderr, each with what to do. */
	for (i = 0; i < fs.n; i++)
		if (fs.items[i].kind == BT_CHECK_PROBLEM)
			cli_error("%s; %s", fs.items[i].message, fs.items[i].advice);
	fflush(stderr);
	if (as_json)
		doctor_json(cli_shown(path), &r, &fs);
	else
		doctor_text(cli_shown(path), &r, &fs);
	findings_free(&fs);
	return r.problems ? EXIT_ERROR : EXIT_OK;
}

/* ---- vacuum ---- */

static const struct option vacuum_options[] = {
	CLI_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

int cmd_vacuum(cli *c, int argc, char **argv)
{
	int64_t freed;
	bt_db *db;
	int rc;

	if (cli_next_opt(c, argc, argv, vacuum_options) != 0 ||
	    cli_operands(c, argc, argv, 0, 0, ""))
		return c->exit_code;
	rc = cli_open(c, CLI_WRITE, &db);
	if (rc != EXIT_OK)
		return rc;
	rc = bt_db_vacuum(db, &freed);
	if (rc == BT_OK && freed >= 0)
		printf("vacuumed %s: %lld bytes given back\n", cli_shown(cli_db_location(c)),
		       (long long)freed);
	else if (rc == BT_OK)
		printf("vacuumed %s: the server keeps the space for its tables\n",
		       cli_shown(cli_db_location(c)));
	bt_close(db);
	return rc == BT_OK ? EXIT_OK
	       : cli_fail(rc, rc == BT_EBUSY ? "see what holds it with: fuser DATABASE"
					     : NULL);
}
