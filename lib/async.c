/*
 * async.c - asynchronous capture (BT_OPEN_ASYNC).
 *
 * Callers prepare an occurrence on their own thread (format, clean, redact,
 * fingerprint) and add it to the fill batch under a short mutex; a writer
 * thread swaps batches and commits each one in a single transaction (group
 * commit).  Within a batch occurrences are coalesced by fingerprint: a
 * repeat only adds to the pending item's count, so a storm of one error
 * costs a hash and a lookup per call and one UPDATE ... + n per batch.
 *
 * The call-site cache maps (level, component, format, function) to the
 * fingerprint, for sites whose fingerprint does not depend on the message,
 * so that a repeat is counted before the message is even formatted.  It
 * maps to fingerprints, never to tickets: which ticket an occurrence lands
 * on is decided by the writer inside its write transaction (the same
 * UPDATE ... WHERE fingerprint = ? AND dedup_active AND open as synchronous
 * capture, then aliases for merged tickets), so tickets merged, resolved or
 * deleted by other processes can never make the cache wrong.
 *
 * Locks: @mu guards the batches, the site cache and the counters; callers
 * never take the handle's lock.  The writer holds the handle's lock (the
 * SQLite connection) while it commits, and never @mu at the same time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "async.h"
#include "capture.h"
#include "db.h"

#define DEFAULT_ENTRIES 4096u
#define DEFAULT_BYTES ((size_t)4 << 20)
#define DEFAULT_INTERVAL_MS 20
#define MAX_INTERVAL_MS 60000
#define DEFAULT_SITES 1024u
#define SITE_KEY_MAX 1024 /* longer call-site strings are not cached */
#define SITE_PROBES 8

/* One pending occurrence: its strings live in @blob (NULL for a count-only
 * item, which keeps just the fingerprint). */
typedef struct item {
	bti_occurrence occ;
	char *blob;
	size_t bytes;
	char fp[BT_FINGERPRINT_SIZE];
} item;

typedef struct batch {
	item *items;
	size_t n, cap;
	uint32_t *index;       /* open addressing by fingerprint: item index + 1 */
	size_t index_mask;
	uint64_t last_seq;     /* accepted calls up to here are in this batch */
	uint64_t dropped;      /* drops to record with this batch */
	uint64_t drop_seq;     /* drops up to here are recorded with it */
	int64_t opened_ms;     /* monotonic time of its first item */
} batch;

typedef struct site {
	uint64_t hash;         /* 0: empty slot */
	int level;
	char *key;             /* component \0 fmt \0 function \0 */
	size_t key_len;
	char fp[BT_FINGERPRINT_SIZE];
	uint64_t fp_key;
} site;

struct bti_async {
	bt_db *db;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t work;   /* to the writer: a batch, a flush or stop */
	pthread_cond_t done;   /* from the writer: a batch ended */

	batch batches[2];
	batch *fill;           /* callers add here */
	size_t entries_cap, bytes_cap, bytes_used;
	int interval_ms, overflow, block_ms, close_ms;

	site *sites;
	size_t sites_mask, sites_used, sites_cap;

	uint64_t seq_accepted, seq_committed;  /* accepted calls */
	uint64_t seq_dropped, drops_recorded;  /* dropped calls */
	uint64_t dropped_pending;              /* not yet in a batch */
	int flushers, stop;
	int last_rc;                           /* the writer's last failure */
	uint64_t failed_commits;               /* how many commits failed */
	char last_msg[256];
	bt_capture_stats stats;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait on @cond until monotonic @deadline_ms (< 0: no deadline). */
static void wait_until(pthread_cond_t *cond, pthread_mutex_t *mu, int64_t deadline_ms)
{
	struct timespec ts;

	if (deadline_ms < 0) {
		pthread_cond_wait(cond, mu);
		return;
	}
	ts.tv_sec = deadline_ms / 1000;
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000;
	pthread_cond_timedwait(cond, mu, &ts);
}

/* ---- fingerprints and call sites ---- */

/* A fingerprint is 32 hex digits of a 128-bit hash: its first 16 are a
 * well-mixed 64-bit key already. */
static uint64_t fp_key(const char *fp)
{
	uint64_t k = 0;

	for (int i = 0; i < 16 && fp[i]; i++)
		k = k << 4 | (uint64_t)(fp[i] <= '9' ? fp[i] - '0' : fp[i] - 'a' + 10);
	return k ? k : 1;
}

/* FNV-1a, 64 bits: call-site strings are short. */
static uint64_t fnv(uint64_t h, const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = 0;

	for (; p[n]; n++)
		h = (h ^ p[n]) * 0x100000001b3ull;
	h = (h ^ 0xff) * 0x100000001b3ull; /* separates "ab","c" from "a","bc" */
	*len += n + 1;
	return h;
}

static uint64_t site_hash(const bti_site *s, size_t *key_len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)s->level;

