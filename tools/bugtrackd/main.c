/*
 * main.c - bugtrackd's command line, its database handle, and its signals:
 * it runs in the foreground until SIGTERM or SIGINT, then finishes the
 * requests under way and closes the database (bt_close's bounded flush).
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static const char usage[] =
	"usage: bugtrackd --db LOCATION --listen ADDR:PORT [OPTIONS]\n\n"
	"Serve the bug database at LOCATION (a SQLite file or a postgresql:// URI)\n"
	"over HTTP: a JSON API under " API_PREFIX "/, and a status page for people at /\n"
	"(open /?token=TOKEN once).  Runs in the foreground, logs one line per\n"
	"request to stderr, and stops cleanly on SIGTERM or SIGINT.\n\n"
	"options:\n"
	"  --db LOCATION          the database (default: $BUGTRACK_DB, else\n"
	"                         ./bugtrack.db)\n"
	"  --listen ADDR:PORT     where to listen, e.g. 127.0.0.1:8080 or [::1]:8080\n"
	"                         (default 127.0.0.1:8080; port 0 picks a free one)\n"
	"  --threads N            worker threads (default 4)\n"
	"  --max-connections N    connections at once; more are refused (default 256)\n"
	"  --timeout SECONDS      a connection idle or slow this long is closed\n"
	"                         (default 10)\n"
	"  --max-body BYTES       larger request bodies get 413 (default 1048576)\n"
	"  --max-depth N          JSON nested deeper gets 400 (default 32)\n"
	"  --busy-timeout MS      a database locked this long gives 503 (default 2000)\n"
	"  --max-wait SECONDS     the longest long poll, GET /pending?wait= (default 60)\n"
	"  --rate-limit N         requests a second per token, with bursts of 2N; more\n"
	"                         get 429 and Retry-After (default 1000; 0: no limit)\n"
	"  --webhook URL          POST each event (new ticket, regression, 10th, 100th...\n"
	"                         occurrence, SLA breach) as JSON here; repeatable (8)\n"
	"  --webhook-secret-file FILE  sign webhooks: X-Bugtrack-Signature: sha256=HMAC\n"
	"                         of the body with the file's first line as the key\n"
	"  --notify-exec CMD      run CMD (sh -c) with each event's JSON on stdin\n"
	"  --tls-cert FILE        serve HTTPS with this PEM certificate (chain)...\n"
	"  --tls-key FILE         ...and this PEM private key (both, or neither: plain\n"
	"                         HTTP, e.g. behind a reverse proxy that does TLS)\n"
	"  --routes               print the routes served (METHOD PATH SCOPE) and exit\n"
	"  --version              print the version and exit\n"
	"  -h, --help             print this help\n";

enum { O_DB = 256, O_LISTEN, O_THREADS, O_MAXCONN, O_TIMEOUT, O_MAXBODY, O_MAXDEPTH,
       O_BUSY, O_MAXWAIT, O_VERSION, O_TLS_CERT, O_TLS_KEY, O_ROUTES,
       O_RATE, O_WEBHOOK, O_SECRET, O_EXEC };

static const struct option options[] = {
	{ "db", required_argument, NULL, O_DB },
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "max-connections", required_argument, NULL, O_MAXCONN },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "max-body", required_argument, NULL, O_MAXBODY },
	{ "max-depth", required_argument, NULL, O_MAXDEPTH },
	{ "busy-timeout", required_argument, NULL, O_BUSY },
	{ "max-wait", required_argument, NULL, O_MAXWAIT },
	{ "version", no_argument, NULL, O_VERSION },
	{ "routes", no_argument, NULL, O_ROUTES },
	{ "rate-limit", required_argument, NULL, O_RATE },
	{ "webhook", required_argument, NULL, O_WEBHOOK },
	{ "webhook-secret-file", required_argument, NULL, O_SECRET },
	{ "notify-exec", required_argument, NULL, O_EXEC },
	{ "tls-cert", required_argument, NULL, O_TLS_CERT },
	{ "tls-key", required_argument, NULL, O_TLS_KEY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int number(const char *opt, const char *text, long long min, long long max, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(text, &end, 10);
	if (errno || end == text || *end || *out < min || *out > max) {
		fprintf(stderr, "bugtrackd: --%s: '%s' is not a whole number from %lld to %lld\n",
			opt, text, min, max);
		return -1;
	}
	return 0;
}

/* The first line of @p path: the webhooks' HMAC key (kept out of argv,
 * where ps would show it). */
