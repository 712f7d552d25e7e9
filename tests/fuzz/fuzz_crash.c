/*
 * fuzz_crash.c - the crash spool parser (crash_parse.c) and its ingestion
 * (bt_crash_ingest), on arbitrary bytes as a spool.  A spool is written by
 * a dying process, or by anyone who can write next to the database, and
 * is read by the next bt_open: no spool may hurt the host.
 *
 * Checked:
 *  - the split covers the spool: chunks in order, each starting where the
 *    last ended, up to the end, with only blanks before the first; every
 *    chunk after the first starts with a record header, and a chunk is
 *    complete exactly when it ends in "END <length>\n";
 *  - a parsed record keeps its promises: a signal, a hashed frame count in
 *    1..BTI_CRASH_MAX_FRAMES, frame and symbol counts within their arrays,
 *    and every span inside the record's bytes;
 *  - normalized frames are NUL-terminated within their buffer, no more
 *    than the record's frames, and never the same twice in a row;
 *  - ingestion into an empty database counts what the parser says it must:
 *    each complete record that parses once, every other stretch as damaged
 *    once, and the repeats of a complete record as duplicates; then the
 *    spool is gone and a second ingestion finds nothing.
 */
#include <string.h>
#include <unistd.h>

#include "crash.h"
#include "crash_parse.h"
#include "fingerprint.h"
#include "fuzz.h"

#define HEADER_LEN (sizeof(BTI_CRASH_HEADER) - 1)

static int in_chunk(const bti_crash_span *s, const char *start, size_t len)
{
	return !s->p || (s->p >= start && s->n <= len && s->p + s->n <= start + len);
}

static void check_record(const char *p, size_t len, const bti_crash_record *r)
{
	static char frames[BTI_CRASH_RECORD_FRAMES][BTI_CRASH_FRAME_TEXT];
	int n;

	FUZZ_ASSERT(r->sig > 0);
	FUZZ_ASSERT(r->hashed >= 1 && r->hashed <= BTI_CRASH_MAX_FRAMES);
	FUZZ_ASSERT(r->nframes >= 0 && r->nframes <= BTI_CRASH_RECORD_FRAMES);
	FUZZ_ASSERT(r->nsyms >= 0 && r->nsyms <= BTI_CRASH_RECORD_FRAMES);
	for (int i = 0; i < 4; i++)
		FUZZ_ASSERT(in_chunk(&r->context[i], p, len));
	for (int i = 0; i < BTI_CRASH_RECORD_MODULES; i++)
		FUZZ_ASSERT(in_chunk(&r->module[i], p, len));
	for (int i = 0; i < r->nsyms; i++)
		FUZZ_ASSERT(r->sym[i].p && in_chunk(&r->sym[i], p, len));

	n = bti_crash_normalize_frames(r, frames);
	FUZZ_ASSERT(n >= 0 && n <= r->nframes);
	for (int i = 0; i < n; i++) {
		FUZZ_ASSERT(memchr(frames[i], '\0', BTI_CRASH_FRAME_TEXT) != NULL);
		FUZZ_ASSERT(i == 0 || strcmp(frames[i], frames[i - 1]) != 0);
	}
}

/* Whether chunk @c ends in its own END line, checked independently of
 * crash_parse.c: the last line reads "END <bytes before that line>". */
static int ends_complete(const char *p, const bti_crash_chunk *c)
{
	const char *rec = p + c->start;
	size_t line;
	char want[40];

	if (c->len < 2 || rec[c->len - 1] != '\n')
		return 0;
	for (line = c->len - 1; line > 0 && rec[line - 1] != '\n'; line--)
		;
	snprintf(want, sizeof(want), "END %zu\n", line);
	return strlen(want) == c->len - line && memcmp(rec + line, want, c->len - line) == 0;
}

