/*
 * cmd_import.c - import: legacy JSON bug reports (and the JSON or NDJSON
 * of `bugtrack export tickets`) from files, directories and stdin, one
 * bt_import_json() call, hence one transaction, per file.  A bad file is
 * reported with its path and reason and does not stop the others.
 *
 * What counts per file: a file is "imported" when at least one of its
 * records became a ticket, "skipped" when it is valid but every record was
 * already present (an empty array too), and "failed" when it cannot be
 * read, is not a regular file, is not valid JSON, or any of its records is
 * bad; then nothing from it is stored.  A second line counts the records.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

const char import_usage[] =
	"usage: bugtrack import [OPTIONS] (FILE | DIR | -)...\n\n"
	"Import JSON bug reports: each file holds one report object, an array of\n"
	"them, or one object a line (NDJSON), either legacy reports (report_id,\n"
	"status, submitted_at, description, ...) or what 'bugtrack export tickets\n"
	"--format json' or '--format ndjson' wrote (restored with their ids).  '-'\n"
	"reads standard input.  A DIR is searched recursively for *.json and\n"
	"*.ndjson files (names starting with '.' and symbolic links to directories\n"
	"are skipped), which are imported in byte order of their paths.  Each file\n"
	"is one transaction: a file with a bad record (invalid JSON, a wrong type,\n"
	"an unknown status) is reported on stderr with its path and reason (records\n"
	"are numbered from 1; invalid JSON gives its line and column), nothing from\n"
	"it is stored, and the other files go on.  Reports already present (same\n"
	"report_id; for export records the same external_id, or the same id,\n"
	"fingerprint and creation time) are skipped, so importing again changes\n"
	"nothing.  The database is created when missing; --dry-run only reads it,\n"
	"and checks against an empty database when the file does not exist yet\n"
	"(creating nothing).\n\n"
	"It ends with the summary on stdout:\n"
	"  58 files: 57 imported, 1 skipped (already present), 0 failed\n"
	"  1204 records: 1190 imported, 14 skipped (already present)\n"
	"A file counts as imported when at least one of its records was imported, as\n"
	"skipped when none was (all present, or an empty array), as failed when it\n"
	"could not be read, is not a regular file (a FIFO, a device), or any of its\n"
	"records is bad.  The exit code is 1 when a file failed.\n\n"
	"options:\n"
	"  --dry-run            check and count everything, change nothing; lists\n"
	"                       each file's outcome\n"
	"  -v, --verbose        list each file's outcome on stdout\n"
	"  --actor A            who the 'imported' events name (default: user:$USER)\n"
	"  --db PATH            the database (default: $BUGTRACK_DB, else ./bugtrack.db)\n"
	CLI_COMMON_HELP_TAIL "\n"
	"When stderr is a terminal, a progress line goes there (and the reasons of\n"
	"failed files after it).\n";

static const struct option import_options[] = {
	CLI_COMMON_OPTIONS,
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "verbose", no_argument, NULL, 'v' },
	{ "actor", required_argument, NULL, OPT_ACTOR },
	{ NULL, 0, NULL, 0 }
};

typedef struct strings {
	char **items;
	size_t n, cap;
} strings;

static void strings_add(strings *s, char *item)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->items = realloc(s->items, s->cap * sizeof(*s->items));
		if (!s->items) {
			cli_error("out of memory");
			exit(EXIT_ERROR);
		}
	}
	s->items[s->n++] = item;
}

static void strings_free(strings *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->items[i]);
	free(s->items);
}

typedef struct importer {
	cli *c;
	bt_db *db;
	bt_import_options opts;
	bt_import_session *session; /* makes a dry run see the files before */
	int verbose;
	progress *progress;
	strings failures;     /* held back while a progress line is shown */
	int64_t files, imported, skipped, failed;
	int64_t records, rec_imported, rec_skipped;
} importer;

/* ---- finding the files ---- */

static int ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

/* What a directory walk imports: export's JSON and NDJSON files. */
static int ends_with_json(const char *name)
{
	return ends_with(name, ".json") || ends_with(name, ".ndjson");
}

/* "-" names standard input. */
static int is_stdin(const char *path)
{
	return strcmp(path, "-") == 0;
}

/* How @path is named in messages and events. */
static const char *shown(const char *path)
{
	return is_stdin(path) ? "(stdin)" : path;
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *path = xmalloc(n + strlen(name) + 2);

	memcpy(path, dir, n);
	if (n == 0 || dir[n - 1] != '/')
		path[n++] = '/';
	strcpy(path + n, name);
	return path;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the *.json files under @dir to @out; unreadable directories go to
 * @errors as "PATH: reason". */
static void walk(const char *dir, strings *out, strings *errors)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat sb;

	if (!d) {
		char buf[PATH_MAX + 128];

		snprintf(buf, sizeof(buf), "%s: cannot read the directory: %s", dir, strerror(errno));
		strings_add(errors, xstrdup(buf));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = join(dir, e->d_name);
		if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			walk(path, out, errors);
			free(path);
		} else if (ends_with_json(e->d_name) && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			strings_add(out, path);
		} else {
			free(path);
		}
	}
	closedir(d);
}

