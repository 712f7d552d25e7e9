/*
 * test_bad_input.c - issue 8: the API half of README's bad-input table.
 *
 * CASES below is the table: for each kind of bad input, how to provoke it,
 * the code and a fragment of the message it must give, and what "nothing
 * lost" means for it.  Each case runs on its own copy of a database that
 * already holds tickets, log rows, events and a live claim; afterwards that
 * data (every row of every table) or the file's bytes must be as before.
 * Then README.md (the path is the argument) is read: its "## Bad input"
 * table must have exactly these api-* ids, each with this code, and each
 * row must quote its message fragment.  tests/security/check_bad_input.py
 * does the same for the cli-* rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"

/* ---- the seeded database and what "nothing lost" checks ---- */

static char template_db[512];

/* What must stay: every row of every table, or the bytes of a file that is
 * not a database, or (for calls that add a row) the rows that were there. */
enum keep { KEEP_ROWS, KEEP_BYTES, KEEP_OLD_ROWS };

typedef struct snapshot {
	uint64_t *rows; /* a hash per row, sorted; the schema is one more */
	size_t n;
	char *bytes;
	long len;
} snapshot;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return h;
}

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void add_row(snapshot *s, uint64_t h)
{
	uint64_t *grown = realloc(s->rows, (s->n + 1) * sizeof(*s->rows));

	if (!grown)
		abort();
	s->rows = grown;
	s->rows[s->n++] = h;
}

/* A hash of each row of each table (with the table's name), read with a
 * connection of our own; 0 rows when the file is no database. */
static void take_rows(const char *path, snapshot *s)
{
	sqlite3 *sql;
	sqlite3_stmt *tables, *rows;
	char q[256];

	if (sqlite3_open_v2(path, &sql, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(sql);
		return;
	}
	if (sqlite3_prepare_v2(sql, "SELECT name, type || name || coalesce(sql, '') FROM sqlite_master",
			       -1, &tables, NULL) == SQLITE_OK) {
		while (sqlite3_step(tables) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(tables, 0);
			const char *def = (const char *)sqlite3_column_text(tables, 1);

			add_row(s, fnv(1469598103934665603ULL, def, strlen(def)));
			/* AUTOINCREMENT's counters move with every insert: bookkeeping,
			 * not data. */
			if (strcmp(name, "sqlite_sequence") == 0)
				continue;
			/* Table names come from the schema itself. */
			snprintf(q, sizeof(q), "SELECT * FROM \"%s\"", name);
			if (sqlite3_prepare_v2(sql, q, -1, &rows, NULL) != SQLITE_OK)
				continue; /* an index */
			while (sqlite3_step(rows) == SQLITE_ROW) {
				uint64_t h = fnv(1469598103934665603ULL, name, strlen(name));

				for (int c = 0; c < sqlite3_column_count(rows); c++) {
					int type = sqlite3_column_type(rows, c);
					const void *b = sqlite3_column_blob(rows, c);

					h = fnv(h, &type, sizeof(type));
					h = fnv(h, b ? b : "", (size_t)sqlite3_column_bytes(rows, c));
				}
				add_row(s, h);
			}
			sqlite3_finalize(rows);
		}
		sqlite3_finalize(tables);
	}
	sqlite3_close(sql);
	qsort(s->rows, s->n, sizeof(*s->rows), by_value);
}

static void take(const char *path, enum keep keep, snapshot *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		/* A FIFO or a directory is never opened: its type is what stays. */
		s->len = lstat(path, &st) == 0 ? (long)(st.st_mode & S_IFMT) : -1;
		return;
	}
	if (keep == KEEP_BYTES) {
		static char buf[1 << 20];

		s->len = check_read_file(path, buf, sizeof(buf));
		s->bytes = s->len > 0 ? malloc((size_t)s->len) : NULL;
		if (s->bytes)
			memcpy(s->bytes, buf, (size_t)s->len);
	} else {
		take_rows(path, s);
	}
}

/* Whether everything @before holds is still there in @after (all of it,
 * and nothing else, unless @keep allows new rows). */
static int kept(const snapshot *before, const snapshot *after, enum keep keep)
{
	size_t j = 0;

	if (keep == KEEP_BYTES)
		return before->len == after->len && !before->bytes == !after->bytes &&
		       (!before->bytes || memcmp(before->bytes, after->bytes, (size_t)before->len) == 0);
	if (before->n == 0)
		return 0; /* the seeded data must have been there */
	if (keep == KEEP_ROWS && before->n != after->n)
		return 0;
	for (size_t i = 0; i < before->n; i++) {
		while (j < after->n && after->rows[j] < before->rows[i])
			j++;
		if (j == after->n || after->rows[j] != before->rows[i])
			return 0;
		j++;
	}
	return 1;
}

static void release(snapshot *s)
{
	free(s->rows);
	free(s->bytes);
}

/* ---- helpers of the cases ---- */

static bt_db *open_db(const char *path)
{
	bt_db *db = NULL;

	if (bt_open(&db, path, NULL) != BT_OK)
		fprintf(stderr, "bt_open(%s): %s\n", path, bt_error_message());
	return db;
}

static bt_update_options as(const char *actor)
{
	bt_update_options o = BT_UPDATE_OPTIONS_INIT;

	o.actor = actor;
	return o;
}

