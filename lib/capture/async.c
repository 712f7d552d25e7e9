/*
 * async.c - asynchronous capture, the default mode.
 *
 * A capture call copies the host's input into the fill batch under a short
 * mutex and returns: it never waits for the database, and the costly text
 * work (cleaning, redaction, normalization, grouping) happens on the writer
 * thread.  The writer swaps batches and commits each in one transaction
 * (group commit).
 *
 * Within a batch, captures are counted together by their key: the inputs
 * their fingerprint is computed from (component, template, function, error
 * type, explicit fingerprint, and the message only when the template has no
 * words).  Equal keys give equal fingerprints, so a repeat only adds to the
 * pending item's count, and a call whose format has words is counted before
 * its message is even formatted.  Which ticket an occurrence lands on is
 * decided by the store inside the writer's transaction, so tickets merged,
 * resolved or deleted by other processes can never make the queue wrong.
 *
 * Locks: @mu guards the batches and the counters; callers never take the
 * handle's lock.  The writer holds the handle's lock while it commits, and
 * never @mu at the same time, so process.c may take the handle's lock and
 * then @mu to freeze everything across fork().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "async.h"
#include "db.h"
#include "landing.h"
#include "occurrence.h"
#include "versioned.h"

#define DEFAULT_ENTRIES 4096u
#define DEFAULT_BYTES ((size_t)4 << 20)
#define DEFAULT_INTERVAL_MS 20
#define MAX_INTERVAL_MS 60000

/* One pending capture: the host's input, its strings copied into @blob. */
typedef struct item {
	bti_capture_in in;
	char *blob;
	size_t bytes;
	uint64_t hash;         /* the key's hash, if @keyed */
	int keyed, has_message;
	int done;              /* committed (a split batch commits in parts) */
	int64_t first_at, last_at, count;
} item;

typedef struct batch {
	item *items;
	size_t n, cap;
	uint32_t *index;       /* open addressing by key hash: item index + 1 */
	size_t index_mask;
	uint64_t last_seq;     /* accepted calls up to here are in this batch */
	uint64_t dropped;      /* drops to record with this batch */
	uint64_t drop_seq;     /* drops up to here are recorded with it */
	int drops_done;
	uint64_t commits;      /* transactions of it committed, not yet in stats */
	int64_t opened_ms;     /* monotonic time of its first item */
} batch;

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
	int interval_ms, overflow, block_ms, busy_ms;

	uint64_t seq_accepted, seq_committed;  /* accepted calls */
	uint64_t seq_dropped, drops_recorded;  /* dropped calls */
	uint64_t dropped_pending;              /* not yet in a batch */
	int flushers, stop;
	int64_t give_up_ms;    /* when stopping: the monotonic deadline */
	int last_rc;           /* the writer's last failure */
	uint64_t failed_commits;
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

static size_t pow2_at_least(size_t n)
{
	size_t p = 16;

	while (p < n)
		p <<= 1;
	return p;
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

/* ---- keys ---- */

void bti_key_hash(bti_key *k)
{
	const char *parts[] = { k->component, k->template_, k->function, k->error_type,
				k->fingerprint };
	uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)k->level;
	size_t len = 0;

	for (size_t i = 0; i < BTI_ARRAY_LEN(parts); i++)
		h = fnv(h, parts[i], &len);
	if (k->message) {
		for (size_t i = 0; i < k->message_len; i++)
			h = (h ^ (unsigned char)k->message[i]) * 0x100000001b3ull;
		h = (h ^ 0xfe) * 0x100000001b3ull;
	}
	k->hash = h ? h : 1;
}

static int same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int item_has_key(const item *it, const bti_key *k)
{
	const bt_event *ev = &it->in.ev;

	if (!it->keyed || it->hash != k->hash || ev->level != (bt_level)k->level)
		return 0;
	if (!same_text(ev->component, k->component) || !same_text(ev->message_template, k->template_) ||
	    !same_text(ev->function, k->function) || !same_text(ev->error_type, k->error_type) ||
	    !same_text(ev->fingerprint, k->fingerprint))
		return 0;
	if (!k->message)
		return !it->has_message;
	return it->has_message && it->in.message_len == k->message_len &&
	       memcmp(ev->message, k->message, k->message_len) == 0;
}

