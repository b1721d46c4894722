/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The check macro of every C unit test in the tree (the tests live beside what they test).
 * Plain C and stdio: no EAL, no test framework. One test program per source file that uses it.
 *
 *   CHECK(cond)              count a check; a false one prints FAIL, its place and condition;
 *                            its value is cond's (a test that cannot go on without it stops)
 *   CHECK(cond, fmt, ...)    the same, with a message (printf format)
 *   check_verbose            true: print passing checks too ("ok   <message>"), for transcripts
 *   check_fail_limit         N > 0: exit(1) at the Nth failure (a broken model cascades)
 *   check_done(name)         print "<name>: N checks, M failed: PASS|FAIL"; the exit status
 */
#ifndef HVNET_CHECK_H
#define HVNET_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned int check_count __attribute__((unused));
static unsigned int check_failures __attribute__((unused));
static bool check_verbose __attribute__((unused));
static unsigned int check_fail_limit __attribute__((unused));

/* fmt starts with the blank CHECK() puts in front of the caller's message, if any. */
static inline bool __attribute__((format(printf, 5, 6), unused))
check_at(bool ok, const char *cond, const char *file, int line, const char *fmt, ...)
{
	bool msg = fmt[1] != '\0';
	va_list ap;

	check_count++;
	if (ok && !check_verbose)
		return true;
	if (ok) {
		printf("ok  ");
	} else {
		check_failures++;
		printf("FAIL %s:%d: %s%s", file, line, cond, msg ? ":" : "");
	}
	if (msg) {
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	} else if (ok) {
		printf(" %s", cond);
	}
	printf("\n");
	fflush(stdout);
	if (!ok && check_fail_limit != 0 && check_failures >= check_fail_limit) {
		printf("FAIL: %u failures, giving up\n", check_failures);
		exit(1);
	}
	return ok;
}

#define CHECK(cond, ...) check_at(!!(cond), #cond, __FILE__, __LINE__, " " __VA_ARGS__)

/* The test's last line, and its exit status: 0 when every check passed. */
static inline int __attribute__((unused))
check_done(const char *name)
{
	printf("%s: %u checks, %u failed: %s\n", name, check_count, check_failures,
	       check_failures != 0 ? "FAIL" : "PASS");
	return check_failures != 0 ? 1 : 0;
}

#endif /* HVNET_CHECK_H */
