/*
 * replay.c - runs a fuzz target without libFuzzer: every file of the given
 * directories, in name order, goes once through LLVMFuzzerTestOneInput.
 * Linked with each target in every build, so that the seed corpus and each
 * committed crash input run in the developer, sanitizer and valgrind
 * stages, with any compiler.
 *
 *   replay CORPUS_DIR [MORE_DIR...]
 *
 * The first directory must hold at least one input (an empty or missing
 * corpus would make the test pass while checking nothing); the others may
 * be missing, as regressions/<target>/ is until a crash has been found.
 * Files whose names start with '.' are skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint8_t *read_input(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		if (len == cap) {
			uint8_t *grown = realloc(buf, cap = cap ? cap * 2 : 4096);

			if (!grown) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	fclose(f);
	*len_out = len;
	return buf;
}

/* Replays every input in @dir; returns how many, or -1 on an error. */
static long replay_dir(const char *dir, int required)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	long done = 0;

	if (!d) {
		if (!required && errno == ENOENT)
			return 0;
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap && !(names = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names))))
			abort();
		if (!(names[n++] = strdup(e->d_name)))
			abort();
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		uint8_t *data;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		free(names[i]);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (!(data = read_input(path, &len))) {
			fprintf(stderr, "replay: cannot read %s\n", path);
			done = -1;
			continue;
		}
		/* Named first: if the target aborts, the log says on what. */
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		if (done >= 0)
			done++;
	}
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	long total = 0;
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [MORE_DIR...]\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		long n = replay_dir(argv[i], i == 1);

		if (n < 0 || (i == 1 && n == 0)) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], n < 0 ? "failed" : "no inputs");
			failed = 1;
		} else {
			total += n;
		}
	}
	printf("replayed %ld inputs\n", total);
	return failed;
}
