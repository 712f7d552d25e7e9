/*
 * crash_ingest.c - turning the crash spool into tickets: parsing records,
 * normalizing their frames satyr-style, and storing each record exactly
 * once.
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
 * A frame normalizes to "module!function", or "module+0xOFFSET" (relative
 * to the module's load address, so stable across runs of one binary) when
 * the module exports no symbol for it.  Dropped: the handler's own frames
 * (everything above the faulting instruction), the C library's signal and
 * abort machinery, and the start-up frames; direct recursion is merged.
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

#include "capture.h"
#include "crash.h"
#include "db.h"
#include "fingerprint.h"
#include "text.h"
#include "ticket.h"

#define SPOOL_MAX ((size_t)64 << 20) /* a larger spool is read in part */
#define MAX_FRAMES 64
#define MAX_MODULES 128
#define FRAME_TEXT 160

static const char HEADER[] = "BTCRASH 1\n";

int bti_crash_spool_path(const bt_db *db, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s.crash", db->path);

	return n < 0 || (size_t)n >= size ? BT_EINVALID : BT_OK;
}

/* ---- parsing ---- */

typedef struct span {
	const char *p;
	size_t n;
} span;

typedef struct crash_record {
	long long sig, code, pid, tid, time, hashed;
	unsigned long long addr, pc;
	span context[4]; /* service, release, environment, host */
	span module[MAX_MODULES];
	int nframes;
	unsigned long long frame_addr[MAX_FRAMES], frame_off[MAX_FRAMES];
	long long frame_module[MAX_FRAMES];
	span sym[MAX_FRAMES];
	int nsyms;
} crash_record;

static int starts(span line, const char *prefix, span *rest)
{
	size_t k = strlen(prefix);

	if (line.n < k || memcmp(line.p, prefix, k) != 0)
		return 0;
	rest->p = line.p + k;
	rest->n = line.n - k;
	return 1;
}

/* A decimal or 0x-hex number at the start of @s, advancing past it and
 * one space; 0 if there is none. */
static int number(span *s, unsigned long long *v, int *negative)
{
	size_t i = 0;
	int base = 10, digits = 0;

	*v = 0;
	*negative = 0;
	if (i < s->n && s->p[i] == '-') {
		*negative = 1;
		i++;
	}
	if (i + 1 < s->n && s->p[i] == '0' && s->p[i + 1] == 'x') {
		base = 16;
		i += 2;
	}
	for (; i < s->n; i++, digits++) {
		char c = s->p[i];
		int d = c >= '0' && c <= '9' ? c - '0'
			: base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			break;
		*v = *v * (unsigned)base + (unsigned)d;
	}
	if (!digits)
		return 0;
	if (i < s->n && s->p[i] == ' ')
		i++;
	s->p += i;
	s->n -= i;
	return 1;
}

static int signed_number(span *s, long long *v)
{
	unsigned long long u;
	int neg;

	if (!number(s, &u, &neg))
		return 0;
	*v = neg ? -(long long)u : (long long)u;
	return 1;
}

static const char *const CONTEXT_NAMES[4] = { "service ", "release ", "environment ", "host " };

static int parse_line(crash_record *r, span line)
{
	span rest;
	int neg;

	if (starts(line, "signal ", &rest))
		return signed_number(&rest, &r->sig);
	if (starts(line, "code ", &rest))
		return signed_number(&rest, &r->code);
	if (starts(line, "addr ", &rest))
		return number(&rest, &r->addr, &neg);
	if (starts(line, "pc ", &rest))
		return number(&rest, &r->pc, &neg);
	if (starts(line, "pid ", &rest))
		return signed_number(&rest, &r->pid);
	if (starts(line, "tid ", &rest))
		return signed_number(&rest, &r->tid);
	if (starts(line, "time ", &rest))
		return signed_number(&rest, &r->time);
	if (starts(line, "hashed ", &rest))
		return signed_number(&rest, &r->hashed);
	for (int i = 0; i < 4; i++)
		if (starts(line, CONTEXT_NAMES[i], &rest)) {
			r->context[i] = rest;
			return 1;
		}
	if (starts(line, "module ", &rest)) {
		unsigned long long idx, base;

		/* "module INDEX BASE NAME" */
		if (!number(&rest, &idx, &neg) || neg || idx >= MAX_MODULES ||
		    !number(&rest, &base, &neg))
			return 0;
		r->module[idx] = rest;
		return 1;
	}
	if (starts(line, "frame ", &rest)) {
		long long m;

		if (r->nframes >= MAX_FRAMES)
			return 1;
		if (!number(&rest, &r->frame_addr[r->nframes], &neg) || !signed_number(&rest, &m) ||
		    !number(&rest, &r->frame_off[r->nframes], &neg))
			return 0;
		r->frame_module[r->nframes++] = m;
		return 1;
	}
	if (starts(line, "sym ", &rest)) {
		if (r->nsyms < MAX_FRAMES)
			r->sym[r->nsyms++] = rest;
		return 1;
	}
	if (starts(line, "nsec ", &rest) || starts(line, "END ", &rest))
		return 1;
	return 0;
}

