/*
 * common.c - what the benchmarks share (see common.h).
 */
#include "common.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

const char *bench_prog = "bench";

/* ---- clocks ---------------------------------------------------------- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	/* Cannot fail for these clocks on Linux; if it does, no figure holds. */
	if (clock_gettime(id, &ts) != 0) {
		fprintf(stderr, "%s: clock_gettime: %s\n", bench_prog, strerror(errno));
		exit(EXIT_FAILURE);
	}
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int64_t bench_wall_ms(void)
{
	return (int64_t)(clock_ns(CLOCK_REALTIME) / 1000000u);
}

/* ---- failures -------------------------------------------------------- */

int bench_bt_fail(const char *what, int rc)
{
	fprintf(stderr, "%s: %s: %s (%s)\n", bench_prog, what, bt_error_message(), bt_strerror(rc));
	return -1;
}

int bench_sql_fail(sqlite3 *sql, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", bench_prog, what, sql ? sqlite3_errmsg(sql) : "out of memory");
	return -1;
}

int bench_sql_int(sqlite3 *sql, const char *query, int64_t *out)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(sql, query, -1, &stmt, NULL) != SQLITE_OK)
		return bench_sql_fail(sql, query);
	rc = sqlite3_step(stmt);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
	if (sqlite3_finalize(stmt) != SQLITE_OK || rc != SQLITE_ROW)
		return bench_sql_fail(sql, query);
	return 0;
}

int bench_expect(const char *what, int64_t got, int64_t want)
{
	if (got == want)
		return 0;
	fprintf(stderr, "%s: count mismatch: %s = %" PRId64 ", expected %" PRId64 "\n", bench_prog,
		what, got, want);
	return -1;
}

int bench_expect_rows(sqlite3 *sql, const char *table, int64_t want)
{
	char query[64], what[64];
	int64_t got;

	snprintf(query, sizeof(query), "SELECT count(*) FROM %s", table);
	snprintf(what, sizeof(what), "rows in %s", table);
	if (bench_sql_int(sql, query, &got) != 0)
		return -1;
	return bench_expect(what, got, want);
}