/* A message a case sets when it ran the call in a child process. */
static char child_message[512];

static void write_file(const char *path, const char *text)
{
	check_write_file(path, text, strlen(text));
}

/* The first @n bytes of the seeded database, then @garbage from byte @at. */
static void damaged_copy(const char *path, long n, long at, int garbage)
{
	static char image[1 << 20];
	long len = check_read_file(template_db, image, sizeof(image));

	if (len < 8192)
		abort();
	if (garbage)
		memset(image + at, 0xA5, 4096 - (size_t)at);
	check_write_file(path, image, (size_t)(n ? n : len));
}

static int raw_exec(const char *path, const char *sql_text)
{
	sqlite3 *sql;
	int rc = sqlite3_open(path, &sql);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(sql, sql_text, NULL, NULL, NULL);
	sqlite3_close(sql);
	return rc;
}

/* ---- the cases: each provokes one bad input on @path, a copy of the
 * seeded database (or what its setup made of it), and returns the code ---- */

static int null_handle(const char *path)
{
	(void)path;
	return bt_log(NULL, BT_CRITICAL, "c", "message %d", 1);
}

static int null_out(const char *path)
{
	return bt_open(NULL, path, NULL);
}

static int null_fmt(const char *path)
{
	bt_db *db = open_db(path);
	int rc = bt_log_at(db, BT_CRITICAL, "c", NULL, 0, NULL, NULL);

	bt_close(db);
	return rc;
}

static int null_component(const char *path)
{
	bt_db *db = open_db(path);
	int rc = bt_log(db, BT_CRITICAL, NULL, "message %d", 1);

	bt_close(db);
	return rc;
}

static int null_json(const char *path)
{
	bt_db *db = open_db(path);
	int rc = bt_import_json(db, NULL, 0, NULL, NULL);

	bt_close(db);
	return rc;
}

static int opts_unversioned(const char *path)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;

	o.version = 0;
	return bt_open(&db, path, &o);
}

static int opts_too_new(const char *path)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;

	o.version = 99; /* far ahead: stays too new as versions are added */
	return bt_open(&db, path, &o);
}

/* A bt_ticket_counts newer than the library: refused, and not written. */
static int counts_too_new(const char *path)
{
	bt_ticket_counts c;
	bt_db *db = open_db(path);
	int rc;

	memset(&c, 0xa5, sizeof(c));
	c.version = BT_TICKET_COUNTS_VERSION + 1;
	rc = bt_ticket_counts_get(db, &c);
	CHECK(c.version == BT_TICKET_COUNTS_VERSION + 1 && c.total == (int64_t)0xa5a5a5a5a5a5a5a5ull);
	bt_close(db);
	return rc;
}

static int unknown_flags(const char *path)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;

	o.flags = 0x80000;
	return bt_open(&db, path, &o);
}

static int event_too_new(const char *path)
{
	bt_db *db = open_db(path);
	bt_event ev = BT_EVENT_INIT;
	int rc;

	ev.version = 99;
	ev.component = "c";
	ev.message = "m";
	rc = bt_log_event(db, &ev, NULL);
	bt_close(db);
	return rc;
}

static int report_unversioned(const char *path)
{
	bt_db *db = open_db(path);
	bt_report r = BT_REPORT_INIT;
	int rc;

	r.version = 0;
	r.title = "t";
	rc = bt_report_create(db, &r, NULL, NULL);
	bt_close(db);
	return rc;
}

static int update_unversioned(const char *path)
{
	bt_db *db = open_db(path);
	bt_update_options o = as("user:x");
	int rc;

	o.version = 0;
	rc = bt_ticket_note(db, 1, "note", &o);
	bt_close(db);
	return rc;
}

static int filter_too_new(const char *path)
{
	bt_db *db = open_db(path);
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it = NULL;
	int rc;

	f.version = 99;
	rc = bt_ticket_iter_new(db, &f, &it);
	bt_ticket_iter_free(it);
	bt_close(db);
	return rc;
}

static int bad_level(const char *path)
{
	bt_db *db = open_db(path);
	int rc = bt_log(db, (bt_level)35, "c", "message %d", 1);

	bt_close(db);
	return rc;
}

static int bad_status(const char *path)
{
	bt_db *db = open_db(path);
	bt_update_options o = as("user:x");
	int rc = bt_ticket_set_status(db, 1, (bt_status)9, &o);

	bt_close(db);
	return rc;
}

static int bad_severity(const char *path)
{
	bt_db *db = open_db(path);
	bt_update_options o = as("user:x");
	int rc = bt_ticket_set_severity(db, 1, (bt_severity)7, &o);

	bt_close(db);
	return rc;
}

static int bad_priority(const char *path)
{
	bt_db *db = open_db(path);
	bt_report r = BT_REPORT_INIT;
	int rc;

	r.title = "t";
	r.priority = (bt_priority)9;
	rc = bt_report_create(db, &r, NULL, NULL);
	bt_close(db);
	return rc;
}

static int bad_context_key(const char *path)
{
	bt_db *db = open_db(path);
	int rc = bt_context_set(db, (bt_context_key)99, "x");

	bt_close(db);
	return rc;
}

