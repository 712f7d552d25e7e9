/*
 * landing.c - which ticket an occurrence lands on, and whether it keeps a
 * log row: the rules, for every storage backend.  The backend gives the
 * steps (store.h, "landing"), each a statement or two; the caller holds the
 * write transaction, so the decision and its writes are atomic.
 *
 * The hot path, a repeat of an open error, is one step (land_hit).  Only a
 * miss reads the ticket, to decide between opening a new one, reopening a
 * resolved one (a regression), counting a recurrence from an older release,
 * or retiring a ticket whose dedup window has passed.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "landing.h"

static int is_done(int status)
{
	return status == BT_STATUS_RESOLVED || status == BT_STATUS_CLOSED;
}

static int open_ticket(bti_store *st, const bti_occurrence *o, bti_landing *out)
{
	int rc = bti_store_ticket_open(st, o, out);

	if (rc == BT_OK)
		rc = bti_store_event_add(st, out->ticket_id, o->reporter ? o->reporter : o->source,
					 "created", NULL, NULL, "new", NULL, o->now);
	return rc;
}

/* A resolved or closed ticket sees its error again: it reopens, due again
 * by its own severity, and the trail says why. */
static int regress(bti_store *st, const bti_occurrence *o, const bti_land_candidate *c,
		   bti_landing *out)
{
	char note[160];
	int64_t due = o->now;
	int rc;

	if (o->sla_ms)
		due += o->sla_ms[c->severity ? c->severity : BT_SEVERITY_CRITICAL];
	rc = bti_store_land_reopen(st, o, c->at.ticket_id, due, out);
	if (rc != BT_OK)
		return rc;
	out->regressed = 1;
	snprintf(note, sizeof(note), "recurred after it was %s%s%.100s",
		 bt_status_name((bt_status)c->status), o->release ? "; release " : "",
		 o->release ? o->release : "");
	return bti_store_event_add(st, c->at.ticket_id, "system", "regressed", "status",
				   bt_status_name((bt_status)c->status), "new", note, o->now);
}

/* What a miss does with the ticket its fingerprint found. */
typedef enum land_action {
	LAND_OPEN,    /* no ticket: open one */
	LAND_COUNT,   /* count it there */
	LAND_RETIRE,  /* open, but its window has passed: it stays as history */
	LAND_REGRESS  /* resolved or closed: reopen it */
} land_action;

/* The active ticket of @o's fingerprint, else the one it was merged into. */
static int find_candidate(bti_store *st, const bti_occurrence *o, bti_land_candidate *c)
{
	int rc = bti_store_land_find(st, o, 0, c);

	if (rc == BT_OK && !c->at.ticket_id)
		rc = bti_store_land_find(st, o, 1, c);
	return rc;
}

/* The rule, for capture and bt_dedup_lookup alike.  An open ticket takes
 * its fingerprint's occurrences, and those merged into it, while its last
 * one lies within the dedup window; a resolved or closed one takes them
 * back as a regression, or as a recurrence from an older release. */
static land_action decide(const bti_occurrence *o, const bti_land_candidate *c)
{
	if (!c->at.ticket_id)
		return LAND_OPEN;
	if (!is_done(c->status))
		return !o->dedup_window_ms || c->last >= o->now - o->dedup_window_ms ? LAND_COUNT
										      : LAND_RETIRE;
	return c->older_release ? LAND_COUNT : LAND_REGRESS;
}

/* The slow path: the hot path (land_hit) found no open ticket within the
 * window. */
static int land_miss(bti_store *st, const bti_occurrence *o, bti_landing *out)
{
	bti_land_candidate c;
	int rc = find_candidate(st, o, &c);

	if (rc != BT_OK)
		return rc;
	switch (decide(o, &c)) {
	case LAND_COUNT:
		*out = c.at;
		return bti_store_land_count(st, o, c.at.ticket_id, out);
	case LAND_RETIRE:
		rc = bti_store_land_retire(st, c.at.ticket_id);
		return rc == BT_OK ? open_ticket(st, o, out) : rc;
	case LAND_REGRESS:
		*out = c.at;
		return regress(st, o, &c, out);
	case LAND_OPEN:
	default:
		return open_ticket(st, o, out);
	}
}

int bti_land_lookup(bti_store *st, const bti_occurrence *o, int64_t *ticket_id)
{
	bti_land_candidate c;
	int rc = bti_store_begin_read(st);

	*ticket_id = 0;
	if (rc != BT_OK)
		return rc;
	rc = find_candidate(st, o, &c);
	bti_store_rollback(st);
	if (rc == BT_OK) {
		land_action a = decide(o, &c);

		if (a == LAND_COUNT || a == LAND_REGRESS)
			*ticket_id = c.at.ticket_id;
	}
	return rc;
}

/* Whether the occurrence's log row is kept under the cap K: the first
 * ceil(K/2) occurrences of a ticket, then every K-th as a sample, of which
 * the latest floor(K/2) survive (*prune: drop older samples).  A storm of
 * one error thus writes one page per hit, not a log row per hit.  When @o
 * stands for n coalesced occurrences (numbers n_before+1 .. n_after), its
 * one row is a sample if a multiple of K lies among them. */
