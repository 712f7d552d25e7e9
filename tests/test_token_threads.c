/*
 * test_token_threads.c - bt_token_check from many threads while another
 * makes and revokes tokens: 4 threads share one handle and 2 have their own
 * (a daemon's workers), on a clock that passes a minute every few calls so
 * that last-use writes race the reads and the writer.  Every check of the
 * long-lived token succeeds with its name; a token checks from the moment
 * its create returned until its revoke began, and never once its revoke
 * returned; a guess never checks.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define SHARED_THREADS 4
#define OWN_THREADS 2
#define CHURN 150

enum { NOT_YET, LIVE, REVOKING, REVOKED };

static struct slot {
	char token[BT_TOKEN_SIZE];
	atomic_int state;
} slots[CHURN];

static atomic_int published;      /* slots whose token is written */
static atomic_int writer_done;
static atomic_llong clock_ms = 1800000000000LL;
static atomic_int failures;
static const char *path;
static char stable[BT_TOKEN_SIZE];
static bt_db *shared;

static int64_t ticking_clock(void *payload)
{
	(void)payload;
	return atomic_fetch_add(&clock_ms, 7000); /* a minute every 8-9 calls */
}

static bt_db *open_db(void)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;

	o.flags = BT_OPEN_SYNC;
	o.clock = ticking_clock;
	if (bt_open(&db, path, &o) != BT_OK) {
		fprintf(stderr, "open: %s\n", bt_error_message());
		exit(2);
	}
	return db;
}

static void fail(const char *what, int rc)
{
	fprintf(stderr, "%s: %d (%s) %s\n", what, rc, bt_strerror(rc), bt_error_message());
	atomic_fetch_add(&failures, 1);
}

static void *checker(void *arg)
{
	bt_db *db = arg ? arg : open_db();
	char name[BT_TOKEN_NAME_MAX + 1], guess[BT_TOKEN_SIZE];
	unsigned int scopes, seed = (unsigned int)(uintptr_t)&name;
	long checks = 0;
	int rc;

	memcpy(guess, stable, sizeof(guess));
	guess[30] = guess[30] == 'x' ? 'y' : 'x';
	while (!atomic_load(&writer_done) || checks < 200) {
		int n = atomic_load(&published), i, before, after;

		rc = bt_token_check(db, stable, &scopes, name, sizeof(name));
		if (rc != BT_OK || strcmp(name, "stable") != 0 || scopes != BT_SCOPE_AGENT)
			fail("the stable token", rc);
		rc = bt_token_check(db, guess, &scopes, name, sizeof(name));
		if (rc != BT_ENOTFOUND)
			fail("a guess", rc);
		if (n > 0) {
			i = (int)(rand_r(&seed) % (unsigned int)n);
			before = atomic_load(&slots[i].state);
			rc = bt_token_check(db, slots[i].token, &scopes, name, sizeof(name));
			after = atomic_load(&slots[i].state);
			if (before == LIVE && rc != BT_OK && after == LIVE)
				fail("a live token", rc);
			if (before == REVOKED && rc != BT_ENOTFOUND)
				fail("a revoked token", rc);
			if (rc == BT_OK && strncmp(name, "churn-", 6) != 0)
				fail("a churned token's name", rc);
		}
		checks++;
	}
	if (!arg)
		bt_close(db);
	return (void *)checks;
}

static void *writer(void *arg)
{
	bt_db *db = open_db();
	char name[32];
	int i, rc;

	(void)arg;
	for (i = 0; i < CHURN; i++) {
		snprintf(name, sizeof(name), "churn-%d", i % 10);
		rc = bt_token_create(db, name, BT_SCOPE_READ, slots[i].token, sizeof(slots[i].token));
		if (rc != BT_OK) {
			fail("create", rc);
			break;
		}
		atomic_store(&slots[i].state, LIVE);
		atomic_fetch_add(&published, 1);
		/* Each name is revoked before it is given again. */
		if (i >= 5) {
			int old = i - 5;

			atomic_store(&slots[old].state, REVOKING);
			snprintf(name, sizeof(name), "churn-%d", old % 10);
			rc = bt_token_revoke(db, name);
			if (rc != BT_OK)
				fail("revoke", rc);
			atomic_store(&slots[old].state, REVOKED);
		}
	}
	atomic_store(&writer_done, 1);
	bt_close(db);
	return NULL;
}

static void test_check_while_changing(void)
{
	pthread_t threads[SHARED_THREADS + OWN_THREADS], w;
	bt_db *setup;
	void *checks;
	int i;

	path = check_path("threads.db");
	setup = open_db();
	CHECK_RC(bt_token_create(setup, "stable", BT_SCOPE_AGENT, stable, sizeof(stable)), BT_OK);
	bt_close(setup);
	shared = open_db();
	for (i = 0; i < SHARED_THREADS + OWN_THREADS; i++)
		CHECK(pthread_create(&threads[i], NULL, checker,
				     i < SHARED_THREADS ? shared : NULL) == 0);
	CHECK(pthread_create(&w, NULL, writer, NULL) == 0);
	pthread_join(w, NULL);
	for (i = 0; i < SHARED_THREADS + OWN_THREADS; i++) {
		pthread_join(threads[i], &checks);
		CHECK((long)checks >= 200);
		fprintf(stderr, "checker %d: %ld rounds\n", i, (long)checks);
	}
	CHECK_INT_EQ(atomic_load(&failures), 0);
	CHECK_INT_EQ(atomic_load(&published), CHURN);
	bt_close(shared);
}

int main(void)
{
	RUN(test_check_while_changing);
	return check_finish();
}
