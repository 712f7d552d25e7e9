/*
 * bench_bugtrackd.c - bugtrackd under load (issue 16): its own load
 * generator, so that nothing but this file and the daemon is measured.
 *
 * It starts `bugtrackd` (the path is its first argument) on a fresh
 * SQLite file on a free loopback port, with no rate limit, makes an admin
 * token through the API, and runs each row: C client threads, each with
 * one kept-alive connection, sending one kind of request for a while.
 * Rows: GET /tickets/{id}; GET /tickets?limit=50; POST /occurrences in
 * batches of 100 (occurrences/s is 100 times requests/s), and one at a
 * time, as a service's error handler sends them; a claim-resolve
 * cycle (POST /tickets, claim, resolve: three requests).  Columns:
 * requests/s of the row, and the p50/p99 of one request.  It prints
 * figures and never fails on speed; it fails when a request fails.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bugtrack.h>

#include "common.h"

#define MAX_CLIENTS 32
#define MAX_LAT 2000000

typedef enum kind { GET_ONE, GET_LIST, INGEST, INGEST_ONE, CYCLE } kind;

static int port;
static char auth[BT_TOKEN_SIZE + 32];
static double seconds = 3.0;
static char ingest_body[32768];
static const char *const row_names[] = { "get", "list", "ingest", "ingest1", "cycle" };
static const char *only; /* --row: the one row kind to run */

static int usage(void)
{
	fprintf(stderr, "usage: bench_bugtrackd BUGTRACKD [--quick] [--row get|list|ingest|ingest1|cycle]\n");
	return 2;
}

static int row_kind_known(const char *name)
{
	for (size_t k = 0; k < sizeof(row_names) / sizeof(row_names[0]); k++)
		if (strcmp(name, row_names[k]) == 0)
			return 1;
	return 0;
}

typedef struct client {
	kind k;
	int id;
	uint64_t *lat;
	size_t n, cap;
	int failed;
	pthread_barrier_t *barrier;
	uint64_t until_ns;
} client;

