/*
 * bench_postgresql.c - capture through PostgreSQL (issue 15), side by side
 * with SQLite in the same run.
 *
 * Each row is one transport (SQLite's file, PostgreSQL over loopback TCP,
 * PostgreSQL over its Unix socket), one capture mode (sync, async) and 1 or
 * 8 processes, each process its own handle (a host of a fleet).  Every
 * process logs its calls over 20 fingerprints round-robin (--fingerprints
 * N for more).  Before a row is timed, each fingerprint's ticket is opened
 * and taken past its first log rows (WARM_UP occurrences, untimed, by one
 * asynchronous handle), so every timed call is a dedup hit of a storm's
 * steady state: the one the targets are about.  Columns: calls per second of the whole
 * row (async: until every process flushed), the caller's p50 and p99, and
 * the server's statements per call (pg_stat_statements, when the server
 * loaded it: scripts/bench-postgresql.sh starts one that does; each
 * statement is one round trip today, the backend does not pipeline).
 *
 * The server is the one the PG* variables name; without one the PostgreSQL
 * rows are skipped, saying so.  It prints figures and never fails on speed;
 * it fails (exit 1) when a call fails or the counts are not exact.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <bugtrack.h>

#include "common.h"

#define FINGERPRINTS 20 /* the default; --fingerprints N */
#define MAX_FINGERPRINTS 100000
#define MAX_PROCS 8

typedef struct config {
	int calls_sync, calls_async; /* per process */
	int quick;
	int fingerprints;
} config;

static int fingerprints = FINGERPRINTS;

typedef struct proc_result {
	int ok;
	double p50_us, p99_us;
} proc_result;


/* Call @i: one fingerprint per component (the template and the call site,
 * this line, are the same for all). */
static int log_call(bt_db *db, int i)
{
	char component[16];

	snprintf(component, sizeof(component), "c%05d", i % fingerprints);
	return bt_log(db, BT_CRITICAL, component, "upstream refused the connection (call %d)", i);
}

/* One process of a row: open, wait at the gate, log, flush, report. */
static void run_process(const char *loc, unsigned int flags, int calls, int ready_fd,
			int gate_fd, int out_fd)
{
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	proc_result r = { 0, 0, 0 };
	uint64_t *lat = malloc(sizeof(*lat) * (size_t)calls);
	bt_db *db = NULL;
	char c = 'r';
	int i;

	opts.flags = flags;
	opts.async_overflow = BT_OVERFLOW_BLOCK; /* exact counts: nothing dropped */
	if (!lat || bench_lib_open(loc, &opts, &db) != 0)
		goto out;
	if (write(ready_fd, &c, 1) != 1 || read(gate_fd, &c, 1) < 0)
		goto out;
	for (i = 0; i < calls; i++) {
		uint64_t t0 = bench_mono_ns();
		int rc = log_call(db, i);

		lat[i] = bench_mono_ns() - t0;
		if (rc != BT_OK) {
			bench_bt_fail("bt_log", rc);
			goto out;
		}
	}
	if (bt_flush(db, -1) != BT_OK) {
		bench_bt_fail("bt_flush", BT_EIO);
		goto out;
	}
	bench_percentiles(lat, (size_t)calls, &r.p50_us, &r.p99_us);
	r.ok = 1;
out:
	bt_close(db);
	free(lat);
	if (write(out_fd, &r, sizeof(r)) != sizeof(r))
		_exit(3);
	_exit(r.ok ? 0 : 1);
}

/* The server's statements since the last reset, or -1 without
 * pg_stat_statements.  The bench's own admin statements are left out. */
static int64_t server_statements(PGconn *admin, int reset)
{
	PGresult *r = PQexec(admin, reset ? "SELECT pg_stat_statements_reset()"
		: "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
		  " WHERE query NOT LIKE '%pg_stat_statements%'");
	int64_t n = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && !reset)
		n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

