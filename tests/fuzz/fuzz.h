/*
 * fuzz.h - what the fuzz targets share.  Each target defines
 * LLVMFuzzerTestOneInput, and is linked either with libFuzzer (-Dfuzz=true
 * under clang) or with replay.c, which feeds it the committed corpus and
 * regression inputs in every build.  A target reports a broken property
 * with FUZZ_ASSERT, which aborts: libFuzzer saves the input as a crash, and
 * the replay test fails.
 */
#ifndef BT_FUZZ_H
#define BT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bugtrack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* The targets' database clock: fixed, so that a replayed input does what it
 * did under the fuzzer. */
#define FUZZ_NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */

/* A scratch directory for this process, made on first use and removed at
 * exit (a crash leaves it behind, in $TMPDIR). */
const char *fuzz_tmpdir(void);

/* fuzz_tmpdir()/name, in one of a few static rotating buffers. */
const char *fuzz_path(const char *name);

/* Write @len bytes to @path, replacing it; aborts on failure, which is the
 * machine's fault, never the input's. */
void fuzz_write_file(const char *path, const void *data, size_t len);

/* A new handle on a freshly migrated, empty database @name in the scratch
 * directory, with the clock at *@clock_ms (NULL: FUZZ_NOW_MS).  The empty
 * database is made once and copied for each call, so that every input
 * starts from the same state at the cost of a file copy, not a migration. */
bt_db *fuzz_fresh_db(const char *name, int64_t *clock_ms);

/* @data as a NUL-terminated string, cut at its first NUL as a command-line
 * argument would be; the caller frees it. */
char *fuzz_cstring(const uint8_t *data, size_t size);

#endif
