/*
 * errno_args.h - which errno a bt_log line is about (errno_args.c): the
 * C library's own error text among its %s arguments, or %m.
 */
#ifndef BT_ERRNO_ARGS_H
#define BT_ERRNO_ARGS_H

#include <stdarg.h>

/* The errno @fmt's arguments @ap carry: the first %s argument that is
 * exactly strerror(e) for a named errno e, or @saved_errno at a %m when it
 * is not 0; 0 when none.  @ap is left untouched (walked on a copy).  A
 * format this walk does not understand (positional arguments, unknown
 * conversions) carries none.  Thread-safe. */
int bti_format_errno(const char *fmt, va_list ap, int saved_errno);

/* Whether @fmt has a conversion that may carry an errno (%s or %m):
 * without one, bti_format_errno() is 0 and need not walk. */
int bti_format_may_carry_errno(const char *fmt);

#endif
