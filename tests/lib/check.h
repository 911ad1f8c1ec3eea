/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Minimal assertion harness for edgepath's C tests: CHECK() records a
 * failure with its location and goes on, so one run reports every broken
 * case; check_summary() prints "N passed, N failed" and gives the exit
 * code meson test expects.
 */
#ifndef EP_CHECK_H
#define EP_CHECK_H

#include <stdio.h>

/*
 * One pair of counters per test program however many files it has: weak
 * definitions, which the linker merges into one.
 */
extern unsigned int check_passed;
extern unsigned int check_failed;
__attribute__((weak)) unsigned int check_passed;
__attribute__((weak)) unsigned int check_failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (cond) {                                                    \
			check_passed++;                                        \
		} else {                                                       \
			check_failed++;                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_MSG(cond, ...)                                                   \
	do {                                                                   \
		if (cond) {                                                    \
			check_passed++;                                        \
		} else {                                                       \
			check_failed++;                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, \
				__LINE__, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
		}                                                              \
	} while (0)

static inline int check_summary(const char *suite)
{
	printf("%s: %u passed, %u failed\n", suite, check_passed, check_failed);
	return check_failed == 0 && check_passed > 0 ? 0 : 1;
}

#endif /* EP_CHECK_H */
