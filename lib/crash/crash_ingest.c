/*
 * crash_ingest.c - turning the crash spool into tickets: reading the spool,
 * and storing each record exactly once.  The format itself (splitting,
 * parsing, normalizing frames) is read by crash_parse.c.
 *
 * Exactly once: every record is remembered by a hash of its bytes (each
 * holds its pid, tid and nanosecond time, so two crashes never share one),
 * claimed in the same write transaction that stores its occurrence.  A
 * crash during ingestion rolls both back; a second process ingesting at
 * the same time waits for the write lock and then finds the records
 * claimed.  The spool is removed after the commit, and only while we hold
 * an exclusive flock on it, which no process with the handler installed
 * lets us take (they hold a shared one for their whole life).
 *
 * Any size, bounded memory: the spool is read in windows of WINDOW bytes,
 * at most WINDOW_CHUNKS records each, every window in its own transaction.
 * A window ends before a record it cuts (records are at most 48 KiB, far
 * less than a window), and the next window starts there.  Each window's
 * transaction also advances the mark (crash_spool_mark): the spool's
 * device, inode, a hash of its first bytes and the offset up to which
 * everything is stored.  While a live process keeps the spool, an open
 * reads only what was appended after the mark, instead of the whole file
 * again.  The mark is a shortcut, not the guarantee: the claims are.  A
 * mark that does not match the file (another file at a reused inode, a
 * truncated file, a peer that moved it back) only means reading from an
 * earlier offset and finding those records claimed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crash.h"
#include "crash_parse.h"
#include "db.h"
#include "fingerprint.h"
#include "landing.h"
#include "occurrence.h"
#include "text.h"
#include "versioned.h"

#define WINDOW ((size_t)4 << 20) /* the bytes read and stored at once */
#define WINDOW_CHUNKS 4096       /* and the records */
#define HEAD 4096                /* bytes hashed to know the file again */

int bti_crash_spool_path(const bt_db *db, char *buf, size_t size, int create)
{
	return bti_location_spool(db->path, buf, size, create);
}

/* ---- turning a record into an occurrence ---- */

static const char *signal_name(long long sig, const char **what)
{
	switch (sig) {
	case 11: *what = "segmentation fault"; return "SIGSEGV";
	case 7:  *what = "bus error"; return "SIGBUS";
	case 4:  *what = "illegal instruction"; return "SIGILL";
	case 8:  *what = "floating-point exception"; return "SIGFPE";
	case 6:  *what = "abort"; return "SIGABRT";
	default: *what = "signal"; return "SIGNAL";
	}
}

/* Everything the occurrence of one record owns. */
typedef struct crash_text {
	char *input, *stack, *message, *title, *context;
	char *ctx[4];
} crash_text;

static void crash_text_free(crash_text *t)
{
	bti_free(t->input);
	bti_free(t->stack);
	bti_free(t->message);
	bti_free(t->title);
	bti_free(t->context);
	for (int i = 0; i < 4; i++)
		bti_free(t->ctx[i]);
}

/* Append @s to the growing string *@buf; 0 on out of memory. */
static int append(char **buf, size_t *len, const char *s, size_t n)
{
	char *grown = bti_realloc(*buf, *len + n + 1);

	if (!grown)
		return 0;
	memcpy(grown + *len, s, n);
	*len += n;
	grown[*len] = '\0';
	*buf = grown;
	return 1;
}

