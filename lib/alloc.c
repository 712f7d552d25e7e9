/*
 * alloc.c - the library's single allocator.  Routing every allocation
 * through here keeps ownership simple and gives the fault-injection tests
 * one place to fail the Nth allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void *bti_malloc(size_t size)
{
	return malloc(size ? size : 1);
}

void *bti_calloc(size_t count, size_t size)
{
	return calloc(count ? count : 1, size ? size : 1);
}

void *bti_realloc(void *ptr, size_t size)
{
	return realloc(ptr, size ? size : 1);
}

void bti_free(void *ptr)
{
	free(ptr);
}

char *bti_strdup(const char *s)
{
	size_t n;
	char *copy;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	copy = bti_malloc(n);
	if (copy)
		memcpy(copy, s, n);
	return copy;
}