/* Send one request and read its reply on @fd; the status, or -1. */
static int request(int fd, const char *method, const char *path, const char *body,
		   char *reply, size_t size)
{
	char head[512];
	size_t blen = body ? strlen(body) : 0, got = 0, need = 0;
	int n = snprintf(head, sizeof(head),
			 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\nContent-Length: %zu\r\n"
			 "Content-Type: application/json\r\n\r\n", method, path, auth, blen);

	if (write(fd, head, (size_t)n) != n || (blen && write(fd, body, blen) != (ssize_t)blen))
		return -1;
	for (;;) {
		char *end;
		ssize_t r = read(fd, reply + got, size - 1 - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
		reply[got] = '\0';
		end = strstr(reply, "\r\n\r\n");
		if (end && !need) {
			char *cl = strcasestr(reply, "Content-Length:");

			need = (size_t)(end - reply) + 4 + (cl ? strtoul(cl + 15, NULL, 10) : 0);
		}
		if (need && got >= need)
			return atoi(reply + 9);
		if (got >= size - 1)
			return -1;
	}
}

static int connect_local(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* request(), its latency kept in @c: a cycle's three requests count as
 * three, as its requests/s does. */
static int timed(client *c, int fd, const char *method, const char *path, const char *body,
		 char *reply, size_t size)
{
	uint64_t t0 = bench_mono_ns();
	int st = request(fd, method, path, body, reply, size);

	if (c->n < c->cap)
		c->lat[c->n++] = bench_mono_ns() - t0;
	return st;
}

/* One unit of work of @c's kind; 0, or -1 after a failed request. */
static int one(client *c, int fd, char *buf, size_t size, int i)
{
	char path[128], body[256];
	int st;

	switch (c->k) {
	case GET_ONE:
		return timed(c, fd, "GET", "/api/v1/tickets/1", NULL, buf, size) == 200 ? 0 : -1;
	case GET_LIST:
		return timed(c, fd, "GET", "/api/v1/tickets?limit=50", NULL, buf, size) == 200 ? 0 : -1;
	case INGEST:
		return timed(c, fd, "POST", "/api/v1/occurrences", ingest_body, buf, size) == 201 ? 0
			: -1;
	case INGEST_ONE: /* what a service sends from its error handler */
		snprintf(body, sizeof(body), "{\"level\": \"critical\", \"component\": \"c%d\", "
			 "\"message\": \"upstream %d refused\"}", i % 20, i);
		return timed(c, fd, "POST", "/api/v1/occurrences", body, buf, size) == 201 ? 0 : -1;
	case CYCLE:
		snprintf(body, sizeof(body), "{\"title\": \"cycle %d of client %d\"}", i, c->id);
		if (timed(c, fd, "POST", "/api/v1/tickets", body, buf, size) != 201)
			return -1;
		{
			char *num = strstr(buf, "\"number\": \""), *tok;
			char number[32] = "", claim[80] = "";

			if (!num || sscanf(num + 11, "%31[^\"]", number) != 1)
				return -1;
			snprintf(path, sizeof(path), "/api/v1/tickets/%s/claim", number);
			if (timed(c, fd, "POST", path, "{\"agent\": \"bench\"}", buf, size) != 200 ||
			    !(tok = strstr(buf, "\"claim_token\": \"")) ||
			    sscanf(tok + 16, "%79[^\"]", claim) != 1)
				return -1;
			snprintf(body, sizeof(body), "{\"notes\": \"done\", \"commit\": \"abc\", "
				 "\"token\": \"%s\"}", claim);
			snprintf(path, sizeof(path), "/api/v1/tickets/%s/resolve", number);
			st = timed(c, fd, "POST", path, body, buf, size);
			return st == 200 ? 0 : -1;
		}
	}
	return -1;
}

static void *client_main(void *arg)
{
	client *c = arg;
	size_t size = 1 << 20;
	char *buf = malloc(size);
	int fd = connect_local(), i = 0;

	if (bench_barrier_wait(c->barrier) != 0 || fd < 0 || !buf) {
		c->failed = 1;
		goto out;
	}
	while (bench_mono_ns() < c->until_ns && c->n < c->cap) {
		if (one(c, fd, buf, size, i++) != 0) {
			fprintf(stderr, "%s: request failed: %.300s\n", bench_prog, buf);
			c->failed = 1;
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static const char *const names[] = { "GET /tickets/{id}", "GET /tickets?limit=50",
				     "POST /occurrences x100", "POST /occurrences x1",
				     "claim-resolve cycle" };

static int row(kind k, int nclients)
{
	static client cs[MAX_CLIENTS];
	pthread_barrier_t barrier;
	uint64_t start, end, total = 0, *all;
	double p50, p99;
	size_t n = 0;
	int failed;

	for (int i = 0; i < nclients; i++) {
		cs[i] = (client){ .k = k, .id = i, .cap = MAX_LAT / (size_t)nclients,
				  .barrier = &barrier };
		cs[i].lat = malloc(cs[i].cap * sizeof(uint64_t));
		cs[i].until_ns = bench_mono_ns() + (uint64_t)(seconds * 1e9) + 200000000ull;
	}
	start = bench_mono_ns();
	failed = bench_run_threads(nclients, client_main, cs, sizeof(cs[0]), &barrier) != 0;
	end = bench_mono_ns();
	for (int i = 0; i < nclients; i++) {
		total += cs[i].n;
		failed |= cs[i].failed || !cs[i].n;
	}
	all = malloc((total ? total : 1) * sizeof(uint64_t));
	for (int i = 0; i < nclients; i++) {
		memcpy(all + n, cs[i].lat, cs[i].n * sizeof(uint64_t));
		n += cs[i].n;
		free(cs[i].lat);
	}
	bench_percentiles(all, n, &p50, &p99);
	free(all);
	printf("| %-24s | %7d | %10.0f | %8.0f | %8.0f |\n", names[k], nclients,
	       (double)total / ((double)(end - start) / 1e9), p50, p99);
	fflush(stdout);
	return failed ? -1 : 0;
}

/* Start bugtrackd on @db; its pid, with the port it chose in @port. */
static pid_t start_daemon(const char *exe, const char *db)
{
	int fds[2];
	pid_t pid;
	char line[512];
	FILE *f;

	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		execl(exe, exe, "--db", db, "--listen", "127.0.0.1:0", "--rate-limit", "0",
		      "--threads", "2", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "(port ");

		if (p) {
			port = atoi(p + 6);
			break;
		}
	}
	/* Its request log goes on into the pipe: drain it away. */
	if (fork() == 0) {
		while (f && fgets(line, sizeof(line), f))
			;
		_exit(0);
	}
	if (f)
		fclose(f);
	return port ? pid : -1;
}

int main(int argc, char **argv)
{
	static const int clients[] = { 1, 32 };
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char dir[] = "/tmp/bench-bugtrackd-XXXXXX", db[64], path[80], token[BT_TOKEN_SIZE];
	bt_db *h = NULL;
	pid_t pid;
	int rc = 0;

	bench_prog = "bench_bugtrackd";
	if (argc < 2)
		return usage();
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			seconds = 0.3;
		} else if (strcmp(argv[i], "--row") == 0 && i + 1 < argc) {
			only = argv[++i];
			if (!row_kind_known(only))
				return usage();
		} else {
			return usage();
		}
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/bench.db", dir);
	if (bench_lib_open(db, NULL, &h) != 0 ||
	    bt_token_create(h, "bench", BT_SCOPE_ADMIN, token, sizeof(token)) != BT_OK ||
	    bt_log(h, BT_CRITICAL, "bench", "the first ticket") != BT_OK)
		return bench_bt_fail("setting up", BT_EINVALID);
	bt_close(h);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	{
		size_t len = 0;

		len += (size_t)snprintf(ingest_body + len, sizeof(ingest_body) - len, "[");
		for (int i = 0; i < 100; i++)
			len += (size_t)snprintf(ingest_body + len, sizeof(ingest_body) - len,
						"%s{\"level\": \"critical\", \"component\": \"c%d\", "
						"\"message\": \"upstream %d refused\"}", i ? ", " : "",
						i % 20, i);
		snprintf(ingest_body + len, sizeof(ingest_body) - len, "]");
	}
	signal(SIGPIPE, SIG_IGN);
	pid = start_daemon(argv[1], db);
	if (pid < 0) {
		fprintf(stderr, "bench_bugtrackd: bugtrackd did not start\n");
		return 1;
	}
	printf("bugtrackd over loopback, SQLite, %.1f s a row, its own load generator\n\n", seconds);
	printf("| request                  | clients | requests/s | p50 (µs) | p99 (µs) |\n");
	printf("|--------------------------|---------|------------|----------|----------|\n");
	for (int k = GET_ONE; k <= CYCLE && rc == 0; k++) {
		if (only && strcmp(only, row_names[k]) != 0)
			continue;
		for (size_t c = 0; c < sizeof(clients) / sizeof(clients[0]) && rc == 0; c++)
			rc = row((kind)k, clients[c]);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	/* The file is only the benchmark's: it went in /tmp, a few MB a run. */
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffixes[i]);
		unlink(path);
	}
	rmdir(dir);
	return rc ? 1 : 0;
}
