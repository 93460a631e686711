/*
 * fuzz_conf.c - cmpd's configuration file parser, conf_load(), on the
 * input as a file: a temporary file, unlinked at once and reached as
 * /proc/self/fd/N (<sys/mman.h> and memfd_create() clash with cmpd.h's
 * PROT_NONE).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static int fd = -1;

static void
fuzz_conf_done(void)
{
	if (fd != -1)
		close(fd);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/cmpd-fuzz-conf.XXXXXX";

	if ((fd = mkstemp(path)) == -1 || unlink(path) != 0) {
		perror("fuzz: temporary file");
		abort();
	}
	fuzz_quiet();
	atexit(fuzz_conf_done);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	char path[64], err[1024];
	size_t off = 0;
	ssize_t n;

	if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	while (off < size) {
		if ((n = write(fd, data + off, size - off)) <= 0)
			abort();
		off += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err[0] = '\0';
	if (conf_load(path, &c, err, sizeof(err)) == 0) {
		/* what start-up does with a configuration that loaded */
		if (c.server_name == NULL || c.workers < 1)
			abort();
	} else if (err[0] == '\0')
		abort();	/* a refusal always says why */
	conf_free(&c);
	return 0;
}
