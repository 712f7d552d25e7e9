/*
 * fingerprint.c - the grouping rules.  A fingerprint hashes the component,
 * the error type, the message template and the calling function:
 *  - the template is the printf format itself when it carries a literal
 *    word, so arguments never split a group;
 *  - otherwise (a wordless format such as "%s", or a preformatted message)
 *    it is the message with its variable parts replaced by placeholders;
 *  - an explicit fingerprint from the host overrides everything.
 * The hashed text is kept (grouping_input) so that grouping can be explained.
 * MurmurHash3 is used because fingerprints are a grouping key, not a
 * security boundary, and the hash sits on the capture hot path.
 */
#include <string.h>

#include "fingerprint.h"
#include "internal.h"
#include "normalize.h"
#include "text.h"

static uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

static uint64_t load_le64(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

void bti_hash128_hex(const void *data, size_t len, char out[BT_FINGERPRINT_SIZE])
{
	static const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t blocks = len / 16, tail = len & 15, i;
	uint64_t h1 = 0, h2 = 0, k1, k2, h[2];

	for (i = 0; i < blocks; i++, p += 16) {
		k1 = load_le64(p, 8);
		k2 = load_le64(p + 8, 8);
		k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1;
		h1 = rotl64(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
		k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2;
		h2 = rotl64(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
	}
	if (tail > 8) {
		k2 = load_le64(p + 8, tail - 8);
		k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2;
	}
	if (tail) {
		k1 = load_le64(p, tail > 8 ? 8 : tail);
		k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1;
	}
	h1 ^= len; h2 ^= len;
	h1 += h2; h2 += h1;
	h1 = fmix64(h1); h2 = fmix64(h2);
	h1 += h2; h2 += h1;
	h[0] = h1;
	h[1] = h2;
	/* Little-endian byte order, as the reference implementation's output. */
	for (i = 0; i < 16; i++) {
		unsigned int b = (unsigned int)(h[i / 8] >> (8 * (i % 8))) & 0xff;

		out[2 * i] = hex[b >> 4];
		out[2 * i + 1] = hex[b & 15];
	}
	out[32] = '\0';
}

/* A small append-only string with failure latched, for building the input. */
typedef struct sbuf {
	char *s;
	size_t len, cap;
	int failed;
} sbuf;

static void sb_append(sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *grown = bti_realloc(b->s, cap);

		if (!grown) {
			b->failed = 1;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* "name=value\n", with newlines and backslashes in the value escaped so
 * that no value can imitate another field. */
static void sb_field(sbuf *b, const char *name, const char *value, size_t len)
{
	size_t i, start = 0;

	sb_append(b, name, strlen(name));
	sb_append(b, "=", 1);
	for (i = 0; value && i < len; i++) {
		if (value[i] == '\n' || value[i] == '\\') {
			sb_append(b, value + start, i - start);
			sb_append(b, value[i] == '\n' ? "\\n" : "\\\\", 2);
			start = i + 1;
		}
	}
	if (value)
		sb_append(b, value + start, len - start);
	sb_append(b, "\n", 1);
}

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

int bti_grouping_compute(bti_grouping *g, const bti_grouping_in *in)
{
	sbuf b = { NULL, 0, 0, 0 };

	memset(g, 0, sizeof(*g));
	if (in->template_ && bti_format_has_words(in->template_))
		g->template_ = bti_strdup(in->template_);
	else
		g->template_ = bti_normalize_dup(in->message, in->message_len);
	if (!g->template_)
		return bti_error(BT_ENOMEM, "fingerprint: out of memory");

	if (in->explicit_fp) {
		sb_field(&b, "fingerprint", in->explicit_fp, strlen(in->explicit_fp));
	} else {
		sb_field(&b, "component", in->component, slen(in->component));
		sb_field(&b, "type", in->error_type, slen(in->error_type));
		sb_field(&b, "template", g->template_, strlen(g->template_));
		sb_field(&b, "function", in->function, slen(in->function));
		if (in->stack) {
			/* Addresses move with ASLR; only the frames' shape groups. */
			char *stack = bti_normalize_dup(in->stack, strlen(in->stack));

			if (!stack)
				b.failed = 1;
			else
				sb_field(&b, "stack", stack, strlen(stack));
			bti_free(stack);
		}
	}
	if (b.failed) {
		bti_free(b.s);
		bti_grouping_free(g);
		return bti_error(BT_ENOMEM, "fingerprint: out of memory");
	}
	/* Drop the final newline: the stored input reads as lines. */
	b.s[--b.len] = '\0';
	g->input = b.s;
	bti_hash128_hex(b.s, b.len, g->fingerprint);
	return BT_OK;
}

void bti_grouping_free(bti_grouping *g)
{
	bti_free(g->input);
	bti_free(g->template_);
	g->input = g->template_ = NULL;
}