	*key_len = 0;
	h = fnv(h, s->component, key_len);
	h = fnv(h, s->fmt, key_len);
	h = fnv(h, s->function, key_len);
	return h ? h : 1;
}

static int site_equal(const site *slot, const bti_site *s, uint64_t h, size_t key_len)
{
	const char *k = slot->key;
	const char *parts[3] = { s->component, s->fmt, s->function };

	if (slot->hash != h || slot->level != s->level || slot->key_len != key_len)
		return 0;
	for (int i = 0; i < 3; i++) {
		const char *p = parts[i] ? parts[i] : "";
		size_t n = strlen(p);

		if (memcmp(k, p, n + 1) != 0)
			return 0;
		k += n + 1;
	}
	return 1;
}

static site *site_find(bti_async *a, const bti_site *s, uint64_t h, size_t key_len)
{
	for (size_t i = 0; i < SITE_PROBES; i++) {
		site *slot = &a->sites[(h + i) & a->sites_mask];

		if (!slot->hash)
			return NULL;
		if (site_equal(slot, s, h, key_len))
			return slot;
	}
	return NULL;
}

/* Remember that @s has fingerprint @fp.  A full cache replaces an entry
 * in place (never leaving a hole in a probe chain): it forgets, it never
 * grows past its cap. */
static void site_remember(bti_async *a, const bti_site *s, const char *fp)
{
	const char *parts[3] = { s->component, s->fmt, s->function };
	size_t key_len, i, off = 0;
	uint64_t h = site_hash(s, &key_len);
	site *slot = NULL;
	char *key;

	if (key_len > SITE_KEY_MAX || site_find(a, s, h, key_len))
		return;
	for (i = 0; i < SITE_PROBES && !slot; i++) {
		site *c = &a->sites[(h + i) & a->sites_mask];

		if (!c->hash && a->sites_used < a->sites_cap)
			slot = c;
		else if (c->hash && a->sites_used >= a->sites_cap)
			slot = c;
	}
	if (!slot)
		return;
	key = bti_malloc(key_len);
	if (!key)
		return; /* the cache only saves time: go without */
	for (i = 0; i < 3; i++) {
		size_t n = strlen(parts[i] ? parts[i] : "") + 1;

		memcpy(key + off, parts[i] ? parts[i] : "", n);
		off += n;
	}
	if (slot->hash)
		bti_free(slot->key);
	else
		a->sites_used++;
	slot->hash = h;
	slot->level = s->level;
	slot->key = key;
	slot->key_len = key_len;
	memcpy(slot->fp, fp, BT_FINGERPRINT_SIZE);
	slot->fp_key = fp_key(fp);
}

/* ---- batches ---- */

static item *batch_find(batch *b, const char *fp, uint64_t key)
{
	for (size_t i = key & b->index_mask;; i = (i + 1) & b->index_mask) {
		uint32_t v = b->index[i];

		if (!v)
			return NULL;
		if (memcmp(b->items[v - 1].fp, fp, BT_FINGERPRINT_SIZE) == 0)
			return &b->items[v - 1];
	}
}

static void batch_index_add(batch *b, uint64_t key, size_t idx)
{
	size_t i = key & b->index_mask;

	while (b->index[i])
		i = (i + 1) & b->index_mask;
	b->index[i] = (uint32_t)(idx + 1);
}