static int build_text_in(const bti_crash_record *r, crash_text *t, char fp[BT_FINGERPRINT_SIZE],
			 char frames[BTI_CRASH_RECORD_FRAMES][BTI_CRASH_FRAME_TEXT])
{
	const char *what, *sig = signal_name(r->sig, &what);
	size_t in_len = 0, st_len = 0;
	char line[256];
	int n = bti_crash_normalize_frames(r, frames), ok = 1;

	snprintf(line, sizeof(line), "crash\nsignal=%s", sig);
	ok = append(&t->input, &in_len, line, strlen(line));
	for (int i = 0; ok && i < n && i < r->hashed; i++)
		ok = append(&t->input, &in_len, "\nframe=", 7) &&
		     append(&t->input, &in_len, frames[i], strlen(frames[i]));
	/* The stack: every normalized frame (* = hashed), then the raw symbols. */
	for (int i = 0; ok && i < n; i++)
		ok = append(&t->stack, &st_len, i < r->hashed ? "* " : "  ", 2) &&
		     append(&t->stack, &st_len, frames[i], strlen(frames[i])) &&
		     append(&t->stack, &st_len, "\n", 1);
	ok = ok && append(&t->stack, &st_len, "--\n", 3);
	for (int i = 0; ok && i < r->nsyms; i++)
		ok = append(&t->stack, &st_len, r->sym[i].p, r->sym[i].n) &&
		     append(&t->stack, &st_len, "\n", 1);
	if (!ok)
		return BT_ENOMEM;
	bti_hash128_hex(t->input, in_len, fp);

	snprintf(line, sizeof(line), "%s (%s, si_code %lld) at address 0x%llx in %.*s", sig, what,
		 r->code, r->addr, BTI_CRASH_FRAME_TEXT, n ? frames[0] : "?");
	t->message = bti_text_clean(line, strlen(line), 0, NULL);
	snprintf(line, sizeof(line), "Crash: %s in %.*s", sig, BTI_CRASH_FRAME_TEXT, n ? frames[0] : "?");
	t->title = bti_text_clean(line, strlen(line), 0, NULL);
	snprintf(line, sizeof(line), "{\"signal\":%lld,\"si_code\":%lld,\"fault_address\":\"0x%llx\","
		 "\"pc\":\"0x%llx\",\"pid\":%lld,\"tid\":%lld}", r->sig, r->code, r->addr, r->pc,
		 r->pid, r->tid);
	t->context = bti_strdup(line);
	/* The stack's bytes come from the spool: make them valid text. */
	char *clean = bti_text_clean(t->stack, st_len, 0, NULL);
	bti_free(t->stack);
	t->stack = clean;
	for (int i = 0; i < 4; i++)
		if (r->context[i].p && r->context[i].n &&
		    !(t->ctx[i] = bti_text_clean(r->context[i].p, r->context[i].n, 1024, NULL)))
			ok = 0;
	if (!ok || !t->message || !t->title || !t->context || !t->stack)
		return BT_ENOMEM;
	return BT_OK;
}

/* The frames' text (about 10 KiB) is allocated per call, not static:
 * threads ingesting through different handles would share it. */
static int build_text(const bti_crash_record *r, crash_text *t, char fp[BT_FINGERPRINT_SIZE])
{
	char (*frames)[BTI_CRASH_FRAME_TEXT] =
		bti_malloc(sizeof(char[BTI_CRASH_RECORD_FRAMES][BTI_CRASH_FRAME_TEXT]));
	int rc;

	memset(t, 0, sizeof(*t));
	if (!frames)
		return BT_ENOMEM;
	rc = build_text_in(r, t, fp, frames);
	bti_free(frames);
	return rc;
}

static int store_crash(bt_db *db, const bti_crash_record *r)
{
	char fp[BT_FINGERPRINT_SIZE];
	const char *sig_what, *sig;
	bti_occurrence o;
	bti_landing landing;
	crash_text t;
	int rc = build_text(r, &t, fp);

	if (rc != BT_OK) {
		crash_text_free(&t);
		return bti_error(rc, "bt_crash_ingest: out of memory");
	}
	sig = signal_name(r->sig, &sig_what);
	memset(&o, 0, sizeof(o));
	o.now = r->time > 0 ? r->time : bti_db_now(db);
	o.store_log = 1;
	o.make_ticket = 1;
	o.dedup_window_ms = db->cfg.dedup_window_ms;
	o.log_rows_per_ticket = db->cfg.log_rows_per_ticket;
	o.fingerprint = fp;
	o.grouping_input = t.input;
	o.grouping_version = BTI_GROUPING_VERSION;
	o.level = BT_CRITICAL;
	o.component = "crash";
	o.message = t.message;
	o.message_template = t.title;
	o.error_type = sig;
	o.error_code = (int)r->sig;
	o.stack_trace = t.stack;
	o.context = t.context;
	o.pid = (long)r->pid;
	o.title = t.title;
	o.severity = "critical";
	o.priority = "high";
	o.source = "system";
	o.release = t.ctx[1];
	rc = bti_occurrence_stamp(db, &o, 1, "bt_crash_ingest");
	/* The crashed process's context, not this one's. */
	if (t.ctx[0])
		o.service = t.ctx[0];
	if (t.ctx[2])
		o.environment = t.ctx[2];
	if (t.ctx[3])
		o.host = t.ctx[3];
	if (rc == BT_OK)
		rc = bti_land_record_in(db->store, &o, &landing);
	crash_text_free(&t);
	return rc;
}

