/*
 * test_open.c - bt_open/bt_close: defaults, pragmas, permissions, options,
 * errors, and every kind of bad input the foundation issue lists.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "store_sqlite.h"

static sqlite3 *conn(bt_db *db)
{
	return bti_sqlite_connection(db->store);
}

static long long pragma_int(bt_db *db, const char *sql)
{
	return check_query_int(conn(db), sql);
}

static const char *pragma_text(bt_db *db, const char *sql, char *buf, size_t cap)
{
	sqlite3_stmt *st = NULL;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(conn(db), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

/* Asserts the shape every failed bt_open must have: the code, *out reset to
 * NULL, and a message naming the problem. */
static void expect_open_fails(const char *path, const bt_open_options *opts, int want,
			      const char *needle)
{
	bt_db *db = (bt_db *)&db; /* a sentinel bt_open must overwrite */

	CHECK_RC(bt_open(&db, path, opts), want);
	CHECK(db == NULL);
	CHECK(bt_error_message()[0] != '\0');
	if (needle)
		CHECK_STR_CONTAINS(bt_error_message(), needle);
}

static void test_version(void)
{
	CHECK(bt_version_number() == BT_VERSION_NUMBER);
	CHECK(strcmp(bt_version_string(), BT_VERSION_STRING) == 0);
	CHECK(strcmp(bt_version_string(), BT_MESON_VERSION) == 0);
	CHECK(BT_VERSION_NUMBER == 1000000);
}

static void test_strerror(void)
{
	int codes[] = { BT_OK, BT_EINTERNAL, BT_EINVALID, BT_ENOMEM, BT_ENOTFOUND, BT_EBUSY,
			BT_ESCHEMA, BT_EIO, BT_ECORRUPT, BT_EREADONLY, BT_ECONFLICT,
			BT_ECANTOPEN, BT_ITEROVER, BT_ESTATE, BT_ENOTSUP };
	size_t i, j;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		CHECK(bt_strerror(codes[i])[0] != '\0');
		CHECK(strcmp(bt_strerror(codes[i]), "unknown error") != 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(bt_strerror(codes[i]), bt_strerror(codes[j])) != 0);
	}
	CHECK(strcmp(bt_strerror(12345), "unknown error") == 0);
	CHECK(strcmp(bt_strerror(-999), "unknown error") == 0);
}

