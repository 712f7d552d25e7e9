/*
 * text.h - making text safe to store: bounded length, valid UTF-8, secrets
 * redacted.  Every function returns a new allocation (bti_free) or NULL when
 * memory runs out.
 */
#ifndef BT_TEXT_H
#define BT_TEXT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* The marker appended to text cut at the maximum length. */
#define BTI_TRUNCATION_MARKER "\xe2\x80\xa6[truncated]"

/* printf into a new string; *len_out receives its length. */
char *bti_vformat(size_t *len_out, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Copy @len bytes of @in, cut to at most @max bytes (on a character
 * boundary, followed by BTI_TRUNCATION_MARKER; max 0 = no limit), with
 * every invalid UTF-8 sequence and NUL byte replaced by U+FFFD. */
char *bti_text_clean(const char *in, size_t len, size_t max, size_t *len_out);

/* @s as it may be stored: @s itself when it is valid UTF-8 of at most @max
 * bytes (no copy: the common case), else a cleaned copy, which *owned
 * receives for the caller to free.  NULL stays NULL.  BT_OK or BT_ENOMEM. */
int bti_text_field(const char *s, size_t max, const char **out, char **owned);

/* The length of the valid UTF-8 sequence at @s (at most @len bytes, at
 * least 1), its code point in *@cp_out; 0 for an invalid one (overlong
 * forms, surrogates and NUL included). */
size_t bti_utf8_decode(const char *s, size_t len, uint32_t *cp_out);

/* UTF-8 for @cp into @out (4 bytes of room); returns its length. */
size_t bti_utf8_put(uint32_t cp, char *out);

/* 1 if @len bytes of @s are valid UTF-8 without NUL bytes. */
int bti_utf8_valid(const char *s, size_t len);


#endif