/* The files of the operands, in order; each DIR's sorted by path. */
static void collect(char **operands, int n, strings *files, strings *errors)
{
	struct stat sb;
	int i;

	for (i = 0; i < n; i++) {
		if (!is_stdin(operands[i]) && stat(operands[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			size_t first = files->n;

			walk(operands[i], files, errors);
			qsort(files->items + first, files->n - first, sizeof(char *), by_path);
		} else {
			strings_add(files, xstrdup(operands[i])); /* a missing one fails later */
		}
	}
}

/* ---- one file ---- */

/* The file at @path, opened for reading only if it is a regular file: a
 * FIFO would block in open() or read() for ever, and a device such as
 * /dev/zero never ends.  NULL with *@why set on failure. */
static FILE *open_regular(const char *path, const char **why)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat sb;
	FILE *f;
	int flags;

	if (fd < 0) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fd, &sb) != 0)
		goto fail;
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		*why = "not a regular file";
		return NULL;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 || !(f = fdopen(fd, "rb")))
		goto fail;
	return f;
fail:
	*why = strerror(errno);
	close(fd);
	return NULL;
}

/* The whole file in a new buffer; NULL with *@why set on failure.  "-"
 * is standard input, whatever it is (a pipe, most often). */
static char *read_all(const char *path, size_t *len_out, const char **why)
{
	FILE *f = is_stdin(path) ? stdin : open_regular(path, why);
	size_t len = 0, cap = 1 << 16, n;
	char *buf, *grown;
	int saved;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			grown = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!grown) {
				free(buf);
				buf = NULL;
				errno = ENOMEM;
				break;
			}
			buf = grown;
			cap *= 2;
		}
	}
	saved = errno;
	if (buf && ferror(f)) {
		saved = errno ? errno : EIO;
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	if (!buf)
		*why = strerror(saved ? saved : ENOMEM);
	*len_out = len;
	return buf;
}

/* The library's message without its "bt_import_json: " prefix. */
static const char *reason(void)
{
	const char *msg = bt_error_message();
	const char *p = strstr(msg, ": ");

	return strncmp(msg, "bt_", 3) == 0 && p ? p + 2 : msg;
}

static void report_failure(importer *imp, const char *path, const char *why)
{
	size_t need = strlen(path) + strlen(why) + 4;
	char *line;

	if (!imp->progress) {
		cli_error("import: %s: %s", path, why);
		return;
	}
	line = xmalloc(need);
	snprintf(line, need, "%s: %s", path, why);
	strings_add(&imp->failures, line);
}

static void file_line(const importer *imp, const char *what, const char *path,
		      const bt_import_result *r)
{
	if (!imp->verbose)
		return;
	if (!r) {
		printf("%-9s %s\n", what, path);
		return;
	}
	printf("%-9s %s: %lld record%s, %lld imported, %lld skipped (already present)\n", what,
	       path, (long long)r->records, r->records == 1 ? "" : "s", (long long)r->imported,
	       (long long)r->skipped);
}

/* Import @path; returns BT_OK, or a storage error that stops everything. */
static int import_file(importer *imp, const char *path)
{
	bt_import_result r = BT_IMPORT_RESULT_INIT;
	size_t len;
	const char *why = NULL;
	char *buf = read_all(path, &len, &why);
	int rc;

	imp->files++;
	path = shown(path);
	if (!buf) {
		imp->failed++;
		report_failure(imp, path, why);
		file_line(imp, "failed", path, NULL);
		return BT_OK;
	}
	rc = bt_import_session_add(imp->session, buf, len, path, &r);
	free(buf);
	if (rc == BT_EINVALID || rc == BT_ECONFLICT) {
		imp->failed++;
		report_failure(imp, path, reason());
		file_line(imp, "failed", path, NULL);
		return BT_OK;
	}
	if (rc != BT_OK)
		return rc;
	imp->records += r.records;
	imp->rec_imported += r.imported;
	imp->rec_skipped += r.skipped;
	if (r.imported > 0) {
		imp->imported++;
		file_line(imp, "imported", path, &r);
	} else {
		imp->skipped++;
		file_line(imp, "skipped", path, &r);
	}
	return BT_OK;
}

/* ---- the command ---- */

static void summary(const importer *imp)
{
	printf("%lld file%s: %lld imported, %lld skipped (already present), %lld failed\n",
	       (long long)imp->files, imp->files == 1 ? "" : "s", (long long)imp->imported,
	       (long long)imp->skipped, (long long)imp->failed);
	printf("%lld record%s: %lld imported, %lld skipped (already present)\n",
	       (long long)imp->records, imp->records == 1 ? "" : "s",
	       (long long)imp->rec_imported, (long long)imp->rec_skipped);
	if (imp->opts.dry_run)
		printf("dry run: nothing was written\n");
}