/* Stored, with each invalid byte as U+FFFD: the error is worth more than
 * its bytes. */
static int invalid_utf8(const char *path)
{
	bt_db *db = open_db(path);
	bt_log_filter f = BT_LOG_FILTER_INIT;
	bt_log_iter *it;
	bt_log_entry *e;
	int rc = bt_log(db, BT_CRITICAL, "utf8", "bad %s bytes", "\xff\xfe");
	int found = 0;

	f.component = "utf8";
	if (rc == BT_OK && bt_log_iter_new(db, &f, &it) == BT_OK) {
		while (bt_log_iter_next(it, &e) == BT_OK) {
			found += strcmp(bt_log_entry_message(e), "bad \xef\xbf\xbd\xef\xbf\xbd bytes") == 0;
			bt_log_entry_free(e);
		}
		bt_log_iter_free(it);
	}
	CHECK(rc != BT_OK || found == 1);
	bt_close(db);
	return rc;
}

static int invalid_utf8_trace(const char *path)
{
	(void)path;
	return bt_thread_context_set("trace\xff", NULL);
}

/* Cut at 16384 bytes with a visible marker, and stored. */
static int oversized_message(const char *path)
{
	bt_db *db = open_db(path);
	size_t n = 100000;
	char *big = malloc(n + 1);
	bt_log_filter f = BT_LOG_FILTER_INIT;
	bt_log_iter *it;
	bt_log_entry *e;
	int rc, found = 0;

	if (!big)
		abort();
	memset(big, 'x', n);
	big[n] = '\0';
	rc = bt_log(db, BT_CRITICAL, "big", "%s", big);
	f.component = "big";
	if (rc == BT_OK && bt_log_iter_new(db, &f, &it) == BT_OK) {
		while (bt_log_iter_next(it, &e) == BT_OK) {
			const char *m = bt_log_entry_message(e);

			found += strlen(m) < 16400 && strstr(m, "[truncated]") != NULL;
			bt_log_entry_free(e);
		}
		bt_log_iter_free(it);
	}
	CHECK(rc != BT_OK || found == 1);
	free(big);
	bt_close(db);
	return rc;
}

static int oversized_trace(const char *path)
{
	char big[BT_THREAD_CONTEXT_MAX + 2];

	(void)path;
	memset(big, 't', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	return bt_thread_context_set(big, NULL);
}

static int context_not_json(const char *path)
{
	bt_db *db = open_db(path);
	bt_event ev = BT_EVENT_INIT;
	int rc;

	ev.level = BT_CRITICAL;
	ev.component = "c";
	ev.message = "m";
	ev.context_json = "{\"user\": ";
	rc = bt_log_event(db, &ev, NULL);
	bt_close(db);
	return rc;
}

static int report_no_title(const char *path)
{
	bt_db *db = open_db(path);
	bt_report r = BT_REPORT_INIT;
	int rc;

	r.description = "no title";
	rc = bt_report_create(db, &r, NULL, NULL);
	bt_close(db);
	return rc;
}

static int empty_note(const char *path)
{
	bt_db *db = open_db(path);
	bt_update_options o = as("user:x");
	int rc = bt_ticket_note(db, 1, "", &o);

	bt_close(db);
	return rc;
}

static int no_actor(const char *path)
{
	bt_db *db = open_db(path);
	bt_update_options o = as(NULL);
	int rc = bt_ticket_set_status(db, 1, BT_STATUS_TRIAGED, &o);

	bt_close(db);
	return rc;
}

static void setup_text_file(const char *path)
{
	write_file(path, "this is a text file, not a database\n");
}

static void setup_truncated(const char *path)
{
	damaged_copy(path, 100, 0, 0);
}

static void setup_corrupt(const char *path)
{
	damaged_copy(path, 0, 100, 1);
}

static void setup_newer(const char *path)
{
	CHECK(raw_exec(path, "INSERT INTO schema_migrations (version, name, checksum, applied_at)"
			     " VALUES (9999, 'from_the_future', 'x', 0)") == SQLITE_OK);
}

static void setup_foreign(const char *path)
{
	unlink(path);
	CHECK(raw_exec(path, "CREATE TABLE inventory (sku TEXT); INSERT INTO inventory VALUES ('x')")
	      == SQLITE_OK);
}

static int plain_open(const char *path)
{
	bt_db *db = NULL;
	int rc = bt_open(&db, path, NULL);

	bt_close(db);
	return rc;
}

static int readonly_handle(const char *path)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;
	int rc;

	o.flags = BT_OPEN_READONLY;
	rc = bt_open(&db, path, &o);
	if (rc == BT_OK)
		rc = bt_log(db, BT_CRITICAL, "c", "message %d", 1);
	bt_close(db);
	return rc;
}

/* Runs bt_open(path) for writing; as root, in a child that is nobody
 * (root ignores file modes), passing the code and message back. */
