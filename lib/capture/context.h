/*
 * context.h - this thread's trace and request ids (see bt_thread_context_set).
 */
#ifndef BT_CONTEXT_H
#define BT_CONTEXT_H

/* NULL when unset.  Valid until this thread sets them again. */
const char *bti_thread_trace_id(void);
const char *bti_thread_request_id(void);

#endif