/* Parse a complete record; 0 if it is malformed. */
static int parse_record(const char *p, size_t n, crash_record *r)
{
	size_t start = sizeof(HEADER) - 1, i;

	memset(r, 0, sizeof(*r));
	r->hashed = BTI_CRASH_DEFAULT_FRAMES;
	for (i = start; i < n; i++) {
		if (p[i] == '\n') {
			span line = { p + start, i - start };

			if (!parse_line(r, line))
				return 0;
			start = i + 1;
		}
	}
	if (r->sig <= 0 || r->hashed < 1 || r->hashed > BTI_CRASH_MAX_FRAMES)
		return 0;
	return 1;
}

/* ---- normalizing frames ---- */

static span basename_of(span path)
{
	for (size_t i = path.n; i > 0; i--)
		if (path.p[i - 1] == '/')
			return (span){ path.p + i, path.n - i };
	return path;
}

/* Frame @i as "module!function" or "module+0xOFF" into @out. */
static void frame_name(const crash_record *r, int i, char *out, size_t size)
{
	span mod = { "?", 1 }, fn = { "", 0 };

	if (r->frame_module[i] >= 0 && r->frame_module[i] < MAX_MODULES &&
	    r->module[r->frame_module[i]].p)
		mod = basename_of(r->module[r->frame_module[i]]);
	if (i < r->nsyms) {
		/* glibc: "path(function+0x1a) [0xaddr]", "path(+0x1a) [...]" */
		span s = r->sym[i];
		const char *open = memchr(s.p, '(', s.n);

		if (open) {
			const char *end = memchr(open, ')', s.n - (size_t)(open - s.p));
			const char *plus = end ? memchr(open, '+', (size_t)(end - open)) : NULL;

			fn.p = open + 1;
			fn.n = (size_t)((plus ? plus : end ? end : open + 1) - fn.p);
			if (!r->module[0].p || r->frame_module[i] < 0)
				mod = basename_of((span){ s.p, (size_t)(open - s.p) });
		}
	}
	if (fn.n)
		snprintf(out, size, "%.*s!%.*s", (int)mod.n, mod.p, (int)fn.n, fn.p);
	else if (r->frame_module[i] >= 0)
		snprintf(out, size, "%.*s+0x%llx", (int)mod.n, mod.p, r->frame_off[i]);
	else
		snprintf(out, size, "?");
}

static int is_libc(const char *frame)
{
	return !strncmp(frame, "libc.so", 7) || !strncmp(frame, "libc-", 5) ||
	       !strncmp(frame, "ld-linux", 8) || !strncmp(frame, "libpthread", 10);
}

/* The C library's signal, abort and start-up machinery. */
static int is_machinery(const char *frame)
{
	static const char *const names[] = {
		"raise", "abort", "__assert_fail", "__assert_fail_base", "__assert_perror_fail",
		"__libc_start_main", "__libc_start_call_main", "_start", "__restore_rt", "gsignal",
		"pthread_kill", "__pthread_kill_implementation", "__pthread_kill_internal", "killpg",
		"__libc_message", "__fortify_fail", "__stack_chk_fail",
	};
	const char *fn = strchr(frame, '!');

	if (!fn)
		return 0;
	fn++;
	if (!strncmp(fn, "__GI_", 5))
		return 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(fn, names[i]))
			return 1;
	return 0;
}

