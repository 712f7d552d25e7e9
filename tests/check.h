/*
 * check.h - the test suite's assertion macros and scratch-directory helpers.
 * A test program runs its cases, reports each failed check on stderr, and
 * exits non-zero if any failed.  Tests use real database files.
 */
#ifndef BT_CHECK_H
#define BT_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "bugtrack.h"

extern int check_failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		check_failures++; \
	} \
} while (0)

/* Check a libbugtrack return code, showing the library's message on failure. */
#define CHECK_RC(expr, want) do { \
	int check_rc_ = (expr); \
	if (check_rc_ != (want)) { \
		fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s); message: %s\n", \
			__FILE__, __LINE__, #expr, check_rc_, bt_strerror(check_rc_), \
			(want), bt_strerror(want), bt_error_message()); \
		check_failures++; \
	} \
} while (0)

#define CHECK_STR_CONTAINS(haystack, needle) do { \
	const char *check_h_ = (haystack); \
	if (!check_h_ || !strstr(check_h_, (needle))) { \
		fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
			check_h_ ? check_h_ : "(null)", (needle)); \
		check_failures++; \
	} \
} while (0)

/* Strings (either may be NULL) and integers, printing both when they differ. */
#define CHECK_STR_EQ(a, b) do { \
	const char *s_a_ = (a), *s_b_ = (b); \
	if (!(s_a_ == s_b_ || (s_a_ && s_b_ && strcmp(s_a_, s_b_) == 0))) { \
		fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
			s_a_ ? s_a_ : "(null)", s_b_ ? s_b_ : "(null)"); \
		check_failures++; \
	} \
} while (0)

#define CHECK_INT_EQ(a, b) do { \
	int64_t i_a_ = (int64_t)(a), i_b_ = (int64_t)(b); \
	if (i_a_ != i_b_) { \
		fprintf(stderr, "%s:%d: %s is %" PRId64 ", expected %" PRId64 "\n", __FILE__, \
			__LINE__, #a, i_a_, i_b_); \
		check_failures++; \
	} \
} while (0)

/* Run one case, naming it on stderr when it fails.  CHECK_ONLY=test_name
 * in the environment runs only that case (to chase one failure). */
#define RUN(fn) do { \
	const char *check_only_ = getenv("CHECK_ONLY"); \
	if (!check_only_ || strcmp(check_only_, #fn) == 0) { \
		int check_before_ = check_failures; \
		fn(); \
		fprintf(stderr, "%s %s\n", check_failures == check_before_ ? "ok  " : "FAIL", #fn); \
	} \
} while (0)

/* Whether this build runs under ThreadSanitizer.  GCC 12's cannot follow a
 * thread started in a child forked from a multi-threaded process ("dup
 * thread with used id"), which is what an inherited asynchronous handle
 * does; tests of that shape run in the other stages and skip here. */
#if defined(__SANITIZE_THREAD__)
#define CHECK_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CHECK_UNDER_TSAN 1
#endif
#endif
#ifndef CHECK_UNDER_TSAN
#define CHECK_UNDER_TSAN 0
#endif
#define SKIP_UNDER_TSAN() do { \
	if (CHECK_UNDER_TSAN) { \
		fprintf(stderr, "skip %s: threads after a multi-threaded fork (TSan)\n", __func__); \
		return; \
	} \
} while (0)

/* Whether this build runs under AddressSanitizer.  GCC 12's and clang 14's
 * take no lock around fork(): a child forked while another thread is inside
 * ASan's malloc inherits the allocator's lock held and blocks on its first
 * malloc for ever.  glibc's malloc is fork-safe, so a host never meets
 * this; tests that fork beside a busy thread wait for it to be idle there. */
#if defined(__SANITIZE_ADDRESS__)
#define CHECK_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHECK_UNDER_ASAN 1
#endif
#endif
#ifndef CHECK_UNDER_ASAN
#define CHECK_UNDER_ASAN 0
#endif

/* A fresh scratch directory for this process, removed by check_finish(). */
const char *check_tmpdir(void);
/* check_tmpdir()/name, in a static rotating buffer. */
const char *check_path(const char *name);
/* Write @len bytes to @path, replacing it. */
void check_write_file(const char *path, const void *data, size_t len);
/* Read up to @cap bytes of @path; returns the length or -1. */
long check_read_file(const char *path, void *buf, size_t cap);
/* The first column of the first row of @sql on @db, or -1 (saying why on
 * stderr) when the query fails or returns no row. */
long long check_query_int(sqlite3 *db, const char *sql);
/* Remove the scratch directory and return the exit status. */
int check_finish(void);

#endif