static int store_damaged(bt_db *db, int64_t offset, size_t len)
{
	char message[160];
	bti_occurrence o;
	bti_landing landing;

	snprintf(message, sizeof(message), "crash spool: skipped a damaged record of %zu bytes at "
		 "offset %lld (cut short, or not a record)", len, (long long)offset);
	memset(&o, 0, sizeof(o));
	o.now = bti_db_now(db);
	o.store_log = 1;
	o.level = BT_WARNING;
	o.component = "crash";
	o.message = message;
	o.pid = db->cfg.pid;
	return bti_land_record_in(db->store, &o, &landing);
}

/* ---- the spool ---- */

/* Read up to @len bytes at @offset; returns how many, or -1. */
static ssize_t read_at(int fd, char *buf, size_t len, int64_t offset)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, (off_t)offset + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* The mark for the spool @fd (@st) up to @offset. */
static int make_mark(int fd, const struct stat *st, int64_t offset, bti_crash_mark *m)
{
	char head[HEAD];
	size_t n = offset < HEAD ? (size_t)offset : HEAD;

	m->dev = (int64_t)st->st_dev;
	m->ino = (int64_t)st->st_ino;
	m->offset = offset;
	if (read_at(fd, head, n, 0) != (ssize_t)n)
		return bti_error(BT_EIO, "bt_crash_ingest: cannot read the spool: %s", strerror(errno));
	bti_hash128_hex(head, n, m->head);
	return BT_OK;
}

/* Where to start reading: the mark's offset if it is this file's. */
static int64_t start_offset(bt_db *db, int fd, const struct stat *st)
{
	bti_crash_mark stored, now;
	int rc = bti_db_lock(db, "bt_crash_ingest");

	if (rc != BT_OK)
		return 0;
	rc = bti_store_crash_mark_get(db->store, &stored);
	bti_db_unlock(db);
	if (rc != BT_OK || stored.dev != (int64_t)st->st_dev || stored.ino != (int64_t)st->st_ino ||
	    stored.offset <= 0 || stored.offset > (int64_t)st->st_size ||
	    make_mark(fd, st, stored.offset, &now) != BT_OK || strcmp(now.head, stored.head) != 0)
		return 0;
	return stored.offset;
}

/* Store the chunks @c of the window @p (at spool offset @base) and the
 * mark @m in one transaction. */
static int ingest_chunks(bt_db *db, const char *p, int64_t base, const bti_crash_chunk *c,
			 size_t n, const bti_crash_mark *m, bt_crash_ingest_result *res)
{
	bti_crash_record *r = bti_malloc(sizeof(*r));
	int rc = r ? bti_store_begin(db->store) : bti_error(BT_ENOMEM, "bt_crash_ingest: out of memory");

	for (size_t i = 0; rc == BT_OK && i < n; i++) {
		char hash[BT_FINGERPRINT_SIZE];
		int fresh = 0, good;

		bti_hash128_hex(p + c[i].start, c[i].len, hash);
		rc = bti_store_crash_claim(db->store, hash, bti_db_now(db), &fresh);
		if (rc != BT_OK)
			break;
		if (!fresh) {
			res->duplicates += c[i].complete;
			continue;
		}
		good = c[i].complete && bti_crash_parse_record(p + c[i].start, c[i].len, r);
		if (good) {
			rc = store_crash(db, r);
			res->ingested += rc == BT_OK;
		} else {
			rc = store_damaged(db, base + (int64_t)c[i].start, c[i].len);
			res->damaged += rc == BT_OK;
		}
	}
	if (rc == BT_OK)
		rc = bti_store_crash_mark_set(db->store, m);
	if (rc == BT_OK)
		rc = bti_store_commit(db->store);
	else if (r)
		bti_store_rollback(db->store);
	bti_free(r);
	return rc;
}

/* The chunks of the window @buf (@got bytes) to store now; *end_out is
 * where they end.  A record the window's end may have cut waits for the
 * next window, and at the spool's end an incomplete one waits for its
 * live writer unless nobody can be writing (@exclusive). */
static size_t window_chunks(const char *buf, size_t got, int at_end, int exclusive,
			    bti_crash_chunk *chunks, size_t *end_out)
{
	size_t n = bti_crash_split(buf, got, chunks, WINDOW_CHUNKS);

	if (n > 1 && !at_end && chunks[n - 1].start + chunks[n - 1].len == got)
		n--;
	if (n && at_end && !chunks[n - 1].complete && !exclusive &&
	    chunks[n - 1].start + chunks[n - 1].len == got)
		n--;
	*end_out = n ? chunks[n - 1].start + chunks[n - 1].len : 0;
	return n;
}

