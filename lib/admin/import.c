/*
 * import.c - bt_import_json: legacy JSON bug reports, and bugtrack's own
 * `export tickets --format json` records, validated, mapped onto ticket
 * columns and stored one document per transaction (all of it or nothing).
 * The rules live here; json.c parses, the store (store/sqlite/import.c)
 * writes, and no SQL is written in this file.
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
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "db.h"
#include "fingerprint.h"
#include "iso8601.h"
#include "json.h"
#include "redact.h"
#include "text.h"
#include "ticket.h"
#include "vocab.h"

/* ---- the fields ---- */

enum field {
	/* The export's columns (number and the *_iso twins are derived). */
	F_ID, F_NUMBER, F_TITLE, F_DESCRIPTION, F_STATUS, F_SEVERITY, F_PRIORITY, F_CATEGORY,
	F_COMPONENT, F_SOURCE, F_REPORTER, F_ASSIGNEE, F_FINGERPRINT, F_GROUPING_INPUT,
	F_ERROR_TYPE, F_ERROR_MESSAGE, F_STACK_TRACE, F_OCCURRENCE_COUNT, F_FIRST_OCCURRED_AT,
	F_LAST_OCCURRED_AT, F_REGRESSION_COUNT, F_SERVICE, F_HOST, F_ENVIRONMENT, F_RELEASE_SHA,
	F_TRACE_ID, F_REQUEST_ID, F_CONTEXT, F_RESOLUTION_NOTES, F_RESOLUTION_COMMIT,
	F_RESOLVED_BY, F_RESOLVED_RELEASE, F_AUTOMATION_ATTEMPTS, F_CLAIMED_BY, F_CLAIMED_AT,
	F_CLAIM_EXPIRES_AT, F_VERSION, F_DUPLICATE_OF, F_EXTERNAL_ID, F_CREATED_AT, F_UPDATED_AT,
	F_RESOLVED_AT, F_SLA_DUE_AT,
	F_FIRST_OCCURRED_AT_ISO, F_LAST_OCCURRED_AT_ISO, F_CLAIMED_AT_ISO, F_CLAIM_EXPIRES_AT_ISO,
	F_CREATED_AT_ISO, F_UPDATED_AT_ISO, F_RESOLVED_AT_ISO, F_SLA_DUE_AT_ISO,
	/* Legacy reports only. */
	F_REPORT_ID, F_SUBMITTED_AT, F_RESOLUTION_COMMIT_SHA, F_RESOLUTION_ACTOR_ID, F_RELEASE,
	F_CLIENT_META, F_APP_STATE, F_RECENT_LOGS, F_NETWORK_EVENTS, F_EVENTS, F_SCREENSHOT_PATH,
	F_COUNT
};

/* How an export record's field is read. */
enum kind {
	K_NONE,    /* not an export field */
	K_TEXT,    /* a string or null, into a text column */
	K_ENUM,    /* a status, severity, priority or source name */
	K_COUNT,   /* an integer >= 0 */
	K_TIME,    /* integer milliseconds, or null */
	K_REF,     /* a ticket id, or null */
	K_DERIVED, /* a string or null, not stored (number, *_iso) */
	K_CONTEXT  /* JSON text (or a JSON object or array) */
};

/* Accepted JSON types, as bits. */
#define T(x) (1u << BTI_JSON_##x)
#define T_STR T(TEXT)
#define T_TIME (T(TEXT) | T(INTEGER) | T(REAL))

typedef struct field_def {
	const char *name;
	unsigned char kind;    /* in an export record */
	signed char col;       /* its bti_ticket_text or bti_ticket_int index; -1 none */
	unsigned short legacy; /* accepted types in a legacy report; 0: not a legacy field */
	signed char legacy_col; /* the text column a legacy string goes to; -1 none */
	unsigned char legacy_keep; /* a legacy member that stays in context */
} field_def;

#define TXT(f, c) { f, K_TEXT, BTI_T_##c, 0, -1, 0 }
#define NUM(f, k, c) { f, k, BTI_T_##c, 0, -1, 0 }
#define BOTH(f, c) { f, K_TEXT, BTI_T_##c, T_STR, BTI_T_##c, 0 }

