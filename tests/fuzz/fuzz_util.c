/*
 * fuzz_util.c - the fuzz targets' scratch directory and databases.  Only
 * the public API and POSIX, so that targets linked with the shared library
 * (the CLI's) and with the static one (internal functions) share it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char tmpdir[4096];

static void remove_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(fuzz_path(e->d_name));
	closedir(d);
	rmdir(tmpdir);
}

const char *fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0])
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/bt-fuzz-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(remove_tmpdir);
	return tmpdir;
}

const char *fuzz_path(const char *name)
{
	static char bufs[4][4096 + 256];
	static int next;
	char *buf = bufs[next++ % 4];

	snprintf(buf, sizeof(bufs[0]), "%s/%s", fuzz_tmpdir(), name);
	return buf;
}

void fuzz_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;

	if (fd < 0) {
		perror(path);
		abort();
	}
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			perror(path);
			abort();
		}
		p += w;
		len -= (size_t)w;
	}
	close(fd);
}

static char *read_file(const char *path, size_t *len_out)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0 || !(buf = malloc((size_t)st.st_size + 1)) ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size) {
		perror(path);
		abort();
	}
	close(fd);
	*len_out = (size_t)st.st_size;
	return buf;
}

/* Remove @path's database files; the crash spool too. */
static void remove_db(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal", ".crash" };
	char buf[4096 + 300];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", path, suffixes[i]);
		unlink(buf);
	}
}

static int64_t fixed_clock(void *payload)
{
	return *(const int64_t *)payload;
}

static bt_db *open_db(const char *path, int64_t *clock_ms)
{
	static int64_t now = FUZZ_NOW_MS;
	bt_open_options o = BT_OPEN_OPTIONS_INIT;
	bt_db *db;

	o.clock = fixed_clock;
	o.clock_payload = clock_ms ? clock_ms : &now;
	if (bt_open(&db, path, &o) != BT_OK) {
		fprintf(stderr, "fuzz: bt_open %s: %s\n", path, bt_error_message());
		abort();
	}
	return db;
}

bt_db *fuzz_fresh_db(const char *name, int64_t *clock_ms)
{
	/* One empty database per name: its bytes, kept for the process. */
	static struct { char name[64]; char *bytes; size_t len; } empty[4];
	const char *path = fuzz_path(name);
	size_t i;

	for (i = 0; i < 4 && empty[i].bytes && strcmp(empty[i].name, name); i++)
		;
	if (i == 4 || strlen(name) >= sizeof(empty[0].name)) {
		fprintf(stderr, "fuzz: too many database names\n");
		abort();
	}
	remove_db(path);
	if (!empty[i].bytes) {
		struct stat st;
		char wal[4096 + 300];

		bt_close(open_db(path, clock_ms));
		/* The last close checkpoints: the main file must hold it all. */
		snprintf(wal, sizeof(wal), "%s-wal", path);
		if (stat(wal, &st) == 0 && st.st_size > 0) {
			fprintf(stderr, "fuzz: %s was left after close\n", wal);
			abort();
		}
		snprintf(empty[i].name, sizeof(empty[i].name), "%s", name);
		empty[i].bytes = read_file(path, &empty[i].len);
	} else {
		fuzz_write_file(path, empty[i].bytes, empty[i].len);
	}
	return open_db(path, clock_ms);
}

char *fuzz_cstring(const uint8_t *data, size_t size)
{
	const uint8_t *nul = size ? memchr(data, 0, size) : NULL;
	size_t len = nul ? (size_t)(nul - data) : size;
	char *s = malloc(len + 1);

	if (!s)
		abort();
	if (len)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}