static void test_open_close_and_pragmas(void)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;
	char buf[64];
	int current = -1, latest = -1;

	CHECK_RC(bt_open(&db, check_path("basic.db"), NULL), BT_OK);
	CHECK(db != NULL);
	if (!db)
		return;
	CHECK(strcmp(bt_db_location(db), check_path("basic.db")) == 0);
	CHECK(strcmp(pragma_text(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal") == 0);
	CHECK(pragma_int(db, "PRAGMA foreign_keys") == 1);
	CHECK(pragma_int(db, "PRAGMA synchronous") == 1); /* NORMAL */
	CHECK_RC(bt_schema_version_get(db, &current, &latest), BT_OK);
	CHECK(current >= 1 && current == latest);
	CHECK_RC(bt_schema_version_get(db, NULL, NULL), BT_OK);
	bt_close(db);

	opts.flags = BT_OPEN_DURABLE;
	opts.busy_timeout_ms = 1234;
	CHECK_RC(bt_open(&db, check_path("basic.db"), &opts), BT_OK);
	if (db) {
		CHECK(pragma_int(db, "PRAGMA synchronous") == 2); /* FULL */
	}
	bt_close(db);
	bt_close(NULL);
	CHECK(bt_db_location(NULL) == NULL);
}

static void test_options(void)
{
	bt_open_options opts;

	CHECK_RC(bt_open_options_init(NULL, BT_OPEN_OPTIONS_VERSION), BT_EINVALID);
	CHECK_RC(bt_open_options_init(&opts, 0), BT_EINVALID);
	CHECK_RC(bt_open_options_init(&opts, BT_OPEN_OPTIONS_VERSION + 1), BT_EINVALID);
	CHECK_RC(bt_open_options_init(&opts, BT_OPEN_OPTIONS_VERSION), BT_OK);
	CHECK(opts.version == BT_OPEN_OPTIONS_VERSION && opts.flags == 0 && opts.busy_timeout_ms == 0);

	opts.version = 0;
	expect_open_fails(check_path("opts.db"), &opts, BT_EINVALID, "version 0");
	opts.version = 99;
	expect_open_fails(check_path("opts.db"), &opts, BT_EINVALID, "version 99");
	opts.version = BT_OPEN_OPTIONS_VERSION;
	opts.flags = 0x200;
	expect_open_fails(check_path("opts.db"), &opts, BT_EINVALID, "0x200");
	/* 0x80 was a flag before 1.0 (BT_OPEN_SYNC); now no flag. */
	opts.flags = 0x80;
	expect_open_fails(check_path("opts.db"), &opts, BT_EINVALID, "0x80");
	opts.flags = 0;
	opts.busy_timeout_ms = -1;
	expect_open_fails(check_path("opts.db"), &opts, BT_EINVALID, "negative");
	/* None of the refused opens may have created the file. */
	CHECK(access(check_path("opts.db"), F_OK) != 0);
}

static void test_null_out(void)
{
	bt_error_clear();
	CHECK_RC(bt_open(NULL, check_path("null.db"), NULL), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "out is NULL");
	CHECK(access(check_path("null.db"), F_OK) != 0);
	bt_error_clear();
	CHECK(bt_error_message()[0] == '\0');
	CHECK_STR_EQ(bt_error_backend_code(), "");
}

static void test_bad_paths(void)
{
	bt_open_options ro = BT_OPEN_OPTIONS_INIT;

	expect_open_fails(check_tmpdir(), NULL, BT_ECANTOPEN, "is a directory");
	expect_open_fails(check_path("missing/dir/x.db"), NULL, BT_ECANTOPEN,
			  "No such file or directory");
	ro.flags = BT_OPEN_READONLY;
	expect_open_fails(check_path("absent.db"), &ro, BT_ENOTFOUND, "absent.db");
	CHECK(access(check_path("absent.db"), F_OK) != 0);
	ro.flags = BT_OPEN_NO_CREATE;
	expect_open_fails(check_path("absent.db"), &ro, BT_ENOTFOUND, "BT_OPEN_NO_CREATE");
	CHECK(access(check_path("absent.db"), F_OK) != 0);
}

static void test_not_a_database(void)
{
	static const char text[] = "this is a text file, not a database\n";
	char after[128];
	long n;

	check_write_file(check_path("text.db"), text, sizeof(text) - 1);
	expect_open_fails(check_path("text.db"), NULL, BT_ECORRUPT, "not a database");
	/* The backend's own code, for logs: SQLite's SQLITE_NOTADB. */
	CHECK_STR_EQ(bt_error_backend_code(), "sqlite:26");
	CHECK(SQLITE_NOTADB == 26);
	/* Bad input loses nothing: the file is untouched. */
	n = check_read_file(check_path("text.db"), after, sizeof(after));
	CHECK(n == (long)sizeof(text) - 1 && memcmp(after, text, sizeof(text) - 1) == 0);
}

/* Make a real, migrated database and return its bytes. */
static long make_db_image(const char *name, char *buf, size_t cap)
{
	bt_db *db = NULL;

	CHECK_RC(bt_open(&db, check_path(name), NULL), BT_OK);
	bt_close(db);
	return check_read_file(check_path(name), buf, cap);
}

static void test_truncated_and_corrupt(void)
{
	static char image[1 << 20];
	long n = make_db_image("image.db", image, sizeof(image));

	CHECK(n > 8192);
	/* Truncated inside the first page. */
	check_write_file(check_path("trunc.db"), image, 100);
	expect_open_fails(check_path("trunc.db"), NULL, BT_ECORRUPT, "trunc.db");

	/* Header intact, schema page overwritten with garbage. */
	memset(image + 100, 0xA5, 4096 - 100);
	check_write_file(check_path("corrupt.db"), image, (size_t)n);
	expect_open_fails(check_path("corrupt.db"), NULL, BT_ECORRUPT, "malformed");
}

static void test_read_only_file(void)
{
	pid_t pid;
	int status = 0;
	const char *path = check_path("ro.db");
	bt_db *db = NULL;

	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	bt_close(db);
	/* root ignores file modes, so the write attempt runs as nobody. */
	chmod(check_tmpdir(), 0777);
	chmod(path, 0444);
	if (geteuid() == 0 && chown(path, 65534, 65534) != 0)
		CHECK(!"chown");
	pid = fork();
	if (pid == 0) {
		bt_open_options ro = BT_OPEN_OPTIONS_INIT;
		int rc;

		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(10);
		rc = bt_open(&db, path, NULL);
		if (rc != BT_EREADONLY || db || !strstr(bt_error_message(), "read-only"))
			_exit(11);
		ro.flags = BT_OPEN_READONLY;
		rc = bt_open(&db, path, &ro);
		if (rc != BT_OK)
			_exit(12);
		rc = bt_migrate(db);
		bt_close(db);
		_exit(rc == BT_EREADONLY ? 0 : 13);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFEXITED(status) && WEXITSTATUS(status))
		fprintf(stderr, "read-only child exited %d\n", WEXITSTATUS(status));
}

static void test_permissions(void)
{
	mode_t old = umask(0);
	struct stat sb;
	bt_db *db = NULL;

	CHECK_RC(bt_open(&db, check_path("perm.db"), NULL), BT_OK);
	CHECK(stat(check_path("perm.db"), &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(stat(check_path("perm.db-wal"), &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(stat(check_path("perm.db-shm"), &sb) == 0 && (sb.st_mode & 0777) == 0600);
	bt_close(db);
	umask(old);
}

static void test_default_path(void)
{
	char cwd[512];
	bt_db *db = NULL;

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(check_tmpdir()) == 0);
	unsetenv("BUGTRACK_DB");
	CHECK_STR_EQ(bt_location_resolve(NULL), "./bugtrack.db");
	CHECK_STR_EQ(bt_location_resolve(""), "./bugtrack.db");
	CHECK_STR_EQ(bt_location_resolve("x.db"), "x.db");
	CHECK_RC(bt_open(&db, NULL, NULL), BT_OK);
	CHECK(db && strcmp(bt_db_location(db), "./bugtrack.db") == 0);
	bt_close(db);
	CHECK(access(check_path("bugtrack.db"), F_OK) == 0);

	setenv("BUGTRACK_DB", check_path("from-env.db"), 1);
	/* The tool names the database before opening it: the same answer. */
	CHECK_STR_EQ(bt_location_resolve(""), check_path("from-env.db"));
	CHECK_STR_EQ(bt_location_resolve("given.db"), "given.db");
	CHECK_RC(bt_open(&db, "", NULL), BT_OK);
	CHECK(db && strcmp(bt_db_location(db), check_path("from-env.db")) == 0);
	bt_close(db);
	CHECK(access(check_path("from-env.db"), F_OK) == 0);

	setenv("BUGTRACK_DB", "", 1); /* empty counts as unset */
	CHECK_RC(bt_open(&db, NULL, NULL), BT_OK);
	CHECK(db && strcmp(bt_db_location(db), "./bugtrack.db") == 0);
	bt_close(db);
	unsetenv("BUGTRACK_DB");
	CHECK(chdir(cwd) == 0);
}

/* A path that begins with "file:" is a path, not a SQLite URI: what is
 * logged persists in the file of that name (as a URI, mode=memory kept
 * nothing, and every call said BT_OK). */
static void test_file_colon_path(void)
{
	const char *name = "file:uri.db?mode=memory";
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;
	char cwd[512];
	struct stat sb;

	o.flags = BT_OPEN_SYNC;
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(check_tmpdir()) == 0);
	CHECK_RC(bt_open(&db, name, &o), BT_OK);
	CHECK_RC(bt_log(db, BT_CRITICAL, "uri", "kept in the file"), BT_OK);
	bt_close(db);
	CHECK(stat(name, &sb) == 0 && sb.st_size > 0);
	db = NULL;
	CHECK_RC(bt_open(&db, name, &o), BT_OK);
	CHECK(db && check_query_int(conn(db), "SELECT count(*) FROM tickets") == 1);
	bt_close(db);
	CHECK(chdir(cwd) == 0);
}

/* The location grammar: a postgresql:// or postgres:// URI names a
 * PostgreSQL database.  Without that backend built in it is refused with
 * BT_ENOTSUP, by every call that takes a location, and never taken for a
 * file path (no "postgresql:" directory or file appears); the message keeps
 * the password out. */
/* A PostgreSQL location is never taken for a file, and never shows its
 * password: without the backend it is refused as unsupported; with it, a
 * server that is not there is BT_ECANTOPEN (port 1 on the loopback
 * refuses at once). */
static void test_postgresql_location(void)
{
	static const char *const uris[] = {
		"postgresql://bt:s3cret@127.0.0.1:1/bugs", "postgres://bt:s3cret@127.0.0.1:1/bugs",
	};
#ifdef BTI_HAVE_POSTGRESQL
	const int want = BT_ECANTOPEN;
#else
	const int want = BT_ENOTSUP;
#endif
	bt_check_result cr = BT_CHECK_RESULT_INIT;
	bt_db_kind kind;
	char cwd[512];
	struct stat sb;

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(check_tmpdir()) == 0);
	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		bt_db *db = NULL;

		CHECK_RC(bt_open(&db, uris[i], NULL), want);
		CHECK(db == NULL);
#ifdef BTI_HAVE_POSTGRESQL
		CHECK_STR_CONTAINS(bt_error_message(), "cannot connect");
		CHECK_STR_EQ(bt_error_backend_code(), "postgresql:08001");
#else
		CHECK_STR_CONTAINS(bt_error_message(), "no PostgreSQL backend");
#endif
		CHECK(strstr(bt_error_message(), "s3cret") == NULL);
		CHECK_RC(bt_db_check(uris[i], &cr, NULL, NULL), want);
		CHECK(strstr(bt_error_message(), "s3cret") == NULL);
		CHECK_RC(bt_db_identify(uris[i], &kind), want);
		CHECK_RC(bt_schema_stamp(uris[i], 0, BT_STAMP_DRY_RUN, NULL), want);
	}
	CHECK(stat("postgresql:", &sb) != 0 && stat("postgres:", &sb) != 0);
	CHECK(chdir(cwd) == 0);
}

/* What bt_db_location() shows of a location: a PostgreSQL URI without its
 * password, wherever it was written; anything else as it is. */
static void test_location_shown(void)
{
	static const char *const cases[][2] = {
		{ "postgresql://bt:s3cret@db/bugs", "postgresql://bt@db/bugs" },
		{ "postgres://bt@db:5432/bugs?sslmode=require", "postgres://bt@db:5432/bugs?sslmode=require" },
		{ "postgresql://db/bugs?password=s3cret&sslmode=require", "postgresql://db/bugs?sslmode=require" },
		{ "postgresql://db/bugs?sslmode=require&password=s3cret", "postgresql://db/bugs?sslmode=require" },
		{ "postgresql://u:p@db/x?password=q&schema=a&password=r", "postgresql://u@db/x?schema=a" },
		{ "postgresql://db:5432/bugs", "postgresql://db:5432/bugs" },
		{ "postgresql://", "postgresql://" },
		{ "./a:b@c.db", "./a:b@c.db" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *shown = bti_location_shown(cases[i][0]);

		CHECK_STR_EQ(shown, cases[i][1]);
		bti_free(shown);
	}
}

static void *fail_in_thread(void *arg)
{
	bt_db *db = NULL;

	(void)arg;
	bt_open(&db, "/nonexistent-dir/thread.db", NULL);
	return NULL;
}

static void test_error_is_per_thread(void)
{
	pthread_t t;
	bt_db *db = NULL;

	bt_open(&db, check_tmpdir(), NULL);
	CHECK_STR_CONTAINS(bt_error_message(), "is a directory");
	CHECK(pthread_create(&t, NULL, fail_in_thread, NULL) == 0);
	pthread_join(t, NULL);
	CHECK_STR_CONTAINS(bt_error_message(), "is a directory");
	/* Success does not clear the last error. */
	CHECK_RC(bt_open(&db, check_path("ok.db"), NULL), BT_OK);
	bt_close(db);
	CHECK_STR_CONTAINS(bt_error_message(), "is a directory");
}

static void test_null_handle_calls(void)
{
	int v = 7;

	CHECK_RC(bt_schema_version_get(NULL, &v, &v), BT_EINVALID);
	CHECK(v == 7);
	CHECK_RC(bt_migrate(NULL), BT_EINVALID);
}

int main(void)
{
	RUN(test_version);
	RUN(test_strerror);
	RUN(test_open_close_and_pragmas);
	RUN(test_options);
	RUN(test_null_out);
	RUN(test_bad_paths);
	RUN(test_not_a_database);
	RUN(test_truncated_and_corrupt);
	RUN(test_read_only_file);
	RUN(test_permissions);
	RUN(test_default_path);
	RUN(test_file_colon_path);
	RUN(test_postgresql_location);
	RUN(test_location_shown);
	RUN(test_error_is_per_thread);
	RUN(test_null_handle_calls);
	return check_finish();
}