static void check_split(const char *p, size_t size, const bti_crash_chunk *c, size_t n)
{
	size_t at = n ? c[0].start : size;

	for (size_t i = 0; i < at; i++)
		FUZZ_ASSERT(p[i] == '\n' || p[i] == ' ');
	for (size_t i = 0; i < n; i++) {
		int header;

		FUZZ_ASSERT(c[i].start == at && c[i].len > 0 && c[i].len <= size - at);
		header = c[i].len >= HEADER_LEN &&
			 memcmp(p + c[i].start, BTI_CRASH_HEADER, HEADER_LEN) == 0;
		FUZZ_ASSERT(header || i == 0);
		FUZZ_ASSERT(!c[i].complete == !(header && ends_complete(p, &c[i])));
		at += c[i].len;
	}
	FUZZ_ASSERT(at == size);
}

/* What ingesting the spool into an empty database must count. */
static void expected_counts(const char *p, const bti_crash_chunk *c, size_t n,
			    bt_crash_ingest_result *want)
{
	char (*hash)[BT_FINGERPRINT_SIZE] = calloc(n ? n : 1, sizeof(*hash));
	bti_crash_record *r = malloc(sizeof(*r));

	if (!hash || !r)
		abort();
	for (size_t i = 0; i < n; i++) {
		int fresh = 1;

		bti_hash128_hex(p + c[i].start, c[i].len, hash[i]);
		for (size_t j = 0; j < i && fresh; j++)
			fresh = strcmp(hash[i], hash[j]) != 0;
		if (!fresh)
			want->duplicates += c[i].complete;
		else if (c[i].complete && bti_crash_parse_record(p + c[i].start, c[i].len, r))
			want->ingested++;
		else
			want->damaged++;
	}
	free(r);
	free(hash);
}

static void check_ingest(const char *p, size_t size, const bti_crash_chunk *c, size_t n)
{
	bt_crash_ingest_result want = { BT_CRASH_INGEST_RESULT_VERSION, 0, 0, 0 };
	bt_crash_ingest_result got = { BT_CRASH_INGEST_RESULT_VERSION, 0, 0, 0 };
	bt_db *db = fuzz_fresh_db("crash.db", NULL);
	char spool[4200];

	FUZZ_ASSERT(bti_crash_spool_path(db, spool, sizeof(spool), 0) == BT_OK);
	fuzz_write_file(spool, p, size);
	expected_counts(p, c, n, &want);
	if (bt_crash_ingest(db, &got) != BT_OK) {
		fprintf(stderr, "bt_crash_ingest: %s\n", bt_error_message());
		FUZZ_ASSERT(!"ingesting a spool failed");
	}
	if (got.ingested != want.ingested || got.damaged != want.damaged ||
	    got.duplicates != want.duplicates) {
		fprintf(stderr, "ingested %d damaged %d duplicates %d; expected %d %d %d\n",
			(int)got.ingested, (int)got.damaged, (int)got.duplicates,
			(int)want.ingested, (int)want.damaged, (int)want.duplicates);
		FUZZ_ASSERT(!"ingestion did not count what the parser found");
	}
	FUZZ_ASSERT(access(spool, F_OK) != 0);
	FUZZ_ASSERT(bt_crash_ingest(db, &got) == BT_OK);
	FUZZ_ASSERT(got.ingested == 0 && got.damaged == 0 && got.duplicates == 0);
	bt_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t cap = size / HEADER_LEN + 2, n;
	bti_crash_chunk *c = calloc(cap, sizeof(*c));
	bti_crash_record *r = malloc(sizeof(*r));

	if (!c || !r)
		abort();
	n = bti_crash_split(p, size, c, cap);
	FUZZ_ASSERT(n <= cap);
	check_split(p, size, c, n);
	for (size_t i = 0; i < n; i++)
		if (c[i].complete && bti_crash_parse_record(p + c[i].start, c[i].len, r))
			check_record(p + c[i].start, c[i].len, r);
	check_ingest(p, size, c, n);
	free(r);
	free(c);
	return 0;
}
