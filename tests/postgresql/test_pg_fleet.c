/*
 * test_pg_fleet.c - the fleet simulation of issue 15: HOSTS processes stand
 * for hosts (BT_CONTEXT_HOST "host-N"), each with THREADS threads, half
 * synchronous and half asynchronous, each thread with a handle (and so a
 * connection) of its own, as independent components of a service would
 * have; they log FPS errors (distinct components) while AGENTS agent
 * processes compete to claim and resolve the pending tickets, and the
 * server restarts once in the middle.  Resolved tickets that recur regress
 * and reopen: the same ticket, so the count stays FPS.
 *
 * Afterwards:
 *  - exactly FPS tickets, one per fingerprint, each from a "host-" host;
 *  - the sum of occurrence_count equals the acknowledged calls: a sync call
 *    that returned BT_OK, an async call that returned BT_OK and that the
 *    thread's final bt_flush (which must succeed once the server is back)
 *    confirmed; calls that failed during the restart count for nothing;
 *  - one holder per claim: walking each ticket's audit trail, a "claimed"
 *    event never finds another agent holding the ticket and always names
 *    the holder the trail says it had (its "from"), and no lease is taken
 *    over (leases outlast the test); a resolve with the token of a claim an
 *    agent won never meets BT_ECONFLICT; the "claimed" events number the
 *    claims that returned BT_OK (plus, at most, claims whose outcome the
 *    restart left unknown).
 * Without PG_CLUSTER_CONF_ROOT (not under pg_virtualenv -t) the restart is
 * skipped, saying so on stderr.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "../conformance/fixture.h"

#define HOSTS 8
#define THREADS 4          /* 0 .. THREADS/2-1 sync, the rest async */
#define FPS 20
#define AGENTS 2
#define RUN_MS 14000       /* how long the hosts log */
#define RESTART_AT_MS 6000
#define LEASE_S 600        /* outlasts the test: no lease expires */
#define BUSY_MS 5000
#define REAP_MS 45000      /* the hosts' final flushes, then they are killed */

static const conf_backend *pg;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What each process reports, in memory shared with the parent. */
typedef struct host_result {
	_Atomic int64_t acked, calls, sync_failed, async_refused, unconfirmed;
	_Atomic int open_failed, done;
} host_result;

typedef struct agent_result {
	int64_t claims_ok, claims_busy, claims_unknown, resolves_ok, resolve_conflict,
		resolve_failed, passes;
	int done;
} agent_result;

typedef struct shared {
	int64_t start_ms; /* monotonic: the same clock in every process */
	host_result hosts[HOSTS];
	agent_result agents[AGENTS];
} shared;

static shared *sh;
static char loc[512];

typedef struct thread_arg {
	int host, thread;
} thread_arg;

static void *host_thread(void *p)
{
	const thread_arg *a = p;
	host_result *r = &sh->hosts[a->host];
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	int sync = a->thread < THREADS / 2, i, rc;
	int64_t accepted = 0, end = sh->start_ms + RUN_MS, give_up;
	char host[32], comp[32];
	bt_db *db = NULL;

	opts.flags = sync ? BT_OPEN_SYNC : 0;
	opts.busy_timeout_ms = BUSY_MS;
	if (bt_open(&db, loc, &opts) != BT_OK) {
		fprintf(stderr, "host %d: bt_open: %s\n", a->host, bt_error_message());
		r->open_failed++;
		return NULL;
	}
	snprintf(host, sizeof(host), "host-%d", a->host);
	if (bt_context_set(db, BT_CONTEXT_HOST, host) != BT_OK)
		r->open_failed++;
	for (i = 0; mono_ms() < end; i++) {
		snprintf(comp, sizeof(comp), "fleet-%02d", (i * 7 + a->thread * 3 + a->host) % FPS);
		rc = bt_log(db, BT_CRITICAL, comp, "request failed: code %d", i % 50);
		r->calls++;
		if (sync) {
			if (rc == BT_OK)
				r->acked++;
			else
				r->sync_failed++; /* not acknowledged: must not be stored */
			usleep(rc == BT_OK ? 2000 : 50000);
		} else {
			if (rc == BT_OK)
				accepted++;
			else
				r->async_refused++; /* dropped (queue full): not accepted */
			/* Exercise bt_flush under the restart too; only the final
			 * one confirms (a failed flush loses nothing). */
			if (i % 50 == 49)
				(void)bt_flush(db, 1000);
			usleep(1000);
		}
	}
	if (!sync) {
		give_up = mono_ms() + 30000;
		while ((rc = bt_flush(db, 5000)) != BT_OK && mono_ms() < give_up)
			usleep(100 * 1000);
		if (rc == BT_OK) {
			r->acked += accepted;
		} else {
			fprintf(stderr, "host %d: final bt_flush: %s\n", a->host, bt_error_message());
			r->unconfirmed += accepted;
		}
	}
	bt_close(db);
	return NULL;
}