/* The string fields of an occurrence, for copying it whole. */
static const size_t OCC_STRINGS[] = {
	offsetof(bti_occurrence, grouping_input), offsetof(bti_occurrence, component),
	offsetof(bti_occurrence, message), offsetof(bti_occurrence, message_template),
	offsetof(bti_occurrence, error_type), offsetof(bti_occurrence, file),
	offsetof(bti_occurrence, function), offsetof(bti_occurrence, stack_trace),
	offsetof(bti_occurrence, context), offsetof(bti_occurrence, context_raw),
	offsetof(bti_occurrence, trace_id), offsetof(bti_occurrence, request_id),
	offsetof(bti_occurrence, release), offsetof(bti_occurrence, title),
	offsetof(bti_occurrence, description), offsetof(bti_occurrence, severity),
	offsetof(bti_occurrence, priority), offsetof(bti_occurrence, category),
	offsetof(bti_occurrence, source), offsetof(bti_occurrence, reporter),
};

static const char **occ_string(bti_occurrence *o, size_t i)
{
	return (const char **)(void *)((char *)o + OCC_STRINGS[i]);
}

static size_t occ_bytes(const bti_occurrence *o)
{
	size_t n = 0;

	for (size_t i = 0; i < BTI_ARRAY_LEN(OCC_STRINGS); i++) {
		const char *s = *occ_string((bti_occurrence *)o, i);

		n += s ? strlen(s) + 1 : 0;
	}
	return n;
}

/* Copy @o into @it, its strings into one block of @bytes. */
static int item_fill(item *it, const bti_occurrence *o, size_t bytes)
{
	char *p;

	memset(it, 0, sizeof(*it));
	it->occ = *o;
	if (bytes) {
		it->blob = p = bti_malloc(bytes);
		if (!p)
			return BT_ENOMEM;
		for (size_t i = 0; i < BTI_ARRAY_LEN(OCC_STRINGS); i++) {
			const char **s = occ_string(&it->occ, i);

			if (*s) {
				size_t n = strlen(*s) + 1;

				memcpy(p, *s, n);
				*s = p;
				p += n;
			}
		}
	}
	it->bytes = bytes;
	/* Set again when committed: they point into the handle. */
	it->occ.service = it->occ.host = it->occ.environment = NULL;
	it->occ.sla_ms = NULL;
	snprintf(it->fp, sizeof(it->fp), "%s", o->fingerprint ? o->fingerprint : "");
	it->occ.fingerprint = o->fingerprint ? it->fp : NULL;
	it->occ.count = 1;
	it->occ.last_at = o->now;
	return BT_OK;
}

static void item_count(item *it, int64_t now)
{
	it->occ.count++;
	if (now > it->occ.last_at)
		it->occ.last_at = now;
	if (now < it->occ.now)
		it->occ.now = now;
}

static int batch_grow(batch *b, size_t cap)
{
	size_t want = b->cap ? b->cap * 2 : 64;
	item *grown;

	if (want > cap)
		want = cap;
	grown = bti_realloc(b->items, want * sizeof(*grown));
	if (!grown)
		return BT_ENOMEM;
	/* Each item's fingerprint points into the item itself: it moved. */
	for (size_t i = 0; i < b->n; i++)
		if (grown[i].occ.fingerprint)
			grown[i].occ.fingerprint = grown[i].fp;
	b->items = grown;
	b->cap = want;
	return BT_OK;
}

/* Free @b's items and make it empty. */
static size_t batch_clear(batch *b)
{
	size_t bytes = 0;

	for (size_t i = 0; i < b->n; i++) {
		bytes += b->items[i].bytes;
		bti_free(b->items[i].blob);
	}
	if (b->n)
		memset(b->index, 0, (b->index_mask + 1) * sizeof(*b->index));
	b->n = 0;
	b->dropped = 0;
	return bytes;
}

/* ---- the caller's side ---- */

