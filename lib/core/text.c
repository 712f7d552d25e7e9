/*
 * text.c - bounded, valid-UTF-8, redacted copies of host text.  Invalid
 * bytes are replaced rather than rejected: an error report with a mangled
 * byte is still worth keeping, and replacing keeps later JSON export valid.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "text.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

char *bti_vformat(size_t *len_out, const char *fmt, va_list ap)
{
	char small[512], *out;
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0) {
		va_end(again);
		return NULL;
	}
	out = bti_malloc((size_t)n + 1);
	if (out) {
		if ((size_t)n < sizeof(small))
			memcpy(out, small, (size_t)n + 1);
		else
			vsnprintf(out, (size_t)n + 1, fmt, again);
		*len_out = (size_t)n;
	}
	va_end(again);
	return out;
}

size_t bti_utf8_decode(const char *s, size_t len, uint32_t *cp_out)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned int c = u[0];
	size_t n, i;
	uint32_t cp;

	if (c == 0)
		return 0;
	if (c < 0x80) {
		*cp_out = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (u[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	*cp_out = cp;
	return n;
}

size_t bti_utf8_put(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

int bti_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		if (p[i] >= 0x01 && p[i] < 0x80) {
			i++;
			continue;
		}
		n = bti_utf8_decode(s + i, len - i, &cp);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

char *bti_text_clean(const char *in, size_t len, size_t max, size_t *len_out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0, n, cap;
	uint32_t cp;
	int truncated = 0;
	char *out;

	/* Worst case: every byte becomes a 3-byte replacement. */
	cap = (max && len > max ? max : len) * 3 + sizeof(BTI_TRUNCATION_MARKER);
	out = bti_malloc(cap);
	if (!out)
		return NULL;
	while (i < len) {
		n = bti_utf8_decode(in + i, len - i, &cp);
		if (max && o + (n ? n : 3) > max) {
			truncated = 1;
			break;
		}
		if (n) {
			memcpy(out + o, p + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, replacement, 3);
			o += 3;
			i++;
		}
	}
	if (truncated) {
		memcpy(out + o, BTI_TRUNCATION_MARKER, sizeof(BTI_TRUNCATION_MARKER) - 1);
		o += sizeof(BTI_TRUNCATION_MARKER) - 1;
	}
	out[o] = '\0';
	if (len_out)
		*len_out = o;
	return out;
}

int bti_text_field(const char *s, size_t max, const char **out, char **owned)
{
	size_t len;

	*owned = NULL;
	*out = s;
	if (!s)
		return BT_OK;
	len = strlen(s);
	if (len <= max && bti_utf8_valid(s, len))
		return BT_OK;
	*owned = bti_text_clean(s, len, max, NULL);
	*out = *owned;
	return *owned ? BT_OK : BT_ENOMEM;
}
