/*
 * test_checkpoint.c - BT_OPEN_HOST_CHECKPOINT and bt_db_checkpoint, on real
 * SQLite files, measured from outside (the sizes of the file and its WAL:
 * in WAL mode only a checkpoint writes the database file):
 *   - a handle with the flag lets its WAL grow past the usual 4,096 pages
 *     without writing the file, and bt_db_checkpoint on another handle
 *     writes it back;
 *   - past 16,384 pages a commit checkpoints anyway (the backstop);
 *   - two threads checkpointing in a loop while another writes: every
 *     call succeeds (the one that finds the other at work too) and every
 *     write is counted;
 *   - bad input: NULL, a read-only handle.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "check.h"

#define PAGE 4096
#define DESCRIPTION 32768 /* eight overflow pages a report */

static char description[DESCRIPTION + 1];

static long long size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static long long wal_size(const char *path)
{
	char wal[512];

	snprintf(wal, sizeof(wal), "%s-wal", path);
	return size_of(wal);
}

static bt_db *open_flags(const char *path, unsigned int flags)
{
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db = NULL;

	o.flags = flags;
	CHECK_RC(bt_open(&db, path, &o), BT_OK);
	return db;
}

static int report(bt_db *db, int i)
{
	bt_report r = BT_REPORT_INIT;
	char title[64];

	snprintf(title, sizeof(title), "checkpoint report %d", i);
	r.title = title;
	r.description = description;
	return bt_report_create(db, &r, NULL, NULL);
}

static void test_left_to_checkpoint(void)
{
	const char *path = check_path("left.db");
	bt_db *w = open_flags(path, BT_OPEN_SYNC | BT_OPEN_HOST_CHECKPOINT);
	bt_db *ck = open_flags(path, BT_OPEN_SYNC);
	int64_t log = 0, done = 0, again = 0;
	int i;

	/* Past the 4,096 pages at which a commit would have checkpointed. */
	for (i = 0; wal_size(path) < 5000LL * PAGE && i < 5000; i++)
		CHECK_RC(report(w, i), BT_OK);
	CHECK(wal_size(path) >= 5000LL * PAGE);
	CHECK(size_of(path) < 1 << 20);
	CHECK_RC(bt_db_checkpoint(ck, &log, &done), BT_OK);
	CHECK(log > 4096 && done == log);
	/* The file holds each page once, however often the WAL has it. */
	CHECK(size_of(path) >= (long long)i * DESCRIPTION);
	/* Nothing new: nothing to do, and still BT_OK. */
	CHECK_RC(bt_db_checkpoint(ck, &again, NULL), BT_OK);
	CHECK_INT_EQ(again, log);
	CHECK_RC(bt_db_checkpoint(w, NULL, NULL), BT_OK);
	bt_close(ck);
	bt_close(w);
}

static void test_backstop(void)
{
	const char *path = check_path("backstop.db");
	bt_db *w = open_flags(path, BT_OPEN_SYNC | BT_OPEN_HOST_CHECKPOINT);
	long long most = 0;
	int i;

	/* Nobody calls bt_db_checkpoint: the file stays empty until the WAL
	 * reaches 16,384 pages, and then a commit writes it back. */
	for (i = 0; size_of(path) < 1 << 20 && i < 4000; i++) {
		CHECK_RC(report(w, i), BT_OK);
		if (wal_size(path) > most)
			most = wal_size(path);
	}
	CHECK(size_of(path) >= 1 << 20);
	CHECK(most >= 16000LL * PAGE);
	bt_close(w);
}

typedef struct writer {
	const char *path;
	int n, failed;
	atomic_int done, bad;
} writer;

static void *write_main(void *arg)
{
	writer *wr = arg;
	bt_db *db = open_flags(wr->path, BT_OPEN_SYNC | BT_OPEN_HOST_CHECKPOINT);

	for (int i = 0; i < wr->n; i++)
		if (bt_log(db, BT_CRITICAL, "ckpt", "failure %d of the writer", i) != BT_OK)
			wr->failed++;
	bt_close(db);
	atomic_store(&wr->done, 1);
	return NULL;
}

/* A second checkpointer, on a handle of its own, until the writer ends:
 * two at once is the SQLITE_BUSY path, which is BT_OK. */
static void *checkpoint_main(void *arg)
{
	writer *wr = arg;
	bt_db *db = open_flags(wr->path, BT_OPEN_SYNC);

	while (!atomic_load(&wr->done))
		if (bt_db_checkpoint(db, NULL, NULL) != BT_OK)
			atomic_fetch_add(&wr->bad, 1);
	bt_close(db);
	return NULL;
}

static void test_concurrent(void)
{
	const char *path = check_path("concurrent.db");
	bt_db *ck = open_flags(path, BT_OPEN_SYNC);
	writer wr = { path, CHECK_UNDER_TSAN ? 300 : 3000, 0, 0, 0 };
	bt_ticket *tk = NULL;
	int64_t log = 0, done = 0;
	pthread_t t, t2;

	CHECK(pthread_create(&t, NULL, write_main, &wr) == 0);
	CHECK(pthread_create(&t2, NULL, checkpoint_main, &wr) == 0);
	while (!atomic_load(&wr.done))
		if (bt_db_checkpoint(ck, NULL, NULL) != BT_OK)
			atomic_fetch_add(&wr.bad, 1);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(pthread_join(t2, NULL) == 0);
	CHECK_INT_EQ(wr.failed, 0);
	CHECK_INT_EQ(atomic_load(&wr.bad), 0);
	/* Quiet now: one more call writes back all there is. */
	CHECK_RC(bt_db_checkpoint(ck, &log, &done), BT_OK);
	CHECK(log >= 0 && done == log);
	CHECK_RC(bt_ticket_get(ck, 1, &tk), BT_OK);
	CHECK_INT_EQ(bt_ticket_occurrence_count(tk), wr.n);
	bt_ticket_free(tk);
	bt_close(ck);
}

static void test_bad_input(void)
{
	const char *path = check_path("bad.db");
	bt_db *db = open_flags(path, BT_OPEN_SYNC);
	int64_t log = 7, done = 7;

	bt_close(db);
	CHECK_RC(bt_db_checkpoint(NULL, &log, &done), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "db is NULL");
	CHECK(log == -1 && done == -1);
	db = open_flags(path, BT_OPEN_READONLY);
	CHECK_RC(bt_db_checkpoint(db, NULL, NULL), BT_EREADONLY);
	CHECK_STR_CONTAINS(bt_error_message(), "read-only");
	bt_close(db);
}

int main(void)
{
	memset(description, 'd', DESCRIPTION);
	RUN(test_left_to_checkpoint);
	RUN(test_backstop);
	RUN(test_concurrent);
	RUN(test_bad_input);
	return check_finish();
}
