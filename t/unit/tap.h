/*
 * Minimal TAP producer for the C unit tests (read by automake's tap-driver.sh).
 * Header-only so every test is one .c file.
 */
#ifndef CMPD_TAP_H
#define CMPD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n;
static int tap_failed;

static void __attribute__((format(printf, 2, 0)))
tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_n++;
	if (!cond) {
		tap_failed++;
		printf("not ");
	}
	printf("ok %d - ", tap_n);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

static int __attribute__((format(printf, 2, 3), unused))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	return cond;
}

#define is_int(got, want, ...) do {					\
	long long g_ = (got), w_ = (want);				\
	if (!ok(g_ == w_, __VA_ARGS__))					\
		printf("#   got %lld, want %lld\n", g_, w_);		\
} while (0)

#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int c_ = (g_ != NULL && w_ != NULL) ? strcmp(g_, w_) == 0 : g_ == w_; \
	if (!ok(c_, __VA_ARGS__))					\
		printf("#   got \"%s\", want \"%s\"\n",		\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
} while (0)

static void __attribute__((format(printf, 1, 2), unused))
diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

/* Prints the plan and returns the exit status for main(). */
static int __attribute__((unused))
done_testing(void)
{
	printf("1..%d\n", tap_n);
	if (tap_n == 0) {
		printf("# no test ran\n");
		return 1;
	}
	return tap_failed ? 1 : 0;
}

#endif
