/*
 * landing.h - which ticket an occurrence lands on (landing.c): the rules,
 * written once for every storage backend, over the steps of store.h.
 */
#ifndef BT_LANDING_H
#define BT_LANDING_H

#include "store.h"

/* Store @o in one transaction: its ticket landing and its log row. */
int bti_land_record(bti_store *st, const bti_occurrence *o, bti_landing *out);
/* The same inside the caller's transaction (bti_store_begin), for batches. */
int bti_land_record_in(bti_store *st, const bti_occurrence *o, bti_landing *out);
/* bti_land_record_in for each of @os in order, inside the caller's
 * transaction, with the hot paths sent together (bti_store_land_hits): an
 * asynchronous batch.  @outs receives each landing. */
int bti_land_record_batch(bti_store *st, const bti_occurrence *os, size_t n, bti_landing *outs);

/* The ticket an occurrence @o would land on now (0: a new one), read in one
 * snapshot, writing nothing: bt_dedup_lookup. */
int bti_land_lookup(bti_store *st, const bti_occurrence *o, int64_t *ticket_id);

#endif
