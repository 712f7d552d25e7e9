/*
 * crash.h - what the crash handler (crash.c) and ingestion
 * (crash_ingest.c) share: the spool's name and the grouping limits.
 */
#ifndef BT_CRASH_H
#define BT_CRASH_H

#include <stddef.h>

#include "bugtrack.h"

#define BTI_CRASH_DEFAULT_FRAMES 5
#define BTI_CRASH_MAX_FRAMES 32

/* "<database path>.crash" into @buf; BT_EINVALID if it does not fit. */
int bti_crash_spool_path(const bt_db *db, char *buf, size_t size);

/* bt_close(@db): uninstall the crash handler if @db installed it (its
 * spool would otherwise stay open and locked, and its handler outlive
 * the handle).  Another handle's installation is left alone. */
void bti_crash_forget(const bt_db *db);

/* Ingest @db's spool at open: failures leave it for the next time. */
void bti_crash_ingest_at_open(bt_db *db);

#endif