static int readonly_file(const char *path)
{
	int fds[2], status = 0;
	pid_t pid;

	chmod(path, 0444);
	if (geteuid() != 0)
		return plain_open(path);
	chmod(check_tmpdir(), 0755);
	if (pipe(fds) != 0)
		return BT_EINTERNAL;
	pid = fork();
	if (pid == 0) {
		int rc;

		close(fds[0]);
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(100);
		rc = plain_open(path);
		if (write(fds[1], bt_error_message(), strlen(bt_error_message())) < 0)
			_exit(101);
		_exit(-rc);
	}
	close(fds[1]);
	memset(child_message, 0, sizeof(child_message));
	if (read(fds[0], child_message, sizeof(child_message) - 1) < 0)
		child_message[0] = '\0';
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) >= 100)
		return BT_EINTERNAL;
	return -WEXITSTATUS(status);
}

/* Another connection holds the write lock; this one waits 50 ms. */
static int busy(const char *path)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	sqlite3 *other;
	bt_db *db = NULL;
	int rc;

	o.busy_timeout_ms = 50;
	o.flags = BT_OPEN_SYNC; /* an asynchronous handle queues instead, by design */
	if (sqlite3_open(path, &other) != SQLITE_OK ||
	    sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(other);
		return BT_EINTERNAL;
	}
	rc = bt_open(&db, path, &o);
	if (rc == BT_OK)
		rc = bt_log(db, BT_CRITICAL, "busy", "message %d", 1);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	bt_close(db);
	return rc;
}

static void setup_directory(const char *path)
{
	unlink(path);
	mkdir(path, 0700);
}

static void setup_fifo(const char *path)
{
	unlink(path);
	mkfifo(path, 0600);
}

static int missing_dir(const char *path)
{
	char p[600];

	snprintf(p, sizeof(p), "%s.d/no/such/dir/x.db", path);
	return plain_open(p);
}

static int missing_readonly(const char *path)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	char p[600];
	bt_db *db = NULL;
	int rc;

	snprintf(p, sizeof(p), "%s.absent", path);
	o.flags = BT_OPEN_READONLY;
	rc = bt_open(&db, p, &o);
	CHECK(access(p, F_OK) != 0); /* not created */
	return rc;
}

/* A symbolic link to a file that does not exist: bt_open does not create
 * the target through it. */
static int dangling_symlink(const char *path)
{
	char link[600], target[600];
	int rc;

	snprintf(link, sizeof(link), "%s.link", path);
	snprintf(target, sizeof(target), "%s.target", path);
	CHECK(symlink(target, link) == 0);
	rc = plain_open(link);
	CHECK(access(target, F_OK) != 0);
	return rc;
}

static int import_doc(const char *path, const char *doc)
{
	bt_db *db = open_db(path);
	int rc = bt_import_json(db, doc, strlen(doc), NULL, NULL);

	bt_close(db);
	return rc;
}

static int import_not_json(const char *path)
{
	return import_doc(path, "{\"report_id\": \"R-1\", ");
}

/* The first record is fine, the second is not: neither is stored. */
static int import_bad_record(const char *path)
{
	return import_doc(path, "[{\"report_id\": \"R-1\"}, {\"report_id\": \"R-2\", \"status\": \"wibble\"}]");
}

/* An export record whose id is a ticket of this database with another
 * fingerprint. */
static int import_conflict(const char *path)
{
	return import_doc(path, "{\"id\": 1, \"number\": \"BUG-00001\", \"title\": \"someone else\","
			  " \"status\": \"new\", \"severity\": \"high\", \"priority\": \"high\","
			  " \"source\": \"system\", \"fingerprint\": \"0123456789abcdef0123456789abcdef\","
			  " \"occurrence_count\": 1, \"first_occurred_at\": 1000, \"last_occurred_at\": 1000,"
			  " \"regression_count\": 0, \"automation_attempts\": 0, \"version\": 1,"
			  " \"created_at\": 1000, \"updated_at\": 1000}");
}

static void spool_path(const char *path, char *out, size_t size)
{
	snprintf(out, size, "%s.crash", path);
}

/* Garbage in the spool becomes a warning log row; nothing else changes. */
static int spool_damaged(const char *path)
{
	bt_crash_ingest_result r = { BT_CRASH_INGEST_RESULT_VERSION, 0, 0, 0 };
	char spool[600];
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;
	int rc;

	spool_path(path, spool, sizeof(spool));
	write_file(spool, "BTCRASH 1\ngarbage that is no record\n");
	o.flags = BT_OPEN_NO_MIGRATE; /* no ingestion at open: the call below does it */
	rc = bt_open(&db, path, &o);
	if (rc == BT_OK)
		rc = bt_crash_ingest(db, &r);
	CHECK(rc != BT_OK || (r.damaged == 1 && r.ingested == 0));
	CHECK(access(spool, F_OK) != 0); /* taken in, then removed */
	bt_close(db);
	return rc;
}

/* The spool is a symbolic link: not followed, not removed. */
static int spool_symlink(const char *path)
{
	char spool[600], target[600], buf[64];
	bt_db *db = NULL;
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	int rc;

	spool_path(path, spool, sizeof(spool));
	snprintf(target, sizeof(target), "%s.target", path);
	write_file(target, "BTCRASH 1\nnot ours\n");
	CHECK(symlink(target, spool) == 0);
	o.flags = BT_OPEN_NO_MIGRATE;
	rc = bt_open(&db, path, &o);
	if (rc == BT_OK)
		rc = bt_crash_ingest(db, NULL);
	bt_close(db);
	CHECK(check_read_file(target, buf, sizeof(buf)) == 19);
	CHECK(access(spool, F_OK) == 0);
	return rc;
}

