/* SPDX-License-Identifier: MIT */
/*
 * driver_replay: runs every file named on the command line, and every
 * regular file under every directory named (recursively, in sorted order so
 * runs are reproducible), through the fuzz contract once. Prints how many
 * inputs ran. An oracle failure aborts inside the target, so a corpus that
 * regressed makes this process die and the ctest fail. Exit 0 when all
 * inputs ran, 2 on usage or I/O errors (an empty or missing corpus is an
 * error: a regression test that runs nothing is not one).
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static size_t ran;
static int io_errors;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *data = malloc(cap);
	for (;;) {
		if (len == cap)
			data = realloc(data, cap *= 2);
		if (data == NULL)
			abort();
		size_t n = fread(data + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(data);
		return -1;
	}
	/* Exactly len bytes, as libFuzzer hands them: a copy of that size, so
	 * ASan sees any read past the end. */
	uint8_t *copy = malloc(len ? len : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data, len);
	free(data);
	if (getenv("STARK_REPLAY_VERBOSE"))
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	FuzzerTestOneInput(copy, len);
	free(copy);
	ran++;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		io_errors++;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (run_file(path) != 0)
			io_errors++;
		return;
	}
	DIR *d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		io_errors++;
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* ., .., and hidden files (.gitkeep) */
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof *names);
			if (names == NULL)
				abort();
		}
		size_t l = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(l);
		if (names[n] == NULL)
			abort();
		snprintf(names[n], l, "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp);
	for (size_t i = 0; i < n; i++) {
		run_path(names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	FuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		run_path(argv[i]);
	FuzzerCleanup();
	printf("%s: %zu inputs replayed, no oracle failure\n", argv[0], ran);
	if (io_errors)
		return 2;
	if (ran == 0) {
		fprintf(stderr, "replay: no input found\n");
		return 2;
	}
	return 0;
}