static void count_drop(bti_async *a)
{
	a->stats.dropped++;
	a->seq_dropped++;
	a->dropped_pending++;
	pthread_cond_signal(&a->work);
}

int bti_async_repeat(bti_async *a, const bti_site *s, int64_t now)
{
	size_t key_len;
	uint64_t h = site_hash(s, &key_len);
	int hit = 0;

	if (key_len > SITE_KEY_MAX)
		return 0;
	pthread_mutex_lock(&a->mu);
	site *slot = site_find(a, s, h, key_len);
	item *it = slot && a->fill->n ? batch_find(a->fill, slot->fp, slot->fp_key) : NULL;
	if (it) {
		item_count(it, now);
		a->stats.accepted++;
		a->stats.coalesced++;
		a->fill->last_seq = ++a->seq_accepted;
		hit = 1;
	}
	pthread_mutex_unlock(&a->mu);
	return hit;
}

/* Whether the fill batch has room for an item of @bytes of text. */
static int has_room(const bti_async *a, size_t bytes)
{
	return a->fill->n < a->entries_cap && a->bytes_used + bytes <= a->bytes_cap;
}

/* Add @o to the fill batch (as a count only when @count_only). */
static int add_item(bti_async *a, const bti_occurrence *o, size_t bytes, int count_only)
{
	batch *b = a->fill;
	item *it;

	if (b->n == b->cap && batch_grow(b, a->entries_cap) != BT_OK)
		return BT_ENOMEM;
	it = &b->items[b->n];
	if (item_fill(it, o, count_only ? 0 : bytes) != BT_OK)
		return BT_ENOMEM;
	if (count_only) {
		memset(&it->occ, 0, sizeof(it->occ));
		it->occ.fingerprint = it->fp;
		it->occ.now = it->occ.last_at = o->now;
		it->occ.count = 1;
		it->occ.make_ticket = 1;
		it->occ.hit_only = 1;
		it->occ.dedup_window_ms = o->dedup_window_ms;
	}
	if (o->make_ticket && o->fingerprint)
		batch_index_add(b, fp_key(it->fp), b->n);
	if (!b->n++)
		b->opened_ms = mono_ms();
	a->bytes_used += it->bytes;
	if (a->bytes_used > a->stats.queue_bytes_peak)
		a->stats.queue_bytes_peak = a->bytes_used;
	/* The writer commits at once when a batch is half full, so that the
	 * other half absorbs the calls made meanwhile. */
	if (b->n == 1 || b->n == a->entries_cap / 2 || a->bytes_used > a->bytes_cap / 2)
		pthread_cond_signal(&a->work);
	return BT_OK;
}

int bti_async_enqueue(bti_async *a, const bti_occurrence *o, const bti_site *site)
{
	int coalesce = o->make_ticket && o->fingerprint;
	size_t bytes = occ_bytes(o);
	int64_t deadline = -1;
	int rc = BT_OK;
	item *it;

	pthread_mutex_lock(&a->mu);
	if (site && coalesce)
		site_remember(a, site, o->fingerprint);
	for (;;) {
		it = coalesce && a->fill->n ? batch_find(a->fill, o->fingerprint, fp_key(o->fingerprint)) : NULL;
		if (it) {
			item_count(it, o->now);
			a->stats.coalesced++;
			break;
		}
		if (has_room(a, bytes)) {
			rc = add_item(a, o, bytes, 0);
			break;
		}
		if (a->overflow == BT_OVERFLOW_BLOCK && !a->stop) {
			if (deadline < 0)
				deadline = mono_ms() + a->block_ms;
			if (mono_ms() < deadline) {
				pthread_cond_signal(&a->work);
				wait_until(&a->done, &a->mu, deadline);
				continue;
			}
		}
		/* Dropped.  Its count still lands if the text was what did not
		 * fit: a count-only item needs no text. */
		count_drop(a);
		if (coalesce && a->fill->n < a->entries_cap)
			add_item(a, o, 0, 1);
		rc = BT_EBUSY;
		break;
	}
	if (rc == BT_OK) {
		a->stats.accepted++;
		a->fill->last_seq = ++a->seq_accepted;
	}
	pthread_mutex_unlock(&a->mu);
	if (rc == BT_ENOMEM)
		return bti_error(BT_ENOMEM, "bt_log: out of memory queueing an occurrence");
	if (rc == BT_EBUSY)
		return bti_error(BT_EBUSY, "bt_log: the asynchronous queue is full; the occurrence was "
				 "dropped and counted in the async_dropped counter");
	return rc;
}