/* bt_crash_handler_install does not write through a symbolic link. */
static int spool_symlink_install(const char *path)
{
	char spool[600], target[600], buf[64];
	bt_db *db = open_db(path);
	int rc;

	spool_path(path, spool, sizeof(spool));
	snprintf(target, sizeof(target), "%s.target", path);
	write_file(target, "precious\n");
	CHECK(symlink(target, spool) == 0);
	rc = bt_crash_handler_install(db, NULL);
	if (rc == BT_OK)
		bt_crash_handler_uninstall();
	bt_close(db);
	CHECK(check_read_file(target, buf, sizeof(buf)) == 9);
	return rc;
}

/* A FIFO as the spool: refused at once, not waited on. */
static int spool_fifo(const char *path)
{
	char spool[600];
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;
	int rc;

	spool_path(path, spool, sizeof(spool));
	CHECK(mkfifo(spool, 0600) == 0);
	o.flags = BT_OPEN_NO_MIGRATE;
	rc = bt_open(&db, path, &o);
	if (rc == BT_OK)
		rc = bt_crash_ingest(db, NULL);
	bt_close(db);
	return rc;
}

static int bad_number(const char *path)
{
	bt_db *db = open_db(path);
	bt_ticket *t = NULL;
	int rc = bt_ticket_get_by_number(db, "BUG-x", &t);

	bt_ticket_free(t);
	bt_close(db);
	return rc;
}

static int missing_ticket(const char *path)
{
	bt_db *db = open_db(path);
	bt_ticket *t = NULL;
	int rc = bt_ticket_get(db, 999, &t);

	bt_ticket_free(t);
	bt_close(db);
	return rc;
}

static int bad_cursor(const char *path)
{
	bt_db *db = open_db(path);
	bt_ticket_filter f = BT_TICKET_FILTER_INIT;
	bt_ticket_iter *it = NULL;
	int rc;

	f.cursor = "garbage";
	rc = bt_ticket_iter_new(db, &f, &it);
	bt_ticket_iter_free(it);
	bt_close(db);
	return rc;
}

static int stale_version(const char *path)
{
	bt_db *db = open_db(path);
	bt_update_options o = as("user:x");
	int rc;

	o.expected_version = 99;
	rc = bt_ticket_set_status(db, 1, BT_STATUS_TRIAGED, &o);
	bt_close(db);
	return rc;
}

static int illegal_transition(const char *path)
{
	bt_db *db = open_db(path);
	bt_update_options o = as("user:x");
	int rc = bt_ticket_set_status(db, 3, BT_STATUS_TRIAGED, &o); /* 3 is resolved */

	bt_close(db);
	return rc;
}

static int live_claim(const char *path)
{
	bt_db *db = open_db(path);
	char token[BT_CLAIM_TOKEN_SIZE];
	int rc = bt_ticket_claim(db, 2, "agent:other", 60, token);

	bt_close(db);
	return rc;
}

static int wrong_token(const char *path)
{
	bt_db *db = open_db(path);
	int rc = bt_ticket_claim_release(db, 2, "00000000000000000000000000000000");

	bt_close(db);
	return rc;
}

static int merge_self(const char *path)
{
	bt_db *db = open_db(path);
	bt_update_options o = as("user:x");
	int rc = bt_ticket_merge(db, 1, 1, &o);

	bt_close(db);
	return rc;
}

static int purge_zero_days(const char *path)
{
	bt_db *db = open_db(path);
	bt_purge_options o = BT_PURGE_OPTIONS_INIT;
	bt_purge_result r = BT_PURGE_RESULT_INIT;
	int rc = bt_purge(db, &o, &r);

	bt_close(db);
	return rc;
}

static int bad_range(const char *path)
{
	bt_db *db = open_db(path);
	bt_aggregate_options o = BT_AGGREGATE_OPTIONS_INIT;
	bt_aggregate_iter *it = NULL;
	int rc;

	o.from = 2000;
	o.to = 1000;
	rc = bt_aggregate_iter_new(db, BT_AGGREGATE_SUMMARY, &o, &it);
	bt_aggregate_iter_free(it);
	bt_close(db);
	return rc;
}

static int zero_lease(const char *path)
{
	bt_db *db = open_db(path);
	char token[BT_CLAIM_TOKEN_SIZE];
	int rc = bt_ticket_claim(db, 1, "agent:x", 0, token);

	bt_close(db);
	return rc;
}

/* ---- the table ---- */

/* Cases that fail because of a known library bug: id -> the bug.  Such a
 * case passes while it fails, and is listed on stderr; once the bug is
 * fixed it fails ("remove it from KNOWN_BUGS"), so the mark cannot outlive
 * the bug. */
static const struct { const char *id, *bug; } KNOWN_BUGS[] = {
	/* None open.  The last two (api-db-foreign: a refused foreign file was
	 * switched to WAL; api-wrong-token: an unclosed parenthesis) are fixed. */
	{ NULL, NULL },
};

static const char *known_bug(const char *id)
{
	for (size_t i = 0; KNOWN_BUGS[i].id; i++)
		if (strcmp(KNOWN_BUGS[i].id, id) == 0)
			return KNOWN_BUGS[i].bug;
	return NULL;
}