static const field_def fields[F_COUNT] = {
	[F_ID] = NUM("id", K_REF, ID),
	[F_NUMBER] = { "number", K_DERIVED, -1, 0, -1, 0 },
	[F_TITLE] = BOTH("title", TITLE),
	[F_DESCRIPTION] = BOTH("description", DESCRIPTION),
	[F_STATUS] = { "status", K_ENUM, BTI_T_STATUS, T_STR, -1, 0 },
	[F_SEVERITY] = { "severity", K_ENUM, BTI_T_SEVERITY, T_STR, -1, 0 },
	[F_PRIORITY] = { "priority", K_ENUM, BTI_T_PRIORITY, T_STR, -1, 0 },
	[F_CATEGORY] = BOTH("category", CATEGORY),
	[F_COMPONENT] = BOTH("component", COMPONENT),
	[F_SOURCE] = { "source", K_ENUM, BTI_T_SOURCE, 0, -1, 0 },
	[F_REPORTER] = BOTH("reporter", REPORTER),
	[F_ASSIGNEE] = BOTH("assignee", ASSIGNEE),
	[F_FINGERPRINT] = TXT("fingerprint", FINGERPRINT),
	[F_GROUPING_INPUT] = TXT("grouping_input", GROUPING_INPUT),
	[F_ERROR_TYPE] = TXT("error_type", ERROR_TYPE),
	[F_ERROR_MESSAGE] = TXT("error_message", ERROR_MESSAGE),
	[F_STACK_TRACE] = TXT("stack_trace", STACK_TRACE),
	[F_OCCURRENCE_COUNT] = NUM("occurrence_count", K_COUNT, OCCURRENCES),
	[F_FIRST_OCCURRED_AT] = NUM("first_occurred_at", K_TIME, FIRST_OCCURRED),
	[F_LAST_OCCURRED_AT] = NUM("last_occurred_at", K_TIME, LAST_OCCURRED),
	[F_REGRESSION_COUNT] = NUM("regression_count", K_COUNT, REGRESSIONS),
	[F_SERVICE] = TXT("service", SERVICE),
	[F_HOST] = TXT("host", HOST),
	/* A legacy environment may be an object (a map of versions): it then
	 * stays in context. */
	[F_ENVIRONMENT] = { "environment", K_TEXT, BTI_T_ENVIRONMENT, T_STR | T(OBJECT),
			    BTI_T_ENVIRONMENT, 0 },
	[F_RELEASE_SHA] = TXT("release_sha", RELEASE),
	[F_TRACE_ID] = BOTH("trace_id", TRACE_ID),
	[F_REQUEST_ID] = BOTH("request_id", REQUEST_ID),
	[F_CONTEXT] = { "context", K_CONTEXT, BTI_T_CONTEXT, 0, -1, 0 },
	[F_RESOLUTION_NOTES] = BOTH("resolution_notes", RESOLUTION_NOTES),
	[F_RESOLUTION_COMMIT] = TXT("resolution_commit", RESOLUTION_COMMIT),
	[F_RESOLVED_BY] = TXT("resolved_by", RESOLVED_BY),
	[F_RESOLVED_RELEASE] = TXT("resolved_release", RESOLVED_RELEASE),
	[F_AUTOMATION_ATTEMPTS] = NUM("automation_attempts", K_COUNT, AUTOMATION_ATTEMPTS),
	[F_CLAIMED_BY] = TXT("claimed_by", CLAIMED_BY),
	[F_CLAIMED_AT] = NUM("claimed_at", K_TIME, CLAIMED_AT),
	[F_CLAIM_EXPIRES_AT] = NUM("claim_expires_at", K_TIME, CLAIM_EXPIRES_AT),
	[F_VERSION] = NUM("version", K_COUNT, VERSION),
	[F_DUPLICATE_OF] = NUM("duplicate_of", K_REF, DUPLICATE_OF),
	[F_EXTERNAL_ID] = TXT("external_id", EXTERNAL_ID),
	[F_CREATED_AT] = NUM("created_at", K_TIME, CREATED_AT),
	[F_UPDATED_AT] = { "updated_at", K_TIME, BTI_T_UPDATED_AT, T_TIME, -1, 0 },
	[F_RESOLVED_AT] = { "resolved_at", K_TIME, BTI_T_RESOLVED_AT, T_TIME, -1, 0 },
	[F_SLA_DUE_AT] = NUM("sla_due_at", K_TIME, SLA_DUE_AT),
	[F_FIRST_OCCURRED_AT_ISO] = { "first_occurred_at_iso", K_DERIVED, -1, 0, -1, 0 },
	[F_LAST_OCCURRED_AT_ISO] = { "last_occurred_at_iso", K_DERIVED, -1, 0, -1, 0 },
	[F_CLAIMED_AT_ISO] = { "claimed_at_iso", K_DERIVED, -1, 0, -1, 0 },
	[F_CLAIM_EXPIRES_AT_ISO] = { "claim_expires_at_iso", K_DERIVED, -1, 0, -1, 0 },
	[F_CREATED_AT_ISO] = { "created_at_iso", K_DERIVED, -1, 0, -1, 0 },
	[F_UPDATED_AT_ISO] = { "updated_at_iso", K_DERIVED, -1, 0, -1, 0 },
	[F_RESOLVED_AT_ISO] = { "resolved_at_iso", K_DERIVED, -1, 0, -1, 0 },
	[F_SLA_DUE_AT_ISO] = { "sla_due_at_iso", K_DERIVED, -1, 0, -1, 0 },
	[F_REPORT_ID] = { "report_id", K_NONE, -1, T_STR | T(INTEGER), BTI_T_EXTERNAL_ID, 0 },
	[F_SUBMITTED_AT] = { "submitted_at", K_NONE, -1, T_TIME, -1, 0 },
	[F_RESOLUTION_COMMIT_SHA] = { "resolution_commit_sha", K_NONE, -1, T_STR,
				      BTI_T_RESOLUTION_COMMIT, 0 },
	[F_RESOLUTION_ACTOR_ID] = { "resolution_actor_id", K_NONE, -1, T_STR | T(INTEGER),
				    BTI_T_RESOLVED_BY, 0 },
	[F_RELEASE] = { "release", K_NONE, -1, T_STR, BTI_T_RELEASE, 0 },
	[F_CLIENT_META] = { "client_meta", K_NONE, -1, T(OBJECT), -1, 1 },
	[F_APP_STATE] = { "app_state", K_NONE, -1, T(OBJECT), -1, 1 },
	[F_RECENT_LOGS] = { "recent_logs", K_NONE, -1, T(ARRAY), -1, 1 },
	[F_NETWORK_EVENTS] = { "network_events", K_NONE, -1, T(ARRAY), -1, 1 },
	[F_EVENTS] = { "events", K_NONE, -1, T(ARRAY), -1, 1 },
	[F_SCREENSHOT_PATH] = { "screenshot_path", K_NONE, -1, T_STR, -1, 1 },
};

/* Every field may have to be removed from a record at once. */

/* ---- legacy vocabularies ---- */

typedef struct alias {
	const char *from, *to;
} alias;

/* Legacy statuses, after lower-casing and turning ' ' and '-' into '_'
 * (README, "bugtrack import", has this table). */
static const alias status_aliases[] = {
	{ "new", "new" }, { "open", "new" }, { "opened", "new" }, { "reopened", "new" },
	{ "submitted", "new" }, { "reported", "new" }, { "pending", "new" },
	{ "unconfirmed", "new" }, { "todo", "new" }, { "to_do", "new" },
	{ "triaged", "triaged" }, { "acknowledged", "triaged" }, { "confirmed", "triaged" },
	{ "accepted", "triaged" }, { "assigned", "triaged" }, { "backlog", "triaged" },
	{ "in_progress", "in_progress" }, { "inprogress", "in_progress" },
	{ "investigating", "in_progress" }, { "started", "in_progress" },
	{ "working", "in_progress" }, { "wip", "in_progress" },
	{ "awaiting_verification", "awaiting_verification" },
	{ "pending_verification", "awaiting_verification" },
	{ "needs_verification", "awaiting_verification" },
	{ "verifying", "awaiting_verification" }, { "in_review", "awaiting_verification" },
	{ "ready_for_qa", "awaiting_verification" }, { "testing", "awaiting_verification" },
	{ "resolved", "resolved" }, { "fixed", "resolved" }, { "done", "resolved" },
	{ "completed", "resolved" },
	{ "closed", "closed" }, { "wontfix", "closed" }, { "wont_fix", "closed" },
	{ "duplicate", "closed" }, { "invalid", "closed" }, { "rejected", "closed" },
	{ "cannot_reproduce", "closed" }, { "cant_reproduce", "closed" },
	{ "not_a_bug", "closed" }, { "obsolete", "closed" }, { "archived", "closed" },
};

static const alias severity_aliases[] = {
	{ "critical", "critical" }, { "blocker", "critical" }, { "fatal", "critical" },
	{ "emergency", "critical" }, { "p0", "critical" }, { "sev1", "critical" },
	{ "s1", "critical" },
	{ "high", "high" }, { "major", "high" }, { "error", "high" }, { "severe", "high" },
	{ "p1", "high" }, { "sev2", "high" }, { "s2", "high" },
	{ "medium", "medium" }, { "normal", "medium" }, { "moderate", "medium" },
	{ "warning", "medium" }, { "p2", "medium" }, { "sev3", "medium" }, { "s3", "medium" },
	{ "low", "low" }, { "minor", "low" }, { "trivial", "low" }, { "cosmetic", "low" },
	{ "info", "low" }, { "p3", "low" }, { "p4", "low" }, { "sev4", "low" }, { "s4", "low" },
};

static const alias priority_aliases[] = {
	{ "urgent", "urgent" }, { "critical", "urgent" }, { "immediate", "urgent" },
	{ "high", "high" }, { "medium", "medium" }, { "normal", "medium" },
	{ "low", "low" },
};

/* ---- a record as read ---- */

typedef struct member {
	int present, twice;
	int type;          /* enum bti_json_type */
	char *text;        /* TEXT (cleaned), and ARRAY/OBJECT of context */
	size_t len;
	int64_t integer;
	int exact;
	double real;
} member;

typedef struct record {
	int64_t index;
	const char *json;  /* the record's JSON text */
	size_t len;
	member m[F_COUNT];
	int64_t members;   /* every member, known or not */
	char label[96];    /* " (report_id \"R-17\")" or " (id 5)", for messages */
} record;

/* What the second pass does once every record is in. */
typedef struct dup_link {
	int64_t index, id, canonical;
	char *fingerprint;
} dup_link;

