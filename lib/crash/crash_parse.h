/*
 * crash_parse.h - the crash spool's format as a reader sees it: splitting
 * a spool into records, parsing one record, and normalizing its frames.
 * Pure functions over bytes (no database, no I/O), so that ingestion
 * (crash_ingest.c) and the fuzz target share exactly one parser.
 */
#ifndef BT_CRASH_PARSE_H
#define BT_CRASH_PARSE_H

#include <stddef.h>

/* The first line of every record, as crash.c writes it. */
#define BTI_CRASH_HEADER "BTCRASH 1\n"

#define BTI_CRASH_RECORD_FRAMES 64  /* frames kept of one record */
#define BTI_CRASH_RECORD_MODULES 128
#define BTI_CRASH_FRAME_TEXT 160    /* a normalized frame, NUL included */

/* Bytes inside the spool; not NUL-terminated. */
typedef struct bti_crash_span {
	const char *p;
	size_t n;
} bti_crash_span;

/* One parsed record.  Its spans point into the spool's buffer. */
typedef struct bti_crash_record {
	long long sig, code, pid, tid, time, hashed;
	unsigned long long addr, pc;
	bti_crash_span context[4]; /* service, release, environment, host */
	bti_crash_span module[BTI_CRASH_RECORD_MODULES];
	int nframes;
	unsigned long long frame_addr[BTI_CRASH_RECORD_FRAMES], frame_off[BTI_CRASH_RECORD_FRAMES];
	long long frame_module[BTI_CRASH_RECORD_FRAMES];
	bti_crash_span sym[BTI_CRASH_RECORD_FRAMES];
	int nsyms;
} bti_crash_record;

/* A stretch of the spool: a record, or damaged bytes between records. */
typedef struct bti_crash_chunk {
	size_t start, len; /* the record's bytes, END line included */
	int complete;      /* ends in its own "END <length>" line */
} bti_crash_chunk;

/* Split the spool @p of @n bytes into at most @cap chunks, in order;
 * returns how many.  A spool never needs more than
 * n / (sizeof(BTI_CRASH_HEADER) - 1) + 2. */
size_t bti_crash_split(const char *p, size_t n, bti_crash_chunk *out, size_t cap);

/* Parse the complete record @p of @n bytes (header included) into @r;
 * 1 if it is well formed, else 0. */
int bti_crash_parse_record(const char *p, size_t n, bti_crash_record *r);

/* The normalized frames of @r ("module!function" or "module+0xOFF"), top
 * first, each NUL-terminated; returns how many (at most r->nframes). */
int bti_crash_normalize_frames(const bti_crash_record *r,
			       char frames[][BTI_CRASH_FRAME_TEXT]);

#endif