typedef struct bad_case {
	const char *id;
	void (*setup)(const char *path); /* turns the copy into the bad file; may be NULL */
	int (*provoke)(const char *path);
	int want;
	const char *message; /* a fragment of the message; NULL for BT_OK */
	enum keep keep;
} bad_case;

static const bad_case CASES[] = {
	{ "api-null-handle", NULL, null_handle, BT_EINVALID, "db is NULL", KEEP_ROWS },
	{ "api-null-out", NULL, null_out, BT_EINVALID, "out is NULL", KEEP_ROWS },
	{ "api-null-format", NULL, null_fmt, BT_EINVALID, "fmt is NULL", KEEP_ROWS },
	{ "api-null-component", NULL, null_component, BT_EINVALID, "component is NULL or empty", KEEP_ROWS },
	{ "api-null-json", NULL, null_json, BT_EINVALID, "json is NULL", KEEP_ROWS },
	{ "api-options-unversioned", NULL, opts_unversioned, BT_EINVALID, "unknown bt_open_options version 0",
	  KEEP_ROWS },
	{ "api-options-too-new", NULL, opts_too_new, BT_EINVALID, "unknown bt_open_options version 99", KEEP_ROWS },
	{ "api-counts-too-new", NULL, counts_too_new, BT_EINVALID, "unknown bt_ticket_counts version 2",
	  KEEP_ROWS },
	{ "api-unknown-flags", NULL, unknown_flags, BT_EINVALID, "unknown flags 0x80000", KEEP_ROWS },
	{ "api-event-too-new", NULL, event_too_new, BT_EINVALID, "unknown bt_event version 99", KEEP_ROWS },
	{ "api-report-unversioned", NULL, report_unversioned, BT_EINVALID, "unknown bt_report version 0",
	  KEEP_ROWS },
	{ "api-update-unversioned", NULL, update_unversioned, BT_EINVALID, "unknown bt_update_options version 0",
	  KEEP_ROWS },
	{ "api-filter-too-new", NULL, filter_too_new, BT_EINVALID, "unknown bt_ticket_filter version 99", KEEP_ROWS },
	{ "api-bad-level", NULL, bad_level, BT_EINVALID, "unknown level 35", KEEP_ROWS },
	{ "api-bad-status", NULL, bad_status, BT_EINVALID, "9", KEEP_ROWS },
	{ "api-bad-severity", NULL, bad_severity, BT_EINVALID, "7", KEEP_ROWS },
	{ "api-bad-priority", NULL, bad_priority, BT_EINVALID, "priority", KEEP_ROWS },
	{ "api-bad-context-key", NULL, bad_context_key, BT_EINVALID, "99", KEEP_ROWS },
	{ "api-invalid-utf8", NULL, invalid_utf8, BT_OK, NULL, KEEP_OLD_ROWS },
	{ "api-invalid-utf8-trace", NULL, invalid_utf8_trace, BT_EINVALID, "UTF-8", KEEP_ROWS },
	{ "api-oversized-message", NULL, oversized_message, BT_OK, NULL, KEEP_OLD_ROWS },
	{ "api-oversized-trace", NULL, oversized_trace, BT_EINVALID, "127", KEEP_ROWS },
	{ "api-context-not-json", NULL, context_not_json, BT_EINVALID, "context is not valid JSON",
	  KEEP_ROWS },
	{ "api-report-no-title", NULL, report_no_title, BT_EINVALID, "title", KEEP_ROWS },
	{ "api-empty-note", NULL, empty_note, BT_EINVALID, "empty", KEEP_ROWS },
	{ "api-no-actor", NULL, no_actor, BT_EINVALID, "actor", KEEP_ROWS },
	{ "api-db-not-sqlite", setup_text_file, plain_open, BT_ECORRUPT, "not a database", KEEP_BYTES },
	{ "api-db-truncated", setup_truncated, plain_open, BT_ECORRUPT, "malformed", KEEP_BYTES },
	{ "api-db-corrupt", setup_corrupt, plain_open, BT_ECORRUPT, "malformed", KEEP_BYTES },
	{ "api-db-newer", setup_newer, plain_open, BT_ESCHEMA, "newer", KEEP_ROWS },
	{ "api-db-foreign", setup_foreign, plain_open, BT_ESCHEMA, "not a bugtrack database", KEEP_BYTES },
	{ "api-db-readonly-handle", NULL, readonly_handle, BT_EREADONLY, "readonly database", KEEP_ROWS },
	{ "api-db-readonly-file", NULL, readonly_file, BT_EREADONLY, "read-only", KEEP_ROWS },
	{ "api-db-busy", NULL, busy, BT_EBUSY, "locked", KEEP_ROWS },
	{ "api-db-directory", setup_directory, plain_open, BT_ECANTOPEN, "is a directory", KEEP_BYTES },
	{ "api-db-fifo", setup_fifo, plain_open, BT_ECANTOPEN, "not a regular file", KEEP_BYTES },
	{ "api-db-missing-dir", NULL, missing_dir, BT_ECANTOPEN, "No such file or directory", KEEP_ROWS },
	{ "api-db-missing-readonly", NULL, missing_readonly, BT_ENOTFOUND, "not created", KEEP_ROWS },
	{ "api-db-dangling-symlink", NULL, dangling_symlink, BT_ECANTOPEN, "unable to open", KEEP_ROWS },
	{ "api-import-not-json", NULL, import_not_json, BT_EINVALID, "not valid JSON", KEEP_ROWS },
	{ "api-import-bad-record", NULL, import_bad_record, BT_EINVALID, "unknown status 'wibble'",
	  KEEP_ROWS },
	{ "api-import-conflict", NULL, import_conflict, BT_ECONFLICT, "belongs to another ticket",
	  KEEP_ROWS },
	{ "api-spool-damaged", NULL, spool_damaged, BT_OK, NULL, KEEP_OLD_ROWS },
	{ "api-spool-symlink", NULL, spool_symlink, BT_EIO, "Too many levels of symbolic links",
	  KEEP_ROWS },
	{ "api-spool-symlink-install", NULL, spool_symlink_install, BT_EIO, "spool", KEEP_ROWS },
	{ "api-spool-fifo", NULL, spool_fifo, BT_EIO, "not a regular file", KEEP_ROWS },
	{ "api-bad-ticket-number", NULL, bad_number, BT_EINVALID, "BUG-x", KEEP_ROWS },
	{ "api-missing-ticket", NULL, missing_ticket, BT_ENOTFOUND, "no such ticket", KEEP_ROWS },
	{ "api-bad-cursor", NULL, bad_cursor, BT_EINVALID, "cursor", KEEP_ROWS },
	{ "api-stale-version", NULL, stale_version, BT_ECONFLICT, "not 99", KEEP_ROWS },
	{ "api-illegal-transition", NULL, illegal_transition, BT_ESTATE, "cannot move from resolved to triaged",
	  KEEP_ROWS },
	{ "api-live-claim", NULL, live_claim, BT_EBUSY, "is claimed by agent:holder", KEEP_ROWS },
	{ "api-wrong-token", NULL, wrong_token, BT_ECONFLICT, "(claimed by agent:holder)", KEEP_ROWS },
	{ "api-merge-self", NULL, merge_self, BT_EINVALID, "itself", KEEP_ROWS },
	{ "api-purge-zero-days", NULL, purge_zero_days, BT_EINVALID, "older_than_days", KEEP_ROWS },
	{ "api-bad-range", NULL, bad_range, BT_EINVALID, "before", KEEP_ROWS },
	{ "api-zero-lease", NULL, zero_lease, BT_EINVALID, "lease", KEEP_ROWS },
};
#define NCASES (sizeof(CASES) / sizeof(CASES[0]))