static int keep_log_row(const bti_occurrence *o, const bti_landing *l, int *prune)
{
	int64_t k = o->log_rows_per_ticket, first = (k + 1) / 2, n = l->occurrence;
	int64_t before = n - bti_occurrence_count(o);

	*prune = 0;
	if (!l->ticket_id || k <= 0 || before < first)
		return 1;
	if (k - first > 0 && n / k > before / k) {
		*prune = 1;
		return 1;
	}
	return 0;
}

/* A batch's log rows, written together (bti_store_log_inserts) when the
 * batch ends or before a prune, which must see every row before it. */
typedef struct log_rows {
	const bti_occurrence **os;
	int64_t *ids;
	size_t n;
} log_rows;

static int flush_rows(bti_store *st, log_rows *rows)
{
	int rc = bti_store_log_inserts(st, rows->os, rows->ids, rows->n);

	rows->n = 0;
	return rc;
}

/* Land @o; with @hit_done, @out holds its hot path's result already, and
 * its log row joins @rows (a batch: bti_land_record_batch). */
static int land_record(bti_store *st, const bti_occurrence *o, bti_landing *out, int hit_done,
		       log_rows *rows)
{
	int64_t k = o->log_rows_per_ticket;
	int rc = BT_OK, prune = 0;

	/* Before landing: a regression's decision orders releases. */
	if (o->note_release && o->release)
		rc = bti_store_release_seen(st, o->release, o->now);
	if (rc == BT_OK && o->make_ticket) {
		if (!o->fingerprint)
			rc = open_ticket(st, o, out);
		else if ((hit_done || (rc = bti_store_land_hit(st, o, out)) == BT_OK) &&
			 !out->ticket_id && !o->hit_only)
			rc = land_miss(st, o, out);
	}
	if (rc == BT_OK && o->store_log && keep_log_row(o, out, &prune)) {
		if (rows) {
			rows->os[rows->n] = o;
			rows->ids[rows->n++] = out->ticket_id;
		} else {
			rc = bti_store_log_insert(st, o, out->ticket_id);
		}
	}
	if (rc == BT_OK && prune) {
		if (rows)
			rc = flush_rows(st, rows);
		if (rc == BT_OK)
			rc = bti_store_log_prune(st, out->ticket_id, (k + 1) / 2, k - (k + 1) / 2);
	}
	return rc;
}

int bti_land_record_in(bti_store *st, const bti_occurrence *o, bti_landing *out)
{
	memset(out, 0, sizeof(*out));
	return land_record(st, o, out, 0, NULL);
}

int bti_land_record_batch(bti_store *st, const bti_occurrence *os, size_t n, bti_landing *outs)
{
	size_t m = 0, j = 0, cap = n ? n : 1;
	const bti_occurrence **hot = bti_calloc(cap, sizeof(*hot));
	bti_landing *hot_out = bti_calloc(cap, sizeof(*hot_out));
	log_rows rows = { bti_calloc(cap, sizeof(*rows.os)), bti_calloc(cap, sizeof(*rows.ids)), 0 };
	int rc = hot && hot_out && rows.os && rows.ids
		? BT_OK : bti_error(BT_ENOMEM, "async capture: out of memory");

	memset(outs, 0, n * sizeof(*outs));
	for (size_t i = 0; rc == BT_OK && i < n; i++)
		if (os[i].make_ticket && os[i].fingerprint)
			hot[m++] = &os[i];
	/* Every hot path at once; then each occurrence in order, as one by
	 * one: a miss opens its ticket before a later occurrence of the same
	 * fingerprint lands (that one missed too, and finds it); then the log
	 * rows, at once. */
	if (rc == BT_OK)
		rc = bti_store_land_hits(st, hot, m, hot_out);
	for (size_t i = 0; rc == BT_OK && i < n; i++) {
		int hit_done = j < m && hot[j] == &os[i];

		if (hit_done)
			outs[i] = hot_out[j++];
		/* A hit-only occurrence that an earlier one of the batch opened a
		 * ticket for would have hit, one by one: it looks again. */
		if (hit_done && !outs[i].ticket_id && os[i].hit_only)
			hit_done = 0;
		rc = land_record(st, &os[i], &outs[i], hit_done, &rows);
	}
	if (rc == BT_OK)
		rc = flush_rows(st, &rows);
	bti_free(hot);
	bti_free(hot_out);
	bti_free(rows.os);
	bti_free(rows.ids);
	return rc;
}

/* The hot path in one step of its own where the backend offers it
 * (bti_store_land_hit_alone): a repeat of an open error that keeps no log
 * row, the common case of a storm, then needs no transaction around it.
 * With unlimited log rows every occurrence keeps one: never alone. */
static int land_alone(bti_store *st, const bti_occurrence *o, bti_landing *out)
{
	int64_t k = o->log_rows_per_ticket;

	if (!o->make_ticket || !o->fingerprint || (o->store_log && k <= 0) || o->note_release)
		return BT_OK;
	return bti_store_land_hit_alone(st, o, (k + 1) / 2, o->store_log ? k : 0, out);
}

int bti_land_record(bti_store *st, const bti_occurrence *o, bti_landing *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = land_alone(st, o, out);
	if (rc != BT_OK || out->ticket_id)
		return rc;
	rc = bti_store_begin(st);
	if (rc != BT_OK) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	rc = bti_land_record_in(st, o, out);
	if (rc == BT_OK)
		rc = bti_store_commit(st);
	if (rc != BT_OK) {
		bti_store_rollback(st);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}