static int64_t occurrences(const char *loc)
{
	bt_ticket_iter *it = NULL;
	bt_ticket *t;
	bt_db *db = NULL;
	int64_t n = 0;

	if (bench_lib_open(loc, NULL, &db) != 0)
		return -1;
	if (bt_ticket_iter_new(db, NULL, &it) == BT_OK)
		while (bt_ticket_iter_next(it, &t) == BT_OK) {
			n += bt_ticket_occurrence_count(t);
			bt_ticket_free(t);
		}
	bt_ticket_iter_free(it);
	bt_close(db);
	return n;
}

/* The first log rows a ticket keeps under the default cap (100): past
 * them, a hit writes no log row. */
#define WARM_UP 50

/* Open every fingerprint's ticket and take it past its first log rows;
 * 0, or -1 when that failed. */
static int warm_up(const char *loc)
{
	bt_db *db = NULL;
	int rc = BT_OK;

	if (bench_lib_open(loc, NULL, &db) != 0)
		return -1;
	for (int i = 0; rc == BT_OK && i < WARM_UP * fingerprints; i++)
		rc = log_call(db, i);
	if (rc == BT_OK)
		rc = bt_flush(db, -1);
	if (rc != BT_OK)
		bench_bt_fail("warm-up", rc);
	bt_close(db);
	return rc == BT_OK ? 0 : -1;
}

/* One row: @procs processes on @loc in @flags' mode.  Returns 0, or -1
 * when a call failed or the count is not exact. */
static int run_row(const char *transport, const char *loc, unsigned int flags, int procs,
		   int calls, PGconn *admin)
{
	int ready[2], gate[2], out[2], i, failed = 0;
	pid_t pids[MAX_PROCS];
	double p50 = 0, p99 = 0;
	uint64_t start, end;
	int64_t stmts = -1, got;
	char c;

	if (warm_up(loc) != 0 || pipe(ready) != 0 || pipe(gate) != 0 || pipe(out) != 0)
		return -1;
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(ready[0]);
			close(gate[1]);
			close(out[0]);
			run_process(loc, flags, calls, ready[1], gate[0], out[1]);
		}
	}
	close(ready[1]);
	close(gate[0]);
	close(out[1]);
	for (i = 0; i < procs; i++)
		if (read(ready[0], &c, 1) != 1)
			break;
	if (admin)
		server_statements(admin, 1);
	start = bench_mono_ns();
	close(gate[1]);
	for (i = 0; i < procs; i++) {
		proc_result r;

		if (read(out[0], &r, sizeof(r)) != sizeof(r) || !r.ok) {
			failed = 1;
			continue;
		}
		/* The row's latency: the worst process's percentiles. */
		if (r.p50_us > p50)
			p50 = r.p50_us;
		if (r.p99_us > p99)
			p99 = r.p99_us;
	}
	end = bench_mono_ns();
	for (i = 0; i < procs; i++)
		waitpid(pids[i], NULL, 0);
	close(ready[0]);
	close(out[0]);
	if (admin)
		stmts = server_statements(admin, 0);
	got = occurrences(loc);
	if (failed || bench_expect("occurrences", got,
					   (int64_t)procs * calls + (int64_t)WARM_UP * fingerprints) != 0) {
		fprintf(stderr, "%s: the %s %s row with %d processes failed\n", bench_prog, transport,
			flags ? "sync" : "async", procs);
		return -1;
	}
	char per_call[32] = "n/a";

	if (stmts >= 0)
		snprintf(per_call, sizeof(per_call), "%.2f", (double)stmts / ((double)procs * calls));
	printf("| %-10s | %-5s | %5d | %10.0f | %8.1f | %8.1f | %10s |\n", transport,
	       flags ? "sync" : "async", procs,
	       (double)procs * calls / ((double)(end - start) / 1e9), p50, p99, per_call);
	fflush(stdout);
	return 0;
}

static int pg_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	PQclear(r);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	config cfg = { 2000, 20000, 0, FINGERPRINTS };
	const char *port = getenv("PGPORT") ? getenv("PGPORT") : "5432";
	const char *dbname = getenv("PGDATABASE") ? getenv("PGDATABASE") : "postgres";
	const char *sockdir = getenv("BENCH_PG_SOCKET_DIR") ? getenv("BENCH_PG_SOCKET_DIR")
							      : "/var/run/postgresql";
	static const int PROCS[] = { 1, 8 };
	char dir_temp[PATH_MAX], loc[PATH_MAX * 2];
	const char *dir = NULL;
	PGconn *admin = NULL;
	int rc = 0, t, m, p, seq = 0;

	bench_prog = "bench_postgresql";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			cfg.quick = 1;
			cfg.calls_sync = 100;
			cfg.calls_async = 1000;
		} else if (strcmp(argv[i], "--fingerprints") == 0 && i + 1 < argc) {
			if (bench_parse_count("--fingerprints", argv[++i], MAX_FINGERPRINTS,
					      &cfg.fingerprints) != 0)
				return 2;
			fingerprints = cfg.fingerprints;
		} else {
			fprintf(stderr, "usage: bench_postgresql [--quick] [--fingerprints N]\n"
				"Capture through PostgreSQL (the server the PG* variables name) and\n"
				"SQLite side by side; see the comment at the top of bench_postgresql.c.\n");
			return strcmp(argv[i], "--help") == 0 ? 0 : 2;
		}
	}
	if (getenv("PGHOST") || getenv("PGPORT")) {
		admin = PQconnectdb("");
		if (PQstatus(admin) != CONNECTION_OK) {
			fprintf(stderr, "%s: %s", bench_prog, PQerrorMessage(admin));
			PQfinish(admin);
			admin = NULL;
		} else {
			pg_exec(admin, "SET client_min_messages = warning");
			if (pg_exec(admin, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements") != 0 ||
			    server_statements(admin, 0) < 0)
				fprintf(stderr, "%s: no pg_stat_statements on the server: statements "
					"per call not measured\n", bench_prog);
		}
	}
	if (!admin)
		fprintf(stderr, "%s: no PostgreSQL server (set the PG* variables): its rows are "
			"skipped\n", bench_prog);
	if (bench_open_dir(&dir, dir_temp, sizeof(dir_temp)) != 0)
		return 1;
	bench_print_machine();
	printf("\n%d calls a process (sync), %d (async), over %d fingerprints\n\n",
	       cfg.calls_sync, cfg.calls_async, cfg.fingerprints);
	printf("| transport  | mode  | procs |    calls/s | p50 (µs) | p99 (µs) | stmts/call |\n");
	printf("|------------|-------|-------|------------|----------|----------|------------|\n");
	for (t = 0; t < 3; t++) {
		const char *transport = t == 0 ? "sqlite" : t == 1 ? "pg tcp" : "pg unix";

		if (t > 0 && !admin)
			break;
		for (m = 0; m < 2; m++) {
			for (p = 0; p < 2; p++) {
				char name[64], sql[128];

				seq++;
				if (t == 0) {
					snprintf(name, sizeof(name), "bench-%d.db", seq);
					bench_path(loc, sizeof(loc), dir, name);
				} else {
					snprintf(name, sizeof(name), "bench_%d_%d", (int)getpid(), seq);
					snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", name);
					pg_exec(admin, sql);
					if (t == 1)
						snprintf(loc, sizeof(loc),
							 "postgresql://127.0.0.1:%s/%s?schema=%s", port,
							 dbname, name);
					else
						snprintf(loc, sizeof(loc),
							 "postgresql:///%s?host=%s&port=%s&schema=%s",
							 dbname, sockdir, port, name);
				}
				if (run_row(transport, loc, m == 0 ? BT_OPEN_SYNC : 0, PROCS[p],
					    m == 0 ? cfg.calls_sync : cfg.calls_async,
					    t > 0 ? admin : NULL) != 0)
					rc = 1;
				if (t > 0) {
					snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE",
						 name);
					pg_exec(admin, sql);
				} else if (bench_remove_db(loc) != 0) {
					rc = 1;
				}
			}
		}
	}
	if (admin)
		PQfinish(admin);
	bench_close_dir(dir, dir_temp);
	return rc;
}