static const struct { int code; const char *name; } CODE_NAMES[] = {
	{ BT_OK, "BT_OK" }, { BT_EINTERNAL, "BT_EINTERNAL" }, { BT_EINVALID, "BT_EINVALID" },
	{ BT_ENOMEM, "BT_ENOMEM" }, { BT_ENOTFOUND, "BT_ENOTFOUND" }, { BT_EBUSY, "BT_EBUSY" },
	{ BT_ESCHEMA, "BT_ESCHEMA" }, { BT_EIO, "BT_EIO" }, { BT_ECORRUPT, "BT_ECORRUPT" },
	{ BT_EREADONLY, "BT_EREADONLY" }, { BT_ECONFLICT, "BT_ECONFLICT" },
	{ BT_ECANTOPEN, "BT_ECANTOPEN" }, { BT_ITEROVER, "BT_ITEROVER" }, { BT_ESTATE, "BT_ESTATE" },
};

static const char *code_name(int code)
{
	for (size_t i = 0; i < sizeof(CODE_NAMES) / sizeof(CODE_NAMES[0]); i++)
		if (CODE_NAMES[i].code == code)
			return CODE_NAMES[i].name;
	return "?";
}

/* ---- the seeded database ---- */

static void seed(void)
{
	bt_db *db;
	bt_event ev = BT_EVENT_INIT;
	bt_report r = BT_REPORT_INIT;
	bt_update_options o = as("user:seed");
	char token[BT_CLAIM_TOKEN_SIZE];

	snprintf(template_db, sizeof(template_db), "%s", check_path("template.db"));
	CHECK_RC(bt_open(&db, template_db, NULL), BT_OK);
	CHECK_RC(bt_log(db, BT_CRITICAL, "db", "query on %s failed", "orders"), BT_OK);
	ev.level = BT_CRITICAL;
	ev.component = "config";
	ev.message = "cannot open limits.conf";
	ev.context_json = "{\"path\": \"/etc/limits.conf\"}";
	CHECK_RC(bt_log_event(db, &ev, NULL), BT_OK);
	r.title = "kept report";
	r.description = "must survive every case";
	CHECK_RC(bt_report_create(db, &r, NULL, NULL), BT_OK);
	CHECK_RC(bt_ticket_note(db, 1, "a note", &o), BT_OK);
	CHECK_RC(bt_ticket_claim(db, 2, "agent:holder", 86400, token), BT_OK);
	CHECK_RC(bt_ticket_resolve(db, 3, "fixed", "abc1234", "1.0", &o), BT_OK);
	bt_close(db);
}