typedef struct shadow shadow; /* below, with the dry run */

typedef struct importer {
	bt_import_session *s;
	bt_db *db;
	bti_store *st;
	const char *actor, *source;
	int dry_run;
	int64_t now;
	int64_t records, imported, skipped, failed;
	dup_link *links;
	size_t nlinks, links_cap;
	char **fingerprints;  /* of the new tickets, to activate */
	size_t nfps, fps_cap;
} importer;

#define CALLER "bt_import_json"

static int nomem(void)
{
	return bti_error(BT_ENOMEM, CALLER ": out of memory");
}

/* Fail record @r with @code; the message names it and says why. */
static int bad(importer *imp, const record *r, int code, const char *fmt, ...)
	BTI_PRINTF(4, 5);
static int bad(importer *imp, const record *r, int code, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	imp->failed = r->index;
	return bti_error(code, CALLER ": record %" PRId64 "%s: %s", r->index, r->label, why);
}

/* A storage failure inside record @r: name the record, keep the code. */
static int failed_in(importer *imp, const record *r, int rc)
{
	char why[512];

	if (rc == BT_ENOMEM || rc == BT_EBUSY || rc == BT_EIO || rc == BT_EREADONLY)
		return rc;
	snprintf(why, sizeof(why), "%s", bt_error_message());
	return bad(imp, r, rc, "%s", why);
}

static const char *type_name(int type)
{
	switch (type) {
	case BTI_JSON_NULL:    return "null";
	case BTI_JSON_TRUE:
	case BTI_JSON_FALSE:   return "a boolean";
	case BTI_JSON_INTEGER: return "an integer";
	case BTI_JSON_REAL:    return "a number";
	case BTI_JSON_TEXT:    return "a string";
	case BTI_JSON_ARRAY:   return "an array";
	case BTI_JSON_OBJECT:  return "an object";
	default:               return "invalid";
	}
}

/* "a string", "a string or an integer", ... for a set of types. */
static const char *types_wanted(unsigned int types, char *buf, size_t size)
{
	int t;

	buf[0] = '\0';
	for (t = BTI_JSON_NULL; t <= BTI_JSON_OBJECT; t++) {
		if (!(types & (1u << t)) || t == BTI_JSON_REAL)
			continue;
		if (buf[0])
			strncat(buf, " or ", size - strlen(buf) - 1);
		strncat(buf, t == BTI_JSON_INTEGER && (types & T(REAL)) ? "a number" : type_name(t),
			size - strlen(buf) - 1);
	}
	return buf;
}

/* ---- reading a record ---- */

static int find_field(const char *name)
{
	int f;

	for (f = 0; f < F_COUNT; f++)
		if (name[0] == fields[f].name[0] && strcmp(name, fields[f].name) == 0)
			return f;
	return -1;
}

static char *clean_copy(const char *s, size_t len)
{
	char *out;

	if (!bti_utf8_valid(s, len))
		return bti_text_clean(s, len, 0, NULL);
	out = bti_malloc(len + 1);
	if (out) {
		memcpy(out, s, len);
		out[len] = '\0';
	}
	return out;
}

static int read_member(const bti_json_item *it, void *payload)
{
	record *r = payload;
	member *m;
	int f;

	r->members++;
	f = it->key ? find_field(it->key) : -1;
	if (f < 0)
		return BT_OK; /* it stays in context */
	m = &r->m[f];
	if (m->present) {
		m->twice = 1;
		return BT_OK;
	}
	m->present = 1;
	m->type = it->type;
	m->integer = it->integer;
	m->exact = it->exact;
	m->real = it->real;
	if (it->type == BTI_JSON_TEXT ||
	    (f == F_CONTEXT && (it->type == BTI_JSON_OBJECT || it->type == BTI_JSON_ARRAY))) {
		m->text = clean_copy(it->text, it->len);
		if (!m->text)
			return nomem();
		m->len = strlen(m->text);
	}
	return BT_OK;
}

static void record_free(record *r)
{
	int f;

	for (f = 0; f < F_COUNT; f++)
		bti_free(r->m[f].text);
}

/* A member that is there and not null. */
static const member *given(const record *r, int f)
{
	return r->m[f].present && r->m[f].type != BTI_JSON_NULL ? &r->m[f] : NULL;
}

static void make_label(record *r)
{
	const member *m = given(r, F_REPORT_ID);

	if (given(r, F_ID) && given(r, F_NUMBER) && r->m[F_ID].type == BTI_JSON_INTEGER)
		snprintf(r->label, sizeof(r->label), " (id %" PRId64 ")", r->m[F_ID].integer);
	else if (m && m->type == BTI_JSON_TEXT)
		snprintf(r->label, sizeof(r->label), " (report_id \"%.60s\")", m->text);
	else if (m && m->type == BTI_JSON_INTEGER)
		snprintf(r->label, sizeof(r->label), " (report_id %" PRId64 ")", m->integer);
}

/* ---- shared checks ---- */

/* The member's type is one of @types (null is always allowed). */
static int check_type(importer *imp, const record *r, int f, unsigned int types)
{
	const member *m = &r->m[f];
	char want[96];

	if (m->twice)
		return bad(imp, r, BT_EINVALID, "'%s' appears twice", fields[f].name);
	if (!m->present || m->type == BTI_JSON_NULL || (types & (1u << m->type)))
		return BT_OK;
	return bad(imp, r, BT_EINVALID, "'%s' must be %s, not %s", fields[f].name,
		   types_wanted(types, want, sizeof(want)), type_name(m->type));
}

static int steal(member *m, char **out)
{
	*out = m->text;
	m->text = NULL;
	return BT_OK;
}

/* Lower-case, with ' ' and '-' as '_', no apostrophes, trimmed. */
static void normalize_word(const char *in, char *out, size_t size)
{
	size_t o = 0;

	while (*in == ' ' || *in == '\t')
		in++;
	for (; *in && o + 1 < size; in++) {
		char c = *in;

		if (c == '\'')
			continue;
		if (c == ' ' || c == '-')
			c = '_';
		else if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[o++] = c;
	}
	while (o > 0 && out[o - 1] == '_')
		o--;
	out[o] = '\0';
}

static const char *lookup(const alias *table, size_t n, const char *word)
{
	char norm[64];
	size_t i;

	if (strlen(word) >= sizeof(norm))
		return NULL;
	normalize_word(word, norm, sizeof(norm));
	for (i = 0; i < n; i++)
		if (strcmp(norm, table[i].from) == 0)
			return table[i].to;
	return NULL;
}

/* ---- times ---- */

/* The last millisecond of 9999-12-31. */
#define MAX_TIME INT64_C(253402300799999)

/* A legacy time: ISO 8601 text, or epoch seconds (below 1e11, which as
 * milliseconds would be 1973) or milliseconds, integer or not. */