/* ---- batches ---- */

static item *batch_find(batch *b, const bti_key *k)
{
	if (!b->n)
		return NULL;
	for (size_t i = k->hash & b->index_mask;; i = (i + 1) & b->index_mask) {
		uint32_t v = b->index[i];

		if (!v)
			return NULL;
		if (item_has_key(&b->items[v - 1], k))
			return &b->items[v - 1];
	}
}

static void batch_index_add(batch *b, uint64_t hash, size_t idx)
{
	size_t i = hash & b->index_mask;

	while (b->index[i])
		i = (i + 1) & b->index_mask;
	b->index[i] = (uint32_t)(idx + 1);
}

/* The string fields of an event, copied whole into an item.  The message
 * is copied by its length (it may hold a NUL). */
static const size_t EV_STRINGS[] = {
	offsetof(bt_event, component), offsetof(bt_event, message_template),
	offsetof(bt_event, error_type), offsetof(bt_event, file), offsetof(bt_event, function),
	offsetof(bt_event, stack_trace), offsetof(bt_event, fingerprint),
	offsetof(bt_event, context_json), offsetof(bt_event, trace_id),
	offsetof(bt_event, request_id), offsetof(bt_event, service), offsetof(bt_event, host),
	offsetof(bt_event, environment), offsetof(bt_event, release),
};

static const char **ev_string(bt_event *ev, size_t i)
{
	return (const char **)(void *)((char *)ev + EV_STRINGS[i]);
}

static size_t in_bytes(const bti_capture_in *in)
{
	size_t n = in->message_len + 1;

	for (size_t i = 0; i < BTI_ARRAY_LEN(EV_STRINGS); i++) {
		const char *s = *ev_string((bt_event *)&in->ev, i);

		n += s ? strlen(s) + 1 : 0;
	}
	return n;
}

/* Copy @in into @it, its strings into one block of @bytes. */
static int item_fill(item *it, const bti_capture_in *in, size_t bytes, int64_t now)
{
	char *p;

	memset(it, 0, sizeof(*it));
	it->in = *in;
	it->blob = p = bti_malloc(bytes);
	if (!p)
		return BT_ENOMEM;
	memcpy(p, in->ev.message, in->message_len);
	p[in->message_len] = '\0';
	it->in.ev.message = p;
	p += in->message_len + 1;
	for (size_t i = 0; i < BTI_ARRAY_LEN(EV_STRINGS); i++) {
		const char **s = ev_string(&it->in.ev, i);

		if (*s) {
			size_t n = strlen(*s) + 1;

			memcpy(p, *s, n);
			*s = p;
			p += n;
		}
	}
	it->in.caller_pc = NULL; /* the host's stack is gone by the time it is read */
	it->bytes = bytes;
	it->first_at = it->last_at = now;
	it->count = 1;
	return BT_OK;
}

static void item_count(item *it, int64_t now)
{
	it->count++;
	if (now > it->last_at)
		it->last_at = now;
	if (now < it->first_at)
		it->first_at = now;
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
	b->items = grown;
	b->cap = want;
	return BT_OK;
}

/* The bytes @b's items hold. */
static size_t batch_bytes(const batch *b)
{
	size_t bytes = 0;

	for (size_t i = 0; i < b->n; i++)
		bytes += b->items[i].bytes;
	return bytes;
}

static void items_free(item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bti_free(items[i].blob);
	bti_free(items);
}

/* Make @b empty and hand its items to the caller, who frees them with
 * items_free(); @b grows a new array when it fills again. */
static item *batch_detach(batch *b, size_t *n)
{
	item *items = b->items;

	*n = b->n;
	if (b->n)
		memset(b->index, 0, (b->index_mask + 1) * sizeof(*b->index));
	b->items = NULL;
	b->n = b->cap = 0;
	b->dropped = 0;
	b->drops_done = 0;
	return items;
}

/* Free @b's items and make it empty. */
static void batch_clear(batch *b)
{
	size_t n;
	item *items = batch_detach(b, &n);

	items_free(items, n);
}

/* ---- the caller's side ---- */

static void count_drop(bti_async *a)
{
	a->stats.dropped++;
	a->seq_dropped++;
	a->dropped_pending++;
	pthread_cond_signal(&a->work);
}

