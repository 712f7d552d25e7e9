/*
 * track_call - TRACK_ERRORS around single calls: the value passes through
 * unchanged, and a failure becomes a ticket with the call site, the text of
 * the expression and errno.
 *
 * usage: track_call [DB]   (default: $BUGTRACK_DB, else ./bugtrack.db)
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bugtrack.h>

int main(int argc, char **argv)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	bt_db *db;
	int fd, i;

	if (bt_open(&db, argc > 1 ? argv[1] : NULL, NULL) != BT_OK) {
		fprintf(stderr, "track_call: %s\n", bt_error_message());
		return EXIT_FAILURE;
	}
	for (i = 0; i < 3; i++) {
		/* int form: negative is failure, as for most libc calls. */
		fd = TRACK_ERRORS(db, "config", open("/etc/myservice/missing.conf", O_RDONLY));
		if (fd >= 0)
			close(fd);
	}
	/* Policy form: pthread calls return an error number instead. */
	pthread_mutex_lock(&lock);
	TRACK_ERRORS_IF(db, "sync", BT_FAIL_NONZERO, pthread_mutex_trylock(&lock));
	pthread_mutex_unlock(&lock);

	printf("track_call: 3 failed open() calls and 1 failed trylock captured\n");
	bt_close(db);
	return EXIT_SUCCESS;
}
