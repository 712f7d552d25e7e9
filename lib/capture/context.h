/*
 * context.h - the handle-wide context (bt_context_set), and this thread's
 * trace and request ids (bt_thread_context_set).
 */
#ifndef BT_CONTEXT_H
#define BT_CONTEXT_H

struct bt_db;

/* The handle-wide context (host defaults to gethostname): set up by
 * bt_open, freed by bt_close. */
int bti_context_init(struct bt_db *db);
void bti_context_free(struct bt_db *db);

/* NULL when unset.  Valid until this thread sets them again. */
const char *bti_thread_trace_id(void);
const char *bti_thread_request_id(void);

#endif