static int legacy_time(importer *imp, const record *r, int f, int64_t *out)
{
	const member *m = given(r, f);
	double v;

	*out = 0;
	if (!m)
		return BT_OK;
	if (m->type == BTI_JSON_TEXT) {
		if (!bti_iso8601_parse(m->text, 0, out))
			return bad(imp, r, BT_EINVALID, "'%s' is not an ISO 8601 time: \"%.40s\"",
				   fields[f].name, m->text);
	} else if (m->type == BTI_JSON_INTEGER && m->exact) {
		*out = m->integer < INT64_C(100000000000) && m->integer > -INT64_C(100000000000)
			? m->integer * 1000 : m->integer;
	} else {
		v = m->real;
		if (!(v > -1e11 && v < 1e11))
			v = v / 1000.0;
		if (!(v > -1e11 * 1000 && v < 1e11 * 1000)) /* NaN, infinities, far away */
			return bad(imp, r, BT_EINVALID, "'%s' is out of range", fields[f].name);
		v *= 1000.0;
		*out = (int64_t)(v < 0 ? v - 0.5 : v + 0.5);
	}
	if (*out <= 0 || *out > MAX_TIME)
		return bad(imp, r, BT_EINVALID, "'%s' is out of range (1970 to 9999)",
			   fields[f].name);
	return BT_OK;
}

/* ---- context ---- */

/* The record without the members @remove[0..n); NULL (in *out) when nothing
 * would remain. */
static int rest_of(importer *imp, const record *r, const int *remove, size_t n, char **out)
{
	const char *names[F_COUNT];
	char *raw;
	size_t i;
	int rc;

	*out = NULL;
	if ((int64_t)n >= r->members)
		return BT_OK;
	if (n == 0) {
		raw = clean_copy(r->json, r->len);
		return raw ? (*out = raw, BT_OK) : nomem();
	}
	for (i = 0; i < n; i++)
		names[i] = fields[remove[i]].name;
	rc = bti_json_remove(r->json, r->len, names, n, &raw);
	if (rc != BT_OK)
		return failed_in(imp, r, rc);
	if (strcmp(raw, "{}") == 0) { /* a repeated member was all that was left */
		bti_free(raw);
		return BT_OK;
	}
	if (bti_utf8_valid(raw, strlen(raw))) {
		*out = raw;
		return BT_OK;
	}
	*out = bti_text_clean(raw, strlen(raw), 0, NULL);
	bti_free(raw);
	return *out ? BT_OK : nomem();
}

/* Redact @ctx in place as capture does: if redaction breaks the JSON, the
 * whole context becomes "[redacted]" rather than leak. */
static int redact_context(importer *imp, char **ctx)
{
	const bt_db *db = imp->db;
	char *red;

	if (!*ctx || (db->cfg.flags & BT_OPEN_NO_REDACT))
		return BT_OK;
	red = bti_redact_dup(*ctx, strlen(*ctx), (const char *const *)db->cfg.redact_keys, NULL);
	if (!red)
		return nomem();
	if (strcmp(red, *ctx) == 0) { /* the common case: no secret, no second parse */
		bti_free(red);
		return BT_OK;
	}
	bti_free(*ctx);
	*ctx = red;
	if (bti_json_type(red, strlen(red)) == BTI_JSON_INVALID) {
		bti_free(*ctx);
		*ctx = bti_strdup("\"[redacted]\"");
		return *ctx ? BT_OK : nomem();
	}
	return BT_OK;
}

static char *redact_text(const bt_db *db, char *s)
{
	char *red;

	if (!s || (db->cfg.flags & BT_OPEN_NO_REDACT))
		return s;
	red = bti_redact_dup(s, strlen(s), (const char *const *)db->cfg.redact_keys, NULL);
	bti_free(s);
	return red;
}

/* Every stored text a person or a program wrote goes through redaction,
 * as capture's does: an export may come from a handle that did not redact
 * (BT_OPEN_NO_REDACT), or from before a form was covered.  Redacting text
 * already redacted changes nothing.  A legacy description is redacted
 * already (its title may be made from it).  The fingerprint and grouping
 * input stay as they are, so that occurrences still find the ticket. */
static int redact_columns(importer *imp, bt_ticket *t, int native)
{
	static const int cols[] = {
		BTI_T_TITLE, BTI_T_DESCRIPTION, BTI_T_ERROR_MESSAGE, BTI_T_STACK_TRACE,
		BTI_T_ERROR_TYPE, BTI_T_ASSIGNEE, BTI_T_RESOLUTION_NOTES,
	};

	for (size_t i = 0; i < BTI_ARRAY_LEN(cols); i++) {
		char **text = &t->text[cols[i]];

		if (!*text || (!native && cols[i] == BTI_T_DESCRIPTION))
			continue;
		if (!(*text = redact_text(imp->db, *text)))
			return nomem();
	}
	return BT_OK;
}

/* ---- legacy reports ---- */

/* The first line of @desc, cut to about 120 bytes on a character boundary. */
static char *title_from(const char *desc, const char *report_id)
{
	char buf[160];
	size_t n = 0, cut = 120;
	const char *p = desc;

	while (p && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	while (p && p[n] && p[n] != '\n' && p[n] != '\r')
		n++;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0) {
		snprintf(buf, sizeof(buf), "Imported report %.120s", report_id);
		return bti_strdup(buf);
	}
	if (n > cut) {
		while (cut > 0 && ((unsigned char)p[cut] & 0xC0) == 0x80)
			cut--;
		snprintf(buf, sizeof(buf), "%.*s\xe2\x80\xa6", (int)cut, p);
		return bti_strdup(buf);
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)n, p);
	return bti_strdup(buf);
}

static int legacy_enum(importer *imp, const record *r, int f, const alias *table, size_t n,
		       const char *dflt, const char **out)
{
	const member *m = given(r, f);

	*out = dflt;
	if (!m)
		return BT_OK;
	*out = lookup(table, n, m->text);
	if (!*out)
		return bad(imp, r, BT_EINVALID, "unknown %s '%.40s'", fields[f].name, m->text);
	return BT_OK;
}

/* Fill @t from legacy report @r; *to_remove lists the members that went
 * into columns (the rest stays in context). */
