/*
 * tap.h - a minimal TAP producer for the unit tests.
 *
 *	tap_ok(cond, "fmt", ...)	one test point
 *	tap_str(got, want, "fmt", ...)	compare two strings (NULL allowed)
 *	tap_int(got, want, "fmt", ...)	compare two integers
 *	return tap_done();		prints the plan; exit status 1 if any failed
 *
 * Failures print what was got and what was wanted as TAP diagnostics.
 * Never uses assert(): a failing check is reported, not a crash.
 */
#ifndef REPGUARD_TAP_H
#define REPGUARD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 0)))
static void
tap_vreport(int ok, const char *fmt, va_list ap)
{
	char desc[1024], *p;

	tap_n++;
	if (!ok)
		tap_failed++;
	vsnprintf(desc, sizeof(desc), fmt, ap);
	for (p = desc; *p != '\0'; p++)
		if (*p == '\n' || *p == '#')
			*p = ' ';
	printf("%sok %d - %s\n", ok ? "" : "not ", tap_n, desc);
	fflush(stdout);
}

__attribute__((format(printf, 2, 3), unused)) static int
tap_ok(int ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vreport(ok, fmt, ap);
	va_end(ap);
	return ok;
}

__attribute__((format(printf, 3, 4), unused)) static int
tap_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int ok;

	if (got == NULL || want == NULL)
		ok = got == want;
	else
		ok = strcmp(got, want) == 0;
	va_start(ap, fmt);
	tap_vreport(ok, fmt, ap);
	va_end(ap);
	if (!ok)
		printf("#   got:  %s%s%s\n#   want: %s%s%s\n",
		    got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
		    want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
	return ok;
}

__attribute__((format(printf, 3, 4), unused)) static int
tap_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int ok = got == want;

	va_start(ap, fmt);
	tap_vreport(ok, fmt, ap);
	va_end(ap);
	if (!ok)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return ok;
}

__attribute__((unused)) static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif
