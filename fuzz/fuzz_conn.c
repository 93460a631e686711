/*
 * fuzz_conn.c - a connector's answer as conn.c classifies it: the JSON
 * of /issue, /renew and /caCertificates replies and the error texts of
 * non-2xx answers (conn_parse_reply(), what the calls run after HTTP).
 *
 * Input: byte 0 picks the call (mod 3: issue, renew, caCertificates),
 * byte 1 the HTTP status (an index into statuses[]), the rest is the body.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 201, 202, 204, 299, 400, 401,
		404, 409, 422, 500, 503, 302, 100, 0, 999 };
	static const enum conn_reply kinds[] = { CONN_REPLY_ISSUE,
		CONN_REPLY_RENEW, CONN_REPLY_CA_CERTS };
	struct conn_result res;
	size_t i;
	int r;

	if (size < 2)
		return 0;
	r = conn_parse_reply(kinds[data[0] % 3],
	    statuses[data[1] % NITEMS(statuses)], (const char *)data + 2,
	    size - 2, &res);
	/* The classification's promises to the callers (conn.h). */
	if (r != 0 && res.status == CONN_OK)
		abort();
	if (res.status == CONN_OK && kinds[data[0] % 3] != CONN_REPLY_CA_CERTS &&
	    res.certificate == NULL)
		abort();
	if (res.status == CONN_OK && kinds[data[0] % 3] == CONN_REPLY_CA_CERTS &&
	    res.chain == NULL)
		abort();
	if (memchr(res.message, '\0', sizeof(res.message)) == NULL ||
	    memchr(res.uuid, '\0', sizeof(res.uuid)) == NULL)
		abort();
	/* "printable ASCII, never secrets": the message goes into logs */
	for (i = 0; res.message[i] != '\0'; i++)
		if ((unsigned char)res.message[i] < 0x20 ||
		    (unsigned char)res.message[i] > 0x7e)
			abort();
	conn_result_free(&res);
	return 0;
}
