/*
 * sink.h - snprintf-style bounded output for the text transforms: write what
 * fits into the caller's buffer, count everything, so that the caller can
 * size a second pass exactly.
 */
#ifndef BT_SINK_H
#define BT_SINK_H

#include <stddef.h>
#include <string.h>

typedef struct bti_sink {
	char *out;
	size_t cap;
	size_t len; /* of the full result, even past cap */
} bti_sink;

static inline void bti_sink_put(bti_sink *w, const void *p, size_t k)
{
	if (w->len + k < w->cap) { /* all of it fits: the common case */
		memcpy(w->out + w->len, p, k);
		w->len += k;
		return;
	}
	for (size_t j = 0; j < k; j++, w->len++)
		if (w->len + 1 < w->cap)
			w->out[w->len] = ((const char *)p)[j];
}

/* NUL-terminate what fits; return the full length. */
static inline size_t bti_sink_finish(bti_sink *w)
{
	if (w->cap)
		w->out[w->len < w->cap ? w->len : w->cap - 1] = '\0';
	return w->len;
}

#endif
