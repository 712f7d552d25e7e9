/*
 * bench_redact.c - what redaction costs a capture.
 *
 * Times bti_redact (one pass into a caller's buffer) and bti_redact_dup
 * (what capture calls: size, allocate, write) on typical texts of about
 * 200 bytes: a message with no secret, one with a secret, and a JSON
 * context.  Prints nanoseconds per call, the best of several rounds so
 * that the other users of a shared machine disturb it less.
 *
 * It never fails on speed; it fails (exit 1) only when a text's redaction
 * is not what it must be, so the smoke test (--quick) also guards it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "internal.h"
#include "redact.h"
#include "text.h"

#define ROUNDS 7

static const struct {
	const char *name, *in, *must_hold;
} texts[] = {
	{ "200-byte message, no secret",
	  "GET /api/v1/users/123?page=2 failed: upstream timeout after 3000 ms from "
	  "10.0.0.12:443 request_id=ab12cd user=alice (attempt 3 of 5, circuit half-open, "
	  "pool=users-ro size=16 busy=16 waiters=4) retrying in 250 ms", "user=alice" },
	{ "200-byte message, one secret",
	  "POST /api/v1/login failed: upstream timeout after 3000 ms from 10.0.0.12:443 "
	  "request_id=ab12cd user=alice password=hunter2 (attempt 3 of 5, circuit half-open, "
	  "pool=users-ro size=16 busy=16) retrying", "password=[redacted]" },
	{ "200-byte JSON context",
	  "{\"request_id\": \"ab12cd\", \"user\": \"alice\", \"path\": \"/api/v1/users/123\", "
	  "\"query\": {\"page\": 2}, \"upstream\": \"10.0.0.12:443\", \"attempt\": 3, "
	  "\"headers\": {\"Accept\": \"application/json\", \"X-Trace\": \"9f8e7d\"}}", "\"alice\"" },
};

static volatile size_t sink;

static double per_call_ns(const char *in, size_t len, int dup, long calls)
{
	char out[1024];
	double best = 0;

	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = bench_mono_ns();
		double ns;

		for (long i = 0; i < calls; i++) {
			if (dup) {
				char *p = bti_redact_dup(in, len, NULL, NULL);

				sink += (size_t)p[0];
				bti_free(p);
			} else {
				sink += bti_redact(in, len, NULL, out, sizeof(out));
			}
		}
		ns = (double)(bench_mono_ns() - t0) / (double)calls;
		if (r == 0 || ns < best)
			best = ns;
	}
	return best;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 && strcmp(argv[1], "--quick") == 0 ? 1000 : 200000;
	int failed = 0;

	bench_prog = "bench_redact";
	printf("%-30s %6s %14s %14s\n", "text", "bytes", "bti_redact", "bti_redact_dup");
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		size_t len = strlen(texts[t].in);
		char *out = bti_redact_dup(texts[t].in, len, NULL, NULL);

		if (!out || !strstr(out, texts[t].must_hold)) {
			fprintf(stderr, "bench_redact: %s: got \"%s\"\n", texts[t].name, out ? out : "(null)");
			failed = 1;
		}
		bti_free(out);
		printf("%-30s %6zu %11.0f ns %11.0f ns\n", texts[t].name, len,
		       per_call_ns(texts[t].in, len, 0, calls), per_call_ns(texts[t].in, len, 1, calls));
	}
	return failed;
}
