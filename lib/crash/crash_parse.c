/*
 * crash_parse.c - reading the crash spool's format (crash.c writes it):
 * splitting a spool into records and damaged stretches, parsing a record's
 * lines, and normalizing its frames satyr-style.  Everything here works on
 * bytes that a dying process wrote, or that anyone could have put in the
 * file: no input may make it read or write out of bounds.
 *
 * A frame normalizes to "module!function", or "module+0xOFFSET" (relative
 * to the module's load address, so stable across runs of one binary) when
 * the module exports no symbol for it.  Dropped: the handler's own frames
 * (everything above the faulting instruction), the C library's signal and
 * abort machinery, and the start-up frames; direct recursion is merged.
 */
#include <stdio.h>
#include <string.h>

#include "crash.h"
#include "crash_parse.h"

/* ---- parsing ---- */

static int starts(bti_crash_span line, const char *prefix, bti_crash_span *rest)
{
	size_t k = strlen(prefix);

	if (line.n < k || memcmp(line.p, prefix, k) != 0)
		return 0;
	rest->p = line.p + k;
	rest->n = line.n - k;
	return 1;
}

/* A decimal or 0x-hex number at the start of @s, advancing past it and
 * one space; 0 if there is none. */
static int number(bti_crash_span *s, unsigned long long *v, int *negative)
{
	size_t i = 0;
	int base = 10, digits = 0;

	*v = 0;
	*negative = 0;
	if (i < s->n && s->p[i] == '-') {
		*negative = 1;
		i++;
	}
	if (i + 1 < s->n && s->p[i] == '0' && s->p[i + 1] == 'x') {
		base = 16;
		i += 2;
	}
	for (; i < s->n; i++, digits++) {
		char c = s->p[i];
		int d = c >= '0' && c <= '9' ? c - '0'
			: base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			break;
		*v = *v * (unsigned)base + (unsigned)d;
	}
	if (!digits)
		return 0;
	if (i < s->n && s->p[i] == ' ')
		i++;
	s->p += i;
	s->n -= i;
	return 1;
}

static int signed_number(bti_crash_span *s, long long *v)
{
	unsigned long long u;
	int neg;

	if (!number(s, &u, &neg))
		return 0;
	/* Negated as unsigned: "-9223372036854775808" (or any number out of
	 * range, which the writer never prints) must wrap, not overflow. */
	*v = (long long)(neg ? 0 - u : u);
	return 1;
}

static const char *const CONTEXT_NAMES[4] = { "service ", "release ", "environment ", "host " };

static int parse_line(bti_crash_record *r, bti_crash_span line)
{
	bti_crash_span rest;
	int neg;

	if (starts(line, "signal ", &rest))
		return signed_number(&rest, &r->sig);
	if (starts(line, "code ", &rest))
		return signed_number(&rest, &r->code);
	if (starts(line, "addr ", &rest))
		return number(&rest, &r->addr, &neg);
	if (starts(line, "pc ", &rest))
		return number(&rest, &r->pc, &neg);
	if (starts(line, "pid ", &rest))
		return signed_number(&rest, &r->pid);
	if (starts(line, "tid ", &rest))
		return signed_number(&rest, &r->tid);
	if (starts(line, "time ", &rest))
		return signed_number(&rest, &r->time);
	if (starts(line, "hashed ", &rest))
		return signed_number(&rest, &r->hashed);
	for (int i = 0; i < 4; i++)
		if (starts(line, CONTEXT_NAMES[i], &rest)) {
			r->context[i] = rest;
			return 1;
		}
	if (starts(line, "module ", &rest)) {
		unsigned long long idx, base;

		/* "module INDEX BASE NAME" */
		if (!number(&rest, &idx, &neg) || neg || idx >= BTI_CRASH_RECORD_MODULES ||
		    !number(&rest, &base, &neg))
			return 0;
		r->module[idx] = rest;
		return 1;
	}
	if (starts(line, "frame ", &rest)) {
		long long m;

		if (r->nframes >= BTI_CRASH_RECORD_FRAMES)
			return 1;
		if (!number(&rest, &r->frame_addr[r->nframes], &neg) || !signed_number(&rest, &m) ||
		    !number(&rest, &r->frame_off[r->nframes], &neg))
			return 0;
		r->frame_module[r->nframes++] = m;
		return 1;
	}
	if (starts(line, "sym ", &rest)) {
		if (r->nsyms < BTI_CRASH_RECORD_FRAMES)
			r->sym[r->nsyms++] = rest;
		return 1;
	}
	if (starts(line, "nsec ", &rest) || starts(line, "END ", &rest))
		return 1;
	return 0;
}

/* Parse a complete record; 0 if it is malformed. */
int bti_crash_parse_record(const char *p, size_t n, bti_crash_record *r)
{
	size_t start = sizeof(BTI_CRASH_HEADER) - 1, i;

	memset(r, 0, sizeof(*r));
	r->hashed = BTI_CRASH_DEFAULT_FRAMES;
	for (i = start; i < n; i++) {
		if (p[i] == '\n') {
			bti_crash_span line = { p + start, i - start };

			if (!parse_line(r, line))
				return 0;
			start = i + 1;
		}
	}
	if (r->sig <= 0 || r->hashed < 1 || r->hashed > BTI_CRASH_MAX_FRAMES)
		return 0;
	return 1;
}

/* ---- normalizing frames ---- */

static bti_crash_span basename_of(bti_crash_span path)
{
	for (size_t i = path.n; i > 0; i--)
		if (path.p[i - 1] == '/')
			return (bti_crash_span){ path.p + i, path.n - i };
	return path;
}