/* The normalized frames of @r, top first; returns how many. */
static int normalize_frames(const crash_record *r, char frames[][FRAME_TEXT])
{
	int first = 0, n = 0, last;
	char name[FRAME_TEXT];

	/* Above the faulting instruction: the handler and the trampoline. */
	for (int i = 0; r->pc && i < r->nframes; i++)
		if (r->frame_addr[i] == r->pc) {
			first = i;
			break;
		}
	if (!first && r->nframes > 2 && !(r->pc && r->frame_addr[0] == r->pc))
		first = 2;
	last = r->nframes;
	for (int i = first; i < last; i++) {
		frame_name(r, i, name, sizeof(name));
		if (is_machinery(name) || (n == 0 && is_libc(name)))
			continue;
		if (n > 0 && !strcmp(frames[n - 1], name))
			continue; /* recursion */
		memcpy(frames[n++], name, sizeof(name));
	}
	/* Start-up frames at the bottom that have no name. */
	while (n > 1 && is_libc(frames[n - 1]))
		n--;
	return n;
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

static int build_text(const crash_record *r, crash_text *t, char fp[BT_FINGERPRINT_SIZE])
{
	static char frames[MAX_FRAMES][FRAME_TEXT];
	const char *what, *sig = signal_name(r->sig, &what);
	size_t in_len = 0, st_len = 0;
	char line[256];
	int n = normalize_frames(r, frames), ok = 1;

	memset(t, 0, sizeof(*t));
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
		 r->code, r->addr, FRAME_TEXT, n ? frames[0] : "?");
	t->message = bti_text_clean(line, strlen(line), 0, NULL);
	snprintf(line, sizeof(line), "Crash: %s in %.*s", sig, FRAME_TEXT, n ? frames[0] : "?");
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

static int store_crash(bt_db *db, const crash_record *r)
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
	rc = bti_capture_stamp(db, &o, 1, "bt_crash_ingest");
	/* The crashed process's context, not this one's. */
	if (t.ctx[0])
		o.service = t.ctx[0];
	if (t.ctx[2])
		o.environment = t.ctx[2];
	if (t.ctx[3])
		o.host = t.ctx[3];
	if (rc == BT_OK)
		rc = bti_store_record_in(db->store, &o, &landing);
	crash_text_free(&t);
	return rc;
}

static int store_damaged(bt_db *db, size_t offset, size_t len)
{
	char message[160];
	bti_occurrence o;
	bti_landing landing;

	snprintf(message, sizeof(message), "crash spool: skipped a damaged record of %zu bytes at "
		 "offset %zu (cut short, or not a record)", len, offset);
	memset(&o, 0, sizeof(o));
	o.now = bti_db_now(db);
	o.store_log = 1;
	o.level = BT_WARNING;
	o.component = "crash";
	o.message = message;
	o.pid = db->cfg.pid;
	return bti_store_record_in(db->store, &o, &landing);
}

/* ---- the spool ---- */

typedef struct chunk {
	size_t start, len; /* the record's bytes, END line included */
	int complete;
} chunk;

/* Where the next record header at or after @from starts, or @n. */
static size_t next_header(const char *p, size_t n, size_t from)
{
	size_t k = sizeof(HEADER) - 1;

	for (size_t i = from; i + k <= n; i++)
		if ((i == 0 || p[i - 1] == '\n') && memcmp(p + i, HEADER, k) == 0)
			return i;
	return n;
}

/* Whether [start, end) is one record ending in its "END <length>" line. */
static int record_complete(const char *p, size_t start, size_t end, size_t *len_out)
{
	size_t i, body;
	char tail[32];

	if (end <= start + 5 || p[end - 1] != '\n')
		return 0;
	for (i = end - 1; i > start && p[i - 1] != '\n'; i--)
		;
	snprintf(tail, sizeof(tail), "END %zu\n", i - start);
	body = strlen(tail);
	if (end - i != body || memcmp(p + i, tail, body) != 0)
		return 0;
	*len_out = end - start;
	return 1;
}

/* Split the spool into records and damaged stretches. */
static size_t split(const char *p, size_t n, chunk *out, size_t cap)
{
	size_t count = 0, at = next_header(p, n, 0);

	if (at > 0 && count < cap) {
		int blank = 1;

		for (size_t i = 0; i < at; i++)
			blank &= p[i] == '\n' || p[i] == ' ';
		if (!blank)
			out[count++] = (chunk){ 0, at, 0 };
	}
	while (at < n && count < cap) {
		size_t end = next_header(p, n, at + 1), len;
		int complete = record_complete(p, at, end, &len);

		out[count++] = (chunk){ at, end - at, complete };
		at = end;
	}
	return count;
}

