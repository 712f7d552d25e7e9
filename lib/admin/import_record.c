/*
 * import_record.c - reading one record of bt_import_json: the field table
 * (what each member is, in an export record and in a legacy report), the
 * members as read, the checks every mapping shares, and the messages that
 * name the failing record.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "import_internal.h"
#include "text.h"

/* ---- the fields ---- */

#define TXT(f, c) { f, K_TEXT, BTI_T_##c, 0, -1, 0 }
#define NUM(f, k, c) { f, k, BTI_T_##c, 0, -1, 0 }
#define BOTH(f, c) { f, K_TEXT, BTI_T_##c, T_STR, BTI_T_##c, 0 }

const field_def bti_import_fields[F_COUNT] = {
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

/* ---- messages ---- */

int bti_import_nomem(void)
{
	return bti_error(BT_ENOMEM, CALLER ": out of memory");
}

int bti_import_bad(importer *imp, const record *r, int code, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	imp->failed = r->index;
	return bti_error(code, CALLER ": record %" PRId64 "%s: %s", r->index + 1, r->label, why);
}

int bti_import_failed_in(importer *imp, const record *r, int rc)
{
	char why[512];

	if (rc == BT_ENOMEM || rc == BT_EBUSY || rc == BT_EIO || rc == BT_EREADONLY)
		return rc;
	snprintf(why, sizeof(why), "%s", bt_error_message());
	return bti_import_bad(imp, r, rc, "%s", why);
}

const char *bti_import_type_name(int type)
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
		strncat(buf, t == BTI_JSON_INTEGER && (types & T(REAL)) ? "a number"
			: bti_import_type_name(t), size - strlen(buf) - 1);
	}
	return buf;
}

/* ---- reading a record ---- */

static int find_field(const char *name)
{
	int f;

	for (f = 0; f < F_COUNT; f++)
		if (name[0] == bti_import_fields[f].name[0] &&
		    strcmp(name, bti_import_fields[f].name) == 0)
			return f;
	return -1;
}

char *bti_import_clean_copy(const char *s, size_t len)
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

int bti_import_read_member(const bti_json_item *it, void *payload)
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
		m->text = bti_import_clean_copy(it->text, it->len);
		if (!m->text)
			return bti_import_nomem();
		m->len = strlen(m->text);
	}
	return BT_OK;
}

void bti_import_record_free(record *r)
{
	int f;

	for (f = 0; f < F_COUNT; f++)
		bti_free(r->m[f].text);
}

const member *bti_import_given(const record *r, int f)
{
	return r->m[f].present && r->m[f].type != BTI_JSON_NULL ? &r->m[f] : NULL;
}

void bti_import_make_label(record *r)
{
	const member *m = bti_import_given(r, F_REPORT_ID);

	if (bti_import_given(r, F_ID) && bti_import_given(r, F_NUMBER) &&
	    r->m[F_ID].type == BTI_JSON_INTEGER)
		snprintf(r->label, sizeof(r->label), " (id %" PRId64 ")", r->m[F_ID].integer);
	else if (m && m->type == BTI_JSON_TEXT)
		snprintf(r->label, sizeof(r->label), " (report_id \"%.60s\")", m->text);
	else if (m && m->type == BTI_JSON_INTEGER)
		snprintf(r->label, sizeof(r->label), " (report_id %" PRId64 ")", m->integer);
}

/* ---- shared checks ---- */

int bti_import_check_type(importer *imp, const record *r, int f, unsigned int types)
{
	const member *m = &r->m[f];
	char want[96];

	if (m->twice)
		return bti_import_bad(imp, r, BT_EINVALID, "'%s' appears twice",
				      bti_import_fields[f].name);
	if (!m->present || m->type == BTI_JSON_NULL || (types & (1u << m->type)))
		return BT_OK;
	return bti_import_bad(imp, r, BT_EINVALID, "'%s' must be %s, not %s",
			      bti_import_fields[f].name, types_wanted(types, want, sizeof(want)),
			      bti_import_type_name(m->type));
}