static int legacy_row(importer *imp, record *r, bt_ticket *t, int *remove, size_t *nremove)
{
	const char *status, *severity, *priority;
	int64_t created, updated, resolved;
	char idbuf[32];
	int f, rc = BT_OK;

	*nremove = 0;
	for (f = 0; f < F_COUNT && rc == BT_OK; f++)
		if (fields[f].legacy)
			rc = check_type(imp, r, f, fields[f].legacy);
	if (rc != BT_OK)
		return rc;
	if (!given(r, F_REPORT_ID))
		return bad(imp, r, BT_EINVALID, "'report_id' is missing (a legacy report needs it, "
			   "to be imported once only)");
	if (r->m[F_REPORT_ID].type == BTI_JSON_TEXT && r->m[F_REPORT_ID].len == 0)
		return bad(imp, r, BT_EINVALID, "'report_id' is empty");
	if (r->m[F_REPORT_ID].type == BTI_JSON_INTEGER && !r->m[F_REPORT_ID].exact)
		return bad(imp, r, BT_EINVALID, "'report_id' is out of range");
	rc = legacy_enum(imp, r, F_STATUS, status_aliases, BTI_ARRAY_LEN(status_aliases), "new",
			 &status);
	if (rc == BT_OK)
		rc = legacy_enum(imp, r, F_SEVERITY, severity_aliases,
				 BTI_ARRAY_LEN(severity_aliases), "medium", &severity);
	if (rc == BT_OK)
		rc = legacy_enum(imp, r, F_PRIORITY, priority_aliases,
				 BTI_ARRAY_LEN(priority_aliases), "medium", &priority);
	if (rc == BT_OK)
		rc = legacy_time(imp, r, F_SUBMITTED_AT, &created);
	if (rc == BT_OK)
		rc = legacy_time(imp, r, F_UPDATED_AT, &updated);
	if (rc == BT_OK)
		rc = legacy_time(imp, r, F_RESOLVED_AT, &resolved);
	if (rc != BT_OK)
		return rc;
	if (!created)
		created = imp->now;
	if (!updated)
		updated = created;
	if (updated < created)
		return bad(imp, r, BT_EINVALID, "'updated_at' is before 'submitted_at'");
	if (!resolved && strcmp(status, "resolved") == 0)
		resolved = updated;

	/* Columns from strings, and what leaves the context. */
	for (f = 0; f < F_COUNT; f++) {
		member *m = &r->m[f];

		if (!fields[f].legacy || !m->present || fields[f].legacy_keep)
			continue;
		if (f == F_ENVIRONMENT && m->type == BTI_JSON_OBJECT)
			continue;
		remove[(*nremove)++] = f;
		if (fields[f].legacy_col >= 0 && m->type == BTI_JSON_TEXT)
			steal(m, &t->text[fields[f].legacy_col]);
	}
	if (r->m[F_REPORT_ID].type == BTI_JSON_INTEGER) {
		snprintf(idbuf, sizeof(idbuf), "%" PRId64, r->m[F_REPORT_ID].integer);
		t->text[BTI_T_EXTERNAL_ID] = bti_strdup(idbuf);
	}
	if (given(r, F_RESOLUTION_ACTOR_ID) && r->m[F_RESOLUTION_ACTOR_ID].type == BTI_JSON_INTEGER) {
		snprintf(idbuf, sizeof(idbuf), "%" PRId64, r->m[F_RESOLUTION_ACTOR_ID].integer);
		t->text[BTI_T_RESOLVED_BY] = bti_strdup(idbuf);
	}
	t->text[BTI_T_DESCRIPTION] = redact_text(imp->db, t->text[BTI_T_DESCRIPTION]);
	if (!t->text[BTI_T_EXTERNAL_ID] || (given(r, F_DESCRIPTION) && !t->text[BTI_T_DESCRIPTION]))
		return nomem();
	if (!t->text[BTI_T_TITLE] || !*t->text[BTI_T_TITLE]) {
		bti_free(t->text[BTI_T_TITLE]);
		t->text[BTI_T_TITLE] = title_from(t->text[BTI_T_DESCRIPTION], t->text[BTI_T_EXTERNAL_ID]);
		if (!t->text[BTI_T_TITLE])
			return nomem();
	}
	t->text[BTI_T_STATUS] = bti_strdup(status);
	t->text[BTI_T_SEVERITY] = bti_strdup(severity);
	t->text[BTI_T_PRIORITY] = bti_strdup(priority);
	t->text[BTI_T_SOURCE] = bti_strdup("user");
	if (!t->text[BTI_T_STATUS] || !t->text[BTI_T_SEVERITY] || !t->text[BTI_T_PRIORITY] ||
	    !t->text[BTI_T_SOURCE])
		return nomem();
	t->num[BTI_T_OCCURRENCES] = 1;
	t->num[BTI_T_VERSION] = 1;
	t->num[BTI_T_CREATED_AT] = created;
	t->num[BTI_T_FIRST_OCCURRED] = created;
	t->num[BTI_T_LAST_OCCURRED] = created;
	t->num[BTI_T_UPDATED_AT] = updated;
	t->num[BTI_T_RESOLVED_AT] = resolved;
	t->num[BTI_T_SLA_DUE_AT] = bti_sla_due(imp->db->cfg.sla_ms, severity, created);
	return BT_OK;
}

/* ---- export records ---- */

static int enum_ok(int f, const char *name)
{
	int i;

	for (i = 1; i < 8; i++) {
		const char *known = f == F_STATUS ? bt_status_name((bt_status)i)
				  : f == F_SEVERITY ? bt_severity_name((bt_severity)i)
				  : f == F_PRIORITY ? bt_priority_name((bt_priority)i)
				  : bt_source_name((bt_source)i);

		if (known && strcmp(known, name) == 0)
			return 1;
	}
	return 0;
}

static int native_field(importer *imp, record *r, int f, bt_ticket *t)
{
	const field_def *d = &fields[f];
	member *m = &r->m[f];
	unsigned int types;

	switch (d->kind) {
	case K_TEXT: case K_DERIVED: case K_ENUM: types = T_STR; break;
	case K_CONTEXT: types = T_STR | T(OBJECT) | T(ARRAY); break;
	default: types = T(INTEGER); break;
	}
	if (check_type(imp, r, f, types) != BT_OK)
		return BT_EINVALID;
	if (!given(r, f) || d->kind == K_DERIVED)
		return BT_OK;
	switch (d->kind) {
	case K_ENUM:
		if (!enum_ok(f, m->text))
			return bad(imp, r, BT_EINVALID, "unknown %s '%.40s'", d->name, m->text);
		/* fall through */
	case K_TEXT:
	case K_CONTEXT:
		return steal(m, &t->text[d->col]);
	case K_COUNT:
	case K_TIME:
	case K_REF:
		if (!m->exact || m->integer < (d->kind == K_REF || f == F_VERSION ? 1 : 0) ||
		    (d->kind == K_TIME && m->integer > MAX_TIME))
			return bad(imp, r, BT_EINVALID, "'%s' is out of range", d->name);
		t->num[d->col] = m->integer;
		return BT_OK;
	default:
		return BT_OK;
	}
}

/* Defaults for what an export record leaves out: the schema's. */
static int native_defaults(importer *imp, record *r, bt_ticket *t)
{
	static const struct { int col; const char *value; } texts[] = {
		{ BTI_T_STATUS, "new" }, { BTI_T_SEVERITY, "medium" }, { BTI_T_PRIORITY, "medium" },
		{ BTI_T_SOURCE, "system" },
	};
	char token[BT_CLAIM_TOKEN_SIZE];
	size_t i;
	int rc;

	for (i = 0; i < BTI_ARRAY_LEN(texts); i++)
		if (!t->text[texts[i].col] && !(t->text[texts[i].col] = bti_strdup(texts[i].value)))
			return nomem();
	if (!given(r, F_OCCURRENCE_COUNT))
		t->num[BTI_T_OCCURRENCES] = 1;
	if (!given(r, F_VERSION))
		t->num[BTI_T_VERSION] = 1;
	if (!t->num[BTI_T_ID])
		return bad(imp, r, BT_EINVALID, "'id' is missing");
	if (!t->num[BTI_T_CREATED_AT])
		return bad(imp, r, BT_EINVALID, "'created_at' is missing");
	if (!t->num[BTI_T_UPDATED_AT])
		t->num[BTI_T_UPDATED_AT] = t->num[BTI_T_CREATED_AT];
	/* The schema's CHECKs, tested here so that a dry run, which writes
	 * nothing, finds them too. */
	if (t->num[BTI_T_UPDATED_AT] < t->num[BTI_T_CREATED_AT])
		return bad(imp, r, BT_EINVALID, "'updated_at' is before 'created_at'");
	if (t->num[BTI_T_FIRST_OCCURRED] && t->num[BTI_T_LAST_OCCURRED] &&
	    t->num[BTI_T_LAST_OCCURRED] < t->num[BTI_T_FIRST_OCCURRED])
		return bad(imp, r, BT_EINVALID, "'last_occurred_at' is before 'first_occurred_at'");
	if (!t->text[BTI_T_TITLE] || !*t->text[BTI_T_TITLE])
		return bad(imp, r, BT_EINVALID, "'title' is missing or empty");
	if (t->num[BTI_T_DUPLICATE_OF] == t->num[BTI_T_ID])
		return bad(imp, r, BT_EINVALID, "'duplicate_of' is the ticket itself");
	if (!t->text[BTI_T_CLAIMED_BY] != !t->num[BTI_T_CLAIM_EXPIRES_AT])
		return bad(imp, r, BT_EINVALID, "'claimed_by' and 'claim_expires_at' go together");
	/* The claim token is the holder's secret and is never exported: the
	 * claim is restored with a new one (the holder claims again). */
	if (t->text[BTI_T_CLAIMED_BY]) {
		rc = bti_claim_token(token, CALLER ": no randomness for a claim token");
		if (rc != BT_OK)
			return rc;
		if (!(t->text[BTI_T_CLAIM_TOKEN] = bti_strdup(token)))
			return nomem();
	}
	return BT_OK;
}

