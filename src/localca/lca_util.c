/*
 * cmp-localca: what every other file uses, below all of them: the
 * failure a request gets, and the stop flag.
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>

#include "localca.h"

/* Set by the SIGTERM/SIGINT handler (localca.c): finish the request, then
 * stop. */
volatile sig_atomic_t lca_stop;
volatile sig_atomic_t lca_reopen;

int
lca_fail(struct lca_err *e, int http, const char *fmt, ...)
{
	va_list ap;

	e->http = http;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}
