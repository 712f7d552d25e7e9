/*
 * fuzz_normalize.c - the message normalizer (bti_normalize_message) and the
 * fingerprint built on it (bti_grouping_compute), on arbitrary bytes.
 *
 * Input: the fields of one error, separated by 0x1e (component, error
 * type, template, function, stack, explicit fingerprint), the message last
 * (it may hold NULs; the others end at their first NUL).  Missing fields
 * are NULL.  Checked:
 *  - the normalizer keeps snprintf's contract: the same length whatever
 *    @cap, never a byte past it, a NUL-terminated prefix of the full text;
 *  - the fingerprint is 32 lowercase hex digits, the hash of the grouping
 *    input it keeps, the same on a second computation;
 *  - the grouping input has one line per field whatever the values hold
 *    (no value can imitate another field), and its template line unescapes
 *    to the template used, which is the format when it carries a word and
 *    the normalized message otherwise.
 */
#include <string.h>

#include "fingerprint.h"
#include "fuzz.h"
#include "internal.h"
#include "normalize.h"
#include "text.h"

#define SEP 0x1e
#define NFIELDS 6 /* before the message */

/* The normalizer's output for @in, which must say it is @want bytes long,
 * into a buffer of @cap bytes guarded by a canary. */
static void check_cap(const char *in, size_t len, const char *full, size_t want, size_t cap)
{
	char *buf = malloc(cap + 16);
	size_t kept = want < cap ? want : cap ? cap - 1 : 0;

	if (!buf)
		abort();
	memset(buf, 0x5a, cap + 16);
	FUZZ_ASSERT(bti_normalize_message(in, len, buf, cap) == want);
	for (size_t i = cap; i < cap + 16; i++)
		FUZZ_ASSERT(buf[i] == 0x5a);
	if (cap) {
		FUZZ_ASSERT(memcmp(buf, full, kept) == 0);
		FUZZ_ASSERT(buf[kept] == '\0');
	}
	free(buf);
}

/* Not checked: that normalized text normalizes to itself.  It need not
 * (nothing normalizes twice), and does not where a placeholder ends a run
 * that a longer match had refused: "2001:db8::8a2e:370:7334e" keeps
 * "db8::8a2e" (the whole is no address) but "db8::8a2e:<int>" makes it one. */
static void check_normalizer(const char *in, size_t len, size_t some_cap)
{
	size_t n = bti_normalize_message(in, len, NULL, 0);
	char *full = malloc(n + 1);

	if (!full)
		abort();
	FUZZ_ASSERT(bti_normalize_message(in, len, full, n + 1) == n);
	FUZZ_ASSERT(full[n] == '\0');
	check_cap(in, len, full, n, 1);
	check_cap(in, len, full, n, some_cap % (n + 2));
	free(full);
}

/* The value of field @name in the grouping input @s, unescaped. */
static char *field_value(const char *s, const char *name)
{
	size_t k = strlen(name);
	const char *line = s;
	char *out, *o;

	while (strncmp(line, name, k) != 0 || line[k] != '=') {
		line = strchr(line, '\n');
		FUZZ_ASSERT(line != NULL);
		line++;
	}
	line += k + 1;
	o = out = malloc(strlen(line) + 1);
	if (!out)
		abort();
	for (; *line && *line != '\n'; line++) {
		if (*line == '\\') {
			line++;
			FUZZ_ASSERT(*line == 'n' || *line == '\\');
			*o++ = *line == 'n' ? '\n' : '\\';
		} else {
			*o++ = *line;
		}
	}
	*o = '\0';
	return out;
}

static size_t count_lines(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void check_fingerprint(const bti_grouping_in *in)
{
	bti_grouping g, again;
	char fp[BT_FINGERPRINT_SIZE];
	char *tmpl;

	FUZZ_ASSERT(bti_grouping_compute(&g, in) == BT_OK);
	FUZZ_ASSERT(strlen(g.fingerprint) == 32);
	for (int i = 0; i < 32; i++)
		FUZZ_ASSERT((g.fingerprint[i] >= '0' && g.fingerprint[i] <= '9') ||
			    (g.fingerprint[i] >= 'a' && g.fingerprint[i] <= 'f'));
	bti_hash128_hex(g.input, strlen(g.input), fp);
	FUZZ_ASSERT(strcmp(fp, g.fingerprint) == 0);

	if (in->template_ && bti_format_has_words(in->template_)) {
		FUZZ_ASSERT(strcmp(g.template_, in->template_) == 0);
	} else {
		char *norm = bti_normalize_dup(in->message, in->message_len);

		FUZZ_ASSERT(norm && strcmp(g.template_, norm) == 0);
		bti_free(norm);
	}
	if (in->explicit_fp) {
		FUZZ_ASSERT(count_lines(g.input) == 1);
		FUZZ_ASSERT(strncmp(g.input, "fingerprint=", 12) == 0);
	} else {
		FUZZ_ASSERT(count_lines(g.input) == (in->stack ? 5u : 4u));
		FUZZ_ASSERT(strncmp(g.input, "component=", 10) == 0);
		tmpl = field_value(g.input, "template");
		FUZZ_ASSERT(strcmp(tmpl, g.template_) == 0);
		free(tmpl);
	}

	FUZZ_ASSERT(bti_grouping_compute(&again, in) == BT_OK);
	FUZZ_ASSERT(strcmp(again.fingerprint, g.fingerprint) == 0);
	FUZZ_ASSERT(strcmp(again.input, g.input) == 0);
	bti_grouping_free(&again);
	bti_grouping_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *field[NFIELDS] = { NULL };
	const uint8_t *p = data, *end = data + size, *sep;
	size_t cap_seed = size ? data[0] * 7u + size : 0;
	bti_grouping_in in;
	int nf = 0;

	/* The message alone, as the normalizer sees it. */
	check_normalizer((const char *)data, size, cap_seed);

	while (nf < NFIELDS && (sep = memchr(p, SEP, (size_t)(end - p)))) {
		field[nf++] = fuzz_cstring(p, (size_t)(sep - p));
		p = sep + 1;
	}
	memset(&in, 0, sizeof(in));
	in.component = field[0] ? field[0] : "fuzz";
	in.error_type = field[1];
	in.template_ = field[2];
	in.function = field[3];
	in.stack = field[4];
	in.explicit_fp = field[5];
	in.message = (const char *)p;
	in.message_len = (size_t)(end - p);
	check_fingerprint(&in);
	for (int i = 0; i < nf; i++)
		free(field[i]);
	return 0;
}
