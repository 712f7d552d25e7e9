/*
 * versioned.h - the one rule for the API's versioned structs.
 *
 * Every options, filter, event and result struct of bugtrack.h starts with
 * `unsigned int version`, and its fields are only ever appended: version v
 * of a struct is a prefix of the latest one, sizes[v] bytes long.  So
 *  - what a caller passes in is read as far as its version goes, over the
 *    defaults (bti_versioned_in);
 *  - what the library fills in is written only as far as the caller's
 *    version goes, never past the struct the caller has (bti_versioned_out);
 *  - bt_*_init(opts, version) writes the defaults of that version
 *    (bti_versioned_init).
 * libgit2's GIT_ERROR_CHECK_VERSION and GIT_INIT_STRUCTURE are the model.
 */
#ifndef BTI_VERSIONED_H
#define BTI_VERSIONED_H

#include <stddef.h>

#include "internal.h"

#define BTI_VERSIONED_MAX 8

typedef struct bti_versioned {
	const char *name;   /* "bt_open_options" */
	const char *init;   /* "BT_OPEN_OPTIONS_INIT", named in messages */
	unsigned int latest;
	/* The defaults of the latest version; NULL: all zero but version. */
	const void *defaults;
	/* sizes[v]: bytes of version v, for v in 1..latest. */
	size_t sizes[BTI_VERSIONED_MAX + 1];
} bti_versioned;

/* BT_OK when @p s is not NULL and has a version that @p t knows; else
 * BT_EINVALID, with a message that names @p caller. */
int bti_versioned_check(const bti_versioned *t, const char *caller, const void *s);

/* Read the caller's @p src into @p dst (a full, latest-version struct):
 * the defaults, overlaid with @p src as far as its version goes.  A NULL
 * @p src gives the defaults.  dst's version is set to the latest. */
int bti_versioned_in(const bti_versioned *t, const char *caller, const void *src, void *dst);

/* Write @p src (a full struct) to the caller's @p dst, checked before
 * with bti_versioned_check, as far as dst's version goes; dst's version
 * is kept. */
void bti_versioned_out(const bti_versioned *t, void *dst, const void *src);

/* bt_*_init(): the defaults of @p version into @p dst. */
int bti_versioned_init(const bti_versioned *t, const char *caller, void *dst,
		       unsigned int version);

/* The tables, in versioned.c. */
extern const bti_versioned bti_v_open_options, bti_v_event, bti_v_report, bti_v_ticket_filter,
	bti_v_update_options, bti_v_log_filter, bti_v_purge_options, bti_v_aggregate_options,
	bti_v_import_options, bti_v_crash_options, bti_v_capture_stats, bti_v_ticket_counts,
	bti_v_migration_info, bti_v_check_result, bti_v_import_result, bti_v_crash_ingest_result,
	bti_v_purge_result, bti_v_ticket_changes;

/* Every table, for the test that checks their sizes grow. */
extern const bti_versioned *const bti_versioned_all[];

#endif
