/*
 * capture.h - what capture.c shares with the rest of the library.
 */
#ifndef BT_CAPTURE_H
#define BT_CAPTURE_H

#include "bugtrack.h"
#include "store.h"

/* The fingerprint capture would give @event on @db (NULL: default options).
 * @caller names the API function in error messages. */
int bti_event_fingerprint(bt_db *db, const bt_event *event, const char *caller,
			  char out[BT_FINGERPRINT_SIZE]);

/* Under the handle's lock (held by the caller): stamp @o with its SLA and
 * the handle-wide context, and check its context JSON.  @lenient (the
 * asynchronous writer, which has no caller to tell) replaces invalid
 * context with a marker instead of failing. */
int bti_capture_stamp(bt_db *db, bti_occurrence *o, int lenient, const char *caller);

/* Under the handle's lock: stamp @o with the time, its SLA and the
 * handle-wide context (a release already set on @o wins), check its context
 * JSON, and store it.  Shared by capture and bt_report_create. */
int bti_capture_record(bt_db *db, bti_occurrence *o, const char *caller, bti_landing *out);

#endif
