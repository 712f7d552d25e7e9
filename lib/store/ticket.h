/*
 * ticket.h - the bt_ticket snapshot: what a backend fills (store.h) and
 * the getters read.  The names of its enums are vocab.h.
 */
#ifndef BT_TICKET_H
#define BT_TICKET_H

#include "internal.h"

/* Text fields of the snapshot.  A backend fills them by index; the SQLite
 * one selects its columns in this order (TICKET_COLUMNS), so a new field is
 * added to both. */
enum bti_ticket_text {
	BTI_T_NUMBER, BTI_T_TITLE, BTI_T_STATUS, BTI_T_SEVERITY, BTI_T_COMPONENT,
	BTI_T_FINGERPRINT, BTI_T_GROUPING_INPUT, BTI_T_ERROR_MESSAGE, BTI_T_STACK_TRACE,
	BTI_T_DESCRIPTION, BTI_T_PRIORITY, BTI_T_CATEGORY, BTI_T_SOURCE, BTI_T_REPORTER,
	BTI_T_ASSIGNEE, BTI_T_ERROR_TYPE, BTI_T_SERVICE, BTI_T_HOST, BTI_T_ENVIRONMENT,
	BTI_T_RELEASE, BTI_T_TRACE_ID, BTI_T_REQUEST_ID, BTI_T_CONTEXT,
	BTI_T_RESOLUTION_NOTES, BTI_T_RESOLUTION_COMMIT, BTI_T_RESOLVED_BY,
	BTI_T_RESOLVED_RELEASE, BTI_T_CLAIMED_BY, BTI_T_EXTERNAL_ID,
	BTI_T_CLAIM_TOKEN, /* internal: no public getter, the claimant holds it */
	BTI_T_TEXT_COUNT
};

/* Integer fields (the SQLite backend selects them after the text ones). */
enum bti_ticket_int {
	BTI_T_ID, BTI_T_OCCURRENCES, BTI_T_REGRESSIONS, BTI_T_FIRST_OCCURRED,
	BTI_T_LAST_OCCURRED, BTI_T_CLAIMED_AT, BTI_T_CLAIM_EXPIRES_AT,
	BTI_T_AUTOMATION_ATTEMPTS, BTI_T_VERSION, BTI_T_DUPLICATE_OF, BTI_T_CREATED_AT,
	BTI_T_UPDATED_AT, BTI_T_RESOLVED_AT, BTI_T_SLA_DUE_AT,
	BTI_T_INT_COUNT
};

struct bt_ticket {
	char *text[BTI_T_TEXT_COUNT];
	int64_t num[BTI_T_INT_COUNT];
};

/* A new random claim token, 32 hex digits (lifecycle.c); on failure the
 * error message is @what and the reason. */
int bti_claim_token(char out[BT_CLAIM_TOKEN_SIZE], const char *what);

#endif