/* Frame @i as "module!function" or "module+0xOFF" into @out. */
static void frame_name(const bti_crash_record *r, int i, char *out, size_t size)
{
	bti_crash_span mod = { "?", 1 }, fn = { "", 0 };

	if (r->frame_module[i] >= 0 && r->frame_module[i] < BTI_CRASH_RECORD_MODULES &&
	    r->module[r->frame_module[i]].p)
		mod = basename_of(r->module[r->frame_module[i]]);
	if (i < r->nsyms) {
		/* glibc: "path(function+0x1a) [0xaddr]", "path(+0x1a) [...]" */
		bti_crash_span s = r->sym[i];
		const char *open = memchr(s.p, '(', s.n);

		if (open) {
			const char *end = memchr(open, ')', s.n - (size_t)(open - s.p));
			const char *plus = end ? memchr(open, '+', (size_t)(end - open)) : NULL;

			fn.p = open + 1;
			fn.n = (size_t)((plus ? plus : end ? end : open + 1) - fn.p);
			if (!r->module[0].p || r->frame_module[i] < 0)
				mod = basename_of((bti_crash_span){ s.p, (size_t)(open - s.p) });
		}
	}
	if (fn.n)
		snprintf(out, size, "%.*s!%.*s", (int)mod.n, mod.p, (int)fn.n, fn.p);
	else if (r->frame_module[i] >= 0)
		snprintf(out, size, "%.*s+0x%llx", (int)mod.n, mod.p, r->frame_off[i]);
	else
		snprintf(out, size, "?");
}

static int is_libc(const char *frame)
{
	return !strncmp(frame, "libc.so", 7) || !strncmp(frame, "libc-", 5) ||
	       !strncmp(frame, "ld-linux", 8) || !strncmp(frame, "libpthread", 10);
}

/* The C library's signal, abort and start-up machinery. */
static int is_machinery(const char *frame)
{
	static const char *const names[] = {
		"raise", "abort", "__assert_fail", "__assert_fail_base", "__assert_perror_fail",
		"__libc_start_main", "__libc_start_call_main", "_start", "__restore_rt", "gsignal",
		"pthread_kill", "__pthread_kill_implementation", "__pthread_kill_internal", "killpg",
		"__libc_message", "__fortify_fail", "__stack_chk_fail",
	};
	const char *fn = strchr(frame, '!');

	if (!fn)
		return 0;
	fn++;
	if (!strncmp(fn, "__GI_", 5))
		return 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(fn, names[i]))
			return 1;
	return 0;
}

/* The normalized frames of @r, top first; returns how many. */
int bti_crash_normalize_frames(const bti_crash_record *r, char frames[][BTI_CRASH_FRAME_TEXT])
{
	int first = 0, n = 0, last;
	char name[BTI_CRASH_FRAME_TEXT];

	/* Above the faulting instruction: the handler and the trampoline. */
	for (int i = 0; r->pc && i < r->nframes; i++)
		if (r->frame_addr[i] == r->pc) {
			first = i;
			break;
		}
	if (!first && r->nframes > 2 && !(r->pc && r->frame_addr[0] == r->pc))
		first = 2;
	last = r->nframes;
	for (int i = first; i < last; i++) {
		frame_name(r, i, name, sizeof(name));
		if (is_machinery(name) || (n == 0 && is_libc(name)))
			continue;
		if (n > 0 && !strcmp(frames[n - 1], name))
			continue; /* recursion */
		memcpy(frames[n++], name, sizeof(name));
	}
	/* Start-up frames at the bottom that have no name. */
	while (n > 1 && is_libc(frames[n - 1]))
		n--;
	return n;
}

/* ---- splitting the spool ---- */

/* Where the next record header at or after @from starts, or @n. */
static size_t next_header(const char *p, size_t n, size_t from)
{
	size_t k = sizeof(BTI_CRASH_HEADER) - 1;

	for (size_t i = from; i + k <= n; i++)
		if ((i == 0 || p[i - 1] == '\n') && memcmp(p + i, BTI_CRASH_HEADER, k) == 0)
			return i;
	return n;
}

/* Whether [start, end) is one record ending in its "END <length>" line. */
static int record_complete(const char *p, size_t start, size_t end, size_t *len_out)
{
	size_t i, body;
	char tail[32];

	if (end <= start + 5 || p[end - 1] != '\n')
		return 0;
	for (i = end - 1; i > start && p[i - 1] != '\n'; i--)
		;
	snprintf(tail, sizeof(tail), "END %zu\n", i - start);
	body = strlen(tail);
	if (end - i != body || memcmp(p + i, tail, body) != 0)
		return 0;
	*len_out = end - start;
	return 1;
}

/* Split the spool into records and damaged stretches. */
size_t bti_crash_split(const char *p, size_t n, bti_crash_chunk *out, size_t cap)
{
	size_t count = 0, at = next_header(p, n, 0);

	if (at > 0 && count < cap) {
		int blank = 1;

		for (size_t i = 0; i < at; i++)
			blank &= p[i] == '\n' || p[i] == ' ';
		if (!blank)
			out[count++] = (bti_crash_chunk){ 0, at, 0 };
	}
	while (at < n && count < cap) {
		size_t end = next_header(p, n, at + 1), len;
		int complete = record_complete(p, at, end, &len);

		out[count++] = (bti_crash_chunk){ at, end - at, complete };
		at = end;
	}
	return count;
}
