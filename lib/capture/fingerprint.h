/*
 * fingerprint.h - grouping: which ticket an error belongs to.
 */
#ifndef BT_FINGERPRINT_H
#define BT_FINGERPRINT_H

#include <stddef.h>

#include "bugtrack.h"

/* Bump when the rules change, so stored tickets say which rules grouped them. */
#define BTI_GROUPING_VERSION 2

typedef struct bti_grouping_in {
	const char *component;
	const char *error_type;   /* may be NULL */
	const char *template_;    /* printf format or host template; may be NULL */
	const char *message;      /* formatted, already cleaned and redacted */
	size_t message_len;
	const char *function;     /* may be NULL */
	const char *stack;        /* NULL unless the stack is part of the fingerprint */
	const char *explicit_fp;  /* the host's own fingerprint; overrides the rest */
} bti_grouping_in;

typedef struct bti_grouping {
	char fingerprint[BT_FINGERPRINT_SIZE];
	char *input;     /* the exact text hashed */
	char *template_; /* the template used: the format, or the normalized message */
} bti_grouping;

/* Fill @g (free it with bti_grouping_free).  BT_OK or BT_ENOMEM. */
int bti_grouping_compute(bti_grouping *g, const bti_grouping_in *in);
void bti_grouping_free(bti_grouping *g);

/* 128-bit MurmurHash3 (x64 variant, seed 0) of @len bytes, as 32 hex digits. */
void bti_hash128_hex(const void *data, size_t len, char out[BT_FINGERPRINT_SIZE]);

#endif
