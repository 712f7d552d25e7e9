/*
 * import_internal.h - what the files of bt_import_json share, and only
 * they (lib/admin/import*.c): the fields a record may have, a record as
 * read, the state of one document's import, and the dry run's shadow.
 *
 *   import.c         the public entry points; the document, record by record
 *   import_record.c  the field table; reading a record; the error messages
 *   import_map.c     legacy reports and export records onto ticket columns,
 *                    their context, and the redaction of what is stored
 *   import_land.c    storing a record once (idempotency); duplicate links
 *   import_shadow.c  what a dry run would have stored
 */
#ifndef BT_IMPORT_INTERNAL_H
#define BT_IMPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "json.h"
#include "ticket.h"

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

/* How each field is read and mapped (import_record.c). */
extern const field_def bti_import_fields[F_COUNT];

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

/* ---- the dry run's shadow (import_shadow.c) ---- */

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

typedef struct shadow {
	int64_t high;       /* the largest ticket id the dry run has given */
	shadow_entry *items;
	size_t n, cap;
	size_t *buckets;    /* index + 1 of each bucket's newest entry; 0: empty */
	size_t nbuckets;    /* 0 or a power of two */
} shadow;

struct bt_import_session {
	bt_db *db;
	int dry_run;
	char *actor, *source; /* copies; NULL: "system", none */
	shadow sh;            /* dry runs only */
};

/* ---- one document's import ---- */

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

/* import_record.c: reading a record, and the messages that name it. */
int bti_import_nomem(void);
/* Fail record @r with @code; the message names it and says why. */
int bti_import_bad(importer *imp, const record *r, int code, const char *fmt, ...)
	BTI_PRINTF(4, 5);
/* A storage failure inside record @r: name the record, keep the code. */
int bti_import_failed_in(importer *imp, const record *r, int rc);
/* "a string", "an object", ... for a JSON type. */
const char *bti_import_type_name(int type);
/* A copy of @len bytes of @s, cleaned to valid UTF-8 without NUL bytes. */
char *bti_import_clean_copy(const char *s, size_t len);
/* bti_json_each's visit: one member of a record into @payload (a record). */
int bti_import_read_member(const bti_json_item *it, void *payload);
void bti_import_record_free(record *r);
/* A member that is there and not null. */
const member *bti_import_given(const record *r, int f);
/* Set r->label from its id or report_id, for messages. */
void bti_import_make_label(record *r);
/* The member's type is one of @types (null is always allowed). */
int bti_import_check_type(importer *imp, const record *r, int f, unsigned int types);

/* import_map.c: fill @t from record @r, an export record when @native,
 * else a legacy report; its context and text redacted as capture's. */
int bti_import_map_record(importer *imp, record *r, bt_ticket *t, int native);

/* import_land.c: store @t, or count it as skipped when it is already
 * there; then, once every record is in, duplicate links and fingerprints. */
int bti_import_land(importer *imp, record *r, bt_ticket *t, int native);
int bti_import_finish(importer *imp);

/* import_shadow.c */
int bti_import_shadow_add(shadow *sh, const char *prefix, const char *name, const char *fp,
			  int64_t created);
/* Forget the entries added after the first @n. */
void bti_import_shadow_truncate(shadow *sh, size_t n);
void bti_import_shadow_free(shadow *sh);
const shadow_entry *bti_import_shadow_find_id(const shadow *sh, int64_t id);
int bti_import_shadow_find_ext(const shadow *sh, const char *ext);

#endif
