/*
 * vocab.c - the ticket vocabulary: the names of statuses, severities,
 * priorities and sources as stored and shown, the severity and title a log
 * level gives, and the SLA policy.  One table per idea, for every layer.
 */
#include <string.h>

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
