/*
 * alloc.c - the library's single allocator.  Routing every allocation
 * through here keeps ownership simple and gives the fault-injection tests
 * one place to fail the Nth allocation.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Set only by tests (tests/faults); one relaxed load per allocation. */
static _Atomic(bti_alloc_fault_fn) fault_hook;

void bti_alloc_set_fault_hook(bti_alloc_fault_fn fn)
{
	atomic_store(&fault_hook, fn);
}

static int injected_failure(size_t size)
{
	bti_alloc_fault_fn fn = atomic_load_explicit(&fault_hook, memory_order_relaxed);

	return fn && fn(size);
}

void *bti_malloc(size_t size)
{
	if (injected_failure(size))
		return NULL;
	return malloc(size ? size : 1);
}

void *bti_calloc(size_t count, size_t size)
{
	if (injected_failure(count * size))
		return NULL;
	return calloc(count ? count : 1, size ? size : 1);
}

void *bti_realloc(void *ptr, size_t size)
{
	if (injected_failure(size))
		return NULL;
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