/* ---- the writer ---- */

/* Commit @b in one transaction, with its drop count.  Called without @mu. */
static int commit_batch(bti_async *a, batch *b)
{
	bt_db *db = a->db;
	bti_landing landing;
	int rc;

	bti_db_lock(db);
	rc = bti_store_begin(db->store);
	for (size_t i = 0; rc == BT_OK && i < b->n; i++) {
		bti_occurrence *o = &b->items[i].occ;

		rc = bti_capture_stamp(db, o, 1, "async capture");
		if (rc == BT_OK)
			rc = bti_store_record_in(db->store, o, &landing);
	}
	if (rc == BT_OK && b->dropped)
		rc = bti_store_counter_add(db->store, "async_dropped", (int64_t)b->dropped,
					   bti_db_now(db));
	if (rc == BT_OK)
		rc = bti_store_commit(db->store);
	if (rc != BT_OK)
		bti_store_rollback(db->store);
	bti_db_unlock(db);
	return rc;
}

/* Whether the fill batch should be committed now rather than at the end of
 * its interval. */
static int urgent(const bti_async *a)
{
	return a->stop || a->flushers || a->fill->n >= a->entries_cap / 2 ||
	       a->bytes_used > a->bytes_cap / 2;
}

static void *writer_main(void *arg)
{
	bti_async *a = arg;
	batch *drain = NULL;
	int attempts_after_stop = 0;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		if (!drain) {
			while (!a->stop && !a->fill->n && !a->dropped_pending)
				wait_until(&a->work, &a->mu, -1);
			if (a->stop && !a->fill->n && !a->dropped_pending)
				break;
			/* Group commit: let the batch gather for its interval. */
			while (!urgent(a) && mono_ms() < a->fill->opened_ms + a->interval_ms)
				wait_until(&a->work, &a->mu, a->fill->opened_ms + a->interval_ms);
			drain = a->fill;
			drain->dropped = a->dropped_pending;
			drain->drop_seq = a->seq_dropped;
			a->dropped_pending = 0;
			a->fill = drain == &a->batches[0] ? &a->batches[1] : &a->batches[0];
			a->fill->last_seq = a->seq_accepted;
		}
		pthread_mutex_unlock(&a->mu);
		int rc = commit_batch(a, drain);
		char msg[sizeof(a->last_msg)];

		if (rc != BT_OK)
			snprintf(msg, sizeof(msg), "%s", bt_error_message());
		pthread_mutex_lock(&a->mu);
		if (rc == BT_OK) {
			a->seq_committed = drain->last_seq;
			a->drops_recorded = drain->drop_seq;
			for (size_t i = 0; i < drain->n; i++)
				a->stats.committed += (uint64_t)drain->items[i].occ.count;
			a->stats.batches++;
			a->last_rc = BT_OK;
		} else {
			a->last_rc = rc;
			a->failed_commits++;
			memcpy(a->last_msg, msg, sizeof(msg));
		}
		if (rc == BT_OK || (a->stop && ++attempts_after_stop > 1)) {
			/* Committed, or given up at close: the batch is lost. */
			a->bytes_used -= batch_clear(drain);
			drain = NULL;
		}
		/* Before any retry wait: a flusher must hear of the failure now,
		 * not an interval later. */
		pthread_cond_broadcast(&a->done);
		if (drain && !a->stop) {
			/* Try again after an interval (or when a flush or close
			 * asks); meanwhile callers fill the other batch, and drop
			 * once it is full.  Closing retries at once, so that
			 * bt_close never waits out a long interval. */
			wait_until(&a->work, &a->mu, mono_ms() + a->interval_ms);
		}
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* ---- lifecycle ---- */

static size_t pow2_at_least(size_t n)
{
	size_t p = 16;

	while (p < n)
		p <<= 1;
	return p;
}

static void async_free(bti_async *a)
{
	for (int i = 0; i < 2; i++) {
		batch_clear(&a->batches[i]);
		bti_free(a->batches[i].items);
		bti_free(a->batches[i].index);
	}
	for (size_t i = 0; a->sites && i <= a->sites_mask; i++)
		bti_free(a->sites[i].key);
	bti_free(a->sites);
	pthread_cond_destroy(&a->work);
	pthread_cond_destroy(&a->done);
	pthread_mutex_destroy(&a->mu);
	bti_free(a);
}

static int init_sync(bti_async *a)
{
	pthread_condattr_t attr;
	int ok;

	if (pthread_condattr_init(&attr) != 0)
		return 0;
	ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
	     pthread_mutex_init(&a->mu, NULL) == 0;
	if (ok && pthread_cond_init(&a->work, &attr) != 0) {
		pthread_mutex_destroy(&a->mu);
		ok = 0;
	}
	if (ok && pthread_cond_init(&a->done, &attr) != 0) {
		pthread_cond_destroy(&a->work);
		pthread_mutex_destroy(&a->mu);
		ok = 0;
	}
	pthread_condattr_destroy(&attr);
	return ok;
}

int bti_async_start(bt_db *db, const bt_open_options *o, int busy_timeout_ms)
{
	bti_async *a;
	size_t index_size;

	if (o->async_flush_interval_ms < 0 || o->async_flush_interval_ms > MAX_INTERVAL_MS)
		return bti_error(BT_EINVALID, "bt_open: async_flush_interval_ms %d is outside 0..%d",
				 o->async_flush_interval_ms, MAX_INTERVAL_MS);
	if (o->async_overflow != BT_OVERFLOW_DROP && o->async_overflow != BT_OVERFLOW_BLOCK)
		return bti_error(BT_EINVALID, "bt_open: unknown async_overflow %d", o->async_overflow);
	if (o->async_queue_entries > (1u << 24))
		return bti_error(BT_EINVALID, "bt_open: async_queue_entries %u is above 16777216",
				 o->async_queue_entries);
	if (o->site_cache_entries > (1u << 24))
		return bti_error(BT_EINVALID, "bt_open: site_cache_entries %u is above 16777216",
				 o->site_cache_entries);
	a = bti_calloc(1, sizeof(*a));
	if (!a)
		return bti_error(BT_ENOMEM, "bt_open: out of memory");
	if (!init_sync(a)) {
		bti_free(a);
		return bti_error(BT_ENOMEM, "bt_open: cannot create the writer's mutex");
	}
	a->db = db;
	a->entries_cap = o->async_queue_entries ? o->async_queue_entries : DEFAULT_ENTRIES;
	a->bytes_cap = o->async_queue_bytes ? o->async_queue_bytes : DEFAULT_BYTES;
	a->interval_ms = o->async_flush_interval_ms ? o->async_flush_interval_ms : DEFAULT_INTERVAL_MS;
	a->overflow = o->async_overflow;
	a->block_ms = busy_timeout_ms;
	a->close_ms = 2 * busy_timeout_ms;
	a->sites_cap = o->site_cache_entries ? o->site_cache_entries : DEFAULT_SITES;
	a->sites_mask = pow2_at_least(2 * a->sites_cap) - 1;
	a->fill = &a->batches[0];
	index_size = pow2_at_least(2 * a->entries_cap);
	a->sites = bti_calloc(a->sites_mask + 1, sizeof(*a->sites));
	for (int i = 0; i < 2; i++) {
		a->batches[i].index = bti_calloc(index_size, sizeof(uint32_t));
		a->batches[i].index_mask = index_size - 1;
	}
	if (!a->sites || !a->batches[0].index || !a->batches[1].index) {
		async_free(a);
		return bti_error(BT_ENOMEM, "bt_open: out of memory for the asynchronous queue");
	}
	if (pthread_create(&a->thread, NULL, writer_main, a) != 0) {
		async_free(a);
		return bti_error(BT_ENOMEM, "bt_open: cannot start the writer thread");
	}
	a->started = 1;
	db->async = a;
	return BT_OK;
}

void bti_async_stop(bti_async *a)
{
	if (!a)
		return;
	if ((long)getpid() == a->db->cfg.pid) {
		/* A flush returns at the writer's first failure; closing keeps
		 * asking (each flush is one more attempt, a pause apart) until
		 * its deadline, as bt_close promises. */
		int64_t deadline = mono_ms() + a->close_ms, left;

		while (bti_async_flush(a, a->close_ms, "bt_close") != BT_OK &&
		       (left = deadline - mono_ms()) > 0) {
			struct timespec ts = { 0, 1000000L * (left < 20 ? left : 20) };

			nanosleep(&ts, NULL);
		}
		pthread_mutex_lock(&a->mu);
		a->stop = 1;
		pthread_cond_signal(&a->work);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thread, NULL);
	}
	/* In a forked child the writer does not exist: only free. */
	async_free(a);
}

