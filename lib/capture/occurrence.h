/*
 * occurrence.h - finishing an occurrence (occurrence.c): the host input of
 * a capture call, and turning it into the bti_occurrence the store writes.
 * Capture does it on the caller's thread, the asynchronous writer on its
 * own; both call down to here, so neither needs the other's header for it.
 */
#ifndef BT_OCCURRENCE_H
#define BT_OCCURRENCE_H

#include "bugtrack.h"
#include "fingerprint.h"
#include "store.h"

/* Host input, common to every entry point: a bt_log line is turned into
 * the event it amounts to.  Every string is the host's, not yet cleaned. */
typedef struct bti_capture_in {
	bt_event ev;           /* message is formatted but raw */
	size_t message_len;
	const char *caller;    /* the API function, for messages */
	const void *caller_pc; /* return address into the host, for backtraces */
	int stack_taken;       /* any backtrace was taken on the caller's thread */
} bti_capture_in;

/* The host's short fields, as they may be stored. */
enum { BTI_F_COMPONENT, BTI_F_ERROR_TYPE, BTI_F_FILE, BTI_F_FUNCTION, BTI_F_TRACE_ID,
       BTI_F_REQUEST_ID, BTI_F_SERVICE, BTI_F_HOST, BTI_F_ENVIRONMENT, BTI_F_RELEASE,
       BTI_F_COUNT };

/* What preparing an occurrence allocated: the strings it points to. */
typedef struct bti_prepared {
	char *message, *context, *stack, *title, *template_;
	const char *field[BTI_F_COUNT];
	char *owned[BTI_F_COUNT];
	bti_grouping grouping;
} bti_prepared;

/* Turn @in into the occurrence @o (now, count and the handle-wide context
 * are left to the caller): clean, bound, redact and group.  Reads only the
 * immutable configuration of @db, so any thread may call it.  @o's strings
 * live in @p until bti_prepared_free(). */
int bti_occurrence_prepare(const bt_db *db, const bti_capture_in *in, bti_prepared *p,
			   bti_occurrence *o);
void bti_prepared_free(bti_prepared *p);

/* Under the handle's lock (held by the caller): stamp @o with its SLA and
 * the handle-wide context (what the event set itself wins), and check its context JSON.  @lenient (the
 * asynchronous writer, which has no caller to tell) replaces invalid
 * context with a marker instead of failing. */
int bti_occurrence_stamp(bt_db *db, bti_occurrence *o, int lenient, const char *caller);

/* Under the handle's lock: stamp @o with the time, its SLA and the
 * handle-wide context (a release already set on @o wins), check its context
 * JSON, and store it.  Shared by capture and bt_report_create. */
int bti_occurrence_record(bt_db *db, bti_occurrence *o, const char *caller, bti_landing *out);

#endif