static void count_accepted(bti_async *a)
{
	a->stats.accepted++;
	a->fill->last_seq = ++a->seq_accepted;
}

int bti_async_repeat(bti_async *a, const bti_key *key, int64_t now)
{
	item *it;
	int hit = 0;

	pthread_mutex_lock(&a->mu);
	if (!a->stop && (it = batch_find(a->fill, key)) != NULL) {
		item_count(it, now);
		a->stats.coalesced++;
		count_accepted(a);
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

static int add_item(bti_async *a, const bti_capture_in *in, const bti_key *key, size_t bytes,
		    int64_t now)
{
	batch *b = a->fill;
	item *it;

	if (b->n == b->cap && batch_grow(b, a->entries_cap) != BT_OK)
		return BT_ENOMEM;
	it = &b->items[b->n];
	if (item_fill(it, in, bytes, now) != BT_OK)
		return BT_ENOMEM;
	if (key) {
		it->keyed = 1;
		it->hash = key->hash;
		it->has_message = key->message != NULL;
		batch_index_add(b, key->hash, b->n);
	}
	if (!b->n++)
		b->opened_ms = mono_ms();
	a->bytes_used += bytes;
	if (a->bytes_used > a->stats.queue_bytes_peak)
		a->stats.queue_bytes_peak = a->bytes_used;
	/* The writer commits at once when a batch is half full, so that the
	 * other half absorbs the calls made meanwhile. */
	if (b->n == 1 || b->n == a->entries_cap / 2 || a->bytes_used > a->bytes_cap / 2)
		pthread_cond_signal(&a->work);
	return BT_OK;
}

int bti_async_enqueue(bti_async *a, const bti_capture_in *in, const bti_key *key, int64_t now)
{
	size_t bytes = in_bytes(in);
	int64_t deadline = -1;
	int rc = BT_OK;
	item *it;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		if (a->stop) {
			rc = BT_ESTATE;
			break;
		}
		it = key ? batch_find(a->fill, key) : NULL;
		if (it) {
			item_count(it, now);
			a->stats.coalesced++;
			break;
		}
		if (has_room(a, bytes)) {
			rc = add_item(a, in, key, bytes, now);
			break;
		}
		if (a->overflow == BT_OVERFLOW_BLOCK) {
			if (deadline < 0)
				deadline = mono_ms() + a->block_ms;
			if (mono_ms() < deadline) {
				pthread_cond_signal(&a->work);
				wait_until(&a->done, &a->mu, deadline);
				continue;
			}
		}
		/* Dropped, whole: nothing of it is pending, so a later call
		 * with the same key starts an item of its own. */
		count_drop(a);
		rc = BT_EBUSY;
		break;
	}
	if (rc == BT_OK)
		count_accepted(a);
	pthread_mutex_unlock(&a->mu);
	if (rc == BT_ENOMEM)
		return bti_error(BT_ENOMEM, "%s: out of memory queueing an occurrence", in->caller);
	if (rc == BT_EBUSY)
		return bti_error(BT_EBUSY, "%s: the capture queue is full; the occurrence was "
				 "dropped and counted in the async_dropped counter", in->caller);
	if (rc == BT_ESTATE)
		return bti_error(BT_ESTATE, "%s: the handle is closing or the process is exiting; "
				 "the occurrence was not queued", in->caller);
	return rc;
}

/* ---- the writer ---- */

/* What preparing a batch made: one occurrence per item. */
typedef struct prepared_item {
	bti_prepared p;
	bti_occurrence o;
	int ok;
} prepared_item;

/* Commit items [@from, @to) of @b that are not done yet, in one
 * transaction, with the batch's drop count if it is not recorded yet.
 * Called without @mu.  A batch that fails for I/O (a nearly full disk) is
 * split in halves, so that what fits is kept. */
static int commit_range(bti_async *a, batch *b, prepared_item *pi, size_t from, size_t to)
{
	bt_db *db = a->db;
	int64_t deadline = mono_ms() + a->busy_ms;
	/* Set under @mu, which this thread does not hold here. */
	int64_t give_up = __atomic_load_n(&a->give_up_ms, __ATOMIC_RELAXED);
	bti_occurrence *occ = bti_calloc(to - from, sizeof(*occ));
	bti_landing *landing = bti_calloc(to - from, sizeof(*landing));
	size_t n = 0;
	int rc;

	if (!occ || !landing) {
		bti_free(occ);
		bti_free(landing);
		return bti_error(BT_ENOMEM, "async capture: out of memory landing a batch");
	}
	if (give_up >= 0 && give_up < deadline)
		deadline = give_up;
	rc = bti_db_lock_until(db, deadline, "async capture");
	if (rc != BT_OK) {
		bti_free(occ);
		bti_free(landing);
		return rc;
	}
	rc = bti_store_begin(db->store);
	for (size_t i = from; rc == BT_OK && i < to; i++) {
		bti_occurrence *o = &occ[n];

		if (b->items[i].done)
			continue;
		*o = pi[i].o;
		o->now = b->items[i].first_at;
		o->last_at = b->items[i].last_at;
		o->count = b->items[i].count;
		rc = bti_occurrence_stamp(db, o, 1, "async capture");
		n++;
	}
	/* The batch lands together: on PostgreSQL its hot paths take one
	 * round trip, not one each. */
	if (rc == BT_OK)
		rc = bti_land_record_batch(db->store, occ, n, landing);
	if (rc == BT_OK && b->dropped && !b->drops_done)
		rc = bti_store_counter_add(db->store, "async_dropped", (int64_t)b->dropped,
					   bti_db_now(db));
	if (rc == BT_OK)
		rc = bti_store_commit(db->store);
	if (rc != BT_OK)
		bti_store_rollback(db->store);
	bti_db_unlock(db);
	bti_free(occ);
	bti_free(landing);
	if (rc == BT_OK) {
		for (size_t i = from; i < to; i++)
			b->items[i].done = 1;
		b->drops_done = 1;
		b->commits++;
		return BT_OK;
	}
	if (rc == BT_EIO && to - from > 1) {
		size_t mid = from + (to - from) / 2;
		int left = commit_range(a, b, pi, from, mid);
		int right = commit_range(a, b, pi, mid, to);

		return left != BT_OK ? left : right;
	}
	return rc;
}

static int commit_batch(bti_async *a, batch *b)
{
	prepared_item *pi = bti_calloc(b->n ? b->n : 1, sizeof(*pi));
	int rc = BT_OK;

	if (!pi)
		return bti_error(BT_ENOMEM, "async capture: out of memory preparing a batch");
	/* The text work, outside the handle's lock. */
	for (size_t i = 0; rc == BT_OK && i < b->n; i++) {
		if (b->items[i].done)
			continue;
		rc = bti_occurrence_prepare(a->db, &b->items[i].in, &pi[i].p, &pi[i].o);
		pi[i].ok = rc == BT_OK;
	}
	if (rc == BT_OK)
		rc = commit_range(a, b, pi, 0, b->n);
	for (size_t i = 0; i < b->n; i++)
		if (pi[i].ok)
			bti_prepared_free(&pi[i].p);
	bti_free(pi);
	return rc;
}

/* Whether the fill batch should be committed now rather than at the end of
 * its interval. */
static int urgent(const bti_async *a)
{
	return a->stop || a->flushers || a->fill->n >= a->entries_cap / 2 ||
	       a->bytes_used > a->bytes_cap / 2;
}

/* Under @mu: account for what a commit attempt of @b did. */
static void settle(bti_async *a, batch *b)
{
	/* Each transaction counts, a split batch's parts too (a split that
	 * should not happen then shows). */
	a->stats.batches += b->commits;
	b->commits = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (b->items[i].done && b->items[i].count) {
			a->stats.committed += (uint64_t)b->items[i].count;
			b->items[i].count = 0; /* counted; the item is done */
		}
	}
}