static int host_main(int host)
{
	pthread_t th[THREADS];
	thread_arg args[THREADS];
	int i;

	for (i = 0; i < THREADS; i++) {
		args[i].host = host;
		args[i].thread = i;
		if (pthread_create(&th[i], NULL, host_thread, &args[i]) != 0)
			return 2;
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	sh->hosts[host].done = 1;
	return 0;
}

/* An agent: take the pending tickets, claim each, resolve it with the
 * claim's token.  Both agents see the same queue, so they collide. */
static int agent_main(int n)
{
	agent_result *r = &sh->agents[n];
	bt_open_options opts = BT_OPEN_OPTIONS_INIT;
	int64_t end = sh->start_ms + RUN_MS + 1000;
	char name[32];
	bt_db *db = NULL;

	snprintf(name, sizeof(name), "agent-%d", n);
	opts.flags = BT_OPEN_SYNC;
	opts.busy_timeout_ms = BUSY_MS;
	if (bt_open(&db, loc, &opts) != BT_OK) {
		fprintf(stderr, "%s: bt_open: %s\n", name, bt_error_message());
		return 1;
	}
	while (mono_ms() < end) {
		int64_t ids[FPS * 2];
		bt_ticket_iter *it = NULL;
		bt_ticket *t;
		size_t k = 0, i;

		r->passes++;
		if (bt_ticket_pending(db, name, 0, FPS * 2, &it) == BT_OK) {
			while (k < FPS * 2 && bt_ticket_iter_next(it, &t) == BT_OK) {
				ids[k++] = bt_ticket_id(t);
				bt_ticket_free(t);
			}
		}
		bt_ticket_iter_free(it);
		for (i = 0; i < k; i++) {
			bt_update_options uo = BT_UPDATE_OPTIONS_INIT;
			char token[BT_CLAIM_TOKEN_SIZE];
			int rc = bt_ticket_claim(db, ids[i], name, LEASE_S, token);

			if (rc == BT_EBUSY) {
				r->claims_busy++; /* the other agent holds it, or the lock timed out */
				continue;
			}
			if (rc == BT_ESTATE)
				continue; /* resolved since the list was read */
			if (rc != BT_OK) {
				/* e.g. the restart: committed or not */
				if (r->claims_unknown++ == 0)
					fprintf(stderr, "%s: claim: %s (%s)\n", name, bt_error_message(),
						bt_error_backend_code());
				continue;
			}
			r->claims_ok++;
			usleep(2000); /* the "work" */
			uo.actor = name;
			uo.claim_token = token;
			rc = bt_ticket_resolve(db, ids[i], "fixed by the fleet test", NULL, NULL, &uo);
			if (rc == BT_OK)
				r->resolves_ok++;
			else if (rc == BT_ECONFLICT) {
				/* A claim this agent won is not live: two holders. */
				r->resolve_conflict++;
				fprintf(stderr, "%s: resolve %lld: %s\n", name, (long long)ids[i],
					bt_error_message());
			} else
				r->resolve_failed++;
		}
		usleep(20 * 1000);
	}
	bt_close(db);
	r->done = 1;
	return 0;
}


typedef struct trail_check {
	int64_t claimed_events, violations, regressions;
} trail_check;

/* Walk every ticket's trail in the feed's order, tracking each ticket's
 * holder.  The feed is in commit order (event ids are given under the
 * writer lock); a ticket's own trail is in created_at order, the time each
 * call began, which two agents waiting for the lock can see the other way
 * round: a claim and the resolve before it would look overlapped. */
static void check_trails(bt_db *db, trail_check *tc)
{
	struct { int64_t id; char holder[64]; } held[FPS * 4];
	size_t nheld = 0, k;
	bt_audit_iter *it = NULL;
	bt_audit_entry *e;

	CHECK_RC(bt_audit_feed(db, NULL, &it), BT_OK);
	while (it && bt_audit_iter_next(it, &e) == BT_OK) {
		const char *kind = bt_audit_entry_kind(e), *from = bt_audit_entry_from(e),
			   *to = bt_audit_entry_to(e);
		int64_t id = bt_audit_entry_ticket_id(e);
		char *holder = NULL;

		for (k = 0; k < nheld && !holder; k++)
			if (held[k].id == id)
				holder = held[k].holder;
		if (!holder && nheld < sizeof(held) / sizeof(held[0])) {
			held[nheld].id = id;
			held[nheld].holder[0] = '\0';
			holder = held[nheld++].holder;
		}
		CHECK(holder != NULL);
		if (!holder) {
			bt_audit_entry_free(e);
			break;
		}
		if (strcmp(kind, "claimed") == 0) {
			tc->claimed_events++;
			/* Only the holder itself may claim a held ticket again, and
			 * the event saw the holder the trail says. */
			if ((holder[0] && strcmp(holder, to ? to : "") != 0) ||
			    strcmp(holder, from ? from : "") != 0) {
				if (tc->violations++ < 3)
					fprintf(stderr, "ticket %lld: claimed by %s (from %s) while %s "
						"held it\n", (long long)id, to ? to : "-",
						from ? from : "-", holder[0] ? holder : "nobody");
			}
			snprintf(holder, 64, "%s", to ? to : "");
		} else if (strcmp(kind, "claim_taken_over") == 0) {
			if (tc->violations++ < 3)
				fprintf(stderr, "ticket %lld: lease taken over from %s\n", (long long)id,
					from ? from : "-");
			snprintf(holder, 64, "%s", to ? to : "");
		} else if (strcmp(kind, "claim_released") == 0) {
			holder[0] = '\0';
		} else if (strcmp(kind, "regressed") == 0) {
			tc->regressions++;
		}
		bt_audit_entry_free(e);
	}
	bt_audit_iter_free(it);
}

static void test_fleet(void)
{
	pid_t pids[HOSTS + AGENTS];
	int64_t acked = 0, calls = 0, sync_failed = 0, refused = 0, unconfirmed = 0;
	int64_t claims_ok = 0, claims_unknown = 0, busy = 0, resolves = 0, conflicts = 0;
	int64_t tickets = 0, stored = 0, regression_count = 0, deadline;
	int i, j, dups = 0;
	char fps[FPS][80];
	trail_check tc = { 0, 0, 0 };
	bt_ticket_iter *it = NULL;
	bt_ticket *t;
	bt_db *db = NULL;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED);
	if (sh == MAP_FAILED)
		return;
	memset(sh, 0, sizeof(*sh));
	CHECK(pg->make("fleet", loc, sizeof(loc)) == 0);
	/* Migrate first: the race of openers is pg_migrate_race's. */
	CHECK_RC(bt_open(&db, loc, NULL), BT_OK);
	bt_close(db);
	db = NULL;
	sh->start_ms = mono_ms();
	for (i = 0; i < HOSTS + AGENTS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(i < HOSTS ? host_main(i) : agent_main(i - HOSTS));
		CHECK(pids[i] > 0);
	}
	while (mono_ms() < sh->start_ms + RESTART_AT_MS)
		usleep(50 * 1000);
	if (getenv("PG_CLUSTER_CONF_ROOT")) {
		int64_t t0 = mono_ms();

		CHECK(conf_pg_cluster("restart") == 0);
		fprintf(stderr, "server restarted at %lld ms (took %lld ms)\n",
			(long long)(t0 - sh->start_ms), (long long)(mono_ms() - t0));
	} else {
		fprintf(stderr, "restart skipped: not under pg_virtualenv -t (no PG_CLUSTER_CONF_ROOT)\n");
	}
	deadline = sh->start_ms + RUN_MS + REAP_MS;
	for (i = 0; i < HOSTS + AGENTS; i++) {
		int status = 0;
		pid_t got;

		while ((got = waitpid(pids[i], &status, WNOHANG)) == 0 && mono_ms() < deadline)
			usleep(20 * 1000);
		if (got == 0) {
			fprintf(stderr, "%s %d hangs: killed\n", i < HOSTS ? "host" : "agent", i);
			kill(pids[i], SIGKILL);
			waitpid(pids[i], &status, 0);
		}
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	for (i = 0; i < HOSTS; i++) {
		host_result *r = &sh->hosts[i];

		CHECK(r->done);
		CHECK_INT_EQ(r->open_failed, 0);
		acked += r->acked;
		calls += r->calls;
		sync_failed += r->sync_failed;
		refused += r->async_refused;
		unconfirmed += r->unconfirmed;
	}
	for (i = 0; i < AGENTS; i++) {
		agent_result *r = &sh->agents[i];

		CHECK(r->done);
		claims_ok += r->claims_ok;
		claims_unknown += r->claims_unknown;
		busy += r->claims_busy;
		resolves += r->resolves_ok;
		conflicts += r->resolve_conflict;
	}

	CHECK_RC(bt_open(&db, loc, NULL), BT_OK);
	if (!db)
		return;
	CHECK_RC(bt_ticket_iter_new(db, NULL, &it), BT_OK);
	while (it && bt_ticket_iter_next(it, &t) == BT_OK) {
		const char *fp = bt_ticket_fingerprint(t), *host = bt_ticket_host(t);

		for (j = 0; j < tickets && j < FPS; j++)
			if (strcmp(fps[j], fp) == 0 && dups++ < 3)
				fprintf(stderr, "fingerprint %.16s has two tickets\n", fp);
		if (tickets < FPS)
			snprintf(fps[tickets], sizeof(fps[0]), "%s", fp);
		CHECK(host && strncmp(host, "host-", 5) == 0);
		tickets++;
		stored += bt_ticket_occurrence_count(t);
		regression_count += bt_ticket_regression_count(t);
		bt_ticket_free(t);
	}
	bt_ticket_iter_free(it);
	check_trails(db, &tc);
	bt_close(db);

	fprintf(stderr, "%lld calls: %lld acknowledged, %lld stored; %lld sync calls failed, "
		"%lld async refused, %lld unconfirmed\n", (long long)calls, (long long)acked,
		(long long)stored, (long long)sync_failed, (long long)refused,
		(long long)unconfirmed);
	fprintf(stderr, "%lld tickets, %lld regressions; claims: %lld won, %lld busy, %lld unknown, "
		"%lld claimed events, %lld resolved, %lld conflicts, %lld trail violations\n",
		(long long)tickets, (long long)regression_count, (long long)claims_ok,
		(long long)busy, (long long)claims_unknown, (long long)tc.claimed_events,
		(long long)resolves, (long long)conflicts, (long long)tc.violations);
	CHECK_INT_EQ(tickets, FPS);
	CHECK_INT_EQ(dups, 0);
	CHECK_INT_EQ(unconfirmed, 0);
	CHECK_INT_EQ(stored, acked);
	CHECK(acked > 0);
	CHECK_INT_EQ(tc.violations, 0);
	CHECK_INT_EQ(conflicts, 0);
	CHECK(tc.claimed_events >= claims_ok && tc.claimed_events <= claims_ok + claims_unknown);
	/* The agents' loop ran: tickets were resolved and came back. */
	CHECK(resolves > 0);
	CHECK(tc.regressions > 0);
	CHECK_INT_EQ(tc.regressions, regression_count);
	pg->drop(loc);
	munmap(sh, sizeof(*sh));
}

int main(void)
{
	int rc = conf_postgresql_or_skip(&pg);

	if (rc >= 0)
		return rc;
	RUN(test_fleet);
	return check_finish();
}