static int read_secret(config *cfg, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f || !fgets(line, sizeof(line), f)) {
		fprintf(stderr, "bugtrackd: --webhook-secret-file: %s: cannot read a line\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	free(cfg->webhook_secret);
	cfg->webhook_secret = *line ? strdup(line) : NULL;
	explicit_bzero(line, sizeof(line));
	return 0;
}

static int parse_option(config *cfg, int o, const char *arg)
{
	long long v = 0;
	int rc = 0;

	switch (o) {
	case O_DB:       cfg->db = arg; return 0;
	case O_LISTEN:   cfg->listen = arg; return 0;
	case O_TLS_CERT: cfg->tls_cert = arg; return 0;
	case O_TLS_KEY:  cfg->tls_key = arg; return 0;
	case O_EXEC:     cfg->notify_exec = arg; return 0;
	case O_WEBHOOK:
		if (cfg->nwebhooks == 8 || (strncmp(arg, "http://", 7) && strncmp(arg, "https://", 8))) {
			fprintf(stderr, "bugtrackd: --webhook: '%s' is not an http(s) URL, or there "
				"are more than 8\n", arg);
			return -1;
		}
		cfg->webhooks[cfg->nwebhooks++] = arg;
		return 0;
	case O_SECRET:   return read_secret(cfg, arg);
	case O_THREADS:  rc = number("threads", arg, 1, 256, &v); cfg->threads = (unsigned int)v; break;
	case O_MAXCONN:  rc = number("max-connections", arg, 1, 100000, &v); cfg->max_conns = (unsigned int)v; break;
	case O_TIMEOUT:  rc = number("timeout", arg, 1, 3600, &v); cfg->timeout_s = (unsigned int)v; break;
	case O_MAXBODY:  rc = number("max-body", arg, 1, 1 << 30, &v); cfg->max_body = (size_t)v; break;
	case O_MAXDEPTH: rc = number("max-depth", arg, 1, 1000, &v); cfg->max_depth = (int)v; break;
	case O_BUSY:     rc = number("busy-timeout", arg, 1, 600000, &v); cfg->busy_timeout_ms = (int)v; break;
	case O_MAXWAIT:  rc = number("max-wait", arg, 0, 3600, &v); cfg->max_wait_s = (int)v; break;
	case O_RATE:     rc = number("rate-limit", arg, 0, 1000000, &v); cfg->rate_limit = (unsigned int)v; break;
	default:         return -1;
	}
	return rc;
}

/* 0 to run, else the exit code + 1 (so --help exits 0). */
static int parse_args(config *cfg, int argc, char **argv)
{
	int o;

	while ((o = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (o == 'h') {
			fputs(usage, stdout);
			return 1;
		}
		if (o == O_ROUTES) {
			for (size_t i = 0; i < route_count(); i++) {
				const route *rt = route_at(i);

				printf("%s %s%s %s\n", rt->method, rt->page ? "" : API_PREFIX,
				       rt->pattern, route_scope_name(rt->scope));
			}
			return 1;
		}
		if (o == O_VERSION) {
			printf("bugtrackd %s (libbugtrack %s)\n", BT_VERSION_STRING, bt_version_string());
			return 1;
		}
		if (o == '?' || parse_option(cfg, o, optarg) != 0) {
			fprintf(stderr, "see 'bugtrackd --help'\n");
			return 3;
		}
	}
	if (!cfg->tls_cert != !cfg->tls_key) {
		fprintf(stderr, "bugtrackd: --tls-cert and --tls-key go together\n");
		return 3;
	}
	if (optind < argc) {
		fprintf(stderr, "bugtrackd: unexpected argument '%s'; see 'bugtrackd --help'\n", argv[optind]);
		return 3;
	}
	return 0;
}

/* Keep freed memory at the top of the heap instead of giving it back after
 * every request.  SQLite builds a small in-memory b-tree (86 KB) for each
 * CHECK (x IN (...)) a write evaluates, about 20 a claim-resolve cycle, and
 * frees it at once; glibc gave each back past its 128 KB trim threshold and
 * the next one faulted its pages in again.  That churn was half the cost of
 * a write: the 32-client claim-resolve row went from 1,340 to 2,500-3,250
 * requests/s without it.  Each arena keeps up to the threshold.  Setting
 * these ends glibc's sliding mmap threshold, so it is set too: blocks up to
 * 4 MB stay on the heap instead of being mapped and unmapped each time.
 * The process is the daemon's to tune; a library could not. */
static void keep_heap(void)
{
#if defined(M_TRIM_THRESHOLD) && defined(M_TOP_PAD) && defined(M_MMAP_THRESHOLD)
	(void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
	(void)mallopt(M_TOP_PAD, 16 << 20);
	(void)mallopt(M_MMAP_THRESHOLD, 4 << 20);
#endif
}

/* The daemon's handles on cfg->db.  @p async 0: synchronous, for every
 * route but ingest: a 2xx reply means committed, so that a SIGTERM or a
 * crash after the reply loses nothing acknowledged; and the
 * checkpointer's.  1: the library's default asynchronous mode, for POST
 * /occurrences, which still replies only after bt_flush (routes_ingest.c).
 * No commit of theirs checkpoints: the checkpointer does (checkpointer.c). */
static int open_db(const config *cfg, int async, bt_db **out)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	int rc;

	o.flags = (async ? 0 : BT_OPEN_SYNC) | BT_OPEN_HOST_CHECKPOINT;
	o.busy_timeout_ms = cfg->busy_timeout_ms;
	rc = bt_open(out, cfg->db, &o);
	if (rc != BT_OK)
		fprintf(stderr, "bugtrackd: %s: %s\n", cli_shown(bt_location_resolve(cfg->db)),
			without_function(bt_error_message()));
	return rc;
}

int main(int argc, char **argv)
{
	config cfg = { NULL, "127.0.0.1:8080", 4, 256, 10, 1 << 20, 32, 2000, 60, NULL, NULL, 1000, { NULL }, 0, NULL, NULL };
	server srv;
	bt_db *ckpt_db = NULL;
	sigset_t stop;
	int rc, sig;

	rc = parse_args(&cfg, argc, argv);
	if (rc) {
		free(cfg.webhook_secret);
		return rc - 1;
	}
	/* Every thread MHD starts inherits this mask: the signals come to
	 * sigwait below, never into a worker in the middle of a request. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Past a file size limit (RLIMIT_FSIZE, LimitFSIZE= in a unit) a write
	 * fails with EFBIG, which SQLite reports as a full disk: a 503, where
	 * SIGXFSZ would have killed the daemon. */
	signal(SIGXFSZ, SIG_IGN);

	keep_heap();
	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	if (open_db(&cfg, 0, &srv.db) != BT_OK || open_db(&cfg, 1, &srv.ingest) != BT_OK ||
	    /* PostgreSQL's server checkpoints by itself: no checkpointer, and
	     * no third connection for it. */
	    (!cli_is_server(bt_location_resolve(cfg.db)) && open_db(&cfg, 0, &ckpt_db) != BT_OK)) {
		bt_close(srv.ingest);
		bt_close(srv.db);
		free(cfg.webhook_secret);
		return 1;
	}
	/* Before the server: GET /metrics reads it. */
	srv.checkpointer = ckpt_db ? checkpointer_start(ckpt_db) : NULL;
	if (ckpt_db && !srv.checkpointer)
		fprintf(stderr, "bugtrackd: no checkpointer thread (out of resources): commits will "
			"checkpoint the WAL themselves at 64 MB\n");
	if (server_start(&srv) != 0) {
		checkpointer_stop(srv.checkpointer);
		bt_close(ckpt_db);
		bt_close(srv.ingest);
		bt_close(srv.db);
		free(cfg.webhook_secret);
		return 1;
	}
	fflush(stdout);
	while (sigwait(&stop, &sig) != 0)
		;
	fprintf(stderr, "bugtrackd: %s: stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	server_stop(&srv);
	checkpointer_stop(srv.checkpointer);
	/* Every ingest reply came after its flush: what is left is only what
	 * a request that failed to flush had queued. */
	bt_close(srv.ingest);
	bt_close(srv.db);
	bt_close(ckpt_db);
	free(cfg.webhook_secret);
	fprintf(stderr, "bugtrackd: stopped\n");
	return 0;
}