/* The export record's context, with any members import does not know
 * added: {"context": <the column>, <unknown members>...}. */
static int native_context(importer *imp, record *r, bt_ticket *t)
{
	int remove[F_COUNT];
	size_t n = 0, need;
	char *extra, *merged;
	char *ctx = t->text[BTI_T_CONTEXT];
	int f, rc;

	if (ctx && r->m[F_CONTEXT].type == BTI_JSON_TEXT) {
		if (bti_json_type(ctx, strlen(ctx)) == BTI_JSON_INVALID)
			return bad(imp, r, BT_EINVALID, "'context' is not valid JSON");
	}
	/* Legacy-only fields are unknown to an export record. */
	for (f = 0; f < F_COUNT; f++)
		if (fields[f].kind != K_NONE && r->m[f].present)
			remove[n++] = f;
	if ((int64_t)n == r->members)
		return BT_OK;
	rc = rest_of(imp, r, remove, n, &extra);
	if (rc != BT_OK || !extra)
		return rc;
	if (!ctx) {
		t->text[BTI_T_CONTEXT] = extra;
		return BT_OK;
	}
	need = strlen(ctx) + strlen(extra) + 16;
	merged = bti_malloc(need);
	if (!merged) {
		bti_free(extra);
		return nomem();
	}
	snprintf(merged, need, "{\"context\":%s,%s", ctx, extra + 1);
	bti_free(extra);
	bti_free(ctx);
	t->text[BTI_T_CONTEXT] = merged;
	return BT_OK;
}

static int native_row(importer *imp, record *r, bt_ticket *t)
{
	int f, rc = BT_OK;

	for (f = 0; f < F_COUNT && rc == BT_OK; f++)
		if (fields[f].kind != K_NONE)
			rc = native_field(imp, r, f, t);
	if (rc == BT_OK)
		rc = native_defaults(imp, r, t);
	if (rc == BT_OK)
		rc = native_context(imp, r, t);
	return rc;
}

/* ---- the dry run's shadow ---- */

/* What the documents of a dry run would have added, so that each document
 * is checked as if the ones before it (and its own earlier records) had
 * been imported: keys "e:EXTERNAL_ID" and "i:ID" (with the fingerprint and
 * creation time of an export record).  A chained hash whose chains run
 * newest first, so that a failed document's entries come off the top. */
typedef struct shadow_entry {
	char *key;
	char *fingerprint;
	int64_t created;
	size_t next;        /* the older entry of this bucket, + 1; 0 ends */
} shadow_entry;

struct shadow {
	int64_t high;       /* the largest ticket id the dry run has given */
	shadow_entry *items;
	size_t n, cap;
	size_t *buckets;    /* index + 1 of each bucket's newest entry; 0: empty */
	size_t nbuckets;    /* 0 or a power of two */
};

struct bt_import_session {
	bt_db *db;
	int dry_run;
	char *actor, *source; /* copies; NULL: "system", none */
	shadow sh;            /* dry runs only */
};

static size_t shadow_hash(const char *s, size_t nbuckets)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return (size_t)(h & (nbuckets - 1));
}

static const shadow_entry *shadow_find(const shadow *sh, const char *key)
{
	size_t i;

	if (!sh->nbuckets)
		return NULL;
	for (i = sh->buckets[shadow_hash(key, sh->nbuckets)]; i; i = sh->items[i - 1].next)
		if (strcmp(sh->items[i - 1].key, key) == 0)
			return &sh->items[i - 1];
	return NULL;
}

static int shadow_grow(shadow *sh)
{
	size_t nb = sh->nbuckets ? sh->nbuckets * 2 : 256, i, h;
	size_t *buckets;
	shadow_entry *items;

	items = bti_realloc(sh->items, nb * sizeof(*items));
	if (!items)
		return nomem();
	sh->items = items;
	sh->cap = nb;
	buckets = bti_calloc(nb, sizeof(*buckets));
	if (!buckets)
		return nomem();
	bti_free(sh->buckets);
	sh->buckets = buckets;
	sh->nbuckets = nb;
	for (i = 0; i < sh->n; i++) {
		h = shadow_hash(sh->items[i].key, nb);
		sh->items[i].next = buckets[h];
		buckets[h] = i + 1;
	}
	return BT_OK;
}

static int shadow_add(shadow *sh, const char *prefix, const char *name, const char *fp,
		      int64_t created)
{
	shadow_entry *e;
	size_t h, len = strlen(prefix) + strlen(name) + 1;
	int rc;

	if (sh->n == sh->cap && (rc = shadow_grow(sh)) != BT_OK)
		return rc;
	e = &sh->items[sh->n];
	memset(e, 0, sizeof(*e));
	e->key = bti_malloc(len);
	if (!e->key || (fp && !(e->fingerprint = bti_strdup(fp)))) {
		bti_free(e->key);
		return nomem();
	}
	snprintf(e->key, len, "%s%s", prefix, name);
	e->created = created;
	h = shadow_hash(e->key, sh->nbuckets);
	e->next = sh->buckets[h];
	sh->buckets[h] = ++sh->n;
	return BT_OK;
}

/* Forget the entries added after the first @n. */
static void shadow_truncate(shadow *sh, size_t n)
{
	while (sh->n > n) {
		shadow_entry *e = &sh->items[--sh->n];

		sh->buckets[shadow_hash(e->key, sh->nbuckets)] = e->next;
		bti_free(e->key);
		bti_free(e->fingerprint);
	}
}

static void shadow_free(shadow *sh)
{
	shadow_truncate(sh, 0);
	bti_free(sh->items);
	bti_free(sh->buckets);
	memset(sh, 0, sizeof(*sh));
}

static const shadow_entry *shadow_find_id(const shadow *sh, int64_t id)
{
	char key[32];

	snprintf(key, sizeof(key), "i:%" PRId64, id);
	return shadow_find(sh, key);
}

static int shadow_find_ext(const shadow *sh, const char *ext)
{
	char small[128], *key = small;
	size_t len = strlen(ext) + 3;
	int found;

	if (!sh->n)
		return 0;
	if (len > sizeof(small) && !(key = bti_malloc(len)))
		return 0; /* out of memory: at worst a dry run counts a duplicate */
	snprintf(key, len, "e:%s", ext);
	found = shadow_find(sh, key) != NULL;
	if (key != small)
		bti_free(key);
	return found;
}

/* ---- landing a record ---- */

