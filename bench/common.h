/*
 * common.h - what the benchmarks share: clocks, failure messages, latency
 * percentiles, threads started on a barrier, database files, and the
 * machine lines of a report's header.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <bugtrack.h>

/* The busy timeout of every handle and connection the benchmarks open. */
#define BENCH_BUSY_TIMEOUT_MS 5000

/* Prefixes every message; each program sets it first thing in main(). */
extern const char *bench_prog;

/* ---- clocks ---- */
uint64_t bench_mono_ns(void);
int64_t bench_wall_ms(void);

/* ---- failures: each prints "<prog>: what: why" and returns -1 ---- */
int bench_bt_fail(const char *what, int rc);
int bench_sql_fail(sqlite3 *sql, const char *what);
/* Run @query, which returns one integer, into @out. */
int bench_sql_int(sqlite3 *sql, const char *query, int64_t *out);
/* Compare a count with what it must be. */
int bench_expect(const char *what, int64_t got, int64_t want);
/* The rows in @table must be @want. */
int bench_expect_rows(sqlite3 *sql, const char *table, int64_t want);
/* Open @path read-write with raw sqlite3, to count rows. */
int bench_sql_open(const char *path, sqlite3 **out);
/* Close it; -1 (with a message) if that fails. */
int bench_sql_close(sqlite3 *sql);

/* Open a libbugtrack handle with @opts (NULL: the defaults) and the
 * benchmarks' busy timeout. */
int bench_lib_open(const char *path, const bt_open_options *opts, bt_db **out);

/* ---- latencies ---- */

/* One timed call: @ctx is the caller's, @i the call's number. */
typedef int (*bench_call_fn)(void *ctx, int i);

/* Make @calls calls, calls first .. first + calls - 1, and keep each one's
 * CLOCK_MONOTONIC latency in @lat (preallocated); @start and @end bracket
 * the loop.  Stops at the first failing call: -1. */
int bench_timed_loop(bench_call_fn call, void *ctx, int first, int calls, uint64_t *lat,
		     uint64_t *start, uint64_t *end);

/* Sort @n latencies in place and read their nearest-rank p50 and p99, in µs. */
void bench_percentiles(uint64_t *lat, size_t n, double *p50_us, double *p99_us);

/* ---- threads ---- */

/* Start @n threads on @fn, the i-th with @args + i * @size, after making
 * @barrier a barrier of @n (the threads wait on it with bench_barrier_wait),
 * and join them.  Exits the process if a thread cannot be started: the
 * others would wait on the barrier forever. */
int bench_run_threads(int n, void *(*fn)(void *), void *args, size_t size,
		      pthread_barrier_t *barrier);
/* 0, or -1 with a message. */
int bench_barrier_wait(pthread_barrier_t *barrier);

/* ---- files ---- */

/* Remove a database and its WAL companions; a missing file is fine. */
int bench_remove_db(const char *path);
/* Bytes of the database file plus its -wal file. */
int64_t bench_db_bytes(const char *path);
/* Where the database files go: @*dir when set, else a fresh directory made
 * under $TMPDIR or /tmp (named after the program) into @temp. */
int bench_open_dir(const char **dir, char *temp, size_t size);
/* Remove the directory bench_open_dir made, if it made one; the runs
 * removed their files.  0, or -1 with a message. */
int bench_close_dir(const char *dir, const char *temp);
/* @dir/@name into @out; -1 when it does not fit. */
int bench_path(char *out, size_t size, const char *dir, const char *name);

/* ---- options ---- */

/* Parse @s as a count in 1..@max for @option. */
int bench_parse_count(const char *option, const char *s, long max, int *out);

/* ---- the header ---- */

/* The "machine:" and "date:" lines. */
void bench_print_machine(void);

#endif
