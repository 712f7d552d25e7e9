/*
 * normalize.h - message normalization for grouping: two messages that differ
 * only in their variable parts (addresses, ids, hashes, times, numbers) must
 * produce the same text, and so land in the same ticket.
 */
#ifndef BT_NORMALIZE_H
#define BT_NORMALIZE_H

#include <stddef.h>

/* Replace the variable parts of an already formatted message with
 * placeholders such as <ip>, <uuid>, <date>, <int>, so that two messages
 * differing only in those parts normalize to the same text.  @in is a byte
 * string of @len bytes (not necessarily NUL-terminated, may hold NULs and
 * invalid UTF-8); everything that is not a variable part is copied as is.
 * Writes at most @cap bytes including a terminating NUL to @out (if cap > 0)
 * and returns the length the full result would have, like snprintf, so that
 * a return value >= cap means truncation.  Thread-safe, never allocates. */
size_t bti_normalize_message(const char *in, size_t len, char *out, size_t cap);

/* Returns 1 if the printf format string @fmt contains at least one literal
 * word (a run of 2+ ASCII letters outside of % conversion specifications),
 * else 0.  "%s", "%s: %s", "%d/%d" carry no template; "open %s failed"
 * does.  NULL counts as no words. */
int bti_format_has_words(const char *fmt);

/* bti_normalize_message() into a new string. */
char *bti_normalize_dup(const char *in, size_t len);

#endif
