/*
 * import.c - bt_import_json: legacy JSON bug reports, and bugtrack's own
 * `export tickets --format json` records, validated, mapped onto ticket
 * columns and stored one document per transaction (all of it or nothing).
 * The rules live in lib/admin/import*.c (import_internal.h says which file
 * holds what); json.c parses, the store (store/sqlite/import.c) writes,
 * and no SQL is written in these files.
 *
 * A record is an export record when it has both "id" and "number"; every
 * other object is a legacy report.  Legacy members without a column stay
 * in the ticket's context, which is the record minus the members that went
 * into columns (bti_json_remove keeps their text, numbers included, exactly).
 * Export records are restored column for column, id included, so a
 * database exported and imported again exports byte for byte the same.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "import_internal.h"
#include "versioned.h"

/* ---- a record ---- */

static int import_record(importer *imp, int64_t index, const char *json, size_t len)
{
	record *r = bti_calloc(1, sizeof(*r));
	bt_ticket t;
	int native, rc;

	if (!r)
		return bti_import_nomem();
	memset(&t, 0, sizeof(t));
	r->index = index;
	r->json = json;
	r->len = len;
	imp->records++;
	rc = bti_json_each(json, len, bti_import_read_member, r);
	if (rc != BT_OK) {
		rc = bti_import_failed_in(imp, r, rc);
		goto done;
	}
	bti_import_make_label(r);
	native = r->m[F_ID].present && r->m[F_NUMBER].present;
	rc = bti_import_map_record(imp, r, &t, native);
	if (rc == BT_OK)
		rc = bti_import_land(imp, r, &t, native);
done:
	for (int i = 0; i < BTI_T_TEXT_COUNT; i++)
		bti_free(t.text[i]);
	bti_import_record_free(r);
	bti_free(r);
	return rc;
}

static int visit_record(const bti_json_item *it, void *payload)
{
	importer *imp = payload;

	if (it->type != BTI_JSON_OBJECT) {
		imp->failed = it->index;
		return bti_error(BT_EINVALID, CALLER ": record %" PRId64 " is %s, not an object",
				 it->index + 1, bti_import_type_name(it->type));
	}
	return import_record(imp, it->index, it->text, it->len);
}

static void importer_free(importer *imp)
{
	size_t i;

	for (i = 0; i < imp->nlinks; i++)
		bti_free(imp->links[i].fingerprint);
	bti_free(imp->links);
	for (i = 0; i < imp->nfps; i++)
		bti_free(imp->fingerprints[i]);
	bti_free(imp->fingerprints);
}

/* A \u0000 escape would decode into a NUL that ends a C string and lose
 * the rest of the value: such escapes become \ufffd (U+FFFD, as the library
 * stores NUL bytes everywhere), same length, in the whole document, so that
 * the text a context keeps as written has none either.  *copy_out is NULL
 * when there is none. */
static int without_nul_escapes(const char *json, size_t len, char **copy_out)
{
	size_t i = 0, run;
	char *copy = NULL;

	*copy_out = NULL;
	while (i < len) {
		const char *p = memchr(json + i, '\\', len - i);

		if (!p)
			break;
		i = (size_t)(p - json);
		for (run = 0; i + run < len && json[i + run] == '\\'; run++)
			;
		i += run;
		if (run % 2 == 1 && len - i >= 5 && memcmp(json + i, "u0000", 5) == 0) {
			if (!copy) {
				copy = bti_malloc(len);
				if (!copy)
					return bti_import_nomem();
				memcpy(copy, json, len);
			}
			memcpy(copy + i, "ufffd", 5);
		}
	}
	*copy_out = copy;
	return BT_OK;
}

/* ---- where a document is broken ---- */

/* The line (from 1) and column (from 1, in characters: UTF-8 continuation
 * bytes do not count, as in an editor) of byte @off of @text. */
