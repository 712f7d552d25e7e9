/*
 * json.h - reading JSON without a database (json.c): the validator capture
 * uses on the host's thread, and the reader import walks documents with.
 * Pure and thread-safe; nothing here recurses, so hostile nesting cannot
 * exhaust a small stack.
 */
#ifndef BT_JSON_H
#define BT_JSON_H

#include <stddef.h>
#include <stdint.h>

/* Deeper nesting is refused as invalid. */
#define BTI_JSON_MAX_DEPTH 1000

/* Whether @text (@len bytes) is one JSON value by RFC 8259. */
int bti_json_valid(const char *text, size_t len);

/* The offset of the first byte at which @text (@len bytes) stops being one
 * JSON value (@len when it ends too early), or (size_t)-1 when it is one:
 * for messages that say where a document is broken. */
size_t bti_json_error_offset(const char *text, size_t len);

/* JSON value types. */
enum bti_json_type {
	BTI_JSON_INVALID = 0, BTI_JSON_NULL, BTI_JSON_TRUE, BTI_JSON_FALSE, BTI_JSON_INTEGER,
	BTI_JSON_REAL, BTI_JSON_TEXT, BTI_JSON_ARRAY, BTI_JSON_OBJECT
};

/* The type of the JSON text @json, or BTI_JSON_INVALID when it is not one
 * valid JSON value.  A number is an INTEGER when written without a
 * fraction or an exponent, whatever its size. */
int bti_json_type(const char *json, size_t len);

/* One member of an object or element of an array.  The pointers are valid
 * only during the visit. */
typedef struct bti_json_item {
	const char *key;          /* the member's name, decoded; NULL for array elements */
	int64_t index;            /* its position, from 0 */
	int type;                 /* enum bti_json_type */
	const char *text;         /* TEXT: the decoded string; ARRAY, OBJECT: its JSON */
	size_t len;
	int64_t integer;          /* INTEGER */
	int exact;                /* INTEGER: it fits in 64 bits */
	double real;              /* INTEGER and REAL */
} bti_json_item;

typedef int (*bti_json_visit_fn)(const bti_json_item *item, void *payload);

/* Visit each member (object) or element (array) of @json in order, stopping
 * at the first visit that does not return BT_OK, whose code is returned.
 * Strings are decoded to UTF-8 (\u0000 and unpaired surrogates become
 * U+FFFD); an inner array or object is given as its JSON without
 * whitespace, strings and numbers as written.  BT_EINVALID when @json is
 * not a valid object or array, BT_ENOMEM. */
int bti_json_each(const char *json, size_t len, bti_json_visit_fn fn, void *payload);

/* The object @json without its members named @names[0..n) (compared with
 * the decoded names), without whitespace, as a new string for the caller
 * to bti_free.  BT_EINVALID when @json is not a valid object, BT_ENOMEM. */
int bti_json_remove(const char *json, size_t len, const char *const *names, size_t n,
		    char **out);

#endif
