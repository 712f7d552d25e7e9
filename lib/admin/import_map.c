/*
 * import_map.c - a record of bt_import_json onto ticket columns: a legacy
 * report (its vocabularies, times and title; what has no column stays in
 * the context) or an export record (restored column for column), and the
 * redaction of every stored text, as capture does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "import_internal.h"
#include "iso8601.h"
#include "redact.h"
#include "text.h"
#include "vocab.h"

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
	const member *m = bti_import_given(r, f);
	double v;

	*out = 0;
	if (!m)
		return BT_OK;
	if (m->type == BTI_JSON_TEXT) {
		if (!bti_iso8601_parse(m->text, 0, out))
			return bti_import_bad(imp, r, BT_EINVALID,
					      "'%s' is not an ISO 8601 time: \"%.40s\"",
					      bti_import_fields[f].name, m->text);
	} else if (m->type == BTI_JSON_INTEGER && m->exact) {
		*out = m->integer < INT64_C(100000000000) && m->integer > -INT64_C(100000000000)
			? m->integer * 1000 : m->integer;
	} else {
		v = m->real;
		if (!(v > -1e11 && v < 1e11))
			v = v / 1000.0;
		if (!(v > -1e11 * 1000 && v < 1e11 * 1000)) /* NaN, infinities, far away */
			return bti_import_bad(imp, r, BT_EINVALID, "'%s' is out of range",
					      bti_import_fields[f].name);
		v *= 1000.0;
		*out = (int64_t)(v < 0 ? v - 0.5 : v + 0.5);
	}
	if (*out <= 0 || *out > MAX_TIME)
		return bti_import_bad(imp, r, BT_EINVALID, "'%s' is out of range (1970 to 9999)",
				      bti_import_fields[f].name);
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
		raw = bti_import_clean_copy(r->json, r->len);
		return raw ? (*out = raw, BT_OK) : bti_import_nomem();
	}
	for (i = 0; i < n; i++)
		names[i] = bti_import_fields[remove[i]].name;
	rc = bti_json_remove(r->json, r->len, names, n, &raw);
	if (rc != BT_OK)
		return bti_import_failed_in(imp, r, rc);
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
	return *out ? BT_OK : bti_import_nomem();
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
		return bti_import_nomem();
	if (strcmp(red, *ctx) == 0) { /* the common case: no secret, no second parse */
		bti_free(red);
		return BT_OK;
	}
	bti_free(*ctx);
	*ctx = red;
	if (bti_json_type(red, strlen(red)) == BTI_JSON_INVALID) {
		bti_free(*ctx);
		*ctx = bti_strdup("\"[redacted]\"");
		return *ctx ? BT_OK : bti_import_nomem();
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
			return bti_import_nomem();
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
	const member *m = bti_import_given(r, f);

	*out = dflt;
	if (!m)
		return BT_OK;
	*out = lookup(table, n, m->text);
	if (!*out)
		return bti_import_bad(imp, r, BT_EINVALID, "unknown %s '%.40s'",
				      bti_import_fields[f].name, m->text);
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
		if (bti_import_fields[f].legacy)
			rc = bti_import_check_type(imp, r, f, bti_import_fields[f].legacy);
	if (rc != BT_OK)
		return rc;
	if (!bti_import_given(r, F_REPORT_ID))
		return bti_import_bad(imp, r, BT_EINVALID, "'report_id' is missing (a legacy "
				      "report needs it, to be imported once only)");
	if (r->m[F_REPORT_ID].type == BTI_JSON_TEXT && r->m[F_REPORT_ID].len == 0)
		return bti_import_bad(imp, r, BT_EINVALID, "'report_id' is empty");
	if (r->m[F_REPORT_ID].type == BTI_JSON_INTEGER && !r->m[F_REPORT_ID].exact)
		return bti_import_bad(imp, r, BT_EINVALID, "'report_id' is out of range");
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
		return bti_import_bad(imp, r, BT_EINVALID, "'updated_at' is before 'submitted_at'");
	if (!resolved && strcmp(status, "resolved") == 0)
		resolved = updated;

	/* Columns from strings, and what leaves the context. */
	for (f = 0; f < F_COUNT; f++) {
		member *m = &r->m[f];

		if (!bti_import_fields[f].legacy || !m->present || bti_import_fields[f].legacy_keep)
			continue;
		if (f == F_ENVIRONMENT && m->type == BTI_JSON_OBJECT)
			continue;
		remove[(*nremove)++] = f;
		if (bti_import_fields[f].legacy_col >= 0 && m->type == BTI_JSON_TEXT)
			steal(m, &t->text[bti_import_fields[f].legacy_col]);
	}
	if (r->m[F_REPORT_ID].type == BTI_JSON_INTEGER) {
		snprintf(idbuf, sizeof(idbuf), "%" PRId64, r->m[F_REPORT_ID].integer);
		t->text[BTI_T_EXTERNAL_ID] = bti_strdup(idbuf);
	}
	if (bti_import_given(r, F_RESOLUTION_ACTOR_ID) &&
	    r->m[F_RESOLUTION_ACTOR_ID].type == BTI_JSON_INTEGER) {
		snprintf(idbuf, sizeof(idbuf), "%" PRId64, r->m[F_RESOLUTION_ACTOR_ID].integer);
		t->text[BTI_T_RESOLVED_BY] = bti_strdup(idbuf);
	}
	t->text[BTI_T_DESCRIPTION] = redact_text(imp->db, t->text[BTI_T_DESCRIPTION]);
	if (!t->text[BTI_T_EXTERNAL_ID] ||
	    (bti_import_given(r, F_DESCRIPTION) && !t->text[BTI_T_DESCRIPTION]))
		return bti_import_nomem();
	if (!t->text[BTI_T_TITLE] || !*t->text[BTI_T_TITLE]) {
		bti_free(t->text[BTI_T_TITLE]);
		t->text[BTI_T_TITLE] = title_from(t->text[BTI_T_DESCRIPTION], t->text[BTI_T_EXTERNAL_ID]);
		if (!t->text[BTI_T_TITLE])
			return bti_import_nomem();
	}
	t->text[BTI_T_STATUS] = bti_strdup(status);
	t->text[BTI_T_SEVERITY] = bti_strdup(severity);
	t->text[BTI_T_PRIORITY] = bti_strdup(priority);
	t->text[BTI_T_SOURCE] = bti_strdup("user");
	if (!t->text[BTI_T_STATUS] || !t->text[BTI_T_SEVERITY] || !t->text[BTI_T_PRIORITY] ||
	    !t->text[BTI_T_SOURCE])
		return bti_import_nomem();
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
	const field_def *d = &bti_import_fields[f];
	member *m = &r->m[f];
	unsigned int types;

	switch (d->kind) {
	case K_TEXT: case K_DERIVED: case K_ENUM: types = T_STR; break;
	case K_CONTEXT: types = T_STR | T(OBJECT) | T(ARRAY); break;
	default: types = T(INTEGER); break;
	}
	if (bti_import_check_type(imp, r, f, types) != BT_OK)
		return BT_EINVALID;
	if (!bti_import_given(r, f) || d->kind == K_DERIVED)
		return BT_OK;
	switch (d->kind) {
	case K_ENUM:
		if (!enum_ok(f, m->text))
			return bti_import_bad(imp, r, BT_EINVALID, "unknown %s '%.40s'", d->name,
					      m->text);
		/* fall through */
	case K_TEXT:
	case K_CONTEXT:
		return steal(m, &t->text[d->col]);
	case K_COUNT:
	case K_TIME:
	case K_REF:
		if (!m->exact || m->integer < (d->kind == K_REF || f == F_VERSION ? 1 : 0) ||
		    (d->kind == K_TIME && m->integer > MAX_TIME))
			return bti_import_bad(imp, r, BT_EINVALID, "'%s' is out of range", d->name);
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
			return bti_import_nomem();
	if (!bti_import_given(r, F_OCCURRENCE_COUNT))
		t->num[BTI_T_OCCURRENCES] = 1;
	if (!bti_import_given(r, F_VERSION))
		t->num[BTI_T_VERSION] = 1;
	if (!t->num[BTI_T_ID])
		return bti_import_bad(imp, r, BT_EINVALID, "'id' is missing");
	if (!t->num[BTI_T_CREATED_AT])
		return bti_import_bad(imp, r, BT_EINVALID, "'created_at' is missing");
	if (!t->num[BTI_T_UPDATED_AT])
		t->num[BTI_T_UPDATED_AT] = t->num[BTI_T_CREATED_AT];
	/* The schema's CHECKs, tested here so that a dry run, which writes
	 * nothing, finds them too. */
	if (t->num[BTI_T_UPDATED_AT] < t->num[BTI_T_CREATED_AT])
		return bti_import_bad(imp, r, BT_EINVALID, "'updated_at' is before 'created_at'");
	if (t->num[BTI_T_FIRST_OCCURRED] && t->num[BTI_T_LAST_OCCURRED] &&
	    t->num[BTI_T_LAST_OCCURRED] < t->num[BTI_T_FIRST_OCCURRED])
		return bti_import_bad(imp, r, BT_EINVALID,
				      "'last_occurred_at' is before 'first_occurred_at'");
	if (!t->text[BTI_T_TITLE] || !*t->text[BTI_T_TITLE])
		return bti_import_bad(imp, r, BT_EINVALID, "'title' is missing or empty");
	if (t->num[BTI_T_DUPLICATE_OF] == t->num[BTI_T_ID])
		return bti_import_bad(imp, r, BT_EINVALID, "'duplicate_of' is the ticket itself");
	if (!t->text[BTI_T_CLAIMED_BY] != !t->num[BTI_T_CLAIM_EXPIRES_AT])
		return bti_import_bad(imp, r, BT_EINVALID,
				      "'claimed_by' and 'claim_expires_at' go together");
	/* The claim token is the holder's secret and is never exported: the
	 * claim is restored with a new one (the holder claims again). */
	if (t->text[BTI_T_CLAIMED_BY]) {
		rc = bti_claim_token(token, CALLER ": no randomness for a claim token");
		if (rc != BT_OK)
			return rc;
		if (!(t->text[BTI_T_CLAIM_TOKEN] = bti_strdup(token)))
			return bti_import_nomem();
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
			return bti_import_bad(imp, r, BT_EINVALID, "'context' is not valid JSON");
	}
	/* Legacy-only fields are unknown to an export record. */
	for (f = 0; f < F_COUNT; f++)
		if (bti_import_fields[f].kind != K_NONE && r->m[f].present)
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
		return bti_import_nomem();
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
		if (bti_import_fields[f].kind != K_NONE)
			rc = native_field(imp, r, f, t);
	if (rc == BT_OK)
		rc = native_defaults(imp, r, t);
	if (rc == BT_OK)
		rc = native_context(imp, r, t);
	return rc;
}

/* ---- a record ---- */

int bti_import_map_record(importer *imp, record *r, bt_ticket *t, int native)
{
	int remove[F_COUNT];
	size_t nremove = 0;
	int rc;

	if (native) {
		rc = native_row(imp, r, t);
	} else {
		rc = legacy_row(imp, r, t, remove, &nremove);
		if (rc == BT_OK)
			rc = rest_of(imp, r, remove, nremove, &t->text[BTI_T_CONTEXT]);
		if (rc == BT_OK)
			rc = redact_context(imp, &t->text[BTI_T_CONTEXT]);
	}
	if (rc == BT_OK)
		rc = redact_columns(imp, t, native);
	return rc;
}
