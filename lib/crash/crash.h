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

/* The spool of @db's location into @buf (bti_location_spool, store.h);
 * with @create, its directory is made if it is missing. */
int bti_crash_spool_path(const bt_db *db, char *buf, size_t size, int create);

/* bt_close(@db): uninstall the crash handler if @db installed it (its
 * spool would otherwise stay open and locked, and its handler outlive
 * the handle).  Another handle's installation is left alone. */
void bti_crash_forget(const bt_db *db);

/* Ingest @db's spool at open: failures leave it for the next time. */
void bti_crash_ingest_at_open(bt_db *db);

#endif
