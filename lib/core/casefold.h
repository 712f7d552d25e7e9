/*
 * casefold.h - Unicode simple case folding, for ticket search: a search
 * finds its text in any case (ÉCHEC finds échec, K finds the Kelvin sign)
 * and means the same on every backend, whatever the server's locale.
 * Invalid UTF-8 reads as U+FFFD a byte, as bti_text_clean() stores it.
 */
#ifndef BT_CASEFOLD_H
#define BT_CASEFOLD_H

#include <stddef.h>
#include <stdint.h>

/* The simple case folding of code point @cp (itself when it has none). */
uint32_t bti_casefold_cp(uint32_t cp);

/* The code point at s[*i] (of @len bytes), *i moved past it; an invalid
 * byte reads as U+FFFD (bti_utf8_decode is the decoder). */
uint32_t bti_utf8_next(const char *s, size_t len, size_t *i);

/* @len bytes of @s folded, as a new string (bti_free); NULL when memory
 * runs out. */
char *bti_casefold(const char *s, size_t len);

/* 1 if @hay (@hn bytes) folded contains @needle (@nn bytes, folded
 * already by bti_casefold()), else 0; -1 when memory runs out.  Linear in
 * @hn + @nn.  An empty needle is in everything. */
int bti_casefold_contains(const char *hay, size_t hn, const char *needle, size_t nn);

/* Every code point whose folding is @folded, @folded first: up to @cap of
 * them go to @out; returns how many there are. */
size_t bti_casefold_sources(uint32_t folded, uint32_t *out, size_t cap);

#endif
