/*
 * vocab.h - the ticket vocabulary (vocab.c).
 */
#ifndef BT_VOCAB_H
#define BT_VOCAB_H

#include <stdint.h>

#include "bugtrack.h"

/* The enum value of a stored name; 0 when unknown. */
int bti_status_from_name(const char *name);
int bti_severity_from_name(const char *name);
int bti_priority_from_name(const char *name);
int bti_source_from_name(const char *name);

/* The severity a ticket opened by an occurrence at @level gets, and the
 * word its title starts with. */
const char *bti_severity_for_level(bt_level level);
const char *bti_level_title(bt_level level);

/* Resolve an SLA policy: @in's non-zero entries, the defaults elsewhere. */
void bti_sla_policy(const int64_t in[5], int64_t out[5]);
/* When a ticket of @severity created at @created falls due under @policy. */
int64_t bti_sla_due(const int64_t policy[5], const char *severity, int64_t created);

#endif
