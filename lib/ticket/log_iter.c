/*
 * log_iter.c - streaming stored log rows: a page of rows at a time after
 * the last (created_at, id) returned, so memory is constant and no read
 * transaction is held between calls.
 */
#include <stdint.h>
#include <string.h>

#include "db.h"
#include "versioned.h"

/* The entries are made by the backend (log_page) and freed here, one
 * destructor for every backend. */
void bt_log_entry_free(bt_log_entry *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < BTI_L_TEXT_COUNT; i++)
		bti_free(e->text[i]);
	bti_free(e);
}

#define PAGE_ROWS 64

struct bt_log_iter {
	bt_db *db;
	bti_log_query q;
	char *component;
	bt_log_entry *rows[PAGE_ROWS];
	size_t count, next;
	int last_page;
};

static int valid_level(int level)
{
	return level == 0 || level == BT_DEBUG || level == BT_INFO || level == BT_WARNING ||
	       level == BT_ERROR || level == BT_CRITICAL;
}

int bt_log_iter_new(bt_db *db, const bt_log_filter *filter, bt_log_iter **out)
{
	bt_log_filter f;
	bt_log_iter *it;

	if (out)
		*out = NULL;
	if (!db || !out)
		return bti_error(BT_EINVALID, "bt_log_iter_new: %s is NULL", db ? "out" : "db");
	if (bti_versioned_in(&bti_v_log_filter, "bt_log_iter_new", filter, &f) != BT_OK)
		return BT_EINVALID;
	filter = &f;
	if (!valid_level(filter->min_level) || !valid_level(filter->level))
		return bti_error(BT_EINVALID, "bt_log_iter_new: unknown level %d",
				 (int)(valid_level(filter->level) ? filter->min_level : filter->level));
	it = bti_calloc(1, sizeof(*it));
	if (!it)
		return bti_error(BT_ENOMEM, "bt_log_iter_new: out of memory");
	if (filter->component && !(it->component = bti_strdup(filter->component))) {
		bti_free(it);
		return bti_error(BT_ENOMEM, "bt_log_iter_new: out of memory");
	}
	it->db = db;
	it->q.ticket_id = filter->ticket_id;
	it->q.min_level = filter->min_level;
	it->q.level = filter->level;
	it->q.component = it->component;
	it->q.from = filter->from ? filter->from : INT64_MIN;
	it->q.to = filter->to ? filter->to : INT64_MAX;
	it->q.newest_first = filter->newest_first != 0;
	it->q.after_id = it->q.newest_first ? INT64_MAX : INT64_MIN;
	*out = it;
	return BT_OK;
}

int bt_log_iter_next(bt_log_iter *it, bt_log_entry **out)
{
	int rc;

	if (out)
		*out = NULL;
	if (!it || !out)
		return bti_error(BT_EINVALID, "bt_log_iter_next: %s is NULL", it ? "out" : "iter");
	if (it->next == it->count) {
		if (it->last_page)
			return BT_ITEROVER;
		rc = bti_db_lock(it->db, "bt_log_iter_next");
		if (rc != BT_OK)
			return rc;
		rc = bti_store_log_page(it->db->store, &it->q, it->rows, PAGE_ROWS, &it->count);
		bti_db_unlock(it->db);
		it->next = 0;
		if (rc != BT_OK)
			return rc;
		if (it->count < PAGE_ROWS)
			it->last_page = 1;
		if (!it->count)
			return BT_ITEROVER;
	}
	*out = it->rows[it->next];
	it->rows[it->next++] = NULL;
	it->q.after_id = (*out)->id;
	return BT_OK;
}

void bt_log_iter_free(bt_log_iter *it)
{
	if (!it)
		return;
	while (it->next < it->count)
		bt_log_entry_free(it->rows[it->next++]);
	bti_free(it->component);
	bti_free(it);
}

#define LTEXT(e, f) ((e) ? (e)->text[f] : NULL)

int64_t bt_log_entry_id(const bt_log_entry *e) { return e ? e->id : 0; }
int64_t bt_log_entry_ticket_id(const bt_log_entry *e) { return e ? e->ticket_id : 0; }
bt_level bt_log_entry_level(const bt_log_entry *e) { return e ? (bt_level)e->level : (bt_level)0; }
int bt_log_entry_error_code(const bt_log_entry *e) { return e ? e->error_code : 0; }
int bt_log_entry_line(const bt_log_entry *e) { return e ? e->line : 0; }
int64_t bt_log_entry_pid(const bt_log_entry *e) { return e ? e->pid : 0; }
int64_t bt_log_entry_created_at(const bt_log_entry *e) { return e ? e->created_at : 0; }
const char *bt_log_entry_component(const bt_log_entry *e) { return LTEXT(e, BTI_L_COMPONENT); }
const char *bt_log_entry_message(const bt_log_entry *e) { return LTEXT(e, BTI_L_MESSAGE); }
const char *bt_log_entry_template(const bt_log_entry *e) { return LTEXT(e, BTI_L_TEMPLATE); }
const char *bt_log_entry_fingerprint(const bt_log_entry *e) { return LTEXT(e, BTI_L_FINGERPRINT); }
const char *bt_log_entry_error_type(const bt_log_entry *e) { return LTEXT(e, BTI_L_ERROR_TYPE); }
const char *bt_log_entry_file(const bt_log_entry *e) { return LTEXT(e, BTI_L_FILE); }
const char *bt_log_entry_function(const bt_log_entry *e) { return LTEXT(e, BTI_L_FUNCTION); }
const char *bt_log_entry_stack_trace(const bt_log_entry *e) { return LTEXT(e, BTI_L_STACK); }
const char *bt_log_entry_context(const bt_log_entry *e) { return LTEXT(e, BTI_L_CONTEXT); }
const char *bt_log_entry_trace_id(const bt_log_entry *e) { return LTEXT(e, BTI_L_TRACE_ID); }
const char *bt_log_entry_request_id(const bt_log_entry *e) { return LTEXT(e, BTI_L_REQUEST_ID); }
const char *bt_log_entry_service(const bt_log_entry *e) { return LTEXT(e, BTI_L_SERVICE); }
const char *bt_log_entry_host(const bt_log_entry *e) { return LTEXT(e, BTI_L_HOST); }
const char *bt_log_entry_environment(const bt_log_entry *e) { return LTEXT(e, BTI_L_ENVIRONMENT); }
const char *bt_log_entry_release(const bt_log_entry *e) { return LTEXT(e, BTI_L_RELEASE); }