static void *writer_main(void *arg)
{
	bti_async *a = arg;
	batch *drain = NULL;

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
		settle(a, drain);
		if (rc == BT_OK) {
			a->seq_committed = drain->last_seq;
			a->drops_recorded = drain->drop_seq;
			a->last_rc = BT_OK;
		} else {
			a->last_rc = rc;
			a->failed_commits++;
			memcpy(a->last_msg, msg, sizeof(msg));
		}
		batch *release = NULL;

		if (rc == BT_OK || (a->stop && mono_ms() >= a->give_up_ms)) {
			/* Committed, or given up at close: what is left is lost. */
			a->bytes_used -= batch_bytes(drain);
			release = drain;
			drain = NULL;
		}
		/* Before any retry wait: a flusher must hear of the failure now,
		 * not an interval later. */
		pthread_cond_broadcast(&a->done);
		if (release) {
			/* Freeing thousands of texts is not done under @mu, which
			 * every capture call takes.  The items leave the batch
			 * under @mu first: a fork while they are freed then finds
			 * a consistent, empty batch, and the child only leaks what
			 * this thread held (clearing the batch in place, the child
			 * freed again what was already freed). */
			size_t dead_n;
			item *dead = batch_detach(release, &dead_n);

			pthread_mutex_unlock(&a->mu);
			items_free(dead, dead_n);
			pthread_mutex_lock(&a->mu);
		}
		if (drain) {
			/* Try again after an interval (or when a flush asks);
			 * meanwhile callers fill the other batch, and drop once it
			 * is full.  Closing retries sooner, until its deadline. */
			int64_t pause = a->stop ? 5 : a->interval_ms;

			wait_until(&a->work, &a->mu, mono_ms() + pause);
		}
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* ---- lifecycle ---- */

static void async_free(bti_async *a)
{
	for (int i = 0; i < 2; i++) {
		batch_clear(&a->batches[i]);
		bti_free(a->batches[i].index);
	}
	pthread_cond_destroy(&a->work);
	pthread_cond_destroy(&a->done);
	pthread_mutex_destroy(&a->mu);
	bti_free(a);
}

/* The handle's hook before a call reads (db.h, drain): commit what the
 * handle accepted, unless the caller is the writer itself.  A writer that
 * cannot commit does not stop the call; it sees the database as it is. */
static void drain_for_reader(bti_async *a, int64_t deadline_ms)
{
	if (!bti_async_is_writer(a))
		bti_async_flush(a, deadline_ms, NULL);
}

int bti_async_start(bt_db *db, const bt_open_options *o, int busy_timeout_ms)
{
	bti_async *a;
	size_t index_size;

	if (o->async_flush_interval_ms < 0 || o->async_flush_interval_ms > MAX_INTERVAL_MS)
		return bti_error(BT_EINVALID, "bt_open: async_flush_interval_ms %d is outside 0..%d",
				 o->async_flush_interval_ms, MAX_INTERVAL_MS);
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
	a->busy_ms = busy_timeout_ms;
	a->give_up_ms = -1;
	a->fill = &a->batches[0];
	index_size = pow2_at_least(2 * a->entries_cap);
	for (int i = 0; i < 2; i++) {
		a->batches[i].index = bti_calloc(index_size, sizeof(uint32_t));
		a->batches[i].index_mask = index_size - 1;
	}
	if (!a->batches[0].index || !a->batches[1].index) {
		async_free(a);
		return bti_error(BT_ENOMEM, "bt_open: out of memory for the asynchronous queue");
	}
	if (bti_async_restart(a) != BT_OK) {
		async_free(a);
		return bti_error_last();
	}
	db->async = a;
	db->drain = drain_for_reader;
	return BT_OK;
}

int bti_async_restart(bti_async *a)
{
	if (a->started)
		return BT_OK;
	if (pthread_create(&a->thread, NULL, writer_main, a) != 0)
		return bti_error(BT_ENOMEM, "cannot start the capture writer thread");
	a->started = 1;
	return BT_OK;
}

/* Stop the writer after it committed what is pending, or at @deadline_ms:
 * the writer never waits for a lock past it. */
static void stop_writer(bti_async *a, int64_t deadline_ms)
{
	pthread_mutex_lock(&a->mu);
	__atomic_store_n(&a->give_up_ms, deadline_ms, __ATOMIC_RELAXED);
	a->stop = 1;
	pthread_cond_signal(&a->work);
	pthread_mutex_unlock(&a->mu);
	if (!a->started)
		return;
	/* The writer gives up at the deadline; the margin covers the I/O of
	 * the commit it may be in. */
	if (bti_thread_join_until(a->thread, deadline_ms + 1000) == 0)
		a->started = 0;
}

void bti_async_stop(bti_async *a)
{
	if (!a)
		return;
	stop_writer(a, mono_ms() + a->busy_ms);
	if (a->started)
		return; /* the writer is stuck past every deadline: leak rather than crash */
	async_free(a);
}

void bti_async_exit(bti_async *a, int64_t deadline_ms)
{
	if (a && !a->stop)
		stop_writer(a, deadline_ms);
}

int bti_async_flush(bti_async *a, int64_t deadline, const char *caller)
{
	uint64_t target, drops, failures;
	char msg[sizeof(a->last_msg)];
	int rc = BT_OK;

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
		if (!a->started) {
			rc = BT_ESTATE;
			snprintf(msg, sizeof(msg), "the writer has stopped");
			break;
		}
		if (deadline >= 0 && mono_ms() >= deadline) {
			rc = a->last_rc ? a->last_rc : BT_EBUSY;
			memcpy(msg, a->last_msg, sizeof(msg));
			break;
		}
		wait_until(&a->done, &a->mu, deadline);
	}
	a->flushers--;
	pthread_mutex_unlock(&a->mu);
	if (!caller)
		return rc; /* a caller's implicit flush leaves no message */
	if (rc == BT_EBUSY)
		return bti_error(rc, "%s: timed out waiting for the writer", caller);
	if (rc != BT_OK)
		return bti_error(rc, "%s: the writer cannot commit: %s", caller, msg);
	return BT_OK;
}

