/*
 * context.c - context attached to every capture: handle-wide values set once
 * (service, release, environment, host) and per-thread trace and request
 * ids.  The per-thread ids live in fixed thread-local buffers, so setting
 * them never allocates and never needs cleaning up when a thread exits.
 */
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "db.h"
#include "text.h"

static _Thread_local struct {
	char trace_id[BT_THREAD_CONTEXT_MAX + 1];
	char request_id[BT_THREAD_CONTEXT_MAX + 1];
} thread_ctx;

int bt_thread_context_set(const char *trace_id, const char *request_id)
{
	if ((trace_id && strlen(trace_id) > BT_THREAD_CONTEXT_MAX) ||
	    (request_id && strlen(request_id) > BT_THREAD_CONTEXT_MAX))
		return bti_error(BT_EINVALID, "bt_thread_context_set: an id is longer than %d bytes",
				 BT_THREAD_CONTEXT_MAX);
	if ((trace_id && !bti_utf8_valid(trace_id, strlen(trace_id))) ||
	    (request_id && !bti_utf8_valid(request_id, strlen(request_id))))
		return bti_error(BT_EINVALID, "bt_thread_context_set: an id is not valid UTF-8");
	strcpy(thread_ctx.trace_id, trace_id ? trace_id : "");
	strcpy(thread_ctx.request_id, request_id ? request_id : "");
	return BT_OK;
}

const char *bti_thread_trace_id(void)
{
	return thread_ctx.trace_id[0] ? thread_ctx.trace_id : NULL;
}

const char *bti_thread_request_id(void)
{
	return thread_ctx.request_id[0] ? thread_ctx.request_id : NULL;
}

int bti_context_init(bt_db *db)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		return BT_OK; /* no host name is not worth failing bt_open */
	host[sizeof(host) - 1] = '\0';
	db->context[BT_CONTEXT_HOST] = bti_strdup(host);
	return db->context[BT_CONTEXT_HOST] ? BT_OK : bti_error(BT_ENOMEM, "bt_open: out of memory");
}

void bti_context_free(bt_db *db)
{
	size_t i;

	for (i = 0; i < BTI_CONTEXT_SLOTS; i++)
		bti_free(db->context[i]);
}

int bt_context_set(bt_db *db, bt_context_key key, const char *value)
{
	char *copy = NULL;
	int rc = BT_OK;

	if (!db)
		return bti_error(BT_EINVALID, "bt_context_set: db is NULL");
	if (key < BT_CONTEXT_SERVICE || key > BT_CONTEXT_HOST)
		return bti_error(BT_EINVALID, "bt_context_set: unknown key %d", (int)key);
	/* Cleaned once here, so every capture can attach it as it is. */
	if (value && !(copy = bti_text_clean(value, strlen(value), 1024, NULL)))
		return bti_error(BT_ENOMEM, "bt_context_set: out of memory");

	/* Occurrences already accepted keep the context they were made in:
	 * the asynchronous writer stamps it when it commits them, and
	 * bti_db_lock first has it commit what this handle accepted (db.h's
	 * drain hook), so context needs nothing of async. */
	rc = bti_db_lock(db, "bt_context_set");
	if (rc != BT_OK) {
		bti_free(copy);
		return rc;
	}
	if (key == BT_CONTEXT_RELEASE && value && !(db->cfg.flags & BT_OPEN_READONLY))
		rc = bti_store_release_seen(db->store, value, bti_db_now(db));
	if (rc == BT_OK) {
		bti_free(db->context[key]);
		db->context[key] = copy;
		copy = NULL;
	}
	bti_db_unlock(db);
	bti_free(copy);
	return rc;
}
