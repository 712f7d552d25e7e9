/*
 * import_shadow.c - the dry run's shadow (see import_internal.h): what the
 * documents of a dry-run session would have stored, so that each is checked
 * as if those before it had been imported.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "import_internal.h"

static size_t shadow_hash(const char *s, size_t nbuckets)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return (size_t)(h & (nbuckets - 1));
}

static const shadow_entry *shadow_find(const shadow *sh, const char *key)
{
	size_t i;

	if (!sh->nbuckets)
		return NULL;
	for (i = sh->buckets[shadow_hash(key, sh->nbuckets)]; i; i = sh->items[i - 1].next)
		if (strcmp(sh->items[i - 1].key, key) == 0)
			return &sh->items[i - 1];
	return NULL;
}

static int shadow_grow(shadow *sh)
{
	size_t nb = sh->nbuckets ? sh->nbuckets * 2 : 256, i, h;
	size_t *buckets;
	shadow_entry *items;

	items = bti_realloc(sh->items, nb * sizeof(*items));
	if (!items)
		return bti_import_nomem();
	sh->items = items;
	sh->cap = nb;
	buckets = bti_calloc(nb, sizeof(*buckets));
	if (!buckets)
		return bti_import_nomem();
	bti_free(sh->buckets);
	sh->buckets = buckets;
	sh->nbuckets = nb;
	for (i = 0; i < sh->n; i++) {
		h = shadow_hash(sh->items[i].key, nb);
		sh->items[i].next = buckets[h];
		buckets[h] = i + 1;
	}
	return BT_OK;
}

int bti_import_shadow_add(shadow *sh, const char *prefix, const char *name, const char *fp,
			  int64_t created)
{
	shadow_entry *e;
	size_t h, len = strlen(prefix) + strlen(name) + 1;
	int rc;

	if (sh->n == sh->cap && (rc = shadow_grow(sh)) != BT_OK)
		return rc;
	e = &sh->items[sh->n];
	memset(e, 0, sizeof(*e));
	e->key = bti_malloc(len);
	if (!e->key || (fp && !(e->fingerprint = bti_strdup(fp)))) {
		bti_free(e->key);
		return bti_import_nomem();
	}
	snprintf(e->key, len, "%s%s", prefix, name);
	e->created = created;
	h = shadow_hash(e->key, sh->nbuckets);
	e->next = sh->buckets[h];
	sh->buckets[h] = ++sh->n;
	return BT_OK;
}

/* Forget the entries added after the first @n. */
void bti_import_shadow_truncate(shadow *sh, size_t n)
{
	while (sh->n > n) {
		shadow_entry *e = &sh->items[--sh->n];

		sh->buckets[shadow_hash(e->key, sh->nbuckets)] = e->next;
		bti_free(e->key);
		bti_free(e->fingerprint);
	}
}

void bti_import_shadow_free(shadow *sh)
{
	bti_import_shadow_truncate(sh, 0);
	bti_free(sh->items);
	bti_free(sh->buckets);
	memset(sh, 0, sizeof(*sh));
}

const shadow_entry *bti_import_shadow_find_id(const shadow *sh, int64_t id)
{
	char key[32];

	snprintf(key, sizeof(key), "i:%" PRId64, id);
	return shadow_find(sh, key);
}

int bti_import_shadow_find_ext(const shadow *sh, const char *ext)
{
	char small[128], *key = small;
	size_t len = strlen(ext) + 3;
	int found;

	if (!sh->n)
		return 0;
	if (len > sizeof(small) && !(key = bti_malloc(len)))
		return 0; /* out of memory: at worst a dry run counts a duplicate */
	snprintf(key, len, "e:%s", ext);
	found = shadow_find(sh, key) != NULL;
	if (key != small)
		bti_free(key);
	return found;
}