static int read_spool(int fd, char **buf_out, size_t *len_out)
{
	struct stat st;
	size_t size, got = 0;
	char *buf;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return bti_error(BT_EIO, "bt_crash_ingest: the spool is not a regular file");
	size = (size_t)st.st_size < SPOOL_MAX ? (size_t)st.st_size : SPOOL_MAX;
	buf = bti_malloc(size + 1);
	if (!buf)
		return bti_error(BT_ENOMEM, "bt_crash_ingest: out of memory reading the spool");
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	*buf_out = buf;
	*len_out = got;
	return BT_OK;
}

static int ingest_chunks(bt_db *db, const char *p, const chunk *c, size_t n, int exclusive,
			 bt_crash_ingest_result *res)
{
	crash_record *r = bti_malloc(sizeof(*r));
	int rc = r ? bti_store_begin(db->store) : bti_error(BT_ENOMEM, "bt_crash_ingest: out of memory");

	for (size_t i = 0; rc == BT_OK && i < n; i++) {
		char hash[BT_FINGERPRINT_SIZE];
		int fresh = 0, good;

		/* The last record may still be being written by a live process:
		 * leave it for later unless nobody can be writing. */
		if (!c[i].complete && i == n - 1 && !exclusive)
			break;
		bti_hash128_hex(p + c[i].start, c[i].len, hash);
		rc = bti_store_crash_claim(db->store, hash, bti_db_now(db), &fresh);
		if (rc != BT_OK)
			break;
		if (!fresh) {
			res->duplicates += c[i].complete;
			continue;
		}
		good = c[i].complete && parse_record(p + c[i].start, c[i].len, r);
		if (good) {
			rc = store_crash(db, r);
			res->ingested += rc == BT_OK;
		} else {
			rc = store_damaged(db, c[i].start, c[i].len);
			res->damaged += rc == BT_OK;
		}
	}
	if (rc == BT_OK)
		rc = bti_store_commit(db->store);
	else if (r)
		bti_store_rollback(db->store);
	bti_free(r);
	return rc;
}

int bt_crash_ingest(bt_db *db, bt_crash_ingest_result *out)
{
	bt_crash_ingest_result res = { BT_CRASH_INGEST_RESULT_VERSION, 0, 0, 0 };
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0, n;
	chunk *chunks = NULL;
	int fd, exclusive, rc;

	if (!db)
		return bti_error(BT_EINVALID, "bt_crash_ingest: db is NULL");
	if (out && (out->version == 0 || out->version > BT_CRASH_INGEST_RESULT_VERSION))
		return bti_error(BT_EINVALID, "bt_crash_ingest: unknown result version %u", out->version);
	if (db->cfg.flags & BT_OPEN_READONLY)
		return bti_error(BT_EREADONLY, "bt_crash_ingest: the handle is read-only");
	if (bti_crash_spool_path(db, path, sizeof(path)) != BT_OK)
		return bti_error(BT_EINVALID, "bt_crash_ingest: the database path is too long");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			goto done;
		return bti_error(BT_EIO, "bt_crash_ingest: cannot open %s: %s", path, strerror(errno));
	}
	exclusive = flock(fd, LOCK_EX | LOCK_NB) == 0;
	rc = read_spool(fd, &buf, &len);
	if (rc == BT_OK) {
		size_t cap = len / (sizeof(HEADER) - 1) + 2;

		chunks = bti_calloc(cap, sizeof(*chunks));
		rc = chunks ? BT_OK : bti_error(BT_ENOMEM, "bt_crash_ingest: out of memory");
		n = chunks ? split(buf, len, chunks, cap) : 0;
	}
	if (rc == BT_OK) {
		bti_db_lock(db);
		rc = ingest_chunks(db, buf, chunks, n, exclusive, &res);
		bti_db_unlock(db);
	}
	/* Removed only when every byte is in the database and no live process
	 * holds the spool open for writing. */
	if (rc == BT_OK && exclusive)
		unlink(path);
	close(fd);
	bti_free(buf);
	bti_free(chunks);
	if (rc != BT_OK)
		return rc;
done:
	if (out)
		*out = res;
	return BT_OK;
}

void bti_crash_ingest_at_open(bt_db *db)
{
	char path[PATH_MAX];
	struct stat st;

	if ((db->cfg.flags & (BT_OPEN_READONLY | BT_OPEN_NO_MIGRATE)) ||
	    bti_crash_spool_path(db, path, sizeof(path)) != BT_OK || lstat(path, &st) != 0)
		return;
	bt_crash_ingest(db, NULL);
	bt_error_clear(); /* the open succeeded; the spool waits for next time */
}
