/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL for fuzz targets that need DPDK memory: no hugepages (--no-huge),
 * no PCI, no shared config, no telemetry, an own file prefix, so that a
 * target runs beside the fast path and the other tests. `lcores` is an
 * EAL --lcores value ("0" or "0,1@0").
 */
#ifndef EP_FUZZ_EAL_H
#define EP_FUZZ_EAL_H

#include <stdio.h>
#include <stdlib.h>

#include <rte_eal.h>
#include <rte_errno.h>

static inline void fuzz_eal_init(const char *prefix, const char *lcores,
				 const char *mem_mb)
{
	char pfx[64], lc[64];
	char *argv[] = { "fuzz",
			 "--no-huge",
			 "-m",
			 (char *)mem_mb,
			 "--no-pci",
			 "--no-shconf",
			 "--no-telemetry",
			 lc,
			 pfx,
			 "--log-level=error",
			 NULL };

	snprintf(pfx, sizeof(pfx), "--file-prefix=%s", prefix);
	snprintf(lc, sizeof(lc), "--lcores=%s", lcores);
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "EAL init failed: %s\n",
			rte_strerror(rte_errno));
		exit(1);
	}
}

#endif /* EP_FUZZ_EAL_H */