static int add_fingerprint(importer *imp, const char *fp)
{
	char **grown;

	if (imp->nfps == imp->fps_cap) {
		size_t cap = imp->fps_cap ? imp->fps_cap * 2 : 64;

		grown = bti_realloc(imp->fingerprints, cap * sizeof(*grown));
		if (!grown)
			return nomem();
		imp->fingerprints = grown;
		imp->fps_cap = cap;
	}
	if (!(imp->fingerprints[imp->nfps] = bti_strdup(fp)))
		return nomem();
	imp->nfps++;
	return BT_OK;
}

static int add_link(importer *imp, const record *r, const bt_ticket *t, int64_t canonical)
{
	dup_link *grown, *l;

	if (imp->nlinks == imp->links_cap) {
		size_t cap = imp->links_cap ? imp->links_cap * 2 : 16;

		grown = bti_realloc(imp->links, cap * sizeof(*grown));
		if (!grown)
			return nomem();
		imp->links = grown;
		imp->links_cap = cap;
	}
	l = &imp->links[imp->nlinks];
	l->index = r->index;
	l->id = t->num[BTI_T_ID];
	l->canonical = canonical;
	l->fingerprint = NULL;
	if (t->text[BTI_T_FINGERPRINT] && !(l->fingerprint = bti_strdup(t->text[BTI_T_FINGERPRINT])))
		return nomem();
	imp->nlinks++;
	return BT_OK;
}

/* Is the record already here (or, in a dry run, would it be)?  By
 * external_id when it has one; an export record without one by its id,
 * which must then hold the same ticket (fingerprint and creation time). */
static int already_present(importer *imp, const record *r, const bt_ticket *t, int native,
			   int *present_out)
{
	const shadow *sh = &imp->s->sh;
	const char *ext = t->text[BTI_T_EXTERNAL_ID];
	const char *fp = t->text[BTI_T_FINGERPRINT];
	const shadow_entry *e = NULL;
	int64_t id, created;
	char *old_fp = NULL;
	int rc, same;

	*present_out = 0;
	if (ext) {
		rc = bti_store_ticket_by_external_id(imp->st, ext, &id);
		if (rc != BT_OK && rc != BT_ENOTFOUND)
			return failed_in(imp, r, rc);
		if (rc == BT_OK || shadow_find_ext(sh, ext)) {
			*present_out = 1;
			return BT_OK;
		}
	}
	if (!native)
		return BT_OK;
	rc = bti_store_ticket_origin(imp->st, t->num[BTI_T_ID], &created, &old_fp);
	if (rc == BT_ENOTFOUND) {
		e = shadow_find_id(sh, t->num[BTI_T_ID]);
		if (!e)
			return BT_OK;
		created = e->created;
		rc = BT_OK;
	}
	if (rc != BT_OK)
		return failed_in(imp, r, rc);
	if (e)
		same = created == t->num[BTI_T_CREATED_AT] && !e->fingerprint == !fp &&
		       (!fp || strcmp(e->fingerprint, fp) == 0);
	else
		same = created == t->num[BTI_T_CREATED_AT] && !old_fp == !fp &&
		       (!fp || strcmp(old_fp, fp) == 0);
	bti_free(old_fp);
	if (!same)
		return bad(imp, r, BT_ECONFLICT, "id %" PRId64 " belongs to another ticket of this "
			   "database (other fingerprint or creation time); import into a fresh "
			   "database to restore ids", t->num[BTI_T_ID]);
	*present_out = 1;
	return BT_OK;
}

/* A dry run stores nothing: it notes what would have been stored.  That
 * includes the id a record without one would take (the next after the
 * largest ever given), so that a later export record claiming that id is
 * refused by the dry run as by the import. */
static int land_dry(importer *imp, const record *r, const bt_ticket *t, int native)
{
	shadow *sh = &imp->s->sh;
	int64_t given = native ? t->num[BTI_T_ID] : 0, high;
	char id[32];
	int rc = bti_store_ticket_id_high(imp->st, &high);

	if (rc != BT_OK)
		return failed_in(imp, r, rc);
	if (sh->high < high)
		sh->high = high;
	if (!given)
		given = sh->high + 1;
	if (sh->high < given)
		sh->high = given;
	if (t->text[BTI_T_EXTERNAL_ID])
		rc = shadow_add(sh, "e:", t->text[BTI_T_EXTERNAL_ID], NULL, 0);
	if (rc == BT_OK) {
		snprintf(id, sizeof(id), "%" PRId64, given);
		rc = shadow_add(sh, "i:", id, t->text[BTI_T_FINGERPRINT], t->num[BTI_T_CREATED_AT]);
	}
	if (rc == BT_OK && t->num[BTI_T_DUPLICATE_OF])
		rc = add_link(imp, r, t, t->num[BTI_T_DUPLICATE_OF]);
	return rc;
}

static int land(importer *imp, record *r, bt_ticket *t, int native)
{
	char note[400];
	int64_t id, canonical = t->num[BTI_T_DUPLICATE_OF];
	int present, rc;

	rc = already_present(imp, r, t, native, &present);
	if (rc != BT_OK)
		return rc;
	if (present) {
		imp->skipped++;
		return BT_OK;
	}
	if (imp->dry_run) {
		rc = land_dry(imp, r, t, native);
		if (rc == BT_OK)
			imp->imported++;
		return rc;
	}
	/* grouping_version is not exported: every ticket bugtrack made has
	 * the current one; legacy reports were never grouped.  A fingerprint
	 * takes occurrences, and duplicate_of (which may name a ticket later
	 * in the input) is set, only once finish() has seen every record. */
	t->num[BTI_T_DUPLICATE_OF] = 0;
	rc = bti_store_ticket_insert(imp->st, t, t->text[BTI_T_FINGERPRINT] ? 0 : 1,
				     native ? BTI_GROUPING_VERSION : 0, &id);
	if (rc != BT_OK)
		return failed_in(imp, r, rc);
	t->num[BTI_T_ID] = id;
	if (native)
		snprintf(note, sizeof(note), "bugtrack export record%s%.300s",
			 imp->source ? " from " : "", imp->source ? imp->source : "");
	else
		snprintf(note, sizeof(note), "legacy report %.64s%s%.300s", t->text[BTI_T_EXTERNAL_ID],
			 imp->source ? " from " : "", imp->source ? imp->source : "");
	rc = bti_store_event_add(imp->st, id, imp->actor, "imported", NULL, NULL, NULL, note,
				 imp->now);
	if (rc == BT_OK && canonical)
		rc = add_link(imp, r, t, canonical);
	if (rc == BT_OK && t->text[BTI_T_FINGERPRINT] && !canonical)
		rc = add_fingerprint(imp, t->text[BTI_T_FINGERPRINT]);
	if (rc != BT_OK)
		return failed_in(imp, r, rc);
	imp->imported++;
	return BT_OK;
}

