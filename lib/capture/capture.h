/*
 * capture.h - what capture.c shares with the rest of the library besides
 * its entry points: the fingerprint an event would get.  Turning host
 * input into an occurrence is occurrence.h's.
 */
#ifndef BT_CAPTURE_H
#define BT_CAPTURE_H

#include "bugtrack.h"

/* The fingerprint capture would give @event on @db (NULL: default options).
 * @caller names the API function in error messages. */
int bti_event_fingerprint(bt_db *db, const bt_event *event, const char *caller,
			  char out[BT_FINGERPRINT_SIZE]);

#endif
