/*
 * import_land.c - storing a record of bt_import_json once: is it already
 * here (or, in a dry run, would it be), store it or note it in the shadow,
 * and after the last record link the duplicates and let fingerprints take
 * occurrences.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fingerprint.h"
#include "import_internal.h"

/* ---- landing a record ---- */

static int add_fingerprint(importer *imp, const char *fp)
{
	char **grown;

	if (imp->nfps == imp->fps_cap) {
		size_t cap = imp->fps_cap ? imp->fps_cap * 2 : 64;

		grown = bti_realloc(imp->fingerprints, cap * sizeof(*grown));
		if (!grown)
			return bti_import_nomem();
		imp->fingerprints = grown;
		imp->fps_cap = cap;
	}
	if (!(imp->fingerprints[imp->nfps] = bti_strdup(fp)))
		return bti_import_nomem();
	imp->nfps++;
	return BT_OK;
}

static int add_link(importer *imp, const record *r, const bt_ticket *t, int64_t canonical)
{
	dup_link *grown, *l;

	if (imp->nlinks == imp->links_cap) {
		size_t cap = imp->links_cap ? imp->links_cap * 2 : 16;

		grown = bti_realloc(imp->links, cap * sizeof(*grown));
		if (!grown)
			return bti_import_nomem();
		imp->links = grown;
		imp->links_cap = cap;
	}
	l = &imp->links[imp->nlinks];
	l->index = r->index;
	l->id = t->num[BTI_T_ID];
	l->canonical = canonical;
	l->fingerprint = NULL;
	if (t->text[BTI_T_FINGERPRINT] && !(l->fingerprint = bti_strdup(t->text[BTI_T_FINGERPRINT])))
		return bti_import_nomem();
	imp->nlinks++;
	return BT_OK;
}

/* Is the record already here (or, in a dry run, would it be)?  By
 * external_id when it has one; an export record without one by its id,
 * which must then hold the same ticket (fingerprint and creation time). */
static int already_present(importer *imp, const record *r, const bt_ticket *t, int native,
			   int *present_out)
{
	const shadow *sh = &imp->s->sh;
	const char *ext = t->text[BTI_T_EXTERNAL_ID];
	const char *fp = t->text[BTI_T_FINGERPRINT];
	const shadow_entry *e = NULL;
	int64_t id, created;
	char *old_fp = NULL;
	int rc, same;

	*present_out = 0;
	if (ext) {
		rc = bti_store_ticket_by_external_id(imp->st, ext, &id);
		if (rc != BT_OK && rc != BT_ENOTFOUND)
			return bti_import_failed_in(imp, r, rc);
		if (rc == BT_OK || bti_import_shadow_find_ext(sh, ext)) {
			*present_out = 1;
			return BT_OK;
		}
	}
	if (!native)
		return BT_OK;
	rc = bti_store_ticket_origin(imp->st, t->num[BTI_T_ID], &created, &old_fp);
	if (rc == BT_ENOTFOUND) {
		e = bti_import_shadow_find_id(sh, t->num[BTI_T_ID]);
		if (!e)
			return BT_OK;
		created = e->created;
		rc = BT_OK;
	}
	if (rc != BT_OK)
		return bti_import_failed_in(imp, r, rc);
	if (e)
		same = created == t->num[BTI_T_CREATED_AT] && !e->fingerprint == !fp &&
		       (!fp || strcmp(e->fingerprint, fp) == 0);
	else
		same = created == t->num[BTI_T_CREATED_AT] && !old_fp == !fp &&
		       (!fp || strcmp(old_fp, fp) == 0);
	bti_free(old_fp);
	if (!same)
		return bti_import_bad(imp, r, BT_ECONFLICT, "id %" PRId64 " belongs to another "
				      "ticket of this database (other fingerprint or creation "
				      "time); import into a fresh database to restore ids",
				      t->num[BTI_T_ID]);
	*present_out = 1;
	return BT_OK;
}

/* A dry run stores nothing: it notes what would have been stored.  That
 * includes the id a record without one would take (the next after the
 * largest ever given), so that a later export record claiming that id is
 * refused by the dry run as by the import. */