static int import_record(importer *imp, int64_t index, const char *json, size_t len)
{
	record *r = bti_calloc(1, sizeof(*r));
	bt_ticket t;
	int remove[F_COUNT];
	size_t nremove = 0;
	int native, rc;

	if (!r)
		return nomem();
	memset(&t, 0, sizeof(t));
	r->index = index;
	r->json = json;
	r->len = len;
	imp->records++;
	rc = bti_json_each(json, len, read_member, r);
	if (rc != BT_OK) {
		rc = failed_in(imp, r, rc);
		goto done;
	}
	make_label(r);
	native = r->m[F_ID].present && r->m[F_NUMBER].present;
	if (native) {
		rc = native_row(imp, r, &t);
	} else {
		rc = legacy_row(imp, r, &t, remove, &nremove);
		if (rc == BT_OK)
			rc = rest_of(imp, r, remove, nremove, &t.text[BTI_T_CONTEXT]);
		if (rc == BT_OK)
			rc = redact_context(imp, &t.text[BTI_T_CONTEXT]);
	}
	if (rc == BT_OK)
		rc = redact_columns(imp, &t, native);
	if (rc == BT_OK)
		rc = land(imp, r, &t, native);
done:
	for (int i = 0; i < BTI_T_TEXT_COUNT; i++)
		bti_free(t.text[i]);
	record_free(r);
	bti_free(r);
	return rc;
}

static int visit_record(const bti_json_item *it, void *payload)
{
	importer *imp = payload;

	if (it->type != BTI_JSON_OBJECT) {
		imp->failed = it->index;
		return bti_error(BT_EINVALID, CALLER ": record %" PRId64 " is %s, not an object",
				 it->index, type_name(it->type));
	}
	return import_record(imp, it->index, it->text, it->len);
}

/* ---- after the records ---- */

static int link_target_exists(importer *imp, int64_t id, int *exists_out)
{
	int64_t created;
	char *fp = NULL;
	int rc = bti_store_ticket_origin(imp->st, id, &created, &fp);

	bti_free(fp);
	*exists_out = rc == BT_OK || shadow_find_id(&imp->s->sh, id) != NULL;
	return rc == BT_ENOTFOUND ? BT_OK : rc;
}

static int finish(importer *imp)
{
	size_t i;
	int rc = BT_OK, exists;

	for (i = 0; rc == BT_OK && i < imp->nlinks; i++) {
		const dup_link *l = &imp->links[i];

		rc = link_target_exists(imp, l->canonical, &exists);
		if (rc == BT_OK && !exists) {
			imp->failed = l->index;
			return bti_error(BT_EINVALID, CALLER ": record %" PRId64 " (id %" PRId64 "): "
					 "'duplicate_of' %" PRId64 " is no ticket of this database "
					 "or input", l->index, l->id, l->canonical);
		}
		if (rc == BT_OK && !imp->dry_run)
			rc = bti_store_ticket_link(imp->st, l->id, l->canonical, l->fingerprint,
						   imp->now);
	}
	for (i = 0; rc == BT_OK && i < imp->nfps; i++)
		rc = bti_store_fingerprint_activate(imp->st, imp->fingerprints[i]);
	return rc;
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

/* ---- the document ---- */

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
					return nomem();
				memcpy(copy, json, len);
			}
			memcpy(copy + i, "ufffd", 5);
		}
	}
	*copy_out = copy;
	return BT_OK;
}

/* The whole document, in one transaction: a write transaction, or for a
 * dry run a read transaction that only looks. */
static int import_document(importer *imp, const char *json, size_t len)
{
	int type = bti_json_type(json, len), rc;

	if (type == BTI_JSON_INVALID)
		return bti_error(BT_EINVALID, CALLER ": not valid JSON");
	if (type != BTI_JSON_OBJECT && type != BTI_JSON_ARRAY)
		return bti_error(BT_EINVALID, CALLER ": the document is %s; expected a report "
				 "object or an array of them", type_name(type));
	rc = imp->dry_run ? bti_store_import_snapshot(imp->st) : bti_store_begin(imp->st);
	if (rc != BT_OK)
		return rc;
	if (type == BTI_JSON_OBJECT)
		rc = import_record(imp, 0, json, len);
	else
		rc = bti_json_each(json, len, visit_record, imp);
	if (rc == BT_OK)
		rc = finish(imp);
	if (rc == BT_OK && !imp->dry_run)
		rc = bti_store_commit(imp->st);
	bti_store_rollback(imp->st); /* the end of a dry run or a failure; no-op after a commit */
	return rc;
}

static int check_options(const bt_import_options *opts)
{
	if (opts && (opts->version == 0 || opts->version > BT_IMPORT_OPTIONS_VERSION))
		return bti_error(BT_EINVALID, CALLER ": unknown options version %u (this library "
				 "knows 1..%d); use BT_IMPORT_OPTIONS_INIT", opts->version,
				 BT_IMPORT_OPTIONS_VERSION);
	return BT_OK;
}

int bt_import_session_new(bt_db *db, const bt_import_options *opts, bt_import_session **out)
{
	bt_import_session *s;
	int rc;

	if (out)
		*out = NULL;
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_import_session_new: %s is NULL", db ? "out" : "db");
	rc = check_options(opts);
	if (rc != BT_OK)
		return rc;
	s = bti_calloc(1, sizeof(*s));
	if (!s)
		return nomem();
	s->db = db;
	s->dry_run = opts && opts->dry_run;
	if (opts && opts->actor && !(s->actor = bti_strdup(opts->actor))) {
		bti_free(s);
		return nomem();
	}
	if (opts && opts->source && !(s->source = bti_strdup(opts->source))) {
		bti_free(s->actor);
		bti_free(s);
		return nomem();
	}
	*out = s;
	return BT_OK;
}

void bt_import_session_free(bt_import_session *s)
{
	if (!s)
		return;
	shadow_free(&s->sh);
	bti_free(s->actor);
	bti_free(s->source);
	bti_free(s);
}

int bt_import_session_add(bt_import_session *s, const char *json, size_t len,
			  const char *source, bt_import_result *out)
{
	int saved_errno = errno, rc;
	int valid_out = out && out->version >= 1 && out->version <= BT_IMPORT_RESULT_VERSION;
	size_t mark;
	int64_t high_mark;
	char *copy = NULL;
	importer imp;
	const char *nul;

	if (!s || !json)
		return bti_error(BT_EINVALID, CALLER ": %s is NULL", s ? "json" : "session");
	if (out && !valid_out)
		return bti_error(BT_EINVALID, CALLER ": unknown result version %u (this library "
				 "knows 1..%d); use BT_IMPORT_RESULT_INIT", out->version,
				 BT_IMPORT_RESULT_VERSION);
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
		shadow_truncate(&s->sh, mark); /* all of a document, or nothing */
		s->sh.high = high_mark;
	}
	if (out) {
		out->records = imp.records;
		out->imported = rc == BT_OK ? imp.imported : 0;
		out->skipped = rc == BT_OK ? imp.skipped : 0;
		out->failed_record = rc == BT_OK ? -1 : imp.failed;
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

int bt_import_options_init(bt_import_options *opts, unsigned int version)
{
	bt_import_options init = BT_IMPORT_OPTIONS_INIT;

	if (!opts || version == 0 || version > BT_IMPORT_OPTIONS_VERSION)
		return bti_error(BT_EINVALID, "bt_import_options_init: %s",
				 opts ? "unknown version" : "opts is NULL");
	*opts = init;
	opts->version = version;
	return BT_OK;
}

int bt_import_result_init(bt_import_result *result, unsigned int version)
{
	bt_import_result init = BT_IMPORT_RESULT_INIT;

	if (!result || version == 0 || version > BT_IMPORT_RESULT_VERSION)
		return bti_error(BT_EINVALID, "bt_import_result_init: %s",
				 result ? "unknown version" : "result is NULL");
	*result = init;
	result->version = version;
	return BT_OK;
}
