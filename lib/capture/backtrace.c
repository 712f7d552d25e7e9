/*
 * backtrace.c - capturing the caller's stack as text (glibc backtrace()).
 * Function names need the host to link with -rdynamic; without it frames
 * read as module(+offset), which still locates the fault.
 */
#include <execinfo.h>
#include <stdlib.h>
#include <string.h>

#include "backtrace.h"
#include "internal.h"

#define MAX_FRAMES 64

char *bti_backtrace_text(const void *caller_pc)
{
	void *frames[MAX_FRAMES];
	char **symbols, *out = NULL;
	size_t len = 0, pos = 0;
	int n, i, skip = 0;

	n = backtrace(frames, MAX_FRAMES);
	/* Start at the host's frame: the library's own frames say nothing
	 * about the error, and how many there are depends on inlining. */
	for (i = 0; i < n; i++) {
		if (frames[i] == caller_pc) {
			skip = i;
			break;
		}
	}
	if (n <= skip)
		return NULL;
	symbols = backtrace_symbols(frames, n);
	if (!symbols)
		return NULL;
	for (i = skip; i < n; i++)
		len += strlen(symbols[i]) + 1;
	out = bti_malloc(len + 1);
	if (out) {
		for (i = skip; i < n; i++) {
			size_t l = strlen(symbols[i]);

			memcpy(out + pos, symbols[i], l);
			pos += l;
			out[pos++] = '\n';
		}
		out[pos ? pos - 1 : 0] = '\0';
	}
	free(symbols); /* allocated by glibc with malloc */
	return out;
}
