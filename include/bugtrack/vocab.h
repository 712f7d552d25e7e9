/*
 * bugtrack/vocab.h - Names: enum values to names and back.
 *
 * Part of libbugtrack's public API.  Include <bugtrack.h>, which includes
 * every part; a part includes the parts it needs.
 */
#ifndef BUGTRACK_VOCAB_H
#define BUGTRACK_VOCAB_H

#include "ticket.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Names
 * The names of statuses, severities, priorities, sources and levels, as
 * the CLI, the export format and the HTTP API spell them.
 * @{ */

/** @return the upper-case name of @p level ("CRITICAL"), or NULL. */
BT_EXTERN const char *bt_level_name(bt_level level);

/** @return the lower-case name of @p status ("in_progress"), or NULL. */
BT_EXTERN const char *bt_status_name(bt_status status);
/** @return the lower-case name of @p severity ("critical"), or NULL. */
BT_EXTERN const char *bt_severity_name(bt_severity severity);
/** @return the lower-case name of @p priority ("urgent"), or NULL. */
BT_EXTERN const char *bt_priority_name(bt_priority priority);
/** @return the lower-case name of @p source ("agent"), or NULL. */
BT_EXTERN const char *bt_source_name(bt_source source);

/**
 * Parse a name, as the *_name() functions above spell it, into its value:
 * "in_progress" into BT_STATUS_IN_PROGRESS, "critical" into
 * BT_SEVERITY_CRITICAL, "warning" into BT_WARNING.  ASCII case does not
 * matter.  For command lines, configuration files and the HTTP API.
 * @return BT_OK with @p out set, or BT_EINVALID for a NULL argument or an
 * unknown name, with a message that lists the known names ("unknown status
 * 'done'; use new, triaged, ..."); @p out is then unchanged.  Thread-safe.
 */
BT_EXTERN int bt_status_from_name(const char *name, bt_status *out);
/** As bt_status_from_name(), for severities. */
BT_EXTERN int bt_severity_from_name(const char *name, bt_severity *out);
/** As bt_status_from_name(), for priorities. */
BT_EXTERN int bt_priority_from_name(const char *name, bt_priority *out);
/** As bt_status_from_name(), for sources. */
BT_EXTERN int bt_source_from_name(const char *name, bt_source *out);
/** As bt_status_from_name(), for log levels ("critical" or "CRITICAL"). */
BT_EXTERN int bt_level_from_name(const char *name, bt_level *out);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* BUGTRACK_VOCAB_H */