static void line_column(const char *text, size_t off, int64_t *line, int64_t *column)
{
	size_t i;

	*line = 1;
	*column = 1;
	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			++*line;
			*column = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			++*column;
		}
	}
}

static int not_json(const char *json, size_t len)
{
	int64_t line, column;

	line_column(json, bti_json_error_offset(json, len), &line, &column);
	return bti_error(BT_EINVALID, CALLER ": not valid JSON at line %" PRId64 ", column %" PRId64,
			 line, column);
}

/* ---- NDJSON: one record a line ---- */

static int blank(const char *s, const char *e)
{
	for (; s < e; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r')
			return 0;
	return 1;
}

/* Whether @json, which is not one JSON value, reads as NDJSON (what
 * `bugtrack export tickets --format ndjson` writes): its first non-blank
 * line is an object by itself and another line follows. */
static int is_ndjson(const char *json, size_t len)
{
	const char *s = json, *end = json + len, *nl;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			return 0; /* one line: it is the document, and not JSON */
		if (!blank(s, nl))
			return bti_json_type(s, (size_t)(nl - s)) == BTI_JSON_OBJECT;
		s = nl + 1;
	}
	return 0;
}

/* Each non-blank line of @json as a record, numbered from 0 in order. */
static int import_lines(importer *imp, const char *json, size_t len)
{
	const char *s = json, *end = json + len, *nl, *e;
	int64_t index = 0, line = 0, l, column;
	int rc = BT_OK, type;

	for (; s < end && rc == BT_OK; s = nl ? nl + 1 : end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		e = nl ? nl : end;
		line++;
		if (blank(s, e))
			continue;
		type = bti_json_type(s, (size_t)(e - s));
		if (type == BTI_JSON_INVALID) {
			imp->failed = index;
			imp->records++;
			line_column(s, bti_json_error_offset(s, (size_t)(e - s)), &l, &column);
			rc = bti_error(BT_EINVALID, CALLER ": record %" PRId64 " (line %" PRId64
				       "): not valid JSON at line %" PRId64 ", column %" PRId64,
				       index + 1, line, line, column);
		} else if (type != BTI_JSON_OBJECT) {
			imp->failed = index;
			imp->records++;
			rc = bti_error(BT_EINVALID, CALLER ": record %" PRId64 " (line %" PRId64
				       ") is %s, not an object", index + 1, line,
				       bti_import_type_name(type));
		} else {
			rc = import_record(imp, index, s, (size_t)(e - s));
		}
		index++;
	}
	return rc;
}

/* ---- the document ---- */

/* The whole document, in one transaction: a write transaction, or for a
 * dry run a read transaction that only looks.  A document is one report
 * object, an array of them, or NDJSON (one object a line). */
static int import_document(importer *imp, const char *json, size_t len)
{
	int type = bti_json_type(json, len), rc, lines = 0;

	if (type == BTI_JSON_INVALID && !(lines = is_ndjson(json, len)))
		return not_json(json, len);
	if (!lines && type != BTI_JSON_OBJECT && type != BTI_JSON_ARRAY)
		return bti_error(BT_EINVALID, CALLER ": the document is %s; expected a report "
				 "object or an array of them", bti_import_type_name(type));
	rc = imp->dry_run ? bti_store_begin_read(imp->st) : bti_store_begin(imp->st);
	if (rc != BT_OK)
		return rc;
	if (lines)
		rc = import_lines(imp, json, len);
	else if (type == BTI_JSON_OBJECT)
		rc = import_record(imp, 0, json, len);
	else
		rc = bti_json_each(json, len, visit_record, imp);
	if (rc == BT_OK)
		rc = bti_import_finish(imp);
	if (rc == BT_OK && !imp->dry_run)
		rc = bti_store_commit(imp->st);
	bti_store_rollback(imp->st); /* the end of a dry run or a failure; no-op after a commit */
	return rc;
}

