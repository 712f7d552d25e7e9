/*
 * test_casefold.c - the case folding ticket search uses: the table is
 * idempotent and its inverse complete, and bti_casefold_contains() agrees
 * with folding both sides and comparing bytes, on random text with
 * multi-byte, folding and invalid sequences.
 */
#include <stdlib.h>
#include <string.h>

#include "casefold.h"
#include "check.h"
#include "internal.h"

static void test_table(void)
{
	uint32_t src[8];
	int bad = 0, missing = 0;

	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		uint32_t f = bti_casefold_cp(cp);
		size_t n, k;
		int found = 0;

		if (bti_casefold_cp(f) != f)
			bad++;
		n = bti_casefold_sources(f, src, 8);
		for (k = 0; k < n && k < 8; k++)
			found |= src[k] == cp;
		if (!found || n > 8)
			missing++;
	}
	CHECK_INT_EQ(bad, 0);     /* code points whose folding folds again */
	CHECK_INT_EQ(missing, 0); /* code points missing from the sources of their folding */
	CHECK(bti_casefold_cp('A') == 'a' && bti_casefold_cp('a') == 'a' && bti_casefold_cp('@') == '@');
	/* É, KELVIN SIGN, ẞ, final sigma, İ (no simple folding) */
	CHECK(bti_casefold_cp(0xC9) == 0xE9 && bti_casefold_cp(0x212A) == 'k' &&
	      bti_casefold_cp(0x1E9E) == 0xDF && bti_casefold_cp(0x3C2) == 0x3C3 &&
	      bti_casefold_cp(0x130) == 0x130);
	CHECK_INT_EQ(bti_casefold_sources('k', src, 8), 3);
}

static void test_fold_string(void)
{
	char *s = bti_casefold("\xc3\x89" "CHEC \xff" "A", 9);

	CHECK_STR_EQ(s, "\xc3\xa9" "chec \xef\xbf\xbd" "a"); /* the invalid byte as U+FFFD */
	bti_free(s);
}

/* Random text from pieces that fold, don't, and are invalid. */
static size_t random_text(char *out, size_t pieces, unsigned *seed)
{
	static const char *const alphabet[] = {
		"a", "A", "b", "k", "K", "\xe2\x84\xaa", "\xc3\xa9", "\xc3\x89", "\xcf\x83",
		"\xcf\x82", "\xce\xa3", "\xc3\x9f", "\xe1\xba\x9e", "\xff", "\xc3", ".", " ",
		"\xf0\x9f\x98\x80",
	};
	size_t n = 0;

	for (size_t i = 0; i < pieces; i++) {
		const char *p = alphabet[rand_r(seed) % (sizeof(alphabet) / sizeof(alphabet[0]))];

		memcpy(out + n, p, strlen(p));
		n += strlen(p);
	}
	out[n] = '\0';
	return n;
}

static void test_contains(void)
{
	unsigned seed = 12345;
	int disagree = 0, found = 0;

	for (int round = 0; round < 200000; round++) {
		char hay[128], needle[32];
		size_t hn = random_text(hay, (size_t)(rand_r(&seed) % 20), &seed);
		size_t nn = random_text(needle, (size_t)(rand_r(&seed) % 4), &seed);
		char *fh = bti_casefold(hay, hn), *fn = bti_casefold(needle, nn);
		int want, got;

		if (!fh || !fn) {
			CHECK(!"out of memory");
			break;
		}
		want = strstr(fh, fn) != NULL;
		got = bti_casefold_contains(hay, hn, fn, strlen(fn));
		disagree += want != got;
		found += got;
		bti_free(fh);
		bti_free(fn);
	}
	CHECK_INT_EQ(disagree, 0);            /* with fold-and-strstr */
	CHECK(found > 20000 && found < 180000); /* both outcomes are exercised */
	CHECK(bti_casefold_contains("", 0, "", 0) == 1 && bti_casefold_contains("x", 1, "", 0) == 1);
	CHECK(bti_casefold_contains("ab", 2, "abc", 3) == 0); /* a needle longer than the text */
	{
		/* A long text is folded on the heap, not in the stack buffer. */
		char long_text[2000];

		memset(long_text, 'A', sizeof(long_text));
		memcpy(long_text + sizeof(long_text) - 2, "\xc3\x89", 2); /* É at the end */
		CHECK(bti_casefold_contains(long_text, sizeof(long_text), "a\xc3\xa9", 3) == 1);
		CHECK(bti_casefold_contains(long_text, sizeof(long_text), "\xc3\xa9" "a", 3) == 0);
	}
}

int main(void)
{
	RUN(test_table);
	RUN(test_fold_string);
	RUN(test_contains);
	return check_finish();
}
