/*
 * vocab.c - the ticket vocabulary: the names of statuses, severities,
 * priorities and sources as stored and shown, the severity and title a log
 * level gives, and the SLA policy.  One table per idea, for every layer.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "vocab.h"

static const char *const status_names[] = {
	NULL, "new", "triaged", "in_progress", "awaiting_verification", "resolved", "closed"
};
static const char *const severity_names[] = { NULL, "low", "medium", "high", "critical" };
static const char *const priority_names[] = { NULL, "low", "medium", "high", "urgent" };
static const char *const source_names[] = { NULL, "user", "agent", "system" };

#define NAME_OF(table, v) ((v) > 0 && (size_t)(v) < BTI_ARRAY_LEN(table) ? table[v] : NULL)

static int index_of(const char *const *table, size_t n, const char *name)
{
	size_t i;

	for (i = 1; name && i < n; i++)
		if (strcmp(table[i], name) == 0)
			return (int)i;
	return 0;
}

const char *bt_status_name(bt_status status)
{
	return NAME_OF(status_names, status);
}

const char *bt_severity_name(bt_severity severity)
{
	return NAME_OF(severity_names, severity);
}

const char *bt_priority_name(bt_priority priority)
{
	return NAME_OF(priority_names, priority);
}

const char *bt_source_name(bt_source source)
{
	return NAME_OF(source_names, source);
}

const char *bti_severity_for_level(bt_level level)
{
	return level >= BT_CRITICAL ? "critical" : level >= BT_ERROR ? "high"
		: level >= BT_WARNING ? "medium" : "low";
}

const char *bti_level_title(bt_level level)
{
	return level >= BT_CRITICAL ? "Critical" : level >= BT_ERROR ? "Error"
		: level >= BT_WARNING ? "Warning" : level >= BT_INFO ? "Info" : "Debug";
}

void bti_sla_policy(const int64_t in[5], int64_t out[5])
{
	static const int64_t hour = 60 * 60 * 1000;
	static const int64_t defaults[5] = {
		0, 30 * 24 * hour, 7 * 24 * hour, 24 * hour, 4 * hour /* low .. critical */
	};
	int i;

	for (i = 0; i < 5; i++)
		out[i] = in && in[i] ? in[i] : defaults[i];
}

int64_t bti_sla_due(const int64_t policy[5], const char *severity, int64_t created)
{
	int sev = index_of(severity_names, BTI_ARRAY_LEN(severity_names), severity);

	return created + policy[sev ? sev : BT_SEVERITY_LOW];
}

int bti_status_from_name(const char *name)
{
	return index_of(status_names, BTI_ARRAY_LEN(status_names), name);
}

int bti_severity_from_name(const char *name)
{
	return index_of(severity_names, BTI_ARRAY_LEN(severity_names), name);
}

int bti_priority_from_name(const char *name)
{
	return index_of(priority_names, BTI_ARRAY_LEN(priority_names), name);
}

int bti_source_from_name(const char *name)
{
	return index_of(source_names, BTI_ARRAY_LEN(source_names), name);
}

const char *bt_level_name(bt_level level)
{
	switch (level) {
	case BT_DEBUG:    return "DEBUG";
	case BT_INFO:     return "INFO";
	case BT_WARNING:  return "WARNING";
	case BT_ERROR:    return "ERROR";
	case BT_CRITICAL: return "CRITICAL";
	default:          return NULL;
	}
}

/* ---- names to values, for CLIs, configuration and the HTTP API ---- */

static const char *const level_names[] = { "debug", "info", "warning", "error", "critical" };
static const bt_level level_values[] = { BT_DEBUG, BT_INFO, BT_WARNING, BT_ERROR, BT_CRITICAL };

/* The index of @name in @table[first..n) (ASCII case-insensitive), or -1
 * with a message that lists the names. */
static int parse_name(const char *caller, const char *what, const char *const *table,
		      size_t first, size_t n, const char *name)
{
	char list[160];
	size_t i, len = 0;

	for (i = first; name && i < n; i++)
		if (strcasecmp(table[i], name) == 0)
			return (int)i;
	list[0] = '\0';
	for (i = first; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					i == first ? "" : i + 1 == n ? " or " : ", ", table[i]);
	if (!name)
		bti_error(BT_EINVALID, "%s: name is NULL", caller);
	else
		bti_error(BT_EINVALID, "%s: unknown %s '%.64s'; use %s", caller, what, name, list);
	return -1;
}

#define FROM_NAME(fn, T, what, table, first, value) \
	int fn(const char *name, T *out) \
	{ \
		int i; \
		if (!out) \
			return bti_error(BT_EINVALID, #fn ": out is NULL"); \
		i = parse_name(#fn, what, table, first, BTI_ARRAY_LEN(table), name); \
		if (i < 0) \
			return BT_EINVALID; \
		*out = (T)(value); \
		return BT_OK; \
	}

FROM_NAME(bt_status_from_name, bt_status, "status", status_names, 1, i)
FROM_NAME(bt_severity_from_name, bt_severity, "severity", severity_names, 1, i)
FROM_NAME(bt_priority_from_name, bt_priority, "priority", priority_names, 1, i)
FROM_NAME(bt_source_from_name, bt_source, "source", source_names, 1, i)
FROM_NAME(bt_level_from_name, bt_level, "level", level_names, 0, level_values[i])