/* Ingest the spool @fd (@st) from @offset on, window by window.  Returns
 * BT_OK and sets *all_out when everything up to the end is stored. */
static int ingest_from(bt_db *db, int fd, const struct stat *st, int64_t offset, int exclusive,
		       bt_crash_ingest_result *res, int *all_out)
{
	int64_t size = (int64_t)st->st_size;
	char *buf = bti_malloc(WINDOW);
	bti_crash_chunk *chunks = bti_calloc(WINDOW_CHUNKS, sizeof(*chunks));
	int rc = buf && chunks ? BT_OK : bti_error(BT_ENOMEM, "bt_crash_ingest: out of memory");

	*all_out = offset >= size;
	while (rc == BT_OK && offset < size) {
		size_t want = size - offset < (int64_t)WINDOW ? (size_t)(size - offset) : WINDOW, end, n;
		ssize_t got = read_at(fd, buf, want, offset);
		int at_end = got >= 0 && offset + got >= size;
		bti_crash_mark m;

		if (got <= 0) {
			if (got < 0)
				rc = bti_error(BT_EIO, "bt_crash_ingest: cannot read the spool: %s",
					       strerror(errno));
			break; /* shorter than it was: someone else removed it */
		}
		n = window_chunks(buf, (size_t)got, at_end, exclusive, chunks, &end);
		/* Only blanks, or only a record still being written. */
		if (n == 0) {
			*all_out = at_end && exclusive;
			break;
		}
		rc = make_mark(fd, st, offset + (int64_t)end, &m);
		/* The write lock only for something to store: an open with an
		 * empty spool held by a live process must not wait for peers. */
		if (rc == BT_OK)
			rc = bti_db_lock(db, "bt_crash_ingest");
		if (rc == BT_OK) {
			rc = ingest_chunks(db, buf, offset, chunks, n, &m, res);
			bti_db_unlock(db);
		}
		offset += (int64_t)end;
		*all_out = rc == BT_OK && offset >= size;
	}
	bti_free(buf);
	bti_free(chunks);
	return rc;
}

int bt_crash_ingest(bt_db *db, bt_crash_ingest_result *out)
{
	bt_crash_ingest_result res = BT_CRASH_INGEST_RESULT_INIT;
	char path[PATH_MAX];
	struct stat st;
	int fd, exclusive, all = 0, rc;

	if (!db)
		return bti_error(BT_EINVALID, "bt_crash_ingest: db is NULL");
	if (out && bti_versioned_check(&bti_v_crash_ingest_result, "bt_crash_ingest", out) != BT_OK)
		return BT_EINVALID;
	if (db->cfg.flags & BT_OPEN_READONLY)
		return bti_error(BT_EREADONLY, "bt_crash_ingest: the handle is read-only");
	if (bti_crash_spool_path(db, path, sizeof(path), 0) != BT_OK)
		return bti_error_rewrap(BT_EINVALID, "bt_crash_ingest: %s", bt_error_message());
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			goto done;
		return bti_error(BT_EIO, "bt_crash_ingest: cannot open %s: %s", path, strerror(errno));
	}
	exclusive = flock(fd, LOCK_EX | LOCK_NB) == 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = bti_error(BT_EIO, "bt_crash_ingest: the spool is not a regular file");
	else
		rc = ingest_from(db, fd, &st, start_offset(db, fd, &st), exclusive, &res, &all);
	/* Removed only when every byte is in the database and no live process
	 * holds the spool open for writing. */
	if (rc == BT_OK && exclusive && all)
		unlink(path);
	close(fd);
	if (rc != BT_OK)
		return rc;
done:
	if (out)
		bti_versioned_out(&bti_v_crash_ingest_result, out, &res);
	return BT_OK;
}

void bti_crash_ingest_at_open(bt_db *db)
{
	char path[PATH_MAX];
	struct stat st;

	if ((db->cfg.flags & (BT_OPEN_READONLY | BT_OPEN_NO_MIGRATE)) ||
	    bti_crash_spool_path(db, path, sizeof(path), 0) != BT_OK || lstat(path, &st) != 0)
		return;
	bt_crash_ingest(db, NULL);
	bt_error_clear(); /* the open succeeded; the spool waits for next time */
}
