/* host_util.h - helpers of the host-shape tests (host_util.c). */
#ifndef BT_HOST_UTIL_H
#define BT_HOST_UTIL_H

#include <sys/types.h>

/* Sum of occurrence counts of @component's tickets, read from the file by
 * a connection of our own; -1 on failure. */
long long stored(const char *path, const char *component);
/* CHECK that PRAGMA integrity_check says ok. */
void check_integrity(const char *path);
/* Wait for @pid; its exit status, or -1 (killed, or past @timeout_s). */
int wait_child(pid_t pid, int timeout_s);

#endif
