/*
 * cmd_admin.c - database maintenance: purge and migrate.
 */
#include <string.h>

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

int cmd_purge(cli *c, int argc, char **argv)
{
	bt_purge_options po = BT_PURGE_OPTIONS_INIT;
	bt_purge_result r;
	int as_json = 0, rc;
	bt_db *db;

	if (purge_parse(c, argc, argv, &po, &as_json))
		return c->exit_code;
	/* A dry run only counts, so it does not need write access. */
	rc = cli_open(c, po.dry_run ? CLI_READ : CLI_WRITE, &db);
	if (rc != EXIT_OK)
		return rc;
	rc = bt_purge(db, &po, &r);
	/* After a failure, earlier batches stay removed: say how much. */
	purge_report(&po, &r, as_json);
	rc = rc == BT_OK ? EXIT_OK : cli_fail(rc, NULL);
	bt_close(db);
	return rc;
}

/* ---- migrate ---- */

static const struct option migrate_options[] = {
	CLI_COMMON_OPTIONS,
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static void print_versions(int current, int latest, int as_json, int from)
{
	json j;

	if (!as_json) {
		if (from >= 0)
			printf("%-10s %d\n", "previous", from);
		printf("%-10s %d\n%-10s %d\n", "current", current, "latest", latest);
		if (current < latest)
			printf("%-10s %d migration(s) pending; run 'bugtrack migrate up'\n", "status",
			       latest - current);
		else
			printf("%-10s up to date\n", "status");
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

/* Open without migrating; a read-only file can still report its version. */
static int open_unmigrated(cli *c, int create, bt_db **db)
{
	int rc = cli_open(c, create ? CLI_CREATE_NO_MIGRATE : CLI_NO_MIGRATE, db);

	if (rc == EXIT_ERROR && bt_error_code() == BT_EREADONLY && !create) {
		fprintf(stderr, "bugtrack: opening it read-only instead\n");
		rc = cli_open(c, CLI_READ, db);
	}
	return rc;
}

static int migrate_run(cli *c, const char *what, int as_json)
{
	int up = strcmp(what, "up") == 0, from = -1, current, latest, rc;
	bt_db *db;

	rc = open_unmigrated(c, up, &db);
	if (rc != EXIT_OK)
		return rc;
	rc = bt_schema_version(db, &current, &latest);
	if (rc == BT_OK && up) {
		from = current;
		rc = bt_migrate(db);
		if (rc == BT_OK)
			rc = bt_schema_version(db, &current, &latest);
	}
	if (rc == BT_OK)
		print_versions(current, latest, as_json, from);
	rc = rc == BT_OK ? EXIT_OK : cli_fail(rc, NULL);
	bt_close(db);
	if (rc == EXIT_OK && strcmp(what, "list") == 0)
		cli_error("note: the libbugtrack API reports only version numbers, "
			  "not the individual migrations' names and checksums");
	return rc;
}

int cmd_migrate(cli *c, int argc, char **argv)
{
	int o, as_json = 0;
	const char *what;

	while ((o = cli_next_opt(c, argc, argv, migrate_options)) == OPT_JSON)
		as_json = 1;
	if (o != 0 || cli_operands(c, argc, argv, 1, 1, "status, up or list"))
		return c->exit_code;
	what = argv[optind];
	if (strcmp(what, "status") != 0 && strcmp(what, "up") != 0 && strcmp(what, "list") != 0)
		return cli_usage_error(c, "unknown subcommand '%s'; use status, up or list", what);
	return migrate_run(c, what, as_json);
}
