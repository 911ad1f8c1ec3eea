/* SPDX-License-Identifier: BSD-3-Clause */
/* A check that is never compiled out: a broken invariant is a crash. */
#ifndef EP_FUZZ_CHECK_H
#define EP_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(c)                                                          \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__,     \
				#c);                                           \
			abort();                                               \
		}                                                              \
	} while (0)

#endif /* EP_FUZZ_CHECK_H */
