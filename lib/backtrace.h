/*
 * backtrace.h - the calling thread's stack as text.
 */
#ifndef BT_BACKTRACE_H
#define BT_BACKTRACE_H

/* One frame per line, innermost first, without the @skip innermost frames;
 * NULL when unavailable.  Free with bti_free. */
char *bti_backtrace_text(int skip);

#endif
