/*
 * test_security.c - the first slice of issue 8's security checks:
 *  - SQL injection: hostile strings through every text input of the capture,
 *    report, lifecycle, listing and import API leave the schema and the
 *    earlier data intact, and come back byte for byte where they are stored;
 *  - permissions: the database, its WAL and SHM files and the crash spool
 *    are created 0600 even under umask 0.
 */
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"

static const char *const HOSTILE[] = {
	"'; DROP TABLE tickets; --",
	"x' OR '1'='1",
	"Robert'); DELETE FROM error_logs; --",
	"\" OR \"\"=\"",
	"1; UPDATE tickets SET status='closed'",
	"') UNION SELECT sql FROM sqlite_master --",
	"%s%n%x%p%999999d",
	"\\'\\\"\\\\",
	"*/ ATTACH DATABASE '/tmp/evil.db' AS evil; /*",
	"héllo ☃ 𝄞 \xe2\x80\xae right-to-left",
};
#define NHOSTILE (sizeof(HOSTILE) / sizeof(HOSTILE[0]))

/* The schema as text: every object's type, name and SQL, in order. */
static char *schema_of(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *out = NULL;
	size_t len = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_prepare_v2(db, "SELECT type || ' ' || name || ' ' || coalesce(sql, '')"
			       " FROM sqlite_master ORDER BY type, name", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *row = (const char *)sqlite3_column_text(st, 0);
			size_t n = strlen(row);
			char *grown = realloc(out, len + n + 2);

			if (!grown)
				break;
			out = grown;
			memcpy(out + len, row, n);
			len += n;
			out[len++] = '\n';
			out[len] = '\0';
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return out;
}

static int64_t count_rows(const char *path, const char *table)
{
	char sql[128];
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

static bt_update_options as(const char *actor)
{
	bt_update_options o = BT_UPDATE_OPTIONS_INIT;

	o.actor = actor;
	return o;
}

static void test_sql_injection(void)
{
	const char *path = check_path("hostile.db");
	bt_open_options oo = BT_OPEN_OPTIONS_INIT;
	char *schema_before, *schema_after;
	int64_t first, id;
	bt_db *db;
	bt_ticket *t;

	oo.flags = BT_OPEN_NO_REDACT; /* hostile strings must come back as given */
	CHECK_RC(bt_open(&db, path, &oo), BT_OK);
	/* Data that must survive. */
	CHECK_RC(bt_log(db, BT_CRITICAL, "keep", "keep me %d", 1), BT_OK);
	CHECK_RC(bt_ticket_get_by_number(db, "BUG-00001", &t), BT_OK);
	first = t ? bt_ticket_id(t) : 0;
	bt_ticket_free(t);
	bt_close(db);
	schema_before = schema_of(path);
	CHECK(schema_before != NULL);

	CHECK_RC(bt_open(&db, path, &oo), BT_OK);
	for (size_t i = 0; i < NHOSTILE; i++) {
		const char *h = HOSTILE[i];
		bt_event ev = BT_EVENT_INIT;
		bt_report r = BT_REPORT_INIT;
		bt_update_options uo = as(h);
		bt_ticket_filter f = BT_TICKET_FILTER_INIT;
		bt_log_filter lf = BT_LOG_FILTER_INIT;
		bt_ticket_iter *it;
		bt_log_iter *li;
		char token[BT_CLAIM_TOKEN_SIZE];

		for (int k = BT_CONTEXT_SERVICE; k <= BT_CONTEXT_HOST; k++)
			CHECK_RC(bt_context_set(db, (bt_context_key)k, h), BT_OK);
		CHECK_RC(bt_thread_context_set(h, h), BT_OK);
		CHECK_RC(bt_log(db, BT_CRITICAL, h, "%s", h), BT_OK);
		/* Not as the format: a hostile format is undefined behaviour in C
		 * itself (%n), before the library sees anything. */
		ev.level = BT_CRITICAL;
		ev.component = h;
		ev.message = h;
		ev.message_template = h;
		ev.error_type = h;
		ev.file = h;
		ev.function = h;
		ev.stack_trace = h;
		ev.fingerprint = h;
		ev.trace_id = "t";
		ev.request_id = "r";
		CHECK_RC(bt_log_event(db, &ev, &id), BT_OK);
		CHECK(id > 0);
		CHECK_RC(bt_dedup_lookup(db, h, &t), BT_ENOTFOUND); /* hashed, not stored raw */
		bt_ticket_free(t);

		r.title = h;
		r.description = h;
		r.category = h;
		r.component = h;
		r.reporter = h;
		r.trace_id = "t";
		r.release_sha = h;
		/* No fingerprint: it would group onto the event's ticket. */
		CHECK_RC(bt_report_create(db, &r, &id, NULL), BT_OK);
		CHECK_RC(bt_ticket_get(db, id, &t), BT_OK);
		CHECK(t && !strcmp(bt_ticket_title(t), h) && !strcmp(bt_ticket_description(t), h) &&
		      !strcmp(bt_ticket_category(t), h) && !strcmp(bt_ticket_component(t), h));
		bt_ticket_free(t);

		CHECK_RC(bt_ticket_assign(db, id, h, &uo), BT_OK);
		CHECK_RC(bt_ticket_set_category(db, id, h, &uo), BT_OK);
		CHECK_RC(bt_ticket_note(db, id, h, &uo), BT_OK);
		CHECK_RC(bt_ticket_claim(db, id, h, 60, token), BT_OK);
		CHECK_RC(bt_ticket_claim_release(db, id, token), BT_OK);
		CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_TRIAGED, &uo), BT_OK);
		CHECK_RC(bt_ticket_set_status(db, id, BT_STATUS_IN_PROGRESS, &uo), BT_OK);
		CHECK_RC(bt_ticket_resolve(db, id, h, h, h, &uo), BT_OK);
		CHECK_RC(bt_ticket_get(db, id, &t), BT_OK);
		CHECK(t && !strcmp(bt_ticket_assignee(t), h) && !strcmp(bt_ticket_resolution_notes(t), h) &&
		      !strcmp(bt_ticket_resolution_commit(t), h) && !strcmp(bt_ticket_resolved_by(t), h));
		bt_ticket_free(t);
		CHECK_RC(bt_ticket_get_by_number(db, h, &t), BT_EINVALID);

		f.component = h;
		f.assignee = h;
		f.text = h;
		CHECK_RC(bt_ticket_iter_new(db, &f, &it), BT_OK);
		while (bt_ticket_iter_next(it, &t) == BT_OK)
			bt_ticket_free(t);
		bt_ticket_iter_free(it);
		lf.component = h;
		CHECK_RC(bt_log_iter_new(db, &lf, &li), BT_OK);
		{
			bt_log_entry *e;
			int seen = 0;

			while (bt_log_iter_next(li, &e) == BT_OK) {
				seen += !strcmp(bt_log_entry_message(e), h);
				bt_log_entry_free(e);
			}
			CHECK(seen >= 1);
		}
		bt_log_iter_free(li);
	}
	CHECK_RC(bt_thread_context_set(NULL, NULL), BT_OK);

	/* The importer, with hostile keys and values. */
	{
		const char *doc = "[{\"report_id\": \"'; DROP TABLE tickets; --\", \"status\": \"new\","
				  " \"description\": \"x' OR '1'='1\", \"component\": \"') UNION SELECT 1 --\","
				  " \"'; DROP TABLE ticket_events; --\": \"Robert'); DELETE FROM error_logs; --\"}]";
		bt_import_result res = BT_IMPORT_RESULT_INIT;

		CHECK_RC(bt_import_json(db, doc, strlen(doc), NULL, &res), BT_OK);
		CHECK(res.imported == 1);
	}
	bt_close(db);

	schema_after = schema_of(path);
	CHECK(schema_after && !strcmp(schema_before, schema_after));
	CHECK(count_rows(path, "tickets") > 3 * (int64_t)NHOSTILE);
	CHECK(count_rows(path, "error_logs") > 0);
	CHECK(count_rows(path, "ticket_events") > 0);
	CHECK(access("/tmp/evil.db", F_OK) != 0);
	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	CHECK_RC(bt_ticket_get(db, first, &t), BT_OK);
	CHECK(t && bt_ticket_status(t) == BT_STATUS_NEW && !strcmp(bt_ticket_component(t), "keep"));
	bt_ticket_free(t);
	bt_close(db);
	free(schema_before);
	free(schema_after);
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static void test_permissions(void)
{
	const char *path = check_path("perm.db");
	char wal[512], shm[512], spool[512];
	mode_t old = umask(0);
	bt_db *db;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	snprintf(spool, sizeof(spool), "%s.crash", path);
	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	CHECK_RC(bt_log(db, BT_CRITICAL, "perm", "written %d", 1), BT_OK);
	CHECK_RC(bt_crash_handler_install(db, NULL), BT_OK);
	CHECK(mode_of(path) == 0600);
	CHECK(mode_of(wal) == 0600);
	CHECK(mode_of(shm) == 0600);
	CHECK(mode_of(spool) == 0600);
	CHECK_RC(bt_crash_handler_uninstall(), BT_OK);
	bt_close(db);
	umask(old);
}

/* ---- issue 13: every stored text field is redacted ---- */

/* Is @needle anywhere in the bytes of @path (and of @path-wal)? */
static int file_holds(const char *path, const char *needle)
{
	static char buf[8 << 20];
	char wal[512];
	size_t k = strlen(needle);
	int found = 0;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	for (int f = 0; f < 2 && !found; f++) {
		long n = check_read_file(f ? wal : path, buf, sizeof(buf));

		for (long i = 0; n > 0 && i + (long)k <= n && !found; i++)
			found = memcmp(buf + i, needle, k) == 0;
	}
	return found;
}

/*
 * Notes (bt_ticket_note, the note of any update, resolution notes),
 * report titles, assignees, and what an import brings in (titles,
 * assignees, resolution notes, stack traces, error types) were stored as
 * given.  Each secret below must be missing from the file, and each public
 * word next to it present, so that a field that was not stored cannot
 * pass.
 */
static void test_fields_redacted(void)
{
	static const char *const secrets[] = {
		"SecretTitle01", "SecretNote02", "SecretOptNote03", "SecretAssignee04", "SecretResolve05",
		"SecretLegacyTitle06", "SecretLegacyAssign07", "SecretLegacyNotes08", "SecretStack09",
		"SecretErrType10", "SecretNativeNote11", "SecretCapType12", "SecretCapStack13",
	};
	static const char *const public[] = {
		"titleword", "noteword", "optword", "assignword", "resolveword", "ltitleword",
		"lassignword", "lnotesword", "stackword", "etypeword", "nnoteword", "captypeword",
		"capstackword",
	};
	const char *path = check_path("fields.db");
	bt_update_options o = BT_UPDATE_OPTIONS_INIT;
	bt_import_result res = BT_IMPORT_RESULT_INIT;
	bt_report r = BT_REPORT_INIT;
	const char *legacy =
		"{\"report_id\": \"R-1\", \"title\": \"ltitleword password=SecretLegacyTitle06\","
		" \"description\": \"d\", \"assignee\": \"lassignword accessToken=SecretLegacyAssign07\","
		" \"resolution_notes\": \"lnotesword see https://bob:SecretLegacyNotes08@db/x\"}";
	const char *native =
		"{\"id\": 50, \"number\": \"BUG-00050\", \"title\": \"t\", \"created_at\": 1,"
		" \"stack_trace\": \"#0 stackword connect(password=SecretStack09)\","
		" \"error_type\": \"etypeword token=SecretErrType10\","
		" \"resolution_notes\": \"nnoteword --password SecretNativeNote11\"}";
	int64_t id = 0;
	bt_db *db;

	CHECK_RC(bt_open(&db, path, NULL), BT_OK);
	r.title = "titleword login failed password=SecretTitle01";
	r.component = "auth";
	CHECK_RC(bt_report_create(db, &r, &id, NULL), BT_OK);
	o.actor = "user:alice";
	CHECK_RC(bt_ticket_note(db, id, "noteword tried mysql -u root -pSecretNote02", &o), BT_OK);
	o.note = "optword secret: SecretOptNote03";
	CHECK_RC(bt_ticket_assign(db, id, "assignword userPassword=SecretAssignee04", &o), BT_OK);
	o.note = NULL;
	CHECK_RC(bt_ticket_resolve(db, id, "resolveword rotated api_key=SecretResolve05", NULL, NULL, &o),
		 BT_OK);
	CHECK_RC(bt_import_json(db, legacy, strlen(legacy), NULL, &res), BT_OK);
	CHECK_RC(bt_import_json(db, native, strlen(native), NULL, &res), BT_OK);
	{
		/* A captured event's error type and stack trace. */
		bt_event ev = BT_EVENT_INIT;

		ev.level = BT_CRITICAL;
		ev.component = "auth";
		ev.message = "login failed";
		ev.error_type = "captypeword token=SecretCapType12";
		ev.stack_trace = "#0 capstackword connect https://bob:SecretCapStack13@db/x";
		CHECK_RC(bt_log_event(db, &ev, NULL), BT_OK);
	}
	bt_close(db);

	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		if (file_holds(path, secrets[i])) {
			fprintf(stderr, "  stored in clear: %s\n", secrets[i]);
			check_failures++;
		}
		if (!file_holds(path, public[i])) {
			fprintf(stderr, "  not stored: %s\n", public[i]);
			check_failures++;
		}
	}
}

int main(void)
{
	RUN(test_sql_injection);
	RUN(test_permissions);
	RUN(test_fields_redacted);
	return check_finish();
}