static void copy_file(const char *from, const char *to)
{
	static char buf[1 << 20];
	long n = check_read_file(from, buf, sizeof(buf));

	CHECK(n > 0);
	check_write_file(to, buf, n > 0 ? (size_t)n : 0);
}

static char last_message[600]; /* of the case that ran last, for the log */

static void run_case(const bad_case *c, int n)
{
	char path[512];
	snapshot before, after;
	const char *msg;
	int rc;

	snprintf(path, sizeof(path), "%s/case%02d.db", check_tmpdir(), n);
	copy_file(template_db, path);
	if (c->setup)
		c->setup(path);
	take(path, c->keep, &before);
	child_message[0] = '\0';
	bt_error_clear();
	rc = c->provoke(path);
	msg = child_message[0] ? child_message : bt_error_message();
	snprintf(last_message, sizeof(last_message), "%s: %s", code_name(rc), msg);
	if (rc != c->want) {
		fprintf(stderr, "  %s: returned %s (%d), expected %s; message: %s\n", c->id, code_name(rc),
			rc, code_name(c->want), msg);
		check_failures++;
	} else if (c->message && !strstr(msg, c->message)) {
		fprintf(stderr, "  %s: message \"%s\" lacks \"%s\"\n", c->id, msg, c->message);
		check_failures++;
	}
	chmod(path, 0600);
	take(path, c->keep, &after);
	if (!kept(&before, &after, c->keep)) {
		if (c->keep == KEEP_BYTES)
			fprintf(stderr, "  %s: the file's bytes changed\n", c->id);
		else
			fprintf(stderr, "  %s: the data stored before is not all there (%zu rows before, "
				"%zu after)\n", c->id, before.n, after.n);
		check_failures++;
	}
	release(&before);
	release(&after);
}

/* ---- README.md ---- */

/* The cells of a table row: split at '|' that is not escaped. */
static int split_row(char *line, char **cells, int max)
{
	int n = 0;
	char *p = line;

	if (*p == '|')
		p++;
	while (*p && n < max) {
		char *start = p;

		while (*p && !(*p == '|' && p[-1] != '\\'))
			p++;
		cells[n++] = start;
		if (!*p)
			break;
		*p++ = '\0';
	}
	return n;
}

/* @s without surrounding blanks and backticks, in place. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '`')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '`' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static void check_readme(const char *readme)
{
	FILE *f = fopen(readme, "r");
	char line[4096];
	int inside = 0, rows = 0, seen[NCASES] = { 0 };

	CHECK(f != NULL);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char row[4096], *cells[8];
		const bad_case *c = NULL;

		if (strncmp(line, "## ", 3) == 0) {
			inside = strcmp(line, "## Bad input\n") == 0;
			continue;
		}
		if (!inside || strncmp(line, "| `api-", 7) != 0)
			continue;
		memcpy(row, line, sizeof(row));
		if (split_row(row, cells, 8) < 5) {
			fprintf(stderr, "FAIL README: a row with fewer than five cells: %s", line);
			check_failures++;
			continue;
		}
		rows++;
		for (size_t i = 0; i < NCASES; i++)
			if (strcmp(CASES[i].id, trim(cells[0])) == 0)
				c = &CASES[i], seen[i]++;
		if (!c) {
			fprintf(stderr, "FAIL README: %s is in the table but not in test_bad_input.c\n", trim(cells[0]));
			check_failures++;
		} else if (strcmp(trim(cells[3]), code_name(c->want)) != 0) {
			fprintf(stderr, "FAIL README: %s says %s, the code gives %s\n", c->id, trim(cells[3]),
				code_name(c->want));
			check_failures++;
		} else if (c->message && !strstr(line, c->message)) {
			fprintf(stderr, "FAIL README: the row of %s does not quote \"%s\"\n", c->id, c->message);
			check_failures++;
		}
	}
	fclose(f);
	for (size_t i = 0; i < NCASES; i++) {
		if (seen[i] != 1) {
			fprintf(stderr, "FAIL README: %s is in the table %d times, not once\n", CASES[i].id, seen[i]);
			check_failures++;
		}
	}
	fprintf(stderr, "test_bad_input: %d api-* rows in README.md, %zu cases here\n", rows, NCASES);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_bad_input README.md\n");
		return 2;
	}
	seed();
	if (geteuid() == 0)
		fprintf(stderr, "test_bad_input: running as root: api-db-readonly-file runs its open "
			"in a child that is nobody\n");
	for (size_t i = 0; i < NCASES; i++) {
		int before = check_failures;
		const char *bug = known_bug(CASES[i].id);

		run_case(&CASES[i], (int)i);
		if (bug && check_failures > before) {
			check_failures = before;
			fprintf(stderr, "KNOWN BUG, not counted: %s: %s\n", CASES[i].id, bug);
			continue;
		}
		if (bug) {
			fprintf(stderr, "FAIL %s passes now: remove it from KNOWN_BUGS (%s)\n", CASES[i].id, bug);
			check_failures++;
		}
		fprintf(stderr, "%s %s (%s)\n", check_failures == before ? "ok  " : "FAIL", CASES[i].id,
			last_message);
	}
	check_readme(argv[1]);
	return check_finish();
}