/* 0 to go on, else stop with c->exit_code (--help, or a usage error). */
static int parse(cli *c, int argc, char **argv, importer *imp)
{
	int o;

	while ((o = cli_next_opt_short(c, argc, argv, ":hv", import_options)) > 0) {
		switch (o) {
		case OPT_DRY_RUN: imp->opts.dry_run = 1; imp->verbose = 1; break;
		case 'v':         imp->verbose = 1; break;
		case OPT_ACTOR:
			/* As the commands that change tickets (cmd_change.c). */
			if (!*optarg) {
				c->exit_code = cli_usage_error(c, "--actor must not be empty");
				return 1;
			}
			imp->opts.actor = optarg;
			break;
		default:          c->exit_code = cli_usage_error(c, "unexpected option"); return 1;
		}
	}
	if (o < 0)
		return 1;
	c->exit_code = cli_operands(c, argc, argv, 1, INT_MAX, "FILE or DIR to import");
	return c->exit_code != EXIT_OK;
}

/* A dry run against a database file that does not exist yet checks the
 * files against an empty database made in a private temporary directory
 * (removed at the end), so that nothing appears at --db. */
typedef struct scratch {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
} scratch;

static int missing_file(const cli *c)
{
	const char *loc = cli_db_location(c);

	return strstr(loc, "://") == NULL && strncmp(loc, "postgres", 8) != 0 &&
	       access(loc, F_OK) != 0 && errno == ENOENT;
}

static void scratch_remove(scratch *s)
{
	static const char *const tails[] = { "", "-wal", "-shm", "-journal" };
	char buf[PATH_MAX + 32];

	if (!s->dir[0])
		return;
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", s->path, tails[i]);
		unlink(buf);
	}
	rmdir(s->dir);
	s->dir[0] = '\0';
}

/* The database: created and migrated when missing, except for a dry run,
 * which only reads it (or, when the file is missing, an empty scratch). */
static int open_db(cli *c, int dry_run, bt_db **db, scratch *s)
{
	const char *tmp = getenv("TMPDIR"), *db_path = c->db_path;
	int rc;

	if (dry_run && missing_file(c)) {
		snprintf(s->dir, sizeof(s->dir), "%s/bugtrack-import-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(s->dir)) {
			cli_error("import: cannot make a temporary directory: %s", strerror(errno));
			s->dir[0] = '\0';
			return EXIT_ERROR;
		}
		snprintf(s->path, sizeof(s->path), "%s/dry-run.db", s->dir);
		cli_error("import: %s does not exist yet: checking against an empty database",
			  cli_shown(cli_db_location(c)));
		c->db_path = s->path;
		rc = cli_open(c, CLI_CREATE_NO_MIGRATE, db);
		c->db_path = db_path;
	} else {
		rc = cli_open(c, dry_run ? CLI_READ : CLI_CREATE_NO_MIGRATE, db);
		if (rc != EXIT_OK || dry_run)
			return rc;
	}
	if (rc != EXIT_OK)
		return rc;
	rc = bt_migrate(*db);
	if (rc != BT_OK) {
		bt_close(*db);
		*db = NULL;
		return cli_fail(rc, NULL);
	}
	return EXIT_OK;
}

int cmd_import(cli *c, int argc, char **argv)
{
	importer imp;
	scratch s;
	strings files = { NULL, 0, 0 };
	size_t i;
	int rc;

	memset(&imp, 0, sizeof(imp));
	memset(&s, 0, sizeof(s));
	bt_import_options_init(&imp.opts, BT_IMPORT_OPTIONS_VERSION);
	imp.c = c;
	imp.opts.actor = c->actor;
	if (parse(c, argc, argv, &imp))
		return c->exit_code;
	collect(argv + optind, argc - optind, &files, &imp.failures);
	/* Directories that could not be read count as failed files. */
	for (i = 0; i < imp.failures.n; i++)
		cli_error("import: %s", imp.failures.items[i]);
	imp.files = imp.failed = (int64_t)imp.failures.n;
	strings_free(&imp.failures);
	memset(&imp.failures, 0, sizeof(imp.failures));

	rc = open_db(c, imp.opts.dry_run, &imp.db, &s);
	if (rc == EXIT_OK) {
		rc = bt_import_session_new(imp.db, &imp.opts, &imp.session);
		if (rc != BT_OK) {
			rc = cli_fail(rc, NULL);
			bt_close(imp.db);
		}
	}
	if (rc != EXIT_OK) {
		scratch_remove(&s);
		strings_free(&files);
		return rc;
	}
	imp.progress = progress_start("import", (int64_t)files.n);
	for (i = 0, rc = BT_OK; rc == BT_OK && i < files.n; i++) {
		rc = import_file(&imp, files.items[i]);
		progress_update(imp.progress, (int64_t)i + 1);
	}
	progress_done(imp.progress, (int64_t)i);
	for (i = 0; i < imp.failures.n; i++)
		cli_error("import: %s", imp.failures.items[i]);
	rc = rc == BT_OK ? EXIT_OK : cli_fail(rc, NULL);
	summary(&imp);
	bt_import_session_free(imp.session);
	bt_close(imp.db);
	scratch_remove(&s);
	strings_free(&imp.failures);
	strings_free(&files);
	if (rc != EXIT_OK)
		return rc;
	return imp.failed ? EXIT_ERROR : EXIT_OK;
}
