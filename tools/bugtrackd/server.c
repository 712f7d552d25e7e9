/*
 * server.c - libmicrohttpd's setup and limits, and each request's life:
 * its body gathered under the size cap, its dispatch, its log line, and the
 * count of requests under way that a clean stop waits for.
 *
 * MHD runs a pool of worker threads, each an event loop over many
 * connections (epoll or poll): a slow or stalled client holds a connection
 * slot, never a worker, and the idle timeout (--timeout) closes it.  The
 * connection cap (--max-connections) bounds the slots.  Handlers only make
 * bounded calls (the database's busy timeout bounds a lock wait); the long
 * poll parks its connection (MHD's suspend/resume, routes_feed.c) instead
 * of waiting in a worker.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- a request's life ---- */

static request *request_new(server *s, struct MHD_Connection *conn, const char *url,
			    const char *method)
{
	request *r = calloc(1, sizeof(*r));
	size_t plen = strlen(API_PREFIX);

	if (!r)
		return NULL;
	r->srv = s;
	r->conn = conn;
	r->started_us = mono_us();
	snprintf(r->method, sizeof(r->method), "%s", method);
	/* Below the prefix for the API's routes; anything else whole, for the
	 * pages' routes only (router.c), so /tickets is not /api/v1/tickets. */
	r->api = strncmp(url, API_PREFIX, plen) == 0 && (url[plen] == '/' || url[plen] == '\0');
	if (r->api)
		r->path = strdup(url[plen] ? url + plen : "/");
	else
		r->path = strdup(url);
	if (!r->path) {
		free(r);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	s->inflight++;
	pthread_mutex_unlock(&s->lock);
	return r;
}

static void request_free(request *r)
{
	server *s = r->srv;

	free(r->path);
	free(r->body);
	free(r->arg);
	free(r->allow);
	free(r->location);
	free(r->set_cookie);
	free(r->next_cursor);
	free(r);
	pthread_mutex_lock(&s->lock);
	if (--s->inflight == 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
}

/* Append a piece of the body; past the cap, the rest is read and dropped
 * so that the 413 reaches a client that sent no Content-Length. */
static void body_append(request *r, const char *data, size_t size)
{
	char *grown;

	if (r->body_too_large || r->body_len + size > r->srv->cfg->max_body) {
		r->body_too_large = 1;
		return;
	}
	grown = realloc(r->body, r->body_len + size + 1);
	if (!grown) {
		r->body_too_large = 1;
		return;
	}
	memcpy(grown + r->body_len, data, size);
	r->body = grown;
	r->body_len += size;
	r->body[r->body_len] = '\0';
}

static int declared_too_large(request *r)
{
	const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;

	if (!cl)
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	return errno != 0 || n > r->srv->cfg->max_body;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	server *s = cls;
	request *r = *con_cls;

	(void)version;
	if (!r) {
		r = request_new(s, conn, url, method);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		/* Refused before a byte of the body is read. */
		if (declared_too_large(r)) {
			r->body_too_large = 1;
			return reply_error(r, HTTP_CONTENT_TOO_LARGE, "too_large",
					   "the body is larger than %zu bytes", s->cfg->max_body);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		body_append(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->body_too_large)
		return reply_error(r, HTTP_CONTENT_TOO_LARGE, "too_large",
				   "the body is larger than %zu bytes", s->cfg->max_body);
	return route_dispatch(r);
}

/* One line per request: client, method, path (never the query, nor a
 * header or a body: they may hold tokens), status, time taken. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode why)
{
	request *r = *con_cls;
	const union MHD_ConnectionInfo *ci;
	char addr[INET6_ADDRSTRLEN] = "?";
	char *path;

	(void)cls;
	if (!r)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
				  addr, sizeof(addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
				  addr, sizeof(addr));
	}
	if (r->srv->metrics)
		metrics_observe(r->srv->metrics, r->route, r->status, mono_us() - r->started_us);
	path = text_clean(r->path, 0);
	fprintf(stderr, "bugtrackd: %s %s %s %d %.1f ms%s\n", addr, r->method, path,
		r->status, (double)(mono_us() - r->started_us) / 1000.0,
		why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? ""
		: why == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " (timed out)" : " (aborted)");
	free(path);
	request_free(r);
	*con_cls = NULL;
}

/* ---- start and stop ---- */

/* "127.0.0.1:8080", "[::1]:8080", "localhost:8080" into @p ss. */
static int parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *colon = strrchr(text, ':');
	size_t n;
	int rc;

	if (!colon || colon == text || !colon[1])
		return -1;
	n = (size_t)(colon - text);
	if (text[0] == '[' && colon[-1] == ']') {
		text++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0 || !res)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* The whole of PEM file @p path, NUL-terminated (free()); NULL after
 * saying why on stderr. */
static char *read_pem(const char *opt, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];

	if (!f) {
		fprintf(stderr, "bugtrackd: --%s: %s: %s\n", opt, path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && len < (1u << 20)) {
		char *more = realloc(buf, len + n + 1);

		if (!more)
			break;
		buf = more;
		memcpy(buf + len, chunk, n);
		len += n;
		buf[len] = '\0';
	}
	if (ferror(f) || !buf) {
		fprintf(stderr, "bugtrackd: --%s: %s: cannot read it\n", opt, path);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* MHD with TLS when --tls-cert and --tls-key are given: it copies
 * neither, so they live in @p s until server_stop. */
static int tls_setup(server *s, unsigned int *flags)
{
	if (!s->cfg->tls_cert)
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		fprintf(stderr, "bugtrackd: this libmicrohttpd was built without TLS\n");
		return -1;
	}
	s->tls_cert = read_pem("tls-cert", s->cfg->tls_cert);
	s->tls_key = s->tls_cert ? read_pem("tls-key", s->cfg->tls_key) : NULL;
	if (!s->tls_key)
		return -1;
	*flags |= MHD_USE_TLS;
	return 0;
}

static void tls_free(server *s)
{
	free(s->tls_cert);
	free(s->tls_key);
	s->tls_cert = s->tls_key = NULL;
}

int server_start(server *s)
{
	const config *cfg = s->cfg;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	socklen_t len;

	if (parse_listen(cfg->listen, &ss, &len) != 0) {
		fprintf(stderr, "bugtrackd: --listen: '%s' is not ADDR:PORT\n", cfg->listen);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls_setup(s, &flags) != 0) {
		tls_free(s);
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	s->metrics = metrics_new();
	s->limiter = limiter_new(cfg->rate_limit);
	s->webhooks = webhooks_start(s);
	if (waiter_start(s) != 0) {
		webhooks_stop(s->webhooks);
		metrics_free(s->metrics);
		limiter_free(s->limiter);
		return -1;
	}
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
				  MHD_OPTION_CONNECTION_LIMIT, cfg->max_conns,
				  MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				  MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				  /* Ignored without MHD_USE_TLS; NULL ends the list
				   * early, so the TLS pair comes last. */
				  s->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
				  s->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, s->tls_key,
				  MHD_OPTION_END);
	if (!s->mhd) {
		fprintf(stderr, "bugtrackd: cannot listen on %s%s\n", cfg->listen,
			s->tls_cert ? " (or the TLS certificate and key were refused)" : "");
		waiter_stop(s);
		webhooks_stop(s->webhooks);
		metrics_free(s->metrics);
		limiter_free(s->limiter);
		tls_free(s);
		return -1;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	/* Tests start it on port 0 and read the port from this line. */
	fprintf(stderr, "bugtrackd: listening on %s (port %u%s), database %s\n", cfg->listen,
		info ? (unsigned int)info->port : 0u, s->tls_cert ? ", https" : "",
		cli_shown(bt_db_location(s->db)));
	return 0;
}

void server_stop(server *s)
{
	struct timespec until;
	MHD_socket fd;

	s->stopping = 1;
	/* New connections are refused from here; the open ones are served,
	 * each reply saying Connection: close. */
	fd = MHD_quiesce_daemon(s->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	waiter_wake_all(s);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += s->cfg->timeout_s;
	pthread_mutex_lock(&s->lock);
	while (s->inflight > 0 && pthread_cond_timedwait(&s->idle, &s->lock, &until) != ETIMEDOUT)
		;
	if (s->inflight > 0)
		fprintf(stderr, "bugtrackd: %u requests still under way after %u s; closing them\n",
			s->inflight, s->cfg->timeout_s);
	pthread_mutex_unlock(&s->lock);
	waiter_stop(s);
	webhooks_stop(s->webhooks);
	s->webhooks = NULL;
	MHD_stop_daemon(s->mhd);
	s->mhd = NULL;
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->lock);
	metrics_free(s->metrics);
	s->metrics = NULL;
	limiter_free(s->limiter);
	s->limiter = NULL;
	tls_free(s);
}
