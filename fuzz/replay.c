/*
 * replay.c - main() for the fuzz targets outside libFuzzer: runs every
 * file of the given directories (default: the target's committed corpus,
 * fuzz/corpus/<target>) through LLVMFuzzerTestOneInput() once, as a TAP
 * test. A crash, a sanitizer report or a leak fails it.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET names the corpus directory"
#endif

#define REPLAY_FILE_MAX	(1024 * 1024)

static int
replay_dir(const char *dir, int *n)
{
	struct dirent **ents = NULL;
	char path[4096];
	unsigned char *buf;
	size_t len;
	int i, k, bad = 0;

	if ((k = scandir(dir, &ents, NULL, alphasort)) < 0) {
		printf("not ok %d - %s: cannot read the directory\n", ++*n,
		    dir);
		return 1;
	}
	for (i = 0; i < k; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (ents[i]->d_name[0] == '.' ||
		    util_read_file(path, REPLAY_FILE_MAX, &buf, &len) != 0) {
			free(ents[i]);
			continue;
		}
		fflush(stdout);
		LLVMFuzzerTestOneInput(buf, len);
		printf("ok %d - %s (%zu bytes)\n", ++*n, ents[i]->d_name, len);
		free(buf);
		free(ents[i]);
	}
	free(ents);
	return bad;
}

int
main(int argc, char **argv)
{
	char dir[4096];
	int i, n = 0, bad = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1)
		for (i = 1; i < argc; i++)
			bad |= replay_dir(argv[i], &n);
	else {
		snprintf(dir, sizeof(dir), "%s/fuzz/corpus/%s", fuzz_srcdir(),
		    FUZZ_TARGET);
		bad |= replay_dir(dir, &n);
	}
	if (n == 0) {
		printf("not ok 1 - no input found\n");
		n = 1;
		bad = 1;
	}
	printf("1..%d\n", n);
	return bad;
}