int bench_sql_open(const char *path, sqlite3 **out)
{
	int rc = sqlite3_open_v2(path, out, SQLITE_OPEN_READWRITE, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(*out, BENCH_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK) {
		bench_sql_fail(*out, path);
		sqlite3_close(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int bench_sql_close(sqlite3 *sql)
{
	return sqlite3_close(sql) == SQLITE_OK ? 0 : bench_sql_fail(sql, "closing the count connection");
}

int bench_lib_open(const char *path, const bt_open_options *opts, bt_db **out)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	int rc;

	if (opts)
		o = *opts;
	o.busy_timeout_ms = BENCH_BUSY_TIMEOUT_MS;
	rc = bt_open(out, path, &o);
	return rc == BT_OK ? 0 : bench_bt_fail("opening a libbugtrack database", rc);
}

/* ---- latencies ------------------------------------------------------- */

int bench_timed_loop(bench_call_fn call, void *ctx, int first, int calls, uint64_t *lat,
		     uint64_t *start, uint64_t *end)
{
	int i, rc = 0;

	*start = bench_mono_ns();
	for (i = 0; i < calls; i++) {
		uint64_t t0 = bench_mono_ns();

		if (call(ctx, first + i) != 0) {
			rc = -1;
			break;
		}
		lat[i] = bench_mono_ns() - t0;
	}
	*end = bench_mono_ns();
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double percentile_us(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)(p * (double)n + 0.999999);

	return (double)sorted[rank ? rank - 1 : 0] / 1000.0;
}

void bench_percentiles(uint64_t *lat, size_t n, double *p50_us, double *p99_us)
{
	if (n == 0) {
		*p50_us = *p99_us = 0.0;
		return;
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	*p50_us = percentile_us(lat, n, 0.50);
	*p99_us = percentile_us(lat, n, 0.99);
}

/* ---- threads --------------------------------------------------------- */

int bench_barrier_wait(pthread_barrier_t *barrier)
{
	int rc = pthread_barrier_wait(barrier);

	if (rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD)
		return 0;
	fprintf(stderr, "%s: pthread_barrier_wait: %s\n", bench_prog, strerror(rc));
	return -1;
}

int bench_run_threads(int n, void *(*fn)(void *), void *args, size_t size,
		      pthread_barrier_t *barrier)
{
	pthread_t tid[64];
	int t, rc, ret = 0;

	if (n < 1 || n > (int)(sizeof(tid) / sizeof(tid[0]))) {
		fprintf(stderr, "%s: %d threads is out of range\n", bench_prog, n);
		return -1;
	}
	rc = pthread_barrier_init(barrier, NULL, (unsigned)n);
	if (rc != 0) {
		fprintf(stderr, "%s: pthread_barrier_init: %s\n", bench_prog, strerror(rc));
		return -1;
	}
	for (t = 0; t < n; t++) {
		rc = pthread_create(&tid[t], NULL, fn, (char *)args + (size_t)t * size);
		if (rc != 0) {
			/* The barrier counts every thread: without this one the
			 * others would wait forever, so give up on the process. */
			fprintf(stderr, "%s: pthread_create: %s\n", bench_prog, strerror(rc));
			exit(EXIT_FAILURE);
		}
	}
	for (t = 0; t < n; t++) {
		rc = pthread_join(tid[t], NULL);
		if (rc != 0) {
			fprintf(stderr, "%s: pthread_join: %s\n", bench_prog, strerror(rc));
			ret = -1;
		}
	}
	pthread_barrier_destroy(barrier);
	return ret;
}

/* ---- files ----------------------------------------------------------- */

int bench_remove_db(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char name[PATH_MAX];
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
		if (unlink(name) != 0 && errno != ENOENT) {
			fprintf(stderr, "%s: unlink %s: %s\n", bench_prog, name, strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

static int64_t file_bytes(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

int64_t bench_db_bytes(const char *path)
{
	char wal[PATH_MAX];

	snprintf(wal, sizeof(wal), "%s-wal", path);
	return file_bytes(path) + file_bytes(wal);
}

int bench_open_dir(const char **dir, char *temp, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	if (*dir)
		return 0;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(temp, size, "%s/%s.XXXXXX", tmp, bench_prog) >= (int)size) {
		fprintf(stderr, "%s: TMPDIR too long\n", bench_prog);
		return -1;
	}
	if (!mkdtemp(temp)) {
		fprintf(stderr, "%s: mkdtemp %s: %s\n", bench_prog, temp, strerror(errno));
		return -1;
	}
	*dir = temp;
	return 0;
}

int bench_close_dir(const char *dir, const char *temp)
{
	if (dir != temp || rmdir(temp) == 0)
		return 0;
	fprintf(stderr, "%s: rmdir %s: %s\n", bench_prog, temp, strerror(errno));
	return -1;
}

int bench_path(char *out, size_t size, const char *dir, const char *name)
{
	if (snprintf(out, size, "%s/%s", dir, name) < (int)size)
		return 0;
	fprintf(stderr, "%s: directory name too long: %s\n", bench_prog, dir);
	return -1;
}

/* ---- options --------------------------------------------------------- */

int bench_parse_count(const char *option, const char *s, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max) {
		fprintf(stderr, "%s: %s wants 1..%ld, not \"%s\"\n", bench_prog, option, max, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* ---- the header ------------------------------------------------------ */

static void cpu_model(char *out, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(out, size, "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || !colon)
			continue;
		colon += strspn(colon + 1, " \t") + 1;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, size, "%s", colon);
		break;
	}
	fclose(f);
}

void bench_print_machine(void)
{
	struct utsname u;
	char cpu[128], date[64];
	time_t now = time(NULL);
	struct tm tm;

	cpu_model(cpu, sizeof(cpu));
	if (uname(&u) != 0)
		snprintf(u.machine, sizeof(u.machine), "unknown");
	if (now == (time_t)-1 || !gmtime_r(&now, &tm) ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(date, sizeof(date), "unknown");
	printf("machine:  %s, %ld CPUs online, %s\n", u.machine, sysconf(_SC_NPROCESSORS_ONLN), cpu);
	printf("date:     %s\n", date);
}