int bt_import_session_new(bt_db *db, const bt_import_options *opts, bt_import_session **out)
{
	bt_import_options o;
	bt_import_session *s;
	int rc;

	if (out)
		*out = NULL;
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_import_session_new: %s is NULL", db ? "out" : "db");
	rc = bti_versioned_in(&bti_v_import_options, CALLER, opts, &o);
	if (rc != BT_OK)
		return rc;
	opts = &o;
	s = bti_calloc(1, sizeof(*s));
	if (!s)
		return bti_import_nomem();
	s->db = db;
	s->dry_run = opts && opts->dry_run;
	if (opts && opts->actor && !(s->actor = bti_strdup(opts->actor))) {
		bti_free(s);
		return bti_import_nomem();
	}
	if (opts && opts->source && !(s->source = bti_strdup(opts->source))) {
		bti_free(s->actor);
		bti_free(s);
		return bti_import_nomem();
	}
	*out = s;
	return BT_OK;
}

void bt_import_session_free(bt_import_session *s)
{
	if (!s)
		return;
	bti_import_shadow_free(&s->sh);
	bti_free(s->actor);
	bti_free(s->source);
	bti_free(s);
}

int bt_import_session_add(bt_import_session *s, const char *json, size_t len,
			  const char *source, bt_import_result *out)
{
	bt_import_result res = BT_IMPORT_RESULT_INIT;
	int saved_errno = errno, rc;
	size_t mark;
	int64_t high_mark;
	char *copy = NULL;
	importer imp;
	const char *nul;

	if (!s || !json)
		return bti_error(BT_EINVALID, CALLER ": %s is NULL", s ? "json" : "session");
	if (out && bti_versioned_check(&bti_v_import_result, CALLER, out) != BT_OK)
		return BT_EINVALID;
	memset(&imp, 0, sizeof(imp));
	imp.failed = -1;
	imp.s = s;
	imp.db = s->db;
	imp.st = s->db->store;
	imp.actor = s->actor ? s->actor : "system";
	imp.source = source ? source : s->source;
	imp.dry_run = s->dry_run;
	mark = s->sh.n;
	high_mark = s->sh.high;
	if (len >= 3 && memcmp(json, "\xef\xbb\xbf", 3) == 0) {
		json += 3;
		len -= 3;
	}
	nul = len ? memchr(json, '\0', len) : NULL;
	if (len == 0)
		rc = bti_error(BT_EINVALID, CALLER ": the input is empty");
	else if (nul)
		rc = bti_error(BT_EINVALID, CALLER ": not valid JSON (a NUL byte at offset %zu)",
			       (size_t)(nul - json));
	else
		rc = without_nul_escapes(json, len, &copy);
	if (rc == BT_OK)
		rc = bti_db_lock(s->db, CALLER);
	if (rc == BT_OK) {
		imp.now = bti_db_now(s->db);
		rc = import_document(&imp, copy ? copy : json, len);
		bti_db_unlock(s->db);
	}
	if (rc != BT_OK) {
		bti_import_shadow_truncate(&s->sh, mark); /* all of a document, or nothing */
		s->sh.high = high_mark;
	}
	if (out) {
		res.records = imp.records;
		res.imported = rc == BT_OK ? imp.imported : 0;
		res.skipped = rc == BT_OK ? imp.skipped : 0;
		res.failed_record = rc == BT_OK ? -1 : imp.failed;
		bti_versioned_out(&bti_v_import_result, out, &res);
	}
	importer_free(&imp);
	bti_free(copy);
	errno = saved_errno;
	return rc;
}

int bt_import_json(bt_db *db, const char *json, size_t len, const bt_import_options *opts,
		   bt_import_result *out)
{
	bt_import_session *s;
	int rc = bt_import_session_new(db, opts, &s);

	if (rc != BT_OK)
		return rc;
	rc = bt_import_session_add(s, json, len, NULL, out);
	bt_import_session_free(s);
	return rc;
}