int bti_async_flush(bti_async *a, int timeout_ms, const char *caller)
{
	int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	uint64_t target, drops, failures;
	char msg[sizeof(a->last_msg)];
	int rc = BT_OK;

	if ((long)getpid() != a->db->cfg.pid)
		return bti_error(BT_EINVALID, "%s: the handle was opened by another process "
				 "(handles do not cross fork)", caller);
	pthread_mutex_lock(&a->mu);
	target = a->seq_accepted;
	drops = a->seq_dropped;
	failures = a->failed_commits;
	a->flushers++;
	pthread_cond_signal(&a->work);
	while (a->seq_committed < target || a->drops_recorded < drops) {
		/* The writer retried for us (the signal above wakes it) and
		 * failed: say so now rather than wait out the timeout on a disk
		 * that is full or failing. */
		if (a->failed_commits != failures && a->last_rc != BT_OK) {
			rc = a->last_rc;
			memcpy(msg, a->last_msg, sizeof(msg));
			break;
		}
		failures = a->failed_commits;
		if (deadline >= 0 && mono_ms() >= deadline) {
			rc = a->last_rc ? a->last_rc : BT_EBUSY;
			memcpy(msg, a->last_msg, sizeof(msg));
			break;
		}
		wait_until(&a->done, &a->mu, deadline);
	}
	a->flushers--;
	pthread_mutex_unlock(&a->mu);
	if (rc == BT_EBUSY)
		return bti_error(rc, "%s: timed out after %d ms waiting for the writer", caller, timeout_ms);
	if (rc != BT_OK)
		return bti_error(rc, "%s: the writer cannot commit: %s", caller, msg);
	return BT_OK;
}

void bti_async_stats(bti_async *a, bt_capture_stats *out)
{
	pthread_mutex_lock(&a->mu);
	*out = a->stats;
	pthread_mutex_unlock(&a->mu);
	out->version = BT_CAPTURE_STATS_VERSION;
}

/* ---- the public API ---- */

int bt_flush(bt_db *db, int timeout_ms)
{
	if (!db)
		return bti_error(BT_EINVALID, "bt_flush: db is NULL");
	return db->async ? bti_async_flush(db->async, timeout_ms, "bt_flush") : BT_OK;
}

int bt_capture_stats_get(bt_db *db, bt_capture_stats *out)
{
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_capture_stats_get: %s is NULL", db ? "out" : "db");
	if (out->version == 0 || out->version > BT_CAPTURE_STATS_VERSION)
		return bti_error(BT_EINVALID, "bt_capture_stats_get: unknown version %u (this library "
				 "knows 1..%d)", out->version, BT_CAPTURE_STATS_VERSION);
	if (db->async) {
		bti_async_stats(db->async, out);
	} else {
		memset(out, 0, sizeof(*out));
		out->version = BT_CAPTURE_STATS_VERSION;
	}
	return BT_OK;
}
