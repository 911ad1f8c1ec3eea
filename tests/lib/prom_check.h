/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A strict checker of the Prometheus text exposition format 0.0.4, for
 * the tests of /metrics (test_api, and test_slowpath.sh through
 * `test_api --check-metrics FILE`): names and labels, HELP and TYPE before
 * the samples of their family, one block per family, no series twice,
 * histograms with ordered cumulative buckets ending in +Inf that equals
 * _count.
 */
#ifndef EP_PROM_CHECK_H
#define EP_PROM_CHECK_H

#include <stddef.h>

/* Number of samples in `text`, or -1 with the reason in `err`. */
long prom_check(const char *text, size_t len, char *err, size_t n);

#endif /* EP_PROM_CHECK_H */
