/* Loading the DER fixtures of t/fixtures/ in the unit tests. */
#ifndef CMPD_FIXTURE_H
#define CMPD_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "cmpd.h"

static unsigned char * __attribute__((unused))
fixture_read(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	unsigned char *buf = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/t/fixtures/%s", top ? top : ".", name);
	if (util_read_file(path, CMPD_BODY_MAX_LIMIT, &buf, len) != 0) {
		printf("Bail out! cannot read fixture %s\n", path);
		exit(1);
	}
	return buf;
}

static CMPD_MSG * __attribute__((unused))
fixture_msg(const char *name)
{
	unsigned char *der;
	CMPD_MSG *m = NULL;
	size_t len;

	der = fixture_read(name, &len);
	if (cmp_msg_decode(der, len, &m, NULL) != 0) {
		printf("Bail out! fixture %s does not decode\n", name);
		exit(1);
	}
	free(der);
	return m;
}

#endif