static int land_dry(importer *imp, const record *r, const bt_ticket *t, int native)
{
	shadow *sh = &imp->s->sh;
	int64_t given = native ? t->num[BTI_T_ID] : 0, high;
	char id[32];
	int rc = bti_store_ticket_id_high(imp->st, &high);

	if (rc != BT_OK)
		return bti_import_failed_in(imp, r, rc);
	if (sh->high < high)
		sh->high = high;
	if (!given)
		given = sh->high + 1;
	if (sh->high < given)
		sh->high = given;
	if (t->text[BTI_T_EXTERNAL_ID])
		rc = bti_import_shadow_add(sh, "e:", t->text[BTI_T_EXTERNAL_ID], NULL, 0);
	if (rc == BT_OK) {
		snprintf(id, sizeof(id), "%" PRId64, given);
		rc = bti_import_shadow_add(sh, "i:", id, t->text[BTI_T_FINGERPRINT],
					   t->num[BTI_T_CREATED_AT]);
	}
	if (rc == BT_OK && t->num[BTI_T_DUPLICATE_OF])
		rc = add_link(imp, r, t, t->num[BTI_T_DUPLICATE_OF]);
	return rc;
}

int bti_import_land(importer *imp, record *r, bt_ticket *t, int native)
{
	char note[400];
	int64_t id, canonical = t->num[BTI_T_DUPLICATE_OF];
	int present, rc;

	rc = already_present(imp, r, t, native, &present);
	if (rc != BT_OK)
		return rc;
	if (present) {
		imp->skipped++;
		return BT_OK;
	}
	if (imp->dry_run) {
		rc = land_dry(imp, r, t, native);
		if (rc == BT_OK)
			imp->imported++;
		return rc;
	}
	/* grouping_version is not exported (the export columns are frozen), so
	 * every export record is stamped with the current one, even a ticket
	 * an older grouping version made: that version is lost in a round
	 * trip.  Legacy reports were never grouped (0).  A fingerprint
	 * takes occurrences, and duplicate_of (which may name a ticket later
	 * in the input) is set, only once bti_import_finish() has seen every record. */
	t->num[BTI_T_DUPLICATE_OF] = 0;
	rc = bti_store_ticket_insert(imp->st, t, t->text[BTI_T_FINGERPRINT] ? 0 : 1,
				     native ? BTI_GROUPING_VERSION : 0, &id);
	if (rc != BT_OK)
		return bti_import_failed_in(imp, r, rc);
	t->num[BTI_T_ID] = id;
	if (native)
		snprintf(note, sizeof(note), "bugtrack export record%s%.300s",
			 imp->source ? " from " : "", imp->source ? imp->source : "");
	else
		snprintf(note, sizeof(note), "legacy report %.64s%s%.300s", t->text[BTI_T_EXTERNAL_ID],
			 imp->source ? " from " : "", imp->source ? imp->source : "");
	rc = bti_store_event_add(imp->st, id, imp->actor, "imported", NULL, NULL, NULL, note,
				 imp->now);
	if (rc == BT_OK && canonical)
		rc = add_link(imp, r, t, canonical);
	if (rc == BT_OK && t->text[BTI_T_FINGERPRINT] && !canonical)
		rc = add_fingerprint(imp, t->text[BTI_T_FINGERPRINT]);
	if (rc != BT_OK)
		return bti_import_failed_in(imp, r, rc);
	imp->imported++;
	return BT_OK;
}

/* ---- after the records ---- */

static int link_target_exists(importer *imp, int64_t id, int *exists_out)
{
	int64_t created;
	char *fp = NULL;
	int rc = bti_store_ticket_origin(imp->st, id, &created, &fp);

	bti_free(fp);
	*exists_out = rc == BT_OK || bti_import_shadow_find_id(&imp->s->sh, id) != NULL;
	return rc == BT_ENOTFOUND ? BT_OK : rc;
}

int bti_import_finish(importer *imp)
{
	size_t i;
	int rc = BT_OK, exists;

	for (i = 0; rc == BT_OK && i < imp->nlinks; i++) {
		const dup_link *l = &imp->links[i];

		rc = link_target_exists(imp, l->canonical, &exists);
		if (rc == BT_OK && !exists) {
			imp->failed = l->index;
			return bti_error(BT_EINVALID, CALLER ": record %" PRId64 " (id %" PRId64 "): "
					 "'duplicate_of' %" PRId64 " is no ticket of this database "
					 "or input", l->index + 1, l->id, l->canonical);
		}
		if (rc == BT_OK && !imp->dry_run)
			rc = bti_store_ticket_link(imp->st, l->id, l->canonical, l->fingerprint,
						   imp->now);
	}
	for (i = 0; rc == BT_OK && i < imp->nfps; i++)
		rc = bti_store_fingerprint_activate(imp->st, imp->fingerprints[i]);
	return rc;
}
