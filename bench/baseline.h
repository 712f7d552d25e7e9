/*
 * baseline.h - the benchmarks' baseline: the per-error SQL of the Python
 * tracker libbugtrack replaces, replayed with raw sqlite3 calls.  Per
 * critical error: SELECT a bug by fingerprint in the last 24 hours, then
 * UPDATE its count or INSERT it, then INSERT the log row; autocommit, so
 * each statement is its own transaction, and statements prepared once per
 * connection, as a fair baseline would.
 */
#ifndef BENCH_BASELINE_H
#define BENCH_BASELINE_H

#include <sqlite3.h>
#include <stdint.h>

/* One connection and its prepared statements. */
typedef struct base_conn {
	sqlite3 *sql;
	sqlite3_stmt *find, *bump, *add_bug, *add_log;
	char host[64];
} base_conn;

/* What the tracker knew of an error besides its formatted message.  The
 * tracker hashed the component and template per error; a caller that
 * passes a fingerprint made once favours the baseline. */
typedef struct base_error {
	const char *fingerprint;
	const char *title;
	const char *component;
	const char *template_;
	const char *file;
	const char *function;
	int line;
} base_error;

/* Make @path a fresh baseline database (schema and pragmas). */
int base_create(const char *path);
/* Connect to @path and prepare the statements.  0, or -1 with a message
 * (@c is then closed). */
int base_open(base_conn *c, const char *path);
/* Finalize and disconnect; a zeroed or half-opened @c is fine. */
void base_close(base_conn *c);
/* One critical error, as the tracker handled it: three statements, each its
 * own transaction.  @bug_out (may be NULL) receives the bug's id. */
int base_record(base_conn *c, const base_error *e, const char *message, int64_t *bug_out);

#endif
