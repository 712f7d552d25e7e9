/*
 * backtrace.h - the calling thread's stack as text.
 */
#ifndef BT_BACKTRACE_H
#define BT_BACKTRACE_H

/* One frame per line, innermost first, starting at the frame that holds
 * @caller_pc (the return address into the host, from the public entry
 * point); NULL when unavailable.  Free with bti_free. */
char *bti_backtrace_text(const void *caller_pc);

#endif