int bti_async_is_writer(const bti_async *a)
{
	return a->started && pthread_equal(pthread_self(), a->thread);
}

void bti_async_stats(bti_async *a, bt_capture_stats *out)
{
	pthread_mutex_lock(&a->mu);
	*out = a->stats;
	pthread_mutex_unlock(&a->mu);
	out->version = BT_CAPTURE_STATS_VERSION;
}

/* ---- fork ---- */

void bti_async_fork_prepare(bti_async *a)
{
	pthread_mutex_lock(&a->mu);
}

void bti_async_fork_parent(bti_async *a)
{
	pthread_mutex_unlock(&a->mu);
}

void bti_async_fork_child(bti_async *a, int held)
{
	pthread_condattr_t attr;

	/* The child has one thread: the writer, and any thread that waited on
	 * these, are gone.  Fresh condition variables, since one with the
	 * parent's waiters recorded would hang its destruction; the mutex this
	 * thread took in fork_prepare is unlocked, one another thread held is
	 * made anew. */
	if (held)
		pthread_mutex_unlock(&a->mu);
	else
		pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&a->work, &attr);
	pthread_cond_init(&a->done, &attr);
	pthread_condattr_destroy(&attr);
	a->started = 0;
	a->stop = 0;
	a->give_up_ms = -1;
	a->flushers = 0;
	/* What is pending is the parent's, and the parent commits it. */
	for (int i = 0; i < 2; i++)
		batch_clear(&a->batches[i]);
	a->bytes_used = 0;
	a->seq_accepted = a->seq_committed = a->seq_dropped = a->drops_recorded = 0;
	a->dropped_pending = 0;
	a->last_rc = BT_OK;
	a->failed_commits = 0;
	memset(&a->stats, 0, sizeof(a->stats));
}

/* ---- the public API ---- */

int bt_flush(bt_db *db, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : bti_mono_ms() + timeout_ms;
	int rc;

	if (!db)
		return bti_error(BT_EINVALID, "bt_flush: db is NULL");
	rc = bti_db_enter(db, "bt_flush");
	if (rc == BT_OK && db->async)
		rc = bti_async_flush(db->async, deadline, "bt_flush");
	return rc;
}

int bt_capture_stats_get(bt_db *db, bt_capture_stats *out)
{
	bt_capture_stats all;

	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_capture_stats_get: %s is NULL", db ? "out" : "db");
	if (bti_versioned_check(&bti_v_capture_stats, "bt_capture_stats_get", out) != BT_OK)
		return BT_EINVALID;
	memset(&all, 0, sizeof(all));
	if (db->async)
		bti_async_stats(db->async, &all);
	/* Re-entered calls are refused before they reach the queue. */
	all.dropped += __atomic_load_n(&db->refused, __ATOMIC_RELAXED);
	bti_versioned_out(&bti_v_capture_stats, out, &all);
	return BT_OK;
}
