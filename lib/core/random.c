/*
 * random.c - secret random bytes, from the kernel only (getrandom(2)): API
 * tokens and claim tokens are made from them.  There is no fallback to a
 * weaker source; without the kernel's bytes the call fails.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "internal.h"

int bti_random_bytes(void *buf, size_t len, const char *what)
{
	unsigned char *p = buf;

	while (len > 0) {
		/* Flags 0: blocks only until the kernel's pool is first seeded;
		 * a signal may interrupt it, and a large request may come back
		 * short. */
		ssize_t n = getrandom(p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			return bti_error(err == ENOSYS ? BT_ENOTSUP : BT_EINTERNAL,
					 "%s: the kernel gave no random bytes (getrandom: %s), and no "
					 "weaker source is used", what, strerror(err));
		}
		p += n;
		len -= (size_t)n;
	}
	return BT_OK;
}
